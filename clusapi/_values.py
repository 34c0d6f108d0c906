"""Frozen values the Cluster API returns (snapshots, never live views)."""

from __future__ import annotations

import attrs

from ._enums import ClusterChange, GroupState, NodeState, ResourceState

__all__ = (
    "ClusterInfo",
    "ControlResult",
    "GroupStateInfo",
    "Notification",
    "ObjectInfo",
    "PropertyUpdate",
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
class ResourceTypeInfo:
    """A registered resource type (``CreateClusterResourceType``'s arguments)."""

    name: str
    display_name: str
    #: The implementation: ``"package.module:Class"``.
    implementation: str
    looks_alive_poll_interval: int
    is_alive_poll_interval: int


@attrs.frozen
class PropertyUpdate:
    """What a property change did (``CLUSCTL_*_SET_*_PROPERTIES``).

    ``takes_effect_at_next_online`` is the Python form of ERROR_RESOURCE_PROPERTIES_STORED:
    the values are stored, but the resource is online and reads them at its next online.
    """

    #: The property names written (values equal to the stored ones are not rewritten).
    written: tuple[str, ...]
    takes_effect_at_next_online: bool = False


@attrs.frozen
class ControlResult:
    """The answer to a control code (``Cluster*Control``): the output buffer, and whether
    properties were stored but take effect only at the next online
    (ERROR_RESOURCE_PROPERTIES_STORED)."""

    data: bytes
    properties_stored: bool = False


@attrs.frozen
class Notification:
    """One change event from a notify port (mirrors what ``GetClusterNotify`` returns, with
    what ``GetClusterNotifyV2``'s buffers add).

    ``change`` is exactly one ``CLUSTER_CHANGE_*`` bit; ``name`` is the object's name (the key
    name relative to the registered key, for ``REGISTRY_*``).

    The event says what changed as of the change, not as of when it is read: a query made
    after it (``resource.state()``) answers the current state, which may be later.
    """

    change: ClusterChange
    name: str
    #: The object's id, when it has one.
    object_id: str | None = None
    #: Cluster time of the change, in seconds.
    time: float = 0.0
    #: For ``RESOURCE_STATE``, ``GROUP_STATE`` and ``NODE_STATE``: the object's state the
    #: change left it in (``CLUSTER_CHANGE_*_STATE_V2``); None for the other kinds.
    state: ResourceState | GroupState | NodeState | None = None
    #: For ``GROUP_STATE`` and ``RESOURCE_STATE``: the node that owned the group (the
    #: resource's group) as of the change, by name; None when none did or for other kinds.
    owner: str | None = None
    #: For ``*_PROPERTY`` events: the names of the properties written (common and private
    #: alike), sorted; empty when the change was not to named properties (a dependency, the
    #: group's members, ...) or the backend cannot tell.
    properties: tuple[str, ...] = ()
