"""Fencing in the lab (PacemakerLab(fencing=True)) and the double-run window of a partition.

Issue 13: with fencing off, cutting the link of a group's owner (not the DC) let the group run
on two nodes for 0.2-1.2 s: the majority started it before the cut-off node, without quorum,
had stopped it. With the lab's fence device the majority powers the node off first. The
partition test reads the group's ground truth (Dummy state files in each node's /run), never
what Pacemaker reports, and prints the failover time with and without fencing.

One 3-node lab with fencing for the whole module; the tests without a cluster come first.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from clusapi.testing import PacemakerLab, _fence_agent as agent
from clusapi.testing._fence_device import FenceListener, install_agent
from clusapi.testing._partition import (
    PartitionRun,
    dummy_group_xml,
    measure,
    report,
    set_fencing,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

#: Partitions per mode (fencing off, then on): enough to see the window, few enough for CI.
RUNS = 3
GROUP = "g"
RESOURCES = ("d1", "d2")


def _online(status: ET.Element) -> set[str]:
    return {n.get("name", "") for n in status.iterfind("nodes/node") if n.get("online") == "true"}


# ---------------------------------------------------------------------- without a cluster


def test_agent_metadata_lists_the_fence_actions() -> None:
    root = ET.fromstring(agent.METADATA.encode())
    assert root.get("name") == "fence_clusapi_lab"
    actions = {a.get("name") for a in root.iterfind("actions/action")}
    assert {"off", "on", "reboot", "status", "monitor", "list", "metadata"} <= actions
    parameters = {p.get("name") for p in root.iterfind("parameters/parameter")}
    assert {"plug", "port", "socket"} <= parameters


def test_agent_reads_options_from_stdin_or_arguments() -> None:
    stdin = "# fencer\naction=off\nport=node2\nnodename=node2\nsocket=/x/sock\n\n"
    assert agent.parse_options([], stdin) == {
        "action": "off",
        "port": "node2",
        "nodename": "node2",
        "socket": "/x/sock",
    }
    argv = ["-o", "status", "-n", "node3", "--socket=/x/sock"]
    assert agent.parse_options(argv, "action=off") == {
        "action": "status",
        "plug": "node3",
        "socket": "/x/sock",
    }


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["-o", "explode", "-n", "node1", "--socket=/x"], "unknown action 'explode'"),
        (["-o", "off", "--socket=/x"], "off needs plug="),
        (["-o", "off", "-n", "node1", "--socket=relative"], "absolute socket path"),
        (["-o", "off", "-n", "node1", "--socket=/nonexistent/sock"], "did not answer off node1"),
    ],
)
def test_agent_fails_clearly(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert agent.main(argv) == 1
    assert message in capsys.readouterr().err


def test_agent_prints_metadata_without_a_lab(capsys: pytest.CaptureFixture[str]) -> None:
    assert agent.main(["-o", "metadata"]) == 0
    assert capsys.readouterr().out == agent.METADATA


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("runuser") is None,
    reason="needs root and runuser (util-linux) to connect as another user",
)
def test_fence_socket_refuses_a_user_other_than_root() -> None:
    """The attack: an unprivileged user asks the lab's fence device to power a node off.

    The lab keeps the socket in a 0700 directory; here the modes are opened up on purpose
    (the mistake a later change could make), so only the peer-uid check stands in the way.
    """
    calls: list[tuple[str, str]] = []

    def handler(action: str, node: str) -> tuple[int, str]:
        calls.append((action, node))
        return 0, ""

    directory = Path(tempfile.mkdtemp(prefix="fence-test-"))
    try:
        directory.chmod(0o755)
        script = install_agent(directory)
        listener = FenceListener(directory / "sock", handler)
        try:
            (directory / "sock").chmod(0o666)
            argv = [str(script), f"--socket={directory / 'sock'}", "-o", "off", "-n", "node2"]
            attack = subprocess.run(
                ["runuser", "-u", "nobody", "--", *argv], capture_output=True, text=True
            )
            assert attack.returncode == 1
            assert "refused: peer uid" in attack.stderr
            assert calls == []
            done = subprocess.run(argv, capture_output=True, text=True)
            assert (done.returncode, done.stderr) == (0, "")
            assert calls == [("off", "node2")]
            # A malformed request is refused, and the listener serves the next one.
            bad = [sys.executable, "-c", _RAW_CLIENT, str(directory / "sock"), '{"action": 1}']
            assert "refused" in subprocess.run(bad, capture_output=True, text=True).stdout
            status = [str(script), f"--socket={directory / 'sock'}", "-o", "monitor"]
            assert subprocess.run(status, capture_output=True).returncode == 0
        finally:
            listener.close()
        assert not (directory / "sock").exists()
    finally:
        shutil.rmtree(directory)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give the socket to another user")
def test_agent_refuses_a_socket_root_does_not_own(capsys: pytest.CaptureFixture[str]) -> None:
    """The attack: a CIB writer (group haclient) points ``socket=`` at a socket of theirs,
    which answers "fenced" without fencing anything; the agent, root, must not believe it."""
    calls: list[tuple[str, str]] = []

    def handler(action: str, node: str) -> tuple[int, str]:
        calls.append((action, node))
        return 0, ""

    directory = Path(tempfile.mkdtemp(prefix="fence-test-"))
    try:
        listener = FenceListener(directory / "sock", handler)
        try:
            argv = ["-o", "off", "-n", "node2", f"--socket={directory / 'sock'}"]
            nobody = pwd.getpwnam("nobody").pw_uid
            os.chown(directory / "sock", nobody, -1)
            assert agent.main(argv) == 1
            assert "is not a socket owned by root" in capsys.readouterr().err
            os.chown(directory / "sock", 0, -1)
            directory.chmod(0o777)  # anyone could swap the socket
            assert agent.main(argv) == 1
            assert "others can write it" in capsys.readouterr().err
            assert calls == []
            directory.chmod(0o700)
            assert agent.main(argv) == 0
            assert calls == [("off", "node2")]
        finally:
            listener.close()
    finally:
        shutil.rmtree(directory)


_RAW_CLIENT = """
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode())
s.shutdown(socket.SHUT_WR)
print(s.recv(4096).decode())
"""


# ---------------------------------------------------------------------- one lab with fencing


@pytest.fixture(scope="module")
def lab() -> Iterator[PacemakerLab]:
    reason = PacemakerLab.unavailable(fencing=True)
    if reason is not None:
        pytest.skip(reason)
    lab = PacemakerLab(nodes=3, fencing=True)
    lab.start()  # a failed start tears itself down
    try:
        yield lab
    finally:
        lab.teardown()


@pytest.mark.pacemaker
def test_the_lab_installs_its_fence_device(lab: PacemakerLab) -> None:
    status = lab.status()
    options = status.find("summary/cluster_options")
    assert options is not None
    assert options.get("stonith-enabled") == "true"
    installed = lab.run(1, ["stonith_admin", "--list-installed"]).stdout.split()
    assert "fence_clusapi_lab" in installed
    assert not Path("/usr/sbin/fence_clusapi_lab").exists()  # the host's /usr/sbin untouched
    assert "lab-fence" in lab.run(1, ["stonith_admin", "--list-registered"]).stdout
    control = lab.base / "fence"
    assert (control.stat().st_uid, control.stat().st_mode & 0o777) == (0, 0o700)
    assert (control / "sock").stat().st_mode & 0o777 == 0o600
    # The attack from inside a node: an unprivileged user runs the agent itself.
    attack = lab.run(
        1,
        [
            *("runuser", "-u", "nobody", "--", "/usr/sbin/fence_clusapi_lab"),
            *(f"--socket={control / 'sock'}", "-o", "off", "-n", "node3"),
        ],
        check=False,
    )
    assert attack.returncode == 1
    assert "Permission denied" in attack.stderr
    assert lab.node_running(3)
    assert lab.fence_history == ()


@pytest.mark.pacemaker
def test_the_fence_device_powers_a_node_off(lab: PacemakerLab) -> None:
    before = set(lab.pids(3))
    assert before
    lab.run(1, ["stonith_admin", "--fence", "node3"], timeout=60)
    assert lab.fence_history[-1][1:] == ("off", "node3")
    assert lab.pids(3) == {}
    assert not lab.node_running(3)
    assert not lab.link_up(3)
    lab.wait(lambda s: _online(s) == {"node1", "node2"}, 15, i=1, what="node3 offline")
    assert lab.run(1, ["stonith_admin", "--history", "node3"]).returncode == 0

    lab.start_node(3)  # the power comes back: link up, daemons started, rejoined
    assert lab.link_up(3)
    assert _online(lab.status(3)) == {"node1", "node2", "node3"}


@pytest.mark.pacemaker
def test_a_partition_with_fencing_never_runs_the_group_twice(
    lab: PacemakerLab, capsys: pytest.CaptureFixture[str]
) -> None:
    lab.run(1, ["crm_attribute", "--type", "crm_config", "-n", "no-quorum-policy", "-v", "stop"])
    xml = dummy_group_xml(GROUP, RESOURCES)
    lab.run(1, ["cibadmin", "--create", "-o", "resources", "--xml-text", xml])
    runs: dict[bool, list[PartitionRun]] = {}
    try:
        # Without fencing first: the lab's own setting (on) is what it is left with.
        for fencing in (False, True):
            runs[fencing] = measure(lab, GROUP, RESOURCES, fencing, RUNS)
    finally:
        set_fencing(lab, True)
        lab.reset()
    with capsys.disabled():
        print("\npartition of the group's owner (not the DC), 3 nodes, token 500 ms:")
        print("\n".join(report(runs)))
    for run in runs[True]:
        assert run.max_running == 1, f"ran on two nodes at once with fencing: {run}"
        assert run.fenced is not None, f"{run.isolated} was not fenced: {run}"
        assert run.fenced <= run.failover, f"started before the fence completed: {run}"
    for run in runs[False]:
        assert run.fenced is None
    for run in (*runs[False], *runs[True]):
        assert run.isolated != run.dc
        assert run.new_owner not in (run.isolated, "")  # the majority kept the service
        assert run.failover < 15, run
