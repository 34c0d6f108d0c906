"""The nodes' Resource Monitors: one host per resource a node runs, its polls, and bringing a
single resource online or offline there.

See docs/architecture.md, "Resource Monitor".
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Final

from clusapi._enums import (
    LogLevel,
    ResourceState,
)
from clusapi._errors import ClusterError, InvalidStateError, make_error
from clusapi._win32 import Win32Error
from resapi._monitor._host import PENDING, InstanceHost, ResourceHost
from resapi._monitor._process_host import ProcessHost

from ._props import effective, resource_prop

if TYPE_CHECKING:
    from resapi._records import FailureReport, LogEntry, ResourceStatus
    from resapi._resource import Resource

    from ._model import (
        NodeRecord,
        ResourceRecord,
    )
    from ._runtime import ReferenceRuntime

__all__ = ("NodeMonitors",)

#: A separate monitor process that grows past this much resident memory is recycled: a
#: leaking resource fails alone, and the OS takes its memory back.
SEPARATE_MONITOR_MEMORY_LIMIT: Final = 1 << 30


class _HostListener:
    """Routes one host's reports to the runtime, tagged with where they came from."""

    __slots__ = ("incarnation", "node", "resource", "runtime")

    def __init__(
        self, runtime: ReferenceRuntime, resource: ResourceRecord, node: NodeRecord
    ) -> None:
        self.runtime = runtime
        self.resource = resource
        self.node = node
        self.incarnation = node.incarnation

    def _current(self) -> bool:
        # Reports from a crashed node's instances, or about a deleted resource, are void.
        return (
            self.node.alive
            and self.node.incarnation == self.incarnation
            and not (self.resource.deleted)
        )

    def on_status(self, status: ResourceStatus) -> None:
        if self._current():
            self.runtime.failover.resource_reported(self.resource, self.node, status.state)

    def on_log(self, entry: LogEntry) -> None:
        if self._current():
            self.runtime.state.log(
                entry.level, f"{entry.type_name} {entry.resource}", entry.message, node=self.node
            )

    def on_failure(self, report: FailureReport) -> None:
        if self._current():
            self.runtime.state.log(
                LogLevel.WARNING,
                f"resource {self.resource.name}",
                f"signalled failure {report.failure_type.name} ({report.application_error})",
                node=self.node,
            )


