"""The separate-monitor channel trusts nothing from the child (issue 13, finding 11).

The monitor process runs the resource's code, and that code can find the descriptor its
process writes replies and events to and write anything there. Each attack here is a resource
type (:class:`Hostile`, imported by the child from this module) whose control code writes one
hostile frame to that descriptor: a pickle that would run a command in the parent, a
well-formed message the protocol does not allow, a frame length that lies. None may run code
in the parent, crash it or stall it; each costs only that monitor, which is recycled.

Real processes on real time (DeadlockTimeout 1 s unless a test needs the parent's own
deadlines out of the way), except the cluster test, which runs on virtual time.
"""

from __future__ import annotations

import fcntl
import gc
import os
import pickle
import stat
import struct
import time

import anyio
import pytest

import resapi
import resapi._monitor._process_host
from clusapi import ClusterError, ClusterUnavailableError, GroupState, ResourceState, Win32Error
from clusapi.lowlevel import ControlObject, user_control_code
from clusapi.testing import open_reference_cluster
from resapi._monitor._protocol import MAX_FRAME, Event, RegistryChange, Reply, decode, encode
from resapi._records import ResourceStatus
from tests.resapi.separate import types
from tests.resapi.test_separate_monitor import Recorder, assert_gone, make_host

HOSTILE_PATH = "tests.resapi.test_monitor_channel_security:Hostile"
#: Control code: write the frame named by the data (``b"mode"`` or ``b"mode:argument"``).
HOSTILE = 0x0040_0010
#: HOSTILE as a cluster client sends it (CLUSCTL_USER_CODE, routed to the resource).
USER_HOSTILE = user_control_code(9, ControlObject.RESOURCE)

pytestmark = pytest.mark.asyncio


