"""A resapi resource type as an Open Cluster Framework (OCF) resource agent.

OCF actions are short-lived processes (``agent start``, ``agent monitor``, ...), but a resapi
resource is a long-lived object. So ``start`` launches a small *host daemon* per resource
instance (``python -P .../resapi/_ocf/_agent.py daemon MODULE:CLASS``, from ``/``, detached in its
own session) that hosts the instance in a :class:`ResourceHost`, runs Open and
Online, and then answers the later actions over a Unix socket. Its state lives under
``$HA_RSCTMP`` (when unset: ``/run/resource-agents``, where ``ocf-directories`` puts it for the
shell agents), in a directory of its own, mode 0700, that only the agent's user owns::

    $HA_RSCTMP/resapi-<instance>/pid      the daemon's PID, then its stop timeout in seconds
    $HA_RSCTMP/resapi-<instance>/sock     its Unix socket (one JSON request, one JSON reply)
    $HA_RSCTMP/resapi-<instance>/log      its stderr: the resource's log lines

An agent runs as root under Pacemaker, so nothing it runs, reads or writes may be changed by
another user: every process starts with ``-P`` from ``/``, the code path comes after the
standard library, and the state directories, files and socket are checked (owner, mode, no
symbolic links) and answer only to the same user (``SO_PEERCRED``). ``docs/security.md``
has the threat model.

An installed agent runs this file as a script (``python -P .../resapi/_ocf/_agent.py run ...``)
rather than ``python -m resapi.ocf``: ``monitor`` and ``stop`` need only the standard library
and the daemon, and importing the ``resapi`` package (clusapi, attrs, anyio) would cost
several times more than the action itself. The other actions import the package and the type.

Log lines look like ``ocf_log``'s, ``TYPE(INSTANCE)[PID]: LEVEL: message``: on stderr (which
Pacemaker records with the action), and appended to ``$HA_LOGFILE`` when Pacemaker sets it.

Exit codes (OCF RA API 1.0): 0 success, 1 generic error, 2 bad arguments, 3 unimplemented,
5 not installed, 6 not configured, 7 not running.
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

# Only the standard library at module level, and little of it: an installed agent's monitor
# runs this module as a script, and every import is paid on every monitor.
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from clusapi._properties import PropertyItem, PropertyTable

    from .._records import FailureReport, LogEntry, ResourceStatus
    from .._resource import Resource

__all__ = (
    "OCF_ERR_ARGS",
    "OCF_ERR_CONFIGURED",
    "OCF_ERR_GENERIC",
    "OCF_ERR_INSTALLED",
    "OCF_ERR_UNIMPLEMENTED",
    "OCF_NOT_RUNNING",
    "OCF_SUCCESS",
    "AgentError",
    "UnsafeInstallError",
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
#: Where shell agents keep their state when ``HA_RSCTMP`` is unset (``ocf-directories``);
#: Pacemaker does not set it, the shell library does.
_DEFAULT_RSCTMP: Final = "/run/resource-agents"
#: ``start``'s exit code when Online raised resapi.CannotComeOnline (by the state it reports):
#: Pacemaker's "hard" error bans the resource from this node, its "fatal" one from all nodes.
_CANNOT_COME_ONLINE: Final = {
    "CANNOT_COME_ONLINE_ON_THIS_NODE": OCF_ERR_INSTALLED,
    "CANNOT_COME_ONLINE_ON_ANY_NODE": OCF_ERR_CONFIGURED,
}
#: How often ``start`` asks the daemon how Online is going, in seconds.
_START_POLL: Final = 0.05
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


# --------------------------------------------------------------------------- the type


def agent_name(type_name: str) -> str:
    """The agent's file name for a resource type: ``"Echo Server"`` → ``"echo-server"``.

    Lower case, and every run of characters other than ``a-z``, ``0-9``, ``.``, ``_`` and
    ``-`` becomes one ``-`` (``"Bob's Service"`` → ``"bob-s-service"``), so the name is safe
    as a file name under the OCF root and as a word of a shell script. A name with nothing
    usable left (``"!!"``, ``".."``) becomes ``type-`` and a hash of the type name.
    """
    name = re.sub(r"[^a-z0-9._-]+", "-", type_name.lower())[:200].strip("-.")
    if not name:
        import hashlib

        digest = hashlib.sha1(type_name.encode("utf-8", "surrogatepass")).hexdigest()[:12]
        name = f"type-{digest}"
    return name


def load_type(path: str) -> type[Resource]:
    """Import ``"package.module:Class"`` and check that it is a resapi resource type.

    Raises:
        AgentError: ERR_ARGS for a malformed path or a target that is not a Resource
            subclass; ERR_INSTALLED for a module or class that cannot be imported.
    """
    from clusapi._errors import ClusterError

    from .._monitor._process import load_resource_type
    from .._resource import Resource

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


#: The user Pacemaker's controller runs an agent's ``meta-data`` action as (start, stop and
#: monitor run as root). An agent whose interpreter that user cannot execute fails meta-data
#: with exit 126, and Pacemaker 2.1 may then stall the transition.
CLUSTER_USER: Final = "hacluster"


def install(
    path: str,
    *,
    provider: str = "resapi",
    ocf_root: str | os.PathLike[str] = "/usr/lib/ocf",
    python: str | None = None,
    report: Callable[[str], None] | None = None,
) -> Path:
    """Write the agent for the resource type at ``path`` and return its file name.

    The agent is ``OCF_ROOT/resource.d/PROVIDER/TYPE`` (TYPE is :func:`agent_name`): a shell
    script that runs ``resapi/_ocf/_agent.py run MODULE:CLASS ACTION`` (the same command line as
    ``python -m resapi.ocf run``) with a Python interpreter and a code path under which the
    type and resapi import, so it needs no set-up of its own. The code path goes into
    ``RESAPI_OCF_PATH``, which the agent adds to ``sys.path`` *after* the standard library
    (``PYTHONPATH`` would put it first).

    The interpreter is ``python`` if given, else this one (``sys.executable``). Pacemaker runs
    ``meta-data`` as the user ``hacluster``; when this runs as root and that user cannot run
    this interpreter (a pyenv or virtualenv under ``/root``, mode 0700), the agent uses the
    system's ``python3`` of the same version instead, with this environment's site-packages
    on its code path, and says so through ``report``. If there is none, ``report`` gets a
    warning that names the fix (``python=`` a Python the cluster user can run).

    Pacemaker runs the agent as root, so when this runs as root, everything the agent will
    run must be root's alone: the interpreter, the agent script, every directory on the code
    path and every directory leading to them, and the directory the agent goes into (owned
    by root, not writable by group or others; directories on the way may be sticky, like
    /tmp). An entry of ``$PYTHONPATH`` that fails this is left out, with a note through
    ``report``; anything else that fails it refuses the install. The agent is written to a
    new temporary file in its directory and renamed over the old one, so a symbolic link
    planted there is replaced, never followed.

    Raises:
        AgentError: as :func:`load_type`; ERR_ARGS for a bad provider name, for a
            ``python`` that does not run or is not this Python's version, or (as root) for
            code or an OCF root that another user could change.
    """
    import shlex  # here, not at the top: monitor and stop must stay cheap to import

    cls = load_type(path)
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", provider) or provider in (".", ".."):
        raise AgentError(
            OCF_ERR_ARGS,
            f"bad provider name {provider!r}: use letters, digits, '.', '_' and '-' only",
        )
    say = report or (lambda _: None)
    as_root = os.geteuid() == 0
    module = path.partition(":")[0]
    entries = [r for r in dict.fromkeys((_import_root(module), _import_root("resapi"))) if r]
    for extra in os.environ.get("PYTHONPATH", "").split(os.pathsep):
        candidate = os.path.abspath(extra) if extra else None
        if candidate is None or candidate in entries:
            continue
        problem = _path_problem(candidate, _ROOT) if as_root else None
        if problem is not None:
            say(
                f"note: {candidate} (on $PYTHONPATH) is left out of the agent's code path, "
                f"because root runs the agent and {problem}"
            )
            continue
        entries.append(candidate)
    interpreter, entries = _agent_python(python, entries, module, say)
    script_file = str(Path(__file__).resolve())
    name = agent_name(cls.type_name)
    directory = Path(os.path.abspath(ocf_root)) / "resource.d" / provider
    if as_root:
        _refuse_unsafe_code(interpreter, script_file, entries)
        _refuse_unsafe_directory(directory, will_create=True)
    # -P: the script's own directory (resapi/) must not shadow top-level modules.
    command = " ".join(shlex.quote(part) for part in (interpreter, "-P", script_file, "run", path))
    recorded = meta_data(cls)
    end = "RESAPI_META_DATA_END"
    while end in recorded:
        end += "_"
    script = (
        "#!/bin/sh\n"
        # One line whatever the names hold (a newline would end the comment); the Pacemaker
        # backend reads the path back from this line (clusapi/_backends/pacemaker/_agents.py).
        f"# OCF resource agent for the resapi resource type {cls.type_name!r} "
        f"({path if path.isprintable() else repr(path)}).\n"
        "# Written by `python -m resapi.ocf install`; run it again to update.\n"
        "# The code path, added to sys.path after the standard library (not PYTHONPATH).\n"
        f"{_PATH_VARIABLE}={shlex.quote(os.pathsep.join(entries))}\n"
        f"export {_PATH_VARIABLE}\n"
        "# Pacemaker sets it; the log lines are tagged with it when run by hand too.\n"
        f"OCF_RESOURCE_TYPE=${{OCF_RESOURCE_TYPE:-{shlex.quote(name)}}}\n"
        "export OCF_RESOURCE_TYPE\n"
        'if [ "$1" = meta-data ] && ! { '
        + " && ".join(
            [f"[ -x {shlex.quote(interpreter)} ]"]
            + [
                f"[ -r {shlex.quote(e)} ] && [ -x {shlex.quote(e)} ]"
                for e in entries
                if os.path.isdir(e)
            ]
        )
        + "; }; then\n"
        "    # Pacemaker asks for meta-data as the user hacluster, who may not be able to run\n"
        "    # this Python or read the code (e.g. under /root): print the meta-data recorded\n"
        "    # at install time rather than fail.\n"
        f"    cat <<'{end}'\n"
        f"{recorded.rstrip()}\n"
        f"{end}\n"
        "    exit 0\n"
        "fi\n"
        f'exec {command} "$@"\n'
    )
    _make_directories(directory)
    if as_root:
        _refuse_unsafe_directory(directory, will_create=False)  # what mkdir found or made
    target = directory / name
    _write_replacing(target, script.encode(), 0o755)
    return target


def _refuse_unsafe_code(interpreter: str, script_file: str, entries: list[str]) -> None:
    """ERR_ARGS unless nobody but root can change the code a root agent runs."""
    checked = [interpreter, script_file, *entries]
    if os.path.realpath(interpreter) == os.path.realpath(sys.executable):
        checked += _site_packages()  # its .pth files run at every start
    for where in dict.fromkeys(checked):
        problem = _path_problem(where, _ROOT)
        if problem is not None:
            raise UnsafeInstallError(
                f"refusing to install an agent that root would run from {where}: {problem}. "
                "Make it (and every directory above it) owned by root and not writable by "
                "group or others, or install from a copy that is",
            )


def _refuse_unsafe_directory(directory: Path, *, will_create: bool) -> None:
    problem = _path_problem(str(directory), _ROOT, will_create=will_create)
    if problem is not None:
        raise UnsafeInstallError(
            f"refusing to install an agent into {directory}: Pacemaker runs it as root, and "
            f"{problem}. Use an OCF root that only root can write",
        )


def _make_directories(directory: Path) -> None:
    """Create ``directory`` and its missing parents with mode 0755 (not the umask's): the
    cluster user must be able to read an agent to run its ``meta-data``."""
    missing = []
    for candidate in (directory, *directory.parents):
        if os.path.lexists(candidate):
            break
        missing.append(candidate)
    for candidate in reversed(missing):
        with contextlib.suppress(FileExistsError):  # made meanwhile: checked afterwards
            os.mkdir(candidate, 0o755)
            os.chmod(candidate, 0o755)


def _write_replacing(target: Path, data: bytes, mode: int) -> None:
    """Write ``target`` as a new file with ``mode``: a fresh temporary file (``mkstemp``:
    created, never followed) in the same directory, ``fchmod``, ``fsync``, then renamed over
    whatever ``target`` was (a symbolic link is replaced, not followed)."""
    import tempfile

    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as file:
            os.fchmod(file.fileno(), mode)
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _agent_python(
    python: str | None, entries: list[str], module: str, report: Callable[[str], None]
) -> tuple[str, list[str]]:
    """The interpreter the agent runs, and its PYTHONPATH entries (see :func:`install`)."""
    import shutil

    if python is not None:
        interpreter = shutil.which(python) or python
        if os.path.realpath(interpreter) == os.path.realpath(sys.executable):
            interpreter = sys.executable
        else:
            version = _python_version(interpreter)
            if version is None:
                raise AgentError(OCF_ERR_ARGS, f"--python {python!r} does not run: give a Python 3")
            if version != sys.version_info[:2]:
                raise AgentError(
                    OCF_ERR_ARGS,
                    f"--python {python!r} is Python {version[0]}.{version[1]}; the agent uses "
                    f"this environment's packages, so it needs Python {sys.version_info[0]}."
                    f"{sys.version_info[1]} like the Python running install",
                )
            entries = [*entries, *_site_packages()]
        if not _cluster_user_can_run(interpreter, entries, module):
            report(_cannot_run_warning(interpreter))
        return interpreter, entries
    if _cluster_user_can_run(sys.executable, entries, module):
        return sys.executable, entries
    shared = [*entries, *_site_packages()]
    major, minor = sys.version_info[:2]
    for candidate in (f"/usr/bin/python{major}.{minor}", f"/usr/local/bin/python{major}.{minor}"):
        if (
            os.access(candidate, os.X_OK)
            and _python_version(candidate) == (major, minor)
            and _cluster_user_can_run(candidate, shared, module)
        ):
            report(
                f"note: the agent runs {candidate}: the cluster user {CLUSTER_USER!r} cannot "
                f"run {sys.executable} (Pacemaker runs meta-data as that user); pass "
                "--python to choose another interpreter"
            )
            return candidate, shared
    report(_cannot_run_warning(sys.executable))
    return sys.executable, entries


def _cannot_run_warning(interpreter: str) -> str:
    return (
        f"warning: the cluster user {CLUSTER_USER!r} cannot run {interpreter} with this "
        "agent's PYTHONPATH, and Pacemaker runs the meta-data action as that user: the agent "
        "will answer it with the meta-data recorded now, so run install again after changing "
        "the type's properties. Install with --python naming a Python that user can execute "
        "(e.g. a virtualenv outside /root) to avoid that"
    )


def _python_version(interpreter: str) -> tuple[int, int] | None:
    import subprocess

    try:
        # -I and cwd "/": when root runs install, nothing from the working directory or
        # the environment may be imported by what it starts.
        result = subprocess.run(
            [interpreter, "-I", "-c", "import sys; print(*sys.version_info[:2])"],
            capture_output=True,
            text=True,
            cwd="/",
            timeout=30,
            check=False,
        )
    except OSError:
        return None
    parts = result.stdout.split()
    if result.returncode != 0 or len(parts) != 2:
        return None
    return int(parts[0]), int(parts[1])


def _site_packages() -> list[str]:
    """This environment's site-packages: what the type's dependencies import from."""
    import sysconfig

    paths = sysconfig.get_paths()
    return list(dict.fromkeys(paths[key] for key in ("purelib", "platlib")))


def _cluster_user_can_run(interpreter: str, entries: list[str], module: str) -> bool:
    """True unless this runs as root, the cluster user exists, and that user cannot import
    ``module`` with ``interpreter`` and ``entries`` (as Pacemaker's meta-data call would)."""
    import pwd
    import shutil
    import subprocess

    if os.geteuid() != 0:
        return True  # not root: the agent is for this user, or a check we cannot make
    try:
        pwd.getpwnam(CLUSTER_USER)
    except KeyError:
        return True  # no Pacemaker installed here: nothing to check against
    runuser = shutil.which("runuser")
    if runuser is None:
        return True
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "PYTHONPATH": os.pathsep.join(entries)}
    try:
        result = subprocess.run(
            [runuser, "-u", CLUSTER_USER, "--", interpreter, "-P", "-c", f"import {module}"],
            capture_output=True,
            env=env,
            cwd="/",
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


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
            return _decimal(text)
        except ValueError:
            raise ValueError(
                f"parameter {item.attribute!r} must be a decimal integer, not {text!r}"
            ) from None
    return text


def _decimal(text: str) -> int:
    """A decimal integer: optional spaces around it and a sign, then ASCII digits (about
    what Pacemaker's own ``strtol(..., 10)`` reads). ``"010"`` is 10, not octal;
    ``"0x10"``, ``"1_000"`` and ``"1e3"``, which Python's ``int(text, 0)`` would take or
    read otherwise, raise ValueError."""
    stripped = text.strip()
    if not re.fullmatch(r"[+-]?[0-9]+", stripped):
        raise ValueError(f"not a decimal integer: {text!r}")
    return int(stripped)


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
    """The OCF meta-data XML of a resource type (valid against ``ra-api-1.dtd``).

    ``<version>`` is the OCF RA API version; the type's own ``version`` attribute (if it has
    one, else "1.0") goes in ``<resource-agent version=...>``.
    """
    from xml.sax.saxutils import escape, quoteattr

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
            f'required="{int(item.required)}" unique="{int(item.unique)}">',
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


# --------------------------------------------------------------------------- logging


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


# --------------------------------------------------------------------------- actions


def _code_path(path: str, env: Mapping[str, str]) -> list[str]:
    """Where the daemon imports the type and resapi from: their import roots here (a manual
    ``python -m resapi.ocf run`` may have found them in its working directory), then the
    agent's own code path."""
    module = path.partition(":")[0]
    return [
        entry
        for entry in dict.fromkeys(
            (
                _import_root(module),
                _import_root("resapi"),
                *env.get(_PATH_VARIABLE, "").split(os.pathsep),
            )
        )
        if entry
    ]


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


def _start(
    path: str, cls: type[Resource], instance: _Instance, env: Mapping[str, str], log: _Log
) -> int:
    import subprocess

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
                [sys.executable, "-P", str(Path(__file__).resolve()), "daemon", path],
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
    cls = load_type(path)
    if action == "meta-data":
        sys.stdout.write(meta_data(cls))
        return OCF_SUCCESS
    if instance.bad_name is not None:  # monitor and stop work whatever the name
        raise AgentError(OCF_ERR_CONFIGURED, instance.bad_name)
    if action == "validate-all":
        parameters_from_env(cls.Properties, env)
        return OCF_SUCCESS
    return _start(path, cls, instance, env, log)


# --------------------------------------------------------------------------- the daemon

#: OCF log levels (what ``ocf_log`` prints) of the MSCS ``LogLevel`` names.
_LEVELS: Final = {"INFORMATION": "INFO", "WARNING": "WARNING", "ERROR": "ERROR", "SEVERE": "CRIT"}


def _daemon(path: str) -> int:
    """``python -P .../resapi/_ocf/_agent.py daemon MODULE:CLASS``: host one instance until
    stopped."""
    import logging

    import anyio

    from clusapi._enums import ResourceState

    from .._monitor._host import ResourceHost

    env = dict(os.environ)
    instance = _Instance(env)
    log = _Log(path, env)
    cls = load_type(path)
    parameters = parameters_from_env(cls.Properties, env)
    # self.log also goes to the stdlib logger; without a handler, logging's last resort
    # would print every warning a second time, untagged, into the same file.
    logging.getLogger("resapi").addHandler(logging.NullHandler())

    class Listener:
        reason = ""
        state = ResourceState.INITIALIZING
        checkpoint = 0
        #: Where Online said it cannot come online (a CannotComeOnline exception), if it did.
        cannot = ""

        def on_status(self, status: ResourceStatus) -> None:
            if status.state.name in _CANNOT_COME_ONLINE:
                self.cannot = status.state.name
            if status.state is not self.state:
                log("INFO", f"state {status.state.name}")
            elif status.checkpoint != self.checkpoint:
                log("INFO", f"{status.state.name}: checkpoint {status.checkpoint}")
            self.state, self.checkpoint = status.state, status.checkpoint

        def on_log(self, entry: LogEntry) -> None:
            level = _LEVELS.get(entry.level.name, entry.level.name)
            log(level, entry.message)
            if level in ("ERROR", "CRIT"):
                self.reason = entry.message

        def on_failure(self, report: FailureReport) -> None:
            self.reason = f"the resource signalled a failure ({report.failure_type.name})"
            log("ERROR", self.reason)

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
                return {
                    "state": host.state.name,
                    "checkpoint": listener.checkpoint,
                    "reason": listener.reason,
                    "cannot": listener.cannot,
                }

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
                        log("INFO", "stop: Offline and Close")
                        with anyio.CancelScope(shield=True):
                            if host.state is ResourceState.ONLINE:
                                await host.offline()
                            await host.close()  # Terminate first if still pending or failed
                        reply = status()
                    await stream.send(json.dumps(reply).encode() + b"\n")
                    if op == "stop":
                        stopped.set()  # after the reply: setting it cancels this handler

            async def guarded(stream: anyio.abc.SocketStream) -> None:
                # Only this user (root under Pacemaker) may ask: the directory is 0700 and
                # the socket 0600, and the peer's credentials say who connected.
                peer_pid, peer_uid = _peer(stream.extra(anyio.abc.SocketAttribute.raw_socket))
                if peer_uid not in (0, os.geteuid()):
                    log("WARNING", f"refused a request from PID {peer_pid} (uid {peer_uid})")
                    await stream.aclose()
                    return
                try:
                    await handle(stream)
                except Exception as exc:
                    log("ERROR", f"request failed: {exc!r}")

            async def bring_online() -> None:
                try:
                    await host.open()
                    await host.online()
                except Exception as exc:
                    listener.reason = str(exc)
                    log("ERROR", f"cannot come online: {exc}")
                    stopped.set()  # nothing to host: end (start sees the process exit)

            async def on_sigterm() -> None:
                with anyio.open_signal_receiver(signal.SIGTERM) as signals:
                    async for _ in signals:
                        log("WARNING", "SIGTERM: Terminate and Close")
                        with anyio.CancelScope(shield=True), anyio.move_on_after(10):
                            await host.close()  # Terminate unless offline, then Close
                        stopped.set()
                        return

            listener_socket = await anyio.create_unix_listener(instance.socket, mode=0o600)
            tg.start_soon(on_sigterm)
            tg.start_soon(listener_socket.serve, guarded)
            tg.start_soon(bring_online)
            await stopped.wait()
            tg.cancel_scope.cancel()  # serve() closes the listener as it is cancelled

    try:
        anyio.run(serve, backend="asyncio")
    finally:
        instance.clear()
    log("INFO", "host daemon ends")
    return OCF_SUCCESS


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


def _install_main(args: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m resapi.ocf install",
        description="Write an OCF resource agent that runs a resapi resource type.",
    )
    parser.add_argument("path", metavar="MODULE:CLASS", help="the resource type")
    parser.add_argument("--provider", default="resapi", help="default: resapi")
    parser.add_argument("--ocf-root", default="/usr/lib/ocf", help="default: /usr/lib/ocf")
    parser.add_argument(
        "--python",
        default=None,
        help="the interpreter the agent runs (default: this one, or the system's python3 of "
        "the same version when the cluster user cannot run this one)",
    )
    options = parser.parse_args(args)
    try:
        target = install(
            options.path,
            provider=options.provider,
            ocf_root=options.ocf_root,
            python=options.python,
            report=lambda message: print(message, file=sys.stderr),
        )
    except AgentError as exc:
        print(f"{parser.prog}: error: {exc.reason}", file=sys.stderr)
        return exc.code
    except OSError as exc:
        print(f"{parser.prog}: error: cannot write the agent: {exc}", file=sys.stderr)
        return OCF_ERR_GENERIC
    print(target)
    return OCF_SUCCESS


def main(argv: list[str] | None = None) -> int:
    """The ``python -m resapi.ocf`` command line; returns the exit code."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["install"]:
        return _install_main(args[1:])
    daemon = len(args) == 2 and args[0] == "daemon"
    if not daemon and not (len(args) == 3 and args[0] == "run"):
        print(_USAGE, file=sys.stderr)
        if args[:1] == ["run"]:
            _fail(OCF_ERR_ARGS, "expected: run MODULE:CLASS ACTION")
        return OCF_ERR_ARGS
    path = args[1]
    log = _Log(path, os.environ)
    try:
        return _daemon(path) if daemon else run_action(path, args[2])
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
