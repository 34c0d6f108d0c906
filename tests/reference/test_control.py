"""Control codes on the reference runtime (``Cluster*Control``; research clusapi.md §2.9, §5,
§7.9-§7.10; resapi.md §5.9, §7).

Every code family on every object kind, checked byte for byte against a CLUSPROP encoder
written out here (so the runtime and ``clusapi._proplist`` cannot agree on a mistake): the
resource monitor's default processing, what reaches a resource's ``control()`` and a type's
``type_control()`` (and what never does), checkpoints, and the errors.
"""

from __future__ import annotations

import contextlib
import struct
from typing import TYPE_CHECKING, ClassVar, Literal

import anyio
import pytest

import clusapi
import resapi
from clusapi import (
    Characteristics,
    ClusterChange,
    ControlCode as CC,
    ResourceClass,
    ResourceFlags,
    Win32Error,
)
from clusapi.lowlevel import (
    ControlAccess,
    ControlFunction,
    ControlObject,
    PropertyList,
    compose_control_code,
    make_error,
    multi_sz_names,
    user_control_code,
)
from clusapi.testing import open_reference_cluster

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from clusapi.testing import ReferenceEnvironment

pytestmark = [pytest.mark.asyncio, pytest.mark.virtual_time]

W = Win32Error

# ---------------------------------------------------------------- an independent CLUSPROP encoder

NAME = 0x0004_0003
DWORD = 0x0001_0002
SZ = 0x0001_0003
MULTI_SZ = 0x0001_0005
LONG = 0x0001_0007
WORD = 0x0001_000B
EXPANDED_SZ = 0x0001_0008
ENDMARK = b"\0\0\0\0"


def sz(text: str) -> bytes:
    return text.encode("utf-16-le") + b"\0\0"


def multi(*names: str) -> bytes:
    return b"".join(sz(n) for n in names) + b"\0\0"


def dw(value: int) -> bytes:
    return struct.pack("<I", value)


def entry(syntax: int, data: bytes) -> bytes:
    return struct.pack("<II", syntax, len(data)) + data + b"\0" * (-len(data) % 4)


def plist(*props: tuple[str, int, bytes]) -> bytes:
    """A PROPERTY_LIST of one-value properties: ``(name, syntax, data)``."""
    out = struct.pack("<I", len(props))
    for name, syntax, data in props:
        out += entry(NAME, sz(name)) + entry(syntax, data) + ENDMARK
    return out


def fmts(*props: tuple[str, int]) -> bytes:
    """GET_*_PROPERTY_FMTS output: each format a LIST_VALUE_WORD ([MS-CMRP] 3.1.4.3.1.14)."""
    return plist(*((name, WORD, struct.pack("<H", fmt)) for name, fmt in props))


# ---------------------------------------------------------------- the resource types the tests use

#: Every control code a Widget instance received, in order.
seen: list[int] = []
ECHO = user_control_code(1, ControlObject.RESOURCE)
UNHANDLED_USER = user_control_code(2, ControlObject.RESOURCE)
#: A DLL-defined code with a DLL-defined object number.
OWN_OBJECT = user_control_code(3, ControlObject.USER)
TYPE_ECHO = user_control_code(1, ControlObject.RESOURCE_TYPE)


class WidgetProperties(resapi.PropertyTable):
    port: int = resapi.prop(default=7007, minimum=1, maximum=65535)
    banner: str = resapi.prop(default="hello")
    build: int = resapi.prop(default=42, read_only=True)


class Base(resapi.Resource):
    """Online, offline and the health checks, for every test type."""

    async def online(self) -> None:
        pass

    async def offline(self) -> None:
        pass

    async def terminate(self) -> None:
        pass

    async def looks_alive(self) -> bool:
        return True

    async def is_alive(self) -> bool:
        return True


class Widget(Base):
    type_name = "Widget"
    Properties = WidgetProperties
    characteristics = Characteristics.DELETE_REQUIRES_ALL_NODES
    flags = ResourceFlags(0x0001_0000)  # a DLL-defined flag in the high word
    resource_class = ResourceClass.NETWORK
    required_dependencies = ("IP Address", "Physical Disk")

    async def control(
        self, code: int, data: bytes
    ) -> bytes | Literal[resapi.NotHandled.NOT_HANDLED]:
        seen.append(code)
        if code in (ECHO, OWN_OBJECT):
            return data[::-1]
        return resapi.NOT_HANDLED


class Custom(Base):
    """Answers some codes itself, asks for default processing the DLL way for others."""

    type_name = "Custom"
    TYPE_CHARACTERISTICS: ClassVar[int] = 0x40

    async def control(
        self, code: int, data: bytes
    ) -> bytes | Literal[resapi.NotHandled.NOT_HANDLED]:
        if code == CC.RESOURCE_GET_CLASS_INFO:
            return struct.pack("<II", ResourceClass.STORAGE, 0x8000_0000)
        if code == CC.RESOURCE_GET_FLAGS:
            raise make_error(W.ERROR_INVALID_FUNCTION, "do it for me")
        if code == CC.RESOURCE_SET_PRIVATE_PROPERTIES:
            raise make_error(W.ERROR_RESOURCE_PROPERTIES_STORED, "stored for the next online")
        if code == CC.RESOURCE_GET_NAME:
            raise make_error(W.ERROR_INVALID_STATE, "not now")
        return resapi.NOT_HANDLED

    @classmethod
    async def type_control(
        cls, code: int, data: bytes
    ) -> bytes | Literal[resapi.NotHandled.NOT_HANDLED]:
        if code == CC.RESOURCE_TYPE_GET_CHARACTERISTICS:
            return dw(cls.TYPE_CHARACTERISTICS)
        if code == TYPE_ECHO:
            return b"type:" + data
        if code == CC.RESOURCE_TYPE_GET_FLAGS:
            raise ValueError("a bug in the DLL")
        return resapi.NOT_HANDLED


class Disk(Base):
    """Quorum-capable (arbitrate and release) and storage class."""

    type_name = "Disk"
    resource_class = ResourceClass.STORAGE

    async def arbitrate(self, lost: Callable[[], None]) -> None:
        pass

    async def release(self) -> None:
        pass


class Address(Base):
    """What a Widget requires a dependency on (with a Volume)."""

    type_name = "IP Address"


class Volume(Base):
    type_name = "Physical Disk"


