"""An Open Cluster Framework (OCF) resource agent as a resapi resource type.

The other direction of :mod:`._agent`: :func:`ocf_resource_type` turns any installed OCF agent
(``ocf:heartbeat:Dummy``, or a path to an agent executable) into a :class:`~resapi.Resource`
subclass that the reference runtime hosts like any other type::

    Dummy = ocf_resource_type("ocf:heartbeat:Dummy")   # public: resapi.ocf.agent_type
    await cluster.create_resource_type(Dummy)        # registered as "ocf:heartbeat:Dummy"

The agent's ``meta-data``, read once, gives the property table and the type's defaults; the
entry points run its actions as processes (Online ``start``, Offline and Terminate ``stop``,
LooksAlive and IsAlive ``monitor``), each in a process group of its own, with the OCF
environment, private ``HA_RSCTMP``/``HA_VARRUN``/``HA_VARLIB`` directories and a real-time
timeout. docs/ocf.md ("An OCF agent under the reference runtime") has the exit codes, the
environment, the timeouts, virtual time and the import-path limitation.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import hashlib
import keyword
import os
import re
import selectors
import shutil
import signal
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Final

import anyio

from clusapi._enums import PropertyFormat
from clusapi._errors import ClusterError, make_error
from clusapi._properties import PropertyTable, prop
from clusapi._win32 import Win32Error

if TYPE_CHECKING:
    from collections.abc import Iterable

from .._resource import CannotComeOnlineOnAnyNode, CannotComeOnlineOnThisNode, Resource
from ._agent import private_directory_problem
from ._parameters import SPECIAL_TAG

__all__ = ("OcfAgentResource", "instance_name", "ocf_resource_type", "parse_meta_data")

DEFAULT_OCF_ROOT: Final = "/usr/lib/ocf"
#: Timeout of an action the meta-data gives none for, in seconds.
_DEFAULT_TIMEOUT: Final = 20.0
_META_DATA_TIMEOUT: Final = 10.0
#: The most ``meta-data`` output read from an agent (the largest installed agents give
#: about 40 kB); more is refused, and the agent killed, rather than held in memory.
META_DATA_LIMIT: Final = 1 << 20
#: An OCF parameter name: it becomes an environment variable (``OCF_RESKEY_<name>``) and a
#: property name.
_PARAMETER_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,127}")
#: The provider and type of ``ocf:PROVIDER:TYPE``: one path component each, never ``..``.
_AGENT_PART: Final = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]{0,127}")
#: The longest duration an agent's meta-data may give (a day), in seconds.
_MAX_DURATION: Final = 86400.0
_OCF_NOT_RUNNING: Final = 7
#: ``start`` exit codes after which the agent cannot run on this node, but may on another
#: (Pacemaker's "hard" errors: ERR_ARGS, ERR_UNIMPLEMENTED, ERR_PERM, ERR_INSTALLED).
_HARD: Final = frozenset({2, 3, 4, 5})
#: ``start`` exit code after which it cannot run anywhere (Pacemaker's "fatal": ERR_CONFIGURED).
_FATAL: Final = 6
#: PendingTimeout and DeadlockTimeout of a type are its longest start/stop timeout plus this,
#: so that the agent's own timeout (real time) decides first (module docstring).
_MARGIN: Final = 5.0
#: How often, in real seconds, the timeout of a running agent is checked. It also bounds how
#: fast a virtual clock moves while an agent runs (module docstring).
_POLL: Final = 0.02
_EXIT_NAMES: Final = {
    0: "OCF_SUCCESS",
    1: "OCF_ERR_GENERIC",
    2: "OCF_ERR_ARGS",
    3: "OCF_ERR_UNIMPLEMENTED",
    4: "OCF_ERR_PERM",
    5: "OCF_ERR_INSTALLED",
    6: "OCF_ERR_CONFIGURED",
    7: "OCF_NOT_RUNNING",
}
_TRUE: Final = frozenset({"1", "true", "yes", "on", "y"})
_FALSE: Final = frozenset({"0", "false", "no", "off", "n", ""})
_INT32: Final = (-(2**31), 2**31 - 1)
_UNITS: Final = {"ms": 0.001, "msec": 0.001, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600}
_QUALNAME_PREFIX: Final = "ocf__"

#: Every type built in this process, by ``__qualname__`` (what ``__getattr__`` resolves).
_TYPES: dict[str, type[OcfAgentResource]] = {}


def _exit_name(code: int) -> str:
    if code < 0:
        return f"killed by signal {-code}"
    return f"{code} ({_EXIT_NAMES.get(code, 'unknown')})"


def _duration(text: str | None, what: str) -> float | None:
    """An OCF duration (``"20s"``, ``"2m"``, ``"500ms"``, ``"20"``) in seconds; None if unset.

    Raises:
        ValueError: naming ``what``, if it is not a duration of at most a day.
    """
    if not text:
        return None
    match = re.fullmatch(r"\s*(\d{1,9}(?:\.\d{1,9})?)\s*([a-z]*)\s*", text.lower())
    if not match or match[2] not in {"", *_UNITS}:
        raise ValueError(f"{what} {text!r} is not a duration (e.g. '20s', '2m', '500ms')")
    seconds = float(match[1]) * _UNITS.get(match[2], 1)
    if seconds > _MAX_DURATION:
        raise ValueError(f"{what} {text!r} is longer than a day")
    return seconds


def _identifier(name: str, taken: set[str]) -> str:
    """A valid attribute for the OCF parameter ``name`` that hides nothing and is unique."""
    attribute = re.sub(r"\W", "_", name, flags=re.ASCII) or "_"
    if attribute[0].isdigit() or keyword.iskeyword(attribute):
        attribute = f"p_{attribute}"
    if attribute.startswith("_"):
        attribute = f"p{attribute}"
    while hasattr(PropertyTable, attribute) or attribute in taken:
        attribute += "_"
    taken.add(attribute)
    return attribute


def _text(element: ET.Element | None) -> str:
    return " ".join((element.text or "").split()) if element is not None else ""


class _Parameter:
    """One ``<parameter>``: its OCF name, Python type, agent default (or None), etc."""

    __slots__ = ("default", "description", "kind", "name", "required", "unique")

    def __init__(
        self,
        name: str,
        kind: type,
        default: object,
        required: bool,
        description: str,
        unique: bool = False,
    ) -> None:
        self.name = name
        self.kind = kind
        self.default = default
        self.required = required
        self.description = description
        self.unique = unique


def _parameter(element: ET.Element) -> _Parameter:
    name = element.get("name") or ""
    if not _PARAMETER_NAME.fullmatch(name):
        raise ValueError(
            f"parameter name {name!r} is not a safe name (letters, digits, '_', '.', '-', "
            "not starting with a digit, '.' or '-', at most 128 characters)"
        )
    content = element.find("content")
    ocf_type = (content.get("type") if content is not None else None) or "string"
    text = content.get("default") if content is not None else None
    required = element.get("required") == "1"
    kind: type = str
    default: object = text
    if ocf_type == "boolean":
        lowered = (text or "").strip().lower()
        if text is None or lowered in _TRUE | _FALSE:
            kind, default = bool, None if text is None else lowered in _TRUE
    elif ocf_type == "integer":
        stripped = (text or "").strip()
        if not stripped:
            value = None
        elif re.fullmatch(r"[+-]?[0-9]{1,12}", stripped):  # decimal only, as Pacemaker reads it
            value = int(stripped)
        else:
            value = -1 - 2**40  # not a decimal number: keep the parameter a string
        if value is None or _INT32[0] <= value <= _INT32[1]:
            kind, default = int, value
    description = _text(element.find("shortdesc")) or _text(element.find("longdesc"))
    unique = element.get("unique") == "1"
    return _Parameter(name, kind, default, required, description, unique)


class MetaData:
    """What :func:`parse_meta_data` reads from an agent's ``meta-data``."""

    __slots__ = (
        "deepest_depth",
        "is_alive_interval",
        "looks_alive_interval",
        "name",
        "parameters",
        "required_dependencies",
        "timeouts",
    )

    def __init__(self) -> None:
        self.name = ""
        self.parameters: list[_Parameter] = []
        #: action name → timeout in seconds.
        self.timeouts: dict[str, float] = {}
        self.looks_alive_interval: float | None = None
        self.is_alive_interval: float | None = None
        #: The deepest ``OCF_CHECK_LEVEL`` a ``monitor`` action advertises (0 if none does).
        self.deepest_depth = 0
        #: The resource types a resource of this agent must depend on: the
        #: ``<required-dependency>`` elements of a ``<special tag="resapi">`` (resapi's
        #: types write them; other agents require none).
        self.required_dependencies: tuple[str, ...] = ()

    def defaults(self) -> dict[str, object]:
        """OCF parameter name → the agent's default (None when it has none)."""
        return {p.name: p.default for p in self.parameters}


