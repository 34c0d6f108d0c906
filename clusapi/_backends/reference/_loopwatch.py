"""Detect a resource that blocks the event loop of the in-process monitor, and name it.

Code in a resource that blocks (``time.sleep``, a CPU loop, blocking I/O) stops every
coroutine of the process: no await gives the loop a chance to notice. So a watcher thread
asks the loop for a heartbeat every ``interval`` real seconds; when none comes back within
``threshold``, it samples the loop thread's stack, finds the innermost frame that belongs to a
``resapi.Resource`` method, and reports that resource and entry point. (Resources that must
block belong in a separate monitor, whose process can be killed instead.)
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TYPE_CHECKING

from resapi._resource import Resource

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Callable
    from types import FrameType

__all__ = ("LoopWatch", "blocking_resource")


def blocking_resource(frame: FrameType | None) -> tuple[str, str] | None:
    """The (resource name, method) of the innermost Resource frame on a stack, if any."""
    while frame is not None:
        candidate = frame.f_locals.get("self")
        if isinstance(candidate, Resource):
            try:
                name = candidate.name
            except Exception:  # a half-built instance: still worth naming its type
                name = f"<a {type(candidate).__name__}>"
            return name, frame.f_code.co_name
        frame = frame.f_back
    return None


class LoopWatch:
    """A thread that reports each period in which the event loop stopped answering."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        report: Callable[[str], None],
        *,
        threshold: float = 1.0,
        interval: float | None = None,
    ) -> None:
        self._loop = loop
        self._report = report
        self._threshold = threshold
        self._interval = interval if interval is not None else threshold / 4
        self._loop_thread = threading.get_ident()
        self._last_beat = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="clusapi-loop-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        self._last_beat = time.monotonic()

    def _run(self) -> None:
        reported = False
        while not self._stop.wait(self._interval):
            try:
                self._loop.call_soon_threadsafe(self._beat)
            except RuntimeError:  # the loop is closed
                return
            silent = time.monotonic() - self._last_beat
            if silent < self._threshold:
                reported = False
                continue
            if reported:
                continue
            reported = True
            frame = sys._current_frames().get(self._loop_thread)
            culprit = blocking_resource(frame)
            if culprit is None:
                message = f"the event loop has been blocked for {silent:.1f} s"
            else:
                name, method = culprit
                message = (
                    f"resource {name!r} has blocked the event loop for {silent:.1f} s in "
                    f"{method}(); every resource of this monitor waits for it (move it to a "
                    "separate monitor, or await instead of blocking)"
                )
            # Delivered when the loop runs again: the cluster log is the loop's.
            self._loop.call_soon_threadsafe(self._report, message)