@contextlib.asynccontextmanager
async def cluster_env() -> AsyncIterator[ReferenceEnvironment]:
    seen.clear()
    async with open_reference_cluster(nodes=("N1", "N2")) as env:
        for resource_type in (Widget, Custom, Disk, Address, Volume):
            await env.cluster.create_resource_type(resource_type)
        yield env


async def widget(
    env: ReferenceEnvironment, *, online: bool = False, depends: bool = False
) -> clusapi.Resource:
    """Resource "w" of group "G"; ``depends`` (implied by ``online``): with the dependencies
    its type requires, which an online needs (issue 16, item 8)."""
    group = await env.cluster.create_group("G")
    res = await group.create_resource("w", "Widget")
    if online or depends:
        for name, type_name in (("w-ip", "IP Address"), ("w-disk", "Physical Disk")):
            await res.add_dependency(await group.create_resource(name, type_name))
    if online:
        await res.online()
    return res


def drain(port: clusapi.NotifyPort) -> list[tuple[ClusterChange, str]]:
    events: list[tuple[ClusterChange, str]] = []
    while True:
        try:
            event = port.receive_nowait()
        except anyio.WouldBlock:
            return events
        events.append((event.change, event.name))


# ---------------------------------------------------------------- resources: identity and type info


async def test_resource_identity_codes_by_default() -> None:
    async with cluster_env() as env:
        res = await widget(env)
        assert (await res.control(CC.RESOURCE_GET_NAME)).data == sz("w")
        assert (await res.control(CC.RESOURCE_GET_ID)).data == sz(res.id)
        assert (await res.control(CC.RESOURCE_GET_RESOURCE_TYPE)).data == sz("Widget")
        chars = await res.control(CC.RESOURCE_GET_CHARACTERISTICS)
        assert chars == clusapi.ControlResult(dw(Characteristics.DELETE_REQUIRES_ALL_NODES))
        assert (await res.control(CC.RESOURCE_GET_FLAGS)).data == dw(0x0001_0000)
        info = await res.control(CC.RESOURCE_GET_CLASS_INFO)
        assert info.data == struct.pack("<II", ResourceClass.NETWORK, 0)
        deps = await res.control(CC.RESOURCE_GET_REQUIRED_DEPENDENCIES)
        assert (
            deps.data == entry(NAME, sz("IP Address")) + entry(NAME, sz("Physical Disk")) + ENDMARK
        )
        assert seen == []  # never opened: nothing to offer the codes to


async def test_the_same_answers_from_an_online_instance_that_leaves_them_to_the_monitor() -> None:
    async with cluster_env() as env:
        res = await widget(env, online=True)
        codes = [CC.RESOURCE_GET_NAME, CC.RESOURCE_GET_FLAGS, CC.RESOURCE_GET_CLASS_INFO]
        answers = [(await res.control(code)).data for code in codes]
        assert answers == [sz("w"), dw(0x0001_0000), struct.pack("<II", 2, 0)]
        assert codes == seen  # each was offered to the DLL first


async def test_quorum_capability_and_the_core_flag() -> None:
    async with cluster_env() as env:
        group = await env.cluster.create_group("core")
        disk = await group.create_resource("disk", "Disk")
        chars = await disk.control(CC.RESOURCE_GET_CHARACTERISTICS)
        assert chars.data == dw(Characteristics.QUORUM)  # arbitrate + release
        disk_type = await env.cluster.open_resource_type("Disk")
        assert (await disk_type.control(CC.RESOURCE_TYPE_GET_CHARACTERISTICS)).data == dw(1)
        assert (await disk.control(CC.RESOURCE_GET_FLAGS)).data == dw(0)
        assert (await group.control(CC.GROUP_GET_FLAGS)).data == dw(0)
        await env.cluster.set_quorum_resource(disk)
        assert (await disk.control(CC.RESOURCE_GET_FLAGS)).data == dw(ResourceFlags.CORE)
        assert (await group.control(CC.GROUP_GET_FLAGS)).data == dw(ResourceFlags.CORE)
        assert (await disk_type.control(CC.RESOURCE_TYPE_GET_FLAGS)).data == dw(0)


async def test_unknown_code_checks_that_a_dll_is_listening() -> None:
    async with cluster_env() as env:
        res = await widget(env, depends=True)
        with pytest.raises(clusapi.NotSupportedError) as info:
            await res.control(CC.RESOURCE_UNKNOWN)
        assert info.value.winerror == W.ERROR_INVALID_FUNCTION
        assert "no resource DLL" in str(info.value)
        await res.online()
        assert await res.control(CC.RESOURCE_UNKNOWN) == clusapi.ControlResult(b"")
        await res.offline()  # still opened: the instance is hosted
        assert await res.control(CC.RESOURCE_UNKNOWN) == clusapi.ControlResult(b"")
        rtype = await env.cluster.open_resource_type("Widget")
        group = await env.cluster.open_group("G")
        node = await env.cluster.open_node("N1")
        for obj, code in [
            (rtype, CC.RESOURCE_TYPE_UNKNOWN),
            (group, CC.GROUP_UNKNOWN),
            (node, CC.NODE_UNKNOWN),
        ]:
            assert (await obj.control(code)).data == b""
        assert (await env.cluster.control(CC.CLUSTER_UNKNOWN)).data == b""


# ---------------------------------------------------------------- resources: common properties


RESOURCE_COMMON_RW = (
    "Description",
    "SeparateMonitor",
    "PersistentState",
    "LooksAlivePollInterval",
    "IsAlivePollInterval",
    "RestartAction",
    "RestartThreshold",
    "RestartPeriod",
    "RetryPeriodOnFailure",
    "PendingTimeout",
    "DeadlockTimeout",
)


def resource_common(**changes: str | int) -> bytes:
    values: dict[str, str | int] = {
        "Description": "",
        "SeparateMonitor": 0,
        "PersistentState": 0,
        "LooksAlivePollInterval": 0xFFFF_FFFF,
        "IsAlivePollInterval": 0xFFFF_FFFF,
        "RestartAction": 2,
        "RestartThreshold": 3,
        "RestartPeriod": 900_000,
        "RetryPeriodOnFailure": 3_600_000,
        "PendingTimeout": 180_000,
        "DeadlockTimeout": 300_000,
    }
    values.update(changes)
    return plist(
        *(
            (name, SZ, sz(value)) if isinstance(value, str) else (name, DWORD, dw(value))
            for name, value in values.items()
        )
    )


