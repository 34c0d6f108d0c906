"""Contract: the faults both backends report through the shared rules (clusapi/_rules.py:
``no_such``, ``no_such_type``, ``gone``, ``check_can_host``, ``no_host``, ``check_can_pause``,
``check_paused``) carry the same
exception class, Win32 code, message and fix on both, word for word. (The handle of an evicted
node, which only the reference runtime can make, is checked in
tests/reference/test_environment.py.)

The expected texts are written out here, not built with the rules module, so that a change of
wording shows up as a change of this file.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import pytest

import clusapi
from clusapi import NodeState, Win32Error as W
from tests.contract._driver import DUMMY

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.contract._driver import Driver

pytestmark = pytest.mark.anyio


@contextlib.contextmanager
def fault(error: type[clusapi.ClusterError], code: W, text: str, fix: str) -> Iterator[None]:
    """Expect exactly ``error`` with ``code``, the message ``text`` and the advice ``fix``."""
    with pytest.raises(clusapi.ClusterError) as info:
        yield
    exc = info.value
    assert type(exc) is error, f"raised {type(exc).__name__}, expected {error.__name__}: {exc}"
    assert exc.winerror == code, f"winerror {exc.winerror!r}, expected {code.name}: {exc}"
    assert exc.description == text
    assert exc.fix == fix


async def test_lookup_by_name_and_deleted_handles(driver: Driver) -> None:
    cluster = driver.cluster
    name = (await cluster.information()).name
    for kind, open_it, code, error in (
        ("node", cluster.open_node, W.ERROR_CLUSTER_NODE_NOT_FOUND, clusapi.NodeNotFoundError),
        ("group", cluster.open_group, W.ERROR_GROUP_NOT_FOUND, clusapi.GroupNotFoundError),
        (
            "resource",
            cluster.open_resource,
            W.ERROR_RESOURCE_NOT_FOUND,
            clusapi.ResourceNotFoundError,
        ),
    ):
        with fault(
            error,
            code,
            f"no {kind} named 'nosuch' in cluster {name!r}",
            f"list the {kind}s with `await cluster.{kind}s()`",
        ):
            await open_it("nosuch")  # type: ignore[operator]
    with fault(
        clusapi.ResourceTypeNotFoundError,
        W.ERROR_CLUSTER_RESOURCE_TYPE_NOT_FOUND,
        "no resource type named 'nosuchtype'",
        "list the types with `await cluster.resource_types()` (on Pacemaker: the installed "
        "OCF agents), or register one with `await cluster.create_resource_type(...)`",
    ):
        await cluster.open_resource_type("nosuchtype")

    group = await cluster.create_group("g")
    res = await group.create_resource("r1", DUMMY)
    await res.delete()
    with fault(
        clusapi.ObjectUnavailableError,
        W.ERROR_RESOURCE_NOT_AVAILABLE,
        f"resource 'r1' was deleted from cluster {name!r}",
        "open the resource again by name",
    ):
        await res.state()
    await group.delete()
    with fault(
        clusapi.ObjectUnavailableError,
        W.ERROR_GROUP_NOT_AVAILABLE,
        f"group 'g' was deleted from cluster {name!r}",
        "open the group again by name",
    ):
        await group.state()


async def test_no_other_node_can_host(driver: Driver) -> None:
    group = await driver.cluster.create_group("g")
    await group.create_resource("r1", DUMMY)
    await group.online()
    with fault(
        clusapi.HostNodeError,
        W.ERROR_HOST_NODE_NOT_AVAILABLE,
        "no other node can host group 'g' (up, not paused, a possible owner of every "
        "resource in it)",
        "resume or start a node, or widen the possible owners",
    ):
        await group.move()


async def test_a_node_that_cannot_host(driver3: Driver) -> None:
    cluster = driver3.cluster
    n1, n2, n3 = driver3.node_names
    group = await cluster.create_group("g")
    r1 = await group.create_resource("r1", DUMMY)
    r2 = await group.create_resource("r2", DUMMY)

    # Not a possible owner of either resource: both are named, in the group's order.
    await r1.remove_possible_owner(n3)
    await r2.remove_possible_owner(n3)
    with fault(
        clusapi.HostNodeError,
        W.ERROR_HOST_NODE_NOT_RESOURCE_OWNER,
        f"node {n3!r} is not a possible owner of resource(s) 'r1', 'r2' in group 'g'",
        "add it with `await resource.add_possible_owner(node)`",
    ):
        await group.online(n3)

    # Paused (Pacemaker: standby); resuming a node that is not paused.
    node2 = await cluster.open_node(n2)
    with fault(
        clusapi.InvalidStateError,
        W.ERROR_CLUSTER_NODE_NOT_PAUSED,
        f"node {n2!r} is not paused",
        "only a paused node can be resumed",
    ):
        await node2.resume()
    await node2.pause()
    with fault(
        clusapi.InvalidStateError,
        W.ERROR_SHARING_PAUSED,
        f"node {n2!r} is paused; no group is brought online on it",
        "resume the node or choose another",
    ):
        await group.online(n2)
    await node2.resume()

    # Down (on Pacemaker the crashed node is never node 1, where the client's tools run).
    await driver3.crash_node(n2)
    await driver3.wait_until(
        node2.state, lambda s: s is NodeState.DOWN, f"{n2} down", failover=True
    )
    with fault(
        clusapi.HostNodeError,
        W.ERROR_HOST_NODE_NOT_AVAILABLE,
        f"node {n2!r} is DOWN and cannot host group 'g'",
        "choose a node that is up",
    ):
        await group.online(n2)
    with fault(
        clusapi.ClusterUnavailableError,
        W.ERROR_CLUSTER_NODE_DOWN,
        f"node {n2!r} is down",
        "a down node cannot be paused; start it again first",
    ):
        await node2.pause()
    assert await group.online(n1) is clusapi.GroupState.ONLINE
