"""Run Pacemaker's command-line tools, and turn their failures into ClusterErrors.

Every call goes through :class:`Runner`: ``argv`` after an optional prefix (``nsenter ...`` to
run inside a lab node's namespaces, see :meth:`clusapi.testing.PacemakerLab.command_prefix`),
with ``CIB_file`` set for a saved CIB. A tool that exits non-zero raises the
:class:`~clusapi.ClusterError` for its exit code (Pacemaker's ``crm_exit_t``), with the tool's
own message. See ``docs/pacemaker.md`` ("Choosing a backend").
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import time
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, Final

import anyio
import attrs

from clusapi._errors import ClusterError, make_error
from clusapi._win32 import Win32Error

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

__all__ = (
    "CLUSTER_GROUP",
    "INSTALL_HINT",
    "SBIN_DIRS",
    "Runner",
    "ToolResult",
    "locate_tool",
    "may_use_cluster",
    "tool_error",
    "tools_unavailable",
)


#: What to install where the tools are missing (Debian/Ubuntu package names).
INSTALL_HINT: Final = "apt-get install pacemaker corosync pacemaker-cli-utils resource-agents"
#: Where Debian installs Pacemaker's tools (crm_mon, cibadmin, ...): directories that are not
#: on an ordinary user's PATH, so they are searched after it.
SBIN_DIRS: Final = ("/usr/sbin", "/sbin")
#: The group whose members Pacemaker's daemons answer, besides root and hacluster.
CLUSTER_GROUP: Final = "haclient"
#: What to do where the tools run but this user may not talk to the cluster.
RIGHTS_HINT: Final = (
    f"run it as root, or add the user to the {CLUSTER_GROUP!r} group "
    f"(usermod -aG {CLUSTER_GROUP} USER, then log in again)"
)
#: What to start where the tools run but no cluster answers.
START_HINT: Final = (
    "start corosync and pacemaker on this machine (systemctl start pacemaker), or pass "
    "backend=PacemakerBackend(cib_file=...) to work on a saved CIB"
)

#: Pacemaker's exit codes (crm_exit_t, ``crm_error -X N``) → the Win32 code a ClusAPI call
#: would have failed with. Codes not listed are ERROR_CLUSTER_INVALID_REQUEST.
_EXIT_CODES: Final[Mapping[int, Win32Error]] = {
    2: Win32Error.ERROR_INVALID_PARAMETER,  # CRM_EX_INVALID_PARAM
    3: Win32Error.ERROR_NOT_SUPPORTED,  # CRM_EX_UNIMPLEMENT_FEATURE
    4: Win32Error.ERROR_ACCESS_DENIED,  # CRM_EX_INSUFFICIENT_PRIV
    5: Win32Error.ERROR_NOT_FOUND,  # CRM_EX_NOT_INSTALLED
    64: Win32Error.ERROR_INVALID_PARAMETER,  # CRM_EX_USAGE
    65: Win32Error.ERROR_INVALID_PARAMETER,  # CRM_EX_DATAERR
    69: Win32Error.RPC_S_SERVER_UNAVAILABLE,  # CRM_EX_UNAVAILABLE
    75: Win32Error.ERROR_INVALID_STATE,  # CRM_EX_TEMPFAIL
    76: Win32Error.RPC_S_SERVER_UNAVAILABLE,  # CRM_EX_PROTOCOL
    77: Win32Error.ERROR_ACCESS_DENIED,  # CRM_EX_NOPERM
    78: Win32Error.ERROR_INVALID_PARAMETER,  # CRM_EX_CONFIG: the update does not fit the CIB schema
    100: Win32Error.RPC_S_SERVER_UNAVAILABLE,  # CRM_EX_FATAL
    102: Win32Error.RPC_S_SERVER_UNAVAILABLE,  # CRM_EX_DISCONNECT: no daemon answers
    103: Win32Error.ERROR_INVALID_STATE,  # CRM_EX_OLD: someone else changed the CIB first
    105: Win32Error.ERROR_NOT_FOUND,  # CRM_EX_NOSUCH
    106: Win32Error.ERROR_CLUSTER_NO_QUORUM,  # CRM_EX_QUORUM
    108: Win32Error.ERROR_OBJECT_ALREADY_EXISTS,  # CRM_EX_EXISTS
    124: Win32Error.ERROR_TIMEOUT,  # CRM_EX_TIMEOUT
}

#: The tool ran, but the cluster it talks to is not there.
_UNAVAILABLE: Final = frozenset({69, 76, 100, 102})
#: The tool ran, but the cluster refused this user (CRM_EX_INSUFFICIENT_PRIV, CRM_EX_NOPERM).
_REFUSED: Final = frozenset({4, 77})


@attrs.frozen
class ToolResult:
    """A finished tool: exit code, stdout and stderr."""

    code: int
    stdout: bytes
    stderr: bytes


def _message(stdout: bytes, stderr: bytes) -> str:
    """The tool's own words: the XML status and errors if it wrote them, else its stderr."""
    text = stdout.strip()
    if text.startswith(b"<pacemaker-result"):
        try:
            root = ET.fromstring(text)
        except ET.ParseError:
            root = None
        status = root.find("status") if root is not None else None
        if status is not None:
            parts = [status.get("message", "")]
            parts += [" ".join((e.text or "").split()) for e in status.iterfind("errors/error")]
            found = "; ".join(p for p in parts if p)
            if found:
                return found
    lines = [line.strip() for line in stderr.decode(errors="replace").splitlines() if line.strip()]
    return "; ".join(lines[-6:]) or "no message"


