"""A Resource Monitor in its own OS process: the child side of a separate monitor.

A resource whose ``SeparateMonitor`` is set gets a Resource Monitor process of its own, so
that a crash or a hang of its code takes down only that process; the parent
(:class:`~._process_host.ProcessHost`) kills and restarts it. This module is the child,
started as ``python -m resapi.monitor``: it runs one :class:`~._host.ResourceHost` on its own
asyncio event loop, on real time, driven by the typed calls of :mod:`._protocol` on stdin, and
answers on a private copy of stdout (descriptor 1 then points at stderr, so a resource that
prints cannot corrupt the stream, and processes it starts do not hold the pipe open). End of
input closes the host (Terminate if needed, then Close) and ends the process. See
docs/architecture.md (the two monitor processes) and docs/security.md.
"""

from __future__ import annotations

import math
import os
import sys
import threading
import traceback
from typing import TYPE_CHECKING

import anyio
import anyio.from_thread
import anyio.lowlevel

from clusapi._core._registry_tree import RegistryTree
from clusapi._enums import ClusterChange, LogLevel, ResourceState
from clusapi._errors import ClusterError, InvalidStateError, make_error
from clusapi._win32 import Win32Error

from .._records import LogEntry
from .._resource_type import ImportPathError, resolve_import_path
from ._host import ResourceHost
from ._protocol import (
    Arbitrate,
    Call,
    Cancel,
    Close,
    Control,
    Event,
    Fail,
    IsAlive,
    LooksAlive,
    Message,
    Offline,
    Online,
    Open,
    Release,
    Reply,
    Request,
    Start,
    StartConfig,
    Terminate,
    decode,
    encode,
    read_frame,
)
from ._registry_sync import describe_registry_change

if TYPE_CHECKING:
    from collections.abc import Callable

    from anyio.abc import TaskGroup
    from anyio.streams.memory import MemoryObjectSendStream

    from clusapi._registry import SubtreeSnapshot

    from .._records import FailureReport, ResourceStatus
    from .._resource import Resource

__all__ = ("MEMORY_EXIT", "import_path_of", "load_resource_type", "main", "run", "serve")


# --------------------------------------------------------------------------- resource types


