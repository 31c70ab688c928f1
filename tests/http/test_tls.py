"""TLS: --ca-bundle / --insecure (and their environment variables) and the ``transport.tls12``
check, against the reference server served over HTTPS with a certificate from a throwaway CA
(trustme). The TLS 1.3-only server is the broken endpoint that proves ``transport.tls12`` can
fail (tests/support/variant_map.py PROVEN_ELSEWHERE). Every server binds to 127.0.0.1 only.
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
import trustme

from scimcheck.core import exitcodes
from scimcheck.core.errors import ConfigError
from scimcheck.http import tls
from scimcheck.http.transport import Transport, TransportConfig
from scimcheck.scim import schemas
from scimcheck.server import ReferenceServer
from support.harness import TEST_TOKEN, RunSuites, failed_checks

WARNING = "WARNING: TLS certificate verification is OFF"
CHECK = "transport.tls12"


def _one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    return lines[0]


# --- the probe ---------------------------------------------------------------------------------
def test_base_url_is_https(https_server: ReferenceServer) -> None:
    assert https_server.base_url.startswith("https://127.0.0.1:")


def test_tls12_handshake_succeeds_with_the_ca_bundle(
    https_server: ReferenceServer, ca_pem: str
) -> None:
    handshake = tls.probe_tls12(https_server.base_url, ca_pem)
    assert handshake.ok, handshake.problem
    assert handshake.version == "TLSv1.2"
    assert handshake.cipher in tls.ENTRA_CIPHERS


def test_tls12_handshake_with_verification_off(https_server: ReferenceServer) -> None:
    handshake = tls.probe_tls12(https_server.base_url, False)
    assert handshake.ok and handshake.version == "TLSv1.2", handshake.problem


def test_tls12_handshake_names_an_untrusted_certificate(https_server: ReferenceServer) -> None:
    handshake = tls.probe_tls12(https_server.base_url, True)
    assert not handshake.ok
    assert "not trusted" in str(handshake.problem) and "--ca-bundle" in str(handshake.problem)


def test_a_tls13_only_server_refuses_entra(tls13_server: ReferenceServer, ca_pem: str) -> None:
    handshake = tls.probe_tls12(tls13_server.base_url, ca_pem)
    assert not handshake.ok
    assert "refuses TLS 1.2" in str(handshake.problem)
    assert "offers only TLS 1.3" in str(handshake.problem)


def test_a_server_without_entras_cipher_suites_is_named(ca: trustme.CA, ca_pem: str) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    context.set_ciphers("ECDHE-ECDSA-CHACHA20-POLY1305")  # TLS 1.2, but no suite Entra offers
    with ReferenceServer(host="127.0.0.1", port=0, ssl_context=context) as server:
        handshake = tls.probe_tls12(server.base_url, ca_pem)
    assert not handshake.ok
    assert "none of Entra's cipher suites" in str(handshake.problem)


def test_a_closed_port_is_refused() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    handshake = tls.probe_tls12(f"https://127.0.0.1:{port}/scim/v2", True)
    assert "refused" in str(handshake.problem)


def test_an_untrusted_certificate_is_one_line_naming_the_fix(
    https_server: ReferenceServer,
) -> None:
    with Transport(TransportConfig(https_server.base_url, TEST_TOKEN, 10)) as transport:
        exchange = transport.send("GET", "/Users")
    error = _one_line(str(exchange.error))
    assert "not trusted" in error
    assert "--ca-bundle" in error and "--insecure" in error


# --- resolving the setting ---------------------------------------------------------------------
def test_command_line_beats_environment_beats_default(ca_pem: str, tmp_path: Path) -> None:
    assert tls.resolve(None, None, {}) is True
    assert tls.resolve(None, None, {"SCIM_INSECURE": "true"}) is False
    assert tls.resolve(None, None, {"SCIM_INSECURE": "0"}) is True
    assert tls.resolve(None, None, {"SCIM_CA_BUNDLE": ca_pem}) == ca_pem
    assert tls.resolve(ca_pem, None, {"SCIM_INSECURE": "1"}) == ca_pem
    assert tls.resolve(None, True, {"SCIM_CA_BUNDLE": ca_pem}) is False


@pytest.mark.parametrize(
    ("ca_bundle", "insecure", "env", "needle"),
    [
        ("missing.pem", None, {}, "--ca-bundle 'missing.pem': no such file"),
        ("PEM", True, {}, "contradict"),
        (None, None, {"SCIM_CA_BUNDLE": "missing.pem"}, "SCIM_CA_BUNDLE 'missing.pem'"),
        (None, None, {"SCIM_INSECURE": "maybe"}, "SCIM_INSECURE='maybe'"),
        ("NOT-PEM", None, {}, "holds no PEM certificate"),
        ("DIR", None, {}, "is a directory"),
    ],
)
def test_bad_settings_name_the_problem(
    ca_bundle: str | None, insecure: bool | None, env: dict[str, str], needle: str,
    ca_pem: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "not.pem").write_text("hello\n", encoding="utf-8")
    given = {"PEM": ca_pem, "NOT-PEM": "not.pem", "DIR": str(tmp_path)}.get(
        ca_bundle or "", ca_bundle
    )
    with pytest.raises(ConfigError) as caught:
        tls.resolve(given, insecure, env)
    message = _one_line(str(caught.value))
    assert needle in message


# --- the check in the suites (in-process) --------------------------------------------------------
def _tls12(document: dict[str, object]) -> dict[str, object]:
    entries = document["checks"]
    assert isinstance(entries, list)
    found: dict[str, object] = next(c for c in entries if c["id"] == CHECK)
    return found


def test_the_check_passes_against_a_server_that_takes_tls12(
    https_server: ReferenceServer, ca_pem: str, run_suites: RunSuites
) -> None:
    document = run_suites(https_server.base_url, "--scim-ca-bundle", ca_pem, "-k", "tls12")
    assert _tls12(document)["outcome"] == "passed", document["_stdout"]
    assert document["tls"] == {"insecure": False, "ca_bundle": ca_pem}
    assert document["_pytest_ret"] == 0


def test_the_check_fails_against_a_tls13_only_server(
    tls13_server: ReferenceServer, ca_pem: str, run_suites: RunSuites
) -> None:
    document = run_suites(tls13_server.base_url, "--scim-ca-bundle", ca_pem, "-k", "tls12")
    assert failed_checks(document) == {CHECK}, document["_stdout"]
    entry = _tls12(document)
    assert entry["fails_run"] is True
    assert "TLS 1.2" in str(entry["message"]) and "TLS 1.3" in str(entry["message"])
    assert document["verdict"] == "fail" and document["_pytest_ret"] == 1


def test_the_check_is_skipped_for_a_plain_http_target(
    reference_server: ReferenceServer, run_suites: RunSuites
) -> None:
    document = run_suites(reference_server.base_url, "-k", "tls12")
    assert _tls12(document)["outcome"] == "skipped"
    assert document["tests"]["skipped"] == 1
    assert "the target is plain http: Entra only provisions over https" in document["_stdout"]


def test_insecure_under_plain_pytest_warns_once_and_is_recorded(
    https_server: ReferenceServer, run_suites: RunSuites
) -> None:
    document = run_suites(https_server.base_url, "--scim-insecure", "-k", "tls12")
    assert _tls12(document)["outcome"] == "passed", document["_stdout"]
    assert document["tls"] == {"insecure": True, "ca_bundle": None}
    assert "InsecureRequestWarning" not in document["_stdout"]
    assert "verification was OFF" in document["_stdout"]  # the terminal summary says so


# --- the command line (subprocesses) -------------------------------------------------------------
def _scimcheck(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SCIM_")}
    clean.update({"SCIM_EXAMPLES": "0", "SCIM_TOKEN": TEST_TOKEN, **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "scimcheck", *args],
        capture_output=True, text=True, env=clean, cwd=cwd, timeout=120, check=False,
    )


SMALL = ["--", "-k", "tls12 or test-connection"]


@pytest.mark.slow
def test_default_verification_refuses_a_private_ca(
    https_server: ReferenceServer, tmp_path: Path
) -> None:
    done = _scimcheck("run", https_server.base_url, "--report-dir", "out", cwd=tmp_path)
    assert done.returncode == exitcodes.TARGET_UNAVAILABLE, done.stdout + done.stderr
    line = _one_line(done.stderr)
    assert "certificate" in line and "not trusted" in line and "--ca-bundle" in line
    assert "Traceback" not in done.stdout + done.stderr


@pytest.mark.slow
def test_ca_bundle_passes_the_preflight_and_the_run(
    https_server: ReferenceServer, ca_pem: str, tmp_path: Path
) -> None:
    done = _scimcheck(
        "run", https_server.base_url, "--report-dir", "out", "--ca-bundle", ca_pem, "--examples",
        "0", *SMALL, cwd=tmp_path,
    )
    assert done.returncode == exitcodes.OK, done.stdout + done.stderr
    document = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    assert schemas.validate("results", document) == []
    assert document["tls"] == {"insecure": False, "ca_bundle": ca_pem}
    assert _tls12(document)["outcome"] == "passed"
    assert WARNING not in done.stdout + done.stderr


@pytest.mark.slow
def test_insecure_works_warns_once_and_is_recorded(
    https_server: ReferenceServer, tmp_path: Path
) -> None:
    done = _scimcheck(
        "run", https_server.base_url, "--report-dir", "out", "--insecure", *SMALL, cwd=tmp_path,
    )
    output = done.stdout + done.stderr
    assert done.returncode == exitcodes.OK, output
    assert output.count(WARNING) == 1
    assert f"scimcheck: {WARNING} (--insecure)" in done.stderr
    assert "InsecureRequestWarning" not in output
    document = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    assert schemas.validate("results", document) == []
    assert document["tls"] == {"insecure": True, "ca_bundle": None}
    assert "verification was OFF" in done.stdout
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "verification was OFF" in html


@pytest.mark.slow
def test_scim_insecure_environment_variable_works(
    https_server: ReferenceServer, tmp_path: Path
) -> None:
    done = _scimcheck(
        "cleanup", https_server.base_url, "--all", "--dry-run", cwd=tmp_path,
        env={"SCIM_INSECURE": "1"},
    )
    assert done.returncode == exitcodes.OK, done.stdout + done.stderr
    assert f"{WARNING} (SCIM_INSECURE=1)" in done.stderr
    assert "InsecureRequestWarning" not in done.stdout + done.stderr


@pytest.mark.slow
def test_cleanup_uses_the_ca_bundle(
    https_server: ReferenceServer, ca_pem: str, tmp_path: Path
) -> None:
    refused = _scimcheck("cleanup", https_server.base_url, "--all", cwd=tmp_path)
    assert refused.returncode == exitcodes.TARGET_UNAVAILABLE, refused.stdout + refused.stderr
    done = _scimcheck(
        "cleanup", https_server.base_url, "--all", "--ca-bundle", ca_pem, cwd=tmp_path
    )
    assert done.returncode == exitcodes.OK, done.stdout + done.stderr
    assert "nothing left" in done.stdout


@pytest.mark.slow
@pytest.mark.parametrize("command", ["run", "replay", "cleanup"])
@pytest.mark.parametrize(
    ("flags", "env", "needle"),
    [
        (["--ca-bundle", "missing.pem"], {}, "--ca-bundle 'missing.pem': no such file"),
        (["--ca-bundle", "PEM", "--insecure"], {}, "contradict"),
        ([], {"SCIM_CA_BUNDLE": "missing.pem"}, "SCIM_CA_BUNDLE 'missing.pem'"),
    ],
)
def test_a_bad_tls_setting_is_a_usage_error(
    command: str, flags: list[str], env: dict[str, str], needle: str,
    https_server: ReferenceServer, ca_pem: str, tmp_path: Path,
) -> None:
    url = https_server.base_url
    head = {
        "run": ["run", url, "--report-dir", "out"],
        "replay": ["replay", str(Path(__file__).parents[2] / "fixtures" / "sequences"
                                 / "test-connection.yaml"), url, "--report-dir", "out"],
        "cleanup": ["cleanup", url, "--all"],
    }[command]
    given = [ca_pem if flag == "PEM" else flag for flag in flags]
    done = _scimcheck(*head, *given, cwd=tmp_path, env=env)
    assert done.returncode == exitcodes.USAGE, done.stdout + done.stderr
    line = _one_line(done.stderr)
    assert line.startswith("scimcheck: ") and needle in line
    assert "Traceback" not in done.stdout + done.stderr
