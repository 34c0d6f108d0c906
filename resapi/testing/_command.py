"""What ``python -m resapi check MODULE:CLASS`` does: the conformance kit as a command for CI.

The command line itself (argparse, ``--help``, usage errors) is ``resapi/__main__.py``; this
module loads the type, reads the ``--property`` values through the type's own property table,
runs :func:`~resapi.testing.check_resource` on the real clock (a user's type does real I/O)
and prints the report. See docs/testing.md, "Checking a type from the command line".
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Final

import anyio

from clusapi._enums import PropertyFormat
from clusapi._errors import ClusterError
from clusapi._properties import property_error
from clusapi._win32 import Win32Error
from resapi._ocf._parameters import value_from_text
from resapi._resource import Resource
from resapi._resource_type import ImportPathError, check_entry_points, resolve_import_path

from ._conformance import check_resource

if TYPE_CHECKING:
    from collections.abc import Sequence

    from clusapi._properties import PropertyItem, PropertyTable

    from ._conformance import ConformanceReport

__all__ = ("EXIT_BREACH", "EXIT_PASS", "CommandError", "load_type", "parse_properties", "run")

#: Exit statuses: every step kept the contract; a step broke it; the command could not run
#: (argparse's own usage status, so every "you typed something wrong" is 2).
EXIT_PASS: Final = 0
EXIT_BREACH: Final = 1

#: The last step of a complete run; a report that ends elsewhere was cut short by a breach.
_LAST_STEP: Final = "close"


class CommandError(Exception):
    """The command cannot run as typed (exit status 2); the message says what and the fix."""


def load_type(path: str) -> type[Resource]:
    """Import ``"package.module:Class"`` (the class may be dotted: ``"mod:Outer.Inner"``).

    Raises:
        CommandError: a malformed path, a module that does not import, a missing attribute,
            a target that is not a :class:`resapi.Resource` subclass, or one whose entry
            point is a plain ``def`` (which a cluster refuses to register too).
    """
    try:
        target = resolve_import_path(path)
    except ImportPathError as exc:
        if exc.problem == "form":
            message = (
                f"bad resource type {path!r}: expected MODULE:CLASS, "
                "e.g. examples.echo_server:EchoServer"
            )
        elif exc.problem == "module":
            message = (
                f"cannot import module {exc.module!r} of {path!r}: {exc.cause!r}; run the "
                "command where the module is importable (the working directory, or PYTHONPATH)"
            )
        else:
            message = (
                f"module {exc.module!r} has no attribute {exc.qualname!r}; "
                "name the class after the colon, e.g. examples.echo_server:EchoServer"
            )
        raise CommandError(message) from None
    if not (isinstance(target, type) and issubclass(target, Resource)):
        raise CommandError(
            f"{path!r} is {target!r}, not a resapi.Resource subclass; "
            "name the resource type class itself"
        )
    try:
        check_entry_points(target)
    except ClusterError as exc:
        raise CommandError(str(exc)) from None
    return target


def _fix_for(item: PropertyItem) -> str:
    if item.boolean:
        return "pass true or false (yes/no, on/off and 1/0 work too)"
    if item.format is PropertyFormat.BINARY:
        return "pass the bytes as hex digits"
    return "pass a decimal whole number"


def parse_properties(
    table: type[PropertyTable], pairs: Sequence[tuple[str, str]]
) -> dict[str, object]:
    """The private properties (property name → value) given as ``NAME=VALUE`` texts.

    A name is an attribute or property name of ``table``; a value is read as the OCF agent
    reads ``OCF_RESKEY_<name>`` (so one type takes the same texts both ways), then checked by
    the table, and the required properties must all be there.

    Raises:
        PropertyError: ERROR_INVALID_PARAMETER for an unknown or read-only name, a name given
            twice, or a value of the wrong form or out of range; ERROR_FILE_NOT_FOUND for a
            required property not given. The message names the property and the fix.
    """
    values: dict[str, object] = {}
    for key, text in pairs:
        item = table.item(key)
        if item.name in values:
            raise property_error(
                table.__qualname__, item.name, "is given twice", "pass each --property once"
            )
        try:
            values[item.name] = value_from_text(item, text)
        except ValueError:
            raise property_error(
                table.__qualname__, item.name, f"cannot be {text!r}", _fix_for(item)
            ) from None
    checked: dict[str, object] = dict(table.verify(values))
    for item in table.items():
        if item.required and item.name not in checked:
            raise property_error(
                table.__qualname__,
                item.name,
                "is required but not given",
                f"pass --property {item.attribute}=VALUE",
                Win32Error.ERROR_FILE_NOT_FOUND,  # as the table's own load() says it
            )
    return checked


def render(report: ConformanceReport, path: str, *, strict: bool = False) -> str:
    """The report with a verdict per step (``ok``, ``FAIL``, ``warn``) and every breach;
    ``strict`` counts warnings as failures."""
    verdicts: dict[str, str] = {}
    for breach in report.breaches:
        if breach.severity == "error":
            verdicts[breach.step] = "FAIL"
        else:
            verdicts.setdefault(breach.step, "warn")
    lines = [f"conformance check of {path} (resource type {report.type_name!r})"]
    lines += [
        f"  {verdicts.get(s.step, 'ok'):<4}  {s.step:<26} {s.outcome:<24} "
        f"{s.duration * 1000:9.1f} ms"
        for s in report.steps
    ]
    if report.steps and report.steps[-1].step != _LAST_STEP:
        lines.append(f"  (stopped after {report.steps[-1].step!r}: the later steps need it)")
    if report.breaches:
        lines.append(f"{len(report.breaches)} breach(es), each with what the contract expects:")
        lines += [f"  {b}" for b in report.breaches]
    errors = len(report.errors)
    warnings = len(report.breaches) - errors
    verdict = "PASS" if _passed(report, strict=strict) else "FAIL"
    tally = f"{len(report.steps)} steps, {errors} errors, {warnings} warnings"
    lines.append(f"{verdict}: {tally}" + (" (--strict: warnings fail)" if strict else ""))
    return "\n".join(lines)


def run(path: str, pairs: Sequence[tuple[str, str]], *, strict: bool = False) -> tuple[int, str]:
    """Check the type at ``path``: the exit status and the report to print.

    Exit status 0 when no step broke the contract (warnings allowed, unless ``strict``), 1
    when one did.

    Raises:
        CommandError: the type cannot be loaded or a property is wrong (exit status 2).
    """
    resource_type = load_type(path)
    try:
        properties = parse_properties(resource_type.Properties, pairs)
    except ClusterError as exc:
        raise CommandError(str(exc)) from None
    report = anyio.run(functools.partial(check_resource, resource_type, properties=properties))
    status = EXIT_PASS if _passed(report, strict=strict) else EXIT_BREACH
    return status, render(report, path, strict=strict)


def _passed(report: ConformanceReport, *, strict: bool) -> bool:
    return not report.breaches if strict else report.ok
