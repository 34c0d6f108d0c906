"""A real Pacemaker + Corosync cluster on this machine, for tests: :class:`PacemakerLab`.

Each node is a network namespace of its own plus a private mount and UTS namespace, joined to
the others through a bridge in a *hub* namespace, so the host's own network and files are never
touched and several labs (other test sessions, CI jobs) run side by side::

    hub netns  cl<id>h:  br0 10.77.0.254/24 ── v1, v2, ... (veth peers)
    node netns cl<id>n1: eth0 10.77.0.1/24    corosync -f, pacemakerd -f (+ its sub-daemons)
    node netns cl<id>n2: eth0 10.77.0.2/24    ...

Everything a lab writes lives under its own directory (``lab.base``)::

    n<i>/etc-corosync   bind-mounted at /etc/corosync      (corosync.conf)
    n<i>/lib-corosync   bind-mounted at /var/lib/corosync
    n<i>/lib-pacemaker  bind-mounted at /var/lib/pacemaker (cp -a of the package dir: CIB, pengine)
    n<i>/log-corosync   bind-mounted at /var/log/corosync  (corosync.log)
    n<i>/log-pacemaker  bind-mounted at /var/log/pacemaker (pacemaker.log)
    n<i>/*.out          the daemons' stdout/stderr
    ocf/                the lab's copy of /usr/lib/ocf, bind-mounted at /usr/lib/ocf in every node
    sbin/               with fencing: fence_clusapi_lab, overlaid on /usr/sbin in every node
    fence/sock          with fencing: the fence device's socket (directory 0700, root only)

Pitfalls this module deals with, found while building the recipe it follows
(``pacemaker-lab.md`` in the project's research notes):

* **Abstract Unix sockets belong to a network namespace.** libqb's IPC (corosync's ``cmap``,
  ``cpg``; Pacemaker's ``cib_rw``, ``crmd``, ...) uses abstract sockets, so two nodes in one
  network namespace collide, and worse, one node's tools silently talk to the other node's
  daemons. Hence one network namespace per node, and every CLI call runs inside its node
  (:meth:`PacemakerLab.run`, :meth:`PacemakerLab.command_prefix`).
* **/dev/shm per node.** libqb's ring buffers live in /dev/shm; a client must see the same
  /dev/shm as the daemon it talks to, so each node has a private tmpfs there (and on /run, which
  holds ``/run/resource-agents``, the agents' ``HA_RSCTMP``, and ``/run/crm``), and the CLI
  enters the node's mount namespace too, not only its network namespace.
* **Token tuning.** Corosync 3's effective token timeout is ``token + (nodes - 2) *
  token_coefficient`` (650 ms by default), so ``token: 1000`` is really 1650 ms on 3 nodes.
  The lab writes ``token_coefficient: 0`` and ``token: 500`` by default: failure detection in
  about 0.5 s plus 0.6 s consensus. 300 ms made membership flap on a 2-core machine.
* **dc-deadtime.** A node with an empty CIB waits 20 s before it elects itself DC; the seeded
  ``cib.xml`` sets ``dc-deadtime=2s`` (and ``resource-stickiness=100`` as a resource default),
  so a cold start takes 2-5 s.
* **Fencing** (``PacemakerLab(fencing=True)``). Without it (the default) the seeded CIB says
  ``stonith-enabled=false`` and a node that drops out is simply assumed down: after a real
  partition the majority may start a group before the cut-off node has stopped it (a
  double-run window, measured in ``docs/pacemaker.md``). With it, the lab installs a fence
  agent, ``fence_clusapi_lab`` (:mod:`clusapi.testing._fence_agent`), in the lab's ``sbin/``,
  which each node sees in ``/usr/sbin`` through a read-only overlay (the fencer only runs
  ``/usr/sbin/fence_*``; the host's /usr/sbin is untouched), and seeds one stonith device,
  ``lab-fence``, for all nodes, with ``stonith-enabled=true`` and ``stonith-action=off`` (a
  fenced node stays down until the test starts it again). The agent runs as root in the
  fencing node's namespaces and asks the lab over a Unix socket (``fence/sock``, root-only) to
  do the deed: ``off`` kills every process of the target as :meth:`PacemakerLab.kill9` does,
  takes its link down and drops the addresses its resources added; ``on`` brings the link
  back; the daemons start again only with :meth:`PacemakerLab.start_node`. The seeded CIB
  also sets ``startup-fencing=false``: the lab starts its nodes together, and a node that is
  slow to join on a busy machine must not be shot before it ever ran anything.
* **Link cuts.** :meth:`PacemakerLab.isolate` takes a node's link down at the bridge (the
  hub's end of its veth: the node cannot bring it back itself), leaving its processes
  running; :meth:`PacemakerLab.reconnect` restores it.
* **Stale history after a rejoin.** Right after a killed node comes back, ``crm_mon`` may show a
  resource "Started" on two nodes for a moment: the rejoined node's old operation history is
  still in the status section until the join erases it. Nothing ran twice (the scheduler's
  log shows one start); pollers must not read that as a double start.
* **Killing a node.** :meth:`PacemakerLab.kill9` SIGKILLs every process in the node's network
  namespace at once, daemons and agents alike, like a power cut: the node's mount namespace
  (with its /run and /dev/shm) vanishes with them, as after a reboot. Its CIB and logs stay in
  ``lab.base``. With stonith disabled the survivors simply assume the node is down; with
  fencing they fence it first (see :attr:`PacemakerLab.fence_history`), and a node started
  again before that fence may be shot by it, as on a real cluster: wait for the fence.
* **Root only.** ``ip netns add`` and Pacemaker's switch to the ``hacluster`` user need real
  root; see :meth:`PacemakerLab.unavailable`.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Final, NamedTuple

from .._errors import make_error
from .._win32 import Win32Error
from . import _fence_agent
from ._fence_device import FenceListener, install_agent

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence
    from types import TracebackType
    from typing import Self

__all__ = ("PacemakerLab",)

#: The packages the lab needs, as the skip messages and errors name them.
INSTALL_HINT: Final = "apt-get install -y pacemaker corosync pacemaker-cli-utils resource-agents"
_CLUSTER_TOOLS: Final = (
    "corosync",
    "corosync-cfgtool",
    "pacemakerd",
    "crm_mon",
    "cibadmin",
    "crm_resource",
    "crm_attribute",
)
_SYSTEM_TOOLS: Final = ("ip", "unshare", "nsenter", "cp")
_SUBNET: Final = "10.77.0"
_HUB_HOST: Final = 254
_PATH: Final = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_PACKAGE_CIB_DIR: Final = Path("/var/lib/pacemaker")
_PACKAGE_OCF: Final = Path("/usr/lib/ocf")
_PACKAGE_COROSYNC: Final = Path("/etc/corosync")
#: Pacemaker's tools read these to talk to a file, a shadow copy or a remote CIB instead of
#: the node's live one; a test process that has one set must not redirect the lab's calls.
_CIB_REDIRECTS: Final = ("CIB_file", "CIB_shadow", "CIB_port", "CIB_server", "CIB_user")
_POLL: Final = 0.2

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

#: The stonith device of a lab with fencing: its id, and the agent it runs.
FENCE_DEVICE: Final = "lab-fence"
FENCE_AGENT: Final = _fence_agent.AGENT
_SEED_RSC_DEFAULTS: Final = """\
<rsc_defaults>
  <meta_attributes id="rsc-options">
    <nvpair id="rsc-options-resource-stickiness" name="resource-stickiness" value="100"/>
  </meta_attributes>
