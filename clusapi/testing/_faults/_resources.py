"""The simulated resource types (a service, a checkpointed counter, a quorum disk) and the world
they share with the simulation: the timeline, the armed faults, the disk's reservation."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import anyio
import attrs

import resapi
from clusapi._enums import ResourceClass

from ._checks import TimelineEvent

if TYPE_CHECKING:
    from collections.abc import Callable

    from ._schedule import SimulationTimings


@attrs.define
class _Knobs:
    """The faults armed against one resource (by name, so they reach its next instance)."""

    hang: bool = False
    slow: bool = False
    unhealthy: bool = False
    online_raises: bool = False


class _World:
    """What the resource instances of one simulation share with it: the timeline, the armed
    faults, the counter's history, the quorum disk's reservation."""

    def __init__(self, timings: SimulationTimings, group_of: dict[str, str]) -> None:
        self.timings = timings
        self.group_of = group_of
        self.origin = 0.0
        self.timeline: list[TimelineEvent] = []
        self.knobs: dict[str, _Knobs] = {name: _Knobs() for name in group_of}
        self.serials = 0
        #: The counter: last value written by an up instance, and the onlines' starting counts.
        self.counter_last: int = 0
        self.counter_checks: list[tuple[float, str, int, int]] = []
        #: The quorum disk: the instance that holds the reservation, and its lost callback.
        self.disk_holder: _SimResource | None = None
        self.disk_lost: Callable[[], None] | None = None
        #: The user types' contract: breaches found, checks made, and the seed to name.
        self.seed = 0
        self.breaches: list[str] = []
        self.contract_checks = 0

    def now(self) -> float:
        return anyio.current_time() - self.origin

    def serial(self) -> int:
        self.serials += 1
        return self.serials

    def record(self, res: resapi.Resource, serial: int, event: str) -> None:
        self.timeline.append(
            TimelineEvent(
                self.now(), res.node_name, res.name, self.group_of[res.name], serial, event
            )
        )

    async def online_faults(self, res: resapi.Resource) -> None:
        """The faults armed against the resource's next Online: raise, hang or be slow."""
        knobs = self.knobs[res.name]
        t = self.timings
        if knobs.online_raises:
            knobs.online_raises = False
            raise RuntimeError("injected fault: Online failed")
        if knobs.hang:
            knobs.hang = False
            await anyio.sleep(t.pending_timeout_ms / 1000 * t.hang_factor)
        elif knobs.slow:
            knobs.slow = False
            for _ in range(t.slow_chunks):
                await anyio.sleep(t.slow_chunk)
                res.checkpoint()


class _SimProperties(resapi.PropertyTable):
    """The private properties the schedule changes (SET_PRIVATE steps)."""

    label: str = resapi.prop(default="")
    weight: int = resapi.prop(default=1, minimum=0, maximum=100)


class _SimResource(resapi.Resource):
    """A service that records what it is told; its faults are armed through the world."""

    type_name = "Sim Service"
    Properties = _SimProperties
    world: ClassVar[_World]

    __slots__ = ("serial", "up")

    def __init__(self, context: resapi.ResourceContext) -> None:
        super().__init__(context)
        self.up = False
        self.serial = self.world.serial()

    async def online(self) -> None:
        world = self.world
        world.record(self, self.serial, "online")
        await world.online_faults(self)
        await self.started()
        self.up = True
        world.record(self, self.serial, "online_done")

    async def started(self) -> None:
        """Type-specific work at the end of Online."""

    async def offline(self) -> None:
        self.world.record(self, self.serial, "offline")
        self.up = False
        self.world.record(self, self.serial, "offline_done")

    async def terminate(self) -> None:
        self.up = False
        self.world.record(self, self.serial, "terminate")

    async def looks_alive(self) -> bool:
        return self.up and not self.world.knobs[self.name].unhealthy

    async def is_alive(self) -> bool:
        knobs = self.world.knobs[self.name]
        if knobs.unhealthy:
            knobs.unhealthy = False  # one failure per arming
            return False
        return self.up


class _SimCounter(_SimResource):
    """Counts into its node's local registry under a checkpointed key."""

    type_name = "Sim Counter"
    KEY: ClassVar[str] = "SOFTWARE\\SimCounter"

    __slots__ = ()

    async def started(self) -> None:
        count = self.local_registry.get(self.KEY, "Count", default=0)
        assert isinstance(count, int)
        world = self.world
        world.counter_checks.append((world.now(), self.node_name, count, world.counter_last))
        self.start_worker(self._count)

    async def _count(self) -> None:
        world = self.world
        while True:
            await anyio.sleep(world.timings.counter_interval)
            if not self.up:
                return
            count = self.local_registry.get(self.KEY, "Count", default=0)
            assert isinstance(count, int)
            self.local_registry.set(self.KEY, "Count", count + 1)
            world.counter_last = count + 1


class _SimDisk(_SimResource):
    """A quorum disk: one instance at a time holds its reservation and defends it until it is
    terminated, released, or loses it (QuorumResourceLost)."""

    type_name = "Sim Disk"
    resource_class = ResourceClass.STORAGE

    __slots__ = ()

    async def arbitrate(self, lost: Callable[[], None]) -> None:
        world = self.world
        holder = world.disk_holder
        if holder is not None and holder is not self and holder.node_name != self.node_name:
            raise OSError(f"the disk is reserved by {holder.node_name}")
        world.disk_holder = self
        world.disk_lost = lost

    async def release(self) -> None:
        if self.world.disk_holder is self:
            self.world.disk_holder = None

    async def terminate(self) -> None:
        if self.world.disk_holder is self:
            self.world.disk_holder = None  # it stops defending the reservation
        await super().terminate()
