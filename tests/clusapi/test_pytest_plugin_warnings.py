"""A new user's project that uses every fixture and marker of clusapi's pytest plugin sees no
deprecation warning (issue 15, item 8).

pytest-asyncio itself warns, in every project, while ``asyncio_default_fixture_loop_scope`` is
unset; docs/testing.md gives the one line that sets it, and the plugin does not set it for the
user (see there why). These tests show that with that line nothing warns, and that without it
the only deprecation warning is pytest-asyncio's own about that option: none is the plugin's.
"""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

#: The line docs/testing.md tells a user to add to pyproject.toml.
DOCUMENTED_SETTING = '[tool.pytest.ini_options]\nasyncio_default_fixture_loop_scope = "function"\n'

#: A user's tests: each fixture and marker of the plugin (the lab fixtures skip or run).
USER_TESTS = """
import anyio
import pytest

from resapi.testing import HealthyResource


class Web(HealthyResource):
    type_name = "Web"


@pytest.mark.asyncio
async def test_reference_cluster(reference_cluster):
    async with reference_cluster(nodes=("N1", "N2"), types=[Web]) as env:
        group = await env.cluster.create_group("web")
        await group.create_resource("site", "Web")
        await group.online()
        await env.advance(60)


@pytest.mark.asyncio
async def test_separate_monitor_cluster(separate_monitor_cluster):
    async with separate_monitor_cluster(nodes=("N1",)) as env:
        await env.advance(1)


@pytest.mark.asyncio
@pytest.mark.real_time
async def test_real_time(reference_cluster):
    async with reference_cluster(nodes=("N1",)) as env:
        assert await env.cluster.nodes()


@pytest.mark.asyncio
@pytest.mark.virtual_time(autojump_threshold=0.0, start=100.0)
async def test_virtual_time():
    await anyio.sleep(3600)
    assert anyio.current_time() >= 3700


@pytest.mark.asyncio
async def test_plain_asyncio():
    await anyio.sleep(0)
"""

#: Each test runs pytest in a new process (a few seconds): configure-time warnings happen once
#: per process, before pytester could catch them in this one.
pytestmark = pytest.mark.slow

STRICT = ("-p", "no:cacheprovider", "-W", "error::pytest.PytestDeprecationWarning")


def test_with_the_documented_setting_nothing_warns(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml(DOCUMENTED_SETTING)
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess(*STRICT, "-W", "error::DeprecationWarning")
    outcomes = result.parseoutcomes()
    assert outcomes.get("warnings", 0) == 0, result.stdout.str()
    assert outcomes.get("passed") == 5
    assert result.ret == pytest.ExitCode.OK


def test_without_it_the_only_deprecation_is_pytest_asyncios_own(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "always")
    result.assert_outcomes(passed=5)
    lines = [*result.outlines, *result.errlines]
    deprecations = [line for line in lines if "DeprecationWarning:" in line]
    # pytest-asyncio's warning names the option docs/testing.md sets; none comes from clusapi.
    assert all("asyncio_default_fixture_loop_scope" in line for line in deprecations), lines
    assert not [line for line in lines if "clusapi" in line and "Warning" in line], lines
