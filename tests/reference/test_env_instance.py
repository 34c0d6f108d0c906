"""``env.instance(resource, cls)``: the live instance behind a resource handle, on the node that
runs it, for injecting realistic faults and asserting on internal state (issue 15, item 4).

The faults are made inside the instance (its socket closed, its IsAlive made to fail) and the
cluster finds them by its own polls: the restart or failover that follows is the runtime's
ordinary policy, on virtual time.
"""

from __future__ import annotations

import contextlib
import socket
from typing import TYPE_CHECKING

import pytest

from clusapi import (
    ClusterError,
    GroupState,
    GroupStateInfo,
    ResourceState,
    Win32Error,
)
from examples.echo_server import EchoServer
from resapi import LogLevel
from resapi.testing import HealthyResource

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from clusapi import Group, Resource
    from clusapi.testing import ReferenceClusterFactory, ReferenceEnvironment

NODES = ("N1", "N2")


class Steady(HealthyResource):
    type_name = "Steady"


class Other(HealthyResource):
    type_name = "Other"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _online(env: ReferenceEnvironment) -> tuple[Group, Resource]:
    group = await env.cluster.create_group("web")
    await group.set_preferred_owners(list(NODES))
    res = await group.create_resource("R1", "Steady")
    await group.online()
    return group, res


@contextlib.asynccontextmanager
async def _steady(
    reference_cluster: ReferenceClusterFactory,
) -> AsyncIterator[tuple[ReferenceEnvironment, Group, Resource]]:
    """A cluster of N1 and N2 with group "web" online on N1; its resource "R1" is a Steady."""
    async with reference_cluster(nodes=NODES, types=[Steady]) as env:
        group, res = await _online(env)
        yield env, group, res


@pytest.mark.asyncio
async def test_a_failed_is_alive_restarts_the_resource_in_place(
    reference_cluster: ReferenceClusterFactory,
) -> None:
    async with _steady(reference_cluster) as (env, group, res):
        steady = env.instance(res, Steady)  # typed: a Steady, its attributes checked by mypy
        assert steady.running
        steady.running = False  # the service died under the cluster's feet
        await env.advance(6)  # the next LooksAlive (every 5 s), then IsAlive, say so
        assert env.instance(res, Steady).running  # restarted, on the same node
        assert await group.state_info() == GroupStateInfo(GroupState.ONLINE, "N1")
        assert any("failed" in e.message.lower() for e in env.log if e.level >= LogLevel.WARNING)


@pytest.mark.asyncio
async def test_a_failure_past_the_threshold_fails_the_group_over_to_a_new_instance(
    reference_cluster: ReferenceClusterFactory,
) -> None:
    async with _steady(reference_cluster) as (env, group, res):
        await res.set_common_properties(RestartThreshold=0)  # no restart: fail over at once
        first = env.instance(res, Steady)
        first.running = False
        await env.advance(6)
        assert await group.state_info() == GroupStateInfo(GroupState.ONLINE, "N2")
        second = env.instance(res, Steady)
        assert second is not first  # N2's monitor runs an instance of its own
        assert second.running
        assert not first.running


@pytest.mark.asyncio
@pytest.mark.virtual_time(autojump_threshold=0.05)  # IsAlive makes a real TCP round trip
async def test_closing_the_echo_servers_socket_gets_it_restarted(
    reference_cluster: ReferenceClusterFactory,
) -> None:
    async with reference_cluster(nodes=NODES, types=[EchoServer]) as env:
        group = await env.cluster.create_group("echo")
        res = await group.create_resource("E1", "Echo Server")
        port = _free_port()
        await res.set_private_properties(port=port)
        await group.online()
        echo = env.instance(res, EchoServer)
        assert echo._listener is not None  # internal state: it listens
        assert echo.properties.port == port
        await echo._listener.aclose()  # the socket goes; the serving worker ends with it
        await env.advance(6)
        assert await res.state() is ResourceState.ONLINE
        restarted = env.instance(res, EchoServer)
        assert restarted._server is not None
        assert not restarted._server.done
        assert await restarted.is_alive()  # a real round trip to the new listener
        failures = [e for e in env.log if e.level >= LogLevel.WARNING and "E1" in e.source]
        assert failures, env.format_log()


