"""open_reference_cluster itself refuses bad arguments with the right ClusterError and Win32
code, and lets an error raised in its body through unchanged.

(The bad-input cases of the handles, run on a reference cluster, are in
tests/clusapi/test_bad_input.py.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

import clusapi
from clusapi import Win32Error
from clusapi.testing import open_reference_cluster

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from clusapi.testing import ReferenceEnvironment

NODES = ("N1", "N2", "N3")


async def _no_group(env: ReferenceEnvironment) -> None:
    await env.cluster.open_group("nope")


@pytest.mark.asyncio
@pytest.mark.virtual_time
@pytest.mark.parametrize(
    ("nodes", "body", "error", "code"),
    [
        pytest.param(
            (),
            None,
            clusapi.InvalidParameterError,
            Win32Error.ERROR_INVALID_PARAMETER,
            id="no-nodes",
        ),
        pytest.param(
            ("N1", "n1"),
            None,
            clusapi.ObjectExistsError,
            Win32Error.ERROR_CLUSTER_NODE_EXISTS,
            id="duplicate-node",
        ),
        pytest.param(
            ("N1", ""),
            None,
            clusapi.InvalidParameterError,
            Win32Error.ERROR_INVALID_PARAMETER,
            id="empty-node-name",
        ),
        pytest.param(
            ("N1", 5),
            None,
            clusapi.InvalidParameterError,
            Win32Error.ERROR_INVALID_PARAMETER,
            id="int-node-name",
        ),
        pytest.param(
            NODES,
            _no_group,
            clusapi.GroupNotFoundError,
            Win32Error.ERROR_GROUP_NOT_FOUND,
            id="error-in-body",
        ),
    ],
)
async def test_open_reference_cluster_bad_input(
    nodes: tuple[Any, ...],
    body: Callable[[ReferenceEnvironment], Awaitable[None]] | None,
    error: type[clusapi.ClusterError],
    code: Win32Error,
) -> None:
    raised: Exception | None = None
    try:
        async with open_reference_cluster(nodes) as env:
            if body is not None:
                await body(env)
    except Exception as exc:  # reported below, without the chained traceback
        raised = exc
    if raised is None:
        pytest.fail("did not raise", pytrace=False)
    if type(raised) is not error or getattr(raised, "winerror", None) is not code:
        pytest.fail(f"raised {raised!r}, expected {error.__name__} with {code.name}", pytrace=False)


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_an_evicted_node_handle_says_the_node_left() -> None:
    # The shared rules' text for a node handle whose node is gone (clusapi._rules.gone); only
    # the reference runtime can evict a node, so the contract suite cannot check it on both.
    async with open_reference_cluster(("N1", "N2", "N3"), name="C") as env:
        node3 = await env.cluster.open_node("N3")
        env.crash_node("N3")
        while await node3.state() is not clusapi.NodeState.DOWN:
            await env.advance(1)
        await node3.evict()
        with pytest.raises(clusapi.NodeNotFoundError) as info:
            await node3.state()
    assert info.value.winerror == clusapi.Win32Error.ERROR_CLUSTER_NODE_NOT_FOUND
    assert info.value.description == "node 'N3' is no longer a member of cluster 'C'"
    assert info.value.fix == "open a node that is still a member"
