"""The assertions of a sequence file's expectations, judged on a value from the answer
(docs/sequences.md "Assertions"): each returns ``None`` when it holds, else what was wrong.
"""

from __future__ import annotations

from typing import Any

from scimcheck.core.templates import MISSING
from scimcheck.entra.comparison import show, values_match, values_match_normalised
from scimcheck.entra.paths import get_path
from scimcheck.http.transport import Exchange
from scimcheck.scim.endpoints import ERROR_SCHEMA

VALUES_KINDS = ("has_values", "updated", "exact_values")
"""The assertion kinds that compare a map of attribute paths to the values sent."""


def judge_values(
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


def is_error_without_envelope(exchange: Exchange, body: Any) -> bool:
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


def judge_counts(at: str, got: Any, listed_at: str, listed: Any) -> str | None:
    """``at`` is a number equal to how many values ``listed_at`` holds, e.g. itemsPerPage and
    Resources (RFC 7644 §3.4.2: itemsPerPage is the number of resources returned on the page);
    a failure names the field that disagrees with the list, not the list."""
    size = len(_as_list(listed))
    if isinstance(got, int) and not isinstance(got, bool) and got == size:
        return None
    shown = "absent" if got is MISSING else repr(got)
    return f"{at} is {shown}, but {listed_at} holds {size} value(s): {at} must be {size}"


def judge_assertion(kind: str, at: str, expected: Any, got: Any) -> str | None:
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
