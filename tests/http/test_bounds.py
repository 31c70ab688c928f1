"""Bounded memory and time whatever the endpoint does (issue 13 §6).

An endpoint that pads every answer to the body cap (plainly or gzipped), lists 10^6 empty users,
answers every request slowly or drips until cut off, and a profile or sequence file that is a
YAML alias bomb: each run ends with a verdict and its reports, in bounded memory (peak RSS under
500 MB, measured by a wrapper process around the command) and bounded time (a run-wide deadline,
and a generated search that stops once the endpoint is diagnosed hostile). Outcomes are asserted,
never durations: process timeouts are only a guard against a hang.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import strategies as st

from scimcheck.core import exitcodes, yamlsafe
from scimcheck.core.errors import DEADLINE_REACHED, RunStopped
from scimcheck.generate import properties
from scimcheck.generate.probe import Probe
from scimcheck.generate.search import NO_SERVER_ERROR, Budget
from scimcheck.http.exchange import SHOWN_BODY_CHARS
from scimcheck.http.transport import (
    HOSTILE_STREAK,
    KEPT_BODY_CHARS,
    MAX_BODY_BYTES,
    Transport,
    TransportConfig,
)
from scimcheck.scim import schemas
from scimcheck.sequences.runner import Sequence
from scimcheck.server import ReferenceServer
from support.harness import TEST_TOKEN, tagged_user_names
from support.hostile import HostileServer, every, lists

PEAK_LIMIT_MB = 500
HANG_GUARD_S = 600
"""A run that takes longer than this has hung (each run here needs well under a minute)."""

_MEASURED = (
    "import resource, subprocess, sys\n"
    "done = subprocess.run(sys.argv[1:])\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print(f'peak-rss-kib={peak}', file=sys.stderr)\n"
    "sys.exit(done.returncode)\n"
)
"""A wrapper process: runs the command, then reports its peak RSS (KiB on Linux; children
include pytest-xdist workers). A fresh wrapper per run, so no other test's child counts."""


