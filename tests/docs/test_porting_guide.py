"""docs/porting-guide.md cites only Python names that exist, and covers the research files.

The guide maps every C name of the research inventories (``research/clusapi.md``,
``research/resapi.md``) to a dotted Python path in backticks, or says "not provided". These
tests keep it honest:

- every backticked ``clusapi.…`` / ``resapi.…`` name resolves (the longest importable module
  prefix is imported, the rest is looked up with ``getattr``; an attribute a class only
  declares by annotation, such as a property-table row or ``ClusterError.winerror``, counts);
- every number in a table's value column equals the enum member or constant it is mapped to;
- every row of the error table names the exception class :func:`make_error` really raises, and
  every :class:`clusapi.Win32Error` member has a row;
- every ``CLUSTER_CHANGE_*`` bit is in the guide;
- when the research files are present: every ``CLUSTER_CHANGE_*`` bit and every error code of
  their §2.7 and §6, and every C function, callback, structure and type name they spell out
  in backticks or bold, appears in the guide.
"""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest

import clusapi
from clusapi.lowlevel import error_class_for

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "porting-guide.md"
RESEARCH = Path(__file__).resolve().parents[3] / "shared" / "research"

_FENCE = re.compile(r"^```.*?^```", re.DOTALL | re.MULTILINE)
_SPAN = re.compile(r"`([^`\n]+)`")
_DOTTED = re.compile(r"(?:clusapi|resapi)(?:\.[A-Za-z_][A-Za-z0-9_]*)+")
#: A table row whose second cell is a number and whose third is a backticked Python name.
_VALUE_ROW = re.compile(
    r"^\|\s*`[^`]+`\s*\|\s*(-?(?:0x[0-9a-fA-F]+|\d+))\s*\|\s*`((?:clusapi|resapi)\.[\w.]+)`\s*\|",
    re.MULTILINE,
)
#: A row of the error table: C name, value, `clusapi.Win32Error.X`, `clusapi.SomeError`.
_ERROR_ROW = re.compile(
    r"^\|\s*`(\w+)`\s*\|\s*\d+\s*\|\s*`clusapi\.Win32Error\.(\w+)`\s*\|\s*`clusapi\.(\w+)`\s*\|",
    re.MULTILINE,
)


def _guide() -> str:
    return GUIDE.read_text(encoding="utf-8")


def cited_names(text: str) -> list[str]:
    """The dotted ``clusapi.``/``resapi.`` names at the start of backticked spans, in order."""
    names: dict[str, None] = {}
    for span in _SPAN.findall(_FENCE.sub("", text)):
        match = _DOTTED.match(span)
        if match:
            names[match.group(0)] = None
    return list(names)


def _declared(cls: type, name: str) -> bool:
    """True if ``cls`` or a base declares ``name`` by annotation (attrs fields, table rows)."""
    return any(name in inspect.get_annotations(klass) for klass in cls.__mro__)


def resolve(dotted: str) -> object:
    """Import the longest importable module prefix of ``dotted``, then getattr the rest.

    Raises:
        LookupError: naming the first part that does not exist.
    """
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        module_name = ".".join(parts[:split])
        try:
            obj: object = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            missing = exc.name or ""
            if module_name != missing and not module_name.startswith(f"{missing}."):
                raise  # the module exists but fails to import: a real error
            continue
        break
    else:  # pragma: no cover - clusapi and resapi always import
        raise LookupError(f"no importable module in {dotted!r}")
    rest = parts[split:]
    for index, name in enumerate(rest):
        try:
            obj = getattr(obj, name)
        except AttributeError:
            last = index == len(rest) - 1
            if last and isinstance(obj, type) and _declared(obj, name):
                return obj  # an attribute instances have: declared, not set on the class
            where = ".".join(parts[: split + index])
            raise LookupError(f"{dotted}: {where} has no attribute {name!r}") from None
    return obj


# -- the guide's own names -----------------------------------------------------------------


def test_the_guide_cites_the_api() -> None:
    names = cited_names(_guide())
    assert len(names) > 300, f"only {len(names)} dotted names found; did the parser break?"
    assert "clusapi.Group.move" in names
    assert "resapi.Resource.is_alive" in names


def test_every_cited_name_exists() -> None:
    missing = []
    for name in cited_names(_guide()):
        try:
            resolve(name)
        except LookupError as exc:
            missing.append(str(exc))
    assert not missing, "docs/porting-guide.md cites names that do not exist:\n" + "\n".join(
        missing
    )


