"""Hostile endpoints (issue 6 §3): each yields a one-line diagnosis and a finished run with its
reports; never a traceback, a hang or a memory blow-up.

The catalogue is :mod:`hostile`. Three layers: the transport's diagnosis of each hostile answer;
a whole run against a target that answers every request that way (stopped at the preflight with
one line and exit 3, or judged and failed); and a run against a correct server whose answers to
user creates alone are hostile: the run fails the create checks, writes every report, and the
users created behind those answers are swept up all the same.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scimcheck.core import exitcodes
from scimcheck.http.transport import MAX_BODY_BYTES, Transport, TransportConfig
from scimcheck.scim import schemas
from scimcheck.server import ReferenceServer
from support.harness import TEST_TOKEN, tagged_user_names
from support.hostile import (
    CATALOGUE,
    HostileServer,
    TlsDropServer,
    closed_port,
    every,
    user_creates,
)

HANG_GUARD_S = 120
"""A run that takes longer than this has hung (the slowest hostile run needs about 10 s)."""


def _transport(url: str) -> Transport:
    return Transport(TransportConfig(url, TEST_TOKEN, timeout_s=1.0, max_retries=0))


def _diagnosis(name: str, url: str) -> str:
    with _transport(url) as transport:
        answer = transport.send("GET", "/Users", params={"filter": 'userName eq "x"'})
    assert len(answer.response_body) <= MAX_BODY_BYTES
    if answer.error:
        return answer.error
    return f"{answer.summary()} {answer.content_type} {answer.describe_body(100)}"


@pytest.mark.parametrize("name", sorted(set(CATALOGUE) - {"non-json"}))
def test_each_hostile_answer_gets_a_one_line_diagnosis(name: str) -> None:
    """What the transport says of the answer (a body that is well-formed HTTP but not JSON is
    the checks' to name, below)."""
    with HostileServer(name) as server:
        said = _diagnosis(name, server.base_url)
    assert CATALOGUE[name].diagnosis in said
    assert "\n" not in said and "Traceback" not in said


def test_network_failures_get_a_one_line_diagnosis() -> None:
    with TlsDropServer() as tls, HostileServer("non-json") as plain:
        cases = {
            f"http://127.0.0.1:{closed_port()}/scim/v2": "refused",
            tls.base_url: "TLS handshake",
            plain.base_url.replace("http://", "https://"): "does not speak TLS",
        }
        for url, needle in cases.items():
            said = _diagnosis("", url)
            assert needle in said and "\n" not in said, said


def _run(url: str, report_dir: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SCIM_TOKEN": TEST_TOKEN, "PYTHONUNBUFFERED": "1"}
    return subprocess.run(
        [sys.executable, "-m", "scimcheck", "run", url, "--report-dir", str(report_dir),
         "--timeout", "1", "--examples", "0", *extra],
        capture_output=True, text=True, env=env, timeout=HANG_GUARD_S, check=False,
    )


def _assert_reports(report_dir: Path) -> dict[str, object]:
    for name in ("report.html", "junit.xml", "results.json"):
        assert (report_dir / name).stat().st_size > 0, f"{name} not written"
    document = json.loads((report_dir / "results.json").read_text(encoding="utf-8"))
    assert schemas.validate("results", document) == []
    return dict(document)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_a_wholly_hostile_target_stops_or_fails_the_run_with_reports(
    name: str, tmp_path: Path
) -> None:
    with HostileServer(name, picks=every) as server:
        done = _run(server.base_url, tmp_path, "--", "-k", "test-connection")
    assert "Traceback" not in done.stdout + done.stderr
    document = _assert_reports(tmp_path)
    if done.returncode == exitcodes.TARGET_UNAVAILABLE:
        assert done.stderr.count("\n") == 1, done.stderr
        assert document["unreachable"] == done.stderr.removeprefix("scimcheck: ").strip()
        assert "<error" in (tmp_path / "junit.xml").read_text(encoding="utf-8")
    else:  # it looked enough like SCIM to be judged: the checks say what is wrong
        assert done.returncode == exitcodes.CHECKS_FAILED, done.stdout[-2000:]
        assert document["verdict"] == "fail"
        said = json.dumps(document, ensure_ascii=False)
        assert CATALOGUE[name].diagnosis in said


@pytest.mark.slow
@pytest.mark.parametrize(
    "url", ["closed-port", "tls-drop"],
)
def test_an_unreachable_target_gets_one_line_and_reports(url: str, tmp_path: Path) -> None:
    with TlsDropServer() as tls:
        target = tls.base_url if url == "tls-drop" else f"http://127.0.0.1:{closed_port()}/scim"
        done = _run(target, tmp_path)
    assert done.returncode == exitcodes.TARGET_UNAVAILABLE
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    document = _assert_reports(tmp_path)
    assert document["verdict"] == "fail" and document["unreachable"]


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_hostile_answers_mid_run_fail_checks_and_leave_nothing_behind(
    name: str, tmp_path: Path
) -> None:
    with ReferenceServer(token=TEST_TOKEN) as reference:
        origin = reference.base_url.removesuffix("/scim/v2")
        with HostileServer(name, picks=user_creates, inner=origin) as server:
            done = _run(server.base_url, tmp_path, "--",
                        "-k", "user-lifecycle.yaml and legacy or create-minimal-user")
            hostile_answers = server.hostile_answers
        leftovers = tagged_user_names(reference)
    assert "Traceback" not in done.stdout + done.stderr
    assert hostile_answers > 0
    assert done.returncode == exitcodes.CHECKS_FAILED, done.stdout[-3000:] + done.stderr
    document = _assert_reports(tmp_path)
    failed = {c["id"]: c for c in document["checks"]  # type: ignore[attr-defined]
              if c["outcome"] == "failed"}
    assert failed, "a hostile answer to every user create failed no check"
    said = json.dumps(list(failed.values()), ensure_ascii=False)
    assert CATALOGUE[name].diagnosis in said
    assert leftovers == [], f"users created behind hostile answers were left: {leftovers}"
