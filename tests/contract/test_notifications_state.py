"""Contract: a change event says what changed, as of the change (issue 16, item 2).

A management app reads its events later than they happen; a query then (``state()``) answers
the current state, not the event's. So each *_STATE event carries the state it left the object
in and, for groups and resources, the node that owned the group then; each *_PROPERTY event
names the properties written. The tests read their events only after the object changed
again, and check the events still say what was true at their moment.

How many state events a transition makes is the backend's business (the reference runtime
reports every pending state; a poller may miss one): on every backend the states an object's
events carry are the transitions it went through, in order, none invented.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import clusapi
from clusapi import ClusterChange as C, GroupState, NodeState, ResourceState, Win32Error as W
from tests.contract._driver import DUMMY, collect, refused

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from tests.contract._driver import Driver

pytestmark = pytest.mark.anyio

Events = list[clusapi.Notification]

#: The states a resource passes through from offline to online and back, in order.
ROUND_TRIP = [
    ResourceState.ONLINE_PENDING,
    ResourceState.ONLINE,
    ResourceState.OFFLINE_PENDING,
    ResourceState.OFFLINE,
]


def carried(
    events: Sequence[clusapi.Notification], name: str, kind: C
) -> list[tuple[object, str | None]]:
    """(state, owner) of ``name``'s events of ``kind``, in order, a repeat of the one before
    left out (a poller may see a change it has no field for: a resource's operation history
    changes without its state or owner)."""
    pairs: list[tuple[object, str | None]] = []
    for e in events:
        if e.name == name and e.change is kind and (not pairs or pairs[-1] != (e.state, e.owner)):
            pairs.append((e.state, e.owner))
    return pairs


def is_subsequence(part: Sequence[object], whole: Sequence[object]) -> bool:
    rest = iter(whole)
    return all(any(x == y for y in rest) for x in part)


def state_is(
    kind: C, name: str, state: object, owner: str | None = None
) -> Callable[[Events], bool]:
    """Done once ``name`` has an event of ``kind`` carrying ``state`` (on ``owner``, if given)."""
    return lambda events: any(
        e.change is kind
        and e.name == name
        and e.state == state
        and (owner is None or e.owner == owner)
        for e in events
    )


def went_through(kind: C, name: str, *states: object) -> Callable[[Events], bool]:
    """Done once ``name``'s events of ``kind`` carried ``states``, in this order."""
    return lambda events: is_subsequence(
        states, [e.state for e in events if e.change is kind and e.name == name]
    )


async def test_state_events_carry_the_state_of_their_moment(driver: Driver) -> None:
    cluster = driver.cluster
    (node,) = driver.node_names
    group = await cluster.create_group("g")
    res = await group.create_resource("r1", DUMMY)
    async with cluster.notifications(C.RESOURCE_STATE | C.GROUP_STATE) as port:
        assert await res.online() is ResourceState.ONLINE
        assert await res.offline() is ResourceState.OFFLINE
        # Read only now, when r1 is offline again: the events still say what was then.
        online_offline = (ResourceState.ONLINE, ResourceState.OFFLINE)
        events = await collect(
            driver, port, went_through(C.RESOURCE_STATE, "r1", *online_offline), "r1 round trip"
        )
        back = went_through(C.GROUP_STATE, "g", GroupState.ONLINE, GroupState.OFFLINE)
        await collect(driver, port, back, "g round trip", events)
    assert await res.state() is ResourceState.OFFLINE

    r1 = [state for state, _ in carried(events, "r1", C.RESOURCE_STATE)]
    assert all(isinstance(s, ResourceState) for s in r1), events
    if driver.name == "reference":
        assert r1 == ROUND_TRIP, events
    # Every backend: the round trip in order, each state once, ONLINE and OFFLINE seen. A
    # poller may first report the state r1 was already in: an operation Pacemaker ran on its
    # own (a probe) changed what it compares, not the state.
    assert is_subsequence(r1, [ResourceState.OFFLINE, *ROUND_TRIP]), events
    assert {ResourceState.ONLINE, ResourceState.OFFLINE} <= set(r1), events
    # A resource's state events name the node its group was on; online, that is the node.
    online = [e for e in events if e.name == "r1" and e.state is ResourceState.ONLINE]
    assert [e.owner for e in online] == [node], events

    g = [e for e in events if e.name == "g" and e.change is C.GROUP_STATE]
    assert all(isinstance(e.state, GroupState) for e in g), events
    states = [e.state for e in g]
    assert is_subsequence([GroupState.ONLINE, GroupState.OFFLINE], states), events
    assert states[-1] is GroupState.OFFLINE, events
    assert {e.owner for e in g if e.state is GroupState.ONLINE} == {node}, events
    # The other kinds carry nothing of the sort.
    assert all(e.properties == () for e in events), events


