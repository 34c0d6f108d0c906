"""Failback: whether and when a group returns to a preferred owner (AutoFailbackType and the
failback window, which may wrap past midnight)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clusapi._enums import FailbackType

from ._windows import HOURS_PER_DAY, SENTINELS

if TYPE_CHECKING:
    from collections.abc import Sequence


def _check_hour(name: str, value: int) -> None:
    if not 0 <= value < HOURS_PER_DAY:
        raise ValueError(f"{name} must be an hour of the day, 0-23 (or -1 for none); got {value!r}")


def _window_bounds(start: int, end: int) -> tuple[int, int] | None:
    """``(start, end)`` if a failback window exists, ``None`` if either bound is unset."""
    if start in SENTINELS or end in SENTINELS:
        return None
    _check_hour("FailbackWindowStart", start)
    _check_hour("FailbackWindowEnd", end)
    return start, end


def failback_window_open(hour: int, start: int, end: int) -> bool:
    """Whether failback may happen during this hour of the day (local cluster time).

    Implements research clusapi.md §4.1 and §7.5, resapi.md §5.6. A window exists only if both
    FailbackWindowStart and FailbackWindowEnd are set; either one -1 (0xFFFFFFFF) means no
    window: failback is always allowed.

    Documented choices (MSCS says only "between the hours of FailbackWindowStart and
    FailbackWindowEnd"; its property pages read 23 as "11:00 P.M.", i.e. the bounds are clock
    times, so the window is ``[start:00, end:00)``):

    * ``start < end``: open for ``start <= hour < end``;
    * ``start > end``: wraps past midnight, open for ``hour >= start or hour < end`` (the
      research marks wrap-around as undocumented and says to treat it as wrapping);
    * ``start == end``: a one-hour window, ``[start:00, start+1:00)``, rather than an empty one,
      so a set window never silently means "never fail back".

    Example:
        >>> failback_window_open(23, 22, 6), failback_window_open(6, 22, 6)
        (True, False)

    Args:
        hour: The current local hour, 0-23.
        start: FailbackWindowStart, 0-23 or -1/0xFFFFFFFF.
        end: FailbackWindowEnd, 0-23 or -1/0xFFFFFFFF.

    Returns:
        ``True`` if failback may happen now.

    Raises:
        ValueError: if ``hour``, or a bound that is not the sentinel, is outside 0-23.
    """
    _check_hour("hour", hour)
    bounds = _window_bounds(start, end)
    if bounds is None:
        return True
    start, end = bounds
    if start < end:
        return start <= hour < end
    if start > end:
        return hour >= start or hour < end
    return hour == start


def hour_of_day(now: float, *, midnight: float = 0.0) -> float:
    """The local hour of day, ``[0, 24)``, at clock time ``now``.

    A helper for :func:`failback_window_open` and :func:`seconds_until_failback_window`
    (research clusapi.md §7.5, "local cluster time"): the clock is abstract, so the caller says
    at which clock time some local midnight fell (by default, time 0 is midnight).

    Example:
        >>> hour_of_day(90_000.0)
        1.0

    Args:
        now: The current time, seconds.
        midnight: A clock time, seconds, at which it was local midnight.

    Returns:
        Hours since the most recent local midnight.
    """
    hours = ((now - midnight) / 3600) % HOURS_PER_DAY
    return 0.0 if hours >= HOURS_PER_DAY else hours  # -tiny % 24 rounds up to 24.0


def seconds_until_failback_window(*, now_hour_float: float, start: int, end: int) -> float:
    """How long until the failback window next opens; 0 if it is open (or there is none).

    Implements research clusapi.md §7.5 with the choices of :func:`failback_window_open`: the
    window is open at a fractional hour ``h`` iff it is open at ``floor(h)``, and otherwise it
    next opens at ``start:00``, today or tomorrow.

    Example:
        >>> seconds_until_failback_window(now_hour_float=12.5, start=22, end=6)
        34200.0

    Args:
        now_hour_float: The current local hour of day, ``[0, 24)`` (see :func:`hour_of_day`).
        start: FailbackWindowStart, 0-23 or -1/0xFFFFFFFF.
        end: FailbackWindowEnd, 0-23 or -1/0xFFFFFFFF.

    Returns:
        Seconds until failback may happen.

    Raises:
        ValueError: if ``now_hour_float`` is outside ``[0, 24)`` or a set bound is outside 0-23.
    """
    if not 0 <= now_hour_float < HOURS_PER_DAY:
        raise ValueError(f"now_hour_float must be in [0, 24); got {now_hour_float!r}")
    if failback_window_open(int(now_hour_float), start, end):
        return 0.0
    return ((start - now_hour_float) % HOURS_PER_DAY) * 3600


def should_fail_back(
    *,
    auto_failback: FailbackType,
    preferred: Sequence[str],
    current_owner: str | None,
    returning_node: str,
) -> bool:
    """Whether a node coming back should pull the group back to itself (ignoring the window).

    Implements research clusapi.md §4.1 and §7.5, resapi.md §5.6: failback only with
    AutoFailbackType = AllowFailback **and** a preferred-owners list, and only toward a node
    that ranks higher in that list than the current owner (or when the current owner is not in
    the list at all, or there is none). The hour window is a separate question
    (:func:`failback_window_open`, :func:`seconds_until_failback_window`), as is whether the
    returning node can host the group (:func:`candidate_nodes`).

    Example:
        >>> should_fail_back(auto_failback=FailbackType.ALLOW_FAILBACK, preferred=["N1", "N2"],
        ...                  current_owner="N2", returning_node="N1")
        True

    Args:
        auto_failback: The group's AutoFailbackType.
        preferred: The group's preferred owners, most preferred first.
        current_owner: The node that owns the group now, if any.
        returning_node: The node that has just become active.

    Returns:
        ``True`` if the group should fail back to ``returning_node``.
    """
    if auto_failback != FailbackType.ALLOW_FAILBACK or not preferred:
        return False
    if returning_node not in preferred or returning_node == current_owner:
        return False
    if current_owner is None or current_owner not in preferred:
        return True
    return preferred.index(returning_node) < preferred.index(current_owner)
