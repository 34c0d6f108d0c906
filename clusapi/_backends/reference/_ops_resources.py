"""The reference runtime's answers to the resource operations of the Backend seam."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from clusapi import _operations as ops, _policy as policy, _rules as rules
from clusapi._controlcode import ControlCode
from clusapi._core._start import start_first_step
from clusapi._enums import (
    ClusterChange,
    LogLevel,
    ResourceState,
)
from clusapi._errors import ClusterError, PropertyError, make_error
from clusapi._proplist import PropertyList
from clusapi._values import (
    ObjectInfo,
    PropertyUpdate,
    ResourceStateInfo,
)
from clusapi._win32 import Win32Error
from resapi._resource import Resource

from ._model import ResourceRecord
from ._names import check_name, object_key_path
from ._ops_cluster import not_quorum, not_quorum_offline
from ._parameters import ParametersView
from ._props import effective
from ._reasons import failure_reasons

if TYPE_CHECKING:
    from collections.abc import Mapping

    from clusapi._backend import Operation
    from resapi._monitor._host import InstanceHost

    from ._dispatch import Handler
    from ._runtime import ReferenceRuntime

__all__ = ("HANDLERS", "set_private", "validate_private")

_PENDING = frozenset(
    {ResourceState.ONLINE_PENDING, ResourceState.OFFLINE_PENDING, ResourceState.PENDING}
)


# -- resources -----------------------------------------------------------------------------


async def _create_resource(rt: ReferenceRuntime, op: ops.CreateResource) -> ObjectInfo:
    group = rt.state.group_record(op.group)
    name = check_name("resource", op.name)
    rtype = rt.state.type_record(op.type_name)
    if rt.state.resources.find(name) is not None:
        raise make_error(
            Win32Error.ERROR_OBJECT_ALREADY_EXISTS,
            f"a resource named {name!r} already exists",
            fix="choose another name, or open the existing resource",
        )
    rules.check_separate_monitor(name, op.separate_monitor)
    rid = rt.state.new_id("resource")
    key = object_key_path("resource", rid)
    rt.state.set_db(key, Name=name, Type=rtype.name, Group=group.id)
    res = ResourceRecord(
        rid,
        name,
        rtype,
        group.id,
        properties={"SeparateMonitor": True} if op.separate_monitor else {},
        # Private properties live in the Parameters key: the property API and the registry
        # API read and write the same values.
        private=ParametersView(
            rt.state.database, key + "\\Parameters", rtype.implementation.Properties
        ),
    )
    rt.state.join_group(res, group)
    rt.state.add(rt.state.resources, res, ClusterChange.RESOURCE_ADDED)
    rt.state.events.emit(ClusterChange.GROUP_PROPERTY, group.name, group.id)
    rt.state.refresh_group_state(group)
    return ObjectInfo(res.id, res.name)


async def _delete_resource(rt: ReferenceRuntime, op: ops.DeleteResource) -> None:
    res = rt.state.resource_record(op.id)
    not_quorum(
        rt,
        [res],
        Win32Error.ERROR_QUORUM_RESOURCE,
        "cannot be deleted",
        "make another resource the quorum resource first",
    )
    dependents = [
        dep.name
        for dep in (rt.state.resources.by_id[r] for r in rt.state.groups.by_id[res.group].resources)
        if res.id in dep.depends_on
    ]
    rules.check_deletable(res, dependents)
    rt.state.mark_deleted(res)
    res.generation += 1
    rt.failover.forget_resource_exclusions(res)
    for node in rt.state.nodes:
        host = node.hosts.pop(res.id, None)
        if host is not None:
            await host.close()
    group = rt.state.groups.by_id[res.group]
    rt.state.leave_group(res, group)
    rt.state.remove(rt.state.resources, res, ClusterChange.RESOURCE_DELETED)  # checkpoints too
    rt.state.events.emit(ClusterChange.GROUP_PROPERTY, group.name, group.id)
    rt.state.refresh_group_state(group)


async def _resource_state(rt: ReferenceRuntime, op: ops.GetResourceState) -> ResourceStateInfo:
    state = rt.state  # a hot path (resource.state() polls): one attribute lookup
    res = state.resource_record(op.id)
    group = state.groups.by_id[res.group]
    owner = state.nodes.by_id.get(group.owner) if group.owner else None
    return ResourceStateInfo(res.state, owner.name if owner else None, group.name)


async def _type_name(rt: ReferenceRuntime, op: ops.GetResourceTypeName) -> str:
    return rt.state.resource_record(op.id).type.name


async def _online_resource(rt: ReferenceRuntime, op: ops.OnlineResource) -> ResourceState:
    res = rt.state.resource_record(op.id)
    if res.state in _PENDING:
        raise rules.resource_busy(res)
    if res.state is ResourceState.ONLINE:
        return res.state
    group = rt.state.groups.by_id[res.group]
    deps = {r.id: r.depends_on for r in rt.state.group_resources(group)}
    rt.failover.check_required(
        [
            rt.state.resources.by_id[i]
            for i in (res.id, *policy.transitive_dependencies(res.id, deps))
        ]
    )
    rt.failover.choose_online_node(group, None)  # refused now, before the lock

    async def bring_up() -> list[ResourceRecord]:
        async with group.lock:
            # Chosen again under the lock: what was true before the wait may not be now.
            target = rt.failover.choose_online_node(group, None)
            rt.state.set_owner(group, target)
            res.generation += 1
            rt.state.set_resource_persistent(res, True)
            wanted = [res, *rt.failover.persistent_dependents(group, res)]
            # An administrator's online: the nodes its (or its dependencies') Online ruled
            # out are tried again.
            deps = {
                r.id: r.depends_on for r in (rt.state.resources.by_id[i] for i in group.resources)
            }
            rt.failover.clear_exclusions(
                [
                    *wanted,
                    *(
                        rt.state.resources.by_id[d]
                        for d in policy.transitive_dependencies(res.id, deps)
                    ),
                ]
            )
            return await rt.failover.online_resources(group, target, wanted)

    if not op.wait:
        await start_first_step(rt.state.task_group, bring_up)
        return res.state
    since = len(rt.state.cluster_log)
    failed = await bring_up()
    if failed:
        raise rules.online_failed(
            f"resource {res.name!r} did not come online",
            failure_reasons(rt.state, failed, since),
            fix="fix the cause and bring it online again",
        )
    return res.state


async def _offline_resource(rt: ReferenceRuntime, op: ops.OfflineResource) -> ResourceState:
    res = rt.state.resource_record(op.id)
    not_quorum_offline(rt, [res])
    if res.state in _PENDING:
        raise rules.resource_busy(res)
    group = rt.state.groups.by_id[res.group]

    async def take_down() -> None:
        async with group.lock:
            res.generation += 1
            rt.state.set_resource_persistent(res, False)
            await rt.failover.offline_resources(group, [res])

    if res.state is ResourceState.FAILED:
        res.generation += 1
        rt.state.set_resource_persistent(res, False)
        rt.state.set_resource_state(res, ResourceState.OFFLINE)
        return res.state
    if not op.wait:
        await start_first_step(rt.state.task_group, take_down)
        return res.state
    await take_down()
    return res.state


async def _fail_resource(rt: ReferenceRuntime, op: ops.FailResource) -> None:
    res = rt.state.resource_record(op.id)
    node = rt.state.nodes.by_id.get(res.node) if res.node else None
    host = rules.check_can_fail(res, node.hosts.get(res.id) if node else None)
    await host.fail("FailClusterResource")


async def _change_group(rt: ReferenceRuntime, op: ops.ChangeResourceGroup) -> None:
    res = rt.state.resource_record(op.id)
    source = rt.state.groups.by_id[res.group]
    target = rt.state.group_record(op.group)
    if target is source:
        return
    rules.check_same_owner(source, target)
    deps = {r: rt.state.resources.by_id[r].depends_on for r in source.resources}
    tree = policy.dependency_closure(res.id, deps)
    for rid in [r for r in source.resources if r in tree]:
        moved = rt.state.resources.by_id[rid]
        rt.state.change_group(moved, source, target)
        rt.state.set_db(object_key_path("resource", rid), Group=target.id)
        rt.state.events.emit(ClusterChange.RESOURCE_PROPERTY, moved.name, moved.id)
    rt.state.events.emit(ClusterChange.GROUP_PROPERTY, source.name, source.id)
    rt.state.events.emit(ClusterChange.GROUP_PROPERTY, target.name, target.id)
    rt.state.refresh_group_state(source)
    rt.state.refresh_group_state(target)


async def _add_dependency(rt: ReferenceRuntime, op: ops.AddDependency) -> None:
    res = rt.state.resource_record(op.id)
    provider = rt.state.resource_record(op.provider)
    not_quorum(
        rt,
        [res],
        Win32Error.ERROR_DEPENDENCY_NOT_ALLOWED,
        "may not depend on anything",
        "the quorum resource must come online by itself",
    )
    group = rt.state.groups.by_id[res.group]  # dependencies never leave a group: look only there
    rules.check_new_dependency(
        res, provider, {r: rt.state.resources.by_id[r].depends_on for r in group.resources}
    )
    rt.state.add_dependency(res, provider)
    rt.state.events.emit(ClusterChange.RESOURCE_PROPERTY, res.name, res.id)


async def _remove_dependency(rt: ReferenceRuntime, op: ops.RemoveDependency) -> None:
    res = rt.state.resource_record(op.id)
    provider = rt.state.resource_record(op.provider)
    rules.check_has_dependency(res, provider, res.depends_on)
    rt.state.remove_dependency(res, provider)
    rt.state.events.emit(ClusterChange.RESOURCE_PROPERTY, res.name, res.id)


async def _dependencies(rt: ReferenceRuntime, op: ops.GetDependencies) -> tuple[ObjectInfo, ...]:
    res = rt.state.resource_record(op.id)
    return tuple(ObjectInfo(d, rt.state.resources.by_id[d].name) for d in res.depends_on)


async def _dependents(rt: ReferenceRuntime, op: ops.GetDependents) -> tuple[ObjectInfo, ...]:
    res = rt.state.resource_record(op.id)
    group = rt.state.groups.by_id[res.group]
    return tuple(
        ObjectInfo(r.id, r.name)
        for r in (rt.state.resources.by_id[rid] for rid in group.resources)
        if res.id in r.depends_on
    )


async def _can_be_dependent(rt: ReferenceRuntime, op: ops.CanBeDependent) -> bool:
    res = rt.state.resource_record(op.id)
    provider = rt.state.resource_record(op.provider)
    group = rt.state.groups.by_id[res.group]
    return policy.can_be_dependent(
        dependent=res.id,
        provider=provider.id,
        group_of={res.id: res.group, provider.id: provider.group},
        depends_on={r: rt.state.resources.by_id[r].depends_on for r in group.resources},
    )


def _owner_ids(rt: ReferenceRuntime, res: ResourceRecord) -> set[str]:
    """The ids of the nodes that may host ``res`` (None in its record: every node)."""
    if res.possible_owners is None:
        return {n.id for n in rt.state.nodes}
    return set(res.possible_owners)


def _owners_changeable(rt: ReferenceRuntime, resource_id: str) -> ResourceRecord:
    """The resource whose possible owners are to change: not the quorum resource's."""
    res = rt.state.resource_record(resource_id)
    if res.id == rt.membership.quorum_id:
        raise make_error(
            Win32Error.ERROR_INVALID_OPERATION_ON_QUORUM,
            f"the possible owners of quorum resource {res.name!r} are fixed",
            fix="make another resource the quorum resource first",
        )
    return res


