"""A resource in a Resource Monitor process of its own (SeparateMonitor):
resapi._monitor._process_host.ProcessHost.

These run real processes on real time (the deadlines are real seconds, DeadlockTimeout 1 s), on
the plain asyncio loop unless marked otherwise. Every test checks that the processes it started
are gone.
"""

from __future__ import annotations

import os
import signal
import sys

import anyio
import pytest

from clusapi import ClusterError, InvalidStateError, ResourceState, Win32Error
from clusapi._core._registry_tree import RegistryTree
from clusapi._registry import RegValue
from clusapi.testing import open_reference_cluster
from resapi import NOT_HANDLED, FailureReport, LogEntry, LogLevel, ResourceStatus
from resapi._monitor._process_host import ProcessHost
from tests.resapi.separate import types

ONLINE, OFFLINE, FAILED = ResourceState.ONLINE, ResourceState.OFFLINE, ResourceState.FAILED
STEADY = "tests.resapi.separate.types:Steady"

pytestmark = pytest.mark.asyncio


class Recorder:
    """A HostListener that keeps everything."""

    def __init__(self) -> None:
        self.statuses: list[ResourceStatus] = []
        self.log: list[LogEntry] = []
        self.failures: list[FailureReport] = []
        self._changed = anyio.Event()

    def on_status(self, status: ResourceStatus) -> None:
        self.statuses.append(status)
        self._changed.set()

    def on_log(self, entry: LogEntry) -> None:
        self.log.append(entry)
        self._changed.set()

    async def wait_until(self, condition) -> None:
        """Wait (5 s at most) until ``condition()`` holds after a report."""
        with anyio.fail_after(5):
            while not condition():
                self._changed = anyio.Event()
                await self._changed.wait()

    def on_failure(self, report: FailureReport) -> None:
        self.failures.append(report)

    def states(self) -> list[ResourceState]:
        out: list[ResourceState] = []
        for status in self.statuses:
            if not out or out[-1] is not status.state:
                out.append(status.state)
        return out

    def errors(self) -> list[str]:
        return [e.message for e in self.log if e.level >= LogLevel.ERROR]


def assert_gone(pid: int | None) -> None:
    assert pid is not None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def make_host(tg, recorder: Recorder, path: str = STEADY, **kwargs) -> ProcessHost:
    kwargs.setdefault("deadlock_timeout", 1.0)
    kwargs.setdefault("deadline_grace", 0.25)
    parameters = kwargs.pop("parameters", {})
    return ProcessHost(path, "res", parameters, recorder, task_group=tg, node_name="N1", **kwargs)


async def set_mode(host: ProcessHost, mode: str) -> None:
    assert await host.control(types.SET_MODE, mode.encode()) == b""


async def test_a_resource_lives_its_life_in_its_own_process():
    recorder = Recorder()
    registry = RegistryTree(label="the local registry of node 'N1'")
    async with anyio.create_task_group() as tg:
        host = make_host(tg, recorder, local_registry=registry)
        assert host.pid is None
        assert host.state is ResourceState.INITIALIZING
        await host.open()
        pid = host.pid
        assert pid is not None
        assert pid != os.getpid()
        assert host.type_name == "Separate Steady"
        assert await host.online() is ONLINE
        assert host.state is ONLINE
        assert await host.looks_alive()
        assert await host.is_alive()
        assert await host.check_health(thorough=False)
        assert await host.check_health(thorough=True)
        # Control codes cross the process boundary both ways, errors included.
        assert await host.control(types.ECHO, b"ping") == b"echo:ping"
        assert await host.control(types.GET_PID, b"") == str(pid).encode()
        assert await host.control(0x0040_0FFF, b"") is NOT_HANDLED
        with pytest.raises(ClusterError) as caught:
            await host.control(types.REJECT, b"")
        assert caught.value.winerror == Win32Error.ERROR_INVALID_DATA
        assert "rejected on purpose" in str(caught.value)
        assert await host.offline() is OFFLINE
        assert host.pid == pid  # one process all along
        await host.close()
        await host.close()  # idempotent
        assert host.pid is None
    assert recorder.states() == [
        OFFLINE,
        ResourceState.ONLINE_PENDING,
        ONLINE,
        ResourceState.OFFLINE_PENDING,
        OFFLINE,
    ]
    messages = [e.message for e in recorder.log]
    assert f"opened in process {pid}" in messages
    assert "online" in messages
    assert all(e.resource == "res" and e.type_name == "Separate Steady" for e in recorder.log)
    # Writes to the local registry in the child reached the node's registry here.
    assert registry.query_value(types.REGISTRY_KEY, "Count") == RegValue.from_python(1)
    assert registry.query_value(types.REGISTRY_KEY, "State") == RegValue.from_python("offline")
    assert_gone(pid)


