"""Contract: what a backend does not support is refused with ERROR_NOT_SUPPORTED, changes
nothing, and says so; where it is supported, it works.

Each test is one row of the capability table in ``_driver.py`` (and of the mapping table in
``docs/``): on the reference runtime every row is supported; on Pacemaker these have no
counterpart (the cluster database and registry checkpoints, the quorum resource, control codes
a resource type defines itself, the failover threshold per period).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import clusapi
from clusapi import Win32Error as W
from clusapi.lowlevel import ControlObject, user_control_code
from tests.contract._driver import DUMMY, names, not_supported, refused

if TYPE_CHECKING:
    from tests.contract._driver import Driver

pytestmark = pytest.mark.anyio


async def one_resource(cluster: clusapi.Cluster) -> tuple[clusapi.Group, clusapi.Resource]:
    group = await cluster.create_group("g")
    return group, await group.create_resource("r1", DUMMY)


async def test_cluster_database(driver: Driver) -> None:
    cluster = driver.cluster
    group, _ = await one_resource(cluster)
    root = await cluster.root_key()
    if not driver.caps.cluster_database:
        with not_supported():
            await root.set_value("Contract", 1)
        with not_supported():
            await root.keys()
        with not_supported():
            await group.key()
        return
    await root.set_value("Contract", 1)
    assert await root.value("Contract") == 1
    key = await group.key()
    await key.set_value("Contract", "x")
    assert await key.value("Contract") == "x"


async def test_registry_checkpoints(driver: Driver) -> None:
    _, res = await one_resource(driver.cluster)
    path = "Software\\Contract"
    if not driver.caps.registry_checkpoints:
        with not_supported():
            await res.add_registry_checkpoint(path)
        with not_supported():
            await res.registry_checkpoints()
        return
    await res.add_registry_checkpoint(path)
    assert await res.registry_checkpoints() == [path]
    await res.delete_registry_checkpoint(path)
    assert await res.registry_checkpoints() == []


async def test_quorum_resource(driver: Driver) -> None:
    cluster = driver.cluster
    _, res = await one_resource(cluster)
    assert await cluster.quorum_resource() is None  # none is set (Pacemaker: none exists)
    if not driver.caps.quorum_resource:
        with not_supported():
            await cluster.set_quorum_resource(res)
        assert await cluster.quorum_resource() is None
        return
    # The Dummy agent cannot arbitrate: supported, and refused for this type.
    with refused(clusapi.QuorumError, W.ERROR_NOT_QUORUM_CAPABLE, "'r1'"):
        await cluster.set_quorum_resource(res)
    assert await cluster.quorum_resource() is None


async def test_user_control_codes(driver: Driver) -> None:
    group, res = await one_resource(driver.cluster)
    await group.online()
    code = user_control_code(1, ControlObject.RESOURCE)
    if not driver.caps.user_control_codes:
        with not_supported():
            await res.control(code)
    else:
        # Delivered to the resource, which defines no such code.
        with refused(clusapi.NotSupportedError, W.ERROR_INVALID_FUNCTION):
            await res.control(code)
    assert await res.state() is clusapi.ResourceState.ONLINE


async def test_failover_threshold(driver: Driver) -> None:
    group, _ = await one_resource(driver.cluster)
    before = (await group.common_properties()).to_dict()
    if not driver.caps.failover_threshold:
        with not_supported() as info:
            await group.set_common_properties(failover_threshold=2)
        assert "FailoverThreshold" in str(info.value) or "failover" in str(info.value).lower()
        assert (await group.common_properties()).to_dict() == before
        return
    await group.set_common_properties(failover_threshold=2)
    assert (await group.common_properties()).failover_threshold == 2


async def test_evict_a_node(driver3: Driver) -> None:
    node = (await driver3.cluster.nodes())[1]
    if not driver3.caps.evict_nodes:
        with not_supported():
            await node.evict()
    else:
        # Supported, and refused for a node that is up and not the last one.
        with refused(clusapi.InvalidStateError, W.ERROR_CANT_EVICT_ACTIVE_NODE, repr(node.name)):
            await node.evict()
    assert await node.state() is clusapi.NodeState.UP
    assert names(await driver3.cluster.nodes()) == list(driver3.node_names)


async def test_resource_type_common_properties(driver: Driver) -> None:
    rtype = await driver.cluster.open_resource_type(DUMMY)
    before = (await rtype.common_properties()).to_dict()
    if not driver.caps.resource_type_properties:
        with not_supported():
            await rtype.set_common_properties(description="changed")
        assert (await rtype.common_properties()).to_dict() == before
        return
    await rtype.set_common_properties(description="changed")
    assert (await rtype.common_properties()).description == "changed"


async def test_common_properties_without_a_counterpart(driver: Driver) -> None:
    """Group PersistentState; resource SeparateMonitor, RestartAction 1 (restart, never fail
    over) and RetryPeriodOnFailure: refused on Pacemaker when changed (the value it reads back
    stays settable), and nothing is written."""
    group, res = await one_resource(driver.cluster)
    group_before = await group.common_properties()
    res_before = await res.common_properties()
    retry = 7_200_000 if res_before.retry_period_on_failure != 7_200_000 else 10_800_000
    group_changes: dict[str, object] = {"persistent_state": not group_before.persistent_state}
    res_changes: list[dict[str, object]] = [
        {"separate_monitor": not res_before.separate_monitor},
        {"restart_action": int(clusapi.RestartAction.RESTART_NO_NOTIFY)},
        {"retry_period_on_failure": retry},
        # One change without a counterpart refuses the good ones given with it.
        {"description": "ok", "restart_action": int(clusapi.RestartAction.RESTART_NO_NOTIFY)},
    ]
    if not driver.caps.all_common_properties:
        with not_supported():
            await group.set_common_properties(**group_changes)
        for changes in res_changes:
            with not_supported():
                await res.set_common_properties(**changes)
        assert await group.common_properties() == group_before
        assert await res.common_properties() == res_before
        return
    await group.set_common_properties(**group_changes)
    assert (await group.common_properties()).persistent_state is not group_before.persistent_state
    for changes in res_changes:
        await res.set_common_properties(**changes)
    after = await res.common_properties()
    assert after.separate_monitor is not res_before.separate_monitor
    assert after.restart_action == clusapi.RestartAction.RESTART_NO_NOTIFY
    assert (after.retry_period_on_failure, after.description) == (retry, "ok")
