"""The reference runtime: a whole cluster in one process, as a :class:`~clusapi.lowlevel.Backend`.

Each simulated node runs a node service (heartbeats) and a Resource Monitor (one
:class:`~resapi._monitor._host.ResourceHost` per resource it hosts, plus health polls). The Failover
Manager here applies the pure policy of :mod:`._policy` (placement, restart and failover
thresholds, failback windows, dependency order) to what the monitors report, and the Event
Processor (:class:`._events.EventBus`) tells every notify port about each change as it happens.

All timers read the event loop's clock, so on a :class:`~clusapi.testing.VirtualClock` hours
of cluster time pass in milliseconds and the same run gives the same cluster log.

An Online that raises ``resapi.CannotComeOnlineOnThisNode`` / ``...OnAnyNode`` (an OCF agent's
``start`` exiting 5 / 6) is not restarted: the node is left out of the resource's possible
owners for the failover manager's own placements, or the resource stays Failed everywhere,
until an administrator brings it or its group online, or moves the group
(:class:`clusapi._policy.NodeExclusions`). Each node has its own directory for temporary files (its
``TEMP``), made when the cluster starts and removed when it closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import re
import shutil
import tempfile
from typing import TYPE_CHECKING, Any, Final, TypeVar

import anyio

from clusapi import _policy as policy
from clusapi._common import (
    INHERIT,
    GroupCommonProperties,
    ResourceCommonProperties,
    ResourceTypeCommonProperties,
)
from clusapi._core._clock import current_clock
from clusapi._core._registry_tree import RegistryTree
from clusapi._enums import (
    ClusterChange,
    FailbackType,
    GroupState,
    LogLevel,
    NodeState,
    ResourceState,
    RestartAction,
)
from clusapi._errors import (
    ClusterError,
    InvalidParameterError,
    make_error,
)
from clusapi._registry import RegValue
from clusapi._rules import require_name
from clusapi._win32 import Win32Error
from resapi._monitor._host import InstanceHost, ResourceHost
from resapi._monitor._process_host import ProcessHost
from resapi._monitor._watchdog import PendingWatchdog
from resapi._resource import NODE_ENVIRONMENT_KEY

from ._events import EventBus
from ._loopwatch import LoopWatch
from ._model import (
    ClusterLogEntry,
    GroupRecord,
    NodeRecord,
    Registry,
    ResourceRecord,
    TypeRecord,
)
from ._poller import Poller
from ._registry_sync import RegistrySync

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterator

    from anyio.abc import TaskGroup
    from anyio.streams.memory import MemoryObjectSendStream

    from clusapi._backend import Operation
    from clusapi._values import Notification
    from resapi._records import FailureReport, LogEntry, ResourceStatus

__all__ = ("ReferenceRuntime",)

T = TypeVar("T")
W = Win32Error
#: A separate monitor process that grows past this much resident memory is recycled: a
#: leaking resource fails alone, and the OS takes its memory back.
SEPARATE_MONITOR_MEMORY_LIMIT: Final = 1 << 30

#: States in which an instance runs (or may): it must be stopped before another starts.
_UP_STATES: Final = frozenset(
    {ResourceState.ONLINE, ResourceState.ONLINE_PENDING, ResourceState.OFFLINE_PENDING}
)
_PENDING_STATES: Final = frozenset(
    {ResourceState.ONLINE_PENDING, ResourceState.OFFLINE_PENDING, ResourceState.PENDING}
)


class _HostListener:
    """Routes one host's reports to the runtime, tagged with where they came from."""

    __slots__ = ("incarnation", "node", "resource", "runtime")

    def __init__(
        self, runtime: ReferenceRuntime, resource: ResourceRecord, node: NodeRecord
    ) -> None:
        self.runtime = runtime
        self.resource = resource
        self.node = node
        self.incarnation = node.incarnation

    def _current(self) -> bool:
        # Reports from a crashed node's instances, or about a deleted resource, are void.
        return (
            self.node.alive
            and self.node.incarnation == self.incarnation
            and not (self.resource.deleted)
        )

    def on_status(self, status: ResourceStatus) -> None:
        if self._current():
            self.runtime.resource_reported(self.resource, self.node, status.state)

    def on_log(self, entry: LogEntry) -> None:
        if self._current():
            self.runtime.log(
                entry.level, f"{entry.type_name} {entry.resource}", entry.message, node=self.node
            )

    def on_failure(self, report: FailureReport) -> None:
        if self._current():
            self.runtime.log(
                LogLevel.WARNING,
                f"resource {self.resource.name}",
                f"signalled failure {report.failure_type.name} ({report.application_error})",
                node=self.node,
            )


