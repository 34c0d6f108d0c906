"""A network partition in a :class:`~clusapi.testing.PacemakerLab`, watched from the outside.

Used by the partition test (``tests/pacemaker/test_pacemaker_fencing.py``) and the failover
benchmark (``benchmarks/pacemaker_failover.py``): cut the link of the node that runs a group of
``ocf:heartbeat:Dummy`` resources, and watch the group's *ground truth* (the Dummy state
files in each node's private ``/run/resource-agents``, read from the host through
:meth:`PacemakerLab.node_root`, no process started) every 20 ms until the group runs on the
majority only. What Pacemaker reports is not looked at: the point is to see what really ran.

A node the fence device powered off counts as running nothing (its processes are dead and its
``/run`` went with its mount namespace), as does a node whose state files are gone.
"""

from __future__ import annotations

import os
import statistics
import time
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from pathlib import Path

    from ._lab import PacemakerLab

__all__ = (
    "PartitionRun",
    "dc_of",
    "dummy_group_xml",
    "heal",
    "measure",
    "owner_not_dc",
    "partition_once",
    "place_group",
    "report",
    "running_on",
    "set_fencing",
    "spread",
)

#: How often the ground truth is read during a partition.
INTERVAL = 0.02
#: After the group runs on the majority only, keep watching this long: a late start on the
#: cut-off node (or a second one on the majority) would still count.
TAIL = 0.5


class PartitionRun(NamedTuple):
    """What one partition looked like from the outside (times in s since the cut)."""

    #: stonith-enabled was true.
    fencing: bool
    #: The node whose link was cut (the group's owner) and the DC at that moment.
    isolated: str
    dc: str
    #: Where the group ran at the end (on the majority).
    new_owner: str
    #: Cut -> the group's state file first seen on a majority node.
    failover: float
    #: How long the group was seen running on two nodes or more at once (0 when never).
    double_run: float
    #: The most nodes seen running it at once.
    max_running: int
    #: Cut -> the fence device had powered the isolated node off (None: no fence).
    fenced: float | None
    #: How many times the ground truth was read.
    samples: int


def dummy_group_xml(group: str, resources: Sequence[str]) -> str:
    """A ``<group>`` of ``ocf:heartbeat:Dummy`` primitives (monitor every 10 s), for cibadmin."""
    primitives = "".join(
        f'<primitive id="{r}" class="ocf" provider="heartbeat" type="Dummy"><operations>'
        f'<op id="{r}-mon" name="monitor" interval="10s"/></operations></primitive>'
        for r in resources
    )
    return f'<group id="{group}">{primitives}</group>'


def running_on(lab: PacemakerLab, resources: Sequence[str]) -> set[str]:
    """The nodes where any of ``resources`` (Dummy) has its state file now."""
    roots = _roots(lab)
    return _running(roots, resources)


def dc_of(lab: PacemakerLab, observer: int | None = None) -> str:
    """The current DC's node name, as ``observer`` (default: the first running node) sees it."""
    dc = lab.status(observer).find("summary/current_dc")
    if dc is None or dc.get("present") != "true":
        raise RuntimeError(f"lab {lab.lab_id} has no DC now")
    return dc.get("name", "")


def place_group(
    lab: PacemakerLab, group: str, resources: Sequence[str], node: str, timeout: float = 30.0
) -> None:
    """Make ``group`` run on ``node`` (and only there), by its ground truth.

    A move (``crm_resource --move``, then ``--clear``: with resource-stickiness 100 it stays).
    """
    observer = 1 + next(i for i, name in enumerate(lab.node_names) if name != node)
    if running_on(lab, resources) != {node}:
        lab.run(observer, ["crm_resource", "--move", "-r", group, "-N", node], check=False)
        _until(lambda: running_on(lab, resources) == {node}, timeout, f"{group} on {node}")
        lab.run(observer, ["crm_resource", "--clear", "-r", group])
    # Every member, not only one of them: the cut must catch the whole group on one node.
    _until(lambda: _all_on(lab, resources, node), timeout, f"all of {group} on {node}")


def partition_once(
    lab: PacemakerLab,
    resources: Sequence[str],
    owner: int,
    timeout: float = 30.0,
) -> PartitionRun:
    """Cut node ``owner``'s link and watch ``resources`` until they run on the majority only.

    The group must run on ``owner`` only when this is called. Returns with the link still
    cut (and ``owner`` possibly fenced): :func:`heal` puts things back.

    Raises:
        TimeoutError: the majority did not take the group over within ``timeout`` s.
    """
    isolated = lab.node_names[owner - 1]
    dc = dc_of(lab)
    fencing = _stonith_enabled(lab)
    roots = _roots(lab)
    if _running(roots, resources) != {isolated}:
        raise RuntimeError(f"the group does not run on {isolated} alone before the cut")
    fenced_before = len(lab.fence_history)
    lab.isolate(owner)
    began = previous = time.monotonic()
    first_on_majority: float | None = None
    settled: float | None = None
    double_run = 0.0
    max_running = 1
    samples = 0
    running: set[str] = {isolated}
    while True:
        running = _running(roots, resources)
        now = time.monotonic()
        samples += 1
        max_running = max(max_running, len(running))
        if len(running) >= 2:
            double_run += now - previous
        previous = now
        if first_on_majority is None and running - {isolated}:
            first_on_majority = now
        if len(running) == 1 and isolated not in running:
            settled = settled if settled is not None else now
            if now - settled >= TAIL:
                break
        else:
            settled = None
        if now - began > timeout:
            raise TimeoutError(
                f"lab {lab.lab_id}: {isolated} cut off {timeout:g} s ago, the group runs on "
                f"{sorted(running)}; fence history {lab.fence_history}"
            )
        time.sleep(INTERVAL)
    assert first_on_majority is not None
    fenced = [e for e in lab.fence_history[fenced_before:] if e.node == isolated]
    return PartitionRun(
        fencing=fencing,
        isolated=isolated,
        dc=dc,
        new_owner=next(iter(running)),
        failover=first_on_majority - began,
        double_run=double_run,
        max_running=max_running,
        fenced=fenced[0].time - began if fenced else None,
        samples=samples,
    )


