"""The reference runtime's answer to each operation of the Backend seam.

Every handler validates everything first and changes state only after, so a call that fails
changes nothing (DESIGN.md §4); errors come from :func:`clusapi.lowlevel.make_error`, whose
single table picks the exception class for the Win32 code.
"""

from __future__ import annotations

import importlib
import inspect
from typing import TYPE_CHECKING

import anyio

from clusapi import _operations as ops, _policy as policy, _rules as rules
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
from clusapi._registry import RegValue
from clusapi._values import (
    ClusterInfo,
    GroupStateInfo,
    ObjectInfo,
    PropertyUpdate,
    ResourceStateInfo,
    ResourceTypeInfo,
)
from clusapi._win32 import Win32Error
from resapi._resource import Resource

from ._model import GroupRecord, K, Registry, ResourceRecord, TypeRecord
from ._parameters import ParametersView
from ._runtime import _handles, check_name, object_key_path

if TYPE_CHECKING:
    from collections.abc import Mapping

    from anyio.streams.memory import MemoryObjectReceiveStream

    from clusapi._values import Notification

    from ._runtime import ReferenceRuntime

__all__ = ()

W = Win32Error
_PENDING = frozenset(
    {ResourceState.ONLINE_PENDING, ResourceState.OFFLINE_PENDING, ResourceState.PENDING}
)


# -- cluster -------------------------------------------------------------------------------


@_handles(ops.GetClusterInfo)
async def _get_info(rt: ReferenceRuntime, op: ops.GetClusterInfo) -> ClusterInfo:
    return ClusterInfo(rt.cluster_name, 1, 0, 1, "clusapi-resapi reference runtime", "", rt.name)


@_handles(ops.ListObjects)
async def _list(rt: ReferenceRuntime, op: ops.ListObjects) -> tuple[ObjectInfo, ...]:
    if op.kind is ObjectKind.NODE:
        return tuple(ObjectInfo(n.id, n.name) for n in rt.nodes)
    if op.kind is ObjectKind.GROUP:
        return tuple(ObjectInfo(g.id, g.name) for g in rt.groups)
    if op.kind is ObjectKind.RESOURCE:
        return tuple(ObjectInfo(r.id, r.name) for r in rt.resources)
    return tuple(ObjectInfo(t.name, t.name) for t in rt.types.values())


@_handles(ops.OpenObject)
async def _open(rt: ReferenceRuntime, op: ops.OpenObject) -> ObjectInfo:
    name = check_name(op.kind.value, op.name)
    where = f"in cluster {rt.cluster_name!r}"
    if op.kind is ObjectKind.NODE:
        return ObjectInfo(rt.find_node(name).id, rt.find_node(name).name)
    if op.kind is ObjectKind.GROUP:
        group = rt.groups.find(name)
        if group is None:
            raise make_error(
                W.ERROR_GROUP_NOT_FOUND,
                f"no group named {name!r} {where}",
                fix="list the groups with `await cluster.groups()`",
            )
        return ObjectInfo(group.id, group.name)
    if op.kind is ObjectKind.RESOURCE:
        res = rt.resources.find(name)
        if res is None:
            raise make_error(
                W.ERROR_RESOURCE_NOT_FOUND,
                f"no resource named {name!r} {where}",
                fix="list the resources with `await cluster.resources()`",
            )
        return ObjectInfo(res.id, res.name)
    rtype = rt.type_record(name)
    return ObjectInfo(rtype.name, rtype.name)


@_handles(ops.RenameObject)
async def _rename(rt: ReferenceRuntime, op: ops.RenameObject) -> None:
    name = check_name(op.kind.value, op.new_name)
    if op.kind is ObjectKind.GROUP:
        group = rt.group_record(op.id)
        _rename_in(rt, rt.groups, group, name)
        rt.events.emit(ClusterChange.GROUP_PROPERTY, group.name, group.id)
    elif op.kind is ObjectKind.RESOURCE:
        res = rt.resource_record(op.id)
        _rename_in(rt, rt.resources, res, name)
        rt.events.emit(ClusterChange.RESOURCE_PROPERTY, res.name, res.id)
    else:
        raise make_error(W.ERROR_NOT_SUPPORTED, f"a {op.kind.value} cannot be renamed here")


