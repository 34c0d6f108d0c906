"""Notify ports on the reference runtime: one event per change, in order, filtered by kind.

Mirrors ``CreateClusterNotifyPort`` / ``GetClusterNotify`` (research clusapi.md §2.7): each event
carries exactly one ``CLUSTER_CHANGE_*`` bit and the object's name.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import anyio
import pytest

import clusapi
from clusapi import ClusterChange as C, Win32Error
from clusapi.testing import open_reference_cluster
from resapi.testing import HealthyResource

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from clusapi.testing import ReferenceEnvironment

pytestmark = [pytest.mark.asyncio, pytest.mark.virtual_time]

Event = tuple[C, str]


class Plain(HealthyResource):
    type_name = "Plain"


@contextlib.asynccontextmanager
async def plain_cluster(
    nodes: tuple[str, ...] = ("N1", "N2"),
) -> AsyncIterator[ReferenceEnvironment]:
    async with open_reference_cluster(nodes=nodes) as env:
        await env.cluster.create_resource_type(Plain)
        yield env


def drain(port: clusapi.NotifyPort) -> list[Event]:
    """Every event queued on the port now, as ``(change, name)``."""
    events: list[Event] = []
    while True:
        try:
            event = port.receive_nowait()
        except anyio.WouldBlock:
            return events
        events.append((event.change, event.name))


# ------------------------------------------------------------------ each kind of change


async def test_node_state_events() -> None:
    async with plain_cluster() as env, env.cluster.notifications(C.NODE_STATE) as port:
        n2 = await env.cluster.open_node("N2")
        await n2.pause()
        assert drain(port) == [(C.NODE_STATE, "N2")]
        await n2.pause()  # already paused: no change, no event
        assert drain(port) == []
        await n2.resume()
        assert drain(port) == [(C.NODE_STATE, "N2")]

        env.crash_node("N1")
        assert drain(port) == []  # nobody has noticed yet
        await env.advance(10)
        assert drain(port) == [(C.NODE_STATE, "N1")]  # Down
        await env.restart_node("N1")
        assert drain(port) == [(C.NODE_STATE, "N1")] * 2  # Joining, then Up
        await env.advance(60)
        assert drain(port) == []


async def test_group_added_deleted_property_and_state_events() -> None:
    async with (
        plain_cluster() as env,
        env.cluster.notifications(C.GROUP_ADDED) as added,
        env.cluster.notifications(C.GROUP_DELETED) as deleted,
        env.cluster.notifications(C.GROUP_PROPERTY) as prop,
        env.cluster.notifications(C.GROUP_STATE) as state,
    ):
        ports = (added, deleted, prop, state)

        def events() -> tuple[list[Event], ...]:
            return tuple(drain(p) for p in ports)

        group = await env.cluster.create_group("web")
        assert events() == ([(C.GROUP_ADDED, "web")], [], [], [])

        await group.set_common_properties(description="front end")
        assert events() == ([], [], [(C.GROUP_PROPERTY, "web")], [])
        await group.set_common_properties(description="front end")  # same value: no change
        assert events() == ([], [], [], [])
        await group.set_preferred_owners(["N1", "N2"])
        assert events() == ([], [], [(C.GROUP_PROPERTY, "web")], [])
        res = await group.create_resource("echo", "Plain")  # a resource joins the group
        assert events() == ([], [], [(C.GROUP_PROPERTY, "web")], [])

        # Pending, Online: its owner is N1 since its creation (the connection's node).
        await group.online()
        assert events() == ([], [], [], [(C.GROUP_STATE, "web")] * 2)
        await group.online()  # already online: nothing changes
        assert events() == ([], [], [], [])
        await group.offline()  # Pending, Offline
        assert events() == ([], [], [], [(C.GROUP_STATE, "web")] * 2)

        await group.rename("www")
        assert events() == ([], [], [(C.GROUP_PROPERTY, "www")], [])
        await res.delete()  # a resource leaves the group
        assert events() == ([], [], [(C.GROUP_PROPERTY, "www")], [])
        await group.delete()
        assert events() == ([], [(C.GROUP_DELETED, "www")], [], [])


async def test_resource_added_deleted_property_and_state_events() -> None:
    async with (
        plain_cluster() as env,
        env.cluster.notifications(C.RESOURCE_ADDED) as added,
        env.cluster.notifications(C.RESOURCE_DELETED) as deleted,
        env.cluster.notifications(C.RESOURCE_PROPERTY) as prop,
        env.cluster.notifications(C.RESOURCE_STATE) as state,
    ):
        ports = (added, deleted, prop, state)

        def events() -> tuple[list[Event], ...]:
            return tuple(drain(p) for p in ports)

        group = await env.cluster.create_group("g")
        disk = await group.create_resource("disk", "Plain")
        assert events() == ([(C.RESOURCE_ADDED, "disk")], [], [], [])
        share = await group.create_resource("share", "Plain")
        assert events() == ([(C.RESOURCE_ADDED, "share")], [], [], [])

        await disk.set_common_properties(restart_threshold=1)
        assert events() == ([], [], [(C.RESOURCE_PROPERTY, "disk")], [])
        await disk.set_common_properties(restart_threshold=1)  # same value: no change
        assert events() == ([], [], [], [])
        await share.add_dependency(disk)
        assert events() == ([], [], [(C.RESOURCE_PROPERTY, "share")], [])
        await disk.remove_possible_owner("N2")
        assert events() == ([], [], [(C.RESOURCE_PROPERTY, "disk")], [])
        await disk.rename("data")
        assert events() == ([], [], [(C.RESOURCE_PROPERTY, "data")], [])

        await disk.online()  # OnlinePending, Online
        assert events() == ([], [], [], [(C.RESOURCE_STATE, "data")] * 2)
        await share.online()
        assert events() == ([], [], [], [(C.RESOURCE_STATE, "share")] * 2)
        await disk.offline()  # dependents first: share goes down before data
        assert events() == (
            [],
            [],
            [],
            [(C.RESOURCE_STATE, "share")] * 2 + [(C.RESOURCE_STATE, "data")] * 2,
        )

        await share.delete()
        assert events() == ([], [(C.RESOURCE_DELETED, "share")], [], [])


async def test_resource_type_added_and_deleted_events() -> None:
    async with (
        open_reference_cluster(nodes=("N1",)) as env,
        env.cluster.notifications(C.RESOURCE_TYPE_ADDED) as added,
        env.cluster.notifications(C.RESOURCE_TYPE_DELETED) as deleted,
    ):
        rtype = await env.cluster.create_resource_type(Plain)
        assert (drain(added), drain(deleted)) == ([(C.RESOURCE_TYPE_ADDED, "Plain")], [])

        group = await env.cluster.create_group("g")
        res = await group.create_resource("r", "Plain")
        with pytest.raises(clusapi.ClusterError) as caught:
            await rtype.delete()  # in use: refused, and nothing changed
        assert caught.value.winerror == Win32Error.ERROR_DIR_NOT_EMPTY
        assert (drain(added), drain(deleted)) == ([], [])

        await res.delete()
        await rtype.delete()
        assert (drain(added), drain(deleted)) == ([], [(C.RESOURCE_TYPE_DELETED, "Plain")])


# ------------------------------------------------------------------ order and filters


async def test_events_arrive_in_order_one_per_change() -> None:
    async with open_reference_cluster(nodes=("N1", "N2")) as env:
        cluster = env.cluster
        async with cluster.notifications() as port:
            await env.advance(100)
            await cluster.create_resource_type(Plain)
            group = await cluster.create_group("g")
            res = await group.create_resource("r", "Plain")
            await group.set_common_properties(failover_threshold=2)
            await (await cluster.open_node("N2")).pause()
            await res.online()
            events = []
            while (event := _next(port)) is not None:
                events.append(event)

        assert [(e.change, e.name) for e in events] == [
            (C.RESOURCE_TYPE_ADDED, "Plain"),
            (C.GROUP_ADDED, "g"),
            (C.RESOURCE_ADDED, "r"),
            (C.GROUP_PROPERTY, "g"),  # r joined g
            (C.GROUP_PROPERTY, "g"),  # FailoverThreshold
            (C.NODE_STATE, "N2"),
            # No owner change: g is on N1, the connection's node, since its creation.
            (C.RESOURCE_STATE, "r"),  # OnlinePending
            (C.GROUP_STATE, "g"),  # Pending
            (C.RESOURCE_STATE, "r"),  # Online
            (C.GROUP_STATE, "g"),  # Online
        ]
        # Every event carries exactly one bit, the time of the change and the object's id.
        assert all(e.change.bit_count() == 1 for e in events)
        assert all(e.time == 100 for e in events)
        assert len({e.object_id for e in events if e.name == "g"}) == 1
        assert events[1].object_id == group.id
        assert events[2].object_id == res.id


def _next(port: clusapi.NotifyPort) -> clusapi.Notification | None:
    try:
        return port.receive_nowait()
    except anyio.WouldBlock:
        return None


async def test_a_filter_excludes_every_other_kind() -> None:
    async with (
        plain_cluster() as env,
        env.cluster.notifications(C.GROUP_ADDED | C.RESOURCE_DELETED) as port,
    ):
        group = await env.cluster.create_group("g")
        res = await group.create_resource("r", "Plain")
        await res.set_common_properties(description="x")
        await group.set_preferred_owners(["N2"])
        await group.online()
        await (await env.cluster.open_node("N1")).pause()
        await group.offline()
        await res.delete()
        await env.cluster.create_group("h")
        env.crash_node("N2")
        await env.advance(10)
        assert drain(port) == [
            (C.GROUP_ADDED, "g"),
            (C.RESOURCE_DELETED, "r"),
            (C.GROUP_ADDED, "h"),
        ]


async def test_every_port_gets_each_matching_event() -> None:
    async with (
        plain_cluster() as env,
        env.cluster.notifications(C.GROUP_ADDED) as first,
        env.cluster.notifications(C.GROUP_ADDED | C.GROUP_DELETED) as second,
    ):
        group = await env.cluster.create_group("g")
        await group.delete()
        assert drain(first) == [(C.GROUP_ADDED, "g")]
        assert drain(second) == [(C.GROUP_ADDED, "g"), (C.GROUP_DELETED, "g")]

        await first.aclose()  # a closed port does not disturb the others
        await env.cluster.create_group("h")
        assert drain(second) == [(C.GROUP_ADDED, "h")]


async def test_an_invalid_filter_is_refused() -> None:
    async with plain_cluster() as env:
        with pytest.raises(clusapi.InvalidParameterError):
            env.cluster.notifications("GROUP_STATE")  # type: ignore[arg-type]


# ------------------------------------------------------------------ receiving


async def test_receive_nowait_raises_would_block_when_empty() -> None:
    async with plain_cluster() as env, env.cluster.notifications() as port:
        with pytest.raises(anyio.WouldBlock):
            port.receive_nowait()
        await env.cluster.create_group("g")
        assert port.statistics().buffered == 1
        assert (port.receive_nowait().change, port.statistics().received) == (C.GROUP_ADDED, 1)
        with pytest.raises(anyio.WouldBlock):
            port.receive_nowait()


async def test_receive_within_times_out_with_wait_timeout() -> None:
    async with plain_cluster() as env, env.cluster.notifications(C.GROUP_ADDED) as port:
        start = anyio.current_time()
        with pytest.raises(clusapi.ClusterTimeoutError) as caught:
            await port.receive_within(5)
        assert caught.value.winerror == Win32Error.WAIT_TIMEOUT
        assert isinstance(caught.value, TimeoutError)
        assert anyio.current_time() - start == pytest.approx(5)

        await env.cluster.create_group("g")
        t_queued = anyio.current_time()
        event = await port.receive_within(5)  # one is queued: no waiting
        assert (event.change, event.name) == (C.GROUP_ADDED, "g")
        assert anyio.current_time() == t_queued


@pytest.mark.parametrize(
    "seconds", [None, "1", float("nan"), -1, -0.5, float("-inf"), True, [1]], ids=repr
)
async def test_receive_within_refuses_a_wait_that_is_not_a_number_of_seconds(
    seconds: object,
) -> None:
    # Issue 13 (low): None waited forever, "1" raised a TypeError, NaN never timed out.
    # GetClusterNotify's timeout is an unsigned count of milliseconds: no negative wait.
    async with plain_cluster() as env, env.cluster.notifications(C.GROUP_ADDED) as port:
        start = anyio.current_time()
        with anyio.fail_after(3600):  # virtual time: the old code would block here forever
            with pytest.raises(clusapi.ClusterError) as caught:
                await port.receive_within(seconds)  # type: ignore[arg-type]
        assert type(caught.value) is clusapi.InvalidParameterError
        assert caught.value.winerror == Win32Error.ERROR_INVALID_PARAMETER
        assert repr(seconds) in str(caught.value)
        assert "math.inf" in str(caught.value)  # says what to pass instead
        assert anyio.current_time() == start  # refused at once, no waiting
        await env.cluster.create_group("g")  # the port still works
        assert (await port.receive_within(0)).name == "g"


async def test_receive_within_zero_takes_only_a_queued_event_and_inf_waits() -> None:
    async with plain_cluster() as env, env.cluster.notifications(C.GROUP_ADDED) as port:
        start = anyio.current_time()
        with pytest.raises(clusapi.ClusterTimeoutError):
            await port.receive_within(0)
        assert anyio.current_time() == start

        async def create_later() -> None:
            await anyio.sleep(10_000)
            await env.cluster.create_group("late")

        # math.inf is INFINITE: as long as it takes, as receive() waits.
        async with anyio.create_task_group() as tg:
            tg.start_soon(create_later)
            event = await port.receive_within(float("inf"))
        assert event.name == "late"
        assert anyio.current_time() == pytest.approx(start + 10_000)


@pytest.mark.parametrize(
    ("change_filter", "subtree"),
    [([1], False), (None, False), ("REGISTRY_VALUE", False), (0, False), (C.REGISTRY_VALUE, 1)],
    ids=["list", "None", "str", "zero", "subtree-int"],
)
async def test_a_key_refuses_a_bad_notification_filter(
    change_filter: object, subtree: object
) -> None:
    # Issue 13 (low): key.notifications([1]) raised a TypeError from the handle.
    async with plain_cluster() as env:
        root = await env.cluster.root_key()
        with pytest.raises(clusapi.ClusterError) as caught:
            root.notifications(change_filter, subtree=subtree)  # type: ignore[arg-type]
        assert type(caught.value) is clusapi.InvalidParameterError
        assert caught.value.winerror == Win32Error.ERROR_INVALID_PARAMETER
        assert caught.value.fix
        async with root.notifications(C.REGISTRY_VALUE) as port:  # a good one still opens
            await root.set_value("V", 1)
            assert (await port.receive_within(0)).change is C.REGISTRY_VALUE


async def test_receive_waits_for_the_next_change() -> None:
    async with plain_cluster() as env, env.cluster.notifications(C.GROUP_ADDED) as port:
        start = anyio.current_time()

        async def create_later() -> None:
            await anyio.sleep(30)
            await env.cluster.create_group("late")

        async with anyio.create_task_group() as tg:
            tg.start_soon(create_later)
            event = await port.receive()
        assert (event.change, event.name) == (C.GROUP_ADDED, "late")
        assert event.time == pytest.approx(start + 30)
        assert anyio.current_time() == pytest.approx(start + 30)


async def test_a_closed_port_raises_handle_closed() -> None:
    async with plain_cluster() as env:
        port = await env.cluster.notifications()
        await env.cluster.create_group("g")  # queued, but the port is closed before reading
        await port.aclose()
        await port.aclose()  # idempotent
        with pytest.raises(clusapi.HandleClosedError) as caught:
            await port.receive()
        assert caught.value.winerror == Win32Error.ERROR_INVALID_HANDLE
        with pytest.raises(clusapi.HandleClosedError):
            port.receive_nowait()
        with pytest.raises(clusapi.HandleClosedError):
            await port.receive_within(1)
        await env.cluster.create_group("h")  # the cluster carries on


async def test_the_context_manager_closes_the_port() -> None:
    async with plain_cluster() as env:
        async with env.cluster.notifications() as port:
            pass
        with pytest.raises(clusapi.HandleClosedError):
            port.receive_nowait()


async def test_async_for_yields_events_in_order() -> None:
    async with plain_cluster() as env, env.cluster.notifications(C.GROUP_ADDED) as port:
        for name in ("a", "b", "c", "d"):
            await env.cluster.create_group(name)
        seen = []
        async for event in port:
            seen.append(event.name)
            if len(seen) == 3:
                break
        assert seen == ["a", "b", "c"]
        assert drain(port) == [(C.GROUP_ADDED, "d")]


async def test_async_for_ends_when_the_cluster_closes() -> None:
    async with plain_cluster() as env:
        port = await env.cluster.notifications(C.GROUP_ADDED)
        await env.cluster.create_group("a")
        await env.cluster.create_group("b")
        await env.cluster.aclose()
        seen = [event.name async for event in port]  # the queued ones, then the end
        assert seen == ["a", "b"]
        await port.aclose()
