"""The reference runtime's answers about the cluster, its nodes, quorum and resource types.

See ``_dispatch`` for the table; docs/architecture.md for the runtime.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any, Final

from clusapi import _operations as ops, _rules as rules
from clusapi._common import (
    GroupCommonProperties,
    ResourceCommonProperties,
    ResourceTypeCommonProperties,
)
from clusapi._enums import (
    Characteristics,
    ClusterChange,
    GroupState,
    LogLevel,
    NodeState,
    ResourceClass,
    ResourceState,
)
from clusapi._errors import make_error
from clusapi._operations import ObjectKind
from clusapi._values import (
    ClusterInfo,
    ObjectInfo,
    PropertyUpdate,
    ResourceTypeInfo,
)
from clusapi._win32 import Win32Error
from resapi._resource import Resource
from resapi._resource_type import ImportPathError, check_entry_points, resolve_import_path

from ._model import GroupRecord, K, ObjectIndex, ResourceRecord, TypeRecord
from ._names import check_name, object_key_path

if TYPE_CHECKING:
    from collections.abc import Mapping

    from anyio.streams.memory import MemoryObjectReceiveStream

    from clusapi._backend import Operation
    from clusapi._values import Notification

    from ._dispatch import Handler
    from ._runtime import ReferenceRuntime

__all__ = ("HANDLERS", "not_quorum", "not_quorum_offline", "set_common")


# -- cluster -------------------------------------------------------------------------------


async def _get_info(rt: ReferenceRuntime, op: ops.GetClusterInfo) -> ClusterInfo:
    return ClusterInfo(
        rt.state.cluster_name, 1, 0, 1, "clusapi-resapi reference runtime", "", rt.name
    )


async def _list(rt: ReferenceRuntime, op: ops.ListObjects) -> tuple[ObjectInfo, ...]:
    if op.kind is ObjectKind.NODE:
        return tuple(ObjectInfo(n.id, n.name) for n in rt.state.nodes)
    if op.kind is ObjectKind.GROUP:
        return tuple(ObjectInfo(g.id, g.name) for g in rt.state.groups)
    if op.kind is ObjectKind.RESOURCE:
        return tuple(ObjectInfo(r.id, r.name) for r in rt.state.resources)
    return tuple(ObjectInfo(t.name, t.name) for t in rt.state.types.values())


async def _open(rt: ReferenceRuntime, op: ops.OpenObject) -> ObjectInfo:
    name = check_name(op.kind.value, op.name)
    if op.kind is ObjectKind.NODE:
        node = rt.state.find_node(name)
        return ObjectInfo(node.id, node.name)
    if op.kind in (ObjectKind.GROUP, ObjectKind.RESOURCE):
        index = rt.state.groups if op.kind is ObjectKind.GROUP else rt.state.resources
        found = index.find(name)
        if found is None:
            raise rules.no_such(index.kind, name, rt.state.cluster_name)
        return ObjectInfo(found.id, found.name)
    rtype = rt.state.type_record(name)
    return ObjectInfo(rtype.name, rtype.name)


async def _rename(rt: ReferenceRuntime, op: ops.RenameObject) -> None:
    name = check_name(op.kind.value, op.new_name)
    if op.kind is ObjectKind.GROUP:
        group = rt.state.group_record(op.id)
        _rename_in(rt, rt.state.groups, group, name)
        rt.state.events.emit(
            ClusterChange.GROUP_PROPERTY, group.name, group.id, properties=("Name",)
        )
    elif op.kind is ObjectKind.RESOURCE:
        res = rt.state.resource_record(op.id)
        _rename_in(rt, rt.state.resources, res, name)
        rt.state.events.emit(
            ClusterChange.RESOURCE_PROPERTY, res.name, res.id, properties=("Name",)
        )
    else:
        raise make_error(
            Win32Error.ERROR_NOT_SUPPORTED, f"a {op.kind.value} cannot be renamed here"
        )


def _rename_in(rt: ReferenceRuntime, registry: ObjectIndex[K], record: K, name: str) -> None:
    other = registry.find(name)
    if other is not None and other is not record:
        raise make_error(
            Win32Error.ERROR_OBJECT_ALREADY_EXISTS,
            f"a {registry.kind} named {name!r} exists",
            fix="choose another name",
        )
    rt.state.rename(registry, record, name)


_CommonTable = (
    type[GroupCommonProperties]
    | type[ResourceCommonProperties]
    | type[ResourceTypeCommonProperties]
)
#: Common properties of a resource that its monitor reads only when it comes online.
_NEXT_ONLINE = frozenset(
    {"LooksAlivePollInterval", "IsAlivePollInterval", "PendingTimeout", "SeparateMonitor"}
)
_PROPERTY_CHANGE = {
    ObjectKind.GROUP: ClusterChange.GROUP_PROPERTY,
    ObjectKind.RESOURCE: ClusterChange.RESOURCE_PROPERTY,
    ObjectKind.RESOURCE_TYPE: ClusterChange.RESOURCE_TYPE_PROPERTY,
}


def _common(
    rt: ReferenceRuntime, kind: ObjectKind, obj_id: str
) -> tuple[_CommonTable, GroupRecord | ResourceRecord | TypeRecord]:
    """The common-property table of ``kind`` and the record holding the values."""
    if kind is ObjectKind.GROUP:
        return GroupCommonProperties, rt.state.group_record(obj_id)
    if kind is ObjectKind.RESOURCE:
        return ResourceCommonProperties, rt.state.resource_record(obj_id)
    if kind is ObjectKind.RESOURCE_TYPE:
        return ResourceTypeCommonProperties, rt.state.type_record(obj_id)
    raise make_error(
        Win32Error.ERROR_NOT_SUPPORTED,
        f"common properties of a {kind.value} are not available here",
    )


async def _get_common(rt: ReferenceRuntime, op: ops.GetCommonProperties) -> Mapping[str, object]:
    table, record = _common(rt, op.kind, op.id)
    return table.load(record.properties).to_dict()


async def set_common(rt: ReferenceRuntime, op: ops.SetCommonProperties) -> PropertyUpdate:
    table, record = _common(rt, op.kind, op.id)
    label = f"{op.kind.value} {record.name!r}"
    checked = rules.check_common(table, record.properties, op.changes, label)
    with rules.about(label):
        written = table.apply(record.properties, checked)
    if written:
        rt.state.events.emit(
            _PROPERTY_CHANGE[op.kind],
            record.name,
            getattr(record, "id", None),
            properties=written,
        )
    # The monitor reads these when the resource next comes online (clusapi.md §7.10).
    deferred = (
        isinstance(record, ResourceRecord)
        and record.state is not ResourceState.OFFLINE
        and bool(_NEXT_ONLINE.intersection(written))
    )
    return PropertyUpdate(written, deferred)


async def _notify(
    rt: ReferenceRuntime, op: ops.OpenNotifyPort
) -> MemoryObjectReceiveStream[Notification]:
    return rt.state.events.open_port(op.filter)


# -- nodes ---------------------------------------------------------------------------------


async def _node_state(rt: ReferenceRuntime, op: ops.GetNodeState) -> NodeState:
    node = rt.state.node_record(op.id)
    if node.state is NodeState.UP and node.paused:
        return NodeState.PAUSED
    return node.state


async def _pause(rt: ReferenceRuntime, op: ops.PauseNode) -> None:
    node = rt.state.node_record(op.id)
    rules.check_can_pause(node.name, down=node.state is NodeState.DOWN)
    if node.paused:
        return
    rt.state.set_paused(node, True)
    rt.state.set_node_state(node, NodeState.PAUSED)
    rt.state.events.emit(ClusterChange.NODE_STATE, node.name, node.id, state=node.state)


async def _resume(rt: ReferenceRuntime, op: ops.ResumeNode) -> None:
    node = rt.state.node_record(op.id)
    rules.check_paused(node.name, paused=node.paused)
    rt.state.set_paused(node, False)
    if node.state is NodeState.PAUSED:
        rt.state.set_node_state(node, NodeState.UP)
    rt.state.events.emit(ClusterChange.NODE_STATE, node.name, node.id, state=node.state)


async def _evict(rt: ReferenceRuntime, op: ops.EvictNode) -> None:
    node = rt.state.node_record(op.id)
    last = len(rt.state.nodes.by_id) == 1
    if node.state is not NodeState.DOWN and not last:
        raise make_error(
            Win32Error.ERROR_CANT_EVICT_ACTIVE_NODE,
            f"node {node.name!r} is {node.state.name}",
            fix="a node can be evicted only when it is down or the last node",
        )
    if any(g.owner == node.id and g.state is not GroupState.OFFLINE for g in rt.state.groups):
        raise make_error(
            Win32Error.ERROR_INVALID_STATE,
            f"node {node.name!r} still owns online groups",
            fix="move its groups first",
        )
    rt.state.forget_node(node)
    rt.failover.forget_node_exclusions(node.id)
    rt.state.remove(rt.state.nodes, node, ClusterChange.NODE_DELETED)


async def _node_groups(rt: ReferenceRuntime, op: ops.GetNodeGroups) -> tuple[ObjectInfo, ...]:
    node = rt.state.node_record(op.id)
    return tuple(ObjectInfo(g.id, g.name) for g in rt.state.groups if g.owner == node.id)


# -- resource types ------------------------------------------------------------------------


def _load_implementation(implementation: object) -> tuple[type[Resource], str]:
    if isinstance(implementation, str) and implementation.startswith("ocf:"):
        # An OCF resource agent ("ocf:heartbeat:Dummy") becomes a resource type.
        from resapi._ocf._type import ocf_resource_type

        implementation = ocf_resource_type(implementation)
    if isinstance(implementation, str):
        try:
            implementation = resolve_import_path(implementation)
        except ImportPathError as exc:
            if exc.problem == "form":
                message, fix = (
                    f"{exc.path!r} is not an import path",
                    "write it as 'package.module:ClassName'",
                )
            else:
                # The module's own error ("No module named 'x'"), or the missing attribute.
                reason = exc.cause if exc.problem == "module" else exc
                message, fix = (
                    f"cannot load resource type {exc.path!r}: {reason}",
                    "check the module and class name",
                )
            raise make_error(Win32Error.ERROR_INVALID_PARAMETER, message, fix=fix) from exc.cause
    if not (isinstance(implementation, type) and issubclass(implementation, Resource)):
        raise make_error(
            Win32Error.ERROR_INVALID_PARAMETER,
            f"{implementation!r} is not a resapi.Resource subclass",
            fix="pass a subclass of resapi.Resource or its import path",
        )
    if inspect.isabstract(implementation):
        missing = ", ".join(sorted(getattr(implementation, "__abstractmethods__", ())))
        raise make_error(
            Win32Error.ERROR_INVALID_PARAMETER,
            f"resource type class {implementation.__qualname__} is abstract (missing: {missing})",
            fix="implement every required entry point",
        )
    check_entry_points(implementation)
    path = f"{implementation.__module__}:{implementation.__qualname__}"
    return implementation, path


async def _create_type(rt: ReferenceRuntime, op: ops.CreateResourceType) -> ResourceTypeInfo:
    cls, path = _load_implementation(op.implementation)
    name = check_name("resource type", cls.type_name if op.name is None else op.name)
    display_name = name if op.display_name is None else op.display_name
    if not isinstance(display_name, str):
        raise make_error(
            Win32Error.ERROR_INVALID_PARAMETER,
            f"display name of resource type {name!r} must be a str, not {display_name!r}",
            fix="pass a string, or leave it out to use the type name",
        )
    rules.check_text(f"display name of resource type {name!r}", display_name)
    if name.casefold() in rt.state.types:
        raise make_error(
            Win32Error.ERROR_OBJECT_ALREADY_EXISTS,
            f"resource type {name!r} is already registered",
            fix="delete it first, or use the registered one",
        )
    looks = op.looks_alive_poll_interval
    is_alive = op.is_alive_poll_interval
    with rules.about(f"resource type {name!r}"):
        props = ResourceTypeCommonProperties.verify(
            {
                "LooksAlivePollInterval": cls.looks_alive_poll_interval if looks is None else looks,
                "IsAlivePollInterval": cls.is_alive_poll_interval if is_alive is None else is_alive,
                "PendingTimeout": cls.pending_timeout,
                "DeadlockTimeout": cls.deadlock_timeout,
            }
        )
    record = TypeRecord(name, display_name, cls, path, dict(props))
    rt.state.set_db(object_key_path("resource type", name), Name=name, DllName=path)
    rt.state.add_type(record)
    return _type_info(record)


def _type_info(record: TypeRecord) -> ResourceTypeInfo:
    return ResourceTypeInfo(
        record.name,
        record.display_name,
        record.implementation_path,
        int(record.properties["LooksAlivePollInterval"]),  # type: ignore[call-overload]
        int(record.properties["IsAlivePollInterval"]),  # type: ignore[call-overload]
    )


async def _delete_type(rt: ReferenceRuntime, op: ops.DeleteResourceType) -> None:
    record = rt.state.type_record(op.name)
    if record.resources:
        raise make_error(
            Win32Error.ERROR_DIR_NOT_EMPTY,
            f"resource type {record.name!r} is used by {len(record.resources)} resource(s)",
            fix="delete those resources first",
        )
    rt.state.remove_type(record)


async def _type_get(rt: ReferenceRuntime, op: ops.GetResourceTypeInfo) -> ResourceTypeInfo:
    return _type_info(rt.state.type_record(op.name))


async def _type_resources(rt: ReferenceRuntime, op: ops.GetTypeResources) -> tuple[ObjectInfo, ...]:
    record = rt.state.type_record(op.name)
    return tuple(ObjectInfo(r, rt.state.resources.by_id[r].name) for r in record.resources)


def not_quorum(
    rt: ReferenceRuntime, resources: list[ResourceRecord], code: Win32Error, what: str, fix: str
) -> None:
    """``code`` if one of ``resources`` is the quorum resource, which ``what`` ("cannot be
    deleted") a request asks of it."""
    for res in resources:
        if res.id == rt.membership.quorum_id:
            raise make_error(
                code, f"resource {res.name!r} is the quorum resource and {what}", fix=fix
            )


def not_quorum_offline(rt: ReferenceRuntime, resources: list[ResourceRecord]) -> None:
    not_quorum(
        rt,
        resources,
        Win32Error.ERROR_INVALID_OPERATION_ON_QUORUM,
        "cannot be taken offline",
        "move its group to another node instead",
    )


# -- quorum --------------------------------------------------------------------------------


async def _get_quorum(rt: ReferenceRuntime, op: ops.GetQuorumResource) -> ObjectInfo | None:
    res = rt.state.resources.by_id.get(rt.membership.quorum_id) if rt.membership.quorum_id else None
    return None if res is None else ObjectInfo(res.id, res.name)


async def _set_quorum(rt: ReferenceRuntime, op: ops.SetQuorumResource) -> None:
    res = rt.state.resource_record(op.id)
    cls = res.type.implementation
    if not cls.type_characteristics() & Characteristics.QUORUM:
        raise make_error(
            Win32Error.ERROR_NOT_QUORUM_CAPABLE,
            f"resource {res.name!r} of type {res.type.name!r} is not quorum-capable",
            fix="use a type that implements arbitrate() and release()",
        )
    if cls.resource_class is not ResourceClass.STORAGE:
        raise make_error(
            Win32Error.ERROR_NOT_QUORUM_CLASS,
            f"resource {res.name!r} of type {res.type.name!r} is of class "
            f"{cls.resource_class.name}, not STORAGE",
            fix="the quorum resource must be a storage-class resource",
        )
    if res.depends_on:
        raise make_error(
            Win32Error.ERROR_DEPENDENCY_NOT_ALLOWED,
            f"resource {res.name!r} depends on other resources; the quorum resource may not",
            fix="remove its dependencies first",
        )
    if rt.membership.quorum_id == res.id:
        return
    old = rt.state.resources.by_id.get(rt.membership.quorum_id) if rt.membership.quorum_id else None
    if old is not None and rt.membership.quorum_holder is not None:
        await rt.membership.release(old, rt.state.nodes.by_id[rt.membership.quorum_holder])
    rt.membership.quorum_id = res.id
    rt.membership.quorum_holder = None
    node = rt.state.nodes.by_id.get(res.node) if res.node else None
    if node is not None and res.state is ResourceState.ONLINE:
        await rt.membership.arbitrate(
            res, node
        )  # it runs there already: that node takes the device
    rt.state.log(LogLevel.INFORMATION, "quorum", f"quorum resource is now {res.name!r}")
    rt.state.events.emit(ClusterChange.CLUSTER_PROPERTY, rt.state.cluster_name)


#: The operations this module answers, and how (merged by ``_dispatch``).
HANDLERS: Final[Mapping[type[Operation[Any]], Handler]] = {
    ops.GetClusterInfo: _get_info,
    ops.ListObjects: _list,
    ops.OpenObject: _open,
    ops.RenameObject: _rename,
    ops.GetCommonProperties: _get_common,
    ops.SetCommonProperties: set_common,
    ops.OpenNotifyPort: _notify,
    ops.GetNodeState: _node_state,
    ops.PauseNode: _pause,
    ops.ResumeNode: _resume,
    ops.EvictNode: _evict,
    ops.GetNodeGroups: _node_groups,
    ops.CreateResourceType: _create_type,
    ops.DeleteResourceType: _delete_type,
    ops.GetResourceTypeInfo: _type_get,
    ops.GetTypeResources: _type_resources,
    ops.GetQuorumResource: _get_quorum,
    ops.SetQuorumResource: _set_quorum,
}
