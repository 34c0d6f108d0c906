"""Property tables: the declarative private properties of a resource type.

Mirrors ``RESUTIL_PROPERTY_ITEM`` tables and the ResUtil functions that use them:
``ResUtilGetPropertiesToParameterBlock`` (:meth:`PropertyTable.load`),
``ResUtilVerifyPropertyTable`` (:meth:`PropertyTable.verify`),
``ResUtilSetPropertyTable(Ex)`` (:meth:`PropertyTable.apply`),
``ResUtilEnumProperties`` (:meth:`PropertyTable.names`) and
``ResUtilGetPropertyFormats`` (:meth:`PropertyTable.formats`).

A table is a class; its instances are the "parameter block", immutable and typed::

    class Properties(resapi.PropertyTable):
        port: int = resapi.prop(default=7007, minimum=1, maximum=65535)
        banner: str = resapi.prop(default="hello")

Values are stored under their *property names* (the names in the cluster database and in
property lists), which default to the attribute name in CamelCase: ``port`` is ``Port``,
``command_line`` is ``CommandLine``.

A type's own checks (``prop(validate=f)`` for one value, :meth:`PropertyTable.validate` for
rules across values) raise ``ValueError(message)``; the caller gets a :class:`PropertyError`.
"""

from __future__ import annotations

import builtins
import inspect
import re
import sys
import types
import typing
from collections.abc import Callable
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    Final,
    Literal,
    Self,
    TypeVar,
    dataclass_transform,
    overload,
)

import attrs

from ._enums import PropertyFormat
from ._errors import PropertyError
from ._win32 import Win32Error

if TYPE_CHECKING:
    from collections.abc import Mapping, MutableMapping

__all__ = ("PropertyItem", "PropertyTable", "PropertyValue", "prop")

#: A value a property can hold: int (DWORD, LONG, ...), bool (a DWORD 0/1), str (SZ,
#: EXPAND_SZ), tuple of str (MULTI_SZ) or bytes (BINARY).
PropertyValue = int | str | bytes | tuple[str, ...]

_T = TypeVar("_T")


