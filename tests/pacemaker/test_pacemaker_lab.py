"""The real-Pacemaker lab itself (clusapi.testing.PacemakerLab): start, crash, rejoin, clean up.

The cluster tests run on the session's labs (fixtures ``pacemaker_lab`` and ``pacemaker_lab3``
in conftest.py); the clean-up tests start labs of their own, because they tear them down.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import clusapi
from clusapi.testing import PacemakerLab, _lab

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET

needs_lab = pytest.mark.skipif(
    PacemakerLab.unavailable() is not None, reason=str(PacemakerLab.unavailable())
)


def _online(status: ET.Element) -> set[str]:
    return {n.get("name", "") for n in status.iterfind("nodes/node") if n.get("online") == "true"}


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")  # a zombie is dead


def _netns() -> str:
    return subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout


# ---------------------------------------------------------------------- without a cluster


@pytest.mark.parametrize("nodes", [0, 254, -1])
def test_bad_node_count_is_an_invalid_parameter(nodes: int) -> None:
    with pytest.raises(clusapi.InvalidParameterError) as info:
        PacemakerLab(nodes=nodes)
    assert info.value.winerror == clusapi.Win32Error.ERROR_INVALID_PARAMETER
    assert "1 to 253 nodes" in str(info.value)


def test_bad_node_index_is_node_not_found() -> None:
    lab = PacemakerLab(nodes=3)
    assert lab.address(3) == "10.77.0.3"
    assert lab.node_names == ("node1", "node2", "node3")
    assert lab.hub_address == "10.77.0.254"
    for bad in (0, 4, True):
        with pytest.raises(clusapi.NodeNotFoundError, match="numbered 1 to 3"):
            lab.address(bad)
    with pytest.raises(RuntimeError, match=r"lab\.start\(\)"):
        lab.isolate(1)  # no network yet
    lab.teardown()  # never started: nothing to do, and no error


def test_two_labs_never_share_names() -> None:
    a, b = PacemakerLab(nodes=2), PacemakerLab(nodes=2)
    assert a.lab_id != b.lab_id
    assert not set(a.netns_names) & set(b.netns_names)
    assert all(name.startswith(f"cl{a.lab_id}") for name in a.netns_names)


def test_unavailable_names_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_lab.shutil, "which", lambda tool, path=None: None)
    reason = PacemakerLab.unavailable()
    assert reason is not None
    assert "apt-get install -y pacemaker corosync pacemaker-cli-utils resource-agents" in reason
    monkeypatch.undo()
    if PacemakerLab.unavailable() is None:  # installed here: check the root case too
        monkeypatch.setattr(_lab.os, "geteuid", lambda: 1000)
        assert "run as root" in str(PacemakerLab.unavailable())


def test_fencing_needs_an_overlay_mount(monkeypatch: pytest.MonkeyPatch) -> None:
    if PacemakerLab.unavailable() is not None:
        pytest.skip(str(PacemakerLab.unavailable()))
    monkeypatch.setattr(PacemakerLab, "_overlay_probe", None)
    monkeypatch.setattr(_lab, "_probe_overlay", lambda: "overlay mount fails: modprobe overlay")
    assert PacemakerLab.unavailable(fencing=True) == "overlay mount fails: modprobe overlay"
    assert PacemakerLab.unavailable() is None  # a lab without fencing does not need it
    lab = PacemakerLab(nodes=3, fencing=True)
    with pytest.raises(RuntimeError, match="modprobe overlay"):
        lab.start()
    assert not any(name in _netns() for name in lab.netns_names)


# ---------------------------------------------------------------------- the session's labs


@pytest.mark.pacemaker
def test_one_node_lab_has_a_dc_with_quorum(pacemaker_lab: PacemakerLab) -> None:
    lab = pacemaker_lab
    status = lab.status()
    dc = status.find("summary/current_dc")
    assert dc is not None
    assert (dc.get("present"), dc.get("with_quorum"), dc.get("name")) == ("true", "true", "node1")
    assert _online(status) == {"node1"}
    options = status.find("summary/cluster_options")
    assert options is not None
    assert options.get("stonith-enabled") == "false"
    # The node is a machine of its own: hostname, address, /run, and the lab's /usr/lib/ocf.
    assert lab.run(1, ["hostname"]).stdout.strip() == "node1"
    assert "10.77.0.1/24" in lab.run(1, ["ip", "-br", "addr", "show", "eth0"]).stdout
    marker = lab.ocf_root / "lab-marker"
    marker.write_text("x")
    try:
        assert lab.run(1, ["cat", "/usr/lib/ocf/lab-marker"]).stdout == "x"
        assert not Path("/usr/lib/ocf/lab-marker").exists()
    finally:
        marker.unlink()
    assert lab.run(1, ["test", "-d", "/run/resource-agents"], check=False).returncode == 0
    lab.run(1, ["touch", f"/run/lab-{lab.lab_id}"])
    assert not Path(f"/run/lab-{lab.lab_id}").exists()
    # The hub is a client on the cluster network: a TCP connect to a closed port of node1 is
    # refused by node1 (reachable), where an unreachable address would time out.
    probe = (
        "import socket, sys\n"
        "try:\n    socket.create_connection((sys.argv[1], 9), timeout=3)\n"
        "except ConnectionRefusedError:\n    print('refused')\n"
    )
    connect = [*lab.hub_prefix(), sys.executable, "-c", probe, lab.address(1)]
    assert subprocess.run(connect, capture_output=True, text=True).stdout == "refused\n"
    names = set(lab.pids(1).values())
    assert {"corosync", "pacemakerd", "pacemaker-based", "pacemaker-execd"} <= names


@pytest.mark.pacemaker
def test_reset_empties_the_configuration(pacemaker_lab: PacemakerLab) -> None:
    lab = pacemaker_lab
    dummy = (
        '<primitive id="d1" class="ocf" provider="heartbeat" type="Dummy"><operations>'
        '<op id="d1-mon" name="monitor" interval="10s"/></operations></primitive>'
    )
    lab.run(1, ["cibadmin", "--create", "-o", "resources", "--xml-text", dummy])
    location = '<rsc_location id="loc" rsc="d1" node="node1" score="50"/>'
    lab.run(1, ["cibadmin", "--create", "-o", "constraints", "--xml-text", location])
    lab.run(1, ["crm_attribute", "--type", "crm_config", "-n", "no-quorum-policy", "-v", "ignore"])
    lab.wait(lambda s: any(r.get("role") == "Started" for r in s.iter("resource")), 20)
    lab.run(1, ["crm_resource", "--fail", "-r", "d1", "-N", "node1"])
    lab.wait(lambda s: s.find("failures/failure") is not None, 20, what="a failure")
    lab.run(1, ["crm_attribute", "--node", "node1", "--name", "standby", "--update", "on"])

    lab.reset()

    status = lab.status()
    assert not list(status.iter("resource"))
    assert status.find("failures/failure") is None
    assert not list(status.iterfind("node_history/node/resource_history"))
    node = status.find("nodes/node")
    assert node is not None
    assert node.get("standby") == "false"
    query = lab.run(1, ["cibadmin", "--query", "-o", "configuration"]).stdout
    assert 'id="d1"' not in query
    assert "rsc_location" not in query
    assert "no-quorum-policy" not in query
    assert 'name="resource-stickiness" value="100"' in query
    assert 'name="stonith-enabled" value="false"' in query


@pytest.mark.pacemaker
def test_kill9_then_rejoin(pacemaker_lab3: PacemakerLab) -> None:
    lab = pacemaker_lab3
    assert _online(lab.status()) == {"node1", "node2", "node3"}
    victims = lab.pids(2)
    assert "corosync" in victims.values()
    assert "pacemakerd" in victims.values()
    began = time.monotonic()
    lab.kill9(2)
    assert lab.pids(2) == {}
    assert not any(_alive(pid) for pid in victims)
    assert not lab.node_running(2)
    with pytest.raises(RuntimeError, match="start_node"):
        lab.run(2, ["true"])
    status = lab.wait(lambda s: _online(s) == {"node1", "node3"}, 15, i=1, what="node2 offline")
    seen_down = time.monotonic() - began
    dc = status.find("summary/current_dc")
    assert dc is not None
    assert dc.get("with_quorum") == "true"  # 2 of 3 votes
    assert seen_down < 10, f"node2's death took {seen_down:.1f} s to notice (token 500 ms)"

    lab.start_node(2)  # waits until node2 sees the DC and all three online
    assert lab.node_running(2)
    assert _online(lab.status(1)) == {"node1", "node2", "node3"}
    assert _online(lab.status(2)) == {"node1", "node2", "node3"}


@pytest.mark.pacemaker
def test_isolate_cuts_the_link_and_reconnect_merges(pacemaker_lab3: PacemakerLab) -> None:
    lab = pacemaker_lab3
    pids = lab.pids(3)
    lab.isolate(3)
    try:
        assert not lab.link_up(3)
        lab.wait(lambda s: _online(s) == {"node1", "node2"}, 15, i=1, what="node3 cut off")
        # Alone, node3 has no quorum; its processes run on (a cable pulled, not a crash).
        status = lab.wait(
            lambda s: (
                (dc := s.find("summary/current_dc")) is not None
                and dc.get("with_quorum") == "false"
            ),
            15,
            i=3,
            what="node3 without quorum",
        )
        assert "node3" in _online(status)
        assert set(pids) <= set(lab.pids(3))
        assert lab.node_running(3)
    finally:
        lab.reconnect(3)
    assert lab.link_up(3)
    lab.wait_ready(30, 3)
    lab.wait_ready(30, 1)
    assert _online(lab.status(1)) == {"node1", "node2", "node3"}


@pytest.mark.pacemaker
def test_stop_node_is_graceful(pacemaker_lab3: PacemakerLab) -> None:
    lab = pacemaker_lab3
    pids = lab.pids(3)
    lab.stop_node(3)
    assert not lab.node_running(3)
    assert lab.pids(3) == {}
    assert not any(_alive(pid) for pid in pids)
    status = lab.wait(lambda s: _online(s) == {"node1", "node2"}, 15, what="node3 offline")
    node3 = next(n for n in status.iterfind("nodes/node") if n.get("name") == "node3")
    assert node3.get("unclean") == "false"  # a clean leave, not a crash
    log = lab.log_file(3, "pacemaker").read_text(errors="replace")
    assert "Shutdown complete" in log or "Exiting" in log
    # The next test that uses pacemaker_lab3 gets node3 back (conftest restarts it).


# ---------------------------------------------------------------------- labs of their own


@pytest.mark.pacemaker
@needs_lab
@pytest.mark.parametrize("fencing", [False, True], ids=["plain", "fencing"])
def test_teardown_leaves_nothing_behind(tmp_path: Path, fencing: bool) -> None:
    lab = PacemakerLab(nodes=1, base=tmp_path, fencing=fencing)
    lab.start()
    pids = set(lab.pids(1))
    fence_threads = [t for t in threading.enumerate() if str(lab.base) in t.name]
    assert len(fence_threads) == fencing  # the fence device's listener
    base = lab.base
    assert base.parent == tmp_path
    assert base.stat().st_mode & 0o777 == 0o755
    names = lab.netns_names
    assert all(name in _netns() for name in names)

    lab.teardown()

    assert not any(_alive(pid) for pid in pids), "a lab process survived teardown"
    assert not any(t.is_alive() for t in fence_threads), "the fence listener survived"
    assert not any(name in _netns() for name in names)
    assert lab.lab_id not in Path("/proc/self/mounts").read_text()
    assert not base.exists()
    lab.teardown()  # idempotent


@pytest.mark.pacemaker
@needs_lab
def test_a_failed_start_raises_and_cleans_up(tmp_path: Path) -> None:
    lab = PacemakerLab(nodes=1, base=tmp_path, keep=True)
    with pytest.raises(TimeoutError) as info:
        lab.start(timeout=0.5)  # too short for an election: dc-deadtime alone is 2 s
    message = str(info.value)
    assert "last crm_mon output" in message
    assert "node1 corosync.log" in message
    assert "node1 pacemaker.log" in message
    assert not any(name in _netns() for name in lab.netns_names)
    assert not any(_alive(pid) for pid in _pids_of_lab(lab))
    assert (lab.base / "n1" / "log-pacemaker" / "pacemaker.log").exists()  # keep=True
    with pytest.raises(RuntimeError, match="started already"):
        lab.start()


def _pids_of_lab(lab: PacemakerLab) -> list[int]:
    """Processes whose command line names the lab's directory or namespaces (none expected)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if f"cl{lab.lab_id}".encode() in cmdline:
            found.append(int(entry.name))
    return found
