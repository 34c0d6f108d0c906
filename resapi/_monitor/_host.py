"""``ResourceHost``: one resource instance driven with the Resource Monitor's contract.

This is the part of a Resource Monitor that is the same wherever a resource runs: the state
machine of one instance (Offline → OnlinePending → Online → OfflinePending → Offline, and
Failed), PendingTimeout as the longest gap between progress reports, Terminate cancelling the
entry point in flight, the non-reentrancy rule (only Terminate overlaps other entry points),
health checks (LooksAlive False → IsAlive at once; IsAlive False → Failed + Terminate),
SignalFailure verified with IsAlive, and workers. The reference runtime's monitor adds poll
timers and failure policy on top; the test harness adds recording. Everything it observes
goes to a :class:`HostListener` as frozen records.

An Online that raises :class:`~resapi.CannotComeOnline` is reported twice: first a status with
the state the exception names (CANNOT_COME_ONLINE_ON_THIS_NODE or _ON_ANY_NODE, which the
instance never stays in), then Failed as for any error; a failover manager reads the first to
decide where not to try again. The contract: docs/resource-api.md.
"""

from __future__ import annotations

import platform
from typing import TYPE_CHECKING, Final, Literal, Protocol

import anyio

from clusapi._core._clock import current_clock
from clusapi._core._registry_tree import RegistryTree
from clusapi._enums import FailureType, LogLevel, ResourceExitState, ResourceState
from clusapi._errors import ClusterError, InvalidStateError, make_error
from clusapi._properties import PropertyTable
from clusapi._win32 import Win32Error

from .._local import LocalRegistry
from .._records import FailureReport, LogEntry, ResourceStatus
from .._resource import NOT_HANDLED, CannotComeOnline, NotHandled
from ._gate import Gate
from ._watchdog import PendingWatchdog, Watch

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

    from anyio.abc import TaskGroup
    from typing_extensions import TypeVarTuple, Unpack

    from .._resource import Resource

    _Ts = TypeVarTuple("_Ts")

__all__ = (
    "PENDING",
    "HostBase",
    "HostListener",
    "InstanceHost",
    "ResourceHost",
)

#: The host's warning when checkpoint() is called outside a pending Online/Offline.
CHECKPOINT_OUTSIDE_PENDING: Final = "checkpoint() called while"

#: The pending states: an Online or Offline in flight.
PENDING: Final = frozenset({ResourceState.ONLINE_PENDING, ResourceState.OFFLINE_PENDING})


class HostListener(Protocol):
    """Receives what a :class:`ResourceHost` observes (the monitor side of the callbacks)."""

    def on_status(self, status: ResourceStatus) -> None:
        """A state change or a progress report (``SetResourceStatus``)."""

    def on_log(self, entry: LogEntry) -> None:
        """A cluster-log entry, from the resource (``LogEvent``) or from the host about it."""

    def on_failure(self, report: FailureReport) -> None:
        """The resource signalled a failure (``SignalFailure``)."""


