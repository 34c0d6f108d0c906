"""``resapi.Resource``: the base class of a resource type, mirroring a resource DLL.

A resource DLL exports entry points (Open, Online, Offline, ...) that the Resource Monitor calls,
and receives callbacks (SetResourceStatus, LogEvent, SignalFailure) from it. Here the entry
points are ``async`` methods of a :class:`Resource` subclass, and the callbacks reach the
instance through a :class:`ResourceContext` that the monitor hosting it provides.
"""

from __future__ import annotations

import abc
import enum
import logging
import tempfile
from typing import TYPE_CHECKING, ClassVar, Final, Generic, Literal, Protocol, cast, overload

from typing_extensions import TypeVar

from clusapi._enums import (
    Characteristics,
    FailureType,
    LogLevel,
    ResourceClass,
    ResourceExitState,
    ResourceFlags,
    ResourceState,
)
from clusapi._errors import NotSupportedError, ResourceFailedError
from clusapi._properties import PropertyTable
from clusapi._win32 import Win32Error

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from typing_extensions import TypeVarTuple, Unpack

    from ._local import LocalRegistry

    _Ts = TypeVarTuple("_Ts")

__all__ = (
    "NODE_ENVIRONMENT_KEY",
    "NOT_HANDLED",
    "CannotComeOnline",
    "CannotComeOnlineOnAnyNode",
    "CannotComeOnlineOnThisNode",
    "NotHandled",
    "Resource",
    "ResourceContext",
    "ResourceLog",
    "Worker",
)


class NotHandled(enum.Enum):
    """The type of :data:`NOT_HANDLED`."""

    NOT_HANDLED = "NOT_HANDLED"


#: What :meth:`Resource.control` returns for a code it does not handle, so that the Resource
#: Monitor does its default processing (a DLL's ``ERROR_INVALID_FUNCTION``).
NOT_HANDLED: Final = NotHandled.NOT_HANDLED

#: Where a node keeps its system environment in its local registry (as Windows does under
#: HKEY_LOCAL_MACHINE); ``TEMP`` there is the node's directory for temporary files.
NODE_ENVIRONMENT_KEY: Final = "SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Environment"


class CannotComeOnline(ResourceFailedError):
    """Raised by :meth:`Resource.online` when trying again cannot help: the base of
    :class:`CannotComeOnlineOnThisNode` and :class:`CannotComeOnlineOnAnyNode`.

    Mirrors a resource DLL reporting the resource state
    ``ClusterResourceCannotComeOnlineOnThisNode`` (127) or ``...OnAnyNode`` (126) (resapi.h).
    The monitor reports that state, then fails the resource as for any other error (Failed,
    then Terminate); the failover manager reads it to decide where *not* to try again::

        async def online(self) -> None:
            if not shutil.which("drbdadm"):
                raise resapi.CannotComeOnlineOnThisNode(
                    f"drbdadm is not installed on {self.node_name}",
                    fix="apt-get install drbd-utils",
                )

    It takes a message (its code is then the class's ``default_winerror``), a Win32 code and
    a message as any :class:`~clusapi.ClusterError` does, or nothing (a generic message).

    Raised from any other entry point, it is an ordinary error.
    """

    #: The resource state the monitor reports for it.
    state: ClassVar[ResourceState]
    #: The message when none is given.
    default_message: ClassVar[str]

    @overload
    def __init__(self, message: str = ..., /, *, fix: str | None = None) -> None: ...
    @overload
    def __init__(
        self, winerror: Win32Error | int, message: str = ..., /, *, fix: str | None = None
    ) -> None: ...
    def __init__(self, *args: Win32Error | int | str, fix: str | None = None) -> None:
        # A resource author writes raise X("why") as with any exception; the base class's
        # (winerror, message) form stays for ported DLL code and for the monitor channel.
        if not hasattr(type(self), "state"):
            raise TypeError(
                f"{type(self).__name__} does not say where the resource cannot come online; "
                "raise CannotComeOnlineOnThisNode or CannotComeOnlineOnAnyNode"
            )
        winerror: Win32Error | int = self.default_winerror
        message = self.default_message
        match args:
            case ():
                pass
            case (str() as message,):
                pass
            case (int() as winerror,):
                pass
            case (int() as winerror, str() as message):
                pass
            case _:
                raise TypeError(
                    f"{type(self).__name__} takes a message, a Win32 code and a message, or "
                    f"nothing, not {args!r}"
                )
        super().__init__(winerror, message, fix=fix)


