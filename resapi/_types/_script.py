"""Generic Script: the functions of a script (``Online``, ``IsAlive``, ...) as a resource.

:class:`GenericScript` calls them with the exact load/unload sequence the Generic Script DLL
uses; here the script is a Python file instead of VBScript or JScript. An ordinary
:class:`~resapi.Resource` subclass, like :class:`~._application.GenericApplication`. See
docs/resource-api.md ("Generic types").
"""

from __future__ import annotations

import builtins
import inspect
import os
import threading
import traceback
from typing import TYPE_CHECKING, Final, final

import anyio

from clusapi._enums import LogLevel
from clusapi._errors import ClusterError, InvalidParameterError, PropertyError, make_error
from clusapi._properties import PropertyTable, prop
from clusapi._win32 import Win32Error

from .._resource import Resource

if TYPE_CHECKING:
    import types
    from collections.abc import Callable, Mapping

    from .._resource import ResourceContext

from ._application import os_error, path_error

__all__ = ("GenericScript",)


#: The functions a script may define; the last two are required (resapi.md §6).
_OPTIONAL_FUNCTIONS: Final = ("Open", "Online", "Offline", "Close", "Terminate")
_REQUIRED_FUNCTIONS: Final = ("LooksAlive", "IsAlive")

#: The value of ``__name__`` while a script runs.
_SCRIPT_MODULE_NAME: Final = "__generic_script__"


class _PropertyView:
    """``Resource.properties`` in a script: the private properties, read-only.

    Reach a property by its property name or attribute name, as an attribute or an item:
    ``Resource.properties.ScriptFilepath``, ``Resource.properties["script_filepath"]``.
    """

    __slots__ = ("_table",)

    def __init__(self, table: PropertyTable) -> None:
        self._table = table

    def __getattr__(self, key: str) -> object:
        try:
            return getattr(self._table, self._table.item(key).attribute)
        except PropertyError as exc:  # the message lists the properties there are
            raise AttributeError(exc.description) from None

    def __getitem__(self, key: str) -> object:
        try:
            return getattr(self._table, self._table.item(key).attribute)
        except PropertyError:
            raise KeyError(key) from None

    def to_dict(self) -> dict[str, object]:
        """Property name → value, for every private property."""
        return dict(self._table.to_dict())

    def __repr__(self) -> str:
        return f"<properties {self._table.to_dict()!r}>"


class _ScriptResource:
    """The ``Resource`` global of a Generic Script (mirrors the script ``Resource`` object).

    A script's functions may call these from any thread the resource runs them on (the
    event loop for ``async def`` functions, a worker thread for plain ones); not from threads
    the script starts itself.
    """

    __slots__ = ("_loop_thread", "_owner", "name", "properties")

    def __init__(self, owner: GenericScript, table: PropertyTable) -> None:
        self._owner = owner
        # Made in the event loop; log entries must be made there too (they read its clock).
        self._loop_thread = threading.get_ident()
        #: The resource's name (the MSCS object's ``Name``).
        self.name = owner.name
        #: The private properties as loaded for this script instance.
        self.properties = _PropertyView(table)

    def _log(self, level: LogLevel, message: object) -> None:
        if threading.get_ident() == self._loop_thread:
            self._owner.log(level, "%s", message)
        else:
            anyio.from_thread.run_sync(self._owner.log, level, "%s", message)

    def log(self, message: object) -> None:
        """Write ``message`` to the cluster log at ``LOG_INFORMATION``."""
        self._log(LogLevel.INFORMATION, message)

    def log_warning(self, message: object) -> None:
        """Write ``message`` to the cluster log at ``LOG_WARNING``."""
        self._log(LogLevel.WARNING, message)

    def log_error(self, message: object) -> None:
        """Write ``message`` to the cluster log at ``LOG_ERROR``."""
        self._log(LogLevel.ERROR, message)

    # The MSCS method's name, so that scripts ported from VBScript keep working.
    LogInformation = log

    def __repr__(self) -> str:
        return f"<Generic Script Resource {self.name!r}>"


class _Script:
    """One loaded instance of a script: its namespace and entry-point functions."""

    __slots__ = ("functions", "path")

    def __init__(self, path: str, functions: Mapping[str, Callable[[], object]]) -> None:
        self.path = path
        # The functions hold the namespace (their globals): dropping them is the unload.
        self.functions = functions


def _execute(code: types.CodeType, namespace: dict[str, object]) -> None:
    """Run a script's top level (in a worker thread: it may block, e.g. on imports)."""
    exec(code, namespace)  # executing the configured script is the point of this type