async def test_the_local_registry_goes_both_ways():
    recorder = Recorder()
    registry = RegistryTree()
    registry.create_key(types.REGISTRY_KEY)
    registry.set_value(types.REGISTRY_KEY, "Seed", RegValue.from_python(10))
    seen: list[tuple[str, str | None]] = []
    registry.on_change = lambda kind, path, name: seen.append((path, name))
    async with anyio.create_task_group() as tg:
        host = make_host(tg, recorder, local_registry=registry)
        await host.open()  # the child starts with a copy of the node's registry
        assert await host.online() is ONLINE
        assert registry.query_value(types.REGISTRY_KEY, "Count").data == 11
        assert (types.REGISTRY_KEY, "Count") in seen  # change events fire here (checkpoints)
        assert await host.offline() is OFFLINE
        # Edits made here while it is offline (a checkpoint restored before Online) are sent
        # to the child with the next Online.
        registry.set_value(types.REGISTRY_KEY, "Seed", RegValue.from_python(41))
        assert await host.online() is ONLINE
        assert registry.query_value(types.REGISTRY_KEY, "Count").data == 42
        pid = host.pid
        await host.close()
    assert_gone(pid)


async def test_a_process_that_exits_fails_the_resource_and_is_recycled():
    recorder = Recorder()
    async with anyio.create_task_group() as tg:
        host = make_host(tg, recorder)
        await host.open()
        assert await host.online() is ONLINE
        first = host.pid
        await set_mode(host, "exit")  # IsAlive calls os._exit(3)
        assert not await host.check_health(thorough=True)
        assert host.state is FAILED
        assert recorder.statuses[-1].state is FAILED
        assert host.pid is None
        assert_gone(first)  # killed and reaped before the call returned
        [error] = [m for m in recorder.errors() if "exited" in m]
        assert f"monitor process {first} of resource 'res' exited with code 3" in error
        assert "during IsAlive" in error
        assert not host.deadlocked
        # The next Online starts a fresh process and re-opens the instance in it.
        assert await host.online() is ONLINE
        second = host.pid
        assert second is not None
        assert second != first
        assert await host.is_alive()
        await host.close()
    assert_gone(second)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
async def test_a_leaking_resource_recycles_its_monitor_past_the_memory_limit():
    recorder = Recorder()
    async with anyio.create_task_group() as tg:
        host = make_host(tg, recorder, memory_limit=256 * 2**20)
        await host.open()
        assert await host.online() is ONLINE
        first = host.pid
        await set_mode(host, "leak")  # every probe keeps 64 MB more
        for _ in range(10):
            if not await host.check_health(thorough=True):
                break
        assert host.state is FAILED
        assert_gone(first)  # the OS took the leak back with the process
        assert any("more than its limit of 256 MB: it leaks" in m for m in recorder.errors())
        assert any(
            f"monitor process {first}" in m and "exited with code 12" in m
            for m in recorder.errors()
        )
        assert await host.online() is ONLINE  # a fresh process
        assert host.pid != first
        await host.close()


async def test_an_is_alive_that_blocks_its_event_loop_is_a_deadlock():
    recorder = Recorder()
    async with anyio.create_task_group() as tg:
        host = make_host(tg, recorder)
        await host.open()
        assert await host.online() is ONLINE
        pid = host.pid
        await set_mode(host, "sleep")  # IsAlive: time.sleep(60)
        start = anyio.current_time()
        assert not await host.is_alive()
        waited = anyio.current_time() - start
        assert 1.0 <= waited < 5.0  # DeadlockTimeout 1 s + grace 0.25 s
        assert host.state is FAILED
        assert recorder.statuses[-1].state is FAILED
        assert_gone(pid)
        [error] = [m for m in recorder.errors() if "deadlock" in m]
        assert error.startswith(
            "deadlock: IsAlive of resource 'res' did not return within 1.25 s "
            "(DeadlockTimeout 1 s); recycling its monitor"
        )
        assert host.deadlocked
        assert await host.online() is ONLINE  # recycled
        assert not host.deadlocked
        assert host.pid not in (None, pid)
        await host.close()


