"""Attacks on an installed resapi OCF agent, run as an unprivileged local user (issue 13).

Under Pacemaker an agent runs as root (``meta-data`` as ``hacluster``). Each test here plays
the attacker's steps as ``nobody`` or ``hacluster`` (``runuser``), then runs the agent (or
``install``) as root the way Pacemaker or an administrator would, and checks that the attack
got nowhere: no code of the attacker ran, no root-only file was changed or shown, no faked
resource was reported running. Findings 1, 2, 3, 6 and 7 of issue 13, and the low items of
the agent side (explicit modes, a non-UTF-8 instance name, decimal parameters).

These need root, ``runuser`` and the users ``nobody`` and ``hacluster``; the unprivileged
parts of the checks (names, parameters) run everywhere.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from examples.echo_server import EchoServer
from resapi._ocf import _agent as _ocf, _install, _parameters

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parents[3]
ECHO = "examples.echo_server:EchoServer"
SECRET = f"root-only secret {uuid.uuid4().hex}\n"
PATH = "/usr/sbin:/usr/bin:/sbin:/bin"

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the agent's daemon uses /proc")


def _need_root_and_users(*users: str) -> None:
    """Skip unless this runs as root and can act as ``users`` (what the attacks need)."""
    if os.geteuid() != 0:
        pytest.skip("runs the attacker as another user and the agent as root: run as root")
    if shutil.which("runuser") is None:
        pytest.skip("runuser is missing: apt-get install -y util-linux")
    for user in users:
        try:
            pwd.getpwnam(user)
        except KeyError:
            pytest.skip(f"no user {user!r}: apt-get install -y pacemaker (hacluster)")


def _attacker(user: str, script: str) -> None:
    """The attacker's steps: ``script`` run by ``sh`` as ``user``."""
    result = subprocess.run(
        ["runuser", "-u", user, "--", "sh", "-ec", script],
        capture_output=True,
        text=True,
        cwd="/",
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, f"the attacker's steps failed: {result.stderr}"


def _shared(mode: int) -> Path:
    """A short directory others can write (``mode`` 0o1777 like /tmp, or 0o777)."""
    directory = Path(tempfile.mkdtemp(prefix="ocfsh"))
    directory.chmod(mode)
    return directory


def _private() -> Path:
    """A directory only root can enter."""
    directory = Path(tempfile.mkdtemp(prefix="ocfpriv"))
    directory.chmod(0o700)
    return directory


@pytest.fixture
def cleanup() -> Iterator[list[Path]]:
    """Directories to remove after the test (the attacker's files in them too)."""
    made: list[Path] = []
    yield made
    for directory in made:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def secret(cleanup: list[Path]) -> Path:
    """A root-only file (0600 in a 0700 directory) the attacks aim at."""
    home = _private()
    cleanup.append(home)
    file = home / "secret"
    file.write_text(SECRET)
    file.chmod(0o600)
    return file


def _unchanged(secret: Path) -> None:
    assert secret.read_text() == SECRET, "root overwrote the root-only file"
    assert stat.S_IMODE(secret.lstat().st_mode) == 0o600, "root chmodded the root-only file"


@pytest.fixture(scope="module")
def echo_agent() -> Iterator[Path]:
    """The Echo Server agent, installed by root into a root-only OCF root."""
    if os.geteuid() != 0:
        pytest.skip("installs and runs the agent as root: run as root")
    ocf_root = _private()
    try:
        yield _install.install(ECHO, ocf_root=ocf_root)
    finally:
        shutil.rmtree(ocf_root, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _run(
    agent: Path,
    action: str,
    env: dict[str, str],
    *,
    cwd: Path | str = "/",
    prefix: tuple[str, ...] = (),
) -> subprocess.CompletedProcess[str]:
    """Run the agent's ``action`` as root (as Pacemaker's executor does)."""
    return subprocess.run(
        [*prefix, str(agent), action],
        env={"PATH": PATH, "OCF_RESOURCE_INSTANCE": "r1", **env},
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
        check=False,
    )


def _stop_daemon(agent: Path, env: dict[str, str], rsctmp: Path) -> None:
    """Stop what a test started, and check by PID that it is gone."""
    pid_file = rsctmp / "resapi-r1" / "pid"
    try:
        pid = int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        pid = None
    stop = _run(agent, "stop", {**env, "OCF_RESKEY_CRM_meta_timeout": "5000"})
    if pid is not None and not _ocf._wait_gone(pid, 2.0):
        os.kill(pid, signal.SIGKILL)
        pytest.fail(f"host daemon {pid} outlived its stop ({stop.stderr})")
    assert stop.returncode == 0, stop.stderr


# --------------------------------------------------------------------------- finding 1

PLANTED = """\
import os
open(os.path.join({where!r}, "PWNED"), "a").write("%d %s\\n" % (os.getuid(), __name__))
"""


def _plant_modules(user: str, directory: Path, names: tuple[str, ...]) -> None:
    """As ``user``: modules (or packages, ``name/``) in ``directory`` that leave a PWNED
    file there when imported."""
    code = PLANTED.format(where=str(directory))
    steps = []
    for name in names:
        if name.endswith("/"):
            steps.append(f"mkdir -p {directory}/{name}")
            target = f"{directory}/{name}__init__.py"
        else:
            target = f"{directory}/{name}.py"
        steps.append(f"cat > {target} <<'EOF'\n{code}EOF")
    _attacker(user, "\n".join(steps))


def test_nothing_is_imported_from_the_working_directory(
    echo_agent: Path, cleanup: list[Path]
) -> None:
    """Finding 1: Pacemaker runs agents from /var/lib/pacemaker/cores, which hacluster can
    write; a resapi/ planted there ran as root in the host daemon (python -m, no -P)."""
    _need_root_and_users("hacluster")
    user = pwd.getpwnam("hacluster")
    cores = Path(tempfile.mkdtemp(prefix="ocfcores"))
    cleanup.append(cores)
    os.chown(cores, user.pw_uid, user.pw_gid)
    cores.chmod(0o750)
    _plant_modules("hacluster", cores, ("resapi/", "clusapi/", "examples/", "anyio", "json"))
    rsctmp = _private()
    cleanup.append(rsctmp)
    env = {"HA_RSCTMP": str(rsctmp), "OCF_RESKEY_port": str(_free_port())}
    try:
        start = _run(echo_agent, "start", env, cwd=cores)
        monitor = _run(echo_agent, "monitor", env, cwd=cores)
    finally:
        _stop_daemon(echo_agent, env, rsctmp)
    assert not (cores / "PWNED").exists(), (cores / "PWNED").read_text()
    assert start.returncode == 0, start.stderr
    assert monitor.returncode == 0, monitor.stderr


# --------------------------------------------------------------------------- finding 2


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        # /tmp-like: the base is acceptable, the directory the attacker made is not.
        (0o1777, r"resapi-r1 is owned by uid 65534, not this agent's 0"),
        # Not sticky: anyone could rename our directory away, so the base itself is refused.
        (0o777, r"ocfsh\w+ is writable by others \(mode 0777\)"),
    ],
)
def test_a_planted_state_directory_does_not_make_root_overwrite_a_file(
    echo_agent: Path, secret: Path, cleanup: list[Path], mode: int, reason: str
) -> None:
    """Finding 2 (a): in a shared HA_RSCTMP, nobody pre-creates the instance's directory
    and log as links to a root-only file; start must refuse, not truncate the file."""
    _need_root_and_users("nobody")
    shared = _shared(mode)
    cleanup.append(shared)
    _attacker(
        "nobody",
        f"mkdir -m 777 {shared}/resapi-r1\n"
        f"ln -s {secret} {shared}/resapi-r1/log\n"
        f"ln -s {secret} {shared}/resapi-r1/pid\n"
        f"ln -s {secret} {shared}/resapi-r1.log\n",
    )
    env = {"HA_RSCTMP": str(shared), "OCF_RESKEY_port": str(_free_port())}
    try:
        start = _run(echo_agent, "start", env)
        monitor = _run(echo_agent, "monitor", env)
    finally:
        stop = _run(echo_agent, "stop", env)
    _unchanged(secret)
    for result in (start, monitor, stop):
        # ERR_INSTALLED: this node's state directory cannot be trusted (Pacemaker moves the
        # resource to another node; a failed stop gets this node fenced).
        assert result.returncode == _ocf.OCF_ERR_INSTALLED, result.stderr
        assert re.search(
            r"^ocf-exit-reason:unsafe state directory for 'r1': ", result.stderr, re.MULTILINE
        )
        assert re.search(reason, result.stderr), result.stderr
        assert "set HA_RSCTMP to a directory only root can write" in result.stderr


