"""The Pacemaker backend's observed changes reach the stdlib logging hierarchy (issue 16,
item 4): node changes to ``clusapi.node.<name>``, a group's or resource's to the logger of the
node that owns it, the rest to ``clusapi.cluster``; names in ``extra``. Fed with snapshots
made by hand, so no cluster and no tools are needed."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from clusapi import GroupState, NodeState, ResourceState
from clusapi._backends.pacemaker._events import Observed, diff, log_change

if TYPE_CHECKING:
    import pytest


def snapshot(
    *,
    node2: NodeState = NodeState.UP,
    owner: str | None = "node1",
    ip: ResourceState = ResourceState.ONLINE,
    web: GroupState = GroupState.ONLINE,
    quorum: bool = True,
) -> Observed:
    return Observed(
        nodes={
            "1": ("node1", NodeState.UP, ()),
            "2": ("node2", node2, ()),
        },
        resources={"ip": ("ip", (ip, owner, ()), ())},
        groups={"web": ("web", (web, owner, ()), ())},
        quorum=quorum,
        options=(),
    )


def replay(old: Observed, new: Observed) -> None:
    """What EventHub.feed does with two snapshots, without ports."""
    for change, name, object_id in diff(old, new):
        log_change("pcmk", change, name, object_id, new)


def test_a_node_that_goes_down_is_a_warning_on_its_logger(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="clusapi")
    replay(snapshot(), snapshot(node2=NodeState.DOWN, quorum=False))
    down = [r for r in caplog.records if r.name == "clusapi.node.node2"]
    assert [(r.levelno, r.getMessage()) for r in down] == [
        (logging.WARNING, "node state: node2 is DOWN")
    ]
    assert (down[0].cluster, down[0].node, down[0].state) == ("pcmk", "node2", "DOWN")  # type: ignore[attr-defined]
    assert down[0].change == "NODE_STATE"  # type: ignore[attr-defined]
    quorum = [r for r in caplog.records if r.name == "clusapi.cluster"]
    assert [(r.levelno, r.getMessage()) for r in quorum] == [
        (logging.WARNING, "quorum state: no quorum")
    ]


def test_a_move_is_logged_on_the_new_owner_with_the_object_names(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="clusapi")
    replay(snapshot(), snapshot(owner="node2"))
    moved = [(r.name, r.levelno, r.getMessage()) for r in caplog.records]
    assert moved == [
        ("clusapi.node.node2", logging.INFO, "resource state: ip is ONLINE on node2"),
        ("clusapi.node.node2", logging.INFO, "group state: web is ONLINE on node2"),
    ]
    group = caplog.records[1]
    assert (group.group, group.node, group.state) == ("web", "node2", "ONLINE")  # type: ignore[attr-defined]


def test_a_failure_is_a_warning_and_nothing_is_logged_below_the_level(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="clusapi")
    replay(snapshot(), snapshot(ip=ResourceState.FAILED, web=GroupState.FAILED))
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.WARNING, "resource state: ip is FAILED on node1"),
        (logging.WARNING, "group state: web is FAILED on node1"),
    ]
    assert caplog.records[0].resource == "ip"  # type: ignore[attr-defined]
    caplog.clear()
    replay(snapshot(), snapshot(owner="node2"))  # INFO only: below WARNING
    assert caplog.records == []


def test_a_property_change_names_the_object_not_its_state(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="clusapi")
    old = snapshot()
    groups = {"web": ("web", old.groups["web"][1], ("a new description",))}
    new = Observed(old.nodes, old.resources, groups, quorum=True, options=())
    replay(old, new)
    assert [(r.name, r.getMessage()) for r in caplog.records] == [
        ("clusapi.node.node1", "group property: web changed")
    ]