async def test_resource_common_property_codes() -> None:
    async with cluster_env() as env:
        res = await widget(env)
        names = multi_sz_names((await res.control(CC.RESOURCE_ENUM_COMMON_PROPERTIES)).data)
        assert names == (
            "Name",
            "Type",
            *RESOURCE_COMMON_RW[:-1],
            "DeadlockTimeout",
            "RestartDelay",
        )
        ro = await res.control(CC.RESOURCE_GET_RO_COMMON_PROPERTIES)
        assert ro.data == plist(
            ("Name", SZ, sz("w")), ("Type", SZ, sz("Widget")), ("RestartDelay", DWORD, dw(500))
        )
        assert (await res.control(CC.RESOURCE_GET_COMMON_PROPERTIES)).data == resource_common()
        formats = await res.control(CC.RESOURCE_GET_COMMON_PROPERTY_FMTS)
        # Writable ones only ([MS-CMRP] 3.1.4.3.1.14); a bool is a DWORD.
        assert formats.data == fmts(
            *((name, 3 if name == "Description" else 2) for name in RESOURCE_COMMON_RW)
        )


async def test_resource_common_get_set_get_round_trip() -> None:
    async with cluster_env() as env:
        res = await widget(env)
        before = (await res.control(CC.RESOURCE_GET_COMMON_PROPERTIES)).data
        # What GET returned is a valid SET input: storing it changes nothing.
        assert await res.control(CC.RESOURCE_SET_COMMON_PROPERTIES, before) == (
            clusapi.ControlResult(b"")
        )
        assert (await res.control(CC.RESOURCE_GET_COMMON_PROPERTIES)).data == before
        change = plist(("Description", SZ, sz("front end")), ("RestartThreshold", DWORD, dw(5)))
        result = await res.control(CC.RESOURCE_SET_COMMON_PROPERTIES, change)
        assert result == clusapi.ControlResult(b"", properties_stored=False)
        after = (await res.control(CC.RESOURCE_GET_COMMON_PROPERTIES)).data
        assert after == resource_common(Description="front end", RestartThreshold=5)
        props = await res.common_properties()
        assert (props.description, props.restart_threshold) == ("front end", 5)


async def test_common_change_read_at_next_online_is_reported_stored() -> None:
    async with cluster_env() as env:
        res = await widget(env, online=True)
        result = await res.control(
            CC.RESOURCE_SET_COMMON_PROPERTIES, plist(("PendingTimeout", DWORD, dw(60_000)))
        )
        assert result.properties_stored  # ERROR_RESOURCE_PROPERTIES_STORED
        result = await res.control(
            CC.RESOURCE_SET_COMMON_PROPERTIES, plist(("Description", SZ, sz("now")))
        )
        assert not result.properties_stored


async def test_set_common_names_the_resource_and_changes_nothing_on_failure() -> None:
    async with cluster_env() as env:
        res = await widget(env)
        before = (await res.control(CC.RESOURCE_GET_COMMON_PROPERTIES)).data
        async with env.cluster.notifications(ClusterChange.RESOURCE_PROPERTY) as port:
            bad_inputs = [
                # one good change with one out of range: neither is stored
                plist(("Description", SZ, sz("x")), ("RestartAction", DWORD, dw(3))),
                plist(("RestartDelay", DWORD, dw(1))),  # a read-only row
                plist(("Name", SZ, sz("renamed"))),  # a read-only extra
                plist(("NoSuchProperty", DWORD, dw(1))),
                plist(("Description", DWORD, dw(1))),  # wrong type for the row
                plist(("Description", SZ, sz("a")), ("description", SZ, sz("b"))),
                plist(("RetryPeriodOnFailure", DWORD, dw(1000))),  # < RestartPeriod
            ]
            for data in bad_inputs:
                with pytest.raises(clusapi.PropertyError) as info:
                    await res.control(CC.RESOURCE_SET_COMMON_PROPERTIES, data)
                assert info.value.winerror == W.ERROR_INVALID_PARAMETER
                assert str(info.value).startswith("resource 'w': property ")
                with pytest.raises(clusapi.PropertyError):
                    await res.control(CC.RESOURCE_VALIDATE_COMMON_PROPERTIES, data)
            assert drain(port) == []
        assert (await res.control(CC.RESOURCE_GET_COMMON_PROPERTIES)).data == before


async def test_validate_common_checks_without_storing() -> None:
    async with cluster_env() as env:
        res = await widget(env)
        data = plist(("Description", SZ, sz("checked")))
        assert (await res.control(CC.RESOURCE_VALIDATE_COMMON_PROPERTIES, data)).data == b""
        assert (await res.common_properties()).description == ""


async def test_property_names_match_case_insensitively() -> None:
    async with cluster_env() as env:
        res = await widget(env)
        await res.control(CC.RESOURCE_SET_COMMON_PROPERTIES, plist(("DESCRIPTION", SZ, sz("x"))))
        assert (await res.common_properties()).description == "x"


# ---------------------------------------------------------------- resources: private properties


async def test_resource_private_property_codes() -> None:
    async with cluster_env() as env:
        res = await widget(env)
        names = (await res.control(CC.RESOURCE_ENUM_PRIVATE_PROPERTIES)).data
        assert names == multi("Port", "Banner", "Build")
        get = await res.control(CC.RESOURCE_GET_PRIVATE_PROPERTIES)
        assert get.data == plist(("Port", DWORD, dw(7007)), ("Banner", SZ, sz("hello")))
        ro = await res.control(CC.RESOURCE_GET_RO_PRIVATE_PROPERTIES)
        assert ro.data == plist(("Build", DWORD, dw(42)))
        formats = await res.control(CC.RESOURCE_GET_PRIVATE_PROPERTY_FMTS)
        assert formats.data == fmts(("Port", 2), ("Banner", 3), ("Build", 2))
        # The exact wire form of one format entry: WORD, cbLength 2, 2 bytes of padding.
        assert entry(WORD, b"\x02\x00") == bytes.fromhex("0b000100 02000000 02000000")


