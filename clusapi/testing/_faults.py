"""Deterministic fault simulation: a seeded schedule of faults and application work, run on a
reference cluster on virtual time, and an invariant checker fed by what the resources saw.

Example::

    report = run_fault_schedule(123, steps=200)
    assert report.ok, report.failure_message()
    # replay one seed, with the cluster log: python -m clusapi.testing.faults --seed 123 --log

How a run goes
--------------

1. :meth:`FaultSchedule.generate` draws everything from ``random.Random(seed)`` and from
   nothing else: whether the cluster has a quorum disk (half the seeds, unless ``quorum=`` says
   so), the workload (8 groups of 1-3 resources with dependencies, preferred owners, failback
   settings and failover thresholds; group 0 holds a checkpointed counter), and ``steps``
   :class:`FaultStep` values. Each step is a fault (crash, restart, partition, heal, a
   resource failing through ``fail()`` or through its health checks, an Online that raises,
   a hang, a slow online with checkpoints, the quorum disk lost) or application work
   (cluster-database writes and batches through :class:`~clusapi.ClusterKey`, private, common
   and group property changes, moves, online and offline by the administrator), followed by a
   random virtual delay. The generator keeps its own model of which nodes it crashed and
   whether it cut the interconnect, so a schedule depends on the seed alone.
2. :class:`FaultSimulation` opens a reference cluster (4 nodes by default) on a
   :class:`~clusapi.testing.VirtualClock`, builds the workload, opens two notify ports, and
   runs the steps. Administrative calls run as background tasks (so a crash can hit an online
   in flight); a call that raises a :class:`~clusapi.ClusterError` with one of
   :data:`EXPECTED_ERRORS` (the API refusing what is legitimately impossible during faults:
   pending, no node can host, failed, ...) is counted, not a failure; any other exception is
   a violation.
3. Faults stop: the interconnect heals, every crashed node restarts, every armed fault is
   disarmed, and the cluster runs for :meth:`SimulationTimings.recovery_bound` seconds.
4. The invariants are checked (below). Every single comparison counts as one invariant
   checked.

The invariants, exactly
-----------------------

I1 (shared-nothing, :func:`check_timeline`). Every resource instance records, at cluster
time, ``online`` when its Online is entered, ``online_done`` when it returns, ``offline`` and
``offline_done`` around Offline, and ``terminate`` when Terminate is called, with its node
(``self.node_name``) and a serial number. An instance is *active* from ``online`` until
``offline_done`` or ``terminate``. Replaying the timeline in order, at every ``online`` event:
(a) no other instance of that resource is active (one check), and (b) no instance of any
resource of the same group is active on another node (one check): a group is never online on
two nodes at once.

I2 (recovery). After the bound: every node is Up (one check per node), every administrative
call has returned (one check per call), and for every group whose ``PersistentState`` is set
(``await group.common_properties()``), every resource that should be online is Online (one
check per resource): a resource should be online when its own ``PersistentState`` is set and
so is that of every resource it depends on, transitively (the administrator may have taken a
provider offline by hand, which legitimately keeps its dependents offline). If all its
resources should be online, the group's state must be ``ONLINE`` (one more check). Exempt,
and reported as such, is a group whose failure policy gave up as documented: one of its
resources is still Failed and the cluster log says its final retry after RetryPeriodOnFailure
failed ("it stays failed until it is brought online by hand").

I3 (no data lost). (a) For every value the application wrote to the cluster database and
whose call returned, the last such value (or its absence, after a delete) is what the API
reads and what every node's copy holds (one check per value per reader: the API and each
node); a call that raised must have changed nothing, so the model keeps the previous value.
A batch conditional on the value the model holds must commit, and one conditional on a value
the model says is absent must fail and change nothing (one check per batch). (b) Every
private, common and group property the application set last (call returned) reads back (one
check each). (c) The checkpointed counter: each increment is written by an instance that is
up (after Online returned, before Offline or Terminate); every Online of the counter starts
from a count >= the last increment made by any instance before it (one check per Online),
and at the end the cluster database's captured count equals the last increment (one check).

I4 (notifications). A port opened at the start with ``ClusterChange.ALL`` is drained, and
every resource's state and every group's (state, owner) is read through the API, at every
step boundary, all in one loop turn (checked: no event is emitted meanwhile). Between two
such samples ``k-1`` and ``k``, for every object: if its sampled state differs, at least one
``RESOURCE_STATE`` (``GROUP_STATE``) event for it arrived in between (no skipped change; one
check per object per sample); every event drained at sample ``k`` has a time in
``[t(k-1), t(k)]`` and each object's events arrive in non-decreasing time (no reordering; one
check per event). A second port opened with ``RESOURCE_STATE | GROUP_STATE`` must deliver
exactly the subsequence of the first port's events of those two kinds (one check per
sample).

Quorum, both ways: about half the seeds run with a quorum disk (a storage resource in
"Cluster Group", whose Arbitrate models a SCSI reservation: it is won only when no other
live instance holds and defends it; terminate, release or a QuorumResourceLost fault free
it), the others with majority quorum (3 of 4 nodes). With the disk, one node alone can keep
the cluster; without it, a 2/2 partition or two crashes stop every node, and the first node
back forms the cluster and restores the groups whose PersistentState is set. ``quorum=``
forces either mode; the replay command then says ``--quorum`` or ``--no-quorum``.

Determinism: the same seed gives the same cluster log byte for byte
(:attr:`SimulationReport.cluster_log_digest` is its SHA-256); every failing report carries
:attr:`SimulationReport.replay_command`.
"""

from __future__ import annotations

import argparse
import enum
import hashlib
import itertools
import random
import sys
import time
from typing import TYPE_CHECKING, ClassVar, Final, cast

import anyio
import attrs

import resapi
from clusapi._enums import ClusterChange, GroupState, NodeState, ResourceClass, ResourceState
from clusapi._errors import ClusterError
from clusapi._key import RegistryBatch
from clusapi._win32 import Win32Error

from ._clock import VirtualClock
from ._env import open_reference_cluster

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from anyio.abc import TaskGroup

    from clusapi._backends.reference._model import ClusterLogEntry
    from clusapi._cluster import Cluster
    from clusapi._group import Group
    from clusapi._key import ClusterKey
    from clusapi._notify import NotifyPort
    from clusapi._resource import Resource
    from clusapi._values import Notification

    from ._env import ReferenceEnvironment

__all__ = (
    "EXPECTED_ERRORS",
    "FaultKind",
    "FaultSchedule",
    "FaultSimulation",
    "FaultStep",
    "GroupSpec",
    "ResourceSpec",
    "SimulationReport",
    "SimulationTimings",
    "TimelineEvent",
    "WorkloadSpec",
    "check_timeline",
    "main",
    "replay_command",
    "run_fault_schedule",
)

_W = Win32Error

