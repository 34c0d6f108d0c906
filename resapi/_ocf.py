"""A resapi resource type as an Open Cluster Framework (OCF) resource agent.

OCF actions are short-lived processes (``agent start``, ``agent monitor``, ...), but a resapi
resource is a long-lived object. So ``start`` launches a small *host daemon* per resource
instance (``python -m resapi.ocf daemon MODULE:CLASS``, detached in its own session) that
hosts the instance in a :class:`~resapi._host.ResourceHost`, runs Open and Online, and then
answers the later actions over a Unix socket. Its state lives under ``$HA_RSCTMP``::

    $HA_RSCTMP/resapi-<instance>/pid      the daemon's PID
    $HA_RSCTMP/resapi-<instance>/sock     its Unix socket (one JSON request, one JSON reply)
    $HA_RSCTMP/resapi-<instance>.log      its stderr: the resource's log lines

The client side of the actions (this module without the daemon part) uses only the standard
library, so ``monitor`` stays cheap.

Exit codes (OCF RA API 1.0): 0 success, 1 generic error, 2 bad arguments, 3 unimplemented,
5 not installed, 6 not configured, 7 not running.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Final, NoReturn
from xml.sax.saxutils import escape, quoteattr

if TYPE_CHECKING:
    from collections.abc import Mapping

    from clusapi._properties import PropertyItem, PropertyTable

    from ._records import FailureReport, LogEntry, ResourceStatus
    from ._resource import Resource

__all__ = (
    "OCF_ERR_ARGS",
    "OCF_ERR_CONFIGURED",
    "OCF_ERR_GENERIC",
    "OCF_ERR_INSTALLED",
    "OCF_ERR_UNIMPLEMENTED",
    "OCF_NOT_RUNNING",
    "OCF_SUCCESS",
    "AgentError",
    "agent_name",
    "install",
    "main",
    "meta_data",
    "parameters_from_env",
    "run_action",
)

OCF_SUCCESS: Final = 0
OCF_ERR_GENERIC: Final = 1
OCF_ERR_ARGS: Final = 2
OCF_ERR_UNIMPLEMENTED: Final = 3
OCF_ERR_INSTALLED: Final = 5
OCF_ERR_CONFIGURED: Final = 6
OCF_NOT_RUNNING: Final = 7

#: The OCF RA API version the meta-data declares (``<version>``).
OCF_API_VERSION: Final = "1.0"
#: Default timeout of monitor, validate-all and meta-data, in seconds.
_SHORT_TIMEOUT: Final = 20
_ACTIONS: Final = ("start", "stop", "monitor", "meta-data", "validate-all")
_SOCKET_PATH_MAX: Final = 100  # sun_path is 108 bytes on Linux


class AgentError(Exception):
    """An action failed with an OCF exit code; the message is the ``ocf-exit-reason``."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


# --------------------------------------------------------------------------- the type


def agent_name(type_name: str) -> str:
    """The agent's file name for a resource type: ``"Echo Server"`` → ``"echo-server"``."""
    return "-".join(type_name.lower().split())


def load_type(path: str) -> type[Resource]:
    """Import ``"package.module:Class"`` and check that it is a resapi resource type.

    Raises:
        AgentError: ERR_ARGS for a malformed path or a target that is not a Resource
            subclass; ERR_INSTALLED for a module or class that cannot be imported.
    """
    from clusapi._errors import ClusterError

    from ._monitor_process import load_resource_type
    from ._resource import Resource

    module, colon, qualname = path.partition(":")
    if not colon or not module or not qualname:
        raise AgentError(
            OCF_ERR_ARGS, f"bad resource type path {path!r}: expected 'package.module:Class'"
        )
    try:
        target: object = load_resource_type(path)
    except ClusterError as exc:
        raise AgentError(OCF_ERR_INSTALLED, str(exc)) from None
    if not (isinstance(target, type) and issubclass(target, Resource)):
        raise AgentError(OCF_ERR_ARGS, f"{path!r} is {target!r}, not a resapi.Resource subclass")
    return target


# --------------------------------------------------------------------------- install


