"""``ProcessHost``: one resource in a Resource Monitor process of its own (``SeparateMonitor``).

The cluster service side of a separate monitor. It has the interface of
:class:`~._host.ResourceHost` as a monitor uses it (:class:`~._host.InstanceHost`), but the
instance runs in a child process (:mod:`._process`, ``python -m resapi.monitor``) with a
ResourceHost of its own, driven by the typed calls of :mod:`._protocol`. A reader task in the
given task group takes the child's replies and events: status, log and failure reports go to
the listener, local-registry changes to the node's tree, ``QuorumResourceLost`` to the callback
of :meth:`ProcessHost.arbitrate`. Every call has a real-time deadline the child cannot stretch
(:mod:`._child`); a child that breaks the protocol, crashes or hangs is killed, the resource
fails and the monitor is recycled, and nothing else. docs/architecture.md has the two monitor
processes, docs/security.md the channel's threat model.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import platform
import subprocess
import sys
import traceback
from typing import TYPE_CHECKING, Final, Literal

import anyio
import attrs
from anyio.streams.buffered import BufferedByteReceiveStream

from clusapi._core._clock import current_clock
from clusapi._core._registry_tree import RegistryTree
from clusapi._enums import LogLevel, ResourceState
from clusapi._errors import ClusterError, InvalidStateError, make_error
from clusapi._win32 import Win32Error

from .._records import FailureReport, LogEntry, ResourceStatus
from .._resource import NOT_HANDLED, NotHandled
from ._child import Child, Lost, Waiter
from ._gate import Gate
from ._host import PENDING, HostBase
from ._process import import_path_of
from ._protocol import (
    EVENT_PAYLOADS,
    Arbitrate,
    Call,
    Cancel,
    Close,
    Control,
    Fail,
    IsAlive,
    LooksAlive,
    Offline,
    Online,
    Open,
    RegistryChange,
    Release,
    Reply,
    Request,
    Start,
    StartConfig,
    Terminate,
    encode,
    reply_problem,
    status_problem,
)
from ._registry_sync import apply_registry_change, registry_change_problem

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from anyio.abc import TaskGroup

    from ._gate import Hold
    from ._host import HostListener
    from ._protocol import Message

__all__ = ("FRAME_WAIT", "MONITOR_COMMAND", "ProcessHost")

#: The command line that starts a monitor process (after the interpreter). ``-P``: its own
#: working directory is not on its ``sys.path``; it imports from the parent's (PYTHONPATH).
MONITOR_COMMAND: Final = ("-P", "-m", "resapi.monitor")
#: Real seconds the rest of a frame may take to arrive after its header (:meth:`Child.receive`).
FRAME_WAIT: Final = 5.0

_pidfd_open: Callable[[int], int] | None = getattr(os, "pidfd_open", None)


def _as_state(result: object) -> ResourceState:
    if not isinstance(result, ResourceState):  # the child's host returns its state
        raise make_error(Win32Error.ERROR_INVALID_DATA, f"bad state from the monitor: {result!r}")
    return result


# --------------------------------------------------------------------------- the host


class ProcessHost(HostBase):
    """Hosts one resource instance in a Resource Monitor process of its own.

    Example::

        async with anyio.create_task_group() as tg:
            host = ProcessHost("examples.echo_server:EchoServer", "echo", {"Port": 7100},
                              listener, task_group=tg, deadlock_timeout=5.0)
            await host.open()                       # starts the process
            assert await host.online() is ResourceState.ONLINE
            ...
            await host.close()                      # and nothing is left running

    Args:
        resource_type: ``"package.module:Class"``, or the class itself (it must be importable
            by that path in the child: module level, not ``__main__``).
        name: the resource's name.
        parameters: the stored private properties; read (copied to the child) before Open
            and before each Online, like ResourceHost.
        listener: receives status reports, log entries and failure reports, stamped with the
            parent's clock.
        task_group: where the reader task of each monitor process runs; cancelling it kills
            the process.
        deadlock_timeout: seconds, the resource's DeadlockTimeout (see the module doc).
        pending_timeout: seconds, PendingTimeout; settable as on ResourceHost (sent with the
            next Online/Offline).
        verify_signalled_failure: as on ResourceHost.
        node_name: the node the instance runs on (default: this machine's name).
        local_registry: the node's local registry; the child gets a copy and sends its changes
            back (default: a fresh one for this host).
        startup_timeout: real seconds a new process has to start and load the type.
        deadline_grace: seconds added to DeadlockTimeout for the parent's deadline.
        python: the interpreter of the child (default: ``sys.executable``).
        env: the child's environment (default: this one); ``PYTHONPATH`` is prefixed with
            this process's ``sys.path`` so the child imports what the parent can.
        cwd: the child's working directory (default: this one).
    """

    def __init__(
        self,
        resource_type: str | Callable[..., object],
        name: str,
        parameters: Mapping[str, object],
        listener: HostListener,
        *,
        task_group: TaskGroup,
        deadlock_timeout: float = 300.0,
        pending_timeout: float = 180.0,
        verify_signalled_failure: bool = True,
        node_name: str | None = None,
        local_registry: RegistryTree | None = None,
        startup_timeout: float = 30.0,
        memory_limit: int | None = None,
        deadline_grace: float | None = None,
        python: str | None = None,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
    ) -> None:
        if isinstance(resource_type, str):
            self._import_path = resource_type
            self._type_name = resource_type.rpartition(":")[2].rpartition(".")[2] or "?"
        else:
            self._import_path = import_path_of(resource_type)
            self._type_name = str(
                getattr(resource_type, "type_name", getattr(resource_type, "__name__", "?"))
            )
        self._name = name
        self._parameters = parameters
        self._listener = listener
        self._task_group = task_group
        self.deadlock_timeout = deadlock_timeout
        #: Resident bytes past which the monitor process recycles itself (a leak), or None.
        self.memory_limit = memory_limit
        self.pending_timeout = pending_timeout
        self.verify_signalled_failure = verify_signalled_failure
        self.startup_timeout = startup_timeout
        self._grace = deadline_grace
        self._node_name = node_name if node_name is not None else platform.node()
        self._tree = local_registry if local_registry is not None else RegistryTree()
        self._synced_version = -1
        self._python = python if python is not None else sys.executable
        self._env = env
        self._cwd = cwd
        self._now = current_clock()
        self._state = ResourceState.INITIALIZING
        self._gate = Gate()
        self._child: Child | None = None
        self._ids = itertools.count(1)
        self._epoch = 0
        self._lost_callback: Callable[[], None] | None = None
        self._closed = False
        #: True once the monitor was recycled after a deadlock (until a new process starts).
        self.deadlocked = False

    # -- what the monitor sees ----------------------------------------------------------------

    @property
    def type_name(self) -> str:
        return self._type_name

    @property
    def import_path(self) -> str:
        """``"package.module:Class"`` as the monitor process imports it."""
        return self._import_path

    @property
    def pid(self) -> int | None:
        """The monitor process's PID (``MonitorProcessId``), or None when none runs."""
        child = self._child
        return None if child is None or child.gone else child.pid

    @property
    def deadline_grace(self) -> float:
        """Seconds the parent adds to DeadlockTimeout before it kills the process."""
        if self._grace is not None:
            return self._grace
        return min(max(self.deadlock_timeout / 2, 0.25), 5.0)

    async def open(self) -> None:
        """Start a monitor process, load the type there, create the instance and call Open.

        Raises:
            InvalidStateError: if it is already open (or closed).
            ClusterError: ERROR_RESMON_CREATE_FAILED if the process cannot start, the type
                cannot be imported or the process dies; whatever Open raised otherwise (the
                process is then ended).
        """
        async with self._gate.hold() as hold:
            if self._closed or self._child is not None:
                raise self._invalid_state("is already open", "open it once")
            await self._open_instance(hold)

    async def online(self) -> ResourceState:
        """Bring the resource online; return ONLINE, or FAILED.

        A monitor recycled since the last call is started again and the instance re-opened
        first (a failure to do so is logged and returns FAILED).

        Raises:
            InvalidStateError: if the resource is not open, or pending.
        """
        self._refuse_while_pending()
        async with self._gate.hold() as hold:
            self._check_open()
            child = self._child
            if child is None:
                try:
                    child = await self._open_instance(hold)
                except ClusterError as exc:
                    self._log(LogLevel.ERROR, f"cannot come online: reopening failed: {exc}")
                    self._set_state(ResourceState.FAILED)
                    return self._state
            snapshot = None
            if self._tree.version != self._synced_version:
                snapshot = self._tree.snapshot("")  # checkpoints were restored into it
                self._synced_version = self._tree.version
            call = Online(dict(self._parameters), self.pending_timeout, snapshot)
            return await self._pending_request(child, call, hold)

    async def offline(self) -> ResourceState:
        """Take the resource offline; return OFFLINE, or FAILED.

        Raises:
            InvalidStateError: if the resource is not open, or pending.
        """
        self._refuse_while_pending()
        async with self._gate.hold() as hold:
            self._check_open()
            child = self._child
            if child is None:  # recycled: nothing runs, as for a Failed resource in-process
                self._set_state(ResourceState.OFFLINE)
                return self._state
            return await self._pending_request(child, Offline(self.pending_timeout), hold)

    async def terminate(
        self,
        *,
        final_state: Literal[ResourceState.OFFLINE, ResourceState.FAILED] = (ResourceState.OFFLINE),
    ) -> None:
        """Stop the resource now (overlapping the entry point in flight). Never raises for the
        resource's errors; if the process dies or hangs meanwhile, the resource is stopped
        all the same and ends in ``final_state``.

        Raises:
            InvalidStateError: if it was never opened.
        """
        self._check_open()
        self._epoch += 1
        child = self._child
        if child is not None:
            try:
                await self._request(child, Terminate(final_state))
            except Lost:
                pass
            else:
                return
        self._set_state(final_state)

    async def looks_alive(self) -> bool:
        """Call LooksAlive; False for an exception, a non-bool, a hang or a dead process."""
        try:
            return await self._probe(LooksAlive())
        except Lost:
            return False

    async def is_alive(self) -> bool:
        """Call IsAlive; False for an exception, a non-bool, a hang or a dead process."""
        try:
            return await self._probe(IsAlive())
        except Lost:
            return False

    async def check_health(self, *, thorough: bool) -> bool:
        """One health poll by the rules (see ResourceHost.check_health).

        Returns:
            True if the resource is (still) alive; False if it was failed by this check
            (IsAlive said no, or the process died or hung in it).
        """
        if self._state is not ResourceState.ONLINE:
            return True
        epoch = self._epoch
        try:
            if not thorough and await self._probe(LooksAlive()):
                return True
            if epoch != self._epoch or self._state is not ResourceState.ONLINE:
                return True
            if await self._probe(IsAlive()):
                return True
        except Lost:
            return False
        except InvalidStateError:
            if self._closed:  # closed while this poll waited its turn: nothing to poll
                return True
            raise
        if epoch == self._epoch and self._state is ResourceState.ONLINE:
            with contextlib.suppress(InvalidStateError):  # it changed state meanwhile
                await self._fail_request("IsAlive returned False")
            return False
        return True

    async def fail(self, reason: str) -> None:
        """Fail an Online or pending resource from outside: Failed + Terminate.

        Raises:
            InvalidStateError: ERROR_RESMON_INVALID_STATE unless the resource is Online or
                pending.
        """
        self._refuse_fail()
        await self._fail_request(reason)

    async def terminated(self) -> None:
        """Return once no Terminate of the instance is running (at once if none is).

        In the monitor process, a failure's Terminate runs before the reply to the request
        that failed (Online, Offline, Fail) or to a Terminate: wait for those replies. Each is
        bounded by its deadline (the process is killed when it passes).
        """
        child = self._child
        if child is None:
            return
        for waiter in list(child.waiters.values()):
            if isinstance(waiter.call, (Online, Offline, Terminate, Fail)):
                await waiter.done.wait()

    async def control(self, code: int, data: bytes) -> bytes | Literal[NotHandled.NOT_HANDLED]:
        """Pass a control code to the resource (``ResourceControl``).

        Raises:
            ClusterError: what the resource raised, as in-process; ERROR_RESOURCE_CALL_TIMED_OUT
                if it hung, ERROR_RESOURCE_FAILED if its process died.
        """
        async with self._gate.hold() as hold:
            child = await self._instance(hold)
            try:
                result = await self._request(child, Control(code, data), hold=hold)
            except Lost as lost:
                raise self._lost_error(lost, f"ResourceControl({code:#010x})") from None
        if result is NOT_HANDLED:
            return NOT_HANDLED
        if not isinstance(result, bytes):  # the child's host checks it
            raise make_error(Win32Error.ERROR_INVALID_DATA, f"bad control reply {result!r}")
        return result

    async def arbitrate(self, lost: Callable[[], None]) -> None:
        """Call Arbitrate; ``lost`` is called when the resource reports QuorumResourceLost.

        Raises:
            ClusterError: if arbitration is lost or the type cannot arbitrate (as in-process);
                ERROR_RESOURCE_CALL_TIMED_OUT / ERROR_RESOURCE_FAILED for a hang or a crash.
        """
        async with self._gate.hold() as hold:
            child = await self._instance(hold)
            self._lost_callback = lost
            try:
                await self._request(child, Arbitrate(), hold=hold)
            except Lost as lost_monitor:
                raise self._lost_error(lost_monitor, "Arbitrate") from None

    async def release(self) -> None:
        """Call Release. Errors are logged, not raised."""
        async with self._gate.hold() as hold:
            self._check_open()
            child = self._child
            if child is None:
                return  # its monitor died: it defends nothing any more
            with contextlib.suppress(Lost):
                await self._request(child, Release(), hold=hold)

    async def close(self) -> None:
        """Close the resource (Terminate first unless it is Offline, then Close) and end its
        process: it gets its input closed, then is killed after :data:`~._child.EXIT_WAIT` s, and is
        reaped before this returns. Idempotent; never raises for the resource's errors."""
        if self._closed:
            return
        self._closed = True
        child = self._child
        if child is None:
            return
        try:
            with contextlib.suppress(Lost, ClusterError):
                await self._request(
                    child, Close(), deadline=2 * self.deadlock_timeout + self.deadline_grace
                )
        finally:
            await child.stop()

    # -- requests -----------------------------------------------------------------------------

    def _deadline(self) -> float:
        return self.deadlock_timeout + self.deadline_grace

    def _pending_deadline(self) -> float:
        limit = min(self.pending_timeout, self.deadlock_timeout)
        return limit + self._deadline()

    async def _request(
        self,
        child: Child,
        call: Call,
        *,
        deadline: float | None = None,
        hold: Hold | None = None,
        progress: bool = False,
    ) -> object:
        """Send one request and wait for its reply.

        Raises:
            Lost: the process died, or was killed (deadline, deadlock) before replying.
            ClusterError: what the child's host raised; ERROR_INVALID_DATA if the request cannot
                be sent (too large, or holding what the protocol cannot carry).
        """
        if child.gone:
            raise Lost(f"the monitor process of resource {self._name!r} is gone", deadlock=False)
        request_id = next(self._ids)
        try:
            frame = encode(Request(request_id, call))
        except (TypeError, ValueError) as exc:  # e.g. a local registry past MAX_FRAME
            raise make_error(
                Win32Error.ERROR_INVALID_DATA,
                f"{call.label} of resource {self._name!r} cannot be sent to its monitor process: "
                f"{exc}",
            ) from None
        waiter = Waiter(request_id, call, self._deadline() if deadline is None else deadline)
        child.waiters[waiter.id] = waiter
        if progress:
            child.progress = waiter
        child.arm(waiter)
        try:
            # If it is dying, the reader settles the waiter once it is reaped.
            with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
                await child.send(frame)
            await waiter.done.wait()
        except BaseException:
            if not waiter.done.is_set():
                # Cancelled while the child still runs it: cancel it there too; the turn of
                # this instance passes on only when it has ended (or the process has).
                if hold is not None:
                    hold.deferred = True
                    waiter.hold = hold
                with anyio.CancelScope(shield=True), contextlib.suppress(Exception):
                    cancel = Request(next(self._ids), Cancel(waiter.id))
                    await child.send(encode(cancel))
            raise
        finally:
            if child.progress is waiter:
                child.progress = None
        if waiter.outcome == "ok":
            return waiter.value
        if waiter.outcome == "error" and isinstance(waiter.value, ClusterError):
            raise waiter.value
        if isinstance(waiter.value, Lost):
            raise waiter.value
        raise Lost(f"request {call.label} ended with {waiter.outcome}", deadlock=False)

    async def _pending_request(
        self, child: Child, call: Online | Offline, hold: Hold
    ) -> ResourceState:
        """Online or Offline in the child: the state it ends in (as the state reports left it
        if the process was lost meanwhile)."""
        try:
            result = await self._request(
                child, call, deadline=self._pending_deadline(), hold=hold, progress=True
            )
        except Lost:
            return self._state
        return _as_state(result)

    async def _probe(self, call: LooksAlive | IsAlive) -> bool:
        async with self._gate.hold() as hold:
            self._check_open()
            child = self._child
            if child is None:
                return False  # recycled: there is no instance to be alive
            result = await self._request(child, call, hold=hold)
            return result is True

    async def _fail_request(self, reason: str) -> None:
        child = self._child
        if child is None:
            return
        self._epoch += 1
        with contextlib.suppress(Lost):
            await self._request(child, Fail(reason))

    async def _instance(self, hold: Hold) -> Child:
        """The running process, started again (and the instance re-opened) if it was recycled."""
        self._check_open()
        if self._child is not None:
            return self._child
        return await self._open_instance(hold)

    # -- the process --------------------------------------------------------------------------

    async def _open_instance(self, hold: Hold) -> Child:
        child = await self._spawn()
        try:
            await self._request(child, Open(dict(self._parameters)), hold=hold)
        except Lost as lost:
            raise make_error(
                Win32Error.ERROR_RESMON_CREATE_FAILED,
                f"Open of resource {self._name!r} failed: {lost.reason}",
            ) from None
        except BaseException:
            await child.stop()
            raise
        return child

    async def _spawn(self) -> Child:
        try:
            process = await anyio.open_process(
                [self._python, *MONITOR_COMMAND],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=None,
                env=self._child_env(),
                cwd=self._cwd,
            )
        except OSError as exc:
            raise make_error(
                Win32Error.ERROR_RESMON_CREATE_FAILED,
                f"cannot start a monitor process for resource {self._name!r}: {exc!r}",
            ) from None
        pidfd = None
        if _pidfd_open is not None:
            with contextlib.suppress(OSError):
                pidfd = _pidfd_open(process.pid)
        child = Child(process, process.pid, pidfd)
        self._child = child
        self._task_group.start_soon(self._read_loop, child)
        self._synced_version = self._tree.version
        config = StartConfig(
            import_path=self._import_path,
            resource_name=self._name,
            node_name=self._node_name,
            parameters=dict(self._parameters),
            pending_timeout=self.pending_timeout,
            deadlock_timeout=self.deadlock_timeout,
            verify_signalled_failure=self.verify_signalled_failure,
            registry=self._tree.snapshot(""),
            memory_limit=self.memory_limit,
        )
        try:
            started = await self._request(child, Start(config), deadline=self.startup_timeout)
        except Lost as lost:
            raise make_error(
                Win32Error.ERROR_RESMON_CREATE_FAILED,
                f"the monitor process of resource {self._name!r} did not start: {lost.reason}",
            ) from None
        except BaseException:
            await child.stop()
            raise
        if isinstance(started, tuple) and started:
            self._type_name = str(started[0])
        self.deadlocked = False
        return child

    def _child_env(self) -> dict[str, str]:
        env = dict(os.environ if self._env is None else self._env)
        paths = [os.path.abspath(p or os.curdir) for p in sys.path]
        if env.get("PYTHONPATH"):
            paths.extend(env["PYTHONPATH"].split(os.pathsep))
        env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(p for p in paths if os.path.exists(p)))
        return env

    async def _read_loop(self, child: Child) -> None:
        """Dispatch the child's replies and events until its output ends; then reap it."""
        assert child.process.stdout is not None
        stream = BufferedByteReceiveStream(child.process.stdout)
        try:
            while True:
                try:
                    message = await child.receive(stream, FRAME_WAIT)
                    self._on_message(child, message)
                except (
                    anyio.EndOfStream,
                    anyio.IncompleteRead,
                    anyio.BrokenResourceError,
                    anyio.ClosedResourceError,
                ):
                    break
                except Exception as exc:
                    # Whatever the child sent (or a report it made that the listener could
                    # not take), it costs only this monitor: killed, reaped and recycled.
                    if not isinstance(exc, ValueError):
                        traceback.print_exc()
                    child.break_protocol(str(exc))
                    break
        except BaseException:
            child.abandoned = True  # cancelled (or the listener raised): no one to report to
            raise
        finally:
            with anyio.CancelScope(shield=True):
                await child.reap()
            self._gone(child)

    def _gone(self, child: Child) -> None:
        """The process was reaped: log why it ended, fail the resource, settle the waiters."""
        child.gone = True
        if self._child is child:
            self._child = None
        code = child.process.returncode
        in_flight = list(child.waiters.values())
        deadlock = child.expired is not None or child.written_off
        if child.expired is not None:
            message: str | None = (
                f"deadlock: {child.expired.label} of resource {self._name!r} did not return "
                f"within {child.expired.timeout:g} s (DeadlockTimeout "
                f"{self.deadlock_timeout:g} s); recycling its monitor (process {child.pid} "
                "killed)"
            )
        elif child.written_off:
            message = (
                f"monitor process {child.pid} of resource {self._name!r} killed after a "
                "deadlock; recycling its monitor"
            )
        elif child.abandoned or child.closing:
            message = None
        else:
            during = ", ".join(dict.fromkeys(w.label for w in in_flight))
            message = (
                f"monitor process {child.pid} of resource {self._name!r} exited with code "
                f"{code}{f' during {during}' if during else ''}"
                + (f" (protocol error {child.protocol_error})" if child.protocol_error else "")
                + "; recycling its monitor"
            )
        if deadlock:
            self.deadlocked = True
        lost = Lost(
            message or f"the monitor process of resource {self._name!r} ended", deadlock=deadlock
        )
        if message is not None:
            self._log(LogLevel.ERROR, message)
            calls = {type(w.call) for w in in_flight}
            if Terminate not in calls and (
                self._state in (ResourceState.ONLINE, *PENDING) or calls & {Online, Offline}
            ):
                self._epoch += 1
                self._set_state(ResourceState.FAILED)
        for waiter in in_flight:
            child.resolve(waiter, "lost", lost)
        child.done.set()

    def _on_message(self, child: Child, message: Message) -> None:
        """Act on one reply or event of the child, checked first: what the child sends is
        data from the resource's process, and a message that is not what the protocol allows
        there raises ValueError (a protocol error: the monitor is recycled).

        Reports are taken as this resource's (its name, the parent's clock), whatever they say.
        """
        if isinstance(message, Request):
            raise ValueError(f"the monitor process sent a request {message.call.label!r}")
        if isinstance(message, Reply):
            waiter = child.waiters.get(message.id)
            if waiter is None:
                if child.written_off:
                    return  # the reply of an instance written off after a deadlock
                raise ValueError(f"a reply to request {message.id}, which is not in flight")
            problem = reply_problem(waiter.call, message)
            if problem is not None:
                raise ValueError(problem)
            if not child.written_off:
                child.resolve(waiter, message.outcome, message.value)
            return
        kind, payload = message.kind, message.payload
        if kind not in EVENT_PAYLOADS or not isinstance(payload, EVENT_PAYLOADS[kind]):
            raise ValueError(f"a {kind!r} event with a {type(payload).__name__}")
        if isinstance(payload, ResourceStatus):
            if child.written_off:
                return
            problem = status_problem(
                payload.state, self._state, (w.call for w in child.waiters.values())
            )
            if problem is not None:
                raise ValueError(problem)
            self._state = payload.state
            waiter = child.progress
            if waiter is not None and payload.state in PENDING and not waiter.resolved:
                child.arm(waiter)  # progress: the deadline counts from now
            self._listener.on_status(attrs.evolve(payload, resource=self._name, time=self._now()))
        elif isinstance(payload, LogEntry):
            self._listener.on_log(attrs.evolve(payload, resource=self._name, time=self._now()))
        elif isinstance(payload, FailureReport):
            self._listener.on_failure(attrs.evolve(payload, resource=self._name, time=self._now()))
        elif isinstance(payload, RegistryChange):
            problem = registry_change_problem(payload)
            if problem is not None:
                raise ValueError(f"registry change {payload}: {problem}")
            self._apply_registry(payload)
        elif kind == "lost":
            if self._lost_callback is not None:
                self._lost_callback()
        elif kind == "deadlocked":
            child.written_off = True
            self.deadlocked = True
            child.kill()

    def _apply_registry(self, change: RegistryChange) -> None:
        tree = self._tree
        in_step = tree.version == self._synced_version
        try:
            apply_registry_change(tree, change)
        except ClusterError as exc:
            self._log(LogLevel.WARNING, f"local registry change {change} not applied: {exc}")
        if in_step:
            self._synced_version = tree.version

    # -- helpers ------------------------------------------------------------------------------

    def _log(self, level: LogLevel, message: str) -> None:
        self._listener.on_log(LogEntry(self._name, self._type_name, level, message, self._now()))

    def _set_state(self, state: ResourceState) -> None:
        self._state = state
        self._listener.on_status(ResourceStatus(self._name, state, 0, self._now()))

    def _check_open(self) -> None:
        if self._closed:
            raise self._invalid_state("is closed", "create a new host")
        if self._state is ResourceState.INITIALIZING and self._child is None:
            raise self._invalid_state("is not open", "call open() first")

    def _lost_error(self, lost: Lost, label: str) -> ClusterError:
        code = (
            Win32Error.ERROR_RESOURCE_CALL_TIMED_OUT
            if lost.deadlock
            else Win32Error.ERROR_RESOURCE_FAILED
        )
        return make_error(code, f"{label} of resource {self._name!r} failed: {lost.reason}")

    def __repr__(self) -> str:
        return (
            f"<ProcessHost of resource {self._name!r} ({self._import_path}), "
            f"{self._state.name}, pid {self.pid}>"
        )
