"""scimcheck's JSON Schemas (Draft 2020-12), loaded once: which file holds each kind, the
validators, and a fast copy of each schema with its ``$ref`` inlined.

The schemas live in ``schemas/`` (found through :func:`bundled.schemas_dir`); each is registered
under its ``$id``, so cross-file ``$ref`` works offline. ``date-time`` is RFC 3339 §5.6.
:mod:`scimcheck.scim.schemas` validates with them.
"""

from __future__ import annotations

import copy
import difflib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from scimcheck.core import bundled

KINDS: tuple[str, ...] = (
    "user",
    "group",
    "list-response",
    "error",
    "patch-op",
    "service-provider-config",
    "resource-type",
    "schema-definition",
    "profile",
    "results",
    "sequence",
    "failure-record",
)

FILES: dict[str, str] = {
    **{kind: f"scim/{kind}.schema.json" for kind in KINDS[:8]},
    "profile": "profile.schema.json",
    "results": "results.schema.json",
    "sequence": "sequence.schema.json",
    "failure-record": "failure-record.schema.json",
}
"""Where each kind's schema lives, relative to ``schemas/``."""

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")

FORMAT_CHECKER = FormatChecker(formats=())


@FORMAT_CHECKER.checks("date-time", raises=ValueError)
def _is_date_time(instance: object) -> bool:
    """RFC 3339 date-time (JSON Schema's ``date-time`` format), checked without extra packages."""
    if not isinstance(instance, str):
        return True
    if not _RFC3339.match(instance):
        return False
    datetime.fromisoformat(instance.upper().replace("Z", "+00:00"))  # rejects 2026-02-30
    return True


@dataclass(frozen=True)
class SchemaCatalog:
    """Every schema registered by ``$id``, and each kind's root schema and validators."""

    registry: Registry[Any]
    files: dict[str, str]  # $id -> "schemas/…" path
    roots: dict[str, dict[str, Any]]  # kind -> its schema
    validators: dict[str, Draft202012Validator]
    quick: dict[str, Draft202012Validator]  # kind -> the same rules with every $ref inlined


@cache
def catalog() -> SchemaCatalog:
    """Load every ``*.schema.json`` once and register it under its ``$id``."""
    directory = bundled.schemas_dir()
    resources: list[tuple[str, Resource[Any]]] = []
    files: dict[str, str] = {}
    by_file: dict[str, dict[str, Any]] = {}
    for path in sorted(directory.rglob("*.schema.json")):
        relative = path.relative_to(directory).as_posix()
        contents = json.loads(path.read_text(encoding="utf-8"))
        uri = contents.get("$id") if isinstance(contents, dict) else None
        if not isinstance(uri, str):
            raise ValueError(f"schema {relative} has no $id; every scimcheck schema needs one")
        resources.append((uri, DRAFT202012.create_resource(contents)))
        files[uri] = f"schemas/{relative}"
        by_file[relative] = contents
    registry: Registry[Any] = Registry().with_resources(resources)
    roots: dict[str, dict[str, Any]] = {}
    validators: dict[str, Draft202012Validator] = {}
    for kind, relative in FILES.items():
        if relative not in by_file:
            raise FileNotFoundError(f"schema for {kind!r} is missing: {directory / relative}")
        roots[kind] = by_file[relative]
        validators[kind] = Draft202012Validator(
            by_file[relative], registry=registry, format_checker=FORMAT_CHECKER
        )
    quick: dict[str, Draft202012Validator] = {}
    for kind in validators:
        inlined = _inlined(roots[kind], registry.resolver(base_uri=roots[kind]["$id"]), ())
        if inlined is not None:
            quick[kind] = Draft202012Validator(inlined, format_checker=FORMAT_CHECKER)
    return SchemaCatalog(registry, files, roots, validators, quick)


_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "dependentSchemas"})
_SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_SCHEMAS = frozenset({
    "items", "additionalProperties", "unevaluatedProperties", "unevaluatedItems", "contains",
    "propertyNames", "not", "if", "then", "else",
})
_ANNOTATIONS = frozenset({
    "$defs", "$id", "$schema", "$comment", "description", "title", "examples", "default",
})


def _inlined(schema: Any, resolver: Any, trail: tuple[int, ...]) -> Any:
    """``schema`` with each ``$ref`` replaced by the schema it names (beside the node's other
    keywords, as ``allOf``), so that validating looks nothing up: following references was
    half the cost of validating a User. ``None`` when a reference leads back into itself.

    Only the yes/no answer comes from the inlined schema; a body it rejects is explained by
    the original, whose paths name the file and RFC section of each rule
    (:mod:`scimcheck.scim.schema_messages`)."""
    if not isinstance(schema, dict):
        return schema  # true or false

    def inner(value: Any) -> Any:
        return _inlined(value, resolver, trail)

    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "$ref" or key in _ANNOTATIONS or key.startswith("x-"):
            continue
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            value = {name: inner(sub) for name, sub in value.items()}
            if any(sub is None for sub in value.values()):
                return None
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            value = [inner(sub) for sub in value]
            if any(sub is None for sub in value):
                return None
        elif key in _SCHEMAS:
            value = inner(value)
            if value is None:
                return None
        out[key] = value  # a validation keyword's own value (type, enum, const, required, …)
    reference = schema.get("$ref")
    if isinstance(reference, str):
        resolved = resolver.lookup(reference)
        if id(resolved.contents) in trail:
            return None
        target = _inlined(resolved.contents, resolved.resolver, (*trail, id(resolved.contents)))
        if target is None:
            return None
        out = {"allOf": [target, out]} if out else target
    return out


def checked_kind(kind: str) -> str:
    """``kind`` if it is one of :data:`KINDS`; else ``ValueError`` naming the closest."""
    if kind in FILES:
        return kind
    close = difflib.get_close_matches(kind, KINDS, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise ValueError(f"unknown schema kind {kind!r}: {hint}the kinds are {', '.join(KINDS)}")


def schema(kind: str) -> dict[str, Any]:
    """A copy of the JSON Schema used for ``kind``."""
    return copy.deepcopy(catalog().roots[checked_kind(kind)])


def schema_file(kind: str) -> str:
    """The file holding the schema for ``kind``, such as ``schemas/scim/user.schema.json``."""
    return f"schemas/{FILES[checked_kind(kind)]}"