def import_path_of(resource_type: object) -> str:
    """``"package.module:Class"`` for a class (or factory) a monitor process can import.

    Raises:
        InvalidParameterError: ERROR_INVALID_PARAMETER for a class defined inside a function
            or in ``__main__``, which another process cannot import.
    """
    module = getattr(resource_type, "__module__", None)
    qualname = getattr(resource_type, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(qualname, str):
        raise make_error(
            Win32Error.ERROR_INVALID_PARAMETER,
            f"{resource_type!r} has no module and qualified name to import it by",
            fix="define the resource type at module level",
        )
    if "<locals>" in qualname or module == "__main__":
        raise make_error(
            Win32Error.ERROR_INVALID_PARAMETER,
            f"resource type {module}.{qualname} cannot be imported by a separate monitor process",
            fix="define it at module level in an importable module (not __main__ or a function)",
        )
    return f"{module}:{qualname}"


def load_resource_type(path: str) -> Callable[[ResourceHost], Resource]:
    """Import ``"package.module:Class"`` (the Class may be dotted: ``"mod:Outer.Inner"``).

    Raises:
        ClusterError: ERROR_RESMON_CREATE_FAILED, saying what is wrong with the path.
    """
    fix = "name the type as 'package.module:Class', importable from the monitor process"
    try:
        target = resolve_import_path(path)
    except ImportPathError as exc:
        if exc.problem == "form":
            message = f"bad resource type path {path!r}: expected 'package.module:Class'"
        elif exc.problem == "module":
            message = (
                f"cannot import module {exc.module!r} of resource type {path!r}: {exc.cause!r}"
            )
            fix = f"{fix} (sys.path there: PYTHONPATH and the working directory)"
        else:
            message = f"resource type {path!r}: {exc.module!r} has no attribute {exc.qualname!r}"
        raise make_error(Win32Error.ERROR_RESMON_CREATE_FAILED, message, fix=fix) from None
    if not callable(target):
        raise make_error(
            Win32Error.ERROR_RESMON_CREATE_FAILED,
            f"resource type {path!r} is a {type(target).__name__}, not a class",
            fix="point at a resapi.Resource subclass",
        )
    factory: Callable[[ResourceHost], Resource] = target
    return factory


# --------------------------------------------------------------------------- the child


class _Writer:
    """Writes frames to the parent, synchronously (events keep their order with replies)."""

    __slots__ = ("broken", "fd")

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.broken = False

    def send(self, message: Message) -> None:
        if self.broken:
            return
        data = memoryview(encode(message))
        try:
            while data:
                written = os.write(self.fd, data)
                data = data[written:]
        except OSError:
            self.broken = True  # the parent is gone; end of input follows


def _error_for(exc: Exception, call: Call, name: str) -> ClusterError:
    """The error to send: the host's own (it crosses as its type, code, message and fix),
    or one naming the bug."""
    if isinstance(exc, ClusterError):
        return exc
    return make_error(
        Win32Error.ERROR_RESMON_ONLINE_FAILED
        if isinstance(call, Online)
        else Win32Error.ERROR_INVALID_DATA,
        f"the monitor process of resource {name!r} failed in {call.label}: {exc!r}",
    )


class _Monitor:
    """The one host of this process, driven by the parent's requests."""

    def __init__(self, writer: _Writer, task_group: TaskGroup) -> None:
        self._writer = writer
        self._task_group = task_group
        self._host: ResourceHost | None = None
        self._memory_limit: int | None = None  # set by start
        self._tree: RegistryTree | None = None
        self._parameters: dict[str, object] = {}
        self._scopes: dict[int, anyio.CancelScope] = {}
        self._name = "?"
        self._syncing = False
        self._deadlock_reported = False

    # HostListener
    def on_status(self, status: ResourceStatus) -> None:
        self._writer.send(Event("status", status))

    def on_log(self, entry: LogEntry) -> None:
        self._writer.send(Event("log", entry))
        host = self._host
        if host is not None and host.deadlocked and not self._deadlock_reported:
            # ResourceHost sets `deadlocked`, then logs the deadlock: the instance is written
            # off, and a separate monitor is recycled whole.
            self._deadlock_reported = True
            self._writer.send(Event("deadlocked"))

    def on_failure(self, report: FailureReport) -> None:
        self._writer.send(Event("failure", report))

    def _registry_changed(self, kind: ClusterChange, path: str, name: str | None, /) -> None:
        if self._syncing or self._tree is None:
            return  # the parent's own state coming in: nothing to send back
        change = describe_registry_change(self._tree, kind, path, name)
        if change is not None:
            self._writer.send(Event("registry", change))

    def _quorum_lost(self) -> None:
        self._writer.send(Event("lost"))

    # requests
    def submit(self, request: Request) -> None:
        if isinstance(request.call, Cancel):
            scope = self._scopes.get(request.call.target)
            if scope is not None:
                scope.cancel()
            return
        self._task_group.start_soon(self._run, request)

    async def _run(self, request: Request) -> None:
        reply: Reply
        with anyio.CancelScope() as scope:
            self._scopes[request.id] = scope
            try:
                value = await self._dispatch(request.call)
            except Exception as exc:
                if not isinstance(exc, ClusterError):
                    traceback.print_exc()  # a bug here, not in the resource: show it
                reply = Reply(request.id, "error", _error_for(exc, request.call, self._name))
            else:
                reply = Reply(request.id, "ok", value)
            finally:
                del self._scopes[request.id]
        if scope.cancelled_caught:
            reply = Reply(request.id, "cancelled")
        self._check_memory(request.call.label)
        try:
            self._writer.send(reply)
        except Exception as exc:  # an unpicklable result
            error = make_error(
                Win32Error.ERROR_INVALID_DATA,
                f"resource {self._name!r}: the result of {request.call.label} cannot be sent to "
                f"the cluster service: {exc!r}",
            )
            self._writer.send(Reply(request.id, "error", error))

    def _check_memory(self, op: str) -> None:
        """Past its memory limit the process tells why and exits: the parent sees the exit,
        fails the resource and recycles its monitor, and the OS takes the leak back."""
        limit = self._memory_limit
        if limit is None:
            return
        used = resident_memory()
        if used is None or used <= limit:
            return
        self._writer.send(
            Event(
                "log",
                LogEntry(
                    self._name,
                    self._host.type_name if self._host is not None else "?",
                    LogLevel.ERROR,
                    f"monitor process uses {used // 2**20} MB after {op}, more than its limit "
                    f"of {limit // 2**20} MB: it leaks; recycling it",
                    0.0,
                ),
            )
        )
        os._exit(MEMORY_EXIT)

    def _need_host(self) -> ResourceHost:
        if self._host is None:
            raise InvalidStateError(
                Win32Error.ERROR_INVALID_STATE,
                "the monitor process has no resource yet",
                fix="send 'start' first",
            )
        return self._host

    def _set_parameters(self, parameters: dict[str, object]) -> None:
        # The host holds this very dict and reads it before Open and each Online.
        self._parameters.clear()
        self._parameters.update(parameters)

    def _sync_registry(self, snapshot: SubtreeSnapshot) -> None:
        assert self._tree is not None, "start comes first"
        self._syncing = True
        try:
            self._tree.restore("", snapshot)
        finally:
            self._syncing = False

    async def _dispatch(self, call: Call) -> object:
        """Make one call (the decoder checked its fields' types); return the reply value."""
        if isinstance(call, Start):
            return self._start(call.config)
        host = self._need_host()
        match call:
            case Open():
                self._set_parameters(call.parameters)
                await host.open()
            case Online():
                self._set_parameters(call.parameters)
                host.pending_timeout = call.pending_timeout
                if call.registry is not None:
                    self._sync_registry(call.registry)
                return await host.online()
            case Offline():
                host.pending_timeout = call.pending_timeout
                return await host.offline()
            case Terminate(final_state=ResourceState.FAILED):
                await host.terminate(final_state=ResourceState.FAILED)
            case Terminate(final_state=ResourceState.OFFLINE):
                await host.terminate(final_state=ResourceState.OFFLINE)
            case Terminate():
                raise make_error(Win32Error.ERROR_INVALID_PARAMETER, "bad final state")
            case LooksAlive():
                return await host.looks_alive()
            case IsAlive():
                return await host.is_alive()
            case Fail():
                await host.fail(call.reason)
            case Control():
                return await host.control(call.code, call.data)
            case Arbitrate():
                await host.arbitrate(self._quorum_lost)
            case Release():
                await host.release()
            case Close():
                await host.close()
            case Cancel():  # handled by submit; never runs as a task
                pass
        return None

    def _start(self, config: StartConfig) -> tuple[str, int]:
        if self._host is not None:
            raise InvalidStateError(
                Win32Error.ERROR_INVALID_STATE,
                f"the monitor process already hosts resource {self._name!r}",
            )
        self._name = config.resource_name
        factory = load_resource_type(config.import_path)
        tree = RegistryTree(label=f"the local registry of node {config.node_name!r}")
        tree.restore("", config.registry)
        tree.on_change = self._registry_changed
        self._tree = tree
        self._set_parameters(config.parameters)
        self._memory_limit = config.memory_limit
        self._host = ResourceHost(
            factory,
            config.resource_name,
            self._parameters,
            self,
            task_group=self._task_group,
            pending_timeout=config.pending_timeout,
            deadlock_timeout=config.deadlock_timeout,
            verify_signalled_failure=config.verify_signalled_failure,
            node_name=config.node_name,
            local_registry=tree,
        )
        return self._host.type_name, os.getpid()

    async def shutdown(self) -> None:
        """End of input: close the host, bounded (nobody may be left to kill this process)."""
        host = self._host
        if host is None:
            return
        with anyio.move_on_after(2 * host.deadlock_timeout + 1):
            await host.close()


#: The exit code of a monitor process that went past its memory limit.
MEMORY_EXIT = 12


def resident_memory() -> int | None:
    """This process's resident set size in bytes (Linux /proc), or None where unknown."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


def _pump(
    fd: int, send: MemoryObjectSendStream[bytes | None], token: anyio.lowlevel.EventLoopToken
) -> None:
    """The stdin thread: frames to the event loop; None at the end."""
    frame: bytes | None = None
    try:
        while True:
            frame = read_frame(fd)
            anyio.from_thread.run_sync(send.send_nowait, frame, token=token)
            if frame is None:
                return
    except Exception:  # the loop has ended, or the stream is corrupt
        if frame is not None:
            traceback.print_exc()
        try:
            anyio.from_thread.run_sync(send.send_nowait, None, token=token)
        except Exception:
            return


async def serve(in_fd: int, out_fd: int) -> None:
    """Run requests from ``in_fd`` until it ends; write replies and events to ``out_fd``."""
    writer = _Writer(out_fd)
    send, receive = anyio.create_memory_object_stream[bytes | None](math.inf)
    token = anyio.lowlevel.current_token()
    threading.Thread(
        target=_pump, args=(in_fd, send, token), name="resapi-monitor-input", daemon=True
    ).start()
    async with anyio.create_task_group() as tg:
        monitor = _Monitor(writer, tg)
        async with receive:
            async for frame in receive:
                if frame is None:
                    break
                try:
                    message = decode(frame, (Request,))
                except ValueError:
                    traceback.print_exc()
                    break
                if isinstance(message, Request):
                    monitor.submit(message)
        await monitor.shutdown()
        tg.cancel_scope.cancel()


def _take_protocol_fds() -> tuple[int, int]:
    """Move the pipes off descriptors 0 and 1 (to non-inheritable copies): what the resource
    prints goes to stderr, and what it starts does not keep the parent's pipe open."""
    in_fd = os.dup(0)
    out_fd = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    return in_fd, out_fd


def main() -> int:
    """The monitor process: serve the parent on stdin/stdout until stdin ends."""
    in_fd, out_fd = _take_protocol_fds()
    anyio.run(serve, in_fd, out_fd, backend="asyncio")
    return 0


def run() -> None:
    """``python -m resapi.monitor``: :func:`main`, then exit at once (daemon threads, and
    whatever the resource left running, do not hold the process)."""
    code = 1
    try:
        code = main()
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
