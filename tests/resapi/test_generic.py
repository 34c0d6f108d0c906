"""The generic resource types: Generic Application (a real child process) and Generic Script
(a real Python file), each driven through resapi.testing like any other resource type.

These run on real time, not virtual time: they wait on real processes and threads. Waits are
on conditions, with anyio.fail_after; only waits on OS processes poll (every 10 ms).
"""

from __future__ import annotations

import os
import re
import shlex
import sys
import textwrap
from typing import TYPE_CHECKING

import anyio
import pytest

import resapi
from resapi import (
    ClusterError,
    GenericApplication,
    GenericScript,
    InvalidParameterError,
    LogLevel,
    PropertyError,
    PropertyFormat,
    ResourceState,
    Win32Error,
)
from resapi.testing import check_resource, run_resource

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from resapi.testing import ResourceHarness

ONLINE, OFFLINE, FAILED = ResourceState.ONLINE, ResourceState.OFFLINE, ResourceState.FAILED

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signal semantics")


async def wait_until(condition: Callable[[], bool]) -> None:
    """Wait for something a real OS process makes happen: its output reaching the log, its
    exit reaching the host. No event announces those to a test, so this polls."""
    with anyio.fail_after(5):
        while not condition():  # noqa: ASYNC110  (nothing to wait on but the condition)
            await anyio.sleep(0.01)


