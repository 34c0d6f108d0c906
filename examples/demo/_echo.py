"""The echo service of ``python -m examples.demo --engine pacemaker``, run as an OCF agent.

The example's Echo Service (:class:`examples.virtual_address.NodeEchoService`) listens on a
private loopback port, which the example's Virtual Address finds in the node's local registry
and forwards to. Under Pacemaker that hand-over cannot work: each agent instance runs in a
host daemon of its own (``resapi/_ocf/_agent.py``), with a local registry of its own, and a real
cluster's address is a real IP address, Pacemaker's ``ocf:heartbeat:IPaddr2``, not a port.

So the Pacemaker demo installs this subclass (``python -m resapi.ocf install
examples.demo._echo:DemoEchoService``, agent ``ocf:resapi:demo-echo-service``): the
example's greeting (``echo from <node>``), echo and health checks, listening on
``Address:Port`` itself. ``Address`` is ``0.0.0.0`` by default: every address the node has,
the group's IPaddr2 address included once that is up (the resource depends on it), and
loopback, where the example's IsAlive probes.
"""

from __future__ import annotations

import anyio
import anyio.abc

import resapi
from examples.virtual_address import SERVICES_KEY, EchoServiceProperties, NodeEchoService

__all__ = ("DemoEchoProperties", "DemoEchoService")


class DemoEchoProperties(EchoServiceProperties):
    """Private properties of the Demo Echo Service type (the example's, plus where to listen)."""

    address: str = resapi.prop(
        default="0.0.0.0",  # on purpose: the moving address, and loopback for IsAlive
        description="address to listen on (0.0.0.0: all of the node's addresses)",
    )
    port: int = resapi.prop(required=True, minimum=1, maximum=65535, description="TCP port")


class DemoEchoService(NodeEchoService):
    """The example's Echo Service on a fixed ``Address:Port``, for a real cluster."""

    type_name = "Demo Echo Service"
    # The example assigns both without a ClassVar annotation, so mypy pins them to its values.
    Properties = DemoEchoProperties  # type: ignore[assignment]
    #: The address is Pacemaker's IPaddr2 here, not the example's Virtual Address type.
    required_dependencies = ()  # type: ignore[assignment]

    async def online(self) -> None:
        props = self.properties
        if not isinstance(props, DemoEchoProperties):  # the monitor loads our own table
            raise TypeError(f"unexpected property table {type(props).__name__}")
        # The example's Offline, Terminate, LooksAlive and IsAlive work from these three.
        self._listener = await anyio.create_tcp_listener(
            local_host=props.address, local_port=props.port, reuse_port=False
        )
        self._port = props.port
        self._server = self.start_worker(self._serve, self._listener)
        self.local_registry.set(SERVICES_KEY, props.service_name, props.port)
        self.log.info("listening on %s:%d as %r", props.address, props.port, self.banner)
