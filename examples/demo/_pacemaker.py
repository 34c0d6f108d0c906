"""The pacemaker engine of ``python -m examples.demo --engine pacemaker``: a real cluster.

The same story as the reference engine (:mod:`examples.demo._reference`), on a real 3-node
Pacemaker + Corosync cluster that the demo starts on this machine and removes at the end: a
:class:`~clusapi.testing.PacemakerLab` with fencing, driven through the Cluster API
(``PacemakerBackend``, tools run inside node3); the address is ``ocf:heartbeat:IPaddr2``, the
echo service is :mod:`examples.demo._echo` installed as an OCF agent, the client is
:mod:`examples.demo._client` in the lab's hub namespace, the crash is ``lab.kill9``, and the
teardown always happens (also on Ctrl-C, SIGTERM, SIGHUP). Why each piece is what it is:
``docs/quickstart.md``, "The same demo on Pacemaker".
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal, TextIO

import anyio
import attrs
from anyio.abc import Process

from clusapi import FailbackType, open_cluster
from clusapi.pacemaker import PacemakerBackend
from clusapi.testing import PacemakerLab
from examples.virtual_address import ClientEvent, Reply

from ._echo import DemoEchoService
from ._story import GROUP, DemoError, Timings, gap_before, open_story, stamp, summary

if TYPE_CHECKING:
    from collections.abc import Awaitable

    from clusapi import Cluster, Group, Notification

    from ._story import DemoEngine, Failure, Screen

__all__ = (
    "ADDRESS",
    "DEFAULT_PORT",
    "HubClient",
    "PacemakerEngine",
    "create_web_group",
    "drop_address",
    "show_fence",
    "run_pacemaker_demo",
)

#: The cluster's address (IPaddr2) on the lab's network, and the echo service's port on it.
ADDRESS: Final = "10.77.0.100"
NETMASK: Final = "24"
DEFAULT_PORT: Final = 7100
NODES: Final = 3
#: Corosync's totem token in ms (token_coefficient is 0: the effective timeout).
TOKEN_MS: Final = 500
#: The node whose tools the Cluster API runs: not the owner, which is crashed.
API_NODE: Final = 3
#: How often the backend takes a snapshot for a waiting notify port (its default).
POLL_INTERVAL: Final = 0.5
#: A real cluster: a step (detection, failover, failback, a reply) may take this long.
STEP_TIMEOUT: Final = 30.0
#: The whole run, lab start and teardown included.
TOTAL_TIMEOUT: Final = 180.0
#: A status line costs a few tool runs: redraw it once a second.
LIVE_INTERVAL: Final = 1.0
#: Where the demo's modules and the examples import from (the source tree's root).
_ROOT: Final = str(Path(__file__).resolve().parents[2])
_AGENT: Final = "ocf:resapi:demo-echo-service"
#: What the pacemaker engine needs installed (the lab's own hint is private to clusapi.testing).
INSTALL_HINT: Final = "apt-get install -y pacemaker corosync pacemaker-cli-utils resource-agents"
_PYTHONPATH: Final = os.environ.get("PYTHONPATH", "")


# -- the client in the hub namespace -------------------------------------------------------------


@attrs.define(eq=False)
class HubClient:
    """The client process in the lab's hub namespace (:mod:`examples.demo._client`), as the
    demo sees it: its replies and connection events, as an ``EchoClient`` keeps them."""

    argv: list[str]
    on_event: Callable[[ClientEvent], None]
    replies: list[Reply] = attrs.field(factory=list, init=False)
    events: list[ClientEvent] = attrs.field(factory=list, init=False)
    #: What the process wrote on stderr (shown if it fails).
    errors: list[str] = attrs.field(factory=list, init=False)
    process: Process | None = attrs.field(default=None, init=False)
    _changed: anyio.Event = attrs.field(factory=anyio.Event, init=False)

    @classmethod
    def in_hub(
        cls,
        lab: PacemakerLab,
        port: int,
        origin: float,
        on_event: Callable[[ClientEvent], None] = lambda event: None,
    ) -> HubClient:
        """A client of ``ADDRESS:port`` in ``lab``'s hub namespace, stamping its replies and
        events with ``time.monotonic() - origin``; :meth:`run` starts it."""
        argv = [*lab.hub_prefix(), sys.executable, "-m", "examples.demo._client"]
        return cls([*argv, ADDRESS, str(port), repr(origin)], on_event)

    async def run(self) -> None:
        """Start the process and read its reports until it ends (or this is cancelled, which
        stops it)."""
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [_ROOT, _PYTHONPATH]))}
        self.process = process = await anyio.open_process(
            self.argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,  # a Ctrl-C is for the demo, which stops it by PID
        )
        assert process.stdout is not None
        assert process.stderr is not None
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._read_errors, process.stderr)
                buffer = b""
                async for chunk in process.stdout:
                    buffer += chunk
                    *lines, buffer = buffer.split(b"\n")
                    for line in lines:
                        self._record(json.loads(line))
            await process.wait()
        finally:
            await self.stop()
            with anyio.CancelScope(shield=True):
                await process.stdout.aclose()
                await process.stderr.aclose()
        if process.returncode not in (0, -signal.SIGTERM):
            raise DemoError(
                f"the client process exited with {process.returncode}: "
                + " | ".join(self.errors[-5:])
            )

    async def _read_errors(self, stream: anyio.abc.ByteReceiveStream) -> None:
        async for chunk in stream:
            self.errors.extend(chunk.decode(errors="replace").splitlines())

    def _record(self, record: dict[str, object]) -> None:
        time_ = float(str(record["time"]))
        node = str(record["node"])
        if record["kind"] == "reply":
            self.replies.append(Reply(time_, node))
        else:
            kind: Literal["connected", "lost"] = (
                "connected" if record["kind"] == "connected" else "lost"
            )
            event = ClientEvent(
                time_,
                kind,
                node,
                str(record.get("reason", "")),
                int(str(record.get("failed_attempts", 0))),
            )
            self.events.append(event)
            self.on_event(event)
        self._changed.set()
        self._changed = anyio.Event()

    async def wait_for_reply(self, node: str | None = None, *, after: float | None = None) -> Reply:
        """The first reply from ``node`` (any node if None) later than ``after``, waiting for it."""
        while True:
            for reply in self.replies:
                if (after is None or reply.time > after) and node in (None, reply.node):
                    return reply
            await self._changed.wait()

    def outage_around(self, moment: float) -> tuple[Reply, Reply] | None:
        """The last reply at or before ``moment`` and the first one after it, if both exist."""
        before = [r for r in self.replies if r.time <= moment]
        after = [r for r in self.replies if r.time > moment]
        if not before or not after:
            return None
        return before[-1], after[0]

    async def stop(self) -> None:
        """Close its stdin (it ends by itself), then SIGTERM, then SIGKILL, by PID."""
        process = self.process
        if process is None:
            return
        with anyio.CancelScope(shield=True):
            if process.stdin is not None:
                with contextlib.suppress(OSError, anyio.BrokenResourceError):
                    await process.stdin.aclose()
            if process.returncode is not None:
                return
            for escalate in (process.terminate, process.kill):
                with anyio.move_on_after(2.0):
                    await process.wait()
                    return
                with contextlib.suppress(ProcessLookupError):
                    escalate()
            with anyio.move_on_after(2.0):
                await process.wait()

    def kill(self) -> None:
        """SIGKILL the process if it still runs (the last resort, outside the event loop)."""
        process = self.process
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGKILL)


# -- the engine -----------------------------------------------------------------------------------


class PacemakerEngine:
    """The demo's story on a real 3-node Pacemaker cluster in namespaces (see the module)."""

    title = "clusapi demo: failover and failback of a cluster address, on a real Pacemaker cluster"
    total_timeout = TOTAL_TIMEOUT

    def __init__(self, port: int | None) -> None:
        self.port = DEFAULT_PORT if port is None else port
        self.lab = PacemakerLab(nodes=NODES, token_ms=TOKEN_MS, fencing=True)
        self.client: HubClient | None = None
        #: (device, inode) of each of the lab's network namespaces, to find leftovers later.
        self._namespaces: dict[str, tuple[int, int]] = {}
        self._teardown_seconds: float | None = None

    async def run(self, screen: Screen, failure: Failure) -> Timings:
        lab = self.lab
        screen.line(
            f"[1] start a {NODES}-node Pacemaker + Corosync cluster on this machine, one network "
            "namespace per node"
        )
        screen.line(
            f"    Corosync token {TOKEN_MS} ms (token_coefficient 0, consensus "
            f"{TOKEN_MS * 1.2:.0f} ms); stonith enabled: the lab's fence device "
            "(fence_clusapi_lab) powers a lost node off"
        )
        began = anyio.current_time()
        try:
            await anyio.to_thread.run_sync(lab.start)
            self._namespaces = _namespace_ids(lab.netns_names)
            # Demo time: seconds since the cluster formed. Notifications carry wall-clock time.
            origin = anyio.current_time()
            wall_origin = time.time()
            screen.line(
                f"    {', '.join(lab.node_names)} online with quorum after "
                f"{origin - began:.1f} s (lab {lab.lab_id}: namespaces "
                f"{', '.join(lab.netns_names)})"
            )
            backend = PacemakerBackend(
                command_prefix=lab.command_prefix(API_NODE),
                ocf_root=lab.ocf_root,
                poll_interval=POLL_INTERVAL,
            )
            async with await open_cluster(backend=backend) as cluster:
                return await self._story(
                    cluster,
                    screen,
                    clock=lambda: anyio.current_time() - origin,
                    event_time=lambda event: event.time - wall_origin,
                )
        except BaseException:
            failure.log_tail = self._log_tail()
            raise
        finally:
            if self.client is not None:
                await self.client.stop()
                self.client.kill()
            # Synchronously: nothing else may run now, and a second Ctrl-C while it runs
            # skips to its SIGKILL part and still finishes (PacemakerLab.teardown).
            stopping = time.monotonic()
            lab.teardown()
            self._teardown_seconds = time.monotonic() - stopping

    async def _story(
        self,
        cluster: Cluster,
        screen: Screen,
        *,
        clock: Callable[[], float],
        event_time: Callable[[Notification], float],
    ) -> Timings:
        lab = self.lab
        port = self.port
        nodes = list(lab.node_names)
        timings = Timings()

        group = await create_web_group(cluster, nodes, port)
        screen.line(
            f"    group {GROUP}: resource 'address' (ocf:heartbeat:IPaddr2 {ADDRESS}/{NETMASK}) "
            f"and 'echo' ({_AGENT}, the example's Echo Service on port {port}, depends on "
            "'address')"
        )
        screen.line(
            f"    preferred owners {', '.join(nodes)}; failback allowed (resource-stickiness 0, "
            f"no window); the Cluster API runs Pacemaker's tools in {nodes[API_NODE - 1]}"
        )
        screen.line(
            "    times below are seconds since the cluster formed; changes come from a notify "
            f"port (the backend compares snapshots every {POLL_INTERVAL:g} s)"
        )

        async with open_story(
            cluster,
            screen,
            clock,
            step_timeout=STEP_TIMEOUT,
            stamp=event_time,
            live_interval=LIVE_INTERVAL,
        ) as story:
            # -- online
            timings.owner = owner = await story.bring_online(group)
            if owner == nodes[API_NODE - 1]:
                raise DemoError(
                    f"group {GROUP} came online on {owner}, the node the Cluster API talks "
                    f"through, not on its first preferred owner {nodes[0]}"
                )
            await story.observer.wait_for(
                f"group {GROUP} ONLINE on {owner} (the notify port)",
                lambda c: (c.kind, c.name, c.state, c.owner) == ("group", GROUP, "ONLINE", owner),
                0.0,
            )
            await story.show_status()

            # -- the client
            screen.line()
            screen.line(
                f"[3] start a client of {ADDRESS}:{port} in the hub namespace: a request every "
                "0.1 s, reconnecting 0.1 s after a failure"
            )
            origin = anyio.current_time() - clock()
            self.client = client = HubClient.in_hub(lab, port, origin, story.show_client_event)
            await story.start_client(client, owner)
            await story.hold()

            # -- crash
            screen.line()
            screen.line(f"[4] crash {owner}, the owner of {GROUP}")
            index = nodes.index(owner) + 1
            timings.crash = crash = clock()
            # Printed first: the client's "lost" line comes while the kill runs.
            screen.line(
                stamp(
                    crash,
                    "demo",
                    f"{owner} crashed (lab.kill9: SIGKILL of corosync, pacemaker, the agents; "
                    f"{ADDRESS} gone with it)",
                )
            )
            await anyio.to_thread.run_sync(lab.kill9, index)
            await anyio.to_thread.run_sync(drop_address, lab, index)
            async with anyio.create_task_group() as tg:
                # Shown when it happens, between the node going down and the group online.
                tg.start_soon(show_fence, lab, owner, crash, anyio.current_time() - clock(), screen)
                first = await story.fail_over(timings)
            # From the old owner's last answer: it may still answer just after the stamp,
            # while the kill is on its way.
            timings.outage = gap_before(client, first.time)
            await story.hold()

            # -- restart and failback
            screen.line()
            screen.line(
                f"[5] restart {owner}: it rejoins; {GROUP} fails back to its first preferred owner"
            )
            restart = clock()
            screen.line(stamp(restart, "demo", f"{owner} restarted (lab.start_node)"))
            await anyio.to_thread.run_sync(lab.start_node, index)
            await story.fail_back(timings, restart)
            await story.hold()
            screen.clear_status()
            screen.line()
            screen.line("[6] stop the client, close the cluster handle, remove the lab")
            await client.stop()
        return timings

    def _log_tail(self) -> list[str]:
        """The last warnings and errors of the API node's Pacemaker log (before teardown)."""
        try:
            text = self.lab.log_file(API_NODE).read_text(errors="replace")
        except (OSError, RuntimeError):
            return []
        wanted = re.compile(r"\b(error|warning|crit)\b", re.IGNORECASE)
        return [line for line in text.splitlines() if wanted.search(line)][-10:]

    async def check_stopped(self) -> str:
        lab = self.lab
        listed = set(_netns_list())
        namespaces = [name for name in lab.netns_names if name in listed]
        processes = _processes_in(set(self._namespaces.values()))
        client = self.client
        if client is not None and client.process is not None and client.process.returncode is None:
            processes.append(client.process.pid)
        if namespaces or processes:
            raise DemoError(
                f"lab {lab.lab_id} left something behind: namespaces {namespaces}, "
                f"processes {processes}"
            )
        took = "" if self._teardown_seconds is None else f" in {self._teardown_seconds:.1f} s"
        return (
            f"lab {lab.lab_id} removed{took}: no namespace and no process left "
            "(client, corosync, pacemaker, agents)"
        )

    def summary(self, timings: Timings) -> list[str]:
        return summary(
            timings,
            detection=(
                f"Corosync token {TOKEN_MS} ms + consensus {TOKEN_MS * 1.2:.0f} ms, seen "
                f"through snapshots every {POLL_INTERVAL:g} s"
            ),
            failback="preferred owner, resource-stickiness 0",
        )


