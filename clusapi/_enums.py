"""Every enumeration and flag set of clusapi.h and resapi.h, with the header's exact numbers.

The numbers come from ``../shared/research/clusapi.md`` (§1-§5) and ``resapi.md`` (§2, §3, §7),
which were read from mingw-w64's ``clusapi.h``/``resapi.h`` and Microsoft's SDK copy; the tests
in ``tests/clusapi/test_enums.py`` hold a transcribed copy of those tables and compare member
by member.

Conventions:

* Python names drop the C prefix: ``ClusterGroupPartialOnline`` is
  :attr:`GroupState.PARTIAL_ONLINE`, ``CLUSTER_CHANGE_GROUP_STATE`` is
  :attr:`ClusterChange.GROUP_STATE`.
* Bit masks are :class:`enum.IntFlag` (they combine with ``|`` and keep unknown bits, which the
  wire may carry); closed value sets are :class:`enum.IntEnum`. Both are ``int`` subclasses, so a
  member can go straight into a DWORD field.
* C "count" sentinels (``ClusterResourceRestartActionCount``, ...) are not valid values and so are
  not members; they are module constants for validation code.

Example::

    >>> ClusterChange.GROUP_STATE | ClusterChange.RESOURCE_STATE
    <ClusterChange.RESOURCE_STATE|GROUP_STATE: 4352>
    >>> ResourceState(129)
    <ResourceState.ONLINE_PENDING: 129>
"""

from __future__ import annotations

import enum
from typing import Final

__all__ = (
    "FAILBACK_TYPE_COUNT",
    "REG_COMMAND_LAST",
    "RESOURCE_CREATE_VALID_FLAGS",
    "RESTART_ACTION_COUNT",
    "Characteristics",
    "ClusterAccess",
    "ClusterChange",
    "ClusterEnum",
    "FailbackType",
    "FailureType",
    "GroupEnum",
    "GroupState",
    "GroupType",
    "LogLevel",
    "MonitorState",
    "NetInterfaceState",
    "NetworkEnum",
    "NetworkRole",
    "NetworkState",
    "NodeClusterState",
    "NodeEnum",
    "NodeResumeFailbackType",
    "NodeState",
    "OfflineFlags",
    "OnlineFlags",
    "OpenFlags",
    "PropertyFormat",
    "PropertyItemFlags",
    "PropertySyntax",
    "PropertyType",
    "QuorumMode",
    "QuorumType",
    "RegCommand",
    "RegValueType",
    "ResourceApiVersion",
    "ResourceClass",
    "ResourceCreateFlags",
    "ResourceEnum",
    "ResourceExitState",
    "ResourceFlags",
    "ResourceState",
    "ResourceStatusFlags",
    "ResourceSubclass",
    "ResourceTypeEnum",
    "RestartAction",
)


# --------------------------------------------------------------------------- object states


class NodeState(enum.IntEnum):
    """Mirrors `CLUSTER_NODE_STATE` (clusapi.h).

    The state of a cluster node, as returned by ``GetClusterNodeState``.
    """

    UNKNOWN = -1  # also the error return of GetClusterNodeState
    UP = 0
    DOWN = 1  # not running, service stopped, or lost contact with the quorum
    PAUSED = 2  # an active member that may not host (bring online) groups
    JOINING = 3


class GroupState(enum.IntEnum):
    """Mirrors `CLUSTER_GROUP_STATE` (clusapi.h).

    The state of a group, derived from its resources (Failed > Pending > PartialOnline > Online >
    Offline; an empty group is Offline).
    """

    UNKNOWN = -1
    # learn.microsoft.com currently shows "Online = 206"; the header, windows-sys and
    # ClusResGroup.State all say 0 (research clusapi.md §3), so 0 it is.
    ONLINE = 0
    OFFLINE = 1
    FAILED = 2
    PARTIAL_ONLINE = 3
    PENDING = 4


