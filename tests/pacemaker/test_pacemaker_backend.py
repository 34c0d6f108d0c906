"""The Pacemaker backend on saved CIB files: every row of docs/pacemaker.md's mapping table.

No cluster runs here: the backend works on a copy of
``tests/pacemaker/pacemaker_data/three-nodes.xml`` (three nodes up, quorum) through Pacemaker's own
tools with ``CIB_file``. With ``simulate=True``, ``crm_simulate`` carries out each change as the
cluster would (every action succeeding at once), so states, moves and failures can be followed; each
test then reads the CIB file itself to check what the backend wrote.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
import attrs
import pytest

import clusapi
from clusapi import ClusterChange, GroupState, NodeState, ResourceState, Win32Error
from clusapi._backends.pacemaker._cib import parse_score
from clusapi._backends.pacemaker._runner import tools_unavailable
from clusapi.pacemaker import GroupPlacement, PacemakerBackend

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

W = Win32Error
DATA = Path(__file__).parent / "pacemaker_data"
DUMMY = "ocf:heartbeat:Dummy"
INSTALL = "apt-get install pacemaker pacemaker-cli-utils resource-agents"

pytestmark = [
    pytest.mark.skipif(
        # found in /usr/sbin too, where Debian puts them off an ordinary user's PATH
        (TOOLS := tools_unavailable(["cibadmin", "crm_simulate"])) is not None,
        reason=f"needs Pacemaker's command-line tools: {TOOLS}",
    ),
    pytest.mark.skipif(
        not Path("/usr/lib/ocf/resource.d/heartbeat/Dummy").exists(),
        reason=f"needs the OCF Dummy agent: {INSTALL}",
    ),
]


@pytest.fixture
def cib(tmp_path: Path) -> Path:
    target = tmp_path / "cib.xml"
    shutil.copy(DATA / "three-nodes.xml", target)
    return target


@asynccontextmanager
async def opened(
    cib: Path, *, simulate: bool = True, **options: object
) -> AsyncIterator[clusapi.Cluster]:
    backend = PacemakerBackend(cib_file=cib, simulate=simulate, **options)  # type: ignore[arg-type]
    async with await clusapi.open_cluster(backend=backend) as cluster:
        yield cluster


def config(cib: Path) -> ET.Element:
    """The <configuration> the backend wrote."""
    found = ET.parse(cib).getroot().find("configuration")
    assert found is not None
    return found


def constraints(cib: Path, tag: str | None = None) -> list[ET.Element]:
    section = config(cib).find("constraints")
    items = list(section) if section is not None else []
    return [c for c in items if tag is None or c.tag == tag]


def meta(cib: Path, element_id: str) -> dict[str, str]:
    for element in config(cib).iter():
        if element.get("id") == element_id:
            return {
                p.get("name", ""): p.get("value", "")
                for block in element.iterfind("meta_attributes")
                if block.find("rule") is None
                for p in block.iterfind("nvpair")
            }
    raise AssertionError(f"no element {element_id!r}")


def verify(cib: Path) -> None:
    """crm_verify accepts the configuration (no errors, no warnings about it)."""
    result = subprocess.run(
        ["crm_verify", "--xml-file", str(cib)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


async def group_with(cluster: clusapi.Cluster, name: str, *members: str) -> clusapi.Group:
    group = await cluster.create_group(name)
    for member in members:
        await group.create_resource(member, DUMMY)
    return group


# -- the cluster and opening it ------------------------------------------------------------


@pytest.mark.asyncio
async def test_information_names_the_cluster_and_pacemaker(cib: Path) -> None:
    async with opened(cib) as cluster:
        info = await cluster.information()
        assert (info.name, info.vendor_id, info.backend) == ("pmtest", "Pacemaker", "pacemaker")
        assert (info.major_version, info.minor_version) >= (2, 0)
        assert cluster.backend_name == "pacemaker"


@pytest.mark.asyncio
async def test_a_cib_file_that_is_not_there_is_an_error(tmp_path: Path) -> None:
    async with opened(tmp_path / "missing.xml", simulate=False) as cluster:
        with pytest.raises(clusapi.ClusterError) as caught:
            await cluster.groups()
    assert "cibadmin" in str(caught.value)


def test_bad_backend_arguments_are_refused() -> None:
    with pytest.raises(clusapi.InvalidParameterError, match="poll_interval"):
        PacemakerBackend(poll_interval=0)
    with pytest.raises(clusapi.InvalidParameterError, match="command_prefix"):
        PacemakerBackend(command_prefix="nsenter -t 1")
    with pytest.raises(clusapi.InvalidParameterError, match="simulate"):
        PacemakerBackend(simulate=True)


@pytest.mark.asyncio
async def test_open_cluster_without_backend_says_what_to_start(monkeypatch: pytest.MonkeyPatch):
    # No cluster runs on the test machine (the lab's clusters live in namespaces), so the
    # local tools cannot connect; with the tools missing the message names the packages.
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(clusapi.ClusterUnavailableError) as caught:
        await clusapi.open_cluster()
    assert caught.value.winerror == W.ERROR_CLUSTER_NODE_DOWN
    assert "apt-get install pacemaker" in str(caught.value)
    assert "systemctl start pacemaker" in str(caught.value)


# -- nodes ---------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_nodes_and_their_states(cib: Path) -> None:
    async with opened(cib) as cluster:
        nodes = await cluster.nodes()
        assert [n.name for n in nodes] == ["node1", "node2", "node3"]
        assert [await n.state() for n in nodes] == [NodeState.UP] * 3
        node = await cluster.open_node("NODE2")  # names match case-insensitively
        assert (node.name, node.id) == ("node2", "2")
        with pytest.raises(clusapi.NodeNotFoundError):
            await cluster.open_node("node9")


@pytest.mark.asyncio
async def test_pause_is_standby_and_moves_groups_away(cib: Path) -> None:
    async with opened(cib) as cluster:
        group = await group_with(cluster, "web", "ip")
        await group.online("node1")
        node1 = await cluster.open_node("node1")
        await node1.pause()
        assert await node1.state() is NodeState.PAUSED
        attributes = {
            p.get("name"): p.get("value")
            for p in config(cib).iterfind("nodes/node[@uname='node1']/instance_attributes/nvpair")
        }
        assert attributes["standby"] == "on"
        # The documented difference: standby moves the group off the node.
        info = await group.state_info()
        assert info.state is GroupState.ONLINE
        assert info.owner != "node1"
        await node1.pause()  # already paused: nothing to do
        await node1.resume()
        assert await node1.state() is NodeState.UP
        with pytest.raises(clusapi.InvalidStateError) as caught:
            await node1.resume()
        assert caught.value.winerror == W.ERROR_CLUSTER_NODE_NOT_PAUSED


@pytest.fixture
def node3_down(cib: Path) -> Path:
    """The saved CIB with node3 down (crm_simulate --node-down, stored in place)."""
    subprocess.run(
        ["crm_simulate", "--xml-file", str(cib), "--node-down", "node3", "-S", "-X", "-Q"],
        check=True,
        capture_output=True,
    )
    return cib


@pytest.mark.asyncio
async def test_a_down_node_cannot_be_paused_and_evict_is_not_supported(node3_down: Path) -> None:
    async with opened(node3_down) as cluster:
        node3 = await cluster.open_node("node3")
        assert await node3.state() is NodeState.DOWN
        with pytest.raises(clusapi.ClusterUnavailableError) as caught:
            await node3.pause()
        assert caught.value.winerror == W.ERROR_CLUSTER_NODE_DOWN
        with pytest.raises(clusapi.NotSupportedError, match=r"corosync\.conf"):
            await node3.evict()


# -- groups --------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_an_empty_group_is_kept_with_a_hidden_placeholder(cib: Path) -> None:
    async with opened(cib, simulate=False) as cluster:
        group = await cluster.create_group("web")
        assert [g.name for g in await cluster.groups()] == ["web"]
        assert await group.resources() == []
        assert await cluster.resources() == []
        assert await group.state_info() == clusapi.GroupStateInfo(GroupState.OFFLINE, None)
        (element,) = config(cib).iterfind("resources/group")
        (placeholder,) = element.iterfind("primitive")
        assert placeholder.get("type") == "Dummy"
        assert meta(cib, placeholder.get("id", ""))["target-role"] == "Stopped"
        verify(cib)
        # The first resource replaces it; deleting the last one puts it back.
        res = await group.create_resource("ip", DUMMY)
        assert [p.get("id") for p in element.iterfind("primitive")] == [placeholder.get("id")]
        assert [p.get("id") for p in config(cib).iterfind("resources/group/primitive")] == ["ip"]
        await res.delete()
        assert len(list(config(cib).iterfind("resources/group/primitive"))) == 1
        assert await group.resources() == []
        await group.delete()
        assert list(config(cib).iterfind("resources/group")) == []
        verify(cib)


@pytest.mark.asyncio
async def test_group_names_and_lookup(cib: Path) -> None:
    async with opened(cib, simulate=False) as cluster:
        await cluster.create_group("Web")
        assert (await cluster.open_group("web")).name == "Web"
        with pytest.raises(clusapi.ObjectExistsError):
            await cluster.create_group("WEB")
        with pytest.raises(clusapi.GroupNotFoundError):
            await cluster.open_group("db")
        for bad in ("two words", "1st", "", "a/b"):
            with pytest.raises(clusapi.InvalidParameterError):
                await cluster.create_group(bad)
        # Groups and resources share Pacemaker's one id namespace.
        group = await cluster.open_group("Web")
        await group.create_resource("db", DUMMY)
        with pytest.raises(clusapi.ObjectExistsError, match="one namespace"):
            await cluster.create_group("db")
        with pytest.raises(clusapi.ObjectExistsError, match="one namespace"):
            await group.create_resource("web", DUMMY)
        with pytest.raises(clusapi.NotSupportedError):
            await group.rename("www")
    assert [g.get("id") for g in config(cib).iterfind("resources/group")] == ["Web"]


@pytest.mark.asyncio
async def test_a_group_with_resources_cannot_be_deleted(cib: Path) -> None:
    async with opened(cib, simulate=False) as cluster:
        group = await group_with(cluster, "web", "ip")
        with pytest.raises(clusapi.InvalidStateError) as caught:
            await group.delete()
        assert caught.value.winerror == W.ERROR_DIR_NOT_EMPTY
        await cluster.groups()  # still there
        assert [g.name for g in await cluster.groups()] == ["web"]


@pytest.mark.asyncio
async def test_a_deleted_group_handle_reports_it(cib: Path) -> None:
    async with opened(cib, simulate=False) as cluster:
        group = await cluster.create_group("web")
        await group.delete()
        with pytest.raises(clusapi.ObjectUnavailableError) as caught:
            await group.state()
        assert caught.value.winerror == W.ERROR_GROUP_NOT_AVAILABLE


# -- resources and states ------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_new_resource_is_offline_with_the_mscs_restart_defaults(cib: Path) -> None:
    async with opened(cib) as cluster:
        group = await group_with(cluster, "web", "ip")
        res = await cluster.open_resource("ip")
        info = await res.state_info()
        assert (info.state, info.group) == (ResourceState.OFFLINE, "web")
        assert meta(cib, "ip") == {
            "target-role": "Stopped",
            "migration-threshold": "4",
            "failure-timeout": "900s",
        }
        ops = {
            o.get("name"): o
            for o in config(cib).iterfind("resources/group/primitive/operations/op")
        }
        assert set(ops) == {"monitor", "start", "stop"}
        assert ops["monitor"].get("interval") == "10s"  # the Dummy's advertised interval
        assert (await res.group()).name == group.name
        with pytest.raises(clusapi.ResourceTypeNotFoundError):
            await group.create_resource("x", "ocf:heartbeat:NoSuchAgent")
        with pytest.raises(clusapi.ObjectExistsError):
            await group.create_resource("ip", DUMMY)
        with pytest.raises(clusapi.InvalidParameterError):
            await group.create_resource("y", DUMMY, separate_monitor="yes")  # type: ignore[arg-type]
        assert [r.name for r in await cluster.resources()] == ["ip"]
        verify(cib)


@pytest.mark.asyncio
async def test_online_and_offline_of_a_group(cib: Path) -> None:
    async with opened(cib) as cluster:
        group = await group_with(cluster, "web", "ip", "app")
        assert await group.online() is GroupState.ONLINE
        info = await group.state_info()
        assert info.state is GroupState.ONLINE
        assert info.owner in ("node1", "node2", "node3")
        assert meta(cib, "ip")["target-role"] == meta(cib, "app")["target-role"] == "Started"
        assert [g.name for g in await (await cluster.open_node(info.owner or "")).groups()] == [
            "web"
        ]
        assert await group.offline() is GroupState.OFFLINE
        # Offline, the owner is where it last ran (MSCS keeps the owner too).
        assert await group.state_info() == clusapi.GroupStateInfo(GroupState.OFFLINE, info.owner)
        assert await (await cluster.open_resource("app")).state() is ResourceState.OFFLINE


@pytest.mark.asyncio
async def test_online_on_a_node_leaves_no_constraint(cib: Path) -> None:
    async with opened(cib) as cluster:
        group = await group_with(cluster, "web", "ip")
        await group.online("node3")
        assert (await group.state_info()).owner == "node3"
        assert constraints(cib) == []
        with pytest.raises(clusapi.InvalidStateError, match="move the group"):
            await group.online("node1")


@pytest.mark.asyncio
async def test_on_a_plain_saved_cib_online_sets_target_role_without_waiting(cib: Path) -> None:
    async with opened(cib, simulate=False) as cluster:
        group = await group_with(cluster, "web", "ip")
        # Nothing runs a saved CIB: the resource wants to run, and some node could run it.
        assert await group.online() is GroupState.PENDING
        res = await cluster.open_resource("ip")
        assert await res.state() is ResourceState.ONLINE_PENDING
        assert meta(cib, "ip")["target-role"] == "Started"
        assert await group.offline() is GroupState.OFFLINE
        with pytest.raises(clusapi.NotSupportedError, match="saved CIB"):
            await group.move("node2")
        with pytest.raises(clusapi.NotSupportedError, match="saved CIB"):
            await res.fail()


@pytest.mark.asyncio
async def test_group_members_start_in_order(cib: Path) -> None:
    # A Pacemaker group runs member k only where and after member k-1 runs: bringing the last
    # member online starts the ones before it; taking the first offline stops the rest.
    async with opened(cib) as cluster:
        group = await group_with(cluster, "web", "a", "b", "c")
        a, b, c = [await cluster.open_resource(n) for n in "abc"]
        assert await b.online() is ResourceState.ONLINE
        assert await a.state() is ResourceState.ONLINE
        assert await c.state() is ResourceState.OFFLINE
        assert await group.state() is GroupState.PARTIAL_ONLINE
        assert await a.offline() is ResourceState.OFFLINE
        assert [await r.state() for r in await group.resources()] == [ResourceState.OFFLINE] * 3
        assert meta(cib, "b")["target-role"] == "Stopped"


@pytest.mark.asyncio
async def test_a_resource_online_cannot_be_deleted(cib: Path) -> None:
    async with opened(cib) as cluster:
        group = await group_with(cluster, "web", "ip")
        await group.online()
        res = await cluster.open_resource("ip")
        with pytest.raises(clusapi.InvalidStateError) as caught:
            await res.delete()
        assert caught.value.winerror == W.ERROR_RESOURCE_ONLINE
        await group.offline()
        await res.delete()
        with pytest.raises(clusapi.ObjectUnavailableError) as gone:
            await res.state()
        assert gone.value.winerror == W.ERROR_RESOURCE_NOT_AVAILABLE


# -- moves ---------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_move_to_a_node_and_to_the_best_other_one_leaves_no_constraint(cib: Path) -> None:
    async with opened(cib) as cluster:
        group = await group_with(cluster, "web", "ip", "app")
        await group.online("node1")
        assert await group.move("node2") is GroupState.ONLINE
        assert (await group.state_info()).owner == "node2"
        assert constraints(cib) == []  # crm_resource --move, then always --clear
        assert await group.move() is GroupState.ONLINE
        assert (await group.state_info()).owner not in (None, "node2")
        assert constraints(cib) == []
        owner = (await group.state_info()).owner
        assert await group.move(owner) is GroupState.ONLINE  # already there: nothing to do


@pytest.mark.asyncio
async def test_move_refuses_a_paused_node_and_a_node_no_resource_may_use(cib: Path) -> None:
    async with opened(cib) as cluster:
        group = await group_with(cluster, "web", "ip")
        await group.online("node1")
        await (await cluster.open_node("node2")).pause()
        with pytest.raises(clusapi.InvalidStateError) as paused:
            await group.move("node2")
        assert paused.value.winerror == W.ERROR_SHARING_PAUSED
        await (await cluster.open_resource("ip")).remove_possible_owner("node3")
        with pytest.raises(clusapi.HostNodeError, match="possible owner of resource") as owner:
            await group.move("node3")
        assert owner.value.winerror == W.ERROR_HOST_NODE_NOT_RESOURCE_OWNER
        assert "'ip'" in str(owner.value)
        with pytest.raises(clusapi.HostNodeError) as none:
            await group.move()  # node2 paused, node3 not a possible owner
        assert none.value.winerror == W.ERROR_HOST_NODE_NOT_AVAILABLE
        assert (await group.state_info()).owner == "node1"
        assert [c.get("id") for c in constraints(cib)] == ["clusapi-ban-ip-node3"]


@pytest.mark.asyncio
async def test_move_of_an_offline_group_is_not_supported(cib: Path) -> None:
    async with opened(cib) as cluster:
        group = await group_with(cluster, "web", "ip")
        before = ET.tostring(config(cib))
        for target in ("node2", None):
            with pytest.raises(clusapi.NotSupportedError, match=r"online\(node\)"):
                await group.move(target)
        assert ET.tostring(config(cib)) == before
        assert await group.state() is GroupState.OFFLINE


@pytest.mark.asyncio
async def test_move_without_waiting_clears_its_constraint_once_the_group_arrived(cib: Path):
    async with opened(cib) as cluster:
        group = await group_with(cluster, "web", "ip")
        await group.online("node1")
        await group.move("node3", wait=False)
        # The simulation carried the move out already; the next look clears the constraint.
        assert (await group.state_info()).owner == "node3"
        assert constraints(cib) == []


@pytest.mark.asyncio
async def test_what_would_happen_if_a_node_failed(cib: Path) -> None:
    backend = PacemakerBackend(cib_file=cib, simulate=True)
    async with await clusapi.open_cluster(backend=backend) as cluster:
        web = await group_with(cluster, "web", "ip")
        await group_with(cluster, "db", "disk")
        await web.online("node2")
        placements = {p.group: p for p in await backend.simulate_node_down("node2")}
        assert placements["db"] == GroupPlacement("db", None, GroupState.OFFLINE, None,
                                                  GroupState.OFFLINE)  # fmt: skip
        web_after = placements["web"]
        assert (web_after.owner, web_after.state) == ("node2", GroupState.ONLINE)
        assert web_after.state_after is GroupState.ONLINE
        assert web_after.owner_after in ("node1", "node3")
        assert web_after.moves
        # Only a simulation: the cluster is as it was.
        assert (await web.state_info()).owner == "node2"
        with pytest.raises(clusapi.NodeNotFoundError):
            await backend.simulate_node_down("node7")


# -- dependencies --------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_dependency_is_an_order_and_a_colocation_constraint(cib: Path) -> None:
    async with opened(cib, simulate=False) as cluster:
        group = await group_with(cluster, "web", "app", "ip")
        app, ip = await cluster.open_resource("app"), await cluster.open_resource("ip")
        assert await app.can_be_dependent(ip)  # may app depend on ip
        await app.add_dependency(ip)
        (order,) = constraints(cib, "rsc_order")
        (colocation,) = constraints(cib, "rsc_colocation")
        assert (order.get("first"), order.get("then")) == ("ip", "app")
        assert order.get("kind") == "Mandatory"
        assert (colocation.get("rsc"), colocation.get("with-rsc")) == ("app", "ip")
        assert parse_score(colocation.get("score")) == 1_000_000
        # The provider now comes first in the group, so the group's own order agrees.
        assert [r.name for r in await group.resources()] == ["ip", "app"]
        assert [r.name for r in await app.dependencies()] == ["ip"]
        assert [r.name for r in await ip.dependents()] == ["app"]
        assert not await ip.can_be_dependent(app)  # a cycle
        with pytest.raises(clusapi.DependencyCycleError):
            await ip.add_dependency(app)
        with pytest.raises(clusapi.DependencyError) as again:
            await app.add_dependency(ip)
        assert again.value.winerror == W.ERROR_DEPENDENCY_ALREADY_EXISTS
        with pytest.raises(clusapi.InvalidParameterError):
            await app.add_dependency(app)
        with pytest.raises(clusapi.DependencyError) as dependent:
            await ip.delete()
        assert dependent.value.winerror == W.ERROR_DEPENDENT_RESOURCE_EXISTS
        await app.remove_dependency(ip)
        assert constraints(cib) == []
        with pytest.raises(clusapi.DependencyError) as missing:
            await app.remove_dependency(ip)
        assert missing.value.winerror == W.ERROR_DEPENDENCY_NOT_FOUND
        verify(cib)


@pytest.mark.asyncio
async def test_dependencies_stay_in_one_group_and_move_with_change_group(cib: Path) -> None:
    async with opened(cib, simulate=False) as cluster:
        web = await group_with(cluster, "web", "ip", "app", "log")
        db = await group_with(cluster, "db", "disk")
        ip_, app_, disk_ = [await cluster.open_resource(n) for n in ("ip", "app", "disk")]
        with pytest.raises(clusapi.InvalidParameterError, match="different groups"):
            await app_.add_dependency(disk_)
        await app_.add_dependency(ip_)
        await app_.change_group(db)  # with its whole dependency tree: ip too
        assert [r.name for r in await db.resources()] == ["disk", "ip", "app"]
        assert [r.name for r in await web.resources()] == ["log"]
        assert (await ip_.state_info()).group == "db"
        verify(cib)


# -- possible and preferred owners ---------------------------------------------------------


@pytest.mark.asyncio
async def test_possible_owners_are_bans_of_the_other_nodes(cib: Path) -> None:
    async with opened(cib, simulate=False) as cluster:
        await group_with(cluster, "web", "ip")
        ip = await cluster.open_resource("ip")
        assert [n.name for n in await ip.possible_owners()] == ["node1", "node2", "node3"]
        await ip.remove_possible_owner("node2")
        (ban,) = constraints(cib)
        assert (ban.tag, ban.get("rsc"), ban.get("node"), ban.get("score")) == (
            "rsc_location", "ip", "node2", "-INFINITY",
        )  # fmt: skip
        assert [n.name for n in await ip.possible_owners()] == ["node1", "node3"]
        with pytest.raises(clusapi.NodeNotFoundError):
            await ip.remove_possible_owner("node2")
        await ip.add_possible_owner("node2")
        assert constraints(cib) == []
        with pytest.raises(clusapi.ObjectExistsError) as caught:
            await ip.add_possible_owner("node2")
        assert caught.value.winerror == W.ERROR_OBJECT_IN_LIST
        with pytest.raises(clusapi.NodeNotFoundError):
            await ip.add_possible_owner("node9")


@pytest.mark.asyncio
async def test_a_possible_owner_the_resource_runs_on_cannot_be_removed(cib: Path) -> None:
    async with opened(cib) as cluster:
        group = await group_with(cluster, "web", "ip")
        await group.online("node1")
        with pytest.raises(clusapi.InvalidStateError):
            await (await cluster.open_resource("ip")).remove_possible_owner("node1")


@pytest.mark.asyncio
async def test_preferred_owners_are_location_scores(cib: Path) -> None:
    async with opened(cib, simulate=False) as cluster:
        group = await group_with(cluster, "web", "ip")
        await group.set_preferred_owners(["node3", "node1"])
        scores = {c.get("node"): int(c.get("score", "0")) for c in constraints(cib)}
        assert scores["node3"] > scores["node1"] > 0
        assert [n.name for n in await group.preferred_owners()] == ["node3", "node1"]
        await group.set_preferred_owners(["node2"])
        assert [n.name for n in await group.preferred_owners()] == ["node2"]
        assert len(constraints(cib)) == 1
        with pytest.raises(clusapi.InvalidParameterError, match="twice"):
            await group.set_preferred_owners(["node1", "node1"])
        with pytest.raises(clusapi.NodeNotFoundError):
            await group.set_preferred_owners(["node8"])
        await group.set_preferred_owners([])
        assert constraints(cib) == []


@pytest.mark.asyncio
async def test_an_empty_group_keeps_its_preferred_owners(cib: Path) -> None:
    async with opened(cib, simulate=False) as cluster:
        group = await cluster.create_group("web")
        await group.set_preferred_owners(["node2"])
        verify(cib)
        await group.create_resource("ip", DUMMY)
        assert [n.name for n in await group.preferred_owners()] == ["node2"]


@pytest.mark.asyncio
async def test_failback_is_resource_stickiness(cib: Path) -> None:
    async with opened(cib) as cluster:
        group = await group_with(cluster, "web", "ip")
        # MSCS's default, PREVENT_FAILBACK: stickiness larger than any preference.
        assert (await group.common_properties()).auto_failback_type == 0
        await group.set_preferred_owners(["node1", "node2"])
        await group.online()
        assert (await group.state_info()).owner == "node1"
        await group.move("node2")
        assert (await group.state_info()).owner == "node2"  # stays: prevent failback
        await group.set_common_properties(auto_failback_type=1)
        assert meta(cib, "web")["resource-stickiness"] == "0"
        assert (await group.common_properties()).auto_failback_type == 1
        # Pacemaker fails back at once when the preferred node can take the group.
        assert (await group.state_info()).owner == "node1"


@pytest.mark.asyncio
async def test_a_failback_window_is_a_date_rule(cib: Path) -> None:
    async with opened(cib, simulate=False) as cluster:
        group = await group_with(cluster, "web", "ip")
        await group.set_common_properties(
            auto_failback_type=1, failback_window_start=22, failback_window_end=6
        )
        props = await group.common_properties()
        assert (props.auto_failback_type, props.failback_window_start) == (1, 22)
        assert props.failback_window_end == 6
        specs = [s.get("hours") for s in config(cib).iter("date_spec")]
        assert specs == ["22-23", "0-5"]
        assert meta(cib, "web")["resource-stickiness"] == "10000"  # outside the window
        verify(cib)
        await group.set_common_properties(failback_window_start=-1)
        assert list(config(cib).iter("date_spec")) == []
        assert (await group.common_properties()).failback_window_start == -1


# -- common properties ---------------------------------------------------------------------


@pytest.mark.asyncio
async def test_restart_threshold_and_period_are_migration_threshold_and_failure_timeout(
    cib: Path,
) -> None:
    async with opened(cib, simulate=False) as cluster:
        await group_with(cluster, "web", "ip")
        ip = await cluster.open_resource("ip")
        props = await ip.common_properties()
        assert (props.restart_threshold, props.restart_period) == (3, 900_000)
        update = await ip.set_common_properties(restart_threshold=0, restart_period=60_000)
        assert update == clusapi.PropertyUpdate(("RestartThreshold", "RestartPeriod"))
        assert meta(cib, "ip")["migration-threshold"] == "1"
        assert meta(cib, "ip")["failure-timeout"] == "60s"
        props = await ip.common_properties()
        assert (props.restart_threshold, props.restart_period) == (0, 60_000)
        assert props.retry_period_on_failure == 60_000  # retried when the failures expire


@pytest.mark.asyncio
async def test_poll_intervals_and_timeouts_are_operations(cib: Path) -> None:
    async with opened(cib, simulate=False) as cluster:
        await group_with(cluster, "web", "ip")
        ip = await cluster.open_resource("ip")
        await ip.set_common_properties(
            looks_alive_poll_interval=2500,
            is_alive_poll_interval=30_000,
            pending_timeout=45_000,
            deadlock_timeout=9_000,
            restart_action=0,
            description="the web address",
        )
        ops = [
            (o.get("name"), o.get("interval"), o.get("timeout"), o.get("on-fail"))
            for o in config(cib).iterfind("resources/group/primitive/operations/op")
        ]
        assert ("monitor", "2500ms", "9s", "stop") in ops
        assert ("monitor", "30s", "9s", "stop") in ops
        assert ("start", "0s", "45s", None) in ops
        assert ("stop", "0s", "45s", None) in ops
        props = await ip.common_properties()
        assert (props.looks_alive_poll_interval, props.is_alive_poll_interval) == (2500, 30_000)
        assert (props.pending_timeout, props.deadlock_timeout) == (45_000, 9_000)
        assert (props.restart_action, props.description) == (0, "the web address")
        verify(cib)
        with pytest.raises(clusapi.InvalidParameterError, match="different intervals"):
            await ip.set_common_properties(is_alive_poll_interval=2500)


@pytest.mark.asyncio
async def test_common_properties_without_a_counterpart_are_not_supported(cib: Path) -> None:
    async with opened(cib, simulate=False) as cluster:
        group = await group_with(cluster, "web", "ip")
        ip = await cluster.open_resource("ip")
        before = ET.tostring(config(cib))
        for handle, change in (
            (group, {"failover_threshold": 2}),
            (group, {"failover_period": 2}),
            (group, {"persistent_state": True}),
            (ip, {"separate_monitor": False}),
            (ip, {"persistent_state": True}),
            (ip, {"retry_period_on_failure": 7_200_000}),
            (ip, {"restart_action": 1}),
        ):
            with pytest.raises(clusapi.NotSupportedError, match="no counterpart") as caught:
                await handle.set_common_properties(description="changed", **change)
            assert caught.value.winerror == W.ERROR_NOT_SUPPORTED
        assert ET.tostring(config(cib)) == before  # nothing written, not even the description
        # The value read back may be written back: nothing to do.
        props = await group.common_properties()
        assert await group.set_common_properties(failover_threshold=props.failover_threshold) == (
            clusapi.PropertyUpdate(())
        )


@pytest.mark.asyncio
async def test_bad_common_property_values_change_nothing(cib: Path) -> None:
    async with opened(cib, simulate=False) as cluster:
        group = await group_with(cluster, "web", "ip")
        ip = await cluster.open_resource("ip")
        before = ET.tostring(config(cib))
        with pytest.raises(clusapi.PropertyError, match="'web'"):
            await group.set_common_properties(auto_failback_type=5)
        with pytest.raises(clusapi.PropertyError, match="'ip'"):
            await ip.set_common_properties(pending_timeout="soon")
        with pytest.raises(clusapi.PropertyError):
            await ip.set_common_properties(no_such_property=1)
        assert ET.tostring(config(cib)) == before


# -- private properties --------------------------------------------------------------------


@pytest.mark.asyncio
async def test_private_properties_are_instance_attributes_checked_by_the_meta_data(cib: Path):
    async with opened(cib, simulate=False) as cluster:
        await group_with(cluster, "web", "ip")
        ip = await cluster.open_resource("ip")
        values = await ip.private_properties()
        assert values["fake"] == "dummy"  # the agent's advertised default
        update = await ip.set_private_properties(fake="a <b> & 'c'", state="/tmp/x.state")
        assert update == clusapi.PropertyUpdate(("fake", "state"))
        pairs = {
            p.get("name"): p.get("value")
            for p in config(cib).iterfind("resources/group/primitive/instance_attributes/nvpair")
        }
        assert pairs == {"fake": "a <b> & 'c'", "state": "/tmp/x.state"}  # escaped, exact
        assert (await ip.private_properties())["fake"] == "a <b> & 'c'"
        before = ET.tostring(config(cib))
        with pytest.raises(clusapi.PropertyError, match="no_such"):
            await ip.set_private_properties(no_such=1)
        with pytest.raises(clusapi.PropertyError, match="'ip'"):
            await ip.set_private_properties(fake=3)
        assert ET.tostring(config(cib)) == before
        assert await ip.set_private_properties(fake="a <b> & 'c'") == clusapi.PropertyUpdate(())


# -- resource types ------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_resource_types_are_the_installed_ocf_agents(cib: Path) -> None:
    async with opened(cib, simulate=False) as cluster:
        names = [t.name for t in await cluster.resource_types()]
        assert DUMMY in names
        assert "ocf:pacemaker:Dummy" in names
        dummy = await cluster.open_resource_type(DUMMY)
        info = await dummy.info()
        assert (info.name, info.implementation, info.looks_alive_poll_interval) == (
            DUMMY, DUMMY, 10_000,
        )  # fmt: skip
        props = await dummy.common_properties()
        assert props.looks_alive_poll_interval == 10_000
        with pytest.raises(clusapi.NotSupportedError):
            await dummy.set_common_properties(looks_alive_poll_interval=2000)
        group = await group_with(cluster, "web", "ip")
        assert [r.name for r in await dummy.resources()] == ["ip"]
        await group.create_resource("pm", "ocf:pacemaker:Dummy")
        assert [r.name for r in await dummy.resources()] == ["ip"]
        with pytest.raises(clusapi.InvalidStateError) as used:
            await dummy.delete()
        assert used.value.winerror == W.ERROR_DIR_NOT_EMPTY
        await (await cluster.open_resource("ip")).delete()
        with pytest.raises(clusapi.NotSupportedError, match="package manager"):
            await dummy.delete()
        # Registering an installed agent returns it; its name and defaults are the agent's.
        assert (await cluster.create_resource_type(DUMMY)).name == DUMMY
        with pytest.raises(clusapi.NotSupportedError):
            await cluster.create_resource_type(DUMMY, display_name="Mine")
        with pytest.raises(clusapi.ResourceTypeNotFoundError):
            await cluster.open_resource_type("ocf:heartbeat:NoSuchAgent")


@pytest.mark.asyncio
async def test_a_resapi_type_must_be_installed_where_pacemaker_looks(cib: Path, tmp_path: Path):
    from tests.reference._scenario_types import Quiet  # a complete resapi type

    root = tmp_path / "ocf"
    async with opened(cib, simulate=False, ocf_root=root) as cluster:
        with pytest.raises(clusapi.ResourceTypeNotFoundError, match="does not see"):
            await cluster.create_resource_type(Quiet)
        assert not list(root.rglob("*")) or all(p.is_dir() for p in root.rglob("*"))
        with pytest.raises(clusapi.InvalidParameterError):
            await cluster.create_resource_type(42)


@pytest.mark.asyncio
async def test_an_ocf_root_others_can_write_is_refused_as_access_denied(cib: Path, tmp_path: Path):
    # As root, install refuses to write an agent that root would run from a directory others
    # can change (docs/security.md); the backend says so as ERROR_ACCESS_DENIED, not as a
    # fault of the type.
    if os.geteuid() != 0:
        pytest.skip("install's ownership checks apply when root installs: run as root")
    from tests.reference._scenario_types import Quiet

    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    root = shared / "ocf"
    async with opened(cib, simulate=False, ocf_root=root) as cluster:
        with pytest.raises(clusapi.ClusterError, match="refusing to install") as refused:
            await cluster.create_resource_type(Quiet)
        assert refused.value.winerror == W.ERROR_ACCESS_DENIED
        assert not list(root.rglob("*")) or all(p.is_dir() for p in root.rglob("*"))


# -- what has no counterpart ---------------------------------------------------------------


@pytest.mark.asyncio
async def test_no_counterpart_is_not_supported(cib: Path) -> None:
    async with opened(cib, simulate=False) as cluster:
        group = await group_with(cluster, "web", "ip")
        ip = await cluster.open_resource("ip")
        assert await cluster.quorum_resource() is None
        calls = [
            lambda: cluster.set_quorum_resource(ip),
            lambda: cluster.control(clusapi.ControlCode.CLUSTER_GET_COMMON_PROPERTIES),
            lambda: ip.control(clusapi.ControlCode.RESOURCE_GET_COMMON_PROPERTIES),
            lambda: ip.add_registry_checkpoint("SOFTWARE\\App"),
            lambda: ip.registry_checkpoints(),
            lambda: group.key(),
            lambda: root_subkeys(cluster),
        ]
        for call in calls:
            with pytest.raises(clusapi.NotSupportedError) as caught:
                await call()
            assert caught.value.winerror == W.ERROR_NOT_SUPPORTED
            assert "no counterpart on Pacemaker" in str(caught.value)


async def root_subkeys(cluster: clusapi.Cluster) -> object:
    return await (await cluster.root_key()).keys()


# -- failures and notifications ------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_failure_is_counted_and_an_online_cleans_it_up(cib: Path) -> None:
    async with opened(cib) as cluster:
        group = await group_with(cluster, "web", "ip")
        await group.set_preferred_owners(["node1"])
        await group.online("node1")
        ip = await cluster.open_resource("ip")
        await ip.set_common_properties(restart_threshold=0)  # fail over at the first failure
        await ip.fail()
        info = await group.state_info()
        assert info.state is GroupState.ONLINE
        assert info.owner != "node1"  # failed over
        with pytest.raises(clusapi.HostNodeError, match="'ip' failed there"):
            await group.move("node1")  # node1 is barred by the fail count
        await group.offline()
        await group.online("node1")  # an online clears the fail counts (crm_resource --cleanup)
        assert (await group.state_info()).owner == "node1"
        await group.offline()
        with pytest.raises(clusapi.InvalidStateError) as caught:
            await ip.fail()
        assert caught.value.winerror == W.ERROR_RESMON_INVALID_STATE


@pytest.mark.asyncio
async def test_notifications_come_from_comparing_snapshots(cib: Path) -> None:
    async with opened(cib, poll_interval=0.05) as cluster:
        async with cluster.notifications() as port:
            group = await cluster.create_group("web")
            res = await group.create_resource("ip", DUMMY)
            await group.online("node2")
            await res.set_private_properties(fake="x")
            await group.offline()
            await res.delete()
            await group.delete()
            seen: list[tuple[ClusterChange, str]] = []
            while True:
                event = await port.receive_within(5)
                seen.append((event.change, event.name))
                if event.change is ClusterChange.GROUP_DELETED:
                    break
        C = ClusterChange
        for expected in (
            (C.GROUP_ADDED, "web"),
            (C.RESOURCE_ADDED, "ip"),
            (C.GROUP_PROPERTY, "web"),
            (C.RESOURCE_STATE, "ip"),
            (C.GROUP_STATE, "web"),
            (C.RESOURCE_PROPERTY, "ip"),
            (C.RESOURCE_DELETED, "ip"),
            (C.GROUP_DELETED, "web"),
        ):
            assert expected in seen
        # Per object, the order is the order of the changes.
        per_group = [c for c, n in seen if n == "web"]
        assert per_group.index(C.GROUP_ADDED) < per_group.index(C.GROUP_STATE)
        assert per_group[-1] is C.GROUP_DELETED


@pytest.mark.asyncio
async def test_a_port_filters_and_ends_with_the_backend(cib: Path) -> None:
    backend = PacemakerBackend(cib_file=cib, simulate=True, poll_interval=0.05)
    cluster = await clusapi.open_cluster(backend=backend)
    port = await cluster.notifications(ClusterChange.GROUP_ADDED)
    await cluster.create_group("web")
    await group_with(cluster, "db", "disk")
    assert [(await port.receive_within(5)).name for _ in range(2)] == ["web", "db"]
    with pytest.raises(clusapi.ClusterTimeoutError):
        await port.receive_within(0.2)
    await cluster.aclose()
    with pytest.raises(clusapi.HandleClosedError):
        await port.receive()
    await port.aclose()


# -- the pieces: state mapping, tool errors ------------------------------------------------


def _primitive(**changes: object) -> object:
    from clusapi._backends.pacemaker._cib import PrimitiveView

    base = PrimitiveView(
        id="r", group="g", standard="ocf", provider="heartbeat", agent_type="Dummy",
        description="", meta={}, params={}, ops=(), placeholder=False, role="Stopped",
        target_role=None, failed=False, blocked=False, nodes=(), fail_counts={},
        migration_threshold=1_000_000, last_node=None, history=(),
    )  # fmt: skip
    return attrs.evolve(base, **changes)


@pytest.mark.parametrize(
    ("changes", "may_run", "expected"),
    [
        ({"failed": True, "role": "Started", "nodes": ("n1",)}, True, ResourceState.FAILED),
        ({"blocked": True}, True, ResourceState.FAILED),
        ({"role": "Starting"}, True, ResourceState.ONLINE_PENDING),
        ({"role": "Stopping", "nodes": ("n1",)}, True, ResourceState.OFFLINE_PENDING),
        ({"role": "Migrating", "nodes": ("n1",)}, True, ResourceState.PENDING),
        ({"role": "Promoting", "nodes": ("n1",)}, True, ResourceState.PENDING),
        ({"role": "Started", "nodes": ("n1",)}, True, ResourceState.ONLINE),
        ({"role": "Promoted", "nodes": ("n1",)}, True, ResourceState.ONLINE),
        (
            {"role": "Started", "nodes": ("n1",), "target_role": "Stopped"},
            True,
            ResourceState.OFFLINE_PENDING,
        ),
        ({"target_role": "Stopped"}, True, ResourceState.OFFLINE),
        ({"target_role": "Stopped", "fail_counts": {"n1": 1}}, True, ResourceState.OFFLINE),
        ({"fail_counts": {"n1": 1}}, True, ResourceState.FAILED),
        ({}, True, ResourceState.ONLINE_PENDING),
        ({}, False, ResourceState.OFFLINE),
    ],
)
def test_the_state_mapping(changes: dict[str, object], may_run: bool, expected: ResourceState):
    from clusapi._backends.pacemaker._cib import _resource_state

    assert _resource_state(_primitive(**changes), may_run) is expected  # type: ignore[arg-type]


def test_a_tools_failure_carries_its_own_message() -> None:
    from clusapi._backends.pacemaker._runner import tool_error

    xml_out = (
        b'<pacemaker-result api-version="2.25" request="crm_resource --move">\n'
        b'  <status code="105" message="No such object">\n'
        b"    <errors><error>crm_resource: Resource 'x' not found</error></errors>\n"
        b"  </status>\n</pacemaker-result>\n"
    )
    error = tool_error(["crm_resource", "--move", "-r", "x"], 105, xml_out, b"")
    assert isinstance(error, clusapi.ObjectNotFoundError)
    assert "No such object; crm_resource: Resource 'x' not found" in str(error)
    schema = tool_error(["cibadmin", "--replace"], 78, b"", b"Call failed: Update does not conform")
    assert isinstance(schema, clusapi.InvalidParameterError)
    assert "Update does not conform" in str(schema)
    down = tool_error(["cibadmin", "--query"], 102, b"", b"Could not connect to the CIB")
    assert isinstance(down, clusapi.ClusterUnavailableError)
    assert down.winerror == W.RPC_S_SERVER_UNAVAILABLE
    assert "systemctl start pacemaker" in str(down)
    assert type(tool_error(["cibadmin"], 108, b"", b"exists")) is clusapi.ObjectExistsError
    assert tool_error(["x"], 124, b"", b"").winerror == W.ERROR_TIMEOUT


@pytest.fixture
def foreign(cib: Path) -> Path:
    """A CIB with what pcs may have made: a primitive outside any group, a clone."""
    tree = ET.parse(cib)
    resources = tree.getroot().find("configuration/resources")
    assert resources is not None
    resources.append(ET.fromstring(
        '<primitive id="lone" class="ocf" provider="heartbeat" type="Dummy"/>'
    ))  # fmt: skip
    resources.append(ET.fromstring(
        '<clone id="many"><primitive id="each" class="ocf" provider="heartbeat" type="Dummy"/>'
        "</clone>"
    ))  # fmt: skip
    tree.write(cib)
    return cib


@pytest.mark.asyncio
async def test_resources_outside_groups_are_not_shown(foreign: Path) -> None:
    async with opened(foreign, simulate=False) as cluster:
        assert await cluster.resources() == []
        assert await cluster.groups() == []
        with pytest.raises(clusapi.ResourceNotFoundError, match="not in a group"):
            await cluster.open_resource("lone")
        with pytest.raises(clusapi.ObjectExistsError):
            await cluster.create_group("lone")  # its id is taken all the same


@pytest.mark.skipif(
    shutil.which("nsenter") is None, reason="needs nsenter: apt-get install util-linux"
)
@pytest.mark.asyncio
async def test_a_prefix_that_cannot_get_there_means_the_cluster_is_unavailable() -> None:
    backend = PacemakerBackend(command_prefix=["nsenter", "-t", "999999999", "-n", "--"])
    async with await clusapi.open_cluster(backend=backend) as cluster:
        with pytest.raises(clusapi.ClusterUnavailableError, match="nsenter") as caught:
            await cluster.groups()
    assert caught.value.winerror == W.RPC_S_SERVER_UNAVAILABLE


@pytest.mark.asyncio
async def test_move_of_a_partly_online_group_brings_back_what_was_online(cib: Path) -> None:
    async with opened(cib) as cluster:
        group = await group_with(cluster, "web", "ip", "app")
        await group.online("node1")
        await (await cluster.open_resource("app")).offline()
        assert await group.move("node2") is GroupState.PARTIAL_ONLINE
        assert (await group.state_info()).owner == "node2"
        assert await (await cluster.open_resource("app")).state() is ResourceState.OFFLINE
        assert constraints(cib) == []


# -- the rest of the mapping (which test covers which row:
#    tests/pacemaker/test_pacemaker_mapping.py) ------------------------------------------------


def tool(cib: Path, *argv: str) -> str:
    """Run one of Pacemaker's own tools on the saved CIB (``CIB_file``), as an administrator
    would next to clusapi; its output."""
    result = subprocess.run(
        ["env", f"CIB_file={cib}", *argv], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def monitors(cib: Path, resource: str) -> dict[str, str]:
    """The resource's monitor operations: interval -> OCF_CHECK_LEVEL ("" for none)."""
    found = {}
    for prim in config(cib).iter("primitive"):
        if prim.get("id") == resource:
            for op in prim.iterfind("operations/op[@name='monitor']"):
                depth = op.find("instance_attributes/nvpair[@name='OCF_CHECK_LEVEL']")
                found[op.get("interval", "")] = "" if depth is None else depth.get("value", "")
    return found


