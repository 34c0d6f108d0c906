"""resapi resource types as OCF agents under a real single-node Pacemaker (issue 8).

The echo example is installed as ``ocf:resapi:echo-server`` into the lab's own OCF root (every
lab node sees it at /usr/lib/ocf) and configured with ``cibadmin``, as an operator would. What
Pacemaker did is read back from its own reports (``crm_mon --output-as=xml``, ``crm_failcount``)
and its log, never inferred from the agent's side alone.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET

    from clusapi.testing import PacemakerLab

pytestmark = pytest.mark.pacemaker

ROOT = Path(__file__).resolve().parents[3]
ECHO = "examples.echo_server:EchoServer"

#: Runs inside the node: one round trip with the echo service, printed as "banner|echo".
_CLIENT = """\
import socket, sys
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5) as s:
    f = s.makefile("rwb")
    banner = f.readline()
    f.write(b"ping\\n")
    f.flush()
    print(banner.decode().strip() + "|" + f.readline().decode().strip())
"""


def _install_echo(lab: PacemakerLab) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "resapi.ocf", "install", ECHO, "--ocf-root", str(lab.ocf_root)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr
    assert (lab.ocf_root / "resource.d" / "resapi" / "echo-server").exists()


def _echo_primitive(rid: str, port: int, interval: str = "2s") -> str:
    return (
        f'<primitive id="{rid}" class="ocf" provider="resapi" type="echo-server">'
        f'<instance_attributes id="{rid}-ia">'
        f'<nvpair id="{rid}-port" name="port" value="{port}"/>'
        f'<nvpair id="{rid}-banner" name="banner" value="hi {rid}"/>'
        "</instance_attributes><operations>"
        f'<op id="{rid}-mon" name="monitor" interval="{interval}" timeout="20s"/>'
        "</operations></primitive>"
    )


def _started(status: ET.Element, *rids: str) -> bool:
    roles = {r.get("id"): r.get("role") for r in status.iter("resource")}
    return all(roles.get(rid) == "Started" for rid in rids)


def _stopped(status: ET.Element, *rids: str) -> bool:
    # Not merely "not Started": a stop in flight shows as "Stopping" (record-pending).
    roles = {r.get("id"): r.get("role") for r in status.iter("resource")}
    return all(roles.get(rid) == "Stopped" for rid in rids)


def _ask(lab: PacemakerLab, port: int) -> str:
    return lab.run(1, [sys.executable, "-c", _CLIENT, str(port)], timeout=15).stdout.strip()


def _daemon_pid(lab: PacemakerLab, rid: str) -> int:
    """The host daemon's PID, from its pid file under HA_RSCTMP (/run/resource-agents) in node1."""
    text = lab.run(1, ["cat", f"/run/resource-agents/resapi-{rid}/pid"]).stdout
    pid = int(text.split()[0])
    assert pid in lab.pids(1), f"daemon {pid} of {rid} is not a process of node1"
    return pid


def _history(status: ET.Element, rid: str) -> ET.Element:
    for history in status.iterfind("node_history/node/resource_history"):
        if history.get("id") == rid:
            return history
    raise AssertionError(f"no history of {rid} in crm_mon's output")


def _call(status: ET.Element, rid: str, task: str, *, must: bool = True) -> int:
    """The executor's call id of the last successful ``task`` of ``rid`` (-1 if none)."""
    calls = [
        int(op.get("call", "-1"))
        for op in _history(status, rid).iterfind("operation_history")
        if op.get("task") == task and op.get("rc") == "0"
    ]
    assert calls or not must, f"no successful {task} of {rid} in crm_mon's history"
    return max(calls, default=-1)


def _log_index(log: str, pattern: str) -> int:
    match = re.search(pattern, log)
    assert match is not None, f"{pattern!r} not in the pacemaker log"
    return match.start()


