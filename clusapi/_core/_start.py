"""``start_first_step``: start a task and return once it has run up to its first wait.

An operation called with ``wait=False`` starts its work in the cluster's task group and returns
the state that work has reached by then (ONLINE_PENDING, say). ``start_soon`` followed by one
checkpoint gives that on asyncio only by its FIFO scheduling; trio runs the ready tasks of a
turn in either order, so the caller could return before the task began (OFFLINE). Here the
task tells the caller it started and then, in the same step, runs on until its first wait; the
caller wakes only after that step on both libraries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from anyio.abc import TaskGroup, TaskStatus

__all__ = ("start_first_step",)


async def start_first_step(
    task_group: TaskGroup, func: Callable[..., Awaitable[object]], *args: object
) -> None:
    """Start ``func(*args)`` in ``task_group``; return once it has run up to its first wait."""

    async def first_step(*, task_status: TaskStatus[None]) -> None:
        task_status.started()  # wakes the caller, which runs after this task's step
        await func(*args)

    await task_group.start(first_step)
