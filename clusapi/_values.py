"""Frozen values the Cluster API returns (snapshots, never live views)."""

from __future__ import annotations

import attrs

from ._enums import ClusterChange, GroupState, NodeState, ResourceState

__all__ = (
    "ClusterInfo",
    "GroupStateInfo",
    "Notification",
    "ObjectInfo",
    "ResourceStateInfo",
    "ResourceTypeInfo",
)


@attrs.frozen
class ClusterInfo:
    """What ``GetClusterInformation`` returns: the name and ``CLUSTERVERSIONINFO``."""

    name: str
    major_version: int
    minor_version: int
    build_number: int
    vendor_id: str
    csd_version: str
    #: Which backend runs the cluster: ``"reference"``, ``"pacemaker"``, ...
    backend: str


@attrs.frozen
class ObjectInfo:
    """A cluster object's stable id and its name at the time of the call."""

    id: str
    name: str


@attrs.frozen
class GroupStateInfo:
    """What ``GetClusterGroupState`` returns: the derived state and the owner node's name."""

    state: GroupState
    owner: str | None


@attrs.frozen
class ResourceStateInfo:
    """What ``GetClusterResourceState`` returns: state, owner node and group names."""

    state: ResourceState
    owner: str | None
    group: str


@attrs.frozen
class NodeStateInfo:
    """A node's state and id."""

    state: NodeState
    id: str


@attrs.frozen
class ResourceTypeInfo:
    """A registered resource type (``CreateClusterResourceType``'s arguments)."""

    name: str
    display_name: str
    #: The implementation: ``"package.module:Class"``.
    implementation: str
    looks_alive_poll_interval: int
    is_alive_poll_interval: int


@attrs.frozen
class Notification:
    """One change event from a notify port (mirrors what ``GetClusterNotify`` returns).

    ``change`` is exactly one ``CLUSTER_CHANGE_*`` bit; ``name`` is the object's name (the key
    name relative to the registered key, for ``REGISTRY_*``).
    """

    change: ClusterChange
    name: str
    #: The object's id, when it has one.
    object_id: str | None = None
    #: Cluster time of the change, in seconds.
    time: float = 0.0
