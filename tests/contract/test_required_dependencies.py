"""Contract: required dependencies are enforced, and an online waits for a group that is
already coming online (issue 16, item 8).

A resource type's required dependencies (``CLUSCTL_RESOURCE_TYPE_GET_REQUIRED_DEPENDENCIES``,
``resapi.Resource.required_dependencies``) keep a resource that lacks them offline, with
ERROR_DEPENDENCY_NOT_FOUND naming the missing type. On Pacemaker the types are resapi's,
installed as OCF agents whose meta-data carries them (``<special tag="resapi">``, see
docs/ocf.md); plain OCF agents require none. The other
half: ``online()`` right after ``resume()``, while the cluster brings the group back online
by itself (Pacemaker restarts what standby stopped), waits for it instead of refusing a busy
group.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import clusapi
from clusapi import GroupState, ResourceState, Win32Error as W
from tests.contract._driver import refused
from tests.contract._required_types import Share, ShareDisk

if TYPE_CHECKING:
    from tests.contract._driver import Driver

pytestmark = pytest.mark.anyio


async def _share_group(driver: Driver) -> tuple[clusapi.Group, clusapi.Resource, str]:
    """A group holding a Share with no dependency; the Share type's name on this backend
    (Pacemaker names a resapi type by its agent, ``ocf:resapi:share``)."""
    cluster = driver.cluster
    await cluster.create_resource_type(ShareDisk)
    share_type = (await cluster.create_resource_type(Share)).name
    group = await cluster.create_group("files")
    share = await group.create_resource("share", share_type)
    return group, share, share_type


async def test_a_missing_required_dependency_keeps_the_group_offline(driver: Driver) -> None:
    group, share, share_type = await _share_group(driver)
    for online in (group.online, share.online):
        with refused(
            clusapi.DependencyError,
            W.ERROR_DEPENDENCY_NOT_FOUND,
            "resource 'share' cannot come online",
            f"its type {share_type!r} requires a dependency on a resource of type 'Share Disk'",
        ):
            await online()
        assert await group.state() is GroupState.OFFLINE
        assert await share.state() is ResourceState.OFFLINE


async def test_a_met_required_dependency_comes_online(driver: Driver) -> None:
    group, share, _ = await _share_group(driver)
    disk = await group.create_resource("disk", "Share Disk")
    # A resource of the required type in the group is not enough: the share depends on it.
    with refused(clusapi.DependencyError, W.ERROR_DEPENDENCY_NOT_FOUND, "'Share Disk'"):
        await group.online()
    await share.add_dependency(disk)
    assert await group.online() is GroupState.ONLINE
    assert await share.state() is ResourceState.ONLINE


async def test_online_right_after_resume_waits_for_the_group(driver: Driver) -> None:
    cluster = driver.cluster
    name = driver.node_names[0]
    if driver.name == "reference":
        await cluster.create_resource_type("ocf:heartbeat:Delay")
    group = await cluster.create_group("g")
    slow = await group.create_resource("slow", "ocf:heartbeat:Delay")
    # On Pacemaker, a start that takes a while, so that the group is seen on its way online
    # after the resume (the reference runtime's paused node keeps the group online).
    delay = 0 if driver.caps.pause_keeps_groups else 3
    await slow.set_private_properties(startdelay=delay, stopdelay=0, mondelay=0)
    assert await group.online(name) is GroupState.ONLINE
    node = await cluster.open_node(name)
    await node.pause()
    if not driver.caps.pause_keeps_groups:
        await driver.wait_until(group.state, lambda s: s is GroupState.OFFLINE, "stopped")
    await node.resume()
    if not driver.caps.pause_keeps_groups:
        # Pacemaker starts what standby stopped: the group is coming online by itself.
        await driver.wait_until(group.state, lambda s: s is GroupState.PENDING, "starting")
    assert await group.online(name) is GroupState.ONLINE
    assert await group.state_info() == clusapi.GroupStateInfo(GroupState.ONLINE, name)
