"""OCF resource agents as resapi resource types (``resapi._ocf._type``)."""

from __future__ import annotations

import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio
import pytest

import clusapi
import resapi
import resapi.ocf
import resapi.testing
from clusapi.testing import open_reference_cluster
from resapi._ocf._type import (
    OcfAgentResource,
    instance_name,
    ocf_resource_type,
    parse_meta_data,
)
from resapi._resource import NODE_ENVIRONMENT_KEY

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


def _node_temp(env: object, node: str) -> str:
    """The TEMP directory of a simulated node (its system environment)."""
    return env.node_registry(node)[NODE_ENVIRONMENT_KEY]["TEMP"]  # type: ignore[attr-defined]


def _rsctmp(env: object, node: str) -> str:
    """The HA_RSCTMP the bridge gives agents on a simulated node."""
    return str(Path(_node_temp(env, node), "ocf", "rsctmp"))


#: A test agent. ``start`` sleeps ``sleep`` seconds, then exits with ``code`` on node
#: ``bad_node`` (on every node when it is empty) and succeeds elsewhere; each action is
#: appended to the file ``log`` as "ACTION NODE".
FLAKY = """#!/bin/sh
: ${OCF_RESKEY_code=0}
: ${OCF_RESKEY_sleep=0}
state="$HA_RSCTMP/Flaky-$OCF_RESOURCE_INSTANCE.state"
if [ -n "$OCF_RESKEY_log" ]; then echo "$1 $OCF_RESKEY_CRM_meta_on_node" >> "$OCF_RESKEY_log"; fi
case "$1" in
meta-data) cat <<END
<?xml version="1.0"?>
<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">
<resource-agent name="Flaky" version="1.0">
<version>1.0</version>
<longdesc lang="en">Fails its start on one node, with a chosen exit code.</longdesc>
<shortdesc lang="en">A test agent</shortdesc>
<parameters>
<parameter name="code"><shortdesc lang="en">start's exit code</shortdesc>
<content type="integer" default="0"/></parameter>
<parameter name="bad_node"><shortdesc lang="en">where start fails</shortdesc>
<content type="string" default=""/></parameter>
<parameter name="sleep"><shortdesc lang="en">start's duration, seconds</shortdesc>
<content type="string" default="0"/></parameter>
<parameter name="log"><shortdesc lang="en">action log file</shortdesc>
<content type="string" default=""/></parameter>
</parameters>
<actions>
<action name="start" timeout="START_TIMEOUT"/>
<action name="stop" timeout="20s"/>
<action name="monitor" timeout="20s" interval="10s" depth="0"/>
<action name="meta-data" timeout="5s"/>
</actions>
</resource-agent>
END
;;
start)
  sleep "$OCF_RESKEY_sleep"
  if [ "$OCF_RESKEY_code" != 0 ]; then
    node="$OCF_RESKEY_CRM_meta_on_node"
    if [ -z "$OCF_RESKEY_bad_node" ] || [ "$OCF_RESKEY_bad_node" = "$node" ]; then
      echo "ocf-exit-reason:start refused with $OCF_RESKEY_code" >&2
      exit "$OCF_RESKEY_code"
    fi
  fi
  touch "$state"; exit 0;;
stop) rm -f "$state"; exit 0;;
monitor) if [ -f "$state" ]; then exit 0; fi; exit 7;;
*) exit 3;;
esac
"""


def _flaky(tmp_path: Path, *, start_timeout: str = "20s") -> type[resapi.Resource]:
    """The test agent, installed in a private OCF root, as a resource type."""
    agent = tmp_path / "ocf" / "resource.d" / "test" / "Flaky"
    agent.parent.mkdir(parents=True)
    agent.write_text(FLAKY.replace("START_TIMEOUT", start_timeout))
    agent.chmod(0o755)
    return resapi.ocf.agent_type("ocf:test:Flaky", ocf_root=str(tmp_path / "ocf"))


def _actions(log: Path, action: str = "start") -> list[str]:
    """The nodes the agent ran ``action`` on, in order."""
    if not log.exists():
        return []
    lines = [line.split() for line in log.read_text().splitlines()]
    return [words[1] for words in lines if words[0] == action]


def _existing(paths: list[str]) -> list[str]:
    return [p for p in paths if Path(p).is_dir()]


