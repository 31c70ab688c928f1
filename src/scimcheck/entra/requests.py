"""Every request Entra sends to a SCIM endpoint, defined once (docs/entra.md §1).

The sequence files name these shapes (``request: {entra: disable-user, with: {id: …}}``,
docs/sequences.md "Entra's requests"), the Hypothesis model and ``scimcheck load`` call the
functions: a change to what Entra sends is made here, and every consumer follows. The PATCH
operations of each dialect are :mod:`scimcheck.entra.dialects`'.

A request is an :class:`EntraRequest`: method, path under the SCIM base URL (ids percent-encoded
as one segment, RFC 3986 §3.3), query parameters and JSON body. Nothing here sends anything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scimcheck.entra.dialects import (
    Dialect,
    active_operations,
    attribute_operations,
    member_operations,
    patch_body,
    role_operations,
    update_operations,
)
from scimcheck.entra.paths import set_path
from scimcheck.scim import endpoints
from scimcheck.scim.endpoints import (
    ADSCIM_GROUP_SCHEMA,
    ENTERPRISE_USER_SCHEMA,
    GROUP_SCHEMA,
    USER_SCHEMA,
)

MANAGER = f"{ENTERPRISE_USER_SCHEMA}:manager"
"""The path Entra sets a user's manager on (docs/entra.md §1.3, D13)."""


@dataclass(frozen=True)
class EntraRequest:
    """One request as Entra sends it (``query`` ``None``: no query string; ``body`` ``None``:
    no body)."""

    method: str
    path: str
    query: dict[str, str] | None = None
    body: Any = None


FILTER_ESCAPED = ('"', "\\")
"""The characters a filter's string literal escapes (RFC 7644 §3.4.2.2, JSON string rules)."""


def needs_escaping(value: str) -> bool:
    """Whether :func:`filter_value` must escape something in ``value``."""
    return any(char in value for char in FILTER_ESCAPED)


def filter_value(value: str) -> str:
    """A filter's comparison value as RFC 7644 §3.4.2.2 writes it: a JSON string literal,
    quotes and backslashes escaped, anything else as is."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


# --- users (docs/entra.md §1.1-§1.5) ---------------------------------------------------------
def match_user(user_name: str) -> EntraRequest:
    """Entra's match before a create, and Test Connection's probe with a random GUID:
    ``GET /Users?filter=userName eq "…"`` (docs/entra.md §1.1, §1.2 step 1)."""
    return EntraRequest("GET", endpoints.USERS,
                        query={"filter": f"userName eq {filter_value(user_name)}"})


def match_user_by_external_id(external_id: str) -> EntraRequest:
    """Entra's match when externalId is the matching attribute:
    ``GET /Users?filter=externalId eq "…"`` (docs/entra.md §1.2, §1.7)."""
    return EntraRequest("GET", endpoints.USERS,
                        query={"filter": f"externalId eq {filter_value(external_id)}"})


def create_user_body(values: Mapping[str, Any]) -> dict[str, Any]:
    """``POST /Users`` body in Entra's shape (docs/entra.md §1.2): the core schema, the
    enterprise URN when its attributes are present (a custom extension's URN is left out, as
    Entra does, S8), each value at its attribute path, ``meta.resourceType``."""
    body: dict[str, Any] = {"schemas": [USER_SCHEMA]}
    for path, value in values.items():
        set_path(body, path, value)
    if ENTERPRISE_USER_SCHEMA in body:
        body["schemas"].append(ENTERPRISE_USER_SCHEMA)
    body["meta"] = {"resourceType": "User"}
    return body


def create_user(values: Mapping[str, Any]) -> EntraRequest:
    """Entra's create of a user with these attribute values (docs/entra.md §1.2 step 2)."""
    return EntraRequest("POST", endpoints.USERS, body=create_user_body(values))


def update_user(dialect: Dialect, user_id: str, changes: Mapping[str, Any]) -> EntraRequest:
    """Entra's one PATCH of every changed attribute (docs/entra.md §1.3, §3)."""
    return EntraRequest("PATCH", endpoints.user(user_id),
                        body=patch_body(update_operations(dialect, changes)))


def set_active(dialect: Dialect, user_id: str, active: bool) -> EntraRequest:
    """Entra's disable (``active`` false) or re-enable (docs/entra.md §1.4)."""
    return EntraRequest("PATCH", endpoints.user(user_id),
                        body=patch_body(active_operations(dialect, active)))


def add_attributes(dialect: Dialect, user_id: str, values: Mapping[str, Any]) -> EntraRequest:
    """Entra's ``Add`` of each attribute with its path (docs/entra.md §1.3: a first value, an
    enterprise URN path, D12)."""
    return EntraRequest("PATCH", endpoints.user(user_id),
                        body=patch_body(attribute_operations(dialect, "add", values)))


def replace_attributes(
    dialect: Dialect, user_id: str, values: Mapping[str, Any]
) -> EntraRequest:
    """Entra's ``Replace`` of each attribute with its path (docs/entra.md §1.3), also on an
    attribute without a value (Microsoft Learn Q&A 1373350)."""
    return EntraRequest("PATCH", endpoints.user(user_id),
                        body=patch_body(attribute_operations(dialect, "replace", values)))