@pytest.mark.asyncio
async def test_the_version_is_the_dc_version_else_the_tools(cib: Path) -> None:
    async with opened(cib, simulate=False) as cluster:
        # No DC ever wrote this file, so it has no dc-version: the tools' own version answers.
        out = tool(cib, "crm_mon", "--version")
        info = await cluster.information()
        assert f"{info.major_version}.{info.minor_version}.{info.build_number}" in out
        assert info.csd_version in out
        tool(cib, "crm_attribute", "--type", "crm_config", "--name", "dc-version",
             "--update", "2.1.9-2.1.9-1-abc1234")  # fmt: skip
        info = await cluster.information()
        assert info.csd_version == "2.1.9-2.1.9-1-abc1234"  # the full string
        assert (info.major_version, info.minor_version, info.build_number) == (2, 1, 9)
        assert (info.name, info.vendor_id) == ("pmtest", "Pacemaker")


@pytest.mark.asyncio
async def test_node_states_follow_crm_mon(cib: Path) -> None:
    async with opened(cib, simulate=False) as cluster:
        node1, node2, node3 = await cluster.nodes()
        assert [n.id for n in (node1, node2, node3)] == ["1", "2", "3"]  # Pacemaker's node ids
        # Standby set with Pacemaker's own tool is a pause, and resumes like one.
        tool(cib, "crm_attribute", "--node", "node2", "--name", "standby", "--update", "on")
        assert await node2.state() is NodeState.PAUSED
        # A node lost without a clean shutdown (with fencing on: unclean) is DOWN.
        tool(cib, "crm_attribute", "--type", "crm_config", "--name", "stonith-enabled",
             "--update", "true")  # fmt: skip
        lost = '<node_state id="3" uname="node3" in_ccm="false" crmd="offline" join="down"/>'
        tool(cib, "cibadmin", "--modify", "--scope", "status", "--xml-text", lost)
        assert 'name="node3" id="3" online="false"' in tool(cib, "crm_mon", "-1", "--output-as=xml")
        assert 'unclean="true"' in tool(cib, "crm_mon", "-1", "--output-as=xml")
        assert await node3.state() is NodeState.DOWN
        assert await node1.state() is NodeState.UP
        await node2.resume()
        assert await node2.state() is NodeState.UP


