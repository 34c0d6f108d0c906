"""Wall time of an OCF ``monitor`` of an installed resapi agent, beside ``ocf:heartbeat:Dummy``.

    python -m benchmarks.ocf_monitor              # median of 50 runs each
    python -m benchmarks.ocf_monitor --runs 200

(From a checkout without the package installed: ``PYTHONPATH=. python -m benchmarks.ocf_monitor``.)

Installs the Echo Server example as an agent in a temporary OCF root, starts one instance (its
host daemon), and times ``agent monitor`` as Pacemaker runs it: from process start to exit
code, the agent's stdout and stderr discarded. In the same run it times the monitor of a
started ``ocf:heartbeat:Dummy`` (with its own ``HA_RSCTMP``) and, as the reference for what any
Python agent pays, this interpreter importing anyio and attrs. The target is <= 100 ms for the
resapi agent's depth-0 monitor. It reports; it does not assert: it exits 0 whatever the figures
are, and stops every process it started (by PID).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: The target: a depth-0 monitor of a running resapi agent within 100 ms (2 cores).
TARGET_MS = 100.0
DUMMY = Path("/usr/lib/ocf/resource.d/heartbeat/Dummy")
ECHO = "examples.echo_server:EchoServer"
_WARMUP = 3  # untimed runs first: page cache, .pyc files


def _time(argv: list[str], env: dict[str, str], runs: int) -> tuple[list[float], set[int]]:
    """Wall times (ms) of ``runs`` runs of ``argv``, and the exit codes seen."""
    codes: set[int] = set()
    times: list[float] = []
    for i in range(_WARMUP + runs):
        started = time.perf_counter()
        code = subprocess.run(
            argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
        ).returncode
        elapsed = (time.perf_counter() - started) * 1000
        if i >= _WARMUP:
            times.append(elapsed)
            codes.add(code)
    return times, codes


def _row(label: str, times: list[float], codes: set[int], verdict: str) -> str:
    ordered = sorted(times)
    p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
    exits = ",".join(map(str, sorted(codes)))
    return (
        f"  {label:<48} {statistics.median(times):7.1f} ms  (min {ordered[0]:5.1f}, "
        f"p90 {p90:6.1f}; exit {exits})  {verdict}"
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _pid(rsctmp: Path, instance: str) -> int | None:
    try:
        return int((rsctmp / f"resapi-{instance}" / "pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _measure_resapi(runs: int, base: Path) -> list[str]:
    from resapi._ocf import _agent as _ocf, _install

    rows = []
    agent = _install.install(ECHO, ocf_root=base / "ocf")
    rsctmp = base / "rsc"
    rsctmp.mkdir()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "OCF_ROOT": str(base / "ocf"),
        "HA_RSCTMP": str(rsctmp),
        "OCF_RESOURCE_INSTANCE": "bench-echo",
        "OCF_RESKEY_port": str(_free_port()),
        "OCF_RESKEY_CRM_meta_timeout": "20000",
        "OCF_RESKEY_CRM_meta_interval": "5000",
    }
    start = subprocess.run(
        [str(agent), "start"], env=env, capture_output=True, text=True, check=False
    )
    pid = _pid(rsctmp, "bench-echo")
    try:
        if start.returncode != 0:
            return [f"  resapi agent: start failed ({start.returncode}): {start.stderr.strip()}"]
        times, codes = _time([str(agent), "monitor"], {**env, "OCF_CHECK_LEVEL": "0"}, runs)
        verdict = "ok" if statistics.median(times) <= TARGET_MS else "MISSED"
        rows.append(
            _row("resapi echo-server monitor, depth 0", times, codes, f"target <= 100: {verdict}")
        )
        times, codes = _time([str(agent), "monitor"], {**env, "OCF_CHECK_LEVEL": "10"}, runs)
        rows.append(_row("resapi echo-server monitor, depth 10 (IsAlive)", times, codes, "info"))
        # What the agent would cost through the package's command line instead of running
        # resapi/_ocf/_agent.py as a script: the resapi import alone.
        times, codes = _time(
            [sys.executable, "-m", "resapi.ocf", "run", ECHO, "monitor"],
            {**env, "PYTHONPATH": os.pathsep.join(sys.path[1:])},
            runs,
        )
        rows.append(_row("  same via python -m resapi.ocf run (info)", times, codes, "info"))
    finally:
        stop = subprocess.run([str(agent), "stop"], env=env, capture_output=True, check=False)
        if pid is not None and _ocf._is_daemon(pid):
            os.kill(pid, signal.SIGKILL)
            rows.append(f"  (stop returned {stop.returncode}; host daemon {pid} killed)")
    return rows


def _measure_dummy(runs: int, base: Path) -> list[str]:
    if not DUMMY.exists():
        return [f"  ocf:heartbeat:Dummy: {DUMMY} missing (apt-get install resource-agents)"]
    rsctmp = base / "dummy"
    rsctmp.mkdir()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "OCF_ROOT": "/usr/lib/ocf",
        "HA_RSCTMP": str(rsctmp),
        "OCF_RESOURCE_INSTANCE": "bench-dummy",
        "OCF_RESKEY_CRM_meta_timeout": "20000",
        "OCF_RESKEY_CRM_meta_interval": "10000",
    }
    start = subprocess.run([str(DUMMY), "start"], env=env, capture_output=True, check=False)
    try:
        if start.returncode != 0:
            return [f"  ocf:heartbeat:Dummy: start failed ({start.returncode})"]
        times, codes = _time([str(DUMMY), "monitor"], env, runs)
        return [_row("ocf:heartbeat:Dummy monitor (shell)", times, codes, "reference")]
    finally:
        subprocess.run([str(DUMMY), "stop"], env=env, capture_output=True, check=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ocf_monitor", description=__doc__)
    parser.add_argument("--runs", type=int, default=50, help="timed runs per figure (50)")
    args = parser.parse_args(argv)
    runs = max(1, args.runs)
    print(
        f"OCF monitor wall time, process start to exit code, median of {runs}; "
        f"Python {platform.python_version()} ({sys.executable}), {os.cpu_count()} CPU(s)"
    )
    base = Path(tempfile.mkdtemp(prefix="ocfbench"))  # short: the daemon's socket path
    try:
        rows = _measure_resapi(runs, base)
        rows += _measure_dummy(runs, base)
        times, codes = _time([sys.executable, "-c", "import anyio, attrs"], dict(os.environ), runs)
        rows.append(_row("python -c 'import anyio, attrs'", times, codes, "reference"))
        times, codes = _time([sys.executable, "-c", "pass"], dict(os.environ), runs)
        rows.append(_row("python -c pass", times, codes, "info"))
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
