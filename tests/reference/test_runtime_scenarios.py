"""Failover Manager scenarios on the reference runtime, observed from inside the resources.

Each scenario runs a whole cluster on virtual time (hours pass in milliseconds) and checks what the
resources saw (``tests/reference/_scenario_types.py`` records every entry point with the time and
the node) against the MSCS rules in DESIGN.md §4, research clusapi.md §7 and resapi.md §5.5-§5.7.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import anyio
import pytest

import clusapi
from clusapi import GroupState, NodeState, ResourceState, RestartAction, Win32Error
from clusapi.testing import VirtualClock, open_reference_cluster
from tests.reference._scenario_types import (
    RECORDER,
    Failing,
    Quiet,
    Recorded,
    Recorder,
    SlowOrdered,
    SlowStart,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator, Mapping, Sequence

    import resapi
    from clusapi.testing import ReferenceEnvironment

N1, N2, N3 = "N1", "N2", "N3"
TWO = (N1, N2)
THREE = (N1, N2, N3)
NEVER = 0xFFFF_FFFF
HOUR = 3600.0

# Dependencies as {resource: [what it depends on]}, listed so that creation order is NOT the
# dependency order: the runtime has to sort them.
CHAIN = {"app": ["name"], "name": ["ip"], "ip": ["disk"], "disk": []}
DIAMOND = {"top": ["left", "right"], "left": ["base"], "right": ["base"], "base": []}
TOPOLOGIES = pytest.mark.parametrize("deps", [CHAIN, DIAMOND], ids=["chain", "diamond"])


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    RECORDER.reset()
    yield RECORDER
    RECORDER.reset()


@contextlib.asynccontextmanager
async def cluster_env(
    nodes: Sequence[str] = TWO,
    types: Sequence[type[resapi.Resource]] = (Recorded,),
    *,
    heartbeat_interval: float = 1.0,
    node_timeout: float = 5.0,
    start_hour: float = 0.0,
) -> AsyncIterator[ReferenceEnvironment]:
    """A reference cluster with the scenario types registered and the recorder attached."""
    async with open_reference_cluster(
        nodes=nodes,
        heartbeat_interval=heartbeat_interval,
        node_timeout=node_timeout,
        start_hour=start_hour,
    ) as env:
        RECORDER.reset(env.cluster)
        for resource_type in types:
            await env.cluster.create_resource_type(resource_type)
        yield env


async def build_group(
    cluster: clusapi.Cluster,
    name: str,
    deps: Mapping[str, Sequence[str]],
    type_name: str = "Recorded",
    preferred: Sequence[str] = (),
) -> tuple[clusapi.Group, dict[str, clusapi.Resource]]:
    group = await cluster.create_group(name)
    resources = {r: await group.create_resource(r, type_name) for r in deps}
    for dependent, providers in deps.items():
        for provider in providers:
            await resources[dependent].add_dependency(resources[provider])
    if preferred:
        await group.set_preferred_owners(list(preferred))
    return group, resources


async def owner(group: clusapi.Group) -> str | None:
    return (await group.state_info()).owner


def now() -> float:
    return anyio.current_time()


async def advance_to(env: ReferenceEnvironment, when: float) -> None:
    """Let virtual time pass until ``when`` (absolute), then settle.

    Absolute, because ``env.settle()`` itself may let up to 0.1 s pass (see
    ``test_settle_does_not_let_virtual_time_pass``).
    """
    await env.advance(max(0.0, when - now()))


def assert_dependency_order(
    rec: Recorder,
    deps: Mapping[str, Sequence[str]],
    action: str,
    *,
    since: float,
    delay: float = SlowOrdered.delay,
) -> None:
    """Every resource saw ``action`` once since ``since``; for online each dependency started
    (and, as each call takes ``delay``, finished) before its dependent started; for offline the
    other way round."""
    started = {}
    for resource in deps:
        times = [t for t in rec.times(resource, action) if t >= since]
        assert len(times) == 1, f"{resource} saw {action} {len(times)} times: {rec.steps}"
        started[resource] = times[0]
    for dependent, providers in deps.items():
        for provider in providers:
            first, then = (provider, dependent) if action == "online" else (dependent, provider)
            assert started[then] >= started[first] + delay - 1e-9, (
                f"{action}: {then} started at {started[then]:.3f}, before {first} "
                f"(started {started[first]:.3f}) was done"
            )


def expected_online(deps: Mapping[str, Sequence[str]]) -> list[set[str]]:
    """The online layers of ``deps``: each resource right after the last of its dependencies."""
    layers: list[set[str]] = []
    placed: set[str] = set()
    while len(placed) < len(deps):
        layer = {r for r, providers in deps.items() if r not in placed and set(providers) <= placed}
        layers.append(layer)
        placed |= layer
    return layers


def layered(names: list[str], layers: list[set[str]]) -> bool:
    """Whether ``names`` runs through ``layers`` in order (any order inside a layer)."""
    position = 0
    for layer in layers:
        chunk = set(names[position : position + len(layer)])
        if chunk != layer:
            return False
        position += len(layer)
    return position == len(names)


# ------------------------------------------------------------------ 1. dependency order


@pytest.mark.asyncio
@pytest.mark.virtual_time
@TOPOLOGIES
async def test_group_online_brings_dependencies_up_first_and_offline_takes_dependents_down_first(
    recorder: Recorder, deps: dict[str, list[str]]
) -> None:
    async with cluster_env(types=(SlowOrdered,)) as env:
        group, _ = await build_group(env.cluster, "g", deps, "Slow Ordered", preferred=TWO)

        assert await group.online() is GroupState.ONLINE
        assert layered(recorder.names("online"), expected_online(deps)), recorder.steps
        assert_dependency_order(recorder, deps, "online", since=0)
        assert {recorder.where(r, "online")[0] for r in deps} == {N1}

        t_offline = now()
        assert await group.offline() is GroupState.OFFLINE
        assert layered(recorder.names("offline"), expected_online(deps)[::-1]), recorder.steps
        assert_dependency_order(recorder, deps, "offline", since=t_offline)
        assert recorder.names("terminate") == []


@pytest.mark.asyncio
@pytest.mark.virtual_time
@TOPOLOGIES
async def test_move_takes_dependents_down_first_and_brings_dependencies_up_first(
    recorder: Recorder, deps: dict[str, list[str]]
) -> None:
    async with cluster_env(types=(SlowOrdered,)) as env:
        group, _ = await build_group(env.cluster, "g", deps, "Slow Ordered", preferred=TWO)
        await group.online()
        t_move = now()

        assert await group.move() is GroupState.ONLINE
        assert await owner(group) == N2
        moved = [(n, r, a) for t, n, r, a in recorder if t >= t_move]
        offline = [r for n, r, a in moved if a == "offline"]
        online = [r for n, r, a in moved if a == "online"]
        # Everything is down on N1 before anything starts on N2 (shared-nothing).
        assert [a for _, _, a in moved] == ["offline"] * len(deps) + ["online"] * len(deps)
        assert {n for n, _, a in moved if a == "offline"} == {N1}
        assert {n for n, _, a in moved if a == "online"} == {N2}
        assert layered(offline, expected_online(deps)[::-1]), moved
        assert layered(online, expected_online(deps)), moved
        assert_dependency_order(recorder, deps, "offline", since=t_move)
        assert_dependency_order(recorder, deps, "online", since=t_move)


@pytest.mark.asyncio
@pytest.mark.virtual_time
@TOPOLOGIES
async def test_failover_after_a_crash_brings_dependencies_up_first(
    recorder: Recorder, deps: dict[str, list[str]]
) -> None:
    async with cluster_env(types=(SlowOrdered,)) as env:
        group, _ = await build_group(env.cluster, "g", deps, "Slow Ordered", preferred=TWO)
        await group.online()
        t_crash = now()
        env.crash_node(N1)
        await env.advance(10)

        assert await owner(group) == N2
        assert await group.state() is GroupState.ONLINE
        # The crash killed the instances on N1 (no Offline), then N2 started them in order.
        assert sorted(recorder.names("terminate", since=t_crash)) == sorted(deps)
        assert recorder.names("offline") == []
        assert layered(recorder.names("online", since=t_crash), expected_online(deps))
        assert_dependency_order(recorder, deps, "online", since=t_crash)
        assert {recorder.where(r, "online")[-1] for r in deps} == {N2}


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_failover_after_a_failure_takes_dependents_down_first(recorder: Recorder) -> None:
    async with cluster_env(types=(SlowOrdered,)) as env:
        group, res = await build_group(env.cluster, "g", DIAMOND, "Slow Ordered", preferred=TWO)
        await res["base"].set_common_properties(restart_threshold=0)  # first failure: failover
        await group.online()
        t_fail = now()

        await res["base"].fail()
        await env.advance(5)

        assert await owner(group) == N2
        assert await group.state() is GroupState.ONLINE
        after = [(n, r, a) for t, n, r, a in recorder if t >= t_fail]
        assert after[0] == (N1, "base", "terminate")
        down = [r for n, r, a in after if a == "offline"]
        up = [r for n, r, a in after if a == "online"]
        assert layered(down, [{"top"}, {"left", "right"}]), after
        assert layered(up, expected_online(DIAMOND)), after
        assert {n for n, _, a in after if a == "offline"} == {N1}
        assert {n for n, _, a in after if a == "online"} == {N2}
        # Dependents were down before anything started on N2.
        assert [a for _, _, a in after[1:]] == ["offline"] * 3 + ["online"] * 4
        assert_dependency_order(recorder, DIAMOND, "online", since=t_fail)


# ------------------------------------------------------------------ 2. restart, then failover


async def fail_by_health_check(env: ReferenceEnvironment, rec: Recorder, name: str) -> float:
    """Make the resource's next health check fail; return when the Monitor terminated it."""
    terminated = len(rec.times(name, "terminate"))
    rec.trip(name)
    await env.advance(Recorded.looks_alive_poll_interval / 1000)
    times = rec.times(name, "terminate")
    assert len(times) == terminated + 1, f"no failure detected: {rec.steps}"
    return times[-1]


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_restarts_on_the_same_node_then_fails_over_beyond_the_threshold(
    recorder: Recorder,
) -> None:
    async with cluster_env() as env:
        group, res = await build_group(env.cluster, "g", {"svc": []}, preferred=TWO)
        svc = res["svc"]
        assert "RestartThreshold" in (await svc.set_common_properties(restart_threshold=2)).written
        await group.online()

        for failure in (1, 2):
            t_fail = await fail_by_health_check(env, recorder, "svc")
            assert await svc.state() is ResourceState.FAILED
            await advance_to(env, t_fail + 0.45)  # RestartDelay is 500 ms
            assert await svc.state() is ResourceState.FAILED, f"restarted too early ({failure})"
            await advance_to(env, t_fail + 0.55)
            assert await svc.state() is ResourceState.ONLINE
            assert recorder.times("svc", "online")[-1] == pytest.approx(t_fail + 0.5)
            assert recorder.where("svc", "online") == [N1] * (failure + 1)
            assert await owner(group) == N1

        # The third failure within RestartPeriod exceeds RestartThreshold 2: failover at once.
        t_fail = await fail_by_health_check(env, recorder, "svc")
        await env.settle()
        assert await owner(group) == N2
        assert await svc.state() is ResourceState.ONLINE
        assert await group.state() is GroupState.ONLINE
        assert recorder.where("svc", "online") == [N1, N1, N1, N2]
        assert recorder.times("svc", "online")[-1] == pytest.approx(t_fail)


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_failures_further_apart_than_the_restart_period_only_restart(
    recorder: Recorder,
) -> None:
    async with cluster_env() as env:
        group, res = await build_group(env.cluster, "g", {"svc": []}, preferred=TWO)
        await res["svc"].set_common_properties(restart_threshold=1, restart_period=10_000)
        await group.online()
        for _ in range(4):
            await fail_by_health_check(env, recorder, "svc")
            await env.advance(11)  # the sliding window forgets the failure
        assert recorder.where("svc", "online") == [N1] * 5
        assert await owner(group) == N1
        assert await res["svc"].state() is ResourceState.ONLINE


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_restart_no_notify_stays_failed_on_its_node_beyond_the_threshold(
    recorder: Recorder,
) -> None:
    async with cluster_env() as env:
        group, res = await build_group(env.cluster, "g", {"svc": []}, preferred=TWO)
        svc = res["svc"]
        await svc.set_common_properties(
            restart_threshold=2, restart_action=RestartAction.RESTART_NO_NOTIFY
        )
        await group.online()
        for _ in range(2):
            await fail_by_health_check(env, recorder, "svc")
            await env.advance(0.6)
            assert await svc.state() is ResourceState.ONLINE

        await fail_by_health_check(env, recorder, "svc")
        await env.advance(60)
        assert await svc.state() is ResourceState.FAILED
        assert await group.state_info() == clusapi.GroupStateInfo(GroupState.FAILED, N1)
        assert recorder.where("svc", "online") == [N1, N1, N1]


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_dont_restart_stays_failed(recorder: Recorder) -> None:
    async with cluster_env(heartbeat_interval=60, node_timeout=180) as env:
        group, res = await build_group(env.cluster, "g", {"svc": []}, preferred=TWO)
        svc = res["svc"]
        await svc.set_common_properties(restart_action=RestartAction.DONT_RESTART)
        await group.online()

        await fail_by_health_check(env, recorder, "svc")
        await env.advance(2 * HOUR)  # past RetryPeriodOnFailure (1 h) too: no retry either
        assert await svc.state() is ResourceState.FAILED
        assert await group.state_info() == clusapi.GroupStateInfo(GroupState.FAILED, N1)
        assert recorder.where("svc", "online") == [N1]


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_settle_does_not_let_virtual_time_pass(recorder: Recorder) -> None:
    async with cluster_env() as env:
        group, _ = await build_group(env.cluster, "g", {"svc": []}, preferred=TWO)
        t_start = now()
        await group.online(wait=False)  # leaves work for settle() to wait for
        await env.settle()
        assert await group.state() is GroupState.ONLINE
        assert now() == t_start

        recorder.trip("svc")
        await env.advance(1.0)  # the health check at t_start + 1 fails the resource
        assert recorder.times("svc", "terminate") == [t_start + 1.0]
        assert now() == t_start + 1.0