class InstanceHost(Protocol):
    """What a Resource Monitor uses of the host of one instance. Both
    :class:`ResourceHost` (in the shared monitor) and :class:`~._process_host.ProcessHost` (a
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

    async def terminated(self) -> None:
        """Return once no Terminate of the instance is running (at once if none is)."""

    async def control(self, code: int, data: bytes) -> bytes | Literal[NotHandled.NOT_HANDLED]: ...

    async def arbitrate(self, lost: Callable[[], None]) -> None: ...

    async def release(self) -> None: ...

    async def close(self) -> None: ...


class HostBase:
    """What both hosts of an instance share (:class:`ResourceHost` in this process,
    ``ProcessHost`` through a monitor process of its own): the resource's name and node, the
    state the monitor tracks, and the checks of that state before a call."""

    _name: str
    _node_name: str
    _state: ResourceState

    @property
    def resource_name(self) -> str:
        return self._name

    @property
    def node_name(self) -> str:
        return self._node_name

    @property
    def state(self) -> ResourceState:
        """The instance's state as the monitor tracks it (a ProcessHost's: as its monitor
        process last reported it)."""
        return self._state

    def _invalid_state(self, what: str, fix: str) -> InvalidStateError:
        """ERROR_INVALID_STATE: the resource ``what`` (e.g. "is closed"), with ``fix``."""
        return InvalidStateError(
            Win32Error.ERROR_INVALID_STATE, f"resource {self._name!r} {what}", fix=fix
        )

    def _refuse_fail(self) -> None:
        """ERROR_RESMON_INVALID_STATE unless the resource can be failed: Online or pending."""
        state = self._state
        if state not in (ResourceState.ONLINE, *PENDING):
            raise InvalidStateError(
                Win32Error.ERROR_RESMON_INVALID_STATE,
                f"resource {self._name!r} is {state.name} and cannot be failed",
                fix="only an Online or pending resource can be failed",
            )

    def _refuse_while_pending(self) -> None:
        """The cluster service rejects Online/Offline while either is pending
        (ERROR_INVALID_STATE) rather than queueing it behind the one in flight."""
        state = self._state
        if state in PENDING:
            raise self._invalid_state(
                f"is {state.name}", "wait until it is Online or Offline, or terminate it"
            )


class _NoProperties(PropertyTable):
    """The table of a factory that declares none."""


class _Worker:
    """A ``CLUS_WORKER``: a task in the host's task group, cancelled with its instance."""

    __slots__ = ("_done", "_scope", "_terminate")

    def __init__(self) -> None:
        self._scope = anyio.CancelScope()
        self._done = anyio.Event()
        self._terminate = False

    @property
    def should_terminate(self) -> bool:
        return self._terminate

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def cancel(self) -> None:
        self._terminate = True
        self._scope.cancel()

    async def terminate(self) -> None:
        self.cancel()
        await self._done.wait()

    async def run(
        self,
        host: ResourceHost,
        function: Callable[[Unpack[_Ts]], Awaitable[object]],
        args: tuple[*_Ts],
    ) -> None:
        try:
            with self._scope:
                await function(*args)
        except Exception as exc:
            if not self._terminate:
                host.worker_failed(function, exc)
        finally:
            self._done.set()


