"""``clusapi.Group``: a handle to a group (mirrors ``HGROUP``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, final

from . import _operations as ops
from ._common import GroupCommonProperties
from ._errors import InvalidParameterError
from ._handle import Handle, name_arg
from ._node import Node
from ._win32 import Win32Error

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ._enums import GroupState
    from ._resource import Resource
    from ._values import GroupStateInfo, PropertyUpdate

__all__ = ("Group",)


@final
class Group(Handle):
    """A group: resources that fail over together. Get one from :meth:`Cluster.open_group`.

    Example::

        group = await cluster.create_group("web")
        await group.set_preferred_owners(["NODE1", "NODE2"])
        await group.online()                   # on its owner, or the best node
        await group.move()                     # to the next best node
    """

    _kind = "group"
    _how_to_get = "use Cluster.open_group() or Cluster.create_group()"

    async def state(self) -> GroupState:
        """The derived state: Failed > Pending > PartialOnline > Online > Offline
        (``GetClusterGroupState``)."""
        return (await self.state_info()).state

    async def state_info(self) -> GroupStateInfo:
        """State and owner node name together, as one snapshot."""
        return await self._call(ops.GetGroupState(self._id))

    async def owner(self) -> Node | None:
        """The node that owns the group: from its creation on, the node the connection was
        made to (MS-CMRP ApiCreateGroup), then where it was last online or moved; None only
        where no node is known (a group created in a saved Pacemaker CIB)."""
        info = await self.state_info()
        return None if info.owner is None else await self._cluster.open_node(info.owner)

    async def online(self, node: Node | str | None = None, *, wait: bool = True) -> GroupState:
        """Bring every resource online, dependencies first (``OnlineClusterGroup``).

        Args:
            node: where; default: the current owner, else the best node. A group never
                online yet goes to its most preferred owner if it has preferred owners,
                else stays on the node it was created on if that node can host it.
            wait: return when done (default), or at once while pending (ERROR_IO_PENDING).

        Raises:
            HostNodeError: ERROR_HOST_NODE_NOT_AVAILABLE if no node can host it.
            InvalidStateError: ERROR_SHARING_PAUSED for a paused node; ERROR_INVALID_STATE if
                the group is pending.
            ResourceFailedError: ERROR_RESOURCE_FAILED, naming the resources that failed.
        """
        return await self._call(ops.OnlineGroup(self._id, _node_name(node), _flag(wait)))

    async def offline(self, *, wait: bool = True) -> GroupState:
        """Take every resource offline, dependents first (``OfflineClusterGroup``)."""
        return await self._call(ops.OfflineGroup(self._id, _flag(wait)))

    async def move(self, node: Node | str | None = None, *, wait: bool = True) -> GroupState:
        """Move to ``node``, or to the best other node (``MoveClusterGroup``).

        Offline in dependency order, hand over, and bring back online what was online.

        Raises:
            HostNodeError: ERROR_HOST_NODE_NOT_AVAILABLE if no node can host it.
        """
        return await self._call(ops.MoveGroup(self._id, _node_name(node), _flag(wait)))

    async def delete(self) -> None:
        """Delete the group; it must be empty (``DeleteClusterGroup``).

        Raises:
            InvalidStateError: ERROR_DIR_NOT_EMPTY if it still holds resources.
        """
        await self._call(ops.DeleteGroup(self._id))

    async def rename(self, new_name: str) -> None:
        """Rename the group (``SetClusterGroupName``)."""
        await self._rename(new_name)

    async def preferred_owners(self) -> list[Node]:
        """The preferred owners, most preferred first (``CLUSTER_GROUP_ENUM_NODES``)."""
        infos = await self._call(ops.GetPreferredOwners(self._id))
        return [self._cluster._node_handle(i) for i in infos]

    async def set_preferred_owners(self, nodes: Sequence[Node | str]) -> None:
        """Set the preferred owners, most preferred first (``SetClusterGroupNodeList``)."""
        if isinstance(nodes, str) or not isinstance(nodes, (list, tuple)):
            raise InvalidParameterError(
                Win32Error.ERROR_INVALID_PARAMETER,
                f"preferred owners of group {self._name!r} must be a list of nodes, not {nodes!r}",
                fix="pass e.g. ['NODE1', 'NODE2'], most preferred first",
            )
        names = tuple(name_arg(n, Node, "a preferred owner") for n in nodes)
        await self._call(ops.SetPreferredOwners(self._id, names))

    async def resources(self) -> list[Resource]:
        """The resources in the group (``CLUSTER_GROUP_ENUM_CONTAINS``)."""
        infos = await self._call(ops.GetGroupResources(self._id))
        return [self._cluster._resource_handle(i) for i in infos]

    async def create_resource(
        self, name: str, type_name: str, *, separate_monitor: bool = False
    ) -> Resource:
        """Create a resource in this group; it starts Offline (``CreateClusterResource``).

        Raises:
            ResourceTypeNotFoundError: ERROR_CLUSTER_RESOURCE_TYPE_NOT_FOUND.
            ObjectExistsError: ERROR_OBJECT_ALREADY_EXISTS for a duplicate name.
        """
        info = await self._call(ops.CreateResource(self._id, name, type_name, separate_monitor))
        return self._cluster._resource_handle(info)

    async def common_properties(self) -> GroupCommonProperties:
        """Failover threshold and period, failback settings, persistent state, description."""
        return GroupCommonProperties.load(await self._common_values())

    async def set_common_properties(self, **changes: object) -> PropertyUpdate:
        """Change common properties, e.g. ``failover_threshold=2``.

        Returns:
            What was written, and whether it waits for the next online.

        Raises:
            PropertyError: ERROR_INVALID_PARAMETER naming an unknown, read-only or
                out-of-range property; nothing is changed.
        """
        return await self._set_common_values(changes)


def _node_name(node: Node | str | None) -> str | None:
    return None if node is None else name_arg(node, Node, "node")


def _flag(wait: object) -> bool:
    if not isinstance(wait, bool):
        raise InvalidParameterError(
            Win32Error.ERROR_INVALID_PARAMETER,
            f"wait must be a bool, not {wait!r}",
            fix="pass wait=True to wait until done, or wait=False",
        )
    return wait