def pid_exists(pid: int) -> bool:
    """Whether a process with this PID exists (POSIX: signal 0 only checks)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def logged(h: ResourceHarness, text: str, level: LogLevel | None = None) -> bool:
    return any(text in e.message and (level is None or e.level is level) for e in h.log)


# -- Generic Application ----------------------------------------------------------------------


def app(tmp_path: Path, code: str = "import time; time.sleep(600)", **extra: object):
    """Properties that run ``python -c code`` in ``tmp_path``."""
    command = shlex.join([sys.executable, "-c", code])
    return {"CommandLine": command, "CurrentDirectory": str(tmp_path), **extra}


def test_application_property_table_mirrors_mscs():
    table = GenericApplication.Properties
    assert GenericApplication.type_name == "Generic Application"
    assert table.names() == (
        "CommandLine",
        "CurrentDirectory",
        "UseNetworkName",
        "GracefulStopTimeout",
    )
    assert table.formats() == {
        "CommandLine": PropertyFormat.SZ,
        "CurrentDirectory": PropertyFormat.SZ,
        "UseNetworkName": PropertyFormat.DWORD,
        "GracefulStopTimeout": PropertyFormat.DWORD,
    }
    assert table.item("command_line").required
    assert table.item("current_directory").required
    assert table.item("UseNetworkName").default is False
    stop = table.item("GracefulStopTimeout")
    assert (stop.default, stop.minimum, stop.required) == (10000, 0, False)
    with pytest.raises(PropertyError, match="GracefulStopTimeout"):
        table.verify({"GracefulStopTimeout": -1})


@posix_only  # pid_exists: os.kill(pid, 0) would end the process on Windows
@pytest.mark.asyncio
async def test_application_comes_online_and_offline_stops_the_process(tmp_path):
    async with run_resource(GenericApplication, properties=app(tmp_path)) as h:
        assert await h.online() is ONLINE
        resource = h.resource
        assert isinstance(resource, GenericApplication)
        pid = resource.pid
        assert pid is not None
        assert pid_exists(pid)
        assert await h.looks_alive() is True
        assert await h.is_alive() is True
        assert logged(h, f"started process {pid}: ")

        assert await h.offline() is OFFLINE
        assert resource.pid is None
        assert not pid_exists(pid)  # reaped, not a zombie
        assert await resource.is_alive() is False
        assert await resource.looks_alive() is False
        # Python dies of SIGTERM at once: no kill needed, and no failure reported.
        assert not logged(h, "killing it")
        assert logged(h, f"process {pid} was killed by SIGTERM (15)")
        assert h.failures == []
    assert h.states() == [
        OFFLINE,
        ResourceState.ONLINE_PENDING,
        ONLINE,
        ResourceState.OFFLINE_PENDING,
        OFFLINE,
    ]


@pytest.mark.asyncio
async def test_application_runs_in_its_directory_and_its_output_is_logged(tmp_path):
    code = (
        "import os, sys, time; print(os.getcwd(), flush=True); "
        "print('to stderr', file=sys.stderr, flush=True); time.sleep(600)"
    )
    async with run_resource(GenericApplication, properties=app(tmp_path, code)) as h:
        assert await h.online() is ONLINE
        here = f"stdout: {await anyio.Path(tmp_path).resolve()}"
        await wait_until(lambda: logged(h, here) and logged(h, "stderr: to stderr"))
        assert all(e.level is LogLevel.INFORMATION for e in h.log if "std" in e.message)


@pytest.mark.asyncio
async def test_application_exit_is_signalled_and_verified_as_a_failure(tmp_path):
    code = "import sys; print('bye', flush=True); sys.exit(3)"
    async with run_resource(GenericApplication, properties=app(tmp_path, code)) as h:
        assert await h.online() is ONLINE
        resource = h.resource
        assert isinstance(resource, GenericApplication)
        # The worker signals the failure; the host verifies with IsAlive, fails, terminates.
        await wait_until(lambda: h.state is FAILED and resource.pid is None)
        assert [f.application_error for f in h.failures] == [3]
        assert logged(h, "exited with code 3; the resource has failed", LogLevel.ERROR)
        assert logged(h, "failed: IsAlive returned False", LogLevel.ERROR)
        assert h.states()[-2:] == [ONLINE, FAILED]


@posix_only
@pytest.mark.asyncio
async def test_offline_lets_the_program_stop_gracefully_and_logs_its_last_words(tmp_path):
    code = textwrap.dedent(
        """\
        import signal, sys, time
        def stop(*_):
            print("stopping", flush=True)
            sys.exit(0)
        signal.signal(signal.SIGTERM, stop)
        print("ready", flush=True)
        time.sleep(600)
        """
    )
    async with run_resource(GenericApplication, properties=app(tmp_path, code)) as h:
        assert await h.online() is ONLINE
        resource = h.resource
        assert isinstance(resource, GenericApplication)
        pid = resource.pid
        await wait_until(lambda: logged(h, "stdout: ready"))
        assert await h.offline() is OFFLINE
        # Offline returns only once the output written while stopping is in the log.
        assert logged(h, "stdout: stopping")
        assert logged(h, f"process {pid} exited with code 0")
        assert not logged(h, "killing it")
        assert h.failures == []


@posix_only
@pytest.mark.asyncio
async def test_offline_kills_a_process_that_ignores_sigterm(tmp_path):
    code = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('ready', flush=True); time.sleep(600)"
    )
    props = app(tmp_path, code, GracefulStopTimeout=200)
    async with run_resource(GenericApplication, properties=props) as h:
        assert await h.online() is ONLINE
        resource = h.resource
        assert isinstance(resource, GenericApplication)
        pid = resource.pid
        assert pid is not None
        # Only once it printed is SIGTERM sure to be ignored rather than fatal.
        await wait_until(lambda: logged(h, "stdout: ready"))

        start = anyio.current_time()
        assert await h.offline() is OFFLINE
        assert anyio.current_time() - start >= 0.2
        assert not pid_exists(pid)
        assert logged(h, "did not exit within 200 ms of SIGTERM", LogLevel.WARNING)
        assert logged(h, f"process {pid} was killed by SIGKILL (9)")
        assert h.failures == []


@posix_only
@pytest.mark.asyncio
async def test_terminate_kills_at_once(tmp_path):
    async with run_resource(GenericApplication, properties=app(tmp_path)) as h:
        assert await h.online() is ONLINE
        resource = h.resource
        assert isinstance(resource, GenericApplication)
        pid = resource.pid
        assert pid is not None
        await h.terminate()
        assert h.state is OFFLINE
        assert resource.pid is None
        assert not pid_exists(pid)
        assert h.failures == []
        # The next online starts a new process.
        assert await h.online() is ONLINE
        assert resource.pid not in (None, pid)


@pytest.mark.asyncio
async def test_missing_command_line_fails_online_naming_it(tmp_path):
    props = {"CurrentDirectory": str(tmp_path)}
    async with run_resource(GenericApplication, properties=props) as h:
        assert await h.online() is FAILED
        assert any("CommandLine" in m for m in h.messages(LogLevel.ERROR))


@pytest.mark.parametrize(
    ("directory", "problem"),
    [
        ("relative/dir", "not an absolute path"),
        ("missing", "not an existing directory"),
        ("a-file", "not an existing directory"),
    ],
)
@pytest.mark.asyncio
async def test_bad_current_directory_is_rejected(tmp_path, directory, problem):
    (tmp_path / "a-file").write_text("")
    value = directory if directory.startswith("relative") else str(tmp_path / directory)
    async with run_resource(GenericApplication, properties=app(tmp_path)) as h:
        h.set_properties(CurrentDirectory=value)
        with pytest.raises(InvalidParameterError) as info:
            await h.resource.online()
        assert info.value.winerror is Win32Error.ERROR_INVALID_PARAMETER
        assert "'CurrentDirectory'" in str(info.value)
        assert problem in str(info.value)
        assert info.value.fix is not None
        assert "absolute path" in info.value.fix
        # Through the host: the online fails and the log says why.
        assert await h.online() is FAILED
        assert any(problem in m and "CurrentDirectory" in m for m in h.messages(LogLevel.ERROR))


@pytest.mark.parametrize(
    ("command_line", "problem"),
    [("   ", "names no program"), ("python 'unclosed", "cannot be split into arguments")],
)
@pytest.mark.asyncio
async def test_bad_command_line_is_rejected(tmp_path, command_line, problem):
    props = {"CommandLine": command_line, "CurrentDirectory": str(tmp_path)}
    async with run_resource(GenericApplication, properties=props) as h:
        with pytest.raises(InvalidParameterError, match=problem) as info:
            await h.resource.online()
        assert info.value.winerror is Win32Error.ERROR_INVALID_PARAMETER
        assert "'CommandLine'" in str(info.value)


@pytest.mark.asyncio
async def test_missing_program_fails_online(tmp_path):
    program = str(tmp_path / "no-such-program")
    props = {"CommandLine": f"{program} --flag", "CurrentDirectory": str(tmp_path)}
    async with run_resource(GenericApplication, properties=props) as h:
        with pytest.raises(ClusterError) as info:
            await h.resource.online()
        assert info.value.winerror is Win32Error.ERROR_FILE_NOT_FOUND
        assert program in str(info.value)
        assert await h.online() is FAILED


@pytest.mark.asyncio
async def test_use_network_name_is_accepted_with_a_warning(tmp_path):
    async with run_resource(GenericApplication, properties=app(tmp_path, UseNetworkName=True)) as h:
        assert await h.online() is ONLINE
        assert logged(h, "UseNetworkName is set", LogLevel.WARNING)


@pytest.mark.asyncio
async def test_generic_application_passes_the_conformance_check(tmp_path):
    report = await check_resource(GenericApplication, properties=app(tmp_path))
    assert report.ok, report
    assert report.breaches == (), report


# -- Generic Script ---------------------------------------------------------------------------


class Script:
    """A control script in ``tmp_path`` whose functions append their names to a file."""

    def __init__(self, tmp_path: Path, body: str, name: str = "control.py") -> None:
        self.record = tmp_path / f"{name}.calls"
        self.path = tmp_path / name
        header = textwrap.dedent(
            f"""\
            import asyncio, sys, threading

            def note(what):
                with open({str(self.record)!r}, "a") as f:
                    f.write(what + "\\n")

            def where():
                return "loop" if threading.current_thread() is threading.main_thread() else "thread"

            note("load")
            """
        )
        self.path.write_text(header + textwrap.dedent(body))
        self._seen = 0

    @property
    def properties(self) -> dict[str, object]:
        return {"ScriptFilepath": str(self.path)}

    def calls(self) -> list[str]:
        return self.record.read_text().split() if self.record.exists() else []

    def new_calls(self) -> list[str]:
        """The calls since the last time this was asked."""
        calls = self.calls()
        new, self._seen = calls[self._seen :], len(calls)
        return new


FULL = """
def Open(): note("Open")
def Online(): note("Online")
def Offline(): note("Offline")
def Close(): note("Close")
def Terminate(): note("Terminate")
def LooksAlive():
    note("LooksAlive")
    return True