async def _add_owner(rt: ReferenceRuntime, op: ops.AddPossibleOwner) -> None:
    res = _owners_changeable(rt, op.id)
    node = rt.state.find_node(op.node)
    owners = _owner_ids(rt, res)
    rules.check_new_possible_owner(res, node, owners)
    rt.state.set_possible_owners(res, owners | {node.id})
    rt.state.events.emit(ClusterChange.RESOURCE_PROPERTY, res.name, res.id)


async def _remove_owner(rt: ReferenceRuntime, op: ops.RemovePossibleOwner) -> None:
    res = _owners_changeable(rt, op.id)
    node = rt.state.find_node(op.node)
    owners = _owner_ids(rt, res)
    rules.check_possible_owner(res, node, owners)
    group = rt.state.groups.by_id[res.group]
    if group.owner == node.id and res.state is not ResourceState.OFFLINE:
        raise rules.resource_running_on(res, node)
    rt.state.set_possible_owners(res, owners - {node.id})
    rt.state.events.emit(ClusterChange.RESOURCE_PROPERTY, res.name, res.id)


async def _possible_owners(
    rt: ReferenceRuntime, op: ops.GetPossibleOwners
) -> tuple[ObjectInfo, ...]:
    res = rt.state.resource_record(op.id)
    return tuple(
        ObjectInfo(n.id, n.name)
        for n in rt.state.nodes
        if res.possible_owners is None or n.id in res.possible_owners
    )


