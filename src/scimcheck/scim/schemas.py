"""Validate SCIM bodies, profiles and ``results.json`` against scimcheck's JSON Schemas.

The schemas (Draft 2020-12) live in ``schemas/`` (found through :func:`bundled.schemas_dir`);
each is loaded once and registered under its ``$id``, so cross-file ``$ref`` works offline.
:func:`validate` returns one :class:`SchemaProblem` per violation, with a short sentence that
cites the rule: RFC 7643 for resources (§4.1 User, §4.2 Group, §5-§7 discovery), RFC 7644 for
messages (§3.4.2 ListResponse, §3.5.2 PatchOp, §3.12 Error).
"""

from __future__ import annotations

import ast
import copy
import difflib
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any
from urllib.parse import urldefrag, urljoin

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match
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

# Where each kind's schema lives, relative to ``schemas/``.
_FILES: dict[str, str] = {
    **{kind: f"scim/{kind}.schema.json" for kind in KINDS[:8]},
    "profile": "profile.schema.json",
    "results": "results.schema.json",
    "sequence": "sequence.schema.json",
    "failure-record": "failure-record.schema.json",
}

# How a message names the whole instance of each kind.
_ROOT_NAMES: dict[str, str] = {
    "profile": "the profile",
    "results": "results.json",
    "sequence": "the sequence file",
    "failure-record": "the failure record",
    "patch-op": "the request body",
}

_Segment = str | int
_TEMPLATE = re.compile(r"\{(at|got|value|count|\.[A-Za-z_$][A-Za-z0-9_$]*)\}")
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_TYPE_PHRASES: dict[str, str] = {
    "string": "a string",
    "boolean": "a JSON boolean (true or false)",
    "integer": "an integer",
    "number": "a number",
    "object": "an object",
    "array": "an array",
    "null": "null",
}

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


MAX_LISTED_RESOURCES = 1000
"""The most ``Resources`` of one ListResponse :func:`validate_list` validates (about 0.1 s)."""


@dataclass(frozen=True)
class SchemaProblem:
    """One violation: where (a JSON pointer, or ``(root)``), what, and which schema file says so."""

    path: str
    message: str
    schema_file: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass(frozen=True)
class _Catalog:
    registry: Registry[Any]
    files: dict[str, str]  # $id -> "schemas/…" path
    roots: dict[str, dict[str, Any]]  # kind -> its schema
    validators: dict[str, Draft202012Validator]
    quick: dict[str, Draft202012Validator]  # kind -> the same rules with every $ref inlined


