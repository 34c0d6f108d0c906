"""The suite's skip summary: one line per skip *reason*, so the README's test command ends
with its result, not with a line per skipped test (issue 15, item 8).

pytest's ``-rs`` folds skips by file, line and reason; a fixture's skip (the Pacemaker lab's
"run as root") is reported at each test's own line, so a machine without the lab got ~100
identical reasons. pyproject's ``addopts`` asks pytest for ``-rfExX`` (failures, errors,
xfail and xpass, as before) and this hook, loaded by tests/conftest.py, prints the skips
grouped by reason. Ask for ``-rs`` (or ``-ra``) to get pytest's list, with each location,
instead.
"""

from __future__ import annotations

import collections
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pytest
    from _pytest.terminal import TerminalReporter

__all__ = ("pytest_terminal_summary",)


def pytest_terminal_summary(terminalreporter: TerminalReporter, config: pytest.Config) -> None:
    chars = config.option.reportchars
    if "s" in chars or "a" in chars or "A" in chars or "N" in chars:
        return  # pytest lists them itself (or was asked to list nothing)
    reasons: collections.Counter[str] = collections.Counter()
    for report in terminalreporter.stats.get("skipped", ()):
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        reasons[reason.removeprefix("Skipped: ")] += 1
    if not reasons:
        return
    terminalreporter.write_sep("=", "skipped, by reason (-rs lists each test)")
    for reason, count in reasons.most_common():
        terminalreporter.write_line(f"SKIPPED [{count}] {reason}")
