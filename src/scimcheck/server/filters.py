"""SCIM filters and PATCH paths: a lark grammar, an AST and an evaluator.

Grammar: RFC 7644 §3.4.2.2 (filters) and §3.5.2 (PATCH ``path``), with the RFC precedence
(``not`` binds tighter than ``and``, which binds tighter than ``or``), parentheses, value paths
``emails[type eq "work" and value co "@x"]``, URN-qualified attribute paths and JSON string
literals (so ``"a\\"b"`` works, which scim2-filter-parser could not parse). Operators and attribute
names are case-insensitive. Entra's uniqueness query ``emails[type eq "work"].value eq "…"``
(docs/entra.md §1.7) is accepted as a value path followed by a sub-attribute comparison.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeAlias

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput

from scimcheck.server.errors import INVALID_FILTER, INVALID_PATH, bad_request
from scimcheck.server.schema import (
    ATTR_PATH_REGEX,
    Attribute,
    AttrPath,
    ResourceType,
    ci_get,
    fold,
    parse_attr_path,
)

MAX_FILTER_LENGTH = 10_000
MAX_FILTER_DEPTH = 200

_GRAMMAR = rf"""
?filter: or_exp

?or_exp: and_exp
       | or_exp OR and_exp                -> or_
?and_exp: unary
        | and_exp AND unary               -> and_
?unary: NOT "(" or_exp ")"                -> not_
      | "(" or_exp ")"
      | ATTRPATH PR                       -> present
      | ATTRPATH COMPOP value             -> compare
      | ATTRPATH "[" or_exp "]" tail?     -> value_path

tail: SUBATTR PR
    | SUBATTR COMPOP value

?value: STRING                            -> string
      | NUMBER                            -> number
      | TRUE                              -> true
      | FALSE                             -> false
      | NULL                              -> null

path: ATTRPATH
    | ATTRPATH "[" or_exp "]" SUBATTR?

OR: /or\b/i
AND: /and\b/i
NOT.2: /not(?=\s*\()/i
PR: /pr\b/i
COMPOP: /(eq|ne|co|sw|ew|gt|ge|lt|le)\b/i
TRUE: /true\b/i
FALSE: /false\b/i
NULL: /null\b/i
ATTRPATH: /{ATTR_PATH_REGEX}/i
SUBATTR: /\.\$?[A-Za-z][A-Za-z0-9_\-]*/
STRING: /"(?:[^"\\]|\\.)*"/s
NUMBER: /-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/

