"""Resources on Pacemaker, as PacemakerBackend handlers: primitives in groups, their states,
dependencies (order + colocation), possible owners (bans) and private properties."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, Final

import attrs

from clusapi import _operations as ops, _rules as rules
from clusapi._common import ResourceCommonProperties
from clusapi._enums import PropertyFormat, ResourceState
from clusapi._errors import ClusterError
from clusapi._policy import can_be_dependent as may_depend, dependency_closure
from clusapi._values import ObjectInfo, PropertyUpdate, ResourceStateInfo

from . import _mapping as mapping
from ._checks import check_new_name, check_with_agent, no_host, node_named
from ._edit import format_ms
from ._ops_groups import check_required, first_home

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from ._agents import AgentInfo
    from ._cib import ClusterView, PrimitiveView
    from ._session import Session

__all__ = (
    "add_dependency",
    "add_owner",
    "can_be_dependent",
    "change_group",
    "create_resource",
    "delete_resource",
    "dependencies",
    "dependents",
    "fail_resource",
    "get_private",
    "offline_resource",
    "online_resource",
    "possible_owners",
    "remove_dependency",
    "remove_owner",
    "resource_state",
    "set_private",
    "type_name",
)


async def create_resource(session: Session, op: ops.CreateResource) -> ObjectInfo:
    async with session.editing() as (view, edit):
        group = view.group(op.group)
        name = check_new_name(view, "resource", op.name)
        agent = await session.agents.info(await session.agents.resolve(op.type_name))
        rules.check_separate_monitor(name, op.separate_monitor)
        prim = ET.Element(
            "primitive",
            {"id": name, "class": "ocf", "provider": agent.provider, "type": agent.agent_type},
        )
        edit.add_members(group.id, [prim])
        # New resources start Offline; restart 3 times within 15 minutes, then fail over
        # (the MSCS defaults of RestartThreshold and RestartPeriod).
        edit.set_meta(name, "target-role", "Stopped")
        defaults = ResourceCommonProperties()
        edit.set_meta(name, "migration-threshold", str(defaults.restart_threshold + 1))
        edit.set_meta(name, "failure-timeout", format_ms(defaults.restart_period))
        mapping.ensure_op(
            edit,
            name,
            "monitor",
            interval_ms=agent.looks_alive_ms,
            timeout_ms=agent.timeout_ms("monitor"),
        )
        for action in ("start", "stop"):
            mapping.ensure_op(edit, name, action, timeout_ms=agent.timeout_ms(action))
    return ObjectInfo(name, name)


async def delete_resource(session: Session, op: ops.DeleteResource) -> None:
    async with session.editing() as (view, edit):
        prim = view.primitive(op.id)
        # A failed resource stays on its node until it is cleaned up: that one is running.
        rules.check_deletable(prim, view.dependents(prim.id), running=bool(prim.nodes))
        edit.take_members(prim.group, [prim.id])
        edit.remove_references(prim.id)


async def resource_state(session: Session, op: ops.GetResourceState) -> ResourceStateInfo:
    view = await session.current()
    prim = view.primitive(op.id)
    return ResourceStateInfo(prim.state, view.groups[prim.group].owner, prim.group)


def _chain(view: ClusterView, prim: PrimitiveView) -> list[str]:
    """What must run for ``prim`` to run: the members before it (a Pacemaker group starts its
    members in order) and its providers, transitively."""
    members = list(view.groups[prim.group].members)
    needed = set(members[: members.index(prim.id) + 1])
    todo = list(needed)
    while todo:
        for provider in view.depends_on(todo.pop()):
            if provider not in needed and provider in view.primitives:
                needed.add(provider)
                todo.append(provider)
    return [m for m in members if m in needed]


async def type_name(session: Session, op: ops.GetResourceTypeName) -> str:
    """The agent, ``standard:provider:type``: the name its resource type is listed by."""
    view = await session.current()
    return view.primitive(op.id).agent


async def online_resource(session: Session, op: ops.OnlineResource) -> ResourceState:
    async with session.locked() as view:
        prim = view.primitive(op.id)
        if prim.in_transition:
            raise rules.resource_busy(prim)
        if prim.state is ResourceState.ONLINE:
            return prim.state
        group = view.groups[prim.group]
        chain = _chain(view, prim)
        if session.runs:  # the fail counts are cleared first: they bar no node here
            no_host(view, attrs.evolve(group, members=tuple(chain)), failures=False)
        await check_required(session, view, chain)
        await session.cleanup([view.primitives[m] for m in chain])
        # A group that never ran comes online where it was created, as its group's online.
        home = first_home(view, group) if session.runs else None
        if home is not None:
            await session.place(group.id, home.name)
        try:
            await session.start(group.id, chain)
            if not op.wait or not session.runs:
                if home is not None:
                    session.clear_later(group.id, None, home.name)
                    home = None
                return (await session.current()).primitive(prim.id).state

            def online(view: ClusterView) -> bool | str:
                failure = view.failure(chain)
                if failure:
                    return failure + view.failure_detail(chain)
                state = view.primitive(prim.id).state
                if state is ResourceState.OFFLINE:
                    return f"no node can run it{view.failure_detail(chain)}"
                return state is ResourceState.ONLINE

            await session.wait(f"resource {prim.id!r} did not come online", online)
            return ResourceState.ONLINE
        finally:
            if home is not None:
                await session.clear(group.id)


async def offline_resource(session: Session, op: ops.OfflineResource) -> ResourceState:
    async with session.editing() as (view, edit):
        prim = view.primitive(op.id)
        if prim.in_transition:
            raise rules.resource_busy(prim)
        members = list(view.groups[prim.group].members)
        # Its dependents stop first, and so do the members after it: a Pacemaker group runs
        # member k only where and when member k-1 runs.
        down = {prim.id, *members[members.index(prim.id) :]}
        todo = [prim.id]
        while todo:
            for dependent in view.dependents(todo.pop()):
                if dependent not in down:
                    down.add(dependent)
                    todo.append(dependent)
        edit.set_target_role([m for m in members if m in down], "Stopped")
        await session.write(edit)  # now, before the wait (which still holds the lock)
        if not op.wait or not session.runs:
            return (await session.current()).primitive(prim.id).state

        def offline(view: ClusterView) -> bool | str:
            state = view.primitive(prim.id).state
            if state is ResourceState.FAILED:
                return "it failed to stop"
            return state is ResourceState.OFFLINE

        view = await session.wait(f"resource {prim.id!r} did not go offline", offline)
        return view.primitive(prim.id).state


async def fail_resource(session: Session, op: ops.FailResource) -> None:
    async with session.locked() as view:
        prim = view.primitive(op.id)
        session.require_running(f"failing resource {prim.id!r}")
        running = rules.check_can_fail(prim, prim.nodes[0] if prim.nodes else None)
        if session.cib_file is None:
            await session.tool("crm_resource", "--fail", "--resource", prim.id, "--node", running)
        else:
            monitor = next((o for o in prim.ops if o.name == "monitor" and o.interval_ms), None)
            interval = monitor.interval_ms if monitor else 0
            await session.change(None, inject=f"{prim.id}_monitor_{interval}@{running}=7")


async def change_group(session: Session, op: ops.ChangeResourceGroup) -> None:
    async with session.editing() as (view, edit):
        prim = view.primitive(op.id)
        source = view.groups[prim.group]
        target = view.group(op.group)
        if target.id == source.id:
            return
        rules.check_same_owner(source, target)
        tree = dependency_closure(prim.id, view.dependency_map(source.id))
        moving = [m for m in source.members if m in tree]
        taken = edit.take_members(source.id, moving)
        edit.add_members(target.id, taken)


def _topological(members: Sequence[str], depends: dict[str, list[str]]) -> list[str]:
    """``members`` reordered so that providers come first, otherwise as they were."""
    placed: list[str] = []
    left = list(members)
    while left:
        for member in left:
            if all(p in placed or p not in members for p in depends.get(member, ())):
                placed.append(member)
                left.remove(member)
                break
        else:  # a cycle: cannot happen, dependencies are checked before they are added
            placed += left
            break
    return placed


async def add_dependency(session: Session, op: ops.AddDependency) -> None:
    async with session.editing() as (view, edit):
        prim = view.primitive(op.id)
        provider = view.primitive(op.provider)
        depends = view.dependency_map(prim.group)
        rules.check_new_dependency(prim, provider, depends)
        edit.add_constraint(
            "rsc_order",
            f"clusapi-order-{provider.id}-then-{prim.id}",
            first=provider.id,
            then=prim.id,
            kind="Mandatory",
        )
        edit.add_constraint(
            "rsc_colocation",
            f"clusapi-colocate-{prim.id}-with-{provider.id}",
            rsc=prim.id,
            with_rsc=provider.id,
            score="INFINITY",
        )
        depends.setdefault(prim.id, []).append(provider.id)
        # A group starts its members in order: providers must come before their dependents,
        # or the group's own order and the dependency would wait for each other.
        edit.reorder(prim.group, _topological(view.groups[prim.group].members, depends))


async def remove_dependency(session: Session, op: ops.RemoveDependency) -> None:
    async with session.editing() as (view, edit):
        prim = view.primitive(op.id)
        provider = view.primitive(op.provider)
        rules.check_has_dependency(prim, provider, view.depends_on(prim.id))
        edit.remove_constraints(
            lambda c: (c.tag == "rsc_order" and c.get("first") == provider.id
                       and c.get("then") == prim.id)
            or (c.tag == "rsc_colocation" and c.get("rsc") == prim.id
                and c.get("with-rsc") == provider.id)
        )  # fmt: skip


async def dependencies(session: Session, op: ops.GetDependencies) -> tuple[ObjectInfo, ...]:
    view = await session.current()
    prim = view.primitive(op.id)
    return tuple(ObjectInfo(p, p) for p in view.depends_on(prim.id))


async def dependents(session: Session, op: ops.GetDependents) -> tuple[ObjectInfo, ...]:
    view = await session.current()
    prim = view.primitive(op.id)
    return tuple(ObjectInfo(d, d) for d in view.dependents(prim.id))


async def can_be_dependent(session: Session, op: ops.CanBeDependent) -> bool:
    view = await session.current()
    prim = view.primitive(op.id)
    provider = view.primitive(op.provider)
    return may_depend(
        dependent=prim.id,
        provider=provider.id,
        group_of={prim.id: prim.group, provider.id: provider.group},
        depends_on=view.dependency_map(prim.group),
    )


async def add_owner(session: Session, op: ops.AddPossibleOwner) -> None:
    async with session.editing() as (view, edit):
        prim = view.primitive(op.id)
        node = node_named(view, op.node)
        rules.check_new_possible_owner(prim, node, {n.id for n in view.possible_owners(prim.id)})
        # Exactly the constraints that made it no possible owner: one reading of "a ban".
        lifted = {loc.id for loc in view.bans(prim.id) if loc.node == node.name}
        edit.remove_constraints(lambda c: c.get("id") in lifted)


async def remove_owner(session: Session, op: ops.RemovePossibleOwner) -> None:
    async with session.editing() as (view, edit):
        prim = view.primitive(op.id)
        node = node_named(view, op.node)
        rules.check_possible_owner(prim, node, {n.id for n in view.possible_owners(prim.id)})
        if node.name in prim.nodes:
            raise rules.resource_running_on(prim, node)
        edit.add_constraint(
            "rsc_location",
            f"clusapi-ban-{prim.id}-{node.name}",
            rsc=prim.id,
            node=node.name,
            score="-INFINITY",
        )


async def possible_owners(session: Session, op: ops.GetPossibleOwners) -> tuple[ObjectInfo, ...]:
    view = await session.current()
    return tuple(ObjectInfo(n.id, n.name) for n in view.possible_owners(view.primitive(op.id).id))


_NUMERIC: Final = frozenset(
    {PropertyFormat.DWORD, PropertyFormat.LONG, PropertyFormat.ULARGE_INTEGER,
     PropertyFormat.LARGE_INTEGER}
)  # fmt: skip


def _stored(agent: AgentInfo, params: Mapping[str, str]) -> dict[str, object]:
    """Instance attributes as Python values, typed by the agent's property table (a value
    that does not parse, or a name the meta-data does not know, stays the text it is)."""
    values: dict[str, object] = {}
    for name, text in params.items():
        try:
            item = agent.table.item(name)
        except ClusterError:
            values[name] = text
            continue
        if item.boolean:
            values[name] = text.strip().lower() in ("1", "true", "yes", "on", "y")
        elif item.format in _NUMERIC:
            try:
                values[name] = int(text)
            except ValueError:
                values[name] = text
        else:
            values[name] = text
    return values


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (tuple, list)):
        return ",".join(str(v) for v in value)
    return str(value)


async def get_private(session: Session, op: ops.GetPrivateProperties) -> dict[str, object]:
    view = await session.current()
    prim = view.primitive(op.id)
    agent = await session.agents.info(prim.agent)
    values = rules.private_values(agent.table, _stored(agent, prim.params))
    # A unique parameter the resource does not set is unset (None): the agent computes its
    # own value per instance (the Dummy's state file is named after the resource), and the
    # meta-data's default is only a placeholder; copied to another resource, it would make
    # both share one state file. None set back leaves it unset (set_private).
    for item in agent.table.items():
        if item.unique and item.name not in prim.params:
            values[item.name] = None
    return values


def _unset(agent: AgentInfo, prim: PrimitiveView, changes: Mapping[str, object]) -> list[str]:
    """The unique parameters ``changes`` sets to None (unset: removed from the resource, so
    the agent computes its own value); other Nones are left to the table, which refuses them."""
    found = []
    for key, value in changes.items():
        if value is not None:
            continue
        try:
            item = agent.table.item(key)
        except ClusterError:
            continue  # the table names the unknown property
        if item.unique and not item.required:
            found.append(key)
    return found


async def set_private(session: Session, op: ops.SetPrivateProperties) -> PropertyUpdate:
    async with session.editing() as (view, edit):
        prim = view.primitive(op.id)
        agent = await session.agents.info(prim.agent)
        store = _stored(agent, prim.params)
        unset = _unset(agent, prim, op.changes)
        with rules.about(f"resource {prim.id!r}", table=agent.table, type_name=prim.agent):
            written = agent.table.apply(
                store, {k: v for k, v in op.changes.items() if k not in unset}
            )
        removed = tuple(
            name for name in (agent.table.item(k).name for k in unset) if name in prim.params
        )
        if written or removed:
            left = {name: _text(value) for name, value in store.items() if name not in removed}
            await check_with_agent(session, agent, prim.id, left)
        element = edit.element("primitive", prim.id)
        for name in written:
            edit.set_nvpair(element, "instance_attributes", name, _text(store[name]))
        for name in removed:
            edit.set_nvpair(element, "instance_attributes", name, None)
    # Pacemaker applies new parameters at once, reloading or restarting the resource.
    return PropertyUpdate(written + removed)
