"""Tests for ``clusapi._registry``: the cluster database as a plain in-memory tree.

Plain synchronous tests, no event loop. Semantics come from the research notes
(../shared/research/clusapi.md §2.7, §2.8, §7.9) and [MS-CMRP] ApiExecuteBatch; the choices the
sources leave open are the ones documented in the module docstring.
"""

from __future__ import annotations

import doctest
import pickle

import attrs
import pytest
from hypothesis import given, settings, strategies as st

import clusapi._core._registry_tree
import clusapi._registry
from clusapi._core._registry_tree import RegistryTree
from clusapi._enums import ClusterChange, RegCommand, RegValueType
from clusapi._errors import (
    ClusterError,
    InvalidParameterError,
    InvalidStateError,
    ObjectExistsError,
    RegistryEntryNotFoundError,
)
from clusapi._registry import (
    Batch,
    BatchCommand,
    RegValue,
    SubtreeSnapshot,
    failed_command_of,
    matches_registration,
    split_key_path,
)
from clusapi._win32 import Win32Error

W = Win32Error
NAME = ClusterChange.REGISTRY_NAME
VALUE = ClusterChange.REGISTRY_VALUE
ATTRS = ClusterChange.REGISTRY_ATTRIBUTES


def dword(n: int) -> RegValue:
    return RegValue(RegValueType.DWORD, n)


def sz(s: str) -> RegValue:
    return RegValue(RegValueType.SZ, s)


class Recorder:
    """A ChangeListener that keeps what it hears."""

    def __init__(self) -> None:
        self.events: list[tuple[ClusterChange, str, str | None]] = []

    def __call__(self, kind: ClusterChange, path: str, name: str | None, /) -> None:
        self.events.append((kind, path, name))

    def take(self) -> list[tuple[ClusterChange, str, str | None]]:
        events, self.events = self.events, []
        return events


@pytest.fixture
def heard() -> Recorder:
    return Recorder()


@pytest.fixture
def tree(heard: Recorder) -> RegistryTree:
    """Resources\\abc\\Parameters with two values, and an empty Groups key."""
    t = RegistryTree(on_change=heard)
    t.create_key("Resources\\abc\\Parameters")
    t.set_value("Resources\\abc\\Parameters", "Port", dword(1433))
    t.set_value("Resources\\abc\\Parameters", "Name", sz("sql"))
    t.create_key("Groups")
    heard.take()
    return t


@pytest.mark.parametrize("module", [clusapi._registry, clusapi._core._registry_tree])
def test_doctests_pass(module: object):
    failures, tried = doctest.testmod(module, raise_on_error=False)
    assert tried >= 3
    assert failures == 0


# -------------------------------------------------------------------------------- RegValue


@pytest.mark.parametrize(
    ("python", "kind", "data"),
    [
        ("text", RegValueType.SZ, "text"),
        ("", RegValueType.SZ, ""),
        (["a", "b"], RegValueType.MULTI_SZ, ("a", "b")),
        (("a",), RegValueType.MULTI_SZ, ("a",)),
        ([], RegValueType.MULTI_SZ, ()),
        (0, RegValueType.DWORD, 0),
        (0xFFFF_FFFF, RegValueType.DWORD, 0xFFFF_FFFF),
        (0x1_0000_0000, RegValueType.QWORD, 0x1_0000_0000),
        (2**64 - 1, RegValueType.QWORD, 2**64 - 1),
        (b"\x00\x01", RegValueType.BINARY, b"\x00\x01"),
        (bytearray(b"ab"), RegValueType.BINARY, b"ab"),
        (memoryview(b"cd"), RegValueType.BINARY, b"cd"),
    ],
)
def test_from_python_infers_the_type(python, kind, data):
    value = RegValue.from_python(python)
    assert value == RegValue(kind, data)
    assert value.type is kind
    assert type(value.data) is type(data)


@pytest.mark.parametrize(
    ("python", "kind"),
    [
        ("%SystemRoot%", RegValueType.EXPAND_SZ),
        ("x", RegValueType.SZ),
        (7, RegValueType.QWORD),
        (0xFFFF_FFFF, RegValueType.DWORD),
        (b"", RegValueType.BINARY),
        (["a"], RegValueType.MULTI_SZ),
    ],
)
def test_from_python_honours_an_explicit_type(python, kind):
    assert RegValue.from_python(python, kind).type is kind


@pytest.mark.parametrize(
    ("python", "kind", "needle"),
    [
        (-1, None, "-1"),
        (2**64, None, str(2**64)),
        (True, None, "bool"),
        (1.5, None, "1.5"),
        (None, None, "None"),
        ({"a": 1}, None, "dict"),
        (["a", 1], None, "tuple of str"),
        (["a", ""], None, "empty"),
        (["a\0b"], None, "NUL"),
        ("a\0", None, "NUL"),
        ("a\0", RegValueType.EXPAND_SZ, "NUL"),
        (0x1_0000_0000, RegValueType.DWORD, "0xFFFFFFFF"),
        (-5, RegValueType.QWORD, "-5"),
        (2**64, RegValueType.QWORD, "2**64-1"),
        (True, RegValueType.DWORD, "True"),
        ("1", RegValueType.DWORD, "needs an int"),
        (1, RegValueType.SZ, "needs a str"),
        ("ab", RegValueType.BINARY, "needs bytes"),
        ("ab", RegValueType.MULTI_SZ, "tuple of str"),
        (b"", RegValueType.NONE, "unsupported"),
        (1, 4, "unsupported"),
    ],
)
def test_from_python_rejects_bad_data_with_invalid_parameter(python, kind, needle):
    with pytest.raises(InvalidParameterError) as info:
        RegValue.from_python(python, kind, name="Port")
    assert info.value.winerror == W.ERROR_INVALID_PARAMETER
    assert "'Port'" in str(info.value)
    assert needle in str(info.value)
    assert "ERROR_INVALID_PARAMETER, 87" in str(info.value)


