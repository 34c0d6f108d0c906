"""The per-backend side of the contract suite: everything that differs between backends.

A contract test talks to its cluster through the public Cluster API only. What the API has no
call for (crash a node and start it again, wait for a state that takes time to show, how long a
failover may take) goes through the test's :class:`Driver`, one per backend. What a backend
legitimately refuses is a :class:`Capabilities` row: the suite asserts ERROR_NOT_SUPPORTED where
the row is False, so every gap is written down here and checked.

Time: the reference backend runs on a virtual clock (a :class:`~clusapi.testing.VirtualClock`
loop on asyncio, ``trio.testing.MockClock`` on trio: see :class:`Backend`), so its timeouts below
are virtual seconds and cost almost nothing; the Pacemaker backend runs against a real cluster,
in real seconds.
"""

from __future__ import annotations

import abc
import contextlib
import importlib
import importlib.util
from typing import TYPE_CHECKING, ClassVar, Final, Protocol, TypeVar, final

import anyio
import attrs
import pytest

import clusapi
from clusapi.testing import VirtualClock, open_reference_cluster

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
    from pathlib import Path

    from clusapi.testing import ReferenceEnvironment

T = TypeVar("T")

#: The one resource type every contract test uses, on both backends: an OCF agent that
#: resource-agents installs, which Pacemaker runs natively and the reference runtime runs
#: through resapi's OCF bridge.
DUMMY: Final = "ocf:heartbeat:Dummy"

#: Node names: the lab's (``lab.node_names``), reused by the reference clusters so that a
#: failure message reads the same on both backends.
NODE_NAMES: Final = ("node1", "node2", "node3")

#: Real seconds the reference loop waits for real I/O before virtual time jumps (both clocks:
#: VirtualClock and MockClock). The Dummy agent is a real process; resapi/_ocf/_type.py needs
#: at least 0.02 s (its watchdog looks every 20 ms) so that virtual time does not outrun an
#: agent while it runs, which a threshold of 0 would. Every idle jump (each heartbeat of each
#: node, say) costs this much real time, so no more than that.
AUTOJUMP_THRESHOLD: Final = 0.02


# ------------------------------------------------------------------ which backend a test runs on


@final
@attrs.frozen
class Backend:
    """One param of the contract suite: a cluster backend on one async library.

    anyio's pytest plugin parametrizes every contract test over these (see the conftest), so
    the ``anyio_backend`` param *is* the backend param; its id is the test id's ``[...]``.
    """

    #: The test id: "reference", "reference-trio" or "pacemaker".
    id: str
    #: The driver: "reference" or "pacemaker".
    kind: str
    #: The async library anyio runs the test on: "asyncio" or "trio".
    library: str

    def anyio_backend(self) -> tuple[str, dict[str, object]]:
        """The ``anyio_backend`` value for one test: a fresh (virtual) clock each time."""
        if self.kind == "pacemaker":
            return self.library, {}
        if self.library == "trio":
            # Imported here: the ids are needed at collection, trio only by a test that runs.
            from trio.testing import MockClock

            return "trio", {"clock": MockClock(autojump_threshold=AUTOJUMP_THRESHOLD)}
        clock = VirtualClock(autojump_threshold=AUTOJUMP_THRESHOLD)
        return "asyncio", {"loop_factory": clock.new_event_loop}


BACKENDS: Final = (
    Backend("reference", "reference", "asyncio"),
    Backend("reference-trio", "reference", "trio"),
    Backend("pacemaker", "pacemaker", "asyncio"),
)


def backend_of(item: pytest.Item) -> str:
    """The driver a collected contract test runs with ("reference" or "pacemaker")."""
    callspec = getattr(item, "callspec", None)
    params: dict[str, object] = callspec.params if callspec is not None else {}
    backend = params.get("anyio_backend")
    if isinstance(backend, Backend):
        return backend.kind
    raise RuntimeError(f"{item.nodeid} is not parametrized over the backends; is it async?")


# ------------------------------------------------------------------ capabilities