def _rename_in(rt: ReferenceRuntime, registry: Registry[K], record: K, name: str) -> None:
    other = registry.find(name)
    if other is not None and other is not record:
        raise make_error(
            W.ERROR_OBJECT_ALREADY_EXISTS,
            f"a {registry.kind} named {name!r} exists",
            fix="choose another name",
        )
    _set_db(rt, object_key_path(registry.kind, record.id), Name=name)
    registry.rename(record, name)


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
        return GroupCommonProperties, rt.group_record(obj_id)
    if kind is ObjectKind.RESOURCE:
        return ResourceCommonProperties, rt.resource_record(obj_id)
    if kind is ObjectKind.RESOURCE_TYPE:
        return ResourceTypeCommonProperties, rt.type_record(obj_id)
    raise make_error(
        W.ERROR_NOT_SUPPORTED, f"common properties of a {kind.value} are not available here"
    )


@_handles(ops.GetCommonProperties)
async def _get_common(rt: ReferenceRuntime, op: ops.GetCommonProperties) -> Mapping[str, object]:
    table, record = _common(rt, op.kind, op.id)
    return table.load(record.properties).to_dict()


@_handles(ops.SetCommonProperties)
async def _set_common(rt: ReferenceRuntime, op: ops.SetCommonProperties) -> PropertyUpdate:
    table, record = _common(rt, op.kind, op.id)
    label = f"{op.kind.value} {record.name!r}"
    checked = rules.check_common(table, record.properties, op.changes, label)
    with rules.about(label):
        written = table.apply(record.properties, checked)
    if written:
        rt.events.emit(_PROPERTY_CHANGE[op.kind], record.name, getattr(record, "id", None))
    # The monitor reads these when the resource next comes online (clusapi.md §7.10).
    deferred = (
        isinstance(record, ResourceRecord)
        and record.state is not ResourceState.OFFLINE
        and bool(_NEXT_ONLINE.intersection(written))
    )
    return PropertyUpdate(written, deferred)


@_handles(ops.OpenNotifyPort)
async def _notify(
    rt: ReferenceRuntime, op: ops.OpenNotifyPort
) -> MemoryObjectReceiveStream[Notification]:
    return rt.events.open_port(op.filter)


# -- nodes ---------------------------------------------------------------------------------


@_handles(ops.GetNodeState)
async def _node_state(rt: ReferenceRuntime, op: ops.GetNodeState) -> NodeState:
    node = rt.node_record(op.id)
    if node.state is NodeState.UP and node.paused:
        return NodeState.PAUSED
    return node.state


@_handles(ops.PauseNode)
async def _pause(rt: ReferenceRuntime, op: ops.PauseNode) -> None:
    node = rt.node_record(op.id)
    if node.state is NodeState.DOWN:
        raise make_error(
            W.ERROR_CLUSTER_NODE_DOWN,
            f"node {node.name!r} is down",
            fix="a down node cannot be paused; restart it first",
        )
    if node.paused:
        return
    node.paused = True
    node.state = NodeState.PAUSED
    rt.events.emit(ClusterChange.NODE_STATE, node.name, node.id)


@_handles(ops.ResumeNode)
async def _resume(rt: ReferenceRuntime, op: ops.ResumeNode) -> None:
    node = rt.node_record(op.id)
    if not node.paused:
        raise make_error(
            W.ERROR_CLUSTER_NODE_NOT_PAUSED,
            f"node {node.name!r} is not paused",
            fix="only a paused node can be resumed",
        )
    node.paused = False
    if node.state is NodeState.PAUSED:
        node.state = NodeState.UP
    rt.events.emit(ClusterChange.NODE_STATE, node.name, node.id)