#: Errors the API raises for an operation that is legitimately impossible while faults happen;
#: an administrative call that raises one of these is counted, not a violation.
EXPECTED_ERRORS: Final = frozenset(
    {
        _W.ERROR_INVALID_STATE,  # the group or resource is pending / busy
        _W.ERROR_RESMON_INVALID_STATE,  # fail() of a resource that is not online or pending
        _W.ERROR_HOST_NODE_NOT_AVAILABLE,  # no node can host the group, or the node is down
        _W.ERROR_HOST_NODE_NOT_RESOURCE_OWNER,
        _W.ERROR_SHARING_PAUSED,
        _W.ERROR_RESOURCE_FAILED,  # the online ran, and a resource failed (a fault)
        _W.ERROR_INVALID_OPERATION_ON_QUORUM,  # offline of the quorum resource or its group
        _W.ERROR_CLUSTER_NODE_DOWN,
    }
)

#: The command that replays one seed (the lead wires ``clusapi.testing.faults`` to main()).
_REPLAY_MODULE: Final = "clusapi.testing.faults"

#: The group failure policy's documented final give-up (research clusapi.md §7.4).
_GIVE_UP: Final = "the final retry after RetryPeriodOnFailure failed"


# ============================================================================ the schedule


class FaultKind(enum.Enum):
    """What one step of a schedule does."""

    # -- faults
    CRASH = "crash"
    RESTART = "restart"
    PARTITION = "partition"
    HEAL = "heal"
    FAIL_RESOURCE = "fail-resource"  # Resource.fail() (FailClusterResource)
    FAIL_HEALTH = "fail-health"  # LooksAlive and the next IsAlive say False
    HANG = "hang"  # the next Online sleeps past PendingTimeout without progress
    SLOW_ONLINE = "slow-online"  # the next Online takes long, with checkpoints
    ONLINE_FAILS = "online-fails"  # the next Online raises
    QUORUM_LOST = "quorum-lost"  # the holder of the quorum disk loses it
    # -- application work
    WRITE = "write"
    BATCH = "batch"
    DELETE_VALUE = "delete-value"
    SET_PRIVATE = "set-private"
    SET_COMMON = "set-common"
    SET_GROUP = "set-group"
    MOVE = "move"
    ONLINE_GROUP = "online-group"
    OFFLINE_GROUP = "offline-group"
    ONLINE_RESOURCE = "online-resource"
    OFFLINE_RESOURCE = "offline-resource"

    @property
    def is_fault(self) -> bool:
        return self in _FAULTS


_FAULTS: Final = frozenset(
    {
        FaultKind.CRASH,
        FaultKind.RESTART,
        FaultKind.PARTITION,
        FaultKind.HEAL,
        FaultKind.FAIL_RESOURCE,
        FaultKind.FAIL_HEALTH,
        FaultKind.HANG,
        FaultKind.SLOW_ONLINE,
        FaultKind.ONLINE_FAILS,
        FaultKind.QUORUM_LOST,
    }
)

#: A value the application writes (cluster database value or property value).
Value = int | str


@attrs.frozen
class FaultStep:
    """One step: what to do, to what, and how long (virtual seconds) to let pass after it.

    ``target`` names a node, group or resource, or (for database work) a value name;
    ``node`` is a destination (online, move) or None for "the cluster chooses"; ``sides`` is a
    partition; ``prop``/``value`` a property or database value; ``batch`` the (name, value)
    pairs of a batch, whose first pair, if ``condition`` is set, is a condition_equal instead.
    """

    index: int
    kind: FaultKind
    target: str = ""
    node: str | None = None
    sides: tuple[tuple[str, ...], ...] = ()
    wait: bool = True
    prop: str = ""
    value: Value | None = None
    batch: tuple[tuple[str, Value], ...] = ()
    condition: bool = False
    delay: float = 0.0

    def describe(self) -> str:
        parts = [f"#{self.index}", self.kind.value]
        if self.target:
            parts.append(self.target)
        if self.node is not None:
            parts.append(f"-> {self.node}")
        if self.sides:
            parts.append(" | ".join(",".join(side) for side in self.sides))
        if self.prop:
            parts.append(f"{self.prop}={self.value!r}")
        elif self.value is not None:
            parts.append(f"= {self.value!r}")
        if self.batch:
            parts.append(f"batch={list(self.batch)!r}{' (conditional)' if self.condition else ''}")
        if not self.wait:
            parts.append("(no wait)")
        parts.append(f"then {self.delay:g} s")
        return " ".join(parts)


@attrs.frozen
class ResourceSpec:
    """A resource of the workload: name, type ("service", "counter" or "disk"), providers."""

    name: str
    type: str
    depends_on: tuple[str, ...] = ()


@attrs.frozen
class GroupSpec:
    """A group of the workload and its failover settings."""

    name: str
    resources: tuple[ResourceSpec, ...]
    preferred: tuple[str, ...]
    auto_failback: bool = False
    #: (FailbackWindowStart, FailbackWindowEnd), or None for no window.
    failback_window: tuple[int, int] | None = None
    failover_threshold: int = 10
    failover_period: int = 1


@attrs.frozen
class WorkloadSpec:
    """The cluster the application runs on: its groups, and the quorum group if any."""

    groups: tuple[GroupSpec, ...]
    quorum_group: GroupSpec | None = None

    @property
    def all_groups(self) -> tuple[GroupSpec, ...]:
        return self.groups if self.quorum_group is None else (self.quorum_group, *self.groups)

    def dependency_layers(self) -> int:
        """The longest dependency chain of any group, in resources (online layers)."""
        best = 1
        for group in self.all_groups:
            depth: dict[str, int] = {}
            for res in group.resources:  # providers come first in a GroupSpec
                depth[res.name] = 1 + max((depth[d] for d in res.depends_on), default=0)
                best = max(best, depth[res.name])
        return best


@attrs.frozen
class SimulationTimings:
    """The cluster's timeouts in the simulation (seconds unless the name says ms).

    The resources of the workload get these common properties; the faults use them too (a
    hang sleeps ``hang_factor`` x PendingTimeout, a slow online reports progress every
    ``slow_chunk`` s, ``slow_chunks`` times).
    """

    heartbeat_interval: float = 1.0
    node_timeout: float = 5.0
    pending_timeout_ms: int = 5_000
    restart_delay_ms: int = 500  # RestartDelay is read-only: the MSCS default
    restart_threshold: int = 2
    restart_period_ms: int = 60_000
    retry_period_ms: int = 60_000
    looks_alive_ms: int = 2_000
    is_alive_ms: int = 5_000
    slow_chunk: float = 2.0
    slow_chunks: int = 3
    hang_factor: float = 4.0
    counter_interval: float = 2.0
    #: Step delays: 0 with probability ``zero_delay``, else exponential with this mean, capped.
    mean_delay: float = 3.0
    max_delay: float = 30.0
    zero_delay: float = 0.25

    def recovery_bound(self, layers: int) -> float:
        """Seconds after faults stop by which every group whose PersistentState is set is
        online again::

            detect = node_timeout + 3 * heartbeat_interval
            layer  = max(PendingTimeout, slow_chunk * slow_chunks) + RestartDelay
            bound  = detect + (2 * layers + 1) * layer + RetryPeriodOnFailure

        ``detect``: a node cut off or restarted just before the stop is noticed (node_timeout)
        and let back in at the next membership rounds. ``layer``: one resource's online,
        including one still in flight when the faults stopped (a hang ends at PendingTimeout,
        a slow online after its checkpoints), and the RestartDelay of the restart that
        follows. ``layers`` onlines for the failover or failback after the rejoin, one more
        layer for a hang in flight, and ``layers`` again for the final retry of a group the
        failover threshold left failed, RetryPeriodOnFailure after its failure.
        """
        detect = self.node_timeout + 3 * self.heartbeat_interval
        layer = (
            max(self.pending_timeout_ms / 1000, self.slow_chunk * self.slow_chunks)
            + self.restart_delay_ms / 1000
        )
        return detect + (2 * layers + 1) * layer + self.retry_period_ms / 1000


