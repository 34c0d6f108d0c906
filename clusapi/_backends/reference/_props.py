"""Common property values as the Failover Manager and the monitors read them, defaults filled in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clusapi._common import (
    INHERIT,
    GroupCommonProperties,
    ResourceCommonProperties,
    ResourceTypeCommonProperties,
)

if TYPE_CHECKING:
    from ._model import GroupRecord, ResourceRecord

__all__ = ("effective", "group_prop", "resource_prop", "signed")


def _as_int(value: object) -> int:
    if not isinstance(value, int):
        raise TypeError(f"expected an int property value, got {value!r}")
    return int(value)


def group_prop(group: GroupRecord, name: str) -> int:
    value = group.properties.get(name)
    if value is None:
        value = GroupCommonProperties.item(name).default
    return _as_int(value)


def resource_prop(res: ResourceRecord, name: str) -> int:
    value = res.properties.get(name)
    if value is None:
        value = ResourceCommonProperties.item(name).default
    return _as_int(value)


def effective(res: ResourceRecord, name: str) -> int:
    """A resource's value, or its type's when the resource says INHERIT (0xFFFFFFFF)."""
    value = resource_prop(res, name)
    if value == INHERIT:
        type_value = res.type.properties.get(name)
        if type_value is None:
            type_value = ResourceTypeCommonProperties.item(name).default
        value = _as_int(type_value)
    return value


def signed(value: int) -> int:
    return value - (1 << 32) if value >= 1 << 31 else value
