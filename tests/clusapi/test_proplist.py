"""Tests for ``clusapi._proplist``: the CLUSPROP property-list wire format.

The byte vectors are built here with ``struct.pack`` from the layout in research/clusapi.md §5,
with the syntax numbers typed from that file (not taken from the enums under test):

    PROPERTY_LIST := DWORD count ; VALUE_LIST * count
    VALUE_LIST    := NAME entry ; VALUE * (1..n) ; DWORD ENDMARK (0)
    entry         := DWORD syntax ; DWORD cbLength ; data ; pad to 4 (not counted)

What is pinned: one vector per format, the EXPAND_SZ + EXPANDED_SZ pair, multi-value lists,
MULTI_SZ and padding layouts, names-less value lists, every malformed-buffer kind with its
Win32 code and offset, encoding errors naming the property, and (hypothesis) that no input
crashes the parser and that values round-trip.
"""

from __future__ import annotations

import datetime
import pickle
import struct

import pytest
from hypothesis import given, settings, strategies as st

import resapi
from clusapi import ClusterError, InvalidParameterError, PropertyError, Win32Error
from clusapi._enums import PropertyFormat, PropertySyntax, PropertyType, ResourceClass
from clusapi._proplist import (
    PropertyList,
    PropertyValueEntry,
    ValueList,
    encode_multi_sz,
    expand_environment_strings,
    multi_sz_names,
)

# Syntax numbers, as research/clusapi.md §5 lists them.
ENDMARK = 0x00000000
NAME = 0x00040003
RESCLASS = 0x00020002
BINARY = 0x00010001
DWORD = 0x00010002
SZ = 0x00010003
EXPAND_SZ = 0x00010004
MULTI_SZ = 0x00010005
ULARGE_INTEGER = 0x00010006
LONG = 0x00010007
EXPANDED_SZ = 0x00010008
SECURITY_DESCRIPTOR = 0x00010009
LARGE_INTEGER = 0x0001000A
WORD = 0x0001000B
FILETIME = 0x0001000C
PROPERTY_LIST = 0x0001000E
DISK_SIGNATURE = 0x00050002

INVALID_DATA = Win32Error.ERROR_INVALID_DATA
INSUFFICIENT_BUFFER = Win32Error.ERROR_INSUFFICIENT_BUFFER
INVALID_PARAMETER = Win32Error.ERROR_INVALID_PARAMETER

# 1970-01-01 in FILETIME ticks (100 ns since 1601-01-01).
UNIX_EPOCH_TICKS = 116_444_736_000_000_000
UTC = datetime.UTC


def u32(value: int) -> bytes:
    return struct.pack("<I", value)


def wsz(text: str) -> bytes:
    """A NUL-terminated UTF-16-LE string."""
    return text.encode("utf-16-le") + b"\0\0"


def entry(syntax: int, data: bytes) -> bytes:
    """DWORD syntax, DWORD cbLength, data, zero padding to 4 (not counted in cbLength)."""
    return struct.pack("<II", syntax, len(data)) + data + b"\0" * (-len(data) % 4)


def value_list(*values: tuple[int, bytes]) -> bytes:
    return b"".join(entry(s, d) for s, d in values) + u32(ENDMARK)


def prop_list(*properties: tuple[str, list[tuple[int, bytes]]]) -> bytes:
    body = b"".join(entry(NAME, wsz(name)) + value_list(*values) for name, values in properties)
    return u32(len(properties)) + body


def raises(code: Win32Error, excinfo: pytest.ExceptionInfo[ClusterError]) -> ClusterError:
    exc = excinfo.value
    assert isinstance(exc, InvalidParameterError)  # all three codes map to it
    assert exc.winerror == code
    assert f"({code.name}, {int(code)})" in str(exc)
    assert exc.fix
    return exc


# ---------------------------------------------------------------------------- the Port vector


PORT_7007 = (
    struct.pack("<I", 1)  # count
    + struct.pack("<II", 0x00040003, 10)  # NAME, cbLength 10 = len("Port\0") * 2
    + "Port\0".encode("utf-16-le")
    + b"\0\0"  # padding to 12, not counted
    + struct.pack("<III", 0x00010002, 4, 7007)  # LIST_VALUE_DWORD, cbLength 4, data
    + struct.pack("<I", 0)  # ENDMARK
)


def test_the_port_vector_parses():
    assert len(PORT_7007) == 40
    plist = PropertyList.from_bytes(PORT_7007)
    assert plist.to_dict() == {"Port": 7007}
    (value,) = plist["Port"]
    assert value.syntax is PropertySyntax.LIST_VALUE_DWORD
    assert value.format is PropertyFormat.DWORD
    assert value.type is PropertyType.LIST_VALUE
    assert value.data == struct.pack("<I", 7007)
    assert plist.to_bytes() == PORT_7007


def test_the_port_vector_is_what_from_values_builds():
    assert PropertyList.from_values({"Port": 7007}).to_bytes() == PORT_7007
    assert prop_list(("Port", [(DWORD, u32(7007))])) == PORT_7007  # the helpers agree


def test_an_empty_list_is_a_zero_count():
    assert PropertyList.from_bytes(u32(0)) == PropertyList()
    assert PropertyList().to_bytes() == u32(0)
    assert PropertyList.from_values({}).to_dict() == {}


# ---------------------------------------------------------------------------- one per format


