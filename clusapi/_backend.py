"""The one seam between the public handles and whatever runs the cluster.

Every Cluster API call becomes a frozen :class:`Operation` (``OnlineGroup(group, node, wait)``)
that a :class:`Backend` executes, returning a typed result or raising a
:class:`~clusapi.ClusterError`. The handles in :mod:`clusapi` know nothing else about the
backend, so the in-process reference runtime, a real Pacemaker cluster, a recording wrapper or
a ``MockBackend`` in a test are interchangeable (httpx's transport, anyio's backends).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, ClassVar, Generic, Protocol, TypeVar, final

import attrs

if TYPE_CHECKING:
    from anyio.streams.memory import MemoryObjectStreamStatistics

    from ._values import Notification

__all__ = ("Backend", "MockBackend", "NotificationStream", "Operation")

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class Operation(Generic[T_co]):
    """Base class of the operations a backend executes; ``T_co`` is the result type.

    Subclasses are ``@attrs.frozen`` values named after the ClusAPI call they stand for
    (``OnlineClusterGroup`` → :class:`~clusapi.lowlevel.OnlineGroup`).
    """

    __slots__ = ()

    #: The Win32 function the operation mirrors, for logs and messages.
    mirrors: ClassVar[str] = ""


class NotificationStream(Protocol):
    """What a backend returns for :class:`~clusapi.lowlevel.OpenNotifyPort` and
    ``OpenRegistryPort``: the events of one port, in order.

    The receiving end of an anyio memory object stream is one (the reference runtime pushes
    into it); a backend that learns of changes by polling can return its own object that
    polls inside :meth:`receive` (the Pacemaker backend does).
    """

    async def receive(self) -> Notification:
        """The next event; raises ``anyio.EndOfStream`` or ``anyio.ClosedResourceError``
        when the port is closed."""
        ...

    def receive_nowait(self) -> Notification:
        """The next queued event; raises ``anyio.WouldBlock`` if there is none."""
        ...

    def statistics(self) -> MemoryObjectStreamStatistics:
        """``current_buffer_used``: how many events are queued (for ``NotifyPort.statistics``)."""
        ...

    async def aclose(self) -> None:
        """Close the port; the backend stops queueing events for it. Idempotent."""
        ...


class Backend(Protocol):
    """What runs a cluster for :class:`~clusapi.Cluster` (mirrors the ClusAPI RPC boundary).

    Example: a backend that answers one operation and refuses the rest::

        async def handler(op: Operation[object]) -> object:
            if isinstance(op, GetClusterInfo):
                return ClusterInfo(name="TEST", ...)
            raise NotSupportedError(Win32Error.ERROR_NOT_SUPPORTED, f"{op!r}")

        cluster = await clusapi.open_cluster(backend=MockBackend(handler))
    """

    @property
    def name(self) -> str:
        """A short name for messages: ``"reference"``, ``"pacemaker"``, ``"mock"``."""
        ...

    async def execute(self, operation: Operation[T]) -> T:
        """Run one operation and return its result.

        Raises:
            ClusterError: with the Win32 code of the failure; nothing was changed.
        """
        ...

    async def aclose(self) -> None:
        """Release what the backend holds for this connection. Idempotent."""
        ...


@final
@attrs.define(eq=False)
class MockBackend:
    """A backend that passes every operation to ``handler`` (sync or async), as httpx's
    ``MockTransport`` does. For tests of code that uses :mod:`clusapi`."""

    handler: Callable[[Operation[object]], object | Awaitable[object]]
    name: str = "mock"
    #: Every operation executed, in order.
    operations: list[Operation[object]] = attrs.field(factory=list, init=False)
    closed: bool = attrs.field(default=False, init=False)

    async def execute(self, operation: Operation[T]) -> T:
        self.operations.append(operation)
        result = self.handler(operation)
        if inspect.isawaitable(result):
            result = await result
        return result  # type: ignore[return-value]  # the handler answers for T

    async def aclose(self) -> None:
        self.closed = True
