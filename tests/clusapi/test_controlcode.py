"""Tests for ``clusapi._controlcode``: the bit layout, the known numbers, and the code table.

The numbers come from three places that were written independently of this module: the CLCTL
table of ../shared/research/clusapi.md §2.9, windows-sys (the research's [RS] cross-check, for
codes §2.9 does not list), and the header's own example user codes.
"""

from __future__ import annotations

import doctest

import attrs
import pytest
from hypothesis import given, strategies as st

import clusapi._controlcode
from clusapi._controlcode import (
    ControlAccess,
    ControlCode,
    ControlCodeParts,
    ControlFunction,
    ControlObject,
    InternalControlFunction,
    compose_control_code,
    decompose_control_code,
    user_control_code,
)

# ----------------------------------------------------------------------------------------------
# clusapi.md §2.9, the CLCTL_* table: the object-less code (low 24 bits) per function. The
# internal row lists only its ends (0x500006 ... 0x500026); the middle values are the header's
# CLCTL_INTERNAL_CODE(n, CLUS_ACCESS_WRITE, CLUS_MODIFY) for n = 2..7.
SECTION_2_9_EXTERNAL: dict[str, int] = {
    "UNKNOWN": 0x000,
    "GET_CHARACTERISTICS": 0x005,
    "GET_FLAGS": 0x009,
    "GET_CLASS_INFO": 0x00D,
    "GET_REQUIRED_DEPENDENCIES": 0x011,
    "GET_NAME": 0x029,
    "GET_RESOURCE_TYPE": 0x02D,
    "GET_NODE": 0x031,
    "GET_NETWORK": 0x035,
    "GET_ID": 0x039,
    "ENUM_COMMON_PROPERTIES": 0x051,
    "GET_RO_COMMON_PROPERTIES": 0x055,
    "GET_COMMON_PROPERTIES": 0x059,
    "SET_COMMON_PROPERTIES": 0x40005E,
    "VALIDATE_COMMON_PROPERTIES": 0x061,
    "GET_COMMON_PROPERTY_FMTS": 0x065,
    "ENUM_PRIVATE_PROPERTIES": 0x079,
    "GET_RO_PRIVATE_PROPERTIES": 0x07D,
    "GET_PRIVATE_PROPERTIES": 0x081,
    "SET_PRIVATE_PROPERTIES": 0x400086,
    "VALIDATE_PRIVATE_PROPERTIES": 0x089,
    "GET_PRIVATE_PROPERTY_FMTS": 0x08D,
    "ADD_REGISTRY_CHECKPOINT": 0x4000A2,
    "DELETE_REGISTRY_CHECKPOINT": 0x4000A6,
    "GET_REGISTRY_CHECKPOINTS": 0x0A9,
    "ADD_CRYPTO_CHECKPOINT": 0x4000AE,
    "DELETE_CRYPTO_CHECKPOINT": 0x4000B2,
    "GET_CRYPTO_CHECKPOINTS": 0x0B5,
    "ADD_REGISTRY_CHECKPOINT_64BIT": 0x4000BE,
    "ADD_REGISTRY_CHECKPOINT_32BIT": 0x4000C2,
    "GET_NETWORK_NAME": 0x169,
    "QUERY_DELETE": 0x1B9,
}
SECTION_2_9_INTERNAL: dict[str, int] = {
    "DELETE": 0x500006,
    "INSTALL_NODE": 0x50000A,
    "EVICT_NODE": 0x50000E,
    "ADD_DEPENDENCY": 0x500012,
    "REMOVE_DEPENDENCY": 0x500016,
    "ADD_OWNER": 0x50001A,
    "REMOVE_OWNER": 0x50001E,
    "SET_NAME": 0x500026,
}
# CLCTL_* values §2.9 does not list, as windows-sys (Win32::Networking::Clustering) declares them.
WINDOWS_SYS_EXTERNAL: dict[str, int] = {
    "GET_ARB_TIMEOUT": 21,
    "GET_FQDN": 61,
    "GET_CLUSTER_SERVICE_ACCOUNT_NAME": 65,
    "CHECK_VOTER_EVICT": 69,
    "CHECK_VOTER_DOWN": 73,
    "SHUTDOWN": 77,
    "GET_COMMON_RESOURCE_PROPERTY_FMTS": 105,
    "GET_PRIVATE_RESOURCE_PROPERTY_FMTS": 145,
    "BATCH_BLOCK_KEY": 574,
    "BATCH_UNBLOCK_KEY": 577,
}
WINDOWS_SYS_INTERNAL: dict[str, int] = {
    "CLUSTER_NAME_CHANGED": 5242922,
    "CLUSTER_VERSION_CHANGED": 5242926,
    "FIXUP_ON_UPGRADE": 5242930,
    "STARTING_PHASE1": 5242934,
    "STARTING_PHASE2": 5242938,
    "HOLD_IO": 5242942,
    "RESUME_IO": 5242946,
    "FORCE_QUORUM": 5242950,
    "INITIALIZE": 5242954,
    "STATE_CHANGE_REASON": 5242958,
}
ALL_EXTERNAL = SECTION_2_9_EXTERNAL | WINDOWS_SYS_EXTERNAL
ALL_INTERNAL = SECTION_2_9_INTERNAL | WINDOWS_SYS_INTERNAL

