"""The exception tree of the Cluster API, and the one table that maps Win32 codes to it.

Every failure a public call reports is a :class:`ClusterError`, an :class:`OSError` whose
``winerror`` is the :class:`~clusapi.Win32Error` the C API would have returned. Subclasses
exist only for what callers catch::

    ClusterError(OSError)
    ├── ObjectNotFoundError            unknown name (ERROR_NOT_FOUND, and the ones below)
    │   ├── NodeNotFoundError                  ERROR_CLUSTER_NODE_NOT_FOUND
    │   ├── GroupNotFoundError                 ERROR_GROUP_NOT_FOUND
    │   ├── ResourceNotFoundError              ERROR_RESOURCE_NOT_FOUND
    │   ├── ResourceTypeNotFoundError          ERROR_CLUSTER_RESOURCE_TYPE_NOT_FOUND
    │   └── RegistryEntryNotFoundError         ERROR_FILE_NOT_FOUND
    ├── ObjectExistsError              ERROR_OBJECT_ALREADY_EXISTS, ERROR_OBJECT_IN_LIST, ...
    ├── ObjectUnavailableError         the object was deleted (ERROR_*_NOT_AVAILABLE)
    ├── InvalidParameterError          ERROR_INVALID_PARAMETER, ERROR_INVALID_DATA, ...
    │   └── PropertyError                      a property change rejected by its table
    ├── InvalidStateError              ERROR_INVALID_STATE, ERROR_RESOURCE_ONLINE, ...
    ├── DependencyError                ERROR_DEPENDENCY_*, ERROR_DEPENDENT_RESOURCE_EXISTS
    │   └── DependencyCycleError               ERROR_CIRCULAR_DEPENDENCY
    ├── HostNodeError                  no node can host it (ERROR_HOST_NODE_NOT_AVAILABLE, ...)
    ├── QuorumError                    ERROR_QUORUM_RESOURCE, ERROR_NOT_QUORUM_CAPABLE, ...
    ├── ResourceFailedError            a resource failed to come online or offline
    │   └── resapi.CannotComeOnline            Online cannot succeed on this node / any node
    ├── NotSupportedError              ERROR_NOT_SUPPORTED, ERROR_INVALID_FUNCTION
    ├── ClusterTimeoutError            WAIT_TIMEOUT, ERROR_TIMEOUT
    ├── HandleClosedError              you closed the handle (also anyio.ClosedResourceError)
    └── ClusterUnavailableError        the cluster went away (also anyio.BrokenResourceError)

:func:`make_error` is the only place that turns a code into an exception; backends call it
where results leave them, so the same code always raises the same class.
"""

from __future__ import annotations

import types
from typing import TYPE_CHECKING, ClassVar, Final

import anyio

from ._win32 import Win32Error

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = (
    "ClusterError",
    "ClusterTimeoutError",
    "ClusterUnavailableError",
    "DependencyCycleError",
    "DependencyError",
    "GroupNotFoundError",
    "HandleClosedError",
    "HostNodeError",
    "InvalidParameterError",
    "InvalidStateError",
    "NodeNotFoundError",
    "NotSupportedError",
    "ObjectExistsError",
    "ObjectNotFoundError",
    "ObjectUnavailableError",
    "PropertyError",
    "QuorumError",
    "RegistryEntryNotFoundError",
    "ResourceFailedError",
    "ResourceNotFoundError",
    "ResourceTypeNotFoundError",
    "error_class_for",
    "make_error",
)


