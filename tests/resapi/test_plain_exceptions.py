"""run_resource and check_resource let a single exception out as itself (issue 15, item 2):
pytest.skip/xfail/raises and ``except clusapi.PropertyError`` work around them; only errors
that happened at once come out as a group, and a cancellation passes untouched."""

from __future__ import annotations

import traceback
from typing import TYPE_CHECKING

import anyio
import pytest

import clusapi
from resapi.testing import HealthyResource, check_resource, run_resource

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


def leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in leaves(inner)]
    return [exc]


async def in_harness(action: Callable[[], object]) -> None:
    async with run_resource(HealthyResource) as h:
        assert await h.online() is clusapi.ResourceState.ONLINE
        action()


@pytest.mark.parametrize(
    ("call", "outcome"),
    [
        pytest.param(lambda: pytest.xfail("known bug"), pytest.xfail.Exception, id="xfail"),
        pytest.param(lambda: pytest.skip("not here"), pytest.skip.Exception, id="skip"),
    ],
)
async def test_pytest_outcomes_leave_run_resource_as_themselves(
    call: Callable[[], object], outcome: type[BaseException]
) -> None:
    exc = await raised_by(lambda: in_harness(call))
    # exactly pytest's outcome exception, so pytest reports the test as xfailed / skipped
    assert type(exc) is outcome, repr(exc)


async def test_a_property_typo_in_run_resource_is_a_plain_property_error() -> None:
    with pytest.raises(clusapi.PropertyError) as info:
        async with run_resource(HealthyResource, properties={"prot": 7100}):
            pass  # pragma: no cover (never entered)
    assert "'prot'" in str(info.value)


async def test_pytest_raises_catches_a_property_typo_from_check_resource() -> None:
    with pytest.raises(clusapi.PropertyError) as info:
        await check_resource(HealthyResource, properties={"prot": 7100})
    assert "'prot'" in str(info.value)
    # the traceback shows the typo's own path, not an exception group through SDK internals
    text = "".join(traceback.format_exception(info.value))
    assert "ExceptionGroup" not in text, text


async def test_except_property_error_catches_a_typo_from_check_resource() -> None:
    try:
        await check_resource(HealthyResource, properties={"prot": 7100})
    except clusapi.PropertyError as exc:
        caught: clusapi.PropertyError | None = exc
    else:  # pragma: no cover (the assertion below reports it)
        caught = None
    assert caught is not None
    assert "'prot'" in str(caught)
    assert caught.__context__ is None  # no group chained in as "during handling of..."


async def test_an_error_keeps_its_own_cause() -> None:
    cause = OSError("disk full")

    def fail() -> None:
        raise RuntimeError("wrapped") from cause

    exc = await raised_by(lambda: in_harness(fail))
    assert type(exc) is RuntimeError
    assert exc.__cause__ is cause


async def test_keyboard_interrupt_leaves_as_itself() -> None:
    def interrupt() -> None:
        raise KeyboardInterrupt

    exc = await raised_by(lambda: in_harness(interrupt))
    assert type(exc) is KeyboardInterrupt


async def test_a_cancellation_passes_through_untouched() -> None:
    seen: list[BaseException] = []
    with anyio.CancelScope() as scope:
        try:
            async with run_resource(HealthyResource) as h:
                await h.online()
                scope.cancel()
                await anyio.sleep(1)
        except BaseException as exc:
            seen.append(exc)
            raise
    assert scope.cancelled_caught
    assert [type(e) for e in seen] == [anyio.get_cancelled_exc_class()]
    # the harness still closed the instance (terminated, as it was online)
    assert h.state is clusapi.ResourceState.OFFLINE


async def test_concurrent_failures_still_come_out_as_a_group() -> None:
    async def fail(exc: Exception) -> None:
        raise exc

    async def body() -> None:
        async with run_resource(HealthyResource), anyio.create_task_group() as tg:
            tg.start_soon(fail, ValueError("one"))
            tg.start_soon(fail, KeyError("two"))

    exc = await raised_by(body)
    assert isinstance(exc, ExceptionGroup), repr(exc)
    assert sorted(type(e).__name__ for e in leaves(exc)) == ["KeyError", "ValueError"]