def _log_text(env: object) -> str:
    return "\n".join(e.message for e in env.log)  # type: ignore[attr-defined]


def test_meta_data_gives_the_dummy_parameters_with_their_defaults() -> None:
    cls = ocf_resource_type("ocf:heartbeat:Dummy")
    assert issubclass(cls, OcfAgentResource)
    assert cls.type_name == "ocf:heartbeat:Dummy"
    items = {item.name: item for item in cls.Properties.items()}
    assert {"state", "fake"} <= set(items)
    assert items["fake"].default == "dummy"
    assert "Dummy" in str(items["state"].default)
    assert not items["state"].required
    assert items["state"].unique  # unique="1"
    assert not items["fake"].unique
    # The longest start/stop timeout (20 s) plus the margin: the agent's own timeout decides.
    assert cls.pending_timeout == 25000
    assert cls.looks_alive_poll_interval == 10000  # monitor interval="10s" depth="0"
    # A stable import path, resolvable by the runtime's loader.
    import resapi._ocf._type as module

    assert cls.__module__ == "resapi._ocf._type"
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
async def test_a_group_of_dummies_fails_over_when_its_node_crashes() -> None:
    cls = ocf_resource_type("ocf:heartbeat:Dummy")
    async with open_reference_cluster(nodes=("N1", "N2")) as env:
        cluster = env.cluster
        await cluster.create_resource_type(cls)
        group = await cluster.create_group("g")
        await group.set_preferred_owners(["N1", "N2"])
        # Default state files: under each node's own HA_RSCTMP, private to this cluster.
        first = await group.create_resource("first", cls.type_name)
        second = await group.create_resource("second", cls.type_name)
        await second.add_dependency(first)
        await group.online()
        assert (await group.state_info()).owner == "N1"
        assert await first.state() is clusapi.ResourceState.ONLINE
        assert await second.state() is clusapi.ResourceState.ONLINE
        assert [_monitor(_rsctmp(env, "N1"), n) for n in ("first", "second")] == [0, 0]
        env.crash_node("N1")
        await env.advance(30)
        assert (await group.state_info()).owner == "N2"
        assert await first.state() is clusapi.ResourceState.ONLINE
        assert await second.state() is clusapi.ResourceState.ONLINE
        # The agents on N2 say they run there (its own state directory); the crashed
        # node's instances were terminated (stop), so N1's says they do not.
        rsctmp = _rsctmp(env, "N2")
        assert [_monitor(rsctmp, n) for n in ("first", "second")] == [0, 0]
        assert [_monitor(_rsctmp(env, "N1"), n) for n in ("first", "second")] == [7, 7]
        await group.offline()
        assert [_monitor(rsctmp, n) for n in ("first", "second")] == [7, 7]


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


def test_agent_type_is_the_public_name_of_the_builder(tmp_path: Path) -> None:
    assert "agent_type" in resapi.ocf.__all__
    assert resapi.ocf.agent_type("ocf:heartbeat:Dummy") is ocf_resource_type("ocf:heartbeat:Dummy")
    with pytest.raises(clusapi.ClusterError, match="not found"):
        resapi.ocf.agent_type("ocf:test:Nothing", ocf_root=str(tmp_path))
    flaky = _flaky(tmp_path)
    assert flaky.type_name == "ocf:test:Flaky"
    assert {i.name for i in flaky.Properties.items()} == {"code", "bad_node", "sleep", "log"}


@pytest.mark.asyncio
@pytest.mark.virtual_time(autojump_threshold=0.05)
async def test_each_node_of_each_cluster_has_its_own_state_directory() -> None:
    cls = ocf_resource_type("ocf:heartbeat:Dummy")
    # Two clusters with the same node names, at the same time (as two tests could be).
    async with (
        open_reference_cluster(nodes=("N1", "N2")) as one,
        open_reference_cluster(nodes=("N1", "N2")) as two,
    ):
        temps = [_node_temp(env, node) for env in (one, two) for node in ("N1", "N2")]
        assert len(set(temps)) == 4
        assert _existing(temps) == temps
        for env in (one, two):
            await env.cluster.create_resource_type(cls)
            group = await env.cluster.create_group("g")
            await group.create_resource("dummy", cls.type_name)
        group_one = await one.cluster.open_group("g")
        await group_one.online("N1")
        # Same resource name, same node name: only cluster one's N1 has the state file.
        assert _monitor(_rsctmp(one, "N1"), "dummy") == 0
        assert _monitor(_rsctmp(one, "N2"), "dummy") == 7
        assert _monitor(_rsctmp(two, "N1"), "dummy") == 7
        group_two = await two.cluster.open_group("g")
        await group_two.online("N1")  # its start does not find cluster one's state file
        assert _monitor(_rsctmp(two, "N1"), "dummy") == 0
        await group_two.offline()
        assert _monitor(_rsctmp(one, "N1"), "dummy") == 0  # untouched by cluster two
    # Closing an environment removes its nodes' directories.
    assert _existing(temps) == []


