"""``open_reference_cluster``: an in-process cluster for tests, demos and development."""

from __future__ import annotations

import asyncio
import contextlib
import pathlib
from typing import TYPE_CHECKING, TypeVar, final, overload

import anyio
import attrs

from clusapi._backends.reference._runtime import ReferenceRuntime
from clusapi._cluster import Cluster, open_cluster
from clusapi._core._groups import plain_exceptions
from clusapi._enums import LogLevel
from clusapi._errors import make_error
from clusapi._resource import Resource as ResourceHandle
from clusapi._win32 import Win32Error
from clusapi.testing._clock import require_virtual_time
from clusapi.testing._timeline import TimelineRecorder
from resapi._local import LocalRegistry
from resapi._resource import Resource

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
    from os import PathLike

    from clusapi._backends.reference._model import ClusterLogEntry
    from clusapi._core._registry_tree import RegistryTree

__all__ = ("ReferenceEnvironment", "open_reference_cluster")

R = TypeVar("R", bound=Resource)


@final
@attrs.define(eq=False)
class ReferenceEnvironment:
    """A running reference cluster: ``cluster`` is an ordinary :class:`clusapi.Cluster`; the
    test controls (crash a node, restart it, let time pass, read the log) live here.

    Get one from :func:`open_reference_cluster`.
    """

    cluster: Cluster
    _runtime: ReferenceRuntime = attrs.field(alias="runtime")
    _recorder: TimelineRecorder = attrs.field(alias="recorder")

    def crash_node(self, name: str) -> None:
        """Kill the node's processes now (its resources stop without Offline); the other
        nodes notice when its heartbeats stop, after ``node_timeout`` seconds."""
        self._runtime.membership.crash_node(name)
        self._recorder.node_crashed(name)

    async def restart_node(self, name: str) -> None:
        """Start a crashed node again; it rejoins without manual steps."""
        await self._runtime.membership.restart_node(name)
        self._recorder.node_restarted(name)

    @overload
    def instance(self, resource: ResourceHandle) -> Resource: ...

    @overload
    def instance(self, resource: ResourceHandle, cls: type[R]) -> R: ...

    def instance(self, resource: ResourceHandle, cls: type[Resource] | None = None) -> Resource:
        """The live :class:`resapi.Resource` instance behind ``resource``, in the monitor of the
        node that runs it now: to inject a realistic fault (close its socket, make its IsAlive
        fail) or to assert on its internal state.

        Example::

            echo = env.instance(res, EchoServer)     # typed: an EchoServer
            await echo._listener.aclose()            # the service dies under the cluster
            await env.advance(60)                    # IsAlive notices; the policy restarts it

        The instance is the one running now: after a restart or a failover the resource has a
        new one, so ask again rather than keep it. With ``cls``, the result is checked to be
        a ``cls`` and typed as one.

        Raises:
            ClusterError: ERROR_RESOURCE_NOT_AVAILABLE if no node has the resource open (never
                brought online); ERROR_HOST_NODE_NOT_AVAILABLE if its node is down;
                ERROR_NOT_SUPPORTED if it runs in a separate monitor process (its instance is
                in that process); ERROR_INVALID_PARAMETER for a handle of another cluster, or
                an instance that is not a ``cls``; ERROR_RESOURCE_NOT_AVAILABLE for a deleted one.
        """
        if not isinstance(resource, ResourceHandle):
            raise make_error(
                Win32Error.ERROR_INVALID_PARAMETER,
                f"env.instance() takes a clusapi.Resource handle, not {resource!r}",
                fix="pass await env.cluster.open_resource(name)",
            )
        if resource.cluster is not self.cluster:
            raise make_error(
                Win32Error.ERROR_INVALID_PARAMETER,
                f"the handle of resource {resource.name!r} belongs to another cluster, not to "
                f"this environment's cluster {self._runtime.state.cluster_name!r}",
                fix="open the resource through this environment: "
                "await env.cluster.open_resource(name)",
            )
        record = self._runtime.state.resource_record(resource.id)
        instance = self._runtime.monitors.running_instance(record)
        if cls is not None and not isinstance(instance, cls):
            raise make_error(
                Win32Error.ERROR_INVALID_PARAMETER,
                f"resource {record.name!r} runs an instance of "
                f"{type(instance).__module__}.{type(instance).__qualname__}, not of "
                f"{cls.__module__}.{cls.__qualname__}",
                fix=f"pass the class its type {record.type.name!r} is implemented by",
            )
        return instance

    def timeline(self, path: str | PathLike[str]) -> pathlib.Path:
        """Draw what happened so far as a self-contained SVG timeline, written to ``path``.

        One row per node (up, down, paused, crashed), group (its state, the owner node in
        the band) and resource (its state, the node running it), markers for crashes,
        restarts, failures and moves, the cluster log's warnings and errors, and every change
        notification; tooltips give the details. Works after the environment closed too (the
        pytest plugin's ``--clusapi-timeline=DIR`` calls it for failing tests).

        Returns:
            The path written, as a :class:`pathlib.Path`.
        """
        from clusapi.testing._timeline_svg import render_svg

        target = pathlib.Path(path)
        svg = render_svg(self._recorder.timeline(self._runtime.state.cluster_log))
        target.write_text(svg, encoding="utf-8")
        return target

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
    node: str | None = None,
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
        node: the node ``env.cluster``'s connection is made to (None: the first node). New
            groups are hosted there (MS-CMRP ApiCreateGroup): their owner until their first
            online, which brings them online there. While that node is down, the connection
            is to the first node that is up.

    Raises:
        NodeNotFoundError: ERROR_CLUSTER_NODE_NOT_FOUND if ``node`` is not one of ``nodes``.
    """
    # The cluster's task group wraps whatever escapes the block; a single error (a
    # GroupNotFoundError in the test body, pytest.skip(), a KeyboardInterrupt) comes out as
    # itself, so pytest.raises and except clauses work around the block.
    with plain_exceptions():
        async with _run_cluster(
            nodes, name, heartbeat_interval, node_timeout, start_hour, loop_block_threshold, node
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
    node: str | None,
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
            connection_node=node,
        )
        # From the first event on: the timeline shows the cluster forming too.
        recorder = TimelineRecorder(runtime.state)
        try:
            await runtime.start()
            cluster = await open_cluster(name, backend=runtime)
        except BaseException:
            # Closing it removes what start() made (the nodes' temporary directories).
            with anyio.CancelScope(shield=True):
                await runtime.aclose()
            raise
        env = ReferenceEnvironment(cluster=cluster, runtime=runtime, recorder=recorder)
        for opened in _watchers:
            opened.append(env)
        try:
            yield env
        finally:
            with anyio.CancelScope(shield=True):
                await cluster.aclose()  # closes the runtime: instances, then directories
            recorder.close()
            tg.cancel_scope.cancel()


#: The lists of :func:`watch_environments` blocks open now.
_watchers: list[list[ReferenceEnvironment]] = []


@contextlib.contextmanager
def watch_environments() -> Iterator[list[ReferenceEnvironment]]:
    """Collect every environment opened inside the block (the pytest plugin's
    ``--clusapi-timeline`` uses it: a test may open them through the fixtures or directly)."""
    opened: list[ReferenceEnvironment] = []
    _watchers.append(opened)
    try:
        yield opened
    finally:
        _watchers.remove(opened)
