"""The host daemon of one resapi resource instance under OCF, and the ``start`` that launches it.

``start`` launches ``python -P .../resapi/_ocf/_agent.py daemon MODULE:CLASS`` from ``/``,
detached in its own session, and waits until it reports Online; the daemon
(:class:`HostDaemon`) hosts the instance in a :class:`~resapi._monitor._host.ResourceHost`
and answers the later actions (``monitor``, ``stop``, ``start``'s polls) over its Unix socket,
one JSON request and one JSON reply per connection, only to its own user. docs/ocf.md ("The
host daemon") and docs/architecture.md (why it is not the separate monitor's protocol).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Final

import anyio
import anyio.abc

from clusapi._enums import ResourceState

from .._monitor._host import ResourceHost
from ._agent import (
    _PATH_VARIABLE,
    OCF_ERR_CONFIGURED,
    OCF_ERR_GENERIC,
    OCF_ERR_INSTALLED,
    OCF_SUCCESS,
    AgentError,
    _Instance,
    _is_daemon,
    _Log,
    _log_tail,
    _peer,
    _request,
    _stop,
    _timeout,
    _write_private,
)
from ._install import import_root
from ._parameters import load_type, parameters_from_env

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .._records import FailureReport, LogEntry, ResourceStatus
    from .._resource import Resource

__all__ = ("AGENT_SCRIPT", "HostDaemon", "start")

#: The agent script, which the daemon runs as (``_is_daemon`` looks for it in /proc).
AGENT_SCRIPT: Final = Path(__file__).resolve().with_name("_agent.py")

#: ``start``'s exit code when Online raised resapi.CannotComeOnline (by the state it reports):
#: Pacemaker's "hard" error bans the resource from this node, its "fatal" one from all nodes.
_CANNOT_COME_ONLINE: Final = {
    "CANNOT_COME_ONLINE_ON_THIS_NODE": OCF_ERR_INSTALLED,
    "CANNOT_COME_ONLINE_ON_ANY_NODE": OCF_ERR_CONFIGURED,
}
#: How often ``start`` asks the daemon how Online is going, in seconds.
_START_POLL: Final = 0.05
_SOCKET_PATH_MAX: Final = 100  # sun_path is 108 bytes on Linux
#: OCF log levels (what ``ocf_log`` prints) of the MSCS ``LogLevel`` names.
_LEVELS: Final = {"INFORMATION": "INFO", "WARNING": "WARNING", "ERROR": "ERROR", "SEVERE": "CRIT"}


class _Tail:
    """Copies the lines the daemon adds to its log onto our stderr, so the progress of a
    long ``start`` (pending Online, checkpoints, the resource's own log) shows where
    Pacemaker records the action's output."""

    def __init__(self, file: Path, offset: int) -> None:
        self.file = file
        self.offset = offset

    def forward(self) -> None:
        try:
            fd = os.open(self.file, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            return
        with os.fdopen(fd, "rb") as log:
            log.seek(self.offset)
            data = log.read()
        complete = data[: data.rfind(b"\n") + 1]
        if complete:
            self.offset += len(complete)
            sys.stderr.write(complete.decode(errors="replace"))
            sys.stderr.flush()


def _code_path(path: str, env: Mapping[str, str]) -> list[str]:
    """Where the daemon imports the type and resapi from: their import roots here (a manual
    ``python -m resapi.ocf run`` may have found them in its working directory), then the
    agent's own code path."""
    module = path.partition(":")[0]
    return [
        entry
        for entry in dict.fromkeys(
            (
                import_root(module),
                import_root("resapi"),
                *env.get(_PATH_VARIABLE, "").split(os.pathsep),
            )
        )
        if entry
    ]


def start(
    path: str, cls: type[Resource], instance: _Instance, env: Mapping[str, str], log: _Log
) -> int:
    parameters_from_env(cls.Properties, env)  # ERR_CONFIGURED before anything runs
    pending_timeout = cls.pending_timeout / 1000
    action_timeout = _timeout(env)
    # Leave time to say why before Pacemaker kills the action at its timeout. Without one,
    # a pending Online may take as long as it keeps reporting progress: the daemon enforces
    # PendingTimeout between checkpoints, and start only watches that the daemon answers.
    deadline = (
        None
        if action_timeout is None
        else time.monotonic() + action_timeout - min(1.0, action_timeout / 10)
    )
    instance.check(create=True)  # ERR_INSTALLED if another user could reach into it
    pid = instance.pid()
    process: subprocess.Popen[bytes] | None = None
    if pid is None:
        instance.clear()
        if len(str(instance.socket)) > _SOCKET_PATH_MAX:
            raise AgentError(
                OCF_ERR_CONFIGURED,
                f"state path {instance.socket} is too long for a Unix socket; "
                "set HA_RSCTMP to a shorter directory",
            )
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC
        fd = os.open(instance.log, flags, 0o600)  # a fresh log per daemon
        with os.fdopen(fd, "wb") as file:
            os.fchmod(fd, 0o600)
            process = subprocess.Popen(
                # -P and cwd "/": Pacemaker runs agents from a directory its user can write,
                # and nothing there may be imported by a process that runs as root.
                [sys.executable, "-P", str(AGENT_SCRIPT), "daemon", path],
                stdin=subprocess.DEVNULL,
                stdout=file,
                stderr=file,
                cwd="/",
                env={**env, _PATH_VARIABLE: os.pathsep.join(_code_path(path, env))},
                start_new_session=True,  # Pacemaker's end of the action must not end it
                close_fds=True,
            )
        pid = process.pid
        _write_private(instance.pid_file, f"{pid}\n{pending_timeout:g}\n".encode())
        log("INFO", f"started host daemon {pid} (log: {instance.log}); waiting for Online")
        tail = _Tail(instance.log, 0)
    else:
        try:
            offset = os.lstat(instance.log).st_size
        except OSError:
            offset = 0
        tail = _Tail(instance.log, offset)
    last_answer = time.monotonic()
    try:
        while True:
            tail.forward()
            if process is not None and process.poll() is not None:
                instance.clear()
                code = process.returncode
                tail.forward()
                raise AgentError(
                    code if code in (OCF_ERR_INSTALLED, OCF_ERR_CONFIGURED) else OCF_ERR_GENERIC,
                    f"host daemon exited with {code} before Online finished: "
                    f"{_log_tail(instance, 1)}",
                )
            if process is None and not _is_daemon(pid):
                raise AgentError(OCF_ERR_GENERIC, f"host daemon {pid} died: {_log_tail(instance)}")
            try:
                reply = _request(instance, {"op": "status"}, 2.0, pid)
                last_answer = time.monotonic()
            except (OSError, ValueError):
                reply = {}
            state = reply.get("state")
            if state == "ONLINE":
                return OCF_SUCCESS
            if state == "FAILED":
                reason = reply.get("reason") or "see the log"
                _stop(instance, env, log)  # leave nothing running: monitor then says 7
                code = _CANNOT_COME_ONLINE.get(str(reply.get("cannot")), OCF_ERR_GENERIC)
                raise AgentError(code, f"Online failed: {reason}")
            now = time.monotonic()
            if deadline is not None and now > deadline:
                raise AgentError(
                    OCF_ERR_GENERIC,
                    f"not online within the start timeout of {action_timeout:g} s "
                    f"(state {state}, checkpoint {reply.get('checkpoint')})",
                )
            if now - last_answer > pending_timeout:
                raise AgentError(
                    OCF_ERR_GENERIC, f"host daemon {pid} has not answered for {pending_timeout:g} s"
                )
            time.sleep(_START_POLL)
    finally:
        tail.forward()


class HostDaemon:
    """``python -P .../resapi/_ocf/_agent.py daemon MODULE:CLASS``: hosts one instance until
    stopped (a ``stop`` request, SIGTERM, or an Online that fails), and is the host's
    listener: it logs what the host reports the way ``ocf_log`` does and keeps what ``start``
    and ``monitor`` ask for.

    Example::

        sys.exit(HostDaemon("examples.echo_server:EchoServer", os.environ).run())

    Raises:
        AgentError: as :func:`~._parameters.load_type` and
            :func:`~._parameters.parameters_from_env`, before anything runs.
    """

    def __init__(self, path: str, environ: Mapping[str, str]) -> None:
        env = dict(environ)
        self._instance = _Instance(env)
        self._log = _Log(path, env)
        self._cls = load_type(path)
        self._parameters = parameters_from_env(self._cls.Properties, env)
        #: The last error the resource or its host logged, for the agent's exit reason.
        self.reason = ""
        self.state = ResourceState.INITIALIZING
        self.checkpoint = 0
        #: Where Online said it cannot come online (a CannotComeOnline exception), if it did.
        self.cannot = ""
        self._host: ResourceHost | None = None
        self._stopped: anyio.Event  # made by _serve, in its event loop

    # -- HostListener --------------------------------------------------------------------------

    def on_status(self, status: ResourceStatus) -> None:
        if status.state.name in _CANNOT_COME_ONLINE:
            self.cannot = status.state.name
        if status.state is not self.state:
            self._log("INFO", f"state {status.state.name}")
        elif status.checkpoint != self.checkpoint:
            self._log("INFO", f"{status.state.name}: checkpoint {status.checkpoint}")
        self.state, self.checkpoint = status.state, status.checkpoint

    def on_log(self, entry: LogEntry) -> None:
        level = _LEVELS.get(entry.level.name, entry.level.name)
        self._log(level, entry.message)
        if level in ("ERROR", "CRIT"):
            self.reason = entry.message

    def on_failure(self, report: FailureReport) -> None:
        self.reason = f"the resource signalled a failure ({report.failure_type.name})"
        self._log("ERROR", self.reason)

    # -- running -------------------------------------------------------------------------------

    def run(self) -> int:
        """Host the instance until stopped; the state files go when it ends."""
        # self.log also goes to the stdlib logger; without a handler, logging's last resort
        # would print every warning a second time, untagged, into the same file.
        logging.getLogger("resapi").addHandler(logging.NullHandler())
        try:
            anyio.run(self._serve, backend="asyncio")
        finally:
            self._instance.clear()
        self._log("INFO", "host daemon ends")
        return OCF_SUCCESS

    async def _serve(self) -> None:
        self._stopped = anyio.Event()
        async with anyio.create_task_group() as tg:
            cls = self._cls
            self._host = ResourceHost(
                cls,
                self._instance.name,
                self._parameters,
                self,
                task_group=tg,
                pending_timeout=cls.pending_timeout / 1000,
                deadlock_timeout=cls.deadlock_timeout / 1000,
            )
            socket = await anyio.create_unix_listener(self._instance.socket, mode=0o600)
            tg.start_soon(self._on_sigterm, self._host)
            tg.start_soon(socket.serve, self._guarded)
            tg.start_soon(self._bring_online, self._host)
            await self._stopped.wait()
            tg.cancel_scope.cancel()  # serve() closes the listener as it is cancelled

    def _status(self) -> dict[str, object]:
        assert self._host is not None
        return {
            "state": self._host.state.name,
            "checkpoint": self.checkpoint,
            "reason": self.reason,
            "cannot": self.cannot,
        }

    async def _guarded(self, stream: anyio.abc.SocketStream) -> None:
        # Only this user (root under Pacemaker) may ask: the directory is 0700 and the socket
        # 0600, and the peer's credentials say who connected.
        peer_pid, peer_uid = _peer(stream.extra(anyio.abc.SocketAttribute.raw_socket))
        if peer_uid not in (0, os.geteuid()):
            self._log("WARNING", f"refused a request from PID {peer_pid} (uid {peer_uid})")
            await stream.aclose()
            return
        try:
            await self._handle(stream)
        except Exception as exc:
            self._log("ERROR", f"request failed: {exc!r}")

    async def _handle(self, stream: anyio.abc.SocketStream) -> None:
        """One request: ``status`` (what start polls), ``monitor`` (a health check, deep if
        ``thorough``) or ``stop`` (Offline and Close, then the daemon ends)."""
        host = self._host
        assert host is not None
        async with stream:
            data = b""
            while not data.endswith(b"\n"):
                data += await stream.receive()
            request = json.loads(data)
            op = request.get("op")
            reply = self._status()
            if op == "monitor":
                alive = host.state is ResourceState.ONLINE and await host.check_health(
                    thorough=bool(request.get("thorough"))
                )
                reply = {**self._status(), "alive": alive}
            elif op == "stop":
                self._log("INFO", "stop: Offline and Close")
                with anyio.CancelScope(shield=True):
                    if host.state is ResourceState.ONLINE:
                        await host.offline()
                    await host.close()  # Terminate first if still pending or failed
                reply = self._status()
            await stream.send(json.dumps(reply).encode() + b"\n")
            if op == "stop":
                self._stopped.set()  # after the reply: setting it cancels this handler

    async def _bring_online(self, host: ResourceHost) -> None:
        try:
            await host.open()
            await host.online()
        except Exception as exc:
            self.reason = str(exc)
            self._log("ERROR", f"cannot come online: {exc}")
            self._stopped.set()  # nothing to host: end (start sees the process exit)

    async def _on_sigterm(self, host: ResourceHost) -> None:
        with anyio.open_signal_receiver(signal.SIGTERM) as signals:
            async for _ in signals:
                self._log("WARNING", "SIGTERM: Terminate and Close")
                with anyio.CancelScope(shield=True), anyio.move_on_after(10):
                    await host.close()  # Terminate unless offline, then Close
                self._stopped.set()
                return
