"""The fault simulation over the user's own resource types (clusapi.testing.TypeUnderTest,
assert_fault_tolerant, ``python -m clusapi.testing.faults --type``): the example Echo
Server survives 50 seeds; a type whose Offline leaves its listener open is caught, with a
replay command that reproduces the breach."""

from __future__ import annotations

import re
import shlex
import socket
from typing import ClassVar, Final

import anyio
import anyio.abc
import attrs
import pytest

import clusapi
import resapi
from clusapi.testing import TypeUnderTest, assert_fault_tolerant, run_fault_schedule
from clusapi.testing._faults import FaultSchedule, main
from examples.echo_server import EchoProperties, EchoServer

#: Ports for the Echo Servers: below Linux's ephemeral range (32768+), where a client's own
#: port would collide with a listener; one range per test so that they can run in parallel.
GOOD_PORTS: Final = "272{index:02d}"
LEAKY_PORTS: Final = "273{index:02d}"
MISC_PORTS: Final = "274{index:02d}"

#: The 50-seed sample: a smaller workload than the built-in one (3 groups, 40 steps), since
#: every health check of an Echo Server is a real TCP round trip (measured: about 0.2 s of
#: CPU per seed).
SEEDS = range(50)
STEPS = 30
GROUPS = 3


class LeakyEchoServer(EchoServer):
    """A broken type: its Offline only logs, so its listener stays open and keeps serving."""

    type_name = "Leaky Echo Server"

    async def offline(self) -> None:
        self.log.info("stopped (not really)")


def _replay_argv(message: str) -> list[str]:
    """The arguments of the ``replay:`` line of a failure message, after ``-m MODULE``."""
    (line,) = [ln for ln in message.splitlines() if ln.startswith("replay: ")]
    words = shlex.split(line.removeprefix("replay: "))
    assert words[:3] == ["python", "-m", "clusapi.testing.faults"]
    return words[3:]


@pytest.mark.slow
def test_the_echo_server_holds_every_invariant_for_50_seeds():
    assert_fault_tolerant(
        [TypeUnderTest(EchoServer, properties={"port": GOOD_PORTS})],
        seeds=SEEDS,
        steps=STEPS,
        groups=GROUPS,
    )


@pytest.mark.slow
def test_a_type_whose_offline_leaves_its_port_open_is_caught_with_a_replayable_seed(capsys):
    types = [TypeUnderTest(LeakyEchoServer, properties={"port": LEAKY_PORTS})]
    with pytest.raises(AssertionError) as caught:
        assert_fault_tolerant(types, seeds=range(10), steps=STEPS, groups=GROUPS)
    message = str(caught.value)
    seed = int(message.split()[1].rstrip(":"))
    assert message.startswith(f"seed {seed}: ")
    assert "after Offline of 'g" in message
    assert "(type 'Leaky Echo Server') returned on NODE" in message
    assert "IsAlive says True, not False" in message
    assert f"(seed {seed})" in message
    argv = _replay_argv(message)
    assert argv[:4] == ["--seed", str(seed), "--steps", str(STEPS)]
    assert argv[-4:] == [
        "--type",
        f"{LeakyEchoServer.__module__}:LeakyEchoServer",
        "--property",
        f"port={LEAKY_PORTS}",
    ]
    # The printed command replays the seed: the same breaches, the same cluster log.
    report = run_fault_schedule(seed, steps=STEPS, groups=GROUPS, types=types)
    capsys.readouterr()
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert report.violations[0] in out
    assert report.summary() in out
    assert f"log sha256 {report.cluster_log_digest[:16]}" in out