def tool_error(argv: Sequence[str], code: int, stdout: bytes, stderr: bytes) -> ClusterError:
    """The ClusterError for a tool that exited with ``code``."""
    tool = argv[0] if argv else "?"
    message = _message(stdout, stderr)
    if code in _UNAVAILABLE:
        return make_error(
            Win32Error.RPC_S_SERVER_UNAVAILABLE,
            f"no Pacemaker cluster answers here ({tool}: {message})",
            fix=START_HINT,
        )
    winerror = _EXIT_CODES.get(code, Win32Error.ERROR_CLUSTER_INVALID_REQUEST)
    return make_error(
        winerror,
        f"{' '.join(argv[:3])} failed with exit code {code}: {message}",
        fix=RIGHTS_HINT if code in _REFUSED else None,
    )


def _not_installed(program: str, why: str) -> ClusterError:
    return make_error(
        Win32Error.RPC_S_SERVER_UNAVAILABLE,
        f"cannot run {program!r}: {why}; Pacemaker's command-line tools are needed to talk to "
        "a Pacemaker cluster",
        fix=INSTALL_HINT,
    )


def _user() -> str:
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return f"uid {os.geteuid()}"


def _no_rights(message: str) -> ClusterError:
    return make_error(Win32Error.ERROR_ACCESS_DENIED, message, fix=RIGHTS_HINT)


def locate_tool(name: str, path: str | None = None) -> str:
    """The file of Pacemaker's tool ``name``: the first on ``path`` (default: ``$PATH``), then
    in /usr/sbin and /sbin, where Debian installs them.

    Example::

        locate_tool("crm_mon")   # '/usr/sbin/crm_mon', even where PATH is /usr/bin:/bin

    Raises:
        ClusterUnavailableError: RPC_S_SERVER_UNAVAILABLE, naming the packages to install,
            if it is nowhere.
        ClusterError: ERROR_ACCESS_DENIED, naming the fix, if it is there but this user may
            not run it.
    """
    if os.sep in name:
        return name
    search = os.environ.get("PATH", os.defpath) if path is None else path
    barred = None
    for directory in (*search.split(os.pathsep), *SBIN_DIRS):
        candidate = os.path.join(directory or ".", name)
        if os.path.isfile(candidate):
            if os.access(candidate, os.X_OK):
                return candidate
            barred = barred or candidate
    if barred is not None:
        raise _no_rights(f"user {_user()!r} may not run {barred}: it is not executable for them")
    raise _not_installed(name, f"it is neither on PATH nor in {' or '.join(SBIN_DIRS)}")


def tools_unavailable(
    names: Iterable[str], path: str | None = None, *, install_hint: str = INSTALL_HINT
) -> str | None:
    """Why Pacemaker's tools ``names`` cannot be run here, or None when all can: a user's
    rights first (the fix differs), else the missing ones and the packages to install.

    Example::

        tools_unavailable(["cibadmin", "crm_mon"])  # None where Pacemaker is installed
    """
    missing = []
    for name in names:
        try:
            locate_tool(name, path)
        except ClusterError as exc:
            if exc.winerror == Win32Error.ERROR_ACCESS_DENIED:
                return str(exc)
            missing.append(name)
    if missing:
        return (
            f"Pacemaker/Corosync not installed ({', '.join(missing)} missing from PATH, "
            f"{' and '.join(SBIN_DIRS)}): {install_hint}"
        )
    return None


def may_use_cluster() -> bool:
    """Whether Pacemaker's daemons answer this process: root, hacluster and the members of
    the haclient group may talk to them; True where there is no such group (no Pacemaker)."""
    try:
        group = grp.getgrnam(CLUSTER_GROUP)
    except KeyError:
        return True
    if os.geteuid() == 0 or _user() == "hacluster":
        return True
    return group.gr_gid == os.getegid() or group.gr_gid in os.getgroups()


