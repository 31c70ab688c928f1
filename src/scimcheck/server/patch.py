"""The PATCH engine: RFC 7644 §3.5.2 plus everything Entra sends (docs/entra.md §1.3-1.6, §3).

Accepted beyond the RFC letter, because Entra sends it (Entra S1, S2):
- op names in any case (``Add``/``Replace``/``Remove``; D1);
- ``"True"``/``"False"`` strings for boolean attributes (D2);
- path-less add/replace with simple, dotted (``name.givenName``) or URN-qualified keys, or a
  nested object keyed by the extension URN (D11);
- ``emails[type eq "work"].value`` creating the work email when there is none (D10);
- ``manager`` as a bare id string, a one-element array or an object (D13);
- ``Remove`` on ``members`` with a value array removing only those members (D3, D4);
- ``members[value eq "…"]`` removal paths (D5), and idempotent member adds (D20, D24);
- ``Add`` and ``Replace`` interchangeable on single-valued attributes.
The whole request applies atomically: any failing operation leaves the resource unchanged.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from scimcheck.server.errors import (
    INVALID_PATH,
    INVALID_SYNTAX,
    INVALID_VALUE,
    MUTABILITY,
    NO_TARGET,
    UNIQUENESS,
    ScimError,
    bad_request,
)
from scimcheck.server.filters import (
    And,
    Compare,
    Evaluator,
    Filter,
    PatchPath,
    parse_path,
)
from scimcheck.server.resources import check_required, member_values
from scimcheck.server.schema import (
    GROUP_TYPE,
    Attribute,
    AttributeTarget,
    ResourceType,
    ci_get,
    ci_key,
    fold,
)
from scimcheck.server.values import Coercion, coerce, is_manager

PATCH_OP_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
_OPS = ("add", "replace", "remove")
_NAME_ATTRIBUTES = frozenset({"displayname", "name", "username"})


@dataclass(frozen=True)
class PatchOptions:
    """Switches for the broken variants; the defaults are the correct server."""

    coercion: Coercion = field(default_factory=Coercion)
    ops_case_sensitive: bool = False
    ignore_name_changes: bool = False
    ignore_pathless_dotted: bool = False
    member_remove_wipes_all: bool = False
    member_value_remove_rejected: bool = False
    member_filter_path_unsupported: bool = False
    value_filter_subattr_unsupported: bool = False
    duplicate_members: bool = False
    readd_member_conflict: bool = False
    ignore_boolean_active: bool = False
    reject_display_name: bool = False
    member_add_limit: int | None = None
    member_remove_limit: int | None = None
    """Variant member-remove-batch-capped: a Remove on members with a value array removes
    only the first N members it lists."""
    """Variants member-add-first-only (1) and member-add-batch-capped: only the first N
    values of a multi-value add on members are applied."""
    ignore_group_rename: bool = False
    extension_path_unsupported: bool = False
    ignore_pathless_urn: bool = False
    filtered_path_no_create: bool = False
    add_replace_strict: bool = False
    reject_pathless_dotted: bool = False
    given_name_wipes_name: bool = False
    single_operation_only: bool = False


@dataclass(frozen=True)
class Operation:
    """One checked PATCH operation."""

    op: str
    path: PatchPath | None
    raw_path: str | None
    value: Any
    has_value: bool
    where: str


def operations(body: Any, options: PatchOptions) -> list[Operation]:
    """The operations of a PatchOp body (RFC 7644 §3.5.2); 400 ``invalidSyntax`` when malformed."""
    if not isinstance(body, dict):
        raise bad_request(INVALID_SYNTAX, "the PATCH body must be a JSON object (a PatchOp)")
    raw_ops = ci_get(body, "Operations")
    if raw_ops is None:
        raise bad_request(INVALID_SYNTAX, "the PATCH body has no 'Operations' array")
    if not isinstance(raw_ops, list) or not raw_ops:
        raise bad_request(INVALID_SYNTAX, "'Operations' must be a non-empty array of operations")
    if options.single_operation_only and len(raw_ops) > 1:
        raise bad_request(INVALID_SYNTAX, "only one operation per PATCH is supported")
    result: list[Operation] = []
    for index, raw in enumerate(raw_ops):
        where = f"Operations[{index}]"
        if not isinstance(raw, dict):
            raise bad_request(INVALID_SYNTAX, f"{where} must be an object with 'op'")
        op = ci_get(raw, "op")
        if not isinstance(op, str):
            raise bad_request(INVALID_SYNTAX, f"{where} has no 'op' string")
        name = op if options.ops_case_sensitive else op.lower()
        if name not in _OPS:
            hint = " (op names are case-sensitive here)" if op.lower() in _OPS else ""
            raise bad_request(
                INVALID_SYNTAX,
                f"{where}: unknown op {op!r}; expected add, replace or remove{hint}",
            )
        raw_path = ci_get(raw, "path")
        if raw_path is not None and not isinstance(raw_path, str):
            raise bad_request(INVALID_PATH, f"{where}: 'path' must be a string")
        path = parse_path(raw_path) if raw_path and raw_path.strip() else None
        value_key = ci_key(raw, "value")
        result.append(
            Operation(
                name, path, raw_path if path else None,
                raw[value_key] if value_key is not None else None, value_key is not None, where,
            )
        )
    return result


def apply_patch(
    rtype: ResourceType, attrs: dict[str, Any], body: Any, options: PatchOptions
) -> dict[str, Any]:
    """The attributes after applying the PatchOp ``body``; ``attrs`` itself is not changed."""
    ops = operations(body, options)
    patcher = _Patcher(rtype, copy.deepcopy(attrs), options)
    for operation in ops:
        patcher.run(operation)
    patcher.tidy()
    check_required(rtype, patcher.attrs)
    return patcher.attrs


def _equalities(node: Filter) -> dict[str, Any] | None:
    """``type eq "work" [and …]`` as ``{"type": "work"}``; ``None`` for any other filter."""
    if isinstance(node, Compare) and node.op == "eq" and node.path.uri is None \
            and node.path.sub is None:
        return {node.path.name: node.value}
    if isinstance(node, And):
        left, right = _equalities(node.left), _equalities(node.right)
        if left is not None and right is not None:
            return {**left, **right}
    return None


def _unwrap(value: Any) -> Any:
    """``[{"value": x}]`` sent for a simple attribute means ``x`` (Entra, scimgateway#117)."""
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict):
        inner = ci_get(value[0], "value")
        if inner is not None:
            return inner
    return value


