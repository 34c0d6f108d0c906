"""What the reference runtime does with the CannotComeOnline exceptions a resource raises
(issue 16, item 5): raised with a message only, as any exception is, they get the documented
policy ("give up" for OnAnyNode, "not here" for OnThisNode), not the restart policy of a
TypeError."""

from __future__ import annotations

from typing import ClassVar

import pytest

import clusapi
import resapi
from clusapi import ResourceState
from clusapi.testing import open_reference_cluster

pytestmark = [pytest.mark.asyncio, pytest.mark.virtual_time]


class Picky(resapi.Resource):
    """Online raises a CannotComeOnline exception with a message only on the listed nodes."""

    type_name = "Picky"
    #: node name -> the exception Online raises there; reset per test.
    raises: ClassVar[dict[str, Exception]] = {}
    #: the nodes Online was called on, in order.
    onlines: ClassVar[list[str]] = []

    async def online(self) -> None:
        self.onlines.append(self.node_name)
        if (error := self.raises.get(self.node_name)) is not None:
            raise error

    async def offline(self) -> None:
        pass

    async def looks_alive(self) -> bool:
        return True

    async def is_alive(self) -> bool:
        return True

    async def terminate(self) -> None:
        pass


@pytest.fixture(autouse=True)
def _reset() -> None:
    Picky.raises.clear()
    Picky.onlines.clear()


async def test_cannot_come_online_on_any_node_with_a_message_gives_up() -> None:
    error = resapi.CannotComeOnlineOnAnyNode("the configured path 'data' is relative")
    Picky.raises.update(N1=error, N2=error)
    async with open_reference_cluster(("N1", "N2")) as env:
        await env.cluster.create_resource_type(Picky)
        group = await env.cluster.create_group("g")
        resource = await group.create_resource("p", "Picky")
        with pytest.raises(clusapi.ResourceFailedError):
            await group.online()
        await env.advance(3600)  # past RetryPeriodOnFailure: nothing tries again

        assert Picky.onlines == ["N1"]  # no restart, no failover
        assert (await resource.state_info()).state is ResourceState.FAILED
        log = env.format_log()
        assert "failure policy: give up (it cannot come online on any node" in log
        assert "the configured path 'data' is relative (ERROR_RESOURCE_FAILED, 5038)" in log
        assert "TypeError" not in log


async def test_cannot_come_online_on_this_node_with_a_message_fails_over_at_once() -> None:
    Picky.raises["N1"] = resapi.CannotComeOnlineOnThisNode("no license on N1")
    async with open_reference_cluster(("N1", "N2")) as env:
        await env.cluster.create_resource_type(Picky)
        group = await env.cluster.create_group("g")
        resource = await group.create_resource("p", "Picky")
        await group.set_preferred_owners(["N1", "N2"])
        with pytest.raises(clusapi.ResourceFailedError):
            await group.online("N1")
        await env.advance(60)

        assert Picky.onlines == ["N1", "N2"]  # not restarted on N1: failed over to N2
        info = await resource.state_info()
        assert (info.state, info.owner) == (ResourceState.ONLINE, "N2")
        assert "no license on N1 (ERROR_NODE_CANT_HOST_RESOURCE, 5071)" in env.format_log()