class ReferenceRuntime(RegistrySync):
    """The in-process cluster behind :func:`clusapi.testing.open_reference_cluster`.

    Use it through :class:`~clusapi.Cluster` (it is that cluster's backend) and the test
    controls of the environment; do not call its methods from application code.
    """

    name = "reference"

    def __init__(
        self,
        cluster_name: str,
        node_names: tuple[str, ...],
        task_group: TaskGroup,
        *,
        heartbeat_interval: float = 1.0,
        node_timeout: float = 5.0,
        start_hour: float = 0.0,
        loop_block_threshold: float | None = 1.0,
    ) -> None:
        if not node_names:
            raise InvalidParameterError(
                W.ERROR_INVALID_PARAMETER,
                "a cluster needs at least one node",
                fix="pass nodes=('NODE1', 'NODE2')",
            )
        self.cluster_name = cluster_name
        self.task_group = task_group
        #: The quorum resource (clusapi.md §7.8) and the node that holds its device.
        self.quorum_id: str | None = None
        self.quorum_holder: str | None = None
        #: The interconnect's sides (node ids) when cut by the environment, and since when.
        self.partition: list[frozenset[str]] | None = None
        self.partition_since = 0.0
        #: Nodes whose resource reported QuorumResourceLost since the last round.
        self.lost_quorum: set[str] = set()
        self.heartbeat_interval = heartbeat_interval
        self.node_timeout = node_timeout
        self.start_hour = start_hour
        self.loop_block_threshold = loop_block_threshold
        self._loop_watch: LoopWatch | None = None
        #: The cluster's clock (the event loop's: virtual under a VirtualClock).
        self.now = current_clock()
        #: Loop time when the cluster formed: cluster time (log, events, hour of day) counts
        #: from here, so two clusters run one after another in a loop log the same times.
        self.origin = self.now()
        self.events = EventBus(self.cluster_time)
        #: The cluster database: one replicated registry (nodes that are up share it; a node
        #: that goes down keeps the copy it had, and takes the current one when it rejoins).
        self.database = RegistryTree(
            on_change=self._database_changed, before_change=self._copy_for_down_nodes
        )
        #: Nodes that went down since the database last changed: they still see it as is.
        self._frozen_for: set[str] = set()
        #: Registered REGISTRY_* ports: (key path, subtree, filter mask, stream).
        self.registry_ports: list[tuple[str, bool, int, MemoryObjectSendStream[Notification]]] = []
        self.cluster_log: list[ClusterLogEntry] = []
        self.nodes: Registry[NodeRecord] = Registry("node")
        self.groups: Registry[GroupRecord] = Registry("group")
        self.resources: Registry[ResourceRecord] = Registry("resource")
        self.types: dict[str, TypeRecord] = {}
        self._ids = 0
        self._closed = False
        #: Names of deleted or evicted objects by id, so old handles hear what they named.
        self.gone: dict[str, str] = {}
        #: Where each resource must not come online automatically (resource id → nodes by id),
        #: after its Online said it cannot (policy.NodeExclusions); cleared by an
        #: administrator's online or move.
        self.exclusions: dict[str, policy.NodeExclusions] = {}
        #: What the last failed Online of a resource reported about where it cannot come
        #: online, until its Failed report arrives (resource id → state).
        self._reported_scope: dict[str, ResourceState] = {}
        #: This cluster's own directory for the nodes' temporary files (each node's TEMP is a
        #: directory in it): made by start(), removed by aclose().
        self.temp_root: str | None = None
        for name in node_names:
            if self.nodes.find(check_name("node", name)) is not None:
                raise make_error(
                    W.ERROR_CLUSTER_NODE_EXISTS,
                    f"node name {name!r} is given twice",
                    fix="give each node a distinct name",
                )
            node = NodeRecord(self.new_id("node"), name, len(self.nodes.by_id) + 1)
            # The node-local registry (its HKLM): it survives crashes, as a disk does.
            node.local = RegistryTree(
                on_change=functools.partial(self._local_changed, node),
                label=f"the local registry of node {name!r}",
            )
            self.nodes.add(node)
            self.database.create_key(object_key_path("node", node.id))
            self.database.set_value(
                object_key_path("node", node.id), "NodeName", RegValue.from_python(name)
            )

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Start every node's service and the membership monitor."""
        self._make_node_directories()
        for node in self.nodes:
            await self._start_node_service(node)
        self.task_group.start_soon(self._membership_loop)
        if self.loop_block_threshold is not None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # not asyncio: trio reports blocking on its own
                loop = None
            if loop is not None:
                self._loop_watch = LoopWatch(
                    loop,
                    lambda message: self.log(LogLevel.ERROR, "monitor", message),
                    threshold=self.loop_block_threshold,
                )
                self._loop_watch.start()
        self.log(
            LogLevel.INFORMATION,
            "cluster",
            f"cluster {self.cluster_name!r} formed with {len(self.nodes.by_id)} nodes",
        )

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._loop_watch is not None:
            self._loop_watch.stop()
        with anyio.CancelScope(shield=True):
            for node in self.nodes:
                for host in list(node.hosts.values()):
                    await host.close()
                node.hosts.clear()
        if self.temp_root is not None:
            # Every instance is closed: nothing runs in the nodes' directories any more.
            shutil.rmtree(self.temp_root, ignore_errors=True)
            self.temp_root = None
        self.events.close()
        for *_, send in self.registry_ports:
            send.close()
        self.registry_ports.clear()

    def _make_node_directories(self) -> None:
        """Give each node a directory for temporary files of its own, as its ``TEMP``.

        All simulated nodes share one machine; a resource that keeps files per node (an OCF
        agent's state file under ``HA_RSCTMP``, a pid file) finds its node's directory in the
        node's system environment (``Resource.temp_directory``), so two simulated nodes, or
        two clusters with the same node names, never see each other's files.
        """
        if self.temp_root is not None:
            return
        self.temp_root = tempfile.mkdtemp(prefix="clusapi-cluster-")
        for node in self.nodes:
            safe = re.sub(r"[^A-Za-z0-9_.-]", "_", node.name)
            path = os.path.join(self.temp_root, f"{node.number}-{safe}")
            os.makedirs(path, exist_ok=True)
            node.local.create_key(NODE_ENVIRONMENT_KEY)
            for name in ("TEMP", "TMP"):
                node.local.set_value(NODE_ENVIRONMENT_KEY, name, RegValue.from_python(path))

    # -- the Backend seam --------------------------------------------------------------------

    async def execute(self, operation: Operation[T]) -> T:
        if self._closed:
            raise make_error(
                W.ERROR_CLUSTER_NODE_DOWN,
                f"cluster {self.cluster_name!r} is closed",
                fix="open the cluster again",
            )
        handler = _HANDLERS.get(type(operation))
        if handler is None:
            raise make_error(
                W.ERROR_NOT_SUPPORTED,
                f"the reference runtime does not implement {type(operation).__name__}",
            )
        result: T = await handler(self, operation)
        return result

    # -- logging and ids ---------------------------------------------------------------------

    def log(
        self, level: LogLevel, source: str, message: str, *, node: NodeRecord | None = None
    ) -> None:
        where = node.name if node is not None else "-"
        self.cluster_log.append(ClusterLogEntry(self.cluster_time(), where, source, level, message))

    def new_id(self, kind: str) -> str:
        # Deterministic ids (a counter, not uuid4): the same run gives the same cluster log.
        self._ids += 1
        return f"{kind}-{self._ids:06d}"

    # -- lookups -----------------------------------------------------------------------------

    def find_node(self, name: str) -> NodeRecord:
        """The node called ``name`` (a caller's argument: checked, case-insensitive)."""
        node = self.nodes.find(check_name("node", name))
        if node is None:
            raise make_error(
                W.ERROR_CLUSTER_NODE_NOT_FOUND,
                f"no node named {name!r} in cluster {self.cluster_name!r}",
                fix="list the nodes with `await cluster.nodes()`",
            )
        return node

    def node_record(self, node_id: str) -> NodeRecord:
        """The node behind a handle's id; an evicted one is reported by its name."""
        node = self.nodes.by_id.get(node_id)
        if node is None:
            raise make_error(
                W.ERROR_CLUSTER_NODE_NOT_FOUND,
                f"node {self.gone.get(node_id, node_id)!r} was evicted",
                fix="open a node that is still a member",
            )
        return node

    def group_record(self, group_id: str) -> GroupRecord:
        group = self.groups.by_id.get(group_id)
        if group is None:
            raise make_error(
                W.ERROR_GROUP_NOT_AVAILABLE,
                f"group {self.gone.get(group_id, group_id)!r} was deleted",
                fix="open the group again by name",
            )
        return group

    def resource_record(self, resource_id: str) -> ResourceRecord:
        res = self.resources.by_id.get(resource_id)
        if res is None:
            raise make_error(
                W.ERROR_RESOURCE_NOT_AVAILABLE,
                f"resource {self.gone.get(resource_id, resource_id)!r} was deleted",
                fix="open the resource again by name",
            )
        return res

    def type_record(self, name: str) -> TypeRecord:
        rtype = self.types.get(check_name("resource type", name).casefold())
        if rtype is None:
            known = ", ".join(repr(t.name) for t in self.types.values()) or "none"
            raise make_error(
                W.ERROR_CLUSTER_RESOURCE_TYPE_NOT_FOUND,
                f"no resource type named {name!r} (registered: {known})",
                fix="register it with `await cluster.create_resource_type(...)`",
            )
        return rtype

    def _group_resources(self, group: GroupRecord) -> list[ResourceRecord]:
        return [self.resources.by_id[r] for r in group.resources]

    # -- notifications and state -------------------------------------------------------------

    def set_resource_state(self, res: ResourceRecord, state: ResourceState) -> None:
        previous = res.state
        if previous is state:
            return
        res.state = state
        self.events.emit(ClusterChange.RESOURCE_STATE, res.name, res.id)
        group = self.groups.by_id.get(res.group)
        if group is not None:
            # Keep the group's per-state counts current: deriving its state is then O(1), not
            # a walk over its resources on every change (this is the hot path of big onlines).
            counts = group.state_counts
            counts[previous] -= 1
            counts[state] = counts.get(state, 0) + 1
            self._derive_group_state(group)

    def refresh_group_state(self, group: GroupRecord) -> None:
        """Recount a group's resources (after resources join or leave it) and derive its state."""
        counts: dict[ResourceState, int] = {}
        for rid in group.resources:
            state = self.resources.by_id[rid].state
            counts[state] = counts.get(state, 0) + 1
        group.state_counts = counts
        self._derive_group_state(group)

    def _derive_group_state(self, group: GroupRecord) -> None:
        counts = group.state_counts
        state = policy.derive_group_state([s for s in counts if counts[s]])
        if state is not group.state:
            group.state = state
            self.events.emit(ClusterChange.GROUP_STATE, group.name, group.id)

    def resource_reported(
        self,
        res: ResourceRecord,
        node: NodeRecord,
        state: ResourceState,
        *,
        attempt: bool = False,
    ) -> None:
        """A monitor reported a state of ``res`` (the host's listener calls this).

        ``attempt``: the report ends an online attempt the runtime made itself (open or
        arbitration failed): a failure then counts even if the resource was already Failed.

        A CANNOT_COME_ONLINE_ON_THIS_NODE / _ON_ANY_NODE report (its Online raised
        ``resapi.CannotComeOnline``) is not a state the resource takes: it is noted in the
        resource's exclusions, and the Failed report that follows it is handled with it.
        """
        if state in policy.CANNOT_COME_ONLINE_STATES:
            self._cannot_come_online(res, node, state)
            return
        previous = res.state
        self.set_resource_state(res, state)
        if state is ResourceState.ONLINE:
            res.retried = False  # healthy again: a later failure gets the whole policy
        if state is ResourceState.FAILED and (attempt or previous is not ResourceState.FAILED):
            res.failed_at = self.now()
            scope = self._reported_scope.pop(res.id, ResourceState.FAILED)
            if not res.stopping:
                self.log(LogLevel.ERROR, f"resource {res.name}", "failed", node=node)
                res.generation += 1
                self.task_group.start_soon(self._handle_failure, res, node, res.generation, scope)
        elif state is not ResourceState.ONLINE_PENDING:
            self._reported_scope.pop(res.id, None)

    def _cannot_come_online(
        self, res: ResourceRecord, node: NodeRecord, state: ResourceState
    ) -> None:
        self._reported_scope[res.id] = state
        self.exclusions[res.id] = self.exclusions.get(res.id, policy.NodeExclusions()).record(
            state, node.id
        )
        where = "any node" if state is ResourceState.CANNOT_COME_ONLINE_ON_ANY_NODE else node.name
        self.log(
            LogLevel.WARNING,
            f"resource {res.name}",
            f"its Online reported {state.name}: it is not brought online on {where} again "
            "until an administrator brings it (or its group) online or moves the group",
            node=node,
        )

    def clear_exclusions(self, resources: list[ResourceRecord]) -> None:
        """An administrator asked for these resources to come online: try every node again."""
        for res in resources:
            if self.exclusions.pop(res.id, None):
                self.log(
                    LogLevel.INFORMATION,
                    f"resource {res.name}",
                    "brought online by an administrator: the nodes its Online ruled out are "
                    "tried again",
                )

    def forget_node_exclusions(self, node_id: str) -> None:
        """The node was evicted: no exclusion names it any more."""
        for rid, excluded in list(self.exclusions.items()):
            self.exclusions[rid] = excluded.without_node(node_id)

    def forget_resource_exclusions(self, res: ResourceRecord) -> None:
        """The resource was deleted."""
        self.exclusions.pop(res.id, None)
        self._reported_scope.pop(res.id, None)

    def _excluded(self, res: ResourceRecord, node: NodeRecord) -> bool:
        excluded = self.exclusions.get(res.id)
        return excluded is not None and not excluded.allows(node.id)

    # -- node service and membership ---------------------------------------------------------

    async def _start_node_service(self, node: NodeRecord) -> None:
        node.alive = True
        node.last_heartbeat = self.now()
        scope = anyio.CancelScope()
        node.scopes[scope] = None
        await self.task_group.start(self._node_service, node, scope)

    async def _node_service(
        self,
        node: NodeRecord,
        scope: anyio.CancelScope,
        *,
        task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED,
    ) -> None:
        """The node's processes: heartbeats, and the task group of its Resource Monitor
        (poll loop, resource workers). A crash cancels ``scope``: all of it stops at once."""
        with scope:
            async with anyio.create_task_group() as tg:
                node.task_group = tg
                node.poller = Poller(tg, self.now)
                node.watchdog = PendingWatchdog(tg, self.now)
                task_status.started()
                while True:
                    node.last_heartbeat = self.now()
                    await anyio.sleep(self.heartbeat_interval)

    async def _membership_loop(self) -> None:
        while True:
            await anyio.sleep(self.heartbeat_interval)
            await self.regroup()

    # -- membership and quorum -----------------------------------------------------------------

    def _heard(self, node: NodeRecord) -> bool:
        """Its heartbeats still count: the last one is less than node_timeout old (a crashed
        node is still counted in until then: nobody has noticed yet)."""
        return self.now() - node.last_heartbeat <= self.node_timeout

    def components(self) -> list[list[NodeRecord]]:
        """The groups of running nodes that hear each other, in node order.

        A cut of the interconnect takes effect when its heartbeats have been missed for
        ``node_timeout``; until then the nodes still count each other in.
        """
        heard = [n for n in self.nodes if self._heard(n)]
        sides = self.partition
        if sides is None or self.now() - self.partition_since < self.node_timeout:
            return [heard] if heard else []
        components = [[n for n in heard if n.id in side] for side in sides]
        return [c for c in components if c]

    async def quorum_component(self, components: list[list[NodeRecord]]) -> list[NodeRecord]:
        """The component that has quorum, or an empty list (research resapi.md §5.10).

        With a quorum resource: the component whose node holds the device keeps it (it
        defends); if no running member holds it, the components arbitrate in node order and
        the first whose Arbitrate succeeds has quorum. Without one: a majority of the
        configured nodes; a cluster of one or two nodes, having no majority to lose, lets the
        component with the lowest-numbered node win (the tie-breaker a quorum disk would be).
        """
        if not components:
            return []
        quorum = self.resources.by_id.get(self.quorum_id) if self.quorum_id else None
        if quorum is None:
            total = len(self.nodes.by_id)
            if total <= 2:
                return min(components, key=lambda c: c[0].number)
            return next((c for c in components if 2 * len(c) > total), [])
        holder = self.nodes.by_id.get(self.quorum_holder) if self.quorum_holder else None
        for component in components:
            if holder is not None and holder in component and holder.state is not NodeState.DOWN:
                return component
        for component in sorted(components, key=lambda c: c[0].number):
            for node in component:
                if await self.arbitrate(quorum, node):
                    return component
        return []

    async def regroup(self) -> None:
        """One membership round: who is a member now, and what follows from it."""
        # A node that lost the quorum device sits this round out: its service stops and it
        # rejoins in a later round, as a restarted cluster service would.
        leaving, self.lost_quorum = self.lost_quorum, set()
        components = [[n for n in c if n.id not in leaving] for c in self.components()]
        members = await self.quorum_component([c for c in components if c])
        member_ids = {n.id for n in members}
        # Whoever leaves stops its resources before anyone else may bring them online.
        for node in self.nodes:
            if node.state is not NodeState.DOWN and node.id not in member_ids:
                if node.alive:
                    await self._isolate(node)
                await self._node_down(node)
        for node in members:
            if node.state is NodeState.DOWN and node.isolated:
                await self._join(node)

    async def arbitrate(self, quorum: ResourceRecord, node: NodeRecord) -> bool:
        """Call Arbitrate on ``node``'s instance of the quorum resource; True if it won."""
        if quorum.possible_owners is not None and node.id not in quorum.possible_owners:
            return False
        if node.task_group is None:
            return False
        host = self._host_for(quorum, node, _effective(quorum, "PendingTimeout") / 1000)
        try:
            if host.state is ResourceState.INITIALIZING:
                await host.open()
            await host.arbitrate(self._lost_callback(node))
        except ClusterError as exc:
            self.log(LogLevel.WARNING, "quorum", f"{node.name} lost arbitration: {exc}", node=node)
            return False
        self.quorum_holder = node.id
        self.log(LogLevel.INFORMATION, "quorum", f"{node.name} won arbitration", node=node)
        return True

    def _lost_callback(self, node: NodeRecord) -> Callable[[], None]:
        incarnation = node.incarnation

        def lost() -> None:  # QuorumResourceLost
            if node.incarnation == incarnation and self.quorum_holder == node.id:
                self.quorum_holder = None
                self.lost_quorum.add(node.id)
                self.log(LogLevel.ERROR, "quorum", f"{node.name} lost the quorum device", node=node)
                self.task_group.start_soon(self.regroup)

        return lost

    async def release(self, quorum: ResourceRecord, node: NodeRecord) -> None:
        """Call Release on ``node``'s instance of the quorum resource (it stops defending)."""
        host = node.hosts.get(quorum.id)
        if self.quorum_holder == node.id:
            self.quorum_holder = None
        if host is not None and host.state is not ResourceState.INITIALIZING:
            await host.release()

    async def _isolate(self, node: NodeRecord) -> None:
        """A running node that lost membership stops every resource it hosts, now."""
        self.log(
            LogLevel.ERROR,
            "membership",
            f"{node.name} lost quorum: stopping its resources",
            node=node,
        )
        node.isolated = True
        self._kill_processes(node)
        # The hosts stay attached until each has terminated: an operation that reaches one
        # meanwhile (a move taking the group offline) waits for it instead of finding the node
        # empty and starting the resource elsewhere while it still runs here.
        hosts = list(node.hosts.values())
        with anyio.CancelScope(shield=True):
            for host in hosts:
                with contextlib.suppress(Exception):
                    await host.terminate(final_state=ResourceState.FAILED)
        node.hosts = {}
        # Its cluster service starts again at once and waits to be let back in.
        node.alive = True
        await self._start_node_service(node)

    async def _join(self, node: NodeRecord) -> None:
        formed = any(n.state is not NodeState.DOWN for n in self.nodes if n is not node)
        node.isolated = False
        node.replica = None  # it reads the current database again, every change included
        self._frozen_for.discard(node.id)
        node.state = NodeState.JOINING
        self.events.emit(ClusterChange.NODE_STATE, node.name, node.id)
        node.state = NodeState.PAUSED if node.paused else NodeState.UP
        self.log(LogLevel.INFORMATION, "membership", f"node {node.name} joined")
        self.events.emit(ClusterChange.NODE_STATE, node.name, node.id)
        if formed:
            self._consider_failback(node)
        else:
            await self._form_cluster(node)

    def set_partition(self, sides: list[frozenset[str]] | None) -> None:
        """Cut the interconnect into ``sides`` (node ids), or heal it (None)."""
        self.partition = sides
        self.partition_since = self.now()
        what = (
            "healed"
            if sides is None
            else " | ".join(
                ",".join(sorted(self.nodes.by_id[i].name for i in side)) for side in sides
            )
        )
        self.log(LogLevel.WARNING, "environment", f"interconnect {what}")

    @contextlib.contextmanager
    def _on_node(self, node: NodeRecord) -> Iterator[anyio.CancelScope]:
        """Run work as part of ``node``: a crash of the node cancels it."""
        scope = anyio.CancelScope()
        node.scopes[scope] = None
        try:
            with scope:
                yield scope
        finally:
            node.scopes.pop(scope, None)

    def crash_node(self, name: str) -> None:
        """The node's processes die now; the others notice when its heartbeats stop."""
        node = self.find_node(name)
        if not node.alive:
            raise make_error(
                W.ERROR_CLUSTER_NODE_ALREADY_DOWN,
                f"node {node.name!r} is down",
                fix="restart it first",
            )
        node.alive = False
        self._kill_processes(node)
        hosts, node.hosts = list(node.hosts.values()), {}
        self.log(LogLevel.WARNING, "environment", f"node {node.name} crashed", node=node)
        for host in hosts:
            self.task_group.start_soon(self._reap_instance, host)

    def _copy_for_down_nodes(self) -> None:
        if not self._frozen_for:
            return
        copy = self.database.copy()
        for node_id in self._frozen_for:
            node = self.nodes.by_id.get(node_id)
            if node is not None and node.replica is None:
                node.replica = copy  # read-only to them: one copy serves them all
        self._frozen_for.clear()

    def _kill_processes(self, node: NodeRecord) -> None:
        # Everything the node runs (service, polls, workers, operations) ends now; reports
        # from its instances are void from here on (a new incarnation).
        node.incarnation += 1
        for scope in list(node.scopes):
            scope.cancel()
        node.scopes.clear()
        node.task_group = node.poller = node.watchdog = None
        if self.quorum_holder == node.id:
            self.quorum_holder = None

    async def _reap_instance(self, host: InstanceHost) -> None:
        # A crashed node's instances are gone; terminate them quietly so that what they hold
        # in this process (sockets, child processes) is released. Their reports are void.
        with anyio.CancelScope(shield=True), contextlib.suppress(Exception):
            await host.terminate(final_state=ResourceState.FAILED)

    async def _node_down(self, node: NodeRecord) -> None:
        node.state = NodeState.DOWN
        # It keeps the database as it is now; the copy is made when the database is about
        # to change (and never, if nothing changes before it rejoins).
        self._frozen_for.add(node.id)
        self.log(
            LogLevel.WARNING,
            "membership",
            f"node {node.name} is down (no heartbeat for {self.node_timeout:g} s)",
        )
        self.events.emit(ClusterChange.NODE_STATE, node.name, node.id)
        for group in list(self.groups):
            if group.owner == node.id and not group.deleted:
                self.task_group.start_soon(self._fail_over_from_dead_node, group, node)

    async def _fail_over_from_dead_node(self, group: GroupRecord, dead: NodeRecord) -> None:
        async with group.lock:
            wanted = []
            for res in self._group_resources(group):
                if res.node == dead.id:
                    res.node = None
                if res.state is not ResourceState.OFFLINE:
                    wanted.append(res)
                self.set_resource_state(res, ResourceState.OFFLINE)
            target = self._best_node(group, exclude={dead.id})
            holder = self.nodes.by_id.get(self.quorum_holder) if self.quorum_holder else None
            if (
                holder is not None
                and holder.can_host
                and any(r.id == self.quorum_id for r in self._group_resources(group))
            ):
                target = holder  # the quorum resource can only come online where it won
            if target is None:
                # Only paused nodes left: the group moves to one but stays offline (§7.7).
                paused = self._best_node(group, exclude={dead.id}, allow_paused=True)
                if paused is not None:
                    self.set_owner(group, paused)
                self.log(
                    LogLevel.ERROR,
                    f"group {group.name}",
                    "no node can bring it online after its owner went down; it stays offline"
                    + (f" on paused node {paused.name}" if paused is not None else ""),
                )
                return
            self.log(
                LogLevel.INFORMATION,
                f"group {group.name}",
                f"failing over from {dead.name} to {target.name}",
            )
            self.set_owner(group, target)
            persistent = [
                r
                for r in self._group_resources(group)
                if r.properties.get("PersistentState") or r in wanted
            ]
            await self.online_resources(group, target, persistent)

    async def restart_node(self, name: str) -> None:
        """Start a crashed node again; it rejoins and may take groups back (failback)."""
        node = self.find_node(name)
        if node.alive:
            raise make_error(
                W.ERROR_CLUSTER_NODE_ALREADY_UP,
                f"node {node.name!r} is running",
                fix="crash it first",
            )
        if node.state is not NodeState.DOWN:
            # It came back before the others noticed: they see it go down and up again.
            await self._node_down(node)
        await self._start_node_service(node)
        node.isolated = True  # running, not yet a member: this round decides
        members = await self.quorum_component(self.components())
        if node in members:
            await self._join(node)
        else:
            self.log(
                LogLevel.WARNING,
                "membership",
                f"node {node.name} runs but has no quorum; it waits to join",
                node=node,
            )

    async def _form_cluster(self, node: NodeRecord) -> None:
        """The first node up after a full outage brings back what was online: the resources
        whose PersistentState is set, in groups whose PersistentState is set."""
        for group in list(self.groups):
            if group.properties.get("PersistentState"):
                self.task_group.start_soon(self._restore_group, group)

    async def _restore_group(self, group: GroupRecord) -> None:
        async with group.lock:
            owner = self.nodes.by_id.get(group.owner) if group.owner else None
            if owner is not None and owner.up:
                # Already placed (a failover got there first): complete it where it is.
                if not owner.can_host:
                    return
                target: NodeRecord | None = owner
            else:
                target = self._best_node(group)
            if target is None:
                return
            self.set_owner(group, target)
            wanted = [
                r
                for r in self._group_resources(group)
                if r.properties.get("PersistentState") and r.state is not ResourceState.ONLINE
            ]
            if wanted:
                await self.online_resources(group, target, wanted)

    async def _online_group_task(self, group: GroupRecord, node: str | None) -> None:
        with contextlib.suppress(ClusterError):
            await self.online_group(group, node, wait=True)

    # -- failback -----------------------------------------------------------------------------

    def cluster_time(self) -> float:
        """Seconds since the cluster formed."""
        return self.now() - self.origin

    def cluster_hour(self) -> float:
        """Hour of the day in cluster-local time (the environment sets the start hour)."""
        return (self.start_hour + self.cluster_time() / 3600) % 24

    def _consider_failback(self, node: NodeRecord) -> None:
        for group in self.groups:
            if group.deleted or group.owner is None:
                continue
            owner = self.nodes.by_id.get(group.owner)
            if not policy.should_fail_back(
                auto_failback=FailbackType(int(_prop(group, "AutoFailbackType"))),
                preferred=[self.nodes.by_id[n].name for n in group.preferred],
                current_owner=owner.name if owner else None,
                returning_node=node.name,
            ):
                continue
            group.failback_generation += 1
            self.task_group.start_soon(self._failback, group, node, group.failback_generation)

    async def _failback(self, group: GroupRecord, node: NodeRecord, generation: int) -> None:
        start, end = _prop(group, "FailbackWindowStart"), _prop(group, "FailbackWindowEnd")
        wait = policy.seconds_until_failback_window(
            now_hour_float=self.cluster_hour(), start=_signed(start), end=_signed(end)
        )
        if wait > 0:
            self.log(
                LogLevel.INFORMATION,
                f"group {group.name}",
                f"failback to {node.name} waits {wait:g} s for its window",
            )
            await anyio.sleep(wait)
        if generation != group.failback_generation or not node.can_host:
            return
        if group.owner == node.id or group.deleted:
            return
        if any(self._excluded(r, node) for r in self._group_resources(group)):
            self.log(
                LogLevel.INFORMATION,
                f"group {group.name}",
                f"no failback to {node.name}: a resource of it cannot come online there",
            )
            return
        self.log(LogLevel.INFORMATION, f"group {group.name}", f"failing back to {node.name}")
        with contextlib.suppress(ClusterError):
            await self.move_group(
                group, node.id, wait=True, reason="failback", by_administrator=False
            )

    # -- placement ----------------------------------------------------------------------------

    def _best_node(
        self, group: GroupRecord, *, exclude: set[str] | None = None, allow_paused: bool = False
    ) -> NodeRecord | None:
        node_ids = list(self.nodes.by_id)
        owners = []
        for r in self._group_resources(group):
            # The nodes where its Online said it cannot come online count as removed from
            # its possible owners (the configured list itself is not changed).
            excluded = self.exclusions.get(r.id)
            ids = (
                r.possible_owners
                if excluded is None
                else excluded.possible_owners(r.possible_owners, node_ids)
            )
            owners.append(
                None
                if ids is None
                else {self.nodes.by_id[n].name for n in ids if n in self.nodes.by_id}
            )
        names = policy.best_node(
            preferred=[self.nodes.by_id[n].name for n in group.preferred],
            nodes=[n.name for n in self.nodes],
            possible_owners=owners,
            up=[n.name for n in self.nodes if n.up],
            paused=[] if allow_paused else [n.name for n in self.nodes if n.paused],
            exclude=[self.nodes.by_id[n].name for n in exclude or () if n in self.nodes.by_id],
        )
        return None if names is None else self.nodes.find(names)

    def _exclusion_note(self, group: GroupRecord) -> str:
        """Why some nodes were not candidates: resources whose Online ruled them out."""
        parts = []
        for res in self._group_resources(group):
            excluded = self.exclusions.get(res.id)
            if excluded is not None and excluded.nodes:
                names = ", ".join(
                    sorted(
                        self.nodes.by_id[n].name for n in excluded.nodes if n in self.nodes.by_id
                    )
                )
                parts.append(f"resource {res.name!r} cannot come online on {names}")
        if not parts:
            return ""
        return f"; {'; '.join(parts)} (name the node to try it there again)"

    def _check_can_host(self, group: GroupRecord, node: NodeRecord) -> None:
        if not node.up:
            raise make_error(
                W.ERROR_HOST_NODE_NOT_AVAILABLE,
                f"node {node.name!r} is {node.state.name} and cannot host group {group.name!r}",
                fix="choose a node that is up",
            )
        if node.paused:
            raise make_error(
                W.ERROR_SHARING_PAUSED,
                f"node {node.name!r} is paused; no group is brought online on it",
                fix="resume the node or choose another",
            )
        for res in self._group_resources(group):
            if res.possible_owners is not None and node.id not in res.possible_owners:
                raise make_error(
                    W.ERROR_HOST_NODE_NOT_RESOURCE_OWNER,
                    f"node {node.name!r} is not a possible owner of resource {res.name!r} in "
                    f"group {group.name!r}",
                    fix="add it with `await resource.add_possible_owner(node)`",
                )

    def set_owner(self, group: GroupRecord, node: NodeRecord) -> None:
        if group.owner != node.id:
            group.owner = node.id
            self.events.emit(ClusterChange.GROUP_STATE, group.name, group.id)

    # -- the resource monitor side ------------------------------------------------------------

    def _host_for(self, res: ResourceRecord, node: NodeRecord, pending: float) -> InstanceHost:
        host = node.hosts.get(res.id)
        if host is not None and host.deadlocked:
            # Its instance hung past DeadlockTimeout and was written off: recycle the monitor
            # for it, which here means a fresh instance (the old one is abandoned).
            self.log(
                LogLevel.WARNING,
                f"resource {res.name}",
                "monitor recycled after a deadlock; a new instance is opened",
                node=node,
            )
            del node.hosts[res.id]
            host = None
        if host is None:
            if node.task_group is None:  # the node's processes just died or were stopped
                raise make_error(
                    W.ERROR_HOST_NODE_NOT_AVAILABLE,
                    f"node {node.name!r} is not running a Resource Monitor",
                    fix="wait until it is up again",
                )
            deadlock = _prop_r(res, "DeadlockTimeout") / 1000
            listener = _HostListener(self, res, node)
            # Its own Resource Monitor process for SeparateMonitor: a crash, a hang or a blocked
            # loop there costs only this resource (research resapi.md §5.1).
            make: functools.partial[ProcessHost] | functools.partial[ResourceHost] = (
                functools.partial(ProcessHost, memory_limit=SEPARATE_MONITOR_MEMORY_LIMIT)
                if res.properties.get("SeparateMonitor")
                else functools.partial(ResourceHost, watchdog=node.watchdog)
            )
            host = make(
                res.type.implementation,
                res.name,
                res.private,
                listener,
                task_group=node.task_group,
                pending_timeout=pending,
                deadlock_timeout=deadlock,
                node_name=node.name,
                local_registry=node.local,
            )
            node.hosts[res.id] = host
        return host

    async def _switch_monitor_if_asked(self, res: ResourceRecord, node: NodeRecord) -> None:
        """SeparateMonitor takes effect at the next offline→online: drop a host of the other
        kind while the resource is down, so the next one is made as the property says."""
        host = node.hosts.get(res.id)
        if host is None or host.state not in (
            ResourceState.INITIALIZING,
            ResourceState.OFFLINE,
            ResourceState.FAILED,
        ):
            return
        if isinstance(host, ProcessHost) != bool(res.properties.get("SeparateMonitor")):
            del node.hosts[res.id]
            await host.close()

    async def _online_on(self, res: ResourceRecord, node: NodeRecord) -> ResourceState:
        """Bring one resource online on ``node`` through its monitor; start its polls."""
        if self._excluded(res, node):
            # Its Online said it cannot come online here (or anywhere): the failover manager
            # does not try again; an administrator's online clears this first.
            self.log(
                LogLevel.WARNING,
                f"resource {res.name}",
                f"not brought online on {node.name}: it cannot come online "
                + ("on any node" if self.exclusions[res.id].all_nodes else "there")
                + " (bring it online by hand once that is fixed)",
                node=node,
            )
            self.set_resource_state(res, ResourceState.FAILED)
            return ResourceState.FAILED
        pending = _effective(res, "PendingTimeout") / 1000
        await self._switch_monitor_if_asked(res, node)
        try:
            host = self._host_for(res, node, pending)
        except ClusterError as exc:  # e.g. a type a separate monitor process cannot import
            self.log(
                LogLevel.ERROR,
                f"resource {res.name}",
                f"cannot start its monitor: {exc}",
                node=node,
            )
            self.resource_reported(res, node, ResourceState.FAILED, attempt=True)
            return ResourceState.FAILED
        res.node = node.id
        res.stopping = False
        if host.state is ResourceState.INITIALIZING:
            try:
                await host.open()
            except ClusterError as exc:
                self.log(LogLevel.ERROR, f"resource {res.name}", f"open failed: {exc}", node=node)
                # Only if it is still the node's: closing the cluster clears node.hosts while
                # a separate monitor's process starts.
                if node.hosts.get(res.id) is host:
                    del node.hosts[res.id]
                await host.close()  # a separate monitor's process goes with it
                self.resource_reported(res, node, ResourceState.FAILED, attempt=True)
                return ResourceState.FAILED
        if host.state is ResourceState.ONLINE:
            self.set_resource_state(res, ResourceState.ONLINE)
            return ResourceState.ONLINE
        # The quorum resource comes online only where its device was won (Arbitrate is
        # called after Open, before Online).
        wins_device = res.id != self.quorum_id or self.quorum_holder == node.id
        if not wins_device and not await self.arbitrate(res, node):
            self.resource_reported(res, node, ResourceState.FAILED, attempt=True)
            return ResourceState.FAILED
        host.pending_timeout = pending
        if res.checkpoints:
            self.restore_checkpoints(res, node)  # offline edits there are overwritten
            self.capture_checkpoints(res, node)
        state = await host.online()
        if state is ResourceState.ONLINE and node.alive:
            assert node.poller is not None, "node service not started"
            node.poller.add(
                host,
                _effective(res, "LooksAlivePollInterval") / 1000,
                _effective(res, "IsAlivePollInterval") / 1000,
            )
        return state

    async def _offline_on(self, res: ResourceRecord, node: NodeRecord) -> ResourceState:
        host = node.hosts.get(res.id)
        if host is None:
            self.set_resource_state(res, ResourceState.OFFLINE)
            return ResourceState.OFFLINE
        res.stopping = True
        try:
            state = await host.offline()
        finally:
            res.stopping = False
        if res.id == self.quorum_id:
            await self.release(res, node)
        return state

    # -- online / offline in dependency order --------------------------------------------------

    def _deps(self, group: GroupRecord) -> dict[str, list[str]]:
        return {r.id: list(r.depends_on) for r in self._group_resources(group)}

    async def online_resources(
        self, group: GroupRecord, node: NodeRecord, wanted: list[ResourceRecord]
    ) -> list[ResourceRecord]:
        """Bring ``wanted`` (and what they depend on) online on ``node``, dependencies first.
        Returns the resources that did not come online."""
        if not node.can_host:
            # The node went away (or was paused) while this waited for the group: nothing is
            # started there; the caller's policy or the membership round decides what next.
            self.log(
                LogLevel.WARNING,
                f"group {group.name}",
                f"not brought online on {node.name}: it cannot host groups now",
                node=node,
            )
            return list(wanted)
        deps = self._deps(group)
        if len(wanted) == len(group.resources):
            members = group.resources  # the whole group: no closure to compute
        else:
            closure: set[str] = set()
            for res in wanted:
                closure.add(res.id)
                closure |= policy.transitive_dependencies(res.id, deps)
            members = [r for r in group.resources if r in closure]
        failed: list[ResourceRecord] = []
        failed_ids: set[str] = set()
        with self._on_node(node) as scope:
            for layer in policy.online_layers(members, deps):
                for rid in layer:
                    res = self.resources.by_id[rid]
                    if any(d in failed_ids for d in res.depends_on):
                        failed.append(res)  # a dependency failed: it cannot come online
                        failed_ids.add(rid)
                        continue
                    if await self._online_on(res, node) is not ResourceState.ONLINE:
                        failed.append(res)
                        failed_ids.add(rid)
        if scope.cancelled_caught:
            return [r for r in wanted if r.state is not ResourceState.ONLINE]
        return failed

    async def offline_resources(self, group: GroupRecord, targets: list[ResourceRecord]) -> None:
        """Take ``targets`` (and what depends on them) offline, dependents first."""
        provides = self._provides(group)
        closure: set[str] = set()
        for res in targets:
            closure.add(res.id)
            closure |= policy.transitive_dependents(res.id, provides)
        for layer in policy.offline_layers(
            [r for r in group.resources if r in closure], self._deps(group)
        ):
            for rid in layer:
                res = self.resources.by_id[rid]
                node = self.nodes.by_id.get(res.node) if res.node else None
                if node is None or not node.alive:
                    self.set_resource_state(res, ResourceState.OFFLINE)
                    continue
                with self._on_node(node):
                    await self._offline_on(res, node)

    def _provides(self, group: GroupRecord) -> dict[str, list[str]]:
        provides: dict[str, list[str]] = {r: [] for r in group.resources}
        for res in self._group_resources(group):
            for dep in res.depends_on:
                provides.setdefault(dep, []).append(res.id)
        return provides

    async def online_group(
        self, group: GroupRecord, node_id: str | None, *, wait: bool
    ) -> GroupState:
        if not wait:
            self._prevalidate_online(group, node_id)
            self.task_group.start_soon(self._online_group_task, group, node_id)
            await anyio.lowlevel.checkpoint()
            return group.state
        async with group.lock:
            node = self.choose_online_node(group, node_id)
            self.set_owner(group, node)
            self._set_group_persistent(group, True)
            resources = self._group_resources(group)
            self.clear_exclusions(resources)
            for res in resources:
                self.set_resource_persistent(res, True)
                res.generation += 1  # an admin online supersedes a pending policy step
            failed = await self.online_resources(group, node, resources)
        self._raise_if_failed(group, failed, "online")
        return group.state

    def _prevalidate_online(self, group: GroupRecord, node_id: str | None) -> None:
        self.choose_online_node(group, node_id)

    def choose_online_node(self, group: GroupRecord, node_id: str | None) -> NodeRecord:
        owner = self.nodes.by_id.get(group.owner) if group.owner else None
        if node_id is not None and owner is not None and node_id != owner.id:
            running = [r.name for r in self._group_resources(group) if r.state in _UP_STATES]
            if running:
                # Bringing it online elsewhere would run those twice: that is a move.
                raise make_error(
                    W.ERROR_INVALID_STATE,
                    f"group {group.name!r} is running on {owner.name!r} "
                    f"({', '.join(repr(n) for n in running)}); it cannot come online on "
                    f"{self.nodes.by_id[node_id].name!r} too",
                    fix="move the group there instead",
                )
        if node_id is not None:
            node = self.nodes.by_id[node_id]
        elif owner is not None and owner.up:
            # The current owner, even when paused: then the online is refused below
            # (ERROR_SHARING_PAUSED), not moved elsewhere (clusapi.md §7.2, §7.7).
            node = owner
        else:
            best = self._best_node(group)
            if best is None:
                raise make_error(
                    W.ERROR_HOST_NODE_NOT_AVAILABLE,
                    f"no node can host group {group.name!r} (preferred ∩ possible owners ∩ up, "
                    f"not paused is empty){self._exclusion_note(group)}",
                    fix="resume or restart a node, or widen the possible owners",
                )
            node = best
        self._check_can_host(group, node)
        return node

    def _raise_if_failed(self, group: GroupRecord, failed: list[ResourceRecord], what: str) -> None:
        if failed:
            names = ", ".join(repr(r.name) for r in failed)
            raise make_error(
                W.ERROR_RESOURCE_FAILED,
                f"group {group.name!r} did not come {what}: resource(s) {names} failed",
                fix="read the cluster log for the reason; the failure policy may retry",
            )

    async def offline_group(self, group: GroupRecord, *, wait: bool) -> GroupState:
        if not wait:
            self.task_group.start_soon(self._offline_group_wait, group)
            await anyio.lowlevel.checkpoint()
            return group.state
        await self._offline_group_wait(group)
        return group.state

    async def _offline_group_wait(self, group: GroupRecord) -> None:
        async with group.lock:
            group.failback_generation += 1
            self._set_group_persistent(group, False)
            resources = self._group_resources(group)
            for res in resources:
                self.set_resource_persistent(res, False)
                res.generation += 1  # cancels pending restarts and retries
            await self.offline_resources(group, resources)

    async def move_group(
        self,
        group: GroupRecord,
        node_id: str | None,
        *,
        wait: bool,
        reason: str = "move",
        by_administrator: bool = True,
    ) -> GroupState:
        """Move ``group`` to ``node_id`` (None: the best other node).

        ``by_administrator``: a move asked for by a caller (MoveClusterGroup), which clears the
        exclusions of the group's resources once the target is accepted; the failover
        manager's own moves (failback) pass False.
        """
        if node_id is not None:
            target = self.nodes.by_id[node_id]
            if group.owner == target.id:
                return group.state  # already the owner: SUCCESS, no-op (clusapi.md §7.3)
            self._check_can_host(group, target)
        else:
            exclude = {group.owner} if group.owner else set()
            best = self._best_node(group, exclude=exclude)
            if best is None:
                raise make_error(
                    W.ERROR_HOST_NODE_NOT_AVAILABLE,
                    f"no other node can host group {group.name!r}{self._exclusion_note(group)}",
                    fix="resume or restart a node, or widen the possible owners",
                )
            target = best
        if by_administrator:
            self.clear_exclusions(self._group_resources(group))
        if not wait:
            self.task_group.start_soon(self._move_task, group, target, reason)
            await anyio.lowlevel.checkpoint()
            return group.state
        failed = await self._move_locked(group, target, reason)
        self._raise_if_failed(group, failed, "online after the move")
        return group.state

    async def _move_task(self, group: GroupRecord, target: NodeRecord, reason: str) -> None:
        with contextlib.suppress(ClusterError):
            await self._move_locked(group, target, reason)

    async def _move_locked(
        self, group: GroupRecord, target: NodeRecord, reason: str
    ) -> list[ResourceRecord]:
        async with group.lock:
            if not target.can_host:  # it went down or was paused while this waited
                raise make_error(
                    W.ERROR_HOST_NODE_NOT_AVAILABLE,
                    f"node {target.name!r} can no longer host group {group.name!r}",
                    fix="move it again; the best node is chosen when none is given",
                )
            return await self._transfer(group, target, reason)

    async def _transfer(
        self, group: GroupRecord, target: NodeRecord, reason: str
    ) -> list[ResourceRecord]:
        """Offline in dependency order, hand over, online by persistent state (§7.3)."""
        resources = self._group_resources(group)
        for res in resources:
            res.generation += 1  # restarts and retries planned for the old node are void
        restore = [
            r
            for r in resources
            if r.properties.get("PersistentState") or r.state is ResourceState.ONLINE
        ]
        old = self.nodes.by_id.get(group.owner) if group.owner else None
        self.log(
            LogLevel.INFORMATION,
            f"group {group.name}",
            f"{reason}: {old.name if old else '-'} -> {target.name}",
        )
        await self.offline_resources(group, resources)
        for res in resources:
            if res.node is not None:
                node = self.nodes.by_id.get(res.node)
                if node is not None and res.id in node.hosts and node.id != target.id:
                    host = node.hosts.pop(res.id)
                    await host.close()
                res.node = None
        self.set_owner(group, target)
        return await self.online_resources(group, target, restore)

    # -- failure policy ------------------------------------------------------------------------

    async def _handle_failure(
        self,
        res: ResourceRecord,
        node: NodeRecord,
        generation: int,
        scope: ResourceState = ResourceState.FAILED,
    ) -> None:
        """The failure policy for one failure of ``res`` on ``node``; ``scope`` is where its
        Online said it cannot come online (FAILED: an ordinary failure)."""
        group = self.groups.by_id.get(res.group)
        if group is None or res.deleted:
            return
        now = self.now()
        period = _prop_r(res, "RestartPeriod")
        res.failure_times = list(policy.prune_window(res.failure_times, now, period / 1000))
        res.failure_times.append(now)
        decision = policy.failure_decision(
            scope=scope,
            action=RestartAction(int(_prop_r(res, "RestartAction"))),
            failure_times=res.failure_times,
            now=now,
            threshold=int(_prop_r(res, "RestartThreshold")),
            period_ms=period,
        )
        async with group.lock:
            if generation != res.generation or res.state is not ResourceState.FAILED:
                return
            # Dependents cannot stay up without it: take them down first (they are not failed).
            provides = self._provides(group)
            dependents = [
                self.resources.by_id[d] for d in policy.transitive_dependents(res.id, provides)
            ]
            restore = [
                d
                for d in dependents
                if d.state is ResourceState.ONLINE or d.properties.get("PersistentState")
            ]
            await self.offline_resources(
                group, [d for d in dependents if d.state is not ResourceState.OFFLINE]
            )
            why = {
                ResourceState.CANNOT_COME_ONLINE_ON_THIS_NODE: (
                    f" (it cannot come online on {node.name}: no restart there)"
                ),
                ResourceState.CANNOT_COME_ONLINE_ON_ANY_NODE: (
                    " (it cannot come online on any node: no restart, no failover, no retry)"
                ),
            }.get(scope, "")
            self.log(
                LogLevel.INFORMATION,
                f"resource {res.name}",
                f"failure policy: {decision.name.lower().replace('_', ' ')}{why}",
                node=node,
            )
            if decision is policy.RestartDecision.GIVE_UP:
                return
            if decision is policy.RestartDecision.FAIL_OVER and self._failover_allowed(group):
                target = self._best_node(group, exclude={node.id})
                if target is not None:
                    group.failover_times.append(self.now())
                    await self._transfer(group, target, "failover")
                    return
                self.log(
                    LogLevel.WARNING,
                    f"group {group.name}",
                    "no other node can host it; it stays failed",
                )
        if decision is policy.RestartDecision.RESTART:
            # RestartDelay passes outside the group's lock, so the group stays manageable.
            await anyio.sleep(_prop_r(res, "RestartDelay") / 1000)
            async with group.lock:
                if not _restart_still_due(res, generation, group, node):
                    return
                await self.online_resources(group, node, [res, *restore])
            return
        self._schedule_retry(res, generation)

    def _failover_allowed(self, group: GroupRecord) -> bool:
        now = self.now()
        period_h = int(_prop(group, "FailoverPeriod"))
        group.failover_times = list(policy.prune_window(group.failover_times, now, period_h * 3600))
        allowed = policy.failover_allowed(
            failover_times=group.failover_times,
            now=now,
            threshold=int(_prop(group, "FailoverThreshold")),
            period_hours=period_h,
            node_count=len(self.nodes.by_id),
        )
        if not allowed:
            self.log(
                LogLevel.WARNING,
                f"group {group.name}",
                f"failover threshold reached ({len(group.failover_times)} in "
                f"{period_h} h); it is left failed",
            )
        return allowed

    def _schedule_retry(self, res: ResourceRecord, generation: int) -> None:
        if RestartAction(int(_prop_r(res, "RestartAction"))) is RestartAction.DONT_RESTART:
            return
        if res.retried:
            self.log(
                LogLevel.ERROR,
                f"resource {res.name}",
                "the final retry after RetryPeriodOnFailure failed; it stays failed until it "
                "is brought online by hand",
            )
            return
        when = policy.retry_time(
            res.failed_at or self.now(), int(_prop_r(res, "RetryPeriodOnFailure"))
        )
        if when is not None:
            self.task_group.start_soon(self._retry, res, generation, when)

    async def _retry(self, res: ResourceRecord, generation: int, when: float) -> None:
        await anyio.sleep_until(when)
        group = self.groups.by_id.get(res.group)
        if group is None or generation != res.generation or res.state is not ResourceState.FAILED:
            return
        async with group.lock:
            if generation != res.generation:
                return
            node = self.nodes.by_id.get(group.owner) if group.owner else None
            if node is not None and node.up and not node.can_host:
                return  # a paused owner keeps its group but brings nothing online
            if node is None or not node.up:
                node = self._best_node(group)
            if node is None:
                return
            if self._excluded(res, node):
                self.log(
                    LogLevel.WARNING,
                    f"resource {res.name}",
                    f"RetryPeriodOnFailure elapsed, but it cannot come online on {node.name}; "
                    "no retry",
                    node=node,
                )
                return
            self.log(
                LogLevel.INFORMATION,
                f"resource {res.name}",
                "RetryPeriodOnFailure elapsed: one final online attempt",
                node=node,
            )
            res.retried = True
            res.failure_times.clear()
            self.set_owner(group, node)
            await self.online_resources(group, node, [res, *self.persistent_dependents(group, res)])

    def persistent_dependents(
        self, group: GroupRecord, res: ResourceRecord
    ) -> list[ResourceRecord]:
        """Dependents of ``res`` that should run (PersistentState) but are offline: the
        failure policy took them down with it, and they come back with it."""
        provides = self._provides(group)
        return [
            dep
            for dep in (
                self.resources.by_id[d] for d in policy.transitive_dependents(res.id, provides)
            )
            if dep.properties.get("PersistentState") and dep.state is ResourceState.OFFLINE
        ]

    # -- persistent state ----------------------------------------------------------------------

    def _set_group_persistent(self, group: GroupRecord, value: bool) -> None:
        group.properties["PersistentState"] = value

    def set_resource_persistent(self, res: ResourceRecord, value: bool) -> None:
        res.properties["PersistentState"] = value