FORMATS = [
    ("BINARY", BINARY, b"\x01\x02\x03", b"\x01\x02\x03"),
    ("DWORD", DWORD, struct.pack("<I", 0xFFFF_FFFF), 0xFFFF_FFFF),
    ("SZ", SZ, wsz("héllo wörld"), "héllo wörld"),
    ("SZ empty", SZ, wsz(""), ""),
    ("SZ astral", SZ, wsz("\U0001f600"), "\U0001f600"),
    ("EXPAND_SZ", EXPAND_SZ, wsz("%TEMP%\\x"), "%TEMP%\\x"),
    ("MULTI_SZ", MULTI_SZ, "a\0bc\0\0".encode("utf-16-le"), ("a", "bc")),
    ("ULARGE_INTEGER", ULARGE_INTEGER, struct.pack("<Q", 2**64 - 1), 2**64 - 1),
    ("LONG", LONG, struct.pack("<i", -5), -5),
    ("EXPANDED_SZ", EXPANDED_SZ, wsz("C:\\Temp\\x"), "C:\\Temp\\x"),
    ("SECURITY_DESCRIPTOR", SECURITY_DESCRIPTOR, b"\x01\x00\x04\x80" + bytes(16), None),
    ("LARGE_INTEGER", LARGE_INTEGER, struct.pack("<q", -(2**63)), -(2**63)),
    ("WORD", WORD, struct.pack("<H", 0xFFFF), 0xFFFF),
    (
        "FILETIME",
        FILETIME,
        struct.pack("<Q", UNIX_EPOCH_TICKS + 15),  # 1.5 µs: the half tick is dropped
        datetime.datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
    ),
]


@pytest.mark.parametrize(("label", "syntax", "data", "expected"), FORMATS)
def test_each_format_decodes_and_round_trips(label, syntax, data, expected):
    if expected is None:
        expected = data
    raw = prop_list(("P", [(syntax, data)]))
    plist = PropertyList.from_bytes(raw)
    (value,) = plist["P"]
    assert value.syntax == syntax
    assert isinstance(value.syntax, PropertySyntax)
    assert value.data == data
    assert value.value == expected
    assert type(value.value) is type(expected)
    assert plist.to_dict() == {"P": expected}
    assert plist.formats() == {"P": PropertyFormat(syntax & 0xFFFF)}
    assert plist.to_bytes() == raw


@pytest.mark.parametrize(
    ("label", "syntax", "data", "expected"),
    [f for f in FORMATS if f[1] not in (EXPANDED_SZ, FILETIME)],
)
def test_each_sendable_format_encodes_to_the_same_bytes(label, syntax, data, expected):
    if expected is None:
        expected = data
    fmt = PropertyFormat(syntax & 0xFFFF)
    raw = prop_list(("P", [(syntax, data)]))
    assert PropertyList.from_values({"P": expected}, {"P": fmt}).to_bytes() == raw
    assert PropertyValueEntry.encode(syntax, expected).data == data


def test_filetime_encodes_whole_microseconds():
    when = datetime.datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC)
    entry_ = PropertyValueEntry.encode(FILETIME, when)
    assert entry_.data == struct.pack("<Q", UNIX_EPOCH_TICKS + 10)
    other_zone = when.astimezone(datetime.timezone(datetime.timedelta(hours=5)))
    assert PropertyValueEntry.encode(FILETIME, other_zone) == entry_
    assert PropertyValueEntry.encode(FILETIME, datetime.datetime(1601, 1, 1, tzinfo=UTC)).data == (
        bytes(8)
    )


def test_a_filetime_past_9999_parses_but_does_not_decode():
    raw = prop_list(("T", [(FILETIME, struct.pack("<Q", 2**63 - 1))]))
    plist = PropertyList.from_bytes(raw)  # well-formed on the wire
    assert plist.to_bytes() == raw
    with pytest.raises(ClusterError) as excinfo:
        plist.to_dict()
    assert "past 9999" in str(raises(INVALID_DATA, excinfo))


def test_a_nested_property_list():
    inner = prop_list(("Inner", [(DWORD, u32(1))]), ("Name", [(SZ, wsz("x"))]))
    raw = prop_list(("Outer", [(PROPERTY_LIST, inner)]))
    plist = PropertyList.from_bytes(raw)
    nested = plist.to_dict()["Outer"]
    assert isinstance(nested, PropertyList)
    assert nested.to_dict() == {"Inner": 1, "Name": "x"}
    assert plist.to_bytes() == raw
    assert PropertyList.from_values({"Outer": {"Inner": 1, "Name": "x"}}).to_bytes() == raw
    assert PropertyList.from_values({"Outer": nested}).to_bytes() == raw


def test_resclass_and_storage_syntaxes_decode_by_their_format():
    raw = value_list(
        (RESCLASS, u32(1)),
        (RESCLASS, u32(32769)),  # a DLL-defined class: no member, stays an int
        (DISK_SIGNATURE, u32(0xDEADBEEF)),
    )
    values = ValueList.from_bytes(raw).to_tuple()
    assert values == (ResourceClass.STORAGE, 32769, 0xDEADBEEF)
    assert type(values[0]) is ResourceClass
    assert type(values[1]) is int


def test_an_unknown_syntax_is_kept_raw():
    user = 0x80000005  # a USER type with the MULTI_SZ format word
    raw = prop_list(("U", [(user, b"\xff\xfe\xfd")]), ("V", [(0x0001_7777, b"")]))
    plist = PropertyList.from_bytes(raw)
    (u,) = plist["U"]
    assert u.syntax == user
    assert not isinstance(u.syntax, PropertySyntax)
    assert u.value == b"\xff\xfe\xfd"
    assert u.type is PropertyType.USER
    assert u.format is PropertyFormat.MULTI_SZ
    assert plist["V"][0].format == 0x7777
    assert plist.formats() == {"U": PropertyFormat.MULTI_SZ, "V": PropertyFormat.UNKNOWN}
    assert plist.to_bytes() == raw
    assert PropertyValueEntry.encode(user, b"\xff\xfe\xfd") == u