async def _get_private(rt: ReferenceRuntime, op: ops.GetPrivateProperties) -> Mapping[str, object]:
    res = rt.state.resource_record(op.id)
    return rules.private_values(res.type.implementation.Properties, res.private)


async def set_private(rt: ReferenceRuntime, op: ops.SetPrivateProperties) -> PropertyUpdate:
    """SET_PRIVATE_PROPERTIES, by the Cluster API or a control code: checked by the table,
    then offered to the type's ``control()`` (VALIDATE, then SET), all before anything is
    stored; a refusal stores nothing and sends no event."""
    res = rt.state.resource_record(op.id)
    checked = _table_check(res, op.changes)
    dll_stored = await _through_dll(rt, res, _VALIDATE_AND_SET, checked)
    table = res.type.implementation.Properties
    with rules.about(f"resource {res.name!r}", table=table, type_name=res.type.name):
        written = table.apply(res.private, checked)
    if written:
        rt.state.events.emit(ClusterChange.RESOURCE_PROPERTY, res.name, res.id, properties=written)
    # A resource reads its private properties at Open and Online: while it is up, a change
    # is stored and takes effect at the next online (ERROR_RESOURCE_PROPERTIES_STORED).
    up = res.state not in (ResourceState.OFFLINE, ResourceState.FAILED)
    return PropertyUpdate(written, dll_stored or (bool(written) and up))


