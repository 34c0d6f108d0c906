"""The Pacemaker lab's node processes: :class:`LabNode` (one node's namespaces, directory and
daemons), the launcher that holds a node's namespaces open, and starting, waiting for and
stopping corosync and pacemakerd (docs/pacemaker.md, "The lab")."""

from __future__ import annotations

import contextlib
import os
import pwd
import signal
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING, Final

from ._lab_shell import PATH, SUBNET, check, send_signal, tail, wait_until

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from ._lab_shell import LabNetwork

__all__ = ("LabNode", "corosync_conf", "launch", "reap", "stop_nodes")

_PACKAGE_CIB_DIR: Final = Path("/var/lib/pacemaker")
_PACKAGE_COROSYNC: Final = Path("/etc/corosync")

#: Runs in each node's fresh network namespace (``ip netns exec``) and fresh mount + UTS
#: namespace (``unshare``): private directories, then "ready", then it just holds the
#: namespaces open for the daemons until the lab closes its stdin (or the lab's process dies).
_LAUNCHER: Final = r"""
set -e
hostname "$1"
d="$2"
mount --bind "$d/etc-corosync" /etc/corosync
mount --bind "$d/lib-corosync" /var/lib/corosync
mount --bind "$d/lib-pacemaker" /var/lib/pacemaker
mount --bind "$d/log-corosync" /var/log/corosync
mount --bind "$d/log-pacemaker" /var/log/pacemaker
mount --bind "$3" /usr/lib/ocf
mount -t tmpfs -o mode=1777 "$4-shm" /dev/shm
mount -t tmpfs -o mode=755 "$4-run" /run
mkdir -p /run/lock /run/resource-agents /run/crm
if [ -n "$5" ]; then
  mount -t overlay -o ro,lowerdir="$5":/usr/sbin "$4-sbin" /usr/sbin
fi
echo ready
exec cat >/dev/null
"""


class LabNode:
    """One node's processes. ``launcher`` holds its mount + UTS namespaces open."""

    def __init__(self, index: int, directory: Path, netns: str) -> None:
        self.index = index
        self.name = f"node{index}"
        self.dir = directory
        self.netns = netns
        #: lab.isolate() cut its link; lab.reconnect() restores it.
        self.isolated = False
        #: the fence device powered it off; lab.start_node() (or fencing "on") powers it on.
        self.powered_off = False
        self.launcher: subprocess.Popen[bytes] | None = None
        self.corosync: subprocess.Popen[bytes] | None = None
        self.pacemakerd: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        """The node's cluster address, ``"10.77.0.<index>"``."""
        return f"{SUBNET}.{self.index}"

    @property
    def running(self) -> bool:
        """The namespaces are held open: commands can run in the node."""
        return self.launcher is not None and self.launcher.poll() is None

    @property
    def up(self) -> bool:
        """The namespaces, corosync and pacemakerd are all alive."""
        return self.running and all(
            p is not None and p.poll() is None for p in (self.corosync, self.pacemakerd)
        )

    @property
    def link_up(self) -> bool:
        """Not isolated, not powered off by the fence device."""
        return not (self.isolated or self.powered_off)

    def processes(self) -> list[subprocess.Popen[bytes]]:
        return [p for p in (self.pacemakerd, self.corosync, self.launcher) if p is not None]

    def nsenter_prefix(self, lab_id: str) -> list[str]:
        """The argv prefix that runs a command inside the node (net, mount and UTS ns).

        Raises:
            RuntimeError: the node is not running (killed or stopped).
        """
        if not self.running or self.launcher is None:
            raise RuntimeError(
                f"{self.name} of lab {lab_id} is not running; "
                f"start it with lab.start_node({self.index})"
            )
        return ["nsenter", "-t", str(self.launcher.pid), "-n", "-m", "-u", "--"]

    def log_file(self, which: str) -> Path:
        """The node's ``"pacemaker"`` or ``"corosync"`` log file, as seen from the host."""
        return self.dir / f"log-{which}" / f"{which}.log"

    def make_dir(self, cib_xml: str) -> None:
        """The node's directory: copies of the package directories and the seeded CIB."""
        d = self.dir
        d.mkdir()
        check(["cp", "-a", str(_PACKAGE_COROSYNC), str(d / "etc-corosync")])
        # cp -a keeps hacluster:haclient on cib/, pengine/, ...: the daemons insist on it.
        check(["cp", "-a", str(_PACKAGE_CIB_DIR), str(d / "lib-pacemaker")])
        for sub in ("lib-corosync", "log-corosync", "log-pacemaker"):
            (d / sub).mkdir()
        hacluster = pwd.getpwnam("hacluster")
        os.chown(d / "log-pacemaker", hacluster.pw_uid, hacluster.pw_gid)
        (d / "log-pacemaker").chmod(0o770)
        cib = d / "lib-pacemaker" / "cib"
        for old in cib.iterdir():  # a host that ran Pacemaker has its own CIB there
            old.unlink()
        seed = cib / "cib.xml"
        # No cib.xml.sig needed: Pacemaker only warns "No on-disk digest present".
        seed.write_text(cib_xml)
        os.chown(seed, hacluster.pw_uid, hacluster.pw_gid)
        seed.chmod(0o600)