# ---------------------------------------------------------------------------- EXPAND_SZ pair


class Paths(resapi.PropertyTable):
    path: str = resapi.prop(default="%SystemRoot%\\app", format=PropertyFormat.EXPAND_SZ)
    port: int = resapi.prop(default=7007)
    verbose: bool = resapi.prop(default=True)
    tags: tuple[str, ...] = resapi.prop(default=("a", "b"))
    blob: bytes = resapi.prop(default=b"\x01")
    offset: int = resapi.prop(default=-1, format=PropertyFormat.LONG)


class Needs(resapi.PropertyTable):
    share: str = resapi.prop(required=True)
    port: int = resapi.prop(default=1)


ENV = {"SYSTEMROOT": "C:\\Windows"}


def test_from_table_gives_an_expand_sz_property_both_values():
    plist = PropertyList.from_table(Paths(), Paths, environment=ENV)
    assert plist.names() == ("Path", "Port", "Verbose", "Tags", "Blob", "Offset")
    raw = plist.to_bytes()
    expected = prop_list(
        ("Path", [(EXPAND_SZ, wsz("%SystemRoot%\\app")), (EXPANDED_SZ, wsz("C:\\Windows\\app"))]),
        ("Port", [(DWORD, u32(7007))]),
        ("Verbose", [(DWORD, u32(1))]),
        ("Tags", [(MULTI_SZ, "a\0b\0\0".encode("utf-16-le"))]),
        ("Blob", [(BINARY, b"\x01")]),
        ("Offset", [(LONG, struct.pack("<i", -1))]),
    )
    assert raw == expected
    assert plist.formats() == Paths.formats()
    # to_dict gives the value as stored; the expansion is the second entry.
    assert plist.to_dict()["Path"] == "%SystemRoot%\\app"
    assert plist["Path"][1].value == "C:\\Windows\\app"
    assert PropertyList.from_bytes(raw) == plist


def test_a_client_must_not_send_expanded_sz():
    raw = PropertyList.from_table(Paths(), Paths, environment=ENV).to_bytes()
    PropertyList.from_bytes(raw)  # from the service: fine
    with pytest.raises(ClusterError) as excinfo:
        PropertyList.from_bytes(raw, client=True)
    exc = raises(INVALID_PARAMETER, excinfo)
    assert "'Path'" in str(exc)
    assert "offset 68" in str(exc)  # 4 count + 20 NAME "Path" + 44 EXPAND_SZ "%SystemRoot%\\app"
    # The EXPAND_SZ value alone is what a client sends.
    sent = PropertyList.from_values({"Path": "%SystemRoot%\\app"}, Paths.formats())
    assert len(sent["Path"]) == 1
    assert PropertyList.from_bytes(sent.to_bytes(), client=True) == sent


def test_a_client_must_not_send_expanded_sz_in_a_nested_list_either():
    inner = prop_list(("X", [(EXPANDED_SZ, wsz("x"))]))
    raw = prop_list(("Outer", [(PROPERTY_LIST, inner)]))
    with pytest.raises(ClusterError) as excinfo:
        PropertyList.from_bytes(raw, client=True)
    assert "'X'" in str(raises(INVALID_PARAMETER, excinfo))


def test_from_values_refuses_to_send_expanded_sz():
    with pytest.raises(ClusterError) as excinfo:
        PropertyList.from_values({"P": "x"}, {"P": PropertyFormat.EXPANDED_SZ})
    assert "'P'" in str(raises(INVALID_PARAMETER, excinfo))


def test_from_table_with_a_dict_fills_defaults_and_keeps_unknown_names():
    plist = PropertyList.from_table({"port": 80, "Extra": "x"}, Needs)
    # The required Share has no value and is left out; Extra follows the rows.
    assert plist.to_dict() == {"Port": 80, "Extra": "x"}
    plist = PropertyList.from_table({"Share": "s"}, Needs)
    assert plist.to_dict() == {"Share": "s", "Port": 1}


def test_from_table_checks_values_against_the_rows():
    with pytest.raises(PropertyError) as excinfo:
        PropertyList.from_table({"Port": -1}, Paths)
    assert excinfo.value.property_name == "Port"
    with pytest.raises(PropertyError, match="given twice"):
        PropertyList.from_table({"Port": 1, "port": 2}, Paths)
    with pytest.raises(TypeError, match="not a Paths"):
        PropertyList.from_table(Needs(share="x"), Paths)


def test_from_table_expands_against_os_environ_by_default(monkeypatch):
    monkeypatch.setenv("PROPLIST_TEST_ROOT", "R")
    plist = PropertyList.from_table({"Path": "%PROPLIST_TEST_ROOT%\\x", "Verbose": False}, Paths)
    assert plist["Path"][1].value == "R\\x"
    assert plist["Verbose"][0].data == u32(0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("%SystemRoot%\\x", "C:\\Windows\\x"),  # case-insensitive
        ("%SYSTEMROOT%%SYSTEMROOT%", "C:\\WindowsC:\\Windows"),
        ("%NOPE%\\x", "%NOPE%\\x"),  # undefined: left alone
        ("100%", "100%"),  # a lone percent
        ("%%", "%%"),
        ("%NOPE%SYSTEMROOT%", "%NOPE%SYSTEMROOT%"),  # scanning resumes after the closing %
        ("a%b", "a%b"),
        ("%Exact%", "exact"),
        ("", ""),
    ],
)
def test_expand_environment_strings(text, expected):
    env = {**ENV, "Exact": "exact", "EXACT": "upper"}
    assert expand_environment_strings(text, env) == expected


