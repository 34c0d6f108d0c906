"""``ProcessHost``: one resource in a Resource Monitor process of its own (``SeparateMonitor``).

The cluster service side of a separate monitor (research resapi.md §5.1, §5.4). It has the
interface of :class:`ResourceHost` as a monitor uses it (the same methods, return
types and exceptions), but the instance runs in a child process (:mod:`resapi._monitor._process`,
started as ``python -m resapi.monitor``) that hosts it with a ResourceHost of its own. A reader
task in the given task group receives the child's replies and events: status, log and failure
reports go to the listener, local-registry changes are applied to the node's
:class:`~clusapi._registry.RegistryTree` (checkpoints capture them there), and a
``QuorumResourceLost`` from the resource calls the callback given to :meth:`ProcessHost.arbitrate`.

Deadlock detection, on real time (the child runs on real time, so its guard does too, whatever
the parent's event loop clock is; a virtual clock does not make it fire early):

* Inside the child, the host enforces PendingTimeout and DeadlockTimeout as in-process: an entry
  point that awaits forever is cancelled; an Online or Offline without progress reports fails
  after ``min(PendingTimeout, DeadlockTimeout)`` (Terminate is called, the process lives on).
* The parent guards every request with a deadline the child cannot stretch: DeadlockTimeout
  plus a grace (``deadline_grace``, default ``min(max(D/2, 0.25), 5)`` s) so that the child's
  own, gentler detection acts first whenever its event loop still runs. Online and Offline get
  ``min(PendingTimeout, D) + D + grace``, counted again from every progress report the child
  sends (a pending call may last as long as it keeps reporting; the child fails it, and calls
  Terminate, within ``min(PendingTimeout, D) + D`` when it stops). Startup gets
  ``startup_timeout``; Close gets ``2 D + grace``. Requests that queue behind another (entry
  points of one instance never overlap, except Terminate) start their deadline when they are
  sent, not while they wait their turn.
* A deadline that passes (a blocked event loop, a deadlocked thread), a deadlock the child's
  host reports, or the process ending on its own (a crash, ``os._exit``): the process is
  killed (by PID, from a timer thread, so even a blocked parent loop cannot delay it) and
  reaped, a cluster-log entry names the resource and the entry point, and the resource is
  reported Failed if it was Online or pending or an Online/Offline was in flight (an idle
  Offline resource stays Offline). The call in flight returns what the same failure returns
  in-process (False from LooksAlive/IsAlive, FAILED from Online/Offline) or raises a
  :class:`~clusapi.ClusterError` (Open, ResourceControl, Arbitrate). The monitor is recycled:
  the next Open, Online, ResourceControl or Arbitrate starts a fresh process and opens a new
  instance in it, transparently.

The child runs the resource's code, so nothing it sends is trusted (see the protocol in
:mod:`resapi._monitor._process`): frames are JSON that can build only the protocol's own
classes; a reply must answer a request in flight with the kind of value that request returns;
an event must be one the protocol has, with its payload; a status report must be one the
host could make then (a state only during a request that makes it, FAILED also while Online
or pending); reports are taken as this resource's. A frame that breaks any of this, is too
large, or does not arrive whole within :data:`FRAME_WAIT` real seconds of its first byte is a
protocol error: the process is killed and treated as crashed (logged, the resource failed,
the monitor recycled), and nothing else.

Nothing is left running: :meth:`ProcessHost.close` asks the child to close the resource, then
ends its input and kills it if it has not exited within :data:`EXIT_WAIT` s; if the reader task
is cancelled (its task group ends, the node crashes) the process is killed and reaped at once.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import heapq
import itertools
import os
import platform
import signal
import subprocess
import sys
import threading
import time
import traceback
from typing import TYPE_CHECKING, Final, Literal, Protocol

import anyio
import attrs
from anyio.abc import Process
from anyio.streams.buffered import BufferedByteReceiveStream

from clusapi._core._clock import current_clock
from clusapi._core._registry_tree import RegistryTree
from clusapi._enums import LogLevel, ResourceState
from clusapi._errors import ClusterError, InvalidStateError, make_error
from clusapi._win32 import Win32Error

from .._records import FailureReport, LogEntry, ResourceStatus
from .._resource import NOT_HANDLED, NotHandled
from ._process import (
    Event,
    Message,
    RegistryChange,
    Reply,
    Request,
    StartConfig,
    apply_registry_change,
    decode,
    encode,
    frame_length,
    import_path_of,
    registry_change_problem,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Mapping

    from anyio.abc import TaskGroup

    from ._host import HostListener, ResourceHost

__all__ = ("EXIT_WAIT", "FRAME_WAIT", "MONITOR_COMMAND", "InstanceHost", "ProcessHost")

#: The command line that starts a monitor process (after the interpreter). ``-P``: its own
#: working directory is not on its ``sys.path``; it imports from the parent's (PYTHONPATH).
MONITOR_COMMAND: Final = ("-P", "-m", "resapi.monitor")
#: Real seconds a monitor process has to exit once its input ends, before it is killed.
EXIT_WAIT: Final = 2.0
#: Real seconds the rest of a frame may take to arrive after its header (module doc).
FRAME_WAIT: Final = 5.0

_PENDING: Final = frozenset({ResourceState.ONLINE_PENDING, ResourceState.OFFLINE_PENDING})
_KILL: Final = getattr(signal, "SIGKILL", signal.SIGTERM)
_pidfd_open: Callable[[int], int] | None = getattr(os, "pidfd_open", None)
_pidfd_send_signal: Callable[[int, int], None] | None = getattr(signal, "pidfd_send_signal", None)


class InstanceHost(Protocol):
    """What a Resource Monitor uses of the host of one instance. Both
    :class:`~resapi._monitor._host.ResourceHost` (in the shared monitor) and :class:`ProcessHost` (a
    separate monitor process) are one; annotate ``node.hosts``, the poller and the control
    path with it to hold either."""

    pending_timeout: float
    deadlock_timeout: float
    deadlocked: bool

    @property
    def state(self) -> ResourceState: ...

    @property
    def type_name(self) -> str: ...

    async def open(self) -> None: ...

    async def online(self) -> ResourceState: ...

    async def offline(self) -> ResourceState: ...

    async def terminate(
        self,
        *,
        final_state: Literal[ResourceState.OFFLINE, ResourceState.FAILED] = ...,
    ) -> None: ...

    async def looks_alive(self) -> bool: ...

    async def is_alive(self) -> bool: ...

    async def check_health(self, *, thorough: bool) -> bool: ...

    async def fail(self, reason: str) -> None: ...

    async def control(self, code: int, data: bytes) -> bytes | Literal[NotHandled.NOT_HANDLED]: ...

    async def arbitrate(self, lost: Callable[[], None]) -> None: ...

    async def release(self) -> None: ...

    async def close(self) -> None: ...


# --------------------------------------------------------------------------- real-time timers


class _Timer:
    __slots__ = ("callback", "cancelled", "deadline")

    def __init__(self, deadline: float, callback: Callable[[], None]) -> None:
        self.deadline = deadline
        self.callback = callback
        self.cancelled = False


class _RealTimeTimers:
    """Callbacks at ``time.monotonic()`` deadlines, run on one daemon thread.

    The callbacks only kill processes (thread-safe, no event loop involved), so a deadline is
    kept even while the parent's event loop is blocked, and a virtual clock cannot move it.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _Timer]] = []
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None
        self._cancelled = 0

    def call_later(self, delay: float, callback: Callable[[], None]) -> _Timer:
        timer = _Timer(time.monotonic() + delay, callback)
        with self._cond:
            heapq.heappush(self._heap, (timer.deadline, next(self._seq), timer))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="resapi-monitor-deadlines", daemon=True
                )
                self._thread.start()
            self._cond.notify()
        return timer

    def cancel(self, timer: _Timer | None) -> None:
        if timer is None:
            return
        with self._cond:
            if timer.cancelled:
                return
            timer.cancelled = True
            self._cancelled += 1
            if self._cancelled > 64 and 2 * self._cancelled > len(self._heap):
                self._heap = [entry for entry in self._heap if not entry[2].cancelled]
                heapq.heapify(self._heap)
                self._cancelled = 0

    def _run(self) -> None:
        with self._cond:
            while True:
                while self._heap and self._heap[0][2].cancelled:
                    heapq.heappop(self._heap)
                    self._cancelled -= 1
                if not self._heap:
                    self._cond.wait()
                    continue
                deadline, _, timer = self._heap[0]
                delay = deadline - time.monotonic()
                if delay > 0:
                    self._cond.wait(delay)
                    continue
                heapq.heappop(self._heap)
                timer.cancelled = True
                self._cond.release()
                try:
                    timer.callback()
                except Exception:
                    traceback.print_exc()
                finally:
                    self._cond.acquire()


