"""The pytest plugin of clusapi: virtual time for asyncio tests, and ready cluster fixtures.

Installed with the package (a ``pytest11`` entry point), so there is nothing to enable. Use
a fixture::

    @pytest.mark.asyncio
    async def test_failover(reference_cluster) -> None:
        async with reference_cluster(nodes=("N1", "N2"), types=[EchoServer]) as env:
            ...
            await env.advance(3600)     # an hour of cluster time, in microseconds

or mark any asyncio test::

    @pytest.mark.asyncio
    @pytest.mark.virtual_time
    async def test_retry_after_an_hour() -> None:
        await anyio.sleep(3600)        # returns at once; anyio.current_time() moved 3600 s

Fixtures:

- ``reference_cluster``: a factory of in-process reference clusters; the test runs on
  virtual time (unless marked ``real_time``).
- ``separate_monitor_cluster``: the same, for resources created with
  ``separate_monitor=True`` (real monitor processes): virtual time that waits 50 ms for real
  I/O before it jumps.
- ``pacemaker_lab`` / ``pacemaker_lab3``: a real 1- or 3-node Pacemaker cluster
  (:class:`~clusapi.testing.PacemakerLab`, one per session, reset before each test); the test
  is marked ``pacemaker`` and skipped, with the reason, where the lab cannot run.

Markers: ``virtual_time(autojump_threshold=0.0, start=0.0)`` runs an asyncio test on a
:class:`~clusapi.testing.VirtualClock` (``autojump_threshold`` lets real I/O finish before
virtual time jumps); ``real_time`` keeps a test that uses ``reference_cluster`` on the
ordinary loop. Needs pytest-asyncio 1.4 or newer (its ``pytest_asyncio_loop_factories``
hook). An old ``pytest_plugins = ["clusapi.testing.pytest_plugin"]`` line does no harm: the
entry point is registered under that same name, so pytest loads the plugin once.

pytest imports this module in every session of a project that has clusapi installed, so it
imports nothing of the SDK at import time: the fixtures import what they hand out.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

    from clusapi.testing._fixtures import ReferenceClusterFactory
    from clusapi.testing._lab import PacemakerLab

__all__ = (
    "pacemaker_lab",
    "pacemaker_lab3",
    "pytest_asyncio_loop_factories",
    "pytest_collection_modifyitems",
    "pytest_configure",
    "reference_cluster",
    "separate_monitor_cluster",
)

#: The fixtures whose tests run on virtual time unless marked otherwise, with the clock's
#: options. A separate monitor is a real process: give its replies 50 ms of real time before
#: virtual time jumps past them.
_VIRTUAL_TIME_FIXTURES: Mapping[str, Mapping[str, float]] = {
    "reference_cluster": {},
    "separate_monitor_cluster": {"autojump_threshold": 0.05},
}

#: The fixtures that start a real Pacemaker cluster; a test using one is marked `pacemaker`.
_LAB_FIXTURES = frozenset({"pacemaker_lab", "pacemaker_lab3"})


def pytest_configure(config: pytest.Config) -> None:
    for line in (
        "virtual_time(autojump_threshold=0.0, start=0.0): run this asyncio test on a "
        "clusapi.testing.VirtualClock",
        "real_time: run this asyncio test on the ordinary event loop, although it uses the "
        "reference_cluster fixture (clusapi)",
        "pacemaker: uses a real Pacemaker cluster (the pacemaker_lab fixtures of clusapi); "
        "deselect with -m 'not pacemaker'",
    ):
        config.addinivalue_line("markers", line)


def _clock_options(item: pytest.Item) -> Mapping[str, object] | None:
    """The VirtualClock options ``item`` runs with, or None for the ordinary loop."""
    marker = item.get_closest_marker("virtual_time")
    if marker is not None:
        return marker.kwargs
    if item.get_closest_marker("real_time") is not None:
        return None
    names = getattr(item, "fixturenames", ())
    for fixture, options in _VIRTUAL_TIME_FIXTURES.items():
        if fixture in names:
            return options
    return None


@pytest.hookimpl(optionalhook=True)
def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> Mapping[str, Callable[[], asyncio.AbstractEventLoop]]:
    # pytest-asyncio asks at collection (pytest_generate_tests), so a fixture cannot switch
    # the loop of its test later: the fixtures that mean virtual time are looked up here.
    options = _clock_options(item)
    if options is None:
        return {"asyncio": asyncio.new_event_loop}
    from clusapi.testing._clock import VirtualClock

    clock = VirtualClock(**options)  # type: ignore[arg-type]
    return {"virtual_time": clock.new_event_loop}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # tryfirst: before `-m` deselects. `-m "not pacemaker"` must deselect every test that
    # starts a real cluster, also one that forgot its marker.
    for item in items:
        if _LAB_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.pacemaker)


@pytest.fixture
def reference_cluster() -> ReferenceClusterFactory:
    """A factory of in-process reference clusters; the test runs on virtual time.

    ``reference_cluster(nodes=("NODE1", "NODE2"), *, types=(), **options)`` opens a cluster
    of ``nodes`` with the resource ``types`` registered (classes or ``"module:Class"``
    paths); ``options`` go to :func:`clusapi.testing.open_reference_cluster`::

        @pytest.mark.asyncio
        async def test_failover(reference_cluster):
            async with reference_cluster(nodes=("N1", "N2"), types=[EchoServer]) as env:
                ...

    Mark the test ``real_time`` to run it on the ordinary loop instead, or
    ``virtual_time(autojump_threshold=...)`` to set the clock's options.
    """
    from clusapi.testing._fixtures import ReferenceClusterFactory

    return ReferenceClusterFactory()


@pytest.fixture
def separate_monitor_cluster() -> ReferenceClusterFactory:
    """``reference_cluster`` for resources in monitor processes of their own.

    Create the resources with ``group.create_resource(name, type, separate_monitor=True)``.
    The types must be importable by a new process (module level, in an importable module);
    one that is not is refused at registration. The test runs on virtual time that waits
    50 ms of real time for the monitors' replies before it jumps.
    """
    from clusapi.testing._fixtures import ReferenceClusterFactory

    return ReferenceClusterFactory(separate_monitor=True)


@pytest.fixture(scope="session")
def _pacemaker_lab_session() -> Iterator[PacemakerLab]:
    from clusapi.testing._fixtures import session_lab

    yield from session_lab(1)


@pytest.fixture(scope="session")
def _pacemaker_lab3_session() -> Iterator[PacemakerLab]:
    from clusapi.testing._fixtures import session_lab

    yield from session_lab(3)


@pytest.fixture
def pacemaker_lab(_pacemaker_lab_session: PacemakerLab) -> PacemakerLab:
    """A real single-node Pacemaker cluster (one per session), with an empty configuration.

    Skips where it cannot run, naming the ``apt-get install`` line or "run as root".
    """
    from clusapi.testing._fixtures import fresh_lab

    return fresh_lab(_pacemaker_lab_session, 1)


@pytest.fixture
def pacemaker_lab3(_pacemaker_lab3_session: PacemakerLab) -> PacemakerLab:
    """A real 3-node Pacemaker cluster (one per session): all nodes up, empty configuration.

    Tests may kill (``kill9``) or stop nodes; the next test gets them back running.
    """
    from clusapi.testing._fixtures import fresh_lab

    return fresh_lab(_pacemaker_lab3_session, 3)
