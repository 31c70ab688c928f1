"""A check passes only when its assertion ran on a real answer (issue 14 §1).

When a precondition fails (every generated user is refused; the create a match-by-externalId
sequence needs is refused), the checks that never reached their assertion are reported
``not evaluated`` with the reason, in results.json, junit.xml and the terminal summary.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree

from scimcheck.server import ReferenceServer
from support.harness import RunSuites

PROPERTIES = ("generated.create-roundtrip", "generated.filter-finds-user",
              "generated.patch-roundtrip")


def _entry(document: dict[str, object], check_id: str) -> dict[str, str]:
    entries = document["checks"]
    assert isinstance(entries, list)
    return next(e for e in entries if e["id"] == check_id)


def _junit_outcomes(path: Path, check_id: str) -> set[str]:
    tree = ElementTree.parse(path)  # written by this test's own run
    return {
        str(p.get("value")).split(" | ")[0] for p in tree.iter("property")
        if p.get("name") == f"check:{check_id}"
    }


def test_properties_are_not_evaluated_when_every_generated_user_is_refused(
    broken_server: Callable[[str], ReferenceServer], run_suites: RunSuites, tmp_path: Path
) -> None:
    junit = tmp_path / "junit.xml"
    document = run_suites(
        broken_server("user-creates-refused").base_url, "--scim-examples", "5",
        "--scim-seed", "7", "-k", "generated_users or generated_updates",
        f"--junitxml={junit}",
    )
    for check_id in PROPERTIES:
        entry = _entry(document, check_id)
        assert entry["outcome"] == "skipped", entry
        assert "refused" in entry["message"] and "400" in entry["message"], entry
        assert _junit_outcomes(junit, check_id) == {"not evaluated"}
        lines = document["_stdout"].splitlines()  # its reason, on the line that names it
        assert any(check_id in line and "refused" in line for line in lines), check_id
    assert _entry(document, "generated.values-accepted")["outcome"] == "failed"


def test_the_externalid_match_is_not_evaluated_when_the_create_is_refused(
    broken_server: Callable[[str], ReferenceServer], run_suites: RunSuites, tmp_path: Path
) -> None:
    junit = tmp_path / "junit.xml"
    document = run_suites(
        broken_server("externalid-create-refused").base_url, "--scim-profile", "entra-default",
        "-k", "externalid", f"--junitxml={junit}",
    )
    entry = _entry(document, "filter.finds-user-by-externalid")
    assert entry["outcome"] == "skipped", entry
    assert "match on externalId after the create" in entry["message"], entry
    assert _junit_outcomes(junit, "filter.finds-user-by-externalid") == {"not evaluated"}
    assert _entry(document, "user.create.entra-mapping")["outcome"] == "failed"  # refused create


def test_the_externalid_match_passes_on_the_reference_server(
    reference_server: ReferenceServer, run_suites: RunSuites
) -> None:
    document = run_suites(reference_server.base_url, "--scim-profile", "entra-default",
                          "-k", "externalid")
    entry = _entry(document, "filter.finds-user-by-externalid")
    assert entry["outcome"] == "passed" and entry["evaluations"] >= 1, entry
