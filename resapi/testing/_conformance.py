"""``check_resource``: a conformance kit for resource types, in the spirit of ``ocf-tester``.

It drives one instance through open → online → looks_alive/is_alive → offline → online →
terminate → online → offline → close and reports every breach of the Resource API contract,
each with a message that says what was expected.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Final, Literal

import anyio
import attrs

from clusapi._enums import LogLevel, ResourceState
from resapi._monitor._host import CHECKPOINT_OUTSIDE_PENDING
from resapi._records import LogEntry

from ._harness import ResourceHarness, run_resource

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

    from resapi._monitor._host import ResourceHost
    from resapi._resource import Resource

__all__ = ("Breach", "ConformanceReport", "StepResult", "check_resource")

#: The documented budget of LooksAlive and IsAlive (and the recommended one of Open, Close and
#: Terminate): 300 ms.
ENTRY_POINT_BUDGET: Final = 0.3


@attrs.frozen
class Breach:
    """One breach of the contract found by :func:`check_resource`."""

    #: The step of the check that found it, e.g. ``"online #1"``.
    step: str
    message: str
    #: ``"error"`` breaks the contract; ``"warning"`` goes against a documented recommendation.
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        return f"[{self.severity}] {self.step}: {self.message}"


@attrs.frozen
class StepResult:
    """What one step of the check did and how long it took (monitor time, seconds)."""

    step: str
    outcome: str
    duration: float


@attrs.frozen
class ConformanceReport:
    """The result of :func:`check_resource`: every step, every breach, the full record."""

    type_name: str
    steps: tuple[StepResult, ...]
    breaches: tuple[Breach, ...]
    log: tuple[LogEntry, ...]

    @property
    def ok(self) -> bool:
        """True if no step broke the contract (warnings allowed)."""
        return not any(b.severity == "error" for b in self.breaches)

    @property
    def errors(self) -> tuple[Breach, ...]:
        return tuple(b for b in self.breaches if b.severity == "error")

    def format(self) -> str:
        """A readable report, one line per step and per breach."""
        lines = [f"conformance check of resource type {self.type_name!r}"]
        lines += [f"  {s.step:<26} {s.outcome:<30} {s.duration * 1000:9.1f} ms" for s in self.steps]
        if self.breaches:
            lines.append(f"{len(self.breaches)} breach(es):")
            lines += [f"  {b}" for b in self.breaches]
        verdict = "PASS" if self.ok else "FAIL"
        errors, warnings = len(self.errors), len(self.breaches) - len(self.errors)
        lines.append(f"{verdict}: {len(self.steps)} steps, {errors} errors, {warnings} warnings")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()


class _Aborted(Exception):
    """A step failed in a way that makes the remaining steps meaningless."""


@attrs.define
class _Checker:
    harness: ResourceHarness
    budget: float
    step_timeout: float
    steps: list[StepResult] = attrs.field(factory=list)
    breaches: list[Breach] = attrs.field(factory=list)

    def breach(
        self, step: str, message: str, severity: Literal["error", "warning"] = "error"
    ) -> None:
        self.breaches.append(Breach(step, message, severity))

    async def timed(self, step: str, call: Callable[[], Awaitable[object]]) -> tuple[object, float]:
        log_mark = len(self.harness.log)
        start = anyio.current_time()
        try:
            with anyio.move_on_after(self.step_timeout) as scope:
                result = await call()
        except Exception as exc:
            original = exc.__cause__ if isinstance(exc.__cause__, Exception) else exc
            self.steps.append(
                StepResult(step, f"raised {type(original).__name__}", anyio.current_time() - start)
            )
            raise original from None
        duration = anyio.current_time() - start
        if scope.cancelled_caught:
            self.steps.append(StepResult(step, "no answer", duration))
            self.breach(step, f"did not return within {self.step_timeout:g} s")
            raise _Aborted
        self.steps.append(StepResult(step, _describe(result), duration))
        for entry in self.harness.log[log_mark:]:
            if entry.level >= LogLevel.ERROR:
                self.breach(step, entry.message)
            elif entry.message.startswith(CHECKPOINT_OUTSIDE_PENDING):
                self.breach(step, entry.message + " (SetResourceStatus only while pending)")
        return result, duration

    async def lifecycle(self, step: str, call: Callable[[], Awaitable[object]]) -> None:
        """Open, Close, Terminate: must not raise; should be quick."""
        try:
            _, duration = await self.timed(step, call)
        except _Aborted:
            raise
        except Exception as exc:
            self.breach(step, f"raised {exc!r}; it must not")
            raise _Aborted from exc
        if duration > self.budget:
            self.breach(
                step,
                f"took {duration * 1000:.0f} ms; the documented recommendation is "
                f"{self.budget * 1000:.0f} ms (move slow work to online/offline)",
                "warning",
            )

    async def transition(
        self, step: str, call: Callable[[], Awaitable[ResourceState]], expected: ResourceState
    ) -> None:
        known = len(self.breaches)
        state, _ = await self.timed(step, call)
        if state is not expected:
            if len(self.breaches) == known:  # the log did not already say why
                self.breach(step, f"ended {_describe(state)}, expected {expected.name}")
            raise _Aborted

    async def probe(self, step: str, name: Literal["looks_alive", "is_alive"]) -> None:
        """LooksAlive/IsAlive on an Online resource: a bool, True, within the budget."""
        call = self.harness.looks_alive if name == "looks_alive" else self.harness.is_alive
        log_mark = len(self.harness.log)
        result, duration = await self.timed(step, call)
        raw_breach = any(e.level >= LogLevel.ERROR for e in self.harness.log[log_mark:])
        if not raw_breach and result is not True:
            self.breach(
                step,
                f"{name}() said False right after online returned; "
                "online must return only once the resource works",
            )
        if duration > self.budget:
            self.breach(
                step,
                f"{name}() took {duration * 1000:.0f} ms; the budget is "
                f"{self.budget * 1000:.0f} ms (keep it cheap, or poll in a worker and return "
                "the last result)",
            )

    async def not_alive(self, step: str, after: str) -> None:
        """Straight to the instance: after Offline or Terminate, is_alive must say False."""
        resource = self.harness.resource
        start = anyio.current_time()
        try:
            with anyio.move_on_after(self.step_timeout):
                alive = await resource.is_alive()
        except Exception:
            alive = False  # a resource that is down may well fail to answer
        self.steps.append(StepResult(step, _describe(alive), anyio.current_time() - start))
        if alive is True:
            self.breach(step, f"is_alive() still says True after {after}; {after} must stop it")


def _describe(value: object) -> str:
    if isinstance(value, ResourceState):
        return value.name
    if value is None:
        return "done"
    return repr(value)


async def check_resource(
    factory: Callable[[ResourceHost], Resource],
    *,
    properties: Mapping[str, object] | None = None,
    name: str = "conformance-check",
    budget: float = ENTRY_POINT_BUDGET,
    pending_timeout: float | None = None,
    step_timeout: float | None = None,
) -> ConformanceReport:
    """Check a resource type against the Resource API contract and report every breach.

    Example::

        report = await resapi.testing.check_resource(EchoServer, properties={"port": 7100})
        assert report.ok, report

    The sequence is open → online → looks_alive → is_alive → offline → (is_alive says no) →
    online → looks_alive → is_alive → terminate → (is_alive says no) → online → offline →
    close. Breaches found: an entry point that raises where it must not or returns the wrong
    type, LooksAlive/IsAlive slower than the 300 ms budget, an online that returns while the
    resource is not alive, an online or offline that fails, hangs or pends without progress
    reports past PendingTimeout, an offline or terminate that leaves it alive,
    ``checkpoint()`` outside a pending online/offline, and slow Open/Close/Terminate
    (warnings).

    Args:
        factory: the :class:`~resapi.Resource` subclass (or a factory taking a context).
        properties: private properties for the instance (required ones must be given).
        name: the resource name used during the check.
        budget: the LooksAlive/IsAlive budget in seconds (300 ms, as documented).
        pending_timeout: seconds; default: the type's ``pending_timeout``.
        step_timeout: seconds a step may take before the check gives up on it; default:
            the pending timeout plus a minute.

    Raises:
        PropertyError: ``properties`` names a property the type does not declare, or gives a
            bad value: one its row, its ``prop(validate=...)`` or the table's ``validate()``
            refuses, before anything runs (a plain exception, not an ``ExceptionGroup``).
    """
    pending = pending_timeout
    if pending is None:
        pending = getattr(factory, "pending_timeout", 180000) / 1000
    limit = step_timeout if step_timeout is not None else pending + 60
    type_name = str(getattr(factory, "type_name", getattr(factory, "__name__", repr(factory))))
    checker: _Checker | None = None
    async with run_resource(
        factory, name=name, properties=properties, pending_timeout=pending, open=False
    ) as harness:
        checker = _Checker(harness, budget, limit if math.isfinite(limit) else 3600.0)
        c = checker
        try:
            await c.lifecycle("open", harness.open)
            await c.transition("online #1", harness.online, ResourceState.ONLINE)
            await c.probe("looks_alive (online)", "looks_alive")
            await c.probe("is_alive (online)", "is_alive")
            await c.transition("offline #1", harness.offline, ResourceState.OFFLINE)
            await c.not_alive("is_alive after offline", "offline")
            await c.transition("online #2", harness.online, ResourceState.ONLINE)
            await c.probe("looks_alive (online #2)", "looks_alive")
            await c.probe("is_alive (online #2)", "is_alive")
            await c.lifecycle("terminate", harness.terminate)
            await c.not_alive("is_alive after terminate", "terminate")
            await c.transition("online #3", harness.online, ResourceState.ONLINE)
            await c.transition("offline #2", harness.offline, ResourceState.OFFLINE)
            await c.lifecycle("close", harness.close)
        except _Aborted:
            pass
        for report in harness.failures:
            c.breach(
                "(any)",
                f"signal_failure({report.failure_type.name}) during a clean run",
                "warning",
            )
        log = tuple(harness.log)
    return ConformanceReport(type_name, tuple(checker.steps), tuple(checker.breaches), log)
