"""Virtual time for asyncio: an event loop whose clock only moves when the loop is idle.

anyio reads time from the running event loop (``anyio.current_time()`` is ``loop.time()``), and
every timer, ``anyio.sleep`` and ``fail_after`` included, is a ``loop.call_at``. So the one place
to make hours of cluster time pass in milliseconds, including the sleeps inside resource code, is
the loop's own clock. trio has this built in (``trio.testing.MockClock``); asyncio has no clock
hook, so :class:`VirtualClock` builds a ``SelectorEventLoop`` around a selector that, when the
loop has nothing to do but wait for its next timer, jumps the clock to that timer instead of
sleeping.
"""

from __future__ import annotations

import asyncio
import selectors
import sys
from typing import TYPE_CHECKING, Final, Self

from clusapi._errors import make_error
from clusapi._win32 import Win32Error

if TYPE_CHECKING:
    from collections.abc import Mapping

    from _typeshed import FileDescriptorLike

__all__ = ("VirtualClock", "require_virtual_time")


class VirtualClock:
    """A clock for asyncio event loops that jumps ahead whenever the loop is idle.

    Example::

        clock = VirtualClock()
        anyio.run(main, backend_options={"loop_factory": clock.new_event_loop})

    Inside ``main``, ``await anyio.sleep(3600)`` returns at once, and
    ``anyio.current_time()`` has moved by exactly 3600 seconds.

    Args:
        start: the time the clock starts at, in seconds.
        autojump_threshold: how long, in real seconds, the loop waits for real I/O (sockets,
            subprocesses, threads) before it jumps to its next timer. ``0`` (the default) jumps
            at once, which suits pure simulations; a test that also waits on real I/O while
            timers are pending should set a small value such as ``0.05``, so that the I/O is
            not overtaken by virtual time (the same trade-off as trio's ``MockClock``).
    """

    __slots__ = ("_autojump_threshold", "_now")

    def __init__(self, *, start: float = 0.0, autojump_threshold: float = 0.0) -> None:
        if autojump_threshold < 0:
            raise ValueError(f"autojump_threshold must be >= 0, got {autojump_threshold!r}")
        self._now = float(start)
        self._autojump_threshold = float(autojump_threshold)

    @property
    def autojump_threshold(self) -> float:
        """Real seconds the loop waits for I/O before it jumps to its next timer."""
        return self._autojump_threshold

    def time(self) -> float:
        """The current virtual time, in seconds."""
        return self._now

    def jump(self, seconds: float) -> None:
        """Move the clock ``seconds`` ahead now; timers that fall due fire on the next loop turn.

        Raises:
            ValueError: if ``seconds`` is negative (time can't go backwards).
        """
        if seconds < 0:
            raise ValueError(f"time can't go backwards: jump({seconds!r})")
        self._now += seconds

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        """Create an asyncio event loop that runs on this clock (a ``loop_factory``)."""
        return _VirtualTimeEventLoop(self)

    @classmethod
    def current(cls) -> Self:
        """The clock of the running event loop.

        Raises:
            RuntimeError: if the running loop does not run on a :class:`VirtualClock`.
        """
        loop = asyncio.get_running_loop()
        clock = getattr(loop, "virtual_clock", None)
        if not isinstance(clock, cls):
            raise RuntimeError(
                "the running event loop has no virtual clock; run it with "
                "VirtualClock().new_event_loop as the loop factory"
            )
        return clock

    def __repr__(self) -> str:
        return f"VirtualClock(time={self._now!r}, autojump_threshold={self._autojump_threshold!r})"


def require_virtual_time(call: str) -> None:
    """Refuse ``call`` unless the running event loop runs on virtual time.

    A call such as ``env.advance(3600)`` means "let an hour of cluster time pass at once"; on a
    loop with a real clock it would sleep for an hour instead, which looks like a hung test,
    not like a mistake. So it is refused, naming the fix.

    Raises:
        InvalidStateError: ERROR_INVALID_STATE, if the running loop has a real clock (an
            asyncio loop not made by :meth:`VirtualClock.new_event_loop`, or trio without
            ``trio.testing.MockClock``).
    """
    __tracebackhide__ = True  # pytest shows the user's call, not this check
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # not asyncio: trio, whose mock clock is its own
        if _trio_has_mock_clock():
            return
        fix = (
            "run trio with a trio.testing.MockClock: with anyio's pytest plugin, "
            'anyio_backend = ("trio", {"clock": MockClock(autojump_threshold=0)}); outside '
            "pytest, trio.run(main, clock=MockClock(autojump_threshold=0))"
        )
    else:
        if isinstance(getattr(loop, "virtual_clock", None), VirtualClock):
            return
        fix = (
            "mark the test @pytest.mark.virtual_time, or use the reference_cluster fixture "
            "(virtual time by default); outside pytest, run the loop with "
            "VirtualClock().new_event_loop as its loop factory"
        )
    raise make_error(
        Win32Error.ERROR_INVALID_STATE,
        f"{call} needs virtual time, but the running event loop has a real clock (it would "
        "wait in real time)",
        fix=fix,
    )


def _trio_has_mock_clock() -> bool:
    # trio is optional: a running trio has imported it, and a MockClock in use has imported
    # trio.testing, so neither is imported here.
    trio, testing = sys.modules.get("trio"), sys.modules.get("trio.testing")
    if trio is None or testing is None:
        return False
    try:
        clock = trio.lowlevel.current_clock()
    except RuntimeError:  # no trio run either
        return False
    return isinstance(clock, testing.MockClock)


class _IdleJumpSelector(selectors.BaseSelector):
    """Wraps the platform selector; a select that would only wait for a timer jumps instead."""

    def __init__(self, clock: VirtualClock) -> None:
        self._clock: Final = clock
        self._real: Final = selectors.DefaultSelector()

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        # timeout None: no timer is pending, so only real I/O can wake the loop: wait for it.
        # timeout 0: callbacks are ready; just poll.
        if timeout is None or timeout <= 0:
            return self._real.select(timeout)
        ready = self._real.select(min(timeout, self._clock.autojump_threshold))
        if not ready:
            # Nothing happened: the loop is idle until its next timer, which is `timeout` away.
            self._clock.jump(timeout)
        return ready

    def register(
        self, fileobj: FileDescriptorLike, events: int, data: object = None
    ) -> selectors.SelectorKey:
        return self._real.register(fileobj, events, data)

    def unregister(self, fileobj: FileDescriptorLike) -> selectors.SelectorKey:
        return self._real.unregister(fileobj)

    def modify(
        self, fileobj: FileDescriptorLike, events: int, data: object = None
    ) -> selectors.SelectorKey:
        return self._real.modify(fileobj, events, data)

    def get_map(self) -> Mapping[FileDescriptorLike, selectors.SelectorKey]:
        return self._real.get_map()

    def close(self) -> None:
        self._real.close()


class _VirtualTimeEventLoop(asyncio.SelectorEventLoop):
    """An asyncio loop whose ``time()`` is the virtual clock's; its selector jumps when idle."""

    def __init__(self, clock: VirtualClock) -> None:
        self.virtual_clock: Final = clock
        super().__init__(selector=_IdleJumpSelector(clock))

    def time(self) -> float:
        return self.virtual_clock.time()
