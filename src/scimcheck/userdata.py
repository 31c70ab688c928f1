"""Users as Entra would send them under a profile, and reading attribute paths back.

Attribute paths are the forms Entra's mappings use (entra-behavior.md §1.3): simple
(``displayName``), dotted (``name.givenName``), value-filtered (``emails[type eq "work"].value``)
and URN-qualified (``urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department``).
Attribute names compare case-insensitively (RFC 7643 §2.1).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from faker import Faker

from scimcheck.endpoints import (
    ADSCIM_GROUP_SCHEMA,
    ENTERPRISE_USER_SCHEMA,
    GROUP_SCHEMA,
    USER_SCHEMA,
)
from scimcheck.errors import ConfigError
from scimcheck.profiles import Profile

_FILTERED = re.compile(r'^(?P<attr>\w+)\[type eq "(?P<type>[^"]+)"\]\.(?P<sub>\w+)$', re.I)
MISSING: Any = object()


@dataclass(frozen=True)
class Person:
    """The facts one generated user is built from."""

    given: str
    family: str
    tag: str
    serial: str


_Generator = Callable[[Person, int], Any]

# Value for an attribute path, from the person and a revision number (0 on create, 1+ on update).
_GENERATORS: dict[str, _Generator] = {
    "username": lambda p, r: f"{p.tag}-{p.serial}{'-r' + str(r) if r else ''}-"
    f"{p.given}.{p.family}@example.com",
    "displayname": lambda p, r: f"{p.given} {p.family}" + (f" ({r})" if r else ""),
    "name.givenname": lambda p, r: p.given + ("-Ann" * r),
    "name.familyname": lambda p, r: p.family + ("-Lee" * r),
    "name.formatted": lambda p, r: f"{p.given} {p.family}" + (f" {r}" if r else ""),
    "nickname": lambda p, r: f"{p.given[:3]}{r}",
    "title": lambda p, r: ["Engineer", "Senior Engineer", "Staff Engineer"][r % 3],
    "preferredlanguage": lambda p, r: ["en-US", "de-DE", "fr-FR"][r % 3],
    "externalid": lambda p, r: str(uuid.uuid5(uuid.NAMESPACE_URL, f"{p.tag}/{p.serial}/{r}")),
    'emails[type eq "work"].value': lambda p, r: f"{p.given}.{p.family}.{p.serial}{r}"
    "@work.example.com".lower(),
    f"{ENTERPRISE_USER_SCHEMA}:department".lower(): lambda p, r: ["Sales", "Finance", "R&D"][r % 3],
    f"{ENTERPRISE_USER_SCHEMA}:employeenumber".lower(): lambda p, r: f"E{p.serial[:6]}{r}",
    f"{ENTERPRISE_USER_SCHEMA}:costcenter".lower(): lambda p, r: f"CC-{100 + r}",
    f"{ENTERPRISE_USER_SCHEMA}:organization".lower(): lambda p, r: f"Org {r}",
    f"{ENTERPRISE_USER_SCHEMA}:division".lower(): lambda p, r: f"Division {r}",
}


def supported_attributes() -> list[str]:
    """User attribute paths this module can generate values for (plus ``active``)."""
    return sorted([*_GENERATORS, "active"])


@dataclass
class GeneratedUser:
    """A user to create: the attribute values by path, and the POST body Entra would send."""

    person: Person
    values: dict[str, Any]

    @property
    def user_name(self) -> str:
        """The userName, which always carries the run's tag."""
        return str(self.values["userName"])

    def create_body(self) -> dict[str, Any]:
        """POST /Users body in Entra's shape (entra-behavior.md §1.2)."""
        body: dict[str, Any] = {"schemas": [USER_SCHEMA]}
        for path, value in self.values.items():
            set_path(body, path, value)
        if ENTERPRISE_USER_SCHEMA in body:
            body["schemas"].append(ENTERPRISE_USER_SCHEMA)
        body["meta"] = {"resourceType": "User"}
        return body

    def variables(self) -> dict[str, Any]:
        """What a sequence file can use as ``{NAME.…}`` for this user."""
        out: dict[str, Any] = {
            "userName": self.user_name,
            "userNameOtherCase": self.user_name.swapcase(),
            "body": self.create_body(),
            "givenName": self.person.given,
            "familyName": self.person.family,
        }
        for path, value in self.values.items():
            if "." not in path and "[" not in path and ":" not in path:
                out[path] = value
        return out

    def updated_values(self, revision: int) -> dict[str, Any]:
        """New values for every mapped attribute except ``active``."""
        return {
            path: _GENERATORS[path.lower()](self.person, revision)
            for path in self.values
            if path.lower() != "active"
        }


