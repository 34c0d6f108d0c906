"""The operations of the Backend seam: one frozen value per ClusAPI call.

Objects are addressed by id (stable across renames); names are resolved by the ``Open*``
operations. Results are frozen values, tuples, enums or ``None``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

import attrs

from ._backend import NotificationStream, Operation
from ._enums import ClusterChange, GroupState, NodeState, RegCommand, RegValueType, ResourceState
from ._values import (
    ClusterInfo,
    ControlResult,
    GroupStateInfo,
    ObjectInfo,
    PropertyUpdate,
    ResourceStateInfo,
    ResourceTypeInfo,
)

# No __all__: clusapi.lowlevel lists (and re-exports) the operations, the public names of
# this module.


class ObjectKind(enum.Enum):
    """The kinds of cluster object an operation can address."""

    CLUSTER = "cluster"
    NODE = "node"
    GROUP = "group"
    RESOURCE = "resource"
    RESOURCE_TYPE = "resource type"


# -- cluster -------------------------------------------------------------------------------


@attrs.frozen
class GetClusterInfo(Operation[ClusterInfo]):
    """The cluster's name, version and backend (``GetClusterInformation``)."""

    mirrors = "GetClusterInformation"


@attrs.frozen
class ListObjects(Operation[tuple[ObjectInfo, ...]]):
    """All objects of one kind, in creation order (mirrors ``ClusterOpenEnum``/``ClusterEnum``)."""

    mirrors = "ClusterEnum"
    kind: ObjectKind


@attrs.frozen
class OpenObject(Operation[ObjectInfo]):
    """Resolve a name (mirrors ``OpenClusterNode``/``Group``/``Resource``)."""

    mirrors = "OpenCluster*"
    kind: ObjectKind
    name: str


@attrs.frozen
class RenameObject(Operation[None]):
    """Give an object a new name; its id stays (``SetClusterGroupName``,
    ``SetClusterResourceName``)."""

    mirrors = "SetCluster*Name"
    kind: ObjectKind
    id: str
    new_name: str


@attrs.frozen
class GetCommonProperties(Operation[Mapping[str, object]]):
    """The common properties of an object, by MSCS property name."""

    mirrors = "CLUSCTL_*_GET_COMMON_PROPERTIES"
    kind: ObjectKind
    id: str


@attrs.frozen
class Control(Operation[ControlResult]):
    """Send a control code to an object (``Cluster*Control``); ``node``: where to run it."""

    mirrors = "ClusterResourceControl"
    kind: ObjectKind
    id: str
    code: int
    data: bytes
    node: str | None = None


@attrs.frozen
class SetCommonProperties(Operation[PropertyUpdate]):
    """Verify and store common properties; returns the names written."""

    mirrors = "CLUSCTL_*_SET_COMMON_PROPERTIES"
    kind: ObjectKind
    id: str
    changes: Mapping[str, object]


@attrs.frozen
class OpenNotifyPort(Operation[NotificationStream]):
    """A stream of change events matching ``filter`` (``CreateClusterNotifyPort``)."""

    mirrors = "CreateClusterNotifyPort"
    filter: ClusterChange


@attrs.frozen
class GetQuorumResource(Operation[ObjectInfo | None]):
    """The quorum resource, or None (``GetClusterQuorumResource``)."""

    mirrors = "GetClusterQuorumResource"


@attrs.frozen
class SetQuorumResource(Operation[None]):
    """Make resource ``id`` the quorum resource (``SetClusterQuorumResource``)."""

    mirrors = "SetClusterQuorumResource"
    id: str


# -- nodes ---------------------------------------------------------------------------------


@attrs.frozen
class GetNodeState(Operation[NodeState]):
    """A node's state: Up, Down, Paused, Joining (``GetClusterNodeState``)."""

    mirrors = "GetClusterNodeState"
    id: str


@attrs.frozen
class PauseNode(Operation[None]):
    """Pause a node: it stays a member but takes no groups (``PauseClusterNode``)."""

    mirrors = "PauseClusterNode"
    id: str


@attrs.frozen
class ResumeNode(Operation[None]):
    """Resume a paused node (``ResumeClusterNode``)."""

    mirrors = "ResumeClusterNode"
    id: str


@attrs.frozen
class EvictNode(Operation[None]):
    """Remove a node from the cluster (``EvictClusterNode``)."""

    mirrors = "EvictClusterNode"
    id: str


