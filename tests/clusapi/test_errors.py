"""Tests for ``clusapi._errors``: the exception tree and the one code-to-class table.

Everything is imported from the public paths (``clusapi``, ``clusapi.lowlevel``) except the
table itself, which the tests walk to check that ``make_error`` follows it code by code.
"""

from __future__ import annotations

import pickle

import anyio
import pytest

import clusapi
from clusapi import (
    ClusterError,
    ClusterTimeoutError,
    ClusterUnavailableError,
    DependencyCycleError,
    DependencyError,
    GroupNotFoundError,
    HandleClosedError,
    HostNodeError,
    InvalidParameterError,
    InvalidStateError,
    NodeNotFoundError,
    NotSupportedError,
    ObjectExistsError,
    ObjectNotFoundError,
    ObjectUnavailableError,
    PropertyError,
    QuorumError,
    RegistryEntryNotFoundError,
    ResourceFailedError,
    ResourceNotFoundError,
    ResourceTypeNotFoundError,
    Win32Error,
)
from clusapi._errors import _CLASS_FOR_CODE
from clusapi.lowlevel import error_class_for, make_error

W = Win32Error

#: The tree drawn at the top of clusapi/_errors.py: each class and its direct parent.
PARENT: dict[type[ClusterError], type[ClusterError]] = {
    ObjectNotFoundError: ClusterError,
    NodeNotFoundError: ObjectNotFoundError,
    GroupNotFoundError: ObjectNotFoundError,
    ResourceNotFoundError: ObjectNotFoundError,
    ResourceTypeNotFoundError: ObjectNotFoundError,
    RegistryEntryNotFoundError: ObjectNotFoundError,
    ObjectExistsError: ClusterError,
    ObjectUnavailableError: ClusterError,
    InvalidParameterError: ClusterError,
    PropertyError: InvalidParameterError,
    InvalidStateError: ClusterError,
    DependencyError: ClusterError,
    DependencyCycleError: DependencyError,
    HostNodeError: ClusterError,
    QuorumError: ClusterError,
    ResourceFailedError: ClusterError,
    NotSupportedError: ClusterError,
    ClusterTimeoutError: ClusterError,
    HandleClosedError: ClusterError,
    ClusterUnavailableError: ClusterError,
}

SUBCLASSES = tuple(PARENT)
ALL_CLASSES = (ClusterError, *SUBCLASSES)

#: Codes the research notes (clusapi.md §6) tie to a class people catch; a spot check of the
#: table that does not read the table.
DOCUMENTED: dict[Win32Error, type[ClusterError]] = {
    W.ERROR_FILE_NOT_FOUND: RegistryEntryNotFoundError,
    W.ERROR_INVALID_HANDLE: HandleClosedError,
    W.ERROR_INVALID_PARAMETER: InvalidParameterError,
    W.ERROR_INVALID_DATA: InvalidParameterError,
    W.WAIT_TIMEOUT: ClusterTimeoutError,
    W.ERROR_CIRCULAR_DEPENDENCY: DependencyCycleError,
    W.ERROR_DEPENDENT_RESOURCE_EXISTS: DependencyError,
    W.ERROR_HOST_NODE_NOT_AVAILABLE: HostNodeError,
    W.ERROR_RESOURCE_NOT_AVAILABLE: ObjectUnavailableError,
    W.ERROR_RESOURCE_NOT_FOUND: ResourceNotFoundError,
    W.ERROR_OBJECT_ALREADY_EXISTS: ObjectExistsError,
    W.ERROR_GROUP_NOT_FOUND: GroupNotFoundError,
    W.ERROR_INVALID_STATE: InvalidStateError,
    W.ERROR_QUORUM_RESOURCE: QuorumError,
    W.ERROR_CLUSTER_NODE_NOT_FOUND: NodeNotFoundError,
    W.ERROR_CLUSTER_RESOURCE_TYPE_NOT_FOUND: ResourceTypeNotFoundError,
    W.ERROR_CLUSTER_NODE_DOWN: ClusterUnavailableError,
    W.ERROR_RESOURCE_FAILED: ResourceFailedError,
    W.ERROR_NOT_SUPPORTED: NotSupportedError,
}

UNMAPPED_MEMBERS = tuple(code for code in Win32Error if code not in _CLASS_FOR_CODE)
#: Numbers that are not Win32Error members at all.
UNKNOWN_NUMBERS = (9, 4, 12345, 0xDEAD, 0xFFFF_FFFF, -1)


def _name(cls: type) -> str:
    return cls.__name__


# ---------------------------------------------------------------------------------- tree


@pytest.mark.parametrize("cls", ALL_CLASSES, ids=_name)
def test_every_class_is_a_cluster_error_and_an_os_error(cls: type[ClusterError]) -> None:
    assert issubclass(cls, ClusterError)
    assert issubclass(cls, OSError)
    error = cls(cls.default_winerror, "x")
    assert isinstance(error, OSError)
    with pytest.raises(OSError, match="x"):
        raise error


@pytest.mark.parametrize("cls", SUBCLASSES, ids=_name)
def test_the_tree_is_as_drawn(cls: type[ClusterError]) -> None:
    assert PARENT[cls] in cls.__bases__


