"""Change notifications on Pacemaker: snapshots of the cluster, compared one after another.

The :class:`EventHub` keeps the last :class:`ClusterView` it saw and compares every new one
with it (:func:`observe`, :func:`diff`), turning each difference into one ``CLUSTER_CHANGE_*``
event: a waiting port takes a snapshot at most every ``poll_interval`` seconds, and every
snapshot the backend takes for its own work is compared too. What is compared, the order of
the events and what happens when the cluster stops answering: ``docs/pacemaker.md``
("Notifications").
"""

from __future__ import annotations

import enum
import logging
import math
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

import anyio
import attrs
from anyio.streams.memory import (
    MemoryObjectReceiveStream,
    MemoryObjectSendStream,
    MemoryObjectStreamStatistics,
)

from clusapi._enums import ClusterChange, GroupState, NodeState, ResourceState
from clusapi._errors import ClusterUnavailableError
from clusapi._values import Notification

from ._cib import ClusterView
from ._mapping import group_common, resource_common

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

__all__ = ("EventHub", "Observed", "details", "diff", "log_change", "observe")

C = ClusterChange
#: crm_config options that change on their own (not a configuration change by anyone).
_VOLATILE_OPTIONS = frozenset({"last-lrm-refresh", "dc-version", "have-watchdog"})


@attrs.frozen
class Observed:
    """What is compared between two snapshots: per object, (name, state key, property key).

    The state keys of resources and groups begin with (state, owner name), a node's state key
    is its state: what a state event carries. ``view`` is the snapshot itself, to name the
    properties that changed (only for the objects whose property key did).
    """

    nodes: Mapping[str, tuple[str, object, object]]
    resources: Mapping[str, tuple[str, object, object]]
    groups: Mapping[str, tuple[str, object, object]]
    quorum: bool
    options: object
    view: ClusterView | None = attrs.field(default=None, eq=False, repr=False)


def observe(view: ClusterView) -> Observed:
    """The comparable parts of a snapshot."""
    nodes = {
        n.id: (
            n.name,
            n.state,
            tuple(sorted((k, v) for k, v in n.attributes.items() if k != "standby")),
        )
        for n in view.nodes.values()
    }
    resources: dict[str, tuple[str, object, object]] = {}
    groups: dict[str, tuple[str, object, object]] = {}
    for group in view.groups.values():
        histories = []
        for rid in group.members:
            prim = view.primitives[rid]
            histories.append(prim.history)
            props = (
                prim.group,
                prim.agent,
                prim.description,
                tuple(sorted(prim.params.items())),
                tuple(sorted((k, v) for k, v in prim.meta.items() if k != "target-role")),
                prim.ops,
                tuple(sorted(view.depends_on(rid))),
                tuple(n.id for n in view.possible_owners(rid)),
            )
            resources[rid] = (rid, (prim.state, group.owner, prim.history), props)
        group_props = (
            group.description,
            tuple(sorted(group.meta.items())),
            group.members,
            tuple((p.node, p.score) for p in view.preferred_owners(group.id)),
        )
        groups[group.id] = (group.id, (group.state, group.owner, tuple(histories)), group_props)
    options = tuple(sorted((k, v) for k, v in view.options.items() if k not in _VOLATILE_OPTIONS))
    return Observed(nodes, resources, groups, view.have_quorum, options, view)


def _named_properties(view: ClusterView, kind: str, object_id: str) -> dict[str, object]:
    """An object's properties by the names the Cluster API reads them by (common and
    private); an object the view does not have has none."""
    if kind == "resource" and object_id in view.primitives:
        prim = view.primitives[object_id]
        named = {**prim.params, **resource_common(prim, view.rsc_defaults)}
    elif kind == "group" and object_id in view.groups:
        named = group_common(view, view.groups[object_id])
    elif kind == "node" and object_id in view.nodes:
        return dict(view.nodes[object_id].attributes)
    elif kind == "cluster":
        return dict(view.options)
    else:
        return {}
    # PersistentState follows the target-role, which an online or offline sets: a state
    # change, not a property event (the reference runtime sends none for it either).
    named.pop("PersistentState", None)
    return named


