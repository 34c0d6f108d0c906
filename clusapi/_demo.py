"""``python -m clusapi demo``: a failover and a failback, live, on an in-process cluster.

The demo starts a 3-node reference cluster on real time (heartbeat every 0.5 s, a node is
declared down after 2 s without one), creates group ``web`` from the example types of
``examples/virtual_address.py`` (a Virtual Address on a loopback TCP port and an Echo Service
that depends on it), brings it online, starts a client of the address, crashes the owner node,
restarts it, and ends with the timings measured in the run: detection, failover, the client's
outage, failback. Every state change comes from a notify port; the status blocks from the
ordinary Cluster API calls.

Output is plain text. On a terminal a status line at the bottom is redrawn in place (ANSI
``CR`` + erase line); piped, or with ``--plain``, there are no control codes at all.
"""

from __future__ import annotations

import os
import sys
import traceback
from typing import TYPE_CHECKING, Final, TextIO

import anyio
import attrs

from examples.virtual_address import (
    EchoClient,
    create_address_and_echo,
    free_port,
    register_types,
)

from ._enums import ClusterChange, FailbackType, GroupState, LogLevel, NodeState
from ._errors import ClusterError
from .testing import open_reference_cluster

if TYPE_CHECKING:
    from collections.abc import Callable

    from examples.virtual_address import ClientEvent, Reply

    from ._cluster import Cluster
    from ._notify import NotifyPort

__all__ = ("DemoError", "run_demo")

NODES: Final = ("NODE1", "NODE2", "NODE3")
HEARTBEAT_INTERVAL: Final = 0.5
NODE_TIMEOUT: Final = 2.0
#: The cluster-local hour at time 0, inside the failback window, so failback happens in the run.
START_HOUR: Final = 9
FAILBACK_WINDOW: Final = (9, 10)
GROUP: Final = "web"
ADDRESS: Final = "127.0.0.1"
#: Seconds of steady client traffic shown between the steps.
HOLD: Final = 3.0
#: The longest one step (detection, failover, failback, a client reply) may take.
STEP_TIMEOUT: Final = 10.0
#: The longest the whole demo may take before it gives up.
TOTAL_TIMEOUT: Final = 50.0
#: How often the status line is redrawn on a terminal.
LIVE_INTERVAL: Final = 0.2

_CLEAR_LINE: Final = "\r\x1b[2K"


class DemoError(Exception):
    """Something the demo expected did not happen; the message says what."""


# -- output -------------------------------------------------------------------------------------


class _Screen:
    """Where the demo writes: permanent lines, plus (on a terminal) one status line at the
    bottom that is redrawn in place. Without ``live`` no control code is ever written."""

    def __init__(self, out: TextIO, *, live: bool) -> None:
        self._out = out
        self.live = live
        self._status = ""

    def line(self, text: str = "") -> None:
        """Write one permanent line (above the status line, if one is shown)."""
        if self._status:
            self._out.write(_CLEAR_LINE)
        self._out.write(text + "\n")
        if self._status:
            self._out.write(self._status)
        self._out.flush()

    def status(self, text: str) -> None:
        """Show ``text`` as the live status line (only on a terminal)."""
        if not self.live:
            return
        width = max(20, _terminal_width(self._out) - 1)
        self._status = text[:width]
        self._out.write(_CLEAR_LINE + self._status)
        self._out.flush()

    def clear_status(self) -> None:
        if self._status:
            self._status = ""
            self._out.write(_CLEAR_LINE)
            self._out.flush()


def _terminal_width(out: TextIO) -> int:
    try:
        columns = os.get_terminal_size(out.fileno()).columns
    except (OSError, ValueError):
        columns = 0
    return columns if columns > 0 else 100  # a pseudo-terminal may report 0


def _stamp(time: float, subject: str, text: str) -> str:
    return f"  {time:8.3f}  {subject:<18} {text}"


# -- what the cluster says ----------------------------------------------------------------------


@attrs.frozen
class _Change:
    """One observed state change: of a node, a group or a resource, at cluster time ``time``."""

    time: float
    kind: str
    name: str
    state: str
    owner: str | None

    def describe(self) -> str:
        if self.owner is None or self.kind == "node":
            return self.state
        return f"{self.state} on {self.owner}"


