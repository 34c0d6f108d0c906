"""Runs one schedule on a fresh reference cluster and checks the invariants (docs/testing.md,
"Seeded fault simulation")."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Final, cast

import anyio

from clusapi._enums import ClusterChange, GroupState, NodeState, ResourceState
from clusapi._errors import ClusterError
from clusapi._key import RegistryBatch
from clusapi._win32 import Win32Error

from .._env import open_reference_cluster
from ._checks import TimelineEvent, _EventStreamChecker, _Ledger, check_timeline
from ._report import SimulationReport, replay_command
from ._resources import _SimCounter, _SimDisk, _SimResource, _World
from ._schedule import FaultKind, SimulationTimings, Value
from ._user_types import ResolvedTypes, instrument

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from anyio.abc import TaskGroup

    from clusapi._backends.reference._model import ClusterLogEntry
    from clusapi._cluster import Cluster
    from clusapi._group import Group
    from clusapi._key import ClusterKey
    from clusapi._notify import NotifyPort
    from clusapi._resource import Resource
    from clusapi._values import Notification
    from resapi import Resource as ResourceType

    from .._env import ReferenceEnvironment
    from ._schedule import FaultSchedule, FaultStep, GroupSpec


#: Errors the API raises for an operation that is legitimately impossible while faults happen;
#: an administrative call that raises one of these is counted, not a violation.
EXPECTED_ERRORS: Final = frozenset(
    {
        Win32Error.ERROR_INVALID_STATE,  # the group or resource is pending / busy
        Win32Error.ERROR_RESMON_INVALID_STATE,  # fail() of a resource that is not online or pending
        Win32Error.ERROR_HOST_NODE_NOT_AVAILABLE,  # no node can host the group, or the node is down
        Win32Error.ERROR_HOST_NODE_NOT_RESOURCE_OWNER,
        Win32Error.ERROR_SHARING_PAUSED,
        Win32Error.ERROR_RESOURCE_FAILED,  # the online ran, and a resource failed (a fault)
        Win32Error.ERROR_INVALID_OPERATION_ON_QUORUM,  # offline of the quorum resource or its group
        Win32Error.ERROR_CLUSTER_NODE_DOWN,
    }
)


#: The group failure policy's documented final give-up (research clusapi.md §7.4).
_GIVE_UP: Final = "the final retry after RetryPeriodOnFailure failed"


class FaultSimulation:
    """Runs one :class:`FaultSchedule` on a fresh reference cluster (docs/testing.md).

    ``await sim.run()`` must run on a :class:`VirtualClock` loop (``run_fault_schedule`` does
    that). ``tamper`` is called with the recorded timeline before the checks, for tests of the
    checker itself. ``types``: the user's types under test, which the schedule's "user0",
    "user1", ... resources are (``FaultSchedule.generate(user_types=...)``).

    Raises:
        PropertyError: a user type's property values for one of its resources are refused.
    """

    def __init__(
        self,
        schedule: FaultSchedule,
        *,
        timings: SimulationTimings | None = None,
        replay: str | None = None,
        tamper: Callable[[list[TimelineEvent]], None] | None = None,
        types: ResolvedTypes | None = None,
    ) -> None:
        self.schedule = schedule
        self.timings = timings or SimulationTimings()
        self.replay = replay or replay_command(schedule.seed, len(schedule.steps))
        self.tamper = tamper
        group_of = {r.name: g.name for g in schedule.workload.all_groups for r in g.resources}
        self.world = _World(self.timings, group_of)
        self.world.seed = schedule.seed
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
        self.types: dict[str, type[ResourceType]] = {
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
        # The user's types, instrumented, and their resources' property values (checked now,
        # so that a refused value raises here, not as a violation of the run).
        self.user_values: dict[str, dict[str, object]] = {}
        user = types or ResolvedTypes.resolve(None)
        used = {r.type for g in schedule.workload.all_groups for r in g.resources}
        for i, (spec, cls) in enumerate(zip(user.types, user.classes, strict=True)):
            kind = f"user{i}"
            if kind not in used:
                continue
            self.types[kind] = instrument(cls, world)
            mine = [r.name for g in schedule.workload.groups for r in g.resources if r.type == kind]
            for index, name in enumerate(mine):
                self.user_values[name] = spec.values_for(cls, index)
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
        self.ledger.checked += checked + world.contract_checks
        self.ledger.violations.extend(violations)
        # A user type's broken contract first: it is the cause of what follows it.
        self.ledger.violations[:0] = world.breaches
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
                if rspec.name in self.user_values:
                    await res.set_private_properties(**self.user_values[rspec.name])
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
        elif kind is k.SET_PRIVATE and step.target in self.user_values:
            pass  # the simulated service's label and weight: a user type has its own
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
        def reads_back(what: str, got: object, value: Value) -> None:
            if not ledger.check(got == value):
                ledger.fail(f"I3: {what} reads {got!r}, set to {value!r}")

        for (rname, prop), value in sorted(self.private_model.items()):
            props = await self._resources[rname].private_properties()
            got = props.get(prop[0].upper() + prop[1:])
            reads_back(f"private property {prop} of {rname!r}", got, value)
        for (rname, prop), value in sorted(self.common_model.items()):
            common = await self._resources[rname].common_properties()
            reads_back(f"common property {prop} of {rname!r}", getattr(common, prop), value)
        for (gname, prop), value in sorted(self.group_model.items()):
            gcommon = await self._groups[gname].common_properties()
            reads_back(f"property {prop} of group {gname!r}", getattr(gcommon, prop), value)
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
