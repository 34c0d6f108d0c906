"""Common properties of groups, resources and resource types, mapped to Pacemaker.

Each MSCS common property either has a Pacemaker counterpart (a meta attribute, an operation
attribute, the ``description``), is derived and read-only here, or has none. Reading returns
every property of the table (those without a counterpart at their MSCS default); setting one
without a counterpart to anything other than the value read raises ERROR_NOT_SUPPORTED, and
nothing is written. The table in ``docs/pacemaker.md`` ("The mapping") lists each row.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, Final

from clusapi._common import (
    INHERIT,
    GroupCommonProperties,
    ResourceCommonProperties,
    ResourceTypeCommonProperties,
)
from clusapi._enums import FailbackType, RestartAction
from clusapi._errors import ClusterError, make_error
from clusapi._rules import check_common
from clusapi._win32 import Win32Error

from ._cib import INFINITY, duration_ms, parse_score
from ._edit import check_storable, format_ms

if TYPE_CHECKING:
    from collections.abc import Mapping

    from clusapi._properties import PropertyValue

    from ._agents import AgentInfo
    from ._cib import ClusterView, GroupView, PrimitiveView
    from ._edit import Edit

__all__ = (
    "PREVENT_STICKINESS",
    "group_common",
    "resource_common",
    "set_group_common",
    "set_resource_common",
    "type_common",
    "verify",
)

#: resource-stickiness per member that keeps a group where it runs (MSCS PREVENT_FAILBACK):
#: more than any preferred-owner score clusapi writes (100 per place in the list).
PREVENT_STICKINESS: Final = 10000
#: The score a preferred owner gets per place from the end of the list (first of 3: 300).
PREFERENCE_STEP: Final = 100
_WINDOW_SET: Final = "clusapi-failback-window"
_WINDOW_START: Final = "clusapi-failback-window-start"
_WINDOW_END: Final = "clusapi-failback-window-end"
_OCF_DEFAULT_TIMEOUT_MS: Final = 20000


def _unsupported(label: str, name: str, why: str) -> ClusterError:
    return make_error(
        Win32Error.ERROR_NOT_SUPPORTED,
        f"{label}: property {name!r} has no counterpart on Pacemaker ({why})",
        fix="leave it at the value the backend reports; see docs/pacemaker.md",
    )


def verify(
    table: type[GroupCommonProperties | ResourceCommonProperties | ResourceTypeCommonProperties],
    current: Mapping[str, object],
    changes: Mapping[str, object],
    label: str,
) -> dict[str, PropertyValue]:
    """Check ``changes`` by the table and together with the current values (the reference
    runtime's check), naming ``label`` in the error. Returns only the values that differ."""
    checked = check_common(table, current, changes, label)
    return {k: v for k, v in checked.items() if current.get(k) != v}


# -- groups --------------------------------------------------------------------------------


def _set_description(element: ET.Element, checked: Mapping[str, object]) -> None:
    """Write a changed Description as the element's ``description`` (none when empty)."""
    if "Description" in checked:
        text = str(checked["Description"])
        if text:
            element.set("description", check_storable(element, "Description", text))
        else:
            element.attrib.pop("description", None)


def _group_element(edit_or_view_root: ET.Element, group_id: str) -> ET.Element | None:
    for group in edit_or_view_root.iter("group"):
        if group.get("id") == group_id:
            return group
    return None


def _window_set(group: ET.Element | None) -> ET.Element | None:
    if group is None:
        return None
    for block in group.iterfind("meta_attributes"):
        if (block.get("id") or "").endswith(_WINDOW_SET) and block.find("rule") is not None:
            return block
    return None


def _pair(block: ET.Element, name: str) -> str | None:
    for pair in block.iterfind("nvpair"):
        if pair.get("name") == name:
            return pair.get("value")
    return None


def _stickiness(view: ClusterView, group: GroupView) -> int:
    own = group.meta.get("resource-stickiness")
    value = own if own is not None else view.rsc_defaults.get("resource-stickiness", "0")
    return parse_score(value)


def group_common(view: ClusterView, group: GroupView) -> dict[str, object]:
    """The MSCS common properties of a group, read from the CIB."""
    values: dict[str, object] = dict(GroupCommonProperties().to_dict())
    values["Description"] = group.description
    values["PersistentState"] = any(view.primitives[m].wants_to_run for m in group.members)
    element = _group_element(view.root, group.id)
    window = _window_set(element)
    if window is not None:
        start, end = _pair(window, _WINDOW_START), _pair(window, _WINDOW_END)
        values["FailbackWindowStart"] = int(start) if start and start.lstrip("-").isdigit() else -1
        values["FailbackWindowEnd"] = int(end) if end and end.lstrip("-").isdigit() else -1
        allow = parse_score(_pair(window, "resource-stickiness")) == 0
    else:
        # The group moves back when its total stickiness (per member, summed over the members
        # that run) is below what it gains on the most preferred node.
        prefs = view.preferred_owners(group.id)
        best = max((p.score for p in prefs), default=0)
        total = _stickiness(view, group) * max(1, len(group.members))
        allow = total < best or (not prefs and _stickiness(view, group) == 0)
    values["AutoFailbackType"] = int(
        FailbackType.ALLOW_FAILBACK if allow else FailbackType.PREVENT_FAILBACK
    )
    return values


def _hours(start: int, end: int) -> list[str]:
    """The date_spec ``hours`` ranges (inclusive) for the window [start:00, end:00)."""
    if start == end:
        return [str(start)]
    if start < end:
        return [f"{start}-{end - 1}"]
    ranges = [f"{start}-23"]
    if end > 0:
        ranges.append(f"0-{end - 1}")
    return ranges


def set_group_common(
    edit: Edit, view: ClusterView, group: GroupView, changes: Mapping[str, object]
) -> tuple[str, ...]:
    """Verify and write a change of a group's common properties; the names written.

    Raises:
        PropertyError: ERROR_INVALID_PARAMETER for a bad value.
        NotSupportedError: ERROR_NOT_SUPPORTED for FailoverThreshold, FailoverPeriod or
            PersistentState set to a value other than the one read.
    """
    label = f"group {group.id!r}"
    current = group_common(view, group)
    checked = verify(GroupCommonProperties, current, changes, label)
    for name, why in (
        ("FailoverThreshold", "Pacemaker counts failures per resource and node, not failovers"),
        ("FailoverPeriod", "Pacemaker counts failures per resource and node, not failovers"),
        ("PersistentState", "use online() and offline(), which set target-role"),
    ):
        if name in checked:
            raise _unsupported(label, name, why)
    merged = {**current, **checked}
    element = edit.element("group", group.id)
    _set_description(element, checked)
    if {"AutoFailbackType", "FailbackWindowStart", "FailbackWindowEnd"} & checked.keys():
        allow = merged["AutoFailbackType"] == FailbackType.ALLOW_FAILBACK
        start, end = int(merged["FailbackWindowStart"]), int(merged["FailbackWindowEnd"])  # type: ignore[call-overload]
        windowed = start != -1 and end != -1
        old = _window_set(element)
        if old is not None:
            element.remove(old)
        # Outside a window (or with PREVENT), stickiness keeps the group where it is.
        edit.set_nvpair(
            element,
            "meta_attributes",
            "resource-stickiness",
            str(PREVENT_STICKINESS if (windowed or not allow) else 0),
        )
        if windowed:
            _add_window(edit, element, group.id, start, end, allow)
    return tuple(checked)


def _add_window(
    edit: Edit, element: ET.Element, group_id: str, start: int, end: int, allow: bool
) -> None:
    block = ET.Element("meta_attributes", id=edit.new_id(f"{group_id}-{_WINDOW_SET}"), score="10")
    rule = ET.SubElement(block, "rule", id=edit.new_id(f"{group_id}-{_WINDOW_SET}-rule"))
    rule.set("boolean-op", "or")
    for hours in _hours(start, end):
        expression = ET.SubElement(
            rule,
            "date_expression",
            id=edit.new_id(f"{group_id}-{_WINDOW_SET}-expr"),
            operation="date_spec",
        )
        ET.SubElement(
            expression, "date_spec", id=edit.new_id(f"{group_id}-{_WINDOW_SET}-spec"), hours=hours
        )
    for name, value in (
        ("resource-stickiness", "0" if allow else str(PREVENT_STICKINESS)),
        (_WINDOW_START, str(start)),
        (_WINDOW_END, str(end)),
    ):
        ET.SubElement(
            block, "nvpair", id=edit.new_id(f"{block.get('id')}-{name}"), name=name, value=value
        )
    # Rule-based sets after the set that always applies, before any <primitive>.
    children = list(element)
    index = next((i for i, c in enumerate(children) if c.tag == "primitive"), len(children))
    element.insert(index, block)


# -- resources -----------------------------------------------------------------------------


def _op(prim: PrimitiveView, name: str, deep: bool = False) -> tuple[int, int | None] | None:
    for op in prim.ops:
        if op.name == name and (op.depth > 0) == deep and (name != "monitor" or op.interval_ms):
            return op.interval_ms, op.timeout_ms
    return None


def _on_fail(prim: PrimitiveView) -> str | None:
    for op in prim.ops:
        if op.name == "monitor" and op.depth == 0 and op.interval_ms:
            return op.on_fail
    return None


def resource_common(prim: PrimitiveView, rsc_defaults: Mapping[str, str]) -> dict[str, object]:
    """The MSCS common properties of a resource, read from the CIB."""
    values: dict[str, object] = dict(ResourceCommonProperties().to_dict())
    values["Description"] = prim.description
    values["SeparateMonitor"] = True  # every OCF action runs as a process of its own
    values["PersistentState"] = prim.wants_to_run
    monitor = _op(prim, "monitor")
    deep = _op(prim, "monitor", deep=True)
    start = _op(prim, "start")
    values["LooksAlivePollInterval"] = monitor[0] if monitor else INHERIT
    values["IsAlivePollInterval"] = deep[0] if deep else INHERIT
    values["RestartAction"] = int(
        RestartAction.DONT_RESTART
        if _on_fail(prim) in ("stop", "block")
        else RestartAction.RESTART_NOTIFY
    )
    threshold = prim.meta.get("migration-threshold", rsc_defaults.get("migration-threshold"))
    score = parse_score(threshold) if threshold is not None else INFINITY
    values["RestartThreshold"] = INHERIT if score >= INFINITY or score <= 0 else score - 1
    timeout = prim.meta.get("failure-timeout", rsc_defaults.get("failure-timeout"))
    period = duration_ms(timeout) or 0
    values["RestartPeriod"] = period
    # A failed resource is tried again when its failures expire: after RestartPeriod.
    values["RetryPeriodOnFailure"] = period or INHERIT
    values["PendingTimeout"] = (start[1] if start and start[1] else None) or _OCF_DEFAULT_TIMEOUT_MS
    values["DeadlockTimeout"] = max(
        1000, (monitor[1] if monitor and monitor[1] else None) or _OCF_DEFAULT_TIMEOUT_MS
    )
    return values


def _op_elements(edit: Edit, resource_id: str, name: str, deep: bool) -> list[ET.Element]:
    prim = edit.element("primitive", resource_id)
    found = []
    for op in prim.iterfind("operations/op"):
        if op.get("name") != name:
            continue
        level = 0
        for pair in op.iterfind("instance_attributes/nvpair"):
            if pair.get("name") == "OCF_CHECK_LEVEL" and (pair.get("value") or "").isdigit():
                level = int(pair.get("value") or 0)
        interval = duration_ms(op.get("interval")) or 0
        if (level > 0) == deep and (name != "monitor" or interval):
            found.append(op)
    return found


def ensure_op(
    edit: Edit,
    resource_id: str,
    name: str,
    *,
    interval_ms: int = 0,
    timeout_ms: int | None = None,
    depth: int = 0,
) -> ET.Element:
    """The primitive's ``name`` operation (a deep monitor if ``depth``), made if missing."""
    found = _op_elements(edit, resource_id, name, depth > 0)
    if found:
        return found[0]
    prim = edit.element("primitive", resource_id)
    operations = prim.find("operations")
    if operations is None:
        operations = ET.SubElement(prim, "operations")
    suffix = f"-depth-{depth}" if depth else ""
    op = ET.SubElement(
        operations,
        "op",
        id=edit.new_id(f"{resource_id}-{name}-interval-{format_ms(interval_ms)}{suffix}"),
        name=name,
        interval=format_ms(interval_ms),
    )
    if timeout_ms is not None:
        op.set("timeout", format_ms(timeout_ms))
    if depth:
        attributes = ET.SubElement(op, "instance_attributes", id=edit.new_id(f"{op.get('id')}-ia"))
        ET.SubElement(
            attributes,
            "nvpair",
            id=edit.new_id(f"{op.get('id')}-OCF_CHECK_LEVEL"),
            name="OCF_CHECK_LEVEL",
            value=str(depth),
        )
    return op


def _set_monitor(
    edit: Edit,
    resource_id: str,
    interval_ms: int,
    timeout_ms: int,
    dont_restart: bool,
    *,
    depth: int = 0,
) -> None:
    """Make the LooksAlive monitor (or with ``depth``, the IsAlive one) run every
    ``interval_ms`` with ``timeout_ms`` (DeadlockTimeout); RestartAction DONT_RESTART is
    ``on-fail=stop``, the others Pacemaker's default (restart, then move)."""
    op = ensure_op(
        edit, resource_id, "monitor", interval_ms=interval_ms, timeout_ms=timeout_ms, depth=depth
    )
    op.set("interval", format_ms(interval_ms))
    op.set("timeout", format_ms(timeout_ms))
    if dont_restart:
        op.set("on-fail", "stop")
    else:
        op.attrib.pop("on-fail", None)


def set_resource_common(
    edit: Edit,
    view: ClusterView,
    prim: PrimitiveView,
    agent: AgentInfo,
    changes: Mapping[str, object],
) -> tuple[str, ...]:
    """Verify and write a change of a resource's common properties; the names written.

    Raises:
        PropertyError: ERROR_INVALID_PARAMETER for a bad value.
        NotSupportedError: ERROR_NOT_SUPPORTED for a property without a counterpart set to a
            value other than the one read (see the module docstring).
    """
    label = f"resource {prim.id!r}"
    current = resource_common(prim, view.rsc_defaults)
    checked = verify(ResourceCommonProperties, current, changes, label)
    unsupported = {
        "SeparateMonitor": "every OCF action already runs as a process of its own",
        "PersistentState": "use online() and offline(), which set target-role",
        "RetryPeriodOnFailure": "a failed resource is retried when its failures expire, "
        "after RestartPeriod (failure-timeout)",
    }
    for name, why in unsupported.items():
        if name in checked:
            raise _unsupported(label, name, why)
    if checked.get("RestartAction") == RestartAction.RESTART_NO_NOTIFY:
        raise _unsupported(
            label,
            "RestartAction",
            "Pacemaker cannot restart a resource and then keep it failed without moving its "
            "group; use 0 (on-fail=stop) or 2 (restart, then move: migration-threshold)",
        )
    merged = {**current, **checked}
    looks = merged["LooksAlivePollInterval"]
    looks_ms = agent.looks_alive_ms if looks == INHERIT else int(looks)  # type: ignore[call-overload]
    is_alive = merged["IsAlivePollInterval"]
    if is_alive != INHERIT and int(is_alive) == looks_ms:  # type: ignore[call-overload]
        raise make_error(
            Win32Error.ERROR_INVALID_PARAMETER,
            f"{label}: IsAlivePollInterval equals LooksAlivePollInterval ({looks_ms} ms); "
            "Pacemaker needs different intervals for the two monitors",
            fix="choose different intervals",
        )
    element = edit.element("primitive", prim.id)
    _set_description(element, checked)
    deadlock = int(merged["DeadlockTimeout"])  # type: ignore[call-overload]
    dont_restart = merged["RestartAction"] == RestartAction.DONT_RESTART
    if {"LooksAlivePollInterval", "DeadlockTimeout", "RestartAction"} & checked.keys():
        _set_monitor(edit, prim.id, looks_ms, deadlock, dont_restart)
    if {"IsAlivePollInterval", "DeadlockTimeout", "RestartAction"} & checked.keys():
        deep = _op_elements(edit, prim.id, "monitor", deep=True)
        if is_alive == INHERIT:
            operations = element.find("operations")
            for op in deep:
                if operations is not None:
                    operations.remove(op)
        else:
            is_alive_ms = int(is_alive)  # type: ignore[call-overload]
            depth = max(agent.meta.deepest_depth, 10)
            _set_monitor(edit, prim.id, is_alive_ms, deadlock, dont_restart, depth=depth)
    if "RestartThreshold" in checked:
        threshold = int(merged["RestartThreshold"])  # type: ignore[call-overload]
        value = "INFINITY" if threshold >= INHERIT or threshold + 1 >= INFINITY else threshold + 1
        edit.set_meta(prim.id, "migration-threshold", str(value))
    if "RestartPeriod" in checked:
        edit.set_meta(prim.id, "failure-timeout", format_ms(int(merged["RestartPeriod"])))  # type: ignore[call-overload]
    if "PendingTimeout" in checked:
        pending = int(merged["PendingTimeout"])  # type: ignore[call-overload]
        for action in ("start", "stop"):
            ensure_op(edit, prim.id, action, timeout_ms=pending).set("timeout", format_ms(pending))
    return tuple(checked)


# -- resource types ------------------------------------------------------------------------


def type_common(agent: AgentInfo) -> dict[str, object]:
    """A type's common properties: the defaults its meta-data advertises."""
    values: dict[str, object] = dict(ResourceTypeCommonProperties().to_dict())
    values["Description"] = agent.description
    values["LooksAlivePollInterval"] = agent.looks_alive_ms
    values["IsAlivePollInterval"] = agent.is_alive_ms
    values["PendingTimeout"] = max(10, agent.timeout_ms("start"))
    return values
