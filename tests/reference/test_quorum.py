"""Quorum: the quorum resource's rules, Arbitrate/Release as membership changes, and no split
brain when the interconnect is cut (every online and offline recorded as the resources see
them)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import anyio
import attrs
import pytest

import clusapi
import resapi
from clusapi import GroupState, NodeState, ResourceClass, Win32Error
from clusapi.testing import open_reference_cluster

if TYPE_CHECKING:
    from collections.abc import Callable

pytestmark = [pytest.mark.asyncio, pytest.mark.virtual_time]


@attrs.define
class Timeline:
    """What the resources saw, in order: (time, node, resource, event)."""

    events: list[tuple[float, str, str, str]] = attrs.field(factory=list)

    def add(self, node: str, resource: str, event: str) -> None:
        self.events.append((anyio.current_time(), node, resource, event))

    def of(self, event: str) -> list[tuple[str, str]]:
        return [(n, r) for _, n, r, e in self.events if e == event]

    def assert_never_online_twice(self) -> None:
        """Replay the timeline: at no moment is one resource up on two nodes."""
        up: dict[str, set[str]] = {}
        for _, node, resource, event in self.events:
            where = up.setdefault(resource, set())
            if event == "online":
                where.add(node)
                assert len(where) == 1, f"{resource} online on {sorted(where)} at once"
            elif event in ("offline", "terminate"):
                where.discard(node)


TIMELINE = Timeline()


class Service(resapi.Resource):
    """An ordinary resource that records what it is told, on which node."""

    type_name = "Service"

    def __init__(self, context: resapi.ResourceContext) -> None:
        super().__init__(context)
        self.up = False

    async def online(self) -> None:
        self.up = True
        TIMELINE.add(self.node_name, self.name, "online")

    async def offline(self) -> None:
        self.up = False
        TIMELINE.add(self.node_name, self.name, "offline")

    async def terminate(self) -> None:
        if self.up:
            TIMELINE.add(self.node_name, self.name, "terminate")
        self.up = False

    async def looks_alive(self) -> bool:
        return self.up

    async def is_alive(self) -> bool:
        return self.up


class Disk(Service):
    """A quorum-capable storage resource: a shared device that one node at a time reserves."""

    type_name = "Sim Disk"
    resource_class = ResourceClass.STORAGE
    holder: ClassVar[str | None] = None
    refuse: ClassVar[set[str]] = set()
    lost_callbacks: ClassVar[dict[str, Callable[[], None]]] = {}

    async def arbitrate(self, lost: Callable[[], None]) -> None:
        TIMELINE.add(self.node_name, self.name, "arbitrate")
        if self.node_name in Disk.refuse:
            raise OSError("reservation conflict")
        Disk.holder = self.node_name
        Disk.lost_callbacks[self.node_name] = lost

    async def release(self) -> None:
        TIMELINE.add(self.node_name, self.name, "release")
        if Disk.holder == self.node_name:
            Disk.holder = None


class NotStorage(Disk):
    type_name = "Not Storage"
    resource_class = ResourceClass.UNKNOWN


@pytest.fixture(autouse=True)
def fresh_timeline() -> None:
    TIMELINE.events.clear()
    Disk.holder = None
    Disk.refuse = set()
    Disk.lost_callbacks = {}


async def setup_cluster(env, *, quorum: bool = True, groups: int = 2):
    cluster = env.cluster
    await cluster.create_resource_type(Service)
    await cluster.create_resource_type(Disk)
    disk = None
    if quorum:
        core = await cluster.create_group("Cluster Group")
        disk = await core.create_resource("Quorum Disk", "Sim Disk")
        await core.online()
        await cluster.set_quorum_resource(disk)
    nodes = [n.name for n in await cluster.nodes()]
    apps = []
    for i in range(groups):
        group = await cluster.create_group(f"app{i}")
        await group.create_resource(f"svc{i}", "Service")
        await group.set_preferred_owners([nodes[i % len(nodes)]])
        await group.online()
        apps.append(group)
    return disk, apps


async def owners(groups) -> list[str | None]:
    return [(await g.state_info()).owner for g in groups]


# -- the quorum resource's rules -------------------------------------------------------------


async def test_only_a_quorum_capable_storage_resource_can_be_the_quorum():
    async with open_reference_cluster(nodes=("N1", "N2")) as env:
        cluster = env.cluster
        for cls in (Service, Disk, NotStorage):
            await cluster.create_resource_type(cls)
        group = await cluster.create_group("core")
        plain = await group.create_resource("plain", "Service")
        not_storage = await group.create_resource("ns", "Not Storage")
        disk = await group.create_resource("disk", "Sim Disk")
        cases = [
            (plain, Win32Error.ERROR_NOT_QUORUM_CAPABLE),
            (not_storage, Win32Error.ERROR_NOT_QUORUM_CLASS),
        ]
        for res, code in cases:
            with pytest.raises(clusapi.QuorumError) as info:
                await cluster.set_quorum_resource(res)
            assert info.value.winerror == code
            assert repr(res.name) in str(info.value)
            assert await cluster.quorum_resource() is None
        await disk.add_dependency(plain)
        with pytest.raises(clusapi.QuorumError) as info:
            await cluster.set_quorum_resource(disk)
        assert info.value.winerror == Win32Error.ERROR_DEPENDENCY_NOT_ALLOWED
        await disk.remove_dependency(plain)
        await cluster.set_quorum_resource(disk)
        quorum = await cluster.quorum_resource()
        assert quorum is not None
        assert quorum.name == "disk"


async def test_the_quorum_resource_cannot_be_deleted_offlined_or_given_dependencies():
    async with open_reference_cluster(nodes=("N1", "N2")) as env:
        disk, _ = await setup_cluster(env, groups=0)
        assert disk is not None
        core = await env.cluster.open_group("Cluster Group")
        other = await core.create_resource("helper", "Service")
        attempts = [
            (disk.delete(), Win32Error.ERROR_QUORUM_RESOURCE),
            (disk.offline(), Win32Error.ERROR_INVALID_OPERATION_ON_QUORUM),
            (core.offline(), Win32Error.ERROR_INVALID_OPERATION_ON_QUORUM),
            (disk.add_dependency(other), Win32Error.ERROR_DEPENDENCY_NOT_ALLOWED),
            (disk.remove_possible_owner("N2"), Win32Error.ERROR_INVALID_OPERATION_ON_QUORUM),
        ]
        for call, code in attempts:
            with pytest.raises(clusapi.QuorumError) as info:
                await call
            assert info.value.winerror == code
        assert await disk.state() is clusapi.ResourceState.ONLINE
        assert await disk.dependencies() == []
        assert [n.name for n in await disk.possible_owners()] == ["N1", "N2"]


async def test_arbitrate_before_online_and_release_after_offline_on_a_move():
    async with open_reference_cluster(nodes=("N1", "N2")) as env:
        await setup_cluster(env, groups=0)
        core = await env.cluster.open_group("Cluster Group")
        assert Disk.holder == "N1"
        TIMELINE.events.clear()
        await core.move("N2")
        assert [(n, e) for _, n, _, e in TIMELINE.events] == [
            ("N1", "offline"),
            ("N1", "release"),
            ("N2", "arbitrate"),
            ("N2", "online"),
        ]
        assert Disk.holder == "N2"


# -- split brain -----------------------------------------------------------------------------


async def test_two_nodes_cut_apart_only_the_arbitration_winner_keeps_groups():
    async with open_reference_cluster(nodes=("N1", "N2")) as env:
        _, apps = await setup_cluster(env, groups=2)
        assert await owners(apps) == ["N1", "N2"]
        assert Disk.holder == "N1"
        env.partition(["N1"], ["N2"])
        await env.advance(10)
        # N1 holds the quorum device: it keeps its group and takes N2's; N2 stopped its own.
        assert await owners(apps) == ["N1", "N1"]
        assert [await g.state() for g in apps] == [GroupState.ONLINE, GroupState.ONLINE]
        assert await (await env.cluster.open_node("N2")).state() is NodeState.DOWN
        assert ("N2", "svc1") in TIMELINE.of("terminate")
        TIMELINE.assert_never_online_twice()
        stop = TIMELINE.events.index(next(e for e in TIMELINE.events if e[3] == "terminate"))
        start = TIMELINE.events.index(
            next(e for e in TIMELINE.events if e[1:] == ("N1", "svc1", "online"))
        )
        assert stop < start, "N2 must stop svc1 before N1 brings it online"

        env.heal()
        await env.advance(3)
        assert await (await env.cluster.open_node("N2")).state() is NodeState.UP
        TIMELINE.assert_never_online_twice()


async def test_when_the_device_holder_is_cut_off_alone_it_still_wins():
    async with open_reference_cluster(nodes=("N1", "N2")) as env:
        core = await env.cluster.create_group("Cluster Group")
        await env.cluster.create_resource_type(Disk)
        disk = await core.create_resource("Quorum Disk", "Sim Disk")
        await core.online("N2")
        await env.cluster.set_quorum_resource(disk)
        await env.cluster.create_resource_type(Service)
        app = await env.cluster.create_group("app")
        await app.create_resource("svc", "Service")
        await app.online("N1")
        env.partition(["N1"], ["N2"])
        await env.advance(10)
        # N2 holds the device, so N2 has quorum even though N1 is the lower node.
        assert (await app.state_info()).owner == "N2"
        assert await (await env.cluster.open_node("N1")).state() is NodeState.DOWN
        TIMELINE.assert_never_online_twice()


async def test_three_nodes_the_majority_side_wins_without_a_quorum_resource():
    async with open_reference_cluster(nodes=("N1", "N2", "N3")) as env:
        _, apps = await setup_cluster(env, quorum=False, groups=3)
        assert await owners(apps) == ["N1", "N2", "N3"]
        env.partition(["N1"], ["N2", "N3"])
        await env.advance(10)
        assert (await apps[0].state_info()).owner in ("N2", "N3")
        assert [await g.state() for g in apps] == [GroupState.ONLINE] * 3
        assert ("N1", "svc0") in TIMELINE.of("terminate")
        TIMELINE.assert_never_online_twice()
        env.heal()
        await env.advance(3)
        assert await (await env.cluster.open_node("N1")).state() is NodeState.UP


async def test_no_majority_no_cluster():
    async with open_reference_cluster(nodes=("N1", "N2", "N3", "N4")) as env:
        _, apps = await setup_cluster(env, quorum=False, groups=2)
        env.partition(["N1", "N2"], ["N3", "N4"])
        await env.advance(10)
        # 2 of 4 is no majority on either side: every node stops its resources.
        assert [await g.state() for g in apps] == [GroupState.OFFLINE] * 2
        states = [await n.state() for n in await env.cluster.nodes()]
        assert states == [NodeState.DOWN] * 4
        TIMELINE.assert_never_online_twice()
        env.heal()
        await env.advance(3)
        assert [await n.state() for n in await env.cluster.nodes()] == [NodeState.UP] * 4
        assert [await g.state() for g in apps] == [GroupState.ONLINE] * 2


async def test_when_the_holder_crashes_a_survivor_arbitrates_and_takes_over():
    async with open_reference_cluster(nodes=("N1", "N2")) as env:
        _, apps = await setup_cluster(env, groups=2)
        env.crash_node("N1")
        await env.advance(10)
        assert ("N2", "Quorum Disk") in TIMELINE.of("arbitrate")
        assert Disk.holder == "N2"
        assert await owners(apps) == ["N2", "N2"]
        core = await env.cluster.open_group("Cluster Group")
        assert await core.state_info() == clusapi.GroupStateInfo(GroupState.ONLINE, "N2")


async def test_a_node_that_loses_the_device_stops_and_the_other_takes_over():
    async with open_reference_cluster(nodes=("N1", "N2")) as env:
        _, apps = await setup_cluster(env, groups=2)
        Disk.refuse = {"N1"}  # N1 cannot win the device back
        Disk.lost_callbacks["N1"]()  # QuorumResourceLost on N1
        await env.advance(10)
        assert Disk.holder == "N2"
        assert await owners(apps) == ["N2", "N2"]
        assert ("N1", "svc0") in TIMELINE.of("terminate")
        TIMELINE.assert_never_online_twice()
        assert any("lost the quorum device" in e.message for e in env.log)


async def test_partition_names_are_checked():
    async with open_reference_cluster(nodes=("N1", "N2")) as env:
        with pytest.raises(clusapi.NodeNotFoundError):
            env.partition(["N1"], ["N9"])
        with pytest.raises(clusapi.InvalidParameterError):
            env.partition(["N1"], ["N1", "N2"])
