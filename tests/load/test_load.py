"""`scimcheck load`: Entra's cycles at a rate, a verdict that can pass and fail, no leftovers.

The runs are short (3 s) and only the verdict and the cleanup are asserted, never a timing:
a server that answers every request 0.2 s late on 2 connections cannot carry 25 req/s however
fast the machine, and one that throttles every third GET fails the error budget at any speed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scimcheck.cli import main as cli
from scimcheck.core import exitcodes
from scimcheck.http.transport import Transport, TransportConfig
from scimcheck.load import report as load_report
from scimcheck.load.plan import MEMBER_BATCH, Answer, LoadStep, Plan, Wait
from scimcheck.scim import cleanup
from scimcheck.server import ReferenceServer
from support.harness import TEST_TOKEN, endpoint_snapshot

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCIM_")}
    env["SCIM_TOKEN"] = TEST_TOKEN
    return env


def _load(report_dir: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    done = subprocess.run(
        [sys.executable, "-m", "scimcheck", "load", *args, "--report-dir", str(report_dir)],
        capture_output=True, text=True, env=_env(), timeout=120, check=False,
    )
    report = report_dir / "load.json"
    document = json.loads(report.read_text(encoding="utf-8")) if report.exists() else {}
    return done, document



def _tagged(transport: Transport) -> list[str]:
    return [leftover.name for leftover in cleanup.find(transport, None).leftovers]


@pytest.fixture
def target() -> Iterator[tuple[ReferenceServer, Transport]]:
    """The reference server holding somebody else's user and group, which must come out of
    a load run untouched."""
    with ReferenceServer(token=TEST_TOKEN) as server, Transport(
        TransportConfig(server.base_url, TEST_TOKEN, 30)
    ) as transport:
        user = transport.send("POST", "/Users", body={"schemas": [USER],
                                                       "userName": "someone@example.com"})
        transport.send("POST", "/Groups", body={"schemas": [GROUP], "displayName": "Staff",
                                                "members": [{"value": user.json()["id"]}]})
        yield server, transport


@pytest.mark.slow
def test_a_short_load_passes_and_leaves_nothing(
    target: tuple[ReferenceServer, Transport], tmp_path: Path
) -> None:
    server, transport = target
    before = endpoint_snapshot(transport)
    done, report = _load(tmp_path, server.base_url, "--users", "50", "--groups", "2",
                         "--rate", "30", "--duration", "3")
    assert done.returncode == exitcodes.OK, done.stdout + done.stderr
    assert report["verdict"] == "pass"
    assert done.stdout.strip().splitlines()[-1].startswith("PASS: sustained ")
    assert "25 req/s per tenant (Entra gallery requirement)" not in done.stderr
    steps = {step["name"]: step for step in report["steps"]}
    assert steps["create user: POST /Users"]["failures"] == 0
    assert steps["match user: GET /Users?filter=userName eq"]["requests"] >= 1
    assert [row["phase"] for row in report["windows"]][:2] == ["ramp-up", "steady"]
    assert report["cleanup"] == {"problems": [], "left_behind": 0}
    assert _tagged(transport) == []
    assert endpoint_snapshot(transport) == before  # nothing of anybody else's changed
    assert TEST_TOKEN not in done.stdout + done.stderr + json.dumps(report)
    _assert_load_page(tmp_path / "load.html", "PASS")


@pytest.mark.slow
@pytest.mark.parametrize(("server_options", "args", "reason"), [
    ({"latency_s": 0.2}, ("--users", "10", "--concurrency", "2"), "sustained only"),
    ({"variant": "rate-limited-gets"}, ("--users", "50"), "failed or were throttled"),
])
def test_an_endpoint_that_cannot_keep_up_fails(
    server_options: dict[str, Any], args: tuple[str, ...], reason: str, tmp_path: Path
) -> None:
    with ReferenceServer(token=TEST_TOKEN, **server_options) as server, Transport(
        TransportConfig(server.base_url, TEST_TOKEN, 30)
    ) as transport:
        done, report = _load(tmp_path, server.base_url, "--groups", "1", "--rate", "30",
                             "--duration", "3", *args)
        assert done.returncode == exitcodes.CHECKS_FAILED, done.stdout + done.stderr
        last = done.stdout.strip().splitlines()[-1]
        assert last.startswith("FAIL: ") and reason in last, last
        assert "throttled or quarantined (docs/entra.md D31)" in last
        assert report["verdict"] == "fail"
        assert _tagged(transport) == []
    _assert_load_page(tmp_path / "load.html", "FAIL")


def _assert_load_page(page: Path, verdict: str) -> None:
    """load.html: the verdict in its title, three charts (rate against Entra's line, latency
    percentiles, failures and 429s), self-contained (no script fetched from anywhere)."""
    text = page.read_text(encoding="utf-8")
    assert f"<title>scimcheck load: {verdict} · http://127.0.0.1:" in text
    assert text.count("<svg") == 3
    for series in ("achieved", "Entra's requirement (25 req/s)", "p95", "p99",
                   "429 Too Many Requests"):
        assert series in text, series
    assert "<script src" not in text and "http://kozea" not in text
    assert TEST_TOKEN not in text


@pytest.mark.slow
def test_the_embedded_server_and_an_interruption(tmp_path: Path) -> None:
    """Without URL the embedded server is loaded; SIGTERM stops the run, which still deletes
    what it created and exits 130."""
    process = subprocess.Popen(
        [sys.executable, "-m", "scimcheck", "load", "--users", "200", "--duration", "60",
         "--report-dir", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(),
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    assert "loading the embedded reference server at http://127.0.0.1:" in first
    assert "run tag scimcheck-" in process.stdout.readline()
    time.sleep(1.5)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    assert process.returncode == exitcodes.INTERRUPTED, out + err
    report = json.loads((tmp_path / "load.json").read_text(encoding="utf-8"))
    assert report["embedded"] and report["interrupted"]
    assert report["cleanup"]["left_behind"] == 0
    assert "interrupted; what the run created was deleted" in err


@pytest.mark.parametrize(("args", "message"), [
    (["--users", "0"], "--users 0 is not a whole number from 1"),
    (["--rate", "-5"], "--rate -5 is not a number of requests per second above 0"),
    (["--duration", "0"], "--duration 0 is not a number of seconds above 0"),
    (["--tenants", "3", "--concurrency", "2"], "--concurrency must be at least 3"),
    (["ftp://host/scim"], "is not an http(s) URL"),
    (["--master", "--worker"], "--master and --worker exclude each other"),
    (["--rate", "fast"], "invalid float value"),
])
def test_bad_input_is_one_line_and_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        code = cli.main(["load", *args])
    except SystemExit as exited:  # argparse's own errors
        code = int(exited.code or 0)
    assert code == exitcodes.USAGE
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err


def test_without_locust_one_line_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "locust", None)
    assert cli.main(["load", "--duration", "1"]) == exitcodes.USAGE
    assert capsys.readouterr().err == (
        "scimcheck: scimcheck load needs Locust: pip install 'scimcheck[load]'\n"
    )


# --- the plan: Entra's order, batches, only our own resources -------------------------------------
def _drive(plan: Plan, jobs: int, ids: Iterator[int]) -> list[LoadStep]:
    """Run ``jobs`` jobs against a pretend endpoint that creates everything; the steps."""
    sent: list[LoadStep] = []
    for _ in range(jobs):
        job = plan.next_job()
        assert job is not None
        answer: Answer | None = None
        try:
            while True:
                step = job.send(answer)
                if isinstance(step, Wait):
                    assert step.ready()
                    answer = None
                    continue
                sent.append(step)
                if step.method == "POST":
                    attribute = "userName" if "userName" in step.body else "displayName"
                    answer = Answer(201, {"id": f"id{next(ids)}",
                                          attribute: step.body[attribute]})
                else:
                    answer = Answer(200 if step.method == "GET" else 204)
        except StopIteration:
            pass
    return sent


def test_the_plan_replays_entras_cycles_on_its_own_resources_only() -> None:
    plan = Plan("scimcheck-0123abcd", users=150, groups=1, seed=1)
    counter = iter(range(10_000))
    initial = _drive(plan, 150 + 1 + 2, counter)
    assert [(s.method, s.path) for s in initial[:2]] == [("GET", "/Users"), ("POST", "/Users")]
    assert initial[0].params == {"filter": f'userName eq "{initial[1].body["userName"]}"'}
    assert initial[1].body["userName"].startswith("scimcheck-0123abcd-")
    group_match = initial[300]
    assert group_match.params is not None
    assert group_match.params["excludedAttributes"] == "members"
    adds = [s for s in initial if s.name.startswith("add members")]
    assert [len(s.body["Operations"][0]["value"]) for s in adds] == [MEMBER_BATCH, 50]
    assert adds[0].body["Operations"][0]["op"] == "Add"  # Entra's legacy dialect
    owned = {s.path for s in _drive(plan, 200, counter) if s.method == "PATCH"}
    assert owned and all(plan.owns(path) for path in owned)
    cycle = _drive(plan, 200, counter)
    disables = [s for s in cycle if s.name.startswith("disable")]
    assert disables[0].body["Operations"] == [{"op": "Replace", "path": "active",
                                               "value": "False"}]
    assert all(plan.owns(s.path) for s in cycle if s.method == "PATCH")
    assert {c.name for c in plan.created} == {
        s.body.get("userName") or s.body.get("displayName")
        for s in initial if s.method == "POST"
    }


def test_a_create_answered_with_somebody_elses_account_is_never_changed() -> None:
    plan = Plan("scimcheck-0123abcd", users=1, groups=0, seed=1)
    job = plan.next_job()
    assert job is not None
    job.send(None)
    post = job.send(Answer(200))
    assert isinstance(post, LoadStep) and post.method == "POST"
    with pytest.raises(StopIteration):
        job.send(Answer(201, {"id": "x1", "userName": "someone@example.com"}))
    assert plan.created == [] and not plan.owns("/Users/x1")
    assert plan.next_job() is None  # nothing of ours to change in any cycle


@pytest.mark.parametrize(("shown", "ours"), [
    ({"id": "x1", "userName": "someone@example.com"}, False),
    ({"id": "x1", "userName": "SCIMCHECK-0123ABCD-x@example.com"}, True),
])
def test_a_create_answered_with_an_id_but_no_name_is_read_before_it_is_changed(
    shown: dict[str, str], ours: bool
) -> None:
    plan = Plan("scimcheck-0123abcd", users=1, groups=0, seed=1)
    job = plan.next_job()
    assert job is not None
    job.send(None)
    job.send(Answer(200))
    read = job.send(Answer(201, {"id": "x1"}))
    assert isinstance(read, LoadStep) and (read.method, read.path) == ("GET", "/Users/x1")
    with pytest.raises(StopIteration):
        job.send(Answer(200, shown))
    assert plan.owns("/Users/x1") is ours and len(plan.created) == int(ours)


# --- the verdict ----------------------------------------------------------------------------------
def _summary(per_window: list[tuple[int, int, int]], required: float = 25.0,
             duration: float = 20.0) -> load_report.Summary:
    recorder = load_report.WindowRecorder(5.0, started=0.0)
    for key, (ok, failed, throttled) in enumerate(per_window):
        for n in range(ok + failed + throttled):
            status = 200 if n < ok else 500 if n < ok + failed else 429
            recorder.record(key * 5.0 + 0.01, 12.0, status)
    return load_report.Summary(5.0, duration, recorder.windows, required, 30.0)


def test_the_verdict_passes_only_at_the_rate_with_few_errors() -> None:
    passed = _summary([(10, 0, 0), (130, 1, 0), (130, 0, 0), (130, 0, 0)]).verdict()
    assert passed.passed and passed.line.startswith("PASS: sustained 26.1 req/s ≥ 25 req/s")
    slow = _summary([(200, 0, 0), (120, 0, 0), (120, 0, 0), (120, 0, 0)]).verdict()
    assert not slow.passed and "sustained only 24.0 req/s < 25 req/s" in slow.line
    throttled = _summary([(10, 0, 0), (130, 0, 5), (130, 0, 0), (130, 0, 0)]).verdict()
    assert not throttled.passed
    assert "1.3% of requests failed or were throttled (0 failed, 5 x 429" in throttled.line
    failing = _summary([(10, 0, 0), (130, 5, 0), (130, 0, 0), (130, 0, 0)]).verdict()
    assert not failing.passed and "(5 failed, 0 x 429" in failing.line
    tenants = _summary([(10, 0, 0), (130, 0, 0), (130, 0, 0), (130, 0, 0)], required=50.0)
    assert "2 tenants x 25 req/s" in tenants.verdict().line
    short = _summary([(10, 0, 0)], duration=4.0).verdict()
    assert not short.passed and "no steady state" in short.line


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.slow
def test_a_master_and_two_workers_share_the_load_and_leave_nothing(
    target: tuple[ReferenceServer, Transport], tmp_path: Path
) -> None:
    """docs/load.md's distributed mode on one host: the master waits for both workers, each
    worker creates its own share of the users, the master merges their windows into one
    verdict, and every resource the workers created is gone afterwards."""
    server, transport = target
    before = endpoint_snapshot(transport)
    port = str(_free_port())
    master = subprocess.Popen(
        [sys.executable, "-m", "scimcheck", "load", server.base_url, "--master",
         "--expect-workers", "2", "--master-bind-host", "127.0.0.1", "--master-port", port,
         "--users", "40", "--groups", "2", "--rate", "30", "--duration", "4",
         "--report-dir", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(),
    )
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "scimcheck", "load", "--worker", "--master-host", "127.0.0.1",
             "--master-port", port],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(),
        )
        for _ in range(2)
    ]
    try:
        out, err = master.communicate(timeout=120)
        worker_output = [worker.communicate(timeout=60) for worker in workers]
    finally:
        for process in (master, *workers):
            if process.poll() is None:
                process.kill()
    assert master.returncode == exitcodes.OK, out + err
    assert all(worker.returncode == 0 for worker in workers), worker_output
    report = json.loads((tmp_path / "load.json").read_text(encoding="utf-8"))
    assert report["verdict"] == "pass" and report["settings"]["workers"] == 2
    steps = {step["name"]: step for step in report["steps"]}
    # 40 users, 20 a worker: more than 20 creates means both workers sent theirs
    assert steps["create user: POST /Users"]["requests"] > 20
    assert steps["create user: POST /Users"]["failures"] == 0
    assert report["cleanup"] == {"problems": [], "left_behind": 0}
    assert _tagged(transport) == []
    assert endpoint_snapshot(transport) == before
    everything = out + err + "".join(o + e for o, e in worker_output) + json.dumps(report)
    assert TEST_TOKEN not in everything