class _Missing:
    """The type of the sentinel for "no default" (prints as ``NOTHING``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NOTHING"


_MISSING: Final = _Missing()

# Value ranges of the numeric formats, before the item's own minimum and maximum.
_NUMERIC_RANGES: Final[Mapping[PropertyFormat, tuple[int, int]]] = types.MappingProxyType(
    {
        PropertyFormat.WORD: (0, 0xFFFF),
        PropertyFormat.DWORD: (0, 0xFFFF_FFFF),
        PropertyFormat.LONG: (-(2**31), 2**31 - 1),
        PropertyFormat.ULARGE_INTEGER: (0, 2**64 - 1),
        PropertyFormat.LARGE_INTEGER: (-(2**63), 2**63 - 1),
    }
)
_STRING_FORMATS: Final = frozenset({PropertyFormat.SZ, PropertyFormat.EXPAND_SZ})
_SUPPORTED_FORMATS: Final = frozenset(
    {*_NUMERIC_RANGES, *_STRING_FORMATS, PropertyFormat.MULTI_SZ, PropertyFormat.BINARY}
)

# Characters an XML 1.0 document cannot hold (the Pacemaker CIB is one): NUL and the other C0
# controls except TAB, LF and CR; lone surrogates; U+FFFE and U+FFFF. The reference runtime
# could keep them, but a value both backends cannot store exactly is refused on both, so the
# contract is one (issue 13 finding 9: Pacemaker cut "a\x01secret" to "a" and reported success).
NOT_XML: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def unstorable(value: str) -> str | None:
    """The first character of ``value`` a cluster configuration cannot store, or None."""
    bad = NOT_XML.search(value)
    return None if bad is None else bad.group()


def _check_text(table: str, name: str, value: str) -> None:
    """A string value, or one MULTI_SZ entry: refused if it holds what a cluster configuration
    cannot store (a NUL in an entry would also end the list early)."""
    bad = unstorable(value)
    if bad is not None:
        raise property_error(
            table,
            name,
            f"holds {value!r}, with the character {bad!r}, which a cluster configuration "
            "cannot store",
            "remove control characters other than tab and newline from the value",
        )


def _camel(attribute: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in attribute.split("_"))


@attrs.frozen
class PropertyItem:
    """One row of a property table (mirrors ``RESUTIL_PROPERTY_ITEM``).

    Built by :func:`prop` inside a :class:`PropertyTable` class body; read it back with
    ``Table.items()``.
    """

    #: The Python attribute name (``command_line``).
    attribute: str
    #: The property name in the cluster database and in property lists (``CommandLine``).
    name: str
    format: PropertyFormat
    #: The default value, or ``None`` when the property has none (a required property).
    default: PropertyValue | None
    minimum: int | None
    maximum: int | None
    required: bool
    read_only: bool
    #: The value is a Python ``bool`` stored as a DWORD 0 or 1.
    boolean: bool
    description: str
    #: Each resource of the type should have its own value (a port, a path): a hint for
    #: tools, published as OCF's ``unique="1"``; not enforced across resources.
    unique: bool = False
    #: The type's own check of a value given for this row (``prop(validate=...)``), or None.
    validate: Callable[[Any], None] | None = attrs.field(default=None, eq=False, repr=False)

    @property
    def signed(self) -> bool:
        """True for the signed formats (LONG, LARGE_INTEGER): ``RESUTIL_PROPITEM_SIGNED``."""
        return self.format in (PropertyFormat.LONG, PropertyFormat.LARGE_INTEGER)

    def check(self, value: object, table: str) -> PropertyValue:
        """``value`` normalised (format, range, then ``validate=``), or :class:`PropertyError`."""
        checked = self.check_format(value, table)
        if self.validate is None:
            return checked
        # A ValueError is the type refusing the value (its message goes to the caller);
        # anything else is a bug in the check, and is not disguised as a bad value.
        try:
            result: object = self.validate(checked)
        except ValueError as exc:
            if isinstance(exc, PropertyError):
                raise  # already names a property
            raise self._error(table, f"is {checked!r}: {_message(exc)}", None) from None
        if result is not None:  # a check returning its message would accept every value
            raise TypeError(
                f"{table}.{self.attribute}: validate= returned {result!r}; raise "
                "ValueError(message) to refuse a value, return None to accept it"
            )
        return checked

    def check_format(self, value: object, table: str) -> PropertyValue:
        """:meth:`check` without ``validate=`` (a default is the type's own)."""
        fmt = self.format
        if self.boolean:
            if isinstance(value, int) and value in (0, 1):  # bool, or a stored DWORD 0/1
                return bool(value)
            raise self._error(table, f"must be a bool, not {value!r}", "pass True or False")
        if fmt in _NUMERIC_RANGES:
            # An IntEnum member is a number; a bool is not (it would be stored as 0/1 silently).
            if not isinstance(value, int) or isinstance(value, bool):
                raise self._error(table, f"must be an int, not {value!r}", "pass a whole number")
            value = int(value)
            low, high = _NUMERIC_RANGES[fmt]
            low = low if self.minimum is None else max(low, self.minimum)
            high = high if self.maximum is None else min(high, self.maximum)
            if not low <= value <= high:
                raise self._error(
                    table, f"is {value!r}, outside {low}..{high}", f"pass a value in {low}..{high}"
                )
            return value
        if fmt in _STRING_FORMATS:
            if not isinstance(value, str):
                raise self._error(table, f"must be a str, not {value!r}", "pass a string")
            _check_text(table, self.name, value)
            return value
        if fmt is PropertyFormat.MULTI_SZ:
            if isinstance(value, str) or not isinstance(value, (list, tuple)):
                raise self._error(
                    table, f"must be a sequence of str, not {value!r}", "pass a list of strings"
                )
            strings = tuple(value)
            if not all(isinstance(s, str) and s for s in strings):
                raise self._error(
                    table,
                    f"holds an empty or non-string entry: {value!r}",
                    "pass non-empty strings only (MULTI_SZ cannot hold empty ones)",
                )
            for entry in strings:
                _check_text(table, self.name, entry)
            return strings
        # BINARY: the only format left (see _SUPPORTED_FORMATS).
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise self._error(table, f"must be bytes, not {value!r}", "pass a bytes object")
        data = bytes(value)
        if self.maximum is not None and len(data) > self.maximum:
            raise self._error(
                table, f"is {len(data)} bytes, more than {self.maximum}", "pass fewer bytes"
            )
        return data

    def _error(self, table: str, what: str, fix: str | None) -> PropertyError:
        return property_error(table, self.name, f"{what}", fix)


def property_error(
    table: str,
    name: str,
    what: str,
    fix: str | None,
    code: Win32Error = Win32Error.ERROR_INVALID_PARAMETER,
) -> PropertyError:
    """The one way this module reports a rejected property (ResUtil's ERROR_INVALID_PARAMETER)."""
    error = PropertyError(code, f"property {name!r} of {table} {what}", fix=fix)
    error.property_name = name
    return error


def _message(exc: ValueError) -> str:
    """The message of a type's check that refused a value."""
    return str(exc) or "the resource type refused it (a ValueError with no message)"


@attrs.frozen
class _Spec:
    """What :func:`prop` returns: the item's settings until the table class is built."""

    default: object
    name: str | None
    format: PropertyFormat | None
    minimum: int | None
    maximum: int | None
    required: bool
    read_only: bool
    description: str
    unique: bool
    validate: Callable[[Any], None] | None


@overload
def prop(
    *,
    default: _T,
    name: str | None = None,
    format: PropertyFormat | None = None,  # the MSCS field is called Format
    minimum: int | None = None,
    maximum: int | None = None,
    read_only: bool = False,
    description: str = "",
    unique: bool = False,
    validate: Callable[[_T], None] | None = None,
) -> _T: ...
@overload
def prop(
    *,
    required: Literal[True],
    name: str | None = None,
    format: PropertyFormat | None = None,
    minimum: int | None = None,
    maximum: int | None = None,
    read_only: bool = False,
    description: str = "",
    unique: bool = False,
    validate: Callable[[Any], None] | None = None,
) -> Any: ...
def prop(
    *,
    default: object = _MISSING,
    required: bool = False,
    name: str | None = None,
    format: PropertyFormat | None = None,  # noqa: A002  (the MSCS field is called Format)
    minimum: int | None = None,
    maximum: int | None = None,
    read_only: bool = False,
    description: str = "",
    unique: bool = False,
    validate: Callable[[Any], None] | None = None,
) -> Any:
    """Declare one private property in a :class:`PropertyTable` class body.

    Args:
        default: the value used when the cluster database holds none.
        required: the property must be set before the resource can be opened or brought
            online (``RESUTIL_PROPITEM_REQUIRED``); a required property has no default.
        name: the property name in the cluster database; default: the attribute in CamelCase.
        format: the ``CLUSPROP_FORMAT``; default: from the annotation (``int`` → DWORD,
            ``bool`` → DWORD 0..1, ``str`` → SZ, ``bytes`` → BINARY,
            ``tuple[str, ...]`` → MULTI_SZ). Use ``LONG``/``LARGE_INTEGER`` for signed numbers,
            ``ULARGE_INTEGER`` for 64-bit ones, ``EXPAND_SZ`` for strings with ``%VARS%``.
        minimum: the lowest allowed value (numbers).
        maximum: the highest allowed value (numbers), or the most bytes (BINARY).
        read_only: the property cannot be set through the API (``RESUTIL_PROPITEM_READ_ONLY``).
        description: a one-line description, for documentation and tools.
        unique: each resource of the type should have its own value (a TCP port, a data
            directory). A hint for tools and for OCF meta-data (``unique="1"``); the cluster
            does not compare values across resources.
        validate: the type's own check of a given value (a change, a stored value loaded at
            Open; not the default), after format and range: return None to accept, raise
            ``ValueError("must be an absolute path")`` to refuse; the caller gets a
            :class:`PropertyError` (ERROR_INVALID_PARAMETER) naming the property, with that
            message. Rules over several values go in :meth:`PropertyTable.validate`.
    """
    if required and default is not _MISSING:
        raise TypeError("a required property has no default: pass required=True or default=")
    if not required and default is _MISSING:
        raise TypeError("a property needs a default, or required=True")
    return _Spec(
        default, name, format, minimum, maximum, required, read_only, description, unique, validate
    )


def _resolve(cls: type, annotation: object) -> object:
    """Evaluate one (possibly string) annotation in the namespace of the class's module."""
    if not isinstance(annotation, str):
        return annotation
    module = sys.modules.get(cls.__module__)
    namespace = {**vars(builtins), **(vars(module) if module else {}), **vars(cls)}
    try:
        return eval(annotation, namespace)  # annotations are code by definition
    except Exception as exc:
        raise TypeError(
            f"cannot evaluate the annotation {annotation!r} of {cls.__qualname__}: {exc}"
        ) from exc


def _is_multi_sz(annotation: object) -> bool:
    return typing.get_origin(annotation) is tuple and typing.get_args(annotation) == (str, ...)


def _formats_for(annotation: object) -> tuple[PropertyFormat, ...] | None:
    """The formats that can hold values of ``annotation``, the inferred one first.

    ``None`` means the annotation says nothing the table can check (an ``IntEnum``, an alias):
    the format must then be given explicitly.
    """
    if annotation is bool:
        return (PropertyFormat.DWORD,)
    if annotation is int:
        return (
            PropertyFormat.DWORD,
            *(f for f in _NUMERIC_RANGES if f is not PropertyFormat.DWORD),
        )
    if annotation is str:
        return (PropertyFormat.SZ, PropertyFormat.EXPAND_SZ)
    if annotation is bytes:
        return (PropertyFormat.BINARY,)
    if _is_multi_sz(annotation):
        return (PropertyFormat.MULTI_SZ,)
    return None


def _format_for(annotation: object, spec: _Spec, where: str) -> tuple[PropertyFormat, bool]:
    """The CLUSPROP format for an annotation, and whether the value is a bool."""
    allowed = _formats_for(annotation)
    if allowed is None:
        if spec.format is not None:
            return spec.format, False
        hint = (
            "; annotate it tuple[str, ...] (values are tuples)"
            if typing.get_origin(annotation) in (tuple, list)
            else ""
        )
        raise TypeError(
            f"{where}: cannot infer a property format from the annotation {annotation!r}; "
            f"use int, bool, str, bytes or tuple[str, ...], or pass format={hint}"
        )
    if spec.format is None:
        return allowed[0], annotation is bool
    if spec.format not in allowed:
        # The annotation is what type checkers believe the attribute holds: a format that
        # stores something else would make every value a lie (or every value rejected).
        names = ", ".join(f.name for f in allowed)
        raise TypeError(
            f"{where}: format {spec.format!r} cannot hold {annotation!r} values; "
            f"use one of {names}, or change the annotation"
        )
    return spec.format, annotation is bool


def _is_class_var(annotation: object) -> bool:
    if isinstance(annotation, str):
        return re.match(r"\s*(?:typing\.|t\.)?ClassVar\b", annotation) is not None
    return annotation is ClassVar or typing.get_origin(annotation) is ClassVar


def _check_bounds(where: str, fmt: PropertyFormat, boolean: bool, spec: _Spec) -> None:
    """Reject a ``minimum``/``maximum`` that the format cannot honour (not silently ignore it)."""
    if spec.minimum is None and spec.maximum is None:
        return
    if boolean:
        # C tables often spell a BOOL as DWORD 0..1; accept that, refuse anything narrower.
        if spec.minimum not in (None, 0) or spec.maximum not in (None, 1):
            raise TypeError(f"{where}: a bool property is 0..1; drop minimum= and maximum=")
        return
    if fmt in _NUMERIC_RANGES:
        low, high = _NUMERIC_RANGES[fmt]
        low = low if spec.minimum is None else max(low, spec.minimum)
        high = high if spec.maximum is None else min(high, spec.maximum)
        if low > high:
            raise TypeError(
                f"{where}: minimum {spec.minimum} and maximum {spec.maximum} leave no "
                f"{fmt.name} value to accept"
            )
        return
    if fmt is PropertyFormat.BINARY and spec.minimum is None:
        if spec.maximum is not None and spec.maximum < 0:
            raise TypeError(f"{where}: maximum {spec.maximum} bytes is negative")
        return
    raise TypeError(
        f"{where}: format {fmt.name} takes no "
        + ("minimum" if spec.minimum is not None else "maximum")
        + " (only numbers have a range, and BINARY a maximum size)"
    )


@dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(prop,))
class PropertyTable:
    """Base class of a resource type's private-property table (``RESUTIL_PROPERTY_ITEM[]``).

    Example::

        class Properties(resapi.PropertyTable):
            port: int = resapi.prop(default=7007, minimum=1, maximum=65535)
            banner: str = resapi.prop(default="hello")

        props = Properties.load({"Port": 7100})    # defaults fill the rest
        assert props.port == 7100 and props.banner == "hello"

    Instances are immutable; :meth:`evolve` returns a changed copy after checking the change.
    """

    __property_items__: ClassVar[tuple[PropertyItem, ...]] = ()
    __by_key__: ClassVar[Mapping[str, PropertyItem]] = types.MappingProxyType({})

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        annotations = inspect.get_annotations(cls)
        items = list(cls.__property_items__)
        specs = {a: v for a, v in vars(cls).items() if isinstance(v, _Spec)}
        for attribute, annotation in annotations.items():
            # dataclass_transform tells type checkers every annotated name is a field; one
            # without prop() would type-check as a constructor argument yet not exist.
            if (
                attribute not in specs
                and not attribute.startswith("_")
                and not _is_class_var(annotation)
            ):
                raise TypeError(
                    f"{cls.__qualname__}.{attribute} is annotated but not declared with "
                    f"prop(); write `{attribute}: ... = resapi.prop(default=...)`, "
                    "or annotate it ClassVar[...]"
                )
        for attribute, value in specs.items():
            where = f"{cls.__qualname__}.{attribute}"
            if attribute not in annotations:
                raise TypeError(f"{where} needs a type annotation")
            if hasattr(PropertyTable, attribute):
                # The instance attribute would hide the method (self.items(), self.to_dict()).
                raise TypeError(
                    f"{where} would hide PropertyTable.{attribute}; rename the attribute and "
                    f"keep the property name with name={_camel(attribute)!r}"
                )
            if value.name is not None and not value.name:
                raise TypeError(f"{where}: name= must not be empty")
            fmt, boolean = _format_for(_resolve(cls, annotations[attribute]), value, where)
            if fmt not in _SUPPORTED_FORMATS:
                raise TypeError(f"{where}: format {fmt!r} is not supported")
            _check_bounds(where, fmt, boolean, value)
            item = PropertyItem(
                attribute=attribute,
                name=value.name or _camel(attribute),
                format=fmt,
                default=None,
                minimum=0 if boolean else value.minimum,
                maximum=1 if boolean else value.maximum,
                required=value.required,
                read_only=value.read_only,
                boolean=boolean,
                description=value.description,
                unique=value.unique,
                validate=value.validate,
            )
            if value.default is not _MISSING:
                # A default outside the item's own range is a bug in the table, not a bad
                # value from a caller: say so now, as the TypeError a bad declaration is.
                try:
                    default = item.check_format(value.default, cls.__qualname__)
                except PropertyError as exc:
                    raise TypeError(
                        f"{where}: the default {value.default!r} does not fit its own row: "
                        f"{exc.description}"
                    ) from exc
                item = attrs.evolve(item, default=default)
            items = [i for i in items if i.attribute != attribute]
            items.append(item)
            delattr(cls, attribute)
        by_key: dict[str, PropertyItem] = {}
        for item in items:
            for key in {item.attribute, item.name}:
                if key in by_key and by_key[key] is not item:
                    raise TypeError(f"{cls.__qualname__}: two properties answer to {key!r}")
                by_key[key] = item
        cls.__property_items__ = tuple(items)
        cls.__by_key__ = types.MappingProxyType(by_key)

    def __init__(self, **values: object) -> None:
        table = type(self).__qualname__
        for key in values:
            if key not in type(self).__by_key__:
                raise self._unknown(key)
        for item in self.__property_items__:
            if item.attribute in values and item.name in values and item.attribute != item.name:
                raise property_error(table, item.name, "is given twice", "name each property once")
            if item.attribute in values:
                value = item.check(values[item.attribute], table)
            elif item.name in values:
                value = item.check(values[item.name], table)
            elif item.default is not None:
                value = item.default
            else:
                raise property_error(
                    table,
                    item.name,
                    "is required but not set",
                    f"set it, e.g. set_private_properties({item.attribute}=...)",
                    code=Win32Error.ERROR_FILE_NOT_FOUND,
                )
            object.__setattr__(self, item.attribute, value)
        if type(self).validate is not PropertyTable.validate:
            try:
                self.validate()
            except ValueError as exc:
                if isinstance(exc, PropertyError):
                    raise
                raise PropertyError(
                    Win32Error.ERROR_INVALID_PARAMETER,
                    f"the properties of {table} do not go together: {_message(exc)}",
                ) from None

    def validate(self) -> None:
        """Override to check the values together: runs on every table built (:meth:`load`,
        :meth:`evolve`, the merged values in :meth:`validate_change`) after each row's checks.
        Raise ``ValueError("message naming the properties")`` to refuse; the caller gets a
        :class:`PropertyError` (ERROR_INVALID_PARAMETER) with the message."""

    # -- ResUtil operations -------------------------------------------------------------------

    @classmethod
    def items(cls) -> tuple[PropertyItem, ...]:
        """Every row of the table, in declaration order."""
        return cls.__property_items__

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The property names, as ``CLUSCTL_*_ENUM_PRIVATE_PROPERTIES`` lists them."""
        return tuple(item.name for item in cls.__property_items__)

    @classmethod
    def formats(cls) -> dict[str, PropertyFormat]:
        """Property name → format, as ``CLUSCTL_*_GET_PRIVATE_PROPERTY_FMTS`` reports them."""
        return {item.name: item.format for item in cls.__property_items__}

    @classmethod
    def item(cls, key: str) -> PropertyItem:
        """The row for an attribute or property name.

        Raises:
            PropertyError: ERROR_INVALID_PARAMETER if the table has no such property.
        """
        try:
            return cls.__by_key__[key]
        except KeyError:
            raise cls._unknown(key) from None

    @classmethod
    def load(cls, stored: Mapping[str, object]) -> Self:
        """Build the table from stored values, filling in defaults (mirrors
        ``ResUtilGetPropertiesToParameterBlock`` with the required-property check).

        ``stored`` maps property names to values, as the resource's Parameters key holds
        them; names the table does not know are ignored (they are "unknown properties").

        Raises:
            PropertyError: ERROR_FILE_NOT_FOUND naming the first required property that is not
                set; ERROR_INVALID_PARAMETER if a stored value does not fit its row.
        """
        return cls(**{item.name: stored[item.name] for item in cls.items() if item.name in stored})

    @classmethod
    def verify(
        cls, changes: Mapping[str, object], *, allow_unknown: bool = False
    ) -> dict[str, PropertyValue]:
        """Check a change without applying it (mirrors ``ResUtilVerifyPropertyTable``).

        Keys are attribute or property names. Returns the change normalised to property
        names, e.g. ``{"port": 7100}`` → ``{"Port": 7100}``.

        Raises:
            PropertyError: ERROR_INVALID_PARAMETER for an unknown name (unless
                ``allow_unknown``), a read-only property, a value of the wrong type or one
                outside its range, or one its ``validate=`` refuses (each value alone:
                :meth:`validate_change` also runs :meth:`validate`); the message names it.
        """
        table = cls.__qualname__
        checked: dict[str, PropertyValue] = {}
        for key, value in changes.items():
            item = cls.__by_key__.get(key)
            if item is None:
                if not allow_unknown:
                    raise cls._unknown(key)
                checked[key] = _check_unknown(table, key, value)
                continue
            if item.read_only:
                raise property_error(table, item.name, "is read-only", "do not set it")
            if item.name in checked:
                raise property_error(
                    table, item.name, "is given twice", "name each property once per change"
                )
            checked[item.name] = item.check(value, table)
        return checked

    @classmethod
    def validate_change(
        cls,
        stored: Mapping[str, object],
        changes: Mapping[str, object],
        *,
        allow_unknown: bool = False,
    ) -> dict[str, PropertyValue]:
        """:meth:`verify`, then :meth:`validate` over ``stored`` (property name → value) with
        the change applied (skipped while a required property has no value); what
        ``SET``/``VALIDATE_PRIVATE_PROPERTIES`` check. Returns the normalised change.

        Raises:
            PropertyError: ERROR_INVALID_PARAMETER, as :meth:`verify` or :meth:`validate`.
        """
        checked = cls.verify(changes, allow_unknown=allow_unknown)
        if cls.validate is not PropertyTable.validate:
            merged = {
                item.name: value
                for item in cls.items()
                if (value := checked.get(item.name, stored.get(item.name))) is not None
            }
            if all(item.name in merged for item in cls.items() if item.required):
                cls(**merged)  # runs validate(); the instance itself is not needed
        return checked

    @classmethod
    def apply(
        cls,
        store: MutableMapping[str, object],
        changes: Mapping[str, object],
        *,
        allow_unknown: bool = False,
        force: bool = False,
    ) -> tuple[str, ...]:
        """Verify ``changes`` and write them into ``store`` (mirrors ``ResUtilSetPropertyTableEx``).

        All or nothing: the whole change is verified before anything is written. Values equal
        to the stored ones are not rewritten unless ``force`` (``bForceWrite``).

        Returns:
            The property names that were written, in the order given.

        Raises:
            PropertyError: as :meth:`validate_change`; ``store`` is then unchanged.
        """
        checked = cls.validate_change(store, changes, allow_unknown=allow_unknown)
        written = tuple(
            name
            for name, value in checked.items()
            if force or name not in store or not _same(store[name], value)
        )
        previous = {name: store.get(name, _MISSING) for name in written}
        done: list[str] = []
        try:
            for name in written:
                store[name] = checked[name]
                done.append(name)
        except BaseException:
            # The store itself failed part-way (a backend's database went away): put back
            # what was written, so that "all or nothing" holds for this failure too.
            for name in reversed(done):
                old = previous[name]
                if old is _MISSING:
                    del store[name]
                else:
                    store[name] = old
            raise
        return written

    def evolve(self, **changes: object) -> Self:
        """Return a copy with ``changes`` applied, after :meth:`verify`."""
        checked = self.verify(changes)
        return type(self)(**{**self.to_dict(), **checked})

    def to_dict(self) -> dict[str, PropertyValue]:
        """Property name → value for every row (``ResUtilPropertyListFromParameterBlock``)."""
        return {item.name: getattr(self, item.attribute) for item in self.items()}

    # -- value-object protocol ----------------------------------------------------------------

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(
            f"{type(self).__qualname__} is immutable; use .evolve({name}=...) for a changed copy"
        )

    def __delattr__(self, name: str) -> None:
        raise AttributeError(
            f"{type(self).__qualname__} is immutable; use .evolve({name}=...) for a changed copy"
        )

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash((type(self), tuple(self.to_dict().items())))

    def __repr__(self) -> str:
        fields = ", ".join(f"{i.attribute}={getattr(self, i.attribute)!r}" for i in self.items())
        return f"{type(self).__qualname__}({fields})"

    @classmethod
    def _unknown(cls, key: str) -> PropertyError:
        known = ", ".join(repr(n) for n in cls.names()) or "none"
        return property_error(
            cls.__qualname__,
            key,
            "is not in the table",
            f"use one of the declared properties ({known})",
        )


def _same(stored: object, value: PropertyValue) -> bool:
    """Whether ``stored`` already holds ``value`` (a MULTI_SZ may be stored as a list)."""
    if isinstance(stored, list):
        stored = tuple(stored)
    return stored == value


# Unknown properties have no row, so any format may hold them: LARGE_INTEGER's lowest value
# up to ULARGE_INTEGER's highest.
_UNKNOWN_INT_RANGE: Final = (-(2**63), 2**64 - 1)


def _check_unknown(table: str, name: str, value: object) -> PropertyValue:
    """An unknown property is passed through if some CLUSPROP format can store it."""
    if isinstance(value, int):
        low, high = _UNKNOWN_INT_RANGE
        if not low <= value <= high:
            raise property_error(
                table, name, f"is {value!r}, outside {low}..{high}", "pass a 64-bit number"
            )
        return int(value)  # a bool is a DWORD 0/1 once stored
    if isinstance(value, str):
        _check_text(table, name, value)
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, (list, tuple)) and all(isinstance(s, str) for s in value):
        if not all(value):
            raise property_error(
                table,
                name,
                f"holds an empty entry: {value!r}",
                "pass non-empty strings only (MULTI_SZ cannot hold empty ones)",
            )
        for entry in value:
            _check_text(table, name, entry)
        return tuple(value)
    raise property_error(
        table,
        name,
        f"has a value of unstorable type {type(value).__name__}",
        "pass an int, str, bytes or a list of str",
    )
