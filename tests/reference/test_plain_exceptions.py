"""open_reference_cluster lets a single exception out as itself (issue 15, item 2):
pytest.skip/xfail/raises and ``except`` work around the block; only errors that happened at
once come out as a group, and a cancellation passes untouched."""

from __future__ import annotations

import traceback
from typing import TYPE_CHECKING

import anyio
import pytest

import clusapi
from clusapi.testing import open_reference_cluster

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

pytestmark = [pytest.mark.asyncio, pytest.mark.virtual_time]


async def raised_by(body: Callable[[], Awaitable[object]]) -> BaseException:
    """What ``body`` raised, whatever its kind (pytest's outcomes are BaseExceptions)."""
    try:
        await body()
    except BaseException as exc:
        return exc
    pytest.fail("did not raise", pytrace=False)


async def in_cluster(action: Callable[[], object]) -> None:
    async with open_reference_cluster(("N1", "N2")) as env:
        await env.cluster.create_group("web")
        action()


def leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in leaves(inner)]
    return [exc]


@pytest.mark.parametrize(
    ("call", "outcome"),
    [
        pytest.param(lambda: pytest.xfail("known bug"), pytest.xfail.Exception, id="xfail"),
        pytest.param(lambda: pytest.skip("not here"), pytest.skip.Exception, id="skip"),
    ],
)
async def test_pytest_outcomes_leave_the_cluster_as_themselves(
    call: Callable[[], object], outcome: type[BaseException]
) -> None:
    exc = await raised_by(lambda: in_cluster(call))
    # exactly pytest's outcome exception, so pytest reports the test as xfailed / skipped
    assert type(exc) is outcome, repr(exc)


async def test_pytest_raises_around_the_cluster_catches_the_error_plainly() -> None:
    with pytest.raises(clusapi.GroupNotFoundError) as info:
        async with open_reference_cluster(("N1", "N2")) as env:
            await env.cluster.open_group("nope")
    # the traceback shows the error's own path, not an exception group through SDK internals
    text = "".join(traceback.format_exception(info.value))
    assert "ExceptionGroup" not in text, text
    assert info.value.__context__ is None


async def test_except_property_error_catches_a_typo_inside_the_cluster() -> None:
    try:
        async with open_reference_cluster(("N1", "N2")) as env:
            group = await env.cluster.create_group("web")
            await group.set_common_properties(PersistentStat=1)  # typo: PersistentState
    except clusapi.PropertyError as exc:
        caught: clusapi.PropertyError | None = exc
    else:  # pragma: no cover (the assertion below reports it)
        caught = None
    assert caught is not None
    assert "PersistentStat" in str(caught)


async def test_an_error_keeps_its_own_cause() -> None:
    cause = OSError("disk full")

    def fail() -> None:
        raise RuntimeError("wrapped") from cause

    exc = await raised_by(lambda: in_cluster(fail))
    assert type(exc) is RuntimeError
    assert exc.__cause__ is cause


async def test_keyboard_interrupt_leaves_as_itself() -> None:
    def interrupt() -> None:
        raise KeyboardInterrupt

    exc = await raised_by(lambda: in_cluster(interrupt))
    assert type(exc) is KeyboardInterrupt


async def test_a_cancellation_passes_through_untouched() -> None:
    seen: list[BaseException] = []
    with anyio.CancelScope() as scope:
        try:
            async with open_reference_cluster(("N1", "N2")):
                scope.cancel()
                await anyio.sleep(1)
        except BaseException as exc:
            seen.append(exc)
            raise
    assert scope.cancelled_caught
    assert [type(e) for e in seen] == [anyio.get_cancelled_exc_class()]


async def test_a_timeout_around_the_cluster_still_moves_on() -> None:
    with anyio.move_on_after(30) as scope:
        async with open_reference_cluster(("N1", "N2")):
            await anyio.sleep(3600)
    assert scope.cancelled_caught


async def test_concurrent_failures_still_come_out_as_a_group() -> None:
    async def fail(exc: Exception) -> None:
        raise exc

    async def body() -> None:
        async with open_reference_cluster(("N1", "N2")), anyio.create_task_group() as tg:
            tg.start_soon(fail, ValueError("one"))
            tg.start_soon(fail, KeyError("two"))

    exc = await raised_by(body)
    assert isinstance(exc, ExceptionGroup), repr(exc)
    assert sorted(type(e).__name__ for e in leaves(exc)) == ["KeyError", "ValueError"]


async def test_an_error_keeps_its_own_context() -> None:
    first = LookupError("first")

    def fail() -> None:
        try:
            raise first
        except LookupError:
            raise RuntimeError("while handling") from None

    def fail_during_handling() -> None:
        try:
            raise first
        except LookupError:
            raise RuntimeError("while handling")  # noqa: B904  (the implicit context is the point)

    suppressed = await raised_by(lambda: in_cluster(fail))
    assert suppressed.__context__ is first
    assert suppressed.__suppress_context__
    chained = await raised_by(lambda: in_cluster(fail_during_handling))
    assert chained.__context__ is first  # not the task group's ExceptionGroup
    assert not chained.__suppress_context__
