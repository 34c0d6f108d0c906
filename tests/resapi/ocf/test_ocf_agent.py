"""A resapi resource type as an OCF resource agent (``python -m resapi.ocf``).

Installs example types into a temporary OCF root and runs the agent's actions as real
processes with the OCF environment, the way Pacemaker and ``ocf-tester`` do. Agents are real
processes, so these tests take real time (kept short). Every host daemon a test starts is
stopped, and checked gone by its PID.
"""

from __future__ import annotations

import inspect
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from resapi._ocf import _agent as _ocf, _install, _parameters

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

ROOT = Path(__file__).resolve().parents[3]
DTD = Path("/usr/share/resource-agents/ra-api-1.dtd")
APT_HINT = "apt-get install -y resource-agents libxml2-utils"
ECHO = "examples.echo_server:EchoServer"
SLOW = "examples.slow_start:SlowStart"
HANGING = "tests.resapi.ocf._ocf_agent_types:HangingOffline"
FAILING = "tests.resapi.ocf._ocf_agent_types:FailingOnline"
FILE_HEALTH = "tests.resapi.ocf._ocf_agent_types:FileHealth"

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the agent's daemon uses /proc")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _alive(pid: int) -> bool:
    return _ocf._is_daemon(pid)


def _wait_dead(pid: int, seconds: float = 5.0) -> bool:
    return _ocf._wait_gone(pid, seconds)


def _files(directory: Path) -> dict[str, int]:
    return {str(p.relative_to(directory)): p.stat().st_mtime_ns for p in directory.rglob("*")}