# ------------------------------------------------------------------ 3. failover threshold


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_failover_threshold_per_period_refuses_then_allows_again(recorder: Recorder) -> None:
    async with cluster_env(types=(Quiet,), heartbeat_interval=30, node_timeout=90) as env:
        group, res = await build_group(env.cluster, "g", {"svc": []}, "Quiet", preferred=TWO)
        svc = res["svc"]
        await group.set_common_properties(failover_threshold=1, failover_period=1)
        await svc.set_common_properties(restart_threshold=0, retry_period_on_failure=NEVER)
        await group.online()
        t_first = now()

        await svc.fail()
        await env.settle()
        assert await group.state_info() == clusapi.GroupStateInfo(GroupState.ONLINE, N2)

        await env.advance(600)  # 10 minutes later: a second failover within the hour
        await svc.fail()
        await env.advance(60)
        assert await group.state_info() == clusapi.GroupStateInfo(GroupState.FAILED, N2)
        assert await svc.state() is ResourceState.FAILED
        assert "failover threshold reached" in env.format_log()

        await env.advance(t_first + HOUR + 1 - now())  # the first failover left the period
        assert await group.state_info() == clusapi.GroupStateInfo(GroupState.FAILED, N2)
        assert await group.online() is GroupState.ONLINE  # by hand, on its owner
        assert await owner(group) == N2

        await svc.fail()
        await env.settle()
        assert await group.state_info() == clusapi.GroupStateInfo(GroupState.ONLINE, N1)
        assert recorder.where("svc", "online") == [N1, N2, N2, N1]