async def validate_private(
    rt: ReferenceRuntime, res: ResourceRecord, changes: Mapping[str, object]
) -> dict[str, object]:
    """VALIDATE_PRIVATE_PROPERTIES: the table's checks (format and range, ``validate=``, the
    whole-table ``validate()`` over the merged values), then the type's ``control()``."""
    checked = _table_check(res, changes)
    await _through_dll(rt, res, _VALIDATE, checked)
    return checked


def _table_check(res: ResourceRecord, changes: Mapping[str, object]) -> dict[str, object]:
    table = res.type.implementation.Properties
    with rules.about(f"resource {res.name!r}", table=table, type_name=res.type.name):
        return dict(table.validate_change(res.private, changes))


_VALIDATE: Final = (ControlCode.RESOURCE_VALIDATE_PRIVATE_PROPERTIES,)
_VALIDATE_AND_SET: Final = (*_VALIDATE, ControlCode.RESOURCE_SET_PRIVATE_PROPERTIES)


async def _through_dll(
    rt: ReferenceRuntime,
    res: ResourceRecord,
    codes: tuple[ControlCode, ...],
    changes: Mapping[str, object],
) -> bool:
    """Offer a property change to the type's ``control()`` as the Resource Monitor does (each
    of ``codes`` in turn), even while the resource is offline: to its open instance, else to
    one opened for the call on the node that would host it (and closed after). Only for types
    that override ``control()`` (ported DLL code); the others have nothing to say.

    Returns whether the DLL said the change takes effect at the next online
    (ERROR_RESOURCE_PROPERTIES_STORED).

    Raises:
        ClusterError: what ``control()`` raised (not ERROR_INVALID_FUNCTION: default
            processing), naming the resource.
    """
    impl = res.type.implementation
    if impl.control is Resource.control:
        return False
    data = PropertyList.from_values(changes, impl.Properties.formats()).to_bytes()
    host, opened = _host_for_control(rt, res)
    if host is None:
        return False
    stored = False
    try:
        if opened and not await _opened(rt, res, host):
            return False
        for code in codes:
            stored = await _offer(res, host, code, data) or stored
    finally:
        if opened:
            await host.close()
    return stored


