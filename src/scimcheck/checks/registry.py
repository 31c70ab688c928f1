"""The registry of every check scimcheck ships: id, level, capability, source, consequence, fix.

A check is data. Suites evaluate checks by id through :class:`scimcheck.sequences.runner.Sequence`;
the id, level and source of a check never change once released. Each check has a self-test
that makes it fail against a broken variant of the reference server (``docs/checks.md``).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from enum import StrEnum

ENTRA_DOC = (
    "https://learn.microsoft.com/en-us/entra/identity/app-provisioning/"
    "use-scim-to-provision-users-and-groups"
)
ENTRA_KNOWN_ISSUES = (
    "https://learn.microsoft.com/en-us/entra/identity/app-provisioning/"
    "application-provisioning-config-problem-scim-compatibility"
)
ENTRA_MAPPINGS = (
    "https://learn.microsoft.com/en-us/entra/identity/app-provisioning/"
    "customize-application-attributes"
)
RFC7643 = "https://www.rfc-editor.org/rfc/rfc7643"
RFC7644 = "https://www.rfc-editor.org/rfc/rfc7644"


class Level(StrEnum):
    """How much a failed check matters; only the first two fail a run by default."""

    ENTRA_BLOCKING = "entra-blocking"
    RFC_MUST = "rfc-must"
    RFC_SHOULD = "rfc-should"
    ADVISORY = "advisory"

    def fails_run(self, strict: bool = False) -> bool:
        """Whether a failure at this level makes the run fail (``--strict`` adds rfc-should)."""
        failing = {Level.ENTRA_BLOCKING, Level.RFC_MUST}
        if strict:
            failing.add(Level.RFC_SHOULD)
        return self in failing


class Capability(StrEnum):
    """What an Entra admin would call the thing that breaks."""

    TEST_CONNECTION = "Test Connection"
    AUTHENTICATION = "Authentication"
    CREATE_USER = "Create user"
    UPDATE_USER = "Update user"
    DISABLE_USER = "Disable user"
    DELETE_USER = "Delete user"
    GROUPS = "Groups"
    MEMBERSHIP = "Membership"
    DISCOVERY = "Discovery"
    ERRORS = "Errors"
    PAGINATION = "Pagination"
    RECORDED = "Recorded traffic"


@dataclass(frozen=True)
class Check:
    """One property an endpoint must have, with why it matters under Entra."""

    id: str
    title: str
    level: Level
    capability: Capability
    source: str
    url: str
    consequence: str
    fix: str


_CHECKS: tuple[Check, ...] = (
    # --- Transport security (https targets) ---------------------------------------------------
    Check(
        id="transport.tls12",
        title="An https endpoint completes a TLS 1.2 handshake with a cipher suite Entra offers",
        level=Level.ENTRA_BLOCKING,
        capability=Capability.TEST_CONNECTION,
        source="Entra security requirements: 'The only acceptable protocol version is TLS 1.2', "
        "ECDHE cipher suites (docs/entra.md §2 Security requirements; S4 'HTTPS TLS 1.2')",
        url=ENTRA_DOC + "#security-requirements",
        consequence=(
            "Entra cannot connect: its TLS 1.2 handshake fails, so Test Connection fails and no "
            "user or group is provisioned."
        ),
        fix="Enable TLS 1.2 on the endpoint and on any load balancer or proxy in front of it, "
        "with an ECDHE AES-GCM suite (e.g. ECDHE-RSA-AES128-GCM-SHA256); TLS 1.3 may stay on "
        "beside it.",
    ),
    # --- Test Connection ---------------------------------------------------------------------
    Check(
        id="test-connection.no-match-empty-list",
        title="A filter that matches nothing answers 200 with an empty ListResponse",
        level=Level.ENTRA_BLOCKING,
        capability=Capability.TEST_CONNECTION,
        source="Entra: Test Connection and match-before-create (docs/entra.md §1.1, §1.2, D6)",
        url=ENTRA_DOC,
        consequence=(
            "Entra's Test Connection fails, and every create is preceded by this query: "
            "provisioning stops and the job goes to quarantine."
        ),
        fix="Answer a filter with no match with 200 and "
        '{"totalResults":0,"Resources":[]}, never 404 or 400.',
    ),
    Check(
        id="test-connection.groups-probe",
        title="The /Groups endpoint answers Entra's group probe with an empty ListResponse",
        level=Level.ENTRA_BLOCKING,
        capability=Capability.TEST_CONNECTION,
        source="Entra Test Connection fetches a random group (docs/entra.md §1.1, D7)",
        url=ENTRA_DOC,
        consequence=(
            "Test Connection reports 'invalid credentials' or "
            "SystemForCrossDomainIdentityManagementServiceIncompatible, and group provisioning "
            "cannot start."
        ),
        fix='Serve /Groups and answer filter=displayName eq "<unknown>" with 200 and an empty '
        "ListResponse (or unmap groups in Entra for a users-only app).",
    ),
    Check(
        id="auth.missing-token-rejected",
        title="A request without a bearer token is refused (401, or 403)",
        level=Level.ENTRA_BLOCKING,
        capability=Capability.AUTHENTICATION,
        source="Entra: security requirements, 'accept a single bearer token' "
        "(docs/entra.md §2)",
        url=ENTRA_DOC,
        consequence=(
            "If the endpoint serves requests without a token, anyone who can reach it can read "
            "and change your users; the Entra gallery requires bearer-token authentication."
        ),
        fix="Require 'Authorization: Bearer <token>' on every SCIM route; answer 401 without it.",
    ),
    Check(
        id="auth.token-not-echoed",
        title="Answers never repeat the bearer token",
        level=Level.ADVISORY,
        capability=Capability.AUTHENTICATION,
        source="RFC 6750 §5.2-5.3 (bearer tokens must be safeguarded from disclosure); "
        "Entra: the secret token is a credential (docs/entra.md §2)",
        url="https://www.rfc-editor.org/rfc/rfc6750#section-5.3",
        consequence=(
            "Every proxy, log and support ticket that sees the answer sees the token that lets "
            "anyone provision into your tenant; Entra keeps it secret, your endpoint gives it away."
        ),
        fix="Never echo request headers (Authorization above all) in bodies, error details or "
        "response headers; turn off debug echo on production and staging.",
    ),
    Check(
        id="auth.wrong-token-rejected",
        title="A request with a wrong bearer token is refused (401, or 403)",
        level=Level.ENTRA_BLOCKING,
        capability=Capability.AUTHENTICATION,
        source="RFC 6750 §3.1 (invalid_token: 401); Microsoft Learn, Develop a SCIM endpoint: "
        "provisioning authenticates with a bearer token (security requirements)",
        url="https://www.rfc-editor.org/rfc/rfc6750#section-3.1",
        consequence=(
            "An endpoint that takes any token is as open as one that takes none: anyone who can "
            "reach it sends 'Bearer x' and reads or changes your users. Entra's own token then "
            "protects nothing."
        ),
        fix="Compare the bearer token with the one configured for Entra (in constant time) and "
        "answer 401 with WWW-Authenticate: Bearer error=\"invalid_token\" when it differs. "
        "RFC 6750 §3.1 asks for 401 (403 is for a valid token lacking scope); both refuse the "
        "request, so this check accepts either.",
    ),
    Check(
        id="auth.www-authenticate",
        title="A 401 answer carries a WWW-Authenticate challenge",
        level=Level.RFC_MUST,
        capability=Capability.AUTHENTICATION,
        source="RFC 7235 §3.1 (a 401 MUST send WWW-Authenticate); RFC 6750 §3 (the Bearer "
        "challenge)",
        url="https://www.rfc-editor.org/rfc/rfc7235#section-3.1",
        consequence=(
            "Entra does not read the challenge, so provisioning keeps working; HTTP clients, "
            "gateways and tools that do read it cannot tell which credentials the endpoint wants."
        ),
        fix='Send WWW-Authenticate: Bearer realm="<your realm>" with every 401 (add '
        'error="invalid_token" when a token was sent but is not valid). Judged on 401 answers '
        "only: an endpoint that refuses with 403 is not held to it.",
    ),
    # --- Responses in general ------------------------------------------------------------------
    Check(
        id="response.scim-content-type",
        title="Responses with a body are labelled application/scim+json",
        level=Level.RFC_SHOULD,
        capability=Capability.ERRORS,
        source="RFC 7644 §3.1, §8.1; Entra guideline 'all responses application/scim+json'",
        url=RFC7644 + "#section-8.1",
        consequence=(
            "Microsoft's SCIM Validator flags every response; strict clients may refuse the body."
        ),
        fix="Send 'Content-Type: application/scim+json; charset=utf-8' on every SCIM response.",
    ),
    Check(
        id="response.utf8",
        title="Response bodies are UTF-8",
        level=Level.RFC_MUST,
        capability=Capability.ERRORS,
        source="RFC 7644 §3.1 (bodies are JSON), RFC 8259 §8.1 (JSON between systems MUST be "
        "UTF-8)",
        url="https://www.rfc-editor.org/rfc/rfc8259#section-8.1",
        consequence=(
            "Entra reads the answer as UTF-8: accented names come back as replacement "
            "characters, never match what Entra sent, and are rewritten on every cycle."
        ),
        fix="Encode every JSON body as UTF-8 (in Java/.NET: set the writer's charset, not the "
        "platform default such as ISO-8859-1 or windows-1252).",
    ),
    Check(
        id="schema.list-response",
        title="Query responses are valid ListResponses",
        level=Level.RFC_MUST,
        capability=Capability.TEST_CONNECTION,
        source="RFC 7644 §3.4.2",
        url=RFC7644 + "#section-3.4.2",
        consequence="Entra cannot read the query result, so matching and Test Connection fail.",
        fix="Return {schemas:[…ListResponse], totalResults, Resources, startIndex, itemsPerPage}.",
    ),
    Check(
        id="schema.user",
        title="User resources returned are valid SCIM Users",
        level=Level.RFC_MUST,
        capability=Capability.CREATE_USER,
        source="RFC 7643 §3, §4.1",
        url=RFC7643 + "#section-4.1",
        consequence="Entra cannot interpret the returned user and reports the object as failed.",
        fix="Return schemas, id and userName on every User, with attributes of the RFC's types.",
    ),
    Check(
        id="error.scim-envelope",
        title="Error responses carry the SCIM Error envelope with status as a string",
        level=Level.RFC_MUST,
        capability=Capability.ERRORS,
        source="RFC 7644 §3.12 (docs/entra.md D18, D32)",
        url=RFC7644 + "#section-3.12",
        consequence=(
            "Entra's provisioning logs cannot show the cause (detail, scimType); non-SCIM error "
            "bodies have surfaced there as "
            "SystemForCrossDomainIdentityManagementServiceIncompatible."
        ),
        fix='Answer errors with {"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],'
        '"status":"<the HTTP status as a string>","scimType":…,"detail":…}.',
    ),
    # --- Create ----------------------------------------------------------------------------------
    Check(
        id="user.create.status-201",
        title="Creating a user answers 201 Created with the new resource",
        level=Level.RFC_MUST,
        capability=Capability.CREATE_USER,
        source="RFC 7644 §3.3; Entra create user (docs/entra.md §1.2)",
        url=RFC7644 + "#section-3.3",
        consequence="Entra and its SCIM Validator expect 201 with the user and its id.",
        fix="Answer a successful POST /Users with 201 and the created user, including its id.",
    ),
    Check(
        id="user.create.entra-mapping",
        title="A user as Entra's attribute mapping sends it is created",
        level=Level.ENTRA_BLOCKING,
        capability=Capability.CREATE_USER,
        source="Entra sends only the attributes its mapping holds (Microsoft Learn: customize "
        "attribute mappings); RFC 7643 §4.1 (userName is the one required attribute)",
        url=ENTRA_MAPPINGS,
        consequence=(
            "Entra's creates fail for every user: an endpoint that requires an attribute the "
            "mapping does not send (such as name.formatted or emails) or refuses the enterprise "
            "extension refuses each user Entra provisions."
        ),
        fix="Accept a create that carries only the mapped attributes (make every attribute but "
        "userName optional, accept the enterprise extension), or add the attribute the endpoint "
        "requires to the app's mapping in Entra.",
    ),
    Check(
        id="user.create.location",
        title="201 Created carries a Location header with the new user's URI",
        level=Level.RFC_MUST,
        capability=Capability.CREATE_USER,
        source="RFC 7644 §3.3 ('SHALL include, in the HTTP Location header')",
        url=RFC7644 + "#section-3.3",
        consequence=(
            "Entra reads the new id from the body, but RFC clients and validators that follow "
            "Location cannot find the new user."
        ),
        fix="Set 'Location: <base>/Users/<id>' (equal to meta.location) on 201 responses.",
    ),
    # --- Resource metadata (RFC 7643 §3.1): Entra reads none of it, so none is entra-blocking --
    Check(
        id="resource.meta",
        title="Users and groups carry meta.resourceType (naming their type), meta.created and "
        "meta.lastModified",
        level=Level.RFC_SHOULD,
        capability=Capability.CREATE_USER,
        source="RFC 7643 §3.1: all 'meta' sub-attributes are assigned by the service provider "
        "and returned by default (the RFC gives no MUST for their presence)",
        url=RFC7643 + "#section-3.1",
        consequence=(
            "Entra does not read meta, so provisioning works; SCIM clients and auditors that "
            "sync incrementally or show when an account changed cannot."
        ),
        fix="Return meta with resourceType ('User' or 'Group', as /ResourceTypes names it), "
        "created and lastModified on every user and group.",
    ),
    Check(
        id="resource.meta-location",
        title="A created user or group carries meta.location, the URI of that very resource",
        level=Level.RFC_MUST,
        capability=Capability.CREATE_USER,
        source="RFC 7644 §3.3 (the URI of the created resource SHALL be in the body as "
        "meta.location); RFC 7643 §3.1 (location is the URI of the resource), §2.3.7 (a "
        "relative URI resolves against the service root)",
        url=RFC7644 + "#section-3.3",
        consequence=(
            "Entra reads the id, not meta.location; clients that follow meta.location reach "
            "nothing, or another resource."
        ),
        fix="Set meta.location to '<base>/Users/<id>' (or /Groups/<id>) on every user and group "
        "returned, the same value as the create's Location header.",
    ),
    Check(
        id="resource.meta-lastmodified",
        title="meta.lastModified moves forward when the resource changes",
        level=Level.RFC_SHOULD,
        capability=Capability.UPDATE_USER,
        source="RFC 7643 §3.1: lastModified is 'the most recent DateTime that the details of "
        "this resource were updated at the service provider'",
        url=RFC7643 + "#section-3.1",
        consequence=(
            "Entra does not read it; clients that sync only what changed since a time (filter "
            "meta.lastModified gt …) miss the change."
        ),
        fix="Set meta.lastModified to the current time on every PATCH or PUT that changes the "
        "resource, never to an earlier time.",
    ),
    Check(
        id="user.values-roundtrip",
        title="Values come back as sent: nothing truncated, lost or changed beyond normalisation",
        level=Level.ENTRA_BLOCKING,
        capability=Capability.CREATE_USER,
        source="Entra guideline 'store values exactly as sent' (docs/entra.md §2, D28)",
        url=ENTRA_DOC,
        consequence=(
            "Entra sees a difference on every cycle and sends the same update again, forever."
        ),
        fix="Store and return attribute values unchanged: no truncation, no lost or replaced "
        "characters, no reformatting (whitespace and letter-case normalisation alone is "
        "user.values-normalised's advisory note).",
    ),
    Check(
        id="user.values-normalised",
        title="Values come back as sent, not whitespace- or letter-case-normalised",
        level=Level.ADVISORY,
        capability=Capability.CREATE_USER,
        source="RFC 7644 §3.3 (the service provider may alter the values it stores); "
        "RFC 7643 §2.1",
        url=RFC7644 + "#section-3.3",
        consequence=(
            "Entra keeps matching and updating the user, but it sees a difference between its "
            "value and the stored one and may send the same update again on its next cycle."
        ),
        fix="Store strings as sent (surrounding spaces and letter case included), or accept the "
        "redundant updates; truncation or lost characters are user.values-roundtrip's findings.",
    ),
    Check(
        id="user.create.minimal",
        title="A user with only userName and active is created",
        level=Level.ENTRA_BLOCKING,
        capability=Capability.CREATE_USER,
        source="Entra skips null attributes (docs/entra.md §1.2, §5 S7, D30)",
        url=ENTRA_DOC,
        consequence=(
            "Users without a mailbox (or another attribute the app requires) are never "
            "provisioned: every cycle fails for them with 400."
        ),
        fix="Require only userName on create; treat every other attribute as optional.",
    ),
    Check(
        id="user.get-by-id",
        title="A user created earlier can be read back by id",
        level=Level.RFC_MUST,
        capability=Capability.CREATE_USER,
        source="RFC 7644 §3.4.1; Entra requirement 'retrieve a known resource' "
        "(docs/entra.md §2)",
        url=RFC7644 + "#section-3.4.1",
        consequence="Entra cannot read the users it provisioned and reports them as failed.",
        fix="Answer GET /Users/{id} with 200 and the user for every id your server issued.",
    ),
    Check(
        id="user.create.duplicate-409",
        title="Creating a user with an existing userName answers 409 uniqueness",
        level=Level.RFC_MUST,
        capability=Capability.CREATE_USER,
        source="RFC 7644 §3.3, §3.12 (docs/entra.md §1.2)",
        url=RFC7644 + "#section-3.3",
        consequence=(
            "Entra cannot recognise that the user already exists: a repeated create either makes "
            "a second account or fails with an error Entra cannot classify."
        ),
        fix='Reject a duplicate userName (compared case-insensitively) with 409 and scimType '
        '"uniqueness".',
    ),
    Check(
        id="user.create.duplicate-username-case",
        title="Creating a user whose userName differs from an existing one only in letter case "
        "answers 409",
        level=Level.RFC_MUST,
        capability=Capability.CREATE_USER,
        source="RFC 7643 §4.1.1 (userName is case insensitive and unique); RFC 7644 §3.3 (a "
        "duplicate userName MUST get 409 uniqueness), §3.12",
        url=RFC7643 + "#section-4.1.1",
        consequence=(
            "Two accounts now hold the same userName in different case: Entra's case-insensitive "
            "match finds both and cannot tell which one it manages, and sign-in may land on "
            "either."
        ),
        fix='Compare userName case-insensitively when enforcing uniqueness; answer 409 with '
        'scimType "uniqueness". Judged when the create answers 2xx or 409: a create refused '
        "for another reason (e.g. a required attribute the test body lacks) is not held to it.",
    ),
    Check(
        id="group.displayname-unique",
        title="Creating a group with an existing displayName answers 409",
        level=Level.ADVISORY,
        capability=Capability.GROUPS,
        source="Microsoft Learn, Develop a SCIM endpoint, /Groups: groups must have uniqueness "
        "on displayName to match with Entra (not a SCIM protocol requirement)",
        url=ENTRA_DOC,
        consequence=(
            "Entra matches groups by displayName: once two groups share a name its match finds "
            "both and it cannot tell which one to manage. Entra itself creates a group only after "
            "its match found none, so this bites only when duplicates arise some other way: "
            "advisory."
        ),
        fix='Reject a group create whose displayName is already taken with 409 and scimType '
        '"uniqueness" (compare case-insensitively, as Entra\'s match does).',
    ),
    Check(
        id="user.password-never-returned",
        title="A password is never returned: not on create, read or list",
        level=Level.RFC_MUST,
        capability=Capability.CREATE_USER,
        source="RFC 7643 §4.1.1 (the password SHALL NOT be returnable), §7 (returned "
        "\"never\")",
        url=RFC7643 + "#section-4.1.1",
        consequence=(
            "Entra does not read it back, so provisioning works, but every answer that carries "
            "the user hands the password (or its hash) to logs, proxies and anyone who can read "
            "users."
        ),
        fix="Drop password from every representation you return, including the answer to the "
        "create or PATCH that set it (do not echo the request body); store only a salted hash.",
    ),
    Check(
        id="resource.id-unique",
        title="Each create is answered with an id no other resource has had",
        level=Level.RFC_MUST,
        capability=Capability.CREATE_USER,
        source="RFC 7643 §3.1 (id 'MUST be unique across the SCIM service provider's entire set "
        "of resources', 'a stable, non-reassignable identifier'); RFC 7644 §3.3",
        url=RFC7643 + "#section-3.1",
        consequence=(
            "Entra keeps the id a create returns and sends every later update, disable and "
            "delete of that user or group to it: an id given to two resources, or reused after "
            "a delete, makes those changes land on the wrong account."
        ),
        fix="Return the new resource's own id from every create (a fresh one each time; e.g. a "
        "UUID) and never give a deleted resource's id to another.",
    ),
    # --- Matching --------------------------------------------------------------------------------
    Check(
        id="filter.finds-user",
        title="A userName eq filter finds the user just created",
        level=Level.ENTRA_BLOCKING,
        capability=Capability.CREATE_USER,
        source="Entra match-then-create (docs/entra.md §1.2); RFC 7644 §3.4.2.2",
        url=ENTRA_DOC,
        consequence=(
            "Entra finds no match for users that exist, tries to create them again and "
            "gets 409 on every cycle."
        ),
        fix='Support filter=userName eq "<value>" and return the matching user.',
    ),
    Check(
        id="filter.username-case-insensitive",
        title="userName eq matches whatever the letter case",
        level=Level.ENTRA_BLOCKING,
        capability=Capability.CREATE_USER,
        source="RFC 7643 §4.1.1 (userName caseExact false); docs/entra.md D9",
        url=RFC7643 + "#section-4.1.1",
        consequence=(
            "When a UPN's letter case changes in Entra, the match misses, Entra tries to "
            "create the user again and loops on 409."
        ),
        fix="Compare userName case-insensitively in filters (and in the uniqueness check).",
    ),
    Check(
        id="filter.attribute-name-case-insensitive",
        title="A filter's attribute names match whatever their letter case (USERNAME, username)",
        level=Level.RFC_SHOULD,
        capability=Capability.CREATE_USER,
        source="RFC 7644 §3.4.2.2 ('Attribute names and attribute operators used in filters are "
        "case insensitive'); RFC 7643 §2.1 (attribute names are case insensitive)",
        url=RFC7644 + "#section-3.4.2.2",
        consequence=(
            "Entra spells attribute names as its mapping does (userName), so its matching keeps "
            "working; other SCIM clients, and a mapping whose target is typed in another case, "
            "find nobody and create duplicates. Advisory-strength: the RFC states it without a "
            "MUST and Entra does not suffer, so it fails a run only with --strict."
        ),
        fix="Look attribute names up case-insensitively when parsing a filter (fold the name "
        "before matching it against the schema), as for attribute names in bodies.",
    ),
    # --- Update ----------------------------------------------------------------------------------
    Check(
        id="patch.implemented",
        title="PATCH is implemented (not answered 405 Method Not Allowed)",
        level=Level.ENTRA_BLOCKING,
        capability=Capability.UPDATE_USER,
        source="Entra updates, disables and changes membership only with PATCH "
        "(docs/entra.md §1.0, §2, D26)",
        url=ENTRA_DOC,
        consequence=(
            "Entra cannot update, disable or re-enable any user, nor change any group's "
            "members: only creates and deletes reach the app."
        ),
        fix="Implement PATCH on /Users/{id} and /Groups/{id} (RFC 7644 §3.5.2).",
    ),
    Check(
        id="patch.capitalised-ops",
        title="PATCH accepts Entra's capitalised ops (Add, Replace, Remove)",
        level=Level.ENTRA_BLOCKING,
        capability=Capability.UPDATE_USER,
        source="Entra default dialect (docs/entra.md §1.0, §3, D1)",
        url=ENTRA_KNOWN_ISSUES,
        consequence="Every update, disable and membership change Entra sends fails with 400.",
        fix="Compare PATCH op names case-insensitively (RFC 7644 §3.5.2 names are not case "
        "sensitive in practice; Entra sends Add/Replace/Remove).",
    ),
    Check(
        id="patch.response",
        title="A successful PATCH answers 200 with the resource or 204",
        level=Level.RFC_MUST,
        capability=Capability.UPDATE_USER,
        source="RFC 7644 §3.5.2",
        url=RFC7644 + "#section-3.5.2",
        consequence="Entra counts the update as failed and retries it on every cycle.",
        fix="Answer a PATCH that succeeded with 200 and the full resource, or 204 No Content.",
    ),
    Check(
        id="patch.response-current",
        title="A PATCH answered 200 with the resource shows it after the change, not before",
        level=Level.RFC_MUST,
        capability=Capability.UPDATE_USER,
        source="RFC 7644 §3.5.2 (200 with the entire resource, as modified)",
        url=RFC7644 + "#section-3.5.2",
        consequence=(
            "Entra does not read the PATCH answer (Microsoft Learn: the whole resource need not "
            "be returned), so provisioning works; any client that does read it believes the "
            "change was not made and sends it again."
        ),
        fix="Build the PATCH answer from the resource after the operations were applied (or "
        "answer 204 No Content). Judged only when the read-back shows the change stored and the "
        "answer was 200 with the resource.",
    ),
    Check(
        id="list.total-results",
        title="A list's totalResults counts every match, not the resources on the page",
        level=Level.RFC_MUST,
        capability=Capability.PAGINATION,
        source="RFC 7644 §3.4.2 (totalResults: the total number of results the query matches; "
        "itemsPerPage: the number on this page), §3.4.2.4",
        url=RFC7644 + "#section-3.4.2",
        consequence=(
            "A client paging through the list takes the page size for the total and stops after "
            "the first page: every user beyond it is never seen (Entra's account discovery pages "
            "with startIndex and count)."
        ),
        fix="Set totalResults to the number of resources matching the query across all pages "
        "(a COUNT over the same filter), and itemsPerPage to the number on this page.",
    ),
    Check(
        id="user.update.applied",
        title="Attributes changed by PATCH (one op per path) are changed on the next GET",
        level=Level.ENTRA_BLOCKING,
        capability=Capability.UPDATE_USER,
        source="Entra update user, default dialect (docs/entra.md §1.3)",
        url=ENTRA_DOC,
        consequence=(
            "Changes made in Entra never reach the app: a rejected update fails on every cycle, "
            "an ignored one Entra believes done."
        ),
        fix="Apply every PATCH operation to the stored user before answering.",
    ),
    Check(
        id="user.update.pathless-dotted",
        title="A path-less replace with dotted keys (name.givenName) updates those attributes",
        level=Level.ENTRA_BLOCKING,
        capability=Capability.UPDATE_USER,
        source="Entra aadOptscim062020 dialect and SCIM Validator "
        "(docs/entra.md §1.3, §3, D11)",
        url=ENTRA_KNOWN_ISSUES,
        consequence=(
            "With the compliant dialect (aadOptscim062020) name changes never reach the app."
        ),
        fix='Treat a key like "name.givenName" in a path-less value object as the attribute '
        "path it names.",
    ),
    # --- Disable ---------------------------------------------------------------------------------
    Check(
        id="user.disable.string-false",
        title='PATCH active "False" (a string) disables the user',
        level=Level.ENTRA_BLOCKING,
        capability=Capability.DISABLE_USER,
        source="Entra default dialect disable (docs/entra.md §1.4, §3, D2)",
        url=ENTRA_KNOWN_ISSUES,
        consequence="Entra's disable PATCH will leave users active: people who left keep access.",
        fix='Coerce "True"/"False" strings (any case) to booleans for active.',
    ),
    Check(
        id="user.disable.boolean",
        title="PATCH active false (a boolean) disables the user",
        level=Level.ENTRA_BLOCKING,
        capability=Capability.DISABLE_USER,
        source="Entra aadOptscim062020 disable (docs/entra.md §1.4, §3)",
        url=ENTRA_KNOWN_ISSUES,
        consequence="With the compliant dialect, disabled users keep access to the app.",
        fix="Apply replace of active with a JSON boolean.",
    ),
    Check(
        id="user.disabled-still-visible",
        title="A disabled user is still returned by GET and by filter, with active false",
        level=Level.ENTRA_BLOCKING,
        capability=Capability.DISABLE_USER,
        source="Entra requirement table, soft delete (docs/entra.md §1.4, §2, D19)",
        url=ENTRA_DOC,
        consequence=(
            "Entra cannot find the disabled user on the next cycle and creates a duplicate, "
            "or cannot re-enable the user when they come back into scope."
        ),
        fix="Keep disabled users in GET and filter results; only DELETE removes them.",
    ),
    Check(
        id="user.reenable",
        title="PATCH active true re-enables a disabled user",
        level=Level.ENTRA_BLOCKING,
        capability=Capability.DISABLE_USER,
        source="Entra re-enable when a user returns to scope (docs/entra.md §1.4)",
        url=ENTRA_DOC,
        consequence="A user re-assigned to the app in Entra stays locked out.",
        fix="Apply active true (or \"True\") like any other update.",
    ),
    # --- Groups and membership --------------------------------------------------------------------
    Check(
        id="group.create",
        title="Entra's group create (with the ADSCIM schema URN) answers 201 with the group's id",
        level=Level.ENTRA_BLOCKING,
        capability=Capability.GROUPS,
        source="Entra create group (docs/entra.md §1.6, D22); RFC 7644 §3.3",
        url=ENTRA_DOC,
        consequence="Entra cannot create groups, so no membership reaches the app.",
        fix="Accept the extra schema URN Entra lists on group create "
        "(http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group); answer 201 "
        "with the group and its id.",
    ),
    Check(
        id="group.create.location",
        title="A created group's answer carries a Location header equal to its meta.location",
        level=Level.RFC_MUST,
        capability=Capability.GROUPS,
        source="RFC 7644 §3.3 ('SHALL include, in the HTTP Location header')",
        url=RFC7644 + "#section-3.3",
        consequence=(
            "Entra reads the new id from the body, but RFC clients and validators that follow "
            "Location cannot find the new group."
        ),
        fix="Set 'Location: <base>/Groups/<id>' (equal to meta.location) on the 201 answering "
        "POST /Groups.",
    ),
    Check(
        id="schema.group",
        title="Group resources returned are valid SCIM Groups",
        level=Level.RFC_MUST,
        capability=Capability.GROUPS,
        source="RFC 7643 §4.2",
        url=RFC7643 + "#section-4.2",
        consequence="Entra cannot interpret the returned group and reports the object as failed.",
        fix="Return schemas, id and displayName on every Group; members as objects with value.",
    ),
    Check(
        id="group.filter-excluded-members",
        title="displayName filter and GET with excludedAttributes=members find the group "
        "without its members",
        level=Level.ENTRA_BLOCKING,
        capability=Capability.GROUPS,
        source="Entra group match and read (docs/entra.md §1.6, §2, D23); RFC 7644 §3.4.2.5",
        url=ENTRA_DOC,
        consequence=(
            "Entra cannot match groups (it creates duplicates), or every group read carries "
            "the whole member list: large groups time out."
        ),
        fix="Support filter=displayName eq \"…\" on /Groups and honour excludedAttributes=members.",
    ),
    Check(
        id="membership.add-several",
        title="One PATCH adding several members adds all of them",
        level=Level.ENTRA_BLOCKING,
        capability=Capability.MEMBERSHIP,
        source="Entra add members, gallery checklist 'multiple memberships in one PATCH' "
        "(docs/entra.md §1.6, D25)",
        url=ENTRA_DOC,
        consequence="Members Entra assigns to a group are missing in the app.",
        fix='Apply every element of an "Add" on "members" with a value array.',
    ),
    Check(
        id="membership.batch",
        title="A batch of members added (and removed) in one PATCH is applied whole",
        level=Level.ENTRA_BLOCKING,
        capability=Capability.MEMBERSHIP,
        source="Microsoft Learn, 'Develop and plan provisioning for a SCIM endpoint': 'Support "
        "updating multiple group memberships with a single PATCH'; RFC 7644 §3.5.2 (every "
        "operation of a PATCH is applied, or none)",
        url=ENTRA_DOC,
        consequence=(
            "Entra sends a group's membership changes in batches; members the endpoint drops "
            "from a batch it answered 2xx are lost without an error: they never get (or never "
            "lose) access, and Entra does not send them again."
        ),
        fix='Apply every value of an "Add" (and every member of a "Remove") on "members", '
        "however many one PATCH carries, or refuse the whole PATCH with an error.",
    ),
    Check(
        id="membership.remove-legacy",
        title='Entra\'s default "Remove members" with a value array removes only those members',
        level=Level.ENTRA_BLOCKING,
        capability=Capability.MEMBERSHIP,
        source="Entra default dialect member removal (docs/entra.md §1.6, §3, D3, D4)",
        url=ENTRA_KNOWN_ISSUES,
        consequence=(
            "Removing one member will empty the group (or fail): everyone else loses access "
            "the next time Entra removes anybody."
        ),
        fix='For op "Remove" on path "members" with a value array, remove just the listed '
        "members; only a remove without a value clears the attribute.",
    ),
    Check(
        id="membership.remove-filtered-path",
        title='A remove on members[value eq "…"] removes exactly that member',
        level=Level.ENTRA_BLOCKING,
        capability=Capability.MEMBERSHIP,
        source="Entra aadOptscim062020 member removal (docs/entra.md §1.6, §3, D5); "
        "RFC 7644 §3.5.2.2",
        url=ENTRA_KNOWN_ISSUES,
        consequence="With the compliant dialect, members removed in Entra keep access in the app.",
        fix='Support value-filter paths such as members[value eq "<id>"] in PATCH remove.',
    ),
    Check(
        id="membership.readd-idempotent",
        title="Adding a member who is already in the group succeeds",
        level=Level.ENTRA_BLOCKING,
        capability=Capability.MEMBERSHIP,
        source="RFC 7644 §3.5.2.1 (no change, success); docs/entra.md D20",
        url=RFC7644 + "#section-3.5.2.1",
        consequence="Entra retries the membership change on every cycle, forever.",
        fix="Treat adding an existing member as a success with no change (200 or 204).",
    ),
    Check(
        id="membership.no-duplicates",
        title="A member added twice is listed once",
        level=Level.RFC_SHOULD,
        capability=Capability.MEMBERSHIP,
        source="RFC 7644 §3.5.2.1 ('no changes SHOULD be made'); docs/entra.md D24",
        url=RFC7644 + "#section-3.5.2.1",
        consequence="Member lists grow duplicates; removing the member once may leave a copy.",
        fix="Ignore an add of a value already present in members.",
    ),
    Check(
        id="group.rename",
        title="Replace displayName renames the group",
        level=Level.ENTRA_BLOCKING,
        capability=Capability.GROUPS,
        source="Entra update group (docs/entra.md §1.6)",
        url=ENTRA_DOC,
        consequence="Group renames in Entra never reach the app.",
        fix='Apply {"op":"Replace","path":"displayName"} to groups.',
    ),
    Check(
        id="group.delete",
        title="DELETE /Groups/{id} answers 204, and the group is gone afterwards",
        level=Level.RFC_MUST,
        capability=Capability.GROUPS,
        source="RFC 7644 §3.6; Entra delete group (docs/entra.md §1.6, D27)",
        url=RFC7644 + "#section-3.6",
        consequence="Entra reports the app as not fully compatible and retries the delete.",
        fix="Delete the group and answer 204; answer 404 for it afterwards.",
    ),
    # --- Pagination and discovery ----------------------------------------------------------------
    Check(
        id="pagination.pages",
        title="startIndex and count page through /Users: at most count a page, itemsPerPage "
        "equal to the page's size",
        level=Level.RFC_MUST,
        capability=Capability.PAGINATION,
        source="RFC 7644 §3.4.2.4 (count: 'MUST NOT return more results than specified'); "
        "Entra requirement 'support listing users and paginating' (docs/entra.md §1.8, §2, "
        "D33). Not entra-blocking: provisioning cycles match user by user and never page",
        url=RFC7644 + "#section-3.4.2.4",
        consequence=(
            "Entra's Account Discovery, which lists the app's accounts page by page, finds "
            "nothing or the same accounts again (Microsoft: 0 results usually means the app does "
            "not paginate), and Microsoft's gallery validation fails its pagination test."
        ),
        fix="Return the resources from position startIndex (1-based) on, at most count of them, "
        "with itemsPerPage equal to the number returned.",
    ),
    Check(
        id="pagination.distinct-pages",
        title="Consecutive pages hold different resources, under one totalResults",
        level=Level.RFC_SHOULD,
        capability=Capability.PAGINATION,
        source="RFC 7644 §3.4.2.4 (startIndex is the 1-based index of the first result); "
        "docs/entra.md §1.8, D33. rfc-should: the RFC lets results shift between requests "
        "when data changes, so a busy shared endpoint can trip it; rerun to confirm",
        url=RFC7644 + "#section-3.4.2.4",
        consequence=(
            "Entra's Account Discovery sees the first page again and again: it misses every "
            "account after the first page."
        ),
        fix="Start each page at position startIndex of one stable order (by creation time or "
        "id), not at the beginning.",
    ),
    Check(
        id="pagination.start-index-echoed",
        title="A page's ListResponse gives the startIndex it was asked for",
        level=Level.RFC_MUST,
        capability=Capability.PAGINATION,
        source="RFC 7644 §3.4.2 (startIndex, 'REQUIRED when partial results are returned'), "
        "§3.4.2.4; Microsoft's gallery template compares it (docs/entra.md §1.8, D33)",
        url=RFC7644 + "#section-3.4.2",
        consequence=(
            "Microsoft's gallery validation fails its pagination test (the startIndex returned "
            "must equal the one requested), and clients that continue from the startIndex they "
            "get back read the same page again."
        ),
        fix="Set startIndex to the 1-based index of the page's first resource: the startIndex "
        "requested (1 when it is absent or below 1).",
    ),
    Check(
        id="discovery.service-provider-config",
        title="GET /ServiceProviderConfig answers 200 with a valid ServiceProviderConfig",
        level=Level.RFC_SHOULD,
        capability=Capability.DISCOVERY,
        source="RFC 7644 §4, RFC 7643 §5. rfc-should, not rfc-must: Entra's provisioning never "
        "reads it, only Microsoft's gallery validation template does (docs/entra.md §1.9)",
        url=RFC7643 + "#section-5",
        consequence=(
            "Entra provisions without it, but Microsoft's gallery validation and generic SCIM "
            "clients cannot discover what the endpoint supports."
        ),
        fix="Serve GET /ServiceProviderConfig with schemas "
        '["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"], patch, bulk, filter, '
        "changePassword, sort and etag (each with supported as a JSON boolean) and "
        "authenticationSchemes.",
    ),
    Check(
        id="discovery.spc-patch-filter",
        title="The ServiceProviderConfig says PATCH and filter are supported",
        level=Level.ADVISORY,
        capability=Capability.DISCOVERY,
        source="RFC 7643 §5 (patch.supported, filter.supported); Entra updates only with PATCH "
        "and matches only with filter (docs/entra.md §2, D26). Advisory: Entra does not read "
        "the claim; the update and matching checks judge the behaviour itself",
        url=RFC7643 + "#section-5",
        consequence=(
            "Entra sends PATCH and filter queries whatever the document says, but Microsoft's "
            "gallery validation and anyone reading it conclude the app cannot take Entra's "
            "updates or matches."
        ),
        fix="Set patch.supported and filter.supported to true (JSON booleans) once PATCH and "
        "filter work; if they do not, Entra cannot provision the app at all.",
    ),
    Check(
        id="discovery.schemas",
        title="GET /Schemas answers a ListResponse of schema definitions, the User schema "
        "among them",
        level=Level.RFC_MUST,
        capability=Capability.DISCOVERY,
        source="RFC 7644 §4 ('SHALL return all supported schemas in ListResponse format'), "
        "RFC 7643 §7; Entra requirement 'Support /Schemas', gallery schema discovery "
        "(docs/entra.md §1.9, §2, D29)",
        url=RFC7644 + "#section-4",
        consequence=(
            "For gallery apps, Entra's schema discovery cannot read the app's attributes, so "
            "admins cannot map them; the SCIM Validator's 'Discover schema' mode and Microsoft's "
            "gallery validation fail. Custom non-gallery apps provision without it."
        ),
        fix="Answer GET /Schemas with 200 and {schemas:[…ListResponse], totalResults, Resources} "
        "listing every schema you support (urn:ietf:params:scim:schemas:core:2.0:User at "
        "least), each with id and attributes, characteristics in camelCase (readWrite).",
    ),
    Check(
        id="discovery.resource-types",
        title="GET /ResourceTypes answers a ListResponse of resource types, User among them",
        level=Level.RFC_SHOULD,
        capability=Capability.DISCOVERY,
        source="RFC 7644 §4 (ListResponse form), RFC 7643 §6. rfc-should, not rfc-must: Entra "
        "never reads /ResourceTypes, only Microsoft's gallery validation template does "
        "(docs/entra.md §1.9, D29)",
        url=RFC7644 + "#section-4",
        consequence=(
            "Entra provisions without it, but Microsoft's gallery validation and generic SCIM "
            "clients cannot discover the endpoints and schema extensions."
        ),
        fix="Answer GET /ResourceTypes with 200 and a ListResponse of ResourceType resources "
        '(schemas ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"], name, endpoint, '
        "schema), User among them.",
    ),
    # --- Attribute paths of Entra's default custom-app mapping, and externalId matching -------
    Check(
        id="user.update.filtered-path",
        title='Replace on emails[type eq "work"].value changes the work email in place',
        level=Level.ENTRA_BLOCKING,
        capability=Capability.UPDATE_USER,
        source="Entra update user, both dialects (docs/entra.md §1.3, §3, D10)",
        url=ENTRA_KNOWN_ISSUES,
        consequence=(
            "Every change of a user's mail in Entra fails on every cycle (Entra sends it on this "
            "path in both dialects); so do address and phone changes, sent on the same kind of "
            "path."
        ),
        fix='Support value-filtered PATCH paths attr[type eq "…"].sub (RFC 7644 §3.5.2): '
        "change that sub-attribute of the matching element, and keep one element per type.",
    ),
    Check(
        id="user.update.filtered-path-creates",
        title='Add on emails[type eq "work"].value creates the work email when there is none',
        level=Level.ENTRA_BLOCKING,
        capability=Capability.UPDATE_USER,
        source="Entra update user (docs/entra.md §1.3, D10); SCIM-SDK "
        "MsAzurePatchFilterWorkaround",
        url=ENTRA_KNOWN_ISSUES,
        consequence=(
            "A user who gets a mailbox (or an address, or a phone number) after being "
            "provisioned never gets it in the app: the update fails with noTarget on every cycle."
        ),
        fix='When no element matches the filter of an add/replace on attr[type eq "work"].sub, '
        'create the element {"type": "work", sub: value}.',
    ),
    Check(
        id="user.update.enterprise-path",
        title="Add on urn:…:enterprise:2.0:User:department and :employeeNumber paths sets them",
        level=Level.ENTRA_BLOCKING,
        capability=Capability.UPDATE_USER,
        source="Entra update user, enterprise extension paths (docs/entra.md §1.3, D12)",
        url=ENTRA_KNOWN_ISSUES,
        consequence=(
            "Department and employee number changes in Entra fail on every cycle; with the "
            "default dialect every update that carries one of them fails whole."
        ),
        fix="Accept PATCH paths qualified by a schema URN (RFC 7644 §3.10): "
        '"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department" names '
        "department in the enterprise extension; create the extension object when it is absent.",
    ),
    Check(
        id="user.update.manager-string",
        title="Manager sent as a bare id string is stored and read back as {value: id}",
        level=Level.ENTRA_BLOCKING,
        capability=Capability.UPDATE_USER,
        source="Entra manager update (docs/entra.md §1.3, D13, D14); RFC 7643 §4.3",
        url=ENTRA_DOC,
        consequence=(
            "Entra's manager PATCH fails on every cycle: no user's manager reaches the app, and "
            "the failures count toward quarantine."
        ),
        fix='Accept "value": "<id>" on the manager path and store it as {"value": "<id>"}; '
        "return manager as that object.",
    ),
    Check(
        id="user.update.roles",
        title="An app role added as Entra sends it is stored as that role's value",
        level=Level.ENTRA_BLOCKING,
        capability=Capability.UPDATE_USER,
        source="Entra AppRoleAssignmentsComplex role PATCH (docs/entra.md §1.2 roles, §3, "
        "S8, D15)",
        url=ENTRA_MAPPINGS,
        consequence=(
            "Roles assigned in Entra never reach the app as roles: the PATCH fails on every "
            "cycle, or the app stores Entra's JSON text as the role's name."
        ),
        fix='In the default dialect a roles value arrives as JSON text, e.g. {"value": '
        '"{\\"id\\":\\"…\\",\\"value\\":\\"Reader\\",\\"displayName\\":\\"Reader\\"}"}: '
        "parse it and store its value (Reader) and displayName as the role.",
    ),
    Check(
        id="user.update.pathless-urn",
        title="A path-less replace with URN-qualified keys updates the enterprise attributes",
        level=Level.ENTRA_BLOCKING,
        capability=Capability.UPDATE_USER,
        source="Entra aadOptscim062020 dialect (docs/entra.md §1.3, §3, D11)",
        url=ENTRA_KNOWN_ISSUES,
        consequence=(
            "With the compliant dialect (aadOptscim062020) employee number and department "
            "changes never reach the app, while Entra believes them done."
        ),
        fix='Treat a key like "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:'
        'employeeNumber" in a path-less value object as the attribute path it names.',
    ),
    Check(
        id="user.update.add-replace-interchangeable",
        title="Add and Replace both set a single-valued attribute, whether it is set or not",
        level=Level.ENTRA_BLOCKING,
        capability=Capability.UPDATE_USER,
        source="Entra Add vs Replace (docs/entra.md §1.3, Microsoft Q&A 1373350); "
        "RFC 7644 §3.5.2.1",
        url=RFC7644 + "#section-3.5.2.1",
        consequence=(
            "Entra uses either op for a first value or a change ('in practice it could be "
            "either'): the updates it sends with the other one fail on every cycle."
        ),
        fix="Treat add on a single-valued attribute as replace (RFC 7644 §3.5.2.1), and replace "
        "of an attribute not set as setting it.",
    ),
    Check(
        id="filter.finds-user-by-externalid",
        title="An externalId eq filter finds nobody before the create and the user after it",
        level=Level.ENTRA_BLOCKING,
        capability=Capability.CREATE_USER,
        source="Entra match-then-create on externalId (docs/entra.md §1.2, §1.7, §2, D8)",
        url=ENTRA_DOC,
        consequence=(
            "When externalId is a matching attribute, Entra cannot match users: an error fails "
            "every create and Test Connection; an empty answer makes Entra create the user "
            "again on every cycle (duplicates, or a 409 loop)."
        ),
        fix='Support filter=externalId eq "<value>" on /Users (exact match: externalId is '
        "caseExact) and return the matching user.",
    ),
    # --- Requests and errors ---------------------------------------------------------------------
    Check(
        id="request.entra-content-type",
        title="Request bodies sent as 'application/scim+json; charset=utf-8' are accepted",
        level=Level.ENTRA_BLOCKING,
        capability=Capability.ERRORS,
        source="Entra request headers (docs/entra.md §1.0, §8, D16); RFC 7644 §3.1, §8.1",
        url=RFC7644 + "#section-8.1",
        consequence="Every create and update Entra sends is refused: nothing is provisioned.",
        fix="Accept application/scim+json (with or without a charset parameter) as well as "
        "application/json on POST, PUT and PATCH.",
    ),
    Check(
        id="request.get-without-accept",
        title="GET requests without an Accept header are answered",
        level=Level.ENTRA_BLOCKING,
        capability=Capability.TEST_CONNECTION,
        source="Entra sends GETs with no Accept header (docs/entra.md §1.0, D16)",
        url=ENTRA_DOC,
        consequence="Test Connection fails with 406, and so does every match query.",
        fix="Treat a missing Accept header as acceptance of application/scim+json.",
    ),
    Check(
        id="error.invalid-filter",
        title="A malformed filter answers 400 with scimType invalidFilter",
        level=Level.RFC_SHOULD,
        capability=Capability.ERRORS,
        source="RFC 7644 §3.4.2.2, §3.12 (table 9)",
        url=RFC7644 + "#section-3.12",
        consequence=(
            "A filter the endpoint cannot parse (Entra's values with special characters, say) "
            "looks like a server fault in Entra's logs instead of a bad query."
        ),
        fix='Answer filters that do not parse with 400 and "scimType":"invalidFilter".',
    ),
    Check(
        id="error.invalid-value",
        title="A PATCH value of the wrong type answers 400 with scimType invalidValue",
        level=Level.RFC_SHOULD,
        capability=Capability.ERRORS,
        source="RFC 7644 §3.5.2, §3.12 (table 9)",
        url=RFC7644 + "#section-3.12",
        consequence="Entra's provisioning logs cannot say which value the app refused.",
        fix='Answer values of the wrong type with 400 and "scimType":"invalidValue".',
    ),
    Check(
        id="error.invalid-path",
        title="A PATCH path that does not parse answers 400 with scimType invalidPath",
        level=Level.RFC_SHOULD,
        capability=Capability.ERRORS,
        source="RFC 7644 §3.5.2, §3.12 (table 9)",
        url=RFC7644 + "#section-3.12",
        consequence="Entra's provisioning logs cannot say which attribute path the app refused.",
        fix='Answer malformed PATCH paths with 400 and "scimType":"invalidPath".',
    ),
    Check(
        id="error.no-target",
        title="A PATCH remove without a path answers 400 with scimType noTarget",
        level=Level.RFC_SHOULD,
        capability=Capability.ERRORS,
        source="RFC 7644 §3.5.2.2 ('If \"path\" is unspecified, the operation fails with "
        "HTTP status code 400 and a \"scimType\" error code of \"noTarget\"'), §3.12",
        url=RFC7644 + "#section-3.5.2.2",
        consequence=(
            "A remove the endpoint cannot place is not reported as such; a server that instead "
            "clears data on it is dangerous."
        ),
        fix='Answer a remove operation without "path" with 400 and "scimType":"noTarget".',
    ),
    # --- Delete ----------------------------------------------------------------------------------
    Check(
        id="user.delete.status-204",
        title="DELETE answers 204 No Content",
        level=Level.RFC_MUST,
        capability=Capability.DELETE_USER,
        source="RFC 7644 §3.6; Entra delete (docs/entra.md §1.5)",
        url=RFC7644 + "#section-3.6",
        consequence="Entra may record the delete as failed and retry it.",
        fix="Answer a successful DELETE with 204 and no body.",
    ),
    Check(
        id="user.delete.gone",
        title="A deleted user answers 404 with a SCIM Error afterwards",
        level=Level.RFC_MUST,
        capability=Capability.DELETE_USER,
        source="RFC 7644 §3.6; Entra 'not found' guideline (docs/entra.md §2, D32)",
        url=RFC7644 + "#section-3.6",
        consequence="Entra believes the user still exists and keeps managing a deleted account.",
        fix="Remove the user on DELETE; answer later requests for it with 404.",
    ),
    Check(
        id="user.delete.gone-from-queries",
        title="A deleted user is left out of filters (userName eq, externalId eq) and lists",
        level=Level.RFC_MUST,
        capability=Capability.DELETE_USER,
        source="RFC 7644 §3.6: 'the service provider MUST omit the resource from future query "
        "results'",
        url=RFC7644 + "#section-3.6",
        consequence=(
            "The endpoint soft-deletes: deleted users stay listed (often as inactive), so "
            "Entra's match query still finds an account Entra deleted and updates it instead "
            "of creating the user anew; a directory read from the list shows people who left."
        ),
        fix="Remove the user on DELETE, or at least leave deleted users out of every query "
        "and list; deactivation is what PATCH active false is for.",
    ),
    Check(
        id="user.delete.recreate",
        title="After a DELETE, a new user with the same userName and externalId can be created",
        level=Level.ENTRA_BLOCKING,
        capability=Capability.DELETE_USER,
        source="RFC 7644 §3.6 (a deleted resource is gone for all operations); Entra matches a "
        "user in scope by userName and, finding nobody, creates it with POST (Microsoft Learn, "
        "'Develop and plan provisioning for a SCIM endpoint', user operations)",
        url=ENTRA_DOC,
        consequence=(
            "A user Entra deleted and later provisions again (re-assigned, rehired, or a new "
            "person with the same userName) is refused with 409: that user never reaches the "
            "app, and Entra reports the create as failed on every cycle."
        ),
        fix="Free a deleted user's userName and externalId at DELETE, so that a later POST with "
        "them creates a new user (201).",
    ),
    # --- Generated users: properties and the model of Entra's lifecycle (generate.properties)
    Check(
        id="generated.create-roundtrip",
        title="Generated users read back exactly as created, whatever their values",
        level=Level.ENTRA_BLOCKING,
        capability=Capability.CREATE_USER,
        source="Entra guideline 'store values exactly as sent' (docs/entra.md §2, D28); "
        "RFC 7643 §2.1, §2.3.1",
        url=ENTRA_DOC,
        consequence=(
            "For users whose names hold such characters, Entra sees a difference on every cycle "
            "and re-sends the same update forever; the stored value is not the directory's."
        ),
        fix="Store strings exactly: keep quotes, every Unicode character (including those "
        "outside the BMP) and the full length (whitespace and letter-case normalisation alone "
        "is generated.values-normalised's advisory note).",
    ),
    Check(
        id="generated.patch-roundtrip",
        title="A generated PATCH changes exactly its attributes, in either dialect",
        level=Level.ENTRA_BLOCKING,
        capability=Capability.UPDATE_USER,
        source="RFC 7644 §3.5.2; Entra update and dialects (docs/entra.md §1.3, §3, D28)",
        url=RFC7644 + "#section-3.5.2",
        consequence=(
            "Entra's updates land wrong or not at all for such values, and attributes Entra did "
            "not touch change or vanish; Entra keeps re-sending the update."
        ),
        fix="Apply each operation to its own attribute only (replacing name.givenName must keep "
        "name.familyName), store the value exactly, and return what is stored.",
    ),
    Check(
        id="generated.values-normalised",
        title="Generated values come back as sent, not whitespace- or case-normalised",
        level=Level.ADVISORY,
        capability=Capability.CREATE_USER,
        source="RFC 7644 §3.3 (the service provider may alter the values it stores); "
        "RFC 7643 §2.1, §2.3.1",
        url=RFC7644 + "#section-3.3",
        consequence=(
            "Entra keeps matching and updating such users, but it sees a difference between its "
            "value and the stored one and may send the same update again on its next cycle."
        ),
        fix="Store strings as sent (surrounding spaces and letter case included), or accept the "
        "redundant updates; truncation or lost characters are the round-trip checks' findings.",
    ),
    Check(
        id="generated.filter-finds-user",
        title="userName eq finds the user whatever the value's letter case, quotes or script",
        level=Level.ENTRA_BLOCKING,
        capability=Capability.CREATE_USER,
        source="Entra match-before-create (docs/entra.md §1.2, D8, D9); RFC 7644 "
        "§3.4.2.2 (string literals), RFC 7643 §4.1 (userName caseExact false)",
        url=RFC7644 + "#section-3.4.2.2",
        consequence=(
            "Entra's match misses such users: it creates them again on every cycle (409 loops) "
            "or never links the existing account."
        ),
        fix='Parse the filter value as a JSON string (\\" and \\\\ escapes), compare userName '
        "case-insensitively, and never fail on non-ASCII.",
    ),
    Check(
        id="generated.filter-escaped-value",
        title='userName eq finds the user when the value holds a quote or a backslash (\\" and '
        "\\\\ escapes)",
        level=Level.RFC_MUST,
        capability=Capability.CREATE_USER,
        source="RFC 7644 §3.4.2.2 (a filter's compValue string is a JSON string); not Entra's: "
        "a UPN holds neither character, and Entra does not support special characters in "
        "matching values (docs/entra.md §5, S7)",
        url=RFC7644 + "#section-3.4.2.2",
        consequence=(
            "Clients filtering on such a value miss the resource. Entra's user match is not "
            "hit (its userNames hold no quote or backslash), but a group displayName may."
        ),
        fix='Parse the filter value as a JSON string: \\" is a quote and \\\\ a backslash.',
    ),
    Check(
        id="generated.no-server-error",
        title="No generated request makes the endpoint fail (5xx or no answer; a 501 Not "
        "Implemented is the refused operation's finding)",
        level=Level.ENTRA_BLOCKING,
        capability=Capability.ERRORS,
        source="Entra retry and quarantine behaviour (docs/entra.md §1.0, §6); RFC 7644 §3.12",
        url=ENTRA_DOC,
        consequence=(
            "Entra retries such users on every cycle; enough failures put the whole "
            "provisioning job in quarantine."
        ),
        fix="Handle every valid string (quotes, backslashes, non-ASCII, long values) in bodies "
        "and filters; answer a value you cannot take with 400 and a SCIM Error, never 5xx.",
    ),
    Check(
        id="generated.values-accepted",
        title="Users with unusual but valid values are accepted",
        level=Level.ADVISORY,
        capability=Capability.CREATE_USER,
        source="RFC 7643 §2.3.1 (strings are Unicode); Entra provisions what the directory holds "
        "(docs/entra.md §1.2)",
        url=RFC7643 + "#section-2.3.1",
        consequence=(
            "Entra reports such users as failed to provision; people with these names never "
            "get an account."
        ),
        fix="Accept any Unicode string of reasonable length for names, titles and similar "
        "attributes; document the limits you must keep.",
    ),
    Check(
        id="generated.model-lifecycle",
        title="Random Entra lifecycles leave the endpoint in the state Entra expects",
        level=Level.ENTRA_BLOCKING,
        capability=Capability.UPDATE_USER,
        source="Entra provisioning cycle (docs/entra.md §1.2-§1.6, §3): create, update in "
        "either dialect, disable, enable, membership, delete",
        url=ENTRA_DOC,
        consequence=(
            "After some orders of Entra's operations the app's users or groups differ from "
            "Entra's view: wrong attributes, wrong active state or wrong members."
        ),
        fix="Replay the shrunk request chain in the report (a curl script) and compare each "
        "answer with the state the model expected.",
    ),
    # --- Replaying recorded traffic (scimcheck record / replay) -----------------------------------
    Check(
        id="recorded.same-status",
        title="A recorded request is answered with the status it got when recorded",
        level=Level.ADVISORY,
        capability=Capability.RECORDED,
        source="scimcheck record: the endpoint's own answers, captured in front of it",
        url="https://www.rfc-editor.org/rfc/rfc7644#section-3.12",
        consequence=(
            "The endpoint no longer behaves as it did when the traffic was recorded: a fix took "
            "effect, or a regression appeared."
        ),
        fix="Compare the replayed transcript with the recording; the step name says which "
        "request changed.",
    ),
)

REGISTRY: dict[str, Check] = {}
for _check in _CHECKS:
    if _check.id in REGISTRY:
        raise RuntimeError(f"duplicate check id {_check.id!r} in scimcheck.checks.registry")
    REGISTRY[_check.id] = _check


def get(check_id: str) -> Check:
    """Look a check up by id; an unknown id is a harness bug, reported with a suggestion."""
    try:
        return REGISTRY[check_id]
    except KeyError:
        close = difflib.get_close_matches(check_id, REGISTRY, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise KeyError(f"unknown check id {check_id!r}.{hint}") from None


def all_checks() -> tuple[Check, ...]:
    """Every registered check, in registry order."""
    return tuple(REGISTRY.values())


KEEPS_DELETED_USERS = ("user.delete.gone", "user.delete.gone-from-queries", "user.delete.recreate")
"""Checks whose failure shows an endpoint that keeps users after DELETE: the users a run
created and deleted may still be on it (the run says so, naming ``scimcheck cleanup``)."""
