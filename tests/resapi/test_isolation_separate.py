"""A resource in a separate monitor process fails alone, whatever it does to its process:
the node service, the other resources and the cluster carry on (real processes, short
timeouts; the virtual clock waits for their I/O)."""

from __future__ import annotations

import os

import pytest

import clusapi
from clusapi import GroupState, ResourceState
from clusapi.testing import open_reference_cluster
from tests.reference.test_isolation import Steady
from tests.resapi.separate.types import USER_SET_MODE

pytestmark = [pytest.mark.asyncio, pytest.mark.virtual_time(autojump_threshold=0.05)]


async def cluster_with_a_separate_resource(env):
    cluster = env.cluster
    await cluster.create_resource_type(Steady)
    await cluster.create_resource_type("tests.resapi.separate.types:Steady")
    good = await cluster.create_group("good")
    steady = await good.create_resource("steady", "Steady")
    lone = await cluster.create_group("lone")
    wild = await lone.create_resource("wild", "Separate Steady", separate_monitor=True)
    await wild.set_common_properties(
        deadlock_timeout=1000,  # 1 s: the minimum
        looks_alive_poll_interval=500,
        is_alive_poll_interval=500,
        restart_action=0,  # stay failed: look at the failure itself
    )
    await good.online("N1")
    await lone.online("N1")
    return good, steady, lone, wild


def errors(env) -> list[str]:
    return [e.message for e in env.log if e.level.name in ("ERROR", "SEVERE")]


async def test_it_runs_in_its_own_process():
    async with open_reference_cluster(nodes=("N1", "N2")) as env:
        _, _, _, wild = await cluster_with_a_separate_resource(env)
        opened = [e.message for e in env.log if e.message.startswith("opened in process")]
        assert opened
        assert int(opened[-1].split()[-1]) != os.getpid()
        assert await wild.state() is ResourceState.ONLINE


@pytest.mark.parametrize(
    ("mode", "logged"),
    [
        ("exit", "exited with code 3"),  # os._exit: the process dies
        ("sleep", "deadlock"),  # time.sleep: its event loop is blocked
        ("hang", "deadlock"),  # an await that never returns
        ("raise", "raised ValueError('probe exploded')"),
    ],
)
async def test_a_misbehaving_separate_resource_fails_alone(mode, logged):
    async with open_reference_cluster(nodes=("N1", "N2")) as env:
        good, steady, _lone, wild = await cluster_with_a_separate_resource(env)
        await wild.control(USER_SET_MODE, mode.encode())
        # The monitor process runs on real time: its deadlines (DeadlockTimeout 1 s plus a
        # grace) pass while the virtual clock waits 50 ms of real time at each idle step, so
        # give it up to a minute of cluster time and stop as soon as it has failed.
        for _ in range(60):
            await env.advance(1)
            if await wild.state() is ResourceState.FAILED:
                break
        assert await wild.state() is ResourceState.FAILED
        assert any(logged in message for message in errors(env)), errors(env)
        # The node service and the other resources did not notice.
        assert await good.state() is GroupState.ONLINE
        assert await steady.state() is ResourceState.ONLINE
        assert await (await env.cluster.open_node("N1")).state() is clusapi.NodeState.UP


async def test_a_recycled_monitor_brings_the_resource_back_in_a_new_process():
    async with open_reference_cluster(nodes=("N1", "N2")) as env:
        _, _, lone, wild = await cluster_with_a_separate_resource(env)
        await wild.control(USER_SET_MODE, b"exit")
        await env.advance(4)
        assert await wild.state() is ResourceState.FAILED
        before = [e.message for e in env.log if e.message.startswith("opened in process")]
        await lone.offline()
        await lone.online("N1")
        assert await wild.state() is ResourceState.ONLINE
        after = [e.message for e in env.log if e.message.startswith("opened in process")]
        assert len(after) == len(before) + 1
        assert after[-1] != before[-1]  # another process
        await lone.offline()
