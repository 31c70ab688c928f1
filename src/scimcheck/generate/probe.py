"""One generated example's requests, and how their answers are compared and shown.

A :class:`Probe` sends through the run's sequence (so the generic checks apply): a 5xx or no
answer fails ``generated.no-server-error`` at once, except ``501 Not Implemented`` (RFC 7644
§3.12, RFC 7231 §6.6.2), which the check of the operation refused judges; a 4xx refusal is noted
for the advisory ``generated.values-accepted``. Values are compared as Entra reads them back
(RFC 7644 §3.3: whitespace and letter case may be normalised; anything else is a change).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from scimcheck.core.errors import RunStopped
from scimcheck.core.templates import MISSING
from scimcheck.entra import requests
from scimcheck.entra.comparison import values_match, values_match_normalised
from scimcheck.entra.paths import get_path
from scimcheck.generate.search import NO_SERVER_ERROR, PropertyFailed, example_chain
from scimcheck.http.curl import Judgement
from scimcheck.http.transport import Exchange, Outgoing
from scimcheck.scim import endpoints
from scimcheck.sequences.runner import Sequence

NOT_IMPLEMENTED = 501
"""RFC 7231 §6.6.2: the server does not support the functionality; not a crash."""


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
    settled: frozenset[str] = frozenset()
    """Checks this run already reported failed: a failure of one of them no longer stops the
    example (:meth:`fail`), and once ``generated.no-server-error`` is among them a 5xx answer
    is handed back, not raised (:meth:`server_error`), so later checks are still judged."""

    def fail(self, failure: PropertyFailed) -> None:
        """Stop the example with ``failure``, unless its check is already settled."""
        if failure.check_id not in self.settled:
            raise failure

    def server_error(self, answer: Exchange) -> bool:
        """Whether ``answer`` is a 5xx (but 501) or none: :meth:`send` hands it back only when
        ``generated.no-server-error`` is settled, and the step it answers judges nothing. A
        request scimcheck refused to send (the endpoint gave a created id twice: not this run's
        to change, ``resource.id-unique``'s finding) is not the server's error."""
        if answer.refused:
            return False
        return answer.status is None or (answer.status >= 500
                                         and answer.status != NOT_IMPLEMENTED)

    def refuse(self, answer: Exchange, sent: str) -> None:
        """Note a generated request the endpoint refused (generated.values-accepted)."""
        self.refused.append(f"{answer.summary()}: {answer.describe_body(160)}; sent {sent}")
        if not self.first_refused:
            self.first_refused.extend(example_chain(answer.shortened()))

    def send(self, method: str, path: str, **kwargs: Any) -> Exchange:
        """Send; a 5xx (but 501, an operation not supported, left to the caller's check) or no
        answer fails ``generated.no-server-error`` at once (unless it is settled). Once the
        transport calls the endpoint hostile, nothing more is sent: ``RunStopped``."""
        self._go_on(self.scim.transport.hostile)
        return self._no_server_error(self.scim.send(method, path, **kwargs))

    def send_all(self, requests: Iterable[Outgoing]) -> Iterator[Exchange]:
        """Send independent requests at once (``--in-flight``); their answers in submission
        order, each judged as :meth:`send` judges one when it is taken: ``RunStopped`` where a
        serial run would have stopped (the endpoint hostile before that request), a 5xx or no
        answer ``generated.no-server-error`` (unless it is settled)."""
        self._go_on(self.scim.transport.hostile)
        answers = self.scim.send_all(requests)

        def judged() -> Iterator[Exchange]:
            for answer in answers:
                self._go_on(self.scim.transport.hostile_before(answer))
                yield self._no_server_error(answer)

        return judged()

    @staticmethod
    def _go_on(hostile: str | None) -> None:
        if hostile is not None:
            raise RunStopped(f"not evaluated: the generated search stopped early: {hostile}")

    def _no_server_error(self, answer: Exchange) -> Exchange:
        if self.server_error(answer):
            self.fail(PropertyFailed(
                NO_SERVER_ERROR,
                f"{answer.summary()}: {answer.error or answer.describe_body(200)}",
                answer,
            ))
        return answer

    def create_user(self, values: dict[str, Any]) -> str | None:
        """POST the user as Entra would; its id, or ``None`` when the endpoint refused it."""
        create = requests.create_user(values)
        answer = self.send(create.method, create.path, body=create.body,
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
        return answer, stored(answer)

    def find_by_user_name(self, user_name: str, label: str) -> tuple[Exchange, list[Any] | None]:
        """Entra's match query; the ids it found (``None`` when the answer is not a list)."""
        match = requests.match_user(user_name)
        answer = self.send(match.method, match.path, params=match.query, label=label)
        return answer, self.found_ids(answer)

    def found_ids(self, answer: Exchange) -> list[Any] | None:
        """The ids a match answer lists (``None`` when it is not a 200 with a list)."""
        resources = self.scim.list_resources(answer) if answer.status == 200 else None
        if resources is None:
            return None
        return [r.get("id") if isinstance(r, dict) else r for r in resources]

    def cleanup(self) -> None:
        """Delete what this example created (errors here never fail the property): its users
        at once (``--in-flight``), then anything else one by one, last created first."""
        order = list(reversed(self.created))
        users = [path for path in order if path.startswith(endpoints.USERS + "/")]
        batches = [users] if users else []
        batches += [[path] for path in order if path not in users]
        for batch in batches:
            answers = self.scim.transport.send_many(
                Outgoing("DELETE", path, label="delete the generated user") for path in batch)
            for path, answer in zip(batch, answers, strict=True):
                if answer.ok or answer.status == 404:
                    self.scim.deleted(path)
        self.created.clear()


def stored(answer: Exchange) -> dict[str, Any] | None:
    """A read's body when it is a 200 with a JSON object."""
    body = answer.json()
    return body if answer.status == 200 and isinstance(body, dict) else None


def user_read(user_id: str, label: str) -> Outgoing:
    """A GET of the user, for :meth:`Probe.send_all`."""
    return Outgoing("GET", endpoints.user(user_id), label=label)


def show(value: Any) -> str:
    """A value for a message: JSON with every non-ASCII character escaped, so invisible ones
    (combining marks, no-break spaces) can be seen."""
    return json.dumps(value, ensure_ascii=True)


SHOWN_IDS = 5


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
        line = f"{path} sent {show(value)}, stored {shown_or_absent(got)}"
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
            unjudged.append(f"{path} is {shown_or_absent(value)}")
        elif isinstance(value, str):  # normalised whitespace or case is another check's
            body.append((path, "equals_normalised", value))
        elif isinstance(value, bool | int | float):
            body.append((path, "equals", value))
        else:
            unjudged.append(f"{path} is {shown_or_absent(value)}")
    return Judgement(check_id, status=(200,), body=tuple(body), unjudged=tuple(unjudged),
                     by_hand="; ".join(unjudged))


def shown_or_absent(value: Any) -> str:
    """A value for a message, or ``absent`` when the resource does not hold it."""
    return "absent" if value is MISSING else show(value)

