"""The reference runtime and its test tools on trio (the contract suite runs there too: see
tests/contract/conftest.py).

Every test here runs on trio through anyio's pytest plugin, on trio's own virtual time
(``trio.testing.MockClock``), except where a test says otherwise. Each of the library's trio
branches is executed by a test that names it: the clock read (``clusapi._core._clock``), the
runtime's loop-block watch, ``settle()`` and ``require_virtual_time``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING

import anyio
import pytest
import trio
from trio.testing import MockClock

import clusapi
from clusapi import GroupState, ResourceState
from clusapi._core._clock import current_clock
from clusapi.testing import VirtualClock, open_reference_cluster
from clusapi.testing._clock import require_virtual_time
from tests.reference import test_runtime_scenarios as scenarios
from tests.reference._scenario_types import SlowStart
from tests.resapi import test_isolation_separate as separate

if TYPE_CHECKING:
    from clusapi.testing import ReferenceClusterFactory
    from tests.reference._scenario_types import Recorder

pytestmark = pytest.mark.anyio

Scenario = Callable[["Recorder"], Coroutine[object, object, None]]


@pytest.fixture
def anyio_backend(request: pytest.FixtureRequest) -> tuple[str, dict[str, object]]:
    """trio on a fresh MockClock that jumps at once. A test parametrizes it (indirectly) with
    ``(library, autojump_threshold)``: the real seconds to wait for real processes before a
    jump, or asyncio on a VirtualClock for a test that holds on both libraries."""
    library, threshold = getattr(request, "param", ("trio", 0.0))
    if library == "asyncio":
        clock = VirtualClock(autojump_threshold=threshold)
        return "asyncio", {"loop_factory": clock.new_event_loop}
    return "trio", {"clock": MockClock(autojump_threshold=threshold)}


#: For a test that waits for real processes: 50 ms of real time before a jump, as the
#: separate_monitor_cluster fixture gives asyncio tests.
REAL_IO = pytest.mark.parametrize(
    "anyio_backend", [("trio", 0.05)], indirect=True, ids=["autojump-50ms"]
)
#: For a test of a library fix that holds on both.
BOTH = pytest.mark.parametrize(
    "anyio_backend", [("asyncio", 0.0), ("trio", 0.0)], indirect=True, ids=["asyncio", "trio"]
)


# ------------------------------------------------------------------ the trio branches


async def test_the_runtime_reads_trios_clock() -> None:
    # clusapi._core._clock: no asyncio loop, so the clock is anyio's, i.e. the MockClock.
    clock = current_clock()
    assert clock is anyio.current_time
    before = clock()
    await anyio.sleep(7.5)
    assert clock() == before + 7.5


async def test_a_cluster_runs_without_the_asyncio_loop_watch() -> None:
    # _runtime.start(): loop_block_threshold is set (the default), but on trio there is no
    # asyncio loop to watch; the cluster forms and runs regardless.
    async with open_reference_cluster(nodes=("N1", "N2"), loop_block_threshold=1.0) as env:
        assert env._runtime._loop_watch is None
        node = await env.cluster.open_node("N1")
        await env.advance(60)
        assert await node.state() is clusapi.NodeState.UP


async def test_settle_runs_ready_tasks_without_moving_the_clock() -> None:
    from clusapi.testing._env import settle

    steps: list[float] = []

    async def worker() -> None:
        for _ in range(3):
            steps.append(anyio.current_time())
            await anyio.lowlevel.checkpoint()
        await anyio.sleep(10)
        steps.append(anyio.current_time())

    start = anyio.current_time()
    async with anyio.create_task_group() as tg:
        tg.start_soon(worker)
        await settle()
        assert steps == [start] * 3  # ran until it waits for its timer; no time passed
        assert anyio.current_time() == start
        await anyio.sleep(10)
        await settle()
        assert steps == [start] * 3 + [start + 10]


async def test_advance_moves_trios_mock_clock() -> None:
    async with open_reference_cluster(nodes=("N1",)) as env:
        start = anyio.current_time()
        await env.advance(3600)
        assert anyio.current_time() == start + 3600


def test_advance_on_trio_without_a_mock_clock_is_refused() -> None:
    async def main() -> None:
        async with open_reference_cluster(nodes=("N1",)) as env:
            with pytest.raises(clusapi.InvalidStateError, match=r"env\.advance\(5\)") as info:
                await env.advance(5)
            assert info.value.winerror == clusapi.Win32Error.ERROR_INVALID_STATE
            assert "trio.testing.MockClock" in str(info.value)  # the fix, for trio
            with pytest.raises(clusapi.InvalidStateError, match="needs virtual time"):
                require_virtual_time("the call")

    trio.run(main)  # trio's own real clock: no MockClock


async def test_the_reference_cluster_fixture_on_trio(
    reference_cluster: ReferenceClusterFactory,
) -> None:
    # docs/testing.md's trio example: the plugin's fixture, trio's clock from anyio_backend.
    async with reference_cluster(nodes=("N1", "N2")) as env:
        env.crash_node("N1")
        await env.advance(30)
        node = await env.cluster.open_node("N1")
        assert await node.state() is clusapi.NodeState.DOWN


# ------------------------------------------------------------------ the runtime's scenarios


#: Not on trio: trio runs the tasks that are ready at one instant in a random order (on
#: purpose), so two runs may log simultaneous events in another order; a byte-identical log
#: is asyncio's (docs/testing.md, "trio").
ASYNCIO_ONLY = frozenset({"test_the_same_scenario_twice_gives_the_same_log"})


def _scenarios() -> list[Scenario]:
    # The failover, restart, threshold, failback and pause scenarios of the asyncio suite
    # that take only the recorder: the same functions, run here on trio.
    return [
        func
        for name, func in vars(scenarios).items()
        if name.startswith("test_")
        and name not in ASYNCIO_ONLY
        and inspect.iscoroutinefunction(func)
        and list(inspect.signature(func).parameters) == ["recorder"]
    ]


SCENARIOS = _scenarios()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.__name__[5:] for s in SCENARIOS])
async def test_runtime_scenario_on_trio(scenario: Scenario, recorder: Recorder) -> None:
    await scenario(recorder)


def test_the_scenarios_are_found() -> None:
    # Guards the selection above: a rename must not silently empty it.
    assert len(SCENARIOS) >= 20


recorder = scenarios.recorder


# ------------------------------------------------------------------ separate monitor processes


@REAL_IO
async def test_a_separate_monitor_process_on_trio() -> None:
    # The monitor is a real process: like the asyncio tests, virtual time waits 50 ms of real
    # time for its replies before it jumps.
    await separate.test_it_runs_in_its_own_process()


@REAL_IO
async def test_a_crashing_separate_monitor_fails_alone_on_trio() -> None:
    await separate.test_a_misbehaving_separate_resource_fails_alone("exit", "exited with code 3")


# ------------------------------------------------------------------ library fixes, both libraries


@BOTH
async def test_a_crashed_nodes_instances_are_terminated(recorder: Recorder) -> None:
    # A crash kills the node's task group; the watchdog that bounds Terminate used to run its
    # timer there, so a reap that ran after that group had closed was refused and the error
    # swallowed: Terminate never ran. Which came first was up to the scheduler (trio's
    # contract failover tests hit it); here Terminate must run, whatever the order.
    async with scenarios.cluster_env() as env:
        group, _ = await scenarios.build_group(env.cluster, "g", {"svc": []})
        await group.online(scenarios.N1)
        t_crash = anyio.current_time()
        env.crash_node(scenarios.N1)
        await env.settle()
        assert recorder.where("svc", "terminate") == [scenarios.N1]
        assert recorder.times("svc", "terminate") == [t_crash]


@BOTH
@pytest.mark.parametrize("repeat", range(5))
async def test_online_without_waiting_returns_the_started_state(
    recorder: Recorder, repeat: int
) -> None:
    # trio runs the ready tasks of a turn in either order; the state returned must not depend
    # on it (start_first_step). Repeated: a wrong order shows up half the time.
    del repeat
    async with scenarios.cluster_env(types=(SlowStart,)) as env:
        group, resources = await scenarios.build_group(env.cluster, "g", {"s": []}, "Slow Start")
        seen = [await resources["s"].online(wait=False)]
        await env.advance(60)
        seen.append(await resources["s"].offline(wait=False))
        await env.advance(60)
        seen.append(await group.online(wait=False))
        await env.advance(60)
        seen.append(await group.move(wait=False))
        await env.advance(60)
        seen.append(await group.offline(wait=False))
        # Offline of this type is done in its first step; the others are still pending.
        assert seen == [
            ResourceState.ONLINE_PENDING,
            ResourceState.OFFLINE,
            GroupState.PENDING,
            GroupState.PENDING,
            GroupState.OFFLINE,
        ]
