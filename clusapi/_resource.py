"""``clusapi.Resource``: a handle to a resource (mirrors ``HRESOURCE``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, final

from . import _operations as ops, _rules as rules
from ._common import ResourceCommonProperties
from ._group import Group, _flag
from ._handle import Handle, handle_arg, name_arg
from ._node import Node

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ._enums import ResourceState
    from ._values import PropertyUpdate, ResourceStateInfo

__all__ = ("Resource",)


@final
class Resource(Handle):
    """A resource. Get one from :meth:`Cluster.open_resource` or :meth:`Group.create_resource`.

    Example::

        res = await group.create_resource("echo", "Echo Server")
        await res.set_private_properties(port=7100)
        await res.online()
    """

    _kind = "resource"
    _how_to_get = "use Cluster.open_resource() or Group.create_resource()"

    async def state(self) -> ResourceState:
        """The resource's state (``GetClusterResourceState``)."""
        return (await self._call(ops.GetResourceState(self._id))).state

    async def state_info(self) -> ResourceStateInfo:
        """State, owner node name and group name together."""
        return await self._call(ops.GetResourceState(self._id))

    async def type_name(self) -> str:
        """The name of its resource type, as ``Cluster.open_resource_type`` takes it
        (``CLUSCTL_RESOURCE_GET_RESOURCE_TYPE``): ``"ocf:heartbeat:Dummy"``."""
        return await self._call(ops.GetResourceTypeName(self._id))

    async def owner(self) -> Node | None:
        """The node that owns its group."""
        info = await self.state_info()
        return None if info.owner is None else await self._cluster.open_node(info.owner)

    async def group(self) -> Group:
        """The group it belongs to."""
        return await self._cluster.open_group((await self.state_info()).group)

    async def online(self, *, wait: bool = True) -> ResourceState:
        """Bring it online, dependencies first (``OnlineClusterResource``).

        Raises:
            InvalidStateError: ERROR_INVALID_STATE while it is pending.
            ResourceFailedError: ERROR_RESOURCE_FAILED if it (or a dependency) failed.
        """
        return await self._call(ops.OnlineResource(self._id, _flag(wait)))

    async def offline(self, *, wait: bool = True) -> ResourceState:
        """Take it offline, dependents first (``OfflineClusterResource``)."""
        return await self._call(ops.OfflineResource(self._id, _flag(wait)))

    async def fail(self) -> None:
        """Make it fail, to test the failure policy (``FailClusterResource``).

        Raises:
            InvalidStateError: ERROR_RESMON_INVALID_STATE unless it is online or pending.
        """
        await self._call(ops.FailResource(self._id))

    async def delete(self) -> None:
        """Delete it; it must be offline (``DeleteClusterResource``).

        Raises:
            InvalidStateError: ERROR_RESOURCE_ONLINE if it is not offline.
            DependencyError: ERROR_DEPENDENT_RESOURCE_EXISTS if others depend on it.
        """
        await self._call(ops.DeleteResource(self._id))

    async def rename(self, new_name: str) -> None:
        """Rename it (``SetClusterResourceName``)."""
        await self._rename(new_name)

    async def change_group(self, group: Group | str) -> None:
        """Move it, with its whole dependency tree, to another group
        (``ChangeClusterResourceGroup``)."""
        if isinstance(group, str):
            group = await self._cluster.open_group(group)
        target = handle_arg(group, Group, "group")
        await self._call(ops.ChangeResourceGroup(self._id, target.id))

    async def add_dependency(self, provider: Resource) -> None:
        """Make this resource depend on ``provider`` (``AddClusterResourceDependency``).

        Raises:
            InvalidParameterError: ERROR_INVALID_PARAMETER across groups or on itself.
            DependencyCycleError: ERROR_CIRCULAR_DEPENDENCY for a cycle.
            DependencyError: ERROR_DEPENDENCY_ALREADY_EXISTS for a duplicate.
        """
        provider = handle_arg(provider, Resource, "provider")
        await self._call(ops.AddDependency(self._id, provider.id))

    async def remove_dependency(self, provider: Resource) -> None:
        """Remove a dependency (``RemoveClusterResourceDependency``).

        Raises:
            DependencyError: ERROR_DEPENDENCY_NOT_FOUND if there is none.
        """
        provider = handle_arg(provider, Resource, "provider")
        await self._call(ops.RemoveDependency(self._id, provider.id))

    async def dependencies(self) -> list[Resource]:
        """What it depends on (``CLUSTER_RESOURCE_ENUM_DEPENDS``)."""
        infos = await self._call(ops.GetDependencies(self._id))
        return [self._cluster._resource_handle(i) for i in infos]

    async def dependents(self) -> list[Resource]:
        """What depends on it (``CLUSTER_RESOURCE_ENUM_PROVIDES``)."""
        infos = await self._call(ops.GetDependents(self._id))
        return [self._cluster._resource_handle(i) for i in infos]

    async def can_be_dependent(self, provider: Resource) -> bool:
        """True if this resource may be made to depend on ``provider``
        (``CanResourceBeDependent(hResource, hResourceDependent)``): both are in the same
        group, they are not the same resource, and ``provider`` does not already depend on
        this one, directly or through others."""
        provider = handle_arg(provider, Resource, "provider")
        return await self._call(ops.CanBeDependent(self._id, provider.id))

    async def possible_owners(self) -> list[Node]:
        """The nodes that may host it (``CLUSTER_RESOURCE_ENUM_NODES``)."""
        infos = await self._call(ops.GetPossibleOwners(self._id))
        return [self._cluster._node_handle(i) for i in infos]

    async def add_possible_owner(self, node: Node | str) -> None:
        """Add a possible owner (``AddClusterResourceNode``)."""
        await self._call(ops.AddPossibleOwner(self._id, _name(node)))

    async def remove_possible_owner(self, node: Node | str) -> None:
        """Remove a possible owner (``RemoveClusterResourceNode``)."""
        await self._call(ops.RemovePossibleOwner(self._id, _name(node)))

    async def add_registry_checkpoint(self, path: str) -> None:
        """Checkpoint a subtree of the node-local registry (``CLUSCTL_RESOURCE_ADD_REGISTRY_
        CHECKPOINT``): while the resource is online, changes there are captured into the
        cluster database; before it comes online on a node, the subtree is restored there.

        Args:
            path: a key under HKEY_LOCAL_MACHINE, without a leading backslash.

        Raises:
            InvalidParameterError: ERROR_INVALID_PARAMETER for a path the registry cannot
                hold (leading, trailing or doubled backslash, NUL, a key name over 255).
            ObjectExistsError: ERROR_ALREADY_EXISTS if it is checkpointed already.
        """
        # Checked here too, so that every backend refuses a bad path alike (Pacemaker has no
        # checkpoints and would only say "not supported").
        rules.check_checkpoint_path(self._name, path)
        await self._call(ops.AddCheckpoint(self._id, path))

    async def delete_registry_checkpoint(self, path: str) -> None:
        """Stop checkpointing ``path`` and drop its captured data.

        Raises:
            RegistryEntryNotFoundError: ERROR_FILE_NOT_FOUND if there is no such checkpoint.
        """
        await self._call(ops.DeleteCheckpoint(self._id, path))

    async def registry_checkpoints(self) -> list[str]:
        """The checkpointed subtrees, in the order added."""
        return list(await self._call(ops.GetCheckpoints(self._id)))

    async def common_properties(self) -> ResourceCommonProperties:
        """Restart and failure settings, poll intervals, pending timeout, ..."""
        return ResourceCommonProperties.load(await self._common_values())

    async def set_common_properties(self, **changes: object) -> PropertyUpdate:
        """Change common properties, e.g. ``restart_threshold=1``.

        Returns:
            What was written, and whether it waits for the next online.

        Raises:
            PropertyError: ERROR_INVALID_PARAMETER, naming the property; nothing changes.
        """
        return await self._set_common_values(changes)

    async def private_properties(self) -> Mapping[str, object]:
        """The type-specific properties, by property name, defaults included."""
        return await self._call(ops.GetPrivateProperties(self._id))

    async def set_private_properties(self, **changes: object) -> PropertyUpdate:
        """Change private properties, checked by the type's property table.

        Raises:
            PropertyError: ERROR_INVALID_PARAMETER, naming the property; nothing changes.
        """
        return await self._call(ops.SetPrivateProperties(self._id, changes))


def _name(node: Node | str) -> str:
    return name_arg(node, Node, "node")
