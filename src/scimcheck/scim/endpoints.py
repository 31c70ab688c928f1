"""SCIM resource paths, in one place (RFC 7644 §3.2)."""

from __future__ import annotations

from urllib.parse import quote

USERS = "/Users"
GROUPS = "/Groups"
SERVICE_PROVIDER_CONFIG = "/ServiceProviderConfig"
SCHEMAS = "/Schemas"
RESOURCE_TYPES = "/ResourceTypes"

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_USER_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST_RESPONSE_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
ADSCIM_GROUP_SCHEMA = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"


def user(resource_id: str) -> str:
    """Path of one User (RFC 7644 §3.4.1)."""
    return f"{USERS}/{quote(resource_id, safe='')}"


def group(resource_id: str) -> str:
    """Path of one Group (RFC 7644 §3.4.1)."""
    return f"{GROUPS}/{quote(resource_id, safe='')}"