def test_echo_primitive_starts_answers_and_is_restarted_after_sigkill(
    pacemaker_lab: PacemakerLab,
) -> None:
    lab = pacemaker_lab
    _install_echo(lab)
    lab.run(
        1, ["cibadmin", "--create", "-o", "resources", "--xml-text", _echo_primitive("echo1", 7101)]
    )
    status = lab.wait(lambda s: _started(s, "echo1"), 30, what="echo1 Started")
    first_start = _call(status, "echo1", "start")
    assert _ask(lab, 7101) == "hi echo1|ping"
    pid = _daemon_pid(lab, "echo1")

    os.kill(pid, signal.SIGKILL)  # the host daemon dies; Pacemaker's next monitor sees it
    killed = time.monotonic()

    def restarted(status: ET.Element) -> bool:
        # Not merely "Started": between the failed monitor and the recovery, crm_mon shows
        # the failed instance as Started (failed="true") with the new fail count.
        resource = next((r for r in status.iter("resource") if r.get("id") == "echo1"), None)
        return (
            resource is not None
            and resource.get("role") == "Started"
            and resource.get("failed") == "false"
            and _history(status, "echo1").get("fail-count") == "1"
            and _call(status, "echo1", "start", must=False) > first_start
        )

    status = lab.wait(restarted, 30, what="echo1 restarted with fail count 1")
    new_pid = _daemon_pid(lab, "echo1")
    assert new_pid != pid
    assert _ask(lab, 7101) == "hi echo1|ping"
    elapsed = time.monotonic() - killed
    assert elapsed < 15, f"restart took {elapsed:.1f} s with a 2 s monitor"
    failure = status.find("failures/failure")
    assert failure is not None
    assert failure.get("op_key") == "echo1_monitor_2000"
    assert failure.get("exitstatus") == "error"  # OCF_ERR_GENERIC: ended without a stop
    assert "ended without a stop" in failure.get("exitreason", "")
    count = lab.run(1, ["crm_failcount", "--query", "-r", "echo1", "-N", "node1"]).stdout
    assert re.search(r"\bvalue=1\b", count), count


def test_group_of_two_resapi_resources_starts_in_order_and_stops_in_reverse(
    pacemaker_lab: PacemakerLab,
) -> None:
    lab = pacemaker_lab
    _install_echo(lab)
    log_start = lab.log_file(1).stat().st_size
    group = (
        f'<group id="g">{_echo_primitive("echo-a", 7201)}{_echo_primitive("echo-b", 7202)}</group>'
    )
    lab.run(1, ["cibadmin", "--create", "-o", "resources", "--xml-text", group])
    status = lab.wait(lambda s: _started(s, "echo-a", "echo-b"), 30, what="group g Started")
    assert _ask(lab, 7201) == "hi echo-a|ping"
    assert _ask(lab, 7202) == "hi echo-b|ping"
    daemons = [_daemon_pid(lab, "echo-a"), _daemon_pid(lab, "echo-b")]
    # The executor numbers calls in the order it runs them, and the controller asks for
    # echo-b's start only after echo-a's start has returned.
    assert _call(status, "echo-a", "start") < _call(status, "echo-b", "start")

    lab.run(1, ["crm_resource", "-r", "g", "--meta", "-p", "target-role", "-v", "Stopped"])
    status = lab.wait(lambda s: _stopped(s, "echo-a", "echo-b"), 30, what="group g Stopped")
    assert _call(status, "echo-b", "stop") < _call(status, "echo-a", "stop")
    assert not any(pid in lab.pids(1) for pid in daemons), "a host daemon outlived its stop"

    with lab.log_file(1).open(errors="replace") as f:
        f.seek(log_start)
        log = f.read()
    request = r"Requesting local execution of {} operation for {} on node1"
    result = r"Result of {} operation for {} on node1: ok"
    assert _log_index(log, result.format("start", "echo-a")) < _log_index(
        log, request.format("start", "echo-b")
    )
    assert _log_index(log, result.format("stop", "echo-b")) < _log_index(
        log, request.format("stop", "echo-a")
    )