@pytest.mark.asyncio
async def test_possible_owners_count_later_nodes_and_not_a_moves_ban(cib: Path) -> None:
    async with opened(cib, simulate=False) as cluster:
        group = await group_with(cluster, "web", "ip")
        ip = await cluster.open_resource("ip")
        await ip.remove_possible_owner("node2")
        # A node added to the cluster later may run it: only node2 is banned.
        tool(cib, "cibadmin", "--create", "--scope", "nodes", "--xml-text",
             '<node id="4" uname="node4"/>')  # fmt: skip
        assert [n.name for n in await ip.possible_owners()] == ["node1", "node3", "node4"]
        # A cli-ban (what `crm_resource --move/--ban` leaves) is temporary: not counted.
        tool(cib, "crm_resource", "--ban", "--resource", "ip", "--node", "node1")
        assert "cli-ban-ip-on-node1" in [c.get("id") for c in constraints(cib)]
        assert [n.name for n in await ip.possible_owners()] == ["node1", "node3", "node4"]
        # Preferred owners: 100 per place from the end of the list.
        await group.set_preferred_owners(["node3", "node1", "node4"])
        scores = {
            c.get("node"): c.get("score")
            for c in constraints(cib, "rsc_location")
            if c.get("rsc") == "web"
        }
        assert scores == {"node3": "300", "node1": "200", "node4": "100"}
        verify(cib)


