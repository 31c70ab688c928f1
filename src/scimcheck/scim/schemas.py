"""Validate SCIM bodies, profiles and ``results.json`` against scimcheck's JSON Schemas.

The schemas (Draft 2020-12) live in ``schemas/`` (found through :func:`bundled.schemas_dir`);
each is loaded once and registered under its ``$id``, so cross-file ``$ref`` works offline.
:func:`validate` returns one :class:`SchemaProblem` per violation, with a short sentence that
cites the rule: RFC 7643 for resources (§4.1 User, §4.2 Group, §5-§7 discovery), RFC 7644 for
messages (§3.4.2 ListResponse, §3.5.2 PatchOp, §3.12 Error). The schemas themselves are
:mod:`scimcheck.scim.schema_catalog`'s; the sentences, :mod:`scimcheck.scim.schema_messages`'.
"""

from __future__ import annotations

from collections.abc import Iterator

from jsonschema.exceptions import best_match

from scimcheck.scim.schema_catalog import KINDS, catalog, checked_kind, schema, schema_file
from scimcheck.scim.schema_messages import SchemaProblem, Segment, explain, pointer

__all__ = [
    "KINDS", "MAX_LISTED_RESOURCES", "SchemaProblem", "schema", "schema_file", "validate",
    "validate_list",
]

MAX_LISTED_RESOURCES = 1000
"""The most ``Resources`` of one ListResponse :func:`validate_list` validates (about 0.1 s)."""


def validate(kind: str, instance: object) -> list[SchemaProblem]:
    """Problems with ``instance`` as a ``kind`` (one of :data:`KINDS`); empty when valid.

    Resources follow RFC 7643 (§4.1 user, §4.2 group, §5-§7 discovery), messages RFC 7644
    (§3.4.2 list-response, §3.5.2 patch-op, §3.12 error); ``profile`` and ``results`` are
    scimcheck's own formats. Problems come shallowest first, one per rule broken.
    """
    return _validate(checked_kind(kind), instance, ())


def validate_list(
    instance: object, item_kind: str, limit: int = MAX_LISTED_RESOURCES
) -> list[SchemaProblem]:
    """A ListResponse (RFC 7644 §3.4.2) and each of its first ``limit`` ``Resources`` as an
    ``item_kind``; a page holding more is a problem at ``/Resources/<limit>``, so what one check
    walks is bounded (a 3 MB answer can list 10^6 empty objects).

    Item problems carry the full path, such as ``/Resources/0/active``.
    """
    item_kind = checked_kind(item_kind)
    problems = _validate("list-response", instance, ())
    resources = instance.get("Resources") if isinstance(instance, dict) else None
    if isinstance(resources, list):
        for index, item in enumerate(resources[:limit]):
            problems.extend(_validate(item_kind, item, ("Resources", index)))
        if len(resources) > limit:
            problems.append(SchemaProblem(
                pointer(("Resources", limit)),
                f"the page holds {len(resources):,} resources; scimcheck judges at most "
                f"{limit:,} on one page and did not read the rest (a client asks for pages with "
                "count, RFC 7644 §3.4.2.4, and no Entra query needs this many on one)",
                schema_file("list-response"),
            ))
    return problems


def _validate(kind: str, instance: object, base: tuple[Segment, ...]) -> list[SchemaProblem]:
    found = catalog()
    root_uri = str(found.roots[kind]["$id"])
    problems: list[tuple[tuple[Segment, ...], SchemaProblem]] = []
    quick = found.quick.get(kind)
    errors = () if quick is not None and quick.is_valid(instance) else \
        found.validators[kind].iter_errors(instance)
    for error in errors:
        leaf = best_match([error])  # descends into anyOf/oneOf to the most relevant cause
        for where, problem in explain(found, kind, root_uri, leaf, base):
            problems.append((where, problem))
    for where, message in _semantic(kind, instance):
        full = base + where
        problems.append((full, SchemaProblem(pointer(full), message, schema_file(kind))))
    problems.sort(key=lambda item: (len(item[0]), [_sort_key(s) for s in item[0]]))
    seen: set[tuple[str, str]] = set()
    unique: list[SchemaProblem] = []
    for _, problem in problems:
        if (problem.path, problem.message) not in seen:
            seen.add((problem.path, problem.message))
            unique.append(problem)
    return unique


def _sort_key(segment: Segment) -> tuple[int, int, str]:
    return (0, segment, "") if isinstance(segment, int) else (1, 0, segment)


# --- rules JSON Schema cannot express ---------------------------------------------------------


def _semantic(kind: str, instance: object) -> Iterator[tuple[tuple[Segment, ...], str]]:
    """A profile's ``attributes`` must list its ``matching`` attribute (names compare
    case-insensitively, RFC 7643 §2.1); JSON Schema cannot compare two values of one document."""
    if kind != "profile" or not isinstance(instance, dict):
        return
    for section in ("users", "groups"):
        mapping = instance.get(section)
        if not isinstance(mapping, dict):
            continue
        matching = mapping.get("matching")
        attributes = mapping.get("attributes")
        if not isinstance(matching, str) or not isinstance(attributes, list) or not attributes:
            continue  # the schema reports these
        if matching.lower() not in {a.lower() for a in attributes if isinstance(a, str)}:
            yield (
                (section, "attributes"),
                f"`{section}.attributes` does not list the matching attribute `{matching}`; "
                "Entra sends the attribute it matches on, so the profile must list it",
            )
