"""``scimcheck load``: Entra's provisioning cycles at a target rate, on Locust.

Importing this module imports Locust, which monkey-patches the process for gevent: only
``scimcheck load`` (and its distributed workers) import it, never the rest of scimcheck.

The requests go out on geventhttpclient, the client of Locust's ``FastHttpUser``, driven
directly so that they carry Entra's headers and nothing else (docs/entra.md §1.0):
``Authorization: Bearer``, ``Content-Type: application/scim+json; charset=utf-8`` on writes,
no ``Accept``, no ``Accept-Encoding``, no ``User-Agent`` (FastHttpUser's session would add the
last two). Each answer is reported to Locust's statistics (so its distributed master and web UI
see it) and to :class:`scimcheck.load.report.WindowRecorder` (the verdict's windows).

Pacing: each of the ``concurrency`` connections sends at most one request every
``concurrency / rate`` seconds, one at a time, so the offered rate is ``rate`` in all and an
endpoint slower than the interval gets less: the achieved rate is what it can sustain at
that concurrency. What a run creates it deletes at the end (by the ids its tagged creates
answered, then a sweep for its run tag,
:mod:`scimcheck.scim.cleanup`), also after Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import random
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

import gevent
from geventhttpclient import HTTPClient
from locust import User, argument_parser, constant, task
from locust.env import Environment
from locust.runners import MasterRunner, Runner, WorkerRunner

from scimcheck import TOKEN_ENV
from scimcheck.core import exitcodes
from scimcheck.http import redaction
from scimcheck.http.transport import MAX_BODY_BYTES, SCIM_JSON, Transport, TransportConfig
from scimcheck.load import html as load_html
from scimcheck.load import report as load_report
from scimcheck.load.launch import Options
from scimcheck.load.plan import Answer, Created, LoadSettings, LoadStep, Plan, Wait, split
from scimcheck.scim import cleanup, ownership

if TYPE_CHECKING:
    import ssl

REPORT_NAME = "load.json"
PAGE_NAME = "load.html"
WAIT_POLL_S = 0.05
_SETTINGS_OPTION = "scimcheck_settings"
_STARTED_OPTION = "scimcheck_started"


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
    _next_user: Iterator[int] = field(default_factory=itertools.count)

    @classmethod
    def build(cls, settings: LoadSettings, base_url: str, token: str | None, verify: bool | str,
              started: float, worker_index: int = 0, workers: int = 1) -> LoadRun:
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
                   plans, worker_index)

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
            ssl_context_factory=_ssl_context(self.verify),
        )
        with contextlib.suppress(KeyError):
            del client.default_headers["User-Agent"]
        return client


def _ssl_context(verify: bool | str) -> Callable[..., ssl.SSLContext]:
    def factory(*_args: Any, **_kwargs: Any) -> ssl.SSLContext:
        import ssl  # after gevent's patch (module docstring)

        context = ssl.create_default_context(cafile=verify if isinstance(verify, str) else None)
        if verify is False:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    return factory


_RUNS: dict[int, LoadRun] = {}
"""The run of each Locust environment in this process (by ``id(environment)``)."""


class EntraUser(User):
    """One of Entra's connections: takes the next job of its tenant's plan and sends it."""

    wait_time = constant(0)

    def on_start(self) -> None:
        run = _RUNS[id(self.environment)]
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
        headers: dict[str, str] = {}
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


# --- the command --------------------------------------------------------------------------------
class _Interrupted(Exception):
    pass


def main(argv: list[str] | None = None) -> int:
    """``python -m scimcheck.load.run OPTIONS_JSON`` (:mod:`scimcheck.load.launch` starts it)."""
    import logging
    import os

    args = sys.argv[1:] if argv is None else argv
    options = Options.from_json(args[0])
    token = os.environ.get(TOKEN_ENV) or None
    # this process's own outputs (load.json, its lines, Locust's log) are cleaned of secrets
    with redaction.registered(token, *redaction.url_secrets(options.url)), \
            redaction.redacted_std_streams():
        redaction.install_log_redaction()
        logging.basicConfig(level=logging.WARNING, format="locust: %(message)s")
        return run(options, token)


def run(options: Options, token: str | None) -> int:
    """``scimcheck load``: the whole command; its exit code."""
    if options.worker:
        return _worker(options, token)
    stop = _StopSignal()
    with stop.installed(), _target(options, token) as (url, token):
        from scimcheck.scim import preflight

        problem = preflight.problem(url, token, options.timeout_s, verify=options.verify)
        if problem is not None:
            print(f"scimcheck: {redaction.for_terminal(problem)}", file=sys.stderr)
            return exitcodes.TARGET_UNAVAILABLE
        return _load(options, url, token, stop)


class _StopSignal:
    """SIGTERM (and Ctrl-C, as KeyboardInterrupt) end the load early; cleanup still runs."""

    def __init__(self) -> None:
        self.stopped = False

    def set(self) -> None:
        self.stopped = True

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        handler = None
        with contextlib.suppress(ValueError):  # not the main thread: leave signals alone
            handler = gevent.signal_handler(signal.SIGTERM, self.set)
        try:
            yield
        finally:
            if handler is not None:
                handler.cancel()


@contextlib.contextmanager
def _target(options: Options, token: str | None) -> Iterator[tuple[str, str | None]]:
    """The URL under load, or the embedded reference server in a process of its own (so it
    gets a core of its own, untouched by gevent)."""
    if options.url:
        yield options.url, token
        return
    import os
    import secrets

    token = token or secrets.token_urlsafe(24)
    redaction.register(token)
    process = subprocess.Popen(
        [sys.executable, "-m", "scimcheck", "serve", "--host", "127.0.0.1", "--port", "0"],
        env={**os.environ, TOKEN_ENV: token}, stdout=subprocess.PIPE, text=True,
        start_new_session=True,  # Ctrl-C stops the load, not the server cleanup talks to
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        found = re.search(r" at (http://\S+) ", line)
        if found is None:
            raise RuntimeError(f"the embedded reference server did not start: {line.strip()!r}")
        print(f"scimcheck: loading the embedded reference server at {found[1]}", flush=True)
        yield found[1], token
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _locust_options(settings: LoadSettings, started: float, workers: int) -> Any:
    """Locust's parsed options plus scimcheck's, which a master forwards to its workers."""
    parser = argument_parser.get_empty_argument_parser()
    argument_parser.setup_parser_arguments(parser)  # type: ignore[no-untyped-call]
    parsed = parser.parse_args([])
    parsed.headless = True
    parsed.expect_workers = workers
    setattr(parsed, _SETTINGS_OPTION, settings.to_json())
    setattr(parsed, _STARTED_OPTION, started)
    return parsed


def _load(options: Options, url: str, token: str | None, stop: _StopSignal) -> int:
    import secrets

    settings = LoadSettings(
        run_id=secrets.token_hex(4), users=options.users, groups=options.groups,
        rate=options.rate, duration_s=options.duration_s, tenants=options.tenants,
        concurrency=options.concurrency, seed=options.seed, timeout_s=options.timeout_s,
    )
    workers = options.expect_workers if options.master else 1
    print(f"scimcheck: run tag {settings.tag}; {settings.users} users and {settings.groups} "
          f"groups per tenant, {settings.tenants} tenant(s); offering {settings.rate:g} req/s "
          f"over {settings.concurrency} connection(s) for {settings.duration_s:g} s "
          f"(seed {settings.seed})", flush=True)
    if settings.rate < settings.required_rps:
        print(f"scimcheck: warning: the offered rate {settings.rate:g} req/s is below Entra's "
              f"{settings.required_rps:g} req/s for {settings.tenants} tenant(s); the verdict "
              "cannot pass", file=sys.stderr, flush=True)
    environment = Environment(user_classes=[EntraUser], host=url)
    started_at = datetime.now(UTC)
    started = time.time()
    environment.parsed_options = _locust_options(settings, started, workers)
    run = LoadRun.build(settings, url, token, options.verify, started)
    _RUNS[id(environment)] = run
    worker_notes: list[str] = []
    interrupted = False
    runner: Runner
    try:
        if options.master:
            runner = _start_master(environment, options, run, worker_notes, stop)
            started = time.time()
            run.recorder.started = started
            environment.parsed_options.scimcheck_started = started
        else:
            runner = environment.create_local_runner()
        runner.start(settings.concurrency, spawn_rate=settings.concurrency)
        deadline = started + settings.duration_s
        while time.time() < deadline and not stop.stopped:
            gevent.sleep(min(0.25, max(0.0, deadline - time.time())))
        interrupted = stop.stopped
    except KeyboardInterrupt:
        interrupted = True
    except _Interrupted:
        return exitcodes.INTERRUPTED
    elapsed = min(time.time() - started, settings.duration_s)
    try:
        runner.stop()
        if isinstance(runner, MasterRunner):
            gevent.sleep(4)  # one more report from every worker (Locust reports every 3 s)
        runner.quit()
    except KeyboardInterrupt:
        interrupted = True
    problems, left = _clean_up(url, token, options, settings, run.created())
    summary = load_report.Summary(run.recorder.window_s, elapsed if interrupted else
                                  settings.duration_s, run.recorder.windows,
                                  settings.required_rps, settings.rate)
    verdict = summary.verdict()
    steps = _by_step(environment)
    print(load_report.table(summary, steps))
    report_path = Path(options.report_dir) / REPORT_NAME
    document: dict[str, Any] = {
        "target": url,
        "embedded": not options.url,
        "run_id": settings.run_id,
        "started": started_at.isoformat(timespec="seconds"),
        "settings": {
            "users_per_tenant": settings.users, "groups_per_tenant": settings.groups,
            "tenants": settings.tenants, "offered_rps": settings.rate,
            "concurrency": settings.concurrency, "duration_s": settings.duration_s,
            "seed": settings.seed, "workers": workers if options.master else 0,
            "window_s": summary.window_s,
        },
        "interrupted": interrupted,
        "required_rps": settings.required_rps,
        "verdict": "pass" if verdict.passed else "fail",
        "verdict_line": verdict.line,
        "steady": {"seconds": summary.steady_s, **_steady(summary)},
        "windows": summary.rows,
        "steps": steps,
        "cleanup": {"problems": problems + worker_notes, "left_behind": left},
    }
    load_report.write(report_path, document)
    page_path = report_path.with_name(PAGE_NAME)
    redaction.write_text(page_path, load_html.render(document))
    for note in worker_notes:
        print(f"scimcheck: {redaction.for_terminal(note)}", file=sys.stderr)
    for problem in problems:
        print(f"scimcheck: could not delete {redaction.for_terminal(problem)}", file=sys.stderr)
    print(f"scimcheck: report: {report_path}, {page_path}")
    if interrupted:
        print("scimcheck: interrupted; what the run created was deleted", file=sys.stderr)
        return exitcodes.INTERRUPTED
    print(verdict.line)
    return exitcodes.OK if verdict.passed else exitcodes.CHECKS_FAILED


def _steady(summary: load_report.Summary) -> dict[str, Any]:
    window = summary.steady
    seconds = summary.steady_s
    return {
        "requests": window.requests,
        "rps": round(window.requests / seconds, 2) if seconds else 0.0,
        "p50_ms": window.percentile(0.5), "p95_ms": window.percentile(0.95),
        "p99_ms": window.percentile(0.99), "failures": window.failures,
        "throttled_429": window.throttled,
    }


def _by_step(environment: Environment) -> list[dict[str, Any]]:
    rows = []
    for (name, method), entry in sorted(environment.stats.entries.items()):
        if not entry.num_requests:
            continue
        rows.append({
            "name": name, "method": method, "requests": entry.num_requests,
            "failures": entry.num_failures,
            "p50_ms": entry.get_response_time_percentile(0.5),
            "p95_ms": entry.get_response_time_percentile(0.95),
            "p99_ms": entry.get_response_time_percentile(0.99),
        })
    return rows


def _clean_up(url: str, token: str | None, options: Options, settings: LoadSettings,
              created: list[Created]) -> tuple[list[str], int]:
    """Delete what this process created (by id), then sweep the run tag; the problems, and
    how many tagged resources are still there afterwards."""
    problems = _delete_created(url, token, options, settings, created)
    config = TransportConfig(url, token, options.timeout_s, verify=options.verify)
    with Transport(config) as transport:
        found = cleanup.find(transport, settings.run_id)
        problems += cleanup.delete(transport, found.leftovers)
        problems += found.notes
        problems += [f"{kept.reason}: {', '.join(x.path for x in kept.leftovers)}"
                     for kept in found.kept]
        again = cleanup.find(transport, settings.run_id)
        left = len(again.leftovers) + sum(len(k.leftovers) for k in again.kept if k.unread)
    if created or found.leftovers:
        print(f"scimcheck: cleanup: deleted {len(created)} created resource(s) by id and "
              f"{len(found.leftovers)} more found by the run tag; {left} left", flush=True)
    return problems, left


def _delete_created(url: str, token: str | None, options: Options, settings: LoadSettings,
                    created: list[Created]) -> list[str]:
    config = TransportConfig(url, token, options.timeout_s, verify=options.verify)
    with ownership.guarded(config, settings.tag) as transport:
        leftovers = []
        for item in created:
            if transport.claim(item.path, item.name):
                leftovers.append(cleanup.Leftover(item.path, item.name, settings.run_id))
        return cleanup.delete(transport, leftovers)


# --- distributed: Locust's master and workers ---------------------------------------------------
def _start_master(environment: Environment, options: Options, run: LoadRun,
                  notes: list[str], stop: _StopSignal) -> MasterRunner:
    runner = environment.create_master_runner(options.master_bind_host, options.master_port)

    def on_worker_report(client_id: str, data: dict[str, Any]) -> None:
        run.recorder.merge(data.get("scimcheck_windows", {}))
        notes.extend(data.get("scimcheck_problems", []))

    environment.events.worker_report.add_listener(on_worker_report)  # type: ignore[no-untyped-call]
    print(f"scimcheck: waiting for {options.expect_workers} worker(s) on "
          f"{options.master_bind_host}:{options.master_port}", flush=True)
    while len(runner.clients.ready) < options.expect_workers:
        if stop.stopped:
            runner.quit()
            raise _Interrupted
        gevent.sleep(0.2)
    return runner


def _worker(options: Options, token: str | None) -> int:
    """A Locust worker: runs what its master sends until the master quits."""
    environment = Environment(user_classes=[EntraUser])
    runner: WorkerRunner = environment.create_worker_runner(options.master_host,
                                                            options.master_port)
    state: dict[str, LoadRun] = {}

    def on_test_start(environment: Environment, **_kwargs: Any) -> None:
        settings = LoadSettings.from_json(getattr(environment.parsed_options, _SETTINGS_OPTION))
        started = float(getattr(environment.parsed_options, _STARTED_OPTION))
        assert environment.host is not None
        state["run"] = _RUNS[id(environment)] = LoadRun.build(
            settings, environment.host, token, options.verify, started,
            worker_index=max(runner.worker_index, 0),
            workers=int(getattr(environment.parsed_options, "expect_workers", 1) or 1),
        )

    def on_test_stop(environment: Environment, **_kwargs: Any) -> None:
        run = state.get("run")
        if run is None or environment.host is None:
            return
        problems = _delete_created(environment.host, token, options, run.settings,
                                   run.created())
        state["problems"] = problems  # type: ignore[assignment]

    def on_report(client_id: str, data: dict[str, Any]) -> None:
        run = state.get("run")
        if run is not None:
            data["scimcheck_windows"] = run.recorder.take_unsent()
        problems: Any = state.pop("problems", None)
        if problems:
            data["scimcheck_problems"] = [f"worker {runner.worker_index}: {p}" for p in problems]

    environment.events.test_start.add_listener(on_test_start)  # type: ignore[no-untyped-call]
    environment.events.test_stop.add_listener(on_test_stop)  # type: ignore[no-untyped-call]
    environment.events.report_to_master.add_listener(on_report)  # type: ignore[no-untyped-call]
    print(f"scimcheck: worker connected to {options.master_host}:{options.master_port}; "
          "waiting for the master", flush=True)
    try:
        runner.greenlet.join()
    except KeyboardInterrupt:
        runner.quit()
        return exitcodes.INTERRUPTED
    return exitcodes.OK


if __name__ == "__main__":
    raise SystemExit(main())