@pytest.mark.asyncio
async def test_an_infinite_threshold_and_failures_that_never_expire(cib: Path) -> None:
    from clusapi._common import INHERIT

    async with opened(cib, simulate=False) as cluster:
        await group_with(cluster, "web", "ip")
        ip = await cluster.open_resource("ip")
        await ip.set_common_properties(restart_threshold=INHERIT, restart_period=0)
        assert meta(cib, "ip")["migration-threshold"] == "INFINITY"
        assert meta(cib, "ip")["failure-timeout"] == "0s"  # Pacemaker: never expire
        props = await ip.common_properties()
        assert (props.restart_threshold, props.restart_period) == (INHERIT, 0)
        assert props.retry_period_on_failure == INHERIT  # never retried by itself
        # The value read may be written back (nothing to do); another one may not.
        unchanged = await ip.set_common_properties(retry_period_on_failure=INHERIT)
        assert unchanged == clusapi.PropertyUpdate(())
        with pytest.raises(clusapi.NotSupportedError):
            await ip.set_common_properties(retry_period_on_failure=60_000)
        verify(cib)


@pytest.mark.asyncio
async def test_restart_action_0_leaves_a_failed_resource_failed(cib: Path) -> None:
    async with opened(cib) as cluster:
        group = await group_with(cluster, "web", "ip")
        ip = await cluster.open_resource("ip")
        await ip.set_common_properties(restart_action=0)  # on-fail=stop
        await group.online("node1")
        await ip.fail()
        # Stopped, neither restarted nor failed over; it wants to run and has a fail count.
        assert await ip.state_info() == clusapi.ResourceStateInfo(
            ResourceState.FAILED, "node1", "web"
        )
        assert await group.state() is GroupState.FAILED
        assert 'role="Stopped"' in tool(cib, "crm_mon", "-1", "--output-as=xml")
        assert await group.online() is GroupState.ONLINE  # cleans up, starts it again


