"""The Entra readiness summary at the top of ``report.html`` (pytest-html's summary hook).

One row per capability, in Entra's order: passed, failed (each failed check with its level, a
link to its source and what Entra will do to this endpoint), or not tested; then the first
thing to fix. Built from the same results document as ``results.json`` and the terminal summary.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

from scimcheck.checks.registry import Capability
from scimcheck.report import scope
from scimcheck.report.results import (
    INSECURE_NOTE,
    WORKAROUND,
    first_to_fix,
    insecure_run,
    leftover_warning,
    workaround_line,
)

if TYPE_CHECKING:
    from scimcheck.sequences.runner import Evaluation

_STYLE = """
<style>
#scimcheck-readiness {border: 2px solid #444; border-radius: 6px; padding: 8px 14px;
  margin: 10px 0 18px; font-family: sans-serif}
#scimcheck-readiness h2 {margin: 4px 0}
#scimcheck-readiness .verdict-pass {color: #176f2c}
#scimcheck-readiness .verdict-fail {color: #b00020}
#scimcheck-readiness table {border-collapse: collapse; margin: 8px 0}
#scimcheck-readiness td {padding: 3px 8px; vertical-align: top; border-top: 1px solid #ddd;
  color: #222}
#scimcheck-readiness tr.failed td.mark {color: #b00020; font-weight: bold}
#scimcheck-readiness tr.finding td.mark {color: #a06000; font-weight: bold}
#scimcheck-readiness tr.passed td.mark {color: #176f2c}
#scimcheck-readiness tr.workaround td.mark {color: #a06000; font-weight: bold}
#scimcheck-readiness tr.untested {color: #888}
#scimcheck-readiness .first-fix {background: #fff4d6; padding: 6px 10px; border-radius: 4px}
#scimcheck-readiness .insecure {color: #b00020}
#scimcheck-readiness details.failure {margin: 4px 0; padding: 2px 8px;
  border-left: 3px solid #b00020}
#scimcheck-readiness details.failure.finding {border-left-color: #a06000}
#scimcheck-readiness details.failure pre {white-space: pre-wrap; margin: 2px 0}
#environment-header, #environment {display: none}
</style>
"""


def summary(document: dict[str, Any]) -> list[str]:
    """HTML fragments for pytest-html's summary section."""
    entries = document["checks"]
    failed_run = document["verdict"] == "fail"
    verdict = (
        '<span class="verdict-fail">FAIL</span>: Entra provisioning will break on this endpoint'
        if failed_run else
        '<span class="verdict-pass">PASS</span>: no check at a failing level failed'
    )
    target = escape(document["target"]) + (
        " (embedded reference server)" if document.get("embedded") else ""
    )
    rows = [
        _row(capability, entries) for capability in Capability
        if capability is not Capability.RECORDED or _tested(capability, entries)
    ]
    parts = [
        _STYLE,
        '<section id="scimcheck-readiness">',
        f"<h2>Entra readiness: {verdict}</h2>",
        f"<p>{target} · profile {escape(document['profile'])} · dialects "
        f"{escape(', '.join(document['dialects']))} · seed {document['seed']} · "
        f"run tag scimcheck-{escape(document['run_id'])}</p>",
    ]
    if insecure_run(document):
        parts.append(f'<p class="insecure"><strong>Warning:</strong> {escape(INSECURE_NOTE)}</p>')
    if document.get("scope"):
        parts.append(f"<p>Scope: {escape(scope.describe(document['scope']))}</p>")
    unjudged = scope.grouped(document.get("not_judged") or [])
    if unjudged:
        items = "".join(
            f"<li>{escape(reason)}{' → judged with ' + escape(flag) if flag else ''}: "
            + ", ".join(f"<code>{escape(i)}</code>" for i in ids) + "</li>"
            for reason, flag, ids in unjudged
        )
        parts.append('<p class="not-judged"><strong>Not judged (entra-blocking):</strong> this '
                     f"verdict says nothing about them</p><ul>{items}</ul>")
    parts += ["<table>", *rows, "</table>"]
    leftover = leftover_warning(document)
    if leftover:
        parts.append(f'<p class="insecure"><strong>Warning:</strong> {escape(leftover)}</p>')
    first = first_to_fix(entries)
    if first is not None:
        parts.append(
            f'<p class="first-fix"><strong>First thing to fix:</strong> '
            f'<a href="#{_anchor(first["id"])}" onclick="{_OPEN_FAILURE}">'
            f"<code>{escape(first['id'])}</code></a>: {escape(first['fix'])}</p>"
        )
    parts += _since_baseline(document)
    parts += _failures(entries)
    parts.append("</section>")
    return ["\n".join(parts)]


