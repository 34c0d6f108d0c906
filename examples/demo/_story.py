"""``python -m examples.demo``: a failover and a failback, live, with the timings measured.

The demo brings group ``web`` (an address and an echo service behind it) online, starts a
client of the address, crashes the owner node, restarts it, and ends with the timings of the
run: detection, failover, the client's outage, failback. Every state change comes from a
notify port; the status blocks from the ordinary Cluster API calls. It runs on one of two
*engines*, which differ only in what runs the cluster:

- ``reference`` (:mod:`examples.demo._reference`, the default): a 3-node reference cluster in
  this process, on real time;
- ``pacemaker`` (:mod:`examples.demo._pacemaker`): a real 3-node Pacemaker + Corosync cluster
  that the demo starts on this machine in network namespaces and tears down at the end.

This module is the engine-neutral part: the screen, the observer of the notify port, the status
block and line, the steps of the story that are the same on every engine (:class:`Story`), the
summary, and the run (:func:`run_demo`).

Output is plain text. On a terminal a status line at the bottom is redrawn in place (ANSI
``CR`` + erase line); piped, or with ``--plain``, there are no control codes at all.
"""

from __future__ import annotations

import contextlib
import functools
import operator
import os
import sys
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Final, Literal, Protocol, TextIO

import anyio
import attrs
from anyio.abc import TaskGroup

from clusapi import Cluster, ClusterChange, ClusterError, GroupState, NodeState

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Sequence

    from clusapi import Group, Notification, NotifyPort
    from examples.virtual_address import ClientEvent, Reply

__all__ = ("DemoError", "run_demo")

GROUP: Final = "web"
#: Seconds of steady client traffic shown between the steps.
HOLD: Final = 3.0
#: The longest one step (detection, failover, failback, a client reply) may take.
STEP_TIMEOUT: Final = 10.0
#: How often the status line is redrawn on a terminal.
LIVE_INTERVAL: Final = 0.2

_CLEAR_LINE: Final = "\r\x1b[2K"
#: The changes the observer shows (what the demo registers for).
_WATCHED: Final = (
    ClusterChange.NODE_STATE,
    ClusterChange.GROUP_STATE,
    ClusterChange.RESOURCE_STATE,
)
#: The same changes as one filter, for the notify port.
_FILTER: Final[ClusterChange] = functools.reduce(operator.or_, _WATCHED)

Engine = Literal["reference", "pacemaker"]


class DemoError(Exception):
    """Something the demo expected did not happen; the message says what."""


class ClientView(Protocol):
    """What the demo reads of its client: the example's ``EchoClient`` in this process, or
    the Pacemaker engine's view of a client process in the lab's hub namespace."""

    @property
    def replies(self) -> Sequence[Reply]: ...

    async def run(self) -> None:
        """Send requests and record the replies, until cancelled."""
        ...

    async def wait_for_reply(self, node: str | None = None, *, after: float | None = None) -> Reply:
        """The first reply from ``node`` later than ``after``, waiting for it."""
        ...

    def outage_around(self, moment: float) -> tuple[Reply, Reply] | None:
        """The last reply at or before ``moment`` and the first one after it."""
        ...


# -- output -------------------------------------------------------------------------------------


class Screen:
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

    def flush(self) -> None:
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


def stamp(time: float, subject: str, text: str) -> str:
    """One timeline line: time, subject, what happened."""
    return f"  {time:8.3f}  {subject:<18} {text}"


def describe_client_event(event: ClientEvent) -> str:
    """A client event as the timeline shows it."""
    if event.kind == "connected":
        after = f" (after {event.failed_attempts} failed attempts)" if event.failed_attempts else ""
        return f"connected: 'echo from {event.node}'{after}"
    return f"connection to {event.node} lost: {event.reason}"


# -- what the cluster says ----------------------------------------------------------------------


@attrs.frozen
class Change:
    """One observed state change: of a node, a group or a resource, at demo time ``time``."""

    time: float
    kind: str
    name: str
    state: str
    owner: str | None

    def describe(self) -> str:
        if self.owner is None or self.kind == "node":
            return self.state
        return f"{self.state} on {self.owner}"


