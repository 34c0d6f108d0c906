"""A harness that runs one resource instance by itself and records what it reports."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Literal

import anyio
import attrs

from clusapi._core._groups import plain_exceptions
from clusapi._enums import LogLevel, ResourceState
from resapi._monitor._host import ResourceHost
from resapi._records import FailureReport, LogEntry, ResourceStatus
from resapi._resource import Resource
from resapi._resource_type import check_entry_points

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Mapping

    from resapi._resource import NotHandled

__all__ = ("ResourceHarness", "run_resource")


@attrs.define(eq=False)
class ResourceHarness:
    """One resource instance under test, with every report it made recorded in order.

    Get one from :func:`run_resource`. The entry-point methods call the resource through the
    same host the reference runtime uses, so states, pending timeouts, Terminate and failure
    checks behave as in a cluster; nothing is mocked.
    """

    #: Every ``SetResourceStatus``-style report: state changes and progress checkpoints.
    statuses: list[ResourceStatus] = attrs.field(factory=list, init=False)
    #: Every cluster-log entry, from the resource and from the host about it.
    log: list[LogEntry] = attrs.field(factory=list, init=False)
    #: Every ``signal_failure()`` report.
    failures: list[FailureReport] = attrs.field(factory=list, init=False)
    #: The stored private properties (the resource's Parameters key), by property name.
    parameters: dict[str, object] = attrs.field(factory=dict, init=False)
    _host: ResourceHost | None = attrs.field(default=None, init=False)

    # HostListener
    def on_status(self, status: ResourceStatus) -> None:
        self.statuses.append(status)

    def on_log(self, entry: LogEntry) -> None:
        self.log.append(entry)

    def on_failure(self, report: FailureReport) -> None:
        self.failures.append(report)

    @property
    def host(self) -> ResourceHost:
        """The host driving the instance."""
        assert self._host is not None, "use resapi.testing.run_resource() to get a harness"
        return self._host

    @property
    def resource(self) -> Resource:
        """The instance under test (after :meth:`open`)."""
        return self.host.resource

    @property
    def state(self) -> ResourceState:
        return self.host.state

    def states(self) -> list[ResourceState]:
        """The states reported, in order, without the repeated pending checkpoints."""
        out: list[ResourceState] = []
        for status in self.statuses:
            if not out or out[-1] is not status.state:
                out.append(status.state)
        return out

    def checkpoints(self) -> list[int]:
        """The CheckPoint values of the progress reports, in order."""
        pending = (ResourceState.ONLINE_PENDING, ResourceState.OFFLINE_PENDING)
        return [s.checkpoint for s in self.statuses if s.checkpoint and s.state in pending]

    def messages(self, min_level: LogLevel = LogLevel.INFORMATION) -> list[str]:
        """The text of the log entries at ``min_level`` or above."""
        return [e.message for e in self.log if e.level >= min_level]

    def set_properties(self, **changes: object) -> tuple[str, ...]:
        """Change stored private properties, checked by the type's table; effective at the next
        Online. Returns the property names written (unchanged values are not rewritten)."""
        table = self.host.properties_table()
        return table.apply(self.parameters, changes)

    async def open(self) -> None:
        await self.host.open()

    async def online(self) -> ResourceState:
        return await self.host.online()

    async def offline(self) -> ResourceState:
        return await self.host.offline()

    async def terminate(self) -> None:
        await self.host.terminate()

    async def looks_alive(self) -> bool:
        return await self.host.looks_alive()

    async def is_alive(self) -> bool:
        return await self.host.is_alive()

    async def check_health(self, *, thorough: bool = False) -> bool:
        return await self.host.check_health(thorough=thorough)

    async def fail(self, reason: str = "failed by the test") -> None:
        await self.host.fail(reason)

    async def control(
        self, code: int, data: bytes = b""
    ) -> bytes | Literal[NotHandled.NOT_HANDLED]:
        return await self.host.control(code, data)

    async def close(self) -> None:
        await self.host.close()


@contextlib.asynccontextmanager
async def run_resource(
    resource_type: Callable[[ResourceHost], Resource],
    *,
    name: str = "resource-under-test",
    properties: Mapping[str, object] | None = None,
    pending_timeout: float | None = None,
    open: bool = True,  # noqa: A002  (mirrors the entry point's name)
) -> AsyncIterator[ResourceHarness]:
    """Run one instance of ``resource_type`` by itself, recording everything it reports.

    Example::

        async with resapi.testing.run_resource(EchoServer, properties={"port": 7100}) as h:
            assert await h.online() is ResourceState.ONLINE
            assert await h.is_alive()
        assert h.states()[-1] is ResourceState.OFFLINE   # closed: terminated if still up

    An exception raised in the block (or a property typo in ``properties``) leaves it as itself;
    only failures that happened at once come out as an ``ExceptionGroup``.

    Args:
        resource_type: the :class:`~resapi.Resource` subclass (or a factory taking a context).
        name: the resource's name.
        properties: private properties to store first (attribute or property names), checked
            by the type's table.
        pending_timeout: seconds; default: the type's ``pending_timeout``.
        open: call Open on entry (default); pass False to call ``harness.open()`` yourself.

    Raises:
        InvalidParameterError: ERROR_INVALID_PARAMETER for a type whose entry point is a
            plain ``def``, as a cluster refuses it at registration.
    """
    if isinstance(resource_type, type) and issubclass(resource_type, Resource):
        check_entry_points(resource_type)  # as the cluster refuses it at registration
    harness = ResourceHarness()
    if pending_timeout is None:
        pending_timeout = getattr(resource_type, "pending_timeout", 180000) / 1000
    # The host's task group wraps whatever escapes the block; a single error (a property
    # typo, pytest.skip() in the test body) comes out as itself. See clusapi._core._groups.
    with plain_exceptions():
        async with anyio.create_task_group() as tg:
            harness._host = ResourceHost(
                resource_type,
                name,
                harness.parameters,
                harness,
                task_group=tg,
                pending_timeout=pending_timeout,
            )
            if properties:
                harness.set_properties(**properties)
            try:
                if open:
                    await harness.open()
                yield harness
            finally:
                with anyio.CancelScope(shield=True):
                    await harness.close()
                tg.cancel_scope.cancel()