class CannotComeOnlineOnThisNode(CannotComeOnline):
    """The resource cannot come online on this node (it lacks something: a program, a device),
    but may on another (mirrors ``ClusterResourceCannotComeOnlineOnThisNode``).

    The reference runtime does not restart it here; it fails the group over to another node
    and treats this node as removed from the resource's possible owners for automatic
    placement, until an administrator brings the resource (or its group) online or moves the
    group. An OCF agent's ``start`` exiting with ``OCF_ERR_INSTALLED`` raises this.
    """

    default_winerror = Win32Error.ERROR_NODE_CANT_HOST_RESOURCE
    default_message = "the resource cannot come online on this node"
    state = ResourceState.CANNOT_COME_ONLINE_ON_THIS_NODE


class CannotComeOnlineOnAnyNode(CannotComeOnline):
    """The resource cannot come online anywhere (its configuration is wrong), so restarting or
    failing it over is pointless (mirrors ``ClusterResourceCannotComeOnlineOnAnyNode``).

    The reference runtime leaves it Failed: no restart, no failover, no retry after
    RetryPeriodOnFailure, until an administrator brings it (or its group) online again. An OCF
    agent's ``start`` exiting with ``OCF_ERR_CONFIGURED`` raises this.
    """

    default_winerror = Win32Error.ERROR_RESOURCE_FAILED
    default_message = "the resource cannot come online on any node"
    state = ResourceState.CANNOT_COME_ONLINE_ON_ANY_NODE


class Worker(Protocol):
    """A background task of a resource instance (mirrors ``CLUS_WORKER``).

    Started with :meth:`Resource.start_worker`; the monitor cancels it when the resource is
    terminated or closed.
    """

    @property
    def should_terminate(self) -> bool:
        """True once termination was asked for (mirrors ``ClusWorkerCheckTerminate``)."""
        ...

    @property
    def done(self) -> bool:
        """True once the worker's function has returned, raised or been cancelled."""
        ...

    async def terminate(self) -> None:
        """Cancel the worker and wait until it has ended (mirrors ``ClusWorkerTerminate``)."""
        ...


class ResourceContext(Protocol):
    """What a Resource Monitor provides to each resource instance it hosts.

    The reference runtime, the test harness (:mod:`resapi.testing`) and the OCF bridge each
    implement it; a resource reaches it only through the methods of :class:`Resource`.
    """

    @property
    def resource_name(self) -> str: ...

    @property
    def node_name(self) -> str:
        """The node the instance runs on."""
        ...

    @property
    def local_registry(self) -> LocalRegistry:
        """The node-local registry (checkpointed subtrees follow the resource)."""
        ...

    @property
    def properties(self) -> PropertyTable:
        """The private properties, loaded before Open and again before each Online."""
        ...

    def log_event(self, level: LogLevel, message: str) -> None:
        """Write to the cluster log (mirrors ``LogEvent``)."""
        ...

    def report_progress(self) -> ResourceExitState:
        """Report progress of a pending Online/Offline (mirrors ``SetResourceStatus``)."""
        ...

    def signal_failure(self, failure_type: FailureType, application_error: int) -> None:
        """Report a failure detected outside the polls (mirrors ``SignalFailure``)."""
        ...

    def start_worker(
        self, function: Callable[[Unpack[_Ts]], Awaitable[object]], *args: *_Ts
    ) -> Worker:
        """Run ``function(*args)`` in the background (mirrors ``ClusWorkerCreate``)."""
        ...


#: The stdlib logging level of each cluster-log level (the reference runtime's mirror uses it).
LOGGING_LEVELS: Final = {
    LogLevel.INFORMATION: logging.INFO,
    LogLevel.WARNING: logging.WARNING,
    LogLevel.ERROR: logging.ERROR,
    LogLevel.SEVERE: logging.CRITICAL,
}