async def test_an_is_alive_that_awaits_forever_is_caught_by_the_child_and_recycled():
    recorder = Recorder()
    async with anyio.create_task_group() as tg:
        host = make_host(tg, recorder, deadlock_timeout=0.5, deadline_grace=3.0)
        await host.open()
        assert await host.online() is ONLINE
        pid = host.pid
        await set_mode(host, "hang")  # awaits forever: the child's own DeadlockTimeout acts
        start = anyio.current_time()
        assert not await host.check_health(thorough=False)
        assert anyio.current_time() - start < 3.0  # before the parent's deadline
        assert host.state is FAILED
        assert_gone(pid)
        errors = recorder.errors()
        assert any(
            m.startswith("deadlock: LooksAlive of resource 'res' did not return within 0.5 s")
            for m in errors
        ), errors
        assert any(f"monitor process {pid} of resource 'res' killed" in m for m in errors)
        assert host.deadlocked
        await host.close()


async def test_an_online_without_progress_reports_fails_by_pending_timeout():
    # The child's host ends it after min(PendingTimeout, DeadlockTimeout), as in-process, and
    # calls Terminate; the process lives on (this is not a deadlock).
    recorder = Recorder()
    async with anyio.create_task_group() as tg:
        host = make_host(
            tg,
            recorder,
            deadlock_timeout=0.5,
            pending_timeout=600.0,
            parameters={"OnlineMode": "hang"},
        )
        await host.open()
        pid = host.pid
        start = anyio.current_time()
        assert await host.online() is FAILED
        assert 0.5 <= anyio.current_time() - start < 1.0
        assert recorder.states()[-2:] == [ResourceState.ONLINE_PENDING, FAILED]
        assert any("Online made no progress report for 0.5 s" in m for m in recorder.errors())
        assert host.pid == pid
        assert not host.deadlocked
        await host.close()
    assert_gone(pid)


async def test_an_online_that_blocks_its_event_loop_is_a_deadlock():
    recorder = Recorder()
    async with anyio.create_task_group() as tg:
        host = make_host(
            tg,
            recorder,
            deadlock_timeout=0.5,
            deadline_grace=0.1,
            pending_timeout=0.2,
            parameters={"OnlineMode": "block"},
        )
        await host.open()
        pid = host.pid
        assert await host.online() is FAILED  # deadline: 0.2 + 0.5 + 0.1 s
        assert_gone(pid)
        assert any(
            m.startswith("deadlock: Online of resource 'res' did not return within 0.8 s")
            for m in recorder.errors()
        )
        await host.close()


async def test_progress_reports_extend_the_deadline_of_a_pending_online():
    recorder = Recorder()
    async with anyio.create_task_group() as tg:
        host = make_host(
            tg,
            recorder,
            deadlock_timeout=0.4,
            deadline_grace=0.05,
            pending_timeout=0.15,
            parameters={"OnlineMode": "progress", "Step": 100, "Steps": 8},
        )
        await host.open()
        start = anyio.current_time()
        # 0.8 s in all, longer than any one deadline (0.15 + 0.4 + 0.05 s from the last report).
        assert await host.online() is ONLINE
        assert anyio.current_time() - start > 0.7
        pending = [s for s in recorder.statuses if s.state is ResourceState.ONLINE_PENDING]
        assert [s.checkpoint for s in pending] == list(range(9))
        assert recorder.errors() == []
        await host.close()


async def test_raising_entry_points_are_handled_as_in_process():
    recorder = Recorder()
    async with anyio.create_task_group() as tg:
        parameters = {"OnlineMode": "raise"}
        host = make_host(tg, recorder, parameters=parameters)
        await host.open()
        pid = host.pid
        assert await host.online() is FAILED
        assert any("Online raised RuntimeError('cannot start')" in m for m in recorder.errors())
        parameters["OnlineMode"] = ""  # read again before each Online, as in-process
        assert await host.online() is ONLINE
        await set_mode(host, "raise")
        assert not await host.looks_alive()
        assert any("LooksAlive raised ValueError('probe exploded')" in m for m in recorder.errors())
        assert not await host.check_health(thorough=True)
        assert host.state is FAILED
        assert "failed: IsAlive returned False" in recorder.errors()
        assert host.pid == pid  # the process is fine: only the resource failed
        with pytest.raises(InvalidStateError):
            await host.fail("again")  # not Online any more
        await host.close()
    assert_gone(pid)


