"""Reading an answer off the wire under a size cap, and saying in one line what went wrong.

A hostile endpoint may pad its body without end, compress a bomb, drip bytes, break the
connection mid-body, send bytes that are not UTF-8 (RFC 8259 §8.1) or a malformed status line:
each becomes a bounded read or a one-line ``Exchange.error``, never a crash (docs/cli.md,
"Hostile answers"; docs/security.md).
"""

from __future__ import annotations

import http.client
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

import requests
import urllib3
import urllib3.exceptions


class _BodyBroken(Exception):
    """Reading the body failed part-way (the connection broke, or the encoding was garbled)."""


READ_FAILURES = (
    _BodyBroken, http.client.HTTPException, urllib3.exceptions.HTTPError, OSError, ValueError,
)
"""What reading a hostile answer can raise (cut-off sockets, malformed status lines, more than
100 headers, broken gzip…): each becomes a one-line ``Exchange.error``, never a crash."""


def read_capped(response: urllib3.BaseHTTPResponse, limit: int) -> tuple[bytes, str | None]:
    """The body, decompressed as it streams (urllib3 bounds each step, so a compression bomb
    costs at most the cap), and why it was cut at ``limit`` bytes if it was. The connection
    goes back to the pool when the whole body was read, and is closed otherwise."""
    chunks: list[bytes] = []
    size = 0
    complete = False
    try:
        for chunk in response.stream(65536, decode_content=True):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                coding = response.headers.get("Content-Encoding")
                unpacked = f" once {coding}-decoded" if coding else ""
                return b"".join(chunks)[:limit], (
                    f"the body is larger than {limit // (1024 * 1024)} MiB{unpacked}; "
                    "scimcheck read that much and cut it off"
                )
        complete = True
    except (urllib3.exceptions.ProtocolError, urllib3.exceptions.DecodeError) as exc:
        raise _BodyBroken(str(exc)) from exc
    finally:
        if not complete:
            response.close()
        response.release_conn()
    return b"".join(chunks), None


_CHARSET = re.compile(r"""charset\s*=\s*["']?(?P<name>[^"';\s]+)""", re.IGNORECASE)


def declared_charset(headers: Mapping[str, str]) -> str | None:
    """The charset a Content-Type names (``text/*`` without one is ISO-8859-1, RFC 2616 §3.7.1,
    as requests read it)."""
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    match = _CHARSET.search(content_type)
    if match:
        return match["name"]
    return "ISO-8859-1" if content_type.lower().startswith("text/") else None


def decode_body(raw: bytes, declared: str | None) -> tuple[str, str | None]:
    """The body as text, and a note when its bytes are not valid UTF-8, which every JSON body
    must be (RFC 8259 §8.1) whatever charset it claims. Such a body is shown decoded with the
    declared charset when there is one, else with U+FFFD for the bad bytes."""
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        note = (f"the body is not valid UTF-8 (byte 0x{raw[exc.start : exc.start + 1].hex()} "
                f"at offset {exc.start})")
    if declared:
        try:
            return raw.decode(declared), note
        except (LookupError, UnicodeDecodeError):
            pass
    return raw.decode("utf-8", errors="replace"), note


def describe_overrun(url: str, seconds: float) -> str:
    """One line for an answer still arriving at its deadline (a slow drip of bytes)."""
    host = urlsplit(url).netloc or url
    return (
        f"{host} was still sending its answer after {seconds:g} s (a slow drip of bytes); "
        "scimcheck gave up, as Entra does after 60 s"
    )


def _underlying(exc: BaseException) -> BaseException:
    """The urllib3 or socket error under requests' wrapping (``ConnectionError(MaxRetryError(
    reason))``), which says what happened."""
    while isinstance(exc, requests.RequestException) and exc.args and isinstance(
        exc.args[0], BaseException
    ):
        exc = exc.args[0]
    if isinstance(exc, urllib3.exceptions.MaxRetryError) and exc.reason is not None:
        exc = exc.reason
    return exc


def timed_out(exc: BaseException) -> bool:
    """A connect or read timeout (a refused connection is not one, though urllib3's class tree
    puts it under connect timeouts)."""
    exc = _underlying(exc)
    return isinstance(exc, urllib3.exceptions.TimeoutError) and not isinstance(
        exc, urllib3.exceptions.NewConnectionError
    )


