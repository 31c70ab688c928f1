"""docs/checks.md is generated from the registry and the self-test map; it must be current.

Regenerate with: SCIMCHECK_UPDATE_DOCS=1 pytest tests/project/test_docs.py
"""

from __future__ import annotations

import os
from pathlib import Path

from scimcheck.checks import registry as checks
from support.variant_map import EXPECTED, GENERATED, PROVEN_ELSEWHERE, RECORDED

DOC = Path(__file__).resolve().parents[2] / "docs" / "checks.md"


def render() -> str:
    proving: dict[str, list[str]] = {}
    for mapping in (EXPECTED, GENERATED, RECORDED):
        for variant, ids in sorted(mapping.items()):
            for check_id in ids:
                listed = proving.setdefault(check_id, [])
                if f"`{variant}`" not in listed:
                    listed.append(f"`{variant}`")
    for check_id, where in PROVEN_ELSEWHERE.items():
        proving.setdefault(check_id, []).append(where)
    lines = [
        "# Checks",
        "",
        "Generated from `src/scimcheck/checks/registry.py` and "
        "`tests/verdicts/test_suite_verdicts.py` "
        "(regenerate: `SCIMCHECK_UPDATE_DOCS=1 pytest tests/project/test_docs.py`).",
        "",
        "Levels: `entra-blocking` (Entra provisioning breaks or the gallery review rejects it) and "
        "`rfc-must` fail a run; `rfc-should` fails it only with `--strict`; `advisory` never does.",
        "Each check fails against the broken variant of the reference server named in the last "
        "column (`scimcheck serve --variant NAME` serves it), and passes against the correct "
        "server: `tests/verdicts/test_suite_verdicts.py` proves both "
        "(`tests/verdicts/test_generated_verdicts.py` "
        "for the `generated.*` checks, judged by Hypothesis properties on generated users). "
        "A check no HTTP variant can break (TLS) names instead the self-test that serves its "
        "broken endpoint.",
        "",
        "| id | level | capability | what must hold | source | fails against |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for check in checks.all_checks():
        lines.append(
            f"| `{check.id}` | {check.level} | {check.capability} | {check.title} | "
            f"[{check.source}]({check.url}) | {', '.join(proving.get(check.id, ['—']))} |"
        )
    lines += ["", "## What each failure means under Entra, and the usual fix", ""]
    for check in checks.all_checks():
        lines += [f"- **`{check.id}`**: {check.consequence} Fix: {check.fix}"]
    return "\n".join(lines) + "\n"


def test_checks_doc_is_current() -> None:
    text = render()
    if os.environ.get("SCIMCHECK_UPDATE_DOCS"):
        DOC.write_text(text, encoding="utf-8")
    assert DOC.read_text(encoding="utf-8") == text, (
        "docs/checks.md is stale: run SCIMCHECK_UPDATE_DOCS=1 pytest tests/project/test_docs.py"
    )