def test_direct_construction_is_checked_too():
    with pytest.raises(InvalidParameterError, match="outside REG_DWORD"):
        RegValue(RegValueType.DWORD, -1)
    with pytest.raises(InvalidParameterError, match="tuple of str"):
        RegValue(RegValueType.MULTI_SZ, ["a"])  # type: ignore[arg-type]


def test_reg_value_is_frozen_and_hashable():
    value = RegValue.from_python(["a", "b"])
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        value.data = ("c",)  # type: ignore[misc]
    assert len({value, RegValue.from_python(("a", "b"))}) == 1
    assert RegValue.from_python(5) != RegValue.from_python(5, RegValueType.QWORD)


# ----------------------------------------------------------------------------------- paths


BAD_PATHS = ["\\A", "A\\", "A\\\\B", "\\", "A\0B", "x" * 256, 5, None, b"A"]


@pytest.mark.parametrize("bad", BAD_PATHS)
def test_malformed_paths_are_invalid_parameter_everywhere(tree: RegistryTree, bad):
    operations = [
        lambda: tree.create_key(bad),
        lambda: tree.key_exists(bad),
        lambda: tree.delete_key(bad),
        lambda: tree.delete_tree(bad),
        lambda: tree.set_value(bad, "x", dword(1)),
        lambda: tree.query_value(bad, "x"),
        lambda: tree.delete_value(bad, "x"),
        lambda: tree.enum_keys(bad),
        lambda: tree.enum_values(bad),
        lambda: tree.snapshot(bad),
        lambda: tree.restore(bad, SubtreeSnapshot()),
        lambda: tree.set_key_security(bad, b"sd"),
        lambda: tree.get_key_security(bad),
        lambda: matches_registration(bad, "A", subtree=True),
        lambda: matches_registration("A", bad, subtree=True),
    ]
    before = tree.snapshot("")
    for operation in operations:
        with pytest.raises(InvalidParameterError) as info:
            operation()
        assert info.value.winerror == W.ERROR_INVALID_PARAMETER
    assert tree.snapshot("") == before


def test_longest_key_name_is_accepted(tree: RegistryTree):
    assert tree.create_key("x" * 255)


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("A\\\\B", "empty component"),
        ("A\\", "empty component"),
        ("\\A", "empty component"),
        ("A\\b\0c", "NUL"),
        ("A\\" + "x" * 256, "255"),
        (5, "must be a str"),
    ],
)
def test_split_key_path_is_the_one_rule_and_says_what_to_do(path: object, words: str):
    # The same rule checks a registry checkpoint's path when it is added (issue 13 finding 8).
    with pytest.raises(InvalidParameterError) as info:
        split_key_path(path, "checkpoint")
    assert info.value.winerror == W.ERROR_INVALID_PARAMETER
    assert words in str(info.value)
    assert info.value.fix
    assert split_key_path("A\\b", "checkpoint") == ("A", "b")
    assert split_key_path("") == ()


# ------------------------------------------------------------------------------------ keys


def test_create_key_reports_whether_it_created(heard: Recorder):
    tree = RegistryTree(on_change=heard)
    assert tree.create_key("A\\B\\C") is True
    assert heard.take() == [(NAME, "A", None), (NAME, "A\\B", None), (NAME, "A\\B\\C", None)]
    assert tree.create_key("a\\b\\c") is False
    assert tree.create_key("A") is False
    assert tree.create_key("") is False
    assert heard.take() == []
    assert tree.version == 3


def test_key_names_are_case_insensitive_and_case_preserving(tree: RegistryTree, heard: Recorder):
    assert tree.key_exists("RESOURCES\\ABC\\parameters")
    assert tree.key_exists("")
    assert not tree.key_exists("Resources\\abcd")
    tree.create_key("resources\\ABC\\Extra")  # existing parts keep their case
    assert heard.take() == [(NAME, "Resources\\abc\\Extra", None)]
    assert tree.enum_keys("RESOURCES\\Abc") == ["Extra", "Parameters"]


def test_enum_keys_is_sorted_case_insensitively():
    tree = RegistryTree()
    for name in ("beta", "Alpha", "gamma", "Delta"):
        tree.create_key(name)
    assert tree.enum_keys("") == ["Alpha", "beta", "Delta", "gamma"]


def test_case_folding_is_per_character():
    tree = RegistryTree()
    tree.create_key("Straße")
    assert tree.key_exists("STRAßE")
    assert not tree.key_exists("STRASSE")  # the registry's upcase table maps one to one


def test_enum_of_missing_key_is_file_not_found(tree: RegistryTree):
    for operation in (tree.enum_keys, tree.enum_values, tree.snapshot, tree.get_key_security):
        with pytest.raises(RegistryEntryNotFoundError) as info:
            operation("Nope\\Nothing")
        assert info.value.winerror == W.ERROR_FILE_NOT_FOUND
        assert "'Nope\\\\Nothing'" in str(info.value)


def test_delete_key_deletes_a_leaf_with_its_values(tree: RegistryTree, heard: Recorder):
    version = tree.version
    tree.delete_key("resources\\ABC\\Parameters")
    assert heard.take() == [(NAME, "Resources\\abc\\Parameters", None)]
    assert not tree.key_exists("Resources\\abc\\Parameters")
    assert tree.key_exists("Resources\\abc")
    assert tree.version == version + 1


