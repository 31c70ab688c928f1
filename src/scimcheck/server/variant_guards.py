"""The broken variants that guard requests: each refuses some requests with a SCIM error
before the server sees them (RFC 7644 §3.12), the way a real endpoint's defect would."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

from werkzeug.wrappers import Request

from scimcheck.server.errors import ScimError

Guard = Callable[[Request, str], ScimError | None]
"""A request and the server's base path; the error to answer instead, or ``None``."""


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


def _no_service_provider_config(request: Request, base_path: str) -> ScimError | None:
    if _routes_to(request, base_path, "/ServiceProviderConfig"):
        return ScimError(404, f"no SCIM endpoint at {request.path}")
    return None



GUARDS: dict[str, Guard] = {
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