@final
@attrs.frozen
class Capabilities:
    """What a backend supports where the Cluster API lets a backend refuse
    (ERROR_NOT_SUPPORTED). The Pacemaker rows follow the mapping table in ``docs/``."""

    #: ``Group.rename`` (Pacemaker ids cannot be renamed).
    rename_groups: bool = True
    #: ``Resource.rename``.
    rename_resources: bool = True
    #: The cluster database: ``Cluster.root_key()``, ``<object>.key()`` and their values.
    cluster_database: bool = True
    #: ``Resource.add_registry_checkpoint`` and friends.
    registry_checkpoints: bool = True
    #: ``Cluster.set_quorum_resource`` (Pacemaker has no quorum resource: ``quorum_resource()``
    #: is None there).
    quorum_resource: bool = True
    #: Control codes a resource type defines itself (``lowlevel.user_control_code``).
    user_control_codes: bool = True
    #: ``GroupCommonProperties.failover_threshold`` (failovers per period).
    failover_threshold: bool = True
    #: The other common properties with no Pacemaker counterpart (group PersistentState;
    #: resource SeparateMonitor, RestartAction 1, RetryPeriodOnFailure).
    all_common_properties: bool = True
    #: ``ResourceType.set_common_properties`` (an OCF agent's defaults are its meta-data).
    resource_type_properties: bool = True
    #: ``Node.evict``.
    evict_nodes: bool = True
    #: A paused node keeps the groups it owns (MSCS). Pacemaker's closest construct, standby,
    #: moves them away; the other half of pause (nothing new comes online there) holds on both.
    pause_keeps_groups: bool = True
    #: Resources of a group without a dependency between them come and go independently
    #: (MSCS). A Pacemaker group orders its members by position: offline of one also stops
    #: the members after it, online of one also starts those before it (and add_dependency
    #: reorders the members to match).
    independent_members: bool = True
    #: ``move(node)`` of an offline group makes ``node`` its owner, where its next online
    #: happens (MSCS). Where a stopped group has no owner (Pacemaker), the move is refused
    #: with ERROR_NOT_SUPPORTED rather than ignored.
    move_offline_group: bool = True


# ------------------------------------------------------------------ the drivers


class Driver(abc.ABC):
    """One backend's side of a contract test: its cluster, its nodes, its test controls."""

    #: "reference" or "pacemaker", as ``ClusterInfo.backend`` says.
    name: ClassVar[str]
    caps: ClassVar[Capabilities]
    #: How long an ordinary state change (online, offline, a notification) may take to show.
    state_timeout: ClassVar[float]
    #: How long from a node crash to its groups online elsewhere, or from a restart to Up.
    failover_timeout: ClassVar[float]
    #: How long to watch for something that must *not* happen (a failback to a node that a
    #: forgotten move constraint would pull the group to).
    quiet_period: ClassVar[float]
    #: Seconds between two looks while waiting.
    poll_interval: ClassVar[float]

    def __init__(self, cluster: clusapi.Cluster, node_names: Sequence[str]) -> None:
        self.cluster: Final = cluster
        self.node_names: Final = tuple(node_names)

    @abc.abstractmethod
    async def crash_node(self, name: str) -> None:
        """Kill the node now: its daemons (or simulated processes) die without cleanup."""

    @abc.abstractmethod
    async def restart_node(self, name: str) -> None:
        """Start a crashed node again; returns once the node runs (its state may lag)."""

    async def wait_until(
        self,
        probe: Callable[[], Awaitable[T]],
        accept: Callable[[T], bool],
        what: str,
        *,
        failover: bool = False,
    ) -> T:
        """Look at ``probe()`` until ``accept`` takes it; fail the test (naming ``what`` and the
        last value seen) if that takes longer than ``state_timeout`` (``failover_timeout`` for
        a crash, a failover or a rejoin)."""
        limit = self.failover_timeout if failover else self.state_timeout
        deadline = anyio.current_time() + limit
        while True:
            value = await probe()
            if accept(value):
                return value
            if anyio.current_time() >= deadline:
                pytest.fail(
                    f"{self.name}: {what}: not within {limit:g} s; last seen: {value!r}",
                    pytrace=False,
                )
            await anyio.sleep(self.poll_interval)

    async def holds(
        self, probe: Callable[[], Awaitable[T]], accept: Callable[[T], bool], what: str
    ) -> None:
        """Check that ``accept(probe())`` stays true for ``quiet_period``."""
        deadline = anyio.current_time() + self.quiet_period
        while True:
            value = await probe()
            if not accept(value):
                pytest.fail(f"{self.name}: {what}: broken; seen: {value!r}", pytrace=False)
            if anyio.current_time() >= deadline:
                return
            await anyio.sleep(self.quiet_period / 10)


@final
class ReferenceDriver(Driver):
    """The in-process reference runtime, on virtual time; a fresh cluster per test."""

    name = "reference"
    caps = Capabilities()
    # Virtual seconds: node_timeout is 5 s, so a failover takes about 6.5 s.
    state_timeout = 30.0
    failover_timeout = 60.0
    quiet_period = 30.0
    poll_interval = 1.0

    def __init__(self, env: ReferenceEnvironment, node_names: Sequence[str]) -> None:
        super().__init__(env.cluster, node_names)
        self._env = env

    async def crash_node(self, name: str) -> None:
        self._env.crash_node(name)

    async def restart_node(self, name: str) -> None:
        await self._env.restart_node(name)


class Lab(Protocol):
    """What the contract suite uses of ``clusapi.testing.PacemakerLab``."""

    @property
    def node_names(self) -> Sequence[str]: ...

    @property
    def ocf_root(self) -> Path: ...

    def command_prefix(self, i: int) -> Sequence[str]: ...

    def kill9(self, i: int) -> None: ...

    def start_node(self, i: int, wait: bool = True) -> None: ...


