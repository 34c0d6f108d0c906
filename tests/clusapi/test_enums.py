"""Tests for ``clusapi._enums``: every member, name and value, against the research notes.

``EXPECTED`` is a hand transcription of the tables in ../shared/research/clusapi.md and
resapi.md; a missing, extra or renumbered member fails. When the research files sit beside the
checkout (they do in CI), two tables are also parsed straight out of the Markdown, so a later
correction to the notes that the code misses fails too.
"""

from __future__ import annotations

import doctest
import enum
import re
from pathlib import Path

import pytest

import clusapi._enums
from clusapi._enums import (
    FAILBACK_TYPE_COUNT,
    REG_COMMAND_LAST,
    RESOURCE_CREATE_VALID_FLAGS,
    RESTART_ACTION_COUNT,
    Characteristics,
    ClusterAccess,
    ClusterChange,
    ClusterEnum,
    FailbackType,
    FailureType,
    GroupEnum,
    GroupState,
    GroupType,
    LogLevel,
    MonitorState,
    NetInterfaceState,
    NetworkEnum,
    NetworkRole,
    NetworkState,
    NodeClusterState,
    NodeEnum,
    NodeResumeFailbackType,
    NodeState,
    OfflineFlags,
    OnlineFlags,
    OpenFlags,
    PropertyFormat,
    PropertyItemFlags,
    PropertySyntax,
    PropertyType,
    QuorumMode,
    QuorumType,
    RegCommand,
    RegValueType,
    ResourceApiVersion,
    ResourceClass,
    ResourceCreateFlags,
    ResourceEnum,
    ResourceExitState,
    ResourceFlags,
    ResourceState,
    ResourceStatusFlags,
    ResourceSubclass,
    ResourceTypeEnum,
    RestartAction,
)

RESEARCH_DIR = Path(__file__).resolve().parents[3] / "shared" / "research"

# ----------------------------------------------------------------------------------------------
# The transcription. Each entry names the research section it was copied from; aliases (two
# names, one value) are listed because Enum.__members__ includes them.

