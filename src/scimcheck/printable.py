"""Text from a hostile source, made safe to print on one line.

Whatever an endpoint, a recording or a report bundle holds may contain escape sequences (that
clear the screen or colour a forged line), newlines (that forge a second line) or invisible
characters (bidi overrides). :func:`one_line` shows each such character as its Python escape.
"""

from __future__ import annotations

ONE_LINE_LIMIT = 500


def one_line(text: str, limit: int = ONE_LINE_LIMIT) -> str:
    """``text`` with every control or invisible character escaped (``\\x1b``, ``\\n``,
    ``\\u202e``), cut to ``limit`` characters with an ellipsis."""
    shown = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"
