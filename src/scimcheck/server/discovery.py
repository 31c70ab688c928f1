"""Service discovery: ``/ServiceProviderConfig``, ``/Schemas``, ``/ResourceTypes``.

RFC 7643 §5 (ServiceProviderConfig), §6 (ResourceType), §7 (Schema) and RFC 7644 §4. Entra asks
for ``/Schemas`` as a ListResponse (docs/entra.md §1.9, D29); Microsoft's gallery template
also reads ``/ResourceTypes`` and ``/ServiceProviderConfig`` (S11).
"""

from __future__ import annotations

from typing import Any

from scimcheck.server.schema import (
    ALL_SCHEMAS,
    COMMON_ATTRIBUTES,
    RESOURCE_TYPES,
    ResourceType,
    Schema,
)

SPC_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"
MAX_RESULTS = 200


def service_provider_config(base_url: str) -> dict[str, Any]:
    """What this server supports (RFC 7643 §5): PATCH and filter yes; bulk, sort, ETag no."""
    return {
        "schemas": [SPC_SCHEMA],
        "documentationUri": "https://www.rfc-editor.org/rfc/rfc7644",
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": False},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "OAuth Bearer Token",
                "description": "Authentication with a bearer token (Entra's Secret Token)",
                "specUri": "https://www.rfc-editor.org/rfc/rfc6750",
                "primary": True,
            }
        ],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": f"{base_url}/ServiceProviderConfig",
        },
    }


def schema_resource(schema: Schema, base_url: str) -> dict[str, Any]:
    """One Schema resource with its attribute characteristics (RFC 7643 §7)."""
    attributes = list(schema.attributes)
    if schema.id != "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":
        attributes = [a for a in COMMON_ATTRIBUTES if a.name == "externalId"] + attributes
    return {
        "schemas": [SCHEMA_SCHEMA],
        "id": schema.id,
        "name": schema.name,
        "description": schema.description,
        "attributes": [a.to_json() for a in attributes],
        "meta": {"resourceType": "Schema", "location": f"{base_url}/Schemas/{schema.id}"},
    }


def resource_type_resource(rtype: ResourceType, base_url: str) -> dict[str, Any]:
    """One ResourceType resource (RFC 7643 §6)."""
    resource: dict[str, Any] = {
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": rtype.name,
        "name": rtype.name,
        "endpoint": rtype.endpoint,
        "description": rtype.description,
        "schema": rtype.schema.id,
    }
    if rtype.extensions:
        resource["schemaExtensions"] = [
            {"schema": e.id, "required": False} for e in rtype.extensions
        ]
    resource["meta"] = {
        "resourceType": "ResourceType",
        "location": f"{base_url}/ResourceTypes/{rtype.name}",
    }
    return resource


def schemas(base_url: str) -> list[dict[str, Any]]:
    """Every Schema resource: User, EnterpriseUser, Group."""
    return [schema_resource(s, base_url) for s in ALL_SCHEMAS]


def find_schema(urn: str) -> Schema | None:
    """The schema with this URN (compared case-insensitively)."""
    return next((s for s in ALL_SCHEMAS if s.id.lower() == urn.lower()), None)


def resource_types(base_url: str) -> list[dict[str, Any]]:
    """Every ResourceType resource: User, Group."""
    return [resource_type_resource(t, base_url) for t in RESOURCE_TYPES]


def find_resource_type(name: str) -> ResourceType | None:
    """The resource type with this name (compared case-insensitively)."""
    return next((t for t in RESOURCE_TYPES if t.name.lower() == name.lower()), None)