@pytest.mark.asyncio
@pytest.mark.virtual_time(autojump_threshold=0.05)
async def test_the_delay_agent_is_online_pending_during_its_start_delay() -> None:
    delay = ocf_resource_type("ocf:heartbeat:Delay")
    async with open_reference_cluster(nodes=("N1", "N2")) as env:
        await env.cluster.create_resource_type(delay)
        group = await env.cluster.create_group("g")
        res = await group.create_resource("delay", delay.type_name)
        await res.set_private_properties(startdelay=1, stopdelay=0, mondelay=0)
        seen: list[tuple[clusapi.ResourceState, float]] = []
        real_start = time.monotonic()
        await group.online(wait=False)
        with anyio.fail_after(60):  # virtual seconds, which pass no faster than real ones here
            while not seen or seen[-1][0] is not clusapi.ResourceState.ONLINE:
                seen.append((await res.state(), time.monotonic() - real_start))
                await anyio.sleep(0.05)
        pending = [t for state, t in seen if state is clusapi.ResourceState.ONLINE_PENDING]
        assert pending, seen
        # OnlinePending for (nearly) the whole start delay of one real second.
        assert max(pending) - min(pending) >= 0.7, seen
        assert {state for state, _ in seen} == {
            clusapi.ResourceState.ONLINE_PENDING,
            clusapi.ResourceState.ONLINE,
        }
        await group.offline()
        assert await res.state() is clusapi.ResourceState.OFFLINE


@pytest.mark.asyncio
@pytest.mark.virtual_time(autojump_threshold=0.05)
async def test_the_virtual_clock_waits_for_a_slow_agent(tmp_path: Path) -> None:
    # start takes 0.5 s of real time; its timeout is 20 s. On a clock that jumped ahead
    # whenever the loop is idle, PendingTimeout (virtual) would end it long before.
    flaky = _flaky(tmp_path)
    async with open_reference_cluster(nodes=("N1",)) as env:
        await env.cluster.create_resource_type(flaky)
        group = await env.cluster.create_group("g")
        res = await group.create_resource("slow", flaky.type_name)
        await res.set_private_properties(sleep="0.5")
        await res.set_common_properties(pending_timeout=2000)  # tight, to make the point
        virtual, real = anyio.current_time(), time.monotonic()
        await group.online()
        virtual, real = anyio.current_time() - virtual, time.monotonic() - real
        assert await res.state() is clusapi.ResourceState.ONLINE
        assert real >= 0.5
        # While the agent ran, virtual time advanced no faster than real time.
        assert virtual <= real + 0.05, (virtual, real)
        await group.offline()


@pytest.mark.asyncio
@pytest.mark.virtual_time  # autojump_threshold=0: what the threshold above prevents
async def test_without_an_autojump_threshold_virtual_time_outruns_a_slow_agent(
    tmp_path: Path,
) -> None:
    flaky = _flaky(tmp_path)
    async with open_reference_cluster(nodes=("N1",)) as env:
        await env.cluster.create_resource_type(flaky)
        group = await env.cluster.create_group("g")
        res = await group.create_resource("slow", flaky.type_name)
        await res.set_private_properties(sleep="0.5")
        await res.set_common_properties(pending_timeout=2000, restart_action=0)
        with pytest.raises(clusapi.ResourceFailedError):
            await group.online()
        # 2 s of virtual time passed while the agent slept 0.5 s of real time.
        assert "(PendingTimeout)" in _log_text(env)


