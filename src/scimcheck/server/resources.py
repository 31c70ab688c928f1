"""Turning POST/PUT bodies into stored attributes (RFC 7644 §3.3, §3.5.1; RFC 7643 §3).

Client-sent ``id`` and ``meta`` are ignored (RFC 7643 §3.1; Entra sends ``meta.resourceType``,
docs/entra.md §1.2); unknown ``schemas`` URNs are accepted (Entra's ADSCIM Group URN, §1.6,
D22); ``password`` is accepted but never kept or returned (RFC 7643 §4.1.1); ``active`` defaults
to true; null means unassigned (RFC 7643 §2.5).
"""

from __future__ import annotations

from typing import Any

from scimcheck.server.errors import INVALID_SYNTAX, INVALID_VALUE, bad_request
from scimcheck.server.schema import (
    GROUP_TYPE,
    USER_TYPE,
    ResourceType,
    fold,
    parse_attr_path,
)
from scimcheck.server.values import Coercion, coerce, is_manager

_IGNORED = frozenset({"schemas", "id", "meta"})


def check_schemas(rtype: ResourceType, body: dict[str, Any], reject_unknown: bool) -> None:
    """``schemas`` must be an array of strings; unknown URNs are fine (Entra D22).

    ``reject_unknown`` is variant ``adscim-schema-rejected``.
    """
    schemas = next((v for k, v in body.items() if fold(k) == "schemas"), None)
    if schemas is None:
        return
    if not isinstance(schemas, list) or not all(isinstance(s, str) for s in schemas):
        raise bad_request(INVALID_SYNTAX, "'schemas' must be an array of schema URN strings")
    if reject_unknown:
        unknown = [s for s in schemas if rtype.schema_for(s) is None]
        if unknown:
            raise bad_request(INVALID_VALUE, f"unknown schema URN(s) in 'schemas': {unknown}")


def normalize(
    rtype: ResourceType, body: Any, options: Coercion, reject_unknown_schemas: bool = False
) -> dict[str, Any]:
    """The attributes of a create/replace body, checked and with canonical attribute names."""
    if not isinstance(body, dict):
        raise bad_request(
            INVALID_SYNTAX, f"the request body must be a JSON object for a {rtype.name}"
        )
    check_schemas(rtype, body, reject_unknown_schemas)
    result: dict[str, Any] = {}
    for key, value in body.items():
        if not isinstance(key, str) or fold(key) in _IGNORED or value is None:
            continue
        extension = rtype.extension_for(key)
        if extension is not None:
            if not isinstance(value, dict):
                raise bad_request(INVALID_VALUE, f"extension '{key}' must be an object")
            attrs = _extension_attributes(rtype, extension.id, value, options)
            if attrs:
                result.setdefault(extension.id, {}).update(attrs)
            continue
        path = parse_attr_path(key)
        target = rtype.resolve(path) if path is not None and path.sub is None else None
        if target is not None and target.problem is not None:
            raise bad_request(INVALID_VALUE, target.problem)
        if target is None or target.attribute is None:
            result[key] = value  # no schema of ours defines it (e.g. a custom extension): as sent
            continue
        attribute = target.attribute
        if attribute.mutability == "readOnly":
            continue
        manager = is_manager(attribute, target.schema.id if target.schema else None)
        checked = coerce(attribute, value, attribute.name, options, manager=manager)
        if attribute.name == "password" and target.container is None:
            continue  # accepted, never stored or returned (RFC 7643 §4.1.1 returned "never")
        if checked is None:
            continue
        holder = result if target.container is None else result.setdefault(target.container, {})
        holder[attribute.name] = checked
    _complete(rtype, result)
    return result


def _extension_attributes(
    rtype: ResourceType, urn: str, value: dict[str, Any], options: Coercion
) -> dict[str, Any]:
    extension = rtype.extension_for(urn)
    assert extension is not None
    attrs: dict[str, Any] = {}
    for key, item in value.items():
        if item is None:
            continue
        attribute = extension.attribute(key)
        if attribute is None:
            attrs[key] = item
            continue
        if attribute.mutability == "readOnly":
            continue
        checked = coerce(
            attribute, item, f"{urn}:{attribute.name}", options,
            manager=is_manager(attribute, extension.id),
        )
        if checked is not None:
            attrs[attribute.name] = checked
    return attrs


def _complete(rtype: ResourceType, attrs: dict[str, Any]) -> None:
    """Required attributes, defaults and member references (RFC 7643 §4.1, §4.2)."""
    if rtype is USER_TYPE:
        check_required(rtype, attrs)
        attrs.setdefault("active", True)
    elif rtype is GROUP_TYPE:
        check_required(rtype, attrs)
        if "members" in attrs:
            attrs["members"] = member_values(attrs["members"], "members", dedupe=True)


def check_required(rtype: ResourceType, attrs: dict[str, Any]) -> None:
    """Required attributes must be present and non-empty (RFC 7643 §2.2 ``required``)."""
    for attribute in rtype.schema.attributes:
        if attribute.required and attrs.get(attribute.name) in (None, "", []):
            raise bad_request(
                INVALID_VALUE, f"'{attribute.name}' is required for a {rtype.name}"
            )


def member_values(members: Any, where: str, dedupe: bool) -> list[dict[str, Any]]:
    """Group members reduced to ``{"value": id}``; the store adds ``$ref``/``type``/``display``."""
    if not isinstance(members, list):
        raise bad_request(INVALID_VALUE, f"{where} must be an array of member objects")
    result: list[dict[str, Any]] = []
    seen: set[str] = set()
    for n, member in enumerate(members):
        value = member.get("value") if isinstance(member, dict) else None
        if not isinstance(value, str) or not value:
            raise bad_request(
                INVALID_VALUE, f"{where}[{n}] must be an object with a string 'value' (a user id)"
            )
        if dedupe and value in seen:
            continue
        seen.add(value)
        result.append({"value": value})
    return result


def schemas_for(rtype: ResourceType, attrs: dict[str, Any]) -> list[str]:
    """The ``schemas`` of a stored resource: core URN, then the extensions it carries."""
    schemas = [rtype.schema.id]
    for key, value in attrs.items():
        if isinstance(value, dict) and key.lower().startswith("urn:") and key not in schemas:
            schemas.append(key)
    return schemas