# ------------------------------------------------------------------ 4. RetryPeriodOnFailure


async def left_failed(env: ReferenceEnvironment, **changes: int) -> clusapi.Resource:
    _, res = await build_group(env.cluster, "g", {"svc": []}, preferred=TWO)
    svc = res["svc"]
    await svc.set_common_properties(
        restart_action=RestartAction.RESTART_NO_NOTIFY,
        restart_threshold=0,  # the first failure leaves it failed
        restart_period=1000,
        retry_period_on_failure=2000,  # >= RestartPeriod
        **changes,
    )
    await svc.online()
    await svc.fail()
    await env.settle()
    assert await svc.state() is ResourceState.FAILED
    return svc


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_retry_period_on_failure_gives_one_more_online_attempt(recorder: Recorder) -> None:
    async with cluster_env() as env:
        svc = await left_failed(env)
        [t_fail] = recorder.times("svc", "terminate")
        await advance_to(env, t_fail + 1.9)
        assert await svc.state() is ResourceState.FAILED
        assert len(recorder.times("svc", "online")) == 1
        await advance_to(env, t_fail + 2.05)
        assert await svc.state() is ResourceState.ONLINE
        assert recorder.times("svc", "online")[-1] == pytest.approx(t_fail + 2.0)
        assert recorder.where("svc", "online") == [N1, N1]


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_a_failed_retry_is_final(recorder: Recorder) -> None:
    async with cluster_env() as env:
        svc = await left_failed(env)
        recorder.broken.add("svc")
        await env.advance(10)  # five retry periods
        assert await svc.state() is ResourceState.FAILED
        assert len(recorder.times("svc", "online")) == 2  # the first online + one final retry