@pytest.mark.asyncio
async def test_is_alive_is_a_deeper_monitor_and_inherit_is_the_agents(cib: Path) -> None:
    from clusapi._common import INHERIT

    async with opened(cib, simulate=False) as cluster:
        await group_with(cluster, "web", "ip")
        ip = await cluster.open_resource("ip")
        await ip.set_common_properties(
            looks_alive_poll_interval=5000, is_alive_poll_interval=60_000
        )
        # The Dummy's deepest check level is 0, so IsAlive asks for level 10.
        assert monitors(cib, "ip") == {"5s": "", "60s": "10"}
        verify(cib)
        await ip.set_common_properties(looks_alive_poll_interval=INHERIT)
        assert monitors(cib, "ip") == {"10s": "", "60s": "10"}  # the agent's 10 s
        await ip.set_common_properties(is_alive_poll_interval=INHERIT)
        assert monitors(cib, "ip") == {"10s": ""}  # the deep monitor is gone
        props = await ip.common_properties()
        assert (props.looks_alive_poll_interval, props.is_alive_poll_interval) == (10_000, INHERIT)
        verify(cib)


@pytest.mark.asyncio
async def test_separate_monitor_persistent_state_and_description(cib: Path) -> None:
    async with opened(cib, simulate=False) as cluster:
        group = await cluster.create_group("web")
        ip = await group.create_resource("ip", DUMMY, separate_monitor=False)  # accepted
        assert (await ip.common_properties()).separate_monitor is True
        assert await ip.set_common_properties(separate_monitor=True) == clusapi.PropertyUpdate(())
        # PersistentState reads target-role.
        assert (await ip.common_properties()).persistent_state is False
        assert (await group.common_properties()).persistent_state is False
        await group.online()
        assert meta(cib, "ip")["target-role"] == "Started"
        assert (await ip.common_properties()).persistent_state is True
        assert (await group.common_properties()).persistent_state is True
        # Description is the element's own attribute.
        await group.set_common_properties(description="front end")
        await ip.set_common_properties(description="address")
        (element,) = config(cib).iterfind("resources/group")
        (primitive,) = element.iterfind("primitive")
        assert (element.get("description"), primitive.get("description")) == (
            "front end", "address",
        )  # fmt: skip
        assert (await group.common_properties()).description == "front end"
        await ip.set_common_properties(description="")
        (primitive,) = config(cib).iterfind("resources/group/primitive")
        assert "description" not in primitive.attrib
        verify(cib)


