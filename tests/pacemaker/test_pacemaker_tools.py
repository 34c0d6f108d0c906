"""Finding Pacemaker's tools and saying why they cannot be used (issue 16, item 7).

Debian installs crm_mon, cibadmin and friends in /usr/sbin, which is not on an ordinary user's
PATH; the SDK looks there too. A user whom the cluster does not answer (not root, not in the
haclient group) is told that, not to install Pacemaker. The user switch is real: a forked
child drops to ``nobody`` before it runs the tools.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import stat
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
import pytest

import clusapi
from clusapi import Win32Error
from clusapi._backends.pacemaker._runner import (
    SBIN_DIRS,
    Runner,
    locate_tool,
    may_use_cluster,
    tools_unavailable,
)

if TYPE_CHECKING:
    from collections.abc import Callable

W = Win32Error
INSTALLED = Path("/usr/sbin/crm_mon").exists() and Path("/usr/sbin/cibadmin").exists()
needs_sbin_tools = pytest.mark.skipif(
    not INSTALLED, reason="needs Pacemaker in /usr/sbin: apt-get install pacemaker-cli-utils"
)
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="switching users needs root")
ORDINARY_PATH = "/usr/local/bin:/usr/bin:/bin"  # Debian's PATH for a user that is not root


def _tool(directory: Path, name: str, mode: int) -> Path:
    path = directory / name
    path.write_text("#!/bin/sh\necho fake\n")
    path.chmod(mode)
    return path


def test_a_tool_on_path_is_found_there_first(tmp_path: Path) -> None:
    tool = _tool(tmp_path, "crm_mon", 0o755)
    assert locate_tool("crm_mon", f"{tmp_path}:/usr/bin") == str(tool)


@needs_sbin_tools
def test_a_tool_only_in_usr_sbin_is_found_with_an_ordinary_users_path() -> None:
    assert locate_tool("crm_mon", ORDINARY_PATH) == "/usr/sbin/crm_mon"
    assert tools_unavailable(["cibadmin", "crm_mon"], ORDINARY_PATH) is None


def test_a_tool_that_is_nowhere_names_the_packages(tmp_path: Path) -> None:
    with pytest.raises(clusapi.ClusterUnavailableError) as caught:
        locate_tool("crm_nonexistent_tool", str(tmp_path))
    assert caught.value.winerror == W.RPC_S_SERVER_UNAVAILABLE
    assert f"neither on PATH nor in {' or '.join(SBIN_DIRS)}" in str(caught.value)
    assert "apt-get install pacemaker" in str(caught.value)
    reason = tools_unavailable(["crm_nonexistent_tool"], str(tmp_path))
    assert reason is not None
    assert "crm_nonexistent_tool missing" in reason
    assert "apt-get install pacemaker" in reason


def test_a_tool_this_user_may_not_run_says_so_not_install(tmp_path: Path) -> None:
    # No execute bit at all: even root may not run it (os.access says so for root too).
    barred = _tool(tmp_path, "crm_barred_tool", stat.S_IRUSR | stat.S_IWUSR)
    with pytest.raises(clusapi.ClusterError) as caught:
        locate_tool("crm_barred_tool", str(tmp_path))
    assert caught.value.winerror == W.ERROR_ACCESS_DENIED
    message = str(caught.value)
    assert f"may not run {barred}: it is not executable for them" in message
    assert "run it as root, or add the user to the 'haclient' group" in message
    assert "apt-get" not in message
    assert tools_unavailable(["crm_barred_tool"], str(tmp_path)) == message


@needs_sbin_tools
@pytest.mark.asyncio
async def test_the_runner_runs_a_tool_from_usr_sbin_with_an_ordinary_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATH", ORDINARY_PATH)
    result = await Runner().run(["crm_mon", "--version"], local=True)
    assert b"Pacemaker" in result.stdout


def _as_user(uid: int, gid: int, body: Callable[[], str]) -> str:
    """``body()`` run in a forked child that has become ``uid``/``gid`` (no other groups)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover (the child reports through the pipe)
        try:
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            text = json.dumps(["ok", body()])
        except BaseException as exc:
            text = json.dumps([type(exc).__name__, str(exc)])
        os.write(write, text.encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    kind, text = json.loads(data)
    return f"{kind}: {text}"


def _query_cib() -> str:
    os.environ["PATH"] = ORDINARY_PATH

    async def query() -> str:
        return (await Runner().run(["cibadmin", "--query"])).stdout.decode()

    return anyio.run(query)


@needs_root
@needs_sbin_tools
def test_a_user_outside_haclient_is_told_about_rights_not_install() -> None:
    nobody = pwd.getpwnam("nobody")
    outcome = _as_user(nobody.pw_uid, nobody.pw_gid, _query_cib)
    # No cluster runs on the test machine itself (the lab's live in namespaces), so cibadmin
    # says only "Transport endpoint is not connected"; for nobody that is the rights.
    assert outcome.startswith("ClusterError: user 'nobody' may not talk to the Pacemaker")
    assert "answer only root, hacluster and the members of group 'haclient'" in outcome
    assert "(ERROR_ACCESS_DENIED, 5); run it as root, or add the user to the 'haclient'" in outcome
    assert "apt-get" not in outcome
    assert "cannot run 'cibadmin'" not in outcome


@needs_root
@needs_sbin_tools
def test_a_member_of_haclient_is_told_no_cluster_answers() -> None:
    nobody = pwd.getpwnam("nobody")
    haclient = grp.getgrnam("haclient")
    outcome = _as_user(nobody.pw_uid, haclient.gr_gid, _query_cib)
    assert outcome.startswith("ClusterUnavailableError: no Pacemaker cluster answers here")
    assert "cibadmin: Could not connect to the CIB" in outcome
    assert "apt-get" not in outcome


@needs_root
@needs_sbin_tools
def test_who_may_use_the_cluster() -> None:
    assert may_use_cluster()  # root
    nobody = pwd.getpwnam("nobody")
    haclient = grp.getgrnam("haclient").gr_gid  # Pacemaker's package creates it
    assert _as_user(nobody.pw_uid, nobody.pw_gid, lambda: str(may_use_cluster())) == "ok: False"
    assert _as_user(nobody.pw_uid, haclient, lambda: str(may_use_cluster())) == "ok: True"
