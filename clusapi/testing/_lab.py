"""A real Pacemaker + Corosync cluster on this machine, for tests: :class:`PacemakerLab`.

Each node is a network namespace of its own plus a private mount and UTS namespace, joined to
the others through a bridge in a *hub* namespace, so the host's own network and files are never
touched and several labs run side by side. The namespace plumbing is in ``_lab_shell``, the
node processes in ``_lab_node``, the seeded CIB in ``_lab_cib``, the fence device in
``_fence_device`` / ``_fence_agent``. The layout of a lab's directory and the pitfalls it deals
with (abstract sockets, /dev/shm per node, token tuning, dc-deadtime, fencing, link cuts, stale
history after a rejoin, killing a node, root only): docs/pacemaker.md, "The lab: a real cluster
on one machine".
"""

from __future__ import annotations

import atexit
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
from ._fence_device import FenceListener, install_agent
from ._lab_cib import (
    active_resources,
    crm_config,
    fence_resources,
    reset_configuration,
    seed_cib,
    settled_empty,
)
from ._lab_node import LabNode, corosync_conf, launch, reap, stop_nodes

# probe_overlay is a module global here (looked up at call time), so that a test can replace it.
from ._lab_shell import (
    PATH,
    LabCommandError,
    LabNetwork,
    check,
    comm,
    probe_overlay as _probe_overlay,
    tail,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
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
_PACKAGE_OCF: Final = Path("/usr/lib/ocf")
#: Pacemaker's tools read these to talk to a file, a shadow copy or a remote CIB instead of
#: the node's live one; a test process that has one set must not redirect the lab's calls.
_CIB_REDIRECTS: Final = ("CIB_file", "CIB_shadow", "CIB_port", "CIB_server", "CIB_user")
_POLL: Final = 0.2


class FenceEvent(NamedTuple):
    """One request the lab's fence device carried out (:attr:`PacemakerLab.fence_history`)."""

    #: ``time.monotonic()`` when the lab had done it (for ``off``: every process dead).
    time: float
    #: "off", "on" or "reboot".
    action: str
    #: The target's node name.
    node: str


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
        self._nodes = [
            LabNode(i, Path(), f"cl{self._id}n{i}") for i in range(1, nodes + 1)
        ]  # directories are set in _setup(), once the base exists
        self._network = LabNetwork(self._id, [node.netns for node in self._nodes])
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
        missing = [tool for tool in _CLUSTER_TOOLS if shutil.which(tool, path=PATH) is None]
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
        missing = [tool for tool in _SYSTEM_TOOLS if shutil.which(tool, path=PATH) is None]
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
                env={"PATH": PATH},
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
        return self._network.hub_address

    @property
    def netns_names(self) -> tuple[str, ...]:
        """The network namespaces this lab creates: the hub's first, then one per node."""
        return self._network.names

    def address(self, i: int) -> str:
        """Node ``i``'s cluster address, ``"10.77.0.<i>"`` (``i`` is 1-based)."""
        return self._node(i).address

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
        return self._node(i).log_file(which)

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
        return self._node(i).link_up

    def _set_link(self, node: LabNode) -> None:
        self._network.set_link(node.index, node.link_up)

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

    def _power_off(self, node: LabNode) -> None:
        """What a power switch does: every process dead, the link down, runtime config gone."""
        node.powered_off = True
        self._set_link(node)  # first: not one more packet from it
        self._network.kill(node.netns, signal.SIGKILL)
        reap(node)
        # A machine that lost power comes back without the addresses its resources added
        # (IPaddr2's): left in the namespace, they would answer ARP beside the new owner.
        self._network.drop_added_addresses(node.netns, f"{node.address}/24")

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
        return crm_config(self._fencing)

    def _seed_resources(self) -> str:
        return fence_resources(self._fencing, self.node_names, self._fence_socket())

    # ------------------------------------------------------------------ commands in a node

    def command_prefix(self, i: int) -> list[str]:
        """The argv prefix that runs a command inside node ``i`` (net, mount and UTS ns).

        Raises:
            RuntimeError: node ``i`` is not running (killed or stopped; see start_node()).
        """
        return self._node(i).nsenter_prefix(self._id)

    def hub_prefix(self) -> list[str]:
        """The argv prefix that runs a command in the hub namespace (a client of the cluster).

        The hub reaches every node's address; nodes reach the hub at :attr:`hub_address`.
        """
        if not self._network.exists:
            raise RuntimeError(f"lab {self._id} has no hub namespace: call lab.start() first")
        return ["ip", "netns", "exec", self._network.hub]

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
                    f"last crm_mon output:\n{last[-3000:]}\n--- tail of {log}:\n{tail(log, 25)}"
                )
            time.sleep(_POLL)

    def pids(self, i: int) -> dict[int, str]:
        """Every live process in node ``i``'s network namespace: PID → command name.

        That is the node's launcher, corosync, pacemakerd and its sub-daemons, and the
        processes of its resource agents (e.g. a resapi agent's host daemon), i.e. what
        :meth:`kill9` kills. Empty when the node is down.
        """
        return {pid: comm(pid) for pid in self._network.pids(self._node(i).netns)}

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
            self._network.kill(node.netns, signal.SIGKILL)
            reap(node)
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
            self._network.kill(node.netns, signal.SIGKILL)
            reap(node)

    def stop_node(self, i: int, timeout: float = 30.0) -> None:
        """Stop node ``i`` gracefully: SIGTERM pacemakerd, wait, then SIGTERM corosync.

        Pacemaker stops or moves the node's resources first. What is left after ``timeout``
        s is killed (SIGKILL), so the node is down when this returns.
        """
        node = self._node(i)
        with self._lock:
            stop_nodes([node], timeout, self._network)

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
            input=reset_configuration(current, self._seed_crm_config(), self._seed_resources()),
        )
        # Fail counts are node attributes kept by attrd: --cleanup clears them (and lets a
        # resource whose stop failed, blocked without fencing, be stopped again).
        self.run(observer, ["crm_resource", "--cleanup"])
        what = "reset: all resources stopped"
        self.wait(lambda s: not active_resources(s), left(), observer, what)
        # The deleted resources' operation history stays in the status section: --refresh
        # drops it. (`crm_resource --wait` would also tell when all is done, but costs 2 s.)
        self.run(observer, ["crm_resource", "--refresh"])
        what = "reset: no resources, failures or history"
        self.wait(settled_empty, left(), observer, what)

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
            stop_nodes([n for n in self._nodes if n.running], grace, self._network)
        except KeyboardInterrupt as exc:
            interrupted = exc
        finally:
            for node in self._nodes:
                self._network.kill(node.netns, signal.SIGKILL)
                reap(node)
            self._network.delete()
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

    def _node(self, i: int) -> LabNode:
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
        check(["cp", "-a", str(_PACKAGE_OCF), str(base / "ocf")])
        if self._fencing:
            self._install_fencing()
        for node in self._nodes:
            node.dir = base / f"n{node.index}"
            node.make_dir(seed_cib(self._seed_crm_config(), self._seed_resources()))
        conf = corosync_conf(self._id, self._nodes, self._token_ms)
        for node in self._nodes:
            (node.dir / "etc-corosync" / "corosync.conf").write_text(conf)
        self._network.create()

    def _launch(self, nodes: list[LabNode]) -> None:
        sbin = self.base / "sbin" if self._fencing else None
        launch(nodes, lab_id=self._id, ocf_root=self.ocf_root, sbin=sbin)

    def _wait_ready(self, observer: LabNode, timeout: float) -> None:
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
            f"--- {node.name} {which}.log:\n{tail(node.log_file(which))}"
            for node in self._nodes
            for which in ("corosync", "pacemaker")
        )