@pytest.mark.asyncio
async def test_a_private_property_change_takes_effect_at_once(cib: Path) -> None:
    async with opened(cib) as cluster:
        group = await group_with(cluster, "web", "ip")
        await group.online()
        ip = await cluster.open_resource("ip")
        update = await ip.set_private_properties(fake="changed")  # online: Pacemaker reloads
        assert update == clusapi.PropertyUpdate(("fake",), takes_effect_at_next_online=False)
        assert await ip.state() is ResourceState.ONLINE


@pytest.mark.asyncio
async def test_every_control_code_and_the_whole_database_are_not_supported(cib: Path) -> None:
    from clusapi.lowlevel import ControlObject, decompose_control_code

    async with opened(cib, simulate=False) as cluster:
        group = await group_with(cluster, "web", "ip")
        targets = {  # the control() of each object kind that has a handle
            ControlObject.CLUSTER: cluster.control,
            ControlObject.NODE: (await cluster.nodes())[0].control,
            ControlObject.GROUP: group.control,
            ControlObject.RESOURCE: (await cluster.open_resource("ip")).control,
            ControlObject.RESOURCE_TYPE: (await cluster.open_resource_type(DUMMY)).control,
        }
        before = ET.tostring(config(cib))
        sent = set()
        for code in clusapi.ControlCode:
            kind = decompose_control_code(code).object
            if kind not in targets:
                continue  # networks and interfaces have no handles
            with pytest.raises(clusapi.NotSupportedError, match="no counterpart") as caught:
                await targets[kind](code)
            assert caught.value.winerror == W.ERROR_NOT_SUPPORTED
            sent.add(kind)
        assert sent == set(targets)
        root = await cluster.root_key()
        for call in (
            lambda: root.set_value("Setting", 1),
            lambda: root.value("Setting"),
            lambda: root.values(),
            lambda: root.commit(clusapi.RegistryBatch().set_value("Setting", 1)),
            lambda: root.notifications(),  # a registry notify port
        ):
            with pytest.raises(clusapi.NotSupportedError, match="no counterpart") as caught:
                await call()
            assert caught.value.winerror == W.ERROR_NOT_SUPPORTED
        assert ET.tostring(config(cib)) == before


