"""A PATCH request's operations, checked (RFC 7644 §3.5.2), and the variant switches of the PATCH
engine (:class:`PatchOptions`): op names in any case (Entra D1), a path that is a string, a
non-empty ``Operations`` array; anything else is 400 ``invalidSyntax`` or ``invalidPath``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scimcheck.server.errors import INVALID_PATH, INVALID_SYNTAX, bad_request
from scimcheck.server.filter_syntax import PatchPath, parse_path
from scimcheck.server.schema import ci_get, ci_key
from scimcheck.server.values import Coercion

PATCH_OP_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
_OPS = ("add", "replace", "remove")


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