# ---------------------------------------------------------------------------- multi-value


def test_a_multi_value_list_keeps_every_value():
    raw = prop_list(
        ("Many", [(DWORD, u32(1)), (DWORD, u32(2)), (SZ, wsz("x"))]),
        ("One", [(DWORD, u32(3))]),
    )
    plist = PropertyList.from_bytes(raw)
    assert [v.value for v in plist["Many"]] == [1, 2, "x"]
    assert plist.to_dict() == {"Many": (1, 2, "x"), "One": 3}
    assert plist.formats() == {"Many": PropertyFormat.DWORD, "One": PropertyFormat.DWORD}
    assert plist.to_bytes() == raw


def test_from_values_builds_a_multi_value_list_from_a_tuple_and_a_format():
    raw = prop_list(("Many", [(DWORD, u32(1)), (DWORD, u32(2))]))
    plist = PropertyList.from_values({"Many": (1, 2)}, {"Many": PropertyFormat.DWORD})
    assert plist.to_bytes() == raw
    again = PropertyList.from_bytes(raw)
    assert PropertyList.from_values(again.to_dict(), again.formats()) == again


# ---------------------------------------------------------------------------- layouts


def test_multi_sz_layout():
    plist = PropertyList.from_values({"Nodes": ("N1", "N2")})
    data = "N1\0N2\0\0".encode("utf-16-le")
    assert len(data) == 14
    assert plist.to_bytes() == (
        u32(1)
        + struct.pack("<II", NAME, 12)
        + "Nodes\0".encode("utf-16-le")
        + struct.pack("<II", MULTI_SZ, 14)
        + data
        + b"\0\0"  # 14 padded to 16
        + u32(ENDMARK)
    )


def test_an_empty_multi_sz_is_one_nul_and_both_empty_forms_decode():
    assert PropertyValueEntry.encode(MULTI_SZ, ()).data == b"\0\0"
    for data in (b"\0\0", b"\0\0\0\0"):
        assert PropertyValueEntry(MULTI_SZ, data).value == ()


@pytest.mark.parametrize("size", range(9))
def test_binary_values_are_padded_to_four_bytes(size):
    data = bytes(range(1, size + 1))
    encoded = PropertyValueEntry.encode(BINARY, data).to_bytes()
    assert encoded[:8] == struct.pack("<II", BINARY, size)  # cbLength excludes padding
    assert len(encoded) == 8 + (size + 3) // 4 * 4
    assert encoded[8 + size :] == b"\0" * (-size % 4)


@pytest.mark.parametrize(
    ("name", "cb_length", "padding"),
    [("A", 4, 0), ("Ab", 6, 2), ("Abc", 8, 0), ("Abcd", 10, 2)],
)
def test_names_are_padded_to_four_bytes(name, cb_length, padding):
    raw = PropertyList.from_values({name: 0}).to_bytes()
    assert raw[4:12] == struct.pack("<II", NAME, cb_length)
    assert raw[12 : 12 + cb_length] == wsz(name)
    assert raw[12 + cb_length : 12 + cb_length + padding] == b"\0" * padding
    assert raw[12 + cb_length + padding :][:4] == u32(DWORD)


def test_nonzero_padding_is_accepted_and_written_back_as_zeros():
    good = prop_list(("P", [(BINARY, b"\x01")]))
    # padding of the BINARY value: bytes 25..27 (4 count + 12 NAME + 8 header + 1 data)
    dirty = good[:25] + b"\xaa\xbb\xcc" + good[28:]
    assert PropertyList.from_bytes(dirty).to_bytes() == good


def test_value_list_without_names():
    raw = (
        struct.pack("<III", 0x00020002, 4, 1)  # RESCLASS STORAGE
        + struct.pack("<II", 0x00040003, 28)  # NAME "Physical Disk\0" = 28 bytes
        + "Physical Disk\0".encode("utf-16-le")
        + struct.pack("<I", 0)  # ENDMARK
    )
    values = ValueList.from_bytes(raw)
    assert values.to_tuple() == (ResourceClass.STORAGE, "Physical Disk")
    assert len(values) == 2
    assert values[1].syntax is PropertySyntax.NAME
    assert values[:1] == (values[0],)
    assert list(values) == list(values.entries)
    assert values.to_bytes() == raw
    built = ValueList.from_values(
        [(PropertySyntax.RESCLASS, ResourceClass.STORAGE), (PropertySyntax.NAME, "Physical Disk")]
    )
    assert built == values
    assert ValueList.from_bytes(u32(ENDMARK)) == ValueList()


def test_multi_sz_names():
    assert multi_sz_names("Port\0Banner\0\0".encode("utf-16-le")) == ("Port", "Banner")
    assert multi_sz_names(b"") == ()
    assert multi_sz_names(b"\0\0") == ()
    assert multi_sz_names(b"\0\0\0\0") == ()
    assert encode_multi_sz(["Port", "Banner"]) == "Port\0Banner\0\0".encode("utf-16-le")
    assert encode_multi_sz([]) == b"\0\0"
    assert multi_sz_names(encode_multi_sz(Paths.names())) == Paths.names()


