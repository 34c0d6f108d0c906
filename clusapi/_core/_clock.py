"""The running event loop's clock, read cheaply (shared by the runtime and the monitor)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import anyio

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ("current_clock",)


def current_clock() -> Callable[[], float]:
    """The running event loop's clock, as a cheap callable.

    ``anyio.current_time()`` looks the backend up on every call; the runtime reads the clock
    on every state change, so it takes the loop's own ``time`` once (on asyncio, including a
    :class:`~clusapi.testing.VirtualClock` loop) and falls back to anyio elsewhere (trio).
    """
    try:
        return asyncio.get_running_loop().time
    except RuntimeError:  # not on asyncio (trio): let anyio find the clock each time
        return anyio.current_time
