"""Replay a sequence file against the target: render each step, send it, judge the answer.

A step whose placeholders cannot be filled (an earlier step did not capture an id), or whose
``after`` step failed, is not sent and its checks are not evaluated: one defect shows as one
failed check, not a cascade. Variables every file can use are listed in docs/sequences.md.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import asdict, dataclass
from typing import Any

from scimcheck.core.errors import MissingVariable, NothingToJudge, SequenceAborted
from scimcheck.core.templates import (
    MISSING,
    lookup,
    names,
    render,
    render_path,
    resolve,
)
from scimcheck.entra.dialects import Dialect, boolean, lowercase_ops, op
from scimcheck.entra.userdata import (
    GroupFactory,
    UserFactory,
    get_path,
    show,
    values_match,
    values_match_normalised,
)
from scimcheck.http.curl import Judgement
from scimcheck.http.transport import Exchange
from scimcheck.scim import meta, schemas
from scimcheck.scim.endpoints import ERROR_SCHEMA
from scimcheck.sequences.files import (
    NO_BODY,
    Assertion,
    Expectation,
    PartsDiagnosis,
    Request,
    SequenceFile,
    Step,
)
from scimcheck.sequences.runner import Sequence

_LIST_KINDS = {"list-of-users": "user", "list-of-groups": "group"}
_PATCH_ACCEPTED = (200, 204)
"""The answers to a PATCH that was applied (RFC 7644 §3.5.2)."""
_META_KINDS = frozenset({"later_than", "decidable_since", "uri_of", "same_uri"})


@dataclass
class Factories:
    """Where generated users and groups come from."""

    users: UserFactory
    groups: GroupFactory


def base_variables(tag: str, dialect: Dialect | None) -> dict[str, Any]:
    """The variables every sequence starts with (docs/sequences.md)."""
    spelled = dialect or Dialect.COMPLIANT
    return {
        "tag": tag,
        "dialect": dialect.value if dialect else "any",
        "op": {name: op(spelled, name) for name in ("add", "replace", "remove")},
        "bool": {"true": boolean(spelled, True), "false": boolean(spelled, False)},
    }


class Replay:
    """The state of one sequence file being replayed in one dialect."""

    def __init__(
        self, spec: SequenceFile, scim: Sequence, dialect: Dialect | None, factories: Factories
    ) -> None:
        self.spec = spec
        self.scim = scim
        self.dialect = dialect
        self.factories = factories
        self.variables = base_variables(factories.users.tag, dialect)
        self.succeeded: dict[str, bool] = {}
        self.step_name = ""
        self.judged: set[tuple[str, str]] = set()
        """(step, check) pairs a step judged on a real answer."""
        self.pending: dict[str, tuple[str, str]] = {}
        """check → (the step whose pass waits, the later step that completes it)."""
        self.workarounds: dict[str, str] = {}
        """step or captured variable → the diagnostic retry its success depended on: a step
        that runs after such a step, or uses what it captured, passes only with a workaround."""
        self.nothing_judged: dict[tuple[str, str], str] = {}
        """(step, check) → why that step had nothing of the check's to judge."""

    def run(self) -> None:
        """Replay every step in order. A pass that waits for a later step (``completed_by``)
        becomes "not evaluated", with the reason, when that step was not judged."""
        stopped = ""
        try:
            for step in self.spec.steps:
                self.step_name = step.name
                self.succeeded[step.name] = self._step(step)
        except SequenceAborted as abort:
            stopped = f": the sequence stopped before it ({abort})"
            raise
        finally:
            self.scim.step_workaround = None
            for check_id, (early, later) in self.pending.items():
                if (later, check_id) not in self.judged:
                    nothing = self.nothing_judged.get((later, check_id))
                    why = stopped or (
                        f": {nothing}" if nothing is not None
                        else ": an earlier step it needs failed" if later in self.succeeded
                        else ": it was not reached")
                    self.scim.not_evaluated(
                        check_id,
                        f"only step {early!r} ran, and alone it proves nothing; step {later!r}, "
                        f"which completes the check, was not judged{why}",
                    )

    def _fresh(self) -> dict[str, Any]:
        # values that are new at every use: {new.guid}, {new.serial}
        fresh = {"guid": str(uuid.uuid4()), "serial": secrets.token_hex(4)}
        return {**self.variables, "new": fresh}

    def _step(self, step: Step) -> bool:
        self.scim.step_workaround = None
        if step.dialect is not None and not self._in_dialect(step.dialect):
            return False
        if not all(self.succeeded.get(name, False) for name in step.after):
            return False
        if step.if_set is not None and not self._is_set(step.if_set):
            return False
        self.scim.step_workaround = self._inherited_workaround(step)
        succeeded = self._run_step(step)
        if self.scim.step_workaround is not None:
            self.workarounds[step.name] = self.scim.step_workaround
        for name in (*step.capture, *([step.diagnose_parts.rejected]
                                      if step.diagnose_parts and step.diagnose_parts.rejected
                                      else [])):
            if self.scim.step_workaround is not None:
                self.workarounds[name] = self.scim.step_workaround
            else:
                self.workarounds.pop(name, None)
        return succeeded

    def _inherited_workaround(self, step: Step) -> str | None:
        """The workaround a step depends on: that of a step it runs after, or of a step whose
        captured value it uses."""
        for name in (*step.after, *([step.if_set] if step.if_set else []),
                     *sorted(names(asdict(step)))):
            if name in self.workarounds:
                return self.workarounds[name]
        return None

    def _workaround(self, reason: str) -> None:
        """From here on, this step's passes (and those of steps depending on it) depended on
        a diagnostic retry: they are reported as such, never as a plain pass."""
        self.scim.step_workaround = self.scim.step_workaround or reason

    def _run_step(self, step: Step) -> bool:
        for name, kind in step.generate.items():
            entity = (
                self.factories.users.new_user() if kind == "user"
                else self.factories.groups.new_group()
            )
            self.variables[name] = entity.variables()
        if step.request is None:
            return True
        try:
            exchange, body = self._send(step, step.request)
        except MissingVariable as missing:
            self.scim.notes.append(
                f"step {step.name!r} not sent: {{{missing.name}}} is not set (an earlier step "
                "did not produce it)"
            )
            if step.stop_on_failure:
                self.scim.abort(f"step {step.name!r} could not be sent")
            return False
        captured = self._capture(step, exchange)  # before judging: assertions may use them
        self._bookkeep(step, exchange)
        applied_in_part = False
        if step.diagnose_parts is not None:
            applied_in_part = self._diagnose_parts(step, step.diagnose_parts, exchange, body)
        held = True
        for expectation in step.expect:
            if expectation.dialect is not None and not self._in_dialect(expectation.dialect):
                continue
            held &= self._judge(expectation, exchange, _rejected_patch(step, exchange, body))
        if applied_in_part and not exchange.ok and step.diagnose_parts is not None:
            self._workaround(
                f"only with each part of Entra's PATCH sent alone (step {step.name!r}); "
                f"Entra's own request was refused ({step.diagnose_parts.check})"
            )
        if not exchange.ok and step.fallback is not None:
            # Entra's request failed (and is judged above); a plainer one lets the sequence go
            # on judging everything else.
            fallback, _ = self._send(step, step.fallback, label=f"{step.name} (fallback)")
            if fallback.ok:
                exchange = fallback
                captured = self._capture(step, exchange)
                self._bookkeep(step, exchange)
                self._workaround(
                    f"only with scimcheck's plainer fallback request (step {step.name!r}); "
                    "Entra's own request was refused"
                )
        if step.stop_on_failure and not (exchange.ok and captured):
            self.scim.abort(
                f"step {step.name!r} did not succeed, so the rest of the sequence cannot run"
            )
        return (exchange.ok or applied_in_part) and held

    def _is_set(self, name: str) -> bool:
        try:
            lookup(self.variables, name)
        except MissingVariable:
            return False
        return True

    def _in_dialect(self, name: str) -> bool:
        return self.dialect is not None and self.dialect.value == name

    def _send(
        self, step: Step, request: Request, label: str | None = None
    ) -> tuple[Exchange, Any]:
        """Send the request (diagnosing op-name case if asked); the answer and the body sent."""
        variables = self._fresh()
        path = render_path(request.path, variables)
        query = {k: str(render(v, variables)) for k, v in request.query.items()}
        headers = {k: str(render(v, variables)) for k, v in request.headers.items()}
        template = request.body_for(self.dialect.value if self.dialect else None)
        body = None if template is NO_BODY else render(template, variables)
        label = label or step.name
        first = self.scim.send(
            request.method, path, params=query or None, body=body, headers=headers or None,
            authenticated=request.auth, label=label,
            deliberately_invalid=request.deliberately_invalid,
        )
        if not (request.diagnose_op_case and self.dialect is Dialect.LEGACY):
            return first, body
        if first.ok:
            self.scim.check("patch.capitalised-ops", True)
            return first, body
        if not isinstance(body, dict) or not isinstance(body.get("Operations"), list):
            return first, body
        operations = body["Operations"]
        lowered = {**body, "Operations": lowercase_ops(operations)}
        retry = self.scim.send(
            request.method, path, body=lowered,
            label=f"{label} (diagnosis: same ops in lowercase)",
        )
        if retry.ok:
            self.scim.check(
                "patch.capitalised-ops",
                False,
                f"{first.summary()}: Entra's PATCH with op {operations[0].get('op')!r} was "
                f"rejected, the same ops in lowercase were accepted: {first.describe_body(200)}",
                first,
                # what its script expects of Entra's PATCH: accepted (RFC 7644 §3.5.2)
                judgement=Judgement("patch.capitalised-ops", status=_PATCH_ACCEPTED),
            )
            self._workaround(
                f"only with lowercase op names (step {step.name!r}); Entra's own PATCH with op "
                f"{operations[0].get('op')!r} was refused (patch.capitalised-ops)"
            )
            return retry, lowered
        return first, body

    def _diagnose_parts(
        self, step: Step, spec: PartsDiagnosis, exchange: Exchange, body: Any
    ) -> bool:
        """Charge a rejected PATCH to the part(s) at fault; whether any part was applied."""
        if exchange.ok or not isinstance(body, dict):
            if spec.rejected:
                self.variables[spec.rejected] = []
            return False
        request = step.request
        assert request is not None
        path = render_path(request.path, self.variables)
        rejected: dict[str, Exchange] = {}
        checks_of: dict[str, str] = {}
        applied = False
        for attribute, operation, pathless in _parts(body.get("Operations")):
            dotted = pathless and "." in attribute and not attribute.lower().startswith("urn:")
            checks_of[attribute] = (spec.dotted_keys_check or spec.check) if dotted else spec.check
            alone = self.scim.send(
                "PATCH", path, body={**body, "Operations": [operation]},
                label=f"diagnosis: {attribute} alone",
            )
            if alone.ok:
                applied = True
            else:
                rejected[attribute] = alone
        if spec.rejected:
            self.variables[spec.rejected] = list(rejected)
        problems: dict[str, list[str]] = {}
        for attribute, answer in rejected.items():
            problems.setdefault(checks_of[attribute], []).append(
                f"{attribute} alone: {answer.summary()}: {answer.describe_body(160)}"
            )
        if not rejected:  # each alone was fine: the combination Entra sends is what fails
            for check_id in set(checks_of.values()):
                problems[check_id] = [
                    "every attribute was accepted alone, but not in the one PATCH Entra sends"
                ]
        also = ""
        if request.diagnose_op_case and self.dialect is Dialect.LEGACY:
            also = " (the same operations with lowercase op names were rejected too)"
        spelled = f" ({self.dialect.value} dialect)" if self.dialect else ""
        for check_id, found in problems.items():
            self.scim.check(
                check_id,
                False,
                f"Entra's PATCH{spelled} was rejected: {exchange.summary()}: "
                f"{exchange.describe_body(200)}{also}. " + "; ".join(found),
                exchange,
            )
        return applied

    def _capture(self, step: Step, exchange: Exchange) -> bool:
        """Set the step's variables from the answer (only from a 2xx answer, except ``status``);
        whether every one was found."""
        found = True
        for name, source in step.capture.items():
            value: Any = MISSING
            if source == "status":
                value = exchange.status
            elif source.startswith("header."):
                value = exchange.header(source.removeprefix("header.")) or MISSING
            elif source == "body":
                value = exchange.json()
            else:
                value = resolve(exchange.json(), source.removeprefix("body."))
            if value is not MISSING and value is not None and (exchange.ok or source == "status"):
                self.variables[name] = value
            else:  # a value captured earlier stays (e.g. the userName before an update)
                found = False
        return found

    def _bookkeep(self, step: Step, exchange: Exchange) -> None:
        if not exchange.ok:
            return
        try:
            if step.created is not None:
                self.scim.created(render_path(step.created, self.variables), step.name)
            if step.deleted is not None:
                self.scim.deleted(render_path(step.deleted, self.variables))
        except MissingVariable:
            return

    def _judge(self, expectation: Expectation, exchange: Exchange, context: str = "") -> bool:
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
        if _is_error_without_envelope(exchange, body):
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
            return _judge_values(assertion.kind, expected, got, before, skip)
        if assertion.kind == "counts":
            return _judge_counts(at, got, str(expected), resolve(body, str(expected)))
        if assertion.kind in _META_KINDS:
            return self._judge_meta(assertion.kind, at, expected, got, exchange)
        return _judge_assertion(assertion.kind, at, expected, got)

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