@_handles(ops.EvictNode)
async def _evict(rt: ReferenceRuntime, op: ops.EvictNode) -> None:
    node = rt.node_record(op.id)
    last = len(rt.nodes.by_id) == 1
    if node.state is not NodeState.DOWN and not last:
        raise make_error(
            W.ERROR_CANT_EVICT_ACTIVE_NODE,
            f"node {node.name!r} is {node.state.name}",
            fix="a node can be evicted only when it is down or the last node",
        )
    if any(g.owner == node.id and g.state is not GroupState.OFFLINE for g in rt.groups):
        raise make_error(
            W.ERROR_INVALID_STATE,
            f"node {node.name!r} still owns online groups",
            fix="move its groups first",
        )
    for res in rt.resources:
        if res.possible_owners is not None:
            res.possible_owners.discard(node.id)
    rt.forget_node_exclusions(node.id)
    for group in rt.groups:
        if node.id in group.preferred:
            group.preferred.remove(node.id)
        if group.owner == node.id:
            group.owner = None
    rt.nodes.remove(node)
    rt.gone[node.id] = node.name
    rt.database.delete_tree(object_key_path("node", node.id))
    rt.events.emit(ClusterChange.NODE_DELETED, node.name, node.id)


@_handles(ops.GetNodeGroups)
async def _node_groups(rt: ReferenceRuntime, op: ops.GetNodeGroups) -> tuple[ObjectInfo, ...]:
    node = rt.node_record(op.id)
    return tuple(ObjectInfo(g.id, g.name) for g in rt.groups if g.owner == node.id)


# -- groups --------------------------------------------------------------------------------


@_handles(ops.CreateGroup)
async def _create_group(rt: ReferenceRuntime, op: ops.CreateGroup) -> ObjectInfo:
    name = check_name("group", op.name)
    if rt.groups.find(name) is not None:
        raise make_error(
            W.ERROR_OBJECT_ALREADY_EXISTS,
            f"a group named {name!r} already exists",
            fix="choose another name, or open the existing group",
        )
    group = GroupRecord(rt.new_id("group"), name)
    _set_db(rt, object_key_path("group", group.id), Name=name)
    rt.groups.add(group)
    rt.events.emit(ClusterChange.GROUP_ADDED, group.name, group.id)
    return ObjectInfo(group.id, group.name)


@_handles(ops.DeleteGroup)
async def _delete_group(rt: ReferenceRuntime, op: ops.DeleteGroup) -> None:
    group = rt.group_record(op.id)
    rules.check_empty_group(group, group.resources)
    group.deleted = True
    group.failback_generation += 1
    rt.groups.remove(group)
    rt.gone[group.id] = group.name
    rt.database.delete_tree(object_key_path("group", group.id))
    rt.events.emit(ClusterChange.GROUP_DELETED, group.name, group.id)


@_handles(ops.GetGroupState)
async def _group_state(rt: ReferenceRuntime, op: ops.GetGroupState) -> GroupStateInfo:
    group = rt.group_record(op.id)
    owner = rt.nodes.by_id.get(group.owner) if group.owner else None
    return GroupStateInfo(group.state, owner.name if owner else None)


def _idle_group(group: GroupRecord, what: str) -> None:
    if group.state is GroupState.PENDING or group.lock.locked():
        raise make_error(
            W.ERROR_INVALID_STATE,
            f"group {group.name!r} is busy (pending)",
            fix=f"wait until its current operation ends, then {what} it",
        )


@_handles(ops.OnlineGroup)
async def online_group(rt: ReferenceRuntime, op: ops.OnlineGroup) -> GroupState:
    group = rt.group_record(op.id)
    node = rt.find_node(op.node).id if op.node is not None else None
    _idle_group(group, "bring online")
    return await rt.online_group(group, node, wait=op.wait)


@_handles(ops.OfflineGroup)
async def offline_group(rt: ReferenceRuntime, op: ops.OfflineGroup) -> GroupState:
    group = rt.group_record(op.id)
    _not_quorum_offline(rt, [rt.resources.by_id[r] for r in group.resources])
    _idle_group(group, "take offline")
    return await rt.offline_group(group, wait=op.wait)


@_handles(ops.MoveGroup)
async def move_group(rt: ReferenceRuntime, op: ops.MoveGroup) -> GroupState:
    group = rt.group_record(op.id)
    node = rt.find_node(op.node).id if op.node is not None else None
    _idle_group(group, "move")
    return await rt.move_group(group, node, wait=op.wait)


@_handles(ops.SetPreferredOwners)
async def _set_preferred(rt: ReferenceRuntime, op: ops.SetPreferredOwners) -> None:
    group = rt.group_record(op.id)
    nodes = [rt.find_node(n) for n in op.nodes]
    rules.check_preferred_owners(group, [n.name for n in nodes])
    group.preferred = [n.id for n in nodes]
    rt.events.emit(ClusterChange.GROUP_PROPERTY, group.name, group.id)