def _since_baseline(document: dict[str, Any]) -> list[str]:
    """With --baseline: what is new, fixed and still failing since the earlier run."""
    compared = document.get("baseline")
    if not compared:
        return []
    counts = (f"{len(compared['new'])} new, {len(compared['fixed'])} fixed, "
              f"{len(compared['still'])} still failing")
    if compared["not_judged"]:
        counts += f", {len(compared['not_judged'])} not judged this time"
    items = "".join(
        f"<li><strong>{label}</strong> <code>{escape(f['check'])}</code> "
        f"[{escape(f['level'])}] in <code>{escape(f['test'])}</code> [{escape(f['dialect'])}]"
        + (f" at {escape(f['step'])}" if f["step"] else "") + "</li>"
        for label, key in (("new", "new"), ("fixed", "fixed"), ("not judged", "not_judged"))
        for f in compared[key]
    )
    return [f'<h3 id="scimcheck-baseline">Since the baseline ({escape(compared["baseline"])}):'
            f" {counts}</h3>", f"<ul>{items}</ul>" if items else ""]


def title(document: dict[str, Any]) -> str:
    """The page's title: scimcheck, its version, the verdict and the target."""
    return (f"scimcheck {document['version']}: {document['verdict'].upper()} · "
            f"{document['target']}")


_OPEN_FAILURE = escape(
    "var d=document.getElementById(this.getAttribute('href').slice(1));if(d){d.open=true}"
)
"""A check id in the verdict box opens its failure below (the link itself scrolls to it)."""
SHOWN_FAILURES = 10
"""Failures listed per check in the page; results.json keeps every one."""


def _anchor(check_id: str) -> str:
    return "failure-" + "".join(c if c.isalnum() or c in "-." else "-" for c in check_id)


def _failures(entries: list[dict[str, Any]]) -> list[str]:
    """Each failed check, failing-level first, folded: what failed, where, and the fix."""
    failed = sorted((e for e in entries if e["outcome"] == "failed"),
                    key=lambda e: not e["fails_run"])
    if not failed:
        return []
    parts = ["<h3>Failures</h3>"]
    for entry in failed:
        items = "".join(
            f"<li><code>{escape(f.get('test', ''))}</code><pre>{escape(f['message'])}</pre></li>"
            for f in entry["failures"][:SHOWN_FAILURES]
        )
        more = len(entry["failures"]) - SHOWN_FAILURES
        if more > 0:
            items += f"<li>and {more} more in results.json</li>"
        css = "failure" if entry["fails_run"] else "failure finding"
        parts.append(
            f'<details class="{css}" id="{_anchor(entry["id"])}">'
            f"<summary><code>{escape(entry['id'])}</code> [{escape(entry['level'])}]: "
            f"{escape(entry['title'])}</summary>"
            f"<p>Under Entra: {escape(entry.get('consequence', ''))}</p>"
            f"<p>Fix: {escape(entry.get('fix', ''))} Source: "
            f'<a href="{escape(entry["url"] or "")}">{escape(entry["source"])}</a></p>'
            f"<ul>{items}</ul></details>"
        )
    return parts


def _tested(capability: Capability, entries: list[dict[str, Any]]) -> bool:
    return any(e["capability"] == capability.value and e["outcome"] != "skipped" for e in entries)


def _row(capability: Capability, entries: list[dict[str, Any]]) -> str:
    mine = [e for e in entries if e["capability"] == capability.value]
    ran = [e for e in mine if e["outcome"] != "skipped"]
    name = escape(capability.value)
    if not ran:
        return (f'<tr class="untested"><td class="mark">·</td><td>{name}</td>'
                "<td>not tested in this run</td></tr>")
    failed = [e for e in ran if e["outcome"] == "failed"]
    worked_around = [e for e in ran if e["outcome"] == WORKAROUND]
    if not failed and not worked_around:
        noun = "check" if len(ran) == 1 else "checks"
        return (f'<tr class="passed"><td class="mark">✓</td><td>{name}</td>'
                f"<td>{len(ran)} {noun} passed</td></tr>")
    lines = [
        f'<a href="#{_anchor(e["id"])}" onclick="{_OPEN_FAILURE}"><code>{escape(e["id"])}</code>'
        f"</a> [{escape(e['level'])}]: {escape(e['consequence'])} "
        f'(<a class="source" href="{escape(e["url"] or "")}">{escape(e["source"])}</a>)'
        for e in failed
    ]
    if worked_around:  # never a ✓: these held only for a request Entra does not send
        lines.append(f"⚠ {escape(workaround_line(worked_around))}")
    if failed:
        css, mark = ("failed", "✗") if any(e["fails_run"] for e in failed) else ("finding", "!")
    else:
        css, mark = "workaround", "⚠"
    return (f'<tr class="{css}"><td class="mark">{mark}</td><td>{name}</td>'
            f"<td>{'<br>'.join(lines)}</td></tr>")


