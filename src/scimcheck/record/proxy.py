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

The proxy forwards only inside its upstream (:mod:`scimcheck.record.forward_target`): a request
target that would reach another host or leave the upstream's base path is answered with a SCIM
error (400 or 403), never sent, and logged. A request body larger than the transport accepts
is answered 413; an upstream answer larger than that, or slower than Entra's 60 seconds, 502;
a client that drips its request is cut off (``ReferenceServer(request_deadline_s=…)``).
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import yaml
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Request, Response

from scimcheck.core.errors import ForwardError, Refused
from scimcheck.http import redaction
from scimcheck.http.extra_headers import ExtraHeader
from scimcheck.http.forwarder import Forwarded, Forwarder
from scimcheck.http.redaction import one_line
from scimcheck.http.transport import DEADLINE_GRACE_S, ENTRA_TIMEOUT_S, MAX_BODY_BYTES
from scimcheck.record.forward_target import Upstream, forward_url
from scimcheck.report.results import public_url
from scimcheck.server.app import BASE_PATH

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

    from scimcheck.http.auth import Authorizer

CHECK = "recorded.same-status"
_HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
    "transfer-encoding", "upgrade", "host", "content-length", "content-encoding",
})
REQUEST_DEADLINE_S = ENTRA_TIMEOUT_S + DEADLINE_GRACE_S
"""How long a client may take to send one request (line, headers, body), as the transport
gives an answer: serve the proxy with ``ReferenceServer(request_deadline_s=…)``."""
_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class TrafficRecorder:
    """The WSGI app of the proxy: forward, answer, record. ``log`` gets one line per refused
    request (control characters escaped)."""

    def __init__(
        self, upstream: str, out: Path, verify: bool | str = True,
        log: Callable[[str], None] = _stderr, auth: Authorizer | None = None, *,
        proxy: str | None = None, headers: tuple[ExtraHeader, ...] = (),
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self._auth = auth
        """OAuth client credentials for the upstream (``--oauth-token-url``): a request that
        carries a token is forwarded with the upstream's access token instead."""
        self._upstream = Upstream.parse(self.upstream)
        self._log = log
        self.out = out
        self.steps: list[dict[str, Any]] = []
        self.ids: dict[str, str] = {}
        self._lock = threading.Lock()
        self._forwarder = Forwarder(verify=verify, timeout_s=ENTRA_TIMEOUT_S, proxy=proxy)
        self._extra = {header.name: header.value for header in headers}  # --header
        self._replaced = {name.lower() for name in self._extra}
        self._started = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        self._write()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        request.max_content_length = MAX_BODY_BYTES
        raw = str(environ.get("RAW_URI") or request.full_path)
        credentials = request.headers.get("Authorization", "").partition(" ")[2].strip()
        redaction.register(credentials)  # never written, nor anything that repeats it
        try:
            url = forward_url(raw, self._upstream, BASE_PATH)
            declared = request.content_length or 0
            body = request.get_data()
            if declared > len(body) or len(body) > MAX_BODY_BYTES:  # the server dropped it
                raise Refused(413, "the request body is larger than this proxy forwards")
        except Refused as refused:
            return self._refuse(request, raw, refused, environ, start_response)
        except RequestEntityTooLarge:
            too_large = Refused(413, f"the request body is larger than "
                                     f"{MAX_BODY_BYTES // (1024 * 1024)} MiB")
            return self._refuse(request, raw, too_large, environ, start_response)
        headers = {k: v for k, v in request.headers.items()
                   if k.lower() not in _HOP_BY_HOP and k.lower() not in self._replaced}
        headers.update(self._extra)
        if self._auth is not None and "Authorization" in headers:
            headers["Authorization"] = self._auth.authorization() or headers["Authorization"]
        try:
            answer = self._forwarder.forward(request.method, url, headers, body)
        except ForwardError as exc:
            return _error(502, f"scimcheck record: {exc}")(environ, start_response)
        with self._lock:
            self._record(request, body, answer)
            self._write()
        passed = [(k, v) for k, v in answer.headers if k.lower() not in _HOP_BY_HOP]
        response = Response(answer.content, status=answer.status, headers=passed)
        return response(environ, start_response)

    def _refuse(
        self, request: Request, raw: str, refused: Refused, environ: WSGIEnvironment,
        start_response: StartResponse,
    ) -> Iterable[bytes]:
        """Answer a request that is not forwarded, and say so in the log."""
        self._log(one_line(f"scimcheck record: refused {request.method} {raw!r} "
                           f"({refused.status}): {refused.reason}; nothing was forwarded"))
        detail = f"scimcheck record: {refused.reason}; nothing was forwarded"
        return _error(refused.status, detail)(environ, start_response)

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
        text += yaml.dump(self.document(), Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                          width=100)
        partial = self.out.with_name(self.out.name + ".part")
        redaction.write_text(partial, text)
        os.replace(partial, self.out)


def _error(status: int, detail: str) -> Response:
    """A SCIM error answer (RFC 7644 §3.12)."""
    return Response(
        json.dumps({"schemas": [_ERROR], "status": str(status), "detail": detail}),
        status=status, content_type="application/scim+json",
    )


class _Dumper(yaml.SafeDumper):
    """A string holding a character that is not printable (a control character, NEL, U+2028,
    a format character …) is written double-quoted, where the emitter escapes it: a plain or
    single-quoted scalar would carry it raw, and a reader folds NEL into a space (YAML 1.1
    §5.4), so the replay would send something else than what was recorded."""


def _string(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value,
                                   style=None if value.isprintable() else '"')


_Dumper.add_representer(str, _string)