@_handles(ops.GetPreferredOwners)
async def _get_preferred(
    rt: ReferenceRuntime, op: ops.GetPreferredOwners
) -> tuple[ObjectInfo, ...]:
    group = rt.group_record(op.id)
    return tuple(ObjectInfo(n, rt.nodes.by_id[n].name) for n in group.preferred)


@_handles(ops.GetGroupResources)
async def _group_resources(
    rt: ReferenceRuntime, op: ops.GetGroupResources
) -> tuple[ObjectInfo, ...]:
    group = rt.group_record(op.id)
    return tuple(ObjectInfo(r, rt.resources.by_id[r].name) for r in group.resources)


# -- resources -----------------------------------------------------------------------------


@_handles(ops.CreateResource)
async def _create_resource(rt: ReferenceRuntime, op: ops.CreateResource) -> ObjectInfo:
    group = rt.group_record(op.group)
    name = check_name("resource", op.name)
    rtype = rt.type_record(op.type_name)
    if rt.resources.find(name) is not None:
        raise make_error(
            W.ERROR_OBJECT_ALREADY_EXISTS,
            f"a resource named {name!r} already exists",
            fix="choose another name, or open the existing resource",
        )
    rules.check_separate_monitor(name, op.separate_monitor)
    res = ResourceRecord(rt.new_id("resource"), name, rtype, group.id)
    key = object_key_path("resource", res.id)
    _set_db(rt, key, Name=name, Type=rtype.name, Group=group.id)
    # Private properties live in the Parameters key: the property API and the registry API
    # read and write the same values.
    res.private = ParametersView(rt.database, key + "\\Parameters", rtype.implementation.Properties)
    if op.separate_monitor:
        res.properties["SeparateMonitor"] = True
    rt.resources.add(res)
    rtype.resources.append(res.id)
    group.resources.append(res.id)
    rt.events.emit(ClusterChange.RESOURCE_ADDED, res.name, res.id)
    rt.events.emit(ClusterChange.GROUP_PROPERTY, group.name, group.id)
    rt.refresh_group_state(group)
    return ObjectInfo(res.id, res.name)


@_handles(ops.DeleteResource)
async def _delete_resource(rt: ReferenceRuntime, op: ops.DeleteResource) -> None:
    res = rt.resource_record(op.id)
    if res.id == rt.quorum_id:
        raise make_error(
            W.ERROR_QUORUM_RESOURCE,
            f"resource {res.name!r} is the quorum resource and cannot be deleted",
            fix="make another resource the quorum resource first",
        )
    dependents = [
        dep.name
        for dep in (rt.resources.by_id[r] for r in rt.groups.by_id[res.group].resources)
        if res.id in dep.depends_on
    ]
    rules.check_deletable(res, dependents)
    res.deleted = True
    res.generation += 1
    rt.forget_resource_exclusions(res)
    for node in rt.nodes:
        host = node.hosts.pop(res.id, None)
        if host is not None:
            await host.close()
    group = rt.groups.by_id[res.group]
    group.resources.remove(res.id)
    res.type.resources.remove(res.id)
    rt.resources.remove(res)
    rt.gone[res.id] = res.name
    rt.database.delete_tree(object_key_path("resource", res.id))  # checkpoints go with it
    rt.events.emit(ClusterChange.RESOURCE_DELETED, res.name, res.id)
    rt.events.emit(ClusterChange.GROUP_PROPERTY, group.name, group.id)
    rt.refresh_group_state(group)


@_handles(ops.GetResourceState)
async def _resource_state(rt: ReferenceRuntime, op: ops.GetResourceState) -> ResourceStateInfo:
    res = rt.resource_record(op.id)
    group = rt.groups.by_id[res.group]
    owner = rt.nodes.by_id.get(group.owner) if group.owner else None
    return ResourceStateInfo(res.state, owner.name if owner else None, group.name)


