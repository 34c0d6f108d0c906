"""check_resource passes a good resource type and names every breach of broken ones."""

from __future__ import annotations

import anyio
import pytest

import resapi
from resapi.testing import ConformanceReport, HealthyResource, check_resource

pytestmark = [pytest.mark.asyncio, pytest.mark.virtual_time]


#: The well-behaved type every broken one below starts from.
Good = HealthyResource


def breach_text(report: ConformanceReport) -> str:
    return "\n".join(str(b) for b in report.breaches)


async def test_a_good_resource_passes_every_step():
    report = await check_resource(Good)
    assert report.ok, report
    assert report.breaches == ()
    assert [s.step for s in report.steps] == [
        "open",
        "online #1",
        "looks_alive (online)",
        "is_alive (online)",
        "offline #1",
        "is_alive after offline",
        "online #2",
        "looks_alive (online #2)",
        "is_alive (online #2)",
        "terminate",
        "is_alive after terminate",
        "online #3",
        "offline #2",
        "close",
    ]
    assert report.format().splitlines()[-1] == "PASS: 14 steps, 0 errors, 0 warnings"


class OnlineRaises(Good):
    type_name = "Online Raises"

    async def online(self) -> None:
        raise RuntimeError("cannot bind")


class OfflineLeavesItRunning(Good):
    type_name = "Sticky"

    async def offline(self) -> None:
        pass


class TerminateLeavesItRunning(Good):
    type_name = "Unkillable"

    async def terminate(self) -> None:
        pass


class SlowIsAlive(Good):
    type_name = "Slow IsAlive"

    async def is_alive(self) -> bool:
        await anyio.sleep(0.5)
        return self.running


class WrongType(Good):
    type_name = "Wrong Type"

    async def looks_alive(self) -> bool:
        return 1  # type: ignore[return-value]


class LiesAboutOnline(Good):
    type_name = "Liar"

    async def online(self) -> None:
        pass  # returns "online" but never starts anything


class HangsWithoutProgress(Good):
    type_name = "Hangs"
    pending_timeout = 30_000

    async def online(self) -> None:
        await anyio.sleep_forever()


class CheckpointOutsidePending(Good):
    type_name = "Eager Reporter"

    async def looks_alive(self) -> bool:
        self.checkpoint()
        return self.running


class OpenRaises(Good):
    type_name = "Open Raises"

    async def open(self) -> None:
        raise OSError("no such device")


class SlowClose(Good):
    type_name = "Slow Close"

    async def close(self) -> None:
        await anyio.sleep(2)


class TerminateRaises(Good):
    type_name = "Terminate Raises"

    async def terminate(self) -> None:
        self.running = False
        raise RuntimeError("cleanup failed")


BROKEN = [
    (OnlineRaises, "online #1", "Online raised RuntimeError('cannot bind')"),
    (OfflineLeavesItRunning, "is_alive after offline", "is_alive() still says True after offline"),
    (
        TerminateLeavesItRunning,
        "is_alive after terminate",
        "is_alive() still says True after terminate",
    ),
    (SlowIsAlive, "is_alive (online)", "is_alive() took 500 ms; the budget is 300 ms"),
    (WrongType, "looks_alive (online)", "LooksAlive returned 1, not a bool"),
    (LiesAboutOnline, "looks_alive (online)", "looks_alive() said False right after online"),
    (HangsWithoutProgress, "online #1", "made no progress report for 30 s (PendingTimeout)"),
    (CheckpointOutsidePending, "looks_alive (online)", "checkpoint() called while ONLINE"),
    (OpenRaises, "open", "raised OSError('no such device'); it must not"),
    (TerminateRaises, "terminate", "Terminate raised RuntimeError('cleanup failed')"),
]


@pytest.mark.parametrize(
    ("factory", "step", "message"), BROKEN, ids=[b[0].type_name for b in BROKEN]
)
async def test_a_broken_resource_gets_a_clear_breach(factory, step, message):
    report = await check_resource(factory)
    assert not report.ok
    matching = [b for b in report.errors if b.step == step and message in b.message]
    assert matching, f"expected a breach at {step!r} saying {message!r}, got:\n{report}"
    assert report.format().splitlines()[-1].startswith("FAIL: ")


async def test_slow_close_is_a_warning_not_an_error():
    report = await check_resource(SlowClose)
    assert report.ok, report
    [warning] = report.breaches
    assert warning.severity == "warning"
    assert warning.step == "close"
    assert "took 2000 ms; the documented recommendation is 300 ms" in warning.message


async def test_a_hanging_probe_is_reported_and_does_not_hang_the_kit():
    class HangingProbe(Good):
        type_name = "Hanging Probe"

        async def looks_alive(self) -> bool:
            await anyio.sleep_forever()
            return True  # pragma: no cover

    start = anyio.current_time()
    report = await check_resource(HangingProbe, step_timeout=10)
    assert anyio.current_time() - start < 60
    assert any(
        b.step == "looks_alive (online)" and "did not return within 10 s" in b.message
        for b in report.errors
    ), report


async def test_required_properties_are_passed_through():
    class Props(resapi.PropertyTable):
        target: str = resapi.prop(required=True)

    class NeedsTarget(Good):
        type_name = "Needs Target"
        Properties = Props

    failing = await check_resource(NeedsTarget)
    assert any("'Target'" in b.message and "required" in b.message for b in failing.errors)
    passing = await check_resource(NeedsTarget, properties={"target": "db1"})
    assert passing.ok, passing
