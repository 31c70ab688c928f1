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

from scimcheck.core.errors import MissingVariable, SequenceAborted
from scimcheck.core.templates import MISSING, lookup, names, render_path, resolve
from scimcheck.entra.dialects import Dialect, boolean, lowercase_ops, op
from scimcheck.entra.userdata import GroupFactory, UserFactory
from scimcheck.http.curl import Judgement
from scimcheck.http.transport import Exchange
from scimcheck.sequences.expectations import Judge
from scimcheck.sequences.files import PartsDiagnosis, Request, SequenceFile, Step
from scimcheck.sequences.rendering import render_request
from scimcheck.sequences.runner import Sequence

_PATCH_ACCEPTED = (200, 204)
"""The answers to a PATCH that was applied (RFC 7644 §3.5.2)."""


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
        self.judge = Judge(scim, self.variables)
        self.steps_at: list[tuple[int, Step]] = []
        """Each step reached, with the number of verdicts before it: a failure can then quote
        the steps whose verdicts failed."""
        self.workarounds: dict[str, str] = {}
        """step or captured variable → the diagnostic retry its success depended on: a step
        that runs after such a step, or uses what it captured, passes only with a workaround."""

    def run(self) -> None:
        """Replay every step in order. A pass that waits for a later step (``completed_by``)
        becomes "not evaluated", with the reason, when that step was not judged."""
        stopped = ""
        try:
            for step in self.spec.steps:
                self.judge.step_name = step.name
                self.steps_at.append((len(self.scim.evaluations), step))
                self.succeeded[step.name] = self._step(step)
        except SequenceAborted as abort:
            stopped = f": the sequence stopped before it ({abort})"
            raise
        finally:
            self.scim.step_workaround = None
            for check_id, (early, later) in self.judge.pending.items():
                if (later, check_id) not in self.judge.judged:
                    nothing = self.judge.nothing_judged.get((later, check_id))
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
            exchange, body, path = self._send(step, step.request)
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
            applied_in_part = self._diagnose_parts(step, step.diagnose_parts, exchange, body,
                                                   path)
        held = True
        for expectation in step.expect:
            if expectation.dialect is not None and not self._in_dialect(expectation.dialect):
                continue
            held &= self.judge.judge(expectation, exchange,
                                     _rejected_patch(step, exchange, body))
        if applied_in_part and not exchange.ok and step.diagnose_parts is not None:
            self._workaround(
                f"only with each part of Entra's PATCH sent alone (step {step.name!r}); "
                f"Entra's own request was refused ({step.diagnose_parts.check})"
            )
        if not exchange.ok and step.fallback is not None:
            # Entra's request failed (and is judged above); a plainer one lets the sequence go
            # on judging everything else.
            fallback, _, _ = self._send(step, step.fallback, label=f"{step.name} (fallback)")
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
    ) -> tuple[Exchange, Any, str]:
        """Send the request (diagnosing op-name case if asked); the answer, the body sent and
        the path it went to."""
        rendered = render_request(request, self._fresh(), self.dialect)
        body, path = rendered.body, rendered.path
        label = label or step.name
        first = self.scim.send(
            rendered.method, path, params=rendered.query or None, body=body,
            headers=rendered.headers or None, authenticated=request.auth, label=label,
            deliberately_invalid=request.deliberately_invalid,
        )
        if not (request.diagnose_op_case and self.dialect is Dialect.LEGACY):
            return first, body, path
        if first.ok:
            self.scim.check("patch.capitalised-ops", True)
            return first, body, path
        if not isinstance(body, dict) or not isinstance(body.get("Operations"), list):
            return first, body, path
        operations = body["Operations"]
        lowered = {**body, "Operations": lowercase_ops(operations)}
        retry = self.scim.send(
            rendered.method, path, body=lowered,
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
            return retry, lowered, path
        return first, body, path

    def _diagnose_parts(
        self, step: Step, spec: PartsDiagnosis, exchange: Exchange, body: Any, path: str
    ) -> bool:
        """Charge a rejected PATCH (sent to ``path``) to the part(s) at fault; whether any part
        was applied."""
        if exchange.ok or not isinstance(body, dict):
            if spec.rejected:
                self.variables[spec.rejected] = []
            return False
        request = step.request
        assert request is not None
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


