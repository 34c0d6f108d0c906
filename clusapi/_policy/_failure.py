"""Restart and failover: what to do about a failed resource (RestartAction, RestartThreshold in a
sliding RestartPeriod, CannotComeOnline states), whether its group may fail over again
(FailoverThreshold per FailoverPeriod) and when to retry it (RetryPeriodOnFailure)."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from clusapi._enums import ResourceState, RestartAction

from ._windows import SENTINELS, US_PER_HOUR, US_PER_MS, age_us, count_within_us

if TYPE_CHECKING:
    from collections.abc import Sequence


class RestartDecision(enum.Enum):
    """What the failover manager does with a resource that has just failed."""

    RESTART = "restart"
    """Restart it on the same node (after RestartDelay)."""
    FAIL_OVER = "fail over"
    """Leave it Failed and try to fail its group over to another node (RestartNotify)."""
    STAY_FAILED = "stay failed"
    """Leave it Failed on this node; RetryPeriodOnFailure may bring it back later."""
    GIVE_UP = "give up"
    """Leave it Failed everywhere: no restart, no failover, no retry (it cannot come online on
    any node); only an administrator's online brings it back."""


def restart_decision(
    *,
    action: RestartAction,
    failure_times: Sequence[float],
    now: float,
    threshold: int,
    period_ms: int,
) -> RestartDecision:
    """What to do about a resource failure, from RestartAction, RestartThreshold and RestartPeriod.

    Implements research clusapi.md §4.2 and §7.4, and resapi.md §5.5 items 2-3. The failures
    counted are those in the sliding window ``(now - period, now]`` (the current one, at
    ``now``, always counts):

    * DONT_RESTART: STAY_FAILED;
    * count <= threshold: RESTART;
    * otherwise RESTART_NOTIFY: FAIL_OVER, and RESTART_NO_NOTIFY: STAY_FAILED.

    So threshold 2 / period 200 ms tolerates two failures in any 200 ms and the third makes the
    resource Failed (resapi.md §5.5), and threshold 0 restarts nothing. Whether the failover is
    then allowed is :func:`failover_allowed`'s question.

    Example:
        >>> restart_decision(action=RestartAction.RESTART_NOTIFY, failure_times=[0.0, 0.05, 0.1],
        ...                  now=0.1, threshold=2, period_ms=200).name
        'FAIL_OVER'

    Args:
        action: The resource's RestartAction.
        failure_times: Times of its failures, seconds, INCLUDING the current one at ``now``;
            failures older than the period are ignored, so an unpruned history is fine.
        now: The time of the current failure.
        threshold: RestartThreshold, failures tolerated per period.
        period_ms: RestartPeriod in milliseconds.

    Returns:
        The decision.
    """
    if action == RestartAction.DONT_RESTART:
        return RestartDecision.STAY_FAILED
    if count_within_us(failure_times, now, period_ms * US_PER_MS) <= threshold:
        return RestartDecision.RESTART
    if action == RestartAction.RESTART_NOTIFY:
        return RestartDecision.FAIL_OVER
    return RestartDecision.STAY_FAILED


CANNOT_COME_ONLINE_STATES: frozenset[ResourceState] = frozenset(
    {ResourceState.CANNOT_COME_ONLINE_ON_THIS_NODE, ResourceState.CANNOT_COME_ONLINE_ON_ANY_NODE}
)
"""The states an Online reports to say where trying again cannot help (resapi.h's
ClusterResourceCannotComeOnlineOnThisNode / ...OnAnyNode; research resapi.md §3)."""