async def test_a_bad_import_path_is_a_clear_error():
    recorder = Recorder()

    async def check(tg, path: str, expected: str) -> None:
        host = make_host(tg, recorder, path)
        with pytest.raises(ClusterError) as caught:
            await host.open()
        assert caught.value.winerror == Win32Error.ERROR_RESMON_CREATE_FAILED
        assert expected in str(caught.value), str(caught.value)
        assert host.pid is None
        with pytest.raises(InvalidStateError):
            await host.online()  # never opened

    async with anyio.create_task_group() as tg:
        for path, expected in [
            (
                "tests.resapi.separate.nowhere:Steady",
                "cannot import module 'tests.resapi.separate.nowhere'",
            ),
            ("tests.resapi.separate.types:Nowhere", "has no attribute 'Nowhere'"),
            ("tests.resapi.separate.types:NOT_A_CLASS", "is a int, not a class"),
            ("tests.resapi.separate.types.Steady", "expected 'package.module:Class'"),
        ]:
            tg.start_soon(check, tg, path, expected)
    assert recorder.statuses == []
    assert recorder.errors() == []  # a failed start is reported by the error, not logged


async def test_a_class_outside_a_module_is_refused_at_once():
    class Local(types.Steady):
        pass

    async with anyio.create_task_group() as tg:
        with pytest.raises(ClusterError, match="cannot be imported by a separate monitor"):
            ProcessHost(Local, "res", {}, Recorder(), task_group=tg)
        host = ProcessHost(types.Steady, "res", {}, Recorder(), task_group=tg)
        assert host.import_path == STEADY
        assert host.type_name == "Separate Steady"


async def test_quorum_lost_reaches_the_callback():
    recorder = Recorder()
    lost: list[str] = []
    async with anyio.create_task_group() as tg:
        host = make_host(tg, recorder, "tests.resapi.separate.types:Disk")
        await host.open()
        await host.arbitrate(lambda: lost.append("lost"))
        assert lost == []
        assert await host.control(types.LOSE_DEVICE, b"") == b""
        assert lost == ["lost"]  # the event came before the reply
        await host.release()
        with pytest.raises(ClusterError) as caught:
            await make_arbitrating_host_fail(tg)
        assert caught.value.winerror == Win32Error.ERROR_INVALID_FUNCTION
        await host.close()


async def make_arbitrating_host_fail(tg) -> None:
    host = make_host(tg, Recorder())  # Steady is not quorum-capable
    await host.open()
    try:
        await host.arbitrate(lambda: None)
    finally:
        await host.close()


async def test_cancelling_the_task_group_kills_the_process():
    recorder = Recorder()
    pid = None
    async with anyio.create_task_group() as tg:
        host = make_host(tg, recorder)
        await host.open()
        assert await host.online() is ONLINE
        pid = host.pid
        tg.cancel_scope.cancel()
    assert_gone(pid)


async def test_close_of_a_busy_resource_terminates_and_ends_the_process():
    recorder = Recorder()
    async with anyio.create_task_group() as tg:
        host = make_host(tg, recorder, pending_timeout=600.0, parameters={"OnlineMode": "hang"})
        await host.open()
        pid = host.pid
        tg.start_soon(host.online)
        await recorder.wait_until(lambda: host.state is ResourceState.ONLINE_PENDING)
        with pytest.raises(InvalidStateError):
            await host.offline()  # refused while pending, as in-process
        await host.terminate()
        assert host.state is OFFLINE
        await host.close()
    assert_gone(pid)


async def test_a_killed_offline_monitor_leaves_the_resource_offline():
    recorder = Recorder()
    async with anyio.create_task_group() as tg:
        host = make_host(tg, recorder)
        await host.open()
        pid = host.pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        await recorder.wait_until(lambda: host.pid is None)
        assert host.state is OFFLINE  # nothing ran: nothing failed
        assert any(f"exited with code {-signal.SIGKILL}" in m for m in recorder.errors())
        assert await host.control(types.ECHO, b"x") == b"echo:x"  # re-opened for the call
        assert host.pid not in (None, pid)
        await host.close()


