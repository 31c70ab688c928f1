"""Sequence files load into typed steps, and a broken file says file:line and what is wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scimcheck.core.errors import SequenceFileError
from scimcheck.sequences import files as sequence_files
from scimcheck.sequences.files import SequenceFile
from scimcheck.server import ReferenceServer
from support.harness import RunSuites, failed_checks, scimcheck_cli

GOOD = """\
id: tiny
title: A tiny sequence
source: test
dialects: none
steps:
  - name: probe
    request:
      method: GET
      path: /Users
      query: {filter: 'userName eq "{new.guid}"'}
    expect:
      - check: test-connection.no-match-empty-list
        status: [200]
        body: [{at: Resources, count: 0}]
"""


def _write(tmp_path: Path, text: str, name: str = "seq.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_sequences_all_load() -> None:
    loaded = sequence_files.load_all([sequence_files.default_directory()])
    assert loaded, "no bundled sequence files"
    broken = [str(x) for x in loaded if isinstance(x, SequenceFileError)]
    assert broken == []


def test_a_good_file_loads_into_typed_steps(tmp_path: Path) -> None:
    spec = sequence_files.load(_write(tmp_path, GOOD))
    assert isinstance(spec, SequenceFile)
    assert (spec.id, spec.dialects, len(spec.steps)) == ("tiny", "none", 1)
    step = spec.steps[0]
    assert step.line == 6
    assert step.request is not None and step.request.method == "GET"
    (expectation,) = step.expect
    assert expectation.status == (200,)
    assert expectation.body[0].kind == "count" and expectation.body[0].expected == 0
    assert spec.check_ids == {"test-connection.no-match-empty-list"}


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        (GOOD.replace("    request:\n", "    request: [\n"), ":9:", "not valid YAML"),
        (GOOD.replace("method: GET", "method: FETCH"), ":8:", "method"),
        (GOOD.replace("status: [200]", "statuz: [200]"), ":13:", "statuz"),
        (GOOD.replace("test-connection.no-match-empty-list", "test-connection.no-match-empty"),
         ":12:", "did you mean 'test-connection.no-match-empty-list'"),
        (GOOD.replace("  - name: probe\n", "  - name: probe\n    after: nothing\n"),
         ":6:", "'nothing', which is not an earlier step"),
        (GOOD.replace("id: tiny", "title2: x"), ":1:", "id"),
        (GOOD.replace("  - name: probe\n", "  - name: probe\n    after: [probe0, nothing]\n"),
         ":6:", "'probe0', which is not an earlier step"),
        (GOOD.replace(
            "  - name: probe\n",
            "  - name: probe\n    diagnose_parts: {check: user.update.aplied}\n",
         ), ":7:", "did you mean 'user.update.applied'"),
        (GOOD.replace("count: 0", "count: 0, ends_with: 3"), ":14:", "ends_with"),
    ],
)
def test_a_broken_file_names_file_line_and_problem(
    tmp_path: Path, text: str, where: str, what: str
) -> None:
    with pytest.raises(SequenceFileError) as caught:
        sequence_files.load(_write(tmp_path, text))
    message = str(caught.value)
    assert "seq.yaml" + where in message, message
    assert what in message, message


def test_duplicate_ids_and_duplicate_step_names_are_refused(tmp_path: Path) -> None:
    _write(tmp_path, GOOD, "a.yaml")
    _write(tmp_path, GOOD, "b.yaml")
    loaded = sequence_files.load_all([tmp_path])
    assert isinstance(loaded[0], SequenceFile)
    assert isinstance(loaded[1], SequenceFileError) and "already used by" in str(loaded[1])
    twice = GOOD + GOOD[GOOD.index("  - name: probe"):]
    with pytest.raises(SequenceFileError, match="a second step named 'probe'"):
        sequence_files.load(_write(tmp_path, twice, "c.yaml"))


def test_json_files_load_too(tmp_path: Path) -> None:
    import yaml

    data = yaml.safe_load(GOOD)
    spec = sequence_files.load(_write(tmp_path, json.dumps(data), "tiny.json"))
    assert spec.id == "tiny"


def test_a_new_file_is_a_new_test_with_no_code(
    tmp_path: Path, reference_server: ReferenceServer, run_suites: RunSuites
) -> None:
    _write(tmp_path, GOOD, "tiny.yaml")
    document = run_suites(reference_server.base_url, "--scim-sequences", str(tmp_path))
    assert "tiny.yaml::tiny" in document["_stdout"] or document["tests"]["passed"] >= 1
    assert failed_checks(document) == set()
    assert document["tests"]["errors"] == 0


UNAUTHENTICATED = """\
id: gated
title: An expectation judged on some statuses only
source: test
dialects: none
steps:
  - name: probe without a token
    request: {method: GET, path: /Users, auth: false}
    expect:
      - check: auth.www-authenticate
        when_status: [STATUS]
        headers_present: [X-Never-Sent]