@_handles(ops.OnlineResource)
async def _online_resource(rt: ReferenceRuntime, op: ops.OnlineResource) -> ResourceState:
    res = rt.resource_record(op.id)
    if res.state in _PENDING:
        raise rules.resource_busy(res)
    if res.state is ResourceState.ONLINE:
        return res.state
    group = rt.groups.by_id[res.group]
    node = rt.choose_online_node(group, None)

    async def bring_up() -> list[ResourceRecord]:
        async with group.lock:
            # Chosen again under the lock: what was true before the wait may not be now.
            target = rt.choose_online_node(group, None)
            rt.set_owner(group, target)
            res.generation += 1
            rt.set_resource_persistent(res, True)
            wanted = [res, *rt.persistent_dependents(group, res)]
            # An administrator's online: the nodes its (or its dependencies') Online ruled
            # out are tried again.
            deps = {r.id: r.depends_on for r in (rt.resources.by_id[i] for i in group.resources)}
            rt.clear_exclusions(
                [
                    *wanted,
                    *(rt.resources.by_id[d] for d in policy.transitive_dependencies(res.id, deps)),
                ]
            )
            return await rt.online_resources(group, target, wanted)

    if not op.wait:
        rt.task_group.start_soon(bring_up)
        await anyio.lowlevel.checkpoint()
        return res.state
    failed = await bring_up()
    if failed:
        raise make_error(
            W.ERROR_RESOURCE_FAILED,
            f"resource {failed[0].name!r} failed to come online on {node.name!r}",
            fix="read the cluster log for the reason",
        )
    return res.state


@_handles(ops.OfflineResource)
async def _offline_resource(rt: ReferenceRuntime, op: ops.OfflineResource) -> ResourceState:
    res = rt.resource_record(op.id)
    _not_quorum_offline(rt, [res])
    if res.state in _PENDING:
        raise rules.resource_busy(res)
    group = rt.groups.by_id[res.group]

    async def take_down() -> None:
        async with group.lock:
            res.generation += 1
            rt.set_resource_persistent(res, False)
            await rt.offline_resources(group, [res])

    if res.state is ResourceState.FAILED:
        res.generation += 1
        rt.set_resource_persistent(res, False)
        rt.set_resource_state(res, ResourceState.OFFLINE)
        return res.state
    if not op.wait:
        rt.task_group.start_soon(take_down)
        await anyio.lowlevel.checkpoint()
        return res.state
    await take_down()
    return res.state


@_handles(ops.FailResource)
async def _fail_resource(rt: ReferenceRuntime, op: ops.FailResource) -> None:
    res = rt.resource_record(op.id)
    node = rt.nodes.by_id.get(res.node) if res.node else None
    host = rules.check_can_fail(res, node.hosts.get(res.id) if node else None)
    await host.fail("FailClusterResource")


@_handles(ops.ChangeResourceGroup)
async def _change_group(rt: ReferenceRuntime, op: ops.ChangeResourceGroup) -> None:
    res = rt.resource_record(op.id)
    source = rt.groups.by_id[res.group]
    target = rt.group_record(op.group)
    if target is source:
        return
    rules.check_same_owner(source, target)
    deps = {r: rt.resources.by_id[r].depends_on for r in source.resources}
    tree = policy.dependency_closure(res.id, deps)
    for rid in [r for r in source.resources if r in tree]:
        source.resources.remove(rid)
        target.resources.append(rid)
        moved = rt.resources.by_id[rid]
        moved.group = target.id
        _set_db(rt, object_key_path("resource", rid), Group=target.id)
        rt.events.emit(ClusterChange.RESOURCE_PROPERTY, moved.name, moved.id)
    rt.events.emit(ClusterChange.GROUP_PROPERTY, source.name, source.id)
    rt.events.emit(ClusterChange.GROUP_PROPERTY, target.name, target.id)
    rt.refresh_group_state(source)
    rt.refresh_group_state(target)


@_handles(ops.AddDependency)
async def _add_dependency(rt: ReferenceRuntime, op: ops.AddDependency) -> None:
    res = rt.resource_record(op.id)
    provider = rt.resource_record(op.provider)
    if res.id == rt.quorum_id:
        raise make_error(
            W.ERROR_DEPENDENCY_NOT_ALLOWED,
            f"resource {res.name!r} is the quorum resource and may not depend on anything",
            fix="the quorum resource must come online by itself",
        )
    group = rt.groups.by_id[res.group]  # dependencies never leave a group: look only there
    rules.check_new_dependency(
        res, provider, {r: rt.resources.by_id[r].depends_on for r in group.resources}
    )
    res.depends_on.append(provider.id)
    rt.events.emit(ClusterChange.RESOURCE_PROPERTY, res.name, res.id)


