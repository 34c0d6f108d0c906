"""``clusapi.NotifyPort``: a stream of change events (mirrors ``HCHANGE``)."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Self, final

import anyio
import attrs
from anyio.abc import AsyncResource

from ._backend import NotificationStream, Operation
from ._enums import ClusterChange
from ._errors import ClusterTimeoutError, HandleClosedError, InvalidParameterError
from ._util import NoPublicConstructor
from ._win32 import Win32Error

if TYPE_CHECKING:
    from collections.abc import Generator
    from types import TracebackType

    from ._values import Notification

__all__ = ("NotifyPort", "NotifyPortStatistics", "PortOpener", "check_filter")


def check_filter(change_filter: object, example: str) -> ClusterChange:
    """A caller's notification filter: a non-empty mask of :class:`ClusterChange` bits.

    Checked at run time: callers without a type checker pass strings, lists, bools, None.

    Args:
        change_filter: the filter as given.
        example: a filter to suggest in the message (``"GROUP_STATE | RESOURCE_STATE"``).

    Raises:
        InvalidParameterError: ERROR_INVALID_PARAMETER otherwise.
    """
    if (
        isinstance(change_filter, int)
        and not isinstance(change_filter, bool)
        and 0 < change_filter <= ClusterChange.ALL
    ):
        return ClusterChange(change_filter)
    raise InvalidParameterError(
        Win32Error.ERROR_INVALID_PARAMETER,
        f"notification filter must be a non-empty ClusterChange mask, not {change_filter!r}",
        fix=f"combine ClusterChange flags with |, e.g. {example}",
    )


def _check_timeout(seconds: object) -> float:
    """``receive_within``'s wait: a number of seconds, 0 or more; ``math.inf`` is INFINITE."""
    # NaN fails the comparison, so it is refused with the negative numbers.
    if isinstance(seconds, int | float) and not isinstance(seconds, bool) and seconds >= 0:
        return float(seconds)
    raise InvalidParameterError(
        Win32Error.ERROR_INVALID_PARAMETER,
        f"notify port: the time to wait must be a number of seconds, 0 or more, not {seconds!r}",
        fix="pass an int or float (math.inf waits until an event comes, as receive() does)",
    )


@attrs.frozen
class NotifyPortStatistics:
    """How many events a port has delivered and holds."""

    received: int
    buffered: int


@final
@attrs.define(eq=False)
class NotifyPort(AsyncResource, metaclass=NoPublicConstructor):
    """Change events of one cluster, in the order they happened (``CreateClusterNotifyPort``).

    Get one from :meth:`Cluster.notifications`; use it as an async context manager and an
    async iterator::

        async with cluster.notifications(ClusterChange.GROUP_STATE) as port:
            async for event in port:
                print(event.change.name, event.name)

    Every change of a matching kind is one event, emitted the moment it happens; none is
    dropped or merged.
    """

    _how_to_get = "use Cluster.notifications()"

    filter: ClusterChange
    _stream: NotificationStream = attrs.field(alias="stream")
    _received: int = attrs.field(default=0, init=False)
    _closed: bool = attrs.field(default=False, init=False)

    async def receive(self) -> Notification:
        """Wait for the next event (``GetClusterNotify`` with ``INFINITE``).

        Raises:
            HandleClosedError: if the port was closed.
        """
        self._check_open()
        try:
            event = await self._stream.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError) as exc:
            raise self._closed_error() from exc
        self._received += 1
        return event

    def receive_nowait(self) -> Notification:
        """The next event if one is queued (``GetClusterNotify`` with a 0 timeout).

        Raises:
            anyio.WouldBlock: if no event is queued (WAIT_TIMEOUT in the C API).
            HandleClosedError: if the port was closed.
        """
        self._check_open()
        try:
            event = self._stream.receive_nowait()
        except (anyio.EndOfStream, anyio.ClosedResourceError) as exc:
            raise self._closed_error() from exc
        self._received += 1
        return event

    async def receive_within(self, seconds: float) -> Notification:
        """The next event, waiting at most ``seconds`` (``GetClusterNotify`` with a timeout).

        Args:
            seconds: 0 or more; 0 takes only a queued event, ``math.inf`` waits as long as
                it takes (``INFINITE``, the same as :meth:`receive`).

        Raises:
            InvalidParameterError: ERROR_INVALID_PARAMETER for anything but an int or float
                of 0 or more (NaN and negative waits included: GetClusterNotify's timeout is
                an unsigned count of milliseconds).
            ClusterTimeoutError: WAIT_TIMEOUT if none came in time.
            HandleClosedError: if the port was closed.
        """
        timeout = _check_timeout(seconds)
        # A queued event is taken first: an expired deadline would cancel even a receive
        # that need not wait, and a 0 s wait must still return what is queued.
        with contextlib.suppress(anyio.WouldBlock):
            return self.receive_nowait()
        with anyio.move_on_after(timeout):
            return await self.receive()
        raise ClusterTimeoutError(
            Win32Error.WAIT_TIMEOUT,
            f"no change event within {timeout:g} s",
            fix="wait longer, or check that the port's filter matches what changes",
        )

    def statistics(self) -> NotifyPortStatistics:
        return NotifyPortStatistics(self._received, self._stream.statistics().current_buffer_used)

    async def aclose(self) -> None:
        """Close the port (``CloseClusterNotifyPort``). Idempotent."""
        if not self._closed:
            self._closed = True
            await self._stream.aclose()

    def _check_open(self) -> None:
        if self._closed:
            raise self._closed_error()

    def _closed_error(self) -> HandleClosedError:
        return HandleClosedError(
            Win32Error.ERROR_INVALID_HANDLE,
            "the notify port was closed",
            fix="open a new one with cluster.notifications()",
        )

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Notification:
        try:
            return await self.receive()
        except HandleClosedError:
            raise StopAsyncIteration from None


@attrs.define(eq=False)
class PortOpener:
    """What ``notifications(...)`` returns: awaitable (``port = await ...``), or an async
    context manager that closes the port on exit (``async with ... as port``)."""

    _execute: Callable[[Operation[NotificationStream]], Awaitable[NotificationStream]]
    _operation: Operation[NotificationStream]
    _filter: ClusterChange
    _port: NotifyPort | None = None

    async def _open(self) -> NotifyPort:
        stream = await self._execute(self._operation)
        return NotifyPort._create(filter=self._filter, stream=stream)

    def __await__(self) -> Generator[object, None, NotifyPort]:
        return self._open().__await__()

    async def __aenter__(self) -> NotifyPort:
        self._port = await self._open()
        return self._port

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._port is not None:
            await self._port.aclose()
