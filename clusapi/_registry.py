"""The registry's vocabulary: typed values (:class:`RegValue`), key paths, snapshots and
write batches (:class:`Batch`), shared by the handles, the backends and the resource monitor.

The in-memory hive that stores them, :class:`clusapi._core._registry_tree.RegistryTree`, and
the rules it keeps (case, order, events, batches) are in the neutral layer; see
docs/cluster-api.md for the cluster database as users see it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, TypeAlias

import attrs

from clusapi._enums import RegCommand, RegValueType
from clusapi._errors import ClusterError, make_error
from clusapi._win32 import Win32Error

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = (
    "Batch",
    "BatchCommand",
    "RegData",
    "RegValue",
    "SubtreeSnapshot",
    "failed_command_of",
    "matches_registration",
    "split_key_path",
)

#: What :attr:`RegValue.data` holds: ``str`` for SZ/EXPAND_SZ, ``tuple[str, ...]`` for MULTI_SZ,
#: ``int`` for DWORD/QWORD, ``bytes`` for BINARY.
RegData: TypeAlias = str | tuple[str, ...] | int | bytes

_DWORD_MAX: Final = 0xFFFF_FFFF
_QWORD_MAX: Final = 2**64 - 1
#: Longest key-name component the registry accepts (characters).
_MAX_KEY_NAME: Final = 255
SEP: Final = "\\"

_STRING_TYPES: Final = frozenset({RegValueType.SZ, RegValueType.EXPAND_SZ})
_INT_TYPES: Final = frozenset({RegValueType.DWORD, RegValueType.QWORD})
_SUPPORTED_TYPES: Final = frozenset(
    {*_STRING_TYPES, *_INT_TYPES, RegValueType.BINARY, RegValueType.MULTI_SZ}
)


def invalid(message: str, *, fix: str | None = None) -> ClusterError:
    return make_error(Win32Error.ERROR_INVALID_PARAMETER, message, fix=fix)


def reg_name(kind: RegValueType) -> str:
    return f"REG_{kind.name}"


# ----------------------------------------------------------------------------------- values


@attrs.frozen
class RegValue:
    """One typed value of the cluster database: a ``REG_*`` type and its data.

    Example::

        >>> RegValue.from_python(1433)
        RegValue(type=<RegValueType.DWORD: 4>, data=1433)
        >>> RegValue.from_python(["a", "b"])
        RegValue(type=<RegValueType.MULTI_SZ: 7>, data=('a', 'b'))
        >>> RegValue.from_python("%SystemRoot%", RegValueType.EXPAND_SZ).type.name
        'EXPAND_SZ'

    Construction checks that the data fits the type (see :meth:`from_python`); the data is kept
    in its Python form and encoded to bytes only at the wire boundary.

    Raises:
        InvalidParameterError: ``ERROR_INVALID_PARAMETER`` if the data does not fit the type.
    """

    # Named after the C API's dwType; as a field it shadows nothing.
    type: RegValueType
    data: RegData

    def __attrs_post_init__(self) -> None:
        _check_data(self.type, self.data, None)

    @classmethod
    def from_python(
        cls,
        value: object,
        type: RegValueType | None = None,  # noqa: A002  (mirrors the field it fills)
        *,
        name: str | None = None,
    ) -> RegValue:
        """Build a value from plain Python data, inferring the type when none is given.

        Inference: ``str`` is SZ; a ``tuple`` or ``list`` of ``str`` is MULTI_SZ; an ``int`` is
        DWORD if it fits 0..0xFFFFFFFF, else QWORD if it fits 0..2**64-1; ``bytes`` (or
        ``bytearray``/``memoryview``) is BINARY. ``bool`` is refused rather than stored as 0/1.

        Args:
            value: the data.
            type: the ``REG_*`` type to store it as; checked against the data.
            name: the value's name, only to make error messages say which value was wrong.

        Raises:
            InvalidParameterError: ``ERROR_INVALID_PARAMETER`` if the data has no registry
                type, is out of range for it (DWORD 0..0xFFFFFFFF, QWORD 0..2**64-1), or is a
                string with a NUL (or, for MULTI_SZ, an empty string, which would end the list).
        """
        data = normalise(value)
        kind = _infer_type(data, name) if type is None else type
        _check_data(kind, data, name)
        return cls(kind, data)  # type: ignore[arg-type]  # _check_data proved the types


def _subject(name: str | None) -> str:
    return "registry value data" if name is None else f"data for registry value {name!r}"


def normalise(value: object) -> object:
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    if isinstance(value, list):
        return tuple(value)
    return value


def _infer_type(data: object, name: str | None) -> RegValueType:
    if isinstance(data, bool):
        raise invalid(
            f"{_subject(name)}: {data!r} is a bool, which the registry has no type for",
            fix="store 0 or 1 as an int (REG_DWORD)",
        )
    if isinstance(data, str):
        return RegValueType.SZ
    if isinstance(data, int):
        if 0 <= data <= _DWORD_MAX:
            return RegValueType.DWORD
        if 0 <= data <= _QWORD_MAX:
            return RegValueType.QWORD
        raise invalid(
            f"{_subject(name)}: {data!r} fits neither REG_DWORD (0..0xFFFFFFFF) nor REG_QWORD "
            "(0..2**64-1)",
            fix="registry integers are unsigned; store a negative number as its two's "
            "complement (-1 is 0xFFFFFFFF)",
        )
    if isinstance(data, bytes):
        return RegValueType.BINARY
    if isinstance(data, tuple):
        return RegValueType.MULTI_SZ
    raise invalid(
        f"{_subject(name)}: {data!r} ({type(data).__name__}) has no registry type",
        fix="use str (REG_SZ), int (REG_DWORD/REG_QWORD), bytes (REG_BINARY) or a list of "
        "str (REG_MULTI_SZ)",
    )


def _check_data(kind: object, data: object, name: str | None) -> None:
    subject = _subject(name)
    if not isinstance(kind, RegValueType) or kind not in _SUPPORTED_TYPES:
        raise invalid(
            f"{subject}: unsupported registry value type {kind!r}",
            fix="use RegValueType.SZ, EXPAND_SZ, BINARY, DWORD, MULTI_SZ or QWORD",
        )
    reg = reg_name(kind)
    if kind in _STRING_TYPES:
        if not isinstance(data, str):
            raise invalid(f"{subject}: {reg} needs a str, got {data!r}")
        # Any character but NUL, as in a Windows registry. Property values also refuse what
        # XML cannot hold (clusapi._properties.NOT_XML), for the Pacemaker CIB; the database
        # exists only on the reference runtime, so no backend stores less than it is given.
        if "\0" in data:
            raise invalid(
                f"{subject}: {reg} string {data!r} contains a NUL character",
                fix="remove the NUL; use REG_MULTI_SZ for a list of strings",
            )
    elif kind in _INT_TYPES:
        if kind is RegValueType.DWORD:
            top, top_text, wider = _DWORD_MAX, "0xFFFFFFFF", "use REG_QWORD for larger numbers; "
        else:
            top, top_text, wider = _QWORD_MAX, "2**64-1", "use REG_BINARY for larger numbers; "
        if isinstance(data, bool) or not isinstance(data, int):
            raise invalid(f"{subject}: {reg} needs an int, got {data!r}")
        if not 0 <= data <= top:
            raise invalid(
                f"{subject}: {data!r} is outside {reg}'s range 0..{top_text}",
                fix=f"{wider}store a negative number as its two's complement",
            )
    elif kind is RegValueType.BINARY:
        if not isinstance(data, bytes):
            raise invalid(f"{subject}: REG_BINARY needs bytes, got {data!r}")
    else:  # MULTI_SZ
        if not isinstance(data, tuple) or not all(isinstance(s, str) for s in data):
            raise invalid(
                f"{subject}: REG_MULTI_SZ needs a tuple of str, got {data!r}",
                fix="RegValue.from_python() also accepts a list",
            )
        for item in data:
            if not item or "\0" in item:
                raise invalid(
                    f"{subject}: REG_MULTI_SZ item {item!r} is empty or contains a NUL; "
                    "either would end the list early",
                    fix="drop empty strings and NUL characters from the list",
                )


# ------------------------------------------------------------------------------------ paths


def fold(name: str) -> str:
    """The registry's case-insensitive key for ``name``: a per-character upper-case mapping."""
    upper = name.upper()
    if len(upper) == len(name):  # no character expanded, so each mapped to exactly one
        return upper
    return "".join(c if len(u := c.upper()) != 1 else u for c in name)


