"""One short sentence per JSON Schema violation, citing the rule it breaks.

A violation is explained with the original schema (not the inlined copy
:mod:`scimcheck.scim.schema_catalog` judges with): its path through ``$ref`` names the file and
the nearest ``x-source`` (RFC 7643 §4.1 User, §4.2 Group, §5-§7 discovery; RFC 7644 §3.4.2
ListResponse, §3.5.2 PatchOp, §3.12 Error), and a schema's ``x-messages``/``x-expected`` say it
in Entra's terms. Paths are written as a reader writes them (``emails[0].primary``) and as JSON
pointers (RFC 6901).
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urldefrag, urljoin

from jsonschema.exceptions import ValidationError

from scimcheck.scim.schema_catalog import SchemaCatalog, schema_file

_ROOT_NAMES: dict[str, str] = {
    "profile": "the profile",
    "results": "results.json",
    "sequence": "the sequence file",
    "failure-record": "the failure record",
    "patch-op": "the request body",
}
"""How a message names the whole instance of each kind."""

Segment = str | int
"""One step of a path into a document: a key or an index."""
_TEMPLATE = re.compile(r"\{(at|got|value|count|\.[A-Za-z_$][A-Za-z0-9_$]*)\}")
_TYPE_PHRASES: dict[str, str] = {
    "string": "a string",
    "boolean": "a JSON boolean (true or false)",
    "integer": "an integer",
    "number": "a number",
    "object": "an object",
    "array": "an array",
    "null": "null",
}


@dataclass(frozen=True)
class SchemaProblem:
    """One violation: where (a JSON pointer, or ``(root)``), what, and which schema file says so."""

    path: str
    message: str
    schema_file: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass(frozen=True)
class _Context:
    """What a message needs to know about where an error happened."""

    source: str  # nearest x-source, such as "RFC 7643 §4.1.1"
    file: str
    hints: dict[str, Any]  # the failing subschema (x-messages, x-expected, properties …)


def explain(
    catalog: SchemaCatalog,
    kind: str,
    root_uri: str,
    error: ValidationError,
    base: tuple[Segment, ...],
) -> Iterator[tuple[tuple[Segment, ...], SchemaProblem]]:
    """The problems one validation ``error`` stands for, each with its path below ``base``
    (an unknown key is one problem per key, naming the keys the rule allows)."""
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
            yield path, SchemaProblem(pointer(path), message, context.file)
        return
    message = _message(kind, where, error, context)
    yield where, SchemaProblem(pointer(where), message, context.file)


def _locate(catalog: SchemaCatalog, kind: str, root_uri: str, error: ValidationError) -> _Context:
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
    tokens: Sequence[Segment],
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
    kind: str, where: tuple[Segment, ...], error: ValidationError, context: _Context
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


def _display(kind: str, path: Sequence[Segment]) -> str:
    """A path as a reader writes it: `emails[0].primary`, `urn:…:User:manager`."""
    if not path:
        return _ROOT_NAMES.get(kind, "the body")
    text = ""
    previous: Segment | None = None
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


def pointer(path: Iterable[Segment]) -> str:
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