class Agent:
    """An installed agent and the environment Pacemaker would run it with."""

    def __init__(
        self, path: Path, rsctmp: Path, instance: str, params: dict[str, str] | None = None
    ) -> None:
        self.path = path
        self.rsctmp = rsctmp
        self.instance = instance
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HA_RSCTMP": str(rsctmp),
            "OCF_ROOT": str(path.parent.parent.parent),
            "OCF_RESOURCE_INSTANCE": instance,
            **{f"OCF_RESKEY_{k}": v for k, v in (params or {}).items()},
        }

    def __call__(self, action: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.path), action],
            env={**self.env, **extra},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            cwd="/",  # the agent needs no working directory or PYTHONPATH of its own
        )

    @property
    def log_file(self) -> Path:
        return self.rsctmp / f"resapi-{self.instance}" / "log"

    def pid(self) -> int | None:
        try:
            return int((self.rsctmp / f"resapi-{self.instance}" / "pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None


@pytest.fixture
def install_agent(tmp_path: Path) -> Iterator[Callable[..., Agent]]:
    """Install a type into a fresh OCF root; stop every instance afterwards."""
    made: list[Agent] = []
    # A short HA_RSCTMP: the daemon's Unix socket path must fit in sun_path.
    rsctmp = Path(tempfile.mkdtemp(prefix="ocf"))

    def make(type_path: str, instance: str = "r1", **params: str) -> Agent:
        path = _install.install(type_path, ocf_root=tmp_path / "ocf")
        agent = Agent(path, rsctmp, instance, params)
        made.append(agent)
        return agent

    try:
        yield make
    finally:
        leaks = []
        for agent in made:
            pid = agent.pid()
            agent("stop", OCF_RESKEY_CRM_meta_timeout="5000")
            if pid is not None and not _wait_dead(pid, 2.0):
                leaks.append(pid)
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(rsctmp, ignore_errors=True)
        assert not leaks, f"host daemons left running: {leaks}"


@pytest.fixture
def agent(install_agent: Callable[..., Agent]) -> Agent:
    return install_agent(ECHO, "echo1", port=str(_free_port()))


# --------------------------------------------------------------------------- install


def test_agent_name() -> None:
    assert _parameters.agent_name("Echo Server") == "echo-server"
    assert _parameters.agent_name("  Slow   Start ") == "slow-start"


def test_install_defaults() -> None:
    parameters = inspect.signature(_install.install).parameters
    assert parameters["provider"].default == "resapi"
    assert parameters["ocf_root"].default == "/usr/lib/ocf"


def test_state_goes_where_the_shell_agents_keep_theirs(tmp_path: Path) -> None:
    assert _ocf._Instance({"HA_RSCTMP": str(tmp_path), "OCF_RESOURCE_INSTANCE": "a"}).dir == (
        tmp_path / "resapi-a"
    )
    # Pacemaker does not set HA_RSCTMP; ocf-directories defaults it to /run/resource-agents.
    # Root never falls back to a directory others can write (issue 13 finding 2).
    default = _ocf._Instance({"OCF_RESOURCE_INSTANCE": "a", "TMPDIR": str(tmp_path)}).dir
    if os.geteuid() == 0 or os.access("/run/resource-agents", os.W_OK):
        assert default == Path("/run/resource-agents/resapi-a")
    else:
        assert default == tmp_path / f"resapi-ocf-{os.geteuid()}" / "resapi-a"
    odd = _ocf._Instance({"HA_RSCTMP": str(tmp_path), "OCF_RESOURCE_INSTANCE": "a b/c" * 20})
    assert odd.dir.parent == tmp_path
    assert re.fullmatch(r"resapi-[A-Za-z0-9_.-]{24}-[0-9a-f]{12}", odd.dir.name)


def test_install_writes_an_executable_agent(agent: Agent) -> None:
    assert agent.path.name == "echo-server"
    assert agent.path.parent.name == "resapi"
    assert agent.path.parent.parent.name == "resource.d"
    assert (agent.path.stat().st_mode & 0o777) == 0o755
    script = agent.path.read_text()
    assert ECHO in script
    exec_line = script.splitlines()[-1]
    if f"exec {sys.executable} -P" not in exec_line:  # else: the Python that installed it
        # hacluster cannot run that one (e.g. a pyenv under /root): the system Python of the
        # same version runs the agent, with the installing environment's packages on its path.
        major, minor = sys.version_info[:2]
        assert re.search(rf"exec /usr(/local)?/bin/python{major}\.{minor} -P", exec_line)
        for site in _install._site_packages():
            assert site in script


def test_install_command_line_with_a_provider(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "resapi.ocf",
            "install",
            SLOW,
            *("--provider", "acme"),
            "--ocf-root",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    target = tmp_path / "resource.d" / "acme" / "slow-start"
    assert result.stdout.strip() == str(target)
    assert os.access(target, os.X_OK)


@pytest.mark.parametrize(
    ("path", "code", "message"),
    [
        ("no_colon", 2, "expected 'package.module:Class'"),
        ("no.such.module:X", 5, "cannot import module 'no.such.module'"),
        ("examples.echo_server:Nope", 5, "has no attribute 'Nope'"),
        ("examples.echo_server:EchoProperties", 2, "not a resapi.Resource subclass"),
    ],
)
def test_install_rejects_bad_paths(tmp_path: Path, path: str, code: int, message: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "resapi.ocf", "install", path, "--ocf-root", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == code, result.stderr
    assert result.stderr.startswith("python -m resapi.ocf install: error: "), result.stderr
    assert message in result.stderr
    assert not (tmp_path / "resource.d").exists()


def test_install_rejects_a_bad_provider(tmp_path: Path) -> None:
    with pytest.raises(_ocf.AgentError, match=r"bad provider name '\.\./x'") as info:
        _install.install(ECHO, provider="../x", ocf_root=tmp_path)
    assert info.value.code == 2
    assert not (tmp_path / "resource.d").exists()


@pytest.mark.parametrize(
    ("path", "action", "code"),
    [
        ("no.such.module:X", "start", 5),
        ("no.such.module:X", "meta-data", 5),
        ("no.such.module:X", "validate-all", 5),
        ("no_colon", "start", 2),
        # monitor and stop never import the type: the true state of a missing one is "stopped"
        ("no.such.module:X", "monitor", 7),
        ("no.such.module:X", "stop", 0),
    ],
)
def test_run_with_a_bad_path(tmp_path: Path, path: str, action: str, code: int) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "resapi.ocf", "run", path, action],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={**os.environ, "HA_RSCTMP": str(tmp_path)},
    )
    assert result.returncode == code, result.stderr
    if code not in (0, 7):
        assert "ocf-exit-reason:" in result.stderr
        assert path.partition(":")[0] in result.stderr


def test_run_without_an_action_is_a_usage_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "resapi.ocf", "run", ECHO],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 2
    assert "usage:" in result.stderr
    assert "ocf-exit-reason:" in result.stderr


def test_a_type_that_can_no_longer_be_imported_is_not_installed(
    tmp_path: Path, install_agent: Callable[..., Agent]
) -> None:
    module = f"ocf_gone_{uuid.uuid4().hex[:8]}"
    source = tmp_path / f"{module}.py"
    source.write_text(
        textwrap.dedent(
            """
            from tests.resapi.ocf._ocf_agent_types import FailingOnline

            class Gone(FailingOnline):
                type_name = "Gone"
            """
        )
    )
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "resapi.ocf",
            "install",
            f"{module}:Gone",
            "--ocf-root",
            str(tmp_path / "ocf"),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
    )
    assert install.returncode == 0, install.stderr
    source.unlink()
    agent = Agent(Path(install.stdout.strip()), tmp_path, "gone1")
    for action in ("meta-data", "validate-all", "start"):
        result = agent(action)
        assert result.returncode == 5, (action, result.stderr)
        assert f"ocf-exit-reason:cannot import module {module!r}" in result.stderr
    assert agent("monitor").returncode == 7  # a probe: not installed here, and not running


