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
from typing import Any

from scimcheck.server.errors import (
    INVALID_PATH,
    INVALID_VALUE,
    MUTABILITY,
    NO_TARGET,
    ScimError,
    bad_request,
)
from scimcheck.server.filter_syntax import PatchPath, parse_path
from scimcheck.server.patch_operations import Operation, PatchOptions, operations
from scimcheck.server.patch_values import ValueEditor, unwrap
from scimcheck.server.resources import check_required
from scimcheck.server.schema import GROUP_TYPE, AttributeTarget, ResourceType, fold
from scimcheck.server.values import is_manager

_NAME_ATTRIBUTES = frozenset({"displayname", "name", "username"})


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


class _Patcher(ValueEditor):
    """Applies operations one by one to a working copy of a resource's attributes."""

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
                self._coerce(target.leaf, target, unwrap(value), where)  # checked, not kept
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
                and fold(target.name) == "active" and isinstance(unwrap(value), bool):
            return
        if path.filter is not None:
            self._filtered(op, target, path, value, where)
        elif target.sub is not None:
            self._sub_attribute(op, target, value, where)
        else:
            self._attribute(op, target, value, where, has_value)

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
            value = unwrap(value)
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

    def tidy(self) -> None:
        """Drop extension objects left empty (RFC 7643 §2.5: empty means unassigned)."""
        for key in [k for k, v in self.attrs.items() if v == {} and k.lower().startswith("urn:")]:
            del self.attrs[key]
