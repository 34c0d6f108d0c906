"""Any command line made highly available, with no code: the Generic Application type.

A program that knows nothing about clusters (here Python's own ``http.server``) becomes a
cluster resource by configuration alone: register :class:`resapi.GenericApplication`, create
a resource of that type and set two private properties, ``CommandLine`` and
``CurrentDirectory``. The cluster starts the program on the node that owns the group, treats
its exit as a failure, and starts it again on another node when that node dies.

Run it (POSIX; a two-node reference cluster on real time with short heartbeats, so it takes
about a second)::

    python -m examples.generic_app          # or: python -m examples.generic_app 8123

It starts the web server on one node and fetches a page from it, crashes that node, waits
for the group to come online on the survivor, fetches the page again from the new process
(a new PID), takes the group offline, and checks that no process it started is left running.
The core is :func:`run_demo`; ``tests/examples/test_example_generic_app.py`` checks it.
"""

from __future__ import annotations

import os
import re
import shlex
import socket
import sys
import tempfile
from typing import TYPE_CHECKING, Final

import anyio
import attrs

import clusapi
import resapi
from clusapi.testing import ReferenceEnvironment, open_reference_cluster

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = (
    "GenericAppDemo",
    "HEARTBEAT_INTERVAL",
    "NODE_TIMEOUT",
    "PAGE",
    "PAGE_TEXT",
    "PATIENCE",
    "Sighting",
    "fetch",
    "free_port",
    "main",
    "pid_exists",
    "run_demo",
    "started_pids",
    "web_server_command",
)

#: The page the web server serves, from the resource's CurrentDirectory.
PAGE: Final = "hello.txt"
PAGE_TEXT: Final = "hello from a Generic Application\n"

#: Real seconds between heartbeats, and without them before a node is declared down. Short,
#: so the demonstration is quick; the defaults (1 s and 5 s) suit a test on virtual time.
HEARTBEAT_INTERVAL: Final = 0.1
NODE_TIMEOUT: Final = 0.5

#: How long (real seconds) the demonstration waits for a program or a failover at most.
PATIENCE: Final = 10.0