# --------------------------------------------------------------------------- actions


def test_lifecycle(agent: Agent) -> None:
    assert agent("monitor").returncode == 7
    start = agent("start")
    assert start.returncode == 0, start.stderr
    pid = agent.pid()
    assert pid is not None
    assert _alive(pid)
    port = int(agent.env["OCF_RESKEY_port"])
    with socket.create_connection(("127.0.0.1", port), timeout=2) as client:
        assert client.recv(100) == b"hello\n"
    assert agent("monitor", OCF_CHECK_LEVEL="0").returncode == 0
    assert agent("monitor", OCF_CHECK_LEVEL="10").returncode == 0
    assert agent("start").returncode == 0  # a second start of a running resource
    assert agent.pid() == pid
    stop = agent("stop")
    assert stop.returncode == 0, stop.stderr
    assert not _alive(pid)
    assert agent("stop").returncode == 0  # stop of a stopped resource
    assert agent("monitor").returncode == 7


def test_log_lines_carry_the_instance_name(agent: Agent, tmp_path: Path) -> None:
    ha_log = tmp_path / "ha.log"
    start = agent("start", HA_LOGFILE=str(ha_log))
    assert start.returncode == 0, start.stderr
    pid = agent.pid()
    port = agent.env["OCF_RESKEY_port"]
    # stderr (what Pacemaker records) has the client's lines and the resource's own self.log
    # lines, which the daemon writes to its log while start waits.
    assert re.search(
        r"^echo-server\(echo1\)\[\d+\]: INFO: started host daemon", start.stderr, re.MULTILINE
    )
    assert f"echo-server(echo1)[{pid}]: INFO: listening on 127.0.0.1:{port}" in start.stderr
    assert f"echo-server(echo1)[{pid}]: INFO: state ONLINE" in start.stderr
    assert f"listening on 127.0.0.1:{port}" in agent.log_file.read_text()
    # HA_LOGFILE (set by Pacemaker's executor) gets every line, time-stamped, as ocf_log does.
    logged = ha_log.read_text()
    assert re.search(r"^\w{3} [ \d]\d \d\d:\d\d:\d\d echo-server\(echo1\)\[", logged, re.MULTILINE)
    assert f"echo-server(echo1)[{pid}]: INFO: listening on 127.0.0.1:{port}" in logged


def test_a_pending_start_reports_its_checkpoints(install_agent: Callable[..., Agent]) -> None:
    slow = install_agent(SLOW, "slow1", warmup_steps="3", step_ms="150")
    started = time.monotonic()
    start = slow("start")
    assert start.returncode == 0, start.stderr
    assert time.monotonic() - started >= 0.45  # start returns only when Online has finished
    pid = slow.pid()
    lines = [line.partition(": ")[2] for line in start.stderr.splitlines()]
    assert lines[lines.index("INFO: state ONLINE_PENDING") :] == [
        "INFO: state ONLINE_PENDING",
        "INFO: ONLINE_PENDING: checkpoint 1",
        "INFO: warm-up step 1 of 3 done",
        "INFO: ONLINE_PENDING: checkpoint 2",
        "INFO: warm-up step 2 of 3 done",
        "INFO: ONLINE_PENDING: checkpoint 3",
        "INFO: warm-up step 3 of 3 done",
        "INFO: warmed up; serving",
        "INFO: state ONLINE",
    ], start.stderr
    assert f"slow-start(slow1)[{pid}]: INFO: warm-up step 1 of 3 done" in start.stderr
    assert slow("monitor").returncode == 0
    assert slow("stop").returncode == 0


