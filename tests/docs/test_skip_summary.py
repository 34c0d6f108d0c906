"""The README's test command ends with its result: skips are listed once per reason
(tests/_skip_summary.py, with pyproject's ``-rfExX``), failures and xfails as pytest lists
them, and the last line is pytest's result line (issue 15, item 8)."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

#: A project like this suite: a fixture that skips for a machine reason, used by tests on
#: different lines (pytest's -rs would give each its own line), and an xfail.
PROJECT_TESTS = """
import pytest


@pytest.fixture
def lab():
    pytest.skip("run as root: the lab needs namespaces")


def test_one(lab): pass


def test_two(lab): pass


def test_three(lab): pass


@pytest.mark.skipif(True, reason="not on this platform")
def test_other(): pass


@pytest.mark.xfail(reason="known bug", strict=True)
def test_known_bug():
    assert False


def test_passes(): pass
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makeconftest(
        "from tests._skip_summary import pytest_terminal_summary as pytest_terminal_summary\n"
    )
    pytester.makepyfile(test_project=PROJECT_TESTS)
    return pytester


def test_skips_are_grouped_by_reason_and_the_result_is_the_last_line(
    project: pytest.Pytester,
) -> None:
    result = project.runpytest("-p", "no:cacheprovider", "-rfExX")
    result.assert_outcomes(passed=1, skipped=4, xfailed=1)
    lines = [line for line in result.outlines if line.strip()]
    skipped = [line for line in lines if line.startswith("SKIPPED")]
    assert skipped == [
        "SKIPPED [3] run as root: the lab needs namespaces",
        "SKIPPED [1] not on this platform",
    ]
    assert any(line.startswith("XFAIL test_project.py::test_known_bug") for line in lines)
    assert "1 passed, 4 skipped, 1 xfailed" in lines[-1]
    assert lines[-1].startswith("=")


def test_asking_for_rs_gives_pytests_own_list_instead(project: pytest.Pytester) -> None:
    result = project.runpytest("-p", "no:cacheprovider", "-rs")
    skipped = [line for line in result.outlines if line.startswith("SKIPPED")]
    # pytest's list: one line per test location, and no grouped section besides it
    assert len(skipped) == 4, skipped
    assert not any("by reason" in line for line in result.outlines)
