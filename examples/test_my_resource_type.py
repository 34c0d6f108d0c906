"""How to test a resource type of your own: a test module to copy and adapt.

Run it from the repository root::

    python -m pytest examples/test_my_resource_type.py

It tests ``JobRunner``, a small resource type defined below (in your project it lives in your
own package and this module imports it), at three levels, each with the tool made for it:

1. **The contract** (:func:`resapi.testing.check_resource`): the conformance kit drives one
   instance through its whole life (open, online, probes, offline, terminate, close) and
   reports every breach of the Resource API contract. One line; start here.
2. **The type's own behaviour** (:func:`resapi.testing.run_resource`): the harness runs one
   instance by itself, through the same host as the cluster, and records every status report
   and log entry; you call the entry points and assert on what the resource reported.
3. **Failover behaviour** (:func:`clusapi.testing.open_reference_cluster`): a whole cluster in
   this process, driven through the ordinary Cluster API, with test controls on the
   environment (crash a node, let time pass, read the cluster log).

The async tests run on **virtual time**: the ``virtual_time`` marker gives each an event loop
whose clock jumps ahead whenever the loop is idle, so the resource's five-second warm-up, the
cluster's five-second failure detection and minutes of work take microseconds, and every run
gives the same answer. A type that does real I/O (sockets, child processes) needs the loop
to wait a moment for it before the clock jumps; mark its tests
``@pytest.mark.virtual_time(autojump_threshold=0.05)`` (see docs/testing.md).
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, ClassVar

import anyio
import pytest

import clusapi
import resapi
from clusapi import GroupState, ResourceState
from clusapi.testing import ReferenceEnvironment, open_reference_cluster
from resapi.testing import check_resource, run_resource

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

# The `virtual_time` marker comes from the SDK's pytest plugin, registered (a pytest11 entry
# point) when the package is installed: no conftest.py line is needed.


# -- the resource type under test --------------------------------------------------------------


class JobProperties(resapi.PropertyTable):
    """The private properties of a Job Runner."""

    warmup_seconds: int = resapi.prop(
        default=5, minimum=0, maximum=600, description="seconds Online spends loading caches"
    )
    job_interval: int = resapi.prop(
        default=1000, minimum=10, description="milliseconds between two jobs"
    )


class JobRunner(resapi.Resource[JobProperties]):
    """Runs a job every JobInterval ms after a warm-up; counts the jobs done in the registry.

    The count lives under :attr:`STATE_KEY` in the node's local registry; make that key a
    registry checkpoint of the resource and the count follows it to whichever node runs it.
    """

    type_name = "Job Runner"
    Properties = JobProperties
    STATE_KEY: ClassVar[str] = "SOFTWARE\\JobRunner"

    def __init__(self, context: resapi.ResourceContext) -> None:
        super().__init__(context)
        self.worker: resapi.Worker | None = None

    async def online(self) -> None:
        # A long Online is fine, as long as it reports progress within PendingTimeout.
        for _ in range(self.properties.warmup_seconds):
            await anyio.sleep(1)
            self.checkpoint()
        self.worker = self.start_worker(self._run_jobs)

    async def _run_jobs(self) -> None:
        while True:
            await anyio.sleep(self.properties.job_interval / 1000)
            done = self.local_registry.get(self.STATE_KEY, "JobsDone", default=0)
            assert isinstance(done, int)
            self.local_registry.set(self.STATE_KEY, "JobsDone", done + 1)

    async def offline(self) -> None:
        await self._stop()

    async def terminate(self) -> None:
        await self._stop()

    async def _stop(self) -> None:
        worker, self.worker = self.worker, None
        if worker is not None:
            await worker.terminate()

    async def looks_alive(self) -> bool:
        return self.worker is not None and not self.worker.done

    async def is_alive(self) -> bool:
        return self.worker is not None and not self.worker.done


# -- 1. the contract: the conformance kit ------------------------------------------------------


@pytest.mark.asyncio  # run by pytest-asyncio...
@pytest.mark.virtual_time  # ...on an event loop with a virtual clock
async def test_passes_the_conformance_kit() -> None:
    # The kit reports every breach with the step that found it; printing the report (as the
    # assert message does) shows the whole run when something is wrong.
    report = await check_resource(JobRunner, properties={"warmup_seconds": 3})
    assert report.ok, report


# -- 2. the type's behaviour: the harness ------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_online_pends_through_the_warmup_and_reports_progress() -> None:
    async with run_resource(JobRunner, properties={"warmup_seconds": 3}) as h:
        start = anyio.current_time()
        assert await h.online() is ResourceState.ONLINE
        # Three seconds of warm-up passed, on the virtual clock, in no time at all.
        assert anyio.current_time() - start == 3
        assert h.states() == [
            ResourceState.OFFLINE,
            ResourceState.ONLINE_PENDING,
            ResourceState.ONLINE,
        ]
        assert h.checkpoints() == [1, 2, 3]  # one progress report a second


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_jobs_are_counted_in_the_local_registry() -> None:
    async with run_resource(JobRunner, properties={"warmup_seconds": 0, "job_interval": 500}) as h:
        await h.online()
        await anyio.sleep(10.2)  # twenty jobs' worth (plus a little, to stay off the edge)
        assert h.resource.local_registry.get(JobRunner.STATE_KEY, "JobsDone") == 20
        assert await h.offline() is ResourceState.OFFLINE
        await anyio.sleep(10)  # offline means no more jobs
        assert h.resource.local_registry.get(JobRunner.STATE_KEY, "JobsDone") == 20


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_a_dead_worker_fails_the_resource_at_the_next_health_check() -> None:
    async with run_resource(JobRunner, properties={"warmup_seconds": 0}) as h:
        await h.online()
        runner = h.resource
        assert isinstance(runner, JobRunner)  # the harness hands back the instance it runs
        assert runner.worker is not None
        await runner.worker.terminate()  # as if the job loop had crashed
        # LooksAlive says no, so the host asks IsAlive, which says no too: Failed.
        assert await h.check_health() is False
        assert h.state is ResourceState.FAILED
        assert any("IsAlive returned False" in m for m in h.messages(resapi.LogLevel.ERROR))


def test_bad_properties_are_rejected_before_anything_runs() -> None:
    # The property table checks values when they are set, with a message that names the
    # property (by its registry name) and the limit.
    with pytest.raises(resapi.PropertyError, match="'JobInterval'") as info:
        JobRunner.Properties.verify({"job_interval": 5})
    assert info.value.winerror == resapi.Win32Error.ERROR_INVALID_PARAMETER


# -- 3. failover behaviour: the reference cluster ----------------------------------------------


@contextlib.asynccontextmanager
async def job_cluster() -> AsyncIterator[
    tuple[ReferenceEnvironment, clusapi.Group, clusapi.Resource]
]:
    """A two-node cluster with one group, "jobs", holding one Job Runner, online on N1.

    An async context manager rather than a fixture, so each test shows where its cluster
    starts and stops; the cluster runs in the test's event loop, on its virtual clock.
    """
    async with open_reference_cluster(nodes=("N1", "N2")) as env:
        cluster = env.cluster  # an ordinary clusapi.Cluster: this is the code you ship
        await cluster.create_resource_type(JobRunner)
        group = await cluster.create_group("jobs")
        await group.set_preferred_owners(["N1", "N2"])
        runner = await group.create_resource("runner", JobRunner.type_name)
        await runner.add_registry_checkpoint(JobRunner.STATE_KEY)
        await group.online()
        yield env, group, runner


async def wait_for(group: clusapi.Group, state: GroupState, owner: str) -> None:
    """Wait until ``group`` is in ``state`` on ``owner``: a notify port says when to look.

    Time passes meanwhile (virtual time, so instantly); bound the wait with
    ``anyio.fail_after(seconds)``, which counts cluster seconds too.
    """
    wanted = clusapi.GroupStateInfo(state, owner)
    async with group.cluster.notifications(clusapi.ClusterChange.GROUP_STATE) as port:
        # Open the port first, then look: a change after the look is in the port.
        while await group.state_info() != wanted:
            await port.receive()


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_the_group_fails_over_when_its_node_crashes_and_keeps_its_count() -> None:
    async with job_cluster() as (env, group, runner):
        # group.online() returned once the Job Runner was up, its 5 s warm-up done. Jobs run
        # at whole seconds from then on; stay half a second off them, so that "which came
        # first, the job or the check?" never arises.
        await env.advance(60.5)
        assert env.node_registry("N1")[JobRunner.STATE_KEY]["JobsDone"] == 60

        env.crash_node("N1")  # no Offline, no goodbye: the node is simply gone
        crashed = anyio.current_time()
        # N2 notices after node_timeout (5 s) without heartbeats, takes the group over, and
        # the Job Runner warms up there for 5 s. Twelve seconds is the promise to keep;
        # on failure, the cluster log in the message says what happened instead.
        with anyio.fail_after(12):
            await wait_for(group, GroupState.ONLINE, "N2")
        assert anyio.current_time() - crashed >= 10, env.format_log()
        assert await runner.state() is ResourceState.ONLINE
        # The checkpoint brought the count along: N2 carries on from 60, not from 0.
        assert env.node_registry("N2")[JobRunner.STATE_KEY]["JobsDone"] == 60
        await env.advance(10.5)
        assert env.node_registry("N2")[JobRunner.STATE_KEY]["JobsDone"] == 70


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_a_failing_resource_is_restarted_in_place_then_failed_over() -> None:
    async with job_cluster() as (env, group, runner):
        # Tolerate one restart per RestartPeriod; the failure after that moves the group.
        await runner.set_common_properties(restart_threshold=1)

        await runner.fail()  # what FailClusterResource does: as if IsAlive had said no
        await env.advance(10)  # RestartDelay (500 ms), then 5 s of warm-up
        assert await group.state_info() == clusapi.GroupStateInfo(GroupState.ONLINE, "N1")

        await runner.fail()  # the second failure within RestartPeriod exceeds the threshold
        await env.advance(10)
        assert await group.state_info() == clusapi.GroupStateInfo(GroupState.ONLINE, "N2")
        # env.log is the cluster log as data: here, the failure policy's two decisions.
        decisions = [e.message for e in env.log if e.message.startswith("failure policy")]
        assert decisions == ["failure policy: restart", "failure policy: fail over"]