@attrs.frozen
class FaultSchedule:
    """A seeded schedule: the workload and the steps, drawn from ``random.Random(seed)`` only.

    Get one from :meth:`generate`; the same arguments always give an equal schedule.
    """

    seed: int
    nodes: tuple[str, ...]
    quorum: bool
    workload: WorkloadSpec
    steps: tuple[FaultStep, ...]

    @classmethod
    def generate(
        cls,
        seed: int,
        *,
        steps: int = 200,
        nodes: int = 4,
        quorum: bool | None = None,
        groups: int = 8,
        timings: SimulationTimings | None = None,
    ) -> FaultSchedule:
        """Draw a schedule. ``quorum=None``: the seed decides (about half have a quorum disk)."""
        if steps < 0 or nodes < 1 or groups < 1:
            raise ValueError(
                f"need steps >= 0, nodes >= 1, groups >= 1; got {steps}, {nodes}, {groups}"
            )
        rng = random.Random(seed)
        names = tuple(f"NODE{i + 1}" for i in range(nodes))
        drawn_quorum = rng.random() < 0.5
        with_quorum = drawn_quorum if quorum is None else quorum
        workload = _draw_workload(rng, names, groups, with_quorum)
        gen = _StepGenerator(rng, names, workload, timings or SimulationTimings())
        return cls(seed, names, with_quorum, workload, tuple(gen.step(i) for i in range(steps)))

    def describe(self) -> str:
        lines = [
            f"seed {self.seed}: {len(self.nodes)} nodes, "
            f"{'a quorum disk' if self.quorum else 'majority quorum'}, {len(self.steps)} steps"
        ]
        for group in self.workload.all_groups:
            deps = ", ".join(
                f"{r.name}({r.type}{' <- ' + '+'.join(r.depends_on) if r.depends_on else ''})"
                for r in group.resources
            )
            lines.append(
                f"  {group.name}: [{deps}] preferred {list(group.preferred)} "
                f"failback={'yes' if group.auto_failback else 'no'} "
                f"window={group.failback_window} threshold={group.failover_threshold}"
            )
        lines.extend(f"  {step.describe()}" for step in self.steps)
        return "\n".join(lines)


def _draw_workload(
    rng: random.Random, nodes: tuple[str, ...], count: int, quorum: bool
) -> WorkloadSpec:
    groups = []
    for g in range(count):
        size = rng.randint(1, 3)
        resources: list[ResourceSpec] = []
        for r in range(size):
            name = f"g{g}r{r}"
            kind = "counter" if g == 0 and r == 0 else "service"
            earlier = [x.name for x in resources]
            deps: tuple[str, ...] = ()
            if earlier and rng.random() < 0.75:
                # Depend on the one just before (a chain) or on any earlier one (a fan).
                deps = (earlier[-1],) if rng.random() < 0.6 else (rng.choice(earlier),)
            resources.append(ResourceSpec(name, kind, deps))
        preferred = list(nodes)
        rng.shuffle(preferred)
        preferred = preferred[: rng.randint(1, len(nodes))]
        window: tuple[int, int] | None = None
        if rng.random() < 0.3:
            # A window that does not open during the run (it starts at hour 0 and lasts well
            # under 12 h): failback waits, and never moves a group at the moment of the check.
            start = rng.randint(12, 20)
            window = (start, start + rng.randint(1, 3))
        groups.append(
            GroupSpec(
                f"grp{g}",
                tuple(resources),
                tuple(preferred),
                auto_failback=rng.random() < 0.5,
                failback_window=window,
                failover_threshold=rng.choice((1, 2, 10, 100)),
                failover_period=rng.choice((1, 6)),
            )
        )
    quorum_group = None
    if quorum:
        quorum_group = GroupSpec("Cluster Group", (ResourceSpec("Quorum Disk", "disk"),), nodes)
    return WorkloadSpec(tuple(groups), quorum_group)


