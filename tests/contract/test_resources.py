"""Contract: resources and their states through online and offline."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import clusapi
from clusapi import GroupState, ResourceState, Win32Error as W
from tests.contract._driver import DUMMY, names, refused

if TYPE_CHECKING:
    from tests.contract._driver import Driver

pytestmark = pytest.mark.anyio


async def test_a_new_resource_is_offline_in_its_group(cluster: clusapi.Cluster) -> None:
    group = await cluster.create_group("web")
    res = await group.create_resource("r1", DUMMY)
    assert res.name == "r1"
    assert await res.state() is ResourceState.OFFLINE
    info = await res.state_info()
    assert (info.state, info.group) == (ResourceState.OFFLINE, "web")
    assert (await res.group()).id == group.id
    assert names(await group.resources()) == ["r1"]
    assert names(await cluster.resources()) == ["r1"]
    assert (await cluster.open_resource("r1")).id == res.id
    assert await res.dependencies() == []
    assert await res.dependents() == []
    assert await group.state() is GroupState.OFFLINE


async def test_a_duplicate_resource_name_is_refused(cluster: clusapi.Cluster) -> None:
    web = await cluster.create_group("web")
    db = await cluster.create_group("db")
    await web.create_resource("r1", DUMMY)
    with refused(clusapi.ObjectExistsError, W.ERROR_OBJECT_ALREADY_EXISTS, "'r1'"):
        await web.create_resource("r1", DUMMY)
    # Resource names are unique in the cluster, not only in a group.
    with refused(clusapi.ObjectExistsError, W.ERROR_OBJECT_ALREADY_EXISTS, "'r1'"):
        await db.create_resource("r1", DUMMY)
    assert names(await cluster.resources()) == ["r1"]
    assert await db.resources() == []


async def test_resource_online_and_offline(driver: Driver) -> None:
    cluster = driver.cluster
    node = driver.node_names[0]
    group = await cluster.create_group("web")
    res = await group.create_resource("r1", DUMMY)

    assert await res.online() is ResourceState.ONLINE
    assert await res.state_info() == clusapi.ResourceStateInfo(ResourceState.ONLINE, node, "web")
    assert await group.state_info() == clusapi.GroupStateInfo(GroupState.ONLINE, node)
    owner = await res.owner()
    assert owner is not None
    assert owner.name == node
    assert names(await owner.groups()) == ["web"]
    assert await res.online() is ResourceState.ONLINE  # already online: nothing to do

    assert await res.offline() is ResourceState.OFFLINE
    assert await res.state() is ResourceState.OFFLINE
    assert await group.state() is GroupState.OFFLINE
    assert await res.offline() is ResourceState.OFFLINE


async def test_group_online_and_offline_take_every_resource(driver: Driver) -> None:
    cluster = driver.cluster
    group = await cluster.create_group("web")
    r1 = await group.create_resource("r1", DUMMY)
    r2 = await group.create_resource("r2", DUMMY)

    assert await group.online() is GroupState.ONLINE
    assert (await group.state_info()).owner == driver.node_names[0]
    assert [await r.state() for r in (r1, r2)] == [ResourceState.ONLINE] * 2

    assert await group.offline() is GroupState.OFFLINE
    assert [await r.state() for r in (r1, r2)] == [ResourceState.OFFLINE] * 2


async def test_some_resources_online_is_partial_online(cluster: clusapi.Cluster) -> None:
    group = await cluster.create_group("web")
    r1 = await group.create_resource("r1", DUMMY)
    r2 = await group.create_resource("r2", DUMMY)
    await r1.online()
    assert await r2.state() is ResourceState.OFFLINE
    assert await group.state() is GroupState.PARTIAL_ONLINE
    await r2.online()
    assert await group.state() is GroupState.ONLINE
    # The last one: on Pacemaker, taking an earlier member offline stops the later ones too
    # (test_dependencies.py::test_resources_without_a_dependency).
    await r2.offline()
    assert await group.state() is GroupState.PARTIAL_ONLINE
    assert await r1.state() is ResourceState.ONLINE


async def test_online_without_waiting_gets_there(driver: Driver) -> None:
    cluster = driver.cluster
    group = await cluster.create_group("web")
    res = await group.create_resource("r1", DUMMY)
    other = await group.create_resource("r2", DUMMY)

    started = await res.online(wait=False)
    assert started in {ResourceState.ONLINE_PENDING, ResourceState.ONLINE}, started
    await driver.wait_until(res.state, lambda s: s is ResourceState.ONLINE, "r1 online")

    stopped = await res.offline(wait=False)
    assert stopped in {ResourceState.OFFLINE_PENDING, ResourceState.OFFLINE}, stopped
    await driver.wait_until(res.state, lambda s: s is ResourceState.OFFLINE, "r1 offline")

    pending = await group.online(wait=False)
    assert pending in {GroupState.PENDING, GroupState.ONLINE}, pending
    await driver.wait_until(group.state, lambda s: s is GroupState.ONLINE, "group online")
    assert await other.state() is ResourceState.ONLINE


async def test_delete_a_resource(cluster: clusapi.Cluster) -> None:
    group = await cluster.create_group("web")
    res = await group.create_resource("r1", DUMMY)
    await res.online()
    with refused(clusapi.InvalidStateError, W.ERROR_RESOURCE_ONLINE, "'r1'"):
        await res.delete()
    assert await res.state() is ResourceState.ONLINE
    await res.offline()
    await res.delete()
    assert await group.resources() == []
    assert await cluster.resources() == []
    with refused(clusapi.ResourceNotFoundError, W.ERROR_RESOURCE_NOT_FOUND, "'r1'"):
        await cluster.open_resource("r1")
    with refused(clusapi.ObjectUnavailableError, W.ERROR_RESOURCE_NOT_AVAILABLE):
        await res.state()
    # The name is free again.
    again = await group.create_resource("r1", DUMMY)
    assert await again.state() is ResourceState.OFFLINE


async def test_a_failed_resource_is_restarted(driver: Driver) -> None:
    """``fail()`` reports a failure; the default policy (RestartAction 2, threshold 3) restarts
    the resource where it is, on both backends (Pacemaker: on-fail=restart)."""
    cluster = driver.cluster
    group = await cluster.create_group("web")
    res = await group.create_resource("r1", DUMMY)
    with refused(clusapi.InvalidStateError, W.ERROR_RESMON_INVALID_STATE, "'r1'"):
        await res.fail()
    await group.online()
    await res.fail()
    await driver.wait_until(res.state_info, lambda i: i.state is ResourceState.ONLINE, "restart")
    assert await group.state_info() == clusapi.GroupStateInfo(
        GroupState.ONLINE, driver.node_names[0]
    )


async def test_change_group(cluster: clusapi.Cluster) -> None:
    web = await cluster.create_group("web")
    db = await cluster.create_group("db")
    app = await web.create_resource("app", DUMMY)
    disk = await web.create_resource("disk", DUMMY)
    keep = await web.create_resource("keep", DUMMY)
    await app.add_dependency(disk)
    # The resource moves with its whole dependency tree.
    await disk.change_group(db)
    assert sorted(names(await db.resources())) == ["app", "disk"]
    assert names(await web.resources()) == ["keep"]
    assert (await app.state_info()).group == "db"
    assert names(await app.dependencies()) == ["disk"]
    await db.online()
    assert [await r.state() for r in (app, disk)] == [ResourceState.ONLINE] * 2
    assert await keep.state() is ResourceState.OFFLINE
    assert await web.state() is GroupState.OFFLINE
