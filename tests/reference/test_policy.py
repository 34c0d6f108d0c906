"""Tests for ``clusapi._policy``: the failover manager's pure rules.

Plain synchronous tests, no event loop: every rule is a function over plain data. Examples come
from the research notes (../shared/research/clusapi.md §3, §4, §7; resapi.md §5.5-5.7, §9).
"""

from __future__ import annotations

import doctest
import importlib
import itertools
import pkgutil

import attrs
import pytest
from hypothesis import given, strategies as st

import clusapi._policy
from clusapi._enums import FailbackType, GroupState, ResourceState, RestartAction
from clusapi._policy import (
    PENDING_STATES,
    FailureHistory,
    RestartDecision,
    best_node,
    can_be_dependent,
    candidate_nodes,
    count_in_window,
    dependency_closure,
    derive_group_state,
    effective_failover_threshold,
    failback_window_open,
    failover_allowed,
    hour_of_day,
    invert_dependencies,
    offline_layers,
    online_layers,
    prune_window,
    restart_decision,
    retry_due,
    retry_time,
    seconds_until_failback_window,
    should_fail_back,
    transitive_dependencies,
    transitive_dependents,
    would_create_cycle,
)

RS = ResourceState
NEVER = 0xFFFFFFFF


def test_doctests_pass():
    # The policy is a package of one module per subject; run every module's doctests.
    failures = tried = 0
    for info in pkgutil.iter_modules(clusapi._policy.__path__):
        module = importlib.import_module(f"clusapi._policy.{info.name}")
        result = doctest.testmod(module, raise_on_error=False)
        failures += result.failed
        tried += result.attempted
    assert tried > 0
    assert failures == 0


def test_all_is_a_tuple_of_the_public_names():
    module = clusapi._policy
    assert isinstance(module.__all__, tuple)
    assert len(set(module.__all__)) == len(module.__all__)
    for name in module.__all__:
        assert hasattr(module, name), name


# --------------------------------------------------------------------------- group state


def test_empty_group_is_offline():
    assert derive_group_state([]) is GroupState.OFFLINE


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        ([RS.ONLINE], GroupState.ONLINE),
        ([RS.ONLINE, RS.ONLINE, RS.ONLINE], GroupState.ONLINE),
        ([RS.OFFLINE, RS.OFFLINE], GroupState.OFFLINE),
        ([RS.ONLINE, RS.OFFLINE], GroupState.PARTIAL_ONLINE),
        ([RS.OFFLINE, RS.ONLINE, RS.OFFLINE], GroupState.PARTIAL_ONLINE),
        ([RS.ONLINE, RS.ONLINE_PENDING], GroupState.PENDING),
        ([RS.OFFLINE, RS.OFFLINE_PENDING], GroupState.PENDING),
        ([RS.ONLINE, RS.PENDING], GroupState.PENDING),
        ([RS.INITIALIZING], GroupState.PENDING),
        ([RS.INHERITED, RS.ONLINE], GroupState.PENDING),
        ([RS.FAILED], GroupState.FAILED),
        # Failed beats everything, wherever it appears.
        ([RS.ONLINE, RS.ONLINE_PENDING, RS.FAILED], GroupState.FAILED),
        ([RS.FAILED, RS.OFFLINE_PENDING], GroupState.FAILED),
        # Documented choice: other states count as "not online".
        ([RS.ONLINE, RS.UNKNOWN], GroupState.PARTIAL_ONLINE),
        ([RS.UNKNOWN], GroupState.OFFLINE),
        ([RS.CANNOT_COME_ONLINE_ON_THIS_NODE, RS.OFFLINE], GroupState.OFFLINE),
    ],
)
def test_derive_group_state(states, expected):
    assert derive_group_state(states) is expected
    assert derive_group_state(reversed(states)) is expected  # order does not matter
    assert derive_group_state(iter(states)) is expected  # a one-shot iterable is enough


def test_pending_states_are_the_documented_five():
    assert {
        RS.ONLINE_PENDING,
        RS.OFFLINE_PENDING,
        RS.PENDING,
        RS.INITIALIZING,
        RS.INHERITED,
    } == PENDING_STATES