EXPECTED: dict[type[enum.Enum], dict[str, int]] = {
    # clusapi.md §3, CLUSTER_NODE_STATE
    NodeState: {"UNKNOWN": -1, "UP": 0, "DOWN": 1, "PAUSED": 2, "JOINING": 3},
    # clusapi.md §3, CLUSTER_GROUP_STATE
    GroupState: {
        "UNKNOWN": -1,
        "ONLINE": 0,
        "OFFLINE": 1,
        "FAILED": 2,
        "PARTIAL_ONLINE": 3,
        "PENDING": 4,
    },
    # clusapi.md §3, CLUSTER_RESOURCE_STATE; 126/127 from resapi.md §3
    ResourceState: {
        "UNKNOWN": -1,
        "INHERITED": 0,
        "INITIALIZING": 1,
        "ONLINE": 2,
        "OFFLINE": 3,
        "FAILED": 4,
        "CANNOT_COME_ONLINE_ON_ANY_NODE": 126,
        "CANNOT_COME_ONLINE_ON_THIS_NODE": 127,
        "PENDING": 128,
        "ONLINE_PENDING": 129,
        "OFFLINE_PENDING": 130,
    },
    # clusapi.md §2.6
    NetworkState: {"UNKNOWN": -1, "UNAVAILABLE": 0, "DOWN": 1, "PARTITIONED": 2, "UP": 3},
    NetworkRole: {"NONE": 0, "INTERNAL_USE": 1, "CLIENT_ACCESS": 2, "INTERNAL_AND_CLIENT": 3},
    NetInterfaceState: {"UNKNOWN": -1, "UNAVAILABLE": 0, "FAILED": 1, "UNREACHABLE": 2, "UP": 3},
    NetworkEnum: {"NETINTERFACES": 1, "ALL": 1},
    # clusapi.md §2.1, NODE_CLUSTER_STATE
    NodeClusterState: {"NOT_INSTALLED": 0, "NOT_CONFIGURED": 1, "NOT_RUNNING": 3, "RUNNING": 0x13},
    # clusapi.md §2.7, CLUSTER_CHANGE
    ClusterChange: {
        "NODE_STATE": 0x1,
        "NODE_DELETED": 0x2,
        "NODE_ADDED": 0x4,
        "NODE_PROPERTY": 0x8,
        "REGISTRY_NAME": 0x10,
        "REGISTRY_ATTRIBUTES": 0x20,
        "REGISTRY_VALUE": 0x40,
        "REGISTRY_SUBTREE": 0x80,
        "RESOURCE_STATE": 0x100,
        "RESOURCE_DELETED": 0x200,
        "RESOURCE_ADDED": 0x400,
        "RESOURCE_PROPERTY": 0x800,
        "GROUP_STATE": 0x1000,
        "GROUP_DELETED": 0x2000,
        "GROUP_ADDED": 0x4000,
        "GROUP_PROPERTY": 0x8000,
        "RESOURCE_TYPE_DELETED": 0x10000,
        "RESOURCE_TYPE_ADDED": 0x20000,
        "RESOURCE_TYPE_PROPERTY": 0x40000,
        "CLUSTER_RECONNECT": 0x80000,
        "NETWORK_STATE": 0x100000,
        "NETWORK_DELETED": 0x200000,
        "NETWORK_ADDED": 0x400000,
        "NETWORK_PROPERTY": 0x800000,
        "NETINTERFACE_STATE": 0x1000000,
        "NETINTERFACE_DELETED": 0x2000000,
        "NETINTERFACE_ADDED": 0x4000000,
        "NETINTERFACE_PROPERTY": 0x8000000,
        "QUORUM_STATE": 0x10000000,
        "CLUSTER_STATE": 0x20000000,
        "CLUSTER_PROPERTY": 0x40000000,
        "HANDLE_CLOSE": 0x80000000,
        "ALL": 0xFFFFFFFF,
    },
    # clusapi.md §3, CLUSTER_RESOURCE_RESTART_ACTION (Count is a constant, not a member)
    RestartAction: {"DONT_RESTART": 0, "RESTART_NO_NOTIFY": 1, "RESTART_NOTIFY": 2},
    # clusapi.md §3, CLUSTER_GROUP_AUTOFAILBACK_TYPE
    FailbackType: {"PREVENT_FAILBACK": 0, "ALLOW_FAILBACK": 1},
    # clusapi.md §3, CLUSTER_NODE_RESUME_FAILBACK_TYPE
    NodeResumeFailbackType: {
        "DO_NOT_FAILBACK_GROUPS": 0,
        "FAILBACK_GROUPS_IMMEDIATELY": 1,
        "FAILBACK_GROUPS_PER_POLICY": 2,
    },
    # clusapi.md §2.1, CLUSTER_ENUM
    ClusterEnum: {
        "NODE": 0x1,
        "RESTYPE": 0x2,
        "RESOURCE": 0x4,
        "GROUP": 0x8,
        "NETWORK": 0x10,
        "NETINTERFACE": 0x20,
        "SHARED_VOLUME_RESOURCE": 0x40000000,
        "INTERNAL_NETWORK": 0x80000000,
        "ALL": 0x3F,
    },
    # clusapi.md §2.2-§2.5, the per-object *_ENUM masks
    NodeEnum: {"NETINTERFACES": 1, "GROUPS": 2, "ALL": 3},
    GroupEnum: {"CONTAINS": 1, "NODES": 2, "ALL": 3},
    ResourceEnum: {"DEPENDS": 1, "PROVIDES": 2, "NODES": 4, "ALL": 7},
    ResourceTypeEnum: {"NODES": 1, "RESOURCES": 2, "ALL": 3},
    # clusapi.md §2.4 / §3, CLUSTER_RESOURCE_CREATE_FLAGS (VALID_FLAGS is a constant)
    ResourceCreateFlags: {"DEFAULT_MONITOR": 0, "SEPARATE_MONITOR": 1},
    # clusapi.md §3, CLUSTER_QUORUM_TYPE
    QuorumType: {"OPERATIONAL": 0, "MODIFY": 1},
    # clusapi.md §2.1, SetClusterQuorumResource's CLUS_*_QUORUM
    QuorumMode: {"NODE_MAJORITY": 0, "HYBRID": 1024, "LEGACY": 4 * 1024 * 1024},
    # clusapi.md §3, CLUSGROUP_TYPE (only the values the notes list)
    GroupType: {
        "CORE_CLUSTER": 1,
        "AVAILABLE_STORAGE": 2,
        "TEMPORARY": 3,
        "FILE_SERVER": 100,
        "GENERIC_APPLICATION": 107,
        "GENERIC_SERVICE": 108,
        "GENERIC_SCRIPT": 109,
        "VIRTUAL_MACHINE": 111,
        "UNKNOWN": 9999,
    },
    # clusapi.md §2.9 and resapi.md §7, CLUS_CHARACTERISTICS
    Characteristics: {
        "UNKNOWN": 0,
        "QUORUM": 0x1,
        "DELETE_REQUIRES_ALL_NODES": 0x2,
        "LOCAL_QUORUM": 0x4,
        "LOCAL_QUORUM_DEBUG": 0x8,
        "REQUIRES_STATE_CHANGE_REASON": 0x10,
        "BROADCAST_DELETE": 0x20,
        "SINGLE_CLUSTER_INSTANCE": 0x40,
        "SINGLE_GROUP_INSTANCE": 0x80,
    },
    # resapi.md §7, CLUS_FLAGS
    ResourceFlags: {"CORE": 1},
    # clusapi.md §2.9 and resapi.md §7, CLUSTER_RESOURCE_CLASS and the subclass bit
    ResourceClass: {"UNKNOWN": 0, "STORAGE": 1, "NETWORK": 2, "USER": 32768},
    ResourceSubclass: {
        "SHARED": 0x80000000,
        "STORAGE_SHARED_BUS": 0x80000000,
        "NETWORK_INTERNET_PROTOCOL": 0x80000000,
    },
    # clusapi.md §5, CLUSTER_PROPERTY_FORMAT
    PropertyFormat: {
        "UNKNOWN": 0,
        "BINARY": 1,
        "DWORD": 2,
        "SZ": 3,
        "EXPAND_SZ": 4,
        "MULTI_SZ": 5,
        "ULARGE_INTEGER": 6,
        "LONG": 7,
        "EXPANDED_SZ": 8,
        "SECURITY_DESCRIPTOR": 9,
        "LARGE_INTEGER": 10,
        "WORD": 11,
        "FILETIME": 12,
        "PROPERTY_LIST": 14,
        "USER": 32768,
    },
    # clusapi.md §5, CLUSTER_PROPERTY_TYPE
    PropertyType: {
        "UNKNOWN": -1,
        "ENDMARK": 0,
        "LIST_VALUE": 1,
        "RESCLASS": 2,
        "RESERVED1": 3,
        "NAME": 4,
        "SIGNATURE": 5,
        "SCSI_ADDRESS": 6,
        "DISK_NUMBER": 7,
        "PARTITION_INFO": 8,
        "FTSET_INFO": 9,
        "DISK_SERIALNUMBER": 10,
        "DISK_GUID": 11,
        "DISK_SIZE": 12,
        "PARTITION_INFO_EX": 13,
        "USER": 32768,
    },
    # clusapi.md §5, CLUSPROP_SYNTAX_* (typed as the hex literals of the notes, on purpose: the
    # module computes them from PropertyType/PropertyFormat, this checks the result)
    PropertySyntax: {
        "ENDMARK": 0x00000000,
        "NAME": 0x00040003,
        "RESCLASS": 0x00020002,
        "LIST_VALUE_BINARY": 0x00010001,
        "LIST_VALUE_DWORD": 0x00010002,
        "LIST_VALUE_SZ": 0x00010003,
        "LIST_VALUE_EXPAND_SZ": 0x00010004,
        "LIST_VALUE_MULTI_SZ": 0x00010005,
        "LIST_VALUE_ULARGE_INTEGER": 0x00010006,
        "LIST_VALUE_LONG": 0x00010007,
        "LIST_VALUE_EXPANDED_SZ": 0x00010008,
        "LIST_VALUE_SECURITY_DESCRIPTOR": 0x00010009,
        "LIST_VALUE_LARGE_INTEGER": 0x0001000A,
        "LIST_VALUE_WORD": 0x0001000B,
        "LIST_VALUE_FILETIME": 0x0001000C,
        "LIST_VALUE_PROPERTY_LIST": 0x0001000E,
        "DISK_SIGNATURE": 0x00050002,
        "SCSI_ADDRESS": 0x00060002,
        "DISK_NUMBER": 0x00070002,
        "PARTITION_INFO": 0x00080001,
        "FTSET_INFO": 0x00090001,
        "DISK_SERIALNUMBER": 0x000A0003,
        "DISK_GUID": 0x000B0003,
        "DISK_SIZE": 0x000C0006,
        "PARTITION_INFO_EX": 0x000D0001,
    },
    # clusapi.md §2.8, CLUSTER_REG_COMMAND (LAST is a constant)
    RegCommand: {
        "NONE": 0,
        "SET_VALUE": 1,
        "CREATE_KEY": 2,
        "DELETE_KEY": 3,
        "DELETE_VALUE": 4,
        "SET_KEY_SECURITY": 5,
        "VALUE_DELETED": 6,
        "READ_KEY": 7,
        "READ_VALUE": 8,
        "READ_ERROR": 9,
        "CONTROL_COMMAND": 10,
        "CONDITION_EXISTS": 11,
        "CONDITION_NOT_EXISTS": 12,
        "CONDITION_IS_EQUAL": 13,
        "CONDITION_IS_NOT_EQUAL": 14,
        "CONDITION_IS_GREATER_THAN": 15,
        "CONDITION_IS_LESS_THAN": 16,
        "CONDITION_KEY_EXISTS": 17,
        "CONDITION_KEY_NOT_EXISTS": 18,
    },
    # clusapi.md §2.8, REG_* value types (REG_NONE 0 is winnt.h's)
    RegValueType: {
        "NONE": 0,
        "SZ": 1,
        "EXPAND_SZ": 2,
        "BINARY": 3,
        "DWORD": 4,
        "MULTI_SZ": 7,
        "QWORD": 11,
    },
    # clusapi.md §1, CLUSAPI_*_ACCESS
    ClusterAccess: {"READ": 1, "CHANGE": 2, "NO_ACCESS": 4, "ALL": 3},
    # resapi.md §2.1, RESOURCE_EXIT_STATE
    ResourceExitState: {"CONTINUE": 0, "TERMINATE": 1},
    # resapi.md §2.2, FAILURE_TYPE
    FailureType: {"GENERAL": 0, "EMBEDDED": 1, "NETWORK_LOSS": 2},
    # resapi.md §2.2, RESOURCE_MONITOR_STATE, in the notes' order from 0
    MonitorState: {
        "INITIALIZING": 0,
        "IDLE": 1,
        "STARTING_RESOURCE": 2,
        "INITIALIZING_RESOURCE": 3,
        "ONLINE_RESOURCE": 4,
        "OFFLINE_RESOURCE": 5,
        "SHUTDOWN_RESOURCE": 6,
        "DELETING_RESOURCE": 7,
        "IS_ALIVE_POLL": 8,
        "LOOKS_ALIVE_POLL": 9,
        "ARBITRATE_RESOURCE": 10,
        "RELEASE_RESOURCE": 11,
        "RESOURCE_CONTROL": 12,
        "RESOURCE_TYPE_CONTROL": 13,
        "TERMINATE_RESOURCE": 14,
        "DEADLOCKED": 15,
    },
    # resapi.md §2.2, CLUSRESDLL_STATUS_*
    ResourceStatusFlags: {
        "OFFLINE_BUSY": 0x1,
        "OFFLINE_SOURCE_THROTTLED": 0x2,
        "OFFLINE_DESTINATION_THROTTLED": 0x4,
        "OFFLINE_DESTINATION_REJECTED": 0x8,
        "INSUFFICIENT_MEMORY": 0x10,
        "INSUFFICIENT_PROCESSOR": 0x20,
        "INSUFFICIENT_OTHER_RESOURCES": 0x40,
        "INVALID_PARAMETERS": 0x80,
        "NETWORK_NOT_AVAILABLE": 0x100,
        "DO_NOT_COLLECT_WER_REPORT": 0x40000000,
        "DUMP_NOW": 0x80000000,
    },
    # resapi.md §1.2, CLUS_RESDLL_ONLINE_* / _OFFLINE_* / _OPEN_*
    OnlineFlags: {
        "RECOVER_MONITOR_STATE": 0x1,
        "IGNORE_RESOURCE_STATUS": 0x2,
        "RETURN_TO_SOURCE_NODE_ON_ERROR": 0x4,
        "RESTORE_ONLINE_STATE": 0x8,
        "IGNORE_NETWORK_CONNECTIVITY": 0x10,
    },
    OfflineFlags: {
        "IGNORE_RESOURCE_STATUS": 0x1,
        "RETURN_TO_SOURCE_NODE_ON_ERROR": 0x2,
        "QUEUE_ENABLED": 0x4,
        "RETURNING_TO_SOURCE_NODE_BECAUSE_OF_ERROR": 0x8,
        "DUE_TO_EMBEDDED_FAILURE": 0x10,
        "IGNORE_NETWORK_CONNECTIVITY": 0x20,
        "DO_NOT_UPDATE_PERSISTENT_STATE": 0x40,
    },
    OpenFlags: {"RECOVER_MONITOR_STATE": 0x1, "DONT_DELETE_TEMP_DISK": 0x2},
    # resapi.md §4.1, RESUTIL_PROPITEM_*
    PropertyItemFlags: {"READ_ONLY": 0x1, "REQUIRED": 0x2, "SIGNED": 0x4, "IN_MEMORY": 0x8},
    # resapi.md §1.1, CLRES_VERSION_*
    ResourceApiVersion: {"V1_00": 0x100, "V2_00": 0x200, "V3_00": 0x300, "V4_00": 0x400},
    # resapi.md §2.1, LOG_LEVEL
    LogLevel: {"INFORMATION": 0, "WARNING": 1, "ERROR": 2, "SEVERE": 3},
}