def checks_table(evaluations: list[Evaluation]) -> str:
    """The checks one test judged: outcome, level, capability and source (a link), the
    failures first, each check once."""
    # 0 failed, 1 passed only with a workaround (a diagnostic retry), 2 not evaluated (a
    # precondition failed: the reason is shown), 3 passed; a failure outweighs a pass, which
    # outweighs a workaround, which outweighs "not evaluated"
    weight = (3, 1, 0, 2)
    outcome: dict[str, int] = {}
    why: dict[str, str] = {}
    for evaluation in evaluations:
        now = 3 if evaluation.evaluated else 2
        if not evaluation.passed:
            now = 0
        elif not evaluation.evaluated:
            why.setdefault(evaluation.check.id, evaluation.message)
        elif evaluation.workaround:
            now = 1
            why.setdefault(evaluation.check.id, evaluation.workaround)
        before = outcome.get(evaluation.check.id, now)
        outcome[evaluation.check.id] = max(before, now, key=weight.__getitem__)
    seen = {e.check.id: e.check for e in evaluations}
    rows: list[str] = []
    passed: list[str] = []
    for check_id in sorted(seen, key=lambda c: (outcome[c], c)):
        check = seen[check_id]
        mark = ("✗ failed", "⚠ passed only with a workaround", "· not evaluated",
                "✓ passed")[outcome[check_id]]
        if outcome[check_id] in (1, 2):
            mark += f": {escape(why.get(check_id, ''))}"
        (passed if outcome[check_id] == 3 else rows).append(
            f"<tr><td>{mark}</td><td><code>{escape(check.id)}</code></td>"
            f"<td>{escape(check.level.value)}</td><td>{escape(check.capability.value)}</td>"
            f'<td><a href="{escape(check.url)}">{escape(check.source)}</a></td></tr>'
        )
    head = ("<tr><th>outcome</th><th>check</th><th>level</th><th>capability</th>"
            "<th>source</th></tr>")
    table = '<table class="scimcheck-checks" style="border-collapse:collapse;margin:6px 0">'
    out = f"{table}{head}{''.join(rows)}</table>" if rows else ""
    if passed:  # folded: what failed comes first, unobstructed
        out += (f'<details class="scimcheck-passed"><summary>{len(passed)} check(s) passed'
                f"</summary>{table}{head}{''.join(passed)}</table></details>")
    return out


_COPY_SCRIPT = (
    "var b=this,t=b.parentNode.querySelector('pre').textContent;"
    "function f(){var a=document.createElement('textarea');a.value=t;"
    "document.body.appendChild(a);a.select();var ok=false;"
    "try{ok=document.execCommand('copy')}catch(e){}a.remove();return ok}"
    "function d(ok){b.textContent=ok?'Copied':'Copy failed: select the text and copy it'}"
    "if(navigator.clipboard&&window.isSecureContext){navigator.clipboard.writeText(t)"
    ".then(function(){d(true)},function(){d(f())})}else{d(f())}"
)
"""The copy button's handler, self-contained: pytest-html renders a test's extras from data
with innerHTML, where a <script> would not run but an attribute handler does."""


def inline_block(title: str, text: str, *, copy: bool = False, open_: bool = False) -> str:
    """A collapsible block for a test's row: ``title`` to click, ``text`` (a transcript or a
    repro script, endpoint words in it) escaped in a ``<pre>``, with a copy button.

    Inline, because a link to a ``data:`` URL (pytest-html's text extras) opens a blank tab in
    Chromium-based browsers, which block top-frame navigation to ``data:`` URLs."""
    button = (
        f'<button type="button" class="scimcheck-copy" onclick="{escape(_COPY_SCRIPT)}">'
        "Copy</button>" if copy else ""
    )
    return (
        f'<details class="scimcheck-block"{" open" if open_ else ""}>'
        f"<summary>{escape(title)}</summary>{button}"
        '<pre style="white-space:pre-wrap;max-height:40em;overflow:auto;background:#f6f6f6;'
        f'padding:6px;border:1px solid #ddd">{escape(text)}</pre></details>'
    )
