"""The schedule: a seeded workload (groups, resources, dependencies) and the fault and work
steps drawn from ``random.Random(seed)`` alone."""

from __future__ import annotations

import enum
import itertools
import random
from typing import Final

import attrs


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
    """A resource of the workload: name, type ("service", "counter" or "disk", or "user0",
    "user1", ... for the user's types under test), providers."""

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

    def with_user_types(self, count: int) -> WorkloadSpec:
        """The workload with every "service" resource of the application groups made one of
        ``count`` user types, in turn ("user0", "user1", ...); the counter and the quorum disk
        stay (their checks need them). Names, dependencies and steps do not change."""
        if count == 0:
            return self
        turn = itertools.cycle(range(count))
        groups = tuple(
            attrs.evolve(
                group,
                resources=tuple(
                    attrs.evolve(res, type=f"user{next(turn)}") if res.type == "service" else res
                    for res in group.resources
                ),
            )
            for group in self.groups
        )
        return attrs.evolve(self, groups=groups)

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
        user_types: int = 0,
    ) -> FaultSchedule:
        """Draw a schedule. ``quorum=None``: the seed decides (about half have a quorum disk).

        ``user_types``: how many user types run instead of the simulated service (see
        :meth:`WorkloadSpec.with_user_types`); the draw itself does not depend on it, so a
        seed's steps are the same with and without them.
        """
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
        drawn = tuple(gen.step(i) for i in range(steps))
        return cls(seed, names, with_quorum, workload.with_user_types(user_types), drawn)

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