class _StepGenerator:
    """Draws steps; keeps its own model of crashed nodes and the partition (not the cluster's),
    so the schedule is a function of the seed."""

    def __init__(
        self,
        rng: random.Random,
        nodes: tuple[str, ...],
        workload: WorkloadSpec,
        timings: SimulationTimings,
    ) -> None:
        self.rng = rng
        self.nodes = nodes
        self.workload = workload
        self.timings = timings
        self.crashed: list[str] = []
        self.partitioned = False
        self.groups = [g.name for g in workload.all_groups]
        self.app_groups = [g.name for g in workload.groups]
        self.resources = [r.name for g in workload.all_groups for r in g.resources]
        self.app_resources = [r.name for g in workload.groups for r in g.resources]
        self.value_names = [f"V{i}" for i in range(6)]
        self.counter = 0

    def _weights(self) -> list[tuple[FaultKind, float]]:
        alive = len(self.nodes) - len(self.crashed)
        k = FaultKind
        return [
            (k.CRASH, 5.0 if alive > 1 else 0.0),
            (k.RESTART, (4.0 + 4.0 * len(self.crashed)) if self.crashed else 0.0),
            (k.PARTITION, 3.0 if not self.partitioned and len(self.nodes) > 1 else 0.0),
            (k.HEAL, 8.0 if self.partitioned else 0.0),
            (k.FAIL_RESOURCE, 5.0),
            (k.FAIL_HEALTH, 5.0),
            (k.HANG, 3.0),
            (k.SLOW_ONLINE, 4.0),
            (k.ONLINE_FAILS, 3.0),
            (k.QUORUM_LOST, 1.5 if self.workload.quorum_group is not None else 0.0),
            (k.WRITE, 9.0),
            (k.BATCH, 4.0),
            (k.DELETE_VALUE, 2.0),
            (k.SET_PRIVATE, 4.0),
            (k.SET_COMMON, 3.0),
            (k.SET_GROUP, 2.0),
            (k.MOVE, 7.0),
            (k.ONLINE_GROUP, 5.0),
            (k.OFFLINE_GROUP, 2.5),
            (k.ONLINE_RESOURCE, 2.5),
            (k.OFFLINE_RESOURCE, 1.5),
        ]

    def _delay(self) -> float:
        t = self.timings
        if self.rng.random() < t.zero_delay:
            return 0.0
        return round(min(self.rng.expovariate(1 / t.mean_delay), t.max_delay), 3)

    def _value(self) -> Value:
        self.counter += 1
        return self.counter if self.rng.random() < 0.5 else f"s{self.counter}"

    def step(self, index: int) -> FaultStep:
        rng = self.rng
        weights = self._weights()
        kind = rng.choices([k for k, _ in weights], [w for _, w in weights])[0]
        k = FaultKind
        target = ""
        node: str | None = None
        sides: tuple[tuple[str, ...], ...] = ()
        wait = True
        prop = ""
        value: Value | None = None
        batch: tuple[tuple[str, Value], ...] = ()
        condition = False
        if kind is k.CRASH:
            target = rng.choice([n for n in self.nodes if n not in self.crashed])
            self.crashed.append(target)
        elif kind is k.RESTART:
            target = rng.choice(self.crashed)
            self.crashed.remove(target)
        elif kind is k.PARTITION:
            shuffled = list(self.nodes)
            rng.shuffle(shuffled)
            cuts = sorted(
                rng.sample(range(1, len(shuffled)), min(rng.randint(1, 2), len(shuffled) - 1))
            )
            bounds = [0, *cuts, len(shuffled)]
            sides = tuple(tuple(sorted(shuffled[a:b])) for a, b in itertools.pairwise(bounds))
            self.partitioned = True
        elif kind is k.HEAL:
            self.partitioned = False
        elif kind in (k.FAIL_RESOURCE, k.FAIL_HEALTH, k.HANG, k.SLOW_ONLINE, k.ONLINE_FAILS):
            target = rng.choice(self.resources)
        elif kind in (k.WRITE, k.DELETE_VALUE):
            target = rng.choice(self.value_names)
            if kind is k.WRITE:
                value = self._value()
        elif kind is k.BATCH:
            names = rng.sample(self.value_names, rng.randint(1, 3))
            batch = tuple((n, self._value()) for n in names)
            condition = rng.random() < 0.4
        elif kind is k.SET_PRIVATE:
            target = rng.choice(self.app_resources)
            if rng.random() < 0.5:
                prop, value = "label", f"L{rng.randint(0, 999)}"
            else:
                prop, value = "weight", rng.randint(0, 100)
        elif kind is k.SET_COMMON:
            target = rng.choice(self.app_resources)
            options: list[tuple[str, Value]] = [
                ("description", f"d{rng.randint(0, 999)}"),
                ("restart_threshold", rng.randint(1, self.timings.restart_threshold)),
                ("is_alive_poll_interval", rng.choice((5_000, 10_000))),
            ]
            prop, value = rng.choice(options)
        elif kind is k.SET_GROUP:
            target = rng.choice(self.app_groups)
            options = [
                ("description", f"d{rng.randint(0, 999)}"),
                ("auto_failback_type", rng.randint(0, 1)),
                ("failover_threshold", rng.choice((1, 3, 10))),
            ]
            prop, value = rng.choice(options)
        elif kind in (k.MOVE, k.ONLINE_GROUP, k.OFFLINE_GROUP):
            target = rng.choice(self.groups if kind is not k.OFFLINE_GROUP else self.app_groups)
            if kind is not k.OFFLINE_GROUP and rng.random() < 0.4:
                node = rng.choice(self.nodes)
            wait = rng.random() < 0.7
        elif kind in (k.ONLINE_RESOURCE, k.OFFLINE_RESOURCE):
            target = rng.choice(self.app_resources)
            wait = rng.random() < 0.7
        return FaultStep(
            index,
            kind,
            target=target,
            node=node,
            sides=sides,
            wait=wait,
            prop=prop,
            value=value,
            batch=batch,
            condition=condition,
            delay=self._delay(),
        )


# ============================================================================ the timeline


@attrs.frozen
class TimelineEvent:
    """What a resource instance saw: at cluster ``time``, on ``node``, instance ``instance``
    (a serial number) of ``resource`` (in ``group``) had ``event``: one of ``online``,
    ``online_done``, ``offline``, ``offline_done``, ``terminate``."""

    time: float
    node: str
    resource: str
    group: str
    instance: int
    event: str


def check_timeline(events: Sequence[TimelineEvent]) -> tuple[int, list[str]]:
    """Invariant I1 over a timeline: returns (checks made, violations).

    An instance is active from ``online`` until ``offline_done`` or ``terminate``. At each
    ``online``: no other instance of the resource is active, and no instance of a resource of
    the same group is active on another node.
    """
    checks = 0
    violations: list[str] = []
    # resource -> {instance: node}; group -> {instance: (node, resource)}
    by_resource: dict[str, dict[int, str]] = {}
    by_group: dict[str, dict[int, tuple[str, str]]] = {}
    for e in events:
        mine = by_resource.setdefault(e.resource, {})
        group = by_group.setdefault(e.group, {})
        if e.event == "online":
            checks += 2
            others = {i: n for i, n in mine.items() if i != e.instance}
            if others:
                violations.append(
                    f"I1 at t={e.time:.3f}: resource {e.resource!r} came online on {e.node} "
                    f"while still active on {sorted(set(others.values()))}"
                )
            elsewhere = sorted({(n, r) for i, (n, r) in group.items() if n != e.node})
            if elsewhere:
                violations.append(
                    f"I1 at t={e.time:.3f}: group {e.group!r} online on two nodes: "
                    f"{e.resource!r} came online on {e.node} while "
                    + ", ".join(f"{r!r} is active on {n}" for n, r in elsewhere)
                )
            mine[e.instance] = e.node
            group[e.instance] = (e.node, e.resource)
        elif e.event in ("offline_done", "terminate"):
            mine.pop(e.instance, None)
            group.pop(e.instance, None)
    return checks, violations


# ============================================================================ the resources


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

    def now(self) -> float:
        return anyio.current_time() - self.origin

    def serial(self) -> int:
        self.serials += 1
        return self.serials

    def record(self, res: _SimResource, event: str) -> None:
        self.timeline.append(
            TimelineEvent(
                self.now(), res.node_name, res.name, self.group_of[res.name], res.serial, event
            )
        )


class _SimProperties(resapi.PropertyTable):
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
        world.record(self, "online")
        knobs = world.knobs[self.name]
        t = world.timings
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
                self.checkpoint()
        await self.started()
        self.up = True
        world.record(self, "online_done")

    async def started(self) -> None:
        """Type-specific work at the end of Online."""

    async def offline(self) -> None:
        self.world.record(self, "offline")
        self.up = False
        self.world.record(self, "offline_done")

    async def terminate(self) -> None:
        self.up = False
        self.world.record(self, "terminate")

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


# ============================================================================ the report


