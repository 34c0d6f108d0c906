"""``python -m resapi.ocf install``: write the OCF agent of a resapi resource type.

The agent is a shell script under ``OCF_ROOT/resource.d/PROVIDER/`` that runs the agent
script (:mod:`._agent`) with a chosen interpreter and code path. As root, nothing the agent
will run may be changeable by another user, and the interpreter must be one Pacemaker's
``hacluster`` user can run for ``meta-data``. docs/ocf.md ("Installing an agent") and
docs/security.md have the details.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Final

from ._agent import (
    _PATH_VARIABLE,
    _ROOT,
    OCF_ERR_ARGS,
    OCF_ERR_GENERIC,
    OCF_SUCCESS,
    AgentError,
    UnsafeInstallError,
    _path_problem,
)
from ._parameters import agent_name, load_type, meta_data

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ("CLUSTER_USER", "import_root", "install", "install_main")

_AGENT_SCRIPT: Final = Path(__file__).resolve().with_name("_agent.py")


def import_root(module_name: str) -> str | None:
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
        AgentError: as :func:`load_type`; ERR_ARGS for an entry point that is a plain
            ``def``, for a bad provider name, for a ``python`` that does not run or is not
            this Python's version, or (as root) for code or an OCF root that another user
            could change.
    """
    import shlex  # here, not at the top: monitor and stop must stay cheap to import

    from clusapi._errors import ClusterError

    from .._resource_type import check_entry_points

    cls = load_type(path)
    try:
        # As a cluster refuses it at registration: a plain `def online` would fail only at
        # the first start, in Pacemaker's log, on whichever node ran it.
        check_entry_points(cls)
    except ClusterError as exc:
        raise AgentError(OCF_ERR_ARGS, str(exc)) from None
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", provider) or provider in (".", ".."):
        raise AgentError(
            OCF_ERR_ARGS,
            f"bad provider name {provider!r}: use letters, digits, '.', '_' and '-' only",
        )
    say = report or (lambda _: None)
    as_root = os.geteuid() == 0
    module = path.partition(":")[0]
    entries = [r for r in dict.fromkeys((import_root(module), import_root("resapi"))) if r]
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
    script_file = str(_AGENT_SCRIPT)
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


def install_main(args: list[str]) -> int:
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