def split_key_path(path: object, what: str = "key path") -> tuple[str, ...]:
    """The key names of a backslash-separated ``path`` (``""`` is the root: no names).

    The registry's one rule for key paths, also used to check a path before it is recorded
    (a registry checkpoint) rather than when it is first used.

    Raises:
        InvalidParameterError: ERROR_INVALID_PARAMETER for a non-str, an empty component
            (leading, trailing or doubled backslash), a NUL, or a key name longer than 255.
    """
    if not isinstance(path, str):
        raise invalid(
            f"{what} must be a str, got {path!r}",
            fix='write key paths as backslash-separated strings, such as "Resources\\\\abc"',
        )
    if path == "":
        return ()
    parts = tuple(path.split(SEP))
    for part in parts:
        if not part:
            raise invalid(
                f"{what} {path!r} has an empty component",
                fix="remove leading, trailing and doubled backslashes; the root is the empty "
                "path ''",
            )
        if "\0" in part or len(part) > _MAX_KEY_NAME:
            raise invalid(
                f"{what} {path!r}: key name {part!r} contains NUL or is longer than "
                f"{_MAX_KEY_NAME} characters",
                fix=f"remove the NUL; keep each key name to at most {_MAX_KEY_NAME} characters",
            )
    return parts


def check_value_name(name: object) -> str:
    if not isinstance(name, str):
        raise invalid(
            f"registry value name must be a str, got {name!r}", fix="'' names the default value"
        )
    if "\0" in name:
        raise invalid(f"registry value name {name!r} contains a NUL character")
    return name


