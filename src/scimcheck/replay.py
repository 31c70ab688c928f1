"""Replay a sequence file against the target: render each step, send it, judge the answer.

A step whose placeholders cannot be filled (an earlier step did not capture an id), or whose
``after`` step failed, is not sent and its checks are not evaluated: one defect shows as one
failed check, not a cascade. Variables every file can use are listed in docs/sequences.md.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from scimcheck import schemas
from scimcheck.dialects import Dialect, boolean, lowercase_ops, op
from scimcheck.endpoints import ERROR_SCHEMA
from scimcheck.sequence import Sequence
from scimcheck.sequence_files import (
    NO_BODY,
    Assertion,
    Expectation,
    Request,
    SequenceFile,
    Step,
)
from scimcheck.templates import MISSING, MissingVariable, render, render_path, resolve
from scimcheck.transport import Exchange
from scimcheck.userdata import GroupFactory, UserFactory

_LIST_KINDS = {"list-of-users": "user", "list-of-groups": "group"}


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

    def run(self) -> None:
        """Replay every step in order."""
        for step in self.spec.steps:
            self.succeeded[step.name] = self._step(step)

    def _fresh(self) -> dict[str, Any]:
        # values that are new at every use: {new.guid}, {new.serial}
        fresh = {"guid": str(uuid.uuid4()), "serial": secrets.token_hex(4)}
        return {**self.variables, "new": fresh}

    def _step(self, step: Step) -> bool:
        if step.dialect is not None and not self._in_dialect(step.dialect):
            return False
        if step.after is not None and not self.succeeded.get(step.after, False):
            return False
        for name, kind in step.generate.items():
            entity = (
                self.factories.users.new_user() if kind == "user"
                else self.factories.groups.new_group()
            )
            self.variables[name] = entity.variables()
        if step.request is None:
            return True
        try:
            exchange = self._send(step, step.request)
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
        held = True
        for expectation in step.expect:
            if expectation.dialect is not None and not self._in_dialect(expectation.dialect):
                continue
            held &= self._judge(expectation, exchange)
        if not exchange.ok and step.fallback is not None:
            # Entra's request failed (and is judged above); a plainer one lets the sequence go
            # on judging everything else.
            fallback = self._send(step, step.fallback, label=f"{step.name} (fallback)")
            if fallback.ok:
                exchange = fallback
                captured = self._capture(step, exchange)
                self._bookkeep(step, exchange)
        if step.stop_on_failure and not (exchange.ok and captured):
            self.scim.abort(
                f"step {step.name!r} did not succeed, so the rest of the sequence cannot run"
            )
        return exchange.ok and held

    def _in_dialect(self, name: str) -> bool:
        return self.dialect is not None and self.dialect.value == name

    def _send(self, step: Step, request: Request, label: str | None = None) -> Exchange:
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
            return first
        if first.ok:
            self.scim.check("patch.capitalised-ops", True)
            return first
        if not isinstance(body, dict) or not isinstance(body.get("Operations"), list):
            return first
        operations = body["Operations"]
        retry = self.scim.send(
            request.method, path, body={**body, "Operations": lowercase_ops(operations)},
            label=f"{label} (diagnosis: same ops in lowercase)",
        )
        if retry.ok:
            self.scim.check(
                "patch.capitalised-ops",
                False,
                f"{first.summary()}: Entra's PATCH with op {operations[0].get('op')!r} was "
                f"rejected, the same ops in lowercase were accepted: {first.describe_body(200)}",
                first,
            )
            return retry
        return first

    def _capture(self, step: Step, exchange: Exchange) -> bool:
        """Set the step's variables from the answer; whether every one was found."""
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
            else:
                self.variables.pop(name, None)
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

    def _judge(self, expectation: Expectation, exchange: Exchange) -> bool:
        """Evaluate one expectation; a schema-only one is judged on 2xx answers alone (an
        error answer is judged by the error checks every response gets)."""
        schema_only = expectation.schema is not None and not (
            expectation.status or expectation.body or expectation.headers_present
        )
        if schema_only and not exchange.ok:
            return True
        unmet: list[str] = []
        if exchange.status is None:
            unmet.append(f"no answer: {exchange.error}")
        else:
            unmet += self._conditions(expectation, exchange)
        prefix = ""
        if expectation.message:
            try:
                prefix = str(render(expectation.message, self.variables)) + ": "
            except MissingVariable:
                prefix = expectation.message + ": "
        said = ""
        if unmet and exchange.status is not None and exchange.status >= 400:
            said = f" (the endpoint said: {exchange.describe_body(200)})"
        message = f"{prefix}{exchange.summary()}: " + "; ".join(unmet) + said
        return self.scim.check(expectation.check, not unmet, message, exchange)

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
        if expectation.schema is not None:
            if body is None:
                unmet.append(f"the body is not JSON: {exchange.describe_body(120)}")
            else:
                kind = expectation.schema
                problems = (
                    schemas.validate_list(body, _LIST_KINDS[kind]) if kind in _LIST_KINDS
                    else schemas.validate(kind, body)
                )
                unmet += [f"{p.path}: {p.message}" for p in problems[:3]]
        if _is_error_without_envelope(exchange, body):
            return unmet  # its details are error.scim-envelope's finding, not this check's
        for assertion in expectation.body:
            problem = self._assertion(assertion, body)
            if problem:
                unmet.append(problem)
        return unmet

    def _assertion(self, assertion: Assertion, body: Any) -> str | None:
        try:
            expected = render(assertion.expected, self.variables)
        except MissingVariable as missing:
            return f"{assertion.at}: cannot be judged, {{{missing.name}}} is not set"
        got = resolve(body, assertion.at)
        return _judge_assertion(assertion.kind, assertion.at, expected, got)


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