class _Patcher:
    """Applies operations one by one to a working copy of a resource's attributes."""

    def __init__(self, rtype: ResourceType, attrs: dict[str, Any], options: PatchOptions) -> None:
        self.rtype = rtype
        self.attrs = attrs
        self.options = options
        self.coercion = options.coercion
        self.evaluator = Evaluator(rtype)

    # --- dispatch ----------------------------------------------------------------------------

    def run(self, operation: Operation) -> None:
        if operation.path is None:
            if operation.op == "remove":
                raise bad_request(NO_TARGET, f"{operation.where}: remove needs a 'path'")
            self._pathless(operation)
            return
        if operation.op != "remove" and not operation.has_value:
            raise bad_request(INVALID_VALUE, f"{operation.where}: {operation.op} needs a 'value'")
        if self.options.extension_path_unsupported and operation.path.attr.uri is not None:
            raise bad_request(
                INVALID_PATH, f"{operation.where}: schema-qualified paths are not supported"
            )
        self._apply(operation.op, operation.path, operation.raw_path or "", operation.value,
                    operation.where, operation.has_value, pathless=False)

    def _pathless(self, operation: Operation) -> None:
        """Path-less add/replace: ``value`` is a set of attributes (RFC 7644 §3.5.2.1, Entra S2)."""
        value = operation.value
        if not isinstance(value, dict):
            raise bad_request(
                INVALID_VALUE,
                f"{operation.where}: without a 'path', 'value' must be an object of attributes",
            )
        for key, item in value.items():
            if fold(key) in ("schemas", "id", "meta"):
                continue
            extension = self.rtype.extension_for(key)
            if extension is not None:
                if not isinstance(item, dict):
                    raise bad_request(
                        INVALID_VALUE, f"{operation.where}: '{key}' must be an object"
                    )
                for sub_key, sub_item in item.items():
                    self._apply_key(operation, f"{extension.id}:{sub_key}", sub_item)
                continue
            dotted = "." in key and not key.lower().startswith("urn:")
            if self.options.reject_pathless_dotted and dotted:
                raise bad_request(
                    INVALID_PATH, f"{operation.where}: '{key}' is not an attribute name"
                )
            if self.options.ignore_pathless_dotted and dotted:
                continue
            if self.options.ignore_pathless_urn and key.lower().startswith("urn:"):
                continue
            self._apply_key(operation, key, item)

    def _apply_key(self, operation: Operation, key: str, item: Any) -> None:
        path = parse_path(key)
        custom_extension = (
            path.attr.uri is not None
            and self.rtype.schema_for(path.attr.uri) is None
            and self.rtype.extension_for(str(path.attr)) is None
        )
        if custom_extension and isinstance(item, dict) and path.filter is None:
            # a custom extension object keyed by its URN: kept as sent, merged by key
            holder = self.attrs.setdefault(key, {})
            if isinstance(holder, dict):
                holder.update(item)
                return
        self._apply(operation.op, path, key, item, operation.where, True, pathless=True)

    # --- one operation -----------------------------------------------------------------------

    def _apply(
        self, op: str, path: PatchPath, text: str, value: Any, where: str, has_value: bool,
        *, pathless: bool,
    ) -> None:
        target = self.rtype.resolve(path.attr, search_extensions=True)
        where = f"{where} (path {text!r})"
        if target.problem is not None:
            raise bad_request(INVALID_PATH, f"{where}: {target.problem}")
        if target.whole_extension:
            self._whole_extension(op, target, value, where)
            return
        leaf = target.leaf
        if (leaf is not None and leaf.mutability == "readOnly") or (
            target.attribute is not None and target.attribute.mutability == "readOnly"
        ):
            if pathless:
                return
            raise ScimError(400, f"{where}: '{text}' is read-only", MUTABILITY)
        if target.attribute is not None and target.attribute.returned == "never":
            if op != "remove" and target.leaf is not None:
                self._coerce(target.leaf, target, _unwrap(value), where)  # checked, not kept
            return  # password: accepted, never stored or returned (RFC 7643 §4.1.1)
        if self.options.ignore_name_changes and target.container is None \
                and fold(target.name) in _NAME_ATTRIBUTES:
            return
        if self.options.ignore_group_rename and self.rtype is GROUP_TYPE \
                and target.container is None and fold(target.name) == "displayname":
            return
        if self.options.reject_display_name and target.container is None \
                and fold(target.name) == "displayname":
            raise ScimError(501, f"{where}: updating displayName is not implemented")
        if self.options.ignore_boolean_active and target.container is None \
                and fold(target.name) == "active" and isinstance(_unwrap(value), bool):
            return
        if path.filter is not None:
            self._filtered(op, target, path, value, where)
        elif target.sub is not None:
            self._sub_attribute(op, target, value, where)
        else:
            self._attribute(op, target, value, where, has_value)

    def _holder(self, target: AttributeTarget, create: bool) -> dict[str, Any] | None:
        if target.container is None:
            return self.attrs
        key = ci_key(self.attrs, target.container) or target.container
        holder = self.attrs.get(key)
        if holder is None and create:
            holder = self.attrs[key] = {}
        return holder if isinstance(holder, dict) else None

    def _current(self, target: AttributeTarget) -> tuple[dict[str, Any] | None, str | None]:
        holder = self._holder(target, create=False)
        if holder is None:
            return None, None
        return holder, ci_key(holder, target.name)

    def _set(self, target: AttributeTarget, value: Any) -> None:
        holder = self._holder(target, create=True)
        assert holder is not None
        key = ci_key(holder, target.name)
        if key is not None and key != target.name:
            del holder[key]
        holder[target.name] = value

    def _delete(self, target: AttributeTarget) -> None:
        holder, key = self._current(target)
        if holder is not None and key is not None:
            del holder[key]

    def _coerce(self, attribute: Attribute, target: AttributeTarget, value: Any, where: str,
                **kw: Any) -> Any:
        manager = is_manager(attribute, target.schema.id if target.schema else None)
        return coerce(attribute, value, where, self.coercion, manager=manager, **kw)

    # --- targets -----------------------------------------------------------------------------

    def _whole_extension(self, op: str, target: AttributeTarget, value: Any, where: str) -> None:
        if op == "remove":
            self._delete(target)
            return
        if not isinstance(value, dict):
            raise bad_request(INVALID_VALUE, f"{where}: the extension value must be an object")
        for key, item in value.items():
            self._apply(op, parse_path(f"{target.name}:{key}"), f"{target.name}:{key}", item,
                        where, True, pathless=True)

    def _attribute(
        self, op: str, target: AttributeTarget, value: Any, where: str, has_value: bool
    ) -> None:
        attribute = target.attribute
        if attribute is None:  # not in any schema of ours: kept as sent
            if op == "remove" or value is None:
                self._delete(target)
            else:
                self._set(target, value)
            return
        if attribute.multi_valued:
            self._multi_valued(op, target, attribute, value, where, has_value)
            return
        if op == "remove" or value is None:
            self._delete(target)
            return
        if self.options.add_replace_strict:
            _, key = self._current(target)
            if op == "add" and key is not None:
                raise bad_request(INVALID_VALUE, f"{where}: already set; use replace")
            if op == "replace" and key is None:
                raise bad_request(NO_TARGET, f"{where}: not set; use add")
        if not attribute.is_complex:
            value = _unwrap(value)
        checked = self._coerce(attribute, target, value, where)
        if checked is None:
            self._delete(target)
        elif attribute.is_complex and not is_manager(
            attribute, target.schema.id if target.schema else None
        ):
            holder, key = self._current(target)
            existing = holder.get(key) if holder is not None and key is not None else None
            merged = dict(existing) if isinstance(existing, dict) else {}
            merged.update(checked)  # RFC 7644 §3.5.2.1/3: unspecified sub-attributes unchanged
            self._set(target, merged)
        else:
            self._set(target, checked)

    def _multi_valued(
        self, op: str, target: AttributeTarget, attribute: Attribute, value: Any, where: str,
        has_value: bool,
    ) -> None:
        holder, key = self._current(target)
        existing = holder.get(key) if holder is not None and key is not None else None
        current: list[Any] = list(existing) if isinstance(existing, list) else []
        members = self.rtype is GROUP_TYPE and attribute.name == "members"
        if op == "remove":
            if not has_value or value is None:
                self._delete(target)
                return
            if members and self.options.member_value_remove_rejected:
                raise bad_request(
                    INVALID_SYNTAX, f"{where}: a remove operation must not carry a value"
                )
            if members and self.options.member_remove_wipes_all:
                self._delete(target)
                return
            if members and self.options.member_remove_limit is not None \
                    and isinstance(value, list):
                value = value[:self.options.member_remove_limit]
            self._store_list(target, _without(current, value))
            return
        checked = self._coerce(attribute, target, value, where, wrap=True)
        if members:
            checked = member_values(checked, where, dedupe=op == "replace")
            if self.options.member_add_limit is not None:
                checked = checked[:self.options.member_add_limit]
        if op == "replace":
            self._store_list(target, checked)
            return
        for item in checked:
            self._add_value(current, item, members, where)
        self._store_list(target, current)

    def _add_value(self, current: list[Any], item: Any, members: bool, where: str) -> None:
        """Add one value; an existing member or equal value is a no-op (Entra D20, D24)."""
        if members:
            present = any(isinstance(m, dict) and m.get("value") == item["value"] for m in current)
            if present and self.options.readd_member_conflict:
                raise ScimError(
                    409, f"{where}: {item['value']} is already a member of this group", UNIQUENESS
                )
            if present and not self.options.duplicate_members:
                return
        elif item in current:
            return
        if isinstance(item, dict) and item.get("primary") is True:
            for other in current:  # RFC 7643 §2.4: at most one primary value
                if isinstance(other, dict) and other.get("primary") is True:
                    other["primary"] = False
        current.append(item)

    def _store_list(self, target: AttributeTarget, items: list[Any]) -> None:
        if items:
            self._set(target, items)
        else:
            self._delete(target)

    def _sub_attribute(self, op: str, target: AttributeTarget, value: Any, where: str) -> None:
        """``name.givenName``, ``manager.value`` or ``emails.value`` (every element)."""
        attribute, sub = target.attribute, target.sub
        assert attribute is not None and sub is not None
        holder, key = self._current(target)
        existing = holder.get(key) if holder is not None and key is not None else None
        sub_def = target.sub_attribute
        if op != "remove" and sub_def is not None and not sub_def.is_complex:
            value = _unwrap(value)
        checked = None
        if op != "remove" and value is not None:
            checked = coerce(sub_def, value, where, self.coercion) if sub_def else value
        if attribute.multi_valued:
            elements = [e for e in existing if isinstance(e, dict)] if isinstance(
                existing, list) else []
            if not elements and op != "remove" and checked is not None:
                self._set(target, [{sub: checked}])
                return
            for element in elements:
                _put(element, sub, checked)
            if isinstance(existing, list):
                self._store_list(target, [e for e in existing if e != {}])
            return
        complex_value = dict(existing) if isinstance(existing, dict) else {}
        if self.options.given_name_wipes_name and attribute.name == "name" \
                and sub.lower() == "givenname":
            complex_value = {}  # variant given-name-wipes-family-name
        _put(complex_value, sub, checked)
        if complex_value:
            self._set(target, complex_value)
        else:
            self._delete(target)

    def _filtered(
        self, op: str, target: AttributeTarget, path: PatchPath, value: Any, where: str
    ) -> None:
        """``attr[filter]`` and ``attr[filter].sub`` (RFC 7644 §3.5.2, Entra's work-email form)."""
        attribute = target.attribute
        assert path.filter is not None
        if attribute is not None and not (attribute.multi_valued and attribute.is_complex):
            raise bad_request(
                INVALID_PATH,
                f"{where}: '{attribute.name}' is not a multi-valued complex attribute, "
                "so it cannot take a [value filter]",
            )
        if target.sub is not None:
            raise bad_request(
                INVALID_PATH, f"{where}: a value filter cannot follow a sub-attribute"
            )
        members = self.rtype is GROUP_TYPE and target.name == "members"
        if members and self.options.member_filter_path_unsupported:
            raise bad_request(INVALID_PATH, f"{where}: value filters on members are not supported")
        if path.sub is not None and self.options.value_filter_subattr_unsupported:
            raise bad_request(INVALID_PATH, f"{where}: value-filtered paths are not supported")
        sub_name, sub_def = path.sub, None
        if path.sub is not None and attribute is not None:
            sub_def = attribute.sub(path.sub)
            if sub_def is None:
                raise bad_request(
                    INVALID_PATH, f"{where}: '{path.sub}' is not a sub-attribute of "
                    f"'{attribute.name}'"
                )
            sub_name = sub_def.name
        holder, key = self._current(target)
        existing = holder.get(key) if holder is not None and key is not None else None
        elements: list[Any] = list(existing) if isinstance(existing, list) else []
        matched = [
            e for e in elements
            if isinstance(e, dict) and self.evaluator.matches_element(path.filter, e, attribute)
        ]
        if op == "remove":
            if sub_name is None:
                kept = [e for e in elements if not any(e is m for m in matched)]
            else:
                for element in matched:
                    _put(element, sub_name, None)
                kept = [e for e in elements if e != {}]
            self._store_list(target, kept)
            return
        if sub_name is not None:
            if sub_def is not None and not sub_def.is_complex:
                value = _unwrap(value)
            checked = coerce(sub_def, value, where, self.coercion) if sub_def else value
            if not matched:
                created = None if self.options.filtered_path_no_create else \
                    self._created_element(path, attribute, where)
                if created is None:
                    raise bad_request(
                        NO_TARGET, f"{where}: no value of '{target.name}' matches the filter"
                    )
                created[sub_name] = checked
                elements.append(created)
            for element in matched:
                _put(element, sub_name, checked)
        else:
            if not matched:
                raise bad_request(
                    NO_TARGET, f"{where}: no value of '{target.name}' matches the filter"
                )
            if not isinstance(value, dict):
                raise bad_request(INVALID_VALUE, f"{where}: the value must be an object")
            checked_element = (
                coerce(attribute, value, where, self.coercion, single=True)
                if attribute is not None else value
            )
            for element in matched:
                if op == "replace":
                    element.clear()
                element.update(checked_element)
            if members:
                elements = member_values(elements, where, dedupe=True)
        self._store_list(target, [e for e in elements if e != {}])

    def _created_element(
        self, path: PatchPath, attribute: Attribute | None, where: str
    ) -> dict[str, Any] | None:
        """Entra's rule: ``emails[type eq "work"].value`` creates the work email (D10)."""
        assert path.filter is not None
        equalities = _equalities(path.filter)
        if not equalities:
            return None
        element: dict[str, Any] = {}
        for name, literal in equalities.items():
            sub = attribute.sub(name) if attribute is not None else None
            if sub is None:
                element[name] = literal
            else:
                element[sub.name] = coerce(sub, literal, f"{where} {name}", self.coercion)
        return element

    def tidy(self) -> None:
        """Drop extension objects left empty (RFC 7643 §2.5: empty means unassigned)."""
        for key in [k for k, v in self.attrs.items() if v == {} and k.lower().startswith("urn:")]:
            del self.attrs[key]


def _put(element: dict[str, Any], name: str, value: Any) -> None:
    key = ci_key(element, name)
    if key is not None:
        del element[key]
    if value is not None:
        element[name] = value


def _without(current: list[Any], value: Any) -> list[Any]:
    """``current`` minus the values listed in a remove's ``value`` (Entra member removal, S2)."""
    doomed = value if isinstance(value, list) else [value]
    ids = {ci_get(d, "value") for d in doomed if isinstance(d, dict)}
    ids.discard(None)
    plain = [d for d in doomed if not isinstance(d, dict)]
    kept = []
    for item in current:
        if isinstance(item, dict) and item.get("value") in ids:
            continue
        if item in plain:
            continue
        kept.append(item)
    return kept

