"""``python -m examples.demo --engine pacemaker``: the demo on a real 3-node Pacemaker cluster.

The end-to-end test runs the command as a user runs it, piped, and checks the story, the
summary, and that the lab is gone afterwards, by its own look at the machine (the namespaces
the demo announced, any process still in them, the lab's directory), not by the demo's word.
It takes about 30 s. The other test checks, without a cluster, what the command says where
it cannot run.
"""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from clusapi.testing import PacemakerLab

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = "pacemaker corosync pacemaker-cli-utils resource-agents"


def demo_env() -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }


def summary(out: str) -> dict[str, float]:
    pattern = r"^  (detection|failover|client outage|failback|failback outage) +(\d+\.\d+) s "
    return {name: float(value) for name, value in re.findall(pattern, out, re.MULTILINE)}


def step(out: str, number: int) -> str:
    """The output of step ``[number]``, up to the next step."""
    match = re.search(rf"^\[{number}\] .*?(?=^\[{number + 1}\] |\Z)", out, re.MULTILINE | re.DOTALL)
    assert match is not None, f"no step [{number}] in:\n{out}"
    return match.group(0)


def in_order(text: str, *parts: str) -> None:
    position = 0
    for part in parts:
        found = text.find(part, position)
        assert found >= 0, f"{part!r} missing after position {position}:\n{text}"
        position = found + len(part)


def netns_inode(name: str) -> int:
    return os.stat(f"/run/netns/{name}").st_ino


def processes_in(inodes: set[int]) -> list[str]:
    """The live processes whose network namespace is one of ``inodes``: "PID comm"."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            inode = os.stat(f"/proc/{entry}/ns/net").st_ino
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if inode in inodes and stat.rpartition(")")[2].split()[0] not in ("Z", "X"):
            found.append(f"{entry} {stat.partition('(')[2].rpartition(')')[0]}")
    return found


@pytest.mark.pacemaker
@pytest.mark.slow
def test_pacemaker_demo_fails_over_and_back_and_leaves_nothing_behind() -> None:
    reason = PacemakerLab.unavailable()
    if reason is not None:
        pytest.skip(reason)
    env = demo_env()
    lines: list[bytes] = []
    namespaces: dict[str, int] = {}
    lab_id = ""
    # stderr to a file: a pipe nobody reads while stdout is read could fill up and block it.
    with (
        tempfile.TemporaryFile() as errors,
        subprocess.Popen(
            [sys.executable, "-m", "examples.demo", "--engine", "pacemaker"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=errors,
        ) as process,
    ):
        assert process.stdout is not None
        try:
            for line in process.stdout:  # the demo gives up by itself after 180 s
                lines.append(line)
                found = re.search(rb"\(lab (\w+): namespaces ([\w, ]+)\)", line)
                if found and not namespaces:
                    # Looked up while the demo runs: what to search for once it has ended.
                    lab_id = found.group(1).decode()
                    for name in found.group(2).decode().split(", "):
                        namespaces[name] = netns_inode(name)
            returncode = process.wait(30)
        finally:
            if process.poll() is None:  # the test failed while the demo ran: Ctrl-C tears down
                process.send_signal(signal.SIGINT)
                process.wait(60)
        errors.seek(0)
        stderr = errors.read()
    out = b"".join(lines).decode("ascii")
    assert returncode == 0, out + stderr.decode()
    assert stderr == b""
    assert b"\x1b" not in b"".join(lines)  # piped: no ANSI control codes
    assert "\r" not in out

    # The story, step by step. Within a step the client may answer before the notify port
    # tells of the state that let it (the port is polled), so the order is checked per source.
    assert lab_id, out
    assert len(namespaces) == 4, out
    in_order(step(out, 2), "group web          ONLINE on node1")
    in_order(step(out, 3), "10.77.0.100:7100 in the hub namespace", "connected: 'echo from node1'")
    crash = step(out, 4)
    in_order(
        crash,
        "node1 crashed (lab.kill9",
        "node node1         DOWN",
        "group web          ONLINE on node2",
    )
    in_order(crash, "node1 crashed", "connected: 'echo from node2'")
    rejoin = step(out, 5)
    in_order(
        rejoin,
        "node1 restarted (lab.start_node)",
        "node node1         UP",
        "group web          ONLINE on node1",
    )
    in_order(rejoin, "node1 restarted", "connected: 'echo from node1'")
    in_order(step(out, 6), f"stopped: lab {lab_id} removed", "Summary (measured in this run):")
    assert re.search(r"^demo finished in \d+\.\d s$", out, re.MULTILINE)

    timings = summary(out)
    assert set(timings) == {"detection", "failover", "client outage", "failback", "failback outage"}
    # Token 500 ms + consensus 600 ms, seen through snapshots every 0.5 s; generous upper bounds
    # for a busy 2-core machine (measured here: detection 1.4 s, failover 1.8-2.3 s).
    assert 0.5 <= timings["detection"] <= 10.0
    assert 0.0 <= timings["failover"] <= 15.0
    assert 0.5 <= timings["client outage"] <= 20.0
    assert 0.0 <= timings["failback"] <= 15.0
    assert 0.0 < timings["failback outage"] <= 15.0

    # Nothing left: no namespace, no process in one, no lab directory.
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True)
    assert not [name for name in namespaces if name in listed.stdout]
    assert processes_in(set(namespaces.values())) == []
    assert not Path(tempfile.gettempdir(), f"cl{lab_id}").exists()


def test_without_what_it_needs_it_says_what_to_install_and_exits_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from examples.demo.__main__ import main

    reason = "the Pacemaker lab must run as root (run as root: ...)"
    monkeypatch.setattr(PacemakerLab, "unavailable", classmethod(lambda cls: reason))

    def start(self: PacemakerLab, timeout: float = 30.0) -> None:
        raise AssertionError("the lab must not be started")

    monkeypatch.setattr(PacemakerLab, "start", start)
    assert main(["--engine", "pacemaker"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "--engine pacemaker cannot run here: " + reason in captured.err
    assert f"apt-get install -y {PACKAGES}" in captured.err
    assert "root" in captured.err


def test_run_demo_reports_the_same_through_its_streams(monkeypatch: pytest.MonkeyPatch) -> None:
    from examples.demo import run_demo

    monkeypatch.setattr(
        PacemakerLab,
        "unavailable",
        classmethod(lambda cls: f"not installed: apt-get install -y {PACKAGES}"),
    )
    out, err = io.StringIO(), io.StringIO()
    assert run_demo(engine="pacemaker", out=out, err=err) == 1
    assert out.getvalue() == ""
    assert PACKAGES in err.getvalue()


def test_an_unknown_engine_is_a_usage_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "examples.demo", "--engine", "windows"],
        cwd=ROOT,
        env=demo_env(),
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert b"invalid choice: 'windows'" in result.stderr