@_handles(ops.RemoveDependency)
async def _remove_dependency(rt: ReferenceRuntime, op: ops.RemoveDependency) -> None:
    res = rt.resource_record(op.id)
    provider = rt.resource_record(op.provider)
    rules.check_has_dependency(res, provider, res.depends_on)
    res.depends_on.remove(provider.id)
    rt.events.emit(ClusterChange.RESOURCE_PROPERTY, res.name, res.id)


@_handles(ops.GetDependencies)
async def _dependencies(rt: ReferenceRuntime, op: ops.GetDependencies) -> tuple[ObjectInfo, ...]:
    res = rt.resource_record(op.id)
    return tuple(ObjectInfo(d, rt.resources.by_id[d].name) for d in res.depends_on)


@_handles(ops.GetDependents)
async def _dependents(rt: ReferenceRuntime, op: ops.GetDependents) -> tuple[ObjectInfo, ...]:
    res = rt.resource_record(op.id)
    group = rt.groups.by_id[res.group]
    return tuple(
        ObjectInfo(r.id, r.name)
        for r in (rt.resources.by_id[rid] for rid in group.resources)
        if res.id in r.depends_on
    )


@_handles(ops.CanBeDependent)
async def _can_be_dependent(rt: ReferenceRuntime, op: ops.CanBeDependent) -> bool:
    res = rt.resource_record(op.id)
    provider = rt.resource_record(op.provider)
    group = rt.groups.by_id[res.group]
    return policy.can_be_dependent(
        dependent=res.id,
        provider=provider.id,
        group_of={res.id: res.group, provider.id: provider.group},
        depends_on={r: rt.resources.by_id[r].depends_on for r in group.resources},
    )


def _owner_ids(rt: ReferenceRuntime, res: ResourceRecord) -> set[str]:
    """The ids of the nodes that may host ``res`` (None in its record: every node)."""
    if res.possible_owners is None:
        return {n.id for n in rt.nodes}
    return set(res.possible_owners)


@_handles(ops.AddPossibleOwner)
async def _add_owner(rt: ReferenceRuntime, op: ops.AddPossibleOwner) -> None:
    res = rt.resource_record(op.id)
    if res.id == rt.quorum_id:
        raise make_error(
            W.ERROR_INVALID_OPERATION_ON_QUORUM,
            f"the possible owners of quorum resource {res.name!r} are fixed",
            fix="make another resource the quorum resource first",
        )
    node = rt.find_node(op.node)
    owners = _owner_ids(rt, res)
    rules.check_new_possible_owner(res, node, owners)
    res.possible_owners = owners | {node.id}
    rt.events.emit(ClusterChange.RESOURCE_PROPERTY, res.name, res.id)


@_handles(ops.RemovePossibleOwner)
async def _remove_owner(rt: ReferenceRuntime, op: ops.RemovePossibleOwner) -> None:
    res = rt.resource_record(op.id)
    if res.id == rt.quorum_id:
        raise make_error(
            W.ERROR_INVALID_OPERATION_ON_QUORUM,
            f"the possible owners of quorum resource {res.name!r} are fixed",
            fix="make another resource the quorum resource first",
        )
    node = rt.find_node(op.node)
    owners = _owner_ids(rt, res)
    rules.check_possible_owner(res, node, owners)
    group = rt.groups.by_id[res.group]
    if group.owner == node.id and res.state is not ResourceState.OFFLINE:
        raise rules.resource_running_on(res, node)
    res.possible_owners = owners - {node.id}
    rt.events.emit(ClusterChange.RESOURCE_PROPERTY, res.name, res.id)


@_handles(ops.GetPossibleOwners)
async def _possible_owners(
    rt: ReferenceRuntime, op: ops.GetPossibleOwners
) -> tuple[ObjectInfo, ...]:
    res = rt.resource_record(op.id)
    return tuple(
        ObjectInfo(n.id, n.name)
        for n in rt.nodes
        if res.possible_owners is None or n.id in res.possible_owners
    )


