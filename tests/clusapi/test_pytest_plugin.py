"""clusapi's pytest plugin, as a user's project sees it: registered by the package's pytest11
entry point (no conftest line), with the reference cluster fixtures on virtual time, the
Pacemaker lab fixtures, and ``advance()`` refusing a loop without virtual time.

The user's projects are made by pytester in a temporary directory with no conftest; the
plugin reaches them only through the installed entry point. They run in this process
(``runpytest``), which loads entry-point plugins like a fresh ``pytest`` does.
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET

import anyio
import pytest

from clusapi import InvalidParameterError, InvalidStateError, ResourceState
from clusapi.testing import PacemakerLab, VirtualClock, open_reference_cluster
from resapi.testing import HealthyResource

pytest_plugins = ["pytester"]

#: A user's test file: a failover test using only the documented fixture.
USER_FAILOVER_TEST = """
import time

import xml.etree.ElementTree as ET

import anyio
import pytest

from clusapi import GroupState, GroupStateInfo
from resapi.testing import HealthyResource


class Web(HealthyResource):
    type_name = "Web"


@pytest.mark.asyncio
async def test_failover(reference_cluster):
    started = time.monotonic()
    async with reference_cluster(nodes=("N1", "N2"), types=[Web], node_timeout=30) as env:
        group = await env.cluster.create_group("web")
        await group.set_preferred_owners(["N1", "N2"])
        await group.create_resource("site", "Web")
        await group.online()
        env.crash_node("N1")
        await env.advance(3600)
        assert await group.state_info() == GroupStateInfo(GroupState.ONLINE, "N2")
    assert anyio.current_time() >= 3600
    print(f"REAL SECONDS {time.monotonic() - started:.3f}")
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A user's project: a temporary directory with no conftest, and an ini that sets
    pytest-asyncio's fixture loop scope (which it warns about when unset)."""
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    return pytester


def test_a_project_without_conftest_runs_a_failover_on_virtual_time(
    project: pytest.Pytester,
) -> None:
    project.makepyfile(test_user=USER_FAILOVER_TEST)
    result = project.runpytest("-s", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    (line,) = [line for line in result.outlines if "REAL SECONDS" in line]
    # An hour of cluster time; on a real clock the test would take that hour.
    assert float(line.rsplit(" ", 1)[1]) < 30


def test_an_old_conftest_line_loads_the_plugin_once(project: pytest.Pytester) -> None:
    project.makeconftest('pytest_plugins = ["clusapi.testing.pytest_plugin"]\n')
    project.makepyfile(test_user=USER_FAILOVER_TEST)
    project.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_advance_without_virtual_time_fails_the_users_test_with_the_fix(
    project: pytest.Pytester,
) -> None:
    project.makepyfile(
        test_user="""
        import pytest
        from clusapi.testing import open_reference_cluster

        @pytest.mark.asyncio
        async def test_forgot_the_marker():
            async with open_reference_cluster() as env:
                await env.advance(10)
        """
    )
    result = project.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*InvalidStateError: env.advance(10) needs virtual time, but the running event loop "
            "has a real clock*mark the test @pytest.mark.virtual_time, or use the "
            "reference_cluster fixture*"
        ]
    )
    # The traceback ends at the user's call: the check's own frames are hidden.
    assert "_clock.py" not in result.stdout.str()