@attrs.frozen
class GetNodeGroups(Operation[tuple[ObjectInfo, ...]]):
    """The groups a node owns (``ClusterNodeEnum`` with ``CLUSTER_NODE_ENUM_GROUPS``)."""

    mirrors = "ClusterNodeEnum(CLUSTER_NODE_ENUM_GROUPS)"
    id: str


# -- groups --------------------------------------------------------------------------------


@attrs.frozen
class CreateGroup(Operation[ObjectInfo]):
    """Create an empty group named ``name`` (``CreateClusterGroup``)."""

    mirrors = "CreateClusterGroup"
    name: str


@attrs.frozen
class DeleteGroup(Operation[None]):
    """Delete an empty group (``DeleteClusterGroup``)."""

    mirrors = "DeleteClusterGroup"
    id: str


@attrs.frozen
class GetGroupState(Operation[GroupStateInfo]):
    """A group's state and owner node (``GetClusterGroupState``)."""

    mirrors = "GetClusterGroupState"
    id: str


@attrs.frozen
class OnlineGroup(Operation[GroupState]):
    """Bring a group online on ``node`` (None: its owner); ``wait``: until done."""

    mirrors = "OnlineClusterGroup"
    id: str
    node: str | None
    wait: bool


@attrs.frozen
class OfflineGroup(Operation[GroupState]):
    """Take a group offline, dependents first; ``wait``: until done (``OfflineClusterGroup``)."""

    mirrors = "OfflineClusterGroup"
    id: str
    wait: bool


@attrs.frozen
class MoveGroup(Operation[GroupState]):
    """Move a group to ``node`` (None: the best node by the placement rule)."""

    mirrors = "MoveClusterGroup"
    id: str
    node: str | None
    wait: bool


@attrs.frozen
class SetPreferredOwners(Operation[None]):
    """Set a group's preferred owners, most preferred first (``SetClusterGroupNodeList``)."""

    mirrors = "SetClusterGroupNodeList"
    id: str
    nodes: tuple[str, ...]


@attrs.frozen
class GetPreferredOwners(Operation[tuple[ObjectInfo, ...]]):
    """A group's preferred owners, in order (``ClusterGroupEnum`` with
    ``CLUSTER_GROUP_ENUM_NODES``)."""

    mirrors = "ClusterGroupEnum(CLUSTER_GROUP_ENUM_NODES)"
    id: str


@attrs.frozen
class GetGroupResources(Operation[tuple[ObjectInfo, ...]]):
    """The resources of a group (``ClusterGroupEnum`` with ``CLUSTER_GROUP_ENUM_CONTAINS``)."""

    mirrors = "ClusterGroupEnum(CLUSTER_GROUP_ENUM_CONTAINS)"
    id: str


# -- resources -----------------------------------------------------------------------------


@attrs.frozen
class CreateResource(Operation[ObjectInfo]):
    """Create a resource of type ``type_name`` in ``group``; ``separate_monitor``: in a
    Resource Monitor process of its own (``CreateClusterResource``)."""

    mirrors = "CreateClusterResource"
    group: str
    name: str
    type_name: str
    separate_monitor: bool


@attrs.frozen
class DeleteResource(Operation[None]):
    """Delete an offline resource (``DeleteClusterResource``)."""

    mirrors = "DeleteClusterResource"
    id: str


@attrs.frozen
class GetResourceState(Operation[ResourceStateInfo]):
    """A resource's state, owner node and group (``GetClusterResourceState``)."""

    mirrors = "GetClusterResourceState"
    id: str


@attrs.frozen
class GetResourceTypeName(Operation[str]):
    """The name of a resource's type
    (``ClusterResourceControl`` with ``CLUSCTL_RESOURCE_GET_RESOURCE_TYPE``)."""

    mirrors = "ClusterResourceControl(CLUSCTL_RESOURCE_GET_RESOURCE_TYPE)"
    id: str


@attrs.frozen
class OnlineResource(Operation[ResourceState]):
    """Bring a resource online, its dependencies first; ``wait``: until done
    (``OnlineClusterResource``)."""

    mirrors = "OnlineClusterResource"
    id: str
    wait: bool


@attrs.frozen
class OfflineResource(Operation[ResourceState]):
    """Take a resource offline, its dependents first; ``wait``: until done
    (``OfflineClusterResource``)."""

    mirrors = "OfflineClusterResource"
    id: str
    wait: bool