class _Observer:
    """Reads the notify port, keeps the current state of every object, prints each change on
    the timeline and lets the demo wait for one.

    Events carry no state, so each batch of queued events is followed by one state query per
    object it names, stamped with the time of that object's last event. The reference
    runtime's state queries do not suspend, so the answers are the states right after that
    event: no later change can slip in between.
    """

    def __init__(self, cluster: Cluster, screen: _Screen) -> None:
        self._cluster = cluster
        self._screen = screen
        self.history: list[_Change] = []
        self._current: dict[tuple[str, str], tuple[str, str | None]] = {}
        self._changed = anyio.Event()

    async def seed(self) -> None:
        """Record the states before the first event, so that only changes are printed."""
        for kind, name, state, owner in await _snapshot(self._cluster):
            self._current[kind, name] = (state, owner)

    async def run(self, port: NotifyPort) -> None:
        while True:
            batch = [await port.receive()]
            while True:
                try:
                    batch.append(port.receive_nowait())
                except anyio.WouldBlock:
                    break
            latest: dict[tuple[ClusterChange, str], float] = {}
            for event in batch:
                latest.pop((event.change, event.name), None)
                latest[event.change, event.name] = event.time
            for (change, name), time in latest.items():
                kind, state, owner = await self._query(change, name)
                if self._current.get((kind, name)) == (state, owner):
                    continue
                self._current[kind, name] = (state, owner)
                record = _Change(time, kind, name, state, owner)
                self.history.append(record)
                self._screen.line(_stamp(time, f"{kind} {name}", record.describe()))
            self._changed.set()
            self._changed = anyio.Event()

    async def _query(self, change: ClusterChange, name: str) -> tuple[str, str, str | None]:
        cluster = self._cluster
        if change is ClusterChange.NODE_STATE:
            node = await cluster.open_node(name)
            return "node", (await node.state()).name, None
        if change is ClusterChange.GROUP_STATE:
            info = await (await cluster.open_group(name)).state_info()
            return "group", info.state.name, info.owner
        res = await (await cluster.open_resource(name)).state_info()
        return "resource", res.state.name, res.owner

    async def wait_for(self, what: str, match: Callable[[_Change], bool], after: float) -> _Change:
        """The first change at or after ``after`` that ``match`` accepts, waiting for it.

        Raises:
            DemoError: if none comes within :data:`STEP_TIMEOUT` seconds.
        """
        with anyio.move_on_after(STEP_TIMEOUT):
            while True:
                for change in self.history:
                    if change.time >= after and match(change):
                        return change
                await self._changed.wait()
        raise DemoError(f"{what} did not happen within {STEP_TIMEOUT:g} s")


async def _snapshot(cluster: Cluster) -> list[tuple[str, str, str, str | None]]:
    """(kind, name, state, owner) of every node, group and resource, through the Cluster API."""
    rows: list[tuple[str, str, str, str | None]] = [
        ("node", node.name, (await node.state()).name, None) for node in await cluster.nodes()
    ]
    for group in await cluster.groups():
        info = await group.state_info()
        rows.append(("group", group.name, info.state.name, info.owner))
    for res in await cluster.resources():
        rinfo = await res.state_info()
        rows.append(("resource", res.name, rinfo.state.name, rinfo.owner))
    return rows


def _client_summary(client: EchoClient | None) -> str:
    if client is None:
        return "not started"
    if not client.replies:
        return "no reply yet"
    last = client.replies[-1]
    return f"{len(client.replies)} replies, the last from {last.node} at {last.time:.3f}"


async def _status_block(cluster: Cluster, now: float, client: EchoClient | None) -> list[str]:
    rows = await _snapshot(cluster)

    def cells(kind: str) -> str:
        return "   ".join(
            f"{name} {state}" if kind == "node" or owner is None else f"{name} {state} on {owner}"
            for k, name, state, owner in rows
            if k == kind
        )

    return [
        f"  status at {now:.3f}:",
        f"    nodes      {cells('node')}",
        f"    groups     {cells('group')}",
        f"    resources  {cells('resource')}",
        f"    client     {_client_summary(client)}",
    ]


