"""Windows' own message text for the Win32 error codes that clusapi and resapi use.

Each string copies, character for character, the text that ``FormatMessage`` returns for the
code with ``FORMAT_MESSAGE_FROM_SYSTEM`` (en-US, without the trailing CR LF), as written in the
``MessageText`` comments of winerror.h and on Microsoft's "System Error Codes" pages. Windows'
own slips are kept (5068 "as it the quorum resource", 5909 "since is too busy"). The strings
live here, and only here, so that contract tests can compare a backend's messages with a real
cluster's exactly.

Keys are the numbers of the members of :class:`clusapi._win32.Win32Error`; the comment above
each entry gives the Win32 constant.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Mapping

WIN32_MESSAGES: Final[Mapping[int, str]] = MappingProxyType(
    {
        # ERROR_SUCCESS
        0: "The operation completed successfully.",
        # ERROR_INVALID_FUNCTION
        1: "Incorrect function.",
        # ERROR_FILE_NOT_FOUND
        2: "The system cannot find the file specified.",
        # ERROR_PATH_NOT_FOUND
        3: "The system cannot find the path specified.",
        # ERROR_ACCESS_DENIED
        5: "Access is denied.",
        # ERROR_INVALID_HANDLE
        6: "The handle is invalid.",
        # ERROR_INVALID_DATA
        13: "The data is invalid.",
        # ERROR_NOT_READY
        21: "The device is not ready.",
        # ERROR_SHARING_VIOLATION
        32: "The process cannot access the file because it is being used by another process.",
        # ERROR_NOT_SUPPORTED
        50: "The request is not supported.",
        # ERROR_BAD_NETPATH
        53: "The network path was not found.",
        # ERROR_DEV_NOT_EXIST
        55: "The specified network resource or device is no longer available.",
        # ERROR_NETNAME_DELETED
        64: "The specified network name is no longer available.",
        # ERROR_SHARING_PAUSED
        70: "The remote server has been paused or is in the process of being started.",
        # ERROR_FILE_EXISTS
        80: "The file exists.",
        # ERROR_DISK_FULL
        112: "There is not enough space on the disk.",
        # ERROR_INVALID_PARAMETER
        87: "The parameter is incorrect.",
        # ERROR_INSUFFICIENT_BUFFER
        122: "The data area passed to a system call is too small.",
        # ERROR_DIR_NOT_EMPTY
        145: "The directory is not empty.",
        # ERROR_BAD_ARGUMENTS
        160: "One or more arguments are not correct.",
        # ERROR_BUSY
        170: "The requested resource is in use.",
        # ERROR_ALREADY_EXISTS
        183: "Cannot create a file when that file already exists.",
        # ERROR_MORE_DATA
        234: "More data is available.",
        # WAIT_TIMEOUT
        258: "The wait operation timed out.",
        # ERROR_NO_MORE_ITEMS
        259: "No more data is available.",
        # ERROR_IO_PENDING
        997: "Overlapped I/O operation is in progress.",
        # ERROR_SERVICE_REQUEST_TIMEOUT
        1053: "The service did not respond to the start or control request in a timely fashion.",
        # ERROR_SERVICE_ALREADY_RUNNING
        1056: "An instance of the service is already running.",
        # ERROR_SERVICE_DISABLED
        1058: (
            "The service cannot be started, either because it is disabled or because it has "
            "no enabled devices associated with it."
        ),
        # ERROR_CIRCULAR_DEPENDENCY
        1059: "Circular service dependency was specified.",
        # ERROR_SERVICE_DOES_NOT_EXIST
        1060: "The specified service does not exist as an installed service.",
        # ERROR_SERVICE_CANNOT_ACCEPT_CTRL
        1061: "The service cannot accept control messages at this time.",
        # ERROR_SERVICE_NOT_ACTIVE
        1062: "The service has not been started.",
        # ERROR_SERVICE_SPECIFIC_ERROR
        1066: "The service has returned a service-specific error code.",
        # ERROR_PROCESS_ABORTED
        1067: "The process terminated unexpectedly.",
        # ERROR_SERVICE_DEPENDENCY_FAIL
        1068: "The dependency service or group failed to start.",
        # ERROR_SERVICE_LOGON_FAILED
        1069: "The service did not start due to a logon failure.",
        # ERROR_SERVICE_START_HANG
        1070: "After starting, the service hung in a start-pending state.",
        # ERROR_SERVICE_MARKED_FOR_DELETE
        1072: "The specified service has been marked for deletion.",
        # ERROR_SERVICE_NEVER_STARTED
        1077: "No attempts to start the service have been made since the last boot.",
        # ERROR_CONNECTION_REFUSED
        1225: "The remote system refused the network connection.",
        # ERROR_ADDRESS_ALREADY_ASSOCIATED
        1227: "The network transport endpoint already has an address associated with it.",
        # ERROR_HOST_UNREACHABLE
        1232: (
            "The network location cannot be reached. For information about network "
            "troubleshooting, see Windows Help."
        ),
        # ERROR_REVISION_MISMATCH
        1306: "Indicates two revision levels are incompatible.",
        # ERROR_NOT_FOUND
        1168: "Element not found.",
        # ERROR_TIMEOUT
        1460: "This operation returned because the timeout period expired.",
        # RPC_S_SERVER_UNAVAILABLE
        1722: "The RPC server is unavailable.",
        # ERROR_DEPENDENT_RESOURCE_EXISTS
        5001: (
            "The operation cannot be completed because other resources are dependent on this "
            "resource."
        ),
        # ERROR_DEPENDENCY_NOT_FOUND
        5002: "The cluster resource dependency cannot be found.",
        # ERROR_DEPENDENCY_ALREADY_EXISTS
        5003: (
            "The cluster resource cannot be made dependent on the specified resource because it is "
            "already dependent."
        ),
        # ERROR_RESOURCE_NOT_ONLINE
        5004: "The cluster resource is not online.",
        # ERROR_HOST_NODE_NOT_AVAILABLE
        5005: "A cluster node is not available for this operation.",
        # ERROR_RESOURCE_NOT_AVAILABLE
        5006: "The cluster resource is not available.",
        # ERROR_RESOURCE_NOT_FOUND
        5007: "The cluster resource could not be found.",
        # ERROR_SHUTDOWN_CLUSTER
        5008: "The cluster is being shut down.",
        # ERROR_CANT_EVICT_ACTIVE_NODE
        5009: (
            "A cluster node cannot be evicted from the cluster unless the node is down or it is "
            "the last node."
        ),
        # ERROR_OBJECT_ALREADY_EXISTS
        5010: "The object already exists.",
        # ERROR_OBJECT_IN_LIST
        5011: "The object is already in the list.",
        # ERROR_GROUP_NOT_AVAILABLE
        5012: "The cluster group is not available for any new requests.",
        # ERROR_GROUP_NOT_FOUND
        5013: "The cluster group could not be found.",
        # ERROR_GROUP_NOT_ONLINE
        5014: "The operation could not be completed because the cluster group is not online.",
        # ERROR_HOST_NODE_NOT_RESOURCE_OWNER
        5015: (
            "The operation failed because either the specified cluster node is not the owner of "
            "the resource, or the node is not a possible owner of the resource."
        ),
        # ERROR_HOST_NODE_NOT_GROUP_OWNER
        5016: (
            "The operation failed because either the specified cluster node is not the owner of "
            "the group, or the node is not a possible owner of the group."
        ),
        # ERROR_RESMON_CREATE_FAILED
        5017: "The cluster resource could not be created in the specified resource monitor.",
        # ERROR_RESMON_ONLINE_FAILED
        5018: "The cluster resource could not be brought online by the resource monitor.",
        # ERROR_RESOURCE_ONLINE
        5019: "The operation could not be completed because the cluster resource is online.",
        # ERROR_QUORUM_RESOURCE
        5020: (
            "The cluster resource could not be deleted or brought offline because it is the quorum "
            "resource."
        ),
        # ERROR_NOT_QUORUM_CAPABLE
        5021: (
            "The cluster could not make the specified resource a quorum resource because it is not "
            "capable of being a quorum resource."
        ),
        # ERROR_CLUSTER_SHUTTING_DOWN
        5022: "The cluster software is shutting down.",
        # ERROR_INVALID_STATE
        5023: (
            "The group or resource is not in the correct state to perform the requested operation."
        ),
        # ERROR_RESOURCE_PROPERTIES_STORED
        5024: (
            "The properties were stored but not all changes will take effect until the next time "
            "the resource is brought online."
        ),
        # ERROR_NOT_QUORUM_CLASS
        5025: (
            "The cluster could not make the specified resource a quorum resource because it does "
            "not belong to a shared storage class."
        ),
        # ERROR_CORE_RESOURCE
        5026: "The cluster resource could not be deleted since it is a core resource.",
        # ERROR_QUORUM_RESOURCE_ONLINE_FAILED
        5027: "The quorum resource failed to come online.",
        # ERROR_NETWORK_NOT_AVAILABLE
        5035: "A cluster network is not available for this operation.",
        # ERROR_NODE_NOT_AVAILABLE
        5036: "A cluster node is not available for this operation.",
        # ERROR_ALL_NODES_NOT_AVAILABLE
        5037: "All cluster nodes must be running to perform this operation.",
        # ERROR_RESOURCE_FAILED
        5038: "A cluster resource failed.",
        # ERROR_CLUSTER_INVALID_NODE
        5039: "The cluster node is not valid.",
        # ERROR_CLUSTER_NODE_EXISTS
        5040: "The cluster node already exists.",
        # ERROR_CLUSTER_NODE_NOT_FOUND
        5042: "The cluster node was not found.",
        # ERROR_CLUSTER_NETWORK_EXISTS
        5044: "The cluster network already exists.",
        # ERROR_CLUSTER_NETWORK_NOT_FOUND
        5045: "The cluster network was not found.",
        # ERROR_CLUSTER_NETINTERFACE_EXISTS
        5046: "The cluster network interface already exists.",
        # ERROR_CLUSTER_NETINTERFACE_NOT_FOUND
        5047: "The cluster network interface was not found.",
        # ERROR_CLUSTER_INVALID_REQUEST
        5048: "The cluster request is not valid for this object.",
        # ERROR_CLUSTER_NODE_DOWN
        5050: "The cluster node is down.",
        # ERROR_CLUSTER_NODE_UNREACHABLE
        5051: "The cluster node is not reachable.",
        # ERROR_CLUSTER_NODE_NOT_MEMBER
        5052: "The cluster node is not a member of the cluster.",
        # ERROR_CLUSTER_INVALID_NETWORK
        5054: "The cluster network is not valid.",
        # ERROR_CLUSTER_NODE_UP
        5056: "The cluster node is up.",
        # ERROR_CLUSTER_NODE_NOT_PAUSED
        5058: "The cluster node is not paused.",
        # ERROR_CLUSTER_NODE_ALREADY_UP
        5061: "The cluster node is already up.",
        # ERROR_CLUSTER_NODE_ALREADY_DOWN
        5062: "The cluster node is already down.",
        # ERROR_CLUSTER_NODE_ALREADY_MEMBER
        5065: "The cluster node is already a member of the cluster.",
        # ERROR_INVALID_OPERATION_ON_QUORUM
        5068: (
            "This operation cannot be performed on the cluster resource as it the quorum resource. "
            "You may not bring the quorum resource offline or modify its possible owners list."
        ),
        # ERROR_DEPENDENCY_NOT_ALLOWED
        5069: "The cluster quorum resource is not allowed to have any dependencies.",
        # ERROR_CLUSTER_NODE_PAUSED
        5070: "The cluster node is paused.",
        # ERROR_NODE_CANT_HOST_RESOURCE
        5071: (
            "The cluster resource cannot be brought online. The owner node cannot run this "
            "resource."
        ),
        # ERROR_CLUSTER_NODE_NOT_READY
        5072: "The cluster node is not ready to perform the requested operation.",
        # ERROR_CLUSTER_NODE_SHUTTING_DOWN
        5073: "The cluster node is shutting down.",
        # ERROR_CLUSTER_RESOURCE_TYPE_NOT_FOUND
        5078: "The specified resource type was not found.",
        # ERROR_CLUSTER_RESNAME_NOT_FOUND
        5080: (
            "The specified resource name is not supported by this resource DLL. This may be due to "
            "a bad (or changed) name supplied to the resource DLL."
        ),
        # ERROR_CLUSTER_NO_RPC_PACKAGES_REGISTERED
        5081: "No authentication package could be registered with the RPC server.",
        # ERROR_CLUSTER_OWNER_NOT_IN_PREFLIST
        5082: (
            "You cannot bring the group online because the owner of the group is not in the "
            "preferred list for the group. To change the owner node for the group, move the group."
        ),
        # ERROR_RESMON_INVALID_STATE
        5084: (
            "The resource monitor will not allow the fail operation to be performed while the "
            "resource is in its current state. This may happen if the resource is in a pending "
            "state."
        ),
        # ERROR_QUORUM_DISK_NOT_FOUND
        5086: "The quorum disk could not be located by the cluster service.",
        # ERROR_CLUSTER_PROPERTY_DATA_TYPE_MISMATCH
        5895: (
            "The actual data type of the property did not match the expected data type of the "
            "property."
        ),
        # ERROR_CLUSTER_EVICT_WITHOUT_CLEANUP
        5896: (
            "The cluster node was evicted from the cluster successfully, but the node was not "
            "cleaned up. To determine what cleanup steps failed and how to recover, see the "
            "Failover Clustering application event log using Event Viewer."
        ),
        # ERROR_CLUSTER_PARAMETER_MISMATCH
        5897: "Two or more parameter values specified for a resource's properties are in conflict.",
        # ERROR_CLUSTER_GROUP_MOVING
        5908: "The group is unable to accept the request since it is moving to another node.",
        # ERROR_CLUSTER_RESOURCE_TYPE_BUSY
        5909: (
            "The resource type cannot accept the request since is too busy performing another "
            "operation."
        ),
        # ERROR_RESOURCE_CALL_TIMED_OUT
        5910: "The call to the cluster resource DLL timed out.",
        # ERROR_CLUSTER_INVALID_STRING_TERMINATION
        5916: "An input string of characters is not properly terminated.",
        # ERROR_CLUSTER_INVALID_STRING_FORMAT
        5917: "An input string of characters is not in a valid format for the data it represents.",
        # ERROR_CLUSTER_NO_QUORUM
        5925: "A quorum of cluster nodes was not present to form a cluster.",
        # ERROR_QUORUM_NOT_ALLOWED_IN_THIS_GROUP
        5928: "Quorum resource cannot reside in the Available Storage group.",
        # ERROR_DEPENDENCY_TREE_TOO_COMPLEX
        5929: "The dependencies for this resource are nested too deeply.",
        # ERROR_CLUSTER_NOT_INSTALLED
        5932: "The Failover Clustering feature is not installed on this node.",
        # ERROR_CLUSTER_SINGLETON_RESOURCE
        5940: "Only one instance of this resource type is allowed in the cluster.",
        # ERROR_CLUSTER_GROUP_SINGLETON_RESOURCE
        5941: "Only one instance of this resource type is allowed per resource group.",
        # ERROR_CLUSTER_GROUP_BUSY
        5944: "The current operation cannot be performed on this group at this time.",
        # ERROR_CLUSTER_GROUP_QUEUED
        5959: (
            "The requested operation can not be completed because the group is queued for an "
            "operation."
        ),
        # ERROR_CLUSTER_RESOURCE_LOCKED_STATUS
        5960: "The requested operation can not be completed because a resource has locked status.",
    }
)
