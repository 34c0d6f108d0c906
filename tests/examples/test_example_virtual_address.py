"""The Virtual Address example: only the owner of the group listens, and a client of the
address follows the group from node to node.

These run on the ordinary event loop (real loopback sockets, real time) with short cluster
timeouts, each in well under a few seconds of wall time.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import anyio
import anyio.abc
import pytest

import clusapi
import resapi
from clusapi.testing import open_reference_cluster
from examples.virtual_address import (
    SERVICES_KEY,
    EchoClient,
    NodeEchoService,
    VirtualAddress,
    ask,
    create_address_and_echo,
    free_port,
    main,
    register_types,
)
from resapi.testing import check_resource

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from clusapi.testing import ReferenceEnvironment

NODES = ("N1", "N2", "N3")


@contextlib.asynccontextmanager
async def web_cluster(
    port: int,
) -> AsyncIterator[tuple[ReferenceEnvironment, clusapi.Group, EchoClient]]:
    """A 3-node cluster on real time with group 'web' (address + echo), not yet online, and a
    client of the address that runs for the whole block."""
    async with open_reference_cluster(nodes=NODES, heartbeat_interval=0.1, node_timeout=0.5) as env:
        await register_types(env.cluster)
        group = await env.cluster.create_group("web")
        await group.set_preferred_owners(list(NODES))
        await create_address_and_echo(group, port)
        client = EchoClient("127.0.0.1", port, interval=0.02, retry_interval=0.02)
        async with anyio.create_task_group() as tg:
            tg.start_soon(client.run)
            yield env, group, client
            tg.cancel_scope.cancel()


async def refused(port: int) -> bool:
    try:
        await ask("127.0.0.1", port)
    except OSError:
        return True
    return False


@pytest.mark.asyncio
async def test_the_client_follows_the_address_across_a_crash():
    port = free_port()
    with anyio.fail_after(5):
        async with web_cluster(port) as (env, group, client):
            await group.online()
            assert (await group.owner()).name == "N1"
            first = await client.wait_for_reply()
            assert first.node == "N1"

            crash = anyio.current_time()
            env.crash_node("N1")
            after = await client.wait_for_reply("N2", after=crash)
            assert (await group.state_info()) == clusapi.GroupStateInfo(
                clusapi.GroupState.ONLINE, "N2"
            )
            # The client saw the move as one outage, from N1's last reply to N2's first.
            pair = client.outage_around(crash)
            assert pair is not None
            before, resumed = pair
            assert (before.node, resumed.node) == ("N1", "N2")
            assert resumed == after
            # Detection takes up to node_timeout after N1's last heartbeat.
            assert 0.3 < resumed.time - before.time < 3
            assert all(r.node == "N1" for r in client.replies if r.time <= crash)
            assert all(r.node == "N2" for r in client.replies if r.time > crash)
            kinds = [(e.kind, e.node) for e in client.events]
            assert kinds[:3] == [("connected", "N1"), ("lost", "N1"), ("connected", "N2")]
            assert client.events[2].failed_attempts > 0  # it retried while nobody listened


@pytest.mark.asyncio
async def test_only_the_owner_listens_and_an_offline_group_refuses():
    port = free_port()
    with anyio.fail_after(5):
        async with web_cluster(port) as (env, group, _client):
            assert await refused(port)  # created, never online: nobody listens
            await group.online("N2")
            assert await ask("127.0.0.1", port) == "N2"
            await group.move("N3")
            assert await ask("127.0.0.1", port) == "N3"
            # The service registered its private port in its own node's local registry only.
            assert "echo" in env.node_registry("N3").get(SERVICES_KEY, {})
            assert "echo" not in env.node_registry("N2").get(SERVICES_KEY, {})
            await group.offline()
            assert await refused(port)
            assert "echo" not in env.node_registry("N3").get(SERVICES_KEY, {})


@pytest.mark.asyncio
async def test_the_address_without_its_service_accepts_and_closes():
    # Dependency order brings the address up first; a client arriving before the service is
    # online on that node is closed at once and retries.
    port = free_port()
    with anyio.fail_after(5):
        async with web_cluster(port) as (env, _group, _client):
            address = await env.cluster.open_resource("address")
            await address.online()
            assert await (await env.cluster.open_resource("echo")).state() is (
                clusapi.ResourceState.OFFLINE
            )
            with pytest.raises(ConnectionResetError, match="without a greeting"):
                await ask("127.0.0.1", port)


@pytest.mark.asyncio
async def test_a_taken_port_fails_the_address_with_the_reason_in_the_log():
    async with await anyio.create_tcp_listener(local_host="127.0.0.1") as squatter:
        port = squatter.extra(anyio.abc.SocketAttribute.local_port)
        async with open_reference_cluster(nodes=("N1",)) as env:
            await register_types(env.cluster)
            group = await env.cluster.create_group("web")
            await create_address_and_echo(group, port)
            with pytest.raises(clusapi.ResourceFailedError):
                await group.online()
            assert "already in use" in env.format_log(resapi.LogLevel.ERROR).lower()


@pytest.mark.asyncio
@pytest.mark.parametrize("resource_type", [VirtualAddress, NodeEchoService])
async def test_both_types_pass_the_conformance_kit(resource_type: type[resapi.Resource]):
    props = {"port": free_port()} if resource_type is VirtualAddress else {}
    report = await check_resource(resource_type, properties=props)
    assert report.ok, report


def test_port_is_required_and_checked():
    with pytest.raises(clusapi.PropertyError) as info:
        VirtualAddress.Properties.verify({"port": 0})
    assert "'Port'" in str(info.value)


@pytest.mark.asyncio
async def test_module_main_moves_the_address(capsys: pytest.CaptureFixture[str]):
    assert await main(free_port()) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "answered by NODE1" in lines[1]
    assert "answered by NODE2" in lines[2]
    assert "refuses connections" in lines[3]
    assert lines[-1] == "OK"