class ResourceState(enum.IntEnum):
    """Mirrors `CLUSTER_RESOURCE_STATE` (clusapi.h; 126 and 127 are added by resapi.h).

    The state of a resource. A resource DLL reports only ONLINE, OFFLINE, FAILED, the two
    specific pending states and UNKNOWN; the rest are set by the cluster service.
    """

    UNKNOWN = -1
    INHERITED = 0
    INITIALIZING = 1
    ONLINE = 2
    OFFLINE = 3
    FAILED = 4
    # resapi.h defines these as ClusterResourcePending - 2 and - 1; their semantics are not
    # documented (research resapi.md §3).
    CANNOT_COME_ONLINE_ON_ANY_NODE = 126
    CANNOT_COME_ONLINE_ON_THIS_NODE = 127
    PENDING = 128  # the generic pending state; the next two are the specific ones
    ONLINE_PENDING = 129
    OFFLINE_PENDING = 130


class NetworkState(enum.IntEnum):
    """Mirrors `CLUSTER_NETWORK_STATE` (clusapi.h).

    The state of a cluster network, as returned by ``GetClusterNetworkState``.
    """

    UNKNOWN = -1
    UNAVAILABLE = 0
    DOWN = 1
    PARTITIONED = 2
    UP = 3


class NetworkRole(enum.IntFlag):
    """Mirrors `CLUSTER_NETWORK_ROLE` (clusapi.h).

    What a network carries: cluster-internal traffic, client traffic, or both.
    """

    NONE = 0
    INTERNAL_USE = 0x1
    CLIENT_ACCESS = 0x2
    INTERNAL_AND_CLIENT = 0x3


class NetInterfaceState(enum.IntEnum):
    """Mirrors `CLUSTER_NETINTERFACE_STATE` (clusapi.h).

    The state of one node's interface on a cluster network.
    """

    UNKNOWN = -1
    UNAVAILABLE = 0
    FAILED = 1
    UNREACHABLE = 2
    UP = 3


class NodeClusterState(enum.IntEnum):
    """Mirrors `NODE_CLUSTER_STATE` (clusapi.h).

    Whether the cluster service is installed, configured and running on a computer, as returned
    by ``GetNodeClusterState``. The values are ORs of the header's ``CLUSTER_INSTALLED`` (0x1),
    ``CLUSTER_CONFIGURED`` (0x2) and ``CLUSTER_RUNNING`` (0x10) bits.
    """

    NOT_INSTALLED = 0x00
    NOT_CONFIGURED = 0x01
    NOT_RUNNING = 0x03
    RUNNING = 0x13


# --------------------------------------------------------------------------- notifications


class ClusterChange(enum.IntFlag):
    """Mirrors `CLUSTER_CHANGE` (clusapi.h).

    The notification filter bits; each event carries exactly one of them.

    ``REGISTRY_SUBTREE`` is a modifier (watch the whole subtree) and is never returned;
    ``QUORUM_STATE`` is reserved.
    """

    NODE_STATE = 0x00000001
    NODE_DELETED = 0x00000002
    NODE_ADDED = 0x00000004
    NODE_PROPERTY = 0x00000008
    REGISTRY_NAME = 0x00000010
    REGISTRY_ATTRIBUTES = 0x00000020
    REGISTRY_VALUE = 0x00000040
    REGISTRY_SUBTREE = 0x00000080
    RESOURCE_STATE = 0x00000100
    RESOURCE_DELETED = 0x00000200
    RESOURCE_ADDED = 0x00000400
    RESOURCE_PROPERTY = 0x00000800  # also dependency and possible-owner changes
    GROUP_STATE = 0x00001000
    GROUP_DELETED = 0x00002000
    GROUP_ADDED = 0x00004000
    GROUP_PROPERTY = 0x00008000  # also a resource added to or removed from the group
    RESOURCE_TYPE_DELETED = 0x00010000
    RESOURCE_TYPE_ADDED = 0x00020000
    RESOURCE_TYPE_PROPERTY = 0x00040000
    CLUSTER_RECONNECT = 0x00080000  # reconnected; events may have been lost
    NETWORK_STATE = 0x00100000
    NETWORK_DELETED = 0x00200000
    NETWORK_ADDED = 0x00400000
    NETWORK_PROPERTY = 0x00800000
    NETINTERFACE_STATE = 0x01000000
    NETINTERFACE_DELETED = 0x02000000
    NETINTERFACE_ADDED = 0x04000000
    NETINTERFACE_PROPERTY = 0x08000000
    QUORUM_STATE = 0x10000000
    CLUSTER_STATE = 0x20000000  # the cluster became unavailable
    CLUSTER_PROPERTY = 0x40000000
    HANDLE_CLOSE = 0x80000000  # a handle to a registered object was closed
    ALL = 0xFFFFFFFF