_TIMERS: Final = _RealTimeTimers()


# --------------------------------------------------------------------------- bookkeeping


class _Gate:
    """Entry points of one instance do not overlap (Terminate excepted). A hold is released by
    whoever finishes with it: the caller, or, if the caller was cancelled while its request
    still runs in the child, the reader task when that request ends."""

    __slots__ = ("_held", "_waiters")

    def __init__(self) -> None:
        self._held = False
        self._waiters: collections.deque[anyio.Event] = collections.deque()

    @contextlib.asynccontextmanager
    async def hold(self) -> AsyncIterator[_Hold]:
        if self._held:
            turn = anyio.Event()
            self._waiters.append(turn)
            try:
                await turn.wait()  # handed over: _held stays True
            except BaseException:
                if turn.is_set():
                    self._release()
                else:
                    self._waiters.remove(turn)
                raise
        self._held = True
        hold = _Hold(self)
        try:
            yield hold
        finally:
            if not hold.deferred:
                hold.release()

    def _release(self) -> None:
        if self._waiters:
            self._waiters.popleft().set()
        else:
            self._held = False


class _Hold:
    __slots__ = ("deferred", "gate", "released")

    def __init__(self, gate: _Gate) -> None:
        self.gate = gate
        self.deferred = False
        self.released = False

    def release(self) -> None:
        if not self.released:
            self.released = True
            self.gate._release()


