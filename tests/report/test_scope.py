"""The verdict names its scope and every Entra-blocking check it did not judge (issue 14 §1).

A PASS under the default profile covers the entra-app mapping only: the summary, results.json
and report.html say so, and list each unjudged Entra-blocking check by reason with the flag that
judges it (another --profile, an https URL, a generated-users budget).
"""

from __future__ import annotations

from typing import Any

from scimcheck.report import html as report_html
from scimcheck.scim import schemas
from scimcheck.server import ReferenceServer
from support.harness import RunSuites

SCOPE = ("Verdict: PASS for the entra-app mapping (userName, active, displayName, "
         "name.givenName, name.familyName; groups)")


def _judged_by(document: dict[str, Any]) -> dict[str, str | None]:
    return {item["id"]: item["judged_by"] for item in document["not_judged"]}


def test_a_pass_names_its_scope_and_what_it_did_not_judge(
    reference_server: ReferenceServer, run_suites: RunSuites
) -> None:
    document = run_suites(reference_server.base_url)
    out = document.pop("_stdout")
    document.pop("_pytest_ret")
    assert schemas.validate("results", document) == []
    assert document["verdict"] == "pass"
    assert SCOPE in out, out
    assert document["scope"] == {
        "profile": "entra-app",
        "users": ["userName", "active", "displayName", "name.givenName", "name.familyName"],
        "groups": ["displayName", "members"],
    }
    judged_by = _judged_by(document)
    assert judged_by["transport.tls12"] == "an https URL"
    for check_id in ("user.update.filtered-path", "user.update.enterprise-path",
                     "filter.finds-user-by-externalid"):
        assert judged_by[check_id] == "--profile entra-default"
    assert judged_by["user.update.roles"] == "--profile entra-app-roles"
    assert judged_by["generated.create-roundtrip"].startswith("--examples")
    # every Entra-blocking check the run skipped is listed, and nothing else
    skipped = {c["id"] for c in document["checks"]
               if c["level"] == "entra-blocking" and c["outcome"] == "skipped"}
    assert set(judged_by) == skipped
    assert "Not judged (entra-blocking" in out
    assert ("the entra-app mapping does not send externalId → judged with --profile "
            "entra-default: filter.finds-user-by-externalid") in out
    assert "→ judged with an https URL: transport.tls12" in out
    html = "".join(report_html.summary(document))
    assert "Scope: the entra-app mapping" in html and "Not judged (entra-blocking)" in html
    assert "<code>user.update.filtered-path</code>" in html


def test_a_profile_that_maps_the_attributes_judges_them(
    reference_server: ReferenceServer, run_suites: RunSuites
) -> None:
    document = run_suites(reference_server.base_url, "--scim-profile", "entra-default",
                          "-k", "externalid")
    assert document["scope"]["profile"] == "entra-default"
    assert "filter.finds-user-by-externalid" not in _judged_by(document)
    assert "Verdict: PASS for the entra-default mapping (" in document["_stdout"]
