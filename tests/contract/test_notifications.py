"""Contract: notify ports get each object's change events, in the order they happened.

How many state events one transition makes is the backend's business (the reference runtime
reports Pending then Online; a poller may see only Online); what holds on every backend is that
an object's events come in order (added, then its state changes, then deleted), none is lost,
each carries one kind from the port's filter, and their times never go backwards.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import clusapi
from clusapi import ClusterChange as C
from tests.contract._driver import DUMMY, collect

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from tests.contract._driver import Driver

pytestmark = pytest.mark.anyio

Events = list[clusapi.Notification]


def of(events: Sequence[clusapi.Notification], name: str, kinds: C) -> list[C]:
    """The kinds of ``name``'s events whose kind is in ``kinds``, in order."""
    return [e.change for e in events if e.name == name and e.change & kinds]


def count(kind: C, name: str, n: int = 1) -> Callable[[Events], bool]:
    return lambda events: sum(e.change is kind and e.name == name for e in events) >= n


def check_object(events: Sequence[clusapi.Notification], name: str, object_id: str) -> None:
    """One object's events carry its id and never go back in time."""
    mine = [e for e in events if e.name == name]
    assert mine, f"no event for {name!r}"
    assert {e.object_id for e in mine} <= {object_id, None}, mine
    times = [e.time for e in mine]
    assert times == sorted(times), f"times of {name!r} go backwards: {mine}"


async def test_events_of_one_object_come_in_order(driver: Driver) -> None:
    cluster = driver.cluster
    resource_kinds = C.RESOURCE_ADDED | C.RESOURCE_STATE | C.RESOURCE_DELETED
    group_kinds = C.GROUP_ADDED | C.GROUP_STATE | C.GROUP_DELETED
    async with (
        cluster.notifications() as every,
        cluster.notifications(C.RESOURCE_STATE) as states,
        cluster.notifications(C.GROUP_ADDED | C.GROUP_DELETED) as lifecycle,
    ):
        events: Events = []
        group = await cluster.create_group("g")
        res = await group.create_resource("r1", DUMMY)
        await collect(driver, every, count(C.RESOURCE_ADDED, "r1"), "r1 added", events)

        await res.online()
        await collect(driver, every, count(C.RESOURCE_STATE, "r1"), "r1 state (online)", events)
        await collect(driver, every, count(C.GROUP_STATE, "g"), "g state (online)", events)
        seen = sum(e.change is C.RESOURCE_STATE for e in events)

        await res.offline()
        await collect(
            driver, every, count(C.RESOURCE_STATE, "r1", seen + 1), "r1 state (offline)", events
        )
        await res.delete()
        await group.delete()
        await collect(driver, every, count(C.GROUP_DELETED, "g"), "g deleted", events)

        r1 = of(events, "r1", resource_kinds)
        assert r1[0] is C.RESOURCE_ADDED, r1
        assert r1[-1] is C.RESOURCE_DELETED, r1
        assert set(r1[1:-1]) == {C.RESOURCE_STATE}, r1
        assert len(r1) >= 4, f"one state event at least for online and for offline: {r1}"
        g = of(events, "g", group_kinds)
        assert g[0] is C.GROUP_ADDED, g
        assert g[-1] is C.GROUP_DELETED, g
        assert set(g[1:-1]) == {C.GROUP_STATE}, g
        assert len(g) >= 4, g
        check_object(events, "r1", res.id)
        check_object(events, "g", group.id)
        assert all(e.change.bit_count() == 1 for e in events), events

        # The filtered ports saw the same changes of their kinds, in the same order.
        state_events = await collect(
            driver, states, lambda got: len(got) >= len(r1) - 2, "the RESOURCE_STATE port"
        )
        assert [(e.change, e.name) for e in state_events] == [
            (e.change, e.name) for e in events if e.change is C.RESOURCE_STATE
        ]
        life = await collect(driver, lifecycle, count(C.GROUP_DELETED, "g"), "the group port")
        assert [(e.change, e.name) for e in life] == [(C.GROUP_ADDED, "g"), (C.GROUP_DELETED, "g")]


async def test_resource_and_group_property_events(driver: Driver) -> None:
    cluster = driver.cluster
    group = await cluster.create_group("g")
    res = await group.create_resource("r1", DUMMY)
    async with cluster.notifications(C.RESOURCE_PROPERTY | C.GROUP_PROPERTY) as port:
        await res.set_common_properties(description="changed")
        await collect(driver, port, count(C.RESOURCE_PROPERTY, "r1"), "r1 property")
        await group.set_common_properties(description="changed")
        await collect(driver, port, count(C.GROUP_PROPERTY, "g"), "g property")


async def test_a_closed_port(driver: Driver) -> None:
    port = await driver.cluster.notifications(C.GROUP_ADDED)
    await port.aclose()
    await port.aclose()  # idempotent
    with pytest.raises(clusapi.HandleClosedError):
        await port.receive()
    await driver.cluster.create_group("g")  # nobody listens; nothing breaks
    assert [g.name for g in await driver.cluster.groups()] == ["g"]
