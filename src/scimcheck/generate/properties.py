"""Properties of generated users, checked against the target with Hypothesis.

Each property runs a Hypothesis search (:mod:`scimcheck.generate.strategies` values) against the
endpoint. A failing example is shrunk to a minimal one; its request chain becomes a curl script
(:mod:`scimcheck.http.curl`) attached to the failed check. Every user an example creates is deleted
when the example ends, and registered with the run so an interrupted run deletes it too.

A 5xx or no answer fails ``generated.no-server-error`` whichever property met it, except
``501 Not Implemented``: that is the endpoint saying it does not support the operation (RFC 7644
§3.12, RFC 7231 §6.6.2), judged by the check of the operation refused (a PATCH by
``generated.patch-roundtrip`` or ``generated.model-lifecycle``, a filter by
``generated.filter-finds-user``, a create by the ``user.create.*`` sequences); a 4xx refusal
of a generated user is noted under the advisory ``generated.values-accepted`` and does not
stop the search (an endpoint may document limits). A value that comes back only
whitespace- or case-normalised (RFC 7644 §3.3 lets a server alter what it stores; Entra keeps
working) is noted under the advisory ``generated.values-normalised`` and does not stop the
search either; truncation, lost characters and changed Unicode stay the round-trip checks'
(entra-blocking) findings. The seed makes a run replayable exactly.
A failure the endpoint does not repeat when Hypothesis replays the example (an intermittent
500 or reset) is still the endpoint's failure: it is recorded unshrunk, with the one request
that failed, never as an error of scimcheck. It is called intermittent only when the replay
sent that request again (:mod:`scimcheck.generate.flaky`); a
replay stopped earlier, e.g. by a create
refused because the deleted first run's user still holds its values, is reported with that cause.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from scimcheck.entra.comparison import values_match, values_match_normalised
from scimcheck.entra.dialects import Dialect, patch_body, update_operations
from scimcheck.entra.paths import get_path
from scimcheck.entra.requests import filter_value, needs_escaping
from scimcheck.generate.probe import (
    NOT_IMPLEMENTED,
    Probe,
    differences,
    readback_judgement,
    show,
    shown_ids,
    shown_or_absent,
)
from scimcheck.generate.search import (
    NO_SERVER_ERROR,
    Budget,
    PropertyFailed,
    begin_example,
    forgetful,
    search,
    search_settings,
)
from scimcheck.http.curl import Judgement, render_script
from scimcheck.http.transport import Exchange
from scimcheck.scim import endpoints
from scimcheck.sequences.runner import Sequence

VALUES_ACCEPTED = "generated.values-accepted"
VALUES_NORMALISED = "generated.values-normalised"
SHOWN_NORMALISED = 20
"""How many normalised values a search keeps for its advisory finding (memory stays bounded)."""


Example = Callable[[Probe, Any], None]


def run(
    scim: Sequence,
    budget: Budget,
    name: str,
    strategy: st.SearchStrategy[Any],
    example: Example,
    judged: tuple[str, ...],
) -> None:
    """Search for an example that breaks one of ``judged`` (plus no-server-error); record the
    shrunk failure with its curl script, or a pass for each check.

    One search judges several checks on the same examples (each example's requests serve all
    of them). When one check fails, it is recorded and the search runs again from the same
    seed with that check settled, so an example failing it goes on to the later checks: each
    check is judged on the whole budget, as if it had a search of its own, and a correct
    endpoint costs a single search."""
    settled: set[str] = set()
    notes = _Notes()
    for _ in range(len(judged) + 1):  # each round settles a check, or ends
        failed = _search_once(scim, budget, name, strategy, example, judged, frozenset(settled),
                              notes)
        if failed is None or failed in settled:
            break
        settled.add(failed)
        if failed != NO_SERVER_ERROR and all(check in settled for check in judged):
            break
    normalised, refused = list(notes.normalised), list(notes.refused)
    if normalised or notes.compared:
        scim.check(
            VALUES_NORMALISED,
            not normalised,
            f"{name}: {len(normalised)}{'+' if len(normalised) >= SHOWN_NORMALISED else ''} "
            f"example(s) read back with whitespace or letter case normalised (Entra still "
            f"works; it may re-send the value next cycle); the first: "
            + (normalised[0] if normalised else ""),
        )
    message = (f"{name}: {len(refused)} generated request(s) refused; the first: "
               + (refused[0] if refused else ""))
    first_refused = notes.first_refused
    scim.check(
        VALUES_ACCEPTED, not refused, message,
        repro=render_script(
            first_refused, scim.transport.config.base_url,
            f"{name}: {VALUES_ACCEPTED}: the first generated request refused "
            f"(scimcheck --seed {budget.seed})",
            Judgement(VALUES_ACCEPTED, status=_ACCEPTED.get(
                first_refused[-1].method if first_refused else "POST", (200, 201)),
                by_hand=message),
        ) if refused else None,
    )


@dataclass
class _Notes:
    """What a property's search rounds note beside their checks: each refusal and normalised
    value once (a rerun replays examples an earlier round saw; ordered sets), how many
    read-backs were compared, and the requests of the first refused example."""

    refused: dict[str, None] = field(default_factory=dict)
    normalised: dict[str, None] = field(default_factory=dict)
    compared: int = 0
    first_refused: list[Exchange] = field(default_factory=list)

    def take(self, probe: Probe) -> None:
        """What one example's probe noted."""
        self.compared += probe.compared
        self.refused.update(dict.fromkeys(probe.refused))
        for line in probe.normalised:  # bounded: memory stays flat whatever the budget
            if len(self.normalised) < SHOWN_NORMALISED:
                self.normalised[line] = None