def _scimcheck(*args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run ``scimcheck ARGS``; what it did and its peak memory in MB."""
    env = {**os.environ, "SCIM_TOKEN": TEST_TOKEN, "PYTHONUNBUFFERED": "1"}
    done = subprocess.run(
        [sys.executable, "-c", _MEASURED, sys.executable, "-m", "scimcheck", *args],
        capture_output=True, text=True, env=env, timeout=HANG_GUARD_S, check=False,
    )
    head, _, peak = done.stderr.rstrip("\n").rpartition("peak-rss-kib=")
    done.stderr = head
    return done, int(peak) / 1024


def _results(report_dir: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        (report_dir / "results.json").read_text(encoding="utf-8")
    )
    assert schemas.validate("results", document) == []
    return document


# --- memory ---------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("name", ["padded-answers", "gzip-padded-answers", "million-empty-users"])
def test_costly_list_answers_keep_a_run_under_500_mb(name: str, tmp_path: Path) -> None:
    """Every list answered correctly but padded to just under the 4 MiB cap (gzipped: 4 KB on
    the wire), or with 10^6 empty users (3 MB that parse to 80 MB): every answer is read and
    parsed whole. Before the bounds, the properties kept every exchange, Hypothesis kept each
    failing example's frames, and each finished test its transport: a run took 1 to 2.5 GB."""
    with ReferenceServer(token=TEST_TOKEN) as reference:
        origin = reference.base_url.removesuffix("/scim/v2")
        with HostileServer(name, picks=lists, inner=origin) as server:
            done, peak_mb = _scimcheck(
                "run", server.base_url, "--report-dir", str(tmp_path), "--timeout", "10",
                "--examples", "30", "--deadline", "300",
            )
            padded = server.hostile_answers
    assert "Traceback" not in done.stdout + done.stderr
    assert done.returncode in (exitcodes.OK, exitcodes.CHECKS_FAILED), done.stdout[-3000:]
    assert padded > 30, "the costly answers were not met"
    assert peak_mb < PEAK_LIMIT_MB, f"peak RSS {peak_mb:.0f} MB"
    document = _results(tmp_path)
    assert document["verdict"] in ("pass", "fail") and document["tests"]["errors"] == 0


def test_a_transport_keeps_whole_bodies_only_up_to_its_budget() -> None:
    """Older large answers are shortened in the transcript; the newest stays whole."""
    with ReferenceServer(token=TEST_TOKEN) as reference:
        origin = reference.base_url.removesuffix("/scim/v2")
        with HostileServer("padded-answers", picks=lists, inner=origin) as server, \
                Transport(TransportConfig(server.base_url, TEST_TOKEN)) as transport:
            answers = [transport.send("GET", "/Users") for _ in range(8)]
    assert all(a.json() is not None for a in answers), "each caller gets its answer whole"
    kept = transport.exchanges
    whole = KEPT_BODY_CHARS + MAX_BODY_BYTES  # the newest is kept whole whatever its size
    assert sum(len(x.response_body) for x in kept) <= whole + 8 * SHOWN_BODY_CHARS
    assert kept[-1] is answers[-1] and kept[-1].json() is not None
    shortened = [x for x in kept if x is not answers[kept.index(x)]]
    assert shortened and all(
        len(x.response_body) == SHOWN_BODY_CHARS and "kept the first" in (x.body_problem or "")
        for x in shortened
    )


def test_a_list_of_a_million_empty_users_is_judged_on_its_first_thousand(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A 3 MB answer listing 10^6 empty objects: validating each took a minute and 1.3 GB.
    Only the first 1000 are validated, and the answer is refused for the rest."""
    walked: list[object] = []
    validate = schemas._validate

    def counting(kind: str, instance: object, base: tuple[Any, ...]) -> Any:
        walked.append(instance)
        if len(walked) > 5000:
            raise AssertionError("validated more than 5000 values of one answer")
        return validate(kind, instance, base)

    monkeypatch.setattr(schemas, "_validate", counting)
    with HostileServer("million-empty-users") as server, \
            Transport(TransportConfig(server.base_url, TEST_TOKEN)) as transport:
        scim = Sequence(transport, dialect=None, strict=False)
        scim.expect_user_list(transport.send("GET", "/Users"))
    verdict = {e.check.id: e for e in scim.evaluations}["schema.user"]
    assert not verdict.passed
    assert len(walked) <= schemas.MAX_LISTED_RESOURCES + 2  # the envelope twice, 1000 items
    problems = schemas.validate_list(transport.exchanges[-1].json(), "user")
    assert problems[-1].path == f"/Resources/{schemas.MAX_LISTED_RESOURCES}"
    assert "1,000,000 resources" in problems[-1].message


# --- time -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_slow_answers_to_every_request_end_the_run_at_its_deadline(tmp_path: Path) -> None:
    """Every answer takes a second (each within the timeout): only the run deadline bounds the
    run. It ends with a verdict (fail: exit 1), results.json says the deadline was reached and
    which tests were not evaluated, and the test cut mid-way still cleaned up."""
    with ReferenceServer(token=TEST_TOKEN) as reference:
        origin = reference.base_url.removesuffix("/scim/v2")
        with HostileServer("slow-answers", picks=every, inner=origin) as server:
            done, _ = _scimcheck(
                "run", server.base_url, "--report-dir", str(tmp_path), "--timeout", "10",
                "--examples", "5", "--deadline", "8",
            )
        leftovers = tagged_user_names(reference)
    assert "Traceback" not in done.stdout + done.stderr
    assert done.returncode == exitcodes.CHECKS_FAILED, done.stdout[-3000:] + done.stderr
    assert "the run deadline (8 s) was reached" in done.stdout
    document = _results(tmp_path)
    assert document["verdict"] == "fail"
    assert document["deadline"] == {"seconds": 8, "reached": True}
    reasons = {entry["reason"] for entry in document["not_evaluated"]}
    assert reasons and all(r.startswith(DEADLINE_REACHED) for r in reasons)
    assert document["tests"]["skipped"] >= len(document["not_evaluated"]) > 1
    assert leftovers == [], f"the run cut short left {leftovers}"


@pytest.mark.parametrize(
    ("args", "environment"),
    [(["--deadline", "0"], {}), (["--deadline", "nan"], {}), (["--deadline", "inf"], {}),
     ([], {"SCIM_DEADLINE": "soon"}), ([], {"SCIM_DEADLINE": "inf"})],
)
def test_a_bad_deadline_is_a_usage_error(
    args: list[str], environment: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    done, _ = _scimcheck("run", "--report-dir", str(tmp_path), *args)
    assert done.returncode == exitcodes.USAGE, done.stdout[-2000:] + done.stderr
    assert "deadline" in (done.stdout + done.stderr).lower()
    assert "Traceback" not in done.stdout + done.stderr


def test_a_generated_search_stops_once_the_endpoint_is_diagnosed_hostile() -> None:
    """Every answer drips until the request's deadline cuts it. Once HOSTILE_STREAK requests
    in a row were cut off, a search sends nothing more (each example, and each shrink step,
    would cost a deadline again): the endpoint's failure is recorded unshrunk with the last
    cut-off request, and the rest is not evaluated."""
    with HostileServer("slow-drip", picks=every) as server:
        config = TransportConfig(server.base_url, TEST_TOKEN, timeout_s=0.2, max_retries=0)
        with Transport(config) as transport:
            scim = Sequence(transport, dialect=None, strict=False)
            for n in range(HOSTILE_STREAK):  # what the test sent before its search
                assert transport.send("GET", f"/Users/{n}").cut_off
            assert transport.hostile is not None

            def read(probe: Probe, n: int) -> None:
                probe.send("GET", f"/Users/{n}", label="read a user")

            with pytest.raises(RunStopped, match="generated search stopped early"):
                properties.run(scim, Budget(examples=50, seed=1), "read", st.integers(0, 9),
                               read, ())
        sent = server.hostile_answers
    assert sent == HOSTILE_STREAK, "the search sent requests to an endpoint known hostile"
    failed = [e for e in scim.evaluations if not e.passed]
    assert [e.check.id for e in failed] == [NO_SERVER_ERROR]
    assert "not shrunk" in failed[0].message and failed[0].repro


def test_a_normal_answer_ends_the_streak_of_cut_off_ones() -> None:
    with ReferenceServer(token=TEST_TOKEN) as reference:
        origin = reference.base_url.removesuffix("/scim/v2")
        with HostileServer("slow-drip", picks=lambda m, p: "drip" in p, inner=origin) as server:
            config = TransportConfig(server.base_url, TEST_TOKEN, timeout_s=0.2, max_retries=0)
            with Transport(config) as transport:
                for _ in range(HOSTILE_STREAK - 1):
                    transport.send("GET", "/Users/drip")
                transport.send("GET", "/Users")
                transport.send("GET", "/Users/drip")
                assert transport.hostile is None
                transport.send("GET", "/Users/drip")
                assert transport.hostile is None
                transport.send("GET", "/Users/drip")
                assert transport.hostile is not None and "still sending" in transport.hostile


# --- YAML -----------------------------------------------------------------------------------

_LAUGHS = ["&a [x, x, x, x, x, x, x, x, x]"] + [
    f"&{name} [{', '.join([f'*{prev}'] * 9)}]"
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True)
]
"""A billion laughs: 9^9 values once the aliases are expanded, from 400 bytes."""

PROFILE_BOMB = (
    "name: bomb\nusers:\n  matching: userName\n  attributes: [userName]\ndescription:\n"
    + "".join(f"  - {level}\n" for level in _LAUGHS)
)
"""A profile whose description is the bomb: describing the wrong type took 1 GB in 40 s."""

SEQUENCE_BOMB = (
    "id: bomb\ntitle:\n" + "".join(f"  - {level}\n" for level in _LAUGHS)
    + "source: test\ndialects: none\nsteps: []\n"
)


@pytest.mark.slow
@pytest.mark.parametrize("where", ["profile", "sequence file"])
def test_a_yaml_alias_bomb_is_one_line_with_its_file_and_line(where: str, tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    text = PROFILE_BOMB if where == "profile" else SEQUENCE_BOMB
    bomb.write_text(text, encoding="utf-8")
    if where == "profile":
        args = ["run", "--profile", str(bomb), "--report-dir", str(tmp_path / "reports")]
    else:
        args = ["replay", str(bomb), "--report-dir", str(tmp_path / "reports")]
    done, peak_mb = _scimcheck(*args)
    assert done.returncode == exitcodes.USAGE, done.stdout[-2000:] + done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    line = next(n for n, level in enumerate(text.splitlines(), 1) if "&f [" in level)
    assert f"{bomb}:{line}:" in done.stderr and "YAML bomb" in done.stderr
    assert peak_mb < PEAK_LIMIT_MB


def test_yaml_anchors_stay_usable_but_not_an_alias_of_its_own_container() -> None:
    assert yamlsafe.load("a: &x {k: 1}\nb: *x\n") == {"a": {"k": 1}, "b": {"k": 1}}
    assert len(yamlsafe.load("[" + ", ".join(["1"] * 200_000) + "]")) == 200_000  # no alias
    with pytest.raises(yamlsafe.ExpansionError, match="contains it") as raised:
        yamlsafe.load("top:\n  a: &a [1, *a]\n")
    assert raised.value.problem_mark is not None and raised.value.problem_mark.line == 1