async def test_resource_private_get_set_get_round_trip() -> None:
    async with cluster_env() as env:
        res = await widget(env)
        async with env.cluster.notifications(ClusterChange.RESOURCE_PROPERTY) as port:
            change = plist(("Port", DWORD, dw(7100)))
            result = await res.control(CC.RESOURCE_SET_PRIVATE_PROPERTIES, change)
            assert result == clusapi.ControlResult(b"", properties_stored=False)  # offline
            assert drain(port) == [(ClusterChange.RESOURCE_PROPERTY, "w")]
        after = (await res.control(CC.RESOURCE_GET_PRIVATE_PROPERTIES)).data
        assert after == plist(("Port", DWORD, dw(7100)), ("Banner", SZ, sz("hello")))
        assert (await res.private_properties())["Port"] == 7100
        # GET's output is a valid SET input, and storing it again changes nothing.
        assert await res.control(CC.RESOURCE_SET_PRIVATE_PROPERTIES, after) == (
            clusapi.ControlResult(b"")
        )
        assert (await res.control(CC.RESOURCE_GET_PRIVATE_PROPERTIES)).data == after


async def test_set_private_of_an_online_resource_is_stored_for_the_next_online() -> None:
    async with cluster_env() as env:
        res = await widget(env, online=True)
        change = plist(("Banner", SZ, sz("hi")))
        result = await res.control(CC.RESOURCE_SET_PRIVATE_PROPERTIES, change)
        assert result == clusapi.ControlResult(b"", properties_stored=True)
        assert CC.RESOURCE_SET_PRIVATE_PROPERTIES in seen  # offered to the DLL first
        assert (await res.private_properties())["Banner"] == "hi"


async def test_failed_private_set_changes_nothing() -> None:
    async with cluster_env() as env:
        res = await widget(env)
        before = (await res.control(CC.RESOURCE_GET_PRIVATE_PROPERTIES)).data
        for data, code in [
            (plist(("Banner", SZ, sz("x")), ("Port", DWORD, dw(0))), W.ERROR_INVALID_PARAMETER),
            (plist(("Build", DWORD, dw(43))), W.ERROR_INVALID_PARAMETER),
            (plist(("Unknown", DWORD, dw(1))), W.ERROR_INVALID_PARAMETER),
            (
                struct.pack("<I", 1)
                + entry(NAME, sz("Port"))
                + entry(DWORD, dw(1))
                + entry(DWORD, dw(2))
                + ENDMARK,
                W.ERROR_INVALID_PARAMETER,
            ),
        ]:
            for verb in (
                CC.RESOURCE_SET_PRIVATE_PROPERTIES,
                CC.RESOURCE_VALIDATE_PRIVATE_PROPERTIES,
            ):
                with pytest.raises(clusapi.PropertyError) as info:
                    await res.control(verb, data)
                assert info.value.winerror == code
                assert "resource 'w'" in str(info.value)
        assert (await res.control(CC.RESOURCE_GET_PRIVATE_PROPERTIES)).data == before
        data = plist(("Port", DWORD, dw(8000)))
        assert (await res.control(CC.RESOURCE_VALIDATE_PRIVATE_PROPERTIES, data)).data == b""
        assert (await res.control(CC.RESOURCE_GET_PRIVATE_PROPERTIES)).data == before


async def test_unknown_private_properties_are_listed_but_not_settable() -> None:
    async with cluster_env() as env:
        res = await widget(env)
        params = await (await res.key()).create_key("Parameters")
        await params.set_value("Extra", "written through the registry")
        names = await res.control(CC.RESOURCE_ENUM_PRIVATE_PROPERTIES)
        assert names.data == multi("Port", "Banner", "Build", "Extra")
        get = await res.control(CC.RESOURCE_GET_PRIVATE_PROPERTIES)
        assert get.data == plist(
            ("Port", DWORD, dw(7007)),
            ("Banner", SZ, sz("hello")),
            ("Extra", SZ, sz("written through the registry")),
        )
        # As set_private_properties(): the table decides what may be set.
        with pytest.raises(clusapi.PropertyError):
            await res.control(CC.RESOURCE_SET_PRIVATE_PROPERTIES, plist(("Extra", SZ, sz("x"))))


async def test_malformed_input_lists() -> None:
    async with cluster_env() as env:
        res = await widget(env)
        good = plist(("Port", DWORD, dw(7100)))
        cases = [
            (b"", W.ERROR_INVALID_DATA),  # no list at all
            (good[:-6], W.ERROR_INSUFFICIENT_BUFFER),  # cut short
            (struct.pack("<I", 2) + good[4:], W.ERROR_INSUFFICIENT_BUFFER),  # count too high
            (good[:-4], W.ERROR_INVALID_DATA),  # ENDMARK missing
            (good + b"\0\0\0\0", W.ERROR_INVALID_DATA),  # trailing bytes
            (struct.pack("<I", 1) + entry(DWORD, dw(1)) + ENDMARK, W.ERROR_INVALID_DATA),
            # clients must not send EXPANDED_SZ
            (plist(("Banner", EXPANDED_SZ, sz("x"))), W.ERROR_INVALID_PARAMETER),
        ]
        for data, code in cases:
            for verb in (
                CC.RESOURCE_SET_PRIVATE_PROPERTIES,
                CC.RESOURCE_SET_COMMON_PROPERTIES,
                CC.RESOURCE_VALIDATE_PRIVATE_PROPERTIES,
            ):
                with pytest.raises(clusapi.InvalidParameterError) as info:
                    await res.control(verb, data)
                assert info.value.winerror == code, (data, verb)
                assert str(info.value).startswith("resource 'w': ")
        assert (await res.private_properties())["Port"] == 7007


# ---------------------------------------------------------------- resources: what reaches the DLL


async def test_user_code_reaches_the_resource_and_its_bytes_come_back() -> None:
    async with cluster_env() as env:
        res = await widget(env, online=True)
        assert (await res.control(ECHO, b"\x01\x02\x03")).data == b"\x03\x02\x01"
        assert (await res.control(OWN_OBJECT, b"ab")).data == b"ba"
        assert seen == [ECHO, OWN_OBJECT]
        with pytest.raises(clusapi.NotSupportedError) as info:
            await res.control(UNHANDLED_USER)
        assert info.value.winerror == W.ERROR_INVALID_FUNCTION
        assert seen[-1] == UNHANDLED_USER


async def test_user_code_without_an_instance_says_the_resource_is_not_online() -> None:
    async with cluster_env() as env:
        res = await widget(env)
        with pytest.raises(clusapi.InvalidStateError) as info:
            await res.control(ECHO)
        assert info.value.winerror == W.ERROR_RESOURCE_NOT_ONLINE
        assert "no running instance" in str(info.value)
        assert seen == []