# Bit masks must combine with | and keep unknown bits; everything else is a closed set.
FLAG_TYPES = frozenset(
    {
        NetworkRole,
        ClusterChange,
        ClusterEnum,
        NodeEnum,
        GroupEnum,
        ResourceEnum,
        ResourceTypeEnum,
        NetworkEnum,
        ResourceCreateFlags,
        Characteristics,
        ResourceFlags,
        ResourceSubclass,
        ClusterAccess,
        ResourceStatusFlags,
        OnlineFlags,
        OfflineFlags,
        OpenFlags,
        PropertyItemFlags,
    }
)

ENUM_CLASSES = tuple(EXPECTED)


def _members(cls: type[enum.Enum]) -> dict[str, int]:
    return {name: int(member.value) for name, member in cls.__members__.items()}


@pytest.mark.parametrize("cls", ENUM_CLASSES, ids=lambda cls: cls.__name__)
def test_members_match_research_transcription(cls: type[enum.IntEnum]) -> None:
    assert _members(cls) == EXPECTED[cls]


def test_every_enum_in_the_module_is_transcribed() -> None:
    defined = {
        obj
        for name in clusapi._enums.__all__
        if isinstance(obj := getattr(clusapi._enums, name), type) and issubclass(obj, enum.Enum)
    }
    assert defined == set(ENUM_CLASSES)


