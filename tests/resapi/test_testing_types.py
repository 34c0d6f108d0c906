"""resapi.testing's ready-made resource types: HealthyResource works, ScriptedResource does
what the test scripted (per class, per resource name, per instance)."""

from __future__ import annotations

import anyio
import pytest

from clusapi import ResourceState
from resapi.testing import (
    HealthyResource,
    Outcome,
    ScriptedResource,
    check_resource,
    run_resource,
)

pytestmark = [pytest.mark.asyncio, pytest.mark.virtual_time]

ONLINE, OFFLINE, FAILED = ResourceState.ONLINE, ResourceState.OFFLINE, ResourceState.FAILED


class Flaky(ScriptedResource):
    type_name = "Flaky"
    script = {"online": Outcome.succeed(after=5, checkpoint_every=1)}  # noqa: RUF012


@pytest.fixture(autouse=True)
def _clean_scripts():
    yield
    Flaky.clear_scripts()


@pytest.mark.parametrize("resource_type", [HealthyResource, ScriptedResource, Flaky])
async def test_the_types_pass_the_conformance_kit(resource_type):
    report = await check_resource(resource_type)
    assert report.ok, report


async def test_healthy_is_alive_only_while_online():
    async with run_resource(HealthyResource) as h:
        assert not await h.is_alive()
        assert await h.online() is ONLINE
        assert await h.looks_alive()
        assert await h.is_alive()
        assert await h.offline() is OFFLINE
        assert not await h.is_alive()


async def test_a_class_script_pends_with_checkpoints():
    async with run_resource(Flaky) as h:
        started = anyio.current_time()
        assert await h.online() is ONLINE
        assert anyio.current_time() - started == pytest.approx(5)
        assert h.checkpoints()[-1] >= 5
        assert h.resource.calls == ["open", "online"]


async def test_a_name_script_beats_the_class_script_and_fails_online():
    Flaky.script_resource("disk", online=Outcome.fail("no such device"))
    async with run_resource(Flaky, name="disk") as h:
        assert await h.online() is FAILED
        assert "no such device" in "\n".join(h.messages())
    async with run_resource(Flaky, name="other") as h:
        assert await h.online() is ONLINE  # the name script is for "disk" only


async def test_an_instance_override_beats_the_name_script():
    Flaky.script_resource("web", is_alive=Outcome.fail())
    async with run_resource(Flaky, name="web") as h:
        assert await h.online() is ONLINE
        assert await h.looks_alive()
        assert not await h.is_alive()  # fail() makes a health check say no
        assert isinstance(h.resource, Flaky)
        h.resource.overrides["is_alive"] = Outcome.succeed()
        assert await h.is_alive()


async def test_raises_raises_from_a_health_check_too():
    ScriptedResource.script_resource("r", is_alive=Outcome.raises(OSError("gone")))
    try:
        async with run_resource(ScriptedResource, name="r") as h:
            assert await h.online() is ONLINE
            assert not await h.check_health(thorough=True)  # a raise is a failed check
            assert "gone" in "\n".join(h.messages())
    finally:
        ScriptedResource.clear_scripts()


async def test_a_hanging_offline_is_cut_off_by_the_pending_timeout():
    Flaky.script_resource("stuck", offline=Outcome.hang())
    async with run_resource(Flaky, name="stuck", pending_timeout=30) as h:
        assert await h.online() is ONLINE
        started = anyio.current_time()
        assert await h.offline() is FAILED
        assert anyio.current_time() - started == pytest.approx(30)
        assert h.resource.calls[-2:] == ["offline", "terminate"]


async def test_scripting_an_unknown_entry_point_is_refused():
    with pytest.raises(TypeError, match="no entry point onlin; the entry points are close"):
        Flaky.script_resource("x", onlin=Outcome.fail())
    assert Flaky.by_name == {}
