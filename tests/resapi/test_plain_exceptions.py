"""The SDK's test entry points let a single exception out as itself (issue 15, item 2):
``open_reference_cluster`` and ``run_resource`` around a test's code, and ``check_resource``
for its own argument errors. pytest.skip/xfail/raises and ``except`` work around them; only
errors that happened at once come out as a group, and a cancellation passes untouched.

One module, parametrised over the entry points: each check runs on every entry point it
applies to (``check_resource`` takes no block of the test's code, so only the checks of a
failing call apply to it)."""

from __future__ import annotations

import contextlib
import traceback
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Final

import anyio
import attrs
import pytest

import clusapi
from clusapi.testing import open_reference_cluster
from resapi.testing import HealthyResource, check_resource, run_resource

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

pytestmark = [pytest.mark.asyncio, pytest.mark.virtual_time]


@contextlib.asynccontextmanager
async def cluster_with_a_group() -> AsyncIterator[object]:
    async with open_reference_cluster(("N1", "N2")) as env:
        await env.cluster.create_group("web")
        yield env


@contextlib.asynccontextmanager
async def an_online_resource() -> AsyncIterator[object]:
    try:
        async with run_resource(HealthyResource) as h:
            assert await h.online() is clusapi.ResourceState.ONLINE
            yield h
    finally:
        # the harness closed the instance, whatever left the block (terminated: it was online)
        assert h.state is clusapi.ResourceState.OFFLINE


async def group_not_found_in_cluster() -> None:
    async with open_reference_cluster(("N1", "N2")) as env:
        await env.cluster.open_group("nope")


async def property_typo_in_cluster() -> None:
    async with open_reference_cluster(("N1", "N2")) as env:
        group = await env.cluster.create_group("web")
        await group.set_common_properties(PersistentStat=1)  # typo: PersistentState


async def property_typo_in_run_resource() -> None:
    async with run_resource(HealthyResource, properties={"prot": 7100}):
        pass  # pragma: no cover (never entered)


async def property_typo_in_check_resource() -> None:
    await check_resource(HealthyResource, properties={"prot": 7100})


@attrs.frozen
class FailingCall:
    """A call into an entry point that fails with ``error`` (its message shows ``text``)."""

    call: Callable[[], Awaitable[None]]
    error: type[clusapi.ClusterError]
    text: str
    #: The SDK's own error chained in: the cluster names the group around the property
    #: table's error ("group 'web': property ..."), with that error as its context.
    context: type[BaseException] | None = None


#: The entry points that run a block of the test's code.
BLOCKS: Final = [
    pytest.param(cluster_with_a_group, id="open_reference_cluster"),
    pytest.param(an_online_resource, id="run_resource"),
]

#: An error from a call inside each entry point, for ``pytest.raises``.
RAISED: Final = [
    pytest.param(
        FailingCall(group_not_found_in_cluster, clusapi.GroupNotFoundError, "'nope'"),
        id="open_reference_cluster",
    ),
    pytest.param(
        FailingCall(property_typo_in_run_resource, clusapi.PropertyError, "'prot'"),
        id="run_resource",
    ),
    pytest.param(
        FailingCall(property_typo_in_check_resource, clusapi.PropertyError, "'prot'"),
        id="check_resource",
    ),
]

#: A property typo in each entry point, for ``except clusapi.PropertyError``.
TYPOS: Final = [
    pytest.param(
        FailingCall(
            property_typo_in_cluster, clusapi.PropertyError, "PersistentStat", clusapi.PropertyError
        ),
        id="open_reference_cluster",
    ),
    *RAISED[1:],
]

Block = Callable[[], contextlib.AbstractAsyncContextManager[object]]


async def raised_by(body: Callable[[], Awaitable[object]]) -> BaseException:
    """What ``body`` raised, whatever its kind (pytest's outcomes are BaseExceptions)."""
    try:
        await body()
    except BaseException as exc:
        return exc
    pytest.fail("did not raise", pytrace=False)


async def inside(block: Block, action: Callable[[], object]) -> None:
    async with block():
        action()


def leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in leaves(inner)]
    return [exc]


