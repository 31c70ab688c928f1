"""Thread-safe in-memory store of Users and Groups (RFC 7644 §3.3-3.6, RFC 7643 §3.1).

One re-entrant lock guards everything; callers get deep copies. Ids are uuid4; ``meta``
(resourceType, created, lastModified, location, version as a weak ETag) is maintained here.
``userName`` is unique compared case-insensitively (RFC 7643 §4.1.1 caseExact false, RFC 7644
§3.3 → 409 ``uniqueness``); group ``displayName`` is unique too (Entra S1 requirement). Group
members are checked to exist and get ``$ref``, ``type`` and ``display``; deleting a resource
removes it from every group's members.
"""

from __future__ import annotations

import copy
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from scimcheck.server.errors import INVALID_VALUE, UNIQUENESS, ScimError, bad_request, not_found
from scimcheck.server.resources import schemas_for
from scimcheck.server.schema import (
    ENTERPRISE_USER_SCHEMA,
    GROUP_TYPE,
    USER_TYPE,
    ResourceType,
    fold,
)

Resource = dict[str, Any]
Change = Callable[[dict[str, Any]], dict[str, Any]]
_SYSTEM_KEYS = ("schemas", "id", "meta")


@dataclass(frozen=True)
class StoreOptions:
    """Switches for the broken variants; the defaults are the correct server."""

    unique_user_names_on_create: bool = True
    """``False`` is variant ``duplicate-accepted``."""
    unique_names_case_exact: bool = False
    """Variant ``username-unique-case-exact``: uniqueness compares names case-exactly."""
    unique_group_names_on_create: bool = True
    """``False`` is variant ``group-duplicate-displayname``."""
    uppercase_family_name: bool = False
    """Variant ``uppercase-family-name``: a transformed value (Entra S1 "store as sent", D28)."""
    no_reenable: bool = False
    """Variant ``no-reenable``: an inactive user cannot be set active again."""
    deleted_names_reserved: bool = False
    """Variant ``recreate-refused``: a deleted user's userName stays taken (409 on a new
    create with it), though the user is gone from GET and queries."""
    patch_not_stored: bool = False
    """Variant ``patch-response-not-stored``: a PATCH answers with the changed resource, but
    the store keeps the old one."""
    freeze_last_modified: bool = False
    """Variant ``lastmodified-frozen``: meta.lastModified keeps the create's time forever."""
    drop_unsupported: bool = False
    """Variant ``unsupported-attributes-dropped``: name.formatted and the enterprise extension
    are accepted but never stored (an endpoint that does not support them)."""
    reserve_deleted_values: bool = False
    """Variant ``deleted-values-reserved``: a deleted user's userName, emails and externalId
    stay reserved, so a new user carrying one is refused with 409 (a server keeping deleted
    data)."""