@pytest.mark.asyncio
@pytest.mark.virtual_time(autojump_threshold=0.05)
async def test_an_agent_past_its_advertised_timeout_is_killed(tmp_path: Path) -> None:
    flaky = _flaky(tmp_path, start_timeout="1s")
    real = time.monotonic()
    async with resapi.testing.run_resource(flaky, properties={"sleep": "10"}) as h:
        assert await h.online() is clusapi.ResourceState.FAILED
    assert time.monotonic() - real < 8  # killed after about 1 s, not after its 10 s sleep
    errors = "\n".join(h.messages(resapi.LogLevel.ERROR))
    assert "did not finish within its timeout of 1 s" in errors, errors
    assert "'ocf:test:Flaky'" in errors
    assert "start" in errors


# -- the exit codes of start and the failure policy --------------------------------------


async def _failing_group(
    env: object, flaky: type[resapi.Resource], log: Path, **private: object
) -> tuple[clusapi.Group, clusapi.Resource]:
    cluster: clusapi.Cluster = env.cluster  # type: ignore[attr-defined]
    await cluster.create_resource_type(flaky)
    group = await cluster.create_group("g")
    await group.set_preferred_owners(["N1", "N2"])
    res = await group.create_resource("flaky", flaky.type_name)
    await res.set_private_properties(log=str(log), **private)
    return group, res


@pytest.mark.asyncio
@pytest.mark.virtual_time(autojump_threshold=0.05)
async def test_start_exit_1_restarts_then_fails_over(tmp_path: Path) -> None:
    flaky, log = _flaky(tmp_path), tmp_path / "actions"
    async with open_reference_cluster(nodes=("N1", "N2")) as env:
        group, res = await _failing_group(env, flaky, log, code=1, bad_node="N1")
        await res.set_common_properties(restart_threshold=1)
        with pytest.raises(clusapi.ResourceFailedError):
            await group.online()
        await env.advance(5)
        assert (await group.state_info()).owner == "N2"
        assert await res.state() is clusapi.ResourceState.ONLINE
        # The normal policy: one restart on N1 (threshold 1), then the failover.
        assert _actions(log) == ["N1", "N1", "N2"]
        text = _log_text(env)
        assert "'ocf:test:Flaky'" in text
        assert "start for resource 'flaky' on node 'N1' exited with 1 (OCF_ERR_GENERIC)" in text
        assert "start refused with 1" in text  # the agent's own reason
        assert "failure policy: restart" in text
        assert "failure policy: fail over" in text
        await group.offline()


@pytest.mark.asyncio
@pytest.mark.virtual_time(autojump_threshold=0.05)
async def test_start_exit_5_rules_the_node_out(tmp_path: Path) -> None:
    flaky, log = _flaky(tmp_path), tmp_path / "actions"
    async with open_reference_cluster(nodes=("N1", "N2")) as env:
        group, res = await _failing_group(env, flaky, log, code=5, bad_node="N1")
        with pytest.raises(clusapi.ResourceFailedError):
            await group.online()
        await env.advance(5)
        # No restart on N1: straight to N2, where it runs.
        assert (await group.state_info()).owner == "N2"
        assert await res.state() is clusapi.ResourceState.ONLINE
        assert _actions(log) == ["N1", "N2"]
        text = _log_text(env)
        assert "start for resource 'flaky' on node 'N1' exited with 5 (OCF_ERR_INSTALLED)" in text
        assert "'ocf:test:Flaky'" in text
        assert "ERROR_NODE_CANT_HOST_RESOURCE" in text
        assert "failure policy: fail over (it cannot come online on N1: no restart there)" in text
        assert "failure policy: restart" not in text
        # The user's configured possible owners are unchanged.
        assert {n.name for n in await res.possible_owners()} == {"N1", "N2"}
        # N2 crashes: N1 is never tried again, the group stays offline.
        env.crash_node("N2")
        await env.advance(20)
        assert _actions(log) == ["N1", "N2"]
        assert await res.state() is not clusapi.ResourceState.ONLINE
        assert "no node can bring it online after its owner went down" in _log_text(env)
        # An administrator's online on N1 tries it there again (once fixed, it runs).
        await res.set_private_properties(code=0)
        await group.online("N1")
        assert await res.state() is clusapi.ResourceState.ONLINE
        assert _actions(log) == ["N1", "N2", "N1"]
        await group.offline()


