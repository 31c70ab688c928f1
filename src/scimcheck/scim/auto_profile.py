"""``--profile auto``: the attribute mapping the endpoint's ``/Schemas`` says it can take.

The chosen mapping is the minimum every profile covers (``entra-app``) plus every attribute of
Entra's default mapping for a custom app (``entra-default``) that ``/Schemas`` declares
(RFC 7643 §7; RFC 7644 §4). ``externalId`` is a common attribute of every resource
(RFC 7643 §3.1), never declared in a schema, so it is always kept. A missing or unusable
``/Schemas`` falls back to the minimum mapping, and the profile's description says so: the
report shows which attributes were chosen and why.
"""

from __future__ import annotations

import re
from typing import Any

from scimcheck.http.transport import Transport, TransportConfig
from scimcheck.scim import endpoints, profiles
from scimcheck.scim.profiles import Mapping, Profile

AUTO = "auto"
MINIMUM = profiles.DEFAULT_PROFILE
FULLEST = "entra-default"
COMMON = {"externalid"}
"""Attributes of every resource (RFC 7643 §3.1), never listed in a schema."""


def placeholder() -> Profile:
    """The profile ``auto`` names before ``/Schemas`` is read: the minimum mapping."""
    minimum = profiles.load(MINIMUM)
    return Profile(name=AUTO, description="chosen from the endpoint's /Schemas at run start",
                   users=minimum.users, groups=minimum.groups, source=AUTO)


def declared(body: Any) -> dict[str, set[str]] | None:
    """Schema URN (lowercase) → the attribute names it declares, sub-attributes as
    ``parent.sub`` (lowercase); ``None`` when the answer is not a list of schemas."""
    if isinstance(body, dict) and isinstance(body.get("Resources"), list):
        body = body["Resources"]
    if not isinstance(body, list):
        return None
    found: dict[str, set[str]] = {}
    for schema in body:
        if not isinstance(schema, dict) or not isinstance(schema.get("id"), str):
            continue
        names = found.setdefault(schema["id"].lower(), set())
        for attribute in schema.get("attributes") or []:
            if not isinstance(attribute, dict) or not isinstance(attribute.get("name"), str):
                continue
            name = attribute["name"].lower()
            names.add(name)
            for sub in attribute.get("subAttributes") or []:
                if isinstance(sub, dict) and isinstance(sub.get("name"), str):
                    names.add(f"{name}.{sub['name'].lower()}")
    return found


def is_declared(path: str, schema_urn: str, found: dict[str, set[str]]) -> bool:
    """Whether the endpoint declares the attribute a mapping path sets
    (``emails[type eq "work"].value`` needs ``emails.value``; a URN path, its extension's)."""
    plain = re.sub(r"\[[^\]]*\]", "", path).lower()
    if plain in COMMON:
        return True
    if plain.startswith("urn:"):
        urn, _, name = plain.rpartition(":")
        return name in found.get(urn, set())
    return plain in found.get(schema_urn.lower(), set())


def choose(body: Any, status: str) -> Profile:
    """The mapping for an endpoint whose ``GET /Schemas`` answered ``body`` (``status`` is
    that answer's summary, for the report)."""
    minimum, fullest = profiles.load(MINIMUM), profiles.load(FULLEST)
    found = declared(body)
    if not found or endpoints.USER_SCHEMA.lower() not in found:
        return Profile(
            name=AUTO,
            description=(f"warning: /Schemas is missing or unusable ({status}): only the "
                         f"minimum mapping ({MINIMUM}) was replayed"),
            users=minimum.users, groups=minimum.groups, source=AUTO,
        )
    users, users_left = _extend(minimum.users, fullest.users, endpoints.USER_SCHEMA, found)
    groups = minimum.groups
    if groups is not None and fullest.groups is not None:
        groups, _ = _extend(groups, fullest.groups, endpoints.GROUP_SCHEMA, found)
    added = [a for a in users.attributes if a not in minimum.users.attributes]
    why = (f"the minimum mapping ({MINIMUM}) plus the attributes of Entra's default mapping "
           f"({FULLEST}) that /Schemas declares: {', '.join(added) or 'none'}")
    if users_left:
        why += f"; left out, not declared: {', '.join(users_left)}"
    return Profile(name=AUTO, description=why, users=users, groups=groups, source=AUTO)


def _extend(
    minimum: Mapping, fullest: Mapping, schema_urn: str, found: dict[str, set[str]]
) -> tuple[Mapping, list[str]]:
    have = {a.lower() for a in minimum.attributes}
    chosen, left = list(minimum.attributes), list[str]()
    for path in fullest.attributes:
        if path.lower() in have:
            continue
        (chosen if is_declared(path, schema_urn, found) else left).append(path)
    return Mapping(matching=minimum.matching, attributes=tuple(chosen)), left


def resolve(config: TransportConfig) -> Profile:
    """Read ``/Schemas`` once and choose the mapping."""
    with Transport(config) as transport:
        answer = transport.send("GET", endpoints.SCHEMAS, label="read /Schemas (--profile auto)")
    body = answer.json() if answer.status == 200 else None
    return choose(body, answer.summary())
