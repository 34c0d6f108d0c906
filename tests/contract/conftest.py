"""One Cluster API contract suite, run on every backend and, for the reference runtime, on
both async libraries anyio supports (asyncio and trio).

Every async test in this directory runs once per backend: ``test_x[reference]`` on the
in-process reference runtime on asyncio, on virtual time (a
:class:`~clusapi.testing.VirtualClock` loop), with a fresh cluster per test;
``test_x[reference-trio]``, the same on trio (virtual time from ``trio.testing.MockClock``);
and ``test_x[pacemaker]`` (marked ``pacemaker``) on a real Pacemaker cluster started by the lab
fixtures of ``tests/conftest.py``, shared by the session and reset before each test.

How: the tests are marked ``anyio`` (not ``asyncio``), so anyio's pytest plugin runs them and
their async fixtures, and this conftest's ``anyio_backend`` fixture is the backend param. Its
value is anyio's ``(library, backend options)`` pair, built fresh for each test: a
``loop_factory`` of a new VirtualClock, a ``clock`` of a new MockClock, or a plain asyncio loop.
anyio's plugin is made for exactly this (one suite, every library), runs an async generator
fixture's setup, the test and the teardown in one task (so the cluster's task group can stay
open across the ``yield``), and needs no second runner beside pytest-asyncio, which the rest of
the tests keep using. pytest-asyncio could not: it runs asyncio loops only.

Fixtures: ``driver`` / ``cluster`` (one node on Pacemaker, for most tests) and ``driver3`` /
``cluster3`` (three nodes, for placement and failover). ``driver`` is the backend's
:class:`~tests.contract._driver.Driver`: the test controls and the capability rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.contract._driver import (
    BACKENDS,
    NODE_NAMES,
    backend_of,
    open_pacemaker,
    open_reference,
    pacemaker_available,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from contextlib import AbstractAsyncContextManager

    import clusapi
    from tests.contract._driver import Backend, Driver, Lab

_HERE = Path(__file__).parent


@pytest.fixture(params=BACKENDS, ids=[backend.id for backend in BACKENDS])
def anyio_backend(request: pytest.FixtureRequest) -> tuple[str, dict[str, object]]:
    """anyio's backend param, for every test of this directory: see the module docstring."""
    backend: Backend = request.param
    return backend.anyio_backend()


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


@pytest.fixture
async def driver(request: pytest.FixtureRequest) -> AsyncIterator[Driver]:
    """A one-node cluster on this test's backend, with its driver."""
    async with _open(request, 1) as opened:
        yield opened


@pytest.fixture
async def driver3(request: pytest.FixtureRequest) -> AsyncIterator[Driver]:
    """A three-node cluster on this test's backend, with its driver."""
    async with _open(request, 3) as opened:
        yield opened


@pytest.fixture
def cluster(driver: Driver) -> clusapi.Cluster:
    return driver.cluster


@pytest.fixture
def cluster3(driver3: Driver) -> clusapi.Cluster:
    return driver3.cluster
