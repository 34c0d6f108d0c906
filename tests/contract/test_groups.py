"""Contract: creating, listing, renaming and deleting groups."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import clusapi
from clusapi import GroupState, Win32Error as W
from tests.contract._driver import DUMMY, names, not_supported, refused

if TYPE_CHECKING:
    from tests.contract._driver import Driver

pytestmark = pytest.mark.anyio


async def test_a_new_group_is_empty_offline_and_listed(driver: Driver) -> None:
    cluster = driver.cluster
    group = await cluster.create_group("web")
    assert group.name == "web"
    assert names(await cluster.groups()) == ["web"]
    assert await group.state() is GroupState.OFFLINE
    # Hosted on the connection's node (MS-CMRP ApiCreateGroup): see test_group_owner.py.
    owner = driver.node_names[0]
    assert await group.state_info() == clusapi.GroupStateInfo(GroupState.OFFLINE, owner)
    node = await group.owner()
    assert node is not None
    assert node.name == owner
    assert await group.resources() == []
    assert await group.preferred_owners() == []
    opened = await cluster.open_group("web")
    assert opened.id == group.id


async def test_a_deleted_group_is_gone(cluster: clusapi.Cluster) -> None:
    group = await cluster.create_group("web")
    keep = await cluster.create_group("db")
    await group.delete()
    assert names(await cluster.groups()) == ["db"]
    with refused(clusapi.GroupNotFoundError, W.ERROR_GROUP_NOT_FOUND, "'web'"):
        await cluster.open_group("web")
    # The old handle names an object that no longer exists.
    with refused(clusapi.ObjectUnavailableError, W.ERROR_GROUP_NOT_AVAILABLE):
        await group.state()
    with refused(clusapi.ObjectUnavailableError, W.ERROR_GROUP_NOT_AVAILABLE):
        await group.delete()
    assert await keep.state() is GroupState.OFFLINE


async def test_a_duplicate_group_name_is_refused(cluster: clusapi.Cluster) -> None:
    group = await cluster.create_group("web")
    with refused(clusapi.ObjectExistsError, W.ERROR_OBJECT_ALREADY_EXISTS, "'web'"):
        await cluster.create_group("web")
    assert names(await cluster.groups()) == ["web"]
    assert (await cluster.open_group("web")).id == group.id


async def test_a_group_with_resources_cannot_be_deleted(cluster: clusapi.Cluster) -> None:
    group = await cluster.create_group("web")
    res = await group.create_resource("r1", DUMMY)
    with refused(clusapi.InvalidStateError, W.ERROR_DIR_NOT_EMPTY, "'web'"):
        await group.delete()
    assert names(await cluster.groups()) == ["web"]
    assert names(await group.resources()) == ["r1"]
    await res.delete()
    await group.delete()
    assert await cluster.groups() == []


async def test_rename_a_group(driver: Driver) -> None:
    cluster = driver.cluster
    group = await cluster.create_group("web")
    await group.create_resource("r1", DUMMY)
    if not driver.caps.rename_groups:
        with not_supported():
            await group.rename("www")
        assert names(await cluster.groups()) == ["web"]
        assert group.name == "web"
        return
    await group.rename("www")
    assert group.name == "www"
    assert names(await cluster.groups()) == ["www"]
    assert (await cluster.open_group("www")).id == group.id
    with refused(clusapi.GroupNotFoundError, W.ERROR_GROUP_NOT_FOUND, "'web'"):
        await cluster.open_group("web")
    assert (await (await cluster.open_resource("r1")).state_info()).group == "www"


async def test_rename_a_resource(driver: Driver) -> None:
    cluster = driver.cluster
    group = await cluster.create_group("web")
    res = await group.create_resource("r1", DUMMY)
    if not driver.caps.rename_resources:
        with not_supported():
            await res.rename("r2")
        assert names(await group.resources()) == ["r1"]
        return
    await res.rename("r2")
    assert res.name == "r2"
    assert names(await group.resources()) == ["r2"]
    assert (await cluster.open_resource("r2")).id == res.id
    with refused(clusapi.ResourceNotFoundError, W.ERROR_RESOURCE_NOT_FOUND, "'r1'"):
        await cluster.open_resource("r1")
