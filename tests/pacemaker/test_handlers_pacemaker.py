"""The Pacemaker backend's handler table is complete, built in one place, and needs no import
side effect (in the spirit of anyio's tests that every backend implements every method).

Every concrete operation of ``clusapi._operations`` / ``clusapi.lowlevel`` is either handled
(``_dispatch.HANDLERS``) or declared not supported with a reason (``_dispatch.NOT_SUPPORTED``).
"""

from __future__ import annotations

import inspect
import subprocess
import sys
from typing import Any

import pytest

import clusapi.lowlevel
from clusapi import _operations as ops
from clusapi._backend import Operation
from clusapi._backends.pacemaker import _dispatch
from clusapi._win32 import Win32Error


def _operations() -> set[type[Operation[Any]]]:
    found: set[type[Operation[Any]]] = set()
    for module in (ops, clusapi.lowlevel):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Operation) and value is not Operation:
                found.add(value)
    return found


OPERATIONS = sorted(_operations(), key=lambda kind: kind.__name__)


def test_there_are_operations_to_check() -> None:
    assert len(OPERATIONS) > 50


@pytest.mark.parametrize("kind", OPERATIONS, ids=lambda kind: kind.__name__)
def test_every_operation_is_handled_or_declared_not_supported(kind: type[Any]) -> None:
    handled = kind in _dispatch.HANDLERS
    refused = kind in _dispatch.NOT_SUPPORTED
    assert handled != refused, (
        f"{kind.__name__} must be in exactly one of HANDLERS and NOT_SUPPORTED "
        f"(handled: {handled}, not supported: {refused})"
    )


def test_the_tables_name_only_operations() -> None:
    assert set(_dispatch.HANDLERS) | set(_dispatch.NOT_SUPPORTED) <= set(OPERATIONS)


@pytest.mark.parametrize(
    "kind", sorted(_dispatch.HANDLERS, key=lambda kind: kind.__name__), ids=lambda k: k.__name__
)
def test_each_handler_is_written_for_its_operation(kind: type[Any]) -> None:
    handler = _dispatch.HANDLERS[kind]
    assert inspect.iscoroutinefunction(handler)
    annotation = list(inspect.signature(handler).parameters.values())[1].annotation
    assert annotation == f"ops.{kind.__name__}", (handler.__name__, annotation)


@pytest.mark.parametrize(
    "kind",
    sorted(_dispatch.NOT_SUPPORTED, key=lambda kind: kind.__name__),
    ids=lambda kind: kind.__name__,
)
def test_each_refusal_gives_a_reason_and_a_fix(kind: type[Any]) -> None:
    refusal = _dispatch.NOT_SUPPORTED[kind]
    assert refusal.what.strip()
    assert refusal.fix.strip()


def test_a_refusal_is_not_supported_and_names_the_operation() -> None:
    error = _dispatch.NOT_SUPPORTED[ops.Control].error(
        ops.Control(ops.ObjectKind.GROUP, "g", 0x1000001, b"")
    )
    assert error.winerror == Win32Error.ERROR_NOT_SUPPORTED
    assert error.description == (
        "control code 0x01000001 to a group: Pacemaker has no control codes "
        "(no counterpart on Pacemaker)"
    )
    error = _dispatch.NOT_SUPPORTED[ops.EnumKeys].error(ops.EnumKeys("Parameters"))
    assert error.description == (
        f"the cluster database ({ops.EnumKeys.mirrors}): Pacemaker keeps no registry "
        "(no counterpart on Pacemaker)"
    )


_FRESH = """
import importlib, sys
importlib.import_module(sys.argv[1])

# Only that module was imported: take what it loaded, import nothing more.
ops = sys.modules["clusapi._operations"]
dispatch = sys.modules["clusapi._backends.pacemaker._dispatch"]
Operation = sys.modules["clusapi._backend"].Operation
kinds = {v for v in vars(ops).values()
         if isinstance(v, type) and issubclass(v, Operation) and v is not Operation}
missing = sorted(
    k.__name__ for k in kinds if k not in dispatch.HANDLERS and k not in dispatch.NOT_SUPPORTED
)
print(len(kinds), len(dispatch.HANDLERS), len(dispatch.NOT_SUPPORTED), missing)
sys.exit(1 if missing or len(kinds) < 50 else 0)
"""


@pytest.mark.parametrize(
    "module",
    ["clusapi._backends.pacemaker._backend", "clusapi._backends.pacemaker._dispatch"],
)
def test_importing_the_backend_alone_gives_a_complete_table(module: str) -> None:
    # A fresh interpreter that imports only the backend module (or only the table's): nothing
    # else may be needed to fill the table (no handler registers itself as a side effect of
    # another import).
    done = subprocess.run(
        [sys.executable, "-c", _FRESH, module],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