# clusapi.md §2.9, "Per-object availability", turned into the functions each object gets.
_PROPERTY_CODES = (
    "ENUM_COMMON_PROPERTIES",
    "GET_RO_COMMON_PROPERTIES",
    "GET_COMMON_PROPERTIES",
    "SET_COMMON_PROPERTIES",
    "VALIDATE_COMMON_PROPERTIES",
    "GET_COMMON_PROPERTY_FMTS",
    "ENUM_PRIVATE_PROPERTIES",
    "GET_RO_PRIVATE_PROPERTIES",
    "GET_PRIVATE_PROPERTIES",
    "SET_PRIVATE_PROPERTIES",
    "VALIDATE_PRIVATE_PROPERTIES",
    "GET_PRIVATE_PROPERTY_FMTS",
)
_BASIC = ("UNKNOWN", "GET_CHARACTERISTICS", "GET_FLAGS", "GET_NAME", "GET_ID", *_PROPERTY_CODES)
AVAILABILITY: dict[str, set[str]] = {
    # "resource - the external codes above except GET_NODE/GET_NETWORK", plus the internal
    # notifications of §2.9 and resapi.md §5.9 that the header defines.
    "RESOURCE": (set(SECTION_2_9_EXTERNAL) - {"GET_NODE", "GET_NETWORK"})
    | set(SECTION_2_9_INTERNAL)
    | {
        "CLUSTER_NAME_CHANGED",
        "CLUSTER_VERSION_CHANGED",
        "FORCE_QUORUM",
        "INITIALIZE",
        "STATE_CHANGE_REASON",
    },
    # "resource type - characteristics/flags/class info/required deps/GET_ARB_TIMEOUT/
    # common+private props/GET_REGISTRY_CHECKPOINTS/QUERY_DELETE" (the header's property codes
    # for types include the two *_RESOURCE_PROPERTY_FMTS), plus resapi.md §5.9's type
    # notifications.
    "RESOURCE_TYPE": {
        "UNKNOWN",
        "GET_CHARACTERISTICS",
        "GET_FLAGS",
        "GET_CLASS_INFO",
        "GET_REQUIRED_DEPENDENCIES",
        "GET_ARB_TIMEOUT",
        *_PROPERTY_CODES,
        "GET_COMMON_RESOURCE_PROPERTY_FMTS",
        "GET_PRIVATE_RESOURCE_PROPERTY_FMTS",
        "GET_REGISTRY_CHECKPOINTS",
        "QUERY_DELETE",
        "INSTALL_NODE",
        "EVICT_NODE",
        "CLUSTER_VERSION_CHANGED",
        "FIXUP_ON_UPGRADE",
        "STARTING_PHASE1",
        "STARTING_PHASE2",
    },
    "GROUP": {*_BASIC, "QUERY_DELETE"},
    "NODE": {*_BASIC, "GET_CLUSTER_SERVICE_ACCOUNT_NAME"},
    "NETWORK": set(_BASIC),
    "NETINTERFACE": {*_BASIC, "GET_NODE", "GET_NETWORK"},
    "CLUSTER": {
        "UNKNOWN",
        *_PROPERTY_CODES,
        "GET_FQDN",
        "CHECK_VOTER_EVICT",
        "CHECK_VOTER_DOWN",
        "SHUTDOWN",
        "BATCH_BLOCK_KEY",
        "BATCH_UNBLOCK_KEY",
    },
}