@_handles(ops.GetPrivateProperties)
async def _get_private(rt: ReferenceRuntime, op: ops.GetPrivateProperties) -> Mapping[str, object]:
    res = rt.resource_record(op.id)
    return rules.private_values(res.type.implementation.Properties, res.private)


@_handles(ops.SetPrivateProperties)
async def _set_private(rt: ReferenceRuntime, op: ops.SetPrivateProperties) -> PropertyUpdate:
    res = rt.resource_record(op.id)
    with rules.about(f"resource {res.name!r}"):
        written = res.type.implementation.Properties.apply(res.private, op.changes)
    if written:
        rt.events.emit(ClusterChange.RESOURCE_PROPERTY, res.name, res.id)
    # A resource reads its private properties at Open and Online: while it is up, a change
    # is stored and takes effect at the next online (ERROR_RESOURCE_PROPERTIES_STORED).
    stored = bool(written) and res.state not in (ResourceState.OFFLINE, ResourceState.FAILED)
    return PropertyUpdate(written, stored)


# -- resource types ------------------------------------------------------------------------


def _load_implementation(implementation: object) -> tuple[type[Resource], str]:
    if isinstance(implementation, str) and implementation.startswith("ocf:"):
        # An OCF resource agent ("ocf:heartbeat:Dummy") becomes a resource type.
        from resapi._ocf._type import ocf_resource_type

        implementation = ocf_resource_type(implementation)
    if isinstance(implementation, str):
        module_name, sep, qualname = implementation.partition(":")
        if not sep or not module_name or not qualname:
            raise make_error(
                W.ERROR_INVALID_PARAMETER,
                f"{implementation!r} is not an import path",
                fix="write it as 'package.module:ClassName'",
            )
        try:
            obj: object = importlib.import_module(module_name)
            for part in qualname.split("."):
                obj = getattr(obj, part)
        except (ImportError, AttributeError) as exc:
            raise make_error(
                W.ERROR_INVALID_PARAMETER,
                f"cannot load resource type {implementation!r}: {exc}",
                fix="check the module and class name",
            ) from exc
        implementation = obj
    if not (isinstance(implementation, type) and issubclass(implementation, Resource)):
        raise make_error(
            W.ERROR_INVALID_PARAMETER,
            f"{implementation!r} is not a resapi.Resource subclass",
            fix="pass a subclass of resapi.Resource or its import path",
        )
    if inspect.isabstract(implementation):
        missing = ", ".join(sorted(getattr(implementation, "__abstractmethods__", ())))
        raise make_error(
            W.ERROR_INVALID_PARAMETER,
            f"resource type class {implementation.__qualname__} is abstract (missing: {missing})",
            fix="implement every required entry point",
        )
    path = f"{implementation.__module__}:{implementation.__qualname__}"
    return implementation, path


