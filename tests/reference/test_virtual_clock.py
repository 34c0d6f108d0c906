from __future__ import annotations

import time

import anyio
import pytest

from clusapi.testing import VirtualClock


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_marked_test_runs_on_virtual_time():
    clock = VirtualClock.current()
    start = anyio.current_time()
    wall = time.perf_counter()
    await anyio.sleep(6 * 3600)
    assert anyio.current_time() - start == 6 * 3600
    assert clock.time() == anyio.current_time()
    assert time.perf_counter() - wall < 1.0  # hours of virtual time, not of wall time


@pytest.mark.asyncio
@pytest.mark.virtual_time(start=1000.0)
async def test_timeouts_fire_at_their_virtual_deadline():
    assert anyio.current_time() == 1000.0
    with anyio.move_on_after(30) as scope:
        await anyio.sleep(3600)
    assert scope.cancelled_caught
    assert anyio.current_time() == 1030.0


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_concurrent_sleepers_wake_in_order():
    woke: list[int] = []

    async def sleeper(n: int) -> None:
        await anyio.sleep(n * 10)
        woke.append(n)

    async with anyio.create_task_group() as tg:
        for n in (3, 1, 2):
            tg.start_soon(sleeper, n)
    assert woke == [1, 2, 3]
    assert anyio.current_time() == 30


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_real_io_still_works_on_virtual_time():
    result = await anyio.run_process(["echo", "hello"])
    assert result.stdout == b"hello\n"


@pytest.mark.asyncio
async def test_unmarked_tests_run_on_the_real_loop():
    with pytest.raises(RuntimeError, match="no virtual clock"):
        VirtualClock.current()


def test_jump_refuses_to_go_backwards():
    clock = VirtualClock()
    clock.jump(5)
    assert clock.time() == 5
    with pytest.raises(ValueError, match="time can't go backwards"):
        clock.jump(-1)
    assert clock.time() == 5


def test_negative_autojump_threshold_is_rejected():
    with pytest.raises(ValueError, match="autojump_threshold"):
        VirtualClock(autojump_threshold=-0.1)


def test_anyio_run_with_the_loop_factory():
    clock = VirtualClock()

    async def main() -> float:
        await anyio.sleep(3600)
        return anyio.current_time()

    assert anyio.run(main, backend_options={"loop_factory": clock.new_event_loop}) == 3600
    assert clock.time() == 3600