def details(
    change: ClusterChange, object_id: str | None, old: Observed, new: Observed
) -> tuple[ResourceState | GroupState | NodeState | None, str | None, tuple[str, ...]]:
    """What one event of :func:`diff` carries (``Notification.state``, ``.owner`` and
    ``.properties``), read from the two snapshots it came from."""
    change_name = change.name or ""
    kind = change_name.partition("_")[0].lower()
    if change_name.endswith("_STATE") and object_id is not None:
        if kind == "node" and object_id in new.nodes:
            state = new.nodes[object_id][1]
            return (state if isinstance(state, NodeState) else None), None, ()
        section = {"resource": new.resources, "group": new.groups}.get(kind, {})
        if object_id in section:
            state, owner = section[object_id][1][:2]  # type: ignore[index]
            if isinstance(state, ResourceState | GroupState):
                return state, (owner if isinstance(owner, str) else None), ()
        return None, None, ()
    if change_name.endswith("_PROPERTY") and old.view is not None and new.view is not None:
        ident = object_id if object_id is not None else ""
        before = _named_properties(old.view, kind, ident)
        after = _named_properties(new.view, kind, ident)
        changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
        if kind == "cluster":
            changed -= _VOLATILE_OPTIONS
        return None, None, tuple(sorted(changed))
    return None, None, ()


def _section(
    old: Mapping[str, tuple[str, object, object]],
    new: Mapping[str, tuple[str, object, object]],
    kinds: tuple[ClusterChange, ClusterChange, ClusterChange, ClusterChange],
) -> list[tuple[ClusterChange, str, str]]:
    added, deleted, state, prop = kinds
    events: list[tuple[ClusterChange, str, str]] = []
    for key, (name, _, _) in new.items():
        if key not in old:
            events.append((added, name, key))
    for key, (name, state_key, prop_key) in new.items():
        if key in old:
            if old[key][1] != state_key:
                events.append((state, name, key))
            if old[key][2] != prop_key:
                events.append((prop, name, key))
    for key, (name, _, _) in old.items():
        if key not in new:
            events.append((deleted, name, key))
    return events


def diff(old: Observed, new: Observed) -> list[tuple[ClusterChange, str, str | None]]:
    """The events that lead from ``old`` to ``new``, in delivery order (module docstring)."""
    events: list[tuple[ClusterChange, str, str | None]] = []
    events += _section(
        old.nodes, new.nodes, (C.NODE_ADDED, C.NODE_DELETED, C.NODE_STATE, C.NODE_PROPERTY)
    )
    events += _section(
        old.resources,
        new.resources,
        (C.RESOURCE_ADDED, C.RESOURCE_DELETED, C.RESOURCE_STATE, C.RESOURCE_PROPERTY),
    )
    events += _section(
        old.groups, new.groups, (C.GROUP_ADDED, C.GROUP_DELETED, C.GROUP_STATE, C.GROUP_PROPERTY)
    )
    if old.quorum != new.quorum:
        events.append((C.QUORUM_STATE, "quorum", None))
    if old.options != new.options:
        events.append((C.CLUSTER_PROPERTY, "cluster", None))
    return events


#: States a change to which is logged as a warning, not as information.
_TROUBLE: Final = (NodeState.DOWN, ResourceState.FAILED, GroupState.FAILED)


def log_change(
    cluster: str, change: ClusterChange, name: str, object_id: str | None, new: Observed
) -> None:
    """Write one observed change to the stdlib logging hierarchy, as the reference runtime
    writes its cluster log (docs/cluster-api.md, "Logging"): a node's changes to
    ``clusapi.node.<name>``, a resource's or group's to ``clusapi.node.<owner>`` when it has
    one, the rest to ``clusapi.cluster``; the objects' names in ``extra``."""
    change_name = change.name or str(int(change))
    kind = change_name.partition("_")[0].lower()  # node, resource, group, quorum, cluster
    extra: dict[str, object] = {"cluster": cluster, "node": None, "change": change_name}
    state: object = None
    owner: str | None = None
    if kind == "node":
        extra["node"] = owner = name
        if object_id is not None and object_id in new.nodes:
            state = new.nodes[object_id][1]
    elif kind in ("resource", "group"):
        extra[kind] = name
        section = new.resources if kind == "resource" else new.groups
        if object_id is not None and object_id in section:
            state, owner = section[object_id][1][:2]  # type: ignore[index]
            extra["node"] = owner
    # By identity: the three enums are IntEnums, and ResourceState.ONLINE == NodeState.DOWN.
    level = logging.WARNING if any(state is bad for bad in _TROUBLE) else logging.INFO
    if change is C.QUORUM_STATE:
        state = "quorum" if new.quorum else "no quorum"
        level = logging.INFO if new.quorum else logging.WARNING
    logger = logging.getLogger("clusapi.cluster" if owner is None else f"clusapi.node.{owner}")
    if not logger.isEnabledFor(level):
        return
    what = change_name.lower().replace("_", " ")
    if change_name.endswith("_PROPERTY"):
        text = f"{what}: {name} changed"
    elif isinstance(state, enum.Enum):
        extra["state"] = state.name
        where = f" on {owner}" if kind != "node" and owner else ""
        text = f"{what}: {name} is {state.name}{where}"
    elif state is not None:
        text = f"{what}: {state}"
    else:
        text = f"{what}: {name}"
    logger.log(level, "%s", text, extra=extra)


