"""``plain_exceptions``: one error out of a task group leaves as itself, not as a group.

The SDK's context managers run their work in anyio task groups, and a task group wraps
whatever escapes it in a ``BaseExceptionGroup``, even a single error from the ``async with``
body. Users of ``open_reference_cluster``, ``run_resource`` and ``check_resource`` did not
start those task groups, so a single error must come out as itself: ``pytest.raises``,
``except PropertyError``, ``pytest.skip()`` and ``pytest.xfail()`` then work around the block.
Only errors that genuinely happened at once (two tasks failing) stay a group. This is the
pattern trio and anyio recommend for libraries that hide their task groups: unwrap at the
boundary, once.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ("plain_exceptions", "sole_exception")


def sole_exception(group: BaseExceptionGroup[BaseException]) -> BaseException | None:
    """The one exception inside ``group`` and its nested groups, or None if there are more."""
    inner: BaseException = group
    while isinstance(inner, BaseExceptionGroup):
        if len(inner.exceptions) != 1:
            return None
        inner = inner.exceptions[0]
    return inner


@contextlib.contextmanager
def plain_exceptions() -> Iterator[None]:
    """Re-raise a group holding exactly one exception (at any depth) as that exception.

    Every kind is unwrapped, BaseExceptions too: pytest's skip/xfail outcomes, KeyboardInterrupt
    and a cancellation are single exceptions like any other. The exception keeps its own
    traceback, ``__cause__`` and ``__context__``; a group with two or more leaves is re-raised
    unchanged.
    """
    try:
        yield
    except BaseExceptionGroup as group:
        sole = sole_exception(group)
        if sole is None:
            raise
        # ``raise sole`` here would make the group its __context__, so the traceback would
        # print the group and the SDK's internals again ("during handling of the above
        # exception..."); ``raise sole from None`` would drop its own __cause__. Raising it and
        # then putting back the context it had keeps both its chain and a plain traceback.
        context = sole.__context__
        try:
            raise sole
        finally:
            sole.__context__ = context
            del sole, context, group  # no reference cycle through this frame
