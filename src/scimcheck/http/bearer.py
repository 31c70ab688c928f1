"""The one definition of a bearer token the user can give (``SCIM_TOKEN``, ``--token``).

A token is sent as ``Authorization: Bearer <token>`` (RFC 6750 §2.1), a header value on one
line (RFC 9110 §5.5): a line break or another control character cannot be sent (and would
split the header), and a character outside ISO-8859-1 cannot be encoded in it. Such a token is
a usage error whose message says where the problem is, never what the token is.
"""

from __future__ import annotations

import unicodedata

from scimcheck.core.errors import ConfigError


def check(token: str, name: str, what: str = "a bearer token") -> str:
    """``token`` when it can be sent in an Authorization header; else ``ConfigError`` naming
    ``name`` (``SCIM_TOKEN``, ``--token``) and the position, not the token. ``what`` is how
    the message calls it (an OAuth client id or secret is sent in a header or form too)."""
    for index, char in enumerate(token):
        if unicodedata.category(char) == "Cc" or ord(char) > 0xFF:
            problem = "a line break or control character" if unicodedata.category(char) == "Cc" \
                else "a character that cannot be sent in an HTTP header"
            raise ConfigError(
                f"{name} contains {problem} at position {index + 1}; {what} is one line "
                f"of printable characters (RFC 6750 §2.1): set {name} again without it"
            )
    return token
