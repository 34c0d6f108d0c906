"""The Slow Start example: a pending Online with checkpoints, on virtual time."""

from __future__ import annotations

import pytest

import clusapi
import resapi
from clusapi.testing import open_reference_cluster
from examples.slow_start import SlowStart, main
from resapi.testing import check_resource


@pytest.mark.asyncio
async def test_passes_the_conformance_kit() -> None:
    report = await check_resource(SlowStart, properties={"warmup_steps": 2, "step_ms": 20})
    assert report.ok, report
    assert report.breaches == ()


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_is_online_pending_for_the_whole_warm_up_longer_than_pending_timeout() -> None:
    # 10 steps of 5 s: 50 s of warm-up against a PendingTimeout of 30 s, fine because each
    # step reports progress. (A resource's own PendingTimeout is 3 min unless set.)
    async with open_reference_cluster(nodes=("N1", "N2")) as env:
        await env.cluster.create_resource_type(SlowStart)
        group = await env.cluster.create_group("g")
        res = await group.create_resource("warm", "Slow Start")
        await res.set_private_properties(warmup_steps=10, step_ms=5000)
        await res.set_common_properties(pending_timeout=30000)
        assert await res.online(wait=False) is clusapi.ResourceState.ONLINE_PENDING
        await env.advance(45)
        assert await res.state() is clusapi.ResourceState.ONLINE_PENDING
        await env.advance(10)
        assert await res.state() is clusapi.ResourceState.ONLINE
        await env.advance(120)  # the polls find it alive
        assert await res.state() is clusapi.ResourceState.ONLINE
        await res.offline()
        assert await res.state() is clusapi.ResourceState.OFFLINE


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_a_step_longer_than_pending_timeout_fails_the_online() -> None:
    async with open_reference_cluster(nodes=("N1",)) as env:
        await env.cluster.create_resource_type(SlowStart)
        group = await env.cluster.create_group("g")
        res = await group.create_resource("warm", "Slow Start")
        await res.set_private_properties(warmup_steps=1, step_ms=40000)
        await res.set_common_properties(
            pending_timeout=30000, restart_action=clusapi.RestartAction.DONT_RESTART
        )
        assert await res.online(wait=False) is clusapi.ResourceState.ONLINE_PENDING
        await env.advance(35)
        assert await res.state() is clusapi.ResourceState.FAILED


def test_a_negative_step_is_rejected_by_the_table() -> None:
    with pytest.raises(resapi.PropertyError, match="StepMs"):
        SlowStart.Properties.verify({"step_ms": -1})


@pytest.mark.asyncio
async def test_module_main_prints_a_passing_report(capsys: pytest.CaptureFixture[str]) -> None:
    assert await main() == 0
    assert "ok" in capsys.readouterr().out.lower()