# --------------------------------------------------------------------------- policies


RESTART_ACTION_COUNT: Final = 3
"""``ClusterResourceRestartActionCount``: one past the last valid :class:`RestartAction`."""


class RestartAction(enum.IntEnum):
    """Mirrors `CLUSTER_RESOURCE_RESTART_ACTION` (clusapi.h).

    What the cluster does when a resource fails (the ``RestartAction`` common property; the C
    type is also spelled ``CRRA``).
    """

    DONT_RESTART = 0
    RESTART_NO_NOTIFY = 1  # restart; past the threshold stay failed, don't fail the group over
    RESTART_NOTIFY = 2  # restart; past the threshold try to fail the group over (the default)


FAILBACK_TYPE_COUNT: Final = 2
"""``ClusterGroupFailbackTypeCount``: one past the last valid :class:`FailbackType`."""


class FailbackType(enum.IntEnum):
    """Mirrors `CLUSTER_GROUP_AUTOFAILBACK_TYPE` (clusapi.h).

    Whether a group fails back to its preferred owner when that node returns (the
    ``AutoFailbackType`` common property; the C type is also spelled ``CGAFT``).
    """

    PREVENT_FAILBACK = 0
    ALLOW_FAILBACK = 1


class NodeResumeFailbackType(enum.IntEnum):
    """Mirrors `CLUSTER_NODE_RESUME_FAILBACK_TYPE` (clusapi.h, Windows Server 2012+).

    What ``ResumeClusterNodeEx`` does with the groups drained off the node.
    """

    DO_NOT_FAILBACK_GROUPS = 0
    FAILBACK_GROUPS_IMMEDIATELY = 1
    FAILBACK_GROUPS_PER_POLICY = 2


# --------------------------------------------------------------------------- enumeration masks


class ClusterEnum(enum.IntFlag):
    """Mirrors `CLUSTER_ENUM` (clusapi.h).

    The object kinds ``ClusterOpenEnum`` lists.

    ``SHARED_VOLUME_RESOURCE`` and ``INTERNAL_NETWORK`` must be used alone; ``ALL`` does not
    include them.
    """

    NODE = 0x00000001
    RESTYPE = 0x00000002
    RESOURCE = 0x00000004
    GROUP = 0x00000008
    NETWORK = 0x00000010
    NETINTERFACE = 0x00000020
    SHARED_VOLUME_RESOURCE = 0x40000000  # Windows Server 2008 R2+
    INTERNAL_NETWORK = 0x80000000  # networks in internal-use priority order
    ALL = 0x0000003F


class NodeEnum(enum.IntFlag):
    """Mirrors `CLUSTER_NODE_ENUM` (clusapi.h).

    What ``ClusterNodeOpenEnum`` lists for a node.
    """

    NETINTERFACES = 0x1
    GROUPS = 0x2  # Windows Server 2008 R2+
    ALL = 0x3


class GroupEnum(enum.IntFlag):
    """Mirrors `CLUSTER_GROUP_ENUM` (clusapi.h).

    What ``ClusterGroupOpenEnum`` lists for a group.
    """

    CONTAINS = 0x1  # the resources in the group
    NODES = 0x2  # the preferred owners, most preferred first
    ALL = 0x3


class ResourceEnum(enum.IntFlag):
    """Mirrors `CLUSTER_RESOURCE_ENUM` (clusapi.h).

    What ``ClusterResourceOpenEnum`` lists for a resource.
    """

    DEPENDS = 0x1  # the resources this one depends on
    PROVIDES = 0x2  # the resources that depend on this one
    NODES = 0x4  # the possible owners
    ALL = 0x7


class ResourceTypeEnum(enum.IntFlag):
    """Mirrors `CLUSTER_RESOURCE_TYPE_ENUM` (clusapi.h).

    What ``ClusterResourceTypeOpenEnum`` lists for a resource type.
    """

    NODES = 0x1  # the nodes that support the type
    RESOURCES = 0x2
    ALL = 0x3


class NetworkEnum(enum.IntFlag):
    """Mirrors `CLUSTER_NETWORK_ENUM` (clusapi.h).

    What ``ClusterNetworkOpenEnum`` lists for a network.
    """

    NETINTERFACES = 0x1
    ALL = 0x1  # an alias: interfaces are the only thing a network contains


