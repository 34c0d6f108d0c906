"""Groups on Pacemaker, as PacemakerBackend handlers: create and delete, online, offline,
move (the temporary constraint always cleared), preferred owners."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clusapi import _operations as ops, _rules as rules
from clusapi._enums import GroupState, ResourceState
from clusapi._errors import ClusterError, make_error
from clusapi._values import GroupStateInfo, ObjectInfo
from clusapi._win32 import Win32Error

from . import _mapping as mapping
from ._checks import check_host, check_idle, check_new_name, no_host, node_named
from ._cib import CREATED_ON_META

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from ._cib import ClusterView, GroupView, NodeView
    from ._session import Session

__all__ = (
    "check_required",
    "create_group",
    "first_home",
    "delete_group",
    "get_preferred",
    "group_resources",
    "group_state",
    "move_group",
    "offline_group",
    "online_group",
    "set_preferred",
)


async def create_group(session: Session, op: ops.CreateGroup) -> ObjectInfo:
    local = await session.local_node()
    async with session.editing() as (view, edit):
        name = check_new_name(view, "group", op.name)
        group = edit.add_group(name)
        # MSCS's default is PREVENT_FAILBACK: stay where it runs.
        edit.set_nvpair(
            group, "meta_attributes", "resource-stickiness", str(mapping.PREVENT_STICKINESS)
        )
        if local is not None and view.node_by_name(local) is not None:
            # MS-CMRP ApiCreateGroup: hosted on the node the connection is made to. Written
            # with the group, so the first look at it (a notify port's too) shows that owner
            # until it runs somewhere; its first online goes there (first_home).
            edit.set_nvpair(group, "meta_attributes", CREATED_ON_META, local)
    return ObjectInfo(name, name)


async def delete_group(session: Session, op: ops.DeleteGroup) -> None:
    async with session.editing() as (view, edit):
        group = view.group(op.id)
        rules.check_empty_group(group, group.members)
        edit.remove(edit.element("group", group.id))
        edit.remove_references(group.id)
        if group.placeholder:
            edit.remove_references(group.placeholder)


async def group_state(session: Session, op: ops.GetGroupState) -> GroupStateInfo:
    group = (await session.current()).group(op.id)
    return GroupStateInfo(group.state, group.owner)


def _group_and_node(
    view: ClusterView, op: ops.OnlineGroup | ops.MoveGroup
) -> tuple[GroupView, NodeView | None]:
    """The group of ``op`` and the node it names (None: wherever Pacemaker chooses)."""
    return view.group(op.id), node_named(view, op.node) if op.node is not None else None


def first_home(view: ClusterView, group: GroupView) -> NodeView | None:
    """Where the first online of a group (or of a resource in it) with no node named goes:
    the node it was created through, while it has never run, has no preferred owners (those
    place it, as on the reference runtime) and that node can host it; else None (Pacemaker
    chooses)."""
    created_on = group.meta.get(CREATED_ON_META)
    if created_on is None or view.preferred_owners(group.id):
        return None
    if any(view.primitives[m].last_node for m in group.members):
        return None  # it ran: Pacemaker places it by its own rules (documented difference)
    node = view.node_by_name(created_on)
    if node is None or not view.can_host(node, group.members, group.id, failures=False):
        return None
    return node


async def check_required(session: Session, view: ClusterView, members: Sequence[str]) -> None:
    """Refuse an online while one of ``members`` lacks a direct dependency on a type its
    agent's meta-data requires (a resapi type's ``required_dependencies``, written in its
    ``<special tag="resapi">``; other agents require none): the
    reference runtime's rule and message. Nothing starts.

    Raises:
        DependencyError: ERROR_DEPENDENCY_NOT_FOUND naming the missing type.
    """
    for rid in members:
        prim = view.primitives[rid]
        try:
            required = (await session.agents.info(prim.agent)).meta.required_dependencies
        except ClusterError:
            continue  # an agent that does not answer: its start reports that
        have = {view.primitives[p].agent for p in view.depends_on(rid)}
        missing = []
        for name in required:
            try:
                agent: str | None = await session.agents.resolve(name)
            except ClusterError:
                agent = None  # not installed: nothing can be of that type
            if agent not in have:
                missing.append(name)
        rules.check_required_dependencies(prim, prim.agent, missing)


def _states(view: ClusterView, group: GroupView) -> list[ResourceState]:
    return [view.primitives[m].state for m in group.members]


def _going(view: ClusterView, group_id: str) -> GroupView | str:
    """The group now, while a wait for it to come online somewhere may still succeed; else
    why it cannot: the group was deleted, or a member failed."""
    current = view.groups.get(group_id)
    if current is None:
        return "the group was deleted"
    failure = view.failure(current.members)
    return failure + view.failure_detail(current.members) if failure else current


def _came_online(group_id: str, node: NodeView | None) -> Callable[[ClusterView], bool | str]:
    """The check of a wait for ``group_id`` to come online (on ``node``, if named)."""

    def online(view: ClusterView) -> bool | str:
        current = _going(view, group_id)
        if isinstance(current, str):
            return current
        states = _states(view, current)
        if all(s is ResourceState.ONLINE for s in states):
            if node is None or current.owner == node.name:
                return True
            return f"it came online on {current.owner!r}, not {node.name!r}"
        if ResourceState.OFFLINE in states:
            detail = view.failure_detail(current.members)
            return f"no node can run all of its resources{detail}"
        return False

    return online


def _heading_online(view: ClusterView, group: GroupView, node: NodeView | None) -> bool:
    """Whether Pacemaker is already bringing ``group`` online (on ``node``, if named): its
    members are wanted running, some are starting and none is stopping, as right after a
    resume. An online then waits for that rather than refusing a busy group."""
    members = [view.primitives[m] for m in group.members]
    if not members or not all(p.wants_to_run for p in members):
        return False
    roles = {p.role for p in members if p.in_transition}
    if roles != {"Starting"}:
        return False
    return node is None or group.owner in (None, node.name)


async def online_group(session: Session, op: ops.OnlineGroup) -> GroupState:
    async with session.locked() as view:
        group, node = _group_and_node(view, op)
        # Heading online by the cluster's own doing (a resume) is waited for; an online of
        # this connection still under way is pending, and refused below as MSCS does.
        if session.runs and _heading_online(view, group, node) and not session.placing(group.id):
            if not op.wait:
                return group.state
            what = f"group {group.id!r} did not come online"
            await session.wait(what, _came_online(group.id, node))
            return GroupState.ONLINE
        check_idle(view, group, "bring it online")
        running_on = group.owner if any(view.primitives[m].nodes for m in group.members) else None
        if node is None and session.runs:
            node = first_home(view, group)
        if node is not None and running_on is not None and running_on != node.name:
            raise make_error(
                Win32Error.ERROR_INVALID_STATE,
                f"group {group.id!r} is running on {running_on!r}; it cannot come online on "
                f"{node.name!r} too",
                fix="move the group there instead",
            )
        if not group.members:
            if node is not None:
                check_host(view, group, node)
            return group.state
        await check_required(session, view, group.members)
        if session.runs:  # an online clears the fail counts first: they bar no node here
            if node is not None:
                check_host(view, group, node, failures=False)
            elif running_on is None:
                no_host(view, group, failures=False)
        await session.cleanup([view.primitives[m] for m in group.members])
        placed = node is not None and running_on is None and session.runs
        if placed:
            assert node is not None
            await session.place(group.id, node.name)
        try:
            await session.start(group.id, group.members)
            if not op.wait or not session.runs:
                if placed:
                    session.clear_later(group.id, None, node.name if node else None)
                    placed = False
                return (await session.current()).group(group.id).state

            await session.wait(
                f"group {group.id!r} did not come online", _came_online(group.id, node)
            )
            return GroupState.ONLINE
        finally:
            if placed:
                await session.clear(group.id)


async def offline_group(session: Session, op: ops.OfflineGroup) -> GroupState:
    async with session.editing() as (view, edit):
        group = view.group(op.id)
        check_idle(view, group, "take it offline")
        edit.set_target_role(group.members, "Stopped")
        await session.write(edit)  # now, before the wait (which still holds the lock)
        if not op.wait or not session.runs:
            return (await session.current()).group(group.id).state

        def offline(view: ClusterView) -> bool | str:
            current = view.groups.get(group.id)
            if current is None:
                return True
            failure = view.failure(current.members)
            if failure:
                return f"{failure} to stop{view.failure_detail(current.members)}"
            return all(s is ResourceState.OFFLINE for s in _states(view, current))

        view = await session.wait(f"group {group.id!r} did not go offline", offline)
        return view.group(group.id).state


async def move_group(session: Session, op: ops.MoveGroup) -> GroupState:
    async with session.locked() as view:
        group, node = _group_and_node(view, op)
        session.require_running(f"moving group {group.id!r}")
        check_idle(view, group, "move it")
        origin = group.owner if any(view.primitives[m].nodes for m in group.members) else None
        if origin is None:
            # A stopped Pacemaker group has no owner to hand over: where it starts next is
            # decided when it starts (documented difference).
            raise make_error(
                Win32Error.ERROR_NOT_SUPPORTED,
                f"group {group.id!r} is {group.state.name}: a stopped Pacemaker group has no "
                "owner to move (no counterpart on Pacemaker)",
                fix="bring it online on the node you want with `await group.online(node)`",
            )
        if node is not None:
            if node.name == origin:
                return group.state  # already there: success, nothing to do (as MSCS)
            check_host(view, group, node)
        else:
            no_host(view, group, exclude=origin)
        target = node.name if node is not None else None
        wanted = {m for m in group.members if view.primitives[m].wants_to_run}
        await session.place(group.id, target)
        if not op.wait:
            session.clear_later(group.id, origin, target)
            return (await session.current()).group(group.id).state
        where = repr(target) if target else "another node"

        def moved(view: ClusterView) -> bool | str:
            current = _going(view, group.id)
            if isinstance(current, str):
                return current
            # What was online comes back online there; what was offline stays offline.
            states = [view.primitives[m].state for m in current.members if m in wanted]
            if all(s is ResourceState.ONLINE for s in states) and current.owner != origin:
                if target is None or current.owner == target:
                    return True
                return f"it came online on {current.owner!r}"
            return False

        try:
            view = await session.wait(f"group {group.id!r} did not move to {where}", moved)
        except ClusterError as exc:
            await session.clear(group.id)
            raise make_error(
                exc.winerror,
                f"{exc.description}; the move's temporary location constraint was removed, "
                "so Pacemaker now places the group by its own rules",
                fix=exc.fix,
            ) from exc
        except BaseException:
            await session.clear(group.id)
            raise
        await session.clear(group.id)
        return view.group(group.id).state  # PARTIAL_ONLINE if part of it was offline


async def set_preferred(session: Session, op: ops.SetPreferredOwners) -> None:
    async with session.editing() as (view, edit):
        group = view.group(op.id)
        nodes = [node_named(view, n) for n in op.nodes]
        names = [n.name for n in nodes]
        rules.check_preferred_owners(group, names)
        doomed = {p.id for p in view.preferred_owners(group.id)}
        edit.remove_constraints(lambda c: c.get("id") in doomed)
        for place, name in enumerate(names):
            edit.add_constraint(
                "rsc_location",
                f"clusapi-prefer-{group.id}-{name}",
                rsc=group.id,
                node=name,
                score=str(mapping.PREFERENCE_STEP * (len(names) - place)),
            )


async def get_preferred(session: Session, op: ops.GetPreferredOwners) -> tuple[ObjectInfo, ...]:
    view = await session.current()
    group = view.group(op.id)
    found = []
    for loc in view.preferred_owners(group.id):
        node = view.node_by_name(loc.node or "")
        if node is not None:
            found.append(ObjectInfo(node.id, node.name))
    return tuple(found)


async def group_resources(session: Session, op: ops.GetGroupResources) -> tuple[ObjectInfo, ...]:
    group = (await session.current()).group(op.id)
    return tuple(ObjectInfo(m, m) for m in group.members)
