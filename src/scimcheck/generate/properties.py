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

import contextlib
import functools
import json
import re
import traceback
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import Flaky
from hypothesis.internal.conjecture import engine
from hypothesis.reporting import with_reporter

from scimcheck.core.errors import RunStopped
from scimcheck.core.templates import MISSING
from scimcheck.entra.dialects import Dialect, patch_body, update_operations
from scimcheck.entra.userdata import get_path, user_body, values_match, values_match_normalised
from scimcheck.generate.flaky import replay_fell_short
from scimcheck.generate.strategies import filter_string
from scimcheck.http.curl import Judgement, render_script
from scimcheck.http.transport import Exchange
from scimcheck.report.repro import default_judgement
from scimcheck.scim import endpoints
from scimcheck.sequences.runner import Sequence

SHRINK_SECONDS = 10
"""How long Hypothesis may shrink one failure against a live endpoint; afterwards the smallest
example found so far is reported (Hypothesis documents the limit as monkeypatchable)."""
NO_SERVER_ERROR = "generated.no-server-error"
NOT_IMPLEMENTED = 501
"""RFC 7231 §6.6.2: the server does not support the functionality; not a crash."""
VALUES_ACCEPTED = "generated.values-accepted"
VALUES_NORMALISED = "generated.values-normalised"


@dataclass(frozen=True)
class Budget:
    """How hard to search: examples for this item, the run's seed (``--seed``, the only seed a
    report prints), the dialects to PATCH in, and which shard of the property this item is."""

    examples: int
    seed: int
    dialects: tuple[Dialect, ...] = (Dialect.LEGACY, Dialect.COMPLIANT)
    shard: int = 0
    shards: int = 1

    @property
    def search_seed(self) -> int:
        """The seed of this item's Hypothesis search (see :func:`shard_seed`)."""
        return shard_seed(self.seed, self.shard)


def shard_seed(run_seed: int, shard: int) -> int:
    """A shard's search seed: the run's seed and the shard's index alone decide it (shard 0
    searches from the run's seed itself), never the process running it, so ``--seed N`` searches
    the same examples in a serial run and under pytest-xdist."""
    return run_seed if shard == 0 else (run_seed * 7919 + shard) % 2**31


def shard_examples(examples: int, shard: int, shards: int) -> int:
    """A shard's share of a property's ``examples``: the shares add up to the budget (at least
    one example each), whatever process runs the shard."""
    share, left = divmod(examples, shards)
    return max(share + (1 if shard < left else 0), 1)


class PropertyFailed(Exception):
    """A generated example broke a check; Hypothesis shrinks it before it is reported."""

    def __init__(
        self, check_id: str, message: str, evidence: Exchange | None = None,
        judgement: Judgement | None = None,
    ) -> None:
        super().__init__(f"{check_id}: {message}")
        self.check_id = check_id
        self.message = message
        self.judgement = judgement
        """What the check expects of the evidence, as data its script evaluates (else the
        script says CHECK BY HAND with the expectation in words)."""
        # as a transcript keeps it: Hypothesis holds every failing example's exception
        self.evidence = evidence.shortened() if evidence is not None else None
        self.chain = _example_chain(self.evidence)
        """The requests of the example that failed, up to the evidence: what its script replays
        even when a later run of the example is all that is left (an intermittent failure)."""


_EXAMPLE: ContextVar[tuple[Sequence, int] | None] = ContextVar("scimcheck_example", default=None)
"""The sequence of the example running now, and where its exchanges begin."""


def _example_chain(evidence: Exchange | None) -> list[Exchange]:
    current = _EXAMPLE.get()
    if current is None:
        return [evidence] if evidence is not None else []
    scim, start = current
    chain = [x.shortened() for x in scim.transport.exchanges[start:]]
    if evidence is not None and any(x.index == evidence.index for x in chain):
        chain = [x for x in chain if x.index <= evidence.index]
    return chain


_F = TypeVar("_F", bound=Callable[..., Any])