async def test_a_move_carries_the_owner_of_each_moment(driver3: Driver) -> None:
    cluster = driver3.cluster
    n1, n2, n3 = driver3.node_names
    group = await cluster.create_group("g")
    await group.create_resource("r1", DUMMY)
    assert await group.online(n1) is GroupState.ONLINE
    async with cluster.notifications(C.GROUP_STATE | C.RESOURCE_STATE) as port:
        assert await group.move(n2) is GroupState.ONLINE
        assert await group.move(n3) is GroupState.ONLINE
        events = await collect(
            driver3, port, state_is(C.GROUP_STATE, "g", GroupState.ONLINE, n3), "g online on n3"
        )
        await collect(
            driver3,
            port,
            state_is(C.RESOURCE_STATE, "r1", ResourceState.ONLINE, n3),
            "r1 online on n3",
            events,
        )
    assert (await group.state_info()).owner == n3

    g = carried(events, "g", C.GROUP_STATE)
    # Online on n2, then on n3, and never online anywhere else in between.
    assert [owner for state, owner in g if state is GroupState.ONLINE] == [n2, n3], g
    r1 = carried(events, "r1", C.RESOURCE_STATE)
    assert [owner for state, owner in r1 if state is ResourceState.ONLINE] == [n2, n3], r1
    if driver3.name == "reference":
        # Every step: the group leaves n1 (pending, then offline there), the new owner is
        # named, and it comes online there.
        assert g[:4] == [
            (GroupState.PENDING, n1),
            (GroupState.OFFLINE, n1),
            (GroupState.OFFLINE, n2),
            (GroupState.PENDING, n2),
        ], g


async def test_node_state_events_carry_the_state_of_their_moment(driver: Driver) -> None:
    cluster = driver.cluster
    (name,) = driver.node_names
    node = await cluster.open_node(name)
    async with cluster.notifications(C.NODE_STATE) as port:
        await node.pause()
        await node.resume()
        assert await node.state() is NodeState.UP
        events = await collect(
            driver, port, went_through(C.NODE_STATE, name, NodeState.PAUSED, NodeState.UP), "up"
        )
    assert [e.state for e in events] == [NodeState.PAUSED, NodeState.UP], events
    assert all(e.owner is None and e.properties == () for e in events), events


async def property_event(
    driver: Driver, port: clusapi.NotifyPort, kind: C, name: str
) -> clusapi.Notification:
    """The next event of ``kind`` for ``name``; nothing else comes before it."""
    events = await collect(driver, port, lambda got: bool(got), f"{name} {kind.name}")
    (event,) = events
    assert (event.change, event.name) == (kind, name), events
    assert (event.state, event.owner) == (None, None), event
    return event


async def test_property_events_name_the_properties(driver: Driver) -> None:
    cluster = driver.cluster
    group = await cluster.create_group("g")
    res = await group.create_resource("r1", DUMMY)
    async with cluster.notifications(C.RESOURCE_PROPERTY | C.GROUP_PROPERTY) as port:
        await res.set_private_properties(fake="changed")
        event = await property_event(driver, port, C.RESOURCE_PROPERTY, "r1")
        assert event.properties == ("fake",), event
        await res.set_common_properties(description="d")
        event = await property_event(driver, port, C.RESOURCE_PROPERTY, "r1")
        assert event.properties == ("Description",), event
        await group.set_common_properties(description="d")
        event = await property_event(driver, port, C.GROUP_PROPERTY, "g")
        assert event.properties == ("Description",), event


async def test_a_resource_answers_its_type_name(driver: Driver) -> None:
    group = await driver.cluster.create_group("g")
    res = await group.create_resource("r1", DUMMY)
    assert await res.type_name() == DUMMY
    rtype = await driver.cluster.open_resource_type(await res.type_name())
    assert "r1" in [r.name for r in await rtype.resources()]
    await res.delete()
    with refused(clusapi.ObjectUnavailableError, W.ERROR_RESOURCE_NOT_AVAILABLE, "'r1'"):
        await res.type_name()
