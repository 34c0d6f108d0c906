"""The user's own resource types under the fault simulation: :class:`TypeUnderTest` names a
type and its property values, :func:`instrument` wraps it (without the user changing it) so
that it records the timeline and takes the schedule's resource faults, and the text forms
the replay command and ``python -m clusapi.testing.faults --type`` use."""

from __future__ import annotations

import errno
import shlex
import socket
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import anyio
import attrs

import resapi
from clusapi._errors import make_error
from clusapi._properties import property_error
from clusapi._win32 import Win32Error
from resapi._ocf._parameters import value_from_text
from resapi._resource_type import ImportPathError, resolve_import_path

from .._clock import VirtualClock, _VirtualTimeEventLoop

if TYPE_CHECKING:
    import asyncio

    from ._resources import _World

#: Per-resource property values: the resource's index among the resources of its type (0, 1,
#: ...) to its values.
PropertiesFor = Callable[[int], Mapping[str, object]]


def _check_properties(
    _instance: object, _attribute: object, value: Mapping[str, object] | PropertiesFor
) -> None:
    if not (callable(value) or isinstance(value, Mapping)):
        raise make_error(
            Win32Error.ERROR_INVALID_PARAMETER,
            f"TypeUnderTest properties must be a mapping or a callable, not {value!r}",
            fix='pass e.g. {"port": "272{index:02d}"} or lambda index: {"port": 27200 + index}',
        )


@attrs.frozen
class TypeUnderTest:
    """A resource type the fault simulation runs, with the private property values of its
    resources.

    Example::

        TypeUnderTest(EchoServer, properties={"port": "272{index:02d}"})
        TypeUnderTest("examples.echo_server:EchoServer", properties=lambda i: {"port": 27200 + i})

    Several resources of the type run at once (one per resource the workload gives it), and
    usually need different values (ports). ``properties`` is either a mapping, whose string
    values are templates formatted with ``index`` (the resource's index among the resources
    of its type: 0, 1, ...) and then read as ``--property`` texts are (the OCF agent's
    rules: ``"7100"`` is an int, ``"yes"`` a bool), or a callable of the index returning the
    values. The mapping form replays from the command line as it is; the callable form
    replays when the types come from an importable ``"module:attribute"`` (``types=`` of
    :func:`run_fault_schedule`, ``--types-from``).

    Attributes:
        resource_type: a :class:`resapi.Resource` subclass, or its ``"module:Class"`` path.
        properties: the values, as above (attribute or property names as keys).
    """

    resource_type: type[resapi.Resource] | str
    properties: Mapping[str, object] | PropertiesFor = attrs.field(
        factory=dict, hash=False, validator=_check_properties
    )

    def resolve(self) -> type[resapi.Resource]:
        """The class itself (imported if given as a path).

        Raises:
            InvalidParameterError: a path that does not import, or not a Resource subclass.
        """
        target: object = self.resource_type
        if isinstance(target, str):
            target = load_attribute(target, "resource type")
        if not (isinstance(target, type) and issubclass(target, resapi.Resource)):
            raise make_error(
                Win32Error.ERROR_INVALID_PARAMETER,
                f"{self.resource_type!r} is not a resapi.Resource subclass",
                fix="name the resource type class itself",
            )
        return target

    def values_for(self, cls: type[resapi.Resource], index: int) -> dict[str, object]:
        """The checked private property values of the type's resource number ``index``.

        Raises:
            PropertyError: a value the type's property table refuses (ERROR_INVALID_PARAMETER)
                or a required property not given (ERROR_FILE_NOT_FOUND).
        """
        table = cls.Properties
        if callable(self.properties):
            values: dict[str, object] = dict(self.properties(index))
        else:
            values = {}
            for key, given in self.properties.items():
                if not isinstance(given, str):
                    values[key] = given
                    continue
                item = table.item(key)
                try:
                    text = given.format(index=index)
                    values[key] = value_from_text(item, text)
                except (ValueError, LookupError):  # a bad template, or a text of the wrong form
                    raise property_error(
                        table.__qualname__,
                        item.name,
                        f"cannot be {given!r} for resource #{index} of the type",
                        "give a value of the property's type, or a template such as "
                        "'272{index:02d}' ({index} is the only field; write {{ for a brace)",
                    ) from None
        checked: dict[str, object] = dict(table.verify(values))
        for item in table.items():
            if item.required and item.name not in checked:
                raise property_error(
                    table.__qualname__,
                    item.name,
                    "is required but not given",
                    f"add {item.attribute!r} to the TypeUnderTest's properties",
                    Win32Error.ERROR_FILE_NOT_FOUND,
                )
        return checked

    def command_args(self) -> tuple[list[str], str | None]:
        """The ``--type``/``--property`` arguments that name this type, and why they cannot
        (None when they can)."""
        if isinstance(self.resource_type, str):
            path = self.resource_type
        else:
            cls = self.resource_type
            path = f"{cls.__module__}:{cls.__qualname__}"
            if "<locals>" in cls.__qualname__ or cls.__module__ == "__main__":
                return [], f"{cls.__qualname__} is not importable by a module:Class path"
        if callable(self.properties):
            return [], f"the properties of {path} come from a callable"
        args = ["--type", path]
        for key, value in self.properties.items():
            args += ["--property", f"{key}={_text(value)}"]
        return args, None


