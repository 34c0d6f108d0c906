"""The child's copy of the node-local registry, kept in step with the node's.

A monitor process gets a copy of the local registry (:class:`~._protocol.StartConfig`) and
sends each change its resource makes as a :class:`~._protocol.RegistryChange`, which the parent
applies to the node's tree, where checkpoints capture it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from clusapi._enums import ClusterChange
from clusapi._errors import make_error
from clusapi._win32 import Win32Error

from ._protocol import RegistryChange

if TYPE_CHECKING:
    from clusapi._core._registry_tree import RegistryTree

__all__ = ("apply_registry_change", "describe_registry_change", "registry_change_problem")


def describe_registry_change(
    tree: RegistryTree, kind: ClusterChange, path: str, name: str | None
) -> RegistryChange | None:
    """What a change event of ``tree`` left behind, as a :class:`RegistryChange`."""
    exists = tree.key_exists(path)
    if kind is ClusterChange.REGISTRY_VALUE and name is not None:
        if exists:
            for value_name, value in tree.enum_values(path):
                if value_name.casefold() == name.casefold():
                    return RegistryChange("set", path, value_name, value)
        return RegistryChange("delete_value", path, name)
    if kind is ClusterChange.REGISTRY_NAME:
        return RegistryChange("create_key" if exists else "delete_tree", path)
    if kind is ClusterChange.REGISTRY_ATTRIBUTES and exists:
        return RegistryChange("security", path, security=tree.get_key_security(path))
    return None


def registry_change_problem(change: RegistryChange) -> str | None:
    """What makes ``change`` not one :func:`describe_registry_change` makes, or None."""
    if change.op in ("set", "delete_value") and change.name is None:
        return f"a {change.op!r} change needs a value name"
    if change.op == "set" and change.value is None:
        return "a 'set' change needs a value"
    if change.op != "set" and change.value is not None:
        return f"a {change.op!r} change carries no value"
    if change.op != "security" and change.security is not None:
        return f"a {change.op!r} change carries no security descriptor"
    return None


def apply_registry_change(tree: RegistryTree, change: RegistryChange) -> None:
    """Make ``tree`` hold what ``change`` describes (nothing happens if it already does not
    exist where a deletion is described).

    Raises:
        ClusterError: ERROR_INVALID_PARAMETER for a malformed change; what the tree raises for
            a bad path or name.
    """
    problem = registry_change_problem(change)
    if problem is not None:
        raise make_error(Win32Error.ERROR_INVALID_PARAMETER, f"{change}: {problem}")
    path = change.path
    if change.op == "set" and change.name is not None and change.value is not None:
        tree.create_key(path)
        tree.set_value(path, change.name, change.value)
    elif change.op == "create_key":
        tree.create_key(path)
    elif not tree.key_exists(path):
        return
    elif change.op == "delete_value" and change.name is not None:
        if any(n.casefold() == change.name.casefold() for n, _ in tree.enum_values(path)):
            tree.delete_value(path, change.name)
    elif change.op == "delete_tree":
        if path:
            tree.delete_tree(path)
    elif change.security is not None:
        tree.set_key_security(path, change.security)
    elif tree.get_key_security(path) is not None:
        tree.restore(path, attrs.evolve(tree.snapshot(path), security=None))