@attrs.frozen
class SimulationReport:
    """The outcome of one seed.

    ``violations`` is empty when every invariant held; ``replay_command`` replays the seed.
    """

    seed: int
    steps: int
    nodes: int
    quorum: bool
    invariants_checked: int
    violations: tuple[str, ...]
    cluster_log_digest: str
    replay_command: str
    #: Expected API errors by Win32 name, sorted (see EXPECTED_ERRORS).
    expected_errors: tuple[tuple[str, int], ...] = ()
    faults: int = 0
    operations: int = 0
    #: Groups exempt from I2 because their failure policy gave up as documented.
    exempt_groups: tuple[str, ...] = ()
    cluster_time: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.violations

    def failure_message(self, limit: int = 20) -> str:
        """The violations (at most ``limit``) and the command that replays the seed."""
        lines = [
            f"seed {self.seed}: {len(self.violations)} violation(s) of "
            f"{self.invariants_checked} invariants checked"
        ]
        lines.extend(f"  {v}" for v in self.violations[:limit])
        if len(self.violations) > limit:
            lines.append(f"  ... and {len(self.violations) - limit} more")
        lines.append(f"replay: {self.replay_command}")
        return "\n".join(lines)

    def summary(self) -> str:
        status = "ok" if self.ok else f"{len(self.violations)} VIOLATION(S)"
        errors = ", ".join(f"{name} x{n}" for name, n in self.expected_errors) or "none"
        return (
            f"seed {self.seed}: {status}; {self.steps} steps ({self.faults} faults, "
            f"{self.operations} operations), {self.nodes} nodes, "
            f"{'quorum disk' if self.quorum else 'majority'}; {self.invariants_checked} "
            f"invariants checked; cluster time {self.cluster_time:.1f} s; expected errors: "
            f"{errors}; exempt groups: {list(self.exempt_groups)}; "
            f"log sha256 {self.cluster_log_digest[:16]}"
        )

    def raise_for_violations(self) -> None:
        """Raise AssertionError with :meth:`failure_message` if an invariant failed."""
        if self.violations:
            raise AssertionError(self.failure_message())


def replay_command(
    seed: int, steps: int, nodes: int = 4, quorum: bool | None = None, groups: int = 8
) -> str:
    """The shell command that replays a seed (options left at their defaults are omitted)."""
    cmd = f"python -m {_REPLAY_MODULE} --seed {seed} --steps {steps}"
    if nodes != 4:
        cmd += f" --nodes {nodes}"
    if groups != 8:
        cmd += f" --groups {groups}"
    if quorum is not None:
        cmd += " --quorum" if quorum else " --no-quorum"
    return cmd


# ============================================================================ the simulation


class _Ledger:
    """Counts checks and collects violations."""

    def __init__(self) -> None:
        self.checked = 0
        self.violations: list[str] = []

    def check(self, ok: bool) -> bool:
        """Count one invariant checked; return whether it held (then call :meth:`fail`)."""
        self.checked += 1
        return ok

    def fail(self, message: str) -> None:
        self.violations.append(message)


class _EventStreamChecker:
    """Invariant I4 over successive samples (see the module docs): between two samples, an
    object whose sampled state changed got at least one state event; every event lies in its
    window and each object's events come in non-decreasing time; the filtered port delivers
    exactly the ALL port's events of its kinds."""

    KINDS: Final = (ClusterChange.RESOURCE_STATE, ClusterChange.GROUP_STATE)

    def __init__(self, names: dict[str, str]) -> None:
        self.names = names
        self.last_states: dict[str, object] | None = None
        self.last_time = 0.0
        self.last_event: dict[str, float] = {}

    def observe(
        self,
        now: float,
        states: dict[str, object],
        events: Sequence[Notification],
        filtered: Sequence[Notification],
        ledger: _Ledger,
    ) -> None:
        prev = self.last_time
        subsequence = [e for e in events if e.change in self.KINDS]
        if not ledger.check(subsequence == list(filtered)):
            ledger.fail(
                f"I4 at t={now:.3f}: the RESOURCE_STATE|GROUP_STATE port delivered "
                f"{len(filtered)} events, the ALL port {len(subsequence)} of those kinds (or "
                "in another order)"
            )
        changed: dict[str, int] = {}
        for e in subsequence:
            if e.object_id is None:
                continue
            obj = e.object_id
            changed[obj] = changed.get(obj, 0) + 1
            last = self.last_event.get(obj, -1.0)
            if not ledger.check(prev <= e.time <= now and e.time >= last):
                ledger.fail(
                    f"I4 at t={now:.3f}: {e.change.name} event of {e.name!r} at t={e.time:.3f} "
                    f"is out of order (window [{prev:.3f}, {now:.3f}], previous event of it "
                    f"at t={last:.3f})"
                )
            self.last_event[obj] = e.time
        if self.last_states is not None:
            for obj, state in states.items():
                before = self.last_states.get(obj)
                if before is None:
                    continue
                if not ledger.check(before == state or changed.get(obj, 0) > 0):
                    ledger.fail(
                        f"I4 at t={now:.3f}: {self.names.get(obj, obj)!r} went from "
                        f"{_state_text(before)} to {_state_text(state)} since t={prev:.3f} "
                        "with no state event on the port"
                    )
        self.last_states = states
        self.last_time = now


