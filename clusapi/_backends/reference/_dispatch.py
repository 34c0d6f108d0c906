"""Which handler runs which operation, for ReferenceRuntime.execute.

The handlers live in ``_ops_cluster``, ``_ops_groups``, ``_ops_resources`` (the same subjects
as the Pacemaker backend's modules of those names), ``_ops_registry`` (the cluster database and
checkpoints) and ``_ops_control`` (control codes); each ends with its own ``HANDLERS`` table,
merged here. Importing this module (the runtime does) gives the complete table.

Every handler validates everything first and changes state only after, so a call that fails
changes nothing (DESIGN.md §4); errors come from :func:`clusapi.lowlevel.make_error`, whose
single table picks the exception class for the Win32 code.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

from . import _ops_cluster, _ops_control, _ops_groups, _ops_registry, _ops_resources

if TYPE_CHECKING:
    from clusapi._backend import Operation

    from ._runtime import ReferenceRuntime

__all__ = ("HANDLERS", "NOT_SUPPORTED", "Handler")

Handler = Callable[["ReferenceRuntime", Any], Awaitable[Any]]


def _merge(*tables: Mapping[type[Operation[Any]], Handler]) -> dict[type[Operation[Any]], Handler]:
    merged: dict[type[Operation[Any]], Handler] = {}
    for table in tables:
        for kind, handler in table.items():
            if kind in merged:  # two modules answering one operation is a bug, not an override
                raise RuntimeError(f"{kind.__name__} is handled twice")
            merged[kind] = handler
    return merged


#: Operation class -> the coroutine that answers it.
HANDLERS: Final = _merge(
    _ops_cluster.HANDLERS,
    _ops_groups.HANDLERS,
    _ops_resources.HANDLERS,
    _ops_registry.HANDLERS,
    _ops_control.HANDLERS,
)

#: Operation class -> why the reference runtime answers it with ERROR_NOT_SUPPORTED. Every
#: operation is either here or in HANDLERS (tests/reference/test_handlers_reference.py checks it).
NOT_SUPPORTED: Final[Mapping[type[Operation[Any]], str]] = {}
