"""Detection to restart under a real single-node Pacemaker after SIGKILL of a resapi host daemon.

    python -m benchmarks.pacemaker_restart              # 5 runs, monitor interval 5 s
    python -m benchmarks.pacemaker_restart --runs 10 --interval 5

(From a checkout without the package installed: prefix ``PYTHONPATH=.``.) It needs root and
``apt-get install -y pacemaker corosync pacemaker-cli-utils resource-agents``; without them it
says so and exits 0.

The echo example is installed as the OCF agent ``ocf:resapi:echo-server`` into a
:class:`clusapi.testing.PacemakerLab` of one node and configured as a primitive with a monitor
every ``--interval`` s. Each run waits a random part of the interval (so the kill lands at a
random phase of the monitor timer, as a real crash does), SIGKILLs the resource's host daemon,
and measures, from the kill:

* **detected**: Pacemaker's log records the failed monitor (``Result of monitor operation ...:
  error``); between 0 and one interval, depending on the phase;
* **restarted**: the log records the successful recovery start (``Result of start operation
  ...: ok``); the issue's figure, goal <= interval + 2 s;
* **answers**: a client inside the node gets the echo banner again (it retries every 20 ms).

Log timestamps have millisecond resolution (the node shares the host's clock). It prints
each run, then median / min / max beside the goal. It reports; it does not assert: it exits 0
whatever the figures are.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import random
import re
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORT = 7301
RID = "echo1"

#: Runs inside the node: wait until the echo service answers, then print the time.
_PROBER = """\
import socket, sys, time
port, deadline = int(sys.argv[1]), time.time() + float(sys.argv[2])
while time.time() < deadline:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            if s.makefile("rb").readline().startswith(b"hello"):
                print(repr(time.time()), flush=True)
                break
    except OSError:
        pass
    time.sleep(0.02)
"""

_STAMP = re.compile(r"^(\w{3} [ \d]\d \d\d:\d\d:\d\d\.\d{3}) ")


def _log_time(log: str, pattern: str) -> float | None:
    """Epoch time of the first log line matching ``pattern`` (local time, ms)."""
    year = datetime.date.today().year
    for line in log.splitlines():
        if re.search(pattern, line):
            stamp = _STAMP.match(line)
            if stamp is not None:
                parsed = datetime.datetime.strptime(f"{year} {stamp[1]}", "%Y %b %d %H:%M:%S.%f")
                return parsed.timestamp()
    return None


def _install(lab) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "resapi.ocf",
            "install",
            "examples.echo_server:EchoServer",
            "--ocf-root",
            str(lab.ocf_root),
        ],
        check=True,
        capture_output=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def _started(status) -> bool:
    return any(
        r.get("id") == RID and r.get("role") == "Started" and r.get("failed") == "false"
        for r in status.iter("resource")
    )


def _one_run(lab, interval: float) -> dict[str, float]:
    lab.reset()
    primitive = (
        f'<primitive id="{RID}" class="ocf" provider="resapi" type="echo-server">'
        f'<instance_attributes id="{RID}-ia"><nvpair id="{RID}-port" name="port" value="{PORT}"/>'
        f'</instance_attributes><operations><op id="{RID}-mon" name="monitor" '
        f'interval="{interval:g}s" timeout="20s"/></operations></primitive>'
    )
    lab.run(1, ["cibadmin", "--create", "-o", "resources", "--xml-text", primitive])
    lab.wait(_started, 60, what=f"{RID} Started")
    time.sleep(random.uniform(0, interval))  # a random phase of the monitor timer
    pid = int(lab.run(1, ["cat", f"/run/resource-agents/resapi-{RID}/pid"]).stdout.split()[0])
    log_file = lab.log_file(1)
    offset = log_file.stat().st_size
    timeout = interval + 30
    os.kill(pid, signal.SIGKILL)  # the kernel closes its listener at once
    # The prober starts after the kill, so the first banner it gets is the new daemon's.
    killed = time.time()
    prober = subprocess.run(
        [*lab.command_prefix(1), sys.executable, "-c", _PROBER, str(PORT), str(timeout)],
        capture_output=True,
        text=True,
        timeout=timeout + 10,
        check=False,
    )
    lines = prober.stdout.split()
    answered = float(lines[0]) if lines else float("nan")
    lab.wait(_started, 30, what=f"{RID} Started again")
    with log_file.open(errors="replace") as f:
        f.seek(offset)
        log = f.read()
    detected = _log_time(log, rf"Result of monitor operation for {RID} on node1: error")
    restarted = _log_time(log, rf"Result of start operation for {RID} on node1: ok")
    nan = float("nan")
    return {
        "detected": (detected - killed) if detected else nan,
        "restarted": (restarted - killed) if restarted else nan,
        "recovery": (restarted - detected) if detected and restarted else nan,
        "answers": answered - killed,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pacemaker_restart")
    parser.add_argument("--runs", type=int, default=5, help="kills to measure (default 5)")
    parser.add_argument("--interval", type=float, default=5.0, help="monitor interval, s")
    args = parser.parse_args(argv)

    from clusapi.testing import PacemakerLab

    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.platform()}")
    reason = PacemakerLab.unavailable()
    if reason is not None:
        print(f"skipped: {reason}")
        return 0
    goal = args.interval + 2.0
    began = time.monotonic()
    with PacemakerLab(nodes=1) as lab:
        print(f"single-node lab {lab.lab_id} started in {time.monotonic() - began:.2f} s")
        _install(lab)
        runs = []
        print(f"{'run':>3}  {'detected':>9}  {'restarted':>9}  {'recovery':>9}  {'answers':>9}")
        for k in range(1, args.runs + 1):
            try:
                figures = _one_run(lab, args.interval)
            except Exception as exc:  # a crashed run is reported, not raised
                print(f"{k:>3}  ERROR {type(exc).__name__}: {str(exc)[:300]}")
                continue
            runs.append(figures)
            print(f"{k:>3}  " + "  ".join(f"{figures[key]:>8.2f}s" for key in figures))
    if not runs:
        print("no run completed")
        return 0
    print()
    print(f"from SIGKILL of the host daemon, monitor every {args.interval:g} s, {len(runs)} runs")
    print(f"{'figure':<34} {'median':>8} {'min':>8} {'max':>8}  goal")
    notes = {
        "detected": "failed monitor logged",
        "restarted": "recovery start logged (the figure)",
        "recovery": "detected -> restarted",
        "answers": "client gets the banner again",
    }
    for key, label in notes.items():
        values = [r[key] for r in runs if r[key] == r[key]]  # drop NaN
        if not values:
            print(f"{label:<34} {'n/a':>8}")
            continue
        med, low, high = statistics.median(values), min(values), max(values)
        verdict = ""
        if key == "restarted":
            verdict = (
                f"<= {goal:g} s: median {'ok' if med <= goal else 'MISSED'}, "
                f"max {'ok' if high <= goal else 'MISSED'}"
            )
        print(f"{label:<34} {med:>7.2f}s {low:>7.2f}s {high:>7.2f}s  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
