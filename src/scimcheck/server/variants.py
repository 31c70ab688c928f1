"""Deliberately broken variants of the reference server, for the harness's self-tests: the table.

Each variant changes exactly one behaviour, modelled on a real-world defect (docs/entra.md
§7, D-numbers). A variant is either a switch the server consults at one named point
(:mod:`scimcheck.server.variant_switches`), a request guard
(:mod:`scimcheck.server.variant_guards`) or a response rewrite
(:mod:`scimcheck.server.variant_rewrites`), the last two applied by
:mod:`scimcheck.server.variant_middleware`.
"""

from __future__ import annotations

VARIANTS: dict[str, str] = {
    "ops-case-sensitive": "PATCH op names must be lowercase: Add/Replace/Remove → 400 (D1)",
    "string-false-truthy": 'a string "active" is stored as bool(value), so "False" is true (D2)',
    "no-match-404": "a list/filter GET that finds nothing answers 404, not an empty list (D6)",
    "duplicate-accepted": "POST /Users with an existing userName is accepted (201, a 2nd user)",
    "username-unique-case-exact": "userName (and group displayName) uniqueness compares "
    "case-exactly: the same name in other letter case makes a second resource",
    "group-duplicate-displayname": "POST /Groups with an existing displayName is accepted "
    "(201, a 2nd group)",
    "filter-case-sensitive": "userName/displayName filter comparisons are case-exact (D9)",
    "filter-names-case-exact": "a filter whose attribute name is not spelled as the schema "
    "spells it (USERNAME, username) finds nobody",
    "plain-errors": 'error bodies are {"error": "<detail>"}, not SCIM Error messages (D18)',
    "no-location": "201 responses carry no Location header (RFC 7644 §3.3)",
    "group-create-no-location": "a group's 201 carries no Location header; a user's does "
    "(RFC 7644 §3.3)",
    "location-header-not-meta-location": "a create's Location header names an internal host, "
    "not the URI meta.location gives (RFC 7644 §3.3)",
    "no-meta-location": "users and groups carry meta without location (RFC 7644 §3.3)",
    "meta-location-only": "users' and groups' meta holds only location: no resourceType, "
    "created or lastModified (RFC 7643 §3.1)",
    "lastmodified-frozen": "meta.lastModified keeps the create's time after every change "
    "(RFC 7643 §3.1)",
    "password-echoed-on-create": "the answer to a create repeats the password it was sent (the "
    "request body echoed into the response)",
    "no-auth": "requests without a token, or with a wrong one, are accepted",
    "wrong-token-accepted": "a request without a token is refused, but any token is accepted "
    "(the value is never compared)",
    "oauth-token-never-expires": "with --oauth: access tokens carry no expires_in and are "
    "accepted for ever (RFC 6749 §5.1; Entra's gallery asks for 60 minutes to 6 hours)",
    "oauth-secret-ignored": "with --oauth: the token endpoint issues a token to the client id "
    "with any secret (RFC 6749 §5.2 invalid_client never sent)",
    "oauth-expired-token-accepted": "with --oauth: the SCIM endpoint accepts an access token "
    "after its expires_in has run out",
    "oauth-token-type-missing": "with --oauth: the token endpoint's answer has no token_type "
    "(RFC 6749 §5.1 requires it; the token itself works)",
    "no-www-authenticate": "401 answers carry no WWW-Authenticate challenge (RFC 7235 §3.1)",
    "json-content-type": "responses say Content-Type application/json, not scim+json (D17)",
    "create-200": "POST create answers 200 instead of 201",
    "list-missing-total": "ListResponses omit totalResults",
    "total-results-page-size": "ListResponses give the number of resources on the page as "
    "totalResults",
    "user-without-schemas": "User resources are returned without 'schemas'",
    "uppercase-family-name": "name.familyName is stored upper-cased (D28)",
    "patch-names-ignored": "PATCH of displayName, name.* and userName is silently not applied",
    "pathless-dotted-ignored": "path-less add/replace ignores dotted keys (name.givenName; D11)",
    "pathless-dotted-rejected": "path-less add/replace refuses dotted keys with 400 (D11)",
    "single-op-patch-only": "a PATCH with more than one operation → 400; each alone works",
    "trims-spaces": "leading and trailing spaces are stripped from stored strings (D28)",
    "title-cases-names": "givenName and familyName are stored title-cased (D28)",
    "truncates-64": "strings other than userName are cut at 64 characters (D28)",
    "non-ascii-question-marks": "every non-ASCII character is stored as '?' (D28)",
    "create-answers-oldest-user": "POST /Users creates the user but answers with the oldest "
    "user in the store (an upsert that hands back an existing account)",
    "create-answers-foreign-id": "POST /Users creates the user but answers with the oldest "
    "user's id and no userName (the answer describes somebody else's account)",
    "create-answers-same-id": "every POST /Users after the first creates the user but answers "
    "with the first created user's id",
    "create-reuses-deleted-id": "after a user is deleted, the next POST /Users creates the user "
    "but answers with the deleted user's id",
    "echoes-token": "every answer repeats the Authorization header (a debug echo left on)",
    "latin1-bodies": "JSON bodies are encoded ISO-8859-1 while claiming charset=utf-8",
    "rate-limited-gets": "every third GET is answered 429 with Retry-After: 0 (D31)",
    "long-values-rejected": "a string longer than 128 characters is refused with 400",
    "filter-quote-500": "a filter whose value holds a quote or an escaped quote → 500",
    "filter-escapes-unread": "a filter value holding an escape (\\\" or \\\\) is compared "
    "without unescaping it, so it finds nothing",
    "patch-response-not-stored": "a PATCH answers with the change, but the store keeps the old",
    "given-name-wipes-family-name": "replacing name.givenName replaces the whole name object",
    "role-json-string-raw": "a role PATCHed as Entra's JSON-encoded string is stored raw (D15)",
    "role-json-string-rejected": "a role PATCHed as Entra's JSON-encoded string → 400 (D15)",
    "disabled-hidden-from-filter": "inactive users are left out of filtered lists (D19)",
    "no-reenable": "once inactive, a user cannot be set active again",
    "delete-200": "DELETE answers 200 with the deleted resource instead of 204",
    "soft-delete": "DELETE /Users answers 204 but keeps the user as inactive: GET, filters "
    "and lists still return it, and its userName stays taken",
    "recreate-refused": "a deleted user is gone, but a new POST /Users with its userName → "
    "409 (the name stays reserved)",
    "deleted-values-reserved": "a deleted user's userName, emails and externalId stay reserved "
    "(a create reusing one → 409 uniqueness), and strings other than userName are cut at 64 "
    "characters (D28): a deterministic defect whose replay meets the reservation",
    "member-remove-wipes-all": "Remove on members with a value array removes all members (D3)",
    "member-value-remove-rejected": "Remove on members with a value array → 400 (D4)",
    "member-filter-path-unsupported": 'members[value eq "…"] paths → 400 invalidPath (D5)',
    "groups-404": "every /Groups route answers 404 (users-only endpoint, D7)",
    "externalid-filter-unsupported": "a filter on externalId → 400 invalidFilter (D8)",
    "work-email-path-unsupported": 'paths like emails[type eq "work"].value → 400 (D10)',
    "manager-string-rejected": "a bare string manager value → 400 invalidValue (D13)",
    "filtered-path-no-create": 'emails[type eq "work"].value on a user without a work email → '
    "400 noTarget; the element is never created (D10)",
    "enterprise-path-unsupported": "PATCH paths qualified by a schema URN (urn:…:enterprise:2.0:"
    "User:department) → 400 invalidPath; path-less URN keys work (D12)",
    "unsupported-attributes-dropped": "name.formatted and the enterprise extension are "
    "accepted but never stored, on create or PATCH (attributes the endpoint does not support); "
    "path-less PATCH keys work",
    "pathless-urn-ignored": "path-less add/replace ignores URN-qualified keys "
    "(urn:…:User:employeeNumber; D11)",
    "add-replace-strict": "add on a single-valued attribute already set → 400, replace on one "
    "not set → 400 noTarget",
    "externalid-filter-empty": "an externalId filter always finds nobody (filter ignored, D8)",
    "adscim-schema-rejected": "a POST whose schemas holds an unknown URN → 400 (D22)",
    "excluded-attributes-ignored": "excludedAttributes is ignored (D23)",
    "duplicate-members": "adding an existing member adds it again (D24)",
    "readd-member-409": "adding an existing member → 409 (D20)",
    "pagination-ignored": "startIndex/count are ignored: everything, startIndex 1 (D33)",
    "schemas-bare-array": "/Schemas and /ResourceTypes return a bare JSON array (D29)",
    "scim-json-rejected": "bodies sent as application/scim+json → 415; only application/json (D16)",
    "accept-required": "GETs without Accept: application/scim+json → 406 (D16)",
    "user-creates-refused": "every POST /Users → 400 invalidValue (no user can be created)",
    "externalid-create-refused": "a POST /Users carrying externalId → 400 invalidValue (the "
    "endpoint does not support externalId)",
    "group-delete-400": "DELETE /Groups/{id} → 400 (D27)",
    "get-by-id-404": "GET /Users/{id} answers 404 for users that exist (lists still find them)",
    "username-filter-empty": "a userName filter always finds nobody (filter ignored, D8/D9)",
    "patch-answers-before-change": "a PATCH is applied, but answered 200 with the resource as "
    "it was before the change",
    "patch-200-empty-body": "a successful PATCH answers 200 with an empty body (neither 204 nor "
    "the resource)",
    "active-boolean-ignored": 'PATCH active with a JSON boolean is ignored; only "True"/"False" '
    "strings work",
    "string-boolean-rejected": '"True"/"False" strings for booleans → 400 invalidValue (D2)',
    "displayname-patch-501": "a PATCH that touches displayName → 501; other attributes work",
    "group-without-schemas": "Group resources are returned without 'schemas'",
    "member-add-first-only": "a PATCH adding several members adds only the first (D25)",
    "member-add-batch-capped": "a PATCH adding members applies only the first 10 values of "
    "its value array (a batch cap); smaller adds work",
    "member-remove-batch-capped": "a Remove on members with a value array removes only the "
    "first 5 members it lists; smaller removals work",
    "group-rename-ignored": "PATCH of a group's displayName is silently not applied",
    "errors-without-scimtype": "error bodies are SCIM Error messages without a scimType",
    "start-index-ignored": "count is honoured but every page starts at the first resource "
    "(startIndex echoed as asked, D33)",
    "emails-required": "creating a user without emails → 400 invalidValue (D30)",
    "manager-returned-as-string": "users come back with the manager as a bare id string, not "
    "{value, $ref, displayName} (D14)",
    "patch-405": "PATCH is not implemented: every PATCH answers 405 (D26)",
    "unlisted-extension-rejected": "a create carrying an extension object whose URN is not in "
    "'schemas' → 400 (Entra omits custom extension URNs there, D34)",
    "start-index-not-echoed": "ListResponses always say startIndex 1, whatever page was "
    "served (D33)",
    "items-per-page-is-count": "ListResponses asked for with count say itemsPerPage = count, "
    "not the number of resources on the page (RFC 7644 §3.4.2)",
    "spc-patch-unsupported": "/ServiceProviderConfig says patch.supported false; PATCH works "
    "(D26)",
    "no-service-provider-config": "GET /ServiceProviderConfig → 404 (the endpoint is not "
    "implemented)",
    "schema-characteristics-pascal-case": "/Schemas spells mutability, returned and "
    "uniqueness in PascalCase (ReadWrite, Default; S1 wants readWrite)",
}


def check_variant(variant: str | None) -> None:
    """``ValueError`` naming the valid variants when ``variant`` is not one of them."""
    if variant is not None and variant not in VARIANTS:
        raise ValueError(
            f"unknown variant {variant!r}; valid variants: {', '.join(sorted(VARIANTS))}"
        )