@given(st.lists(st.sampled_from(list(ResourceState))))
def test_derive_group_state_priority(states):
    result = derive_group_state(states)
    if RS.FAILED in states:
        assert result is GroupState.FAILED
    elif any(s in PENDING_STATES for s in states):
        assert result is GroupState.PENDING
    elif states and all(s is RS.ONLINE for s in states):
        assert result is GroupState.ONLINE
    elif RS.ONLINE in states:
        assert result is GroupState.PARTIAL_ONLINE
    else:
        assert result is GroupState.OFFLINE


# --------------------------------------------------------------------------- placement

NODES = ["N1", "N2", "N3", "N4"]
ALL_UP = frozenset(NODES)


def test_preferred_owners_come_first_in_their_order_then_the_rest():
    got = candidate_nodes(
        preferred=["N3", "N1"], nodes=NODES, possible_owners=[], up=ALL_UP, paused=()
    )
    assert got == ["N3", "N1", "N2", "N4"]


def test_no_preferred_owners_means_node_order():
    got = candidate_nodes(preferred=[], nodes=NODES, possible_owners=[None], up=ALL_UP, paused=())
    assert got == NODES


def test_down_paused_and_excluded_nodes_are_skipped():
    got = candidate_nodes(
        preferred=["N1", "N2", "N3"],
        nodes=NODES,
        possible_owners=[None],
        up={"N2", "N3", "N4"},  # N1 is down
        paused={"N3"},
        exclude={"N2"},  # failing over away from N2
    )
    assert got == ["N4"]


def test_node_must_be_a_possible_owner_of_every_resource():
    got = candidate_nodes(
        preferred=["N1", "N2"],
        nodes=NODES,
        possible_owners=[{"N1", "N2", "N3"}, None, {"N2", "N3"}],
        up=ALL_UP,
        paused=(),
    )
    assert got == ["N2", "N3"]


def test_disjoint_possible_owners_leave_no_candidate():
    kwargs = {
        "preferred": NODES,
        "nodes": NODES,
        "possible_owners": [{"N1"}, {"N2"}],
        "up": ALL_UP,
        "paused": (),
    }
    assert candidate_nodes(**kwargs) == []
    assert best_node(**kwargs) is None


def test_possible_owners_may_be_a_one_shot_iterable():
    owners = iter([{"N2", "N3"}, {"N3"}])
    got = candidate_nodes(preferred=[], nodes=NODES, possible_owners=owners, up=ALL_UP, paused=())
    assert got == ["N3"]


def test_preferred_nodes_outside_the_cluster_and_duplicates_are_ignored():
    got = candidate_nodes(
        preferred=["GONE", "N2", "N2"], nodes=NODES, possible_owners=[], up=ALL_UP, paused=()
    )
    assert got == ["N2", "N1", "N3", "N4"]


def test_best_node_is_the_most_preferred_eligible_node():
    assert (
        best_node(
            preferred=["N1", "N2"],
            nodes=NODES,
            possible_owners=[None],
            up={"N2", "N3"},
            paused=(),
        )
        == "N2"
    )
    # No preferred owner available: fall over to another possible owner (documented choice).
    assert (
        best_node(preferred=["N1"], nodes=NODES, possible_owners=[None], up={"N4"}, paused=())
        == "N4"
    )


def test_paused_last_resort_is_the_callers_second_call():
    kwargs = {"preferred": ["N1"], "nodes": NODES, "possible_owners": [None], "up": {"N2"}}
    assert best_node(**kwargs, paused={"N2"}) is None
    assert best_node(**kwargs, paused=()) == "N2"


node_names = st.sampled_from(["A", "B", "C", "D", "E"])
node_sets = st.frozensets(node_names)