async def _invoke(function: Callable[[], object]) -> object:
    """Call a script function: ``async def`` in the event loop, ``def`` in a worker thread."""
    # A plain bool: as a TypeGuard in the if, it would narrow ``function`` wrongly in the else.
    is_async: bool = inspect.iscoroutinefunction(function)
    if is_async:
        result = function()
    else:
        # One script instance "on its own thread" (MSCS): plain functions may block.
        result = await anyio.to_thread.run_sync(function, abandon_on_cancel=True)
    if inspect.isawaitable(result):
        result = await result
    return result


def _line_in(exc: BaseException, path: str) -> str:
    """``" (line N of the script)"`` for the innermost frame of ``exc`` in the script."""
    lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__) if f.filename == path]
    return f" (line {lines[-1]} of the script)" if lines else ""


def _judge(result: object) -> str | None:
    """None if a script function's return value means success, else how it failed.

    Success: no return value (``None``), ``True`` or ``0``. Failure: ``False`` or any other
    int. Anything else is a failure too: a script that returns a string has a bug.
    """
    if result is None or result is True:
        return None
    if result is False:
        return "returned False"
    if isinstance(result, int):
        return None if result == 0 else f"returned {result}"
    return f"returned {result!r}, which is not None, a bool or an int"


@final
class GenericScript(Resource["GenericScript.Properties"]):
    """A resource whose entry points are functions of a Python script (the "Generic Script" type).

    Mirrors the Generic Script resource type of MSCS, with a Python file in place of a
    VBScript or JScript one. ``ScriptFilepath`` names the file; it defines plain functions
    without parameters, ``LooksAlive`` and ``IsAlive`` (required) and any of ``Open``,
    ``Online``, ``Offline``, ``Close``, ``Terminate``. Example script::

        import subprocess

        def Online():
            Resource.log("starting the daemon")
            return subprocess.call(["systemctl", "start", "mydaemon"])   # 0 = success

        def Offline():
            return subprocess.call(["systemctl", "stop", "mydaemon"])

        def LooksAlive():
            return True

        def IsAlive():
            return subprocess.call(["systemctl", "is-active", "--quiet", "mydaemon"]) == 0

    **Functions.** Each may be ``def`` (run in a worker thread with
    :func:`anyio.to_thread.run_sync`, so it may block) or ``async def`` (run in the monitor's
    event loop). Success is a return of ``None`` (no ``return``), ``True`` or ``0``; failure is
    ``False`` or another int, an exception, or ``SystemExit``; failures are written to the
    cluster log with the script line that raised. A failed ``Open`` or ``Online`` makes
    :meth:`open` or :meth:`online` raise; a failed ``LooksAlive`` or ``IsAlive`` answers
    False. A ``def`` function cancelled by the monitor (Terminate, PendingTimeout) keeps
    running in its thread until it returns, since Python cannot stop a thread; its result is
    then ignored.

    **Loading.** To load is to execute the file afresh in a new namespace, so script-level
    code runs on every load and globals start over. The namespace has ``__name__`` set to
    ``"__generic_script__"``, ``__file__`` to the path, and the global ``Resource``, which
    offers:

    - ``Resource.name``: the resource's name;
    - ``Resource.properties``: the private properties, read-only, by property or attribute
      name (``Resource.properties.ScriptFilepath``, ``Resource.properties["ScriptFilepath"]``,
      ``.to_dict()``);
    - ``Resource.log(msg)``, ``Resource.log_warning(msg)``, ``Resource.log_error(msg)``: write
      to the cluster log at ``LOG_INFORMATION``, ``LOG_WARNING``, ``LOG_ERROR``;
      ``Resource.LogInformation(msg)`` is ``log``, under the MSCS name.

    Not offered: ``AddProperty``/``RemoveProperty`` of the MSCS object (properties are set
    through the cluster, not by the resource), and calls into the cluster (MSCS forbids them
    in scripts: they deadlock).

    **Call mapping** (resapi.md §6, the "Scripting Entry Points" table), one script instance
    per resource:

    ====================  ====================================================
    entry point           script calls
    ====================  ====================================================
    open                  load, Open, Close, unload
    online                load, Open, Online (the instance stays loaded)
    offline               Offline, Close, unload
    close                 load, Open, Close, unload
    terminate             load if none is loaded, Open, Terminate, Close, unload
    looks_alive/is_alive  LooksAlive / IsAlive on the loaded instance
    ====================  ====================================================

    In open and online a failed step ends the sequence (a loaded instance stays loaded
    after a failed Online or Offline, so Terminate runs on its state); in close and
    terminate every step runs and failures are only logged. LooksAlive and IsAlive answer
    False when no instance is loaded.

    .. versionadded:: 0.1.0
    """

    class Properties(PropertyTable):
        """The private property of a Generic Script (registry name as in MSCS)."""

        script_filepath: str = prop(
            required=True, description="absolute path of the Python script to run"
        )

    type_name = "Generic Script"

    __slots__ = ("_script",)

    def __init__(self, context: ResourceContext) -> None:
        super().__init__(context)
        self._script: _Script | None = None

    @property
    def script_loaded(self) -> bool:
        """True while a script instance is loaded: from Online until Offline or Terminate."""
        return self._script is not None

    # -- entry points ---------------------------------------------------------------------

    async def open(self) -> None:
        """Load the script, call ``Open`` and ``Close``, unload it (mirrors ``Open``).

        Loading at open finds a missing or broken script before the first online.

        Raises:
            PropertyError: ERROR_FILE_NOT_FOUND if ``ScriptFilepath`` is not set.
            InvalidParameterError: ERROR_INVALID_PARAMETER if ``ScriptFilepath`` is not
                absolute; ERROR_INVALID_DATA if the script does not compile, raises while
                loading, lacks ``LooksAlive`` or ``IsAlive``, or defines an entry point that
                is not a function without parameters.
            ClusterError: ERROR_FILE_NOT_FOUND (as
                :class:`clusapi.RegistryEntryNotFoundError`) if the file does not exist,
                ERROR_ACCESS_DENIED if it cannot be read; ERROR_RESMON_CREATE_FAILED if
                ``Open`` failed.
        """
        script = await self._load()
        reason = await self._call(script, "Open")
        if reason is not None:
            raise self._failure(Win32Error.ERROR_RESMON_CREATE_FAILED, script, "Open", reason)
        await self._call(script, "Close")

    async def online(self) -> None:
        """Load the script and call ``Open`` and ``Online`` (mirrors ``Online``).

        Raises:
            ResourceFailedError: ERROR_RESMON_ONLINE_FAILED if ``Open`` or ``Online`` failed.
            InvalidParameterError, ClusterError: if the script cannot be loaded, as for
                :meth:`open`.
        """
        self._script = None  # an instance a failed run left behind would be stale now
        script = await self._load()
        self._script = script
        for name in ("Open", "Online"):
            reason = await self._call(script, name)
            if reason is not None:
                raise self._failure(Win32Error.ERROR_RESMON_ONLINE_FAILED, script, name, reason)

    async def offline(self) -> None:
        """Call ``Offline`` and ``Close``, then unload the script (mirrors ``Offline``).

        Raises:
            ResourceFailedError: ERROR_RESOURCE_FAILED if ``Offline`` failed (``Close`` is
                not called and the instance stays loaded for Terminate).
        """
        script = self._script
        if script is None:
            return  # a Terminate that overlapped this call has unloaded it already
        reason = await self._call(script, "Offline")
        if reason is not None:
            raise self._failure(Win32Error.ERROR_RESOURCE_FAILED, script, "Offline", reason)
        await self._call(script, "Close")
        self._unload(script)

    async def terminate(self) -> None:
        """Call ``Open``, ``Terminate``, ``Close``, loading first if needed; then unload
        (mirrors ``Terminate``). Never raises: failures are logged."""
        script = self._script
        if script is None:
            try:
                script = await self._load()
            except ClusterError as exc:
                self.log.error("Terminate could not load the script: %s", exc)
                return
        for name in ("Open", "Terminate", "Close"):
            await self._call(script, name)
        self._unload(script)

    async def close(self) -> None:
        """Load the script, call ``Open`` and ``Close``, unload it (mirrors ``Close``).

        Never raises: failures are logged.
        """
        try:
            script = await self._load()
        except ClusterError as exc:
            self.log.error("Close could not load the script: %s", exc)
            return
        for name in ("Open", "Close"):
            await self._call(script, name)

    async def looks_alive(self) -> bool:
        """Call ``LooksAlive`` on the loaded instance (mirrors ``LooksAlive``)."""
        script = self._script
        return script is not None and await self._call(script, "LooksAlive") is None

    async def is_alive(self) -> bool:
        """Call ``IsAlive`` on the loaded instance (mirrors ``IsAlive``)."""
        script = self._script
        return script is not None and await self._call(script, "IsAlive") is None

    # -- internals ------------------------------------------------------------------------

    def _unload(self, script: _Script) -> None:
        # Dropping the namespace is the unload; a thread still running one of its functions
        # (abandoned by a cancelled call) keeps it alive until it returns.
        if self._script is script:
            self._script = None

    async def _load(self) -> _Script:
        """Execute the script afresh and check its entry points."""
        table = self.properties
        path = table.script_filepath
        if not os.path.isabs(path):
            raise path_error(self.name, "ScriptFilepath", path, "not an absolute path", "file")
        try:
            source = await anyio.Path(path).read_bytes()
        except OSError as exc:
            raise os_error(
                exc,
                f"resource {self.name!r} cannot read its script {path!r}",
                "set ScriptFilepath to a readable Python file",
            ) from exc
        namespace: dict[str, object] = {
            "__name__": _SCRIPT_MODULE_NAME,
            "__file__": path,
            "__builtins__": builtins,
            "Resource": _ScriptResource(self, table),
        }
        try:
            code = compile(source, path, "exec")
        except (SyntaxError, ValueError) as exc:  # ValueError: NUL bytes in the source
            where = f" at line {exc.lineno}" if isinstance(exc, SyntaxError) else ""
            raise self._bad_script(
                path,
                f"does not compile{where}: {exc}",
                f"check it with `python -m py_compile {path}`",
            ) from exc
        try:
            await anyio.to_thread.run_sync(_execute, code, namespace, abandon_on_cancel=True)
        except (Exception, SystemExit) as exc:
            raise self._bad_script(
                path,
                f"raised {exc!r} while loading{_line_in(exc, path)}",
                "fix the script-level code; it runs on every load",
            ) from exc
        return _Script(path, self._entry_points(path, namespace))

    def _entry_points(
        self, path: str, namespace: Mapping[str, object]
    ) -> dict[str, Callable[[], object]]:
        missing = [name for name in _REQUIRED_FUNCTIONS if name not in namespace]
        if missing:
            raise self._bad_script(
                path,
                f"defines no {' and no '.join(missing)} function",
                "a Generic Script must define LooksAlive and IsAlive "
                "(and may define Open, Online, Offline, Close, Terminate)",
            )
        functions: dict[str, Callable[[], object]] = {}
        for name in (*_OPTIONAL_FUNCTIONS, *_REQUIRED_FUNCTIONS):
            function = namespace.get(name)
            if function is None and name in _OPTIONAL_FUNCTIONS:
                continue
            if not callable(function):
                raise self._bad_script(
                    path, f"defines {name} as {function!r}, not a function", f"def {name}(): ..."
                )
            try:
                inspect.signature(function).bind()
            except TypeError:
                raise self._bad_script(
                    path,
                    f"defines {name} with parameters",
                    f"define {name}() without parameters; read settings from Resource.properties",
                ) from None
            except ValueError:
                pass  # no signature to check (some builtins): find out when it is called
            functions[name] = function
        return functions

    async def _call(self, script: _Script, name: str) -> str | None:
        """Call one function of the script; None on success, else why it failed (logged)."""
        function = script.functions.get(name)
        if function is None:
            return None  # an optional function not defined: success, as an unset return
        reason: str | None
        try:
            result = await _invoke(function)
        except SystemExit as exc:  # sys.exit(code) is a script's way to return a code
            reason = _judge(exc.code) and f"called sys.exit({exc.code!r})"
        except Exception as exc:
            reason = f"raised {exc!r}{_line_in(exc, script.path)}"
        else:
            reason = _judge(result)
        if reason is not None:
            # A LooksAlive failure is only a possible one: IsAlive decides.
            level = LogLevel.WARNING if name == "LooksAlive" else LogLevel.ERROR
            self.log(level, "script %s: %s %s", script.path, name, reason)
        return reason

    def _failure(self, code: Win32Error, script: _Script, name: str, reason: str) -> ClusterError:
        return make_error(
            code,
            f"{name} of the script {script.path!r} of resource {self.name!r} {reason}",
            fix=f"make {name} return None, True or 0 on success",
        )

    def _bad_script(self, path: str, what: str, fix: str) -> InvalidParameterError:
        return InvalidParameterError(
            Win32Error.ERROR_INVALID_DATA,
            f"the script {path!r} of resource {self.name!r} {what}",
            fix=fix,
        )
