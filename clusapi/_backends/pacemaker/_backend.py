"""``PacemakerBackend``: the Backend seam on a real Pacemaker cluster (or a saved CIB).

Every operation reads one consistent snapshot (``cibadmin --query``, then ``crm_mon`` on that
same CIB; see :mod:`._cib`), validates everything against it, and only then changes the
cluster: one patch of the configuration built in memory (:mod:`._edit`), which Pacemaker
applies only to the CIB version the snapshot read (:meth:`PacemakerBackend._write`; a lost
race runs the operation again on a fresh snapshot), or the tool Pacemaker documents for the
job (``crm_attribute`` for standby, ``crm_resource --move/--clear`` for moves, ``--cleanup``
for fail counts, ``--fail``). A call that fails validation changes nothing. On a saved CIB,
every change is made on a copy that replaces the file atomically, under a lock
(:mod:`._cibfile`).
"""

from __future__ import annotations

import contextlib
import math
import os
import random
import re
import tempfile
import time
from typing import TYPE_CHECKING, Final, TypeVar, final

import anyio
import attrs

from clusapi import _rules as rules
from clusapi._enums import GroupState, ResourceState
from clusapi._errors import ClusterError, make_error
from clusapi._win32 import Win32Error

from ._agents import AgentInfo, Agents
from ._checks import not_supported
from ._cib import build_view, cib_version
from ._cibfile import CibFile
from ._dispatch import HANDLERS, NOT_SUPPORTED
from ._edit import Edit
from ._events import EventHub
from ._runner import Runner, tool_error

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from clusapi._backend import Operation

    from ._cib import ClusterView, GroupView, NodeView, PrimitiveView

__all__ = ("GroupPlacement", "PacemakerBackend", "StaleWrite")

W = Win32Error
T = TypeVar("T")
_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
#: How often an operation runs again when a concurrent change won its write; then it fails.
_ATTEMPTS: Final = 12
#: cibadmin's CRM_EX_OLD ("Update was older than existing configuration"), as _runner maps it.
_STALE_CODE: Final = W.ERROR_INVALID_STATE


class StaleWrite(Exception):
    """A version-checked write lost to a change made since the snapshot it was built on.

    Not a ClusterError, so no handler takes it for a failure of its own: it ends the handler
    (its ``finally`` blocks undo what they must) and :meth:`PacemakerBackend.execute` runs the
    operation again from a fresh snapshot, with every rule checked again.
    """


@attrs.frozen
class GroupPlacement:
    """Where a group runs now and where it would run after a simulated event
    (:meth:`PacemakerBackend.simulate_node_down`)."""

    group: str
    owner: str | None
    state: GroupState
    owner_after: str | None
    state_after: GroupState

    @property
    def moves(self) -> bool:
        """True if the group would change node or state."""
        return (self.owner, self.state) != (self.owner_after, self.state_after)


class _WriteLock:
    """What a writing operation holds from its snapshot to its last write: this backend's
    lock (one writing operation at a time) and, on a saved CIB, the file's lock, so that
    processes writing one file take turns (:class:`._cibfile.CibFile`)."""

    def __init__(self, file: CibFile | None) -> None:
        self._lock = anyio.Lock()
        self._file = file
        self._held: contextlib.AbstractAsyncContextManager[object] | None = None

    async def __aenter__(self) -> None:
        await self._lock.acquire()
        if self._file is None:
            return
        held = self._file.locked()
        try:
            await held.__aenter__()
        except BaseException:
            self._lock.release()
            raise
        self._held = held

    async def __aexit__(self, *exc_info: object) -> None:
        held, self._held = self._held, None
        try:
            if held is not None:
                await held.__aexit__(None, None, None)
        finally:
            self._lock.release()


