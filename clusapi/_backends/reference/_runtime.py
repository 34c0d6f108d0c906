"""The reference runtime: a whole cluster in one process, as a :class:`~clusapi.lowlevel.Backend`.

The runtime constructs, starts and closes its parts and answers ``execute`` through the handler
table of ``_dispatch``. Its parts, each in its own module: ``state`` (:class:`._state.ClusterState`:
records, lookups, ids, log, events, database), ``membership`` (:class:`._membership.Membership`:
heartbeats, regroup, quorum, crash/restart, partitions), ``monitors``
(:class:`._monitors.NodeMonitors`: hosts, online/offline on a node), ``failover``
(:class:`._failover.FailoverManager`: online/offline/move, failure policy, retries, failback)
and ``checkpoints`` (:class:`._checkpoints.Checkpoints`). All timers read the event loop's
clock, so on a :class:`~clusapi.testing.VirtualClock` hours of cluster time pass in
milliseconds and the same run gives the same cluster log. See docs/architecture.md,
"The reference runtime".
"""

from __future__ import annotations

import asyncio
import functools
import os
import re
import shutil
import tempfile
from typing import TYPE_CHECKING, TypeVar

import anyio

from clusapi._core._registry_tree import RegistryTree
from clusapi._enums import LogLevel
from clusapi._errors import InvalidParameterError, make_error
from clusapi._registry import RegValue
from clusapi._win32 import Win32Error
from resapi._resource import NODE_ENVIRONMENT_KEY

from ._checkpoints import Checkpoints
from ._dispatch import HANDLERS
from ._failover import FailoverManager
from ._loopwatch import LoopWatch
from ._membership import Membership
from ._model import NodeRecord
from ._monitors import NodeMonitors
from ._names import check_name, object_key_path
from ._state import ClusterState

if TYPE_CHECKING:
    from anyio.abc import TaskGroup

    from clusapi._backend import Operation

__all__ = ("ReferenceRuntime",)

T = TypeVar("T")


