"""Generic Application: a cluster-unaware program made highly available without a resource
DLL. :class:`GenericApplication` runs a command line as a child process; the resource fails
when the process goes away. An ordinary :class:`~resapi.Resource` subclass, so a monitor hosts
it, and :func:`resapi.testing.check_resource` checks it, like any other type. See
docs/resource-api.md ("Generic types").
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
from typing import TYPE_CHECKING, Final, final

import anyio

from clusapi._errors import ClusterError, InvalidParameterError, make_error
from clusapi._properties import PropertyTable, prop
from clusapi._win32 import Win32Error

from .._resource import Resource

if TYPE_CHECKING:
    from anyio.abc import ByteReceiveStream, Process

    from .._resource import ResourceContext, Worker

__all__ = ("GenericApplication", "os_error", "path_error")

# While Offline waits for the process to exit it reports progress this often (seconds), so a
# GracefulStopTimeout longer than the resource's PendingTimeout does not get it terminated.
_PROGRESS_INTERVAL: Final = 1.0

# How long Offline waits, after the exit, for the last output to reach the log (seconds).
_DRAIN_GRACE: Final = 0.5

# Output of the child is relayed to the cluster log one line per entry; a "line" longer than
# this (bytes) is logged in pieces, so a child writing without newlines cannot exhaust memory.
_MAX_LINE_BYTES: Final = 4096


def path_error(resource: str, name: str, value: str, what: str, kind: str) -> InvalidParameterError:
    """The error for a path-valued property that cannot be used (``kind``: what it must name)."""
    return InvalidParameterError(
        Win32Error.ERROR_INVALID_PARAMETER,
        f"property {name!r} of resource {resource!r} is {value!r}, {what}",
        fix=f"set {name} to the absolute path of an existing {kind}",
    )


def os_error(exc: OSError, message: str, fix: str) -> ClusterError:
    """Map an OSError from the operating system to the Win32 code Windows would report."""
    if isinstance(exc, FileNotFoundError):
        code = Win32Error.ERROR_FILE_NOT_FOUND
    elif isinstance(exc, PermissionError):
        code = Win32Error.ERROR_ACCESS_DENIED
    else:
        code = Win32Error.ERROR_INVALID_FUNCTION
    return make_error(code, f"{message}: {exc.strerror or exc}", fix=fix)


def _describe_exit(returncode: int) -> tuple[str, int]:
    """How a process ended, in words, and the code to report with ``SignalFailure``.

    A POSIX process killed by a signal has a negative return code; it is reported as
    128 + the signal number, the shell's convention, since ``ApplicationSpecificErrorCode``
    is a DWORD.
    """
    if returncode >= 0:
        return f"exited with code {returncode}", returncode
    number = -returncode
    try:
        name = signal.Signals(number).name
    except ValueError:
        name = f"signal {number}"
    return f"was killed by {name} ({number})", 128 + number


@final
class GenericApplication(Resource["GenericApplication.Properties"]):
    """A cluster-unaware program run as a child process (the "Generic Application" type).

    Mirrors the Generic Application resource type of MSCS: Online starts ``CommandLine`` in
    ``CurrentDirectory``; the resource has failed when the process is gone; Offline ends the
    process, Terminate kills it. Example::

        async with resapi.testing.run_resource(
            resapi.GenericApplication,
            properties={"CommandLine": "/usr/bin/redis-server --port 7000",
                        "CurrentDirectory": "/srv/redis"},
        ) as h:
            assert await h.online() is resapi.ResourceState.ONLINE

    Behaviour of the entry points:

    - **online**: checks ``CurrentDirectory`` (absolute, an existing directory) and splits
      ``CommandLine`` with POSIX shell rules (:func:`shlex.split`; no shell runs, so pipes,
      redirections and ``$VARS`` are not interpreted: use ``sh -c '...'`` for those; on
      Windows too, so put paths with backslashes in single quotes). Starts
      the process with stdin from ``/dev/null``; every line it writes to stdout or stderr is
      relayed to the cluster log at ``LOG_INFORMATION``. A worker waits for the process: if
      it exits while no Offline or Terminate is in progress, the exit is logged and reported
      with :meth:`~resapi.Resource.signal_failure` (``ApplicationSpecificErrorCode`` = the
      exit code, or 128 + the signal number), so the monitor verifies with IsAlive and fails
      the resource.
    - **looks_alive** / **is_alive**: the process exists and has not exited.
    - **offline**: SIGTERM (``TerminateProcess`` on Windows), then waits up to
      ``GracefulStopTimeout`` ms, then SIGKILL; reports progress every second meanwhile.
    - **terminate**: SIGKILL at once, and reaps the process.
    - **close**: nothing of its own (the monitor terminates a resource that is not offline).

    Only the process itself is signalled, not processes it started, as MSCS ends only the
    process it created. ``UseNetworkName`` is accepted but has no effect yet: the monitor
    context offers no way to find the Network Name this resource depends on, so online logs
    a warning when it is set.

    .. versionadded:: 0.1.0
    """

    class Properties(PropertyTable):
        """The private properties of a Generic Application (registry names as in MSCS)."""

        command_line: str = prop(
            required=True,
            description="the program and its arguments, split with POSIX shell rules",
        )
        current_directory: str = prop(
            required=True,
            description="absolute path of the directory the program starts in",
        )
        use_network_name: bool = prop(
            default=False,
            description="make the Network Name the computer name of the program (no effect yet)",
        )
        # Not an MSCS property: Windows kills the process outright. A POSIX program usually
        # shuts down cleanly on SIGTERM, which is what "offline = graceful" should mean here.
        graceful_stop_timeout: int = prop(
            default=10000,
            minimum=0,
            description="milliseconds Offline waits after SIGTERM before it kills the process",
        )

    type_name = "Generic Application"

    __slots__ = ("_drained", "_process", "_stopping", "_supervisor")

    def __init__(self, context: ResourceContext) -> None:
        super().__init__(context)
        self._process: Process | None = None
        self._supervisor: Worker | None = None
        # Set by the supervisor once the relays have logged all the output.
        self._drained: anyio.Event | None = None
        # Set before Offline or Terminate signal the process, so the exit they cause is not
        # reported as a failure.
        self._stopping = False

    @property
    def pid(self) -> int | None:
        """The process ID of the running program, or ``None`` when none is running."""
        return self._process.pid if self._process is not None else None

    async def online(self) -> None:
        """Start the program (mirrors ``Online`` of the Generic Application DLL).

        Raises:
            InvalidParameterError: ERROR_INVALID_PARAMETER if ``CurrentDirectory`` is not an
                absolute path of an existing directory, or ``CommandLine`` is empty or cannot
                be split (an unclosed quote); the message names the property.
            ClusterError: ERROR_FILE_NOT_FOUND (as :class:`clusapi.RegistryEntryNotFoundError`,
                the class that code maps to) if the program does not exist,
                ERROR_ACCESS_DENIED if it cannot be executed, ERROR_INVALID_FUNCTION for
                other operating-system errors.
        """
        props = self.properties
        directory = props.current_directory
        # Relative to what? The monitor's own working directory is nobody's choice.
        if not os.path.isabs(directory):
            raise path_error(
                self.name, "CurrentDirectory", directory, "not an absolute path", "directory"
            )
        if not await anyio.Path(directory).is_dir():
            raise path_error(
                self.name,
                "CurrentDirectory",
                directory,
                "which is not an existing directory",
                "directory",
            )
        argv = self._split(props.command_line)
        if props.use_network_name:
            self.log.warning(
                "UseNetworkName is set, but this monitor cannot look up the Network Name the "
                "resource depends on; the program sees the node's own computer name"
            )
        if self._process is not None:
            # Left over from an earlier run the monitor did not terminate; never run two.
            await self.terminate()
        try:
            process = await anyio.open_process(
                argv,
                cwd=directory,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        except OSError as exc:
            raise os_error(
                exc,
                f"resource {self.name!r} cannot start {argv[0]!r} in {directory!r}",
                "check the program named first in CommandLine: it must exist and be executable",
            ) from exc
        self._stopping = False
        self._process = process
        self._drained = anyio.Event()
        self._supervisor = self.start_worker(self._supervise, process, self._drained)
        self.log.info("started process %d: %s", process.pid, shlex.join(argv))

    def _split(self, command_line: str) -> list[str]:
        try:
            argv = shlex.split(command_line)
        except ValueError as exc:  # "No closing quotation", "No escaped character"
            raise InvalidParameterError(
                Win32Error.ERROR_INVALID_PARAMETER,
                f"property 'CommandLine' of resource {self.name!r} is {command_line!r}, "
                f"which cannot be split into arguments ({exc})",
                fix="close the quotes in CommandLine, or escape the quote character",
            ) from exc
        if not argv:
            raise InvalidParameterError(
                Win32Error.ERROR_INVALID_PARAMETER,
                f"property 'CommandLine' of resource {self.name!r} is {command_line!r}, "
                "which names no program",
                fix="set CommandLine to the program to run and its arguments",
            )
        return argv

    async def _supervise(self, process: Process, drained: anyio.Event) -> None:
        """The worker: relay the output, wait for the exit, report an unexpected one."""
        try:
            await self._supervise_until_drained(process)
        finally:
            drained.set()

    async def _supervise_until_drained(self, process: Process) -> None:
        async with anyio.create_task_group() as tg:
            if process.stdout is not None:
                tg.start_soon(self._relay, process.stdout, "stdout")
            if process.stderr is not None:
                tg.start_soon(self._relay, process.stderr, "stderr")
            returncode = await process.wait()
            if self._stopping or process is not self._process:
                return
            how, code = _describe_exit(returncode)
            self.log.error("process %d %s; the resource has failed", process.pid, how)
            self.signal_failure(application_error=code)
            # The relays end by themselves at end of file, once the last output is logged
            # (or when Terminate cancels this worker, if a grandchild keeps the pipes open).

    async def _relay(self, stream: ByteReceiveStream, label: str) -> None:
        pending = b""
        try:
            while True:
                pending += await stream.receive()
                *lines, pending = pending.split(b"\n")
                if len(pending) > _MAX_LINE_BYTES:
                    lines.append(pending)
                    pending = b""
                for line in lines:
                    self._log_output(label, line)
        except (anyio.EndOfStream, anyio.ClosedResourceError, anyio.BrokenResourceError, OSError):
            pass  # the process closed its end, or Terminate closed ours
        if pending:
            self._log_output(label, pending)

    def _log_output(self, label: str, line: bytes) -> None:
        # Programs write in any encoding; a wrong byte must not kill the relay (a worker that
        # raises fails the resource).
        self.log.info("%s: %s", label, line.decode(errors="replace").rstrip("\r"))

    async def offline(self) -> None:
        """Stop the program gracefully (mirrors ``Offline``).

        Sends SIGTERM, waits up to ``GracefulStopTimeout`` milliseconds for the process to
        exit (reporting progress every second), then kills it. Works with a program that
        ignores SIGTERM. Raises nothing of its own.
        """
        process = self._process
        if process is None:
            return
        self._stopping = True
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):  # it exited just now
                process.terminate()
            timeout_ms = self.properties.graceful_stop_timeout
            with anyio.move_on_after(timeout_ms / 1000):
                while True:
                    with anyio.move_on_after(_PROGRESS_INTERVAL):
                        await process.wait()
                        break
                    self.checkpoint()
            if process.returncode is None:
                self.log.warning(
                    "process %d did not exit within %d ms of SIGTERM (GracefulStopTimeout); "
                    "killing it",
                    process.pid,
                    timeout_ms,
                )
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
        returncode = await process.wait()
        self.log.info("process %d %s", process.pid, _describe_exit(returncode)[0])
        if self._drained is not None:
            # Let the relays log what the program wrote while it stopped: end of file comes
            # right after the exit, unless a process it started holds the pipes open.
            with anyio.move_on_after(_DRAIN_GRACE):
                await self._drained.wait()
        await self._release(process)

    async def terminate(self) -> None:
        """Kill the program at once and reap it (mirrors ``Terminate``). Never raises."""
        process = self._process
        if process is None:
            return
        self._stopping = True
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
        await process.wait()
        await self._release(process)

    async def _release(self, process: Process) -> None:
        # Offline and a Terminate that overlaps it may both get here: forget the process once.
        supervisor = None
        if self._process is process:
            supervisor, self._supervisor = self._supervisor, None
            self._process = self._drained = None
        if supervisor is not None:
            # Stop the relays before closing the pipes they read.
            await supervisor.terminate()
        await process.aclose()

    async def looks_alive(self) -> bool:
        """True while the process runs (mirrors ``LooksAlive``)."""
        return self._process is not None and self._process.returncode is None

    async def is_alive(self) -> bool:
        """True while the process runs (mirrors ``IsAlive``; the same check as LooksAlive)."""
        return self._process is not None and self._process.returncode is None


# -- Generic Script ---------------------------------------------------------------------------