def test_delete_key_with_subkeys_is_access_denied(tree: RegistryTree, heard: Recorder):
    before, version = tree.snapshot(""), tree.version
    with pytest.raises(ClusterError) as info:
        tree.delete_key("Resources\\abc")
    assert info.value.winerror == W.ERROR_ACCESS_DENIED
    assert "'Parameters'" in str(info.value)
    assert "delete_tree()" in str(info.value)
    assert tree.snapshot("") == before
    assert tree.version == version
    assert heard.take() == []


def test_delete_key_errors(tree: RegistryTree):
    with pytest.raises(RegistryEntryNotFoundError):
        tree.delete_key("Resources\\zzz")
    with pytest.raises(RegistryEntryNotFoundError):
        tree.delete_tree("Resources\\zzz")
    for delete in (tree.delete_key, tree.delete_tree):
        with pytest.raises(InvalidParameterError, match="root key"):
            delete("")


def test_delete_tree_deletes_everything_below_children_first(tree: RegistryTree, heard: Recorder):
    tree.create_key("Resources\\abc\\Another\\Deep")
    heard.take()
    version = tree.version
    tree.delete_tree("RESOURCES")
    assert heard.take() == [
        (NAME, "Resources\\abc\\Another\\Deep", None),
        (NAME, "Resources\\abc\\Another", None),
        (NAME, "Resources\\abc\\Parameters", None),
        (NAME, "Resources\\abc", None),
        (NAME, "Resources", None),
    ]
    assert tree.version == version + 5
    assert tree.enum_keys("") == ["Groups"]


# ---------------------------------------------------------------------------------- values


def test_set_and_query_values(tree: RegistryTree, heard: Recorder):
    path = "Resources\\abc\\Parameters"
    assert tree.query_value(path, "Port") == dword(1433)
    assert tree.query_value("resources\\ABC\\PARAMETERS", "pOrT") == dword(1433)
    tree.set_value(path, "PORT", dword(1500))  # overwrite keeps the original case and position
    tree.set_value(path, "", sz("default"))
    tree.set_value(path, "List", RegValue.from_python(["a", "b"]))
    assert heard.take() == [(VALUE, path, "Port"), (VALUE, path, ""), (VALUE, path, "List")]
    assert tree.enum_values(path) == [
        ("Port", dword(1500)),
        ("Name", sz("sql")),
        ("", sz("default")),
        ("List", RegValue.from_python(["a", "b"])),
    ]


def test_setting_the_same_data_still_counts_as_a_change(tree: RegistryTree, heard: Recorder):
    version = tree.version
    tree.set_value("Resources\\abc\\Parameters", "Port", dword(1433))
    assert heard.take() == [(VALUE, "Resources\\abc\\Parameters", "Port")]
    assert tree.version == version + 1


def test_missing_key_or_value_is_file_not_found(tree: RegistryTree):
    path = "Resources\\abc\\Parameters"
    cases = [
        lambda: tree.query_value(path, "Nope"),
        lambda: tree.query_value("Resources\\zzz", "Port"),
        lambda: tree.delete_value(path, "Nope"),
        lambda: tree.delete_value("Resources\\zzz", "Port"),
        lambda: tree.set_value("Resources\\zzz", "Port", dword(1)),
    ]
    for case in cases:
        with pytest.raises(RegistryEntryNotFoundError) as info:
            case()
        assert info.value.winerror == W.ERROR_FILE_NOT_FOUND


def test_bad_value_names_and_data_are_invalid_parameter(tree: RegistryTree):
    path = "Resources\\abc\\Parameters"
    with pytest.raises(InvalidParameterError, match=r"RegValue\.from_python"):
        tree.set_value(path, "Port", 5)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="NUL"):
        tree.set_value(path, "a\0b", dword(1))
    with pytest.raises(InvalidParameterError, match="must be a str"):
        tree.query_value(path, 3)  # type: ignore[arg-type]


def test_delete_value(tree: RegistryTree, heard: Recorder):
    path = "Resources\\abc\\Parameters"
    tree.delete_value(path, "PORT")
    assert heard.take() == [(VALUE, path, "Port")]
    assert tree.enum_values(path) == [("Name", sz("sql"))]
    with pytest.raises(RegistryEntryNotFoundError):
        tree.query_value(path, "Port")


def test_version_counts_every_change_and_only_changes(heard: Recorder):
    tree = RegistryTree(on_change=heard)
    assert tree.version == 0
    tree.create_key("A")
    tree.set_value("A", "x", dword(1))
    tree.set_key_security("A", b"sd")
    tree.delete_value("A", "x")
    tree.delete_key("A")
    assert tree.version == 5 == len(heard.events)
    with pytest.raises(RegistryEntryNotFoundError):
        tree.delete_key("A")
    tree.create_key("")
    assert tree.version == 5


# -------------------------------------------------------------------------------- security


def test_key_security_is_stored_and_announced(tree: RegistryTree, heard: Recorder):
    assert tree.get_key_security("Groups") is None
    tree.set_key_security("GROUPS", bytearray(b"\x01\x00\x04\x80"))
    assert tree.get_key_security("Groups") == b"\x01\x00\x04\x80"
    assert heard.take() == [(ATTRS, "Groups", None)]
    assert tree.snapshot("Groups").security == b"\x01\x00\x04\x80"
    with pytest.raises(InvalidParameterError, match="must be bytes"):
        tree.set_key_security("Groups", "sd")  # type: ignore[arg-type]
    with pytest.raises(RegistryEntryNotFoundError):
        tree.set_key_security("Nope", b"")


# ------------------------------------------------------------------------ snapshot/restore