MEMBERS = tuple(ControlCode)


def _object_prefix(code: ControlCode) -> str:
    # RESOURCE_TYPE_ must win over RESOURCE_.
    return max((o for o in AVAILABILITY if code.name.startswith(o + "_")), key=len)


# ---------------------------------------------------------------------------------- known values


def test_resource_set_common_properties_is_the_documented_number() -> None:
    # windows-sys CLUSCTL_RESOURCE_SET_COMMON_PROPERTIES, quoted in clusapi.md §2.9.
    assert int(ControlCode.RESOURCE_SET_COMMON_PROPERTIES) == 0x0140005E
    assert (
        compose_control_code(
            ControlObject.RESOURCE,
            ControlFunction.SET_COMMON_PROPERTIES,
            ControlAccess.WRITE,
            modify=True,
        )
        == 0x0140005E
    )


@pytest.mark.parametrize(("name", "clctl"), ALL_EXTERNAL.items())
def test_external_codes_match_the_table(name: str, clctl: int) -> None:
    function = ControlFunction[name]
    members = [m for m in MEMBERS if m.parts.function is function and not m.parts.internal]
    assert members, f"no ControlCode uses CLCTL_{name}"
    for member in members:
        assert member & 0x00FFFFFF == clctl, member.name
        assert member >> 24 == member.parts.object


@pytest.mark.parametrize(("name", "clctl"), ALL_INTERNAL.items())
def test_internal_codes_match_the_table(name: str, clctl: int) -> None:
    function = InternalControlFunction[name]
    assert compose_control_code(0, function, ControlAccess.WRITE, internal=True, modify=True) == (
        clctl
    )
    for member in MEMBERS:
        if member.parts.internal and member.parts.function is function:
            assert member & 0x00FFFFFF == clctl, member.name


def test_every_function_is_checked_against_an_outside_number() -> None:
    assert set(ControlFunction.__members__) == set(ALL_EXTERNAL)
    assert set(InternalControlFunction.__members__) == set(ALL_INTERNAL)


def test_known_full_codes() -> None:
    assert int(ControlCode.RESOURCE_DELETE) == 0x01500006
    assert int(ControlCode.RESOURCE_TYPE_GET_CHARACTERISTICS) == 0x02000005
    assert int(ControlCode.GROUP_GET_NAME) == 0x03000029
    assert int(ControlCode.CLUSTER_GET_COMMON_PROPERTIES) == 0x07000059
    # windows-sys CLUSCTL_CLUSTER_* values.
    assert int(ControlCode.CLUSTER_BATCH_BLOCK_KEY) == 117441086
    assert int(ControlCode.CLUSTER_CHECK_VOTER_DOWN) == 117440585
    assert int(ControlCode.CLUSTER_GET_FQDN) == 117440573


# ------------------------------------------------------------------------------- the code table


def test_codes_per_object_follow_the_availability_list() -> None:
    by_object: dict[str, set[str]] = {o: set() for o in AVAILABILITY}
    for member in MEMBERS:
        prefix = _object_prefix(member)
        by_object[prefix].add(member.name.removeprefix(prefix + "_"))
    assert by_object == AVAILABILITY


