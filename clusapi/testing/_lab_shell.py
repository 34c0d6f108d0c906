"""The Pacemaker lab's shell and namespace plumbing: commands run quietly or checked, the
processes of a network namespace, and :class:`LabNetwork`, the hub and node namespaces joined
by veths on a bridge (docs/pacemaker.md, "The lab")."""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    import signal
    from collections.abc import Sequence

__all__ = (
    "PATH",
    "SUBNET",
    "LabCommandError",
    "LabNetwork",
    "check",
    "comm",
    "probe_overlay",
    "quiet",
    "send_signal",
    "tail",
    "wait_until",
)

PATH: Final = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
SUBNET: Final = "10.77.0"
#: The hub's host number on the cluster network (``10.77.0.254``).
HUB_HOST: Final = 254


class LabCommandError(subprocess.CalledProcessError):
    """A command run in a lab node failed; the message carries its stderr."""

    def __str__(self) -> str:
        text = super().__str__()
        detail = (self.stderr or self.stdout or "").strip()
        return f"{text}: {detail[-2000:]}" if detail else text


class LabNetwork:
    """A lab's network namespaces: the hub (a bridge at :data:`HUB_HOST`) first, then one per
    node, each joined to the bridge by a veth whose hub end is ``v<i>``."""

    def __init__(self, lab_id: str, node_netns: Sequence[str]) -> None:
        self.lab_id = lab_id
        self.hub = f"cl{lab_id}h"
        self.node_netns = tuple(node_netns)
        #: The namespaces created so far, in creation order (teardown deletes them).
        self.made: list[str] = []

    @property
    def names(self) -> tuple[str, ...]:
        """The network namespaces this lab creates: the hub's first, then one per node."""
        return (self.hub, *self.node_netns)

    @property
    def hub_address(self) -> str:
        return f"{SUBNET}.{HUB_HOST}"

    @property
    def exists(self) -> bool:
        """Whether the hub (and so the network) has been created and not deleted."""
        return self.hub in self.made

    def create(self) -> None:
        """The hub with its bridge, then each node's namespace with ``eth0`` at ``10.77.0.<i>``."""
        taken = set(_netns_list())
        if taken.intersection(self.names):  # 2^24 ids: practically never
            raise RuntimeError(f"lab id {self.lab_id} collides with existing namespaces")
        hub = self.hub
        self._add(hub)
        check(["ip", "-n", hub, "link", "set", "lo", "up"])
        check(["ip", "-n", hub, "link", "add", "br0", "type", "bridge"])
        check(["ip", "-n", hub, "addr", "add", f"{self.hub_address}/24", "dev", "br0"])
        check(["ip", "-n", hub, "link", "set", "br0", "up"])
        for index, ns in enumerate(self.node_netns, start=1):
            self._add(ns)
            # Both ends are created straight in their namespaces: no name ever appears in the
            # host's namespace, so labs cannot collide on interface names.
            veth = ["ip", "link", "add", "eth0", "netns", ns, "type", "veth"]
            check([*veth, "peer", "name", f"v{index}", "netns", hub])
            check(["ip", "-n", hub, "link", "set", f"v{index}", "master", "br0", "up"])
            check(["ip", "-n", ns, "link", "set", "lo", "up"])
            check(["ip", "-n", ns, "addr", "add", f"{SUBNET}.{index}/24", "dev", "eth0"])
            check(["ip", "-n", ns, "link", "set", "eth0", "up"])

    def _add(self, name: str) -> None:
        check(["ip", "netns", "add", name])
        self.made.append(name)

    def set_link(self, index: int, up: bool) -> None:
        """Node ``index``'s link up or down, at the hub's end of its veth."""
        if not self.exists:
            raise RuntimeError(f"lab {self.lab_id} has no network: call lab.start() first")
        check(["ip", "-n", self.hub, "link", "set", f"v{index}", "up" if up else "down"])

    def drop_added_addresses(self, netns: str, own: str) -> None:
        """Delete every address on ``eth0`` of ``netns`` but ``own`` (``"10.77.0.<i>/24"``)."""
        shown = subprocess.run(
            ["ip", "-n", netns, "-o", "addr", "show", "dev", "eth0"],
            capture_output=True,
            text=True,
            check=False,
            env={"PATH": PATH},
        )
        for line in shown.stdout.splitlines():
            fields = line.split()
            if "inet" in fields:
                address = fields[fields.index("inet") + 1]
                if address != own:
                    quiet(["ip", "-n", netns, "addr", "del", address, "dev", "eth0"])

    def kill(self, netns: str, sig: signal.Signals) -> None:
        """Send ``sig`` to every process in ``netns`` until none is left."""
        if netns not in self.made:
            return
        for _ in range(50):  # a dying daemon may still fork a child: repeat until empty
            pids = self.pids(netns)
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
            time.sleep(0.02)

    def pids(self, netns: str) -> list[int]:
        """The live (not zombie) processes in ``netns``."""
        if netns not in self.made:
            return []
        result = subprocess.run(
            ["ip", "netns", "pids", netns], capture_output=True, text=True, check=False
        )
        pids = [int(p) for p in result.stdout.split() if p.isdigit()]
        return [pid for pid in pids if comm(pid) and not _zombie(pid)]

    def delete(self) -> None:
        """Delete every namespace made (the veths and the bridge go with them)."""
        for name in reversed(self.made):
            quiet(["ip", "netns", "delete", name])
        self.made.clear()


def probe_overlay() -> str:
    """ "" if a read-only overlay on /usr/sbin mounts here (in a mount namespace that dies with
    the probe), else why not."""
    with tempfile.TemporaryDirectory() as empty:
        probe = subprocess.run(
            [
                *("unshare", "--mount", "--propagation", "private"),
                *("mount", "-t", "overlay", "-o", f"ro,lowerdir={empty}:/usr/sbin"),
                *("clusapi-probe", "/usr/sbin"),
            ],
            capture_output=True,
            text=True,
            check=False,
            env={"PATH": PATH},
        )
    if probe.returncode == 0:
        return ""
    return (
        "PacemakerLab(fencing=True) shows its fence agent in each node's /usr/sbin through an "
        f"overlay mount, which fails here: {probe.stderr.strip()} (load it: modprobe overlay)"
    )


def _netns_list() -> list[str]:
    result = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False)
    return [line.split()[0] for line in result.stdout.splitlines() if line.strip()]


def comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[0] in ("Z", "X")


def send_signal(proc: subprocess.Popen[bytes] | None, sig: signal.Signals) -> None:
    if proc is not None and proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(sig)


def wait_until(proc: subprocess.Popen[bytes] | None, deadline: float) -> None:
    if proc is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(max(deadline - time.monotonic(), 0.0))


def check(argv: list[str]) -> None:
    result = subprocess.run(argv, capture_output=True, text=True, check=False, env={"PATH": PATH})
    if result.returncode != 0:
        raise LabCommandError(result.returncode, argv, result.stdout, result.stderr)


def quiet(argv: list[str]) -> None:
    subprocess.run(argv, capture_output=True, check=False, env={"PATH": PATH})


def tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"({path} missing)"
    return "\n".join(text.splitlines()[-lines:])
