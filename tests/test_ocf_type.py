"""OCF resource agents as resapi resource types (``resapi._ocf_type``)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

import clusapi
import resapi.testing
from clusapi.testing import open_reference_cluster
from resapi._ocf_type import OcfAgentResource, ocf_resource_type, parse_meta_data

DUMMY = Path("/usr/lib/ocf/resource.d/heartbeat/Dummy")

pytestmark = [
    pytest.mark.skipif(sys.platform == "win32", reason="OCF agents are POSIX executables"),
    pytest.mark.skipif(
        not DUMMY.exists(), reason="needs the OCF Dummy agent: apt-get install resource-agents"
    ),
]


def _monitor(rsctmp: str, instance: str) -> int:
    """Exit code of the Dummy's monitor, run outside the runtime."""
    env = {
        **os.environ,
        "OCF_ROOT": "/usr/lib/ocf",
        "OCF_RESOURCE_INSTANCE": instance,
        "HA_RSCTMP": rsctmp,
    }
    return subprocess.run([str(DUMMY), "monitor"], env=env, check=False).returncode


def test_meta_data_gives_the_dummy_parameters_with_their_defaults() -> None:
    cls = ocf_resource_type("ocf:heartbeat:Dummy")
    assert issubclass(cls, OcfAgentResource)
    assert cls.type_name == "ocf:heartbeat:Dummy"
    items = {item.name: item for item in cls.Properties.items()}
    assert {"state", "fake"} <= set(items)
    assert items["fake"].default == "dummy"
    assert "Dummy" in str(items["state"].default)
    assert not items["state"].required
    assert cls.pending_timeout == 20000  # start timeout="20s"
    assert cls.looks_alive_poll_interval == 10000  # monitor interval="10s" depth="0"
    # A stable import path, resolvable by the runtime's loader.
    import resapi._ocf_type as module

    assert cls.__module__ == "resapi._ocf_type"
    assert getattr(module, cls.__qualname__) is cls
    assert ocf_resource_type("ocf:heartbeat:Dummy") is cls  # built once


def test_meta_data_types_required_and_dashes() -> None:
    meta = parse_meta_data(
        """<?xml version="1.0"?>
        <resource-agent name="T">
          <parameters>
            <parameter name="ip-address" required="1"><content type="string"/></parameter>
            <parameter name="port"><content type="integer" default="80"/></parameter>
            <parameter name="debug"><content type="boolean" default="false"/></parameter>
            <parameter name="items"><content type="string" default="x"/></parameter>
          </parameters>
          <actions>
            <action name="start" timeout="2m"/>
            <action name="monitor" timeout="20" interval="5s" depth="0"/>
            <action name="monitor" timeout="20" interval="30s" depth="10"/>
          </actions>
        </resource-agent>"""
    )
    assert [(p.name, p.kind, p.default, p.required) for p in meta.parameters] == [
        ("ip-address", str, None, True),
        ("port", int, 80, False),
        ("debug", bool, False, False),
        ("items", str, "x", False),
    ]
    assert meta.timeouts["start"] == 120
    assert (meta.looks_alive_interval, meta.is_alive_interval) == (5, 30)


def test_a_missing_agent_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(clusapi.ClusterError, match=r"ocf:heartbeat:NoSuchAgent.*not found"):
        ocf_resource_type("ocf:heartbeat:NoSuchAgent")
    with pytest.raises(clusapi.ClusterError, match="resource-agents"):
        ocf_resource_type(str(tmp_path / "nothing"), ocf_root=str(tmp_path))
    with pytest.raises(clusapi.ClusterError, match="ocf:PROVIDER:TYPE"):
        ocf_resource_type("ocf::Dummy")


@pytest.mark.asyncio
async def test_the_dummy_passes_the_conformance_check(tmp_path: Path) -> None:
    cls = ocf_resource_type("ocf:heartbeat:Dummy")
    state = tmp_path / "dummy.state"
    report = await resapi.testing.check_resource(cls, properties={"state": str(state)})
    assert report.ok, report


@pytest.mark.asyncio
async def test_a_failing_start_names_the_agent_code_and_stderr(tmp_path: Path) -> None:
    agent = tmp_path / "Broken"
    agent.write_text(
        "#!/bin/sh\n"
        'case "$1" in\n'
        "  meta-data) echo '<resource-agent name=\"Broken\"><parameters/></resource-agent>';;\n"
        "  start) echo 'no such thing' >&2; exit 5;;\n"
        "  monitor) exit 7;;\n"
        "  *) exit 0;;\n"
        "esac\n"
    )
    agent.chmod(0o755)
    cls = ocf_resource_type(str(agent))
    report = await resapi.testing.check_resource(cls)
    assert not report.ok
    assert "OCF_ERR_INSTALLED" in str(report), report
    assert "no such thing" in str(report), report


@pytest.mark.asyncio
@pytest.mark.virtual_time(autojump_threshold=0.05)
async def test_a_dummy_resource_fails_over_when_its_node_crashes() -> None:
    cls = ocf_resource_type("ocf:heartbeat:Dummy")
    async with open_reference_cluster(nodes=("N1", "N2")) as env:
        cluster = env.cluster
        await cluster.create_resource_type(cls)
        group = await cluster.create_group("g")
        await group.set_preferred_owners(["N1", "N2"])
        # Default state file: under each node's own HA_RSCTMP.
        # A fresh name: the per-node directories outlive the cluster (see the module doc).
        name = f"dummy-{uuid.uuid4().hex[:8]}"
        res = await group.create_resource(name, cls.type_name)
        await group.online()
        assert (await group.state_info()).owner == "N1"
        assert await res.state() is clusapi.ResourceState.ONLINE
        env.crash_node("N1")
        await env.advance(30)
        assert (await group.state_info()).owner == "N2"
        assert await res.state() is clusapi.ResourceState.ONLINE
        # The agent on N2 says it is running there (its own state directory).
        rsctmp = str(Path(tempfile.gettempdir(), "clusapi-ocf", "N2"))
        assert _monitor(rsctmp, name) == 0
        assert _monitor(rsctmp.replace("N2", "N1"), name) == 7  # terminated on N1
        await group.offline()
        assert _monitor(rsctmp, name) == 7


@pytest.mark.asyncio
@pytest.mark.virtual_time(autojump_threshold=0.05)
async def test_a_cluster_registers_an_agent_by_its_ocf_name(tmp_path):
    from clusapi.testing import open_reference_cluster

    async with open_reference_cluster(nodes=("N1", "N2")) as env:
        rtype = await env.cluster.create_resource_type("ocf:heartbeat:Dummy")
        assert rtype.name == (await env.cluster.open_resource_type(rtype.name)).name
        group = await env.cluster.create_group("g")
        res = await group.create_resource(f"dummy-{tmp_path.name}", rtype.name)
        await res.set_private_properties(state=str(tmp_path / "dummy.state"))
        await group.online()
        assert await res.state() is clusapi.ResourceState.ONLINE
        await group.offline()