def owner_not_dc(lab: PacemakerLab, resources: Sequence[str]) -> int:
    """The node to cut off: where the group runs if that is not the DC, else another one."""
    dc = dc_of(lab)
    now = running_on(lab, resources)
    candidates = [name for name in lab.node_names if name != dc]
    name = next((n for n in candidates if n in now), candidates[0])
    return lab.node_names.index(name) + 1


def measure(
    lab: PacemakerLab, group: str, resources: Sequence[str], fencing: bool, runs: int
) -> list[PartitionRun]:
    """``runs`` partitions of ``group``'s owner (never the DC) with stonith on or off.

    Each run: stonith-enabled set, the group placed on a node that is not the DC, the cut
    (:func:`partition_once`), then :func:`heal`. ``group`` (of Dummy ``resources``) must exist.
    """
    set_fencing(lab, fencing)
    done = []
    for _ in range(runs):
        owner = owner_not_dc(lab, resources)
        place_group(lab, group, resources, lab.node_names[owner - 1])
        run = partition_once(lab, resources, owner)
        # Cut off, not killed: without fencing its processes run on (it stopped the group
        # itself, having lost quorum); with fencing they are dead.
        if lab.node_running(owner) is fencing:
            state = "still runs" if fencing else "is down"
            raise RuntimeError(f"{run.isolated} {state} after the partition: {run}")
        heal(lab, owner)
        done.append(run)
    return done


def report(runs: Mapping[bool, Sequence[PartitionRun]]) -> list[str]:
    """Lines that put the partitions without fencing (False) beside those with (True)."""
    lines = []
    for fencing, label in ((False, "without fencing"), (True, "with fencing   ")):
        done = runs.get(fencing, ())
        if not done:
            continue
        pad = " " * len(label)
        lines.append(
            f"  {label}: cut -> running on the majority {spread([r.failover for r in done])}"
        )
        twice = sum(r.max_running > 1 for r in done)
        windows = spread([r.double_run for r in done])
        lines.append(
            f"  {pad}  ran on two nodes at once in {twice} of {len(done)} runs, for {windows}"
        )
        fenced = [r.fenced for r in done if r.fenced is not None]
        if fenced:
            lines.append(f"  {pad}  cut -> isolated node powered off {spread(fenced)}")
    return lines


def heal(lab: PacemakerLab, node: int, timeout: float = 30.0) -> None:
    """After :func:`partition_once`: reconnect ``node``, power it on if it was fenced, and
    wait until the whole cluster is back (a DC with quorum, every node online)."""
    lab.reconnect(node)
    if not lab.node_running(node):
        lab.start_node(node, timeout=timeout)
    else:
        lab.wait_ready(timeout, node)
    lab.wait_ready(timeout)


def set_fencing(lab: PacemakerLab, enabled: bool) -> None:
    """Turn stonith on or off in the live cluster (the lab's device stays configured)."""
    value = "true" if enabled else "false"
    argv = ["crm_attribute", "--type", "crm_config", "-n", "stonith-enabled", "-v", value]
    lab.run(_first_running(lab), argv)


def spread(values: Sequence[float]) -> str:
    """``"min a / median b / max c s (n=k)"``."""
    if not values:
        return "-"
    ordered = sorted(values)
    return (
        f"min {ordered[0]:.2f} / median {statistics.median(ordered):.2f} / "
        f"max {ordered[-1]:.2f} s (n={len(ordered)})"
    )


def _stonith_enabled(lab: PacemakerLab) -> bool:
    query = ["crm_attribute", "--type", "crm_config", "-n", "stonith-enabled", "--query"]
    result = lab.run(_first_running(lab), [*query, "--output-as=xml"], check=False)
    try:
        attribute = ET.fromstring(result.stdout).find(".//attribute")
    except ET.ParseError:
        return False
    return attribute is not None and attribute.get("value") == "true"


def _first_running(lab: PacemakerLab) -> int:
    return next(i for i in range(1, len(lab.node_names) + 1) if lab.node_running(i))


def _roots(lab: PacemakerLab) -> Mapping[str, Path]:
    return {
        name: lab.node_root(i) / "run" / "resource-agents"
        for i, name in enumerate(lab.node_names, 1)
        if lab.node_running(i)
    }


def _running(roots: Mapping[str, Path], resources: Sequence[str]) -> set[str]:
    # os.path.exists: a node that died under us (its /proc/<pid>/root gone) runs nothing.
    return {
        name
        for name, rsctmp in roots.items()
        if any(os.path.exists(rsctmp / f"Dummy-{r}.state") for r in resources)
    }


def _all_on(lab: PacemakerLab, resources: Sequence[str], node: str) -> bool:
    rsctmp = _roots(lab).get(node)
    return rsctmp is not None and all(
        os.path.exists(rsctmp / f"Dummy-{r}.state") for r in resources
    )


def _until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout:g} s")
        time.sleep(0.05)
