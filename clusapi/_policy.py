"""The failover manager's rules: pure policy that both backends use (the reference runtime's
Failover Manager, and the Pacemaker backend's group states and dependency checks).

Placement, the restart threshold in a sliding period, the failover threshold per period, retry
after failure, the nodes a resource cannot come online on, failback windows, derived group
state and dependency ordering, as plain functions
over plain data (DESIGN.md, "Policy is pure"). Nothing here does I/O, touches an event loop or
reads a clock: time comes in as float seconds on whatever clock the caller uses, so the same
rules serve the in-process runtime on virtual time and a multi-machine one on real time.

Conventions:

* Nodes and resources are named by plain strings compared exactly; callers pass canonical ids
  (MSCS names are case-insensitive, so fold them before calling).
* DWORD properties whose all-ones value is a sentinel (``FailoverThreshold``,
  ``RetryPeriodOnFailure``, ``FailbackWindowStart/End``) accept both ``0xFFFFFFFF`` and ``-1``,
  because the failback bounds are LONG-signed in MSCS and the others are read back as DWORDs.
* Sliding windows are half-open, ``(now - period, now]``, and ages are compared in whole
  microseconds, so float noise (``0.3 - 0.1 != 0.2``) cannot move an event across a boundary.
  Every period in MSCS is whole milliseconds or hours, so nothing is lost.
* Rule violations that mean a caller bug (a dependency cycle handed to :func:`online_layers`,
  an hour outside 0-23) raise :class:`ValueError`; property validation lives elsewhere.
"""

from __future__ import annotations

import enum
from collections import deque
from typing import TYPE_CHECKING

import attrs

from clusapi._enums import FailbackType, GroupState, ResourceState, RestartAction

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Mapping, Sequence

__all__ = (
    "CANNOT_COME_ONLINE_STATES",
    "PENDING_STATES",
    "FailureHistory",
    "NodeExclusions",
    "RestartDecision",
    "best_node",
    "can_be_dependent",
    "candidate_nodes",
    "count_in_window",
    "dependency_closure",
    "derive_group_state",
    "effective_failover_threshold",
    "failback_window_open",
    "failover_allowed",
    "failure_decision",
    "hour_of_day",
    "invert_dependencies",
    "offline_layers",
    "online_layers",
    "prune_window",
    "restart_decision",
    "retry_due",
    "retry_time",
    "seconds_until_failback_window",
    "should_fail_back",
    "transitive_dependencies",
    "transitive_dependents",
    "would_create_cycle",
)

_ALL_ONES = 0xFFFF_FFFF
_SENTINELS = frozenset({-1, _ALL_ONES})
_US_PER_SECOND = 1_000_000
_US_PER_MS = 1_000
_US_PER_HOUR = 3_600 * _US_PER_SECOND
_HOURS_PER_DAY = 24

PENDING_STATES: frozenset[ResourceState] = frozenset(
    {
        ResourceState.ONLINE_PENDING,
        ResourceState.OFFLINE_PENDING,
        ResourceState.PENDING,
        ResourceState.INITIALIZING,
        ResourceState.INHERITED,
    }
)
"""Resource states that make a group Pending: the generic and specific pending states and the
transient service states Inherited and Initializing (research clusapi.md §3)."""


# --------------------------------------------------------------------------- group state


def derive_group_state(states: Iterable[ResourceState]) -> GroupState:
    """The state of a group, derived from the states of its resources.

    Implements research clusapi.md §3 ("State meanings") and §7.1 (CMRP ApiGetGroupState):
    Failed > Pending > PartialOnline > Online > Offline, and an empty group is Offline.

    * FAILED if any resource is Failed;
    * else PENDING if any is in :data:`PENDING_STATES`;
    * else ONLINE if every resource is Online;
    * else PARTIAL_ONLINE if at least one is Online;
    * else OFFLINE.

    Documented choice: the remaining states (UNKNOWN and the undocumented
    CANNOT_COME_ONLINE_ON_ANY_NODE / _ON_THIS_NODE) count as "not online", like Offline, so
    ``[ONLINE, UNKNOWN]`` is PartialOnline and ``[UNKNOWN]`` is Offline.

    Example:
        >>> derive_group_state([ResourceState.ONLINE, ResourceState.OFFLINE]).name
        'PARTIAL_ONLINE'

    Args:
        states: The states of the group's resources, in any order.

    Returns:
        The derived group state; never UNKNOWN.
    """
    any_pending = False
    online = 0
    total = 0
    for state in states:
        if state == ResourceState.FAILED:
            return GroupState.FAILED
        total += 1
        if state in PENDING_STATES:
            any_pending = True
        elif state == ResourceState.ONLINE:
            online += 1
    if any_pending:
        return GroupState.PENDING
    if online == 0:
        return GroupState.OFFLINE
    if online == total:
        return GroupState.ONLINE
    return GroupState.PARTIAL_ONLINE


