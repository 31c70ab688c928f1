"""``membership.batch``: Entra's membership changes for many members in one PATCH are applied
whole (Microsoft Learn, "Develop and plan provisioning for a SCIM endpoint": "Support updating
multiple group memberships with a single PATCH").

The run creates a group and :data:`BATCH_SIZE` users of its own, adds them all in one PATCH in
the dialect's shape (:func:`scimcheck.entra.requests.add_members`), reads the group back and
names every member missing; then removes :data:`REMOVED` of them in one PATCH and names every
one still there. A member the endpoint drops from a batch it answered 2xx is lost silently:
Entra does not send it again. A refused batch is judged against the same PATCH for one member:
if that is refused too, the shape itself is refused (``membership.add-several`` and the removal
checks judge that) and this check is not evaluated. Everything created is deleted at the end
by the sequence's cleanup (only what this run created).
"""

from __future__ import annotations

from typing import Any

from scimcheck.entra import requests
from scimcheck.entra.dialects import Dialect
from scimcheck.http.curl import Judgement
from scimcheck.http.transport import Exchange
from scimcheck.scim import endpoints
from scimcheck.sequences.interpreter import Factories
from scimcheck.sequences.runner import Sequence

CHECK = "membership.batch"
BATCH_SIZE = 20
"""Members added in the one PATCH: more than a server that caps a value array at 10 keeps,
few enough to keep the run's requests low (each member is a create and a cleanup delete)."""
REMOVED = 8
"""Members then removed in one PATCH."""
NAMED = 5
"""How many lost members a failure names (the count says how many in all)."""


def run(scim: Sequence, dialect: Dialect, factories: Factories) -> None:
    """Create the members and the group, then judge one batch add and one batch removal."""
    names: dict[str, str] = {}  # member id → userName, for messages
    for _ in range(BATCH_SIZE):
        user = factories.users.new_user()
        create = requests.create_user(user.values)
        answer = scim.send(create.method, create.path, body=create.body,
                           label=f"create member {len(names) + 1} of {BATCH_SIZE}")
        user_id = _id(answer)
        if user_id is None:
            scim.not_evaluated(CHECK, f"member {len(names) + 1} could not be created "
                                      f"({answer.summary()}); user.create.entra-mapping judges "
                                      "the create")
            return
        scim.created(endpoints.user(user_id), f"user {user.user_name!r}")
        names[user_id] = user.user_name
    group = factories.groups.new_group()
    create = requests.create_group(group.display_name, group.external_id)
    answer = scim.send(create.method, create.path, body=create.body, label="create group")
    if _id(answer) is None:  # Entra's ADSCIM URN refused: group.create's finding; go on
        # not Entra's: the same group with the core schema only, to judge the batches anyway
        core = {**create.body, "schemas": [endpoints.GROUP_SCHEMA]}
        answer = scim.send("POST", endpoints.GROUPS, body=core,
                           label="create group (fallback: core schema only)")
        if _id(answer) is not None:  # what holds from here holds for a group Entra cannot make
            scim.workaround = ("only with scimcheck's plainer fallback request (the group "
                               "created with the core schema only); Entra's own request was "
                               "refused (group.create)")
    group_id = _id(answer)
    if group_id is None:
        scim.not_evaluated(CHECK, f"the group could not be created ({answer.summary()}); "
                                  "group.create judges the create")
        return
    path = endpoints.group(group_id)
    scim.created(path, f"group {group.display_name!r}")
    members = list(names)
    after = _batch_then_read(scim, dialect, group_id, members, add=True)
    if after is None:
        return
    got, read = after
    missing = [m for m in members if m not in got]
    if not scim.check(
        CHECK, not missing,
        f"[{dialect.value}] {len(missing)} of {len(members)} members added in one PATCH are "
        f"missing from the group, though the PATCH was answered 2xx: "
        f"{_named(missing, names)}",
        read, judgement=_judgement(len(members)),
    ):
        return
    removed = members[:REMOVED]
    after = _batch_then_read(scim, dialect, group_id, removed, add=False)
    if after is None:
        return
    got, read = after
    kept = [m for m in removed if m in got]
    scim.check(
        CHECK, not kept,
        f"[{dialect.value}] {len(kept)} of {len(removed)} members removed in one PATCH are "
        f"still in the group, though the PATCH was answered 2xx: {_named(kept, names)}",
        read, judgement=_judgement(len(members) - len(removed)),
    )


def _batch(
    scim: Sequence, dialect: Dialect, group_id: str, members: list[str], add: bool
) -> bool:
    """Send the batch; whether it was taken. A refused batch fails the check only when the
    same PATCH for one member is taken (else the shape itself is refused: other checks')."""
    verb = "add" if add else "remove"
    change = requests.add_members if add else requests.remove_members
    batch = change(dialect, group_id, members)
    answer = scim.send(batch.method, batch.path, body=batch.body,
                       label=f"{verb} {len(members)} members in one PATCH ({dialect.value})")
    if answer.ok:
        return True
    alone = change(dialect, group_id, members[:1])
    one = scim.send(alone.method, alone.path, body=alone.body,
                    label=f"diagnosis: {verb} one member alone")
    if one.ok:
        scim.check(
            CHECK, False,
            f"[{dialect.value}] Entra's PATCH to {verb} {len(members)} members at once was "
            f"refused ({answer.summary()}: {answer.describe_body(160)}), while the same PATCH "
            "for one member was taken: Entra's batches fail",
            answer,
        )
    else:
        scim.not_evaluated(
            CHECK, f"Entra's PATCH to {verb} members is refused even for one member "
            f"({one.summary()}); membership.add-several and the removal checks judge that",
        )
    return False


def _id(answer: Exchange) -> str | None:
    body = answer.json()
    found = body.get("id") if answer.ok and isinstance(body, dict) else None
    return found if isinstance(found, str) and found else None


def _member_ids(answer: Exchange) -> set[str] | None:
    """The group's member ids (absent members: none), or ``None`` if no group came back."""
    body = answer.json()
    if answer.status != 200 or not isinstance(body, dict):
        return None
    members: Any = body.get("members") or []
    if not isinstance(members, list):
        return set()
    return {str(m["value"]) for m in members if isinstance(m, dict) and "value" in m}


def _named(ids: list[str], names: dict[str, str]) -> str:
    shown = ", ".join(f"{names[i]} ({i})" for i in ids[:NAMED])
    more = f" and {len(ids) - NAMED} more" if len(ids) > NAMED else ""
    return shown + more


def _judgement(count: int) -> Judgement:
    """What a repro script checks: the group read back holds the expected number of members
    (ids differ from run to run; the count does not)."""
    return Judgement(CHECK, status=(200,), body=(("members", "count", count),),
                     by_hand=f"the group must have {count} members")


def _batch_then_read(
    scim: Sequence, dialect: Dialect, group_id: str, ids: list[str], *, add: bool
) -> tuple[set[str], Exchange] | None:
    """One batch PATCH, then the group read back: its member ids and the read; ``None`` when
    the PATCH or the read failed (recorded as the check's finding or as not evaluated)."""
    if not _batch(scim, dialect, group_id, ids, add=add):
        return None
    verb = "adding" if add else "removing"
    read = scim.send("GET", endpoints.group(group_id),
                     label=f"read the group after {verb} {len(ids)} members")
    got = _member_ids(read)
    if got is None:
        scim.not_evaluated(CHECK, f"the group could not be read back ({read.summary()})")
        return None
    return got, read
