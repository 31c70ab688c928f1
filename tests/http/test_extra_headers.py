"""--header, --secret-header and --proxy: what is accepted, what is refused in one line (exit 2
on the command line), and a secret header's value shown nowhere (docs/cli.md, "Proxies and
extra headers")."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from scimcheck.cli import main as cli
from scimcheck.core import exitcodes
from scimcheck.core.errors import ConfigError
from scimcheck.http import extra_headers, proxy_url
from scimcheck.http.extra_headers import ExtraHeader
from scimcheck.http.transport import Transport, TransportConfig
from scimcheck.settings import options

SECRET = "k3y-9f2e-never-shown"


def test_a_plain_and_a_secret_header_from_a_variable() -> None:
    headers = options.extra_headers(["X-Tenant:  contoso "], ["Ocp-Apim-Subscription-Key=GW"],
                                    {"GW": SECRET})
    assert headers == (ExtraHeader("X-Tenant", "contoso"),
                       ExtraHeader("Ocp-Apim-Subscription-Key", SECRET, secret=True))


def test_the_variables_hold_one_header_a_line_and_flags_win() -> None:
    environ = {"SCIM_HEADERS": "X-A: 1\n\nX-B: 2", "SCIM_SECRET_HEADERS": "X-C=KEY",
               "KEY": SECRET}
    assert [h.name for h in options.extra_headers(None, None, environ)] == ["X-A", "X-B", "X-C"]
    assert [h.name for h in options.extra_headers(["X-D: 4"], None, environ)] == ["X-D", "X-C"]


@pytest.mark.parametrize(("plain", "secret", "says"), [
    (["Authorization: Bearer x"], [], "sends Authorization itself"),
    (["content-type: text/plain"], [], "sends Content-Type itself"),
    (["HOST: evil"], [], "sends Host itself"),
    (["Transfer-Encoding: chunked"], [], "sends Transfer-Encoding itself"),
    (["no colon here"], [], "is not 'Name: value'"),
    (["Bad Name: v"], [], "is not a header name"),
    ([": v"], [], "the name is empty"),
    (["X-A: line\r\nX-Injected: 1"], [], "line break"),
    (["X-A: é€"], [], "cannot be sent in a header"),
    (["X-A: 1", "x-a: 2"], [], "given twice"),
    ([], ["X-K=UNSET_VARIABLE"], "UNSET_VARIABLE is not set"),
    ([], ["X-K=not a variable"], "neither 'Name: value' nor Name=VARIABLE"),
])
def test_bad_headers_are_one_line(plain: list[str], secret: list[str], says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        options.extra_headers(plain, secret, {})
    assert says in str(caught.value) and "\n" not in str(caught.value)


def test_a_bad_secret_header_never_repeats_its_value() -> None:
    for given in (f"X-K {SECRET}", f"X-K: {SECRET}\x07"):
        with pytest.raises(ConfigError) as caught:
            extra_headers.parse(given, "--secret-header", secret=True, environ={})
        assert SECRET not in str(caught.value)


@pytest.mark.parametrize(("url", "says"), [
    ("ftp://proxy:21", "starts with http:// or https://"),
    ("http://", "names no host"),
    ("http://proxy:3128/path", "has a path"),
    ("http://proxy:99999", "valid port"),
    ("http://pro xy:3128", "space or control character"),
])
def test_bad_proxies_are_one_line_without_the_password(url: str, says: str) -> None:
    url = url.replace("://", "://bob:hunter2-pw@") if "@" not in url and url != "http://" else url
    with pytest.raises(ConfigError) as caught:
        proxy_url.check(url)
    assert says in str(caught.value) and "hunter2-pw" not in str(caught.value)


def test_a_proxy_password_is_a_secret_in_its_forms() -> None:
    assert proxy_url.secrets("http://alice:p%2Fw%2B1@proxy:3128") == [
        "p%2Fw%2B1", "p/w+1", "alice:p/w+1"]
    assert proxy_url.secrets("http://proxy:3128") == []


@pytest.mark.parametrize("args", [
    ["--header", "Host: evil"],
    ["--secret-header", "X-K=SCIMCHECK_TEST_UNSET_VARIABLE"],
    ["--proxy", "socks5://proxy:1080"],
])
@pytest.mark.parametrize("command", ["run", "replay user-lifecycle", "cleanup", "load", "record"])
def test_every_command_that_talks_to_an_endpoint_refuses_bad_input_with_exit_2(
    command: str, args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    words = command.split()
    target = {"record": ["--upstream", "http://127.0.0.1:9/scim", "--out", "x.yaml"],
              "cleanup": ["http://127.0.0.1:9/scim", "--all"]}.get(words[0],
                                                                  ["http://127.0.0.1:9/scim"])
    assert cli.main([*words, *target, *args]) == exitcodes.USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("scimcheck: ")


# --- on the wire, and in the record -------------------------------------------------------------

class _Seen(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    headers_seen: list[dict[str, str]] = []

    def do_GET(self) -> None:
        _Seen.headers_seen.append(dict(self.headers))
        body = json.dumps({"detail": f"bad key {self.headers.get('X-Api-Key')}"}).encode()
        self.send_response(403)
        self.send_header("X-Echo", str(self.headers.get("X-Api-Key")))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    _Seen.headers_seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Seen)
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/scim/v2"
    httpd.shutdown()
    httpd.server_close()


def test_extra_headers_go_on_the_wire_and_a_secret_one_is_never_recorded(server: str) -> None:
    config = TransportConfig(server, "tok-0123456789abcdef", headers=(
        ExtraHeader("X-Tenant", "contoso"), ExtraHeader("X-Api-Key", SECRET, secret=True)))
    with Transport(config) as transport:
        exchange = transport.send("GET", "/Users")
    wire = {k.lower(): v for k, v in _Seen.headers_seen[0].items()}
    assert wire == {"host": wire["host"], "authorization": "Bearer tok-0123456789abcdef",
                    "x-tenant": "contoso", "x-api-key": SECRET}
    assert exchange.request_headers == {"X-Tenant": "contoso", "X-Api-Key": "<redacted>",
                                        "Authorization": "Bearer <redacted>"}
    recorded = json.dumps(exchange.to_dict())
    assert SECRET not in recorded and "<redacted>" in exchange.response_body
    assert exchange.response_headers["X-Echo"] == "<redacted>"
