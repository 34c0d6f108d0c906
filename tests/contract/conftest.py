"""One Cluster API contract suite, run on every backend (as anyio runs one suite on asyncio
and trio).

Every async test in this directory runs once per backend: ``test_x[reference]`` on the
in-process reference runtime, on virtual time, with a fresh cluster per test; and
``test_x[pacemaker]`` (marked ``pacemaker``) on a real Pacemaker cluster started by the lab
fixtures of ``tests/conftest.py``, shared by the session and reset before each test.

The backend is the event-loop param: pytest-asyncio parametrizes each test over the loop
factories this conftest's ``pytest_asyncio_loop_factories`` returns (a virtual clock for the
reference runtime, a plain loop for the real cluster), so the two can never be mixed up.

Fixtures: ``driver`` / ``cluster`` (one node on Pacemaker, for most tests) and ``driver3`` /
``cluster3`` (three nodes, for placement and failover). ``driver`` is the backend's
:class:`~tests.contract._driver.Driver`: the test controls and the capability rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import pytest_asyncio

from tests.contract._driver import (
    BACKENDS,
    NODE_NAMES,
    backend_of,
    hosted,
    open_pacemaker,
    open_reference,
    pacemaker_available,
)

if TYPE_CHECKING:
    import asyncio
    from collections.abc import AsyncIterator, Callable, Mapping
    from contextlib import AbstractAsyncContextManager

    import clusapi
    from tests.contract._driver import Driver, Lab

_HERE = Path(__file__).parent


@pytest.hookimpl(tryfirst=True)
def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> Mapping[str, Callable[[], asyncio.AbstractEventLoop]]:
    # A conftest hook only sees the items of its directory: the rest of the tests keep the
    # virtual_time plugin's single loop.
    return {loop.backend: loop for loop in BACKENDS}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The Pacemaker items use the lab fixtures only at run time (getfixturevalue), so the
    # root conftest cannot see them; mark them here. tryfirst: before -m deselects.
    for item in items:
        mine = item.path.is_relative_to(_HERE) and hasattr(item, "callspec")
        if mine and backend_of(item) == "pacemaker":
            item.add_marker(pytest.mark.pacemaker)


def _open(request: pytest.FixtureRequest, size: int) -> AbstractAsyncContextManager[Driver]:
    if backend_of(request.node) == "reference":
        return open_reference(NODE_NAMES[:size])
    if not pacemaker_available():
        pytest.skip("clusapi.pacemaker not available")
    lab: Lab = request.getfixturevalue("pacemaker_lab" if size == 1 else "pacemaker_lab3")
    return open_pacemaker(lab)


@pytest_asyncio.fixture
async def driver(request: pytest.FixtureRequest) -> AsyncIterator[Driver]:
    """A one-node cluster on this test's backend, with its driver."""
    async with hosted(_open(request, 1)) as opened:
        yield opened


@pytest_asyncio.fixture
async def driver3(request: pytest.FixtureRequest) -> AsyncIterator[Driver]:
    """A three-node cluster on this test's backend, with its driver."""
    async with hosted(_open(request, 3)) as opened:
        yield opened


@pytest.fixture
def cluster(driver: Driver) -> clusapi.Cluster:
    return driver.cluster


@pytest.fixture
def cluster3(driver3: Driver) -> clusapi.Cluster:
    return driver3.cluster