@given(
    preferred=st.lists(node_names),
    nodes=st.lists(node_names, unique=True),
    possible_owners=st.lists(st.none() | node_sets, max_size=4),
    up=node_sets,
    paused=node_sets,
    exclude=node_sets,
)
def test_best_node_satisfies_every_constraint_or_none_does(
    preferred, nodes, possible_owners, up, paused, exclude
):
    def eligible(node: str) -> bool:
        return (
            node in nodes
            and node in up
            and node not in paused
            and node not in exclude
            and all(owners is None or node in owners for owners in possible_owners)
        )

    kwargs = {
        "preferred": preferred,
        "nodes": nodes,
        "possible_owners": possible_owners,
        "up": up,
        "paused": paused,
        "exclude": exclude,
    }
    best = best_node(**kwargs)
    candidates = candidate_nodes(**kwargs)
    assert candidates == [n for n in dict.fromkeys([*preferred, *nodes]) if eligible(n)]
    if best is None:
        assert not any(eligible(n) for n in [*preferred, *nodes])
    else:
        assert eligible(best)
        assert best == candidates[0]
        # No eligible preferred owner ranks above it.
        if best in preferred:
            assert not any(eligible(n) for n in preferred[: preferred.index(best)])
        else:
            assert not any(eligible(n) for n in preferred)


# --------------------------------------------------------------------------- sliding windows


def test_window_is_half_open():
    times = [0.0, 0.1, 0.2]
    assert count_in_window(times, 0.2, 0.2) == 2  # 0.0 is exactly one period old: out
    assert count_in_window(times, 0.3, 0.2) == 1  # 0.1 out despite 0.3 - 0.1 < 0.2 in floats
    assert count_in_window(times, 0.19, 0.2) == 2  # 0.2 is in the future: out


def test_event_at_now_counts_even_for_a_zero_period():
    assert count_in_window([5.0], 5.0, 0) == 1
    assert count_in_window([4.999], 5.0, 0) == 0


def test_prune_window_drops_only_expired_events():
    assert prune_window([0.0, 0.1, 0.15, 0.3, 0.5], 0.3, 0.2) == (0.15, 0.3, 0.5)
    assert prune_window([], 1.0, 1.0) == ()


times_strategy = st.lists(st.integers(0, 2000).map(lambda ms: ms / 1000), max_size=12)


@given(
    times=times_strategy,
    now=st.integers(0, 2000).map(lambda ms: ms / 1000),
    later_ms=st.integers(0, 2000),
    period_ms=st.integers(0, 1000),
)
def test_pruning_never_changes_a_present_or_future_count(times, now, later_ms, period_ms):
    period = period_ms / 1000
    pruned = prune_window(times, now, period)
    assert set(pruned) <= set(times)
    for when in (now, now + later_ms / 1000):
        assert count_in_window(pruned, when, period) == count_in_window(times, when, period)


def test_failure_history_stays_bounded():
    history = FailureHistory()
    for i in range(1000):
        history = history.record(i * 0.1, 0.35)
    assert history.times == pytest.approx((99.6, 99.7, 99.8, 99.9))
    assert history.count(99.9, 0.35) == 4


def test_failure_history_is_a_frozen_value():
    history = FailureHistory((1.0,))
    assert history == FailureHistory((1.0,))
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        history.times = ()  # type: ignore[misc]


# --------------------------------------------------------------------------- restart policy


def decide(action, times, now, threshold=2, period_ms=200):
    return restart_decision(
        action=action, failure_times=times, now=now, threshold=threshold, period_ms=period_ms
    )


def test_research_example_threshold_2_period_200ms():
    # "threshold 2 / period 200 ms tolerates two failures in any 200 ms, the third makes the
    # resource Failed" (resapi.md §5.5).
    history: list[float] = []
    results = []
    for t in (0.0, 0.05, 0.1):
        history.append(t)
        results.append(decide(RestartAction.RESTART_NOTIFY, history, t))
    assert results == [RestartDecision.RESTART, RestartDecision.RESTART, RestartDecision.FAIL_OVER]
    assert decide(RestartAction.RESTART_NO_NOTIFY, history, 0.1) is RestartDecision.STAY_FAILED


def test_failures_spread_beyond_the_period_are_tolerated():
    # Three failures, but never more than two in any 200 ms window.
    history = [0.0, 0.15, 0.2, 0.35, 0.4]
    for i, t in enumerate(history):
        assert decide(RestartAction.RESTART_NOTIFY, history[: i + 1], t) is RestartDecision.RESTART