@pytest.mark.parametrize(
    "name",
    [
        "clusapi.Group.move",
        "clusapi.ResourceState.ONLINE_PENDING",
        "clusapi.lowlevel.PropertyList.from_bytes",
        "clusapi.GroupCommonProperties.failover_threshold",
        "clusapi.ClusterError.winerror",
        "clusapi.testing.ReferenceEnvironment.crash_node",
        "resapi.testing.check_resource",
    ],
)
def test_the_resolver_finds_methods_members_and_declared_attributes(name: str) -> None:
    resolve(name)


@pytest.mark.parametrize(
    "name",
    [
        "clusapi.NoSuchThing",
        "clusapi.Group.no_such_method",
        "clusapi.ResourceState.NO_SUCH_STATE",
        "clusapi.lowlevel.PropertyList.from_bytes.nope",
        "clusapi.GroupCommonProperties.no_such_property",
        "clusapi.GroupCommonProperties.failover_threshold.real",
        "resapi.testing.no_such_helper",
    ],
)
def test_the_resolver_rejects_names_that_do_not_exist(name: str) -> None:
    with pytest.raises(LookupError, match="has no attribute"):
        resolve(name)


def test_the_numbers_in_the_tables_match_the_enums() -> None:
    rows = _VALUE_ROW.findall(_guide())
    assert len(rows) > 200, f"only {len(rows)} value rows found; did the table format change?"
    wrong = []
    for text, name in rows:
        value = resolve(name)
        if not isinstance(value, int) or int(value) != int(text, 0):
            wrong.append(f"{name} is {value!r}, the guide says {text}")
    assert not wrong, "\n".join(wrong)


def test_the_error_table_names_the_exception_each_code_raises() -> None:
    rows = _ERROR_ROW.findall(_guide())
    wrong = []
    for c_name, member, exception in rows:
        if c_name != member:
            wrong.append(f"row {c_name} maps to Win32Error.{member}")
        expected = error_class_for(clusapi.Win32Error[member]).__name__
        if exception != expected:
            wrong.append(f"{member}: the guide says {exception}, make_error raises {expected}")
    assert not wrong, "\n".join(wrong)
    missing = {m.name for m in clusapi.Win32Error} - {member for _, member, _ in rows}
    assert not missing, f"Win32Error members without a row in the error table: {sorted(missing)}"


def test_every_cluster_change_bit_is_in_the_guide() -> None:
    text = _guide()
    missing = [m.name for m in clusapi.ClusterChange if f"CLUSTER_CHANGE_{m.name}" not in text]
    assert not missing, f"CLUSTER_CHANGE bits missing from the guide: {missing}"


# -- coverage of the research files --------------------------------------------------------


def _research(name: str) -> str:
    path = RESEARCH / name
    if not path.is_file():
        pytest.skip(
            f"research file {path} is not present; the checks of the guide against the "
            "research inventories are skipped (the checks against the API still ran)"
        )
    return path.read_text(encoding="utf-8")


def _section(text: str, heading: str) -> str:
    """The text from the heading line starting with ``heading`` up to the next heading of the
    same or a higher level."""
    level = len(heading) - len(heading.lstrip("#"))
    match = re.search(rf"^{re.escape(heading)}.*$", text, re.MULTILINE)
    assert match, f"research file has no heading {heading!r}; update the parser"
    stop = re.compile(rf"^#{{1,{level}}} ", re.MULTILINE).search(text, match.end())
    return text[match.end() : stop.start() if stop else len(text)]


def _rows(section: str) -> list[list[str]]:
    """The cells of every table row of ``section`` (header and separator rows included)."""
    return [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in section.splitlines()
        if line.startswith("|")
    ]


def research_cluster_change_bits(text: str) -> dict[str, int]:
    """``CLUSTER_CHANGE`` bit names and values from the table of clusapi.md §2.7.

    Cells look like ``NODE_STATE 0x1, NODE_DELETED 0x2`` or
    ``NETWORK_STATE/DELETED/ADDED/PROPERTY 0x100000/0x200000/0x400000/0x800000``.
    """
    bits: dict[str, int] = {}
    for cells in _rows(_section(text, "### 2.7")):
        if "0x" not in cells[0]:
            continue
        for item in cells[0].split(","):
            names_part, values_part = item.strip().rsplit(" ", 1)
            names, values = names_part.split("/"), values_part.split("/")
            assert len(names) == len(values), f"cannot pair names and values in {item!r}"
            prefix = names[0].rsplit("_", 1)[0] + "_" if len(names) > 1 else ""
            for position, (name, value) in enumerate(zip(names, values, strict=True)):
                bits[name if position == 0 else prefix + name] = int(value, 16)
    return bits