class ResourceLog:
    """``self.log`` of a resource: the cluster log with the MSCS levels (mirrors ``LogEvent``).

    Each entry goes to the cluster log of the monitor and to the stdlib logger
    ``resapi.resource.<type name>`` (with ``resource``, ``resource_type`` and ``node`` in the
    record's ``extra``), so ``caplog`` and logging configuration see it too::

        self.log.info("listening on port %d", self.properties.port)
        self.log(resapi.LogLevel.SEVERE, "disk lost")
    """

    __slots__ = ("_context", "_logger", "_type_name")

    def __init__(self, context: ResourceContext, type_name: str) -> None:
        self._context = context
        self._type_name = type_name
        self._logger = logging.getLogger(f"resapi.resource.{type_name}")

    def __call__(self, level: LogLevel, message: str, *args: object) -> None:
        text = message % args if args else message
        self._context.log_event(level, text)
        extra = {
            "resource": self._context.resource_name,
            "resource_type": self._type_name,
            "node": self._context.node_name,
        }
        self._logger.log(
            LOGGING_LEVELS[level],
            "%s: %s",
            self._context.resource_name,
            text,
            stacklevel=3,
            extra=extra,
        )

    def info(self, message: str, *args: object) -> None:
        """Log at ``LOG_INFORMATION``."""
        self(LogLevel.INFORMATION, message, *args)

    def warning(self, message: str, *args: object) -> None:
        """Log at ``LOG_WARNING``: a possible failure."""
        self(LogLevel.WARNING, message, *args)

    def error(self, message: str, *args: object) -> None:
        """Log at ``LOG_ERROR``: one component failed."""
        self(LogLevel.ERROR, message, *args)

    def severe(self, message: str, *args: object) -> None:
        """Log at ``LOG_SEVERE``: several components, or the system's integrity, are at risk."""
        self(LogLevel.SEVERE, message, *args)


class _EmptyProperties(PropertyTable):
    """The table of a resource type that declares no private properties."""


#: The property table type a resource is parametrised with (``Resource[MyProperties]``).
#: Covariant: a Resource[EchoProperties] is usable wherever a Resource is expected.
P = TypeVar("P", bound=PropertyTable, default=PropertyTable, covariant=True)


