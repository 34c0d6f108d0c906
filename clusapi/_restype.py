"""``clusapi.ResourceType``: a registered resource type (addressed by name, as in the C API)."""

from __future__ import annotations

from typing import TYPE_CHECKING, final

from . import _operations as ops
from ._common import ResourceTypeCommonProperties
from ._handle import Handle

if TYPE_CHECKING:
    from ._resource import Resource
    from ._values import PropertyUpdate, ResourceTypeInfo

__all__ = ("ResourceType",)


@final
class ResourceType(Handle):
    """A resource type. Get one from :meth:`Cluster.create_resource_type` or
    :meth:`Cluster.open_resource_type`."""

    _kind = "resource type"
    _how_to_get = "use Cluster.create_resource_type() or Cluster.open_resource_type()"

    async def info(self) -> ResourceTypeInfo:
        """Display name, implementation and default poll intervals."""
        return await self._call(ops.GetResourceTypeInfo(self._id))

    async def resources(self) -> list[Resource]:
        """The resources of this type (``CLUSTER_RESOURCE_TYPE_ENUM_RESOURCES``)."""
        infos = await self._call(ops.GetTypeResources(self._id))
        return [self._cluster._resource_handle(i) for i in infos]

    async def common_properties(self) -> ResourceTypeCommonProperties:
        """Default poll intervals, pending and deadlock timeouts, description."""
        return ResourceTypeCommonProperties.load(await self._common_values())

    async def set_common_properties(self, **changes: object) -> PropertyUpdate:
        """Change common properties, e.g. ``looks_alive_poll_interval=2000``.

        Resources whose own interval is 0xFFFFFFFF use the type's value from their next online.

        Raises:
            PropertyError: ERROR_INVALID_PARAMETER, naming the property; nothing changes.
        """
        return await self._set_common_values(changes)

    async def delete(self) -> None:
        """Unregister the type (``DeleteClusterResourceType``).

        Raises:
            InvalidStateError: ERROR_DIR_NOT_EMPTY while resources of the type exist.
        """
        await self._call(ops.DeleteResourceType(self._id))