@attrs.frozen
class FailResource(Operation[None]):
    """Make a resource fail, to test the failure policy (``FailClusterResource``)."""

    mirrors = "FailClusterResource"
    id: str


@attrs.frozen
class ChangeResourceGroup(Operation[None]):
    """Move a resource into another group (``ChangeClusterResourceGroup``)."""

    mirrors = "ChangeClusterResourceGroup"
    id: str
    group: str


@attrs.frozen
class AddDependency(Operation[None]):
    """Make resource ``id`` depend on ``provider`` (``AddClusterResourceDependency``)."""

    mirrors = "AddClusterResourceDependency"
    id: str
    provider: str


@attrs.frozen
class RemoveDependency(Operation[None]):
    """Remove the dependency of ``id`` on ``provider`` (``RemoveClusterResourceDependency``)."""

    mirrors = "RemoveClusterResourceDependency"
    id: str
    provider: str


@attrs.frozen
class GetDependencies(Operation[tuple[ObjectInfo, ...]]):
    """The resources ``id`` depends on (``ClusterResourceEnum`` with
    ``CLUSTER_RESOURCE_ENUM_DEPENDS``)."""

    mirrors = "ClusterResourceEnum(CLUSTER_RESOURCE_ENUM_DEPENDS)"
    id: str


@attrs.frozen
class GetDependents(Operation[tuple[ObjectInfo, ...]]):
    """The resources that depend on ``id`` (``ClusterResourceEnum`` with
    ``CLUSTER_RESOURCE_ENUM_PROVIDES``)."""

    mirrors = "ClusterResourceEnum(CLUSTER_RESOURCE_ENUM_PROVIDES)"
    id: str


@attrs.frozen
class CanBeDependent(Operation[bool]):
    """May resource ``id`` be made to depend on ``provider`` (``hResourceDependent``)?"""

    mirrors = "CanResourceBeDependent"
    id: str
    provider: str


@attrs.frozen
class AddPossibleOwner(Operation[None]):
    """Add ``node`` to a resource's possible owners (``AddClusterResourceNode``)."""

    mirrors = "AddClusterResourceNode"
    id: str
    node: str


@attrs.frozen
class RemovePossibleOwner(Operation[None]):
    """Remove ``node`` from a resource's possible owners (``RemoveClusterResourceNode``)."""

    mirrors = "RemoveClusterResourceNode"
    id: str
    node: str


@attrs.frozen
class GetPossibleOwners(Operation[tuple[ObjectInfo, ...]]):
    """A resource's possible owners (``ClusterResourceEnum`` with
    ``CLUSTER_RESOURCE_ENUM_NODES``)."""

    mirrors = "ClusterResourceEnum(CLUSTER_RESOURCE_ENUM_NODES)"
    id: str


@attrs.frozen
class GetPrivateProperties(Operation[Mapping[str, object]]):
    """A resource's private properties, by property name
    (``CLUSCTL_RESOURCE_GET_PRIVATE_PROPERTIES``)."""

    mirrors = "CLUSCTL_RESOURCE_GET_PRIVATE_PROPERTIES"
    id: str


@attrs.frozen
class SetPrivateProperties(Operation[PropertyUpdate]):
    """Verify ``changes`` with the type's property table and store them."""

    mirrors = "CLUSCTL_RESOURCE_SET_PRIVATE_PROPERTIES"
    id: str
    changes: Mapping[str, object]


# -- cluster database ----------------------------------------------------------------------


@attrs.frozen
class GetObjectKey(Operation[str]):
    """The database path of an object's key (``GetCluster*Key``); "" is the root."""

    mirrors = "GetClusterKey"
    kind: ObjectKind
    id: str


@attrs.frozen
class KeyExists(Operation[bool]):
    """Whether the key at ``path`` exists (``ClusterRegOpenKey``)."""

    mirrors = "ClusterRegOpenKey"
    path: str


@attrs.frozen
class CreateKey(Operation[bool]):
    """Create a key (and missing parents); True if it was created."""

    mirrors = "ClusterRegCreateKey"
    path: str


@attrs.frozen
class DeleteKey(Operation[None]):
    """Delete a key; ``tree``: with everything below it."""

    mirrors = "ClusterRegDeleteKey"
    path: str
    tree: bool


