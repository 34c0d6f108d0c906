"""Deterministic fault simulation (clusapi.testing._faults): seeded schedules, the invariant
checker, reproducible cluster logs, and, at the end, the runtime bugs the simulation found,
each kept as its smallest scenario (regression tests)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path
from typing import ClassVar

import anyio
import attrs
import pytest

import clusapi
import resapi
from clusapi import ClusterChange, GroupState, ResourceState
from clusapi.testing import open_reference_cluster
from clusapi.testing._faults import (
    EXPECTED_ERRORS,
    FaultKind,
    FaultSchedule,
    SimulationReport,
    SimulationTimings,
    TimelineEvent,
    check_timeline,
    main,
    replay_command,
    run_fault_schedule,
)
from clusapi.testing._faults._checks import _EventStreamChecker, _Ledger

ROOT = Path(__file__).resolve().parents[2]

#: The CI sample: at least 50 seeds; fewer steps than the benchmark's 200 (measured: about
#: 6 s of wall time on a 2-core machine).
SAMPLE_SEEDS = range(1000, 1050)
SAMPLE_STEPS = 120


# -- the schedule ---------------------------------------------------------------------------


def test_a_schedule_is_a_function_of_its_seed():
    first = FaultSchedule.generate(7, steps=150)
    again = FaultSchedule.generate(7, steps=150)
    assert first == again
    assert len(first.steps) == 150
    assert [s.index for s in first.steps] == list(range(150))
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        first.seed = 8  # type: ignore[misc]


def test_different_seeds_give_different_schedules():
    schedules = [FaultSchedule.generate(seed, steps=50) for seed in range(30)]
    assert len({s.steps for s in schedules}) == 30
    assert len({s.workload for s in schedules}) == 30


def test_the_seed_decides_the_quorum_mode_unless_told():
    modes = {FaultSchedule.generate(seed, steps=0).quorum for seed in range(20)}
    assert modes == {True, False}
    for quorum in (True, False):
        schedule = FaultSchedule.generate(3, steps=10, quorum=quorum)
        assert schedule.quorum is quorum
        assert (schedule.workload.quorum_group is not None) is quorum
    assert replay_command(3, 10) == "python -m clusapi.testing.faults --seed 3 --steps 10"
    assert replay_command(3, 10, quorum=False).endswith("--steps 10 --no-quorum")
    assert replay_command(3, 10, nodes=3, quorum=True).endswith("--nodes 3 --quorum")


def test_schedules_cover_every_kind_of_fault_and_work():
    seen = {
        step.kind
        for seed in range(12)
        for step in FaultSchedule.generate(seed, steps=200, quorum=True).steps
    }
    assert seen == set(FaultKind)
    workload = FaultSchedule.generate(0).workload
    assert len(workload.groups) == 8
    assert workload.groups[0].resources[0].type == "counter"
    assert all(1 <= len(g.resources) <= 3 for g in workload.groups)


def test_the_recovery_bound_follows_from_the_timeouts():
    t = SimulationTimings()
    # detect = 5 + 3 * 1; layer = max(5, 2 * 3) + 0.5 = 6.5; (2 * 3 + 1) layers; retry 60 s.
    assert t.recovery_bound(3) == pytest.approx(8 + 7 * 6.5 + 60)
    slower = attrs.evolve(t, pending_timeout_ms=20_000)
    assert slower.recovery_bound(1) == pytest.approx(8 + 3 * 20.5 + 60)


# -- the checker ----------------------------------------------------------------------------


def ev(time: float, node: str, resource: str, event: str, instance: int, group: str = "g"):
    return TimelineEvent(time, node, resource, group, instance, event)


def test_check_timeline_accepts_a_clean_handover():
    events = [
        ev(0, "N1", "a", "online", 1),
        ev(0, "N1", "a", "online_done", 1),
        ev(1, "N1", "a", "offline", 1),
        ev(1, "N1", "a", "offline_done", 1),
        ev(1, "N2", "a", "online", 2),
        ev(2, "N2", "a", "terminate", 2),  # failed there
        ev(3, "N3", "a", "online", 3),
    ]
    checked, violations = check_timeline(events)
    assert (checked, violations) == (6, [])


def test_check_timeline_catches_a_resource_online_on_two_nodes():
    events = [ev(0, "N1", "a", "online", 1), ev(5, "N2", "a", "online", 2)]
    checked, violations = check_timeline(events)
    assert checked == 4
    assert violations[0] == (
        "I1 at t=5.000: resource 'a' came online on N2 while still active on ['N1']"
    )
    assert "group 'g' online on two nodes" in violations[1]


def test_check_timeline_catches_a_group_split_across_nodes():
    # Two different resources of one group, each online once, on two nodes at once.
    events = [ev(0, "N1", "a", "online", 1), ev(1, "N2", "b", "online", 2)]
    _, violations = check_timeline(events)
    assert violations == [
        "I1 at t=1.000: group 'g' online on two nodes: 'b' came online on N2 while 'a' is "
        "active on N1"
    ]
    # ...but another group on another node is fine.
    _, violations = check_timeline(
        [ev(0, "N1", "a", "online", 1), ev(1, "N2", "b", "online", 2, group="h")]
    )
    assert violations == []


def note(change: ClusterChange, name: str, time: float) -> clusapi.Notification:
    return clusapi.Notification(change, name, name, time)


def test_the_event_stream_checker_catches_a_skipped_and_a_misplaced_change():
    checker = _EventStreamChecker({})
    ledger = _Ledger()
    checker.observe(0.0, {"r": ResourceState.ONLINE, "s": ResourceState.ONLINE}, [], [], ledger)
    # r changed with an event (ok); s changed without one (a skipped change).
    events = [note(ClusterChange.RESOURCE_STATE, "r", 1.0)]
    checker.observe(
        2.0, {"r": ResourceState.FAILED, "s": ResourceState.OFFLINE}, events, events, ledger
    )
    assert ledger.violations == [
        "I4 at t=2.000: 's' went from ONLINE to OFFLINE since t=0.000 with no state event "
        "on the port"
    ]
    # An event dated before its window, and a filtered port that lost one.
    ledger = _Ledger()
    late = [note(ClusterChange.RESOURCE_STATE, "r", 1.5), note(ClusterChange.NODE_STATE, "n", 3)]
    checker.observe(4.0, {"r": ResourceState.ONLINE}, late, [], ledger)
    assert len(ledger.violations) == 2
    assert "port delivered 0 events, the ALL port 1" in ledger.violations[0]
    assert "out of order (window [2.000, 4.000]" in ledger.violations[1]
    assert ledger.checked == 3


def test_an_injected_double_online_is_caught_and_the_message_names_the_replay():
    def inject(timeline: list[TimelineEvent]) -> None:
        first = next(i for i, e in enumerate(timeline) if e.event == "online_done")
        real = timeline[first]
        other = "NODE4" if real.node != "NODE4" else "NODE1"
        timeline.insert(first + 1, attrs.evolve(real, node=other, instance=-1, event="online"))

    report = run_fault_schedule(11, steps=10, tamper=inject)
    assert not report.ok
    assert any("came online on" in v and "while still active" in v for v in report.violations)
    assert report.replay_command == "python -m clusapi.testing.faults --seed 11 --steps 10"
    assert report.replay_command in report.failure_message()
    with pytest.raises(AssertionError, match=r"replay: python -m clusapi\.testing\.faults"):
        report.raise_for_violations()


def test_a_report_summarises_and_counts():
    report = run_fault_schedule(4, steps=40)
    assert isinstance(report, SimulationReport)
    assert (report.seed, report.steps, report.nodes) == (4, 40, 4)
    assert report.faults + report.operations == 40
    assert report.invariants_checked > 500
    assert len(report.cluster_log_digest) == 64
    assert {name for name, _ in report.expected_errors} <= {c.name for c in EXPECTED_ERRORS}
    assert "seed 4: " in report.summary()


# -- determinism ----------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_cluster_log():
    first = run_fault_schedule(21, steps=80)
    again = run_fault_schedule(21, steps=80)
    assert first.cluster_log_digest == again.cluster_log_digest
    assert first.invariants_checked == again.invariants_checked
    assert first.violations == again.violations
    other = run_fault_schedule(22, steps=80)
    assert other.cluster_log_digest != first.cluster_log_digest


def test_the_same_seed_gives_the_same_cluster_log_in_another_process():
    code = (
        "from clusapi.testing._faults import run_fault_schedule as r; "
        "print(r(21, steps=80).cluster_log_digest)"
    )
    here = run_fault_schedule(21, steps=80).cluster_log_digest
    for hash_seed in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(ROOT)}
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
        )
        assert out.stdout.strip() == here


def test_main_runs_a_seed_and_prints_its_replay_when_it_fails(capsys):
    rc = main(["--seed", "5", "--steps", "30"])
    out = capsys.readouterr().out
    report = run_fault_schedule(5, steps=30)
    assert rc == (0 if report.ok else 1)
    assert report.summary() in out
    assert "1 seed(s) x 30 steps" in out
    if not report.ok:
        assert f"replay: {report.replay_command}" in out


# -- the sample -----------------------------------------------------------------------------


@pytest.mark.slow
def test_a_sample_of_seeds_holds_every_invariant():
    failures = []
    checked = 0
    for seed in SAMPLE_SEEDS:
        report = run_fault_schedule(seed, steps=SAMPLE_STEPS)
        checked += report.invariants_checked
        if not report.ok:
            failures.append(report.failure_message(limit=3))
    assert checked > 50 * 1000
    assert not failures, "\n".join(failures[:5]) + f"\n({len(failures)} seeds failed)"


# -- the runtime bugs the simulation found, smallest scenarios -------------------------------

pytestmark_bugs = [pytest.mark.asyncio, pytest.mark.virtual_time]


@attrs.define
class Seen:
    """What the resources saw: (time, node, resource, event), and the I1 checker over it."""

    events: list[TimelineEvent] = attrs.field(factory=list)
    serial: int = 0

    def add(self, res: Recorder, event: str) -> None:
        self.events.append(
            TimelineEvent(
                anyio.current_time(), res.node_name, res.name, res.name, res.serial, event
            )
        )

    def double_onlines(self) -> list[str]:
        return check_timeline(self.events)[1]

    def of(self, resource: str) -> list[tuple[float, str, str]]:
        return [(e.time, e.node, e.event) for e in self.events if e.resource == resource]


SEEN = Seen()


class Recorder(resapi.Resource):
    """Records its entry points; a resource named 'slow…' pends 10 s with progress reports, one
    named 'worker…' runs a worker whose cleanup takes a loop turn, one named 'lazy…' takes
    0.1 s to terminate."""

    type_name = "Recorder"
    __slots__ = ("serial", "up")

    def __init__(self, context: resapi.ResourceContext) -> None:
        super().__init__(context)
        SEEN.serial += 1
        self.serial = SEEN.serial
        self.up = False

    async def online(self) -> None:
        SEEN.add(self, "online")
        if self.name.startswith("slow"):
            for _ in range(5):
                await anyio.sleep(2)
                self.checkpoint()
        if self.name.startswith("worker"):
            self.start_worker(self._serve)
        self.up = True

    async def _serve(self) -> None:
        try:
            await anyio.sleep_forever()
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.lowlevel.checkpoint()  # cleanup that takes one loop turn

    async def offline(self) -> None:
        SEEN.add(self, "offline")
        self.up = False
        SEEN.add(self, "offline_done")

    async def terminate(self) -> None:
        SEEN.add(self, "terminate")
        self.up = False
        if self.name.startswith("lazy"):
            await anyio.sleep(0.1)

    async def looks_alive(self) -> bool:
        return self.up

    async def is_alive(self) -> bool:
        return self.up


class StrictDisk(Recorder):
    """A quorum disk whose reservation is held and defended by one live instance."""

    type_name = "Strict Disk"
    resource_class = clusapi.ResourceClass.STORAGE
    holder: ClassVar[Recorder | None] = None
    __slots__ = ()

    async def arbitrate(self, lost: object) -> None:
        if StrictDisk.holder is not None and StrictDisk.holder is not self:
            raise OSError(f"reserved by {StrictDisk.holder.node_name}")
        StrictDisk.holder = self

    async def release(self) -> None:
        if StrictDisk.holder is self:
            StrictDisk.holder = None

    async def terminate(self) -> None:
        if StrictDisk.holder is self:
            StrictDisk.holder = None
        await super().terminate()


class OpenDisk(Recorder):
    """A quorum disk whose Arbitrate always wins (as tests/reference/test_quorum.py's Disk)."""

    type_name = "Open Disk"
    resource_class = clusapi.ResourceClass.STORAGE
    __slots__ = ()

    async def arbitrate(self, lost: object) -> None:
        pass

    async def release(self) -> None:
        pass


@pytest.fixture
def seen():
    SEEN.events.clear()
    StrictDisk.holder = None
    return SEEN


async def cluster_with(env, *groups: tuple[str, list[str]]):
    """Create the Recorder type and groups of Recorder resources."""
    await env.cluster.create_resource_type(Recorder)
    made = []
    for name, resources in groups:
        group = await env.cluster.create_group(name)
        made.append(group)
        for res in resources:
            await group.create_resource(res, "Recorder")
    return made


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_bug1_online_to_another_node_while_running_is_refused(seen):
    async with open_reference_cluster(nodes=("N1", "N2")) as env:
        (group,) = await cluster_with(env, ("g", ["r"]))
        await group.online("N1")
        # Running on N1: coming online on N2 as well would run it twice; that is a move.
        with pytest.raises(clusapi.InvalidStateError) as info:
            await group.online("N2")
        assert info.value.winerror == clusapi.Win32Error.ERROR_INVALID_STATE
        assert (await group.state_info()).owner == "N1"
        assert seen.double_onlines() == []


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_bug2_a_move_cancels_the_pending_restart_on_the_old_node(seen):
    async with open_reference_cluster(nodes=("N1", "N2")) as env:
        (group,) = await cluster_with(env, ("g", ["r"]))
        res = await env.cluster.open_resource("r")
        await group.online("N1")
        await res.fail()  # policy: restart on N1 after RestartDelay (0.5 s)
        await env.settle()
        await group.move("N2")  # within those 0.5 s
        await env.advance(1)
        assert seen.double_onlines() == []


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_bug3_a_queued_online_does_not_run_on_a_node_that_left(seen):
    async with open_reference_cluster(nodes=("N1", "N2", "N3")) as env:
        (group,) = await cluster_with(env, ("g", ["slow", "r"]))
        r = await env.cluster.open_resource("r")
        await group.online("N1", wait=False)  # 'slow' pends 10 s, holding the group
        async with anyio.create_task_group() as tg:

            async def admin() -> None:
                # Queued behind the group's operation, for N1; it may fail, or come online
                # on a member node, but not on N1 once N1 has left.
                with contextlib.suppress(clusapi.ClusterError):
                    await r.online()

            tg.start_soon(admin)
            await env.settle()
            env.partition(["N1"], ["N2", "N3"])  # N1 loses membership at t = 5
            await env.advance(20)
        assert seen.double_onlines() == []


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_bug4_a_failback_to_a_node_that_crashed_meanwhile_is_dropped(seen):
    async with open_reference_cluster(nodes=("N1", "N2")) as env:
        (group,) = await cluster_with(env, ("g", ["slow"]))
        await group.set_preferred_owners(["N1", "N2"])
        await group.set_common_properties(auto_failback_type=1)
        await group.online("N1")
        env.crash_node("N1")
        await env.advance(6)  # failover to N2: a 10 s online
        await env.restart_node("N1")  # failback to N1 queues behind it
        await env.advance(1)
        env.crash_node("N1")  # ...and its target dies before it runs
        await env.advance(20)
        assert (await group.state_info()) == clusapi.GroupStateInfo(GroupState.ONLINE, "N2")


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_bug5_forming_the_cluster_does_not_restore_a_group_that_failed_over(seen):
    async with open_reference_cluster(nodes=("N1", "N2", "N3")) as env:
        c = env.cluster
        (group,) = await cluster_with(env, ("g", ["slow"]))
        await c.create_resource_type(OpenDisk)
        core = await c.create_group("core")
        disk = await core.create_resource("disk", "Open Disk")
        await core.online("N1")
        await c.set_quorum_resource(disk)
        await group.set_preferred_owners(["N3", "N2", "N1"])
        await group.online("N1")
        env.crash_node("N3")
        await env.advance(6)
        env.partition(["N1"], ["N2"])  # N1 holds the disk: N2 leaves
        await env.advance(6)
        env.crash_node("N1")  # N2 wins the disk and forms the cluster alone:
        await env.advance(6)  # failover of g to N2 (10 s) and _restore_group(g) both run
        env.heal()
        await env.restart_node("N3")  # restore now picks N3
        await env.advance(30)
        assert seen.double_onlines() == []


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_bug6_the_quorum_resource_comes_back_where_the_device_is_held(seen):
    async with open_reference_cluster(nodes=("N1", "N2", "N3")) as env:
        c = env.cluster
        await c.create_resource_type(StrictDisk)
        core = await c.create_group("Cluster Group")
        disk = await core.create_resource("Quorum Disk", "Strict Disk")
        await core.set_preferred_owners(["N1", "N3", "N2"])
        await core.online("N1")
        await c.set_quorum_resource(disk)
        env.crash_node("N1")  # N2 wins arbitration; the group fails over to N3 (preferred)
        await env.advance(3600)
        assert await disk.state() is ResourceState.ONLINE


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_bug7_an_admin_online_during_restart_delay_keeps_dependents_coming_back(seen):
    async with open_reference_cluster(nodes=("N1", "N2")) as env:
        (group,) = await cluster_with(env, ("g", ["p", "d"]))
        p = await env.cluster.open_resource("p")
        d = await env.cluster.open_resource("d")
        await d.add_dependency(p)
        await group.online()
        await p.fail()  # takes d offline; restarts p and d after RestartDelay
        await env.settle()
        await p.online()  # the administrator is quicker
        await env.advance(3600)
        assert await group.state() is GroupState.ONLINE


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_bug8_the_retry_after_retry_period_brings_back_the_dependents(seen):
    async with open_reference_cluster(nodes=("N1",)) as env:
        (group,) = await cluster_with(env, ("g", ["p", "d"]))
        p = await env.cluster.open_resource("p")
        d = await env.cluster.open_resource("d")
        await d.add_dependency(p)
        await p.set_common_properties(
            restart_threshold=0, restart_period=60_000, retry_period_on_failure=60_000
        )
        await group.online()
        await p.fail()  # no restart, no other node: p stays failed, d goes offline
        await env.advance(3600)  # the final retry brings p back after 60 s
        assert await group.state() is GroupState.ONLINE


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_bug10_a_node_that_leaves_stops_everything_before_a_failback_runs(seen):
    async with open_reference_cluster(nodes=("N1", "N2", "N3")) as env:
        a, b = await cluster_with(env, ("a", ["worker"]), ("b", ["slow"]))
        await b.set_preferred_owners(["N1", "N2", "N3"])
        await b.set_common_properties(auto_failback_type=1)
        env.crash_node("N1")
        await env.advance(6)
        await a.online("N2")
        await b.online("N2", wait=False)  # 'slow' pends 10 s on N2
        await env.advance(1)
        await env.restart_node("N1")  # failback of b to N1 queues behind it
        env.partition(["N2"], ["N1", "N3"])  # N2 leaves at t = 12: _isolate terminates
        await env.advance(15)  # 'worker' (awaits its worker), then 'slow'
        assert seen.double_onlines() == []


@pytest.mark.asyncio
@pytest.mark.virtual_time
@pytest.mark.parametrize("how", ["crash", "partition"])
async def test_bug11_a_node_that_goes_away_terminates_every_instance(seen, how):
    # Found by the fault simulation over the Echo Server, whose Terminate awaits its worker:
    # the node's watchdog ran in the node's own task group, gone once the node lost quorum,
    # so after a Terminate that awaited, every later one raised inside the runtime (and was
    # swallowed): the instances kept running, their ports open. (A crash terminates its
    # instances concurrently and was not affected; it is checked too.)
    async with open_reference_cluster(nodes=("N1", "N2", "N3")) as env:
        (group,) = await cluster_with(env, ("g", ["lazy1", "lazy2", "lazy3"]))
        await group.set_preferred_owners(["N1", "N2", "N3"])
        await group.online("N1")
        if how == "crash":
            env.crash_node("N1")
        else:
            env.partition(["N1"], ["N2", "N3"])
        await env.advance(10)
        for name in ("lazy1", "lazy2", "lazy3"):
            assert ("N1", "terminate") in [(n, e) for _, n, e in seen.of(name)], seen.of(name)
        assert seen.double_onlines() == []