@pytest.mark.parametrize("cls", ENUM_CLASSES, ids=lambda cls: cls.__name__)
def test_masks_are_intflag_and_sets_are_intenum(cls: type[enum.Enum]) -> None:
    if cls in FLAG_TYPES:
        assert issubclass(cls, enum.IntFlag)
    else:
        assert issubclass(cls, enum.IntEnum)
        assert enum.Flag not in cls.__mro__


@pytest.mark.parametrize("cls", ENUM_CLASSES, ids=lambda cls: cls.__name__)
def test_docstring_names_the_c_type(cls: type[enum.Enum]) -> None:
    doc = cls.__doc__ or ""
    first_line, _, rest = doc.partition("\n")
    assert re.fullmatch(r"Mirrors (the )?`[A-Z_*]+`.*\(\w+\.h.*\)\.", first_line), first_line
    assert rest.strip(), f"{cls.__name__} needs a one-line meaning after the 'Mirrors' line"


def test_sentinels_are_constants_not_members() -> None:
    # The C "count"/"last" values are not valid inputs; they exist for range checks only.
    assert RESTART_ACTION_COUNT == 3 == len(RestartAction)
    assert FAILBACK_TYPE_COUNT == 2 == len(FailbackType)
    assert REG_COMMAND_LAST == 19 == len(RegCommand)
    assert int(ResourceCreateFlags.SEPARATE_MONITOR) == RESOURCE_CREATE_VALID_FLAGS
    with pytest.raises(ValueError, match="3 is not a valid RestartAction"):
        RestartAction(3)


