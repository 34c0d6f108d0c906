"""A property table's own checks: ``prop(validate=...)`` and ``PropertyTable.validate()``
(issue 16, point 1). The backends' routes are in tests/contract/test_validation.py."""

from __future__ import annotations

import pytest

import clusapi
import resapi
import resapi.testing
from clusapi import PropertyError, Win32Error
from tests.contract._validation_types import Share, ShareProperties


def no_spaces(text: str) -> None:
    if " " in text:
        raise ValueError("must not contain spaces; use '_'")


class Names(resapi.PropertyTable):
    label: str = resapi.prop(default="", validate=no_spaces)
    tags: tuple[str, ...] = resapi.prop(default=(), validate=lambda tags: None)
    first: int = resapi.prop(default=1)
    last: int = resapi.prop(default=10)

    def validate(self) -> None:
        if self.first > self.last:
            raise ValueError(f"First ({self.first}) is after Last ({self.last})")


def test_a_per_property_check_refuses_with_the_types_message() -> None:
    with pytest.raises(PropertyError) as info:
        Names.verify({"label": "a b"})
    assert info.value.winerror == Win32Error.ERROR_INVALID_PARAMETER
    assert info.value.property_name == "Label"
    assert info.value.description == (
        "property 'Label' of Names is 'a b': must not contain spaces; use '_'"
    )
    assert Names.verify({"label": "a_b"}) == {"Label": "a_b"}


def test_the_check_sees_the_normalised_value_after_format_and_range() -> None:
    seen: list[object] = []

    class Seen(resapi.PropertyTable):
        flag: bool = resapi.prop(default=False, validate=seen.append)
        entries: tuple[str, ...] = resapi.prop(default=(), validate=seen.append)
        port: int = resapi.prop(default=1, maximum=10, validate=seen.append)

    Seen.verify({"flag": 1, "entries": ["a", "b"]})
    assert seen == [True, ("a", "b")]
    with pytest.raises(PropertyError, match="outside"):
        Seen.verify({"port": 11})  # the range refuses it first: the check never sees it
    assert seen == [True, ("a", "b")]


def test_the_default_is_the_types_own_and_is_not_checked() -> None:
    # Names.label defaults to "", which no_spaces accepts anyway; a default it would refuse
    # is still the type's choice (a placeholder until the operator sets a value).
    class Placeholder(resapi.PropertyTable):
        path: str = resapi.prop(default="unset path", validate=no_spaces)

    assert Placeholder().path == "unset path"
    with pytest.raises(PropertyError, match="must not contain spaces"):
        Placeholder.load({"Path": "a b"})  # a stored value is checked at load (Open)


def test_a_check_that_returns_its_message_is_a_bug_not_an_acceptance() -> None:
    class Wrong(resapi.PropertyTable):
        name: str = resapi.prop(default="", validate=lambda v: "bad" if v else None)  # type: ignore[arg-type,return-value]

    with pytest.raises(TypeError, match=r"validate= returned 'bad'; raise ValueError"):
        Wrong.verify({"name": "x"})


def test_a_check_that_fails_otherwise_is_not_disguised() -> None:
    def broken(value: str) -> None:
        raise KeyError(value)

    class Broken(resapi.PropertyTable):
        name: str = resapi.prop(default="", validate=broken)

    with pytest.raises(KeyError):
        Broken.verify({"name": "x"})


def test_the_whole_table_check_runs_on_every_table_built() -> None:
    message = "the properties of Names do not go together: First (5) is after Last (3)"
    with pytest.raises(PropertyError) as info:
        Names.load({"First": 5, "Last": 3})
    assert info.value.description == message
    assert info.value.property_name is None
    with pytest.raises(PropertyError, match=r"First \(11\) is after Last \(10\)"):
        Names().evolve(first=11)
    assert Names(first=3, last=3).first == 3


def test_validate_change_checks_the_merged_values_and_apply_stores_nothing() -> None:
    store: dict[str, object] = {"Last": 3}
    with pytest.raises(PropertyError, match=r"First \(5\) is after Last \(3\)"):
        Names.validate_change(store, {"first": 5})
    with pytest.raises(PropertyError, match=r"First \(5\) is after Last \(3\)"):
        Names.apply(store, {"label": "ok", "first": 5})
    assert store == {"Last": 3}  # nothing written, not even the good value
    assert Names.apply(store, {"first": 2, "last": 4}) == ("First", "Last")


def test_the_whole_table_check_waits_for_the_required_properties() -> None:
    # Path is required: until it is set the table cannot be built, so the pair rule waits.
    assert ShareProperties.validate_change({}, {"admin_port": 8080}) == {"AdminPort": 8080}
    with pytest.raises(PropertyError, match="Port and AdminPort are both 8080"):
        ShareProperties.validate_change({"Path": "/srv"}, {"admin_port": 8080})


def test_a_cross_check_may_name_its_property_with_property_error() -> None:
    class Named(resapi.PropertyTable):
        low: int = resapi.prop(default=0)
        high: int = resapi.prop(default=1)

        def validate(self) -> None:
            if self.low >= self.high:
                raise clusapi.PropertyError(
                    Win32Error.ERROR_INVALID_PARAMETER, "property 'Low' must be below High"
                )

    with pytest.raises(PropertyError, match="property 'Low' must be below High"):
        Named(low=2)


@pytest.mark.asyncio
@pytest.mark.virtual_time
async def test_the_conformance_kit_refuses_a_bad_value_before_it_starts() -> None:
    with pytest.raises(PropertyError, match="must be an absolute path"):
        await resapi.testing.check_resource(Share, properties={"path": "www"})
    with pytest.raises(PropertyError, match="Port and AdminPort are both 8080"):
        await resapi.testing.check_resource(Share, properties={"path": "/srv", "admin_port": 8080})
    report = await resapi.testing.check_resource(Share, properties={"path": "/srv"})
    assert report.ok, report