def parse_meta_data(xml_text: str | bytes) -> MetaData:
    """Parse an agent's ``meta-data`` XML (OCF RA API 1.0/1.1).

    Raises:
        ValueError: not a ``<resource-agent>`` document, larger than :data:`META_DATA_LIMIT`,
            a parameter name that is not safe (or given twice), an action's timeout, interval
            or depth that does not parse.
    """
    if len(xml_text) > META_DATA_LIMIT:
        raise ValueError(f"meta-data is larger than {META_DATA_LIMIT} bytes")
    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError as exc:
        raise ValueError(f"meta-data is not XML: {exc}") from None
    if root.tag != "resource-agent":
        raise ValueError(f"meta-data root is <{root.tag}>, not <resource-agent>")
    meta = MetaData()
    meta.name = root.get("name", "")
    for element in root.iterfind("parameters/parameter"):
        parameter = _parameter(element)
        if any(p.name == parameter.name for p in meta.parameters):
            raise ValueError(f"parameter {parameter.name!r} is given twice")
        meta.parameters.append(parameter)
    meta.required_dependencies = tuple(
        text
        for special in root.iterfind("special")
        if special.get("tag") == SPECIAL_TAG
        for element in special.iterfind("required-dependency")
        if (text := (element.text or "").strip())
    )
    deepest = 0
    for action in root.iterfind("actions/action"):
        name = action.get("name", "")
        what = f"action {name!r}"
        timeout = _duration(action.get("timeout"), f"{what} timeout")
        interval = _duration(action.get("interval"), f"{what} interval")
        if timeout and name not in meta.timeouts:
            meta.timeouts[name] = timeout
        if name != "monitor":
            continue
        depth_text = (action.get("depth") or "0").strip()
        if not re.fullmatch(r"\d{1,3}", depth_text):
            raise ValueError(f"{what} depth {depth_text!r} is not a small decimal number")
        depth = int(depth_text)
        meta.deepest_depth = max(meta.deepest_depth, depth)
        if not interval:
            continue
        if depth == 0 and meta.looks_alive_interval is None:
            meta.looks_alive_interval = interval
        elif depth > deepest:
            deepest, meta.is_alive_interval = depth, interval
    return meta


