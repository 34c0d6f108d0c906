"""``clusapi.ClusterKey``: a key of the cluster database (mirrors an ``HKEY`` of ClusAPI)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Self, TypeVar, final

import attrs
from anyio.abc import AsyncResource

from . import _operations as ops
from ._enums import ClusterChange, RegCommand, RegValueType
from ._errors import HandleClosedError, InvalidParameterError, RegistryEntryNotFoundError
from ._notify import PortOpener, check_filter
from ._util import NoPublicConstructor
from ._win32 import Win32Error

if TYPE_CHECKING:
    from ._backend import Operation
    from ._cluster import Cluster  # noqa: TC004  (import cycle; attrs does not resolve it)

__all__ = ("ClusterKey", "RegistryBatch")

T = TypeVar("T")


@attrs.define(eq=False)
class RegistryBatch:
    """Commands to commit to a key all at once (``ClusterRegCreateBatch`` and
    ``ClusterRegBatchAddCommand``); commit it with :meth:`ClusterKey.commit`.

    Example::

        batch = clusapi.RegistryBatch()
        batch.condition_not_exists("Lock")          # fail the batch if someone holds it
        batch.set_value("Lock", "NODE1")
        batch.create_key("State")                   # later values go into State
        batch.set_value("Epoch", 7)
        await key.commit(batch)
    """

    commands: list[tuple[RegCommand, str, RegValueType | None, object]] = attrs.field(factory=list)

    def _add(
        self,
        command: RegCommand,
        name: str,
        value: object = None,
        type: RegValueType | None = None,  # noqa: A002
    ) -> Self:
        self.commands.append((command, name, type, value))
        return self

    def create_key(self, name: str) -> Self:
        """Create ``name`` (relative to the batch's key) and make it current."""
        return self._add(RegCommand.CREATE_KEY, name)

    def delete_key(self, name: str) -> Self:
        """Delete ``name`` and everything below it."""
        return self._add(RegCommand.DELETE_KEY, name)

    def set_value(self, name: str, value: object, type: RegValueType | None = None) -> Self:  # noqa: A002
        """Set a value in the current key."""
        return self._add(RegCommand.SET_VALUE, name, value, type)

    def delete_value(self, name: str) -> Self:
        """Delete a value of the current key."""
        return self._add(RegCommand.DELETE_VALUE, name)

    def condition_exists(self, name: str) -> Self:
        """Fail the batch unless the value exists."""
        return self._add(RegCommand.CONDITION_EXISTS, name)

    def condition_not_exists(self, name: str) -> Self:
        """Fail the batch if the value exists."""
        return self._add(RegCommand.CONDITION_NOT_EXISTS, name)

    def condition_equal(self, name: str, value: object, type: RegValueType | None = None) -> Self:  # noqa: A002
        """Fail the batch unless the value equals ``value``."""
        return self._add(RegCommand.CONDITION_IS_EQUAL, name, value, type)

    def condition_not_equal(
        self,
        name: str,
        value: object,
        type: RegValueType | None = None,  # noqa: A002
    ) -> Self:
        """Fail the batch if the value equals ``value``."""
        return self._add(RegCommand.CONDITION_IS_NOT_EQUAL, name, value, type)


@final
@attrs.define(eq=False)
class ClusterKey(AsyncResource, metaclass=NoPublicConstructor):
    """A key of the replicated cluster database.

    Get one from :meth:`Cluster.root_key` or the ``key()`` of a node, group, resource or
    resource type. Every node sees every committed change; values are Python objects mapped
    to the registry types (str → REG_SZ, int → REG_DWORD or REG_QWORD, list of str →
    REG_MULTI_SZ, bytes → REG_BINARY; pass ``type=`` for REG_EXPAND_SZ or to force one)::

        key = await resource.key()
        params = await key.open_key("Parameters")   # the resource's private properties
        assert await params.value("Port") == 7100
    """

    _how_to_get = "use Cluster.root_key() or the key() of a node, group, resource or type"

    _cluster: Cluster = attrs.field(alias="cluster")
    _path: str = attrs.field(alias="path")
    _closed: bool = attrs.field(default=False, init=False)

    @property
    def path(self) -> str:
        """The key's path from the root of the cluster database ("" for the root)."""
        return self._path

    @property
    def name(self) -> str:
        """The key's own name (the last part of its path)."""
        return self._path.rsplit("\\", 1)[-1]

    def _sub(self, name: str) -> str:
        candidate: object = name  # callers without a type checker pass anything
        if not isinstance(candidate, str) or not name:
            raise InvalidParameterError(
                Win32Error.ERROR_INVALID_PARAMETER,
                f"subkey name must be a non-empty str, not {name!r}",
                fix="pass a key path such as 'Parameters' or 'State\\\\Counters'",
            )
        return f"{self._path}\\{name}" if self._path else name

    async def _call(self, operation: Operation[T]) -> T:
        if self._closed:
            raise HandleClosedError(
                Win32Error.ERROR_INVALID_HANDLE,
                f"the handle of cluster database key {self._path!r} was closed",
                fix="open the key again",
            )
        return await self._cluster._execute(operation)

    async def open_key(self, name: str) -> ClusterKey:
        """Open an existing subkey (``ClusterRegOpenKey``).

        Raises:
            RegistryEntryNotFoundError: ERROR_FILE_NOT_FOUND if it does not exist.
        """
        path = self._sub(name)
        if not await self._call(ops.KeyExists(path)):
            raise RegistryEntryNotFoundError(
                Win32Error.ERROR_FILE_NOT_FOUND,
                f"no key {path!r} in the cluster database",
                fix="create it with create_key(), or check the name",
            )
        return ClusterKey._create(cluster=self._cluster, path=path)

    async def create_key(self, name: str) -> ClusterKey:
        """Create a subkey, or open it if it exists (``ClusterRegCreateKey``)."""
        path = self._sub(name)
        await self._call(ops.CreateKey(path))
        return ClusterKey._create(cluster=self._cluster, path=path)

    async def delete_key(self, name: str, *, tree: bool = False) -> None:
        """Delete a subkey (``ClusterRegDeleteKey``); ``tree``: with everything below it.

        Raises:
            RegistryEntryNotFoundError: ERROR_FILE_NOT_FOUND if it does not exist.
            ClusterError: ERROR_ACCESS_DENIED if it has subkeys and ``tree`` is False.
        """
        await self._call(ops.DeleteKey(self._sub(name), tree))

    async def set_value(self, name: str, value: object, type: RegValueType | None = None) -> None:  # noqa: A002
        """Set a value (``ClusterRegSetValue``).

        Raises:
            InvalidParameterError: ERROR_INVALID_PARAMETER for data of no registry type.
        """
        await self._call(ops.SetValue(self._path, name, value, type))

    async def value(self, name: str) -> object:
        """A value's data (``ClusterRegQueryValue``).

        Raises:
            RegistryEntryNotFoundError: ERROR_FILE_NOT_FOUND if the value does not exist.
        """
        return (await self._call(ops.QueryValue(self._path, name)))[1]

    async def typed_value(self, name: str) -> tuple[object, RegValueType]:
        """A value's data and its registry type."""
        reg_type, data = await self._call(ops.QueryValue(self._path, name))
        return data, reg_type

    async def delete_value(self, name: str) -> None:
        """Delete a value (``ClusterRegDeleteValue``)."""
        await self._call(ops.DeleteValue(self._path, name))

    async def keys(self) -> list[str]:
        """The subkeys' names (``ClusterRegEnumKey``), a snapshot."""
        return list(await self._call(ops.EnumKeys(self._path)))

    async def values(self) -> dict[str, object]:
        """The values by name (``ClusterRegEnumValue``), a snapshot."""
        return {name: data for name, _, data in await self._call(ops.EnumValues(self._path))}

    async def commit(self, batch: RegistryBatch) -> None:
        """Apply a batch all or nothing (``ClusterRegCloseBatch(..., TRUE, ...)``).

        Raises:
            ClusterError: for the first command that fails; its ``failed_command`` attribute
                is the command's 0-based index, and nothing was changed.
        """
        if not isinstance(batch, RegistryBatch):
            raise InvalidParameterError(
                Win32Error.ERROR_INVALID_PARAMETER,
                f"commit takes a clusapi.RegistryBatch, not {batch!r}",
                fix="build one with clusapi.RegistryBatch()",
            )
        await self._call(ops.CommitBatch(self._path, tuple(batch.commands)))

    def notifications(
        self,
        change_filter: ClusterChange = ClusterChange.REGISTRY_NAME | ClusterChange.REGISTRY_VALUE,
        *,
        subtree: bool = False,
    ) -> PortOpener:
        """A port for REGISTRY_* changes of this key (``RegisterClusterNotify``); with
        ``subtree`` (REGISTRY_SUBTREE) also of every key below it. Each event's ``name`` is
        the changed key relative to this one ("" for this key itself).

        Raises:
            InvalidParameterError: ERROR_INVALID_PARAMETER for a filter that is not a
                ClusterChange mask, or a ``subtree`` that is not a bool.
        """
        mask = check_filter(change_filter, "REGISTRY_NAME | REGISTRY_VALUE")
        if not isinstance(subtree, bool):
            raise InvalidParameterError(
                Win32Error.ERROR_INVALID_PARAMETER,
                f"subtree must be a bool, not {subtree!r}",
                fix="pass True to watch every key below this one too",
            )
        subtree = subtree or bool(mask & ClusterChange.REGISTRY_SUBTREE)
        change = mask & ~ClusterChange.REGISTRY_SUBTREE
        return PortOpener(
            self._cluster._execute,
            ops.OpenRegistryPort(self._path, change, subtree),
            change,
        )

    async def aclose(self) -> None:
        """Close the key (``ClusterRegCloseKey``). Idempotent."""
        self._closed = True

    def __repr__(self) -> str:
        return f"<clusapi.ClusterKey {self._path or '(root)'!r}>"
