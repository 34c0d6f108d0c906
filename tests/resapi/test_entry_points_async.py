"""A resource type whose entry point is a plain ``def`` is refused when it is registered, at
every door (issue 15, item 8): the reference cluster's create_resource_type (class and import
path), run_resource and check_resource, ``python -m resapi check``, the OCF installer and the
Pacemaker backend's install of a Python type. Before, it failed only at the first Online."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Final

import pytest

from clusapi import InvalidParameterError, Win32Error
from clusapi._backends.pacemaker._agents import Agents
from clusapi._backends.pacemaker._runner import Runner
from resapi.__main__ import main
from resapi._resource_type import ENTRY_POINTS, check_entry_points
from resapi.ocf import AgentError, install
from resapi.testing import HealthyResource, check_resource, run_resource
from tests.resapi._plain_def_types import PlainOnline

if TYPE_CHECKING:
    import pathlib
    from collections.abc import Callable, Coroutine

    import resapi
    from clusapi.testing import ReferenceClusterFactory

PATH: Final = "tests.resapi._plain_def_types:PlainOnline"
WHERE: Final = "tests.resapi._plain_def_types.PlainOnline.online of resource type 'Plain Online'"


def plain_def_type(entry_point: str) -> type[resapi.Resource]:
    """A complete type whose ``entry_point`` alone is a plain ``def``."""

    def plain(self: object, *args: object) -> None:
        return None

    value: object = classmethod(plain) if entry_point == "type_control" else plain
    return type(f"Plain_{entry_point}", (HealthyResource,), {entry_point: value})


def test_the_entry_points_are_read_from_resource() -> None:
    assert ENTRY_POINTS == (
        "open",
        "close",
        "online",
        "offline",
        "terminate",
        "looks_alive",
        "is_alive",
        "arbitrate",
        "release",
        "control",
        "type_control",
    )


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
def test_each_plain_def_entry_point_is_refused_with_the_fix(entry_point: str) -> None:
    cls = plain_def_type(entry_point)
    with pytest.raises(InvalidParameterError) as caught:
        check_entry_points(cls)
    assert caught.value.winerror == Win32Error.ERROR_INVALID_PARAMETER
    message = str(caught.value)
    assert f"{cls.__qualname__}.{entry_point} of resource type {cls.type_name!r}" in message
    assert "is a plain `def`, not a coroutine function" in message
    assert f"declare it `async def {entry_point}(...)`" in message


def test_async_entry_points_behind_a_wrapping_decorator_pass() -> None:
    def traced(
        fn: Callable[..., Coroutine[Any, Any, None]],
    ) -> Callable[..., Coroutine[Any, Any, None]]:
        @functools.wraps(fn)
        def wrapper(*args: object) -> Coroutine[Any, Any, None]:
            return fn(*args)  # a plain def returning the coroutine: awaits the same

        return wrapper

    class Traced(HealthyResource):
        @traced
        async def online(self) -> None:
            await super().online()

    check_entry_points(Traced)  # no error
    check_entry_points(HealthyResource)


@pytest.mark.asyncio
@pytest.mark.parametrize("implementation", [PlainOnline, PATH], ids=["class", "path"])
async def test_the_reference_cluster_refuses_it_at_registration(
    reference_cluster: ReferenceClusterFactory, implementation: object
) -> None:
    async with reference_cluster(nodes=("N1",)) as env:
        with pytest.raises(InvalidParameterError, match=rf"{WHERE} is a plain `def`"):
            await env.cluster.create_resource_type(implementation)
        assert [t.name for t in await env.cluster.resource_types()] == []


@pytest.mark.asyncio
async def test_the_fixture_refuses_it_before_the_test_body() -> None:
    from clusapi.testing import ReferenceClusterFactory

    with pytest.raises(InvalidParameterError, match="declare it `async def online"):
        async with ReferenceClusterFactory()(nodes=("N1",), types=[PlainOnline]):
            pytest.fail("the cluster opened with a type it must refuse")


@pytest.mark.asyncio
async def test_run_resource_refuses_it_before_open() -> None:
    with pytest.raises(InvalidParameterError, match=rf"{WHERE} is a plain `def`"):
        async with run_resource(PlainOnline):
            pytest.fail("run_resource ran a type it must refuse")


@pytest.mark.asyncio
async def test_check_resource_refuses_it() -> None:
    with pytest.raises(InvalidParameterError, match=rf"{WHERE} is a plain `def`"):
        await check_resource(PlainOnline)


def test_the_check_command_refuses_it_as_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["check", PATH])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert f"{WHERE} is a plain `def`" in err
    assert "declare it `async def online(...)`" in err


def test_the_ocf_installer_refuses_it_before_writing(tmp_path: pathlib.Path) -> None:
    with pytest.raises(AgentError) as caught:
        install(PATH, ocf_root=str(tmp_path))
    assert caught.value.code == 2  # OCF_ERR_ARGS
    assert "declare it `async def online(...)`" in caught.value.reason
    assert list(tmp_path.rglob("*")) == []


@pytest.mark.parametrize("implementation", [PlainOnline, PATH], ids=["class", "path"])
def test_the_pacemaker_backend_refuses_it_before_writing(
    tmp_path: pathlib.Path, implementation: object
) -> None:
    # Agents.install is where create_resource_type on Pacemaker registers a Python type; it
    # writes the agent file and runs no cluster tool before that.
    agents = Agents(Runner(), str(tmp_path))
    with pytest.raises(InvalidParameterError, match="declare it `async def online"):
        agents.install(implementation)
    assert list(tmp_path.rglob("*")) == []