def test_cluster_change_all_is_every_bit() -> None:
    bits = [m for name, m in ClusterChange.__members__.items() if name != "ALL"]
    assert len(bits) == 32
    assert all(int(b).bit_count() == 1 for b in bits)
    combined = ClusterChange(0)
    for bit in bits:
        combined |= bit
    assert combined == ClusterChange.ALL
    assert int(ClusterChange.ALL) == 0xFFFFFFFF


def test_all_masks_are_the_union_of_their_bits() -> None:
    assert ClusterEnum.ALL == (
        ClusterEnum.NODE
        | ClusterEnum.RESTYPE
        | ClusterEnum.RESOURCE
        | ClusterEnum.GROUP
        | ClusterEnum.NETWORK
        | ClusterEnum.NETINTERFACE
    )
    assert ClusterEnum.SHARED_VOLUME_RESOURCE & ClusterEnum.ALL == 0  # "must be used alone"
    assert NodeEnum.ALL == NodeEnum.NETINTERFACES | NodeEnum.GROUPS
    assert GroupEnum.ALL == GroupEnum.CONTAINS | GroupEnum.NODES
    assert ResourceEnum.ALL == ResourceEnum.DEPENDS | ResourceEnum.PROVIDES | ResourceEnum.NODES
    assert ResourceTypeEnum.ALL == ResourceTypeEnum.NODES | ResourceTypeEnum.RESOURCES
    assert ClusterAccess.ALL == ClusterAccess.READ | ClusterAccess.CHANGE
    assert NetworkRole.INTERNAL_AND_CLIENT == NetworkRole.INTERNAL_USE | NetworkRole.CLIENT_ACCESS