# ------------------------------------------------------------------ 5. failback


async def failed_over_to_n2(
    env: ReferenceEnvironment, *, failback: int, window: tuple[int, int] = (-1, -1)
) -> clusapi.Group:
    group, _ = await build_group(env.cluster, "g", {"svc": []}, "Quiet", preferred=TWO)
    await group.set_common_properties(
        auto_failback_type=failback,
        failback_window_start=window[0],
        failback_window_end=window[1],
    )
    await group.online()
    assert await owner(group) == N1
    env.crash_node(N1)
    await env.advance(200)  # longer than node_timeout + heartbeat_interval of these tests
    assert await group.state_info() == clusapi.GroupStateInfo(GroupState.ONLINE, N2)
    return group


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_failback_without_a_window_is_immediate(recorder: Recorder) -> None:
    async with cluster_env(types=(Quiet,), heartbeat_interval=10, node_timeout=30) as env:
        group = await failed_over_to_n2(env, failback=1)
        t_back = now()
        await env.restart_node(N1)
        await env.settle()
        assert now() - t_back < 1  # nothing to wait for (settle itself may take 0.1 s)
        assert await group.state_info() == clusapi.GroupStateInfo(GroupState.ONLINE, N1)
        back = [(n, a) for t, n, _, a in recorder if t >= t_back]
        assert back == [(N2, "offline"), (N1, "online")]


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_failback_waits_for_its_window(recorder: Recorder) -> None:
    async with cluster_env(
        types=(Quiet,), heartbeat_interval=10, node_timeout=30, start_hour=10.0
    ) as env:
        group = await failed_over_to_n2(env, failback=1, window=(12, 14))
        await env.restart_node(N1)
        t_back = now()
        assert 10.0 < env.cluster_hour() < 10.1
        opens = t_back + (12.0 - env.cluster_hour()) * HOUR

        await env.advance(opens - 60 - now())  # 11:59
        assert await owner(group) == N2, "failed back before the window opened"
        assert recorder.names("online", since=t_back) == []
        await env.advance(120)  # 12:01
        assert await group.state_info() == clusapi.GroupStateInfo(GroupState.ONLINE, N1)
        [t_online] = [t for t in recorder.times("svc", "online") if t >= t_back]
        assert t_online == pytest.approx(opens, abs=1e-6)
        assert recorder.where("svc", "online")[-1] == N1


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_failback_inside_its_window_is_immediate(recorder: Recorder) -> None:
    async with cluster_env(
        types=(Quiet,), heartbeat_interval=10, node_timeout=30, start_hour=13.0
    ) as env:
        group = await failed_over_to_n2(env, failback=1, window=(12, 14))
        await env.restart_node(N1)
        await env.settle()
        assert await group.state_info() == clusapi.GroupStateInfo(GroupState.ONLINE, N1)


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_prevent_failback_never_moves_back(recorder: Recorder) -> None:
    async with cluster_env(types=(Quiet,), heartbeat_interval=60, node_timeout=120) as env:
        group = await failed_over_to_n2(env, failback=0)
        t_back = now()
        await env.restart_node(N1)
        await env.advance(24 * HOUR)
        assert await group.state_info() == clusapi.GroupStateInfo(GroupState.ONLINE, N2)
        assert recorder.names("online", since=t_back) == []


