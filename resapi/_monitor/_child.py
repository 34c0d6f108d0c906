"""One monitor process as its :class:`~._process_host.ProcessHost` sees it: the requests in
flight, their real-time deadlines, and killing and reaping it.

Deadlines run on real time (the child runs on real time, so its host's own guard does too; a
virtual clock in the parent cannot make them fire early), on one daemon thread that only kills
processes, so they hold even while the parent's event loop is blocked. Inside the child, the
host enforces PendingTimeout and DeadlockTimeout D as in-process. The parent's deadline is
gentler, so the child's detection acts first whenever its loop still runs: D + grace
(``deadline_grace``, default ``min(max(D/2, 0.25), 5)`` s); Online and Offline get
``min(PendingTimeout, D) + D + grace``, counted again from every progress report; Startup
``startup_timeout``, Close ``2 D + grace``; a queued request counts from when it is sent. When
one passes, the child's host reports a deadlock, or the process ends on its own, the process
is killed (by pidfd) and reaped, the cluster log names the resource and the entry point, the
resource fails if it was Online, pending or in an Online/Offline, the call returns what that
failure returns in-process (or raises ClusterError), and the next call starts a new process.
"""

from __future__ import annotations

import contextlib
import functools
import heapq
import itertools
import os
import signal
import threading
import time
import traceback
from typing import TYPE_CHECKING, Final

import anyio
import attrs
from anyio.abc import Process

from ._protocol import Event, Reply, decode, frame_length

if TYPE_CHECKING:
    from collections.abc import Callable

    from anyio.streams.buffered import BufferedByteReceiveStream

    from ._gate import Hold
    from ._protocol import Call, Message

__all__ = ("EXIT_WAIT", "TIMERS", "Child", "Lost", "Waiter")

#: Real seconds a monitor process has to exit once its input ends, before it is killed.
EXIT_WAIT: Final = 2.0

_KILL: Final = getattr(signal, "SIGKILL", signal.SIGTERM)
_pidfd_send_signal: Callable[[int, int], None] | None = getattr(signal, "pidfd_send_signal", None)


class _Timer:
    __slots__ = ("callback", "cancelled", "deadline")

    def __init__(self, deadline: float, callback: Callable[[], None]) -> None:
        self.deadline = deadline
        self.callback = callback
        self.cancelled = False


