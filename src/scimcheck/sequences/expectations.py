"""Judging a sequence step's expectations on the answer it got (docs/sequences.md "Checks"):
every condition of an expectation must hold for its check to pass; one that cannot be judged
here (a condition unmet, nothing of the check's to judge) is noted, never a pass.
"""

from __future__ import annotations

from typing import Any

from scimcheck.core.errors import MissingVariable, NothingToJudge
from scimcheck.core.templates import MISSING, render, resolve
from scimcheck.entra.paths import get_path
from scimcheck.http.curl import Judgement
from scimcheck.http.transport import Exchange
from scimcheck.scim import meta, schemas
from scimcheck.sequences.assertions import (
    VALUES_KINDS,
    is_error_without_envelope,
    judge_assertion,
    judge_counts,
    judge_values,
)
from scimcheck.sequences.files import Assertion, Expectation
from scimcheck.sequences.runner import Sequence

_LIST_KINDS = {"list-of-users": "user", "list-of-groups": "group"}
_META_KINDS = frozenset({"later_than", "decidable_since", "uri_of", "same_uri"})


class Judge:
    """Judges the expectations of one sequence's steps, and remembers what it judged: a pass
    that waits for a later step (``completed_by``) counts only once that step is judged."""

    def __init__(self, scim: Sequence, variables: dict[str, Any]) -> None:
        self.scim = scim
        self.variables = variables
        """The replay's variables (the same dict: captures made later are seen)."""
        self.step_name = ""
        self.judged: set[tuple[str, str]] = set()
        """(step, check) pairs a step judged on a real answer."""
        self.pending: dict[str, tuple[str, str]] = {}
        """check → (the step whose pass waits, the later step that completes it)."""
        self.nothing_judged: dict[tuple[str, str], str] = {}
        """(step, check) → why that step had nothing of the check's to judge."""

    def judge(self, expectation: Expectation, exchange: Exchange, context: str = "") -> bool:
        """Evaluate one expectation; a schema-only one is judged on 2xx answers alone (an
        error answer is judged by the error checks every response gets)."""
        schema_only = expectation.schema is not None and not (
            expectation.status or expectation.body or expectation.headers_present
        )
        if (schema_only or expectation.on_success) and not exchange.ok:
            return True
        if schema_only and not exchange.response_body:
            return True  # no body to validate: a missing body is the status checks' finding
        if expectation.when_status and exchange.status not in expectation.when_status:
            # e.g. a 403 is not held to a 401's WWW-Authenticate challenge
            wanted = " or ".join(str(s) for s in expectation.when_status)
            self.scim.notes.append(
                f"{expectation.check} not judged at {exchange.summary()}: it applies to "
                f"status {wanted} only"
            )
            return True
        for condition in expectation.only_if:
            try:
                unmet_condition = self._assertion(condition, exchange, exchange.json())
            except NothingToJudge as why:
                unmet_condition = str(why)
            if unmet_condition:
                self.scim.notes.append(
                    f"{expectation.check} not judged at {exchange.summary()}: "
                    f"{unmet_condition}"
                )
                return True
        unmet: list[str] = []
        if exchange.status is None:
            unmet.append(f"no answer: {exchange.error}")
        else:
            try:
                unmet += self._conditions(expectation, exchange)
            except NothingToJudge as why:
                self.nothing_judged[(self.step_name, expectation.check)] = str(why)
                self.scim.not_evaluated(expectation.check, f"step {self.step_name!r}: {why}")
                return True
        prefix = ""
        if expectation.message:
            try:
                prefix = str(render(expectation.message, self.variables)) + ": "
            except MissingVariable:
                prefix = expectation.message + ": "
        said = ""
        if unmet and exchange.status is not None and exchange.status >= 400:
            said = f" (the endpoint said: {exchange.describe_body(200)}){context}"
        message = f"{prefix}{exchange.summary()}: " + "; ".join(unmet) + said
        if not unmet and expectation.completed_by is not None:
            # recorded only if the later step is judged (its own verdict then stands)
            self.pending.setdefault(expectation.check, (self.step_name, expectation.completed_by))
            return True
        self.judged.add((self.step_name, expectation.check))
        judgement = self._judgement(expectation) if unmet else None
        return self.scim.check(expectation.check, not unmet, message, exchange,
                               judgement=judgement)

    def _judgement(self, expectation: Expectation) -> Judgement:
        """The expectation as data a repro script evaluates: the statuses, and the body
        assertions with their values filled in; what a script cannot evaluate (schemas, media
        types, headers, conditions on judging) is named, so the script says CHECK BY HAND
        rather than a verdict it cannot back."""
        unjudged: list[str] = []
        if expectation.only_if:
            unjudged.append("the conditions under which the run judged it (see the report)")
        if expectation.schema is not None:
            unjudged.append(f"the answer matches the {expectation.schema} schema")
        if expectation.media_type is not None:
            unjudged.append(f"Content-Type {expectation.media_type}")
        unjudged += [f"a {header} header" for header in expectation.headers_present]
        if expectation.json_body:
            unjudged.append("a JSON body (or 204 No Content)")
        body: list[tuple[str, str, Any]] = []
        for assertion in expectation.body:
            try:
                expected = render(assertion.expected, self.variables)
            except MissingVariable:
                unjudged.append(f"{assertion.at} ({assertion.kind})")
                continue
            if assertion.at.lower().startswith("header.") or assertion.before or assertion.skip \
                    or assertion.stored:
                unjudged.append(f"{assertion.at} ({assertion.kind})")
            else:
                body.append((assertion.at, assertion.kind, expected))
        if expectation.only_if:  # judged only under conditions the script cannot check
            return Judgement(expectation.check, unjudged=tuple(unjudged),
                             by_hand=expectation.message or "")
        return Judgement(expectation.check, status=expectation.status, body=tuple(body),
                         unjudged=tuple(unjudged), by_hand=expectation.message or "")

    def _conditions(self, expectation: Expectation, exchange: Exchange) -> list[str]:
        unmet: list[str] = []
        if expectation.status and exchange.status not in expectation.status:
            allowed = " or ".join(str(s) for s in expectation.status)
            unmet.append(f"status {exchange.status}, expected {allowed}")
        if expectation.media_type is not None:
            media = exchange.content_type.split(";")[0].strip().lower()
            if media != expectation.media_type.lower():
                unmet.append(f"Content-Type {exchange.content_type or 'absent'!r}")
        for header in expectation.headers_present:
            if not exchange.header(header):
                unmet.append(f"no {header} header")
        body = exchange.json()
        if expectation.json_body and exchange.status != 204 and body is None:
            unmet.append(
                f"a {exchange.status} must carry the resource as JSON (or answer 204 No "
                f"Content); the body is {exchange.describe_body(120)}"
            )
        if expectation.schema is not None:
            if body is None:
                unmet.append(f"the body is not JSON: {exchange.describe_body(120)}")
            else:
                kind = expectation.schema
                if kind in _LIST_KINDS:  # the Resources only: the envelope is list-response's
                    problems = [
                        p for p in schemas.validate_list(body, _LIST_KINDS[kind])
                        if p.path.startswith("/Resources/")
                    ]
                else:
                    problems = schemas.validate(kind, body)
                unmet += [f"{p.path}: {p.message}" for p in problems[:3]]
        if is_error_without_envelope(exchange, body):
            return unmet  # its details are error.scim-envelope's finding, not this check's
        nothing: list[str] = []
        for assertion in expectation.body:
            try:
                problem = self._assertion(assertion, exchange, body)
            except NothingToJudge as why:
                nothing.append(str(why))
                continue
            if problem:
                unmet.append(problem)
        if nothing and len(nothing) == len(expectation.body) and not unmet:
            raise NothingToJudge("; ".join(nothing))
        return unmet

    def _assertion(self, assertion: Assertion, exchange: Exchange, body: Any) -> str | None:
        try:
            expected = render(assertion.expected, self.variables)
            before = render(assertion.before, self.variables) if assertion.before else {}
            skip = render(assertion.skip, self.variables) if assertion.skip else []
        except MissingVariable as missing:
            return f"{assertion.at}: cannot be judged, {{{missing.name}}} is not set"
        at = assertion.at
        if at.lower().startswith("header."):
            got = exchange.header(at[len("header."):]) or MISSING
        elif at == ".":
            got = body
        else:
            got = resolve(body, at)
        if assertion.kind in VALUES_KINDS:
            if body is None and not at.lower().startswith("header."):
                # one finding, not "returned absent" for every value
                return f"the body is not JSON: {exchange.describe_body(160)}"
            skip = self._never_stored(assertion, expected, skip)
            return judge_values(assertion.kind, expected, got, before, skip)
        if assertion.kind == "counts":
            return judge_counts(at, got, str(expected), resolve(body, str(expected)))
        if assertion.kind in _META_KINDS:
            return self._judge_meta(assertion.kind, at, expected, got, exchange)
        return judge_assertion(assertion.kind, at, expected, got)

    def _judge_meta(
        self, kind: str, at: str, expected: Any, got: Any, exchange: Exchange
    ) -> str | None:
        """The assertions on a resource's meta (:mod:`scimcheck.scim.meta`)."""
        root = self.scim.transport.config.base_url
        if kind == "later_than":
            return meta.judge_later(at, got, expected)
        if kind == "decidable_since":
            return meta.judge_decidable(at, got, expected)
        if kind == "uri_of":
            return meta.judge_uri_of(at, got, str(expected), root)
        return meta.judge_same_uri(at, got, expected, exchange.url, root)

    def _never_stored(self, assertion: Assertion, sent: Any, skip: Any) -> Any:
        """``skip`` plus the paths of ``sent`` that the resource ``stored`` after its create
        does not hold: whether a request updates an attribute the endpoint never stored cannot
        be told (issue 14 §3: a path-less PATCH is not blamed for an attribute the endpoint does
        not keep). When no path is left to judge: ``NothingToJudge``. Without ``stored`` (or
        when it was not read back), ``skip`` unchanged."""
        if not assertion.stored or not isinstance(sent, dict):
            return skip
        try:
            stored = render(assertion.stored, self.variables)
        except MissingVariable:
            return skip  # the create's read-back failed: user.get-by-id's finding
        skipped = list(skip) if isinstance(skip, list) else []
        never = [p for p in sent if p not in skipped and get_path(stored, p) is MISSING]
        if not never:
            return skip
        left = [p for p in sent if p not in skipped and p not in never]
        why = (f"{', '.join(never)} {'was' if len(never) == 1 else 'were'} not stored when the "
               f"user was created (its read-back lacks {'it' if len(never) == 1 else 'them'}: "
               f"user.values-roundtrip's finding), so whether this request updates "
               f"{'it' if len(never) == 1 else 'them'} cannot be told")
        if not left:
            raise NothingToJudge(why)
        self.scim.notes.append(f"not judged at step {self.step_name!r}: {why}")
        return skipped + never
