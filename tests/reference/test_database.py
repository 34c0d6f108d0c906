"""The cluster database through ClusterKey, and registry checkpoints across a crash."""

from __future__ import annotations

import anyio
import pytest

import clusapi
import resapi
from clusapi import ClusterChange, RegistryBatch, RegValueType, Win32Error
from clusapi.testing import open_reference_cluster

pytestmark = [pytest.mark.asyncio, pytest.mark.virtual_time]


class Counter(resapi.Resource):
    """Counts requests into its node's local registry, under a key it checkpoints."""

    type_name = "Counter"
    KEY = "SOFTWARE\\Counter"

    class Properties(resapi.PropertyTable):
        step: int = resapi.prop(default=1, minimum=1)
        label: str = resapi.prop(default="hits")

    def __init__(self, context: resapi.ResourceContext) -> None:
        super().__init__(context)
        self.up = False

    async def online(self) -> None:
        self.up = True
        self.start_worker(self._serve)

    async def _serve(self) -> None:
        while True:
            await anyio.sleep(1)  # one request a second
            count = self.local_registry.get(self.KEY, "Count", default=0)
            assert isinstance(count, int)
            self.local_registry.set(self.KEY, "Count", count + 1)

    async def offline(self) -> None:
        self.up = False

    async def terminate(self) -> None:
        self.up = False

    async def looks_alive(self) -> bool:
        return self.up

    async def is_alive(self) -> bool:
        return self.up


async def counter_cluster(env: clusapi.testing.ReferenceEnvironment):
    await env.cluster.create_resource_type(Counter)
    group = await env.cluster.create_group("counting")
    await group.set_preferred_owners(["N1", "N2"])
    res = await group.create_resource("counter", "Counter")
    return group, res


async def test_every_object_has_a_key_and_private_properties_live_in_parameters():
    async with open_reference_cluster(nodes=("N1", "N2")) as env:
        _, res = await counter_cluster(env)
        await res.set_private_properties(step=5)
        key = await res.key()
        assert (await key.values())["Name"] == "counter"
        assert (await key.values())["Type"] == "Counter"
        params = await key.open_key("Parameters")
        assert await params.value("Step") == 5
        assert await params.typed_value("Step") == (5, RegValueType.DWORD)
        # ... and a registry write is what the property API reads.
        await params.set_value("Label", "requests")
        assert (await res.private_properties())["Label"] == "requests"
        root = await env.cluster.root_key()
        assert sorted(await root.keys()) == ["Groups", "Nodes", "ResourceTypes", "Resources"]
        node_key = await (await env.cluster.open_node("N1")).key()
        assert await node_key.value("NodeName") == "N1"


async def test_typed_values_round_trip_and_missing_ones_are_file_not_found():
    async with open_reference_cluster(nodes=("N1",)) as env:
        root = await env.cluster.root_key()
        app = await root.create_key("App\\Settings")
        samples = [
            ("Sz", "text", None, RegValueType.SZ),
            ("Expand", "%TEMP%\\x", RegValueType.EXPAND_SZ, RegValueType.EXPAND_SZ),
            ("Multi", ("a", "b"), None, RegValueType.MULTI_SZ),
            ("Dword", 7, None, RegValueType.DWORD),
            ("Qword", 2**40, None, RegValueType.QWORD),
            ("Binary", b"\x00\x01", None, RegValueType.BINARY),
        ]
        for name, value, given, expected in samples:
            await app.set_value(name, value, given)
            assert await app.typed_value(name) == (value, expected)
        assert list(await (await root.open_key("App")).keys()) == ["Settings"]
        with pytest.raises(clusapi.RegistryEntryNotFoundError) as info:
            await app.value("Nope")
        assert info.value.winerror == Win32Error.ERROR_FILE_NOT_FOUND
        with pytest.raises(clusapi.RegistryEntryNotFoundError):
            await root.open_key("Missing")
        with pytest.raises(clusapi.InvalidParameterError):
            await app.set_value("Bad", 2**70)
        await app.delete_value("Sz")
        assert "Sz" not in await app.values()


async def test_a_batch_commits_all_or_nothing_and_names_the_failing_command():
    async with open_reference_cluster(nodes=("N1",)) as env:
        root = await env.cluster.root_key()
        app = await root.create_key("App")
        await app.set_value("Epoch", 1)
        ok = RegistryBatch().condition_equal("Epoch", 1).set_value("Epoch", 2)
        await app.commit(ok.create_key("State").set_value("Owner", "N1"))
        assert await app.value("Epoch") == 2
        assert await (await app.open_key("State")).value("Owner") == "N1"

        before = env.node_database("N1")
        bad = (
            RegistryBatch()
            .set_value("Epoch", 3)
            .create_key("More")
            .condition_equal("Owner", "someone else")
        )
        with pytest.raises(clusapi.ClusterError) as info:
            await app.commit(bad)
        assert info.value.failed_command == 2  # type: ignore[attr-defined]
        assert env.node_database("N1") == before  # nothing applied


