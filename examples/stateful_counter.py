"""A stateful service that keeps counting across a failover: registry checkpoints at work.

The "Request Counter" resource type counts the requests it serves. It keeps the count in its
node's local registry, under a key that the resource names as a *registry checkpoint*: while
the resource is online, the cluster captures every change under that key into the cluster
database, and before the resource comes online on another node it restores the key there. So
when the node running the counter crashes, the survivor resumes from the last count it
acknowledged: no request is lost and none is counted twice.

Clients reach the service wherever it runs through a control code the type defines
(``CLUSCTL_USER_CODE``): the cluster routes the call to the node that owns the resource, as a
network name would route a real client. A management task mirrors the count into the cluster
database with a :class:`clusapi.ClusterKey`, so the last known count is readable even while the
service is down. Run it (a two-node reference cluster on virtual time, so it takes a moment of
wall time)::

    python -m examples.stateful_counter

The core is :func:`run_demo`; ``tests/examples/test_example_stateful_counter.py`` checks its
numbers.
"""

from __future__ import annotations

import struct
import sys
from typing import TYPE_CHECKING, Final, Literal

import anyio
import attrs

import clusapi
import resapi
from clusapi.lowlevel import ControlAccess, ControlObject, make_error, user_control_code
from clusapi.testing import ReferenceEnvironment, VirtualClock, open_reference_cluster

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = (
    "COUNTER_KEY",
    "CounterDemo",
    "GET_COUNT",
    "HANDLE_REQUEST",
    "MIRROR_KEY",
    "RequestCounter",
    "get_count",
    "main",
    "mirror_count",
    "run_demo",
    "send_request",
)

#: The node-local registry key the counter writes, and the resource's registry checkpoint.
COUNTER_KEY: Final = "SOFTWARE\\RequestCounter"

#: Serve one request; the reply is the count including it (8 bytes, little-endian). It
#: changes the service's state, so it needs write access to the resource.
HANDLE_REQUEST: Final = user_control_code(1, ControlObject.RESOURCE) | ControlAccess.WRITE
#: Read the count without serving a request (8 bytes, little-endian).
GET_COUNT: Final = user_control_code(2, ControlObject.RESOURCE) | ControlAccess.READ

#: Where the management side mirrors the count in the cluster database (from the root key).
MIRROR_KEY: Final = "Applications\\RequestCounter"

_COUNT: Final = struct.Struct("<Q")


class RequestCounter(resapi.Resource):
    """Counts the requests it serves, in a registry key that survives failover.

    Online reads the count the cluster restored (0 the first time); each ``HANDLE_REQUEST``
    adds one and writes it back before replying, so an acknowledged request is always in the
    checkpoint. Nothing is kept only in memory, which is what makes the failover lossless.
    """

    type_name = "Request Counter"

    def __init__(self, context: resapi.ResourceContext) -> None:
        super().__init__(context)
        self._online = False

    def _count(self) -> int:
        count = self.local_registry.get(COUNTER_KEY, "Count", default=0)
        if not isinstance(count, int):
            # Someone wrote a string there by hand: refuse to guess rather than reset to 0.
            raise make_error(
                resapi.Win32Error.ERROR_INVALID_DATA,
                f"resource {self.name!r}: the value Count under {COUNTER_KEY!r} on node "
                f"{self.node_name!r} is {count!r}, not a number",
                fix="set it to a REG_DWORD or REG_QWORD, or delete it to start from 0",
            )
        return count

    async def online(self) -> None:
        count = self._count()
        self._online = True
        self.log.info("serving on %s, resuming at count %d", self.node_name, count)

    async def offline(self) -> None:
        self._online = False
        self.log.info("stopped at count %d", self._count())

    async def terminate(self) -> None:
        self._online = False

    async def looks_alive(self) -> bool:
        return self._online

    async def is_alive(self) -> bool:
        return self._online

    async def control(
        self, code: int, data: bytes
    ) -> bytes | Literal[resapi.NotHandled.NOT_HANDLED]:
        if code not in (HANDLE_REQUEST, GET_COUNT):
            return resapi.NOT_HANDLED  # the monitor answers the standard codes
        if not self._online:
            raise make_error(
                resapi.Win32Error.ERROR_RESOURCE_NOT_ONLINE,
                f"resource {self.name!r} serves requests only while it is online",
                fix="bring its group online, or retry once the failover is done",
            )
        count = self._count()
        if code == HANDLE_REQUEST:
            count += 1
            # Written (and so checkpointed) before the reply: acknowledged means durable.
            self.local_registry.set(COUNTER_KEY, "Count", count, clusapi.RegValueType.QWORD)
        return _COUNT.pack(count)


# -- the client and the management side ------------------------------------------------------


async def send_request(resource: clusapi.Resource) -> int:
    """Send one request to the counter, wherever it runs; return the count it acknowledged.

    Raises:
        ClusterError: while the service is not online (during a failover, for instance).
    """
    reply = await resource.control(HANDLE_REQUEST)
    (count,) = _COUNT.unpack(reply.data)
    return int(count)


async def get_count(resource: clusapi.Resource) -> int:
    """The service's count, without serving a request.

    Raises:
        ClusterError: while the service is not online.
    """
    reply = await resource.control(GET_COUNT)
    (count,) = _COUNT.unpack(reply.data)
    return int(count)


