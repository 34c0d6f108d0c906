from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from clusapi.testing import PacemakerLab

if TYPE_CHECKING:
    from collections.abc import Iterator

pytest_plugins = ["clusapi.testing.pytest_plugin"]

#: The fixtures that start a real Pacemaker cluster; a test using one is marked `pacemaker`.
_LAB_FIXTURES = frozenset({"pacemaker_lab", "pacemaker_lab3"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # `-m "not pacemaker"` must deselect every test that starts a real cluster, also one that
    # forgot its marker.
    for item in items:
        if _LAB_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.pacemaker)


def _session_lab(nodes: int) -> Iterator[PacemakerLab]:
    reason = PacemakerLab.unavailable()
    if reason is not None:
        pytest.skip(reason)
    lab = PacemakerLab(nodes=nodes)
    lab.start()  # a failed start tears itself down; pytest reports the error to each user
    try:
        yield lab
    finally:
        lab.teardown()


@pytest.fixture(scope="session")
def _pacemaker_lab_session() -> Iterator[PacemakerLab]:
    yield from _session_lab(1)


@pytest.fixture(scope="session")
def _pacemaker_lab3_session() -> Iterator[PacemakerLab]:
    yield from _session_lab(3)


def _fresh(lab: PacemakerLab, nodes: int) -> PacemakerLab:
    down = [i for i in range(1, nodes + 1) if not lab.node_running(i)]
    for i in down:  # a test killed or stopped it: bring it back, all at once
        lab.start_node(i, wait=False)
    if down:
        lab.wait_ready()
    lab.reset()
    return lab


@pytest.fixture
def pacemaker_lab(_pacemaker_lab_session: PacemakerLab) -> PacemakerLab:
    """A real single-node Pacemaker cluster (one per session), with an empty configuration.

    Skips where it cannot run, naming the ``apt-get install`` line or "run as root".
    """
    return _fresh(_pacemaker_lab_session, 1)


@pytest.fixture
def pacemaker_lab3(_pacemaker_lab3_session: PacemakerLab) -> PacemakerLab:
    """A real 3-node Pacemaker cluster (one per session): all nodes up, empty configuration.

    Tests may kill (``kill9``) or stop nodes; the next test gets them back running.
    """
    return _fresh(_pacemaker_lab3_session, 3)