async def create_web_group(cluster: Cluster, nodes: list[str], port: int) -> Group:
    """Group ``web`` through the Cluster API: ``address`` (IPaddr2) and ``echo`` (the demo's
    echo service, depending on it), preferred owners ``nodes``, failback allowed; offline."""
    await cluster.create_resource_type(DemoEchoService)  # installs the OCF agent
    group = await cluster.create_group(GROUP)
    await group.set_preferred_owners(nodes)
    await group.set_common_properties(auto_failback_type=int(FailbackType.ALLOW_FAILBACK))
    address = await group.create_resource("address", "ocf:heartbeat:IPaddr2")
    await address.set_private_properties(ip=ADDRESS, cidr_netmask=NETMASK)
    echo = await group.create_resource("echo", DemoEchoService.type_name)
    await echo.set_private_properties(port=port)
    await echo.add_dependency(address)
    return group


async def show_fence(
    lab: PacemakerLab, node: str, since: float, origin: float, screen: Screen
) -> None:
    """Wait for the lab's fence device to fence ``node`` after ``since`` (demo time; ``origin``
    is the demo's zero on the monotonic clock) and show it on the timeline.

    Raises:
        DemoError: no fence of ``node`` within the step timeout.
    """
    with anyio.move_on_after(STEP_TIMEOUT):
        while True:
            for event in lab.fence_history:
                if event.node == node and event.time - origin >= since:
                    text = (
                        f"{node} fenced ({event.action}: what was left of it killed, link down; "
                        "it stays down until restarted)"
                    )
                    screen.line(stamp(event.time - origin, "fence device", text))
                    return
            await anyio.sleep(0.05)
    raise DemoError(f"the fence device did not fence {node} within {STEP_TIMEOUT:g} s")