FAKE_DAEMON = """\
import json, os, socket, sys
d = sys.argv[1]
os.makedirs(d, exist_ok=True)
os.chmod(d, 0o777)
s = socket.socket(socket.AF_UNIX)
s.bind(os.path.join(d, "sock"))
os.chmod(os.path.join(d, "sock"), 0o777)
s.listen()
with open(os.path.join(d, "pid"), "w") as f:
    f.write("%d\\n5\\n" % os.getpid())
reply = {"state": "ONLINE", "alive": True, "checkpoint": 0, "reason": "", "cannot": ""}
while True:
    c, _ = s.accept()
    with c:
        data = b""
        while not data.endswith(b"\\n"):
            chunk = c.recv(4096)
            if not chunk:
                break
            data += chunk
        c.sendall(json.dumps(reply).encode() + b"\\n")
"""


def test_a_fake_daemon_socket_is_not_believed(echo_agent: Path, cleanup: list[Path]) -> None:
    """Finding 2 (b): in a shared HA_RSCTMP, nobody runs a fake host daemon (its command
    line dressed as the real one's) with a pid file and a socket that answer "ONLINE";
    start and monitor returned 0 with nothing running."""
    _need_root_and_users("nobody")
    shared = _shared(0o1777)
    cleanup.append(shared)
    directory = shared / "resapi-r1"
    python = shutil.which("python3", path=PATH) or sys.executable
    fake = subprocess.Popen(
        [
            *("runuser", "-u", "nobody", "--", python, "-c", FAKE_DAEMON, str(directory)),
            # what the old check looked for in /proc/PID/cmdline, and what the new one does
            *("/x/resapi/_ocf/_agent.py", "daemon", "resapi.ocf", "daemon", ECHO),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd="/",
        start_new_session=True,
    )
    env = {"HA_RSCTMP": str(shared), "OCF_RESKEY_port": str(_free_port())}
    try:
        deadline = time.monotonic() + 10
        while not (directory / "pid").exists():
            assert fake.poll() is None, "the fake daemon did not start"
            assert time.monotonic() < deadline, "the fake daemon did not start within 10 s"
            time.sleep(0.05)
        start = _run(echo_agent, "start", env)
        monitor = _run(echo_agent, "monitor", env)
    finally:
        os.killpg(fake.pid, signal.SIGKILL)
        fake.wait(10)
        _run(echo_agent, "stop", env)
    for result in (start, monitor):
        assert result.returncode == _ocf.OCF_ERR_INSTALLED, result.stderr
        assert "resapi-r1 is owned by uid 65534" in result.stderr


def test_a_stale_state_cannot_leak_a_file_through_the_exit_reason(
    echo_agent: Path, secret: Path, cleanup: list[Path]
) -> None:
    """Finding 2 (c): a pid file without a daemon makes monitor quote the log's tail in its
    ocf-exit-reason (which crm_mon shows to the cluster's users); nobody pointed the log at a
    root-only file."""
    _need_root_and_users("nobody")
    shared = _shared(0o1777)
    cleanup.append(shared)
    _attacker(
        "nobody",
        f"mkdir -m 700 {shared}/resapi-r1\n"
        f"echo 999999999 > {shared}/resapi-r1/pid\n"
        f"ln -s {secret} {shared}/resapi-r1/log\n"
        f"ln -s {secret} {shared}/resapi-r1.log\n",
    )
    env = {"HA_RSCTMP": str(shared)}
    monitor = _run(echo_agent, "monitor", env)
    assert SECRET.strip() not in monitor.stdout + monitor.stderr
    assert monitor.returncode == _ocf.OCF_ERR_INSTALLED, monitor.stderr
    assert "resapi-r1 is owned by uid 65534" in monitor.stderr


def test_root_never_falls_back_to_a_directory_others_can_write(
    echo_agent: Path, secret: Path, cleanup: list[Path]
) -> None:
    """Finding 2: with HA_RSCTMP unset and no /run/resource-agents (a private mount
    namespace with an empty /run), root fell back to $TMPDIR/resapi-ocf-0, which nobody had
    made first. Now root makes /run/resource-agents and keeps its state there."""
    _need_root_and_users("nobody")
    probe = ["unshare", "--mount", "--propagation", "private", "true"]
    if shutil.which("unshare") is None or subprocess.run(probe, check=False).returncode:
        pytest.skip("needs a private mount namespace: apt-get install -y util-linux, and root")
    shared = _shared(0o1777)  # the TMPDIR of the old fallback
    cleanup.append(shared)
    _attacker(
        "nobody",
        f"mkdir -m 777 {shared}/resapi-ocf-0 {shared}/resapi-ocf-0/resapi-r1\n"
        f"ln -s {secret} {shared}/resapi-ocf-0/resapi-r1.log\n"
        f"ln -s {secret} {shared}/resapi-ocf-0/resapi-r1/log\n",
    )
    planted = sorted(p.name for p in (shared / "resapi-ocf-0").rglob("*"))
    port = _free_port()
    script = textwrap.dedent(
        f"""\
        mount -t tmpfs -o mode=0755 ocf-test-run /run
        test ! -e /run/resource-agents
        export TMPDIR={shared} OCF_RESOURCE_INSTANCE=r1 OCF_RESKEY_port={port}
        export OCF_RESKEY_CRM_meta_timeout=20000
        {echo_agent} start; echo "start=$?"
        stat -c 'state=%a %U' /run/resource-agents/resapi-r1
        {echo_agent} monitor; echo "monitor=$?"
        {echo_agent} stop; echo "stop=$?"
        """
    )
    result = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
        env={"PATH": PATH},
        capture_output=True,
        text=True,
        cwd="/",
        timeout=120,
        check=False,
    )
    _unchanged(secret)
    assert sorted(p.name for p in (shared / "resapi-ocf-0").rglob("*")) == planted
    assert "start=0" in result.stdout, result.stdout + result.stderr
    assert "state=700 root" in result.stdout, result.stdout + result.stderr
    assert "monitor=0" in result.stdout, result.stdout + result.stderr
    assert "stop=0" in result.stdout, result.stdout + result.stderr