@final
class PacemakerDriver(Driver):
    """A real Pacemaker cluster started by the lab fixtures, shared by the tests of a session.
    Before each test the fixture restarts the nodes a test killed and empties the
    configuration (resources, constraints, node attributes such as standby). The client runs
    its tools in node 1, so the failover tests crash other nodes only."""

    name = "pacemaker"
    caps = Capabilities(
        rename_groups=False,
        rename_resources=False,
        cluster_database=False,
        registry_checkpoints=False,
        quorum_resource=False,
        user_control_codes=False,
        failover_threshold=False,
        all_common_properties=False,
        resource_type_properties=False,
        evict_nodes=False,
        pause_keeps_groups=False,
        independent_members=False,
        move_offline_group=False,
    )
    # Real seconds. Measured (research pacemaker-lab.md): failover 1.4-2.5 s, rejoin 1.7-2.9 s,
    # a move 0.34 s; the limits leave room for a loaded 2-core machine.
    state_timeout = 20.0
    failover_timeout = 30.0
    quiet_period = 5.0
    poll_interval = 0.2

    def __init__(self, cluster: clusapi.Cluster, lab: Lab) -> None:
        super().__init__(cluster, lab.node_names)
        self._lab = lab

    def _index(self, name: str) -> int:
        return self.node_names.index(name) + 1

    async def crash_node(self, name: str) -> None:
        await anyio.to_thread.run_sync(self._lab.kill9, self._index(name))

    async def restart_node(self, name: str) -> None:
        await anyio.to_thread.run_sync(self._lab.start_node, self._index(name))


@contextlib.asynccontextmanager
async def open_reference(node_names: Sequence[str]) -> AsyncIterator[Driver]:
    """A fresh reference cluster of ``node_names`` with the Dummy type registered (the
    reference runtime registers types explicitly; Pacemaker has every installed agent)."""
    async with open_reference_cluster(nodes=node_names, name="CONTRACT") as env:
        await env.cluster.create_resource_type(DUMMY)
        yield ReferenceDriver(env, node_names)


def pacemaker_available() -> bool:
    """Whether the Pacemaker backend exists in this tree (it may fail to import: that is an
    error, not a skip)."""
    return importlib.util.find_spec("clusapi.pacemaker") is not None


@contextlib.asynccontextmanager
async def open_pacemaker(lab: Lab) -> AsyncIterator[Driver]:
    """A Cluster API connection to the lab's cluster, through node 1."""
    backend_cls = importlib.import_module("clusapi.pacemaker").PacemakerBackend
    backend = backend_cls(command_prefix=lab.command_prefix(1), ocf_root=str(lab.ocf_root))
    cluster = await clusapi.open_cluster(backend=backend)
    async with cluster:
        yield PacemakerDriver(cluster, lab)


# ------------------------------------------------------------------ assertion helpers


@contextlib.contextmanager
def refused(
    error: type[clusapi.ClusterError], code: clusapi.Win32Error, *names: str
) -> Iterator[pytest.ExceptionInfo[clusapi.ClusterError]]:
    """Expect exactly ``error`` with ``code``, its message naming each of ``names``."""
    with pytest.raises(clusapi.ClusterError) as info:
        yield info
    exc = info.value
    assert type(exc) is error, f"raised {type(exc).__name__}, expected {error.__name__}: {exc}"
    assert exc.winerror == code, f"winerror {exc.winerror!r}, expected {code.name}: {exc}"
    for name in names:
        assert name in str(exc), f"the message does not name {name}: {exc}"


@contextlib.contextmanager
def not_supported() -> Iterator[pytest.ExceptionInfo[clusapi.ClusterError]]:
    """Expect ERROR_NOT_SUPPORTED with a message that says what is unsupported."""
    with refused(clusapi.NotSupportedError, clusapi.Win32Error.ERROR_NOT_SUPPORTED) as info:
        yield info
    assert info.value.description, "the message says nothing"


async def collect(
    driver: Driver,
    port: clusapi.NotifyPort,
    done: Callable[[list[clusapi.Notification]], bool],
    what: str,
    into: list[clusapi.Notification] | None = None,
) -> list[clusapi.Notification]:
    """Receive events into ``into`` (a new list by default) until ``done(events)``; fail,
    listing what came, if that takes longer than the driver's ``state_timeout``."""
    events = [] if into is None else into
    with anyio.move_on_after(driver.state_timeout):
        while not done(events):
            events.append(await port.receive())
        return events
    pytest.fail(
        f"{driver.name}: {what}: not within {driver.state_timeout:g} s; events: "
        + ", ".join(f"{e.change.name} {e.name!r}" for e in events),
        pytrace=False,
    )


def names(
    handles: Sequence[clusapi.Node | clusapi.Group | clusapi.Resource | clusapi.ResourceType],
) -> list[str]:
    """The handles' names, in order."""
    return [h.name for h in handles]
