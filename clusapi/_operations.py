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

__all__ = (
    "AddCheckpoint",
    "DeleteCheckpoint",
    "GetCheckpoints",
    "CommitBatch",
    "EnumValues",
    "EnumKeys",
    "DeleteValue",
    "QueryValue",
    "SetValue",
    "DeleteKey",
    "CreateKey",
    "KeyExists",
    "AddDependency",
    "AddPossibleOwner",
    "CanBeDependent",
    "ChangeResourceGroup",
    "Control",
    "CreateGroup",
    "CreateResource",
    "CreateResourceType",
    "DeleteGroup",
    "DeleteResource",
    "DeleteResourceType",
    "EvictNode",
    "FailResource",
    "GetClusterInfo",
    "GetCommonProperties",
    "GetDependencies",
    "GetDependents",
    "GetGroupResources",
    "GetGroupState",
    "GetNodeGroups",
    "GetObjectKey",
    "GetNodeState",
    "GetPossibleOwners",
    "GetPreferredOwners",
    "GetPrivateProperties",
    "GetQuorumResource",
    "GetResourceState",
    "GetResourceTypeInfo",
    "GetTypeResources",
    "ListObjects",
    "MoveGroup",
    "ObjectKind",
    "OfflineGroup",
    "OfflineResource",
    "OnlineGroup",
    "OnlineResource",
    "OpenNotifyPort",
    "OpenObject",
    "OpenRegistryPort",
    "PauseNode",
    "RemoveDependency",
    "RemovePossibleOwner",
    "RenameObject",
    "ResumeNode",
    "SetCommonProperties",
    "SetPreferredOwners",
    "SetPrivateProperties",
    "SetQuorumResource",
)


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
    mirrors = "SetClusterQuorumResource"
    id: str


# -- nodes ---------------------------------------------------------------------------------


@attrs.frozen
class GetNodeState(Operation[NodeState]):
    mirrors = "GetClusterNodeState"
    id: str


@attrs.frozen
class PauseNode(Operation[None]):
    mirrors = "PauseClusterNode"
    id: str


@attrs.frozen
class ResumeNode(Operation[None]):
    mirrors = "ResumeClusterNode"
    id: str


@attrs.frozen
class EvictNode(Operation[None]):
    mirrors = "EvictClusterNode"
    id: str


@attrs.frozen
class GetNodeGroups(Operation[tuple[ObjectInfo, ...]]):
    mirrors = "ClusterNodeEnum(CLUSTER_NODE_ENUM_GROUPS)"
    id: str


# -- groups --------------------------------------------------------------------------------


@attrs.frozen
class CreateGroup(Operation[ObjectInfo]):
    mirrors = "CreateClusterGroup"
    name: str


@attrs.frozen
class DeleteGroup(Operation[None]):
    mirrors = "DeleteClusterGroup"
    id: str


@attrs.frozen
class GetGroupState(Operation[GroupStateInfo]):
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
    mirrors = "SetClusterGroupNodeList"
    id: str
    nodes: tuple[str, ...]


@attrs.frozen
class GetPreferredOwners(Operation[tuple[ObjectInfo, ...]]):
    mirrors = "ClusterGroupEnum(CLUSTER_GROUP_ENUM_NODES)"
    id: str


@attrs.frozen
class GetGroupResources(Operation[tuple[ObjectInfo, ...]]):
    mirrors = "ClusterGroupEnum(CLUSTER_GROUP_ENUM_CONTAINS)"
    id: str


# -- resources -----------------------------------------------------------------------------


@attrs.frozen
class CreateResource(Operation[ObjectInfo]):
    mirrors = "CreateClusterResource"
    group: str
    name: str
    type_name: str
    separate_monitor: bool


@attrs.frozen
class DeleteResource(Operation[None]):
    mirrors = "DeleteClusterResource"
    id: str


@attrs.frozen
class GetResourceState(Operation[ResourceStateInfo]):
    mirrors = "GetClusterResourceState"
    id: str


@attrs.frozen
class OnlineResource(Operation[ResourceState]):
    mirrors = "OnlineClusterResource"
    id: str
    wait: bool


@attrs.frozen
class OfflineResource(Operation[ResourceState]):
    mirrors = "OfflineClusterResource"
    id: str
    wait: bool


@attrs.frozen
class FailResource(Operation[None]):
    mirrors = "FailClusterResource"
    id: str


@attrs.frozen
class ChangeResourceGroup(Operation[None]):
    mirrors = "ChangeClusterResourceGroup"
    id: str
    group: str


@attrs.frozen
class AddDependency(Operation[None]):
    mirrors = "AddClusterResourceDependency"
    id: str
    provider: str


@attrs.frozen
class RemoveDependency(Operation[None]):
    mirrors = "RemoveClusterResourceDependency"
    id: str
    provider: str


@attrs.frozen
class GetDependencies(Operation[tuple[ObjectInfo, ...]]):
    mirrors = "ClusterResourceEnum(CLUSTER_RESOURCE_ENUM_DEPENDS)"
    id: str


@attrs.frozen
class GetDependents(Operation[tuple[ObjectInfo, ...]]):
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
    mirrors = "AddClusterResourceNode"
    id: str
    node: str


@attrs.frozen
class RemovePossibleOwner(Operation[None]):
    mirrors = "RemoveClusterResourceNode"
    id: str
    node: str


@attrs.frozen
class GetPossibleOwners(Operation[tuple[ObjectInfo, ...]]):
    mirrors = "ClusterResourceEnum(CLUSTER_RESOURCE_ENUM_NODES)"
    id: str


@attrs.frozen
class GetPrivateProperties(Operation[Mapping[str, object]]):
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
    mirrors = "ClusterRegSetValue"
    path: str
    name: str
    value: object
    type: RegValueType | None


@attrs.frozen
class QueryValue(Operation[tuple[RegValueType, object]]):
    mirrors = "ClusterRegQueryValue"
    path: str
    name: str


@attrs.frozen
class DeleteValue(Operation[None]):
    mirrors = "ClusterRegDeleteValue"
    path: str
    name: str


@attrs.frozen
class EnumKeys(Operation[tuple[str, ...]]):
    mirrors = "ClusterRegEnumKey"
    path: str


@attrs.frozen
class EnumValues(Operation[tuple[tuple[str, RegValueType, object], ...]]):
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
    mirrors = "CLUSCTL_RESOURCE_ADD_REGISTRY_CHECKPOINT"
    id: str
    path: str


@attrs.frozen
class DeleteCheckpoint(Operation[None]):
    mirrors = "CLUSCTL_RESOURCE_DELETE_REGISTRY_CHECKPOINT"
    id: str
    path: str


@attrs.frozen
class GetCheckpoints(Operation[tuple[str, ...]]):
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
    mirrors = "DeleteClusterResourceType"
    name: str


@attrs.frozen
class GetResourceTypeInfo(Operation[ResourceTypeInfo]):
    mirrors = "ClusterResourceTypeControl(GET_COMMON_PROPERTIES)"
    name: str


@attrs.frozen
class GetTypeResources(Operation[tuple[ObjectInfo, ...]]):
    mirrors = "ClusterResourceTypeEnum(CLUSTER_RESOURCE_TYPE_ENUM_RESOURCES)"
    name: str