@pytest.mark.parametrize("member", MEMBERS, ids=lambda m: m.name)
def test_member_fields_agree_with_its_name(member: ControlCode) -> None:
    parts = member.parts
    prefix = _object_prefix(member)
    assert parts.object is ControlObject[prefix]
    function_name = member.name.removeprefix(prefix + "_")
    assert parts.function.name == function_name  # type: ignore[attr-defined]
    assert not parts.user
    assert not parts.global_
    # Access and modify, from the header: only UNKNOWN is ANY; writes are WRITE + modify except
    # BATCH_BLOCK_KEY (WRITE, no modify); internal codes are all WRITE + modify.
    if parts.internal:
        assert (parts.access, parts.modify) == (ControlAccess.WRITE, True)
    elif function_name == "UNKNOWN":
        assert (parts.access, parts.modify) == (ControlAccess.ANY, False)
    elif function_name == "BATCH_BLOCK_KEY":
        assert (parts.access, parts.modify) == (ControlAccess.WRITE, False)
    elif function_name.startswith(("SET_", "ADD_", "DELETE_")):
        assert (parts.access, parts.modify) == (ControlAccess.WRITE, True)
    else:
        assert (parts.access, parts.modify) == (ControlAccess.READ, False)


def test_no_two_members_share_a_value() -> None:
    # An accidental alias would silently hide a member from iteration.
    assert len(ControlCode.__members__) == len(MEMBERS) == len({int(m) for m in MEMBERS})


@pytest.mark.parametrize("member", MEMBERS, ids=lambda m: m.name)
def test_members_round_trip(member: ControlCode) -> None:
    parts = decompose_control_code(member)
    assert parts == member.parts
    assert parts.code == member
    assert compose_control_code(**attrs.asdict(parts, recurse=False)) == member
    assert ControlCode(parts.code) is member


# ----------------------------------------------------------------------------- compose/decompose

objects = st.integers(0, 0xFF)
functions = st.integers(0, 0x3FFFF)
accesses = st.integers(0, 3)


@given(
    obj=objects,
    function=functions,
    access=accesses,
    internal=st.booleans(),
    user=st.booleans(),
    modify=st.booleans(),
    global_=st.booleans(),
)
def test_decompose_inverts_compose(
    obj: int,
    function: int,
    access: int,
    internal: bool,
    user: bool,
    modify: bool,
    global_: bool,
) -> None:
    flags = {"internal": internal, "user": user, "modify": modify, "global_": global_}
    code = compose_control_code(obj, function, access, **flags)
    assert 0 <= code <= 0xFFFFFFFF
    assert decompose_control_code(code) == ControlCodeParts(obj, function, access, **flags)


@given(code=st.integers(0, 0xFFFFFFFF))
def test_compose_inverts_decompose(code: int) -> None:
    assert decompose_control_code(code).code == code


def test_bit_positions() -> None:
    assert compose_control_code(0, 0, ControlAccess.READ) == 0x1
    assert compose_control_code(0, 1, 0) == 0x4
    assert compose_control_code(0, 0x3FFFF, 0) == 0x000FFFFC
    assert compose_control_code(0, 0, 0, internal=True) == 1 << 20
    assert compose_control_code(0, 0, 0, user=True) == 1 << 21
    assert compose_control_code(0, 0, 0, modify=True) == 1 << 22
    assert compose_control_code(0, 0, 0, global_=True) == 1 << 23
    assert compose_control_code(ControlObject.USER, 0, 0) == 0x80000000
    assert (
        compose_control_code(0xFF, 0x3FFFF, 3, internal=True, user=True, modify=True, global_=True)
        == 0xFFFFFFFF
    )


def test_decompose_names_what_the_header_names() -> None:
    parts = decompose_control_code(0x0140005E)
    assert parts == ControlCodeParts(
        ControlObject.RESOURCE,
        ControlFunction.SET_COMMON_PROPERTIES,
        ControlAccess.WRITE,
        modify=True,
    )
    assert parts.object is ControlObject.RESOURCE
    assert parts.function is ControlFunction.SET_COMMON_PROPERTIES
    assert parts.access is ControlAccess.WRITE
    assert decompose_control_code(0x01500006).function is InternalControlFunction.DELETE
    # Numbers the header doesn't name stay plain ints rather than failing.
    odd = decompose_control_code(0x42000000 | (999 << 2) | 3)
    assert (odd.object, odd.function, odd.access) == (0x42, 999, 3)
    assert type(odd.object) is int
    assert type(odd.function) is int
    assert type(odd.access) is int


