"""One task that fires many timed items in time order (poll loops, pending timeouts).

The reference runtime has timers by the thousand: a poll schedule per online resource, a
PendingTimeout per pending call. An event-loop timer (or a task) for each costs more than the
work it guards, so each monitor keeps its items in one heap and one task sleeps until the
earliest is due. An item's due time is read again when it reaches the top of the heap, so
moving it later (a progress report) needs no heap work, and cancelling it is ``None``.
"""

from __future__ import annotations

import heapq
import itertools
import math
from typing import TYPE_CHECKING, Generic, TypeVar

import anyio

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from anyio.abc import TaskGroup

__all__ = ("TimerQueue",)

T = TypeVar("T")


class TimerQueue(Generic[T]):
    """Fires ``fire(item)`` when ``due(item)`` is reached, earliest first.

    Args:
        task_group: where the one task runs while items are queued.
        now: the clock.
        due: an item's current due time, or None once it is cancelled.
        fire: called (and awaited) when the item is due; it may :meth:`schedule` it again.
    """

    __slots__ = (
        "_due",
        "_fire",
        "_heap",
        "_now",
        "_running",
        "_seq",
        "_task_group",
        "_wake",
        "_wake_at",
    )

    def __init__(
        self,
        task_group: TaskGroup,
        now: Callable[[], float],
        due: Callable[[T], float | None],
        fire: Callable[[T], Awaitable[None]],
    ) -> None:
        self._task_group = task_group
        self._now = now
        self._due = due
        self._fire = fire
        self._heap: list[tuple[float, int, T]] = []
        self._seq = itertools.count()
        self._wake = anyio.Event()
        self._wake_at = math.inf
        self._running = False

    def schedule(self, item: T) -> None:
        """Queue ``item`` at its current due time (again, if it moved earlier)."""
        at = self._due(item)
        if at is None:
            return
        heapq.heappush(self._heap, (at, next(self._seq), item))
        if at < self._wake_at:
            self._wake.set()  # the task sleeps past this one: let it look again
        if not self._running:
            self._running = True
            self._task_group.start_soon(self._run)

    async def _run(self) -> None:
        heap = self._heap
        try:
            while heap:
                at, _, item = heap[0]
                current = self._due(item)
                if current is None:
                    heapq.heappop(heap)
                    continue
                if current != at:  # moved since it was queued: file it at its new time
                    heapq.heapreplace(heap, (current, next(self._seq), item))
                    continue
                now = self._now()
                if at > now:
                    self._wake = anyio.Event()
                    self._wake_at = at
                    with anyio.move_on_after(at - now):
                        await self._wake.wait()
                    self._wake_at = math.inf
                    continue
                heapq.heappop(heap)
                await self._fire(item)
        finally:
            self._running = False