def test_a_start_past_its_timeout_fails_with_the_progress_so_far(
    install_agent: Callable[..., Agent],
) -> None:
    slow = install_agent(SLOW, "slow2", warmup_steps="100", step_ms="100")
    start = slow("start", OCF_RESKEY_CRM_meta_timeout="3000")
    assert start.returncode == 1
    assert re.search(
        r"^ocf-exit-reason:not online within the start timeout of 3 s "
        r"\(state ONLINE_PENDING, checkpoint \d+\)$",
        start.stderr,
        re.MULTILINE,
    ), start.stderr
    pid = slow.pid()
    assert pid is not None  # Pacemaker stops a failed start; so does the fixture
    assert slow("stop").returncode == 0
    assert _wait_dead(pid)


def test_probe_of_a_stopped_resource_has_no_side_effects(agent: Agent) -> None:
    assert _files(agent.rsctmp) == {}
    probe = agent("monitor", OCF_RESKEY_CRM_meta_interval="0")
    assert probe.returncode == 7, probe.stderr
    assert _files(agent.rsctmp) == {}
    assert probe.stderr == ""
    missing = agent("monitor", HA_RSCTMP=str(agent.rsctmp / "not-there"))
    assert missing.returncode == 7
    assert not (agent.rsctmp / "not-there").exists()


def test_probe_of_a_running_resource_changes_nothing(agent: Agent) -> None:
    assert agent("start").returncode == 0
    before = _files(agent.rsctmp)
    log_size = agent.log_file.stat().st_size
    assert agent("monitor", OCF_RESKEY_CRM_meta_interval="0").returncode == 0
    assert _files(agent.rsctmp) == before
    assert agent.log_file.stat().st_size == log_size


def test_check_levels_call_looks_alive_and_is_alive(
    install_agent: Callable[..., Agent], tmp_path: Path
) -> None:
    flag = tmp_path / "healthy"
    flag.touch()
    res = install_agent(FILE_HEALTH, "fh1", path=str(flag))
    assert res("start").returncode == 0
    assert res("monitor", OCF_CHECK_LEVEL="10").returncode == 0
    flag.unlink()
    assert res("monitor", OCF_CHECK_LEVEL="0").returncode == 0  # LooksAlive does not look
    deep = res("monitor", OCF_CHECK_LEVEL="10")
    assert deep.returncode == 1  # the host runs, the resource failed
    assert "ocf-exit-reason:resource is FAILED: failed: IsAlive returned False" in deep.stderr
    assert res("monitor").returncode == 1  # it stays failed until Pacemaker stops it
    assert res("stop").returncode == 0
    assert res("monitor").returncode == 7


def test_a_bad_check_level_is_a_bad_argument(agent: Agent) -> None:
    result = agent("monitor", OCF_CHECK_LEVEL="deep")
    assert result.returncode == 2
    assert "ocf-exit-reason:OCF_CHECK_LEVEL must be a number, not 'deep'" in result.stderr


def test_killed_host_is_a_failure_then_stop_cleans_up(agent: Agent) -> None:
    assert agent("start").returncode == 0
    pid = agent.pid()
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    assert _wait_dead(pid)
    monitor = agent("monitor")
    assert monitor.returncode == 1  # the host is gone without a stop: failed, not "stopped"
    assert "ocf-exit-reason:the host daemon of 'echo1' ended without a stop" in monitor.stderr
    assert agent("stop").returncode == 0
    assert agent("monitor").returncode == 7


def test_start_with_the_port_taken_fails(agent: Agent) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", int(agent.env["OCF_RESKEY_port"])))
        busy.listen()
        start = agent("start")
    assert start.returncode == 1
    assert "ocf-exit-reason:Online failed: failed: Online raised OSError" in start.stderr
    assert agent.pid() is None
    assert agent("monitor").returncode == 7


def test_a_failing_online_leaves_nothing_running(install_agent: Callable[..., Agent]) -> None:
    res = install_agent(FAILING, "fail1")
    start = res("start")
    assert start.returncode == 1
    assert "no disk behind this resource" in start.stderr
    assert "ocf-exit-reason:Online failed:" in start.stderr
    assert res.pid() is None
    assert res("monitor").returncode == 7


