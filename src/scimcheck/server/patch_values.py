"""Editing a working copy of a resource's attributes for the PATCH engine: setting and deleting
an attribute, multi-valued attributes (member adds and removals, Entra D3-D5, D20, D24),
sub-attributes, and value-filtered elements (``emails[type eq "work"].value`` creating the work
email, D10), per RFC 7644 §3.5.2."""

from __future__ import annotations

from typing import Any

from scimcheck.server.errors import (
    INVALID_PATH,
    INVALID_SYNTAX,
    INVALID_VALUE,
    NO_TARGET,
    UNIQUENESS,
    ScimError,
    bad_request,
)
from scimcheck.server.filter_evaluation import Evaluator
from scimcheck.server.filter_syntax import And, Compare, Filter, PatchPath
from scimcheck.server.patch_operations import PatchOptions
from scimcheck.server.resources import member_values
from scimcheck.server.schema import (
    GROUP_TYPE,
    Attribute,
    AttributeTarget,
    ResourceType,
    ci_get,
    ci_key,
)
from scimcheck.server.values import coerce, is_manager


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


def unwrap(value: Any) -> Any:
    """``[{"value": x}]`` sent for a simple attribute means ``x`` (Entra, scimgateway#117)."""
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict):
        inner = ci_get(value[0], "value")
        if inner is not None:
            return inner
    return value


class ValueEditor:
    """Sets, deletes and edits the values of a working copy of a resource's attributes."""

    def __init__(self, rtype: ResourceType, attrs: dict[str, Any], options: PatchOptions) -> None:
        self.rtype = rtype
        self.attrs = attrs
        self.options = options
        self.coercion = options.coercion
        self.evaluator = Evaluator(rtype)

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
            value = unwrap(value)
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
                value = unwrap(value)
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