def test_the_daemon_answers_only_its_own_user(echo_agent: Path, cleanup: list[Path]) -> None:
    """Finding 2: the daemon checks its peer (SO_PEERCRED). Even with the state directory
    and socket opened up (an administrator's chmod), nobody cannot stop the resource; and
    the agent believes no socket but its daemon's."""
    _need_root_and_users("nobody")
    rsctmp = _private()
    cleanup.append(rsctmp)
    env = {"HA_RSCTMP": str(rsctmp), "OCF_RESKEY_port": str(_free_port())}
    try:
        assert _run(echo_agent, "start", env).returncode == 0
        directory = rsctmp / "resapi-r1"
        pid = int((directory / "pid").read_text().split()[0])
        rsctmp.chmod(0o711)
        directory.chmod(0o711)
        (directory / "sock").chmod(0o666)
        python = shutil.which("python3", path=PATH) or sys.executable
        ask = (
            "import socket, sys\n"
            "s = socket.socket(socket.AF_UNIX)\n"
            "s.connect(sys.argv[1])\n"
            "try:\n"
            '    s.sendall(b\'{"op": "stop"}\\n\')\n'
            "    print(repr(s.recv(4096)))\n"
            "except OSError:\n"
            "    print('closed')\n"
        )
        attack = subprocess.run(
            ["runuser", "-u", "nobody", "--", python, "-c", ask, str(directory / "sock")],
            capture_output=True,
            text=True,
            cwd="/",
            timeout=30,
            check=False,
        )
        # no answer: the daemon closed the connection
        assert attack.stdout.strip() in ("b''", "closed"), attack.stdout + attack.stderr
        assert _ocf._is_daemon(pid)
        directory.chmod(0o700)
        monitor = _run(echo_agent, "monitor", env)
        assert monitor.returncode == 0, monitor.stderr
        assert "WARNING: refused a request from PID" in (directory / "log").read_text()
        # The agent's side: a socket whose server is not the daemon of the pid file.
        instance = _ocf._Instance({"HA_RSCTMP": str(rsctmp), "OCF_RESOURCE_INSTANCE": "r1"})
        with pytest.raises(PermissionError, match=f"not by the host daemon {pid + 1}"):
            _ocf._request(instance, {"op": "status"}, 5.0, pid + 1)
    finally:
        _stop_daemon(echo_agent, env, rsctmp)


