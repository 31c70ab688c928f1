"""SCIM filters and PATCH paths: a lark grammar, its AST and the parser.

The evaluator is :mod:`scimcheck.server.filter_evaluation`.

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
from typing import Any, TypeAlias

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput

from scimcheck.server.errors import INVALID_FILTER, INVALID_PATH, bad_request
from scimcheck.server.schema import (
    ATTR_PATH_REGEX,
    AttrPath,
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
