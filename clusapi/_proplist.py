"""The CLUSPROP wire format: property lists and value lists as bytes, parsed and built.

Mirrors the ``CLUSPROP_*`` structures of clusapi.h and the ResUtil helpers that walk and build
them (research/clusapi.md §5; [MS-CMRP] 2.2.3.10). Parsing is in named constructors
(:meth:`PropertyList.from_bytes`, :meth:`ValueList.from_bytes`), never in ``__init__``, and
``from_bytes(b).to_bytes() == b`` for every well-formed buffer. The layout of an entry, a worked
example, the value formats and the round-trip rule: docs/cluster-api.md, "The CLUSPROP wire
format".
"""

from __future__ import annotations

import datetime
import os
import re
import struct
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Final, NoReturn, overload

import attrs

from ._enums import PropertyFormat, PropertySyntax, PropertyType, ResourceClass
from ._errors import ClusterError, make_error
from ._properties import PropertyTable, property_error
from ._win32 import Win32Error

if TYPE_CHECKING:
    from typing import TypeAlias

__all__ = (
    "EntryValue",
    "PropertyList",
    "PropertyValueEntry",
    "ValueList",
    "encode_multi_sz",
    "expand_environment_strings",
    "multi_sz_names",
)

_U32: Final = struct.Struct("<I")
_HEADER: Final = struct.Struct("<II")
_MAX_U32: Final = 0xFFFF_FFFF

#: How deep PROPERTY_LIST values may nest; deeper buffers are rejected, not recursed into.
_MAX_DEPTH: Final = 8

_S = PropertySyntax
_F = PropertyFormat
_KNOWN_SYNTAXES: Final = frozenset(int(s) for s in PropertySyntax)

#: Fixed-size integer formats: (size in bytes, signed, lowest, highest).
_INTEGERS: Final[Mapping[int, tuple[int, bool, int, int]]] = {
    _F.WORD: (2, False, 0, 0xFFFF),
    _F.DWORD: (4, False, 0, _MAX_U32),
    _F.LONG: (4, True, -(2**31), 2**31 - 1),
    _F.ULARGE_INTEGER: (8, False, 0, 2**64 - 1),
    _F.LARGE_INTEGER: (8, True, -(2**63), 2**63 - 1),
}
_STRINGS: Final = frozenset({_F.SZ, _F.EXPAND_SZ, _F.EXPANDED_SZ})
#: The formats :meth:`PropertyList.from_values` can send.
_SENDABLE: Final = frozenset(PropertyFormat) - {_F.UNKNOWN, _F.EXPANDED_SZ, _F.USER}

#: FILETIME's epoch: 100-nanosecond ticks are counted from here.
_FILETIME_EPOCH: Final = datetime.datetime(1601, 1, 1, tzinfo=datetime.UTC)

_FIX_WHOLE_BUFFER: Final = (
    "pass the whole output buffer (the first cbReturned bytes), or correct the count or cbLength"
)
_FIX_LAYOUT: Final = (
    "build the buffer with PropertyList.from_values() or check it against the CLUSPROP layout "
    "(DWORD syntax, DWORD cbLength, data padded to 4 bytes)"
)


# --------------------------------------------------------------------------- internal errors


class _Malformed(Exception):  # internal: becomes a ClusterError at the public boundary
    """A parse failure at ``offset`` (relative to the buffer being read)."""

    def __init__(
        self,
        offset: int,
        what: str,
        *,
        code: Win32Error = Win32Error.ERROR_INVALID_DATA,
        fix: str = _FIX_LAYOUT,
    ) -> None:
        super().__init__(what)
        self.offset = offset
        self.what = what
        self.code = code
        self.fix = fix

    def shifted(self, delta: int, *, nested: bool = False) -> _Malformed:
        """The same failure, ``delta`` bytes further into an enclosing buffer."""
        if not nested:
            return _Malformed(self.offset + delta, self.what, code=self.code, fix=self.fix)
        # A nested list that is short is still a garbled outer entry: its cbLength delimits it.
        return _Malformed(
            self.offset + delta,
            f"in a nested PROPERTY_LIST value: {self.what}",
            code=Win32Error.ERROR_INVALID_DATA,
            fix=self.fix,
        )

    def error(self, kind: str) -> ClusterError:
        return make_error(
            self.code, f"malformed {kind} at offset {self.offset}: {self.what}", fix=self.fix
        )


class _BadValue(Exception):  # internal: becomes ERROR_INVALID_PARAMETER naming the property
    """A value that does not fit its property: what is wrong, and how to fix it."""

    def __init__(self, what: str, fix: str) -> None:
        super().__init__(what)
        self.what = what
        self.fix = fix


def _invalid_parameter(what: str, fix: str) -> ClusterError:
    return make_error(Win32Error.ERROR_INVALID_PARAMETER, what, fix=fix)


def _syntax_name(syntax: int) -> str:
    """``CLUSPROP_SYNTAX_LIST_VALUE_DWORD (0x00010002)``, or the number alone."""
    if syntax in _KNOWN_SYNTAXES:
        return f"CLUSPROP_SYNTAX_{PropertySyntax(syntax).name} ({syntax:#010x})"
    return f"syntax {syntax:#010x}"


# --------------------------------------------------------------------------- decoding values