def check_name(kind: str, name: object) -> str:
    """A caller's object name, checked: a non-empty str without backslashes."""
    name = require_name(kind, name)
    if "\\" in name:
        raise make_error(
            W.ERROR_INVALID_PARAMETER,
            f"{kind} name {name!r} contains a backslash",
            fix="cluster database key names cannot contain '\\'",
        )
    return name


def object_key_path(kind: str, ident: str) -> str:
    """Where an object's key lives in the cluster database (as under HKLM\\Cluster)."""
    return (
        {
            "node": "Nodes",
            "group": "Groups",
            "resource": "Resources",
            "resource type": "ResourceTypes",
        }[kind]
        + "\\"
        + ident
    )


# -- property helpers ----------------------------------------------------------------------


def _restart_still_due(
    res: ResourceRecord, generation: int, group: GroupRecord, node: NodeRecord
) -> bool:
    """After RestartDelay: nothing superseded the restart (an admin call, a move, a failover,
    a deletion), the resource is still Failed, and its node still owns the group and can
    host it. (A function, so no narrowing from before the delay is carried over it.)"""
    return (
        generation == res.generation
        and node.can_host
        and not res.deleted
        and group.owner == node.id
        and res.state is ResourceState.FAILED
    )


def _as_int(value: object) -> int:
    if not isinstance(value, int):
        raise TypeError(f"expected an int property value, got {value!r}")
    return int(value)


