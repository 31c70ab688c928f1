"""`scimcheck replay` runs only scimcheck's own suites (issue 13 §3).

A failure record may come from a customer's report bundle: it is data. Each hostile record
below is refused with exit 2 and a one-line message, and nothing it names is imported, read or
contacted: the Python files it points at would create a canary file when imported.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from scimcheck.cli import replay as rerun
from scimcheck.core import bundled, errors, exitcodes
from scimcheck.scim import profiles
from support.harness import scimcheck_cli
from support.victim import Victim

CHECK = "test-connection.no-match-empty-list"
ITEM = "test-connection.yaml::test-connection"


def _planted(directory: Path) -> tuple[Path, Path]:
    """A directory of Python that writes a canary when pytest imports any of it: a test
    module and a conftest.py. Returns (the test module, the canary)."""
    canary = directory / "CANARY"
    payload = f"import pathlib\npathlib.Path({str(canary)!r}).write_text('ran')\n"
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "conftest.py").write_text(payload, encoding="utf-8")
    module = directory / "test_evil.py"
    module.write_text(payload + "def test_x():\n    pass\n", encoding="utf-8")
    return module, canary


def _record(tmp_path: Path, **fields: Any) -> Path:
    record = {"check": CHECK, "test": ITEM, "message": "m", "seed": 1, "profile": "entra-app",
              "examples": None, "shards": 1, "target": None, "script": None}
    record.update(fields)
    path = tmp_path / "bundle" / "repro" / "record.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record), encoding="utf-8")
    return path


def _hostile_cases(evil: Path) -> dict[str, dict[str, Any]]:
    suites = bundled.suites_dir()
    relative = os.path.relpath(evil, suites)
    return {
        "absolute path": {"test": f"{evil}::test_x"},
        "../ path": {"test": f"{relative}::test_x"},
        "conftest beside a test": {"test": f"{evil.parent / 'conftest.py'}::test_x"},
        "-p option in the item": {"test": f"{ITEM} -p evil"},
        "--rootdir in the item": {"test": f"test-connection.yaml::test-connection "
                                          f"--rootdir={evil.parent}"},
        "option as the file": {"test": f"-p{evil.stem}::test_x"},
        "unknown function": {"test": "test_generated.py::test_not_there"},
        "unknown sequence item": {"test": "test-connection.yaml::legacy"},
        "sequence file not bundled": {"test": "evil.yaml::legacy"},
        "sequence file by path": {"test": "../fixtures/sequences/test-connection.yaml::"
                                          "test-connection"},
        "unknown check": {"check": "no.such-check"},
        "seed as text": {"seed": "1 --rootdir=/"},
        "seed huge": {"seed": 10**30},
        "examples huge": {"examples": 10**12},
        "examples negative": {"examples": -1},
        "shards huge": {"shards": 10**9},
        "shards as text": {"shards": "4"},
        "test not a string": {"test": ["test_generated.py", "test_x"]},
        "unknown field": {"pytest_args": ["-p", "evil"]},
        "profile path": {"profile": str(evil.parent / "profile.yaml")},
        "script path": {"script": str(evil)},
    }


CASES = sorted(_hostile_cases(Path("/x/test_evil.py")))


@pytest.mark.parametrize("case", CASES)
def test_a_hostile_failure_record_is_refused_and_nothing_it_names_runs(
    tmp_path: Path, case: str
) -> None:
    evil, canary = _planted(tmp_path / "customer")
    (evil.parent / "profile.yaml").write_text(
        "name: x\nusers: {matching: userName, attributes: [userName]}\n", encoding="utf-8")
    record = _record(tmp_path, **_hostile_cases(evil)[case])
    done = scimcheck_cli("replay", str(record), "--report-dir", str(tmp_path / "out"),
                      cwd=evil.parent)
    assert not canary.exists(), "the record's Python ran"
    assert done.returncode == exitcodes.USAGE, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("scimcheck: "), done.stderr
    assert "Traceback" not in done.stderr


def test_a_control_character_in_a_record_is_not_written_to_the_terminal(tmp_path: Path) -> None:
    record = _record(tmp_path, check="\x1b[2J\x1b[32mfixed\nscimcheck: fixed")
    with pytest.raises(errors.ReplayFileError) as refused:
        rerun.load(record, bundled.suites_dir())
    message = str(refused.value)
    assert "\x1b" not in message and "\n" not in message


def test_a_symlinked_suite_file_is_not_a_suite(tmp_path: Path) -> None:
    evil, canary = _planted(tmp_path / "customer")
    suites = tmp_path / "suites"
    suites.mkdir()
    (suites / "test_evil.py").symlink_to(evil)
    record = _record(tmp_path, test="test_evil.py::test_x")
    with pytest.raises(errors.ReplayFileError, match="is not one of the suites' items"):
        rerun.load(record, suites)
    assert not canary.exists()


def test_a_bundled_item_replays_with_the_bundled_profile_never_a_path(tmp_path: Path) -> None:
    shipped = profiles.bundled_file("entra-app")
    assert shipped is not None
    for named in ("entra-app", str(shipped)):  # a name, or the path older records held
        target = rerun.load(_record(tmp_path, profile=named), bundled.suites_dir())
        assert target.profile == str(shipped)
        assert target.nodes == [f"{bundled.fixtures_dir() / 'sequences' / ITEM}"]
        assert target.options[:2] == ["--scim-seed", "1"]
    given = rerun.load(_record(tmp_path, profile="/anywhere/p.yaml"), bundled.suites_dir(),
                       profile_given=True)
    assert given.profile is None  # --profile decides; the record's path is not opened


def test_the_url_a_record_names_is_never_contacted(tmp_path: Path) -> None:
    evil, canary = _planted(tmp_path / "customer")
    script = evil.parent / "run.sh"
    script.write_text(f"#!/bin/sh\ntouch {canary}\n", encoding="utf-8")
    script.chmod(0o755)
    with Victim() as victim:
        record = _record(tmp_path, target=f"{victim.url}/scim/v2", script="run.sh")
        bare = scimcheck_cli("replay", str(record), "--report-dir", str(tmp_path / "out"))
        done = scimcheck_cli("replay", str(record), "--embedded",
                             "--report-dir", str(tmp_path / "out"))
    assert bare.returncode == exitcodes.USAGE, bare.stdout + bare.stderr
    assert f"recorded against {victim.url}/scim/v2" in bare.stderr  # shown, not used
    assert done.returncode == exitcodes.OK, done.stdout + done.stderr
    assert "fixed: test-connection.no-match-empty-list passes now" in done.stdout
    assert "not the endpoint the record was written against" in done.stdout
    assert victim.received == []
    assert not canary.exists()


def test_a_sequence_file_that_breaks_its_schema_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "recorded.yaml"
    path.write_text("id: x\ntitle: t\nsource: s\nsteps:\n  - name: a\n    request:\n"
                    "      method: GET\n      path: Users\n", encoding="utf-8")
    done = scimcheck_cli("replay", str(path), "--report-dir", str(tmp_path / "out"))
    assert done.returncode == exitcodes.USAGE, done.stdout + done.stderr
    assert "recorded.yaml:8" in done.stderr and "Traceback" not in done.stderr


def test_a_sequence_file_with_python_tags_is_refused(tmp_path: Path) -> None:
    canary = tmp_path / "CANARY"
    path = tmp_path / "recorded.yaml"
    path.write_text(
        f"id: !!python/object/apply:os.system ['touch {canary}']\ntitle: t\nsource: s\n"
        "steps: [{name: a}]\n", encoding="utf-8")
    done = scimcheck_cli("replay", str(path), "--report-dir", str(tmp_path / "out"))
    assert done.returncode == exitcodes.USAGE, done.stdout + done.stderr
    assert not canary.exists() and "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "path", ["/Users/../../admin", "/Users/%2e%2e/%2E%2E/admin", "//victim/x", "/Users/a\\..\\b",
             "/Users%2f..%2fadmin", "/Users?x=1"],
)
def test_a_recorded_path_that_leaves_the_base_is_refused(tmp_path: Path, path: str) -> None:
    """A recording is a hostile file too: its paths must stay under the URL the user gives."""
    recorded = tmp_path / "recorded.yaml"
    recorded.write_text(
        "id: recorded\ntitle: t\nsource: s\ndialects: none\nsteps:\n  - name: a\n    request:\n"
        f"      method: DELETE\n      path: {json.dumps(path)}\n", encoding="utf-8")
    with pytest.raises(errors.ReplayFileError, match=r"recorded\.yaml:9: .*no \. or \.\. segment"):
        rerun.load(recorded, bundled.suites_dir())


@pytest.mark.parametrize("name", ["pagination", "fixtures/sequences/pagination.yaml"])
def test_a_bundled_sequence_replays_by_its_id_outside_a_checkout(name: str, tmp_path: Path) -> None:
    """From an installed package there is no fixtures/ folder in the working directory: the
    id (or the checkout path the docs show) still names the bundled sequence."""
    done = scimcheck_cli("replay", name, "--report-dir", str(tmp_path / "r"), cwd=tmp_path)
    assert done.returncode == exitcodes.OK, done.stdout[-2000:] + done.stderr
    assert "replaying sequence pagination" in done.stdout


def test_an_unknown_sequence_id_lists_the_bundled_ones(tmp_path: Path) -> None:
    done = scimcheck_cli("replay", "no-such-sequence", cwd=tmp_path)
    assert done.returncode == exitcodes.USAGE
    assert done.stderr.count("\n") == 1
    assert "or name a bundled sequence: app-roles, create-minimal-user" in done.stderr


def test_a_check_that_held_only_with_a_workaround_is_not_fixed() -> None:
    """Replaying a failure whose check now holds only after a diagnostic retry (e.g. lowercase
    op names) is no fix: Entra's own request is still refused (issue 14 §5)."""
    from scimcheck.cli.replay import ReplayTarget, verdict
    from scimcheck.core import exitcodes

    document = {"checks": [{"id": "membership.add-several", "outcome": "workaround",
                            "message": "passed only with a workaround scimcheck applied: x"}],
                "tests": {"errors": 0}}
    target = ReplayTarget(nodes=[], options=[], check="membership.add-several", profile=None,
                          label="x")
    code, said = verdict(target, document)
    assert code == exitcodes.CHECKS_FAILED and said.startswith("still failing:")