async def test_codes_the_resource_answers_override_the_defaults() -> None:
    async with cluster_env() as env:
        group = await env.cluster.create_group("G")
        res = await group.create_resource("c", "Custom")
        # Offline and never opened: the monitor answers.
        assert (await res.control(CC.RESOURCE_GET_CLASS_INFO)).data == struct.pack("<II", 0, 0)
        await res.online()
        info = await res.control(CC.RESOURCE_GET_CLASS_INFO)
        assert info.data == struct.pack("<II", ResourceClass.STORAGE, 0x8000_0000)
        # ERROR_INVALID_FUNCTION from the DLL: default processing.
        assert (await res.control(CC.RESOURCE_GET_FLAGS)).data == dw(0)
        # ERROR_RESOURCE_PROPERTIES_STORED from the DLL: stored, for the next online.
        stored = await res.control(CC.RESOURCE_SET_PRIVATE_PROPERTIES, plist())
        assert stored == clusapi.ControlResult(b"", properties_stored=True)
        # Any other error from the DLL is the answer.
        with pytest.raises(clusapi.InvalidStateError):
            await res.control(CC.RESOURCE_GET_NAME)


async def test_codes_the_type_answers_override_the_defaults() -> None:
    async with cluster_env() as env:
        rtype = await env.cluster.open_resource_type("Custom")
        chars = await rtype.control(CC.RESOURCE_TYPE_GET_CHARACTERISTICS)
        assert chars.data == dw(Custom.TYPE_CHARACTERISTICS)
        assert (await rtype.control(TYPE_ECHO, b"x")).data == b"type:x"
        # An exception that is not a ClusterError: logged, then default processing (as a
        # DLL's ERROR_INVALID_FUNCTION).
        assert (await rtype.control(CC.RESOURCE_TYPE_GET_FLAGS)).data == dw(0)
        assert any("a bug in the DLL" in e.message for e in env.log)
        with pytest.raises(clusapi.NotSupportedError):
            await rtype.control(user_control_code(9, ControlObject.RESOURCE_TYPE))


# ---------------------------------------------------------------- resources: checkpoints


async def test_checkpoints_through_control_codes_never_reach_the_resource() -> None:
    async with cluster_env() as env:
        res = await widget(env, online=True)
        empty = await res.control(CC.RESOURCE_GET_REGISTRY_CHECKPOINTS)
        assert multi_sz_names(empty.data) == ()
        await res.control(CC.RESOURCE_ADD_REGISTRY_CHECKPOINT, sz("SOFTWARE\\Widget"))
        await res.control(CC.RESOURCE_ADD_REGISTRY_CHECKPOINT, sz("SOFTWARE\\Other"))
        listed = await res.control(CC.RESOURCE_GET_REGISTRY_CHECKPOINTS)
        assert listed.data == multi("SOFTWARE\\Widget", "SOFTWARE\\Other")
        assert await res.registry_checkpoints() == ["SOFTWARE\\Widget", "SOFTWARE\\Other"]
        with pytest.raises(clusapi.ObjectExistsError) as exists:
            await res.control(CC.RESOURCE_ADD_REGISTRY_CHECKPOINT, sz("software\\widget"))
        assert exists.value.winerror == W.ERROR_ALREADY_EXISTS
        await res.control(CC.RESOURCE_DELETE_REGISTRY_CHECKPOINT, sz("SOFTWARE\\Widget"))
        with pytest.raises(clusapi.RegistryEntryNotFoundError) as missing:
            await res.control(CC.RESOURCE_DELETE_REGISTRY_CHECKPOINT, sz("SOFTWARE\\Widget"))
        assert missing.value.winerror == W.ERROR_FILE_NOT_FOUND
        assert (await res.control(CC.RESOURCE_GET_REGISTRY_CHECKPOINTS)).data == multi(
            "SOFTWARE\\Other"
        )
        for data in (b"", b"S\x00", b"\x00", sz("a") + b"b\x00\x00\x00"):
            with pytest.raises(clusapi.InvalidParameterError) as bad:
                await res.control(CC.RESOURCE_ADD_REGISTRY_CHECKPOINT, data)
            assert bad.value.winerror == W.ERROR_INVALID_DATA
        with pytest.raises(clusapi.InvalidParameterError) as leading:
            await res.control(CC.RESOURCE_ADD_REGISTRY_CHECKPOINT, sz("\\SOFTWARE"))
        assert leading.value.winerror == W.ERROR_INVALID_PARAMETER
        with pytest.raises(clusapi.NotSupportedError):
            await res.control(CC.RESOURCE_GET_CRYPTO_CHECKPOINTS)
        assert seen == []  # none of them was passed to the DLL


# ---------------------------------------------------------------- codes that are refused


async def test_a_code_for_another_object_kind_is_invalid_function() -> None:
    async with cluster_env() as env:
        res = await widget(env, online=True)
        group = await env.cluster.open_group("G")
        node = await env.cluster.open_node("N1")
        rtype = await env.cluster.open_resource_type("Widget")
        cases: list[
            tuple[clusapi.Resource | clusapi.Group | clusapi.Node | clusapi.ResourceType, int]
        ]
        cases = [
            (res, CC.GROUP_GET_NAME),
            (res, CC.RESOURCE_TYPE_GET_FLAGS),
            (res, user_control_code(1, ControlObject.GROUP)),
            (res, 0x0000_0029),  # CLCTL_GET_NAME without an object byte
            (group, CC.RESOURCE_GET_NAME),
            (group, user_control_code(1, ControlObject.USER)),  # no DLL behind a group
            (node, CC.GROUP_GET_NAME),
            (rtype, CC.RESOURCE_GET_FLAGS),
        ]
        for obj, code in cases:
            with pytest.raises(clusapi.NotSupportedError) as info:
                await obj.control(code)
            assert info.value.winerror == W.ERROR_INVALID_FUNCTION, hex(code)
        with pytest.raises(clusapi.NotSupportedError):
            await env.cluster.control(CC.RESOURCE_GET_NAME)
        assert seen == []  # a mismatched code never reaches the DLL