def corosync_conf(lab_id: str, nodes: Sequence[LabNode], token_ms: int) -> str:
    """Every node's corosync.conf (knet, no crypto, ``token_coefficient: 0``, votequorum)."""
    members = "".join(
        f"    node {{\n        ring0_addr: {n.address}\n"
        f"        name: {n.name}\n        nodeid: {n.index}\n    }}\n"
        for n in nodes
    )
    return (
        "totem {\n    version: 2\n"
        f"    cluster_name: cl{lab_id}\n"
        "    transport: knet\n    crypto_cipher: none\n    crypto_hash: none\n"
        f"    token: {token_ms}\n    token_coefficient: 0\n}}\n"
        f"nodelist {{\n{members}}}\n"
        "quorum {\n    provider: corosync_votequorum\n}\n"
        "logging {\n    fileline: off\n    to_stderr: no\n    to_logfile: yes\n"
        "    logfile: /var/log/corosync/corosync.log\n    to_syslog: no\n"
        "    timestamp: on\n}\n"
    )


def launch(nodes: Sequence[LabNode], *, lab_id: str, ocf_root: Path, sbin: Path | None) -> None:
    """Start the launchers, then corosync, then (once its IPC answers) pacemakerd."""
    env = {"PATH": PATH, "LC_ALL": "C.UTF-8", "HOME": "/root"}
    for node in nodes:
        with open(node.dir / "launcher.out", "ab") as err:
            launcher = subprocess.Popen(
                [
                    *("ip", "netns", "exec", node.netns),
                    *("unshare", "--mount", "--uts", "--propagation", "private"),
                    *("sh", "-c", _LAUNCHER, "sh", node.name, str(node.dir)),
                    *(str(ocf_root), f"cl{lab_id}{node.name}"),
                    str(sbin) if sbin is not None else "",
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=err,
                cwd="/",
                env=env,
                start_new_session=True,  # a Ctrl-C in the terminal is for the test, not it
            )
        node.launcher = launcher
        assert launcher.stdout is not None
        ready = launcher.stdout.readline()
        launcher.stdout.close()
        if ready.strip() != b"ready":
            launcher.wait(5)
            raise RuntimeError(
                f"lab {lab_id}: {node.name}'s namespaces could not be set up: "
                + tail(node.dir / "launcher.out")
            )
    for node in nodes:
        node.corosync = _daemon(node, lab_id, "corosync", env)
    for node in nodes:
        _wait_corosync(node, lab_id)
        node.pacemakerd = _daemon(node, lab_id, "pacemakerd", env)


def _daemon(
    node: LabNode, lab_id: str, name: str, env: Mapping[str, str]
) -> subprocess.Popen[bytes]:
    with open(node.dir / f"{name}.out", "ab") as out:
        # nsenter execs the daemon: the Popen's PID is the daemon's own, in the foreground.
        return subprocess.Popen(
            [*node.nsenter_prefix(lab_id), name, "-f"],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            cwd="/",
            env=env,
            start_new_session=True,
        )


def _wait_corosync(node: LabNode, lab_id: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    prefix = node.nsenter_prefix(lab_id)
    while True:
        probe = subprocess.run(
            [*prefix, "corosync-cfgtool", "-s"], capture_output=True, check=False, cwd="/"
        )
        if probe.returncode == 0:
            return
        assert node.corosync is not None
        code = node.corosync.poll()
        if code is not None or time.monotonic() >= deadline:
            why = f"exited with {code}" if code is not None else f"no IPC after {timeout:g} s"
            raise RuntimeError(
                f"lab {lab_id}: corosync of {node.name} {why}: "
                + tail(node.dir / "corosync.out")
                + tail(node.log_file("corosync"))
            )
        time.sleep(0.05)


def stop_nodes(nodes: Sequence[LabNode], timeout: float, network: LabNetwork) -> None:
    """Stop ``nodes`` gracefully (pacemakerd, then corosync), killing what is left."""
    deadline = time.monotonic() + timeout
    # All pacemakerds first, in parallel: a node shutting down hands its resources to
    # nodes that are not shutting down, and the DC must still be there to coordinate.
    for node in nodes:
        send_signal(node.pacemakerd, signal.SIGTERM)
    for node in nodes:
        wait_until(node.pacemakerd, deadline)
    for node in nodes:
        send_signal(node.corosync, signal.SIGTERM)
    for node in nodes:
        wait_until(node.corosync, deadline + 5.0)
        if node.launcher is not None and node.launcher.stdin is not None:
            with contextlib.suppress(OSError):
                node.launcher.stdin.close()  # its `cat` ends: the launcher exits
        wait_until(node.launcher, time.monotonic() + 2.0)
    for node in nodes:
        network.kill(node.netns, signal.SIGKILL)  # leftovers: agents' processes
        reap(node)


def reap(node: LabNode) -> None:
    """Collect node's Popen objects (none is left a zombie) and forget them."""
    for proc in node.processes():
        if proc.poll() is None:
            send_signal(proc, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(5)
        if proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()
    node.launcher = node.corosync = node.pacemakerd = None