def set_manager(dialect: Dialect, user_id: str, manager_id: str) -> EntraRequest:
    """Entra's PATCH of a user's manager, once both users exist: an ``Add`` of the manager's
    id as a bare string on the enterprise URN path (docs/entra.md §1.2 step 3, §1.3, D13)."""
    return add_attributes(dialect, user_id, {MANAGER: manager_id})


def add_role(dialect: Dialect, user_id: str, role: Mapping[str, Any]) -> EntraRequest:
    """Entra's assignment of one more app role (docs/entra.md §1.2 "Roles", §3, D15)."""
    return EntraRequest("PATCH", endpoints.user(user_id),
                        body=patch_body(role_operations(dialect, role)))


# --- groups (docs/entra.md §1.1, §1.6) --------------------------------------------------------
def match_group(display_name: str) -> EntraRequest:
    """Entra's group match, and Test Connection's group probe:
    ``GET /Groups?excludedAttributes=members&filter=displayName eq "…"`` (docs/entra.md §1.6)."""
    return EntraRequest("GET", endpoints.GROUPS, query={
        "excludedAttributes": "members",
        "filter": f"displayName eq {filter_value(display_name)}",
    })


def create_group_body(display_name: str, external_id: str | None = None) -> dict[str, Any]:
    """``POST /Groups`` body (docs/entra.md §1.6): the core schema and Entra's ADSCIM URN (D22),
    no members yet, ``meta.resourceType``, the externalId when mapped."""
    body: dict[str, Any] = {
        "schemas": [GROUP_SCHEMA, ADSCIM_GROUP_SCHEMA],
        "displayName": display_name,
        "members": [],
        "meta": {"resourceType": "Group"},
    }
    if external_id is not None:
        body["externalId"] = external_id
    return body


def create_group(display_name: str, external_id: str | None = None) -> EntraRequest:
    """Entra's create of a group, without members (docs/entra.md §1.6 step 2)."""
    return EntraRequest("POST", endpoints.GROUPS,
                        body=create_group_body(display_name, external_id))


def add_members(dialect: Dialect, group_id: str, member_ids: Sequence[str]) -> EntraRequest:
    """Entra's ``Add`` of members, several in one PATCH (docs/entra.md §1.6)."""
    return EntraRequest("PATCH", endpoints.group(group_id),
                        body=patch_body(member_operations(dialect, member_ids, add=True)))


def remove_members(dialect: Dialect, group_id: str, member_ids: Sequence[str]) -> EntraRequest:
    """Entra's removal of members, in each dialect's form (docs/entra.md §1.6, §3)."""
    return EntraRequest("PATCH", endpoints.group(group_id),
                        body=patch_body(member_operations(dialect, member_ids, add=False)))


def rename_group(dialect: Dialect, group_id: str, display_name: str) -> EntraRequest:
    """Entra's rename: ``Replace`` on ``displayName`` (docs/entra.md §1.6)."""
    return EntraRequest("PATCH", endpoints.group(group_id), body=patch_body(
        attribute_operations(dialect, "replace", {"displayName": display_name})))


# --- the names sequence files use -------------------------------------------------------------
@dataclass(frozen=True)
class Shape:
    """A request a sequence file names: the arguments it takes (``with:``) and how it is built
    in a dialect. schemas/sequence.schema.json lists the same names and arguments."""

    args: tuple[str, ...]
    build: Callable[[Dialect, Mapping[str, Any]], EntraRequest]


SHAPES: dict[str, Shape] = {
    "match-user": Shape(("userName",), lambda d, a: match_user(a["userName"])),
    "match-user-by-externalId": Shape(
        ("externalId",), lambda d, a: match_user_by_external_id(a["externalId"])),
    "create-user": Shape(("values",), lambda d, a: create_user(a["values"])),
    "update-user": Shape(("id", "changes"),
                         lambda d, a: update_user(d, a["id"], a["changes"])),
    "disable-user": Shape(("id",), lambda d, a: set_active(d, a["id"], False)),
    "enable-user": Shape(("id",), lambda d, a: set_active(d, a["id"], True)),
    "add-attributes": Shape(("id", "values"),
                            lambda d, a: add_attributes(d, a["id"], a["values"])),
    "replace-attributes": Shape(("id", "values"),
                                lambda d, a: replace_attributes(d, a["id"], a["values"])),
    "set-manager": Shape(("id", "managerId"),
                         lambda d, a: set_manager(d, a["id"], a["managerId"])),
    "add-role": Shape(("id", "role"), lambda d, a: add_role(d, a["id"], a["role"])),
    "match-group": Shape(("displayName",), lambda d, a: match_group(a["displayName"])),
    "create-group": Shape(
        ("values",),
        lambda d, a: create_group(a["values"]["displayName"], a["values"].get("externalId"))),
    "add-members": Shape(("id", "members"),
                         lambda d, a: add_members(d, a["id"], a["members"])),
    "remove-members": Shape(("id", "members"),
                            lambda d, a: remove_members(d, a["id"], a["members"])),
    "rename-group": Shape(("id", "displayName"),
                          lambda d, a: rename_group(d, a["id"], a["displayName"])),
}
"""Every request a sequence file can name, by the name it uses."""


def build(name: str, dialect: Dialect | None, args: Mapping[str, Any]) -> EntraRequest:
    """The request ``name`` with these (rendered) arguments; a dialect-independent sequence
    spells PATCH operations as the compliant dialect does (docs/sequences.md)."""
    return SHAPES[name].build(dialect or Dialect.COMPLIANT, args)