def test_state_files_have_explicit_modes_whatever_the_umask(
    echo_agent: Path, cleanup: list[Path]
) -> None:
    """Low: the directory 0700 and its files 0600, even under umask 000."""
    _need_root_and_users()
    rsctmp = _private()
    cleanup.append(rsctmp)
    env = {"HA_RSCTMP": str(rsctmp), "OCF_RESKEY_port": str(_free_port())}
    try:
        start = _run(echo_agent, "start", env, prefix=("sh", "-c", 'umask 000; exec "$@"', "sh"))
        assert start.returncode == 0, start.stderr
        directory = rsctmp / "resapi-r1"
        modes = {
            p.name: stat.S_IMODE(p.lstat().st_mode)
            for p in (directory, directory / "pid", directory / "log", directory / "sock")
            if p.exists()
        }
        assert modes == {"resapi-r1": 0o700, "pid": 0o600, "log": 0o600, "sock": 0o600}
    finally:
        _stop_daemon(echo_agent, env, rsctmp)


def test_the_cluster_log_is_not_followed_through_a_link(
    echo_agent: Path, secret: Path, cleanup: list[Path]
) -> None:
    """HA_LOGFILE is Pacemaker's log, in a directory hacluster owns; hacluster replaced it
    with a link to a root-only file, and root appended its log lines there."""
    _need_root_and_users("hacluster")
    user = pwd.getpwnam("hacluster")
    logs = Path(tempfile.mkdtemp(prefix="ocflog"))
    cleanup.append(logs)
    os.chown(logs, user.pw_uid, user.pw_gid)
    _attacker("hacluster", f"ln -s {secret} {logs}/pacemaker.log")
    rsctmp = _private()
    cleanup.append(rsctmp)
    (rsctmp / "resapi-r1").mkdir(mode=0o700)
    (rsctmp / "resapi-r1" / "pid").write_text("999999999\n")  # a stale state: stop logs
    stop = _run(
        echo_agent, "stop", {"HA_RSCTMP": str(rsctmp), "HA_LOGFILE": f"{logs}/pacemaker.log"}
    )
    assert stop.returncode == 0, stop.stderr
    assert "the host daemon is gone; removing its state" in stop.stderr
    _unchanged(secret)