class FaultSimulation:
    """Runs one :class:`FaultSchedule` on a fresh reference cluster; see the module docs.

    ``await sim.run()`` must run on a :class:`VirtualClock` loop (``run_fault_schedule`` does
    that). ``tamper`` is called with the recorded timeline before the checks, for tests of the
    checker itself.
    """

    def __init__(
        self,
        schedule: FaultSchedule,
        *,
        timings: SimulationTimings | None = None,
        replay: str | None = None,
        tamper: Callable[[list[TimelineEvent]], None] | None = None,
    ) -> None:
        self.schedule = schedule
        self.timings = timings or SimulationTimings()
        self.replay = replay or replay_command(schedule.seed, len(schedule.steps))
        self.tamper = tamper
        group_of = {r.name: g.name for g in schedule.workload.all_groups for r in g.resources}
        self.world = _World(self.timings, group_of)
        self.ledger = _Ledger()
        self.expected: dict[str, int] = {}
        self.faults = 0
        self.operations = 0
        self.exempt: list[str] = []
        self.log_digest = ""
        self.cluster_time = 0.0
        # The model of what the application committed.
        self.db_model: dict[str, Value | None] = {}
        self.private_model: dict[tuple[str, str], Value] = {}
        self.common_model: dict[tuple[str, str], Value] = {}
        self.group_model: dict[tuple[str, str], Value] = {}
        # Per-simulation resource types (the world reaches instances through their class).
        world = self.world
        self.types: dict[str, type[_SimResource]] = {
            kind: cast(
                "type[_SimResource]",
                type(base.__name__, (base,), {"world": world, "type_name": base.type_name}),
            )
            for kind, base in (
                ("service", _SimResource),
                ("counter", _SimCounter),
                ("disk", _SimDisk),
            )
        }
        self._env: ReferenceEnvironment | None = None
        self._groups: dict[str, Group] = {}
        self._resources: dict[str, Resource] = {}
        self._app_key: ClusterKey | None = None
        self._pending_ops: list[tuple[FaultStep, anyio.Event]] = []
        self._crashed: list[str] = []
        self._id_names: dict[str, str] = {}
        self.events = _EventStreamChecker(self._id_names)
        #: The formatted cluster log of the run (INFORMATION and above), once it ran.
        self.cluster_log = ""

    # -- running ------------------------------------------------------------------------

    async def run(self) -> SimulationReport:
        world = self.world
        t = self.timings
        try:
            world.origin = anyio.current_time()
            async with open_reference_cluster(
                self.schedule.nodes,
                heartbeat_interval=t.heartbeat_interval,
                node_timeout=t.node_timeout,
                loop_block_threshold=None,
            ) as env:
                self._env = env
                cluster = env.cluster
                async with (
                    cluster.notifications(ClusterChange.ALL) as port,
                    cluster.notifications(
                        ClusterChange.RESOURCE_STATE | ClusterChange.GROUP_STATE
                    ) as port2,
                    anyio.create_task_group() as tg,
                ):
                    await self._setup(cluster)
                    await self._sample(port, port2)
                    for step in self.schedule.steps:
                        await self._do(step, tg)
                        await env.advance(step.delay)
                        await self._sample(port, port2)
                    await self._stop_faults(env)
                    await env.advance(t.recovery_bound(self.schedule.workload.dependency_layers()))
                    await self._sample(port, port2)
                    await self._check_end(env)
                    tg.cancel_scope.cancel()
                self.cluster_time = world.now()
                self.cluster_log = env.format_log()
                self.log_digest = hashlib.sha256(self.cluster_log.encode()).hexdigest()
        except Exception as exc:  # the runtime itself broke: report it, with the replay
            self.ledger.violations.append(f"the simulation raised {exc!r}{_where(exc)}")
        if self.tamper is not None:
            self.tamper(world.timeline)
        checked, violations = check_timeline(world.timeline)
        self.ledger.checked += checked
        self.ledger.violations.extend(violations)
        self._check_counter_onlines()
        return SimulationReport(
            seed=self.schedule.seed,
            steps=len(self.schedule.steps),
            nodes=len(self.schedule.nodes),
            quorum=self.schedule.quorum,
            invariants_checked=self.ledger.checked,
            violations=tuple(self.ledger.violations),
            cluster_log_digest=self.log_digest,
            replay_command=self.replay,
            expected_errors=tuple(sorted(self.expected.items())),
            faults=self.faults,
            operations=self.operations,
            exempt_groups=tuple(self.exempt),
            cluster_time=self.cluster_time,
        )

    async def _setup(self, cluster: Cluster) -> None:
        t = self.timings
        for impl in self.types.values():
            await cluster.create_resource_type(
                impl,
                name=impl.type_name,
                looks_alive_poll_interval=t.looks_alive_ms,
                is_alive_poll_interval=t.is_alive_ms,
            )
        workload = self.schedule.workload
        for spec in workload.all_groups:
            group = await cluster.create_group(spec.name)
            self._groups[spec.name] = group
            self._id_names[group.id] = spec.name
            await group.set_preferred_owners(list(spec.preferred))
            changes: dict[str, object] = {
                "auto_failback_type": int(spec.auto_failback),
                "failover_threshold": spec.failover_threshold,
                "failover_period": spec.failover_period,
            }
            if spec.failback_window is not None:
                changes["failback_window_start"], changes["failback_window_end"] = (
                    spec.failback_window
                )
            await group.set_common_properties(**changes)
            for rspec in spec.resources:
                res = await group.create_resource(rspec.name, self.types[rspec.type].type_name)
                self._resources[rspec.name] = res
                self._id_names[res.id] = rspec.name
                await res.set_common_properties(
                    pending_timeout=t.pending_timeout_ms,
                    restart_threshold=t.restart_threshold,
                    restart_period=t.restart_period_ms,
                    retry_period_on_failure=t.retry_period_ms,
                )
                for provider in rspec.depends_on:
                    await res.add_dependency(self._resources[provider])
                if rspec.type == "counter":
                    await res.add_registry_checkpoint(_SimCounter.KEY)
        if workload.quorum_group is not None:
            core = self._groups[workload.quorum_group.name]
            await core.online()
            await cluster.set_quorum_resource(
                self._resources[workload.quorum_group.resources[0].name]
            )
        root = await cluster.root_key()
        self._app_key = await root.create_key("App")
        for spec in workload.groups:
            await self._groups[spec.name].online()

    async def _do(self, step: FaultStep, tg: TaskGroup) -> None:
        env = self._env
        assert env is not None
        k = FaultKind
        kind = step.kind
        if kind.is_fault:
            self.faults += 1
        else:
            self.operations += 1
        knobs = self.world.knobs
        if kind is k.CRASH:
            env.crash_node(step.target)
            self._crashed.append(step.target)
        elif kind is k.RESTART:
            self._crashed.remove(step.target)
            await self._call(step, env.restart_node(step.target))
        elif kind is k.PARTITION:
            env.partition(*step.sides)
        elif kind is k.HEAL:
            env.heal()
        elif kind is k.FAIL_RESOURCE:
            await self._call(step, self._resources[step.target].fail())
        elif kind is k.FAIL_HEALTH:
            knobs[step.target].unhealthy = True
        elif kind is k.HANG:
            knobs[step.target].hang = True
        elif kind is k.SLOW_ONLINE:
            knobs[step.target].slow = True
        elif kind is k.ONLINE_FAILS:
            knobs[step.target].online_raises = True
        elif kind is k.QUORUM_LOST:
            lost, holder = self.world.disk_lost, self.world.disk_holder
            if lost is not None and holder is not None:
                self.world.disk_holder = None  # the device is gone from under it
                lost()
        elif kind in (k.WRITE, k.DELETE_VALUE, k.BATCH):
            await self._database(step)
        elif kind is k.SET_PRIVATE:
            res = self._resources[step.target]
            assert step.value is not None
            if await self._call(step, res.set_private_properties(**{step.prop: step.value})):
                self.private_model[step.target, step.prop] = step.value
        elif kind is k.SET_COMMON:
            res = self._resources[step.target]
            assert step.value is not None
            if await self._call(step, res.set_common_properties(**{step.prop: step.value})):
                self.common_model[step.target, step.prop] = step.value
        elif kind is k.SET_GROUP:
            group = self._groups[step.target]
            assert step.value is not None
            if await self._call(step, group.set_common_properties(**{step.prop: step.value})):
                self.group_model[step.target, step.prop] = step.value
        else:
            self._start_operation(step, tg)

    def _start_operation(self, step: FaultStep, tg: TaskGroup) -> None:
        k = FaultKind
        done = anyio.Event()
        self._pending_ops.append((step, done))

        async def operate() -> None:
            try:
                if step.kind is k.MOVE:
                    await self._call(
                        step, self._groups[step.target].move(step.node, wait=step.wait)
                    )
                elif step.kind is k.ONLINE_GROUP:
                    group = self._groups[step.target]
                    await self._call(step, group.online(step.node, wait=step.wait))
                elif step.kind is k.OFFLINE_GROUP:
                    await self._call(step, self._groups[step.target].offline(wait=step.wait))
                elif step.kind is k.ONLINE_RESOURCE:
                    await self._call(step, self._resources[step.target].online(wait=step.wait))
                elif step.kind is k.OFFLINE_RESOURCE:
                    await self._call(step, self._resources[step.target].offline(wait=step.wait))
            finally:
                done.set()

        tg.start_soon(operate)

    async def _call(self, step: FaultStep, call: Awaitable[object]) -> bool:
        """Await an API call; True if it returned. An expected ClusterError is counted; any
        other exception is a violation."""
        try:
            await call
        except ClusterError as exc:
            code = Win32Error.lookup(exc.winerror)
            if code is not None and code in EXPECTED_ERRORS:
                self.expected[code.name] = self.expected.get(code.name, 0) + 1
                return False
            self.ledger.violations.append(
                f"step {step.describe()}: unexpected {type(exc).__name__} "
                f"({code.name if code is not None else exc.winerror}): {exc}"
            )
            return False
        except Exception as exc:
            self.ledger.violations.append(f"step {step.describe()}: raised {exc!r}{_where(exc)}")
            return False
        return True

    async def _database(self, step: FaultStep) -> None:
        key = self._app_key
        assert key is not None
        k = FaultKind
        if step.kind is k.WRITE:
            assert step.value is not None
            if await self._call(step, key.set_value(step.target, step.value)):
                self.db_model[step.target] = step.value
        elif step.kind is k.DELETE_VALUE:
            if step.target not in self.db_model or self.db_model[step.target] is None:
                return  # deleting a value that is not there is the app's own mistake
            if await self._call(step, key.delete_value(step.target)):
                self.db_model[step.target] = None
        else:
            batch = RegistryBatch()
            pairs = list(step.batch)
            if step.condition:
                # Conditional on the first value being what the app last wrote: a batch the
                # model says must fail (absent value) must change nothing.
                name, _ = pairs.pop(0)
                current = self.db_model.get(name)
                batch.condition_equal(name, current if current is not None else "absent")
            for name, value in pairs:
                batch.set_value(name, value)
            expect_ok = not step.condition or self.db_model.get(step.batch[0][0]) is not None
            try:
                await key.commit(batch)
            except ClusterError as exc:
                if not self.ledger.check(not expect_ok):
                    self.ledger.fail(
                        f"I3 step {step.describe()}: the batch failed though its condition "
                        f"held: {exc}"
                    )
                return
            if not self.ledger.check(expect_ok):
                self.ledger.fail(
                    f"I3 step {step.describe()}: a batch whose condition fails was applied"
                )
            for name, value in pairs:
                self.db_model[name] = value

    # -- I4: notifications --------------------------------------------------------------

    async def _sample(self, port: NotifyPort, port2: NotifyPort) -> None:
        """Drain both ports and read every state through the API, in one loop turn: the
        reference backend answers reads without suspending, and no event may be emitted
        while the sample is taken (else the windows would not be exact: a harness error)."""
        env = self._env
        assert env is not None
        emitted = env.events_emitted
        events = _drain(port)
        events2 = _drain(port2)
        states: dict[str, object] = {}
        for group in self._groups.values():
            states[group.id] = await group.state_info()
        for res in self._resources.values():
            states[res.id] = await res.state()
        now = self.world.now()
        if env.events_emitted != emitted:
            self.ledger.violations.append(
                f"I4 harness: {env.events_emitted - emitted} event(s) emitted while sampling "
                f"at t={now:.3f}; the state reads let the loop run"
            )
        self.events.observe(now, states, events, events2, self.ledger)

    # -- stopping and the final checks --------------------------------------------------

    async def _stop_faults(self, env: ReferenceEnvironment) -> None:
        env.heal()
        for knobs in self.world.knobs.values():
            knobs.hang = knobs.slow = knobs.unhealthy = knobs.online_raises = False
        for name in list(self._crashed):
            try:
                await env.restart_node(name)
            except ClusterError as exc:
                self.ledger.violations.append(f"stop: restarting {name} raised {exc!r}")
        self._crashed.clear()

    async def _check_end(self, env: ReferenceEnvironment) -> None:
        ledger = self.ledger
        cluster = env.cluster
        now = self.world.now()
        # I2: nodes up, calls returned, persistent groups online.
        for node in await cluster.nodes():
            state = await node.state()
            if not ledger.check(state is NodeState.UP):
                ledger.fail(
                    f"I2 at t={now:.3f}: node {node.name} is {state.name} after the faults stopped"
                )
        for step, done in self._pending_ops:
            if not ledger.check(done.is_set()):
                ledger.fail(
                    f"I2: the call of step {step.describe()} has not returned "
                    f"{now:.3f} s into the run"
                )
        log_text = [e for e in env.log if _GIVE_UP in e.message]
        for spec in self.schedule.workload.all_groups:
            await self._check_group(spec, log_text, now)
        # I3a: the cluster database.
        key = self._app_key
        assert key is not None
        databases = {node: env.node_database(node) for node in self.schedule.nodes}
        for name, expected in sorted(self.db_model.items()):
            try:
                got: object = await key.value(name)
            except ClusterError:
                got = None
            if not ledger.check(got == expected):
                ledger.fail(
                    f"I3 at t={now:.3f}: App\\{name} reads {got!r} through the API, the app "
                    f"committed {expected!r} last"
                )
            for node_name, db in databases.items():
                held = db.get("App", {}).get(name)
                if not ledger.check(held == expected):
                    ledger.fail(
                        f"I3 at t={now:.3f}: node {node_name}'s cluster database holds "
                        f"App\\{name} = {held!r}, the app committed {expected!r} last"
                    )
        # I3b: properties.
        for (rname, prop), value in sorted(self.private_model.items()):
            props = await self._resources[rname].private_properties()
            got = props.get(prop[0].upper() + prop[1:])
            if not ledger.check(got == value):
                ledger.fail(
                    f"I3: private property {prop} of {rname!r} reads {got!r}, set to {value!r}"
                )
        for (rname, prop), value in sorted(self.common_model.items()):
            common = await self._resources[rname].common_properties()
            got = getattr(common, prop)
            if not ledger.check(got == value):
                ledger.fail(
                    f"I3: common property {prop} of {rname!r} reads {got!r}, set to {value!r}"
                )
        for (gname, prop), value in sorted(self.group_model.items()):
            gcommon = await self._groups[gname].common_properties()
            got = getattr(gcommon, prop)
            if not ledger.check(got == value):
                ledger.fail(
                    f"I3: property {prop} of group {gname!r} reads {got!r}, set to {value!r}"
                )
        # I3c: the counter's captured count.
        counter = self._resources.get("g0r0")
        if counter is not None:
            captured = await _captured_count(counter)
            last = self.world.counter_last
            if not ledger.check(captured == last or (captured is None and last == 0)):
                ledger.fail(
                    f"I3 at t={now:.3f}: the cluster database captured count "
                    f"{captured!r}, the counter's last increment was {last}"
                )

    async def _check_group(
        self, spec: GroupSpec, give_ups: list[ClusterLogEntry], now: float
    ) -> None:
        ledger = self.ledger
        group = self._groups[spec.name]
        if not (await group.common_properties()).persistent_state:
            return
        gave_up = {e.source for e in give_ups}
        for rspec in spec.resources:
            if (
                f"resource {rspec.name}" in gave_up
                and await self._resources[rspec.name].state() is ResourceState.FAILED
            ):
                self.exempt.append(spec.name)  # documented: only an administrator helps
                return
        persistent: dict[str, bool] = {}
        for rspec in spec.resources:
            common = await self._resources[rspec.name].common_properties()
            persistent[rspec.name] = common.persistent_state
        wanted: dict[str, bool] = {}
        for rspec in spec.resources:  # providers first
            wanted[rspec.name] = persistent[rspec.name] and all(wanted[d] for d in rspec.depends_on)
        for rspec in spec.resources:
            if not wanted[rspec.name]:
                continue
            state = await self._resources[rspec.name].state()
            if not ledger.check(state is ResourceState.ONLINE):
                ledger.fail(
                    f"I2 at t={now:.3f}: resource {rspec.name!r} of group {spec.name!r} "
                    f"(PersistentState set) is {state.name} after the faults stopped"
                )
        if all(wanted.values()):
            info = await group.state_info()
            if not ledger.check(info.state is GroupState.ONLINE):
                ledger.fail(
                    f"I2 at t={now:.3f}: group {spec.name!r} (PersistentState set) is "
                    f"{info.state.name} on {info.owner} after the faults stopped"
                )

    def _check_counter_onlines(self) -> None:
        for at, node, start, last in self.world.counter_checks:
            if not self.ledger.check(start >= last):
                self.ledger.fail(
                    f"I3 at t={at:.3f}: the counter came online on {node} at count {start}, "
                    f"below its last increment {last}: checkpointed data was lost"
                )