class ReferenceRuntime:
    """The in-process cluster behind :func:`clusapi.testing.open_reference_cluster`.

    Use it through :class:`~clusapi.Cluster` (it is that cluster's backend) and the test
    controls of the environment; do not call its methods from application code.
    """

    name = "reference"

    def __init__(
        self,
        cluster_name: str,
        node_names: tuple[str, ...],
        task_group: TaskGroup,
        *,
        heartbeat_interval: float = 1.0,
        node_timeout: float = 5.0,
        start_hour: float = 0.0,
        loop_block_threshold: float | None = 1.0,
        connection_node: str | None = None,
    ) -> None:
        if not node_names:
            raise InvalidParameterError(
                Win32Error.ERROR_INVALID_PARAMETER,
                "a cluster needs at least one node",
                fix="pass nodes=('NODE1', 'NODE2')",
            )
        #: The parts the runtime is made of (see the module docstring).
        self.state = ClusterState(cluster_name, task_group, start_hour=start_hour)
        self.checkpoints = Checkpoints(self.state)
        self.membership = Membership(
            self, heartbeat_interval=heartbeat_interval, node_timeout=node_timeout
        )
        self.monitors = NodeMonitors(self)
        self.failover = FailoverManager(self)
        self.loop_block_threshold = loop_block_threshold
        self._loop_watch: LoopWatch | None = None
        self._closed = False
        #: This cluster's own directory for the nodes' temporary files (each node's TEMP is a
        #: directory in it): made by start(), removed by aclose().
        self.temp_root: str | None = None
        for name in node_names:
            if self.state.nodes.find(check_name("node", name)) is not None:
                raise make_error(
                    Win32Error.ERROR_CLUSTER_NODE_EXISTS,
                    f"node name {name!r} is given twice",
                    fix="give each node a distinct name",
                )
            node = NodeRecord(self.state.new_id("node"), name, len(self.state.nodes.by_id) + 1)
            # The node-local registry (its HKLM): it survives crashes, as a disk does.
            node.local = RegistryTree(
                on_change=functools.partial(self.checkpoints.local_changed, node),
                label=f"the local registry of node {name!r}",
            )
            self.state.nodes.add(node)
            self.state.database.create_key(object_key_path("node", node.id))
            self.state.database.set_value(
                object_key_path("node", node.id), "NodeName", RegValue.from_python(name)
            )
        #: The node the client's connection is made to (``OpenCluster``'s RPC server): the
        #: first node unless one is named. New groups are hosted there (connected_node()).
        self._connection_node = (
            self.state.find_node(connection_node) if connection_node is not None else None
        ) or next(iter(self.state.nodes))

    def connected_node(self) -> NodeRecord:
        """The node the client's connection reaches now: the one it was made to while that
        node is up; else the first node that is up, in cluster order, as ``clusapi.dll``
        reconnects to another node when its node goes down (the named node itself if none
        is up). MS-CMRP ApiCreateGroup hosts a new group on this node."""
        node = self.state.nodes.by_id.get(self._connection_node.id)
        if node is not None and node.up:
            return node
        return next((n for n in self.state.nodes if n.up), node or self._connection_node)

    async def start(self) -> None:
        """Start every node's service and the membership monitor."""
        self._make_node_directories()
        for node in self.state.nodes:
            await self.membership.start_node_service(node)
        self.state.task_group.start_soon(self.membership.membership_loop)
        if self.loop_block_threshold is not None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # not asyncio: trio reports blocking on its own
                loop = None
            if loop is not None:
                self._loop_watch = LoopWatch(
                    loop,
                    lambda message: self.state.log(LogLevel.ERROR, "monitor", message),
                    threshold=self.loop_block_threshold,
                )
                self._loop_watch.start()
        self.state.log(
            LogLevel.INFORMATION,
            "cluster",
            f"cluster {self.state.cluster_name!r} formed with {len(self.state.nodes.by_id)} nodes",
        )

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._loop_watch is not None:
            self._loop_watch.stop()
        with anyio.CancelScope(shield=True):
            for node in self.state.nodes:
                for host in list(node.hosts.values()):
                    await host.close()
                node.hosts.clear()
        if self.temp_root is not None:
            # Every instance is closed: nothing runs in the nodes' directories any more.
            shutil.rmtree(self.temp_root, ignore_errors=True)
            self.temp_root = None
        self.state.close()

    def _make_node_directories(self) -> None:
        """Give each node a directory for temporary files of its own, as its ``TEMP``.

        All simulated nodes share one machine; a resource that keeps files per node (an OCF
        agent's state file under ``HA_RSCTMP``, a pid file) finds its node's directory in the
        node's system environment (``Resource.temp_directory``), so two simulated nodes, or
        two clusters with the same node names, never see each other's files.
        """
        if self.temp_root is not None:
            return
        self.temp_root = tempfile.mkdtemp(prefix="clusapi-cluster-")
        for node in self.state.nodes:
            safe = re.sub(r"[^A-Za-z0-9_.-]", "_", node.name)
            path = os.path.join(self.temp_root, f"{node.number}-{safe}")
            os.makedirs(path, exist_ok=True)
            node.local.create_key(NODE_ENVIRONMENT_KEY)
            for name in ("TEMP", "TMP"):
                node.local.set_value(NODE_ENVIRONMENT_KEY, name, RegValue.from_python(path))

    async def execute(self, operation: Operation[T]) -> T:
        if self._closed:
            raise make_error(
                Win32Error.ERROR_CLUSTER_NODE_DOWN,
                f"cluster {self.state.cluster_name!r} is closed",
                fix="open the cluster again",
            )
        handler = HANDLERS.get(type(operation))
        if handler is None:
            raise make_error(
                Win32Error.ERROR_NOT_SUPPORTED,
                f"the reference runtime does not implement {type(operation).__name__}",
            )
        result: T = await handler(self, operation)
        return result
