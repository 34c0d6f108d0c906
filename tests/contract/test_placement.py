"""Contract: possible owners, preferred owners and moves, on three nodes (Pacemaker: location
constraints and scores; a move is ``crm_resource --move`` then ``--clear``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import clusapi
from clusapi import GroupState, ResourceState, Win32Error as W
from tests.contract._driver import DUMMY, names, not_supported, refused

if TYPE_CHECKING:
    from tests.contract._driver import Driver

pytestmark = pytest.mark.anyio


async def owners(group: clusapi.Group) -> tuple[list[str], dict[str, list[str]]]:
    """The group's preferred owners and each resource's possible owners."""
    possible = {r.name: names(await r.possible_owners()) for r in await group.resources()}
    return names(await group.preferred_owners()), possible


async def test_possible_owners(driver3: Driver) -> None:
    cluster = driver3.cluster
    n1, n2, n3 = driver3.node_names
    group = await cluster.create_group("g")
    r1 = await group.create_resource("r1", DUMMY)
    await group.create_resource("r2", DUMMY)
    assert names(await r1.possible_owners()) == [n1, n2, n3]  # every node by default

    with refused(clusapi.ObjectExistsError, W.ERROR_OBJECT_IN_LIST, repr(n2), "'r1'"):
        await r1.add_possible_owner(n2)
    with refused(clusapi.NodeNotFoundError, W.ERROR_CLUSTER_NODE_NOT_FOUND, "'nosuchnode'"):
        await r1.add_possible_owner("nosuchnode")

    await r1.remove_possible_owner(n2)
    assert names(await r1.possible_owners()) == [n1, n3]
    # The group goes where every resource may run.
    with refused(clusapi.HostNodeError, W.ERROR_HOST_NODE_NOT_RESOURCE_OWNER, repr(n2), "'r1'"):
        await group.online(n2)
    assert await group.state() is GroupState.OFFLINE
    assert await group.online(n1) is GroupState.ONLINE
    with refused(clusapi.HostNodeError, W.ERROR_HOST_NODE_NOT_RESOURCE_OWNER, repr(n2), "'r1'"):
        await group.move(n2)
    assert await group.state_info() == clusapi.GroupStateInfo(GroupState.ONLINE, n1)

    await r1.add_possible_owner(n2)
    assert names(await r1.possible_owners()) == [n1, n2, n3]
    assert await group.move(n2) is GroupState.ONLINE
    assert (await group.state_info()).owner == n2


async def test_preferred_owners(driver3: Driver) -> None:
    cluster = driver3.cluster
    n1, n2, n3 = driver3.node_names
    group = await cluster.create_group("g")
    await group.create_resource("r1", DUMMY)

    await group.set_preferred_owners([n3, n1])
    assert names(await group.preferred_owners()) == [n3, n1]
    # Nowhere to be yet: the most preferred node that can host it.
    assert await group.online() is GroupState.ONLINE
    assert (await group.state_info()).owner == n3

    with refused(clusapi.NodeNotFoundError, W.ERROR_CLUSTER_NODE_NOT_FOUND, "'nosuchnode'"):
        await group.set_preferred_owners([n1, "nosuchnode"])
    with refused(clusapi.InvalidParameterError, W.ERROR_INVALID_PARAMETER, "'g'"):
        await group.set_preferred_owners([n1, n1])
    with refused(clusapi.InvalidParameterError, W.ERROR_INVALID_PARAMETER, "preferred owner"):
        await group.set_preferred_owners([group])  # type: ignore[list-item]
    assert names(await group.preferred_owners()) == [n3, n1]

    node2 = await cluster.open_node(n2)
    await group.set_preferred_owners([node2])  # handles work as well as names
    assert names(await group.preferred_owners()) == [n2]
    await group.set_preferred_owners([])
    assert await group.preferred_owners() == []
    assert (await group.state_info()).owner == n3  # setting owners moves nothing


async def test_move_a_group(driver3: Driver) -> None:
    cluster = driver3.cluster
    n1, n2, n3 = driver3.node_names
    group = await cluster.create_group("g")
    app = await group.create_resource("app", DUMMY)
    disk = await group.create_resource("disk", DUMMY)
    await app.add_dependency(disk)
    await group.set_preferred_owners([n2, n1])
    await group.online(n1)
    before = await owners(group)

    assert await group.move(n3) is GroupState.ONLINE
    assert await group.state_info() == clusapi.GroupStateInfo(GroupState.ONLINE, n3)
    for res in (app, disk):
        assert await res.state_info() == clusapi.ResourceStateInfo(ResourceState.ONLINE, n3, "g")
    node3 = await cluster.open_node(n3)
    assert names(await node3.groups()) == ["g"]

    # No node given: the best other node (the most preferred one).
    assert await group.move() is GroupState.ONLINE
    assert await group.state_info() == clusapi.GroupStateInfo(GroupState.ONLINE, n2)
    assert await node3.groups() == []

    # A move changes where the group is, not where it may or prefers to be: nothing is left
    # behind that the public API can see.
    assert await owners(group) == before


async def test_moving_an_offline_group_keeps_it_offline(driver3: Driver) -> None:
    cluster = driver3.cluster
    n1, n2, _ = driver3.node_names
    group = await cluster.create_group("g")
    res = await group.create_resource("r1", DUMMY)
    await group.online(n1)
    await group.offline()
    if not driver3.caps.move_offline_group:
        # Said, not silently ignored: the caller would otherwise expect the next online there.
        with not_supported():
            await group.move(n2)
        assert await group.state_info() == clusapi.GroupStateInfo(GroupState.OFFLINE, n1)
        assert await res.state() is ResourceState.OFFLINE
        return
    assert await group.move(n2) is GroupState.OFFLINE
    assert await group.state_info() == clusapi.GroupStateInfo(GroupState.OFFLINE, n2)
    assert await res.state() is ResourceState.OFFLINE
    # Its next online is on the node it was moved to.
    assert await group.online() is GroupState.ONLINE
    assert (await group.state_info()).owner == n2


async def test_move_to_a_bad_node(driver3: Driver) -> None:
    cluster = driver3.cluster
    n1, _, _ = driver3.node_names
    group = await cluster.create_group("g")
    await group.create_resource("r1", DUMMY)
    await group.online(n1)
    with refused(clusapi.NodeNotFoundError, W.ERROR_CLUSTER_NODE_NOT_FOUND, "'nosuchnode'"):
        await group.move("nosuchnode")
    with refused(clusapi.InvalidParameterError, W.ERROR_INVALID_PARAMETER, "node"):
        await group.move(group)  # type: ignore[arg-type]
    assert await group.state_info() == clusapi.GroupStateInfo(GroupState.ONLINE, n1)


async def test_no_other_node_to_move_to(driver: Driver) -> None:
    """On one node, ``move()`` has nowhere to go."""
    group = await driver.cluster.create_group("g")
    await group.create_resource("r1", DUMMY)
    await group.online()
    with refused(clusapi.HostNodeError, W.ERROR_HOST_NODE_NOT_AVAILABLE, "'g'"):
        await group.move()
    assert await group.state_info() == clusapi.GroupStateInfo(
        GroupState.ONLINE, driver.node_names[0]
    )
