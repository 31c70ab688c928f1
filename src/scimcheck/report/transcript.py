"""Render recorded exchanges for people: the request/response transcript of a sequence."""

from __future__ import annotations

import json
from collections.abc import Iterable

from scimcheck.http.exchange import SHOWN_BODY_CHARS, Exchange

_BODY_LIMIT = SHOWN_BODY_CHARS


def _pretty(text: str | None) -> str:
    if not text:
        return ""
    try:
        pretty = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except (ValueError, RecursionError):  # not JSON, or nested too deeply to parse
        pretty = text
    if len(pretty) > _BODY_LIMIT:
        pretty = pretty[:_BODY_LIMIT] + f"\n… ({len(pretty) - _BODY_LIMIT} more characters)"
    return pretty


def render_exchange(exchange: Exchange) -> str:
    """One exchange: the request as sent (token redacted), then the response."""
    title = f"#{exchange.index} {exchange.label}".rstrip()
    lines = [f"── {title} ──", f"{exchange.method} {exchange.url}"]
    lines += [f"{name}: {value}" for name, value in exchange.request_headers.items()]
    if exchange.request_body:
        lines += ["", _pretty(exchange.request_body)]
    lines.append("")
    if exchange.error:
        lines.append(f"✗ no response: {exchange.error} ({exchange.elapsed_s * 1000:.0f} ms)")
    else:
        lines.append(
            f"← {exchange.status} {exchange.reason} ({exchange.elapsed_s * 1000:.0f} ms)"
        )
        lines += [f"{name}: {value}" for name, value in exchange.response_headers.items()]
        if exchange.response_body:
            lines += ["", _pretty(exchange.response_body)]
        if exchange.body_truncated:
            lines.append("… (body truncated by scimcheck)")
    return "\n".join(lines)


def render_text(exchanges: Iterable[Exchange]) -> str:
    """The whole transcript; Entra-faithful headers are noted once at the top."""
    header = (
        "Requests are sent as Entra sends them: no Accept or User-Agent on GETs, "
        "'application/scim+json; charset=utf-8' bodies, the token shown as <redacted>.\n"
    )
    return header + "\n\n".join(render_exchange(x) for x in exchanges)
