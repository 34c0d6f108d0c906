"""``python -m resapi``: the command line of the Resource API package.

One command: ``check`` runs the conformance kit (:func:`resapi.testing.check_resource`) on a
resource type and exits non-zero when it breaks the contract, for a project's CI::

    python -m resapi check examples.echo_server:EchoServer --property port=7100

Exit status 0: every step kept the contract (warnings allowed unless ``--strict``); 1: a
breach, listed with what the contract expects; 2: a usage error (a type that does not import
or is not a ``resapi.Resource`` subclass, an unknown or bad property). See docs/testing.md,
"Checking a type from the command line".
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from resapi.testing._command import CommandError, run

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ("main",)


def _pair(text: str) -> tuple[str, str]:
    name, equals, value = text.partition("=")
    if not equals or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, e.g. port=7100; got {text!r}")
    return name, value


def _parser() -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    parser = argparse.ArgumentParser(
        prog="python -m resapi",
        description="Command-line tools of resapi, the Resource API for Python.",
    )
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", title="commands", required=True
    )
    check = commands.add_parser(
        "check",
        help="run the conformance kit on a resource type (exit 0: passes, 1: breaches, 2: usage)",
        description=(
            "Drive one instance of the type through open, online, looks_alive/is_alive, "
            "offline, terminate and close, as resapi.testing.check_resource does, and list "
            "every breach of the Resource API contract. Exit status 0 when no step broke the "
            "contract, 1 when one did, 2 for a usage error."
        ),
    )
    check.add_argument(
        "type",
        metavar="MODULE:CLASS",
        help="the resource type, importable from here (e.g. examples.echo_server:EchoServer)",
    )
    check.add_argument(
        "--property",
        dest="properties",
        metavar="NAME=VALUE",
        type=_pair,
        action="append",
        default=[],
        help="a private property of the instance (attribute or property name; repeatable); "
        "the value is read as the OCF agent reads OCF_RESKEY_<NAME>",
    )
    check.add_argument(
        "--strict", action="store_true", help="warnings fail the check too (exit status 1)"
    )
    return parser, check


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command; return its exit status (argparse exits with 2 on a usage error)."""
    parser, check = _parser()
    args = parser.parse_args(argv)
    if args.command != "check":
        raise AssertionError(f"unhandled command {args.command!r}")  # argparse rejects others
    try:
        status, report = run(args.type, args.properties, strict=args.strict)
    except CommandError as exc:
        check.error(str(exc))  # usage, the message, exit status 2
    print(report)
    return status


if __name__ == "__main__":
    sys.exit(main())
