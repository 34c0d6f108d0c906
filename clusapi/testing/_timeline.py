"""What happened in a reference cluster, as structured history: the record behind
``env.timeline(path)``.

The recorder listens to the runtime's change events from the moment the cluster is made (a
synchronous listener, so it reads each object's new state, owner and node as they are at that
moment) and keeps one :class:`Change` per state change, one :class:`Mark` per crash, restart,
failure and move, and every emitted notification. The picture is drawn from that record and
the cluster log by :mod:`._timeline_svg`, never by parsing log text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Literal

import attrs

from clusapi._enums import ClusterChange, LogLevel, ResourceState
from clusapi._values import Notification

if TYPE_CHECKING:
    from collections.abc import Sequence

    from clusapi._backends.reference._model import ClusterLogEntry
    from clusapi._backends.reference._state import ClusterState

__all__ = ("Change", "Lane", "Mark", "Timeline", "TimelineRecorder")

#: The object kinds that get a row each, in the order of the picture's sections.
LaneKind = Literal["node", "group", "resource"]

#: The picture's sections, in order.
LANE_KINDS: Final[tuple[LaneKind, ...]] = ("node", "group", "resource")

#: What a :class:`Mark` stands for.
MarkKind = Literal["crash", "restart", "failure", "move", "warning", "error"]

#: The node's pseudo-state between a crash and the others noticing it (its state still says
#: Up then: its heartbeats have not timed out yet).
CRASHED: Final = "CRASHED"

#: The state a row takes when its object is deleted: no band after it.
DELETED: Final = "DELETED"

_NODE_EVENTS: Final = ClusterChange.NODE_STATE | ClusterChange.NODE_ADDED
_GROUP_EVENTS: Final = ClusterChange.GROUP_STATE | ClusterChange.GROUP_ADDED
_RESOURCE_EVENTS: Final = ClusterChange.RESOURCE_STATE | ClusterChange.RESOURCE_ADDED
_DELETED_EVENTS: Final = {
    ClusterChange.NODE_DELETED: "node",
    ClusterChange.GROUP_DELETED: "group",
    ClusterChange.RESOURCE_DELETED: "resource",
}


@attrs.frozen
class Change:
    """One object entered ``state`` at ``time`` (cluster seconds); ``where`` is the node that
    owns the group or runs the resource then (None: none, or a node's own row)."""

    time: float
    kind: LaneKind
    object_id: str
    name: str
    state: str
    where: str | None = None


@attrs.frozen
class Mark:
    """A moment worth a marker: a crash, a restart, a failure, a move, a logged warning."""

    time: float
    kind: MarkKind
    #: The row it belongs to ((kind, object id)); None for the cluster log's row.
    lane: tuple[LaneKind, str] | None
    text: str


@attrs.frozen
class Lane:
    """One row of the picture: an object and its states over time, with its markers."""

    kind: LaneKind
    object_id: str
    #: Its latest name (a renamed object keeps one row).
    name: str
    changes: tuple[Change, ...]
    marks: tuple[Mark, ...]


@attrs.frozen
class Timeline:
    """A finished record: what the picture shows."""

    cluster_name: str
    #: Cluster seconds covered: from 0 to ``end``.
    end: float
    lanes: tuple[Lane, ...]
    #: Warnings and errors of the cluster log, and marks that belong to no row.
    log_marks: tuple[Mark, ...]
    notifications: tuple[Notification, ...]

    def lanes_of(self, kind: LaneKind) -> tuple[Lane, ...]:
        return tuple(lane for lane in self.lanes if lane.kind == kind)


class TimelineRecorder:
    """Keeps the history of one reference cluster; attach it before the cluster starts.

    Example::

        recorder = TimelineRecorder(runtime.state)
        ...
        timeline = recorder.timeline(runtime.state.cluster_log)
    """

    def __init__(self, state: ClusterState) -> None:
        self._state = state
        self._changes: list[Change] = []
        #: Each row's latest change: a change equal to it is not kept.
        self._latest: dict[tuple[LaneKind, str], Change] = {}
        self._marks: list[Mark] = []
        self._notifications: list[Notification] = []
        self._end: float | None = None
        now = state.cluster_time()
        for node in state.nodes:  # the nodes exist before any event: their first state
            self._add(Change(now, "node", node.id, node.name, node.state.name))
        state.events.listen(self._on_event)

    def _on_event(self, event: Notification) -> None:
        self._notifications.append(event)
        ident = event.object_id
        if ident is None:
            return
        state = self._state
        change = event.change
        if change & _NODE_EVENTS:
            node = state.nodes.by_id.get(ident)
            if node is not None:
                self._add(Change(event.time, "node", ident, node.name, node.state.name))
        elif change & _GROUP_EVENTS:
            group = state.groups.by_id.get(ident)
            if group is not None:
                owner = self._node_name(group.owner)
                previous = self._last("group", ident)
                if previous is not None and previous.where not in (None, owner):
                    self._marks.append(
                        Mark(
                            event.time,
                            "move",
                            ("group", ident),
                            f"{group.name} moved from {previous.where} to {owner}",
                        )
                    )
                self._add(Change(event.time, "group", ident, group.name, group.state.name, owner))
        elif change & _RESOURCE_EVENTS:
            res = state.resources.by_id.get(ident)
            if res is not None:
                where = self._node_name(res.node)
                self._add(Change(event.time, "resource", ident, res.name, res.state.name, where))
                if res.state is ResourceState.FAILED:
                    on = f" on {where}" if where is not None else ""
                    self._marks.append(
                        Mark(event.time, "failure", ("resource", ident), f"{res.name} failed{on}")
                    )
        elif change in _DELETED_EVENTS:
            kind: LaneKind = _DELETED_EVENTS[change]  # type: ignore[assignment]
            self._add(Change(event.time, kind, ident, event.name, DELETED))

    def _add(self, change: Change) -> None:
        key = (change.kind, change.object_id)
        last = self._latest.get(key)
        if last is not None and (last.state, last.where, last.name) == (
            change.state,
            change.where,
            change.name,
        ):
            return  # an event that changed nothing the picture shows
        self._latest[key] = change
        self._changes.append(change)

    def _last(self, kind: LaneKind, object_id: str) -> Change | None:
        return self._latest.get((kind, object_id))

    def _node_name(self, node_id: str | None) -> str | None:
        node = self._state.nodes.by_id.get(node_id) if node_id is not None else None
        return node.name if node is not None else None

    def node_crashed(self, name: str) -> None:
        """The environment crashed node ``name`` (its state says Up until the others notice)."""
        node = self._state.find_node(name)
        now = self._state.cluster_time()
        self._add(Change(now, "node", node.id, node.name, CRASHED))
        self._marks.append(Mark(now, "crash", ("node", node.id), f"{node.name} crashed"))

    def node_restarted(self, name: str) -> None:
        """The environment started node ``name`` again (it rejoins at the next round)."""
        node = self._state.find_node(name)
        now = self._state.cluster_time()
        self._marks.append(Mark(now, "restart", ("node", node.id), f"{node.name} restarted"))

    def close(self) -> None:
        """The cluster closed: the record ends now (cluster time stops with it)."""
        if self._end is None:
            self._end = self._state.cluster_time()

    def timeline(self, log: Sequence[ClusterLogEntry]) -> Timeline:
        """The record so far, with the warnings and errors of ``log`` as markers."""
        end = self._end if self._end is not None else self._state.cluster_time()
        log_marks = tuple(
            Mark(
                entry.time,
                "error" if entry.level >= LogLevel.ERROR else "warning",
                None,
                entry.format().strip(),
            )
            for entry in log
            if entry.level >= LogLevel.WARNING
        )
        order: dict[tuple[LaneKind, str], list[Change]] = {}
        for change in self._changes:
            order.setdefault((change.kind, change.object_id), []).append(change)
        marks: dict[tuple[LaneKind, str], list[Mark]] = {}
        for mark in self._marks:
            if mark.lane is not None:
                marks.setdefault(mark.lane, []).append(mark)
        lanes = tuple(
            Lane(kind, ident, changes[-1].name, tuple(changes), tuple(marks.get((kind, ident), ())))
            for section in LANE_KINDS
            for (kind, ident), changes in order.items()
            if kind == section
        )
        # A record read after its clock stopped still covers every change.
        latest = max((c.time for c in self._changes), default=0.0)
        return Timeline(
            self._state.cluster_name,
            max(end, latest),
            lanes,
            log_marks,
            tuple(self._notifications),
        )
