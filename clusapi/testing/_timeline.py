"""What happened in a reference cluster, as structured history: the record behind
``env.timeline(path)``.

The recorder listens to the runtime's change events from the moment the cluster is made (a
synchronous listener, so it reads each object's new state, owner and node as they are at that
moment) and keeps every event, with the crashes and restarts the environment makes. It is on
in every reference cluster, so it keeps each event in a few packed arrays (about 30 bytes
each) and builds the :class:`Change`, :class:`Mark` and :class:`Lane` objects only when a
timeline is asked for. The picture is drawn from that and the cluster log by
:mod:`._timeline_svg`, never by parsing log text.
"""

from __future__ import annotations

from array import array
from typing import TYPE_CHECKING, Final, Literal

import attrs

from clusapi._enums import ClusterChange, GroupState, LogLevel, NodeState, ResourceState
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

# The masks as plain ints: an IntFlag's `&` runs Python code of the enum module, and the
# recorder tests every event of the cluster (thousands per second in a big online).
_NODE_EVENTS: Final = int(ClusterChange.NODE_STATE | ClusterChange.NODE_ADDED)
_GROUP_EVENTS: Final = int(ClusterChange.GROUP_STATE | ClusterChange.GROUP_ADDED)
_RESOURCE_EVENTS: Final = int(ClusterChange.RESOURCE_STATE | ClusterChange.RESOURCE_ADDED)
_DELETED_EVENTS: Final[dict[int, LaneKind]] = {
    int(ClusterChange.NODE_DELETED): "node",
    int(ClusterChange.GROUP_DELETED): "group",
    int(ClusterChange.RESOURCE_DELETED): "resource",
}
#: The events that change a row; the others (property changes, registry values) only tick.
_PICTURED: Final = _NODE_EVENTS | _GROUP_EVENTS | _RESOURCE_EVENTS | sum(_DELETED_EVENTS)


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
    #: Every change notification, in order.
    notifications: tuple[Notification, ...]

    def lanes_of(self, kind: LaneKind) -> tuple[Lane, ...]:
        return tuple(lane for lane in self.lanes if lane.kind == kind)


#: The object kinds' numbers in the packed record.
_KIND_NUMBERS: Final[dict[LaneKind, int]] = {"node": 0, "group": 1, "resource": 2}
#: The states' enums by kind number.
_STATE_ENUMS: Final = (NodeState, GroupState, ResourceState)
#: Packed states that are not a value of those enums (they are all >= -1).
_NO_STATE: Final = -1000
_CRASHED: Final = -1001
_DELETED: Final = -1002
#: Packed "no object" / "no node".
_NONE: Final = -1


