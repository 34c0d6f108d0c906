"""Failover, cold start and Cluster API call costs on a real 3-node Pacemaker cluster.

    python -m benchmarks.pacemaker_failover                 # about 4 minutes
    python -m benchmarks.pacemaker_failover --runs 3 --starts 2 --calls 20 --moves 10 --partitions 3

(From a checkout without the package installed: ``PYTHONPATH=. python -m ...``.) Needs root
and ``apt-get install -y pacemaker corosync pacemaker-cli-utils resource-agents``; it says so
and exits 1 where they are missing. Standalone (not part of ``run.py``).

It starts :class:`clusapi.testing.PacemakerLab` clusters (3 nodes, each in network namespaces
of its own, Corosync token 500 ms with ``token_coefficient`` 0, with the lab's fence device:
``stonith-enabled=true``, as the demo runs) and measures:

1. **Cold start to quorum**, ``--starts`` times: from ``PacemakerLab.start()`` (namespaces,
   directories, seeded CIB, daemons) to a DC with quorum and all nodes online, as ``crm_mon``
   polled every 0.2 s sees it. Goal <= 6 s. The last cluster started is used for the rest.
2. **Failover**, ``--runs`` times without fencing, then as many with, on the demo's group
   (``python -m examples.demo --engine pacemaker``): IPaddr2 ``10.77.0.100/24`` + the demo's echo
   service, preferred owners node1, node2, node3, failback allowed; the Cluster API runs the
   tools in node3. Timed from ``lab.kill9(node1)`` (SIGKILL of the owner's Corosync, Pacemaker
   and agents) to (a) the first ``node.state()`` that returns DOWN, (b) the first
   ``group.state_info()`` that returns ONLINE on another node (both polled back to back through
   the API), and (c) the first answer the client in the hub namespace gets from the new owner.
   Goals (without fencing): <= 3 s to online, <= 3.5 s to the client's answer; with fencing the
   cluster first waits for the fence of the killed node. Then node1 restarts and the group fails
   back (timed, for information) before the next run. The Corosync settings in effect are read
   back from ``corosync-cmapctl``.
3. **Cost of Cluster API calls** on the Pacemaker backend: ``group.state()`` (median of
   ``--calls``) and ``group.move()`` of a one-``Dummy`` group between two nodes (median of
   ``--moves``; a move waits for the group to run on the target and clears its temporary
   constraint), each beside the CLI commands it runs, which are found by running the call
   once with logging shims of the tools first on PATH, and then timed on their own.
4. **Network partition**, ``--partitions`` times without fencing, then as many with: a group
   of two ``ocf:heartbeat:Dummy`` runs on a node that is not the DC (``no-quorum-policy=stop``);
   ``lab.isolate`` cuts that node's link, and the group's ground truth (the Dummy state files in
   every node's /run, read every 20 ms) is watched until it runs on the majority only. Printed:
   cut -> running on the majority, how long it ran on two nodes at once (the double-run window
   without fencing), and with fencing, cut -> the isolated node powered off.

It prints; it never asserts; it stops everything it started (the labs' teardown, by PID).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING

import anyio

import clusapi
from clusapi import GroupState, NodeState
from clusapi.pacemaker import PacemakerBackend
from clusapi.testing import PacemakerLab
from clusapi.testing._partition import (
    PartitionRun,
    dummy_group_xml,
    measure,
    report,
    set_fencing,
)
from examples.demo._pacemaker import (
    ADDRESS,
    DEFAULT_PORT,
    HubClient,
    create_web_group,
    drop_address,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

API_NODE = 3
TOKEN_MS = 500
GOAL_START = 6.0
GOAL_ONLINE = 3.0
GOAL_CLIENT = 3.5
TOOLS = ("cibadmin", "crm_mon", "crm_resource", "crm_attribute", "crm_node", "crm_simulate")
_STEP = 60.0  # the longest any one awaited step may take


def _median(values: Sequence[float]) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    return (
        f"median {statistics.median(ordered):6.3f} s  (min {ordered[0]:.3f}, max "
        f"{ordered[-1]:.3f}, n={len(ordered)})"
    )


def _ms(values: Sequence[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
    return (
        f"median {statistics.median(ordered) * 1000:7.1f} ms  (min {ordered[0] * 1000:.1f}, "
        f"p90 {p90 * 1000:.1f}, n={len(ordered)})"
    )


def _goal(value: float, goal: float) -> str:
    return f"goal <= {goal:g} s: {'ok' if value <= goal else 'MISSED'}"


def _version(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=10)
    except OSError:
        return "?"
    return (
        (done.stdout or done.stderr).strip().splitlines()[0] if done.stdout or done.stderr else "?"
    )


# -- 1. cold start ----------------------------------------------------------------------------


def cold_starts(count: int) -> tuple[list[float], PacemakerLab]:
    """Start ``count`` labs one after another; all but the last are torn down again."""
    times: list[float] = []
    lab: PacemakerLab | None = None
    for i in range(count):
        lab = PacemakerLab(nodes=3, token_ms=TOKEN_MS, fencing=True)
        began = time.perf_counter()
        lab.start()
        times.append(time.perf_counter() - began)
        dc = lab.status().find("summary/current_dc")
        who = dc.get("name") if dc is not None else "?"
        print(f"  start {i + 1}: {times[-1]:6.3f} s to DC ({who}) + quorum + 3 nodes online")
        if i < count - 1:
            stopping = time.perf_counter()
            lab.teardown()
            print(f"           teardown {time.perf_counter() - stopping:.2f} s")
    if lab is None:
        raise ValueError("--starts must be at least 1")
    return times, lab


def corosync_settings(lab: PacemakerLab) -> list[str]:
    """The totem settings: as configured, and in effect on node 1 (``corosync-cmapctl``)."""
    done = lab.run(1, ["corosync-cmapctl"], check=False)
    wanted = ("token", "consensus", "join", "token_retransmit")
    values: dict[str, str] = {}
    for line in done.stdout.splitlines():
        key, _, value = line.partition(" = ")
        name = key.split(" ")[0].removeprefix("runtime.config.totem.")
        if key.startswith("runtime.config.totem.") and name in wanted:
            values[name] = f"{value.strip()} ms"
        elif name == "token_retransmits_before_loss_const":
            values[name] = value.strip()
    configured = lab.base / "n1" / "etc-corosync" / "corosync.conf"
    totem = []
    with contextlib.suppress(OSError, ValueError):
        text = configured.read_text()
        start = text.index("totem {")
        block = text[start : text.index("}", start) + 1]
        totem = [line.strip() for line in block.splitlines()[1:-1]]
    return [
        "  corosync.conf totem { " + "; ".join(totem) + " }",
        "  in effect (corosync-cmapctl runtime.config.totem.*): "
        + ", ".join(f"{name} {value}" for name, value in values.items()),
    ]


# -- 2. failover ------------------------------------------------------------------------------


async def _poll(probe: Callable[[], Awaitable[bool]]) -> float:
    """Call ``probe`` back to back until it says True; the monotonic time of that answer."""
    with anyio.fail_after(_STEP):
        while not await probe():
            pass
    return time.monotonic()


async def _one_failover(
    lab: PacemakerLab, cluster: clusapi.Cluster, client: HubClient, origin: float
) -> dict[str, float | str]:
    """Kill the group's owner, time what the API and the client see, restart it, time the
    failback."""
    nodes = list(lab.node_names)
    group = await cluster.open_group("web")
    with anyio.fail_after(_STEP):
        await client.wait_for_reply(after=time.monotonic() - origin)
    info = await group.state_info()
    owner = info.owner
    if owner not in nodes:
        raise RuntimeError(f"group web is {info.state.name} on {owner!r}")
    index = nodes.index(owner) + 1
    owner_node = await cluster.open_node(owner)
    dc = (await anyio.to_thread.run_sync(lab.status, API_NODE)).find("summary/current_dc")
    found: dict[str, float | str] = {
        "owner": owner,
        "dc": dc.get("name", "?") if dc is not None else "?",
    }
    crashed = time.monotonic()
    await anyio.to_thread.run_sync(lab.kill9, index)
    await anyio.to_thread.run_sync(drop_address, lab, index)

    async def failed_over() -> bool:
        if "down" not in found and await owner_node.state() is NodeState.DOWN:
            found["down"] = time.monotonic() - crashed
        state = await group.state_info()
        if state.state is GroupState.ONLINE and state.owner not in (None, owner):
            found["online"] = time.monotonic() - crashed
            found["new_owner"] = state.owner or "?"
            return "down" in found
        return False

    await _poll(failed_over)
    with anyio.fail_after(_STEP):
        reply = await client.wait_for_reply(str(found["new_owner"]), after=crashed - origin)
    found["client"] = reply.time - (crashed - origin)
    restarted = time.monotonic()
    await anyio.to_thread.run_sync(lab.start_node, index)

    async def back() -> bool:
        state = await group.state_info()
        return state.state is GroupState.ONLINE and state.owner == owner

    found["failback"] = await _poll(back) - restarted
    return found


async def failovers(lab: PacemakerLab, runs: int) -> dict[bool, dict[str, list[float]]]:
    """``runs`` failovers of the demo's group without fencing, then ``runs`` with; the
    figures of each, by name, by mode."""
    results: dict[bool, dict[str, list[float]]] = {
        fencing: {"down": [], "online": [], "client": [], "failback": []}
        for fencing in (False, True)
    }
    backend = PacemakerBackend(command_prefix=lab.command_prefix(API_NODE), ocf_root=lab.ocf_root)
    async with await clusapi.open_cluster(backend=backend) as cluster:
        group = await create_web_group(cluster, list(lab.node_names), DEFAULT_PORT)
        await group.online()
        owner = (await group.state_info()).owner
        print(f"  group web ONLINE on {owner}; a client of {ADDRESS}:{DEFAULT_PORT} in the hub")
        origin = time.monotonic()  # the client stamps its replies on this timeline
        client = HubClient.in_hub(lab, DEFAULT_PORT, origin)
        async with anyio.create_task_group() as tg:
            tg.start_soon(client.run)
            for fencing, mode in results.items():
                await anyio.to_thread.run_sync(set_fencing, lab, fencing)
                for run in range(1, runs + 1):
                    found = await _one_failover(lab, cluster, client, origin)
                    for key, values in mode.items():
                        values.append(float(found[key]))
                    who = "the DC" if found["dc"] == found["owner"] else f"DC {found['dc']}"
                    print(
                        f"  {'with' if fencing else 'without'} fencing, run {run}: "
                        f"{found['owner']} ({who}) killed -> node DOWN "
                        f"{found['down']:.3f} s, group ONLINE on {found['new_owner']} "
                        f"{found['online']:.3f} s, client answer {found['client']:.3f} s; "
                        f"rejoin -> failback {found['failback']:.3f} s"
                    )
            await anyio.to_thread.run_sync(set_fencing, lab, True)
            await client.stop()
            tg.cancel_scope.cancel()
        await group.offline()
    return results


# -- 3. API call costs ------------------------------------------------------------------------


def _shims(directory: Path, log: Path) -> dict[str, str]:
    """Logging stand-ins for Pacemaker's tools: each appends its command line to ``log`` and
    execs the real tool. Returns the environment that puts them first on PATH."""
    directory.mkdir()
    for tool in TOOLS:
        real = shutil.which(tool)
        if real is None:
            continue
        shim = directory / tool
        shim.write_text(f'#!/bin/sh\necho "{tool} $*" >> {log}\nexec {real} "$@"\n')
        shim.chmod(0o755)
    return {**os.environ, "PATH": f"{directory}{os.pathsep}{os.environ.get('PATH', '')}"}


def commands_of(
    lab: PacemakerLab,
    group: str,
    call: Callable[[clusapi.Group], Awaitable[object]],
) -> list[str]:
    """The tool command lines that ``call(group)`` runs, through a backend whose tools are
    logging shims (a connection of its own, in an event loop of its own)."""
    with tempfile.TemporaryDirectory(prefix="pm-bench-") as scratch:
        log = Path(scratch, "commands.log")
        env = _shims(Path(scratch, "bin"), log)
        saved = os.environ.copy()

        async def run() -> None:
            backend = PacemakerBackend(
                command_prefix=lab.command_prefix(API_NODE), ocf_root=lab.ocf_root
            )
            async with await clusapi.open_cluster(backend=backend) as cluster:
                handle = await cluster.open_group(group)
                await anyio.Path(log).write_text("")  # only what the call itself runs
                await call(handle)

        os.environ.update(env)  # the backend's tools inherit this process's environment
        try:
            anyio.run(run)
        finally:
            os.environ.clear()
            os.environ.update(saved)
        return log.read_text().splitlines()


def _summarize(commands: list[str]) -> str:
    counts = collections.Counter(" ".join(line.split()[:2]) for line in commands)
    return ", ".join(f"{command} x{count}" for command, count in counts.items())


async def api_timings(
    lab: PacemakerLab, calls: int, moves: int, targets: list[str]
) -> dict[str, list[float]]:
    """Back-to-back ``group.state()`` calls, and moves of group bench between ``targets``."""
    backend = PacemakerBackend(command_prefix=lab.command_prefix(API_NODE), ocf_root=lab.ocf_root)
    async with await clusapi.open_cluster(backend=backend) as cluster:
        web = await cluster.open_group("web")
        bench = await cluster.open_group("bench")
        for _ in range(3):
            await web.state()  # warm-up
        state = []
        for _ in range(calls):
            began = time.perf_counter()
            await web.state()
            state.append(time.perf_counter() - began)
        move = []
        for i in range(moves):
            began = time.perf_counter()
            await bench.move(targets[i % 2])
            move.append(time.perf_counter() - began)
    return {"state": state, "move": move}


async def _prepare_costs(lab: PacemakerLab) -> str:
    """Group web online again, group bench (one Dummy) online; where bench runs."""
    backend = PacemakerBackend(command_prefix=lab.command_prefix(API_NODE), ocf_root=lab.ocf_root)
    async with await clusapi.open_cluster(backend=backend) as cluster:
        await (await cluster.open_group("web")).online()
        bench = await cluster.create_group("bench")
        await bench.create_resource("dummy", "ocf:heartbeat:Dummy")
        await bench.online()
        return (await bench.state_info()).owner or "?"


def _time_cli(argv: list[str], count: int, env: dict[str, str] | None = None) -> list[float]:
    times = []
    for _ in range(count):
        began = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=False, env=env)
        times.append(time.perf_counter() - began)
    return times


def _runs_on(prefix: list[str], resource: str, node: str) -> bool:
    done = subprocess.run(
        [*prefix, "crm_mon", "-1", "--output-as=xml"], capture_output=True, check=False
    )
    with contextlib.suppress(ET.ParseError):
        for element in ET.fromstring(done.stdout).iter("resource"):
            if element.get("id") == resource and element.get("role") == "Started":
                return [n.get("name") for n in element.iter("node")] == [node]
    return False


def _manual_moves(prefix: list[str], targets: list[str], count: int) -> list[float]:
    """What a move is by hand: crm_resource --move, crm_mon until it runs there, --clear."""
    times = []
    for i in range(count):
        target = targets[i % 2]
        began = time.perf_counter()
        subprocess.run(
            [*prefix, "crm_resource", "--move", "--resource", "bench", "--node", target],
            capture_output=True,
            check=True,
        )
        while not _runs_on(prefix, "dummy", target):
            pass
        subprocess.run(
            [*prefix, "crm_resource", "--clear", "--resource", "bench"],
            capture_output=True,
            check=True,
        )
        times.append(time.perf_counter() - began)
    return times


def api_costs(lab: PacemakerLab, calls: int, moves: int) -> None:
    prefix = lab.command_prefix(API_NODE)
    here = anyio.run(_prepare_costs, lab)
    targets = [n for n in lab.node_names if n != here][:2]
    state_commands = commands_of(lab, "web", lambda group: group.state())
    move_commands = commands_of(lab, "bench", lambda group: group.move(targets[0]))
    targets.reverse()  # bench is on targets[1] (the old targets[0]) now
    timings = anyio.run(api_timings, lab, calls, moves, targets)
    print(f"  group.state()                          {_ms(timings['state'])}")
    print(f"    runs {len(state_commands)} command(s): {_summarize(state_commands)}")
    cibadmin = _time_cli([*prefix, "cibadmin", "--query"], calls)
    print(f"    cibadmin --query (in node{API_NODE})          {_ms(cibadmin)}")
    with tempfile.TemporaryDirectory(prefix="pm-bench-") as scratch:
        cib = Path(scratch, "cib.xml")
        query = [*prefix, "cibadmin", "--query"]
        cib.write_bytes(subprocess.run(query, capture_output=True, check=True).stdout)
        env = {**os.environ, "CIB_file": str(cib)}
        on_file = _time_cli(["crm_mon", "-1", "--output-as=xml"], calls, env)
    print(f"    crm_mon -1 --output-as=xml, CIB_file  {_ms(on_file)}")
    live = _time_cli([*prefix, "crm_mon", "-1", "--output-as=xml"], calls)
    print(f"    (live crm_mon in node{API_NODE}, for comparison) {_ms(live)}")
    print(f"  group.move(node), a 1-Dummy group      {_ms(timings['move'])}")
    print(f"    runs {len(move_commands)} commands: {_summarize(move_commands)}")
    here = targets[(moves - 1) % 2]
    manual_targets = [n for n in targets if n != here] + [here]
    manual = _manual_moves(prefix, manual_targets, moves)
    print(f"    by hand: --move, crm_mon until there, --clear  {_ms(manual)}")


# -- 4. network partition ----------------------------------------------------------------------


def partitions(lab: PacemakerLab, runs: int) -> None:
    """``runs`` partitions without fencing, then ``runs`` with; each run and the summary."""
    lab.reset()
    lab.run(1, ["crm_attribute", "--type", "crm_config", "-n", "no-quorum-policy", "-v", "stop"])
    resources = ("p1", "p2")
    xml = dummy_group_xml("part", resources)
    lab.run(1, ["cibadmin", "--create", "-o", "resources", "--xml-text", xml])
    done: dict[bool, list[PartitionRun]] = {}
    try:
        for fencing in (False, True):
            done[fencing] = measure(lab, "part", resources, fencing, runs)
            for n, run in enumerate(done[fencing], 1):
                fenced = "" if run.fenced is None else f", powered off after {run.fenced:.3f} s"
                print(
                    f"  {'with' if fencing else 'without'} fencing, run {n}: {run.isolated} cut "
                    f"(DC {run.dc}) -> on {run.new_owner} after {run.failover:.3f} s; on two "
                    f"nodes for {run.double_run:.3f} s{fenced} ({run.samples} samples)"
                )
    finally:
        set_fencing(lab, True)
    for line in report(done):
        print(line)


# -- the command ------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.pacemaker_failover", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--runs", type=int, default=5, help="failovers (default 5)")
    parser.add_argument("--starts", type=int, default=3, help="cold starts (default 3)")
    parser.add_argument("--calls", type=int, default=50, help="group.state() calls (default 50)")
    parser.add_argument("--moves", type=int, default=50, help="group.move() calls (default 50)")
    parser.add_argument(
        "--partitions", type=int, default=5, help="partitions per mode (default 5; 0: none)"
    )
    args = parser.parse_args(argv)
    reason = PacemakerLab.unavailable()
    if reason is not None:
        print(f"cannot run here: {reason}", file=sys.stderr)
        return 1
    pacemaker = _version(["pacemakerd", "--version"])
    corosync = _version(["corosync", "-v"])
    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs; {pacemaker}; {corosync}")
    lab: PacemakerLab | None = None
    try:
        print(f"\n1. cold start of a 3-node cluster to quorum ({args.starts} runs)")
        starts, lab = cold_starts(args.starts)
        print(f"  cold start  {_median(starts)}   {_goal(statistics.median(starts), GOAL_START)}")
        for line in corosync_settings(lab):
            print(line)

        print(f"\n2. failover through the Cluster API ({args.runs} runs; API via node{API_NODE})")
        by_mode = anyio.run(failovers, lab, args.runs)
        for fencing, results in by_mode.items():
            # The goals were set without fencing; with it, the fence comes first (for
            # information: the price of never running the group twice).
            print(f"  {'with fencing (stonith-enabled=true)' if fencing else 'without fencing'}:")
            print(f"  SIGKILL -> node.state() DOWN           {_median(results['down'])}")
            for key, label, goal in (
                ("online", "group ONLINE elsewhere", GOAL_ONLINE),
                ("client", "client's first answer", GOAL_CLIENT),
            ):
                verdict = "" if fencing else _goal(statistics.median(results[key]), goal)
                print(f"  SIGKILL -> {label:<26}  {_median(results[key])}   {verdict}".rstrip())
            print(f"  start_node -> group back (failback)    {_median(results['failback'])}")

        print(f"\n3. cost of Cluster API calls on the Pacemaker backend (API via node{API_NODE})")
        api_costs(lab, args.calls, args.moves)

        if args.partitions > 0:
            print(
                f"\n4. partition of the group's owner (not the DC): {args.partitions} runs "
                "without fencing, then with; ground truth every 20 ms"
            )
            partitions(lab, args.partitions)
    finally:
        if lab is not None:
            lab.teardown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
