"""Schema definitions for User, EnterpriseUser and Group, and attribute-path resolution.

Definitions follow RFC 7643 §4.1 (User), §4.2 (Group), §4.3 (enterprise extension) and the
schema representation of §8.7.1; common attributes ``id``/``externalId``/``meta`` follow §3.1.
Attribute names compare case-insensitively (RFC 7643 §2.1). Paths use the attribute notation of
RFC 7644 §3.10: ``[URN ":"] attrName ["." subAttr]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_USER_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

# Regex body shared by the filter grammar: optional URN prefix, attribute name, optional sub-attr.
_NAME = r"\$?[A-Za-z][A-Za-z0-9_\-]*"
ATTR_PATH_REGEX = rf"(?:urn:[A-Za-z0-9.:_\-]*:)?{_NAME}(?:\.{_NAME})?"
_ATTR_PATH = re.compile(rf"(?:(urn:[A-Za-z0-9.:_\-]*):)?({_NAME})(?:\.({_NAME}))?", re.I)


def fold(text: str) -> str:
    """Case-insensitive comparison key, used for names and caseExact=false values."""
    return text.casefold()


@dataclass(frozen=True)
class Attribute:
    """One attribute definition with its characteristics (RFC 7643 §2.2, §7)."""

    name: str
    type: str = "string"
    multi_valued: bool = False
    required: bool = False
    case_exact: bool = False
    mutability: str = "readWrite"
    returned: str = "default"
    uniqueness: str = "none"
    description: str = ""
    sub_attributes: tuple[Attribute, ...] = ()
    canonical_values: tuple[str, ...] = ()
    reference_types: tuple[str, ...] = ()

    def sub(self, name: str) -> Attribute | None:
        """The sub-attribute called ``name`` (any case), if defined."""
        return _find(self.sub_attributes, name)

    @property
    def is_complex(self) -> bool:
        """Whether values are objects with sub-attributes."""
        return self.type == "complex"

    def to_json(self) -> dict[str, Any]:
        """The attribute as RFC 7643 §7 represents it in a Schema resource."""
        data: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "multiValued": self.multi_valued,
            "description": self.description or self.name,
            "required": self.required,
        }
        if self.type in ("string", "reference", "binary"):
            data["caseExact"] = self.case_exact
        if self.canonical_values:
            data["canonicalValues"] = list(self.canonical_values)
        if self.reference_types:
            data["referenceTypes"] = list(self.reference_types)
        data["mutability"] = self.mutability
        data["returned"] = self.returned
        data["uniqueness"] = self.uniqueness
        if self.sub_attributes:
            data["subAttributes"] = [sub.to_json() for sub in self.sub_attributes]
        return data


def _find(attributes: tuple[Attribute, ...], name: str) -> Attribute | None:
    key = fold(name)
    for attribute in attributes:
        if fold(attribute.name) == key:
            return attribute
    return None


@dataclass(frozen=True)
class Schema:
    """A schema resource: id (URN), name and attribute definitions (RFC 7643 §7)."""

    id: str
    name: str
    description: str
    attributes: tuple[Attribute, ...]

    def attribute(self, name: str) -> Attribute | None:
        """The top-level attribute called ``name`` (any case), if defined."""
        return _find(self.attributes, name)


def _s(name: str, **kw: Any) -> Attribute:
    return Attribute(name, **kw)


def _multi(name: str, description: str, *subs: Attribute, **kw: Any) -> Attribute:
    return Attribute(
        name, type="complex", multi_valued=True, description=description, sub_attributes=subs, **kw
    )


def _typed_values(types: tuple[str, ...], value: Attribute | None = None) -> tuple[Attribute, ...]:
    """value/display/type/primary, the shape of most multi-valued attributes (RFC 7643 §2.4)."""
    return (
        value or _s("value", description="The attribute's significant value"),
        _s("display", mutability="readWrite", description="A human-readable name"),
        _s("type", canonical_values=types, description="A label indicating the function"),
        _s("primary", type="boolean", description="The preferred value"),
    )


COMMON_ATTRIBUTES: tuple[Attribute, ...] = (
    _s("id", case_exact=True, mutability="readOnly", returned="always", uniqueness="server",
       description="Unique identifier issued by the service provider (RFC 7643 §3.1)"),
    _s("externalId", case_exact=True,
       description="Identifier issued by the provisioning client (RFC 7643 §3.1)"),
    Attribute(
        "meta", type="complex", mutability="readOnly", description="Resource metadata",
        sub_attributes=(
            _s("resourceType", case_exact=True, mutability="readOnly"),
            _s("created", type="dateTime", mutability="readOnly"),
            _s("lastModified", type="dateTime", mutability="readOnly"),
            _s("location", type="reference", case_exact=True, mutability="readOnly",
               reference_types=("uri",)),
            _s("version", case_exact=True, mutability="readOnly"),
        ),
    ),
)

USER = Schema(
    id=USER_SCHEMA,
    name="User",
    description="User Account",
    attributes=(
        _s("userName", required=True, uniqueness="server",
           description="Unique identifier for the User, used to authenticate"),
        Attribute(
            "name", type="complex", description="The components of the user's real name",
            sub_attributes=tuple(
                _s(n) for n in (
                    "formatted", "familyName", "givenName", "middleName",
                    "honorificPrefix", "honorificSuffix",
                )
            ),
        ),
        _s("displayName", description="The name of the User, suitable for display"),
        _s("nickName", description="The casual way to address the user"),
        _s("profileUrl", type="reference", reference_types=("external",)),
        _s("title", description="The user's title, such as 'Vice President'"),
        _s("userType", description="The relationship between the organization and the user"),
        _s("preferredLanguage", description="Preferred written or spoken language"),
        _s("locale", description="Default location for localizing"),
        _s("timezone", description="Time zone in the IANA Time Zone database format"),
        _s("active", type="boolean", description="The user's administrative status"),
        _s("password", mutability="writeOnly", returned="never",
           description="The User's cleartext password; never returned"),
        _multi("emails", "Email addresses for the user",
               *_typed_values(("work", "home", "other"))),
        _multi("phoneNumbers", "Phone numbers for the User",
               *_typed_values(("work", "home", "mobile", "fax", "pager", "other"))),
        _multi("ims", "Instant messaging addresses",
               *_typed_values(("aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"))),
        _multi("photos", "URLs of photos of the User",
               *_typed_values(("photo", "thumbnail"), _s(
                   "value", type="reference", reference_types=("external",)))),
        _multi(
            "addresses", "A physical mailing address for this User",
            *(_s(n) for n in (
                "formatted", "streetAddress", "locality", "region", "postalCode", "country",
            )),
            _s("type", canonical_values=("work", "home", "other")),
            _s("primary", type="boolean"),
        ),
        Attribute(
            "groups", type="complex", multi_valued=True, mutability="readOnly",
            description="Groups to which the user belongs",
            sub_attributes=(
                _s("value", mutability="readOnly"),
                _s("$ref", type="reference", mutability="readOnly",
                   reference_types=("User", "Group")),
                _s("display", mutability="readOnly"),
                _s("type", mutability="readOnly", canonical_values=("direct", "indirect")),
            ),
        ),
        _multi("entitlements", "Entitlements for the User", *_typed_values(())),
        _multi("roles", "Roles for the User", *_typed_values(())),
        _multi("x509Certificates", "X.509 certificates of the User",
               *_typed_values((), _s("value", type="binary"))),
    ),
)

ENTERPRISE_USER = Schema(
    id=ENTERPRISE_USER_SCHEMA,
    name="EnterpriseUser",
    description="Enterprise User",
    attributes=(
        _s("employeeNumber", description="Numeric or alphanumeric identifier of the employee"),
        _s("costCenter", description="Name of a cost center"),
        _s("organization", description="Name of an organization"),
        _s("division", description="Name of a division"),
        _s("department", description="Name of a department"),
        Attribute(
            "manager", type="complex", description="The User's manager (RFC 7643 §4.3)",
            sub_attributes=(
                _s("value", case_exact=True, description="The id of the manager's User"),
                _s("$ref", type="reference", case_exact=True, reference_types=("User",)),
                _s("displayName", mutability="readOnly"),
            ),
        ),
    ),
)

GROUP = Schema(
    id=GROUP_SCHEMA,
    name="Group",
    description="Group",
    attributes=(
        _s("displayName", required=True, uniqueness="server",
           description="A human-readable name for the Group (unique: an Entra requirement)"),
        _multi(
            "members", "A list of members of the Group",
            _s("value", case_exact=True, mutability="immutable",
               description="The id of the member resource"),
            _s("$ref", type="reference", case_exact=True, mutability="immutable",
               reference_types=("User", "Group")),
            _s("type", mutability="immutable", canonical_values=("User", "Group")),
            _s("display", mutability="readOnly"),
        ),
    ),
)

ALL_SCHEMAS: tuple[Schema, ...] = (USER, ENTERPRISE_USER, GROUP)


@dataclass(frozen=True)
class AttrPath:
    """An attribute path: optional schema URN, attribute name, optional sub-attribute."""

    uri: str | None
    name: str
    sub: str | None = None

    def __str__(self) -> str:
        text = f"{self.uri}:{self.name}" if self.uri else self.name
        return f"{text}.{self.sub}" if self.sub else text


def parse_attr_path(text: str) -> AttrPath | None:
    """Split ``[URN:]name[.sub]`` (RFC 7644 §3.10); ``None`` if the text is not a path."""
    match = _ATTR_PATH.fullmatch(text.strip())
    if match is None:
        return None
    return AttrPath(match[1], match[2], match[3])


@dataclass(frozen=True)
class AttributeTarget:
    """Where an attribute path points in a resource dict.

    ``container`` is ``None`` for top-level attributes, else the key of the extension object.
    ``attribute`` is ``None`` for attributes no schema defines (kept as sent). ``problem`` says
    why the path cannot name anything (e.g. a sub-attribute of a simple attribute).
    """

    container: str | None
    name: str
    attribute: Attribute | None
    sub: str | None = None
    sub_attribute: Attribute | None = None
    whole_extension: bool = False
    problem: str | None = None
    schema: Schema | None = field(default=None, compare=False)

    @property
    def leaf(self) -> Attribute | None:
        """The definition of what the path finally names (sub-attribute if any)."""
        return self.sub_attribute if self.sub is not None else self.attribute


@dataclass(frozen=True)
class ResourceType:
    """A resource type: endpoint, core schema and extensions (RFC 7643 §6)."""

    name: str
    endpoint: str
    description: str
    schema: Schema
    extensions: tuple[Schema, ...] = ()

    @property
    def schemas(self) -> tuple[Schema, ...]:
        """Core schema first, then extensions."""
        return (self.schema, *self.extensions)

    def schema_for(self, urn: str) -> Schema | None:
        """The core or extension schema with this URN (compared case-insensitively)."""
        key = fold(urn)
        for schema in self.schemas:
            if fold(schema.id) == key:
                return schema
        return None

    def extension_for(self, urn: str) -> Schema | None:
        """The extension schema with this URN, if any."""
        schema = self.schema_for(urn)
        return schema if schema is not None and schema is not self.schema else None

    def core_attribute(self, name: str) -> Attribute | None:
        """A common (§3.1) or core-schema attribute."""
        return _find(COMMON_ATTRIBUTES, name) or self.schema.attribute(name)

    def resolve(self, path: AttrPath, search_extensions: bool = False) -> AttributeTarget:
        """Resolve a path against this type's schemas (URN, name and sub-attribute, any case).

        ``search_extensions`` lets an unqualified name fall back to an extension attribute
        (``manager eq "…"`` in Entra's legacy reference query, docs/entra.md §1.7).
        """
        schema: Schema | None
        if path.uri is not None:
            schema = self.schema_for(path.uri)
            if schema is None:
                whole = self.extension_for(f"{path.uri}:{path.name}")
                if whole is not None:
                    if path.sub is not None:
                        return AttributeTarget(None, whole.id, None, path.sub, None, True,
                                      f"'{path}' is not an attribute path", whole)
                    return AttributeTarget(None, whole.id, None, whole_extension=True, schema=whole)
                return AttributeTarget(path.uri, path.name, None, path.sub, None)
            attribute = (
                self.core_attribute(path.name) if schema is self.schema
                else schema.attribute(path.name)
            )
            if attribute is None:
                return AttributeTarget(None, path.name, None, path.sub, problem=(
                    f"'{path.name}' is not an attribute of schema {schema.id}"
                ), schema=schema)
        else:
            schema = self.schema
            attribute = self.core_attribute(path.name)
            if attribute is None and search_extensions:
                for extension in self.extensions:
                    attribute = extension.attribute(path.name)
                    if attribute is not None:
                        schema = extension
                        break
            if attribute is None:
                return AttributeTarget(None, path.name, None, path.sub)
        container = None if schema is self.schema else schema.id
        if path.sub is None:
            return AttributeTarget(container, attribute.name, attribute, schema=schema)
        if not attribute.is_complex:
            return AttributeTarget(container, attribute.name, attribute, path.sub, None, problem=(
                f"'{attribute.name}' is not a complex attribute, so '{path}' names nothing"
            ), schema=schema)
        sub = attribute.sub(path.sub)
        if sub is None:
            return AttributeTarget(container, attribute.name, attribute, path.sub, None, problem=(
                f"'{path.sub}' is not a sub-attribute of '{attribute.name}'"
            ), schema=schema)
        return AttributeTarget(container, attribute.name, attribute, sub.name, sub, schema=schema)


USER_TYPE = ResourceType("User", "/Users", "User Account", USER, (ENTERPRISE_USER,))
GROUP_TYPE = ResourceType("Group", "/Groups", "Group", GROUP)
RESOURCE_TYPES: tuple[ResourceType, ...] = (USER_TYPE, GROUP_TYPE)


def ci_key(data: dict[str, Any], name: str) -> str | None:
    """The key of ``data`` equal to ``name`` ignoring case (RFC 7643 §2.1), if any."""
    if name in data:
        return name
    key = fold(name)
    for existing in data:
        if fold(existing) == key:
            return existing
    return None


def ci_get(data: dict[str, Any], name: str) -> Any:
    """``data[name]`` ignoring the case of the name; ``None`` when absent."""
    key = ci_key(data, name)
    return None if key is None else data[key]
