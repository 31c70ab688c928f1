"""TLS: which certificates a run trusts (``--ca-bundle``, ``--insecure``) and Entra's TLS 1.2 probe.

Entra reaches an endpoint over HTTPS only, with TLS 1.2 and a short list of ECDHE cipher suites:
"The only acceptable protocol version is TLS 1.2. No other SSL/TLS version is permitted"
(docs/entra.md §2 "Security requirements", from S1; S4: the channel is "HTTPS TLS 1.2").
:func:`probe_tls12` makes that handshake and says in one line why it failed; the
``transport.tls12`` check (suites/test_transport_security.py) judges it.

Certificate verification is on by default (the CA list requests uses); ``--ca-bundle PATH``
trusts a private CA instead, ``--insecure`` turns verification off, loudly. Every request of a
run, the preflight, cleanup and the probe use the same setting (a ``Verify`` value: ``True``,
a CA bundle path, or ``False``).
"""

from __future__ import annotations

import base64
import re
import socket
import ssl
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from scimcheck.core.errors import ConfigError, ProxyRefused

CA_BUNDLE_ENV = "SCIM_CA_BUNDLE"
INSECURE_ENV = "SCIM_INSECURE"
HANDSHAKE_TIMEOUT_S = 15.0
INSECURE_WARNING_FILTER = "ignore::urllib3.exceptions.InsecureRequestWarning"
"""A pytest ``filterwarnings`` line: one warning from scimcheck instead of one per request."""

Verify = bool | str
"""``True``: the default CA list; a path: that CA bundle; ``False``: no verification."""

ENTRA_CIPHERS = (
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-AES128-SHA256",
    "ECDHE-ECDSA-AES256-SHA384",
    "ECDHE-RSA-AES128-SHA256",
    "ECDHE-RSA-AES256-SHA384",
)
"""Entra's TLS 1.2 cipher suites "minimum bar" (docs/entra.md §2), in OpenSSL's names."""

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def check_ca_bundle(path: str, name: str = "--ca-bundle") -> str:
    """The absolute path of a readable PEM CA bundle; ``ConfigError`` naming the fix if not."""
    file = Path(path).expanduser()
    fix = "pass the PEM file of the CA that signed the endpoint's certificate"
    if not file.exists():
        raise ConfigError(f"{name} {path!r}: no such file; {fix}")
    if file.is_dir():
        raise ConfigError(f"{name} {path!r} is a directory; {fix}")
    try:
        ssl.create_default_context(cafile=str(file))
    except ssl.SSLError:
        raise ConfigError(
            f"{name} {path!r} holds no PEM certificate; {fix} (-----BEGIN CERTIFICATE-----)"
        ) from None
    except OSError as exc:
        why = exc.strerror or exc
        raise ConfigError(f"{name} {path!r} cannot be read ({why}); {fix}") from None
    return str(file.resolve())


def verification(
    ca_bundle: str | None, insecure: bool, *, ca_name: str, insecure_name: str
) -> Verify:
    """The ``Verify`` value for one source of options; contradictions are a ``ConfigError``."""
    if ca_bundle and insecure:
        raise ConfigError(
            f"{ca_name} and {insecure_name} contradict each other (one verifies the certificate "
            "against that CA, the other does not verify at all); pass only one"
        )
    if insecure:
        return False
    return check_ca_bundle(ca_bundle, ca_name) if ca_bundle else True