def _now() -> str:
    """Microseconds: two writes a few requests apart never share a stamp, so a change that
    did not move lastModified shows even in a fast run (RFC 7643 §3.1)."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def attributes_of(resource: Resource) -> dict[str, Any]:
    """A resource without the server-managed ``schemas``, ``id`` and ``meta``."""
    return {k: v for k, v in resource.items() if k not in _SYSTEM_KEYS}


def _unique_key(rtype: ResourceType) -> str:
    return "userName" if rtype is USER_TYPE else "displayName"


def _kept_values(user: dict[str, Any]) -> set[str]:
    """The values a server keeping deleted data reserves: userName, each email, externalId."""
    found = [("userName", user.get("userName")), ("externalId", user.get("externalId"))]
    emails = user.get("emails")
    for email in emails if isinstance(emails, list) else []:
        found.append(("email", email.get("value") if isinstance(email, dict) else None))
    return {f"{kind} {fold(value)!r}" for kind, value in found if isinstance(value, str)}


class Store:
    """Users and Groups by id, in creation order."""

    def __init__(self, options: StoreOptions | None = None) -> None:
        self.options = options or StoreOptions()
        self._lock = threading.RLock()
        self._resources: dict[str, dict[str, Resource]] = {t.name: {} for t in (USER_TYPE,
                                                                                 GROUP_TYPE)}
        self._versions: dict[str, int] = {}
        self._reserved_names: set[str] = set()  # variant recreate-refused: deleted userNames
        self._reserved: set[str] = set()
        """Values of deleted users still held (variant ``deleted-values-reserved`` only)."""

    # --- reads -------------------------------------------------------------------------------

    def get(self, rtype: ResourceType, resource_id: str) -> Resource:
        """A copy of one resource; 404 if there is none with this id (RFC 7644 §3.4.1)."""
        with self._lock:
            return copy.deepcopy(self._existing(rtype, resource_id))

    def query(
        self,
        rtype: ResourceType,
        predicate: Callable[[Resource], bool] | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> tuple[int, list[Resource]]:
        """``(total matches, copies of matches[offset:offset+limit])`` in creation order."""
        with self._lock:
            matches = [
                r for r in self._resources[rtype.name].values()
                if predicate is None or predicate(r)
            ]
            page = matches[offset:] if limit is None else matches[offset:offset + limit]
            return len(matches), copy.deepcopy(page)

    def count(self, rtype: ResourceType) -> int:
        """How many resources of this type exist."""
        with self._lock:
            return len(self._resources[rtype.name])

    # --- writes ------------------------------------------------------------------------------

    def create(self, rtype: ResourceType, attrs: dict[str, Any], base_url: str) -> Resource:
        """Store a new resource (RFC 7644 §3.3); 409 ``uniqueness`` on a duplicate name."""
        with self._lock:
            resource_id = str(uuid.uuid4())
            now = _now()
            meta = {
                "resourceType": rtype.name,
                "created": now,
                "lastModified": now,
                "location": f"{base_url.rstrip('/')}{rtype.endpoint}/{resource_id}",
            }
            check = (
                self.options.unique_user_names_on_create if rtype is USER_TYPE
                else self.options.unique_group_names_on_create
            )
            if rtype is USER_TYPE:
                self._refuse_reserved(attrs)
            return self._commit(rtype, resource_id, attrs, meta, None, check_unique=check)

    def replace(self, rtype: ResourceType, resource_id: str, attrs: dict[str, Any]) -> Resource:
        """Replace all attributes (PUT, RFC 7644 §3.5.1); ``id`` and ``created`` are kept."""
        with self._lock:
            old = self._existing(rtype, resource_id)
            return self._commit(rtype, resource_id, attrs, dict(old["meta"]), old)

    def modify(self, rtype: ResourceType, resource_id: str, change: Change) -> Resource:
        """Apply ``change`` to a copy of the attributes and commit it atomically (PATCH)."""
        with self._lock:
            old = self._existing(rtype, resource_id)
            attrs = change(copy.deepcopy(attributes_of(old)))
            changed = self._commit(rtype, resource_id, attrs, dict(old["meta"]), old)
            if self.options.patch_not_stored:
                self._resources[rtype.name][resource_id] = old
            return changed

    def delete(self, rtype: ResourceType, resource_id: str) -> Resource:
        """Remove a resource and its group memberships (RFC 7644 §3.6); 404 if unknown."""
        with self._lock:
            resource = self._existing(rtype, resource_id)
            if self.options.deleted_names_reserved and rtype is USER_TYPE:
                self._reserved_names.add(fold(str(resource.get("userName", ""))))
            if self.options.reserve_deleted_values and rtype is USER_TYPE:
                self._reserved |= _kept_values(resource)
            del self._resources[rtype.name][resource_id]
            self._versions.pop(resource_id, None)
            for group in self._resources[GROUP_TYPE.name].values():
                members = group.get("members")
                if not isinstance(members, list):
                    continue
                kept = [m for m in members if m.get("value") != resource_id]
                if len(kept) != len(members):
                    if kept:
                        group["members"] = kept
                    else:
                        del group["members"]
                    self._touch(group)
            return copy.deepcopy(resource)

    # --- internals ---------------------------------------------------------------------------

    def _existing(self, rtype: ResourceType, resource_id: str) -> Resource:
        resource = self._resources[rtype.name].get(resource_id)
        if resource is None:
            raise not_found(f"{rtype.name} {resource_id!r} not found")
        return resource

    def _touch(self, resource: Resource) -> None:
        version = self._versions.get(resource["id"], 0) + 1
        self._versions[resource["id"]] = version
        if not (self.options.freeze_last_modified and "lastModified" in resource["meta"]):
            resource["meta"]["lastModified"] = _now()
        resource["meta"]["version"] = f'W/"{version}"'

    def _commit(
        self,
        rtype: ResourceType,
        resource_id: str,
        attrs: dict[str, Any],
        meta: dict[str, Any],
        old: Resource | None,
        check_unique: bool = True,
    ) -> Resource:
        attrs = copy.deepcopy(attrs)
        if rtype is USER_TYPE:
            self._user_quirks(attrs, old)
        if check_unique:
            self._check_unique(rtype, resource_id, attrs)
        if rtype is GROUP_TYPE and "members" in attrs:
            attrs["members"] = self._linked_members(resource_id, attrs["members"])
            if not attrs["members"]:
                del attrs["members"]
        resource: Resource = {"schemas": schemas_for(rtype, attrs), "id": resource_id}
        resource.update(attrs)
        resource["meta"] = meta
        self._resources[rtype.name][resource_id] = resource
        self._touch(resource)
        if old is None:
            meta["lastModified"] = meta["created"]  # RFC 7643 §3.1: equal until modified
        return copy.deepcopy(resource)

    def _user_quirks(self, attrs: dict[str, Any], old: Resource | None) -> None:
        """The variants that change what is stored for a user (no-op when correct)."""
        name = attrs.get("name")
        if self.options.drop_unsupported:
            for key in [k for k in attrs if k.lower() == ENTERPRISE_USER_SCHEMA.lower()]:
                del attrs[key]
            if isinstance(name, dict):
                for key in [k for k in name if k.lower() == "formatted"]:
                    del name[key]
        if self.options.uppercase_family_name and isinstance(name, dict) \
                and isinstance(name.get("familyName"), str):
            name["familyName"] = name["familyName"].upper()
        if self.options.no_reenable and old is not None and old.get("active") is False \
                and attrs.get("active") is True:
            attrs["active"] = False

    def _refuse_reserved(self, attrs: dict[str, Any]) -> None:
        held = sorted(_kept_values(attrs) & self._reserved)
        if held:
            raise ScimError(409, f"{held[0]} belonged to a deleted user and stays reserved",
                            UNIQUENESS)

    def _check_unique(self, rtype: ResourceType, resource_id: str, attrs: dict[str, Any]) -> None:
        key = _unique_key(rtype)
        value = attrs.get(key)
        if not isinstance(value, str):
            return
        same: Callable[[str], str] = (
            (lambda text: text) if self.options.unique_names_case_exact else fold
        )
        wanted = same(value)
        if rtype is USER_TYPE and fold(value) in self._reserved_names:
            raise ScimError(
                409, f"userName {value!r} belonged to a deleted user and cannot be used "
                "again", UNIQUENESS,
            )
        for other in self._resources[rtype.name].values():
            theirs = other.get(key)
            if other["id"] != resource_id and isinstance(theirs, str) and same(theirs) == wanted:
                raise ScimError(
                    409,
                    f"a {rtype.name} with {key} {value!r} already exists (id {other['id']}); "
                    f"{key} is unique, compared case-insensitively",
                    UNIQUENESS,
                )

    def _linked_members(self, group_id: str, members: list[dict[str, Any]]) -> list[Resource]:
        """Members as ``{value, $ref, type, display}``; each must name an existing resource."""
        linked: list[Resource] = []
        for n, member in enumerate(members):
            value = member.get("value")
            user = self._resources[USER_TYPE.name].get(value) if isinstance(value, str) else None
            group = self._resources[GROUP_TYPE.name].get(value) if isinstance(value, str) else None
            if isinstance(value, str) and value == group_id:
                raise bad_request(INVALID_VALUE, f"members[{n}]: a group cannot contain itself")
            found = user or group
            if found is None:
                raise bad_request(
                    INVALID_VALUE,
                    f"members[{n}].value {value!r} is not the id of an existing User or Group",
                )
            entry: Resource = {
                "value": value,
                "$ref": found["meta"]["location"],
                "type": "User" if user is not None else "Group",
            }
            display = found.get("displayName") or found.get("userName")
            if isinstance(display, str):
                entry["display"] = display
            linked.append(entry)
        return linked