class PortHolder(resapi.Resource[EchoProperties]):
    """A broken type: Online binds a port; Offline forgets the socket without closing it
    (IsAlive says False, but the port stays taken)."""

    type_name = "Port Holder"
    Properties = EchoProperties
    #: The sockets Offline forgot (kept open here, closed by the test).
    forgotten: ClassVar[list[socket.socket]] = []

    def __init__(self, context: resapi.ResourceContext) -> None:
        super().__init__(context)
        self._sock: socket.socket | None = None

    async def online(self) -> None:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", self.properties.port))
        except OSError:
            sock.close()
            raise
        sock.listen()
        self._sock = sock

    async def offline(self) -> None:
        if self._sock is not None:
            self.forgotten.append(self._sock)  # the bug: not closed
        self._sock = None

    async def terminate(self) -> None:
        if self._sock is not None:
            self._sock.close()
        self._sock = None

    async def looks_alive(self) -> bool:
        return self._sock is not None

    async def is_alive(self) -> bool:
        return self._sock is not None


def test_a_port_left_open_is_named_when_the_next_online_finds_it_in_use():
    types = [TypeUnderTest(PortHolder, properties={"port": MISC_PORTS})]
    try:
        with pytest.raises(AssertionError) as caught:
            assert_fault_tolerant(types, seeds=range(10), steps=STEPS, groups=GROUPS)
    finally:
        for sock in PortHolder.forgotten:
            sock.close()
        PortHolder.forgotten.clear()
    message = str(caught.value)
    seed = int(message.split()[1].rstrip(":"))
    first = message.splitlines()[1]
    assert f"(seed {seed}): Online of 'g" in first
    assert "Address already in use" in first
    assert "the address is in use, and its instance on NODE" in first
    assert "an Offline or Terminate that leaves the port open does this" in first


def test_a_type_that_is_not_importable_gets_a_replay_that_says_so():
    class Local(EchoServer):
        type_name = "Local Echo Server"

    report = run_fault_schedule(
        0, steps=1, groups=1, types=[TypeUnderTest(Local, properties={"port": MISC_PORTS})]
    )
    assert report.ok, report.failure_message()
    assert "# cannot replay as typed: " in report.replay_command
    assert "Local is not importable by a module:Class path" in report.replay_command
    assert "(--types-from)" in report.replay_command


