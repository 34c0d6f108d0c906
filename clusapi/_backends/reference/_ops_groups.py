"""The reference runtime's answers to the group operations of the Backend seam."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from clusapi import _operations as ops, _rules as rules
from clusapi._enums import (
    ClusterChange,
    GroupState,
)
from clusapi._errors import make_error
from clusapi._values import (
    GroupStateInfo,
    ObjectInfo,
)
from clusapi._win32 import Win32Error

from ._model import GroupRecord
from ._names import check_name, object_key_path
from ._ops_cluster import not_quorum_offline

if TYPE_CHECKING:
    from collections.abc import Mapping

    from clusapi._backend import Operation

    from ._dispatch import Handler
    from ._runtime import ReferenceRuntime

__all__ = ("HANDLERS",)


# -- groups --------------------------------------------------------------------------------


async def _create_group(rt: ReferenceRuntime, op: ops.CreateGroup) -> ObjectInfo:
    name = check_name("group", op.name)
    if rt.state.groups.find(name) is not None:
        raise make_error(
            Win32Error.ERROR_OBJECT_ALREADY_EXISTS,
            f"a group named {name!r} already exists",
            fix="choose another name, or open the existing group",
        )
    # MS-CMRP ApiCreateGroup: the new group "is hosted on the node to which the current RPC
    # connection was made". Its owner is set before anyone hears of it, so the GROUP_ADDED
    # event already shows it and no owner change follows before its first online.
    group = GroupRecord(rt.state.new_id("group"), name, owner=rt.connected_node().id)
    rt.state.set_db(object_key_path("group", group.id), Name=name)
    rt.state.add(rt.state.groups, group, ClusterChange.GROUP_ADDED)
    return ObjectInfo(group.id, group.name)


async def _delete_group(rt: ReferenceRuntime, op: ops.DeleteGroup) -> None:
    group = rt.state.group_record(op.id)
    rules.check_empty_group(group, group.resources)
    rt.state.mark_deleted(group)
    group.failback_generation += 1
    rt.state.remove(rt.state.groups, group, ClusterChange.GROUP_DELETED)


async def _group_state(rt: ReferenceRuntime, op: ops.GetGroupState) -> GroupStateInfo:
    group = rt.state.group_record(op.id)
    owner = rt.state.nodes.by_id.get(group.owner) if group.owner else None
    return GroupStateInfo(group.state, owner.name if owner else None)


def _idle_group(group: GroupRecord, what: str) -> None:
    if group.state is GroupState.PENDING or group.lock.locked():
        raise make_error(
            Win32Error.ERROR_INVALID_STATE,
            f"group {group.name!r} is busy (pending)",
            fix=f"wait until its current operation ends, then {what} it",
        )


def _group_and_node(
    rt: ReferenceRuntime, op: ops.OnlineGroup | ops.MoveGroup, what: str
) -> tuple[GroupRecord, str | None]:
    """The idle group of ``op`` and the id of the node it names (None: the best one)."""
    group = rt.state.group_record(op.id)
    node = rt.state.find_node(op.node).id if op.node is not None else None
    _idle_group(group, what)
    return group, node


async def _online_group(rt: ReferenceRuntime, op: ops.OnlineGroup) -> GroupState:
    group, node = _group_and_node(rt, op, "bring online")
    return await rt.failover.online_group(group, node, wait=op.wait)


async def _offline_group(rt: ReferenceRuntime, op: ops.OfflineGroup) -> GroupState:
    group = rt.state.group_record(op.id)
    not_quorum_offline(rt, [rt.state.resources.by_id[r] for r in group.resources])
    _idle_group(group, "take offline")
    return await rt.failover.offline_group(group, wait=op.wait)


async def _move_group(rt: ReferenceRuntime, op: ops.MoveGroup) -> GroupState:
    group, node = _group_and_node(rt, op, "move")
    return await rt.failover.move_group(group, node, wait=op.wait)


async def _set_preferred(rt: ReferenceRuntime, op: ops.SetPreferredOwners) -> None:
    group = rt.state.group_record(op.id)
    nodes = [rt.state.find_node(n) for n in op.nodes]
    rules.check_preferred_owners(group, [n.name for n in nodes])
    rt.state.set_preferred(group, [n.id for n in nodes])
    rt.state.events.emit(ClusterChange.GROUP_PROPERTY, group.name, group.id)


async def _get_preferred(
    rt: ReferenceRuntime, op: ops.GetPreferredOwners
) -> tuple[ObjectInfo, ...]:
    group = rt.state.group_record(op.id)
    return tuple(ObjectInfo(n, rt.state.nodes.by_id[n].name) for n in group.preferred)


async def _group_resources(
    rt: ReferenceRuntime, op: ops.GetGroupResources
) -> tuple[ObjectInfo, ...]:
    group = rt.state.group_record(op.id)
    return tuple(ObjectInfo(r, rt.state.resources.by_id[r].name) for r in group.resources)


#: The operations this module answers, and how (merged by ``_dispatch``).
HANDLERS: Final[Mapping[type[Operation[Any]], Handler]] = {
    ops.CreateGroup: _create_group,
    ops.DeleteGroup: _delete_group,
    ops.GetGroupState: _group_state,
    ops.OnlineGroup: _online_group,
    ops.OfflineGroup: _offline_group,
    ops.MoveGroup: _move_group,
    ops.SetPreferredOwners: _set_preferred,
    ops.GetPreferredOwners: _get_preferred,
    ops.GetGroupResources: _group_resources,
}
