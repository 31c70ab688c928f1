"""Entra's connections as Locust users: each takes the next job of its tenant's plan and sends it.

The requests go out on geventhttpclient, the client of Locust's ``FastHttpUser``, driven
directly so that they carry Entra's headers and nothing else (docs/entra.md §1.0):
``Authorization: Bearer``, ``Content-Type: application/scim+json; charset=utf-8`` on writes,
no ``Accept``, no ``Accept-Encoding``, no ``User-Agent`` (FastHttpUser's session would add the
last two). Each answer is reported to Locust's statistics (so its distributed master and web UI
see it) and to :class:`scimcheck.load.report.WindowRecorder` (the verdict's windows).

Pacing: each of the ``concurrency`` connections sends at most one request every
``concurrency / rate`` seconds, one at a time, so the offered rate is ``rate`` in all and an
endpoint slower than the interval gets less: the achieved rate is what it can sustain at
that concurrency. Only a resource this run created is ever changed or deleted
(:mod:`scimcheck.scim.ownership`).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlencode, urlsplit

import gevent
from geventhttpclient import HTTPClient
from locust import User, constant, task

from scimcheck.http import redaction
from scimcheck.http.pools import proxy_for
from scimcheck.http.transport import MAX_BODY_BYTES, SCIM_JSON
from scimcheck.load import report as load_report
from scimcheck.load.plan import Answer, Created, LoadSettings, LoadStep, Plan, Wait, split
from scimcheck.scim import ownership

if TYPE_CHECKING:
    import ssl

    from scimcheck.http.extra_headers import ExtraHeader

WAIT_POLL_S = 0.05


class LoadFailure(Exception):
    """A request that failed, as Locust's statistics show it ("HTTP 429", "no answer: …")."""


@dataclass
class LoadRun:
    """What this process's Locust users share: the target, the plans and the recorder."""

    settings: LoadSettings
    base_url: str
    token: str | None
    verify: bool | str
    recorder: load_report.WindowRecorder
    plans: list[Plan]
    worker_index: int = 0
    proxy: str | None = None
    """``--proxy``, else the environment's proxy for the target (as requests chooses it)."""
    headers: dict[str, str] = field(default_factory=dict)
    """``--header``/``--secret-header``, added to every request."""
    _next_user: Iterator[int] = field(default_factory=itertools.count)

    @classmethod
    def build(cls, settings: LoadSettings, base_url: str, token: str | None, verify: bool | str,
              started: float, worker_index: int = 0, workers: int = 1, *,
              proxy: str | None = None, headers: tuple[ExtraHeader, ...] = ()) -> LoadRun:
        """Plans for every tenant, with this process's share of the users and groups."""
        plans = [
            Plan(f"{settings.tag}-t{tenant + 1}" if settings.tenants > 1 else settings.tag,
                 split(settings.users, workers, worker_index),
                 split(settings.groups, workers, worker_index),
                 settings.seed + 7919 * worker_index + 104729 * tenant, settings.profile)
            for tenant in range(settings.tenants)
        ]
        window = load_report.window_length(settings.duration_s)
        return cls(settings, base_url, token, verify, load_report.WindowRecorder(window, started),
                   plans, worker_index, proxy_for(base_url, proxy),
                   {header.name: header.value for header in headers})

    @property
    def interval_s(self) -> float:
        """The least time between two requests of one connection."""
        return self.settings.concurrency / self.settings.rate

    def next_plan(self) -> Plan:
        """The tenant the next connection works for (round robin)."""
        return self.plans[next(self._next_user) % len(self.plans)]

    def created(self) -> list[Created]:
        """Everything this process's creates made, every tenant."""
        return [item for plan in self.plans for item in plan.created]

    def client(self) -> HTTPClient:
        """A connection to the target that sends no header of its own (no User-Agent)."""
        client = HTTPClient.from_url(
            self.base_url, concurrency=1, network_timeout=self.settings.timeout_s,
            connection_timeout=min(10.0, self.settings.timeout_s),
            ssl_context_factory=_ssl_context(self.verify), **_proxy_options(self.proxy),
        )
        with contextlib.suppress(KeyError):
            del client.default_headers["User-Agent"]
        return client