# --------------------------------------------------------------------------- placement


def candidate_nodes(
    *,
    preferred: Sequence[str],
    nodes: Sequence[str],
    possible_owners: Iterable[Collection[str] | None],
    up: Collection[str],
    paused: Collection[str],
    exclude: Collection[str] = (),
) -> list[str]:
    """The nodes a group may be placed on, best first.

    Implements research clusapi.md §7.3 step 2, §7.6 and §7.7, and resapi.md §5.6 step 2: a
    group goes to the most preferred node that is up, not paused, and a possible owner of every
    one of its resources.

    Order: the preferred owners in their list order, then the other cluster nodes in ``nodes``
    order. Documented choice: non-preferred nodes are used after the preferred ones, because
    MSCS fails a group over to the other possible owners when no preferred owner is available
    (the preferred list ranks nodes; it does not restrict them).

    Filters: a node is kept only if it is in ``nodes`` (preferred entries naming evicted or
    unknown nodes are skipped), in ``up``, not in ``paused``, not in ``exclude``, and in every
    possible-owner set (``None`` means "all nodes", the default for a new resource). Duplicates
    appear once. For the §7.7 last resort ("no Up node remains: groups move to a paused node but
    stay offline"), call again with ``paused=()``.

    Example:
        >>> candidate_nodes(preferred=["N2"], nodes=["N1", "N2", "N3"],
        ...                 possible_owners=[None, {"N1", "N2"}], up={"N1", "N2", "N3"},
        ...                 paused=())
        ['N2', 'N1']

    Args:
        preferred: The group's preferred owners, most preferred first.
        nodes: Every node of the cluster, in enumeration order.
        possible_owners: One entry per resource of the group: its possible owners, or ``None``
            for all nodes. An empty group has no constraint.
        up: Nodes that are Up (or Paused: they are filtered by ``paused``).
        paused: Nodes that are Paused.
        exclude: Nodes to skip, typically the node the group is failing over from.

    Returns:
        The eligible nodes, best first; empty if none qualifies.
    """
    owner_sets = [frozenset(owners) for owners in possible_owners if owners is not None]
    members = set(nodes)
    ordered = dict.fromkeys([*preferred, *nodes])
    return [
        node
        for node in ordered
        if node in members
        and node in up
        and node not in paused
        and node not in exclude
        and all(node in owners for owners in owner_sets)
    ]


def best_node(
    *,
    preferred: Sequence[str],
    nodes: Sequence[str],
    possible_owners: Iterable[Collection[str] | None],
    up: Collection[str],
    paused: Collection[str],
    exclude: Collection[str] = (),
) -> str | None:
    """The node a group moves or fails over to when no target is given.

    Implements research clusapi.md §7.3 step 2 (MoveClusterGroup with a NULL target: "the most
    preferred active node that is a possible owner of every resource"): the first of
    :func:`candidate_nodes`, with the same arguments and documented choices.

    Returns:
        The best eligible node, or ``None`` if no node qualifies (MoveClusterGroup then fails).
    """
    candidates = candidate_nodes(
        preferred=preferred,
        nodes=nodes,
        possible_owners=possible_owners,
        up=up,
        paused=paused,
        exclude=exclude,
    )
    return candidates[0] if candidates else None


# --------------------------------------------------------------------------- sliding windows


def _age_us(now: float, then: float) -> int:
    """How long before ``now`` ``then`` was, in whole microseconds (negative: in the future)."""
    return round((now - then) * _US_PER_SECOND)


def _in_window(age_us: int, period_us: int) -> bool:
    """Whether an event of this age falls in the window ``(now - period, now]``.

    An event at ``now`` itself always counts, even for a zero period.
    """
    return age_us == 0 or 0 < age_us < period_us


def _count(times: Iterable[float], now: float, period_us: int) -> int:
    return sum(1 for t in times if _in_window(_age_us(now, t), period_us))


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
    return _count(times, now, round(period_seconds * _US_PER_SECOND))


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
    period_us = round(period_seconds * _US_PER_SECOND)
    kept: list[float] = []
    for t in times:
        age = _age_us(now, t)
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


