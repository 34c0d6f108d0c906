"""The OCF agent's ``validate-all`` runs a type's own checks (issue 16, point 1): each
``prop(validate=...)`` and the whole-table ``PropertyTable.validate()``, exiting
OCF_ERR_CONFIGURED with the type's message as the ``ocf-exit-reason``; ``start`` refuses the
same configuration before it starts anything."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from resapi._ocf import _agent as _ocf, _install

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the agent's daemon uses /proc")

SHARE = "tests.contract._validation_types:Share"


def run(agent: Path, action: str, **params: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        # Under the OCF root: refused configurations never make the instance's directory.
        "HA_RSCTMP": str(agent.parent.parent.parent / "rsctmp"),
        "OCF_ROOT": str(agent.parent.parent.parent),
        "OCF_RESOURCE_INSTANCE": "share1",
        **{f"OCF_RESKEY_{k}": v for k, v in params.items()},
    }
    return subprocess.run(
        [str(agent), action], env=env, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _install.install(SHARE, ocf_root=tmp_path_factory.mktemp("ocf"))


def test_validate_all_runs_a_per_property_check(agent: Path) -> None:
    result = run(agent, "validate-all", path="www")
    assert result.returncode == _ocf.OCF_ERR_CONFIGURED
    assert (
        "ocf-exit-reason:parameter 'path' is 'www': must be an absolute path "
        "(starting with '/'), e.g. /srv/www" in result.stderr
    )
    assert run(agent, "validate-all", path="/srv/www").returncode == _ocf.OCF_SUCCESS


def test_validate_all_runs_the_whole_table_check(agent: Path) -> None:
    result = run(agent, "validate-all", path="/srv/www", admin_port="8080")
    assert result.returncode == _ocf.OCF_ERR_CONFIGURED
    assert (
        "ocf-exit-reason:the properties of ShareProperties do not go together: Port and "
        "AdminPort are both 8080; give the admin listener its own port" in result.stderr
    )
    assert run(agent, "validate-all", path="/srv", admin_port="9000").returncode == 0


def test_start_refuses_what_validate_all_refuses(agent: Path) -> None:
    result = run(agent, "start", path="relative")
    assert result.returncode == _ocf.OCF_ERR_CONFIGURED
    assert "must be an absolute path" in result.stderr
    assert not (agent.parent.parent.parent / "rsctmp").exists()  # no daemon was started
