"""Bad names, checkpoint paths and string values are refused before anything changes.

Issue 13 finding 8: a NUL in a name made ``create_group``, ``rename``, ``create_resource``,
``create_resource_type(name=)`` and ``add_registry_checkpoint`` raise *after* they had changed
the reference runtime's object model, so the model and the cluster database disagreed; and a
checkpoint path the node-local registry refuses, added while the resource was offline, made
every later ``online()`` fail. Each case here takes the object model (everything the public
API enumerates) and the whole cluster database before and after the refused call, compares
them, and then brings the resource online.

Finding 9 (the shared part): string values an XML configuration cannot hold are refused by
the property tables of both backends; tab and newline round-trip exactly.

The low items of the same issue (``receive_within`` and ``key.notifications`` arguments) are
in tests/clusapi/test_notifications.py.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import pytest

import clusapi
import resapi
from clusapi import ControlCode as CC, Win32Error as W
from clusapi.testing import open_reference_cluster

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from clusapi.testing import ReferenceEnvironment

pytestmark = [pytest.mark.asyncio, pytest.mark.virtual_time]

NODES = ("N1", "N2")
KEY = "SOFTWARE\\Kept"


class Props(resapi.PropertyTable):
    banner: str = resapi.prop(default="hello")
    tags: tuple[str, ...] = resapi.prop(default=())


class Keeper(resapi.Resource):
    """Writes a value under :data:`KEY` of its node's registry when it comes online."""

    type_name = "Keeper"
    Properties = Props

    def __init__(self, context: resapi.ResourceContext) -> None:
        super().__init__(context)
        self.up = False

    async def online(self) -> None:
        self.local_registry.set(KEY, "Online", 1)
        self.up = True

    async def offline(self) -> None:
        self.up = False

    async def terminate(self) -> None:
        self.up = False

    async def looks_alive(self) -> bool:
        return self.up

    async def is_alive(self) -> bool:
        return self.up


class Spare(Keeper):
    """A valid class to register under a bad name."""

    type_name = "Spare"


@dataclasses.dataclass
class World:
    env: ReferenceEnvironment
    cluster: clusapi.Cluster
    group: clusapi.Group
    res: clusapi.Resource


async def build(env: ReferenceEnvironment) -> World:
    """Group ``g`` with the offline resource ``r`` (checkpointing :data:`KEY`), group ``h``."""
    cluster = env.cluster
    await cluster.create_resource_type(Keeper)
    group = await cluster.create_group("g")
    res = await group.create_resource("r", "Keeper")
    await res.add_registry_checkpoint(KEY)
    await res.set_private_properties(banner="kept", tags=["one"])
    await cluster.create_group("h")
    await env.settle()
    return World(env, cluster, group, res)


async def database(key: clusapi.ClusterKey, path: str = "") -> dict[str, Any]:
    """Every key of the cluster database below ``key`` with its typed values."""
    values = {name: await key.typed_value(name) for name in await key.values()}
    tree: dict[str, Any] = {path or "(root)": values}
    for name in await key.keys():
        tree.update(await database(await key.open_key(name), f"{path}\\{name}"))
    return tree


async def model(world: World) -> dict[str, Any]:
    """Everything the public API enumerates of the objects, and the events emitted."""
    cluster = world.cluster
    return {
        "groups": {g.name: [r.name for r in await g.resources()] for g in await cluster.groups()},
        "resources": {
            r.name: (
                await r.state_info(),
                await r.registry_checkpoints(),
                dict(await r.private_properties()),
            )
            for r in await cluster.resources()
        },
        "types": {t.name: await t.info() for t in await cluster.resource_types()},
        "events": world.env.events_emitted,
    }


async def state(world: World) -> tuple[dict[str, Any], dict[str, Any]]:
    return await model(world), await database(await world.cluster.root_key())


async def check_refused(
    world: World, call: Callable[[World], Awaitable[object]], *words: str
) -> clusapi.ClusterError:
    """``call`` raises ERROR_INVALID_PARAMETER naming ``words`` and saying what to do, and the
    object model and the whole database are as they were before it."""
    before = await state(world)
    with pytest.raises(clusapi.ClusterError) as info:
        await call(world)
    exc = info.value
    await world.env.settle()
    after = await state(world)
    # First what was changed (the finding), then how it was refused.
    assert after[0] == before[0], f"the object model changed ({exc})"
    assert after[1] == before[1], f"the cluster database changed ({exc})"
    assert isinstance(exc, clusapi.InvalidParameterError), f"{type(exc).__name__}: {exc}"
    assert exc.winerror == W.ERROR_INVALID_PARAMETER, str(exc)
    assert exc.fix, f"the message does not say what to do: {exc}"
    for word in words:
        assert word in str(exc), f"{word!r} not in {exc}"
    return exc


