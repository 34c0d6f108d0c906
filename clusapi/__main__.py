"""``python -m clusapi``: command-line tools of the Cluster API package.

Commands::

    python -m clusapi demo                     # a live failover and failback, 3-node cluster
    python -m clusapi demo --port 7100         # the same, with the virtual address on port 7100
    python -m clusapi demo --engine pacemaker  # the same on a real Pacemaker cluster (root)

``python -m clusapi --help`` lists the commands; an unknown command prints the usage and
exits with status 2.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ("main",)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port {port} is not between 1 and 65535")
    return port


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m clusapi",
        description="Command-line tools of clusapi, the Cluster API for Python.",
    )
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", title="commands", required=True
    )
    demo = commands.add_parser(
        "demo",
        help="run a live failover and failback on a 3-node cluster (about 12 s)",
        description=(
            "Start a 3-node cluster, put a virtual address and an echo service behind it in "
            "group 'web', start a client, crash the owner node, restart it, and print the "
            "timeline and the measured timings: detection, failover, client outage, failback. "
            "The reference engine runs the cluster in this process on real time; the "
            "pacemaker engine starts a real Pacemaker + Corosync cluster on this machine, one "
            "network namespace per node (root and the packages pacemaker, corosync, "
            "pacemaker-cli-utils, resource-agents needed), and removes it at the end, also on "
            "Ctrl-C. Exit status 0 if everything happened as expected, 1 if not (also when the "
            "pacemaker engine cannot run here, saying why), 130 when interrupted."
        ),
    )
    demo.add_argument(
        "--engine",
        choices=("reference", "pacemaker"),
        default="reference",
        help="what runs the cluster: 'reference' (in-process, default) or 'pacemaker' (real)",
    )
    demo.add_argument(
        "--port",
        type=_port,
        default=None,
        help=(
            "TCP port of the address: on 127.0.0.1 (reference; default: a free one) or on "
            "the cluster's address 10.77.0.100 (pacemaker; default: 7100)"
        ),
    )
    demo.add_argument(
        "--plain",
        action="store_true",
        help="never redraw the status line with ANSI codes, even on a terminal",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command; return its exit status."""
    args = _parser().parse_args(argv)
    if args.command == "demo":
        try:
            # Only the demo needs the examples (its resource types and its client).
            import examples.virtual_address  # noqa: F401
        except ModuleNotFoundError as exc:
            if exc.name is None or exc.name.partition(".")[0] != "examples":
                raise
            print(
                "python -m clusapi demo: needs the examples/ package of the clusapi source "
                "tree; run it from the repository root (or put the root on PYTHONPATH)",
                file=sys.stderr,
            )
            return 1
        from ._demo import run_demo

        return run_demo(args.port, engine=args.engine, plain=args.plain)
    raise AssertionError(f"unhandled command {args.command!r}")  # argparse rejects others


if __name__ == "__main__":
    sys.exit(main())
