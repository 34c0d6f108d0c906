"""The reference runtime's state: the records, their lookups, ids, the cluster log, the event
bus and the cluster database.

The other parts of the runtime (membership, monitors, Failover Manager, checkpoints) and the
handlers read the records here and change cluster-visible state through its methods (which
emit the events). See docs/architecture.md, "The reference runtime".
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING, NoReturn

import anyio

from clusapi import _policy as policy, _rules as rules
from clusapi._core._clock import current_clock
from clusapi._core._registry_tree import RegistryTree
from clusapi._enums import ClusterChange, LogLevel, NodeState, ResourceState
from clusapi._registry import RegValue, matches_registration
from clusapi._values import Notification
from resapi._resource import LOGGING_LEVELS

from ._events import EventBus
from ._model import (
    ClusterLogEntry,
    GroupRecord,
    K,
    NodeRecord,
    ObjectIndex,
    ResourceRecord,
    TypeRecord,
)
from ._names import check_name, object_key_path

if TYPE_CHECKING:
    from anyio.abc import TaskGroup
    from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

__all__ = ("ClusterState",)


class ClusterState:
    """Everything the cluster knows, and the writes that other parts and handlers see.

    The only writer of the facts a client can observe: names, object states, owners and the
    node a resource runs on, paused, preferred and possible owners, group membership and
    dependencies, deleted flags (and the indexes, database and events); property values are
    written into the records' property maps by the property tables (``PropertyTable.apply``),
    the persistent state here. The other parts keep their own bookkeeping fields on the
    records where they are: membership (alive, last_heartbeat, scopes, task_group, poller,
    watchdog, incarnation, isolated, replica, hosts), the Failover Manager (generation,
    failback_generation, retried, failed_at, failure_times, failover_times) and the monitors
    (hosts, stopping).
    """

    def __init__(self, cluster_name: str, task_group: TaskGroup, *, start_hour: float) -> None:
        self.cluster_name = cluster_name
        #: Where the cluster's own tasks run (failovers, retries, membership rounds).
        self.task_group = task_group
        self.start_hour = start_hour
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
        self.nodes: ObjectIndex[NodeRecord] = ObjectIndex("node")
        self.groups: ObjectIndex[GroupRecord] = ObjectIndex("group")
        self.resources: ObjectIndex[ResourceRecord] = ObjectIndex("resource")
        self.types: dict[str, TypeRecord] = {}
        self._ids = 0
        #: Names of deleted or evicted objects by id, so old handles hear what they named.
        self.gone: dict[str, str] = {}

    def log(
        self, level: LogLevel, source: str, message: str, *, node: NodeRecord | None = None
    ) -> None:
        where = node.name if node is not None else "-"
        now = self.cluster_time()
        self.cluster_log.append(ClusterLogEntry(now, where, source, level, message))
        # Mirrored to the stdlib logging hierarchy, as a library logs (docs/cluster-api.md,
        # "Logging"): what happened on a node to clusapi.node.<name>, the rest to
        # clusapi.cluster; the objects' names in extra. Configuring handlers is the app's.
        logger = logging.getLogger("clusapi.cluster" if node is None else f"clusapi.node.{where}")
        if logger.isEnabledFor(LOGGING_LEVELS[level]):
            extra: dict[str, object] = {
                "cluster": self.cluster_name,
                "node": None if node is None else node.name,
                "cluster_time": now,
                **self._named(source),
            }
            logger.log(LOGGING_LEVELS[level], "%s: %s", source, message, extra=extra)

    def _named(self, source: str) -> dict[str, str]:
        """The objects a cluster-log source names: ``resource X``, ``group G``, or a resource's
        own entry, ``<type name> <resource name>``."""
        kind, _, name = source.partition(" ")
        if kind == "group":
            return {"group": name}
        for i, char in enumerate(source):
            # "resource X" or "<type> X": the longest prefix that is a type (or "resource")
            # and a rest that is a resource of it.
            if char != " ":
                continue
            res = self.resources.find(source[i + 1 :])
            if res is not None and source[:i] in ("resource", res.type.name):
                group = self.groups.by_id.get(res.group)
                return {
                    "resource": res.name,
                    "resource_type": res.type.name,
                    **({"group": group.name} if group is not None else {}),
                }
        return {}

    def new_id(self, kind: str) -> str:
        # Deterministic ids (a counter, not uuid4): the same run gives the same cluster log.
        self._ids += 1
        return f"{kind}-{self._ids:06d}"

    def find_node(self, name: str) -> NodeRecord:
        """The node called ``name`` (a caller's argument: checked, case-insensitive)."""
        node = self.nodes.find(check_name("node", name))
        if node is None:
            raise rules.no_such("node", name, self.cluster_name)
        return node

    # The three lookups by id run on every handle call: the hit is one dict lookup, inline;
    # only a miss takes the shared path that builds the error.

    def node_record(self, node_id: str) -> NodeRecord:
        """The node behind a handle's id; an evicted one is reported by its name."""
        node = self.nodes.by_id.get(node_id)
        return node if node is not None else self._gone(self.nodes, node_id)

    def group_record(self, group_id: str) -> GroupRecord:
        group = self.groups.by_id.get(group_id)
        return group if group is not None else self._gone(self.groups, group_id)

    def resource_record(self, resource_id: str) -> ResourceRecord:
        res = self.resources.by_id.get(resource_id)
        return res if res is not None else self._gone(self.resources, resource_id)

    def _gone(self, index: ObjectIndex[K], ident: str) -> NoReturn:
        """For a handle whose object left: the error names what it named."""
        raise rules.gone(index.kind, self.gone.get(ident, ident), self.cluster_name)

    def type_record(self, name: str) -> TypeRecord:
        rtype = self.types.get(check_name("resource type", name).casefold())
        if rtype is None:
            raise rules.no_such_type(name)
        return rtype

    def group_resources(self, group: GroupRecord) -> list[ResourceRecord]:
        return [self.resources.by_id[r] for r in group.resources]

    def set_resource_state(self, res: ResourceRecord, state: ResourceState) -> None:
        previous = res.state
        if previous is state:
            return
        res.state = state
        group = self.groups.by_id.get(res.group)
        self.events.emit(
            ClusterChange.RESOURCE_STATE,
            res.name,
            res.id,
            state=state,
            owner=self._owner_name(group),
        )
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
            self._group_state_changed(group)

    def set_owner(self, group: GroupRecord, node: NodeRecord) -> None:
        """The group is owned by ``node`` now (the ports hear of a change)."""
        group.placed = True
        if group.owner != node.id:
            group.owner = node.id
            self._group_state_changed(group)

    def _owner_name(self, group: GroupRecord | None) -> str | None:
        """The name of the node that owns ``group`` now (what a state event carries)."""
        if group is None or group.owner is None:
            return None
        node = self.nodes.by_id.get(group.owner)
        return None if node is None else node.name

    def _group_state_changed(self, group: GroupRecord) -> None:
        """A GROUP_STATE event with the group's state and owner as they are now."""
        self.events.emit(
            ClusterChange.GROUP_STATE,
            group.name,
            group.id,
            state=group.state,
            owner=self._owner_name(group),
        )

    def set_group_persistent(self, group: GroupRecord, value: bool) -> None:
        """Whether the group comes back online when its node (or the cluster) restarts."""
        group.properties["PersistentState"] = value

    def set_resource_persistent(self, res: ResourceRecord, value: bool) -> None:
        """Whether the resource comes back online when its group does."""
        res.properties["PersistentState"] = value

    # The other facts a client reads, written only here. Trivial setters on purpose (some run
    # on hot paths): the caller tells the ports (emits the event) where it did before.

    def set_node_state(self, node: NodeRecord, state: NodeState) -> None:
        """The node's membership state (Joining, Up, Paused, Down)."""
        node.state = state

    def set_paused(self, node: NodeRecord, paused: bool) -> None:
        """The node's persistent paused flag (its state is set apart, by the caller)."""
        node.paused = paused

    def set_preferred(self, group: GroupRecord, node_ids: list[str]) -> None:
        """The group's preferred owners, in order."""
        group.preferred = node_ids

    def set_possible_owners(self, res: ResourceRecord, node_ids: set[str] | None) -> None:
        """The nodes the resource may run on (None: every node)."""
        res.possible_owners = node_ids

    def place(self, res: ResourceRecord, node_id: str) -> None:
        """The resource runs (or is started) on ``node_id``'s monitor."""
        res.node = node_id

    def unplace(self, res: ResourceRecord) -> None:
        """The resource runs on no node's monitor."""
        res.node = None

    def mark_deleted(self, record: GroupRecord | ResourceRecord) -> None:
        """The group or resource is being deleted: work still holding it sees that and stops."""
        record.deleted = True

    def rename(self, index: ObjectIndex[K], record: K, name: str) -> None:
        """The object is called ``name`` now: in its database key first, then in the index."""
        self.set_db(object_key_path(index.kind, record.id), Name=name)
        index.rename(record, name)

    def join_group(self, res: ResourceRecord, group: GroupRecord) -> None:
        """A new resource is listed by its type and its group (last in each)."""
        res.type.resources.append(res.id)
        group.resources.append(res.id)

    def leave_group(self, res: ResourceRecord, group: GroupRecord) -> None:
        """A deleted resource is no longer listed by its group or its type."""
        group.resources.remove(res.id)
        res.type.resources.remove(res.id)

    def change_group(self, res: ResourceRecord, source: GroupRecord, target: GroupRecord) -> None:
        """The resource moves from ``source`` to the end of ``target``'s resources."""
        source.resources.remove(res.id)
        target.resources.append(res.id)
        res.group = target.id

    def add_dependency(self, res: ResourceRecord, provider: ResourceRecord) -> None:
        """``res`` depends on ``provider`` now (last in its list)."""
        res.depends_on.append(provider.id)

    def remove_dependency(self, res: ResourceRecord, provider: ResourceRecord) -> None:
        """``res`` no longer depends on ``provider``."""
        res.depends_on.remove(provider.id)

    def forget_node(self, node: NodeRecord) -> None:
        """The evicted node leaves every possible-owners set and preferred list, and owns no
        group any more."""
        for res in self.resources:
            if res.possible_owners is not None:
                res.possible_owners.discard(node.id)
        for group in self.groups:
            if node.id in group.preferred:
                group.preferred.remove(node.id)
            if group.owner == node.id:
                group.owner = None

    def deps(self, group: GroupRecord) -> dict[str, list[str]]:
        return {r.id: list(r.depends_on) for r in self.group_resources(group)}

    def provides(self, group: GroupRecord) -> dict[str, list[str]]:
        provides: dict[str, list[str]] = {r: [] for r in group.resources}
        for res in self.group_resources(group):
            for dep in res.depends_on:
                provides.setdefault(dep, []).append(res.id)
        return provides

    def cluster_time(self) -> float:
        """Seconds since the cluster formed."""
        return self.now() - self.origin

    def cluster_hour(self) -> float:
        """Hour of the day in cluster-local time (the environment sets the start hour)."""
        return (self.start_hour + self.cluster_time() / 3600) % 24

    def _copy_for_down_nodes(self) -> None:
        if not self._frozen_for:
            return
        copy = self.database.copy()
        for node_id in self._frozen_for:
            node = self.nodes.by_id.get(node_id)
            if node is not None and node.replica is None:
                node.replica = copy  # read-only to them: one copy serves them all
        self._frozen_for.clear()

    def set_db(self, key: str, **values: str) -> None:
        """Keep an object's key in the cluster database in step with the object.

        Called before the object model changes, and every value is built (checked) before the key
        is touched: a value the database refuses leaves both as they were.
        """
        typed = {name: RegValue.from_python(value, name=name) for name, value in values.items()}
        self.database.create_key(key)
        for name, value in typed.items():
            self.database.set_value(key, name, value)

    def add(self, index: ObjectIndex[K], record: K, change: ClusterChange) -> None:
        """A new node, group or resource is known by id and name; ``change`` tells the ports."""
        index.add(record)
        self.events.emit(change, record.name, record.id)

    def remove(self, index: ObjectIndex[K], record: K, change: ClusterChange) -> None:
        """A node, group or resource goes: old handles hear its name; its key goes too."""
        index.remove(record)
        self.gone[record.id] = record.name
        self.database.delete_tree(object_key_path(index.kind, record.id))
        self.events.emit(change, record.name, record.id)

    def add_type(self, record: TypeRecord) -> None:
        self.types[record.name.casefold()] = record
        self.events.emit(ClusterChange.RESOURCE_TYPE_ADDED, record.name)

    def remove_type(self, record: TypeRecord) -> None:
        del self.types[record.name.casefold()]
        self.database.delete_tree(object_key_path("resource type", record.name))
        self.events.emit(ClusterChange.RESOURCE_TYPE_DELETED, record.name)

    def close(self) -> None:
        """The cluster closes: every notify port and registry port ends."""
        self.events.close()
        for *_, send in self.registry_ports:
            send.close()
        self.registry_ports.clear()

    def keep_copy_for(self, node_id: str) -> None:
        """The node went down: it keeps the database as it is now (copied when it changes)."""
        self._frozen_for.add(node_id)

    def forget_copy_for(self, node_id: str) -> None:
        """The node rejoined: it reads the current database again."""
        self._frozen_for.discard(node_id)

    def open_registry_port(
        self, path: str, change_filter: int, subtree: bool
    ) -> MemoryObjectReceiveStream[Notification]:
        send, receive = anyio.create_memory_object_stream[Notification](math.inf)
        self.registry_ports.append((path, subtree, change_filter, send))
        return receive

    def _database_changed(self, kind: ClusterChange, path: str, name: str | None) -> None:
        if not self.registry_ports:
            return
        dead = []
        for registered, subtree, mask, send in self.registry_ports:
            if not mask & kind:
                continue
            relative = matches_registration(registered, path, subtree)
            if relative is None:
                continue
            try:
                send.send_nowait(Notification(kind, relative, None, self.cluster_time()))
            except anyio.BrokenResourceError:
                dead.append(send)
        if dead:
            self.registry_ports = [p for p in self.registry_ports if p[3] not in dead]
