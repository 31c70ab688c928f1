"""Hypothesis strategies for SCIM users and groups under a profile (public API).

Vendors can reuse them in their own tests::

    from hypothesis import given
    from scimcheck.scim import profiles
    from scimcheck.generate import strategies

    @given(strategies.users(profiles.load("entra-default"), tag="mytest"))
    def test_my_endpoint_keeps_values(values): ...

Values mix Faker-realistic data drawn from many locales (names, job titles, phone numbers,
addresses) with adversarial text: characters outside the Basic Multilingual Plane, combining
marks, right-to-left scripts, quotes and backslashes (which exercise filter escaping, RFC 7644
§3.4.2.2), leading and trailing spaces, strings of 256 characters and more, and ``userName`` in
mixed letter case. Every value is one Entra could send: no control characters, no empty or
all-space strings, no nulls (Entra never sends nulls, docs/entra.md §1.2). Every userName
carries ``tag`` so a run can find and delete what it created.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from typing import Any

from faker import Faker
from hypothesis import strategies as st

from scimcheck.entra.paths import FILTERED_PATH
from scimcheck.entra.requests import needs_escaping
from scimcheck.entra.userdata import OWN_UPDATE, REFERENCES
from scimcheck.scim import fakers
from scimcheck.scim.profiles import Profile

# Locales whose Faker data covers Latin with diacritics, Cyrillic, Greek, Hebrew and Arabic
# (right-to-left), Devanagari, Chinese and Japanese.
LOCALES = (
    "en_US", "de_DE", "fr_FR", "pl_PL", "tr_TR", "ru_RU", "el_GR", "he_IL", "ar_AA", "hi_IN",
    "zh_CN", "ja_JP",
)

def _alphabet(*ranges: tuple[int, int]) -> tuple[str, ...]:
    return tuple(chr(c) for low, high in ranges for c in range(low, high + 1))


# Characters Entra could carry from a directory, from many scripts: assigned code points only,
# no controls, surrogates or private use. Drawn from a list, not by Unicode category: Hypothesis
# checks a category alphabet's thousands of intervals one by one for every character, which
# made generation the harness's largest cost (benchmarks/harness_overhead.py).
_NON_BMP = _alphabet((0x1F600, 0x1F64F), (0x1D400, 0x1D454), (0x20000, 0x2001F))
_PRINTABLE = st.sampled_from(_alphabet(
    (0x61, 0x7A), (0x20, 0x60), (0x7B, 0x7E), (0xA0, 0x17F), (0x391, 0x3A1), (0x3A3, 0x3C9),
    (0x410, 0x44F), (0x5D0, 0x5EA), (0x627, 0x64A), (0x905, 0x939), (0x200B, 0x200F),
    (0x2010, 0x2027), (0x2030, 0x205E), (0x20A0, 0x20BF), (0x2100, 0x214F), (0x2190, 0x21FF),
    (0x3041, 0x3096), (0x4E00, 0x4FFF), (0xAC00, 0xAD00), (0xFF01, 0xFF5E),
) + _NON_BMP)


def _sendable(text: str) -> bool:
    return bool(text.strip())


_SHORT_TEXT = st.text(_PRINTABLE, min_size=1, max_size=24)
_LONG_TEXT = st.builds(
    lambda chunk, size: (chunk * (size // len(chunk) + 1))[:size],
    _SHORT_TEXT.filter(_sendable),
    st.integers(min_value=256, max_value=320),
)
"""256 to 320 characters: a short text repeated. Drawing each of 300 characters costs Hypothesis
about 1.5 ms an example, as much as the rest of a user; what a long value tests is length."""
QUOTES = ('"', "'", "\\", '\\"', "\u2019", "\u201c")


_SEEDS = 2**31
_LOCALE_AND_SEED = st.integers(min_value=0, max_value=len(LOCALES) * _SEEDS - 1)
"""One draw picks a locale and a Faker seed (one draw, not two: generation is a large share
of a run's CPU). Shrinks to 0: en_US, seed 0."""


def faker_values(make: Callable[[Faker], str]) -> st.SearchStrategy[str]:
    """Realistic values from Faker, in any of :data:`LOCALES` (shrinks to en_US, seed 0)."""

    @functools.lru_cache(maxsize=1024)  # Hypothesis replays choices when it mutates and shrinks
    def value(choice: int) -> str:
        seed, locale = divmod(choice, len(LOCALES))  # small choices still span every locale
        text = make(fakers.seeded(LOCALES[locale], seed))
        return text if _sendable(text) else make(fakers.seeded(LOCALES[0], 0))

    return _LOCALE_AND_SEED.map(value)


def adversarial_text(base: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[str]:
    """Text that breaks careless servers; each branch keeps one ordinary part (``base``)."""
    word = base if base is not None else faker_values(lambda f: f.first_name())
    non_bmp = st.text(st.sampled_from(_NON_BMP), min_size=1, max_size=4)
    marks = st.text(st.sampled_from(_alphabet((0x300, 0x36F))), min_size=1, max_size=3)
    rtl = st.text(
        st.one_of(st.characters(min_codepoint=0x05D0, max_codepoint=0x05EA),
                  st.characters(min_codepoint=0x0627, max_codepoint=0x064A)),
        min_size=1, max_size=12,
    )
    spaces = st.sampled_from((" ", "  ", "\u00a0", "\u3000"))
    return st.one_of(
        _SHORT_TEXT.filter(_sendable),
        st.builds(lambda w, q, x: f"{w}{q}{x}", word, st.sampled_from(QUOTES), word),
        st.builds(lambda pad, w, end: f"{pad}{w}" if end else f"{w}{pad}", spaces, word,
                  st.booleans()),
        st.builds(lambda w, e: w + e, word, non_bmp),
        st.builds(lambda w, m: w + m, word, marks),
        st.builds(lambda r, w: f"{r} {w}", rtl, word),
        _LONG_TEXT,
    )


def person_text(make: Callable[[Faker], str]) -> st.SearchStrategy[str]:
    """A realistic value, or an adversarial one built around it."""
    realistic = faker_values(make)
    return st.one_of(realistic, adversarial_text(realistic))


def mixed_case(text: str, flips: int) -> str:
    """``text`` with the ASCII letters at the set bits of ``flips`` in the other letter case
    (bit 0 is the first character)."""
    out = list(text)
    for index in range(min(len(out), flips.bit_length())):
        if flips >> index & 1 and out[index].isascii():
            out[index] = out[index].swapcase()
    return "".join(out)


ESCAPED_QUOTES = tuple(q for q in QUOTES if needs_escaping(q))
"""The quotes a filter's string literal must escape (RFC 7644 §3.4.2.2): ``"``, ``\\``, ``\\"``."""


@functools.cache
def _local_part() -> st.SearchStrategy[str]:
    """A realistic local part; one of a quote or backslash that Entra's match filter must
    escape (a third of them: drawn among the adversarial values only, one in thirty would be,
    and the escape check would need a hundred examples to meet one: issue 18's measurement,
    benchmarks/README.md); or an adversarial one."""
    realistic = faker_values(lambda f: f"{f.first_name()}.{f.last_name()}")
    escaped = st.builds(lambda w, q, x: f"{w}{q}{x}", realistic, st.sampled_from(ESCAPED_QUOTES),
                        realistic)
    return st.one_of(realistic, escaped, adversarial_text(realistic))


def user_names(tag: str, serial: Callable[[], str] | None = None) -> st.SearchStrategy[str]:
    """userName values: ``<tag>-<serial>-<local>@example.com``, the local part realistic or
    adversarial and the whole in mixed letter case. ``serial`` (default: a fresh id per draw,
    outside Hypothesis' control) keeps examples from colliding with one another."""
    make_serial = serial or (lambda: uuid.uuid4().hex[:8])
    return st.builds(
        lambda local, flips: f"{tag}-{make_serial()}-{mixed_case(local, flips)}@example.com",
        _local_part(),
        st.integers(min_value=0, max_value=2**48 - 1),  # one draw, not 48 booleans
    )


_DIGITS = st.text(st.characters(min_codepoint=0x30, max_codepoint=0x39), min_size=1, max_size=10)
_ADDRESS_PARTS: dict[str, Callable[[Faker], str]] = {
    "formatted": lambda f: f.address(),
    "streetaddress": lambda f: f.street_address(),
    "locality": lambda f: f.city(),
    "region": lambda f: f.administrative_unit() if hasattr(f, "administrative_unit") else f.city(),
    "postalcode": lambda f: f.postcode(),
    "country": lambda f: f.current_country_code(),
}
_FIELDS: dict[str, Callable[[Faker], str]] = {
    "displayname": lambda f: f.name(),
    "name.givenname": lambda f: f.first_name(),
    "name.familyname": lambda f: f.last_name(),
    "name.formatted": lambda f: f.name(),
    "name.middlename": lambda f: f.first_name(),
    "nickname": lambda f: f.first_name(),
    "title": lambda f: f.job(),
}
_ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:"


@functools.cache  # one strategy per path for the whole run: Hypothesis validates it once
def attribute_values(path: str) -> st.SearchStrategy[Any] | None:
    """Values for one mapped attribute path; ``None`` for attributes no strategy makes (the
    manager reference, roles, ``active``: Entra sends those in forms of their own)."""
    key = path.lower()
    if key in REFERENCES or key in OWN_UPDATE or key == "active":
        return None
    if key == "externalid":
        return st.one_of(st.uuids().map(str), adversarial_text())
    if key == "preferredlanguage":
        return st.sampled_from(("en-US", "de-DE", "fr-CA", "he-IL", "ar-SA", "ja-JP", "zh-Hans"))
    if key in _FIELDS:
        return person_text(_FIELDS[key])
    if key.startswith(_ENTERPRISE):
        name = key.removeprefix(_ENTERPRISE)
        if name in ("employeenumber", "costcenter"):
            return st.one_of(_DIGITS, st.builds(lambda d: "000" + d, _DIGITS))  # leading zeros
        return person_text(lambda f: f.company() if name == "organization" else f.city())
    match = FILTERED_PATH.match(path)
    if match is not None:
        attr, sub = match["attr"].lower(), match["sub"].lower()
        if attr == "emails":
            return st.builds(
                lambda local, n: f"{local}.{n}@work.example.com",
                faker_values(lambda f: f.user_name()), st.integers(0, 999),
            )
        if attr == "phonenumbers":
            return faker_values(lambda f: f.phone_number())
        if attr == "addresses":
            return person_text(_ADDRESS_PARTS.get(sub, lambda f: f.city()))
    if key.startswith("urn:"):  # an attribute of the app's own extension
        return person_text(lambda f: f.word())
    return None


def users(
    profile: Profile, tag: str = "scimcheck", serial: Callable[[], str] | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    """A user Entra could send under ``profile``: attribute path → value, with ``active``."""
    return _users(profile, user_names(tag, serial), attribute_values)


def _users(
    profile: Profile,
    user_name: st.SearchStrategy[str],
    values: Callable[[str], st.SearchStrategy[Any] | None],
) -> st.SearchStrategy[dict[str, Any]]:
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for path in profile.users.attributes:
        if path.lower() == "username":
            fields[path] = user_name
        elif path.lower() == "active":
            fields[path] = st.just(True)
        elif (strategy := values(path)) is not None:
            fields[path] = strategy
    return st.fixed_dictionaries(fields)


def user_changes(profile: Profile) -> st.SearchStrategy[dict[str, Any]]:
    """New values for a non-empty subset of the profile's updatable attributes (not userName:
    Entra changes the matching attribute rarely, and the model-based test covers it)."""
    return _changes(profile, attribute_values)


def _changes(
    profile: Profile, values: Callable[[str], st.SearchStrategy[Any] | None]
) -> st.SearchStrategy[dict[str, Any]]:
    fields = {
        path: strategy for path in profile.users.attributes
        if path.lower() != "username" and (strategy := values(path)) is not None
    }
    if not fields:
        return st.just({})
    return st.fixed_dictionaries({}, optional=fields).filter(bool)


_WORD = st.text(st.characters(min_codepoint=0x61, max_codepoint=0x7A), min_size=3, max_size=9)
PLAIN_WORDS = _WORD.map(str.capitalize)
"""Plain values (``Abc``) that no careless server mangles: the model-based lifecycle uses them so
that it judges state (active, membership, which attribute changed), while value handling is
the round-trip properties' concern."""


def plain_values(path: str) -> st.SearchStrategy[Any] | None:
    """A plain value for one mapped attribute path (``None`` as for :func:`attribute_values`)."""
    key = path.lower()
    if attribute_values(path) is None:
        return None
    if key == "externalid":
        return st.uuids().map(str)
    if key == "preferredlanguage":
        return st.sampled_from(("en-US", "de-DE"))
    if "emails[" in key:
        return _WORD.map(lambda w: f"{w}@work.example.com")
    if "phonenumbers[" in key or key.endswith(("employeenumber", "costcenter")):
        return st.text(st.characters(min_codepoint=0x31, max_codepoint=0x39), min_size=4,
                       max_size=9)
    return PLAIN_WORDS


def plain_users(
    profile: Profile, tag: str = "scimcheck", serial: Callable[[], str] | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    """A user with plain values under ``profile`` (userName ``<tag>-<serial>-<word>@…``)."""
    make_serial = serial or (lambda: uuid.uuid4().hex[:8])
    user_name = _WORD.map(lambda w: f"{tag}-{make_serial()}-{w}@example.com")
    return _users(profile, user_name, plain_values)


def plain_changes(profile: Profile) -> st.SearchStrategy[dict[str, Any]]:
    """Plain new values for a non-empty subset of the updatable attributes (not userName)."""
    return _changes(profile, plain_values)


def group_names(tag: str = "scimcheck") -> st.SearchStrategy[str]:
    """Group displayName values carrying ``tag``, realistic or adversarial."""
    team = person_text(lambda f: f"{f.last_name()} Team")
    return st.builds(lambda name: f"{tag}-{uuid.uuid4().hex[:8]} {name}", team)


def groups(profile: Profile, tag: str = "scimcheck") -> st.SearchStrategy[dict[str, Any]]:
    """A group Entra could send under ``profile``: displayName (tagged, realistic or
    adversarial) and, when mapped, externalId; members are added by PATCH, as Entra does."""
    fields: dict[str, st.SearchStrategy[Any]] = {"displayName": group_names(tag)}
    mapped = profile.groups.attributes if profile.groups is not None else ()
    if any(a.lower() == "externalid" for a in mapped):
        fields["externalId"] = st.uuids().map(str)
    return st.fixed_dictionaries(fields)
