"""The management app example: a live view that stays true, and a rolling upgrade."""

from __future__ import annotations

import re

import anyio
import pytest

import clusapi
from clusapi import GroupState, NodeState
from clusapi.testing import ReferenceEnvironment, open_reference_cluster
from examples.management_app import (
    DEMO_GROUPS,
    AppService,
    ClusterView,
    main,
    rolling_upgrade,
    run_demo,
    snapshot,
)

pytestmark = [pytest.mark.asyncio, pytest.mark.virtual_time]


async def test_the_view_agrees_with_fresh_queries_after_every_step_of_the_upgrade():
    checked: list[str] = []

    async def after_step(env: ReferenceEnvironment, view: ClusterView, step: str) -> None:
        model = view.model
        # The app's model is exactly what fresh queries of every object say.
        assert model == await snapshot(env.cluster), step
        # Between steps, every group is online: the upgrade never takes one down for longer
        # than a move.
        assert {g.state for g in model.groups.values()} == {GroupState.ONLINE}, step
        if match := re.fullmatch(r"(NODE\d) (paused|upgraded)", step):
            node = match.group(1)
            assert model.nodes[node] is NodeState.PAUSED  # up again after the reboot, paused
            if match.group(2) == "upgraded":
                assert all(g.owner != node for g in model.groups.values())
        elif match := re.fullmatch(r"(NODE\d) resumed", step):
            assert model.nodes[match.group(1)] is NodeState.UP
        elif match := re.fullmatch(r"group '(\w+)' moved from (NODE\d) to (NODE\d)", step):
            group, source, target = match.groups()
            assert model.groups[group].owner == target != source
            assert model.nodes[target] is NodeState.UP  # never onto a paused node
        elif match := re.fullmatch(r"group '(\w+)' moved back to (NODE\d)", step):
            assert model.groups[match.group(1)].owner == match.group(2)
        checked.append(step)

    demo = await run_demo(after_step=after_step, out=lambda _: None)

    assert checked == [step for step, _ in demo.steps]
    assert all(agrees for _, agrees in demo.steps)
    assert len(checked) == 1 + 3 * 5  # built; then per node: pause, move, upgrade, resume, back
    assert checked[1:6] == [
        "NODE1 paused",
        "group 'web' moved from NODE1 to NODE2",
        "NODE1 upgraded",
        "NODE1 resumed",
        "group 'web' moved back to NODE1",
    ]
    # Each group is home again, on its most preferred node, and every node is up.
    model = demo.view.model
    assert {name: g.owner for name, g in model.groups.items()} == {
        name: preferred[0] for name, (_, preferred) in DEMO_GROUPS.items()
    }
    assert set(model.nodes.values()) == {NodeState.UP}
    # The view printed what happened to the nodes, reboot included.
    node1 = [c for c in demo.view.changes if c.startswith("node 'NODE1'")]
    assert node1 == [
        "node 'NODE1': up -> paused",
        "node 'NODE1': paused -> down",
        "node 'NODE1': down -> paused",
        "node 'NODE1': paused -> up",
    ]


async def test_the_view_follows_objects_added_renamed_and_deleted():
    async with open_reference_cluster(nodes=("N1", "N2")) as env:
        cluster = env.cluster
        await cluster.create_resource_type(AppService)
        early = await cluster.create_group("early")  # before the view starts
        view = ClusterView(cluster, out=None)

        async def agrees() -> bool:
            await env.settle()
            return view.model == await snapshot(cluster)

        async with anyio.create_task_group() as tg:
            await tg.start(view.run)
            assert view.model.nodes == {"N1": NodeState.UP, "N2": NodeState.UP}
            assert set(view.model.groups) == {"early"}
            await early.rename("renamed")  # known from the snapshot only, not from an event
            assert await agrees()
            assert set(view.model.groups) == {"renamed"}
            await early.delete()
            group = await cluster.create_group("g")
            assert await agrees()
            res = await group.create_resource("r", AppService.type_name)
            assert await agrees()
            await group.online("N2")
            assert await agrees()
            assert view.model.resources["r"].owner == "N2"
            await res.rename("r2")
            await group.rename("g2")
            assert await agrees()
            assert set(view.model.groups) == {"g2"}
            assert view.model.resources["r2"].group == "g2"
            await group.offline()
            other = await cluster.create_group("other")
            await res.change_group(other)
            assert await agrees()
            assert view.model.resources["r2"].group == "other"
            await res.delete()
            await group.delete()
            assert await agrees()
            assert set(view.model.groups) == {"other"}
            assert view.model.resources == {}
            tg.cancel_scope.cancel()
    assert "group 'g' removed" in view.changes
    assert "resource 'r2' removed" in view.changes


async def test_a_node_whose_groups_cannot_move_is_left_paused_and_not_upgraded():
    upgraded: list[str] = []

    async def upgrade(node: clusapi.Node) -> None:
        upgraded.append(node.name)

    async def quietly(step: str) -> None:
        pass

    async with open_reference_cluster(nodes=("N1",)) as env:
        cluster = env.cluster
        await cluster.create_resource_type(AppService)
        group = await cluster.create_group("alone")
        await group.create_resource("svc", AppService.type_name)
        await group.online()
        with pytest.raises(clusapi.HostNodeError):
            await rolling_upgrade(cluster, upgrade=upgrade, on_step=quietly)
        assert upgraded == []
        assert await (await cluster.open_node("N1")).state() is NodeState.PAUSED
        assert await group.state_info() == clusapi.GroupStateInfo(GroupState.ONLINE, "N1")


async def test_main_reports_agreement_after_every_step(capsys: pytest.CaptureFixture[str]):
    assert await main() == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == "the view agreed with the cluster after all 16 steps"
    assert "view agrees with the cluster: NO" not in out
    assert "  [t=  620.0s] node 'NODE1': paused -> down" in out