def pending(cib: Path, resource: str, task: str) -> None:
    """Turn ``resource``'s recorded start in the saved status into a ``task`` still under way
    (``op-status`` -1, as Pacemaker records a running action with record-pending)."""
    tree = ET.parse(cib)
    root = tree.getroot()
    (op,) = [
        op
        for op in root.iterfind("status/node_state/lrm/lrm_resources/lrm_resource/lrm_rsc_op")
        if op.get("operation_key") == f"{resource}_start_0"
    ]
    for name, value in (
        ("operation", task),
        ("operation_key", f"{resource}_{task}_0"),
        ("op-status", "-1"),
        ("rc-code", "193"),
        ("call-id", "-1"),
    ):
        op.set(name, value)
    tree.write(cib)


@pytest.mark.parametrize(
    ("task", "role", "expected"),
    [
        ("start", "Starting", ResourceState.ONLINE_PENDING),
        ("stop", "Stopping", ResourceState.OFFLINE_PENDING),
        ("migrate_to", "Migrating", ResourceState.PENDING),
        ("demote", "Demoting", ResourceState.PENDING),
    ],
)
@pytest.mark.asyncio
async def test_an_action_under_way_is_a_pending_state(
    cib: Path, task: str, role: str, expected: ResourceState
) -> None:
    async with opened(cib) as cluster:
        group = await group_with(cluster, "web", "ip")
        await group.online("node1")
    pending(cib, "ip", task)
    mon = tool(cib, "crm_mon", "-1", "--output-as=xml")
    assert f'<resource id="ip" resource_agent="{DUMMY}" role="{role}"' in mon
    async with opened(cib) as cluster:
        group = await cluster.open_group("web")
        assert await (await cluster.open_resource("ip")).state() is expected
        assert await group.state() is GroupState.PENDING
        # As in MSCS, a pending group takes no new action; but an online of a group that is
        # only starting joins that start (issue 16, item 8): it waits for it, and without
        # wait it returns the pending state.
        heading_online = task == "start"
        if heading_online:
            assert await group.online(wait=False) is GroupState.PENDING
        calls = (group.offline, lambda: group.move("node2"))
        for call in calls if heading_online else (group.online, *calls):
            with pytest.raises(clusapi.InvalidStateError, match="busy") as caught:
                await call()
            assert caught.value.winerror == W.ERROR_INVALID_STATE


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"role": "Demoting", "nodes": ("n1",)}, ResourceState.PENDING),
        ({"role": "Unpromoted", "nodes": ("n1",)}, ResourceState.ONLINE),
        (
            {"role": "Promoted", "nodes": ("n1",), "target_role": "Stopped"},
            ResourceState.OFFLINE_PENDING,
        ),
        (
            {"role": "Unpromoted", "nodes": ("n1",), "target_role": "Stopped"},
            ResourceState.OFFLINE_PENDING,
        ),
    ],
)
def test_the_state_mapping_of_the_other_roles(
    changes: dict[str, object], expected: ResourceState
) -> None:
    from clusapi._backends.pacemaker._cib import _resource_state

    assert _resource_state(_primitive(**changes), True) is expected  # type: ignore[arg-type]