def _prop(group: GroupRecord, name: str) -> int:
    value = group.properties.get(name)
    if value is None:
        value = GroupCommonProperties.item(name).default
    return _as_int(value)


def _prop_r(res: ResourceRecord, name: str) -> int:
    value = res.properties.get(name)
    if value is None:
        value = ResourceCommonProperties.item(name).default
    return _as_int(value)


def _effective(res: ResourceRecord, name: str) -> int:
    """A resource's value, or its type's when the resource says INHERIT (0xFFFFFFFF)."""
    value = _prop_r(res, name)
    if value == INHERIT:
        type_value = res.type.properties.get(name)
        if type_value is None:
            type_value = ResourceTypeCommonProperties.item(name).default
        value = _as_int(type_value)
    return value


def _signed(value: int) -> int:
    return value - (1 << 32) if value >= 1 << 31 else value


# -- operation handlers -------------------------------------------------------------------

_Handler = "Callable[[ReferenceRuntime, Any], Awaitable[Any]]"
_HANDLERS: dict[type[object], Callable[[ReferenceRuntime, Any], Awaitable[Any]]] = {}


def _handles(
    op_type: type[Operation[T]],
) -> Callable[
    [Callable[[ReferenceRuntime, Any], Awaitable[T]]],
    Callable[[ReferenceRuntime, Any], Awaitable[T]],
]:
    def register(
        fn: Callable[[ReferenceRuntime, Any], Awaitable[T]],
    ) -> Callable[[ReferenceRuntime, Any], Awaitable[T]]:
        _HANDLERS[op_type] = fn
        return fn

    return register