class ClusterError(OSError):
    """A Cluster API or Resource API call failed; ``winerror`` says why.

    The message names the object, the Win32 name and number, and what to do::

        try:
            await cluster.open_group("SQL")
        except clusapi.GroupNotFoundError as exc:
            assert exc.winerror == clusapi.Win32Error.ERROR_GROUP_NOT_FOUND

    Args:
        winerror: the Win32 code, as the C API would return it.
        message: what happened, naming the object (``"no group named 'SQL'"``).
        fix: optional advice on how to fix it, appended to the message.
    """

    #: The code a subclass stands for when it is raised with its own name.
    default_winerror: ClassVar[Win32Error] = Win32Error.ERROR_INVALID_FUNCTION

    winerror: Win32Error | int
    #: The message without the code suffix and the fix.
    description: str
    fix: str | None

    def __init__(self, winerror: Win32Error | int, message: str, *, fix: str | None = None) -> None:
        code = Win32Error.lookup(winerror) or winerror
        name = code.name if isinstance(code, Win32Error) else "Win32 error"
        text = f"{message} ({name}, {int(code)})"
        if fix:
            text = f"{text}; {fix}"
        super().__init__(text)
        self.winerror = code
        self.description = message
        self.fix = fix

    def __reduce__(self) -> tuple[object, ...]:
        # OSError pickles its args, which here are the composed text; rebuild from the parts
        # instead, so a user's pickle or copy of an error keeps it unchanged. (Separate
        # monitors no longer pickle: their channel carries errors as typed JSON.)
        # The third element restores what was set after construction (property_name, notes).
        return (
            _rebuild,
            (type(self), int(self.winerror), self.description, self.fix),
            dict(self.__dict__),
        )


def _rebuild(cls: type[ClusterError], winerror: int, message: str, fix: str | None) -> ClusterError:
    return cls(winerror, message, fix=fix)


class ObjectNotFoundError(ClusterError):
    """No object of that name exists (open, lookup or reference by name)."""

    default_winerror = Win32Error.ERROR_NOT_FOUND


class NodeNotFoundError(ObjectNotFoundError):
    """No node of that name is a member of the cluster."""

    default_winerror = Win32Error.ERROR_CLUSTER_NODE_NOT_FOUND


class GroupNotFoundError(ObjectNotFoundError):
    """No group of that name exists."""

    default_winerror = Win32Error.ERROR_GROUP_NOT_FOUND


class ResourceNotFoundError(ObjectNotFoundError):
    """No resource of that name exists."""

    default_winerror = Win32Error.ERROR_RESOURCE_NOT_FOUND


class ResourceTypeNotFoundError(ObjectNotFoundError):
    """No resource type of that name is registered."""

    default_winerror = Win32Error.ERROR_CLUSTER_RESOURCE_TYPE_NOT_FOUND


class RegistryEntryNotFoundError(ObjectNotFoundError):
    """A cluster-database key or value, or a registry checkpoint, does not exist."""

    default_winerror = Win32Error.ERROR_FILE_NOT_FOUND


class ObjectExistsError(ClusterError):
    """An object of that name already exists, or is already in the list."""

    default_winerror = Win32Error.ERROR_OBJECT_ALREADY_EXISTS


class ObjectUnavailableError(ClusterError):
    """The object was deleted (or is being deleted); its handle can no longer be used."""

    default_winerror = Win32Error.ERROR_RESOURCE_NOT_AVAILABLE


class InvalidParameterError(ClusterError, ValueError):
    """An argument or property value is not acceptable."""

    default_winerror = Win32Error.ERROR_INVALID_PARAMETER


class PropertyError(InvalidParameterError):
    """A property change was rejected by the property table; nothing was changed.

    ``property_name`` names the offending property.
    """

    property_name: str | None = None


class InvalidStateError(ClusterError):
    """The object is not in a state that allows the operation (pending, online, paused, ...)."""

    default_winerror = Win32Error.ERROR_INVALID_STATE


class DependencyError(ClusterError):
    """A dependency cannot be added, removed or honoured."""

    default_winerror = Win32Error.ERROR_DEPENDENCY_NOT_FOUND


class DependencyCycleError(DependencyError):
    """The dependency would make a cycle."""

    default_winerror = Win32Error.ERROR_CIRCULAR_DEPENDENCY


class HostNodeError(ClusterError):
    """No node can host the group or resource (not a possible owner, paused, down)."""

    default_winerror = Win32Error.ERROR_HOST_NODE_NOT_AVAILABLE


