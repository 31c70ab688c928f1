"""Test Connection and one user's life, replayed as Entra runs them (entra-behavior.md §1.1-1.5).

Test Connection → match (0 results) → create → duplicate create → case-insensitive match →
PATCH every mapped attribute → disable → still visible → re-enable → delete → 404.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from scimcheck import endpoints
from scimcheck.dialects import Dialect, active_operations, lowercase_ops, patch_body
from scimcheck.dialects import update_operations as dialect_update_operations
from scimcheck.sequence import Sequence
from scimcheck.templates import MISSING
from scimcheck.transport import Exchange
from scimcheck.userdata import GeneratedUser, UserFactory, get_path, show


def test_test_connection(scim: Sequence) -> None:
    """Entra's Test Connection: a random-GUID userName query, with and without the token."""
    probe = f'userName eq "{uuid.uuid4()}"'
    answer = scim.filter_users(probe, label="Test Connection probe")
    _expect_empty_list(scim, answer, "Test Connection")

    anonymous = scim.filter_users(
        probe, label="Test Connection without a token", authenticated=False
    )
    scim.check(
        "auth.missing-token-rejected",
        anonymous.status in (401, 403),
        f"{anonymous.summary()}: a request without 'Authorization' was answered "
        f"{anonymous.status or anonymous.error}, expected 401 (or 403)",
        anonymous,
    )


def test_user_lifecycle(scim: Sequence, scim_dialect: Dialect, scim_users: UserFactory) -> None:
    dialect, users = scim_dialect, scim_users
    """Match, create, update, disable, re-enable and delete one user in one Entra dialect."""
    user = users.new_user()
    user_filter = f'userName eq "{user.user_name}"'

    match = scim.filter_users(user_filter, label="match before create")
    _expect_empty_list(scim, match, "match before create")

    created = scim.send("POST", endpoints.USERS, body=user.create_body(), label="create user")
    body = created.json()
    user_id = body.get("id") if isinstance(body, dict) else None
    if isinstance(user_id, str) and user_id and created.ok:
        scim.created(endpoints.user(user_id), f"user {user.user_name}")
    usable = created.ok and isinstance(user_id, str) and bool(user_id)
    scim.check(
        "user.create.status-201",
        created.status == 201 and usable,
        f"{created.summary()}: expected 201 with the new user and its id; "
        f"got body {created.describe_body(300)}",
        created,
    )
    if not usable:
        scim.abort("create returned no user id, so the rest of the lifecycle cannot run")
    assert isinstance(user_id, str)
    path = endpoints.user(user_id)
    location = created.header("Location")
    scim.check(
        "user.create.location",
        bool(location) and str(location).rstrip("/").endswith(user_id),
        f"{created.summary()}: Location header is {location!r}; "
        f"expected the URI of /Users/{user_id}",
        created,
    )
    scim.expect_schema("schema.user", "user", created)
    _expect_values(scim, created, user.values, "create response")

    fetched = _read(scim, path, "read back created user")
    if fetched is not None:
        _expect_values(scim, fetched, user.values, "GET after create")

    _duplicate_create(scim, user)
    filter_works = _match_after_create(scim, user, user_id)

    changes = user.updated_values(revision=1)
    stored_name = _update(scim, dialect, path, dict(user.values), changes)
    user_filter = f'userName eq "{stored_name or user.user_name}"'

    if _set_active(scim, dialect, path, False):  # judged only once the user is disabled
        _still_visible(
            scim, path, user_filter if filter_works else None, user_id,
            get_works=fetched is not None,
        )
        _set_active(scim, dialect, path, True)

    deleted = scim.send("DELETE", path, label="delete user")
    scim.check(
        "user.delete.status-204",
        deleted.status == 204,
        f"{deleted.summary()}: expected 204 No Content",
        deleted,
    )
    if deleted.ok:
        scim.deleted(path)
    gone = scim.send("GET", path, label="read deleted user")
    scim.check(
        "user.delete.gone",
        gone.status == 404,
        f"{gone.summary()}: a deleted user should answer 404; it answered "
        f"{gone.status or gone.error}",
        gone,
    )


