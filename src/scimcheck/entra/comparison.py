"""Whether a value read back is the value sent (RFC 7644 §3.3: a service provider may add
defaults and may alter what it stores), strictly or up to whitespace and letter case.
"""

from __future__ import annotations

from typing import Any

from scimcheck.core.templates import MISSING


def values_match(sent: Any, got: Any) -> bool:
    """Whether a returned value is the value sent: equal, except that returned objects may carry
    sub-attributes the request did not (RFC 7644 §3.3: the service provider may add defaults),
    e.g. a role read back with its ``display``."""
    return _matches(sent, got, normalise=False)


def normalised(text: str) -> str:
    """``text`` as a server that normalises whitespace may store it: surrounding whitespace
    trimmed, inner runs of whitespace made one space."""
    return " ".join(text.split())


def same_but_case(sent: str, got: str) -> bool:
    """Whether two strings differ at most in letter case: equal case-folded, upper-cased or
    lower-cased. Folding alone misses some case pairs: the dotless i (U+0131) upper-cases (and
    title-cases, as a server capitalising names does) to ``I``, which folds to ``i``."""
    return (sent.casefold() == got.casefold() or sent.upper() == got.upper()
            or sent.lower() == got.lower())


def values_match_normalised(sent: Any, got: Any) -> bool:
    """Whether ``got`` differs from ``sent`` at most by whitespace and letter-case normalisation
    (RFC 7644 §3.3 lets a service provider alter the values it stores; Entra still matches
    and updates such a user, at worst re-sending the value on its next cycle). Truncation,
    lost characters or changed Unicode are not normalisation."""
    return _matches(sent, got, normalise=True)


def _matches(sent: Any, got: Any, normalise: bool) -> bool:
    """:func:`values_match`, comparing strings :func:`normalised` when ``normalise``."""
    if normalise and isinstance(sent, str) and isinstance(got, str):
        return same_but_case(normalised(sent), normalised(got))
    if isinstance(sent, dict) and isinstance(got, dict):
        lowered = {str(k).lower(): v for k, v in got.items()}
        return all(
            str(k).lower() in lowered and _matches(v, lowered[str(k).lower()], normalise)
            for k, v in sent.items()
        )
    if isinstance(sent, list) and isinstance(got, list):
        return len(sent) == len(got) and all(
            any(_matches(item, returned, normalise) for returned in got) for item in sent
        )
    return bool(sent == got) and type(sent) is type(got)


def show(value: Any) -> str:
    """A value as a message shows it (``MISSING`` as 'absent')."""
    return "absent" if value is MISSING else repr(value)
