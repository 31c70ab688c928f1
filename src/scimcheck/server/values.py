"""Attribute value checking and coercion against the schema (RFC 7643 §2.3).

Values are stored exactly as sent (Entra S1 "store values exactly as sent"); only three Entra
quirks are coerced: the strings ``"True"``/``"False"`` (any case) for boolean attributes
(Entra S2, docs/entra.md §1.4), a bare-string ``manager`` (docs/entra.md §1.3, D13),
and a role whose ``value`` is a JSON-encoded role object (docs/entra.md §1.2 roles, D15).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from scimcheck.server.errors import INVALID_VALUE, bad_request
from scimcheck.server.schema import ENTERPRISE_USER_SCHEMA, Attribute, fold


@dataclass(frozen=True)
class Coercion:
    """How lenient coercion is; the defaults are the correct server's behaviour."""

    truthy_strings: bool = False
    """Variant ``string-false-truthy``: a string boolean becomes ``bool(text)``."""
    manager_string_rejected: bool = False
    """Variant ``manager-string-rejected``: a bare-string manager is an invalid value."""
    strict_booleans: bool = False
    """Variant ``string-boolean-rejected``: ``"True"``/``"False"`` strings are invalid values."""
    trim_strings: bool = False
    """Variant ``trims-spaces``: leading and trailing whitespace is stripped from strings."""
    title_case_names: bool = False
    """Variant ``title-cases-names``: givenName and familyName are stored ``str.title()``d."""
    truncate_at: int | None = None
    """Variant ``truncates-64``: strings longer than this are cut (userName excepted, as a
    database with varchar(64) name and title columns would)."""
    ascii_only: bool = False
    max_length: int | None = None
    """Variant ``long-values-rejected``: a string longer than this is refused with 400."""
    """Variant ``non-ascii-question-marks``: every non-ASCII character is stored as ``?``."""
    role_json: str = "decode"
    """``decode`` (correct); variant ``role-json-string-raw``: ``raw`` keeps the JSON string as
    the role's value; variant ``role-json-string-rejected``: ``reject`` answers 400."""


_JSON_TYPES = {
    "string": "a string",
    "reference": "a string",
    "binary": "a string",
    "dateTime": "an xsd:dateTime string",
    "boolean": "a boolean",
    "integer": "an integer",
    "decimal": "a number",
    "complex": "an object",
}


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _wrong(where: str, attribute: Attribute, value: Any) -> Exception:
    expected = _JSON_TYPES.get(attribute.type, attribute.type)
    if attribute.multi_valued:
        expected = f"an array of {'objects' if attribute.is_complex else 'values'}"
    return bad_request(INVALID_VALUE, f"{where} must be {expected}, not {_type_name(value)}")


def is_manager(attribute: Attribute, schema_id: str | None) -> bool:
    """Whether ``attribute`` is the enterprise ``manager`` (RFC 7643 §4.3)."""
    return attribute.name == "manager" and schema_id == ENTERPRISE_USER_SCHEMA


def coerce(
    attribute: Attribute,
    value: Any,
    where: str,
    options: Coercion,
    *,
    single: bool = False,
    wrap: bool = False,
    manager: bool = False,
) -> Any:
    """Check ``value`` against ``attribute`` and return it (coerced where Entra needs it).

    ``single`` checks one element of a multi-valued attribute; ``wrap`` accepts a lone value
    for a multi-valued attribute (PATCH add of one value). ``None`` means unassigned (§2.5).
    400 ``invalidValue`` when the type is wrong.
    """
    if value is None:
        return None
    if attribute.multi_valued and not single:
        if not isinstance(value, list):
            if not wrap:
                raise _wrong(where, attribute, value)
            value = [value]
        items = [coerce(attribute, item, f"{where}[{n}]", options, single=True)
                 for n, item in enumerate(value)]
        return [item for item in items if item is not None]
    if manager:
        value = manager_value(value, where, options)
        if value is None:
            return None
    if attribute.is_complex:
        if not isinstance(value, dict):
            raise _wrong(where, attribute, value)
        if attribute.name == "roles" and single:
            value = role_value(value, where, options)
        result: dict[str, Any] = {}
        for key, item in value.items():
            sub = attribute.sub(key)
            if sub is None:
                if item is not None:
                    result[key] = item
                continue
            checked = coerce(sub, item, f"{where}.{sub.name}", options)
            if checked is not None:
                result[sub.name] = checked
        return result
    return _simple(attribute, value, where, options)


