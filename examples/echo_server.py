"""A small TCP echo service as a resource type: the "hello world" of resapi.

Online starts a TCP listener on ``BindAddress:Port`` that greets each client with ``Banner``
and echoes every line back; Offline stops it; LooksAlive checks the listener task, IsAlive
does a real round trip. Check it against the Resource API contract::

    python -m examples.echo_server            # runs the conformance kit, prints the report

or from Python: ``await resapi.testing.check_resource(EchoServer, properties={"port": 7100})``.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import anyio
import anyio.abc

import resapi
import resapi.testing

if TYPE_CHECKING:
    from anyio.abc import SocketStream

__all__ = ("EchoProperties", "EchoServer", "main")

#: IsAlive's round trip must fit in the 300 ms budget with room to spare.
_PROBE_TIMEOUT = 0.2


class EchoProperties(resapi.PropertyTable):
    """Private properties of the Echo Server type."""

    port: int = resapi.prop(
        default=7007, minimum=1, maximum=65535, unique=True, description="TCP port"
    )
    banner: str = resapi.prop(default="hello", description="greeting sent to each client")
    bind_address: str = resapi.prop(default="127.0.0.1", description="address to listen on")


class EchoServer(resapi.Resource[EchoProperties]):
    """A TCP echo service whose port is a private property."""

    type_name = "Echo Server"
    Properties = EchoProperties
    looks_alive_poll_interval = 5000
    is_alive_poll_interval = 60000

    def __init__(self, context: resapi.ResourceContext) -> None:
        super().__init__(context)
        self._listener: anyio.abc.Listener[SocketStream] | None = None
        self._server: resapi.Worker | None = None

    async def online(self) -> None:
        props = self.properties
        self._listener = await anyio.create_tcp_listener(
            local_host=props.bind_address, local_port=props.port, reuse_port=False
        )
        self._server = self.start_worker(self._serve, self._listener)
        self.log.info("listening on %s:%d", props.bind_address, props.port)

    async def _serve(self, listener: anyio.abc.Listener[SocketStream]) -> None:
        async with listener:
            await listener.serve(self._handle)

    async def _handle(self, stream: SocketStream) -> None:
        async with stream:
            try:
                await stream.send(f"{self.properties.banner}\n".encode())
                async for chunk in stream:
                    await stream.send(chunk)
            except (anyio.EndOfStream, anyio.BrokenResourceError, ConnectionError):
                pass  # the client went away; that is its business, not a failure

    async def offline(self) -> None:
        await self._stop()
        self.log.info("stopped")

    async def terminate(self) -> None:
        await self._stop()

    async def _stop(self) -> None:
        server, self._server = self._server, None
        listener, self._listener = self._listener, None
        if server is not None:
            await server.terminate()
        if listener is not None:
            await listener.aclose()

    async def looks_alive(self) -> bool:
        return self._server is not None and not self._server.done

    async def is_alive(self) -> bool:
        if self._server is None or self._server.done:
            return False
        props = self.properties
        probe = b"probe\n"
        with anyio.move_on_after(_PROBE_TIMEOUT):
            try:
                async with await anyio.connect_tcp(props.bind_address, props.port) as client:
                    banner = await _read_line(client)
                    await client.send(probe)
                    echoed = await _read_line(client)
            except (OSError, anyio.EndOfStream, anyio.BrokenResourceError):
                return False
            return banner == f"{props.banner}\n".encode() and echoed == probe
        return False


async def _read_line(stream: SocketStream) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        data += await stream.receive()
    return data


async def main(port: int = 7007) -> int:
    """Run the conformance kit on the Echo Server type and print its report."""
    report = await resapi.testing.check_resource(EchoServer, properties={"port": port})
    print(report)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(anyio.run(main))
