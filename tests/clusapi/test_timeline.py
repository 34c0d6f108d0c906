"""``env.timeline(path)``: what happened in a reference cluster, drawn as one self-contained SVG
(issue 15, item 5).

The picture is drawn from structured history (the runtime's change events, read as they
happen, and the environment's crashes and restarts), so these tests check the record and the
SVG it gives: rows, bands, markers, escaping, determinism, and the committed docs example,
which a test regenerates so it cannot go stale.
"""

from __future__ import annotations

import os
import pathlib
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

import pytest

from clusapi import GroupState, GroupStateInfo
from clusapi.testing import open_reference_cluster
from clusapi.testing._fixtures import timeline_file_name
from resapi.testing import HealthyResource

if TYPE_CHECKING:
    from clusapi.testing import ReferenceClusterFactory, ReferenceEnvironment

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOCS_EXAMPLE = ROOT / "docs" / "images" / "timeline-example.svg"
REGENERATE = "CLUSAPI_REGENERATE_DOCS=1 python -m pytest tests/clusapi/test_timeline.py"
SVG = "{http://www.w3.org/2000/svg}"


class Web(HealthyResource):
    type_name = "Web"


async def failover_story(env: ReferenceEnvironment) -> None:
    """The docs example: a restart in place, a node crash, the failover and the failback."""
    web = await env.cluster.create_group("web")
    await web.set_preferred_owners(["N1", "N2", "N3"])
    await web.set_common_properties(auto_failback_type=1)  # back to N1 when it returns
    site = await web.create_resource("site", "Web")
    await web.create_resource("cache", "Web")
    db = await env.cluster.create_group("db")
    await db.set_preferred_owners(["N3", "N2"])
    await db.create_resource("store", "Web")
    await web.online()
    await db.online()
    await env.advance(10)
    env.instance(site, Web).running = False  # the site dies; its next LooksAlive says so
    await env.advance(10)  # restarted in place, on N1
    env.crash_node("N1")
    await env.advance(15)  # noticed after 5 s; web fails over to N2
    await env.restart_node("N1")
    await env.advance(15)  # N1 rejoins; web fails back to it


def _svg(path: pathlib.Path) -> ET.Element:
    return ET.parse(path).getroot()


def _titles(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}title")]


def _texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


@pytest.mark.asyncio
async def test_the_story_shows_nodes_groups_resources_and_what_happened(
    reference_cluster: ReferenceClusterFactory, tmp_path: pathlib.Path
) -> None:
    async with reference_cluster(nodes=("N1", "N2", "N3"), types=[Web]) as env:
        await failover_story(env)
        assert await (await env.cluster.open_group("web")).state_info() == GroupStateInfo(
            GroupState.ONLINE, "N1"
        )
        written = env.timeline(tmp_path / "story.svg")
    assert written == tmp_path / "story.svg"
    root = _svg(written)
    texts, titles = _texts(root), _titles(root)
    for name in ("N1", "N2", "N3", "web", "db", "site", "cache", "store"):
        assert name in texts, name
    assert "0.000 s: N1 crashed" not in titles  # the crash came at 20 s, not at 0
    assert "20.000 s: N1 crashed" in titles
    assert "35.000 s: N1 restarted" in titles
    assert any(t.endswith("web moved from N1 to N2") for t in titles), titles
    assert any(t.endswith("web moved from N2 to N1") for t in titles), titles
    assert any(t.endswith("site failed on N1") for t in titles), titles
    # Noticed at the first membership round after 5 s without heartbeats.
    assert "N1: Crashed, 20.000 s to 26.000 s" in titles
    assert "N1: Down, 26.000 s to 35.000 s" in titles
    assert any(t.startswith("web: Online on N2, ") for t in titles), titles
    assert any("node N1 is down" in t for t in titles), titles  # the log's warning
    assert any("GROUP_STATE web" in t for t in titles), titles  # a notification