</rsc_defaults>"""
#: cluster properties the DC maintains itself; reset() keeps them.
_DC_PROPERTIES: Final = frozenset(
    {"have-watchdog", "dc-version", "cluster-infrastructure", "cluster-name", "last-lrm-refresh"}
)


class LabCommandError(subprocess.CalledProcessError):
    """A command run in a lab node failed; the message carries its stderr."""

    def __str__(self) -> str:
        text = super().__str__()
        detail = (self.stderr or self.stdout or "").strip()
        return f"{text}: {detail[-2000:]}" if detail else text


class FenceEvent(NamedTuple):
    """One request the lab's fence device carried out (:attr:`PacemakerLab.fence_history`)."""

    #: ``time.monotonic()`` when the lab had done it (for ``off``: every process dead).
    time: float
    #: "off", "on" or "reboot".
    action: str
    #: The target's node name.
    node: str


class _Node:
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
    def running(self) -> bool:
        """The namespaces are held open: commands can run in the node."""
        return self.launcher is not None and self.launcher.poll() is None

    @property
    def up(self) -> bool:
        """The namespaces, corosync and pacemakerd are all alive."""
        return self.running and all(
            p is not None and p.poll() is None for p in (self.corosync, self.pacemakerd)
        )

    def processes(self) -> list[subprocess.Popen[bytes]]:
        return [p for p in (self.pacemakerd, self.corosync, self.launcher) if p is not None]


