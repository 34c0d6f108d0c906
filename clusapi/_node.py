"""``clusapi.Node``: a handle to a cluster node (mirrors ``HNODE``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, final

from . import _operations as ops
from ._handle import Handle

if TYPE_CHECKING:
    from ._enums import NodeState
    from ._group import Group

__all__ = ("Node",)


@final
class Node(Handle):
    """A node of the cluster. Get one from :meth:`Cluster.open_node` or :meth:`Cluster.nodes`.

    Example::

        node = await cluster.open_node("NODE1")
        await node.pause()                 # no group comes online on it or moves to it
        assert await node.state() is clusapi.NodeState.PAUSED
    """

    _kind = "node"
    _how_to_get = "use Cluster.open_node() or Cluster.nodes()"

    async def state(self) -> NodeState:
        """The node's state (mirrors ``GetClusterNodeState``)."""
        return await self._call(ops.GetNodeState(self._id))

    async def pause(self) -> None:
        """Pause the node: it keeps its groups but takes no new ones (``PauseClusterNode``).

        Paused is persistent: it survives a restart of the node.

        Raises:
            ClusterUnavailableError: ERROR_CLUSTER_NODE_DOWN if the node is down.
        """
        await self._call(ops.PauseNode(self._id))

    async def resume(self) -> None:
        """Resume a paused node (``ResumeClusterNode``).

        Raises:
            InvalidStateError: ERROR_CLUSTER_NODE_NOT_PAUSED if it is not paused.
        """
        await self._call(ops.ResumeNode(self._id))

    async def evict(self) -> None:
        """Remove the node from the cluster for good (``EvictClusterNode``).

        Raises:
            InvalidStateError: ERROR_CANT_EVICT_ACTIVE_NODE unless it is down or the last node.
        """
        await self._call(ops.EvictNode(self._id))

    async def groups(self) -> list[Group]:
        """The groups this node owns (``ClusterNodeEnum(CLUSTER_NODE_ENUM_GROUPS)``)."""
        infos = await self._call(ops.GetNodeGroups(self._id))
        return [self._cluster._group_handle(i) for i in infos]
