"""A resapi resource type as an Open Cluster Framework (OCF) resource agent: the agent side.

An installed agent runs this file as a script (``python -P .../resapi/_ocf/_agent.py run
MODULE:CLASS ACTION``): ``monitor`` and ``stop`` are answered here with the standard library
alone, by asking the resource's host daemon (:mod:`._daemon`) over its Unix socket; every
other action imports the package and the type. This module also holds what those two actions
need: the exit codes, the instance's private state directory under ``$HA_RSCTMP`` and its
checks (owner, mode, no symbolic links, ``SO_PEERCRED``), and the ``ocf_log``-style log.
docs/ocf.md has the actions, the daemon and the exit codes; docs/security.md the threat model.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import stat
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Final, NoReturn

# Only the standard library here, and little of it: an installed agent's monitor runs this
# module as a script, and every import is paid on every monitor.
if TYPE_CHECKING:
    from collections.abc import Mapping

# No __all__: resapi.ocf lists (and re-exports) what of this module is public.

OCF_SUCCESS: Final = 0
OCF_ERR_GENERIC: Final = 1
OCF_ERR_ARGS: Final = 2
OCF_ERR_UNIMPLEMENTED: Final = 3
OCF_ERR_INSTALLED: Final = 5
OCF_ERR_CONFIGURED: Final = 6
OCF_NOT_RUNNING: Final = 7

#: Default timeout of monitor, validate-all and meta-data, in seconds.
_SHORT_TIMEOUT: Final = 20
_ACTIONS: Final = ("start", "stop", "monitor", "meta-data", "validate-all")
#: Where shell agents keep their state when ``HA_RSCTMP`` is unset (``ocf-directories``);
#: Pacemaker does not set it, the shell library does.
_DEFAULT_RSCTMP: Final = "/run/resource-agents"
#: The agent's code path (``os.pathsep``-separated), which :func:`_extend_path` puts into
#: ``sys.path`` after the standard library; ``install`` writes it into the agent script.
_PATH_VARIABLE: Final = "RESAPI_OCF_PATH"


class AgentError(Exception):
    """An action failed with an OCF exit code; the message is the ``ocf-exit-reason``."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class UnsafeInstallError(AgentError):
    """``install`` refused: root would run an agent, or code, that someone else can change.

    An :class:`AgentError` (``OCF_ERR_ARGS``) of its own so that callers tell "the type is
    wrong" from "the place is unsafe" without reading the message (the Pacemaker backend maps
    this one to ``ERROR_ACCESS_DENIED``).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(OCF_ERR_ARGS, reason)


# --------------------------------------------------------------------------- trust


#: Who may own what a root agent runs or reads: root alone.
_ROOT: Final = frozenset({0})
_SYMLINK_LIMIT: Final = 40  # what the kernel allows (ELOOP)


def _owners_text(owners: frozenset[int]) -> str:
    return " or ".join(f"uid {uid}" for uid in sorted(owners))


def _entry_problem(
    path: str, info: os.stat_result, owners: frozenset[int], *, shared_ok: bool
) -> str | None:
    """Why another user could change the file or directory ``path`` (its ``lstat``)."""
    if info.st_uid not in owners:
        return f"{path} is owned by uid {info.st_uid}, not {_owners_text(owners)}"
    writable = info.st_mode & 0o022
    if not writable:
        return None
    # A sticky directory (/tmp) lets others add entries but not rename or remove ours.
    if shared_ok and stat.S_ISDIR(info.st_mode) and info.st_mode & stat.S_ISVTX:
        return None
    return (
        f"{path} is writable by {'others' if writable & 0o002 else 'its group'} "
        f"(mode {stat.S_IMODE(info.st_mode):04o})"
    )


def private_directory_problem(path: str, *, create: bool) -> str | None:
    """Why ``path`` is not a directory private to this user (owned by it, not a link, written
    by nobody else); None if it is one, "" if it is missing and not ``create``.

    With ``create``, a missing directory is made 0700 (whatever the umask), and one of ours is
    set to 0700; one someone else made first fails the check. Both directions of the bridge
    keep their state in such directories (here, and :mod:`resapi._ocf._type`'s agent dirs).
    """
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        if not create:
            return ""
        with contextlib.suppress(FileExistsError):  # someone was first: checked below
            os.mkdir(path, 0o700)
        info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode):
        return f"{path} is not a directory"
    if info.st_uid != os.geteuid():
        return f"{path} is owned by uid {info.st_uid}, not this agent's {os.geteuid()}"
    if info.st_mode & 0o022:
        return f"{path} is writable by group or others (mode {info.st_mode & 0o7777:04o})"
    if create and stat.S_IMODE(info.st_mode) != 0o700:
        os.chmod(path, 0o700)  # ours, and no link (lstat): not umask-dependent
    return None


def _path_problem(
    path: str, owners: frozenset[int], *, shared_ok: bool = False, will_create: bool = False
) -> str | None:
    """Why a user outside ``owners`` could change what ``path`` names; None if none can.

    Every directory from ``/`` down and every symbolic link on the way (followed) must be
    owned by ``owners``; directories on the way may be writable by others only if sticky
    (like /tmp), and ``path`` itself not at all unless ``shared_ok``. A missing ``path`` is
    safe only if nobody else can create it first, or if ``will_create`` (the caller makes it
    with ``mkdir``, which fails on a path someone made first, and then checks it again).
    """
    if not os.path.isabs(path):
        return f"{path!r} is not an absolute path"
    todo = [part for part in path.split("/") if part not in ("", ".")]
    current = "/"
    info = os.lstat(current)
    links = 0
    while todo:
        problem = _entry_problem(current, info, owners, shared_ok=True)
        if problem is not None:
            return problem
        part = todo.pop(0)
        if part == "..":
            current = os.path.dirname(current)
            info = os.lstat(current)
            continue
        following = os.path.join(current, part)
        try:
            following_info = os.lstat(following)
        except FileNotFoundError:
            if will_create or not info.st_mode & 0o022:
                return None
            return f"{following} does not exist, and {current} is writable by others"
        except NotADirectoryError:
            return f"{current} is not a directory"
        if stat.S_ISLNK(following_info.st_mode):
            if following_info.st_uid not in owners:
                return (
                    f"{following} is a symbolic link owned by uid {following_info.st_uid}, "
                    f"not {_owners_text(owners)}"
                )
            links += 1
            if links > _SYMLINK_LIMIT:
                return f"{path}: too many symbolic links"
            target = os.readlink(following)
            todo[:0] = [p for p in target.split("/") if p not in ("", ".")]
            if target.startswith("/"):
                current = "/"
                info = os.lstat(current)
            continue
        current, info = following, following_info
    return _entry_problem(current, info, owners, shared_ok=shared_ok)


# --------------------------------------------------------------------------- instance state


def _decimal(text: str) -> int:
    """A decimal integer: optional spaces around it and a sign, then ASCII digits (about
    what Pacemaker's own ``strtol(..., 10)`` reads). ``"010"`` is 10, not octal;
    ``"0x10"``, ``"1_000"`` and ``"1e3"``, which Python's ``int(text, 0)`` would take or
    read otherwise, raise ValueError."""
    stripped = text.strip()
    if not re.fullmatch(r"[+-]?[0-9]+", stripped):
        raise ValueError(f"not a decimal integer: {text!r}")
    return int(stripped)


def _rsctmp(environ: Mapping[str, str]) -> str:
    """The base directory of the state (absolute): ``$HA_RSCTMP``, else
    ``/run/resource-agents`` for root (``start`` creates it when missing; root never falls
    back to a directory others can write). Another user who cannot write there (a test, a
    manual run) gets ``$TMPDIR/resapi-ocf-<uid>``."""
    configured = environ.get("HA_RSCTMP")
    if configured:
        return os.path.abspath(configured)
    if os.geteuid() == 0 or os.access(_DEFAULT_RSCTMP, os.W_OK):
        return _DEFAULT_RSCTMP
    return os.path.join(
        os.path.abspath(environ.get("TMPDIR") or "/tmp"), f"resapi-ocf-{os.geteuid()}"
    )


class _Instance:
    """Where one resource instance's daemon keeps its state: a directory of its own under
    the base, mode 0700, owned by the agent's user; checked before every use."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.name = environ.get("OCF_RESOURCE_INSTANCE") or "default"
        # os.environ decodes bytes that are not UTF-8 as lone surrogates; "surrogatepass"
        # hashes any str, so even such a name has a state directory (stop must still work).
        raw = self.name.encode("utf-8", "surrogatepass")
        try:
            self.name.encode("utf-8")
            self.bad_name: str | None = None
        except UnicodeEncodeError:
            try:
                shown = self.name.encode("utf-8", "surrogateescape")  # the bytes as given
            except UnicodeEncodeError:
                shown = self.name.encode("utf-8", "backslashreplace")
            self.bad_name = (
                f"OCF_RESOURCE_INSTANCE {shown!r} is not valid UTF-8: name the resource "
                "with UTF-8 text (Pacemaker's CIB always is)"
            )
        key = re.sub(r"[^A-Za-z0-9_.-]", "_", self.name)
        if key != self.name or len(key) > 40:
            import hashlib

            key = f"{key[:24]}-{hashlib.sha1(raw).hexdigest()[:12]}"
        self.base = _rsctmp(environ)
        self.dir = Path(self.base) / f"resapi-{key}"
        self.pid_file = self.dir / "pid"
        self.socket = self.dir / "sock"
        self.log = self.dir / "log"

    def check(self, *, create: bool = False) -> bool:
        """True if the state directory exists (after ``create``: it does), False if not.

        Raises:
            AgentError: ERR_INSTALLED when the base or the directory could be changed by
                another user (owner, mode, a symbolic link), with what is wrong and the fix.
        """
        owners = frozenset({0, os.geteuid()})
        try:
            # will_create: a missing base holds nothing to trust yet; start makes it and
            # checks it again.
            problem = _path_problem(self.base, owners, shared_ok=True, will_create=True)
            if problem is None and create:
                problem = self._create_base(owners)
            if problem is None:
                problem = self._check_dir(create=create)
        except OSError as exc:
            problem = f"cannot check {exc.filename or self.base}: {exc.strerror or exc}"
        if problem == "":
            return False  # no state directory: nothing of this instance runs
        if problem is not None:
            raise AgentError(
                OCF_ERR_INSTALLED,
                f"unsafe state directory for {self.name!r}: {problem}. Another user could fake "
                "or redirect the agent's state there; set HA_RSCTMP to a directory only root "
                "can write (the default is /run/resource-agents)",
            )
        return True

    def _create_base(self, owners: frozenset[int]) -> str | None:
        if not os.path.lexists(self.base):
            # /run/resource-agents as the shell agents' tmpfiles.d makes it; a private
            # fallback 0700. (makedirs: missing parents, made safe by the check above.)
            mode = 0o755 if self.base == _DEFAULT_RSCTMP else 0o700
            with contextlib.suppress(FileExistsError):
                os.makedirs(self.base, mode)
        return _path_problem(self.base, owners, shared_ok=True)

    def _check_dir(self, *, create: bool) -> str | None:
        """None if the directory is ours, "" if it is missing, else what is wrong."""
        return private_directory_problem(str(self.dir), create=create)

    def _pid_lines(self) -> list[str]:
        return _read_private(self.pid_file, 4096).decode(errors="replace").split()

    def pid(self) -> int | None:
        """The daemon's PID if it runs, else None."""
        lines = self._pid_lines()
        try:
            pid = int(lines[0])
        except (IndexError, ValueError):
            return None
        return pid if _is_daemon(pid) else None

    def stop_timeout(self) -> float | None:
        """The stop timeout the daemon was started with (the type's PendingTimeout), seconds."""
        lines = self._pid_lines()
        try:
            return float(lines[1])
        except (IndexError, ValueError):
            return None

    def has_state(self) -> bool:
        return os.path.lexists(self.pid_file) or os.path.lexists(self.socket)

    def clear(self) -> None:
        """Forget the daemon (its log stays, in the directory, for the operator)."""
        for file in (self.socket, self.pid_file):
            with contextlib.suppress(FileNotFoundError):
                file.unlink()


def _read_private(path: Path, limit: int) -> bytes:
    """Up to the last ``limit`` bytes of a regular file, never through a symbolic link; b""
    if there is none."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return b""
    with os.fdopen(fd, "rb") as file:
        size = os.fstat(fd)
        if not stat.S_ISREG(size.st_mode):
            return b""
        file.seek(max(0, size.st_size - limit))
        return file.read(limit)


def _write_private(path: Path, data: bytes) -> None:
    """Write ``path`` (in a state directory) whole, mode 0600, never through a link."""
    temporary = path.with_name(f".{path.name}.new")
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(temporary, flags, 0o600)
    with os.fdopen(fd, "wb") as file:
        os.fchmod(fd, 0o600)
        file.write(data)
    os.replace(temporary, path)


def _is_daemon(pid: int) -> bool:
    """True if ``pid`` is a live (not zombie) resapi.ocf daemon of this user (not a reused
    PID, nor another user's process)."""
    try:
        owner = os.stat(f"/proc/{pid}").st_uid
        stat_line = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    state = stat_line.rpartition(")")[2].split()[:1]
    return (
        owner == os.geteuid()
        and state != ["Z"]
        # python -P .../resapi/_ocf/_agent.py daemon (and python -m resapi.ocf daemon before it)
        and (b"/_ocf/_agent.py\0daemon\0" in cmdline or b"resapi.ocf\0daemon\0" in cmdline)
    )


def _peer(sock: socket.socket) -> tuple[int, int]:
    """The PID and uid of the process at the other end of a Unix socket (SO_PEERCRED)."""
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)  # struct ucred
    return int.from_bytes(creds[0:4], sys.byteorder), int.from_bytes(creds[4:8], sys.byteorder)


def _request(
    instance: _Instance, request: dict[str, object], timeout: float, pid: int
) -> dict[str, object]:
    """One request to daemon ``pid``; raises OSError/TimeoutError/ValueError when it fails,
    PermissionError when the socket is not that daemon's."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(max(timeout, 0.05))
        sock.connect(str(instance.socket))
        peer_pid, peer_uid = _peer(sock)
        if peer_pid != pid or peer_uid != os.geteuid():
            raise PermissionError(
                f"{instance.socket} is served by PID {peer_pid} (uid {peer_uid}), not by the "
                f"host daemon {pid} (uid {os.geteuid()})"
            )
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


def _timeout(environ: Mapping[str, str]) -> float | None:
    """The action's timeout in seconds (``OCF_RESKEY_CRM_meta_timeout`` is in ms), if set."""
    try:
        milliseconds = _decimal(environ["OCF_RESKEY_CRM_meta_timeout"])
    except (KeyError, ValueError):
        return None
    return milliseconds / 1000 if milliseconds > 0 else None


def _log_tail(instance: _Instance, lines: int = 3) -> str:
    text = _read_private(instance.log, 16384).decode(errors="replace")
    return " | ".join(text.strip().splitlines()[-lines:])


class _Log:
    """An agent's log, the way ``ocf_log`` writes one: ``TYPE(INSTANCE)[PID]: LEVEL: text``
    on stderr, and appended (with a time stamp) to ``$HA_LOGFILE`` when that is set."""

    def __init__(self, path: str, environ: Mapping[str, str]) -> None:
        # The wrapper written by install() sets OCF_RESOURCE_TYPE to the agent's name.
        label = environ.get("OCF_RESOURCE_TYPE") or path.rpartition(":")[2] or "resapi"
        instance = environ.get("OCF_RESOURCE_INSTANCE") or "default"
        self.tag = f"{label}({instance})[{os.getpid()}]"
        logfile = environ.get("HA_LOGFILE", "")
        self.logfile = logfile if logfile not in ("", "none", "/dev/null") else None

    def __call__(self, level: str, message: str) -> None:
        line = f"{self.tag}: {level}: {message}"
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
        if self.logfile is not None:
            # A log that cannot be written must not fail the action. Pacemaker's log is the
            # cluster user's: no symbolic link, no hard link to another file, no FIFO.
            stamped = f"{time.strftime('%b %d %H:%M:%S')} {line}\n"
            flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK
            with contextlib.suppress(OSError):
                fd = os.open(self.logfile, flags | os.O_CLOEXEC, 0o640)
                try:
                    info = os.fstat(fd)
                    if stat.S_ISREG(info.st_mode) and info.st_nlink == 1:
                        os.write(fd, stamped.encode(errors="backslashreplace"))
                finally:
                    os.close(fd)


# --------------------------------------------------------------------------- actions


def _monitor(instance: _Instance, env: Mapping[str, str]) -> int:
    """OCF_CHECK_LEVEL 0: LooksAlive; >= 10: IsAlive. Reads state only (a probe is safe)."""
    try:
        level = _decimal(env.get("OCF_CHECK_LEVEL") or "0")
    except ValueError:
        raise AgentError(
            OCF_ERR_ARGS, f"OCF_CHECK_LEVEL must be a number, not {env['OCF_CHECK_LEVEL']!r}"
        ) from None
    if not instance.check():
        return OCF_NOT_RUNNING  # no state directory: nothing of this instance was started
    pid = instance.pid()
    if pid is None:
        if instance.has_state():
            raise AgentError(
                OCF_ERR_GENERIC,
                f"the host daemon of {instance.name!r} ended without a stop: {_log_tail(instance)}",
            )
        return OCF_NOT_RUNNING
    timeout = _timeout(env) or _SHORT_TIMEOUT
    try:
        reply = _request(instance, {"op": "monitor", "thorough": level >= 10}, timeout, pid)
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


def _group_members(pgid: int) -> list[int]:
    """The live (not zombie) processes in process group ``pgid``."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue  # it ended while we looked
        if len(fields) > 2 and fields[0] != "Z" and fields[2] == str(pgid):
            members.append(int(entry))
    return members


def _stop(instance: _Instance, env: Mapping[str, str], log: _Log) -> int:
    """Offline and Close, then the daemon ends; past the timeout SIGTERM (the daemon calls
    Terminate and Close), then SIGKILL. Returns 0 once nothing runs."""
    if not instance.check():
        return OCF_SUCCESS  # no state directory: nothing of this instance was started
    pid = instance.pid()
    if pid is None:
        if instance.has_state():
            log("INFO", "the host daemon is gone; removing its state")
        instance.clear()
        return OCF_SUCCESS
    timeout = _timeout(env) or instance.stop_timeout() or _SHORT_TIMEOUT
    try:
        reply = _request(instance, {"op": "stop"}, timeout * 0.6, pid)
        if reply.get("state") != "OFFLINE":
            log("WARNING", f"Offline failed ({reply.get('reason')}); the resource was terminated")
        if not _wait_gone(pid, max(timeout * 0.1, 1.0)):
            raise TimeoutError(f"still running after Offline and Close ({reply.get('state')})")
    except (OSError, ValueError) as exc:
        log("WARNING", f"host daemon {pid} did not stop in time ({exc}): SIGTERM (Terminate)")
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)  # the daemon calls Terminate and Close
        if not _wait_gone(pid, max(timeout * 0.2, 1.0)):
            log("WARNING", f"host daemon {pid} ignored SIGTERM: SIGKILL")
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            if not _wait_gone(pid, 5.0):
                raise AgentError(OCF_ERR_GENERIC, f"host daemon {pid} survived SIGKILL") from None
    # The daemon led its own process group: whatever the resource left in it goes too. (A
    # group ID is not reused while a member lives, so this cannot hit anyone else.)
    left = _group_members(pid)
    if left:
        log("WARNING", f"killing processes the resource left behind: {left}")
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
    instance.clear()
    return OCF_SUCCESS


def run_action(path: str, action: str, environ: Mapping[str, str] | None = None) -> int:
    """Run one OCF action for the resource type at ``path``; return the exit code.

    ``monitor`` and ``stop`` talk to the host daemon only: they import neither the type nor
    anything but the standard library.

    Raises:
        AgentError: the action failed (its ``code`` is the exit code).
    """
    env = os.environ if environ is None else environ
    if action in ("usage", "help"):
        print(f"usage: {{{'|'.join(_ACTIONS)}}}")
        return OCF_SUCCESS
    if action not in _ACTIONS:
        raise AgentError(OCF_ERR_UNIMPLEMENTED, f"action {action!r} is not implemented")
    instance = _Instance(env)
    log = _Log(path, env)
    if action == "monitor":
        return _monitor(instance, env)
    if action == "stop":
        return _stop(instance, env, log)
    # The other actions need the type: the package is imported from here on.
    from ._daemon import start
    from ._parameters import load_type, meta_data, parameters_from_env

    cls = load_type(path)
    if action == "meta-data":
        sys.stdout.write(meta_data(cls))
        return OCF_SUCCESS
    if instance.bad_name is not None:  # monitor and stop work whatever the name
        raise AgentError(OCF_ERR_CONFIGURED, instance.bad_name)
    if action == "validate-all":
        # The table's checks in full: format and range, each prop(validate=...), then the
        # whole-table validate(). The Pacemaker backend runs this before it writes a change.
        parameters_from_env(cls.Properties, env)
        return OCF_SUCCESS
    return start(path, cls, instance, env, log)


def _extend_path(code_path: str) -> None:
    """Add the ``os.pathsep``-separated ``code_path`` to ``sys.path`` right after the
    standard library (before site-packages): what an installed agent imports the type and
    resapi from, which must not shadow a standard module (PYTHONPATH would put it first)."""
    stdlib = os.path.dirname(os.__file__)
    index = 0
    for i, entry in enumerate(sys.path):
        if entry == stdlib or (
            entry.startswith(stdlib + os.sep) and not entry.endswith("-packages")
        ):
            index = i + 1  # the standard library and its lib-dynload
    added = [e for e in dict.fromkeys(code_path.split(os.pathsep)) if e and e not in sys.path]
    sys.path[index:index] = added


# --------------------------------------------------------------------------- the command line

_USAGE: Final = """\
usage: python -m resapi.ocf install MODULE:CLASS [--provider NAME] [--ocf-root DIR]
       python -m resapi.ocf run MODULE:CLASS ACTION
ACTION: start | stop | monitor | meta-data | validate-all"""


def _fail(code: int, reason: str, log: _Log | None = None) -> NoReturn:
    """End an action the way OCF wants a failure reported: the reason on stderr as an
    ``ocf-exit-reason:`` line (Pacemaker shows it to the operator), and in the log."""
    if log is not None:
        log("ERROR", reason)
    sys.stderr.write(f"ocf-exit-reason:{reason}\n")
    sys.stderr.flush()
    raise SystemExit(code)


def main(argv: list[str] | None = None) -> int:
    """The ``python -m resapi.ocf`` command line; returns the exit code."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["install"]:
        from ._install import install_main

        return install_main(args[1:])
    daemon = len(args) == 2 and args[0] == "daemon"
    if not daemon and not (len(args) == 3 and args[0] == "run"):
        print(_USAGE, file=sys.stderr)
        if args[:1] == ["run"]:
            _fail(OCF_ERR_ARGS, "expected: run MODULE:CLASS ACTION")
        return OCF_ERR_ARGS
    path = args[1]
    log = _Log(path, os.environ)
    try:
        if daemon:
            from ._daemon import HostDaemon

            return HostDaemon(path, os.environ).run()
        return run_action(path, args[2])
    except AgentError as exc:
        _fail(exc.code, exc.reason, log)
    except OSError as exc:
        _fail(OCF_ERR_GENERIC, str(exc), log)


if __name__ == "__main__":
    # An installed agent (and the host daemon) runs this file as a script, with -P. monitor
    # and stop are answered here with the standard library alone; every other action needs
    # the resource type, so it runs in the package's own copy of this module (whose relative
    # imports work), found on the agent's code path, after the standard library.
    if len(sys.argv) == 4 and sys.argv[1] == "run" and sys.argv[3] in ("monitor", "stop"):
        sys.exit(main())
    _extend_path(os.environ.get(_PATH_VARIABLE, ""))
    from resapi._ocf._agent import main as package_main

    sys.exit(package_main())
