"""Placeholders fill typed values; body paths read what sequence files assert on."""

from __future__ import annotations

import pytest

from scimcheck.core.errors import MissingVariable
from scimcheck.core.templates import MISSING, names, render, render_path, resolve
from scimcheck.entra.dialects import Dialect
from scimcheck.sequences.assertions import judge_assertion as _judge_assertion
from scimcheck.sequences.assertions import judge_values as _judge_values
from scimcheck.sequences.interpreter import _parts, base_variables

VARS = {"u": {"id": "a b/c", "n": 3}, "flag": False, "bool": {"false": "False"}}


def test_a_whole_placeholder_keeps_its_type_and_inline_ones_become_text() -> None:
    assert render("{flag}", VARS) is False
    assert render("{u.n}", VARS) == 3
    assert render("x-{u.n}-{flag}", VARS) == "x-3-false"
    assert render({"k{u.n}": ["{u.id}", 1, None]}, VARS) == {"k3": ["a b/c", 1, None]}


def test_a_missing_variable_is_named() -> None:
    with pytest.raises(MissingVariable) as caught:
        render("{u.missing}", VARS)
    assert caught.value.name == "u.missing"


def test_path_placeholders_are_url_encoded_as_one_segment() -> None:
    assert render_path("/Users/{u.id}", VARS) == "/Users/a%20b%2Fc"


def test_dialect_variables() -> None:
    legacy = base_variables("t", Dialect.LEGACY)
    compliant = base_variables("t", Dialect.COMPLIANT)
    assert (legacy["op"]["remove"], legacy["bool"]["false"]) == ("Remove", "False")
    assert (compliant["op"]["remove"], compliant["bool"]["false"]) == ("remove", False)


DOC = {
    "Members": [{"value": "1", "type": "User"}, {"value": "2"}],
    "emails": [{"type": "Work", "value": "w@x"}, {"type": "home", "value": "h@x"}],
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "R&D"},
    "name": {"givenName": "Ann"},
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("members[*].value", ["1", "2"]),
        ("members[1].value", "2"),
        ('emails[type eq "work"].value', ["w@x"]),
        ("NAME.givenname", "Ann"),
        ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "R&D"),
        ("name.familyName", MISSING),
        ("members[5].value", MISSING),
        ("nothing[*].value", []),
    ],
)
def test_resolve(path: str, expected: object) -> None:
    assert resolve(DOC, path) == expected


@pytest.mark.parametrize(
    ("kind", "expected", "got", "holds"),
    [
        ("equals", "a", "a", True),
        ("equals", "a", "A", False),
        ("equals_ignore_case", "a", "A", True),
        ("not_equals", "a", "b", True),
        ("same_set", ["1", "2"], ["2", "1"], True),
        ("same_set", ["1", "2"], ["1"], False),
        ("contains", ["1"], ["1", "2"], True),
        ("excludes", ["1"], ["1", "2"], False),
        ("unique", True, ["1", "1"], False),
        ("count", 0, MISSING, True),
        ("count", 2, ["1", "2"], True),
        ("present", False, [], True),
        ("present", True, MISSING, False),
        ("is_boolean", False, "False", False),
        ("is_boolean", False, False, True),
        ("ends_with", "abc", "https://x/Users/abc", True),
        ("ends_with", "abc", "https://x/Users/abc/", True),
        ("ends_with", "abc", "https://x/Users/abd", False),
        ("ends_with", "abc", MISSING, False),
    ],
)
def test_assertions(kind: str, expected: object, got: object, holds: bool) -> None:
    problem = _judge_assertion(kind, "x", expected, got)
    assert (problem is None) is holds, problem


BEFORE = {"displayName": "Old", "name.givenName": "Ann"}
SENT = {"displayName": "New", "name.givenName": "Bea"}


@pytest.mark.parametrize(
    ("stored", "updated_problem", "has_values_problem", "exact_values_problem"),
    [
        ({"displayName": "New", "name": {"givenName": "Bea"}}, None, None, None),
        # not applied: updated's finding only
        ({"displayName": "Old", "name": {"givenName": "Bea"}}, "displayName is still 'Old'",
         None, None),
        ({"name": {"givenName": "Bea"}}, "displayName is still absent", None, None),
        # applied but truncated, or a character lost (D28): has_values' finding only
        ({"displayName": "Ne", "name": {"givenName": "Bea"}}, None, "displayName sent 'New'",
         None),
        ({"displayName": "N?w", "name": {"givenName": "Bea"}}, None, "displayName sent 'New'",
         None),
        # applied, only letter case or surrounding spaces changed (RFC 7644 §3.3): the
        # advisory exact_values' finding only
        ({"displayName": "NEW", "name": {"givenName": "Bea"}}, None, None,
         "displayName sent 'New', returned 'NEW' (only whitespace or letter case differ)"),
        ({"displayName": "New", "name": {"givenName": " bea "}}, None, None,
         "name.givenName sent 'Bea'"),
    ],
)
def test_update_read_back_splits_not_applied_from_transformed_from_normalised(
    stored: dict[str, object], updated_problem: str | None, has_values_problem: str | None,
    exact_values_problem: str | None,
) -> None:
    for kind, wanted in (("updated", updated_problem), ("has_values", has_values_problem),
                         ("exact_values", exact_values_problem)):
        problem = _judge_values(kind, SENT, stored, BEFORE, [])
        assert (problem is None) is (wanted is None), (kind, problem)
        assert wanted is None or wanted in str(problem), (kind, problem)


def test_values_skip_and_no_before() -> None:
    stored = {"displayName": "Old"}
    assert _judge_values("updated", SENT, stored, BEFORE, ["displayName", "name.givenName"]) \
        is None
    # without before, has_values compares every attribute (a create's read-back)
    assert "displayName sent 'New', returned 'Old'" in str(
        _judge_values("has_values", SENT, stored, {}, [])
    )
    # an absent value is lost, not normalised: has_values' finding, not exact_values'
    assert "name.givenName sent 'Bea', returned absent" in str(
        _judge_values("has_values", SENT, stored, {}, [])
    )
    assert _judge_values("exact_values", SENT, stored, {}, []) is None


def test_patch_parts_split_operations_and_pathless_keys() -> None:
    operations = [
        {"op": "Replace", "path": "displayName", "value": "x"},
        {"op": "replace", "value": {"name.givenName": "a", "urn:x:y:department": "d"}},
    ]
    parts = _parts(operations)
    assert [(attribute, pathless) for attribute, _, pathless in parts] == [
        ("displayName", False), ("name.givenName", True), ("urn:x:y:department", True),
    ]
    assert parts[1][1] == {"op": "replace", "value": {"name.givenName": "a"}}


def test_names_finds_every_variable_a_template_uses() -> None:
    """What a step uses (so a step using a value captured after a workaround inherits it)."""
    template = {"path": "/Groups/{team_id}", "k{u.n}": ["{members.ids}", 1, None, ("{x}",)]}
    assert names(template) == {"team_id", "u", "members", "x"}
    assert names("no placeholder {here") == set()