# --------------------------------------------------------------------------- creation flags


RESOURCE_CREATE_VALID_FLAGS: Final = 0x1
"""``CLUSTER_RESOURCE_VALID_FLAGS``: the bits ``CreateClusterResource`` accepts."""


class ResourceCreateFlags(enum.IntFlag):
    """Mirrors `CLUSTER_RESOURCE_CREATE_FLAGS` (clusapi.h).

    Whether ``CreateClusterResource`` runs the new resource in its own Resource Monitor.
    """

    DEFAULT_MONITOR = 0
    SEPARATE_MONITOR = 1


class GroupType(enum.IntEnum):
    """Mirrors `CLUSGROUP_TYPE` (clusapi.h, Windows Server 2012+).

    The role a group plays (the ``GroupType`` common property).

    Only some of the header's values are here; it has more between 3 and 100 and above 111.
    """

    CORE_CLUSTER = 1
    AVAILABLE_STORAGE = 2
    TEMPORARY = 3
    FILE_SERVER = 100
    GENERIC_APPLICATION = 107
    GENERIC_SERVICE = 108
    GENERIC_SCRIPT = 109
    VIRTUAL_MACHINE = 111
    UNKNOWN = 9999


# --------------------------------------------------------------------------- quorum


class QuorumType(enum.IntEnum):
    """Mirrors `CLUSTER_QUORUM_TYPE` (clusapi.h).

    Which quorum an operation is about: the one that keeps the cluster running, or the one a
    configuration change needs.
    """

    OPERATIONAL = 0
    MODIFY = 1


class QuorumMode(enum.IntEnum):
    """Mirrors the `CLUS_*_QUORUM` constants (clusapi.h).

    The quorum model newer systems read from ``SetClusterQuorumResource``'s last argument
    (which older systems read as the maximum quorum log size).
    """

    NODE_MAJORITY = 0  # the resource handle must then be the existing quorum resource
    HYBRID = 1024
    LEGACY = 4 * 1024 * 1024


# --------------------------------------------------------------------------- resource types


class Characteristics(enum.IntFlag):
    """Mirrors `CLUS_CHARACTERISTICS` (clusapi.h).

    What ``CLCTL_GET_CHARACTERISTICS`` reports about a resource or resource type.
    """

    UNKNOWN = 0x00000000
    QUORUM = 0x00000001  # can be the quorum resource (the DLL has Arbitrate and Release)
    DELETE_REQUIRES_ALL_NODES = 0x00000002
    LOCAL_QUORUM = 0x00000004  # deprecated since Vista
    LOCAL_QUORUM_DEBUG = 0x00000008  # deprecated since Vista
    REQUIRES_STATE_CHANGE_REASON = 0x00000010
    BROADCAST_DELETE = 0x00000020
    SINGLE_CLUSTER_INSTANCE = 0x00000040  # at most one resource of the type per cluster
    SINGLE_GROUP_INSTANCE = 0x00000080  # at most one resource of the type per group


class ResourceFlags(enum.IntFlag):
    """Mirrors `CLUS_FLAGS` (clusapi.h).

    What ``CLCTL_GET_FLAGS`` reports. The API reserves the low 16 bits; a resource DLL may use
    the high 16 for its own flags, which an :class:`enum.IntFlag` keeps as unnamed bits.
    """

    CORE = 0x00000001  # a core resource or group (cluster IP, name, quorum): cannot be deleted


class ResourceClass(enum.IntEnum):
    """Mirrors `CLUSTER_RESOURCE_CLASS` (clusapi.h).

    The broad class of a resource type (the ``rc`` half of ``CLUS_RESOURCE_CLASS_INFO``).
    """

    UNKNOWN = 0
    STORAGE = 1
    NETWORK = 2
    USER = 32768  # the first value for DLL-defined classes


class ResourceSubclass(enum.IntFlag):
    """Mirrors `CLUS_RESSUBCLASS` (clusapi.h).

    The subclass bits of ``CLUS_RESOURCE_CLASS_INFO``. The header names the same bit three
    times, once per class; the last two here are aliases of :attr:`SHARED`.
    """

    SHARED = 0x80000000
    STORAGE_SHARED_BUS = 0x80000000  # CLUS_RESSUBCLASS_STORAGE_SHARED_BUS
    NETWORK_INTERNET_PROTOCOL = 0x80000000  # CLUS_RESSUBCLASS_NETWORK_INTERNET_PROTOCOL