@pytest.mark.asyncio
@pytest.mark.virtual_time(autojump_threshold=0.05)
async def test_start_exit_6_fails_it_everywhere_without_restarts(tmp_path: Path) -> None:
    flaky, log = _flaky(tmp_path), tmp_path / "actions"
    async with open_reference_cluster(nodes=("N1", "N2")) as env:
        group, res = await _failing_group(env, flaky, log, code=6)
        # Short periods, so that a retry after RetryPeriodOnFailure would fall in the test.
        await res.set_common_properties(restart_period=1000, retry_period_on_failure=2000)
        with pytest.raises(clusapi.ResourceFailedError):
            await group.online()
        await env.advance(10)
        assert _actions(log) == ["N1"]  # no restart, no failover, no retry
        assert await res.state() is clusapi.ResourceState.FAILED
        info = await group.state_info()
        assert (info.state, info.owner) == (clusapi.GroupState.FAILED, "N1")
        text = _log_text(env)
        assert "start for resource 'flaky' on node 'N1' exited with 6 (OCF_ERR_CONFIGURED)" in text
        assert "'ocf:test:Flaky'" in text
        assert "failure policy: give up (it cannot come online on any node" in text
        # Its node crashes: the group moves, the resource is not started there either.
        env.crash_node("N1")
        await env.advance(20)
        assert (await group.state_info()).owner == "N2"
        assert _actions(log) == ["N1"]
        assert await res.state() is clusapi.ResourceState.FAILED
        # Fixed and brought online by hand, it runs.
        await res.set_private_properties(code=0)
        await group.online()
        assert await res.state() is clusapi.ResourceState.ONLINE
        assert _actions(log) == ["N1", "N2"]
        await group.offline()


# -- the same mechanism for an ordinary resapi resource ------------------------------------


class NeedsTool(resapi.Resource):
    """Cannot come online on the node its ``missing_on`` property names."""

    type_name = "Needs Tool"

    class Properties(resapi.PropertyTable):
        missing_on: str = resapi.prop(default="")

    async def online(self) -> None:
        if self.node_name == self.properties.missing_on:
            raise resapi.CannotComeOnlineOnThisNode(
                resapi.Win32Error.ERROR_NODE_CANT_HOST_RESOURCE,
                f"the tool is not installed on {self.node_name}",
            )

    async def offline(self) -> None:
        pass

    async def terminate(self) -> None:
        pass

    async def looks_alive(self) -> bool:
        return True

    async def is_alive(self) -> bool:
        return True


@pytest.mark.asyncio
async def test_a_resource_reports_where_it_cannot_come_online() -> None:
    # The harness runs it "on" this machine.
    here = {"missing_on": platform.node()}
    async with resapi.testing.run_resource(NeedsTool, properties=here) as h:
        # Outside a reference cluster the node's TEMP is the machine's.
        assert h.resource.temp_directory == tempfile.gettempdir()
        assert await h.online() is clusapi.ResourceState.FAILED
    assert h.states()[:4] == [
        clusapi.ResourceState.OFFLINE,
        clusapi.ResourceState.ONLINE_PENDING,
        clusapi.ResourceState.CANNOT_COME_ONLINE_ON_THIS_NODE,
        clusapi.ResourceState.FAILED,
    ]


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_a_resapi_resource_fails_over_from_a_node_it_cannot_use() -> None:
    async with open_reference_cluster(nodes=("N1", "N2", "N3")) as env:
        await env.cluster.create_resource_type(NeedsTool)
        group = await env.cluster.create_group("g")
        await group.set_preferred_owners(["N1", "N2", "N3"])
        res = await group.create_resource("r", "Needs Tool")
        await res.set_private_properties(missing_on="N1")
        with pytest.raises(clusapi.ResourceFailedError):
            await group.online()
        await env.advance(5)
        assert (await group.state_info()).owner == "N2"
        assert await res.state() is clusapi.ResourceState.ONLINE
        # A move without a target avoids N1; naming N1 tries it there (and fails over again).
        await group.move()
        assert (await group.state_info()).owner == "N3"
        with pytest.raises(clusapi.ResourceFailedError):
            await group.move("N1")
        await env.advance(5)
        assert (await group.state_info()).owner == "N2"
        assert "the tool is not installed on N1" in _log_text(env)