def _resolve_agent(agent: str, ocf_root: str) -> tuple[Path, str, str]:
    """(executable, provider, type) for ``ocf:PROVIDER:TYPE`` or a path."""
    parts = agent.split(":")
    if parts[0].lower() == "ocf" and len(parts) > 1:
        # A name, never a path: each part is one file name under the OCF root.
        if len(parts) != 3 or not all(_AGENT_PART.fullmatch(part) for part in parts[1:]):
            raise make_error(
                Win32Error.ERROR_INVALID_PARAMETER,
                f"bad OCF agent name {agent!r}: the provider and type must be plain names "
                "(letters, digits, '_', '.', '+', '-'; not empty, no '/', not '..')",
                fix="write it as 'ocf:PROVIDER:TYPE', e.g. 'ocf:heartbeat:Dummy', or give "
                "the agent's path",
            )
        _, provider, agent_type = parts
        path = Path(ocf_root, "resource.d", provider, agent_type)
    else:
        path = Path(agent)
        agent_type, provider = path.name, path.parent.name or "local"
    if not path.is_file() or not os.access(path, os.X_OK):
        raise make_error(
            Win32Error.ERROR_FILE_NOT_FOUND,
            f"OCF agent {agent!r} not found: {path} is not an executable file",
            fix="install the agent (Debian: apt-get install resource-agents) "
            "or pass the right ocf_root",
        )
    return path, provider, agent_type


#: A resource name that is its own ``OCF_RESOURCE_INSTANCE``: the characters of a Pacemaker
#: resource ID, not starting with ``.`` or ``-`` (agents put it into file names and command
#: lines), short enough for the file names agents make of it.
_SAFE_INSTANCE: Final = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")
#: The tail a mapped name ends with (so no name kept as it is can equal a mapped one).
_MAPPED_TAIL: Final = re.compile(r".*\.[0-9a-f]{16}")


