"""The Failover Manager: online, offline and move of groups in dependency order, the failure
policy (restart, failover, retry), failback, and where resources cannot come online.

It applies the pure policy of :mod:`clusapi._policy`; see docs/architecture.md, "Failover
Manager and the pure policy".
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Final

import anyio

from clusapi import _policy as policy, _rules as rules
from clusapi._core._start import start_first_step
from clusapi._enums import (
    FailbackType,
    GroupState,
    LogLevel,
    ResourceState,
    RestartAction,
)
from clusapi._errors import ClusterError, make_error
from clusapi._win32 import Win32Error

from ._props import group_prop, resource_prop, signed
from ._reasons import down_reason, failure_reasons, missing_required

if TYPE_CHECKING:
    from ._model import (
        GroupRecord,
        NodeRecord,
        ResourceRecord,
    )
    from ._runtime import ReferenceRuntime

__all__ = ("FailoverManager",)

#: States in which an instance runs (or may): it must be stopped before another starts.
_UP_STATES: Final = frozenset(
    {ResourceState.ONLINE, ResourceState.ONLINE_PENDING, ResourceState.OFFLINE_PENDING}
)


class FailoverManager:
    """Places groups, brings them online and offline, and handles failures."""

    def __init__(self, rt: ReferenceRuntime) -> None:
        self.rt = rt
        self.state = rt.state
        #: Where each resource must not come online automatically (resource id → nodes by id),
        #: after its Online said it cannot (policy.NodeExclusions); cleared by an
        #: administrator's online or move.
        self.exclusions: dict[str, policy.NodeExclusions] = {}
        #: What the last failed Online of a resource reported about where it cannot come
        #: online, until its Failed report arrives (resource id → state).
        self._reported_scope: dict[str, ResourceState] = {}

    def resource_reported(
        self,
        res: ResourceRecord,
        node: NodeRecord,
        state: ResourceState,
        *,
        attempt: bool = False,
    ) -> None:
        """A monitor reported a state of ``res`` (the host's listener calls this).

        ``attempt``: the report ends an online attempt the runtime made itself (open or
        arbitration failed): a failure then counts even if the resource was already Failed.

        A CANNOT_COME_ONLINE_ON_THIS_NODE / _ON_ANY_NODE report (its Online raised
        ``resapi.CannotComeOnline``) is not a state the resource takes: it is noted in the
        resource's exclusions, and the Failed report that follows it is handled with it.
        """
        if state in policy.CANNOT_COME_ONLINE_STATES:
            self._cannot_come_online(res, node, state)
            return
        previous = res.state
        self.state.set_resource_state(res, state)
        if state is ResourceState.ONLINE:
            res.retried = False  # healthy again: a later failure gets the whole policy
        if state is ResourceState.FAILED and (attempt or previous is not ResourceState.FAILED):
            res.failed_at = self.state.now()
            scope = self._reported_scope.pop(res.id, ResourceState.FAILED)
            if not res.stopping:
                self.state.log(LogLevel.ERROR, f"resource {res.name}", "failed", node=node)
                res.generation += 1
                self.state.task_group.start_soon(
                    self._handle_failure, res, node, res.generation, scope
                )
        elif state is not ResourceState.ONLINE_PENDING:
            self._reported_scope.pop(res.id, None)

    def _cannot_come_online(
        self, res: ResourceRecord, node: NodeRecord, state: ResourceState
    ) -> None:
        self._reported_scope[res.id] = state
        self.exclusions[res.id] = self.exclusions.get(res.id, policy.NodeExclusions()).record(
            state, node.id
        )
        where = "any node" if state is ResourceState.CANNOT_COME_ONLINE_ON_ANY_NODE else node.name
        self.state.log(
            LogLevel.WARNING,
            f"resource {res.name}",
            f"its Online reported {state.name}: it is not brought online on {where} again "
            "until an administrator brings it (or its group) online or moves the group",
            node=node,
        )

    def clear_exclusions(self, resources: list[ResourceRecord]) -> None:
        """An administrator asked for these resources to come online: try every node again."""
        for res in resources:
            if self.exclusions.pop(res.id, None):
                self.state.log(
                    LogLevel.INFORMATION,
                    f"resource {res.name}",
                    "brought online by an administrator: the nodes its Online ruled out are "
                    "tried again",
                )

    def forget_node_exclusions(self, node_id: str) -> None:
        """The node was evicted: no exclusion names it any more."""
        for rid, excluded in list(self.exclusions.items()):
            self.exclusions[rid] = excluded.without_node(node_id)

    def forget_resource_exclusions(self, res: ResourceRecord) -> None:
        """The resource was deleted."""
        self.exclusions.pop(res.id, None)
        self._reported_scope.pop(res.id, None)

    def excluded(self, res: ResourceRecord, node: NodeRecord) -> bool:
        excluded = self.exclusions.get(res.id)
        return excluded is not None and not excluded.allows(node.id)

    async def fail_over_from_dead_node(self, group: GroupRecord, dead: NodeRecord) -> None:
        async with group.lock:
            wanted = []
            for res in self.state.group_resources(group):
                if res.node == dead.id:
                    self.state.unplace(res)
                if res.state is not ResourceState.OFFLINE:
                    wanted.append(res)
                self.state.set_resource_state(res, ResourceState.OFFLINE)
            target = self._best_node(group, exclude={dead.id})
            holder = (
                self.state.nodes.by_id.get(self.rt.membership.quorum_holder)
                if self.rt.membership.quorum_holder
                else None
            )
            if (
                holder is not None
                and holder.can_host
                and any(
                    r.id == self.rt.membership.quorum_id for r in self.state.group_resources(group)
                )
            ):
                target = holder  # the quorum resource can only come online where it won
            if target is None:
                # Only paused nodes left: the group moves to one but stays offline (§7.7).
                paused = self._best_node(group, exclude={dead.id}, allow_paused=True)
                if paused is not None:
                    self.state.set_owner(group, paused)
                self.state.log(
                    LogLevel.ERROR,
                    f"group {group.name}",
                    "no node can bring it online after its owner went down; it stays offline"
                    + (f" on paused node {paused.name}" if paused is not None else ""),
                )
                return
            self.state.log(
                LogLevel.INFORMATION,
                f"group {group.name}",
                f"failing over from {dead.name} to {target.name}",
            )
            self.state.set_owner(group, target)
            persistent = [
                r
                for r in self.state.group_resources(group)
                if r.properties.get("PersistentState") or r in wanted
            ]
            await self.online_resources(group, target, persistent)

    async def form_cluster(self, node: NodeRecord) -> None:
        """The first node up after a full outage brings back what was online: the resources
        whose PersistentState is set, in groups whose PersistentState is set."""
        for group in list(self.state.groups):
            if group.properties.get("PersistentState"):
                self.state.task_group.start_soon(self._restore_group, group)

    async def _restore_group(self, group: GroupRecord) -> None:
        async with group.lock:
            owner = self.state.nodes.by_id.get(group.owner) if group.owner else None
            if owner is not None and owner.up:
                # Already placed (a failover got there first): complete it where it is.
                if not owner.can_host:
                    return
                target: NodeRecord | None = owner
            else:
                target = self._best_node(group)
            if target is None:
                return
            self.state.set_owner(group, target)
            wanted = [
                r
                for r in self.state.group_resources(group)
                if r.properties.get("PersistentState") and r.state is not ResourceState.ONLINE
            ]
            if wanted:
                await self.online_resources(group, target, wanted)

    async def _online_group_task(self, group: GroupRecord, node: str | None) -> None:
        with contextlib.suppress(ClusterError):
            await self.online_group(group, node, wait=True)

    def consider_failback(self, node: NodeRecord) -> None:
        for group in self.state.groups:
            if group.deleted or group.owner is None:
                continue
            owner = self.state.nodes.by_id.get(group.owner)
            if not policy.should_fail_back(
                auto_failback=FailbackType(int(group_prop(group, "AutoFailbackType"))),
                preferred=[self.state.nodes.by_id[n].name for n in group.preferred],
                current_owner=owner.name if owner else None,
                returning_node=node.name,
            ):
                continue
            group.failback_generation += 1
            self.state.task_group.start_soon(self._failback, group, node, group.failback_generation)

    async def _failback(self, group: GroupRecord, node: NodeRecord, generation: int) -> None:
        start, end = (
            group_prop(group, "FailbackWindowStart"),
            group_prop(group, "FailbackWindowEnd"),
        )
        wait = policy.seconds_until_failback_window(
            now_hour_float=self.state.cluster_hour(), start=signed(start), end=signed(end)
        )
        if wait > 0:
            self.state.log(
                LogLevel.INFORMATION,
                f"group {group.name}",
                f"failback to {node.name} waits {wait:g} s for its window",
            )
            await anyio.sleep(wait)
        if generation != group.failback_generation or not node.can_host:
            return
        if group.owner == node.id or group.deleted:
            return
        if any(self.excluded(r, node) for r in self.state.group_resources(group)):
            self.state.log(
                LogLevel.INFORMATION,
                f"group {group.name}",
                f"no failback to {node.name}: a resource of it cannot come online there",
            )
            return
        self.state.log(LogLevel.INFORMATION, f"group {group.name}", f"failing back to {node.name}")
        with contextlib.suppress(ClusterError):
            await self.move_group(
                group, node.id, wait=True, reason="failback", by_administrator=False
            )

    def _best_node(
        self,
        group: GroupRecord,
        *,
        exclude: set[str] | None = None,
        allow_paused: bool = False,
        prefer: NodeRecord | None = None,
    ) -> NodeRecord | None:
        """The node policy.best_node picks; ``prefer`` stands in for the preferred owners
        when the group has none."""
        node_ids = list(self.state.nodes.by_id)
        owners = []
        for r in self.state.group_resources(group):
            # The nodes where its Online said it cannot come online count as removed from
            # its possible owners (the configured list itself is not changed).
            excluded = self.exclusions.get(r.id)
            ids = (
                r.possible_owners
                if excluded is None
                else excluded.possible_owners(r.possible_owners, node_ids)
            )
            owners.append(
                None
                if ids is None
                else {self.state.nodes.by_id[n].name for n in ids if n in self.state.nodes.by_id}
            )
        preferred = [self.state.nodes.by_id[n].name for n in group.preferred]
        names = policy.best_node(
            preferred=preferred or ([prefer.name] if prefer is not None else []),
            nodes=[n.name for n in self.state.nodes],
            possible_owners=owners,
            up=[n.name for n in self.state.nodes if n.up],
            paused=[] if allow_paused else [n.name for n in self.state.nodes if n.paused],
            exclude=[
                self.state.nodes.by_id[n].name for n in exclude or () if n in self.state.nodes.by_id
            ],
        )
        return None if names is None else self.state.nodes.find(names)

    def _exclusion_note(self, group: GroupRecord) -> str:
        """Why some nodes were not candidates: resources whose Online ruled them out."""
        parts = []
        for res in self.state.group_resources(group):
            excluded = self.exclusions.get(res.id)
            if excluded is not None and excluded.nodes:
                names = ", ".join(
                    sorted(
                        self.state.nodes.by_id[n].name
                        for n in excluded.nodes
                        if n in self.state.nodes.by_id
                    )
                )
                parts.append(f"resource {res.name!r} cannot come online on {names}")
        if not parts:
            return ""
        return f"; {'; '.join(parts)} (name the node to try it there again)"

    def _check_can_host(self, group: GroupRecord, node: NodeRecord) -> None:
        not_owner = [
            r.name
            for r in self.state.group_resources(group)
            if r.possible_owners is not None and node.id not in r.possible_owners
        ]
        rules.check_can_host(node, group.name, not_owner, down_reason=down_reason(node))

    def check_required(self, resources: list[ResourceRecord]) -> None:
        """Refuse an administrator's online of ``resources`` while one lacks a dependency its
        type requires (``required_dependencies``): nothing starts."""
        for res in resources:
            required = res.type.implementation.required_dependencies
            if required:
                missing = missing_required(self.state, res, required)
                rules.check_required_dependencies(res, res.type.name, missing)

    async def online_resources(
        self, group: GroupRecord, node: NodeRecord, wanted: list[ResourceRecord]
    ) -> list[ResourceRecord]:
        """Bring ``wanted`` (and what they depend on) online on ``node``, dependencies first.
        Returns the resources that did not come online."""
        if not node.can_host:
            # The node went away (or was paused) while this waited for the group: nothing is
            # started there; the caller's policy or the membership round decides what next.
            self.state.log(
                LogLevel.WARNING,
                f"group {group.name}",
                f"not brought online on {node.name}: it cannot host groups now",
                node=node,
            )
            return list(wanted)
        deps = self.state.deps(group)
        if len(wanted) == len(group.resources):
            members = group.resources  # the whole group: no closure to compute
        else:
            closure: set[str] = set()
            for res in wanted:
                closure.add(res.id)
                closure |= policy.transitive_dependencies(res.id, deps)
            members = [r for r in group.resources if r in closure]
        failed: list[ResourceRecord] = []
        failed_ids: set[str] = set()
        with self.rt.membership.on_node(node) as scope:
            for layer in policy.online_layers(members, deps):
                for rid in layer:
                    res = self.state.resources.by_id[rid]
                    if any(d in failed_ids for d in res.depends_on) or self._lacks_required(
                        res, node
                    ):
                        failed.append(res)  # a dependency failed or is missing: not started
                        failed_ids.add(rid)
                        continue
                    if await self.rt.monitors.online_on(res, node) is not ResourceState.ONLINE:
                        failed.append(res)
                        failed_ids.add(rid)
        if scope.cancelled_caught:
            return [r for r in wanted if r.state is not ResourceState.ONLINE]
        return failed

    def _lacks_required(self, res: ResourceRecord, node: NodeRecord) -> bool:
        """Whether ``res`` lacks a dependency its type requires (a failover or restart after
        one was removed); if so, says which in the cluster log, where the reasons of a failed
        online are read from."""
        missing = missing_required(self.state, res, res.type.implementation.required_dependencies)
        if missing:
            self.state.log(
                LogLevel.ERROR,
                f"{res.type.name} {res.name}",
                f"cannot come online: its type requires a dependency on a resource of type "
                f"{', '.join(map(repr, missing))}",
                node=node,
            )
        return bool(missing)

    async def offline_resources(self, group: GroupRecord, targets: list[ResourceRecord]) -> None:
        """Take ``targets`` (and what depends on them) offline, dependents first."""
        provides = self.state.provides(group)
        closure: set[str] = set()
        for res in targets:
            closure.add(res.id)
            closure |= policy.transitive_dependents(res.id, provides)
        for layer in policy.offline_layers(
            [r for r in group.resources if r in closure], self.state.deps(group)
        ):
            for rid in layer:
                res = self.state.resources.by_id[rid]
                node = self.state.nodes.by_id.get(res.node) if res.node else None
                if node is None or not node.alive:
                    self.state.set_resource_state(res, ResourceState.OFFLINE)
                    continue
                with self.rt.membership.on_node(node):
                    await self.rt.monitors.offline_on(res, node)

    async def online_group(
        self, group: GroupRecord, node_id: str | None, *, wait: bool
    ) -> GroupState:
        self.check_required(self.state.group_resources(group))
        if not wait:
            self.choose_online_node(group, node_id)  # refused now, not in the task
            await start_first_step(self.state.task_group, self._online_group_task, group, node_id)
            return group.state
        async with group.lock:
            node = self.choose_online_node(group, node_id)
            self.state.set_owner(group, node)
            self.state.set_group_persistent(group, True)
            resources = self.state.group_resources(group)
            self.clear_exclusions(resources)
            for res in resources:
                self.state.set_resource_persistent(res, True)
                res.generation += 1  # an admin online supersedes a pending policy step
            since = len(self.state.cluster_log)
            failed = await self.online_resources(group, node, resources)
        self._raise_if_failed(group, failed, "online", since)
        return group.state

    def choose_online_node(self, group: GroupRecord, node_id: str | None) -> NodeRecord:
        owner = self.state.nodes.by_id.get(group.owner) if group.owner else None
        if node_id is not None and owner is not None and node_id != owner.id:
            running = [r.name for r in self.state.group_resources(group) if r.state in _UP_STATES]
            if running:
                # Bringing it online elsewhere would run those twice: that is a move.
                raise make_error(
                    Win32Error.ERROR_INVALID_STATE,
                    f"group {group.name!r} is running on {owner.name!r} "
                    f"({', '.join(repr(n) for n in running)}); it cannot come online on "
                    f"{self.state.nodes.by_id[node_id].name!r} too",
                    fix="move the group there instead",
                )
        if node_id is not None:
            node = self.state.nodes.by_id[node_id]
        elif not group.placed:
            # Never online, moved or failed over: its owner is the node it was created
            # through. Preferred owners decide if set (the most preferred that can host it);
            # else that owner, or the best node when the owner cannot host it (paused, down,
            # not a possible owner of a resource): a new group is not refused for where the
            # client happened to connect.
            best = self._best_node(group, prefer=owner)
            if best is None:
                raise rules.no_host(group.name, detail=self._exclusion_note(group))
            node = best
        elif owner is not None and owner.up:
            # The current owner, even when paused: then the online is refused below
            # (ERROR_SHARING_PAUSED), not moved elsewhere (clusapi.md §7.2, §7.7).
            node = owner
        else:
            best = self._best_node(group)
            if best is None:
                raise rules.no_host(group.name, detail=self._exclusion_note(group))
            node = best
        self._check_can_host(group, node)
        return node

    def _raise_if_failed(
        self, group: GroupRecord, failed: list[ResourceRecord], what: str, since: int
    ) -> None:
        """ERROR_RESOURCE_FAILED naming why each of ``failed`` did not come online, read from
        the cluster log entries after index ``since`` (where the online began)."""
        if failed:
            raise rules.online_failed(
                f"group {group.name!r} did not come {what}",
                failure_reasons(self.state, failed, since),
                fix="fix the cause and bring the group online again; the failure policy may "
                "retry meanwhile",
            )

    async def offline_group(self, group: GroupRecord, *, wait: bool) -> GroupState:
        if not wait:
            await start_first_step(self.state.task_group, self._offline_group_wait, group)
            return group.state
        await self._offline_group_wait(group)
        return group.state

    async def _offline_group_wait(self, group: GroupRecord) -> None:
        async with group.lock:
            group.failback_generation += 1
            self.state.set_group_persistent(group, False)
            resources = self.state.group_resources(group)
            for res in resources:
                self.state.set_resource_persistent(res, False)
                res.generation += 1  # cancels pending restarts and retries
            await self.offline_resources(group, resources)

    async def move_group(
        self,
        group: GroupRecord,
        node_id: str | None,
        *,
        wait: bool,
        reason: str = "move",
        by_administrator: bool = True,
    ) -> GroupState:
        """Move ``group`` to ``node_id`` (None: the best other node).

        ``by_administrator``: a move asked for by a caller (MoveClusterGroup), which clears the
        exclusions of the group's resources once the target is accepted; the failover
        manager's own moves (failback) pass False.
        """
        if node_id is not None:
            target = self.state.nodes.by_id[node_id]
            if group.owner == target.id:
                return group.state  # already the owner: SUCCESS, no-op (clusapi.md §7.3)
            self._check_can_host(group, target)
        else:
            exclude = {group.owner} if group.owner else set()
            best = self._best_node(group, exclude=exclude)
            if best is None:
                raise rules.no_host(group.name, other=True, detail=self._exclusion_note(group))
            target = best
        if by_administrator:
            self.clear_exclusions(self.state.group_resources(group))
        if not wait:
            await start_first_step(self.state.task_group, self._move_task, group, target, reason)
            return group.state
        since = len(self.state.cluster_log)
        failed = await self._move_locked(group, target, reason)
        self._raise_if_failed(group, failed, "online after the move", since)
        return group.state

    async def _move_task(self, group: GroupRecord, target: NodeRecord, reason: str) -> None:
        with contextlib.suppress(ClusterError):
            await self._move_locked(group, target, reason)

    async def _move_locked(
        self, group: GroupRecord, target: NodeRecord, reason: str
    ) -> list[ResourceRecord]:
        async with group.lock:
            if not target.can_host:  # it went down or was paused while this waited
                raise make_error(
                    Win32Error.ERROR_HOST_NODE_NOT_AVAILABLE,
                    f"node {target.name!r} can no longer host group {group.name!r}",
                    fix="move it again; the best node is chosen when none is given",
                )
            return await self._transfer(group, target, reason)

    async def _transfer(
        self, group: GroupRecord, target: NodeRecord, reason: str
    ) -> list[ResourceRecord]:
        """Offline in dependency order, hand over, online by persistent state (§7.3)."""
        resources = self.state.group_resources(group)
        for res in resources:
            res.generation += 1  # restarts and retries planned for the old node are void
        restore = [
            r
            for r in resources
            if r.properties.get("PersistentState") or r.state is ResourceState.ONLINE
        ]
        old = self.state.nodes.by_id.get(group.owner) if group.owner else None
        self.state.log(
            LogLevel.INFORMATION,
            f"group {group.name}",
            f"{reason}: {old.name if old else '-'} -> {target.name}",
        )
        await self.offline_resources(group, resources)
        for res in resources:
            if res.node is not None:
                node = self.state.nodes.by_id.get(res.node)
                if node is not None and res.id in node.hosts and node.id != target.id:
                    host = node.hosts.pop(res.id)
                    await host.close()
                self.state.unplace(res)
        self.state.set_owner(group, target)
        return await self.online_resources(group, target, restore)

    async def _handle_failure(
        self,
        res: ResourceRecord,
        node: NodeRecord,
        generation: int,
        scope: ResourceState = ResourceState.FAILED,
    ) -> None:
        """The failure policy for one failure of ``res`` on ``node``; ``scope`` is where its
        Online said it cannot come online (FAILED: an ordinary failure)."""
        await self.rt.monitors.terminated(res, node)
        group = self.state.groups.by_id.get(res.group)
        if group is None or res.deleted:
            return
        now = self.state.now()
        period = resource_prop(res, "RestartPeriod")
        res.failure_times = list(policy.prune_window(res.failure_times, now, period / 1000))
        res.failure_times.append(now)
        decision = policy.failure_decision(
            scope=scope,
            action=RestartAction(int(resource_prop(res, "RestartAction"))),
            failure_times=res.failure_times,
            now=now,
            threshold=int(resource_prop(res, "RestartThreshold")),
            period_ms=period,
        )
        async with group.lock:
            if generation != res.generation or res.state is not ResourceState.FAILED:
                return
            # Dependents cannot stay up without it: take them down first (they are not failed).
            provides = self.state.provides(group)
            dependents = [
                self.state.resources.by_id[d]
                for d in policy.transitive_dependents(res.id, provides)
            ]
            restore = [
                d
                for d in dependents
                if d.state is ResourceState.ONLINE or d.properties.get("PersistentState")
            ]
            await self.offline_resources(
                group, [d for d in dependents if d.state is not ResourceState.OFFLINE]
            )
            why = {
                ResourceState.CANNOT_COME_ONLINE_ON_THIS_NODE: (
                    f" (it cannot come online on {node.name}: no restart there)"
                ),
                ResourceState.CANNOT_COME_ONLINE_ON_ANY_NODE: (
                    " (it cannot come online on any node: no restart, no failover, no retry)"
                ),
            }.get(scope, "")
            self.state.log(
                LogLevel.INFORMATION,
                f"resource {res.name}",
                f"failure policy: {decision.name.lower().replace('_', ' ')}{why}",
                node=node,
            )
            if decision is policy.RestartDecision.GIVE_UP:
                return
            if decision is policy.RestartDecision.FAIL_OVER and self._failover_allowed(group):
                target = self._best_node(group, exclude={node.id})
                if target is not None:
                    group.failover_times.append(self.state.now())
                    await self._transfer(group, target, "failover")
                    return
                self.state.log(
                    LogLevel.WARNING,
                    f"group {group.name}",
                    "no other node can host it; it stays failed",
                )
        if decision is policy.RestartDecision.RESTART:
            # RestartDelay passes outside the group's lock, so the group stays manageable.
            await anyio.sleep(resource_prop(res, "RestartDelay") / 1000)
            async with group.lock:
                if not _restart_still_due(res, generation, group, node):
                    return
                await self.online_resources(group, node, [res, *restore])
            return
        self._schedule_retry(res, generation)

    def _failover_allowed(self, group: GroupRecord) -> bool:
        now = self.state.now()
        period_h = int(group_prop(group, "FailoverPeriod"))
        group.failover_times = list(policy.prune_window(group.failover_times, now, period_h * 3600))
        allowed = policy.failover_allowed(
            failover_times=group.failover_times,
            now=now,
            threshold=int(group_prop(group, "FailoverThreshold")),
            period_hours=period_h,
            node_count=len(self.state.nodes.by_id),
        )
        if not allowed:
            self.state.log(
                LogLevel.WARNING,
                f"group {group.name}",
                f"failover threshold reached ({len(group.failover_times)} in "
                f"{period_h} h); it is left failed",
            )
        return allowed

    def _schedule_retry(self, res: ResourceRecord, generation: int) -> None:
        if RestartAction(int(resource_prop(res, "RestartAction"))) is RestartAction.DONT_RESTART:
            return
        if res.retried:
            self.state.log(
                LogLevel.ERROR,
                f"resource {res.name}",
                "the final retry after RetryPeriodOnFailure failed; it stays failed until it "
                "is brought online by hand",
            )
            return
        when = policy.retry_time(
            res.failed_at or self.state.now(), int(resource_prop(res, "RetryPeriodOnFailure"))
        )
        if when is not None:
            self.state.task_group.start_soon(self._retry, res, generation, when)

    async def _retry(self, res: ResourceRecord, generation: int, when: float) -> None:
        await anyio.sleep_until(when)
        group = self.state.groups.by_id.get(res.group)
        if group is None or generation != res.generation or res.state is not ResourceState.FAILED:
            return
        async with group.lock:
            if generation != res.generation:
                return
            node = self.state.nodes.by_id.get(group.owner) if group.owner else None
            if node is not None and node.up and not node.can_host:
                return  # a paused owner keeps its group but brings nothing online
            if node is None or not node.up:
                node = self._best_node(group)
            if node is None:
                return
            if self.excluded(res, node):
                self.state.log(
                    LogLevel.WARNING,
                    f"resource {res.name}",
                    f"RetryPeriodOnFailure elapsed, but it cannot come online on {node.name}; "
                    "no retry",
                    node=node,
                )
                return
            self.state.log(
                LogLevel.INFORMATION,
                f"resource {res.name}",
                "RetryPeriodOnFailure elapsed: one final online attempt",
                node=node,
            )
            res.retried = True
            res.failure_times.clear()
            self.state.set_owner(group, node)
            await self.online_resources(group, node, [res, *self.persistent_dependents(group, res)])

    def persistent_dependents(
        self, group: GroupRecord, res: ResourceRecord
    ) -> list[ResourceRecord]:
        """Dependents of ``res`` that should run (PersistentState) but are offline: the
        failure policy took them down with it, and they come back with it."""
        provides = self.state.provides(group)
        return [
            dep
            for dep in (
                self.state.resources.by_id[d]
                for d in policy.transitive_dependents(res.id, provides)
            )
            if dep.properties.get("PersistentState") and dep.state is ResourceState.OFFLINE
        ]


def _restart_still_due(
    res: ResourceRecord, generation: int, group: GroupRecord, node: NodeRecord
) -> bool:
    """After RestartDelay: nothing superseded the restart (an admin call, a move, a failover,
    a deletion), the resource is still Failed, and its node still owns the group and can
    host it. (A function, so no narrowing from before the delay is carried over it.)"""
    return (
        generation == res.generation
        and node.can_host
        and not res.deleted
        and group.owner == node.id
        and res.state is ResourceState.FAILED
    )
