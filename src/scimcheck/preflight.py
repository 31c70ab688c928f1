"""The one probe before a run: Entra's Test Connection query, sent with the token.

An unreachable host or a rejected token stops the run early (exit code 3) with one line saying
what to fix, instead of dozens of failed checks (entra-behavior.md §1.1).
"""

from __future__ import annotations

import uuid

from scimcheck import TOKEN_ENV, endpoints
from scimcheck.transport import Transport, TransportConfig

PREFLIGHT_TIMEOUT_S = 30.0


def problem(url: str, token: str | None, timeout_s: float | None = None) -> str | None:
    """Why the target cannot be tested, or ``None`` when it answered without refusing us."""
    timeout = min(timeout_s or PREFLIGHT_TIMEOUT_S, PREFLIGHT_TIMEOUT_S)
    with Transport(TransportConfig(url, token, timeout)) as transport:
        answer = transport.send(
            "GET", endpoints.USERS, params={"filter": f'userName eq "{uuid.uuid4()}"'}
        )
    if answer.error:
        return f"target unreachable: {answer.error}"
    if answer.status in (401, 403):
        fix = (
            f"check the token in {TOKEN_ENV}"
            if token
            else f"the endpoint requires a token: set {TOKEN_ENV}"
        )
        return f"the target rejected the credentials ({answer.summary()}); {fix}"
    return None
