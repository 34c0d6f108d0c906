"""Contract: dependencies between resources (Pacemaker: order + colocation constraints).

Dependencies are seen through states: a dependent is never online while what it depends on is
not (online brings dependencies up first, offline takes dependents down first), and resources
without a dependency between them come and go independently.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import anyio
import pytest

import clusapi
from clusapi import GroupState, ResourceState, Win32Error as W
from tests.contract._driver import DUMMY, names, refused

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from tests.contract._driver import Driver

pytestmark = pytest.mark.anyio

ONLINE = ResourceState.ONLINE
OFFLINE = ResourceState.OFFLINE


async def app_on_disk(
    cluster: clusapi.Cluster,
) -> tuple[clusapi.Group, clusapi.Resource, clusapi.Resource]:
    """Group ``g``: ``app`` depends on ``disk``; ``app`` is created first, so creation order
    (or a Pacemaker group's member order) is the wrong order."""
    group = await cluster.create_group("g")
    app = await group.create_resource("app", DUMMY)
    disk = await group.create_resource("disk", DUMMY)
    await app.add_dependency(disk)
    return group, app, disk


async def watch_order(
    driver: Driver,
    dependent: clusapi.Resource,
    provider: clusapi.Resource,
    action: Callable[[], Awaitable[object]],
    final: ResourceState,
) -> list[tuple[ResourceState, ResourceState]]:
    """Run ``action`` (which must not wait) and sample both states until both are ``final``,
    failing if the dependent is ever online while its provider is not.

    The two states are read one after the other, in the order that cannot show a false
    breach: going online (provider first), the dependent first; going offline (dependent
    first), the provider first.
    """
    seen: list[tuple[ResourceState, ResourceState]] = []
    await action()
    with anyio.move_on_after(driver.state_timeout):
        while True:
            if final is ONLINE:
                dep = await dependent.state()
                prov = await provider.state()
            else:
                prov = await provider.state()
                dep = await dependent.state()
            if not seen or seen[-1] != (dep, prov):
                seen.append((dep, prov))
            assert not (dep is ONLINE and prov is not ONLINE), (
                f"{dependent.name!r} online while {provider.name!r} is {prov.name}: {seen}"
            )
            if dep is final and prov is final:
                return seen
            await anyio.sleep(driver.poll_interval / 10)
    pytest.fail(f"{driver.name}: not {final.name} within {driver.state_timeout:g} s: {seen}")


async def test_dependency_lists(cluster: clusapi.Cluster) -> None:
    _, app, disk = await app_on_disk(cluster)
    assert names(await app.dependencies()) == ["disk"]
    assert await app.dependents() == []
    assert names(await disk.dependents()) == ["app"]
    assert await disk.dependencies() == []
    assert await app.can_be_dependent(disk)  # CanResourceBeDependent(app, disk)
    assert not await disk.can_be_dependent(app)  # it would close a cycle
    assert not await app.can_be_dependent(app)
    await app.remove_dependency(disk)
    assert await app.dependencies() == []
    assert await disk.dependents() == []


async def test_online_brings_dependencies_up_first(driver: Driver) -> None:
    group, app, disk = await app_on_disk(driver.cluster)
    await watch_order(driver, app, disk, lambda: app.online(wait=False), ONLINE)
    assert await group.state() is GroupState.ONLINE
    # Waiting: the dependency comes online with it.
    await group.offline()
    assert await app.online() is ONLINE
    assert await disk.state() is ONLINE


async def test_offline_takes_dependents_down_first(driver: Driver) -> None:
    group, app, disk = await app_on_disk(driver.cluster)
    await group.online()
    await watch_order(driver, app, disk, lambda: disk.offline(wait=False), OFFLINE)
    assert await group.state() is GroupState.OFFLINE
    await group.online()
    assert await disk.offline() is OFFLINE
    assert await app.state() is OFFLINE


async def test_group_online_and_offline_follow_the_dependencies(driver: Driver) -> None:
    group, app, disk = await app_on_disk(driver.cluster)
    await watch_order(driver, app, disk, lambda: group.online(wait=False), ONLINE)
    await watch_order(driver, app, disk, lambda: group.offline(wait=False), OFFLINE)


async def test_resources_without_a_dependency(driver: Driver) -> None:
    group = await driver.cluster.create_group("g")
    first = await group.create_resource("first", DUMMY)
    second = await group.create_resource("second", DUMMY)
    await group.online()

    async def states() -> tuple[ResourceState, ResourceState]:
        return await first.state(), await second.state()

    # The later one goes alone on every backend.
    await second.offline()
    assert await states() == (ONLINE, OFFLINE)
    await second.online()
    await first.offline()
    if driver.caps.independent_members:
        assert await states() == (OFFLINE, ONLINE)
        await second.offline()
        assert await second.online() is ONLINE
        assert await states() == (OFFLINE, ONLINE)
    else:
        # A Pacemaker group: the members after it stop too, and starting a member starts
        # the members before it.
        assert await states() == (OFFLINE, OFFLINE)
        assert await second.online() is ONLINE
        assert await states() == (ONLINE, ONLINE)


async def test_a_removed_dependency(driver: Driver) -> None:
    group, app, disk = await app_on_disk(driver.cluster)
    await group.online()
    await app.remove_dependency(disk)
    await disk.offline()
    if driver.caps.independent_members:
        assert (await app.state(), await disk.state()) == (ONLINE, OFFLINE)
    else:
        # add_dependency put disk before app in the Pacemaker group, and the removal leaves
        # that order: app, after disk, still stops with it.
        assert (await app.state(), await disk.state()) == (OFFLINE, OFFLINE)
    assert await app.dependencies() == []
    assert await disk.dependents() == []


async def test_bad_dependencies_are_refused(cluster: clusapi.Cluster) -> None:
    group, app, disk = await app_on_disk(cluster)
    other = await cluster.create_group("other")
    far = await other.create_resource("far", DUMMY)

    with refused(clusapi.InvalidParameterError, W.ERROR_INVALID_PARAMETER, "'app'", "itself"):
        await app.add_dependency(app)
    with refused(clusapi.DependencyCycleError, W.ERROR_CIRCULAR_DEPENDENCY, "'disk'", "'app'"):
        await disk.add_dependency(app)
    with refused(clusapi.DependencyError, W.ERROR_DEPENDENCY_ALREADY_EXISTS, "'app'", "'disk'"):
        await app.add_dependency(disk)
    with refused(clusapi.InvalidParameterError, W.ERROR_INVALID_PARAMETER, "'app'", "'far'"):
        await app.add_dependency(far)
    with refused(clusapi.DependencyError, W.ERROR_DEPENDENCY_NOT_FOUND, "'disk'", "'app'"):
        await disk.remove_dependency(app)
    with refused(clusapi.InvalidParameterError, W.ERROR_INVALID_PARAMETER, "provider"):
        await app.add_dependency(group)  # type: ignore[arg-type]
    with refused(clusapi.DependencyError, W.ERROR_DEPENDENT_RESOURCE_EXISTS, "'disk'", "'app'"):
        await disk.delete()

    # Nothing changed.
    assert names(await app.dependencies()) == ["disk"]
    assert await disk.dependencies() == []
    assert await far.dependencies() == []
    assert sorted(names(await group.resources())) == ["app", "disk"]