class QuorumError(ClusterError):
    """The operation is not allowed on, or for, the quorum resource."""

    default_winerror = Win32Error.ERROR_QUORUM_RESOURCE


class ResourceFailedError(ClusterError):
    """A resource failed while the call waited for it (to come online, or go offline)."""

    default_winerror = Win32Error.ERROR_RESOURCE_FAILED


class NotSupportedError(ClusterError):
    """The backend or the resource does not support the request."""

    default_winerror = Win32Error.ERROR_NOT_SUPPORTED


class ClusterTimeoutError(ClusterError, TimeoutError):
    """A wait ran out of time."""

    default_winerror = Win32Error.WAIT_TIMEOUT


class HandleClosedError(ClusterError, anyio.ClosedResourceError):
    """The handle was closed by this program and cannot be used any more."""

    default_winerror = Win32Error.ERROR_INVALID_HANDLE


class ClusterUnavailableError(ClusterError, anyio.BrokenResourceError):
    """The cluster (or the node this handle talks to) went away."""

    default_winerror = Win32Error.ERROR_CLUSTER_NODE_DOWN


#: The one table from code to class. A code that is not here raises plain ClusterError.
_CLASS_FOR_CODE: Final[Mapping[int, type[ClusterError]]] = types.MappingProxyType(
    {
        Win32Error.ERROR_NOT_FOUND: ObjectNotFoundError,
        Win32Error.ERROR_FILE_NOT_FOUND: RegistryEntryNotFoundError,
        Win32Error.ERROR_CLUSTER_NODE_NOT_FOUND: NodeNotFoundError,
        Win32Error.ERROR_GROUP_NOT_FOUND: GroupNotFoundError,
        Win32Error.ERROR_RESOURCE_NOT_FOUND: ResourceNotFoundError,
        Win32Error.ERROR_CLUSTER_RESOURCE_TYPE_NOT_FOUND: ResourceTypeNotFoundError,
        Win32Error.ERROR_CLUSTER_RESNAME_NOT_FOUND: ResourceTypeNotFoundError,
        Win32Error.ERROR_CLUSTER_NETWORK_NOT_FOUND: ObjectNotFoundError,
        Win32Error.ERROR_CLUSTER_NETINTERFACE_NOT_FOUND: ObjectNotFoundError,
        Win32Error.ERROR_ALREADY_EXISTS: ObjectExistsError,
        Win32Error.ERROR_OBJECT_ALREADY_EXISTS: ObjectExistsError,
        Win32Error.ERROR_OBJECT_IN_LIST: ObjectExistsError,
        Win32Error.ERROR_CLUSTER_NODE_EXISTS: ObjectExistsError,
        Win32Error.ERROR_RESOURCE_NOT_AVAILABLE: ObjectUnavailableError,
        Win32Error.ERROR_GROUP_NOT_AVAILABLE: ObjectUnavailableError,
        Win32Error.ERROR_INVALID_PARAMETER: InvalidParameterError,
        Win32Error.ERROR_INVALID_DATA: InvalidParameterError,
        Win32Error.ERROR_BAD_ARGUMENTS: InvalidParameterError,
        Win32Error.ERROR_INSUFFICIENT_BUFFER: InvalidParameterError,
        Win32Error.ERROR_CLUSTER_PROPERTY_DATA_TYPE_MISMATCH: InvalidParameterError,
        Win32Error.ERROR_CLUSTER_INVALID_REQUEST: InvalidParameterError,
        Win32Error.ERROR_REVISION_MISMATCH: InvalidParameterError,
        Win32Error.ERROR_INVALID_STATE: InvalidStateError,
        Win32Error.ERROR_RESMON_INVALID_STATE: InvalidStateError,
        Win32Error.ERROR_RESOURCE_ONLINE: InvalidStateError,
        Win32Error.ERROR_RESOURCE_NOT_ONLINE: InvalidStateError,
        Win32Error.ERROR_GROUP_NOT_ONLINE: InvalidStateError,
        Win32Error.ERROR_DIR_NOT_EMPTY: InvalidStateError,
        Win32Error.ERROR_SHARING_PAUSED: InvalidStateError,
        Win32Error.ERROR_CLUSTER_NODE_PAUSED: InvalidStateError,
        Win32Error.ERROR_CLUSTER_NODE_NOT_PAUSED: InvalidStateError,
        Win32Error.ERROR_CLUSTER_NODE_UP: InvalidStateError,
        Win32Error.ERROR_CLUSTER_NODE_ALREADY_UP: InvalidStateError,
        Win32Error.ERROR_CLUSTER_NODE_ALREADY_DOWN: InvalidStateError,
        Win32Error.ERROR_CANT_EVICT_ACTIVE_NODE: InvalidStateError,
        Win32Error.ERROR_CORE_RESOURCE: InvalidStateError,
        Win32Error.ERROR_DEPENDENT_RESOURCE_EXISTS: DependencyError,
        Win32Error.ERROR_DEPENDENCY_NOT_FOUND: DependencyError,
        Win32Error.ERROR_DEPENDENCY_ALREADY_EXISTS: DependencyError,
        Win32Error.ERROR_DEPENDENCY_TREE_TOO_COMPLEX: DependencyError,
        Win32Error.ERROR_CIRCULAR_DEPENDENCY: DependencyCycleError,
        Win32Error.ERROR_HOST_NODE_NOT_AVAILABLE: HostNodeError,
        Win32Error.ERROR_HOST_NODE_NOT_RESOURCE_OWNER: HostNodeError,
        Win32Error.ERROR_HOST_NODE_NOT_GROUP_OWNER: HostNodeError,
        Win32Error.ERROR_NODE_CANT_HOST_RESOURCE: HostNodeError,
        Win32Error.ERROR_CLUSTER_OWNER_NOT_IN_PREFLIST: HostNodeError,
        Win32Error.ERROR_QUORUM_RESOURCE: QuorumError,
        Win32Error.ERROR_NOT_QUORUM_CAPABLE: QuorumError,
        Win32Error.ERROR_NOT_QUORUM_CLASS: QuorumError,
        Win32Error.ERROR_INVALID_OPERATION_ON_QUORUM: QuorumError,
        Win32Error.ERROR_DEPENDENCY_NOT_ALLOWED: QuorumError,
        Win32Error.ERROR_QUORUM_NOT_ALLOWED_IN_THIS_GROUP: QuorumError,
        Win32Error.ERROR_RESOURCE_FAILED: ResourceFailedError,
        Win32Error.ERROR_RESMON_ONLINE_FAILED: ResourceFailedError,
        Win32Error.ERROR_NOT_SUPPORTED: NotSupportedError,
        Win32Error.ERROR_INVALID_FUNCTION: NotSupportedError,
        Win32Error.WAIT_TIMEOUT: ClusterTimeoutError,
        Win32Error.ERROR_TIMEOUT: ClusterTimeoutError,
        Win32Error.ERROR_INVALID_HANDLE: HandleClosedError,
        Win32Error.ERROR_CLUSTER_NODE_DOWN: ClusterUnavailableError,
        Win32Error.ERROR_SHUTDOWN_CLUSTER: ClusterUnavailableError,
        Win32Error.ERROR_CLUSTER_SHUTTING_DOWN: ClusterUnavailableError,
        Win32Error.RPC_S_SERVER_UNAVAILABLE: ClusterUnavailableError,
    }
)


def error_class_for(winerror: Win32Error | int) -> type[ClusterError]:
    """Return the :class:`ClusterError` subclass that stands for ``winerror``."""
    return _CLASS_FOR_CODE.get(int(winerror), ClusterError)


def make_error(winerror: Win32Error | int, message: str, *, fix: str | None = None) -> ClusterError:
    """Build the exception for ``winerror`` from the one code-to-class table.

    Example::

        raise make_error(Win32Error.ERROR_GROUP_NOT_FOUND, "no group named 'SQL'",
                         fix="list the groups with `await cluster.groups()`")
    """
    return error_class_for(winerror)(winerror, message, fix=fix)