# --------------------------------------------------------------------------- property lists


class PropertyFormat(enum.IntEnum):
    """Mirrors `CLUSTER_PROPERTY_FORMAT` (clusapi.h).

    The data format of a property value: the low word of a :class:`PropertySyntax`.
    """

    UNKNOWN = 0
    BINARY = 1
    DWORD = 2
    SZ = 3
    EXPAND_SZ = 4
    MULTI_SZ = 5
    ULARGE_INTEGER = 6
    LONG = 7
    EXPANDED_SZ = 8  # output only: the expanded twin of an EXPAND_SZ value
    SECURITY_DESCRIPTOR = 9
    LARGE_INTEGER = 10
    WORD = 11
    FILETIME = 12
    PROPERTY_LIST = 14  # a nested property list
    USER = 32768


class PropertyType(enum.IntEnum):
    """Mirrors `CLUSTER_PROPERTY_TYPE` (clusapi.h).

    What a property value means: the high word of a :class:`PropertySyntax`.
    """

    UNKNOWN = -1
    ENDMARK = 0
    LIST_VALUE = 1
    RESCLASS = 2
    RESERVED1 = 3
    NAME = 4
    SIGNATURE = 5
    SCSI_ADDRESS = 6
    DISK_NUMBER = 7
    PARTITION_INFO = 8
    FTSET_INFO = 9
    DISK_SERIALNUMBER = 10
    DISK_GUID = 11
    DISK_SIZE = 12
    PARTITION_INFO_EX = 13
    USER = 32768


def _syntax(type_: PropertyType, format_: PropertyFormat) -> int:
    # CLUSPROP_SYNTAX_VALUE(type, format): the header builds every syntax this way, so we do too
    # rather than typing 25 hex literals that could drift from the two enums above.
    return (type_ << 16) | format_


class PropertySyntax(enum.IntEnum):
    """Mirrors `CLUSTER_PROPERTY_SYNTAX` (clusapi.h).

    The tag in front of every entry of a property list: ``(PropertyType << 16) | PropertyFormat``.
    """

    ENDMARK = _syntax(PropertyType.ENDMARK, PropertyFormat.UNKNOWN)
    NAME = _syntax(PropertyType.NAME, PropertyFormat.SZ)
    RESCLASS = _syntax(PropertyType.RESCLASS, PropertyFormat.DWORD)
    LIST_VALUE_BINARY = _syntax(PropertyType.LIST_VALUE, PropertyFormat.BINARY)
    LIST_VALUE_DWORD = _syntax(PropertyType.LIST_VALUE, PropertyFormat.DWORD)
    LIST_VALUE_SZ = _syntax(PropertyType.LIST_VALUE, PropertyFormat.SZ)
    LIST_VALUE_EXPAND_SZ = _syntax(PropertyType.LIST_VALUE, PropertyFormat.EXPAND_SZ)
    LIST_VALUE_MULTI_SZ = _syntax(PropertyType.LIST_VALUE, PropertyFormat.MULTI_SZ)
    LIST_VALUE_ULARGE_INTEGER = _syntax(PropertyType.LIST_VALUE, PropertyFormat.ULARGE_INTEGER)
    LIST_VALUE_LONG = _syntax(PropertyType.LIST_VALUE, PropertyFormat.LONG)
    LIST_VALUE_EXPANDED_SZ = _syntax(PropertyType.LIST_VALUE, PropertyFormat.EXPANDED_SZ)
    LIST_VALUE_SECURITY_DESCRIPTOR = _syntax(
        PropertyType.LIST_VALUE, PropertyFormat.SECURITY_DESCRIPTOR
    )
    LIST_VALUE_LARGE_INTEGER = _syntax(PropertyType.LIST_VALUE, PropertyFormat.LARGE_INTEGER)
    LIST_VALUE_WORD = _syntax(PropertyType.LIST_VALUE, PropertyFormat.WORD)
    LIST_VALUE_FILETIME = _syntax(PropertyType.LIST_VALUE, PropertyFormat.FILETIME)
    LIST_VALUE_PROPERTY_LIST = _syntax(PropertyType.LIST_VALUE, PropertyFormat.PROPERTY_LIST)
    DISK_SIGNATURE = _syntax(PropertyType.SIGNATURE, PropertyFormat.DWORD)
    SCSI_ADDRESS = _syntax(PropertyType.SCSI_ADDRESS, PropertyFormat.DWORD)
    DISK_NUMBER = _syntax(PropertyType.DISK_NUMBER, PropertyFormat.DWORD)
    PARTITION_INFO = _syntax(PropertyType.PARTITION_INFO, PropertyFormat.BINARY)
    FTSET_INFO = _syntax(PropertyType.FTSET_INFO, PropertyFormat.BINARY)
    DISK_SERIALNUMBER = _syntax(PropertyType.DISK_SERIALNUMBER, PropertyFormat.SZ)
    DISK_GUID = _syntax(PropertyType.DISK_GUID, PropertyFormat.SZ)
    DISK_SIZE = _syntax(PropertyType.DISK_SIZE, PropertyFormat.ULARGE_INTEGER)
    PARTITION_INFO_EX = _syntax(PropertyType.PARTITION_INFO_EX, PropertyFormat.BINARY)