# ------------------------------------------------------------------ 6. paused nodes


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_a_crashed_owner_skips_the_paused_node(recorder: Recorder) -> None:
    async with cluster_env(nodes=THREE) as env:
        group, _ = await build_group(env.cluster, "g", {"svc": []}, preferred=THREE)
        await group.online()
        n2 = await env.cluster.open_node(N2)
        await n2.pause()
        assert await n2.state() is NodeState.PAUSED

        env.crash_node(N1)
        await env.advance(10)
        assert await group.state_info() == clusapi.GroupStateInfo(GroupState.ONLINE, N3)
        assert recorder.nodes_used() == {N1, N3}


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_with_only_a_paused_node_left_the_group_stays_offline(recorder: Recorder) -> None:
    async with cluster_env() as env:
        group, res = await build_group(env.cluster, "g", {"svc": []}, preferred=TWO)
        await group.online()
        await (await env.cluster.open_node(N2)).pause()

        env.crash_node(N1)
        await env.advance(60)
        assert await group.state() is GroupState.OFFLINE
        assert await res["svc"].state() is ResourceState.OFFLINE
        assert recorder.nodes_used() == {N1}


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_with_only_a_paused_node_left_the_group_moves_there_offline(
    recorder: Recorder,
) -> None:
    async with cluster_env() as env:
        group, _ = await build_group(env.cluster, "g", {"svc": []}, preferred=TWO)
        await group.online()
        await (await env.cluster.open_node(N2)).pause()
        env.crash_node(N1)
        await env.advance(60)
        assert await group.state_info() == clusapi.GroupStateInfo(GroupState.OFFLINE, N2)


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_online_on_a_paused_node_is_sharing_paused(recorder: Recorder) -> None:
    async with cluster_env() as env:
        group, _ = await build_group(env.cluster, "g", {"svc": []}, preferred=TWO)
        await (await env.cluster.open_node(N2)).pause()
        with pytest.raises(clusapi.InvalidStateError) as caught:
            await group.online(N2)
        assert caught.value.winerror == Win32Error.ERROR_SHARING_PAUSED
        # Still where it was created: N1, the connection's node.
        assert await group.state_info() == clusapi.GroupStateInfo(GroupState.OFFLINE, N1)


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_a_paused_node_is_refused_then_chosen_once_resumed(recorder: Recorder) -> None:
    async with cluster_env(nodes=THREE) as env:
        group, _ = await build_group(env.cluster, "g", {"svc": []}, preferred=(N2, N1, N3))
        n2 = await env.cluster.open_node(N2)
        await n2.pause()

        with pytest.raises(clusapi.ClusterError) as caught:
            await group.online(N2)
        assert caught.value.winerror in {
            Win32Error.ERROR_SHARING_PAUSED,
            Win32Error.ERROR_HOST_NODE_NOT_AVAILABLE,
        }
        # Still where it was created: N1, the connection's node.
        assert await group.state_info() == clusapi.GroupStateInfo(GroupState.OFFLINE, N1)

        await group.online()  # N2 is the most preferred, but paused
        assert await owner(group) == N1
        with pytest.raises(clusapi.ClusterError) as caught:
            await group.move(N2)
        assert caught.value.winerror in {
            Win32Error.ERROR_SHARING_PAUSED,
            Win32Error.ERROR_CLUSTER_NODE_PAUSED,
            Win32Error.ERROR_HOST_NODE_NOT_AVAILABLE,
        }
        assert await group.state_info() == clusapi.GroupStateInfo(GroupState.ONLINE, N1)
        await group.move()  # the best other node is N3, not the paused N2
        assert await owner(group) == N3

        await n2.resume()
        assert await n2.state() is NodeState.UP
        await group.move()  # N2 is the best node again
        assert await group.state_info() == clusapi.GroupStateInfo(GroupState.ONLINE, N2)
        assert recorder.where("svc", "online") == [N1, N3, N2]


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_a_paused_owner_keeps_its_online_group(recorder: Recorder) -> None:
    async with cluster_env() as env:
        group, _ = await build_group(env.cluster, "g", {"svc": []}, preferred=TWO)
        await group.online()
        await (await env.cluster.open_node(N1)).pause()
        await env.advance(60)
        assert await group.state_info() == clusapi.GroupStateInfo(GroupState.ONLINE, N1)
        assert await group.offline() is GroupState.OFFLINE  # may be taken offline
        assert recorder.actions() == [("svc", "online"), ("svc", "offline")]


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_online_on_a_paused_owner_is_sharing_paused(recorder: Recorder) -> None:
    async with cluster_env() as env:
        group, _ = await build_group(env.cluster, "g", {"svc": []}, preferred=TWO)
        await group.online()
        await group.offline()
        await (await env.cluster.open_node(N1)).pause()
        with pytest.raises(clusapi.InvalidStateError) as caught:
            await group.online()
        assert caught.value.winerror == Win32Error.ERROR_SHARING_PAUSED
        assert await group.state_info() == clusapi.GroupStateInfo(GroupState.OFFLINE, N1)


