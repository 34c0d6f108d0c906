"""The Resource Monitor contract for one instance, driven through resapi.testing.run_resource.

All on virtual time: pending timeouts of minutes pass in microseconds.
"""

from __future__ import annotations

import anyio
import pytest

import resapi
from clusapi import InvalidStateError, ResourceState, Win32Error
from resapi.testing import run_resource

ONLINE, OFFLINE, FAILED = ResourceState.ONLINE, ResourceState.OFFLINE, ResourceState.FAILED
ONLINE_PENDING = ResourceState.ONLINE_PENDING

pytestmark = [pytest.mark.asyncio, pytest.mark.virtual_time]


class Recorder(resapi.Resource):
    """Records entry-point calls; behaviour is switched by class attributes in each test."""

    calls: list[str]
    alive = True
    looks = True
    online_steps = 0  # checkpoints to report, one per minute of online work
    online_error: Exception | None = None

    def __init__(self, context: resapi.ResourceContext) -> None:
        super().__init__(context)
        self.calls = []

    async def open(self) -> None:
        self.calls.append("open")

    async def online(self) -> None:
        self.calls.append("online")
        for _ in range(self.online_steps):
            await anyio.sleep(60)
            self.checkpoint()
        if self.online_error is not None:
            raise self.online_error

    async def offline(self) -> None:
        self.calls.append("offline")

    async def terminate(self) -> None:
        self.calls.append("terminate")

    async def looks_alive(self) -> bool:
        self.calls.append("looks_alive")
        return self.looks

    async def is_alive(self) -> bool:
        self.calls.append("is_alive")
        return self.alive

    async def close(self) -> None:
        self.calls.append("close")


def make(**attrs: object) -> type[Recorder]:
    return type("Custom", (Recorder,), {"type_name": "Recorder", **attrs})


async def test_online_offline_reports_each_state():
    async with run_resource(Recorder) as h:
        assert h.state is OFFLINE
        assert await h.online() is ONLINE
        assert await h.offline() is OFFLINE
        assert h.states() == [
            OFFLINE,
            ONLINE_PENDING,
            ONLINE,
            ResourceState.OFFLINE_PENDING,
            OFFLINE,
        ]
    assert h.resource.calls == ["open", "online", "offline", "close"]


async def test_long_online_stays_pending_while_it_reports_progress():
    # 10 minutes of work, a report every minute, PendingTimeout 3 minutes: never times out.
    async with run_resource(make(online_steps=10), pending_timeout=180) as h:
        start = anyio.current_time()
        assert await h.online() is ONLINE
        assert anyio.current_time() - start == 600
        assert h.checkpoints() == list(range(1, 11))
        reports = [s for s in h.statuses if s.state is ONLINE_PENDING and s.checkpoint]
        assert [s.time - start for s in reports] == [60.0 * n for n in range(1, 11)]


async def test_pending_timeout_is_the_gap_between_reports():
    class Stalls(Recorder):
        type_name = "Stalls"

        async def online(self) -> None:
            self.checkpoint()
            await anyio.sleep(3600)  # no further progress report

    async with run_resource(Stalls, pending_timeout=180) as h:
        start = anyio.current_time()
        assert await h.online() is FAILED
        assert anyio.current_time() - start == 180
        assert h.resource.calls[-1] == "terminate"
        assert any("PendingTimeout" in m for m in h.messages())


async def test_online_that_raises_fails_and_is_terminated():
    async with run_resource(make(online_error=RuntimeError("port in use"))) as h:
        assert await h.online() is FAILED
        assert h.resource.calls == ["open", "online", "terminate"]
        assert any("port in use" in m for m in h.messages(resapi.LogLevel.ERROR))


async def test_looks_alive_false_calls_is_alive_at_once_and_is_alive_false_fails():
    async with run_resource(make(looks=False, alive=False)) as h:
        await h.online()
        assert await h.check_health(thorough=False) is False
        assert h.state is FAILED
        assert h.resource.calls[-3:] == ["looks_alive", "is_alive", "terminate"]


async def test_looks_alive_false_but_is_alive_true_keeps_it_online():
    async with run_resource(make(looks=False, alive=True)) as h:
        await h.online()
        assert await h.check_health(thorough=False) is True
        assert h.state is ONLINE


async def test_probe_that_raises_or_returns_a_non_bool_counts_as_not_alive():
    class Broken(Recorder):
        type_name = "Broken"

        async def looks_alive(self) -> bool:
            raise ValueError("boom")

        async def is_alive(self) -> bool:
            return "yes"  # type: ignore[return-value]

    async with run_resource(Broken) as h:
        await h.online()
        assert await h.looks_alive() is False
        assert await h.is_alive() is False
        errors = h.messages(resapi.LogLevel.ERROR)
        assert any("LooksAlive raised ValueError('boom')" in m for m in errors)
        assert any("IsAlive returned 'yes', not a bool" in m for m in errors)


async def test_terminate_cancels_a_pending_online():
    async with run_resource(make(online_steps=100)) as h:
        async with anyio.create_task_group() as tg:
            results: list[ResourceState] = []

            async def bring_online() -> None:
                results.append(await h.online())

            tg.start_soon(bring_online)
            await anyio.sleep(90)  # one checkpoint in, still pending
            assert h.state is ONLINE_PENDING
            await h.terminate()
        assert h.state is OFFLINE
        assert results == [OFFLINE]
        assert h.resource.calls[-1] == "terminate"


