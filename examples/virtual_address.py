"""A virtual network address that follows its group, and an echo service behind it.

MSCS clients reach a clustered service through an address (an IP Address resource) that
belongs to the service's group: whichever node owns the group answers on it, and after a
failover a client reconnects to the same address after a short pause. All simulated nodes of
a reference cluster share one machine, so this example models the address as a fixed loopback
TCP port:

- :class:`VirtualAddress` (type ``"Virtual Address"``; private properties ``Address``,
  default ``127.0.0.1``, ``Port``, required, and ``ServiceName``, default ``echo``) listens
  on ``Address:Port`` while it is online, and only then: the node that owns the group is the
  only one accepting there. It forwards each connection to the service of that name that
  runs on its own node.
- :class:`NodeEchoService` (type ``"Echo Service"``) listens on a private loopback port and
  registers it in its node's local registry (``self.local_registry``, the node's HKLM), under
  ``SOFTWARE\\ClusapiExamples\\LocalServices``, value ``ServiceName``; the virtual
  address on the same node looks it up there for each connection. Each client is greeted with
  ``echo from <node>``, so a client sees which node serves it. It depends on the address
  (:func:`create_address_and_echo` adds the dependency).
- :class:`EchoClient` keeps talking to the address, reconnecting after a short pause whenever
  the connection breaks, and records each reply with its time and the node that sent it.

Try it (a 2-node reference cluster on real time: online, move, offline)::

    python -m examples.virtual_address

``python -m examples.demo`` uses the same types for a live crash, failover and failback.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Final, Literal

import anyio
import anyio.abc
import attrs
from anyio.streams.buffered import BufferedByteReceiveStream

import resapi
from clusapi.testing import open_reference_cluster

if TYPE_CHECKING:
    from anyio.abc import SocketStream

    import clusapi

__all__ = (
    "SERVICES_KEY",
    "ClientEvent",
    "EchoClient",
    "EchoServiceProperties",
    "NodeEchoService",
    "Reply",
    "VirtualAddress",
    "VirtualAddressProperties",
    "ask",
    "create_address_and_echo",
    "free_port",
    "main",
    "register_types",
)

#: The key of a node's local registry where services register their loopback ports.
SERVICES_KEY: Final = "SOFTWARE\\ClusapiExamples\\LocalServices"
#: Where the services behind an address listen (one machine: every node's loopback).
_LOOPBACK: Final = "127.0.0.1"
#: A probe must fit in the 300 ms that LooksAlive/IsAlive may take, with room to spare.
_PROBE_TIMEOUT: Final = 0.2
#: What the echo service greets clients with, before the node name.
_GREETING: Final = "echo from "
_MAX_LINE: Final = 1024
#: How long :func:`ask` waits for a greeting.
_ASK_TIMEOUT: Final = 1.0


# -- the address --------------------------------------------------------------------------------


class VirtualAddressProperties(resapi.PropertyTable):
    """Private properties of the Virtual Address type."""

    address: str = resapi.prop(default="127.0.0.1", description="address to listen on")
    port: int = resapi.prop(
        required=True, minimum=1, maximum=65535, unique=True, description="TCP port"
    )
    service_name: str = resapi.prop(
        default="echo", description="the local service to forward connections to"
    )


class VirtualAddress(resapi.Resource[VirtualAddressProperties]):
    """A fixed TCP address that only the owner of the group listens on.

    Online binds ``Address:Port`` (failing if another process holds it) and forwards each
    connection to the local service named ``ServiceName``; a connection that arrives before
    that service is online on this node is closed at once, and the client tries again.
    Offline and Terminate close the listener and every forwarded connection.
    """

    type_name = "Virtual Address"
    Properties = VirtualAddressProperties
    looks_alive_poll_interval = 5000
    is_alive_poll_interval = 60000

    def __init__(self, context: resapi.ResourceContext) -> None:
        super().__init__(context)
        self._listener: anyio.abc.Listener[SocketStream] | None = None
        self._server: resapi.Worker | None = None

    async def online(self) -> None:
        props = self.properties
        self._listener = await anyio.create_tcp_listener(
            local_host=props.address, local_port=props.port, reuse_port=False
        )
        self._server = self.start_worker(self._serve, self._listener)
        self.log.info(
            "listening on %s:%d for service %r", props.address, props.port, props.service_name
        )

    async def _serve(self, listener: anyio.abc.Listener[SocketStream]) -> None:
        async with listener:
            await listener.serve(self._forward)

    def _service_port(self) -> int | None:
        port = self.local_registry.get(SERVICES_KEY, self.properties.service_name)
        return port if isinstance(port, int) else None

    async def _forward(self, client: SocketStream) -> None:
        async with client:
            port = self._service_port()
            if port is None:
                return  # the service is not online on this node (yet): the client retries
            try:
                service = await anyio.connect_tcp(_LOOPBACK, port)
            except OSError:
                return  # a stale registration: the service is going or gone
            async with service, anyio.create_task_group() as tg:
                tg.start_soon(_pump, client, service, tg.cancel_scope)
                tg.start_soon(_pump, service, client, tg.cancel_scope)

    async def offline(self) -> None:
        await self._stop()
        self.log.info("stopped listening")

    async def terminate(self) -> None:
        await self._stop()

    async def _stop(self) -> None:
        server, self._server = self._server, None
        listener, self._listener = self._listener, None
        if server is not None:
            await server.terminate()  # ends the forwarded connections too
        if listener is not None:
            await listener.aclose()

    async def looks_alive(self) -> bool:
        return self._server is not None and not self._server.done

    async def is_alive(self) -> bool:
        if self._server is None or self._server.done:
            return False
        props = self.properties
        with anyio.move_on_after(_PROBE_TIMEOUT):
            try:
                stream = await anyio.connect_tcp(props.address, props.port)
            except OSError:
                return False
            await stream.aclose()
            return True
        return False


async def _pump(source: SocketStream, sink: SocketStream, done: anyio.CancelScope) -> None:
    """Copy bytes one way until either side closes, then end the whole connection."""
    try:
        async for chunk in source:
            await sink.send(chunk)
    except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
        pass  # either end went away: the connection is over
    finally:
        done.cancel()


# -- the service --------------------------------------------------------------------------------


class EchoServiceProperties(resapi.PropertyTable):
    """Private properties of the Echo Service type."""

    service_name: str = resapi.prop(
        default="echo", description="the name it registers under in its node's local registry"
    )


class NodeEchoService(resapi.Resource[EchoServiceProperties]):
    """An echo service that names its node in its greeting (``echo from NODE2``).

    It listens on a free loopback port and registers the port in its node's local registry,
    where the :class:`VirtualAddress` on the same node finds it; Offline and Terminate remove
    the registration and close every connection.
    """

    type_name = "Echo Service"
    Properties = EchoServiceProperties
    required_dependencies = ("Virtual Address",)
    looks_alive_poll_interval = 5000
    is_alive_poll_interval = 60000

    def __init__(self, context: resapi.ResourceContext) -> None:
        super().__init__(context)
        self._listener: anyio.abc.Listener[SocketStream] | None = None
        self._server: resapi.Worker | None = None
        self._port: int | None = None

    @property
    def banner(self) -> str:
        """The first line each client receives."""
        return f"{_GREETING}{self.node_name}"

    async def online(self) -> None:
        self._listener = await anyio.create_tcp_listener(local_host=_LOOPBACK, local_port=0)
        self._port = self._listener.extra(anyio.abc.SocketAttribute.local_port)
        self._server = self.start_worker(self._serve, self._listener)
        self.local_registry.set(SERVICES_KEY, self.properties.service_name, self._port)
        self.log.info(
            "listening on %s:%d as service %r", _LOOPBACK, self._port, self.properties.service_name
        )

    async def _serve(self, listener: anyio.abc.Listener[SocketStream]) -> None:
        async with listener:
            await listener.serve(self._handle)

    async def _handle(self, stream: SocketStream) -> None:
        async with stream:
            try:
                await stream.send(f"{self.banner}\n".encode())
                async for chunk in stream:
                    await stream.send(chunk)
            except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
                pass  # the client (or the address forwarding it) went away

    async def offline(self) -> None:
        await self._stop()
        self.log.info("stopped")

    async def terminate(self) -> None:
        await self._stop()

    async def _stop(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            name = self.properties.service_name
            if self.local_registry.get(SERVICES_KEY, name) == port:
                self.local_registry.delete(SERVICES_KEY, name)
        server, self._server = self._server, None
        listener, self._listener = self._listener, None
        if server is not None:
            await server.terminate()
        if listener is not None:
            await listener.aclose()

    async def looks_alive(self) -> bool:
        return self._server is not None and not self._server.done

    async def is_alive(self) -> bool:
        if self._server is None or self._server.done or self._port is None:
            return False
        with anyio.move_on_after(_PROBE_TIMEOUT):
            try:
                async with await anyio.connect_tcp(_LOOPBACK, self._port) as stream:
                    reader = BufferedByteReceiveStream(stream)
                    banner = await reader.receive_until(b"\n", _MAX_LINE)
                    await stream.send(b"probe\n")
                    echoed = await reader.receive_until(b"\n", _MAX_LINE)
            except (OSError, anyio.EndOfStream, anyio.IncompleteRead, anyio.BrokenResourceError):
                return False
            return banner == self.banner.encode() and echoed == b"probe"
        return False


# -- setting them up ----------------------------------------------------------------------------


async def register_types(cluster: clusapi.Cluster) -> None:
    """Register the Virtual Address and Echo Service types with ``cluster``."""
    await cluster.create_resource_type(VirtualAddress)
    await cluster.create_resource_type(NodeEchoService)


async def create_address_and_echo(
    group: clusapi.Group,
    port: int,
    *,
    address: str = "127.0.0.1",
    service_name: str = "echo",
) -> tuple[clusapi.Resource, clusapi.Resource]:
    """Create resources ``address`` (Virtual Address) and ``echo`` (Echo Service, depending on
    it) in ``group``; both start offline.

    Returns:
        The two resources: ``(address, echo)``.
    """
    ip = await group.create_resource("address", VirtualAddress.type_name)
    await ip.set_private_properties(address=address, port=port, service_name=service_name)
    echo = await group.create_resource("echo", NodeEchoService.type_name)
    await echo.set_private_properties(service_name=service_name)
    await echo.add_dependency(ip)
    return ip, echo


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` now (the kernel's choice for port 0)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def _node_of(banner: bytes) -> str:
    text = banner.decode(errors="replace").strip()
    return text.removeprefix(_GREETING)


async def ask(host: str, port: int) -> str:
    """Connect once, and return the name of the node that greets us.

    Raises:
        OSError: if nothing accepts on ``host:port``, or the connection breaks.
        TimeoutError: if no greeting comes within a second.
    """
    with anyio.fail_after(_ASK_TIMEOUT):
        async with await anyio.connect_tcp(host, port) as stream:
            try:
                banner = await BufferedByteReceiveStream(stream).receive_until(b"\n", _MAX_LINE)
            except (anyio.IncompleteRead, anyio.EndOfStream) as exc:
                raise ConnectionResetError(f"{host}:{port} closed without a greeting") from exc
    return _node_of(banner)


# -- the client ---------------------------------------------------------------------------------


@attrs.frozen
class Reply:
    """One answered request: when (on the client's clock) and which node answered."""

    time: float
    node: str


@attrs.frozen
class ClientEvent:
    """A change in the client's connection: ``connected`` (to ``node``) or ``lost``."""

    time: float
    kind: Literal["connected", "lost"]
    #: The node that greeted the client on this connection.
    node: str
    #: For ``lost``: why the connection ended.
    reason: str = ""
    #: For ``connected``: how many attempts failed since the previous connection ended.
    failed_attempts: int = 0


@attrs.define(eq=False)
class EchoClient:
    """A client that keeps using one address: one request every ``interval`` seconds over a
    connection, and a new connection ``retry_interval`` seconds after one breaks or fails.

    Example::

        client = EchoClient("127.0.0.1", 7100)
        async with anyio.create_task_group() as tg:
            tg.start_soon(client.run)
            reply = await client.wait_for_reply("NODE2")   # time and node of the reply
            tg.cancel_scope.cancel()

    Every reply is in :attr:`replies`; connections made and lost are in :attr:`events` and,
    as they happen, passed to ``on_event``.
    """

    host: str
    port: int
    interval: float = 0.1
    retry_interval: float = 0.1
    #: Seconds to wait for a greeting or an echo before giving the connection up.
    timeout: float = 1.0
    #: The clock that stamps replies and events (default: the event loop's).
    clock: Callable[[], float] = anyio.current_time
    on_event: Callable[[ClientEvent], None] | None = None
    replies: list[Reply] = attrs.field(factory=list, init=False)
    events: list[ClientEvent] = attrs.field(factory=list, init=False)
    #: Set (and dropped) at each new reply or event; made by the first waiter, inside the loop.
    _changed: anyio.Event | None = attrs.field(default=None, init=False)

    async def run(self) -> None:
        """Talk to the address until cancelled."""
        failures = 0
        sequence = 0
        while True:
            node: str | None = None
            try:
                with anyio.fail_after(self.timeout):
                    stream = await anyio.connect_tcp(self.host, self.port)
                async with stream:
                    reader = BufferedByteReceiveStream(stream)
                    with anyio.fail_after(self.timeout):
                        node = _node_of(await reader.receive_until(b"\n", _MAX_LINE))
                    self._record_event(ClientEvent(self.clock(), "connected", node, "", failures))
                    failures = 0
                    while True:
                        sequence += 1
                        request = f"request {sequence}".encode()
                        with anyio.fail_after(self.timeout):
                            await stream.send(request + b"\n")
                            answer = await reader.receive_until(b"\n", _MAX_LINE)
                        if answer != request:
                            raise ConnectionError(f"got {answer!r} for {request!r}")
                        self.replies.append(Reply(self.clock(), node))
                        self._wake()
                        await anyio.sleep(self.interval)
            except (
                OSError,
                TimeoutError,
                anyio.EndOfStream,
                anyio.IncompleteRead,
                anyio.BrokenResourceError,
                anyio.DelimiterNotFound,
            ) as exc:
                if node is not None:
                    self._record_event(ClientEvent(self.clock(), "lost", node, _describe(exc)))
                else:
                    failures += 1
            await anyio.sleep(self.retry_interval)

    def _record_event(self, event: ClientEvent) -> None:
        self.events.append(event)
        if self.on_event is not None:
            self.on_event(event)
        self._wake()

    def _wake(self) -> None:
        changed, self._changed = self._changed, None
        if changed is not None:
            changed.set()

    async def wait_for_reply(self, node: str | None = None, *, after: float | None = None) -> Reply:
        """The first reply from ``node`` (any node if None) stamped later than ``after``,
        waiting for it if there is none yet.

        Wrap it in ``anyio.fail_after`` to bound the wait.
        """
        while True:
            for reply in self.replies:
                if (after is None or reply.time > after) and node in (None, reply.node):
                    return reply
            if self._changed is None:
                self._changed = anyio.Event()
            await self._changed.wait()

    def outage_around(self, moment: float) -> tuple[Reply, Reply] | None:
        """The last reply at or before ``moment`` and the first one after it, if both exist:
        the client's view of an outage that began at ``moment``."""
        before = [r for r in self.replies if r.time <= moment]
        after = [r for r in self.replies if r.time > moment]
        if not before or not after:
            return None
        return before[-1], after[0]


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    if isinstance(exc, (anyio.EndOfStream, anyio.IncompleteRead)):
        return "closed by the server"
    return str(exc) or type(exc).__name__


# -- python -m examples.virtual_address ---------------------------------------------------------


async def main(port: int | None = None) -> int:
    """Bring the pair online in a 2-node reference cluster, move it, take it offline, and
    print what a client of the address sees at each step."""
    port = free_port() if port is None else port
    where = f"127.0.0.1:{port}"
    async with open_reference_cluster(
        nodes=("NODE1", "NODE2"), heartbeat_interval=0.5, node_timeout=2.0
    ) as env:
        cluster = env.cluster
        await register_types(cluster)
        group = await cluster.create_group("web")
        await create_address_and_echo(group, port)
        print(f"group 'web': Virtual Address {where} <- Echo Service (depends on it)")

        async def check(step: str, expected: str | None) -> bool:
            try:
                seen: str | None = await ask("127.0.0.1", port)
            except (OSError, TimeoutError):
                seen = None
            answer = f"answered by {seen}" if seen is not None else "refuses connections"
            print(f"{step:<26} {where} {answer}")
            return seen == expected

        ok = True
        await group.online("NODE1")
        ok &= await check("online on NODE1:", "NODE1")
        await group.move("NODE2")
        ok &= await check("moved to NODE2:", "NODE2")
        await group.offline()
        ok &= await check("offline:", None)
    print("OK" if ok else "FAILED: the address did not follow the group")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(anyio.run(main))