class _Waiter:
    """One request in flight."""

    __slots__ = (
        "done",
        "hold",
        "id",
        "label",
        "op",
        "outcome",
        "resolved",
        "timeout",
        "timer",
        "value",
    )

    def __init__(self, request_id: int, op: str, label: str, timeout: float) -> None:
        self.id = request_id
        self.op = op
        self.label = label
        self.timeout = timeout
        self.done = anyio.Event()
        self.resolved = False  # under the child's lock: the timer thread reads it
        self.outcome: str = ""
        self.value: object = None
        self.timer: _Timer | None = None
        self.hold: _Hold | None = None


@attrs.define(eq=False)
class _Child:
    """One monitor process and what the parent knows about it."""

    process: Process
    pid: int
    pidfd: int | None
    waiters: dict[int, _Waiter] = attrs.field(factory=dict)
    lock: threading.Lock = attrs.field(factory=threading.Lock)
    send_lock: anyio.Lock = attrs.field(factory=anyio.Lock)
    done: anyio.Event = attrs.field(factory=anyio.Event)
    #: The Online/Offline whose deadline progress reports extend.
    progress: _Waiter | None = None
    #: The request whose deadline passed (the process was killed for it).
    expired: _Waiter | None = None
    #: The child's host reported a deadlock: its replies no longer count.
    written_off: bool = False
    #: Ending on purpose (close, failed start): no failure to report.
    closing: bool = False
    #: The reader was cancelled (its task group ended): kill at once, report nothing.
    abandoned: bool = False
    protocol_error: str | None = None
    reaped: bool = False
    gone: bool = False


