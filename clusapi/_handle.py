"""What every cluster object handle shares: an id, a name, a lifecycle and the backend call."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, TypeVar

import attrs
from anyio.abc import AsyncResource

from . import _operations as ops
from ._errors import HandleClosedError, InvalidParameterError
from ._operations import ObjectKind
from ._util import NoPublicConstructor
from ._win32 import Win32Error

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ._backend import Operation
    from ._cluster import Cluster  # noqa: TC004  (import cycle; attrs does not resolve it)
    from ._key import ClusterKey
    from ._values import ControlResult, PropertyUpdate

__all__ = ("Handle",)

T = TypeVar("T")


@attrs.define(eq=False, slots=False)
class Handle(AsyncResource, metaclass=NoPublicConstructor):
    """Base of Node, Group, Resource and ResourceType handles (mirrors ``HNODE``, ``HGROUP``…).

    A handle names one object by its stable id; ``name`` is the name it had when the handle
    was opened or last renamed through it. Closing a handle does not touch the object
    (``Close*`` in the C API); using a closed one raises :class:`HandleClosedError`.
    """

    _kind: ClassVar[str] = "object"

    _cluster: Cluster = attrs.field(alias="cluster")
    _id: str = attrs.field(alias="id")
    _name: str = attrs.field(alias="name")
    _closed: bool = attrs.field(default=False, init=False)

    @property
    def id(self) -> str:
        """The object's stable id (``GetCluster*Id``)."""
        return self._id

    @property
    def name(self) -> str:
        """The object's name when this handle was opened, or last renamed through it."""
        return self._name

    @property
    def cluster(self) -> Cluster:
        """The cluster the object belongs to (``GetClusterFrom*``)."""
        return self._cluster

    async def _call(self, operation: Operation[T]) -> T:
        if self._closed:
            raise HandleClosedError(
                Win32Error.ERROR_INVALID_HANDLE,
                f"the handle of {self._kind} {self._name!r} was closed",
                fix=f"open the {self._kind} again",
            )
        return await self._cluster._execute(operation)

    # The calls every kind of object makes the same way, by its ObjectKind: the public
    # methods (with their own docstrings and return types) live on Group, Resource, ...
    async def _common_values(self) -> Mapping[str, object]:
        return await self._call(ops.GetCommonProperties(ObjectKind(self._kind), self._id))

    async def _set_common_values(self, changes: Mapping[str, object]) -> PropertyUpdate:
        return await self._call(ops.SetCommonProperties(ObjectKind(self._kind), self._id, changes))

    async def _rename(self, new_name: str) -> None:
        await self._call(ops.RenameObject(ObjectKind(self._kind), self._id, new_name))
        self._name = new_name

    async def control(
        self, code: int, data: bytes = b"", *, node: str | None = None
    ) -> ControlResult:
        """Send a control code to the object (``Cluster<Object>Control``).

        Args:
            code: a :class:`~clusapi.ControlCode` of this object kind, or a code a resource
                type defines itself (``clusapi.lowlevel.user_control_code``).
            data: the input buffer (a property list for the SET/VALIDATE codes).
            node: the node to run it on (``hHostNode``); default: the owner.

        Returns:
            The output buffer, and ``properties_stored`` for ERROR_RESOURCE_PROPERTIES_STORED.

        Raises:
            InvalidParameterError: for a code that is not a DWORD or a malformed buffer.
            NotSupportedError: ERROR_INVALID_FUNCTION for a code nobody handles.
        """
        return await self._call(
            ops.Control(ObjectKind(self._kind), self._id, *control_args(code, data), node)
        )

    async def key(self) -> ClusterKey:
        """The object's key in the cluster database (``GetCluster<Object>Key``)."""
        from ._key import ClusterKey

        path = await self._call(ops.GetObjectKey(ObjectKind(self._kind), self._id))
        return ClusterKey._create(cluster=self._cluster, path=path)

    async def aclose(self) -> None:
        """Close the handle (``Close*``). Idempotent; the object is not affected."""
        self._closed = True

    def __repr__(self) -> str:
        state = " closed" if self._closed else ""
        return f"<{type(self).__module__}.{type(self).__qualname__} {self._name!r}{state}>"


H = TypeVar("H", bound="Handle")


def handle_arg(value: object, cls: type[H], what: str) -> H:
    """``value`` as a handle of ``cls``, or InvalidParameterError naming ``what``."""
    if not isinstance(value, cls):
        raise InvalidParameterError(
            Win32Error.ERROR_INVALID_PARAMETER,
            f"{what} must be a {cls.__module__}.{cls.__qualname__}, not {value!r}",
            fix=f"pass a handle from the cluster (Cluster.open_{cls._kind.replace(' ', '_')}())",
        )
    return value


def name_arg(value: object, cls: type[Handle], what: str) -> str:
    """A name, or the name of a handle of ``cls``; InvalidParameterError otherwise."""
    if isinstance(value, str):
        return value
    return handle_arg(value, cls, f"{what} (or its name)").name


def control_args(code: object, data: object) -> tuple[int, bytes]:
    """A control code and its input buffer, checked at the API boundary."""
    if isinstance(code, bool) or not isinstance(code, int) or not 0 <= code <= 0xFFFF_FFFF:
        raise InvalidParameterError(
            Win32Error.ERROR_INVALID_PARAMETER,
            f"control code must be a DWORD (0..0xFFFFFFFF), not {code!r}",
            fix="pass a clusapi.ControlCode",
        )
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise InvalidParameterError(
            Win32Error.ERROR_INVALID_PARAMETER,
            f"control input must be bytes, not {type(data).__name__}",
            fix="build property lists with clusapi.lowlevel.PropertyList(...).to_bytes()",
        )
    return int(code), bytes(data)
