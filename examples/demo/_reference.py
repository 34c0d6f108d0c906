"""The reference engine of ``python -m examples.demo``: an in-process cluster on real time.

It starts a 3-node reference cluster on real time (heartbeat every 0.5 s, a node is declared
down after 2 s without one), creates group ``web`` from the example types of
``examples/virtual_address.py`` (a Virtual Address on a loopback TCP port and an Echo Service
that depends on it), and runs the story of :mod:`examples.demo._story` on it: online, a client,
crash of the owner (``env.crash_node``), failover, restart (``env.restart_node``), failback
inside the group's failback window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import anyio

from clusapi import FailbackType
from clusapi.testing import open_reference_cluster
from examples.virtual_address import (
    EchoClient,
    create_address_and_echo,
    free_port,
    register_types,
)
from resapi import LogLevel

from ._story import GROUP, DemoError, Timings, open_story, outage, stamp, summary

if TYPE_CHECKING:
    from ._story import Failure, Screen

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

                async with open_story(cluster, screen, clock) as story:
                    # -- online
                    timings.owner = owner = await story.bring_online(group)
                    await anyio.sleep(0.05)  # let the observer print the last changes first
                    await story.show_status()

                    # -- the client
                    screen.line()
                    screen.line(
                        f"[3] start a client of {ADDRESS}:{port}: a request every 0.1 s, "
                        "reconnecting 0.1 s after a failure"
                    )
                    client = EchoClient(
                        ADDRESS,
                        port,
                        interval=0.1,
                        retry_interval=0.1,
                        clock=clock,
                        on_event=story.show_client_event,
                    )
                    await story.start_client(client, owner)
                    await story.hold()

                    # -- crash
                    screen.line()
                    screen.line(f"[4] crash {owner}, the owner of {GROUP}")
                    timings.crash = crash = clock()
                    env.crash_node(owner)
                    screen.line(stamp(crash, "demo", f"{owner} crashed (env.crash_node)"))
                    await story.fail_over(timings)
                    # The crash is complete at its stamp: the outage is the gap around it.
                    timings.outage = outage(client, crash)
                    await story.hold()

                    # -- restart and failback
                    screen.line()
                    screen.line(
                        f"[5] restart {owner}: it rejoins; {GROUP} fails back in its window"
                    )
                    restart = clock()
                    screen.line(stamp(restart, "demo", f"{owner} restarted (env.restart_node)"))
                    await env.restart_node(owner)
                    await story.fail_back(timings, restart)
                    await story.hold()
                    screen.clear_status()
                    screen.line()
                    screen.line("[6] stop the client and the cluster")
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
