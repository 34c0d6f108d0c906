"""The CannotComeOnline exceptions take a message as any exception does (issue 16, item 5)."""

from __future__ import annotations

import pickle

import pytest

import resapi
from clusapi import Win32Error


@pytest.mark.parametrize(
    ("cls", "code", "default"),
    [
        (
            resapi.CannotComeOnlineOnThisNode,
            Win32Error.ERROR_NODE_CANT_HOST_RESOURCE,
            "the resource cannot come online on this node",
        ),
        (
            resapi.CannotComeOnlineOnAnyNode,
            Win32Error.ERROR_RESOURCE_FAILED,
            "the resource cannot come online on any node",
        ),
    ],
)
def test_the_three_ways_to_raise_one(
    cls: type[resapi.CannotComeOnline], code: Win32Error, default: str
) -> None:
    plain = cls("no license")
    assert (plain.winerror, plain.description, plain.fix) == (code, "no license", None)
    assert str(plain) == f"no license ({code.name}, {int(code)})"

    bare = cls()
    assert (bare.winerror, bare.description) == (code, default)

    full = cls(Win32Error.ERROR_PATH_NOT_FOUND, "no /srv/data", fix="create it")
    assert full.winerror is Win32Error.ERROR_PATH_NOT_FOUND
    assert str(full) == "no /srv/data (ERROR_PATH_NOT_FOUND, 3); create it"

    with_fix = cls("no license", fix="install it")
    assert str(with_fix).endswith("; install it")
    assert isinstance(pickle.loads(pickle.dumps(with_fix)), cls)
    assert str(pickle.loads(pickle.dumps(with_fix))) == str(with_fix)


def test_the_base_class_and_a_wrong_argument_say_what_to_raise() -> None:
    with pytest.raises(TypeError, match="raise CannotComeOnlineOnThisNode or"):
        resapi.CannotComeOnline("why")
    with pytest.raises(TypeError, match="takes a message, a Win32 code and a message"):
        resapi.CannotComeOnlineOnAnyNode("why", "and more")  # type: ignore[call-overload]