def test_window_boundary_for_restarts():
    # 0.0 is exactly 200 ms before 0.2: out of the window, so only two count.
    assert decide(RestartAction.RESTART_NOTIFY, [0.0, 0.1, 0.2], 0.2) is RestartDecision.RESTART
    assert decide(RestartAction.RESTART_NOTIFY, [0.0, 0.1, 0.199], 0.199) is (
        RestartDecision.FAIL_OVER
    )


def test_dont_restart_always_stays_failed():
    assert decide(RestartAction.DONT_RESTART, [0.0], 0.0) is RestartDecision.STAY_FAILED
    assert (
        decide(RestartAction.DONT_RESTART, [0.0], 0.0, threshold=NEVER)
        is RestartDecision.STAY_FAILED
    )


def test_threshold_zero_restarts_nothing():
    assert decide(RestartAction.RESTART_NOTIFY, [3.0], 3.0, threshold=0) is (
        RestartDecision.FAIL_OVER
    )
    assert decide(RestartAction.RESTART_NO_NOTIFY, [3.0], 3.0, threshold=0) is (
        RestartDecision.STAY_FAILED
    )


def test_zero_period_judges_each_failure_alone():
    times = [0.0, 0.001, 0.002]
    assert decide(RestartAction.RESTART_NOTIFY, times, 0.002, threshold=1, period_ms=0) is (
        RestartDecision.RESTART
    )


def test_mscs_defaults_tolerate_three_restarts_in_fifteen_minutes():
    minute = 60.0
    history = [0.0, 5 * minute, 10 * minute]
    assert decide(RestartAction.RESTART_NOTIFY, history, 10 * minute, 3, 900_000) is (
        RestartDecision.RESTART
    )
    history.append(14 * minute)
    assert decide(RestartAction.RESTART_NOTIFY, history, 14 * minute, 3, 900_000) is (
        RestartDecision.FAIL_OVER
    )
    history.append(16 * minute)  # 0.0 has left the window
    assert decide(RestartAction.RESTART_NOTIFY, history, 16 * minute, 3, 900_000) is (
        RestartDecision.FAIL_OVER
    )
    history.append(31 * minute)  # only 16 and 31 are within 15 minutes
    assert decide(RestartAction.RESTART_NOTIFY, history, 31 * minute, 3, 900_000) is (
        RestartDecision.RESTART
    )


@given(
    action=st.sampled_from(list(RestartAction)),
    base=st.lists(st.integers(0, 1000), max_size=8),
    extra=st.lists(st.integers(0, 1000), max_size=8),
    threshold=st.integers(0, 6),
    period_ms=st.integers(0, 1000),
)
def test_restart_decision_is_monotonic_in_failures(action, base, extra, threshold, period_ms):
    now_ms = 1000
    fewer = [ms / 1000 for ms in [*base, now_ms]]
    more = [ms / 1000 for ms in [*base, *extra, now_ms]]
    d_fewer = restart_decision(
        action=action, failure_times=fewer, now=1.0, threshold=threshold, period_ms=period_ms
    )
    d_more = restart_decision(
        action=action, failure_times=more, now=1.0, threshold=threshold, period_ms=period_ms
    )
    if d_fewer is not RestartDecision.RESTART:
        assert d_more is d_fewer  # more failures never turn a give-up back into a restart
    if d_more is RestartDecision.RESTART:
        assert d_fewer is RestartDecision.RESTART


# --------------------------------------------------------------------------- failover policy


@pytest.mark.parametrize(
    ("threshold", "nodes", "expected"),
    [
        (NEVER, 2, 1),
        (NEVER, 4, 3),
        (NEVER, 1, 0),
        (NEVER, 0, 0),
        (-1, 3, 2),
        (0, 5, 0),
        (10, 2, 10),
    ],
)
def test_effective_failover_threshold(threshold, nodes, expected):
    assert effective_failover_threshold(threshold, nodes) == expected


HOUR = 3600.0


def allowed(times, now, threshold=NEVER, period_hours=6, node_count=3):
    return failover_allowed(
        failover_times=times,
        now=now,
        threshold=threshold,
        period_hours=period_hours,
        node_count=node_count,
    )


