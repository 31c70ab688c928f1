"""Deliberately broken variants of the reference server, for the harness's self-tests.

Each variant changes exactly one behaviour, modelled on a real-world defect (docs/entra.md
§7, D-numbers). A variant is either a switch in :class:`Behaviour`, consulted at one named point
of the server, or a response rewrite/request guard in :class:`VariantMiddleware`.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from scimcheck.server.errors import ERROR_SCHEMA, ScimError
from scimcheck.server.patch import PatchOptions
from scimcheck.server.responses import JSON_CONTENT_TYPE, LIST_RESPONSE_SCHEMA, error_response
from scimcheck.server.store import StoreOptions
from scimcheck.server.values import Coercion

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

MEMBER_BATCH_CAP = 10
"""How many values of one member add variant ``member-add-batch-capped`` applies."""
MEMBER_REMOVE_CAP = 5
"""How many members of one Remove with a value array ``member-remove-batch-capped`` removes."""

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


@dataclass(frozen=True)
class Behaviour:
    """Every switch the server consults; the defaults are the correct server."""

    patch: PatchOptions = field(default_factory=PatchOptions)
    store: StoreOptions = field(default_factory=StoreOptions)
    coercion: Coercion = field(default_factory=Coercion)
    require_auth: bool = True
    compare_token: bool = True
    filter_case_exact_names: frozenset[str] = frozenset()
    hide_disabled_from_filter: bool = False
    delete_returns_body: bool = False
    soft_delete_users: bool = False
    externalid_filter_unsupported: bool = False
    reject_unknown_schemas: bool = False
    ignore_excluded_attributes: bool = False
    ignore_pagination: bool = False
    ignore_start_index: bool = False
    require_emails: bool = False
    require_listed_extensions: bool = False
    create_answers_oldest: bool = False
    echo_password_on_create: bool = False
    patch_answers_before: bool = False
    create_answers_id: str | None = None
    """Whose id a POST /Users is answered with: "oldest" (and no userName), "first" or
    "deleted" (the id deleted last, once)."""


def _patch(**changes: Any) -> Behaviour:
    return Behaviour(patch=PatchOptions(**changes))


def _coercion(**changes: Any) -> Behaviour:
    coercion = Coercion(**changes)
    return Behaviour(coercion=coercion, patch=PatchOptions(coercion=coercion))


_BEHAVIOURS: dict[str, Behaviour] = {
    "create-answers-oldest-user": Behaviour(create_answers_oldest=True),
    "password-echoed-on-create": Behaviour(echo_password_on_create=True),
    "patch-answers-before-change": Behaviour(patch_answers_before=True),
    "create-answers-foreign-id": Behaviour(create_answers_id="oldest"),
    "create-answers-same-id": Behaviour(create_answers_id="first"),
    "create-reuses-deleted-id": Behaviour(create_answers_id="deleted"),
    "ops-case-sensitive": _patch(ops_case_sensitive=True),
    "string-false-truthy": _coercion(truthy_strings=True),
    "duplicate-accepted": Behaviour(store=StoreOptions(unique_user_names_on_create=False)),
    "username-unique-case-exact": Behaviour(store=StoreOptions(unique_names_case_exact=True)),
    "group-duplicate-displayname": Behaviour(
        store=StoreOptions(unique_group_names_on_create=False)
    ),
    "filter-case-sensitive": Behaviour(
        filter_case_exact_names=frozenset({"username", "displayname"})
    ),
    "no-auth": Behaviour(require_auth=False),
    "wrong-token-accepted": Behaviour(compare_token=False),
    "uppercase-family-name": Behaviour(store=StoreOptions(uppercase_family_name=True)),
    "patch-names-ignored": _patch(ignore_name_changes=True),
    "pathless-dotted-ignored": _patch(ignore_pathless_dotted=True),
    "pathless-dotted-rejected": _patch(reject_pathless_dotted=True),
    "single-op-patch-only": _patch(single_operation_only=True),
    "trims-spaces": _coercion(trim_strings=True),
    "title-cases-names": _coercion(title_case_names=True),
    "truncates-64": _coercion(truncate_at=64),
    "deleted-values-reserved": Behaviour(
        store=StoreOptions(reserve_deleted_values=True),
        coercion=Coercion(truncate_at=64),
        patch=PatchOptions(coercion=Coercion(truncate_at=64)),
    ),
    "non-ascii-question-marks": _coercion(ascii_only=True),
    "long-values-rejected": _coercion(max_length=128),
    "patch-response-not-stored": Behaviour(store=StoreOptions(patch_not_stored=True)),
    "lastmodified-frozen": Behaviour(store=StoreOptions(freeze_last_modified=True)),
    "given-name-wipes-family-name": _patch(given_name_wipes_name=True),
    "role-json-string-raw": _coercion(role_json="raw"),
    "role-json-string-rejected": _coercion(role_json="reject"),
    "disabled-hidden-from-filter": Behaviour(hide_disabled_from_filter=True),
    "no-reenable": Behaviour(store=StoreOptions(no_reenable=True)),
    "delete-200": Behaviour(delete_returns_body=True),
    "soft-delete": Behaviour(soft_delete_users=True),
    "recreate-refused": Behaviour(store=StoreOptions(deleted_names_reserved=True)),
    "member-remove-wipes-all": _patch(member_remove_wipes_all=True),
    "member-value-remove-rejected": _patch(member_value_remove_rejected=True),
    "member-filter-path-unsupported": _patch(member_filter_path_unsupported=True),
    "externalid-filter-unsupported": Behaviour(externalid_filter_unsupported=True),
    "work-email-path-unsupported": _patch(value_filter_subattr_unsupported=True),
    "manager-string-rejected": _coercion(manager_string_rejected=True),
    "filtered-path-no-create": _patch(filtered_path_no_create=True),
    "enterprise-path-unsupported": _patch(extension_path_unsupported=True),
    "pathless-urn-ignored": _patch(ignore_pathless_urn=True),
    "unsupported-attributes-dropped": Behaviour(store=StoreOptions(drop_unsupported=True)),
    "add-replace-strict": _patch(add_replace_strict=True),
    "adscim-schema-rejected": Behaviour(reject_unknown_schemas=True),
    "excluded-attributes-ignored": Behaviour(ignore_excluded_attributes=True),
    "duplicate-members": _patch(duplicate_members=True),
    "readd-member-409": _patch(readd_member_conflict=True),
    "active-boolean-ignored": _patch(ignore_boolean_active=True),
    "string-boolean-rejected": _coercion(strict_booleans=True),
    "displayname-patch-501": _patch(reject_display_name=True),
    "member-add-first-only": _patch(member_add_limit=1),
    "member-add-batch-capped": _patch(member_add_limit=MEMBER_BATCH_CAP),
    "member-remove-batch-capped": _patch(member_remove_limit=MEMBER_REMOVE_CAP),
    "group-rename-ignored": _patch(ignore_group_rename=True),
    "pagination-ignored": Behaviour(ignore_pagination=True),
    "start-index-ignored": Behaviour(ignore_start_index=True),
    "emails-required": Behaviour(require_emails=True),
    "unlisted-extension-rejected": Behaviour(require_listed_extensions=True),
}


def check_variant(variant: str | None) -> None:
    """``ValueError`` naming the valid variants when ``variant`` is not one of them."""
    if variant is not None and variant not in VARIANTS:
        raise ValueError(
            f"unknown variant {variant!r}; valid variants: {', '.join(sorted(VARIANTS))}"
        )


def behaviour_for(variant: str | None) -> Behaviour:
    """The switches for a variant (all off for ``None`` and for middleware-only variants)."""
    check_variant(variant)
    return _BEHAVIOURS.get(variant or "", Behaviour())


# --- request guards and response rewrites -------------------------------------------------------

Guard = Callable[[Request, str], ScimError | None]
Rewrite = Callable[[Request, Response, Any], tuple[Response, Any]]


def _routes_to(request: Request, base_path: str, endpoint: str) -> bool:
    path = request.path.rstrip("/")
    prefix = f"{base_path}{endpoint}"
    return path == prefix or path.startswith(prefix + "/")


def _groups_404(request: Request, base_path: str) -> ScimError | None:
    if _routes_to(request, base_path, "/Groups"):
        return ScimError(404, f"no SCIM endpoint at {request.path}")
    return None


def _patch_405(request: Request, _base_path: str) -> ScimError | None:
    if request.method == "PATCH":
        return ScimError(405, "PATCH is not supported")
    return None


def _filter_quote_500(request: Request, _base_path: str) -> ScimError | None:
    text = request.args.get("filter", "")
    if '\\"' in text or "'" in text:
        return ScimError(500, "internal error")
    return None


_GETS_SEEN = [0]


def _rate_limited_gets(request: Request, _base_path: str) -> ScimError | None:
    if request.method != "GET":
        return None
    _GETS_SEEN[0] += 1
    if _GETS_SEEN[0] % 3 == 0:
        return ScimError(429, "too many requests", headers={"Retry-After": "0"})
    return None


def _group_delete_400(request: Request, base_path: str) -> ScimError | None:
    path = request.path.rstrip("/")
    if request.method == "DELETE" and path.startswith(f"{base_path}/Groups/"):
        return ScimError(400, "deleting groups is not supported")
    return None


def _user_creates_refused(request: Request, base_path: str) -> ScimError | None:
    if request.method == "POST" and _routes_to(request, base_path, "/Users"):
        return ScimError(400, "users cannot be created here", "invalidValue")
    return None


def _externalid_create_refused(request: Request, base_path: str) -> ScimError | None:
    if request.method != "POST" or not _routes_to(request, base_path, "/Users"):
        return None
    data = request.get_data(cache=True)
    request.environ["wsgi.input"] = io.BytesIO(data)  # the app reads the body again
    try:
        body = json.loads(data)
    except ValueError:
        return None
    if isinstance(body, dict) and any(k.lower() == "externalid" for k in body):
        return ScimError(400, "externalId is not supported", "invalidValue")
    return None


def _scim_json_rejected(request: Request, _base_path: str) -> ScimError | None:
    if request.mimetype == "application/scim+json":
        return ScimError(415, "unsupported media type application/scim+json; use application/json")
    return None


def _accept_required(request: Request, _base_path: str) -> ScimError | None:
    if request.method == "GET" and "application/scim+json" not in request.headers.get(
        "Accept", ""
    ).lower():
        return ScimError(406, "this endpoint only serves requests accepting application/scim+json")
    return None


def _is_list(body: Any) -> bool:
    return isinstance(body, dict) and LIST_RESPONSE_SCHEMA in body.get("schemas", [])


def _no_match_404(request: Request, response: Response, body: Any) -> tuple[Response, Any]:
    if request.method in ("GET", "POST") and response.status_code == 200 and _is_list(body) \
            and not body.get("Resources"):
        error = ScimError(404, "no resources match the query")
        return error_response(error), error.body()
    return response, body


def _plain_errors(_request: Request, response: Response, body: Any) -> tuple[Response, Any]:
    if isinstance(body, dict) and ERROR_SCHEMA in body.get("schemas", []):
        return response, {"error": body.get("detail", "")}
    return response, body


def _errors_without_scimtype(
    _request: Request, response: Response, body: Any
) -> tuple[Response, Any]:
    if isinstance(body, dict) and ERROR_SCHEMA in body.get("schemas", []):
        body.pop("scimType", None)
    return response, body


_ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def _manager_returned_as_string(
    _request: Request, response: Response, body: Any
) -> tuple[Response, Any]:
    for resource in body.get("Resources", []) if _is_list(body) else [body]:
        extension = resource.get(_ENTERPRISE) if isinstance(resource, dict) else None
        if not isinstance(extension, dict):
            continue
        manager = extension.get("manager")
        if isinstance(manager, dict) and "value" in manager:
            extension["manager"] = manager["value"]
    return response, body


def _no_location(_request: Request, response: Response, body: Any) -> tuple[Response, Any]:
    if response.status_code == 201:
        response.headers.pop("Location", None)
    return response, body


def _group_create_no_location(
    request: Request, response: Response, body: Any
) -> tuple[Response, Any]:
    if response.status_code == 201 and request.path.rstrip("/").endswith("/Groups"):
        response.headers.pop("Location", None)
    return response, body


def _location_header_not_meta_location(
    _request: Request, response: Response, body: Any
) -> tuple[Response, Any]:
    location = response.headers.get("Location")
    if response.status_code == 201 and location:
        _, _, path = location.partition("://")
        response.headers["Location"] = "http://scim-internal.invalid:8080/" + path.partition(
            "/")[2]
    return response, body


def _resources_meta(body: Any) -> list[dict[str, Any]]:
    """The meta of every user and group in an answer (one resource or a ListResponse)."""
    resources = body.get("Resources", []) if _is_list(body) else [body]
    return [r["meta"] for r in resources if isinstance(r, dict) and isinstance(r.get("meta"), dict)
            and r["meta"].get("resourceType") in ("User", "Group")]


def _no_meta_location(_request: Request, response: Response, body: Any) -> tuple[Response, Any]:
    for meta in _resources_meta(body):
        meta.pop("location", None)
    return response, body


def _meta_location_only(
    _request: Request, response: Response, body: Any
) -> tuple[Response, Any]:
    for meta in _resources_meta(body):
        for key in [k for k in meta if k != "location"]:
            del meta[key]
    return response, body


def _no_www_authenticate(
    _request: Request, response: Response, body: Any
) -> tuple[Response, Any]:
    if response.status_code == 401:
        response.headers.pop("WWW-Authenticate", None)
    return response, body


def _json_content_type(_request: Request, response: Response, body: Any) -> tuple[Response, Any]:
    if "Content-Type" in response.headers:
        response.headers["Content-Type"] = JSON_CONTENT_TYPE
    return response, body


def _echoes_token(request: Request, response: Response, body: Any) -> tuple[Response, Any]:
    credentials = request.headers.get("Authorization", "")
    response.headers["X-Debug-Authorization"] = credentials
    if isinstance(body, dict) and ERROR_SCHEMA in body.get("schemas", []):
        body["detail"] = f"{body.get('detail', '')} (request had Authorization: {credentials})"
    return response, body


def _latin1_bodies(_request: Request, response: Response, body: Any) -> tuple[Response, Any]:
    if body is not _UNSET:
        text = json.dumps(body, ensure_ascii=False)
        response.set_data(text.encode("iso-8859-1", errors="replace"))
    return response, _UNSET


def _create_200(_request: Request, response: Response, body: Any) -> tuple[Response, Any]:
    if response.status_code == 201:
        response.status_code = 200
    return response, body


def _list_missing_total(_request: Request, response: Response, body: Any) -> tuple[Response, Any]:
    if _is_list(body):
        body.pop("totalResults", None)
    return response, body


def _total_results_page_size(
    _request: Request, response: Response, body: Any
) -> tuple[Response, Any]:
    if _is_list(body) and isinstance(body.get("Resources"), list):
        body["totalResults"] = len(body["Resources"])
    return response, body


def _strip_schemas(resource: Any, resource_type: str) -> None:
    if isinstance(resource, dict) and isinstance(resource.get("meta"), dict) \
            and resource["meta"].get("resourceType") == resource_type:
        resource.pop("schemas", None)


def _without_schemas(resource_type: str) -> Rewrite:
    def rewrite(_request: Request, response: Response, body: Any) -> tuple[Response, Any]:
        resources = body.get("Resources", []) if _is_list(body) else [body]
        for resource in resources:
            _strip_schemas(resource, resource_type)
        return response, body

    return rewrite


def _schemas_bare_array(request: Request, response: Response, body: Any) -> tuple[Response, Any]:
    path = request.path.rstrip("/")
    if _is_list(body) and path.endswith(("/Schemas", "/ResourceTypes")):
        return response, body.get("Resources", [])
    return response, body


def _get_by_id_404(request: Request, response: Response, body: Any) -> tuple[Response, Any]:
    path = request.path.rstrip("/")
    if request.method == "GET" and response.status_code == 200 and "/Users/" in path \
            and not _is_list(body):
        error = ScimError(404, f"User {path.rsplit('/', 1)[-1]!r} not found")
        return error_response(error), error.body()
    return response, body


def _filter_escapes_unread(
    request: Request, response: Response, body: Any
) -> tuple[Response, Any]:
    """Models a filter parser that takes the characters between the quotes literally: a
    value with an escaped quote or backslash matches no stored value."""
    text = request.args.get("filter", "")
    if request.method == "GET" and _is_list(body) and ('\\"' in text or "\\\\" in text):
        body["Resources"] = []
        body["totalResults"] = 0
    return response, body


def _filter_finds_nothing(attribute: str) -> Rewrite:
    """A rewrite answering every filter on ``attribute`` with an empty list."""

    def rewrite(request: Request, response: Response, body: Any) -> tuple[Response, Any]:
        if request.method == "GET" and _is_list(body) \
                and attribute in request.args.get("filter", "").lower():
            body["Resources"] = []
            body["totalResults"] = 0
        return response, body

    return rewrite


_CANONICAL_NAMES = {name.lower(): name for name in (
    "userName", "displayName", "externalId", "id", "active", "emails", "members", "title",
)}


def _filter_names_case_exact(
    request: Request, response: Response, body: Any
) -> tuple[Response, Any]:
    """Models a server that looks the filter's attribute up by its exact key in the stored
    resource: a name spelled in another case finds nothing."""
    text = request.args.get("filter", "").lstrip()
    name = text.split(" ", 1)[0].split("[", 1)[0].split(".", 1)[0]
    canonical = _CANONICAL_NAMES.get(name.lower())
    if request.method == "GET" and _is_list(body) and canonical is not None \
            and name != canonical:
        body["Resources"] = []
        body["totalResults"] = 0
    return response, body


def _patch_200_empty_body(
    request: Request, response: Response, body: Any
) -> tuple[Response, Any]:
    if request.method == "PATCH" and response.status_code == 200:
        response.set_data(b"")
        return response, _UNSET
    return response, body


def _no_service_provider_config(request: Request, base_path: str) -> ScimError | None:
    if _routes_to(request, base_path, "/ServiceProviderConfig"):
        return ScimError(404, f"no SCIM endpoint at {request.path}")
    return None


def _start_index_not_echoed(
    _request: Request, response: Response, body: Any
) -> tuple[Response, Any]:
    if _is_list(body) and "startIndex" in body:
        body["startIndex"] = 1
    return response, body


def _items_per_page_is_count(
    request: Request, response: Response, body: Any
) -> tuple[Response, Any]:
    count = request.args.get("count", "")
    if _is_list(body) and count.isdigit():
        body["itemsPerPage"] = int(count)
    return response, body


def _spc_patch_unsupported(
    request: Request, response: Response, body: Any
) -> tuple[Response, Any]:
    if request.path.rstrip("/").endswith("/ServiceProviderConfig") and isinstance(body, dict) \
            and isinstance(body.get("patch"), dict):
        body["patch"]["supported"] = False
    return response, body


def _pascal_case_characteristics(attributes: Any) -> None:
    for attribute in attributes if isinstance(attributes, list) else []:
        if not isinstance(attribute, dict):
            continue
        for name in ("mutability", "returned", "uniqueness"):
            value = attribute.get(name)
            if isinstance(value, str) and value:
                attribute[name] = value[0].upper() + value[1:]
        _pascal_case_characteristics(attribute.get("subAttributes"))


def _schema_characteristics_pascal_case(
    request: Request, response: Response, body: Any
) -> tuple[Response, Any]:
    if "/Schemas" in request.path and isinstance(body, dict):
        for schema in body.get("Resources", [body]):
            if isinstance(schema, dict):
                _pascal_case_characteristics(schema.get("attributes"))
    return response, body


_GUARDS: dict[str, Guard] = {
    "groups-404": _groups_404,
    "group-delete-400": _group_delete_400,
    "patch-405": _patch_405,
    "filter-quote-500": _filter_quote_500,
    "rate-limited-gets": _rate_limited_gets,
    "scim-json-rejected": _scim_json_rejected,
    "accept-required": _accept_required,
    "user-creates-refused": _user_creates_refused,
    "externalid-create-refused": _externalid_create_refused,
    "no-service-provider-config": _no_service_provider_config,
}

_REWRITES: dict[str, Rewrite] = {
    "filter-escapes-unread": _filter_escapes_unread,
    "no-match-404": _no_match_404,
    "plain-errors": _plain_errors,
    "errors-without-scimtype": _errors_without_scimtype,
    "manager-returned-as-string": _manager_returned_as_string,
    "no-location": _no_location,
    "group-create-no-location": _group_create_no_location,
    "location-header-not-meta-location": _location_header_not_meta_location,
    "no-meta-location": _no_meta_location,
    "meta-location-only": _meta_location_only,
    "no-www-authenticate": _no_www_authenticate,
    "json-content-type": _json_content_type,
    "latin1-bodies": _latin1_bodies,
    "echoes-token": _echoes_token,
    "create-200": _create_200,
    "list-missing-total": _list_missing_total,
    "total-results-page-size": _total_results_page_size,
    "user-without-schemas": _without_schemas("User"),
    "group-without-schemas": _without_schemas("Group"),
    "schemas-bare-array": _schemas_bare_array,
    "get-by-id-404": _get_by_id_404,
    "username-filter-empty": _filter_finds_nothing("username"),
    "externalid-filter-empty": _filter_finds_nothing("externalid"),
    "patch-200-empty-body": _patch_200_empty_body,
    "filter-names-case-exact": _filter_names_case_exact,
    "start-index-not-echoed": _start_index_not_echoed,
    "items-per-page-is-count": _items_per_page_is_count,
    "spc-patch-unsupported": _spc_patch_unsupported,
    "schema-characteristics-pascal-case": _schema_characteristics_pascal_case,
}

_UNSET = object()


class VariantMiddleware:
    """WSGI middleware for variants that guard requests or rewrite responses."""

    def __init__(self, app: WSGIApplication, variant: str, base_path: str) -> None:
        self.app = app
        self.guard = _GUARDS.get(variant)
        self.rewrite = _REWRITES.get(variant)
        self.base_path = base_path

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        if self.guard is not None:
            error = self.guard(request, self.base_path)
            if error is not None:
                return error_response(error)(environ, start_response)
        if self.rewrite is None:
            return self.app(environ, start_response)
        response = Response.from_app(self.app, environ, buffered=True)
        body: Any = _UNSET
        data = response.get_data()
        if data and "json" in (response.mimetype or ""):
            body = json.loads(data)
        response, new_body = self.rewrite(request, response, body)
        if new_body is not _UNSET:
            response.set_data(json.dumps(new_body, ensure_ascii=False).encode("utf-8"))
        return response(environ, start_response)


def wrap(app: WSGIApplication, variant: str | None, base_path: str) -> WSGIApplication:
    """``app`` with the variant's middleware when it has one."""
    if variant is not None and (variant in _GUARDS or variant in _REWRITES):
        return VariantMiddleware(app, variant, base_path)
    return app


def variant_kind(variant: str) -> str:
    """``"switch"``, ``"guard"`` or ``"rewrite"``: where a variant is implemented."""
    check_variant(variant)
    if variant in _GUARDS:
        return "guard"
    if variant in _REWRITES:
        return "rewrite"
    return "switch"

