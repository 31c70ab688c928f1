"""SCIM HTTP responses: JSON bodies as ``application/scim+json`` (RFC 7644 §3.1, §8.1)."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Response

from scimcheck.server.errors import ScimError

SCIM_CONTENT_TYPE = "application/scim+json; charset=utf-8"
JSON_CONTENT_TYPE = "application/json; charset=utf-8"
LIST_RESPONSE_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


def scim_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A JSON body as ``application/scim+json; charset=utf-8`` (Entra S1: every response)."""
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    response = Response(data, status=status, content_type=SCIM_CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def no_content() -> Response:
    """204 with no body and no Content-Type (RFC 7644 §3.6 delete)."""
    response = Response(status=204)
    response.headers.remove("Content-Type")
    return response


def error_response(error: ScimError) -> Response:
    """A SCIM Error message (RFC 7644 §3.12) with the error's status and headers."""
    return scim_response(error.body(), error.status, error.headers)


def list_response(
    resources: list[dict[str, Any]], total: int, start_index: int
) -> dict[str, Any]:
    """A ListResponse (RFC 7644 §3.4.2); ``Resources`` is always present, ``[]`` when empty."""
    return {
        "schemas": [LIST_RESPONSE_SCHEMA],
        "totalResults": total,
        "itemsPerPage": len(resources),
        "startIndex": start_index,
        "Resources": resources,
    }
