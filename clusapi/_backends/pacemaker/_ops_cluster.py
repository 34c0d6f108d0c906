"""The cluster, its nodes and resource types, and what Pacemaker has no counterpart of
(the cluster database), as PacemakerBackend handlers."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from clusapi import _operations as ops, _rules as rules
from clusapi._common import ResourceTypeCommonProperties
from clusapi._enums import ClusterChange, NodeState
from clusapi._errors import make_error
from clusapi._operations import ObjectKind
from clusapi._values import ClusterInfo, ObjectInfo, PropertyUpdate, ResourceTypeInfo
from clusapi._win32 import Win32Error

from . import _mapping as mapping
from ._agents import AgentInfo, split_agent
from ._dispatch import handles, not_supported
from ._edit import Edit

if TYPE_CHECKING:
    from clusapi._backend import Operation

    from ._backend import PacemakerBackend
    from ._events import PolledNotifications

__all__ = ()

W = Win32Error


@handles(ops.GetClusterInfo)
async def _get_info(be: PacemakerBackend, op: ops.GetClusterInfo) -> ClusterInfo:
    view = await be._snapshot()
    version = await be._version(view)
    numbers = [int(n) for n in re.findall(r"\d+", version)[:3]] + [0, 0, 0]
    return ClusterInfo(view.name, numbers[0], numbers[1], numbers[2], "Pacemaker", version, be.name)


@handles(ops.ListObjects)
async def _list(be: PacemakerBackend, op: ops.ListObjects) -> tuple[ObjectInfo, ...]:
    if op.kind is ObjectKind.RESOURCE_TYPE:
        return tuple(ObjectInfo(n, n) for n in await be._agents.names())
    view = await be._snapshot()
    if op.kind is ObjectKind.NODE:
        return tuple(ObjectInfo(n.id, n.name) for n in view.nodes.values())
    if op.kind is ObjectKind.GROUP:
        return tuple(ObjectInfo(g, g) for g in view.groups)
    if op.kind is ObjectKind.RESOURCE:
        return tuple(ObjectInfo(p.id, p.id) for p in view.visible_primitives())
    raise make_error(W.ERROR_INVALID_PARAMETER, f"cannot list objects of kind {op.kind.value!r}")


@handles(ops.OpenObject)
async def _open(be: PacemakerBackend, op: ops.OpenObject) -> ObjectInfo:
    rules.require_name(op.kind.value, op.name)
    if op.kind is ObjectKind.RESOURCE_TYPE:
        agent = await be._agents.resolve(op.name)
        return ObjectInfo(agent, agent)
    view = await be._snapshot()
    where = f"in cluster {view.name!r}"
    if op.kind is ObjectKind.NODE:
        node = be._node_named(view, op.name)
        return ObjectInfo(node.id, node.name)
    if op.kind is ObjectKind.GROUP:
        found = view.find(op.name, view.groups)
        if found is None:
            raise make_error(
                W.ERROR_GROUP_NOT_FOUND,
                f"no group named {op.name!r} {where}",
                fix="list the groups with `await cluster.groups()`",
            )
        return ObjectInfo(found, found)
    if op.kind is ObjectKind.RESOURCE:
        found = view.find(op.name, {p.id: p for p in view.visible_primitives()})
        if found is None:
            extra = (
                " (it is not in a group: clusapi shows only resources in groups)"
                if op.name in view.other_resources
                else ""
            )
            raise make_error(
                W.ERROR_RESOURCE_NOT_FOUND,
                f"no resource named {op.name!r} {where}{extra}",
                fix="list the resources with `await cluster.resources()`",
            )
        return ObjectInfo(found, found)
    raise make_error(W.ERROR_INVALID_PARAMETER, f"cannot open an object of kind {op.kind.value!r}")


@handles(ops.RenameObject)
async def _rename(be: PacemakerBackend, op: ops.RenameObject) -> None:
    raise not_supported(
        f"renaming a {op.kind.value}: a Pacemaker id names the object for good",
        fix="create a new one with the new name and move the resources (change_group)",
    )


@handles(ops.GetCommonProperties)
async def _get_common(be: PacemakerBackend, op: ops.GetCommonProperties) -> dict[str, object]:
    if op.kind is ObjectKind.RESOURCE_TYPE:
        return mapping.type_common(await be._agents.info(await be._agents.resolve(op.id)))
    view = await be._snapshot()
    if op.kind is ObjectKind.GROUP:
        return mapping.group_common(view, view.group(op.id))
    if op.kind is ObjectKind.RESOURCE:
        return mapping.resource_common(view.primitive(op.id), view.rsc_defaults)
    raise not_supported(f"common properties of a {op.kind.value}")


@handles(ops.SetCommonProperties)
async def _set_common(be: PacemakerBackend, op: ops.SetCommonProperties) -> PropertyUpdate:
    if op.kind is ObjectKind.RESOURCE_TYPE:
        agent = await be._agents.info(await be._agents.resolve(op.id))
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
    async with be._write_lock:
        view = await be._snapshot()
        edit = Edit(view)
        if op.kind is ObjectKind.GROUP:
            written = mapping.set_group_common(edit, view, view.group(op.id), op.changes)
        elif op.kind is ObjectKind.RESOURCE:
            prim = view.primitive(op.id)
            written = mapping.set_resource_common(
                edit, view, prim, await be._agent(prim), op.changes
            )
        else:
            raise not_supported(f"common properties of a {op.kind.value}")
        await be._write(edit)
    # Pacemaker applies a change at once (it restarts or reloads the resource if needed).
    return PropertyUpdate(written)


@handles(ops.Control)
async def _control(be: PacemakerBackend, op: ops.Control) -> None:
    raise not_supported(
        f"control code {op.code:#010x} to a {op.kind.value}: Pacemaker has no control codes",
        fix="use the property methods, which map to CIB attributes",
    )


@handles(ops.OpenNotifyPort)
async def _notify(be: PacemakerBackend, op: ops.OpenNotifyPort) -> PolledNotifications:
    view = await be._snapshot()
    return be._hub.open(op.filter, view)


@handles(ops.GetQuorumResource)
async def _get_quorum(be: PacemakerBackend, op: ops.GetQuorumResource) -> None:
    return None  # quorum is Corosync's votequorum, not a resource


@handles(ops.SetQuorumResource)
async def _set_quorum(be: PacemakerBackend, op: ops.SetQuorumResource) -> None:
    raise not_supported(
        "a quorum resource: Corosync's votequorum decides quorum by node votes",
        fix="configure quorum devices (corosync-qdevice) in corosync.conf",
    )


# -- nodes ---------------------------------------------------------------------------------


@handles(ops.GetNodeState)
async def _node_state(be: PacemakerBackend, op: ops.GetNodeState) -> NodeState:
    return (await be._snapshot()).node(op.id).state


@handles(ops.PauseNode)
async def _pause(be: PacemakerBackend, op: ops.PauseNode) -> None:
    async with be._write_lock:
        view = await be._snapshot()
        node = view.node(op.id)
        if be._runs and not node.online:
            raise make_error(
                W.ERROR_CLUSTER_NODE_DOWN,
                f"node {node.name!r} is down",
                fix="a down node cannot be paused; start it first",
            )
        if node.standby:
            return
        await be._tool(
            "crm_attribute", "--node", node.name, "--name", "standby", "--update", "on",
            "--lifetime", "forever", "--quiet",
        )  # fmt: skip


@handles(ops.ResumeNode)
async def _resume(be: PacemakerBackend, op: ops.ResumeNode) -> None:
    async with be._write_lock:
        view = await be._snapshot()
        node = view.node(op.id)
        if node.attributes.get("standby", "off").lower() not in ("on", "true", "1", "yes"):
            raise make_error(
                W.ERROR_CLUSTER_NODE_NOT_PAUSED,
                f"node {node.name!r} is not paused",
                fix="only a paused (standby) node can be resumed",
            )
        await be._tool(
            "crm_attribute", "--node", node.name, "--name", "standby", "--delete",
            "--lifetime", "forever", "--quiet",
        )  # fmt: skip


@handles(ops.EvictNode)
async def _evict(be: PacemakerBackend, op: ops.EvictNode) -> None:
    raise not_supported(
        "evicting a node: membership is Corosync's nodelist, which Pacemaker's tools do not change",
        fix="remove the node from corosync.conf on every node (pcs cluster node remove), "
        "then `crm_node --force --remove NAME`",
    )


@handles(ops.GetNodeGroups)
async def _node_groups(be: PacemakerBackend, op: ops.GetNodeGroups) -> tuple[ObjectInfo, ...]:
    view = await be._snapshot()
    node = view.node(op.id)
    return tuple(ObjectInfo(g.id, g.id) for g in view.groups.values() if g.owner == node.name)


# -- cluster database: no counterpart ------------------------------------------------------


@handles(
    ops.GetObjectKey,
    ops.KeyExists,
    ops.CreateKey,
    ops.DeleteKey,
    ops.SetValue,
    ops.QueryValue,
    ops.DeleteValue,
    ops.EnumKeys,
    ops.EnumValues,
    ops.CommitBatch,
    ops.OpenRegistryPort,
)
async def _database(be: PacemakerBackend, op: Operation[Any]) -> None:
    raise not_supported(
        f"the cluster database ({op.mirrors}): Pacemaker keeps no registry",
        fix="keep settings in resource parameters (private properties), which the CIB stores",
    )


@handles(ops.AddCheckpoint, ops.DeleteCheckpoint, ops.GetCheckpoints)
async def _checkpoints(be: PacemakerBackend, op: Operation[Any]) -> None:
    raise not_supported(
        f"registry checkpoints ({op.mirrors}): Pacemaker replicates no node-local registry",
        fix="keep the state on shared storage or in resource parameters",
    )


# -- resource types ------------------------------------------------------------------------


def _type_info(be: PacemakerBackend, agent: AgentInfo) -> ResourceTypeInfo:
    return ResourceTypeInfo(
        agent.name,
        agent.display_name,
        be._agents.implementation(agent.name),
        agent.looks_alive_ms,
        agent.is_alive_ms,
    )


@handles(ops.CreateResourceType)
async def _create_type(be: PacemakerBackend, op: ops.CreateResourceType) -> ResourceTypeInfo:
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
        agent_name = await be._agents.resolve(implementation)
    else:
        from resapi.ocf import agent_spec

        spec = agent_spec(implementation)
        if spec is not None:
            agent_name = await be._agents.resolve(spec)
        else:
            agent_name = await be._agents.install_visible(implementation)
            be._hub.emit(ClusterChange.RESOURCE_TYPE_ADDED, agent_name)
    if op.name is not None and await be._agents.resolve(op.name) != agent_name:
        raise not_supported(
            f"registering {agent_name!r} under another name ({op.name!r}): a type is "
            "named by its agent",
            fix=f"leave name out; the type is {agent_name!r}",
        )
    return _type_info(be, await be._agents.info(agent_name))


@handles(ops.DeleteResourceType)
async def _delete_type(be: PacemakerBackend, op: ops.DeleteResourceType) -> None:
    agent = await be._agents.resolve(op.name)
    view = await be._snapshot()
    users = [p.id for p in view.visible_primitives() if p.agent == agent]
    if users:
        raise make_error(
            W.ERROR_DIR_NOT_EMPTY,
            f"resource type {agent!r} is used by {len(users)} resource(s): {users!r}",
            fix="delete those resources first",
        )
    be._agents.uninstall(agent)
    be._hub.emit(ClusterChange.RESOURCE_TYPE_DELETED, agent)


@handles(ops.GetResourceTypeInfo)
async def _type_get(be: PacemakerBackend, op: ops.GetResourceTypeInfo) -> ResourceTypeInfo:
    return _type_info(be, await be._agents.info(await be._agents.resolve(op.name)))


@handles(ops.GetTypeResources)
async def _type_resources(be: PacemakerBackend, op: ops.GetTypeResources) -> tuple[ObjectInfo, ...]:
    agent = await be._agents.resolve(op.name)
    view = await be._snapshot()
    return tuple(ObjectInfo(p.id, p.id) for p in view.visible_primitives() if p.agent == agent)
