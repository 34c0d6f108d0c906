"""The Echo Server example: conformance, and real clients over loopback TCP."""

from __future__ import annotations

import socket

import anyio
import pytest

import resapi
from examples.echo_server import EchoServer, main
from resapi.testing import check_resource, run_resource


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def talk(port: int, line: bytes) -> tuple[bytes, bytes]:
    async with await anyio.connect_tcp("127.0.0.1", port) as client:
        banner = await client.receive()
        await client.send(line)
        return banner, await client.receive()


@pytest.mark.asyncio
async def test_passes_the_conformance_kit():
    report = await check_resource(EchoServer, properties={"port": free_port()})
    assert report.ok, report
    assert report.breaches == ()


@pytest.mark.asyncio
async def test_serves_clients_with_its_banner_while_online():
    port = free_port()
    async with run_resource(EchoServer, properties={"port": port, "banner": "hi there"}) as h:
        assert await h.online() is resapi.ResourceState.ONLINE
        assert await talk(port, b"ping\n") == (b"hi there\n", b"ping\n")
        assert await h.offline() is resapi.ResourceState.OFFLINE
        with pytest.raises(OSError, match=r"(?i)connect"):
            await talk(port, b"ping\n")
    assert any(f"listening on 127.0.0.1:{port}" in m for m in h.messages())


@pytest.mark.asyncio
async def test_port_in_use_fails_online_with_the_reason_in_the_log():
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        async with run_resource(EchoServer, properties={"port": port}) as h:
            assert await h.online() is resapi.ResourceState.FAILED
            assert any("Online raised" in m for m in h.messages(resapi.LogLevel.ERROR))


@pytest.mark.asyncio
async def test_a_dead_listener_is_caught_by_looks_alive():
    port = free_port()
    async with run_resource(EchoServer, properties={"port": port}) as h:
        await h.online()
        assert await h.check_health() is True
        server = h.resource._server
        assert server is not None
        await server.terminate()
        assert await h.check_health() is False
        assert h.state is resapi.ResourceState.FAILED


def test_port_out_of_range_is_rejected_before_anything_runs():
    with pytest.raises(resapi.PropertyError) as info:
        EchoServer.Properties.verify({"port": 70000})
    assert info.value.winerror == resapi.Win32Error.ERROR_INVALID_PARAMETER
    assert "'Port'" in str(info.value)


@pytest.mark.asyncio
async def test_module_main_prints_a_passing_report(capsys: pytest.CaptureFixture[str]):
    assert await main(free_port()) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "conformance check of resource type 'Echo Server'"
    assert out.splitlines()[-1] == "PASS: 14 steps, 0 errors, 0 warnings"