@pytest.mark.virtual_time
async def test_virtual_time_does_not_make_deadlines_fire_early():
    recorder = Recorder()
    async with anyio.create_task_group() as tg:
        tg.start_soon(anyio.sleep, 10_000)  # a timer the virtual clock jumps to while idle
        host = make_host(tg, recorder)
        await host.open()  # takes real time (a process starts): no deadline passed
        assert await host.online() is ONLINE
        assert await host.is_alive()
        assert recorder.errors() == []
        pid = host.pid
        await host.close()
        tg.cancel_scope.cancel()
    assert_gone(pid)


class SlowOpen(types.Steady):
    """Steady, whose Open takes half a second (real time, in its monitor process) and cannot
    be cut short (as an Open waiting for a thread or a device)."""

    type_name = "Separate Slow Open"

    async def open(self) -> None:
        with anyio.CancelScope(shield=True):
            await anyio.sleep(0.5)
        await super().open()


def _opening(env) -> bool:
    """Whether some node is opening an instance in a monitor process that runs."""
    return any(
        isinstance(host, ProcessHost)
        and host.state is ResourceState.INITIALIZING
        and host.pid is not None
        for node in env._runtime.state.nodes
        for host in node.hosts.values()
    )


async def _close_during_a_failover(env, type_name: str, starting, before_crash=None) -> None:
    """Crash the group's node, wait until ``starting(env)`` (its failover has begun to open
    the resource on N2), then return: the caller's block ends and the cluster closes."""
    cluster = env.cluster
    group = await cluster.create_group("lone")
    await group.set_preferred_owners(["N1", "N2"])
    await group.create_resource("wild", type_name, separate_monitor=True)
    await group.online("N1")
    if before_crash is not None:
        before_crash()
    env.crash_node("N1")
    for _ in range(1000):  # N2 takes the group over after the node timeout
        if starting(env):
            return
        await anyio.sleep(0.05)
    raise AssertionError("the failover did not start")


@pytest.mark.virtual_time(autojump_threshold=0.05)
async def test_closing_a_cluster_while_a_failover_opens_a_separate_monitor_raises_nothing():
    # Closing ended the monitor process while its Open ran; Open returned as if all was well
    # and the failover went on to Online a closed host: InvalidStateError out of the cluster.
    async with open_reference_cluster(
        nodes=("N1", "N2"), heartbeat_interval=0.25, node_timeout=1.0
    ) as env:
        await env.cluster.create_resource_type("tests.resapi.test_separate_monitor:SlowOpen")
        await _close_during_a_failover(env, "Separate Slow Open", _opening)
    for node in env._runtime.state.nodes:
        assert not node.hosts  # and no monitor process is left running


# ReferenceRuntime._online_on removed the host of a failed Open with `del node.hosts[...]`,
# although closing the cluster may have cleared node.hosts by then: KeyError.
@pytest.mark.virtual_time(autojump_threshold=0.05)
async def test_an_open_that_fails_after_the_cluster_closed_raises_nothing(monkeypatch):
    closed = anyio.Event()
    real_close = ProcessHost.close

    async def close(self: ProcessHost) -> None:
        closed.set()
        await real_close(self)

    async def open_until_closed(self: ProcessHost) -> None:
        # What ProcessHost.open does when its Open fails while close() ends the process: it
        # waits, shielded, until the process is gone (_stop), then raises. Here it resumes
        # only after closing the cluster has dropped the node's hosts (for real, that order
        # is one of several).
        with anyio.CancelScope(shield=True):
            await closed.wait()
        raise ClusterError(Win32Error.ERROR_RESMON_CREATE_FAILED, "closed while it opened")

    def patch() -> None:
        monkeypatch.setattr(ProcessHost, "open", open_until_closed)
        monkeypatch.setattr(ProcessHost, "close", close)

    def has_a_host(env) -> bool:  # the crashed node's were dropped: N2's
        return any(node.hosts for node in env._runtime.state.nodes)

    async with open_reference_cluster(
        nodes=("N1", "N2"), heartbeat_interval=0.25, node_timeout=1.0
    ) as env:
        await env.cluster.create_resource_type(STEADY)
        await _close_during_a_failover(env, "Separate Steady", has_a_host, before_crash=patch)
