"""The cluster database as a plain in-memory tree: keys, typed values, snapshots and write batches.

One :class:`RegistryTree` models a registry hive: the runtime keeps one for the replicated
cluster database (``GetClusterKey`` and the ``ClusterReg*`` calls, research clusapi.md §2.8) and
one per node for the node's local registry that registry checkpoints restore into (§7.9). Nothing
here does I/O or touches an event loop: changes are reported synchronously to one optional
listener after they are committed, and the runtime turns them into ``CLUSTER_CHANGE_REGISTRY_*``
events on its notification ports, filtering with :func:`matches_registration` (§2.7).

The conventions (paths, case-insensitive names, enumeration order, errors, change events,
versions) and the write-batch semantics of [MS-CMRP] ``ApiExecuteBatch``: docs/architecture.md,
"The registry hive's conventions".
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Final, Protocol, TypeAlias

import attrs

from clusapi._enums import ClusterChange, RegCommand
from clusapi._errors import ClusterError, make_error
from clusapi._registry import (
    SEP,
    Batch,
    BatchCommand,
    RegValue,
    SubtreeSnapshot,
    check_snapshot,
    check_value_name,
    fold,
    invalid,
    join,
    normalise,
    reg_name,
    split_key_path,
)
from clusapi._win32 import Win32Error

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

__all__ = ("ChangeListener", "RegistryTree")

_COMPARISONS: Final = frozenset(
    {
        RegCommand.CONDITION_IS_EQUAL,
        RegCommand.CONDITION_IS_NOT_EQUAL,
        RegCommand.CONDITION_IS_GREATER_THAN,
        RegCommand.CONDITION_IS_LESS_THAN,
    }
)

_Event: TypeAlias = tuple[ClusterChange, str, str | None]


def _ordered(stored: RegValue, given: RegValue) -> int | None:
    """-1, 0 or 1 comparing ``stored`` with ``given``; ``None`` if their types differ."""
    if stored.type is not given.type:
        return None
    a, b = stored.data, given.data
    # Same type, so same Python type: int, str, bytes or tuple[str, ...], all totally ordered.
    return (a > b) - (a < b)  # type: ignore[operator]


# -------------------------------------------------------------------------------------- tree


class ChangeListener(Protocol):
    """Called after each committed change: ``(kind, key_path, value_name)``.

    ``kind`` is ``ClusterChange.REGISTRY_NAME``, ``REGISTRY_VALUE`` or ``REGISTRY_ATTRIBUTES``;
    ``key_path`` is the changed key in its stored case; ``value_name`` is the value's name for
    ``REGISTRY_VALUE`` and ``None`` otherwise.
    """

    def __call__(self, kind: ClusterChange, path: str, name: str | None, /) -> None: ...


@attrs.define(eq=False)
class _Key:
    """One key of the tree (mutable): its stored name, subkeys, values and security descriptor."""

    name: str
    #: folded name -> subkey
    subkeys: dict[str, _Key] = attrs.field(factory=dict)
    #: folded name -> (stored name, value), in first-written order
    values: dict[str, tuple[str, RegValue]] = attrs.field(factory=dict)
    security: bytes | None = None

    def clone(self) -> _Key:
        return _Key(
            self.name,
            {f: k.clone() for f, k in self.subkeys.items()},
            dict(self.values),
            self.security,
        )

    def walk_post_order(self, path: str) -> Iterator[str]:
        for child in self.sorted_subkeys():
            yield from child.walk_post_order(join(path, child.name))
        yield path

    def sorted_subkeys(self) -> list[_Key]:
        return [self.subkeys[f] for f in sorted(self.subkeys)]

    def freeze(self) -> SubtreeSnapshot:
        return SubtreeSnapshot(
            values=tuple(self.values.values()),
            subkeys=tuple((k.name, k.freeze()) for k in self.sorted_subkeys()),
            security=self.security,
        )


def _put_subkey(parent: _Key, folded: str, child: _Key | None) -> None:
    if child is None:
        del parent.subkeys[folded]
    else:
        parent.subkeys[folded] = child


def _put_value(key: _Key, folded: str, entry: tuple[str, RegValue] | None) -> None:
    if entry is None:
        del key.values[folded]
    else:
        key.values[folded] = entry


class _Txn:
    """The undo log and the pending events of one atomic change.

    Undo steps run in reverse order, so each one sees the state its change left behind. They
    must look attributes up when they run (``key.values`` may have been replaced by a later
    step's undo), never capture bound methods of containers.
    """

    __slots__ = ("events", "undo")

    def __init__(self) -> None:
        self.events: list[_Event] = []
        self.undo: list[Callable[[], object]] = []


@attrs.define(eq=False)
class RegistryTree:
    """A registry hive in memory: the cluster database, or one node's local registry.

    Example::

        >>> seen = []
        >>> tree = RegistryTree(on_change=lambda *event: seen.append(event))
        >>> tree.create_key("Groups\\\\G1")
        True
        >>> tree.set_value("Groups\\\\G1", "Name", RegValue.from_python("SQL"))
        >>> [(kind.name, path, name) for kind, path, name in seen]
        [('REGISTRY_NAME', 'Groups', None), ('REGISTRY_NAME', 'Groups\\\\G1', None), \
('REGISTRY_VALUE', 'Groups\\\\G1', 'Name')]
        >>> tree.version
        3

    Names compare case-insensitively, and a batch is all or nothing::

        >>> tree = RegistryTree()
        >>> tree.create_key("Resources\\\\abc\\\\Parameters")
        True
        >>> tree.set_value("Resources\\\\abc\\\\Parameters", "Port", RegValue.from_python(1433))
        >>> tree.query_value("RESOURCES\\\\ABC\\\\parameters", "port")
        RegValue(type=<RegValueType.DWORD: 4>, data=1433)
        >>> tree.commit("Resources", Batch().create_key("abc").condition_exists("Missing"))
        Traceback (most recent call last):
        ...
        clusapi.RegistryEntryNotFoundError: batch command 1 (CONDITION_EXISTS 'Missing') \
failed: key 'Resources\\\\abc' has no value 'Missing' in the cluster database \
(ERROR_FILE_NOT_FOUND, 2)

    Not thread-safe: the runtime owns it and calls it from one task at a time. The listener runs
    synchronously after the change is committed; if it raises, the exception propagates to the
    caller (the change stays made, and the remaining events of that change are not delivered).

    Args:
        on_change: the :class:`ChangeListener` told about every committed change.
        label: how error messages name this tree (``"the local registry of node 'N1'"``).
    """

    on_change: ChangeListener | None = None
    label: str = "the cluster database"
    #: Called before every change is applied (the runtime uses it to copy the database for
    #: nodes that are down only when it is about to change, not each time one goes down).
    before_change: Callable[[], None] | None = None
    _root: _Key = attrs.field(init=False, factory=lambda: _Key(""), repr=False)
    _version: int = attrs.field(init=False, default=0)

    @property
    def version(self) -> int:
        """How many changes the tree has seen; grows by one per change event."""
        return self._version

    # ------------------------------------------------------------------ reading

    def key_exists(self, path: str) -> bool:
        """Whether the key at ``path`` exists (the root always does).

        Raises:
            InvalidParameterError: ``ERROR_INVALID_PARAMETER`` for a malformed path.
        """
        return self._find(split_key_path(path)) is not None

    def enum_keys(self, path: str) -> list[str]:
        """The names of the key's direct subkeys, in case-insensitive order (``ClusterRegEnumKey``).

        Raises:
            RegistryEntryNotFoundError: ``ERROR_FILE_NOT_FOUND`` if the key does not exist.
            InvalidParameterError: ``ERROR_INVALID_PARAMETER`` for a malformed path.
        """
        return [k.name for k in self._key(path)[0].sorted_subkeys()]

    def enum_values(self, path: str) -> list[tuple[str, RegValue]]:
        """The key's ``(name, value)`` pairs in first-written order (``ClusterRegEnumValue``).

        Raises:
            RegistryEntryNotFoundError: ``ERROR_FILE_NOT_FOUND`` if the key does not exist.
            InvalidParameterError: ``ERROR_INVALID_PARAMETER`` for a malformed path.
        """
        return list(self._key(path)[0].values.values())

    def query_value(self, path: str, name: str) -> RegValue:
        """The value ``name`` of the key at ``path`` (``ClusterRegQueryValue``).

        Raises:
            RegistryEntryNotFoundError: ``ERROR_FILE_NOT_FOUND`` if the key or the value does not
                exist.
            InvalidParameterError: ``ERROR_INVALID_PARAMETER`` for a malformed path or name.
        """
        return self._value(path, name)[2][1]

    def get_key_security(self, path: str) -> bytes | None:
        """The security descriptor stored by :meth:`set_key_security`, or ``None``.

        Raises:
            RegistryEntryNotFoundError: ``ERROR_FILE_NOT_FOUND`` if the key does not exist.
        """
        return self._key(path)[0].security

    def snapshot(self, path: str) -> SubtreeSnapshot:
        """A frozen deep copy of the key at ``path`` and everything below it.

        Raises:
            RegistryEntryNotFoundError: ``ERROR_FILE_NOT_FOUND`` if the key does not exist.
            InvalidParameterError: ``ERROR_INVALID_PARAMETER`` for a malformed path.
        """
        return self._key(path)[0].freeze()

    def copy(
        self, *, on_change: ChangeListener | None = None, label: str | None = None
    ) -> RegistryTree:
        """An independent deep copy (for a node that rejoins), with the same :attr:`version`.

        The listener is not copied: pass the copy's own ``on_change``.
        """
        twin = RegistryTree(on_change=on_change, label=self.label if label is None else label)
        twin._root = self._root.clone()
        twin._version = self._version
        return twin

    # ------------------------------------------------------------------ writing

    def create_key(self, path: str) -> bool:
        """Create the key at ``path`` and any missing parents (``ClusterRegCreateKey``).

        Returns:
            ``True`` if the key was created, ``False`` if it existed already (then nothing
            changes).

        Raises:
            InvalidParameterError: ``ERROR_INVALID_PARAMETER`` for a malformed path.
        """
        parts = split_key_path(path)
        with self._transaction() as txn:
            _, _, created = self._create_chain(txn, self._root, "", parts)
        return created

    def delete_key(self, path: str) -> None:
        """Delete the key at ``path``, which must have no subkeys (``ClusterRegDeleteKey``).

        Its values go with it.

        Raises:
            RegistryEntryNotFoundError: ``ERROR_FILE_NOT_FOUND`` if the key does not exist.
            ClusterError: ``ERROR_ACCESS_DENIED`` (5) if the key has subkeys, as ``RegDeleteKey``
                reports it.
            InvalidParameterError: ``ERROR_INVALID_PARAMETER`` for a malformed path or the root.
        """
        parts = self._deletable(path)
        chain = self._chain_or_raise(parts)
        if chain[-1].subkeys:
            raise make_error(
                Win32Error.ERROR_ACCESS_DENIED,
                f"key {self._path_of(chain)!r} in {self.label} has subkeys "
                f"({', '.join(repr(n) for n in self.enum_keys(path))}) and cannot be deleted",
                fix="delete the subkeys first, or use delete_tree()",
            )
        with self._transaction() as txn:
            self._delete_child(txn, chain[-2], self._path_of(chain))

    def delete_tree(self, path: str) -> None:
        """Delete the key at ``path`` with all its subkeys and values (``RegDeleteTree``).

        Raises:
            RegistryEntryNotFoundError: ``ERROR_FILE_NOT_FOUND`` if the key does not exist.
            InvalidParameterError: ``ERROR_INVALID_PARAMETER`` for a malformed path or the root.
        """
        chain = self._chain_or_raise(self._deletable(path))
        with self._transaction() as txn:
            self._delete_child(txn, chain[-2], self._path_of(chain))

    def set_value(self, path: str, name: str, value: RegValue) -> None:
        """Set value ``name`` of the existing key at ``path`` (``ClusterRegSetValue``).

        An existing value keeps the case of its name.

        Raises:
            RegistryEntryNotFoundError: ``ERROR_FILE_NOT_FOUND`` if the key does not exist.
            InvalidParameterError: ``ERROR_INVALID_PARAMETER`` for a malformed path or name, or if
                ``value`` is not a :class:`RegValue`.
        """
        key, canonical = self._key(path)
        check_value_name(name)
        _check_reg_value(value, name)
        with self._transaction() as txn:
            self._set(txn, key, canonical, name, value)

    def delete_value(self, path: str, name: str) -> None:
        """Delete value ``name`` of the key at ``path`` (``ClusterRegDeleteValue``).

        Raises:
            RegistryEntryNotFoundError: ``ERROR_FILE_NOT_FOUND`` if the key or the value does not
                exist.
            InvalidParameterError: ``ERROR_INVALID_PARAMETER`` for a malformed path or name.
        """
        key, canonical, _ = self._value(path, name)
        with self._transaction() as txn:
            self._unset(txn, key, canonical, name)

    def set_key_security(self, path: str, descriptor: bytes | bytearray | memoryview) -> None:
        """Store a security descriptor on the key (``ClusterRegSetKeySecurity``).

        The bytes are kept as given (self-relative ``SECURITY_DESCRIPTOR``; not parsed) and fire
        ``REGISTRY_ATTRIBUTES``.

        Raises:
            RegistryEntryNotFoundError: ``ERROR_FILE_NOT_FOUND`` if the key does not exist.
            InvalidParameterError: ``ERROR_INVALID_PARAMETER`` if ``descriptor`` is not bytes.
        """
        key, canonical = self._key(path)
        data = normalise(descriptor)
        if not isinstance(data, bytes):
            raise invalid(
                f"security descriptor for key {canonical!r} must be bytes, got {descriptor!r}"
            )
        with self._transaction() as txn:
            self._secure(txn, key, canonical, data)

    def restore(self, path: str, snapshot: SubtreeSnapshot) -> None:
        """Make the subtree at ``path`` equal to ``snapshot``, creating the key if needed.

        Used for registry checkpoints: whatever was edited since the snapshot was taken is
        overwritten. Only the differences are applied, each with its change event: keys missing
        from the snapshot are deleted, new ones created, names whose case differs renamed
        (``REGISTRY_NAME``), values set or deleted, security replaced.

        Raises:
            InvalidParameterError: ``ERROR_INVALID_PARAMETER`` for a malformed path or snapshot
                (nothing is changed then).
        """
        parts = split_key_path(path)
        check_snapshot(snapshot, path)
        with self._transaction() as txn:
            key, canonical, _ = self._create_chain(txn, self._root, "", parts)
            self._restore(txn, key, canonical, snapshot)

    def commit(self, base_path: str, commands: Batch | Iterable[BatchCommand]) -> None:
        """Run a write batch against the key at ``base_path``: all of it, or none of it.

        Mirrors ``ClusterRegCloseBatch(hBatch, TRUE, &failedCommandNumber)``; see the module
        docstring for the command semantics. Change events fire only after the whole batch has
        been applied, one per change, in order.

        Raises:
            ClusterError: the failing command's error (``ERROR_FILE_NOT_FOUND``,
                ``ERROR_ALREADY_EXISTS``, ``ERROR_INVALID_STATE``, ``ERROR_INVALID_PARAMETER``),
                with ``failed_command`` set to its 0-based index, or to ``-1`` if the base key
                is malformed or missing. The tree is then exactly as it was.
        """
        try:
            base_parts = split_key_path(base_path, "batch base key path")
            base_chain = self._chain_or_raise(base_parts)
        except ClusterError as exc:
            raise _batch_error(exc, -1, None) from None
        base_key, base_canonical = base_chain[-1], self._path_of(base_chain)
        with self._transaction() as txn:
            current: tuple[_Key, str] | None = (base_key, base_canonical)
            for index, command in enumerate(commands):
                try:
                    current = self._execute(txn, base_key, base_canonical, current, command)
                except ClusterError as exc:
                    raise _batch_error(exc, index, command) from None

    # ------------------------------------------------------------------ internals: lookup

    def _find(self, parts: Sequence[str]) -> list[_Key] | None:
        return self._find_under(self._root, parts)

    @staticmethod
    def _path_of(chain: Sequence[_Key]) -> str:
        return SEP.join(k.name for k in chain[1:])

    def _chain_or_raise(self, parts: Sequence[str]) -> list[_Key]:
        chain = self._find(parts)
        if chain is None:
            raise make_error(
                Win32Error.ERROR_FILE_NOT_FOUND,
                f"no key {SEP.join(parts)!r} in {self.label}",
                fix="create it with create_key() first",
            )
        return chain

    def _key(self, path: str) -> tuple[_Key, str]:
        chain = self._chain_or_raise(split_key_path(path))
        return chain[-1], self._path_of(chain)

    def _deletable(self, path: str) -> tuple[str, ...]:
        parts = split_key_path(path)
        if not parts:
            raise invalid(
                f"the root key of {self.label} cannot be deleted",
                fix="delete its subkeys, or restore('', SubtreeSnapshot()) to empty the tree",
            )
        return parts

    def _value(self, path: str, name: str) -> tuple[_Key, str, tuple[str, RegValue]]:
        """The key at ``path``, its canonical path and its value ``name`` (stored name, value);
        ERROR_FILE_NOT_FOUND if either is missing, ERROR_INVALID_PARAMETER if malformed."""
        key, canonical = self._key(path)
        entry = key.values.get(fold(check_value_name(name)))
        if entry is None:
            raise self._no_value(canonical, name)
        return key, canonical, entry

    def _no_value(self, canonical: str, name: str) -> ClusterError:
        return make_error(
            Win32Error.ERROR_FILE_NOT_FOUND,
            f"key {canonical!r} has no value {name!r} in {self.label}",
        )

    # ------------------------------------------------------------------ internals: changes

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[_Txn]:
        """Apply changes atomically: undo them all on any error, else count and announce them."""
        if self.before_change is not None:
            self.before_change()
        txn = _Txn()
        try:
            yield txn
        except BaseException:
            for undo in reversed(txn.undo):
                undo()
            raise
        self._version += len(txn.events)
        listener = self.on_change
        if listener is not None:
            for kind, path, name in txn.events:
                listener(kind, path, name)

    def _create_chain(
        self, txn: _Txn, start: _Key, start_path: str, parts: Sequence[str]
    ) -> tuple[_Key, str, bool]:
        key, path, created = start, start_path, False
        for part in parts:
            folded = fold(part)
            child = key.subkeys.get(folded)
            if child is None:
                child = key.subkeys[folded] = _Key(part)
                txn.undo.append(functools.partial(_put_subkey, key, folded, None))
                txn.events.append((ClusterChange.REGISTRY_NAME, join(path, part), None))
                created = True
            key, path = child, join(path, child.name)
        return key, path, created

    def _delete_child(self, txn: _Txn, parent: _Key, path: str) -> None:
        folded = fold(path.rsplit(SEP, 1)[-1])
        child = parent.subkeys.pop(folded)
        txn.undo.append(functools.partial(_put_subkey, parent, folded, child))
        txn.events.extend(
            (ClusterChange.REGISTRY_NAME, p, None) for p in child.walk_post_order(path)
        )

    def _set(self, txn: _Txn, key: _Key, path: str, name: str, value: RegValue) -> None:
        folded = fold(name)
        old = key.values.get(folded)
        stored_name = name if old is None else old[0]
        key.values[folded] = (stored_name, value)
        txn.undo.append(functools.partial(_put_value, key, folded, old))
        txn.events.append((ClusterChange.REGISTRY_VALUE, path, stored_name))

    def _unset(self, txn: _Txn, key: _Key, path: str, name: str) -> None:
        saved = dict(key.values)  # re-inserting would move the value to the end
        stored_name, _ = key.values.pop(fold(name))
        txn.undo.append(functools.partial(setattr, key, "values", saved))
        txn.events.append((ClusterChange.REGISTRY_VALUE, path, stored_name))

    def _secure(self, txn: _Txn, key: _Key, path: str, descriptor: bytes | None) -> None:
        old = key.security
        key.security = descriptor
        txn.undo.append(functools.partial(setattr, key, "security", old))
        txn.events.append((ClusterChange.REGISTRY_ATTRIBUTES, path, None))

    def _restore(self, txn: _Txn, key: _Key, path: str, snapshot: SubtreeSnapshot) -> None:
        if key.security != snapshot.security:
            self._secure(txn, key, path, snapshot.security)
        # Values: announce each one deleted or different, then adopt the snapshot's order.
        wanted = {fold(n): (n, v) for n, v in snapshot.values}
        for folded, (name, _) in list(key.values.items()):
            if folded not in wanted:
                self._unset(txn, key, path, name)
        for folded, entry in wanted.items():
            if key.values.get(folded) != entry:
                txn.events.append((ClusterChange.REGISTRY_VALUE, path, entry[0]))
        if list(key.values.values()) != list(snapshot.values):
            saved = key.values
            key.values = dict(wanted)
            txn.undo.append(functools.partial(setattr, key, "values", saved))
        # Subkeys: delete the extra ones, rename by case, create the missing ones, recurse.
        wanted_keys = {fold(n): (n, s) for n, s in snapshot.subkeys}
        for child in key.sorted_subkeys():
            if fold(child.name) not in wanted_keys:
                self._delete_child(txn, key, join(path, child.name))
        for folded, (name, sub_snapshot) in wanted_keys.items():
            existing = key.subkeys.get(folded)
            if existing is None:
                sub, sub_path, _ = self._create_chain(txn, key, path, (name,))
            else:
                sub, sub_path = existing, join(path, name)
                if sub.name != name:
                    txn.undo.append(functools.partial(setattr, sub, "name", sub.name))
                    sub.name = name
                    txn.events.append((ClusterChange.REGISTRY_NAME, sub_path, None))
            self._restore(txn, sub, sub_path, sub_snapshot)

    # ------------------------------------------------------------------ internals: batches

    def _execute(
        self,
        txn: _Txn,
        base: _Key,
        base_path: str,
        current: tuple[_Key, str] | None,
        command: object,
    ) -> tuple[_Key, str] | None:
        """Run one batch command; return the new current key (``None`` once cleared)."""
        if not isinstance(command, BatchCommand):
            raise invalid(f"{command!r} is not a BatchCommand")
        try:
            kind = RegCommand(command.command)
        except ValueError:
            raise invalid(f"{command.command!r} is not a CLUSTER_REG_COMMAND") from None
        name = command.name
        if kind is RegCommand.CREATE_KEY:
            key, path, _ = self._create_chain(
                txn, base, base_path, split_key_path(name, "CREATE_KEY name")
            )
            return key, path
        if kind is RegCommand.DELETE_KEY:
            parts = split_key_path(name, "DELETE_KEY name")
            if not parts:
                raise invalid(
                    "DELETE_KEY needs the path of a key under the batch's base key, got ''",
                    fix="a batch cannot delete its own base key; run it against the parent",
                )
            chain = self._find_under(base, parts)
            if chain is not None:
                self._delete_child(txn, chain[-2], join(base_path, self._path_of(chain)))
            return None
        if kind in (RegCommand.CONDITION_KEY_EXISTS, RegCommand.CONDITION_KEY_NOT_EXISTS):
            parts = split_key_path(name, f"{kind.name} name")
            chain = self._find_under(base, parts)
            full = join(base_path, SEP.join(parts))
            if kind is RegCommand.CONDITION_KEY_EXISTS and chain is None:
                raise make_error(
                    Win32Error.ERROR_FILE_NOT_FOUND, f"no key {full!r} in {self.label}"
                )
            if kind is RegCommand.CONDITION_KEY_NOT_EXISTS and chain is not None:
                raise make_error(
                    Win32Error.ERROR_ALREADY_EXISTS, f"key {full!r} exists in {self.label}"
                )
            return current
        if kind not in _VALUE_COMMANDS:
            raise invalid(
                f"{kind!r} is not a write-batch command",
                fix="use CREATE_KEY, DELETE_KEY, SET_VALUE, DELETE_VALUE or a CONDITION_* command",
            )
        if current is None:
            raise invalid(
                f"{kind.name} {name!r} follows a DELETE_KEY, which cleared the current key",
                fix="add a CREATE_KEY command first to say which key the value belongs to",
            )
        key, path = current
        check_value_name(name)
        entry = key.values.get(fold(name))
        if kind is RegCommand.SET_VALUE:
            self._set(txn, key, path, name, _check_reg_value(command.value, name))
        elif kind is RegCommand.DELETE_VALUE:
            if entry is not None:
                self._unset(txn, key, path, name)
        elif kind is RegCommand.CONDITION_EXISTS:
            if entry is None:
                raise self._no_value(path, name)
        elif kind is RegCommand.CONDITION_NOT_EXISTS:
            if entry is not None:
                raise make_error(
                    Win32Error.ERROR_ALREADY_EXISTS,
                    f"key {path!r} has a value {entry[0]!r} in {self.label}",
                )
        else:
            given = _check_reg_value(command.value, name)
            if entry is None:
                raise self._no_value(path, name)
            _compare(kind, path, entry[0], entry[1], given, self.label)
        return current

    @staticmethod
    def _find_under(base: _Key, parts: Sequence[str]) -> list[_Key] | None:
        chain = [base]
        for part in parts:
            child = chain[-1].subkeys.get(fold(part))
            if child is None:
                return None
            chain.append(child)
        return chain


_VALUE_COMMANDS: Final = frozenset(
    {
        RegCommand.SET_VALUE,
        RegCommand.DELETE_VALUE,
        RegCommand.CONDITION_EXISTS,
        RegCommand.CONDITION_NOT_EXISTS,
        *_COMPARISONS,
    }
)


def _check_reg_value(value: object, name: str) -> RegValue:
    if not isinstance(value, RegValue):
        raise invalid(
            f"data for registry value {name!r} must be a RegValue, got {value!r}",
            fix="wrap it: RegValue.from_python(data)",
        )
    return value


def _compare(
    kind: RegCommand, path: str, name: str, stored: RegValue, given: RegValue, label: str
) -> None:
    if kind is RegCommand.CONDITION_IS_EQUAL:
        holds, relation = stored == given, "equal to"
    elif kind is RegCommand.CONDITION_IS_NOT_EQUAL:
        holds, relation = stored != given, "different from"
    else:
        order = _ordered(stored, given)
        want = 1 if kind is RegCommand.CONDITION_IS_GREATER_THAN else -1
        holds = order == want
        relation = "greater than" if want == 1 else "less than"
        if order is None:
            relation += (
                f" (a {reg_name(stored.type)} cannot be ordered against a {reg_name(given.type)})"
            )
    if not holds:
        raise make_error(
            Win32Error.ERROR_INVALID_STATE,
            f"value {name!r} of key {path!r} in {label} is {stored.data!r} "
            f"({reg_name(stored.type)}), not {relation} {given.data!r} ({reg_name(given.type)})",
        )


def _batch_error(exc: ClusterError, index: int, command: object) -> ClusterError:
    if isinstance(command, BatchCommand):
        what = f"batch command {index} ({_command_name(command.command)} {command.name!r})"
    elif index >= 0:
        what = f"batch command {index}"
    else:
        what = "batch"
    error = make_error(exc.winerror, f"{what} failed: {exc.description}", fix=exc.fix)
    # ClusterError declares no failed_command field (clusapi/_errors.py is shared); the instance
    # dict carries it, and ClusterError.__reduce__ keeps it across pickling.
    error.__dict__["failed_command"] = index
    return error


def _command_name(command: object) -> str:
    return command.name if isinstance(command, RegCommand) else repr(command)
