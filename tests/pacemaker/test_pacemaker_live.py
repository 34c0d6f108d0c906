"""The Pacemaker backend on a real cluster: states, waits, moves, failures, notifications.

Each test gets a cluster started by the lab fixtures of ``tests/conftest.py`` (network
namespaces on this machine; one node, or three for moves and crashes), reset to an empty
configuration, and drives it through ``clusapi`` only; what it checks independently it reads
with Pacemaker's own tools inside a node (``lab.run(i, ["crm_mon", ...])``). Real time: these
tests take seconds, not milliseconds.
"""

from __future__ import annotations

import statistics
import threading
import time
import xml.etree.ElementTree as ET
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, TypeVar

import anyio
import pytest

import clusapi
from clusapi import ClusterChange, GroupState, NodeState, ResourceState
from clusapi.pacemaker import PacemakerBackend

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    from clusapi.testing import PacemakerLab

pytestmark = pytest.mark.pacemaker
T = TypeVar("T")

DUMMY = "ocf:pacemaker:Dummy"  # has op_sleep, to make an action take time


@asynccontextmanager
async def connect(
    lab: PacemakerLab, node: int = 1, **options: object
) -> AsyncIterator[clusapi.Cluster]:
    backend = PacemakerBackend(
        command_prefix=lab.command_prefix(node),
        ocf_root=lab.ocf_root,
        **options,  # type: ignore[arg-type]
    )
    async with await clusapi.open_cluster(backend=backend) as cluster:
        yield cluster


async def eventually(
    get: Callable[[], Awaitable[T]], done: Callable[[T], bool], seconds: float = 15.0
) -> T:
    """Poll ``get()`` until ``done`` accepts its value (a real cluster takes real time)."""
    deadline = time.monotonic() + seconds
    while True:
        value = await get()
        if done(value):
            return value
        assert time.monotonic() < deadline, f"still {value!r} after {seconds} s"
        await anyio.sleep(0.1)


def constraint_ids(lab: PacemakerLab, node: int = 1) -> list[str]:
    out = lab.run(node, ["cibadmin", "--query", "--scope", "constraints"]).stdout
    return [c.get("id", "") for c in ET.fromstring(out)]


def crm_mon_role(lab: PacemakerLab, resource: str, node: int = 1) -> tuple[str, list[str]]:
    """(role, nodes) of a resource as crm_mon shows it."""
    for res in lab.status(node).iter("resource"):
        if res.get("id") == resource:
            return res.get("role", ""), [n.get("name", "") for n in res.iterfind("node")]
    raise AssertionError(f"crm_mon does not list {resource!r}")


@pytest.mark.asyncio
async def test_open_and_read_a_live_cluster(pacemaker_lab: PacemakerLab) -> None:
    async with connect(pacemaker_lab) as cluster:
        info = await cluster.information()
        assert (info.backend, info.vendor_id) == ("pacemaker", "Pacemaker")
        name = pacemaker_lab.run(
            1, ["crm_attribute", "--type", "crm_config", "--name", "cluster-name", "--query",
                "--quiet"],
        ).stdout.strip()  # fmt: skip
        assert info.name == name
        (node,) = await cluster.nodes()
        assert (node.name, await node.state()) == ("node1", NodeState.UP)
        assert await cluster.groups() == []


