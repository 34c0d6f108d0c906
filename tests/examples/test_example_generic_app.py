"""The Generic Application example: a real web server process, made highly available.

Real time and real processes (short heartbeats keep it near a second per run). Every PID the
resource started must be gone when the demonstration returns.
"""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

import pytest

from examples.generic_app import (
    PAGE,
    PAGE_TEXT,
    free_port,
    main,
    pid_exists,
    run_demo,
    web_server_command,
)

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX processes and signals"),
]


def command_of(pid: int) -> list[str]:
    """The argv of a running process (Linux: /proc)."""
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")[:-1]


async def test_the_server_fails_over_as_a_new_process_and_none_is_left_running(tmp_path):
    (tmp_path / PAGE).write_text(PAGE_TEXT)
    seen_running: dict[int, list[str]] = {}

    def out(line: str) -> None:
        # While the demonstration says a process serves the page, that process exists and
        # is the web server the resource was configured with.
        if match := re.match(r"online on NODE\d: process (\d+) answers", line):
            pid = int(match.group(1))
            assert pid_exists(pid)
            if sys.platform == "linux":
                seen_running[pid] = command_of(pid)

    port = free_port()
    demo = await run_demo(str(tmp_path), port, out=out)

    assert (demo.before.node, demo.after.node) == ("NODE1", "NODE2")
    assert demo.before.pid != demo.after.pid
    assert demo.before.answer == demo.after.answer == PAGE_TEXT
    assert demo.first_process_gone
    # Exactly two processes were started, one per node, and both are gone now.
    assert demo.pids == (demo.before.pid, demo.after.pid)
    assert [pid for pid in demo.pids if pid_exists(pid)] == []
    if sys.platform == "linux":
        expected = shlex.split(web_server_command(port))
        assert seen_running == {demo.before.pid: expected, demo.after.pid: expected}


async def test_main_reports_the_failover_and_exits_0():
    lines: list[str] = []
    assert await main(out=lines.append) == 0
    summary = lines[-1]
    match = re.fullmatch(
        r"failed over from NODE1 \(pid (\d+)\) to NODE2 \(pid (\d+)\); "
        r"processes left running: none",
        summary,
    )
    assert match, summary
    first, second = int(match.group(1)), int(match.group(2))
    assert first != second
    assert not pid_exists(first)
    assert not pid_exists(second)
    log = "\n".join(lines)
    assert "node NODE1 crashed" in log
    assert "group web: failing over from NODE1 to NODE2" in log
    assert f"process {second} was killed by SIGTERM" in log  # the offline at the end