def test_the_drawn_tree_is_the_whole_tree() -> None:
    exported = {
        obj
        for name in clusapi.__all__
        if isinstance(obj := getattr(clusapi, name), type) and issubclass(obj, BaseException)
    }
    assert exported == set(ALL_CLASSES)
    assert set(_CLASS_FOR_CODE.values()) <= set(ALL_CLASSES)


def test_builtin_and_anyio_bases() -> None:
    assert issubclass(InvalidParameterError, ValueError)
    assert issubclass(PropertyError, ValueError)
    assert issubclass(ClusterTimeoutError, TimeoutError)
    assert issubclass(HandleClosedError, anyio.ClosedResourceError)
    assert issubclass(ClusterUnavailableError, anyio.BrokenResourceError)
    # ... and only those: a not-found error is not a ValueError, a closed handle not broken.
    assert not issubclass(ObjectNotFoundError, ValueError)
    assert not issubclass(HandleClosedError, anyio.BrokenResourceError)
    assert not issubclass(ClusterUnavailableError, anyio.ClosedResourceError)
    assert not issubclass(ClusterError, TimeoutError)


def test_caught_by_the_builtin_they_mean() -> None:
    with pytest.raises(ValueError, match="bad"):
        raise make_error(W.ERROR_INVALID_PARAMETER, "bad")
    with pytest.raises(TimeoutError):
        raise make_error(W.WAIT_TIMEOUT, "no event")
    with pytest.raises(anyio.ClosedResourceError):
        raise make_error(W.ERROR_INVALID_HANDLE, "closed")
    with pytest.raises(anyio.BrokenResourceError):
        raise make_error(W.RPC_S_SERVER_UNAVAILABLE, "gone")
    with pytest.raises(ObjectNotFoundError) as info:
        raise make_error(W.ERROR_GROUP_NOT_FOUND, "no group named 'SQL'")
    assert type(info.value) is GroupNotFoundError


# ------------------------------------------------------------------- make_error and table


@pytest.mark.parametrize(
    ("code", "cls"), sorted(_CLASS_FOR_CODE.items()), ids=lambda v: getattr(v, "name", "")
)
def test_make_error_follows_the_table(code: int, cls: type[ClusterError]) -> None:
    assert isinstance(code, Win32Error)  # the table is keyed by known codes only
    error = make_error(code, "what", fix="fix")
    assert type(error) is cls
    assert error.winerror is code
    assert error_class_for(code) is cls
    # A raw DWORD from a backend finds the same class and becomes the member.
    from_int = make_error(int(code), "what")
    assert type(from_int) is cls
    assert from_int.winerror is code
    assert str(error) == f"what ({code.name}, {int(code)}); fix"


@pytest.mark.parametrize(("code", "cls"), DOCUMENTED.items(), ids=lambda v: getattr(v, "name", ""))
def test_documented_codes_raise_the_documented_class(
    code: Win32Error, cls: type[ClusterError]
) -> None:
    assert type(make_error(code, "x")) is cls


@pytest.mark.parametrize("code", UNMAPPED_MEMBERS, ids=lambda c: c.name)
def test_unmapped_members_raise_plain_cluster_error(code: Win32Error) -> None:
    error = make_error(code, "what")
    assert type(error) is ClusterError
    assert error_class_for(code) is ClusterError
    assert error.winerror is code


def test_some_members_are_unmapped() -> None:
    # Otherwise the previous test checks nothing.
    assert W.ERROR_MORE_DATA in UNMAPPED_MEMBERS
    assert W.ERROR_ACCESS_DENIED in UNMAPPED_MEMBERS


@pytest.mark.parametrize("number", UNKNOWN_NUMBERS)
def test_unknown_numbers_raise_plain_cluster_error_with_an_int(number: int) -> None:
    error = make_error(number, "what", fix="try again")
    assert type(error) is ClusterError
    assert error_class_for(number) is ClusterError
    assert type(error.winerror) is int
    assert error.winerror == number
    assert str(error) == f"what (Win32 error, {number}); try again"


@pytest.mark.parametrize(
    "cls",
    [
        pytest.param(
            cls,
            id=cls.__name__,
        )
        for cls in SUBCLASSES
    ],
)
def test_default_winerror_maps_back_to_the_class_or_a_parent(cls: type[ClusterError]) -> None:
    assert isinstance(cls.default_winerror, Win32Error)
    assert issubclass(cls, error_class_for(cls.default_winerror))


@pytest.mark.parametrize("cls", SUBCLASSES, ids=_name)
def test_default_winerror_is_caught_by_the_class_family(cls: type[ClusterError]) -> None:
    # The weaker property that does hold everywhere: the mapped class is in cls's family.
    mapped = error_class_for(cls.default_winerror)
    assert issubclass(cls, mapped) or issubclass(mapped, cls)