async def test_internal_codes_are_refused_from_clients() -> None:
    async with cluster_env() as env:
        res = await widget(env, online=True)
        for code in (CC.RESOURCE_DELETE, CC.RESOURCE_ADD_OWNER, CC.RESOURCE_STATE_CHANGE_REASON):
            with pytest.raises(clusapi.NotSupportedError) as info:
                await res.control(code)
            assert info.value.winerror == W.ERROR_INVALID_FUNCTION
            assert "internal" in str(info.value)
        rtype = await env.cluster.open_resource_type("Widget")
        with pytest.raises(clusapi.NotSupportedError):
            await rtype.control(CC.RESOURCE_TYPE_STARTING_PHASE2)
        assert seen == []


async def test_unhandled_and_miscomposed_codes_are_invalid_function() -> None:
    async with cluster_env() as env:
        res = await widget(env, online=True)
        write_get = compose_control_code(
            ControlObject.RESOURCE, ControlFunction.GET_COMMON_PROPERTIES, ControlAccess.WRITE
        )
        for code in (CC.RESOURCE_GET_NETWORK_NAME, CC.RESOURCE_QUERY_DELETE, write_get):
            with pytest.raises(clusapi.NotSupportedError) as info:
                await res.control(code)
            assert info.value.winerror == W.ERROR_INVALID_FUNCTION
        assert seen == [CC.RESOURCE_GET_NETWORK_NAME, CC.RESOURCE_QUERY_DELETE, write_get]
        group = await env.cluster.open_group("G")
        with pytest.raises(clusapi.NotSupportedError):
            await group.control(CC.GROUP_QUERY_DELETE)


async def test_host_node_argument() -> None:
    async with cluster_env() as env:
        res = await widget(env, online=True)
        owner = (await res.state_info()).owner
        assert owner is not None
        assert (await res.control(ECHO, b"12", node=owner)).data == b"21"
        other = "N2" if owner == "N1" else "N1"
        # No instance there: default processing still answers, user codes find no DLL.
        assert (await res.control(CC.RESOURCE_GET_NAME, node=other)).data == sz("w")
        with pytest.raises(clusapi.InvalidStateError) as info:
            await res.control(ECHO, node=other)
        assert info.value.winerror == W.ERROR_RESOURCE_NOT_ONLINE
        with pytest.raises(clusapi.NodeNotFoundError):
            await res.control(CC.RESOURCE_GET_NAME, node="N9")


async def test_a_down_host_node_cannot_run_the_code() -> None:
    async with cluster_env() as env:
        group = await env.cluster.create_group("G")
        env.crash_node("N2")
        with pytest.raises(clusapi.HostNodeError) as info:
            await group.control(CC.GROUP_GET_NAME, node="N2")
        assert info.value.winerror == W.ERROR_HOST_NODE_NOT_AVAILABLE
        assert (await group.control(CC.GROUP_GET_NAME, node="N1")).data == sz("G")


# ---------------------------------------------------------------- resource types


async def test_resource_type_codes() -> None:
    async with cluster_env() as env:
        rtype = await env.cluster.open_resource_type("Widget")
        assert (await rtype.control(CC.RESOURCE_TYPE_GET_CHARACTERISTICS)).data == dw(2)
        assert (await rtype.control(CC.RESOURCE_TYPE_GET_FLAGS)).data == dw(0x0001_0000)
        info = await rtype.control(CC.RESOURCE_TYPE_GET_CLASS_INFO)
        assert info.data == struct.pack("<II", ResourceClass.NETWORK, 0)
        deps = await rtype.control(CC.RESOURCE_TYPE_GET_REQUIRED_DEPENDENCIES)
        assert (
            deps.data == entry(NAME, sz("IP Address")) + entry(NAME, sz("Physical Disk")) + ENDMARK
        )
        checkpoints = await rtype.control(CC.RESOURCE_TYPE_GET_REGISTRY_CHECKPOINTS)
        assert multi_sz_names(checkpoints.data) == ()
        names = await rtype.control(CC.RESOURCE_TYPE_ENUM_COMMON_PROPERTIES)
        assert multi_sz_names(names.data) == (
            "Name",
            "DllName",
            "Description",
            "LooksAlivePollInterval",
            "IsAlivePollInterval",
            "PendingTimeout",
            "DeadlockTimeout",
        )
        ro = await rtype.control(CC.RESOURCE_TYPE_GET_RO_COMMON_PROPERTIES)
        assert ro.data == plist(
            ("Name", SZ, sz("Widget")), ("DllName", SZ, sz("tests.reference.test_control:Widget"))
        )
        formats = await rtype.control(CC.RESOURCE_TYPE_GET_COMMON_PROPERTY_FMTS)
        assert formats.data == fmts(
            ("Description", 3),
            ("LooksAlivePollInterval", 2),
            ("IsAlivePollInterval", 2),
            ("PendingTimeout", 2),
            ("DeadlockTimeout", 2),
        )
        resource_fmts = await rtype.control(CC.RESOURCE_TYPE_GET_COMMON_RESOURCE_PROPERTY_FMTS)
        assert PropertyList.from_bytes(resource_fmts.data).names() == RESOURCE_COMMON_RW
        private_fmts = fmts(("Port", 2), ("Banner", 3), ("Build", 2))
        assert (
            await rtype.control(CC.RESOURCE_TYPE_GET_PRIVATE_PROPERTY_FMTS)
        ).data == private_fmts
        assert (
            await rtype.control(CC.RESOURCE_TYPE_GET_PRIVATE_RESOURCE_PROPERTY_FMTS)
        ).data == private_fmts


