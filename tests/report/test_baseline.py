"""Nightly CI: what changed since the last run (``--baseline``, ``--fail-on``, ``scimcheck diff``).

End to end: a run against a server with one defect is the baseline; the next run is against a
server where that defect is fixed and another introduced. It must report exactly one new and one
fixed finding, fail with ``--fail-on any`` and ``--fail-on new``, and pass with ``--fail-on new``
when nothing is new. A baseline file is hostile input like any report bundle.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from scimcheck.core import exitcodes
from scimcheck.report import baseline
from scimcheck.scim import schemas
from scimcheck.server import ReferenceServer
from support.harness import scimcheck_cli

FIXED = ("password-echoed-on-create", "user.password-never-returned")
INTRODUCED = ("readd-member-409", "membership.readd-idempotent")


def _run(url: str, report_dir: Path, *args: str) -> tuple[int, str, dict[str, Any]]:
    done = scimcheck_cli("run", url, "--dialect", "legacy", "--seed", "7",
                         "--report-dir", str(report_dir), *args)
    assert "Traceback" not in done.stdout + done.stderr
    document: dict[str, Any] = json.loads((report_dir / "results.json").read_text("utf-8"))
    assert schemas.validate("results", document) == []
    document["_report_dir"] = str(report_dir)
    return done.returncode, done.stdout, document


@pytest.fixture(scope="module")
def runs(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, tuple[int, str, dict[str, Any]]]:
    """The baseline (defect A), then a run with A fixed and B introduced, three ways."""
    from support.harness import TEST_TOKEN

    out: dict[str, tuple[int, str, dict[str, Any]]] = {}
    root = tmp_path_factory.mktemp("baseline")
    with ReferenceServer(host="127.0.0.1", port=0, token=TEST_TOKEN, variant=FIXED[0]) as old:
        out["old"] = _run(old.base_url, root / "old")
        out["same-new"] = _run(old.base_url, root / "same", "--baseline",
                               str(root / "old" / "results.json"), "--fail-on", "new")
    with ReferenceServer(host="127.0.0.1", port=0, token=TEST_TOKEN,
                         variant=INTRODUCED[0]) as new:
        for fail_on in ("any", "new"):
            out[fail_on] = _run(new.base_url, root / fail_on, "--baseline",
                                str(root / "old" / "results.json"), "--fail-on", fail_on)
    return out


def test_one_defect_fixed_and_one_introduced_is_one_new_and_one_fixed_finding(
    runs: dict[str, tuple[int, str, dict[str, Any]]],
) -> None:
    code, stdout, document = runs["any"]
    compared = document["baseline"]
    assert [f["check"] for f in compared["new"]] == [INTRODUCED[1]], stdout
    assert [f["check"] for f in compared["fixed"]] == [FIXED[1]], stdout
    assert compared["still"] == [] and compared["not_judged"] == []
    assert "Since the baseline: 1 new, 1 fixed, 0 still failing" in stdout
    assert code == exitcodes.CHECKS_FAILED
    page = (Path(document["_report_dir"]) / "report.html").read_text(encoding="utf-8")
    assert "1 new, 1 fixed, 0 still failing" in page
    assert f"<strong>new</strong> <code>{INTRODUCED[1]}</code>" in page


def test_fail_on_new_fails_on_a_new_finding_and_passes_when_nothing_is_new(
    runs: dict[str, tuple[int, str, dict[str, Any]]],
) -> None:
    assert runs["old"][0] == exitcodes.CHECKS_FAILED  # the defect fails a plain run
    assert runs["new"][0] == exitcodes.CHECKS_FAILED
    code, stdout, document = runs["same-new"]
    assert document["verdict"] == "fail"
    assert [f["check"] for f in document["baseline"]["still"]] == [FIXED[1]]
    assert document["baseline"]["new"] == []
    assert "no new finding since the baseline: exit 0" in stdout
    assert code == exitcodes.OK


def test_diff_compares_two_results_files(
    runs: dict[str, tuple[int, str, dict[str, Any]]], tmp_path: Path,
) -> None:
    paths = []
    for name in ("old", "any"):
        path = tmp_path / f"{name}.json"
        kept = {k: v for k, v in runs[name][2].items() if not k.startswith("_")}
        path.write_text(json.dumps(kept), encoding="utf-8")
        paths.append(str(path))
    done = scimcheck_cli("diff", *paths)
    assert done.returncode == exitcodes.CHECKS_FAILED, done.stdout + done.stderr
    assert done.stdout.splitlines()[0] == "Since the baseline: 1 new, 1 fixed, 0 still failing"
    assert f"new        {INTRODUCED[1]}" in done.stdout
    same = scimcheck_cli("diff", paths[1], paths[1])  # a run against itself: nothing new
    assert same.returncode == exitcodes.OK, same.stdout + same.stderr
    assert same.stdout.splitlines() == ["Since the baseline: 0 new, 0 fixed, 1 still failing"]


def _document(*failures: tuple[str, str, str]) -> dict[str, Any]:
    """A results-like document: (check, test, step) failures; every check judged."""
    checks: dict[str, dict[str, Any]] = {}
    for check, test, step in failures:
        entry = checks.setdefault(check, {
            "id": check, "level": "entra-blocking", "fails_run": True,
            "outcome": "failed", "failures": [],
        })
        entry["failures"].append({"test": test, "message": f"{step}: 500", "step": step})
    return {"checks": list(checks.values()), "verdict": "fail" if checks else "pass",
            "tests": {"errors": 0}}


def test_a_finding_is_the_same_across_runs_whatever_ids_values_and_shards_it_met() -> None:
    old = _document(("user.x", "t.py::t[user-lifecycle-legacy]", "disable 'scimcheck-ab12-1'"),
                    ("generated.y", "g.py::p[shard1of4]", "update (legacy)"))
    new = _document(("user.x", "t.py::t[user-lifecycle-legacy]", "disable 'scimcheck-cd34-9'"),
                    ("generated.y", "g.py::p[shard3of4]", "create (compliant)"))
    compared = baseline.compare(old, new)
    assert (len(compared.new), len(compared.fixed), len(compared.still)) == (0, 0, 2)


def test_a_different_step_or_dialect_is_a_different_finding() -> None:
    old = _document(("user.x", "t.py::t[user-lifecycle-legacy]", "disable user"))
    new = _document(("user.x", "t.py::t[user-lifecycle-legacy]", "re-enable user"),
                    ("user.x", "t.py::t[user-lifecycle-compliant]", "disable user"))
    new["checks"][0]["failures"][1]["dialect"] = "compliant"
    compared = baseline.compare(old, new)
    assert (len(compared.new), len(compared.fixed), len(compared.still)) == (2, 1, 0)


def test_a_finding_whose_check_was_not_judged_is_not_called_fixed() -> None:
    old = _document(("user.x", "t.py::t[a]", "disable user"))
    new = copy.deepcopy(old)
    new["checks"][0].update(outcome="skipped", failures=[])
    compared = baseline.compare(old, new)
    assert compared.fixed == [] and [f.check for f in compared.not_judged] == ["user.x"]
    assert not compared.fails("new")


HOSTILE: list[tuple[str, Callable[[Path], None], str]] = [
    ("missing", lambda p: None, "cannot be read"),
    ("not-json", lambda p: p.write_text("{nope", encoding="utf-8"), "is not JSON"),
    ("deep", lambda p: p.write_text("[" * 100_000, encoding="utf-8"), "is not JSON"),
    ("not-utf8", lambda p: p.write_bytes(b"\xff\xfe{}"), "not UTF-8"),
    ("wrong-shape", lambda p: p.write_text('{"checks": 1}', encoding="utf-8"),
     "is not a scimcheck results.json"),
    ("escapes", lambda p: p.write_text('{"tool": "\\u001b[2J"}', encoding="utf-8"),
     "is not a scimcheck results.json"),
]


@pytest.mark.parametrize(("name", "make", "said"), HOSTILE, ids=[h[0] for h in HOSTILE])
@pytest.mark.parametrize("command", ["run", "diff"])
def test_a_bad_baseline_is_one_line_and_a_usage_error_before_anything_is_sent(
    name: str, make: Callable[[Path], None], said: str, command: str, tmp_path: Path,
) -> None:
    bad = tmp_path / f"{name}.json"
    make(bad)
    if command == "run":
        # a closed port: had the run sent anything, it would say the target is unreachable
        done = scimcheck_cli("run", "http://127.0.0.1:9/scim/v2", "--baseline", str(bad),
                             "--report-dir", str(tmp_path / "r"))
    else:
        done = scimcheck_cli("diff", str(bad), str(bad))
    assert done.returncode == exitcodes.USAGE, done.stdout + done.stderr
    assert done.stderr.count("\n") == 1 and said in done.stderr, done.stderr
    assert "\x1b" not in done.stderr and "Traceback" not in done.stderr


def test_fail_on_new_without_a_baseline_is_a_usage_error(tmp_path: Path) -> None:
    done = scimcheck_cli("run", "http://127.0.0.1:9/scim/v2", "--fail-on", "new",
                         "--report-dir", str(tmp_path))
    assert done.returncode == exitcodes.USAGE
    assert done.stderr.strip() == (
        "scimcheck: --fail-on new needs --baseline: give the results.json of an earlier run"
    )
