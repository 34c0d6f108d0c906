"""The :class:`Session`: what the Pacemaker handlers work with, through its public API.

Reading the cluster (:meth:`Session.read`) is a pure read; :meth:`Session.refresh` is the
explicit step that feeds the notify ports and clears the constraints of finished moves, and
:meth:`Session.current` does both. A writing handler opens with :meth:`Session.editing` (the
write lock, the cluster now, an :class:`~._edit.Edit` of it, written as one version-checked
patch at the end) or :meth:`Session.locked`. See ``docs/pacemaker.md`` ("Writes").
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import tempfile
import time
from typing import TYPE_CHECKING, Final

import anyio

from clusapi._enums import ResourceState
from clusapi._errors import ClusterError, make_error
from clusapi._win32 import Win32Error

from ._checks import not_supported
from ._cib import build_view, cib_version
from ._cibfile import CibFile
from ._edit import Edit
from ._events import EventHub
from ._runner import Runner, tool_error

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Sequence

    from ._agents import Agents
    from ._cib import ClusterView, PrimitiveView

__all__ = ("BACKEND_NAME", "Session", "StaleWrite")

#: The backend's name (``ClusterInfo.backend``, ``PacemakerBackend.name``).
BACKEND_NAME: Final = "pacemaker"

#: cibadmin's CRM_EX_OLD ("Update was older than existing configuration"), as _runner maps it.
_STALE_CODE: Final = Win32Error.ERROR_INVALID_STATE


class StaleWrite(Exception):
    """A version-checked write lost to a change made since the snapshot it was built on.

    Not a ClusterError, so no handler takes it for a failure of its own: it ends the handler
    (its ``finally`` blocks undo what they must) and :meth:`PacemakerBackend.execute` runs the
    operation again from a fresh snapshot, with every rule checked again.
    """


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


class Session:
    """One Pacemaker cluster (or saved CIB) as the handlers see it: the tools, the agents,
    the notify ports, and the steps every operation is made of.

    Example (a handler)::

        async with session.editing() as (view, edit):
            group = view.group(op.id)
            edit.set_target_role(group.members, "Stopped")
    """

    def __init__(
        self,
        runner: Runner,
        agents: Agents,
        *,
        simulate: bool,
        poll_interval: float,
        wait_interval: float,
        wait_timeout: float,
    ) -> None:
        #: Runs every tool (``argv`` after the command prefix, ``CIB_file`` set).
        self.runner = runner
        #: The installed OCF agents: the resource types.
        self.agents = agents
        #: The notify ports, fed by :meth:`refresh`.
        self.events = EventHub(self.current, poll_interval)
        #: The saved CIB worked on, or None for the live cluster.
        self.cib_file = runner.cib_file
        #: How long a wait (and a move's temporary constraint) lasts, in seconds.
        self.wait_timeout = wait_timeout
        self._simulate = simulate
        self._wait_interval = wait_interval
        self._cache: tuple[ClusterView, float] | None = None
        #: Moves made with wait=False: group id -> (deadline, origin, target).
        self._pending_clears: dict[str, tuple[float, str | None, str | None]] = {}
        self._file = CibFile(self.cib_file) if self.cib_file is not None else None
        self._write_lock = _WriteLock(self._file)
        self._tool_version: str | None = None
        self._local_node: str | None = None

    @property
    def runs(self) -> bool:
        """Whether anything executes what the configuration asks (a cluster or simulation)."""
        return self.cib_file is None or self._simulate

    def require_running(self, what: str) -> None:
        """Refuse ``what`` on a saved CIB without simulation.

        Raises:
            NotSupportedError: ERROR_NOT_SUPPORTED: nothing runs there.
        """
        if not self.runs:
            raise not_supported(
                f"{what} on a saved CIB: nothing runs there",
                fix="use the live cluster, or PacemakerBackend(cib_file=..., simulate=True)",
            )

    # -- reading ------------------------------------------------------------------------------

    async def read(self) -> ClusterView:
        """The cluster now: the CIB, and crm_mon's reading of that same CIB. A pure read."""
        cib = (await self.runner.run(["cibadmin", "--query"])).stdout
        version = cib_version(cib)
        now = time.monotonic()
        cached = self._cache
        if cached is not None and cached[0].version == version and now - cached[1] < 1.0:
            return cached[0]
        view = await self.view_of(cib)
        self._cache = (view, now)
        return view

    async def refresh(self, view: ClusterView) -> ClusterView:
        """Show ``view`` to the notify ports and clear the constraints of the moves
        (``wait=False``) it shows finished; the cluster to go on with (read again if
        constraints were cleared)."""
        self.events.feed(view)
        if self._pending_clears and await self._clear_finished(view):
            return await self.current()  # the constraints changed
        return view

    async def current(self) -> ClusterView:
        """:meth:`read`, then :meth:`refresh`: what every operation starts from."""
        return await self.refresh(await self.read())

    async def view_of(self, cib: bytes) -> ClusterView:
        """The view of a CIB document: crm_mon reads a copy of it, so that configuration and
        status agree."""
        with tempfile.TemporaryDirectory(prefix="clusapi-pcmk-") as directory:
            path = os.path.join(directory, "cib.xml")
            await anyio.Path(path).write_bytes(cib)
            result = await self.runner.run(
                ["crm_mon", "-1", "--output-as=xml"], local=True, cib_file=path
            )
        return build_view(cib, result.stdout)

    async def version(self, view: ClusterView) -> str:
        """Pacemaker's version: the cluster's ``dc-version``, else the tools'."""
        version = view.options.get("dc-version")
        if version:
            return version
        if self._tool_version is None:
            out = await self.runner.run(["crm_mon", "--version"], local=True, check=False)
            match = re.search(rb"\d+\.\d+\.\d+\S*", out.stdout)
            self._tool_version = match[0].decode() if match else "0.0.0"
        return self._tool_version

    async def local_node(self) -> str | None:
        """The node the tools run on (``crm_node -n``, asked once): the node this connection
        is made to, where a new group is hosted. None on a saved CIB (no node is local) or
        when the node does not say."""
        if self.cib_file is not None:
            return None
        if self._local_node is None:
            out = await self.runner.run(["crm_node", "-n"], check=False)
            self._local_node = out.stdout.decode(errors="replace").strip() if out.code == 0 else ""
        return self._local_node or None

    # -- writing ------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def locked(self) -> AsyncIterator[ClusterView]:
        """Hold the write lock (one writing operation at a time; on a saved CIB, the file's
        lock too) and give the cluster now (:meth:`current`)."""
        async with self._write_lock:
            yield await self.current()

    @contextlib.asynccontextmanager
    async def editing(self) -> AsyncIterator[tuple[ClusterView, Edit]]:
        """:meth:`locked`, with an :class:`Edit` of that view that is written (:meth:`write`)
        when the block ends without an error; on an error nothing is written."""
        async with self.locked() as view, self._edited(view) as edit:
            yield view, edit

    @contextlib.asynccontextmanager
    async def _edited(self, view: ClusterView) -> AsyncIterator[Edit]:
        edit = Edit(view)
        yield edit
        await self.write(edit)

    async def write(self, edit: Edit) -> None:
        """Write the edit (once: writing it again does nothing) in one CIB update that
        Pacemaker applies only to the version it was computed from: ``crm_diff --cib`` of the
        CIB as read and as edited gives a patch whose source version is the one read, and
        ``cibadmin --patch`` refuses it (exit 103, CRM_EX_OLD) if anything changed the CIB
        since. Then :class:`StaleWrite` makes the backend run the whole operation again on a
        fresh snapshot.

        Raises:
            StaleWrite: a concurrent change won.
            InvalidParameterError: a value XML cannot hold (nothing is written).
        """
        if edit.written or not edit.changed:
            return
        before, after = edit.documents()
        with tempfile.TemporaryDirectory(prefix="clusapi-pcmk-") as directory:
            old, new = os.path.join(directory, "old.xml"), os.path.join(directory, "new.xml")
            await anyio.Path(old).write_bytes(before)
            await anyio.Path(new).write_bytes(after)
            diff = await self.runner.run(
                ["crm_diff", "--cib", "--original", old, "--new", new], local=True, check=False
            )
        if diff.code not in (0, 1):  # 1: the documents differ, as they should
            raise tool_error(["crm_diff", "--cib"], diff.code, diff.stdout, diff.stderr)
        if diff.code == 0:
            edit.mark_written()
            return
        try:
            await self.change(["cibadmin", "--patch", "--xml-pipe"], input=diff.stdout)
        except ClusterError as exc:
            if exc.winerror == _STALE_CODE and "older" in exc.description:
                raise StaleWrite(exc.description) from None
            raise
        edit.mark_written()

    async def change(
        self,
        argv: Sequence[str] | None,
        *,
        input: bytes | None = None,  # noqa: A002  (the Runner's name)
        inject: str | None = None,
    ) -> None:
        """Run one tool that changes the CIB. On a saved CIB it changes a copy that replaces
        the file only when everything succeeded (:mod:`._cibfile`), and with ``simulate`` (or
        an injected operation result, ``crm_simulate --op-inject``) crm_simulate then carries
        out what the cluster would do, in the same copy."""
        self._cache = None
        if self._file is None:
            if argv is not None:
                await self.runner.run(argv, input=input)
            return
        async with self._file.changing() as work:
            if argv is not None:
                await self.runner.run(argv, input=input, cib_file=work)
            if self._simulate or inject is not None:
                extra = ["--op-inject", inject] if inject is not None else []
                await self.runner.run(
                    ["crm_simulate", "--xml-file", work, "--simulate", "--in-place", "-Q",
                     *extra],
                    local=True,
                )  # fmt: skip
        self._cache = None

    async def tool(self, *argv: str) -> None:
        """Run a tool that changes the CIB (crm_attribute, crm_resource): it changes one
        element in one CIB update, so it needs no version check."""
        await self.change(argv)

    async def wait(self, what: str, check: Callable[[ClusterView], bool | str]) -> ClusterView:
        """Poll until ``check`` says done (True) or failed (a reason), or the wait times out.

        A failure is final only once the cluster has settled (``crm_resource --wait``):
        Pacemaker may still be recovering the resource elsewhere.

        Raises:
            ClusterError: ERROR_RESOURCE_FAILED for a failure, ERROR_TIMEOUT.
        """
        deadline = time.monotonic() + self.wait_timeout
        settled = False
        while True:
            view = await self.current()
            result = check(view)
            if result is True:
                return view
            if isinstance(result, str):
                if self.cib_file is None and not settled:
                    settled = True
                    remaining = max(1, math.ceil(deadline - time.monotonic()))
                    await self.runner.run(
                        ["crm_resource", "--wait", f"--timeout={remaining}s"],
                        check=False,
                        time_limit=remaining + 10,
                    )
                    continue
                raise make_error(
                    Win32Error.ERROR_RESOURCE_FAILED,
                    f"{what}: {result}",
                    fix="read the failures with `crm_mon -1 --include=failures`; fix the "
                    "cause, then bring it online again (that clears the fail counts)",
                )
            if time.monotonic() >= deadline:
                raise make_error(
                    Win32Error.ERROR_TIMEOUT,
                    f"{what}: not done within {self.wait_timeout:g} s",
                    fix="pass a longer wait_timeout to PacemakerBackend, or wait=False",
                )
            await anyio.sleep(self._wait_interval)

    async def start(self, group_id: str, members: Sequence[str]) -> None:
        """Ask Pacemaker to run ``members``: target-role Started on each, and none on their
        group (the group's own Stopped would hold them all). Built on a fresh snapshot: the
        clean-up and any move before it changed the CIB. The caller holds the write lock."""
        async with self._edited(await self.current()) as edit:
            edit.set_target_role(members, "Started")
            edit.set_meta(group_id, "target-role", None, tag="group")

    async def cleanup(self, resources: Sequence[PrimitiveView]) -> None:
        """An administrator's online forgets old failures (MSCS clears them too):
        ``crm_resource --cleanup``; on a saved CIB, which that tool does not change, the same
        edit of the status section (the failed operations and the fail-count attributes)."""
        for prim in resources:
            if not (prim.fail_counts or prim.failed or prim.blocked):
                continue
            if self.cib_file is None:
                await self.tool("crm_resource", "--cleanup", "--resource", prim.id, "--quiet")
                continue
            xpath = (
                f"//lrm_resource[@id='{prim.id}']/lrm_rsc_op[contains(@id, '_last_failure_')]"
                f" | //transient_attributes//nvpair[starts-with(@name, 'fail-count-{prim.id}#')"
                f" or starts-with(@name, 'last-failure-{prim.id}#')]"
            )
            await self.change(["cibadmin", "--delete-all", "--force", "--xpath", xpath])

    # -- moves: the temporary constraint is always cleared -------------------------------------

    async def place(self, group_id: str, node: str | None) -> None:
        """Start a move (crm_resource --move, to ``node`` or away from where it runs), with a
        lifetime, so that even a constraint this process never clears stops mattering."""
        argv = ["crm_resource", "--move", "--resource", group_id, "--quiet"]
        if node is not None:
            argv += ["--node", node]
        argv += ["--lifetime", f"PT{math.ceil(self.wait_timeout) + 60}S"]
        await self.tool(*argv)

    async def clear(self, group_id: str) -> None:
        """Remove a move's temporary constraints (``crm_resource --clear``). Shielded: a
        cancelled caller must not leave the constraint behind."""
        self._pending_clears.pop(group_id, None)
        with anyio.CancelScope(shield=True):
            await self.tool("crm_resource", "--clear", "--resource", group_id, "--quiet")

    def clear_later(self, group_id: str, origin: str | None, target: str | None) -> None:
        """Leave a move (``wait=False``) under way: :meth:`refresh` clears its constraint once
        the group left ``origin`` (or arrived on ``target``), failed, or ran out of time."""
        self._pending_clears[group_id] = (time.monotonic() + self.wait_timeout, origin, target)

    def placing(self, group_id: str) -> bool:
        """Whether a move or online (``wait=False``) of this connection still places the
        group (its temporary constraint is not cleared yet)."""
        return group_id in self._pending_clears

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
                await self.clear(group_id)
                cleared = True
        return cleared

    async def aclose(self) -> None:
        """Clear the temporary constraints of moves still under way and end the notify
        ports."""
        for group_id in list(self._pending_clears):
            # If the cluster is gone, the constraint expires by its lifetime rule.
            with contextlib.suppress(ClusterError):
                await self.clear(group_id)
        self.events.close()