async def test_resource_type_common_round_trip() -> None:
    async with cluster_env() as env:
        rtype = await env.cluster.open_resource_type("Widget")
        expected = plist(
            ("Description", SZ, sz("")),
            ("LooksAlivePollInterval", DWORD, dw(5000)),
            ("IsAlivePollInterval", DWORD, dw(60000)),
            ("PendingTimeout", DWORD, dw(180_000)),
            ("DeadlockTimeout", DWORD, dw(300_000)),
        )
        assert (await rtype.control(CC.RESOURCE_TYPE_GET_COMMON_PROPERTIES)).data == expected
        async with env.cluster.notifications(ClusterChange.RESOURCE_TYPE_PROPERTY) as port:
            change = plist(("LooksAlivePollInterval", DWORD, dw(2000)))
            await rtype.control(CC.RESOURCE_TYPE_SET_COMMON_PROPERTIES, change)
            assert drain(port) == [(ClusterChange.RESOURCE_TYPE_PROPERTY, "Widget")]
            with pytest.raises(clusapi.PropertyError) as info:
                await rtype.control(
                    CC.RESOURCE_TYPE_SET_COMMON_PROPERTIES,
                    plist(("Description", SZ, sz("x")), ("DeadlockTimeout", DWORD, dw(1))),
                )
            assert str(info.value).startswith("resource type 'Widget': property 'DeadlockTimeout'")
            assert drain(port) == []
        got = (await rtype.control(CC.RESOURCE_TYPE_GET_COMMON_PROPERTIES)).data
        assert got == expected.replace(dw(5000), dw(2000))
        assert (await rtype.info()).looks_alive_poll_interval == 2000
        bad = plist(("IsAlivePollInterval", DWORD, dw(0)))
        with pytest.raises(clusapi.PropertyError):
            await rtype.control(CC.RESOURCE_TYPE_VALIDATE_COMMON_PROPERTIES, bad)


async def test_resource_type_private_round_trip() -> None:
    async with cluster_env() as env:
        rtype = await env.cluster.open_resource_type("Widget")
        names = await rtype.control(CC.RESOURCE_TYPE_ENUM_PRIVATE_PROPERTIES)
        assert names.data == multi("Port", "Banner", "Build")
        defaults = plist(("Port", DWORD, dw(7007)), ("Banner", SZ, sz("hello")))
        assert (await rtype.control(CC.RESOURCE_TYPE_GET_PRIVATE_PROPERTIES)).data == defaults
        ro = await rtype.control(CC.RESOURCE_TYPE_GET_RO_PRIVATE_PROPERTIES)
        assert ro.data == plist(("Build", DWORD, dw(42)))
        async with env.cluster.notifications(ClusterChange.RESOURCE_TYPE_PROPERTY) as port:
            change = plist(("Port", DWORD, dw(9000)))
            assert (
                await rtype.control(CC.RESOURCE_TYPE_VALIDATE_PRIVATE_PROPERTIES, change)
            ).data == b""
            result = await rtype.control(CC.RESOURCE_TYPE_SET_PRIVATE_PROPERTIES, change)
            assert result == clusapi.ControlResult(b"")
            assert drain(port) == [(ClusterChange.RESOURCE_TYPE_PROPERTY, "Widget")]
            with pytest.raises(clusapi.PropertyError):
                await rtype.control(
                    CC.RESOURCE_TYPE_SET_PRIVATE_PROPERTIES, plist(("Port", DWORD, dw(70_000)))
                )
            assert drain(port) == []
        got = (await rtype.control(CC.RESOURCE_TYPE_GET_PRIVATE_PROPERTIES)).data
        assert got == defaults.replace(dw(7007), dw(9000))
        # Stored in the type's key of the cluster database.
        database = env.node_database("N1")
        assert database["ResourceTypes\\Widget\\Parameters"] == {"Port": 9000}


# ---------------------------------------------------------------- groups, nodes, the cluster


GROUP_COMMON = (
    ("Description", SZ),
    ("PersistentState", DWORD),
    ("FailoverThreshold", DWORD),
    ("FailoverPeriod", DWORD),
    ("AutoFailbackType", DWORD),
    ("FailbackWindowStart", LONG),
    ("FailbackWindowEnd", LONG),
)


async def test_group_codes() -> None:
    async with cluster_env() as env:
        group = await env.cluster.create_group("G")
        assert (await group.control(CC.GROUP_GET_NAME)).data == sz("G")
        assert (await group.control(CC.GROUP_GET_ID)).data == sz(group.id)
        assert (await group.control(CC.GROUP_GET_CHARACTERISTICS)).data == dw(0)
        assert (await group.control(CC.GROUP_GET_FLAGS)).data == dw(0)
        names = await group.control(CC.GROUP_ENUM_COMMON_PROPERTIES)
        assert multi_sz_names(names.data) == ("Name", *(n for n, _ in GROUP_COMMON))
        ro = await group.control(CC.GROUP_GET_RO_COMMON_PROPERTIES)
        assert ro.data == plist(("Name", SZ, sz("G")))
        formats = await group.control(CC.GROUP_GET_COMMON_PROPERTY_FMTS)
        assert formats.data == fmts(*((n, syntax & 0xFFFF) for n, syntax in GROUP_COMMON))
        get = (await group.control(CC.GROUP_GET_COMMON_PROPERTIES)).data
        signed_minus_one = struct.pack("<i", -1)
        assert get == plist(
            ("Description", SZ, sz("")),
            ("PersistentState", DWORD, dw(0)),
            ("FailoverThreshold", DWORD, dw(0xFFFF_FFFF)),
            ("FailoverPeriod", DWORD, dw(6)),
            ("AutoFailbackType", DWORD, dw(0)),
            ("FailbackWindowStart", LONG, signed_minus_one),
            ("FailbackWindowEnd", LONG, signed_minus_one),
        )
        async with env.cluster.notifications(ClusterChange.GROUP_PROPERTY) as port:
            change = plist(("FailoverPeriod", DWORD, dw(2)), ("FailbackWindowStart", LONG, dw(3)))
            assert (await group.control(CC.GROUP_VALIDATE_COMMON_PROPERTIES, change)).data == b""
            assert (await group.common_properties()).failover_period == 6
            result = await group.control(CC.GROUP_SET_COMMON_PROPERTIES, change)
            assert result == clusapi.ControlResult(b"")
            assert drain(port) == [(ClusterChange.GROUP_PROPERTY, "G")]
            with pytest.raises(clusapi.PropertyError) as info:
                await group.control(
                    CC.GROUP_SET_COMMON_PROPERTIES, plist(("FailoverPeriod", DWORD, dw(1194)))
                )
            assert str(info.value).startswith("group 'G': property 'FailoverPeriod'")
            assert drain(port) == []
        after = (await group.control(CC.GROUP_GET_COMMON_PROPERTIES)).data
        assert after == get.replace(entry(DWORD, dw(6)), entry(DWORD, dw(2))).replace(
            entry(NAME, sz("FailbackWindowStart")) + entry(LONG, signed_minus_one),
            entry(NAME, sz("FailbackWindowStart")) + entry(LONG, dw(3)),
        )
        props = await group.common_properties()
        assert (props.failover_period, props.failback_window_start) == (2, 3)