def forgetful(function: _F) -> _F:
    """``function``, raising its ``PropertyFailed`` without the locals of the frames it came
    through. Hypothesis keeps each failing example's exception while it shrinks; with them,
    each would keep the answers those frames held (80 MB for a list of 10^6 users)."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except PropertyFailed as failure:
            traceback.clear_frames(failure.__traceback__)  # skips this running frame
            raise

    return wrapper  # type: ignore[return-value]


@dataclass
class Probe:
    """The requests of one example, through the run's sequence (so generic checks apply)."""

    scim: Sequence
    refused: list[str]
    created: list[str] = field(default_factory=list)
    judged: set[str] = field(default_factory=set)
    """The checks whose assertion ran on a real answer (shared by a search's examples): only
    those may pass when the search ends."""
    normalised: list[str] = field(default_factory=list)
    """Values the endpoint stored whitespace- or case-normalised (advisory, not a failure)."""
    compared: int = 0
    """How many read-backs were compared with what was sent (the advisory check's evidence)."""
    first_refused: list[Exchange] = field(default_factory=list)
    """The requests of the example whose create or update was refused first in the search,
    up to that refusal (its script replays them)."""

    def refuse(self, answer: Exchange, sent: str) -> None:
        """Note a generated request the endpoint refused (generated.values-accepted)."""
        self.refused.append(f"{answer.summary()}: {answer.describe_body(160)}; sent {sent}")
        if not self.first_refused:
            self.first_refused.extend(_example_chain(answer.shortened()))

    def send(self, method: str, path: str, **kwargs: Any) -> Exchange:
        """Send; a 5xx (but 501, an operation not supported, left to the caller's check) or no
        answer fails ``generated.no-server-error`` at once. Once the transport calls the
        endpoint hostile, nothing more is sent: ``RunStopped``."""
        hostile = self.scim.transport.hostile
        if hostile is not None:
            raise RunStopped(f"not evaluated: the generated search stopped early: {hostile}")
        answer = self.scim.send(method, path, **kwargs)
        if answer.status is None or (answer.status >= 500
                                     and answer.status != NOT_IMPLEMENTED):
            raise PropertyFailed(
                NO_SERVER_ERROR,
                f"{answer.summary()}: {answer.error or answer.describe_body(200)}",
                answer,
            )
        return answer

    def create_user(self, values: dict[str, Any]) -> str | None:
        """POST the user as Entra would; its id, or ``None`` when the endpoint refused it."""
        answer = self.send("POST", endpoints.USERS, body=user_body(values),
                           label="create a generated user")
        body = answer.json()
        user_id = body.get("id") if answer.ok and isinstance(body, dict) else None
        if isinstance(user_id, str) and user_id:
            path = endpoints.user(user_id)
            self.scim.created(path, f"generated user {values.get('userName')!r}")
            self.created.append(path)
            return user_id
        if answer.status is not None and 400 <= answer.status < 500:
            self.refuse(answer, show(values))
        return None

    def read_user(self, user_id: str, label: str) -> tuple[Exchange, dict[str, Any] | None]:
        """GET the user; the body when it is a 200 with a JSON object."""
        answer = self.send("GET", endpoints.user(user_id), label=label)
        body = answer.json()
        return answer, body if answer.status == 200 and isinstance(body, dict) else None

    def find_by_user_name(self, user_name: str, label: str) -> tuple[Exchange, list[Any] | None]:
        """Entra's match query; the ids it found (``None`` when the answer is not a list)."""
        answer = self.send(
            "GET", endpoints.USERS, params={"filter": f"userName eq {filter_string(user_name)}"},
            label=label,
        )
        resources = self.scim.list_resources(answer) if answer.status == 200 else None
        if resources is None:
            return answer, None
        return answer, [r.get("id") if isinstance(r, dict) else r for r in resources]

    def cleanup(self) -> None:
        """Delete what this example created (errors here never fail the property)."""
        for path in reversed(self.created):
            answer = self.scim.transport.send("DELETE", path, label="delete the generated user")
            if answer.ok or answer.status == 404:
                self.scim.deleted(path)
        self.created.clear()


@contextlib.contextmanager
def shrink_budget(seconds: int = SHRINK_SECONDS) -> Iterator[None]:
    """Bound Hypothesis' shrinking time: each shrink step is several HTTP requests."""
    saved = engine.MAX_SHRINKING_SECONDS
    engine.MAX_SHRINKING_SECONDS = seconds
    try:
        yield
    finally:
        engine.MAX_SHRINKING_SECONDS = saved


def show(value: Any) -> str:
    """A value for a message: JSON with every non-ASCII character escaped, so invisible ones
    (combining marks, no-break spaces) can be seen."""
    return json.dumps(value, ensure_ascii=True)


