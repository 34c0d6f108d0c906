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

Option: ``--clusapi-timeline=DIR`` writes, for each failing test, an SVG timeline of every
reference cluster it opened (through the fixtures or ``open_reference_cluster`` directly) to
``DIR/<test id>.svg``; a test that opened several gets ``<test id>.2.svg``, ``.3.svg``, ... for
the second and later, in the order they were opened. The failure report says where they are.

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
    from collections.abc import Callable, Generator, Iterator, Mapping

    from clusapi.testing._env import ReferenceEnvironment
    from clusapi.testing._fixtures import ReferenceClusterFactory
    from clusapi.testing._lab import PacemakerLab

__all__ = (
    "pacemaker_lab",
    "pacemaker_lab3",
    "pytest_addoption",
    "pytest_asyncio_loop_factories",
    "pytest_collection_modifyitems",
    "pytest_configure",
    "pytest_runtest_makereport",
    "pytest_runtest_protocol",
    "pytest_terminal_summary",
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


#: The reference environments a test opened, while --clusapi-timeline is given.
_OPENED: pytest.StashKey[list[ReferenceEnvironment]] = pytest.StashKey()
#: The test's timelines are written (at its first failed phase; a later one adds none).
_WRITTEN = pytest.StashKey[bool]()
#: Every timeline file written in the session, for the terminal summary.
_TIMELINES = pytest.StashKey[list[str]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("clusapi").addoption(
        "--clusapi-timeline",
        metavar="DIR",
        default=None,
        help="for each failing test, write an SVG timeline of each reference cluster it "
        "opened to DIR/<test id>.svg (clusapi)",
    )


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


def _timeline_directory(config: pytest.Config) -> str | None:
    directory: str | None = config.getoption("clusapi_timeline", None)
    return directory


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    # Setup, call and teardown run inside: environments opened in fixtures count too.
    if _timeline_directory(item.config) is None:
        return (yield)
    from clusapi.testing._env import watch_environments

    with watch_environments() as opened:
        item.stash[_OPENED] = opened
        try:
            return (yield)
        finally:
            del item.stash[_OPENED]  # the test's clusters are not kept for the session


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item) -> Generator[None, pytest.TestReport, object]:
    report = yield
    directory = _timeline_directory(item.config)
    opened = item.stash.get(_OPENED, None)
    if directory is None or not opened or not report.failed or item.stash.get(_WRITTEN, False):
        return report
    from clusapi.testing._fixtures import write_timelines

    item.stash[_WRITTEN] = True
    base = item.config.invocation_params.dir / directory
    try:
        paths = write_timelines(opened, base, item.nodeid)
    except OSError as exc:  # a full disk or a bad DIR must not hide the test's own failure
        report.sections.append(("clusapi timeline", f"could not write the timeline: {exc}"))
        return report
    written = [str(path) for path in paths]
    item.config.stash.setdefault(_TIMELINES, []).extend(written)
    report.sections.append(("clusapi timeline", "\n".join(written)))
    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    written = terminalreporter.config.stash.get(_TIMELINES, [])
    if written:
        terminalreporter.write_sep("-", "clusapi timelines of the failing tests")
        for path in written:
            terminalreporter.write_line(path)