"""


@pytest.mark.parametrize(("status", "failed"), [(403, set()), (401, {"auth.www-authenticate"})])
def test_when_status_judges_only_those_statuses(
    status: int, failed: set[str], tmp_path: Path, reference_server: ReferenceServer,
    run_suites: RunSuites,
) -> None:
    """The reference server answers 401: an expectation for 403 answers is not judged there
    (a 403 is not held to a 401's challenge), one for 401 answers is."""
    _write(tmp_path, UNAUTHENTICATED.replace("STATUS", str(status)), "gated.yaml")
    document = run_suites(reference_server.base_url, "--scim-sequences", str(tmp_path))
    assert document["tests"]["errors"] == 0, document["_stdout"]
    assert failed_checks(document) == failed, document["_stdout"]


def test_a_broken_file_is_a_harness_error_not_a_verdict(
    tmp_path: Path, reference_server: ReferenceServer, run_suites: RunSuites
) -> None:
    _write(tmp_path, GOOD.replace("method: GET", "method: FETCH"), "bad.yaml")
    document = run_suites(reference_server.base_url, "--scim-sequences", str(tmp_path))
    assert failed_checks(document) == set()
    assert document["tests"]["errors"] == 1
    assert "bad.yaml:8:" in document["_stdout"]
    assert document["verdict"] == "fail"


def test_a_sequence_needing_an_unclaimed_optional_feature_is_skipped_with_evidence(
    tmp_path: Path, reference_server: ReferenceServer, run_suites: RunSuites
) -> None:
    needs_sort = GOOD.replace("id: tiny", "id: sorted").replace(
        "dialects: none\n", "dialects: none\nrequires: [sort]\n"
    )
    _write(tmp_path, needs_sort, "sorted.yaml")
    document = run_suites(reference_server.base_url, "--scim-sequences", str(tmp_path), "-rs")
    assert "the endpoint does not claim sort: sort.supported is not true in GET" in (
        document["_stdout"]
    )
    assert "ServiceProviderConfig → 200" in document["_stdout"]


def test_a_sequence_file_is_an_item_per_dialect_named_by_its_file(
    tmp_path: Path, reference_server: ReferenceServer, run_suites: RunSuites
) -> None:
    """Node ids are ``<file>::<dialect>`` (``<file>::<id>`` without dialects), and ``-k`` with
    a sequence's name selects its items alone (issue 15 §2)."""
    _write(tmp_path, GOOD, "tiny.yaml")
    _write(tmp_path, GOOD.replace("id: tiny", "id: twice").replace("dialects: none\n", ""),
           "twice.yaml")
    document = run_suites(reference_server.base_url, "--scim-sequences", str(tmp_path),
                          "-v", "-k", "twice")
    stdout = document["_stdout"]
    assert "twice.yaml::legacy PASSED" in stdout, stdout
    assert "twice.yaml::compliant PASSED" in stdout, stdout
    # by its node id alone, not the path from the working directory to the suites
    shown = [line for line in stdout.splitlines() if "::legacy PASSED" in line]
    assert shown and all(line.startswith("twice.yaml::legacy") for line in shown), shown
    assert "tiny.yaml" not in stdout and "test_" not in stdout.split("PASSED")[0], stdout
    assert document["tests"] == {"passed": 2, "failed": 0, "skipped": 0, "errors": 0}
    document = run_suites(reference_server.base_url, "--scim-sequences", str(tmp_path),
                          "-v", "-k", "tiny")
    assert "tiny.yaml::tiny PASSED" in document["_stdout"], document["_stdout"]
    assert document["tests"]["passed"] == 1


def test_a_failure_quotes_the_yaml_step_with_its_file_and_line(
    tmp_path: Path, reference_server: ReferenceServer, run_suites: RunSuites
) -> None:
    path = _write(tmp_path, GOOD.replace("status: [200]", "status: [201]"), "wrong.yaml")
    document = run_suites(reference_server.base_url, "--scim-sequences", str(tmp_path),
                          "-k", "wrong")
    stdout = document["_stdout"]
    assert failed_checks(document) == {"test-connection.no-match-empty-list"}
    assert f"In {path}:6, step 'probe':" in stdout, stdout
    assert "  6 |   - name: probe" in stdout and " 14 |         body: [{at: Resources" in stdout
    assert "FAILED wrong.yaml::tiny - " in stdout, stdout  # the short summary, by node id
    assert "Traceback" not in stdout and "test_entra_sequences" not in stdout


def test_last_failed_reruns_the_failed_sequence_item_alone(
    tmp_path: Path, reference_server: ReferenceServer
) -> None:
    """``--lf`` (pytest's cache, kept in the report directory) knows sequence items by name."""
    sequences = tmp_path / "sequences"
    sequences.mkdir()
    _write(sequences, GOOD.replace("status: [200]", "status: [201]").replace(
        "id: tiny", "id: wrong"), "wrong.yaml")
    _write(sequences, GOOD, "tiny.yaml")
    run = ("run", reference_server.base_url, "--report-dir", str(tmp_path / "r"), "--",
           "--scim-sequences", str(sequences), "-k", "wrong or tiny")
    first = scimcheck_cli(*run)
    assert "1 failed, 1 passed" in first.stdout, first.stdout[-2000:] + first.stderr
    again = scimcheck_cli(*run, "--lf")
    assert "run-last-failure: rerun previous 1 failure" in again.stdout, again.stdout[-2000:]
    assert " deselected / 1 selected" in again.stdout, again.stdout[-2000:]
    assert "wrong.yaml::wrong - " in again.stdout, again.stdout[-2000:]


def test_a_skip_says_its_reason_once_at_the_sequence_file(
    tmp_path: Path, reference_server: ReferenceServer, run_suites: RunSuites
) -> None:
    needs_sort = GOOD.replace("dialects: none\n", "dialects: none\nrequires: [sort]\n")
    _write(tmp_path, needs_sort, "sorted.yaml")
    document = run_suites(reference_server.base_url, "--scim-sequences", str(tmp_path),
                          "-k", "sorted", "-rs")
    (line,) = [x for x in document["_stdout"].splitlines() if x.startswith("SKIPPED")]
    assert line.startswith("SKIPPED [1] "), line
    assert "sorted.yaml:5: the endpoint does not claim sort: " in line, line
    assert ".py" not in line and "('" not in line and "Skipped:" not in line, line
    assert document["_stdout"].count("does not claim sort") == 1, document["_stdout"]


def test_capabilities_claims() -> None:
    from scimcheck.scim.capabilities import Capabilities

    claimed = Capabilities({"sort": {"supported": True}, "etag": {"supported": False}}, "x")
    assert claimed.claims("sort") and not claimed.claims("etag")
    assert claimed.skip_reason("sort") is None
    assert claimed.skip_reason("patch") is None  # Entra needs it: never skipped
    missing = Capabilities(None, "no usable ServiceProviderConfig (GET … → 404)")
    assert "404" in (missing.skip_reason("bulk") or "")