@pytest.mark.asyncio
async def test_the_record_keeps_each_state_change_once_with_its_owner(
    reference_cluster: ReferenceClusterFactory,
) -> None:
    async with reference_cluster(nodes=("N1", "N2", "N3"), types=[Web]) as env:
        await failover_story(env)
    timeline = env._recorder.timeline(env.log)
    (web,) = [lane for lane in timeline.lanes_of("group") if lane.name == "web"]
    online = [(c.time, c.where) for c in web.changes if c.state == "ONLINE"]
    # Online on N1; restarted in place; failed over to N2; failed back to N1.
    assert online == [(0, "N1"), (15.5, "N1"), (26, "N2"), (35, "N1")]
    assert [m.kind for m in web.marks] == ["move", "move"]
    (n1,) = [lane for lane in timeline.lanes_of("node") if lane.name == "N1"]
    assert [c.state for c in n1.changes] == ["UP", "CRASHED", "DOWN", "JOINING", "UP"]
    assert [m.kind for m in n1.marks] == ["crash", "restart"]
    times = [c.time for c in web.changes]
    assert times == sorted(times)
    assert timeline.end == 50  # the environment closed at 50 s: the record ends there


@pytest.mark.asyncio
async def test_every_name_is_escaped(
    reference_cluster: ReferenceClusterFactory, tmp_path: pathlib.Path
) -> None:
    async with reference_cluster(nodes=("N<1>", "N&2"), types=[Web]) as env:
        group = await env.cluster.create_group('<script>"x"</script>')
        await group.create_resource("a & b <c>", "Web")
        await group.online()
        path = env.timeline(tmp_path / "names.svg")
    raw = path.read_text(encoding="utf-8")
    assert "<script>" not in raw
    root = _svg(path)  # well-formed XML although every name is markup
    texts = _texts(root)
    assert '<script>"x"</script>' in texts
    assert "a & b <c>" in texts
    assert {"N<1>", "N&2"} <= set(texts)
    assert not [e for e in root.iter() if e.tag.endswith("script")]


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_the_same_run_draws_the_same_bytes(tmp_path: pathlib.Path) -> None:
    pictures = []
    for i in range(2):
        async with open_reference_cluster(nodes=("N1", "N2", "N3")) as env:
            await env.cluster.create_resource_type(Web)
            await failover_story(env)
        pictures.append(env.timeline(tmp_path / f"run{i}.svg").read_bytes())
    assert pictures[0] == pictures[1]
    raw = pictures[0].decode()
    # Self-contained: no scripts, stylesheets, images or fonts from elsewhere.
    for outside in ("<script", "<link", "<image", "href=", "@import", "url("):
        assert outside not in raw


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_the_docs_example_is_current(tmp_path: pathlib.Path) -> None:
    async with open_reference_cluster(nodes=("N1", "N2", "N3")) as env:
        await env.cluster.create_resource_type(Web)
        await failover_story(env)
    fresh = env.timeline(tmp_path / "timeline-example.svg").read_text(encoding="utf-8")
    if os.environ.get("CLUSAPI_REGENERATE_DOCS") == "1":
        DOCS_EXAMPLE.parent.mkdir(parents=True, exist_ok=True)
        DOCS_EXAMPLE.write_text(fresh, encoding="utf-8")
    committed = DOCS_EXAMPLE.read_text(encoding="utf-8") if DOCS_EXAMPLE.exists() else ""
    assert committed == fresh, (
        f"{DOCS_EXAMPLE.relative_to(ROOT)} is stale (the timeline's drawing or the story "
        f"changed); regenerate with: {REGENERATE}"
    )


@pytest.mark.parametrize(
    ("nodeid", "expected"),
    [
        ("tests/test_web.py::test_failover", "tests_test_web.py__test_failover"),
        ("tests/test_web.py::Test::test_it", "tests_test_web.py__Test__test_it"),
    ],
)
def test_a_plain_test_id_names_its_timeline_file_as_it_reads(nodeid: str, expected: str) -> None:
    assert timeline_file_name(nodeid) == expected


def test_ids_that_lose_characters_or_length_get_a_hash_so_they_stay_apart() -> None:
    a = timeline_file_name("t.py::test[a b]")
    b = timeline_file_name("t.py::test[a_b]")
    assert a != b
    assert a.startswith("t.py__test_a_b_-")
    long = timeline_file_name("t.py::test_" + "x" * 300)
    assert len(long) <= 130
    assert long != timeline_file_name("t.py::test_" + "x" * 301)