def _import_root(module_name: str) -> str | None:
    """The sys.path entry ``module_name`` was imported from (None for built-ins)."""
    module = sys.modules.get(module_name)
    file = getattr(module, "__file__", None)
    if not isinstance(file, str):
        return None
    root = Path(file).resolve().parent
    depth = module_name.count(".") + (1 if Path(file).name == "__init__.py" else 0)
    for _ in range(depth):
        root = root.parent
    return str(root)


def install(
    path: str, *, provider: str = "resapi", ocf_root: str | os.PathLike[str] = "/usr/lib/ocf"
) -> Path:
    """Write the agent for the resource type at ``path`` and return its file name.

    The agent is ``OCF_ROOT/resource.d/PROVIDER/TYPE``: a shell script that runs
    ``python -m resapi.ocf run MODULE:CLASS ACTION`` with this interpreter and a PYTHONPATH
    under which the type and resapi import, so it needs no set-up of its own.

    Raises:
        AgentError: as :func:`load_type`; ERR_ARGS for a bad provider name.
    """
    cls = load_type(path)
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", provider) or provider in (".", ".."):
        raise AgentError(OCF_ERR_ARGS, f"bad provider name {provider!r}")
    entries: list[str] = []
    for candidate in (
        _import_root(path.partition(":")[0]),
        _import_root("resapi"),
        *(os.path.abspath(p) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p),
    ):
        if candidate is not None and candidate not in entries:
            entries.append(candidate)
    pythonpath = os.pathsep.join(entries)
    target = Path(ocf_root) / "resource.d" / provider / agent_name(cls.type_name)
    target.parent.mkdir(parents=True, exist_ok=True)
    script = (
        "#!/bin/sh\n"
        f"# OCF resource agent for the resapi resource type {cls.type_name!r} ({path}).\n"
        "# Written by `python -m resapi.ocf install`; run it again to update.\n"
        f"PYTHONPATH={shlex.quote(pythonpath)}${{PYTHONPATH:+:$PYTHONPATH}}\n"
        "export PYTHONPATH\n"
        f'exec {shlex.quote(sys.executable)} -m resapi.ocf run {shlex.quote(path)} "$@"\n'
    )
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(script)
    tmp.chmod(0o755)
    tmp.replace(target)
    return target


# --------------------------------------------------------------------------- parameters


_TRUE: Final = frozenset({"1", "true", "yes", "on", "y"})
_FALSE: Final = frozenset({"0", "false", "no", "off", "n"})


def _ocf_type(item: PropertyItem) -> str:
    from clusapi._enums import PropertyFormat

    if item.boolean:
        return "boolean"
    if item.format in (PropertyFormat.SZ, PropertyFormat.EXPAND_SZ, PropertyFormat.MULTI_SZ):
        return "string"
    if item.format is PropertyFormat.BINARY:
        return "string"
    return "integer"