class TimelineRecorder:
    """Keeps the history of one reference cluster; attach it before the cluster starts.

    Example::

        recorder = TimelineRecorder(runtime.state)
        ...
        timeline = recorder.timeline(runtime.state.cluster_log)
    """

    def __init__(self, state: ClusterState) -> None:
        self._state = state
        # One entry per event (and per crash, with change 0), in order: its time, change
        # bit, name, the object's number, its state then, and the number of the node that
        # owned or ran it then. Arrays of machine numbers: a big online emits tens of
        # thousands of events, and a list of objects per event would cost a kilobyte per
        # resource and the garbage collector's time.
        self._times = array("d")
        self._changes = array("q")
        self._names: list[str] = []
        self._objects = array("q")
        self._states = array("h")
        self._wheres = array("q")
        #: Object id -> its number; and by number, its kind, id and latest name.
        self._numbers: dict[str, int] = {}
        self._kinds: list[LaneKind] = []
        self._ids: list[str] = []
        self._labels: list[str] = []
        self._restarts: list[tuple[float, int]] = []
        self._end: float | None = None
        now = state.cluster_time()
        for node in state.nodes:  # the nodes exist before any event: their first state
            self._append(now, 0, node.name, self._number("node", node.id, node.name), node.state)
        state.events.listen(self._on_event)

    def _number(self, kind: LaneKind, ident: str, name: str) -> int:
        number = self._numbers.get(ident)
        if number is None:
            number = self._numbers[ident] = len(self._ids)
            self._kinds.append(kind)
            self._ids.append(ident)
            self._labels.append(name)
        else:
            self._labels[number] = name  # a renamed object keeps its row, under its new name
        return number

    def _append(
        self, time: float, change: int, name: str, number: int, state: int, where: int = _NONE
    ) -> None:
        self._times.append(time)
        self._changes.append(change)
        self._names.append(name)
        self._objects.append(number)
        self._states.append(state)
        self._wheres.append(where)

    def _on_event(self, change: ClusterChange, name: str, ident: str | None, time: float) -> None:
        # The hot path: every event of the cluster. Plain ints (an IntFlag's `&` runs Python
        # code of the enum module), one record lookup, six appends.
        bit = int(change)
        if ident is None or not bit & _PICTURED:
            self._append(time, bit, name, _NONE, _NO_STATE)
            return
        state = self._state
        if bit & _RESOURCE_EVENTS:
            res = state.resources.by_id.get(ident)
            if res is not None:
                self._placed(time, bit, name, "resource", ident, res.name, res.state, res.node)
                return
        elif bit & _GROUP_EVENTS:
            group = state.groups.by_id.get(ident)
            if group is not None:
                self._placed(time, bit, name, "group", ident, group.name, group.state, group.owner)
                return
        elif bit & _NODE_EVENTS:
            node = state.nodes.by_id.get(ident)
            if node is not None:
                self._append(time, bit, name, self._number("node", ident, node.name), node.state)
                return
        elif ident in self._numbers:  # deleted
            self._append(time, bit, name, self._numbers[ident], _DELETED)
            return
        self._append(time, bit, name, _NONE, _NO_STATE)

    def _placed(
        self,
        time: float,
        bit: int,
        name: str,
        kind: LaneKind,
        ident: str,
        label: str,
        state: int,
        node_id: str | None,
    ) -> None:
        """A group's or resource's event, with the node that owns or runs it then."""
        where = self._numbers.get(node_id, _NONE) if node_id is not None else _NONE
        self._append(time, bit, name, self._number(kind, ident, label), state, where)

    def node_crashed(self, name: str) -> None:
        """The environment crashed node ``name`` (its state says Up until the others notice)."""
        node = self._state.find_node(name)
        number = self._number("node", node.id, node.name)
        self._append(self._state.cluster_time(), 0, node.name, number, _CRASHED)

    def node_restarted(self, name: str) -> None:
        """The environment started node ``name`` again (it rejoins at the next round)."""
        node = self._state.find_node(name)
        number = self._number("node", node.id, node.name)
        self._restarts.append((self._state.cluster_time(), number))

    def close(self) -> None:
        """The cluster closed: the record ends now (cluster time stops with it)."""
        if self._end is None:
            self._end = self._state.cluster_time()

    def timeline(self, log: Sequence[ClusterLogEntry]) -> Timeline:
        """The record so far, with the warnings and errors of ``log`` as markers."""
        changes: dict[int, list[Change]] = {}
        marks: dict[int, list[Mark]] = {}
        notifications: list[Notification] = []
        labels, kinds, ids = self._labels, self._kinds, self._ids
        for time, bit, name, number, packed, where in zip(
            self._times,
            self._changes,
            self._names,
            self._objects,
            self._states,
            self._wheres,
            strict=True,
        ):
            if bit:
                notifications.append(Notification(ClusterChange(bit), name, None, time))
            if number == _NONE:
                continue
            kind, label = kinds[number], labels[number]
            lane: tuple[LaneKind, str] = (kind, ids[number])
            if packed == _CRASHED:
                marks.setdefault(number, []).append(Mark(time, "crash", lane, f"{label} crashed"))
                state = CRASHED
            elif packed == _DELETED:
                state = DELETED
            else:
                state = _STATE_ENUMS[_KIND_NUMBERS[kind]](packed).name
            owner = labels[where] if where != _NONE else None
            row = changes.setdefault(number, [])
            last = row[-1] if row else None
            if last is not None and (last.state, last.where) == (state, owner):
                continue  # an event that changed nothing the picture shows
            if (
                kind == "group"
                and last is not None
                and last.where is not None
                and owner is not None
                and last.where != owner
            ):
                text = f"{label} moved from {last.where} to {owner}"
                marks.setdefault(number, []).append(Mark(time, "move", lane, text))
            if kind == "resource" and state == "FAILED":
                on = f" on {owner}" if owner is not None else ""
                marks.setdefault(number, []).append(
                    Mark(time, "failure", lane, f"{label} failed{on}")
                )
            row.append(Change(time, kind, ids[number], label, state, owner))
        for time, number in self._restarts:
            lane = (kinds[number], ids[number])
            text = f"{labels[number]} restarted"
            marks.setdefault(number, []).append(Mark(time, "restart", lane, text))
        lanes = tuple(
            Lane(
                kind,
                ids[number],
                labels[number],
                tuple(row),
                tuple(sorted(marks.get(number, ()), key=lambda m: m.time)),
            )
            for kind in LANE_KINDS
            for number, row in changes.items()
            if kinds[number] == kind
        )
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
        end = self._end if self._end is not None else self._state.cluster_time()
        # A record read after its clock stopped still covers every event.
        latest = self._times[-1] if self._times else 0.0
        return Timeline(
            self._state.cluster_name, max(end, latest), lanes, log_marks, tuple(notifications)
        )
