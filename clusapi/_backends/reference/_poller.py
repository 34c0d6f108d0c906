"""A Resource Monitor's poll loop: LooksAlive and IsAlive of every online resource it hosts.

One task and one heap per monitor (:class:`~clusapi._timers.TimerQueue`) instead of one task
per resource: polls run one after another, as in a Resource Monitor process, which is why
LooksAlive and IsAlive have a 300 ms budget and unstable resources get a separate monitor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from clusapi._core._timers import TimerQueue
from clusapi._enums import ResourceState

if TYPE_CHECKING:
    from collections.abc import Callable

    from anyio.abc import TaskGroup

    from resapi._monitor._host import InstanceHost

__all__ = ("Poller",)


class _Polled:
    __slots__ = ("active", "host", "is_interval", "looks_interval", "next_is", "next_looks")

    def __init__(self, host: InstanceHost, looks: float, thorough: float, now: float) -> None:
        self.host = host
        self.looks_interval = looks
        self.is_interval = thorough
        self.next_looks = now + looks
        self.next_is = now + thorough
        self.active = True


def _due(entry: _Polled) -> float | None:
    if not entry.active or entry.host.state is not ResourceState.ONLINE:
        return None  # it went offline or failed: its polls end
    return min(entry.next_looks, entry.next_is)


class Poller:
    """Polls the health of the hosts added to it, each at its own two intervals."""

    __slots__ = ("_now", "_queue")

    def __init__(self, task_group: TaskGroup, now: Callable[[], float]) -> None:
        self._now = now
        self._queue: TimerQueue[_Polled] = TimerQueue(task_group, now, _due, self._poll)

    def add(self, host: InstanceHost, looks_interval: float, is_interval: float) -> None:
        """Start polling ``host`` (seconds between LooksAlive calls and between IsAlive calls)."""
        self._queue.schedule(_Polled(host, looks_interval, is_interval, self._now()))

    async def _poll(self, entry: _Polled) -> None:
        thorough = self._now() >= entry.next_is
        if not await entry.host.check_health(thorough=thorough):
            entry.active = False
            return
        now = self._now()
        entry.next_looks = now + entry.looks_interval
        if thorough:
            entry.next_is = now + entry.is_interval
        self._queue.schedule(entry)
