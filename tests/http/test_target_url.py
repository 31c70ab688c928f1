"""``scimcheck.http.target_url``, the one definition of a SCIM base URL the user gave, over
arbitrary strings: it accepts only what the transport can use (RFC 3986 §3.2: a host and a
port in range), and a refusal is one line that repeats neither a password nor a query value."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scimcheck.core.errors import ConfigError
from scimcheck.http import target_url

SECRET = "Zq7-secret-Zq7"
PROPERTY = settings(max_examples=400, database=None, suppress_health_check=list(HealthCheck))

PIECES = st.sampled_from([
    "http://", "https://", "ftp://", "://", "[", "]", "::1", ":", "@", "/", "?", "#", "=", "&",
    "%25", "127.0.0.1", "host.example", "99999", "0", "8080", " ", "\n", "\x1b", "\u202e",
    "scim", "v2", "token", "user", "ö", ".", "..", "a" * 64,
])


@PROPERTY
@given(st.lists(PIECES | st.text(max_size=4), max_size=12).map("".join))
def test_accepted_urls_are_usable_and_refusals_are_one_line(url: str) -> None:
    try:
        accepted = target_url.check(url)
    except ConfigError as refused:
        message = str(refused)
        assert message.startswith("URL ") and "\n" not in message and "\x1b" not in message
        return
    parts = urlsplit(accepted)  # neither raises (today's tracebacks: [::1, port 99999)
    assert parts.scheme.lower() in ("http", "https") and parts.hostname
    assert parts.port is None or 1 <= parts.port <= 65535
    assert not parts.username and not parts.password and not parts.query
    assert not parts.fragment and not any(c.isspace() for c in accepted)
    if ":" not in parts.hostname:  # a name or an IPv4 address (RFC 1035 §2.3.4)
        labels = parts.hostname.encode("idna").rstrip(b".").split(b".")
        assert all(1 <= len(label) <= 63 for label in labels)


@PROPERTY
@given(
    before=st.text(max_size=20), host=st.text(max_size=20), path=st.text(max_size=20),
    name=st.sampled_from(["access_token", "client_secret", "sig", "code", "x", "api-key"]),
)
def test_a_refusal_never_repeats_a_password_or_query_value(
    before: str, host: str, path: str, name: str
) -> None:
    for url in (f"https://{before}:{SECRET}@{host}/{path}",
                f"https://{host}/{path}?{name}={SECRET}",
                f"https://{host}/{path}?a=1&{name}={SECRET}#frag"):
        with pytest.raises(ConfigError) as refused:
            target_url.check(url)
        assert SECRET not in str(refused.value)


@pytest.mark.parametrize("url", [
    "https://app.example.com/scim/v2", "http://127.0.0.1:8080/scim/v2", "http://[::1]:8080/scim",
    "HTTPS://App.Example.com", "http://bücher.example/scim", "http://[fe80::1%25eth0]:80/",
    "http://localhost:65535/", "http://localhost:1/x/y/z/",
])
def test_ordinary_base_urls_are_accepted(url: str) -> None:
    assert target_url.check(url) == url