def drop_address(lab: PacemakerLab, index: int) -> None:
    """Remove the cluster address from crashed node ``index``'s namespace (see the module)."""
    netns = lab.netns_names[index]  # the hub's comes first
    subprocess.run(
        ["ip", "-n", netns, "addr", "del", f"{ADDRESS}/{NETMASK}", "dev", "eth0"],
        capture_output=True,
        check=False,  # not there: IPaddr2 had not added it yet
    )


def _netns_list() -> list[str]:
    result = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False)
    return [line.split()[0] for line in result.stdout.splitlines() if line.strip()]


def _namespace_ids(names: tuple[str, ...]) -> dict[str, tuple[int, int]]:
    ids = {}
    for name in names:
        with contextlib.suppress(OSError):
            info = os.stat(f"/run/netns/{name}")
            ids[name] = (info.st_dev, info.st_ino)
    return ids


def _processes_in(namespaces: set[tuple[int, int]]) -> list[int]:
    """The live processes whose network namespace is one of ``namespaces`` (device, inode)."""
    inodes = {inode for _, inode in namespaces}
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            info = os.stat(f"/proc/{entry}/ns/net")
            state = Path(f"/proc/{entry}/stat").read_text().rpartition(")")[2].split()[0]
        except (OSError, IndexError):
            continue  # it ended while we looked
        if info.st_ino in inodes and state not in ("Z", "X"):
            found.append(int(entry))
    return found