def _search_once(
    scim: Sequence, budget: Budget, name: str, strategy: st.SearchStrategy[Any],
    example: Example, judged: tuple[str, ...], settled: frozenset[str], notes: _Notes,
) -> str | None:
    """One seeded search of ``judged`` less the ``settled`` checks; the check it failed."""
    judged_here: set[str] = set()
    last: dict[str, Any] = {"start": 0, "value": None, "count": 0}

    @forgetful
    def attempt(value: Any) -> None:
        last.update(start=begin_example(scim), value=value, count=last["count"] + 1)
        probe = Probe(scim, [], judged=judged_here, first_refused=notes.first_refused,
                      settled=settled)
        try:
            example(probe, value)
        finally:
            notes.take(probe)
            probe.cleanup()

    test = search_settings(budget.examples)(given(value=strategy)(attempt))

    def describe(failure: PropertyFailed) -> str:
        return (f"{name}: {failure.message}. Minimal example, shrunk by Hypothesis from "
                f"{last['count']} tried (replay with --seed {budget.seed}): "
                f"{show(last['value'])}")

    def why_not() -> str:
        if judged_here:  # other checks were judged: no example held what this one judges
            return ("no generated example held a value this check judges (e.g. a userName "
                    "with a quote or a backslash); a larger --examples budget draws more")
        return _never_compared(list(notes.refused))

    return search(scim, test, budget, lambda: int(last["start"]), describe, name,
                  tuple(check for check in judged if check not in settled),
                  ran=judged_here, why_not=why_not,
                  server_errors=NO_SERVER_ERROR not in settled)


_ACCEPTED = {"POST": (200, 201), "PATCH": (200, 204)}
"""What a generated create or update must be answered (RFC 7644 §3.3, §3.5.2)."""


def _never_compared(refused: list[str]) -> str:
    """Why no example reached a property's comparison (so it is not evaluated, not passed)."""
    if refused:
        return (f"no generated example reached the comparison: the endpoint refused "
                f"{len(refused)} generated request(s) (generated.values-accepted); the first: "
                f"{refused[0]}")
    return ("no generated example reached the comparison: no generated user could be read "
            "back as it was stored (see user.get-by-id and generated.create-roundtrip)")



# --- the properties ------------------------------------------------------------------------------

FILTER_ESCAPES = "generated.filter-escaped-value"

USER_CHECKS = ("generated.create-roundtrip", "generated.filter-finds-user", FILTER_ESCAPES,
               "generated.patch-roundtrip")
"""What one generated user is judged on, in the order its requests reach them."""


def generated_user(
    probe: Probe, value: tuple[dict[str, Any], dict[str, Any], Dialect]
) -> None:
    """One generated user serves every property before it is deleted (seven requests): POST
    then GET (the create round trip), Entra's match as stored and in another letter case,
    PATCH then GET (the update round trip). The GET after the create is the update's
    "before"; a check already reported this run no longer stops the example
    (:meth:`Probe.fail`), so the later ones are still judged on it."""
    values, changes, dialect = value
    user_id = probe.create_user(values)
    if user_id is None:
        return
    answer, stored = probe.read_user(user_id, "read the generated user back")
    if stored is None:
        return  # a GET that fails is user.get-by-id's finding
    create_roundtrip(probe, values, answer, stored)
    filter_finds_user(probe, user_id, values["userName"], stored)
    patch_roundtrip(probe, user_id, values, stored, changes, dialect)


def create_roundtrip(
    probe: Probe, values: dict[str, Any], answer: Exchange, stored: dict[str, Any]
) -> None:
    """POST then GET: every mapped attribute comes back exactly (Entra S1, D28)."""
    changed, normalised = differences(values, stored)
    probe.compared += 1
    probe.judged.add("generated.create-roundtrip")
    if changed:
        probe.fail(PropertyFailed(
            "generated.create-roundtrip", "; ".join(changed), answer,
            readback_judgement("generated.create-roundtrip", {
                path: sent for path, sent in values.items()
                if not values_match_normalised(sent, get_path(stored, path))
            }),
        ))
    elif normalised and "generated.create-roundtrip" not in probe.settled:
        probe.normalised.append("; ".join(normalised))


