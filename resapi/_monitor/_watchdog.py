"""PendingTimeout for many hosts: one task and one heap (:class:`~clusapi._timers.TimerQueue`).

A pending Online or Offline may run as long as it reports progress at least every
PendingTimeout. A CancelScope deadline would arm an event-loop timer per call; here a call is an
entry in the monitor's queue, and a progress report only moves the entry's deadline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from clusapi._core._timers import TimerQueue

if TYPE_CHECKING:
    from collections.abc import Callable

    import anyio
    from anyio.abc import TaskGroup

__all__ = ("PendingWatchdog", "Watch")


class Watch:
    """One watched call: its scope is cancelled if ``deadline`` passes while it is armed."""

    __slots__ = ("armed", "deadline", "expired", "scope")

    def __init__(self, scope: anyio.CancelScope, deadline: float) -> None:
        self.scope = scope
        self.deadline = deadline
        self.armed = True
        #: True once the watchdog cancelled the scope for passing its deadline.
        self.expired = False


def _due(watch: Watch) -> float | None:
    return watch.deadline if watch.armed else None


async def _expire(watch: Watch) -> None:
    watch.armed = False
    watch.expired = True
    watch.scope.cancel()


class PendingWatchdog:
    """Cancels the scopes of calls whose deadline passed."""

    __slots__ = ("_now", "_queue")

    def __init__(self, task_group: TaskGroup, now: Callable[[], float]) -> None:
        self._now = now
        self._queue: TimerQueue[Watch] = TimerQueue(task_group, now, _due, _expire)

    def watch(self, scope: anyio.CancelScope, timeout: float) -> Watch:
        """Cancel ``scope`` if ``timeout`` seconds pass without :meth:`extend`."""
        watch = Watch(scope, self._now() + timeout)
        self._queue.schedule(watch)
        return watch

    def extend(self, watch: Watch, timeout: float) -> None:
        """Progress: the deadline is now ``timeout`` from now."""
        deadline = self._now() + timeout
        earlier = deadline < watch.deadline
        watch.deadline = deadline
        if earlier:  # a later deadline is found lazily; an earlier one must be queued
            self._queue.schedule(watch)
