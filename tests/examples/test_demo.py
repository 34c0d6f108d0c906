"""``python -m examples.demo``: the whole failover story, run as a user runs it, piped; and
``python -m clusapi demo``, which only says where the demo is now."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_module(module: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=timeout,
        check=False,
    )


def summary(out: str) -> dict[str, float]:
    pattern = r"^  (detection|failover|client outage|failback|failback outage) +(\d+\.\d+) s "
    return {name: float(value) for name, value in re.findall(pattern, out, re.MULTILINE)}


@pytest.mark.slow
def test_demo_runs_piped_without_control_codes_and_reports_plausible_timings():
    result = run_module("examples.demo")
    out = result.stdout.decode("ascii")  # plain ASCII: works in any terminal encoding
    assert result.returncode == 0, out + result.stderr.decode()
    assert result.stderr == b""
    assert b"\x1b" not in result.stdout  # piped: no ANSI control codes at all
    assert "\r" not in out

    timings = summary(out)
    assert set(timings) == {"detection", "failover", "client outage", "failback", "failback outage"}
    # Heartbeat 0.5 s, node timeout 2 s: the node is declared down 2 s after its last
    # heartbeat, which came at most 0.5 s before the crash.
    assert 1.0 <= timings["detection"] <= 5.0
    assert 0.0 <= timings["failover"] <= 3.0
    # The client's outage spans at least the crash-to-online time, plus its retry pause.
    assert timings["client outage"] >= timings["detection"] + timings["failover"] - 0.01
    assert timings["client outage"] <= 8.0
    assert 0.0 <= timings["failback"] <= 3.0
    assert 0.0 < timings["failback outage"] <= 3.0

    # The timeline tells the story, in order.
    story = [
        "group web          ONLINE on NODE1",
        "connected: 'echo from NODE1'",
        "NODE1 crashed",
        "node NODE1         DOWN",
        "group web          ONLINE on NODE2",
        "connected: 'echo from NODE2'",
        "NODE1 restarted",
        "node NODE1         UP",
        "group web          ONLINE on NODE1",
        "connected: 'echo from NODE1'",
        "Summary (measured in this run):",
    ]
    position = 0
    for step in story:
        found = out.find(step, position)
        assert found >= 0, f"{step!r} missing after position {position}:\n{out}"
        position = found + len(step)
    assert "nothing accepts on 127.0.0.1:" in out  # everything it started has stopped
    assert re.search(r"^demo finished in \d+\.\d s$", out, re.MULTILINE)


def test_help_lists_the_commands():
    result = run_module("clusapi", "--help", timeout=30)
    assert result.returncode == 0
    assert b"demo" in result.stdout
    assert b"usage: python -m clusapi" in result.stdout


def test_the_demo_help_lists_the_options():
    result = run_module("examples.demo", "--help", timeout=30)
    assert result.returncode == 0
    assert b"usage: python -m examples.demo" in result.stdout
    for option in (b"--engine", b"--port", b"--plain"):
        assert option in result.stdout


@pytest.mark.parametrize("args", [(), ("no-such-command",)])
def test_a_bad_command_prints_the_usage_and_exits_2(args: tuple[str, ...]):
    result = run_module("clusapi", *args, timeout=30)
    assert result.returncode == 2
    assert b"usage: python -m clusapi" in result.stderr
    assert result.stdout == b""


def test_a_bad_demo_option_prints_the_usage_and_exits_2():
    result = run_module("examples.demo", "--port", "70000", timeout=30)
    assert result.returncode == 2
    assert b"usage: python -m examples.demo" in result.stderr
    assert result.stdout == b""


@pytest.mark.parametrize("args", [(), ("--engine", "pacemaker", "--port", "7100"), ("--help",)])
def test_clusapi_demo_says_where_the_demo_is_and_exits_2(args: tuple[str, ...]):
    # The library does not ship the demo (an application of the source tree); the old
    # command names the new one instead of running anything.
    result = run_module("clusapi", "demo", *args, timeout=30)
    assert result.returncode == 2
    assert result.stdout == b""
    err = result.stderr.decode()
    assert "python -m examples.demo" in err
    assert "repository root" in err


def test_a_taken_port_fails_with_the_reason_and_exit_status_1():
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        result = run_module("examples.demo", "--port", str(port), timeout=60)
    assert result.returncode == 1
    err = result.stderr.decode()
    assert "demo FAILED:" in err
    assert "did not come online" in err
    assert "Address already in use" in err or "already in use" in err.lower()
    assert "Traceback" not in err
