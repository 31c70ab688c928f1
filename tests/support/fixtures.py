"""The fixtures scimcheck's own tests share (a pytest plugin the root conftest.py registers):
reference servers, broken variants and running the bundled suites in-process."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from scimcheck.core import bundled
from scimcheck.server import ReferenceServer
from support.harness import TEST_TOKEN, RunSuites


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


@pytest.fixture
def run_suites(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> RunSuites:
    """Run the bundled suites in-process against a URL; returns results.json as a dict."""

    def run(url: str, *args: str, token: str | None = TEST_TOKEN) -> dict[str, Any]:
        if token is None:
            monkeypatch.delenv("SCIM_TOKEN", raising=False)
        else:
            monkeypatch.setenv("SCIM_TOKEN", token)
        results = Path(pytester.path) / "results.json"
        # The generated-user properties are proven in tests/verdicts/test_generated_verdicts.py;
        # every other run leaves them out unless it asks for a budget.
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