@pytest.mark.asyncio
async def test_a_failed_stop_is_blocked_and_failed(cib: Path) -> None:
    async with opened(cib) as cluster:
        group = await group_with(cluster, "web", "ip")
        await group.online("node1")
    # A monitor failure whose recovery stop fails too: without fencing, Pacemaker blocks it.
    tool(cib, "crm_simulate", "--xml-file", str(cib), "--simulate", "--in-place", "-Q",
         "--op-inject", "ip_monitor_10000@node1=7", "--op-inject", "ip_stop_0@node1=1")  # fmt: skip
    mon = tool(cib, "crm_mon", "-1", "--output-as=xml")
    assert 'blocked="true"' in mon
    assert 'failed="true"' in mon
    async with opened(cib, simulate=False) as cluster:
        ip = await cluster.open_resource("ip")
        assert await ip.state_info() == clusapi.ResourceStateInfo(
            ResourceState.FAILED, "node1", "web"
        )
        assert await (await cluster.open_group("web")).state() is GroupState.FAILED


@pytest.mark.asyncio
async def test_active_with_target_role_stopped_is_offline_pending(cib: Path) -> None:
    async with opened(cib) as cluster:
        group = await group_with(cluster, "web", "ip")
        await group.online("node1")
    async with opened(cib, simulate=False) as cluster:
        # Nothing carries out the stop on a plain saved CIB: Started, target-role Stopped.
        group = await cluster.open_group("web")
        assert await group.offline() is GroupState.PENDING
        ip = await cluster.open_resource("ip")
        assert await ip.state_info() == clusapi.ResourceStateInfo(
            ResourceState.OFFLINE_PENDING, "node1", "web"
        )


@pytest.mark.asyncio
async def test_a_resource_no_node_may_run_reads_offline(cib: Path) -> None:
    async with opened(cib, simulate=False) as cluster:
        group = await group_with(cluster, "web", "ip", "app")
        ip, app = await cluster.open_resource("ip"), await cluster.open_resource("app")

        async def states() -> list[ResourceState]:
            return [await ip.state(), await app.state()]

        both_pending = [ResourceState.ONLINE_PENDING] * 2
        both_offline = [ResourceState.OFFLINE] * 2
        assert await group.online() is GroupState.PENDING
        assert await states() == both_pending
        # The cluster runs no resources at all.
        for option in ("stop-all-resources", "maintenance-mode"):
            tool(cib, "crm_attribute", "--type", "crm_config", "--name", option, "--update", "true")
            assert await states() == both_offline, option
            tool(cib, "crm_attribute", "--type", "crm_config", "--name", option, "--delete")
            assert await states() == both_pending, option
        tool(cib, "cibadmin", "--modify", "--xml-text", '<cib have-quorum="0"/>')
        assert await states() == both_offline
        tool(cib, "crm_attribute", "--type", "crm_config", "--name", "no-quorum-policy",
             "--update", "ignore")  # fmt: skip
        assert await states() == both_pending
        # Every node in standby.
        nodes = await cluster.nodes()
        for node in nodes:
            await node.pause()
        assert await states() == both_offline
        for node in nodes:
            await node.resume()
        # No node may run both app and the member before it (ip): app alone reads OFFLINE.
        await ip.remove_possible_owner("node1")
        await ip.remove_possible_owner("node2")
        await app.remove_possible_owner("node3")
        assert await states() == [ResourceState.ONLINE_PENDING, ResourceState.OFFLINE]
        await app.add_possible_owner("node3")
        assert await states() == both_pending
        # The member before it does not want to run, so it does not either.
        await ip.offline()
        assert await states() == both_offline
        assert meta(cib, "app")["target-role"] == "Stopped"


@pytest.mark.asyncio
async def test_a_joining_node_is_joining_not_paused(cib: Path) -> None:
    """crm_mon shows a joining node as online + standby + pending: JOINING, not PAUSED."""
    async with opened(cib, simulate=False) as cluster:
        tool(cib, "crm_attribute", "--type", "crm_config", "--name", "stonith-enabled",
             "--update", "true")  # fmt: skip
        joining = '<node_state id="3" uname="node3" in_ccm="true" crmd="online" join="pending"/>'
        tool(cib, "cibadmin", "--modify", "--scope", "status", "--xml-text", joining)
        assert await (await cluster.open_node("node3")).state() is NodeState.JOINING


@pytest.mark.asyncio
async def test_a_group_created_through_a_node_is_hosted_there_until_it_runs(cib: Path) -> None:
    # A saved CIB has no local node, so create_group writes no clusapi-created-on here; on a
    # live cluster it is crm_node -n (tests/contract/test_group_owner.py). Set it by hand.
    async with opened(cib) as cluster:
        group = await group_with(cluster, "web", "ip", "app")
        assert await group.state_info() == clusapi.GroupStateInfo(GroupState.OFFLINE, None)
        await anyio.run_process(
            ["crm_resource", "--resource", "web", "--meta", "--set-parameter",
             "clusapi-created-on", "--parameter-value", "node3"],
            env={**os.environ, "CIB_file": str(cib)},
        )  # fmt: skip
        assert await group.state_info() == clusapi.GroupStateInfo(GroupState.OFFLINE, "node3")
        assert await group.online() is GroupState.ONLINE  # there, as online("node3") would
        assert await group.state_info() == clusapi.GroupStateInfo(GroupState.ONLINE, "node3")
        assert constraints(cib) == []
        await group.offline()
        # Once it ran, the history says where it is (the meta attribute no longer decides).
        assert await group.state_info() == clusapi.GroupStateInfo(GroupState.OFFLINE, "node3")