class NodeMonitors:
    """The Resource Monitor side of every node."""

    def __init__(self, rt: ReferenceRuntime) -> None:
        self.rt = rt
        self.state = rt.state

    def host_for(self, res: ResourceRecord, node: NodeRecord, pending: float) -> InstanceHost:
        host = node.hosts.get(res.id)
        if host is not None and host.deadlocked:
            # Its instance hung past DeadlockTimeout and was written off: recycle the monitor
            # for it, which here means a fresh instance (the old one is abandoned).
            self.state.log(
                LogLevel.WARNING,
                f"resource {res.name}",
                "monitor recycled after a deadlock; a new instance is opened",
                node=node,
            )
            del node.hosts[res.id]
            host = None
        if host is None:
            if node.task_group is None:  # the node's processes just died or were stopped
                raise make_error(
                    Win32Error.ERROR_HOST_NODE_NOT_AVAILABLE,
                    f"node {node.name!r} is not running a Resource Monitor",
                    fix="wait until it is up again",
                )
            deadlock = resource_prop(res, "DeadlockTimeout") / 1000
            listener = _HostListener(self.rt, res, node)
            # Its own Resource Monitor process for SeparateMonitor: a crash, a hang or a blocked
            # loop there costs only this resource (research resapi.md §5.1).
            make: functools.partial[ProcessHost] | functools.partial[ResourceHost] = (
                functools.partial(ProcessHost, memory_limit=SEPARATE_MONITOR_MEMORY_LIMIT)
                if res.properties.get("SeparateMonitor")
                else functools.partial(ResourceHost, watchdog=node.watchdog)
            )
            host = make(
                res.type.implementation,
                res.name,
                res.private,
                listener,
                task_group=node.task_group,
                pending_timeout=pending,
                deadlock_timeout=deadlock,
                node_name=node.name,
                local_registry=node.local,
            )
            node.hosts[res.id] = host
        return host

    async def _switch_monitor_if_asked(self, res: ResourceRecord, node: NodeRecord) -> None:
        """SeparateMonitor takes effect at the next offline→online: drop a host of the other
        kind while the resource is down, so the next one is made as the property says."""
        host = node.hosts.get(res.id)
        if host is None or host.state not in (
            ResourceState.INITIALIZING,
            ResourceState.OFFLINE,
            ResourceState.FAILED,
        ):
            return
        if isinstance(host, ProcessHost) != bool(res.properties.get("SeparateMonitor")):
            del node.hosts[res.id]
            await host.close()

    async def online_on(self, res: ResourceRecord, node: NodeRecord) -> ResourceState:
        """Bring one resource online on ``node`` through its monitor; start its polls."""
        await self.rt.membership.reaped(res.id)  # an instance of a crashed node ends first
        if self.rt.failover.excluded(res, node):
            # Its Online said it cannot come online here (or anywhere): the failover manager
            # does not try again; an administrator's online clears this first.
            self.state.log(
                LogLevel.WARNING,
                f"resource {res.name}",
                f"not brought online on {node.name}: it cannot come online "
                + ("on any node" if self.rt.failover.exclusions[res.id].all_nodes else "there")
                + " (bring it online by hand once that is fixed)",
                node=node,
            )
            self.state.set_resource_state(res, ResourceState.FAILED)
            return ResourceState.FAILED
        pending = effective(res, "PendingTimeout") / 1000
        await self._switch_monitor_if_asked(res, node)
        try:
            host = self.host_for(res, node, pending)
        except ClusterError as exc:  # e.g. a type a separate monitor process cannot import
            self.state.log(
                LogLevel.ERROR,
                f"resource {res.name}",
                f"cannot start its monitor: {exc}",
                node=node,
            )
            self.rt.failover.resource_reported(res, node, ResourceState.FAILED, attempt=True)
            return ResourceState.FAILED
        self.state.place(res, node.id)
        res.stopping = False
        if host.state is ResourceState.INITIALIZING:
            try:
                await host.open()
            except ClusterError as exc:
                self.state.log(
                    LogLevel.ERROR, f"resource {res.name}", f"open failed: {exc}", node=node
                )
                # Only if it is still the node's: closing the cluster clears node.hosts while
                # a separate monitor's process starts.
                if node.hosts.get(res.id) is host:
                    del node.hosts[res.id]
                await host.close()  # a separate monitor's process goes with it
                self.rt.failover.resource_reported(res, node, ResourceState.FAILED, attempt=True)
                return ResourceState.FAILED
        if host.state is ResourceState.ONLINE:
            self.state.set_resource_state(res, ResourceState.ONLINE)
            return ResourceState.ONLINE
        # The quorum resource comes online only where its device was won (Arbitrate is
        # called after Open, before Online).
        wins_device = (
            res.id != self.rt.membership.quorum_id or self.rt.membership.quorum_holder == node.id
        )
        if not wins_device and not await self.rt.membership.arbitrate(res, node):
            self.rt.failover.resource_reported(res, node, ResourceState.FAILED, attempt=True)
            return ResourceState.FAILED
        host.pending_timeout = pending
        if res.checkpoints:
            self.rt.checkpoints.restore_checkpoints(
                res, node
            )  # offline edits there are overwritten
            self.rt.checkpoints.capture_checkpoints(res, node)
        state = await host.online()
        if state is ResourceState.ONLINE and node.alive:
            assert node.poller is not None, "node service not started"
            node.poller.add(
                host,
                effective(res, "LooksAlivePollInterval") / 1000,
                effective(res, "IsAlivePollInterval") / 1000,
            )
        return state

    async def offline_on(self, res: ResourceRecord, node: NodeRecord) -> ResourceState:
        host = node.hosts.get(res.id)
        if host is None:
            self.state.set_resource_state(res, ResourceState.OFFLINE)
            return ResourceState.OFFLINE
        res.stopping = True
        try:
            if host.state in PENDING:
                # Still coming online (or going offline) when its group must go down, e.g. a
                # dependent whose provider just failed: the monitor refuses an Offline while
                # a call is pending, so it is ended the way a pending call is, by Terminate.
                self.state.log(
                    LogLevel.WARNING,
                    f"resource {res.name}",
                    f"terminated while {host.state.name}: it must stop now",
                    node=node,
                )
                await host.terminate(final_state=ResourceState.OFFLINE)
                state = ResourceState.OFFLINE
            else:
                state = await host.offline()
        finally:
            res.stopping = False
        if res.id == self.rt.membership.quorum_id:
            await self.rt.membership.release(res, node)
        return state

    async def terminated(self, res: ResourceRecord, node: NodeRecord) -> None:
        """Return once no Terminate of ``res``'s instance on ``node`` is running.

        Its monitor reports a failure before Terminate (research resapi.md §4: "Failed +
        Terminate → policy"); the failure policy waits here, so a restart or a failover never
        starts an Online while the failed instance is still being terminated.
        """
        host = node.hosts.get(res.id)
        if host is not None:
            await host.terminated()

    def running_instance(self, res: ResourceRecord) -> Resource:
        """The live instance of ``res`` in the monitor of the node that runs it (for tests
        that inject faults into it, or read its state).

        Raises:
            ClusterError: ERROR_RESOURCE_NOT_AVAILABLE if no node has it open,
                ERROR_HOST_NODE_NOT_AVAILABLE if its node is down, ERROR_NOT_SUPPORTED if it
                runs in a separate monitor process (the instance is in that process).
        """
        node = self.state.nodes.by_id.get(res.node) if res.node is not None else None
        if node is None:
            raise make_error(
                Win32Error.ERROR_RESOURCE_NOT_AVAILABLE,
                f"resource {res.name!r} is not open on any node (it was never brought online)",
                fix="bring it online first (await resource.online()), then ask for its instance",
            )
        if not node.up:
            raise make_error(
                Win32Error.ERROR_HOST_NODE_NOT_AVAILABLE,
                f"resource {res.name!r} last ran on node {node.name!r}, which is down: its "
                "instance is gone",
                fix="let the cluster fail it over (env.advance(...)) or restart the node, "
                "then ask again",
            )
        host = node.hosts.get(res.id)
        if isinstance(host, ProcessHost):
            raise make_error(
                Win32Error.ERROR_NOT_SUPPORTED,
                f"resource {res.name!r} runs in a separate monitor process on node "
                f"{node.name!r}: its instance lives in that other process, out of reach",
                fix="create the resource without separate_monitor=True to reach its instance",
            )
        if isinstance(host, ResourceHost):
            try:
                return host.resource
            except InvalidStateError:
                pass  # made, but its Open has not run (or failed): no instance yet
        raise make_error(
            Win32Error.ERROR_RESOURCE_NOT_AVAILABLE,
            f"resource {res.name!r} is not open on node {node.name!r} (its instance was "
            "closed or not made yet)",
            fix="bring it online first (await resource.online()), then ask for its instance",
        )