def test_the_lab_fixtures_skip_with_the_labs_reason_and_are_marked_pacemaker(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Whatever this machine has, the user's run must not start a real cluster here.
    reason = "Pacemaker/Corosync not installed (pacemakerd missing): apt-get install ..."
    monkeypatch.setattr(PacemakerLab, "unavailable", classmethod(lambda cls, **_: reason))
    project.makepyfile(
        test_user="""
        def test_one(pacemaker_lab):
            raise AssertionError("not reached")

        def test_three(pacemaker_lab3):
            raise AssertionError("not reached")

        def test_other():
            pass
        """
    )
    result = project.runpytest("-p", "no:cacheprovider", "-rs")
    result.assert_outcomes(passed=1, skipped=2)
    result.stdout.fnmatch_lines([f"SKIPPED*{reason}"])
    deselected = project.runpytest("-p", "no:cacheprovider", "-m", "not pacemaker")
    deselected.assert_outcomes(passed=1, deselected=2)


def test_real_time_keeps_a_reference_cluster_test_on_the_ordinary_loop(
    project: pytest.Pytester,
) -> None:
    project.makepyfile(
        test_user="""
        import pytest
        from clusapi import InvalidStateError
        from clusapi.testing import VirtualClock

        @pytest.mark.asyncio
        @pytest.mark.real_time
        async def test_real(reference_cluster):
            with pytest.raises(RuntimeError, match="no virtual clock"):
                VirtualClock.current()
            async with reference_cluster(nodes=("N1",)) as env:
                with pytest.raises(InvalidStateError):
                    await env.advance(1)

        @pytest.mark.asyncio
        @pytest.mark.virtual_time(start=100.0)
        async def test_own_clock_options(reference_cluster):
            assert VirtualClock.current().time() == 100.0
        """
    )
    project.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


# -- the fixtures in this suite, which gets the plugin the same way ------------------------


class Steady(HealthyResource):
    type_name = "Plugin Steady"


@pytest.mark.asyncio
async def test_reference_cluster_registers_the_types_and_passes_options(
    reference_cluster,
) -> None:
    assert VirtualClock.current().autojump_threshold == 0.0
    async with reference_cluster(
        nodes=("A", "B", "C"),
        types=[Steady, "tests.resapi.separate.types:Steady"],
        name="CLUS1",
    ) as env:
        assert (await env.cluster.information()).name == "CLUS1"
        assert [n.name for n in await env.cluster.nodes()] == ["A", "B", "C"]
        types = {t.name for t in await env.cluster.resource_types()}
        assert {"Plugin Steady", "Separate Steady"} <= types


@pytest.mark.asyncio
async def test_reference_cluster_refuses_an_unknown_option(reference_cluster) -> None:
    with pytest.raises(TypeError, match="node_timout"):
        async with reference_cluster(node_timout=3):
            pass


@pytest.mark.asyncio
async def test_separate_monitor_cluster_runs_resources_in_their_own_process(
    separate_monitor_cluster,
) -> None:
    assert VirtualClock.current().autojump_threshold == 0.05
    async with separate_monitor_cluster(
        nodes=("N1",), types=["tests.resapi.separate.types:Steady"]
    ) as env:
        group = await env.cluster.create_group("g")
        res = await group.create_resource("r", "Separate Steady", separate_monitor=True)
        await group.online()
        assert await res.state() is ResourceState.ONLINE
        assert (await res.common_properties()).separate_monitor is True
        await env.advance(12)  # LooksAlive twice (every 5 s) across the process boundary
        assert await res.state() is ResourceState.ONLINE


@pytest.mark.asyncio
async def test_separate_monitor_cluster_refuses_a_class_a_process_cannot_import(
    separate_monitor_cluster,
) -> None:
    class Local(HealthyResource):
        type_name = "Local"

    with pytest.raises(InvalidParameterError, match=r"Local cannot be imported by a separate"):
        separate_monitor_cluster(types=[Local])


@pytest.mark.asyncio
async def test_advance_on_a_real_loop_raises_instead_of_sleeping() -> None:
    async with open_reference_cluster(nodes=("N1",)) as env:
        with anyio.fail_after(5), pytest.raises(InvalidStateError) as caught:
            await env.advance(3600)  # would sleep an hour
    assert "ERROR_INVALID_STATE, 5023" in str(caught.value)
    assert "@pytest.mark.virtual_time" in str(caught.value)


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_advance_on_virtual_time_moves_the_clock() -> None:
    async with open_reference_cluster(nodes=("N1",)) as env:
        before = anyio.current_time()
        await env.advance(3600)
        assert anyio.current_time() - before == 3600


#: A user's test file: two failing tests with clusters (one through the fixture, one opening
#: its own), a passing one, and a failing one with no cluster at all.
USER_TIMELINE_TESTS = """
import pytest

from clusapi.testing import open_reference_cluster
from resapi.testing import HealthyResource


class Web(HealthyResource):
    type_name = "Web"


async def _story(env, group_name):
    await env.cluster.create_resource_type(Web)
    group = await env.cluster.create_group(group_name)
    await group.create_resource("site", "Web")
    await group.online()
    env.crash_node("ALPHA")
    await env.advance(30)


@pytest.mark.asyncio
async def test_fails_with_the_fixture(reference_cluster):
    async with reference_cluster(nodes=("ALPHA", "BETA")) as env:
        await _story(env, "shop")
        assert False, "the shop is not where the test wanted it"


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_fails_with_its_own_cluster():
    async with open_reference_cluster(nodes=("ALPHA", "GAMMA")) as env:
        await _story(env, "ledger")
    raise RuntimeError("the ledger test failed after its cluster closed")


@pytest.mark.asyncio
async def test_passes(reference_cluster):
    async with reference_cluster(nodes=("ALPHA", "BETA")) as env:
        await _story(env, "passing")


def test_fails_without_a_cluster():
    assert 1 == 2
"""


def test_clusapi_timeline_writes_one_svg_per_failing_test_with_a_cluster(
    project: pytest.Pytester,
) -> None:
    project.makepyfile(test_user=USER_TIMELINE_TESTS)
    result = project.runpytest("-p", "no:cacheprovider", "--clusapi-timeline=timelines")
    result.assert_outcomes(passed=1, failed=3)
    written = sorted((project.path / "timelines").iterdir())
    assert [p.name for p in written] == [
        "test_user.py__test_fails_with_its_own_cluster.svg",
        "test_user.py__test_fails_with_the_fixture.svg",
    ]
    by_test = {"ledger": written[0], "shop": written[1]}
    for group, path in by_test.items():
        root = ET.parse(path).getroot()  # valid XML
        texts = {t.text for t in root.iter("{http://www.w3.org/2000/svg}text")}
        assert {"ALPHA", group, "site"} <= texts, (path, texts)
        assert "passing" not in texts
        result.stdout.fnmatch_lines([f"*{path.name}"])  # the report says where it went
    result.stdout.fnmatch_lines(["*clusapi timelines of the failing tests*"])


def test_without_the_option_no_timeline_is_written(project: pytest.Pytester) -> None:
    project.makepyfile(test_user=USER_TIMELINE_TESTS)
    result = project.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=3)
    assert not (project.path / "timelines").exists()
    assert not list(project.path.rglob("*.svg"))
    assert "clusapi timeline" not in result.stdout.str()