def test_snapshot_is_a_frozen_deep_copy(tree: RegistryTree):
    saved = tree.snapshot("Resources")
    assert saved == SubtreeSnapshot(
        subkeys=(
            (
                "abc",
                SubtreeSnapshot(
                    subkeys=(
                        (
                            "Parameters",
                            SubtreeSnapshot(values=(("Port", dword(1433)), ("Name", sz("sql")))),
                        ),
                    )
                ),
            ),
        )
    )
    tree.set_value("Resources\\abc\\Parameters", "Port", dword(1))
    tree.create_key("Resources\\new")
    assert saved.subkeys[0][1].subkeys[0][1].values[0] == ("Port", dword(1433))
    assert isinstance(hash(saved), int)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        saved.values = ()  # type: ignore[misc]


def test_restore_overwrites_edits_made_since(tree: RegistryTree, heard: Recorder):
    saved = tree.snapshot("Resources\\abc")
    path = "Resources\\abc\\Parameters"
    tree.set_value(path, "Port", dword(1))  # changed
    tree.delete_value(path, "Name")  # deleted
    tree.set_value(path, "Extra", sz("x"))  # added
    tree.create_key("Resources\\abc\\New\\Deeper")  # added keys
    tree.set_key_security("Resources\\abc", b"sd")
    heard.take()
    version = tree.version

    tree.restore("Resources\\abc", saved)

    assert tree.snapshot("Resources\\abc") == saved
    assert tree.enum_values(path) == [("Port", dword(1433)), ("Name", sz("sql"))]
    events = heard.take()
    assert events == [
        (ATTRS, "Resources\\abc", None),
        (NAME, "Resources\\abc\\New\\Deeper", None),
        (NAME, "Resources\\abc\\New", None),
        (VALUE, path, "Extra"),
        (VALUE, path, "Port"),
        (VALUE, path, "Name"),
    ]
    assert tree.version == version + len(events)


def test_restore_of_an_unchanged_subtree_changes_nothing(tree: RegistryTree, heard: Recorder):
    version = tree.version
    tree.restore("Resources", tree.snapshot("Resources"))
    assert heard.take() == []
    assert tree.version == version


def test_restore_creates_a_missing_key_and_can_move_a_subtree(tree: RegistryTree, heard: Recorder):
    saved = tree.snapshot("Resources\\abc")
    tree.restore("Node\\Local\\abc", saved)
    assert tree.snapshot("node\\local\\ABC") == saved
    assert heard.take() == [
        (NAME, "Node", None),
        (NAME, "Node\\Local", None),
        (NAME, "Node\\Local\\abc", None),
        (NAME, "Node\\Local\\abc\\Parameters", None),
        (VALUE, "Node\\Local\\abc\\Parameters", "Port"),
        (VALUE, "Node\\Local\\abc\\Parameters", "Name"),
    ]


def test_restore_adopts_the_snapshots_case(tree: RegistryTree, heard: Recorder):
    saved = tree.snapshot("Resources")
    tree.delete_tree("Resources\\abc")
    tree.create_key("Resources\\ABC\\PARAMETERS")
    tree.set_value("Resources\\ABC\\PARAMETERS", "PORT", dword(1433))
    tree.set_value("Resources\\ABC\\PARAMETERS", "Name", sz("sql"))
    heard.take()
    tree.restore("Resources", saved)
    assert tree.snapshot("Resources") == saved
    assert heard.take() == [
        (NAME, "Resources\\abc", None),  # renamed: the case changed
        (NAME, "Resources\\abc\\Parameters", None),
        (VALUE, "Resources\\abc\\Parameters", "Port"),
    ]
    assert tree.enum_keys("Resources") == ["abc"]


def test_restore_root_with_an_empty_snapshot_empties_the_tree(tree: RegistryTree):
    tree.restore("", SubtreeSnapshot())
    assert tree.enum_keys("") == []
    assert tree.snapshot("") == SubtreeSnapshot()


@pytest.mark.parametrize(
    "bad",
    [
        "not a snapshot",
        SubtreeSnapshot(values=(("x", 5),)),  # type: ignore[arg-type]
        SubtreeSnapshot(values=(("x", dword(1)), ("X", dword(2)))),
        SubtreeSnapshot(subkeys=(("a", SubtreeSnapshot()), ("A", SubtreeSnapshot()))),
        SubtreeSnapshot(subkeys=(("a\\b", SubtreeSnapshot()),)),
        SubtreeSnapshot(subkeys=(("", SubtreeSnapshot()),)),
        SubtreeSnapshot(subkeys=(("ok", SubtreeSnapshot(values=(("y", "raw"),))),)),  # type: ignore[arg-type]
        SubtreeSnapshot(security="sd"),  # type: ignore[arg-type]
    ],
)
def test_restore_rejects_a_malformed_snapshot_and_changes_nothing(tree: RegistryTree, bad):
    before, version = tree.snapshot(""), tree.version
    with pytest.raises(InvalidParameterError):
        tree.restore("Fresh\\Key", bad)
    assert tree.snapshot("") == before
    assert tree.version == version
    assert not tree.key_exists("Fresh")


# ------------------------------------------------------------------------------------- copy


def test_copy_is_independent_both_ways(tree: RegistryTree, heard: Recorder):
    other = Recorder()
    twin = tree.copy(on_change=other, label="the local registry of node 'N2'")
    assert twin.snapshot("") == tree.snapshot("")
    assert twin.version == tree.version
    assert twin.label == "the local registry of node 'N2'"

    twin.set_value("Resources\\abc\\Parameters", "Port", dword(1))
    twin.create_key("OnlyInTwin")
    tree.delete_value("Resources\\abc\\Parameters", "Name")
    tree.set_key_security("Groups", b"sd")

    assert tree.query_value("Resources\\abc\\Parameters", "Port") == dword(1433)
    assert not tree.key_exists("OnlyInTwin")
    assert twin.query_value("Resources\\abc\\Parameters", "Name") == sz("sql")
    assert twin.get_key_security("Groups") is None
    assert [e[1] for e in other.take()] == ["Resources\\abc\\Parameters", "OnlyInTwin"]
    assert [e[1] for e in heard.take()] == ["Resources\\abc\\Parameters", "Groups"]