async def online_still_works(world: World) -> None:
    """The resource comes online, with its checkpoint restored and captured."""
    assert await world.res.online() is clusapi.ResourceState.ONLINE
    owner = (await world.res.state_info()).owner
    assert owner is not None
    assert world.env.node_registry(owner)[KEY]["Online"] == 1
    await world.res.offline()


# -- names (finding 8) ---------------------------------------------------------------------

BAD_NAMES = {
    "nul": "a\0b",
    "soh": "a\x01b",
    "newline": "a\nb",
    "tab": "a\tb",
    "del": "a\x7fb",
    "lone-surrogate": "a\ud800b",
    "256-chars": "n" * 256,
}

NAME_CALLS: dict[str, tuple[Callable[[World, str], Awaitable[object]], str]] = {
    "create_group": (lambda w, n: w.cluster.create_group(n), "group name"),
    "group.rename": (lambda w, n: w.group.rename(n), "group name"),
    "resource.rename": (lambda w, n: w.res.rename(n), "resource name"),
    "create_resource": (lambda w, n: w.group.create_resource(n, "Keeper"), "resource name"),
    "create_resource_type": (
        lambda w, n: w.cluster.create_resource_type(Spare, name=n),
        "resource type name",
    ),
}


@pytest.mark.parametrize("bad", list(BAD_NAMES.values()), ids=list(BAD_NAMES))
@pytest.mark.parametrize("call", list(NAME_CALLS), ids=list(NAME_CALLS))
async def test_a_bad_name_changes_neither_model_nor_database(call: str, bad: str) -> None:
    action, words = NAME_CALLS[call]
    async with open_reference_cluster(NODES) as env:
        world = await build(env)
        await check_refused(world, lambda w: action(w, bad), words)
        await online_still_works(world)


@pytest.mark.parametrize("call", list(NAME_CALLS), ids=list(NAME_CALLS))
async def test_the_longest_name_is_taken(call: str) -> None:
    action, _ = NAME_CALLS[call]
    async with open_reference_cluster(NODES) as env:
        world = await build(env)
        await action(world, "n" * 255)
        await online_still_works(world)


async def test_a_bad_display_name_changes_nothing() -> None:
    async with open_reference_cluster(NODES) as env:
        world = await build(env)
        await check_refused(
            world,
            lambda w: w.cluster.create_resource_type(Spare, display_name="a\x01b"),
            "display name",
            "'Spare'",
        )


# -- registry checkpoint paths (finding 8) -------------------------------------------------

BAD_PATHS = {
    "nul": "SOFTWARE\\a\0b",
    "doubled-backslash": "SOFTWARE\\\\App",
    "trailing-backslash": "SOFTWARE\\App\\",
    "leading-backslash": "\\SOFTWARE\\App",
    "256-char-key-name": "SOFTWARE\\" + "k" * 256,
    "empty": "",
    "not-a-str": 5,
}


def _by_control(path: object) -> Callable[[World], Awaitable[object]]:
    assert isinstance(path, str)
    data = path.encode("utf-16-le") + b"\0\0"
    return lambda w: w.res.control(CC.RESOURCE_ADD_REGISTRY_CHECKPOINT, data)


@pytest.mark.parametrize("path", list(BAD_PATHS.values()), ids=list(BAD_PATHS))
async def test_a_bad_checkpoint_path_is_refused_and_online_still_works(path: object) -> None:
    async with open_reference_cluster(NODES) as env:
        world = await build(env)
        await check_refused(
            world,
            lambda w: w.res.add_registry_checkpoint(path),  # type: ignore[arg-type]
            "registry checkpoint",
            "'r'",
        )
        await online_still_works(world)


@pytest.mark.parametrize(
    "path",
    [p for p in BAD_PATHS.values() if isinstance(p, str) and p and "\0" not in p],
    ids=[k for k, p in BAD_PATHS.items() if isinstance(p, str) and p and "\0" not in p],
)
async def test_a_bad_checkpoint_path_by_control_code_is_refused(path: str) -> None:
    async with open_reference_cluster(NODES) as env:
        world = await build(env)
        await check_refused(world, _by_control(path), "registry checkpoint", "'r'")
        await online_still_works(world)


