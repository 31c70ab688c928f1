"""``results.json``: every check's verdict for the run (format: ``schemas/results.schema.json``)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from scimcheck import __version__
from scimcheck.checks import registry as checks
from scimcheck.checks.registry import Capability, Level
from scimcheck.core.errors import DEADLINE_REACHED
from scimcheck.http import redaction
from scimcheck.report import scope

if TYPE_CHECKING:
    from scimcheck.settings.run import Settings
    from scimcheck.settings.state import RunState

_LEVEL_ORDER = list(Level)
_CAPABILITY_ORDER = list(Capability)
NOT_EVALUATED = scope.NOT_REACHED
"""The message of a check no test reached (its reason, when a test gave one, replaces it)."""


def public_url(url: str) -> str:
    """The URL without userinfo or query (they may hold secrets)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


WORKAROUND = "workaround"
"""The outcome of a check that held only after a diagnostic retry changed Entra's request
(lowercase op names, other media types, a plainer fallback, a PATCH split into parts): what
Entra itself sends was refused, so it is never reported or counted as a plain pass."""
WORKAROUND_NOTE = "passed only with a workaround scimcheck applied"
_DIALECT_RANK = (WORKAROUND, "passed", "failed")
"""In one dialect a failure outweighs everything; a pass on Entra's own request outweighs one
that needed a workaround (a check judged on every answer holds if it held on Entra's)."""


def aggregate(evaluations: Iterable[dict[str, Any]], strict: bool) -> list[dict[str, Any]]:
    """One entry per registered check: passed, failed, or skipped (never evaluated)."""
    seen: dict[str, dict[str, Any]] = {}
    for e in evaluations:
        entry = seen.setdefault(
            e["id"],
            {"evaluations": 0, "failures": [], "by_dialect": {}, "unjudged": [], "workarounds": {}},
        )
        if not e.get("evaluated", True):  # a precondition failed: why, never a pass
            where = f"[{e['dialect']}] " if e.get("dialect") else ""
            entry["unjudged"].append(where + e["message"])
            continue
        entry["evaluations"] += 1
        dialect = e.get("dialect") or "any"
        now = "failed" if not e["passed"] else WORKAROUND if e.get("workaround") else "passed"
        before = entry["by_dialect"].get(dialect, now)
        entry["by_dialect"][dialect] = max(before, now, key=_DIALECT_RANK.index)
        reasons = entry["workarounds"].setdefault(dialect, [])
        if e["passed"] and e.get("workaround") and e["workaround"] not in reasons:
            reasons.append(e["workaround"])
        if not e["passed"]:
            prefix = f"[{e['dialect']}] " if e.get("dialect") else ""
            failure = {"test": e.get("test", ""), "message": prefix + e["message"]}
            if e.get("step"):
                failure["step"] = e["step"]
            if e.get("dialect"):
                failure["dialect"] = e["dialect"]
            if e.get("repro"):
                failure["repro"] = e["repro"]
            entry["failures"].append(failure)
    out: list[dict[str, Any]] = []
    for check in checks.all_checks():
        found = seen.get(check.id)
        by_dialect: dict[str, str] = {} if found is None else found["by_dialect"]
        workarounds: list[str] = []
        if found is None:
            outcome, message, count, failures = "skipped", NOT_EVALUATED, 0, []
        elif not found["evaluations"]:
            outcome, count, failures = "skipped", 0, list[dict[str, Any]]()
            message = f"not evaluated: {found['unjudged'][0]}"
        elif found["failures"]:
            failures = found["failures"]
            outcome, message, count = "failed", failures[0]["message"], found["evaluations"]
        elif WORKAROUND in by_dialect.values():  # never a plain pass: Entra's request was refused
            outcome, count, failures = WORKAROUND, found["evaluations"], []
            for dialect, verdict in by_dialect.items():
                reasons = found["workarounds"][dialect] if verdict == WORKAROUND else []
                workarounds += [r for r in reasons if r not in workarounds]
            message = f"{WORKAROUND_NOTE}: " + "; ".join(workarounds)
        else:
            outcome, message, count, failures = "passed", "", found["evaluations"], []
        out.append(
            {
                "id": check.id,
                "title": check.title,
                "level": check.level.value,
                "capability": check.capability.value,
                "source": check.source,
                "url": check.url,
                "outcome": outcome,
                "fails_run": outcome == "failed" and check.level.fails_run(strict),
                "message": message,
                "consequence": check.consequence,
                "fix": check.fix,
                "evaluations": count,
                "by_dialect": by_dialect,
                "workarounds": workarounds,
                # every failure: each is a request that failed (bounded by the run's own
                # evaluations); a viewer may fold them, the document does not drop them
                "failures": failures,
            }
        )
    return out