# --------------------------------------------------------------------------- restart policy


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
    if _count(failure_times, now, period_ms * _US_PER_MS) <= threshold:
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


@attrs.frozen
class NodeExclusions:
    """Where one resource must not be brought online automatically, after an Online of it
    reported that it cannot come online there (:data:`CANNOT_COME_ONLINE_STATES`).

    A value, like :class:`FailureHistory`: :meth:`record` returns a new one. The failover
    manager keeps one per resource and consults it for every online it starts by itself
    (restart, failover, node-down failover, failback, retry, restore after an outage):

    * ``nodes``: the nodes where it cannot come online (CANNOT_COME_ONLINE_ON_THIS_NODE). For
      placement they count as removed from its possible owners (:meth:`possible_owners`), so
      its group goes elsewhere; the configured PossibleOwners are not changed.
    * ``all_nodes``: it cannot come online on any node (CANNOT_COME_ONLINE_ON_ANY_NODE). It
      stays Failed; its group is still placed as before (the other resources can run).

    Documented choice (mirroring Pacemaker, which bans a node after ``OCF_ERR_INSTALLED`` until
    ``crm_resource --cleanup``): nothing expires by itself; an administrator's online of the
    resource or its group, or a move of the group, starts from an empty value again.

    Example:
        >>> e = NodeExclusions().record(ResourceState.CANNOT_COME_ONLINE_ON_THIS_NODE, "N1")
        >>> e.allows("N1"), e.allows("N2"), sorted(e.possible_owners(None, ["N1", "N2"]))
        (False, True, ['N2'])
    """

    nodes: frozenset[str] = frozenset()
    all_nodes: bool = False

    def __bool__(self) -> bool:
        """True if it excludes anything."""
        return self.all_nodes or bool(self.nodes)

    def record(self, state: ResourceState, node: str) -> NodeExclusions:
        """This value plus what an Online on ``node`` reported; other states change nothing."""
        if state == ResourceState.CANNOT_COME_ONLINE_ON_ANY_NODE:
            return attrs.evolve(self, all_nodes=True)
        if state == ResourceState.CANNOT_COME_ONLINE_ON_THIS_NODE:
            return attrs.evolve(self, nodes=self.nodes | {node})
        return self

    def allows(self, node: str) -> bool:
        """Whether the resource may be brought online on ``node`` automatically."""
        return not self.all_nodes and node not in self.nodes

    def without_node(self, node: str) -> NodeExclusions:
        """This value without ``node`` (it was evicted)."""
        return attrs.evolve(self, nodes=self.nodes - {node})

    def possible_owners(
        self, configured: Collection[str] | None, nodes: Iterable[str]
    ) -> frozenset[str] | None:
        """The possible owners to place the resource's group by: ``configured`` (``None``:
        every node in ``nodes``) without the excluded nodes; ``None`` when that is every node.

        ``all_nodes`` does not restrict placement (see the class docstring).
        """
        if not self.nodes:
            return None if configured is None else frozenset(configured)
        base = nodes if configured is None else configured
        return frozenset(n for n in base if n not in self.nodes)


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
    if threshold in _SENTINELS:
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
    return _count(failover_times, now, period_hours * _US_PER_HOUR) < limit


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
    if retry_period_ms in _SENTINELS:
        return None
    return failed_at + retry_period_ms / 1000


def retry_due(*, failed_at: float, now: float, retry_period_ms: int) -> bool:
    """Whether a Failed resource's RetryPeriodOnFailure has run out (see :func:`retry_time`).

    Implements research clusapi.md §7.4 and resapi.md §5.5 item 4. Due once ``now`` has reached
    ``failed_at`` plus the period (inclusive, compared in whole microseconds); never for
    0xFFFFFFFF.
    """
    if retry_period_ms in _SENTINELS:
        return False
    return _age_us(now, failed_at) >= retry_period_ms * _US_PER_MS


# --------------------------------------------------------------------------- failback


def _check_hour(name: str, value: int) -> None:
    if not 0 <= value < _HOURS_PER_DAY:
        raise ValueError(f"{name} must be an hour of the day, 0-23 (or -1 for none); got {value!r}")