# --------------------------------------------------------------------------- finding 3


def test_install_leaves_writable_paths_out_of_roots_code_path(
    cleanup: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finding 3: install baked $PYTHONPATH into the agent ahead of the standard library;
    nobody planted a json.py in a directory on it, and it ran as root at every monitor."""
    _need_root_and_users("nobody")
    writable = _shared(0o777)
    ocf_root = _private()
    rsctmp = _private()
    cleanup += [writable, ocf_root, rsctmp]
    monkeypatch.setenv("PYTHONPATH", str(writable))
    reports: list[str] = []
    agent = _install.install(ECHO, ocf_root=ocf_root, report=reports.append)
    _plant_modules("nobody", writable, ("json", "resapi/", "examples/"))
    results = [
        _run(agent, action, {"HA_RSCTMP": str(rsctmp)}, cwd=writable)
        for action in ("monitor", "validate-all", "stop")
    ]
    assert not (writable / "PWNED").exists(), (writable / "PWNED").read_text()
    assert [r.returncode for r in results] == [7, 0, 0], [r.stderr for r in results]
    assert any(
        f"{writable} (on $PYTHONPATH) is left out" in r and "writable by others" in r
        for r in reports
    ), reports


def test_the_code_path_comes_after_the_standard_library(
    cleanup: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finding 3: even a directory only root can write must not shadow a standard module
    (a json.py of an application's own, say) in the agent."""
    _need_root_and_users()
    code = _private()
    ocf_root = _private()
    rsctmp = _private()
    cleanup += [code, ocf_root, rsctmp]
    # json: imported by every action; logging and xml: only once the code path is in place
    for name in ("json.py", "logging/__init__.py", "xml/__init__.py"):
        (code / name).parent.mkdir(exist_ok=True)
        (code / name).write_text(PLANTED.format(where=str(code)))
    monkeypatch.setenv("PYTHONPATH", str(code))
    agent = _install.install(ECHO, ocf_root=ocf_root)
    assert str(code) in agent.read_text()  # kept: it is root's own
    for action in ("monitor", "validate-all", "meta-data"):
        result = _run(agent, action, {"HA_RSCTMP": str(rsctmp)})
        assert result.returncode in (0, 7), result.stderr
    assert not (code / "PWNED").exists(), (code / "PWNED").read_text()


def test_install_refuses_a_type_others_could_change(cleanup: list[Path]) -> None:
    """Finding 3: a type imported from a directory others can write (the working directory
    of `python -m resapi.ocf install`) would be code root runs: refused, nothing written."""
    _need_root_and_users()
    app = _shared(0o777)
    ocf_root = _private()
    cleanup += [app, ocf_root]
    (app / "shared_app.py").write_text(
        "from examples.echo_server import EchoServer\n\n\n"
        "class App(EchoServer):\n    type_name = 'Shared App'\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "resapi.ocf", "install", "shared_app:App", "--ocf-root", ocf_root],
        capture_output=True,
        text=True,
        cwd=app,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
        check=False,
    )
    assert result.returncode == _ocf.OCF_ERR_ARGS, result.stderr
    assert f"refusing to install an agent that root would run from {app}: " in result.stderr
    assert "writable by others (mode 0777)" in result.stderr
    assert not (ocf_root / "resource.d").exists()


# --------------------------------------------------------------------------- finding 6

NASTY = (
    "Bob's Service",
    "a/../../x",
    "$(touch {marker})",
    "`touch {marker}`",
    "two\nlines; touch {marker}",
    '" ; touch {marker} ; "',
    "..",
    "-rf",
)


@pytest.mark.parametrize(
    ("type_name", "expected"),
    [
        ("Echo Server", "echo-server"),
        ("  Slow   Start ", "slow-start"),
        ("Bob's Service", "bob-s-service"),
        ("a/../../x", "a-..-..-x"),
        ("$(touch /tmp/pwned)", "touch-tmp-pwned"),
        ("`id`", "id"),
        ("two\nlines", "two-lines"),
        ("v1.2_beta", "v1.2_beta"),
        ("-rf", "rf"),
    ],
)
def test_agent_names_are_safe_file_names(type_name: str, expected: str) -> None:
    assert _parameters.agent_name(type_name) == expected


@pytest.mark.parametrize("type_name", ["..", ".", "!!!", "", "Ünï"])
def test_an_agent_name_is_never_empty_or_a_directory(type_name: str) -> None:
    name = _parameters.agent_name(type_name)
    assert re.fullmatch(r"[a-z0-9._-]+", name)
    assert name not in (".", "..")
    assert not name.startswith(("-", "."))


def test_nasty_type_names_give_agents_that_work(
    cleanup: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finding 6: "Bob's Service" gave an agent whose every action (stop too) exited 2, a "/"
    wrote outside the OCF root, and $(...) landed in a shell expansion."""
    if shutil.which("sh") is None:
        pytest.skip("no sh")
    code = _private()
    ocf_root = _private()
    rsctmp = _private()
    marker = code / "PWNED"
    cleanup += [code, ocf_root, rsctmp]
    module = f"nasty_types_{uuid.uuid4().hex[:8]}"
    lines = ["from examples.echo_server import EchoServer", ""]
    for i, name in enumerate(NASTY):
        lines += [f"class T{i}(EchoServer):", f"    type_name = {name.format(marker=marker)!r}"]
    (code / f"{module}.py").write_text("\n".join(lines) + "\n")
    monkeypatch.syspath_prepend(str(code))
    provider = ocf_root / "resource.d" / "resapi"
    try:
        for i, name in enumerate(NASTY):
            agent = _install.install(f"{module}:T{i}", ocf_root=ocf_root)
            assert agent.parent == provider, agent  # nothing outside the OCF root
            assert re.fullmatch(r"[a-z0-9._-]+", agent.name), agent.name
            syntax = subprocess.run(["sh", "-n", str(agent)], capture_output=True, text=True)
            assert syntax.returncode == 0, (name, syntax.stderr)
            env = {"HA_RSCTMP": str(rsctmp), "OCF_ROOT": str(ocf_root)}
            assert _run(agent, "meta-data", env).returncode == 0, name
            assert _run(agent, "monitor", env).returncode == 7, name
            stop = _run(agent, "stop", env)
            assert stop.returncode == 0, (name, stop.stderr)
        # and a whole life of one of them
        bob = provider / "bob-s-service"
        env = {"HA_RSCTMP": str(rsctmp), "OCF_RESKEY_port": str(_free_port())}
        try:
            start = _run(bob, "start", env)
            assert start.returncode == 0, start.stderr
            assert "bob-s-service(r1)[" in start.stderr  # the log's tag
            assert _run(bob, "monitor", env).returncode == 0
        finally:
            _stop_daemon(bob, env, rsctmp)
    finally:
        sys.modules.pop(module, None)
    # ($(touch X) and `touch X` share a name: the later install replaced the earlier agent)
    assert {p.name for p in ocf_root.rglob("*") if p.is_file()} == {
        _parameters.agent_name(n.format(marker=marker)) for n in NASTY
    }
    assert not marker.exists()


# --------------------------------------------------------------------------- finding 7


@pytest.mark.parametrize("mode", [0o777, 0o1777])
def test_install_refuses_an_ocf_root_others_can_write(
    secret: Path, cleanup: list[Path], mode: int
) -> None:
    """Finding 7: with an OCF root others can write, nobody planted links at the agent's
    name and at its (predictable) temporary name; root's install wrote through them into a
    root-only file and made it 0755."""
    _need_root_and_users("nobody")
    ocf_root = _shared(mode)
    cleanup.append(ocf_root)
    provider = ocf_root / "resource.d" / "resapi"
    _attacker(
        "nobody",
        f"mkdir -p -m 777 {provider}\n"
        f"ln -s {secret} {provider}/echo-server\n"
        f"ln -s {secret} {provider}/.echo-server.tmp\n",
    )
    try:
        _install.install(ECHO, ocf_root=ocf_root)
    except _ocf.AgentError as exc:
        error: _ocf.AgentError | None = exc
    else:
        error = None
    _unchanged(secret)
    assert error is not None, "install wrote into an OCF root others can write"
    assert isinstance(error, _ocf.UnsafeInstallError)
    assert error.code == _ocf.OCF_ERR_ARGS
    assert error.reason.startswith(f"refusing to install an agent into {provider}: ")
    assert "owned by uid 65534" in error.reason or "writable by others" in error.reason
    assert "Use an OCF root that only root can write" in error.reason


def test_install_replaces_a_link_rather_than_following_it(
    secret: Path, cleanup: list[Path]
) -> None:
    """Finding 7: the agent is written to a new file and renamed into place, so a link
    already at its name (or at an old temporary name) is replaced, never written through."""
    ocf_root = _private()
    cleanup.append(ocf_root)
    provider = ocf_root / "resource.d" / "resapi"
    provider.mkdir(parents=True)
    (provider / "echo-server").symlink_to(secret)
    (provider / ".echo-server.tmp").symlink_to(secret)
    agent = _install.install(ECHO, ocf_root=ocf_root)
    info = agent.lstat()
    assert stat.S_ISREG(info.st_mode)
    assert stat.S_IMODE(info.st_mode) == 0o755
    assert agent.read_text().startswith("#!/bin/sh\n")
    _unchanged(secret)
    # no temporary file left behind
    assert sorted(p.name for p in provider.iterdir()) == [".echo-server.tmp", "echo-server"]


def test_install_makes_its_directories_0755_whatever_the_umask(cleanup: list[Path]) -> None:
    ocf_root = _private()
    cleanup.append(ocf_root)
    old = os.umask(0o077)
    try:
        agent = _install.install(ECHO, ocf_root=ocf_root / "ocf")
    finally:
        os.umask(old)
    for directory in (ocf_root / "ocf", ocf_root / "ocf" / "resource.d", agent.parent):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o755, directory
    assert stat.S_IMODE(agent.stat().st_mode) == 0o755


# --------------------------------------------------------------------------- low items


def test_a_non_utf8_instance_name_is_a_clear_error_and_stop_still_works(
    echo_agent: Path, cleanup: list[Path]
) -> None:
    """Low: OCF_RESOURCE_INSTANCE b"caf\\xe9" gave a traceback for every action."""
    _need_root_and_users()
    rsctmp = _private()
    cleanup.append(rsctmp)
    env: dict[str | bytes, str | bytes] = {
        "PATH": PATH,
        "HA_RSCTMP": str(rsctmp),
        b"OCF_RESOURCE_INSTANCE": b"caf\xe9",
    }

    def run(action: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(echo_agent), action],
            env=env,  # type: ignore[arg-type]  # bytes keys and values are fine on POSIX
            capture_output=True,
            text=True,
            errors="replace",
            cwd="/",
            timeout=60,
            check=False,
        )

    for action in ("start", "validate-all"):
        result = run(action)
        assert result.returncode == _ocf.OCF_ERR_CONFIGURED, result.stderr
        assert "Traceback" not in result.stderr
        assert (
            "ocf-exit-reason:OCF_RESOURCE_INSTANCE b'caf\\xe9' is not valid UTF-8" in result.stderr
        )
    monitor = run("monitor")
    assert monitor.returncode == _ocf.OCF_NOT_RUNNING, monitor.stderr
    stop = run("stop")
    assert stop.returncode == 0, stop.stderr
    assert "Traceback" not in monitor.stderr + stop.stderr
    assert list(rsctmp.iterdir()) == []  # nothing was started or made


@pytest.mark.parametrize(
    ("text", "value"),
    [("7100", 7100), ("010", 10), (" 5 ", 5), ("+5", 5), ("00080", 80)],
)
def test_integer_parameters_are_decimal(text: str, value: int) -> None:
    parameters = _parameters.parameters_from_env(EchoServer.Properties, {"OCF_RESKEY_port": text})
    assert parameters["Port"] == value


@pytest.mark.parametrize("text", ["0x10", "0o10", "0b1", "1_000", "1e3", "", "٣", "5 5"])
def test_integer_parameters_refuse_other_notations(text: str) -> None:
    with pytest.raises(_ocf.AgentError) as info:
        _parameters.parameters_from_env(EchoServer.Properties, {"OCF_RESKEY_port": text})
    assert info.value.code == _ocf.OCF_ERR_CONFIGURED
    assert info.value.reason == f"parameter 'port' must be a decimal integer, not {text!r}"