class UserFactory:
    """Makes users with realistic names (Faker, seeded) and the run's tag in userName."""

    def __init__(self, profile: Profile, tag: str, seed: int) -> None:
        unknown = [
            a for a in profile.users.attributes
            if a.lower() != "active" and a.lower() not in _GENERATORS
        ]
        if unknown:
            raise ConfigError(
                f"profile {profile.name!r} maps user attributes scimcheck cannot generate yet: "
                f"{', '.join(unknown)}; supported: {', '.join(supported_attributes())}"
            )
        if not any(a.lower() == "username" for a in profile.users.attributes):
            raise ConfigError(f"profile {profile.name!r} must map userName for users")
        self.profile = profile
        self.tag = tag
        self._faker = Faker("en_US")
        self._faker.seed_instance(seed)

    def new_user(self) -> GeneratedUser:
        """A fresh user for one sequence."""
        person = Person(
            given=_ascii_word(self._faker.first_name()),
            family=_ascii_word(self._faker.last_name()),
            tag=self.tag,
            serial=self._faker.hexify("^^^^^^^^"),
        )
        values: dict[str, Any] = {}
        for path in self.profile.users.attributes:
            values[path] = True if path.lower() == "active" else _GENERATORS[path.lower()](
                person, 0
            )
        return GeneratedUser(person=person, values=values)


@dataclass
class GeneratedGroup:
    """A group to create, as Entra sends it (entra-behavior.md §1.6)."""

    display_name: str
    external_id: str | None

    def create_body(self) -> dict[str, Any]:
        """POST /Groups body: core and Entra's ADSCIM schema URN, empty members."""
        body: dict[str, Any] = {
            "schemas": [GROUP_SCHEMA, ADSCIM_GROUP_SCHEMA],
            "displayName": self.display_name,
            "members": [],
            "meta": {"resourceType": "Group"},
        }
        if self.external_id is not None:
            body["externalId"] = self.external_id
        return body

    def variables(self) -> dict[str, Any]:
        """What a sequence file can use as ``{NAME.…}`` for this group."""
        out: dict[str, Any] = {
            "displayName": self.display_name,
            "displayNameOtherCase": self.display_name.swapcase(),
            "renamed": f"{self.display_name} (renamed)",
            "body": self.create_body(),
        }
        if self.external_id is not None:
            out["externalId"] = self.external_id
        return out


class GroupFactory:
    """Makes groups whose displayName carries the run's tag."""

    def __init__(self, profile: Profile, tag: str, seed: int) -> None:
        self.profile = profile
        self.tag = tag
        self._faker = Faker("en_US")
        self._faker.seed_instance(seed)

    def new_group(self) -> GeneratedGroup:
        """A fresh group for one sequence."""
        serial = self._faker.hexify("^^^^^^^^")
        team = _ascii_word(self._faker.last_name())
        maps_external = self.profile.groups is not None and any(
            a.lower() == "externalid" for a in self.profile.groups.attributes
        )
        return GeneratedGroup(
            display_name=f"{self.tag}-{serial} {team} Team",
            external_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.tag}/{serial}"))
            if maps_external else None,
        )


def _ascii_word(text: str) -> str:
    cleaned = re.sub(r"[^A-Za-z]", "", text)
    return cleaned or "Alex"


def _key(obj: Mapping[str, Any], name: str) -> str | None:
    lowered = name.lower()
    for key in obj:
        if key.lower() == lowered:
            return key
    return None


def _split_urn(path: str) -> tuple[str | None, str]:
    if path.lower().startswith("urn:"):
        urn, _, attr = path.rpartition(":")
        return urn, attr
    return None, path


def get_path(resource: Any, path: str) -> Any:
    """The value at an attribute path in a returned resource, or ``MISSING``."""
    if not isinstance(resource, Mapping):
        return MISSING
    urn, rest = _split_urn(path)
    container: Any = resource
    if urn is not None:
        key = _key(resource, urn)
        if key is None:
            return MISSING
        container = resource[key]
    match = _FILTERED.match(rest)
    if match:
        key = _key(container, match["attr"]) if isinstance(container, Mapping) else None
        if key is None or not isinstance(container[key], list):
            return MISSING
        for element in container[key]:
            if isinstance(element, Mapping) and str(element.get("type", "")).lower() == match[
                "type"
            ].lower():
                sub = _key(element, match["sub"])
                return element[sub] if sub is not None else MISSING
        return MISSING
    for part in rest.split("."):
        if not isinstance(container, Mapping):
            return MISSING
        key = _key(container, part)
        if key is None:
            return MISSING
        container = container[key]
    return container


def set_path(body: dict[str, Any], path: str, value: Any) -> None:
    """Put a value at an attribute path in a request body being built."""
    urn, rest = _split_urn(path)
    container = body
    if urn is not None:
        container = body.setdefault(urn, {})
    match = _FILTERED.match(rest)
    if match:
        elements = container.setdefault(match["attr"], [])
        elements.append({"type": match["type"], match["sub"]: value, "primary": not elements})
        return
    *parents, leaf = rest.split(".")
    for part in parents:
        container = container.setdefault(part, {})
    container[leaf] = value


def show(value: Any) -> str:
    """A value as a message shows it (``MISSING`` as 'absent')."""
    return "absent" if value is MISSING else repr(value)