@pytest.mark.parametrize("kind", ["group", "node", "cluster"])
async def test_objects_without_private_properties(kind: str) -> None:
    async with cluster_env() as env:
        prefix = {"group": "GROUP", "node": "NODE", "cluster": "CLUSTER"}[kind]
        obj: clusapi.Group | clusapi.Node | clusapi.Cluster
        if kind == "group":
            obj = await env.cluster.create_group("G")
        elif kind == "node":
            obj = await env.cluster.open_node("N1")
        else:
            obj = env.cluster
        assert (await obj.control(CC[f"{prefix}_ENUM_PRIVATE_PROPERTIES"])).data == multi()
        empty_list = struct.pack("<I", 0)
        for name in (
            "GET_PRIVATE_PROPERTIES",
            "GET_RO_PRIVATE_PROPERTIES",
            "GET_PRIVATE_PROPERTY_FMTS",
        ):
            assert (await obj.control(CC[f"{prefix}_{name}"])).data == empty_list
        assert (await obj.control(CC[f"{prefix}_SET_PRIVATE_PROPERTIES"], empty_list)).data == b""
        for name in ("SET_PRIVATE_PROPERTIES", "VALIDATE_PRIVATE_PROPERTIES"):
            with pytest.raises(clusapi.PropertyError) as info:
                await obj.control(CC[f"{prefix}_{name}"], plist(("X", DWORD, dw(1))))
            assert info.value.winerror == W.ERROR_INVALID_PARAMETER


async def test_node_codes() -> None:
    async with cluster_env() as env:
        node = await env.cluster.open_node("N2")
        assert (await node.control(CC.NODE_GET_NAME)).data == sz("N2")
        assert (await node.control(CC.NODE_GET_ID)).data == sz(node.id)
        assert (await node.control(CC.NODE_GET_CHARACTERISTICS)).data == dw(0)
        assert (await node.control(CC.NODE_GET_FLAGS)).data == dw(0)
        names = await node.control(CC.NODE_ENUM_COMMON_PROPERTIES)
        assert names.data == multi("NodeName", "Description")
        ro = await node.control(CC.NODE_GET_RO_COMMON_PROPERTIES)
        assert ro.data == plist(("NodeName", SZ, sz("N2")))
        assert (await node.control(CC.NODE_GET_COMMON_PROPERTY_FMTS)).data == fmts(
            ("Description", 3)
        )
        before = (await node.control(CC.NODE_GET_COMMON_PROPERTIES)).data
        assert before == plist(("Description", SZ, sz("")))
        async with env.cluster.notifications(ClusterChange.NODE_PROPERTY) as port:
            change = plist(("Description", SZ, sz("rack 4")))
            assert (await node.control(CC.NODE_VALIDATE_COMMON_PROPERTIES, change)).data == b""
            assert (await node.control(CC.NODE_GET_COMMON_PROPERTIES)).data == before
            await node.control(CC.NODE_SET_COMMON_PROPERTIES, change)
            assert drain(port) == [(ClusterChange.NODE_PROPERTY, "N2")]
            for bad in (plist(("Description", DWORD, dw(1))), plist(("NodeName", SZ, sz("x")))):
                with pytest.raises(clusapi.PropertyError) as info:
                    await node.control(CC.NODE_SET_COMMON_PROPERTIES, bad)
                assert str(info.value).startswith("node 'N2': property ")
            assert drain(port) == []
        assert (await node.control(CC.NODE_GET_COMMON_PROPERTIES)).data == change
        other = await env.cluster.open_node("N1")
        assert (await other.control(CC.NODE_GET_COMMON_PROPERTIES)).data == before


async def test_cluster_codes() -> None:
    async with cluster_env() as env:
        cluster = env.cluster
        name = (await cluster.information()).name
        get_name = compose_control_code(
            ControlObject.CLUSTER, ControlFunction.GET_NAME, ControlAccess.READ
        )
        assert (await cluster.control(get_name)).data == sz(name)
        get_id = compose_control_code(
            ControlObject.CLUSTER, ControlFunction.GET_ID, ControlAccess.READ
        )
        with pytest.raises(clusapi.NotSupportedError):
            await cluster.control(get_id)  # the cluster has no id here
        for function in (ControlFunction.GET_CHARACTERISTICS, ControlFunction.GET_FLAGS):
            code = compose_control_code(ControlObject.CLUSTER, function, ControlAccess.READ)
            assert (await cluster.control(code)).data == dw(0)
        names = await cluster.control(CC.CLUSTER_ENUM_COMMON_PROPERTIES)
        assert names.data == multi("Name", "Description")
        ro = await cluster.control(CC.CLUSTER_GET_RO_COMMON_PROPERTIES)
        assert ro.data == plist(("Name", SZ, sz(name)))
        assert (await cluster.control(CC.CLUSTER_GET_COMMON_PROPERTY_FMTS)).data == fmts(
            ("Description", 3)
        )
        async with cluster.notifications(ClusterChange.CLUSTER_PROPERTY) as port:
            change = plist(("Description", SZ, sz("lab")))
            assert (
                await cluster.control(CC.CLUSTER_VALIDATE_COMMON_PROPERTIES, change)
            ).data == b""
            await cluster.control(CC.CLUSTER_SET_COMMON_PROPERTIES, change)
            assert drain(port) == [(ClusterChange.CLUSTER_PROPERTY, name)]
            with pytest.raises(clusapi.PropertyError) as info:
                await cluster.control(
                    CC.CLUSTER_SET_COMMON_PROPERTIES, plist(("Name", SZ, sz("other")))
                )
            assert str(info.value).startswith(f"cluster {name!r}: property 'Name'")
            assert drain(port) == []
        assert (await cluster.control(CC.CLUSTER_GET_COMMON_PROPERTIES)).data == change
        with pytest.raises(clusapi.InvalidParameterError) as malformed:
            await cluster.control(CC.CLUSTER_SET_COMMON_PROPERTIES, b"\x01\x00")
        assert malformed.value.winerror == W.ERROR_INSUFFICIENT_BUFFER


async def test_deleted_object_is_reported_before_the_code() -> None:
    async with cluster_env() as env:
        res = await widget(env)
        await res.delete()
        with pytest.raises(clusapi.ObjectUnavailableError):
            await res.control(CC.GROUP_GET_NAME)
