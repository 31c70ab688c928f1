"""`scimcheck cleanup` deletes what runs left behind, by their tag, and nothing else."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import TEST_TOKEN, endpoint_snapshot

from scimcheck import exitcodes
from scimcheck.server import ReferenceServer
from scimcheck.transport import Transport, TransportConfig

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
# names that look like ours but are not a run's tag: never touched
LOOKALIKES = ["scimcheck-fan@example.com", "scimcheck-1234567-x@example.com",
              "SCIMCHECK-aaaaaaaa-x@example.com", "x-scimcheck-aaaaaaaa-y@example.com"]


def _cleanup(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCIM_")}
    env["SCIM_TOKEN"] = TEST_TOKEN
    return subprocess.run([sys.executable, "-m", "scimcheck", "cleanup", *args],
                          capture_output=True, text=True, env=env, timeout=120, check=False)



@pytest.fixture
def seeded() -> tuple[ReferenceServer, Transport]:
    server = ReferenceServer(host="127.0.0.1", port=0, token=TEST_TOKEN).start()
    transport = Transport(TransportConfig(server.base_url, TEST_TOKEN, 30))
    foreign = [transport.send("POST", "/Users", body={
        "schemas": [USER], "userName": name, "displayName": name,
    }).json()["id"] for name in [f"person{n}@example.com" for n in range(40)] + LOOKALIKES]
    transport.send("POST", "/Groups", body={
        "schemas": [GROUP], "displayName": "scimcheck-fans",
        "members": [{"value": v} for v in foreign[:5]],
    })
    for run in ("aaaaaaaa", "bbbbbbbb"):
        user = transport.send("POST", "/Users", body={
            "schemas": [USER], "userName": f"scimcheck-{run}-0001-left@example.com",
        }).json()["id"]
        transport.send("POST", "/Groups", body={
            "schemas": [GROUP], "displayName": f"scimcheck-{run}-0001 Left Team",
            "members": [{"value": user}, {"value": foreign[0]}],
        })
    yield server, transport
    transport.close()
    server.stop()


def test_cleanup_removes_one_runs_leftovers_and_nothing_else(
    seeded: tuple[ReferenceServer, Transport], tmp_path: Path
) -> None:
    server, transport = seeded
    before = endpoint_snapshot(transport)
    dry = _cleanup(server.base_url, "--run-id", "aaaaaaaa", "--dry-run")
    assert dry.returncode == exitcodes.OK, dry.stderr
    assert "would delete 2 resource(s) left by run aaaaaaaa" in dry.stdout
    assert endpoint_snapshot(transport) == before  # a dry run deletes nothing
    done = _cleanup(server.base_url, "--run-id", "scimcheck-aaaaaaaa")
    assert done.returncode == exitcodes.OK, done.stderr
    after = endpoint_snapshot(transport)
    assert '"scimcheck-aaaaaaaa-0001' not in after and '"scimcheck-bbbbbbbb-0001' in after
    everything = _cleanup(server.base_url, "--all")
    assert everything.returncode == exitcodes.OK and "deleted 2 resource(s)" in everything.stdout
    left = endpoint_snapshot(transport)
    assert '"scimcheck-bbbbbbbb-0001' not in left
    for name in [*LOOKALIKES, "scimcheck-fans", "person39@example.com"]:
        assert name in left, name
    assert _cleanup(server.base_url, "--all").stdout.strip().endswith("nothing left by any "
                                                                      "scimcheck run")
    assert TEST_TOKEN not in done.stdout + done.stderr + everything.stdout


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["http://127.0.0.1:9/scim/v2", "--all"], "target unreachable"),
        (["ftp://x", "--all"], "not an http(s) URL"),
        (["http://127.0.0.1:9/scim/v2", "--run-id", "nope"], "is not a run id"),
    ],
)
def test_cleanup_refuses_bad_input_in_one_line(args: list[str], said: str) -> None:
    done = _cleanup(*args)
    assert done.returncode in (exitcodes.USAGE, exitcodes.TARGET_UNAVAILABLE)
    assert said.lower() in done.stderr.lower() and "Traceback" not in done.stderr


def test_cleanup_needs_a_selection() -> None:
    done = _cleanup("http://127.0.0.1:9/scim/v2")
    assert done.returncode == exitcodes.USAGE and "--run-id" in done.stderr
