"""What an OCF agent type trusts of its agent and of its name (issue 13, low findings).

An agent's ``meta-data`` is read with a size and time limit and checked (parameter names
become environment variables and properties; durations become timeouts); an agent name
``ocf:PROVIDER:TYPE`` names a file under the OCF root, never a path out of it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

import clusapi
import resapi.testing
from clusapi import Win32Error
from resapi._ocf._type import META_DATA_LIMIT, ocf_resource_type, parse_meta_data

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="OCF agents are POSIX programs")

#: meta-data with a PARAMETERS and an ACTIONS placeholder.
META_DATA = """<?xml version="1.0"?>
<resource-agent name="T" version="1.0">
<parameters>PARAMETERS</parameters>
<actions>ACTIONS</actions>
</resource-agent>"""


def _agent(directory: Path, meta_data_command: str, name: str = "T") -> Path:
    """An agent whose ``meta-data`` runs ``meta_data_command`` (sh)."""
    agent = directory / name
    agent.write_text(
        f'#!/bin/sh\ncase "$1" in\nmeta-data) {meta_data_command};;\n*) exit 0;;\nesac\n'
    )
    agent.chmod(0o755)
    return agent


def _meta_data_agent(directory: Path, parameters: str = "", actions: str = "") -> Path:
    xml = META_DATA.replace("PARAMETERS", parameters).replace("ACTIONS", actions)
    (directory / "meta-data.xml").write_text(xml)
    return _agent(directory, f"cat '{directory / 'meta-data.xml'}'")


def test_meta_data_larger_than_the_limit_is_refused(tmp_path: Path) -> None:
    padding = "x" * (META_DATA_LIMIT + 1)
    agent = _meta_data_agent(tmp_path, f"<!-- {padding} -->")
    with pytest.raises(clusapi.ClusterError) as caught:
        ocf_resource_type(str(agent))
    assert caught.value.winerror == Win32Error.ERROR_INVALID_PARAMETER
    assert str(agent) in str(caught.value)
    assert f"more than {META_DATA_LIMIT} bytes" in str(caught.value)
    with pytest.raises(ValueError, match="larger than"):
        parse_meta_data(f"<resource-agent><!-- {padding} --></resource-agent>")


def test_an_agent_that_never_stops_writing_is_cut_off_at_the_limit(tmp_path: Path) -> None:
    # It used to be read whole into memory until the 10 s timeout.
    agent = _agent(tmp_path, "exec yes '<resource-agent>'")
    started = time.monotonic()
    with pytest.raises(clusapi.ClusterError, match=f"more than {META_DATA_LIMIT} bytes"):
        ocf_resource_type(str(agent))
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    "name",
    ["", "a=b", "x y", "$(id)", "a\nb", "-flag", "1st", "p" * 129, "caf\u00e9"],
)
def test_a_parameter_name_that_is_not_safe_is_refused(tmp_path: Path, name: str) -> None:
    escaped = name.replace("&", "&amp;").replace('"', "&quot;").replace("\n", "&#10;")
    parameter = f'<parameter name="{escaped}"><content type="string"/></parameter>'
    agent = _meta_data_agent(tmp_path, parameter)
    with pytest.raises(clusapi.ClusterError) as caught:
        ocf_resource_type(str(agent))
    assert caught.value.winerror == Win32Error.ERROR_INVALID_PARAMETER
    assert str(agent) in str(caught.value)
    assert "parameter name" in str(caught.value)


def test_a_parameter_given_twice_is_refused(tmp_path: Path) -> None:
    parameter = '<parameter name="ip"><content type="string"/></parameter>'
    agent = _meta_data_agent(tmp_path, parameter * 2)
    with pytest.raises(clusapi.ClusterError, match="'ip' is given twice"):
        ocf_resource_type(str(agent))


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ('<action name="start" timeout="soon"/>', "action 'start' timeout 'soon'"),
        ('<action name="stop" timeout="-5s"/>', "action 'stop' timeout '-5s'"),
        ('<action name="start" timeout="20 fortnights"/>', "is not a duration"),
        ('<action name="start" timeout="1000000h"/>', "longer than a day"),
        ('<action name="monitor" interval="often"/>', "action 'monitor' interval 'often'"),
        ('<action name="monitor" interval="10s" depth="deep"/>', "depth 'deep'"),
    ],
)
def test_a_duration_that_does_not_parse_is_refused(
    tmp_path: Path, action: str, message: str
) -> None:
    agent = _meta_data_agent(tmp_path, actions=action)
    with pytest.raises(clusapi.ClusterError) as caught:
        ocf_resource_type(str(agent))
    assert caught.value.winerror == Win32Error.ERROR_INVALID_PARAMETER
    assert str(agent) in str(caught.value)
    assert message in str(caught.value)


def test_good_meta_data_still_parses(tmp_path: Path) -> None:
    agent = _meta_data_agent(
        tmp_path,
        '<parameter name="ip-address"><content type="string"/></parameter>'
        '<parameter name="_x.y"><content type="integer" default="3"/></parameter>',
        '<action name="start" timeout="1.5m"/><action name="monitor" interval="500ms" '
        'timeout="20" depth="0"/>',
    )
    cls = ocf_resource_type(str(agent))
    assert {item.name for item in cls.Properties.items()} == {"ip-address", "_x.y"}
    assert cls.meta_data.timeouts["start"] == 90  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "agent",
    [
        "ocf:..:X",
        "ocf:heartbeat:..",
        "ocf:a/b:X",
        "ocf:heartbeat:../X",
        "ocf::X",
        "ocf:X",
        "ocf:heartbeat:",
        "ocf:a:b:c",
        "ocf:.hidden:X",
        "OCF:..:X",
    ],
)
def test_an_agent_name_with_a_path_in_it_is_refused(agent: str) -> None:
    with pytest.raises(clusapi.ClusterError) as caught:
        ocf_resource_type(agent)
    assert caught.value.winerror == Win32Error.ERROR_INVALID_PARAMETER
    assert "ocf:PROVIDER:TYPE" in str(caught.value)


def _runuser() -> str:
    if os.geteuid() != 0 or shutil.which("runuser") is None:
        pytest.skip("needs root and runuser (util-linux) to plant the agent as nobody")
    return "runuser"


def test_ocf_dot_dot_does_not_run_a_program_planted_outside_resource_d() -> None:
    runuser = _runuser()
    root = Path(tempfile.mkdtemp(prefix="ocf-root-"))
    try:
        os.chown(root, *_nobody())
        marker = root / "ran-as-root"
        # The attacker (nobody) can write the OCF root but not resource.d's agents; it plants
        # a program next to resource.d and names it as ocf:..:evil.
        subprocess.run(
            [
                runuser,
                "-u",
                "nobody",
                "--",
                "sh",
                "-c",
                f"mkdir -p {root}/resource.d/heartbeat && "
                f"printf '#!/bin/sh\\ntouch {marker}\\n' > {root}/evil && chmod 755 {root}/evil",
            ],
            check=True,
        )
        with pytest.raises(clusapi.ClusterError) as caught:
            ocf_resource_type("ocf:..:evil", ocf_root=str(root))
        assert caught.value.winerror == Win32Error.ERROR_INVALID_PARAMETER
        assert not marker.exists(), "root ran a program from outside resource.d"
    finally:
        shutil.rmtree(root)


def _nobody() -> tuple[int, int]:
    import pwd

    entry = pwd.getpwnam("nobody")
    return entry.pw_uid, entry.pw_gid


def test_an_integer_default_is_read_as_decimal_only() -> None:
    def default(text: str) -> tuple[type, object]:
        meta = parse_meta_data(
            META_DATA.replace(
                "PARAMETERS",
                f'<parameter name="n"><content type="integer" default="{text}"/></parameter>',
            ).replace("ACTIONS", "")
        )
        (parameter,) = meta.parameters
        return parameter.kind, parameter.default

    assert default("010") == (int, 10)
    assert default(" -5 ") == (int, -5)
    # Python's int() takes these; an agent's shell does not: the parameter stays a string.
    for text in ("0x10", "1_000", "\u0661\u0662", "1e3"):
        assert default(text) == (str, text)


@pytest.fixture
def planted_rsctmp(monkeypatch):
    """A world-writable temporary directory of its own (as /tmp) for this test, where nobody
    has made ``ocf/rsctmp`` a symbolic link to a root-only directory; yields that one."""
    runuser = _runuser()
    shared = Path(tempfile.mkdtemp(prefix="shared-tmp-"))
    secret = Path(tempfile.mkdtemp(prefix="root-only-"))  # 0700, root's
    try:
        shared.chmod(0o1777)
        monkeypatch.setattr(tempfile, "tempdir", str(shared))
        subprocess.run(
            [runuser, "-u", "nobody", "--", "sh", "-c",
             f"mkdir {shared}/ocf && ln -s {secret} {shared}/ocf/rsctmp"],
            check=True,
        )  # fmt: skip
        yield secret
    finally:
        shutil.rmtree(shared)
        shutil.rmtree(secret)


def _entries(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


@pytest.mark.asyncio
async def test_agent_state_never_goes_where_another_user_points_it(planted_rsctmp) -> None:
    # Without a node TEMP of its own (the harness), the agents' HA_RSCTMP used to be
    # $TMPDIR/ocf/rsctmp, made with mkdir and followed through symbolic links: nobody could
    # point it at a root-only directory, where root then created and removed state files.
    dummy = ocf_resource_type("ocf:heartbeat:Dummy")
    async with resapi.testing.run_resource(dummy, name="web") as h:
        assert await h.online() is clusapi.ResourceState.ONLINE
        assert _entries(planted_rsctmp) == [], "root wrote where nobody pointed it"
        assert await h.is_alive()
        assert await h.offline() is clusapi.ResourceState.OFFLINE
    assert _entries(planted_rsctmp) == []


def test_a_state_directory_someone_else_owns_is_refused(tmp_path: Path) -> None:
    from resapi._ocf._type import _private_directory

    runuser = _runuser()
    shared = Path(tempfile.mkdtemp(prefix="shared-"))
    try:
        shared.chmod(0o1777)
        subprocess.run(
            [runuser, "-u", "nobody", "--", "sh", "-c",
             f"mkdir -m 777 {shared}/taken && ln -s {tmp_path} {shared}/link"],
            check=True,
        )  # fmt: skip
        for name in ("taken", "link"):
            with pytest.raises(clusapi.ClusterError) as caught:
                _private_directory(shared / name)
            assert caught.value.winerror == Win32Error.ERROR_ACCESS_DENIED
            assert str(shared / name) in str(caught.value)
        _private_directory(shared / "mine")  # made here: 0700, this user's
        assert (shared / "mine").stat().st_mode & 0o777 == 0o700
    finally:
        shutil.rmtree(shared)