@pytest.mark.asyncio
async def test_states_and_waits_online_and_offline(pacemaker_lab: PacemakerLab) -> None:
    lab = pacemaker_lab
    async with connect(lab) as cluster:
        group = await cluster.create_group("web")
        first = await group.create_resource("ip", DUMMY)
        slow = await group.create_resource("app", DUMMY)
        await slow.set_private_properties(op_sleep="1")  # every action takes 1 s
        assert await group.state() is GroupState.OFFLINE
        assert crm_mon_role(lab, "app") == ("Stopped", [])

        # wait=False returns at once, while the start is still under way (a second online
        # now is refused, as MSCS refuses one for a pending group)...
        assert await group.online(wait=False) is GroupState.PENDING
        assert await slow.state() is ResourceState.ONLINE_PENDING
        with pytest.raises(clusapi.InvalidStateError):
            await group.online()
        await eventually(lambda: group.state(), lambda s: s is not GroupState.PENDING)
        assert await group.state() is GroupState.ONLINE
        assert crm_mon_role(lab, "app") == ("Started", ["node1"])
        await group.offline()
        # ...and a wait returns when crm_mon agrees that everything runs.
        started = time.monotonic()
        assert await group.online() is GroupState.ONLINE
        assert 0.9 < time.monotonic() - started < 10  # it waited for the 1 s start
        assert crm_mon_role(lab, "app") == ("Started", ["node1"])
        assert await group.state_info() == clusapi.GroupStateInfo(GroupState.ONLINE, "node1")
        assert await first.state() is ResourceState.ONLINE

        started = time.monotonic()
        assert await group.offline() is GroupState.OFFLINE
        assert time.monotonic() - started >= 0.9  # it waited for the 1 s stop
        assert crm_mon_role(lab, "app") == ("Stopped", [])
        assert await slow.state() is ResourceState.OFFLINE

        # A single resource: its group's members before it come with it.
        assert await slow.online() is ResourceState.ONLINE
        assert await first.state() is ResourceState.ONLINE
        assert await first.offline() is ResourceState.OFFLINE
        assert await slow.state() is ResourceState.OFFLINE
        await first.delete()
        await slow.delete()
        await group.delete()
        assert await cluster.groups() == []


@pytest.mark.asyncio
async def test_a_failed_start_is_reported_and_an_online_retries(pacemaker_lab: PacemakerLab):
    async with connect(pacemaker_lab, wait_timeout=30) as cluster:
        group = await cluster.create_group("web")
        res = await group.create_resource("ip", DUMMY)
        await res.set_private_properties(fail_start_on="node1")
        with pytest.raises(clusapi.ResourceFailedError, match="'ip' failed"):
            await group.online()
        assert await res.state() is ResourceState.FAILED
        assert await group.state() is GroupState.FAILED
        await res.set_private_properties(fail_start_on="")
        # Pacemaker's own clean-up stop after the failed start:
        await eventually(lambda: group.state(), lambda s: s is not GroupState.PENDING)
        assert await group.online() is GroupState.ONLINE  # cleans the failure up first
        await group.offline()


@pytest.mark.asyncio
async def test_fail_resource_restarts_it_in_place(pacemaker_lab: PacemakerLab) -> None:
    async with connect(pacemaker_lab) as cluster:
        group = await cluster.create_group("web")
        res = await group.create_resource("ip", DUMMY)
        await group.online()
        await res.fail()  # crm_resource --fail: Pacemaker restarts it (threshold 3)

        async def counted_and_state() -> tuple[list[int], ResourceState]:
            counts = [
                int(h.get("fail-count", "0"))
                for h in pacemaker_lab.status().iter("resource_history")
                if h.get("id") == "ip"
            ]
            return counts, await res.state()

        await eventually(
            counted_and_state,
            lambda v: bool(v[0]) and v[0][0] >= 1 and v[1] is ResourceState.ONLINE,
        )
        assert (await group.state_info()).owner == "node1"
        await group.offline()


@pytest.mark.asyncio
async def test_move_always_clears_its_constraint(pacemaker_lab3: PacemakerLab) -> None:
    lab = pacemaker_lab3
    async with connect(lab) as cluster:
        group = await cluster.create_group("web")
        await group.create_resource("ip", DUMMY)
        await group.create_resource("app", DUMMY)
        await group.online("node1")
        assert constraint_ids(lab) == []
        assert await group.move("node2") is GroupState.ONLINE
        assert (await group.state_info()).owner == "node2"
        assert crm_mon_role(lab, "app")[1] == ["node2"]
        assert constraint_ids(lab) == []
        assert await group.move() is GroupState.ONLINE  # the best other node
        assert (await group.state_info()).owner in ("node1", "node3")
        assert constraint_ids(lab) == []
        # wait=False: the move goes on, and the constraint is cleared once it arrived.
        target = "node2"
        assert await group.move(target, wait=False) is not GroupState.OFFLINE
        arrived = clusapi.GroupStateInfo(GroupState.ONLINE, target)
        await eventually(group.state_info, lambda info: info == arrived)
        await group.state()  # one more look: the backend clears the finished move's constraint
        assert constraint_ids(lab) == []
        # A failed move says so, and clears the constraint too.
        await (await cluster.open_resource("app")).set_private_properties(fail_start_on="node3")
        with pytest.raises(clusapi.ResourceFailedError, match="constraint was removed"):
            await group.move("node3")
        assert constraint_ids(lab) == []
        info = await group.state_info()
        assert info.owner != "node3"
        await group.offline()