def test_aliases_are_the_same_member() -> None:
    # Looked up by name so the type checker sees two values, not two distinct literals.
    assert ResourceSubclass["STORAGE_SHARED_BUS"] is ResourceSubclass.SHARED
    assert ResourceSubclass["NETWORK_INTERNET_PROTOCOL"] is ResourceSubclass.SHARED
    assert NetworkEnum["ALL"] is NetworkEnum.NETINTERFACES


def test_property_syntax_is_type_high_word_format_low_word() -> None:
    for member in PropertySyntax:
        type_, format_ = member >> 16, member & 0xFFFF
        assert format_ in PropertyFormat._value2member_map_, member
        assert type_ in PropertyType._value2member_map_, member


def test_resource_flags_keep_dll_defined_high_bits() -> None:
    # DLLs own the high 16 bits of CLUS_FLAGS (resapi.md §7); IntFlag must not drop them.
    flags = ResourceFlags(0x00010001)
    assert flags == 0x00010001
    assert ResourceFlags.CORE in flags


def test_all_is_a_tuple_of_the_public_names() -> None:
    imported = {"annotations", "enum", "Final"}
    # isidentifier: pytest's assertion rewriting, applied to the SDK because it ships a pytest
    # plugin, adds "@py_builtins" and "@pytest_ar" to modules that use assert.
    names = {name for name in vars(clusapi._enums) if name.isidentifier()}
    public = {name for name in names if not name.startswith("_")} - imported
    assert isinstance(clusapi._enums.__all__, tuple)
    assert len(set(clusapi._enums.__all__)) == len(clusapi._enums.__all__)
    assert set(clusapi._enums.__all__) == public


def test_docstring_examples() -> None:
    failures, tried = doctest.testmod(clusapi._enums, raise_on_error=False, report=True)
    assert tried > 0
    assert failures == 0


# ----------------------------------------------------------------------------------------------
# Cross-checks against the Markdown itself.


@pytest.fixture
def clusapi_notes() -> str:
    path = RESEARCH_DIR / "clusapi.md"
    if not path.is_file():
        pytest.skip("research files not beside this checkout (../shared/research)")
    return path.read_text(encoding="utf-8")


