"""One request and what came back, as a transcript keeps it and a person reads it.

An :class:`Exchange` is recorded by :class:`scimcheck.http.transport.Transport` already redacted
(:mod:`scimcheck.http.redaction`); its summaries escape what the endpoint chose, describe an
answer that is not SCIM JSON by what was seen (RFC 7644 §3.1: SCIM answers are
``application/scim+json``), and an old large body is shortened for the transcript
(:meth:`Exchange.shortened`).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from scimcheck.http.redaction import one_line

SHOWN_BODY_CHARS = 20_000
"""How much of a body a transcript shows (:mod:`scimcheck.report.transcript`), and keeps of an older
large one."""

_NO_BODY = object()
_HTML_TITLE = re.compile(r"<title[^>]*>(?P<title>[^<]{1,120})</title>", re.IGNORECASE)


@dataclass
class Exchange:
    """One request and what came back, ready to show to a person."""

    index: int
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str | None
    status: int | None = None
    reason: str = ""
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: str = ""
    body_truncated: bool = False
    body_problem: str | None = None
    """Why the body shown is not what was sent: cut off at the cap, or not valid UTF-8."""
    valid_utf8: bool = True
    token_echoed: bool = False
    """The answer (status line, a header, the body, or the error it caused) held the bearer
    token in some form; it is shown as <redacted>."""
    elapsed_s: float = 0.0
    error: str | None = None
    label: str = ""
    refused: bool = False
    """scimcheck refused to send this request (:mod:`scimcheck.scim.ownership`): it never left."""
    cut_off: bool = False
    """scimcheck cut the answer off: at the request's deadline, a timeout, or the body cap."""
    _parsed: Any = field(default=_NO_BODY, repr=False)

    @property
    def ok(self) -> bool:
        """A response arrived with a 2xx status."""
        return self.status is not None and 200 <= self.status < 300

    @property
    def content_type(self) -> str:
        """The response's Content-Type header, or an empty string."""
        for name, value in self.response_headers.items():
            if name.lower() == "content-type":
                return value
        return ""

    def header(self, name: str) -> str | None:
        """A response header by case-insensitive name."""
        for key, value in self.response_headers.items():
            if key.lower() == name.lower():
                return value
        return None

    def json(self) -> Any:
        """The response body parsed as JSON; ``None`` when it is empty or not JSON."""
        if self._parsed is _NO_BODY:
            self._parsed = None
            if self.response_body and not self.body_truncated:
                try:
                    self._parsed = json.loads(self.response_body)
                except ValueError:
                    pass
                except RecursionError:
                    self.body_problem = self.body_problem or "the JSON is nested too deeply"
        return self._parsed

    @property
    def is_json(self) -> bool:
        """The body is non-empty, valid JSON."""
        return self.json() is not None

    def target(self) -> str:
        """Path and query of the request, for one-line summaries."""
        parts = urlsplit(self.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def summary(self) -> str:
        """One line: ``PATCH /scim/v2/Users/1 → 204 (12 ms)``; a redirect names its target."""
        outcome = self.error or f"{self.status} {self.reason}".strip()
        if self.status is not None and 300 <= self.status < 400:
            outcome += (f", a redirect to {self.header('Location') or '(no Location)'!r} "
                        "that Entra does not follow")
        return f"{self.method} {self.target()} → {outcome} ({self.elapsed_s * 1000:.0f} ms)"

    def describe_body(self, limit: int = 600) -> str:
        """The response body shortened for a message, saying what it is when that is not
        obvious (an HTML page, an empty body, a body cut off at the cap, bytes that are not
        UTF-8). An answer that is not SCIM JSON is described by what was seen (status, Server
        header, Content-Type, an escaped excerpt), never by a guess at who sent it: an empty
        401 or a framework's own 500 page may well come from the SCIM app itself."""
        self.json()  # notes a body nested too deeply to parse
        text = self.response_body.strip()
        shown = "(empty body)" if not text else (
            text if len(text) <= limit else text[:limit] + "…"
        )
        title = _HTML_TITLE.search(text[:4096]) if text.startswith("<") else None
        if not text and self.status is not None:
            shown = f"(empty body; {self.seen()})"
        elif title or "html" in self.content_type.lower():
            name = one_line(" ".join(title["title"].split()), 120) if title else ""
            titled = f' titled "{name}"' if name else ""
            shown = (f"an HTML page{titled} ({self.seen()}), not SCIM JSON: "
                     f"{one_line(shown, 160)}")
        if self.body_problem:
            shown += f" [{self.body_problem}]"
        return shown

    def seen(self) -> str:
        """What the answer says about itself, escaped: ``status 401, Content-Type 'text/html',
        Server 'gunicorn'`` (each header, or that it was absent)."""
        parts = [f"status {self.status}"]
        for name in ("Content-Type", "Server"):
            value = self.header(name)
            parts.append(f"{name} '{one_line(value, 80)}'" if value else f"no {name} header")
        return ", ".join(parts)

    def shortened(self, limit: int = SHOWN_BODY_CHARS) -> Exchange:
        """This exchange as a transcript keeps it once it is old: a response body longer than
        ``limit`` characters cut there (so no longer parsed), and said so; else itself."""
        size = len(self.response_body)
        if size <= limit:
            return self
        note = (f"scimcheck kept the first {limit:,} of its {size:,} characters in the "
                "transcript")
        return dataclasses.replace(
            self, response_body=self.response_body[:limit], body_truncated=True,
            body_problem=f"{self.body_problem}; {note}" if self.body_problem else note,
            _parsed=_NO_BODY,
        )

    def rewrite_answer(self, rewrite: Callable[[str], str]) -> None:
        """Rewrite everything the endpoint chose (reason phrase, header names and values, body,
        error text) with ``rewrite``, e.g. a redaction; the body is parsed afresh."""
        self.reason = rewrite(self.reason)
        self.response_headers = {
            rewrite(k): rewrite(v) for k, v in self.response_headers.items()
        }
        self.response_body = rewrite(self.response_body)
        self.error = rewrite(self.error) if self.error else self.error
        self._parsed = _NO_BODY

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready transcript entry (already redacted)."""
        return {
            "index": self.index,
            "label": self.label,
            "method": self.method,
            "url": self.url,
            "request_headers": self.request_headers,
            "request_body": self.request_body,
            "status": self.status,
            "reason": self.reason,
            "response_headers": self.response_headers,
            "response_body": self.response_body,
            "body_truncated": self.body_truncated,
            "elapsed_ms": round(self.elapsed_s * 1000, 1),
            "error": self.error,
        }