def _rejected_patch(step: Step, exchange: Exchange, body: Any) -> str:
    """For a rejected PATCH whose op case was diagnosed: what Entra sent, and that lowercase
    ops did not help either (so the message names the operations, not the op spelling)."""
    request = step.request
    if exchange.ok or request is None or not request.diagnose_op_case:
        return ""
    operations = body.get("Operations") if isinstance(body, dict) else None
    if not isinstance(operations, list):
        return ""
    sent = repr(operations)
    sent = sent if len(sent) <= 300 else sent[:299] + "…"
    also = ""
    if any(str(o.get("op", "")) != str(o.get("op", "")).lower() for o in operations
           if isinstance(o, dict)):
        also = "; the same operations with lowercase op names were rejected too"
    return f"; Entra sent Operations {sent}{also}"


def _parts(operations: Any) -> list[tuple[str, dict[str, Any], bool]]:
    """Each part of a PatchOp that can be sent alone: ``(attribute path, operation, whether it
    is a key of a path-less value)``."""
    parts: list[tuple[str, dict[str, Any], bool]] = []
    for operation in operations if isinstance(operations, list) else []:
        if not isinstance(operation, dict):
            continue
        value = operation.get("value")
        if operation.get("path") is None and isinstance(value, dict):
            for key, item in value.items():
                parts.append((str(key), {**operation, "value": {key: item}}, True))
        else:
            parts.append((str(operation.get("path")), operation, False))
    return parts


