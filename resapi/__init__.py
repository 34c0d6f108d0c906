"""resapi: the Resource API of Microsoft Cluster Server / Windows Server Failover Clustering,
for Python.

Write a resource type by subclassing :class:`Resource` (what a resource DLL is in C), declare
its private properties with a :class:`PropertyTable`, and test it with :mod:`resapi.testing`.
The shared vocabulary of :mod:`clusapi` that resource authors need is re-exported here, as
resapi.h includes clusapi.h.
"""

from __future__ import annotations

import logging as _logging

from clusapi._controlcode import ControlCode as ControlCode
from clusapi._enums import (
    Characteristics as Characteristics,
    FailureType as FailureType,
    LogLevel as LogLevel,
    MonitorState as MonitorState,
    OfflineFlags as OfflineFlags,
    OnlineFlags as OnlineFlags,
    OpenFlags as OpenFlags,
    PropertyFormat as PropertyFormat,
    PropertyItemFlags as PropertyItemFlags,
    ResourceApiVersion as ResourceApiVersion,
    ResourceClass as ResourceClass,
    ResourceExitState as ResourceExitState,
    ResourceFlags as ResourceFlags,
    ResourceState as ResourceState,
    ResourceStatusFlags as ResourceStatusFlags,
)
from clusapi._errors import (
    ClusterError as ClusterError,
    InvalidParameterError as InvalidParameterError,
    InvalidStateError as InvalidStateError,
    NotSupportedError as NotSupportedError,
    PropertyError as PropertyError,
)
from clusapi._properties import (
    PropertyItem as PropertyItem,
    PropertyTable as PropertyTable,
    PropertyValue as PropertyValue,
    prop as prop,
)
from clusapi._util import fixup_module_metadata as _fixup_module_metadata
from clusapi._win32 import Win32Error as Win32Error

from ._records import (
    FailureReport as FailureReport,
    LogEntry as LogEntry,
    ResourceStatus as ResourceStatus,
)
from ._resource import (
    NOT_HANDLED as NOT_HANDLED,
    CannotComeOnline as CannotComeOnline,
    CannotComeOnlineOnAnyNode as CannotComeOnlineOnAnyNode,
    CannotComeOnlineOnThisNode as CannotComeOnlineOnThisNode,
    NotHandled as NotHandled,
    Resource as Resource,
    ResourceContext as ResourceContext,
    ResourceLog as ResourceLog,
    Worker as Worker,
)
from ._types._application import GenericApplication as GenericApplication
from ._types._script import GenericScript as GenericScript

__version__ = "0.1.0"

__all__ = (
    "NOT_HANDLED",
    "CannotComeOnline",
    "CannotComeOnlineOnAnyNode",
    "CannotComeOnlineOnThisNode",
    "Characteristics",
    "ClusterError",
    "ControlCode",
    "FailureReport",
    "FailureType",
    "GenericApplication",
    "GenericScript",
    "InvalidParameterError",
    "InvalidStateError",
    "LogEntry",
    "LogLevel",
    "MonitorState",
    "NotHandled",
    "NotSupportedError",
    "OfflineFlags",
    "OnlineFlags",
    "OpenFlags",
    "PropertyError",
    "PropertyFormat",
    "PropertyItem",
    "PropertyItemFlags",
    "PropertyTable",
    "PropertyValue",
    "Resource",
    "ResourceApiVersion",
    "ResourceClass",
    "ResourceContext",
    "ResourceExitState",
    "ResourceFlags",
    "ResourceLog",
    "ResourceState",
    "ResourceStatus",
    "ResourceStatusFlags",
    "Win32Error",
    "Worker",
    "prop",
)

_fixup_module_metadata(__name__, globals(), __all__)

# A library configures no logging (the stdlib's advice): its records go nowhere until the
# application adds a handler, not to stderr through logging's last resort.
_logging.getLogger(__name__).addHandler(_logging.NullHandler())