def join(base: str, name: str) -> str:
    return f"{base}{SEP}{name}" if base else name


def matches_registration(registered_path: str, changed_path: str, subtree: bool) -> str | None:
    """Say whether a change at ``changed_path`` reaches a registration on ``registered_path``.

    Returns the changed key's name relative to the registered key, which is what a
    ``CLUSTER_CHANGE_REGISTRY_*`` event carries (research clusapi.md §2.7): ``""`` for a change
    at the registered key itself and, when ``subtree`` (``REGISTRY_SUBTREE``) is set, the
    relative path of a key anywhere below it. Returns ``None`` if the change is not reported.
    Names compare case-insensitively; the result keeps ``changed_path``'s case.

    Example::

        >>> matches_registration("Resources", "resources\\\\abc\\\\Parameters", subtree=True)
        'abc\\\\Parameters'
        >>> matches_registration("Resources", "Resources", subtree=False)
        ''
        >>> matches_registration("Resources", "Resources\\\\abc", subtree=False) is None
        True
        >>> matches_registration("Res", "Resources", subtree=True) is None
        True

    Raises:
        InvalidParameterError: ``ERROR_INVALID_PARAMETER`` if either path is malformed.
    """
    registered = split_key_path(registered_path, "registered key path")
    changed = split_key_path(changed_path, "changed key path")
    if len(changed) < len(registered):
        return None
    if any(fold(a) != fold(b) for a, b in zip(registered, changed, strict=False)):
        return None
    rest = changed[len(registered) :]
    if not rest:
        return ""
    return SEP.join(rest) if subtree else None


# ----------------------------------------------------------------------------- snapshots