# ------------------------------------------------------------------ 7. crashed node


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_a_crashed_nodes_groups_move_after_node_timeout_and_come_back(
    recorder: Recorder,
) -> None:
    heartbeat, timeout = 1.0, 5.0
    async with cluster_env(heartbeat_interval=heartbeat, node_timeout=timeout) as env:
        group, _ = await build_group(env.cluster, "g", {"svc": []}, preferred=TWO)
        await group.set_common_properties(failover_threshold=10)
        await group.online()
        n1 = await env.cluster.open_node(N1)
        async with env.cluster.notifications(clusapi.ClusterChange.NODE_STATE) as port:
            await env.advance(0.5)  # between two heartbeats
            t_crash = now()
            env.crash_node(N1)

            # Nobody has noticed yet: the cluster still shows the group online on N1.
            await env.advance(timeout - heartbeat)
            assert await n1.state() is NodeState.UP
            assert await group.state_info() == clusapi.GroupStateInfo(GroupState.ONLINE, N1)
            assert recorder.where("svc", "online") == [N1]

            await env.advance(2 * heartbeat)
            assert await n1.state() is NodeState.DOWN
            assert await group.state_info() == clusapi.GroupStateInfo(GroupState.ONLINE, N2)
            down = port.receive_nowait()
            assert (down.change, down.name) == (clusapi.ClusterChange.NODE_STATE, N1)
            assert timeout - heartbeat < down.time - t_crash <= timeout + heartbeat
            [t_online] = recorder.times("svc", "online")[1:]
            assert t_online == pytest.approx(down.time)

            # It rejoins by itself: no resume, no manual step.
            await env.restart_node(N1)
            await env.settle()
            assert await n1.state() is NodeState.UP

        # ... and can take the group back.
        env.crash_node(N2)
        await env.advance(10)
        assert await group.state_info() == clusapi.GroupStateInfo(GroupState.ONLINE, N1)
        assert recorder.where("svc", "online") == [N1, N2, N1]