def filter_finds_user(probe: Probe, user_id: str, name: str, stored: dict[str, Any]) -> None:
    """Entra's ``userName eq`` match finds exactly the user, as stored and in another letter
    case (RFC 7643 §4.1 caseExact false), whatever quotes the value holds (RFC 7644 §3.4.2.2)."""
    if get_path(stored, "userName") != name:
        return  # a userName stored differently is generated.create-roundtrip's finding
    # one after the other, not at once: each answer of a hostile endpoint may parse to tens of
    # MB (a list of 10^6 users), and the first is judged, and let go, before the second comes
    for label, wanted in (("as stored", name), ("in another letter case", ascii_swapcase(name))):
        answer, found = probe.find_by_user_name(wanted, f"match the generated user {label}")
        if probe.server_error(answer):
            return  # a 5xx already reported (generated.no-server-error) judges nothing here
        # the exact value not found when it holds a character the filter must escape: the
        # escapes are at fault (RFC 7644 §3.4.2.2), not Entra's match, since Entra's userNames
        # (UPNs) hold no quote or backslash
        check_id = (FILTER_ESCAPES if label == "as stored" and needs_escaping(wanted)
                    else "generated.filter-finds-user")
        if check_id == FILTER_ESCAPES and "generated.filter-finds-user" in probe.settled:
            return  # a match that finds plain userNames neither: not the escapes' fault
        probe.judged.add(check_id)
        if found != [user_id]:
            probe.fail(PropertyFailed(
                check_id,
                f"filter userName eq {filter_value(wanted)} ({label}) found "
                f"{shown_ids(found) if found is not None else answer.describe_body(160)}, "
                f"expected "
                f"exactly {user_id}",
                answer,
            ))
            return


def ascii_swapcase(text: str) -> str:
    """The ASCII letters in the other case (non-ASCII case folding is not Entra's concern)."""
    return "".join(c.swapcase() if c.isascii() else c for c in text)


def patch_roundtrip(
    probe: Probe, user_id: str, values: dict[str, Any], before: dict[str, Any],
    changes: dict[str, Any], dialect: Dialect,
) -> None:
    """PATCH then GET: the changed attributes hold the new values, the others are untouched
    (RFC 7644 §3.5.2), in the dialect drawn (docs/entra.md §3)."""
    if not changes:
        return
    answer = probe.send(
        "PATCH", endpoints.user(user_id), body=patch_body(update_operations(dialect, changes)),
        label=f"update {', '.join(changes)} ({dialect.value} dialect)",
    )
    if answer.status == NOT_IMPLEMENTED:
        probe.fail(PropertyFailed(
            "generated.patch-roundtrip",
            f"{dialect.value} dialect: {answer.summary()} for an update of "
            f"{', '.join(changes)}: the endpoint says it is not supported, so Entra's updates "
            f"of these attributes fail: {answer.describe_body(160)}",
            answer,
        ))
        return
    if not answer.ok:
        if 400 <= (answer.status or 0) < 500:
            probe.refuse(answer, f"{show(changes)} ({dialect.value} dialect)")
        return
    after_answer, after = probe.read_user(user_id, "read the generated user after the update")
    if after is None:
        return
    probe.judged.add("generated.patch-roundtrip")
    problems: list[str] = []
    normalised: list[str] = []
    probe.compared += 1
    for path, new in changes.items():
        got = get_path(after, path)
        if values_match(new, got):
            continue
        old = get_path(before, path)
        verdict = "still" if got == old else "became"
        line = f"{path}: PATCH sent {show(new)}, {verdict} {shown_or_absent(got)}"
        # a stored value equal to the sent one but for whitespace and case is normalisation;
        # when it is the old value too, the update may as well have been dropped: not judged
        if values_match_normalised(new, got):
            if got != old:
                normalised.append(line)
        else:
            problems.append(line)
    for path in values:
        if path in changes or path.lower() == "active":
            continue
        old, got = get_path(before, path), get_path(after, path)
        if not values_match(old, got):
            problems.append(f"{path} was not in the PATCH but changed from "
                            f"{shown_or_absent(old)} to {shown_or_absent(got)}")
    if problems:
        expected = {path: new for path, new in changes.items()
                    if not values_match_normalised(new, get_path(after, path))}
        expected |= {path: get_path(before, path) for path in values
                     if path not in changes and path.lower() != "active"
                     and not values_match(get_path(before, path), get_path(after, path))}
        probe.fail(PropertyFailed(
            "generated.patch-roundtrip",
            f"{dialect.value} dialect: " + "; ".join(problems),
            after_answer,
            readback_judgement("generated.patch-roundtrip", expected),
        ))
    elif normalised and "generated.patch-roundtrip" not in probe.settled:
        probe.normalised.append(f"{dialect.value} dialect update: " + "; ".join(normalised))
