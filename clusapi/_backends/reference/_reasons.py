"""Why something failed, in the words the caller reads: the reasons the reference runtime puts
into a failed online's exception (the entry point that failed, what it raised, the resource's
own last error, the node), why a node whose state still reads Up cannot host a group, and the
required dependencies a resource lacks.

The reasons come from the cluster log rather than from the hosts: a resource in a separate
monitor process reports through the same log entries as one in the node's own monitor, so
one reading serves both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from clusapi._enums import LogLevel, NodeState

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ._model import ClusterLogEntry, NodeRecord, ResourceRecord
    from ._state import ClusterState

__all__ = ("down_reason", "failure_reasons", "missing_required")

#: How the monitor starts the line that says an entry point failed the resource
#: (resapi._monitor._host: "failed: Online raised ...", "failed: IsAlive returned False").
_FAILED: Final = "failed: "


def _reason(
    state: ClusterState,
    res: ResourceRecord,
    entries: Sequence[ClusterLogEntry],
    failed: set[str],
) -> str:
    """Why ``res`` did not come online, from its error entries since the online began:
    "failed on 'N1': Online raised OSError(...) (its last error: ...)"."""
    source = f"{res.type.name} {res.name}"
    errors = [e for e in entries if e.source == source and e.level >= LogLevel.ERROR]
    verdict = next((e for e in reversed(errors) if e.message.startswith(_FAILED)), None)
    if verdict is None and errors:
        verdict = errors[-1]  # no Online ran: "cannot come online: ..." (a property, a load)
    if verdict is None:
        broken = [state.resources.by_id[p].name for p in res.depends_on if p in failed]
        if broken:
            return f"was not started: its dependency {broken[0]!r} did not come online"
        return "was not started: the node stopped hosting groups while it waited"
    text = f"failed on {verdict.node!r}: {verdict.message.removeprefix(_FAILED)}"
    own = [e for e in errors if e is not verdict and not e.message.startswith(_FAILED)]
    if own:
        text += f" (its last error: {own[-1].message})"
    return text


def failure_reasons(state: ClusterState, failed: Sequence[ResourceRecord], since: int) -> str:
    """Why each of ``failed`` did not come online, from the cluster log entries after index
    ``since``: "resource 'b' failed on 'N1': Online raised OSError(...) (its last error:
    cannot open /srv/data)"."""
    entries = state.cluster_log[since:]
    ids = {r.id for r in failed}
    return "; ".join(f"resource {r.name!r} {_reason(state, r, entries, ids)}" for r in failed)


def down_reason(node: NodeRecord) -> str | None:
    """Why ``node`` is not a running member although its state still reads Up or Paused (the
    cluster declares a crashed node Down only when its heartbeats have been missed for
    NodeTimeout); None if it is one, or if its state already says why not."""
    if node.up or node.state not in (NodeState.UP, NodeState.PAUSED):
        return None
    if not node.alive:
        return (
            "it stopped (crashed) and the cluster has not declared it down yet (that takes "
            "NodeTimeout without heartbeats)"
        )
    if node.isolated:
        return "it lost quorum and is not a member until it rejoins"
    return "it is still starting"


def missing_required(
    state: ClusterState, res: ResourceRecord, required: Sequence[str]
) -> list[str]:
    """The type names in ``required`` that no resource ``res`` depends on directly has (a
    Network Name depends on its IP Address itself, not through another resource)."""
    have = {
        state.resources.by_id[p].type.name.casefold()
        for p in res.depends_on
        if p in state.resources.by_id
    }
    return [r for r in required if r.casefold() not in have]