def _read(scim: Sequence, path: str, label: str) -> Exchange | None:
    """GET a user this sequence created; ``None`` (and a failed check) if it cannot be read."""
    answer = scim.send("GET", path, label=label)
    if not scim.check(
        "user.get-by-id",
        answer.status == 200 and isinstance(answer.json(), dict),
        f"{label}: {answer.summary()}: expected 200 with the user; got {answer.describe_body(200)}",
        answer,
    ):
        return None
    scim.expect_schema("schema.user", "user", answer)
    return answer


def _expect_empty_list(scim: Sequence, answer: Exchange, step: str) -> None:
    resources = scim.list_resources(answer)
    scim.check(
        "test-connection.no-match-empty-list",
        answer.status == 200 and resources == [],
        f"{step}: {answer.summary()}: a filter that matches nobody must answer 200 with an empty "
        f"ListResponse; got {answer.describe_body(300)}",
        answer,
    )
    if answer.status == 200:
        scim.expect_schema("schema.list-response", "list-response", answer)


def _expect_values(scim: Sequence, answer: Exchange, sent: dict[str, Any], step: str) -> None:
    body = answer.json()
    if not isinstance(body, dict):
        return
    changed = {
        path: (value, get_path(body, path))
        for path, value in sent.items()
        if get_path(body, path) != value
    }
    scim.check(
        "user.values-roundtrip",
        not changed,
        f"{step}: "
        + "; ".join(f"{p} sent {v!r}, returned {show(got)}" for p, (v, got) in changed.items()),
        answer,
    )


def _duplicate_create(scim: Sequence, user: GeneratedUser) -> None:
    again = scim.send("POST", endpoints.USERS, body=user.create_body(), label="duplicate create")
    body = again.json()
    if again.ok and isinstance(body, dict) and isinstance(body.get("id"), str):
        # The endpoint made a second account; remove it now so later steps see one user.
        duplicate = endpoints.user(body["id"])
        scim.created(duplicate, f"duplicate of user {user.user_name}")
        if scim.send("DELETE", duplicate, label="delete the duplicate scimcheck created").ok:
            scim.deleted(duplicate)
    problems = []
    if again.status != 409:
        problems.append(f"status {again.status or again.error}, expected 409")
    elif _is_scim_error(body) and body.get("scimType") != "uniqueness":
        # A non-SCIM error body is error.scim-envelope's finding; here only its scimType counts.
        problems.append(f'scimType {body.get("scimType")!r}, expected "uniqueness"')
    scim.check(
        "user.create.duplicate-409",
        not problems,
        f"{again.summary()}: a second POST with userName {user.user_name!r}: "
        + "; ".join(problems),
        again,
    )


def _is_scim_error(body: Any) -> bool:
    return isinstance(body, dict) and endpoints.ERROR_SCHEMA in (body.get("schemas") or [])


def _match_after_create(scim: Sequence, user: GeneratedUser, user_id: str) -> bool:
    """Entra's match query finds the user, in any letter case; returns whether eq works."""
    exact = scim.filter_users(f'userName eq "{user.user_name}"', label="match existing user")
    if exact.status == 200:
        scim.expect_user_list(exact)
    found = _ids(scim, exact)
    if not scim.check(
        "filter.finds-user",
        found == [user_id],
        f"{exact.summary()}: expected exactly the user {user_id}; found {found}",
        exact,
    ):
        return False
    other_case = user.user_name.swapcase()
    swapped = scim.filter_users(f'userName eq "{other_case}"', label="match in another letter case")
    found = _ids(scim, swapped)
    scim.check(
        "filter.username-case-insensitive",
        found == [user_id],
        f"{swapped.summary()}: userName eq {other_case!r} should find {user.user_name!r} "
        f"(userName is caseExact false); found {found}",
        swapped,
    )
    return True


