"""A whole ``scimcheck run`` through a real forwarding proxy on loopback (issue 17 §2): every
request goes through it when ``HTTP_PROXY`` says so, none when ``NO_PROXY`` covers the target,
``--proxy`` wins over the environment, and extra headers reach the endpoint on every request."""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from scimcheck.core import exitcodes
from scimcheck.server import ReferenceServer
from scimcheck.server.faults import Faults
from support.forward_proxy import forward_proxy
from support.harness import TEST_TOKEN

_CLEARED = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "SCIM_PROXY", "SCIM_HEADERS",
            "SCIM_SECRET_HEADERS")


def _run(url: str, reports: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items()
               if k.upper() not in _CLEARED and not k.startswith("SCIM_")}
    environ.update(SCIM_TOKEN=TEST_TOKEN, **env)
    return subprocess.run(
        [sys.executable, "-m", "scimcheck", "run", url, "--report-dir", str(reports),
         "--examples", "3", "--seed", "17", *args],
        capture_output=True, text=True, env=environ, timeout=600, check=False,
    )


def _dead_proxy() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


@pytest.mark.slow
def test_every_request_of_a_run_goes_through_http_proxy(tmp_path: Path) -> None:
    faults = Faults(0.0)  # logs every request the endpoint receives
    with ReferenceServer(token=TEST_TOKEN, faults=faults) as server, \
            forward_proxy() as (proxy, seen):
        done = _run(server.base_url, tmp_path, HTTP_PROXY=proxy)
        received = faults.count
    assert done.returncode == exitcodes.OK, done.stdout[-2000:] + done.stderr
    sent = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))["requests"]
    # results.json counts the tests' exchanges (the preflight is not one of them; a PATCH the
    # ownership guard refused unsent is): the endpoint's own log is the exact count
    assert len(seen.forwarded) == received
    assert received > sent["total"] / 2 > 0


@pytest.mark.slow
def test_no_proxy_covering_the_target_sends_nothing_through_it(tmp_path: Path) -> None:
    with ReferenceServer(token=TEST_TOKEN) as server, forward_proxy() as (proxy, seen):
        done = _run(server.base_url, tmp_path, HTTP_PROXY=proxy, NO_PROXY="127.0.0.1")
    assert done.returncode == exitcodes.OK, done.stdout[-2000:] + done.stderr
    assert seen.forwarded == [] and seen.tunnels == []


@pytest.mark.slow
def test_the_proxy_option_overrides_the_environment_and_headers_reach_the_endpoint(
    tmp_path: Path,
) -> None:
    faults = Faults(0.0)
    with ReferenceServer(token=TEST_TOKEN, faults=faults) as server, \
            forward_proxy() as (proxy, seen):
        done = _run(server.base_url, tmp_path, "--proxy", proxy, "--header", "X-Tenant: t1",
                    "--secret-header", "X-Api-Key=GATEWAY_KEY", "-n", "2",
                    HTTP_PROXY=_dead_proxy(), NO_PROXY="127.0.0.1",
                    GATEWAY_KEY="gw-key-7f3e-never-shown")
        received = faults.count
    assert done.returncode == exitcodes.OK, done.stdout[-2000:] + done.stderr
    assert len(seen.forwarded) == received > 0
    assert all(headers.get("X-Tenant") == "t1" and
               headers.get("X-Api-Key") == "gw-key-7f3e-never-shown" for headers in seen.headers)
    assert "gw-key-7f3e-never-shown" not in done.stdout + done.stderr


@pytest.mark.slow
def test_scimcheck_load_sends_through_the_proxy_with_the_headers(tmp_path: Path) -> None:
    """Locust's client (geventhttpclient) takes the proxy and headers too; the child process
    gets them in its environment, never on its command line."""
    if importlib.util.find_spec("locust") is None:  # not imported here: gevent patches on import
        pytest.skip("scimcheck[load] is not installed")
    faults = Faults(0.0)
    with ReferenceServer(token=TEST_TOKEN, faults=faults) as server, \
            forward_proxy() as (proxy, seen):
        environ = {k: v for k, v in os.environ.items()
                   if k.upper() not in _CLEARED and not k.startswith("SCIM_")}
        environ.update(SCIM_TOKEN=TEST_TOKEN, GATEWAY_KEY="gw-key-7f3e-never-shown",
                       HTTP_PROXY=proxy)
        done = subprocess.run(
            [sys.executable, "-m", "scimcheck", "load", server.base_url, "--users", "10",
             "--groups", "1", "--rate", "30", "--duration", "2", "--report-dir", str(tmp_path),
             "--header", "X-Tenant: t1", "--secret-header", "X-Api-Key=GATEWAY_KEY"],
            capture_output=True, text=True, env=environ, timeout=300, check=False,
        )
        received = faults.count
    # two seconds are too few for the rate's verdict: only where the traffic went is judged
    assert done.returncode in (exitcodes.OK, exitcodes.CHECKS_FAILED), done.stderr
    assert len(seen.forwarded) == received > 0
    assert all(headers.get("X-Tenant") == "t1" and
               headers.get("X-Api-Key") == "gw-key-7f3e-never-shown" for headers in seen.headers)
    report = (tmp_path / "load.json").read_text(encoding="utf-8")
    assert "gw-key-7f3e-never-shown" not in done.stdout + done.stderr + report
