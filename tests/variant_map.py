"""Which checks each broken variant of the reference server must make fail (and no others)."""

from __future__ import annotations

# variant → the checks it must make fail, and nothing else.
EXPECTED: dict[str, set[str]] = {
    "ops-case-sensitive": {"patch.capitalised-ops"},
    "string-false-truthy": {"user.disable.string-false"},
    "no-match-404": {"test-connection.no-match-empty-list"},
    "duplicate-accepted": {"user.create.duplicate-409"},
    "filter-case-sensitive": {"filter.username-case-insensitive"},
    "plain-errors": {"error.scim-envelope"},
    "no-location": {"user.create.location"},
    "no-auth": {"auth.missing-token-rejected"},
    "json-content-type": {"response.scim-content-type"},
    "create-200": {"user.create.status-201"},
    "list-missing-total": {"schema.list-response"},
    "user-without-schemas": {"schema.user"},
    "uppercase-family-name": {"user.values-roundtrip"},
    "patch-names-ignored": {"user.update.applied", "user.update.pathless-dotted"},
    "pathless-dotted-ignored": {"user.update.pathless-dotted"},
    "disabled-hidden-from-filter": {"user.disabled-still-visible"},
    "no-reenable": {"user.reenable"},
    "delete-200": {"user.delete.status-204"},
    "soft-delete": {"user.delete.gone"},
    "get-by-id-404": {"user.get-by-id"},
    "username-filter-empty": {"filter.finds-user"},
    "patch-200-empty-body": {"patch.response"},
    "active-boolean-ignored": {"user.disable.boolean"},
    "string-boolean-rejected": {"user.disable.string-false"},
    "displayname-patch-501": {"user.update.applied"},
}