def test_default_threshold_allows_nodes_minus_one_failovers_per_six_hours():
    assert allowed([], 0.0)
    assert allowed([0.0], 1 * HOUR)
    assert not allowed([0.0, 1 * HOUR], 2 * HOUR)  # 3 nodes: the third failover is refused
    # Six hours after the first failover it leaves the window.
    assert not allowed([0.0, 1 * HOUR], 6 * HOUR - 1)
    assert allowed([0.0, 1 * HOUR], 6 * HOUR)


def test_the_sixth_failover_with_threshold_five_is_refused():
    five = [i * HOUR for i in range(5)]
    assert allowed(five[:4], 4 * HOUR, threshold=5)
    assert not allowed(five, 5 * HOUR, threshold=5)


def test_single_node_and_zero_threshold_never_fail_over():
    assert not allowed([], 0.0, node_count=1)
    assert not allowed([], 0.0, threshold=0)


def test_failover_period_in_hours_not_seconds():
    assert not allowed([0.0], 5 * HOUR, threshold=1, period_hours=6)
    assert allowed([0.0], 5 * HOUR, threshold=1, period_hours=1)


def test_retry_time_and_due():
    assert retry_time(100.0, 3_600_000) == 3700.0
    assert retry_time(100.0, NEVER) is None
    assert retry_time(100.0, -1) is None
    assert not retry_due(failed_at=100.0, now=3699.999, retry_period_ms=3_600_000)
    assert retry_due(failed_at=100.0, now=3700.0, retry_period_ms=3_600_000)
    assert retry_due(failed_at=0.1, now=0.3, retry_period_ms=200)  # no float noise
    assert not retry_due(failed_at=0.0, now=1e12, retry_period_ms=NEVER)


# --------------------------------------------------------------------------- failback


def test_no_window_when_either_bound_is_unset():
    for start, end in [(-1, -1), (-1, 5), (5, -1), (NEVER, 5), (5, NEVER)]:
        assert all(failback_window_open(h, start, end) for h in range(24))
        assert seconds_until_failback_window(now_hour_float=13.7, start=start, end=end) == 0


def test_plain_window_is_start_inclusive_end_exclusive():
    open_hours = [h for h in range(24) if failback_window_open(h, 1, 5)]
    assert open_hours == [1, 2, 3, 4]


def test_window_wraps_past_midnight():
    open_hours = [h for h in range(24) if failback_window_open(h, 22, 3)]
    assert open_hours == [0, 1, 2, 22, 23]


def test_equal_bounds_make_a_one_hour_window():
    assert [h for h in range(24) if failback_window_open(h, 7, 7)] == [7]


def test_window_bounds_and_hour_are_validated():
    with pytest.raises(ValueError, match="0-23"):
        failback_window_open(24, -1, -1)
    with pytest.raises(ValueError, match="FailbackWindowEnd"):
        failback_window_open(3, 1, 24)
    with pytest.raises(ValueError, match=r"\[0, 24\)"):
        seconds_until_failback_window(now_hour_float=24.0, start=1, end=2)


@pytest.mark.parametrize(
    ("now_hour", "start", "end", "expected_hours"),
    [
        (2.5, 1, 5, 0.0),
        (0.5, 1, 5, 0.5),
        (5.0, 1, 5, 20.0),  # the end hour is closed: wait for tomorrow's start
        (12.25, 22, 3, 9.75),
        (23.5, 22, 3, 0.0),
        (2.99, 22, 3, 0.0),
        (3.0, 22, 3, 19.0),
        (7.5, 7, 7, 0.0),
        (8.0, 7, 7, 23.0),
    ],
)
def test_seconds_until_failback_window(now_hour, start, end, expected_hours):
    got = seconds_until_failback_window(now_hour_float=now_hour, start=start, end=end)
    assert got == pytest.approx(expected_hours * 3600)


