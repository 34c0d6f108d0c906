"""Object names as callers give them, and each object's key in the cluster database."""

from __future__ import annotations

from clusapi._errors import make_error
from clusapi._rules import require_name
from clusapi._win32 import Win32Error

__all__ = ("check_name", "object_key_path")


def check_name(kind: str, name: object) -> str:
    """A caller's object name, checked: a non-empty str without backslashes."""
    name = require_name(kind, name)
    if "\\" in name:
        raise make_error(
            Win32Error.ERROR_INVALID_PARAMETER,
            f"{kind} name {name!r} contains a backslash",
            fix="cluster database key names cannot contain '\\'",
        )
    return name


def object_key_path(kind: str, ident: str) -> str:
    """Where an object's key lives in the cluster database (as under HKLM\\Cluster)."""
    return (
        {
            "node": "Nodes",
            "group": "Groups",
            "resource": "Resources",
            "resource type": "ResourceTypes",
        }[kind]
        + "\\"
        + ident
    )