VALUES_KINDS = ("has_values", "updated", "exact_values")
"""The assertion kinds that compare a map of attribute paths to the values sent."""


def _judge_values(
    kind: str, sent: Any, resource: Any, before: Any, skip: Any
) -> str | None:
    """``has_values``: each attribute holds what was sent, up to whitespace and letter-case
    normalisation (RFC 7644 §3.3 lets a server alter what it stores; Entra keeps working);
    truncation, lost characters and changed Unicode fail it. ``exact_values``: each attribute
    that ``has_values`` accepts holds exactly what was sent (the normalised ones fail it).
    With ``before``, attributes still at their old value are left to ``updated``.
    ``updated``: each attribute moved off its ``before`` value (a different new value is left
    to ``has_values``)."""
    if not isinstance(sent, dict):
        return f"cannot be judged: expected a map of attribute paths, got {sent!r}"
    old = before if isinstance(before, dict) else {}
    skipped = set(skip) if isinstance(skip, list) else set()
    problems: list[str] = []
    for path, value in sent.items():
        if path in skipped:
            continue
        got = get_path(resource, path)
        if values_match(value, got):
            continue
        unchanged = got is MISSING or (path in old and values_match(old[path], got))
        if kind == "updated":
            if unchanged:
                problems.append(f"{path} is still {show(got)}, PATCH sent {value!r}")
            continue
        if before and unchanged:
            continue  # not applied: updated's finding
        only_normalised = values_match_normalised(value, got)
        if only_normalised and kind == "exact_values":
            problems.append(f"{path} sent {value!r}, returned {show(got)} (only whitespace or "
                            f"letter case differ)")
        elif not only_normalised and kind == "has_values":
            problems.append(f"{path} sent {value!r}, returned {show(got)}")
    return "; ".join(problems) or None