def _window_bounds(start: int, end: int) -> tuple[int, int] | None:
    """``(start, end)`` if a failback window exists, ``None`` if either bound is unset."""
    if start in _SENTINELS or end in _SENTINELS:
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
    hours = ((now - midnight) / 3600) % _HOURS_PER_DAY
    return 0.0 if hours >= _HOURS_PER_DAY else hours  # -tiny % 24 rounds up to 24.0


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
    if not 0 <= now_hour_float < _HOURS_PER_DAY:
        raise ValueError(f"now_hour_float must be in [0, 24); got {now_hour_float!r}")
    if failback_window_open(int(now_hour_float), start, end):
        return 0.0
    return ((start - now_hour_float) % _HOURS_PER_DAY) * 3600


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


# --------------------------------------------------------------------------- dependencies


def invert_dependencies(depends_on: Mapping[str, Collection[str]]) -> dict[str, set[str]]:
    """The "provides" map (resource -> its dependents) of a "depends on" map.

    Mirrors the two directions of CLUSTER_RESOURCE_ENUM, DEPENDS and PROVIDES (research
    clusapi.md §2.4). Resources with no dependents are absent.
    """
    provides: dict[str, set[str]] = {}
    for dependent, providers in depends_on.items():
        for provider in providers:
            provides.setdefault(provider, set()).add(dependent)
    return provides


def _reachable(start: str, edges: Mapping[str, Collection[str]]) -> set[str]:
    """Everything reachable from ``start`` by one or more edges (``start`` only via a cycle)."""
    seen: set[str] = set()
    todo = deque(edges.get(start, ()))
    while todo:
        node = todo.popleft()
        if node not in seen:
            seen.add(node)
            todo.extend(edges.get(node, ()))
    return seen


def transitive_dependencies(resource: str, depends_on: Mapping[str, Collection[str]]) -> set[str]:
    """Everything ``resource`` depends on, directly or through other resources.

    Implements research clusapi.md §7.1 (a resource comes online only after all its
    dependencies) and resapi.md §5.7. The result contains ``resource`` itself only if it lies on
    a cycle.

    Args:
        resource: The dependent resource.
        depends_on: Each resource's direct dependencies (its providers).

    Returns:
        The set of transitive dependencies.
    """
    return _reachable(resource, depends_on)


def transitive_dependents(resource: str, provides: Mapping[str, Collection[str]]) -> set[str]:
    """Everything that depends on ``resource``, directly or through other resources.

    Implements research clusapi.md §7.1 (offline takes dependents down first) and resapi.md
    §5.7. The result contains ``resource`` itself only if it lies on a cycle.

    Args:
        resource: The provider resource.
        provides: Each resource's direct dependents (:func:`invert_dependencies`).

    Returns:
        The set of transitive dependents.
    """
    return _reachable(resource, provides)


def dependency_closure(
    start: str,
    depends_on: Mapping[str, Collection[str]],
    provides: Mapping[str, Collection[str]] | None = None,
) -> set[str]:
    """The whole dependency tree ``start`` belongs to, following edges in both directions.

    Implements research clusapi.md §2.4: ChangeClusterResourceGroup moves a resource "and its
    whole dependency tree" (every resource connected to it by dependencies either way).

    Args:
        start: A resource.
        depends_on: Each resource's direct dependencies.
        provides: Each resource's direct dependents; derived from ``depends_on`` if omitted.
            Edges in either map are followed, so an inconsistent pair still finds everything.

    Returns:
        The connected resources, including ``start``.
    """
    if provides is None:
        provides = invert_dependencies(depends_on)
    seen = {start}
    todo = deque([start])
    while todo:
        node = todo.popleft()
        for neighbour in (*depends_on.get(node, ()), *provides.get(node, ())):
            if neighbour not in seen:
                seen.add(neighbour)
                todo.append(neighbour)
    return seen


def would_create_cycle(
    depends_on: Mapping[str, Collection[str]], dependent: str, provider: str
) -> bool:
    """Whether making ``dependent`` depend on ``provider`` would close a dependency cycle.

    Implements research clusapi.md §7.1 (AddClusterResourceDependency: a cycle fails with
    ERROR_CIRCULAR_DEPENDENCY; a self-dependency is also refused, with ERROR_INVALID_PARAMETER
    per the protocol). True when they are the same resource or ``provider`` already depends,
    transitively, on ``dependent``.

    Example:
        >>> would_create_cycle({"B": {"A"}}, "A", "B"), would_create_cycle({}, "A", "A")
        (True, True)
    """
    return dependent == provider or dependent in transitive_dependencies(provider, depends_on)