@pytest.mark.parametrize("code", [-1, 0x1_0000_0000, -0x0140005E])
def test_decompose_rejects_non_dwords(code: int) -> None:
    with pytest.raises(ValueError, match="DWORD"):
        decompose_control_code(code)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ((256, 0, 0), "object"),
        ((-1, 0, 0), "object"),
        ((1, 0x40000, 0), "function"),
        ((1, -1, 0), "function"),
        ((1, 0, 4), "access"),
        ((1, 0, -1), "access"),
    ],
)
def test_compose_rejects_fields_that_do_not_fit(fields: tuple[int, int, int], field: str) -> None:
    with pytest.raises(ValueError, match=rf"control-code {field} must be in 0\.\."):
        compose_control_code(*fields)
    with pytest.raises(ValueError, match=rf"control-code {field} must be in 0\.\."):
        ControlCodeParts(*fields)


def test_parts_reject_non_ints() -> None:
    with pytest.raises(TypeError, match="control-code function must be an int"):
        ControlCodeParts(1, "GET_NAME", 1)  # type: ignore[arg-type]


def test_parts_are_frozen() -> None:
    parts = ControlCode.GROUP_GET_NAME.parts
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        parts.function = 0  # type: ignore[misc]


# ------------------------------------------------------------------------------------ user codes


def test_user_control_code_mirrors_the_macro() -> None:
    # CLUSCTL_USER_CODE(Function, Object) = (Object << 24) | ((CLCTL_USER_BASE + Function) << 2),
    # CLCTL_USER_BASE = 1 << 21. Examples from public resource-DLL sources:
    # MajorityNodeSetIoctlPhase1 = CLUSCTL_USER_CODE(0, CLUS_OBJECT_RESOURCE),
    # CLUSCTL_RESOURCE_FILESHARESAMPLE_CALL_ISALIVE = CLUSCTL_USER_CODE(1, CLUS_OBJECT_RESOURCE),
    # SERVICEX_GET_LOGFILE_LOCATION = CLUSCTL_USER_CODE(22101, 221) | CLUS_ACCESS_READ.
    assert user_control_code(0, ControlObject.RESOURCE) == 0x01800000
    assert user_control_code(1, ControlObject.RESOURCE) == 0x01800004
    assert (
        user_control_code(22101, 221) | ControlAccess.READ
        == (221 << 24) | (((1 << 21) + 22101) << 2) | 1
    )


def test_user_control_code_sets_bit_23_like_the_header() -> None:
    # The macro shifts CLCTL_USER_BASE (bit 21) by the function shift, so the bit that ends up
    # set is 23 (CLCTL_GLOBAL_MASK). Pin that: "fixing" it would break DLLs built on the header.
    parts = decompose_control_code(user_control_code(7, ControlObject.GROUP))
    assert parts == ControlCodeParts(ControlObject.GROUP, 7, ControlAccess.ANY, global_=True)
    assert type(parts.function) is int  # not ControlFunction.<7>: user numbers are the DLL's


@pytest.mark.parametrize(("function", "obj"), [(0x40000, 1), (-1, 1), (0, 256), (0, -1)])
def test_user_control_code_rejects_fields_that_do_not_fit(function: int, obj: int) -> None:
    with pytest.raises(ValueError, match=r"must be in 0\.\."):
        user_control_code(function, obj)


# ---------------------------------------------------------------------------------------- module


def test_all_is_a_tuple_of_the_public_names() -> None:
    imported = {"annotations", "attrs", "enum", "Final", "TYPE_CHECKING", "TypeVar", "Callable"}
    # isidentifier: pytest's assertion rewriting, applied to the SDK because it ships a pytest
    # plugin, adds "@py_builtins" and "@pytest_ar" to modules that use assert.
    names = {n for n in vars(clusapi._controlcode) if n.isidentifier()}
    public = {n for n in names if not n.startswith("_")} - imported
    assert isinstance(clusapi._controlcode.__all__, tuple)
    assert len(set(clusapi._controlcode.__all__)) == len(clusapi._controlcode.__all__)
    assert set(clusapi._controlcode.__all__) == public


def test_docstring_examples() -> None:
    failures, tried = doctest.testmod(clusapi._controlcode, raise_on_error=False, report=True)
    assert tried > 0
    assert failures == 0
