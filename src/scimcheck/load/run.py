"""``scimcheck load``: Entra's provisioning cycles at a target rate, on Locust.

Importing this module imports Locust, which monkey-patches the process for gevent: only
``scimcheck load`` (and its distributed workers) import it, never the rest of scimcheck.

This module runs Locust (a local runner, or a distributed master or worker) with Entra's
connections (:mod:`scimcheck.load.connections`) against the target
(:mod:`scimcheck.load.embedded`), writes load.json and load.html, and deletes what the run
created (:mod:`scimcheck.load.teardown`), also after Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gevent
from locust import argument_parser
from locust.env import Environment
from locust.runners import MasterRunner, Runner, WorkerRunner

from scimcheck import TOKEN_ENV
from scimcheck.core import exitcodes
from scimcheck.http import redaction
from scimcheck.load import html as load_html
from scimcheck.load import report as load_report
from scimcheck.load.connections import RUNS, EntraUser, LoadRun
from scimcheck.load.embedded import load_target
from scimcheck.load.launch import Options
from scimcheck.load.plan import LoadSettings
from scimcheck.load.teardown import clean_up, delete_created

REPORT_NAME = "load.json"
PAGE_NAME = "load.html"
_SETTINGS_OPTION = "scimcheck_settings"
_STARTED_OPTION = "scimcheck_started"


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
    from scimcheck.http import proxy_url
    from scimcheck.settings import options as run_options

    # --proxy and --header came in the environment (launch.Options.environment), judged already
    options.proxy = run_options.resolve(run_options.PROXY, None, os.environ)
    options.headers = run_options.extra_headers(None, None, os.environ)
    secrets = [*proxy_url.secrets(options.proxy), *(h.value for h in options.headers if h.secret)]
    # this process's own outputs (load.json, its lines, Locust's log) are cleaned of secrets
    with redaction.registered(token, *redaction.url_secrets(options.url), *secrets), \
            redaction.redacted_std_streams():
        redaction.install_log_redaction()
        logging.basicConfig(level=logging.WARNING, format="locust: %(message)s")
        return run(options, token)


def run(options: Options, token: str | None) -> int:
    """``scimcheck load``: the whole command; its exit code."""
    if options.worker:
        return _worker(options, token)
    stop = _StopSignal()
    with stop.installed(), load_target(options, token) as (url, token):
        from scimcheck.entra import preflight

        problem = preflight.problem(url, token, options.timeout_s, verify=options.verify,
                                    proxy=options.proxy, headers=options.headers)
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
    run = LoadRun.build(settings, url, token, options.verify, started,
                        proxy=options.proxy, headers=options.headers)
    RUNS[id(environment)] = run
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
    problems, left = clean_up(url, token, options, settings, run.created())
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
        state["run"] = RUNS[id(environment)] = LoadRun.build(
            settings, environment.host, token, options.verify, started,
            worker_index=max(runner.worker_index, 0), proxy=options.proxy, headers=options.headers,
            workers=int(getattr(environment.parsed_options, "expect_workers", 1) or 1),
        )

    def on_test_stop(environment: Environment, **_kwargs: Any) -> None:
        run = state.get("run")
        if run is None or environment.host is None:
            return
        problems = delete_created(environment.host, token, options, run.settings,
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
