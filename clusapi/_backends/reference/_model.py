"""The reference runtime's records: nodes, groups, resources and types, and the cluster log.

Plain mutable records (``attrs.define``), kept by :class:`._state.ClusterState` in an
:class:`ObjectIndex` each (by id and, case-insensitively as in MSCS, by name). See
docs/architecture.md, "The reference runtime".
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Generic, TypeVar

import anyio
import attrs
from anyio.abc import TaskGroup

from clusapi._core._registry_tree import RegistryTree
from clusapi._enums import GroupState, LogLevel, NodeState, ResourceState
from clusapi._rules import Kind
from resapi._monitor._host import InstanceHost
from resapi._monitor._watchdog import PendingWatchdog
from resapi._resource import Resource

from ._poller import Poller

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = (
    "ClusterLogEntry",
    "GroupRecord",
    "NodeRecord",
    "ObjectIndex",
    "ResourceRecord",
    "TypeRecord",
)


@attrs.frozen
class ClusterLogEntry:
    """One line of the cluster log: who said what, when (cluster time, seconds)."""

    time: float
    node: str
    source: str
    level: LogLevel
    message: str

    def format(self) -> str:
        return (
            f"{self.time:12.3f} {self.node:<8} {self.level.name:<11} {self.source}: {self.message}"
        )


@attrs.define(eq=False)
class NodeRecord:
    """One node: its membership state, its processes (task group, poller, watchdog, hosts) and
    its local registry. ``number`` is its 1-based position, used for tie-breaks."""

    id: str
    name: str
    number: int
    state: NodeState = NodeState.UP
    #: Persistent: survives a restart of the node (research clusapi.md §7.7).
    paused: bool = False
    #: The node's process runs; a crash clears it at once, detection follows later.
    alive: bool = True
    #: Running but not a member: it lost quorum (or restarted without it) and waits to join.
    isolated: bool = False
    #: Bumped on every crash; work started under an older incarnation is void.
    incarnation: int = 0
    last_heartbeat: float = 0.0
    hosts: dict[str, InstanceHost] = attrs.field(factory=dict)
    #: The task group of the node's current incarnation (its monitor's workers and polls).
    task_group: TaskGroup | None = None
    poller: Poller | None = None
    #: The node-local registry (set by the runtime when it creates the node).
    local: RegistryTree = attrs.field(factory=RegistryTree)
    #: The database as this node last saw it while it was down; None while it is a member.
    replica: RegistryTree | None = None
    watchdog: PendingWatchdog | None = None
    #: Cancel scopes of work running on the node (its service task, group operations): a crash
    #: cancels them all, as the node's processes die.
    #: A dict used as an ordered set: cancelling in insertion order (not by id()) keeps runs
    #: with the same seed identical, down to the order resources see their Terminate.
    scopes: dict[anyio.CancelScope, None] = attrs.field(factory=dict)

    @property
    def up(self) -> bool:
        """A running member of the cluster (Up or Paused)."""
        return (
            self.alive
            and not self.isolated
            and self.task_group is not None
            and self.state in (NodeState.UP, NodeState.PAUSED)
        )

    @property
    def can_host(self) -> bool:
        """Up and not paused: groups may come online on it (research clusapi.md §7.7)."""
        return self.up and not self.paused


@attrs.define(eq=False)
class TypeRecord:
    """One registered resource type: its implementation class, where that came from, its
    common properties and the ids of its resources."""

    name: str
    display_name: str
    implementation: type[Resource]
    implementation_path: str
    properties: dict[str, object]
    resources: list[str] = attrs.field(factory=list)


@attrs.define(eq=False)
class GroupRecord:
    """One group: owner and preferred owners (node ids), its resources (ids, in the order
    added), common properties and derived state."""

    id: str
    name: str
    properties: dict[str, object] = attrs.field(factory=dict)
    owner: str | None = None
    preferred: list[str] = attrs.field(factory=list)
    resources: list[str] = attrs.field(factory=list)
    state: GroupState = GroupState.OFFLINE
    #: How many of its resources are in each state (kept by the runtime; derives ``state``).
    state_counts: dict[ResourceState, int] = attrs.field(factory=dict)
    failover_times: list[float] = attrs.field(factory=list)
    #: Serialises the Failover Manager's work on the group (online, offline, move, failover).
    lock: anyio.Lock = attrs.field(factory=lambda: anyio.Lock(fast_acquire=True))
    deleted: bool = False
    #: A pending failback timer's generation (bumped to cancel it).
    failback_generation: int = 0
    #: Whether an online, move or failover has placed it. Until then its owner is the node
    #: it was created through (MS-CMRP ApiCreateGroup), and its first online goes there
    #: unless preferred owners are set or that node cannot host it.
    placed: bool = False


@attrs.define(eq=False)
class ResourceRecord:
    """One resource: its type, group (id), properties, dependencies (ids), possible owners,
    state and the bookkeeping of the failure policy."""

    id: str
    name: str
    type: TypeRecord
    group: str
    properties: dict[str, object] = attrs.field(factory=dict)
    #: The private properties: a view of the resource's Parameters key (set by the runtime).
    private: MutableMapping[str, object] = attrs.field(factory=dict)
    #: ObjectIndex checkpoints: subtrees of the node-local registry, in the order added.
    checkpoints: list[str] = attrs.field(factory=list)
    state: ResourceState = ResourceState.OFFLINE
    #: The node whose monitor hosts (or last hosted) the instance.
    node: str | None = None
    depends_on: list[str] = attrs.field(factory=list)
    #: None: every node (the default for a new resource, research clusapi.md §7.6).
    possible_owners: set[str] | None = None
    failure_times: list[float] = attrs.field(factory=list)
    failed_at: float | None = None
    #: Bumped by each online/offline request and failure; a stale policy step does nothing.
    generation: int = 0
    #: True while the Failover Manager itself takes it down (offline, move): a Failed report
    #: then is not a failure to handle.
    stopping: bool = False
    #: The one final retry after RetryPeriodOnFailure was made (cleared when it is online).
    retried: bool = False
    deleted: bool = False


K = TypeVar("K", NodeRecord, GroupRecord, ResourceRecord)


@attrs.define(eq=False)
class ObjectIndex(Generic[K]):
    """Records of one kind by id, and by name case-insensitively, in creation order."""

    kind: Kind
    by_id: dict[str, K] = attrs.field(factory=dict)
    by_name: dict[str, K] = attrs.field(factory=dict)

    def add(self, record: K) -> None:
        self.by_id[record.id] = record
        self.by_name[record.name.casefold()] = record

    def remove(self, record: K) -> None:
        del self.by_id[record.id]
        del self.by_name[record.name.casefold()]

    def rename(self, record: K, new_name: str) -> None:
        del self.by_name[record.name.casefold()]
        record.name = new_name
        self.by_name[new_name.casefold()] = record

    def find(self, name: str) -> K | None:
        return self.by_name.get(name.casefold())

    def __iter__(self) -> Iterator[K]:
        return iter(self.by_id.values())
