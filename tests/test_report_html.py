"""The readiness summary of report.html: Entra's terms, the first fix, nothing unescaped."""

from __future__ import annotations

from typing import Any

from scimcheck import checks
from scimcheck.report_html import checks_table, summary
from scimcheck.results import aggregate


def _document(evaluations: list[dict[str, Any]]) -> dict[str, Any]:
    entries = aggregate(evaluations, strict=False)
    failing = any(e["fails_run"] for e in entries)
    return {
        "target": "https://app.example.com/scim/v2", "embedded": False, "profile": "entra-app",
        "dialects": ["legacy"], "seed": 7, "run_id": "abcd1234",
        "verdict": "fail" if failing else "pass", "checks": entries,
    }


def test_a_failure_reads_in_entras_terms_with_the_first_fix() -> None:
    check = checks.get("membership.remove-legacy")
    html = "".join(summary(_document([
        {"id": check.id, "passed": False, "message": "<script>alert(1)</script>",
         "dialect": "legacy"},
        {"id": "user.create.status-201", "passed": True, "message": "", "dialect": None},
    ])))
    assert "Entra readiness: <span class=\"verdict-fail\">FAIL</span>" in html
    assert check.consequence.split(":")[0] in html.replace("&quot;", '"')
    assert "First thing to fix" in html and "<script>" not in html
    assert "not tested in this run" in html  # capabilities no check of this run touched
    assert "Recorded traffic" not in html  # shown only when a recording was replayed


def test_a_clean_run_says_pass_and_names_no_fix() -> None:
    html = "".join(summary(_document([
        {"id": "user.create.status-201", "passed": True, "message": "", "dialect": None},
    ])))
    assert "verdict-pass" in html and "First thing to fix" not in html


def test_each_test_lists_its_checks_with_level_and_source_link() -> None:
    from scimcheck.sequence import Evaluation

    check = checks.get("user.create.status-201")
    html = checks_table([
        Evaluation(check, True, "", 1, None), Evaluation(check, False, "x", 2, None),
        Evaluation(checks.get("schema.user"), True, "", 1, None),
    ])
    assert html.index("user.create.status-201") < html.index("schema.user")  # failures first
    assert "✗ failed" in html and html.count("user.create.status-201") == 1
    assert f'href="{check.url}"' in html and check.level.value in html
