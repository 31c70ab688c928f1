"""Attribute paths as Entra's mappings write them (docs/entra.md §1.3): simple
(``displayName``), dotted (``name.givenName``), value-filtered (``emails[type eq "work"].value``)
and URN-qualified (``urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department``):
putting a value at one in a request body, reading one back from a resource, and naming one as
sequence-file variables. Attribute names compare case-insensitively (RFC 7643 §2.1).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from scimcheck.core.templates import MISSING, resolve
from scimcheck.scim.endpoints import ENTERPRISE_USER_SCHEMA

FILTERED_PATH = re.compile(r'^(?P<attr>\w+)\[type eq "(?P<type>[^"]+)"\]\.(?P<sub>\w+)$', re.I)
ENTERPRISE = ENTERPRISE_USER_SCHEMA.lower()
"""The enterprise extension's URN, lowercased (paths are compared so)."""


def split_urn(path: str) -> tuple[str | None, str]:
    if path.lower().startswith("urn:"):
        urn, _, attr = path.rpartition(":")
        return urn, attr
    return None, path


def get_path(resource: Any, path: str) -> Any:
    """The value at an attribute path in a returned resource, or ``MISSING``.

    One value even for a value-filtered path (the first matching element's), read with the
    same resolver sequence files use (:func:`scimcheck.core.templates.resolve`).
    """
    value = resolve(resource, path)
    if FILTERED_PATH.match(split_urn(path)[1]):
        return value[0] if isinstance(value, list) and value else MISSING
    return value


def set_path(body: dict[str, Any], path: str, value: Any) -> None:
    """Put a value at an attribute path in a request body being built."""
    urn, rest = split_urn(path)
    container = body
    if urn is not None:
        container = body.setdefault(urn, {})
    match = FILTERED_PATH.match(rest)
    if match:
        elements = container.setdefault(match["attr"], [])
        for element in elements:  # addresses[type eq "work"].x and .y: one work address
            if str(element.get("type", "")).lower() == match["type"].lower():
                element[match["sub"]] = value
                return
        elements.append({"type": match["type"], match["sub"]: value, "primary": not elements})
        return
    *parents, leaf = rest.split(".")
    for part in parents:
        container = container.setdefault(part, {})
    container[leaf] = value


def nest(out: dict[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """Values by path as sequence-file variables: ``title``, ``name.formatted``,
    ``emails.work.value`` (for ``emails[type eq "work"].value``), ``enterprise.department``."""
    for path, value in values.items():
        urn, rest = split_urn(path)
        if urn is not None and urn.lower() != ENTERPRISE:
            continue  # no placeholder name for a custom extension's URN
        match = FILTERED_PATH.match(rest)
        parts = [match["attr"], match["type"], match["sub"]] if match else rest.split(".")
        if urn is not None:
            parts.insert(0, "enterprise")
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out
