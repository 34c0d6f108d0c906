"""The reference runtime's connection node: ``open_reference_cluster(node=...)`` names it, a new
group is hosted there (MS-CMRP ApiCreateGroup), and its first online goes there unless
preferred owners say otherwise or it cannot host the group. The backend-neutral part is the
contract test ``tests/contract/test_group_owner.py``."""

from __future__ import annotations

import pytest

import clusapi
from clusapi import GroupState, Win32Error
from clusapi.testing import open_reference_cluster
from resapi.testing import HealthyResource

pytestmark = [pytest.mark.asyncio, pytest.mark.virtual_time]

THREE = ("N1", "N2", "N3")


class Plain(HealthyResource):
    """A resource that comes online anywhere."""


async def _new_group(cluster: clusapi.Cluster, name: str = "g") -> clusapi.Group:
    group = await cluster.create_group(name)
    await group.create_resource(f"{name}-r", "Plain")
    return group


async def test_the_named_node_hosts_new_groups_and_their_first_online() -> None:
    async with open_reference_cluster(THREE, node="N2") as env:
        await env.cluster.create_resource_type(Plain)
        group = await _new_group(env.cluster)
        assert await group.state_info() == clusapi.GroupStateInfo(GroupState.OFFLINE, "N2")
        assert await group.online() is GroupState.ONLINE
        assert await group.state_info() == clusapi.GroupStateInfo(GroupState.ONLINE, "N2")


async def test_an_unknown_connection_node_is_refused() -> None:
    with pytest.raises(clusapi.NodeNotFoundError) as caught:
        async with open_reference_cluster(THREE, node="N9"):
            pass
    assert caught.value.winerror == Win32Error.ERROR_CLUSTER_NODE_NOT_FOUND
    assert "'N9'" in str(caught.value)


async def test_while_the_connections_node_is_down_the_first_up_node_hosts() -> None:
    async with open_reference_cluster(THREE, node="N2") as env:
        await env.cluster.create_resource_type(Plain)
        env.crash_node("N2")
        await env.advance(10)  # declared down
        group = await _new_group(env.cluster)
        assert (await group.state_info()).owner == "N1"
        await env.restart_node("N2")
        await env.advance(10)
        later = await _new_group(env.cluster, "later")  # back on the named node
        assert (await later.state_info()).owner == "N2"


async def test_preferred_owners_place_the_first_online() -> None:
    async with open_reference_cluster(THREE) as env:
        await env.cluster.create_resource_type(Plain)
        group = await _new_group(env.cluster)
        await group.set_preferred_owners(["N3", "N1"])
        assert (await group.state_info()).owner == "N1"  # setting them moves nothing
        await group.online()
        assert (await group.state_info()).owner == "N3"


async def test_a_paused_or_impossible_connection_node_is_skipped_by_the_first_online() -> None:
    async with open_reference_cluster(THREE) as env:
        cluster = env.cluster
        await cluster.create_resource_type(Plain)
        paused = await _new_group(cluster, "paused")
        impossible = await _new_group(cluster, "impossible")
        await (await cluster.open_resource("impossible-r")).remove_possible_owner("N1")
        await (await cluster.open_node("N1")).pause()
        # Hosted on N1, but a new group is not refused for where the client connected.
        assert (await paused.state_info()).owner == "N1"
        await paused.online()
        assert await paused.state_info() == clusapi.GroupStateInfo(GroupState.ONLINE, "N2")
        await (await cluster.open_node("N1")).resume()
        await impossible.online()
        assert await impossible.state_info() == clusapi.GroupStateInfo(GroupState.ONLINE, "N2")


async def test_once_placed_an_online_stays_with_the_owner() -> None:
    async with open_reference_cluster(THREE) as env:
        await env.cluster.create_resource_type(Plain)
        group = await _new_group(env.cluster)
        await group.set_preferred_owners(["N3"])
        await group.online("N2")
        await group.offline()
        await group.online()  # its owner now, not the preferred N3 (MSCS)
        assert (await group.state_info()).owner == "N2"
