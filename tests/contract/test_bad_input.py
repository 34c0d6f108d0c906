"""Contract: bad input gets the right ClusterError on every backend, and changes nothing.

(``tests/clusapi/test_bad_input.py`` covers many more cases on the reference runtime alone; these
are the ones a second backend must answer for itself: unknown names, wrong handle kinds, stale and
closed handles, impossible placements.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import clusapi
from clusapi import GroupState, ResourceState, Win32Error as W
from tests.contract._driver import DUMMY, names, refused

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from tests.contract._driver import Driver

pytestmark = pytest.mark.anyio


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


# Names no backend may take (issue 13 finding 8): a NUL, other control characters, and more
# than 255 characters (the longest cluster database key name).
BAD_NAMES = ("a\0b", "a\x01b", "a\nb", "a\tb", "a\x7fb", "n" * 256)


async def test_bad_names_are_refused_and_change_nothing(driver: Driver) -> None:
    cluster = driver.cluster
    group, res = await prepared(cluster)
    before = await snapshot(cluster)
    bad = clusapi.InvalidParameterError, W.ERROR_INVALID_PARAMETER
    for name in BAD_NAMES:
        with refused(*bad, "group name"):
            await cluster.create_group(name)
        with refused(*bad, "resource name"):
            await group.create_resource(name, DUMMY)
        assert await snapshot(cluster) == before, f"a refused name {name!r} changed the cluster"
    # The longest name allowed is taken.
    longest = await cluster.create_group("n" * 255)
    assert longest.name == "n" * 255
    assert "n" * 255 in names(await cluster.groups())
    await longest.delete()
    assert await res.state() is ResourceState.ONLINE


async def test_values_a_cluster_configuration_cannot_store_are_refused(driver: Driver) -> None:
    # Issue 13 finding 9: Pacemaker's CIB is XML, which cannot hold most C0 controls; such a
    # value was cut short while the call reported success. Every backend refuses it whole.
    cluster = driver.cluster
    group, res = await prepared(cluster)
    await res.set_private_properties(fake="kept")
    await res.set_common_properties(description="kept")
    await group.set_common_properties(description="kept")
    before = await snapshot(cluster)
    commons = [
        (await res.common_properties()).to_dict(),
        (await group.common_properties()).to_dict(),
    ]
    pe = clusapi.PropertyError, W.ERROR_INVALID_PARAMETER
    for value in ("a\x01secret-tail", "a\0b", "\x1b[31m", "a\ufffeb"):
        with refused(*pe, "'fake'"):
            await res.set_private_properties(fake=value)
        with refused(*pe, "'Description'"):
            await res.set_common_properties(description=value)
        with refused(*pe, "'Description'"):
            await group.set_common_properties(description=value)
    assert await snapshot(cluster) == before
    assert [
        (await res.common_properties()).to_dict(),
        (await group.common_properties()).to_dict(),
    ] == commons


async def test_newline_and_tab_are_kept_exactly_or_refused(driver: Driver) -> None:
    # Issue 13 finding 9: Pacemaker returned a newline as the two characters "\n" while the call
    # reported success. A value is stored exactly or refused whole, never altered: the reference
    # runtime keeps it (tests/reference/test_validation_before_change.py pins that); Pacemaker 2.1's
    # own XML writer turns a newline into "\n" and a tab into four spaces, so a backend on it may
    # refuse such a value with PropertyError (ERROR_INVALID_PARAMETER) instead.
    cluster = driver.cluster
    group, res = await prepared(cluster)
    value = "line1\nline2\tx"
    changes: list[tuple[str, Callable[[], Awaitable[object]], Callable[[], Awaitable[object]]]]
    changes = [
        (
            "'fake'",
            lambda: res.set_private_properties(fake=value),
            lambda: _private(cluster, "fake"),
        ),
        (
            "'Description'",
            lambda: res.set_common_properties(description=value),
            lambda: _description(res),
        ),
        (
            "'Description'",
            lambda: group.set_common_properties(description=value),
            lambda: _description(group),
        ),
    ]
    for name, change, read in changes:
        before = await read()
        exc = await _error_of(change)
        if exc is None:
            assert await read() == value, f"{driver.name}: {name} was stored altered"
            continue
        assert type(exc) is clusapi.PropertyError, f"{driver.name}: {exc}"
        assert exc.winerror == W.ERROR_INVALID_PARAMETER, f"{driver.name}: {exc}"
        assert name in str(exc), f"{driver.name}: the message does not name {name}: {exc}"
        assert await read() == before, f"{driver.name}: a refused {name} was changed"
    if driver.name == "reference":  # it can keep every character XML can
        assert await _private(cluster, "fake") == value


async def _error_of(call: Callable[[], Awaitable[object]]) -> clusapi.ClusterError | None:
    try:
        await call()
    except clusapi.ClusterError as exc:
        return exc
    return None


async def _private(cluster: clusapi.Cluster, name: str) -> object:
    # Through a fresh handle: nothing is cached on a handle.
    return (await (await cluster.open_resource("r1")).private_properties()).get(name)


async def _description(handle: clusapi.Resource | clusapi.Group) -> str:
    return (await handle.common_properties()).description
