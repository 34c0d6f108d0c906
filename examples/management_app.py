"""A cluster-aware management application: a live view of the cluster and a rolling upgrade.

Two things every cluster administrator's tool does, written against the Cluster API only (so
they run unchanged against any backend):

- :class:`ClusterView` keeps a model of every node, group and resource (state, owner, group)
  up to date from change notifications, and prints each change as it sees it. It opens its
  notify port *before* it takes the first snapshot, so no change can fall between the two.
- :func:`rolling_upgrade` upgrades one node at a time without taking any group down for
  longer than a move: pause the node (no group may move onto it), move its groups to other
  nodes, upgrade it, resume it, and move its groups back.

Run it (a three-node reference cluster on virtual time: the simulated installs and reboots
take cluster minutes and wall-clock milliseconds)::

    python -m examples.management_app

After every step it compares the view with a fresh query of the whole cluster and says
whether they agree. ``tests/examples/test_example_management_app.py`` does the same with asserts.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Final, TypeVar

import anyio
import anyio.abc
import attrs

import clusapi
import resapi
from clusapi import ClusterChange, GroupStateInfo, NodeState, ResourceStateInfo
from clusapi.testing import ReferenceEnvironment, VirtualClock, open_reference_cluster

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

__all__ = (
    "AppService",
    "ClusterModel",
    "ClusterView",
    "DEMO_GROUPS",
    "NODE_RETURN_LIMIT",
    "UpgradeDemo",
    "WATCHED",
    "announce",
    "build_demo_cluster",
    "main",
    "rolling_upgrade",
    "run_demo",
    "simulated_upgrade",
    "snapshot",
    "wait_for_node_state",
)

#: The changes the view follows: everything about nodes, groups and resources.
WATCHED: Final = (
    ClusterChange.NODE_STATE
    | ClusterChange.NODE_ADDED
    | ClusterChange.NODE_DELETED
    | ClusterChange.GROUP_STATE
    | ClusterChange.GROUP_ADDED
    | ClusterChange.GROUP_DELETED
    | ClusterChange.GROUP_PROPERTY
    | ClusterChange.RESOURCE_STATE
    | ClusterChange.RESOURCE_ADDED
    | ClusterChange.RESOURCE_DELETED
    | ClusterChange.RESOURCE_PROPERTY
)

#: Seconds a node may take to come back up after its upgrade before the rolling upgrade stops.
NODE_RETURN_LIMIT: Final = 3600.0

_V = TypeVar("_V")

_NODE_CHANGES: Final = ClusterChange.NODE_STATE | ClusterChange.NODE_ADDED
_DELETIONS: Final = (
    ClusterChange.NODE_DELETED | ClusterChange.GROUP_DELETED | ClusterChange.RESOURCE_DELETED
)
_GROUP_CHANGES: Final = (
    ClusterChange.GROUP_STATE | ClusterChange.GROUP_ADDED | ClusterChange.GROUP_PROPERTY
)
_RESOURCE_CHANGES: Final = (
    ClusterChange.RESOURCE_STATE | ClusterChange.RESOURCE_ADDED | ClusterChange.RESOURCE_PROPERTY
)


# -- the model -------------------------------------------------------------------------------


@attrs.define
class ClusterModel:
    """What a management tool knows about a cluster: plain data, compared by value."""

    #: Node name -> state.
    nodes: dict[str, NodeState] = attrs.field(factory=dict)
    #: Group name -> state and owner node.
    groups: dict[str, GroupStateInfo] = attrs.field(factory=dict)
    #: Resource name -> state, owner node and group.
    resources: dict[str, ResourceStateInfo] = attrs.field(factory=dict)

    def render(self) -> str:
        """The model as a small table, one object per line."""
        lines = [f"  node     {name:<14} {_word(s)}" for name, s in self.nodes.items()]
        lines += [
            f"  group    {name:<14} {_word(g.state):<16} on {g.owner}"
            for name, g in self.groups.items()
        ]
        lines += [
            f"  resource {name:<14} {_word(r.state):<16} on {r.owner}  (group {r.group})"
            for name, r in self.resources.items()
        ]
        return "\n".join(lines)


async def snapshot(
    cluster: clusapi.Cluster, *, names: dict[str, str] | None = None
) -> ClusterModel:
    """A fresh model, from queries of every object (what the view must agree with).

    Args:
        names: if given, filled with object id -> name for every object seen.
    """
    model = ClusterModel()
    seen: dict[str, str] = {} if names is None else names
    for node in await cluster.nodes():
        model.nodes[node.name] = await node.state()
        seen[node.id] = node.name
    for group in await cluster.groups():
        model.groups[group.name] = await group.state_info()
        seen[group.id] = group.name
    for resource in await cluster.resources():
        model.resources[resource.name] = await resource.state_info()
        seen[resource.id] = resource.name
    return model


# -- the live view ---------------------------------------------------------------------------


class ClusterView:
    """A :class:`ClusterModel` kept current by change notifications.

    Example::

        view = ClusterView(cluster)
        async with anyio.create_task_group() as tg:
            await tg.start(view.run)      # returns once the first snapshot is taken
            ...                           # view.model follows the cluster from now on
            tg.cancel_scope.cancel()

    A notification says *what* changed (``GROUP_STATE`` of ``'web'``); the view then asks
    the cluster for that object's current state. Asking, instead of working the state out
    from the events, keeps the model right however events of one object bunch up: the last
    query wins, and it is current.
    """

    def __init__(
        self, cluster: clusapi.Cluster, *, out: Callable[[str], object] | None = print
    ) -> None:
        self.cluster = cluster
        self.model = ClusterModel()
        #: Every change the view has seen, as printed.
        self.changes: list[str] = []
        self._out = out
        # Object id -> name, to notice renames (a notification carries the new name).
        self._names: dict[str, str] = {}

    async def run(
        self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED
    ) -> None:
        """Follow the cluster until cancelled."""
        async with self.cluster.notifications(WATCHED) as port:
            # Port first, snapshot second: a change in between is both in the snapshot and
            # in the port, and applying it twice is harmless. The other order could lose it.
            self.model = await snapshot(self.cluster, names=self._names)
            task_status.started()
            async for event in port:
                await self.apply(event)

    async def apply(self, event: clusapi.Notification) -> None:
        """Bring the model up to date with one notification."""
        change, name = event.change, event.name
        if event.object_id is not None:
            if change & _DELETIONS:
                self._names.pop(event.object_id, None)
            else:
                old = self._names.get(event.object_id)
                self._names[event.object_id] = name
                if old is not None and old != name:  # renamed: forget the old name
                    self._forget(change, old, event.time)
        if change & _NODE_CHANGES:
            await self._refresh_node(name, event.time)
        elif change & _GROUP_CHANGES:
            await self._refresh_group(name, event.time)
        elif change & _RESOURCE_CHANGES:
            await self._refresh_resource(name, event.time)
        elif change & _DELETIONS:
            self._forget(change, name, event.time)

    async def _refresh_node(self, name: str, time: float) -> None:
        try:
            async with await self.cluster.open_node(name) as node:
                state = await node.state()
        except (clusapi.ObjectNotFoundError, clusapi.ObjectUnavailableError):
            self._update(self.model.nodes, "node", name, None, _word, time)
        else:
            self._update(self.model.nodes, "node", name, state, _word, time)

    async def _refresh_group(self, name: str, time: float) -> None:
        try:
            async with await self.cluster.open_group(name) as group:
                info = await group.state_info()
        except (clusapi.ObjectNotFoundError, clusapi.ObjectUnavailableError):
            self._update(self.model.groups, "group", name, None, _where, time)
        else:
            self._update(self.model.groups, "group", name, info, _where, time)

    async def _refresh_resource(self, name: str, time: float) -> None:
        try:
            async with await self.cluster.open_resource(name) as resource:
                info = await resource.state_info()
        except (clusapi.ObjectNotFoundError, clusapi.ObjectUnavailableError):
            self._update(self.model.resources, "resource", name, None, _where, time)
        else:
            self._update(self.model.resources, "resource", name, info, _where, time)

    def _forget(self, change: ClusterChange, name: str, time: float) -> None:
        if change & (_NODE_CHANGES | ClusterChange.NODE_DELETED):
            self._update(self.model.nodes, "node", name, None, _word, time)
        elif change & (_GROUP_CHANGES | ClusterChange.GROUP_DELETED):
            self._update(self.model.groups, "group", name, None, _where, time)
        else:
            self._update(self.model.resources, "resource", name, None, _where, time)

    def _update(
        self,
        table: dict[str, _V],
        kind: str,
        name: str,
        new: _V | None,
        describe: Callable[[_V], str],
        time: float,
    ) -> None:
        old = table.get(name)
        if new == old:
            return  # a property change, or a state we already have: nothing to show
        if new is None:
            del table[name]
            text = f"{kind} {name!r} removed"
        else:
            table[name] = new
            was = "new" if old is None else describe(old)
            text = f"{kind} {name!r}: {was} -> {describe(new)}"
        self.changes.append(text)
        if self._out is not None:
            self._out(f"  [t={time:7.1f}s] {text}")


def _word(state: object) -> str:
    """``GroupState.PARTIAL_ONLINE`` -> ``"partial online"``."""
    return str(getattr(state, "name", state)).lower().replace("_", " ")


def _where(info: GroupStateInfo | ResourceStateInfo) -> str:
    return f"{_word(info.state)} on {info.owner}"


# -- the rolling upgrade ---------------------------------------------------------------------


async def simulated_upgrade(node: clusapi.Node) -> None:
    """Stand-in for installing new software on ``node``: ten minutes of cluster time."""
    await anyio.sleep(600)


async def wait_for_node_state(node: clusapi.Node, state: NodeState) -> None:
    """Wait until ``node`` is in ``state`` (a notify port says when to look again).

    Waits for ever; bound it with ``anyio.fail_after(seconds)`` around the call.
    """
    async with node.cluster.notifications(ClusterChange.NODE_STATE) as port:
        # Port first, then look: a change after the look is in the port.
        while await node.state() is not state:
            await port.receive()


async def announce(description: str) -> None:
    """The default ``on_step`` of :func:`rolling_upgrade`: print the step."""
    print(f"== {description}")


async def rolling_upgrade(
    cluster: clusapi.Cluster,
    *,
    upgrade: Callable[[clusapi.Node], Awaitable[None]] = simulated_upgrade,
    on_step: Callable[[str], Awaitable[None]] = announce,
) -> None:
    """Upgrade every node in turn while its groups run elsewhere.

    For each node: pause it, so that no group moves or fails over onto it; move each of its
    groups to the best other node (``group.move()``); ``await upgrade(node)``; wait until it
    is up (still paused) again, since an upgrade may reboot it; resume it; move its groups
    back. ``await on_step(description)`` follows each of these steps.

    Raises:
        HostNodeError: if no other node can host one of the groups (a one-node cluster, or
            every other node paused or down). The node stays paused, so nothing moves onto
            it, and it has not been upgraded.
        TimeoutError: if a node is not up again :data:`NODE_RETURN_LIMIT` seconds after its
            upgrade; it stays paused, and its groups stay where they were moved.
    """
    for node in await cluster.nodes():
        await node.pause()
        await on_step(f"{node.name} paused")
        home = await node.groups()
        for group in home:
            await group.move()
            owner = (await group.state_info()).owner
            await on_step(f"group {group.name!r} moved from {node.name} to {owner}")
        await upgrade(node)
        with anyio.fail_after(NODE_RETURN_LIMIT):  # an upgrade may reboot it: wait for it
            await wait_for_node_state(node, NodeState.PAUSED)
        await on_step(f"{node.name} upgraded")
        await node.resume()
        await on_step(f"{node.name} resumed")
        for group in home:
            if (await group.state_info()).owner != node.name:
                await group.move(node)
                await on_step(f"group {group.name!r} moved back to {node.name}")


# -- the demonstration -----------------------------------------------------------------------


class AppService(resapi.Resource):
    """A stand-in service for the demonstration: it takes a moment to start and to stop."""

    type_name = "App Service"

    def __init__(self, context: resapi.ResourceContext) -> None:
        super().__init__(context)
        self._running = False

    async def online(self) -> None:
        await anyio.sleep(2)  # starting up: the resource is Online Pending meanwhile
        self._running = True

    async def offline(self) -> None:
        await anyio.sleep(1)
        self._running = False

    async def terminate(self) -> None:
        self._running = False

    async def looks_alive(self) -> bool:
        return self._running

    async def is_alive(self) -> bool:
        return self._running


#: Group -> (its resources, in dependency order; preferred owners, most preferred first).
DEMO_GROUPS: Final = {
    "web": (("web ip", "web app"), ("NODE1", "NODE2", "NODE3")),
    "db": (("db service",), ("NODE2", "NODE3", "NODE1")),
    "files": (("file share",), ("NODE3", "NODE1", "NODE2")),
}


async def build_demo_cluster(cluster: clusapi.Cluster) -> None:
    """Three groups, each online on its most preferred node; ``web app`` needs ``web ip``."""
    await cluster.create_resource_type(AppService)
    for name, (resources, preferred) in DEMO_GROUPS.items():
        group = await cluster.create_group(name)
        await group.set_preferred_owners(list(preferred))
        previous: clusapi.Resource | None = None
        for resource_name in resources:
            resource = await group.create_resource(resource_name, AppService.type_name)
            if previous is not None:
                await resource.add_dependency(previous)
            previous = resource
        await group.online(preferred[0])


@attrs.frozen
class UpgradeDemo:
    """What :func:`run_demo` saw."""

    #: The view, stopped, with every change it saw.
    view: ClusterView
    #: Each step, and whether the view agreed with a fresh snapshot right after it.
    steps: tuple[tuple[str, bool], ...]


async def run_demo(
    *,
    after_step: Callable[[ReferenceEnvironment, ClusterView, str], Awaitable[None]] | None = None,
    out: Callable[[str], object] = print,
) -> UpgradeDemo:
    """Build the demonstration cluster, watch it, and upgrade it node by node.

    The upgrade of a node is ten minutes of installing and then a reboot (the node goes down
    and comes back; it stays paused across the reboot). After each step the view is compared
    with a fresh snapshot; ``after_step(env, view, description)`` may look further.
    """
    async with open_reference_cluster(nodes=("NODE1", "NODE2", "NODE3")) as env:
        cluster = env.cluster
        view = ClusterView(cluster, out=out)

        async def upgrade_and_reboot(node: clusapi.Node) -> None:
            await simulated_upgrade(node)
            out(f"   rebooting {node.name}")
            env.crash_node(node.name)
            await env.advance(10)  # the others notice it is down (node_timeout: 5 s)
            await env.restart_node(node.name)

        steps: list[tuple[str, bool]] = []

        async def check(description: str) -> None:
            await env.settle()  # let the view take in every notification so far
            out(f"== {description}")
            agrees = view.model == await snapshot(cluster)
            steps.append((description, agrees))
            out(f"   view agrees with the cluster: {'yes' if agrees else 'NO'}")
            if after_step is not None:
                await after_step(env, view, description)

        async with anyio.create_task_group() as tg:
            await tg.start(view.run)
            await build_demo_cluster(cluster)
            await check("three groups built, each on its preferred node")
            out(view.model.render())
            await rolling_upgrade(cluster, upgrade=upgrade_and_reboot, on_step=check)
            out("after the rolling upgrade:")
            out(view.model.render())
            tg.cancel_scope.cancel()
    return UpgradeDemo(view=view, steps=tuple(steps))


async def main() -> int:
    """Run the demonstration; 0 if the view agreed with the cluster after every step."""
    demo = await run_demo()
    wrong = [description for description, agrees in demo.steps if not agrees]
    print(
        f"the view disagreed with the cluster after: {wrong}"
        if wrong
        else f"the view agreed with the cluster after all {len(demo.steps)} steps"
    )
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(anyio.run(main, backend_options={"loop_factory": VirtualClock().new_event_loop}))