# --------------------------------------------------------------------------- cluster database


REG_COMMAND_LAST: Final = 19
"""``CLUSREG_LAST_COMMAND``: one past the last valid :class:`RegCommand`."""


class RegCommand(enum.IntEnum):
    """Mirrors `CLUSTER_REG_COMMAND` (clusapi.h).

    One command of a cluster-database batch (``ClusterRegBatchAddCommand``) or of a batch
    notification.
    """

    NONE = 0
    SET_VALUE = 1
    CREATE_KEY = 2  # also makes the new key current for the SET_VALUEs that follow
    DELETE_KEY = 3
    DELETE_VALUE = 4
    SET_KEY_SECURITY = 5
    VALUE_DELETED = 6
    READ_KEY = 7
    READ_VALUE = 8
    READ_ERROR = 9
    CONTROL_COMMAND = 10
    CONDITION_EXISTS = 11
    CONDITION_NOT_EXISTS = 12
    CONDITION_IS_EQUAL = 13
    CONDITION_IS_NOT_EQUAL = 14
    CONDITION_IS_GREATER_THAN = 15
    CONDITION_IS_LESS_THAN = 16
    CONDITION_KEY_EXISTS = 17
    CONDITION_KEY_NOT_EXISTS = 18


class RegValueType(enum.IntEnum):
    """Mirrors the `REG_*` value types (winnt.h, as clusapi.h's ``ClusterReg*`` calls use them).

    The type of a value in the cluster database.
    """

    NONE = 0
    SZ = 1
    EXPAND_SZ = 2
    BINARY = 3
    DWORD = 4
    MULTI_SZ = 7
    QWORD = 11


class ClusterAccess(enum.IntFlag):
    """Mirrors the `CLUSAPI_*_ACCESS` rights (clusapi.h).

    The access asked for and granted by ``OpenClusterEx`` and the other ``Open*Ex`` calls.
    """

    READ = 0x1
    CHANGE = 0x2
    # The header's CLUSAPI_NO_ACCESS; a bare "NO" would read as a word, not a right.
    NO_ACCESS = 0x4
    ALL = 0x3


# --------------------------------------------------------------------------- resapi.h


class ResourceExitState(enum.IntEnum):
    """Mirrors `RESOURCE_EXIT_STATE` (resapi.h).

    What ``SetResourceStatus`` tells a resource DLL's worker: carry on, or stop now because the
    resource was terminated.
    """

    CONTINUE = 0
    TERMINATE = 1


class FailureType(enum.IntEnum):
    """Mirrors `FAILURE_TYPE` (resapi.h).

    The kind of failure a DLL reports through the ``SignalFailure`` callback.
    """

    GENERAL = 0
    EMBEDDED = 1
    NETWORK_LOSS = 2


class MonitorState(enum.IntEnum):
    """Mirrors `RESOURCE_MONITOR_STATE` (resapi.h).

    The call a Resource Monitor is in the middle of; deadlock detection reads it.
    """

    INITIALIZING = 0
    IDLE = 1
    STARTING_RESOURCE = 2
    INITIALIZING_RESOURCE = 3
    ONLINE_RESOURCE = 4
    OFFLINE_RESOURCE = 5
    SHUTDOWN_RESOURCE = 6
    DELETING_RESOURCE = 7
    IS_ALIVE_POLL = 8
    LOOKS_ALIVE_POLL = 9
    ARBITRATE_RESOURCE = 10
    RELEASE_RESOURCE = 11
    RESOURCE_CONTROL = 12
    RESOURCE_TYPE_CONTROL = 13
    TERMINATE_RESOURCE = 14
    DEADLOCKED = 15