def research_error_codes(text: str) -> list[clusapi.Win32Error]:
    """The codes of the table of clusapi.md §6, checked against their spelling there.

    Rows pair ``/``-separated names and values (``ERROR_GROUP_NOT_AVAILABLE / _NOT_FOUND`` with
    ``5012 / 5013``); a piece starting with ``_`` is a suffix of the full name; the "others"
    row gives numbers only.
    """
    codes: list[clusapi.Win32Error] = []
    for cells in _rows(_section(text, "## 6.")):
        first = cells[0]
        if first == "Code" or set(first) <= set("-: "):
            continue
        if first.startswith("others"):
            # "network 5045/5047, ..., 2012+ group busy 5944/...": the codes, not the year
            codes += [clusapi.Win32Error(int(n)) for n in re.findall(r"\b\d{4}\b(?!\+)", first)]
            continue
        pieces = [p.strip() for p in first.split("/")]
        values = [v.strip() for v in cells[1].split("/")]
        assert len(pieces) == len(values), f"cannot pair names and values in row {cells}"
        for piece, value in zip(pieces, values, strict=True):
            code = clusapi.Win32Error.lookup(int(value))
            assert code is not None, f"research §6 code {value} ({piece}) is not a Win32Error"
            if piece.startswith("_"):
                ok = code.name.endswith(piece)
            elif piece.startswith(("ERROR_", "WAIT_")):
                ok = code.name == piece
            else:
                ok = code.name == f"ERROR_{piece}"
            assert ok, f"research §6 spells {piece!r} for {value}, Win32Error says {code.name}"
            codes.append(code)
    return codes


_CAMEL = re.compile(r"[A-Z][a-z0-9]+(?:[A-Z][A-Za-z0-9]*)+")
_CAPS = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")
#: ALL_CAPS names worth a row: types, structures and constants of the two headers.
_CAPS_PREFIXES = (
    "CLUSTER_",
    "CLUS_",
    "CLUSAPI_",
    "CLUSPROP_",
    "CLUSCTL_",
    "CLUSGROUP_",
    "CLRES_",
    "RESOURCE_",
    "RESUTIL_",
    "LOG_",
    "MONITOR_",
    "NODE_CLUSTER_",
    "FAILURE_TYPE",
    "ERROR_",
)


def research_c_names(text: str) -> set[str]:
    """The C names a research file spells out in backticks or bold: CamelCase functions,
    callbacks and properties (``OpenCluster``, ``ResUtilVerifyPropertyTable``), and ALL_CAPS
    types, structures and constants with a cluster prefix (``RESOURCE_STATUS``). Compressed
    spellings (``Open/CloseClusterNetwork``, ``ResUtilFind{Sz,...}Property``) are skipped."""
    text = _FENCE.sub("", text)
    names: set[str] = set()
    spans = _SPAN.findall(text) + re.findall(r"\*\*([^*\n]+)\*\*", text)
    for span in spans:
        head = span.split("(")[0] if "(" in span else span
        for token in re.split(r"[,\s]+", head):
            token = token.strip().rstrip(":")
            if not token or re.search(r"[/{}…]|\.\.\.", token):
                continue
            if _CAMEL.fullmatch(token) or (
                _CAPS.fullmatch(token) and token.startswith(_CAPS_PREFIXES)
            ):
                names.add(token)
    return names


def test_every_cluster_change_bit_of_the_research_is_in_the_guide() -> None:
    bits = research_cluster_change_bits(_research("clusapi.md"))
    assert len(bits) >= 33, f"parsed only {len(bits)} CLUSTER_CHANGE bits: {sorted(bits)}"
    for name, value in bits.items():
        assert clusapi.ClusterChange[name] == value, f"CLUSTER_CHANGE_{name} is {value:#x}"
    text = _guide()
    missing = [name for name in bits if f"`CLUSTER_CHANGE_{name}`" not in text]
    assert not missing, f"CLUSTER_CHANGE bits of research §2.7 missing from the guide: {missing}"


def test_every_error_code_of_research_section_6_is_mapped() -> None:
    codes = research_error_codes(_research("clusapi.md"))
    assert len(codes) >= 60, f"parsed only {len(codes)} codes from research §6"
    text = _guide()
    missing = sorted({c.name for c in codes if f"`clusapi.Win32Error.{c.name}`" not in text})
    assert not missing, f"error codes of research §6 not mapped in the guide: {missing}"


@pytest.mark.parametrize("research_file", ["clusapi.md", "resapi.md"])
def test_every_c_name_of_the_research_is_in_the_guide(research_file: str) -> None:
    names = research_c_names(_research(research_file))
    assert len(names) > 100, f"parsed only {len(names)} names from {research_file}"
    text = _guide()
    missing = sorted(name for name in names if name not in text)
    assert not missing, f"C names of {research_file} missing from the guide: {missing}"
