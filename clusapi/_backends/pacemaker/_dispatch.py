"""Which handler runs which operation, for PacemakerBackend.execute.

The handlers live in ``_ops_cluster``, ``_ops_groups`` and ``_ops_resources``, split by
subject; they are part of :class:`PacemakerBackend` and use its underscore members (the
snapshot, the write lock, the checks) as its own methods would.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from clusapi._errors import ClusterError, make_error
from clusapi._win32 import Win32Error

if TYPE_CHECKING:
    from clusapi._backend import Operation

    from ._backend import PacemakerBackend

__all__ = ("HANDLERS", "Handler", "handles", "not_supported")

Handler = Callable[["PacemakerBackend", Any], Awaitable[Any]]
#: Operation class -> the coroutine that runs it (filled by the _ops_* modules).
HANDLERS: dict[type[Operation[Any]], Handler] = {}


def handles(*kinds: type[Operation[Any]]) -> Callable[[Handler], Handler]:
    """Register a handler for ``kinds``."""

    def register(handler: Handler) -> Handler:
        for kind in kinds:
            HANDLERS[kind] = handler
        return handler

    return register


def not_supported(
    what: str, fix: str = "see docs/pacemaker.md for what Pacemaker offers"
) -> ClusterError:
    """ERROR_NOT_SUPPORTED for what has no counterpart on Pacemaker."""
    return make_error(
        Win32Error.ERROR_NOT_SUPPORTED, f"{what} (no counterpart on Pacemaker)", fix=fix
    )