def _text(value: object) -> str:
    """A property value as the text ``--property`` takes (value_from_text reads it back)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, (tuple, list)):
        return " ".join(str(v) for v in value)
    return str(value)


def load_attribute(path: str, what: str) -> object:
    """Import ``"package.module:attribute"`` (the attribute may be dotted), through resapi's
    one import-path resolver, worded for a fault-simulation argument.

    Raises:
        InvalidParameterError: a malformed path, a module that does not import, or a missing
            attribute; the message names the path and the fix.
    """
    try:
        return resolve_import_path(path)
    except ImportPathError as exc:
        if exc.problem == "form":
            raise make_error(
                Win32Error.ERROR_INVALID_PARAMETER,
                f"bad {what} {path!r}: expected MODULE:ATTRIBUTE",
                fix="e.g. examples.echo_server:EchoServer",
            ) from None
        # The module's own error (whatever it raised while importing), or the missing name.
        reason = repr(exc.cause) if exc.problem == "module" else str(exc)
        raise make_error(
            Win32Error.ERROR_INVALID_PARAMETER,
            f"cannot load {what} {path!r}: {reason}",
            fix="run where the module is importable (the working directory, or PYTHONPATH)",
        ) from exc.cause


#: What ``types=`` takes: a sequence of types under test (or bare classes and paths), or the
#: ``"module:attribute"`` of one (a sequence, or a callable returning one).
TypesArg = Sequence["TypeUnderTest | type[resapi.Resource] | str"] | str


@attrs.frozen
class ResolvedTypes:
    """The types of one run: each with its class, and the replay arguments that name them."""

    types: tuple[TypeUnderTest, ...]
    classes: tuple[type[resapi.Resource], ...]
    replay_args: tuple[str, ...]
    #: Why the command line cannot name these types (then the replay says so), or None.
    not_replayable: str | None = None

    @classmethod
    def resolve(cls, types: TypesArg | None) -> ResolvedTypes:
        """Load and check the types.

        Raises:
            InvalidParameterError: a type that does not load, two types of one type_name, or
                a ``"module:attribute"`` that names no sequence of types.
        """
        if types is None:
            return cls((), (), ())
        if isinstance(types, str):
            loaded = load_attribute(types, "types")
            if callable(loaded) and not isinstance(loaded, type):
                loaded = loaded()
            if not isinstance(loaded, Sequence) or isinstance(loaded, str):
                raise make_error(
                    Win32Error.ERROR_INVALID_PARAMETER,
                    f"{types!r} is {loaded!r}, not a sequence of types",
                    fix="name a list of TypeUnderTest, or a function returning one",
                )
            resolved = cls.resolve(cast("Sequence[TypeUnderTest | str]", loaded))
            return attrs.evolve(resolved, replay_args=("--types-from", types), not_replayable=None)
        specs = tuple(t if isinstance(t, TypeUnderTest) else TypeUnderTest(t) for t in types)
        classes = tuple(spec.resolve() for spec in specs)
        names = [c.type_name for c in classes]
        for name in names:
            if names.count(name) > 1:
                raise make_error(
                    Win32Error.ERROR_INVALID_PARAMETER,
                    f"two types under test have the type_name {name!r}",
                    fix="give each type its own type_name, or list it once",
                )
        args: list[str] = []
        why: str | None = None
        for spec in specs:
            more, reason = spec.command_args()
            args += more
            why = why or reason
        return cls(specs, classes, tuple(args), why)

    def replay_suffix(self) -> str:
        """What the replay command adds to name the types (with a note if it cannot)."""
        text = "".join(f" {shlex.quote(a)}" for a in self.replay_args)
        if self.not_replayable is not None:
            text += (
                f"  # cannot replay as typed: {self.not_replayable}; pass types='module:attr' "
                "naming an importable list of them (--types-from)"
            )
        return text


# ================================================================ the instrumented subclass


def instrument(base: type[resapi.Resource], world: _World) -> type[resapi.Resource]:
    """A subclass of the user's ``base`` whose entry points record the timeline around the
    user's own, take the schedule's resource faults (health checks say False, Online raises,
    hangs or is slow) and check that IsAlive says False once Offline or Terminate returned."""

    def __init__(self: Any, context: resapi.ResourceContext) -> None:
        base.__init__(self, context)
        self._fault_serial = world.serial()

    async def online(self: Any) -> None:
        world.record(self, self._fault_serial, "online")
        await world.online_faults(self)
        try:
            await base.online(self)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                world.breaches.append(_address_in_use(world, self, exc))
            raise
        world.record(self, self._fault_serial, "online_done")

    async def offline(self: Any) -> None:
        world.record(self, self._fault_serial, "offline")
        await base.offline(self)
        await _check_stopped(world, base, self, "Offline")
        world.record(self, self._fault_serial, "offline_done")

    async def terminate(self: Any) -> None:
        # Recorded when called, as docs/testing.md defines I1's events: the runtime may start
        # the resource elsewhere while a failed instance's Terminate still runs (it reports
        # Failed first, then calls Terminate, as the Resource Monitor does).
        world.record(self, self._fault_serial, "terminate")
        await base.terminate(self)
        await _check_stopped(world, base, self, "Terminate")

    async def looks_alive(self: Any) -> bool:
        if world.knobs[self.name].unhealthy:
            return False
        return await base.looks_alive(self)

    async def is_alive(self: Any) -> bool:
        knobs = world.knobs[self.name]
        if knobs.unhealthy:
            knobs.unhealthy = False  # one failure per arming, as the simulated types
            return False
        return await base.is_alive(self)

    namespace: dict[str, object] = {
        "__slots__": ("_fault_serial",),
        "__module__": base.__module__,
        "__qualname__": f"{base.__qualname__}[under faults]",
        "type_name": base.type_name,
        "__init__": __init__,
        "online": online,
        "offline": offline,
        "terminate": terminate,
        "looks_alive": looks_alive,
        "is_alive": is_alive,
    }
    return cast("type[resapi.Resource]", type(base.__name__, (base,), namespace))


async def _check_stopped(world: _World, base: type[resapi.Resource], res: Any, entry: str) -> None:
    """The contract the conformance kit checks: once Offline or Terminate returned, IsAlive
    says False (whatever Online started is stopped, its port closed)."""
    world.contract_checks += 1
    answer: object = "no answer"
    with anyio.move_on_after(world.timings.pending_timeout_ms / 1000):
        try:
            answer = await base.is_alive(res)
        except Exception as exc:  # an IsAlive that raises after a stop says "not alive"
            answer = exc
    if answer is True or answer == "no answer":
        world.breaches.append(
            f"contract at t={world.now():.3f} (seed {world.seed}): after {entry} of "
            f"{res.name!r} (type {base.type_name!r}) returned on {res.node_name}, IsAlive "
            f"says {answer!r}, not False: {entry} must stop what Online started (listeners, "
            "workers, child processes)"
        )


def _address_in_use(world: _World, res: Any, exc: OSError) -> str:
    stops = [
        e
        for e in world.timeline
        if e.resource == res.name and e.event in ("offline_done", "terminate")
    ]
    earlier = (
        f"its instance on {stops[-1].node} stopped ({stops[-1].event}) at t={stops[-1].time:.3f}"
        if stops
        else "no earlier instance of it stopped"
    )
    return (
        f"contract at t={world.now():.3f} (seed {world.seed}): Online of {res.name!r} on "
        f"{res.node_name} failed with {exc!r}: the address is in use, and {earlier}; an Offline "
        "or Terminate that leaves the port open does this (or another process on this machine "
        "uses the port: pick property values nothing else uses)"
    )


# ================================================================ real I/O on virtual time


class _UserTypeLoop(_VirtualTimeEventLoop):
    """The virtual-time loop, resolving addresses inline instead of in a thread.

    asyncio resolves every address (even ``127.0.0.1``) in its default executor; the idle
    loop would jump virtual time while the thread runs, so when a listener starts would
    depend on thread timing and a seed's cluster log would not replay byte for byte. The
    user types' sockets are local: resolving them inline does not block.
    """

    async def getaddrinfo(
        self,
        host: bytes | str | None,
        port: bytes | str | int | None,
        *,
        family: int = 0,
        type: int = 0,  # noqa: A002 (asyncio's own parameter name)
        proto: int = 0,
        flags: int = 0,
    ) -> list[tuple[Any, ...]]:
        return socket.getaddrinfo(host, port, family, type, proto, flags)

    def _sock_accept(self, fut: asyncio.Future[Any], sock: socket.socket) -> None:
        # CPython 3.11's selector loop accepts a connection even when the accept was cancelled
        # in the same loop turn (the listener's task stopped), then cannot hand it over: the
        # socket leaks (ResourceWarning) and "invalid state" is logged. Leave the connection
        # in the backlog instead; closing the listener refuses it.
        if fut.done():
            return
        super()._sock_accept(fut, sock)  # type: ignore[misc]


def new_loop(clock: VirtualClock) -> Callable[[], asyncio.AbstractEventLoop]:
    """A ``loop_factory`` for runs with user types."""
    return lambda: _UserTypeLoop(clock)
