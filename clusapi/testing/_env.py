"""``open_reference_cluster``: an in-process cluster for tests, demos and development."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, final

import anyio
import attrs

from clusapi._backends.reference._runtime import ReferenceRuntime
from clusapi._cluster import Cluster, open_cluster
from clusapi._core._groups import plain_exceptions
from clusapi._enums import LogLevel
from clusapi._errors import make_error
from clusapi._win32 import Win32Error
from clusapi.testing._clock import require_virtual_time
from resapi._local import LocalRegistry

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping, Sequence

    from clusapi._backends.reference._model import ClusterLogEntry
    from clusapi._core._registry_tree import RegistryTree

__all__ = ("ReferenceEnvironment", "open_reference_cluster")


@final
@attrs.define(eq=False)
class ReferenceEnvironment:
    """A running reference cluster: ``cluster`` is an ordinary :class:`clusapi.Cluster`; the
    test controls (crash a node, restart it, let time pass, read the log) live here.

    Get one from :func:`open_reference_cluster`.
    """

    cluster: Cluster
    _runtime: ReferenceRuntime = attrs.field(alias="runtime")

    def crash_node(self, name: str) -> None:
        """Kill the node's processes now (its resources stop without Offline); the other
        nodes notice when its heartbeats stop, after ``node_timeout`` seconds."""
        self._runtime.membership.crash_node(name)

    async def restart_node(self, name: str) -> None:
        """Start a crashed node again; it rejoins without manual steps."""
        await self._runtime.membership.restart_node(name)

    def partition(self, *sides: Sequence[str]) -> None:
        """Cut the interconnect: nodes hear only the nodes on their own side.

        Example: ``env.partition(["N1"], ["N2", "N3"])``. Nodes not named form one more side.
        The sides notice after ``node_timeout`` (missed heartbeats); then only the side with
        quorum keeps its members, and nodes on the others stop their resources first.

        Raises:
            InvalidParameterError: for an unknown node or a node named on two sides.
        """
        runtime = self._runtime
        seen: set[str] = set()
        resolved: list[frozenset[str]] = []
        for side in sides:
            if isinstance(side, str):
                side = [side]  # partition("N1", "N2") means one node per side
            ids = frozenset(runtime.state.find_node(name).id for name in side)
            if ids & seen:
                raise make_error(
                    Win32Error.ERROR_INVALID_PARAMETER,
                    f"a node is named on two sides of the partition {sides!r}",
                    fix="name each node on one side only",
                )
            seen |= ids
            resolved.append(ids)
        rest = frozenset(runtime.state.nodes.by_id) - seen
        if rest:
            resolved.append(rest)
        runtime.membership.set_partition(resolved)

    def heal(self) -> None:
        """Reconnect the interconnect; cut-off nodes rejoin at the next membership round."""
        self._runtime.membership.set_partition(None)

    async def advance(self, seconds: float) -> None:
        """Let ``seconds`` of cluster time pass at once (on virtual time), then settle.

        Raises:
            InvalidStateError: ERROR_INVALID_STATE, if the event loop runs on real time (the
                test is not marked ``virtual_time``): it would sleep ``seconds`` real seconds.
        """
        __tracebackhide__ = True  # pytest shows the user's call, not this check
        require_virtual_time(f"env.advance({seconds!r})")
        await anyio.sleep(seconds)
        await self.settle()

    async def settle(self) -> None:
        """Let everything that can run now run, without letting time pass.

        Returns once every other task waits for a timer or I/O.
        """
        await settle()

    @property
    def log(self) -> Sequence[ClusterLogEntry]:
        """The cluster log: the runtime's and the resources' entries, in order."""
        return tuple(self._runtime.state.cluster_log)

    def format_log(self, min_level: LogLevel = LogLevel.INFORMATION) -> str:
        """The cluster log as text, one entry per line (deterministic on a virtual clock)."""
        return "\n".join(
            e.format() for e in self._runtime.state.cluster_log if e.level >= min_level
        )

    def node_database(self, name: str) -> Mapping[str, Mapping[str, object]]:
        """The cluster database as node ``name`` sees it: key path → {value name: data}.

        A member reads the current database; a node that is down keeps the copy it had when
        it went down, and reads the current one again when it rejoins.
        """
        node = self._runtime.state.find_node(name)
        tree = node.replica if node.replica is not None else self._runtime.state.database
        return _flatten(tree)

    def local_registry(self, name: str) -> LocalRegistry:
        """Node ``name``'s local registry, writable: what an administrator on that node (or a
        process outside the cluster) would change."""
        return LocalRegistry(self._runtime.state.find_node(name).local)

    def node_registry(self, name: str) -> Mapping[str, Mapping[str, object]]:
        """Node ``name``'s local registry: key path → {value name: data}."""
        return _flatten(self._runtime.state.find_node(name).local)

    def cluster_hour(self) -> float:
        """The hour of day in cluster-local time (failback windows read it)."""
        return self._runtime.state.cluster_hour()

    @property
    def events_emitted(self) -> int:
        """How many change events the cluster has emitted so far."""
        return self._runtime.state.events.emitted