def build(settings: Settings, state: RunState) -> dict[str, Any]:
    """The whole results document."""
    entries = aggregate(state.evaluations, settings.strict)
    summary = {"passed": 0, "failed": 0, "skipped": 0, "errors": 0, WORKAROUND: 0}
    for entry in entries:
        key = "errors" if entry["outcome"] == "error" else entry["outcome"]
        summary[key] += 1
    failing = any(entry["fails_run"] for entry in entries)
    # a check at a failing level that held only with a workaround is no pass either (the
    # refusal that made the workaround necessary is itself a failed entra-blocking check)
    failing = failing or any(
        entry["outcome"] == WORKAROUND and Level(entry["level"]).fails_run(settings.strict)
        for entry in entries
    )
    # a run the deadline cut short has not shown readiness: it cannot pass
    failing = failing or state.deadline_reached
    return {
        "tool": "scimcheck",
        "version": __version__,
        "target": public_url(settings.base_url),
        "embedded": settings.embedded,
        "profile": settings.profile.name,
        "dialects": [d.value for d in settings.dialects],
        "strict": settings.strict,
        "seed": settings.seed,
        "run_id": settings.run_id,
        "started": state.started_iso,
        "duration_s": round(time.time() - state.started, 3),
        "verdict": "fail" if failing or state.tests["errors"] else "pass",
        "summary": summary,
        "tests": dict(state.tests),
        "retries": {"count": state.retries, "wait_s": round(state.retry_wait_s, 3)},
        "requests": requests_sent(state.requests),
        "tls": {
            "insecure": settings.verify is False,
            "ca_bundle": settings.verify if isinstance(settings.verify, str) else None,
        },
        "deadline": {"seconds": settings.deadline_s, "reached": state.deadline_reached},
        "not_evaluated": list(state.not_evaluated),
        "scope": scope.mapping(settings.profile),
        "not_judged": scope.not_judged(
            entries, settings.profile, settings.base_url, settings.examples,
            state.deadline_reached,
        ),
        "checks": entries,
    }


def requests_sent(by_test: dict[str, int]) -> dict[str, Any]:
    """What the tests sent: in all, for the sequences and for the generated-user properties
    (their shards added up), and per test, most first."""
    generated = sum(n for test, n in by_test.items() if "test_generated.py::" in test)
    return {
        "total": sum(by_test.values()),
        "generated": generated,
        "sequences": sum(by_test.values()) - generated,
        "by_test": dict(sorted(by_test.items(), key=lambda item: (-item[1], item[0]))),
    }


def write(path: str | os.PathLike[str], document: dict[str, Any]) -> None:
    """Write the document as UTF-8 JSON, creating the directory."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    redaction.write_text(target, redaction.dumps_json(document) + "\n")


def _stopped_lines(document: dict[str, Any]) -> list[str]:
    """The tests stopped early: by the run deadline (which fails the run), or because the
    endpoint cut off answer after answer."""
    stopped = document.get("not_evaluated") or []
    deadline = document.get("deadline") or {}
    lines: list[str] = []
    by_deadline = [s for s in stopped if s["reason"].startswith(DEADLINE_REACHED)]
    if deadline.get("reached"):
        lines.append(
            f"  ! the run deadline ({deadline['seconds']:g} s) was reached: {len(by_deadline)} "
            "test(s) not evaluated, so the run cannot pass; raise it with --deadline"
        )
    others = [s for s in stopped if s not in by_deadline]
    if others:
        lines.append(f"  ! {len(others)} test(s) stopped early: {others[0]['reason']}")
    return lines


def first_to_fix(entries: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The failed check to fix first: most severe level; at one level a sequence check (it
    names the defect) before a generated one (a random example that met a symptom of it);
    then Entra's order of capabilities."""
    failed = [e for e in entries if e["outcome"] == "failed"]
    if not failed:
        return None
    return min(
        failed,
        key=lambda e: (
            _LEVEL_ORDER.index(Level(e["level"])),
            str(e["id"]).startswith(GENERATED_PREFIX),
            _CAPABILITY_ORDER.index(Capability(e["capability"])),
        ),
    )


GENERATED_PREFIX = "generated."
"""The checks the generated-user searches judge (suites/test_generated.py)."""


def workaround_line(entries: list[dict[str, Any]]) -> str:
    """One capability's checks that held only with a workaround: how many, and the first
    workaround (what scimcheck changed, and that Entra's own request was refused)."""
    ids = ", ".join(e["id"] for e in entries)
    return f"{len(entries)} check(s) passed {entries[0]['workarounds'][0]}: {ids}"


INSECURE_NOTE = (
    "TLS certificate verification was OFF (--insecure): the endpoint's identity was not checked"
)


def leftover_warning(document: dict[str, Any]) -> str | None:
    """When the endpoint keeps users after DELETE (a check of checks.KEEPS_DELETED_USERS
    failed): the users this run created and deleted may still be on it, and how to remove
    them."""
    kept = [e["id"] for e in document["checks"]
            if e["id"] in checks.KEEPS_DELETED_USERS and e["outcome"] == "failed"]
    if not kept:
        return None
    return (
        f"the endpoint keeps users after DELETE ({', '.join(kept)} failed): users this run "
        f"created and deleted may remain on it; remove them with: scimcheck cleanup "
        f"{document['target']} --run-id {document['run_id']} (an endpoint that keeps them "
        "even then needs them removed in the application itself)"
    )