@pytest.mark.parametrize(
    ("type_path", "code", "message"),
    [
        ("tests.resapi.ocf._ocf_agent_types:CannotHere", 5, "no license on this node"),
        (
            "tests.resapi.ocf._ocf_agent_types:CannotAnywhere",
            6,
            "the configured volume does not exist",
        ),
        # raised with a message only (issue 16, item 5): once a TypeError, so exit 1
        ("tests.resapi.ocf._ocf_agent_types:CannotHereSaidPlainly", 5, "no license on this node"),
        (
            "tests.resapi.ocf._ocf_agent_types:CannotAnywhereSaidPlainly",
            6,
            "the configured volume does not exist",
        ),
    ],
)
def test_cannot_come_online_is_a_hard_or_fatal_error(
    install_agent: Callable[..., Agent], type_path: str, code: int, message: str
) -> None:
    # Pacemaker bans a resource from the node after 5 (ERR_INSTALLED), and from every node
    # after 6 (ERR_CONFIGURED): what CannotComeOnlineOnThisNode / OnAnyNode mean.
    res = install_agent(type_path, "cannot1")
    start = res("start")
    assert start.returncode == code, start.stderr
    assert "ocf-exit-reason:Online failed:" in start.stderr
    assert message in start.stderr
    assert res.pid() is None
    assert res("monitor").returncode == 7


def test_stop_of_a_hung_offline_terminates(install_agent: Callable[..., Agent]) -> None:
    res = install_agent(HANGING, "hang1")
    assert res("start").returncode == 0
    pid = res.pid()
    assert pid is not None
    stop = res("stop", OCF_RESKEY_CRM_meta_timeout="3000")
    assert stop.returncode == 0, stop.stderr
    assert not _alive(pid)
    assert f"host daemon {pid} did not stop in time" in stop.stderr
    assert "SIGTERM (Terminate)" in stop.stderr
    assert "SIGKILL" not in stop.stderr  # SIGTERM was enough: the daemon called Terminate
    log = res.log_file.read_text()
    assert "WARNING: SIGTERM: Terminate and Close" in log
    assert "WARNING: Terminate called" in log  # the type's own Terminate ran
    assert res("monitor").returncode == 7


def test_stop_of_a_frozen_host_kills_it(agent: Agent) -> None:
    assert agent("start").returncode == 0
    pid = agent.pid()
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)  # a host that answers nothing, not even SIGTERM
    try:
        stop = agent("stop", OCF_RESKEY_CRM_meta_timeout="3000")
    finally:
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
    assert stop.returncode == 0, stop.stderr
    assert _wait_dead(pid)
    assert f"host daemon {pid} ignored SIGTERM: SIGKILL" in stop.stderr
    assert agent("monitor").returncode == 7


@pytest.mark.parametrize("port", ["99999", "not-a-number"])
def test_validate_all_rejects_a_bad_port(agent: Agent, port: str) -> None:
    result = agent("validate-all", OCF_RESKEY_port=port)
    assert result.returncode == 6
    message = (
        # The OCF parameter the operator set, not the MSCS property or its table class.
        "parameter 'port' is 99999, outside 1..65535"
        if port == "99999"
        else "parameter 'port' must be a decimal integer, not 'not-a-number'"
    )
    assert f"ocf-exit-reason:{message}" in result.stderr
    assert agent("start", OCF_RESKEY_port=port).returncode == 6
    assert agent.pid() is None


def test_validate_all_wants_the_required_parameters(
    install_agent: Callable[..., Agent], tmp_path: Path
) -> None:
    res = install_agent(FILE_HEALTH, "fh2")
    result = res("validate-all")
    assert result.returncode == 6
    assert "ocf-exit-reason:" in result.stderr
    assert "ocf-exit-reason:parameter 'path' is required but not set" in result.stderr
    assert res("validate-all", OCF_RESKEY_path=str(tmp_path)).returncode == 0
    assert res("validate-all", OCF_RESKEY_path="x", OCF_RESKEY_verbose="maybe").returncode == 6


def test_validate_all_and_unknown_actions(agent: Agent) -> None:
    assert agent("validate-all").returncode == 0
    for action in ("reload", "migrate_to", "notify", "promote"):
        result = agent(action)
        assert result.returncode == 3, action
        assert f"ocf-exit-reason:action {action!r} is not implemented" in result.stderr


