"""Every check can fail: each broken variant fails exactly its own checks, the reference none.

This is the proof behind docs/checks.md: for each check the suite ships, a variant of the
reference server that breaks one behaviour makes that check (and only the checks about that
behaviour) fail, while the correct server passes everything.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from scimcheck.checks import registry as checks
from scimcheck.report import html as report_html
from scimcheck.server import ReferenceServer
from support.harness import RunSuites, failed_checks
from support.variant_map import (
    EXPECTED,
    GENERATED,
    OAUTH,
    OAUTH_ONLY_CHECKS,
    PROFILE_ONLY_CHECKS,
    PROVEN_ELSEWHERE,
    RECORDED,
    profile_for,
)


def test_reference_server_passes_every_check(
    reference_server: ReferenceServer, run_suites: RunSuites
) -> None:
    document = run_suites(reference_server.base_url)
    assert failed_checks(document) == set(), document["_stdout"]
    assert not [c["id"] for c in document["checks"] if c["outcome"] == "workaround"]
    assert document["verdict"] == "pass"
    assert document["_pytest_ret"] == 0
    skipped = {c["id"] for c in document["checks"] if c["outcome"] == "skipped"}
    profile_only = set().union(*PROFILE_ONLY_CHECKS.values())  # proven under their profile
    generated = set().union(*GENERATED.values())  # tests/verdicts/test_generated_verdicts.py
    recorded = set().union(*RECORDED.values())  # only replays of recordings judge these
    elsewhere = set(PROVEN_ELSEWHERE)  # e.g. TLS: the reference server is plain http
    # judged with OAuth client credentials only (tests/verdicts/test_oauth_verdicts.py)
    oauth = OAUTH_ONLY_CHECKS
    assert skipped == profile_only | generated | recorded | elsewhere | oauth, (
        f"checks never evaluated by the suites: {skipped}"
    )


def test_every_check_has_a_variant_that_makes_it_fail() -> None:
    proven = set().union(
        *EXPECTED.values(), *GENERATED.values(), *RECORDED.values(), *OAUTH.values(),
        set(PROVEN_ELSEWHERE),
    )
    assert proven == set(checks.REGISTRY), (
        f"checks without a failing self-test: {set(checks.REGISTRY) - proven}"
    )


@pytest.mark.parametrize("variant", sorted(v for v in EXPECTED if profile_for(v) is None))
def test_variant_fails_exactly_its_checks(
    variant: str,
    broken_server: Callable[[str], ReferenceServer],
    run_suites: RunSuites,
) -> None:
    server = broken_server(variant)
    document = run_suites(server.base_url)
    assert failed_checks(document) == EXPECTED[variant], document["_stdout"]
    failing_level = any(c["fails_run"] for c in document["checks"])
    assert document["verdict"] == ("fail" if failing_level else "pass")
    assert document["_pytest_ret"] == (1 if failing_level else 0)


def test_rfc_should_findings_fail_the_run_only_when_strict(
    broken_server: Callable[[str], ReferenceServer], run_suites: RunSuites
) -> None:
    server = broken_server("json-content-type")
    relaxed = run_suites(server.base_url)
    strict = run_suites(server.base_url, "--scim-strict")
    assert relaxed["verdict"] == "pass" and relaxed["_pytest_ret"] == 0
    assert strict["verdict"] == "fail" and strict["_pytest_ret"] == 1


@pytest.mark.parametrize("dialect", ["legacy", "compliant"])
def test_one_dialect_runs_alone(
    dialect: str, broken_server: Callable[[str], ReferenceServer], run_suites: RunSuites
) -> None:
    """Entra's "False" string shows the defect in the legacy dialect only (the dialect-free
    errors sequence finds the same truthy-string bug with "maybe")."""
    server = broken_server("string-false-truthy")
    document = run_suites(server.base_url, "--scim-dialect", dialect)
    assert document["dialects"] == [dialect]
    expected = {"user.disable.string-false"} if dialect == "legacy" else set()
    assert failed_checks(document) == expected | {"error.invalid-value"}


def test_a_rejected_multi_attribute_patch_names_the_attribute_at_fault(
    broken_server: Callable[[str], ReferenceServer], run_suites: RunSuites
) -> None:
    """Only displayName is refused: the failure names it, and the dotted-key check is not
    blamed; it held only on the parts sent alone (Entra's one PATCH was refused), so it is
    reported as a workaround, not a plain pass."""
    document = run_suites(broken_server("displayname-patch-501").base_url)
    entry = next(c for c in document["checks"] if c["id"] == "user.update.applied")
    assert entry["by_dialect"] == {"legacy": "failed", "compliant": "failed"}
    for failure in entry["failures"]:
        assert "displayName alone" in failure["message"] and "501" in failure["message"]
        assert "name.givenName alone" not in failure["message"]
    dotted = next(c for c in document["checks"] if c["id"] == "user.update.pathless-dotted")
    assert dotted["outcome"] == "workaround", dotted
    assert dotted["by_dialect"] == {"compliant": "workaround"}
    assert any("each part of Entra's PATCH sent alone" in w for w in dotted["workarounds"])


def test_a_wrong_items_per_page_is_named_as_the_field_at_fault(
    broken_server: Callable[[str], ReferenceServer], run_suites: RunSuites
) -> None:
    """itemsPerPage says count, not the page's size: the failure names itemsPerPage and what it
    must be (RFC 7644 §3.4.2), not 'Resources has 1 value(s), expected 2' (issue 14 §3)."""
    document = run_suites(broken_server("items-per-page-is-count").base_url)
    entry = next(c for c in document["checks"] if c["id"] == "pagination.pages")
    messages = [failure["message"] for failure in entry["failures"]]
    assert messages and all("itemsPerPage is 2, but Resources holds 1 value(s)" in m
                            for m in messages), messages
    assert not any("Resources has" in m for m in messages), messages


def test_a_rejected_disable_cites_entras_request_and_the_diagnosis(
    broken_server: Callable[[str], ReferenceServer], run_suites: RunSuites
) -> None:
    document = run_suites(broken_server("string-boolean-rejected").base_url)
    entry = next(c for c in document["checks"] if c["id"] == "user.disable.string-false")
    message = entry["message"]
    assert "'value': 'False'" in message and "'op': 'Replace'" in message
    assert "lowercase op names were rejected too" in message
    assert "(diagnosis" not in message
    not_judged = {"user.disabled-still-visible", "user.reenable"}
    for check in document["checks"]:
        if check["id"] in not_judged:
            assert "legacy" not in check["by_dialect"], check


def test_a_refused_entra_group_create_still_lets_membership_be_judged(
    broken_server: Callable[[str], ReferenceServer], run_suites: RunSuites
) -> None:
    """The group create falls back to the core schema, so membership checks still run."""
    document = run_suites(broken_server("adscim-schema-rejected").base_url)
    by_id = {c["id"]: c for c in document["checks"]}
    assert by_id["group.create"]["outcome"] == "failed"
    assert "(the endpoint said:" in by_id["group.create"]["message"]
    for check_id in ("membership.add-several", "membership.remove-legacy", "group.rename",
                     "membership.batch"):
        # judged, but on a group Entra's own create could not make: never a plain pass
        assert by_id[check_id]["outcome"] == "workaround", check_id
        assert any("fallback" in w for w in by_id[check_id]["workarounds"]), check_id
    assert by_id["membership.remove-legacy"]["by_dialect"] == {"legacy": "workaround"}


def test_without_patch_the_first_thing_to_fix_is_patch_itself(
    broken_server: Callable[[str], ReferenceServer], run_suites: RunSuites
) -> None:
    document = run_suites(broken_server("patch-405").base_url)
    assert "First thing to fix: patch.implemented" in document["_stdout"]


def test_checks_that_held_only_after_the_lowercase_op_retry_are_no_pass(
    broken_server: Callable[[str], ReferenceServer], run_suites: RunSuites
) -> None:
    """Entra's "Add" is refused, lowercase "add" accepted: the membership checks judged after
    that retry held only for a request Entra does not send, so they show ⚠ with the reason
    in the terminal and results.json, never ✓ (issue 14 §5)."""
    document = run_suites(broken_server("ops-case-sensitive").base_url)
    by_id = {c["id"]: c for c in document["checks"]}
    added = by_id["membership.add-several"]
    assert added["outcome"] == "workaround" and not added["fails_run"], added
    assert added["by_dialect"] == {"legacy": "workaround", "compliant": "passed"}
    assert any("lowercase op names" in w and "patch.capitalised-ops" in w
               for w in added["workarounds"]), added
    assert by_id["membership.remove-legacy"]["outcome"] == "workaround"
    assert document["summary"]["workaround"] >= 2
    assert document["summary"]["passed"] == sum(
        1 for c in document["checks"] if c["outcome"] == "passed")
    assert by_id["patch.capitalised-ops"]["outcome"] == "failed"  # the refusal itself
    assert by_id["user.create.status-201"]["outcome"] == "passed"  # before any retry
    stdout = document["_stdout"]
    assert "⚠ Membership" in stdout and "✓ Membership" not in stdout
    assert "only with a workaround" in stdout


def test_checks_that_held_only_with_another_media_type_are_no_pass(
    broken_server: Callable[[str], ReferenceServer], run_suites: RunSuites
) -> None:
    """Entra's application/scim+json bodies are refused and application/json accepted: what
    was judged after that retry held only with a header Entra does not send."""
    document = run_suites(broken_server("scim-json-rejected").base_url)
    by_id = {c["id"]: c for c in document["checks"]}
    assert by_id["request.entra-content-type"]["outcome"] == "failed"
    created = by_id["user.create.status-201"]
    assert created["outcome"] == "workaround", created
    assert any("Content-Type: application/json" in w for w in created["workarounds"])
    assert "✓ Create user" not in document["_stdout"]


def test_a_soft_delete_gets_its_own_finding_and_a_cleanup_warning(
    broken_server: Callable[[str], ReferenceServer], run_suites: RunSuites,
    reference_server: ReferenceServer,
) -> None:
    """Deleted users kept as inactive: the finding says so, and the run warns that its own
    users may remain, naming ``scimcheck cleanup`` with this run's id (issue 14 §2)."""
    document = run_suites(broken_server("soft-delete").base_url)
    by_id = {c["id"]: c for c in document["checks"]}
    assert "keeps deleted users listed (a soft delete)" in \
        by_id["user.delete.gone-from-queries"]["message"]
    assert "409" in by_id["user.delete.recreate"]["message"]
    command = f"scimcheck cleanup {document['target']} --run-id {document['run_id']}"
    out = document["_stdout"]
    assert "the endpoint keeps users after DELETE" in out and command in out, out
    html = "".join(report_html.summary(document))
    assert "keeps users after DELETE" in html and command in html
    clean = run_suites(reference_server.base_url)
    assert "keeps users after DELETE" not in clean["_stdout"]
    assert "keeps users after DELETE" not in "".join(report_html.summary(clean))


def test_a_member_batch_cut_short_names_the_members_lost(
    broken_server: Callable[[str], ReferenceServer], run_suites: RunSuites
) -> None:
    """Only the first 10 of a 20-member add are applied: the failure counts and names the
    members missing, in each dialect (issue 14 §2)."""
    document = run_suites(broken_server("member-add-batch-capped").base_url)
    entry = next(c for c in document["checks"] if c["id"] == "membership.batch")
    assert entry["by_dialect"] == {"legacy": "failed", "compliant": "failed"}
    for failure in entry["failures"]:
        assert "10 of 20 members added in one PATCH are missing" in failure["message"]
        assert "scimcheck-" in failure["message"] and "and 5 more" in failure["message"]


def test_a_member_removal_batch_cut_short_names_the_members_kept(
    broken_server: Callable[[str], ReferenceServer], run_suites: RunSuites
) -> None:
    """Entra's default Remove with a value array of 8 removes only 5: the legacy failure names
    the 3 members still there; the compliant dialect (one remove per member) passes."""
    document = run_suites(broken_server("member-remove-batch-capped").base_url)
    entry = next(c for c in document["checks"] if c["id"] == "membership.batch")
    assert entry["by_dialect"] == {"legacy": "failed", "compliant": "passed"}
    assert "3 of 8 members removed in one PATCH are still in the group" in entry["message"]
