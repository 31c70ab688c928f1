"""Where ``scimcheck record`` forwards a request: inside its upstream, nowhere else.

The proxy forwards each client request, with its Authorization header, to the upstream SCIM
endpoint. The request target comes from the client, so it is checked once, here, and the
forwarded URL is built from the upstream's origin and base path plus the checked remainder:
never by pasting the client's text onto the upstream URL (``/scim/v2@victim:80/x`` then named
another host, and ``/scim/v2/../../admin`` another path).

A target is refused when it:

- holds a control character, a space, a non-ASCII byte, a backslash (RFC 3986 §2: none of them
  may appear in a URI) or a fragment;
- is not in origin-form (RFC 9112 §3.2.1): an absolute-form target (``http://host/…``) is
  how a client talks to a forward proxy, and names a host of its choosing; the server takes
  its authority over the Host header (§3.2.2), so "the same origin" cannot be told apart from
  another by what the client says. Authority- and asterisk-form are refused likewise;
- has an empty segment (``//host``), a dot segment (``.``, ``..``) or a segment that decodes
  to one or to a ``/`` or ``\\`` (``%2e%2e``, ``%2f``), or a malformed percent-escape;
- is not under the base path the proxy serves.

Each remaining segment is decoded once and encoded again (RFC 3986 §6.2.2: the same URI),
with ``@`` always escaped, so no parser can read a segment as userinfo or a separator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote_to_bytes, urlsplit

from scimcheck.core.errors import Refused

_SEGMENT_SAFE = "!$&'()*+,;=:"
"""RFC 3986 §3.3 pchar besides the unreserved characters, less ``@``."""
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


@dataclass(frozen=True)
class Upstream:
    """The upstream's origin (``scheme://host:port``) and base path (``/scim/v2``, or ``""``)."""

    origin: str
    base_path: str

    @classmethod
    def parse(cls, url: str) -> Upstream:
        """The upstream of an ``http(s)://host[:port][/base]`` URL (query and fragment are
        not part of a base URL, and are dropped)."""
        parts = urlsplit(url)
        return cls(f"{parts.scheme}://{parts.netloc}", parts.path.rstrip("/"))


def forward_url(target: str, upstream: Upstream, served: str) -> str:
    """The URL to forward a request for ``target`` to, or ``Refused``.

    ``target`` is the request target as the client sent it (RFC 9112 §3.2), ``served`` the base
    path the proxy answers under (``/scim/v2``). The URL is ``upstream.origin`` +
    ``upstream.base_path`` + the segments of ``target`` after ``served``, re-encoded, + the
    query.
    """
    for char in target:
        if not "\x21" <= char <= "\x7e":
            raise Refused(400, "the request target holds a control character, a space or a "
                               "non-ASCII byte, which no URI may hold (RFC 3986 §2)")
    if "\\" in target:
        raise Refused(400, "the request target holds a backslash, which no URI may hold")
    if "#" in target:
        raise Refused(400, "the request target holds a fragment (#), which is never sent")
    if _SCHEME.match(target):
        raise Refused(403, "the request target is an absolute URL (as sent to a forward proxy); "
                           "this proxy forwards only paths, to its upstream")
    if not target.startswith("/"):
        raise Refused(400, "the request target is neither a path nor an absolute URL")
    path, mark, query = target.partition("?")
    if _BAD_ESCAPE.search(path):
        raise Refused(400, "the request path holds a malformed percent-escape")
    segments = [_decoded(raw) for raw in path.split("/")[1:]]
    if "" in segments[:-1]:
        raise Refused(400, "the request path has an empty segment (//)")
    base = [_decoded(raw) for raw in served.strip("/").split("/") if raw]
    if segments[: len(base)] != base:
        raise Refused(403, f"the request path is outside {served}, the base path this proxy "
                           "forwards")
    rest = "".join("/" + quote(segment, safe=_SEGMENT_SAFE) for segment in segments[len(base):])
    forwarded = (upstream.base_path + rest) or "/"
    return upstream.origin + forwarded + (f"?{query}" if mark and query else "")


def _decoded(segment: str) -> str:
    """One path segment, percent-decoded; ``Refused`` when it is a dot segment or decodes to
    a separator, a control character or bytes that are not UTF-8."""
    raw = unquote_to_bytes(segment)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, "a request path segment decodes to bytes that are not UTF-8") from None
    if text in {".", ".."}:
        raise Refused(400, "the request path has a dot segment (. or .., perhaps "
                           "percent-encoded), which could leave the base path")
    if "/" in text or "\\" in text:
        raise Refused(400, "a request path segment decodes to a / or \\ (%2F or %5C), which "
                           "could leave the base path")
    if any(not c.isprintable() for c in text):
        raise Refused(400, "a request path segment decodes to a control character")
    return text