def test_meta_data(agent: Agent, install_agent: Callable[..., Agent], tmp_path: Path) -> None:
    result = agent("meta-data")
    assert result.returncode == 0
    xml = result.stdout
    assert '<resource-agent name="echo-server" version="1.0">' in xml
    assert "<version>1.0</version>" in xml  # the OCF RA API version
    assert '<parameter name="port" required="0" unique="1">' in xml  # prop(unique=True)
    assert '<parameter name="banner" required="0" unique="0">' in xml
    assert '<content type="integer" default="7007"/>' in xml
    assert 'name="monitor" depth="0" timeout="20s" interval="5s"' in xml
    assert 'name="monitor" depth="10" timeout="20s" interval="60s"' in xml
    assert '<action name="start" timeout="180s"/>' in xml
    other = install_agent(FILE_HEALTH, "fh3")("meta-data").stdout
    assert '<resource-agent name="file-health" version="2.5">' in other  # the type's version
    assert '<parameter name="path" required="1" unique="0">' in other
    assert '<content type="string"/>' in other
    assert '<content type="boolean" default="false"/>' in other
    if shutil.which("xmllint") is None or not DTD.exists():
        pytest.skip(f"xmllint or {DTD} missing: {APT_HINT}")
    for name, text in (("echo.xml", xml), ("file.xml", other)):
        (tmp_path / name).write_text(text)
        check = subprocess.run(
            ["xmllint", "--noout", "--dtdvalid", str(DTD), str(tmp_path / name)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert check.returncode == 0, check.stderr


# --------------------------------------------------------------------------- the lean path

HEAVY = re.compile(r"^import time:.*\|\s+(anyio|attrs?|clusapi|resapi|examples)(\.|$)")


def _imports(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if HEAVY.match(line)]


def test_monitor_and_stop_import_only_the_standard_library(agent: Agent) -> None:
    trace = {"PYTHONPROFILEIMPORTTIME": "1"}
    probe = agent("monitor", **trace)
    assert probe.returncode == 7
    assert "import time:" in probe.stderr  # the trace works
    assert _imports(probe) == []
    assert _imports(agent("stop", **trace)) == []
    assert agent("start").returncode == 0
    for level in ("0", "10"):
        monitor = agent("monitor", OCF_CHECK_LEVEL=level, **trace)
        assert monitor.returncode == 0
        assert _imports(monitor) == []
    # A control: the other actions need the type, and the trace shows what that costs.
    meta = agent("meta-data", **trace)
    assert any(line.endswith(" anyio") for line in _imports(meta))


# --------------------------------------------------------------------------- ocf-tester


def _ocf_tester() -> str:
    tester = shutil.which("ocf-tester") or shutil.which("ocf-tester", path="/usr/sbin:/sbin")
    if tester is None:
        pytest.skip(f"ocf-tester is not installed: {APT_HINT}")
    return tester


@pytest.mark.parametrize(
    ("type_path", "instance", "options"),
    [
        (ECHO, "echo1", ("port={port}",)),
        (SLOW, "slow1", ("warmup_steps=3", "step_ms=100")),
    ],
)
def test_ocf_tester_passes(type_path: str, instance: str, options: tuple[str, ...]) -> None:
    """ocf-tester, unchanged, on an agent installed as a user would install it.

    As root, ocf-tester runs ``meta-data`` as user nobody, who often cannot run this
    interpreter (a pyenv under /root) or read the checkout: the agent then answers with the
    meta-data recorded at install time, and everything else runs as root.
    """
    tester = _ocf_tester()
    ocf_root = Path(tempfile.mkdtemp(prefix="ocfroot"))  # readable by nobody, unlike tmp_path
    rsctmp = Path(tempfile.mkdtemp(prefix="ocf"))
    try:
        ocf_root.chmod(0o755)
        install = subprocess.run(
            [
                sys.executable,
                "-m",
                "resapi.ocf",
                "install",
                type_path,
                "--ocf-root",
                str(ocf_root),
            ],
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT,
        )
        assert install.returncode == 0, install.stderr
        path = Path(install.stdout.strip())
        for directory in (ocf_root / "resource.d", path.parent):
            directory.chmod(0o755)
        port = _free_port()
        argv = [tester, "-n", instance]
        for option in options:
            argv += ["-o", option.format(port=port)]
        result = subprocess.run(
            [*argv, str(path)],
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HA_RSCTMP": str(rsctmp)},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        leftover = _ocf._Instance({"HA_RSCTMP": str(rsctmp), "OCF_RESOURCE_INSTANCE": instance})
        pid = leftover.pid()
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
        shutil.rmtree(ocf_root, ignore_errors=True)
        shutil.rmtree(rsctmp, ignore_errors=True)
    print(install.stderr, result.stdout, result.stderr)
    assert pid is None, f"ocf-tester left host daemon {pid} running"
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{path} passed all tests" in result.stdout
    assert "* rc=" not in result.stdout


# -- the interpreter an installed agent runs ------------------------------------------------------


def test_install_refuses_a_python_of_another_version(tmp_path: Path) -> None:
    fake = tmp_path / "python9"
    fake.write_text("#!/bin/sh\necho 3 99\n")
    fake.chmod(0o755)
    with pytest.raises(_ocf.AgentError) as info:
        _install.install(ECHO, ocf_root=tmp_path / "ocf", python=str(fake))
    assert info.value.code == _ocf.OCF_ERR_ARGS
    assert "is Python 3.99" in info.value.reason
    assert f"needs Python {sys.version_info[0]}.{sys.version_info[1]}" in info.value.reason
    assert not (tmp_path / "ocf").exists()  # nothing written


def test_install_warns_when_the_cluster_user_cannot_run_any_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_install, "_cluster_user_can_run", lambda *_: False)
    reports: list[str] = []
    path = _install.install(ECHO, ocf_root=tmp_path, report=reports.append)
    assert f"exec {sys.executable} -P" in path.read_text()  # no usable other: keep this one
    assert len(reports) == 1
    assert "cannot run" in reports[0]
    assert "--python" in reports[0]  # the fix


def test_the_cluster_user_can_run_meta_data_of_an_installed_agent(tmp_path: Path) -> None:
    """Pacemaker runs meta-data as hacluster: install picks a Python that user can run."""
    if os.geteuid() != 0:
        pytest.skip("checks the agent as the cluster user: run as root")
    if (
        shutil.which("runuser") is None
        or subprocess.run(
            ["id", _install.CLUSTER_USER], capture_output=True, check=False
        ).returncode
    ):
        pytest.skip("no user hacluster: apt-get install -y pacemaker corosync pacemaker-cli-utils")
    root = Path(tempfile.mkdtemp(prefix="ocfroot"))  # readable by hacluster, unlike tmp_path
    try:
        root.chmod(0o755)
        reports: list[str] = []
        path = _install.install(ECHO, ocf_root=root, report=reports.append)
        for directory in (root / "resource.d", path.parent):
            directory.chmod(0o755)
        result = subprocess.run(
            ["runuser", "-u", _install.CLUSTER_USER, "--", str(path), "meta-data"],
            capture_output=True,
            text=True,
            env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "OCF_ROOT": "/usr/lib/ocf"},
            cwd="/",
            check=False,
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    assert result.returncode == 0, (reports, result.stderr)
    assert '<resource-agent name="echo-server"' in result.stdout
    checkout = Path(__file__).resolve().parents[3]
    readable = subprocess.run(
        ["runuser", "-u", _install.CLUSTER_USER, "--", "test", "-x", str(checkout)], check=False
    )
    if readable.returncode == 0:
        # The code is readable by hacluster, so some Python can run it: no warning.
        assert not any(r.startswith("warning") for r in reports), reports
    else:
        # A checkout hacluster cannot read (e.g. under /root): meta-data came from the copy
        # recorded at install, and install said so.
        assert any("recorded now" in r for r in reports), reports


def test_meta_data_falls_back_to_the_copy_recorded_at_install(tmp_path: Path) -> None:
    """A caller that cannot run the agent's Python (Pacemaker asks as hacluster) still gets
    the meta-data: the one recorded when the agent was installed."""
    path = _install.install(ECHO, ocf_root=tmp_path)
    expected = _parameters.meta_data(_parameters.load_type(ECHO))
    script = path.read_text()
    interpreter = script.splitlines()[-1].split()[1]  # exec PYTHON -P ...
    path.write_text(script.replace(interpreter, str(tmp_path / "no-such-python")))
    result = subprocess.run(
        [str(path), "meta-data"],
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"], "OCF_ROOT": "/usr/lib/ocf"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == expected.rstrip() + "\n"
    assert result.stderr == ""
    # Every other action still needs the interpreter: it fails as a shell does (127).
    start = subprocess.run([str(path), "start"], capture_output=True, check=False)
    assert start.returncode == 127
