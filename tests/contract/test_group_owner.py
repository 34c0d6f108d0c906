"""Contract: a new group is hosted on the node the connection is made to (MS-CMRP
ApiCreateGroup), from its creation on, and its first online brings it online there.

The connection's node is ``driver.node_names[0]`` on both backends: the reference runtime's
connection is to its first node, and the Pacemaker client runs its tools in node 1.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import anyio
import pytest

import clusapi
from clusapi import ClusterChange as C, GroupState
from tests.contract._driver import DUMMY, collect, names

if TYPE_CHECKING:
    from tests.contract._driver import Driver

pytestmark = pytest.mark.anyio


async def test_a_new_group_has_the_connections_node_as_owner(driver3: Driver) -> None:
    cluster = driver3.cluster
    home = driver3.node_names[0]
    group = await cluster.create_group("g")
    assert await group.state_info() == clusapi.GroupStateInfo(GroupState.OFFLINE, home)
    owner = await group.owner()
    assert owner is not None
    assert owner.name == home
    assert names(await (await cluster.open_node(home)).groups()) == ["g"]
    # A resource joining it changes nothing about where it is.
    await group.create_resource("r1", DUMMY)
    assert await group.state_info() == clusapi.GroupStateInfo(GroupState.OFFLINE, home)


async def test_no_owner_change_comes_before_the_first_resource_event(driver3: Driver) -> None:
    cluster = driver3.cluster
    kinds = C.GROUP_ADDED | C.GROUP_STATE | C.RESOURCE_STATE
    async with cluster.notifications(kinds) as port:
        group = await cluster.create_group("g")
        await group.create_resource("r1", DUMMY)
        created: list[clusapi.Notification] = []
        with anyio.move_on_after(driver3.quiet_period):  # everything the creation brings
            while True:
                created.append(await port.receive())
        assert (created[0].change, created[0].name) == (C.GROUP_ADDED, "g"), created
        # (Pacemaker also reports the member joining, and its probes, as state events of r1
        # and g: a group's state there includes its members' operation histories. The owner
        # stays where it was created: test_a_new_group_has_the_connections_node_as_owner.)

        await group.online()
        events = await collect(
            driver3,
            port,
            lambda events: any(e.change is C.RESOURCE_STATE for e in events),
            "the first resource event",
        )
    # Before, the first online assigned the owner: a GROUP_STATE came first.
    assert [(e.change, e.name) for e in events] == [(C.RESOURCE_STATE, "r1")]


async def _busy_home(driver: Driver) -> str:
    """The connection's node, with another group online there already: a placement by load
    alone (Pacemaker's own rule) would pick another node for the next group."""
    home = driver.node_names[0]
    busy = await driver.cluster.create_group("busy")
    await busy.create_resource("b1", DUMMY)
    assert await busy.online(home) is GroupState.ONLINE
    return home


async def test_the_first_online_comes_up_on_the_connections_node(driver3: Driver) -> None:
    cluster = driver3.cluster
    home = await _busy_home(driver3)
    group = await cluster.create_group("g")
    await group.create_resource("r1", DUMMY)
    await group.create_resource("r2", DUMMY)
    assert await group.online() is GroupState.ONLINE
    assert await group.state_info() == clusapi.GroupStateInfo(GroupState.ONLINE, home)
    for res in await group.resources():
        info = await res.state_info()
        assert (info.state, info.owner) == (clusapi.ResourceState.ONLINE, home), res.name


async def test_a_resource_online_in_a_new_group_comes_up_on_that_node(driver3: Driver) -> None:
    cluster = driver3.cluster
    home = await _busy_home(driver3)
    group = await cluster.create_group("g")
    res = await group.create_resource("r1", DUMMY)
    assert await res.online() is clusapi.ResourceState.ONLINE
    assert await res.state_info() == clusapi.ResourceStateInfo(
        clusapi.ResourceState.ONLINE, home, "g"
    )
