"""``PacemakerBackend``: the Backend seam on a real Pacemaker cluster (or a saved CIB).

:meth:`PacemakerBackend.execute` looks the operation up in the handler table
(:mod:`._dispatch`) and runs the handler with the backend's :class:`~._session.Session`,
again from a fresh snapshot when a concurrent change won its write. How operations read,
check and write the CIB is in ``docs/pacemaker.md`` ("Writes").
"""

from __future__ import annotations

import os
import random
import tempfile
from typing import TYPE_CHECKING, Final, TypeVar, final

import anyio
import attrs

from clusapi._enums import GroupState
from clusapi._errors import make_error
from clusapi._win32 import Win32Error

from ._agents import Agents
from ._checks import node_named, not_supported
from ._dispatch import HANDLERS, NOT_SUPPORTED
from ._runner import Runner
from ._session import BACKEND_NAME, Session, StaleWrite

if TYPE_CHECKING:
    from collections.abc import Sequence

    from clusapi._backend import Operation

__all__ = ("GroupPlacement", "PacemakerBackend")

T = TypeVar("T")
#: How often an operation runs again when a concurrent change won its write; then it fails.
_ATTEMPTS: Final = 12


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

    name: Final = BACKEND_NAME

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
                Win32Error.ERROR_INVALID_PARAMETER,
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
                    Win32Error.ERROR_INVALID_PARAMETER,
                    f"{label} must be a positive number of seconds, not {value!r}",
                    fix=f"pass e.g. {label}=1.0",
                )
        if simulate and cib_file is None:
            raise make_error(
                Win32Error.ERROR_INVALID_PARAMETER,
                "simulate=True needs a cib_file to simulate in",
                fix="pass cib_file=..., or leave simulate out for the live cluster",
            )
        runner = Runner(
            tuple(command_prefix),
            None if cib_file is None else os.fspath(cib_file),
            float(tool_timeout),
        )
        self._session = Session(
            runner,
            Agents(runner, os.fspath(ocf_root)),
            simulate=bool(simulate),
            poll_interval=float(poll_interval),
            wait_interval=float(wait_interval),
            wait_timeout=float(wait_timeout),
        )
        self._closed = False

    # -- the seam -----------------------------------------------------------------------------

    @property
    def cib_file(self) -> str | None:
        """The saved CIB this backend works on, or None for the live cluster."""
        return self._session.cib_file

    @property
    def poll_interval(self) -> float:
        """Seconds between snapshots while a notify port waits."""
        return self._session.events.poll_interval

    async def execute(self, operation: Operation[T]) -> T:
        """Run one operation (see docs/pacemaker.md for each mapping).

        Raises:
            NotSupportedError: ERROR_NOT_SUPPORTED for what Pacemaker has no counterpart of.
            ClusterUnavailableError: RPC_S_SERVER_UNAVAILABLE if the cluster does not answer.
            ClusterError: as the operation documents.
        """
        if self._closed:
            raise make_error(
                Win32Error.ERROR_INVALID_HANDLE,
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
                result: T = await handler(self._session, operation)
            except StaleWrite as exc:
                lost = str(exc)
                # Random, growing pauses spread the writers out, so they do not collide again.
                await anyio.sleep(random.uniform(0.0, min(0.5, 0.01 * 2**attempt)))
                continue
            return result
        raise make_error(
            Win32Error.ERROR_INVALID_STATE,
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
        await self._session.aclose()

    # -- simulation ---------------------------------------------------------------------------

    async def simulate_node_down(self, node: str) -> tuple[GroupPlacement, ...]:
        """What Pacemaker would do if ``node`` failed now (``crm_simulate --node-fail``),
        computed on a copy of the CIB; the cluster is not touched.

        Returns:
            Every group, with where it runs now and where it would run after.

        Raises:
            NodeNotFoundError: ERROR_CLUSTER_NODE_NOT_FOUND for an unknown node.
        """
        session = self._session
        target = node_named(await session.current(), node)
        cib = (await session.runner.run(["cibadmin", "--query"])).stdout
        with tempfile.TemporaryDirectory(prefix="clusapi-pcmk-") as directory:
            before, after = os.path.join(directory, "in.xml"), os.path.join(directory, "out.xml")
            await anyio.Path(before).write_bytes(cib)
            await session.runner.run(
                ["crm_simulate", "--xml-file", before, "--simulate", "--node-fail", target.name,
                 "--save-output", after, "-Q"],
                local=True,
            )  # fmt: skip
            result = await anyio.Path(after).read_bytes()
        now = await session.view_of(cib)
        later = await session.view_of(result)
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
