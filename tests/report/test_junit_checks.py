"""junit.xml lists checks, not pytest items (issue 16 §3): one test case per registered check,
failing only where the check fails the run, with level and source as properties."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

import pytest

from scimcheck.checks import registry as checks
from scimcheck.core import exitcodes
from scimcheck.report import junit as junit_checks
from scimcheck.server import ReferenceServer
from support.harness import scimcheck_cli


def _cases(path: Path) -> dict[str, ElementTree.Element]:
    root = ElementTree.parse(path).getroot()
    return {case.get("name", ""): case for case in root.iter("testcase")}


@pytest.fixture(scope="module")
def broken_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run against a server whose disable leaves users active (string "False" truthy)."""
    from support.harness import TEST_TOKEN

    reports = tmp_path_factory.mktemp("junit")
    with ReferenceServer(host="127.0.0.1", port=0, token=TEST_TOKEN,
                         variant="string-false-truthy") as server:
        done = scimcheck_cli("run", server.base_url, "--report-dir", str(reports),
                             "--dialect", "legacy")
    assert done.returncode == exitcodes.CHECKS_FAILED, done.stdout[-2000:] + done.stderr
    return reports


def test_every_check_is_one_test_case_with_its_level_and_source(broken_run: Path) -> None:
    cases = _cases(broken_run / "junit.xml")
    assert set(cases) == {c.id for c in checks.all_checks()}
    case = cases["user.disable.string-false"]
    assert case.get("classname") == "scimcheck.Disable user"
    properties = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert properties["level"] == "entra-blocking" and properties["outcome"] == "failed"
    assert properties["source"] and properties["url"].startswith("https://")
    failure = case.find("failure")
    assert failure is not None and failure.get("type") == "entra-blocking"
    assert "active" in (failure.get("message") or "")


def test_only_checks_that_fail_the_run_are_failures(broken_run: Path) -> None:
    document = json.loads((broken_run / "results.json").read_text(encoding="utf-8"))
    cases = _cases(broken_run / "junit.xml")
    for check in document["checks"]:
        case = cases[check["id"]]
        assert (case.find("failure") is not None) == check["fails_run"], check["id"]
        assert (case.find("skipped") is not None) == (check["outcome"] == "skipped"), check["id"]
    root = ElementTree.parse(broken_run / "junit.xml").getroot()
    assert root.get("failures") == str(sum(c["fails_run"] for c in document["checks"]))


def test_a_finding_below_the_failing_level_is_output_not_a_failure() -> None:
    check = {"id": "group.displayname-unique", "title": "t", "level": "advisory",
             "capability": "Groups", "source": "s", "url": None, "outcome": "failed",
             "fails_run": False, "message": "two groups \x1b[2J named Team\x00",
             "consequence": "c", "fix": "f", "failures": []}
    document = {"target": "http://127.0.0.1:1/scim/v2", "dialects": ["legacy"],
                "checks": [check], "strict": False}
    root = ElementTree.fromstring(junit_checks.render(document))  # well-formed: no \x1b, \x00
    case = next(root.iter("testcase"))
    assert case.find("failure") is None
    out = case.find("system-out")
    assert out is not None and "finding below the failing level (advisory)" in (out.text or "")
    assert "\x1b" not in (out.text or "") and "[2J named Team" in (out.text or "")