%ignore /[ \t\r\n]+/
"""

_PARSER = Lark(_GRAMMAR, parser="lalr", lexer="contextual", start=["filter", "path"])


# --- AST ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Compare:
    """``attrPath op value`` (RFC 7644 §3.4.2.2 table 3)."""

    path: AttrPath
    op: str
    value: Any


@dataclass(frozen=True)
class Present:
    """``attrPath pr``."""

    path: AttrPath


@dataclass(frozen=True)
class And:
    """``left and right``."""

    left: Filter
    right: Filter


@dataclass(frozen=True)
class Or:
    """``left or right``."""

    left: Filter
    right: Filter


@dataclass(frozen=True)
class Not:
    """``not (inner)``."""

    inner: Filter


@dataclass(frozen=True)
class ValuePath:
    """``attr[inner]``, optionally followed by ``.sub op value`` / ``.sub pr`` (Entra form)."""

    path: AttrPath
    inner: Filter
    sub: str | None = None
    op: str | None = None
    value: Any = None


Filter: TypeAlias = Compare | Present | And | Or | Not | ValuePath


@dataclass(frozen=True)
class PatchPath:
    """A PATCH ``path`` (RFC 7644 §3.5.2): attribute path, optional value filter and sub-attr."""

    attr: AttrPath
    filter: Filter | None = None
    sub: str | None = None

    def __str__(self) -> str:
        if self.filter is None:
            return str(self.attr)
        return f"{self.attr}[…]" + (f".{self.sub}" if self.sub else "")


def _attr_path(token: Token) -> AttrPath:
    path = parse_attr_path(str(token))
    if path is None:  # the terminal and the regex are the same pattern
        raise ValueError(f"not an attribute path: {token}")
    return path


class _ToAst(Transformer[Token, Any]):
    """Lark tree → AST dataclasses."""

    def string(self, children: list[Token]) -> str:
        text = str(children[0])
        try:
            value = json.loads(text, strict=False)
        except json.JSONDecodeError as exc:
            raise ValueError(f"bad string literal {text}: {exc.msg}") from exc
        return str(value)

    def number(self, children: list[Token]) -> int | float:
        text = str(children[0])
        return float(text) if re.search(r"[.eE]", text) else int(text)

    def true(self, _children: list[Token]) -> bool:
        return True

    def false(self, _children: list[Token]) -> bool:
        return False

    def null(self, _children: list[Token]) -> None:
        return None

    @v_args(inline=True)
    def or_(self, left: Filter, _op: Token, right: Filter) -> Filter:
        return Or(left, right)

    @v_args(inline=True)
    def and_(self, left: Filter, _op: Token, right: Filter) -> Filter:
        return And(left, right)

    @v_args(inline=True)
    def not_(self, _op: Token, inner: Filter) -> Filter:
        return Not(inner)

    @v_args(inline=True)
    def present(self, path: Token, _pr: Token) -> Filter:
        return Present(_attr_path(path))

    @v_args(inline=True)
    def compare(self, path: Token, op: Token, value: Any) -> Filter:
        return Compare(_attr_path(path), str(op).lower(), value)

    def tail(self, children: list[Any]) -> tuple[str, str, Any]:
        sub = str(children[0])[1:]
        op = str(children[1]).lower()
        return sub, op, children[2] if len(children) > 2 else None

    def value_path(self, children: list[Any]) -> Filter:
        path, inner = _attr_path(children[0]), children[1]
        if len(children) > 2:
            sub, op, value = children[2]
            return ValuePath(path, inner, sub, op, value)
        return ValuePath(path, inner)

    def path(self, children: list[Any]) -> PatchPath:
        attr = _attr_path(children[0])
        if len(children) == 1:
            return PatchPath(attr)
        sub = str(children[2])[1:] if len(children) > 2 else None
        return PatchPath(attr, children[1], sub)


_TO_AST = _ToAst()


def _describe(exc: LarkError, text: str) -> str:
    if isinstance(exc, UnexpectedEOF):
        return "it ends too early"
    if isinstance(exc, UnexpectedCharacters):
        position = exc.pos_in_stream if exc.pos_in_stream is not None else 0
        return f"unexpected character {text[position:position + 1]!r} at position {exc.column}"
    if isinstance(exc, UnexpectedInput):
        token = getattr(exc, "token", None)
        where = f" at position {exc.column}" if exc.column and exc.column > 0 else ""
        if token is not None and getattr(token, "type", "") == "$END":
            return "it ends too early"
        return f"unexpected {str(token)!r}{where}" if token is not None else "syntax error"
    return str(exc).splitlines()[0] if str(exc) else "syntax error"


def _parse(text: str, start: str, scim_type: str, kind: str) -> Any:
    if len(text) > MAX_FILTER_LENGTH:
        raise bad_request(scim_type, f"{kind} is longer than {MAX_FILTER_LENGTH} characters")
    try:
        tree = _PARSER.parse(text, start=start)
        return _TO_AST.transform(tree)
    except LarkError as exc:
        cause = exc.orig_exc if hasattr(exc, "orig_exc") else exc
        if isinstance(cause, ValueError):
            raise bad_request(scim_type, f"invalid {kind} {text!r}: {cause}") from None
        raise bad_request(scim_type, f"invalid {kind} {text!r}: {_describe(exc, text)}") from None
    except RecursionError:
        raise bad_request(scim_type, f"invalid {kind}: nested too deeply") from None


def _depth(node: Filter) -> int:
    deepest, stack = 0, [(node, 1)]
    while stack:
        current, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(current, And | Or):
            stack += [(current.left, depth + 1), (current.right, depth + 1)]
        elif isinstance(current, Not | ValuePath):
            stack.append((current.inner, depth + 1))
    return deepest


def parse_filter(text: str) -> Filter:
    """Parse a filter (RFC 7644 §3.4.2.2); 400 ``invalidFilter`` when it is not one."""
    node: Filter = _parse(text, "filter", INVALID_FILTER, "filter")
    if _depth(node) > MAX_FILTER_DEPTH:
        raise bad_request(
            INVALID_FILTER, f"invalid filter: nested deeper than {MAX_FILTER_DEPTH} levels"
        )
    for inner in _value_filters(node):
        if any(isinstance(n, ValuePath) for n in walk(inner)):
            raise bad_request(INVALID_FILTER, f"invalid filter {text!r}: nested value paths")
    return node


def parse_path(text: str) -> PatchPath:
    """Parse a PATCH path (RFC 7644 §3.5.2 ``PATH``); 400 ``invalidPath`` when it is not one."""
    path: PatchPath = _parse(text, "path", INVALID_PATH, "path")
    if path.filter is not None and any(isinstance(n, ValuePath) for n in walk(path.filter)):
        raise bad_request(INVALID_PATH, f"invalid path {text!r}: nested value paths")
    return path


def walk(node: Filter) -> Iterator[Filter]:
    """Every node of a filter, depth first."""
    stack: list[Filter] = [node]
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, And | Or):
            stack += [current.right, current.left]
        elif isinstance(current, Not | ValuePath):
            stack.append(current.inner)


def _value_filters(node: Filter) -> Iterator[Filter]:
    for current in walk(node):
        if isinstance(current, ValuePath):
            yield current.inner


def attribute_paths(node: Filter) -> Iterator[AttrPath]:
    """The top-level attribute paths a filter compares (not those inside value brackets)."""
    for current in walk(node):
        if isinstance(current, Compare | Present | ValuePath):
            yield current.path


# --- evaluation ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FilterOptions:
    """Knobs of the evaluator; ``case_exact_names`` forces case-exact matching for those names."""

    case_exact_names: frozenset[str] = frozenset()


_ORDERING = ("gt", "ge", "lt", "le")
_ANY_ELEMENT = Attribute("element", type="complex", multi_valued=True)
_SUBSTRING = ("co", "sw", "ew")


class Evaluator:
    """Evaluates a parsed filter against resource dicts of one resource type.

    String comparison honours ``caseExact`` (RFC 7643 §2.2, §7): case-insensitive for
    ``userName``, ``displayName``, ``emails.value``…, exact for ``id``, ``externalId``, ``meta.*``.
    A multi-valued attribute matches when any of its values matches (RFC 7644 §3.4.2.2).
    """

    def __init__(self, rtype: ResourceType, options: FilterOptions | None = None) -> None:
        self.rtype = rtype
        self.options = options or FilterOptions()

    def validate(self, node: Filter) -> None:
        """Reject comparisons RFC 7644 §3.4.2.2 forbids, whatever the data (``invalidFilter``)."""
        for current in walk(node):
            if isinstance(current, Compare):
                attribute = self._definition(current.path)
                _check_operator(current.op, current.value, attribute, str(current.path))
            elif isinstance(current, ValuePath):
                target = self.rtype.resolve(current.path, search_extensions=True)
                attribute = target.attribute
                if current.path.sub is not None or (
                    attribute is not None and not attribute.multi_valued
                ):
                    raise bad_request(
                        INVALID_FILTER,
                        f"'{current.path}' is not a multi-valued attribute, so it cannot take a "
                        "[value filter]",
                    )
                if attribute is not None:
                    for inner in walk(current.inner):
                        if isinstance(inner, Compare):
                            sub = attribute.sub(inner.path.name)
                            _check_operator(inner.op, inner.value, sub, str(inner.path))
                if current.op is not None and current.op != "pr" and attribute is not None:
                    sub = attribute.sub(current.sub or "")
                    _check_operator(current.op, current.value, sub, f"{current.path}.{current.sub}")

    def _definition(self, path: AttrPath) -> Attribute | None:
        target = self.rtype.resolve(path, search_extensions=True)
        return target.leaf if target.problem is None else None

    def matches(self, node: Filter, resource: dict[str, Any]) -> bool:
        """Whether the resource satisfies the filter."""
        return self._eval(node, resource, None)

    def matches_element(
        self, node: Filter, element: dict[str, Any], attribute: Attribute | None
    ) -> bool:
        """Whether one value of a multi-valued attribute satisfies a value filter (``[…]``)."""
        return self._eval(node, element, attribute or _ANY_ELEMENT)

    def _eval(self, node: Filter, data: dict[str, Any], element: Attribute | None) -> bool:
        if isinstance(node, And):
            return self._eval(node.left, data, element) and self._eval(node.right, data, element)
        if isinstance(node, Or):
            return self._eval(node.left, data, element) or self._eval(node.right, data, element)
        if isinstance(node, Not):
            return not self._eval(node.inner, data, element)
        if isinstance(node, Present):
            return any(_present(v) for v, _ in self._values(node.path, data, element))
        if isinstance(node, Compare):
            values = self._values(node.path, data, element)
            return self._compare_all(node.op, values, node.value, node.path)
        return self._eval_value_path(node, data)

    def _eval_value_path(self, node: ValuePath, data: dict[str, Any]) -> bool:
        target = self.rtype.resolve(node.path, search_extensions=True)
        elements = _raw(data, target.container, target.name)
        if not isinstance(elements, list):
            return False
        for item in elements:
            if not isinstance(item, dict) or not self._eval(node.inner, item, target.attribute):
                continue
            if node.op is None:
                return True
            sub_def = target.attribute.sub(node.sub or "") if target.attribute else None
            values = [(ci_get(item, node.sub or ""), sub_def)]
            if node.op == "pr":
                if _present(values[0][0]):
                    return True
            elif self._compare_all(node.op, values, node.value, AttrPath(None, node.sub or "")):
                return True
        return False

    def _values(
        self, path: AttrPath, data: dict[str, Any], element: Attribute | None
    ) -> list[tuple[Any, Attribute | None]]:
        """The values a path names, flattened, each with its definition."""
        if element is not None:  # inside [ ]: names are sub-attributes of the element
            definition = element.sub(path.name)
            value = ci_get(data, path.name)
            if path.sub is not None and isinstance(value, dict):
                return [(ci_get(value, path.sub), None)]
            return [(value, definition)]
        target = self.rtype.resolve(path, search_extensions=True)
        if target.problem is not None or target.whole_extension:
            return []
        value = _raw(data, target.container, target.name)
        attribute = target.attribute
        items = value if isinstance(value, list) else [value]
        found: list[tuple[Any, Attribute | None]] = []
        for item in items:
            if target.sub is not None:
                if isinstance(item, dict):
                    found.append((ci_get(item, target.sub), target.sub_attribute))
            elif isinstance(item, dict) and attribute is not None \
                    and attribute.sub("value") is not None:
                # ``emails co "x"`` and Entra's legacy ``manager eq "<id>"`` compare ``value``
                found.append((ci_get(item, "value"), attribute.sub("value")))
            else:
                found.append((item, attribute))
        return found

    def _compare_all(
        self, op: str, values: list[tuple[Any, Attribute | None]], expected: Any, path: AttrPath
    ) -> bool:
        exact_by_option = fold(path.name) in self.options.case_exact_names and path.sub is None
        if op == "ne":
            return not any(
                _compare("eq", actual, expected, definition, exact_by_option)
                for actual, definition in values
            )
        return any(
            _compare(op, actual, expected, definition, exact_by_option)
            for actual, definition in values
        )


def _raw(data: dict[str, Any], container: str | None, name: str) -> Any:
    if container is not None:
        holder = ci_get(data, container)
        return ci_get(holder, name) if isinstance(holder, dict) else None
    return ci_get(data, name)


def _present(value: Any) -> bool:
    """RFC 7644 §3.4.2.2 ``pr``: a non-empty value, or a complex value with a non-empty node."""
    if value is None or value == "" or value == [] or value == {}:
        return False
    if isinstance(value, dict):
        return any(_present(v) for v in value.values())
    return True


def _check_operator(op: str, expected: Any, attribute: Attribute | None, where: str) -> None:
    kind = attribute.type if attribute is not None else None
    if kind == "boolean" and op not in ("eq", "ne"):
        raise bad_request(INVALID_FILTER, f"'{where} {op}': {where} is boolean; only eq/ne apply")
    if kind == "binary" and op in _ORDERING:
        raise bad_request(INVALID_FILTER, f"'{where} {op}': ordering does not apply to binary")
    if kind == "complex" and attribute is not None and attribute.sub("value") is None:
        raise bad_request(
            INVALID_FILTER, f"'{where}' is complex; compare one of its sub-attributes"
        )
    if op in _SUBSTRING and not isinstance(expected, str):
        raise bad_request(INVALID_FILTER, f"'{where} {op}' needs a string value")
    if op in _ORDERING and (expected is None or isinstance(expected, bool)):
        raise bad_request(INVALID_FILTER, f"'{where} {op}' needs a string or number value")


def _datetime(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _compare(
    op: str, actual: Any, expected: Any, attribute: Attribute | None, force_exact: bool
) -> bool:
    if expected is None:
        return actual is None if op == "eq" else False
    if actual is None:
        return False
    if isinstance(actual, bool) or isinstance(expected, bool):
        if isinstance(actual, bool) and isinstance(expected, bool) and op == "eq":
            return actual is expected
        return False
    if isinstance(actual, int | float) and isinstance(expected, int | float):
        return _order(op, actual, expected)
    if not (isinstance(actual, str) and isinstance(expected, str)):
        return False
    if attribute is not None and attribute.type == "dateTime" and op in (*_ORDERING, "eq"):
        when, then = _datetime(actual), _datetime(expected)
        if when is not None and then is not None:
            try:
                return _order(op, when, then)
            except TypeError:  # naive vs aware
                pass
    exact = force_exact or (attribute is not None and attribute.case_exact)
    left: str = actual if exact else fold(actual)
    right: str = expected if exact else fold(expected)
    if op == "co":
        return right in left
    if op == "sw":
        return left.startswith(right)
    if op == "ew":
        return left.endswith(right)
    return _order(op, left, right)


def _order(op: str, left: Any, right: Any) -> bool:
    if op == "eq":
        return bool(left == right)
    if op == "gt":
        return bool(left > right)
    if op == "ge":
        return bool(left >= right)
    if op == "lt":
        return bool(left < right)
    if op == "le":
        return bool(left <= right)
    return False
