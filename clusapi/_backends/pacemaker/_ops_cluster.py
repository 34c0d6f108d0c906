"""The cluster, its nodes and resource types, as PacemakerBackend handlers (what has no
counterpart on Pacemaker is declared in :mod:`._dispatch`)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from clusapi import _operations as ops, _rules as rules
from clusapi._common import ResourceTypeCommonProperties
from clusapi._enums import ClusterChange, NodeState
from clusapi._errors import make_error
from clusapi._operations import ObjectKind
from clusapi._values import ClusterInfo, ObjectInfo, PropertyUpdate, ResourceTypeInfo
from clusapi._win32 import Win32Error

from . import _mapping as mapping
from ._agents import AgentInfo, split_agent
from ._checks import node_named, not_supported
from ._session import BACKEND_NAME

if TYPE_CHECKING:
    from ._events import PolledNotifications
    from ._session import Session

__all__ = (
    "create_type",
    "delete_type",
    "get_common",
    "get_info",
    "get_quorum",
    "list_objects",
    "node_groups",
    "node_state",
    "notify",
    "open_object",
    "pause",
    "resume",
    "set_common",
    "type_get",
    "type_resources",
)


async def get_info(session: Session, op: ops.GetClusterInfo) -> ClusterInfo:
    view = await session.current()
    version = await session.version(view)
    numbers = [int(n) for n in re.findall(r"\d+", version)[:3]] + [0, 0, 0]
    return ClusterInfo(
        view.name, numbers[0], numbers[1], numbers[2], "Pacemaker", version, BACKEND_NAME
    )


async def list_objects(session: Session, op: ops.ListObjects) -> tuple[ObjectInfo, ...]:
    if op.kind is ObjectKind.RESOURCE_TYPE:
        return tuple(ObjectInfo(n, n) for n in await session.agents.names())
    view = await session.current()
    if op.kind is ObjectKind.NODE:
        return tuple(ObjectInfo(n.id, n.name) for n in view.nodes.values())
    if op.kind is ObjectKind.GROUP:
        return tuple(ObjectInfo(g, g) for g in view.groups)
    if op.kind is ObjectKind.RESOURCE:
        return tuple(ObjectInfo(p.id, p.id) for p in view.visible_primitives())
    raise make_error(
        Win32Error.ERROR_INVALID_PARAMETER, f"cannot list objects of kind {op.kind.value!r}"
    )


async def open_object(session: Session, op: ops.OpenObject) -> ObjectInfo:
    rules.require_name(op.kind.value, op.name)
    if op.kind is ObjectKind.RESOURCE_TYPE:
        agent = await session.agents.resolve(op.name)
        return ObjectInfo(agent, agent)
    view = await session.current()
    if op.kind is ObjectKind.NODE:
        node = node_named(view, op.name)
        return ObjectInfo(node.id, node.name)
    if op.kind is ObjectKind.GROUP:
        found = view.find(op.name, view.groups)
        if found is None:
            raise rules.no_such("group", op.name, view.name)
        return ObjectInfo(found, found)
    if op.kind is ObjectKind.RESOURCE:
        found = view.find(op.name, {p.id: p for p in view.visible_primitives()})
        if found is None:
            # Pacemaker only: a resource outside any group, which clusapi does not show.
            extra = (
                " (it is not in a group: clusapi shows only resources in groups)"
                if op.name in view.other_resources
                else ""
            )
            raise rules.no_such("resource", op.name, view.name, detail=extra)
        return ObjectInfo(found, found)
    raise make_error(
        Win32Error.ERROR_INVALID_PARAMETER, f"cannot open an object of kind {op.kind.value!r}"
    )


async def get_common(session: Session, op: ops.GetCommonProperties) -> dict[str, object]:
    if op.kind is ObjectKind.RESOURCE_TYPE:
        return mapping.type_common(await session.agents.info(await session.agents.resolve(op.id)))
    view = await session.current()
    if op.kind is ObjectKind.GROUP:
        return mapping.group_common(view, view.group(op.id))
    if op.kind is ObjectKind.RESOURCE:
        return mapping.resource_common(view.primitive(op.id), view.rsc_defaults)
    raise not_supported(f"common properties of a {op.kind.value}")


async def set_common(session: Session, op: ops.SetCommonProperties) -> PropertyUpdate:
    if op.kind is ObjectKind.RESOURCE_TYPE:
        agent = await session.agents.info(await session.agents.resolve(op.id))
        checked = mapping.verify(
            ResourceTypeCommonProperties,
            mapping.type_common(agent),
            op.changes,
            f"resource type {agent.name!r}",
        )
        if checked:
            raise not_supported(
                f"resource type {agent.name!r}: changing {', '.join(checked)}: a type's "
                "defaults come from its agent's meta-data",
                fix="set the property on each resource instead",
            )
        return PropertyUpdate(())
    async with session.editing() as (view, edit):
        if op.kind is ObjectKind.GROUP:
            written = mapping.set_group_common(edit, view, view.group(op.id), op.changes)
        elif op.kind is ObjectKind.RESOURCE:
            prim = view.primitive(op.id)
            written = mapping.set_resource_common(
                edit, view, prim, await session.agents.info(prim.agent), op.changes
            )
        else:
            raise not_supported(f"common properties of a {op.kind.value}")
    # Pacemaker applies a change at once (it restarts or reloads the resource if needed).
    return PropertyUpdate(written)


async def notify(session: Session, op: ops.OpenNotifyPort) -> PolledNotifications:
    view = await session.current()
    return session.events.open(op.filter, view)


async def get_quorum(session: Session, op: ops.GetQuorumResource) -> None:
    return None  # quorum is Corosync's votequorum, not a resource


# -- nodes ---------------------------------------------------------------------------------


async def node_state(session: Session, op: ops.GetNodeState) -> NodeState:
    return (await session.current()).node(op.id).state


async def pause(session: Session, op: ops.PauseNode) -> None:
    async with session.locked() as view:
        node = view.node(op.id)
        rules.check_can_pause(node.name, down=session.runs and not node.online)
        if node.standby:
            return
        await _standby(session, node.name, "--update", "on")


async def resume(session: Session, op: ops.ResumeNode) -> None:
    async with session.locked() as view:
        node = view.node(op.id)
        standby = node.attributes.get("standby", "off").lower() in ("on", "true", "1", "yes")
        rules.check_paused(node.name, paused=standby)
        await _standby(session, node.name, "--delete")


async def _standby(session: Session, node: str, *change: str) -> None:
    """Change the node's permanent ``standby`` attribute (what pause and resume map to)."""
    await session.tool(
        "crm_attribute", "--node", node, "--name", "standby", *change,
        "--lifetime", "forever", "--quiet",
    )  # fmt: skip