@_handles(ops.CreateResourceType)
async def _create_type(rt: ReferenceRuntime, op: ops.CreateResourceType) -> ResourceTypeInfo:
    cls, path = _load_implementation(op.implementation)
    name = check_name("resource type", cls.type_name if op.name is None else op.name)
    display_name = name if op.display_name is None else op.display_name
    if not isinstance(display_name, str):
        raise make_error(
            W.ERROR_INVALID_PARAMETER,
            f"display name of resource type {name!r} must be a str, not {display_name!r}",
            fix="pass a string, or leave it out to use the type name",
        )
    rules.check_text(f"display name of resource type {name!r}", display_name)
    if name.casefold() in rt.types:
        raise make_error(
            W.ERROR_OBJECT_ALREADY_EXISTS,
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
    _set_db(rt, object_key_path("resource type", name), Name=name, DllName=path)
    rt.types[name.casefold()] = record
    rt.events.emit(ClusterChange.RESOURCE_TYPE_ADDED, name)
    return _type_info(record)


def _type_info(record: TypeRecord) -> ResourceTypeInfo:
    return ResourceTypeInfo(
        record.name,
        record.display_name,
        record.implementation_path,
        int(record.properties["LooksAlivePollInterval"]),  # type: ignore[call-overload]
        int(record.properties["IsAlivePollInterval"]),  # type: ignore[call-overload]
    )


@_handles(ops.DeleteResourceType)
async def _delete_type(rt: ReferenceRuntime, op: ops.DeleteResourceType) -> None:
    record = rt.type_record(op.name)
    if record.resources:
        raise make_error(
            W.ERROR_DIR_NOT_EMPTY,
            f"resource type {record.name!r} is used by {len(record.resources)} resource(s)",
            fix="delete those resources first",
        )
    del rt.types[record.name.casefold()]
    rt.database.delete_tree(object_key_path("resource type", record.name))
    rt.events.emit(ClusterChange.RESOURCE_TYPE_DELETED, record.name)


@_handles(ops.GetResourceTypeInfo)
async def _type_get(rt: ReferenceRuntime, op: ops.GetResourceTypeInfo) -> ResourceTypeInfo:
    return _type_info(rt.type_record(op.name))


@_handles(ops.GetTypeResources)
async def _type_resources(rt: ReferenceRuntime, op: ops.GetTypeResources) -> tuple[ObjectInfo, ...]:
    record = rt.type_record(op.name)
    return tuple(ObjectInfo(r, rt.resources.by_id[r].name) for r in record.resources)


def _not_quorum_offline(rt: ReferenceRuntime, resources: list[ResourceRecord]) -> None:
    for res in resources:
        if res.id == rt.quorum_id:
            raise make_error(
                W.ERROR_INVALID_OPERATION_ON_QUORUM,
                f"resource {res.name!r} is the quorum resource and cannot be taken offline",
                fix="move its group to another node instead",
            )


# -- quorum --------------------------------------------------------------------------------


@_handles(ops.GetQuorumResource)
async def _get_quorum(rt: ReferenceRuntime, op: ops.GetQuorumResource) -> ObjectInfo | None:
    res = rt.resources.by_id.get(rt.quorum_id) if rt.quorum_id else None
    return None if res is None else ObjectInfo(res.id, res.name)


@_handles(ops.SetQuorumResource)
async def _set_quorum(rt: ReferenceRuntime, op: ops.SetQuorumResource) -> None:
    res = rt.resource_record(op.id)
    cls = res.type.implementation
    if not cls.type_characteristics() & Characteristics.QUORUM:
        raise make_error(
            W.ERROR_NOT_QUORUM_CAPABLE,
            f"resource {res.name!r} of type {res.type.name!r} is not quorum-capable",
            fix="use a type that implements arbitrate() and release()",
        )
    if cls.resource_class is not ResourceClass.STORAGE:
        raise make_error(
            W.ERROR_NOT_QUORUM_CLASS,
            f"resource {res.name!r} of type {res.type.name!r} is of class "
            f"{cls.resource_class.name}, not STORAGE",
            fix="the quorum resource must be a storage-class resource",
        )
    if res.depends_on:
        raise make_error(
            W.ERROR_DEPENDENCY_NOT_ALLOWED,
            f"resource {res.name!r} depends on other resources; the quorum resource may not",
            fix="remove its dependencies first",
        )
    if rt.quorum_id == res.id:
        return
    old = rt.resources.by_id.get(rt.quorum_id) if rt.quorum_id else None
    if old is not None and rt.quorum_holder is not None:
        await rt.release(old, rt.nodes.by_id[rt.quorum_holder])
    rt.quorum_id = res.id
    rt.quorum_holder = None
    node = rt.nodes.by_id.get(res.node) if res.node else None
    if node is not None and res.state is ResourceState.ONLINE:
        await rt.arbitrate(res, node)  # it runs there already: that node takes the device
    rt.log(LogLevel.INFORMATION, "quorum", f"quorum resource is now {res.name!r}")
    rt.events.emit(ClusterChange.CLUSTER_PROPERTY, rt.cluster_name)


def _set_db(rt: ReferenceRuntime, key: str, **values: str) -> None:
    """Keep an object's key in the cluster database in step with the object.

    Called before the object model changes, and every value is built (checked) before the key
    is touched: a value the database refuses leaves both as they were.
    """
    typed = {name: RegValue.from_python(value, name=name) for name, value in values.items()}
    rt.database.create_key(key)
    for name, value in typed.items():
        rt.database.set_value(key, name, value)