@pytest.mark.asyncio
async def test_pause_moves_groups_away_and_a_crash_fails_over(pacemaker_lab3: PacemakerLab):
    lab = pacemaker_lab3
    async with connect(lab, node=3) as cluster:  # the observer survives the crash below
        group = await cluster.create_group("web")
        await group.create_resource("ip", DUMMY)
        await group.online("node1")
        node1 = await cluster.open_node("node1")
        await node1.pause()
        assert await node1.state() is NodeState.PAUSED
        await eventually(group.state_info, lambda info: info.owner not in ("node1", None))
        await node1.resume()
        owner = (await group.state_info()).owner
        assert owner in ("node2", "node3")
        crashed = int(owner[-1])
        async with cluster.notifications(
            ClusterChange.NODE_STATE | ClusterChange.GROUP_STATE
        ) as port:
            lab.kill9(crashed)
            seen: set[tuple[ClusterChange, str]] = set()
            deadline = time.monotonic() + 30
            while True:
                event = await port.receive_within(max(0.1, deadline - time.monotonic()))
                seen.add((event.change, event.name))
                info = await group.state_info()
                if (
                    (ClusterChange.NODE_STATE, owner) in seen
                    and info.state is GroupState.ONLINE
                    and info.owner != owner
                ):
                    break
            while port.statistics().buffered:  # what the last look queued
                event = port.receive_nowait()
                seen.add((event.change, event.name))
        assert await (await cluster.open_node(owner)).state() is NodeState.DOWN
        assert (ClusterChange.GROUP_STATE, "web") in seen


async def notification_delay(
    lab: PacemakerLab,
    port: clusapi.NotifyPort,
    change: Callable[[], Awaitable[object]],
    role: str,
) -> float:
    """Seconds from crm_mon first showing resource 'ip' in ``role`` (an independent observer
    polling every 10 ms) to the port delivering the event for it. Nothing else looks at the
    cluster meanwhile, so only the port's own polling finds the change."""
    seen: list[tuple[float, float]] = []  # (monotonic, wall clock)
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            if crm_mon_role(lab, "ip")[0] == role:
                seen.append((time.monotonic(), time.time()))
                return
            time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    last: float | None = None
    try:
        await change()
        while True:
            try:
                event = await port.receive_within(1.5)
            except clusapi.ClusterTimeoutError:
                break  # no more events: the last one was it
            if event.name != "ip":
                continue
            last = time.monotonic()
            # The event of the snapshot that saw the new role (event.time is when the
            # snapshot was taken, on the wall clock).
            if seen and event.time >= seen[0][1] - 0.05:
                break
    finally:
        done.set()
        watcher.join()
    assert seen, f"crm_mon never showed 'ip' {role}"
    assert last is not None, "no event arrived"
    return max(0.0, last - seen[0][0])


@pytest.mark.asyncio
async def test_notifications_arrive_within_the_poll_interval(pacemaker_lab: PacemakerLab):
    lab = pacemaker_lab
    async with connect(lab, poll_interval=0.5) as cluster:
        group = await cluster.create_group("web")
        res = await group.create_resource("ip", DUMMY)
        delays: list[float] = []
        async with cluster.notifications(ClusterChange.RESOURCE_STATE) as port:
            for _ in range(4):
                delays.append(
                    await notification_delay(lab, port, lambda: res.online(wait=False), "Started")
                )
                delays.append(
                    await notification_delay(lab, port, lambda: res.offline(wait=False), "Stopped")
                )
        median = statistics.median(delays)
        print(
            f"\nnotification delay after crm_mon shows a change (poll_interval 0.5 s): "
            f"median {median * 1000:.0f} ms, max {max(delays) * 1000:.0f} ms over {len(delays)}"
        )
        assert max(delays) < 0.5 + 1.0  # the poll interval, plus a snapshot, plus slack