@attrs.frozen
class SubtreeSnapshot:
    """A frozen deep copy of one key: its values, its subkeys' snapshots and its security.

    The key's own name is not part of it, so a snapshot can be restored under another path
    (:meth:`~clusapi._core._registry_tree.RegistryTree.restore`). Snapshots compare by
    content, including value order, so ``tree.snapshot(p) == saved`` says whether anything
    changed.

    Example::

        >>> from clusapi._core._registry_tree import RegistryTree
        >>> tree = RegistryTree()
        >>> tree.create_key("A\\\\B")
        True
        >>> tree.snapshot("A")
        SubtreeSnapshot(values=(), subkeys=(('B', SubtreeSnapshot(values=(), subkeys=(), \
security=None)),), security=None)
    """

    #: ``(name, value)`` pairs in enumeration order.
    values: tuple[tuple[str, RegValue], ...] = ()
    #: ``(name, snapshot)`` pairs in case-insensitive name order.
    subkeys: tuple[tuple[str, SubtreeSnapshot], ...] = ()
    #: The security descriptor set with :meth:`RegistryTree.set_key_security`, if any.
    security: bytes | None = None


def check_snapshot(snapshot: object, where: str) -> SubtreeSnapshot:
    if not isinstance(snapshot, SubtreeSnapshot):
        raise invalid(
            f"restore of {where!r} needs a SubtreeSnapshot, got {snapshot!r}",
            fix="take one with RegistryTree.snapshot()",
        )
    seen: set[str] = set()
    for entry in snapshot.values:
        name, value = entry
        check_value_name(name)
        if not isinstance(value, RegValue):
            raise invalid(f"snapshot value {name!r} under {where!r} is not a RegValue: {value!r}")
        if fold(name) in seen:
            raise invalid(f"snapshot of {where!r} names value {name!r} twice")
        seen.add(fold(name))
    seen.clear()
    for name, child in snapshot.subkeys:
        parts = split_key_path(name, "snapshot key name")
        if len(parts) != 1 or fold(name) in seen:
            raise invalid(f"snapshot of {where!r} has a bad or repeated subkey name {name!r}")
        seen.add(fold(name))
        check_snapshot(child, join(where, name))
    if snapshot.security is not None and not isinstance(snapshot.security, bytes):
        raise invalid(f"snapshot security of {where!r} must be bytes or None")
    return snapshot


# ------------------------------------------------------------------------------------ batches


@attrs.frozen
class BatchCommand:
    """One command of a write batch: mirrors ``CLUSTER_BATCH_COMMAND``.

    ``name`` is a key path relative to the batch's base key (``CREATE_KEY``, ``DELETE_KEY``,
    ``CONDITION_KEY_*``) or a value name in the current key (the others). ``value`` is the data
    of ``SET_VALUE`` and the operand of the ``CONDITION_IS_*`` comparisons. Commands are checked
    when the batch is committed, so that a bad one is reported with its index.
    """

    command: RegCommand
    name: str = ""
    value: RegValue | None = None


