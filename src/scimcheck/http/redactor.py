"""The matcher behind every redaction: a :class:`Redactor` finds a fixed set of secrets in every
form an output can hold them and replaces them with a marker.

The forms: raw; JSON-, Python- and HTML-escaped (``\\u0074``, ``\\/``, ``\\x74``, ``&#116;``;
any mix; RFC 8259 §7); URL-encoded (``%74`` in either case, ``+`` for a space; RFC 3986 §2.1);
and Base64 (standard and URL-safe, RFC 4648 §4 and §5, alone and inside a longer blob at any of
the three byte alignments, so ``Basic base64(user:token)`` is found too). A match is widened to
whole escape sequences, so the JSON, XML or HTML it sat in stays well-formed. Which secrets, and
where outputs pass through it: :mod:`scimcheck.http.redaction`.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from typing import Any

REDACTED = "<redacted>"
_MARKERS = (REDACTED, "<hidden>", "<secret>", "[redacted]", "***", "#")
_MARKUP_MARKERS = ("[redacted]", "[hidden]", "[secret]", "***", "#")
"""Markers that need no escaping in XML or HTML (for files swept after another tool wrote
them)."""
SHORT_SECRET = 8
"""Below this many characters a secret also matches ordinary text: warned about once."""
MIN_BASE64_CORE = 6
"""Base64 characters that a secret alone determines inside a blob; fewer would match noise."""


def _hex(number: int, width: int) -> str:
    """A regex for ``number`` in hex, either case for each letter (``%2f`` and ``%2F``)."""
    return "".join(
        f"[{d}{d.upper()}]" if d.isalpha() else d for d in f"{number:0{width}x}"
    )


_SHORT_ESCAPES = {
    '"': '\\"', "\\": "\\\\", "/": "\\/", "'": "\\'", "\b": "\\b", "\f": "\\f",
    "\n": "\\n", "\r": "\\r", "\t": "\\t",
}
_HTML_NAMED = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"}


def _char_forms(char: str) -> list[str]:
    """Regexes for one character of a secret in every form an output may hold it: escaped for
    JSON (RFC 8259 §7), Python or HTML, percent-encoded (RFC 3986 §2.1), or as itself. Escapes
    come first so an escaped backslash is taken whole. Each starts with a plain character, so
    the regex engine can skip to where a match may begin."""
    code = ord(char)
    forms: list[str] = []
    escape = r"\\\\*"  # one backslash, or more when escaped text was escaped again
    if char in _SHORT_ESCAPES:
        forms.append(escape + re.escape(_SHORT_ESCAPES[char][1:]))
    if code <= 0xFFFF:
        forms.append(escape + "u" + _hex(code, 4))
    else:  # JSON writes a supplementary character as a surrogate pair
        high, low = 0xD800 + ((code - 0x10000) >> 10), 0xDC00 + ((code - 0x10000) & 0x3FF)
        forms.append(escape + "u" + _hex(high, 4) + escape + "u" + _hex(low, 4))
    forms.append(escape + "U" + _hex(code, 8))
    if code <= 0xFF:
        forms.append(escape + "x" + _hex(code, 2))
    forms.append("".join("%" + _hex(byte, 2) for byte in char.encode("utf-8")))
    if char == " ":
        forms.append(r"\+")
    forms.append(f"&#0*{code};")
    forms.append("&#[xX]0*" + _hex(code, 1).lstrip("0") + ";" if code else "&#[xX]0+;")
    if char in _HTML_NAMED:
        forms.append(re.escape(_HTML_NAMED[char]))
    forms.append(re.escape(char))
    return forms


def base64_forms(secret: str) -> set[str]:
    """The Base64 text (RFC 4648 §4 and §5) a secret determines by itself: its whole encoding,
    padded or not, and the characters it fixes inside a longer blob at each of the three byte
    alignments (how ``user:token`` appears in a Basic header)."""
    data = secret.encode("utf-8")
    found: set[str] = set()
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        whole = encode(data).decode("ascii")
        found |= {whole, whole.rstrip("=")}
        for offset in range(3):
            text = encode(b"\0" * offset + data + b"\0\0\0").decode("ascii")
            first = -(-offset * 8 // 6)  # the first character no earlier byte touches
            last = (offset + len(data)) * 8 // 6  # the first character a later byte touches
            core = text[first:last]
            if len(core) >= MIN_BASE64_CORE:
                found.add(core)
    found.discard("")
    return found


def secret_pattern(secrets: Iterable[str]) -> re.Pattern[str] | None:
    """One regex matching every secret in every form (see the module docstring)."""
    alternatives: set[str] = set()
    for secret in secrets:
        if not secret:
            continue
        rest = "".join("(?:" + "|".join(_char_forms(char)) + ")" for char in secret[1:])
        alternatives |= {first + rest for first in _char_forms(secret[0])}
        alternatives |= {re.escape(form) for form in base64_forms(secret)}
    if not alternatives:
        return None
    return re.compile("|".join(sorted(alternatives, key=len, reverse=True)))


_ESCAPE_OPEN = re.compile(r"\\(?:u[0-9a-fA-F]{0,3}|U[0-9a-fA-F]{0,7}|x[0-9a-fA-F]?)?$")
_ENTITY_OPEN = re.compile(r"&#?[0-9a-zA-Z]{0,8}$")
_ESCAPE_REST = {"u": 4, "U": 8, "x": 2}


def _escaping(text: str, at: int) -> bool:
    """The backslash at ``at`` escapes what follows it (an odd run of backslashes ends there)."""
    run = at
    while run >= 0 and text[run] == "\\":
        run -= 1
    return (at - run) % 2 == 1


def _widened(text: str, start: int, end: int, markup: bool) -> tuple[int, int]:
    """A match grown to whole escape sequences (``\\n``, ``\\u0074``, ``&#116;``) at both
    ends, so replacing it leaves JSON, XML and HTML well-formed (in markup, a backslash never
    takes the markup's own punctuation with it)."""
    head = text[max(0, start - 9) : start]
    escape = _ESCAPE_OPEN.search(head)
    if escape and _escaping(text, start - len(escape[0])):
        start -= len(escape[0])
    entity = _ENTITY_OPEN.search(head)
    if entity:
        start -= len(entity[0])
    tail = text[start:end]
    escape = _ESCAPE_OPEN.search(tail)
    if escape and _escaping(text, end - len(escape[0])) and not (
        markup and text[end : end + 1] in ("\"", "'", "<", ">", "&")
    ):
        kind = escape[0][1:2] or text[end : end + 1]  # what the open backslash escapes
        end = min(len(text), end - len(escape[0]) + 2 + _ESCAPE_REST.get(kind, 0))
    entity = _ENTITY_OPEN.search(tail)
    if entity:
        closing = text.find(";", end, end + 10)
        if closing != -1 and re.fullmatch(r"[#0-9a-zA-Z]*", text[end:closing]):
            end = closing + 1
    return start, end


class Redactor:
    """Finds and removes a fixed set of secrets; the empty set changes nothing."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self.secrets: tuple[str, ...] = tuple(sorted({s for s in secrets if s}))
        self.pattern = secret_pattern(self.secrets)
        self.marker = self._marker(_MARKERS)
        self.markup_marker = self._marker(_MARKUP_MARKERS)

    def _marker(self, candidates: tuple[str, ...]) -> str:
        return next(
            (m for m in candidates if self.pattern is None or not self.pattern.search(m)), ""
        )

    def __bool__(self) -> bool:
        return self.pattern is not None

    def found(self, text: str | None) -> bool:
        """``text`` holds a secret, in any form."""
        return bool(text and self.pattern is not None and self.pattern.search(text))

    def found_apart(self, text: str | None) -> bool:
        """Whether a secret, in any form, stands apart in ``text``: no letter or digit right
        before or after it. A short secret inside a word is chance ('tok' in
        'oauthbearertoken'), not an echo; redaction still hides it there."""
        if not text or self.pattern is None:
            return False
        for match in self.pattern.finditer(text):
            before = text[match.start() - 1] if match.start() else ""
            after = text[match.end()] if match.end() < len(text) else ""
            if not before.isalnum() and not after.isalnum():
                return True
        return False

    def redact(self, text: str, *, markup: bool = False) -> str:
        """``text`` with every form of every secret replaced by the marker (one that needs no
        escaping in XML and HTML with ``markup``). JSON, XML and HTML stay well-formed: a match
        is widened to the whole escape sequences at its ends."""
        if self.pattern is None or not text:
            return text
        marker = self.markup_marker if markup else self.marker
        for _ in range(4):  # the marker holds no secret, but a neighbour might complete one
            if not self.pattern.search(text):
                return text
            text = self._replace_once(text, marker, markup)
        return text if not self.pattern.search(text) else marker

    def _replace_once(self, text: str, marker: str, markup: bool) -> str:
        assert self.pattern is not None
        pieces: list[str] = []
        at = 0
        for match in self.pattern.finditer(text):
            if match.start() < at:  # inside what the previous match was widened over
                continue
            start, end = _widened(text, match.start(), match.end(), markup)
            start = max(start, at)
            pieces += [text[at:start], marker]
            at = end
        pieces.append(text[at:])
        return "".join(pieces)

    def redact_data(self, value: Any) -> Any:
        """A JSON-like value with every string (keys too) redacted."""
        if self.pattern is None:
            return value
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, dict):
            return {self.redact_data(k): self.redact_data(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.redact_data(v) for v in value]
        return value