def test_copy_does_not_take_the_listener(tree: RegistryTree, heard: Recorder):
    twin = tree.copy()
    twin.create_key("X")
    assert heard.take() == []
    assert twin.on_change is None
    assert twin.label == tree.label


# ----------------------------------------------------------------------------- notifications


@pytest.mark.parametrize(
    ("registered", "changed", "subtree", "expected"),
    [
        ("Resources", "Resources", False, ""),
        ("Resources", "Resources", True, ""),
        ("Resources", "RESOURCES", False, ""),
        ("Resources", "Resources\\abc", False, None),
        ("Resources", "Resources\\abc", True, "abc"),
        ("resources", "Resources\\ABC\\Parameters", True, "ABC\\Parameters"),
        ("Resources\\abc", "Resources", True, None),
        ("Res", "Resources", True, None),
        ("Resources", "Groups\\Resources", True, None),
        ("", "", False, ""),
        ("", "Groups", False, None),
        ("", "Groups\\G1", True, "Groups\\G1"),
    ],
)
def test_matches_registration(registered, changed, subtree, expected):
    assert matches_registration(registered, changed, subtree) == expected


def test_registrations_see_relative_names_of_real_changes(tree: RegistryTree, heard: Recorder):
    tree.create_key("Resources\\def")
    tree.set_value("Resources\\abc\\Parameters", "Port", dword(1))
    tree.set_value("Resources", "Count", dword(2))
    tree.set_key_security("Groups", b"sd")
    events = heard.take()

    def seen(registered: str, subtree: bool, kinds: ClusterChange):
        return [
            (kind, rel, name)
            for kind, path, name in events
            if kind & kinds and (rel := matches_registration(registered, path, subtree)) is not None
        ]

    registry = NAME | VALUE | ATTRS
    assert seen("resources", True, registry) == [
        (NAME, "def", None),
        (VALUE, "abc\\Parameters", "Port"),
        (VALUE, "", "Count"),
    ]
    assert seen("Resources", False, registry) == [(VALUE, "", "Count")]
    assert seen("Resources", True, NAME) == [(NAME, "def", None)]
    assert seen("Groups", False, registry) == [(ATTRS, "", None)]


def test_failed_calls_announce_nothing(tree: RegistryTree, heard: Recorder):
    version = tree.version
    for call in (
        lambda: tree.delete_key("Resources"),
        lambda: tree.set_value("Nope", "x", dword(1)),
        lambda: tree.delete_value("Groups", "Nope"),
        lambda: tree.create_key("A\\\\B"),
    ):
        with pytest.raises(ClusterError):
            call()
    assert heard.take() == []
    assert tree.version == version


def test_listener_runs_after_the_change_is_visible(heard: Recorder):
    seen_inside: list[bool] = []
    tree = RegistryTree()
    tree.on_change = lambda kind, path, name: seen_inside.append(tree.key_exists(path))
    tree.create_key("A\\B")
    assert seen_inside == [True, True]


def test_listener_errors_propagate_after_the_change(tree: RegistryTree):
    def boom(kind: ClusterChange, path: str, name: str | None, /) -> None:
        raise RuntimeError("listener failed")

    tree.on_change = boom
    with pytest.raises(RuntimeError, match="listener failed"):
        tree.create_key("Committed")
    assert tree.key_exists("Committed")


# ------------------------------------------------------------------------------------ batches


def test_batch_builder_is_immutable():
    empty = Batch()
    one = empty.create_key("A")
    assert len(empty) == 0
    assert list(one) == [BatchCommand(RegCommand.CREATE_KEY, "A")]
    assert one.set_value("x", 5).commands[-1] == BatchCommand(RegCommand.SET_VALUE, "x", dword(5))
    assert one.set_value("x", 5, RegValueType.QWORD).commands[-1].value == RegValue(
        RegValueType.QWORD, 5
    )
    with pytest.raises(InvalidParameterError, match="'x'"):
        one.set_value("x", -1)
    with pytest.raises(InvalidParameterError, match="not both"):
        one.condition_is_equal("x", dword(1), RegValueType.QWORD)


def test_successful_batch_applies_everything_and_announces_in_order(
    tree: RegistryTree, heard: Recorder
):
    version = tree.version
    batch = (
        Batch()
        .condition_key_exists("abc\\Parameters")
        .create_key("abc\\Parameters")
        .condition_is_equal("Port", 1433)
        .condition_is_not_equal("Port", 1433, RegValueType.QWORD)
        .condition_is_greater_than("Port", 1000)
        .condition_is_less_than("Name", "zzz")
        .set_value("Port", 1500)
        .delete_value("Name")
        .delete_value("NeverExisted")  # not an error
        .condition_not_exists("Name")
        .create_key("def\\Parameters")
        .set_value("Port", 80)
        .condition_exists("Port")
        .delete_key("ghost")  # not an error
        .condition_key_not_exists("ghost")
        .create_key("")  # back to the base key
        .set_value("Count", 2)
    )
    tree.commit("RESOURCES", batch)
    assert heard.take() == [
        (VALUE, "Resources\\abc\\Parameters", "Port"),
        (VALUE, "Resources\\abc\\Parameters", "Name"),
        (NAME, "Resources\\def", None),
        (NAME, "Resources\\def\\Parameters", None),
        (VALUE, "Resources\\def\\Parameters", "Port"),
        (VALUE, "Resources", "Count"),
    ]
    assert tree.version == version + 6
    assert tree.enum_values("Resources\\abc\\Parameters") == [("Port", dword(1500))]
    assert tree.query_value("Resources\\def\\Parameters", "Port") == dword(80)
    assert tree.query_value("Resources", "Count") == dword(2)