@attrs.frozen
class SetValue(Operation[None]):
    """Set value ``name`` of the key at ``path``; ``type``: the REG_* type, or None to infer it
    (``ClusterRegSetValue``)."""

    mirrors = "ClusterRegSetValue"
    path: str
    name: str
    value: object
    type: RegValueType | None


@attrs.frozen
class QueryValue(Operation[tuple[RegValueType, object]]):
    """The type and data of value ``name`` of the key at ``path`` (``ClusterRegQueryValue``)."""

    mirrors = "ClusterRegQueryValue"
    path: str
    name: str


@attrs.frozen
class DeleteValue(Operation[None]):
    """Delete value ``name`` of the key at ``path`` (``ClusterRegDeleteValue``)."""

    mirrors = "ClusterRegDeleteValue"
    path: str
    name: str


@attrs.frozen
class EnumKeys(Operation[tuple[str, ...]]):
    """The names of the subkeys of the key at ``path`` (``ClusterRegEnumKey``)."""

    mirrors = "ClusterRegEnumKey"
    path: str


@attrs.frozen
class EnumValues(Operation[tuple[tuple[str, RegValueType, object], ...]]):
    """The values of the key at ``path``: (name, type, data) (``ClusterRegEnumValue``)."""

    mirrors = "ClusterRegEnumValue"
    path: str


@attrs.frozen
class CommitBatch(Operation[None]):
    """Apply ``commands`` (command, name, type or None, data or None) all or nothing."""

    mirrors = "ClusterRegCloseBatch"
    path: str
    commands: tuple[tuple[RegCommand, str, RegValueType | None, object], ...]


@attrs.frozen
class AddCheckpoint(Operation[None]):
    """Checkpoint the local-registry subtree ``path`` for resource ``id``
    (``CLUSCTL_RESOURCE_ADD_REGISTRY_CHECKPOINT``)."""

    mirrors = "CLUSCTL_RESOURCE_ADD_REGISTRY_CHECKPOINT"
    id: str
    path: str


@attrs.frozen
class DeleteCheckpoint(Operation[None]):
    """Stop checkpointing subtree ``path`` for resource ``id``
    (``CLUSCTL_RESOURCE_DELETE_REGISTRY_CHECKPOINT``)."""

    mirrors = "CLUSCTL_RESOURCE_DELETE_REGISTRY_CHECKPOINT"
    id: str
    path: str


@attrs.frozen
class GetCheckpoints(Operation[tuple[str, ...]]):
    """The checkpointed subtrees of resource ``id``
    (``CLUSCTL_RESOURCE_GET_REGISTRY_CHECKPOINTS``)."""

    mirrors = "CLUSCTL_RESOURCE_GET_REGISTRY_CHECKPOINTS"
    id: str


@attrs.frozen
class OpenRegistryPort(Operation[NotificationStream]):
    """REGISTRY_* changes at (or, with ``subtree``, below) a key (``RegisterClusterNotify``)."""

    mirrors = "RegisterClusterNotify"
    path: str
    filter: ClusterChange
    subtree: bool


# -- resource types ------------------------------------------------------------------------


@attrs.frozen
class CreateResourceType(Operation[ResourceTypeInfo]):
    """Register a resource type; ``implementation`` is a class or ``"pkg.mod:Class"``."""

    mirrors = "CreateClusterResourceType"
    implementation: object
    name: str | None
    display_name: str | None
    looks_alive_poll_interval: int | None
    is_alive_poll_interval: int | None


@attrs.frozen
class DeleteResourceType(Operation[None]):
    """Delete a resource type that no resource uses (``DeleteClusterResourceType``)."""

    mirrors = "DeleteClusterResourceType"
    name: str


@attrs.frozen
class GetResourceTypeInfo(Operation[ResourceTypeInfo]):
    """A resource type's display name and poll intervals
    (``ClusterResourceTypeControl`` with ``GET_COMMON_PROPERTIES``)."""

    mirrors = "ClusterResourceTypeControl(GET_COMMON_PROPERTIES)"
    name: str


@attrs.frozen
class GetTypeResources(Operation[tuple[ObjectInfo, ...]]):
    """The resources of one type (``ClusterResourceTypeEnum`` with
    ``CLUSTER_RESOURCE_TYPE_ENUM_RESOURCES``)."""

    mirrors = "ClusterResourceTypeEnum(CLUSTER_RESOURCE_TYPE_ENUM_RESOURCES)"
    name: str
