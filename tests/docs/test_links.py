"""The docs cite only files that are in the repository.

Every page a reader gets (README.md, docs/*.md, benchmarks/README.md) is checked:

- a Markdown link to a relative target points at a file of the repository;
- a backticked path under one of the repository's top-level folders (``docs/ocf.md``,
  ``clusapi/testing/_lab.py``, ``clusapi/_core/_timers.TimerQueue``) exists;
- a backticked Markdown file name (``pacemaker.md``) is a page of the repository;
- nothing points outside the checkout (``../shared/...``) or at the project's working notes,
  which are not in it (the design notes, the style guide, the research inventories).

`mkdocs build --strict` (in .ci/run) also checks the links between pages and their anchors;
this test needs no MkDocs and runs with the rest of the suite.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted([ROOT / "README.md", ROOT / "benchmarks" / "README.md", *ROOT.glob("docs/**/*.md")])

_FENCE = re.compile(r"^```.*?^```", re.DOTALL | re.MULTILINE)
_SPAN = re.compile(r"`([^`\n]+)`")
#: [text](target) and [label]: target, the two ways Markdown spells a link.
_LINK = re.compile(r"\]\(([^)\s]+)\)|^\[[^\]]+\]:\s*(\S+)", re.MULTILINE)
_URL = re.compile(r"[a-z][a-z0-9+.-]*://\S+")
_MD_NAME = re.compile(r"(?<![\w./-])[\w][\w./-]*\.md\b")
_TOP_LEVEL = tuple(f"{p.name}/" for p in ROOT.iterdir() if p.is_dir() and p.name != ".git")
#: The project's working notes live beside the checkout, not in it: no page may send a reader
#: there. The names as the pages used to cite them.
_NOTES = re.compile(
    r"(?<!\.)\.\./|\bDESIGN(?:\.md)?\b|\bSTYLE\.md\b|\bresearch[/ ]\w+\.md|pacemaker-lab"
)


def _text(page: Path) -> str:
    return page.read_text(encoding="utf-8")


def _exists(page: Path, target: str) -> bool:
    return (page.parent / target).exists() or (ROOT / target).exists()


def _repo_path_exists(span: str) -> bool:
    """``clusapi/_core/_timers.TimerQueue`` names ``clusapi/_core/_timers.py``'s TimerQueue."""
    path = ROOT / span.rstrip("/")
    if path.exists():
        return True
    module, _, _attribute = span.rpartition(".")
    return bool(module) and (ROOT / f"{module}.py").is_file()


def _id(page: Path) -> str:
    return str(page.relative_to(ROOT))


def test_the_pages_are_found() -> None:
    names = {_id(page) for page in PAGES}
    assert {"README.md", "docs/architecture.md", "docs/index.md"} <= names, names


@pytest.mark.parametrize("page", PAGES, ids=_id)
def test_relative_links_point_into_the_repository(page: Path) -> None:
    broken = []
    for match in _LINK.finditer(_text(page)):
        target = (match.group(1) or match.group(2)).split("#", 1)[0]
        if not target or re.match(r"[a-z][a-z0-9+.-]*:", target):
            continue  # an anchor on the same page, or an absolute URL
        inside = (page.parent / target).resolve().is_relative_to(ROOT)
        if not inside or not _exists(page, target):
            broken.append(target)
    assert not broken, f"{_id(page)} links to files that are not in the repository: {broken}"


@pytest.mark.parametrize("page", PAGES, ids=_id)
def test_cited_paths_exist(page: Path) -> None:
    prose = _FENCE.sub("", _text(page))
    missing = [
        span
        for span in _SPAN.findall(prose)
        if span.startswith(_TOP_LEVEL) and " " not in span and not _repo_path_exists(span)
    ]
    # A page named in the prose, backticked or not (``resapi.md §5``), is one of the repository.
    missing += [
        name
        for name in _MD_NAME.findall(_URL.sub("", prose))
        if not any((base / name).is_file() for base in (page.parent, ROOT, ROOT / "docs"))
    ]
    assert not missing, f"{_id(page)} cites paths that are not in the repository: {missing}"


@pytest.mark.parametrize("page", PAGES, ids=_id)
def test_no_page_cites_the_notes_outside_the_repository(page: Path) -> None:
    cited = [
        f"line {number}: {line.strip()}"
        for number, line in enumerate(_text(page).splitlines(), 1)
        if _NOTES.search(line)
    ]
    assert not cited, f"{_id(page)} cites files outside the repository:\n" + "\n".join(cited)


@pytest.mark.parametrize(
    "line",
    [
        "the design (`DESIGN.md` §2)",
        "(research clusapi.md §5) in `research/clusapi.md`",
        "see [the notes](../shared/research/resapi.md)",
        "an agent at `../resapi/_ocf/_agent.py`",
        "the recipe (`pacemaker-lab.md` in the research notes)",
        "the rule (research resapi.md §5.9)",
        "as `../shared/STYLE.md` says",
    ],
)
def test_the_notes_pattern_finds_each_citation_the_pages_used_to_make(line: str) -> None:
    assert _NOTES.search(line)