def _is_error_without_envelope(exchange: Exchange, body: Any) -> bool:
    if exchange.status is None or exchange.status < 400:
        return False
    schemas_listed = body.get("schemas") if isinstance(body, dict) else None
    return not (isinstance(schemas_listed, list) and ERROR_SCHEMA in schemas_listed)


def _as_list(value: Any) -> list[Any]:
    if value is MISSING or value is None:
        return []
    return value if isinstance(value, list) else [value]


def _hashable(value: Any) -> Any:
    return repr(value) if isinstance(value, dict | list) else value


def _judge_counts(at: str, got: Any, listed_at: str, listed: Any) -> str | None:
    """``at`` is a number equal to how many values ``listed_at`` holds, e.g. itemsPerPage and
    Resources (RFC 7644 §3.4.2: itemsPerPage is the number of resources returned on the page);
    a failure names the field that disagrees with the list, not the list."""
    size = len(_as_list(listed))
    if isinstance(got, int) and not isinstance(got, bool) and got == size:
        return None
    shown = "absent" if got is MISSING else repr(got)
    return f"{at} is {shown}, but {listed_at} holds {size} value(s): {at} must be {size}"


def _judge_assertion(kind: str, at: str, expected: Any, got: Any) -> str | None:
    """``None`` when the assertion holds, else what was wrong."""
    shown = "absent" if got is MISSING else repr(got)
    if kind == "equals":
        return None if got == expected else f"{at} is {shown}, expected {expected!r}"
    if kind == "not_equals":
        return None if got != expected else f"{at} is still {shown}"
    if kind == "equals_ignore_case":
        ok = isinstance(got, str) and got.lower() == str(expected).lower()
        return None if ok else f"{at} is {shown}, expected {expected!r} in any letter case"
    if kind == "is_boolean":
        ok = isinstance(got, bool) and got is expected
        return None if ok else f"{at} is {shown}, expected the JSON boolean {str(expected).lower()}"
    if kind == "ends_with":
        ok = isinstance(got, str) and got.rstrip("/").endswith(str(expected))
        return None if ok else f"{at} is {shown}, expected it to end with {expected!r}"
    if kind == "at_least":
        number = isinstance(got, int | float) and not isinstance(got, bool)
        ok = number and got >= int(expected)
        return None if ok else f"{at} is {shown}, expected a number of at least {expected}"
    if kind == "present":
        here = got is not MISSING and got not in (None, [], {}, "")
        if here == expected:
            return None
        return f"{at} is absent" if expected else f"{at} is present: {shown}"
    values = [_hashable(v) for v in _as_list(got)]
    wanted = [_hashable(v) for v in _as_list(expected)]
    if kind == "same_set":
        return None if set(values) == set(wanted) else f"{at} is {values}, expected {wanted}"
    if kind == "contains":
        missing = [w for w in wanted if w not in values]
        return None if not missing else f"{at} lacks {missing} (has {values})"
    if kind == "excludes":
        present = [w for w in wanted if w in values]
        return None if not present else f"{at} still has {present}"
    if kind == "unique":
        repeats = sorted({str(v) for v in values if values.count(v) > 1})
        return None if not repeats else f"{at} repeats {repeats}"
    if kind == "count":
        return None if len(values) == int(expected) else (
            f"{at} has {len(values)} value(s), expected {expected}"
        )
    raise ValueError(f"unknown assertion kind {kind!r}")