class Observer:
    """Reads the notify port, keeps the current state of every object, prints each change on
    the timeline and lets the demo wait for one.

    Events carry no state, so each batch of queued events is followed by one state query per
    object it names, stamped by ``stamp`` from that object's last event (default: the event's
    own time). The reference runtime's state queries do not suspend, so there the answers are
    the states right after that event; a real cluster's queries take time, and the answer may
    be a moment newer than the event (a later event for the same object then finds nothing
    new to print).
    """

    def __init__(
        self,
        cluster: Cluster,
        screen: Screen,
        *,
        step_timeout: float = STEP_TIMEOUT,
        stamp: Callable[[Notification], float] | None = None,
    ) -> None:
        self._cluster = cluster
        self._screen = screen
        self._step_timeout = step_timeout
        self._stamp: Callable[[Notification], float] = (
            stamp if stamp is not None else (lambda event: event.time)
        )
        self.history: list[Change] = []
        self._current: dict[tuple[str, str], tuple[str, str | None]] = {}
        self._changed = anyio.Event()

    @property
    def step_timeout(self) -> float:
        """The longest :meth:`wait_for` waits, in seconds."""
        return self._step_timeout

    async def seed(self) -> None:
        """Record the states before the first event, so that only changes are printed."""
        for kind, name, state, owner in await snapshot(self._cluster):
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
                latest[event.change, event.name] = self._stamp(event)
            for (change, name), time in latest.items():
                if change not in _WATCHED:
                    continue  # e.g. CLUSTER_STATE when a real cluster stops answering
                kind, state, owner = await self._query(change, name)
                if self._current.get((kind, name)) == (state, owner):
                    continue
                self._current[kind, name] = (state, owner)
                record = Change(time, kind, name, state, owner)
                self.history.append(record)
                self._screen.line(stamp(time, f"{kind} {name}", record.describe()))
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

    async def wait_for(self, what: str, match: Callable[[Change], bool], after: float) -> Change:
        """The first change at or after ``after`` that ``match`` accepts, waiting for it.

        Raises:
            DemoError: if none comes within the step timeout.
        """
        with anyio.move_on_after(self._step_timeout):
            while True:
                for change in self.history:
                    if change.time >= after and match(change):
                        return change
                await self._changed.wait()
        raise DemoError(f"{what} did not happen within {self._step_timeout:g} s")

    async def wait_for_node(self, name: str, state: NodeState, after: float) -> Change:
        """The first change of node ``name`` to ``state`` at or after ``after`` (see
        :meth:`wait_for`)."""
        return await self.wait_for(
            f"node {name} {state.name}",
            lambda c: (c.kind, c.name, c.state) == ("node", name, state.name),
            after,
        )


async def snapshot(cluster: Cluster) -> list[tuple[str, str, str, str | None]]:
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


def _client_summary(client: ClientView | None) -> str:
    if client is None:
        return "not started"
    if not client.replies:
        return "no reply yet"
    last = client.replies[-1]
    return f"{len(client.replies)} replies, the last from {last.node} at {last.time:.3f}"


async def status_block(cluster: Cluster, now: float, client: ClientView | None) -> list[str]:
    """The status of every object and of the client, as a block of lines."""
    rows = await snapshot(cluster)

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


async def status_line(cluster: Cluster, now: float, client: ClientView | None) -> str:
    """The one-line status redrawn at the bottom of a terminal."""
    rows = await snapshot(cluster)
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
class Timings:
    """What the summary reports, all in demo time (seconds)."""

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
class Failure:
    """Where a failed run left its evidence: the tail of the cluster log."""

    log_tail: list[str] = attrs.field(factory=list)


async def client_reply(
    client: ClientView, node: str, after: float, limit: float = STEP_TIMEOUT
) -> Reply:
    """The client's first reply from ``node`` after ``after``, waiting for it.

    Raises:
        DemoError: if none comes within ``limit`` seconds.
    """
    with anyio.move_on_after(limit):
        return await client.wait_for_reply(node, after=after)
    raise DemoError(f"the client got no reply from {node} within {limit:g} s")


def outage(client: ClientView, moment: float) -> tuple[float, float]:
    """The client's last reply up to ``moment`` and its first one after it."""
    pair = client.outage_around(moment)
    if pair is None:
        raise DemoError("the client has no replies on both sides of the crash")
    return pair[0].time, pair[1].time


def gap_before(client: ClientView, time: float) -> tuple[float, float]:
    """The client's last reply before ``time``, and ``time``."""
    earlier = [r.time for r in client.replies if r.time < time]
    if not earlier:
        raise DemoError(f"the client has no reply before the one at {time:.3f}")
    return earlier[-1], time