@attrs.define(eq=False)
class Runner:
    """Runs the tools: ``prefix + argv``, with ``CIB_file`` for a saved CIB."""

    prefix: tuple[str, ...] = ()
    cib_file: str | None = None
    #: The longest any one tool may run, in seconds.
    timeout: float = 60.0

    def environment(self, cib_file: str | None) -> dict[str, str]:
        """The tools' environment: ours, with ``CIB_file`` naming the CIB to use, or, for the
        live cluster, without the variables that would send the tools elsewhere."""
        env = {k: v for k, v in os.environ.items() if k not in ("CIB_file", "CIB_shadow")}
        if cib_file is not None:
            env["CIB_file"] = cib_file
        # A command prefix (nsenter, ssh) looks the tool up on this PATH: the tools' own
        # directories must be on it, as they are for root on Debian.
        path = env.get("PATH", os.defpath).split(os.pathsep)
        env["PATH"] = os.pathsep.join([*path, *(d for d in SBIN_DIRS if d not in path)])
        return env

    async def run(
        self,
        argv: Sequence[str],
        *,
        input: bytes | None = None,  # noqa: A002  (anyio.run_process's own name)
        local: bool = False,
        cib_file: str | None = None,
        check: bool = True,
        time_limit: float | None = None,
    ) -> ToolResult:
        """Run one tool and return its output.

        Args:
            argv: the tool and its arguments.
            input: bytes for its stdin.
            local: run it here, without the prefix (a tool that only reads a file).
            cib_file: the CIB file for this call (default: the runner's).
            check: raise for a non-zero exit.
            time_limit: seconds; default: the runner's.

        Raises:
            ClusterUnavailableError: RPC_S_SERVER_UNAVAILABLE if the tool is not installed or
                no cluster answers it.
            ClusterError: ERROR_ACCESS_DENIED if this user may not run the tool or talk to
                the cluster (not root, not in the haclient group), naming the fix.
            ClusterTimeoutError: ERROR_TIMEOUT if it ran too long (it is killed).
            ClusterError: for any other non-zero exit (``check``), with its message.
        """
        here = local or not self.prefix
        live = (cib_file if cib_file is not None else self.cib_file) is None
        env = self.environment(cib_file if cib_file is not None else self.cib_file)
        # A tool that runs on this machine is found where Debian puts it, or says why not.
        full = [locate_tool(argv[0], env["PATH"]), *argv[1:]] if here else [*self.prefix, *argv]
        limit = self.timeout if time_limit is None else time_limit
        # The limit is kept by coreutils' timeout, in real time: the event loop's clock may
        # be virtual (clusapi.testing.VirtualClock), and a tool is a real process.
        wrapper = shutil.which("timeout")
        command = [wrapper, "--kill-after=5", f"{limit:g}", *full] if wrapper else full
        started = time.monotonic()
        try:
            # An empty input rather than an inherited stdin: no tool may wait for a terminal.
            done = await anyio.run_process(
                command, input=b"" if input is None else input, check=False, env=env
            )
        except FileNotFoundError as exc:
            raise _not_installed(full[0], exc.strerror or str(exc)) from None
        if wrapper and done.returncode in (126, 127) and done.stderr.startswith(wrapper.encode()):
            # timeout itself could not start the tool (not installed, not executable).
            raise _not_installed(full[0], _message(b"", done.stderr))
        if done.returncode in (124, 137) and time.monotonic() - started >= limit:
            raise make_error(
                Win32Error.ERROR_TIMEOUT,
                f"{' '.join(argv[:3])} did not finish within {limit:g} s",
                fix="check that the cluster is healthy (crm_mon -1)",
            )
        result = ToolResult(done.returncode, done.stdout or b"", done.stderr or b"")
        if result.code != 0 and not local and self._prefix_failed(result.stderr):
            # The prefix could not get there (a lab node whose namespaces are gone): the
            # cluster, as far as this backend can reach it, is not there.
            raise make_error(
                Win32Error.RPC_S_SERVER_UNAVAILABLE,
                f"cannot reach the cluster through {' '.join(self.prefix)!r}: "
                f"{_message(b'', result.stderr)}",
                fix="check the node the command prefix enters (is it running?)",
            )
        if check and result.code != 0:
            if here and live and result.code in _REFUSED | _UNAVAILABLE and not may_use_cluster():
                # The daemons refuse a user outside haclient: crm_mon says "Permission
                # denied", cibadmin only "Transport endpoint is not connected". Either way
                # the fix is the user's rights, not starting or installing Pacemaker.
                raise _no_rights(
                    f"user {_user()!r} may not talk to the Pacemaker cluster: its daemons "
                    f"answer only root, hacluster and the members of group {CLUSTER_GROUP!r} "
                    f"({argv[0]}: {_message(result.stdout, result.stderr)})"
                )
            raise tool_error(argv, result.code, result.stdout, result.stderr)
        return result

    def _prefix_failed(self, stderr: bytes) -> bool:
        """Whether the prefix's own program (``nsenter``, ``ssh``) reported the failure."""
        if not self.prefix:
            return False
        program = os.path.basename(self.prefix[0]).encode()
        return any(line.startswith(program + b":") for line in stderr.splitlines())
