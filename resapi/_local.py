"""``self.local_registry``: the node-local registry a resource may write to.

A resource keeps node-local state in its node's registry (HKEY_LOCAL_MACHINE on Windows).
Subtrees named as registry checkpoints of the resource are captured into the cluster
database while it is online and restored on whichever node brings it online next, so state
written here survives failover.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from clusapi._registry import RegValue

if TYPE_CHECKING:
    from clusapi._core._registry_tree import RegistryTree
    from clusapi._enums import RegValueType

__all__ = ("LocalRegistry",)


class LocalRegistry:
    """Typed values under backslash-separated key paths, like ``winreg`` on HKLM.

    Example::

        count = self.local_registry.get("SOFTWARE\\\\Counter", "Count", default=0)
        self.local_registry.set("SOFTWARE\\\\Counter", "Count", count + 1)
    """

    __slots__ = ("_tree",)

    def __init__(self, tree: RegistryTree) -> None:
        self._tree = tree

    def set(self, path: str, name: str, value: object, type: RegValueType | None = None) -> None:  # noqa: A002
        """Store ``value`` (str, int, bytes or a list of str) under key ``path``; the key is
        created if needed.

        Raises:
            InvalidParameterError: ERROR_INVALID_PARAMETER for data of no registry type.
        """
        self._tree.create_key(path)
        self._tree.set_value(path, name, RegValue.from_python(value, type, name=name))

    def get(self, path: str, name: str, default: object = None) -> object:
        """The value of ``name`` under ``path``, or ``default`` if the key or value is missing."""
        if not self._tree.key_exists(path):
            return default
        for value_name, value in self._tree.enum_values(path):
            if value_name.casefold() == name.casefold():
                return value.data
        return default

    def delete(self, path: str, name: str) -> None:
        """Delete one value.

        Raises:
            RegistryEntryNotFoundError: ERROR_FILE_NOT_FOUND if it does not exist.
        """
        self._tree.delete_value(path, name)

    def delete_key(self, path: str) -> None:
        """Delete a key and everything below it."""
        self._tree.delete_tree(path)

    def keys(self, path: str = "") -> list[str]:
        """The subkeys of ``path``."""
        return self._tree.enum_keys(path)

    def values(self, path: str) -> dict[str, object]:
        """The values under ``path``, by name."""
        return {name: value.data for name, value in self._tree.enum_values(path)}
