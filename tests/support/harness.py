"""What many tests need besides fixtures: the test token, running the CLI in a child process,
reading a results document and what a run left on a server.

Every server binds to 127.0.0.1 only; tests send traffic to loopback only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from scimcheck.http.transport import Transport
from scimcheck.server import ReferenceServer

TEST_TOKEN = "s3cr3t-test-token-do-not-print"

REPO = Path(__file__).resolve().parents[2]
"""The repository's root (suites/, schemas/, fixtures/, docs/, src/)."""

RunSuites = Callable[..., dict[str, Any]]
"""The ``run_suites`` fixture: run the bundled suites in-process against a URL."""


def endpoint_snapshot(transport: Transport) -> str:
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
    properties are proven in tests/verdicts/test_generated_verdicts.py); no ``SCIM_*`` of this
    session."""
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