@pytest.mark.parametrize(
    ("buffer", "offset"),
    [
        (b"P\0o", 0),  # odd length
        ("Port".encode("utf-16-le"), 0),  # no final NUL
        ("Port\0".encode("utf-16-le"), 8),  # the last string lacks its own NUL
        ("a\0\0b\0\0".encode("utf-16-le"), 4),  # an empty string before the end
        (b"\x00\xd8\0\0\0\0", 0),  # an unpaired surrogate
    ],
)
def test_multi_sz_names_rejects_garbled_buffers(buffer, offset):
    with pytest.raises(ClusterError) as excinfo:
        multi_sz_names(buffer)
    assert f"at offset {offset}:" in str(raises(INVALID_DATA, excinfo))


@pytest.mark.parametrize("names", [[""], ["a\0b"], ["\ud800"]])
def test_encode_multi_sz_rejects_what_it_cannot_carry(names):
    with pytest.raises(ClusterError) as excinfo:
        encode_multi_sz(names)
    raises(INVALID_PARAMETER, excinfo)


# ---------------------------------------------------------------------------- malformed buffers

# Offsets: the count is 4 bytes, PORT_NAME 20 (8 + "Port\0" 10 + 2 padding), PORT_VALUE 12;
# in prop_list(("P", ...)) the first value's entry is at 16 and its data at 24.
PORT_NAME = entry(NAME, wsz("Port"))
PORT_VALUE = entry(DWORD, u32(7007))

MALFORMED = [
    # (buffer, code, offset named in the message, words in the message)
    pytest.param(b"", INSUFFICIENT_BUFFER, 0, "property count", id="empty buffer"),
    pytest.param(b"\x01\x00", INSUFFICIENT_BUFFER, 0, "property count", id="short count"),
    pytest.param(
        u32(2) + PORT_NAME + PORT_VALUE + u32(0),
        INSUFFICIENT_BUFFER,
        40,
        "declares 2",
        id="count larger than the list",
    ),
    pytest.param(
        u32(1) + PORT_VALUE + u32(0), INVALID_DATA, 4, "NAME", id="a DWORD where the NAME belongs"
    ),
    pytest.param(u32(1) + u32(0), INVALID_DATA, 4, "NAME", id="ENDMARK where the NAME belongs"),
    pytest.param(
        u32(2) + PORT_NAME + PORT_VALUE + PORT_NAME + PORT_VALUE + u32(0),
        INVALID_DATA,
        36,
        "ENDMARK",
        id="missing ENDMARK before the next NAME",
    ),
    pytest.param(
        u32(1) + PORT_NAME + PORT_VALUE,
        INVALID_DATA,
        36,
        "ENDMARK",
        id="missing ENDMARK at the end",
    ),
    pytest.param(
        u32(1) + PORT_NAME + PORT_VALUE + b"\0\0",
        INSUFFICIENT_BUFFER,
        36,
        "needs 4 bytes",
        id="half an ENDMARK",
    ),
    pytest.param(
        u32(1) + entry(NAME, "Port".encode("utf-16-le")) + PORT_VALUE + u32(0),
        INVALID_DATA,
        12,
        "NUL-terminated",
        id="name without NUL",
    ),
    pytest.param(
        u32(1) + entry(NAME, wsz("Port") + b"\0") + PORT_VALUE + u32(0),
        INVALID_DATA,
        12,
        "odd length",
        id="name of odd length",
    ),
    pytest.param(
        u32(1) + entry(NAME, wsz("Po\0rt")) + PORT_VALUE + u32(0),
        INVALID_DATA,
        16,
        "NUL before its end",
        id="name with a NUL inside",
    ),
    pytest.param(
        u32(1) + entry(NAME, b"P\0\x00\xd8\0\0") + PORT_VALUE + u32(0),
        INVALID_DATA,
        14,
        "not valid UTF-16",
        id="name with an unpaired surrogate",
    ),
    pytest.param(
        prop_list(("P", [(SZ, b"x\0")])), INVALID_DATA, 24, "NUL-terminated", id="SZ without NUL"
    ),
    pytest.param(
        prop_list(("P", [(SZ, b"x\0\0\0\0")])),
        INVALID_DATA,
        24,
        "odd length",
        id="SZ of odd length",
    ),
    pytest.param(
        prop_list(("P", [(SZ, b"\x00\xdc\0\0")])),
        INVALID_DATA,
        24,
        "not valid UTF-16",
        id="SZ that is not UTF-16",
    ),
    pytest.param(
        prop_list(("P", [(SZ, b"")])), INVALID_DATA, 24, "NUL-terminated", id="SZ of no bytes"
    ),
    pytest.param(
        prop_list(("P", [(EXPAND_SZ, b"x\0")])),
        INVALID_DATA,
        24,
        "NUL-terminated",
        id="EXPAND_SZ without NUL",
    ),
    pytest.param(
        prop_list(("P", [(DWORD, b"\1\2\3")])),
        INVALID_DATA,
        24,
        "cbLength 3, expected 4",
        id="DWORD of 3 bytes",
    ),
    pytest.param(
        prop_list(("P", [(DWORD, bytes(8))])),
        INVALID_DATA,
        24,
        "cbLength 8, expected 4",
        id="DWORD of 8 bytes",
    ),
    pytest.param(
        prop_list(("P", [(WORD, bytes(4))])), INVALID_DATA, 24, "expected 2", id="WORD of 4 bytes"
    ),
    pytest.param(
        prop_list(("P", [(LONG, bytes(2))])), INVALID_DATA, 24, "expected 4", id="LONG of 2 bytes"
    ),
    pytest.param(
        prop_list(("P", [(LARGE_INTEGER, bytes(4))])),
        INVALID_DATA,
        24,
        "expected 8",
        id="LARGE_INTEGER of 4 bytes",
    ),
    pytest.param(
        prop_list(("P", [(ULARGE_INTEGER, bytes(9))])),
        INVALID_DATA,
        24,
        "expected 8",
        id="ULARGE_INTEGER of 9 bytes",
    ),
    pytest.param(
        prop_list(("P", [(FILETIME, bytes(7))])),
        INVALID_DATA,
        24,
        "expected 8",
        id="FILETIME of 7 bytes",
    ),
    pytest.param(
        prop_list(("P", [(RESCLASS, bytes(2))])),
        INVALID_DATA,
        24,
        "expected 4",
        id="RESCLASS of 2 bytes",
    ),
    pytest.param(
        prop_list(("P", [(MULTI_SZ, "a\0".encode("utf-16-le"))])),
        INVALID_DATA,
        26,
        "not NUL-terminated",
        id="MULTI_SZ without final NUL",
    ),
    pytest.param(
        prop_list(("P", [(MULTI_SZ, "a\0\0b\0\0".encode("utf-16-le"))])),
        INVALID_DATA,
        28,
        "empty string",
        id="MULTI_SZ with an empty string",
    ),
    pytest.param(
        prop_list(("P", [(MULTI_SZ, b"\0\0\0")])),
        INVALID_DATA,
        24,
        "odd length",
        id="MULTI_SZ of odd length",
    ),
    pytest.param(
        u32(1) + PORT_NAME + struct.pack("<II", DWORD, 400) + bytes(8),
        INSUFFICIENT_BUFFER,
        32,
        "cbLength 400",
        id="cbLength past the end",
    ),
    pytest.param(
        u32(1) + PORT_NAME + struct.pack("<II", BINARY, 0xFFFF_FFFF),
        INSUFFICIENT_BUFFER,
        32,
        "cbLength 4294967295",
        id="cbLength of 2**32 - 1",
    ),
    pytest.param(
        u32(1) + PORT_NAME + struct.pack("<II", BINARY, 1) + b"\1",
        INSUFFICIENT_BUFFER,
        32,
        "padding",
        id="padding cut off",
    ),
    pytest.param(
        u32(1) + PORT_NAME + u32(DWORD) + b"\4\0",
        INSUFFICIENT_BUFFER,
        28,
        "needs 4 bytes",
        id="cbLength cut off",
    ),
    pytest.param(PORT_7007 + b"\0\0\0\0", INVALID_DATA, 40, "4 bytes follow", id="trailing bytes"),
    pytest.param(
        prop_list(("P", [(DWORD, u32(1))]), ("P", [(DWORD, u32(2))])),
        INVALID_DATA,
        32,
        "appears twice",
        id="a property named twice",
    ),
    pytest.param(
        u32(1) + PORT_NAME + u32(0), INVALID_DATA, 4, "no value", id="a property without values"
    ),
    pytest.param(
        prop_list(("P", [(PROPERTY_LIST, u32(1))])),
        INVALID_DATA,
        28,
        "declares 1",
        id="a nested list that is short",
    ),
    pytest.param(
        prop_list(("P", [(PROPERTY_LIST, u32(1) + PORT_VALUE + u32(0))])),
        INVALID_DATA,
        28,
        "NAME",
        id="a nested list that is garbled",
    ),
]


