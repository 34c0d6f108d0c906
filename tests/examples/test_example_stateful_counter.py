"""The stateful counter example: a checkpointed count that survives the crash of its node."""

from __future__ import annotations

import struct

import pytest

import resapi
from examples.stateful_counter import (
    COUNTER_KEY,
    GET_COUNT,
    HANDLE_REQUEST,
    RequestCounter,
    main,
    run_demo,
)
from resapi.testing import check_resource, run_resource

pytestmark = [pytest.mark.asyncio, pytest.mark.virtual_time]


def count(reply: object) -> int:
    assert isinstance(reply, bytes)
    (value,) = struct.unpack("<Q", reply)
    return int(value)


async def test_no_acknowledged_request_is_lost_or_counted_twice():
    lines: list[str] = []
    demo = await run_demo(requests_before=20, requests_after=10, out=lines.append)
    assert (demo.first_owner, demo.second_owner) == ("NODE1", "NODE2")
    assert demo.count_before_crash == 20
    assert demo.count_restored == 20  # the survivor resumed where the crashed node stopped
    assert demo.acknowledged == demo.final_count == 30
    # Detection takes node_timeout (5 s) after the last heartbeat: a few refused calls.
    assert 4 <= demo.refused <= 8
    # The cluster database kept the mirrored count while no node ran the service.
    assert demo.mirrored_during_outage == 20
    assert demo.mirrored_at_end == 30
    log = "\n".join(lines)
    assert (
        "NODE2    INFORMATION Request Counter requests: serving on NODE2, resuming at count 20"
        in log
    )
    assert "Request Counter requests: stopped at count 30" in log


async def test_different_amounts_of_traffic_add_up_too():
    demo = await run_demo(requests_before=3, requests_after=4, out=lambda _: None)
    assert (demo.count_before_crash, demo.count_restored, demo.final_count) == (3, 3, 7)
    assert demo.mirrored_at_end == 7


async def test_main_says_nothing_was_lost(capsys: pytest.CaptureFixture[str]):
    assert await main() == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == "30 requests acknowledged, count 30: nothing lost"


async def test_the_type_passes_the_conformance_kit():
    report = await check_resource(RequestCounter)
    assert report.ok, report


async def test_requests_count_in_the_registry_and_only_while_online():
    async with run_resource(RequestCounter) as h:
        with pytest.raises(resapi.ClusterError) as refused:
            await h.control(HANDLE_REQUEST)
        assert refused.value.winerror == resapi.Win32Error.ERROR_RESOURCE_NOT_ONLINE
        assert await h.online() is resapi.ResourceState.ONLINE
        assert [count(await h.control(HANDLE_REQUEST)) for _ in range(3)] == [1, 2, 3]
        assert count(await h.control(GET_COUNT)) == 3  # reading does not count
        registry = h.resource.local_registry
        assert registry.get(COUNTER_KEY, "Count") == 3
        assert registry.values(COUNTER_KEY) == {"Count": 3}
        # Other codes go to the monitor's default processing.
        assert await h.control(HANDLE_REQUEST + 0x100) is resapi.NOT_HANDLED


async def test_online_resumes_from_the_registry_and_refuses_a_count_it_cannot_read():
    async with run_resource(RequestCounter) as h:
        h.resource.local_registry.set(COUNTER_KEY, "Count", 41)
        assert await h.online() is resapi.ResourceState.ONLINE
        assert count(await h.control(HANDLE_REQUEST)) == 42
        assert any("resuming at count 41" in m for m in h.messages())
        await h.offline()

        h.resource.local_registry.set(COUNTER_KEY, "Count", "lots")
        assert await h.online() is resapi.ResourceState.FAILED
        (error,) = h.messages(resapi.LogLevel.ERROR)
        assert "is 'lots', not a number (ERROR_INVALID_DATA, 13)" in error