async def _status_line(cluster: Cluster, now: float, client: EchoClient | None) -> str:
    rows = await _snapshot(cluster)
    nodes = " ".join(f"{name} {state}" for kind, name, state, _ in rows if kind == "node")
    groups = " ".join(
        f"{name} {state}@{owner}" for kind, name, state, owner in rows if kind == "group"
    )
    if client is None or not client.replies:
        talking = "-"
    else:
        talking = f"{client.replies[-1].node} ({len(client.replies)})"
    return f"  {now:7.2f} s | {nodes} | {groups} | client: {talking}"


# -- the run ------------------------------------------------------------------------------------


@attrs.define
class _Timings:
    """What the summary reports, all in cluster time (seconds)."""

    owner: str = ""
    new_owner: str = ""
    crash: float = 0.0
    down: float = 0.0
    failed_over: float = 0.0
    outage: tuple[float, float] = (0.0, 0.0)
    up: float = 0.0
    failed_back: float = 0.0
    failback_outage: tuple[float, float] = (0.0, 0.0)


@attrs.define
class _Failure:
    """Where a failed run left its evidence: the tail of the cluster log."""

    log_tail: list[str] = attrs.field(factory=list)


async def _demo(screen: _Screen, port: int, failure: _Failure) -> _Timings:
    timings = _Timings()
    screen.line(
        f"[1] start a {len(NODES)}-node reference cluster on real time: heartbeat every "
        f"{HEARTBEAT_INTERVAL:g} s, a node is down after {NODE_TIMEOUT:g} s without one"
    )
    async with open_reference_cluster(
        nodes=NODES,
        name="DEMO",
        heartbeat_interval=HEARTBEAT_INTERVAL,
        node_timeout=NODE_TIMEOUT,
        start_hour=START_HOUR,
    ) as env:
        try:
            cluster = env.cluster
            # Cluster time (what events and the log carry) from the loop's clock: the cluster
            # hour says how long ago the cluster formed.
            origin = anyio.current_time() - ((env.cluster_hour() - START_HOUR) % 24) * 3600

            def clock() -> float:
                return anyio.current_time() - origin

            await register_types(cluster)
            group = await cluster.create_group(GROUP)
            await group.set_preferred_owners(list(NODES))
            await group.set_common_properties(
                auto_failback_type=int(FailbackType.ALLOW_FAILBACK),
                failback_window_start=FAILBACK_WINDOW[0],
                failback_window_end=FAILBACK_WINDOW[1],
            )
            await create_address_and_echo(group, port, address=ADDRESS)
            start, end = FAILBACK_WINDOW
            hour = env.cluster_hour()
            screen.line(
                f"    group {GROUP}: resource 'address' (Virtual Address {ADDRESS}:{port}) and "
                "'echo' (Echo Service, depends on 'address')"
            )
            screen.line(
                f"    preferred owners {', '.join(NODES)}; failback allowed {start:02d}:00-"
                f"{end:02d}:00; cluster-local time is {int(hour):02d}:{int(hour * 60) % 60:02d}"
            )
            screen.line(
                "    times below are cluster time in seconds; changes come from a notify port"
            )

            client: EchoClient | None = None
            observer = _Observer(cluster, screen)
            changes = ClusterChange.NODE_STATE | ClusterChange.GROUP_STATE
            changes |= ClusterChange.RESOURCE_STATE
            async with cluster.notifications(changes) as port_, anyio.create_task_group() as tg:
                await observer.seed()
                tg.start_soon(observer.run, port_)

                async def show_status() -> None:
                    for text in await _status_block(cluster, clock(), client):
                        screen.line(text)

                async def live() -> None:
                    while True:
                        screen.status(await _status_line(cluster, clock(), client))
                        await anyio.sleep(LIVE_INTERVAL)

                if screen.live:
                    tg.start_soon(live)

                # -- online
                screen.line()
                screen.line(f"[2] bring group {GROUP} online")
                await group.online()
                info = await group.state_info()
                if info.state is not GroupState.ONLINE or info.owner is None:
                    raise DemoError(f"group {GROUP} is {info.state.name} after online()")
                timings.owner = owner = info.owner
                await anyio.sleep(0.05)  # let the observer print the last changes first
                await show_status()

                # -- the client
                screen.line()
                screen.line(
                    f"[3] start a client of {ADDRESS}:{port}: a request every 0.1 s, "
                    "reconnecting 0.1 s after a failure"
                )

                def on_client_event(event: ClientEvent) -> None:
                    if event.kind == "connected":
                        after = (
                            f" (after {event.failed_attempts} failed attempts)"
                            if event.failed_attempts
                            else ""
                        )
                        text = f"connected: 'echo from {event.node}'{after}"
                    else:
                        text = f"connection to {event.node} lost: {event.reason}"
                    screen.line(_stamp(event.time, "client", text))

                client = EchoClient(
                    ADDRESS,
                    port,
                    interval=0.1,
                    retry_interval=0.1,
                    clock=clock,
                    on_event=on_client_event,
                )
                tg.start_soon(client.run)
                await _client_reply(client, owner, clock())
                await anyio.sleep(HOLD)
                await show_status()

                # -- crash
                screen.line()
                screen.line(f"[4] crash {owner}, the owner of {GROUP}")
                timings.crash = crash = clock()
                env.crash_node(owner)
                screen.line(_stamp(crash, "demo", f"{owner} crashed (env.crash_node)"))
                down = await observer.wait_for(
                    f"node {owner} DOWN",
                    lambda c: (c.kind, c.name, c.state) == ("node", owner, NodeState.DOWN.name),
                    crash,
                )
                timings.down = down.time
                online = await observer.wait_for(
                    f"group {GROUP} ONLINE on another node",
                    lambda c: (
                        (c.kind, c.name, c.state) == ("group", GROUP, "ONLINE") and c.owner != owner
                    ),
                    down.time,
                )
                timings.failed_over = online.time
                timings.new_owner = new_owner = online.owner or "?"
                await _client_reply(client, new_owner, crash)
                timings.outage = _outage(client, crash)
                await anyio.sleep(HOLD)
                await show_status()

                # -- restart and failback
                screen.line()
                screen.line(f"[5] restart {owner}: it rejoins; {GROUP} fails back in its window")
                restart = clock()
                screen.line(_stamp(restart, "demo", f"{owner} restarted (env.restart_node)"))
                await env.restart_node(owner)
                up = await observer.wait_for(
                    f"node {owner} UP",
                    lambda c: (c.kind, c.name, c.state) == ("node", owner, NodeState.UP.name),
                    restart,
                )
                timings.up = up.time
                back = await observer.wait_for(
                    f"group {GROUP} ONLINE on {owner} (failback)",
                    lambda c: (
                        (c.kind, c.name, c.state, c.owner) == ("group", GROUP, "ONLINE", owner)
                    ),
                    up.time,
                )
                timings.failed_back = back.time
                first = await _client_reply(client, owner, up.time)
                timings.failback_outage = _gap_before(client, first.time)
                await anyio.sleep(HOLD)
                await show_status()
                screen.clear_status()
                screen.line()
                screen.line("[6] stop the client and the cluster")
                tg.cancel_scope.cancel()
        except BaseException:
            failure.log_tail = env.format_log(LogLevel.WARNING).splitlines()[-10:]
            raise
    return timings