async def node_groups(session: Session, op: ops.GetNodeGroups) -> tuple[ObjectInfo, ...]:
    view = await session.current()
    node = view.node(op.id)
    return tuple(ObjectInfo(g.id, g.id) for g in view.groups.values() if g.owner == node.name)


# -- resource types ------------------------------------------------------------------------


def _type_info(session: Session, agent: AgentInfo) -> ResourceTypeInfo:
    return ResourceTypeInfo(
        agent.name,
        agent.display_name,
        session.agents.implementation(agent.name),
        agent.looks_alive_ms,
        agent.is_alive_ms,
    )


async def create_type(session: Session, op: ops.CreateResourceType) -> ResourceTypeInfo:
    implementation = op.implementation
    for label, value in (
        ("display_name", op.display_name),
        ("looks_alive_poll_interval", op.looks_alive_poll_interval),
        ("is_alive_poll_interval", op.is_alive_poll_interval),
    ):
        if value is not None:
            raise not_supported(
                f"setting {label} of a resource type: a type's name and defaults come from "
                "its agent's meta-data",
                fix="leave it out; set the poll intervals on each resource",
            )
    agent_name: str
    if isinstance(implementation, str) and split_agent(implementation) is not None:
        agent_name = await session.agents.resolve(implementation)
    else:
        from resapi.ocf import agent_spec

        spec = agent_spec(implementation)
        if spec is not None:
            agent_name = await session.agents.resolve(spec)
        else:
            agent_name = await session.agents.install_visible(implementation)
            session.events.emit(ClusterChange.RESOURCE_TYPE_ADDED, agent_name)
    if op.name is not None and await session.agents.resolve(op.name) != agent_name:
        raise not_supported(
            f"registering {agent_name!r} under another name ({op.name!r}): a type is "
            "named by its agent",
            fix=f"leave name out; the type is {agent_name!r}",
        )
    return _type_info(session, await session.agents.info(agent_name))


async def delete_type(session: Session, op: ops.DeleteResourceType) -> None:
    agent = await session.agents.resolve(op.name)
    view = await session.current()
    users = [p.id for p in view.visible_primitives() if p.agent == agent]
    if users:
        raise make_error(
            Win32Error.ERROR_DIR_NOT_EMPTY,
            f"resource type {agent!r} is used by {len(users)} resource(s): {users!r}",
            fix="delete those resources first",
        )
    session.agents.uninstall(agent)
    session.events.emit(ClusterChange.RESOURCE_TYPE_DELETED, agent)


async def type_get(session: Session, op: ops.GetResourceTypeInfo) -> ResourceTypeInfo:
    return _type_info(session, await session.agents.info(await session.agents.resolve(op.name)))


async def type_resources(session: Session, op: ops.GetTypeResources) -> tuple[ObjectInfo, ...]:
    agent = await session.agents.resolve(op.name)
    view = await session.current()
    return tuple(ObjectInfo(p.id, p.id) for p in view.visible_primitives() if p.agent == agent)