def test_batch_create_key_paths_are_relative_to_the_base_not_the_current_key(
    tree: RegistryTree,
):
    tree.commit("Resources", Batch().create_key("abc").create_key("xyz").set_value("v", 1))
    assert tree.key_exists("Resources\\xyz")
    assert not tree.key_exists("Resources\\abc\\xyz")
    assert tree.query_value("Resources\\xyz", "v") == dword(1)


def test_batch_values_start_at_the_base_key(tree: RegistryTree):
    tree.commit("Groups", Batch().set_value("Name", "G").condition_exists("name"))
    assert tree.query_value("Groups", "Name") == sz("G")


def test_batch_delete_key_removes_a_whole_subtree(tree: RegistryTree, heard: Recorder):
    tree.commit("", Batch().delete_key("Resources\\ABC").create_key("Resources").set_value("n", 0))
    assert heard.take() == [
        (NAME, "Resources\\abc\\Parameters", None),
        (NAME, "Resources\\abc", None),
        (VALUE, "Resources", "n"),
    ]
    assert tree.enum_keys("Resources") == []


def test_empty_batch_is_a_no_op(tree: RegistryTree, heard: Recorder):
    version = tree.version
    tree.commit("Resources", Batch())
    tree.commit("Resources", [])
    assert tree.version == version
    assert heard.take() == []


# Commands that run before the failing one, so that the rollback has real work to undo: a new
# key, a new and a changed value, a deleted value and a deleted subtree. Each failure below is
# written against the state the prelude leaves.
PRELUDE = (
    Batch()
    .create_key("new\\deeper")
    .set_value("Fresh", "yes")
    .create_key("abc\\Parameters")
    .set_value("Port", 1)
    .delete_value("Name")
    .set_value("Extra", b"\x00")
    .delete_key("abc")
).commands

FAILURES = {
    # id: (commands after PRELUDE, expected code, expected class)
    "value-exists": (
        Batch().create_key("abc").condition_exists("Nope"),
        W.ERROR_FILE_NOT_FOUND,
        RegistryEntryNotFoundError,
    ),
    "value-not-exists": (
        Batch().create_key("new\\deeper").condition_not_exists("FRESH"),
        W.ERROR_ALREADY_EXISTS,
        ObjectExistsError,
    ),
    "is-equal": (
        Batch().create_key("new\\deeper").condition_is_equal("Fresh", "no"),
        W.ERROR_INVALID_STATE,
        InvalidStateError,
    ),
    "is-not-equal": (
        Batch().create_key("new\\deeper").condition_is_not_equal("Fresh", "yes"),
        W.ERROR_INVALID_STATE,
        InvalidStateError,
    ),
    "is-greater": (
        Batch().create_key("x").set_value("n", 5).condition_is_greater_than("n", 5),
        W.ERROR_INVALID_STATE,
        InvalidStateError,
    ),
    "is-less": (
        Batch().create_key("x").set_value("n", 5).condition_is_less_than("n", 4),
        W.ERROR_INVALID_STATE,
        InvalidStateError,
    ),
    "is-greater-other-type": (
        Batch().create_key("x").set_value("n", 5).condition_is_greater_than("n", "1"),
        W.ERROR_INVALID_STATE,
        InvalidStateError,
    ),
    "compare-missing": (
        Batch().create_key("x").condition_is_not_equal("n", 5),
        W.ERROR_FILE_NOT_FOUND,
        RegistryEntryNotFoundError,
    ),
    "key-exists": (
        Batch().condition_key_exists("abc"),  # deleted by the prelude
        W.ERROR_FILE_NOT_FOUND,
        RegistryEntryNotFoundError,
    ),
    "key-not-exists": (
        Batch().condition_key_not_exists("NEW\\Deeper"),
        W.ERROR_ALREADY_EXISTS,
        ObjectExistsError,
    ),
    "value-after-delete-key": (
        Batch().set_value("Port", 2),  # the prelude ends with DELETE_KEY
        W.ERROR_INVALID_PARAMETER,
        InvalidParameterError,
    ),
    "condition-after-delete-key": (
        Batch().condition_exists("Port"),
        W.ERROR_INVALID_PARAMETER,
        InvalidParameterError,
    ),
    "set-value-without-data": (
        Batch().create_key("x").add(RegCommand.SET_VALUE, "n"),
        W.ERROR_INVALID_PARAMETER,
        InvalidParameterError,
    ),
    "compare-without-data": (
        Batch().create_key("x").set_value("n", 1).add(RegCommand.CONDITION_IS_EQUAL, "n"),
        W.ERROR_INVALID_PARAMETER,
        InvalidParameterError,
    ),
    "bad-key-path": (
        Batch().create_key("a\\\\b"),
        W.ERROR_INVALID_PARAMETER,
        InvalidParameterError,
    ),
    "delete-base-key": (Batch().delete_key(""), W.ERROR_INVALID_PARAMETER, InvalidParameterError),
    "bad-value-name": (
        Batch().create_key("x").set_value("a\0", 1),
        W.ERROR_INVALID_PARAMETER,
        InvalidParameterError,
    ),
    "reserved-command": (
        Batch().add(RegCommand.SET_KEY_SECURITY, ""),
        W.ERROR_INVALID_PARAMETER,
        InvalidParameterError,
    ),
    "read-command": (
        Batch().add(RegCommand.READ_VALUE, "x"),
        W.ERROR_INVALID_PARAMETER,
        InvalidParameterError,
    ),
    "unknown-command": (
        Batch().add(99, "x"),  # type: ignore[arg-type]
        W.ERROR_INVALID_PARAMETER,
        InvalidParameterError,
    ),
}