def web_server_command(port: int) -> str:
    """The CommandLine: Python's web server on loopback ``port``, serving its directory."""
    return shlex.join([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"])


@attrs.frozen
class Sighting:
    """The program seen running: where, as which process, and what it answered."""

    node: str
    pid: int
    answer: str


@attrs.frozen
class GenericAppDemo:
    """What :func:`run_demo` saw."""

    before: Sighting
    after: Sighting
    #: Whether the first process was gone once the group ran on the survivor.
    first_process_gone: bool
    #: Every process the resource started, in order (read from the cluster log).
    pids: tuple[int, ...]


async def run_demo(
    directory: str,
    port: int,
    *,
    command_line: str | None = None,
    out: Callable[[str], object] = print,
) -> GenericAppDemo:
    """Run ``command_line`` (default: a web server on ``port``) as a Generic Application on a
    two-node reference cluster, crash its node, and see it restarted on the other.

    Every process the resource started has exited when this returns: the group is taken
    offline at the end, and leaving the cluster terminates whatever still runs.
    """
    async with open_reference_cluster(
        nodes=("NODE1", "NODE2"),
        heartbeat_interval=HEARTBEAT_INTERVAL,
        node_timeout=NODE_TIMEOUT,
    ) as env:
        cluster = env.cluster
        # The whole "integration": register the generic type, create a resource, configure.
        await cluster.create_resource_type(resapi.GenericApplication)
        group = await cluster.create_group("web")
        await group.set_preferred_owners(["NODE1", "NODE2"])
        server = await group.create_resource("web server", resapi.GenericApplication.type_name)
        await server.set_private_properties(
            command_line=command_line or web_server_command(port),
            current_directory=directory,
            graceful_stop_timeout=2000,  # ms between SIGTERM and SIGKILL at offline
        )

        async with cluster.notifications(clusapi.ClusterChange.GROUP_STATE) as events:
            await group.online()
            before = await _sighting(env, group, port)
            out(f"online on {before.node}: process {before.pid} answers {before.answer!r}")

            out(f"crashing {before.node} (its processes die with it)")
            env.crash_node(before.node)
            # The survivor notices after NODE_TIMEOUT without heartbeats and fails the group
            # over; the port tells us when the group is online again, and where.
            with anyio.fail_after(PATIENCE):
                while True:
                    await events.receive()
                    info = await group.state_info()
                    if info.state is clusapi.GroupState.ONLINE and info.owner != before.node:
                        break
            after = await _sighting(env, group, port)
            gone = not pid_exists(before.pid)
            out(f"online on {after.node}: process {after.pid} answers {after.answer!r}")
            out(f"process {before.pid} is {'gone' if gone else 'STILL RUNNING'}")

        await group.offline()
        pids = started_pids(env, server.name)
        out(f"group offline; processes started: {', '.join(map(str, pids))}")
        out("the cluster log:")
        out(env.format_log())
    return GenericAppDemo(before=before, after=after, first_process_gone=gone, pids=pids)


async def _sighting(env: ReferenceEnvironment, group: clusapi.Group, port: int) -> Sighting:
    owner = (await group.state_info()).owner
    assert owner is not None, "an online group has an owner"
    resource = (await group.resources())[0]
    pid = started_pids(env, resource.name)[-1]
    return Sighting(node=owner, pid=pid, answer=await fetch(port))


def started_pids(env: ReferenceEnvironment, resource: str) -> tuple[int, ...]:
    """The PIDs a Generic Application resource started, in order, from the cluster log.

    The cluster log is where an administrator looks too: the resource logs
    ``started process <pid>: <command line>`` each time it comes online.
    """
    pattern = re.compile(r"started process (\d+): ")
    return tuple(
        int(match.group(1))
        for entry in env.log
        if entry.source.endswith(f" {resource}") and (match := pattern.match(entry.message))
    )


async def fetch(port: int, path: str = f"/{PAGE}") -> str:
    """GET ``path`` from the web server on loopback ``port``; return the body.

    Waits (up to :data:`PATIENCE`) for the server to listen: a program that has just been
    started needs a moment before it accepts connections.
    """
    request = f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode()
    with anyio.fail_after(PATIENCE):
        while True:
            try:
                stream = await anyio.connect_tcp("127.0.0.1", port)
            except OSError:
                await anyio.sleep(0.05)  # not listening yet; nothing to wait on but time
                continue
            async with stream:
                await stream.send(request)
                response = b""
                try:
                    while True:
                        response += await stream.receive()
                except anyio.EndOfStream:
                    pass
            _, _, body = response.partition(b"\r\n\r\n")
            return body.decode()


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pid_exists(pid: int) -> bool:
    """Whether a process with this PID exists (POSIX: signal 0 checks without sending)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, and belongs to someone else
    return True


async def main(port: int | None = None, *, out: Callable[[str], object] = print) -> int:
    """Run the demonstration in a temporary directory; 0 if it failed over and cleaned up."""
    with tempfile.TemporaryDirectory() as directory:
        await anyio.Path(directory, PAGE).write_text(PAGE_TEXT)
        demo = await run_demo(directory, port or free_port(), out=out)
    leftovers = [pid for pid in demo.pids if pid_exists(pid)]
    ok = (
        demo.before.node != demo.after.node
        and demo.before.pid != demo.after.pid
        and demo.before.answer == demo.after.answer == PAGE_TEXT
        and demo.first_process_gone
        and not leftovers
    )
    out(
        f"failed over from {demo.before.node} (pid {demo.before.pid}) to {demo.after.node} "
        f"(pid {demo.after.pid}); processes left running: {leftovers or 'none'}"
    )
    return 0 if ok else 1


def _argv_port(argv: Sequence[str]) -> int | None:
    return int(argv[1]) if len(argv) > 1 else None


if __name__ == "__main__":
    sys.exit(anyio.run(main, _argv_port(sys.argv)))