def _ids(scim: Sequence, answer: Exchange) -> list[Any] | None:
    if answer.status != 200:
        return None
    resources = scim.list_resources(answer)
    if resources is None:
        return None
    return [r.get("id") if isinstance(r, dict) else r for r in resources]


@dataclass
class PatchOutcome:
    """What became of one PATCH Entra would send."""

    sent: Exchange
    """Entra's request, exactly as Entra sends it."""
    accepted: Exchange | None
    """The request that succeeded: Entra's own, or the lowercase diagnosis; None if neither."""
    lowercase_rejected: bool = False
    """The lowercase diagnosis was sent and rejected too (the op name is not the cause)."""

    def rejection(self) -> str:
        """Why it failed, for a message."""
        text = f"{self.sent.summary()}: {self.sent.describe_body(200)}"
        if self.lowercase_rejected:
            text += " (the same operations with lowercase op names were rejected too)"
        return text


def _patch(
    scim: Sequence, dialect: Dialect, path: str, operations: list[dict[str, Any]], label: str
) -> PatchOutcome:
    """PATCH as the dialect sends it; diagnose a server that only takes lowercase ops."""
    first = scim.send("PATCH", path, body=patch_body(operations), label=label)
    outcome = PatchOutcome(sent=first, accepted=first if first.ok else None)
    if dialect is Dialect.LEGACY and first.ok:
        scim.check("patch.capitalised-ops", True)
    elif dialect is Dialect.LEGACY:
        retry = scim.send(
            "PATCH", path, body=patch_body(lowercase_ops(operations)),
            label=f"{label} (diagnosis: same ops in lowercase)",
        )
        if retry.ok:
            scim.check(
                "patch.capitalised-ops",
                False,
                f"{first.summary()}: Entra's PATCH with op {operations[0]['op']!r} was "
                f"rejected, the same ops in lowercase were accepted: {first.describe_body(200)}",
                first,
            )
            outcome.accepted = retry
        else:
            outcome.lowercase_rejected = True
    accepted = outcome.accepted
    if accepted is not None:
        ok = accepted.status == 204 or (accepted.status == 200 and accepted.is_json)
        scim.check(
            "patch.response",
            ok,
            f"{accepted.summary()}: expected 200 with the resource or 204 No Content",
            accepted,
        )
        if accepted.status == 200 and accepted.is_json:
            scim.expect_schema("schema.user", "user", accepted)
    return outcome


def _update(
    scim: Sequence,
    dialect: Dialect,
    path: str,
    current: dict[str, Any],
    changes: dict[str, Any],
) -> str | None:
    """PATCH the attributes and judge the read-back; returns the userName the server now has.

    When Entra's multi-attribute PATCH is rejected, each attribute is sent alone to find the
    one(s) at fault, so the failure names them and is charged to the right check.
    """
    outcome = _patch(
        scim, dialect, path, dialect_update_operations(dialect, changes),
        f"update {', '.join(changes)}",
    )
    applied = dict(changes)
    if outcome.accepted is None:
        applied = _diagnose_rejected_update(scim, dialect, path, changes, outcome)
        if not applied:
            return None
    after = _read(scim, path, "read back after update")
    if after is None:  # cannot see what was stored: assume the accepted PATCH took effect
        name = applied.get("userName")
        return name if isinstance(name, str) else None
    body = after.json()
    by_check: dict[str, list[str]] = {}
    transformed: list[str] = []
    for attr, sent in applied.items():
        check_id = _update_check(dialect, attr)
        by_check.setdefault(check_id, [])
        got = get_path(body, attr)
        if got == sent:
            continue
        if got == current.get(attr, MISSING) or got is MISSING:
            by_check[check_id].append(f"{attr} is still {show(got)}, PATCH sent {sent!r}")
        else:
            transformed.append(f"{attr} sent {sent!r}, returned {show(got)}")
    for check_id, problems in by_check.items():
        scim.check(check_id, not problems, f"{after.summary()}: " + "; ".join(problems), after)
    scim.check(
        "user.values-roundtrip",
        not transformed,
        "GET after update: " + "; ".join(transformed),
        after,
    )
    stored = get_path(body, "userName")
    return stored if isinstance(stored, str) else None