@pytest.mark.asyncio
async def test_a_resource_never_brought_online_has_no_instance(
    reference_cluster: ReferenceClusterFactory,
) -> None:
    async with reference_cluster(nodes=NODES, types=[Steady]) as env:
        group = await env.cluster.create_group("web")
        res = await group.create_resource("R1", "Steady")
        with pytest.raises(ClusterError) as caught:
            env.instance(res)
        assert caught.value.winerror == Win32Error.ERROR_RESOURCE_NOT_AVAILABLE
        assert "'R1' is not open on any node" in str(caught.value)
        assert "bring it online first" in str(caught.value)


@pytest.mark.asyncio
async def test_a_crashed_node_has_no_instance_until_the_failover(
    reference_cluster: ReferenceClusterFactory,
) -> None:
    async with _steady(reference_cluster) as (env, group, res):
        env.crash_node("N1")
        with pytest.raises(ClusterError) as caught:
            env.instance(res)
        assert caught.value.winerror == Win32Error.ERROR_HOST_NODE_NOT_AVAILABLE
        assert "node 'N1', which is down" in str(caught.value)
        await env.advance(30)  # noticed after node_timeout; the group fails over to N2
        assert await group.state_info() == GroupStateInfo(GroupState.ONLINE, "N2")
        assert env.instance(res, Steady).running


@pytest.mark.asyncio
async def test_an_instance_of_another_class_is_refused_by_name(
    reference_cluster: ReferenceClusterFactory,
) -> None:
    async with _steady(reference_cluster) as (env, _, res):
        with pytest.raises(ClusterError) as caught:
            env.instance(res, Other)
        assert caught.value.winerror == Win32Error.ERROR_INVALID_PARAMETER
        message = str(caught.value)
        assert "'R1' runs an instance of" in message
        assert "Steady, not of" in message
        assert "Other" in message


@pytest.mark.asyncio
async def test_a_handle_of_another_cluster_is_refused(
    reference_cluster: ReferenceClusterFactory,
) -> None:
    async with (
        reference_cluster(nodes=NODES, types=[Steady]) as env,
        reference_cluster(nodes=NODES, types=[Steady], name="OTHER") as other,
    ):
        _, res = await _online(other)
        with pytest.raises(ClusterError) as caught:
            env.instance(res)
        assert caught.value.winerror == Win32Error.ERROR_INVALID_PARAMETER
        assert "belongs to another cluster, not to this environment's cluster 'CLUSTER'" in str(
            caught.value
        )
        assert other.instance(res, Steady).running


@pytest.mark.asyncio
async def test_a_separate_monitor_keeps_its_instance_in_its_own_process(
    separate_monitor_cluster: ReferenceClusterFactory,
) -> None:
    async with separate_monitor_cluster(
        nodes=("N1",), types=["tests.resapi.separate.types:Steady"]
    ) as env:
        group = await env.cluster.create_group("g")
        res = await group.create_resource("r", "Separate Steady", separate_monitor=True)
        await group.online()
        with pytest.raises(ClusterError) as caught:
            env.instance(res)
        assert caught.value.winerror == Win32Error.ERROR_NOT_SUPPORTED
        message = str(caught.value)
        assert "separate monitor process on node 'N1'" in message
        assert "without separate_monitor=True" in message


@pytest.mark.asyncio
async def test_a_deleted_resource_is_named_as_gone(
    reference_cluster: ReferenceClusterFactory,
) -> None:
    async with _steady(reference_cluster) as (env, group, res):
        await group.offline()
        await res.delete()
        with pytest.raises(ClusterError) as caught:
            env.instance(res)
        assert caught.value.winerror == Win32Error.ERROR_RESOURCE_NOT_AVAILABLE
        assert "'R1'" in str(caught.value)
