"""A request chain as a shell script of curl commands that replays it against any endpoint.

The script reads ``SCIM_URL`` and ``SCIM_TOKEN`` from the environment (the token is never
written into it). Ids the endpoint assigned in answer to a POST are captured into shell
variables and substituted wherever later requests used them, so the chain replays on a fresh
endpoint, not just against the run that recorded it. Requests keep Entra's headers
(entra-behavior.md §1.0).
"""

from __future__ import annotations

import contextlib
import json
import shlex
from collections.abc import Iterable, Sequence

from scimcheck.transport import Exchange

_BODY_END = "SCIMCHECK_BODY"
_SKIPPED_HEADERS = {"authorization", "content-length", "host"}


def render_script(exchanges: Iterable[Exchange], base_url: str, title: str = "") -> str:
    """A bash script replaying the exchanges in order (``base_url`` becomes ``$SCIM_URL``)."""
    base = base_url.rstrip("/")
    lines = [
        "#!/usr/bin/env bash",
        f"# {title}" if title else "# A request chain recorded by scimcheck.",
        "# Replays against any SCIM endpoint: SCIM_URL=https://host/scim/v2 SCIM_TOKEN=… bash "
        "this-file",
        "set -u",
        f': "${{SCIM_URL:={base}}}"',
        ': "${SCIM_TOKEN:?set SCIM_TOKEN to the bearer token}"',
        "scim_id() { python3 -c 'import json,sys; print(json.load(sys.stdin).get(\"id\",\"\"))'; }",
    ]
    ids: dict[str, str] = {}
    for exchange in exchanges:
        lines.append("")
        outcome = (
            f"{exchange.status} {exchange.reason}".strip() if exchange.status is not None
            else f"no answer ({exchange.error})"
        )
        lines.append(f"# #{exchange.index} {exchange.label} → recorded answer: {outcome}".rstrip())
        command, body = _command(exchange, base, ids)
        heredoc = f" <<{_BODY_END}" if body is not None else ""
        tail = f"\n{body}\n{_BODY_END}" if body is not None else ""
        new_id = _assigned_id(exchange)
        if new_id and new_id not in ids:
            name = f"ID{len(ids) + 1}"
            ids[new_id] = name
            lines.append(f"{name}=$({command}{heredoc} | scim_id{tail}\n)")
            lines.append(f'echo "{name}=${{{name}}}"')
        else:
            lines.append(f"{command}{heredoc}{tail}")
    return "\n".join(lines) + "\n"


def _assigned_id(exchange: Exchange) -> str | None:
    if exchange.method != "POST" or not exchange.ok:
        return None
    body = exchange.json()
    new_id = body.get("id") if isinstance(body, dict) else None
    return new_id if isinstance(new_id, str) and len(new_id) >= 4 else None


def _substitute(text: str, ids: dict[str, str]) -> str:
    for value, name in ids.items():
        text = text.replace(value, f"${{{name}}}")
    return text


def _url(exchange: Exchange, base: str, ids: dict[str, str]) -> str:
    tail = exchange.url[len(base):] if exchange.url.startswith(base) else exchange.url
    escaped = tail.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$").replace("`", "\\`")
    return f'"$SCIM_URL{_substitute(escaped, ids)}"'


def _command(exchange: Exchange, base: str, ids: dict[str, str]) -> tuple[str, str | None]:
    """The curl command line, and the body to feed it on standard input (if any)."""
    parts: list[str] = ["curl -sS -w '\\n'", f"-X {exchange.method}", _url(exchange, base, ids)]
    for name, value in exchange.request_headers.items():
        if name.lower() in _SKIPPED_HEADERS:
            continue
        parts.append(f"-H {shlex.quote(f'{name}: {value}')}")
    if exchange.request_headers.get("Authorization") or any(
        k.lower() == "authorization" for k in exchange.request_headers
    ):
        parts.append('-H "Authorization: Bearer $SCIM_TOKEN"')
    # curl adds these unless told not to; Entra sends neither on its requests
    parts += ["-H 'User-Agent:'", "-H 'Accept:'"] if "Accept" not in exchange.request_headers \
        else ["-H 'User-Agent:'"]
    if exchange.request_body is None:
        return " ".join(parts), None
    parts.append("--data-binary @-")
    return " ".join(parts), _heredoc(exchange.request_body, ids)


def _heredoc(body: str, ids: dict[str, str]) -> str:
    """The body for an unquoted here-document: only the captured ids expand."""
    with contextlib.suppress(ValueError):
        body = json.dumps(json.loads(body), ensure_ascii=False, indent=2)
    escaped = body.replace("\\", "\\\\").replace("$", "\\$").replace("`", "\\`")
    return _substitute(escaped, ids)


def chain_of(exchanges: Sequence[Exchange], start: int) -> list[Exchange]:
    """The exchanges recorded since index ``start`` (a transport's exchange count)."""
    return list(exchanges[start:])
