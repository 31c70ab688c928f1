"""The one definition of a SCIM base URL the user gave (``run``/``replay``/``cleanup``/``load``
URL, ``SCIM_URL``, ``record --upstream``, ``--scim-url``).

A base URL is ``http(s)://host[:port][/path]`` (RFC 7644 §1.3): resource paths such as
``/Users`` are appended to it (RFC 7644 §3.2), so it has no query and no fragment. It never
carries credentials: a URL is printed, logged and written into every report, so a password in
its userinfo (RFC 3986 §3.2.1 deprecates them) or a secret in its query would leak; the bearer
token goes in ``SCIM_TOKEN``. A bad URL is a usage error (exit 2) whose message never repeats
a password or a query value.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata

from scimcheck import TOKEN_ENV
from scimcheck.core.errors import ConfigError

EXAMPLE = "https://host/scim/v2"

SECRET_WORDS = (
    "token", "secret", "password", "passwd", "pwd", "key", "sig", "code", "auth", "credential",
    "session", "jwt", "bearer", "assertion", "apikey",
)
"""Query parameter names (substrings, case-insensitive) that look like they carry a secret:
``access_token``, ``client_secret``, ``api-key``, ``sig`` (a SAS signature), ``code`` …"""

_HOST_CHARS = re.compile(r"[A-Za-z0-9._~-]+")
"""A host name or IPv4 address as an ASCII label (non-ASCII letters are allowed separately:
internationalised names are IDNA-encoded on the wire)."""

_MAX_SHOWN = 120


def check(url: str, what: str = "URL") -> str:
    """``url`` unchanged when it is a usable SCIM base URL; else ``ConfigError`` with one line
    saying what is wrong and what to pass. ``what`` names where it came from (``URL``,
    ``SCIM_URL``, ``--upstream``)."""
    problem = _problem(url)
    if problem is None:
        return url
    raise ConfigError(f"{what} {shown(url)} {problem}")


def shown(url: str) -> str:
    """``url`` safe to print: anything up to an ``@`` (userinfo), the query and the fragment
    replaced by ``***``, control and invisible characters escaped (``repr``), and cut to a
    readable length."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    cut = min((at for at in (rest.find("?"), rest.find("#")) if at != -1), default=len(rest))
    before, after = rest[:cut], rest[cut:]
    if "@" in before:
        before = "***@" + before.rpartition("@")[2]
    text = f"{scheme}{sep}{before}{after[:1] + '***' if after else ''}"
    if len(text) > _MAX_SHOWN:
        text = text[:_MAX_SHOWN] + "…"
    return repr(text)


def _split_authority(rest: str) -> tuple[str, str]:
    """``host[:port]`` (with any userinfo) and what follows it (path, query, fragment)."""
    end = len(rest)
    for mark in "/?#":
        at = rest.find(mark)
        if at != -1:
            end = min(end, at)
    return rest[:end], rest[end:]


def _problem(url: str) -> str | None:
    """What makes ``url`` unusable (the rest of the message after the URL), or ``None``."""
    if not url.strip():
        return f"is empty; pass the SCIM base URL, e.g. {EXAMPLE}"
    for index, char in enumerate(url):
        if char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
            return (f"contains a space or control character at position {index + 1}; "
                    f"pass the URL without it, e.g. {EXAMPLE}")
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in ("http", "https"):
        return f"is not an http(s) URL; pass e.g. {EXAMPLE}"
    authority, tail = _split_authority(rest)
    if "@" in rest.split("?", 1)[0].split("#", 1)[0]:  # userinfo, even with a '/' in it
        return (f"carries a user name or password; scimcheck never sends credentials in a URL "
                f"(URLs are printed and written to the reports): remove them and set "
                f"{TOKEN_ENV} to the bearer token")
    if "#" in tail:
        return ("has a fragment (#…), which is never sent to a server; "
                "remove it and pass the SCIM base URL only")
    if "?" in tail:
        query = tail.partition("?")[2]
        names = [part.partition("=")[0].lower() for part in query.split("&")]
        if any(word in name for name in names for word in SECRET_WORDS):
            return (f"carries what looks like a secret in its query; scimcheck never sends "
                    f"credentials in a URL (URLs are printed and written to the reports): "
                    f"remove the query and set {TOKEN_ENV} to the bearer token")
        return ("has a query (?…); a SCIM base URL takes none, since resource paths such as "
                "/Users are appended to it (RFC 7644 §3.2): remove it")
    return _authority_problem(authority)


def _authority_problem(authority: str) -> str | None:
    """What is wrong with ``host[:port]`` (no userinfo), or ``None``."""
    if authority.startswith("["):
        inside, closed, after = authority[1:].partition("]")
        if not closed:
            return "has an IPv6 address with no closing ']'; write it as http://[::1]:8080/scim"
        try:
            ipaddress.IPv6Address(inside.replace("%25", "%", 1))
        except ValueError:
            return (f"has {_short(inside)!r} in brackets, which is not an IPv6 address; "
                    "write one as http://[::1]:8080/scim")
        port_part = after
        if port_part and not port_part.startswith(":"):
            return "has text after the IPv6 address's ']'; only ':PORT' may follow it"
    else:
        if "[" in authority or "]" in authority:
            return "has unbalanced '[' or ']' in its host; an IPv6 address is written [::1]"
        host, colon, port = authority.partition(":")
        port_part = colon + port
        if ":" in port:
            return "has more than one ':' in its host; write an IPv6 address in brackets, [::1]"
        if not host:
            return f"has no host name; pass e.g. {EXAMPLE}"
        if not all(_HOST_CHARS.fullmatch(c) or (ord(c) > 127 and c.isalnum()) for c in host) \
                or not _labels_fit(host):
            return (f"has {_short(host)!r} as its host, which is not a host name or IP address; "
                    f"pass e.g. {EXAMPLE}")
    if port_part:
        return _port_problem(port_part[1:])
    return None


def _labels_fit(host: str) -> bool:
    """Every dot-separated label of ``host`` is 1 to 63 characters once IDNA-encoded, and the
    name at most 253 (RFC 1035 §2.3.4): what a resolver, and urllib3, accept."""
    try:
        encoded = host.encode("idna")
    except UnicodeError:
        return False
    return len(encoded.rstrip(b".")) <= 253


def _port_problem(port: str) -> str | None:
    if not port:
        return "has ':' but no port number after it; remove the ':' or add the port"
    if not port.isascii() or not port.isdigit() or len(port) > 5 or not 1 <= int(port) <= 65535:
        return f"has {_short(port)!r} as its port, which is not a port number (1-65535)"
    return None


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
