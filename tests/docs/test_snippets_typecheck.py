"""Every ```python block of README.md and docs/*.md passes ``mypy --strict``: a user who copies
one into a typed project gets no errors from it.

Each block becomes a module of its own in one temporary directory, and one mypy run checks
them all with the repository's own settings (``[tool.mypy]`` of pyproject.toml). A block that
begins with ``# file: NAME.py`` is written under that name, so the programs of a page that
import each other (docs/quickstart.md's ``check.py`` imports ``ticker.py``) are checked
together; any other block gets a name from its page and position. It runs from the repository
root, so ``clusapi``, ``resapi`` and ``examples`` resolve as they do for the project's own mypy
run. A block that is deliberately not Python belongs in a ```text fence.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Final

import mypy.api
import pytest

ROOT: Final = Path(__file__).parents[2]

# Pages whose blocks are not checked yet (none: every page is).
NOT_YET_CHECKED: Final[frozenset[str]] = frozenset()

_BLOCK: Final = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)
_FILE_LINE: Final = re.compile(r"#\s*file:\s*(\w+\.py)\s*$")


def _documents() -> list[Path]:
    docs = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    return [d for d in docs if d.relative_to(ROOT).as_posix() not in NOT_YET_CHECKED]


def _modules() -> dict[str, tuple[str, str]]:
    """File name -> (where the block is, its text) for every python block of the documents.

    Two pages may show the same file (a one-line ``conftest.py``) only with the same text:
    mypy checks one module per name.
    """
    modules: dict[str, tuple[str, str]] = {}
    for doc in _documents():
        text = doc.read_text(encoding="utf-8")
        rel = doc.relative_to(ROOT).as_posix()
        for match in _BLOCK.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            where = f"{rel}:{line}"
            source = match.group(1)
            first = source.lstrip().split("\n", 1)[0]
            named = _FILE_LINE.fullmatch(first.strip())
            stem = re.sub(r"\W", "_", doc.stem).lower()
            name = named.group(1) if named else f"snippet_{stem}_line{line}.py"
            if name in modules and modules[name][1] != source:
                pytest.fail(
                    f"{where} and {modules[name][0]} are both '# file: {name}' with different "
                    "text; give one of them another name"
                )
            modules.setdefault(name, (where, source))
    return modules


def test_every_python_block_of_the_docs_passes_mypy_strict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    modules = _modules()
    assert len(modules) >= 20, f"found only {len(modules)} python blocks; is the extractor broken?"
    where = {}
    for name, (place, source) in modules.items():
        (tmp_path / name).write_text(source, encoding="utf-8")
        where[name] = place
    monkeypatch.chdir(ROOT)
    started = time.perf_counter()
    stdout, stderr, status = mypy.api.run(
        [
            "--config-file",
            str(ROOT / "pyproject.toml"),
            # The snippets' cache is kept apart from the project's, which it would fill with
            # modules named conftest, check, ... that exist only in this test.
            "--cache-dir",
            str(ROOT / ".mypy_cache" / "doc-snippets"),
            "--show-error-codes",
            *sorted(str(tmp_path / name) for name in modules),
        ]
    )
    elapsed = time.perf_counter() - started
    # mypy names the temporary files; name the blocks they came from.
    for name, place in where.items():
        stdout = stdout.replace(str(tmp_path / name), f"{place} ({name})")
    assert status == 0, (
        f"mypy --strict on the {len(modules)} python blocks of the docs ({elapsed:.1f} s):\n"
        f"{stdout}{stderr}"
    )
