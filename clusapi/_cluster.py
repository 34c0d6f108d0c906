"""``clusapi.Cluster`` and ``open_cluster``: the entry point of the Cluster API."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar, final

import attrs
from anyio.abc import AsyncResource

from . import _operations as ops
from ._backend import Backend
from ._enums import ClusterChange
from ._errors import ClusterUnavailableError, HandleClosedError
from ._group import Group
from ._handle import control_args, handle_arg
from ._key import ClusterKey
from ._node import Node
from ._notify import PortOpener, check_filter
from ._operations import ObjectKind
from ._resource import Resource
from ._restype import ResourceType
from ._util import NoPublicConstructor
from ._values import ObjectInfo
from ._win32 import Win32Error

if TYPE_CHECKING:
    from ._backend import Operation
    from ._values import ClusterInfo, ControlResult

__all__ = ("Cluster", "open_cluster")

T = TypeVar("T")


@final
@attrs.define(eq=False)
class Cluster(AsyncResource, metaclass=NoPublicConstructor):
    """An open connection to a cluster (mirrors ``HCLUSTER``).

    Get one from :func:`open_cluster`, or as ``env.cluster`` from
    :func:`clusapi.testing.open_reference_cluster`; the type is the same either way::

        async with await clusapi.open_cluster(backend=backend) as cluster:
            for group in await cluster.groups():
                print(group.name, await group.state())
    """

    _how_to_get = "use clusapi.open_cluster() or clusapi.testing.open_reference_cluster()"

    _backend: Backend = attrs.field(alias="backend")
    _closed: bool = attrs.field(default=False, init=False)

    @property
    def backend_name(self) -> str:
        """Which backend runs the cluster: ``"reference"``, ``"pacemaker"``, ``"mock"``."""
        return self._backend.name

    async def _execute(self, operation: Operation[T]) -> T:
        if self._closed:
            raise HandleClosedError(
                Win32Error.ERROR_INVALID_HANDLE,
                "the cluster handle was closed",
                fix="open the cluster again",
            )
        return await self._backend.execute(operation)

    # -- handles from ids ---------------------------------------------------------------------

    def _node_handle(self, info: ObjectInfo) -> Node:
        return Node._create(cluster=self, id=info.id, name=info.name)

    def _group_handle(self, info: ObjectInfo) -> Group:
        return Group._create(cluster=self, id=info.id, name=info.name)

    def _resource_handle(self, info: ObjectInfo) -> Resource:
        return Resource._create(cluster=self, id=info.id, name=info.name)

    def _type_handle(self, info: ObjectInfo) -> ResourceType:
        return ResourceType._create(cluster=self, id=info.id, name=info.name)

    # -- the cluster --------------------------------------------------------------------------

    async def information(self) -> ClusterInfo:
        """Name and version (``GetClusterInformation``)."""
        return await self._execute(ops.GetClusterInfo())

    async def nodes(self) -> list[Node]:
        """Every node (``ClusterEnum(CLUSTER_ENUM_NODE)``), a snapshot."""
        return [self._node_handle(i) for i in await self._execute(ops.ListObjects(ObjectKind.NODE))]

    async def groups(self) -> list[Group]:
        """Every group (``ClusterEnum(CLUSTER_ENUM_GROUP)``), a snapshot."""
        infos = await self._execute(ops.ListObjects(ObjectKind.GROUP))
        return [self._group_handle(i) for i in infos]

    async def resources(self) -> list[Resource]:
        """Every resource (``ClusterEnum(CLUSTER_ENUM_RESOURCE)``), a snapshot."""
        infos = await self._execute(ops.ListObjects(ObjectKind.RESOURCE))
        return [self._resource_handle(i) for i in infos]

    async def resource_types(self) -> list[ResourceType]:
        """Every registered resource type (``ClusterEnum(CLUSTER_ENUM_RESTYPE)``)."""
        infos = await self._execute(ops.ListObjects(ObjectKind.RESOURCE_TYPE))
        return [self._type_handle(i) for i in infos]

    async def open_node(self, name: str) -> Node:
        """Open a node by name (``OpenClusterNode``).

        Raises:
            NodeNotFoundError: ERROR_CLUSTER_NODE_NOT_FOUND.
        """
        return self._node_handle(await self._execute(ops.OpenObject(ObjectKind.NODE, name)))

    async def open_group(self, name: str) -> Group:
        """Open a group by name (``OpenClusterGroup``).

        Raises:
            GroupNotFoundError: ERROR_GROUP_NOT_FOUND.
        """
        return self._group_handle(await self._execute(ops.OpenObject(ObjectKind.GROUP, name)))

    async def open_resource(self, name: str) -> Resource:
        """Open a resource by name (``OpenClusterResource``).

        Raises:
            ResourceNotFoundError: ERROR_RESOURCE_NOT_FOUND.
        """
        info = await self._execute(ops.OpenObject(ObjectKind.RESOURCE, name))
        return self._resource_handle(info)

    async def open_resource_type(self, name: str) -> ResourceType:
        """Open a registered resource type by name.

        Raises:
            ResourceTypeNotFoundError: ERROR_CLUSTER_RESOURCE_TYPE_NOT_FOUND.
        """
        info = await self._execute(ops.OpenObject(ObjectKind.RESOURCE_TYPE, name))
        return self._type_handle(info)

    async def create_group(self, name: str) -> Group:
        """Create an empty, offline group (``CreateClusterGroup``).

        Raises:
            ObjectExistsError: ERROR_OBJECT_ALREADY_EXISTS for a duplicate name.
        """
        return self._group_handle(await self._execute(ops.CreateGroup(name)))

    async def create_resource_type(
        self,
        implementation: object,
        *,
        name: str | None = None,
        display_name: str | None = None,
        looks_alive_poll_interval: int | None = None,
        is_alive_poll_interval: int | None = None,
    ) -> ResourceType:
        """Register a resource type (``CreateClusterResourceType``).

        Args:
            implementation: a :class:`resapi.Resource` subclass, or its import path
                ``"package.module:Class"``.
            name: the type name; default: the class's ``type_name``.
            display_name: default: the name.
            looks_alive_poll_interval: ms; default: the class's value (5000).
            is_alive_poll_interval: ms; default: the class's value (60000).

        Raises:
            InvalidParameterError: for a bad import path or a class that is not a complete
                resapi.Resource subclass.
            ObjectExistsError: if the name is taken.
        """
        info = await self._execute(
            ops.CreateResourceType(
                implementation,
                name,
                display_name,
                looks_alive_poll_interval,
                is_alive_poll_interval,
            )
        )
        return self._type_handle(ObjectInfo(info.name, info.name))

    async def root_key(self) -> ClusterKey:
        """The root key of the cluster database (``GetClusterKey``)."""
        return ClusterKey._create(cluster=self, path="")

    async def quorum_resource(self) -> Resource | None:
        """The quorum resource, or None if none is set (``GetClusterQuorumResource``)."""
        info = await self._execute(ops.GetQuorumResource())
        return None if info is None else self._resource_handle(info)

    async def set_quorum_resource(self, resource: Resource) -> None:
        """Make ``resource`` the quorum resource (``SetClusterQuorumResource``).

        From then on the node that holds its device (won by Arbitrate) decides which nodes
        form the cluster when they cannot all hear each other.

        Raises:
            QuorumError: ERROR_NOT_QUORUM_CAPABLE if its type has no Arbitrate/Release;
                ERROR_NOT_QUORUM_CLASS if it is not storage-class; ERROR_DEPENDENCY_NOT_ALLOWED
                if it has dependencies.
        """
        target = handle_arg(resource, Resource, "resource")
        await self._execute(ops.SetQuorumResource(target.id))

    async def control(
        self, code: int, data: bytes = b"", *, node: str | None = None
    ) -> ControlResult:
        """Send a control code to the cluster (``ClusterControl``); see ``Resource.control``."""
        code_, data_ = control_args(code, data)
        return await self._execute(ops.Control(ObjectKind.CLUSTER, "", code_, data_, node))

    def notifications(self, change_filter: ClusterChange = ClusterChange.ALL) -> PortOpener:
        """A notify port for the changes in ``change_filter`` (``CreateClusterNotifyPort``).

        Use ``async with cluster.notifications(filter) as port`` (closed on exit) or
        ``port = await cluster.notifications(filter)``.
        """
        change = check_filter(change_filter, "GROUP_STATE | RESOURCE_STATE")
        return PortOpener(self._execute, ops.OpenNotifyPort(change), change)

    async def aclose(self) -> None:
        """Close the connection (``CloseCluster``). Idempotent."""
        if not self._closed:
            self._closed = True
            await self._backend.aclose()


async def open_cluster(name: str | None = None, *, backend: Backend | None = None) -> Cluster:
    """Open a cluster (mirrors ``OpenCluster``).

    How the backend is chosen:

    * ``backend=...`` given: that backend runs the cluster, e.g.
      ``clusapi.pacemaker.PacemakerBackend(cib_file="cib.xml")`` for a saved Pacemaker
      configuration, or ``PacemakerBackend(command_prefix=...)`` for a node reached through a
      command prefix; ``name`` is then not used. (The in-process reference runtime is opened
      with :func:`clusapi.testing.open_reference_cluster`.)
    * no backend: the local Pacemaker cluster (like ``OpenCluster(NULL)``), driven through
      Pacemaker's command-line tools, if they are installed and the cluster on this machine
      answers them (``cibadmin --query``, read with ``crm_mon``). With ``name``, that
      cluster's ``cluster-name`` must match it (case-insensitively); clusters elsewhere are
      not looked up.

    Args:
        name: the cluster's name; None: the local cluster.
        backend: what runs the cluster (see above).

    Raises:
        ClusterUnavailableError: ERROR_CLUSTER_NODE_DOWN if no backend is given and no cluster
            service answers here: the message says what to start or install.
    """
    if backend is not None:
        return Cluster._create(backend=backend)
    # Imported here: clusapi's import stays free of the backend until a real cluster is used.
    from ._backends.pacemaker._backend import PacemakerBackend

    local = PacemakerBackend()
    try:
        info = await local.execute(ops.GetClusterInfo())
    except ClusterUnavailableError as exc:
        await local.aclose()
        raise ClusterUnavailableError(
            Win32Error.ERROR_CLUSTER_NODE_DOWN,
            f"no cluster service answers on this machine{f' for {name!r}' if name else ''}: "
            f"{exc.description}",
            fix="start corosync and pacemaker (systemctl start pacemaker), or install them "
            "(apt-get install pacemaker corosync pacemaker-cli-utils resource-agents); or pass "
            "backend=PacemakerBackend(cib_file=...) for a saved CIB, or use "
            "clusapi.testing.open_reference_cluster() for an in-process cluster",
        ) from exc
    except BaseException:
        await local.aclose()
        raise
    if name is not None and name.casefold() != info.name.casefold():
        await local.aclose()
        raise ClusterUnavailableError(
            Win32Error.ERROR_CLUSTER_NODE_DOWN,
            f"the cluster on this machine is {info.name!r}, not {name!r}",
            fix="pass name=None for the local cluster, or backend=... for another one",
        )
    return Cluster._create(backend=local)
