"""Users and groups as Entra would send them under a profile: realistic values (Faker, seeded)
for every mapped attribute path (docs/entra.md §1.2, §1.3), and the variables a sequence file
uses for them (docs/sequences.md). Their requests are :mod:`scimcheck.entra.requests`'.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from faker import Faker

from scimcheck.core.errors import ConfigError
from scimcheck.core.templates import MISSING
from scimcheck.entra.dialects import ROLE_TYPE, Dialect, update_operations
from scimcheck.entra.paths import ENTERPRISE as _ENTERPRISE
from scimcheck.entra.paths import nest
from scimcheck.entra.requests import MANAGER, create_group_body, create_user_body
from scimcheck.scim import fakers
from scimcheck.scim.endpoints import GROUP_SCHEMA
from scimcheck.scim.profiles import Profile


@dataclass(frozen=True)
class Person:
    """The facts one generated user is built from."""

    given: str
    family: str
    tag: str
    serial: str


_Generator = Callable[[Person, int], Any]

# Each revision of a person lives in another of these locales, so addresses, phone numbers and
# languages change between revisions the way they do when someone moves office.
_LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "nl_NL")
_DEPARTMENTS = (
    "Sales", "Finance", "Research and Development", "Human Resources", "Marketing", "Legal",
    "Operations", "Customer Support", "Engineering", "Procurement",
)


def _faker(person: Person, revision: int, field: str) -> Faker:
    """Faker in the revision's locale, seeded by the person, the revision and the field."""
    locale = _LOCALES[(int(person.serial, 16) + revision) % len(_LOCALES)]
    return fakers.seeded(locale, f"{person.serial}/{revision}/{field}")


def _faked(field: str, make: Callable[[Faker], Any]) -> _Generator:
    """A generator of realistic values: the same person and revision give the same value, and
    no revision repeats the value of the one before it (so every update changes something)."""

    def generate(person: Person, revision: int) -> Any:
        previous = generate(person, revision - 1) if revision else MISSING
        attempt = 0
        while True:
            value = make(_faker(person, revision, f"{field}/{attempt}"))
            if value != previous:
                return value
            attempt += 1

    return generate


def _address(fake: Faker) -> dict[str, str]:
    """One work address; every sub-attribute Entra maps is drawn from the same seeded draw."""
    street, city, region = fake.street_address(), fake.city(), fake.administrative_unit()
    postal, country = fake.postcode(), fake.current_country_code()
    return {
        "formatted": f"{street}\n{postal} {city}\n{region}\n{country}",
        "streetaddress": street,
        "locality": city,
        "region": region,
        "postalcode": postal,
        "country": country,
    }


def _work_address(sub: str) -> _Generator:
    return _faked("address", lambda fake: _address(fake)[sub])


# Attributes whose value is another user's id. No generator can know one: Entra sends them in a
# PATCH of their own once both users exist (docs/entra.md §1.2 step 3, §5), so they are in
# no create body or update here; a sequence file sets them from a captured id, as Entra does
# ({entra: set-manager, with: {id: …, managerId: "{boss_id}"}}: entra.requests.set_manager).
REFERENCES = frozenset({MANAGER.lower()})
# Attributes Entra changes only in a PATCH form of their own, never in the update of the other
# attributes: app roles (AppRoleAssignmentsComplex, docs/entra.md §1.2 roles, D15) are sent
# in the create and then added as JSON-encoded strings (fixtures/sequences/app-roles.yaml).
OWN_UPDATE = frozenset({"roles"})
APP_ROLES = ("User", "Reader", "Contributor", "Auditor")  # the sequence adds Approver


def _app_role(person: Person, revision: int) -> list[dict[str, Any]]:
    """Entra's SingleAppRoleAssignment create form of one app role (docs/entra.md §1.2)."""
    role = APP_ROLES[(int(person.serial, 16) + revision) % len(APP_ROLES)]
    return [{"primary": True, "type": ROLE_TYPE, "value": role}]


# Value for an attribute path, from the person and a revision number (0 on create, 1+ on update).
_GENERATORS: dict[str, _Generator] = {
    "username": lambda p, r: f"{p.tag}-{p.serial}{'-r' + str(r) if r else ''}-"
    f"{p.given}.{p.family}@example.com",
    "displayname": lambda p, r: f"{p.given} {p.family}" + (f" ({r})" if r else ""),
    "name.givenname": lambda p, r: p.given + ("-Ann" * r),
    "name.familyname": lambda p, r: p.family + ("-Lee" * r),
    "name.formatted": lambda p, r: f"{p.given} {p.family}" + (f" {r}" if r else ""),
    "nickname": lambda p, r: f"{p.given[:3]}{r}",
    "title": _faked("title", lambda fake: fake.job()),
    "preferredlanguage": _faked("language", lambda fake: fake.locales[0].replace("_", "-")),
    "externalid": lambda p, r: str(uuid.uuid5(uuid.NAMESPACE_URL, f"{p.tag}/{p.serial}/{r}")),
    'emails[type eq "work"].value': lambda p, r: f"{p.given}.{p.family}.{p.serial}{r}"
    "@work.example.com".lower(),
    **{
        f'addresses[type eq "work"].{sub}': _work_address(sub)
        for sub in ("formatted", "streetaddress", "locality", "region", "postalcode", "country")
    },
    **{
        f'phonenumbers[type eq "{kind}"].value': _faked(f"{kind} phone", lambda f: f.phone_number())
        for kind in ("work", "mobile", "fax")
    },
    f"{_ENTERPRISE}:department": _faked("department", lambda f: f.random_element(_DEPARTMENTS)),
    f"{_ENTERPRISE}:employeenumber": _faked("employee", lambda fake: fake.numerify("%######")),
    f"{_ENTERPRISE}:costcenter": _faked("cost center", lambda fake: fake.numerify("CC-%###")),
    f"{_ENTERPRISE}:organization": _faked("organization", lambda fake: fake.company()),
    f"{_ENTERPRISE}:division": _faked("division", lambda fake: f"{fake.city()} Division"),
    "roles": _app_role,
}