class _RunInParent:
    """Unpickling this calls ``os.system(command)``: what pickle would do in the parent."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> tuple[object, ...]:
        return (os.system, (self.command,))


def _channel_fd() -> int:
    """The descriptor this monitor process writes its frames to: the one pipe it holds open
    for writing (found as any code in the process could, through /proc)."""
    found = []
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd <= 2:
            continue
        try:
            mode = os.fstat(fd).st_mode
            flags = fcntl.fcntl(fd, fcntl.F_GETFL)
        except OSError:
            continue
        if stat.S_ISFIFO(mode) and flags & os.O_ACCMODE == os.O_WRONLY:
            found.append(fd)
    assert len(found) == 1, found
    return found[0]


def _hostile_frame(mode: str, argument: str) -> bytes:
    if mode == "pickle":  # what the old channel unpickled
        payload = pickle.dumps(_RunInParent(f"touch {argument}"))
        return struct.pack(">I", len(payload)) + payload
    if mode == "json-bomb":  # valid JSON naming a class to build that is not in the protocol
        payload = b'{"$":"posix.system","v":["touch ' + argument.encode() + b'"]}'
        return struct.pack(">I", len(payload)) + payload
    if mode == "registry-set-without-name":  # the old parent asserted, and crashed
        return encode(Event("registry", RegistryChange("set", types.REGISTRY_KEY)))
    if mode == "unknown-event":
        return encode(Event("reboot-the-node"))
    if mode == "status":  # a valid report, at a time the host would not make it
        return encode(Event("status", ResourceStatus("res", ResourceState[argument], 0, 0.0)))
    if mode == "status-of-another-state":
        return encode(Event("status", ResourceStatus("res", ResourceState.INITIALIZING, 0, 0.0)))
    if mode == "status-payload-of-wrong-type":
        return encode(Event("status", "ONLINE"))
    if mode == "reply-to-no-request":
        return encode(Reply(10_000, "ok", None))
    if mode == "not-json":
        return struct.pack(">I", 9) + b"{not json"
    if mode == "length":  # announces more than follows
        return struct.pack(">I", int(argument)) + b"0123456789"
    if mode == "half-header":  # then the process blocks: the rest never comes
        return b"\x00\x00"
    raise AssertionError(mode)


def _requests_in_flight() -> list[int]:
    """The IDs of the requests this monitor process is running (resource code can look)."""
    from resapi._monitor._process import _Monitor

    monitor = next(o for o in gc.get_objects() if isinstance(o, _Monitor))
    return list(monitor._scopes)


class Hostile(types.Steady):
    """Steady, whose HOSTILE control code writes a hostile frame into its own channel, and
    whose Online, with OnlineMode "forge-error", answers itself with an error the parent's
    Online never raises (the cluster does not expect one from there)."""

    type_name = "Hostile"

    async def online(self) -> None:
        if self.properties.online_mode == "forge-error":
            error = ClusterUnavailableError(Win32Error.ERROR_CLUSTER_NODE_DOWN, "forged")
            for request in _requests_in_flight():
                os.write(_channel_fd(), encode(Reply(request, "error", error)))
        await super().online()

    async def control(self, code: int, data: bytes) -> bytes | resapi.NotHandled:
        if code in (HOSTILE, USER_HOSTILE):
            mode, _, argument = data.decode().partition(":")
            os.write(_channel_fd(), _hostile_frame(mode, argument))
            if mode == "half-header":
                time.sleep(3600)  # noqa: ASYNC251  (nothing more may follow the half header)
            return b""
        return await super().control(code, data)


async def _attack(host, mode: bytes) -> ClusterError:
    """Send HOSTILE; the monitor is killed before it replies, so the call fails."""
    with pytest.raises(ClusterError) as caught:
        await host.control(HOSTILE, mode)
    return caught.value


def _protocol_errors(recorder: Recorder) -> list[str]:
    return [m for m in recorder.errors() if "protocol error" in m]


@pytest.mark.parametrize("mode", ["pickle", "json-bomb"])
async def test_nothing_the_child_writes_runs_code_in_the_parent(tmp_path, mode):
    planted = tmp_path / "ran-in-the-parent"
    recorder = Recorder()
    async with anyio.create_task_group() as tg:
        host = make_host(tg, recorder, HOSTILE_PATH)
        await host.open()
        assert await host.online() is ResourceState.ONLINE
        pid = host.pid
        error = await _attack(host, f"{mode}:{planted}".encode())
        assert error.winerror == Win32Error.ERROR_RESOURCE_FAILED
        assert not planted.exists(), "a frame from the monitor process ran a command"
        # It cost that monitor: killed, the resource failed, as for a crash.
        assert host.state is ResourceState.FAILED
        assert _protocol_errors(recorder), recorder.errors()
        assert_gone(pid)
        # Recycled: the next Online runs in a new process.
        assert await host.online() is ResourceState.ONLINE
        assert host.pid not in (None, pid)
        await host.close()
    assert not planted.exists()


@pytest.mark.parametrize(
    "mode",
    [
        "registry-set-without-name",
        "status:ONLINE_PENDING",  # no Online runs: nothing would end that pending state
        "status:OFFLINE",  # it is Online, and no Offline runs
        "unknown-event",
        "status-of-another-state",
        "status-payload-of-wrong-type",
        "reply-to-no-request",
        "not-json",
    ],
)
async def test_an_invalid_message_recycles_only_that_monitor(mode):
    recorder = Recorder()
    async with anyio.create_task_group() as tg:
        host = make_host(tg, recorder, HOSTILE_PATH)
        other = make_host(tg, Recorder())  # another resource's monitor: it carries on
        await host.open()
        await other.open()
        assert await host.online() is ResourceState.ONLINE
        assert await other.online() is ResourceState.ONLINE
        pid = host.pid
        await _attack(host, mode.encode())
        assert host.state is ResourceState.FAILED
        assert _protocol_errors(recorder), recorder.errors()
        assert_gone(pid)
        assert await other.is_alive()
        assert await other.control(types.ECHO, b"x") == b"echo:x"
        assert await host.online() is ResourceState.ONLINE  # recycled
        await host.close()
        await other.close()


async def test_an_error_where_the_host_raises_none_recycles_the_monitor():
    recorder = Recorder()
    async with anyio.create_task_group() as tg:
        host = make_host(tg, recorder, HOSTILE_PATH, parameters={"OnlineMode": "forge-error"})
        await host.open()
        pid = host.pid
        # Online returns a state; the forged ClusterUnavailableError does not come out of it.
        assert await host.online() is ResourceState.FAILED
        assert _protocol_errors(recorder), recorder.errors()
        assert_gone(pid)
        await host.close()


async def test_a_frame_too_large_is_refused_at_once():
    recorder = Recorder()
    async with anyio.create_task_group() as tg:
        # DeadlockTimeout 300 s: no deadline of the parent's ends the call early.
        host = make_host(tg, recorder, HOSTILE_PATH, deadlock_timeout=300.0)
        await host.open()
        assert await host.online() is ResourceState.ONLINE
        pid = host.pid
        started = time.monotonic()
        with anyio.fail_after(5):
            await _attack(host, f"length:{MAX_FRAME + 1}".encode())
        assert time.monotonic() - started < 3
        assert any(f"more than {MAX_FRAME}" in m for m in _protocol_errors(recorder))
        assert_gone(pid)
        await host.close()


@pytest.mark.parametrize("frame", [f"length:{MAX_FRAME // 2}", "half-header"])
async def test_a_stalled_frame_is_detected_and_close_ends_the_process_quickly(monkeypatch, frame):
    monkeypatch.setattr(resapi._monitor._process_host, "FRAME_WAIT", 1.0)
    recorder = Recorder()
    async with anyio.create_task_group() as tg:
        # A length under MAX_FRAME with little behind it, or half a header: the old channel
        # waited for the rest until the call's deadline passed (DeadlockTimeout + grace), and
        # close until 2 * DeadlockTimeout + grace.
        host = make_host(tg, recorder, HOSTILE_PATH, deadlock_timeout=300.0)
        await host.open()
        assert await host.online() is ResourceState.ONLINE
        pid = host.pid
        failed = anyio.Event()

        async def attack() -> None:
            await _attack(host, frame.encode())
            failed.set()

        started = time.monotonic()
        tg.start_soon(attack)
        await anyio.sleep(0.3)  # the frame's header is in; the rest never comes
        with anyio.fail_after(5):
            await host.close()  # waits for the stalled channel no longer than FRAME_WAIT
            await failed.wait()
        elapsed = time.monotonic() - started
        assert elapsed < 1.0 + 3, elapsed
        assert any("did not arrive whole within 1 s" in m for m in _protocol_errors(recorder))
        assert_gone(pid)


async def test_decode_builds_nothing_outside_the_protocol():
    for payload in (
        pickle.dumps(_RunInParent("true")),
        b'{"$":"posix.system","v":["true"]}',
        b'{"$":"error","v":{"type":"SystemExit","winerror":1,"message":"x","fix":null,'
        b'"property_name":null}}',
        b'{"$":"Reply","v":{"id":1,"outcome":"ok"}}',  # a field missing
        b'{"$":"Reply","v":{"id":"1","outcome":"ok","value":null}}',  # wrong type
        b'{"$":"Reply","v":{"id":1,"outcome":"done","value":null}}',  # not an outcome
        b'{"$":"ResourceState","v":"__class__"}',
        b"[" * 100_000 + b"]" * 100_000,
    ):
        with pytest.raises(ValueError, match=r"not a monitor protocol frame|unexpected"):
            decode(payload, (Reply, Event))
    # What the host raises crosses as its own class, code, message and fix.
    error = resapi.CannotComeOnlineOnThisNode(
        Win32Error.ERROR_NODE_CANT_HOST_RESOURCE, "no drbdadm", fix="install it"
    )
    reply = decode(encode(Reply(3, "error", error))[4:], (Reply, Event))
    assert isinstance(reply, Reply)
    assert type(reply.value) is resapi.CannotComeOnlineOnThisNode
    assert str(reply.value) == str(error)


@pytest.mark.parametrize("mode", ["registry-set-without-name", "status:ONLINE_PENDING"])
@pytest.mark.virtual_time(autojump_threshold=0.05)
async def test_an_invalid_message_fails_only_that_resource_in_a_cluster(mode):
    async with open_reference_cluster(nodes=("N1", "N2")) as env:
        cluster = env.cluster
        await cluster.create_resource_type(types.Steady)
        await cluster.create_resource_type(HOSTILE_PATH)
        good = await cluster.create_group("good")
        steady = await good.create_resource("steady", "Separate Steady", separate_monitor=True)
        lone = await cluster.create_group("lone")
        wild = await lone.create_resource("wild", "Hostile", separate_monitor=True)
        await wild.set_common_properties(restart_action=0)  # stay failed: look at it
        await good.online("N1")
        await lone.online("N1")
        with pytest.raises(ClusterError):
            await wild.control(USER_HOSTILE, mode.encode())
        await env.advance(2)
        assert await wild.state() is ResourceState.FAILED
        assert any("protocol error" in e.message for e in env.log)
        # The cluster, the node and the other resource did not notice.
        assert await good.state() is GroupState.ONLINE
        assert await steady.state() is ResourceState.ONLINE
        extra = await cluster.create_group("after")
        assert await extra.state() is GroupState.OFFLINE
        await lone.offline()
        await lone.online("N1")
        assert await wild.state() is ResourceState.ONLINE


@pytest.mark.virtual_time(autojump_threshold=0.05)
async def test_a_stalled_channel_does_not_hold_up_closing_the_cluster(monkeypatch):
    monkeypatch.setattr(resapi._monitor._process_host, "FRAME_WAIT", 1.0)
    started = None
    async with open_reference_cluster(nodes=("N1",)) as env:
        cluster = env.cluster
        await cluster.create_resource_type(HOSTILE_PATH)
        group = await cluster.create_group("lone")
        wild = await group.create_resource("wild", "Hostile", separate_monitor=True)
        # DeadlockTimeout 60 s: the old channel waited 2 * 60 s + grace in close.
        await wild.set_common_properties(deadlock_timeout=60_000, restart_action=0)
        await group.online("N1")
        started = time.monotonic()
        with pytest.raises(ClusterError):
            await wild.control(USER_HOSTILE, f"length:{MAX_FRAME // 2}".encode())
        assert await wild.state() is ResourceState.FAILED
        assert any("did not arrive whole within 1 s" in e.message for e in env.log)
    assert time.monotonic() - started < 10  # the attack, the recycling and the close


async def test_what_the_protocol_cannot_carry_is_a_clear_error():
    recorder = Recorder()
    async with anyio.create_task_group() as tg:
        host = make_host(tg, recorder, parameters={"Odd": 1 + 2j})  # no property is complex
        with pytest.raises(ClusterError) as caught:
            await host.open()
        assert caught.value.winerror == Win32Error.ERROR_INVALID_DATA
        assert "cannot be sent to its monitor process" in str(caught.value)
        assert host.pid is None  # the process it started for that is gone