def instance_name(name: str) -> str:
    """The ``OCF_RESOURCE_INSTANCE`` of resource ``name``: one-to-one, so that two resources
    never share an agent's state or pid file.

    A name that is safe as it is stays as it is. Any other (a space, a ``/``, a non-ASCII
    letter, a leading ``-``, over 100 characters, or a safe name that looks mapped) becomes
    its safe characters (others as ``_``, at most 64) + ``.`` + 16 hex digits of the SHA-256
    of the exact name: ``"web 1"`` → ``"web_1.<hash>"``, while ``"web_1"`` stays ``"web_1"``.
    """
    if _SAFE_INSTANCE.fullmatch(name) and not _MAPPED_TAIL.fullmatch(name):
        return name
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:64]
    if not stem or stem[0] in ".-":
        stem = f"_{stem}"
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{stem}.{digest}"


@functools.cache
def _process_temp() -> str:
    """A directory of this process's own (0700, a name nobody can guess) in the machine's
    temporary directory, removed when the process exits."""
    path = tempfile.mkdtemp(prefix="resapi-ocf-")
    atexit.register(shutil.rmtree, path, True)
    return path


def _private_directory(path: Path) -> None:
    """Make ``path`` a directory only this user can write (0700), or check that it is one:
    not a symbolic link, owned by this user, writable by no one else. Agents keep their state
    and pid files there; one another user could write would let that user fake or redirect
    them.

    Raises:
        ClusterError: ERROR_ACCESS_DENIED, naming the directory, if it is not.
    """
    problem = private_directory_problem(str(path), create=True)
    if problem:
        raise make_error(
            Win32Error.ERROR_ACCESS_DENIED,
            f"OCF state directory {path} is not a private directory of this user: {problem}",
            fix="remove it (someone else may have made it) or give the node a TEMP directory "
            "only this user can write",
        )


