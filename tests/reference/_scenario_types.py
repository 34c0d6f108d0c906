"""Resource types for the runtime scenario tests, and the recorder they report to.

Every instance appends ``(time, node, resource, action)`` to :data:`RECORDER` when the Resource
Monitor calls one of its entry points, so a test sees the cluster's behaviour from inside the
resources. A resource learns nothing about its node from the Resource API, so it asks the
cluster (a resource DLL may call the Cluster API too): the owner of its group, read through
``Cluster.open_resource(name).state_info()`` at the moment of the call.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Final

import anyio

import clusapi
import resapi

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = (
    "RECORDER",
    "Failing",
    "Quiet",
    "Recorded",
    "Recorder",
    "SlowOrdered",
    "SlowStart",
    "Step",
)

#: ``(cluster time, node name or None, resource name, "online" / "offline" / "terminate")``.
Step = tuple[float, str | None, str, str]


class Recorder:
    """What the scenario resources saw, in the order they saw it; reset per test."""

    def __init__(self) -> None:
        self.steps: list[Step] = []
        self.cluster: clusapi.Cluster | None = None
        #: Names whose next health check fails (one failure per trip).
        self.tripped: set[str] = set()
        #: Names whose Online raises.
        self.broken: set[str] = set()

    def reset(self, cluster: clusapi.Cluster | None = None) -> None:
        self.steps.clear()
        self.cluster = cluster
        self.tripped.clear()
        self.broken.clear()

    async def record(self, resource: str, action: str) -> None:
        now = anyio.current_time()
        node: str | None = None
        cluster = self.cluster
        if cluster is not None:
            with contextlib.suppress(clusapi.ClusterError):
                node = (await (await cluster.open_resource(resource)).state_info()).owner
        self.steps.append((now, node, resource, action))

    # -- views ------------------------------------------------------------------------------

    def actions(self, action: str | None = None) -> list[tuple[str, str]]:
        """``(resource, action)`` pairs, optionally only one action."""
        return [(r, a) for _, _, r, a in self.steps if action is None or a == action]

    def names(self, action: str, *, since: float = float("-inf")) -> list[str]:
        """The resources that saw ``action`` at or after ``since``, in order."""
        return [r for t, _, r, a in self.steps if a == action and t >= since]

    def where(self, resource: str, action: str) -> list[str | None]:
        """The nodes on which ``resource`` saw ``action``, in order."""
        return [n for _, n, r, a in self.steps if r == resource and a == action]

    def times(self, resource: str, action: str) -> list[float]:
        return [t for t, _, r, a in self.steps if r == resource and a == action]

    def nodes_used(self) -> set[str | None]:
        return {n for _, n, _, a in self.steps if a == "online"}

    def trip(self, *names: str) -> None:
        """Make the next health check of each named resource say it is dead."""
        self.tripped.update(names)

    def __iter__(self) -> Iterator[Step]:
        return iter(self.steps)


RECORDER: Final = Recorder()


class Recorded(resapi.Resource):
    """Records every entry point; healthy unless tripped (one failed check per trip)."""

    type_name = "Recorded"
    looks_alive_poll_interval = 1000
    is_alive_poll_interval = 5000

    #: Virtual seconds Online and Offline take (after recording their start).
    delay: float = 0.0

    def __init__(self, context: resapi.ResourceContext) -> None:
        super().__init__(context)
        self.running = False

    async def online(self) -> None:
        await RECORDER.record(self.name, "online")
        if self.delay:
            await anyio.sleep(self.delay)
        if self.name in RECORDER.broken:
            raise RuntimeError(f"{self.name} cannot start")
        self.running = True

    async def offline(self) -> None:
        await RECORDER.record(self.name, "offline")
        if self.delay:
            await anyio.sleep(self.delay)
        self.running = False

    async def terminate(self) -> None:
        self.running = False
        with anyio.CancelScope(shield=True):
            await RECORDER.record(self.name, "terminate")

    async def looks_alive(self) -> bool:
        return self.running and self.name not in RECORDER.tripped

    async def is_alive(self) -> bool:
        if self.name in RECORDER.tripped:
            RECORDER.tripped.discard(self.name)
            return False
        return self.running


class SlowOrdered(Recorded):
    """Online and Offline take 0.1 s, so an overlap of two of them would show in the times."""

    type_name = "Slow Ordered"
    delay = 0.1


class Quiet(Recorded):
    """Polled rarely (LooksAlive every minute, IsAlive every 10 minutes), for scenarios that
    span hours of virtual time."""

    type_name = "Quiet"
    looks_alive_poll_interval = 60_000
    is_alive_poll_interval = 600_000


class SlowStart(Recorded):
    """Online takes 10 s of virtual time, reporting progress every second."""

    type_name = "Slow Start"

    async def online(self) -> None:
        await RECORDER.record(self.name, "online")
        for _ in range(10):
            await anyio.sleep(1)
            self.checkpoint()
        self.running = True


class Failing(Recorded):
    """Online always raises."""

    type_name = "Failing"

    async def online(self) -> None:
        await RECORDER.record(self.name, "online")
        raise RuntimeError(f"{self.name}: no such device")
