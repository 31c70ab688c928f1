"""A sequence step's request template filled in: the method, path, query, headers and body to
send. A request that names one of Entra's requests (``entra: NAME`` ``with: {…}``,
docs/sequences.md "Entra's requests") is built by :mod:`scimcheck.entra.requests`, the one
definition the Hypothesis model and ``scimcheck load`` use too; any other is the file's own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scimcheck.core.templates import render, render_path
from scimcheck.entra import requests
from scimcheck.entra.dialects import Dialect
from scimcheck.sequences.files import NO_BODY, Request


@dataclass(frozen=True)
class RenderedRequest:
    """What one step sends (``body`` ``None``: no body)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


def render_request(
    request: Request, variables: Mapping[str, Any], dialect: Dialect | None
) -> RenderedRequest:
    """The request with every placeholder filled in (``MissingVariable`` when one is unset).
    Paths take each placeholder as one URL-encoded segment; a dialect-independent sequence
    (``dialect`` ``None``) sends the compliant dialect's body."""
    headers = {k: str(render(v, variables)) for k, v in request.headers.items()}
    if request.entra is not None:
        built = requests.build(request.entra, dialect, render(dict(request.args), variables))
        return RenderedRequest(built.method, built.path, dict(built.query or {}), headers,
                               built.body)
    query = {k: str(render(v, variables)) for k, v in request.query.items()}
    template = request.body_for(dialect.value if dialect else None)
    body = None if template is NO_BODY else render(template, variables)
    return RenderedRequest(request.method, render_path(request.path, variables), query, headers,
                           body)