def IsAlive():
    note("IsAlive")
    return True
"""


def loaded(h: ResourceHarness) -> bool:
    resource = h.resource
    assert isinstance(resource, GenericScript)
    return resource.script_loaded


def test_script_property_table_mirrors_mscs():
    assert GenericScript.type_name == "Generic Script"
    assert GenericScript.Properties.names() == ("ScriptFilepath",)
    item = GenericScript.Properties.item("script_filepath")
    assert (item.format, item.required) == (PropertyFormat.SZ, True)


@pytest.mark.asyncio
async def test_script_calls_follow_the_generic_script_mapping(tmp_path):
    script = Script(tmp_path, FULL)
    async with run_resource(GenericScript, properties=script.properties) as h:
        assert script.new_calls() == ["load", "Open", "Close"]  # Open: load, Open, Close, unload
        assert not loaded(h)

        assert await h.online() is ONLINE
        assert script.new_calls() == ["load", "Open", "Online"]  # stays loaded
        assert loaded(h)

        assert await h.looks_alive() is True
        assert await h.is_alive() is True
        assert script.new_calls() == ["LooksAlive", "IsAlive"]  # directly, no load

        assert await h.offline() is OFFLINE
        assert script.new_calls() == ["Offline", "Close"]  # then unload
        assert not loaded(h)

        assert await h.online() is ONLINE
        script.new_calls()
        await h.terminate()  # loaded: no load, but Open all the same
        assert script.new_calls() == ["Open", "Terminate", "Close"]
        assert not loaded(h)

        await h.terminate()  # nothing loaded: load first
        assert script.new_calls() == ["load", "Open", "Terminate", "Close"]
        assert not loaded(h)
    assert script.new_calls() == ["load", "Open", "Close"]  # Close: load, Open, Close, unload
    assert not h.messages(LogLevel.WARNING)


@pytest.mark.asyncio
async def test_script_globals_start_over_on_every_load(tmp_path):
    body = """
    count = 0
    def Online():
        global count
        count += 1
        note(f"count={count}")
    def LooksAlive(): return True
    def IsAlive(): return True
    """
    script = Script(tmp_path, body)
    async with run_resource(GenericScript, properties=script.properties) as h:
        for _ in range(2):
            assert await h.online() is ONLINE
            assert await h.offline() is OFFLINE
    assert [c for c in script.calls() if c.startswith("count")] == ["count=1", "count=1"]


@pytest.mark.asyncio
async def test_script_functions_may_be_sync_or_async(tmp_path):
    body = """
    def Open(): note("Open@" + where())
    async def Online():
        await asyncio.sleep(0)
        note("Online@" + where())
    def LooksAlive():
        note("LooksAlive@" + where())
        return True
    async def IsAlive():
        note("IsAlive@" + where())
        return 0
    async def Offline(): note("Offline@" + where())
    def Close(): note("Close@" + where())
    """
    script = Script(tmp_path, body)
    async with run_resource(GenericScript, properties=script.properties) as h:
        script.new_calls()
        assert await h.online() is ONLINE
        assert await h.looks_alive() is True
        assert await h.is_alive() is True
        assert await h.offline() is OFFLINE
        # Plain functions run in a worker thread, coroutines in the event loop.
        assert script.new_calls() == [
            "load",
            "Open@thread",
            "Online@loop",
            "LooksAlive@thread",
            "IsAlive@loop",
            "Offline@loop",
            "Close@thread",
        ]
    assert not h.messages(LogLevel.WARNING)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("def LooksAlive(): return True\n", "defines no IsAlive function"),
        ("def Online(): pass\n", "defines no LooksAlive and no IsAlive function"),
        ("def LooksAlive(): return True\nIsAlive = 5\n", "defines IsAlive as 5, not a function"),
        ("def LooksAlive(): return True\ndef IsAlive(x): return x\n", "IsAlive with parameters"),
        ("def IsAlive(:\n", "does not compile at line"),
        ("raise RuntimeError('no config')\n", "raised RuntimeError('no config') while loading"),
    ],
    ids=["no-IsAlive", "neither", "not-callable", "parameters", "syntax", "raises"],
)
@pytest.mark.asyncio
async def test_a_broken_script_fails_to_open_clearly(tmp_path, body, message):
    script = Script(tmp_path, body)
    async with run_resource(GenericScript, properties=script.properties, open=False) as h:
        with pytest.raises(InvalidParameterError, match=re.escape(message)) as info:
            await h.open()
        assert info.value.winerror is Win32Error.ERROR_INVALID_DATA
        assert str(script.path) in str(info.value)
        assert info.value.fix
        assert any(message in m for m in h.messages(LogLevel.ERROR))


@pytest.mark.asyncio
async def test_script_load_error_names_the_line(tmp_path):
    script = Script(tmp_path, "x = 1\ny = 1 / 0\n")
    async with run_resource(GenericScript, properties=script.properties, open=False) as h:
        line = script.path.read_text().splitlines().index("y = 1 / 0") + 1
        with pytest.raises(
            InvalidParameterError, match=rf"ZeroDivisionError.*line {line} of"
        ) as info:
            await h.open()
        assert info.value.fix is not None
        assert "runs on every load" in info.value.fix


@pytest.mark.parametrize(
    ("online", "reason"),
    [
        ("def Online(): return False", "Online returned False"),
        ("def Online(): return 3", "Online returned 3"),
        ("async def Online(): return False", "Online returned False"),
        ("def Online(): raise RuntimeError('boom')", "Online raised RuntimeError('boom') (line"),
        ("def Online(): sys.exit(2)", "Online called sys.exit(2)"),
        ("def Online(): return 'ok'", "Online returned 'ok', which is not None, a bool or an int"),
    ],
)
@pytest.mark.asyncio
async def test_a_failing_online_fails_the_resource_and_terminates_it(tmp_path, online, reason):
    body = FULL.replace('def Online(): note("Online")', online)
    script = Script(tmp_path, body)
    async with run_resource(GenericScript, properties=script.properties) as h:
        script.new_calls()
        assert await h.online() is FAILED
        assert any(reason in m for m in h.messages(LogLevel.ERROR))
        # The instance Online left loaded is the one Terminate runs on: no second load.
        assert script.new_calls() == ["load", "Open", "Open", "Terminate", "Close"]
        assert not loaded(h)


@pytest.mark.asyncio
async def test_a_hung_plain_function_is_abandoned_when_the_host_gives_up(tmp_path):
    release = tmp_path / "release"
    body = f"""
    import os, time
    def Online():
        note("Online")
        while not os.path.exists({str(release)!r}):
            time.sleep(0.005)
        note("Online-returned")
    def Terminate(): note("Terminate")
    def LooksAlive(): return True
    def IsAlive(): return True
    """
    script = Script(tmp_path, body)
    props = script.properties
    async with run_resource(GenericScript, properties=props, pending_timeout=0.05) as h:
        script.new_calls()
        # PendingTimeout cancels the online; the host does not wait for the stuck thread.
        assert await h.online() is FAILED
        calls = script.new_calls()
        assert calls[0] == "load"
        assert sorted(calls[1:]) == ["Online", "Terminate"]  # the thread may note late
        release.write_text("")
        await wait_until(lambda: "Online-returned" in script.calls())
        assert not loaded(h)


@pytest.mark.asyncio
async def test_a_failing_open_fails_open_without_close(tmp_path):
    script = Script(tmp_path, FULL.replace('def Open(): note("Open")', "def Open(): return 1"))
    async with run_resource(GenericScript, properties=script.properties, open=False) as h:
        with pytest.raises(ClusterError, match=r"Open of the script .* returned 1") as info:
            await h.open()
        assert info.value.winerror is Win32Error.ERROR_RESMON_CREATE_FAILED
        assert script.calls() == ["load"]


@pytest.mark.asyncio
async def test_a_failing_offline_keeps_the_instance_for_terminate(tmp_path):
    body = FULL.replace('def Offline(): note("Offline")', "def Offline():\n    return False")
    script = Script(tmp_path, body)
    async with run_resource(GenericScript, properties=script.properties) as h:
        assert await h.online() is ONLINE
        script.new_calls()
        assert await h.offline() is FAILED
        assert script.new_calls() == ["Open", "Terminate", "Close"]
        assert any("Offline returned False" in m for m in h.messages(LogLevel.ERROR))


@pytest.mark.parametrize(
    ("returns", "alive"),
    [
        ("pass", True),
        ("return True", True),
        ("return 0", True),
        ("return False", False),
        ("return 1", False),
        ("return 'yes'", False),
        ("raise ValueError('probe')", False),
    ],
)
@pytest.mark.asyncio
async def test_is_alive_result_follows_the_return_value(tmp_path, returns, alive):
    body = f"def LooksAlive(): return True\ndef IsAlive():\n    {returns}\n"
    script = Script(tmp_path, body)
    async with run_resource(GenericScript, properties=script.properties) as h:
        assert await h.online() is ONLINE
        assert await h.is_alive() is alive
        # Success does not appear in the log; failure does, at LOG_ERROR.
        assert bool(h.messages(LogLevel.ERROR)) is not alive


@pytest.mark.asyncio
async def test_is_alive_false_fails_the_resource(tmp_path):
    body = FULL.replace('note("IsAlive")\n    return True', 'note("IsAlive")\n    return False')
    script = Script(tmp_path, body)
    async with run_resource(GenericScript, properties=script.properties) as h:
        assert await h.online() is ONLINE
        script.new_calls()
        assert await h.check_health(thorough=True) is False
        assert h.state is FAILED
        assert script.new_calls() == ["IsAlive", "Open", "Terminate", "Close"]


@pytest.mark.asyncio
async def test_looks_alive_false_is_a_warning_and_asks_is_alive(tmp_path):
    body = FULL.replace(
        'note("LooksAlive")\n    return True', 'note("LooksAlive")\n    return 0 > 1'
    )
    script = Script(tmp_path, body)
    async with run_resource(GenericScript, properties=script.properties) as h:
        assert await h.online() is ONLINE
        script.new_calls()
        assert await h.check_health() is True
        assert h.state is ONLINE
        assert script.new_calls() == ["LooksAlive", "IsAlive"]
        assert logged(h, "LooksAlive returned False", LogLevel.WARNING)


@pytest.mark.asyncio
async def test_looks_alive_and_is_alive_say_false_with_no_instance_loaded(tmp_path):
    script = Script(tmp_path, FULL)
    async with run_resource(GenericScript, properties=script.properties) as h:
        script.new_calls()
        assert await h.resource.looks_alive() is False
        assert await h.resource.is_alive() is False
        assert script.new_calls() == []


@pytest.mark.asyncio
async def test_the_resource_object_logs_and_reads_properties(tmp_path):
    body = """
    Resource.log("loading " + Resource.name)
    def Online():
        Resource.log_warning("warned from " + where())
        Resource.LogInformation("path " + Resource.properties.ScriptFilepath)
        try:
            Resource.properties.Nope
        except AttributeError as exc:
            Resource.log("no such property: " + str(exc))
    async def Offline():
        Resource.log_error("error from " + where() + " " + Resource.properties["script_filepath"])
    def LooksAlive(): return True
    def IsAlive(): return True
    """
    script = Script(tmp_path, body)
    async with run_resource(GenericScript, name="web", properties=script.properties) as h:
        assert await h.online() is ONLINE
        assert await h.offline() is OFFLINE
        entries = [(e.level, e.message) for e in h.log if e.resource == "web"]
        path = str(script.path)
        assert (LogLevel.INFORMATION, "loading web") in entries
        assert (LogLevel.WARNING, "warned from thread") in entries
        assert (LogLevel.INFORMATION, f"path {path}") in entries
        assert (LogLevel.ERROR, f"error from loop {path}") in entries
        assert any("no such property: " in m and "'Nope'" in m for _, m in entries)


@pytest.mark.parametrize(
    ("value", "error", "code"),
    [
        ("relative/control.py", InvalidParameterError, Win32Error.ERROR_INVALID_PARAMETER),
        ("{tmp}/missing.py", ClusterError, Win32Error.ERROR_FILE_NOT_FOUND),
    ],
)
@pytest.mark.asyncio
async def test_bad_script_filepath_fails_open(tmp_path, value, error, code):
    props = {"ScriptFilepath": value.format(tmp=tmp_path)}
    async with run_resource(GenericScript, properties=props, open=False) as h:
        with pytest.raises(error, match=r"ScriptFilepath|missing\.py") as info:
            await h.open()
        assert info.value.winerror is code


@pytest.mark.asyncio
async def test_missing_script_filepath_fails_open_naming_it():
    async with run_resource(GenericScript, open=False) as h:
        with pytest.raises(PropertyError, match="ScriptFilepath") as info:
            await h.open()
        assert info.value.property_name == "ScriptFilepath"


@pytest.mark.asyncio
async def test_generic_script_passes_the_conformance_check(tmp_path):
    script = Script(tmp_path, FULL)
    report = await check_resource(GenericScript, properties=script.properties)
    assert report.ok, report
    assert report.breaches == (), report
    assert script.calls() == [
        *["load", "Open", "Close"],  # open
        *["load", "Open", "Online", "LooksAlive", "IsAlive"],  # online #1
        *["Offline", "Close"],  # offline #1 (is_alive after it: nothing loaded)
        *["load", "Open", "Online", "LooksAlive", "IsAlive"],  # online #2
        *["Open", "Terminate", "Close"],  # terminate
        *["load", "Open", "Online", "Offline", "Close"],  # online #3, offline #2
        *["load", "Open", "Close"],  # close
    ]


def test_generic_types_are_exported_from_resapi():
    assert resapi.GenericApplication is GenericApplication
    assert resapi.GenericScript is GenericScript
    assert GenericApplication.__module__ == GenericScript.__module__ == "resapi"
