"""What the pytest plugin's fixtures hand to a test: the reference cluster factories and the
Pacemaker lab helpers.

Kept apart from :mod:`clusapi.testing.pytest_plugin`, which pytest imports in every session
where the package is installed: the plugin imports this module only when a test asks for one
of its fixtures.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from typing import TYPE_CHECKING, Final, final

from clusapi._errors import make_error
from clusapi._win32 import Win32Error
from clusapi.testing._env import open_reference_cluster
from clusapi.testing._lab import PacemakerLab

if TYPE_CHECKING:
    import pathlib
    from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
    from contextlib import AbstractAsyncContextManager

    from clusapi.testing._env import ReferenceEnvironment

__all__ = ("ReferenceClusterFactory", "fresh_lab", "session_lab", "write_timelines")

#: What the factory's ``nodes`` default to (open_reference_cluster's own default).
DEFAULT_NODES = ("NODE1", "NODE2")


@final
class ReferenceClusterFactory:
    """Opens reference clusters with resource types registered: the ``reference_cluster`` and
    ``separate_monitor_cluster`` fixtures.

    Example::

        async with reference_cluster(nodes=("N1", "N2"), types=[EchoServer]) as env:
            group = await env.cluster.create_group("web")
            ...
    """

    __slots__ = ("_separate_monitor",)

    def __init__(self, *, separate_monitor: bool = False) -> None:
        self._separate_monitor = separate_monitor

    def __call__(
        self,
        nodes: Sequence[str] = DEFAULT_NODES,
        *,
        types: Iterable[object] = (),
        **options: object,
    ) -> AbstractAsyncContextManager[ReferenceEnvironment]:
        """Open a cluster of ``nodes`` with ``types`` registered; ``options`` go to
        :func:`clusapi.testing.open_reference_cluster` (``heartbeat_interval``,
        ``node_timeout``, ``start_hour``, ...).

        Args:
            nodes: node names, in cluster order.
            types: resource types to register, each a :class:`resapi.Resource` subclass or its
                import path ``"package.module:Class"``.
            options: passed to :func:`~clusapi.testing.open_reference_cluster` as they are.

        Raises:
            InvalidParameterError: ERROR_INVALID_PARAMETER, for a type the cluster refuses;
                on ``separate_monitor_cluster``, also for a class a monitor process cannot
                import (defined inside a function or in ``__main__``).
            TypeError: for an option ``open_reference_cluster`` does not take.
        """
        types = tuple(types)
        if self._separate_monitor:
            for implementation in types:
                _check_importable(implementation)
        return _open(tuple(nodes), types, options)


@contextlib.asynccontextmanager
async def _open(
    nodes: tuple[str, ...], types: tuple[object, ...], options: dict[str, object]
) -> AsyncIterator[ReferenceEnvironment]:
    async with open_reference_cluster(nodes, **options) as env:  # type: ignore[arg-type]
        for implementation in types:
            await env.cluster.create_resource_type(implementation)
        yield env


def _check_importable(implementation: object) -> None:
    # A separate monitor is another process: it imports the type by "module:qualname". The
    # cluster finds out at the first Online, in the monitor's log; say so at registration.
    if not isinstance(implementation, type):
        return  # an import path: the cluster checks it when it registers it
    where = f"{implementation.__module__}:{implementation.__qualname__}"
    if "<locals>" in implementation.__qualname__ or implementation.__module__ == "__main__":
        raise make_error(
            Win32Error.ERROR_INVALID_PARAMETER,
            f"resource type class {where} cannot be imported by a separate monitor process",
            fix="define it at module level in a module the test's Python can import (a "
            "package of your project), and pass the class or its 'module:Class' path",
        )


def session_lab(nodes: int) -> Iterator[PacemakerLab]:
    """Start one lab of ``nodes`` for the session; skip, naming the reason, where it cannot run."""
    # pytest is a test dependency; clusapi.testing itself runs without it (demos, faults).
    import pytest

    reason = PacemakerLab.unavailable()
    if reason is not None:
        pytest.skip(reason)
    lab = PacemakerLab(nodes=nodes)
    lab.start()  # a failed start tears itself down; pytest reports the error to each user
    try:
        yield lab
    finally:
        lab.teardown()


def fresh_lab(lab: PacemakerLab, nodes: int) -> PacemakerLab:
    """The session's lab with every node running and an empty configuration."""
    down = [i for i in range(1, nodes + 1) if not lab.node_running(i)]
    for i in down:  # a test killed or stopped it: bring it back, all at once
        lab.start_node(i, wait=False)
    if down:
        lab.wait_ready()
    lab.reset()
    return lab


#: A test id longer than this is cut in a file name (and a hash of it keeps names distinct).
_NAME_CHARS: Final = 120


def timeline_file_name(nodeid: str) -> str:
    """A file name (without suffix) for the test ``nodeid``: each character that is not safe
    in a file name becomes ``_`` (``tests/test_a.py::test_b`` gives
    ``tests_test_a.py__test_b``). When that replaced more than the path's ``/`` and ``::``
    (a parametrised id), or cut a long id, a short hash of the whole id follows, so two tests
    never share a file."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", nodeid)
    if re.fullmatch(r"[A-Za-z0-9_.:/-]*", nodeid) and len(safe) <= _NAME_CHARS:
        return safe
    digest = hashlib.sha1(nodeid.encode(), usedforsecurity=False).hexdigest()[:8]
    return f"{safe[:_NAME_CHARS]}-{digest}"


def write_timelines(
    environments: Sequence[ReferenceEnvironment], directory: pathlib.Path, nodeid: str
) -> list[pathlib.Path]:
    """Write the timeline of each environment a failing test opened (``--clusapi-timeline``):
    ``<test>.svg`` for the first, ``<test>.2.svg``, ``<test>.3.svg``, ... for the others."""
    directory.mkdir(parents=True, exist_ok=True)
    name = timeline_file_name(nodeid)
    return [
        env.timeline(directory / (f"{name}.svg" if i == 1 else f"{name}.{i}.svg"))
        for i, env in enumerate(environments, start=1)
    ]