def _decode_sz(data: bytes, what: str) -> str:
    """A NUL-terminated UTF-16-LE string with no NUL before its end."""
    if len(data) % 2:
        raise _Malformed(
            0, f"{what} is {len(data)} bytes, an odd length; UTF-16 needs whole 2-byte units"
        )
    if len(data) < 2 or data[-2:] != b"\0\0":
        raise _Malformed(0, f"{what} is not NUL-terminated (cbLength {len(data)})")
    text = _decode_utf16(data[:-2], what)
    if "\0" in text:
        raise _Malformed(
            2 * text.index("\0"), f"{what} has a NUL before its end; an SZ holds one string"
        )
    return text


def _decode_utf16(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-16-le")
    except UnicodeDecodeError as exc:
        raise _Malformed(exc.start, f"{what} is not valid UTF-16 ({exc.reason})") from None


def _decode_multi_sz(data: bytes, what: str) -> tuple[str, ...]:
    """Each string NUL-terminated, then a final NUL; ``"\\0"`` and ``"\\0\\0"`` are empty."""
    if len(data) % 2:
        raise _Malformed(
            0, f"{what} is {len(data)} bytes, an odd length; UTF-16 needs whole 2-byte units"
        )
    if len(data) < 2 or data[-2:] != b"\0\0":
        raise _Malformed(0, f"{what} does not end with the final NUL of a MULTI_SZ")
    body = _decode_utf16(data, what)[:-1]
    if body in ("", "\0"):
        return ()
    if not body.endswith("\0"):
        raise _Malformed(
            len(data) - 2, f"{what}: its last string is not NUL-terminated before the final NUL"
        )
    strings = body[:-1].split("\0")
    if "" in strings:
        # Readers stop at the first empty string, so the rest would be lost.
        at = sum(len(s) + 1 for s in strings[: strings.index("")])
        raise _Malformed(2 * at, f"{what} holds an empty string before its end")
    return tuple(strings)


def _fixed(data: bytes, size: int, what: str) -> int:
    if len(data) != size:
        raise _Malformed(0, f"{what} has cbLength {len(data)}, expected {size}")
    return int.from_bytes(data, "little")


def _decode(syntax: int, data: bytes, *, depth: int = 0, check: bool = False) -> EntryValue:
    """Decode (or, with ``check``, only validate) one value's data; raises :class:`_Malformed`.

    Validation skips what can only fail when turned into a Python object: a FILETIME past
    what :class:`datetime.datetime` holds is well-formed on the wire.
    """
    if syntax == _S.NAME:
        return _decode_sz(data, "the NAME")
    if syntax == _S.RESCLASS:
        number = _fixed(data, 4, "the RESCLASS value")
        try:
            return ResourceClass(number)
        except ValueError:
            return number  # a DLL-defined class (CLUS_RESCLASS_USER and up)
    if syntax not in _KNOWN_SYNTAXES:
        return data  # unknown but well-formed: kept raw
    fmt = syntax & 0xFFFF
    what = f"the {PropertyFormat(fmt).name} value"
    if fmt in _INTEGERS:
        size, signed, _, _ = _INTEGERS[fmt]
        _fixed(data, size, what)
        return int.from_bytes(data, "little", signed=signed)
    if fmt in _STRINGS:
        return _decode_sz(data, what)
    if fmt == _F.MULTI_SZ:
        return _decode_multi_sz(data, what)
    if fmt == _F.FILETIME:
        ticks = _fixed(data, 8, what)
        return data if check else _filetime(ticks)
    if fmt == _F.PROPERTY_LIST:
        if depth >= _MAX_DEPTH:
            raise _Malformed(0, f"property lists nest more than {_MAX_DEPTH} deep")
        lists = _walk_property_list(data, depth + 1)
        return data if check else PropertyList._build(lists)
    return data  # BINARY, SECURITY_DESCRIPTOR


def _filetime(ticks: int) -> datetime.datetime:
    try:
        return _FILETIME_EPOCH + datetime.timedelta(microseconds=ticks // 10)
    except OverflowError:
        raise make_error(
            Win32Error.ERROR_INVALID_DATA,
            f"FILETIME {ticks} (100-ns ticks since 1601) is past 9999-12-31, "
            "which datetime.datetime cannot hold",
            fix="read the raw ticks from the entry: int.from_bytes(entry.data, 'little')",
        ) from None


# --------------------------------------------------------------------------- encoding values


def _encode_sz(value: object, what: str) -> bytes:
    if not isinstance(value, str):
        raise _BadValue(f"{what} must be a str, not {value!r}", "pass a string")
    if "\0" in value:
        raise _BadValue(f"{what} {value!r} contains a NUL character", "remove the NULs")
    return _utf16(value, what) + b"\0\0"


def _utf16(value: str, what: str) -> bytes:
    try:
        return value.encode("utf-16-le")
    except UnicodeEncodeError:
        raise _BadValue(
            f"{what} {value!r} contains an unpaired surrogate, which UTF-16 cannot carry",
            "pass a well-formed string",
        ) from None


def _encode_multi_sz(value: object, what: str) -> bytes:
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise _BadValue(
            f"{what} must be a list or tuple of str, not {value!r}", "pass a list of strings"
        )
    for item in value:
        if not isinstance(item, str) or not item or "\0" in item:
            raise _BadValue(
                f"{what} holds {item!r}; a MULTI_SZ holds non-empty strings without NULs",
                "drop empty strings (an empty string would end the MULTI_SZ)",
            )
    return b"".join(_utf16(item, what) + b"\0\0" for item in value) + b"\0\0"


def _encode_int(value: object, fmt: int, what: str) -> bytes:
    size, signed, low, high = _INTEGERS[fmt]
    if not isinstance(value, int):
        raise _BadValue(f"{what} must be an int, not {value!r}", "pass a whole number")
    if not low <= value <= high:
        raise _BadValue(
            f"{what} is {int(value)!r}, outside {low}..{high}",
            f"pass a value in {low}..{high}, or choose a wider format",
        )
    return int(value).to_bytes(size, "little", signed=signed)


def _encode_filetime(value: object, what: str) -> bytes:
    if not isinstance(value, datetime.datetime):
        raise _BadValue(f"{what} must be a datetime, not {value!r}", "pass a datetime.datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise _BadValue(
            f"{what} {value!r} is naive; a FILETIME is UTC",
            "pass an aware datetime, e.g. value.replace(tzinfo=datetime.UTC)",
        )
    delta = value - _FILETIME_EPOCH
    ticks = (delta.days * 86_400 + delta.seconds) * 10_000_000 + delta.microseconds * 10
    if ticks < 0:
        raise _BadValue(f"{what} {value!r} is before 1601-01-01", "pass a later datetime")
    return ticks.to_bytes(8, "little")


def _encode(syntax: int, value: object, depth: int = 0) -> bytes:
    """The data bytes for ``value`` under ``syntax``; raises :class:`_BadValue`."""
    if syntax == _S.NAME:
        return _encode_sz(value, "a NAME")
    if syntax == _S.RESCLASS:
        return _encode_int(value, _F.DWORD, "a RESCLASS value")
    fmt = syntax & 0xFFFF
    if syntax in _KNOWN_SYNTAXES:
        what = f"a {PropertyFormat(fmt).name} value"
        if fmt in _INTEGERS:
            return _encode_int(value, fmt, what)
        if fmt in _STRINGS:
            return _encode_sz(value, what)
        if fmt == _F.MULTI_SZ:
            return _encode_multi_sz(value, what)
        if fmt == _F.FILETIME:
            return _encode_filetime(value, what)
        if fmt == _F.PROPERTY_LIST:
            if isinstance(value, PropertyList):
                return value.to_bytes()
            if isinstance(value, Mapping):
                if depth >= _MAX_DEPTH:
                    raise _BadValue(
                        f"property lists nest more than {_MAX_DEPTH} deep", "flatten the value"
                    )
                try:
                    return _from_values(value, None, depth + 1).to_bytes()
                except ClusterError as exc:
                    raise _BadValue(
                        f"in its nested list, {exc.description}", exc.fix or ""
                    ) from None
            raise _BadValue(
                f"{what} must be a PropertyList or a mapping, not {value!r}",
                "pass a PropertyList or a dict of property names to values",
            )
    # BINARY, SECURITY_DESCRIPTOR, and syntaxes this module does not know: raw bytes.
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise _BadValue(
            f"a value of {_syntax_name(syntax)} must be bytes, not {value!r}",
            "pass a bytes object",
        )
    data = bytes(value)
    if len(data) > _MAX_U32:
        raise _BadValue(f"a value of {len(data)} bytes does not fit a DWORD cbLength", "pass less")
    return data


def _to_syntax(value: int) -> PropertySyntax | int:
    checked: object = value  # the annotation is a promise callers may break
    if not isinstance(checked, int) or isinstance(checked, bool):
        raise TypeError(f"a syntax is an int (a PropertySyntax), not {value!r}")
    if not 0 < value <= _MAX_U32:
        raise _invalid_parameter(
            f"syntax {value!r} is not a value syntax: "
            + ("0 is ENDMARK, which ends a list" if value == 0 else "it must fit in a DWORD"),
            "use a PropertySyntax member such as PropertySyntax.LIST_VALUE_DWORD",
        )
    return PropertySyntax(value) if value in _KNOWN_SYNTAXES else int(value)


def _infer_format(value: object) -> PropertyFormat:
    """The format :meth:`PropertyList.from_values` gives a value when none is named."""
    if isinstance(value, int):  # bool included: a DWORD 0 or 1
        if value < -(2**31):
            return PropertyFormat.LARGE_INTEGER
        if value < 0:
            return PropertyFormat.LONG
        return PropertyFormat.DWORD if value <= _MAX_U32 else PropertyFormat.ULARGE_INTEGER
    if isinstance(value, str):
        return PropertyFormat.SZ
    if isinstance(value, (bytes, bytearray, memoryview)):
        return PropertyFormat.BINARY
    if isinstance(value, (list, tuple)):
        return PropertyFormat.MULTI_SZ
    if isinstance(value, datetime.datetime):
        return PropertyFormat.FILETIME
    if isinstance(value, Mapping):
        return PropertyFormat.PROPERTY_LIST
    raise _BadValue(
        f"has a value of type {type(value).__name__} ({value!r}), which no format holds",
        "pass an int, str, bytes, a tuple of str, a datetime or a mapping, "
        "or name the format in formats=",
    )


# --------------------------------------------------------------------------- walking buffers

#: A raw entry: (offset in its buffer, syntax, data).
_RawEntry: TypeAlias = "tuple[int, int, bytes]"
#: A raw property: (name, offset of its NAME entry, its values).
_RawProperty: TypeAlias = "tuple[str, int, list[_RawEntry]]"


class _Reader:
    """A cursor over one buffer; every short read is ERROR_INSUFFICIENT_BUFFER."""

    __slots__ = ("buffer", "offset")

    def __init__(self, buffer: bytes) -> None:
        self.buffer = buffer
        self.offset = 0

    @property
    def remaining(self) -> int:
        return len(self.buffer) - self.offset

    def short(self, what: str, needed: int) -> NoReturn:
        raise _Malformed(
            self.offset,
            f"{what} needs {needed} bytes but the buffer ends after {self.remaining}",
            code=Win32Error.ERROR_INSUFFICIENT_BUFFER,
            fix=_FIX_WHOLE_BUFFER,
        )

    def u32(self, what: str) -> int:
        if self.remaining < 4:
            self.short(what, 4)
        (value,) = _U32.unpack_from(self.buffer, self.offset)
        self.offset += 4
        return int(value)

    def data(self, start: int, syntax: int) -> bytes:
        """cbLength, then the data and its padding; ``start`` is the entry's offset."""
        if self.remaining < 4:  # (messages are built only on failure)
            self.short(f"the cbLength of the {_syntax_name(syntax)} entry at offset {start}", 4)
        length = self.u32("cbLength")
        padded = (length + 3) & ~3
        if self.remaining < padded:
            self.short(
                f"the {_syntax_name(syntax)} entry at offset {start} declares cbLength {length}; "
                f"its data and padding",
                padded,
            )
        data = self.buffer[self.offset : self.offset + length]
        self.offset += padded
        return data


def _read_values(reader: _Reader, depth: int, owner: str | None) -> list[_RawEntry]:
    """VALUE... ENDMARK; ``owner`` is the property name (None in a names-less value list)."""
    values: list[_RawEntry] = []
    where = "the value list" if owner is None else f"the value list of property {owner!r}"
    while True:
        if reader.remaining == 0:
            raise _Malformed(
                reader.offset,
                f"missing ENDMARK: the buffer ends inside {where}",
                fix="end every value list with a DWORD 0 (CLUSPROP_SYNTAX_ENDMARK)",
            )
        start = reader.offset
        syntax = reader.u32(f"the syntax of an entry in {where}")
        if syntax == _S.ENDMARK:
            return values
        if owner is not None and syntax == _S.NAME:
            raise _Malformed(
                start,
                f"expected a value or ENDMARK in {where}, found a NAME entry: "
                f"the ENDMARK of {owner!r} is missing",
                fix="end every value list with a DWORD 0 (CLUSPROP_SYNTAX_ENDMARK)",
            )
        data = reader.data(start, syntax)
        try:
            _decode(syntax, data, depth=depth, check=True)
        except _Malformed as exc:
            nested = syntax == _S.LIST_VALUE_PROPERTY_LIST
            raise exc.shifted(start + _HEADER.size, nested=nested) from None
        values.append((start, syntax, data))


def _walk_property_list(buffer: bytes, depth: int = 0) -> list[_RawProperty]:
    """Check a whole PROPERTY_LIST and return its raw properties; raises :class:`_Malformed`."""
    reader = _Reader(buffer)
    count = reader.u32("the property count")
    properties: list[_RawProperty] = []
    seen: dict[str, int] = {}
    for index in range(count):
        if reader.remaining == 0:
            raise _Malformed(
                reader.offset,
                f"the count declares {count} propert{'y' if count == 1 else 'ies'} "
                f"but the buffer ends after {index}",
                code=Win32Error.ERROR_INSUFFICIENT_BUFFER,
                fix=_FIX_WHOLE_BUFFER,
            )
        start = reader.offset
        syntax = reader.u32(f"the NAME entry of property {index + 1} of {count}")
        if syntax != _S.NAME:
            raise _Malformed(
                start,
                f"expected the NAME entry (CLUSPROP_SYNTAX_NAME, 0x00040003) of property "
                f"{index + 1} of {count}, found {_syntax_name(syntax)}",
                fix="a property list is a DWORD count, then NAME, values, ENDMARK per property; "
                "a names-less value list is read with ValueList.from_bytes()",
            )
        data = reader.data(start, syntax)
        try:
            name = _decode_sz(data, "the property name")
        except _Malformed as exc:
            raise exc.shifted(start + _HEADER.size) from None
        if name in seen:
            raise _Malformed(
                start,
                f"property {name!r} appears twice (first at offset {seen[name]})",
                fix="name each property once",
            )
        seen[name] = start
        values = _read_values(reader, depth, name)
        if not values:
            raise _Malformed(
                start,
                f"property {name!r} has no value: its NAME is followed by ENDMARK",
                fix="give every property at least one value",
            )
        properties.append((name, start, values))
    if reader.remaining:
        raise _Malformed(
            reader.offset,
            f"{reader.remaining} bytes follow the last of the {count} properties",
            fix="pass only the first cbReturned bytes of the output buffer, or correct the count",
        )
    return properties


def _entry_bytes(syntax: int, data: bytes) -> bytes:
    return _HEADER.pack(syntax, len(data)) + data + b"\0" * (-len(data) % 4)


_ENDMARK_BYTES: Final = _U32.pack(_S.ENDMARK)


# --------------------------------------------------------------------------- the values


@attrs.frozen
class PropertyValueEntry:
    """One VALUE entry of a property or value list: its syntax and its raw data bytes.

    The data is kept exactly as it came (or as :meth:`encode` made it), so lists round-trip
    byte for byte; :attr:`value` decodes it::

        entry = PropertyValueEntry.encode(PropertySyntax.LIST_VALUE_DWORD, 7007)
        assert entry.data == b"\\x5f\\x1b\\x00\\x00" and entry.value == 7007

    A syntax this module does not know is kept as an int, with its data as raw bytes.

    Raises:
        InvalidParameterError: ERROR_INVALID_PARAMETER from the constructor if ``data`` does
            not fit ``syntax`` (a DWORD of 3 bytes, an SZ without its NUL, ...), or if
            ``syntax`` is ENDMARK.
    """

    syntax: PropertySyntax | int = attrs.field(converter=_to_syntax)
    data: bytes = attrs.field()

    @data.validator
    def _check_data(self, _attribute: attrs.Attribute[bytes], data: bytes) -> None:
        if not isinstance(data, bytes):
            raise TypeError(f"data must be bytes, not {type(data).__name__}")
        if len(data) > _MAX_U32:
            raise _invalid_parameter(
                f"{len(data)} bytes of data do not fit a DWORD cbLength", "pass less data"
            )
        try:
            _decode(self.syntax, data, check=True)
        except _Malformed as exc:
            raise _invalid_parameter(
                f"the data does not fit {_syntax_name(self.syntax)}: {exc.what} "
                f"(at byte {exc.offset} of the data)",
                "build entries with PropertyValueEntry.encode(syntax, value)",
            ) from None

    @classmethod
    def encode(cls, syntax: PropertySyntax | int, value: object) -> PropertyValueEntry:
        """Encode a Python value under ``syntax``.

        DWORD, LONG, WORD, (U)LARGE_INTEGER and RESCLASS take an int; SZ, EXPAND_SZ,
        EXPANDED_SZ and NAME a str; MULTI_SZ a list or tuple of non-empty str; FILETIME an
        aware datetime; PROPERTY_LIST a :class:`PropertyList` or a mapping; BINARY,
        SECURITY_DESCRIPTOR and unknown syntaxes bytes.

        Raises:
            InvalidParameterError: ERROR_INVALID_PARAMETER if the value does not fit the
                format (a negative DWORD, an SZ with a NUL, a naive datetime, ...).
        """
        syntax = _to_syntax(syntax)
        try:
            return cls(syntax, _encode(syntax, value))
        except _BadValue as exc:
            raise _invalid_parameter(
                f"cannot encode {value!r} as {_syntax_name(syntax)}: {exc.what}", exc.fix
            ) from None

    @property
    def format(self) -> PropertyFormat | int:
        """The low word of the syntax: the data format."""
        low = self.syntax & 0xFFFF
        try:
            return PropertyFormat(low)
        except ValueError:
            return low

    @property
    def type(self) -> PropertyType | int:
        """The high word of the syntax: what the value means (LIST_VALUE, RESCLASS, NAME, ...)."""
        high = self.syntax >> 16
        try:
            return PropertyType(high)
        except ValueError:
            return high

    @property
    def value(self) -> EntryValue:
        """The data as a Python value.

        DWORD, WORD, ULARGE_INTEGER → int; LONG, LARGE_INTEGER → signed int; SZ, EXPAND_SZ,
        EXPANDED_SZ, NAME → str; MULTI_SZ → tuple of str; BINARY, SECURITY_DESCRIPTOR and
        unknown syntaxes → bytes; FILETIME → an aware UTC datetime (to the microsecond);
        RESCLASS → :class:`ResourceClass` (an int for DLL-defined classes); PROPERTY_LIST → a
        nested :class:`PropertyList`.

        Raises:
            ClusterError: ERROR_INVALID_DATA for a FILETIME past the year 9999.
        """
        try:
            return _decode(self.syntax, self.data)
        except _Malformed as exc:  # pragma: no cover  (the constructor checked the data)
            raise exc.error("value") from None

    def to_bytes(self) -> bytes:
        """The entry as it appears in a list: syntax, cbLength, data, zero padding."""
        return _entry_bytes(self.syntax, self.data)


_Entries: TypeAlias = "tuple[tuple[str, tuple[PropertyValueEntry, ...]], ...]"


def _to_entries(
    entries: Mapping[str, Iterable[PropertyValueEntry]]
    | Iterable[tuple[str, Iterable[PropertyValueEntry]]],
) -> _Entries:
    pairs = entries.items() if isinstance(entries, Mapping) else entries
    return tuple((name, tuple(values)) for name, values in pairs)


def _check_entries(_instance: object, _attribute: object, entries: _Entries) -> None:
    seen: set[str] = set()
    for name, values in entries:
        if not isinstance(name, str):
            raise TypeError(f"a property name is a str, not {name!r}")
        try:
            _encode_sz(name, "the property name")
        except _BadValue as exc:
            raise _invalid_parameter(exc.what, exc.fix) from None
        if name in seen:
            raise _invalid_parameter(f"property {name!r} is given twice", "name each property once")
        seen.add(name)
        if not values:
            raise _invalid_parameter(
                f"property {name!r} has no value", "give every property at least one value"
            )
        for entry in values:
            if not isinstance(entry, PropertyValueEntry):
                raise TypeError(f"property {name!r}: {entry!r} is not a PropertyValueEntry")
            if entry.syntax == _S.NAME:
                raise _invalid_parameter(
                    f"property {name!r} has a NAME entry among its values",
                    "use a CLUSPROP_SYNTAX_LIST_VALUE_* syntax for values",
                )


@attrs.frozen
class PropertyList(Mapping[str, tuple[PropertyValueEntry, ...]]):
    """A CLUSPROP property list: property name → its values, in wire order.

    Each property maps to a tuple of :class:`PropertyValueEntry` (usually one; the service
    gives an EXPAND_SZ property two, and multi-value lists are legal). Build one from bytes or
    from Python values, never by parsing in ``__init__``::

        plist = PropertyList.from_values({"Port": 7007, "Banner": "hello"})
        raw = plist.to_bytes()
        assert PropertyList.from_bytes(raw).to_dict() == {"Port": 7007, "Banner": "hello"}

    It is a read-only :class:`~collections.abc.Mapping`; equality and hashing follow the
    entries in order, as the bytes do.

    Raises:
        InvalidParameterError: ERROR_INVALID_PARAMETER from the constructor for a name given
            twice or holding a NUL, a property without values, or a NAME entry among values.
    """

    entries: _Entries = attrs.field(default=(), converter=_to_entries, validator=_check_entries)
    _index: Mapping[str, tuple[PropertyValueEntry, ...]] = attrs.field(
        init=False, eq=False, repr=False, hash=False
    )

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_index", dict(self.entries))

    # -- named constructors -----------------------------------------------------------------

    @classmethod
    def from_bytes(
        cls, buffer: bytes | bytearray | memoryview, *, client: bool = False
    ) -> PropertyList:
        """Parse a PROPERTY_LIST (the output of ``CLCTL_GET_*_PROPERTIES``, the input of
        ``CLCTL_SET_*_PROPERTIES``).

        Args:
            buffer: the list, exactly: trailing bytes are an error.
            client: the list came from a client (a SET or VALIDATE input), which must not
                send EXPANDED_SZ values.

        Raises:
            ClusterError: ERROR_INVALID_DATA (as :class:`InvalidParameterError`) for a
                garbled list: a non-NAME entry where a NAME belongs, a missing ENDMARK, a
                string without its NUL, an odd UTF-16 length or undecodable UTF-16, a data
                length that does not fit the format, a property named twice or without
                values, trailing bytes. ERROR_INSUFFICIENT_BUFFER if the buffer is shorter
                than its count or a cbLength declares. ERROR_INVALID_PARAMETER if ``client``
                and the list holds an EXPANDED_SZ value. Every message gives the offset.
        """
        data = _as_bytes(buffer)
        try:
            properties = _walk_property_list(data)
        except _Malformed as exc:
            raise exc.error("property list") from None
        if client:
            _reject_expanded(properties, 0)
        return cls._build(properties)

    @classmethod
    def _build(cls, properties: list[_RawProperty]) -> PropertyList:
        return cls(
            tuple(
                (name, tuple(PropertyValueEntry(syntax, data) for _, syntax, data in values))
                for name, _, values in properties
            )
        )

    @classmethod
    def from_values(
        cls,
        values: Mapping[str, object],
        formats: Mapping[str, PropertyFormat] | None = None,
    ) -> PropertyList:
        """Build a client list (a SET or VALIDATE input) from Python values.

        The format of each property comes from ``formats``, or else from the value: bool and
        int → DWORD, or LONG if negative (LARGE_INTEGER below -2**31), or ULARGE_INTEGER
        above 0xFFFFFFFF; str → SZ; list or tuple (of str) → MULTI_SZ; bytes → BINARY;
        datetime → FILETIME; a mapping → a nested PROPERTY_LIST. With a format named in
        ``formats`` other than MULTI_SZ, a list or tuple value gives a multi-value list, one
        value per item (what :meth:`to_dict` returns for one). Names in ``formats`` that are
        not in ``values`` are ignored, so ``formats=Table.formats()`` works for a partial
        change. No EXPANDED_SZ twin is added: clients do not send one.

        Raises:
            InvalidParameterError: ERROR_INVALID_PARAMETER naming the property if a value does
                not fit its format, no format holds it, or the format is EXPANDED_SZ.
        """
        return _from_values(values, formats, 0)

    @classmethod
    def from_table(
        cls,
        values: PropertyTable | Mapping[str, object],
        table: type[PropertyTable],
        *,
        environment: Mapping[str, str] | None = None,
    ) -> PropertyList:
        """Build the list a resource returns for its private properties (mirrors
        ``ResUtilGetAllProperties`` over a ``RESUTIL_PROPERTY_ITEM`` table).

        Properties come in table order with the table's formats; a bool row is a DWORD 0 or 1.
        An EXPAND_SZ row gives two values, EXPAND_SZ as stored and then EXPANDED_SZ with
        ``%VAR%`` references expanded against ``environment`` (default: ``os.environ``; see
        :func:`expand_environment_strings`).

        Args:
            values: an instance of ``table``, or stored values by property (or attribute)
                name. From a mapping, a row without a value gets its default and a required
                row without one is left out; names the table does not know follow the rows,
                with the format their value implies (as ``ResUtilGetAllProperties`` returns
                unknown properties).
            table: the property table.
            environment: the variables for EXPANDED_SZ.

        Raises:
            PropertyError: ERROR_INVALID_PARAMETER naming the property if a stored value does
                not fit its row, or a row is given by both its attribute and its property name.
        """
        if isinstance(values, PropertyTable):
            if not isinstance(values, table):
                raise TypeError(
                    f"values is a {type(values).__qualname__}, not a {table.__qualname__}"
                )
            stored: dict[str, object] = dict(values.to_dict())
        else:
            stored = dict(values)
        env: Mapping[str, str] = os.environ if environment is None else environment
        name = table.__qualname__
        entries: list[tuple[str, tuple[PropertyValueEntry, ...]]] = []
        known: set[str] = set()
        for item in table.items():
            known.update((item.name, item.attribute))
            given = [key for key in dict.fromkeys((item.name, item.attribute)) if key in stored]
            if len(given) > 1:
                raise property_error(name, item.name, "is given twice", "name each property once")
            if given:
                value = item.check(stored[given[0]], name)
            elif item.default is not None:
                value = item.default
            else:
                continue  # a required property that is not set: nothing to report
            syntax = (PropertyType.LIST_VALUE << 16) | item.format
            if isinstance(value, bool):
                value = int(value)  # a bool row is stored as a DWORD 0 or 1
            first = _entry_for(item.name, syntax, value)
            if item.format == PropertyFormat.EXPAND_SZ:
                assert isinstance(value, str)
                expanded = _entry_for(
                    item.name, _S.LIST_VALUE_EXPANDED_SZ, expand_environment_strings(value, env)
                )
                entries.append((item.name, (first, expanded)))
            else:
                entries.append((item.name, (first,)))
        unknown = {key: value for key, value in stored.items() if key not in known}
        return cls((*entries, *_from_values(unknown, None, 0).entries))

    # -- views ------------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """The list on the wire: count, then NAME, values and ENDMARK per property."""
        parts = [_U32.pack(len(self.entries))]
        for name, values in self.entries:
            parts.append(_entry_bytes(_S.NAME, name.encode("utf-16-le") + b"\0\0"))
            parts.extend(entry.to_bytes() for entry in values)
            parts.append(_ENDMARK_BYTES)
        return b"".join(parts)

    def to_dict(self) -> dict[str, object]:
        """Property name → Python value.

        A one-value property gives its value; an EXPAND_SZ + EXPANDED_SZ pair gives the
        EXPAND_SZ value (as stored; read ``plist[name][1].value`` for the expansion); any other
        multi-value property gives a tuple of its values.

        Raises:
            ClusterError: ERROR_INVALID_DATA for a FILETIME past the year 9999.
        """
        result: dict[str, object] = {}
        for name, values in self.entries:
            if len(values) == 1 or _is_expand_pair(values):
                result[name] = values[0].value
            else:
                result[name] = tuple(entry.value for entry in values)
        return result

    def names(self) -> tuple[str, ...]:
        """The property names in list order (what ``CLCTL_ENUM_*_PROPERTIES`` would list)."""
        return tuple(name for name, _ in self.entries)

    def formats(self) -> dict[str, PropertyFormat]:
        """Property name → the format of its first value (``CLCTL_GET_*_PROPERTY_FMTS``).

        A format word this module does not know is reported as ``UNKNOWN``; the entry's
        ``syntax`` keeps the number.
        """
        result: dict[str, PropertyFormat] = {}
        for name, values in self.entries:
            fmt = values[0].format
            result[name] = fmt if isinstance(fmt, PropertyFormat) else PropertyFormat.UNKNOWN
        return result

    def __getitem__(self, name: str) -> tuple[PropertyValueEntry, ...]:
        return self._index[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, name: object) -> bool:
        return name in self._index


def _as_bytes(buffer: object) -> bytes:
    if isinstance(buffer, (bytes, bytearray, memoryview)):
        return bytes(buffer)
    raise TypeError(f"a buffer is bytes, not {type(buffer).__name__}")


def _is_expand_pair(values: tuple[PropertyValueEntry, ...]) -> bool:
    return (
        len(values) == 2
        and values[0].format == PropertyFormat.EXPAND_SZ
        and values[1].format == PropertyFormat.EXPANDED_SZ
    )


def _reject_expanded(properties: list[_RawProperty], base: int) -> None:
    for name, _, values in properties:
        for offset, syntax, data in values:
            if syntax & 0xFFFF == _F.EXPANDED_SZ:
                raise _invalid_parameter(
                    f"property {name!r} carries an EXPANDED_SZ value at offset {base + offset}; "
                    "clients must not send EXPANDED_SZ",
                    "send only the EXPAND_SZ value; the service expands it",
                )
            if syntax == _S.LIST_VALUE_PROPERTY_LIST:
                _reject_expanded(_walk_property_list(data), base + offset + _HEADER.size)


def _entry_for(name: str, syntax: int, value: object, depth: int = 0) -> PropertyValueEntry:
    try:
        return PropertyValueEntry(syntax, _encode(syntax, value, depth))
    except _BadValue as exc:
        raise _invalid_parameter(f"property {name!r}: {exc.what}", exc.fix) from None


def _from_values(
    values: Mapping[str, object], formats: Mapping[str, PropertyFormat] | None, depth: int
) -> PropertyList:
    entries: list[tuple[str, tuple[PropertyValueEntry, ...]]] = []
    for name, value in values.items():
        fmt = None if formats is None else formats.get(name)
        if fmt is None:
            try:
                fmt = _infer_format(value)
            except _BadValue as exc:
                raise _invalid_parameter(f"property {name!r} {exc.what}", exc.fix) from None
        if fmt not in _SENDABLE:
            raise _invalid_parameter(
                f"property {name!r}: format {fmt!r} cannot be sent"
                + ("; clients must not send EXPANDED_SZ" if fmt == _F.EXPANDED_SZ else ""),
                "use EXPAND_SZ (the service adds the expansion), or another concrete format",
            )
        fmt = PropertyFormat(fmt)
        syntax = (PropertyType.LIST_VALUE << 16) | fmt
        if fmt != PropertyFormat.MULTI_SZ and isinstance(value, (list, tuple)):
            items = tuple(_entry_for(name, syntax, item, depth) for item in value)
            if not items:
                raise _invalid_parameter(
                    f"property {name!r} has an empty tuple of {fmt.name} values",
                    "give at least one value, or use MULTI_SZ for an empty list of strings",
                )
            entries.append((name, items))
        else:
            entries.append((name, (_entry_for(name, syntax, value, depth),)))
    return PropertyList(tuple(entries))


# --------------------------------------------------------------------------- value lists


def _to_value_tuple(values: Iterable[PropertyValueEntry]) -> tuple[PropertyValueEntry, ...]:
    return tuple(values)


def _check_value_entries(
    _instance: object, _attribute: object, values: tuple[PropertyValueEntry, ...]
) -> None:
    for entry in values:
        if not isinstance(entry, PropertyValueEntry):
            raise TypeError(f"{entry!r} is not a PropertyValueEntry")


@attrs.frozen
class ValueList(Sequence[PropertyValueEntry]):
    """A value list without names: VALUE entries then ENDMARK.

    What ``CLCTL_GET_REQUIRED_DEPENDENCIES`` returns (RESCLASS and NAME entries)::

        deps = ValueList.from_values([(PropertySyntax.RESCLASS, ResourceClass.STORAGE)])
        assert ValueList.from_bytes(deps.to_bytes()).to_tuple() == (ResourceClass.STORAGE,)
    """

    entries: tuple[PropertyValueEntry, ...] = attrs.field(
        default=(), converter=_to_value_tuple, validator=_check_value_entries
    )

    @classmethod
    def from_bytes(cls, buffer: bytes | bytearray | memoryview) -> ValueList:
        """Parse VALUE... ENDMARK.

        Raises:
            ClusterError: ERROR_INVALID_DATA for a garbled list (missing ENDMARK, a value
                that does not fit its format, trailing bytes); ERROR_INSUFFICIENT_BUFFER if a
                cbLength runs past the end. Every message gives the offset.
        """
        reader = _Reader(_as_bytes(buffer))
        try:
            values = _read_values(reader, 0, None)
            if reader.remaining:
                raise _Malformed(
                    reader.offset,
                    f"{reader.remaining} bytes follow the ENDMARK",
                    fix="pass only the first cbReturned bytes of the output buffer",
                )
        except _Malformed as exc:
            raise exc.error("value list") from None
        return cls(PropertyValueEntry(syntax, data) for _, syntax, data in values)

    @classmethod
    def from_values(cls, values: Iterable[tuple[PropertySyntax | int, object]]) -> ValueList:
        """Encode ``(syntax, value)`` pairs (see :meth:`PropertyValueEntry.encode`).

        Raises:
            InvalidParameterError: ERROR_INVALID_PARAMETER if a value does not fit its syntax.
        """
        return cls(PropertyValueEntry.encode(syntax, value) for syntax, value in values)

    def to_bytes(self) -> bytes:
        """The entries, then ENDMARK."""
        return b"".join(entry.to_bytes() for entry in self.entries) + _ENDMARK_BYTES

    def to_tuple(self) -> tuple[EntryValue, ...]:
        """The decoded values, in order (see :attr:`PropertyValueEntry.value`)."""
        return tuple(entry.value for entry in self.entries)

    @overload
    def __getitem__(self, index: int) -> PropertyValueEntry: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[PropertyValueEntry, ...]: ...
    def __getitem__(
        self, index: int | slice
    ) -> PropertyValueEntry | tuple[PropertyValueEntry, ...]:
        return self.entries[index]

    def __len__(self) -> int:
        return len(self.entries)


# --------------------------------------------------------------------------- MULTI_SZ names


def multi_sz_names(buffer: bytes | bytearray | memoryview) -> tuple[str, ...]:
    """The names in a bare MULTI_SZ, as ``CLCTL_ENUM_*_PROPERTIES`` returns them.

    Example::

        assert multi_sz_names("Port\\0Banner\\0\\0".encode("utf-16-le")) == ("Port", "Banner")

    An empty buffer, a single NUL and two NULs all mean no names.

    Raises:
        ClusterError: ERROR_INVALID_DATA for an odd length, undecodable UTF-16, a missing
            final NUL or an empty string before the end; the message gives the offset.
    """
    data = _as_bytes(buffer)
    if not data:
        return ()
    try:
        return _decode_multi_sz(data, "the name list")
    except _Malformed as exc:
        raise exc.error("MULTI_SZ") from None


def encode_multi_sz(names: Iterable[str]) -> bytes:
    """Encode names as a bare MULTI_SZ: each NUL-terminated, then a final NUL.

    Raises:
        InvalidParameterError: ERROR_INVALID_PARAMETER for an empty name or one with a NUL.
    """
    try:
        return _encode_multi_sz(tuple(names), "the name list")
    except _BadValue as exc:
        raise _invalid_parameter(exc.what, exc.fix) from None


# --------------------------------------------------------------------------- %VAR% expansion

_VARIABLE: Final = re.compile(r"%([^%]*)%")


def expand_environment_strings(text: str, environment: Mapping[str, str] | None = None) -> str:
    """Expand ``%VAR%`` references the way ``ExpandEnvironmentStrings`` does.

    Names match case-insensitively (an exact match wins); a reference to an undefined
    variable, ``%%`` and a lone ``%`` are left as they are::

        env = {"SystemRoot": "C:\\\\Windows"}
        text = expand_environment_strings("%systemroot%\\\\x %NOPE% 100%", env)
        assert text == "C:\\\\Windows\\\\x %NOPE% 100%"

    Args:
        text: the EXPAND_SZ value.
        environment: the variables; default ``os.environ``.
    """
    env: Mapping[str, str] = os.environ if environment is None else environment
    folded: dict[str, str] | None = None

    def replace(match: re.Match[str]) -> str:
        nonlocal folded
        name = match.group(1)
        if not name:
            return match.group(0)
        if name in env:
            return env[name]
        if folded is None:
            folded = {}
            for key, value in env.items():
                folded.setdefault(key.upper(), value)
        return folded.get(name.upper(), match.group(0))

    return _VARIABLE.sub(replace, text)


#: What :attr:`PropertyValueEntry.value` returns (a ResourceClass is an int).
EntryValue: TypeAlias = int | str | bytes | tuple[str, ...] | datetime.datetime | PropertyList
