"""Entra's two PATCH dialects are built exactly as docs/entra.md §3 shows them."""

from __future__ import annotations

import pytest

from scimcheck.entra import dialects
from scimcheck.entra.dialects import Dialect


def test_legacy_update_is_one_capitalised_replace_per_path() -> None:
    ops = dialects.update_operations(
        Dialect.LEGACY, {"displayName": "A", "name.givenName": "B"}
    )
    assert ops == [
        {"op": "Replace", "path": "displayName", "value": "A"},
        {"op": "Replace", "path": "name.givenName", "value": "B"},
    ]


def test_compliant_update_is_pathless_with_dotted_keys_and_filtered_paths_apart() -> None:
    ops = dialects.update_operations(
        Dialect.COMPLIANT,
        {'emails[type eq "work"].value': "a@x", "displayName": "A", "name.familyName": "F"},
    )
    assert ops == [
        {"op": "replace", "path": 'emails[type eq "work"].value', "value": "a@x"},
        {"op": "replace", "value": {"displayName": "A", "name.familyName": "F"}},
    ]


@pytest.mark.parametrize(
    ("dialect", "active", "value", "op"),
    [
        (Dialect.LEGACY, False, "False", "Replace"),
        (Dialect.LEGACY, True, "True", "Replace"),
        (Dialect.COMPLIANT, False, False, "replace"),
        (Dialect.COMPLIANT, True, True, "replace"),
    ],
)
def test_active_is_a_string_in_legacy_and_a_boolean_in_compliant(
    dialect: Dialect, active: bool, value: object, op: str
) -> None:
    assert dialects.active_operations(dialect, active) == [
        {"op": op, "path": "active", "value": value}
    ]


def test_parse_choice() -> None:
    assert dialects.parse_choice("both") == (Dialect.LEGACY, Dialect.COMPLIANT)
    assert dialects.parse_choice("compliant") == (Dialect.COMPLIANT,)
    with pytest.raises(ValueError):
        dialects.parse_choice("modern")


def test_lowercase_ops_keeps_everything_else() -> None:
    ops = [{"op": "Remove", "path": "members", "value": [{"value": "1"}]}]
    assert dialects.lowercase_ops(ops) == [
        {"op": "remove", "path": "members", "value": [{"value": "1"}]}
    ]
    assert ops[0]["op"] == "Remove"


def test_membership_changes_are_one_patch_in_each_dialects_shape() -> None:
    """Entra's member add is one op with a value array; its removal is a value array (legacy)
    or one members[value eq] remove per member (compliant), all in one PatchOp."""
    assert dialects.member_operations(Dialect.LEGACY, ["a", "b"], add=True) == [
        {"op": "Add", "path": "members",
         "value": [{"$ref": None, "value": "a"}, {"$ref": None, "value": "b"}]},
    ]
    assert dialects.member_operations(Dialect.COMPLIANT, ["a"], add=True)[0]["op"] == "add"
    assert dialects.member_operations(Dialect.LEGACY, ["a", "b"], add=False) == [
        {"op": "Remove", "path": "members",
         "value": [{"$ref": None, "value": "a"}, {"$ref": None, "value": "b"}]},
    ]
    assert dialects.member_operations(Dialect.COMPLIANT, ["a", "b"], add=False) == [
        {"op": "remove", "path": 'members[value eq "a"]'},
        {"op": "remove", "path": 'members[value eq "b"]'},
    ]