async def test_registry_notifications_with_relative_names():
    async with open_reference_cluster(nodes=("N1",)) as env:
        root = await env.cluster.root_key()
        app = await root.create_key("App")
        async with (
            app.notifications(ClusterChange.REGISTRY_VALUE) as here,
            app.notifications(
                ClusterChange.REGISTRY_NAME | ClusterChange.REGISTRY_VALUE, subtree=True
            ) as below,
        ):
            await app.set_value("A", 1)
            child = await app.create_key("Child\\Grand")
            await child.set_value("B", 2)
            assert [(e.change, e.name) for e in drain(here)] == [(ClusterChange.REGISTRY_VALUE, "")]
            assert [(e.change, e.name) for e in drain(below)] == [
                (ClusterChange.REGISTRY_VALUE, ""),
                (ClusterChange.REGISTRY_NAME, "Child"),
                (ClusterChange.REGISTRY_NAME, "Child\\Grand"),
                (ClusterChange.REGISTRY_VALUE, "Child\\Grand"),
            ]
        with pytest.raises(clusapi.InvalidParameterError):
            await app.notifications(ClusterChange.GROUP_STATE)


def drain(port: clusapi.NotifyPort) -> list[clusapi.Notification]:
    events = []
    while True:
        try:
            events.append(port.receive_nowait())
        except anyio.WouldBlock:
            return events


async def test_a_node_that_was_down_sees_every_change_when_it_rejoins():
    async with open_reference_cluster(nodes=("N1", "N2")) as env:
        root = await env.cluster.root_key()
        app = await root.create_key("App")
        await app.set_value("Version", 1)
        assert env.node_database("N2")["App"] == {"Version": 1}
        env.crash_node("N2")
        await env.advance(10)
        await app.set_value("Version", 2)
        await app.set_value("Added", "while N2 was down")
        assert env.node_database("N1")["App"] == {"Version": 2, "Added": "while N2 was down"}
        assert env.node_database("N2")["App"] == {"Version": 1}  # its copy from before
        await env.restart_node("N2")
        assert env.node_database("N2")["App"] == {"Version": 2, "Added": "while N2 was down"}


async def test_the_checkpointed_counter_survives_a_crash():
    async with open_reference_cluster(nodes=("N1", "N2")) as env:
        group, res = await counter_cluster(env)
        await res.add_registry_checkpoint(Counter.KEY)
        assert await res.registry_checkpoints() == [Counter.KEY]
        await group.online()
        await env.advance(30)
        assert env.node_registry("N1")[Counter.KEY]["Count"] == 30
        env.crash_node("N1")  # no Offline: the last capture must already be in the database
        await env.advance(6)  # detection and failover to N2
        assert (await group.state_info()).owner == "N2"
        restored = env.node_registry("N2")[Counter.KEY]["Count"]
        assert restored == 30  # nothing lost
        await env.advance(10)
        count = env.node_registry("N2")[Counter.KEY]["Count"]
        assert isinstance(count, int)
        assert count > restored


async def test_edits_made_while_offline_are_overwritten_at_the_next_online():
    async with open_reference_cluster(nodes=("N1", "N2")) as env:
        group, res = await counter_cluster(env)
        await res.add_registry_checkpoint(Counter.KEY)
        await group.online("N1")
        await env.advance(5)
        await group.offline()
        # Someone edits the key on N1 while the resource is offline...
        env.local_registry("N1").set(Counter.KEY, "Count", 999)
        await group.online("N1")
        # ...and the online restored the captured count over it.
        assert env.node_registry("N1")[Counter.KEY]["Count"] == 5
        await group.move("N2")
        assert env.node_registry("N2")[Counter.KEY]["Count"] == 5


async def test_checkpoint_errors_and_deleting_the_resource_deletes_its_checkpoints():
    async with open_reference_cluster(nodes=("N1", "N2")) as env:
        group, res = await counter_cluster(env)
        await res.add_registry_checkpoint(Counter.KEY)
        with pytest.raises(clusapi.ObjectExistsError) as exists:
            await res.add_registry_checkpoint(Counter.KEY.upper())
        assert exists.value.winerror == Win32Error.ERROR_ALREADY_EXISTS
        with pytest.raises(clusapi.InvalidParameterError):
            await res.add_registry_checkpoint("\\SOFTWARE\\Leading")
        with pytest.raises(clusapi.RegistryEntryNotFoundError):
            await res.delete_registry_checkpoint("SOFTWARE\\Other")
        await group.online()
        await env.advance(2)
        key = await res.key()
        assert "Checkpoints" in await key.keys()
        await group.offline()
        await res.delete()
        resources = await (await env.cluster.root_key()).open_key("Resources")
        assert await resources.keys() == []


async def test_changing_an_online_resource_reports_properties_stored():
    async with open_reference_cluster(nodes=("N1", "N2")) as env:
        group, res = await counter_cluster(env)
        offline = await res.set_private_properties(step=2)
        assert offline == clusapi.PropertyUpdate(("Step",), takes_effect_at_next_online=False)
        await group.online()
        online = await res.set_private_properties(step=3)
        assert online.written == ("Step",)
        assert online.takes_effect_at_next_online  # ERROR_RESOURCE_PROPERTIES_STORED
        unchanged = await res.set_private_properties(step=3)
        assert unchanged == clusapi.PropertyUpdate((), takes_effect_at_next_online=False)
        polls = await res.set_common_properties(looks_alive_poll_interval=1000)
        assert polls.takes_effect_at_next_online
        threshold = await res.set_common_properties(restart_threshold=5)
        assert not threshold.takes_effect_at_next_online  # the policy reads it at once
