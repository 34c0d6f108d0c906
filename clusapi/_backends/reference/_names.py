"""Object names as callers give them, and each object's key in the cluster database."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clusapi._errors import make_error
from clusapi._registry import RegValue
from clusapi._rules import require_name
from clusapi._win32 import Win32Error

if TYPE_CHECKING:
    from ._runtime import ReferenceRuntime

__all__ = ("check_name", "object_key_path", "set_db")


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


def set_db(rt: ReferenceRuntime, key: str, **values: str) -> None:
    """Keep an object's key in the cluster database in step with the object.

    Called before the object model changes, and every value is built (checked) before the key
    is touched: a value the database refuses leaves both as they were.
    """
    typed = {name: RegValue.from_python(value, name=name) for name, value in values.items()}
    rt.state.database.create_key(key)
    for name, value in typed.items():
        rt.state.database.set_value(key, name, value)
