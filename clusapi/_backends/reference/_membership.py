"""Membership: the nodes' services and heartbeats, regroup rounds, quorum, crashes, restarts and
partitions of the interconnect.

See docs/architecture.md, "Node service" and "Membership and quorum".
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import anyio

from clusapi._enums import (
    ClusterChange,
    LogLevel,
    NodeState,
    ResourceState,
)
from clusapi._errors import ClusterError, make_error
from clusapi._win32 import Win32Error
from resapi._monitor._watchdog import PendingWatchdog

from ._poller import Poller
from ._props import effective

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from resapi._monitor._host import InstanceHost

    from ._model import (
        NodeRecord,
        ResourceRecord,
    )
    from ._runtime import ReferenceRuntime

__all__ = ("Membership",)


class Membership:
    """Who is a member of the cluster, and what follows when that changes."""

    def __init__(
        self, rt: ReferenceRuntime, *, heartbeat_interval: float, node_timeout: float
    ) -> None:
        self.rt = rt
        self.state = rt.state
        self.heartbeat_interval = heartbeat_interval
        self.node_timeout = node_timeout
        #: The quorum resource (clusapi.md §7.8) and the node that holds its device.
        self.quorum_id: str | None = None
        self.quorum_holder: str | None = None
        #: The interconnect's sides (node ids) when cut by the environment, and since when.
        self.partition: list[frozenset[str]] | None = None
        self.partition_since = 0.0
        #: Nodes whose resource reported QuorumResourceLost since the last round.
        self.lost_quorum: set[str] = set()
        #: Instances of crashed nodes still being terminated, by resource id: set when each
        #: has ended (see reaped()).
        self._reaping: dict[str, list[anyio.Event]] = {}

    async def start_node_service(self, node: NodeRecord) -> None:
        node.alive = True
        node.last_heartbeat = self.state.now()
        scope = anyio.CancelScope()
        node.scopes[scope] = None
        await self.state.task_group.start(self._node_service, node, scope)

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
                node.poller = Poller(tg, self.state.now)
                # The watchdog runs in the runtime's task group, not the node's: a node that
                # crashes or loses quorum still terminates its instances, each bounded by
                # DeadlockTimeout, after its own task group is gone.
                node.watchdog = PendingWatchdog(self.state.task_group, self.state.now)
                task_status.started()
                while True:
                    node.last_heartbeat = self.state.now()
                    await anyio.sleep(self.heartbeat_interval)

    async def membership_loop(self) -> None:
        while True:
            await anyio.sleep(self.heartbeat_interval)
            await self.regroup()

    def _heard(self, node: NodeRecord) -> bool:
        """Its heartbeats still count: the last one is less than node_timeout old (a crashed
        node is still counted in until then: nobody has noticed yet)."""
        return self.state.now() - node.last_heartbeat <= self.node_timeout

    def components(self) -> list[list[NodeRecord]]:
        """The groups of running nodes that hear each other, in node order.

        A cut of the interconnect takes effect when its heartbeats have been missed for
        ``node_timeout``; until then the nodes still count each other in.
        """
        heard = [n for n in self.state.nodes if self._heard(n)]
        sides = self.partition
        if sides is None or self.state.now() - self.partition_since < self.node_timeout:
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
        quorum = self.state.resources.by_id.get(self.quorum_id) if self.quorum_id else None
        if quorum is None:
            total = len(self.state.nodes.by_id)
            if total <= 2:
                return min(components, key=lambda c: c[0].number)
            return next((c for c in components if 2 * len(c) > total), [])
        holder = self.state.nodes.by_id.get(self.quorum_holder) if self.quorum_holder else None
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
        for node in self.state.nodes:
            if node.state is not NodeState.DOWN and node.id not in member_ids:
                if node.alive:
                    await self._isolate(node)
                await self.node_down(node)
        for node in members:
            if node.state is NodeState.DOWN and node.isolated:
                await self._join(node)

    async def arbitrate(self, quorum: ResourceRecord, node: NodeRecord) -> bool:
        """Call Arbitrate on ``node``'s instance of the quorum resource; True if it won."""
        if quorum.possible_owners is not None and node.id not in quorum.possible_owners:
            return False
        if node.task_group is None:
            return False
        host = self.rt.monitors.host_for(quorum, node, effective(quorum, "PendingTimeout") / 1000)
        try:
            if host.state is ResourceState.INITIALIZING:
                await host.open()
            await host.arbitrate(self._lost_callback(node))
        except ClusterError as exc:
            self.state.log(
                LogLevel.WARNING, "quorum", f"{node.name} lost arbitration: {exc}", node=node
            )
            return False
        self.quorum_holder = node.id
        self.state.log(LogLevel.INFORMATION, "quorum", f"{node.name} won arbitration", node=node)
        return True

    def _lost_callback(self, node: NodeRecord) -> Callable[[], None]:
        incarnation = node.incarnation

        def lost() -> None:  # QuorumResourceLost
            if node.incarnation == incarnation and self.quorum_holder == node.id:
                self.quorum_holder = None
                self.lost_quorum.add(node.id)
                self.state.log(
                    LogLevel.ERROR, "quorum", f"{node.name} lost the quorum device", node=node
                )
                self.state.task_group.start_soon(self.regroup)

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
        self.state.log(
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
        await self.start_node_service(node)

    async def _join(self, node: NodeRecord) -> None:
        formed = any(n.state is not NodeState.DOWN for n in self.state.nodes if n is not node)
        node.isolated = False
        node.replica = None  # it reads the current database again, every change included
        self.state.forget_copy_for(node.id)
        self.state.set_node_state(node, NodeState.JOINING)
        self.state.events.emit(ClusterChange.NODE_STATE, node.name, node.id, state=node.state)
        self.state.set_node_state(node, NodeState.PAUSED if node.paused else NodeState.UP)
        self.state.log(LogLevel.INFORMATION, "membership", f"node {node.name} joined")
        self.state.events.emit(ClusterChange.NODE_STATE, node.name, node.id, state=node.state)
        if formed:
            self.rt.failover.consider_failback(node)
        else:
            await self.rt.failover.form_cluster(node)

    def set_partition(self, sides: list[frozenset[str]] | None) -> None:
        """Cut the interconnect into ``sides`` (node ids), or heal it (None)."""
        self.partition = sides
        self.partition_since = self.state.now()
        what = (
            "healed"
            if sides is None
            else " | ".join(
                ",".join(sorted(self.state.nodes.by_id[i].name for i in side)) for side in sides
            )
        )
        self.state.log(LogLevel.WARNING, "environment", f"interconnect {what}")

    @contextlib.contextmanager
    def on_node(self, node: NodeRecord) -> Iterator[anyio.CancelScope]:
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
        node = self.state.find_node(name)
        if not node.alive:
            raise make_error(
                Win32Error.ERROR_CLUSTER_NODE_ALREADY_DOWN,
                f"node {node.name!r} is down",
                fix="restart it first",
            )
        node.alive = False
        self._kill_processes(node)
        hosts, node.hosts = dict(node.hosts), {}
        self.state.log(LogLevel.WARNING, "environment", f"node {node.name} crashed", node=node)
        for rid, host in hosts.items():
            ended = anyio.Event()
            self._reaping.setdefault(rid, []).append(ended)
            self.state.task_group.start_soon(self._reap_instance, rid, host, ended)

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

    async def _reap_instance(self, rid: str, host: InstanceHost, ended: anyio.Event) -> None:
        # A crashed node's instances are gone; terminate them quietly so that what they hold
        # in this process (sockets, child processes) is released. Their reports are void.
        try:
            with anyio.CancelScope(shield=True), contextlib.suppress(Exception):
                await host.terminate(final_state=ResourceState.FAILED)
        finally:
            ended.set()
            waiting = self._reaping.get(rid, [])
            waiting.remove(ended)
            if not waiting:
                self._reaping.pop(rid, None)

    async def reaped(self, rid: str) -> None:
        """Return once no instance of resource ``rid`` on a crashed node is still being
        terminated. A real crash frees what the instance held (its sockets) at once; here the
        instance lives in this process until its Terminate has run, so an Online elsewhere
        (a failover, a failback under way when the node crashed) waits for that first."""
        for ended in list(self._reaping.get(rid, ())):
            await ended.wait()

    async def node_down(self, node: NodeRecord) -> None:
        self.state.set_node_state(node, NodeState.DOWN)
        # It keeps the database as it is now; the copy is made when the database is about
        # to change (and never, if nothing changes before it rejoins).
        self.state.keep_copy_for(node.id)
        self.state.log(
            LogLevel.WARNING,
            "membership",
            f"node {node.name} is down (no heartbeat for {self.node_timeout:g} s)",
        )
        self.state.events.emit(ClusterChange.NODE_STATE, node.name, node.id, state=node.state)
        for group in list(self.state.groups):
            if group.owner == node.id and not group.deleted:
                self.state.task_group.start_soon(
                    self.rt.failover.fail_over_from_dead_node, group, node
                )

    async def restart_node(self, name: str) -> None:
        """Start a crashed node again; it rejoins and may take groups back (failback)."""
        node = self.state.find_node(name)
        if node.alive:
            raise make_error(
                Win32Error.ERROR_CLUSTER_NODE_ALREADY_UP,
                f"node {node.name!r} is running",
                fix="crash it first",
            )
        if node.state is not NodeState.DOWN:
            # It came back before the others noticed: they see it go down and up again.
            await self.node_down(node)
        await self.start_node_service(node)
        node.isolated = True  # running, not yet a member: this round decides
        members = await self.quorum_component(self.components())
        if node in members:
            await self._join(node)
        else:
            self.state.log(
                LogLevel.WARNING,
                "membership",
                f"node {node.name} runs but has no quorum; it waits to join",
                node=node,
            )