@pytest.mark.parametrize("case", list(FAILURES), ids=list(FAILURES))
def test_failing_command_at_k_leaves_the_tree_unchanged(
    tree: RegistryTree, heard: Recorder, case: str
):
    tail, code, cls = FAILURES[case]
    commands = (*PRELUDE, *tail.commands)
    # Commands after the failing one must never run.
    commands = (*commands, BatchCommand(RegCommand.CREATE_KEY, "never"))
    k = len(commands) - 2
    before, version = tree.snapshot(""), tree.version

    with pytest.raises(ClusterError) as info:
        tree.commit("Resources", commands)

    error = info.value
    assert type(error) is cls
    assert error.winerror == code
    assert error.failed_command == k  # type: ignore[attr-defined]
    assert failed_command_of(error) == k
    assert f"batch command {k} (" in str(error)
    assert tree.snapshot("") == before
    assert tree.version == version
    assert heard.take() == []


def test_plain_command_in_a_list_is_reported_with_its_index(tree: RegistryTree):
    with pytest.raises(InvalidParameterError) as info:
        tree.commit("Resources", [BatchCommand(RegCommand.CREATE_KEY, "a"), "oops"])  # type: ignore[list-item]
    assert failed_command_of(info.value) == 1
    assert not tree.key_exists("Resources\\a")


@pytest.mark.parametrize(
    ("base", "cls"),
    [("Missing", RegistryEntryNotFoundError), ("Bad\\", InvalidParameterError)],
)
def test_batch_on_a_bad_base_key_fails_before_any_command(tree: RegistryTree, base, cls):
    with pytest.raises(cls) as info:
        tree.commit(base, Batch().create_key("a"))
    assert failed_command_of(info.value) == -1
    assert not tree.key_exists("Missing")


def test_batch_error_survives_pickling(tree: RegistryTree):
    with pytest.raises(ClusterError) as info:
        tree.commit("Resources", Batch().create_key("a").condition_key_exists("zzz"))
    clone = pickle.loads(pickle.dumps(info.value))
    assert type(clone) is RegistryEntryNotFoundError
    assert failed_command_of(clone) == 1
    assert str(clone) == str(info.value)


def test_failed_command_of_other_errors_is_none():
    assert failed_command_of(ValueError("x")) is None


def test_comparisons_order_by_type():
    tree = RegistryTree()
    tree.create_key("K")
    tree.commit(
        "K",
        Batch()
        .set_value("s", "b")
        .set_value("q", 2**40)
        .set_value("bin", b"\x01\x02")
        .set_value("m", ["a", "b"])
        .condition_is_greater_than("s", "a")
        .condition_is_less_than("s", "c")
        .condition_is_greater_than("q", 2**39, RegValueType.QWORD)
        .condition_is_less_than("bin", b"\x02")
        .condition_is_greater_than("m", ["a"])
        .condition_is_not_equal("m", ["a", "c"])
        .condition_is_equal("m", ("a", "b")),
    )
    with pytest.raises(InvalidStateError, match="cannot be ordered"):
        tree.commit("K", Batch().condition_is_greater_than("q", 1))  # DWORD vs QWORD


# ------------------------------------------------------------------------- hypothesis model

KEY_PARTS = ["a", "A", "b"]
VALUE_NAMES = ["x", "X", "y", ""]
VALUES = [dword(1), dword(2), RegValue(RegValueType.QWORD, 2), sz("1"), sz("2")]

key_paths = st.lists(st.sampled_from(KEY_PARTS), max_size=2).map("\\".join)
subkey_paths = st.lists(st.sampled_from(KEY_PARTS), min_size=1, max_size=2).map("\\".join)
value_names = st.sampled_from(VALUE_NAMES)
reg_values = st.sampled_from(VALUES)

writes = st.one_of(
    st.builds(BatchCommand, st.just(RegCommand.CREATE_KEY), key_paths),
    st.builds(BatchCommand, st.just(RegCommand.DELETE_KEY), subkey_paths),
    st.builds(BatchCommand, st.just(RegCommand.SET_VALUE), value_names, reg_values),
    st.builds(BatchCommand, st.just(RegCommand.DELETE_VALUE), value_names),
)
conditions = st.one_of(
    st.builds(
        BatchCommand,
        st.sampled_from([RegCommand.CONDITION_EXISTS, RegCommand.CONDITION_NOT_EXISTS]),
        value_names,
    ),
    st.builds(
        BatchCommand,
        st.sampled_from(
            [
                RegCommand.CONDITION_IS_EQUAL,
                RegCommand.CONDITION_IS_NOT_EQUAL,
                RegCommand.CONDITION_IS_GREATER_THAN,
                RegCommand.CONDITION_IS_LESS_THAN,
            ]
        ),
        value_names,
        reg_values,
    ),
    st.builds(
        BatchCommand,
        st.sampled_from([RegCommand.CONDITION_KEY_EXISTS, RegCommand.CONDITION_KEY_NOT_EXISTS]),
        key_paths,
    ),
)
malformed = st.one_of(
    st.builds(BatchCommand, st.just(RegCommand.SET_VALUE), value_names),  # no data
    st.builds(BatchCommand, st.just(RegCommand.NONE), value_names),
    st.just(BatchCommand(RegCommand.DELETE_KEY, "")),
)
# Mostly writes, so that many batches succeed; enough conditions and errors that many fail.
# (st.one_of would merge repeated branches, so the weights are drawn explicitly.)
commands = st.sampled_from([writes] * 12 + [conditions] * 4 + [malformed]).flatmap(lambda s: s)
bases = st.sampled_from(["", "", "a", "A\\B", "b", "missing"])


