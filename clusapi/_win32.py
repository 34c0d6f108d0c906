"""The Win32 error codes that ClusAPI and ResAPI calls return, as one :class:`enum.IntEnum`."""

from __future__ import annotations

import enum

from ._messages import WIN32_MESSAGES

__all__ = ("Win32Error",)


@enum.unique
class Win32Error(enum.IntEnum):
    """A Win32 error code, named exactly as in winerror.h, with Windows' own message text.

    Example::

        >>> Win32Error.ERROR_GROUP_NOT_FOUND
        <Win32Error.ERROR_GROUP_NOT_FOUND: 5013>
        >>> Win32Error(5013).phrase
        'The cluster group could not be found.'
        >>> Win32Error.lookup(5013) is Win32Error.ERROR_GROUP_NOT_FOUND
        True
        >>> Win32Error.lookup(4) is None
        True

    Members compare equal to their numbers, so a raw ``DWORD`` from a backend can be compared
    or matched directly. Like :class:`http.HTTPStatus` and ``httpx.codes``, each member carries
    its text in :attr:`phrase`; the texts live in ``clusapi/_messages.py``.

    Only the codes the SDK produces, maps or documents are members, and the codes resource
    DLLs commonly return (a missing path, a busy or unreachable device, a service that will
    not start), so that a resource type can raise them by name: numbers are taken from
    winerror.h and pinned, with the texts of Microsoft's "System Error Codes" pages, by
    ``tests/clusapi/test_win32.py``.
    Use :meth:`lookup` for a code that may not be a member.
    """

    # General Win32 codes (0-999) that the cluster APIs reuse.
    ERROR_SUCCESS = 0
    ERROR_INVALID_FUNCTION = 1
    ERROR_FILE_NOT_FOUND = 2
    ERROR_PATH_NOT_FOUND = 3
    ERROR_ACCESS_DENIED = 5
    ERROR_INVALID_HANDLE = 6
    ERROR_INVALID_DATA = 13
    ERROR_NOT_READY = 21
    ERROR_SHARING_VIOLATION = 32
    ERROR_NOT_SUPPORTED = 50
    ERROR_BAD_NETPATH = 53
    ERROR_DEV_NOT_EXIST = 55
    ERROR_NETNAME_DELETED = 64
    ERROR_SHARING_PAUSED = 70
    ERROR_FILE_EXISTS = 80
    ERROR_DISK_FULL = 112
    ERROR_INVALID_PARAMETER = 87
    ERROR_INSUFFICIENT_BUFFER = 122
    ERROR_DIR_NOT_EMPTY = 145
    ERROR_BAD_ARGUMENTS = 160
    ERROR_BUSY = 170
    ERROR_ALREADY_EXISTS = 183
    ERROR_MORE_DATA = 234
    WAIT_TIMEOUT = 258
    ERROR_NO_MORE_ITEMS = 259
    ERROR_IO_PENDING = 997

    # Service-control, security, timeout, network and RPC codes (1000-1999).
    ERROR_SERVICE_REQUEST_TIMEOUT = 1053
    ERROR_SERVICE_ALREADY_RUNNING = 1056
    ERROR_SERVICE_DISABLED = 1058
    ERROR_CIRCULAR_DEPENDENCY = 1059
    ERROR_SERVICE_DOES_NOT_EXIST = 1060
    ERROR_SERVICE_CANNOT_ACCEPT_CTRL = 1061
    ERROR_SERVICE_NOT_ACTIVE = 1062
    ERROR_SERVICE_SPECIFIC_ERROR = 1066
    ERROR_PROCESS_ABORTED = 1067
    ERROR_SERVICE_DEPENDENCY_FAIL = 1068
    ERROR_SERVICE_LOGON_FAILED = 1069
    ERROR_SERVICE_START_HANG = 1070
    ERROR_SERVICE_MARKED_FOR_DELETE = 1072
    ERROR_SERVICE_NEVER_STARTED = 1077
    ERROR_NOT_FOUND = 1168
    ERROR_CONNECTION_REFUSED = 1225
    ERROR_ADDRESS_ALREADY_ASSOCIATED = 1227
    ERROR_HOST_UNREACHABLE = 1232
    ERROR_REVISION_MISMATCH = 1306
    ERROR_TIMEOUT = 1460
    RPC_S_SERVER_UNAVAILABLE = 1722

    # Failover-cluster codes (5001-5999).
    ERROR_DEPENDENT_RESOURCE_EXISTS = 5001
    ERROR_DEPENDENCY_NOT_FOUND = 5002
    ERROR_DEPENDENCY_ALREADY_EXISTS = 5003
    ERROR_RESOURCE_NOT_ONLINE = 5004
    ERROR_HOST_NODE_NOT_AVAILABLE = 5005
    ERROR_RESOURCE_NOT_AVAILABLE = 5006
    ERROR_RESOURCE_NOT_FOUND = 5007
    ERROR_SHUTDOWN_CLUSTER = 5008
    ERROR_CANT_EVICT_ACTIVE_NODE = 5009
    ERROR_OBJECT_ALREADY_EXISTS = 5010
    ERROR_OBJECT_IN_LIST = 5011
    ERROR_GROUP_NOT_AVAILABLE = 5012
    ERROR_GROUP_NOT_FOUND = 5013
    ERROR_GROUP_NOT_ONLINE = 5014
    ERROR_HOST_NODE_NOT_RESOURCE_OWNER = 5015
    ERROR_HOST_NODE_NOT_GROUP_OWNER = 5016
    ERROR_RESMON_CREATE_FAILED = 5017
    ERROR_RESMON_ONLINE_FAILED = 5018
    ERROR_RESOURCE_ONLINE = 5019
    ERROR_QUORUM_RESOURCE = 5020
    ERROR_NOT_QUORUM_CAPABLE = 5021
    ERROR_CLUSTER_SHUTTING_DOWN = 5022
    ERROR_INVALID_STATE = 5023
    ERROR_RESOURCE_PROPERTIES_STORED = 5024
    ERROR_NOT_QUORUM_CLASS = 5025
    ERROR_CORE_RESOURCE = 5026
    ERROR_QUORUM_RESOURCE_ONLINE_FAILED = 5027
    ERROR_NETWORK_NOT_AVAILABLE = 5035
    ERROR_NODE_NOT_AVAILABLE = 5036
    ERROR_ALL_NODES_NOT_AVAILABLE = 5037
    ERROR_RESOURCE_FAILED = 5038
    ERROR_CLUSTER_INVALID_NODE = 5039
    ERROR_CLUSTER_NODE_EXISTS = 5040
    ERROR_CLUSTER_NODE_NOT_FOUND = 5042
    ERROR_CLUSTER_NETWORK_EXISTS = 5044
    ERROR_CLUSTER_NETWORK_NOT_FOUND = 5045
    ERROR_CLUSTER_NETINTERFACE_EXISTS = 5046
    ERROR_CLUSTER_NETINTERFACE_NOT_FOUND = 5047
    ERROR_CLUSTER_INVALID_REQUEST = 5048
    ERROR_CLUSTER_NODE_DOWN = 5050
    ERROR_CLUSTER_NODE_UNREACHABLE = 5051
    ERROR_CLUSTER_NODE_NOT_MEMBER = 5052
    ERROR_CLUSTER_INVALID_NETWORK = 5054
    ERROR_CLUSTER_NODE_UP = 5056
    ERROR_CLUSTER_NODE_NOT_PAUSED = 5058
    ERROR_CLUSTER_NODE_ALREADY_UP = 5061
    ERROR_CLUSTER_NODE_ALREADY_DOWN = 5062
    ERROR_CLUSTER_NODE_ALREADY_MEMBER = 5065
    ERROR_INVALID_OPERATION_ON_QUORUM = 5068
    ERROR_DEPENDENCY_NOT_ALLOWED = 5069
    ERROR_CLUSTER_NODE_PAUSED = 5070
    ERROR_NODE_CANT_HOST_RESOURCE = 5071
    ERROR_CLUSTER_NODE_NOT_READY = 5072
    ERROR_CLUSTER_NODE_SHUTTING_DOWN = 5073
    ERROR_CLUSTER_RESOURCE_TYPE_NOT_FOUND = 5078
    ERROR_CLUSTER_RESNAME_NOT_FOUND = 5080
    ERROR_CLUSTER_NO_RPC_PACKAGES_REGISTERED = 5081
    ERROR_CLUSTER_OWNER_NOT_IN_PREFLIST = 5082
    ERROR_RESMON_INVALID_STATE = 5084
    ERROR_QUORUM_DISK_NOT_FOUND = 5086
    ERROR_CLUSTER_PROPERTY_DATA_TYPE_MISMATCH = 5895
    ERROR_CLUSTER_EVICT_WITHOUT_CLEANUP = 5896
    ERROR_CLUSTER_PARAMETER_MISMATCH = 5897
    ERROR_CLUSTER_GROUP_MOVING = 5908
    ERROR_CLUSTER_RESOURCE_TYPE_BUSY = 5909
    ERROR_RESOURCE_CALL_TIMED_OUT = 5910
    ERROR_CLUSTER_INVALID_STRING_TERMINATION = 5916
    ERROR_CLUSTER_INVALID_STRING_FORMAT = 5917
    ERROR_CLUSTER_NO_QUORUM = 5925
    ERROR_QUORUM_NOT_ALLOWED_IN_THIS_GROUP = 5928
    ERROR_DEPENDENCY_TREE_TOO_COMPLEX = 5929
    ERROR_CLUSTER_NOT_INSTALLED = 5932
    ERROR_CLUSTER_SINGLETON_RESOURCE = 5940
    ERROR_CLUSTER_GROUP_SINGLETON_RESOURCE = 5941
    ERROR_CLUSTER_GROUP_BUSY = 5944
    ERROR_CLUSTER_GROUP_QUEUED = 5959
    ERROR_CLUSTER_RESOURCE_LOCKED_STATUS = 5960

    @property
    def phrase(self) -> str:
        """Windows' message text for this code, as ``FormatMessage`` returns it (no CR LF).

        Example::

            >>> Win32Error.ERROR_INVALID_PARAMETER.phrase
            'The parameter is incorrect.'
        """
        return WIN32_MESSAGES[self.value]

    @classmethod
    def lookup(cls, code: int) -> Win32Error | None:
        """Return the member whose value is *code*, or ``None`` if no member has that value.

        Unlike ``Win32Error(code)``, which raises :exc:`ValueError` for an unknown code, this
        suits codes coming back from a backend or a real cluster, which may be any ``DWORD``.

        Example::

            >>> Win32Error.lookup(87)
            <Win32Error.ERROR_INVALID_PARAMETER: 87>
            >>> Win32Error.lookup(0xDEAD) is None
            True
        """
        try:
            return cls(code)
        except ValueError:
            return None