def _flatten(tree: RegistryTree) -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = {}

    def walk(path: str) -> None:
        out[path] = {name: value.data for name, value in tree.enum_values(path)}
        for sub in tree.enum_keys(path):
            walk(f"{path}\\{sub}" if path else sub)

    walk("")
    return out


async def settle() -> None:
    """Run the ready tasks until none is left, without moving the clock.

    ``anyio.wait_all_tasks_blocked()`` sleeps 0.1 s between its looks on asyncio, which on a
    virtual clock lets 0.1 s of cluster time pass; this yields zero-length turns instead.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # trio: its wait_all_tasks_blocked is exact
        await anyio.wait_all_tasks_blocked()
        return
    me = asyncio.current_task()
    for _ in range(_SETTLE_TURNS):
        await anyio.lowlevel.checkpoint()
        if all(t is me or t.done() or _waiting(t) for t in asyncio.all_tasks()):
            return
    raise RuntimeError(f"tasks kept running for {_SETTLE_TURNS} turns; is one spinning?")


#: A bound on settle()'s turns, so a task that never blocks is reported, not waited for.
_SETTLE_TURNS = 100_000


def _waiting(task: asyncio.Task[object]) -> bool:
    # asyncio keeps the future a task waits on in _fut_waiter (anyio's own
    # wait_all_tasks_blocked reads it the same way); None means it is ready to run.
    waiter: asyncio.Future[object] | None = getattr(task, "_fut_waiter", None)
    return waiter is not None and not waiter.done()


@contextlib.asynccontextmanager
async def open_reference_cluster(
    nodes: Sequence[str] = ("NODE1", "NODE2"),
    *,
    name: str = "CLUSTER",
    heartbeat_interval: float = 1.0,
    node_timeout: float = 5.0,
    start_hour: float = 0.0,
    loop_block_threshold: float | None = 1.0,
) -> AsyncIterator[ReferenceEnvironment]:
    """Start a cluster of ``nodes`` in this process and yield its environment.

    Example::

        async with clusapi.testing.open_reference_cluster(nodes=("N1", "N2")) as env:
            await env.cluster.create_resource_type(EchoServer)
            group = await env.cluster.create_group("web")
            ...

    Time is the event loop's: run under ``@pytest.mark.virtual_time`` (or a
    :class:`VirtualClock` loop) and hours pass in milliseconds; on an ordinary loop it is real
    time, for demos. Two environments share nothing: each node gets its own directory for
    temporary files (its ``TEMP``, see ``resapi.Resource.temp_directory``), removed when the
    environment closes.

    An exception raised in the block leaves it as itself (``pytest.raises``, ``pytest.skip()``
    and ``except`` work as without the block); only failures that happened at once come out as
    an ``ExceptionGroup``.

    Args:
        nodes: node names, in cluster order (node ids 1, 2, ...).
        name: the cluster name.
        heartbeat_interval: seconds between a node's heartbeats.
        node_timeout: seconds without heartbeats before the others declare a node down.
        start_hour: the cluster-local hour of day at time 0 (failback windows use it).
        loop_block_threshold: real seconds the event loop may stay blocked before the
            cluster log names the resource blocking it (None: do not watch).
    """
    # The cluster's task group wraps whatever escapes the block; a single error (a
    # GroupNotFoundError in the test body, pytest.skip(), a KeyboardInterrupt) comes out as
    # itself, so pytest.raises and except clauses work around the block.
    with plain_exceptions():
        async with _run_cluster(
            nodes, name, heartbeat_interval, node_timeout, start_hour, loop_block_threshold
        ) as env:
            yield env


@contextlib.asynccontextmanager
async def _run_cluster(
    nodes: Sequence[str],
    name: str,
    heartbeat_interval: float,
    node_timeout: float,
    start_hour: float,
    loop_block_threshold: float | None,
) -> AsyncIterator[ReferenceEnvironment]:
    async with anyio.create_task_group() as tg:
        runtime = ReferenceRuntime(
            name,
            tuple(nodes),
            tg,
            heartbeat_interval=heartbeat_interval,
            node_timeout=node_timeout,
            start_hour=start_hour,
            loop_block_threshold=loop_block_threshold,
        )
        try:
            await runtime.start()
            cluster = await open_cluster(name, backend=runtime)
        except BaseException:
            # Closing it removes what start() made (the nodes' temporary directories).
            with anyio.CancelScope(shield=True):
                await runtime.aclose()
            raise
        try:
            yield ReferenceEnvironment(cluster=cluster, runtime=runtime)
        finally:
            with anyio.CancelScope(shield=True):
                await cluster.aclose()  # closes the runtime: instances, then directories
            tg.cancel_scope.cancel()
