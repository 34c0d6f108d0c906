"""The invariant checker's parts: the shared-nothing timeline (I1), the event-stream check (I4)
and the ledger that counts checks and collects violations."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Final

import attrs

from clusapi._enums import ClusterChange

if TYPE_CHECKING:
    from collections.abc import Sequence

    from clusapi._values import Notification


@attrs.frozen
class TimelineEvent:
    """What a resource instance saw: at cluster ``time``, on ``node``, instance ``instance``
    (a serial number) of ``resource`` (in ``group``) had ``event``: one of ``online``,
    ``online_done``, ``offline``, ``offline_done``, ``terminate``."""

    time: float
    node: str
    resource: str
    group: str
    instance: int
    event: str


def check_timeline(events: Sequence[TimelineEvent]) -> tuple[int, list[str]]:
    """Invariant I1 over a timeline: returns (checks made, violations).

    An instance is active from ``online`` until ``offline_done`` or ``terminate``. At each
    ``online``: no other instance of the resource is active, and no instance of a resource of
    the same group is active on another node.
    """
    checks = 0
    violations: list[str] = []
    # resource -> {instance: node}; group -> {instance: (node, resource)}
    by_resource: dict[str, dict[int, str]] = {}
    by_group: dict[str, dict[int, tuple[str, str]]] = {}
    for e in events:
        mine = by_resource.setdefault(e.resource, {})
        group = by_group.setdefault(e.group, {})
        if e.event == "online":
            checks += 2
            others = {i: n for i, n in mine.items() if i != e.instance}
            if others:
                violations.append(
                    f"I1 at t={e.time:.3f}: resource {e.resource!r} came online on {e.node} "
                    f"while still active on {sorted(set(others.values()))}"
                )
            elsewhere = sorted({(n, r) for i, (n, r) in group.items() if n != e.node})
            if elsewhere:
                violations.append(
                    f"I1 at t={e.time:.3f}: group {e.group!r} online on two nodes: "
                    f"{e.resource!r} came online on {e.node} while "
                    + ", ".join(f"{r!r} is active on {n}" for n, r in elsewhere)
                )
            mine[e.instance] = e.node
            group[e.instance] = (e.node, e.resource)
        elif e.event in ("offline_done", "terminate"):
            mine.pop(e.instance, None)
            group.pop(e.instance, None)
    return checks, violations


# ============================================================================ counting checks


class _Ledger:
    """Counts checks and collects violations."""

    def __init__(self) -> None:
        self.checked = 0
        self.violations: list[str] = []

    def check(self, ok: bool) -> bool:
        """Count one invariant checked; return whether it held (then call :meth:`fail`)."""
        self.checked += 1
        return ok

    def fail(self, message: str) -> None:
        self.violations.append(message)


class _EventStreamChecker:
    """Invariant I4 over successive samples (docs/testing.md): between two samples, an
    object whose sampled state changed got at least one state event; every event lies in its
    window and each object's events come in non-decreasing time; the filtered port delivers
    exactly the ALL port's events of its kinds."""

    KINDS: Final = (ClusterChange.RESOURCE_STATE, ClusterChange.GROUP_STATE)

    def __init__(self, names: dict[str, str]) -> None:
        self.names = names
        self.last_states: dict[str, object] | None = None
        self.last_time = 0.0
        self.last_event: dict[str, float] = {}

    def observe(
        self,
        now: float,
        states: dict[str, object],
        events: Sequence[Notification],
        filtered: Sequence[Notification],
        ledger: _Ledger,
    ) -> None:
        prev = self.last_time
        subsequence = [e for e in events if e.change in self.KINDS]
        if not ledger.check(subsequence == list(filtered)):
            ledger.fail(
                f"I4 at t={now:.3f}: the RESOURCE_STATE|GROUP_STATE port delivered "
                f"{len(filtered)} events, the ALL port {len(subsequence)} of those kinds (or "
                "in another order)"
            )
        changed: dict[str, int] = {}
        for e in subsequence:
            if e.object_id is None:
                continue
            obj = e.object_id
            changed[obj] = changed.get(obj, 0) + 1
            last = self.last_event.get(obj, -1.0)
            if not ledger.check(prev <= e.time <= now and e.time >= last):
                ledger.fail(
                    f"I4 at t={now:.3f}: {e.change.name} event of {e.name!r} at t={e.time:.3f} "
                    f"is out of order (window [{prev:.3f}, {now:.3f}], previous event of it "
                    f"at t={last:.3f})"
                )
            self.last_event[obj] = e.time
        if self.last_states is not None:
            for obj, state in states.items():
                before = self.last_states.get(obj)
                if before is None:
                    continue
                if not ledger.check(before == state or changed.get(obj, 0) > 0):
                    ledger.fail(
                        f"I4 at t={now:.3f}: {self.names.get(obj, obj)!r} went from "
                        f"{_state_text(before)} to {_state_text(state)} since t={prev:.3f} "
                        "with no state event on the port"
                    )
        self.last_states = states
        self.last_time = now


def _state_text(state: object) -> str:
    """A sampled state for a message: ``ONLINE``, or ``ONLINE on NODE2`` for a group."""
    if isinstance(state, enum.Enum):
        return state.name
    group_state, owner = getattr(state, "state", None), getattr(state, "owner", None)
    if isinstance(group_state, enum.Enum):
        return f"{group_state.name} on {owner}"
    return repr(state)
