"""Contract: a failure's reason is in the exception the caller gets (issue 16, item 3).

A failed online names the resource, the node and what the agent said, instead of pointing
at the cluster log; a node that crashed a moment ago is not called Up by the refusal; a
property error names the resource type, not the class of its property table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import clusapi
from clusapi import NodeState, Win32Error as W
from tests.contract._driver import DUMMY, refused

if TYPE_CHECKING:
    from tests.contract._driver import Driver

pytestmark = pytest.mark.anyio

#: A state file in a directory that does not exist: ocf:heartbeat:Dummy's start (``touch``)
#: then fails with OCF_ERR_GENERIC on both backends (the reference runtime runs the same
#: agent through resapi's OCF bridge).
_UNWRITABLE = "/nonexistent-clusapi-contract/r.state"


async def test_a_failed_online_names_the_resource_the_node_and_the_agents_code(
    driver: Driver,
) -> None:
    node = driver.node_names[0]
    group = await driver.cluster.create_group("g")
    res = await group.create_resource("r", DUMMY)
    await res.set_private_properties(state=_UNWRITABLE)
    with refused(
        clusapi.ResourceFailedError,
        W.ERROR_RESOURCE_FAILED,
        "group 'g' did not come online",
        "resource 'r'",
        repr(node),
        "OCF_ERR_GENERIC",
    ) as info:
        await group.online(node)
    assert "cluster log" not in str(info.value)
    # The reference runtime also says which entry point failed and what it printed.
    if driver.name == "reference":
        assert "Online raised" in str(info.value)
        assert "No such file or directory" in str(info.value)
    else:
        assert f"start on {node!r}" in str(info.value)


async def test_a_property_error_names_the_type_not_a_generated_class(driver: Driver) -> None:
    group = await driver.cluster.create_group("g")
    res = await group.create_resource("r", DUMMY)
    with refused(
        clusapi.PropertyError,
        W.ERROR_INVALID_PARAMETER,
        "resource 'r': property 'fake' of type 'ocf:heartbeat:Dummy'",
    ) as info:
        await res.set_private_properties(fake=5)
    assert "Properties" not in str(info.value)
    assert "ocf__" not in str(info.value)


async def test_a_node_that_just_crashed_is_not_called_up(driver3: Driver) -> None:
    cluster = driver3.cluster
    _, victim, _ = driver3.node_names
    group = await cluster.create_group("g")
    await group.create_resource("r", DUMMY)
    node = await cluster.open_node(victim)
    await driver3.crash_node(victim)
    if driver3.name == "pacemaker":
        # Pacemaker shows a killed node Down (or unclean) within about 2 s and never lists a
        # node online that it cannot run resources on; the window in which a crashed node
        # still reads Up is the reference runtime's NodeTimeout, hit at once there.
        await driver3.wait_until(
            node.state, lambda s: s is not NodeState.UP, f"{victim} not up", failover=True
        )
    state = await node.state()
    with refused(clusapi.HostNodeError, W.ERROR_HOST_NODE_NOT_AVAILABLE, repr(victim)) as info:
        await group.online(victim)
    message = str(info.value)
    assert "is UP" not in message
    if state is NodeState.UP:
        assert f"node {victim!r} cannot host group 'g': it stopped (crashed)" in message
    else:
        assert f"node {victim!r} is {state.name} and cannot host group 'g'" in message
