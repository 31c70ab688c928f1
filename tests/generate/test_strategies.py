"""The public strategies make every kind of value the issue asks for, and only sendable ones."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

import pytest
from faker import Faker
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from scimcheck.entra.requests import filter_value
from scimcheck.generate import strategies
from scimcheck.scim import fakers, profiles

PROFILE = profiles.load("entra-default")
TEXT = strategies.person_text(lambda f: f.first_name())
SEARCH = settings(database=None, max_examples=2000, suppress_health_check=list(HealthCheck),
                  phases=(Phase.generate,))  # found is enough; no need to shrink


@pytest.mark.parametrize(
    ("kind", "condition"),
    [
        ("outside the BMP", lambda s: any(ord(c) > 0xFFFF for c in s)),
        ("combining mark", lambda s: any(unicodedata.category(c) == "Mn" for c in s)),
        ("right-to-left", lambda s: any(unicodedata.bidirectional(c) in ("R", "AL") for c in s)),
        ("double quote", lambda s: '"' in s),
        ("backslash", lambda s: "\\" in s),
        ("leading space", lambda s: s[0].isspace()),
        ("trailing space", lambda s: s[-1].isspace()),
        ("256 characters or more", lambda s: len(s) >= 256),
        ("non-Latin Faker name", lambda s: s.isalpha() and not s.isascii()),
    ],
)
def test_person_text_reaches(kind: str, condition: Callable[[str], bool]) -> None:
    assert condition(find(TEXT, condition, settings=SEARCH)), kind


@given(strategies.users(PROFILE, tag="scimcheck-t"))
@settings(max_examples=60, database=None, suppress_health_check=list(HealthCheck))
def test_every_user_is_sendable_and_tagged(values: dict[str, object]) -> None:
    assert str(values["userName"]).startswith("scimcheck-t-")
    assert values["active"] is True
    for path, value in values.items():
        if isinstance(value, str):
            assert value.strip(), path
            # RFC 7643 §4.1.2: a formatted address may hold newlines
            allowed = "\n" if path.endswith("formatted") else ""
            assert not any(
                unicodedata.category(c) in ("Cc", "Cs", "Co", "Cn") and c not in allowed
                for c in value
            ), path
    assert not any(p.lower().endswith(":manager") for p in values)  # a reference, never made


def test_user_names_come_in_mixed_case() -> None:
    mixed = find(strategies.user_names("scimcheck-t"),
                 lambda n: any(c.isupper() for c in n.split("-", 3)[-1].split("@")[0])
                 and any(c.islower() for c in n.split("-", 3)[-1].split("@")[0]),
                 settings=SEARCH)
    assert mixed.startswith("scimcheck-t-")


@given(st.text())
def test_filter_string_is_a_json_string_literal(value: str) -> None:
    import json

    literal = filter_value(value)
    try:
        assert json.loads(literal) == value
    except json.JSONDecodeError:  # control characters: never generated for a filter
        assert any(unicodedata.category(c) == "Cc" for c in value)


def test_plain_users_are_plain() -> None:
    values = find(strategies.plain_users(PROFILE, "scimcheck-t"), lambda v: True)
    assert all(str(v).isascii() for v in values.values())


def test_groups_carry_the_tag_and_the_mapped_external_id() -> None:
    group = find(strategies.groups(PROFILE, "scimcheck-t"), lambda g: True)
    assert str(group["displayName"]).startswith("scimcheck-t-")
    assert "externalId" in group  # entra-default maps it
    assert "externalId" not in find(strategies.groups(profiles.load("entra-app")), lambda g: True)


_FAKED: dict[str, Callable[[Faker], object]] = {
    "first_name": lambda f: f.first_name(), "last_name": lambda f: f.last_name(),
    "name": lambda f: f.name(), "job": lambda f: f.job(), "address": lambda f: f.address(),
    "street_address": lambda f: f.street_address(), "city": lambda f: f.city(),
    "administrative_unit": lambda f: getattr(f, "administrative_unit", f.city)(),
    "postcode": lambda f: f.postcode(), "country": lambda f: f.current_country_code(),
    "company": lambda f: f.company(), "user_name": lambda f: f.user_name(),
    "phone_number": lambda f: f.phone_number(), "word": lambda f: f.word(),
    "numerify": lambda f: f.numerify("%######"), "hexify": lambda f: f.hexify("^^^^^^^^"),
}


@pytest.mark.parametrize("locale", sorted({*strategies.LOCALES, "en_GB", "nl_NL"}))
def test_fakers_with_fewer_providers_give_what_a_full_faker_gives(locale: str) -> None:
    """fakers.py loads 8 providers, not all: every value scimcheck draws is unchanged, so a
    --seed replays the same users (and a missing provider would raise here)."""
    full, lean = Faker(locale), fakers.new(locale)
    for seed in range(40):
        for name, make in _FAKED.items():
            full.seed_instance(seed)
            lean.seed_instance(seed)
            assert make(lean) == make(full), (locale, seed, name)