def starting_tree(listener: Recorder) -> RegistryTree:
    tree = RegistryTree(on_change=listener)
    tree.create_key("a\\b")
    tree.set_value("a", "x", dword(1))
    tree.set_value("a", "y", sz("1"))
    tree.set_value("a\\b", "", dword(2))
    tree.create_key("b")
    tree.set_value("", "X", RegValue(RegValueType.QWORD, 2))
    listener.take()
    return tree


def join(base: str, name: str) -> str:
    return "\\".join(p for p in (base, name) if p)


def apply_one_by_one(tree: RegistryTree, base: str, batch: list[BatchCommand]):
    """A model of ApiExecuteBatch written with the single-call API: returns (index, code) of
    the first failing command, or None if all of them succeed."""
    if not tree.key_exists(base):
        return -1, W.ERROR_FILE_NOT_FOUND
    current: str | None = base
    for index, command in enumerate(batch):
        kind, name, value = command.command, command.name, command.value
        if kind == RegCommand.CREATE_KEY:
            current = join(base, name)
            tree.create_key(current)
        elif kind == RegCommand.DELETE_KEY:
            if not name:
                return index, W.ERROR_INVALID_PARAMETER
            if tree.key_exists(join(base, name)):
                tree.delete_tree(join(base, name))
            current = None
        elif kind in (RegCommand.CONDITION_KEY_EXISTS, RegCommand.CONDITION_KEY_NOT_EXISTS):
            exists = tree.key_exists(join(base, name))
            if kind == RegCommand.CONDITION_KEY_EXISTS and not exists:
                return index, W.ERROR_FILE_NOT_FOUND
            if kind == RegCommand.CONDITION_KEY_NOT_EXISTS and exists:
                return index, W.ERROR_ALREADY_EXISTS
        elif kind == RegCommand.NONE or current is None:
            return index, W.ERROR_INVALID_PARAMETER
        else:
            try:
                stored: RegValue | None = tree.query_value(current, name)
            except RegistryEntryNotFoundError:
                stored = None
            if kind == RegCommand.SET_VALUE:
                if value is None:
                    return index, W.ERROR_INVALID_PARAMETER
                tree.set_value(current, name, value)
            elif kind == RegCommand.DELETE_VALUE:
                if stored is not None:
                    tree.delete_value(current, name)
            elif kind == RegCommand.CONDITION_EXISTS:
                if stored is None:
                    return index, W.ERROR_FILE_NOT_FOUND
            elif kind == RegCommand.CONDITION_NOT_EXISTS:
                if stored is not None:
                    return index, W.ERROR_ALREADY_EXISTS
            else:
                assert value is not None
                if stored is None:
                    return index, W.ERROR_FILE_NOT_FOUND
                same_type = stored.type == value.type
                holds = {
                    RegCommand.CONDITION_IS_EQUAL: stored == value,
                    RegCommand.CONDITION_IS_NOT_EQUAL: stored != value,
                    RegCommand.CONDITION_IS_GREATER_THAN: same_type and stored.data > value.data,  # type: ignore[operator]
                    RegCommand.CONDITION_IS_LESS_THAN: same_type and stored.data < value.data,  # type: ignore[operator]
                }[kind]
                if not holds:
                    return index, W.ERROR_INVALID_STATE
    return None


def check_all_or_nothing(base: str, batch: list[BatchCommand]) -> None:
    heard, model_heard = Recorder(), Recorder()
    tree = starting_tree(heard)
    before, version = tree.snapshot(""), tree.version
    model = tree.copy(on_change=model_heard)

    outcome = apply_one_by_one(model, base, batch)

    if outcome is None:
        tree.commit(base, batch)
        assert tree.snapshot("") == model.snapshot("")
        assert heard.events == model_heard.events
        assert tree.version == model.version == version + len(heard.events)
    else:
        index, code = outcome
        with pytest.raises(ClusterError) as info:
            tree.commit(base, batch)
        assert failed_command_of(info.value) == index
        assert info.value.winerror == code
        assert tree.snapshot("") == before
        assert tree.version == version
        assert heard.events == []


@settings(max_examples=300, deadline=None)
@given(base=bases, batch=st.lists(commands, max_size=10))
def test_batches_apply_fully_or_not_at_all(base: str, batch: list[BatchCommand]):
    check_all_or_nothing(base, batch)


@settings(max_examples=100, deadline=None)
@given(base=st.sampled_from(["", "a", "b"]), batch=st.lists(writes, max_size=12))
def test_long_write_batches_equal_their_commands_one_by_one(base: str, batch: list[BatchCommand]):
    # Writes alone mostly succeed, so this exercises long successful batches.
    check_all_or_nothing(base, batch)


@settings(max_examples=100, deadline=None)
@given(edits=st.lists(commands, max_size=8), path=st.sampled_from(["", "a", "b", "a\\b"]))
def test_restore_undoes_any_edits(edits: list[BatchCommand], path: str):
    heard = Recorder()
    tree = starting_tree(heard)
    saved = tree.snapshot(path)
    apply_one_by_one(tree, path, edits)  # whatever part of it succeeds
    heard.take()
    version = tree.version
    tree.restore(path, saved)
    assert tree.snapshot(path) == saved
    assert tree.version == version + len(heard.events)