@attrs.define(eq=False)
class _Port:
    """One open notify port: what it listens for, and where its events go."""

    filter: ClusterChange
    send: MemoryObjectSendStream[Notification]


class PolledNotifications:
    """A notify port's stream (a :class:`~clusapi.lowlevel.NotificationStream`) that takes a
    snapshot when it would otherwise wait: no background task polls for an idle port."""

    def __init__(
        self, queue: MemoryObjectReceiveStream[Notification], hub: EventHub, port: _Port
    ) -> None:
        self._queue = queue
        self._hub = hub
        self._port = port

    async def receive(self) -> Notification:
        while True:
            try:
                return self._queue.receive_nowait()
            except anyio.WouldBlock:
                pass
            await self._hub.poll()

    def receive_nowait(self) -> Notification:
        return self._queue.receive_nowait()

    def statistics(self) -> MemoryObjectStreamStatistics:
        return self._queue.statistics()

    def close(self) -> None:
        self._queue.close()
        self._hub.drop(self._port)

    async def aclose(self) -> None:
        self.close()


class EventHub:
    """The last snapshot and the open ports of one backend (module docstring)."""

    def __init__(self, refresh: Callable[[], Awaitable[object]], poll_interval: float) -> None:
        self._refresh = refresh
        self.poll_interval = poll_interval
        self._ports: list[_Port] = []
        self._last: Observed | None = None
        self._reachable = True
        self._name = "cluster"
        self._polled_at = -math.inf
        self._lock = anyio.Lock()

    def open(self, change_filter: ClusterChange, view: ClusterView) -> PolledNotifications:
        """A new port; ``view`` is the baseline if it is the first one."""
        send, receive = anyio.create_memory_object_stream[Notification](math.inf)
        if not self._ports:
            self._last = observe(view)
            self._polled_at = time.monotonic()
        port = _Port(change_filter, send)
        self._ports.append(port)
        return PolledNotifications(receive, self, port)

    def feed(self, view: ClusterView) -> None:
        """Compare a fresh snapshot with the last one, queue the events and log them.

        Snapshots are compared without a port too, so that the changes the backend sees go
        to the ``clusapi`` loggers (docs/cluster-api.md, "Logging").
        """
        self._polled_at = time.monotonic()
        self._name = view.name
        new = observe(view)
        if not self._reachable:
            self._reachable = True
            self.emit(C.CLUSTER_RECONNECT, view.name)
            log_change(view.name, C.CLUSTER_RECONNECT, view.name, None, new)
        if self._last is not None:
            for change, name, object_id in diff(self._last, new):
                if self._ports:
                    state, owner, properties = details(change, object_id, self._last, new)
                    self.emit(
                        change, name, object_id, state=state, owner=owner, properties=properties
                    )
                log_change(view.name, change, name, object_id, new)
        self._last = new

    def emit(
        self,
        change: ClusterChange,
        name: str,
        object_id: str | None = None,
        *,
        state: ResourceState | GroupState | NodeState | None = None,
        owner: str | None = None,
        properties: tuple[str, ...] = (),
    ) -> None:
        """Queue one event on every port whose filter takes it (with what it carries, see
        :class:`~clusapi.Notification`)."""
        if not self._ports:
            return
        event = Notification(
            change, name, object_id, time.time(), state=state, owner=owner, properties=properties
        )
        for port in list(self._ports):
            if not port.filter & change:
                continue
            try:
                port.send.send_nowait(event)
            except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                self.drop(port)

    def unreachable(self, name: str) -> None:
        """The cluster stopped answering: one CLUSTER_STATE event until it answers again."""
        self._polled_at = time.monotonic()
        if self._reachable:
            self._reachable = False
            self.emit(C.CLUSTER_STATE, name)
            logging.getLogger("clusapi.cluster").warning(
                "cluster %s stopped answering", name, extra={"cluster": name, "node": None}
            )

    async def poll(self) -> None:
        """Wait for the poll interval to come round, then take a snapshot (one at a time)."""
        async with self._lock:
            wait = self._polled_at + self.poll_interval - time.monotonic()
            if wait > 0:
                await anyio.sleep(wait)
            try:
                await self._refresh()
            except ClusterUnavailableError:
                self.unreachable(self._name)

    def drop(self, port: _Port) -> None:
        """Stop feeding a port (its reader closed it, or the backend closes). Idempotent."""
        port.send.close()
        if port in self._ports:
            self._ports.remove(port)

    def close(self) -> None:
        """End every port (their readers see the end of the stream)."""
        for port in list(self._ports):
            self.drop(port)
