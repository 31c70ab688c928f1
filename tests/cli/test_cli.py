"""``scimcheck`` end to end in a subprocess: exit codes, the three reports, no token anywhere."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from scimcheck.core import exitcodes
from scimcheck.scim import schemas
from scimcheck.server import ReferenceServer
from support.harness import TEST_TOKEN

pytestmark = pytest.mark.slow


def _scimcheck(
    *args: str, token: str | None = TEST_TOKEN, cwd: Path | None = None, timeout: float = 120,
    environment: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    # SCIMCHECK_* too: this pytest loaded the plugin, which set a run id of its own
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCIM_", "SCIMCHECK_"))}
    # the properties are proven in tests/verdicts/test_generated_verdicts.py
    env["SCIM_EXAMPLES"] = "0"
    env.update(environment or {})
    if token is not None:
        env["SCIM_TOKEN"] = token
    return subprocess.run(
        [sys.executable, "-m", "scimcheck", *args],
        capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout, check=False,
    )


def _artifacts_text(report_dir: Path) -> str:
    return "\n".join(
        p.read_text(encoding="utf-8", errors="replace")
        for p in report_dir.rglob("*") if p.is_file()
    )


def test_run_without_url_tests_the_embedded_server(tmp_path: Path) -> None:
    reports = tmp_path / "out"
    done = _scimcheck("run", "--report-dir", str(reports), "--seed", "1", cwd=tmp_path)
    assert done.returncode == exitcodes.OK, done.stdout + done.stderr
    for name in ("report.html", "junit.xml", "results.json"):
        assert (reports / name).is_file(), name
    document = json.loads((reports / "results.json").read_text(encoding="utf-8"))
    assert schemas.validate("results", document) == []
    assert document["embedded"] is True and document["verdict"] == "pass"
    assert document["seed"] == 1
    sent = document["requests"]  # what the tests sent, cleanup included (issue 18 §1)
    assert sent["total"] == sum(sent["by_test"].values()) == sent["sequences"] + sent["generated"]
    assert sent["sequences"] > 100 and sent["generated"] == 0  # SCIM_EXAMPLES=0 here
    assert f"requests: {sent['total']} sent by the tests" in done.stdout
    assert "embedded reference server" in done.stdout
    everything = _artifacts_text(reports) + done.stdout + done.stderr
    assert TEST_TOKEN not in everything
    html = (reports / "report.html").read_text(encoding="utf-8")
    assert "Transcript" in html and "<script" in html
    junit = (reports / "junit.xml").read_text(encoding="utf-8")
    assert 'classname="scimcheck.Disable user" name="user.disable.string-false"' in junit


def test_failing_run_exits_1_and_never_shows_the_token(
    tmp_path: Path, broken_server: Callable[[str], ReferenceServer]
) -> None:
    server = broken_server("string-false-truthy")
    reports = tmp_path / "out"
    done = _scimcheck("run", server.base_url, "--report-dir", str(reports))
    assert done.returncode == exitcodes.CHECKS_FAILED, done.stdout + done.stderr
    assert "user.disable.string-false" in done.stdout
    assert "Entra's disable PATCH will leave users active" in done.stdout
    everything = _artifacts_text(reports) + done.stdout + done.stderr
    assert TEST_TOKEN not in everything
    document = json.loads((reports / "results.json").read_text(encoding="utf-8"))
    failed = {c["id"] for c in document["checks"] if c["outcome"] == "failed"}
    assert failed == {"user.disable.string-false", "error.invalid-value"}


def test_token_flag_works_but_warns(
    tmp_path: Path, reference_server: ReferenceServer
) -> None:
    done = _scimcheck(
        "run", reference_server.base_url, "--token", TEST_TOKEN, "--dialect", "legacy",
        "--report-dir", str(tmp_path), token=None,
    )
    assert done.returncode == exitcodes.OK, done.stdout + done.stderr
    assert "prefer SCIM_TOKEN" in done.stderr
    assert TEST_TOKEN not in _artifacts_text(tmp_path) + done.stdout


def test_wrong_token_is_a_target_error(
    tmp_path: Path, reference_server: ReferenceServer
) -> None:
    done = _scimcheck("run", reference_server.base_url, "--report-dir", str(tmp_path),
                      token="wrong-token")
    assert done.returncode == exitcodes.TARGET_UNAVAILABLE
    assert "rejected the credentials" in done.stderr
    assert "Traceback" not in done.stderr
    assert "wrong-token" not in done.stdout + done.stderr


def test_missing_token_says_to_set_it(tmp_path: Path, reference_server: ReferenceServer) -> None:
    done = _scimcheck("run", reference_server.base_url, "--report-dir", str(tmp_path), token=None)
    assert done.returncode == exitcodes.TARGET_UNAVAILABLE
    assert "set SCIM_TOKEN" in done.stderr


def test_unreachable_target_is_a_target_error(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    done = _scimcheck("run", f"http://127.0.0.1:{port}/scim", "--report-dir", str(tmp_path))
    assert done.returncode == exitcodes.TARGET_UNAVAILABLE
    assert done.stderr.count("\n") == 1 and "refused" in done.stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["run", "--bogus"], "unrecognized arguments: --bogus"),
        (["run", "ftp://x"], "not an http(s) URL"),
        (["run", "--profile", "no-such-profile"], "unknown profile 'no-such-profile'"),
        (["run", "--dialect", "modern"], "invalid choice: 'modern'"),
        (["serve", "--variant", "nope"], "unknown variant 'nope'"),
        (["checks", "--", "-x"], "only go with 'run'"),
    ],
)
def test_usage_errors_are_one_clear_line(args: list[str], needle: str) -> None:
    done = _scimcheck(*args)
    assert done.returncode == exitcodes.USAGE, done.stderr
    assert needle in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("variable", "value", "needle"),
    [
        ("SCIM_URL", "ftp://x", "not an http(s) URL"),
        ("SCIM_PROFILE", "/no/such/profile.yaml", "cannot read profile"),
        ("SCIM_DIALECT", "modern", "SCIM_DIALECT='modern' is not one of"),
        ("SCIM_TIMEOUT", "soon", "SCIM_TIMEOUT='soon' is not a number"),
        ("SCIM_STRICT", "perhaps", "SCIM_STRICT='perhaps'"),
        ("SCIM_EXAMPLES", "lots", "SCIM_EXAMPLES='lots'"),
        ("SCIM_MAX_RPS", "-1", "SCIM_MAX_RPS='-1' is not a number of requests per second"),
        ("SCIM_SEED", "abc", "SCIM_SEED='abc' is not a whole number"),
        ("SCIM_INSECURE", "maybe", "SCIM_INSECURE='maybe'"),
    ],
)
def test_bad_environment_settings_are_one_clear_line(
    variable: str, value: str, needle: str, tmp_path: Path
) -> None:
    done = _scimcheck("run", "--report-dir", str(tmp_path), environment={variable: value})
    assert done.returncode == exitcodes.USAGE, done.stdout[-2000:] + done.stderr
    assert needle in done.stderr + done.stdout
    assert "Traceback" not in done.stderr + done.stdout


def test_environment_configures_a_run_and_flags_win(tmp_path: Path) -> None:
    done = _scimcheck("run", "--report-dir", str(tmp_path), "--dialect", "compliant",
                      environment={"SCIM_DIALECT": "legacy", "SCIM_PROFILE": "entra-default",
                                   "SCIM_TIMEOUT": "30"})
    assert done.returncode == exitcodes.OK, done.stdout[-2000:] + done.stderr
    document = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert document["dialects"] == ["compliant"] and document["profile"] == "entra-default"


def test_invalid_profile_file_is_a_usage_error(tmp_path: Path) -> None:
    profile = tmp_path / "mine.yaml"
    profile.write_text("name: mine\nusers: {matching: userName}\n", encoding="utf-8")
    done = _scimcheck("run", "--profile", str(profile), "--report-dir", str(tmp_path))
    assert done.returncode == exitcodes.USAGE
    assert "mine.yaml" in done.stderr and "invalid" in done.stderr


def test_no_selected_test_is_a_usage_error(tmp_path: Path) -> None:
    done = _scimcheck("run", "--report-dir", str(tmp_path), "--", "-k", "nothing_matches_this")
    assert done.returncode == exitcodes.USAGE
    assert "no test was selected" in done.stderr


def test_checks_lists_the_registry() -> None:
    done = _scimcheck("checks")
    assert done.returncode == exitcodes.OK
    assert "user.disable.string-false" in done.stdout and "entra-blocking" in done.stdout


def test_serve_lists_every_variant_with_what_it_breaks() -> None:
    from scimcheck.server import VARIANTS

    done = _scimcheck("serve", "--list-variants")
    assert done.returncode == exitcodes.OK, done.stderr
    listed = dict(line.split(None, 1) for line in done.stdout.splitlines())
    assert listed == {name: text.strip() for name, text in VARIANTS.items()}
    assert "DELETE answers 200" in listed["delete-200"]


def test_serve_answers_and_stops_on_ctrl_c() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "SCIM_TOKEN": TEST_TOKEN}
    proc = subprocess.Popen(
        [sys.executable, "-m", "scimcheck", "serve", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        assert proc.stdout is not None
        banner = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}/scim/v2" in banner
        assert TEST_TOKEN not in banner
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/scim/v2/ServiceProviderConfig",
            headers={"Authorization": f"Bearer {TEST_TOKEN}"},
        )
        with urllib.request.urlopen(request, timeout=5) as answer:
            assert answer.status == 200
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == exitcodes.OK
    finally:
        if proc.poll() is None:
            proc.kill()
            time.sleep(0.1)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_run_cleans_up_what_it_created(tmp_path: Path, signum: int) -> None:
    """Ctrl-C or SIGTERM midway: exit 130, and no user the run created is left behind."""
    with ReferenceServer(token=TEST_TOKEN, latency_s=0.15) as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SCIM_")}
        env["SCIM_TOKEN"] = TEST_TOKEN
        proc = subprocess.Popen(
            [sys.executable, "-m", "scimcheck", "run", server.base_url,
             "--report-dir", str(tmp_path)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )
        deadline = time.monotonic() + 30
        while _tagged_users(server) == 0:  # wait until the run has created a user
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.05)
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == exitcodes.INTERRUPTED, out + err
        assert _tagged_users(server) == 0


def _tagged_users(server: ReferenceServer) -> int:
    request = urllib.request.Request(
        server.base_url + "/Users?filter=" + urllib.parse.quote('userName sw "scimcheck-"'),
        headers={"Authorization": f"Bearer {TEST_TOKEN}"},
    )
    with urllib.request.urlopen(request, timeout=5) as answer:
        total: int = json.load(answer)["totalResults"]
    return total


def test_wrong_base_url_says_so(tmp_path: Path, reference_server: ReferenceServer) -> None:
    wrong = reference_server.base_url.removesuffix("/v2")
    done = _scimcheck("run", wrong, "--report-dir", str(tmp_path))
    assert done.returncode == exitcodes.TARGET_UNAVAILABLE, done.stdout + done.stderr
    assert "is the base URL right?" in done.stderr


def test_a_defect_that_looks_like_a_wrong_url_is_still_judged(
    tmp_path: Path, broken_server: Callable[[str], ReferenceServer]
) -> None:
    """no-match-404 answers the probe with 404, but GET /Users works: judge, don't refuse."""
    server = broken_server("no-match-404")
    done = _scimcheck("run", server.base_url, "--report-dir", str(tmp_path))
    assert done.returncode == exitcodes.CHECKS_FAILED, done.stdout + done.stderr
    assert "test-connection.no-match-empty-list" in done.stdout


