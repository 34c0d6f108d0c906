"""Contract: common and private properties (Pacemaker: meta attributes and instance
attributes, the latter checked against the agent's meta-data).

A change that is refused raises PropertyError (ERROR_INVALID_PARAMETER) naming the property,
and writes nothing, not even the good values given with the bad one.
"""

from __future__ import annotations

import pytest

import clusapi
from clusapi import Win32Error as W
from tests.contract._driver import DUMMY, refused

pytestmark = pytest.mark.anyio

PE = clusapi.PropertyError
INVALID = W.ERROR_INVALID_PARAMETER


async def one_resource(cluster: clusapi.Cluster) -> tuple[clusapi.Group, clusapi.Resource]:
    group = await cluster.create_group("g")
    return group, await group.create_resource("r1", DUMMY)


async def test_resource_common_properties(cluster: clusapi.Cluster) -> None:
    _, res = await one_resource(cluster)
    props = await res.common_properties()
    assert isinstance(props, clusapi.ResourceCommonProperties)

    update = await res.set_common_properties(description="the app")
    assert update.written == ("Description",)
    assert (await res.common_properties()).description == "the app"
    assert (await res.set_common_properties(description="the app")).written == ()

    await res.set_common_properties(restart_threshold=2)
    after = await res.common_properties()
    assert (after.description, after.restart_threshold) == ("the app", 2)


async def test_bad_resource_common_properties_change_nothing(cluster: clusapi.Cluster) -> None:
    _, res = await one_resource(cluster)
    await res.set_common_properties(description="before")
    before = (await res.common_properties()).to_dict()
    with refused(PE, INVALID, "'RestartAction'", "3"):
        await res.set_common_properties(restart_action=3)
    with refused(PE, INVALID, "'RestartThreshold'"):
        await res.set_common_properties(restart_threshold="2")
    with refused(PE, INVALID, "'bogus'"):
        await res.set_common_properties(bogus=1)
    with refused(PE, INVALID, "'RestartDelay'", "read-only"):
        await res.set_common_properties(restart_delay=100)
    with refused(PE, INVALID, "'RestartAction'"):
        await res.set_common_properties(description="after", restart_action=3)
    assert (await res.common_properties()).to_dict() == before


async def test_group_common_properties(cluster: clusapi.Cluster) -> None:
    group, _ = await one_resource(cluster)
    props = await group.common_properties()
    assert isinstance(props, clusapi.GroupCommonProperties)

    update = await group.set_common_properties(description="front end")
    assert update.written == ("Description",)
    await group.set_common_properties(auto_failback_type=1)
    after = await group.common_properties()
    assert (after.description, after.auto_failback_type) == ("front end", 1)

    before = after.to_dict()
    with refused(PE, INVALID, "'FailoverPeriod'", "2000"):
        await group.set_common_properties(failover_period=2000)
    with refused(PE, INVALID, "'AutoFailbackType'"):
        await group.set_common_properties(auto_failback_type=2)
    with refused(PE, INVALID, "'bogus'"):
        await group.set_common_properties(bogus=1)
    with refused(PE, INVALID, "'AutoFailbackType'"):
        await group.set_common_properties(description="changed", auto_failback_type=2)
    assert (await group.common_properties()).to_dict() == before


async def test_private_properties_come_from_the_agent(cluster: clusapi.Cluster) -> None:
    _, res = await one_resource(cluster)
    props = await res.private_properties()
    # The Dummy's meta-data: parameters "state" and "fake" (default "dummy").
    assert {"state", "fake"} <= set(props)
    assert props["fake"] == "dummy"

    update = await res.set_private_properties(fake="other")
    assert update.written == ("fake",)
    assert (await res.private_properties())["fake"] == "other"
    # The resource runs with it.
    assert await res.online() is clusapi.ResourceState.ONLINE
    assert (await res.private_properties())["fake"] == "other"


async def test_bad_private_properties_change_nothing(cluster: clusapi.Cluster) -> None:
    _, res = await one_resource(cluster)
    await res.set_private_properties(fake="before")
    before = dict(await res.private_properties())
    with refused(PE, INVALID, "'fake'"):
        await res.set_private_properties(fake=5)
    with refused(PE, INVALID, "'bogus'"):
        await res.set_private_properties(bogus="x")
    with refused(PE, INVALID, "'bogus'"):
        await res.set_private_properties(fake="after", bogus="x")
    assert dict(await res.private_properties()) == before