def _kill_group(pid: int) -> None:
    """Kill the process group of an agent (it leads its own session, ``start_new_session``):
    the agent and every process it started that stayed in the group. Safe after the agent was
    reaped: the kernel does not reuse a PID while a group of that ID has members, and an
    empty group is simply not found."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


class OcfAgentResource(Resource):
    """Base of the types :func:`ocf_resource_type` builds: runs an OCF agent's actions."""

    __slots__ = ()

    #: The agent executable.
    agent_path: ClassVar[str]
    agent_provider: ClassVar[str]
    agent_type: ClassVar[str]
    ocf_root: ClassVar[str]
    #: The parsed meta-data.
    meta_data: ClassVar[MetaData]

    # -- running the agent --------------------------------------------------------------------

    def _node_directories(self) -> dict[str, str]:
        """``HA_RSCTMP``, ``HA_VARRUN`` and ``HA_VARLIB`` in the node's own temporary directory
        (:attr:`~resapi.Resource.temp_directory`), made if missing, each private to this user.

        A node without a temporary directory of its own (the :mod:`resapi.testing` harness)
        falls back to the machine's, which others can write: there they live in a directory
        this process makes (``mkdtemp``), never at a name another user could take first.

        Raises:
            ClusterError: ERROR_ACCESS_DENIED if one exists and is not private (see
                :func:`_private_directory`).
        """
        temp = self.temp_directory
        base = Path(_process_temp() if temp == tempfile.gettempdir() else temp, "ocf")
        paths = {
            "HA_RSCTMP": base / "rsctmp",
            "HA_VARRUN": base / "run",
            "HA_VARLIB": base / "lib",
        }
        base.parent.mkdir(parents=True, exist_ok=True)  # the node's TEMP, as it is set up
        for path in (base, *paths.values()):
            _private_directory(path)
        return {name: str(path) for name, path in paths.items()}

    def _environment(
        self, action: str, timeout: float, check_level: int | None, interval_ms: int
    ) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            OCF_ROOT=self.ocf_root,
            OCF_RA_VERSION_MAJOR="1",
            OCF_RA_VERSION_MINOR="0",
            OCF_RESOURCE_INSTANCE=instance_name(self.name),
            OCF_RESOURCE_TYPE=self.agent_type,
            OCF_RESOURCE_PROVIDER=self.agent_provider,
            # What Pacemaker passes with every action: the node it runs on, the action's
            # timeout and interval (an interval of 0 makes a monitor a probe).
            OCF_RESKEY_CRM_meta_on_node=self.node_name,
            OCF_RESKEY_CRM_meta_timeout=str(round(timeout * 1000)),
            OCF_RESKEY_CRM_meta_interval=str(interval_ms),
            **self._node_directories(),
        )
        if check_level is not None:
            env["OCF_CHECK_LEVEL"] = str(check_level)
        defaults = self.meta_data.defaults()
        table = self.properties
        for item in table.items():
            value = getattr(table, item.attribute)
            if item.name in defaults and value == defaults[item.name]:
                continue  # let the agent compute its own default
            text = ("true" if value else "false") if isinstance(value, bool) else str(value)
            env[f"OCF_RESKEY_{item.name}"] = text
        return env

    async def run_agent(
        self, action: str, *, check_level: int | None = None, interval_ms: int = 0
    ) -> tuple[int, str]:
        """Run ``agent ACTION``; return its exit code and stderr (plus stdout if no stderr).

        The timeout is the action's from the meta-data, measured in real time; an agent still
        running then is killed and ``ERROR_TIMEOUT`` raised. Cancelling kills the agent too.

        Raises:
            ClusterTimeoutError: ERROR_TIMEOUT, naming the action and its timeout.
        """
        timeout = self.meta_data.timeouts.get(action, _DEFAULT_TIMEOUT)
        env = self._environment(action, timeout, check_level, interval_ms)
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            # Files, not pipes: an agent's daemon may inherit them and keep a pipe open.
            process = await anyio.open_process(
                [self.agent_path, action],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
            timed_out = False
            try:
                async with anyio.create_task_group() as tg:

                    async def watchdog() -> None:
                        nonlocal timed_out
                        deadline = time.monotonic() + timeout
                        # Real time, polled: the loop's clock may be virtual, and this short
                        # timer keeps it from jumping far ahead meanwhile (module doc).
                        while time.monotonic() < deadline:  # noqa: ASYNC110
                            await anyio.sleep(_POLL)
                        timed_out = True
                        _kill_group(process.pid)

                    tg.start_soon(watchdog)
                    await process.wait()
                    tg.cancel_scope.cancel()
            finally:
                if process.returncode is None:  # cancelled: the agent and what it started go
                    _kill_group(process.pid)
                    with anyio.CancelScope(shield=True):
                        await process.wait()
                elif timed_out:  # killed, and gone: what it started may still be running
                    _kill_group(process.pid)
                await process.aclose()
            err.seek(0)
            out.seek(0)
            text = err.read().decode(errors="replace").strip()
            text = text or out.read().decode(errors="replace").strip()
        if timed_out:
            raise make_error(
                Win32Error.ERROR_TIMEOUT,
                f"OCF agent {self.type_name!r} ({self.agent_path}) {action} for resource "
                f"{self.name!r} did not finish within its timeout of {timeout:g} s "
                "(real time) and was killed",
                fix="fix the agent, or give its action a longer timeout in its meta-data",
            )
        assert process.returncode is not None
        return process.returncode, text

    def _failure(self, action: str, code: int, stderr: str) -> ClusterError:
        detail = f": {stderr[-2000:]}" if stderr else ""
        message = (
            f"OCF agent {self.type_name!r} ({self.agent_path}) {action} for resource "
            f"{self.name!r} on node {self.node_name!r} exited with {_exit_name(code)}{detail}"
        )
        if action == "start" and code in _HARD:
            return CannotComeOnlineOnThisNode(
                Win32Error.ERROR_NODE_CANT_HOST_RESOURCE,
                message,
                fix=f"it cannot run on node {self.node_name!r}: install or fix what the agent "
                "needs there; the cluster tries that node again once the resource is brought "
                "online by hand",
            )
        if action == "start" and code == _FATAL:
            return CannotComeOnlineOnAnyNode(
                Win32Error.ERROR_RESOURCE_FAILED,
                message,
                fix="its configuration is wrong on every node: fix its private properties; "
                "it is not restarted or failed over until it is brought online by hand",
            )
        return make_error(Win32Error.ERROR_RESOURCE_FAILED, message)

    async def _monitor(self, level: int, interval_ms: int) -> bool:
        try:
            code, text = await self.run_agent("monitor", check_level=level, interval_ms=interval_ms)
        except ClusterError as exc:
            self.log.error("%s", exc)
            return False
        if code == 0:
            return True
        if code != _OCF_NOT_RUNNING:
            self.log.error("%s", self._failure(f"monitor (level {level})", code, text))
        return False

    # -- entry points -------------------------------------------------------------------------

    async def online(self) -> None:
        """Run ``start``.

        Raises:
            CannotComeOnlineOnThisNode: exit 2, 3, 4 or 5 (ERR_ARGS, ERR_UNIMPLEMENTED,
                ERR_PERM, ERR_INSTALLED).
            CannotComeOnlineOnAnyNode: exit 6 (ERR_CONFIGURED).
            ClusterError: ERROR_RESOURCE_FAILED for any other code, ERROR_TIMEOUT when it
                ran past its timeout.
        """
        code, text = await self.run_agent("start")
        if code != 0:
            raise self._failure("start", code, text)

    async def offline(self) -> None:
        code, text = await self.run_agent("stop")
        if code != 0:
            raise self._failure("stop", code, text)

    async def terminate(self) -> None:
        try:
            code, text = await self.run_agent("stop")
        except Exception as exc:  # Terminate must not raise
            self.log.warning("terminate: %s", exc)
            return
        if code != 0:
            self.log.warning("terminate: %s", self._failure("stop", code, text))

    async def looks_alive(self) -> bool:
        return await self._monitor(0, self.looks_alive_poll_interval)

    async def is_alive(self) -> bool:
        return await self._monitor(self.meta_data.deepest_depth, self.is_alive_poll_interval)


def _read_meta_data(path: Path, provider: str, agent_type: str, ocf_root: str) -> MetaData:
    env = {
        **os.environ,
        "OCF_ROOT": ocf_root,
        "OCF_RESOURCE_TYPE": agent_type,
        "OCF_RESOURCE_PROVIDER": provider,
        "OCF_RESOURCE_INSTANCE": "RESOURCE_ID",
    }
    try:
        code, stdout, stderr = _run_bounded([str(path), "meta-data"], env)
    except (OSError, TimeoutError, ValueError) as exc:
        raise make_error(
            Win32Error.ERROR_INVALID_PARAMETER,
            f"OCF agent {path} meta-data failed: {exc}",
            fix="fix the agent: meta-data prints its XML (at most "
            f"{META_DATA_LIMIT // 1024} KiB) within {_META_DATA_TIMEOUT:g} s and exits",
        ) from None
    if code != 0:
        raise make_error(
            Win32Error.ERROR_INVALID_PARAMETER,
            f"OCF agent {path} meta-data exited with {_exit_name(code)}: "
            f"{stderr.decode(errors='replace').strip()}",
        )
    try:
        return parse_meta_data(stdout)
    except ValueError as exc:
        raise make_error(
            Win32Error.ERROR_INVALID_PARAMETER,
            f"OCF agent {path} meta-data is not valid: {exc}",
            fix="fix the agent's meta-data",
        ) from None


def _run_bounded(argv: list[str], env: dict[str, str]) -> tuple[int, bytes, bytes]:
    """Run ``argv`` for at most :data:`_META_DATA_TIMEOUT` s, reading at most
    :data:`META_DATA_LIMIT` bytes of its output; return its exit code, its output and the
    tail of its stderr. On any error the process and its group are killed.

    Raises:
        OSError: it cannot be started.
        TimeoutError: it ran (or held its output open) past the timeout.
        ValueError: it wrote more than the limit.
    """
    deadline = time.monotonic() + _META_DATA_TIMEOUT
    process = subprocess.Popen(
        argv,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    out, err = bytearray(), bytearray()
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ, out)  # type: ignore[arg-type]
            selector.register(process.stderr, selectors.EVENT_READ, err)  # type: ignore[arg-type]
            while selector.get_map():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"it did not finish within {_META_DATA_TIMEOUT:g} s")
                for key, _ in selector.select(remaining):
                    chunk = os.read(key.fd, 1 << 16)
                    if not chunk:
                        selector.unregister(key.fileobj)
                        continue
                    buffer: bytearray = key.data
                    buffer.extend(chunk)
                    if len(out) > META_DATA_LIMIT:
                        raise ValueError(f"it wrote more than {META_DATA_LIMIT} bytes")
                    del err[:-4096]  # only the end of stderr goes into a message
        try:
            code = process.wait(max(deadline - time.monotonic(), 0.001))
        except subprocess.TimeoutExpired:
            raise TimeoutError(f"it did not exit within {_META_DATA_TIMEOUT:g} s") from None
    finally:
        if process.returncode is None:
            _kill_group(process.pid)
            process.wait()
        for pipe in (process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()
    return code, bytes(out), bytes(err)


def meta_data_properties(meta: MetaData, qualname: str) -> type[PropertyTable]:
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {"__module__": __name__, "__qualname__": f"{qualname}.Properties"}
    taken: set[str] = set()
    for parameter in meta.parameters:
        attribute = _identifier(parameter.name, taken)
        fmt = PropertyFormat.LONG if parameter.kind is int else None
        annotations[attribute] = parameter.kind
        declare = functools.partial(
            prop,
            name=parameter.name,
            format=fmt,
            description=parameter.description,
            unique=parameter.unique,
        )
        if parameter.required:
            spec = declare(required=True)
        else:
            default = parameter.default
            if default is None:
                default = parameter.kind()  # "", 0 or False: not passed to the agent
            spec = declare(default=default)
        namespace[attribute] = spec
    namespace["__annotations__"] = annotations
    return type("Properties", (PropertyTable,), namespace)


def _limit_ms(meta: MetaData, actions: Iterable[str]) -> int:
    """The longest timeout of ``actions`` plus the margin, in milliseconds."""
    longest = max((meta.timeouts.get(a, _DEFAULT_TIMEOUT) for a in actions), default=0.0)
    return round((longest + _MARGIN) * 1000)


def _qualname(provider: str, agent_type: str, path: Path, ocf_root: str) -> str:
    default = Path(DEFAULT_OCF_ROOT, "resource.d", provider, agent_type)
    if ocf_root == DEFAULT_OCF_ROOT and path == default and "__" not in provider + agent_type:
        base = f"{_QUALNAME_PREFIX}{provider}__{agent_type}"
    else:  # not re-importable from its name (see the module docstring)
        base = f"ocf_agent__{provider}__{agent_type}"
    base = re.sub(r"\W", "_", base, flags=re.ASCII)
    qualname, n = base, 1
    while qualname in _TYPES and _TYPES[qualname].agent_path != str(path):
        n += 1
        qualname = f"{base}_{n}"
    return qualname


def ocf_resource_type(
    agent: str, *, ocf_root: str = DEFAULT_OCF_ROOT, type_name: str | None = None
) -> type[Resource]:
    """The resource type that runs the OCF agent ``agent``: :func:`resapi.ocf.agent_type`
    (its docstring has the arguments and errors)."""
    path, provider, agent_type = _resolve_agent(agent, ocf_root)
    meta = _read_meta_data(path, provider, agent_type, ocf_root)
    qualname = _qualname(provider, agent_type, path, ocf_root)
    cached = _TYPES.get(qualname)
    name = type_name or f"ocf:{provider}:{agent_type}"
    if cached is not None and cached.type_name == name and cached.ocf_root == ocf_root:
        return cached
    namespace: dict[str, Any] = {
        "__module__": __name__,
        "__qualname__": qualname,
        "__slots__": (),
        "__doc__": f"The OCF agent {path} as a resource type.",
        "type_name": name,
        "Properties": meta_data_properties(meta, qualname),
        "agent_path": str(path),
        "agent_provider": provider,
        "agent_type": agent_type,
        "ocf_root": ocf_root,
        "meta_data": meta,
        "pending_timeout": _limit_ms(meta, ("start", "stop")),
        "deadlock_timeout": max(Resource.deadlock_timeout, _limit_ms(meta, meta.timeouts)),
    }
    if meta.looks_alive_interval:
        namespace["looks_alive_poll_interval"] = int(meta.looks_alive_interval * 1000)
    if meta.is_alive_interval:
        namespace["is_alive_poll_interval"] = int(meta.is_alive_interval * 1000)
    cls = type(qualname, (OcfAgentResource,), namespace)
    _TYPES[qualname] = cls
    return cls


def __getattr__(name: str) -> type[Resource]:
    """Resolve the import path of a built type (``resapi._ocf._type:ocf__heartbeat__Dummy``)."""
    if name in _TYPES:
        return _TYPES[name]
    if name.startswith(_QUALNAME_PREFIX) and name.count("__") == 2:
        provider, _, agent_type = name[len(_QUALNAME_PREFIX) :].partition("__")
        try:
            return ocf_resource_type(f"ocf:{provider}:{agent_type}")
        except ClusterError as exc:
            raise AttributeError(f"{name}: {exc}") from exc
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