async def test_a_bad_checkpoint_path_is_refused_while_online_too() -> None:
    async with open_reference_cluster(NODES) as env:
        world = await build(env)
        await world.res.online()
        await check_refused(world, lambda w: w.res.add_registry_checkpoint("SOFTWARE\\a\0b"), "'r'")
        await world.res.offline()
        await online_still_works(world)


async def test_a_long_valid_checkpoint_path_is_captured_and_restored() -> None:
    # Each key name fits (255), the whole path does not fit one key name: its captured data
    # must still have a key of its own in the database, or every online fails.
    long_path = "SOFTWARE\\" + "\\".join(c * 200 for c in "abc")
    async with open_reference_cluster(NODES) as env:
        world = await build(env)
        await world.res.add_registry_checkpoint(long_path)
        await world.res.add_registry_checkpoint(long_path + "\\d")
        await world.group.online("N1")
        await world.res.offline()
        await world.group.move("N2")
        await world.res.online()
        assert await world.res.state() is clusapi.ResourceState.ONLINE
        assert await world.res.registry_checkpoints() == [KEY, long_path, long_path + "\\d"]
        key = await (await world.res.key()).open_key("Checkpoints")
        assert len(await key.keys()) == 3  # one key each, no two sharing one
        await world.res.delete_registry_checkpoint(long_path)
        assert len(await key.keys()) == 2


# -- string values (finding 9, the shared part) --------------------------------------------

UNSTORABLE = {
    "soh": "a\x01secret-tail",
    "nul": "a\0b",
    "escape": "\x1b[31m",
    "form-feed": "a\x0cb",
    "lone-surrogate": "a\udc80b",
    "u+fffe": "a\ufffeb",
}


def _private(**changes: object) -> Callable[[World], Awaitable[object]]:
    return lambda w: w.res.set_private_properties(**changes)


STRING_CHANGES: dict[str, tuple[Callable[[str], Callable[[World], Awaitable[object]]], str]] = {
    "private-sz": (lambda v: _private(banner=v), "'Banner'"),
    "private-multi-sz": (lambda v: _private(tags=["ok", v]), "'Tags'"),
    "private-good-and-bad": (lambda v: _private(banner="new", tags=[v]), "'Tags'"),
    "resource-description": (
        lambda v: lambda w: w.res.set_common_properties(description=v),
        "resource 'r': property 'Description'",
    ),
    "group-description": (
        lambda v: lambda w: w.group.set_common_properties(description=v),
        "group 'g': property 'Description'",
    ),
}


@pytest.mark.parametrize("value", list(UNSTORABLE.values()), ids=list(UNSTORABLE))
@pytest.mark.parametrize("where", list(STRING_CHANGES))
async def test_an_unstorable_string_value_is_refused(where: str, value: str) -> None:
    change, words = STRING_CHANGES[where]
    async with open_reference_cluster(NODES) as env:
        world = await build(env)
        exc = await check_refused(world, change(value), words, "cannot store")
        assert isinstance(exc, clusapi.PropertyError)


async def test_tab_newline_and_carriage_return_round_trip_exactly() -> None:
    value = "line1\nline2\tx\r\nend"
    async with open_reference_cluster(NODES) as env:
        world = await build(env)
        await world.res.set_private_properties(banner=value, tags=[value, "b"])
        await world.res.set_common_properties(description=value)
        await world.group.set_common_properties(description=value)
        private = await world.res.private_properties()
        assert (private["Banner"], private["Tags"]) == (value, (value, "b"))
        assert (await world.res.common_properties()).description == value
        assert (await world.group.common_properties()).description == value
        params = await (await world.res.key()).open_key("Parameters")
        assert await params.value("Banner") == value


async def test_the_database_keeps_what_the_registry_can_hold() -> None:
    # The cluster database is a registry, as on Windows, where a REG_SZ holds any character
    # but NUL; Pacemaker has no cluster database, so no second backend cuts these short.
    async with open_reference_cluster(NODES) as env:
        root = await env.cluster.root_key()
        await root.set_value("Text", "a\x01b")
        await root.set_value("List", ["a\x1bb", "c"])
        assert await root.value("Text") == "a\x01b"
        assert await root.value("List") == ("a\x1bb", "c")
