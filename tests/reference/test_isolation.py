"""A misbehaving resource in the in-process monitor fails alone: the rest of the cluster
carries on, and the cluster log names the resource."""

from __future__ import annotations

import time
from typing import ClassVar

import anyio
import pytest

import resapi
from clusapi import GroupState, ResourceState
from clusapi.testing import open_reference_cluster
from resapi.testing import HealthyResource


class Steady(HealthyResource):
    """The well-behaved neighbour."""

    type_name = "Steady"


class Misbehaving(Steady):
    """Behaves well until ``mode`` says otherwise (set per test)."""

    type_name = "Misbehaving"
    mode: ClassVar[str] = ""
    instances: ClassVar[list[Misbehaving]] = []

    def __init__(self, context: resapi.ResourceContext) -> None:
        super().__init__(context)
        Misbehaving.instances.append(self)

    async def online(self) -> None:
        if Misbehaving.mode == "online-raises":
            raise RuntimeError("cannot start")
        await super().online()

    async def looks_alive(self) -> bool:
        return await self.is_alive()

    async def is_alive(self) -> bool:
        mode = Misbehaving.mode
        if mode == "raises":
            raise ValueError("probe exploded")
        if mode == "wrong-type":
            return "yes"  # type: ignore[return-value]
        if mode == "hangs":
            await anyio.sleep_forever()
        if mode == "blocks":
            time.sleep(0.6)  # noqa: ASYNC251  (blocking the loop is what this resource does wrong)
            return self.running
        return self.running


@pytest.fixture(autouse=True)
def reset() -> None:
    Misbehaving.mode = ""
    Misbehaving.instances = []


async def two_groups(env, *, deadlock_ms: int = 1000, is_alive_ms: int = 2000):
    cluster = env.cluster
    await cluster.create_resource_type(Steady)
    await cluster.create_resource_type(Misbehaving)
    good = await cluster.create_group("good")
    bad = await cluster.create_group("bad")
    steady = await good.create_resource("steady", "Steady")
    wild = await bad.create_resource("wild", "Misbehaving")
    await wild.set_common_properties(
        deadlock_timeout=deadlock_ms,
        looks_alive_poll_interval=is_alive_ms,
        is_alive_poll_interval=is_alive_ms,
        restart_action=0,  # stay failed: the test looks at the failure itself
    )
    await good.online("N1")
    await bad.online("N1")
    return good, bad, steady, wild


def errors(env) -> list[str]:
    return [f"{e.source}: {e.message}" for e in env.log if e.level.name in ("ERROR", "SEVERE")]


@pytest.mark.asyncio
@pytest.mark.virtual_time
@pytest.mark.parametrize(
    ("mode", "logged"),
    [
        ("raises", "IsAlive raised ValueError('probe exploded')"),
        ("wrong-type", "IsAlive returned 'yes', not a bool"),
    ],
)
async def test_a_raising_or_wrongly_typed_probe_fails_only_that_resource(mode, logged):
    async with open_reference_cluster(nodes=("N1", "N2")) as env:
        good, _bad, steady, wild = await two_groups(env)
        Misbehaving.mode = mode
        await env.advance(5)
        assert await wild.state() is ResourceState.FAILED
        assert any("Misbehaving wild" in line and logged in line for line in errors(env))
        assert await good.state() is GroupState.ONLINE
        assert await steady.state() is ResourceState.ONLINE


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_an_online_that_raises_fails_and_is_logged_by_name():
    async with open_reference_cluster(nodes=("N1", "N2")) as env:
        good, bad, _steady, wild = await two_groups(env)
        await bad.offline()
        Misbehaving.mode = "online-raises"
        with pytest.raises(resapi.ClusterError):
            await bad.online()
        assert await wild.state() is ResourceState.FAILED
        assert any("Online raised RuntimeError('cannot start')" in e for e in errors(env))
        assert await good.state() is GroupState.ONLINE


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_a_probe_that_hangs_past_deadlock_timeout_is_a_deadlock_and_is_recycled():
    async with open_reference_cluster(nodes=("N1", "N2")) as env:
        good, bad, _steady, wild = await two_groups(env, deadlock_ms=1000)
        first = Misbehaving.instances[-1]
        Misbehaving.mode = "hangs"
        await env.advance(4)  # the poll at 2 s hangs; DeadlockTimeout is 1 s
        assert await wild.state() is ResourceState.FAILED
        [deadlock] = [e for e in errors(env) if "deadlock" in e]
        assert "IsAlive of resource 'wild' did not return within 1 s" in deadlock
        assert await good.state() is GroupState.ONLINE
        # The monitor recycles it: the next online runs a fresh instance.
        Misbehaving.mode = ""
        await bad.online()
        assert await wild.state() is ResourceState.ONLINE
        assert Misbehaving.instances[-1] is not first
        assert any("monitor recycled" in e.message for e in env.log)


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_a_resource_that_blocks_the_event_loop_is_named_in_the_cluster_log():
    async with open_reference_cluster(nodes=("N1", "N2"), loop_block_threshold=0.2) as env:
        good, _bad, _steady, wild = await two_groups(env)
        Misbehaving.mode = "blocks"
        await env.advance(3)  # the poll at 2 s blocks the loop for 0.6 s of real time
        Misbehaving.mode = ""
        await env.advance(1)
        blocked = [e for e in errors(env) if "blocked the event loop" in e]
        assert blocked, errors(env)
        assert "resource 'wild'" in blocked[0]
        assert "is_alive()" in blocked[0]
        assert await good.state() is GroupState.ONLINE
        assert await wild.state() is ResourceState.ONLINE  # slow, not dead