@final
class PacemakerBackend:
    """A :class:`~clusapi.lowlevel.Backend` that drives a Pacemaker cluster through its
    command-line tools; pass it to :func:`clusapi.open_cluster`.

    Example::

        cluster = await clusapi.open_cluster()                       # the local cluster
        cluster = await clusapi.open_cluster(                        # a saved CIB, offline
            backend=PacemakerBackend(cib_file="cib.xml"))
        cluster = await clusapi.open_cluster(                        # a node of a PacemakerLab
            backend=PacemakerBackend(command_prefix=lab.command_prefix(1)))

    Args:
        cib_file: work on this saved CIB (the tools' ``CIB_file``) instead of the live
            cluster. Nothing runs there: online and offline change target-role and return
            the state the configuration then asks for, without waiting; moves and
            FailResource raise ERROR_NOT_SUPPORTED unless ``simulate``. Every change is
            made on a copy in the file's directory (which must be writable) that then
            replaces the file atomically, under a ``flock`` of that directory.
        simulate: with ``cib_file``: after every change, let ``crm_simulate`` carry out what
            the cluster would do (every action succeeding at once), so states, moves and
            failures can be followed in the file.
        command_prefix: argv prefix for every tool (e.g. ``nsenter -t PID -n -m -u --`` to
            run inside a node's namespaces).
        ocf_root: where resapi types are installed as agents (``create_resource_type``).
        poll_interval: seconds between snapshots while a notify port waits.
        wait_interval: seconds between snapshots while a call waits (``wait=True``).
        wait_timeout: how long ``wait=True`` waits, in seconds (then ERROR_TIMEOUT); also the
            lifetime of a move's temporary constraint.
        tool_timeout: how long one tool may run, in seconds.

    Raises:
        InvalidParameterError: for a bad argument.
    """

    name: Final = "pacemaker"

    def __init__(
        self,
        *,
        cib_file: str | os.PathLike[str] | None = None,
        simulate: bool = False,
        command_prefix: Sequence[str] = (),
        ocf_root: str | os.PathLike[str] = "/usr/lib/ocf",
        poll_interval: float = 0.5,
        wait_interval: float = 0.2,
        wait_timeout: float = 120.0,
        tool_timeout: float = 60.0,
    ) -> None:
        if isinstance(command_prefix, str) or not all(isinstance(a, str) for a in command_prefix):
            raise make_error(
                W.ERROR_INVALID_PARAMETER,
                f"command_prefix must be a sequence of str, not {command_prefix!r}",
                fix="pass e.g. lab.command_prefix(1), or leave it out",
            )
        for label, value in (
            ("poll_interval", poll_interval),
            ("wait_interval", wait_interval),
            ("wait_timeout", wait_timeout),
            ("tool_timeout", tool_timeout),
        ):
            given: object = value  # checked at run time: callers without a type checker
            if isinstance(given, bool) or not isinstance(given, (int, float)) or not given > 0:
                raise make_error(
                    W.ERROR_INVALID_PARAMETER,
                    f"{label} must be a positive number of seconds, not {value!r}",
                    fix=f"pass e.g. {label}=1.0",
                )
        if simulate and cib_file is None:
            raise make_error(
                W.ERROR_INVALID_PARAMETER,
                "simulate=True needs a cib_file to simulate in",
                fix="pass cib_file=..., or leave simulate out for the live cluster",
            )
        self._cib_file = None if cib_file is None else os.fspath(cib_file)
        self._simulate = bool(simulate)
        self._runner = Runner(tuple(command_prefix), self._cib_file, float(tool_timeout))
        self._agents = Agents(self._runner, os.fspath(ocf_root))
        self._hub = EventHub(self._snapshot, float(poll_interval))
        self._wait_interval = float(wait_interval)
        self._wait_timeout = float(wait_timeout)
        self._cache: tuple[ClusterView, float] | None = None
        self._pending_clears: dict[str, tuple[float, str | None, str | None]] = {}
        self._file = CibFile(self._cib_file) if self._cib_file is not None else None
        self._write_lock = _WriteLock(self._file)
        self._tool_version: str | None = None
        self._closed = False

    # -- the seam -----------------------------------------------------------------------------

    @property
    def cib_file(self) -> str | None:
        """The saved CIB this backend works on, or None for the live cluster."""
        return self._cib_file

    @property
    def poll_interval(self) -> float:
        return self._hub.poll_interval

    async def execute(self, operation: Operation[T]) -> T:
        """Run one operation (see docs/pacemaker.md for each mapping).

        Raises:
            NotSupportedError: ERROR_NOT_SUPPORTED for what Pacemaker has no counterpart of.
            ClusterUnavailableError: RPC_S_SERVER_UNAVAILABLE if the cluster does not answer.
            ClusterError: as the operation documents.
        """
        if self._closed:
            raise make_error(
                W.ERROR_INVALID_HANDLE,
                "the Pacemaker backend was closed",
                fix="open the cluster again",
            )
        handler = HANDLERS.get(type(operation))
        if handler is None:
            refusal = NOT_SUPPORTED.get(type(operation))
            if refusal is not None:
                raise refusal.error(operation)
            raise not_supported(f"{type(operation).__name__} ({operation.mirrors})")
        lost = ""
        for attempt in range(_ATTEMPTS):
            try:
                result: T = await handler(self, operation)
            except StaleWrite as exc:
                lost = str(exc)
                # Random, growing pauses spread the writers out, so they do not collide again.
                await anyio.sleep(random.uniform(0.0, min(0.5, 0.01 * 2**attempt)))
                continue
            return result
        raise make_error(
            W.ERROR_INVALID_STATE,
            f"{operation.mirrors}: a concurrent change to the CIB won {_ATTEMPTS} times in a "
            f"row (cibadmin: {lost}); this call's change was not written",
            fix="try again; if it keeps failing, find what rewrites the CIB so often "
            "(crm_mon -1, the CIB's update-client attribute)",
        )

    async def aclose(self) -> None:
        """Clear the temporary constraints of moves still under way and end the notify
        ports. Idempotent."""
        if self._closed:
            return
        self._closed = True
        for group_id in list(self._pending_clears):
            # If the cluster is gone, the constraint expires by its lifetime rule.
            with contextlib.suppress(ClusterError):
                await self._clear(group_id)
        self._hub.close()

    # -- snapshots and writes -----------------------------------------------------------------

    @property
    def _runs(self) -> bool:
        """Whether anything executes what the configuration asks (a cluster or simulation)."""
        return self._cib_file is None or self._simulate

    async def _snapshot(self) -> ClusterView:
        """The cluster now: the CIB, and crm_mon's reading of that same CIB."""
        cib = (await self._runner.run(["cibadmin", "--query"])).stdout
        version = cib_version(cib)
        now = time.monotonic()
        cached = self._cache
        if cached is not None and cached[0].version == version and now - cached[1] < 1.0:
            view = cached[0]
        else:
            mon = await self._crm_mon(cib)
            view = build_view(cib, mon)
            self._cache = (view, now)
        self._hub.feed(view)
        if self._pending_clears and await self._clear_finished(view):
            return await self._snapshot()  # the constraints changed
        return view

    async def _crm_mon(self, cib: bytes, *extra: str) -> bytes:
        # crm_mon reads a copy of the CIB just queried, so configuration and status agree.
        with tempfile.TemporaryDirectory(prefix="clusapi-pcmk-") as directory:
            path = os.path.join(directory, "cib.xml")
            await anyio.Path(path).write_bytes(cib)
            result = await self._runner.run(
                ["crm_mon", "-1", "--output-as=xml", *extra], local=True, cib_file=path
            )
        return result.stdout

    async def _write(self, edit: Edit) -> None:
        """Write the edit in one CIB update that Pacemaker applies only to the version it was
        computed from: ``crm_diff --cib`` of the CIB as read and as edited gives a patch whose
        source version is the one read, and ``cibadmin --patch`` refuses it (exit 103,
        CRM_EX_OLD) if anything changed the CIB since. Then :class:`StaleWrite` makes
        :meth:`execute` run the whole operation again on a fresh snapshot.

        Raises:
            StaleWrite: a concurrent change won.
            InvalidParameterError: a value XML cannot hold (nothing is written).
        """
        if not edit.changed:
            return
        before, after = edit.documents()
        with tempfile.TemporaryDirectory(prefix="clusapi-pcmk-") as directory:
            old, new = os.path.join(directory, "old.xml"), os.path.join(directory, "new.xml")
            await anyio.Path(old).write_bytes(before)
            await anyio.Path(new).write_bytes(after)
            diff = await self._runner.run(
                ["crm_diff", "--cib", "--original", old, "--new", new], local=True, check=False
            )
        if diff.code not in (0, 1):  # 1: the documents differ, as they should
            raise tool_error(["crm_diff", "--cib"], diff.code, diff.stdout, diff.stderr)
        if diff.code == 0:
            return
        try:
            await self._change(["cibadmin", "--patch", "--xml-pipe"], input=diff.stdout)
        except ClusterError as exc:
            if exc.winerror == _STALE_CODE and "older" in exc.description:
                raise StaleWrite(exc.description) from None
            raise

    async def _change(
        self,
        argv: Sequence[str] | None,
        *,
        input: bytes | None = None,  # noqa: A002  (the Runner's name)
        inject: str | None = None,
    ) -> None:
        """Run one tool that changes the CIB. On a saved CIB it changes a copy that replaces
        the file only when everything succeeded (:mod:`._cibfile`), and with ``simulate`` (or
        an injected operation result) crm_simulate then carries out what the cluster
        would do, in the same copy."""
        self._cache = None
        if self._cib_file is None:
            if argv is not None:
                await self._runner.run(argv, input=input)
            return
        assert self._file is not None
        async with self._file.changing() as work:
            if argv is not None:
                await self._runner.run(argv, input=input, cib_file=work)
            if self._simulate or inject is not None:
                extra = ["--op-inject", inject] if inject is not None else []
                await self._runner.run(
                    ["crm_simulate", "--xml-file", work, "--simulate", "--in-place", "-Q",
                     *extra],
                    local=True,
                )  # fmt: skip
        self._cache = None

    async def _tool(self, *argv: str) -> None:
        """Run a tool that changes the CIB (crm_attribute, crm_resource): it changes one
        element in one CIB update, so it needs no version check."""
        await self._change(argv)

    async def _wait(self, what: str, check: Callable[[ClusterView], bool | str]) -> ClusterView:
        """Poll until ``check`` says done (True) or failed (a reason), or the wait times out.

        A failure is final only once the cluster has settled (``crm_resource --wait``):
        Pacemaker may still be recovering the resource elsewhere.
        """
        deadline = time.monotonic() + self._wait_timeout
        settled = False
        while True:
            view = await self._snapshot()
            result = check(view)
            if result is True:
                return view
            if isinstance(result, str):
                if self._cib_file is None and not settled:
                    settled = True
                    remaining = max(1, math.ceil(deadline - time.monotonic()))
                    await self._runner.run(
                        ["crm_resource", "--wait", f"--timeout={remaining}s"],
                        check=False,
                        time_limit=remaining + 10,
                    )
                    continue
                raise make_error(
                    W.ERROR_RESOURCE_FAILED,
                    f"{what}: {result}",
                    fix="read the failures with `crm_mon -1 --include=failures`; fix the "
                    "cause, then bring it online again (that clears the fail counts)",
                )
            if time.monotonic() >= deadline:
                raise make_error(
                    W.ERROR_TIMEOUT,
                    f"{what}: not done within {self._wait_timeout:g} s",
                    fix="pass a longer wait_timeout to PacemakerBackend, or wait=False",
                )
            await anyio.sleep(self._wait_interval)

    # -- moves: the temporary constraint is always cleared -------------------------------------

    async def _clear(self, group_id: str) -> None:
        """Remove a move's temporary constraints (``crm_resource --clear``). Shielded: a
        cancelled caller must not leave the constraint behind."""
        self._pending_clears.pop(group_id, None)
        with anyio.CancelScope(shield=True):
            await self._tool("crm_resource", "--clear", "--resource", group_id, "--quiet")

    async def _clear_finished(self, view: ClusterView) -> bool:
        """Clear the constraints of the moves (``wait=False``) that arrived, failed or ran out
        of time; whether any was cleared."""
        cleared = False
        for group_id, (deadline, origin, target) in list(self._pending_clears.items()):
            group = view.groups.get(group_id)
            done = group is None or time.monotonic() >= deadline
            if group is not None and not done:
                states = [
                    view.primitives[m].state
                    for m in group.members
                    if view.primitives[m].wants_to_run
                ]
                arrived = all(s is ResourceState.ONLINE for s in states) and (
                    group.owner != origin if target is None else group.owner == target
                )
                done = arrived or ResourceState.FAILED in states
            if done:
                await self._clear(group_id)
                cleared = True
        return cleared

    async def _place(self, group_id: str, node: str | None) -> None:
        """Start a move (crm_resource --move, to ``node`` or away from where it runs), with a
        lifetime, so that even a constraint this process never clears stops mattering."""
        argv = ["crm_resource", "--move", "--resource", group_id, "--quiet"]
        if node is not None:
            argv += ["--node", node]
        argv += ["--lifetime", f"PT{math.ceil(self._wait_timeout) + 60}S"]
        await self._tool(*argv)

    # -- shared checks ------------------------------------------------------------------------

    def _node_named(self, view: ClusterView, name: object) -> NodeView:
        node = view.node_by_name(rules.require_name("node", name))
        if node is None:
            raise make_error(
                W.ERROR_CLUSTER_NODE_NOT_FOUND,
                f"no node named {name!r} in cluster {view.name!r}",
                fix="list the nodes with `await cluster.nodes()`",
            )
        return node

    def _check_new_name(self, view: ClusterView, kind: str, name: object) -> str:
        name = rules.require_name(kind, name)
        # require_name has kept the length to rules.NAME_MAX, as on every backend.
        if not _NAME.fullmatch(name):
            raise make_error(
                W.ERROR_INVALID_PARAMETER,
                f"{kind} name {name!r} is not a valid Pacemaker id",
                fix="use letters, digits, '_', '-' and '.', starting with a letter or '_' "
                f"(at most {rules.NAME_MAX} characters)",
            )
        folded = name.casefold()
        for other in (*view.groups, *(p.id for p in view.visible_primitives())):
            if other.casefold() == folded:
                what = "group" if other in view.groups else "resource"
                raise make_error(
                    W.ERROR_OBJECT_ALREADY_EXISTS,
                    f"a {what} named {other!r} already exists (on Pacemaker, groups and "
                    "resources share one namespace, and names differ in more than case)",
                    fix=f"choose another name, or open the existing {what}",
                )
        if name in view.ids:
            raise make_error(
                W.ERROR_OBJECT_ALREADY_EXISTS,
                f"the id {name!r} is already used in the CIB (by a constraint or attribute set)",
                fix="choose another name",
            )
        return name

    def _check_idle(self, view: ClusterView, group: GroupView, what: str) -> None:
        busy = [m for m in group.members if view.primitives[m].in_transition]
        if busy:
            raise make_error(
                W.ERROR_INVALID_STATE,
                f"group {group.id!r} is busy: {', '.join(repr(b) for b in busy)} "
                f"{'is' if len(busy) == 1 else 'are'} starting or stopping",
                fix=f"wait until its current action ends, then {what}",
            )

    def _check_host(
        self, view: ClusterView, group: GroupView, node: NodeView, *, failures: bool = True
    ) -> None:
        if not node.online:
            raise make_error(
                W.ERROR_HOST_NODE_NOT_AVAILABLE,
                f"node {node.name!r} is {node.state.name} and cannot host group {group.id!r}",
                fix="choose a node that is up",
            )
        if node.standby:
            raise make_error(
                W.ERROR_SHARING_PAUSED,
                f"node {node.name!r} is paused (standby); no group is brought online on it",
                fix="resume the node or choose another",
            )
        if view.can_host(node, group.members, group.id, failures=failures):
            return
        not_owner = [
            m for m in group.members if all(n.id != node.id for n in view.possible_owners(m))
        ]
        if not_owner:
            raise make_error(
                W.ERROR_HOST_NODE_NOT_RESOURCE_OWNER,
                f"node {node.name!r} is not a possible owner of resource(s) "
                f"{', '.join(map(repr, not_owner))} in group {group.id!r}",
                fix="add it with `await resource.add_possible_owner(node)`",
            )
        failed = [
            m
            for m in group.members
            if view.primitives[m].fail_counts.get(node.name, 0)
            >= view.primitives[m].migration_threshold
        ]
        raise make_error(
            W.ERROR_HOST_NODE_NOT_RESOURCE_OWNER,
            f"node {node.name!r} may not run group {group.id!r}: "
            + (
                f"resource(s) {', '.join(map(repr, failed))} failed there too often "
                "(fail count at migration-threshold)"
                if failed
                else "a location constraint bars it (crm_resource --ban, or one set outside "
                "clusapi)"
            ),
            fix="bring the group online on that node (online() clears the fail counts), or "
            "remove the constraint (crm_resource --clear)",
        )

    def _no_host(
        self,
        view: ClusterView,
        group: GroupView,
        exclude: str | None = None,
        *,
        failures: bool = True,
    ) -> None:
        if not view.resources_may_run():
            raise make_error(
                W.ERROR_HOST_NODE_NOT_AVAILABLE,
                f"cluster {view.name!r} runs no resources now (no quorum, stop-all-resources or "
                "maintenance-mode)",
                fix="restore quorum, or clear the cluster option",
            )
        if not any(
            view.can_host(n, group.members, group.id, failures=failures)
            for n in view.nodes.values()
            if n.name != exclude
        ):
            raise make_error(
                W.ERROR_HOST_NODE_NOT_AVAILABLE,
                f"no {'other ' if exclude else ''}node can host group {group.id!r} (up, not "
                "paused, a possible owner of every resource)",
                fix="resume or start a node, or widen the possible owners",
            )

    async def _cleanup(self, resources: Sequence[PrimitiveView]) -> None:
        """An administrator's online forgets old failures (MSCS clears them too):
        ``crm_resource --cleanup``; on a saved CIB, which that tool does not change, the same
        edit of the status section (the failed operations and the fail-count attributes)."""
        for prim in resources:
            if not (prim.fail_counts or prim.failed or prim.blocked):
                continue
            if self._cib_file is None:
                await self._tool("crm_resource", "--cleanup", "--resource", prim.id, "--quiet")
                continue
            xpath = (
                f"//lrm_resource[@id='{prim.id}']/lrm_rsc_op[contains(@id, '_last_failure_')]"
                f" | //transient_attributes//nvpair[starts-with(@name, 'fail-count-{prim.id}#')"
                f" or starts-with(@name, 'last-failure-{prim.id}#')]"
            )
            await self._change(["cibadmin", "--delete-all", "--force", "--xpath", xpath])

    def _require_running(self, what: str) -> None:
        if not self._runs:
            raise not_supported(
                f"{what} on a saved CIB: nothing runs there",
                fix="use the live cluster, or PacemakerBackend(cib_file=..., simulate=True)",
            )

    # -- simulation ---------------------------------------------------------------------------

    async def simulate_node_down(self, node: str) -> tuple[GroupPlacement, ...]:
        """What Pacemaker would do if ``node`` failed now (``crm_simulate --node-fail``),
        computed on a copy of the CIB; the cluster is not touched.

        Returns:
            Every group, with where it runs now and where it would run after.

        Raises:
            NodeNotFoundError: ERROR_CLUSTER_NODE_NOT_FOUND for an unknown node.
        """
        view = await self._snapshot()
        target = self._node_named(view, node)
        cib = (await self._runner.run(["cibadmin", "--query"])).stdout
        with tempfile.TemporaryDirectory(prefix="clusapi-pcmk-") as directory:
            before, after = os.path.join(directory, "in.xml"), os.path.join(directory, "out.xml")
            await anyio.Path(before).write_bytes(cib)
            await self._runner.run(
                ["crm_simulate", "--xml-file", before, "--simulate", "--node-fail", target.name,
                 "--save-output", after, "-Q"],
                local=True,
            )  # fmt: skip
            result = await anyio.Path(after).read_bytes()
        now = build_view(cib, await self._crm_mon(cib))
        later = build_view(result, await self._crm_mon(result))
        return tuple(
            GroupPlacement(
                g.id,
                g.owner if g.state is not GroupState.OFFLINE else None,
                g.state,
                later.groups[g.id].owner
                if g.id in later.groups and later.groups[g.id].state is not GroupState.OFFLINE
                else None,
                later.groups[g.id].state if g.id in later.groups else GroupState.UNKNOWN,
            )
            for g in now.groups.values()
        )

    # -- helpers for handlers -----------------------------------------------------------------

    async def _start(self, group_id: str, members: Sequence[str]) -> None:
        """Ask Pacemaker to run ``members``: target-role Started on each, and none on their
        group (the group's own Stopped would hold them all). Built on a fresh snapshot: the
        clean-up and any move before it changed the CIB."""
        edit = Edit(await self._snapshot())
        edit.set_target_role(members, "Started")
        edit.set_meta(group_id, "target-role", None, tag="group")
        await self._write(edit)

    async def _agent(self, prim: PrimitiveView) -> AgentInfo:
        return await self._agents.info(prim.agent)

    async def _version(self, view: ClusterView) -> str:
        version = view.options.get("dc-version")
        if version:
            return version
        if self._tool_version is None:
            out = await self._runner.run(["crm_mon", "--version"], local=True, check=False)
            match = re.search(rb"\d+\.\d+\.\d+\S*", out.stdout)
            self._tool_version = match[0].decode() if match else "0.0.0"
        return self._tool_version
