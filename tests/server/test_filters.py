"""The filter grammar and evaluator (RFC 7644 §3.4.2.2; Entra's filters, docs/entra.md §1)."""

from __future__ import annotations

from typing import Any

import pytest

from scimcheck.server.errors import ScimError
from scimcheck.server.filter_evaluation import Evaluator, FilterOptions
from scimcheck.server.filter_syntax import (
    And,
    Compare,
    Not,
    Or,
    Present,
    ValuePath,
    parse_filter,
    parse_path,
)
from scimcheck.server.schema import ENTERPRISE_USER_SCHEMA, GROUP_TYPE, USER_TYPE, AttrPath

ENT = ENTERPRISE_USER_SCHEMA


def _c(name: str, op: str, value: Any, sub: str | None = None, uri: str | None = None) -> Compare:
    return Compare(AttrPath(uri, name, sub), op, value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('userName eq "bjensen"', _c("userName", "eq", "bjensen")),
        ('userName eq "a\\"b"', _c("userName", "eq", 'a"b')),
        ('userName eq "back\\\\slash"', _c("userName", "eq", "back\\slash")),
        ('displayName eq "caf\\u00e9 \\n"', _c("displayName", "eq", "café \n")),
        ("USERNAME EQ \"x\"", _c("USERNAME", "eq", "x")),
        ('name.familyName co "O\'Malley"', _c("name", "co", "O'Malley", "familyName")),
        ('userName sw "J"', _c("userName", "sw", "J")),
        ('userName ew "n"', _c("userName", "ew", "n")),
        ('userName ne "n"', _c("userName", "ne", "n")),
        ('meta.lastModified gt "2011-05-13T04:42:34Z"',
         _c("meta", "gt", "2011-05-13T04:42:34Z", "lastModified")),
        ('meta.lastModified ge "2011"', _c("meta", "ge", "2011", "lastModified")),
        ("x lt 10", _c("x", "lt", 10)),
        ("x le -1.5e2", _c("x", "le", -150.0)),
        ("title pr", Present(AttrPath(None, "title"))),
        ("active eq true", _c("active", "eq", True)),
        ("active eq False", _c("active", "eq", False)),
        ("manager eq null", _c("manager", "eq", None)),
        (f'{ENT}:department eq "R&D"', _c("department", "eq", "R&D", uri=ENT)),
        (f'{ENT}:manager.value eq "42"', _c("manager", "eq", "42", "value", ENT)),
        ("a eq 1 or b eq 2 and c eq 3",
         Or(_c("a", "eq", 1), And(_c("b", "eq", 2), _c("c", "eq", 3)))),
        ("(a eq 1 or b eq 2) and c eq 3",
         And(Or(_c("a", "eq", 1), _c("b", "eq", 2)), _c("c", "eq", 3))),
        ("a eq 1 and not (b eq 2)", And(_c("a", "eq", 1), Not(_c("b", "eq", 2)))),
        ("not(a pr) or b pr",
         Or(Not(Present(AttrPath(None, "a"))), Present(AttrPath(None, "b")))),
        ('notes eq "x"', _c("notes", "eq", "x")),
        ('order eq "x" and android eq "y"', And(_c("order", "eq", "x"), _c("android", "eq", "y"))),
        ('emails[type eq "work" and value co "@x"]',
         ValuePath(AttrPath(None, "emails"),
                   And(_c("type", "eq", "work"), _c("value", "co", "@x")))),
        ('emails[type eq "work"].value eq "u@x.com"',
         ValuePath(AttrPath(None, "emails"), _c("type", "eq", "work"), "value", "eq", "u@x.com")),
        ('userName eq "a" and emails[not (type eq "home")]',
         And(_c("userName", "eq", "a"),
             ValuePath(AttrPath(None, "emails"), Not(_c("type", "eq", "home"))))),
    ],
)
def test_filter_grammar(text: str, expected: Any) -> None:
    assert parse_filter(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "userName eq",
        "userName eq jyoung",  # unquoted values are not SCIM (legacy doc examples only)
        'userName equals "x"',
        'userName eq "unterminated',
        '"x" eq userName',
        "(userName pr",
        "userName pr)",
        'a eq "x" andb eq "y"',
        'a eq "x" and',
        'emails[type eq "work"',
        'emails[type eq "work"] eq "x"',
        'emails[addresses[type eq "x"]]',
        'userName eq "bad \\x escape"',
        "",
        "not a eq 1",
    ],
)
def test_invalid_filters_are_invalid_filter(text: str) -> None:
    with pytest.raises(ScimError) as caught:
        parse_filter(text)
    assert caught.value.status == 400
    assert caught.value.scim_type == "invalidFilter"
    assert caught.value.detail


def test_patch_paths() -> None:
    path = parse_path('members[value eq "7f4b"]')
    assert path.attr == AttrPath(None, "members")
    assert path.filter == _c("value", "eq", "7f4b") and path.sub is None
    path = parse_path('emails[type eq "work"].value')
    assert path.sub == "value"
    assert parse_path(f"{ENT}:employeeNumber").attr == AttrPath(ENT, "employeeNumber")
    assert parse_path("name.givenName").attr == AttrPath(None, "name", "givenName")
    for bad in ("", "emails[", "name..x", "a b", '[type eq "x"]'):
        with pytest.raises(ScimError) as caught:
            parse_path(bad)
        assert caught.value.scim_type == "invalidPath"