async def _offer(res: ResourceRecord, host: InstanceHost, code: ControlCode, data: bytes) -> bool:
    """One code to ``control()``; True for ERROR_RESOURCE_PROPERTIES_STORED."""
    try:
        await host.control(code, data)
    except ClusterError as exc:
        if exc.winerror == Win32Error.ERROR_INVALID_FUNCTION:
            return False  # "do the default processing": the table's checks were that
        if exc.winerror == Win32Error.ERROR_RESOURCE_PROPERTIES_STORED:
            return True
        if isinstance(exc, PropertyError):
            with rules.about(f"resource {res.name!r}"):
                raise
        raise make_error(
            exc.winerror,
            f"resource {res.name!r} refused the change: {exc.description}",
            fix=exc.fix,
        ) from None
    return False


async def _opened(rt: ReferenceRuntime, res: ResourceRecord, host: InstanceHost) -> bool:
    """Open an instance for a property change. One whose Open fails (it may need the very
    properties being set) does not block the change: the table's checks stand, and the cluster
    log says the type's own were skipped."""
    try:
        await host.open()
    except ClusterError as exc:
        rt.state.log(
            LogLevel.WARNING,
            f"resource {res.name}",
            f"the property change was not offered to control(): Open failed ({exc})",
        )
        return False
    return True


def _host_for_control(
    rt: ReferenceRuntime, res: ResourceRecord
) -> tuple[InstanceHost | None, bool]:
    """The open instance of ``res``, or a new one (to open, and close after) on the node that
    would host it: its group's owner, else the first node up that may own it."""
    for node in rt.state.nodes:
        host = node.hosts.get(res.id)
        if node.alive and host is not None and host.state is not ResourceState.INITIALIZING:
            return host, False
    owner = rt.state.groups.by_id[res.group].owner
    candidates = [n for n in rt.state.nodes if n.id == owner] + [
        n for n in rt.state.nodes if res.possible_owners is None or n.id in res.possible_owners
    ]
    for node in candidates:
        if not node.alive or node.task_group is None or res.id in node.hosts:
            continue
        host = rt.monitors.host_for(res, node, effective(res, "PendingTimeout") / 1000)
        # Taken out of node.hosts at once (no await between): an online meanwhile makes its
        # own instance, and this one stays private to the call.
        del node.hosts[res.id]
        return host, True
    return None, False


#: The operations this module answers, and how (merged by ``_dispatch``).
HANDLERS: Final[Mapping[type[Operation[Any]], Handler]] = {
    ops.CreateResource: _create_resource,
    ops.DeleteResource: _delete_resource,
    ops.GetResourceState: _resource_state,
    ops.GetResourceTypeName: _type_name,
    ops.OnlineResource: _online_resource,
    ops.OfflineResource: _offline_resource,
    ops.FailResource: _fail_resource,
    ops.ChangeResourceGroup: _change_group,
    ops.AddDependency: _add_dependency,
    ops.RemoveDependency: _remove_dependency,
    ops.GetDependencies: _dependencies,
    ops.GetDependents: _dependents,
    ops.CanBeDependent: _can_be_dependent,
    ops.AddPossibleOwner: _add_owner,
    ops.RemovePossibleOwner: _remove_owner,
    ops.GetPossibleOwners: _possible_owners,
    ops.GetPrivateProperties: _get_private,
    ops.SetPrivateProperties: set_private,
}
