"""Shell words and comments that expand nothing and cannot drive a terminal (bash, as the repro
scripts of :mod:`scimcheck.http.curl` use them).

A word is single-quoted runs, with control and invisible characters written as ``$'\\xHH'``
bytes; a comment writes every such character as an escape, so no newline from a step name ends
it and no ESC reaches the terminal of the person reading it (ECMA-48; Unicode UAX #9).
"""

from __future__ import annotations

import itertools
import re

_BARE = re.compile(r"[A-Za-z0-9_@%+=:,./-]+")


def shell_word(text: str, *, multiline: bool = False) -> str:
    """``text`` as one bash word that stands for exactly its UTF-8 bytes and expands nothing:
    single-quoted runs, with control and invisible characters (and newlines, unless
    ``multiline``) as ``$'\\xHH'`` runs. ``ValueError`` on a NUL, which no word can hold."""
    if "\0" in text:
        raise ValueError("a shell word cannot hold a NUL byte")
    if _BARE.fullmatch(text):
        return text
    if not text:
        return "''"
    out: list[str] = []
    for run, awkward in _runs(text, multiline):
        if awkward:
            escaped = "".join(f"\\x{b:02x}" for b in run.encode("utf-8", "surrogatepass"))
            out.append(f"$'{escaped}'")
        else:
            out.append("'" + run.replace("'", "'\\''") + "'")
    return "".join(out)


def _is_awkward(char: str, multiline: bool = False) -> bool:
    """Written as an escape: not printable (controls, format and private-use characters,
    separators other than the space, unassigned code points), or a newline outside a body."""
    if char == "\n":
        return not multiline
    return not char.isprintable()


def _runs(text: str, multiline: bool) -> list[tuple[str, bool]]:
    """``text`` cut where it changes between printable and awkward characters."""
    return [("".join(run), awkward) for awkward, run in
            itertools.groupby(text, lambda char: _is_awkward(char, multiline))]


def comment(text: str) -> str:
    """A ``#`` comment line showing ``text``: backslashes and every control or invisible
    character (newline, CR, ESC, U+2028, bidi overrides …) written as escapes."""
    return f"# {escaped(text)}".rstrip()


def escaped(text: str) -> str:
    """``text`` with backslashes and every control or invisible character as escapes."""
    return "".join(
        ascii(c)[1:-1] if _is_awkward(c) else "\\\\" if c == "\\" else c for c in text
    )