class ResourceHost(HostBase):
    """Hosts one instance of a resource type and calls its entry points by the contract.

    Example::

        async with anyio.create_task_group() as tg:
            host = ResourceHost(EchoServer, "echo", {"Port": 7100}, listener, task_group=tg)
            await host.open()
            assert await host.online() is ResourceState.ONLINE

    Args:
        resource_type: the :class:`~resapi.Resource` subclass (or a factory taking a context).
        name: the resource's name.
        parameters: the stored private properties (property name → value), read again before
            Open and before each Online; the mapping may change between calls.
        listener: receives status reports, log entries and failure reports.
        task_group: where workers and failure checks run; it must outlive the host.
        pending_timeout: seconds; the longest gap between progress reports of a pending
            Online or Offline before the host terminates the resource.
        deadlock_timeout: seconds any entry point may run before it counts as deadlocked
            (DeadlockTimeout): it is cancelled, logged, and the instance written off.
        node_name: the node the instance runs on (default: this machine's name).
        local_registry: the node-local registry (default: a fresh one for this host).
        watchdog: enforces PendingTimeout; a monitor shares one among its hosts (default: one
            of the host's own).
        verify_signalled_failure: if true (the default), a ``signal_failure()`` is verified
            with IsAlive before the resource is failed; if false it fails at once (research
            file resapi.md §10: the documentation says both).
    """

    def __init__(
        self,
        resource_type: Callable[[ResourceHost], Resource],
        name: str,
        parameters: Mapping[str, object],
        listener: HostListener,
        *,
        task_group: TaskGroup,
        pending_timeout: float = 180.0,
        verify_signalled_failure: bool = True,
        watchdog: PendingWatchdog | None = None,
        deadlock_timeout: float = 300.0,
        node_name: str | None = None,
        local_registry: RegistryTree | None = None,
    ) -> None:
        self._factory = resource_type
        self._node_name = node_name if node_name is not None else platform.node()
        self._local = LocalRegistry(
            local_registry if local_registry is not None else RegistryTree()
        )
        self._name = name
        self._parameters = parameters
        self._listener = listener
        self._task_group = task_group
        self.pending_timeout = pending_timeout
        self.deadlock_timeout = deadlock_timeout
        #: Set once an entry point ran past DeadlockTimeout: the instance must be replaced.
        self.deadlocked = False
        self.verify_signalled_failure = verify_signalled_failure
        self._resource: Resource | None = None
        self._state = ResourceState.INITIALIZING
        self._properties: PropertyTable | None = None
        self._now = current_clock()
        self._lock = Gate()
        self._checkpoint = 0
        # The cancel scope of the entry point in flight, so Terminate can cancel it.
        self._call_scope: anyio.CancelScope | None = None
        self._watchdog = (
            watchdog if watchdog is not None else PendingWatchdog(task_group, self._now)
        )
        self._watch: Watch | None = None
        # Bumped by every Terminate; an entry point that finds it changed lost the race and
        # leaves the state as Terminate set it.
        self._epoch = 0
        self._workers: set[_Worker] = set()
        self._closed = False
        # Terminates running now, and the event that tells terminated() they have ended.
        self._terminating = 0
        self._terminate_done: anyio.Event | None = None

    # -- ResourceContext: what the hosted resource sees (names: HostBase) ---------------------

    @property
    def local_registry(self) -> LocalRegistry:
        return self._local

    @property
    def properties(self) -> PropertyTable:
        if self._properties is None:
            self._properties = self._load_properties()
        return self._properties

    def log_event(self, level: LogLevel, message: str) -> None:
        entry = LogEntry(self._name, self.type_name, level, message, self._now())
        self._listener.on_log(entry)

    def report_progress(self) -> ResourceExitState:
        if self._state not in PENDING:
            self.log_event(
                LogLevel.WARNING,
                f"{CHECKPOINT_OUTSIDE_PENDING} {self._state.name}; progress is reported only "
                "while Online or Offline is pending, so it was ignored",
            )
            return ResourceExitState.CONTINUE
        self._checkpoint += 1
        if self._watch is not None:
            self._watchdog.extend(self._watch, self._pending_limit())
        self._emit()
        return ResourceExitState.CONTINUE

    def signal_failure(self, failure_type: FailureType, application_error: int) -> None:
        now = self._now()
        self._listener.on_failure(FailureReport(self._name, failure_type, application_error, now))
        if self._state is ResourceState.ONLINE:
            self._task_group.start_soon(self._handle_signalled_failure, self._epoch)

    def start_worker(
        self, function: Callable[[Unpack[_Ts]], Awaitable[object]], *args: *_Ts
    ) -> _Worker:
        worker = _Worker()
        self._workers.add(worker)
        self._task_group.start_soon(worker.run, self, function, args)
        return worker

    def worker_failed(self, function: object, exc: Exception) -> None:
        name = getattr(function, "__qualname__", repr(function))
        self.log_event(LogLevel.ERROR, f"worker {name} raised {exc!r}")
        self.signal_failure(FailureType.GENERAL, 0)

    # -- what the monitor sees ----------------------------------------------------------------

    @property
    def type_name(self) -> str:
        return getattr(self._factory, "type_name", getattr(self._factory, "__name__", "?"))

    def properties_table(self) -> type[PropertyTable]:
        """The type's private-property table."""
        table: type[PropertyTable] = getattr(self._factory, "Properties", _NoProperties)
        return table

    @property
    def resource(self) -> Resource:
        """The hosted instance (after :meth:`open`)."""
        if self._resource is None:
            raise self._invalid_state("is not open", "call open() first")
        return self._resource

    async def open(self) -> None:
        """Create the instance and call its Open; the resource is Offline afterwards.

        Raises:
            InvalidStateError: if it is already open.
            ClusterError: whatever Open raised (as ``ERROR_RESMON_CREATE_FAILED`` if it was not
                a ClusterError); the instance is then discarded.
        """
        async with self._lock:
            if self._resource is not None or self._closed:
                raise self._invalid_state("is already open", "open it once")
            resource = self._factory(self)
            try:
                await resource.open()
            except Exception as exc:
                self.log_event(LogLevel.ERROR, f"Open raised {exc!r}")
                raise self._as_cluster_error(exc, Win32Error.ERROR_RESMON_CREATE_FAILED) from exc
            self._resource = resource
            self._set_state(ResourceState.OFFLINE)

    async def online(self) -> ResourceState:
        """Bring the resource online; return ONLINE, or FAILED (after Terminate).

        The properties are reloaded first; a missing required property fails the online.

        Raises:
            InvalidStateError: if the resource is not Offline or Failed.
        """
        self._refuse_while_pending()
        async with self._lock:
            resource = self.resource
            if self._state is ResourceState.ONLINE:
                return self._state
            if self._state not in (ResourceState.OFFLINE, ResourceState.FAILED):
                raise self._invalid_state(f"is {self._state.name}", "wait until it settles")
            epoch = self._epoch
            try:
                self._properties = self._load_properties()
            except ClusterError as exc:
                self.log_event(LogLevel.ERROR, f"cannot come online: {exc}")
                self._set_state(ResourceState.FAILED)
                return self._state
            self._checkpoint = 0
            self._set_state(ResourceState.ONLINE_PENDING)
            outcome = await self._run_pending(resource.online, "Online", epoch)
            if epoch != self._epoch:
                return self._state
            if outcome is None:
                self._set_state(ResourceState.ONLINE)
                return self._state
            reason, raised = outcome
            if isinstance(raised, CannotComeOnline):
                # The resource says where trying again cannot help (SetResourceStatusEx with
                # ClusterResourceCannotComeOnlineOn...): report that state, then Failed as for
                # any error, so the failover manager knows before it decides what to do.
                self._listener.on_status(
                    ResourceStatus(self._name, raised.state, self._checkpoint, self._now())
                )
            await self._fail(reason, epoch)
            return self._state

    async def offline(self) -> ResourceState:
        """Take the resource offline; return OFFLINE, or FAILED (after Terminate).

        Offline of a Failed resource just records it as Offline (it was terminated already).
        Workers still running when Offline returns are cancelled.

        Raises:
            InvalidStateError: if the resource is pending.
        """
        self._refuse_while_pending()
        async with self._lock:
            resource = self.resource
            if self._state in (ResourceState.OFFLINE, ResourceState.FAILED):
                self._set_state(ResourceState.OFFLINE)
                return self._state
            if self._state is not ResourceState.ONLINE:
                raise self._invalid_state(f"is {self._state.name}", "wait until it settles")
            epoch = self._epoch
            self._checkpoint = 0
            self._set_state(ResourceState.OFFLINE_PENDING)
            outcome = await self._run_pending(resource.offline, "Offline", epoch)
            if epoch != self._epoch:
                return self._state
            if outcome is None:
                await self._stop_workers()
                self._set_state(ResourceState.OFFLINE)
            else:
                await self._fail(outcome[0], epoch)
            return self._state

    async def terminate(
        self,
        *,
        final_state: Literal[ResourceState.OFFLINE, ResourceState.FAILED] = (ResourceState.OFFLINE),
    ) -> None:
        """Stop the resource now: cancel the entry point in flight, call Terminate, cancel
        the workers. Never raises for the resource's errors (they are logged)."""
        resource = self.resource
        self._epoch += 1
        if self._call_scope is not None:
            self._call_scope.cancel()
        await self._call_terminate(resource)
        self._set_state(final_state)

    async def looks_alive(self) -> bool:
        """Call LooksAlive; an exception or a non-bool result counts as False (and is logged)."""
        return await self._probe("LooksAlive", self.resource.looks_alive)

    async def is_alive(self) -> bool:
        """Call IsAlive; an exception or a non-bool result counts as False (and is logged)."""
        return await self._probe("IsAlive", self.resource.is_alive)

    async def check_health(self, *, thorough: bool) -> bool:
        """One health poll by the rules: LooksAlive (unless ``thorough``), IsAlive when it says
        no or when ``thorough``; IsAlive False fails the resource (Failed + Terminate).

        Returns:
            True if the resource is (still) alive; False if it was failed by this check. An
            instance that is not Online is not polled and reports True.
        """
        if self._state is not ResourceState.ONLINE:
            return True
        epoch = self._epoch
        if not thorough and await self.looks_alive():
            return True
        if epoch != self._epoch or self._state is not ResourceState.ONLINE:
            return True
        if await self.is_alive():
            return True
        if epoch == self._epoch and self._state is ResourceState.ONLINE:
            await self._fail("IsAlive returned False", epoch)
            return False
        return True

    async def arbitrate(self, lost: Callable[[], None]) -> None:
        """Call Arbitrate: gain ownership of the quorum device and defend it (``Arbitrate``).

        ``lost`` is the ``QuorumResourceLost`` callback the resource calls if it loses the
        device later.

        Raises:
            ClusterError: if arbitration is lost or the type cannot arbitrate (the resource's
                own error, or ERROR_RESOURCE_NOT_AVAILABLE wrapping another exception).
        """
        async with self._lock:
            resource = self.resource
            try:
                await resource.arbitrate(lost)
            except Exception as exc:
                self.log_event(LogLevel.ERROR, f"Arbitrate raised {exc!r}")
                raise self._as_cluster_error(exc, Win32Error.ERROR_RESOURCE_NOT_AVAILABLE) from exc

    async def release(self) -> None:
        """Call Release: stop defending the quorum device. Errors are logged, not raised."""
        async with self._lock:
            resource = self.resource
            try:
                await resource.release()
            except Exception as exc:
                self.log_event(LogLevel.ERROR, f"Release raised {exc!r}")

    async def fail(self, reason: str) -> None:
        """Fail an Online resource from outside (``FailClusterResource``): Failed + Terminate.

        Raises:
            InvalidStateError: ERROR_RESMON_INVALID_STATE unless the resource is Online or
                pending.
        """
        self._refuse_fail()
        await self._fail(reason, self._epoch)

    async def control(self, code: int, data: bytes) -> bytes | Literal[NotHandled.NOT_HANDLED]:
        """Pass a control code to the resource (``ResourceControl``).

        Raises:
            ClusterError: what the resource raised (as ERROR_INVALID_FUNCTION if it raised
                something else).
        """
        async with self._lock:
            resource = self.resource
            try:
                with self._scope_for_call() as scope:
                    # Typed as object: user code may return anything, and is checked below.
                    result: object = await resource.control(code, data)
            except ClusterError:
                raise
            except Exception as exc:
                self.log_event(LogLevel.ERROR, f"ResourceControl({code:#010x}) raised {exc!r}")
                raise self._as_cluster_error(exc, Win32Error.ERROR_INVALID_FUNCTION) from exc
            finally:
                self._call_scope = None
            if scope.cancelled_caught or result is NOT_HANDLED:
                return NOT_HANDLED
            if isinstance(result, bytes):
                return result
            self.log_event(
                LogLevel.ERROR,
                f"ResourceControl({code:#010x}) returned {result!r}, not bytes or NOT_HANDLED",
            )
            raise make_error(
                Win32Error.ERROR_INVALID_DATA,
                f"resource {self._name!r} answered control code {code:#010x} with "
                f"{type(result).__name__}",
                fix="return bytes, or resapi.NOT_HANDLED for default processing",
            )

    async def close(self) -> None:
        """Terminate the resource if it is not offline, call Close, and end its workers.

        Idempotent; Close's own errors are logged, not raised.
        """
        if self._closed:
            return
        self._closed = True
        resource = self._resource
        if resource is None:
            return
        if self._state not in (ResourceState.OFFLINE, ResourceState.FAILED):
            await self.terminate()
        async with self._lock:
            try:
                await resource.close()
            except Exception as exc:
                self.log_event(LogLevel.ERROR, f"Close raised {exc!r}")
            await self._stop_workers()

    # -- internals ----------------------------------------------------------------------------

    def _pending_limit(self) -> float:
        # research resapi.md §5.3: the effective limit is min(PendingTimeout, DeadlockTimeout).
        return min(self.pending_timeout, self.deadlock_timeout)

    def _scope_for_call(self) -> anyio.CancelScope:
        scope = anyio.CancelScope()
        self._call_scope = scope
        return scope

    async def _run_pending(
        self, entry: Callable[[], Awaitable[None]], label: str, epoch: int
    ) -> tuple[str, Exception | None] | None:
        """Run Online or Offline; return None on success, else why it failed (and what it
        raised, if it raised)."""
        scope = self._scope_for_call()
        self._watch = watch = self._watchdog.watch(scope, self._pending_limit())
        try:
            with scope:
                await entry()
        except Exception as exc:
            return f"{label} raised {exc!r}", exc
        finally:
            watch.armed = False
            self._call_scope = None
            self._watch = None
        if epoch != self._epoch:
            return f"{label} was cancelled by Terminate", None
        if watch.expired:
            return (
                f"{label} made no progress report for {self._pending_limit():g} s "
                "(PendingTimeout); call self.checkpoint() while it runs"
            ), None
        return None

    async def _probe(self, label: str, entry: Callable[[], Awaitable[object]]) -> bool:
        async with self._lock:
            scope = self._scope_for_call()
            watch = self._watchdog.watch(scope, self.deadlock_timeout)
            try:
                with scope:
                    result = await entry()
            except Exception as exc:
                self.log_event(LogLevel.ERROR, f"{label} raised {exc!r}; counted as not alive")
                return False
            finally:
                watch.armed = False
                self._call_scope = None
            if watch.expired:
                self._deadlocked(label)
                return False
            if scope.cancelled_caught:
                return False  # Terminate cut it short; the state already says what happened
            if not isinstance(result, bool):
                self.log_event(
                    LogLevel.ERROR,
                    f"{label} returned {result!r}, not a bool; counted as not alive",
                )
                return False
            return result

    async def _fail(self, reason: str, epoch: int) -> None:
        """Failed, then Terminate (the order the Resource Monitor uses)."""
        if epoch != self._epoch:
            return
        self.log_event(LogLevel.ERROR, f"failed: {reason}")
        self._set_state(ResourceState.FAILED)
        self._epoch += 1
        if self._call_scope is not None:
            self._call_scope.cancel()
        await self._call_terminate(self.resource)

    async def _call_terminate(self, resource: Resource) -> None:
        # Terminate may overlap anything, so it runs in its own scope, bounded by
        # DeadlockTimeout like every entry point: a Terminate that hangs is abandoned.
        self._terminating += 1
        try:
            scope = anyio.CancelScope()
            watch = self._watchdog.watch(scope, self.deadlock_timeout)
            try:
                with scope:
                    await resource.terminate()
            except Exception as exc:
                self.log_event(LogLevel.ERROR, f"Terminate raised {exc!r}; it must not raise")
            finally:
                watch.armed = False
            if watch.expired:
                self._deadlocked("Terminate")
            await self._stop_workers()
        finally:
            self._terminating -= 1
            if not self._terminating and self._terminate_done is not None:
                self._terminate_done.set()
                self._terminate_done = None

    async def terminated(self) -> None:
        """Return once no Terminate of the instance is running (at once if none is).

        A failure is reported (Failed) before its Terminate runs, as the Resource Monitor
        does; whoever acts on the failure (a restart, a failover) waits here first, so the
        next Online never overlaps the failed instance's Terminate (a port still open).
        """
        if self._terminating:
            if self._terminate_done is None:
                self._terminate_done = anyio.Event()
            await self._terminate_done.wait()

    def _deadlocked(self, label: str) -> None:
        """An entry point ran past DeadlockTimeout: the instance is written off (its monitor
        recycles it: the next Open or Online gets a fresh instance)."""
        self.deadlocked = True
        self.log_event(
            LogLevel.ERROR,
            f"deadlock: {label} of resource {self._name!r} did not return within "
            f"{self.deadlock_timeout:g} s (DeadlockTimeout); its monitor recycles it",
        )

    async def _stop_workers(self) -> None:
        workers, self._workers = self._workers, set()
        for worker in workers:
            worker.cancel()
        for worker in workers:
            await worker.terminate()

    async def _handle_signalled_failure(self, epoch: int) -> None:
        if epoch != self._epoch or self._state is not ResourceState.ONLINE:
            return
        if self.verify_signalled_failure:
            await self.check_health(thorough=True)
        else:
            await self._fail("the resource signalled a failure", epoch)

    def _load_properties(self) -> PropertyTable:
        return self.properties_table().load(self._parameters)

    def _set_state(self, state: ResourceState) -> None:
        self._state = state
        self._emit()

    def _emit(self) -> None:
        status = ResourceStatus(self._name, self._state, self._checkpoint, self._now())
        self._listener.on_status(status)

    def _as_cluster_error(self, exc: Exception, code: Win32Error) -> ClusterError:
        if isinstance(exc, ClusterError):
            return exc
        return make_error(code, f"resource {self._name!r} raised {exc!r}")


if TYPE_CHECKING:
    from ._process_host import ProcessHost

    def _both_conform(local: ResourceHost, remote: ProcessHost) -> list[InstanceHost]:
        return [local, remote]  # mypy checks that both hosts have the monitor's interface