@pytest.mark.parametrize(("buffer", "code", "offset", "words"), MALFORMED)
def test_malformed_buffers_raise_with_the_win32_code_and_offset(buffer, code, offset, words):
    with pytest.raises(ClusterError) as excinfo:
        PropertyList.from_bytes(buffer)
    exc = raises(code, excinfo)
    assert f"malformed property list at offset {offset}:" in str(exc)
    assert words in str(exc)


def test_nesting_deeper_than_the_limit_is_invalid_data():
    raw = prop_list(("Leaf", [(DWORD, u32(1))]))
    for _ in range(9):
        raw = prop_list(("N", [(PROPERTY_LIST, raw)]))
    with pytest.raises(ClusterError) as excinfo:
        PropertyList.from_bytes(raw)
    assert "nest more than 8 deep" in str(raises(INVALID_DATA, excinfo))
    shallow = prop_list(("Leaf", [(DWORD, u32(1))]))
    for _ in range(8):
        shallow = prop_list(("N", [(PROPERTY_LIST, shallow)]))
    assert PropertyList.from_bytes(shallow).to_bytes() == shallow


@pytest.mark.parametrize(
    ("buffer", "code", "offset"),
    [
        (b"", INVALID_DATA, 0),  # no ENDMARK at all
        (entry(DWORD, u32(1)), INVALID_DATA, 12),  # missing ENDMARK
        (entry(DWORD, u32(1)) + u32(0) + b"\0", INVALID_DATA, 16),  # trailing byte
        (struct.pack("<II", BINARY, 9) + bytes(4), INSUFFICIENT_BUFFER, 8),
        (entry(DWORD, b"\1\2"), INVALID_DATA, 8),  # a DWORD of 2 bytes
    ],
)
def test_malformed_value_lists(buffer, code, offset):
    with pytest.raises(ClusterError) as excinfo:
        ValueList.from_bytes(buffer)
    assert f"malformed value list at offset {offset}:" in str(raises(code, excinfo))


def test_buffers_must_be_bytes():
    with pytest.raises(TypeError, match="bytes, not str"):
        PropertyList.from_bytes("Port")  # type: ignore[arg-type]
    assert PropertyList.from_bytes(bytearray(PORT_7007)) == PropertyList.from_bytes(
        memoryview(PORT_7007)
    )


# ---------------------------------------------------------------------------- encoding errors

