"""Changes to the CIB's configuration, built with ElementTree and written as one patch.

An :class:`Edit` starts from a copy of the ``<configuration>`` of one :class:`ClusterView`
and is changed in memory; :meth:`Edit.documents` gives the CIB as read and as edited, which
the session turns into one version-checked patch (``crm_diff --cib``, ``cibadmin --patch``).
Values the CIB cannot keep are refused before anything is written, and an empty MSCS group
holds one stand-in primitive (:meth:`Edit.placeholder`): see ``docs/pacemaker.md`` ("Writes",
and "An empty group" in "The mapping").
"""

from __future__ import annotations

import copy
import re
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, Final

from clusapi import _rules as rules
from clusapi._errors import ClusterError, PropertyError
from clusapi._win32 import Win32Error

from ._cib import PLACEHOLDER_META

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from ._cib import ClusterView


__all__ = ("Edit", "check_storable", "format_ms", "score_text")

_REFERENCE_ATTRIBUTES: Final = ("rsc", "with-rsc", "first", "then")
#: What Pacemaker's XML writer does not keep in an attribute value: it writes a newline as the
#: two characters ``\n``, a CR as ``\r`` and a tab as four spaces, in the CIB file and to
#: every reader (agents included), so such a value can neither reach an agent nor be read back.
_NOT_KEPT: Final = re.compile("[\t\n\r]")
_KIND: Final = {"primitive": "resource"}


def check_storable(element: ET.Element, prop: str, value: str) -> str:
    """``value`` for property ``prop`` of ``element``, if the CIB stores it exactly.

    Raises:
        PropertyError: ERROR_INVALID_PARAMETER, naming the object, the property and the
            character, for a character XML cannot hold (:func:`clusapi._rules.check_text`) or
            one Pacemaker does not keep (a tab, a newline, a CR).
    """
    what = f"{_KIND.get(element.tag, element.tag)} {element.get('id')!r}: property {prop!r}"
    try:
        rules.check_text(what, value)
    except ClusterError as exc:
        raise _property_error(prop, exc.description, exc.fix) from None
    bad = _NOT_KEPT.search(value)
    if bad is not None:
        raise _property_error(
            prop,
            f"{what}: the value {value!r} contains {bad.group()!r}, which Pacemaker does not "
            "keep (its CIB stores a newline as the two characters '\\n' and a tab as four "
            "spaces, for clusapi and the resource agent alike)",
            "use a value without tabs and line breaks (e.g. separate lines with ';' or ',')",
        )
    return value


def _property_error(prop: str, message: str, fix: str | None) -> PropertyError:
    error = PropertyError(Win32Error.ERROR_INVALID_PARAMETER, message, fix=fix)
    error.property_name = prop
    return error


def format_ms(ms: int) -> str:
    """Milliseconds as a Pacemaker interval: whole seconds as ``"10s"``, else ``"1500ms"``."""
    return f"{ms // 1000}s" if ms % 1000 == 0 else f"{ms}ms"


def score_text(score: int) -> str:
    if score >= 1_000_000:
        return "INFINITY"
    if score <= -1_000_000:
        return "-INFINITY"
    return str(score)