class Resource(abc.ABC, Generic[P]):
    """Base class of a resource type: one instance per resource, hosted by a Resource Monitor.

    Mirrors a resource DLL. Implement the five required entry points; the others have the
    documented defaults. Each instance gets its name, its private properties and the monitor's
    callbacks from the monitor, never from user code. Parametrise it with the property table
    (``Resource[EchoProperties]``) to give ``self.properties`` its static type::

        class EchoServer(resapi.Resource):
            type_name = "Echo Server"

            class Properties(resapi.PropertyTable):
                port: int = resapi.prop(default=7007, minimum=1, maximum=65535)

            async def online(self) -> None: ...     # return: Online; raise: Failed
            async def offline(self) -> None: ...
            async def terminate(self) -> None: ...
            async def looks_alive(self) -> bool: ...
            async def is_alive(self) -> bool: ...

    Entry points of one instance never overlap, except :meth:`terminate`, which may be called
    while another is running (the monitor then cancels that one first). An Online or Offline
    that keeps running is *pending*; call :meth:`checkpoint` at least every ``PendingTimeout``
    to show progress, or the monitor terminates the resource.
    """

    #: The resource type name (``CreateClusterResourceType``'s ``lpszTypeName``).
    type_name: ClassVar[str]
    #: The private-property table; replace it with a nested ``class Properties``.
    Properties: ClassVar[type[PropertyTable]] = _EmptyProperties
    #: Default ``LooksAlivePollInterval`` of the type, in milliseconds.
    looks_alive_poll_interval: ClassVar[int] = 5000
    #: Default ``IsAlivePollInterval`` of the type, in milliseconds.
    is_alive_poll_interval: ClassVar[int] = 60000
    #: Default ``PendingTimeout`` of the type, in milliseconds.
    pending_timeout: ClassVar[int] = 180000
    #: Default ``DeadlockTimeout`` of the type, in milliseconds.
    deadlock_timeout: ClassVar[int] = 300000
    #: ``CLUS_CHAR_*`` of the type; QUORUM is added when arbitrate and release are implemented.
    characteristics: ClassVar[Characteristics] = Characteristics.UNKNOWN
    #: ``CLUS_FLAG_*`` of the type.
    flags: ClassVar[ResourceFlags] = ResourceFlags(0)
    #: ``CLUS_RESOURCE_CLASS_INFO.rc`` of the type.
    resource_class: ClassVar[ResourceClass] = ResourceClass.UNKNOWN
    #: Resource types this type requires a dependency on (``GET_REQUIRED_DEPENDENCIES``).
    required_dependencies: ClassVar[tuple[str, ...]] = ()

    __slots__ = ("__weakref__", "_context", "_log")

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if "type_name" not in cls.__dict__:
            # A subclass without its own name would silently share its parent's.
            cls.type_name = cls.__name__

    def __init__(self, context: ResourceContext) -> None:
        """Called by the monitor (or a test harness), with the context it provides."""
        self._context = context
        self._log: ResourceLog | None = None  # made on first use: most instances never log

    # -- what the monitor provides ------------------------------------------------------------

    @property
    def name(self) -> str:
        """The resource's name in the cluster."""
        return self._context.resource_name

    @property
    def node_name(self) -> str:
        """The node this instance runs on (what ``GetComputerName`` tells a resource DLL)."""
        return self._context.node_name

    @property
    def local_registry(self) -> LocalRegistry:
        """The registry of the node it runs on; subtrees named as the resource's registry
        checkpoints are captured while it is online and restored wherever it comes online
        next (``ClusterResourceControl(CLUSCTL_RESOURCE_ADD_REGISTRY_CHECKPOINT)``)."""
        return self._context.local_registry

    @property
    def properties(self) -> P:
        """The private properties, as loaded for the current Open or Online.

        For static typing, declare the table at module level and parametrise the base class
        with it: ``class EchoServer(resapi.Resource[EchoProperties])`` with
        ``Properties = EchoProperties``; ``self.properties.port`` is then an ``int`` to mypy.
        """
        return cast("P", self._context.properties)

    @property
    def temp_directory(self) -> str:
        """The node's directory for temporary files: ``TEMP`` of its system environment.

        Read from the node's local registry, where Windows keeps it (``TEMP`` under
        ``SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Environment``); where that
        says nothing, :func:`tempfile.gettempdir`. The reference runtime gives
        each simulated node a directory of its own, removed when the cluster closes, so files
        kept there (pid files, state files) are never seen by another simulated node or by
        another test's cluster, although all of them share one machine.
        """
        value = self._context.local_registry.get(NODE_ENVIRONMENT_KEY, "TEMP")
        return value if isinstance(value, str) and value else tempfile.gettempdir()

    @property
    def log(self) -> ResourceLog:
        """The cluster log (mirrors ``LogEvent``)."""
        if self._log is None:
            self._log = ResourceLog(self._context, self.type_name)
        return self._log

    def checkpoint(self) -> ResourceExitState:
        """Report progress while Online or Offline is pending (``SetResourceStatus``).

        Each call raises the CheckPoint by one and restarts the ``PendingTimeout`` clock. The
        result is ``TERMINATE`` if the monitor has decided to terminate the resource; the
        running coroutine is then cancelled anyway, so checking it is optional.
        """
        return self._context.report_progress()

    def signal_failure(
        self, failure_type: FailureType = FailureType.GENERAL, application_error: int = 0
    ) -> None:
        """Report a failure now, without waiting for the next poll (``SignalFailure``)."""
        self._context.signal_failure(failure_type, application_error)

    def start_worker(
        self, function: Callable[[Unpack[_Ts]], Awaitable[object]], *args: *_Ts
    ) -> Worker:
        """Run ``function(*args)`` in the background for this instance (``ClusWorkerCreate``).

        The worker is cancelled when the resource is terminated or closed. If it raises, the
        error is logged and reported as a failure of the resource.
        """
        return self._context.start_worker(function, *args)

    # -- entry points -------------------------------------------------------------------------

    async def open(self) -> None:
        """Prepare the instance; the resource is Offline afterwards (mirrors ``Open``).

        Default: nothing. Raise to make the resource unusable (the open fails).
        """

    async def close(self) -> None:
        """Free the instance (mirrors ``Close``). Default: nothing.

        The monitor terminates a resource that is not offline before it calls this.
        """

    @abc.abstractmethod
    async def online(self) -> None:
        """Bring the resource online (mirrors ``Online``).

        Return when it is online; raise to fail (the monitor then calls :meth:`terminate`).
        Long work is fine: the resource is OnlinePending meanwhile; call :meth:`checkpoint`.
        Raise :class:`CannotComeOnlineOnThisNode` or :class:`CannotComeOnlineOnAnyNode` when
        trying again here, or anywhere, cannot help: the failure policy then skips the restart.
        """

    @abc.abstractmethod
    async def offline(self) -> None:
        """Take the resource offline gracefully, saving state (mirrors ``Offline``)."""

    @abc.abstractmethod
    async def terminate(self) -> None:
        """Stop the resource at once, without cleanup (mirrors ``Terminate``). Must not raise."""

    @abc.abstractmethod
    async def looks_alive(self) -> bool:
        """A cheap check, every ``LooksAlivePollInterval`` (mirrors ``LooksAlive``).

        Return within 300 ms. ``False`` makes the monitor call :meth:`is_alive` at once.
        """

    @abc.abstractmethod
    async def is_alive(self) -> bool:
        """A thorough check, every ``IsAlivePollInterval`` (mirrors ``IsAlive``).

        Return within 300 ms (ideally 50). ``False`` fails the resource.
        """

    async def arbitrate(self, lost: Callable[[], None]) -> None:
        """Gain and then defend ownership of the quorum device (mirrors ``Arbitrate``).

        Only quorum-capable types implement this and :meth:`release`. Call ``lost()`` if
        ownership is lost later (``QuorumResourceLost``). Raise if arbitration is lost.

        Raises:
            NotSupportedError: by default (ERROR_INVALID_FUNCTION): the type is not
                quorum-capable.
        """
        raise NotSupportedError(
            Win32Error.ERROR_INVALID_FUNCTION,
            f"resource type {self.type_name!r} does not implement arbitrate",
            fix="implement arbitrate() and release() to make the type quorum-capable",
        )

    async def release(self) -> None:
        """Stop defending the quorum device (mirrors ``Release``).

        Raises:
            NotSupportedError: by default, as for :meth:`arbitrate`.
        """
        raise NotSupportedError(
            Win32Error.ERROR_INVALID_FUNCTION,
            f"resource type {self.type_name!r} does not implement release",
            fix="implement arbitrate() and release() to make the type quorum-capable",
        )

    async def control(self, code: int, data: bytes) -> bytes | Literal[NotHandled.NOT_HANDLED]:
        """Handle a control code sent to this resource (mirrors ``ResourceControl``).

        Return the output buffer, or :data:`NOT_HANDLED` to let the monitor do its default
        processing (the default for every code). Raise :class:`clusapi.ClusterError` to fail.
        """
        return NOT_HANDLED

    @classmethod
    async def type_control(cls, code: int, data: bytes) -> bytes | Literal[NotHandled.NOT_HANDLED]:
        """Handle a control code sent to the resource type (mirrors ``ResourceTypeControl``)."""
        return NOT_HANDLED

    @classmethod
    def is_quorum_capable(cls) -> bool:
        """True if the type implements both :meth:`arbitrate` and :meth:`release`."""
        return cls.arbitrate is not Resource.arbitrate and cls.release is not Resource.release

    @classmethod
    def type_characteristics(cls) -> Characteristics:
        """The characteristics the monitor reports by default (``GET_CHARACTERISTICS``)."""
        chars = cls.characteristics
        if cls.is_quorum_capable():
            return chars | Characteristics.QUORUM
        return chars & ~Characteristics.QUORUM

    def __repr__(self) -> str:
        return f"<{type(self).__qualname__} resource {self.name!r} of type {self.type_name!r}>"