@given(
    minute=st.integers(0, 24 * 60 - 1),
    start=st.integers(0, 23),
    end=st.integers(0, 23),
)
def test_waiting_the_returned_time_lands_in_the_window(minute, start, end):
    now_hour = minute / 60
    wait = seconds_until_failback_window(now_hour_float=now_hour, start=start, end=end)
    assert 0 <= wait < 24 * 3600
    if wait == 0:
        assert failback_window_open(minute // 60, start, end)
    else:
        assert not failback_window_open(minute // 60, start, end)
        assert failback_window_open(round(now_hour + wait / 3600) % 24, start, end)


def test_hour_of_day():
    assert hour_of_day(0.0) == 0.0
    assert hour_of_day(3.5 * HOUR) == 3.5
    assert hour_of_day(27 * HOUR) == 3.0
    assert hour_of_day(10 * HOUR, midnight=8 * HOUR) == 2.0
    assert hour_of_day(-1 * HOUR) == 23.0
    assert 0 <= hour_of_day(-1e-20) < 24


ALLOW = FailbackType.ALLOW_FAILBACK


@pytest.mark.parametrize(
    ("auto", "preferred", "owner", "returning", "expected"),
    [
        (ALLOW, ["N1", "N2"], "N2", "N1", True),  # the most preferred node returns
        (ALLOW, ["N1", "N2", "N3"], "N3", "N2", True),  # better than the current owner
        (ALLOW, ["N1", "N2", "N3"], "N1", "N2", False),  # worse than the current owner
        (ALLOW, ["N1", "N2"], "N4", "N2", True),  # current owner not preferred at all
        (ALLOW, ["N1", "N2"], None, "N2", True),  # no owner
        (ALLOW, ["N1", "N2"], "N2", "N3", False),  # returning node not preferred
        (ALLOW, ["N1", "N2"], "N1", "N1", False),  # already there
        (ALLOW, [], "N2", "N1", False),  # no preferred owners list: no effect
        (FailbackType.PREVENT_FAILBACK, ["N1", "N2"], "N2", "N1", False),
    ],
)
def test_should_fail_back(auto, preferred, owner, returning, expected):
    got = should_fail_back(
        auto_failback=auto, preferred=preferred, current_owner=owner, returning_node=returning
    )
    assert got is expected


# --------------------------------------------------------------------------- dependencies

# A file share: Share -> Name -> IP, Share -> Disk (resapi.md §5.7).
SHARE = {"Share": {"Name", "Disk"}, "Name": {"IP"}}


def test_self_dependency_is_a_cycle():
    assert would_create_cycle({}, "A", "A")


def test_direct_and_transitive_cycles():
    chain = {"A": {"B"}, "B": {"C"}}
    assert would_create_cycle(chain, "C", "A")  # C -> A -> B -> C
    assert would_create_cycle(chain, "B", "A")
    assert not would_create_cycle(chain, "A", "C")  # already implied: no cycle
    assert not would_create_cycle(chain, "D", "A")


def test_can_be_dependent_needs_same_group_and_no_cycle():
    group_of = {"Share": "G1", "Name": "G1", "IP": "G1", "Disk": "G1", "Other": "G2"}
    assert can_be_dependent(dependent="Disk", provider="IP", group_of=group_of, depends_on=SHARE)
    assert not can_be_dependent(
        dependent="IP", provider="Share", group_of=group_of, depends_on=SHARE
    )
    assert not can_be_dependent(
        dependent="Share", provider="Other", group_of=group_of, depends_on=SHARE
    )
    assert not can_be_dependent(dependent="IP", provider="IP", group_of=group_of, depends_on=SHARE)
    assert not can_be_dependent(dependent="X", provider="Y", group_of={}, depends_on={})


def test_transitive_dependencies_and_dependents():
    provides = invert_dependencies(SHARE)
    assert provides == {"Name": {"Share"}, "Disk": {"Share"}, "IP": {"Name"}}
    assert transitive_dependencies("Share", SHARE) == {"Name", "Disk", "IP"}
    assert transitive_dependencies("IP", SHARE) == set()
    assert transitive_dependents("IP", provides) == {"Name", "Share"}
    assert transitive_dependents("Share", provides) == set()


def test_dependency_closure_follows_both_directions():
    deps = {**SHARE, "App": {"Disk2"}, "Lone": set()}
    tree = {"Share", "Name", "IP", "Disk"}
    for start in tree:
        assert dependency_closure(start, deps) == tree
        assert dependency_closure(start, deps, invert_dependencies(deps)) == tree
    assert dependency_closure("Disk2", deps) == {"App", "Disk2"}
    assert dependency_closure("Lone", deps) == {"Lone"}


def test_online_and_offline_layers_of_a_file_share():
    resources = ["Share", "Name", "IP", "Disk"]
    assert online_layers(resources, SHARE) == [["IP", "Disk"], ["Name"], ["Share"]]
    assert offline_layers(resources, SHARE) == [["Share"], ["Name", "Disk"], ["IP"]]


def test_layers_of_a_ten_chain():
    names = [f"R{i}" for i in range(10)]
    deps = {names[i]: {names[i - 1]} for i in range(1, 10)}  # R9 -> R8 -> ... -> R0
    shuffled = names[::-1]
    assert online_layers(shuffled, deps) == [[n] for n in names]
    assert offline_layers(shuffled, deps) == [[n] for n in reversed(names)]


def test_diamond_dependencies():
    deps = {"Top": {"Left", "Right"}, "Left": {"Base"}, "Right": {"Base"}}
    assert online_layers(["Top", "Right", "Left", "Base"], deps) == [
        ["Base"],
        ["Right", "Left"],
        ["Top"],
    ]
    assert offline_layers(["Base", "Left", "Right", "Top"], deps) == [
        ["Top"],
        ["Left", "Right"],
        ["Base"],
    ]


def test_layers_keep_input_order_and_drop_duplicates():
    assert online_layers(["C", "A", "B", "A"], {}) == [["C", "A", "B"]]
    assert online_layers([], {}) == []
    assert offline_layers([], {}) == []


def test_dependencies_outside_the_set_are_ignored():
    assert online_layers(["Share", "Disk"], SHARE) == [["Disk"], ["Share"]]
    assert offline_layers(["Name", "Disk"], SHARE) == [["Name", "Disk"]]


@pytest.mark.parametrize(
    "deps", [{"A": {"A"}}, {"A": {"B"}, "B": {"A"}}, {"A": {"B"}, "B": {"C"}, "C": {"A"}}]
)
def test_layers_refuse_cycles(deps):
    with pytest.raises(ValueError, match="cycle"):
        online_layers(["A", "B", "C"], deps)
    with pytest.raises(ValueError, match="cycle"):
        offline_layers(["A", "B", "C"], deps)


@st.composite
def acyclic_graphs(draw):
    """Resources in a random order, each depending only on resources with a smaller index."""
    n = draw(st.integers(0, 12))
    names = [f"R{i}" for i in range(n)]
    deps = {
        name: draw(st.sets(st.sampled_from(names[:i]))) if i else set()
        for i, name in enumerate(names)
    }
    return draw(st.permutations(names)), deps


@given(acyclic_graphs())
def test_online_layers_put_each_resource_once_after_all_its_dependencies(graph):
    resources, deps = graph
    layers = online_layers(resources, deps)
    flat = list(itertools.chain.from_iterable(layers))
    assert sorted(flat) == sorted(resources)  # every resource exactly once
    assert all(layers)  # no empty layer
    index = {r: i for i, layer in enumerate(layers) for r in layer}
    for r in resources:
        assert all(index[d] < index[r] for d in deps[r])
        # Earliest possible layer: one past its deepest dependency.
        assert index[r] == max((index[d] + 1 for d in deps[r]), default=0)
    for layer in layers:
        assert layer == sorted(layer, key=resources.index)


@given(acyclic_graphs())
def test_offline_layers_put_each_resource_once_after_all_its_dependents(graph):
    resources, deps = graph
    layers = offline_layers(resources, deps)
    flat = list(itertools.chain.from_iterable(layers))
    assert sorted(flat) == sorted(resources)
    index = {r: i for i, layer in enumerate(layers) for r in layer}
    for r in resources:
        assert all(index[r] < index[d] for d in deps[r])


@given(acyclic_graphs(), st.data())
def test_would_create_cycle_agrees_with_layering(graph, data):
    resources, deps = graph
    if not resources:
        return
    dependent = data.draw(st.sampled_from(resources))
    provider = data.draw(st.sampled_from(resources))
    new = {r: set(d) for r, d in deps.items()}
    new[dependent].add(provider)
    try:
        online_layers(resources, new)
    except ValueError:
        cyclic = True
    else:
        cyclic = False
    assert would_create_cycle(deps, dependent, provider) is cyclic


# ------------------------------------------------------------- where it cannot come online

from clusapi._policy import (  # noqa: E402  (appended section)
    CANNOT_COME_ONLINE_STATES,
    NodeExclusions,
    failure_decision,
)

THIS_NODE = ResourceState.CANNOT_COME_ONLINE_ON_THIS_NODE
ANY_NODE = ResourceState.CANNOT_COME_ONLINE_ON_ANY_NODE


def test_cannot_come_online_states_are_the_two_resapi_h_states():
    assert {s.value for s in CANNOT_COME_ONLINE_STATES} == {126, 127}


@pytest.mark.parametrize("action", list(RestartAction))
def test_cannot_come_online_on_any_node_gives_up_whatever_restart_action_says(action):
    decision = failure_decision(
        scope=ANY_NODE, action=action, failure_times=[0.0], now=0.0, threshold=3, period_ms=1000
    )
    assert decision is RestartDecision.GIVE_UP


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        (RestartAction.RESTART_NOTIFY, RestartDecision.FAIL_OVER),
        (RestartAction.RESTART_NO_NOTIFY, RestartDecision.STAY_FAILED),
        (RestartAction.DONT_RESTART, RestartDecision.STAY_FAILED),
    ],
)
def test_cannot_come_online_on_this_node_never_restarts_there(action, expected):
    # The first failure, far below the threshold: an ordinary failure would restart.
    kwargs = {"action": action, "failure_times": [5.0], "now": 5.0, "threshold": 3}
    assert failure_decision(scope=THIS_NODE, period_ms=900_000, **kwargs) is expected
    if action is not RestartAction.DONT_RESTART:
        assert restart_decision(period_ms=900_000, **kwargs) is RestartDecision.RESTART