def test_the_properties_run_with_a_budget_and_show_the_seed(tmp_path: Path) -> None:
    done = _scimcheck("run", "--examples", "5", "--seed", "7", "--report-dir", str(tmp_path))
    assert done.returncode == exitcodes.OK, done.stdout + done.stderr
    assert "seed 7" in done.stdout
    document = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert document["seed"] == 7
    outcomes = {c["id"]: c["outcome"] for c in document["checks"]}
    assert outcomes["generated.create-roundtrip"] == "passed"
    assert outcomes["generated.model-lifecycle"] == "passed"


def test_a_negative_example_budget_is_a_usage_error(tmp_path: Path) -> None:
    done = _scimcheck("run", "--examples", "-1", "--report-dir", str(tmp_path))
    assert done.returncode == exitcodes.USAGE, done.stderr
    assert "--examples -1 is not a whole number of examples from 0" in done.stderr
    assert "Traceback" not in done.stderr


def test_other_installed_plugins_do_not_touch_a_run(tmp_path: Path) -> None:
    """A pytest plugin and a Hypothesis plugin installed beside scimcheck (here: both break
    everything they touch) are not loaded by ``scimcheck run``; named after ``--``, one is."""
    site = tmp_path / "site"
    (site / "hostile_plugins-1.0.dist-info").mkdir(parents=True)
    (site / "hostile_plugins-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: hostile-plugins\nVersion: 1.0\n", encoding="utf-8")
    (site / "hostile_plugins-1.0.dist-info" / "entry_points.txt").write_text(
        "[pytest11]\nhostile = hostile_pytest\n\n[hypothesis]\nhostile = hostile_hypothesis:hook\n",
        encoding="utf-8")
    (site / "hostile_pytest.py").write_text(
        "def pytest_runtest_call(item):\n    raise RuntimeError('a foreign pytest plugin ran')\n",
        encoding="utf-8")
    (site / "hostile_hypothesis.py").write_text(
        "def hook():\n    raise RuntimeError('a foreign Hypothesis plugin ran')\n",
        encoding="utf-8")
    environment = {"PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    done = _scimcheck("run", "--report-dir", str(tmp_path / "out"), environment=environment)
    assert done.returncode == exitcodes.OK, done.stdout + done.stderr
    assert "foreign" not in done.stdout + done.stderr
    asked = _scimcheck("run", "--report-dir", str(tmp_path / "asked"), "--", "-p", "hostile",
                       environment=environment)
    assert asked.returncode != exitcodes.OK
    assert "a foreign pytest plugin ran" in asked.stdout + asked.stderr


def test_a_run_writes_nothing_in_the_working_directory(tmp_path: Path) -> None:
    """Reports go to --report-dir and caches (pytest's, Hypothesis's) beside them: the
    directory a run starts in stays as it was, even with the properties searching."""
    here = tmp_path / "here"
    here.mkdir()
    done = _scimcheck("run", "--report-dir", str(tmp_path / "out"), cwd=here,
                      environment={"SCIM_EXAMPLES": "5"})
    assert done.returncode == exitcodes.OK, done.stdout + done.stderr
    assert sorted(p.name for p in here.iterdir()) == []


def test_the_module_docstring_and_help_name_every_command() -> None:
    from scimcheck.cli import main as cli

    parser = cli.build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    assert commands is not None
    shown = _scimcheck("--help").stdout
    for command in commands:
        assert f"``{command}``" in (cli.__doc__ or ""), command
        assert re.search(rf"^ +{re.escape(command)}\b", shown, flags=re.MULTILINE), command