@cache
def _catalog() -> _Catalog:
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
    for kind, relative in _FILES.items():
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
    return _Catalog(registry, files, roots, validators, quick)


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
    the original, whose paths name the file and RFC section of each rule (:func:`_locate`)."""
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


def _kind(kind: str) -> str:
    if kind in _FILES:
        return kind
    close = difflib.get_close_matches(kind, KINDS, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise ValueError(f"unknown schema kind {kind!r}: {hint}the kinds are {', '.join(KINDS)}")


def schema(kind: str) -> dict[str, Any]:
    """A copy of the JSON Schema used for ``kind``."""
    return copy.deepcopy(_catalog().roots[_kind(kind)])


def schema_file(kind: str) -> str:
    """The file holding the schema for ``kind``, such as ``schemas/scim/user.schema.json``."""
    return f"schemas/{_FILES[_kind(kind)]}"


def validate(kind: str, instance: object) -> list[SchemaProblem]:
    """Problems with ``instance`` as a ``kind`` (one of :data:`KINDS`); empty when valid.

    Resources follow RFC 7643 (§4.1 user, §4.2 group, §5-§7 discovery), messages RFC 7644
    (§3.4.2 list-response, §3.5.2 patch-op, §3.12 error); ``profile`` and ``results`` are
    scimcheck's own formats. Problems come shallowest first, one per rule broken.
    """
    return _validate(_kind(kind), instance, ())


def validate_list(
    instance: object, item_kind: str, limit: int = MAX_LISTED_RESOURCES
) -> list[SchemaProblem]:
    """A ListResponse (RFC 7644 §3.4.2) and each of its first ``limit`` ``Resources`` as an
    ``item_kind``; a page holding more is a problem at ``/Resources/<limit>``, so what one check
    walks is bounded (a 3 MB answer can list 10^6 empty objects).

    Item problems carry the full path, such as ``/Resources/0/active``.
    """
    item_kind = _kind(item_kind)
    problems = _validate("list-response", instance, ())
    resources = instance.get("Resources") if isinstance(instance, dict) else None
    if isinstance(resources, list):
        for index, item in enumerate(resources[:limit]):
            problems.extend(_validate(item_kind, item, ("Resources", index)))
        if len(resources) > limit:
            problems.append(SchemaProblem(
                _pointer(("Resources", limit)),
                f"the page holds {len(resources):,} resources; scimcheck judges at most "
                f"{limit:,} on one page and did not read the rest (a client asks for pages with "
                "count, RFC 7644 §3.4.2.4, and no Entra query needs this many on one)",
                schema_file("list-response"),
            ))
    return problems


def _validate(kind: str, instance: object, base: tuple[_Segment, ...]) -> list[SchemaProblem]:
    catalog = _catalog()
    root_uri = str(catalog.roots[kind]["$id"])
    problems: list[tuple[tuple[_Segment, ...], SchemaProblem]] = []
    quick = catalog.quick.get(kind)
    errors = () if quick is not None and quick.is_valid(instance) else \
        catalog.validators[kind].iter_errors(instance)
    for error in errors:
        leaf = best_match([error])  # descends into anyOf/oneOf to the most relevant cause
        for where, problem in _explain(catalog, kind, root_uri, leaf, base):
            problems.append((where, problem))
    for where, message in _semantic(kind, instance):
        full = base + where
        problems.append((full, SchemaProblem(_pointer(full), message, schema_file(kind))))
    problems.sort(key=lambda item: (len(item[0]), [_sort_key(s) for s in item[0]]))
    seen: set[tuple[str, str]] = set()
    unique: list[SchemaProblem] = []
    for _, problem in problems:
        if (problem.path, problem.message) not in seen:
            seen.add((problem.path, problem.message))
            unique.append(problem)
    return unique


def _sort_key(segment: _Segment) -> tuple[int, int, str]:
    return (0, segment, "") if isinstance(segment, int) else (1, 0, segment)


# --- explaining one error --------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    """What a message needs to know about where an error happened."""

    source: str  # nearest x-source, such as "RFC 7643 §4.1.1"
    file: str
    hints: dict[str, Any]  # the failing subschema (x-messages, x-expected, properties …)


def _explain(
    catalog: _Catalog,
    kind: str,
    root_uri: str,
    error: ValidationError,
    base: tuple[_Segment, ...],
) -> Iterator[tuple[tuple[_Segment, ...], SchemaProblem]]:
    where = base + tuple(error.absolute_path)
    context = _locate(catalog, kind, root_uri, error)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        hints = context.hints
        allowed = list(hints.get("properties", {}))
        patterns = list(hints.get("patternProperties", {}))
        for key in error.instance:
            if key in allowed or any(re.search(p, key) for p in patterns):
                continue
            inside = f" in {_display(kind, where)}" if where else ""
            message = (
                f"`{key}` is not a known key{inside}; {context.source} allows only "
                f"{_join([f'`{name}`' for name in allowed], 'and')}"
            )
            path = (*where, key)
            yield path, SchemaProblem(_pointer(path), message, context.file)
        return
    message = _message(kind, where, error, context)
    yield where, SchemaProblem(_pointer(where), message, context.file)


def _locate(catalog: _Catalog, kind: str, root_uri: str, error: ValidationError) -> _Context:
    """Walk the schema path (following ``$ref``) to find the file and RFC section of the rule."""
    tokens = list(error.absolute_schema_path)[:-1]  # the last token is the keyword itself
    target = error.schema
    root = catalog.roots[kind]
    resolver = catalog.registry.resolver(base_uri=root_uri)
    trail = _walk(root, tokens, 0, target, resolver, root_uri)
    source = str(root.get("x-source", "the schema"))
    file = catalog.files.get(root_uri, schema_file(kind))
    if trail is not None:
        for node, _ in trail:
            if isinstance(node, dict) and isinstance(node.get("x-source"), str):
                source = node["x-source"]
        file = catalog.files.get(trail[-1][1], file)
    hints = target if isinstance(target, dict) else {}
    return _Context(source=source, file=file, hints=dict(hints))


def _walk(
    node: Any,
    tokens: Sequence[_Segment],
    index: int,
    target: Any,
    resolver: Any,
    uri: str,
) -> list[tuple[Any, str]] | None:
    """The nodes from ``node`` along ``tokens`` to ``target``, trying ``$ref`` where needed.

    jsonschema leaves ``$ref`` out of schema paths, so a token missing from a node (or a
    dead end below it) may mean the path continues inside the referenced schema.
    """
    if index == len(tokens) and node is target:
        return [(node, uri)]
    token = tokens[index] if index < len(tokens) else None
    if isinstance(node, dict):
        if isinstance(token, str) and token in node:
            rest = _walk(node[token], tokens, index + 1, target, resolver, uri)
            if rest is not None:
                return [(node, uri), *rest]
        ref = node.get("$ref")
        if isinstance(ref, str):
            try:
                resolved = resolver.lookup(ref)
            except Exception:  # an unresolvable $ref is reported by validation itself
                return None
            new_uri = urldefrag(urljoin(uri, ref)).url or uri
            rest = _walk(resolved.contents, tokens, index, target, resolved.resolver, new_uri)
            if rest is not None:
                return [(node, uri), *rest]
    elif isinstance(node, list) and isinstance(token, int) and 0 <= token < len(node):
        rest = _walk(node[token], tokens, index + 1, target, resolver, uri)
        if rest is not None:
            return [(node, uri), *rest]
    return None


def _message(
    kind: str, where: tuple[_Segment, ...], error: ValidationError, context: _Context
) -> str:
    """One short sentence for ``error``, specific for the common cases."""
    keyword = str(error.validator)
    hints = context.hints
    at = _display(kind, where)
    source = context.source
    instance: Any = error.instance
    templates = hints.get("x-messages")
    if isinstance(templates, dict) and isinstance(templates.get(keyword), str):
        return _capital(_fill(templates[keyword], at, instance))
    expected = hints.get("x-expected")
    value: Any = error.validator_value
    if keyword == "required":
        missing = _required_property(error)
        inside = f" from {at}" if where else ""
        return f"`{missing}` is missing{inside}; {source} requires it"
    if keyword == "type":
        return _capital(
            f"{at} is {_describe(instance)}; {source} requires {_expect(value, instance, hints)}"
        )
    if keyword == "contains" and isinstance(value, dict) and "const" in value:
        return _capital(f"{at} does not list {json.dumps(value['const'])}; {source} requires it")
    if keyword in {"const", "enum", "pattern", "format"}:
        if not isinstance(expected, str):
            if keyword == "const":
                expected = json.dumps(value)
            elif keyword == "enum":
                expected = "one of " + _join([json.dumps(v) for v in value], "or")
            elif keyword == "pattern":
                expected = f"a string matching {value}"
            else:
                expected = f"a valid {value}"
        return _capital(f"{at} is {_short(instance)}; {source} requires {expected}")
    if keyword == "minLength" and value == 1:
        return _capital(f"{at} is an empty string; {source} requires a non-empty string")
    if keyword == "minItems":
        if value == 1:
            return _capital(f"{at} is an empty array; {source} requires at least one item")
        return _capital(f"{at} has {len(instance)} item(s); {source} requires at least {value}")
    if keyword in {"minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"}:
        sign = {"minimum": "≥", "exclusiveMinimum": ">", "maximum": "≤", "exclusiveMaximum": "<"}
        noun = "an integer" if hints.get("type") == "integer" else "a number"
        return _capital(
            f"{at} is {_short(instance)}; {source} requires {noun} {sign[keyword]} {value}"
        )
    if keyword == "uniqueItems" and isinstance(instance, list):
        dup = _first_duplicate(instance)
        return _capital(
            f"{at} lists {_short(dup)} more than once; {source} requires each item once"
        )
    detail = error.message if len(error.message) <= 160 else error.message[:157] + "…"
    return _capital(f"{at}: {detail} ({source})")


def _expect(types: Any, instance: object, hints: dict[str, Any]) -> str:
    """What a ``type`` keyword wants, in words (null is tolerated, not required, so unsaid)."""
    names = [types] if isinstance(types, str) else list(types)
    wanted = [t for t in names if t != "null"] or ["null"]
    phrases = []
    for name in wanted:
        phrase = _TYPE_PHRASES.get(name, name)
        properties = hints.get("properties")
        if name == "object" and isinstance(properties, dict) and 0 < len(properties) <= 4:
            phrase += " {" + ", ".join(properties) + "}"
        if name == "string" and isinstance(instance, int | float):
            phrase += f" such as {json.dumps(json.dumps(instance))}"
        if name == "integer" and isinstance(instance, str) and instance.strip().isdigit():
            phrase += f" such as {int(instance)}"
        phrases.append(phrase)
    return _join(phrases, "or")


def _required_property(error: ValidationError) -> str:
    """The property a ``required`` error is about (jsonschema says it only in its message)."""
    head = error.message.removesuffix(" is a required property")
    try:
        name = ast.literal_eval(head)
    except (ValueError, SyntaxError):
        return head
    return str(name)


def _fill(template: str, at: str, instance: object) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "at":
            return at
        if name == "got":
            return _describe(instance)
        if name == "value":
            return _short(instance)
        if name == "count":
            return str(len(instance)) if isinstance(instance, list | dict | str) else "?"
        field = name[1:]
        if isinstance(instance, dict) and field in instance:
            return str(instance[field])
        return match.group(0)

    return _TEMPLATE.sub(replace, template)


def _describe(instance: object) -> str:
    """A value and its JSON type, such as ``404 (a number)`` or ``"True" (a string)``."""
    if instance is None:
        return "null"
    if isinstance(instance, bool):
        return f"{json.dumps(instance)} (a boolean)"
    if isinstance(instance, int | float):
        return f"{instance!r} (a number)"
    if isinstance(instance, str):
        return '"" (an empty string)' if not instance else f"{_short(instance)} (a string)"
    if isinstance(instance, list):
        return "an array"
    if isinstance(instance, dict):
        return "an object"
    return f"{instance!r} (a {type(instance).__name__}, not JSON)"


def _short(instance: object, limit: int = 60) -> str:
    try:
        text = json.dumps(instance, ensure_ascii=False, default=repr)
    except (TypeError, ValueError):
        text = repr(instance)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _display(kind: str, path: Sequence[_Segment]) -> str:
    """A path as a reader writes it: `emails[0].primary`, `urn:…:User:manager`."""
    if not path:
        return _ROOT_NAMES.get(kind, "the body")
    text = ""
    previous: _Segment | None = None
    for segment in path:
        if isinstance(segment, int):
            text += f"[{segment}]"
        elif not text:
            text = segment
        elif isinstance(previous, str) and previous.startswith("urn:"):
            text += f":{segment}"
        else:
            text += f".{segment}"
        previous = segment
    return f"`{text}`"


def _pointer(path: Iterable[_Segment]) -> str:
    """A JSON pointer (RFC 6901) such as ``/Resources/0/active``; ``(root)`` for the top."""
    parts = [str(s).replace("~", "~0").replace("/", "~1") for s in path]
    return "/" + "/".join(parts) if parts else "(root)"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:] if text[:1].isalpha() else text


def _join(items: Sequence[str], last: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def _first_duplicate(items: list[Any]) -> object:
    seen: list[Any] = []
    for item in items:
        if item in seen:
            return item
        seen.append(item)
    return None


# --- rules JSON Schema cannot express ---------------------------------------------------------


def _semantic(kind: str, instance: object) -> Iterator[tuple[tuple[_Segment, ...], str]]:
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
