"""A griffe extension for the API reference: the docstrings' Sphinx markup, in Markdown.

The docstrings are Google style, but name other objects with Sphinx roles
(``:class:`Group```, ``:meth:`~Cluster.open_group```) and end a paragraph before a code
block with ``::``. Markdown has neither, so mkdocstrings would print the roles as they are.
This extension, loaded by mkdocs.yml after griffe-sphinx (which turns ``#:`` comments into
attribute docstrings), rewrites each role into a link to the object's entry in the reference
when the object is public (documented at its public path, ``clusapi.Group``), and into plain
code otherwise (a private helper, an object of the standard library), so a strict build has
no link that cannot resolve.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import griffe

if TYPE_CHECKING:
    from collections.abc import Iterator

# The modules the reference documents, one page each (docs/reference/<module>.md).
PUBLIC_MODULES = (
    "clusapi",
    "clusapi.lowlevel",
    "clusapi.pacemaker",
    "clusapi.testing",
    "resapi",
    "resapi.ocf",
    "resapi.testing",
)

_ROLE = re.compile(r":(?:py:)?(?:class|func|meth|attr|mod|data|exc|obj|const):`(~?)([^`]+)`")
_LITERAL_BLOCK = re.compile(r"::\n(?=\s*\n)")


def _members(obj: griffe.Object | griffe.Alias) -> Iterator[griffe.Object | griffe.Alias]:
    yield from (m for name, m in obj.members.items() if not name.startswith("_"))


class SphinxRoles(griffe.Extension):
    """Rewrite Sphinx roles into cross-references (public objects) or code (the rest)."""

    def __init__(self) -> None:
        # Canonical path (clusapi._group.Group.online) -> public path (clusapi.Group.online).
        self._public: dict[str, str] = {}
        self._packages: list[griffe.Module] = []

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        # The roles of one package name objects of the other, and the first page is rendered
        # before the second package would be loaded: load both, then rewrite both, once.
        self._packages.append(pkg)
        if len(self._packages) > 1:
            return
        for root in dict.fromkeys(m.split(".")[0] for m in PUBLIC_MODULES):
            if root not in loader.modules_collection:
                loader.load(root)
        for package in self._packages:
            self._collect(package)
        for package in self._packages:
            self._rewrite(package)

    def _collect(self, package: griffe.Module) -> None:
        for module_path in PUBLIC_MODULES:
            if module_path.split(".")[0] != package.path:
                continue
            module = (
                package
                if module_path == package.path
                else package[module_path[len(package.path) + 1 :]]
            )
            self._public[module.path] = module.path
            for export in module.exports or ():
                name = str(export)  # a name griffe could not read statically is an expression
                self._add(module[name], f"{module.path}.{name}")

    def _add(self, obj: griffe.Object | griffe.Alias, public_path: str) -> None:
        try:
            target = obj.final_target if isinstance(obj, griffe.Alias) else obj
        except griffe.AliasResolutionError:
            return  # re-exported from outside the packages (e.g. the standard library)
        self._public.setdefault(target.path, public_path)
        self._public.setdefault(public_path, public_path)
        if target.is_class:
            for member in _members(target):
                self._add(member, f"{public_path}.{member.name}")

    def _rewrite(self, obj: griffe.Object | griffe.Alias) -> None:
        if isinstance(obj, griffe.Alias):
            return  # documented where it is defined
        if obj.docstring is not None:
            obj.docstring.value = _LITERAL_BLOCK.sub(":\n", obj.docstring.value)
            obj.docstring.value = _ROLE.sub(lambda m: self._role(obj, m), obj.docstring.value)
        for member in obj.members.values():
            self._rewrite(member)

    def _role(self, obj: griffe.Object, match: re.Match[str]) -> str:
        short, name = match.group(1), match.group(2).lstrip(".")
        title = name.rsplit(".", 1)[-1] if short else name
        path = self._public.get(name) or self._public.get(self._resolve(obj, name))
        return f"[`{title}`][{path}]" if path else f"`{title}`"

    def _resolve(self, obj: griffe.Object, name: str) -> str:
        # Name the object relative to obj's scope (its class, then its module), as Sphinx does.
        head, _, rest = name.partition(".")
        scope: griffe.Object | None = obj
        while scope is not None:
            try:
                resolved = scope.resolve(head)
            except griffe.NameResolutionError:
                scope = scope.parent
                continue
            return f"{resolved}.{rest}" if rest else resolved
        return name
