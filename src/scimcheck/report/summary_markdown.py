"""A run's readiness table as Markdown, for a CI job summary (``scimcheck summary``).

GitHub renders ``$GITHUB_STEP_SUMMARY`` (and GitLab a merge-request note) as Markdown with HTML
allowed, and every word in a results.json may come from the endpoint: each cell is escaped so
that no text can close the table, open a tag, draw a link or an image, or run on to a new line.
"""

from __future__ import annotations

import html
import re
from typing import Any

from scimcheck.checks.registry import Capability

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+!|~])")
_AUTOLINK = re.compile(r"://|www\.|@", re.IGNORECASE)
CELL_LIMIT = 300
"""Characters of a message shown in a cell; the reports hold the rest."""


def cell(text: str, limit: int = CELL_LIMIT) -> str:
    """``text`` as inert Markdown on one line: Markdown punctuation backslash-escaped, then
    ``&``, ``<`` and ``>`` as HTML entities (no tag can open), URLs, ``www.`` names and e-mail
    addresses broken by a zero-width space (no autolink), control characters and line breaks
    as spaces."""
    flat = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    # GitHub links bare URLs and www. names by itself: a zero-width space defuses both
    flat = _AUTOLINK.sub(lambda m: m.group(0)[:-1] + "\u200b" + m.group(0)[-1], flat)
    return html.escape(_MARKDOWN.sub(r"\\\1", flat), quote=False)


def render(document: dict[str, Any]) -> str:
    """The verdict, one row per capability, the findings and what changed since a baseline."""
    verdict = document["verdict"].upper()
    scope = document.get("scope") or {}
    lines = [
        f"## scimcheck: {verdict} · {cell(document['target'])}",
        "",
        f"Profile {cell(document['profile'])} · dialects {cell(', '.join(document['dialects']))}"
        f" · seed {document.get('seed', 'none')} · scimcheck {cell(document['version'])}",
    ]
    if scope.get("users"):
        lines += ["", f"Mapping judged: users {cell(', '.join(scope['users']))}"
                  + (f"; groups {cell(', '.join(scope['groups']))}" if scope.get("groups")
                     else "; groups not mapped")]
    lines += ["", "| capability | passed | only with a workaround | failed | not evaluated |",
              "| --- | --- | --- | --- | --- |"]
    outcomes = ("passed", "workaround", "failed", "skipped")
    for capability in Capability:
        mine = [c for c in document["checks"] if c["capability"] == capability.value]
        counts = {o: sum(c["outcome"] == o for c in mine) for o in outcomes}
        if not any(counts.values()):
            continue
        mark = ("❌" if any(c["fails_run"] for c in mine)
                else "⚠️" if counts["failed"] or counts["workaround"] else "✅")
        if not counts["passed"] and not counts["failed"] and not counts["workaround"]:
            mark = "\N{HEAVY MINUS SIGN}"
        lines.append(f"| {mark} {cell(capability.value)} | "
                     + " | ".join(str(counts[o]) for o in outcomes) + " |")
    failed = [c for c in document["checks"] if c["outcome"] == "failed"]
    if failed:
        lines += ["", "| check | level | what Entra suffers | first failure |",
                  "| --- | --- | --- | --- |"]
        for check in sorted(failed, key=lambda c: not c["fails_run"]):
            lines.append(
                f"| {cell(check['id'])} | {cell(check['level'])} | "
                f"{cell(check.get('consequence', ''))} | {cell(check['message'])} |"
            )
    not_judged = document.get("not_judged") or []
    if not_judged:
        lines += ["", f"Not judged (entra-blocking, {len(not_judged)}): "
                  + ", ".join(cell(n["id"]) for n in not_judged)]
    compared = document.get("baseline")
    if compared:
        lines += ["", f"Since the baseline: {len(compared['new'])} new, "
                  f"{len(compared['fixed'])} fixed, {len(compared['still'])} still failing"]
        for label in ("new", "fixed"):
            for finding in compared[label]:
                step = f" at {cell(finding['step'])}" if finding["step"] else ""
                lines.append(f"- {label}: {cell(finding['check'])} in "
                             f"{cell(finding['test'])} \\[{cell(finding['dialect'])}\\]{step}")
    return "\n".join(lines) + "\n"