SHOWN_IDS = 5
SHOWN_NORMALISED = 20
"""How many normalised values a search keeps for its advisory finding (memory stays bounded)."""


def shown_ids(found: list[Any]) -> str:
    """The ids a match found, for a message: the first few and how many more (an answer may
    list a million)."""
    more = f" and {len(found) - SHOWN_IDS:,} more" if len(found) > SHOWN_IDS else ""
    return f"{found[:SHOWN_IDS]}{more}"


def differences(sent: dict[str, Any], stored: dict[str, Any]) -> tuple[list[str], list[str]]:
    """``path sent X, stored Y`` for every attribute that did not come back as sent: those that
    changed beyond whitespace and case normalisation, and those only normalised."""
    changed: list[str] = []
    normalised: list[str] = []
    for path, value in sent.items():
        got = get_path(stored, path)
        if values_match(value, got):
            continue
        line = f"{path} sent {show(value)}, stored {_shown(got)}"
        (normalised if values_match_normalised(value, got) else changed).append(line)
    return changed, normalised


_SIMPLE_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
"""An attribute path a repro script can read (``name.givenName``; not a filter or a URN)."""


def readback_judgement(check_id: str, expected: dict[str, Any]) -> Judgement:
    """A read-back's expectation as data its repro script evaluates: a 200 whose attributes
    hold these values (RFC 7644 §3.3, §3.5.2), strings but for whitespace and letter case, as
    the run judged them. An attribute a script cannot read (a filtered path, an extension
    URN), an object, or one that should be absent is named for a person to compare."""
    body: list[tuple[str, str, Any]] = []
    unjudged: list[str] = []
    for path, value in expected.items():
        if value is MISSING or value is None or not _SIMPLE_PATH.fullmatch(path):
            unjudged.append(f"{path} is {_shown(value)}")
        elif isinstance(value, str):  # normalised whitespace or case is another check's
            body.append((path, "equals_normalised", value))
        elif isinstance(value, bool | int | float):
            body.append((path, "equals", value))
        else:
            unjudged.append(f"{path} is {_shown(value)}")
    return Judgement(check_id, status=(200,), body=tuple(body), unjudged=tuple(unjudged),
                     by_hand="; ".join(unjudged))


def _shown(value: Any) -> str:
    return "absent" if value is MISSING else show(value)


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
    shrunk failure with its curl script, or a pass for each check."""
    refused: list[str] = []
    judged_here: set[str] = set()
    normalised: list[str] = []
    compared = {"count": 0}
    first_refused: list[Exchange] = []
    last: dict[str, Any] = {"start": 0, "value": None, "count": 0}

    @forgetful
    def attempt(value: Any) -> None:
        last.update(start=begin_example(scim), value=value, count=last["count"] + 1)
        probe = Probe(scim, refused, judged=judged_here, first_refused=first_refused)
        try:
            example(probe, value)
        finally:
            compared["count"] += probe.compared
            normalised.extend(probe.normalised[: max(0, SHOWN_NORMALISED - len(normalised))])
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
        return _never_compared(refused)

    search(scim, test, budget, lambda: int(last["start"]), describe, name, judged,
           ran=judged_here, why_not=why_not)
    if normalised or compared["count"]:
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


def begin_example(scim: Sequence) -> int:
    """Forget the earlier examples' exchanges no failure points at, so a search holds only the
    current example's chain (the one a failure's script replays), not thousands; the position
    where the new example's exchanges begin."""
    scim.keep_exchanges()
    start = len(scim.transport.exchanges)
    _EXAMPLE.set((scim, start))
    return start