async def _client_reply(client: EchoClient, node: str, after: float) -> Reply:
    with anyio.move_on_after(STEP_TIMEOUT):
        return await client.wait_for_reply(node, after=after)
    raise DemoError(f"the client got no reply from {node} within {STEP_TIMEOUT:g} s")


async def _check_stopped(port: int) -> None:
    try:
        stream = await anyio.connect_tcp(ADDRESS, port)
    except OSError:
        return  # refused: the address is gone with the cluster
    await stream.aclose()
    raise DemoError(f"something still accepts on {ADDRESS}:{port} after the cluster stopped")


def _outage(client: EchoClient, moment: float) -> tuple[float, float]:
    pair = client.outage_around(moment)
    if pair is None:
        raise DemoError("the client has no replies on both sides of the crash")
    return pair[0].time, pair[1].time


def _gap_before(client: EchoClient, time: float) -> tuple[float, float]:
    earlier = [r.time for r in client.replies if r.time < time]
    if not earlier:
        raise DemoError("the client has no reply before the failback")
    return earlier[-1], time


def _summary(t: _Timings) -> list[str]:
    start, end = FAILBACK_WINDOW
    rows = [
        (
            "detection",
            t.down - t.crash,
            f"{t.owner} crashed -> node {t.owner} DOWN "
            f"(heartbeat {HEARTBEAT_INTERVAL:g} s, node timeout {NODE_TIMEOUT:g} s)",
        ),
        (
            "failover",
            t.failed_over - t.down,
            f"node {t.owner} DOWN -> group {GROUP} ONLINE on {t.new_owner}",
        ),
        (
            "client outage",
            t.outage[1] - t.outage[0],
            f"last reply from {t.owner} -> first reply from {t.new_owner}",
        ),
        (
            "failback",
            t.failed_back - t.up,
            f"node {t.owner} UP -> group {GROUP} ONLINE on {t.owner} "
            f"(window {start:02d}:00-{end:02d}:00)",
        ),
        (
            "failback outage",
            t.failback_outage[1] - t.failback_outage[0],
            f"last reply from {t.new_owner} -> first reply from {t.owner}",
        ),
    ]
    return [f"  {label:<16} {seconds:7.3f} s   {what}" for label, seconds, what in rows]


