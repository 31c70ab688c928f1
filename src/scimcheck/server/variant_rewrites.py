"""The broken variants that rewrite responses: each changes the server's answer (its status,
headers or JSON body) the way a real endpoint's defect would."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Request, Response

from scimcheck.server.errors import ERROR_SCHEMA, ScimError
from scimcheck.server.responses import JSON_CONTENT_TYPE, LIST_RESPONSE_SCHEMA, error_response

Rewrite = Callable[[Request, Response, Any], tuple[Response, Any]]
"""A request, the server's response and its JSON body (or :data:`UNSET`); the response and
body to send instead (:data:`UNSET` keeps the response's bytes as they are)."""
UNSET = object()
"""No JSON body: the response is not JSON, or its bytes stay as the rewrite left them."""


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
    if body is not UNSET:
        text = json.dumps(body, ensure_ascii=False)
        response.set_data(text.encode("iso-8859-1", errors="replace"))
    return response, UNSET


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
        return response, UNSET
    return response, body


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


REWRITES: dict[str, Rewrite] = {
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