@pytest.mark.asyncio
async def test_a_resapi_type_runs_through_the_ocf_bridge(pacemaker_lab: PacemakerLab) -> None:
    from examples.echo_server import EchoServer

    lab = pacemaker_lab
    async with connect(lab) as cluster:
        rtype = await cluster.create_resource_type(EchoServer)
        assert rtype.name == "ocf:resapi:echo-server"
        info = await rtype.info()
        assert info.implementation == "examples.echo_server:EchoServer"
        assert (lab.ocf_root / "resource.d" / "resapi" / "echo-server").exists()
        assert (await cluster.open_resource_type("Echo Server")).name == rtype.name
        group = await cluster.create_group("echo")
        res = await group.create_resource("echo1", "Echo Server")
        await res.set_private_properties(port=7100)
        assert (await res.private_properties())["port"] == 7100
        assert await group.online() is GroupState.ONLINE
        reply = lab.run(1, [
            "python3", "-c",
            "import socket; s = socket.create_connection(('127.0.0.1', 7100), 5); "
            "print(s.recv(100).decode().strip())",
        ]).stdout  # fmt: skip
        assert reply.strip() == "hello"  # the Echo Server's banner
        await group.offline()
        await res.delete()
        await rtype.delete()
        assert not (lab.ocf_root / "resource.d" / "resapi" / "echo-server").exists()


@pytest.mark.asyncio
async def test_a_port_reports_the_cluster_going_away(pacemaker_lab: PacemakerLab) -> None:
    async with (
        connect(pacemaker_lab, poll_interval=0.2) as cluster,
        cluster.notifications(ClusterChange.CLUSTER_STATE) as port,
    ):
        pacemaker_lab.kill9(1)  # the node this backend talks through
        event = await port.receive_within(10)
        assert event.change is ClusterChange.CLUSTER_STATE
        with pytest.raises(clusapi.ClusterUnavailableError):
            await cluster.groups()


# -- mapping rows only a live cluster shows (which test covers which row:
#    tests/pacemaker/test_pacemaker_mapping.py) ------------------------------------------------


@pytest.mark.asyncio
async def test_the_version_is_the_dcs(pacemaker_lab: PacemakerLab) -> None:
    dc_version = pacemaker_lab.run(
        1, ["crm_attribute", "--type", "crm_config", "--name", "dc-version", "--query", "--quiet"]
    ).stdout.strip()
    async with connect(pacemaker_lab) as cluster:
        info = await cluster.information()
    assert info.csd_version == dc_version  # e.g. "2.1.5-2.1.5-1+deb12u1-a3f44794f94"
    assert dc_version.startswith(f"{info.major_version}.{info.minor_version}.{info.build_number}")


@pytest.mark.asyncio
async def test_a_move_not_waited_for_has_a_lifetime_and_aclose_clears_it(
    pacemaker_lab3: PacemakerLab,
) -> None:
    from datetime import UTC, datetime

    lab = pacemaker_lab3
    wait_timeout = 30
    async with connect(lab, wait_timeout=wait_timeout) as cluster:
        group = await cluster.create_group("web")
        res = await group.create_resource("ip", DUMMY)
        await res.set_private_properties(op_sleep="1")  # the move takes 2 s: stop, then start
        await group.online("node1")
        assert await group.move("node2", wait=False) is not GroupState.OFFLINE
        # Under way: crm_resource's constraint, with a lifetime that makes it inert even if
        # this process dies before clearing it.
        out = lab.run(1, ["cibadmin", "--query", "--scope", "constraints"]).stdout
        (constraint,) = ET.fromstring(out)
        assert constraint.get("id") == "cli-prefer-web"
        expression = constraint.find("rule/date_expression")
        assert expression is not None
        assert expression.get("operation") == "lt"
        left = datetime.fromisoformat(expression.get("end", "")) - datetime.now(UTC)
        assert wait_timeout + 60 - 5 < left.total_seconds() <= wait_timeout + 60
        # Closing the cluster before the move ended removes it.
        await cluster.aclose()
        assert constraint_ids(lab) == []