class PacemakerLab:
    """A real Pacemaker cluster of ``nodes`` nodes on this machine, in network namespaces.

    Example::

        with PacemakerLab(nodes=3) as lab:        # start() ... teardown()
            lab.run(1, ["cibadmin", "--create", "-o", "resources", "--xml-text", xml])
            lab.kill9(2)                           # power cut of node2
            lab.start_node(2)                      # it rejoins
            lab.isolate(3)                         # node3's link down, its processes run on
            lab.reconnect(3)

        with PacemakerLab(nodes=3, fencing=True) as lab:   # stonith-enabled, a real device
            lab.isolate(2)      # the majority fences node2: its processes die, link stays down
            ...                 # lab.fence_history: what the device did, and when
            lab.reconnect(2)
            lab.start_node(2)   # power on: it boots and rejoins

    Synchronous and standard-library only (the pytest fixtures ``pacemaker_lab`` and
    ``pacemaker_lab3`` wrap it). Needs root and the packages named by :meth:`unavailable`.

    Args:
        nodes: how many nodes (1-253); node *i* is ``node<i>`` at ``10.77.0.<i>``.
        base: a directory to create the lab's own directory in (default: the system's temp
            directory). The lab's directory is removed by :meth:`teardown` unless ``keep``.
        token_ms: Corosync's totem token in ms (``token_coefficient`` is always 0, so this is
            the effective failure-detection timeout; consensus is 1.2 times it).
        keep: keep the lab's directory (configs, CIBs, logs) after :meth:`teardown`.
        fencing: give the cluster a real fence device (``stonith-enabled=true``, one stonith
            resource ``lab-fence`` of agent ``fence_clusapi_lab`` for every node) that powers a
            node off: every process in its network namespace killed, its link down. Off by
            default (``stonith-enabled=false``: a lost node is assumed down).

    Raises:
        InvalidParameterError: ERROR_INVALID_PARAMETER for a node count or token out of range.
    """

    #: Cached result of the namespace probe of :meth:`unavailable` ("" when it passed).
    _probe: ClassVar[str | None] = None
    #: The same for the overlay mount that fencing needs.
    _overlay_probe: ClassVar[str | None] = None

    def __init__(
        self,
        nodes: int = 3,
        base: str | os.PathLike[str] | None = None,
        token_ms: int = 500,
        *,
        keep: bool = False,
        fencing: bool = False,
    ) -> None:
        if not 1 <= nodes <= 253:
            raise make_error(
                Win32Error.ERROR_INVALID_PARAMETER,
                f"PacemakerLab(nodes={nodes!r}): a lab has 1 to 253 nodes",
                fix="pass nodes=1 for most tests, nodes=3 for failover",
            )
        if not 200 <= token_ms <= 60_000:
            raise make_error(
                Win32Error.ERROR_INVALID_PARAMETER,
                f"PacemakerLab(token_ms={token_ms!r}): the token must be 200-60000 ms",
                fix="keep the default 500 (300 flaps on a busy machine)",
            )
        self._n = nodes
        self._token_ms = token_ms
        self._keep = keep
        self._parent = Path(base) if base is not None else None
        self._id = secrets.token_hex(3)
        self._base: Path | None = None
        self._hub = f"cl{self._id}h"
        self._nodes = [
            _Node(i, Path(), f"cl{self._id}n{i}") for i in range(1, nodes + 1)
        ]  # directories are set in _setup(), once the base exists
        self._netns_made: list[str] = []
        self._started = False
        self._closed = False
        self._fencing = fencing
        self._listener: FenceListener | None = None
        self._fence_history: list[FenceEvent] = []
        # The fence device's thread kills and powers nodes while the test's thread may do the
        # same (kill9, start_node, teardown): one node operation at a time.
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ description

    @classmethod
    def unavailable(cls, *, fencing: bool = False) -> str | None:
        """Why the lab cannot run here, or None when it can.

        The reason names what to do: the ``apt-get install`` line for missing packages, "run as
        root", or the missing namespace tools. The namespace probe runs once per process.
        With ``fencing``, also whether overlayfs can show the lab's fence agent in a node's
        /usr/sbin (probed once per process, in a throw-away mount namespace).
        """
        if not sys.platform.startswith("linux"):
            return "the Pacemaker lab needs Linux (network namespaces)"
        missing = [tool for tool in _CLUSTER_TOOLS if shutil.which(tool, path=_PATH) is None]
        if missing:
            return (
                f"Pacemaker/Corosync not installed ({', '.join(missing)} missing): {INSTALL_HINT}"
            )
        try:
            pwd.getpwnam("hacluster")
        except KeyError:
            return f"no user 'hacluster' (Pacemaker's package creates it): {INSTALL_HINT}"
        if os.geteuid() != 0:
            return (
                "run as root: the Pacemaker lab creates network namespaces and mounts, and "
                "Pacemaker's daemons switch to the hacluster user"
            )
        missing = [tool for tool in _SYSTEM_TOOLS if shutil.which(tool, path=_PATH) is None]
        if missing:
            return (
                f"the Pacemaker lab needs ip netns / unshare / nsenter ({', '.join(missing)} "
                "missing): apt-get install -y iproute2 util-linux"
            )
        if cls._probe is None:
            probe = subprocess.run(
                ["unshare", "--net", "--mount", "--uts", "true"],
                capture_output=True,
                text=True,
                check=False,
                env={"PATH": _PATH},
            )
            cls._probe = (
                ""
                if probe.returncode == 0
                else "the Pacemaker lab needs ip netns / unshare (network and mount namespaces), "
                f"which fail here: {probe.stderr.strip()}"
            )
        if cls._probe:
            return cls._probe
        if fencing:
            if cls._overlay_probe is None:
                cls._overlay_probe = _probe_overlay()
            return cls._overlay_probe or None
        return None

    @property
    def node_names(self) -> tuple[str, ...]:
        """``("node1", "node2", ...)``: the Pacemaker (and Corosync) node names."""
        return tuple(node.name for node in self._nodes)

    @property
    def lab_id(self) -> str:
        """The short random id in this lab's namespace names (``cl<id>h``, ``cl<id>n<i>``)."""
        return self._id

    @property
    def base(self) -> Path:
        """The lab's directory (configs, CIBs, logs, ``ocf/``); exists after :meth:`start`."""
        if self._base is None:
            raise RuntimeError("the lab has no directory yet: call lab.start() first")
        return self._base

    @property
    def ocf_root(self) -> Path:
        """The lab's copy of /usr/lib/ocf, bind-mounted at /usr/lib/ocf in every node.

        Install agents here (``python -m resapi.ocf install X --ocf-root <lab.ocf_root>``);
        every node sees them at once, and the host's /usr/lib/ocf stays untouched.
        """
        return self.base / "ocf"

    @property
    def hub_address(self) -> str:
        """The hub's address on the cluster network, ``"10.77.0.254"`` (a client's view)."""
        return f"{_SUBNET}.{_HUB_HOST}"

    @property
    def netns_names(self) -> tuple[str, ...]:
        """The network namespaces this lab creates: the hub's first, then one per node."""
        return (self._hub, *(node.netns for node in self._nodes))

    def address(self, i: int) -> str:
        """Node ``i``'s cluster address, ``"10.77.0.<i>"`` (``i`` is 1-based)."""
        return f"{_SUBNET}.{self._node(i).index}"

    def node_running(self, i: int) -> bool:
        """True while node ``i``'s corosync and pacemakerd run (started, not killed or stopped)."""
        return self._node(i).up

    def log_file(self, i: int, which: str = "pacemaker") -> Path:
        """Node ``i``'s ``"pacemaker"`` or ``"corosync"`` log file, as seen from the host."""
        if which not in ("pacemaker", "corosync"):
            raise make_error(
                Win32Error.ERROR_INVALID_PARAMETER,
                f"no {which!r} log in a lab node",
                fix="ask for 'pacemaker' or 'corosync'",
            )
        return self._node(i).dir / f"log-{which}" / f"{which}.log"

    @property
    def fencing(self) -> bool:
        """Whether the lab has a fence device (``PacemakerLab(fencing=True)``)."""
        return self._fencing

    @property
    def fence_history(self) -> tuple[FenceEvent, ...]:
        """What the lab's fence device did, oldest first: (monotonic time, action, node)."""
        with self._lock:
            return tuple(self._fence_history)

    def node_root(self, i: int) -> Path:
        """Node ``i``'s ``/`` as the host sees it, its private /run and /dev/shm included.

        ``lab.node_root(2) / "run/resource-agents"`` is node2's ``HA_RSCTMP`` (where
        ``ocf:heartbeat:Dummy`` keeps its state file), read without starting a process in
        the node: fast enough to poll every few milliseconds. It is ``/proc/<pid>/root`` of
        the process that holds the node's namespaces, so it vanishes when the node dies
        (paths under it then raise ``FileNotFoundError``) and is not valid after a restart:
        ask again.

        Raises:
            RuntimeError: node ``i`` is not running.
        """
        self.command_prefix(i)  # the same check, the same message
        launcher = self._node(i).launcher
        assert launcher is not None
        return Path(f"/proc/{launcher.pid}/root")

    # ------------------------------------------------------------------ the network

    def isolate(self, i: int) -> None:
        """Cut node ``i``'s link: the hub's end of its veth goes down; its processes run on.

        The node keeps its address but reaches nobody, and nobody reaches it (the cable
        pulled out of the switch): the others lose it after the token timeout plus
        consensus, and it finds itself alone, without quorum. The node cannot undo it from
        inside. :meth:`reconnect` restores the link.

        Raises:
            RuntimeError: the lab is not started.
        """
        with self._lock:
            self._node(i).isolated = True
            self._set_link(self._node(i))

    def reconnect(self, i: int) -> None:
        """Restore node ``i``'s link after :meth:`isolate`.

        A node that is still running merges back (Corosync and Pacemaker do the rest); a node
        the fence device powered off stays down, its link down too, until
        :meth:`start_node` (a power-on brings the link up).
        """
        with self._lock:
            self._node(i).isolated = False
            self._set_link(self._node(i))

    def link_up(self, i: int) -> bool:
        """Whether node ``i``'s link is up: not isolated, not powered off by the fence device."""
        node = self._node(i)
        return not (node.isolated or node.powered_off)

    def _set_link(self, node: _Node) -> None:
        if self._hub not in self._netns_made:
            raise RuntimeError(f"lab {self._id} has no network: call lab.start() first")
        state = "up" if self.link_up(node.index) else "down"
        _check(["ip", "-n", self._hub, "link", "set", f"v{node.index}", state])

    # ------------------------------------------------------------------ the fence device

    def _fence(self, action: str, target: str) -> tuple[int, str]:
        """Carry out one request of the fence agent (see :mod:`._fence_agent`)."""
        if action == "monitor":
            return 0, ""
        if action == "list":
            return 0, "".join(f"{name},{name}\n" for name in self.node_names)
        node = next((n for n in self._nodes if n.name == target), None)
        if node is None:
            return (
                1,
                f"lab {self._id} has no node {target!r}; it has {', '.join(self.node_names)}\n",
            )
        with self._lock:
            if self._closed:
                return 1, f"lab {self._id} is torn down\n"
            if action == "status":
                return (2, "off\n") if node.powered_off or not node.running else (0, "on\n")
            if action in ("off", "reboot"):
                self._power_off(node)
            if action in ("on", "reboot"):
                node.powered_off = False
                self._set_link(node)
            self._fence_history.append(FenceEvent(time.monotonic(), action, node.name))
        return 0, ""

    def _power_off(self, node: _Node) -> None:
        """What a power switch does: every process dead, the link down, runtime config gone."""
        node.powered_off = True
        self._set_link(node)  # first: not one more packet from it
        self._kill_netns(node.netns, signal.SIGKILL)
        self._reap(node)
        # A machine that lost power comes back without the addresses its resources added
        # (IPaddr2's): left in the namespace, they would answer ARP beside the new owner.
        own = f"{self.address(node.index)}/24"
        shown = subprocess.run(
            ["ip", "-n", node.netns, "-o", "addr", "show", "dev", "eth0"],
            capture_output=True,
            text=True,
            check=False,
            env={"PATH": _PATH},
        )
        for line in shown.stdout.splitlines():
            fields = line.split()
            if "inet" in fields:
                address = fields[fields.index("inet") + 1]
                if address != own:
                    _quiet(["ip", "-n", node.netns, "addr", "del", address, "dev", "eth0"])

    def _install_fencing(self) -> None:
        """The agent (in ``sbin/``, which the nodes see in /usr/sbin) and its socket."""
        sbin = self.base / "sbin"
        sbin.mkdir(mode=0o755)
        install_agent(sbin)
        control = self.base / "fence"
        control.mkdir(mode=0o700)  # root only, whatever the umask
        control.chmod(0o700)
        self._listener = FenceListener(control / "sock", self._fence)

    def _fence_socket(self) -> Path:
        return self.base / "fence" / "sock"

    def _seed_crm_config(self) -> str:
        return _crm_config(self._fencing)

    def _seed_resources(self) -> str:
        if not self._fencing:
            return "<resources/>"
        hosts = " ".join(self.node_names)
        d = FENCE_DEVICE
        return (
            f'<resources>\n  <primitive id="{d}" class="stonith" type="{FENCE_AGENT}">\n'
            f'    <instance_attributes id="{d}-params">\n'
            f'      <nvpair id="{d}-socket" name="socket" value="{self._fence_socket()}"/>\n'
            f'      <nvpair id="{d}-hosts" name="pcmk_host_list" value="{hosts}"/>\n'
            f'      <nvpair id="{d}-check" name="pcmk_host_check" value="static-list"/>\n'
            "    </instance_attributes>\n"
            f'    <operations><op id="{d}-monitor" name="monitor" interval="60s"/></operations>\n'
            "  </primitive>\n</resources>"
        )

    # ------------------------------------------------------------------ commands in a node

    def command_prefix(self, i: int) -> list[str]:
        """The argv prefix that runs a command inside node ``i`` (net, mount and UTS ns).

        Raises:
            RuntimeError: node ``i`` is not running (killed or stopped; see start_node()).
        """
        node = self._node(i)
        if not node.running or node.launcher is None:
            raise RuntimeError(
                f"{node.name} of lab {self._id} is not running; start it with lab.start_node({i})"
            )
        return ["nsenter", "-t", str(node.launcher.pid), "-n", "-m", "-u", "--"]

    def hub_prefix(self) -> list[str]:
        """The argv prefix that runs a command in the hub namespace (a client of the cluster).

        The hub reaches every node's address; nodes reach the hub at :attr:`hub_address`.
        """
        if self._hub not in self._netns_made:
            raise RuntimeError(f"lab {self._id} has no hub namespace: call lab.start() first")
        return ["ip", "netns", "exec", self._hub]

    def run(
        self,
        i: int,
        argv: Sequence[str],
        check: bool = True,
        timeout: float = 30,
        *,
        input: str | None = None,  # noqa: A002 - the name subprocess.run uses
    ) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` inside node ``i`` and return its result (text, stdout and stderr captured).

        The test process's environment is passed on, except ``CIB_file`` and friends, which
        would send Pacemaker's tools to another CIB than the node's live one.

        Raises:
            LabCommandError: (a ``subprocess.CalledProcessError``) ``check`` and a non-zero exit;
                its message ends with the command's stderr.
            subprocess.TimeoutExpired: the command ran longer than ``timeout`` (it is killed).
            RuntimeError: node ``i`` is not running.
        """
        env = {k: v for k, v in os.environ.items() if k not in _CIB_REDIRECTS}
        result = subprocess.run(
            [*self.command_prefix(i), *argv],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd="/",
            env=env,
            input=input,
        )
        if check and result.returncode != 0:
            raise LabCommandError(result.returncode, list(argv), result.stdout, result.stderr)
        return result

    def status(self, i: int | None = None) -> ET.Element:
        """``crm_mon --output-as=xml`` in node ``i`` (default: the first running node), parsed.

        Raises:
            LabCommandError: crm_mon failed (e.g. the node's Pacemaker is not up yet).
        """
        node = self._observer(i)
        result = self.run(node, ["crm_mon", "-1", "--output-as=xml"], timeout=15)
        return ET.fromstring(result.stdout)

    def wait(
        self,
        predicate: Callable[[ET.Element], bool],
        timeout: float = 30.0,
        i: int | None = None,
        what: str = "the condition",
    ) -> ET.Element:
        """Poll :meth:`status` until ``predicate(status)`` holds; return that status.

        crm_mon failures while polling (a node rejoining, a DC election) count as "not yet".

        Raises:
            TimeoutError: not within ``timeout`` s; the message has the last crm_mon output
                and the tail of the node's pacemaker.log.
        """
        deadline = time.monotonic() + timeout
        last = ""
        while True:
            try:
                result = self.run(
                    self._observer(i), ["crm_mon", "-1", "--output-as=xml"], timeout=15
                )
                last = result.stdout
                status = ET.fromstring(last)
                if predicate(status):
                    return status
            except (subprocess.SubprocessError, ET.ParseError, RuntimeError) as exc:
                last = str(exc)
            if time.monotonic() >= deadline:
                try:
                    log = self.log_file(self._observer(i))
                except RuntimeError:
                    log = self.log_file(1)
                raise TimeoutError(
                    f"lab {self._id}: {what} did not hold within {timeout:g} s; "
                    f"last crm_mon output:\n{last[-3000:]}\n--- tail of {log}:\n{_tail(log, 25)}"
                )
            time.sleep(_POLL)

    def pids(self, i: int) -> dict[int, str]:
        """Every live process in node ``i``'s network namespace: PID → command name.

        That is the node's launcher, corosync, pacemakerd and its sub-daemons, and the
        processes of its resource agents (e.g. a resapi agent's host daemon), i.e. what
        :meth:`kill9` kills. Empty when the node is down.
        """
        return {pid: _comm(pid) for pid in self._netns_pids(self._node(i).netns)}

    # ------------------------------------------------------------------ lifecycle

    def start(self, timeout: float = 30.0) -> None:
        """Set the lab up and start every node; return when the cluster is ready.

        Ready means: a DC is elected, the partition has quorum, and every node is online, as
        ``crm_mon --output-as=xml`` in node 1 reports it. On any failure (including Ctrl-C) it
        tears down what it started before raising.

        Raises:
            RuntimeError: the lab cannot run here (the reason from :meth:`unavailable`), or
                was started before.
            TimeoutError: not ready within ``timeout`` s; the message has the last crm_mon
                output and the tail of the nodes' corosync and pacemaker logs.
        """
        if self._started:
            raise RuntimeError(f"lab {self._id} was started already; make a new PacemakerLab")
        reason = self.unavailable(fencing=self._fencing)
        if reason is not None:
            raise RuntimeError(reason)
        self._started = True
        atexit.register(self.teardown)
        try:
            self._setup()
            self._launch(self._nodes)
            self._wait_ready(self._nodes[0], timeout)
        except BaseException:
            self.teardown()
            raise

    def start_node(self, i: int, wait: bool = True, timeout: float = 30.0) -> None:
        """Start node ``i`` again after :meth:`kill9`, :meth:`stop_node` or a fence (a rejoin).

        After the fence device's ``off`` this is the power coming back: the node's link comes
        up with it (unless :meth:`isolate` cut it: a cable stays pulled across a reboot).

        With ``wait``, return when node ``i`` sees a DC, every running node online (itself
        included) and quorum if a majority of the nodes runs.

        Raises:
            RuntimeError: node ``i`` runs already, or the lab is not started.
            TimeoutError: as :meth:`start` (the node is left running, for inspection).
        """
        node = self._node(i)
        if not self._started or self._closed:
            raise RuntimeError(f"lab {self._id} is not started; call lab.start() first")
        if node.up:
            raise RuntimeError(f"{node.name} of lab {self._id} is running already")
        with self._lock:
            # A half-dead node (a test killed one daemon by PID) is cleared first, like a reboot.
            self._kill_netns(node.netns, signal.SIGKILL)
            self._reap(node)
            if node.powered_off:  # the fence device's "off": the power comes back
                node.powered_off = False
                self._set_link(node)
            self._launch([node])
        if wait:
            self._wait_ready(node, timeout)

    def wait_ready(self, timeout: float = 30.0, i: int | None = None) -> None:
        """Wait until node ``i`` (default: the first running one) sees the cluster ready.

        Ready: a DC, every running node online, and quorum if a majority of the nodes runs;
        what :meth:`start` and :meth:`start_node` wait for. Useful after several
        ``start_node(i, wait=False)``.

        Raises:
            TimeoutError: not within ``timeout`` s (the message has crm_mon's output and logs).
        """
        self._wait_ready(self._nodes[self._observer(i) - 1], timeout)

    def kill9(self, i: int) -> None:
        """Power cut of node ``i``: SIGKILL every process in its network namespace at once.

        Corosync, pacemakerd and its sub-daemons, the node's agent processes and its launcher
        die together; its mount namespace (/run, /dev/shm) goes with them. The other nodes
        notice after the token timeout (plus consensus).
        """
        node = self._node(i)
        with self._lock:
            self._kill_netns(node.netns, signal.SIGKILL)
            self._reap(node)

    def stop_node(self, i: int, timeout: float = 30.0) -> None:
        """Stop node ``i`` gracefully: SIGTERM pacemakerd, wait, then SIGTERM corosync.

        Pacemaker stops or moves the node's resources first. What is left after ``timeout``
        s is killed (SIGKILL), so the node is down when this returns.
        """
        node = self._node(i)
        with self._lock:
            self._stop_nodes([node], timeout)

    def reset(self, timeout: float = 30.0) -> None:
        """Bring the configuration back to the seeded one, for the next test.

        Deletes every resource, constraint, tag, alert and operation default, restores the
        seeded cluster properties and resource defaults (keeping those the DC maintains),
        removes node attributes (standby, maintenance, ...), clears fail counts and operation
        history (``crm_resource --cleanup`` and ``--refresh``), and waits until the status shows
        no resource and no failure.

        Raises:
            RuntimeError: no node is running.
            TimeoutError: the cluster did not settle within ``timeout`` s.
        """
        observer = self._observer(None)
        deadline = time.monotonic() + timeout

        def left() -> float:
            return max(deadline - time.monotonic(), 1.0)

        current = ET.fromstring(
            self.run(observer, ["cibadmin", "--query", "-o", "configuration"]).stdout
        )
        # One replace, one transaction: the scheduler sees a single change and stops the
        # now orphaned resources (stop-orphan-resources defaults to true).
        self.run(
            observer,
            ["cibadmin", "--replace", "-o", "configuration", "--xml-pipe"],
            input=_reset_configuration(current, self._seed_crm_config(), self._seed_resources()),
        )
        # Fail counts are node attributes kept by attrd: --cleanup clears them (and lets a
        # resource whose stop failed, blocked without fencing, be stopped again).
        self.run(observer, ["crm_resource", "--cleanup"])
        what = "reset: all resources stopped"
        self.wait(lambda s: not _active_resources(s), left(), observer, what)
        # The deleted resources' operation history stays in the status section: --refresh
        # drops it. (`crm_resource --wait` would also tell when all is done, but costs 2 s.)
        self.run(observer, ["crm_resource", "--refresh"])
        what = "reset: no resources, failures or history"
        self.wait(_settled_empty, left(), observer, what)

    def teardown(self, grace: float = 10.0) -> None:
        """Stop every process the lab started, delete its namespaces and its directory.

        Graceful first (SIGTERM to each pacemakerd, then corosync) for at most ``grace`` s,
        then SIGKILL of whatever is left in the nodes' namespaces; deleting the namespaces
        takes the veths and the bridge with them, and the nodes' mounts went with their mount
        namespaces. The directory stays if the lab was made with ``keep=True``. Idempotent;
        registered with :mod:`atexit` by :meth:`start`; a Ctrl-C during the graceful part skips
        to the SIGKILL part, finishes, and is re-raised.
        """
        if self._closed:
            return
        interrupted: KeyboardInterrupt | None = None
        if self._listener is not None:
            # First: a node stopping now is not fenced (the fencer's request fails and is
            # retried until its daemon is stopped too).
            self._listener.close()
            self._listener = None
        try:
            self._stop_nodes([n for n in self._nodes if n.running], grace)
        except KeyboardInterrupt as exc:
            interrupted = exc
        finally:
            for node in self._nodes:
                self._kill_netns(node.netns, signal.SIGKILL)
                self._reap(node)
            for name in reversed(self._netns_made):
                _quiet(["ip", "netns", "delete", name])
            self._netns_made.clear()
            if self._base is not None and not self._keep:
                shutil.rmtree(self._base, ignore_errors=True)
            self._closed = True
            atexit.unregister(self.teardown)
        if interrupted is not None:
            raise interrupted

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.teardown()

    def __repr__(self) -> str:
        up = [n.name for n in self._nodes if n.up]
        state = "closed" if self._closed else "started" if self._started else "new"
        return f"<PacemakerLab {self._id} {state}, {self._n} node(s), running: {up}>"

    # ------------------------------------------------------------------ internals

    def _node(self, i: int) -> _Node:
        if type(i) is not int or not 1 <= i <= self._n:  # no bools, no floats
            raise make_error(
                Win32Error.ERROR_CLUSTER_NODE_NOT_FOUND,
                f"lab {self._id} has no node {i!r}",
                fix=f"nodes are numbered 1 to {self._n}",
            )
        return self._nodes[i - 1]

    def _observer(self, i: int | None) -> int:
        if i is not None:
            return self._node(i).index
        for node in self._nodes:
            if node.up:
                return node.index
        raise RuntimeError(f"no node of lab {self._id} is running")

    def _setup(self) -> None:
        parent = self._parent if self._parent is not None else Path(tempfile.gettempdir())
        parent.mkdir(parents=True, exist_ok=True)
        base = parent / f"cl{self._id}"
        base.mkdir()
        self._base = base
        base.chmod(0o755)  # hacluster (alert agents, the CIB's owner) must reach it
        _check(["cp", "-a", str(_PACKAGE_OCF), str(base / "ocf")])
        if self._fencing:
            self._install_fencing()
        for node in self._nodes:
            node.dir = base / f"n{node.index}"
            self._make_node_dir(node.dir)
        conf = self._corosync_conf()
        for node in self._nodes:
            (node.dir / "etc-corosync" / "corosync.conf").write_text(conf)
        self._make_network()

    def _make_node_dir(self, d: Path) -> None:
        d.mkdir()
        _check(["cp", "-a", str(_PACKAGE_COROSYNC), str(d / "etc-corosync")])
        # cp -a keeps hacluster:haclient on cib/, pengine/, ...: the daemons insist on it.
        _check(["cp", "-a", str(_PACKAGE_CIB_DIR), str(d / "lib-pacemaker")])
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
        seed.write_text(_seed_cib(self._seed_crm_config(), self._seed_resources()))
        os.chown(seed, hacluster.pw_uid, hacluster.pw_gid)
        seed.chmod(0o600)

    def _corosync_conf(self) -> str:
        nodes = "".join(
            f"    node {{\n        ring0_addr: {self.address(n.index)}\n"
            f"        name: {n.name}\n        nodeid: {n.index}\n    }}\n"
            for n in self._nodes
        )
        return (
            "totem {\n    version: 2\n"
            f"    cluster_name: cl{self._id}\n"
            "    transport: knet\n    crypto_cipher: none\n    crypto_hash: none\n"
            f"    token: {self._token_ms}\n    token_coefficient: 0\n}}\n"
            f"nodelist {{\n{nodes}}}\n"
            "quorum {\n    provider: corosync_votequorum\n}\n"
            "logging {\n    fileline: off\n    to_stderr: no\n    to_logfile: yes\n"
            "    logfile: /var/log/corosync/corosync.log\n    to_syslog: no\n"
            "    timestamp: on\n}\n"
        )

    def _make_network(self) -> None:
        taken = set(_netns_list())
        if taken.intersection(self.netns_names):  # 2^24 ids: practically never
            raise RuntimeError(f"lab id {self._id} collides with existing namespaces")
        hub = self._hub
        self._add_netns(hub)
        _check(["ip", "-n", hub, "link", "set", "lo", "up"])
        _check(["ip", "-n", hub, "link", "add", "br0", "type", "bridge"])
        _check(["ip", "-n", hub, "addr", "add", f"{self.hub_address}/24", "dev", "br0"])
        _check(["ip", "-n", hub, "link", "set", "br0", "up"])
        for node in self._nodes:
            ns = node.netns
            self._add_netns(ns)
            # Both ends are created straight in their namespaces: no name ever appears in the
            # host's namespace, so labs cannot collide on interface names.
            veth = ["ip", "link", "add", "eth0", "netns", ns, "type", "veth"]
            _check([*veth, "peer", "name", f"v{node.index}", "netns", hub])
            _check(["ip", "-n", hub, "link", "set", f"v{node.index}", "master", "br0", "up"])
            _check(["ip", "-n", ns, "link", "set", "lo", "up"])
            _check(["ip", "-n", ns, "addr", "add", f"{self.address(node.index)}/24", "dev", "eth0"])
            _check(["ip", "-n", ns, "link", "set", "eth0", "up"])

    def _add_netns(self, name: str) -> None:
        _check(["ip", "netns", "add", name])
        self._netns_made.append(name)

    def _launch(self, nodes: list[_Node]) -> None:
        """Start the launchers, then corosync, then (once its IPC answers) pacemakerd."""
        env = {"PATH": _PATH, "LC_ALL": "C.UTF-8", "HOME": "/root"}
        for node in nodes:
            with open(node.dir / "launcher.out", "ab") as err:
                launcher = subprocess.Popen(
                    [
                        *("ip", "netns", "exec", node.netns),
                        *("unshare", "--mount", "--uts", "--propagation", "private"),
                        *("sh", "-c", _LAUNCHER, "sh", node.name, str(node.dir)),
                        *(str(self.ocf_root), f"cl{self._id}{node.name}"),
                        str(self.base / "sbin") if self._fencing else "",
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
                    f"lab {self._id}: {node.name}'s namespaces could not be set up: "
                    + _tail(node.dir / "launcher.out")
                )
        for node in nodes:
            node.corosync = self._daemon(node, "corosync", env)
        for node in nodes:
            self._wait_corosync(node)
            node.pacemakerd = self._daemon(node, "pacemakerd", env)

    def _daemon(self, node: _Node, name: str, env: Mapping[str, str]) -> subprocess.Popen[bytes]:
        with open(node.dir / f"{name}.out", "ab") as out:
            # nsenter execs the daemon: the Popen's PID is the daemon's own, in the foreground.
            return subprocess.Popen(
                [*self.command_prefix(node.index), name, "-f"],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                cwd="/",
                env=env,
                start_new_session=True,
            )

    def _wait_corosync(self, node: _Node, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        prefix = self.command_prefix(node.index)
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
                    f"lab {self._id}: corosync of {node.name} {why}: "
                    + _tail(node.dir / "corosync.out")
                    + _tail(self.log_file(node.index, "corosync"))
                )
            time.sleep(0.05)

    def _wait_ready(self, observer: _Node, timeout: float) -> None:
        running = {n.name for n in self._nodes if n.up}
        quorate = 2 * len(running) > self._n

        def ready(status: ET.Element) -> bool:
            dc = status.find("summary/current_dc")
            if dc is None or dc.get("present") != "true":
                return False
            if quorate and dc.get("with_quorum") != "true":
                return False
            online = {
                n.get("name")
                for n in status.iterfind("nodes/node")
                if n.get("online") == "true" and n.get("pending") != "true"
            }
            return running <= online

        deadline = time.monotonic() + timeout
        what = "a DC" + (" with quorum" if quorate else "") + f" and {sorted(running)} online"
        while True:
            for node in self._nodes:
                for proc, name in ((node.corosync, "corosync"), (node.pacemakerd, "pacemakerd")):
                    if node.running and proc is not None and proc.poll() is not None:
                        raise RuntimeError(
                            f"lab {self._id}: {name} of {node.name} exited with "
                            f"{proc.returncode} during start-up: {self._log_tails()}"
                        )
            try:
                self.wait(
                    ready, min(2.0, max(deadline - time.monotonic(), 0.0)), observer.index, what
                )
                return
            except TimeoutError as exc:
                if time.monotonic() >= deadline:
                    raise TimeoutError(
                        f"lab {self._id}: no {what} within {timeout:g} s.\n{exc}\n"
                        f"{self._log_tails()}"
                    ) from None

    def _log_tails(self) -> str:
        return "\n".join(
            f"--- {node.name} {which}.log:\n{_tail(self.log_file(node.index, which))}"
            for node in self._nodes
            for which in ("corosync", "pacemaker")
        )

    def _stop_nodes(self, nodes: list[_Node], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        # All pacemakerds first, in parallel: a node shutting down hands its resources to
        # nodes that are not shutting down, and the DC must still be there to coordinate.
        for node in nodes:
            _signal(node.pacemakerd, signal.SIGTERM)
        for node in nodes:
            _wait(node.pacemakerd, deadline)
        for node in nodes:
            _signal(node.corosync, signal.SIGTERM)
        for node in nodes:
            _wait(node.corosync, deadline + 5.0)
            if node.launcher is not None and node.launcher.stdin is not None:
                with contextlib.suppress(OSError):
                    node.launcher.stdin.close()  # its `cat` ends: the launcher exits
            _wait(node.launcher, time.monotonic() + 2.0)
        for node in nodes:
            self._kill_netns(node.netns, signal.SIGKILL)  # leftovers: agents' processes
            self._reap(node)

    def _reap(self, node: _Node) -> None:
        """Collect node's Popen objects (none is left a zombie) and forget them."""
        for proc in node.processes():
            if proc.poll() is None:
                _signal(proc, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(5)
            if proc.stdin is not None:
                with contextlib.suppress(OSError):
                    proc.stdin.close()
        node.launcher = node.corosync = node.pacemakerd = None

    def _kill_netns(self, netns: str, sig: signal.Signals) -> None:
        if netns not in self._netns_made:
            return
        for _ in range(50):  # a dying daemon may still fork a child: repeat until empty
            pids = self._netns_pids(netns)
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
            time.sleep(0.02)

    def _netns_pids(self, netns: str) -> list[int]:
        if netns not in self._netns_made:
            return []
        result = subprocess.run(
            ["ip", "netns", "pids", netns], capture_output=True, text=True, check=False
        )
        pids = [int(p) for p in result.stdout.split() if p.isdigit()]
        return [pid for pid in pids if _comm(pid) and not _zombie(pid)]


# ---------------------------------------------------------------------- helpers


def _crm_config(fencing: bool) -> str:
    """The seeded cluster properties (see the module: dc-deadtime, fencing)."""
    fence = (
        '    <nvpair id="opt-stonith-enabled" name="stonith-enabled" value="true"/>\n'
        '    <nvpair id="opt-stonith-action" name="stonith-action" value="off"/>\n'
        '    <nvpair id="opt-startup-fencing" name="startup-fencing" value="false"/>\n'
        if fencing
        else '    <nvpair id="opt-stonith-enabled" name="stonith-enabled" value="false"/>\n'
    )
    return (
        '<crm_config>\n  <cluster_property_set id="cib-bootstrap-options">\n'
        f'{fence}    <nvpair id="opt-dc-deadtime" name="dc-deadtime" value="2s"/>\n'
        "  </cluster_property_set>\n</crm_config>"
    )


def _seed_cib(crm_config: str, resources: str) -> str:
    return f"""\
<cib crm_feature_set="3.16.1" validate-with="pacemaker-3.9" epoch="1" num_updates="0" \
admin_epoch="0">
  <configuration>
{crm_config}
    <nodes/>
{resources}
    <constraints/>
{_SEED_RSC_DEFAULTS}
  </configuration>
  <status/>
</cib>
"""


def _reset_configuration(current: ET.Element, crm_config_xml: str, resources_xml: str) -> str:
    """The seeded configuration, keeping the node entries and the DC's own properties."""
    config = ET.Element("configuration")
    crm_config = ET.fromstring(crm_config_xml)
    seeded = crm_config.find("cluster_property_set")
    assert seeded is not None
    for nvpair in current.iterfind("crm_config/cluster_property_set/nvpair"):
        if nvpair.get("name") in _DC_PROPERTIES:
            seeded.append(nvpair)
    config.append(crm_config)
    nodes = ET.SubElement(config, "nodes")
    for node in current.iterfind("nodes/node"):
        # Only the identity: standby, maintenance and other node attributes go.
        nodes.append(ET.Element("node", dict(node.attrib)))
    config.append(ET.fromstring(resources_xml))
    ET.SubElement(config, "constraints")
    config.append(ET.fromstring(_SEED_RSC_DEFAULTS))
    return ET.tostring(config, encoding="unicode")


def _active_resources(status: ET.Element) -> list[str]:
    return [
        r.get("id", "?")
        for r in status.iter("resource")
        if (r.get("active") == "true" or r.get("orphaned") == "true")
        and r.get("id") != FENCE_DEVICE
    ]


def _settled_empty(status: ET.Element) -> bool:
    """No resource, failure or operation history left, but the lab's own fence device."""

    def others(elements: Iterable[ET.Element], key: str) -> list[ET.Element]:
        # A failure's op_key is "<resource>_<operation>_<interval>".
        return [e for e in elements if e.get(key, "").partition("_")[0] != FENCE_DEVICE]

    return (
        not others(status.iter("resource"), "id")
        and not others(status.iterfind("failures/failure"), "op_key")
        and not others(status.iterfind("node_history/node/resource_history"), "id")
    )


def _probe_overlay() -> str:
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
            env={"PATH": _PATH},
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


def _comm(pid: int) -> str:
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


def _signal(proc: subprocess.Popen[bytes] | None, sig: signal.Signals) -> None:
    if proc is not None and proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(sig)


def _wait(proc: subprocess.Popen[bytes] | None, deadline: float) -> None:
    if proc is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(max(deadline - time.monotonic(), 0.0))


def _check(argv: list[str]) -> None:
    result = subprocess.run(argv, capture_output=True, text=True, check=False, env={"PATH": _PATH})
    if result.returncode != 0:
        raise LabCommandError(result.returncode, argv, result.stdout, result.stderr)


def _quiet(argv: list[str]) -> None:
    subprocess.run(argv, capture_output=True, check=False, env={"PATH": _PATH})


def _tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"({path} missing)"
    return "\n".join(text.splitlines()[-lines:])