def test_default_winerrors() -> None:
    assert ClusterTimeoutError.default_winerror is W.WAIT_TIMEOUT
    assert HandleClosedError.default_winerror is W.ERROR_INVALID_HANDLE
    assert PropertyError.default_winerror is W.ERROR_INVALID_PARAMETER
    assert DependencyCycleError.default_winerror is W.ERROR_CIRCULAR_DEPENDENCY
    assert GroupNotFoundError.default_winerror is W.ERROR_GROUP_NOT_FOUND


# ------------------------------------------------------------------------------ messages


def test_message_format_with_fix() -> None:
    error = GroupNotFoundError(
        W.ERROR_GROUP_NOT_FOUND, "no group named 'SQL'", fix="list the groups first"
    )
    assert str(error) == "no group named 'SQL' (ERROR_GROUP_NOT_FOUND, 5013); list the groups first"
    assert error.description == "no group named 'SQL'"
    assert error.fix == "list the groups first"
    assert error.args == (str(error),)


def test_message_format_without_fix() -> None:
    error = make_error(W.ERROR_INVALID_PARAMETER, "bad port 0")
    assert str(error) == "bad port 0 (ERROR_INVALID_PARAMETER, 87)"
    assert error.fix is None
    assert str(make_error(W.ERROR_INVALID_PARAMETER, "bad", fix="")) == (
        "bad (ERROR_INVALID_PARAMETER, 87)"
    )


def test_message_format_from_a_raw_number() -> None:
    assert str(ClusterError(5013, "x")) == "x (ERROR_GROUP_NOT_FOUND, 5013)"
    assert str(ClusterError(0xDEAD, "x", fix="y")) == "x (Win32 error, 57005); y"


def test_winerror_is_a_member_for_known_codes() -> None:
    error = ClusterError(87, "x")
    assert error.winerror is W.ERROR_INVALID_PARAMETER
    assert isinstance(error.winerror, Win32Error)
    assert error.winerror.phrase == "The parameter is incorrect."
    assert int(error.winerror) == 87


def test_winerror_is_a_plain_int_for_unknown_codes() -> None:
    error = ClusterError(12345, "x")
    assert type(error.winerror) is int
    assert error.winerror == 12345


# -------------------------------------------------------------------------------- pickle


def _round_trip(error: ClusterError, protocol: int = pickle.HIGHEST_PROTOCOL) -> ClusterError:
    clone = pickle.loads(pickle.dumps(error, protocol=protocol))
    assert isinstance(clone, ClusterError)
    return clone


@pytest.mark.parametrize("cls", ALL_CLASSES, ids=_name)
def test_pickle_round_trip_keeps_everything(cls: type[ClusterError]) -> None:
    error = cls(cls.default_winerror, "no group named 'SQL'", fix="create it")
    clone = _round_trip(error)
    assert type(clone) is cls
    assert clone.winerror is cls.default_winerror
    assert clone.description == "no group named 'SQL'"
    assert clone.fix == "create it"
    assert str(clone) == str(error)
    assert clone.args == error.args


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pickle_round_trip_every_protocol(protocol: int) -> None:
    error = make_error(W.ERROR_GROUP_NOT_FOUND, "no group named 'SQL'")
    clone = _round_trip(error, protocol)
    assert type(clone) is GroupNotFoundError
    assert clone.winerror is W.ERROR_GROUP_NOT_FOUND
    assert clone.fix is None
    assert str(clone) == str(error)


def test_pickle_round_trip_of_an_unknown_code() -> None:
    error = make_error(12345, "odd", fix="look it up")
    clone = _round_trip(error)
    assert type(clone) is ClusterError
    assert type(clone.winerror) is int
    assert clone.winerror == 12345
    assert str(clone) == "odd (Win32 error, 12345); look it up"


def test_pickle_round_trip_of_property_error_keeps_code_and_text() -> None:
    error = PropertyError(W.ERROR_FILE_NOT_FOUND, "property 'Target' is required", fix="set it")
    error.property_name = "Target"
    clone = _round_trip(error)
    assert type(clone) is PropertyError
    assert clone.winerror is W.ERROR_FILE_NOT_FOUND
    assert str(clone) == str(error)


def test_pickle_round_trip_keeps_property_name() -> None:
    error = PropertyError(W.ERROR_INVALID_PARAMETER, "property 'Port' is 0", fix="pass 1..10")
    error.property_name = "Port"
    clone = _round_trip(error)
    assert isinstance(clone, PropertyError)
    assert clone.property_name == "Port"


def test_pickle_round_trip_keeps_notes() -> None:
    error = make_error(W.ERROR_GROUP_NOT_FOUND, "no group named 'SQL'")
    error.add_note("while moving 'SQL' to 'N2'")
    assert getattr(_round_trip(error), "__notes__", None) == ["while moving 'SQL' to 'N2'"]


# ------------------------------------------------------------------------- public module


@pytest.mark.parametrize("cls", [*ALL_CLASSES, Win32Error], ids=_name)
def test_public_classes_report_the_public_module(cls: type) -> None:
    assert cls.__module__ == "clusapi"
    assert getattr(clusapi, cls.__qualname__) is cls
    assert pickle.loads(pickle.dumps(cls)) is cls
    if issubclass(cls, BaseException):
        assert repr(cls) == f"<class 'clusapi.{cls.__qualname__}'>"