# ------------------------------------------------------------------ 8. PersistentState


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_after_a_full_outage_only_groups_left_online_come_back(recorder: Recorder) -> None:
    async with cluster_env() as env:
        on, _ = await build_group(env.cluster, "on", {"on-svc": []}, preferred=TWO)
        off, _ = await build_group(env.cluster, "off", {"off-svc": []}, preferred=TWO)
        never, _ = await build_group(env.cluster, "never", {"never-svc": []}, preferred=TWO)
        await on.online()
        await off.online()
        await off.offline()
        assert (await on.common_properties()).persistent_state is True
        assert (await off.common_properties()).persistent_state is False

        env.crash_node(N1)
        env.crash_node(N2)
        await env.advance(10)
        for node in (N1, N2):
            assert await (await env.cluster.open_node(node)).state() is NodeState.DOWN
        t_back = now()
        await env.restart_node(N2)
        await env.settle()

        assert await on.state_info() == clusapi.GroupStateInfo(GroupState.ONLINE, N2)
        assert await off.state() is GroupState.OFFLINE
        assert await never.state() is GroupState.OFFLINE
        assert recorder.names("online", since=t_back) == ["on-svc"]
        assert recorder.where("on-svc", "online") == [N1, N2]


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_after_a_full_outage_resources_left_offline_stay_offline(recorder: Recorder) -> None:
    async with cluster_env() as env:
        group, res = await build_group(env.cluster, "g", {"a": [], "b": []}, preferred=TWO)
        await group.online()
        await res["b"].offline()
        assert await group.state() is GroupState.PARTIAL_ONLINE

        env.crash_node(N1)
        env.crash_node(N2)
        await env.advance(10)
        await env.restart_node(N1)
        await env.settle()
        assert await res["a"].state() is ResourceState.ONLINE
        assert await res["b"].state() is ResourceState.OFFLINE
        assert await group.state() is GroupState.PARTIAL_ONLINE


# ------------------------------------------------------------------ 9. wait=False / failures


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_group_online_without_waiting_returns_while_pending(recorder: Recorder) -> None:
    async with cluster_env(types=(SlowStart,)) as env:
        group, res = await build_group(env.cluster, "g", {"slow": []}, "Slow Start")
        t_call = now()
        state = await group.online(wait=False)
        assert now() == t_call
        assert state in {GroupState.OFFLINE, GroupState.PENDING}
        await env.settle()
        assert await res["slow"].state() is ResourceState.ONLINE_PENDING
        assert await group.state() is GroupState.PENDING
        await env.advance(9.5)  # kept alive by its checkpoints, well past PendingTimeout's gap
        assert await group.state() is GroupState.PENDING
        await env.advance(1)
        assert await res["slow"].state() is ResourceState.ONLINE
        assert await group.state() is GroupState.ONLINE
        assert recorder.where("slow", "online") == [N1]


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_resource_online_without_waiting_returns_while_pending(recorder: Recorder) -> None:
    async with cluster_env(types=(SlowStart,)) as env:
        _, res = await build_group(env.cluster, "g", {"slow": []}, "Slow Start")
        slow = res["slow"]
        t_call = now()
        await slow.online(wait=False)
        assert now() == t_call
        await env.settle()
        assert await slow.state() is ResourceState.ONLINE_PENDING
        with pytest.raises(clusapi.InvalidStateError):
            await slow.online()  # pending: ERROR_INVALID_STATE, not queued
        await env.advance(11)
        assert await slow.state() is ResourceState.ONLINE


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_waiting_online_raises_resource_failed_naming_the_resource(
    recorder: Recorder,
) -> None:
    async with cluster_env(types=(Recorded, Failing)) as env:
        group = await env.cluster.create_group("g")
        good = await group.create_resource("good", "Recorded")
        bad = await group.create_resource("bad-disk", "Failing")
        await bad.set_common_properties(restart_action=RestartAction.DONT_RESTART)

        with pytest.raises(clusapi.ResourceFailedError) as caught:
            await group.online()
        assert caught.value.winerror == Win32Error.ERROR_RESOURCE_FAILED
        assert "bad-disk" in str(caught.value)
        assert "'good'" not in str(caught.value)
        assert await bad.state() is ResourceState.FAILED
        assert await good.state() is ResourceState.ONLINE
        assert await group.state() is GroupState.FAILED

        await bad.offline()
        with pytest.raises(clusapi.ResourceFailedError, match="bad-disk"):
            await bad.online()
        assert recorder.names("online").count("bad-disk") == 2


