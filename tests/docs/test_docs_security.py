"""docs/security.md names the tests that run each attack: checked, not claimed.

The table under "## The tests that run the attacks" cites test files (``tests/x.py``), test
functions in them (``tests/x.py::test_y``, or ``test_y`` after a file in the same cell), and
this test fails when a cited file or function does not exist, or when one is skipped
unconditionally or marked xfail. It reads the document and the test sources only.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path
from typing import Final

import pytest

ROOT: Final = Path(__file__).parents[2]
DOC: Final = ROOT / "docs" / "security.md"
SECTION: Final = "## The tests that run the attacks"
_CITED: Final = re.compile(r"`([^`]+)`")


def _rows() -> list[tuple[str, list[str]]]:
    """(finding, the cell's citations) for each row of the section's table."""
    text = DOC.read_text(encoding="utf-8")
    body = text[text.index(SECTION) :].split("\n## ", 1)[0]
    rows = []
    for line in body.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 2 or cells[0] in {"Finding", ""} or set(cells[0]) <= {"-"}:
            continue
        rows.append((cells[0], _CITED.findall(cells[1])))
    return rows


def _node_ids(citations: list[str]) -> list[str]:
    """``tests/a.py: test_x, test_y`` cells become ``tests/a.py::test_x`` ... node ids; a file
    cited alone stands for itself."""
    ids: list[str] = []
    current: str | None = None
    for cited in citations:
        if cited.startswith("tests/"):
            current = cited.split("::")[0]
            ids.append(cited)
        elif cited.startswith("test_") and current is not None:
            if current in ids:
                ids.remove(current)  # the file is named for the tests that follow it
            ids.append(f"{current}::{cited}")
    return ids


@cache
def _functions(path: str) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    return {
        node.name: node
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }


def _marks(node: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    names = set()
    for deco in node.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        if isinstance(target, ast.Attribute):
            names.add(target.attr)
    return names


ROWS: Final = _rows()


def test_the_table_is_there_and_every_row_cites_a_test() -> None:
    assert len(ROWS) >= 12, ROWS  # the twelve findings of the review, at least
    for finding, citations in ROWS:
        assert _node_ids(citations), f"row {finding!r} cites no test"


@pytest.mark.parametrize(("finding", "citations"), ROWS, ids=[r[0] for r in ROWS])
def test_every_cited_test_exists_and_runs(finding: str, citations: list[str]) -> None:
    for node_id in _node_ids(citations):
        path, _, name = node_id.partition("::")
        assert (ROOT / path).is_file(), f"{finding}: no file {path}"
        if not name:
            continue
        functions = _functions(path)
        assert name in functions, f"{finding}: {path} has no test {name}"
        bad = _marks(functions[name]) & {"skip", "xfail"}
        assert not bad, f"{finding}: {node_id} is marked {bad}"
