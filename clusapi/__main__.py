"""``python -m clusapi``: the command line of the Cluster API package.

The library ships no commands of its own. The demo (a live failover and failback on a 3-node
cluster) is an application of the source tree, not of the installed package; from the
repository root::

    python -m examples.demo                     # the in-process reference cluster
    python -m examples.demo --engine pacemaker  # a real Pacemaker cluster (root)

``python -m clusapi demo`` only says so and exits with status 2 (usage), as does an unknown
command; ``python -m clusapi --help`` lists the commands. See ``docs/quickstart.md``.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ("main",)

#: What ``python -m clusapi demo`` says: where the demo lives now, and how to run it.
DEMO_MOVED = (
    "python -m clusapi demo: the demo is an application of the clusapi source tree, not part "
    "of the installed library; from the repository root run:\n"
    "    python -m examples.demo [--engine pacemaker] [--port PORT] [--plain]\n"
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m clusapi",
        description="Command-line tools of clusapi, the Cluster API for Python.",
    )
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", title="commands", required=True
    )
    commands.add_parser(
        "demo",
        help="moved: run 'python -m examples.demo' from the repository root",
        add_help=False,  # whatever follows ("--help" too) gets the same answer
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command; return its exit status."""
    args, _ = _parser().parse_known_args(argv)
    if args.command == "demo":
        sys.stderr.write(DEMO_MOVED)
        return 2
    raise AssertionError(f"unhandled command {args.command!r}")  # argparse rejects others


if __name__ == "__main__":
    sys.exit(main())
