"""``scimcheck record``: a recording reverse proxy that writes traffic as a sequence file.

Point a client (a real Entra tenant, or ``scimcheck run``) at the proxy's URL; every request is
forwarded to the upstream SCIM endpoint unchanged, the answer is passed back unchanged, and the
exchange is appended to a sequence file (docs/sequences.md) that ``scimcheck replay`` and the
suites (``--scim-sequences``) accept:

- ``Authorization`` is never written (a replay sends its own token); ``auth: false`` marks a
  request that came without one;
- an id the endpoint assigned in answer to a POST is captured (``{id1}``) and substituted
  wherever later requests use it, so the sequence replays on a fresh endpoint; created
  resources are deleted after the replay unless the recording deleted them;
- each answer's status becomes an expectation of ``recorded.same-status``.

The file is rewritten after every exchange, so an interrupted recording is still complete.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import yaml
from werkzeug.wrappers import Request, Response

from scimcheck import redaction
from scimcheck.results import public_url
from scimcheck.server.app import BASE_PATH
from scimcheck.transport import Forwarded, Forwarder, ForwardError

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

CHECK = "recorded.same-status"
_HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
    "transfer-encoding", "upgrade", "host", "content-length", "content-encoding",
})
_UPSTREAM_TIMEOUT_S = 60.0  # Entra's own limit (entra-behavior.md §1.0)


class Recorder:
    """The WSGI app of the proxy: forward, answer, record."""

    def __init__(self, upstream: str, out: Path, verify: bool | str = True) -> None:
        self.upstream = upstream.rstrip("/")
        self.out = out
        self.steps: list[dict[str, Any]] = []
        self.ids: dict[str, str] = {}
        self._lock = threading.Lock()
        self._forwarder = Forwarder(verify=verify, timeout_s=_UPSTREAM_TIMEOUT_S)
        self._started = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        self._write()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        raw = str(environ.get("RAW_URI") or request.full_path)
        tail = raw[len(BASE_PATH):] if raw.startswith(BASE_PATH) else raw
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        body = request.get_data()
        credentials = request.headers.get("Authorization", "").partition(" ")[2].strip()
        redaction.register(credentials)  # never written, nor anything that repeats it
        try:
            answer = self._forwarder.forward(request.method, self.upstream + tail, headers, body)
        except ForwardError as exc:
            response = Response(
                json.dumps({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                            "status": "502", "detail": f"scimcheck record: {exc}"}),
                status=502, content_type="application/scim+json",
            )
            return response(environ, start_response)
        with self._lock:
            self._record(request, body, answer)
            self._write()
        passed = [(k, v) for k, v in answer.headers if k.lower() not in _HOP_BY_HOP]
        response = Response(answer.content, status=answer.status, headers=passed)
        return response(environ, start_response)

    # --- the sequence file -------------------------------------------------------------------

    def _record(self, request: Request, body: bytes, answer: Forwarded) -> None:
        path = request.path[len(BASE_PATH):] if request.path.startswith(BASE_PATH) else \
            request.path
        step: dict[str, Any] = {
            "name": f"{len(self.steps) + 1:03d} {request.method} {path}",
            "request": {"method": request.method, "path": self._ids_in(path)},
        }
        query = {k: self._ids_in(v) for k, v in request.args.items()}
        if query:
            step["request"]["query"] = query
        if request.headers.get("Authorization") is None:
            step["request"]["auth"] = False
        if body:
            with contextlib.suppress(ValueError, RecursionError):  # JSON bodies only
                step["request"]["body"] = self._ids_in(json.loads(body))
        if request.method == "PATCH":
            step["request"]["deliberately_invalid"] = True  # replay exactly what was sent
        answered = answer.json()
        new_id = answered.get("id") if isinstance(answered, dict) else None
        if request.method == "POST" and answer.ok and isinstance(new_id, str) and new_id:
            name = f"id{len(self.ids) + 1}"
            self.ids.setdefault(new_id, name)
            step["capture"] = {self.ids[new_id]: "body.id"}
            step["created"] = f"{path.rstrip('/')}/{{{self.ids[new_id]}}}"
        if request.method == "DELETE" and answer.ok:
            step["deleted"] = self._ids_in(path)
        step["expect"] = [{
            "check": CHECK, "status": [answer.status],
            "message": f"recorded answer: {answer.status} {answer.reason}",
        }]
        self.steps.append(step)

    def _ids_in(self, value: Any) -> Any:
        if isinstance(value, str):
            for known, name in self.ids.items():
                value = value.replace(known, f"{{{name}}}")
            return value
        if isinstance(value, list):
            return [self._ids_in(v) for v in value]
        if isinstance(value, dict):
            return {k: self._ids_in(v) for k, v in value.items()}
        return value

    def document(self) -> dict[str, Any]:
        """The sequence recorded so far."""
        host = urlsplit(self.upstream).hostname or "upstream"
        return {
            "id": f"recorded-{host.replace('.', '-')}"[:60].lower(),
            "title": f"Traffic recorded in front of {public_url(self.upstream)}",
            "source": f"scimcheck record, started {self._started}",
            "dialects": "none",
            "steps": self.steps or [{"name": "nothing recorded yet"}],
        }

    def _write(self) -> None:
        text = "# Written by 'scimcheck record'; replay with 'scimcheck replay FILE [URL]'.\n"
        text += yaml.safe_dump(self.document(), sort_keys=False, allow_unicode=True, width=100)
        partial = self.out.with_name(self.out.name + ".part")
        redaction.write_text(partial, text)
        os.replace(partial, self.out)
