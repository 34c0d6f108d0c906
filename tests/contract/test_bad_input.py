"""Contract: bad input gets the right ClusterError on every backend, and changes nothing.

(``tests/test_bad_input.py`` covers many more cases on the reference runtime alone; these are
the ones a second backend must answer for itself: unknown names, wrong handle kinds, stale and
closed handles, impossible placements.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import clusapi
from clusapi import GroupState, ResourceState, Win32Error as W
from tests.contract._driver import DUMMY, names, refused

if TYPE_CHECKING:
    from tests.contract._driver import Driver

pytestmark = pytest.mark.asyncio


async def snapshot(cluster: clusapi.Cluster) -> dict[str, object]:
    """What the public API shows of groups and resources (enough to see a stray change)."""
    groups = {}
    for g in await cluster.groups():
        groups[g.name] = (await g.state_info(), names(await g.resources()))
    resources = {}
    for r in await cluster.resources():
        resources[r.name] = (
            await r.state_info(),
            names(await r.dependencies()),
            names(await r.possible_owners()),
            dict(await r.private_properties()),
        )
    nodes = {n.name: await n.state() for n in await cluster.nodes()}
    return {"groups": groups, "resources": resources, "nodes": nodes}


async def prepared(cluster: clusapi.Cluster) -> tuple[clusapi.Group, clusapi.Resource]:
    """Group ``g`` online with resource ``r1``, and group ``empty``."""
    group = await cluster.create_group("g")
    res = await group.create_resource("r1", DUMMY)
    await group.online()
    await cluster.create_group("empty")
    return group, res


async def test_unknown_names(driver: Driver) -> None:
    cluster = driver.cluster
    group, res = await prepared(cluster)
    before = await snapshot(cluster)
    with refused(clusapi.GroupNotFoundError, W.ERROR_GROUP_NOT_FOUND, "'nope'"):
        await cluster.open_group("nope")
    with refused(clusapi.ResourceNotFoundError, W.ERROR_RESOURCE_NOT_FOUND, "'nope'"):
        await cluster.open_resource("nope")
    with refused(clusapi.NodeNotFoundError, W.ERROR_CLUSTER_NODE_NOT_FOUND, "'nope'"):
        await cluster.open_node("nope")
    with refused(clusapi.NodeNotFoundError, W.ERROR_CLUSTER_NODE_NOT_FOUND, "'nope'"):
        await (await cluster.open_group("empty")).online("nope")
    with refused(clusapi.NodeNotFoundError, W.ERROR_CLUSTER_NODE_NOT_FOUND, "'nope'"):
        await group.move("nope")
    with refused(clusapi.NodeNotFoundError, W.ERROR_CLUSTER_NODE_NOT_FOUND, "'nope'"):
        await res.remove_possible_owner("nope")
    with refused(clusapi.GroupNotFoundError, W.ERROR_GROUP_NOT_FOUND, "'nope'"):
        await res.change_group("nope")
    assert await snapshot(cluster) == before


async def test_wrong_kinds_of_handles_and_values(driver: Driver) -> None:
    cluster = driver.cluster
    group, res = await prepared(cluster)
    node = (await cluster.nodes())[0]
    before = await snapshot(cluster)
    bad = clusapi.InvalidParameterError, W.ERROR_INVALID_PARAMETER
    with refused(*bad, "provider"):
        await res.add_dependency(node)  # type: ignore[arg-type]
    with refused(*bad, "node"):
        await group.online(res)  # type: ignore[arg-type]
    with refused(*bad, "node"):
        await res.add_possible_owner(group)  # type: ignore[arg-type]
    with refused(*bad, "group"):
        await res.change_group(node)  # type: ignore[arg-type]
    with refused(*bad, "resource"):
        await cluster.set_quorum_resource(group)  # type: ignore[arg-type]
    with refused(*bad, "wait"):
        await res.offline(wait="yes")  # type: ignore[arg-type]
    with refused(*bad, "group name"):
        await cluster.create_group("")
    with refused(*bad, "resource name"):
        await group.create_resource("", DUMMY)
    with refused(*bad, "ClusterChange"):
        await cluster.notifications(0)  # type: ignore[arg-type]
    assert await snapshot(cluster) == before


async def test_stale_handles(driver: Driver) -> None:
    cluster = driver.cluster
    group = await cluster.create_group("gone")
    res = await group.create_resource("gone_r", DUMMY)
    await res.delete()
    await group.delete()
    await prepared(cluster)
    before = await snapshot(cluster)
    r_gone = clusapi.ObjectUnavailableError, W.ERROR_RESOURCE_NOT_AVAILABLE
    g_gone = clusapi.ObjectUnavailableError, W.ERROR_GROUP_NOT_AVAILABLE
    with refused(*r_gone):
        await res.online()
    with refused(*r_gone):
        await res.set_private_properties(fake="x")
    with refused(*r_gone):
        await res.dependencies()
    with refused(*g_gone):
        await group.online()
    with refused(*g_gone):
        await group.create_resource("new", DUMMY)
    with refused(*g_gone):
        await group.set_preferred_owners([])
    assert await snapshot(cluster) == before


async def test_closed_handles(driver: Driver) -> None:
    cluster = driver.cluster
    await prepared(cluster)
    before = await snapshot(cluster)
    group = await cluster.open_group("g")
    res = await cluster.open_resource("r1")
    node = (await cluster.nodes())[0]
    for handle in (group, res, node):
        await handle.aclose()
    closed = clusapi.HandleClosedError, W.ERROR_INVALID_HANDLE
    with refused(*closed, "group 'g'"):
        await group.offline()
    with refused(*closed, "resource 'r1'"):
        await res.offline()
    with refused(*closed, f"node {node.name!r}"):
        await node.pause()
    assert await snapshot(cluster) == before
    assert (await cluster.open_group("g")).id == group.id  # the objects are untouched


async def test_a_paused_node_takes_no_group(driver: Driver) -> None:
    cluster = driver.cluster
    node = (await cluster.nodes())[0]
    group = await cluster.create_group("g")
    res = await group.create_resource("r1", DUMMY)
    await node.pause()
    assert await node.state() is clusapi.NodeState.PAUSED
    with refused(clusapi.InvalidStateError, W.ERROR_SHARING_PAUSED, repr(node.name)):
        await group.online(node)
    assert await res.state() is ResourceState.OFFLINE
    await node.resume()
    assert await node.state() is clusapi.NodeState.UP
    assert await group.online(node) is GroupState.ONLINE