_CUSTOM_EXTENSION = re.compile(
    r"^urn:\S+:extension:(?!enterprise:2\.0:User:)\S+:(?P<attr>\w+)$", re.I
)


def supported_attributes() -> list[str]:
    """User attribute paths a profile may map (``active`` and references included), plus any
    string attribute of a custom extension (``urn:…:extension:<app>:…:User:<attr>``)."""
    return sorted([*_GENERATORS, *REFERENCES, "active"])


def _generator(path: str) -> _Generator | None:
    """How to make values for an attribute path; custom extension attributes get strings."""
    known = _GENERATORS.get(path.lower())
    if known is not None:
        return known
    custom = _CUSTOM_EXTENSION.match(path)
    if custom is None:
        return None
    attr = custom["attr"]
    return lambda person, revision: f"{attr}-{person.serial}-{revision}"


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
        """POST /Users body in Entra's shape (docs/entra.md §1.2)."""
        return create_user_body(self.values)

    def variables(self) -> dict[str, Any]:
        """What a sequence file can use as ``{NAME.…}`` for this user."""
        out: dict[str, Any] = {
            "userName": self.user_name,
            "userNameOtherCase": self.user_name.swapcase(),
            "body": self.create_body(),
            "givenName": self.person.given,
            "familyName": self.person.family,
        }
        nest(out, self.values)
        out["next"] = nest({}, self.updated_values(1))
        out["values"] = dict(self.values)
        out["update"] = update_variables(self.updated_values(1))
        return out

    def updated_values(self, revision: int) -> dict[str, Any]:
        """New values for every mapped attribute except ``active`` and those Entra updates in
        a PATCH of their own (``roles``)."""
        return {
            path: _value(path, self.person, revision)
            for path in self.values
            if path.lower() != "active" and path.lower() not in OWN_UPDATE
        }


def update_variables(changes: dict[str, Any]) -> dict[str, Any]:
    """``{NAME.update.…}``: Entra's update of every mapped attribute, as values and as the
    operations each dialect sends; ``dottedKeys`` are the attributes the compliant dialect puts
    in a path-less replace under dotted keys (docs/entra.md §3, D11)."""
    dotted = {p: v for p, v in changes.items() if _pathless_dotted(p)}
    return {
        "values": dict(changes),
        "dottedKeys": dotted,
        "otherKeys": {p: v for p, v in changes.items() if p not in dotted},
        "legacyOps": update_operations(Dialect.LEGACY, changes),
        "compliantOps": update_operations(Dialect.COMPLIANT, changes),
    }


def _pathless_dotted(path: str) -> bool:
    return "." in path and "[" not in path and not path.lower().startswith("urn:")


class UserFactory:
    """Makes users with realistic names (Faker, seeded) and the run's tag in userName."""

    def __init__(self, profile: Profile, tag: str, seed: int) -> None:
        unknown = [
            a for a in profile.users.attributes
            if a.lower() != "active" and _generator(a) is None
            and a.lower() not in REFERENCES
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
        self._faker = fakers.new("en_US")
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
            if path.lower() in REFERENCES:
                continue
            values[path] = True if path.lower() == "active" else _value(path, person, 0)
        return GeneratedUser(person=person, values=values)


def _value(path: str, person: Person, revision: int) -> Any:
    generate = _generator(path)
    assert generate is not None, path  # UserFactory refuses profiles with other paths
    return generate(person, revision)


@dataclass
class GeneratedGroup:
    """A group to create, as Entra sends it (docs/entra.md §1.6)."""

    display_name: str
    external_id: str | None

    def create_body(self) -> dict[str, Any]:
        """POST /Groups body in Entra's shape (docs/entra.md §1.6)."""
        return create_group_body(self.display_name, self.external_id)

    @property
    def values(self) -> dict[str, Any]:
        """The attribute values Entra sends for this group (``{NAME.values}``)."""
        values: dict[str, Any] = {"displayName": self.display_name}
        if self.external_id is not None:
            values["externalId"] = self.external_id
        return values

    def variables(self) -> dict[str, Any]:
        """What a sequence file can use as ``{NAME.…}`` for this group."""
        out: dict[str, Any] = {
            "displayName": self.display_name,
            "displayNameOtherCase": self.display_name.swapcase(),
            "renamed": f"{self.display_name} (renamed)",
            "values": self.values,
            "body": self.create_body(),
            # not Entra's: a plainer create, for steps that judge something other than the URN
            "coreBody": {**self.create_body(), "schemas": [GROUP_SCHEMA]},
        }
        if self.external_id is not None:
            out["externalId"] = self.external_id
        return out


class GroupFactory:
    """Makes groups whose displayName carries the run's tag."""

    def __init__(self, profile: Profile, tag: str, seed: int) -> None:
        self.profile = profile
        self.tag = tag
        self._faker = fakers.new("en_US")
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