def search_settings(examples: int, **extra: Any) -> settings:
    """Hypothesis settings for a search against a live endpoint: no example database (nothing
    written to the working directory), no deadline (networks vary), one failure reported."""
    return settings(
        max_examples=examples,
        database=None,
        deadline=None,
        derandomize=False,
        print_blob=False,
        report_multiple_bugs=False,
        phases=(Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
        **extra,
    )


def search(
    scim: Sequence,
    test: Callable[[], None],
    budget: Budget,
    start_of_last: Callable[[], int],
    describe: Callable[[PropertyFailed], str],
    title: str,
    judged: tuple[str, ...],
    ran: set[str] | None = None,
    why_not: Callable[[], str] | None = None,
) -> None:
    """Run a seeded Hypothesis search; record the shrunk failure with the curl script of its
    last (minimal) run's requests, or a pass for every check judged. ``start_of_last`` is
    where the last run's exchanges begin. With ``ran``, a check no example's assertion reached
    is recorded not evaluated (``why_not`` says why), never passed."""
    chain: list[Exchange] = []
    try:
        with with_reporter(lambda _text: None), shrink_budget():
            seed(budget.search_seed)(test)()
    except PropertyFailed as failure:
        chain = failure.chain or scim.transport.exchanges[start_of_last():]
        _record(scim, failure, describe(failure), chain, title, budget)
    except RunStopped:
        _record_cut_off(scim, title, budget)
        raise
    except Flaky as flaky:
        seen_once = intermittent_failure(flaky)
        if seen_once is None:
            raise
        chain = seen_once.chain
        fell_short = replay_fell_short(chain, scim.transport.exchanges[start_of_last():])
        if fell_short is None:
            why = ("It happened once and not again when Hypothesis replayed the example, so it "
                   f"was not shrunk (the endpoint fails intermittently; replay with --seed "
                   f"{budget.seed})")
        else:  # the replay was not on equivalent state: nothing shows the failure is flaky
            why = (f"It was not shrunk, and it is not shown to be intermittent: {fell_short} "
                   f"(replay with --seed {budget.seed})")
        _record(scim, seen_once, f"{title}: {seen_once.message}. {why}", chain, title, budget)
    else:  # the search ran its whole budget: every check it judged held
        for check_id in (*judged, NO_SERVER_ERROR):
            if ran is None or check_id in ran or check_id == NO_SERVER_ERROR:
                scim.check(check_id, True)
            else:
                scim.not_evaluated(check_id, f"{title}: " + (why_not() if why_not else
                                   "no generated example reached the comparison"))
    finally:
        _EXAMPLE.set(None)  # no later failure takes this search's requests for its chain
    scim.keep_exchanges(chain)


def _record_cut_off(scim: Sequence, title: str, budget: Budget) -> None:
    """A search stopped because the endpoint cut off answer after answer: that is still its
    failure of ``generated.no-server-error``, recorded unshrunk with the last cut-off request
    (a search stopped by the run deadline alone records nothing)."""
    evidence = scim.transport.last_cut_off
    if scim.transport.hostile is None or evidence is None:
        return
    failure = PropertyFailed(NO_SERVER_ERROR, f"{evidence.summary()}: "
                             f"{evidence.error or evidence.describe_body(200)}", evidence)
    _record(scim, failure, f"{title}: {failure.message}. The search stopped there, not "
            f"shrunk: {scim.transport.hostile}", [evidence], title, budget)


def _record(
    scim: Sequence, failure: PropertyFailed, message: str, chain: list[Exchange], title: str,
    budget: Budget,
) -> None:
    scim.check(
        failure.check_id, False, message, failure.evidence,
        repro=render_script(
            chain, scim.transport.config.base_url,
            f"{title}: {failure.check_id} (scimcheck --seed {budget.seed})",
            failure.judgement
            or default_judgement(failure.check_id, message, chain[-1] if chain else None),
        ),
    )


def intermittent_failure(error: BaseException) -> PropertyFailed | None:
    """The endpoint's failure inside Hypothesis' report that a failure did not repeat
    (``FlakyFailure`` groups what each run raised; ``FlakyStrategyDefinition`` may come with
    it, when the failing run stopped drawing data early); ``None`` when there is none."""
    if isinstance(error, PropertyFailed):
        return error
    inner: list[BaseException] = list(getattr(error, "exceptions", ()))
    inner += [e for e in (error.__cause__, error.__context__) if e is not None]
    for exception in inner:
        found = intermittent_failure(exception)
        if found is not None:
            return found
    return None


# --- the properties ------------------------------------------------------------------------------


def create_roundtrip(probe: Probe, values: dict[str, Any]) -> None:
    """POST then GET: every mapped attribute comes back exactly (Entra S1, D28)."""
    user_id = probe.create_user(values)
    if user_id is None:
        return
    answer, stored = probe.read_user(user_id, "read the generated user back")
    if stored is None:
        return  # a GET that fails is user.get-by-id's finding
    changed, normalised = differences(values, stored)
    probe.compared += 1
    probe.judged.add("generated.create-roundtrip")
    if changed:
        raise PropertyFailed(
            "generated.create-roundtrip", "; ".join(changed), answer,
            readback_judgement("generated.create-roundtrip", {
                path: sent for path, sent in values.items()
                if not values_match_normalised(sent, get_path(stored, path))
            }),
        )
    if normalised:
        probe.normalised.append("; ".join(normalised))


FILTER_ESCAPES = "generated.filter-escaped-value"


def filter_finds_user(probe: Probe, values: dict[str, Any]) -> None:
    """Entra's ``userName eq`` match finds exactly the user, as stored and in another letter
    case (RFC 7643 §4.1 caseExact false), whatever quotes the value holds (RFC 7644 §3.4.2.2)."""
    user_id = probe.create_user(values)
    if user_id is None:
        return
    _, stored = probe.read_user(user_id, "read the generated user back")
    name = values["userName"]
    if stored is None or get_path(stored, "userName") != name:
        return  # a userName stored differently is generated.create-roundtrip's finding
    for label, wanted in (("as stored", name), ("in another letter case", ascii_swapcase(name))):
        answer, found = probe.find_by_user_name(wanted, f"match the generated user {label}")
        # the exact value not found when it holds a character the filter must escape: the
        # escapes are at fault (RFC 7644 §3.4.2.2), not Entra's match, since Entra's userNames
        # (UPNs) hold no quote or backslash
        check_id = (FILTER_ESCAPES if label == "as stored" and ('"' in wanted or "\\" in wanted)
                    else "generated.filter-finds-user")
        probe.judged.add(check_id)
        if found != [user_id]:
            raise PropertyFailed(
                check_id,
                f"filter userName eq {filter_string(wanted)} ({label}) found "
                f"{shown_ids(found) if found is not None else answer.describe_body(160)}, "
                f"expected "
                f"exactly {user_id}",
                answer,
            )


def ascii_swapcase(text: str) -> str:
    """The ASCII letters in the other case (non-ASCII case folding is not Entra's concern)."""
    return "".join(c.swapcase() if c.isascii() else c for c in text)


def patch_roundtrip(probe: Probe, value: tuple[dict[str, Any], dict[str, Any], Dialect]) -> None:
    """PATCH then GET: the changed attributes hold the new values, the others are untouched
    (RFC 7644 §3.5.2), in the dialect drawn (docs/entra.md §3)."""
    values, changes, dialect = value
    user_id = probe.create_user(values)
    if user_id is None or not changes:
        return
    _, before = probe.read_user(user_id, "read the generated user before the update")
    if before is None:
        return
    answer = probe.send(
        "PATCH", endpoints.user(user_id), body=patch_body(update_operations(dialect, changes)),
        label=f"update {', '.join(changes)} ({dialect.value} dialect)",
    )
    if answer.status == NOT_IMPLEMENTED:
        raise PropertyFailed(
            "generated.patch-roundtrip",
            f"{dialect.value} dialect: {answer.summary()} for an update of "
            f"{', '.join(changes)}: the endpoint says it is not supported, so Entra's updates "
            f"of these attributes fail: {answer.describe_body(160)}",
            answer,
        )
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
        line = f"{path}: PATCH sent {show(new)}, {verdict} {_shown(got)}"
        # a stored value equal to the sent one but for whitespace and case is normalisation,
        # even when it equals the old value (an update Entra would not notice either)
        if values_match_normalised(new, got):
            normalised.append(line)
        else:
            problems.append(line)
    for path in values:
        if path in changes or path.lower() == "active":
            continue
        old, got = get_path(before, path), get_path(after, path)
        if not values_match(old, got):
            problems.append(f"{path} was not in the PATCH but changed from {_shown(old)} to "
                            f"{_shown(got)}")
    if problems:
        expected = {path: new for path, new in changes.items()
                    if not values_match_normalised(new, get_path(after, path))}
        expected |= {path: get_path(before, path) for path in values
                     if path not in changes and path.lower() != "active"
                     and not values_match(get_path(before, path), get_path(after, path))}
        raise PropertyFailed(
            "generated.patch-roundtrip",
            f"{dialect.value} dialect: " + "; ".join(problems),
            after_answer,
            readback_judgement("generated.patch-roundtrip", expected),
        )
    if normalised:
        probe.normalised.append(f"{dialect.value} dialect update: " + "; ".join(normalised))
