"""Contract: failover on three nodes: a node crash (SIGKILL of its daemons on Pacemaker), its
rejoin, a move that leaves nothing behind, and pause (Pacemaker: standby).

On Pacemaker the client runs its tools in node 1, so the crashed node is never node 1; the
reference runtime has no such limit but runs the same steps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import clusapi
from clusapi import ClusterChange as C, GroupState, NodeState, ResourceState, Win32Error as W
from tests.contract._driver import DUMMY, collect, names, refused

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.contract._driver import Driver

pytestmark = pytest.mark.anyio


async def app_on_disk(cluster: clusapi.Cluster, online_on: str) -> clusapi.Group:
    """Group ``g`` (``app`` depends on ``disk``), online on ``online_on``."""
    group = await cluster.create_group("g")
    app = await group.create_resource("app", DUMMY)
    disk = await group.create_resource("disk", DUMMY)
    await app.add_dependency(disk)
    await group.online(online_on)
    return group


def online_away_from(node: str) -> Callable[[clusapi.GroupStateInfo], bool]:
    return lambda info: info.state is GroupState.ONLINE and info.owner not in {None, node}


async def all_online_on(group: clusapi.Group, node: str) -> None:
    for res in await group.resources():
        info = await res.state_info()
        assert (info.state, info.owner) == (ResourceState.ONLINE, node), (res.name, info)


async def test_a_crashed_owner_fails_over_and_rejoins(driver3: Driver) -> None:
    cluster = driver3.cluster
    _, victim, _ = driver3.node_names
    group = await app_on_disk(cluster, victim)
    node = await cluster.open_node(victim)
    async with cluster.notifications(C.NODE_STATE) as port:
        await driver3.crash_node(victim)
        await driver3.wait_until(
            node.state,
            lambda s: s is NodeState.DOWN,
            f"{victim} down",
            failover=True,
        )
        info = await driver3.wait_until(
            group.state_info, online_away_from(victim), "failover", failover=True
        )
        assert info.owner is not None
        await all_online_on(group, info.owner)
        assert names(await (await cluster.open_node(info.owner)).groups()) == ["g"]
        assert await node.groups() == []
        with refused(clusapi.ClusterUnavailableError, W.ERROR_CLUSTER_NODE_DOWN, repr(victim)):
            await node.pause()
        down = await collect(driver3, port, lambda got: any(e.name == victim for e in got), "down")

        await driver3.restart_node(victim)
        await driver3.wait_until(
            node.state,
            lambda s: s is NodeState.UP,
            f"{victim} up",
            failover=True,
        )
        seen = len(down)
        await collect(
            driver3, port, lambda got: any(e.name == victim for e in got[seen:]), "rejoin", down
        )
    # No failback by default: the group stays where it failed over to.
    assert await group.state_info() == info


@pytest.mark.parametrize("wait", [True, False], ids=["wait", "nowait"])
async def test_a_moved_group_leaves_no_constraint_behind(driver3: Driver, wait: bool) -> None:
    """After ``move(node)`` the group is free again: when that node crashes the group fails
    over, and when the node comes back nothing pulls the group back to it (a forgotten
    ``crm_resource --move`` constraint would). Also when the caller did not wait."""
    cluster = driver3.cluster
    first, _, target = driver3.node_names
    group = await app_on_disk(cluster, first)
    moving = await group.move(target, wait=wait)
    if wait:
        assert moving is GroupState.ONLINE
    else:
        assert moving in {GroupState.PENDING, GroupState.ONLINE}, moving
    there = clusapi.GroupStateInfo(GroupState.ONLINE, target)
    await driver3.wait_until(group.state_info, lambda info: info == there, f"on {target}")

    await driver3.crash_node(target)
    info = await driver3.wait_until(
        group.state_info, online_away_from(target), "failover", failover=True
    )
    node = await cluster.open_node(target)
    await driver3.restart_node(target)
    await driver3.wait_until(node.state, lambda s: s is NodeState.UP, f"{target} up", failover=True)
    await driver3.holds(group.state_info, lambda now: now == info, "the group stays put")


async def test_pause_and_resume(driver3: Driver) -> None:
    cluster = driver3.cluster
    first, paused, _ = driver3.node_names
    group = await app_on_disk(cluster, paused)
    other = await cluster.create_group("other")
    await other.create_resource("r1", DUMMY)
    await other.online(first)
    node = await cluster.open_node(paused)

    async with cluster.notifications(C.NODE_STATE) as port:
        await node.pause()
        assert await node.state() is NodeState.PAUSED
        await collect(driver3, port, lambda got: any(e.name == paused for e in got), "paused")
    if driver3.caps.pause_keeps_groups:
        assert await group.state_info() == clusapi.GroupStateInfo(GroupState.ONLINE, paused)
    else:
        info = await driver3.wait_until(group.state_info, online_away_from(paused), "evacuated")
        assert info.owner is not None
        await all_online_on(group, info.owner)

    # Nothing new comes online on a paused node, nor moves there.
    with refused(clusapi.InvalidStateError, W.ERROR_SHARING_PAUSED, repr(paused)):
        await other.move(paused)
    assert await other.state_info() == clusapi.GroupStateInfo(GroupState.ONLINE, first)
    await other.offline()
    with refused(clusapi.InvalidStateError, W.ERROR_SHARING_PAUSED, repr(paused)):
        await other.online(paused)
    assert await other.state() is GroupState.OFFLINE

    await node.resume()
    assert await node.state() is NodeState.UP
    assert await other.online(paused) is GroupState.ONLINE
    assert (await other.state_info()).owner == paused