def _diagnose_rejected_update(
    scim: Sequence, dialect: Dialect, path: str, changes: dict[str, Any], outcome: PatchOutcome
) -> dict[str, Any]:
    """Send each change alone; fail the check of each rejected attribute; return the applied."""
    rejected: dict[str, Exchange] = {}
    applied: dict[str, Any] = {}
    for attr, value in changes.items():
        operations = dialect_update_operations(dialect, {attr: value})
        alone = scim.send(
            "PATCH", path, body=patch_body(operations),
            label=f"diagnosis: {attr} alone",
        )
        if alone.ok:
            applied[attr] = value
        else:
            rejected[attr] = alone
    failed_checks: dict[str, list[str]] = {}
    for attr, exchange in rejected.items():
        failed_checks.setdefault(_update_check(dialect, attr), []).append(
            f"{attr} alone: {exchange.summary()}: {exchange.describe_body(160)}"
        )
    if not rejected:  # each alone was fine: the combination Entra sends is what fails
        for check_id in _update_checks(dialect, changes):
            failed_checks[check_id] = [
                "every attribute was accepted alone, but not in the one PATCH Entra sends"
            ]
    for check_id, problems in failed_checks.items():
        scim.check(
            check_id,
            False,
            f"Entra's {dialect.value} PATCH was rejected: {outcome.rejection()}. "
            + "; ".join(problems),
            outcome.sent,
        )
    return applied


def _update_check(dialect: Dialect, attr: str) -> str:
    if dialect is Dialect.COMPLIANT and "." in attr and "[" not in attr and not attr.startswith(
        "urn:"
    ):
        return "user.update.pathless-dotted"
    return "user.update.applied"


def _update_checks(dialect: Dialect, changes: dict[str, Any]) -> set[str]:
    return {_update_check(dialect, attr) for attr in changes}


def _set_active(scim: Sequence, dialect: Dialect, path: str, active: bool) -> bool:
    """Disable or re-enable; returns whether the user ended in the wanted state."""
    verb = "re-enable" if active else "disable"
    check_id = "user.reenable" if active else (
        "user.disable.string-false" if dialect is Dialect.LEGACY else "user.disable.boolean"
    )
    operations = active_operations(dialect, active)
    outcome = _patch(scim, dialect, path, operations, f"{verb} user")
    if outcome.accepted is None:
        scim.check(
            check_id,
            False,
            f"Entra's {verb} PATCH {operations[0]} was rejected: {outcome.rejection()}",
            outcome.sent,
        )
        return False
    after = _read(scim, path, f"read back after {verb}")
    if after is None:
        return False
    got = get_path(after.json(), "active")
    return scim.check(
        check_id,
        got is active,
        f"after PATCH active {operations[0]['value']!r}, GET returned active {show(got)} "
        f"({after.summary()})",
        after,
    )


def _still_visible(
    scim: Sequence, path: str, user_filter: str | None, user_id: str, get_works: bool
) -> None:
    """GET and the match query still return a disabled user (each judged only if it worked
    before the disable: a broken GET or filter is its own check's finding)."""
    problems: list[str] = []
    evidence: Exchange | None = None
    if get_works:
        by_id = scim.send("GET", path, label="disabled user by id")
        evidence = by_id
        if by_id.status == 200:
            scim.expect_schema("schema.user", "user", by_id)
        else:
            problems.append(by_id.summary())
    if user_filter is not None:
        by_filter = scim.filter_users(user_filter, label="disabled user by filter")
        found = _ids(scim, by_filter)
        if found != [user_id]:
            problems.append(f"{by_filter.summary()} found {found}")
            evidence = by_filter
        evidence = evidence or by_filter
    if evidence is None:
        return
    scim.check(
        "user.disabled-still-visible",
        not problems,
        "a disabled user must still be returned: " + "; ".join(problems),
        evidence,
    )