def test_instance_names_are_one_to_one() -> None:
    names = ["web_1", "web 1", "web/1", "web\u00e91", "-web", "", "a" * 101, "a" * 100]
    instances = [instance_name(n) for n in names]
    assert len(set(instances)) == len(names)
    assert instance_name("web_1") == "web_1"  # a safe name stays as it is
    assert instance_name("db-2.prod") == "db-2.prod"
    assert instance_name("a" * 100) == "a" * 100
    for instance in instances:
        assert re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", instance), instance
        assert len(instance) <= 100
    # A safe name that looks like a mapped one is mapped too, so it cannot meet one.
    mapped = instance_name("web 1")
    assert instance_name(mapped) != mapped


@pytest.mark.asyncio
@pytest.mark.virtual_time(autojump_threshold=0.05)
async def test_resources_whose_names_sanitise_alike_keep_their_own_state_files() -> None:
    # "web 1" and "web_1" used to share OCF_RESOURCE_INSTANCE "web_1", so one state file:
    # stopping one made the other's monitor fail.
    cls = ocf_resource_type("ocf:heartbeat:Dummy")
    async with open_reference_cluster(nodes=("N1",)) as env:
        await env.cluster.create_resource_type(cls)
        spaced_group = await env.cluster.create_group("spaced")
        plain_group = await env.cluster.create_group("plain")
        spaced = await spaced_group.create_resource("web 1", cls.type_name)
        plain = await plain_group.create_resource("web_1", cls.type_name)
        await spaced_group.online("N1")
        await plain_group.online("N1")
        rsctmp = _rsctmp(env, "N1")
        assert _monitor(rsctmp, "web_1") == 0
        assert _monitor(rsctmp, instance_name("web 1")) == 0
        await spaced_group.offline()
        assert await spaced.state() is clusapi.ResourceState.OFFLINE
        assert _monitor(rsctmp, instance_name("web 1")) == 7
        assert _monitor(rsctmp, "web_1") == 0  # the other one's state file is still there
        await env.advance(30)  # its polls (every 10 s) still find it running
        assert await plain.state() is clusapi.ResourceState.ONLINE
        assert not [e.message for e in env.log if e.level >= resapi.LogLevel.ERROR]
        await plain_group.offline()


#: A test agent whose ``start`` leaves a process in the background (its PID in the file
#: ``pidfile``), then hangs past its timeout of 1 s.
SPAWNER = """#!/bin/sh
case "$1" in
meta-data) cat <<END
<?xml version="1.0"?>
<resource-agent name="Spawner" version="1.0">
<version>1.0</version>
<parameters>
<parameter name="pidfile"><content type="string" default=""/></parameter>
</parameters>
<actions><action name="start" timeout="1s"/><action name="stop" timeout="5s"/></actions>
</resource-agent>
END
exit 0;;
start) sleep 1000 & echo $! > "$OCF_RESKEY_pidfile"; sleep 1000; exit 0;;
stop) exit 0;;
monitor) exit 7;;
*) exit 3;;
esac
"""


def _running(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for its parent, or init, to reap it does not)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except FileNotFoundError:
        return False
    return fields[0] != "Z"


@pytest.mark.asyncio
@pytest.mark.virtual_time(autojump_threshold=0.05)
async def test_an_agent_killed_for_its_timeout_takes_its_children_along(tmp_path: Path) -> None:
    agent = tmp_path / "Spawner"
    agent.write_text(SPAWNER)
    agent.chmod(0o755)
    pidfile = tmp_path / "child.pid"
    cls = ocf_resource_type(str(agent))
    orphan = None
    try:
        async with resapi.testing.run_resource(cls, properties={"pidfile": str(pidfile)}) as h:
            assert await h.online() is clusapi.ResourceState.FAILED
            orphan = int(pidfile.read_text())
            for _ in range(100):  # SIGKILL is delivered at once; allow 5 s on a busy machine
                if not _running(orphan):
                    break
                await anyio.sleep(0.05)  # virtual: the autojump threshold makes it 50 ms real
            assert not _running(orphan), "the agent's background child outlived its timeout"
        assert "did not finish within its timeout of 1 s" in "\n".join(
            h.messages(resapi.LogLevel.ERROR)
        )
    finally:
        if orphan is not None and _running(orphan):  # what the fix prevents: clean it up
            os.killpg(os.getpgid(orphan), signal.SIGKILL)
