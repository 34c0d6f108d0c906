"""A pytest plugin that runs marked asyncio tests on virtual time.

Enable it in a ``conftest.py``::

    pytest_plugins = ["clusapi.testing.pytest_plugin"]

then mark a test::

    @pytest.mark.asyncio
    @pytest.mark.virtual_time
    async def test_retry_after_an_hour() -> None:
        await anyio.sleep(3600)        # returns at once; anyio.current_time() moved 3600 s

``@pytest.mark.virtual_time(autojump_threshold=0.05)`` lets real I/O (sockets, processes) that
the test waits on finish before virtual time jumps (see :class:`VirtualClock`). Unmarked tests
run on the ordinary asyncio loop. Needs pytest-asyncio 1.4 or newer (its
``pytest_asyncio_loop_factories`` hook).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from ._clock import VirtualClock

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = ("pytest_asyncio_loop_factories", "pytest_configure")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "virtual_time(autojump_threshold=0.0, start=0.0): run this asyncio test on a "
        "clusapi.testing.VirtualClock",
    )


@pytest.hookimpl(optionalhook=True)
def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> Mapping[str, Callable[[], asyncio.AbstractEventLoop]]:
    marker = item.get_closest_marker("virtual_time")
    if marker is None:
        return {"asyncio": asyncio.new_event_loop}
    clock = VirtualClock(**marker.kwargs)
    return {"virtual_time": clock.new_event_loop}
