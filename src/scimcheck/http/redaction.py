"""What leaves scimcheck for a person: secrets redacted, server-chosen text made inert.

Two guarantees, each one definition used at the output boundary (docs/cli.md, "Secrets and
terminal output"):

* **No secret in any output.** The secrets of this run (the bearer token; a URL password or a
  secret query parameter when one is registered; an OAuth client secret later) are matched in
  every form an output can hold them: raw; JSON-, Python- and HTML-escaped (``\\u0074``,
  ``\\/``, ``\\x74``, ``&#116;``; any mix); URL-encoded (``%74`` in either case, ``+`` for a
  space); and Base64 (standard and URL-safe, alone and inside a longer blob at any of the three
  byte alignments, so ``Basic base64(user:token)`` is found too; the matcher is
  :class:`scimcheck.http.redactor.Redactor`). RFC 6750 §5.3: bearer tokens
  must be kept from disclosure. Tokens of any length are matched: a short token is redacted
  wherever its characters occur (:func:`short_secret_warning` says so once).
  Every file scimcheck writes goes through :func:`write_text`/:func:`dumps_json`, every
  terminal line through a :class:`RedactingStream`, every log record through
  :func:`install_log_redaction`; ``auth.token-not-echoed`` asks :meth:`Redactor.found`.

* **No control character from an endpoint reaches a terminal.** :func:`for_terminal` escapes
  C0 (ESC, CR, backspace…), DEL, C1, the bidirectional overrides and isolates and the line and
  paragraph separators, so a userName cannot clear the screen, move the cursor, rewrite a line
  or forge a green "passed".
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import parse_qsl, urlsplit

from scimcheck.http.redactor import REDACTED, SHORT_SECRET, Redactor

_SECRET_QUERY = re.compile(
    r"(?i)(?:access_|id_|refresh_|auth_)?token|(?:client_)?secret|password|passwd|pwd"
    r"|api[_-]?key|key|sig|signature|auth"
)
"""Query parameter names whose values are credentials (``?access_token=…``, ``?sig=…``)."""


# --- the secrets of this process ----------------------------------------------------------------

_lock = threading.Lock()
_registered: list[str] = []
_current = Redactor()


def register(secret: str | None) -> None:
    """Add a secret of this run (the bearer token, an OAuth client secret…) to what every output
    of this process is cleaned of."""
    global _current
    if not secret:
        return
    with _lock:
        if secret not in _registered:
            _registered.append(secret)
            _current = Redactor(_registered)


def url_secrets(url: str | None) -> list[str]:
    """The secrets a URL carries: the password of ``user:pass@host`` (RFC 3986 §3.2.1
    deprecates it) and the values of query parameters named like credentials."""
    if not url:
        return []
    try:
        parts = urlsplit(url)
        found = [parts.password] if parts.password else []
    except ValueError:
        return []
    found += [value for name, value in parse_qsl(parts.query) if _SECRET_QUERY.fullmatch(name)]
    return found


def register_url(url: str | None) -> None:
    """Register the secrets a URL carries (:func:`url_secrets`)."""
    for secret in url_secrets(url):
        register(secret)


@contextmanager
def registered(*secrets: str | None) -> Iterator[Redactor]:
    """Register secrets for a block (a command, a test) and forget them after it."""
    global _current
    with _lock:
        before = list(_registered)
    for secret in secrets:
        register(secret)
    try:
        yield current()
    finally:
        with _lock:
            _registered[:] = before
            _current = Redactor(before)


def current() -> Redactor:
    """The redactor for this process's registered secrets."""
    return _current


def redact(text: str) -> str:
    """``text`` cleaned of every registered secret."""
    return _current.redact(text)


def short_secret_warning(secret: str | None, what: str = "the bearer token") -> str | None:
    """The one warning a very short secret deserves, or ``None``."""
    if not secret or len(secret) >= SHORT_SECRET:
        return None
    return (f"scimcheck: warning: {what} is only {len(secret)} character(s) long; every "
            f"occurrence of it in any output is shown as {REDACTED}, which may make reports "
            "hard to read (and a token this short is easy to guess: use a long random one)")


# --- files ---------------------------------------------------------------------------------------

def dumps_json(document: Any, indent: int | None = 2) -> str:
    """``document`` as JSON text (UTF-8, not ASCII-escaped), with every secret redacted."""
    redactor = _current
    text = json.dumps(redactor.redact_data(document), indent=indent, ensure_ascii=False)
    return redactor.redact(text)