def insecure_run(document: dict[str, Any]) -> bool:
    """The run did not verify the target's TLS certificate."""
    return bool((document.get("tls") or {}).get("insecure"))


def summary_lines(document: dict[str, Any]) -> list[str]:
    """The terminal summary: one line per capability, the verdict, the first thing to fix."""
    entries = document["checks"]
    lines = [
        "",
        f"scimcheck · Entra readiness of {document['target']}"
        + (" (embedded reference server)" if document["embedded"] else ""),
        f"profile {document['profile']} · dialects {', '.join(document['dialects'])} · "
        f"seed {document['seed']} · run tag scimcheck-{document['run_id']}",
    ]
    if insecure_run(document):
        lines.append(f"  ! {INSECURE_NOTE}")
    for capability in Capability:
        mine = [e for e in entries if e["capability"] == capability.value]
        ran = [e for e in mine if e["outcome"] != "skipped"]
        if not ran:
            continue
        failed = [e for e in ran if e["outcome"] == "failed"]
        worked_around = [e for e in ran if e["outcome"] == WORKAROUND]
        if not failed and not worked_around:
            noun = "check" if len(ran) == 1 else "checks"
            lines.append(f"  ✓ {capability.value:<16} {len(ran)} {noun} passed")
            continue
        for entry in failed:
            mark = "✗" if entry["fails_run"] else "!"
            lines.append(
                f"  {mark} {capability.value:<16} {entry['id']} [{entry['level']}]: "
                f"{entry['consequence']}"
            )
        if worked_around:
            lines.append(f"  ⚠ {capability.value:<16} {workaround_line(worked_around)}")
    listed = {item["id"] for item in document.get("not_judged") or []}  # shown by reason below
    for entry in entries:
        if entry["outcome"] == "skipped" and entry["message"] != NOT_EVALUATED \
                and entry["id"] not in listed:
            lines.append(f"  · {entry['id']} [{entry['level']}]: {entry['message']}")
    untested = [
        c.value for c in Capability
        if c is not Capability.RECORDED  # only replays of recordings test it
        and not any(e["capability"] == c.value and e["outcome"] != "skipped" for e in entries)
    ]
    if untested:
        lines.append(f"  · not tested in this run: {', '.join(untested)}")
    blocking = [e for e in entries if e["fails_run"]]
    findings = [e for e in entries if e["outcome"] == "failed" and not e["fails_run"]]
    below = f"; {len(findings)} finding(s) below the failing level" if findings else ""
    n_worked_around = sum(1 for e in entries if e["outcome"] == WORKAROUND)
    if n_worked_around:
        below += f"; {n_worked_around} check(s) passed only with a workaround"
    cut_short = bool((document.get("deadline") or {}).get("reached"))
    if document["verdict"] == "fail" and cut_short and not blocking:
        lines.append(f"Verdict: FAIL: the run deadline cut the run short{below}")
    elif document["verdict"] == "fail":
        lines.append(
            f"Verdict: FAIL: {len(blocking)} check(s) at a failing level failed{below}"
        )
    else:
        covered = f" for {scope.describe(document['scope'])}" if document.get("scope") else ""
        lines.append(f"Verdict: PASS{covered}: no check at a failing level failed{below}")
    lines += scope.summary_lines(document)
    counts = document["summary"]
    also = f", {counts[WORKAROUND]} only with a workaround" if counts.get(WORKAROUND) else ""
    lines.append(
        f"  checks: {counts['passed']} passed{also}, {counts['failed']} failed, "
        f"{counts['skipped']} not evaluated"
    )
    sent = document.get("requests") or {}
    if sent.get("total"):
        lines.append(
            f"  requests: {sent['total']} sent by the tests ({sent['sequences']} by the "
            f"sequences, {sent['generated']} by the generated-user properties)"
        )
    retries = document.get("retries") or {}
    if retries.get("count"):
        lines.append(
            f"  retries: {retries['count']} request(s) repeated after 429/503 or a cut "
            f"connection, {retries['wait_s']:g} s waited for Retry-After"
        )
    if document["tests"]["errors"]:
        lines.append(
            f"  {document['tests']['errors']} test(s) errored inside scimcheck: see above"
        )
    lines += _stopped_lines(document)
    leftover = leftover_warning(document)
    if leftover:
        lines.append(f"  ! {leftover}")
    if document.get("baseline"):
        from scimcheck.report.baseline import Comparison

        lines += Comparison.from_dict(document["baseline"]).lines()
    first = first_to_fix(entries)
    if first is not None:
        lines.append(f"First thing to fix: {first['id']}: {first['fix']}")
        lines.append(f"  {first['message']}")
    return lines
