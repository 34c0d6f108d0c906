"""clusapi: the Cluster API of Microsoft Cluster Server / Windows Server Failover Clustering,
for Python.

The everyday API: the shared vocabulary (states, flags, control codes, Win32 error codes and
the :class:`ClusterError` tree). The raw layer (control-code parts, property-list syntax) is in
:mod:`clusapi.lowlevel`; the reference runtime and virtual time are in :mod:`clusapi.testing`,
which this module never imports.
"""

from __future__ import annotations

import logging as _logging

from ._cluster import Cluster as Cluster, open_cluster as open_cluster
from ._common import (
    GroupCommonProperties as GroupCommonProperties,
    ResourceCommonProperties as ResourceCommonProperties,
    ResourceTypeCommonProperties as ResourceTypeCommonProperties,
)
from ._controlcode import ControlCode as ControlCode
from ._enums import (
    Characteristics as Characteristics,
    ClusterAccess as ClusterAccess,
    ClusterChange as ClusterChange,
    ClusterEnum as ClusterEnum,
    FailbackType as FailbackType,
    GroupEnum as GroupEnum,
    GroupState as GroupState,
    GroupType as GroupType,
    NetInterfaceState as NetInterfaceState,
    NetworkEnum as NetworkEnum,
    NetworkRole as NetworkRole,
    NetworkState as NetworkState,
    NodeClusterState as NodeClusterState,
    NodeEnum as NodeEnum,
    NodeResumeFailbackType as NodeResumeFailbackType,
    NodeState as NodeState,
    PropertyFormat as PropertyFormat,
    QuorumMode as QuorumMode,
    QuorumType as QuorumType,
    RegValueType as RegValueType,
    ResourceClass as ResourceClass,
    ResourceCreateFlags as ResourceCreateFlags,
    ResourceEnum as ResourceEnum,
    ResourceFlags as ResourceFlags,
    ResourceState as ResourceState,
    ResourceSubclass as ResourceSubclass,
    ResourceTypeEnum as ResourceTypeEnum,
    RestartAction as RestartAction,
)
from ._errors import (
    ClusterError as ClusterError,
    ClusterTimeoutError as ClusterTimeoutError,
    ClusterUnavailableError as ClusterUnavailableError,
    DependencyCycleError as DependencyCycleError,
    DependencyError as DependencyError,
    GroupNotFoundError as GroupNotFoundError,
    HandleClosedError as HandleClosedError,
    HostNodeError as HostNodeError,
    InvalidParameterError as InvalidParameterError,
    InvalidStateError as InvalidStateError,
    NodeNotFoundError as NodeNotFoundError,
    NotSupportedError as NotSupportedError,
    ObjectExistsError as ObjectExistsError,
    ObjectNotFoundError as ObjectNotFoundError,
    ObjectUnavailableError as ObjectUnavailableError,
    PropertyError as PropertyError,
    QuorumError as QuorumError,
    RegistryEntryNotFoundError as RegistryEntryNotFoundError,
    ResourceFailedError as ResourceFailedError,
    ResourceNotFoundError as ResourceNotFoundError,
    ResourceTypeNotFoundError as ResourceTypeNotFoundError,
)
from ._group import Group as Group
from ._key import (
    ClusterKey as ClusterKey,
    RegistryBatch as RegistryBatch,
)
from ._node import Node as Node
from ._notify import NotifyPort as NotifyPort, NotifyPortStatistics as NotifyPortStatistics
from ._properties import (
    PropertyItem as PropertyItem,
    PropertyTable as PropertyTable,
    PropertyValue as PropertyValue,
    prop as prop,
)
from ._resource import Resource as Resource
from ._restype import ResourceType as ResourceType
from ._util import fixup_module_metadata as _fixup_module_metadata
from ._values import (
    ClusterInfo as ClusterInfo,
    ControlResult as ControlResult,
    GroupStateInfo as GroupStateInfo,
    Notification as Notification,
    ObjectInfo as ObjectInfo,
    PropertyUpdate as PropertyUpdate,
    ResourceStateInfo as ResourceStateInfo,
    ResourceTypeInfo as ResourceTypeInfo,
)
from ._win32 import Win32Error as Win32Error

__version__ = "0.1.0"

__all__ = (
    "Characteristics",
    "Cluster",
    "ClusterAccess",
    "ClusterChange",
    "ClusterEnum",
    "ClusterError",
    "ClusterInfo",
    "ClusterKey",
    "ClusterTimeoutError",
    "ClusterUnavailableError",
    "ControlCode",
    "ControlResult",
    "DependencyCycleError",
    "DependencyError",
    "FailbackType",
    "Group",
    "GroupCommonProperties",
    "GroupEnum",
    "GroupNotFoundError",
    "GroupState",
    "GroupStateInfo",
    "GroupType",
    "HandleClosedError",
    "HostNodeError",
    "InvalidParameterError",
    "InvalidStateError",
    "NetInterfaceState",
    "NetworkEnum",
    "NetworkRole",
    "NetworkState",
    "Node",
    "NodeClusterState",
    "NodeEnum",
    "NodeNotFoundError",
    "NodeResumeFailbackType",
    "NodeState",
    "NotSupportedError",
    "Notification",
    "NotifyPort",
    "NotifyPortStatistics",
    "ObjectExistsError",
    "ObjectInfo",
    "ObjectNotFoundError",
    "ObjectUnavailableError",
    "PropertyError",
    "PropertyFormat",
    "PropertyItem",
    "PropertyTable",
    "PropertyUpdate",
    "PropertyValue",
    "QuorumError",
    "QuorumMode",
    "QuorumType",
    "RegValueType",
    "RegistryBatch",
    "RegistryEntryNotFoundError",
    "Resource",
    "ResourceClass",
    "ResourceCommonProperties",
    "ResourceCreateFlags",
    "ResourceEnum",
    "ResourceFailedError",
    "ResourceFlags",
    "ResourceNotFoundError",
    "ResourceState",
    "ResourceStateInfo",
    "ResourceSubclass",
    "ResourceType",
    "ResourceTypeCommonProperties",
    "ResourceTypeEnum",
    "ResourceTypeInfo",
    "ResourceTypeNotFoundError",
    "RestartAction",
    "Win32Error",
    "open_cluster",
    "prop",
)

_fixup_module_metadata(__name__, globals(), __all__)

# A library configures no logging (the stdlib's advice): its records go nowhere until the
# application adds a handler, not to stderr through logging's last resort.
_logging.getLogger(__name__).addHandler(_logging.NullHandler())
