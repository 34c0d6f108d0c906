"""The reference runtime's handler table is complete, and complete on its own.

Every concrete Operation subclass (those of ``clusapi._operations`` and whatever
``clusapi.lowlevel`` exports) is either answered by a handler or declared not supported with a
reason; importing the runtime module alone, in a fresh interpreter, gives that whole table (no
handler module has to be imported for its side effect).
"""

from __future__ import annotations

import inspect
import subprocess
import sys
from typing import Any

import pytest

from clusapi import _operations, lowlevel
from clusapi._backend import Operation
from clusapi._backends.reference import _dispatch


def _concrete_operations() -> set[type[Operation[Any]]]:
    found: set[type[Operation[Any]]] = set()
    for module in (_operations, lowlevel):
        for value in vars(module).values():
            if (
                inspect.isclass(value)
                and issubclass(value, Operation)
                and value is not Operation
                and not inspect.isabstract(value)
            ):
                found.add(value)
    return found


OPERATIONS = sorted(_concrete_operations(), key=lambda kind: kind.__name__)


def test_there_are_operations_to_check() -> None:
    assert len(OPERATIONS) > 50


@pytest.mark.parametrize("kind", OPERATIONS, ids=lambda kind: kind.__name__)
def test_every_operation_is_handled_or_declared_not_supported(
    kind: type[Operation[Any]],
) -> None:
    handled = kind in _dispatch.HANDLERS
    declared = kind in _dispatch.NOT_SUPPORTED
    assert handled != declared, (
        f"{kind.__name__}: handled={handled}, declared not supported={declared}; "
        "exactly one of the two must hold"
    )


def test_every_not_supported_operation_has_a_reason() -> None:
    for kind, reason in _dispatch.NOT_SUPPORTED.items():
        assert isinstance(reason, str), kind.__name__
        assert reason.strip(), kind.__name__


def test_the_table_holds_operations_only() -> None:
    for kind in [*_dispatch.HANDLERS, *_dispatch.NOT_SUPPORTED]:
        assert kind in OPERATIONS, kind


def test_importing_the_runtime_alone_gives_the_complete_table() -> None:
    code = (
        "import inspect, sys\n"
        "import clusapi._backends.reference._runtime\n"
        "_dispatch = sys.modules['clusapi._backends.reference._dispatch']\n"
        "from clusapi import _operations\n"
        "from clusapi._backend import Operation\n"
        "ops = {v for v in vars(_operations).values() if inspect.isclass(v)\n"
        "       and issubclass(v, Operation) and v is not Operation}\n"
        "missing = ops - set(_dispatch.HANDLERS) - set(_dispatch.NOT_SUPPORTED)\n"
        "print(len(_dispatch.HANDLERS), sorted(k.__name__ for k in missing))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split(maxsplit=1)
    expected = len(_dispatch.HANDLERS)
    assert (int(out[0]), out[1].strip()) == (expected, "[]")
