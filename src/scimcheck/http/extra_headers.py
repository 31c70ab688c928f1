"""Headers a person adds to every request (``--header``, ``--secret-header``; docs/cli.md,
"Extra headers"), for an endpoint behind an API gateway that wants a key of its own.

``--header 'Name: value'`` is sent as given and shown in transcripts. ``--secret-header
Name=VARIABLE`` takes the value from the environment variable ``VARIABLE`` (so it never shows in
a process list, like ``SCIM_TOKEN``); ``--secret-header 'Name: value'`` is allowed too. A secret
header's value is redacted like the token in every output (:mod:`scimcheck.http.redaction`)
and shown as ``<redacted>`` in transcripts.

A header name is an RFC 9110 §5.1 token; a value is one line of printable ISO-8859-1 (§5.5).
A header may not replace one scimcheck sends as Entra does (``Authorization``, ``Content-Type``,
``Host``) nor the message framing (``Content-Length``, ``Transfer-Encoding``); the same name
twice is refused too. Every problem is a ``ConfigError`` of one line that never repeats a
secret value.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from scimcheck.core.errors import ConfigError

RESERVED = ("Authorization", "Content-Type", "Host", "Content-Length", "Transfer-Encoding")
"""Headers scimcheck sends itself, as Entra does (docs/entra.md §1.0), or that frame the
message: never replaced by an extra header."""

_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
"""An RFC 9110 §5.6.2 token: what a field name is made of."""
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class ExtraHeader:
    """One header added to every request."""

    name: str
    value: str
    secret: bool = False


def parse(text: str, label: str = "--header", *, secret: bool = False,
          environ: Mapping[str, str] | None = None) -> ExtraHeader:
    """``Name: value`` (or, for a secret header, ``Name=VARIABLE``) as an :class:`ExtraHeader`;
    ``ConfigError`` naming ``label`` when it cannot be sent."""
    name, colon, value = text.partition(":")
    if not colon:
        if not secret:
            raise ConfigError(f"{label} {_shown(text)} is not 'Name: value'; pass e.g. "
                              f"{label} 'X-Api-Key: 1234'")
        name, equals, variable = text.partition("=")
        if not equals or not _VARIABLE.fullmatch(variable.strip()):
            raise ConfigError(f"{label} is neither 'Name: value' nor Name=VARIABLE (a "
                              f"variable name); pass e.g. {label} X-Api-Key=GATEWAY_KEY")
        variable = variable.strip()
        value = (environ or {}).get(variable, "")
        if not value.strip():
            raise ConfigError(f"{label} {name.strip()}={variable}: the environment variable "
                              f"{variable} is not set or empty; set it to the header's value")
    name, value = name.strip(), value.strip()
    _check_name(name, label)
    _check_value(value, f"{label} {name}", secret)
    return ExtraHeader(name, value, secret)


def parse_all(plain: Iterable[str], secret: Iterable[str], environ: Mapping[str, str], *,
              plain_label: str = "--header", secret_label: str = "--secret-header",
              ) -> tuple[ExtraHeader, ...]:
    """Every ``--header`` then every ``--secret-header``; the same name twice is refused."""
    headers = [parse(text, plain_label) for text in plain]
    headers += [parse(text, secret_label, secret=True, environ=environ) for text in secret]
    seen: set[str] = set()
    for header in headers:
        if header.name.lower() in seen:
            raise ConfigError(f"the header {header.name} is given twice (--header/"
                              "--secret-header); pass it once")
        seen.add(header.name.lower())
    return tuple(headers)


def _check_name(name: str, label: str) -> None:
    if not name or not _TOKEN.fullmatch(name):
        raise ConfigError(f"{label}: {_shown(name) if name else 'the name is empty'} is not a "
                          "header name (letters, digits and !#$%&'*+.^_`|~- only, RFC 9110 §5.1)")
    reserved = next((r for r in RESERVED if r.lower() == name.lower()), None)
    if reserved is not None:
        raise ConfigError(f"{label} {name}: scimcheck sends {reserved} itself, as Entra does; "
                          "an extra header cannot replace it")


def _check_value(value: str, label: str, secret: bool) -> None:
    for index, char in enumerate(value):
        if (unicodedata.category(char) == "Cc" and char != "\t") or ord(char) > 0xFF:
            raise ConfigError(
                f"{label}: the value has a line break, control character or a character that "
                f"cannot be sent in a header at position {index + 1} (RFC 9110 §5.5)"
                + ("" if secret else f": {_shown(value)}")
            )


def _shown(text: str) -> str:
    """``text`` quoted for a one-line message, control characters escaped, kept short."""
    shown = repr(text[:60])
    return shown + ("…" if len(text) > 60 else "")