class _RealTimeTimers:
    """Callbacks at ``time.monotonic()`` deadlines, run on one daemon thread.

    The callbacks only kill processes (thread-safe, no event loop involved), so a deadline is
    kept even while the parent's event loop is blocked, and a virtual clock cannot move it.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _Timer]] = []
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None
        self._cancelled = 0

    def call_later(self, delay: float, callback: Callable[[], None]) -> _Timer:
        timer = _Timer(time.monotonic() + delay, callback)
        with self._cond:
            heapq.heappush(self._heap, (timer.deadline, next(self._seq), timer))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="resapi-monitor-deadlines", daemon=True
                )
                self._thread.start()
            self._cond.notify()
        return timer

    def cancel(self, timer: _Timer | None) -> None:
        if timer is None:
            return
        with self._cond:
            if timer.cancelled:
                return
            timer.cancelled = True
            self._cancelled += 1
            if self._cancelled > 64 and 2 * self._cancelled > len(self._heap):
                self._heap = [entry for entry in self._heap if not entry[2].cancelled]
                heapq.heapify(self._heap)
                self._cancelled = 0

    def _run(self) -> None:
        with self._cond:
            while True:
                while self._heap and self._heap[0][2].cancelled:
                    heapq.heappop(self._heap)
                    self._cancelled -= 1
                if not self._heap:
                    self._cond.wait()
                    continue
                deadline, _, timer = self._heap[0]
                delay = deadline - time.monotonic()
                if delay > 0:
                    self._cond.wait(delay)
                    continue
                heapq.heappop(self._heap)
                timer.cancelled = True
                self._cond.release()
                try:
                    timer.callback()
                except Exception:
                    traceback.print_exc()
                finally:
                    self._cond.acquire()


TIMERS: Final = _RealTimeTimers()


class Waiter:
    """One request in flight."""

    __slots__ = (
        "call",
        "done",
        "hold",
        "id",
        "label",
        "outcome",
        "resolved",
        "timeout",
        "timer",
        "value",
    )

    def __init__(self, request_id: int, call: Call, timeout: float) -> None:
        self.id = request_id
        self.call = call
        self.label = call.label
        self.timeout = timeout
        self.done = anyio.Event()
        self.resolved = False  # under the child's lock: the timer thread reads it
        self.outcome: str = ""
        self.value: object = None
        self.timer: _Timer | None = None
        self.hold: Hold | None = None


class Lost(Exception):
    """The monitor process went away while a request was in flight."""

    def __init__(self, reason: str, *, deadlock: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.deadlock = deadlock


@attrs.define(eq=False)
class Child:
    """One monitor process and what the parent knows about it."""

    process: Process
    pid: int
    pidfd: int | None
    waiters: dict[int, Waiter] = attrs.field(factory=dict)
    lock: threading.Lock = attrs.field(factory=threading.Lock)
    send_lock: anyio.Lock = attrs.field(factory=anyio.Lock)
    done: anyio.Event = attrs.field(factory=anyio.Event)
    #: The Online/Offline whose deadline progress reports extend.
    progress: Waiter | None = None
    #: The request whose deadline passed (the process was killed for it).
    expired: Waiter | None = None
    #: The child's host reported a deadlock: its replies no longer count.
    written_off: bool = False
    #: Ending on purpose (close, failed start): no failure to report.
    closing: bool = False
    #: The reader was cancelled (its task group ended): kill at once, report nothing.
    abandoned: bool = False
    protocol_error: str | None = None
    reaped: bool = False
    gone: bool = False

    def kill(self) -> None:
        """Kill the process unless it was reaped (thread-safe; by pidfd where there is one, so
        a reused PID is never hit)."""
        with self.lock:
            if self.reaped:
                return
            with contextlib.suppress(ProcessLookupError, OSError):
                if self.pidfd is not None and _pidfd_send_signal is not None:
                    _pidfd_send_signal(self.pidfd, _KILL)
                else:
                    os.kill(self.pid, _KILL)

    async def send(self, frame: bytes) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        async with self.send_lock:
            await stdin.send(frame)

    def arm(self, waiter: Waiter) -> None:
        """(Re)start ``waiter``'s deadline: from now, ``waiter.timeout`` real seconds."""
        TIMERS.cancel(waiter.timer)
        waiter.timer = TIMERS.call_later(waiter.timeout, functools.partial(self._expire, waiter))

    def _expire(self, waiter: Waiter) -> None:
        """Timer thread: the request's deadline passed; kill the process for it."""
        with self.lock:
            if waiter.resolved or self.reaped or self.expired is not None:
                return
            self.expired = waiter
        self.kill()

    def resolve(self, waiter: Waiter, outcome: str, value: object) -> None:
        """Settle ``waiter`` (once) and pass on the turn it held, if it holds one."""
        with self.lock:
            if waiter.resolved:
                return
            waiter.resolved = True
        TIMERS.cancel(waiter.timer)
        self.waiters.pop(waiter.id, None)
        waiter.outcome = outcome
        waiter.value = value
        waiter.done.set()
        if waiter.hold is not None:
            waiter.hold.release()

    async def receive(self, stream: BufferedByteReceiveStream, frame_wait: float) -> Message:
        """The next frame's message. A frame must arrive whole within ``frame_wait`` real
        seconds of its first byte (the child writes each in one go): a header cut short, or a
        length that announces more than the child sends, would otherwise stall the channel,
        and every call and the close behind it, until some deadline passed.

        Raises:
            ValueError: a frame too large, or not a well-formed reply or event.
        """
        first = await stream.receive_exactly(1)  # an idle child may take any time
        timer = TIMERS.call_later(
            frame_wait,
            functools.partial(
                self.break_protocol, f"a frame did not arrive whole within {frame_wait:g} s"
            ),
        )
        try:
            length = frame_length(first + await stream.receive_exactly(3))
            payload = await stream.receive_exactly(length)
        finally:
            TIMERS.cancel(timer)
        return decode(payload, (Reply, Event))

    def break_protocol(self, reason: str) -> None:
        """The child broke the protocol (thread-safe): note why, kill it; the reader ends."""
        with self.lock:
            if self.protocol_error is None:
                self.protocol_error = reason
        self.kill()

    async def stop(self) -> None:
        """End the process on purpose: close its input, kill it after EXIT_WAIT, wait until
        the reader has reaped it. Safe to call more than once, and under cancellation."""
        self.closing = True
        timer = TIMERS.call_later(EXIT_WAIT, self.kill)
        try:
            with anyio.CancelScope(shield=True):
                stdin = self.process.stdin
                if stdin is not None:
                    with contextlib.suppress(Exception):
                        async with self.send_lock:
                            await stdin.aclose()
                await self.done.wait()
        finally:
            TIMERS.cancel(timer)

    async def reap(self) -> None:
        """Wait for the process to end (killing it at once if abandoned or broken, after
        EXIT_WAIT otherwise) and release its pidfd."""
        timer = None
        if self.abandoned or self.protocol_error is not None:
            self.kill()
        else:
            timer = TIMERS.call_later(EXIT_WAIT, self.kill)
        try:
            await self.process.aclose()
        finally:
            TIMERS.cancel(timer)
            with self.lock:
                self.reaped = True
                if self.pidfd is not None:
                    os.close(self.pidfd)
                    self.pidfd = None
