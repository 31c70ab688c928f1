"""The one check of a proxy URL a person gave (``--proxy``, ``SCIM_PROXY``; docs/cli.md,
"Proxies").

A proxy is ``http://host:port`` or ``https://host:port`` (the scheme says how scimcheck talks to
the proxy; an ``https://`` target goes through it in a CONNECT tunnel, RFC 9110 §9.3.6). Unlike
the target URL it may carry ``user:password@`` (proxies ask for them, RFC 9110 §11.7): the
password, and the userinfo as sent in ``Proxy-Authorization``, are registered secrets
(:func:`secrets`), redacted from every output like the token. A bad proxy is a usage error whose
one line never repeats the password.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from scimcheck.core.errors import ConfigError

EXAMPLE = "http://proxy.example.com:3128"


def check(url: str, what: str = "--proxy") -> str:
    """``url`` unchanged when requests can send through it; else ``ConfigError``."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise ConfigError(f"{what} is not a URL with a valid port; pass e.g. {EXAMPLE}") from None
    shown = f"{parts.scheme}://{parts.hostname or ''}" + (f":{port}" if port else "")
    if parts.scheme not in ("http", "https"):
        raise ConfigError(f"{what} {shown!r}: a proxy URL starts with http:// or https:// "
                          f"(e.g. {EXAMPLE})")
    if not parts.hostname:
        raise ConfigError(f"{what} names no host; pass e.g. {EXAMPLE}")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigError(f"{what} {shown!r} has a path, query or fragment; a proxy is "
                          f"scheme://[user:password@]host:port (e.g. {EXAMPLE})")
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url.strip()):
        raise ConfigError(f"{what} contains a space or control character; pass e.g. {EXAMPLE}")
    return url.strip()


def secrets(url: str | None) -> list[str]:
    """What of a proxy URL must never be shown: its password, raw and percent-decoded, and
    ``user:password`` (Base64 of which is the ``Proxy-Authorization`` credential)."""
    if not url:
        return []
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return []
    if not parts.password:
        return []
    password = parts.password
    found = [password, unquote(password)]
    if parts.username:
        found.append(f"{unquote(parts.username)}:{unquote(password)}")
    return list(dict.fromkeys(found))
