"""OAuth 2.0 client credentials from the command line (issue 17 §1): ``scimcheck serve --oauth``
prints a client id and secret and issues tokens; ``scimcheck run --oauth`` tests the embedded
server through its token endpoint, in both dialects, serially and with ``-n 2``."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from scimcheck.core import exitcodes
from scimcheck.http.oauth_grant import ClientCredentials, request_token
from scimcheck.http.transport import Transport, TransportConfig

OAUTH_CHECKS = {"auth.oauth.token-grant", "auth.oauth.token-lifetime",
                "auth.oauth.invalid-client"}


def test_serve_oauth_prints_the_client_and_issues_tokens() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCIM_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "scimcheck", "serve", "--port", str(port), "--oauth"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        assert proc.stdout is not None
        banner = proc.stdout.readline()
        found = re.search(r"token endpoint (\S+), client id (\S+), client secret (\S+),", banner)
        assert found, banner
        token_url, client_id, secret = found.groups()
        assert token_url == f"http://127.0.0.1:{port}/oauth2/token"
        answer = request_token(ClientCredentials(token_url, client_id, secret))
        assert answer.problem is None and answer.lifetime_s == 3600
        base = f"http://127.0.0.1:{port}/scim/v2"
        with Transport(TransportConfig(base, answer.usable_token)) as transport:
            assert transport.send("GET", "/Users").status == 200
        with Transport(TransportConfig(base, "not-issued-here")) as transport:
            assert transport.send("GET", "/Users").status == 401
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == exitcodes.OK
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.slow
@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["serial", "two-workers"])
def test_run_oauth_passes_against_the_embedded_server(
    workers: tuple[str, ...], tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCIM_", "SCIMCHECK_"))}
    env["SCIM_EXAMPLES"] = "0"
    done = subprocess.run(
        [sys.executable, "-m", "scimcheck", "run", "--oauth", "--report-dir", str(tmp_path),
         *workers], capture_output=True, text=True, env=env, timeout=600, check=False,
    )
    assert done.returncode == exitcodes.OK, done.stdout[-3000:] + done.stderr[-3000:]
    assert "OAuth token endpoint" in done.stdout
    document = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert document["verdict"] == "pass" and document["dialects"] == ["legacy", "compliant"]
    outcomes = {c["id"]: c["outcome"] for c in document["checks"]}
    assert {outcomes[check] for check in OAUTH_CHECKS} == {"passed"}
    assert outcomes["auth.missing-token-rejected"] == "passed"
    assert outcomes["auth.wrong-token-rejected"] == "passed"


def test_record_forwards_with_the_upstreams_access_token(tmp_path: Path) -> None:
    """``record --oauth-token-url …``: a request that carries a token reaches an OAuth upstream
    with the upstream's access token; one without a token stays without (``auth: false``)."""
    from scimcheck.http.oauth import OAuthClient
    from scimcheck.record.proxy import TrafficRecorder
    from scimcheck.server import ReferenceServer

    with ReferenceServer(oauth=True) as upstream:
        assert upstream.issuer is not None
        client = OAuthClient(ClientCredentials(upstream.token_url, upstream.issuer.client_id,
                                               upstream.issuer.client_secret))
        recorder = TrafficRecorder(upstream.base_url, tmp_path / "out.yaml", auth=client,
                                   log=lambda line: None)
        with (ReferenceServer(app=recorder) as proxy,
              Transport(TransportConfig(proxy.base_url, "whatever-entra-sends")) as entra):
            assert entra.send("GET", "/Users").status == 200
            assert entra.send("GET", "/Users", authenticated=False).status == 401
    written = (tmp_path / "out.yaml").read_text(encoding="utf-8")
    assert upstream.issuer.client_secret not in written and "whatever" not in written


@pytest.mark.parametrize("command", ["run", "cleanup"])
def test_a_refused_client_stops_the_command_with_exit_3(command: str, tmp_path: Path) -> None:
    from scimcheck.server import ReferenceServer

    wrong = "cs-wrong-secret-0123456789"
    with ReferenceServer(oauth=True) as server:
        assert server.issuer is not None
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SCIM_", "SCIMCHECK_"))}
        env["SCIM_CLIENT_SECRET"] = wrong
        where = ("--report-dir", str(tmp_path)) if command == "run" else ("--all",)
        done = subprocess.run(
            [sys.executable, "-m", "scimcheck", command, server.base_url, *where,
             "--oauth-token-url", server.token_url, "--client-id", server.issuer.client_id],
            capture_output=True, text=True, env=env, timeout=120, check=False,
        )
    assert done.returncode == exitcodes.TARGET_UNAVAILABLE, done.stdout + done.stderr
    assert "cannot get an OAuth access token" in done.stderr
    assert "invalid_client" in done.stderr and wrong not in done.stdout + done.stderr
