"""The reasons the reference runtime puts into a failed online (issue 16, items 3 and 8):
the entry point and what it raised, the node, the resource's own last error, a dependent
that was not started, and a required dependency removed before a failover."""

from __future__ import annotations

import pytest

import clusapi
from clusapi import ResourceState, Win32Error as W
from clusapi.testing import open_reference_cluster
from tests.contract.test_required_dependencies import Share, ShareDisk

pytestmark = [pytest.mark.asyncio, pytest.mark.virtual_time]


class Store(ShareDisk):
    """Fails its Online after logging why, as a resource DLL logs before it returns."""

    type_name = "Store"

    async def online(self) -> None:
        self.log.error("cannot open /srv/data: no such directory")
        raise OSError(2, "No such file or directory")


async def test_a_failed_online_says_which_entry_point_where_and_the_last_error() -> None:
    async with open_reference_cluster(nodes=("N1", "N2")) as env:
        await env.cluster.create_resource_type(Store)
        await env.cluster.create_resource_type(ShareDisk)
        group = await env.cluster.create_group("g")
        store = await group.create_resource("store", "Store")
        app = await group.create_resource("app", "Share Disk")
        await app.add_dependency(store)
        with pytest.raises(clusapi.ResourceFailedError) as info:
            await group.online("N1")
        assert info.value.winerror == W.ERROR_RESOURCE_FAILED
        assert str(info.value).startswith(
            "group 'g' did not come online: resource 'store' failed on 'N1': Online raised "
            "FileNotFoundError(2, 'No such file or directory') (its last error: cannot open "
            "/srv/data: no such directory); resource 'app' was not started: its dependency "
            "'store' did not come online"
        )
        # A resource's own online says the same.
        with pytest.raises(clusapi.ResourceFailedError) as info:
            await app.online()
        assert "resource 'store' failed on " in str(info.value)
        assert "cluster log" not in str(info.value)


async def test_a_required_dependency_removed_while_online_keeps_it_down_at_failover() -> None:
    async with open_reference_cluster(nodes=("N1", "N2")) as env:
        await env.cluster.create_resource_type(ShareDisk)
        await env.cluster.create_resource_type(Share)
        group = await env.cluster.create_group("g")
        base = await group.create_resource("base", "Share Disk")
        needy = await group.create_resource("needy", "Share")
        await needy.add_dependency(base)
        await group.online("N1")
        await needy.remove_dependency(base)  # allowed while online (since 2008)
        env.crash_node("N1")
        await env.advance(60)  # detection (NodeTimeout) and the failover to N2
        assert await base.state_info() == clusapi.ResourceStateInfo(ResourceState.ONLINE, "N2", "g")
        assert await needy.state() is not ResourceState.ONLINE
        assert "requires a dependency on a resource of type 'Share Disk'" in env.format_log()