async def mirror_count(
    cluster: clusapi.Cluster, resource: clusapi.Resource, *, interval: float = 2.0
) -> None:
    """Copy the service's count into the cluster database every ``interval`` seconds.

    Runs until cancelled. Writes ``Count`` and ``Node`` under :data:`MIRROR_KEY` in one
    batch, so a reader never sees the count of one node beside the name of another. While the
    service is down the mirror keeps the last count it saw: the cluster database survives the
    crash of any node.
    """
    root = await cluster.root_key()
    key = await root.create_key(MIRROR_KEY)
    while True:
        try:
            count = await get_count(resource)
            owner = (await resource.state_info()).owner or ""
        except clusapi.ClusterError:
            pass  # not online right now; try again at the next tick
        else:
            await key.commit(
                clusapi.RegistryBatch()
                .set_value("Count", count, clusapi.RegValueType.QWORD)
                .set_value("Node", owner)
            )
        await anyio.sleep(interval)


# -- the demonstration -----------------------------------------------------------------------


@attrs.frozen
class CounterDemo:
    """What :func:`run_demo` saw."""

    #: The node that ran the counter first, and the one it failed over to.
    first_owner: str
    second_owner: str
    #: The count the service acknowledged last before its node crashed.
    count_before_crash: int
    #: The count the survivor resumed at (its registry, restored from the checkpoint).
    count_restored: int
    #: The mirror in the cluster database while the service was down.
    mirrored_during_outage: int
    #: Calls the client made while the service was failing over, all refused.
    refused: int
    #: Requests acknowledged in all, and the service's count at the end.
    acknowledged: int
    final_count: int
    #: The mirror in the cluster database at the end.
    mirrored_at_end: int


async def run_demo(
    *, requests_before: int = 20, requests_after: int = 10, out: Callable[[str], object] = print
) -> CounterDemo:
    """Count requests on a two-node reference cluster, crash the owner, keep counting.

    The client sends one request a second (cluster time); during the failover its requests
    are refused and it retries a second later, as a real client would.
    """
    async with open_reference_cluster(nodes=("NODE1", "NODE2")) as env:
        cluster = env.cluster
        await cluster.create_resource_type(RequestCounter)
        group = await cluster.create_group("counter")
        await group.set_preferred_owners(["NODE1", "NODE2"])
        counter = await group.create_resource("requests", RequestCounter.type_name)
        # The one line that makes the state highly available:
        await counter.add_registry_checkpoint(COUNTER_KEY)
        await group.online()
        first = await _owner(group)

        def say(text: str) -> None:
            out(f"t={anyio.current_time():5.1f}s  {text}")

        say(f"'requests' is online on {first}; its checkpoint: {COUNTER_KEY}")
        async with anyio.create_task_group() as tg:
            tg.start_soon(mirror_count, cluster, counter)

            acknowledged = last = 0
            for _ in range(requests_before):
                last = await send_request(counter)
                acknowledged += 1
                await anyio.sleep(1)
            await env.settle()
            say(f"{acknowledged} requests acknowledged, count {last}")
            say(f"  {first}'s registry: Count = {_registry_count(env, first)}")
            say(f"  the mirror in the cluster database: Count = {await _mirrored(cluster)}")

            say(f"crashing {first}")
            env.crash_node(first)
            # The client finds the service gone, and asks every second whether it is back
            # (GET_COUNT changes nothing, so it is safe to retry).
            refused = during = 0
            while True:
                try:
                    restored = await get_count(counter)
                except clusapi.ClusterError as exc:
                    refused += 1
                    if refused == 1:
                        # The cluster database is still there, with the last mirrored count.
                        during = await _mirrored(cluster)
                        code = clusapi.Win32Error(exc.winerror).name
                        say(f"  refused ({code}); the mirror still says Count = {during}")
                    await anyio.sleep(1)
                else:
                    break
            second = await _owner(group)
            say(f"back online on {second} after {refused} refused calls, at count {restored}")
            for _ in range(requests_after):
                await send_request(counter)
                acknowledged += 1
                await anyio.sleep(1)
            await anyio.sleep(2)  # one more round of the mirror
            await env.settle()
            final = await get_count(counter)
            mirrored = await _mirrored(cluster)
            tg.cancel_scope.cancel()

        say(f"{acknowledged} requests acknowledged, count {final}")
        say(f"  {second}'s registry: Count = {_registry_count(env, second)}")
        say(f"  the mirror in the cluster database: Count = {mirrored}")
        await group.offline()
        out("the cluster log:")
        out(env.format_log())
        return CounterDemo(
            first_owner=first,
            second_owner=second,
            count_before_crash=last,
            count_restored=restored,
            mirrored_during_outage=during,
            refused=refused,
            acknowledged=acknowledged,
            final_count=final,
            mirrored_at_end=mirrored,
        )


async def _owner(group: clusapi.Group) -> str:
    owner = (await group.state_info()).owner
    assert owner is not None, "an online group has an owner"
    return owner


async def _mirrored(cluster: clusapi.Cluster) -> int:
    key = await (await cluster.root_key()).open_key(MIRROR_KEY)
    value = await key.value("Count")
    assert isinstance(value, int)
    return value


def _registry_count(env: ReferenceEnvironment, node: str) -> object:
    return env.node_registry(node).get(COUNTER_KEY, {}).get("Count")


async def main() -> int:
    """Run the demonstration and say whether any count was lost."""
    demo = await run_demo()
    lost = demo.acknowledged - demo.final_count
    print(
        f"{demo.acknowledged} requests acknowledged, count {demo.final_count}: "
        + ("nothing lost" if lost == 0 else f"{lost} LOST")
    )
    return 0 if lost == 0 and demo.count_restored == demo.count_before_crash else 1


if __name__ == "__main__":
    # Virtual time: the heartbeats, the 5 s failure detection and the client's one request a
    # second pass in milliseconds of wall time.
    sys.exit(anyio.run(main, backend_options={"loop_factory": VirtualClock().new_event_loop}))