def describe_network_error(exc: BaseException, url: str) -> str:
    """One line saying what failed on the network and the one thing to check."""
    host = urlsplit(url).netloc or url
    exc = _underlying(exc)
    text = str(exc)
    if isinstance(exc, urllib3.exceptions.ProxyError):
        return _describe_proxy(exc, host)
    if isinstance(exc, urllib3.exceptions.SSLError):
        return _describe_tls(text, host)
    if isinstance(exc, urllib3.exceptions.ConnectTimeoutError) and not isinstance(
        exc, urllib3.exceptions.NewConnectionError  # a refusal, in urllib3's class tree
    ):
        return f"connecting to {host} timed out; check the host, port and firewall"
    if isinstance(exc, urllib3.exceptions.ReadTimeoutError):
        return f"{host} sent no answer within the timeout (Entra gives up after 60 s)"
    cut = _INCOMPLETE.search(text)
    if cut:
        return (f"the answer from {host} was cut off: the connection closed after "
                f"{cut['got']} of {int(cut['got']) + int(cut['more'])} body bytes")
    if isinstance(exc, _BodyBroken) or "InvalidChunkLength" in text:
        return f"the answer from {host} was cut off or garbled mid-body ({_short(text, 80)})"
    if "reset by peer" in text.lower():
        return f"{host} reset the connection (ECONNRESET) before its answer was complete"
    if "RemoteDisconnected" in text or "without response" in text:
        return f"{host} closed the connection without answering"
    if isinstance(exc, urllib3.exceptions.NewConnectionError | urllib3.exceptions.ProtocolError):
        if "Name or service not known" in text or "getaddrinfo" in text:
            return f"cannot resolve the host name {urlsplit(url).hostname!r}; check the URL"
        if "refused" in text.lower():
            return f"connection to {host} refused; is the SCIM server running on that port?"
        return f"connection to {host} failed ({_short(text)})"
    if isinstance(exc, urllib3.exceptions.LocationValueError):
        return f"invalid URL {url!r}; use http(s)://host[:port]/base-path"
    return f"request to {host} failed: {_short(text)}"


def _describe_proxy(exc: urllib3.exceptions.ProxyError, host: str) -> str:
    """One line for a proxy that could not be reached or would not open a tunnel (its
    credentials are registered secrets: the line is redacted like every other)."""
    cause = _short(str(getattr(exc, "original_error", None) or exc))
    if "refused" in cause.lower():
        return (f"the proxy refused the connection ({cause}); check --proxy or "
                "HTTPS_PROXY/HTTP_PROXY, or exempt the host with NO_PROXY")
    return f"the proxy could not forward the request to {host} ({cause})"


_INCOMPLETE = re.compile(r"IncompleteRead\((?P<got>\d+) bytes read, (?P<more>\d+) more expected")
_SSL_REASON = re.compile(r"\[SSL: (?P<code>[A-Z_]+)\] (?P<detail>[^(]+?)\s*\(")


def _describe_tls(text: str, host: str) -> str:
    """One line for a failed TLS handshake; an untrusted certificate names the two ways out
    (``--ca-bundle`` for a private CA, ``--insecure`` for a throwaway test server)."""
    match = _SSL_REASON.search(text)
    code, detail = (match["code"], match["detail"].strip()) if match else ("", _short(text))
    if code == "WRONG_VERSION_NUMBER":
        return f"{host} does not speak TLS on that port; is the URL http:// rather than https://?"
    if code == "CERTIFICATE_VERIFY_FAILED" and "mismatch" in detail:
        return (f"the TLS certificate of {host} is not issued for that host ({detail}); use "
                "the host name the certificate names in the URL")
    if code == "CERTIFICATE_VERIFY_FAILED":
        return (f"the TLS certificate of {host} is not trusted ({detail}); if a private CA "
                "signed it, pass --ca-bundle CA.pem (or SCIM_CA_BUNDLE), else fix its chain; "
                "--insecure skips verification (test servers only)")
    return f"TLS handshake with {host} failed ({detail}); check the server's TLS setup"


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"

