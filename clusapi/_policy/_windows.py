"""Sliding windows over event times: the counting that the restart, failover and retry rules share.

Windows are half-open, ``(now - period, now]``, and ages are compared in whole microseconds, so
float noise (``0.3 - 0.1 != 0.2``) cannot move an event across a boundary. The DWORD sentinels
(``0xFFFFFFFF`` or ``-1``) and the unit constants used by the other policy modules live here too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from collections.abc import Iterable

ALL_ONES = 0xFFFF_FFFF
SENTINELS = frozenset({-1, ALL_ONES})
US_PER_SECOND = 1_000_000
US_PER_MS = 1_000
US_PER_HOUR = 3_600 * US_PER_SECOND
HOURS_PER_DAY = 24


def age_us(now: float, then: float) -> int:
    """How long before ``now`` ``then`` was, in whole microseconds (negative: in the future)."""
    return round((now - then) * US_PER_SECOND)


def _in_window(age_us: int, period_us: int) -> bool:
    """Whether an event of this age falls in the window ``(now - period, now]``.

    An event at ``now`` itself always counts, even for a zero period.
    """
    return age_us == 0 or 0 < age_us < period_us


def count_within_us(times: Iterable[float], now: float, period_us: int) -> int:
    return sum(1 for t in times if _in_window(age_us(now, t), period_us))


def count_in_window(times: Iterable[float], now: float, period_seconds: float) -> int:
    """How many of ``times`` fall in the sliding window ``(now - period, now]``.

    Implements the sliding period of research clusapi.md §7.4 and resapi.md §5.5 item 3. An event
    at exactly ``now`` always counts (so a zero period still sees the current event); events
    after ``now`` never do. Ages are compared in whole microseconds.

    Args:
        times: Event times, seconds on the caller's clock, in any order.
        now: The current time on the same clock.
        period_seconds: The window length in seconds.

    Returns:
        The number of events in the window.
    """
    return count_within_us(times, now, round(period_seconds * US_PER_SECOND))


def prune_window(times: Iterable[float], now: float, period_seconds: float) -> tuple[float, ...]:
    """``times`` without the events that can never again fall in a window of this length.

    Keeps histories bounded (research resapi.md §5.5 item 3: "the count resets after the
    period"). Drops exactly the events whose age at ``now`` is at least the period, keeps the
    rest in their input order (including any after ``now``), so for every ``later >= now``
    ``count_in_window(prune_window(ts, now, p), later, p) == count_in_window(ts, later, p)``.

    Args:
        times: Event times, seconds.
        now: The current time.
        period_seconds: The window length in seconds.

    Returns:
        The events still inside or ahead of the window.
    """
    period_us = round(period_seconds * US_PER_SECOND)
    kept: list[float] = []
    for t in times:
        age = age_us(now, t)
        if age <= 0 or age < period_us:
            kept.append(t)
    return tuple(kept)


@attrs.frozen
class FailureHistory:
    """The recent failure (or failover) times of one resource (or group), oldest first.

    A value: :meth:`record` returns a new history with the event added and the events older than
    the period dropped (:func:`prune_window`), so it stays bounded.

    Example:
        >>> h = FailureHistory().record(0.0, 0.2).record(0.1, 0.2).record(0.25, 0.2)
        >>> h.times, h.count(0.25, 0.2)
        ((0.1, 0.25), 2)
    """

    times: tuple[float, ...] = ()

    def record(self, now: float, period_seconds: float) -> FailureHistory:
        """This history plus an event at ``now``, pruned to the window ending at ``now``."""
        return FailureHistory(prune_window((*self.times, now), now, period_seconds))

    def count(self, now: float, period_seconds: float) -> int:
        """How many events fall in ``(now - period, now]`` (:func:`count_in_window`)."""
        return count_in_window(self.times, now, period_seconds)