NAIVE = datetime.datetime(2020, 1, 1)  # naive on purpose

BAD_VALUES = [
    # (value, format or None to infer, words in the message)
    (-1, PropertyFormat.DWORD, "outside 0..4294967295"),
    (2**32, PropertyFormat.DWORD, "outside"),
    (2**16, PropertyFormat.WORD, "outside 0..65535"),
    (2**31, PropertyFormat.LONG, "outside"),
    (2**64, PropertyFormat.ULARGE_INTEGER, "outside"),
    (2**63, PropertyFormat.LARGE_INTEGER, "outside"),
    ("7", PropertyFormat.DWORD, "must be an int"),
    ("a\0b", PropertyFormat.SZ, "contains a NUL"),
    ("a\0b", PropertyFormat.EXPAND_SZ, "contains a NUL"),
    ("\ud800", PropertyFormat.SZ, "unpaired surrogate"),
    (7, PropertyFormat.SZ, "must be a str"),
    ("ab", PropertyFormat.MULTI_SZ, "list or tuple of str"),
    (("a", ""), PropertyFormat.MULTI_SZ, "non-empty strings"),
    (("a\0",), PropertyFormat.MULTI_SZ, "non-empty strings"),
    ((1,), PropertyFormat.MULTI_SZ, "non-empty strings"),
    ("ab", PropertyFormat.BINARY, "must be bytes"),
    (NAIVE, PropertyFormat.FILETIME, "naive"),
    (datetime.datetime(1600, 1, 1, tzinfo=UTC), PropertyFormat.FILETIME, "before 1601"),
    (0, PropertyFormat.FILETIME, "must be a datetime"),
    (7, PropertyFormat.PROPERTY_LIST, "PropertyList or a mapping"),
    ({"X": 1.5}, PropertyFormat.PROPERTY_LIST, "'X'"),
    ((), PropertyFormat.DWORD, "empty tuple"),
    ("x", PropertyFormat.EXPANDED_SZ, "EXPANDED_SZ"),
    ("x", PropertyFormat.UNKNOWN, "cannot be sent"),
    (1.5, None, "float"),
    (None, None, "NoneType"),
    (2**64, None, "outside"),
    (-(2**63) - 1, None, "outside"),
    (("a", 1), None, "non-empty strings"),
]


@pytest.mark.parametrize(("value", "fmt", "words"), BAD_VALUES)
def test_values_that_do_not_fit_are_invalid_parameter_naming_the_property(value, fmt, words):
    formats = {} if fmt is None else {"Prop": fmt}
    with pytest.raises(ClusterError) as excinfo:
        PropertyList.from_values({"Prop": value}, formats)
    exc = raises(INVALID_PARAMETER, excinfo)
    assert "'Prop'" in str(exc)
    assert words in str(exc)


def test_entries_check_their_data_fits_the_syntax():
    with pytest.raises(ClusterError) as excinfo:
        PropertyValueEntry(PropertySyntax.LIST_VALUE_DWORD, b"\1\2\3")
    assert "cbLength 3, expected 4" in str(raises(INVALID_PARAMETER, excinfo))
    with pytest.raises(ClusterError) as excinfo:
        PropertyValueEntry(ENDMARK, b"")
    assert "ENDMARK" in str(raises(INVALID_PARAMETER, excinfo))
    with pytest.raises(ClusterError) as excinfo:
        PropertyValueEntry.encode(DWORD, -1)
    assert "CLUSPROP_SYNTAX_LIST_VALUE_DWORD" in str(raises(INVALID_PARAMETER, excinfo))
    with pytest.raises(TypeError):
        PropertyValueEntry(DWORD, bytearray(4))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        PropertyValueEntry(True, b"")


def test_property_lists_check_their_invariants():
    one = PropertyValueEntry.encode(DWORD, 1)
    with pytest.raises(ClusterError, match="given twice"):
        PropertyList((("P", (one,)), ("P", (one,))))
    with pytest.raises(ClusterError, match="no value"):
        PropertyList({"P": ()})
    with pytest.raises(ClusterError, match="NAME entry among its values"):
        PropertyList({"P": (PropertyValueEntry.encode(NAME, "x"),)})
    with pytest.raises(ClusterError, match="contains a NUL"):
        PropertyList({"P\0": (one,)})
    with pytest.raises(TypeError, match="not a PropertyValueEntry"):
        PropertyList({"P": (1,)})  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- the mapping


def test_property_list_is_an_ordered_read_only_mapping():
    plist = PropertyList.from_values({"B": 1, "A": "x", "C": b""})
    assert plist.names() == ("B", "A", "C")
    assert list(plist) == ["B", "A", "C"]
    assert len(plist) == 3
    assert "A" in plist
    assert "Z" not in plist
    assert plist["A"][0].value == "x"
    assert plist.get("Z") is None
    with pytest.raises(KeyError):
        plist["Z"]
    assert plist.formats() == {
        "B": PropertyFormat.DWORD,
        "A": PropertyFormat.SZ,
        "C": PropertyFormat.BINARY,
    }
    # Equality follows the bytes: same entries in the same order.
    assert plist == PropertyList.from_bytes(plist.to_bytes())
    assert hash(plist) == hash(PropertyList.from_bytes(plist.to_bytes()))
    assert plist != PropertyList.from_values({"A": "x", "B": 1, "C": b""})
    assert pickle.loads(pickle.dumps(plist)) == plist
    assert pickle.loads(pickle.dumps(plist))["B"][0].value == 1


