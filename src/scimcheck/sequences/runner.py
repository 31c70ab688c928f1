"""A replayed sequence: sends requests through the transport and records check verdicts.

Checks are soft: a failed check is recorded and the sequence goes on, so one run shows every
problem. ``require`` stops the sequence when a later step could not mean anything (no ``id``
came back from create, say). Resources the sequence created are deleted at the end unless the
sequence deleted them itself (only those: scimcheck never touches anything it did not create).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from scimcheck.checks import registry as checks
from scimcheck.checks.registry import Check
from scimcheck.core.errors import DEADLINE_REACHED, HarnessError, RunStopped, SequenceAborted
from scimcheck.entra.dialects import Dialect
from scimcheck.http.curl import Judgement
from scimcheck.http.transport import Exchange, Outgoing, Transport
from scimcheck.scim import endpoints, ownership, schemas


@dataclass(frozen=True)
class Evaluation:
    """One verdict of one check at one step."""

    check: Check
    passed: bool
    message: str
    exchange: int | None
    dialect: str | None
    repro: str | None = None
    """A curl script of the request chain that shows the failure, when there is one."""
    evaluated: bool = True
    """False when the check's assertion never ran on a real answer (a precondition failed):
    ``message`` says why, and the check is reported not evaluated, never passed."""
    judgement: Judgement | None = None
    """What the check expected of the judged answer, as data its repro script evaluates."""
    workaround: str | None = None
    """For a pass: the diagnostic retry it depended on (Entra's own request was refused and
    scimcheck went on with a changed one), so it is reported as such, never as a plain pass."""


CLEANUP_RETRY_WAITS_S = (0.5, 1.0)
"""Pauses before sending a cleanup DELETE answered 5xx again."""


class Sequence:
    """The state of one replayed sequence (one pytest item)."""

    def __init__(self, transport: Transport, *, dialect: Dialect | None, strict: bool) -> None:
        self.transport = transport
        self.dialect = dialect
        self.strict = strict
        self.evaluations: list[Evaluation] = []
        self.notes: list[str] = []
        self._created: dict[str, str] = {}
        # creates sent whose answer did not confirm an id (interrupted, lost, refused):
        # (collection path, matching attribute, value), swept at cleanup by exact match
        self._unconfirmed: list[tuple[str, str, str]] = []
        self._media_judged = False
        self._patch_judged = False
        self._body_judged = False
        self._echo_judged = False
        self.stop_at: float | None = None
        """The run deadline (``time.time()`` seconds): past it, :meth:`send` raises
        ``RunStopped`` and the test's rest is not evaluated; cleanup still runs."""
        self.stop_reason = DEADLINE_REACHED
        self.workaround: str | None = None
        """Set once a request was answered only after a diagnostic retry changed Entra's request
        (media types): every later pass of this test depended on it."""
        self.step_workaround: str | None = None
        """The same for the current step of a replayed sequence file (set by the replay)."""

    # --- verdicts ------------------------------------------------------------------------------
    def check(
        self,
        check_id: str,
        passed: bool,
        message: str = "",
        exchange: Exchange | None = None,
        repro: str | None = None,
        judgement: Judgement | None = None,
    ) -> bool:
        """Record a verdict; returns ``passed`` so callers can branch on it."""
        self.evaluations.append(
            Evaluation(
                check=checks.get(check_id),
                passed=passed,
                message="" if passed else message,
                exchange=exchange.index if exchange else None,
                dialect=self.dialect.value if self.dialect else None,
                repro=None if passed else repro,
                judgement=None if passed else judgement,
                workaround=(self.workaround or self.step_workaround) if passed else None,
            )
        )
        return passed

    def not_evaluated(self, check_id: str, reason: str) -> None:
        """Record that ``check_id`` was not judged here, and why (a precondition failed): a
        check passes only when its assertion ran on a real answer."""
        self.evaluations.append(
            Evaluation(
                check=checks.get(check_id), passed=True, message=reason, exchange=None,
                dialect=self.dialect.value if self.dialect else None, evaluated=False,
            )
        )

    def keep_exchanges(self, also: Iterable[Exchange] = ()) -> None:
        """Forget the exchanges no failure points at (a property search sends thousands),
        keeping ``also`` (a failure's minimal chain), in the order they were sent."""
        also = list(also)
        wanted = {e.exchange for e in self.evaluations if not e.passed}
        wanted |= {x.index for x in also}
        kept = [x for x in self.transport.exchanges if x.index in wanted]
        present = {x.index for x in kept}
        kept += [x for x in also if x.index not in present]  # one already forgotten
        kept.sort(key=lambda x: x.index)
        self.transport.exchanges[:] = kept

    def abort(self, reason: str) -> None:
        """Stop the sequence: a prerequisite failed (and was recorded by its own check)."""
        raise SequenceAborted(reason)

    def failures(self) -> list[Evaluation]:
        """Failed verdicts, in order."""
        return [e for e in self.evaluations if not e.passed]

    def run_failures(self) -> list[Evaluation]:
        """Failed verdicts at a level that fails the run."""
        return [e for e in self.failures() if e.check.level.fails_run(self.strict)]

    # --- requests ------------------------------------------------------------------------------
    def send(
        self, method: str, path: str, *, deliberately_invalid: bool = False, **kwargs: Any
    ) -> Exchange:
        """Send a request and apply the checks every response gets.

        PATCH bodies are first validated against ``schemas/scim/patch-op.schema.json``: a
        request scimcheck builds wrongly is a harness bug, never the endpoint's fault (unless
        the request is ``deliberately_invalid``, to test the endpoint's error answer). Past the
        run deadline nothing more is sent: ``RunStopped`` (cleanup sends through the transport).
        """
        self._may_send(method, path, kwargs.get("body"), deliberately_invalid)
        attempt = self._create_attempt(method, path, kwargs.get("body"))
        if attempt is not None:
            self._unconfirmed.append(attempt)
        ledger = ownership.ledger_of(self.transport)
        defects = len(ledger.defects) if ledger is not None else 0
        exchange = self._answered(self.transport.send(method, path, **kwargs), method, path,
                                  kwargs)
        created_id = exchange.json().get("id") if isinstance(exchange.json(), dict) else None
        if attempt is None or not exchange.ok or not isinstance(created_id, str) or not created_id:
            return exchange
        if ledger is not None:
            found = ledger.defects[defects:]
            self.check("resource.id-unique", not found,
                       f"{exchange.summary()}: {'; '.join(found)}", exchange)
        if self.transport.owns(f"{attempt[0]}/{quote(created_id, safe='')}"):
            self._unconfirmed.remove(attempt)  # else swept at cleanup by the name sent
        return exchange

    def send_all(self, requests: Iterable[Outgoing]) -> Iterator[Exchange]:
        """Send independent requests at once (``--in-flight``, issue 18 §2), then give their
        answers in submission order, each judged as :meth:`send` judges one when it is taken
        (so checks are recorded in a serial run's order, up to where the caller stops). A
        create is sent on its own (:meth:`send`: the ledger's verdict is per create)."""
        batch = list(requests)
        for request in batch:
            if self._create_attempt(request.method, request.path, request.body) is not None:
                raise HarnessError(f"a create ({request.path}) cannot go in a batch")
            self._may_send(request.method, request.path, request.body)
        pending = deque(zip(batch, self.transport.send_many(batch), strict=True))

        def judged() -> Iterator[Exchange]:
            while pending:  # each answer let go once taken: a list's parse can be 80 MB
                request, answer = pending.popleft()
                yield self._answered(answer, request.method, request.path,
                                     request.arguments())

        return judged()

    def _may_send(self, method: str, path: str, body: Any, invalid: bool = False) -> None:
        """Past the run deadline nothing more is sent; a PatchOp scimcheck built must be valid
        (``schemas/scim/patch-op.schema.json``) unless it is deliberately ``invalid``."""
        if self.stop_at is not None and time.time() >= self.stop_at:
            raise RunStopped(self.stop_reason)
        if method == "PATCH" and not invalid:
            problems = schemas.validate("patch-op", body)
            if problems:
                raise HarnessError(
                    f"scimcheck built an invalid PatchOp for {path}: "
                    + "; ".join(f"{p.path}: {p.message}" for p in problems)
                )

    def _answered(
        self, exchange: Exchange, method: str, path: str, kwargs: dict[str, Any]
    ) -> Exchange:
        """What every answer gets: the generic checks, the media-type diagnosis, and (once)
        ``patch.implemented``."""
        self.generic_checks(exchange)
        exchange = self._diagnose_media_types(exchange, method, path, kwargs)
        if method == "PATCH" and not self._patch_judged and (exchange.ok or exchange.status == 405):
            self._patch_judged = True
            self.check(
                "patch.implemented",
                exchange.ok,
                f"{exchange.summary()}: the endpoint does not accept PATCH; "
                f"Allow: {exchange.header('Allow') or 'not given'}",
                exchange,
                # its script expects the PATCH applied: 200 or 204 (RFC 7644 §3.5.2)
                judgement=Judgement("patch.implemented", status=(200, 204)),
            )
        return exchange

    def _diagnose_media_types(
        self, exchange: Exchange, method: str, path: str, kwargs: dict[str, Any]
    ) -> Exchange:
        """Entra's headers refused (D16)? Resend with the ones the endpoint wants, record the
        finding once, and go on with that answer so the other checks still judge the endpoint.
        """
        if exchange.status == 415 and kwargs.get("body") is not None:
            check_id, header = "request.entra-content-type", {"Content-Type": "application/json"}
            what = "a body sent as 'application/scim+json; charset=utf-8', as Entra sends it"
        elif exchange.status == 406 and method == "GET":
            check_id, header = "request.get-without-accept", {"Accept": "application/scim+json"}
            what = "a GET with no Accept header, as Entra sends it"
        else:
            if exchange.ok and method == "GET" and not self._media_judged:
                self._media_judged = True
                self.check("request.get-without-accept", True)
            if exchange.ok and kwargs.get("body") is not None and not self._body_judged:
                self._body_judged = True
                self.check("request.entra-content-type", True)
            return exchange
        retry_kwargs = {**kwargs, "headers": {**(kwargs.get("headers") or {}), **header}}
        retry_kwargs["label"] = f"{kwargs.get('label', '')} (diagnosis: with {header})".strip()
        retry = self.transport.send(method, path, **retry_kwargs)
        if retry.status not in (406, 415):
            self.check(
                check_id,
                False,
                f"{exchange.summary()}: the endpoint refused {what}; with {header} it answered "
                f"{retry.status}",
                exchange,
            )
            sent = ", ".join(f"{name}: {value}" for name, value in header.items())
            self.workaround = self.workaround or (
                f"only with the header {sent}; Entra's own request was refused ({check_id})"
            )
            self.generic_checks(retry)
            return retry
        return exchange

    @staticmethod
    def _create_attempt(method: str, path: str, body: Any) -> tuple[str, str, str] | None:
        if method != "POST" or not isinstance(body, dict):
            return None
        for collection, attribute in ((endpoints.USERS, "userName"),
                                      (endpoints.GROUPS, "displayName")):
            value = body.get(attribute)
            if path.rstrip("/") == collection and isinstance(value, str):
                return collection, attribute, value
        return None

    def generic_checks(self, exchange: Exchange) -> None:
        """Content type on bodies, and the Error envelope on 4xx/5xx (RFC 7644 §3.12, §8.1)."""
        if exchange.status is None:
            return
        # messages are built only for a failure: these run on every one of a run's requests
        if exchange.token_echoed or not self._echo_judged:
            self._echo_judged = True
            self.check(
                "auth.token-not-echoed",
                not exchange.token_echoed,
                f"{exchange.summary()}: the answer repeats the bearer token (shown here as "
                f"<redacted>)" if exchange.token_echoed else "",
                exchange,
            )
        if exchange.response_body.strip():
            media = exchange.content_type.split(";")[0].strip().lower()
            scim_json = media == "application/scim+json"
            self.check(
                "response.scim-content-type",
                scim_json,
                "" if scim_json else
                f"{exchange.summary()}: Content-Type is {exchange.content_type or 'absent'!r}",
                exchange,
            )
            self.check(
                "response.utf8",
                exchange.valid_utf8,
                "" if exchange.valid_utf8 else
                f"{exchange.summary()}: {exchange.body_problem}, though JSON must be; "
                f"shown decoded as {exchange.describe_body(120)}",
                exchange,
            )
        if exchange.status >= 400:
            self.expect_schema("error.scim-envelope", "error", exchange)

    def expect_schema(self, check_id: str, kind: str, exchange: Exchange) -> bool:
        """The response body is JSON valid against ``schemas/`` for ``kind``."""
        body = exchange.json()
        if body is None:
            return self.check(
                check_id,
                False,
                f"{exchange.summary()}: the body is not JSON: {exchange.describe_body(200)}",
                exchange,
            )
        problems = schemas.validate(kind, body)
        if not problems:
            return self.check(check_id, True, exchange=exchange)
        detail = "; ".join(f"{p.path}: {p.message}" for p in problems[:3])
        return self.check(
            check_id, False, f"{exchange.summary()}: not a valid {kind}: {detail}", exchange
        )

    def expect_user_list(self, exchange: Exchange) -> None:
        """A query answer is a valid ListResponse whose Resources are valid Users."""
        self.expect_schema("schema.list-response", "list-response", exchange)
        body = exchange.json()
        resources = body.get("Resources") if isinstance(body, dict) else None
        if not isinstance(resources, list) or not resources:
            return
        problems = [
            p for p in schemas.validate_list(body, "user")
            if p.path.startswith("/Resources/")
        ]
        detail = "; ".join(f"{p.path}: {p.message}" for p in problems[:3])
        message = f"{exchange.summary()}: not valid Users: {detail}" if problems else ""
        self.check("schema.user", not problems, message, exchange)

    def filter_users(self, expression: str, label: str, **kwargs: Any) -> Exchange:
        """``GET /Users?filter=…`` as Entra sends it."""
        params = {"filter": expression}
        return self.send("GET", endpoints.USERS, params=params, label=label, **kwargs)

    def list_resources(self, exchange: Exchange) -> list[Any] | None:
        """The ``Resources`` of a ListResponse (``[]`` when absent); ``None`` if not a list."""
        body = exchange.json()
        if not isinstance(body, dict):
            return None
        resources = body.get("Resources", [])
        return resources if isinstance(resources, list) else None

    def created(self, path: str, description: str) -> None:
        """Remember a resource this sequence created, for cleanup."""
        self._created[path] = description

    def deleted(self, path: str) -> None:
        """Forget a resource the sequence deleted itself."""
        self._created.pop(path, None)

    def cleanup(self) -> list[str]:
        """Delete what this sequence created and did not delete; returns problems, if any."""
        problems: list[str] = []
        ledger = ownership.ledger_of(self.transport)
        for path, description in reversed(list(self._created.items())):
            if ledger is not None and ledger.accounted(path):
                continue  # gone already, or not ours: its create is looked up by name below
            exchange = self._delete(path, f"cleanup: {description}")
            if not (exchange.ok or exchange.status == 404):
                problems.append(f"could not delete {description} ({exchange.summary()})")
        self._created.clear()
        sweeps = dict.fromkeys(self._unconfirmed)
        if ledger is not None:  # creates whose id another create was given too
            sweeps.update(dict.fromkeys((collection, ownership.NAME_OF[collection], name)
                                        for collection, name in ledger.revoked))
            ledger.revoked.clear()
        for collection, attribute, value in sweeps:
            problems += self._sweep(collection, attribute, value)
        self._unconfirmed.clear()
        return problems

    def _delete(self, path: str, label: str) -> Exchange:
        """A cleanup DELETE, sent again up to twice after a 5xx (DELETE is idempotent, RFC
        9110 §9.2.2; the transport already repeats 429/503 and cut connections)."""
        exchange = self.transport.send("DELETE", path, label=label)
        for wait in CLEANUP_RETRY_WAITS_S:
            if exchange.status is None or exchange.status < 500:
                break
            time.sleep(wait)
            exchange = self.transport.send("DELETE", path, label=f"{label} (again)")
        return exchange

    def _sweep(self, collection: str, attribute: str, value: str) -> list[str]:
        """Delete what a create whose answer never confirmed it may have made: only resources
        whose matching attribute is exactly the value this sequence sent."""
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        found = self.transport.send(
            "GET", collection, params={"filter": f'{attribute} eq "{escaped}"'},
            label=f"cleanup: look for {value!r}",
        )
        body = found.json()
        resources = body.get("Resources") if isinstance(body, dict) else None
        if not found.ok or not isinstance(resources, list):
            if found.ok and isinstance(body, dict) and body.get("totalResults") == 0:
                return []  # an empty answer may leave Resources out (RFC 7644 §3.4.2)
            return [f"could not look for {value!r}, created by a request whose answer was "
                    f"lost ({found.summary()}); it may be left"]
        problems: list[str] = []
        for resource in resources:
            if not isinstance(resource, dict) or not isinstance(resource.get("id"), str):
                continue
            if str(resource.get(attribute, "")).lower() != value.lower():
                continue
            path = f"{collection}/{quote(resource['id'], safe='')}"
            if not self.transport.owns(path) and not self.transport.adopt(path, value):
                continue  # its own representation does not name this run: never ours to delete
            gone = self._delete(path, f"cleanup: {value!r}")
            if not (gone.ok or gone.status == 404):
                problems.append(f"could not delete {value!r} ({gone.summary()})")
        return problems


def describe_failures(evaluations: Iterable[Evaluation]) -> str:
    """Failure lines for a report: each failed check once, with its first message, how often
    it failed, what Entra will do, the usual fix and the source."""
    grouped: dict[str, list[Evaluation]] = {}
    for e in evaluations:
        grouped.setdefault(e.check.id, []).append(e)
    lines: list[str] = []
    for failures in grouped.values():
        first, check = failures[0], failures[0].check
        where = f" [{first.dialect}]" if first.dialect else ""
        step = f" (exchange #{first.exchange})" if first.exchange else ""
        lines.append(f"✗ {check.id} [{check.level}]{where}{step}")
        lines.append(f"    {first.message}")
        if len(failures) > 1:
            lines.append(f"    (and {len(failures) - 1} more failure(s) of this check)")
        lines.append(f"    Under Entra: {check.consequence}")
        lines.append(f"    Fix: {check.fix}")
        lines.append(f"    Source: {check.source} <{check.url}>")
    return "\n".join(lines)