def failure_decision(
    *,
    scope: ResourceState,
    action: RestartAction,
    failure_times: Sequence[float],
    now: float,
    threshold: int,
    period_ms: int,
) -> RestartDecision:
    """What to do about a resource failure that may say where the resource cannot come online.

    ``scope`` is what the failed Online reported (research resapi.md §3: the resapi.h states
    126 and 127, whose semantics MSCS leaves undocumented; these are the reference runtime's):

    * CANNOT_COME_ONLINE_ON_ANY_NODE: GIVE_UP, whatever RestartAction says: a restart or a
      failover would fail the same way (an OCF agent's ``OCF_ERR_CONFIGURED``);
    * CANNOT_COME_ONLINE_ON_THIS_NODE: never RESTART (it would fail the same way here, an OCF
      agent's ``OCF_ERR_INSTALLED``): RESTART_NOTIFY gives FAIL_OVER at once, without
      waiting for the restart threshold; RESTART_NO_NOTIFY and DONT_RESTART give STAY_FAILED
      (they ask that this resource's failures never move its group);
    * anything else (an ordinary failure, FAILED): :func:`restart_decision`.

    Where the failover may go is :class:`NodeExclusions`' question; whether it is allowed now,
    :func:`failover_allowed`'s.

    Example:
        >>> failure_decision(scope=ResourceState.CANNOT_COME_ONLINE_ON_THIS_NODE,
        ...                  action=RestartAction.RESTART_NOTIFY, failure_times=[0.0], now=0.0,
        ...                  threshold=1, period_ms=900_000).name
        'FAIL_OVER'

    Args:
        scope: The state the failed Online reported, or FAILED for an ordinary failure.
        action, failure_times, now, threshold, period_ms: as for :func:`restart_decision`.

    Returns:
        The decision.
    """
    if scope == ResourceState.CANNOT_COME_ONLINE_ON_ANY_NODE:
        return RestartDecision.GIVE_UP
    if scope == ResourceState.CANNOT_COME_ONLINE_ON_THIS_NODE:
        if action == RestartAction.RESTART_NOTIFY:
            return RestartDecision.FAIL_OVER
        return RestartDecision.STAY_FAILED
    return restart_decision(
        action=action,
        failure_times=failure_times,
        now=now,
        threshold=threshold,
        period_ms=period_ms,
    )


# --------------------------------------------------------------------------- failover policy


def effective_failover_threshold(threshold: int, node_count: int) -> int:
    """FailoverThreshold with its default resolved: 0xFFFFFFFF (or -1) means "nodes - 1".

    Implements research clusapi.md §4.1 and §7.4, resapi.md §5.6 and §9. The result is never
    negative, so a one-node cluster (or an empty one) allows no failover by default.

    Example:
        >>> effective_failover_threshold(0xFFFFFFFF, 3), effective_failover_threshold(5, 3)
        (2, 5)

    Args:
        threshold: The group's FailoverThreshold property.
        node_count: The number of nodes in the cluster.

    Returns:
        The number of failovers allowed per FailoverPeriod.
    """
    if threshold in SENTINELS:
        return max(node_count - 1, 0)
    return max(threshold, 0)


def failover_allowed(
    *,
    failover_times: Sequence[float],
    now: float,
    threshold: int,
    period_hours: int,
    node_count: int,
) -> bool:
    """Whether the group may fail over once more now, under FailoverThreshold/FailoverPeriod.

    Implements research clusapi.md §4.1 and §7.4 and resapi.md §5.6: at most
    :func:`effective_failover_threshold` failovers within FailoverPeriod hours; beyond that the
    service stops failing the group over. Allowed iff the past failovers in the window
    ``(now - period, now]`` are fewer than the threshold: with threshold 5, five failovers in
    the period are made and "the sixth time ... leaves the entire group offline" (2003 docs).

    Args:
        failover_times: Times of the group's PAST failovers, seconds (not the one being
            considered).
        now: The current time.
        threshold: The FailoverThreshold property (0xFFFFFFFF = nodes - 1).
        period_hours: The FailoverPeriod property, hours (default 6).
        node_count: The number of nodes in the cluster.

    Returns:
        ``True`` if one more failover is allowed now.
    """
    limit = effective_failover_threshold(threshold, node_count)
    return count_within_us(failover_times, now, period_hours * US_PER_HOUR) < limit


def retry_time(failed_at: float, retry_period_ms: int) -> float | None:
    """When a Failed resource is tried again, from RetryPeriodOnFailure.

    Implements research clusapi.md §4.2 and §7.4, resapi.md §5.5 item 4: after
    RetryPeriodOnFailure ms in Failed the service tries once more to bring it online;
    0xFFFFFFFF (or -1) means never.

    Args:
        failed_at: When the resource entered Failed, seconds.
        retry_period_ms: RetryPeriodOnFailure, milliseconds.

    Returns:
        The time of the retry, seconds on the same clock, or ``None`` for never.
    """
    if retry_period_ms in SENTINELS:
        return None
    return failed_at + retry_period_ms / 1000


def retry_due(*, failed_at: float, now: float, retry_period_ms: int) -> bool:
    """Whether a Failed resource's RetryPeriodOnFailure has run out (see :func:`retry_time`).

    Implements research clusapi.md §7.4 and resapi.md §5.5 item 4. Due once ``now`` has reached
    ``failed_at`` plus the period (inclusive, compared in whole microseconds); never for
    0xFFFFFFFF.
    """
    if retry_period_ms in SENTINELS:
        return False
    return age_us(now, failed_at) >= retry_period_ms * US_PER_MS