async def test_signal_failure_is_verified_with_is_alive():
    class Signals(Recorder):
        type_name = "Signals"

    async with run_resource(Signals) as h:
        await h.online()
        h.resource.signal_failure()
        await anyio.wait_all_tasks_blocked()
        assert h.state is ONLINE  # IsAlive said True: a false alarm
        assert len(h.failures) == 1
        h.resource.alive = False
        h.resource.signal_failure(resapi.FailureType.NETWORK_LOSS, 42)
        await anyio.wait_all_tasks_blocked()
        assert h.state is FAILED
        assert h.failures[-1].failure_type is resapi.FailureType.NETWORK_LOSS
        assert h.failures[-1].application_error == 42


async def test_a_worker_that_raises_is_a_failure_not_a_crash():
    class Crashy(Recorder):
        type_name = "Crashy"

        async def online(self) -> None:
            self.start_worker(self._work)

        async def _work(self) -> None:
            await anyio.sleep(5)
            self.alive = False
            raise ConnectionResetError("peer gone")

    async with run_resource(Crashy) as h:
        await h.online()
        await anyio.sleep(10)
        assert h.state is FAILED
        assert any("peer gone" in m for m in h.messages(resapi.LogLevel.ERROR))


async def test_workers_end_with_offline():
    ended = anyio.Event()

    class Serves(Recorder):
        type_name = "Serves"

        async def online(self) -> None:
            self.worker = self.start_worker(self._serve)

        async def _serve(self) -> None:
            try:
                await anyio.sleep_forever()
            finally:
                ended.set()

    async with run_resource(Serves) as h:
        await h.online()
        assert not h.resource.worker.done
        await h.offline()
        assert ended.is_set()
        assert h.resource.worker.done
        assert h.resource.worker.should_terminate


async def test_checkpoint_outside_pending_is_ignored_with_a_warning():
    async with run_resource(Recorder) as h:
        await h.online()
        assert h.resource.checkpoint() is resapi.ResourceExitState.CONTINUE
        assert h.checkpoints() == []
        assert any(
            "checkpoint() called while ONLINE" in m for m in h.messages(resapi.LogLevel.WARNING)
        )


async def test_online_while_pending_is_an_invalid_state():
    async with run_resource(make(online_steps=5)) as h, anyio.create_task_group() as tg:
        tg.start_soon(h.online)
        await anyio.sleep(1)
        with pytest.raises(InvalidStateError) as info:
            await h.offline()
        assert info.value.winerror == Win32Error.ERROR_INVALID_STATE
        assert "ONLINE_PENDING" in str(info.value)
        with pytest.raises(InvalidStateError):
            await h.online()
        assert h.state is ONLINE_PENDING  # the refused calls changed nothing


async def test_fail_requires_online():
    async with run_resource(Recorder) as h:
        with pytest.raises(InvalidStateError) as info:
            await h.fail()
        assert info.value.winerror == Win32Error.ERROR_RESMON_INVALID_STATE
        await h.online()
        await h.fail("FailClusterResource")
        assert h.state is FAILED
        assert h.resource.calls[-1] == "terminate"


async def test_offline_of_a_failed_resource_just_records_offline():
    async with run_resource(make(online_error=RuntimeError("x"))) as h:
        assert await h.online() is FAILED
        assert await h.offline() is OFFLINE
        assert h.resource.calls.count("offline") == 0


async def test_close_terminates_an_online_resource_first():
    async with run_resource(Recorder) as h:
        await h.online()
    assert h.resource.calls[-2:] == ["terminate", "close"]


async def test_required_property_missing_fails_online_naming_it():
    class Props(resapi.PropertyTable):
        target: str = resapi.prop(required=True)

    class NeedsTarget(Recorder):
        type_name = "Needs Target"
        Properties = Props

    async with run_resource(NeedsTarget) as h:
        assert await h.online() is FAILED
        assert any("'Target'" in m and "required" in m for m in h.messages(resapi.LogLevel.ERROR))
        h.set_properties(target="db1")
        assert await h.online() is ONLINE
        assert h.resource.properties.target == "db1"  # type: ignore[attr-defined]


async def test_control_defaults_to_not_handled():
    async with run_resource(Recorder) as h:
        assert await h.control(0x01000001) is resapi.NOT_HANDLED


async def test_log_goes_to_the_cluster_log_and_stdlib_logging(caplog: pytest.LogCaptureFixture):
    class Talks(Recorder):
        type_name = "Talks"

        async def online(self) -> None:
            self.log.info("listening on %d", 7007)
            self.log.severe("disk lost")

    with caplog.at_level("INFO", logger="resapi.resource.Talks"):
        async with run_resource(Talks, name="talker") as h:
            await h.online()
    entries = [e for e in h.log if e.resource == "talker" and e.type_name == "Talks"]
    assert [(e.level, e.message) for e in entries[:2]] == [
        (resapi.LogLevel.INFORMATION, "listening on 7007"),
        (resapi.LogLevel.SEVERE, "disk lost"),
    ]
    assert entries[0].format() == "Talks\ntalker: listening on 7007"
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("INFO", "talker: listening on 7007"),
        ("CRITICAL", "talker: disk lost"),
    ]


async def test_entry_points_of_one_instance_never_overlap():
    active: list[str] = []
    overlaps: list[tuple[str, str]] = []

    class Slow(Recorder):
        type_name = "Slow"

        async def looks_alive(self) -> bool:
            if active:
                overlaps.append((active[-1], "looks_alive"))
            active.append("looks_alive")
            await anyio.sleep(1)
            active.pop()
            return True

    async with run_resource(Slow) as h:
        await h.online()
        async with anyio.create_task_group() as tg:
            for _ in range(3):
                tg.start_soon(h.looks_alive)
            await anyio.sleep(0.5)
            # A waiter that gives up (cancelled) does not block the ones behind it.
            with anyio.move_on_after(0.1):
                await h.looks_alive()
        assert overlaps == []
        assert anyio.current_time() >= 3  # three calls of 1 s, one after another