def _state_text(state: object) -> str:
    """A sampled state for a message: ``ONLINE``, or ``ONLINE on NODE2`` for a group."""
    if isinstance(state, enum.Enum):
        return state.name
    group_state, owner = getattr(state, "state", None), getattr(state, "owner", None)
    if isinstance(group_state, enum.Enum):
        return f"{group_state.name} on {owner}"
    return repr(state)


def _where(exc: BaseException) -> str:
    """`` (at file:line in function)`` of the innermost frame of the innermost exception."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    tb = exc.__traceback__
    if tb is None:
        return ""
    while tb.tb_next is not None:
        tb = tb.tb_next
    code = tb.tb_frame.f_code
    return f" (at {code.co_filename}:{tb.tb_lineno} in {code.co_name})"


def _drain(port: NotifyPort) -> list[Notification]:
    events: list[Notification] = []
    while True:
        try:
            events.append(port.receive_nowait())
        except anyio.WouldBlock:
            return events


async def _captured_count(counter: Resource) -> int | None:
    """The counter's Count as captured into the cluster database (its checkpoint key)."""
    key = await counter.key()
    try:
        checkpoints = await key.open_key("Checkpoints")
    except ClusterError:
        return None
    for sub in await checkpoints.keys():
        values = await (await checkpoints.open_key(sub)).values()
        count = values.get("Count")
        if isinstance(count, int):
            return count
    return None


