""""First thing to fix" names the check that says what is wrong, not a generated search that
only found a symptom of it (issue 14 §5)."""

from __future__ import annotations

from typing import Any

from scimcheck.checks import registry as checks
from scimcheck.report.results import first_to_fix


def _failed(*ids: str) -> list[dict[str, Any]]:
    """Entries as results.json has them: each registered check, failed."""
    return [{"id": c.id, "outcome": "failed", "level": c.level.value,
             "capability": c.capability.value} for c in map(checks.get, ids)]


def test_a_failed_sequence_check_comes_before_a_generated_one_at_its_level() -> None:
    # both entra-blocking; the generated one's capability (Create user) comes first in
    # Entra's order, but the membership check names the defect
    entries = _failed("generated.create-roundtrip", "membership.remove-legacy")
    first = first_to_fix(entries)
    assert first is not None and first["id"] == "membership.remove-legacy"


def test_a_generated_check_is_first_when_it_is_the_only_or_the_most_severe() -> None:
    alone = first_to_fix(_failed("generated.create-roundtrip"))
    assert alone is not None and alone["id"] == "generated.create-roundtrip"
    less_severe = next(c.id for c in checks.REGISTRY.values()
                       if c.level.value == "rfc-should" and not c.id.startswith("generated."))
    first = first_to_fix(_failed(less_severe, "generated.create-roundtrip"))
    assert first is not None and first["id"] == "generated.create-roundtrip"