class Edit:
    """A copy of the configuration to change; see the module docstring."""

    def __init__(self, view: ClusterView) -> None:
        config = view.root.find("configuration")
        self.config: ET.Element = (
            copy.deepcopy(config) if config is not None else ET.Element("configuration")
        )
        self._root: ET.Element = view.root
        self._ids = set(view.ids)
        #: Each section as it was, to find which ones the edit changed.
        self._before = {child.tag: ET.tostring(child) for child in self.config}
        self._written = False

    # -- ids ------------------------------------------------------------------------------------

    def new_id(self, base: str) -> str:
        """A fresh XML id from ``base``: characters an id may not hold become ``_``; a number
        is appended while the id is taken."""
        clean = re.sub(r"[^A-Za-z0-9_.-]", "_", base) or "id"
        if not re.match(r"[A-Za-z_]", clean):
            clean = f"_{clean}"
        candidate, n = clean, 1
        while candidate in self._ids:
            candidate = f"{clean}-{n}"
            n += 1
        self._ids.add(candidate)
        return candidate

    # -- sections -------------------------------------------------------------------------------

    def section(self, tag: str) -> ET.Element:
        found = self.config.find(tag)
        if found is None:
            found = ET.SubElement(self.config, tag)
        return found

    def element(self, tag: str, element_id: str) -> ET.Element:
        for found in self.config.iter(tag):
            if found.get("id") == element_id:
                return found
        raise KeyError(f"no <{tag} id={element_id!r}> in the configuration")

    def parent_of(self, child: ET.Element) -> ET.Element:
        for parent in self.config.iter():
            if child in list(parent):
                return parent
        raise KeyError(f"{child.tag} {child.get('id')!r} has no parent")

    # -- name/value pairs -----------------------------------------------------------------------

    def set_nvpair(self, owner: ET.Element, tag: str, name: str, value: str | None) -> None:
        """Set (``value``) or remove (None) ``name`` in ``owner``'s first ``tag`` set that
        applies always, making the set if needed (id ``<owner>-<tag>``, as pcs names it).

        Raises:
            PropertyError: for a value the CIB cannot keep (:func:`check_storable`).
        """
        if value is not None:
            check_storable(owner, name, value)
        blocks = [b for b in owner.iterfind(tag) if b.find("rule") is None]
        for block in blocks:
            for pair in block.findall("nvpair"):
                if pair.get("name") == name:
                    if value is None:
                        block.remove(pair)
                    elif pair.get("value") != value:
                        pair.set("value", value)
                    if value is not None:
                        return
        if value is None:
            return
        if blocks:
            block = blocks[0]
        else:
            block = ET.Element(tag, id=self.new_id(f"{owner.get('id')}-{tag}"))
            self._insert_set(owner, block)
        pair_id = self.new_id(f"{block.get('id')}-{name}")
        ET.SubElement(block, "nvpair", id=pair_id, name=name, value=value)

    @staticmethod
    def _insert_set(owner: ET.Element, block: ET.Element) -> None:
        # Attribute sets before <operations>, as pcs writes them (the schema interleaves).
        children = list(owner)
        index = next((i for i, c in enumerate(children) if c.tag == "operations"), len(children))
        owner.insert(index, block)

    def set_meta(
        self, element_id: str, name: str, value: str | None, tag: str = "primitive"
    ) -> None:
        self.set_nvpair(self.element(tag, element_id), "meta_attributes", name, value)

    def set_target_role(self, resource_ids: Iterable[str], role: str) -> None:
        for rid in resource_ids:
            self.set_meta(rid, "target-role", role)

    # -- groups and primitives ------------------------------------------------------------------

    def placeholder(self, group_id: str) -> ET.Element:
        """The stand-in member of an empty group (module docstring)."""
        pid = self.new_id(f"{group_id}-empty")
        prim = ET.Element(
            "primitive",
            {
                "id": pid,
                "class": "ocf",
                "provider": "pacemaker",
                "type": "Dummy",
                "description": f"clusapi: keeps the empty group {group_id!r} in the CIB",
            },
        )
        meta = ET.SubElement(prim, "meta_attributes", id=self.new_id(f"{pid}-meta_attributes"))
        for name, value in (("target-role", "Stopped"), (PLACEHOLDER_META, "true")):
            pair_id = self.new_id(f"{pid}-meta_attributes-{name}")
            ET.SubElement(meta, "nvpair", id=pair_id, name=name, value=value)
        return prim

    def add_group(self, group_id: str, description: str = "") -> ET.Element:
        group = ET.SubElement(self.section("resources"), "group", id=group_id)
        self._ids.add(group_id)
        if description:
            group.set("description", description)
        group.append(self.placeholder(group_id))
        return group

    def add_members(self, group_id: str, primitives: Iterable[ET.Element]) -> None:
        """Append ``primitives`` to the group, dropping its placeholder."""
        group = self.element("group", group_id)
        for prim in list(group.iterfind("primitive")):
            if _is_placeholder(prim):
                group.remove(prim)
                self.remove_references(prim.get("id", ""))
        for prim in primitives:
            group.append(prim)
            self._ids.update(e.get("id", "") for e in prim.iter() if e.get("id"))

    def take_members(self, group_id: str, resource_ids: Iterable[str]) -> list[ET.Element]:
        """Remove primitives from the group and return them; an emptied group gets its
        placeholder back."""
        group = self.element("group", group_id)
        wanted = set(resource_ids)
        taken = [p for p in group.findall("primitive") if p.get("id") in wanted]
        for prim in taken:
            group.remove(prim)
        if group.find("primitive") is None:
            group.append(self.placeholder(group_id))
        return taken

    def reorder(self, group_id: str, order: list[str]) -> None:
        """Put the group's primitives in ``order`` (ids; the placeholder, if any, first)."""
        group = self.element("group", group_id)
        prims = {p.get("id"): p for p in group.findall("primitive")}
        current = [p.get("id") for p in group.findall("primitive")]
        wanted = [i for i in current if i not in order] + order
        if wanted == current:
            return
        for prim in prims.values():
            group.remove(prim)
        for rid in wanted:
            group.append(prims[rid])

    def remove(self, element: ET.Element) -> None:
        self.parent_of(element).remove(element)

    # -- constraints ----------------------------------------------------------------------------

    def add_constraint(self, tag: str, id_base: str, **attributes: str) -> ET.Element:
        constraint = ET.SubElement(
            self.section("constraints"),
            tag,
            {"id": self.new_id(id_base), **{k.replace("_", "-"): v for k, v in attributes.items()}},
        )
        return constraint

    def remove_constraints(self, predicate: Callable[[ET.Element], bool]) -> int:
        constraints = self.section("constraints")
        doomed = [c for c in constraints if predicate(c)]
        for constraint in doomed:
            constraints.remove(constraint)
        return len(doomed)

    def remove_references(self, element_id: str) -> None:
        """Remove every constraint that names ``element_id`` (it is being deleted)."""

        def names_it(constraint: ET.Element) -> bool:
            if any(constraint.get(a) == element_id for a in _REFERENCE_ATTRIBUTES):
                return True
            return any(ref.get("id") == element_id for ref in constraint.iter("resource_ref"))

        self.remove_constraints(names_it)

    @property
    def written(self) -> bool:
        """Whether the edit was written (:meth:`mark_written`); it is then not written again."""
        return self._written

    def mark_written(self) -> None:
        """Record that the edit is in the CIB (the session wrote it)."""
        self._written = True

    @property
    def changed(self) -> bool:
        """Whether the configuration differs from the one the edit started from."""
        return bool(self._changed_sections()) or set(self._before) != {c.tag for c in self.config}

    def _changed_sections(self) -> list[ET.Element]:
        return [c for c in self.config if self._before.get(c.tag) != ET.tostring(c)]

    def documents(self) -> tuple[bytes, bytes]:
        """What to write: ``(before, after)``, the whole CIB as read and as edited, for
        ``crm_diff --cib`` to turn into one patch that Pacemaker applies only to the version
        it was made from (see Session.write). ``after`` carries the next epoch, as
        a patch must raise the version.

        Raises:
            InvalidParameterError: ERROR_INVALID_PARAMETER if a value holds a character
                XML cannot (Pacemaker would cut it); nothing is written then.
        """
        for element in self.config.iter():
            for name, value in element.attrib.items():
                rules.check_text(f"{element.tag} {element.get('id')!r}: {name}", value)
        after = ET.Element(self._root.tag, self._root.attrib)
        for child in self._root:
            after.append(self.config if child.tag == "configuration" else child)
        if self._root.find("configuration") is None:
            after.insert(0, self.config)
        after.set("epoch", str(int(self._root.get("epoch", "0") or 0) + 1))
        after.set("num_updates", "0")
        return ET.tostring(self._root, encoding="utf-8"), ET.tostring(after, encoding="utf-8")


def _is_placeholder(prim: ET.Element) -> bool:
    return any(
        pair.get("name") == PLACEHOLDER_META and (pair.get("value") or "").lower() == "true"
        for pair in prim.iterfind("meta_attributes/nvpair")
    )
