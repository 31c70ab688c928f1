"""The support engineer's tools: repro scripts, `scimcheck replay` and `scimcheck record`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
import yaml

from scimcheck.core import bundled, exitcodes
from scimcheck.record.proxy import TrafficRecorder
from scimcheck.server import ReferenceServer
from support.harness import TEST_TOKEN, scimcheck_cli
from support.variant_map import RECORDED

needs_curl = pytest.mark.skipif(
    shutil.which("curl") is None or shutil.which("bash") is None, reason="needs curl and bash"
)


def _failing_run(server: ReferenceServer, reports: Path) -> Path:
    done = scimcheck_cli("run", server.base_url, "--report-dir", str(reports))
    assert done.returncode == exitcodes.CHECKS_FAILED, done.stdout + done.stderr
    assert "Reproduce a failure: SCIM_TOKEN=… bash" in done.stdout
    (record,) = (reports / "repro").glob("membership.remove-legacy--*.json")
    return record


def _last_members(stdout: str) -> list[str]:
    bodies = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    groups = [b for b in bodies if "urn:ietf:params:scim:schemas:core:2.0:Group" in
              b.get("schemas", [])]
    return [m["value"] for m in groups[-1].get("members", [])]


def _replay_script(script: Path, variant: str | None) -> tuple[subprocess.CompletedProcess[str],
                                                                  list[int]]:
    """Run a repro script with bash and real curl against a fresh server (a broken variant, or
    the correct reference server with ``None``); its result, and how many users and groups
    the server holds afterwards."""
    with ReferenceServer(host="127.0.0.1", port=0, token=TEST_TOKEN, variant=variant) as s:
        done = subprocess.run(
            ["bash", str(script)], capture_output=True, text=True, timeout=120,
            env={"PATH": os.environ["PATH"], "SCIM_URL": s.base_url, "SCIM_TOKEN": TEST_TOKEN},
        )
        left = [
            requests.get(f"{s.base_url}/{kind}", timeout=30,
                         headers={"Authorization": f"Bearer {TEST_TOKEN}"}).json()["totalResults"]
            for kind in ("Users", "Groups")
        ]
    return done, left


def _verdict(stdout: str) -> str:
    (line,) = [x for x in stdout.splitlines()
               if x.startswith(("REPRODUCED:", "NOT REPRODUCED:", "CHECK BY HAND:"))]
    return line


@needs_curl
def test_a_failure_comes_with_a_script_that_shows_it(
    tmp_path: Path, broken_server: Callable[[str], ReferenceServer]
) -> None:
    """The script judges the answer it was written for: REPRODUCED (exit 1) on the broken
    variant, NOT REPRODUCED (exit 0) on the correct server; it labels its steps and leaves
    nothing behind on either."""
    record = _failing_run(broken_server("member-remove-wipes-all"), tmp_path)
    script = record.with_suffix(".sh")
    text = script.read_text(encoding="utf-8")
    assert TEST_TOKEN not in text and "$SCIM_TOKEN" in text
    assert os.access(script, os.X_OK)
    broken, left = _replay_script(script, "member-remove-wipes-all")
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert _verdict(broken.stdout).startswith(
        "REPRODUCED: membership.remove-legacy: expected members[*].value same set [")
    assert _verdict(broken.stdout).endswith("got members[*].value is []")
    assert _last_members(broken.stdout) == []  # the failure: removing one emptied all
    assert "== #1 create member alice ==" in broken.stdout  # each step labelled
    assert left == [0, 0], "the script left users or groups behind"
    fixed, left = _replay_script(script, None)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert _verdict(fixed.stdout).startswith("NOT REPRODUCED: membership.remove-legacy: ")
    assert len(_last_members(fixed.stdout)) == 2  # the correct server keeps the other two
    assert left == [0, 0], "the script left users or groups behind"


@needs_curl
@pytest.mark.parametrize(("variant", "check", "test", "expected"), [
    ("filter-quote-500", "generated.no-server-error", "test_generated_users",
     "expected a status below 500, got status 500"),
    ("long-values-rejected", "generated.values-accepted", "test_generated_users",
     "expected status 200 or 201, got status 400"),
])
def test_a_generated_failures_script_replays_its_example(
    tmp_path: Path, broken_server: Callable[[str], ReferenceServer], variant: str, check: str,
    test: str, expected: str,
) -> None:
    """A generated failure's script sends the shrunk example's requests (never none), judges
    the last one, and deletes the users it created, even when the judged create succeeds."""
    env_run = scimcheck_cli(
        "run", broken_server(variant).base_url, "--report-dir", str(tmp_path), "--examples",
        "30", "--seed", "7", "--", "-k", test,
    )
    assert env_run.returncode in (exitcodes.OK, exitcodes.CHECKS_FAILED), env_run.stderr
    scripts = sorted((tmp_path / "repro").glob(f"{check}--{test}*.sh"))  # one per failing shard
    assert scripts, env_run.stdout[-2000:]
    script = scripts[0]
    assert "curl " in script.read_text(encoding="utf-8").split("trap scim_cleanup EXIT")[1]
    broken, left = _replay_script(script, variant)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert _verdict(broken.stdout) == f"REPRODUCED: {check}: {expected}"
    assert "create a generated user ==" in broken.stdout
    assert left == [0, 0], "the script left users behind"
    fixed, left = _replay_script(script, None)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert _verdict(fixed.stdout).startswith(f"NOT REPRODUCED: {check}: ")
    assert left == [0, 0], "the script left users behind"


@needs_curl
def test_a_python_coded_checks_script_states_and_judges_its_expectation(
    tmp_path: Path, broken_server: Callable[[str], ReferenceServer]
) -> None:
    """patch.capitalised-ops is judged in Python (the lowercase-op diagnosis), not by a
    sequence file's expectation: its script still says what it expects of Entra's PATCH and
    judges it, REPRODUCED on the case-sensitive variant, NOT REPRODUCED on the correct server,
    and leaves nothing behind (issue 14 §5)."""
    done = scimcheck_cli("run", broken_server("ops-case-sensitive").base_url,
                         "--report-dir", str(tmp_path), "--dialect", "legacy",
                         "--", "-k", "groups-membership")
    assert done.returncode == exitcodes.CHECKS_FAILED, done.stdout + done.stderr
    (script,) = (tmp_path / "repro").glob("patch.capitalised-ops--*.sh")
    broken, left = _replay_script(script, "ops-case-sensitive")
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert _verdict(broken.stdout) == (
        "REPRODUCED: patch.capitalised-ops: expected status 200 or 204, got status 400")
    assert left == [0, 0], "the script left users or groups behind"
    fixed, left = _replay_script(script, None)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert _verdict(fixed.stdout).startswith("NOT REPRODUCED: patch.capitalised-ops: ")
    assert left == [0, 0], "the script left users or groups behind"


@needs_curl
def test_a_generated_round_trip_script_judges_the_values_it_sent(
    tmp_path: Path, broken_server: Callable[[str], ReferenceServer]
) -> None:
    """A generated create whose values come back changed: the script replays the shrunk
    example's create and read-back and expects each changed attribute as sent (but for
    whitespace and case), REPRODUCED where values are truncated, NOT REPRODUCED where they are
    kept; never CHECK BY HAND for attributes a script can read."""
    test = "test_generated_users"
    run = scimcheck_cli("run", broken_server("truncates-64").base_url, "--report-dir",
                        str(tmp_path), "--examples", "30", "--seed", "7", "--", "-k", test)
    assert run.returncode == exitcodes.CHECKS_FAILED, run.stdout[-2000:] + run.stderr
    scripts = sorted((tmp_path / "repro").glob(f"generated.create-roundtrip--{test}*.sh"))
    assert scripts, run.stdout[-2000:]
    text = scripts[0].read_text(encoding="utf-8").split("trap scim_cleanup EXIT")[1]
    assert "-X POST" in text and "-X GET" in text  # the example's requests, not just a GET
    broken, left = _replay_script(scripts[0], "truncates-64")
    assert broken.returncode == 1, broken.stdout + broken.stderr
    verdict = _verdict(broken.stdout)
    assert verdict.startswith("REPRODUCED: generated.create-roundtrip: expected "), verdict
    assert " equals normalised " in verdict
    assert left == [0, 0], "the script left users behind"
    fixed, left = _replay_script(scripts[0], None)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert _verdict(fixed.stdout).startswith("NOT REPRODUCED: generated.create-roundtrip: ")
    assert left == [0, 0], "the script left users behind"


def test_replay_says_still_failing_then_fixed(
    tmp_path: Path, broken_server: Callable[[str], ReferenceServer],
    reference_server: ReferenceServer,
) -> None:
    record = _failing_run(broken_server("member-remove-wipes-all"), tmp_path / "run")
    again = scimcheck_cli("replay", str(record), broken_server("member-remove-wipes-all").base_url,
                       "--report-dir", str(tmp_path / "again"))
    assert again.returncode == exitcodes.CHECKS_FAILED, again.stdout + again.stderr
    assert "still failing: membership.remove-legacy" in again.stdout
    assert "── #1 create member alice ──" in again.stdout  # verbose: every exchange
    assert TEST_TOKEN not in again.stdout
    fixed = scimcheck_cli("replay", str(record), reference_server.base_url,
                       "--report-dir", str(tmp_path / "fixed"))
    assert fixed.returncode == exitcodes.OK, fixed.stdout + fixed.stderr
    assert "fixed: membership.remove-legacy passes now" in fixed.stdout


def test_replay_of_a_record_without_a_url_refuses_and_names_the_recorded_target(
    tmp_path: Path, broken_server: Callable[[str], ReferenceServer],
) -> None:
    """Without URL a failure record is not replayed against the embedded (correct) server,
    which would say "fixed" about an endpoint it never contacted; nor against the record's
    ``target`` (a bundle's data). The recorded target is shown (password-free, escaped) and
    the command to give; ``--embedded`` asks for the reference server explicitly."""
    record = _failing_run(broken_server("member-remove-wipes-all"), tmp_path / "run")
    data = json.loads(record.read_text(encoding="utf-8"))
    data["target"] = "https://someone:s3cret-pw@victim.example/scim/v2?x=1\x1b[2J"
    record.write_text(json.dumps(data), encoding="utf-8")
    bare = scimcheck_cli("replay", str(record), "--report-dir", str(tmp_path / "bare"))
    assert bare.returncode == exitcodes.USAGE, bare.stdout + bare.stderr
    assert "recorded against https://victim.example/scim/v2" in bare.stderr
    assert f"pass the endpoint to replay against: scimcheck replay {record} URL" in bare.stderr
    assert "s3cret-pw" not in bare.stdout + bare.stderr and "\x1b" not in bare.stderr
    assert "fixed" not in bare.stdout and not (tmp_path / "bare" / "results.json").exists()
    embedded = scimcheck_cli("replay", str(record), "--embedded",
                             "--report-dir", str(tmp_path / "embedded"))
    assert embedded.returncode == exitcodes.OK, embedded.stdout + embedded.stderr
    assert "embedded reference server" in embedded.stdout
    assert "fixed: membership.remove-legacy passes now" in embedded.stdout
    both = scimcheck_cli("replay", str(record), "http://127.0.0.1:9/scim/v2", "--embedded")
    assert both.returncode == exitcodes.USAGE and "not both" in both.stderr


def test_replay_runs_a_sequence_file_alone(tmp_path: Path) -> None:
    sequence = bundled.fixtures_dir() / "sequences" / "test-connection.yaml"
    done = scimcheck_cli("replay", str(sequence), "--report-dir", str(tmp_path))
    assert done.returncode == exitcodes.OK, done.stdout + done.stderr
    assert "passes: sequence test-connection" in done.stdout
    document = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert document["tests"]["passed"] == 1


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ("just: yaml\n", "neither a failure record"),
        ('{"check": "x", "test": "nowhere.py::t"}', "requires one of the suites' items"),
        (None, "cannot read"),
    ],
)
def test_replay_refuses_what_it_cannot_replay(
    tmp_path: Path, content: str | None, said: str
) -> None:
    path = tmp_path / ("file.json" if content and content.startswith("{") else "file.yaml")
    if content is not None:
        path.write_text(content, encoding="utf-8")
    done = scimcheck_cli("replay", str(path))
    assert done.returncode == exitcodes.USAGE
    assert said in done.stderr and "Traceback" not in done.stderr


def test_record_writes_a_sequence_that_replays_with_the_same_outcome(
    tmp_path: Path, reference_server: ReferenceServer,
    broken_server: Callable[[str], ReferenceServer],
) -> None:
    out = tmp_path / "recorded.yaml"
    recorder = TrafficRecorder(reference_server.base_url, out)
    with ReferenceServer(host="127.0.0.1", port=0, app=recorder) as proxy:
        sequence = bundled.fixtures_dir() / "sequences" / "groups-membership.yaml"
        through = scimcheck_cli("replay", str(sequence), proxy.base_url, "--dialect", "legacy",
                             "--report-dir", str(tmp_path / "through"))
        assert through.returncode == exitcodes.OK, through.stdout + through.stderr
    text = out.read_text(encoding="utf-8")
    assert TEST_TOKEN not in text and "Authorization" not in text
    recorded = yaml.safe_load(text)
    assert len(recorded["steps"]) >= 15
    assert any("{id1}" in str(step["request"]["path"]) for step in recorded["steps"])
    same = scimcheck_cli("replay", str(out), reference_server.base_url,
                      "--report-dir", str(tmp_path / "same"))
    assert same.returncode == exitcodes.OK, same.stdout + same.stderr
    for variant, failing in RECORDED.items():
        changed = scimcheck_cli("replay", str(out), broken_server(variant).base_url,
                             "--report-dir", str(tmp_path / variant))
        assert changed.returncode == exitcodes.CHECKS_FAILED, changed.stdout
        document = json.loads((tmp_path / variant / "results.json").read_text("utf-8"))
        assert {c["id"] for c in document["checks"] if c["outcome"] == "failed"} == failing


def test_record_writes_hostile_text_as_it_was_sent(
    tmp_path: Path, reference_server: ReferenceServer,
) -> None:
    """Control characters, NEL and line separators in recorded traffic are escaped in the
    sequence file and read back unchanged (a raw NEL was read back as a space)."""
    import requests

    hostile = ["a\x85b", "a\u2028b", "a\u2029b", "a\u202eb", "a\ufeffb", "a\x1b[2Jb", "a\rb",
               "a\x00b", "a 'b\" {id1}: #c\n- d", "Zoë 𝄞", "a\x85b\x00c"]
    out = tmp_path / "recorded.yaml"
    recorder = TrafficRecorder(reference_server.base_url, out)
    with ReferenceServer(host="127.0.0.1", port=0, app=recorder) as proxy:
        requests.post(f"{proxy.base_url}/Users", timeout=30, json={"hostile": hostile},
                      headers={"Authorization": f"Bearer {TEST_TOKEN}"})
    text = out.read_text(encoding="utf-8")
    assert not any(c in text for c in "\x85\u2028\u2029\x1b\r\x00"), "written raw"
    (step,) = yaml.safe_load(text)["steps"]
    assert step["request"]["body"]["hostile"] == hostile


def test_record_refuses_a_bad_upstream_or_output(tmp_path: Path) -> None:
    bad = scimcheck_cli("record", "--upstream", "ftp://x", "--out", str(tmp_path / "o.yaml"))
    assert bad.returncode == exitcodes.USAGE and "not an http(s) URL" in bad.stderr
    nowhere = scimcheck_cli("record", "--upstream", "http://127.0.0.1:9/scim/v2",
                         "--out", str(tmp_path / "missing" / "o.yaml"))
    assert nowhere.returncode == exitcodes.USAGE and "does not exist" in nowhere.stderr


def test_an_unreachable_upstream_is_a_scim_error_not_a_hang(tmp_path: Path) -> None:
    recorder = TrafficRecorder("http://127.0.0.1:9/scim/v2", tmp_path / "r.yaml")
    with ReferenceServer(host="127.0.0.1", port=0, app=recorder) as proxy:
        import requests

        answer = requests.get(f"{proxy.base_url}/Users", timeout=30)
    assert answer.status_code == 502
    assert "scimcheck record" in answer.json()["detail"]