@given(
    st.sampled_from(list(RestartAction)),
    st.lists(st.floats(0, 10, allow_nan=False), max_size=6),
    st.integers(0, 4),
    st.integers(0, 5000),
)
def test_an_ordinary_failure_is_decided_by_restart_decision(action, times, threshold, period):
    now = max(times, default=0.0)
    args = {
        "action": action,
        "failure_times": times,
        "now": now,
        "threshold": threshold,
        "period_ms": period,
    }
    assert failure_decision(scope=ResourceState.FAILED, **args) is restart_decision(**args)


def test_node_exclusions_record_where_online_said_no():
    empty = NodeExclusions()
    assert not empty
    assert empty.allows("N1")
    assert empty.record(ResourceState.FAILED, "N1") is empty  # other states change nothing
    one = empty.record(THIS_NODE, "N1")
    assert one
    assert one.nodes == {"N1"}
    assert not one.all_nodes
    assert (one.allows("N1"), one.allows("N2")) == (False, True)
    assert empty == NodeExclusions()  # a value: record returned a new one
    both = one.record(THIS_NODE, "N2")
    assert both.nodes == {"N1", "N2"}
    assert both.without_node("N1").nodes == {"N2"}
    everywhere = one.record(ANY_NODE, "N2")
    assert everywhere.all_nodes
    assert everywhere.nodes == {"N1"}
    assert not everywhere.allows("N2")
    assert not everywhere.allows("N3")


def test_node_exclusions_narrow_the_possible_owners_for_placement_only():
    nodes = ["N1", "N2", "N3"]
    one = NodeExclusions().record(THIS_NODE, "N1")
    assert one.possible_owners(None, nodes) == {"N2", "N3"}
    assert one.possible_owners({"N1", "N2"}, nodes) == {"N2"}
    assert NodeExclusions().possible_owners(None, nodes) is None  # unrestricted stays so
    assert NodeExclusions().possible_owners({"N2"}, nodes) == {"N2"}
    # "Any node" leaves the group's placement alone: the other resources can still run.
    assert NodeExclusions().record(ANY_NODE, "N1").possible_owners(None, nodes) is None
    # Used as a possible-owner set, the failover skips the excluded node.
    assert (
        best_node(
            preferred=["N1", "N2", "N3"],
            nodes=nodes,
            possible_owners=[None, one.possible_owners(None, nodes)],
            up=nodes,
            paused=(),
        )
        == "N2"
    )
