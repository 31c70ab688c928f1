"""The one probe before a run: Entra's Test Connection query, sent with the token.

An unreachable host or a rejected token stops the run early (exit code 3) with one line saying
what to fix, instead of dozens of failed checks (docs/entra.md §1.1).
"""

from __future__ import annotations

import uuid

from scimcheck import TOKEN_ENV
from scimcheck.entra import requests
from scimcheck.http.auth import Authorizer
from scimcheck.http.extra_headers import ExtraHeader
from scimcheck.http.transport import Exchange, Transport, TransportConfig
from scimcheck.scim import endpoints

PREFLIGHT_TIMEOUT_S = 30.0


def problem(
    url: str, token: str | None, timeout_s: float | None = None, *, verify: bool | str = True,
    auth: Authorizer | None = None, proxy: str | None = None,
    headers: tuple[ExtraHeader, ...] = (),
) -> str | None:
    """Why the target cannot be tested, or ``None`` when it answered like a SCIM endpoint.
    ``verify``, ``proxy`` and ``headers`` are the run's (TLS trust, ``--proxy``, ``--header``),
    so an untrusted certificate or a proxy that refuses stops the run here; ``auth`` replaces
    ``token`` (an OAuth client, scimcheck.http.oauth)."""
    timeout = min(timeout_s or PREFLIGHT_TIMEOUT_S, PREFLIGHT_TIMEOUT_S)
    config = TransportConfig(url, token, timeout, verify=verify, auth=auth, proxy=proxy,
                             headers=headers)
    with Transport(config) as transport:
        probe = requests.match_user(str(uuid.uuid4()))  # Test Connection's query
        answer = transport.send(probe.method, probe.path, params=probe.query)
        if answer.error:
            return f"target unreachable: {answer.error}"
        no_token = getattr(auth, "problem", None)  # the OAuth token endpoint refused
        if no_token:
            return f"cannot get an OAuth access token: {no_token}"
        if answer.status in (401, 403):
            fix = (
                "check the OAuth client's access to the SCIM endpoint" if auth is not None
                else f"check the token in {TOKEN_ENV}"
                if token
                else f"the endpoint requires a token: set {TOKEN_ENV}"
            )
            return f"the target rejected the credentials ({answer.summary()}); {fix}"
        if answer.status is not None and 300 <= answer.status < 400:
            return (
                f"{answer.summary()} redirects to {answer.header('Location')!r}; "
                "pass the final SCIM base URL (Entra does not follow redirects)"
            )
        if _looks_like_scim(answer) and answer.status != 404:
            return None
        # A 404 or non-SCIM answer to the filter may be the endpoint's own defect (judged by
        # the checks) or a wrong base URL: discovery or a plain list tells the two apart.
        for path, params in ((endpoints.SERVICE_PROVIDER_CONFIG, None),
                             (endpoints.USERS, {"count": "1"})):
            other = transport.send("GET", path, params=params)
            if other.ok and _looks_like_scim(other):
                return None
    return (
        f"{answer.summary()} is not a SCIM answer ({_what(answer)}), and neither "
        f"/ServiceProviderConfig nor /Users answers; is the base URL right? It must be the "
        f"SCIM root, e.g. https://host/scim/v2, not {url!r}"
    )


def _looks_like_scim(answer: Exchange) -> bool:
    body = answer.json()
    return isinstance(body, dict) and isinstance(body.get("schemas"), list)


def _what(answer: Exchange) -> str:
    kind = answer.content_type.split(";")[0] or "no content type"
    return f"{kind} body: {answer.describe_body(80)}"
