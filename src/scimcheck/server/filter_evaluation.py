"""Evaluating a parsed SCIM filter (:mod:`scimcheck.server.filter_syntax`) against resources.

RFC 7644 §3.4.2.2: string comparison honours ``caseExact`` (RFC 7643 §2.2, §7), a multi-valued
attribute matches when any of its values does, and a comparison the RFC forbids (an ordering of
booleans or binary values, a complex attribute compared whole, a substring operator without a
string) is 400 ``invalidFilter`` whatever the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from scimcheck.server.errors import INVALID_FILTER, bad_request
from scimcheck.server.filter_syntax import (
    And,
    Compare,
    Filter,
    Not,
    Or,
    Present,
    ValuePath,
    walk,
)
from scimcheck.server.schema import (
    Attribute,
    AttrPath,
    ResourceType,
    ci_get,
    fold,
)


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
