"""The readiness summary of report.html: Entra's terms, the first fix, nothing unescaped."""

from __future__ import annotations

from typing import Any

from scimcheck.checks import registry as checks
from scimcheck.report.html import checks_table, summary
from scimcheck.report.results import aggregate


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
    from scimcheck.sequences.runner import Evaluation

    check = checks.get("user.create.status-201")
    html = checks_table([
        Evaluation(check, True, "", 1, None), Evaluation(check, False, "x", 2, None),
        Evaluation(checks.get("schema.user"), True, "", 1, None),
    ])
    assert html.index("user.create.status-201") < html.index("schema.user")  # failures first
    assert "✗ failed" in html and html.count("user.create.status-201") == 1
    assert f'href="{check.url}"' in html and check.level.value in html


def test_a_capability_that_held_only_with_a_workaround_is_no_tick() -> None:
    """Membership held only after scimcheck lowercased Entra's refused op names: the row says
    so (⚠ and the workaround, escaped), never ✓ (issue 14 §5)."""
    reason = "only with lowercase op names; Entra's own PATCH with op 'Add' was refused <b>"
    html = "".join(summary(_document([
        {"id": "patch.capitalised-ops", "passed": False, "message": "refused",
         "dialect": "legacy"},
        {"id": "membership.add-several", "passed": True, "message": "", "dialect": "legacy",
         "workaround": reason},
        {"id": "membership.add-several", "passed": True, "message": "", "dialect": "compliant"},
    ])))
    row = next(r for r in html.split("<tr") if "<td>Membership</td>" in r)
    assert 'class="workaround"' in row and "⚠" in row and "✓" not in row
    assert "membership.add-several" in row and "lowercase op names" in row
    assert "<b>" not in row and "&lt;b&gt;" in row


def test_a_check_table_shows_a_pass_that_needed_a_workaround() -> None:
    from scimcheck.sequences.runner import Evaluation

    check = checks.get("membership.add-several")
    html = checks_table([Evaluation(check, True, "", 1, "legacy",
                                    workaround="only with lowercase op names")])
    assert "⚠ passed only with a workaround: only with lowercase op names" in html
    assert "✓ passed" not in html
