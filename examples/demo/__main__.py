"""``python -m examples.demo``: the demo's command line (``--help`` lists the options).

Exit status 0 if everything happened as expected, 1 if not, 2 for a bad option, 130 when
interrupted; :func:`examples.demo.run_demo` does the work.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from ._story import run_demo

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
        prog="python -m examples.demo",
        description=(
            "Run a live failover and failback on a 3-node cluster (about 12 s): start the "
            "cluster, put a virtual address and an echo service behind it in group 'web', "
            "start a client, crash the owner node, restart it, and print the timeline and the "
            "measured timings: detection, failover, client outage, failback. "
            "The reference engine runs the cluster in this process on real time; the "
            "pacemaker engine starts a real Pacemaker + Corosync cluster on this machine, one "
            "network namespace per node (root and the packages pacemaker, corosync, "
            "pacemaker-cli-utils, resource-agents needed), and removes it at the end, also on "
            "Ctrl-C. Exit status 0 if everything happened as expected, 1 if not (also when the "
            "pacemaker engine cannot run here, saying why), 130 when interrupted."
        ),
    )
    parser.add_argument(
        "--engine",
        choices=("reference", "pacemaker"),
        default="reference",
        help="what runs the cluster: 'reference' (in-process, default) or 'pacemaker' (real)",
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=None,
        help=(
            "TCP port of the address: on 127.0.0.1 (reference; default: a free one) or on "
            "the cluster's address 10.77.0.100 (pacemaker; default: 7100)"
        ),
    )
    parser.add_argument(
        "--plain",
        action="store_true",
        help="never redraw the status line with ANSI codes, even on a terminal",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo; return its exit status."""
    args = _parser().parse_args(argv)
    return run_demo(args.port, engine=args.engine, plain=args.plain)


if __name__ == "__main__":
    sys.exit(main())
