"""A service that takes a while to start: a pending Online that reports its progress.

Online of the "Slow Start" type warms up in ``WarmupSteps`` steps of ``StepMs`` milliseconds
each (think of a cache being filled, or a journal being replayed) and calls
``self.checkpoint()`` after each one. The resource is OnlinePending meanwhile, and every
checkpoint restarts the PendingTimeout clock: the whole warm-up may take far longer than
PendingTimeout, as long as no single step does. Then a worker keeps the warmed-up data fresh
until Offline. LooksAlive checks the worker; IsAlive also checks the data. Check it against
the Resource API contract::

    python -m examples.slow_start            # runs the conformance kit, prints the report

Installed as an OCF agent (``python -m resapi.ocf install examples.slow_start:SlowStart``),
its ``start`` returns once the warm-up is done, and the agent's stderr shows every step.
"""

from __future__ import annotations

import sys

import anyio

import resapi
import resapi.testing

__all__ = ("SlowStart", "WarmupProperties", "main")


class WarmupProperties(resapi.PropertyTable):
    """Private properties of the Slow Start type."""

    warmup_steps: int = resapi.prop(
        default=5, minimum=0, maximum=1000, description="warm-up steps before it serves"
    )
    step_ms: int = resapi.prop(
        default=500, minimum=0, maximum=600000, description="duration of one step, in ms"
    )


class SlowStart(resapi.Resource[WarmupProperties]):
    """A service that warms up in steps before it serves, reporting each step."""

    type_name = "Slow Start"
    Properties = WarmupProperties
    #: The type's PendingTimeout: the longest a single warm-up step may take, not the whole
    #: warm-up. (A resource's own PendingTimeout overrides it under the reference runtime.)
    pending_timeout = 30000

    def __init__(self, context: resapi.ResourceContext) -> None:
        super().__init__(context)
        self._data: list[int] = []
        self._refresher: resapi.Worker | None = None
        self.refreshes = 0

    async def online(self) -> None:
        steps = self.properties.warmup_steps
        step = self.properties.step_ms / 1000
        self._data = []
        for done in range(1, steps + 1):
            await anyio.sleep(step)  # one piece of real warm-up work
            self._data.append(done)
            self.checkpoint()
            self.log.info("warm-up step %d of %d done", done, steps)
        self._refresher = self.start_worker(self._refresh)
        self.log.info("warmed up; serving")

    async def _refresh(self) -> None:
        while True:
            await anyio.sleep(1)
            self.refreshes += 1

    async def offline(self) -> None:
        await self._stop()
        self.log.info("stopped")

    async def terminate(self) -> None:
        await self._stop()

    async def _stop(self) -> None:
        refresher, self._refresher = self._refresher, None
        if refresher is not None:
            await refresher.terminate()
        self._data = []

    async def looks_alive(self) -> bool:
        return self._refresher is not None and not self._refresher.done

    async def is_alive(self) -> bool:
        return await self.looks_alive() and len(self._data) == self.properties.warmup_steps


async def main() -> int:
    """Run the conformance kit on the Slow Start type (short steps) and print its report."""
    report = await resapi.testing.check_resource(
        SlowStart, properties={"warmup_steps": 3, "step_ms": 100}
    )
    print(report)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(anyio.run(main))
