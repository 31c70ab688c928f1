"""The JSON Schemas in ``schemas/`` and ``scimcheck.scim.schemas``.

Every schema is a valid Draft 2020-12 schema; the RFC 7643 §8 / RFC 7644 examples and the
shapes Entra sends and expects (docs/entra.md §1, §2, §3) validate; each strictness rule has
a failing example with a specific message, and each leniency rule a passing one.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from scimcheck.checks import registry as checks
from scimcheck.core import bundled
from scimcheck.entra import dialects
from scimcheck.entra.dialects import Dialect
from scimcheck.report import results
from scimcheck.scim import schema_catalog, schemas

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ADSCIM_GROUP = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

SCHEMA_FILES = sorted(bundled.schemas_dir().rglob("*.schema.json"))


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def assert_valid(kind: str, instance: object) -> None:
    problems = schemas.validate(kind, instance)
    assert problems == [], "\n".join(str(p) for p in problems)


def only_problem(kind: str, instance: object) -> schemas.SchemaProblem:
    problems = schemas.validate(kind, instance)
    assert len(problems) == 1, "\n".join(str(p) for p in problems) or "no problem found"
    return problems[0]


# --- RFC examples (RFC 7643 §8, RFC 7644 §3.4.2, §3.12) ---------------------------------------

# RFC 7643 §8.3 (the §8.2 full user plus the enterprise extension). The RFC's example also shows
# "password": "t1meMa$heen"; that contradicts §4.1.1 (returned "never") for a response and is
# tested separately below.
RFC_ENTERPRISE_USER: dict[str, Any] = {
    "schemas": [USER, ENTERPRISE],
    "id": "2819c223-7f76-453a-919d-413861904646",
    "externalId": "701984",
    "userName": "bjensen@example.com",
    "name": {
        "formatted": "Ms. Barbara J Jensen, III",
        "familyName": "Jensen",
        "givenName": "Barbara",
        "middleName": "Jane",
        "honorificPrefix": "Ms.",
        "honorificSuffix": "III",
    },
    "displayName": "Babs Jensen",
    "nickName": "Babs",
    "profileUrl": "https://login.example.com/bjensen",
    "emails": [
        {"value": "bjensen@example.com", "type": "work", "primary": True},
        {"value": "babs@jensen.org", "type": "home"},
    ],
    "addresses": [
        {
            "streetAddress": "100 Universal City Plaza",
            "locality": "Hollywood",
            "region": "CA",
            "postalCode": "91608",
            "country": "USA",
            "formatted": "100 Universal City Plaza\nHollywood, CA 91608 USA",
            "type": "work",
            "primary": True,
        },
        {
            "streetAddress": "456 Hollywood Blvd",
            "locality": "Hollywood",
            "region": "CA",
            "postalCode": "91608",
            "country": "USA",
            "formatted": "456 Hollywood Blvd\nHollywood, CA 91608 USA",
            "type": "home",
        },
    ],
    "phoneNumbers": [
        {"value": "555-555-5555", "type": "work"},
        {"value": "555-555-4444", "type": "mobile"},
    ],
    "ims": [{"value": "someaimhandle", "type": "aim"}],
    "photos": [
        {"value": "https://photos.example.com/profilephoto/72930000000Ccne/F", "type": "photo"},
        {"value": "https://photos.example.com/profilephoto/72930000000Ccne/T", "type": "thumbnail"},
    ],
    "userType": "Employee",
    "title": "Tour Guide",
    "preferredLanguage": "en-US",
    "locale": "en-US",
    "timezone": "America/Los_Angeles",
    "active": True,
    "groups": [
        {
            "value": "e9e30dba-f08f-4109-8486-d5c6a331660a",
            "$ref": "https://example.com/v2/Groups/e9e30dba-f08f-4109-8486-d5c6a331660a",
            "display": "Tour Guides",
        },
        {
            "value": "fc348aa8-3835-40eb-a20b-c726e15c55b5",
            "$ref": "https://example.com/v2/Groups/fc348aa8-3835-40eb-a20b-c726e15c55b5",
            "display": "Employees",
        },
    ],
    "x509Certificates": [{"value": "MIIDQzCCAqygAwIBAgICEAAwDQYJKoZIhvcNAQEFBQAwTjELMAkGA1UEBhMC"}],
    ENTERPRISE: {
        "employeeNumber": "701984",
        "costCenter": "4130",
        "organization": "Universal Studios",
        "division": "Theme Park",
        "department": "Tour Operations",
        "manager": {
            "value": "26118915-6090-4610-87e4-49d8ca9f808d",
            "$ref": "../Users/26118915-6090-4610-87e4-49d8ca9f808d",
            "displayName": "John Smith",
        },
    },
    "meta": {
        "resourceType": "User",
        "created": "2010-01-23T04:56:22Z",
        "lastModified": "2011-05-13T04:42:34Z",
        "version": 'W/"3694e05e9dff591"',
        "location": "https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646",
    },
}

RFC_MINIMAL_USER: dict[str, Any] = {  # RFC 7643 §8.1
    "schemas": [USER],
    "id": "2819c223-7f76-453a-919d-413861904646",
    "userName": "Bjensen@example.com",
    "meta": {
        "resourceType": "User",
        "created": "2010-01-23T04:56:22Z",
        "lastModified": "2011-05-13T04:42:34Z",
        "version": 'W/"3694e05e9dff590"',
        "location": "https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646",
    },
}

RFC_GROUP: dict[str, Any] = {  # RFC 7643 §8.4
    "schemas": [GROUP],
    "id": "e9e30dba-f08f-4109-8486-d5c6a331660a",
    "displayName": "Tour Guides",
    "members": [
        {
            "value": "2819c223-7f76-453a-919d-413861904646",
            "$ref": "https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646",
            "display": "Babs Jensen",
        },
        {
            "value": "902c246b-6245-4190-8e05-00816be7344a",
            "$ref": "https://example.com/v2/Users/902c246b-6245-4190-8e05-00816be7344a",
            "display": "Mandy Pepperidge",
        },
    ],
    "meta": {
        "resourceType": "Group",
        "created": "2010-01-23T04:56:22Z",
        "lastModified": "2011-05-13T04:42:34Z",
        "version": 'W/"3694e05e9dff592"',
        "location": "https://example.com/v2/Groups/e9e30dba-f08f-4109-8486-d5c6a331660a",
    },
}

RFC_LIST_RESPONSE: dict[str, Any] = {  # RFC 7644 §3.4.2 (a query with attributes=userName)
    "schemas": [LIST],
    "totalResults": 2,
    "Resources": [
        {"id": "2819c223-7f76-453a-919d-413861904646", "userName": "bjensen"},
        {"id": "c75ad752-64ae-4823-840d-ffa80929976c", "userName": "jsmith"},
    ],
}

RFC_ERRORS: list[dict[str, Any]] = [  # RFC 7644 §3.12
    {
        "schemas": [ERROR],
        "detail": "Resource 2819c223-7f76-453a-919d-413861904646 not found",
        "status": "404",
    },
    {
        "schemas": [ERROR],
        "scimType": "mutability",
        "detail": "Attribute 'id' is readOnly",
        "status": "400",
    },
]

RFC_SERVICE_PROVIDER_CONFIG: dict[str, Any] = {  # RFC 7643 §8.5
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
    "documentationUri": "http://example.com/help/scim.html",
    "patch": {"supported": True},
    "bulk": {"supported": True, "maxOperations": 1000, "maxPayloadSize": 1048576},
    "filter": {"supported": True, "maxResults": 200},
    "changePassword": {"supported": True},
    "sort": {"supported": True},
    "etag": {"supported": True},
    "authenticationSchemes": [
        {
            "name": "OAuth Bearer Token",
            "description": "Authentication scheme using the OAuth Bearer Token Standard",
            "specUri": "http://www.rfc-editor.org/info/rfc6750",
            "documentationUri": "http://example.com/help/oauth.html",
            "type": "oauthbearertoken",
            "primary": True,
        },
        {
            "name": "HTTP Basic",
            "description": "Authentication scheme using the HTTP Basic Standard",
            "specUri": "http://www.rfc-editor.org/info/rfc2617",
            "documentationUri": "http://example.com/help/httpBasic.html",
            "type": "httpbasic",
        },
    ],
    "meta": {
        "location": "https://example.com/v2/ServiceProviderConfig",
        "resourceType": "ServiceProviderConfig",
        "created": "2010-01-23T04:56:22Z",
        "lastModified": "2011-05-13T04:42:34Z",
        "version": 'W/"3694e05e9dff594"',
    },
}

RFC_RESOURCE_TYPES: list[dict[str, Any]] = [  # RFC 7643 §8.6
    {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "description": "User Account",
        "schema": USER,
        "schemaExtensions": [{"schema": ENTERPRISE, "required": True}],
        "meta": {
            "location": "https://example.com/v2/ResourceTypes/User",
            "resourceType": "ResourceType",
        },
    },
    {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": "Group",
        "name": "Group",
        "endpoint": "/Groups",
        "description": "Group",
        "schema": GROUP,
        "meta": {
            "location": "https://example.com/v2/ResourceTypes/Group",
            "resourceType": "ResourceType",
        },
    },
]

RFC_SCHEMA_DEFINITION: dict[str, Any] = {  # RFC 7643 §8.7.1, the Group schema
    "id": GROUP,
    "name": "Group",
    "description": "Group",
    "attributes": [
        {
            "name": "displayName",
            "type": "string",
            "multiValued": False,
            "description": "A human-readable name for the Group. REQUIRED.",
            "required": False,
            "caseExact": False,
            "mutability": "readWrite",
            "returned": "default",
            "uniqueness": "none",
        },
        {
            "name": "members",
            "type": "complex",
            "multiValued": True,
            "description": "A list of members of the Group.",
            "required": False,
            "subAttributes": [
                {
                    "name": "value",
                    "type": "string",
                    "multiValued": False,
                    "description": "Identifier of the member of this Group.",
                    "required": False,
                    "caseExact": False,
                    "mutability": "immutable",
                    "returned": "default",
                    "uniqueness": "none",
                },
                {
                    "name": "$ref",
                    "type": "reference",
                    "referenceTypes": ["User", "Group"],
                    "multiValued": False,
                    "description": "The URI corresponding to a SCIM resource that is a member.",
                    "required": False,
                    "caseExact": False,
                    "mutability": "immutable",
                    "returned": "default",
                    "uniqueness": "none",
                },
                {
                    "name": "type",
                    "type": "string",
                    "multiValued": False,
                    "description": "A label indicating the type of resource.",
                    "required": False,
                    "caseExact": False,
                    "canonicalValues": ["User", "Group"],
                    "mutability": "immutable",
                    "returned": "default",
                    "uniqueness": "none",
                },
            ],
            "mutability": "readWrite",
            "returned": "default",
        },
    ],
    "meta": {
        "resourceType": "Schema",
        "location": "/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group",
    },
}


@pytest.mark.parametrize(
    ("kind", "instance"),
    [
        ("user", RFC_ENTERPRISE_USER),
        ("user", RFC_MINIMAL_USER),
        ("group", RFC_GROUP),
        ("list-response", RFC_LIST_RESPONSE),
        ("error", RFC_ERRORS[0]),
        ("error", RFC_ERRORS[1]),
        ("service-provider-config", RFC_SERVICE_PROVIDER_CONFIG),
        ("resource-type", RFC_RESOURCE_TYPES[0]),
        ("resource-type", RFC_RESOURCE_TYPES[1]),
        ("schema-definition", RFC_SCHEMA_DEFINITION),
    ],
    ids=[
        "user-8.3-enterprise",
        "user-8.1-minimal",
        "group-8.4",
        "list-response-3.4.2",
        "error-404",
        "error-mutability",
        "service-provider-config-8.5",
        "resource-type-user",
        "resource-type-group",
        "schema-group",
    ],
)
def test_rfc_examples_validate(kind: str, instance: dict[str, Any]) -> None:
    assert_valid(kind, instance)


def test_rfc_full_user_with_its_password_fails_only_on_the_password() -> None:
    """RFC 7643 §8.2 shows a password in a representation; §4.1.1 says it is never returned."""
    user = {**RFC_ENTERPRISE_USER, "password": "t1meMa$heen"}
    problem = only_problem("user", user)
    assert problem.path == "/password"
    assert "never returned" in problem.message
    assert "RFC 7643 §4.1.1" in problem.message


# --- What Entra sends and expects (docs/entra.md) ------------------------------------------

ENTRA_CREATE_USER_RESPONSE: dict[str, Any] = {  # §1.2: expected 201 body
    "schemas": [USER, ENTERPRISE],
    "id": "6764549bef60420686bc",
    "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
    "meta": {
        "resourceType": "User",
        "created": "2018-03-27T19:59:26.000Z",
        "lastModified": "2018-03-27T19:59:26.000Z",
    },
    "userName": "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee",
    "name": {
        "formatted": "givenName familyName",
        "familyName": "familyName",
        "givenName": "givenName",
    },
    "active": True,
    "emails": [
        {
            "value": "Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com",
            "type": "work",
            "primary": True,
        }
    ],
    "roles": [],
}

ENTRA_CREATE_GROUP_RESPONSE: dict[str, Any] = {  # §1.6: the Entra body echoed with an id
    "schemas": [GROUP, ADSCIM_GROUP],
    "id": "927fa2c08dcb4a7fae9e",
    "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
    "displayName": "displayName",
    "members": [],
    "meta": {"resourceType": "Group", "created": "2018-03-27T22:02:32Z"},
}

ENTRA_EMPTY_LIST: dict[str, Any] = {  # §1.1: Test Connection's expected answer
    "schemas": [LIST],
    "totalResults": 0,
    "Resources": [],
    "startIndex": 1,
    "itemsPerPage": 20,
}

ENTRA_PATCHES: dict[str, dict[str, Any]] = {
    # §1.3, default dialect: one capitalised Replace per path
    "update-legacy": {
        "schemas": [PATCH],
        "Operations": [
            {
                "op": "Replace",
                "path": 'emails[type eq "work"].value',
                "value": "updatedEmail@microsoft.com",
            },
            {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"},
            {"op": "Replace", "path": f"{ENTERPRISE}:employeeNumber", "value": "Aklq"},
        ],
    },
    # §3, aadOptscim062020: path-less replace whose value object uses dotted / URN keys
    "update-compliant-pathless": {
        "schemas": [PATCH],
        "Operations": [
            {
                "op": "replace",
                "path": 'emails[type eq "work"].value',
                "value": "TestMhvaes@test.microsoft.com",
            },
            {
                "op": "replace",
                "value": {
                    "displayName": "Bjfe",
                    "name.givenName": "Kkom",
                    "name.familyName": "Unua",
                    f"{ENTERPRISE}:employeeNumber": "Aklq",
                },
            },
        ],
    },
    "add-nickname-legacy": {
        "schemas": [PATCH],
        "Operations": [{"op": "Add", "path": "nickName", "value": "Babs"}],
    },
    # §1.4: disable as the string "False" (default) and as a boolean (flag)
    "disable-legacy": {
        "schemas": [PATCH],
        "Operations": [{"op": "Replace", "path": "active", "value": "False"}],
    },
    "disable-lowercase-string": {
        "schemas": [PATCH],
        "Operations": [{"op": "replace", "path": "active", "value": "false"}],
    },
    "disable-compliant": {
        "schemas": [PATCH],
        "Operations": [{"op": "replace", "path": "active", "value": False}],
    },
    # §1.3: manager, legacy array form and current bare-string form
    "manager-legacy": {
        "schemas": [PATCH],
        "Operations": [
            {
                "op": "Add",
                "path": "manager",
                "value": [{"$ref": "http://example.com/scim/Users/271", "value": "271"}],
            }
        ],
    },
    "manager-bare-string": {
        "schemas": [PATCH],
        "Operations": [{"op": "Add", "path": f"{ENTERPRISE}:manager", "value": "271"}],
    },
    # §1.2: roles as a JSON-encoded string inside value
    "roles-json-string": {
        "schemas": [PATCH],
        "Operations": [
            {
                "op": "Add",
                "path": "roles",
                "value": [{"value": '{"id":"06b0","value":"25","displayName":"Role1234"}'}],
            }
        ],
    },
    # §1.6: members, add with $ref null, remove with a value array, remove with a filter path
    "members-add": {
        "schemas": [PATCH],
        "Operations": [
            {
                "op": "Add",
                "path": "members",
                "value": [{"$ref": None, "value": "f648f8d5ea4e4cd38e9c"}],
            }
        ],
    },
    "members-remove-legacy": {
        "schemas": [PATCH],
        "Operations": [
            {
                "op": "Remove",
                "path": "members",
                "value": [{"$ref": None, "value": "f648f8d5ea4e4cd38e9c"}],
            }
        ],
    },
    "members-remove-legacy-no-ref": {
        "schemas": [PATCH],
        "Operations": [{"op": "Remove", "path": "members", "value": [{"value": "u1091"}]}],
    },
    "members-remove-compliant": {
        "schemas": [PATCH],
        "Operations": [
            {"op": "remove", "path": 'members[value eq "7f4bc1a3-285e-48ae-8202-5accb43efb0e"]'}
        ],
    },
    "group-rename": {
        "schemas": [PATCH],
        "Operations": [{"op": "Replace", "path": "displayName", "value": "updatedDisplayName"}],
    },
}


@pytest.mark.parametrize(
    ("kind", "instance"),
    [
        ("user", ENTRA_CREATE_USER_RESPONSE),
        ("group", ENTRA_CREATE_GROUP_RESPONSE),
        ("list-response", ENTRA_EMPTY_LIST),
    ],
    ids=["create-user-201", "create-group-201", "test-connection-empty-list"],
)
def test_entra_expected_responses_validate(kind: str, instance: dict[str, Any]) -> None:
    assert_valid(kind, instance)


@pytest.mark.parametrize("name", sorted(ENTRA_PATCHES))
def test_entra_patch_bodies_validate(name: str) -> None:
    assert_valid("patch-op", ENTRA_PATCHES[name])


@pytest.mark.parametrize("dialect", list(Dialect), ids=str)
def test_patch_bodies_built_by_the_dialects_module_validate(dialect: Dialect) -> None:
    changes = {
        "displayName": "A",
        "name.givenName": "B",
        'emails[type eq "work"].value': "a@example.com",
        f"{ENTERPRISE}:department": "D",
    }
    for operations in (
        dialects.update_operations(dialect, changes),
        dialects.active_operations(dialect, False),
        dialects.active_operations(dialect, True),
    ):
        assert_valid("patch-op", dialects.patch_body(operations))


# --- Strictness: each rule has a failing example with a specific message -----------------------


def user(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(RFC_MINIMAL_USER)
    body.update(changes)
    return body


def without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != key}


def error_body(**changes: Any) -> dict[str, Any]:
    return {"schemas": [ERROR], "status": "404", **changes}


def list_body(**changes: Any) -> dict[str, Any]:
    return {"schemas": [LIST], "totalResults": 0, "Resources": [], **changes}


def patch_body(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH], "Operations": list(operations)}


STRICT_CASES: list[tuple[str, str, object, str, list[str]]] = [
    # (id, kind, instance, expected path, substrings of the message)
    ("user-missing-id", "user", without(user(), "id"), "(root)", ["`id` is missing", "RFC 7643"]),
    ("user-empty-id", "user", user(id=""), "/id", ["empty string"]),
    ("user-bulkid", "user", user(id="bulkId"), "/id", ["bulkId", "RFC 7643 §3.1"]),
    (
        "user-missing-username",
        "user",
        without(user(), "userName"),
        "(root)",
        ["`userName` is missing"],
    ),
    ("user-empty-username", "user", user(userName=""), "/userName", ["empty string"]),
    (
        "user-missing-schemas",
        "user",
        without(user(), "schemas"),
        "(root)",
        ["`schemas` is missing"],
    ),
    (
        "user-schemas-without-core-urn",
        "user",
        user(schemas=[ENTERPRISE]),
        "/schemas",
        ["does not list", USER, "RFC 7643 §3"],
    ),
    ("user-schemas-a-string", "user", user(schemas=USER), "/schemas", ["(a string)", "an array"]),
    (
        "user-active-string-true",
        "user",
        user(active="True"),
        "/active",
        ['`active` is "True" (a string)', "RFC 7643 §4.1.1", "JSON boolean"],
    ),
    ("user-active-number", "user", user(active=1), "/active", ["1 (a number)", "JSON boolean"]),
    (
        "user-password-returned",
        "user",
        user(password="t1meMa$heen"),
        "/password",
        ["`password` is returned", "RFC 7643 §4.1.1", "never"],
    ),
    (
        "user-password-other-case",
        "user",
        user(Password="secret"),
        "/Password",
        ["`Password` is returned", "never"],
    ),
    (
        "user-manager-bare-string",
        "user",
        user(schemas=[USER, ENTERPRISE], **{ENTERPRISE: {"manager": "271"}}),
        f"/{ENTERPRISE}/manager",
        ['"271" (a string)', "RFC 7643 §4.3", "an object {value, $ref, displayName}"],
    ),
    (
        "user-enterprise-extension-a-string",
        "user",
        user(**{ENTERPRISE: "Sales"}),
        f"/{ENTERPRISE}",
        ["RFC 7643 §4.3", "an object"],
    ),
    ("user-name-a-string", "user", user(name="Babs Jensen"), "/name", ["an object"]),
    (
        "user-name-part-a-number",
        "user",
        user(name={"givenName": 5}),
        "/name/givenName",
        ["`name.givenName` is 5 (a number)", 'a string such as "5"'],
    ),
    (
        "user-email-primary-string",
        "user",
        user(emails=[{"value": "a@example.com", "primary": "true"}]),
        "/emails/0/primary",
        ["`emails[0].primary`", "JSON boolean"],
    ),
    (
        "user-email-value-number",
        "user",
        user(phoneNumbers=[{"value": 5555555555}]),
        "/phoneNumbers/0/value",
        ["a string"],
    ),
    ("user-emails-an-object", "user", user(emails={"value": "a@b"}), "/emails", ["an array"]),
    (
        "user-two-primary-emails",
        "user",
        user(emails=[{"value": "a@x", "primary": True}, {"value": "b@x", "primary": True}]),
        "/emails",
        ["more than one value with `primary` true", "RFC 7643 §2.4"],
    ),
    (
        "user-address-primary-string",
        "user",
        user(addresses=[{"formatted": "x", "primary": "True"}]),
        "/addresses/0/primary",
        ["JSON boolean"],
    ),
    ("user-groups-an-object", "user", user(groups={"value": "g"}), "/groups", ["an array"]),
    (
        "user-meta-created-not-a-date",
        "user",
        user(meta={"created": "yesterday"}),
        "/meta/created",
        ["`meta.created`", "RFC 7643 §3.1", "xsd:dateTime"],
    ),
    (
        "user-meta-version-a-number",
        "user",
        user(meta={"version": 3}),
        "/meta/version",
        ["3 (a number)", "a string"],
    ),
    ("user-meta-a-string", "user", user(meta="User"), "/meta", ["an object"]),
    ("user-not-an-object", "user", [RFC_MINIMAL_USER], "(root)", ["The body is an array"]),
    ("group-missing-id", "group", without(RFC_GROUP, "id"), "(root)", ["`id` is missing"]),
    (
        "group-missing-displayname",
        "group",
        without(RFC_GROUP, "displayName"),
        "(root)",
        ["`displayName` is missing", "RFC 7643 §4.2"],
    ),
    (
        "group-schemas-only-adscim",
        "group",
        {**RFC_GROUP, "schemas": [ADSCIM_GROUP]},
        "/schemas",
        ["does not list", GROUP],
    ),
    (
        "group-members-strings",
        "group",
        {**RFC_GROUP, "members": ["2819c223"]},
        "/members/0",
        ["an object"],
    ),
    (
        "group-member-without-value",
        "group",
        {**RFC_GROUP, "members": [{"display": "Babs"}]},
        "/members/0",
        ["`value` is missing from `members[0]`"],
    ),
    (
        "group-member-ref-a-number",
        "group",
        {**RFC_GROUP, "members": [{"value": "1", "$ref": 1}]},
        "/members/0/$ref",
        ["a string"],
    ),
    (
        "list-missing-totalresults",
        "list-response",
        {"schemas": [LIST], "Resources": []},
        "(root)",
        ["`totalResults` is missing", "RFC 7644 §3.4.2"],
    ),
    (
        "list-totalresults-a-string",
        "list-response",
        list_body(totalResults="0"),
        "/totalResults",
        ['"0" (a string)', "an integer such as 0"],
    ),
    (
        "list-totalresults-negative",
        "list-response",
        list_body(totalResults=-1),
        "/totalResults",
        ["≥ 0"],
    ),
    (
        "list-totalresults-2-without-resources",
        "list-response",
        {"schemas": [LIST], "totalResults": 2},
        "(root)",
        ["`Resources` is missing although `totalResults` is 2", "RFC 7644 §3.4.2"],
    ),
    (
        "list-totalresults-0-with-resources",
        "list-response",
        list_body(Resources=[RFC_MINIMAL_USER]),
        "/Resources",
        ["holds 1 item(s) although `totalResults` is 0"],
    ),
    (
        "list-resources-an-object",
        "list-response",
        list_body(totalResults=1, Resources={}),
        "/Resources",
        ["an array"],
    ),
    (
        "list-startindex-zero",
        "list-response",
        list_body(startIndex=0),
        "/startIndex",
        ["an integer ≥ 1"],
    ),
    (
        "list-itemsperpage-negative",
        "list-response",
        list_body(itemsPerPage=-5),
        "/itemsPerPage",
        ["≥ 0"],
    ),
    (
        "list-schemas-wrong-urn",
        "list-response",
        list_body(schemas=[USER]),
        "/schemas",
        ["does not list", LIST],
    ),
    (
        "list-bare-array",
        "list-response",
        [RFC_MINIMAL_USER],
        "(root)",
        ["The body is an array", "RFC 7644 §3.4.2", "an object"],
    ),
    (
        "error-integer-status",
        "error",
        error_body(status=404),
        "/status",
        ['`status` is 404 (a number); RFC 7644 §3.12 requires a string such as "404"'],
    ),
    (
        "error-missing-status",
        "error",
        {"schemas": [ERROR]},
        "(root)",
        ["`status` is missing", "RFC 7644 §3.12"],
    ),
    (
        "error-status-not-a-code",
        "error",
        error_body(status="Not Found"),
        "/status",
        ["3-digit HTTP status code"],
    ),
    ("error-status-too-short", "error", error_body(status="40"), "/status", ["3-digit"]),
    (
        "error-unknown-scimtype",
        "error",
        error_body(status="400", scimType="InvalidFilter"),
        "/scimType",
        ['"InvalidFilter"', "invalidFilter", "exact case"],
    ),
    (
        "error-detail-an-object",
        "error",
        error_body(detail={"message": "x"}),
        "/detail",
        ["a string"],
    ),
    (
        "error-problem-json-body",
        "error",
        {"type": "about:blank", "title": "Not Found", "status": "404"},
        "(root)",
        ["`schemas` is missing"],
    ),
    (
        "patch-bad-op",
        "patch-op",
        patch_body({"op": "Delete", "path": "active"}),
        "/Operations/0/op",
        ['"Delete"', "add, replace or remove (in any letter case)", "RFC 7644 §3.5.2"],
    ),
    (
        "patch-op-missing",
        "patch-op",
        patch_body({"path": "active", "value": False}),
        "/Operations/0",
        ["`op` is missing"],
    ),
    (
        "patch-remove-without-path",
        "patch-op",
        patch_body({"op": "Remove", "value": [{"value": "u1"}]}),
        "/Operations/0",
        ['"Remove" without a `path`', "RFC 7644 §3.5.2.2", "noTarget"],
    ),
    (
        "patch-remove-without-path-lowercase",
        "patch-op",
        patch_body({"op": "remove"}),
        "/Operations/0",
        ["without a `path`"],
    ),
    (
        "patch-pathless-replace-with-string",
        "patch-op",
        patch_body({"op": "Replace", "value": "False"}),
        "/Operations/0/value",
        ['"False" (a string)', "path-less", "an object"],
    ),
    (
        "patch-pathless-add-with-array",
        "patch-op",
        patch_body({"op": "add", "value": [{"value": "x"}]}),
        "/Operations/0/value",
        ["an array", "an object"],
    ),
    (
        "patch-add-without-value",
        "patch-op",
        patch_body({"op": "Add", "path": "nickName"}),
        "/Operations/0",
        ['"Add" without a `value`'],
    ),
    (
        "patch-empty-operations",
        "patch-op",
        patch_body(),
        "/Operations",
        ["empty array", "at least one"],
    ),
    (
        "patch-missing-operations",
        "patch-op",
        {"schemas": [PATCH]},
        "(root)",
        ["`Operations` is missing", "RFC 7644 §3.5.2"],
    ),
    (
        "patch-wrong-schema-urn",
        "patch-op",
        {"schemas": [USER], "Operations": [{"op": "remove", "path": "title"}]},
        "/schemas",
        ["does not list", PATCH],
    ),
    (
        "patch-path-a-number",
        "patch-op",
        patch_body({"op": "remove", "path": 3}),
        "/Operations/0/path",
        ["a string"],
    ),
    (
        "patch-path-empty",
        "patch-op",
        patch_body({"op": "remove", "path": ""}),
        "/Operations/0/path",
        ["empty string"],
    ),
    (
        "spc-patch-supported-string",
        "service-provider-config",
        {**RFC_SERVICE_PROVIDER_CONFIG, "patch": {"supported": "true"}},
        "/patch/supported",
        ["RFC 7643 §5", "JSON boolean"],
    ),
    (
        "spc-missing-bulk-limits",
        "service-provider-config",
        {**RFC_SERVICE_PROVIDER_CONFIG, "bulk": {"supported": False, "maxPayloadSize": 0}},
        "/bulk",
        ["`maxOperations` is missing from `bulk`"],
    ),
    (
        "spc-missing-etag",
        "service-provider-config",
        without(RFC_SERVICE_PROVIDER_CONFIG, "etag"),
        "(root)",
        ["`etag` is missing"],
    ),
    (
        "resource-type-missing-endpoint",
        "resource-type",
        without(RFC_RESOURCE_TYPES[0], "endpoint"),
        "(root)",
        ["`endpoint` is missing", "RFC 7643 §6"],
    ),
    (
        "resource-type-extension-required-string",
        "resource-type",
        {
            **RFC_RESOURCE_TYPES[0],
            "schemaExtensions": [{"schema": ENTERPRISE, "required": "false"}],
        },
        "/schemaExtensions/0/required",
        ["JSON boolean"],
    ),
    (
        "schema-missing-attributes",
        "schema-definition",
        without(RFC_SCHEMA_DEFINITION, "attributes"),
        "(root)",
        ["`attributes` is missing", "RFC 7643 §7"],
    ),
    (
        "schema-mutability-wrong-case",
        "schema-definition",
        {
            **RFC_SCHEMA_DEFINITION,
            "attributes": [{"name": "a", "type": "string", "mutability": "ReadWrite"}],
        },
        "/attributes/0/mutability",
        ['"ReadWrite"', "camelCase"],
    ),
    (
        "schema-nested-subattribute-type",
        "schema-definition",
        {
            **RFC_SCHEMA_DEFINITION,
            "attributes": [
                {"name": "a", "type": "complex", "subAttributes": [{"name": "b", "type": "text"}]}
            ],
        },
        "/attributes/0/subAttributes/0/type",
        ['"text"', "dateTime"],
    ),
]


@pytest.mark.parametrize(
    ("kind", "instance", "path", "fragments"),
    [case[1:] for case in STRICT_CASES],
    ids=[case[0] for case in STRICT_CASES],
)
def test_strictness_rule_fails_with_a_specific_message(
    kind: str, instance: object, path: str, fragments: list[str]
) -> None:
    problem = only_problem(kind, instance)
    assert problem.path == path
    for fragment in fragments:
        assert fragment in problem.message, problem.message


def test_a_strict_case_covers_every_kind_but_profile_results_and_sequence() -> None:
    """Profiles and results have their own cases below; sequences in test_sequence_files.py,
    failure records in test_replay_records.py."""
    covered = {case[1] for case in STRICT_CASES}
    assert covered == set(schemas.KINDS) - {"profile", "results", "sequence", "failure-record"}


# --- Leniency: what the RFC allows passes --------------------------------------------------------

LENIENT_CASES: list[tuple[str, str, object]] = [
    ("user-extra-top-level-keys", "user", user(favouriteColour="blue", loginCount=3)),
    (
        "user-custom-extension",
        "user",
        user(
            schemas=[USER, "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User"],
            **{
                "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User": {
                    "CustomAttribute": 42,
                    "nested": {"deep": [1, 2]},
                }
            },
        ),
    ),
    (
        "user-extension-object-without-its-urn-in-schemas",
        "user",
        user(**{ENTERPRISE: {"department": "Sales"}}),
    ),
    ("user-extra-schema-urns", "user", user(schemas=[USER, ENTERPRISE, "urn:example:anything"])),
    ("user-schemas-in-any-order", "user", user(schemas=["urn:example:first", USER])),
    (
        "user-nulls-for-optional-attributes",
        "user",
        user(
            displayName=None,
            active=None,
            name=None,
            emails=None,
            addresses=None,
            externalId=None,
            password=None,
            meta=None,
            **{ENTERPRISE: {"manager": None, "department": None}},
        ),
    ),
    (
        "user-null-sub-attributes",
        "user",
        user(name={"givenName": None}, emails=[{"value": None, "primary": None}]),
    ),
    (
        "user-empty-arrays",
        "user",
        user(emails=[], phoneNumbers=[], addresses=[], groups=[], roles=[]),
    ),
    (
        "user-extra-sub-attributes",
        "user",
        user(emails=[{"value": "a@x", "primary": True, "verified": True, "extra": {"a": 1}}]),
    ),
    ("user-active-false", "user", user(active=False)),
    (
        "user-one-primary-among-many",
        "user",
        user(emails=[{"value": "a@x", "primary": True}, {"value": "b@x", "primary": False}]),
    ),
    (
        "user-manager-with-only-value",
        "user",
        user(schemas=[USER, ENTERPRISE], **{ENTERPRISE: {"manager": {"value": "271"}}}),
    ),
    ("user-datetime-without-zone", "user", user(meta={"created": "2010-01-23T04:56:22"})),
    (
        "user-datetime-with-fraction-and-offset",
        "user",
        user(meta={"lastModified": "2010-01-23T04:56:22.123+02:00"}),
    ),
    ("group-no-members", "group", without(RFC_GROUP, "members")),
    ("group-empty-members", "group", {**RFC_GROUP, "members": []}),
    ("group-null-members", "group", {**RFC_GROUP, "members": None}),
    ("group-member-ref-null", "group", {**RFC_GROUP, "members": [{"value": "u1", "$ref": None}]}),
    ("group-member-type", "group", {**RFC_GROUP, "members": [{"value": "u1", "type": "User"}]}),
    (
        "group-extra-attributes",
        "group",
        {**RFC_GROUP, "description": "x", "owners": [{"value": "o"}]},
    ),
    ("group-adscim-urn-too", "group", {**RFC_GROUP, "schemas": [GROUP, ADSCIM_GROUP]}),
    ("list-empty-resources-with-zero", "list-response", list_body()),
    ("list-resources-absent-with-zero", "list-response", {"schemas": [LIST], "totalResults": 0}),
    (
        "list-paged",
        "list-response",
        list_body(totalResults=12, Resources=[{}, {}, {}, {}, {}], startIndex=6, itemsPerPage=5),
    ),
    ("list-extra-keys", "list-response", list_body(nextCursor="abc")),
    ("list-items-not-checked-here", "list-response", list_body(totalResults=1, Resources=[1, "x"])),
    ("error-status-only", "error", {"schemas": [ERROR], "status": "404"}),
    ("error-null-scimtype-and-detail", "error", error_body(scimType=None, detail=None)),
    ("error-uniqueness", "error", error_body(status="409", scimType="uniqueness", detail="taken")),
    ("error-extra-keys", "error", error_body(traceId="abc")),
    ("patch-remove-with-value-array", "patch-op", ENTRA_PATCHES["members-remove-legacy"]),
    (
        "patch-mixed-case-op",
        "patch-op",
        patch_body({"op": "rEpLaCe", "path": "title", "value": "x"}),
    ),
    ("patch-null-value", "patch-op", patch_body({"op": "replace", "path": "title", "value": None})),
    (
        "patch-empty-string-value",
        "patch-op",
        patch_body({"op": "Replace", "path": f"{ENTERPRISE}:manager", "value": ""}),
    ),
    (
        "patch-many-operations",
        "patch-op",
        patch_body(
            {"op": "Add", "path": "members", "value": [{"value": "a"}, {"value": "b"}]},
            {"op": "Remove", "path": 'members[value eq "c"]'},
            {"op": "Replace", "path": "displayName", "value": "G"},
        ),
    ),
]


@pytest.mark.parametrize(
    ("kind", "instance"),
    [case[1:] for case in LENIENT_CASES],
    ids=[case[0] for case in LENIENT_CASES],
)
def test_leniency_rule_passes(kind: str, instance: object) -> None:
    assert_valid(kind, instance)


# --- Profiles -----------------------------------------------------------------------------------

PROFILE: dict[str, Any] = {
    "name": "entra-app",
    "description": "users matched on userName; groups on displayName",
    "users": {
        "matching": "userName",
        "attributes": [
            "userName",
            "active",
            "displayName",
            "title",
            "name.givenName",
            "name.familyName",
            'emails[type eq "work"].value',
            'phoneNumbers[type eq "mobile"].value',
            'addresses[type eq "work"].formatted',
            f"{ENTERPRISE}:department",
            f"{ENTERPRISE}:manager",
            "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User:costCode",
        ],
    },
    "groups": {"matching": "displayName", "attributes": ["displayName", "members"]},
}


def profile(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(PROFILE)
    body.update(changes)
    return body


def test_profile_with_every_attribute_path_form_validates() -> None:
    assert_valid("profile", PROFILE)


def test_users_only_profile_validates() -> None:
    assert_valid("profile", without(PROFILE, "groups"))
    assert_valid("profile", profile(groups=None))


def test_profile_matching_on_external_id_validates() -> None:
    assert_valid(
        "profile",
        profile(users={"matching": "externalId", "attributes": ["userName", "externalId"]}),
    )


@pytest.mark.parametrize(
    "path", sorted((bundled.fixtures_dir() / "profiles").glob("*.yaml")), ids=lambda p: p.stem
)
def test_bundled_profiles_validate(path: Path) -> None:
    assert_valid("profile", yaml.safe_load(path.read_text(encoding="utf-8")))


PROFILE_CASES: list[tuple[str, object, str, list[str]]] = [
    (
        "unknown-top-level-key",
        profile(colour="blue"),
        "/colour",
        ["`colour` is not a known key", "`name`, `description`, `users` and `groups`"],
    ),
    (
        "unknown-key-in-users",
        profile(users={**PROFILE["users"], "match": "x"}),
        "/users/match",
        ["in `users`"],
    ),
    ("missing-users", without(PROFILE, "users"), "(root)", ["`users` is missing"]),
    ("missing-name", without(PROFILE, "name"), "(root)", ["`name` is missing"]),
    ("name-not-a-slug", profile(name="Entra App"), "/name", ["lower-case slug"]),
    (
        "missing-matching",
        profile(users={"attributes": ["userName"]}),
        "/users",
        ["`matching` is missing from `users`"],
    ),
    (
        "empty-attributes",
        profile(users={"matching": "userName", "attributes": []}),
        "/users/attributes",
        ["empty array"],
    ),
    (
        "bad-attribute-path",
        profile(users={"matching": "userName", "attributes": ["userName", "emails[type = work]"]}),
        "/users/attributes/1",
        ['"emails[type = work]"', "SCIM attribute path"],
    ),
    (
        "duplicate-attribute",
        profile(users={"matching": "userName", "attributes": ["userName", "active", "active"]}),
        "/users/attributes",
        ['"active" more than once'],
    ),
    (
        "matching-not-in-attributes",
        profile(users={"matching": "externalId", "attributes": ["userName", "active"]}),
        "/users/attributes",
        ["does not list the matching attribute `externalId`"],
    ),
    (
        "group-matching-not-in-attributes",
        profile(groups={"matching": "displayName", "attributes": ["members"]}),
        "/groups/attributes",
        ["`groups.attributes` does not list the matching attribute `displayName`"],
    ),
    ("groups-a-list", profile(groups=["displayName"]), "/groups", ["an object"]),
    ("not-a-mapping", ["name", "users"], "(root)", ["The profile is an array"]),
]


@pytest.mark.parametrize(
    ("instance", "path", "fragments"),
    [case[1:] for case in PROFILE_CASES],
    ids=[case[0] for case in PROFILE_CASES],
)
def test_profile_rule_fails_with_a_specific_message(
    instance: object, path: str, fragments: list[str]
) -> None:
    problem = only_problem("profile", instance)
    assert problem.path == path
    assert problem.schema_file == "schemas/profile.schema.json"
    for fragment in fragments:
        assert fragment in problem.message, problem.message


def test_matching_attribute_compares_case_insensitively() -> None:
    assert_valid("profile", profile(users={"matching": "username", "attributes": ["userName"]}))


# --- results.json -------------------------------------------------------------------------------


def results_document(**changes: Any) -> dict[str, Any]:
    """A results.json as scimcheck writes it, with every registered check (results.aggregate)."""
    evaluations = [
        {"id": check.id, "passed": True, "message": "", "test": "suites/test_x.py::test_y[legacy]"}
        for check in checks.all_checks()[:2]
    ]
    document: dict[str, Any] = {
        "tool": "scimcheck",
        "version": "0.1.0",
        "target": "http://127.0.0.1:8080/scim/v2",
        "embedded": True,
        "profile": "entra-app",
        "dialects": ["legacy", "compliant"],
        "strict": False,
        "seed": 1234,
        "run_id": "a1b2c3",
        "started": "2026-11-26T08:00:00+00:00",
        "duration_s": 1.23,
        "verdict": "pass",
        "summary": {"passed": 2, "failed": 0, "skipped": 0, "errors": 0},
        "tests": {"passed": 3, "failed": 0, "skipped": 1, "errors": 0},
        "checks": results.aggregate(evaluations, strict=False),
    }
    document.update(changes)
    return document


def failed_check(**changes: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": "user.create.status-201",
        "title": "Creating a user answers 201 Created with the new resource",
        "level": "rfc-must",
        "capability": "Create user",
        "source": "RFC 7644 §3.3",
        "url": None,
        "outcome": "failed",
        "fails_run": True,
        "message": "POST /Users answered 200",
        "evaluations": 2,
        "failures": [{"test": "suites/test_x.py::test_y[legacy]", "message": "answered 200"}],
    }
    entry.update(changes)
    return entry


def test_results_document_as_results_module_builds_it_validates() -> None:
    assert_valid("results", results_document())


def test_results_keep_every_failure_of_a_check() -> None:
    """Each failed evaluation is listed, not the first ten (issue 14 §3): a vendor sees every
    request that failed a check; the document stays valid."""
    check_id = checks.all_checks()[0].id
    evaluations = [
        {"id": check_id, "passed": False, "message": f"failure {n}", "test": f"t::{n}"}
        for n in range(25)
    ]
    entry = next(e for e in results.aggregate(evaluations, strict=False) if e["id"] == check_id)
    assert [f["message"] for f in entry["failures"]] == [f"failure {n}" for n in range(25)]
    assert entry["evaluations"] == 25
    assert_valid("results", results_document(checks=[entry], verdict="fail"))


def test_results_minimal_document_from_the_brief_validates() -> None:
    document = without(without(results_document(checks=[failed_check()]), "seed"), "run_id")
    assert_valid("results", {**document, "verdict": "fail"})


def test_results_enums_match_the_check_registry_and_dialects() -> None:
    check = schemas.schema("results")["$defs"]["check"]["properties"]
    assert check["level"]["enum"] == [level.value for level in checks.Level]
    assert sorted(check["capability"]["enum"]) == sorted(c.value for c in checks.Capability)
    dialect_enum = schemas.schema("results")["properties"]["dialects"]["items"]["enum"]
    assert dialect_enum == [d.value for d in Dialect]


RESULTS_CASES: list[tuple[str, object, str, list[str]]] = [
    (
        "target-with-userinfo",
        results_document(target="https://admin:s3cret@scim.example.com/scim/v2"),
        "/target",
        ["without userinfo"],
    ),
    (
        "target-with-query",
        results_document(target="https://x.example/scim?token=abc"),
        "/target",
        ["query"],
    ),
    (
        "bad-verdict",
        results_document(verdict="passed"),
        "/verdict",
        ['"passed"', '"pass" or "fail"'],
    ),
    ("started-not-rfc3339", results_document(started="26/11/2026 08:00"), "/started", ["RFC 3339"]),
    (
        "started-impossible-date",
        results_document(started="2026-02-30T08:00:00+00:00"),
        "/started",
        ["RFC 3339"],
    ),
    ("negative-duration", results_document(duration_s=-1), "/duration_s", ["≥ 0"]),
    ("unknown-key", results_document(colour="blue"), "/colour", ["not a known key"]),
    ("missing-summary", without(results_document(), "summary"), "(root)", ["`summary` is missing"]),
    (
        "summary-missing-errors",
        results_document(summary={"passed": 1, "failed": 0, "skipped": 0}),
        "/summary",
        ["`errors` is missing from `summary`"],
    ),
    ("unknown-dialect", results_document(dialects=["legacy", "both"]), "/dialects/1", ['"both"']),
    (
        "bad-level",
        results_document(verdict="fail", checks=[failed_check(level="critical")]),
        "/checks/0/level",
        ['"critical"', "entra-blocking"],
    ),
    (
        "bad-capability",
        results_document(verdict="fail", checks=[failed_check(capability="Provisioning")]),
        "/checks/0/capability",
        ['"Provisioning"'],
    ),
    (
        "bad-outcome",
        results_document(checks=[failed_check(outcome="xfail", fails_run=False)]),
        "/checks/0/outcome",
        ['"xfail"'],
    ),
    (
        "failing-check-but-pass-verdict",
        results_document(checks=[failed_check()]),
        "/verdict",
        ['`verdict` is "pass" although a check has `fails_run` true'],
    ),
    (
        "fails-run-on-a-passed-check",
        results_document(verdict="fail", checks=[failed_check(outcome="passed")]),
        "/checks/0/outcome",
        ["although `fails_run` is true"],
    ),
    (
        "failure-without-test",
        results_document(verdict="fail", checks=[failed_check(failures=[{"message": "x"}])]),
        "/checks/0/failures/0",
        ["`test` is missing"],
    ),
    (
        "url-not-http",
        results_document(verdict="fail", checks=[failed_check(url="rfc7644")]),
        "/checks/0/url",
        ['"rfc7644"'],
    ),
]


@pytest.mark.parametrize(
    ("instance", "path", "fragments"),
    [case[1:] for case in RESULTS_CASES],
    ids=[case[0] for case in RESULTS_CASES],
)
def test_results_rule_fails_with_a_specific_message(
    instance: object, path: str, fragments: list[str]
) -> None:
    problem = only_problem("results", instance)
    assert problem.path == path
    assert problem.schema_file == "schemas/results.schema.json"
    for fragment in fragments:
        assert fragment in problem.message, problem.message


# --- The schemas themselves ---------------------------------------------------------------------


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.name)
def test_schema_is_a_valid_draft_2020_12_schema_with_a_stable_id(path: Path) -> None:
    schema = load(path)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    relative = path.relative_to(bundled.schemas_dir()).as_posix()
    assert schema["$id"] == f"https://scimcheck.dev/schemas/{relative}"
    assert schema["title"]
    assert schema["description"]


def _subschemas(node: object, where: str = "") -> Iterator[tuple[str, object]]:
    yield where, node
    if isinstance(node, dict):
        for key, value in node.items():
            if key in {"const", "enum", "x-messages"}:
                continue
            yield from _subschemas(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _subschemas(value, f"{where}/{index}")


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.name)
def test_every_property_has_a_description(path: Path) -> None:
    missing = []
    for where, node in _subschemas(load(path)):
        # conditions (if/then, not/contains) only narrow properties described elsewhere
        conditional = any(f"/{k}/" in f"{where}/" for k in ("if", "then", "not", "contains"))
        if where.endswith("/properties") and isinstance(node, dict) and not conditional:
            missing += [
                f"{where}/{name}"
                for name, subschema in node.items()
                if isinstance(subschema, dict) and "description" not in subschema
            ]
    assert missing == []


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.name)
def test_every_ref_resolves_offline_by_id(path: Path) -> None:
    catalog = schema_catalog.catalog()
    schema = load(path)
    resolver = catalog.registry.resolver(base_uri=schema["$id"])
    refs = [
        node["$ref"]
        for _, node in _subschemas(schema)
        if isinstance(node, dict) and isinstance(node.get("$ref"), str)
    ]
    for ref in refs:
        assert ref.startswith(("#", "https://scimcheck.dev/schemas/")), ref
        resolver.lookup(ref)  # raises if it does not resolve


def test_every_kind_has_a_schema_file_and_every_file_is_used() -> None:
    files = {p.relative_to(bundled.schemas_dir()).as_posix() for p in SCHEMA_FILES}
    used = {schemas.schema_file(kind).removeprefix("schemas/") for kind in schemas.KINDS}
    assert used <= files
    assert files - used == {"scim/common.schema.json"}  # $defs only, $ref'd by the others


def test_schemas_readme_describes_every_schema_file() -> None:
    readme = (bundled.schemas_dir() / "README.md").read_text(encoding="utf-8")
    for path in SCHEMA_FILES:
        assert path.relative_to(bundled.schemas_dir()).as_posix() in readme, path.name


# --- The module's API ---------------------------------------------------------------------------


def test_unknown_kind_suggests_the_closest() -> None:
    with pytest.raises(ValueError, match=r"unknown schema kind 'users': did you mean 'user'\?"):
        schemas.validate("users", {})
    with pytest.raises(ValueError, match="did you mean 'list-response'"):
        schemas.validate("listresponse", {})
    with pytest.raises(ValueError, match="the kinds are user, group"):
        schemas.validate("zzz", {})


def test_schema_problem_is_a_frozen_dataclass() -> None:
    problem = schemas.SchemaProblem(path="/a", message="m", schema_file="schemas/x.schema.json")
    with pytest.raises(dataclasses.FrozenInstanceError):
        problem.path = "/b"  # type: ignore[misc]
    assert str(problem) == "/a: m"


def test_schemas_load_once() -> None:
    assert schema_catalog.catalog() is schema_catalog.catalog()


def test_problem_names_the_file_holding_the_rule() -> None:
    problem = only_problem("user", user(meta={"created": "soon"}))
    assert problem.schema_file == "schemas/scim/common.schema.json"
    problem = only_problem("user", user(active="True"))
    assert problem.schema_file == "schemas/scim/common.schema.json"
    problem = only_problem("user", without(user(), "id"))
    assert problem.schema_file == "schemas/scim/user.schema.json"


def test_validate_list_checks_the_envelope_and_each_item_with_full_paths() -> None:
    body = {
        "schemas": [LIST],
        "totalResults": 2,
        "Resources": [RFC_MINIMAL_USER, user(active="True", id="")],
    }
    problems = schemas.validate_list(body, "user")
    assert [p.path for p in problems] == ["/Resources/1/active", "/Resources/1/id"]
    assert problems[0].message.startswith('`Resources[1].active` is "True" (a string)')
    assert schemas.validate_list(ENTRA_EMPTY_LIST, "group") == []
    envelope = schemas.validate_list({"schemas": [LIST], "totalResults": 1}, "user")
    assert [p.path for p in envelope] == ["(root)"]
    with pytest.raises(ValueError, match="did you mean 'group'"):
        schemas.validate_list(body, "groups")


def test_several_problems_come_back_shallowest_first_and_without_duplicates() -> None:
    body = {
        "schemas": [ENTERPRISE],
        "userName": "",
        "active": "False",
        "emails": [{"primary": "yes"}],
    }
    problems = schemas.validate("user", body)
    assert [p.path for p in problems] == [
        "(root)",
        "/active",
        "/schemas",
        "/userName",
        "/emails/0/primary",
    ]
    assert len({(p.path, p.message) for p in problems}) == len(problems)


@pytest.mark.parametrize(
    ("kind", "instance", "path", "fragments"),
    [case[1:] for case in STRICT_CASES],
    ids=[case[0] for case in STRICT_CASES],
)
def test_messages_are_one_short_sentence(
    kind: str, instance: object, path: str, fragments: list[str]
) -> None:
    for problem in schemas.validate(kind, instance):
        assert "\n" not in problem.message
        assert len(problem.message) <= 240, problem.message
        assert "is not valid under any of the given schemas" not in problem.message


def test_json_pointer_escapes_slash_and_tilde() -> None:
    problem = only_problem("user", user(**{"urn:x/y~z": {"a": 1}}, active="x"))
    assert problem.path == "/active"
    problem = only_problem("profile", profile(**{"a/b~c": 1}))
    assert problem.path == "/a~1b~0c"


def test_schema_returns_a_copy() -> None:
    first = schemas.schema("user")
    first["required"].append("nonsense")
    assert "nonsense" not in schemas.schema("user")["required"]


def _mutations(document: object) -> Iterator[object]:
    """``document`` with one thing wrong at a time: each key removed, each value replaced by
    a value of every JSON type, each list emptied."""
    replacements: list[object] = [None, 7, -1, "x", "", True, [], {}, [1], {"x": 1}]
    if isinstance(document, dict):
        for key, value in document.items():
            without = dict(document)
            del without[key]
            yield without
            for other in [*replacements, *_mutations(value)]:
                yield {**document, key: other}
    elif isinstance(document, list):
        yield []
        for index, value in enumerate(document):
            for other in [*replacements, *_mutations(value)]:
                yield [*document[:index], other, *document[index + 1:]]


VALID_DOCUMENTS: list[tuple[str, object]] = [
    ("user", RFC_ENTERPRISE_USER), ("user", RFC_MINIMAL_USER), ("user", ENTRA_CREATE_USER_RESPONSE),
    ("group", RFC_GROUP), ("group", ENTRA_CREATE_GROUP_RESPONSE),
    ("list-response", RFC_LIST_RESPONSE), ("list-response", ENTRA_EMPTY_LIST),
    *[("error", error) for error in RFC_ERRORS],
    ("service-provider-config", RFC_SERVICE_PROVIDER_CONFIG),
    *[("resource-type", resource_type) for resource_type in RFC_RESOURCE_TYPES],
    *[("patch-op", body) for body in ENTRA_PATCHES.values()],
    ("profile", PROFILE),
]


@pytest.mark.parametrize(("kind", "document"), VALID_DOCUMENTS)
def test_the_inlined_schema_judges_as_the_original_does(kind: str, document: object) -> None:
    """schemas.py answers valid/invalid from a copy of each schema with its $refs inlined (no
    lookups) and explains rejections with the original: the two agree on the document and on
    every one-change mutation of it, so the fast answer never hides a problem."""
    catalog = schema_catalog.catalog()
    quick, full = catalog.quick[kind], catalog.validators[kind]
    seen = 0
    for mutation in [document, *_mutations(document)]:
        assert quick.is_valid(mutation) == full.is_valid(mutation), (kind, mutation)
        seen += 1
    assert seen > 20


def test_a_schema_that_refers_to_itself_is_judged_by_the_original() -> None:
    """RFC 7643 §7's attribute definitions nest subAttributes: that schema cannot be inlined."""
    catalog = schema_catalog.catalog()
    assert "schema-definition" not in catalog.quick
    assert schemas.validate("schema-definition", RFC_SCHEMA_DEFINITION) == []