def _reason(exc: BaseException) -> tuple[str, bool]:
    """The message to print for ``exc``, and whether it was expected (no traceback needed)."""
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) >= 1:
        demo_errors = [e for e in exc.exceptions if isinstance(e, (DemoError, ClusterError))]
        exc = demo_errors[0] if demo_errors else exc.exceptions[0]
    if isinstance(exc, DemoError):
        return str(exc), True
    if isinstance(exc, ClusterError):
        return f"{type(exc).__name__}: {exc}", True
    return f"{type(exc).__name__}: {exc}", False


async def _main(port: int | None, live: bool, out: TextIO, err: TextIO) -> int:
    screen = _Screen(out, live=live)
    port = free_port(ADDRESS) if port is None else port
    began = anyio.current_time()
    screen.line("clusapi demo: failover and failback of a virtual address, in real time")
    failure = _Failure()
    timings: _Timings | None = None
    try:
        with anyio.move_on_after(TOTAL_TIMEOUT):
            timings = await _demo(screen, port, failure)
        if timings is None:
            raise DemoError(f"the demo did not finish within {TOTAL_TIMEOUT:g} s")
        await _check_stopped(port)
        screen.line(f"    stopped: nothing accepts on {ADDRESS}:{port} any more")
    except Exception as exc:
        screen.clear_status()
        reason, expected = _reason(exc)
        out.flush()
        err.write(f"\ndemo FAILED: {reason}\n")
        if failure.log_tail:
            err.write("last warnings and errors in the cluster log:\n")
            err.writelines(f"  {line}\n" for line in failure.log_tail)
        if not expected:
            err.write("".join(traceback.format_exception(exc)))
        err.flush()
        return 1
    screen.line()
    screen.line("Summary (measured in this run):")
    for line in _summary(timings):
        screen.line(line)
    screen.line()
    screen.line(f"demo finished in {anyio.current_time() - began:.1f} s")
    return 0


def run_demo(
    port: int | None = None,
    *,
    plain: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run the demo on a new asyncio event loop; return the exit status (0: it worked).

    Args:
        port: the TCP port of the virtual address; default: a free one.
        plain: never redraw with ANSI codes, even on a terminal.
        out: where the demo writes (default: stdout); ANSI codes only if it is a terminal.
        err: where a failure is reported (default: stderr).
    """
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    live = not plain and out.isatty() and os.environ.get("TERM", "") not in ("", "dumb")
    try:
        return anyio.run(_main, port, live, out, err, backend="asyncio")
    except KeyboardInterrupt:
        out.write("\ninterrupted\n")
        return 130