def write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` as UTF-8 with every registered secret redacted: the one file writer."""
    # a lone surrogate (an endpoint's JSON may say "\ud800") is written as that same escape
    Path(path).write_text(_current.redact(text), encoding="utf-8", errors="backslashreplace")


def sweep_file(path: str | os.PathLike[str] | None) -> bool:
    """Rewrite a file another tool wrote (pytest's junit.xml, pytest-html's page) when a secret
    is found in it; ``True`` when it was rewritten."""
    if not path or _current.pattern is None:
        return False
    target = Path(path)
    try:
        text = target.read_text(encoding="utf-8", errors="surrogateescape")
    except (OSError, ValueError):
        return False
    if not _current.found(text):
        return False
    cleaned = _current.redact(text, markup=True)
    target.write_bytes(cleaned.encode("utf-8", errors="surrogateescape"))
    return True


# --- the terminal --------------------------------------------------------------------------------

def _escapes(multiline: bool) -> dict[int, str]:
    table: dict[int, str] = {}
    controls = [*range(0x20), 0x7F, *range(0x80, 0xA0)]
    named = {0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r"}
    for code in controls:
        if multiline and code in (0x09, 0x0A):
            continue
        table[code] = named.get(code, f"\\x{code:02x}")
    for code in (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A),
                 0x2028, 0x2029):
        table[code] = f"\\u{code:04x}"
    for code in range(0xD800, 0xE000):  # lone surrogates: no terminal encoding can print them
        table[code] = f"\\u{code:04x}"
    return table


_ONE_LINE = _escapes(multiline=False)
_MULTILINE = _escapes(multiline=True)


def for_terminal(text: str, *, multiline: bool = False) -> str:
    """Server-chosen ``text`` made safe to print: secrets redacted, and C0/C1 controls, DEL,
    bidi overrides/isolates and U+2028/2029 shown as ``\\x1b``-style escapes (``multiline``
    keeps newlines and tabs), so an endpoint cannot move the cursor, clear or rewrite lines or
    reorder what a person reads (ECMA-48; Unicode UAX #9)."""
    return _current.redact(text).translate(_MULTILINE if multiline else _ONE_LINE)


ONE_LINE_LIMIT = 500


def one_line(text: str, limit: int = ONE_LINE_LIMIT) -> str:
    """:func:`for_terminal` on one line, cut to ``limit`` characters with an ellipsis (error
    messages that quote a recording, a report bundle or a proxy client's request)."""
    shown = for_terminal(text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


class RedactingStream(io.TextIOBase):
    """A text stream that writes to another with every registered secret redacted.

    Whole lines are cleaned; a partial line waits for its newline or a ``flush()``, so a token
    written in two pieces is still found."""

    def __init__(self, inner: TextIO) -> None:
        super().__init__()
        self.inner = inner
        self._pending = ""
        self._lock = threading.RLock()

    def write(self, text: str) -> int:
        """Clean and pass on every complete line; keep the rest until its end arrives."""
        with self._lock:
            self._pending += text
            cut = self._pending.rfind("\n") + 1
            if cut:
                ready, self._pending = self._pending[:cut], self._pending[cut:]
                self.inner.write(_current.redact(ready))
        return len(text)

    def flush(self) -> None:
        """Pass on what is pending, cleaned, and flush the stream below."""
        with self._lock:
            if self._pending:
                ready, self._pending = self._pending, ""
                self.inner.write(_current.redact(ready))
            self.inner.flush()

    def writable(self) -> bool:
        """Always: it is an output stream."""
        return True

    def isatty(self) -> bool:
        """As the stream below (pytest colours only a terminal)."""
        return self.inner.isatty()

    def fileno(self) -> int:
        """The stream below's descriptor (faulthandler needs one)."""
        return self.inner.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        """The stream below's encoding."""
        return getattr(self.inner, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        """The stream below's error handler."""
        return getattr(self.inner, "errors", None)

    def __getattr__(self, name: str) -> Any:
        if name == "buffer":  # bytes written below would bypass the redaction
            raise AttributeError(name)
        return getattr(self.inner, name)


@contextmanager
def redacted_std_streams() -> Iterator[None]:
    """``sys.stdout`` and ``sys.stderr`` cleaned of every registered secret for a block."""
    import sys

    saved = sys.stdout, sys.stderr
    if not isinstance(sys.stdout, RedactingStream):
        sys.stdout = RedactingStream(sys.stdout)
    if not isinstance(sys.stderr, RedactingStream):
        sys.stderr = RedactingStream(sys.stderr)
    try:
        yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        sys.stdout, sys.stderr = saved


def wrap_stream(stream: TextIO) -> RedactingStream:
    """``stream`` behind a :class:`RedactingStream` (once)."""
    return stream if isinstance(stream, RedactingStream) else RedactingStream(stream)


# --- logging -------------------------------------------------------------------------------------

_factory_lock = threading.Lock()
_previous_factory: list[Any] = []


def install_log_redaction() -> None:
    """Every log record created in this process (urllib3 quoting a malformed header, a
    warning…) carries its message, exception and stack text already redacted and its
    control characters escaped, whatever handler writes it (pytest's ``--log-file``, the
    captured-log sections, live logs)."""
    with _factory_lock:
        if _previous_factory:
            return
        previous = logging.getLogRecordFactory()
        _previous_factory.append(previous)

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record: logging.LogRecord = previous(*args, **kwargs)
            try:
                message = record.getMessage()
            except (TypeError, ValueError):
                message = str(record.msg)
            record.msg, record.args = for_terminal(message, multiline=True), None
            if record.exc_info and not record.exc_text:
                record.exc_text = for_terminal(
                    logging.Formatter().formatException(record.exc_info), multiline=True
                )
            if record.stack_info:
                record.stack_info = for_terminal(record.stack_info, multiline=True)
            return record

        logging.setLogRecordFactory(factory)


def uninstall_log_redaction() -> None:
    """Put back the log record factory :func:`install_log_redaction` replaced."""
    with _factory_lock:
        if _previous_factory:
            logging.setLogRecordFactory(_previous_factory.pop())