def _proxy_options(proxy: str | None) -> dict[str, Any]:
    """geventhttpclient's arguments for sending through ``proxy`` (none: directly)."""
    if not proxy:
        return {}
    parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    return {"proxy_host": parts.hostname, "proxy_port": parts.port or 80,
            "proxy_user": unquote(parts.username) if parts.username else None,
            "proxy_password": unquote(parts.password) if parts.password else None}


def _ssl_context(verify: bool | str) -> Callable[..., ssl.SSLContext]:
    def factory(*_args: Any, **_kwargs: Any) -> ssl.SSLContext:
        import ssl  # after gevent's patch (module docstring)

        context = ssl.create_default_context(cafile=verify if isinstance(verify, str) else None)
        if verify is False:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    return factory


RUNS: dict[int, LoadRun] = {}
"""The run of each Locust environment in this process (by ``id(environment)``)."""


class EntraUser(User):
    """One of Entra's connections: takes the next job of its tenant's plan and sends it."""

    wait_time = constant(0)

    def on_start(self) -> None:
        run = RUNS[id(self.environment)]
        self.load = run
        self.plan = run.next_plan()
        self.interval = run.interval_s
        self.next_slot = time.monotonic() + random.uniform(0, self.interval)
        self.http = run.client()
        self.prefix = urlsplit(run.base_url).path.rstrip("/")

    def on_stop(self) -> None:
        self.http.close()

    @task
    def next_job(self) -> None:
        """Send one job (a match and a create, a PATCH) of the tenant's plan."""
        job = self.plan.next_job()
        if job is None:  # nothing left to change: every create failed
            gevent.sleep(self.interval)
            return
        answer: Answer | None = None
        try:
            while True:
                step = job.send(answer)
                if isinstance(step, Wait):
                    while not step.ready():
                        gevent.sleep(WAIT_POLL_S)
                    answer = None
                    continue
                answer = self.send(step)
        except StopIteration:
            pass

    def send(self, step: LoadStep) -> Answer | None:
        """Send one step at the next free slot of this connection; its answer."""
        if step.method in ownership.MUTATING and not self.plan.owns(step.path):
            return None  # never sent: not a resource this run created
        now = time.monotonic()
        slot = max(self.next_slot, now)
        if slot > now:
            gevent.sleep(slot - now)
        self.next_slot = slot + self.interval
        headers: dict[str, str] = dict(self.load.headers)
        if self.load.token:
            headers["Authorization"] = f"Bearer {self.load.token}"
        data = b""
        if step.body is not None:
            data = json.dumps(step.body, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = SCIM_JSON
        uri = self.prefix + step.path + (f"?{urlencode(step.params)}" if step.params else "")
        sent_at = time.time()
        started = time.perf_counter()
        status: int | None = None
        raw = b""
        error: str | None = None
        try:
            response = self.http.request(step.method, uri, body=data or None, headers=headers)
            try:
                status = response.status_code
                raw = _read_capped(response)
            finally:
                response.release()
        except gevent.GreenletExit:
            raise
        except Exception as exc:  # every network failure is a failed request, never a crash
            error = f"no answer: {type(exc).__name__}: {redaction.redact(str(exc))}"[:200]
        elapsed_ms = (time.perf_counter() - started) * 1000
        self.load.recorder.record(sent_at, elapsed_ms, status)
        failure = None
        if error is not None:
            failure = LoadFailure(error)
        elif status is None or not 200 <= status < 300:
            failure = LoadFailure(f"HTTP {status}")
        self.environment.events.request.fire(
            request_type=step.method, name=step.name, response_time=elapsed_ms,
            response_length=len(raw), response=None, context={}, exception=failure,
            start_time=sent_at, url=step.path,
        )
        body: Any = None
        if step.method == "POST" and raw:
            with contextlib.suppress(ValueError, RecursionError):
                body = json.loads(raw)
        return Answer(status, body, error)


def _read_capped(response: Any) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = response.read(65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise ValueError(f"answer larger than {MAX_BODY_BYTES} bytes")
