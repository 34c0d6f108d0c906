"""Small resource types for tests: an always-healthy one and a scripted one.

Tests of clusters, monitors and tools need resources that do nothing (or fail on cue) far more
often than real ones; these are shipped so that each test suite need not redeclare them. See
docs/testing.md, "Ready-made resource types".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Final, Literal, cast, get_args

import anyio
import attrs

import resapi

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ("EntryPoint", "HealthyResource", "Outcome", "ScriptedResource")

#: The entry points a :class:`ScriptedResource` can be scripted for.
EntryPoint = Literal["open", "close", "online", "offline", "terminate", "looks_alive", "is_alive"]

_ENTRY_POINTS: Final[frozenset[str]] = frozenset(get_args(EntryPoint))
_HEALTH_CHECKS: Final = frozenset({"looks_alive", "is_alive"})


class HealthyResource(resapi.Resource):
    """A resource type whose every entry point succeeds at once.

    Online and Offline return immediately; LooksAlive and IsAlive answer ``True`` while the
    resource is online (and ``False`` after Offline or Terminate, as the conformance kit
    requires). It passes :func:`resapi.testing.check_resource` and, having no I/O and no
    awaits, is the neutral neighbour of cluster tests::

        await env.cluster.create_resource_type(HealthyResource)
        await group.create_resource("R1", "Healthy")

    Subclass it to give it another ``type_name`` or to change one entry point.
    """

    type_name = "Healthy"

    def __init__(self, context: resapi.ResourceContext) -> None:
        super().__init__(context)
        #: True between a successful Online and the next Offline or Terminate.
        self.running = False

    async def online(self) -> None:
        self.running = True

    async def offline(self) -> None:
        self.running = False

    async def terminate(self) -> None:
        self.running = False

    async def looks_alive(self) -> bool:
        return self.running

    async def is_alive(self) -> bool:
        return self.running


@attrs.frozen(kw_only=True)
class Outcome:
    """What one entry point of a :class:`ScriptedResource` does when it is called.

    Build one with :meth:`succeed`, :meth:`fail`, :meth:`raises` or :meth:`hang`. The entry point
    first waits ``delay`` seconds (of the loop's clock: virtual time under
    ``clusapi.testing.VirtualClock``), calling ``checkpoint()`` every ``checkpoint_every`` seconds
    if set (only meaningful while Online or Offline is pending); then it hangs (``hangs``), raises
    ``error``, or returns (a health check returns ``alive``).
    """

    delay: float = 0.0
    checkpoint_every: float | None = None
    hangs: bool = False
    error: Exception | None = None
    alive: bool = True

    @classmethod
    def succeed(cls, after: float = 0.0, *, checkpoint_every: float | None = None) -> Outcome:
        """Succeed, after ``after`` seconds (a pending Online or Offline, reporting progress
        every ``checkpoint_every`` seconds if given)."""
        return cls(delay=after, checkpoint_every=checkpoint_every)

    @classmethod
    def fail(cls, error: Exception | str = "scripted failure", *, after: float = 0.0) -> Outcome:
        """Fail the way the entry point fails: a health check returns ``False``; any other
        entry point raises ``error`` (a string becomes a :class:`RuntimeError`)."""
        exc = RuntimeError(error) if isinstance(error, str) else error
        return cls(delay=after, error=exc, alive=False)

    @classmethod
    def raises(cls, error: Exception, *, after: float = 0.0) -> Outcome:
        """Raise ``error``, whatever the entry point (a health check too)."""
        return cls(delay=after, error=error)

    @classmethod
    def hang(cls) -> Outcome:
        """Never return (until cancelled: Terminate, a pending timeout, closing)."""
        return cls(hangs=True)

    async def play(self, resource: resapi.Resource, entry_point: EntryPoint) -> bool:
        """Carry out this outcome for ``entry_point`` of ``resource``; the health result."""
        remaining = self.delay
        while remaining > 0:
            step = min(remaining, self.checkpoint_every or remaining)
            await anyio.sleep(step)
            remaining -= step
            if self.checkpoint_every:
                resource.checkpoint()
        if self.hangs:
            await anyio.sleep_forever()
        if entry_point in _HEALTH_CHECKS and self.error is not None and not self.alive:
            return False  # fail(): a health check says no rather than raising
        if self.error is not None:
            raise self.error.with_traceback(None)  # the same object may be raised again
        return self.alive


_SUCCEED: Final = Outcome()


class ScriptedResource(HealthyResource):
    """A resource type whose entry points do what the test scripted: succeed, fail, raise,
    hang, or take a while, per class, per resource name or per instance.

    An entry point without a script behaves as in :class:`HealthyResource`. The most specific
    script wins: the instance's :attr:`overrides`, then the class's scripts for the resource's
    name (:meth:`script_resource`, which may be set before the resource exists), then the
    class's :attr:`script`. Every call is appended to :attr:`calls`::

        class Flaky(ScriptedResource):
            type_name = "Flaky"
            script = {"online": Outcome.succeed(after=5, checkpoint_every=1)}

        Flaky.script_resource("disk", online=Outcome.fail("no such device"))
        Flaky.script_resource("web", is_alive=Outcome.fail(), offline=Outcome.hang())

    Scripts set on a class are kept until changed: reset them between tests
    (:meth:`clear_scripts`).
    """

    type_name = "Scripted"

    #: The outcome of each entry point for every resource of the class (missing: succeed).
    script: ClassVar[Mapping[EntryPoint, Outcome]] = {}
    #: Per resource name, outcomes that take precedence over :attr:`script`.
    by_name: ClassVar[dict[str, dict[EntryPoint, Outcome]]] = {}

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        cls.by_name = {}  # each subclass scripts its own resources

    def __init__(self, context: resapi.ResourceContext) -> None:
        super().__init__(context)
        #: Outcomes for this instance only, taking precedence over every other script.
        self.overrides: dict[EntryPoint, Outcome] = {}
        #: The entry points called on this instance, in order.
        self.calls: list[EntryPoint] = []

    @classmethod
    def script_resource(cls, name: str, **outcomes: Outcome) -> None:
        """Script the resource called ``name`` (entry point name -> :class:`Outcome`)."""
        unknown = sorted(set(outcomes) - _ENTRY_POINTS)
        if unknown:
            raise TypeError(
                f"{cls.__name__}.script_resource: no entry point {', '.join(unknown)}; "
                f"the entry points are {', '.join(sorted(_ENTRY_POINTS))}"
            )
        cls.by_name.setdefault(name, {}).update(cast("dict[EntryPoint, Outcome]", outcomes))

    @classmethod
    def clear_scripts(cls) -> None:
        """Forget every per-name script of the class (its :attr:`script` stays)."""
        cls.by_name.clear()

    def outcome(self, entry_point: EntryPoint) -> Outcome:
        """The outcome ``entry_point`` will have now (the most specific script)."""
        for scripts in (self.overrides, self.by_name.get(self.name, {}), self.script):
            found = scripts.get(entry_point)
            if found is not None:
                return found
        return _SUCCEED

    async def _play(self, entry_point: EntryPoint) -> bool:
        self.calls.append(entry_point)
        return await self.outcome(entry_point).play(self, entry_point)

    async def open(self) -> None:
        await self._play("open")

    async def close(self) -> None:
        await self._play("close")

    async def online(self) -> None:
        await self._play("online")
        self.running = True

    async def offline(self) -> None:
        await self._play("offline")
        self.running = False

    async def terminate(self) -> None:
        self.running = False
        await self._play("terminate")

    async def looks_alive(self) -> bool:
        return await self._play("looks_alive") and self.running

    async def is_alive(self) -> bool:
        return await self._play("is_alive") and self.running