USER: dict[str, Any] = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENT],
    "id": "2819c223-7f76-453a-919d-413861904646",
    "externalId": "Ext-1",
    "userName": "Barbara.Jensen@Example.com",
    "name": {"familyName": "Jensen", "givenName": "Barbara"},
    "displayName": "Babs Jensen",
    "active": False,
    "title": "",
    "emails": [
        {"value": "bjensen@example.com", "type": "work", "primary": True},
        {"value": "babs@jensen.org", "type": "home"},
    ],
    ENT: {"department": "Tour Operations", "manager": {"value": "26118915-6090"}},
    "meta": {"resourceType": "User", "created": "2011-08-01T18:29:49.793Z",
             "lastModified": "2011-08-01T21:32:44.882Z", "version": 'W/"3"'},
    "score": 7,
}


@pytest.mark.parametrize(
    ("text", "matches"),
    [
        ('userName eq "barbara.jensen@example.com"', True),  # caseExact false
        ('USERNAME Eq "BARBARA.JENSEN@EXAMPLE.COM"', True),
        ('userName ne "barbara.jensen@example.com"', False),
        ('userName sw "barbara"', True),
        ('userName ew "EXAMPLE.COM"', True),
        ('userName co "JENSEN@"', True),
        ('externalId eq "ext-1"', False),  # caseExact true
        ('externalId eq "Ext-1"', True),
        ('id eq "2819C223-7F76-453A-919D-413861904646"', False),
        ('id eq "2819c223-7f76-453a-919d-413861904646"', True),
        ('meta.version eq "w/\\"3\\""', False),
        ('meta.version eq "W/\\"3\\""', True),
        ('meta.lastModified gt "2011-08-01T20:00:00Z"', True),
        ('meta.lastModified lt "2011-08-01T20:00:00Z"', False),
        ('meta.created ge "2011-08-01T18:29:49.793Z"', True),
        ('meta.created le "2011-08-01T18:29:49.792Z"', False),
        ("score gt 6", True),
        ("score ge 7.5", False),
        ("score lt 7.5", True),
        ("score le 6", False),
        ('name.GIVENNAME eq "barbara"', True),
        ('emails.value eq "BABS@jensen.org"', True),  # any value of a multi-valued attribute
        ('emails co "jensen.org"', True),  # multi-valued complex: compares .value
        ('emails[type eq "work" and value co "@example"]', True),
        ('emails[type eq "home" and primary eq true]', False),
        ('emails[type eq "work"].value eq "bjensen@example.com"', True),
        ('emails[type eq "other"].value pr', False),
        ("active eq false", True),
        ("active eq true", False),
        ("title pr", False),  # empty string is not present
        ("nickName pr", False),
        ("name pr", True),
        ("displayName pr and not (nickName pr)", True),
        ('userName eq "x" or displayName eq "babs jensen"', True),
        ('userName eq "x" or displayName eq "y" and active eq false', False),
        ('(userName eq "x" or displayName eq "babs jensen") and active eq true', False),
        (f'{ENT}:department eq "tour operations"', True),
        (f'{ENT.upper()}:DEPARTMENT eq "Tour Operations"', True),
        (f'{ENT}:manager.value eq "26118915-6090"', True),
        ('manager eq "26118915-6090"', True),  # Entra's legacy reference query (§1.7)
        ('manager.value eq "26118915-6090"', True),
        ('nosuch eq "x"', False),
        ('nosuch ne "x"', True),
        ("nickName eq null", True),
    ],
)
def test_evaluation(text: str, matches: bool) -> None:
    evaluator = Evaluator(USER_TYPE)
    node = parse_filter(text)
    evaluator.validate(node)
    assert evaluator.matches(node, USER) is matches


@pytest.mark.parametrize(
    "text",
    ["active gt true", 'active co "t"', 'userName co 5', "userName gt null",
     'name eq "x"', 'userName[value eq "x"]'],
)
def test_semantically_invalid_filters(text: str) -> None:
    with pytest.raises(ScimError) as caught:
        Evaluator(USER_TYPE).validate(parse_filter(text))
    assert caught.value.scim_type == "invalidFilter"


def test_case_exact_option_for_names() -> None:
    node = parse_filter('userName eq "barbara.jensen@example.com"')
    exact = Evaluator(USER_TYPE, FilterOptions(frozenset({"username"})))
    assert not exact.matches(node, USER)
    assert Evaluator(USER_TYPE).matches(node, USER)


def test_group_filters() -> None:
    group = {"id": "g1", "displayName": "Sales EMEA",
             "members": [{"value": "u1", "type": "User"}, {"value": "u2", "type": "User"}]}
    evaluator = Evaluator(GROUP_TYPE)
    assert evaluator.matches(parse_filter('displayName eq "sales emea"'), group)
    assert evaluator.matches(parse_filter('members[value eq "u2"]'), group)
    assert not evaluator.matches(parse_filter('members[value eq "U2"]'), group)  # ids exact
    assert evaluator.matches(parse_filter('members.value eq "u1"'), group)


@pytest.mark.parametrize("depth", [201, 400, 5000])
def test_deep_nesting_is_an_error_not_a_crash(depth: int) -> None:
    with pytest.raises(ScimError) as caught:
        parse_filter("not (" * depth + "a pr" + ")" * depth)
    assert caught.value.scim_type == "invalidFilter"
    long_chain = " and ".join(f"a{n} pr" for n in range(150))
    assert isinstance(parse_filter(long_chain), And)