def test_formats_are_inferred_from_python_types():
    plist = PropertyList.from_values(
        {
            "Bool": True,
            "Small": 5,
            "Negative": -1,
            "VeryNegative": -(2**31) - 1,
            "Big": 2**32,
            "Text": "s",
            "Strings": ["x", "y"],
            "Empty": (),
            "Raw": bytearray(b"\1"),
            "When": datetime.datetime(2020, 1, 1, tzinfo=UTC),
            "Nested": {"A": 1},
            "Class": ResourceClass.STORAGE,
        }
    )
    F = PropertyFormat
    assert plist.formats() == {
        "Bool": F.DWORD,
        "Small": F.DWORD,
        "Negative": F.LONG,
        "VeryNegative": F.LARGE_INTEGER,
        "Big": F.ULARGE_INTEGER,
        "Text": F.SZ,
        "Strings": F.MULTI_SZ,
        "Empty": F.MULTI_SZ,
        "Raw": F.BINARY,
        "When": F.FILETIME,
        "Nested": F.PROPERTY_LIST,
        "Class": F.DWORD,
    }
    assert plist.to_dict()["Bool"] == 1
    assert plist.to_dict()["Strings"] == ("x", "y")


# ---------------------------------------------------------------------------- hypothesis

names = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="\0"), min_size=1, max_size=12
)
strings = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\0"), max_size=20)
python_values = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.booleans(),
    strings,
    st.lists(strings.filter(bool), max_size=4).map(tuple),
    st.binary(max_size=20),
    st.datetimes(
        min_value=datetime.datetime(1601, 1, 1),  # hypothesis takes naive bounds
        timezones=st.just(UTC),
    ),
)
value_dicts = st.dictionaries(names, python_values, max_size=6)


@settings(database=None)
@given(value_dicts)
def test_values_round_trip_through_bytes(values):
    raw = PropertyList.from_values(values).to_bytes()
    parsed = PropertyList.from_bytes(raw, client=True)
    assert parsed.to_dict() == values
    assert parsed.to_bytes() == raw


def well_formed_buffers() -> st.SearchStrategy[bytes]:
    """Property lists from values, plus multi-value, EXPAND_SZ pairs and unknown syntaxes."""
    extra = st.lists(
        st.tuples(
            st.sampled_from([DWORD, SZ, BINARY, EXPANDED_SZ, 0x8000_0001, 0x0001_7777]),
            st.binary(max_size=9),
        ),
        min_size=1,
        max_size=3,
    )

    def build(values: dict[str, object], more: list[tuple[int, bytes]]) -> bytes:
        fitted = [
            (syntax, data if syntax in (BINARY, 0x8000_0001, 0x0001_7777) else fit(syntax, data))
            for syntax, data in more
        ]
        plist = PropertyList.from_values(values)
        if "Extra" in plist:
            return plist.to_bytes()
        return u32(len(plist) + 1) + plist.to_bytes()[4:] + prop_list(("Extra", fitted))[4:]

    return st.builds(build, value_dicts, extra)


def fit(syntax: int, data: bytes) -> bytes:
    if syntax == DWORD:
        return (data + bytes(4))[:4]
    return wsz(data.hex())  # SZ, EXPANDED_SZ


@settings(database=None)
@given(well_formed_buffers())
def test_well_formed_buffers_round_trip_byte_for_byte(raw):
    assert PropertyList.from_bytes(raw).to_bytes() == raw


def parse_or_raise_cleanly(raw: bytes) -> None:
    """Parsing gives a list or ERROR_INVALID_DATA / ERROR_INSUFFICIENT_BUFFER, nothing else."""
    for parse in (PropertyList.from_bytes, ValueList.from_bytes):
        parsed: PropertyList | ValueList | None = None
        code = None
        try:
            parsed = parse(raw)
        except ClusterError as exc:
            code = exc.winerror
        assert code in (None, INVALID_DATA, INSUFFICIENT_BUFFER)
        if parsed is None:
            continue
        assert type(parsed).from_bytes(parsed.to_bytes()) == parsed
        decode_error = None
        try:
            parsed.to_dict() if isinstance(parsed, PropertyList) else parsed.to_tuple()
        except ClusterError as exc:
            decode_error = exc
        # Only a FILETIME past the year 9999 may fail to decode.
        assert decode_error is None or "FILETIME" in decode_error.description
        assert decode_error is None or decode_error.winerror == INVALID_DATA


@settings(database=None, max_examples=200)
@given(st.binary(max_size=96))
def test_random_bytes_never_crash_the_parser(raw):
    parse_or_raise_cleanly(raw)


@settings(database=None, max_examples=200)
@given(st.binary(max_size=64).map(lambda b: u32(len(b) % 3) + b))
def test_random_bodies_behind_a_small_count_never_crash_the_parser(raw):
    parse_or_raise_cleanly(raw)


@settings(database=None)
@given(well_formed_buffers(), st.data())
def test_truncated_buffers_are_rejected(raw, data):
    cut = data.draw(st.integers(min_value=0, max_value=len(raw) - 1))
    with pytest.raises(ClusterError) as excinfo:
        PropertyList.from_bytes(raw[:cut])
    assert excinfo.value.winerror in (INVALID_DATA, INSUFFICIENT_BUFFER)


@settings(database=None, max_examples=200)
@given(well_formed_buffers(), st.data())
def test_mutated_buffers_parse_or_raise_cleanly(raw, data):
    mutated = bytearray(raw)
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        where = data.draw(st.integers(min_value=0, max_value=len(raw) - 1))
        mutated[where] = data.draw(st.integers(min_value=0, max_value=255))
    parse_or_raise_cleanly(bytes(mutated))