def _to_text(item: PropertyItem, value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return " ".join(str(v) for v in value)
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _from_text(item: PropertyItem, text: str) -> object:
    from clusapi._enums import PropertyFormat

    kind = _ocf_type(item)
    if kind == "boolean":
        lowered = text.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError(f"parameter {item.attribute!r} must be a boolean, not {text!r}")
    if item.format is PropertyFormat.MULTI_SZ:
        return tuple(text.split())
    if item.format is PropertyFormat.BINARY:
        try:
            return bytes.fromhex(text)
        except ValueError:
            raise ValueError(f"parameter {item.attribute!r} must be hex, not {text!r}") from None
    if kind == "integer":
        try:
            return int(text.strip(), 0)
        except ValueError:
            raise ValueError(
                f"parameter {item.attribute!r} must be an integer, not {text!r}"
            ) from None
    return text


def parameters_from_env(
    table: type[PropertyTable], environ: Mapping[str, str] | None = None
) -> dict[str, object]:
    """The private properties (property name → value) from ``OCF_RESKEY_<attribute>``
    variables, checked by the table's own validation (defaults filled in).

    Raises:
        AgentError: ERR_CONFIGURED with the table's message for a missing required property
            or a bad value.
    """
    from clusapi._errors import ClusterError

    env = os.environ if environ is None else environ
    stored: dict[str, object] = {}
    try:
        for item in table.items():
            for key in (item.attribute, item.name):
                text = env.get(f"OCF_RESKEY_{key}")
                if text is not None:
                    stored[item.name] = _from_text(item, text)
                    break
        return dict(table.load(stored).to_dict())
    except (ValueError, ClusterError) as exc:
        raise AgentError(OCF_ERR_CONFIGURED, str(exc)) from None


# --------------------------------------------------------------------------- meta-data


def _seconds(milliseconds: int) -> str:
    return f"{max(1, -(-milliseconds // 1000))}s"


def meta_data(cls: type[Resource]) -> str:
    """The OCF meta-data XML of a resource type (valid against ``ra-api-1.dtd``)."""
    doc = (cls.__doc__ or cls.type_name).strip()
    short = doc.splitlines()[0].strip() if doc else cls.type_name
    version = str(getattr(cls, "version", "1.0"))
    lines = [
        '<?xml version="1.0"?>',
        '<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">',
        f"<resource-agent name={quoteattr(agent_name(cls.type_name))} "
        f"version={quoteattr(version)}>",
        f"<version>{OCF_API_VERSION}</version>",
        f'<longdesc lang="en">{escape(doc)}</longdesc>',
        f'<shortdesc lang="en">{escape(short)}</shortdesc>',
        "<parameters>",
    ]
    for item in cls.Properties.items():
        if item.read_only:
            continue
        description = item.description or item.name
        default = (
            "" if item.default is None else f" default={quoteattr(_to_text(item, item.default))}"
        )
        lines += [
            f"<parameter name={quoteattr(item.attribute)} "
            f'required="{int(item.required)}" unique="0">',
            f'<longdesc lang="en">{escape(description)} (resapi property {item.name}, '
            f"{item.format.name})</longdesc>",
            f'<shortdesc lang="en">{escape(description)}</shortdesc>',
            f'<content type="{_ocf_type(item)}"{default}/>',
            "</parameter>",
        ]
    pending = _seconds(cls.pending_timeout)
    lines += [
        "</parameters>",
        "<actions>",
        f'<action name="start" timeout="{pending}"/>',
        f'<action name="stop" timeout="{pending}"/>',
        f'<action name="monitor" depth="0" timeout="{_SHORT_TIMEOUT}s" '
        f'interval="{_seconds(cls.looks_alive_poll_interval)}"/>',
        f'<action name="monitor" depth="10" timeout="{_SHORT_TIMEOUT}s" '
        f'interval="{_seconds(cls.is_alive_poll_interval)}"/>',
        '<action name="meta-data" timeout="5s"/>',
        f'<action name="validate-all" timeout="{_SHORT_TIMEOUT}s"/>',
        "</actions>",
        "</resource-agent>",
    ]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- instance state


class _Instance:
    """Where one resource instance's daemon keeps its state."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.name = environ.get("OCF_RESOURCE_INSTANCE") or "default"
        base = environ.get("HA_RSCTMP") or os.path.join(tempfile.gettempdir(), "resapi-ocf")
        key = re.sub(r"[^A-Za-z0-9_.-]", "_", self.name)
        if key != self.name or len(key) > 40:
            key = f"{key[:24]}-{hashlib.sha1(self.name.encode()).hexdigest()[:12]}"
        self.dir = Path(base) / f"resapi-{key}"
        self.pid_file = self.dir / "pid"
        self.socket = self.dir / "sock"
        self.log = Path(base) / f"resapi-{key}.log"

    def pid(self) -> int | None:
        """The daemon's PID if it runs, else None."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if _is_daemon(pid) else None

    def has_state(self) -> bool:
        return self.pid_file.exists() or self.socket.exists()

    def clear(self) -> None:
        for file in (self.socket, self.pid_file):
            with contextlib.suppress(FileNotFoundError):
                file.unlink()
        with contextlib.suppress(OSError):
            self.dir.rmdir()


def _is_daemon(pid: int) -> bool:
    """True if ``pid`` is a live (not zombie) resapi.ocf daemon."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    state = stat.rpartition(")")[2].split()[:1]
    return state != ["Z"] and b"resapi.ocf\0daemon" in cmdline


def _request(instance: _Instance, request: dict[str, object], timeout: float) -> dict[str, object]:
    """One request to the daemon; raises OSError/TimeoutError/ValueError when it fails."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(max(timeout, 0.05))
        sock.connect(str(instance.socket))
        sock.sendall(json.dumps(request).encode() + b"\n")
        data = b""
        deadline = time.monotonic() + timeout
        while not data.endswith(b"\n"):
            sock.settimeout(max(deadline - time.monotonic(), 0.01))
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("the host daemon closed the connection")
            data += chunk
    reply = json.loads(data)
    if not isinstance(reply, dict):
        raise ValueError(f"bad reply {reply!r}")
    return reply


def _timeout(environ: Mapping[str, str], default: float) -> float:
    """The action's timeout in seconds (``OCF_RESKEY_CRM_meta_timeout`` is in ms)."""
    try:
        return int(environ["OCF_RESKEY_CRM_meta_timeout"]) / 1000
    except (KeyError, ValueError):
        return default


def _log_tail(instance: _Instance, lines: int = 5) -> str:
    try:
        text = instance.log.read_text(errors="replace")
    except OSError:
        return ""
    return " | ".join(text.strip().splitlines()[-lines:])


def _log(instance: _Instance, level: str, message: str) -> None:
    print(f"resapi.ocf({instance.name})[{os.getpid()}]: {level}: {message}", file=sys.stderr)


# --------------------------------------------------------------------------- actions


def _start(path: str, cls: type[Resource], instance: _Instance, env: Mapping[str, str]) -> int:
    parameters_from_env(cls.Properties, env)  # ERR_CONFIGURED before anything runs
    timeout = _timeout(env, cls.pending_timeout / 1000)
    deadline = time.monotonic() + timeout
    pid = instance.pid()
    process: subprocess.Popen[bytes] | None = None
    if pid is None:
        instance.clear()
        instance.dir.mkdir(parents=True, exist_ok=True)
        if len(str(instance.socket)) > _SOCKET_PATH_MAX:
            raise AgentError(
                OCF_ERR_CONFIGURED,
                f"state path {instance.socket} is too long for a Unix socket; "
                "set HA_RSCTMP to a shorter directory",
            )
        with open(instance.log, "wb") as log:  # a fresh log per daemon
            process = subprocess.Popen(
                [sys.executable, "-m", "resapi.ocf", "daemon", path],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
                close_fds=True,
            )
        pid = process.pid
        instance.pid_file.write_text(f"{pid}\n")
        _log(instance, "INFO", f"started host daemon {pid}")
    while True:
        if process is not None and process.poll() is not None:
            instance.clear()
            code = process.returncode
            reason = f"host daemon exited with {code} before Online finished: {_log_tail(instance)}"
            raise AgentError(code if code in (5, 6) else OCF_ERR_GENERIC, reason)
        if process is None and not _is_daemon(pid):
            raise AgentError(OCF_ERR_GENERIC, f"host daemon {pid} died: {_log_tail(instance)}")
        try:
            reply = _request(instance, {"op": "status"}, 2.0)
        except (OSError, ValueError):
            reply = {}
        state = reply.get("state")
        if state == "ONLINE":
            return OCF_SUCCESS
        if state == "FAILED":
            _stop(cls, instance, env)  # leave nothing running: monitor then says 7
            raise AgentError(OCF_ERR_GENERIC, f"Online failed: {reply.get('reason', '')}")
        if time.monotonic() > deadline:
            raise AgentError(OCF_ERR_GENERIC, f"not online after {timeout:g} s (state {state})")
        time.sleep(0.05)


def _monitor(instance: _Instance, env: Mapping[str, str]) -> int:
    pid = instance.pid()
    if pid is None:
        if instance.has_state():
            raise AgentError(
                OCF_ERR_GENERIC,
                f"the host daemon of {instance.name!r} ended without a stop: {_log_tail(instance)}",
            )
        return OCF_NOT_RUNNING
    try:
        level = int(env.get("OCF_CHECK_LEVEL", "0") or 0)
    except ValueError:
        raise AgentError(OCF_ERR_ARGS, "OCF_CHECK_LEVEL must be a number") from None
    try:
        reply = _request(
            instance, {"op": "monitor", "thorough": level >= 10}, _timeout(env, _SHORT_TIMEOUT)
        )
    except (OSError, ValueError) as exc:
        raise AgentError(OCF_ERR_GENERIC, f"host daemon {pid} does not answer: {exc}") from None
    if reply.get("alive"):
        return OCF_SUCCESS
    raise AgentError(
        OCF_ERR_GENERIC,
        f"resource is {reply.get('state')}: {reply.get('reason') or 'health check failed'}",
    )


def _wait_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while _is_daemon(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def _stop(cls: type[Resource], instance: _Instance, env: Mapping[str, str]) -> int:
    pid = instance.pid()
    if pid is None:
        instance.clear()
        return OCF_SUCCESS
    timeout = _timeout(env, cls.pending_timeout / 1000)
    try:
        _request(instance, {"op": "stop"}, timeout * 0.6)
        if _wait_gone(pid, max(timeout * 0.1, 1.0)):
            instance.clear()
            return OCF_SUCCESS
    except (OSError, ValueError) as exc:
        _log(instance, "WARNING", f"host daemon {pid} did not stop in time ({exc}): terminating")
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)  # the daemon calls Terminate and Close
    if not _wait_gone(pid, max(timeout * 0.2, 1.0)):
        _log(instance, "WARNING", f"host daemon {pid} ignored SIGTERM: killing it")
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        if not _wait_gone(pid, 5.0):
            raise AgentError(OCF_ERR_GENERIC, f"host daemon {pid} survived SIGKILL")
    instance.clear()
    return OCF_SUCCESS


def run_action(path: str, action: str, environ: Mapping[str, str] | None = None) -> int:
    """Run one OCF action for the resource type at ``path``; return the exit code.

    Raises:
        AgentError: the action failed (its ``code`` is the exit code).
    """
    env = os.environ if environ is None else environ
    if action in ("usage", "help"):
        print(f"usage: {{{'|'.join(_ACTIONS)}}}")
        return OCF_SUCCESS
    if action not in _ACTIONS:
        raise AgentError(OCF_ERR_UNIMPLEMENTED, f"action {action!r} is not implemented")
    cls = load_type(path)
    if action == "meta-data":
        sys.stdout.write(meta_data(cls))
        return OCF_SUCCESS
    if action == "validate-all":
        parameters_from_env(cls.Properties, env)
        return OCF_SUCCESS
    instance = _Instance(env)
    if action == "start":
        return _start(path, cls, instance, env)
    if action == "monitor":
        return _monitor(instance, env)
    return _stop(cls, instance, env)


# --------------------------------------------------------------------------- the daemon


def _daemon(path: str) -> int:
    """``python -m resapi.ocf daemon MODULE:CLASS``: host one instance until stopped."""
    import anyio

    from clusapi._enums import ResourceState

    from ._host import ResourceHost

    env = dict(os.environ)
    instance = _Instance(env)
    cls = load_type(path)
    parameters = parameters_from_env(cls.Properties, env)

    class Listener:
        reason = ""

        def on_status(self, status: ResourceStatus) -> None:
            pass

        def on_log(self, entry: LogEntry) -> None:
            level = entry.level.name.removeprefix("LOG_")
            print(f"{entry.type_name}({entry.resource}): {level}: {entry.message}", flush=True)
            if level in ("ERROR", "SEVERE"):
                self.reason = entry.message

        def on_failure(self, report: FailureReport) -> None:
            self.reason = f"the resource signalled a failure ({report.failure_type.name})"
            print(f"{cls.type_name}({instance.name}): ERROR: {self.reason}", flush=True)

    listener = Listener()

    async def serve() -> None:
        stopped = anyio.Event()
        async with anyio.create_task_group() as tg:
            host = ResourceHost(
                cls,
                instance.name,
                parameters,
                listener,
                task_group=tg,
                pending_timeout=cls.pending_timeout / 1000,
                deadlock_timeout=cls.deadlock_timeout / 1000,
            )

            def status() -> dict[str, object]:
                return {"state": host.state.name, "reason": listener.reason}

            async def handle(stream: anyio.abc.SocketStream) -> None:
                async with stream:
                    data = b""
                    while not data.endswith(b"\n"):
                        data += await stream.receive()
                    request = json.loads(data)
                    op = request.get("op")
                    reply = status()
                    if op == "monitor":
                        alive = host.state is ResourceState.ONLINE and await host.check_health(
                            thorough=bool(request.get("thorough"))
                        )
                        reply = {**status(), "alive": alive}
                    elif op == "stop":
                        with anyio.CancelScope(shield=True):
                            await host.offline()
                            await host.close()
                        reply = status()
                        stopped.set()
                    await stream.send(json.dumps(reply).encode() + b"\n")

            async def guarded(stream: anyio.abc.SocketStream) -> None:
                try:
                    await handle(stream)
                except Exception as exc:
                    print(f"resapi.ocf daemon: request failed: {exc!r}", flush=True)

            async def bring_online() -> None:
                try:
                    await host.open()
                    await host.online()
                except Exception as exc:
                    listener.reason = str(exc)
                    print(f"{cls.type_name}({instance.name}): ERROR: {exc}", flush=True)
                    stopped.set()  # nothing to host: end (start sees the process exit)

            async def on_sigterm() -> None:
                with anyio.open_signal_receiver(signal.SIGTERM) as signals:
                    async for _ in signals:
                        print("SIGTERM: terminating the resource", flush=True)
                        with anyio.CancelScope(shield=True), anyio.move_on_after(10):
                            await host.close()  # Terminate unless offline, then Close
                        stopped.set()
                        return

            listener_socket = await anyio.create_unix_listener(instance.socket)
            tg.start_soon(on_sigterm)
            tg.start_soon(listener_socket.serve, guarded)
            tg.start_soon(bring_online)
            await stopped.wait()
            tg.cancel_scope.cancel()  # serve() closes the listener as it is cancelled

    try:
        anyio.run(serve, backend="asyncio")
    finally:
        instance.clear()
    return OCF_SUCCESS


# --------------------------------------------------------------------------- the command line

_USAGE: Final = """\
usage: python -m resapi.ocf install MODULE:CLASS [--provider NAME] [--ocf-root DIR]
       python -m resapi.ocf run MODULE:CLASS ACTION
ACTION: start | stop | monitor | meta-data | validate-all"""


def _fail(code: int, reason: str) -> NoReturn:
    print(f"ocf-exit-reason:{reason}", file=sys.stderr)
    sys.stderr.flush()
    raise SystemExit(code)


def main(argv: list[str] | None = None) -> int:
    """The ``python -m resapi.ocf`` command line; returns the exit code."""
    args = sys.argv[1:] if argv is None else argv
    try:
        if len(args) >= 2 and args[0] == "install":
            import argparse

            parser = argparse.ArgumentParser(prog="python -m resapi.ocf install")
            parser.add_argument("path", metavar="MODULE:CLASS")
            parser.add_argument("--provider", default="resapi")
            parser.add_argument("--ocf-root", default="/usr/lib/ocf")
            options = parser.parse_args(args[1:])
            target = install(options.path, provider=options.provider, ocf_root=options.ocf_root)
            print(target)
            return OCF_SUCCESS
        if len(args) == 3 and args[0] == "run":
            return run_action(args[1], args[2])
        if len(args) == 2 and args[0] == "daemon":
            return _daemon(args[1])
        if len(args) == 2 and args[0] == "run":
            print(_USAGE, file=sys.stderr)
            _fail(OCF_ERR_ARGS, "no action given")
    except AgentError as exc:
        _fail(exc.code, exc.reason)
    except OSError as exc:
        _fail(OCF_ERR_GENERIC, str(exc))
    print(_USAGE, file=sys.stderr)
    return OCF_ERR_ARGS