# ============================================================================ entry points


def run_fault_schedule(
    seed: int,
    *,
    steps: int = 200,
    nodes: int = 4,
    quorum: bool | None = None,
    groups: int = 8,
    timings: SimulationTimings | None = None,
    tamper: Callable[[list[TimelineEvent]], None] | None = None,
) -> SimulationReport:
    """Generate the schedule of ``seed`` and run it on a fresh cluster on a virtual clock, in
    its own ``anyio.run``; return what the invariant checker found.

    Args:
        seed: the seed of ``random.Random``: the whole run follows from it.
        steps: how many fault/work steps.
        nodes: the cluster's size.
        quorum: with a quorum disk (True), majority quorum (False), or the seed decides (None).
        groups: application groups (besides the quorum group).
        timings: the timeouts; the defaults suit the benchmark.
        tamper: called with the recorded timeline before it is checked (to test the checker).
    """
    return _simulate(seed, steps, nodes, quorum, groups, timings, tamper).report


@attrs.frozen
class _Outcome:
    report: SimulationReport
    cluster_log: str


def _simulate(
    seed: int,
    steps: int,
    nodes: int,
    quorum: bool | None,
    groups: int = 8,
    timings: SimulationTimings | None = None,
    tamper: Callable[[list[TimelineEvent]], None] | None = None,
) -> _Outcome:
    timings = timings or SimulationTimings()
    schedule = FaultSchedule.generate(
        seed, steps=steps, nodes=nodes, quorum=quorum, groups=groups, timings=timings
    )
    sim = FaultSimulation(
        schedule,
        timings=timings,
        replay=replay_command(seed, steps, nodes, quorum, groups),
        tamper=tamper,
    )
    clock = VirtualClock()
    report: SimulationReport = anyio.run(
        sim.run, backend="asyncio", backend_options={"loop_factory": clock.new_event_loop}
    )
    return _Outcome(report, sim.cluster_log)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m clusapi.testing.faults``: run (replay) seeds; exit 1 if one failed."""
    parser = argparse.ArgumentParser(
        prog=f"python -m {_REPLAY_MODULE}",
        description="Run seeded fault schedules on a reference cluster on virtual time and "
        "check the invariants (see clusapi.testing._faults).",
    )
    parser.add_argument("--seed", type=int, default=0, help="the (first) seed (default 0)")
    parser.add_argument("--seeds", type=int, default=1, help="how many seeds from --seed (1)")
    parser.add_argument("--steps", type=int, default=200, help="steps per seed (200)")
    parser.add_argument("--nodes", type=int, default=4, help="cluster size (4)")
    parser.add_argument("--groups", type=int, default=8, help="application groups (8)")
    quorum = parser.add_mutually_exclusive_group()
    quorum.add_argument(
        "--quorum", dest="quorum", action="store_true", default=None, help="with a quorum disk"
    )
    quorum.add_argument("--no-quorum", dest="quorum", action="store_false", help="majority quorum")
    parser.add_argument("--schedule", action="store_true", help="print each seed's schedule")
    parser.add_argument("--log", action="store_true", help="print each seed's cluster log")
    args = parser.parse_args(argv)
    failed = checked = 0
    started = time.perf_counter()
    for seed in range(args.seed, args.seed + args.seeds):
        if args.schedule:
            schedule = FaultSchedule.generate(
                seed, steps=args.steps, nodes=args.nodes, quorum=args.quorum, groups=args.groups
            )
            print(schedule.describe())
        outcome = _simulate(seed, args.steps, args.nodes, args.quorum, args.groups)
        report = outcome.report
        if args.log:
            print(outcome.cluster_log)
        print(report.summary())
        checked += report.invariants_checked
        if not report.ok:
            failed += 1
            print(report.failure_message(limit=50))
    elapsed = time.perf_counter() - started
    print(
        f"{args.seeds} seed(s) x {args.steps} steps: {checked} invariants checked, "
        f"{failed} seed(s) with violations, {elapsed:.2f} s wall"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