# ------------------------------------------------------------------ 10. possible owners


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_a_group_never_lands_on_a_node_that_one_resource_excludes(
    recorder: Recorder,
) -> None:
    async with cluster_env(nodes=THREE) as env:
        group, res = await build_group(
            env.cluster, "g", {"app": ["db"], "db": []}, preferred=(N2, N1, N3)
        )
        await res["db"].remove_possible_owner(N2)
        assert [n.name for n in await res["db"].possible_owners()] == [N1, N3]

        await group.online()  # N2 is most preferred but cannot host "db"
        assert await owner(group) == N1
        with pytest.raises(clusapi.HostNodeError) as caught:
            await group.move(N2)
        assert caught.value.winerror == Win32Error.ERROR_HOST_NODE_NOT_RESOURCE_OWNER
        assert "db" in str(caught.value)

        await group.move()
        assert await owner(group) == N3
        await res["app"].set_common_properties(restart_threshold=0)
        await res["app"].fail()  # failover from N3: N2 ranks first but is excluded
        await env.settle()
        assert await owner(group) == N1
        env.crash_node(N1)
        await env.advance(10)
        assert await group.state_info() == clusapi.GroupStateInfo(GroupState.ONLINE, N3)
        assert N2 not in recorder.nodes_used()
        assert recorder.where("db", "online") == [N1, N3, N1, N3]


# ------------------------------------------------------------------ 11. determinism


async def scripted_scenario() -> str:
    """One scenario touching most of the Failover Manager; returns the cluster log and what
    the resources saw (at times since the cluster started)."""
    start = now()
    async with cluster_env(nodes=THREE, types=(SlowOrdered,)) as env:
        group, res = await build_group(env.cluster, "g", DIAMOND, "Slow Ordered", preferred=THREE)
        other, _ = await build_group(env.cluster, "h", {"x": [], "y": ["x"]}, "Slow Ordered")
        await res["top"].set_common_properties(restart_threshold=1)
        await group.online()
        await other.online(N2)
        await group.move()
        for _ in range(2):
            await fail_by_health_check(env, RECORDER, "top")
            await env.advance(1)
        env.crash_node(N2)
        await env.advance(10)
        await env.restart_node(N2)
        await env.advance(5)
        steps = "\n".join(f"{t - start:.3f} {n} {r} {a}" for t, n, r, a in RECORDER)
        return env.format_log() + "\n--\n" + steps


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_the_same_scenario_twice_gives_the_same_log(recorder: Recorder) -> None:
    first = await scripted_scenario()
    recorder.reset()
    second = await scripted_scenario()
    assert first.count("\n") > 20
    assert first == second


def test_the_same_scenario_on_fresh_clocks_gives_the_same_log() -> None:
    logs = []
    for _ in range(2):
        RECORDER.reset()
        logs.append(anyio.run(scripted_scenario, backend_options={"loop_factory": _loop}))
    RECORDER.reset()
    assert logs[0].count("\n") > 20
    assert "failing over" in logs[0]
    assert logs[0] == logs[1]


def _loop() -> object:
    return VirtualClock().new_event_loop()


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_start_hour_is_the_hour_when_the_cluster_starts() -> None:
    await anyio.sleep(HOUR)
    async with open_reference_cluster(nodes=TWO, start_hour=10.0) as env:
        assert env.cluster_hour() == pytest.approx(10.0)


# ------------------------------------------------------------------ 12. hours of virtual time


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_a_six_hour_failover_period_and_a_one_hour_retry_period(recorder: Recorder) -> None:
    async with cluster_env(types=(Quiet,), heartbeat_interval=60, node_timeout=180) as env:
        group, res = await build_group(env.cluster, "g", {"svc": []}, "Quiet", preferred=TWO)
        svc = res["svc"]
        # Defaults: FailoverPeriod 6 h, RetryPeriodOnFailure 1 h.
        await group.set_common_properties(failover_threshold=1)
        await svc.set_common_properties(restart_threshold=0)
        props = await svc.common_properties()
        assert props.retry_period_on_failure == HOUR * 1000
        assert (await group.common_properties()).failover_period == 6
        start = now()
        await group.online()

        await svc.fail()  # failover #1: allowed
        await env.settle()
        t_failover = now()
        assert await group.state_info() == clusapi.GroupStateInfo(GroupState.ONLINE, N2)

        for at in (60.0, 5 * HOUR):  # within 6 h: refused, then retried after an hour
            await env.advance(t_failover + at - now())
            await svc.fail()
            t_fail = now()
            await env.advance(HOUR - 1)
            assert await group.state_info() == clusapi.GroupStateInfo(GroupState.FAILED, N2)
            await env.advance(2)
            assert await group.state_info() == clusapi.GroupStateInfo(GroupState.ONLINE, N2)
            assert recorder.times("svc", "online")[-1] == pytest.approx(t_fail + HOUR)

        await env.advance(t_failover + 6 * HOUR + 1 - now())
        await svc.fail()  # the first failover left the 6-hour period: allowed again
        await env.settle()
        assert await group.state_info() == clusapi.GroupStateInfo(GroupState.ONLINE, N1)
        assert recorder.where("svc", "online") == [N1, N2, N2, N2, N1]
        assert now() - start >= 6 * HOUR