class _Lost(Exception):
    """The monitor process went away while a request was in flight."""

    def __init__(self, reason: str, *, deadlock: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.deadlock = deadlock


def _kill(child: _Child) -> None:
    """Kill the process unless it was reaped (thread-safe; by pidfd where there is one, so a
    reused PID is never hit)."""
    with child.lock:
        if child.reaped:
            return
        with contextlib.suppress(ProcessLookupError, OSError):
            if child.pidfd is not None and _pidfd_send_signal is not None:
                _pidfd_send_signal(child.pidfd, _KILL)
            else:
                os.kill(child.pid, _KILL)


#: What each event of the child carries.
_EVENT_PAYLOADS: Final[Mapping[str, type | tuple[type, ...]]] = {
    "status": ResourceStatus,
    "log": LogEntry,
    "failure": FailureReport,
    "registry": RegistryChange,
    "lost": type(None),
    "deadlocked": type(None),
}
_ONLINE_OPS: Final = frozenset({"online"})
#: The states a host reports, each with the requests during which it may (the host reports a
#: state only from an entry point; FAILED also when the resource fails on its own, see
#: :meth:`ProcessHost._check_status`). An instance is never INITIALIZING, UNKNOWN or
#: INHERITED there.
_STATUS_OPS: Final[Mapping[ResourceState, frozenset[str]]] = {
    ResourceState.ONLINE_PENDING: _ONLINE_OPS,
    ResourceState.ONLINE: _ONLINE_OPS,
    ResourceState.CANNOT_COME_ONLINE_ON_THIS_NODE: _ONLINE_OPS,
    ResourceState.CANNOT_COME_ONLINE_ON_ANY_NODE: _ONLINE_OPS,
    ResourceState.OFFLINE_PENDING: frozenset({"offline"}),
    ResourceState.OFFLINE: frozenset({"open", "offline", "terminate", "close"}),
    ResourceState.FAILED: frozenset({"online", "offline", "terminate", "fail", "close"}),
}
_REPORTED_STATES: Final = frozenset(_STATUS_OPS)


#: The requests whose host method raises what the resource raised; the others raise only
#: InvalidStateError (the resource's errors are logged and turned into a state there).
_RAISING_OPS: Final = frozenset({"start", "open", "control", "arbitrate"})


def _check_reply(op: str, reply: Reply) -> None:
    """Raise ValueError unless ``reply`` is what the child's host answers to ``op``."""
    value = reply.value
    if reply.outcome == "error":
        ok = isinstance(value, ClusterError) and (
            op in _RAISING_OPS or type(value) is InvalidStateError
        )
    elif reply.outcome == "cancelled":
        ok = value is None
    elif op == "start":
        ok = (
            isinstance(value, tuple)
            and len(value) == 2
            and isinstance(value[0], str)
            and type(value[1]) is int
        )
    elif op in ("online", "offline"):
        ok = value in _REPORTED_STATES and isinstance(value, ResourceState)
    elif op in ("looks_alive", "is_alive", "check_health"):
        ok = isinstance(value, bool)
    elif op == "control":
        ok = isinstance(value, bytes) or value is NOT_HANDLED
    else:
        ok = value is None
    if not ok:
        raise ValueError(f"a {reply.outcome!r} reply to {op} with {type(value).__name__} value")


def _as_state(result: object) -> ResourceState:
    if not isinstance(result, ResourceState):  # the child's host returns its state
        raise make_error(Win32Error.ERROR_INVALID_DATA, f"bad state from the monitor: {result!r}")
    return result


# --------------------------------------------------------------------------- the host


class ProcessHost:
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
        self._gate = _Gate()
        self._child: _Child | None = None
        self._ids = itertools.count(1)
        self._epoch = 0
        self._lost_callback: Callable[[], None] | None = None
        self._closed = False
        #: True once the monitor was recycled after a deadlock (until a new process starts).
        self.deadlocked = False

    # -- what the monitor sees ----------------------------------------------------------------

    @property
    def resource_name(self) -> str:
        return self._name

    @property
    def node_name(self) -> str:
        return self._node_name

    @property
    def type_name(self) -> str:
        return self._type_name

    @property
    def import_path(self) -> str:
        """``"package.module:Class"`` as the monitor process imports it."""
        return self._import_path

    @property
    def state(self) -> ResourceState:
        """The instance's state, as the monitor process last reported it."""
        return self._state

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
            try:
                result = await self._request(
                    child,
                    "online",
                    "Online",
                    dict(self._parameters),
                    self.pending_timeout,
                    snapshot,
                    deadline=self._pending_deadline(),
                    hold=hold,
                    progress=True,
                )
            except _Lost:
                return self._state
            return _as_state(result)

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
            try:
                result = await self._request(
                    child,
                    "offline",
                    "Offline",
                    self.pending_timeout,
                    deadline=self._pending_deadline(),
                    hold=hold,
                    progress=True,
                )
            except _Lost:
                return self._state
            return _as_state(result)

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
                await self._request(child, "terminate", "Terminate", final_state)
            except _Lost:
                pass
            else:
                return
        self._set_state(final_state)

    async def looks_alive(self) -> bool:
        """Call LooksAlive; False for an exception, a non-bool, a hang or a dead process."""
        try:
            return await self._probe("looks_alive", "LooksAlive")
        except _Lost:
            return False

    async def is_alive(self) -> bool:
        """Call IsAlive; False for an exception, a non-bool, a hang or a dead process."""
        try:
            return await self._probe("is_alive", "IsAlive")
        except _Lost:
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
            if not thorough and await self._probe("looks_alive", "LooksAlive"):
                return True
            if epoch != self._epoch or self._state is not ResourceState.ONLINE:
                return True
            if await self._probe("is_alive", "IsAlive"):
                return True
        except _Lost:
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
        if self._state not in (ResourceState.ONLINE, *_PENDING):
            raise InvalidStateError(
                Win32Error.ERROR_RESMON_INVALID_STATE,
                f"resource {self._name!r} is {self._state.name} and cannot be failed",
                fix="only an Online or pending resource can be failed",
            )
        await self._fail_request(reason)

    async def control(self, code: int, data: bytes) -> bytes | Literal[NotHandled.NOT_HANDLED]:
        """Pass a control code to the resource (``ResourceControl``).

        Raises:
            ClusterError: what the resource raised, as in-process; ERROR_RESOURCE_CALL_TIMED_OUT
                if it hung, ERROR_RESOURCE_FAILED if its process died.
        """
        async with self._gate.hold() as hold:
            child = await self._instance(hold)
            try:
                result = await self._request(
                    child, "control", "ResourceControl", code, data, hold=hold
                )
            except _Lost as lost:
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
                await self._request(child, "arbitrate", "Arbitrate", hold=hold)
            except _Lost as lost_monitor:
                raise self._lost_error(lost_monitor, "Arbitrate") from None

    async def release(self) -> None:
        """Call Release. Errors are logged, not raised."""
        async with self._gate.hold() as hold:
            self._check_open()
            child = self._child
            if child is None:
                return  # its monitor died: it defends nothing any more
            with contextlib.suppress(_Lost):
                await self._request(child, "release", "Release", hold=hold)

    async def close(self) -> None:
        """Close the resource (Terminate first unless it is Offline, then Close) and end its
        process: it gets its input closed, then is killed after :data:`EXIT_WAIT` s, and is
        reaped before this returns. Idempotent; never raises for the resource's errors."""
        if self._closed:
            return
        self._closed = True
        child = self._child
        if child is None:
            return
        try:
            with contextlib.suppress(_Lost, ClusterError):
                await self._request(
                    child,
                    "close",
                    "Close",
                    deadline=2 * self.deadlock_timeout + self.deadline_grace,
                )
        finally:
            await self._stop(child)

    # -- requests -----------------------------------------------------------------------------

    def _deadline(self) -> float:
        return self.deadlock_timeout + self.deadline_grace

    def _pending_deadline(self) -> float:
        limit = min(self.pending_timeout, self.deadlock_timeout)
        return limit + self._deadline()

    async def _request(
        self,
        child: _Child,
        op: str,
        label: str,
        *args: object,
        deadline: float | None = None,
        hold: _Hold | None = None,
        progress: bool = False,
    ) -> object:
        """Send one request and wait for its reply.

        Raises:
            _Lost: the process died, or was killed (deadline, deadlock) before replying.
            ClusterError: what the child's host raised; ERROR_INVALID_DATA if the request cannot
                be sent (too large, or holding what the protocol cannot carry).
        """
        if child.gone:
            raise _Lost(f"the monitor process of resource {self._name!r} is gone", deadlock=False)
        request_id = next(self._ids)
        try:
            frame = encode(Request(request_id, op, args))
        except (TypeError, ValueError) as exc:  # e.g. a local registry past MAX_FRAME
            raise make_error(
                Win32Error.ERROR_INVALID_DATA,
                f"{label} of resource {self._name!r} cannot be sent to its monitor process: {exc}",
            ) from None
        waiter = _Waiter(request_id, op, label, self._deadline() if deadline is None else deadline)
        child.waiters[waiter.id] = waiter
        if progress:
            child.progress = waiter
        self._arm(child, waiter)
        try:
            # If it is dying, the reader settles the waiter once it is reaped.
            with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
                await self._send(child, frame)
            await waiter.done.wait()
        except BaseException:
            if not waiter.done.is_set():
                # Cancelled while the child still runs it: cancel it there too; the turn of
                # this instance passes on only when it has ended (or the process has).
                if hold is not None:
                    hold.deferred = True
                    waiter.hold = hold
                with anyio.CancelScope(shield=True), contextlib.suppress(Exception):
                    cancel = Request(next(self._ids), "cancel", (waiter.id,))
                    await self._send(child, encode(cancel))
            raise
        finally:
            if child.progress is waiter:
                child.progress = None
        if waiter.outcome == "ok":
            return waiter.value
        if waiter.outcome == "error" and isinstance(waiter.value, ClusterError):
            raise waiter.value
        if isinstance(waiter.value, _Lost):
            raise waiter.value
        raise _Lost(f"request {op} ended with {waiter.outcome}", deadlock=False)

    async def _send(self, child: _Child, frame: bytes) -> None:
        stdin = child.process.stdin
        assert stdin is not None
        async with child.send_lock:
            await stdin.send(frame)

    def _arm(self, child: _Child, waiter: _Waiter) -> None:
        _TIMERS.cancel(waiter.timer)
        waiter.timer = _TIMERS.call_later(
            waiter.timeout, functools.partial(self._expire, child, waiter)
        )

    def _expire(self, child: _Child, waiter: _Waiter) -> None:
        """Timer thread: the request's deadline passed; kill the process for it."""
        with child.lock:
            if waiter.resolved or child.reaped or child.expired is not None:
                return
            child.expired = waiter
        _kill(child)

    def _resolve(self, child: _Child, waiter: _Waiter, outcome: str, value: object) -> None:
        with child.lock:
            if waiter.resolved:
                return
            waiter.resolved = True
        _TIMERS.cancel(waiter.timer)
        child.waiters.pop(waiter.id, None)
        waiter.outcome = outcome
        waiter.value = value
        waiter.done.set()
        if waiter.hold is not None:
            waiter.hold.release()

    async def _probe(self, op: str, label: str) -> bool:
        async with self._gate.hold() as hold:
            self._check_open()
            child = self._child
            if child is None:
                return False  # recycled: there is no instance to be alive
            result = await self._request(child, op, label, hold=hold)
            return result is True

    async def _fail_request(self, reason: str) -> None:
        child = self._child
        if child is None:
            return
        self._epoch += 1
        with contextlib.suppress(_Lost):
            await self._request(child, "fail", "Terminate", reason)

    async def _instance(self, hold: _Hold) -> _Child:
        """The running process, started again (and the instance re-opened) if it was recycled."""
        self._check_open()
        if self._child is not None:
            return self._child
        return await self._open_instance(hold)

    # -- the process --------------------------------------------------------------------------

    async def _open_instance(self, hold: _Hold) -> _Child:
        child = await self._spawn()
        try:
            await self._request(child, "open", "Open", dict(self._parameters), hold=hold)
        except _Lost as lost:
            raise make_error(
                Win32Error.ERROR_RESMON_CREATE_FAILED,
                f"Open of resource {self._name!r} failed: {lost.reason}",
            ) from None
        except BaseException:
            await self._stop(child)
            raise
        return child

    async def _spawn(self) -> _Child:
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
        child = _Child(process, process.pid, pidfd)
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
            started = await self._request(
                child, "start", "Startup", config, deadline=self.startup_timeout
            )
        except _Lost as lost:
            raise make_error(
                Win32Error.ERROR_RESMON_CREATE_FAILED,
                f"the monitor process of resource {self._name!r} did not start: {lost.reason}",
            ) from None
        except BaseException:
            await self._stop(child)
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

    async def _stop(self, child: _Child) -> None:
        """End the process on purpose: close its input, kill it after EXIT_WAIT, wait until
        the reader has reaped it. Safe to call more than once, and under cancellation."""
        child.closing = True
        timer = _TIMERS.call_later(EXIT_WAIT, functools.partial(_kill, child))
        try:
            with anyio.CancelScope(shield=True):
                stdin = child.process.stdin
                if stdin is not None:
                    with contextlib.suppress(Exception):
                        async with child.send_lock:
                            await stdin.aclose()
                await child.done.wait()
        finally:
            _TIMERS.cancel(timer)

    async def _read_loop(self, child: _Child) -> None:
        """Dispatch the child's replies and events until its output ends; then reap it."""
        assert child.process.stdout is not None
        stream = BufferedByteReceiveStream(child.process.stdout)
        try:
            while True:
                try:
                    message = await self._receive(child, stream)
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
                    self._protocol_error(child, str(exc))
                    break
        except BaseException:
            child.abandoned = True  # cancelled (or the listener raised): no one to report to
            raise
        finally:
            with anyio.CancelScope(shield=True):
                await self._reap(child)
            self._gone(child)

    async def _receive(self, child: _Child, stream: BufferedByteReceiveStream) -> Message:
        """The next frame's message. A frame must arrive whole within :data:`FRAME_WAIT` real
        seconds of its first byte (the child writes each in one go): a header cut short, or a
        length that announces more than the child sends, would otherwise stall the channel,
        and every call and the close behind it, until some deadline passed.

        Raises:
            ValueError: a frame too large, or not a well-formed reply or event.
        """
        first = await stream.receive_exactly(1)  # an idle child may take any time
        wait = FRAME_WAIT
        timer = _TIMERS.call_later(
            wait,
            functools.partial(
                self._protocol_error, child, f"a frame did not arrive whole within {wait:g} s"
            ),
        )
        try:
            length = frame_length(first + await stream.receive_exactly(3))
            payload = await stream.receive_exactly(length)
        finally:
            _TIMERS.cancel(timer)
        return decode(payload, (Reply, Event))

    def _protocol_error(self, child: _Child, reason: str) -> None:
        """The child broke the protocol (thread-safe): note why, kill it; the reader ends."""
        with child.lock:
            if child.protocol_error is None:
                child.protocol_error = reason
        _kill(child)

    async def _reap(self, child: _Child) -> None:
        timer = None
        if child.abandoned or child.protocol_error is not None:
            _kill(child)
        else:
            timer = _TIMERS.call_later(EXIT_WAIT, functools.partial(_kill, child))
        try:
            await child.process.aclose()
        finally:
            _TIMERS.cancel(timer)
            with child.lock:
                child.reaped = True
                if child.pidfd is not None:
                    os.close(child.pidfd)
                    child.pidfd = None

    def _gone(self, child: _Child) -> None:
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
        lost = _Lost(
            message or f"the monitor process of resource {self._name!r} ended", deadlock=deadlock
        )
        if message is not None:
            self._log(LogLevel.ERROR, message)
            ops = {w.op for w in in_flight}
            if "terminate" not in ops and (
                self._state in (ResourceState.ONLINE, *_PENDING) or ops & {"online", "offline"}
            ):
                self._epoch += 1
                self._set_state(ResourceState.FAILED)
        for waiter in in_flight:
            self._resolve(child, waiter, "lost", lost)
        child.done.set()

    def _on_message(self, child: _Child, message: Message) -> None:
        """Act on one reply or event of the child, checked first: what the child sends is
        data from the resource's process, and a message that is not what the protocol allows
        there raises ValueError (a protocol error: the monitor is recycled).

        Reports are taken as this resource's (its name, the parent's clock), whatever they say.
        """
        if isinstance(message, Request):
            raise ValueError(f"the monitor process sent a request {message.op!r}")
        if isinstance(message, Reply):
            waiter = child.waiters.get(message.id)
            if waiter is None:
                if child.written_off:
                    return  # the reply of an instance written off after a deadlock
                raise ValueError(f"a reply to request {message.id}, which is not in flight")
            _check_reply(waiter.op, message)
            if not child.written_off:
                self._resolve(child, waiter, message.outcome, message.value)
            return
        kind, payload = message.kind, message.payload
        if kind not in _EVENT_PAYLOADS or not isinstance(payload, _EVENT_PAYLOADS[kind]):
            raise ValueError(f"a {kind!r} event with a {type(payload).__name__}")
        if isinstance(payload, ResourceStatus):
            if child.written_off:
                return
            self._check_status(child, payload.state)
            self._state = payload.state
            waiter = child.progress
            if waiter is not None and payload.state in _PENDING and not waiter.resolved:
                self._arm(child, waiter)  # progress: the deadline counts from now
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
            _kill(child)

    def _check_status(self, child: _Child, state: ResourceState) -> None:
        """Raise ValueError unless the child's host could report ``state`` now: during a
        request that makes it (a resource that says it is Online, or pending, while no Online
        runs would leave its group so, with no deadline to end it), or FAILED while it is
        Online or pending (a failure it found on its own: SignalFailure, a worker)."""
        if state not in _STATUS_OPS:
            raise ValueError(f"a status report of state {state.name}")
        if any(w.op in _STATUS_OPS[state] for w in child.waiters.values()):
            return
        if state is ResourceState.FAILED and self._state in (ResourceState.ONLINE, *_PENDING):
            return
        raise ValueError(
            f"a status report of state {state.name} while it is {self._state.name} and no "
            "request that makes it runs"
        )

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

    def _refuse_while_pending(self) -> None:
        if self._state in _PENDING:
            raise self._invalid_state(
                f"is {self._state.name}", "wait until it is Online or Offline, or terminate it"
            )

    def _invalid_state(self, what: str, fix: str) -> InvalidStateError:
        return InvalidStateError(
            Win32Error.ERROR_INVALID_STATE, f"resource {self._name!r} {what}", fix=fix
        )

    def _lost_error(self, lost: _Lost, label: str) -> ClusterError:
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


if TYPE_CHECKING:

    def _both_conform(local: ResourceHost, remote: ProcessHost) -> list[InstanceHost]:
        return [local, remote]  # mypy checks that both hosts have the monitor's interface