def _simple(attribute: Attribute, value: Any, where: str, options: Coercion) -> Any:
    kind = attribute.type
    if kind == "boolean":
        return coerce_boolean(value, where, options)
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise _wrong(where, attribute, value)
        return value
    if kind == "decimal":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _wrong(where, attribute, value)
        return value
    if not isinstance(value, str):
        raise _wrong(where, attribute, value)
    if kind == "string":
        value = _mangled(attribute, value, options)
    if kind == "dateTime":
        try:
            datetime.fromisoformat(value)
        except ValueError:
            raise bad_request(
                INVALID_VALUE, f"{where} must be an xsd:dateTime, not {value!r}"
            ) from None
    return value


def role_value(element: dict[str, Any], where: str, options: Coercion) -> dict[str, Any]:
    """A ``roles`` element; Entra's PATCH form ``{"value": "{\"id\":…,\"value\":…,
    \"displayName\":…}"}`` (docs/entra.md §1.2 roles, D15) becomes ``{value, display}``."""
    raw = element.get("value")
    if options.role_json == "raw" or not (isinstance(raw, str) and raw.lstrip().startswith("{")):
        return element
    if options.role_json == "reject":
        raise bad_request(INVALID_VALUE, f"{where}.value must be a role value, not JSON text")
    try:
        decoded = json.loads(raw)
    except ValueError:
        return element
    if not isinstance(decoded, dict) or not isinstance(decoded.get("value"), str):
        return element
    rebuilt = {k: v for k, v in element.items() if k != "value"}
    rebuilt["value"] = decoded["value"]
    if isinstance(decoded.get("displayName"), str):
        rebuilt.setdefault("display", decoded["displayName"])
    return rebuilt


def _mangled(attribute: Attribute, value: str, options: Coercion) -> str:
    """What the broken variants do to stored strings (the correct server: nothing, Entra S1)."""
    if options.max_length is not None and len(value) > options.max_length:
        raise bad_request(
            INVALID_VALUE, f"{attribute.name} is longer than {options.max_length} characters"
        )
    if options.trim_strings:
        value = value.strip()
    if options.title_case_names and attribute.name in ("givenName", "familyName"):
        value = value.title()
    if options.truncate_at is not None and attribute.name != "userName":
        value = value[: options.truncate_at]
    if options.ascii_only:
        value = "".join(c if c.isascii() else "?" for c in value)
    return value


def coerce_boolean(value: Any, where: str, options: Coercion) -> bool:
    """A boolean; Entra's ``"True"``/``"False"`` strings (any case) become booleans (Entra S2)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        if options.truthy_strings:
            return bool(value)
        if fold(value) in ("true", "false") and not options.strict_booleans:
            return fold(value) == "true"
    raise bad_request(
        INVALID_VALUE, f"{where} must be a boolean (or \"true\"/\"false\"), not {value!r}"
    )


def manager_value(value: Any, where: str, options: Coercion) -> dict[str, Any] | None:
    """``manager`` as RFC 7643 §4.3 defines it, from whatever shape Entra sends (§1.3, D13).

    A bare id string becomes ``{"value": id}``; ``[{"value": id, "$ref": …}]`` becomes the
    object; an empty string, empty array or object without a value means "no manager".
    """
    if isinstance(value, list):
        if not value:
            return None
        if len(value) != 1:
            raise bad_request(INVALID_VALUE, f"{where} is single-valued; got {len(value)} values")
        value = value[0]
    if isinstance(value, str):
        if options.manager_string_rejected:
            raise bad_request(INVALID_VALUE, f"{where} must be an object, not a string")
        return {"value": value} if value else None
    if isinstance(value, dict):
        cleaned = {k: v for k, v in value.items() if v is not None}
        manager_id = next((v for k, v in cleaned.items() if fold(k) == "value"), None)
        if manager_id in (None, ""):
            return None
        if not isinstance(manager_id, str):
            raise bad_request(INVALID_VALUE, f"{where}.value must be a string id")
        return cleaned
    if value is None:
        return None
    raise bad_request(INVALID_VALUE, f"{where} must be an object with a value, not {value!r}")
