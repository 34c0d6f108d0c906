"""Cluster control codes, composed exactly as clusapi.h's ``CLCTL_*``/``CLUSCTL_*`` macros do.

A control code is a 32-bit number that names an object kind, an operation and how it touches
the object (research clusapi.md §2.9; the diagram is the header's own)::

     31      24 23 22 21 20 19                                     2 1    0
    +----------+--+--+--+--+----------------------------------------+------+
    |  OBJECT  |G |M |U |I |               FUNCTION                 |ACCESS|
    +----------+--+--+--+--+----------------------------------------+------+

    OBJECT    CLUS_OBJECT_* (ControlObject)          G  CLCTL_GLOBAL_MASK: run on every node
    FUNCTION  CLCTL function number (18 bits)        M  CLCTL_MODIFY_MASK: changes the object
    ACCESS    CLUS_ACCESS_ANY/READ/WRITE             U  CLCTL_USER_MASK
                                                     I  CLCTL_INTERNAL_MASK: service-to-DLL only

:func:`compose_control_code` and :func:`decompose_control_code` are the only places that know
the layout; every :class:`ControlCode` member is built by :func:`compose_control_code`, so the
table below cannot disagree with the arithmetic. Example::

    >>> hex(ControlCode.RESOURCE_SET_COMMON_PROPERTIES)
    '0x140005e'
    >>> ControlCode.RESOURCE_SET_COMMON_PROPERTIES.parts.access
    <ControlAccess.WRITE: 2>
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Final, TypeVar

import attrs

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = (
    "ControlAccess",
    "ControlCode",
    "ControlCodeParts",
    "ControlFunction",
    "ControlObject",
    "InternalControlFunction",
    "compose_control_code",
    "decompose_control_code",
    "user_control_code",
)

# The header's shifts (CLUSCTL_ACCESS_SHIFT, CLUSCTL_FUNCTION_SHIFT, CLCTL_*_SHIFT,
# CLUSCTL_OBJECT_SHIFT) and the widths they imply.
_ACCESS_SHIFT: Final = 0
_FUNCTION_SHIFT: Final = 2
_INTERNAL_SHIFT: Final = 20
_USER_SHIFT: Final = 21
_MODIFY_SHIFT: Final = 22
_GLOBAL_SHIFT: Final = 23
_OBJECT_SHIFT: Final = 24

_ACCESS_MAX: Final = 0x3  # CLUSCTL_ACCESS_MODE_MASK
_FUNCTION_MAX: Final = (1 << (_INTERNAL_SHIFT - _FUNCTION_SHIFT)) - 1  # bits 2-19: 0x3FFFF
_OBJECT_MAX: Final = 0xFF  # CLUSCTL_OBJECT_MASK
_CODE_MAX: Final = 0xFFFFFFFF  # a DWORD

_USER_BASE: Final = 1 << _USER_SHIFT  # CLCTL_USER_BASE


class ControlObject(enum.IntEnum):
    """Mirrors `CLUSTER_CONTROL_OBJECT` (clusapi.h).

    The object kind in the top byte of a control code.
    """

    INVALID = 0  # CLUS_OBJECT_INVALID: what an object-less CLCTL_* code decomposes to
    RESOURCE = 1
    RESOURCE_TYPE = 2
    GROUP = 3
    NODE = 4
    NETWORK = 5
    NETINTERFACE = 6
    CLUSTER = 7
    USER = 128  # the first object number a resource DLL may define


class ControlAccess(enum.IntEnum):
    """Mirrors the `CLUS_ACCESS_*` modes (clusapi.h).

    The handle access a control code needs, in its low two bits.
    """

    ANY = 0
    READ = 1
    WRITE = 2


class ControlFunction(enum.IntEnum):
    """Mirrors the function numbers of the external `CLCTL_CODES` (clusapi.h).

    The ``Function`` argument of ``CLCTL_EXTERNAL_CODE``: what a client-callable control code
    does, independent of the object it is sent to. Internal codes number their functions
    separately (:class:`InternalControlFunction`), so the two enums overlap.
    """

    UNKNOWN = 0
    GET_CHARACTERISTICS = 1
    GET_FLAGS = 2
    GET_CLASS_INFO = 3
    GET_REQUIRED_DEPENDENCIES = 4
    GET_ARB_TIMEOUT = 5
    GET_NAME = 10
    GET_RESOURCE_TYPE = 11
    GET_NODE = 12
    GET_NETWORK = 13
    GET_ID = 14
    GET_FQDN = 15
    GET_CLUSTER_SERVICE_ACCOUNT_NAME = 16
    CHECK_VOTER_EVICT = 17
    CHECK_VOTER_DOWN = 18
    SHUTDOWN = 19
    ENUM_COMMON_PROPERTIES = 20
    GET_RO_COMMON_PROPERTIES = 21
    GET_COMMON_PROPERTIES = 22
    SET_COMMON_PROPERTIES = 23
    VALIDATE_COMMON_PROPERTIES = 24
    GET_COMMON_PROPERTY_FMTS = 25
    GET_COMMON_RESOURCE_PROPERTY_FMTS = 26
    ENUM_PRIVATE_PROPERTIES = 30
    GET_RO_PRIVATE_PROPERTIES = 31
    GET_PRIVATE_PROPERTIES = 32
    SET_PRIVATE_PROPERTIES = 33
    VALIDATE_PRIVATE_PROPERTIES = 34
    GET_PRIVATE_PROPERTY_FMTS = 35
    GET_PRIVATE_RESOURCE_PROPERTY_FMTS = 36
    ADD_REGISTRY_CHECKPOINT = 40
    DELETE_REGISTRY_CHECKPOINT = 41
    GET_REGISTRY_CHECKPOINTS = 42
    ADD_CRYPTO_CHECKPOINT = 43
    DELETE_CRYPTO_CHECKPOINT = 44
    GET_CRYPTO_CHECKPOINTS = 45
    ADD_REGISTRY_CHECKPOINT_64BIT = 47
    ADD_REGISTRY_CHECKPOINT_32BIT = 48
    GET_NETWORK_NAME = 90
    QUERY_DELETE = 110
    BATCH_BLOCK_KEY = 143
    BATCH_UNBLOCK_KEY = 144


class InternalControlFunction(enum.IntEnum):
    """Mirrors the function numbers of the internal `CLCTL_CODES` (clusapi.h).

    The ``Function`` argument of ``CLCTL_INTERNAL_CODE``: notifications the cluster service
    sends to resource DLLs. Clients cannot send them.
    """

    DELETE = 1
    INSTALL_NODE = 2
    EVICT_NODE = 3
    ADD_DEPENDENCY = 4
    REMOVE_DEPENDENCY = 5
    ADD_OWNER = 6
    REMOVE_OWNER = 7
    # 8 is a hole in the header ("Hole here at 8").
    SET_NAME = 9
    CLUSTER_NAME_CHANGED = 10
    CLUSTER_VERSION_CHANGED = 11
    FIXUP_ON_UPGRADE = 12
    STARTING_PHASE1 = 13
    STARTING_PHASE2 = 14  # the cluster service has started
    HOLD_IO = 15
    RESUME_IO = 16
    FORCE_QUORUM = 17
    INITIALIZE = 18
    STATE_CHANGE_REASON = 19  # only to types with CLUS_CHAR_REQUIRES_STATE_CHANGE_REASON


def _check_range(what: str, value: int, maximum: int) -> None:
    if not 0 <= value <= maximum:
        raise ValueError(f"control-code {what} must be in 0..{maximum:#x}, got {value!r}")


def _fits(what: str, maximum: int) -> Callable[[object, attrs.Attribute[int], int], None]:
    # An attrs validator: the same rule and message as compose_control_code's range checks.
    def validate(_instance: object, _attribute: attrs.Attribute[int], value: int) -> None:
        if not isinstance(value, int):
            raise TypeError(f"control-code {what} must be an int, got {value!r}")
        _check_range(what, value, maximum)

    return validate


@attrs.frozen
class ControlCodeParts:
    """The fields of a control code, as ``CLUSCTL_GET_*`` and the header's diagram split it.

    ``object``, ``function`` and ``access`` are enum members when the header names the value
    (:class:`ControlObject`; :class:`ControlFunction` or, with ``internal``,
    :class:`InternalControlFunction`; :class:`ControlAccess`) and plain ints otherwise, e.g. for
    DLL-defined codes. Either way they compare equal to the numbers::

        >>> parts = decompose_control_code(0x0140005E)
        >>> parts.object, parts.function, parts.modify
        (<ControlObject.RESOURCE: 1>, <ControlFunction.SET_COMMON_PROPERTIES: 23>, True)
        >>> parts.code == 0x0140005E
        True

    Attributes:
        object: The object kind, 0-255 (bits 24-31).
        function: The function number, 0-0x3FFFF (bits 2-19).
        access: The access mode, 0-3 (bits 0-1).
        internal: Bit 20, a service-to-DLL notification.
        user: Bit 21, ``CLCTL_USER_MASK``.
        modify: Bit 22, the code changes the object.
        global_: Bit 23, the code runs on every node.
    """

    object: int = attrs.field(validator=_fits("object", _OBJECT_MAX))
    function: int = attrs.field(validator=_fits("function", _FUNCTION_MAX))
    access: int = attrs.field(validator=_fits("access", _ACCESS_MAX))
    internal: bool = False
    user: bool = False
    modify: bool = False
    global_: bool = False

    @property
    def code(self) -> int:
        """The 32-bit control code these parts make (see :func:`compose_control_code`)."""
        return compose_control_code(
            self.object,
            self.function,
            self.access,
            internal=self.internal,
            user=self.user,
            modify=self.modify,
            global_=self.global_,
        )


def compose_control_code(
    object: int,  # noqa: A002 -- the header's name for the field; shadowing is harmless here
    function: int,
    access: int,
    *,
    internal: bool = False,
    user: bool = False,
    modify: bool = False,
    global_: bool = False,
) -> int:
    """Build a control code from its fields, as ``CLUSCTL_<OBJECT>_CODE(CLCTL_*_CODE(...))``.

    ``CLCTL_EXTERNAL_CODE(f, a, m)`` is ``compose_control_code(obj, f, a, modify=m)``;
    ``CLCTL_INTERNAL_CODE`` adds ``internal=True``; ``| CLCTL_GLOBAL_MASK`` is ``global_=True``::

        >>> hex(compose_control_code(ControlObject.RESOURCE, ControlFunction.SET_COMMON_PROPERTIES,
        ...                          ControlAccess.WRITE, modify=True))
        '0x140005e'

    Args:
        object: A :class:`ControlObject`, or a DLL-defined object number, 0-255.
        function: A :class:`ControlFunction`/:class:`InternalControlFunction` or any function
            number that fits the field, 0-0x3FFFF.
        access: A :class:`ControlAccess` (0-3; 3 has no header name but fits the field).
        internal: Set ``CLCTL_INTERNAL_MASK`` (bit 20).
        user: Set ``CLCTL_USER_MASK`` (bit 21).
        modify: Set ``CLCTL_MODIFY_MASK`` (bit 22).
        global_: Set ``CLCTL_GLOBAL_MASK`` (bit 23).

    Returns:
        The code, 0-0xFFFFFFFF.

    Raises:
        ValueError: If a field does not fit its bits; the message names the field and range.
    """
    _check_range("object", object, _OBJECT_MAX)
    _check_range("function", function, _FUNCTION_MAX)
    _check_range("access", access, _ACCESS_MAX)
    return (
        (int(object) << _OBJECT_SHIFT)
        | (int(global_) << _GLOBAL_SHIFT)
        | (int(modify) << _MODIFY_SHIFT)
        | (int(user) << _USER_SHIFT)
        | (int(internal) << _INTERNAL_SHIFT)
        | (int(function) << _FUNCTION_SHIFT)
        | (int(access) << _ACCESS_SHIFT)
    )


_E = TypeVar("_E", bound=enum.IntEnum)


def _named(enum_cls: type[_E], value: int) -> _E | int:
    # Prefer the enum member for readable reprs, but never fail: DLL-defined codes use numbers
    # the header doesn't name.
    try:
        return enum_cls(value)
    except ValueError:
        return value


def decompose_control_code(code: int) -> ControlCodeParts:
    """Split a control code into its fields (``CLUSCTL_GET_CONTROL_OBJECT`` and friends).

    The inverse of :func:`compose_control_code`:
    ``decompose_control_code(c).code == c`` for every DWORD ``c``::

        >>> decompose_control_code(ControlCode.RESOURCE_DELETE).function
        <InternalControlFunction.DELETE: 1>

    Args:
        code: A control code, 0-0xFFFFFFFF (negative numbers are not reinterpreted as DWORDs).

    Returns:
        The fields, with enum members where the header names the value.

    Raises:
        ValueError: If ``code`` is not a DWORD.
    """
    if not 0 <= code <= _CODE_MAX:
        raise ValueError(
            f"a control code is a DWORD, 0..0xFFFFFFFF; got {code!r}"
            + (" (mask a signed value with & 0xFFFFFFFF first)" if code < 0 else "")
        )
    internal = bool(code >> _INTERNAL_SHIFT & 1)
    user = bool(code >> _USER_SHIFT & 1)
    modify = bool(code >> _MODIFY_SHIFT & 1)
    global_ = bool(code >> _GLOBAL_SHIFT & 1)
    raw_function = code >> _FUNCTION_SHIFT & _FUNCTION_MAX
    function: int
    if internal and not (user or global_):
        function = _named(InternalControlFunction, raw_function)
    elif not (internal or user or global_):
        function = _named(ControlFunction, raw_function)
    else:
        # A user code (CLUSCTL_USER_CODE sets bit 23, see user_control_code) or a global one:
        # its function number is not from the CLCTL_CODES table, so naming it would mislead.
        function = raw_function
    return ControlCodeParts(
        object=_named(ControlObject, code >> _OBJECT_SHIFT & _OBJECT_MAX),
        function=function,
        access=_named(ControlAccess, code >> _ACCESS_SHIFT & _ACCESS_MAX),
        internal=internal,
        user=user,
        modify=modify,
        global_=global_,
    )


def user_control_code(function: int, object: int) -> int:  # noqa: A002 -- the header's name
    """Build a DLL-defined control code, exactly as ``CLUSCTL_USER_CODE(Function, Object)``.

    The macro is ``(Object << 24) | ((CLCTL_USER_BASE + Function) << 2)``. Because it shifts
    ``CLCTL_USER_BASE`` (bit 21) by the function shift, the bit it really sets is **bit 23**
    (``CLCTL_GLOBAL_MASK``), not ``CLCTL_USER_MASK``. We reproduce that byte for byte: DLLs
    compiled against the header recognise their codes by these exact numbers. Like the macro,
    the result carries no access bits; OR in a :class:`ControlAccess` if the code needs one::

        >>> hex(user_control_code(1, ControlObject.RESOURCE))
        '0x1800004'

    Args:
        function: The DLL's function number, 0-0x3FFFF (larger numbers would spill into the
            internal/user/modify bits).
        object: A :class:`ControlObject` or a DLL-defined object number, 0-255.

    Returns:
        The code.

    Raises:
        ValueError: If ``function`` or ``object`` does not fit its bits.
    """
    _check_range("function", function, _FUNCTION_MAX)
    _check_range("object", object, _OBJECT_MAX)
    return (int(object) << _OBJECT_SHIFT) | ((_USER_BASE + int(function)) << _FUNCTION_SHIFT)


# (access, modify) of every external function, transcribed from the CLCTL_EXTERNAL_CODE(...)
# lines of CLCTL_CODES. Only UNKNOWN is ANY; every SET_*, ADD_* and DELETE_* is WRITE + modify;
# BATCH_BLOCK_KEY is WRITE without modify.
_R: Final = (ControlAccess.READ, False)
_W_MODIFY: Final = (ControlAccess.WRITE, True)
_EXTERNAL_MODES: Final[dict[ControlFunction, tuple[ControlAccess, bool]]] = {
    ControlFunction.UNKNOWN: (ControlAccess.ANY, False),
    ControlFunction.GET_CHARACTERISTICS: _R,
    ControlFunction.GET_FLAGS: _R,
    ControlFunction.GET_CLASS_INFO: _R,
    ControlFunction.GET_REQUIRED_DEPENDENCIES: _R,
    ControlFunction.GET_ARB_TIMEOUT: _R,
    ControlFunction.GET_NAME: _R,
    ControlFunction.GET_RESOURCE_TYPE: _R,
    ControlFunction.GET_NODE: _R,
    ControlFunction.GET_NETWORK: _R,
    ControlFunction.GET_ID: _R,
    ControlFunction.GET_FQDN: _R,
    ControlFunction.GET_CLUSTER_SERVICE_ACCOUNT_NAME: _R,
    ControlFunction.CHECK_VOTER_EVICT: _R,
    ControlFunction.CHECK_VOTER_DOWN: _R,
    ControlFunction.SHUTDOWN: _R,
    ControlFunction.ENUM_COMMON_PROPERTIES: _R,
    ControlFunction.GET_RO_COMMON_PROPERTIES: _R,
    ControlFunction.GET_COMMON_PROPERTIES: _R,
    ControlFunction.SET_COMMON_PROPERTIES: _W_MODIFY,
    ControlFunction.VALIDATE_COMMON_PROPERTIES: _R,
    ControlFunction.GET_COMMON_PROPERTY_FMTS: _R,
    ControlFunction.GET_COMMON_RESOURCE_PROPERTY_FMTS: _R,
    ControlFunction.ENUM_PRIVATE_PROPERTIES: _R,
    ControlFunction.GET_RO_PRIVATE_PROPERTIES: _R,
    ControlFunction.GET_PRIVATE_PROPERTIES: _R,
    ControlFunction.SET_PRIVATE_PROPERTIES: _W_MODIFY,
    ControlFunction.VALIDATE_PRIVATE_PROPERTIES: _R,
    ControlFunction.GET_PRIVATE_PROPERTY_FMTS: _R,
    ControlFunction.GET_PRIVATE_RESOURCE_PROPERTY_FMTS: _R,
    ControlFunction.ADD_REGISTRY_CHECKPOINT: _W_MODIFY,
    ControlFunction.DELETE_REGISTRY_CHECKPOINT: _W_MODIFY,
    ControlFunction.GET_REGISTRY_CHECKPOINTS: _R,
    ControlFunction.ADD_CRYPTO_CHECKPOINT: _W_MODIFY,
    ControlFunction.DELETE_CRYPTO_CHECKPOINT: _W_MODIFY,
    ControlFunction.GET_CRYPTO_CHECKPOINTS: _R,
    ControlFunction.ADD_REGISTRY_CHECKPOINT_64BIT: _W_MODIFY,
    ControlFunction.ADD_REGISTRY_CHECKPOINT_32BIT: _W_MODIFY,
    ControlFunction.GET_NETWORK_NAME: _R,
    ControlFunction.QUERY_DELETE: _R,
    ControlFunction.BATCH_BLOCK_KEY: (ControlAccess.WRITE, False),
    ControlFunction.BATCH_UNBLOCK_KEY: _R,
}


def _ext(obj: ControlObject, function: ControlFunction) -> int:
    # CLUSCTL_<OBJ>_CODE(CLCTL_<FUNCTION>) for an external code.
    access, modify = _EXTERNAL_MODES[function]
    return compose_control_code(obj, function, access, modify=modify)


def _int(obj: ControlObject, function: InternalControlFunction) -> int:
    # CLUSCTL_<OBJ>_CODE(CLCTL_<FUNCTION>) for an internal code: every internal code this module
    # names (1-19) is CLCTL_INTERNAL_CODE(n, CLUS_ACCESS_WRITE, CLUS_MODIFY) in the header.
    return compose_control_code(obj, function, ControlAccess.WRITE, internal=True, modify=True)


_RES: Final = ControlObject.RESOURCE
_TYPE: Final = ControlObject.RESOURCE_TYPE
_GRP: Final = ControlObject.GROUP
_NODE: Final = ControlObject.NODE
_NET: Final = ControlObject.NETWORK
_NIC: Final = ControlObject.NETINTERFACE
_CLUS: Final = ControlObject.CLUSTER
_F: Final = ControlFunction
_I: Final = InternalControlFunction


class ControlCode(enum.IntEnum):
    """Mirrors the `CLUSCTL_<OBJECT>_CODES` enums (clusapi.h): every code the runtime knows.

    A member is ``CLUSCTL_<OBJECT>_<FUNCTION>`` without the ``CLUSCTL_`` prefix; which
    (object, function) pairs exist follows the header's per-object enums and the MSCS SDK's
    ``CLUSCTL_*`` pages. DLL-defined codes are not members; build them with
    :func:`user_control_code`::

        >>> ControlCode(0x01000005)
        <ControlCode.RESOURCE_GET_CHARACTERISTICS: 16777221>
    """

    # ---- resource: external
    RESOURCE_UNKNOWN = _ext(_RES, _F.UNKNOWN)
    RESOURCE_GET_CHARACTERISTICS = _ext(_RES, _F.GET_CHARACTERISTICS)
    RESOURCE_GET_FLAGS = _ext(_RES, _F.GET_FLAGS)
    RESOURCE_GET_CLASS_INFO = _ext(_RES, _F.GET_CLASS_INFO)
    RESOURCE_GET_REQUIRED_DEPENDENCIES = _ext(_RES, _F.GET_REQUIRED_DEPENDENCIES)
    RESOURCE_GET_NAME = _ext(_RES, _F.GET_NAME)
    RESOURCE_GET_ID = _ext(_RES, _F.GET_ID)
    RESOURCE_GET_RESOURCE_TYPE = _ext(_RES, _F.GET_RESOURCE_TYPE)
    RESOURCE_ENUM_COMMON_PROPERTIES = _ext(_RES, _F.ENUM_COMMON_PROPERTIES)
    RESOURCE_GET_RO_COMMON_PROPERTIES = _ext(_RES, _F.GET_RO_COMMON_PROPERTIES)
    RESOURCE_GET_COMMON_PROPERTIES = _ext(_RES, _F.GET_COMMON_PROPERTIES)
    RESOURCE_SET_COMMON_PROPERTIES = _ext(_RES, _F.SET_COMMON_PROPERTIES)
    RESOURCE_VALIDATE_COMMON_PROPERTIES = _ext(_RES, _F.VALIDATE_COMMON_PROPERTIES)
    RESOURCE_GET_COMMON_PROPERTY_FMTS = _ext(_RES, _F.GET_COMMON_PROPERTY_FMTS)
    RESOURCE_ENUM_PRIVATE_PROPERTIES = _ext(_RES, _F.ENUM_PRIVATE_PROPERTIES)
    RESOURCE_GET_RO_PRIVATE_PROPERTIES = _ext(_RES, _F.GET_RO_PRIVATE_PROPERTIES)
    RESOURCE_GET_PRIVATE_PROPERTIES = _ext(_RES, _F.GET_PRIVATE_PROPERTIES)
    RESOURCE_SET_PRIVATE_PROPERTIES = _ext(_RES, _F.SET_PRIVATE_PROPERTIES)
    RESOURCE_VALIDATE_PRIVATE_PROPERTIES = _ext(_RES, _F.VALIDATE_PRIVATE_PROPERTIES)
    RESOURCE_GET_PRIVATE_PROPERTY_FMTS = _ext(_RES, _F.GET_PRIVATE_PROPERTY_FMTS)
    RESOURCE_ADD_REGISTRY_CHECKPOINT = _ext(_RES, _F.ADD_REGISTRY_CHECKPOINT)
    RESOURCE_DELETE_REGISTRY_CHECKPOINT = _ext(_RES, _F.DELETE_REGISTRY_CHECKPOINT)
    RESOURCE_GET_REGISTRY_CHECKPOINTS = _ext(_RES, _F.GET_REGISTRY_CHECKPOINTS)
    RESOURCE_ADD_CRYPTO_CHECKPOINT = _ext(_RES, _F.ADD_CRYPTO_CHECKPOINT)
    RESOURCE_DELETE_CRYPTO_CHECKPOINT = _ext(_RES, _F.DELETE_CRYPTO_CHECKPOINT)
    RESOURCE_GET_CRYPTO_CHECKPOINTS = _ext(_RES, _F.GET_CRYPTO_CHECKPOINTS)
    RESOURCE_ADD_REGISTRY_CHECKPOINT_64BIT = _ext(_RES, _F.ADD_REGISTRY_CHECKPOINT_64BIT)
    RESOURCE_ADD_REGISTRY_CHECKPOINT_32BIT = _ext(_RES, _F.ADD_REGISTRY_CHECKPOINT_32BIT)
    RESOURCE_GET_NETWORK_NAME = _ext(_RES, _F.GET_NETWORK_NAME)
    RESOURCE_QUERY_DELETE = _ext(_RES, _F.QUERY_DELETE)
    # ---- resource: internal notifications (service -> DLL)
    RESOURCE_DELETE = _int(_RES, _I.DELETE)
    RESOURCE_INSTALL_NODE = _int(_RES, _I.INSTALL_NODE)
    RESOURCE_EVICT_NODE = _int(_RES, _I.EVICT_NODE)
    RESOURCE_ADD_DEPENDENCY = _int(_RES, _I.ADD_DEPENDENCY)
    RESOURCE_REMOVE_DEPENDENCY = _int(_RES, _I.REMOVE_DEPENDENCY)
    RESOURCE_ADD_OWNER = _int(_RES, _I.ADD_OWNER)
    RESOURCE_REMOVE_OWNER = _int(_RES, _I.REMOVE_OWNER)
    RESOURCE_SET_NAME = _int(_RES, _I.SET_NAME)
    RESOURCE_CLUSTER_NAME_CHANGED = _int(_RES, _I.CLUSTER_NAME_CHANGED)
    RESOURCE_CLUSTER_VERSION_CHANGED = _int(_RES, _I.CLUSTER_VERSION_CHANGED)
    RESOURCE_FORCE_QUORUM = _int(_RES, _I.FORCE_QUORUM)
    RESOURCE_INITIALIZE = _int(_RES, _I.INITIALIZE)
    RESOURCE_STATE_CHANGE_REASON = _int(_RES, _I.STATE_CHANGE_REASON)

    # ---- resource type: external
    RESOURCE_TYPE_UNKNOWN = _ext(_TYPE, _F.UNKNOWN)
    RESOURCE_TYPE_GET_CHARACTERISTICS = _ext(_TYPE, _F.GET_CHARACTERISTICS)
    RESOURCE_TYPE_GET_FLAGS = _ext(_TYPE, _F.GET_FLAGS)
    RESOURCE_TYPE_GET_CLASS_INFO = _ext(_TYPE, _F.GET_CLASS_INFO)
    RESOURCE_TYPE_GET_REQUIRED_DEPENDENCIES = _ext(_TYPE, _F.GET_REQUIRED_DEPENDENCIES)
    RESOURCE_TYPE_GET_ARB_TIMEOUT = _ext(_TYPE, _F.GET_ARB_TIMEOUT)
    RESOURCE_TYPE_ENUM_COMMON_PROPERTIES = _ext(_TYPE, _F.ENUM_COMMON_PROPERTIES)
    RESOURCE_TYPE_GET_RO_COMMON_PROPERTIES = _ext(_TYPE, _F.GET_RO_COMMON_PROPERTIES)
    RESOURCE_TYPE_GET_COMMON_PROPERTIES = _ext(_TYPE, _F.GET_COMMON_PROPERTIES)
    RESOURCE_TYPE_VALIDATE_COMMON_PROPERTIES = _ext(_TYPE, _F.VALIDATE_COMMON_PROPERTIES)
    RESOURCE_TYPE_SET_COMMON_PROPERTIES = _ext(_TYPE, _F.SET_COMMON_PROPERTIES)
    RESOURCE_TYPE_GET_COMMON_PROPERTY_FMTS = _ext(_TYPE, _F.GET_COMMON_PROPERTY_FMTS)
    RESOURCE_TYPE_GET_COMMON_RESOURCE_PROPERTY_FMTS = _ext(
        _TYPE, _F.GET_COMMON_RESOURCE_PROPERTY_FMTS
    )
    RESOURCE_TYPE_ENUM_PRIVATE_PROPERTIES = _ext(_TYPE, _F.ENUM_PRIVATE_PROPERTIES)
    RESOURCE_TYPE_GET_RO_PRIVATE_PROPERTIES = _ext(_TYPE, _F.GET_RO_PRIVATE_PROPERTIES)
    RESOURCE_TYPE_GET_PRIVATE_PROPERTIES = _ext(_TYPE, _F.GET_PRIVATE_PROPERTIES)
    RESOURCE_TYPE_SET_PRIVATE_PROPERTIES = _ext(_TYPE, _F.SET_PRIVATE_PROPERTIES)
    RESOURCE_TYPE_VALIDATE_PRIVATE_PROPERTIES = _ext(_TYPE, _F.VALIDATE_PRIVATE_PROPERTIES)
    RESOURCE_TYPE_GET_PRIVATE_PROPERTY_FMTS = _ext(_TYPE, _F.GET_PRIVATE_PROPERTY_FMTS)
    RESOURCE_TYPE_GET_PRIVATE_RESOURCE_PROPERTY_FMTS = _ext(
        _TYPE, _F.GET_PRIVATE_RESOURCE_PROPERTY_FMTS
    )
    RESOURCE_TYPE_GET_REGISTRY_CHECKPOINTS = _ext(_TYPE, _F.GET_REGISTRY_CHECKPOINTS)
    RESOURCE_TYPE_QUERY_DELETE = _ext(_TYPE, _F.QUERY_DELETE)
    # ---- resource type: internal notifications (service -> DLL, once per type)
    RESOURCE_TYPE_INSTALL_NODE = _int(_TYPE, _I.INSTALL_NODE)
    RESOURCE_TYPE_EVICT_NODE = _int(_TYPE, _I.EVICT_NODE)
    RESOURCE_TYPE_CLUSTER_VERSION_CHANGED = _int(_TYPE, _I.CLUSTER_VERSION_CHANGED)
    RESOURCE_TYPE_FIXUP_ON_UPGRADE = _int(_TYPE, _I.FIXUP_ON_UPGRADE)
    RESOURCE_TYPE_STARTING_PHASE1 = _int(_TYPE, _I.STARTING_PHASE1)
    RESOURCE_TYPE_STARTING_PHASE2 = _int(_TYPE, _I.STARTING_PHASE2)

    # ---- group
    GROUP_UNKNOWN = _ext(_GRP, _F.UNKNOWN)
    GROUP_GET_CHARACTERISTICS = _ext(_GRP, _F.GET_CHARACTERISTICS)
    GROUP_GET_FLAGS = _ext(_GRP, _F.GET_FLAGS)
    GROUP_GET_NAME = _ext(_GRP, _F.GET_NAME)
    GROUP_GET_ID = _ext(_GRP, _F.GET_ID)
    GROUP_ENUM_COMMON_PROPERTIES = _ext(_GRP, _F.ENUM_COMMON_PROPERTIES)
    GROUP_GET_RO_COMMON_PROPERTIES = _ext(_GRP, _F.GET_RO_COMMON_PROPERTIES)
    GROUP_GET_COMMON_PROPERTIES = _ext(_GRP, _F.GET_COMMON_PROPERTIES)
    GROUP_SET_COMMON_PROPERTIES = _ext(_GRP, _F.SET_COMMON_PROPERTIES)
    GROUP_VALIDATE_COMMON_PROPERTIES = _ext(_GRP, _F.VALIDATE_COMMON_PROPERTIES)
    GROUP_GET_COMMON_PROPERTY_FMTS = _ext(_GRP, _F.GET_COMMON_PROPERTY_FMTS)
    GROUP_ENUM_PRIVATE_PROPERTIES = _ext(_GRP, _F.ENUM_PRIVATE_PROPERTIES)
    GROUP_GET_RO_PRIVATE_PROPERTIES = _ext(_GRP, _F.GET_RO_PRIVATE_PROPERTIES)
    GROUP_GET_PRIVATE_PROPERTIES = _ext(_GRP, _F.GET_PRIVATE_PROPERTIES)
    GROUP_SET_PRIVATE_PROPERTIES = _ext(_GRP, _F.SET_PRIVATE_PROPERTIES)
    GROUP_VALIDATE_PRIVATE_PROPERTIES = _ext(_GRP, _F.VALIDATE_PRIVATE_PROPERTIES)
    GROUP_GET_PRIVATE_PROPERTY_FMTS = _ext(_GRP, _F.GET_PRIVATE_PROPERTY_FMTS)
    GROUP_QUERY_DELETE = _ext(_GRP, _F.QUERY_DELETE)

    # ---- node
    NODE_UNKNOWN = _ext(_NODE, _F.UNKNOWN)
    NODE_GET_CHARACTERISTICS = _ext(_NODE, _F.GET_CHARACTERISTICS)
    NODE_GET_FLAGS = _ext(_NODE, _F.GET_FLAGS)
    NODE_GET_NAME = _ext(_NODE, _F.GET_NAME)
    NODE_GET_ID = _ext(_NODE, _F.GET_ID)
    NODE_ENUM_COMMON_PROPERTIES = _ext(_NODE, _F.ENUM_COMMON_PROPERTIES)
    NODE_GET_RO_COMMON_PROPERTIES = _ext(_NODE, _F.GET_RO_COMMON_PROPERTIES)
    NODE_GET_COMMON_PROPERTIES = _ext(_NODE, _F.GET_COMMON_PROPERTIES)
    NODE_SET_COMMON_PROPERTIES = _ext(_NODE, _F.SET_COMMON_PROPERTIES)
    NODE_VALIDATE_COMMON_PROPERTIES = _ext(_NODE, _F.VALIDATE_COMMON_PROPERTIES)
    NODE_GET_COMMON_PROPERTY_FMTS = _ext(_NODE, _F.GET_COMMON_PROPERTY_FMTS)
    NODE_ENUM_PRIVATE_PROPERTIES = _ext(_NODE, _F.ENUM_PRIVATE_PROPERTIES)
    NODE_GET_RO_PRIVATE_PROPERTIES = _ext(_NODE, _F.GET_RO_PRIVATE_PROPERTIES)
    NODE_GET_PRIVATE_PROPERTIES = _ext(_NODE, _F.GET_PRIVATE_PROPERTIES)
    NODE_SET_PRIVATE_PROPERTIES = _ext(_NODE, _F.SET_PRIVATE_PROPERTIES)
    NODE_VALIDATE_PRIVATE_PROPERTIES = _ext(_NODE, _F.VALIDATE_PRIVATE_PROPERTIES)
    NODE_GET_PRIVATE_PROPERTY_FMTS = _ext(_NODE, _F.GET_PRIVATE_PROPERTY_FMTS)
    NODE_GET_CLUSTER_SERVICE_ACCOUNT_NAME = _ext(_NODE, _F.GET_CLUSTER_SERVICE_ACCOUNT_NAME)

    # ---- network
    NETWORK_UNKNOWN = _ext(_NET, _F.UNKNOWN)
    NETWORK_GET_CHARACTERISTICS = _ext(_NET, _F.GET_CHARACTERISTICS)
    NETWORK_GET_FLAGS = _ext(_NET, _F.GET_FLAGS)
    NETWORK_GET_NAME = _ext(_NET, _F.GET_NAME)
    NETWORK_GET_ID = _ext(_NET, _F.GET_ID)
    NETWORK_ENUM_COMMON_PROPERTIES = _ext(_NET, _F.ENUM_COMMON_PROPERTIES)
    NETWORK_GET_RO_COMMON_PROPERTIES = _ext(_NET, _F.GET_RO_COMMON_PROPERTIES)
    NETWORK_GET_COMMON_PROPERTIES = _ext(_NET, _F.GET_COMMON_PROPERTIES)
    NETWORK_SET_COMMON_PROPERTIES = _ext(_NET, _F.SET_COMMON_PROPERTIES)
    NETWORK_VALIDATE_COMMON_PROPERTIES = _ext(_NET, _F.VALIDATE_COMMON_PROPERTIES)
    NETWORK_GET_COMMON_PROPERTY_FMTS = _ext(_NET, _F.GET_COMMON_PROPERTY_FMTS)
    NETWORK_ENUM_PRIVATE_PROPERTIES = _ext(_NET, _F.ENUM_PRIVATE_PROPERTIES)
    NETWORK_GET_RO_PRIVATE_PROPERTIES = _ext(_NET, _F.GET_RO_PRIVATE_PROPERTIES)
    NETWORK_GET_PRIVATE_PROPERTIES = _ext(_NET, _F.GET_PRIVATE_PROPERTIES)
    NETWORK_SET_PRIVATE_PROPERTIES = _ext(_NET, _F.SET_PRIVATE_PROPERTIES)
    NETWORK_VALIDATE_PRIVATE_PROPERTIES = _ext(_NET, _F.VALIDATE_PRIVATE_PROPERTIES)
    NETWORK_GET_PRIVATE_PROPERTY_FMTS = _ext(_NET, _F.GET_PRIVATE_PROPERTY_FMTS)

    # ---- network interface
    NETINTERFACE_UNKNOWN = _ext(_NIC, _F.UNKNOWN)
    NETINTERFACE_GET_CHARACTERISTICS = _ext(_NIC, _F.GET_CHARACTERISTICS)
    NETINTERFACE_GET_FLAGS = _ext(_NIC, _F.GET_FLAGS)
    NETINTERFACE_GET_NAME = _ext(_NIC, _F.GET_NAME)
    NETINTERFACE_GET_ID = _ext(_NIC, _F.GET_ID)
    NETINTERFACE_GET_NODE = _ext(_NIC, _F.GET_NODE)
    NETINTERFACE_GET_NETWORK = _ext(_NIC, _F.GET_NETWORK)
    NETINTERFACE_ENUM_COMMON_PROPERTIES = _ext(_NIC, _F.ENUM_COMMON_PROPERTIES)
    NETINTERFACE_GET_RO_COMMON_PROPERTIES = _ext(_NIC, _F.GET_RO_COMMON_PROPERTIES)
    NETINTERFACE_GET_COMMON_PROPERTIES = _ext(_NIC, _F.GET_COMMON_PROPERTIES)
    NETINTERFACE_SET_COMMON_PROPERTIES = _ext(_NIC, _F.SET_COMMON_PROPERTIES)
    NETINTERFACE_VALIDATE_COMMON_PROPERTIES = _ext(_NIC, _F.VALIDATE_COMMON_PROPERTIES)
    NETINTERFACE_GET_COMMON_PROPERTY_FMTS = _ext(_NIC, _F.GET_COMMON_PROPERTY_FMTS)
    NETINTERFACE_ENUM_PRIVATE_PROPERTIES = _ext(_NIC, _F.ENUM_PRIVATE_PROPERTIES)
    NETINTERFACE_GET_RO_PRIVATE_PROPERTIES = _ext(_NIC, _F.GET_RO_PRIVATE_PROPERTIES)
    NETINTERFACE_GET_PRIVATE_PROPERTIES = _ext(_NIC, _F.GET_PRIVATE_PROPERTIES)
    NETINTERFACE_SET_PRIVATE_PROPERTIES = _ext(_NIC, _F.SET_PRIVATE_PROPERTIES)
    NETINTERFACE_VALIDATE_PRIVATE_PROPERTIES = _ext(_NIC, _F.VALIDATE_PRIVATE_PROPERTIES)
    NETINTERFACE_GET_PRIVATE_PROPERTY_FMTS = _ext(_NIC, _F.GET_PRIVATE_PROPERTY_FMTS)

    # ---- cluster
    CLUSTER_UNKNOWN = _ext(_CLUS, _F.UNKNOWN)
    CLUSTER_GET_FQDN = _ext(_CLUS, _F.GET_FQDN)
    CLUSTER_ENUM_COMMON_PROPERTIES = _ext(_CLUS, _F.ENUM_COMMON_PROPERTIES)
    CLUSTER_GET_RO_COMMON_PROPERTIES = _ext(_CLUS, _F.GET_RO_COMMON_PROPERTIES)
    CLUSTER_GET_COMMON_PROPERTIES = _ext(_CLUS, _F.GET_COMMON_PROPERTIES)
    CLUSTER_SET_COMMON_PROPERTIES = _ext(_CLUS, _F.SET_COMMON_PROPERTIES)
    CLUSTER_VALIDATE_COMMON_PROPERTIES = _ext(_CLUS, _F.VALIDATE_COMMON_PROPERTIES)
    CLUSTER_GET_COMMON_PROPERTY_FMTS = _ext(_CLUS, _F.GET_COMMON_PROPERTY_FMTS)
    CLUSTER_ENUM_PRIVATE_PROPERTIES = _ext(_CLUS, _F.ENUM_PRIVATE_PROPERTIES)
    CLUSTER_GET_RO_PRIVATE_PROPERTIES = _ext(_CLUS, _F.GET_RO_PRIVATE_PROPERTIES)
    CLUSTER_GET_PRIVATE_PROPERTIES = _ext(_CLUS, _F.GET_PRIVATE_PROPERTIES)
    CLUSTER_SET_PRIVATE_PROPERTIES = _ext(_CLUS, _F.SET_PRIVATE_PROPERTIES)
    CLUSTER_VALIDATE_PRIVATE_PROPERTIES = _ext(_CLUS, _F.VALIDATE_PRIVATE_PROPERTIES)
    CLUSTER_GET_PRIVATE_PROPERTY_FMTS = _ext(_CLUS, _F.GET_PRIVATE_PROPERTY_FMTS)
    CLUSTER_CHECK_VOTER_EVICT = _ext(_CLUS, _F.CHECK_VOTER_EVICT)
    CLUSTER_CHECK_VOTER_DOWN = _ext(_CLUS, _F.CHECK_VOTER_DOWN)
    CLUSTER_SHUTDOWN = _ext(_CLUS, _F.SHUTDOWN)
    CLUSTER_BATCH_BLOCK_KEY = _ext(_CLUS, _F.BATCH_BLOCK_KEY)
    CLUSTER_BATCH_UNBLOCK_KEY = _ext(_CLUS, _F.BATCH_UNBLOCK_KEY)

    @property
    def parts(self) -> ControlCodeParts:
        """This code split into its fields (:func:`decompose_control_code`)."""
        return decompose_control_code(self)