# -- the steps every engine takes ---------------------------------------------------------------


@attrs.define(eq=False)
class Story:
    """The steps of the demo's story that are the same on every engine, on a running cluster.

    :func:`open_story` makes it, with the observer (and, on a terminal, the status line)
    running in :attr:`task_group`. An engine calls the steps in order and does what is its own
    between them: the client it starts, the crash, the restart, and what it prints about them.
    """

    cluster: Cluster
    screen: Screen
    #: Demo time now, in seconds (the timeline's time).
    clock: Callable[[], float]
    observer: Observer
    task_group: TaskGroup
    #: The client, once :meth:`start_client` has started it (the status shows it).
    client: ClientView | None = None

    async def show_status(self) -> None:
        """Print the status block (:func:`status_block`)."""
        for text in await status_block(self.cluster, self.clock(), self.client):
            self.screen.line(text)

    async def live(self, interval: float) -> None:
        """Redraw the status line (:func:`status_line`) every ``interval`` seconds, forever."""
        while True:
            self.screen.status(await status_line(self.cluster, self.clock(), self.client))
            await anyio.sleep(interval)

    async def hold(self) -> None:
        """Let the client's traffic run for :data:`HOLD` seconds, then print the status."""
        await anyio.sleep(HOLD)
        await self.show_status()

    def show_client_event(self, event: ClientEvent) -> None:
        """Print a client event on the timeline: the client's ``on_event``."""
        self.screen.line(stamp(event.time, "client", describe_client_event(event)))

    async def bring_online(self, group: Group) -> str:
        """Step [2]: bring ``group`` online; return its owner.

        Raises:
            DemoError: if the group is not ONLINE on a node then.
        """
        self.screen.line()
        self.screen.line(f"[2] bring group {GROUP} online")
        await group.online()
        info = await group.state_info()
        if info.state is not GroupState.ONLINE or info.owner is None:
            raise DemoError(f"group {GROUP} is {info.state.name} after online()")
        return info.owner

    async def start_client(self, client: ClientView, owner: str) -> None:
        """Run ``client`` in the task group and wait for its first reply from ``owner``.

        Raises:
            DemoError: if none comes within the step timeout.
        """
        self.client = client
        self.task_group.start_soon(client.run)
        await client_reply(client, owner, self.clock(), self.observer.step_timeout)

    async def fail_over(self, timings: Timings) -> Reply:
        """After ``timings.owner`` crashed at ``timings.crash``: wait for the node DOWN, the
        group ONLINE on another node and the client's first reply from there (returned), and
        record the times and the new owner in ``timings``.

        Raises:
            DemoError: if one of them does not come within the step timeout.
        """
        owner, crash = timings.owner, timings.crash
        down = await self.observer.wait_for_node(owner, NodeState.DOWN, crash)
        timings.down = down.time
        online = await self.observer.wait_for(
            f"group {GROUP} ONLINE on another node",
            lambda c: (c.kind, c.name, c.state) == ("group", GROUP, "ONLINE") and c.owner != owner,
            down.time,
        )
        timings.failed_over = online.time
        timings.new_owner = new_owner = online.owner or "?"
        return await client_reply(
            self._started_client(), new_owner, crash, self.observer.step_timeout
        )

    async def fail_back(self, timings: Timings, restart: float) -> None:
        """After ``timings.owner`` restarted at ``restart``: wait for the node UP, the group
        ONLINE on it again and the client's first reply from it, and record the times and the
        client's failback outage in ``timings``.

        Raises:
            DemoError: if one of them does not come within the step timeout.
        """
        owner = timings.owner
        up = await self.observer.wait_for_node(owner, NodeState.UP, restart)
        timings.up = up.time
        back = await self.observer.wait_for(
            f"group {GROUP} ONLINE on {owner} (failback)",
            lambda c: (c.kind, c.name, c.state, c.owner) == ("group", GROUP, "ONLINE", owner),
            up.time,
        )
        timings.failed_back = back.time
        client = self._started_client()
        first = await client_reply(client, owner, up.time, self.observer.step_timeout)
        timings.failback_outage = gap_before(client, first.time)

    def _started_client(self) -> ClientView:
        if self.client is None:
            raise DemoError("the story has no client: start_client() comes before the crash")
        return self.client