@pytest.mark.parametrize("block", BLOCKS)
@pytest.mark.parametrize(
    ("call", "outcome"),
    [
        pytest.param(lambda: pytest.xfail("known bug"), pytest.xfail.Exception, id="xfail"),
        pytest.param(lambda: pytest.skip("not here"), pytest.skip.Exception, id="skip"),
    ],
)
async def test_pytest_outcomes_leave_as_themselves(
    block: Block, call: Callable[[], object], outcome: type[BaseException]
) -> None:
    exc = await raised_by(lambda: inside(block, call))
    # exactly pytest's outcome exception, so pytest reports the test as xfailed / skipped
    assert type(exc) is outcome, repr(exc)


@pytest.mark.parametrize("failing", RAISED)
async def test_pytest_raises_catches_the_error_plainly(failing: FailingCall) -> None:
    with pytest.raises(failing.error) as info:
        await failing.call()
    assert failing.text in str(info.value)
    # the traceback shows the error's own path, not an exception group through SDK internals
    text = "".join(traceback.format_exception(info.value))
    assert "ExceptionGroup" not in text, text
    assert info.value.__context__ is None


@pytest.mark.parametrize("failing", TYPOS)
async def test_except_property_error_catches_a_typo(failing: FailingCall) -> None:
    try:
        await failing.call()
    except clusapi.PropertyError as exc:
        caught: clusapi.PropertyError | None = exc
    else:  # pragma: no cover (the assertion below reports it)
        caught = None
    assert caught is not None
    assert failing.text in str(caught)
    # no group chained in as "during handling of...": only the SDK's own error, if any
    context = caught.__context__
    assert (None if context is None else type(context)) is failing.context, repr(context)
    assert context is None or context.__context__ is None


@pytest.mark.parametrize("block", BLOCKS)
async def test_an_error_keeps_its_own_cause(block: Block) -> None:
    cause = OSError("disk full")

    def fail() -> None:
        raise RuntimeError("wrapped") from cause

    exc = await raised_by(lambda: inside(block, fail))
    assert type(exc) is RuntimeError
    assert exc.__cause__ is cause


@pytest.mark.parametrize("block", BLOCKS)
async def test_an_error_keeps_its_own_context(block: Block) -> None:
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

    suppressed = await raised_by(lambda: inside(block, fail))
    assert suppressed.__context__ is first
    assert suppressed.__suppress_context__
    chained = await raised_by(lambda: inside(block, fail_during_handling))
    assert chained.__context__ is first  # not the task group's ExceptionGroup
    assert not chained.__suppress_context__


@pytest.mark.parametrize("block", BLOCKS)
async def test_keyboard_interrupt_leaves_as_itself(block: Block) -> None:
    def interrupt() -> None:
        raise KeyboardInterrupt

    exc = await raised_by(lambda: inside(block, interrupt))
    assert type(exc) is KeyboardInterrupt


@pytest.mark.parametrize("block", BLOCKS)
async def test_a_cancellation_passes_through_untouched(block: Block) -> None:
    seen: list[BaseException] = []
    with anyio.CancelScope() as scope:
        try:
            async with block():
                scope.cancel()
                await anyio.sleep(1)
        except BaseException as exc:
            seen.append(exc)
            raise
    assert scope.cancelled_caught
    assert [type(e) for e in seen] == [anyio.get_cancelled_exc_class()]


@pytest.mark.parametrize("block", BLOCKS)
async def test_a_timeout_around_it_still_moves_on(block: Block) -> None:
    with anyio.move_on_after(30) as scope:
        async with block():
            await anyio.sleep(3600)
    assert scope.cancelled_caught


@pytest.mark.parametrize("block", BLOCKS)
async def test_concurrent_failures_still_come_out_as_a_group(block: Block) -> None:
    async def fail(exc: Exception) -> None:
        raise exc

    async def body() -> None:
        async with block(), anyio.create_task_group() as tg:
            tg.start_soon(fail, ValueError("one"))
            tg.start_soon(fail, KeyError("two"))

    exc = await raised_by(body)
    assert isinstance(exc, ExceptionGroup), repr(exc)
    assert sorted(type(e).__name__ for e in leaves(exc)) == ["KeyError", "ValueError"]
