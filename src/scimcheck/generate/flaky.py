"""Whether a failure Hypothesis could not repeat shows an intermittent endpoint.

When Hypothesis replays a failing example and it passes, the endpoint is intermittent only if
the replay sent the request that failed and got a good answer this time. A replay that stopped
earlier proves nothing about that request: typically the replay's create is refused with 409
because the first run's user, deleted since, still holds its values on a server that keeps
deleted data (RFC 7644 §3.6 says a deleted resource is no longer available, yet such a server
keeps its unique values reserved). Then the failure is reported with that cause, never as
"intermittent".
"""

from __future__ import annotations

import json
from typing import Any

from scimcheck.http.transport import Exchange

CONFLICT = 409
SHOWN_SHARED = 5
"""How many shared values a cause names (the rest are counted)."""


def replay_fell_short(chain: list[Exchange], replay: list[Exchange]) -> str | None:
    """Why the ``replay`` of an example did not reach the request that failed in its first run
    (``chain``, which ends with that request); ``None`` when it reached it, every request
    before it answered as in the first run (so the failure did not repeat on equivalent state:
    the endpoint is intermittent), or when there is nothing to compare."""
    if not chain:
        return None
    failed = chain[-1]
    target = f"the request that failed ({failed.label or failed.method})"
    for position, first in enumerate(chain):
        if position >= len(replay):
            return (f"Hypothesis' replay of the example ended after {len(replay)} request(s), "
                    f"before {target}")
        answer = replay[position]
        if position == len(chain) - 1 and (answer.method, answer.label) == (first.method,
                                                                            first.label):
            if answer.status == first.status and (answer.status is None or answer.status >= 400):
                # the endpoint refused it again: what differed is Hypothesis' own replay
                return (f"Hypothesis' replay of the example sent {target} again and the "
                        f"endpoint answered it the same way ({answer.summary()}: "
                        f"{answer.describe_body(160)}): the failure repeated")
            return None  # the same request, on the same state: it did not fail again
        if (answer.method, answer.label, answer.status) == (first.method, first.label,
                                                            first.status):
            continue
        seen = f"{answer.label or answer.method}: {answer.summary()}: {answer.describe_body(160)}"
        if answer.method == "POST" and answer.status == CONFLICT and first.ok:
            shared = shared_values(first, answer) or "all but the userName"
            return (f"Hypothesis' replay of the example never reached {target}: its create "
                    f"was refused: {seen}. The replay sent the example's values again "
                    f"({shared}) after the first run's user had been deleted: a deleted "
                    f"user's values still block a new create (RFC 7644 §3.6: a deleted "
                    f"resource is no longer available, yet the endpoint keeps its unique "
                    f"values reserved)")
        return (f"Hypothesis' replay of the example stopped before {target}: {seen}, where "
                f"the first run got {first.summary()}")
    return None


IDENTIFYING = ("userName", "externalId")
"""Attributes a server may hold unique (with each email's value), so that a kept deleted user
blocks a new one."""


def shared_values(first: Exchange, again: Exchange) -> str:
    """The identifying attributes two create requests sent with the same value, as ``the same
    emails[0].value, externalId``: those a kept deleted user may still hold."""
    ours, theirs = _flat(_request_json(first)), _flat(_request_json(again))
    same = [path for path, value in ours.items() if theirs.get(path) == value and (
        path in IDENTIFYING or (path.startswith("emails[") and path.endswith("].value")))]
    if not same:
        return ""
    more = f" and {len(same) - SHOWN_SHARED} more" if len(same) > SHOWN_SHARED else ""
    return "the same " + ", ".join(same[:SHOWN_SHARED]) + more


def _request_json(exchange: Exchange) -> Any:
    try:
        return json.loads(exchange.request_body or "null")
    except (ValueError, RecursionError):
        return None


def _flat(value: Any, path: str = "") -> dict[str, Any]:
    """Every string or number in a JSON value by its path (``name.givenName``,
    ``emails[0].value``); ``schemas`` left out."""
    out: dict[str, Any] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "schemas":
                continue
            out.update(_flat(item, f"{path}.{key}" if path else str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out.update(_flat(item, f"{path}[{index}]"))
    elif isinstance(value, str | int | float) and not isinstance(value, bool):
        out[path] = value
    return out