@contextlib.asynccontextmanager
async def open_story(
    cluster: Cluster,
    screen: Screen,
    clock: Callable[[], float],
    *,
    step_timeout: float = STEP_TIMEOUT,
    stamp: Callable[[Notification], float] | None = None,
    live_interval: float = LIVE_INTERVAL,
) -> AsyncIterator[Story]:
    """A :class:`Story` on ``cluster``, for the block: a notify port for the changes the
    observer shows, the observer (``step_timeout``, ``stamp``: see :class:`Observer`) seeded
    and running, and on a terminal the status line redrawn every ``live_interval`` seconds.
    When the block ends, they stop, and so does the client it started."""
    observer = Observer(cluster, screen, step_timeout=step_timeout, stamp=stamp)
    async with cluster.notifications(_FILTER) as port, anyio.create_task_group() as tg:
        await observer.seed()
        tg.start_soon(observer.run, port)
        story = Story(cluster, screen, clock, observer, tg)
        if screen.live:
            tg.start_soon(story.live, live_interval)
        yield story
        # The observer, the status line and the client run until cancelled: the story is over.
        tg.cancel_scope.cancel()


def summary(t: Timings, *, detection: str, failback: str) -> list[str]:
    """The summary lines: label, seconds, what was measured.

    Args:
        detection: how the cluster detects a crash (shown after the detection row).
        failback: what lets the group fail back (shown after the failback row).
    """
    rows = [
        (
            "detection",
            t.down - t.crash,
            f"{t.owner} crashed -> node {t.owner} DOWN ({detection})",
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
            f"node {t.owner} UP -> group {GROUP} ONLINE on {t.owner} ({failback})",
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


class DemoEngine(Protocol):
    """What runs the cluster of one demo run (see :mod:`examples.demo._reference`)."""

    #: The demo's first line.
    title: str
    #: The longest the whole run may take before it gives up, in seconds.
    total_timeout: float

    async def run(self, screen: Screen, failure: Failure) -> Timings:
        """Run the story on a cluster it starts and stops itself; return what it measured.

        Raises:
            DemoError: something expected did not happen (also ClusterError from a call).
        """
        ...

    async def check_stopped(self) -> str:
        """After :meth:`run`: what shows that everything it started has stopped (one line).

        Raises:
            DemoError: something is still running.
        """
        ...

    def summary(self, timings: Timings) -> list[str]:
        """The summary lines (see :func:`summary`)."""
        ...


async def _main(engine: DemoEngine, screen: Screen, err: TextIO) -> int:
    began = anyio.current_time()
    screen.line(engine.title)
    failure = Failure()
    timings: Timings | None = None
    try:
        with anyio.move_on_after(engine.total_timeout):
            timings = await engine.run(screen, failure)
        if timings is None:
            raise DemoError(f"the demo did not finish within {engine.total_timeout:g} s")
        screen.line(f"    stopped: {await engine.check_stopped()}")
    except Exception as exc:
        screen.clear_status()
        reason, expected = _reason(exc)
        screen.flush()
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
    for line in engine.summary(timings):
        screen.line(line)
    screen.line()
    screen.line(f"demo finished in {anyio.current_time() - began:.1f} s")
    return 0


def run_demo(
    port: int | None = None,
    *,
    engine: Engine = "reference",
    plain: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run the demo on a new asyncio event loop; return the exit status (0: it worked).

    Args:
        port: the TCP port of the address; default: a free one (reference), 7100 (pacemaker).
        engine: ``"reference"`` (in-process cluster) or ``"pacemaker"`` (a real 3-node
            Pacemaker cluster in network namespaces; needs root and the packages).
        plain: never redraw with ANSI codes, even on a terminal.
        out: where the demo writes (default: stdout); ANSI codes only if it is a terminal.
        err: where a failure is reported (default: stderr).
    """
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    live = not plain and out.isatty() and os.environ.get("TERM", "") not in ("", "dumb")
    screen = Screen(out, live=live)
    if engine == "pacemaker":
        from ._pacemaker import run_pacemaker_demo

        return run_pacemaker_demo(port, screen, err, _main)
    from ._reference import ReferenceEngine

    try:
        return anyio.run(_main, ReferenceEngine(port), screen, err, backend="asyncio")
    except KeyboardInterrupt:
        out.write("\ninterrupted\n")
        return 130
