"""A resource's Parameters key seen as the mapping its property table reads and writes.

Private properties live in the cluster database, under ``Resources\\<id>\\Parameters``, so
the property API and the registry API see the same values. The table's formats decide the
registry types: DWORD/LONG/bool → REG_DWORD (LONG in two's complement, as Windows stores
it), (U)LARGE_INTEGER → REG_QWORD, SZ → REG_SZ, EXPAND_SZ → REG_EXPAND_SZ, MULTI_SZ →
REG_MULTI_SZ, BINARY → REG_BINARY; unknown properties get the type their value suggests.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import TYPE_CHECKING, Final

from clusapi._enums import PropertyFormat, RegValueType
from clusapi._errors import ClusterError
from clusapi._registry import RegValue

if TYPE_CHECKING:
    from clusapi._core._registry_tree import RegistryTree
    from clusapi._properties import PropertyTable

__all__ = ("ParametersView",)

_REG_TYPE: Final = {
    PropertyFormat.DWORD: RegValueType.DWORD,
    PropertyFormat.LONG: RegValueType.DWORD,
    PropertyFormat.WORD: RegValueType.DWORD,
    PropertyFormat.ULARGE_INTEGER: RegValueType.QWORD,
    PropertyFormat.LARGE_INTEGER: RegValueType.QWORD,
    PropertyFormat.SZ: RegValueType.SZ,
    PropertyFormat.EXPAND_SZ: RegValueType.EXPAND_SZ,
    PropertyFormat.MULTI_SZ: RegValueType.MULTI_SZ,
    PropertyFormat.BINARY: RegValueType.BINARY,
}
_SIGNED_BITS: Final = {PropertyFormat.LONG: 32, PropertyFormat.LARGE_INTEGER: 64}


class ParametersView(MutableMapping[str, object]):
    """Property name → Python value, stored as typed values in one registry key."""

    __slots__ = ("_path", "_table", "_tree")

    def __init__(self, tree: RegistryTree, path: str, table: type[PropertyTable]) -> None:
        self._tree = tree
        self._path = path
        self._table = table

    def _format(self, name: str) -> PropertyFormat | None:
        item = self._table.__by_key__.get(name)
        return None if item is None or item.name != name else item.format

    def __getitem__(self, name: str) -> object:
        try:
            value = self._tree.query_value(self._path, name)
        except ClusterError as exc:
            raise KeyError(name) from exc
        data = value.data
        bits = _SIGNED_BITS.get(self._format(name))  # type: ignore[arg-type]
        if bits is not None and isinstance(data, int) and data >= 1 << (bits - 1):
            data -= 1 << bits  # stored in two's complement
        return data

    def __setitem__(self, name: str, value: object) -> None:
        fmt = self._format(name)
        if isinstance(value, bool):
            value = int(value)
        reg_type = _REG_TYPE.get(fmt) if fmt is not None else None
        bits = _SIGNED_BITS.get(fmt) if fmt is not None else None
        if bits is not None and isinstance(value, int) and value < 0:
            value += 1 << bits
        reg_value = RegValue.from_python(value, reg_type, name=name)
        self._tree.create_key(self._path)
        self._tree.set_value(self._path, name, reg_value)

    def __delitem__(self, name: str) -> None:
        try:
            self._tree.delete_value(self._path, name)
        except ClusterError as exc:
            raise KeyError(name) from exc

    def __iter__(self) -> Iterator[str]:
        if not self._tree.key_exists(self._path):
            return iter(())
        return iter([name for name, _ in self._tree.enum_values(self._path)])

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str) or not self._tree.key_exists(self._path):
            return False
        try:
            self._tree.query_value(self._path, name)
        except ClusterError:
            return False
        return True
