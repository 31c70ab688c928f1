"""Under the other bundled profiles the suites judge what entra-app skips.

tests/verdicts/test_suite_verdicts.py runs under entra-app, where the sequences needing work emails,
enterprise attributes, manager, externalId (entra-default) or app roles (entra-app-roles) are
skipped. Here the same proof runs with ``--scim-profile NAME``: the reference server fails no
check (the lifecycle sends and updates every attribute of the profile, and reads each back
exactly), and each variant whose checks only that profile evaluates fails exactly its checks
(tests/support/variant_map.py).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from scimcheck.server import ReferenceServer
from support.harness import RunSuites, failed_checks
from support.variant_map import (
    EXPECTED,
    GENERATED,
    OAUTH_ONLY_CHECKS,
    PROFILE_ONLY_CHECKS,
    PROVEN_ELSEWHERE,
    RECORDED,
    profile_for,
)

PROFILES = sorted(PROFILE_ONLY_CHECKS)
VARIANTS = sorted((profile_for(v), v) for v in EXPECTED if profile_for(v) is not None)
# where a profile-only check is judged, when not in both dialects
JUDGED_IN = {
    "user.update.pathless-urn": {"compliant"},
    "filter.finds-user-by-externalid": {"any"},
}


@pytest.mark.parametrize("profile", PROFILES)
def test_reference_server_passes_every_check_under_the_profile(
    profile: str, reference_server: ReferenceServer, run_suites: RunSuites
) -> None:
    document = run_suites(reference_server.base_url, "--scim-profile", profile)
    assert document["profile"] == profile
    assert failed_checks(document) == set(), document["_stdout"]
    assert document["verdict"] == "pass"
    assert document["_pytest_ret"] == 0
    skipped = {c["id"] for c in document["checks"] if c["outcome"] == "skipped"}
    others = set().union(*(ids for name, ids in PROFILE_ONLY_CHECKS.items() if name != profile))
    # the properties: tests/verdicts/test_generated_verdicts.py
    others |= set().union(*GENERATED.values())
    others |= set().union(*RECORDED.values())  # replays of recordings only
    others |= set(PROVEN_ELSEWHERE)  # e.g. TLS: the reference server is plain http
    # judged only with OAuth options: tests/verdicts/test_oauth_verdicts.py
    others |= OAUTH_ONLY_CHECKS
    assert skipped == others, f"checks never evaluated under {profile}: {skipped - others}"
    for check in document["checks"]:
        if check["id"] in PROFILE_ONLY_CHECKS[profile]:
            expected = JUDGED_IN.get(check["id"], {"legacy", "compliant"})
            assert set(check["by_dialect"]) == expected, check


def test_entra_app_skips_the_sequences_with_the_reason(
    reference_server: ReferenceServer, run_suites: RunSuites
) -> None:
    document = run_suites(reference_server.base_url, "-rs")
    stdout = document["_stdout"]
    for reason in (
        'does not map the user attribute emails[type eq "work"].value',
        "does not map the user attribute externalId",
        "does not map the user attribute roles",
    ):
        assert f"profile 'entra-app' {reason}" in stdout, stdout
    for check in document["checks"]:
        if any(check["id"] in ids for ids in PROFILE_ONLY_CHECKS.values()):
            assert check["outcome"] == "skipped", check


@pytest.mark.parametrize("profile", PROFILES)
def test_every_profile_only_check_is_proven_here(profile: str) -> None:
    proven = set().union(*(EXPECTED[v] for p, v in VARIANTS if p == profile))
    assert proven >= PROFILE_ONLY_CHECKS[profile]


@pytest.mark.parametrize(("profile", "variant"), VARIANTS)
def test_variant_fails_exactly_its_checks_under_its_profile(
    profile: str,
    variant: str,
    broken_server: Callable[[str], ReferenceServer],
    run_suites: RunSuites,
) -> None:
    server = broken_server(variant)
    document = run_suites(server.base_url, "--scim-profile", profile)
    assert failed_checks(document) == EXPECTED[variant], document["_stdout"]
    failing_level = any(c["fails_run"] for c in document["checks"])
    assert document["verdict"] == ("fail" if failing_level else "pass")
    assert document["_pytest_ret"] == (1 if failing_level else 0)