def test_a_test_with_two_clusters_gets_a_numbered_second_file(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_two="""
import pytest

from clusapi.testing import open_reference_cluster


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_two_clusters():
    async with open_reference_cluster(nodes=("FIRST",)) as one:
        async with open_reference_cluster(nodes=("SECOND",), name="OTHER") as two:
            await one.advance(1)
            await two.advance(1)
    assert False
"""
    )
    result = project.runpytest("-p", "no:cacheprovider", "--clusapi-timeline", "out")
    result.assert_outcomes(failed=1)
    names = sorted(p.name for p in (project.path / "out").iterdir())
    assert names == ["test_two.py__test_two_clusters.2.svg", "test_two.py__test_two_clusters.svg"]
    first = (project.path / "out" / names[1]).read_text(encoding="utf-8")
    second = (project.path / "out" / names[0]).read_text(encoding="utf-8")
    assert ">FIRST<" in first
    assert ">SECOND<" in second


def test_loading_the_plugin_leaves_the_heavy_parts_unimported() -> None:
    # pytest loads the plugin in every session of every project that has clusapi installed:
    # it must not drag in the fault simulation, the lab, the timeline or the runtime.
    code = (
        "import sys, clusapi.testing.pytest_plugin, clusapi.testing as t\n"
        "heavy = ('_faults', '_lab', '_timeline', '_env', '_fixtures')\n"
        "print(sorted(m for m in sys.modules if m.startswith('clusapi.testing.')"
        " and m.split('.')[2] in heavy))\n"
        "print(t.PacemakerLab.__module__, 'clusapi.testing._lab' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out == ["[]", "clusapi.testing True"]
