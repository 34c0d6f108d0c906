"""Cluster events reach the stdlib logging hierarchy like a library's (issue 16, item 4):
``clusapi.cluster``, ``clusapi.node.<name>`` and the resources' ``resapi.resource.<type>``,
with the objects' names in ``extra``; nothing is configured (a NullHandler)."""

from __future__ import annotations

import logging
from typing import ClassVar

import pytest

import resapi
from clusapi.testing import open_reference_cluster

pytestmark = [pytest.mark.asyncio, pytest.mark.virtual_time]


class Flaky(resapi.Resource):
    """Online works; IsAlive fails once ``broken`` is set (one failure per trip)."""

    type_name = "Flaky"
    broken: ClassVar[set[str]] = set()
    is_alive_poll_interval = 1000
    looks_alive_poll_interval = 1000

    async def online(self) -> None:
        self.log.info("serving")

    async def offline(self) -> None:
        pass

    async def looks_alive(self) -> bool:
        return self.name not in self.broken

    async def is_alive(self) -> bool:
        if self.name in self.broken:
            self.broken.discard(self.name)
            return False
        return True

    async def terminate(self) -> None:
        pass


def records(caplog: pytest.LogCaptureFixture, name: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == name]


async def test_the_library_configures_nothing_but_a_null_handler() -> None:
    for name in ("clusapi", "resapi"):
        handlers = logging.getLogger(name).handlers
        assert [type(h) for h in handlers] == [logging.NullHandler], name


async def test_failures_restarts_and_moves_reach_the_clusapi_loggers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    async with open_reference_cluster(("N1", "N2"), name="CLUS") as env:
        await env.cluster.create_resource_type(Flaky)
        group = await env.cluster.create_group("web")
        await group.create_resource("ip", "Flaky")
        await group.online("N1")
        Flaky.broken.add("ip")
        await env.advance(5)  # IsAlive fails: failed, restarted
        await group.move("N2")
        await env.settle()
        env.crash_node("N1")
        await env.advance(10)

    on_n1 = records(caplog, "clusapi.node.N1")
    failed = next(r for r in on_n1 if r.getMessage() == "resource ip: failed")
    assert failed.levelno == logging.ERROR
    assert (failed.cluster, failed.node, failed.resource) == ("CLUS", "N1", "ip")  # type: ignore[attr-defined]
    assert (failed.group, failed.resource_type) == ("web", "Flaky")  # type: ignore[attr-defined]
    assert any(r.getMessage() == "resource ip: failure policy: restart" for r in on_n1)

    cluster = records(caplog, "clusapi.cluster")
    messages = [r.getMessage() for r in cluster]
    assert "cluster: cluster 'CLUS' formed with 2 nodes" in messages
    assert all(r.node is None for r in cluster)  # type: ignore[attr-defined]
    assert any(r.levelno >= logging.WARNING and "N1" in r.getMessage() for r in caplog.records)

    # The resource's own words stay on its logger, with its names in extra too.
    own = records(caplog, "resapi.resource.Flaky")
    assert own
    assert own[0].getMessage() == "ip: serving"
    assert (own[0].resource, own[0].resource_type, own[0].node) == ("ip", "Flaky", "N1")  # type: ignore[attr-defined]


async def test_every_cluster_log_entry_is_a_log_record(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="clusapi")
    async with open_reference_cluster(("N1", "N2")) as env:
        await env.cluster.create_resource_type(Flaky)
        group = await env.cluster.create_group("web")
        await group.create_resource("ip", "Flaky")
        await group.online()
        env.crash_node("N1")
        await env.advance(10)
        entries = [e for e in env.log if e.level >= resapi.LogLevel.INFORMATION]
    mirrored = [r for r in caplog.records if r.name.startswith("clusapi.")]
    assert [f"{e.source}: {e.message}" for e in entries] == [r.getMessage() for r in mirrored]
    for entry, record in zip(entries, mirrored, strict=True):
        expected = "clusapi.cluster" if entry.node == "-" else f"clusapi.node.{entry.node}"
        assert record.name == expected
        assert record.cluster_time == entry.time  # type: ignore[attr-defined]


async def test_nothing_is_logged_below_the_configured_level(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="clusapi")
    async with open_reference_cluster(("N1", "N2")) as env:
        group = await env.cluster.create_group("web")
        await group.online()
    assert not [r for r in caplog.records if r.name.startswith("clusapi.") and r.levelno < 30]
