"""SCIM protocol errors and their Error-message bodies (RFC 7644 §3.12)."""

from __future__ import annotations

from typing import Any

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"

# scimType values, RFC 7644 §3.12 table 9.
INVALID_FILTER = "invalidFilter"
TOO_MANY = "tooMany"
UNIQUENESS = "uniqueness"
MUTABILITY = "mutability"
INVALID_SYNTAX = "invalidSyntax"
INVALID_PATH = "invalidPath"
NO_TARGET = "noTarget"
INVALID_VALUE = "invalidValue"
INVALID_VERS = "invalidVers"
SENSITIVE = "sensitive"


class ScimError(Exception):
    """A request the server refuses; rendered as a SCIM Error response (RFC 7644 §3.12)."""

    def __init__(
        self,
        status: int,
        detail: str,
        scim_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.scim_type = scim_type
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        """The Error message: ``status`` is a string, ``scimType`` only when there is one."""
        body: dict[str, Any] = {"schemas": [ERROR_SCHEMA], "status": str(self.status)}
        if self.scim_type is not None:
            body["scimType"] = self.scim_type
        body["detail"] = self.detail
        return body


def bad_request(scim_type: str, detail: str) -> ScimError:
    """A 400 with the given scimType (RFC 7644 §3.12)."""
    return ScimError(400, detail, scim_type)


def not_found(detail: str) -> ScimError:
    """A 404: unknown resource id or endpoint (RFC 7644 §3.12, Entra S1)."""
    return ScimError(404, detail)
