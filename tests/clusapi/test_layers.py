"""The imports run one way: folders are layers (docs/architecture.md, "The layers").

An AST walk over every module of the two packages, counting every import: at the top, inside
functions (lazy imports) and under ``TYPE_CHECKING`` alike, since each is an arrow in the
picture. A module's layer comes from its name; each layer lists the layers it may import.
"""

from __future__ import annotations

import ast
import pathlib
from typing import Final

import pytest

ROOT: Final = pathlib.Path(__file__).resolve().parents[2]
PACKAGES: Final = ("clusapi", "resapi")

#: The shared vocabulary: the states, codes, errors, property tables and registry values both
#: APIs speak. Nothing but itself below it.
VOCABULARY: Final = frozenset(
    {
        "clusapi._common",
        "clusapi._controlcode",
        "clusapi._enums",
        "clusapi._errors",
        "clusapi._messages",
        "clusapi._properties",
        "clusapi._proplist",
        "clusapi._registry",
        "clusapi._util",
        "clusapi._values",
        "clusapi._win32",
    }
)

#: The public handles and the one seam (operations, the Backend protocol) behind them.
HANDLES: Final = frozenset(
    {
        "clusapi",
        "clusapi.__main__",
        "clusapi._backend",
        "clusapi._cluster",
        "clusapi._group",
        "clusapi._handle",
        "clusapi._key",
        "clusapi._node",
        "clusapi._notify",
        "clusapi._operations",
        "clusapi._resource",
        "clusapi._restype",
        "clusapi.lowlevel",
    }
)

#: What each layer may import, besides itself. "external" is anything outside the two packages
#: except the application folders (examples, tools, tests), which no layer may import.
MAY_IMPORT: Final[dict[str, frozenset[str]]] = {
    "vocabulary": frozenset(),
    "core": frozenset({"vocabulary"}),
    "policy": frozenset({"vocabulary"}),
    "resapi": frozenset({"vocabulary", "core"}),
    "handles": frozenset({"vocabulary", "policy"}),
    "backend:reference": frozenset({"vocabulary", "core", "policy", "handles", "resapi"}),
    "backend:pacemaker": frozenset({"vocabulary", "core", "policy", "handles", "resapi"}),
    "facade:pacemaker": frozenset({"vocabulary", "handles", "backend:pacemaker"}),
    "clusapi.testing": frozenset(
        {"vocabulary", "core", "policy", "handles", "resapi", "backend:reference"}
    ),
    "resapi.testing": frozenset({"vocabulary", "core", "resapi"}),
}

#: Arrows that cross the rules on purpose, each with its reason.
ALLOWED: Final[dict[tuple[str, str], str]] = {
    ("clusapi._cluster", "backend:pacemaker"): (
        "open_cluster(pacemaker=...) builds the Pacemaker backend for the caller, lazily, as "
        "httpx.Client builds its default transport"
    ),
    ("resapi.__main__", "resapi.testing"): (
        "the conformance command (python -m resapi check) runs the testing kit; an application "
        "entry point, never imported by `import resapi`"
    ),
}

APPLICATIONS: Final = ("examples", "tools", "tests", "benchmarks")


def layer_of(module: str) -> str:
    if module in VOCABULARY:
        return "vocabulary"
    if module in HANDLES:
        return "handles"
    for prefix, layer in (
        ("clusapi._core", "core"),
        ("clusapi._policy", "policy"),
        ("clusapi._rules", "policy"),
        ("clusapi._backends.reference", "backend:reference"),
        ("clusapi._backends.pacemaker", "backend:pacemaker"),
        ("clusapi._backends", "backends"),
        ("clusapi.pacemaker", "facade:pacemaker"),
        ("clusapi.testing", "clusapi.testing"),
        ("resapi.testing", "resapi.testing"),
        ("resapi", "resapi"),
    ):
        if module == prefix or module.startswith(prefix + "."):
            return layer
    raise AssertionError(f"{module}: no layer; add it to tests/clusapi/test_layers.py")


def module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: pathlib.Path) -> set[str]:
    """Every module ``path`` imports: ``from a import b`` counts as ``a.b`` when that is a
    module, else as ``a``."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            for alias in node.names:
                # `from pkg import submodule` is an arrow to the submodule only.
                full = f"{module}.{alias.name}"
                found.add(full if known_module(full) == full else module)
    return found


def known_module(name: str) -> str | None:
    """The longest prefix of ``name`` that is a module of ours (``a.b.Name`` -> ``a.b``)."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ROOT.joinpath(*parts[:end])
        if candidate.with_suffix(".py").is_file() or (candidate / "__init__.py").is_file():
            return ".".join(parts[:end])
    return None


LIBRARY_FILES: Final = sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def arrows() -> list[tuple[str, str, str]]:
    """(importer, imported module, imported layer) for every import inside the library."""
    found = []
    for path in LIBRARY_FILES:
        importer = module_name(path)
        for target in imports_of(path):
            if target.split(".")[0] not in PACKAGES:
                continue
            module = known_module(target)
            if module is not None and module != importer:
                found.append((importer, module, layer_of(module)))
    return sorted(set(found))


def test_every_module_has_a_layer():
    for path in LIBRARY_FILES:
        layer_of(module_name(path))


def test_no_import_runs_the_wrong_way():
    wrong = [
        f"{importer} ({layer_of(importer)}) imports {module} ({layer})"
        for importer, module, layer in arrows()
        if layer != layer_of(importer)
        and layer not in MAY_IMPORT[layer_of(importer)]
        and (importer, layer) not in ALLOWED
    ]
    assert wrong == []


def test_no_backend_imports_another():
    crossing = [
        (importer, module)
        for importer, module, layer in arrows()
        if layer.startswith("backend:")
        and layer_of(importer).startswith("backend:")
        and layer != layer_of(importer)
    ]
    assert crossing == []


@pytest.mark.parametrize("path", LIBRARY_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_library_imports_no_application(path: pathlib.Path):
    # The wheel ships clusapi/ and resapi/ only: examples, tools, tests and benchmarks are
    # not there to import.
    bad = sorted(m for m in imports_of(path) if m.split(".")[0] in APPLICATIONS)
    assert bad == []


def test_only_testing_packages_import_testing_packages():
    bad = [
        (importer, module)
        for importer, module, layer in arrows()
        if layer in {"clusapi.testing", "resapi.testing"}
        and layer_of(importer) not in {"clusapi.testing", "resapi.testing"}
        and (importer, layer) not in ALLOWED
    ]
    assert bad == []


def test_the_walk_sees_lazy_and_type_checking_imports():
    # The rules above are only as good as the walk: it must see a function-level import and
    # one under TYPE_CHECKING (both are arrows in the picture).
    cluster = imports_of(ROOT / "clusapi" / "_cluster.py")
    assert "clusapi._backends.pacemaker._backend" in cluster
    assert any(layer_of(m) == "vocabulary" for m in map(known_module, cluster) if m)