def can_be_dependent(
    *,
    dependent: str,
    provider: str,
    group_of: Mapping[str, str],
    depends_on: Mapping[str, Collection[str]],
) -> bool:
    """Whether ``dependent`` may be made to depend on ``provider``.

    Mirrors ``CanResourceBeDependent(hResource, hResourceDependent)`` (research clusapi.md §2.4
    and §7.1): TRUE iff both are in the same group and ``provider`` does not (transitively)
    depend on ``dependent``; a resource cannot depend on itself. Whether the dependency already
    exists (ERROR_DEPENDENCY_ALREADY_EXISTS) or the dependent is the quorum resource is not
    part of this check.

    Args:
        dependent: The resource that would depend (``hResource``).
        provider: The resource it would depend on (``hResourceDependent``).
        group_of: Each resource's group; a resource missing from it can depend on nothing.
        depends_on: Each resource's current direct dependencies.

    Returns:
        ``True`` if the dependency may be added.
    """
    group = group_of.get(dependent)
    if group is None or group_of.get(provider) != group:
        return False
    return not would_create_cycle(depends_on, dependent, provider)


def _layers(order: list[str], before: Mapping[str, set[str]]) -> list[list[str]]:
    """Kahn's algorithm by levels: a node goes in the first layer after all of ``before[node]``."""
    placed: set[str] = set()
    remaining = order
    layers: list[list[str]] = []
    while remaining:
        layer = [r for r in remaining if before[r] <= placed]
        if not layer:
            raise ValueError(
                f"the dependencies among {remaining!r} contain a cycle, so they have no "
                "online/offline order; remove a dependency (the runtime refuses cycles with "
                "would_create_cycle)"
            )
        layers.append(layer)
        placed.update(layer)
        remaining = [r for r in remaining if r not in placed]
    return layers


def online_layers(
    resources: Collection[str], depends_on: Mapping[str, Collection[str]]
) -> list[list[str]]:
    """The order to bring resources online: layers, each depending only on earlier layers.

    Implements research clusapi.md §7.1 and resapi.md §5.6 step 3 and §5.7: a resource comes
    online only after all its dependencies are online. Each resource is in the earliest layer
    possible (layer 0: no dependencies), so a layer's members can be brought online together.
    Within a layer, resources keep the order of ``resources`` (pass a sequence, not a set, for
    a reproducible order); duplicates appear once.

    Documented choice: dependencies on resources outside ``resources`` are ignored, so a caller
    can order a subset (e.g. only the resources returning to their persistent state Online).

    Example:
        >>> online_layers(["Share", "Name", "IP", "Disk"],
        ...               {"Share": {"Name", "Disk"}, "Name": {"IP"}})
        [['IP', 'Disk'], ['Name'], ['Share']]

    Args:
        resources: The resources to order.
        depends_on: Each resource's direct dependencies.

    Returns:
        The layers, first to bring online first; empty for no resources.

    Raises:
        ValueError: if the dependencies among ``resources`` contain a cycle.
    """
    order = list(dict.fromkeys(resources))
    members = set(order)
    before = {r: {d for d in depends_on.get(r, ()) if d in members} for r in order}
    return _layers(order, before)


def offline_layers(
    resources: Collection[str], depends_on: Mapping[str, Collection[str]]
) -> list[list[str]]:
    """The order to take resources offline: dependents first, then what they depend on.

    Implements research clusapi.md §7.1 and resapi.md §5.6 step 1 and §5.7: offline takes
    dependents down first. The mirror of :func:`online_layers` over the reversed edges: layer 0
    holds the resources nothing (in ``resources``) depends on, and each resource is in the
    earliest layer after all its dependents, so an unrelated resource goes offline at once
    rather than waiting for the deepest chain. Same ordering, subset and cycle rules.

    Example:
        >>> offline_layers(["Share", "Name", "IP", "Disk"],
        ...                {"Share": {"Name", "Disk"}, "Name": {"IP"}})
        [['Share'], ['Name', 'Disk'], ['IP']]

    Raises:
        ValueError: if the dependencies among ``resources`` contain a cycle.
    """
    order = list(dict.fromkeys(resources))
    members = set(order)
    dependents: dict[str, set[str]] = {r: set() for r in order}
    for r in order:
        for provider in depends_on.get(r, ()):
            if provider in members:
                dependents[provider].add(r)
    return _layers(order, dependents)
