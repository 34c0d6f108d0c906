"""The reference runtime's Resource Monitor routes a private-property change through the
type's ``control()`` (issue 16, point 1): VALIDATE then SET, with the change as a property
list, before anything is stored, also while the resource is offline, through the API and
through the control codes alike. The contract part (both backends) is
tests/contract/test_validation.py."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, ClassVar, Literal

import pytest

import clusapi
import resapi
from clusapi import ControlCode as CC, Win32Error as W
from clusapi.lowlevel import ControlObject, PropertyList, user_control_code
from clusapi.testing import open_reference_cluster
from tests.contract._validation_types import RESERVED_PORT, ReservedPorts, ShareProperties

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from clusapi.testing import ReferenceEnvironment

pytestmark = [pytest.mark.asyncio, pytest.mark.virtual_time]


class Counted(ReservedPorts):
    """Counts its instances' Open and Close calls."""

    type_name = "Counted"
    calls: ClassVar[list[str]] = []

    async def open(self) -> None:
        type(self).calls.append("open")

    async def close(self) -> None:
        type(self).calls.append("close")


class NeedsPath(resapi.Resource[ShareProperties]):
    """Reads its properties at Open, so Open fails until Path is set."""

    type_name = "Needs Path"
    Properties = ShareProperties
    seen: ClassVar[list[int]] = []

    async def open(self) -> None:
        assert self.properties.path

    async def control(
        self, code: int, data: bytes
    ) -> bytes | Literal[resapi.NotHandled.NOT_HANDLED]:
        type(self).seen.append(code)
        return resapi.NOT_HANDLED

    async def online(self) -> None: ...
    async def offline(self) -> None: ...
    async def terminate(self) -> None: ...
    async def looks_alive(self) -> bool: return True  # fmt: skip

    async def is_alive(self) -> bool: return True  # fmt: skip


@contextlib.asynccontextmanager
async def one_resource(
    rtype: type[resapi.Resource],
) -> AsyncIterator[tuple[ReferenceEnvironment, clusapi.Resource]]:
    """A one-node cluster with one offline resource of ``rtype`` (never brought online)."""
    async with open_reference_cluster(nodes=("N1",)) as env:
        await env.cluster.create_resource_type(rtype)
        group = await env.cluster.create_group("g")
        yield env, await group.create_resource("r", rtype.type_name)


async def test_an_offline_resource_gets_an_instance_for_the_call_closed_after() -> None:
    Counted.calls.clear()
    async with one_resource(Counted) as (_env, res):
        await res.set_private_properties(path="/srv")
        # One instance for the whole change (VALIDATE and SET), closed again: the resource
        # stays as it was, offline and without an instance.
        assert Counted.calls == ["open", "close"]
        assert await res.state() is clusapi.ResourceState.OFFLINE
        with pytest.raises(clusapi.ClusterError, match="has no running instance") as info:
            await res.control(user_control_code(1, ControlObject.RESOURCE))
        assert info.value.winerror == W.ERROR_RESOURCE_NOT_ONLINE


async def test_the_control_codes_take_the_same_route() -> None:
    async with one_resource(ReservedPorts) as (_env, res):
        ReservedPorts.seen.clear()
        bad = PropertyList.from_values({"Path": "/srv", "Port": RESERVED_PORT}).to_bytes()
        for code in (CC.RESOURCE_VALIDATE_PRIVATE_PROPERTIES, CC.RESOURCE_SET_PRIVATE_PROPERTIES):
            with pytest.raises(clusapi.InvalidParameterError, match="in use by another service"):
                await res.control(code, bad)
        assert [code for code, _ in ReservedPorts.seen] == [
            CC.RESOURCE_VALIDATE_PRIVATE_PROPERTIES,
            CC.RESOURCE_VALIDATE_PRIVATE_PROPERTIES,
        ]
        relative = PropertyList.from_values({"Path": "www"}).to_bytes()
        with pytest.raises(clusapi.PropertyError, match="must be an absolute path"):
            await res.control(CC.RESOURCE_VALIDATE_PRIVATE_PROPERTIES, relative)
        assert len(ReservedPorts.seen) == 2  # the table refused it: control() never saw it
        assert await res.private_properties() == {"Port": 8080, "AdminPort": 8081}

        good = PropertyList.from_values({"Path": "/srv", "Port": 9000}).to_bytes()
        await res.control(CC.RESOURCE_SET_PRIVATE_PROPERTIES, good)
        # SET went to control() once: VALIDATE, then SET (not once more as "unhandled").
        assert [code for code, _ in ReservedPorts.seen[2:]] == [
            CC.RESOURCE_VALIDATE_PRIVATE_PROPERTIES,
            CC.RESOURCE_SET_PRIVATE_PROPERTIES,
        ]
        assert (await res.private_properties())["Port"] == 9000


async def test_an_instance_that_cannot_open_does_not_block_the_change() -> None:
    NeedsPath.seen.clear()
    async with one_resource(NeedsPath) as (env, res):
        await res.set_private_properties(path="/srv")  # Open fails: Path is not stored yet
        assert NeedsPath.seen == []
        assert any("not offered to control(): Open failed" in entry.message for entry in env.log)
        await res.set_private_properties(port=9000)  # now it opens
        assert NeedsPath.seen == [
            CC.RESOURCE_VALIDATE_PRIVATE_PROPERTIES,
            CC.RESOURCE_SET_PRIVATE_PROPERTIES,
        ]
