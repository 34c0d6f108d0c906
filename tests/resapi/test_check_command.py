"""``python -m resapi check MODULE:CLASS``: exit 0 on a good type, 1 naming each breach on a
broken one, 2 (usage) on a type or property that cannot be used.

Most cases call ``main(argv)`` in-process (the command runs the kit on the real clock, and the
types here neither sleep nor do I/O); two run the real ``python -m resapi`` to show the exit
status a CI job sees.
"""

from __future__ import annotations

import pathlib
import socket
import subprocess
import sys
from typing import Final

import pytest

from resapi.__main__ import main
from resapi.testing._command import parse_properties
from tests.resapi._broken_types import TargetProperties

ROOT: Final = pathlib.Path(__file__).resolve().parents[2]
TYPES: Final = "tests.resapi._broken_types"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_command(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "resapi", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run the command, expecting a usage error; return what it wrote to stderr."""
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # no report for a check that did not run
    return captured.err


# -- what a CI job sees ------------------------------------------------------------------------


def test_the_echo_server_example_passes_with_exit_status_0():
    done = run_command(
        "check", "examples.echo_server:EchoServer", "--property", f"port={free_port()}"
    )
    assert (done.returncode, done.stderr) == (0, "")
    lines = done.stdout.splitlines()
    assert lines[0] == (
        "conformance check of examples.echo_server:EchoServer (resource type 'Echo Server')"
    )
    assert lines[-1] == "PASS: 14 steps, 0 errors, 0 warnings"
    assert all(line.startswith("  ok    ") for line in lines[1:-1])


def test_a_broken_type_exits_1_naming_the_breach():
    done = run_command("check", f"{TYPES}:Sticky")
    assert (done.returncode, done.stderr) == (1, "")
    assert (
        "  [error] is_alive after offline: is_alive() still says True after offline; "
        "offline must stop it"
    ) in done.stdout.splitlines()
    assert done.stdout.splitlines()[-1] == "FAIL: 14 steps, 1 errors, 0 warnings"


# -- the report --------------------------------------------------------------------------------


def test_the_report_marks_the_step_that_broke_the_contract(capsys: pytest.CaptureFixture[str]):
    assert main(["check", f"{TYPES}:Sticky"]) == 1
    steps = {
        line[8:35].strip(): line[2:6].strip() for line in capsys.readouterr().out.splitlines()[1:15]
    }
    assert len(steps) == 14
    assert steps["is_alive after offline"] == "FAIL"
    assert [step for step, verdict in steps.items() if verdict != "ok"] == [
        "is_alive after offline"
    ]


def test_a_check_cut_short_says_where_it_stopped(capsys: pytest.CaptureFixture[str]):
    assert main(["check", f"{TYPES}:OnlineRaises"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[2].startswith("  FAIL  online #1 ")
    assert out[3] == "  (stopped after 'online #1': the later steps need it)"
    assert "  [error] online #1: failed: Online raised RuntimeError('cannot bind')" in out
    assert out[-1] == "FAIL: 2 steps, 1 errors, 0 warnings"


def test_warnings_pass_unless_strict(capsys: pytest.CaptureFixture[str]):
    assert main(["check", f"{TYPES}:SignalsFailure"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "  [warning] (any): signal_failure(GENERAL) during a clean run" in out
    assert out[-1] == "PASS: 14 steps, 0 errors, 2 warnings"

    assert main(["check", "--strict", f"{TYPES}:SignalsFailure"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "FAIL: 14 steps, 0 errors, 2 warnings (--strict: warnings fail)"


# -- the type: exit status 2 naming what is wrong ------------------------------------------------


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("examples.echo_server", "bad resource type 'examples.echo_server': expected MODULE:CLASS"),
        (":EchoServer", "bad resource type ':EchoServer': expected MODULE:CLASS"),
        (
            "examples.no_such_module:EchoServer",
            "cannot import module 'examples.no_such_module' of "
            "'examples.no_such_module:EchoServer': ModuleNotFoundError",
        ),
        (
            "examples.echo_server:NoSuchClass",
            "module 'examples.echo_server' has no attribute 'NoSuchClass'; name the class",
        ),
        (f"{TYPES}:NOT_A_TYPE", f"'{TYPES}:NOT_A_TYPE' is 42, not a resapi.Resource subclass"),
        (
            f"{TYPES}:TargetProperties",
            f"'{TYPES}:TargetProperties' is <class '{TYPES}.TargetProperties'>, "
            "not a resapi.Resource subclass",
        ),
    ],
)
def test_a_type_that_cannot_be_checked_is_a_usage_error(
    path: str, message: str, capsys: pytest.CaptureFixture[str]
):
    err = usage_error(["check", path], capsys)
    assert f"python -m resapi check: error: {message}" in err


def test_a_bad_import_path_exits_2_from_the_real_command():
    done = run_command("check", "examples.no_such_module:EchoServer")
    assert done.returncode == 2
    assert "cannot import module 'examples.no_such_module'" in done.stderr
    assert done.stdout == ""


# -- the properties ----------------------------------------------------------------------------


def test_properties_are_read_by_the_types_table():
    pairs = [
        ("target", "db1"),
        ("Verbose", "yes"),
        ("retries", "3"),
        ("tags", "x y"),
        ("blob", "00ff"),
    ]
    assert parse_properties(TargetProperties, pairs) == {
        "Target": "db1",
        "Verbose": True,
        "Retries": 3,
        "Tags": ("x", "y"),
        "Blob": b"\x00\xff",
    }


def test_a_type_with_its_required_property_passes(capsys: pytest.CaptureFixture[str]):
    assert main(["check", f"{TYPES}:NeedsTarget", "--property", "target=db1"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "PASS: 14 steps, 0 errors, 0 warnings"


@pytest.mark.parametrize(
    ("properties", "message"),
    [
        (
            [],
            "property 'Target' of TargetProperties is required but not given "
            "(ERROR_FILE_NOT_FOUND, 2); pass --property target=VALUE",
        ),
        (
            ["target=db1", "colour=red"],
            "property 'colour' of TargetProperties is not in the table "
            "(ERROR_INVALID_PARAMETER, 87); use one of the declared properties ('Target', "
            "'Verbose', 'Retries', 'Tags', 'Blob')",
        ),
        (
            ["target=db1", "retries=many"],
            "property 'Retries' of TargetProperties cannot be 'many' "
            "(ERROR_INVALID_PARAMETER, 87); pass a decimal whole number",
        ),
        (
            ["target=db1", "retries=11"],
            "property 'Retries' of TargetProperties is 11, outside 0..10 "
            "(ERROR_INVALID_PARAMETER, 87); pass a value in 0..10",
        ),
        (
            ["target=db1", "verbose=maybe"],
            "property 'Verbose' of TargetProperties cannot be 'maybe' "
            "(ERROR_INVALID_PARAMETER, 87); pass true or false",
        ),
        (
            ["target=db1", "blob=xyz"],
            "property 'Blob' of TargetProperties cannot be 'xyz' (ERROR_INVALID_PARAMETER, 87); "
            "pass the bytes as hex digits",
        ),
        (
            ["target=db1", "Target=db2"],
            "property 'Target' of TargetProperties is given twice "
            "(ERROR_INVALID_PARAMETER, 87); pass each --property once",
        ),
        (["target"], "argument --property: expected NAME=VALUE, e.g. port=7100; got 'target'"),
    ],
)
def test_a_bad_property_is_a_usage_error_naming_it(
    properties: list[str], message: str, capsys: pytest.CaptureFixture[str]
):
    argv = ["check", f"{TYPES}:NeedsTarget"]
    for pair in properties:
        argv += ["--property", pair]
    err = usage_error(argv, capsys)
    assert f"python -m resapi check: error: {message}" in err


# -- the command line --------------------------------------------------------------------------


def test_help_lists_the_check_command(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: python -m resapi ")
    assert "run the conformance kit on a resource type" in out


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]):
    err = usage_error([], capsys)
    assert "python -m resapi: error: the following arguments are required: COMMAND" in err