class ResourceStatusFlags(enum.IntFlag):
    """Mirrors the `CLUSRESDLL_STATUS_*` flags (resapi.h).

    The ``Flags`` of ``RESOURCE_STATUS_EX``: why an operation could not complete, and
    diagnostics requests.
    """

    OFFLINE_BUSY = 0x00000001
    OFFLINE_SOURCE_THROTTLED = 0x00000002
    OFFLINE_DESTINATION_THROTTLED = 0x00000004
    OFFLINE_DESTINATION_REJECTED = 0x00000008
    INSUFFICIENT_MEMORY = 0x00000010
    INSUFFICIENT_PROCESSOR = 0x00000020
    INSUFFICIENT_OTHER_RESOURCES = 0x00000040
    INVALID_PARAMETERS = 0x00000080
    NETWORK_NOT_AVAILABLE = 0x00000100
    DO_NOT_COLLECT_WER_REPORT = 0x40000000
    DUMP_NOW = 0x80000000


class OnlineFlags(enum.IntFlag):
    """Mirrors the `CLUS_RESDLL_ONLINE_*` flags (resapi.h).

    The ``OnlineFlags`` an ``OnlineV2`` entry point receives.
    """

    RECOVER_MONITOR_STATE = 0x1
    IGNORE_RESOURCE_STATUS = 0x2  # online even if the resource is locked
    RETURN_TO_SOURCE_NODE_ON_ERROR = 0x4
    RESTORE_ONLINE_STATE = 0x8
    IGNORE_NETWORK_CONNECTIVITY = 0x10


class OfflineFlags(enum.IntFlag):
    """Mirrors the `CLUS_RESDLL_OFFLINE_*` flags (resapi.h).

    The ``OfflineFlags`` an ``OfflineV2`` entry point receives.
    """

    IGNORE_RESOURCE_STATUS = 0x1
    RETURN_TO_SOURCE_NODE_ON_ERROR = 0x2
    QUEUE_ENABLED = 0x4
    RETURNING_TO_SOURCE_NODE_BECAUSE_OF_ERROR = 0x8
    DUE_TO_EMBEDDED_FAILURE = 0x10
    IGNORE_NETWORK_CONNECTIVITY = 0x20
    DO_NOT_UPDATE_PERSISTENT_STATE = 0x40


class OpenFlags(enum.IntFlag):
    """Mirrors the `CLUS_RESDLL_OPEN_*` flags (resapi.h).

    The ``OpenFlags`` an ``OpenV2`` entry point receives.
    """

    RECOVER_MONITOR_STATE = 0x1
    DONT_DELETE_TEMP_DISK = 0x2


class PropertyItemFlags(enum.IntFlag):
    """Mirrors the `RESUTIL_PROPITEM_*` flags (resapi.h).

    The ``Flags`` of one ``RESUTIL_PROPERTY_ITEM`` in a property table.
    """

    READ_ONLY = 0x1
    REQUIRED = 0x2
    SIGNED = 0x4  # the numeric value is signed
    IN_MEMORY = 0x8  # Windows Server 2012+: node-local, not stored in the cluster database


class ResourceApiVersion(enum.IntEnum):
    """Mirrors the `CLRES_VERSION_*` constants (resapi.h).

    The Resource API version of a ``CLRES_FUNCTION_TABLE``, negotiated at ``Startup``.
    """

    V1_00 = 0x100
    V2_00 = 0x200  # adds Cancel and the V2 Open/Online/Offline (Windows Server 2012)
    V3_00 = 0x300  # asynchronous Begin*Control
    V4_00 = 0x400  # Begin*ControlAsUser (Windows Server 2016)


class LogLevel(enum.IntEnum):
    """Mirrors `LOG_LEVEL` (resapi.h).

    The severity of a ``LogEvent`` entry in the cluster log.
    """

    INFORMATION = 0
    WARNING = 1  # a possible failure
    ERROR = 2  # one component failed
    SEVERE = 3  # several components, or the integrity of the system, affected