@attrs.frozen
class Batch:
    """An ordered, immutable list of write commands; mirrors ``ClusterRegCreateBatch`` plus
    ``ClusterRegBatchAddCommand``, and :meth:`RegistryTree.commit` mirrors
    ``ClusterRegCloseBatch(hBatch, TRUE, &failedCommandNumber)``.

    Each builder method returns a new batch with one more command::

        >>> batch = (
        ...     Batch()
        ...     .condition_key_not_exists("Locks\\\\abc")
        ...     .create_key("Locks\\\\abc")
        ...     .set_value("Owner", "N1")
        ... )
        >>> [c.command.name for c in batch]
        ['CONDITION_KEY_NOT_EXISTS', 'CREATE_KEY', 'SET_VALUE']
    """

    commands: tuple[BatchCommand, ...] = ()

    def __len__(self) -> int:
        return len(self.commands)

    def __iter__(self) -> Iterator[BatchCommand]:
        return iter(self.commands)

    def add(self, command: RegCommand, name: str = "", value: RegValue | None = None) -> Batch:
        """Append any command, as ``ClusterRegBatchAddCommand`` does."""
        return Batch((*self.commands, BatchCommand(command, name, value)))

    def _with_value(
        self,
        command: RegCommand,
        name: str,
        value: RegValue | object,
        type: RegValueType | None,  # noqa: A002
    ) -> Batch:
        if not isinstance(value, RegValue):
            value = RegValue.from_python(value, type, name=name)
        elif type is not None and value.type is not type:
            raise invalid(
                f"value {name!r} is a {reg_name(value.type)} RegValue but type "
                f"{reg_name(type)} was asked for",
                fix="pass either a RegValue or plain data with a type, not both",
            )
        return self.add(command, name, value)

    def create_key(self, name: str) -> Batch:
        """Create (or open) ``name`` under the base key and make it the current key."""
        return self.add(RegCommand.CREATE_KEY, name)

    def delete_key(self, name: str) -> Batch:
        """Delete ``name`` under the base key with everything below it; clears the current key."""
        return self.add(RegCommand.DELETE_KEY, name)

    def set_value(
        self,
        name: str,
        value: RegValue | object,
        type: RegValueType | None = None,  # noqa: A002
    ) -> Batch:
        """Set value ``name`` of the current key (plain data goes through
        :meth:`RegValue.from_python`, which may raise ``ERROR_INVALID_PARAMETER`` now)."""
        return self._with_value(RegCommand.SET_VALUE, name, value, type)

    def delete_value(self, name: str) -> Batch:
        """Delete value ``name`` of the current key, if it exists."""
        return self.add(RegCommand.DELETE_VALUE, name)

    def condition_exists(self, name: str) -> Batch:
        """Fail the batch unless the current key has value ``name``."""
        return self.add(RegCommand.CONDITION_EXISTS, name)

    def condition_not_exists(self, name: str) -> Batch:
        """Fail the batch if the current key has value ``name``."""
        return self.add(RegCommand.CONDITION_NOT_EXISTS, name)

    def condition_is_equal(
        self,
        name: str,
        value: RegValue | object,
        type: RegValueType | None = None,  # noqa: A002
    ) -> Batch:
        """Fail the batch unless value ``name`` has exactly this type and data."""
        return self._with_value(RegCommand.CONDITION_IS_EQUAL, name, value, type)

    def condition_is_not_equal(
        self,
        name: str,
        value: RegValue | object,
        type: RegValueType | None = None,  # noqa: A002
    ) -> Batch:
        """Fail the batch if value ``name`` has exactly this type and data (or is missing)."""
        return self._with_value(RegCommand.CONDITION_IS_NOT_EQUAL, name, value, type)

    def condition_is_greater_than(
        self,
        name: str,
        value: RegValue | object,
        type: RegValueType | None = None,  # noqa: A002
    ) -> Batch:
        """Fail the batch unless value ``name`` is of this type and greater than ``value``."""
        return self._with_value(RegCommand.CONDITION_IS_GREATER_THAN, name, value, type)

    def condition_is_less_than(
        self,
        name: str,
        value: RegValue | object,
        type: RegValueType | None = None,  # noqa: A002
    ) -> Batch:
        """Fail the batch unless value ``name`` is of this type and less than ``value``."""
        return self._with_value(RegCommand.CONDITION_IS_LESS_THAN, name, value, type)

    def condition_key_exists(self, name: str) -> Batch:
        """Fail the batch unless key ``name`` exists under the base key."""
        return self.add(RegCommand.CONDITION_KEY_EXISTS, name)

    def condition_key_not_exists(self, name: str) -> Batch:
        """Fail the batch if key ``name`` exists under the base key."""
        return self.add(RegCommand.CONDITION_KEY_NOT_EXISTS, name)


def failed_command_of(error: BaseException) -> int | None:
    """The ``failed_command`` index a failed :meth:`RegistryTree.commit` put on its error."""
    index = getattr(error, "failed_command", None)
    return index if isinstance(index, int) else None
