"""``{placeholder}`` templates in sequence files, and paths into JSON bodies.

A string that is exactly one placeholder takes the variable's own value and type
(``"{bool.false}"`` becomes the string ``"False"`` in the legacy dialect and ``false`` in the
compliant one); placeholders inside longer strings are replaced by text. Body paths are dotted
attribute names, compared case-insensitively (RFC 7643 §2.1), with ``[*]`` to project an
array, ``[N]`` to index it, ``[attr eq "v"]`` to pick elements, and a leading URN for
extension attributes (``urn:…:enterprise:2.0:User:department``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from scimcheck.core.errors import MissingVariable

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.\-]*)\}")
_SEGMENT = re.compile(r'^(?P<name>[^\[\]]+)(?:\[(?P<index>[^\]]+)\])?$')
_PICK = re.compile(r'^\s*(?P<attr>\w+)\s+eq\s+"(?P<value>(?:[^"\\]|\\.)*)"\s*$', re.I)


class _Missing:
    def __repr__(self) -> str:
        return "absent"


MISSING: Any = _Missing()


def lookup(variables: Mapping[str, Any], dotted: str) -> Any:
    """The variable at ``a.b.c``; ``MissingVariable`` when any part is unset."""
    node: Any = variables
    for part in dotted.split("."):
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        else:
            raise MissingVariable(dotted)
    if node is None or node is MISSING:
        raise MissingVariable(dotted)
    return node


def names(template: Any) -> set[str]:
    """The variables a template uses (the first part of each placeholder), in strings, lists
    and objects at any depth (keys too)."""
    if isinstance(template, str):
        return {m.group(1).split(".")[0] for m in _PLACEHOLDER.finditer(template)}
    found: set[str] = set()
    if isinstance(template, Mapping):
        for key, value in template.items():
            found |= names(key) | names(value)
    elif isinstance(template, list | tuple | set | frozenset):
        for item in template:
            found |= names(item)
    return found


def render(template: Any, variables: Mapping[str, Any]) -> Any:
    """The template with every placeholder filled in (recursively in lists and objects)."""
    if isinstance(template, str):
        whole = _PLACEHOLDER.fullmatch(template)
        if whole:
            return lookup(variables, whole.group(1))
        return _PLACEHOLDER.sub(lambda m: _text(lookup(variables, m.group(1))), template)
    if isinstance(template, list):
        return [render(item, variables) for item in template]
    if isinstance(template, Mapping):
        return {
            str(render(key, variables)): render(value, variables)
            for key, value in template.items()
        }
    return template


def render_path(template: str, variables: Mapping[str, Any]) -> str:
    """A URL path with each placeholder URL-encoded as one path segment."""
    def segment(match: re.Match[str]) -> str:
        return quote(_text(lookup(variables, match.group(1))), safe="")

    return _PLACEHOLDER.sub(segment, template)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _key(obj: Mapping[str, Any], name: str) -> str | None:
    lowered = name.lower()
    for key in obj:
        if isinstance(key, str) and key.lower() == lowered:
            return key
    return None


def _segments(path: str) -> list[str]:
    if path.lower().startswith("urn:"):
        urn, _, rest = path.rpartition(":")
        return [urn, *rest.split(".")] if rest else [urn]
    segments: list[str] = []
    depth, current = 0, ""
    for char in path:  # split on dots outside brackets and quotes
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        if char == "." and depth == 0:
            segments.append(current)
            current = ""
        else:
            current += char
    segments.append(current)
    return segments


def resolve(document: Any, path: str) -> Any:
    """The value at ``path`` in a JSON document, or ``MISSING``; ``[*]`` gives a list."""
    nodes: list[Any] = [document]
    projected = False
    for segment in _segments(path):
        match = _SEGMENT.match(segment)
        if match is None:
            return MISSING
        name, index = match["name"], match["index"]
        step: list[Any] = []
        for node in nodes:
            if isinstance(node, Mapping):
                key = _key(node, name)
                if key is not None:
                    step.append(node[key])
        if index is not None:
            step = _index(step, index)
            if index == "*" or _PICK.match(index):
                projected = True
        nodes = step
    if projected:
        return nodes
    return nodes[0] if nodes else MISSING


def _index(values: list[Any], index: str) -> list[Any]:
    out: list[Any] = []
    pick = _PICK.match(index)
    for value in values:
        if not isinstance(value, list):
            continue
        if index == "*":
            out.extend(value)
        elif pick is not None:
            wanted = pick["value"].replace('\\"', '"').lower()
            for element in value:
                if isinstance(element, Mapping):
                    key = _key(element, pick["attr"])
                    if key is not None and str(element[key]).lower() == wanted:
                        out.append(element)
        elif index.isdigit() and int(index) < len(value):
            out.append(value[int(index)])
    return out