def test_user_types_change_only_the_types_of_the_simulated_services():
    plain = FaultSchedule.generate(7, steps=60, groups=5)
    mine = FaultSchedule.generate(7, steps=60, groups=5, user_types=2)
    assert mine.steps == plain.steps
    assert mine.workload.quorum_group == plain.workload.quorum_group
    before = [r for g in plain.workload.groups for r in g.resources]
    after = [r for g in mine.workload.groups for r in g.resources]
    assert [attrs.evolve(r, type="x") for r in before] == [attrs.evolve(r, type="x") for r in after]
    services = [a.type for b, a in zip(before, after, strict=True) if b.type == "service"]
    assert services == ["user0", "user1"] * (len(services) // 2) + ["user0"] * (len(services) % 2)
    assert all(a == b for b, a in zip(before, after, strict=True) if b.type != "service")
    assert FaultSchedule.generate(7, steps=60, groups=5, user_types=0) == plain


def test_property_values_per_resource_from_a_template_or_a_callable():
    by_template = TypeUnderTest(EchoServer, properties={"port": "274{index:02d}", "banner": "hi"})
    assert by_template.values_for(EchoServer, 3) == {"Port": 27403, "Banner": "hi"}
    by_callable = TypeUnderTest(EchoServer, properties=lambda i: {"port": 27400 + i})
    assert by_callable.values_for(EchoServer, 5) == {"Port": 27405}
    by_path = TypeUnderTest("examples.echo_server:EchoServer")
    assert by_path.resolve() is EchoServer


def test_bad_types_and_values_are_refused_with_the_fix():
    with pytest.raises(clusapi.PropertyError, match=re.escape("cannot be 'x{index}' for res")):
        TypeUnderTest(EchoServer, properties={"port": "x{index}"}).values_for(EchoServer, 7)
    with pytest.raises(clusapi.PropertyError, match="Port"):
        TypeUnderTest(EchoServer, properties={"port": "9{index:05d}"}).values_for(EchoServer, 0)
    with pytest.raises(clusapi.PropertyError, match=re.escape("write {{ for a brace")):
        TypeUnderTest(EchoServer, properties={"banner": "{name}"}).values_for(EchoServer, 0)
    with pytest.raises(clusapi.InvalidParameterError, match="expected MODULE:ATTRIBUTE"):
        run_fault_schedule(0, steps=1, types=["examples.echo_server.EchoServer"])
    with pytest.raises(clusapi.InvalidParameterError, match="cannot load resource type"):
        run_fault_schedule(0, steps=1, types=["examples.echo_server:NoSuchClass"])
    with pytest.raises(clusapi.InvalidParameterError, match=r"not a resapi\.Resource subclass"):
        run_fault_schedule(0, steps=1, types=["examples.echo_server:main"])
    with pytest.raises(clusapi.InvalidParameterError, match="type_name 'Echo Server'"):
        run_fault_schedule(0, steps=1, types=[EchoServer, EchoServer])
    with pytest.raises(clusapi.InvalidParameterError, match="got no types"):
        assert_fault_tolerant([])
    with pytest.raises(clusapi.InvalidParameterError, match="a mapping or a callable"):
        TypeUnderTest(EchoServer, properties=7)  # type: ignore[arg-type]


#: For ``types="module:attribute"`` / ``--types-from``: an importable list of types.
IMPORTABLE_TYPES: Final = [
    TypeUnderTest(EchoServer, properties=lambda i: {"port": 27450 + i}),
]


@pytest.mark.slow
def test_types_from_an_importable_list_replay_with_types_from(capsys):
    path = f"{__name__}:IMPORTABLE_TYPES"
    report = run_fault_schedule(4, steps=10, groups=2, types=path)
    assert report.ok, report.failure_message()
    assert report.replay_command == (
        f"python -m clusapi.testing.faults --seed 4 --steps 10 --groups 2 --types-from {path}"
    )
    assert main(shlex.split(report.replay_command)[3:]) == 0
    assert f"log sha256 {report.cluster_log_digest[:16]}" in capsys.readouterr().out


def test_the_command_line_refuses_a_property_without_its_type(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--property", "port=7100"])
    assert exited.value.code == 2
    assert "give the --type it belongs to first" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        main(["--type", "examples.echo_server:EchoServer", "--property", "port=x"])
    assert exited.value.code == 2
    assert "'Port'" in capsys.readouterr().err


class AwaitingListener(resapi.Resource):
    """A plain well-behaved type whose Offline and Terminate *await* the listener's close
    (``await listener.aclose()``): Terminate then takes a loop turn, which is where the
    runtime once let the next Online start (EADDRINUSE) before the failed, crashed or
    moved instance had finished terminating."""

    type_name = "Awaiting Listener"

    class Properties(resapi.PropertyTable):
        port: int = resapi.prop(required=True, minimum=1, maximum=65535)

    listener: anyio.abc.SocketListener | None = None

    async def online(self) -> None:
        self.listener = await anyio.create_tcp_listener(
            local_host="127.0.0.1", local_port=self.properties.port
        )

    async def offline(self) -> None:
        await self._stop()

    async def terminate(self) -> None:
        await self._stop()

    async def _stop(self) -> None:
        listener, self.listener = self.listener, None
        if listener is not None:
            await listener.aclose()

    async def looks_alive(self) -> bool:
        return self.listener is not None

    async def is_alive(self) -> bool:
        return self.listener is not None


#: Seeds of the default workload (8 groups, 200 steps) that found runtime bugs with
#: AwaitingListener: a failover (4, 47) or a failback under way at a crash (31) started the
#: next Online before the old instance's Terminate ended; a dependent still OnlinePending
#: when its provider failed was asked for an Offline the monitor refuses while pending (26).
RUNTIME_BUG_SEEDS: Final = (4, 26, 31, 47)


@pytest.mark.slow
def test_the_runtime_lets_terminate_end_before_the_next_online():
    assert_fault_tolerant(
        [TypeUnderTest(AwaitingListener, properties={"port": "276{index:02d}"})],
        seeds=RUNTIME_BUG_SEEDS,
    )