def _table_after(text: str, marker: str) -> list[list[str]]:
    """The body rows of the first Markdown table after the line containing ``marker``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if marker in line)
    rows: list[list[str]] = []
    for line in lines[start + 1 :]:
        if not line.startswith("|"):
            if rows:
                break
            continue
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows[2:]  # drop the header and the |---| separator


def test_cluster_change_matches_the_markdown_table(clusapi_notes: str) -> None:
    parsed: dict[str, int] = {}
    for row in _table_after(clusapi_notes, "`CLUSTER_CHANGE` bits"):
        # Cells look like "NODE_STATE 0x1, NODE_DELETED 0x2" or, compressed,
        # "NETWORK_STATE/DELETED/ADDED/PROPERTY 0x100000/0x200000/0x400000/0x800000".
        for item in row[0].split(","):
            names, values = item.split()
            first, *rest = names.split("/")
            prefix = first.rsplit("_", 1)[0] + "_" if rest else ""
            full_names = [first, *(prefix + suffix for suffix in rest)]
            numbers = [int(v, 16) for v in values.split("/")]
            assert len(full_names) == len(numbers), item
            parsed.update(zip(full_names, numbers, strict=True))
    assert len(parsed) == 33  # 32 bits and ALL
    assert parsed == _members(ClusterChange)


# §3's table names C enums; map each to its Python enum. A row added to the notes without a
# mapping here fails with a message, rather than being skipped silently.
SECTION_3_ENUMS: dict[str, type[enum.Enum]] = {
    "CLUSTER_NODE_STATE": NodeState,
    "CLUSTER_GROUP_STATE": GroupState,
    "CLUSTER_RESOURCE_STATE": ResourceState,
    "CLUSTER_RESOURCE_RESTART_ACTION": RestartAction,
    "CLUSTER_GROUP_AUTOFAILBACK_TYPE": FailbackType,
    "CLUSTER_RESOURCE_CREATE_FLAGS": ResourceCreateFlags,
    "CLUSTER_QUORUM_TYPE": QuorumType,
    "CLUSTER_NODE_RESUME_FAILBACK_TYPE": NodeResumeFailbackType,
    "CLUSGROUP_TYPE": GroupType,
}
# Values the notes list that are sentinels, and the module constant that carries each.
# (The notes abbreviate some names with a leading ellipsis; the regex below starts after it.)
SECTION_3_SENTINELS: dict[str, int] = {
    "RestartActionCount": RESTART_ACTION_COUNT,
    "ClusterGroupFailbackTypeCount": FAILBACK_TYPE_COUNT,
    "VALID_FLAGS": RESOURCE_CREATE_VALID_FLAGS,
}

# Members that other sections add to a §3 enum.
SECTION_3_ADDED_ELSEWHERE: dict[type[enum.Enum], set[int]] = {
    ResourceState: {126, 127},  # resapi.md §3: resapi.h's CannotComeOnline{OnAnyNode,OnThisNode}
}

_ITEM = re.compile(r"(?P<name>[A-Za-z][A-Za-z0-9_]*)\s+(?P<value>-?(?:0x[0-9A-Fa-f]+|\d+))\b")


def test_state_and_policy_enums_match_the_markdown_table(clusapi_notes: str) -> None:
    rows = _table_after(clusapi_notes, "## 3. State and policy enums")
    assert rows, "the §3 table was not found"
    for c_cell, values_cell in rows:
        c_name = re.search(r"`(\w+)`", c_cell)
        assert c_name, c_cell
        cls = SECTION_3_ENUMS.get(c_name[1])
        assert cls is not None, f"map {c_name[1]} to its Python enum in SECTION_3_ENUMS"
        # Drop the notes' asides "(...)" and "[...]", and its Unicode minus sign.
        text = re.sub(r"\([^)]*\)|\[[^\]]*\]", "", values_cell).replace("\u2212", "-")
        items = [(m["name"], int(m["value"], 0)) for m in _ITEM.finditer(text)]
        assert items, values_cell
        by_value = {int(member.value): name for name, member in cls.__members__.items()}
        for c_member, value in items:
            if c_member in SECTION_3_SENTINELS:
                assert SECTION_3_SENTINELS[c_member] == value, c_member
                continue
            assert value in by_value, f"{c_name[1]}: {c_member} = {value} missing from {cls}"
            # The Python name is the C name's tail, modulo case and underscores:
            # ClusterGroupPartialOnline -> PARTIAL_ONLINE, OperationalQuorum -> OPERATIONAL.
            squashed = c_member.upper().replace("_", "")
            assert by_value[value].replace("_", "") in squashed, (c_member, by_value[value])
        # Where the notes list an enum completely (no "..."), every member must be there.
        if "..." not in values_cell:
            listed = {value for name, value in items if name not in SECTION_3_SENTINELS}
            assert listed | SECTION_3_ADDED_ELSEWHERE.get(cls, set()) == set(by_value), c_name[1]
