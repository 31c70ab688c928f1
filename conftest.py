"""Fixtures for scimcheck's own tests (tests/): reference servers, and running the suites.

Every server binds to 127.0.0.1 only; tests send traffic to loopback only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

# Import what the suites use before pytester's in-process runs: pytester restores sys.modules
# after each run, and modules first imported inside one (urllib3's exception classes, say)
# would be re-imported as different classes in the next.
import pytest
import requests

import scimcheck.entra.userdata
import scimcheck.generate.model
import scimcheck.generate.properties
import scimcheck.generate.strategies
import scimcheck.http.transport
import scimcheck.report.results
import scimcheck.report.transcript
import scimcheck.sequences.runner
from scimcheck.core import bundled
from scimcheck.server import ReferenceServer

TEST_TOKEN = "s3cr3t-test-token-do-not-print"


@pytest.fixture(scope="session")
def reference_server() -> Iterator[ReferenceServer]:
    """The correct reference server, shared by the session (tests create their own data)."""
    with ReferenceServer(host="127.0.0.1", port=0, token=TEST_TOKEN) as server:
        yield server


@pytest.fixture
def broken_server() -> Iterator[Callable[[str], ReferenceServer]]:
    """Start a broken variant of the reference server by name; stopped after the test."""
    started: list[ReferenceServer] = []

    def start(variant: str) -> ReferenceServer:
        server = ReferenceServer(host="127.0.0.1", port=0, token=TEST_TOKEN, variant=variant)
        started.append(server.start())
        return server

    yield start
    for server in started:
        server.stop()


RunSuites = Callable[..., dict[str, Any]]


@pytest.fixture
def run_suites(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> RunSuites:
    """Run the bundled suites in-process against a URL; returns results.json as a dict."""

    def run(url: str, *args: str, token: str | None = TEST_TOKEN) -> dict[str, Any]:
        if token is None:
            monkeypatch.delenv("SCIM_TOKEN", raising=False)
        else:
            monkeypatch.setenv("SCIM_TOKEN", token)
        results = Path(pytester.path) / "results.json"
        # The generated-user properties are proven in tests/test_generated_verdicts.py; every
        # other run leaves them out unless it asks for a budget.
        budget = () if any(a.startswith("--scim-examples") for a in args) else (
            "--scim-examples", "0",
        )
        outcome = pytester.runpytest_inprocess(
            str(bundled.suites_dir()),
            f"--rootdir={bundled.suites_dir()}",
            "-p", "no:cacheprovider",
            "--scim-url", url,
            "--scim-results", str(results),
            *budget,
            *args,
        )
        document: dict[str, Any] = json.loads(results.read_text(encoding="utf-8"))
        document["_pytest_ret"] = int(outcome.ret)
        document["_stdout"] = outcome.stdout.str()
        return document

    return run


def endpoint_snapshot(transport: scimcheck.http.transport.Transport) -> str:
    """Every user and group, as the endpoint returns them (a byte-for-byte snapshot)."""
    parts = []
    for collection in ("/Users", "/Groups"):
        answer = transport.send("GET", collection, params={"count": "1000"})
        parts.append(json.dumps(answer.json()["Resources"], sort_keys=True))
    return "\n".join(parts)


def failed_checks(document: dict[str, Any]) -> set[str]:
    """Ids of the checks that failed in a results document."""
    return {c["id"] for c in document["checks"] if c["outcome"] == "failed"}


def scimcheck_cli(
    *args: str, cwd: Path | None = None, timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """``scimcheck ARGS`` in a child process with the test token and no generated users (the
    properties are proven in tests/test_generated_verdicts.py); no ``SCIM_*`` of this session."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCIM_")}
    env.update(SCIM_TOKEN=TEST_TOKEN, SCIM_EXAMPLES="0")
    return subprocess.run(
        [sys.executable, "-m", "scimcheck", *args], capture_output=True, text=True, env=env,
        cwd=cwd, timeout=timeout, check=False,
    )


def tagged_user_names(reference: ReferenceServer) -> list[str]:
    """The userNames of every user a scimcheck run tagged, left on the reference server."""
    answer = requests.get(
        reference.base_url + "/Users", params={"filter": 'userName sw "scimcheck-"'},
        headers={"Authorization": f"Bearer {TEST_TOKEN}"}, timeout=10,
    )
    return [user["userName"] for user in answer.json()["Resources"]]