def insecure_from_env(env: Mapping[str, str]) -> bool:
    """``SCIM_INSECURE``: 1/true/yes turn verification off; anything unknown is an error."""
    value = env.get(INSECURE_ENV, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{INSECURE_ENV}={env[INSECURE_ENV]!r} is not 1/true or 0/false")


def resolve(
    ca_bundle: str | None, insecure: bool | None, env: Mapping[str, str], *,
    ca_flag: str = "--ca-bundle", insecure_flag: str = "--insecure",
) -> Verify:
    """Command line > environment (``SCIM_CA_BUNDLE``, ``SCIM_INSECURE``) > verification on."""
    if ca_bundle or insecure:
        return verification(ca_bundle, bool(insecure), ca_name=ca_flag, insecure_name=insecure_flag)
    return verification(
        env.get(CA_BUNDLE_ENV) or None, insecure_from_env(env),
        ca_name=CA_BUNDLE_ENV, insecure_name=f"{INSECURE_ENV}=1",
    )


def insecure_warning(source: str = "--insecure") -> str:
    """The one loud line a run with verification off prints first."""
    return (
        f"scimcheck: WARNING: TLS certificate verification is OFF ({source}): the endpoint's "
        "identity is not checked and anyone on the path can read the bearer token; "
        "for a private CA use --ca-bundle PATH instead"
    )


def quiet_insecure_warnings() -> None:
    """Silence urllib3's InsecureRequestWarning (one per request) outside pytest; by its text,
    as only transport.py imports an HTTP client (tests/project/test_layout.py)."""
    warnings.filterwarnings("ignore", message="Unverified HTTPS request")


def client_context(verify: Verify) -> ssl.SSLContext:
    """A client context that trusts what the run's requests trust (requests uses certifi)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if verify is False:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif isinstance(verify, str):
        context.load_verify_locations(cafile=verify)
    else:
        try:
            import certifi
        except ImportError:  # pragma: no cover - requests depends on certifi
            context.load_default_certs()
        else:
            context.load_verify_locations(cafile=certifi.where())
    return context


@dataclass(frozen=True)
class Handshake:
    """What a TLS 1.2 handshake in Entra's terms gave: the version and cipher, or the problem."""

    host: str
    port: int
    version: str | None = None
    cipher: str | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        """The handshake completed with TLS 1.2."""
        return self.problem is None

    def summary(self) -> str:
        """One line for people."""
        if self.problem is not None:
            return self.problem
        return f"{self.host}:{self.port} negotiated {self.version} with {self.cipher}"


def _open(host: str, port: int, timeout_s: float, proxy: str | None) -> socket.socket:
    """A TCP connection to ``host:port``: directly, or through an ``http://`` proxy's CONNECT
    tunnel (RFC 9110 §9.3.6), as the run's requests go (``--proxy``, ``HTTPS_PROXY``)."""
    if not proxy:
        return socket.create_connection((host, port), timeout=timeout_s)
    parts = urlsplit(proxy)
    raw = socket.create_connection((parts.hostname or "", parts.port or 80), timeout=timeout_s)
    try:
        lines = [f"CONNECT {host}:{port} HTTP/1.1", f"Host: {host}:{port}"]
        if parts.username is not None:
            credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            lines.append("Proxy-Authorization: Basic "
                         + base64.b64encode(credentials.encode()).decode())
        raw.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        answer = b""
        while b"\r\n\r\n" not in answer and len(answer) < 16384:
            chunk = raw.recv(4096)
            if not chunk:
                break
            answer += chunk
        status = answer.split(b"\r\n", 1)[0].decode("latin-1", "replace")
        if not re.match(r"HTTP/1\.[01] 2\d\d", status):
            raise ProxyRefused(f"the proxy refused a tunnel to {host}:{port} ({status[:80]!r})")
    except BaseException:
        raw.close()
        raise
    return raw


def _handshake(
    host: str, port: int, context: ssl.SSLContext, timeout_s: float, proxy: str | None = None
) -> tuple[str, str]:
    with _open(host, port, timeout_s, proxy) as raw, \
            context.wrap_socket(raw, server_hostname=host) as tls:
        cipher = tls.cipher()
        return tls.version() or "?", cipher[0] if cipher else "?"


def _pinned(verify: Verify, version: ssl.TLSVersion, ciphers: str | None) -> ssl.SSLContext:
    context = client_context(verify)
    context.minimum_version = context.maximum_version = version
    if ciphers:
        context.set_ciphers(ciphers)
    return context


def _takes_tls13(host: str, port: int, timeout_s: float, proxy: str | None) -> bool:
    """Whether the server completes a TLS 1.3 handshake (certificate not checked: this only
    names what the server offers instead of TLS 1.2)."""
    try:
        _handshake(host, port, _pinned(False, ssl.TLSVersion.TLSv1_3, None), timeout_s, proxy)
    except (OSError, ValueError):
        return False
    return True


def probe_tls12(
    url: str, verify: Verify, timeout_s: float = HANDSHAKE_TIMEOUT_S, proxy: str | None = None
) -> Handshake:
    """Open a TCP connection to the URL's host and port (through ``proxy``'s CONNECT tunnel when
    the run sends through an ``http://`` proxy) and make the handshake Entra makes: TLS 1.2
    only, Entra's cipher suites, certificates checked as the run checks them."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or 443
    where = f"{host}:{port}"
    try:
        version, cipher = _handshake(
            host, port, _pinned(verify, ssl.TLSVersion.TLSv1_2, ":".join(ENTRA_CIPHERS)),
            timeout_s, proxy,
        )
        return Handshake(host, port, version, cipher)
    except ssl.SSLCertVerificationError as exc:
        problem = (
            f"the TLS certificate of {where} is not issued for {host!r} ({exc.verify_message})"
            if "mismatch" in str(exc.verify_message) else
            f"the TLS certificate of {where} is not trusted ({exc.verify_message}); pass "
            "--ca-bundle CA.pem for a private CA (Entra itself trusts public CAs only)"
        )
    except (ssl.SSLError, ConnectionResetError) as exc:
        problem = _diagnose(host, port, timeout_s, exc, proxy)
    except socket.gaierror:
        problem = f"cannot resolve the host name {host!r}; check the URL"
    except ProxyRefused as exc:
        problem = str(exc)
    except ConnectionRefusedError:
        problem = f"connection to {where} refused; is the server listening on that port?"
    except TimeoutError:
        problem = f"no TLS 1.2 handshake with {where} within {timeout_s:g} s; check the firewall"
    except OSError as exc:
        problem = f"connection to {where} failed ({exc.strerror or exc})"
    return Handshake(host, port, problem=problem)


def _diagnose(
    host: str, port: int, timeout_s: float, exc: OSError, proxy: str | None = None
) -> str:
    """Why Entra's handshake failed: TLS 1.2 refused, or no cipher suite in common."""
    where = f"{host}:{port}"
    reason = getattr(exc, "reason", None) or type(exc).__name__
    try:
        _, chosen = _handshake(
            host, port, _pinned(False, ssl.TLSVersion.TLSv1_2, None), timeout_s, proxy
        )
    except (OSError, ValueError):
        if _takes_tls13(host, port, timeout_s, proxy):
            return f"{where} refuses TLS 1.2 (it offers only TLS 1.3; {reason})"
        return f"the TLS 1.2 handshake with {where} failed ({reason}); check its TLS versions"
    return (
        f"{where} takes TLS 1.2 but none of Entra's cipher suites (ECDHE with AES-GCM or "
        f"AES-CBC-SHA256/384; {reason}); with other suites allowed it chose {chosen}"
    )
