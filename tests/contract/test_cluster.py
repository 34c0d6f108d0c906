"""Contract: the cluster, its nodes and its resource types."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import clusapi
from clusapi import NodeState, Win32Error as W
from tests.contract._driver import DUMMY, names, refused

if TYPE_CHECKING:
    from tests.contract._driver import Driver

pytestmark = pytest.mark.anyio


async def test_information_names_the_backend(driver: Driver) -> None:
    info = await driver.cluster.information()
    assert info.backend == driver.name == driver.cluster.backend_name
    assert info.name


async def test_nodes_are_listed_in_order_and_up(driver3: Driver) -> None:
    cluster = driver3.cluster
    nodes = await cluster.nodes()
    assert names(nodes) == list(driver3.node_names)
    assert len({n.id for n in nodes}) == len(nodes), "node ids are unique"
    for node in nodes:
        assert await node.state() is NodeState.UP
        opened = await cluster.open_node(node.name)
        assert (opened.id, opened.name) == (node.id, node.name)
        assert await node.groups() == []


async def test_unknown_node(cluster: clusapi.Cluster) -> None:
    with refused(clusapi.NodeNotFoundError, W.ERROR_CLUSTER_NODE_NOT_FOUND, "'nosuchnode'"):
        await cluster.open_node("nosuchnode")


async def test_resume_a_node_that_is_not_paused(cluster: clusapi.Cluster) -> None:
    node = (await cluster.nodes())[0]
    with refused(clusapi.InvalidStateError, W.ERROR_CLUSTER_NODE_NOT_PAUSED, repr(node.name)):
        await node.resume()
    assert await node.state() is NodeState.UP


async def test_the_dummy_agent_is_a_resource_type(cluster: clusapi.Cluster) -> None:
    assert DUMMY in names(await cluster.resource_types())
    rtype = await cluster.open_resource_type(DUMMY)
    assert rtype.name == DUMMY
    assert (await rtype.info()).name == DUMMY
    assert await rtype.resources() == []
    group = await cluster.create_group("g")
    res = await group.create_resource("r1", DUMMY)
    assert names(await rtype.resources()) == ["r1"]
    await res.delete()
    await group.delete()


async def test_unknown_resource_type(cluster: clusapi.Cluster) -> None:
    missing = "ocf:heartbeat:NoSuchAgent"
    with refused(
        clusapi.ResourceTypeNotFoundError, W.ERROR_CLUSTER_RESOURCE_TYPE_NOT_FOUND, repr(missing)
    ):
        await cluster.open_resource_type(missing)
    group = await cluster.create_group("g")
    with refused(
        clusapi.ResourceTypeNotFoundError, W.ERROR_CLUSTER_RESOURCE_TYPE_NOT_FOUND, repr(missing)
    ):
        await group.create_resource("r1", missing)
    assert await group.resources() == []
    assert await cluster.resources() == []
