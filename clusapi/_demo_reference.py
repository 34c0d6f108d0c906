"""The reference engine of ``python -m clusapi demo``: an in-process cluster on real time.

It starts a 3-node reference cluster on real time (heartbeat every 0.5 s, a node is declared
down after 2 s without one), creates group ``web`` from the example types of
``examples/virtual_address.py`` (a Virtual Address on a loopback TCP port and an Echo Service
that depends on it), and runs the story of :mod:`clusapi._demo` on it: online, a client,
crash of the owner (``env.crash_node``), failover, restart (``env.restart_node``), failback
inside the group's failback window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import anyio

from examples.virtual_address import (
    EchoClient,
    create_address_and_echo,
    free_port,
    register_types,
)

from ._demo import (
    GROUP,
    HOLD,
    DemoError,
    Observer,
    Timings,
    client_reply,
    describe_client_event,
    gap_before,
    outage,
    stamp,
    status_block,
    status_line,
    summary,
)
from ._enums import ClusterChange, FailbackType, GroupState, LogLevel, NodeState
from .testing import open_reference_cluster

if TYPE_CHECKING:
    from examples.virtual_address import ClientEvent

    from ._demo import Failure, Screen

__all__ = ("ReferenceEngine",)

NODES: Final = ("NODE1", "NODE2", "NODE3")
HEARTBEAT_INTERVAL: Final = 0.5
NODE_TIMEOUT: Final = 2.0
#: The cluster-local hour at time 0, inside the failback window, so failback happens in the run.
START_HOUR: Final = 9
FAILBACK_WINDOW: Final = (9, 10)
ADDRESS: Final = "127.0.0.1"
#: The longest the whole demo may take before it gives up.
TOTAL_TIMEOUT: Final = 50.0
#: How often the status line is redrawn on a terminal.
LIVE_INTERVAL: Final = 0.2


class ReferenceEngine:
    """The demo's story on a 3-node reference cluster in this process (see the module)."""

    title = "clusapi demo: failover and failback of a virtual address, in real time"
    total_timeout = TOTAL_TIMEOUT

    def __init__(self, port: int | None) -> None:
        self.port = free_port(ADDRESS) if port is None else port

    async def run(self, screen: Screen, failure: Failure) -> Timings:
        port = self.port
        timings = Timings()
        screen.line(
            f"[1] start a {len(NODES)}-node reference cluster on real time: heartbeat every "
            f"{HEARTBEAT_INTERVAL:g} s, a node is down after {NODE_TIMEOUT:g} s without one"
        )
        async with open_reference_cluster(
            nodes=NODES,
            name="DEMO",
            heartbeat_interval=HEARTBEAT_INTERVAL,
            node_timeout=NODE_TIMEOUT,
            start_hour=START_HOUR,
        ) as env:
            try:
                cluster = env.cluster
                # Cluster time (what events and the log carry) from the loop's clock: the
                # cluster hour says how long ago the cluster formed.
                origin = anyio.current_time() - ((env.cluster_hour() - START_HOUR) % 24) * 3600

                def clock() -> float:
                    return anyio.current_time() - origin

                await register_types(cluster)
                group = await cluster.create_group(GROUP)
                await group.set_preferred_owners(list(NODES))
                await group.set_common_properties(
                    auto_failback_type=int(FailbackType.ALLOW_FAILBACK),
                    failback_window_start=FAILBACK_WINDOW[0],
                    failback_window_end=FAILBACK_WINDOW[1],
                )
                await create_address_and_echo(group, port, address=ADDRESS)
                start, end = FAILBACK_WINDOW
                hour = env.cluster_hour()
                screen.line(
                    f"    group {GROUP}: resource 'address' (Virtual Address {ADDRESS}:{port}) "
                    "and 'echo' (Echo Service, depends on 'address')"
                )
                screen.line(
                    f"    preferred owners {', '.join(NODES)}; failback allowed {start:02d}:00-"
                    f"{end:02d}:00; cluster-local time is {int(hour):02d}:"
                    f"{int(hour * 60) % 60:02d}"
                )
                screen.line(
                    "    times below are cluster time in seconds; changes come from a notify port"
                )

                client: EchoClient | None = None
                observer = Observer(cluster, screen)
                changes = ClusterChange.NODE_STATE | ClusterChange.GROUP_STATE
                changes |= ClusterChange.RESOURCE_STATE
                async with (
                    cluster.notifications(changes) as port_,
                    anyio.create_task_group() as tg,
                ):
                    await observer.seed()
                    tg.start_soon(observer.run, port_)

                    async def show_status() -> None:
                        for text in await status_block(cluster, clock(), client):
                            screen.line(text)

                    async def live() -> None:
                        while True:
                            screen.status(await status_line(cluster, clock(), client))
                            await anyio.sleep(LIVE_INTERVAL)

                    if screen.live:
                        tg.start_soon(live)

                    # -- online
                    screen.line()
                    screen.line(f"[2] bring group {GROUP} online")
                    await group.online()
                    info = await group.state_info()
                    if info.state is not GroupState.ONLINE or info.owner is None:
                        raise DemoError(f"group {GROUP} is {info.state.name} after online()")
                    timings.owner = owner = info.owner
                    await anyio.sleep(0.05)  # let the observer print the last changes first
                    await show_status()

                    # -- the client
                    screen.line()
                    screen.line(
                        f"[3] start a client of {ADDRESS}:{port}: a request every 0.1 s, "
                        "reconnecting 0.1 s after a failure"
                    )

                    def on_client_event(event: ClientEvent) -> None:
                        screen.line(stamp(event.time, "client", describe_client_event(event)))

                    client = EchoClient(
                        ADDRESS,
                        port,
                        interval=0.1,
                        retry_interval=0.1,
                        clock=clock,
                        on_event=on_client_event,
                    )
                    tg.start_soon(client.run)
                    await client_reply(client, owner, clock())
                    await anyio.sleep(HOLD)
                    await show_status()

                    # -- crash
                    screen.line()
                    screen.line(f"[4] crash {owner}, the owner of {GROUP}")
                    timings.crash = crash = clock()
                    env.crash_node(owner)
                    screen.line(stamp(crash, "demo", f"{owner} crashed (env.crash_node)"))
                    down = await observer.wait_for(
                        f"node {owner} DOWN",
                        lambda c: (c.kind, c.name, c.state) == ("node", owner, NodeState.DOWN.name),
                        crash,
                    )
                    timings.down = down.time
                    online = await observer.wait_for(
                        f"group {GROUP} ONLINE on another node",
                        lambda c: (
                            (c.kind, c.name, c.state) == ("group", GROUP, "ONLINE")
                            and c.owner != owner
                        ),
                        down.time,
                    )
                    timings.failed_over = online.time
                    timings.new_owner = new_owner = online.owner or "?"
                    await client_reply(client, new_owner, crash)
                    timings.outage = outage(client, crash)
                    await anyio.sleep(HOLD)
                    await show_status()

                    # -- restart and failback
                    screen.line()
                    screen.line(
                        f"[5] restart {owner}: it rejoins; {GROUP} fails back in its window"
                    )
                    restart = clock()
                    screen.line(stamp(restart, "demo", f"{owner} restarted (env.restart_node)"))
                    await env.restart_node(owner)
                    up = await observer.wait_for(
                        f"node {owner} UP",
                        lambda c: (c.kind, c.name, c.state) == ("node", owner, NodeState.UP.name),
                        restart,
                    )
                    timings.up = up.time
                    back = await observer.wait_for(
                        f"group {GROUP} ONLINE on {owner} (failback)",
                        lambda c: (
                            (c.kind, c.name, c.state, c.owner) == ("group", GROUP, "ONLINE", owner)
                        ),
                        up.time,
                    )
                    timings.failed_back = back.time
                    first = await client_reply(client, owner, up.time)
                    timings.failback_outage = gap_before(client, first.time)
                    await anyio.sleep(HOLD)
                    await show_status()
                    screen.clear_status()
                    screen.line()
                    screen.line("[6] stop the client and the cluster")
                    tg.cancel_scope.cancel()
            except BaseException:
                failure.log_tail = env.format_log(LogLevel.WARNING).splitlines()[-10:]
                raise
        return timings

    async def check_stopped(self) -> str:
        try:
            stream = await anyio.connect_tcp(ADDRESS, self.port)
        except OSError:
            # refused: the address is gone with the cluster
            return f"nothing accepts on {ADDRESS}:{self.port} any more"
        await stream.aclose()
        raise DemoError(
            f"something still accepts on {ADDRESS}:{self.port} after the cluster stopped"
        )

    def summary(self, timings: Timings) -> list[str]:
        start, end = FAILBACK_WINDOW
        return summary(
            timings,
            detection=f"heartbeat {HEARTBEAT_INTERVAL:g} s, node timeout {NODE_TIMEOUT:g} s",
            failback=f"window {start:02d}:00-{end:02d}:00",
        )
