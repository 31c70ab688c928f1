"""The token never appears in any artifact of a run, in any form (issue 6 §5, issue 13 §4).

Failing full runs, the token passed both ways (``--token`` and ``SCIM_TOKEN``), against an
endpoint that echoes it back in every answer and one whose generated-user properties fail (so
shrunk examples, failure records and curl scripts are written), every exchange printed
(``--scim-verbose``), pytest's debug log on; then ``replay`` and ``cleanup`` of the same target.
Every byte of terminal output and every file written is searched for the token.

Then a hostile endpoint (tests/support/hostile.py) that gives the token away through every
channel an answer has: the reason phrase, a header name, JSON with escaped slashes and ``\\uXXXX``
escapes, a URL-encoded link, Base64 (a Basic header, a blob), and a malformed status line that
the HTTP client quotes in its exception. Every output is searched byte for byte for the token in
each form (:func:`forms`, defined here, independently of scimcheck's matcher), with a long
token and a 5-character one. And server-chosen text never reaches the terminal raw: no ESC, CR
or backspace of the endpoint's in what ``run`` or ``cleanup`` print.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest

from scimcheck.checks import registry as checks
from scimcheck.core import exitcodes
from scimcheck.http.transport import Transport, TransportConfig
from scimcheck.report.transcript import render_exchange
from scimcheck.server import ReferenceServer
from support.hostile import LEAK_CHANNELS, HostileServer

TOKEN = "tok-S3CRET-41f0c9e2-never-printed"


def _scimcheck(
    *args: str, use_flag: bool = False, token: str = TOKEN
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SCIM_TOKEN"}
    if use_flag:
        args = (*args[:2], "--token", token, *args[2:])
    else:
        env["SCIM_TOKEN"] = token
    return subprocess.run(
        [sys.executable, "-m", "scimcheck", *args], capture_output=True, text=True, env=env,
        timeout=600, check=False,
    )


def _every_file(root: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in root.rglob("*") if path.is_file()}


@pytest.mark.slow
@pytest.mark.parametrize(("variant", "use_flag"), [("echoes-token", True),
                                                   ("trims-spaces", False)])
def test_no_artifact_of_a_failing_run_holds_the_token(
    variant: str, use_flag: bool, tmp_path: Path
) -> None:
    reports = tmp_path / "reports"
    outputs: list[str] = []
    with ReferenceServer(token=TOKEN, variant=variant) as server:
        run = _scimcheck(
            "run", server.base_url, "--report-dir", str(reports), "--examples", "15",
            "--seed", "20261126", "--", "--scim-verbose", "-rA",
            f"--log-file={reports / 'pytest.log'}", "--log-file-level=DEBUG",
            use_flag=use_flag,
        )
        outputs += [run.stdout, run.stderr]
        records = sorted((reports / "repro").glob("*.json"))
        assert records, "a failing run wrote no failure record"
        replay = _scimcheck("replay", str(records[0]), server.base_url,
                            "--report-dir", str(tmp_path / "replay"))
        cleanup = _scimcheck("cleanup", server.base_url, "--all", "--dry-run")
        outputs += [replay.stdout, replay.stderr, cleanup.stdout, cleanup.stderr]
    assert run.returncode in (exitcodes.OK, exitcodes.CHECKS_FAILED), run.stdout[-3000:]
    assert replay.returncode == exitcodes.CHECKS_FAILED, replay.stdout[-3000:]
    files = _every_file(tmp_path)
    kinds = {path.suffix for path in files}
    assert {".html", ".xml", ".json", ".sh", ".log"} <= kinds, kinds
    leaks = [str(path) for path, data in files.items() if TOKEN.encode() in data]
    leaks += [f"terminal output #{n}" for n, text in enumerate(outputs) if TOKEN in text]
    assert leaks == []
    # not vacuous: the transcripts are in there, with the token shown redacted
    everything = b"".join(files.values()).decode("utf-8", "replace") + "".join(outputs)
    assert "Bearer <redacted>" in everything
    assert "$SCIM_TOKEN" in everything  # the curl scripts read it from the environment
    if variant == "echoes-token":
        assert "auth.token-not-echoed" in run.stdout


# --- every form, every channel (issue 13 §4) ---------------------------------------------------

LONG_TOKEN = "tok/S3CRET+41f0c9e2_never-printed"
"""A token with the characters encodings change: "/" (escaped as \\/ by some JSON writers,
%2F in a URL) and "+" (%2B; a space's stand-in in a query)."""
SHORT_TOKEN = "q/7+Z"


def forms(token: str) -> set[str]:
    """The token as an output may hold it: raw; JSON-escaped (with and without escaped slashes,
    every character as \\uXXXX in either case); URL-encoded (either hex case, + for space);
    Base64 (standard and URL-safe, padded or not, alone and embedded at any byte alignment,
    as in ``Basic base64(user:token)``)."""
    found = {token, json.dumps(token)[1:-1], json.dumps(token)[1:-1].replace("/", "\\/")}
    found |= {"".join(f"\\u{ord(c):04x}" for c in token),
              "".join(f"\\u{ord(c):04X}" for c in token)}
    encoded = quote(token, safe="")
    found |= {encoded, re.sub("%[0-9A-F]{2}", lambda m: m[0].lower(), encoded),
              quote_plus(token), quote(token)}
    data = token.encode()
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        whole = encode(data).decode()
        found |= {whole, whole.rstrip("=")}
        for offset in range(3):  # the characters the token alone decides inside a longer blob
            blob = encode(b"\0" * offset + data + b"\0\0\0").decode()
            found.add(blob[-(-offset * 8 // 6):(offset + len(data)) * 8 // 6])
    return {f for f in found if len(f) >= 5}


def _leaks(token: str, files: dict[Path, bytes], terminal: list[str]) -> list[str]:
    """Where a form of the token appears: ``file: form`` lines."""
    leaks = []
    for form in sorted(forms(token)):
        leaks += [f"{path.name}: {form}" for path, data in files.items() if form.encode() in data]
        leaks += [f"terminal #{n}: {form}" for n, text in enumerate(terminal) if form in text]
    return leaks


@pytest.mark.parametrize("channel", LEAK_CHANNELS)
def test_the_transport_sees_and_redacts_each_leak_channel(channel: str) -> None:
    """Each channel is judged an echo (auth.token-not-echoed's evidence) and recorded without
    any form of the token."""
    with (ReferenceServer(token=LONG_TOKEN) as inner,
          HostileServer(f"leaks-token-{channel}", inner=inner.base_url.split("/scim")[0]) as h,
          Transport(TransportConfig(h.base_url, LONG_TOKEN, timeout_s=10, max_retries=0)) as t):
        answer = t.send("GET", "/Users", params={"count": "1"})
    shown = render_exchange(answer) + json.dumps(answer.to_dict())
    assert answer.status == 200, answer.summary()
    assert answer.token_echoed
    assert [f for f in forms(LONG_TOKEN) if f in shown] == []
    assert "<redacted>" in shown


@pytest.mark.slow
@pytest.mark.parametrize("token", [LONG_TOKEN, SHORT_TOKEN], ids=["long", "short"])
def test_no_output_holds_the_token_in_any_form(token: str, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    with (ReferenceServer(token=token, variant="echoes-token") as inner,
          HostileServer("leaks-token-everywhere", inner=inner.base_url.split("/scim")[0]) as h):
        run = _scimcheck(
            "run", h.base_url, "--report-dir", str(reports), "--examples", "3", "--seed", "7",
            "--", "--scim-verbose", "-rA", f"--log-file={reports / 'pytest.log'}",
            "--log-file-level=DEBUG", token=token,
        )
        records = sorted((reports / "repro").glob("*.json"))
        terminal = [run.stdout, run.stderr]
        for record in records[:1]:
            replay = _scimcheck("replay", str(record), h.base_url,
                                "--report-dir", str(tmp_path / "replay"), token=token)
            terminal += [replay.stdout, replay.stderr]
        cleanup = _scimcheck("cleanup", h.base_url, "--all", "--dry-run", token=token)
        terminal += [cleanup.stdout, cleanup.stderr]
        hostile_answers = h.hostile_answers
    assert run.returncode in (exitcodes.OK, exitcodes.CHECKS_FAILED), run.stdout[-3000:]
    assert hostile_answers > 20
    files = _every_file(tmp_path)
    leaks = _leaks(token, files, terminal)
    assert leaks == [], "\n".join(leaks)
    assert records, "a failing run wrote no failure record"
    assert {".html", ".xml", ".json", ".sh", ".log"} <= {path.suffix for path in files}
    assert "auth.token-not-echoed" in run.stdout
    assert "<redacted>" in run.stdout  # not vacuous: the leaks were printed, redacted
    if len(token) < 8:
        assert "is only 5 character(s) long" in run.stderr


@pytest.mark.parametrize("token", [LONG_TOKEN, SHORT_TOKEN], ids=["long", "short"])
def test_a_token_quoted_from_a_malformed_status_line_reaches_no_report(
    token: str, tmp_path: Path
) -> None:
    """The preflight meets the malformed status line: exit 3, the one line on stderr and the
    three reports say why, none of them with the token."""
    reports = tmp_path / "reports"
    with HostileServer("leaks-token-status-line") as server:
        run = _scimcheck("run", server.base_url, "--report-dir", str(reports), token=token)
    assert run.returncode == exitcodes.TARGET_UNAVAILABLE, run.stderr
    files = _every_file(tmp_path)
    assert {p.name for p in files} >= {"results.json", "junit.xml", "report.html"}
    leaks = _leaks(token, files, [run.stdout, run.stderr])
    assert leaks == [], "\n".join(leaks)
    assert "2OO Bearer <redacted>" in run.stderr  # the diagnosis still quotes the answer
    assert "<redacted>" in files[reports / "results.json"].decode()


ESC, CR, BACKSPACE = "\x1b", "\r", "\x08"


def test_server_text_cannot_take_over_the_terminal_of_a_run(tmp_path: Path) -> None:
    """userNames, error details and reason phrases with ANSI escapes, CR, backspace and a bidi
    override are printed escaped (``\\x1b[2J``), so the endpoint cannot clear the screen,
    rewrite a line or forge a green one."""
    with (ReferenceServer(token=TOKEN) as inner,
          HostileServer("terminal-tricks", inner=inner.base_url.split("/scim")[0]) as server):
        run = _scimcheck("run", server.base_url, "--report-dir", str(tmp_path), "--examples",
                         "0", "--", "--scim-verbose", "-rA", "-k", "create")
    assert run.returncode in (exitcodes.OK, exitcodes.CHECKS_FAILED), run.stdout[-3000:]
    printed = run.stdout + run.stderr
    for control in (ESC, CR, BACKSPACE, "\u202e"):
        assert control not in printed, repr(control)
    assert "\\x1b[2J" in printed  # not vacuous: the endpoint's text was printed, escaped


def test_server_text_cannot_take_over_the_terminal_of_a_cleanup() -> None:
    with HostileServer("tagged-leftovers") as server:
        listing = _scimcheck("cleanup", server.base_url, "--all", "--dry-run")
    assert listing.returncode == exitcodes.OK, listing.stderr
    printed = listing.stdout + listing.stderr
    for control in (ESC, CR, BACKSPACE, "\u202e"):
        assert control not in printed, repr(control)
    assert "scimcheck-0badc0de-\\x1b[2J" in listing.stdout
    assert len(listing.stdout.splitlines()) == 2  # the heading and one leftover, one line each


@pytest.mark.parametrize("token", ["tok", "tok-long-enough"])
def test_a_short_token_inside_a_word_is_chance_not_an_echo(token: str, run_suites: Any) -> None:
    """A 3-letter token is in the word 'oauthbearertoken' of every ServiceProviderConfig: that
    is chance, not an echo. Before, such a run failed auth.token-not-echoed (a false alarm); an
    echo standing apart is still found (test_no_output_holds_the_token_in_any_form[short])."""
    with ReferenceServer(host="127.0.0.1", port=0, token=token) as server:
        document = run_suites(server.base_url, "-k", "discovery or test-connection",
                              token=token)
    # by position: a 3-letter token is redacted everywhere, even in this check's id
    position = [c.id for c in checks.all_checks()].index("auth.token-not-echoed")
    echo = document["checks"][position]
    assert echo["outcome"] == "passed", echo


# --- OAuth 2.0 client credentials (issue 17 §1) -------------------------------------------------

CLIENT_SECRET = "cs/S3CRET+0a7f-oauth-client-never-printed"
"""A client secret with the characters encodings change ("/" and "+")."""


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["echoes-token", "oauth-secret-ignored"])
def test_no_output_holds_an_access_token_or_the_client_secret(
    variant: str, tmp_path: Path,
) -> None:
    """OAuth runs that fail (an endpoint echoing the access token in every answer; a token
    endpoint issuing tokens for a wrong secret, whose answer is a failure's evidence), over two
    workers, verbose, with pytest's debug log; then replay and cleanup with the same client. No
    access token the token endpoint issued and not the client secret, in any form, anywhere."""
    from scimcheck.server.oauth import TokenIssuer

    reports = tmp_path / "reports"
    with ReferenceServer(token=TOKEN, variant=variant, oauth=True) as server:
        issuer = server.issuer
        assert isinstance(issuer, TokenIssuer)
        issuer.client_secret = CLIENT_SECRET
        oauth = ("--oauth-token-url", server.token_url, "--client-id", issuer.client_id)
        env = {**os.environ, "SCIM_CLIENT_SECRET": CLIENT_SECRET}
        env.pop("SCIM_TOKEN", None)

        def scimcheck(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([sys.executable, "-m", "scimcheck", *args],
                                  capture_output=True, text=True, env=env, timeout=600,
                                  check=False)

        run = scimcheck(
            "run", server.base_url, *oauth, "--report-dir", str(reports), "--examples", "3",
            "--seed", "7", "-n", "2", "--", "--scim-verbose", "-rA",
            f"--log-file={reports / 'pytest.log'}", "--log-file-level=DEBUG",
        )
        terminal = [run.stdout, run.stderr]
        records = sorted((reports / "repro").glob("*.json"))
        assert records, "a failing run wrote no failure record"
        replay = scimcheck("replay", str(records[0]), server.base_url, *oauth,
                           "--report-dir", str(tmp_path / "replay"))
        cleanup = scimcheck("cleanup", server.base_url, *oauth, "--all", "--dry-run")
        terminal += [replay.stdout, replay.stderr, cleanup.stdout, cleanup.stderr]
        issued = list(issuer._expiry)
    assert run.returncode in (exitcodes.OK, exitcodes.CHECKS_FAILED), run.stdout[-3000:]
    assert cleanup.returncode == exitcodes.OK, cleanup.stdout + cleanup.stderr
    assert len(issued) >= 3  # the run's, each worker's checks', replay's and cleanup's
    files = _every_file(tmp_path)
    assert {".html", ".xml", ".json", ".sh", ".log"} <= {path.suffix for path in files}
    leaks = [leak for secret in (CLIENT_SECRET, *issued)
             for leak in _leaks(secret, files, terminal)]
    assert leaks == [], "\n".join(leaks)
    everything = b"".join(files.values()).decode("utf-8", "replace") + "".join(terminal)
    assert "Bearer <redacted>" in everything  # not vacuous: the transcripts are in there
    expected = "auth.token-not-echoed" if variant == "echoes-token" else "auth.oauth.invalid-client"
    assert expected in run.stdout

# --- a secret header and a proxy password (issue 17 §2) -----------------------------------------

HEADER_SECRET = "gw/K3Y+9a1b7c5-never-printed"
PROXY_PASSWORD = "pr0xy/PA55+e7d1-never-printed"


class _EchoesTheKey:
    """WSGI middleware: every answer repeats the X-Api-Key it was sent, in a header and (for
    an error) in its body, as a careless gateway does."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.seen: set[str] = set()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        key = environ.get("HTTP_X_API_KEY", "")
        self.seen.add(key)

        def echoing(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            return start_response(status, [*headers, ("X-Echoed-Key", key)], *rest)

        return self.app(environ, echoing)


@pytest.mark.slow
def test_no_output_holds_a_secret_header_or_the_proxy_password(tmp_path: Path) -> None:
    """run (verbose, pytest's debug log), replay and cleanup through a proxy that wants a
    password, with a secret header the endpoint echoes: neither secret in any form in any file
    or terminal line."""
    from scimcheck.server.app import create_app
    from support.forward_proxy import forward_proxy

    reports = tmp_path / "reports"
    app = _EchoesTheKey(create_app(token=TOKEN, variant="echoes-token"))
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SCIM_")
               and k.upper() not in ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY")}
    environ.update(SCIM_TOKEN=TOKEN, GATEWAY_KEY=HEADER_SECRET)

    def scimcheck(command: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "scimcheck", command, "--proxy", proxy_url,
             "--secret-header", "X-Api-Key=GATEWAY_KEY", *args],
            capture_output=True, text=True, env=environ, timeout=600, check=False,
        )

    with ReferenceServer(token=TOKEN, app=app) as server, \
            forward_proxy(credentials=f"alice:{PROXY_PASSWORD}") as (proxy, seen):
        proxy_url = proxy.replace("http://", f"http://alice:{quote(PROXY_PASSWORD, safe='')}@")
        run = scimcheck("run", server.base_url, "--report-dir", str(reports), "--examples", "3",
                        "--seed", "11", "--", "--scim-verbose", "-rA",
                        f"--log-file={reports / 'pytest.log'}", "--log-file-level=DEBUG")
        records = sorted((reports / "repro").glob("*.json"))
        terminal = [run.stdout, run.stderr]
        for record in records[:1]:
            replay = scimcheck("replay", str(record), server.base_url,
                               "--report-dir", str(tmp_path / "replay"))
            terminal += [replay.stdout, replay.stderr]
        cleanup = scimcheck("cleanup", server.base_url, "--all", "--dry-run")
        terminal += [cleanup.stdout, cleanup.stderr]
    assert run.returncode in (exitcodes.OK, exitcodes.CHECKS_FAILED), run.stdout[-3000:]
    assert app.seen == {HEADER_SECRET} and len(seen.forwarded) > 100 and seen.refused == 0
    assert records, "a failing run wrote no failure record"
    files = _every_file(tmp_path)
    leaks = _leaks(HEADER_SECRET, files, terminal) + _leaks(PROXY_PASSWORD, files, terminal)
    assert leaks == [], "\n".join(leaks)
    everything = b"".join(files.values()).decode("utf-8", "replace") + "".join(terminal)
    assert "X-Api-Key: <redacted>" in everything or '"X-Api-Key": "<redacted>"' in everything
