"""Entra's two PATCH dialects (docs/entra.md §3, Entra S2), and the operations of every PATCH
Entra sends, as each dialect spells them (the whole requests: :mod:`scimcheck.entra.requests`).

``legacy`` is what Entra sends by default: capitalised ops, one op per path, booleans as the
strings ``"True"``/``"False"``, member removal as ``Remove members`` with a value array.
``compliant`` is what Entra sends with the ``aadOptscim062020`` flag: lowercase ops, a path-less
``replace`` whose value object uses dotted/URN keys, JSON booleans, and member removal through a
``members[value eq "…"]`` path.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

from scimcheck.scim.endpoints import PATCH_OP_SCHEMA


class Dialect(StrEnum):
    """Which of Entra's request dialects a sequence replays."""

    LEGACY = "legacy"
    COMPLIANT = "compliant"

    def __repr__(self) -> str:  # shown in Hypothesis' shrunk programs
        return repr(self.value)

    @property
    def description(self) -> str:
        """How an Entra admin would recognise it."""
        if self is Dialect.LEGACY:
            return "Entra default (capitalised ops, \"False\" strings)"
        return "Entra with aadOptscim062020 (RFC-compliant PATCH)"


def parse_choice(choice: str) -> tuple[Dialect, ...]:
    """``legacy``, ``compliant`` or ``both`` → the dialects to replay."""
    if choice == "both":
        return (Dialect.LEGACY, Dialect.COMPLIANT)
    return (Dialect(choice),)


def op(dialect: Dialect, name: str) -> str:
    """The op name as the dialect spells it: ``Replace`` or ``replace``."""
    return name.capitalize() if dialect is Dialect.LEGACY else name.lower()


def boolean(dialect: Dialect, value: bool) -> bool | str:
    """A boolean as Entra sends it: ``"False"`` in legacy, ``false`` in compliant."""
    if dialect is Dialect.LEGACY:
        return "True" if value else "False"
    return value


def patch_body(operations: list[dict[str, Any]]) -> dict[str, Any]:
    """A PatchOp request (RFC 7644 §3.5.2)."""
    return {"schemas": [PATCH_OP_SCHEMA], "Operations": operations}


def update_operations(dialect: Dialect, changes: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Operations replacing attribute values, as Entra would send them.

    Legacy: one ``Replace`` per path. Compliant: value-filtered paths keep their own ``replace``;
    every other attribute goes into one path-less ``replace`` keyed by its (dotted) path.
    """
    if dialect is Dialect.LEGACY:
        return [{"op": "Replace", "path": path, "value": value} for path, value in changes.items()]
    operations: list[dict[str, Any]] = []
    pathless: dict[str, Any] = {}
    for path, value in changes.items():
        if "[" in path:
            operations.append({"op": "replace", "path": path, "value": value})
        else:
            pathless[path] = value
    if pathless:
        operations.append({"op": "replace", "value": pathless})
    return operations


def active_operations(dialect: Dialect, active: bool) -> list[dict[str, Any]]:
    """Disable or re-enable a user (docs/entra.md §1.4)."""
    return [{"op": op(dialect, "replace"), "path": "active", "value": boolean(dialect, active)}]


def attribute_operations(
    dialect: Dialect, name: str, values: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """One ``name`` operation (``add`` or ``replace``) per attribute path, each with its path and
    value, the op spelled by the dialect: Entra's ``Add`` of a first value, of an enterprise URN
    path or of a reference, and its ``Replace`` of one attribute (docs/entra.md §1.3: a server
    must take either for one another, Microsoft Learn Q&A 1373350)."""
    return [{"op": op(dialect, name), "path": path, "value": value}
            for path, value in values.items()]


ROLE_TYPE = "WindowsAzureActiveDirectoryRole"
"""The ``type`` of an app role in Entra's AppRoleAssignmentsComplex mapping (docs/entra.md §1.2)."""


def role_operations(dialect: Dialect, role: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Entra's assignment of one more app role ``{"id", "value", "displayName"}`` (docs/entra.md
    §1.2 "Roles", §3, S8): legacy sends the role JSON-encoded into a string inside ``value``;
    compliant sends the create's form (``primary``, ``type``, ``display``, ``value``)."""
    if dialect is Dialect.LEGACY:
        encoded = json.dumps(dict(role), separators=(",", ":"))
        return [{"op": "Add", "path": "roles", "value": [{"value": encoded}]}]
    value = {"primary": False, "type": ROLE_TYPE, "display": role["displayName"],
             "value": role["value"]}
    return [{"op": "add", "path": "roles", "value": [value]}]


def member_operations(
    dialect: Dialect, member_ids: Sequence[str], add: bool
) -> list[dict[str, Any]]:
    """Entra's membership change for these members, in one PATCH (Microsoft Learn, "Known
    issues for SCIM compliance"): an add is one ``Add``/``add`` on ``members`` with a value
    array; a removal is one ``Remove`` with a value array (legacy) or one ``remove`` on a
    ``members[value eq "…"]`` path per member (compliant)."""
    values = [{"$ref": None, "value": member} for member in member_ids]
    if add:
        return [{"op": op(dialect, "add"), "path": "members", "value": values}]
    if dialect is Dialect.LEGACY:
        return [{"op": "Remove", "path": "members", "value": values}]
    return [{"op": "remove", "path": f'members[value eq "{member}"]'} for member in member_ids]


def lowercase_ops(operations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same operations with lowercase op names (used to diagnose case-sensitive servers)."""
    return [{**operation, "op": str(operation["op"]).lower()} for operation in operations]
