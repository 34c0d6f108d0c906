"""The gate of one resource instance: its entry points do not overlap (Terminate excepted).

One gate serves both hosts: :class:`~._host.ResourceHost` enters it with ``async with``;
:class:`~._process_host.ProcessHost` takes a :class:`Hold` whose release it can hand on to
whoever ends the work (its reader task, when a cancelled caller's request still runs in the
monitor process).
"""

from __future__ import annotations

import collections
import contextlib
from typing import TYPE_CHECKING

import anyio

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

__all__ = ("Gate", "Hold")


class Gate:
    """A mutex handed over in turn. Free, entering it costs two attribute writes; only callers
    that find it held make an Event and queue (an anyio.Lock allocates a deque per lock, which
    a monitor with thousands of resources pays for nothing).

    Example::

        async with gate:
            await resource.online()
    """

    __slots__ = ("_held", "_waiters")

    def __init__(self) -> None:
        self._held = False
        self._waiters: collections.deque[anyio.Event] | None = None

    async def acquire(self) -> None:
        """Wait for the turn (no checkpoint when the gate is free)."""
        if not self._held:
            self._held = True
            return
        if self._waiters is None:
            self._waiters = collections.deque()
        turn = anyio.Event()
        self._waiters.append(turn)
        try:
            await turn.wait()  # the releaser hands the gate over: _held stays True
        except BaseException:
            if turn.is_set():
                self.release()  # handed over as we were cancelled: pass it on
            else:
                self._waiters.remove(turn)
            raise

    def release(self) -> None:
        """Hand the turn to the next waiter, or free the gate."""
        if self._waiters:
            self._waiters.popleft().set()
        else:
            self._held = False

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(self, *exc_info: object) -> None:
        self.release()

    @contextlib.asynccontextmanager
    async def hold(self) -> AsyncIterator[Hold]:
        """The turn as a :class:`Hold`: released on exit unless marked ``deferred``, in which
        case whoever took it over calls :meth:`Hold.release`."""
        await self.acquire()
        hold = Hold(self)
        try:
            yield hold
        finally:
            if not hold.deferred:
                hold.release()


class Hold:
    """One caller's turn at a :class:`Gate`; :meth:`release` is idempotent."""

    __slots__ = ("deferred", "gate", "released")

    def __init__(self, gate: Gate) -> None:
        self.gate = gate
        #: Set when the work outlives the caller: the one who ends it releases.
        self.deferred = False
        self.released = False

    def release(self) -> None:
        if not self.released:
            self.released = True
            self.gate.release()