# -- the command ----------------------------------------------------------------------------------


def unavailable_message() -> str | None:
    """What the pacemaker engine needs and lacks here, or None when it can run."""
    reason = PacemakerLab.unavailable()
    if reason is None:
        return None
    return (
        f"python -m examples.demo --engine pacemaker cannot run here: {reason}\n"
        "It starts a real 3-node Pacemaker + Corosync cluster on this machine, one network "
        "namespace per node, so it needs Linux, root, and the packages:\n"
        f"    {INSTALL_HINT}\n"
        "(python -m examples.demo, without --engine, runs the same story on the in-process "
        "reference cluster.)\n"
    )


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signal.Signals(signum).name}")


def run_pacemaker_demo(
    port: int | None,
    screen: Screen,
    err: TextIO,
    main: Callable[[DemoEngine, Screen, TextIO], Awaitable[int]],
) -> int:
    """Run the demo with a :class:`PacemakerEngine`; the lab is gone when this returns.

    Returns 1 with the reason on ``err`` if the lab cannot run here, 130 when interrupted
    (Ctrl-C, SIGTERM, SIGHUP), else what ``main`` returns.
    """
    message = unavailable_message()
    if message is not None:
        err.write(message)
        err.flush()
        return 1
    engine = PacemakerEngine(port)
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)}
    interrupted = False
    try:
        return anyio.run(main, engine, screen, err, backend="asyncio")
    except KeyboardInterrupt:
        interrupted = True
        return 130
    finally:
        try:
            if engine.client is not None:
                engine.client.kill()
            engine.lab.teardown()  # idempotent: a no-op if the run removed it already
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if interrupted:
            screen.clear_status()
            screen.line()
            screen.line(f"interrupted; lab {engine.lab.lab_id} removed")
