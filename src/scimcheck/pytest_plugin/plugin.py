"""The scimcheck pytest plugin (registered through the ``pytest11`` entry point as ``scimcheck``).

It adds the ``--scim-*`` options and the fixtures the suites use (``scim``, ``scim_dialect``,
``scim_users``, ``scim_factories``, ``scim_sequence_file``, ``scim_capabilities``), turns failed
checks into clean test failures, carries every verdict on the test report (so JUnit and
pytest-xdist see them), and writes ``results.json``. It is inert unless SCIM suites are
collected. Heavy imports happen inside hooks, not at import time.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import secrets
import zlib
from collections.abc import Generator, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from scimcheck.core.errors import (
    DEADLINE_REACHED,
    ConformanceFailure,
    RunStopped,
    SequenceAborted,
    SequenceFileError,
)
from scimcheck.settings.run import (
    DEFAULT_DEADLINE_S,
    DEFAULT_EXAMPLES,
    RUN_ID_ENV,
    RUN_SEED_ENV,
    Settings,
)
from scimcheck.settings.state import RunState

if TYPE_CHECKING:
    from scimcheck.entra.dialects import Dialect
    from scimcheck.entra.userdata import UserFactory
    from scimcheck.generate.search import Budget
    from scimcheck.http.transport import Exchange
    from scimcheck.scim.capabilities import Capabilities
    from scimcheck.sequences.interpreter import Factories
    from scimcheck.sequences.runner import Sequence
    from scimcheck.settings.options import Option

SCIM_FIXTURES = {"scim", "scim_dialect", "scim_users", "scim_factories", "scim_sequence_file"}
OUTPUTS_KEY = pytest.StashKey[contextlib.ExitStack]()
SETTINGS_KEY = pytest.StashKey[Settings]()
STATE_KEY = pytest.StashKey[RunState]()
SEQUENCE_KEY = pytest.StashKey["Sequence"]()
STOPPED_KEY = pytest.StashKey[str]()
STARTED_INPUT = "scimcheck_started"
"""The controller's start time, handed to pytest-xdist workers: one run deadline for all."""


def pytest_addoption(parser: pytest.Parser) -> None:
    """The ``--scim-*`` options; each also reads an environment variable."""
    group = parser.getgroup("scimcheck", "SCIM conformance (scimcheck)")
    group.addoption("--scim-url", default=None,
                    help="SCIM base URL of the endpoint under test (env SCIM_URL).")
    group.addoption("--scim-token", default=None,
                    help="Bearer token. Prefer the SCIM_TOKEN environment variable: a flag value "
                    "shows up in process lists.")
    group.addoption("--scim-profile", default=None,
                    help="Attribute-mapping profile: a bundled name or a file (env SCIM_PROFILE; "
                    "default entra-app).")
    group.addoption("--scim-dialect", default=None, choices=("legacy", "compliant", "both"),
                    help="Entra PATCH dialect(s) to replay (env SCIM_DIALECT; default both).")
    group.addoption("--scim-strict", action="store_true", default=None,
                    help="Fail the run on rfc-should checks too (env SCIM_STRICT=1).")
    group.addoption("--scim-timeout", default=None, type=float,
                    help="Seconds to wait for each response (env SCIM_TIMEOUT; default 60, "
                    "Entra's limit).")
    group.addoption("--scim-seed", default=None, type=int,
                    help="Seed for generated users (env SCIM_SEED; default random, shown).")
    group.addoption("--scim-examples", default=None, type=int, metavar="N",
                    help="Hypothesis examples per generated-user property (env SCIM_EXAMPLES; "
                    f"default {DEFAULT_EXAMPLES}; 0 skips the properties).")
    group.addoption("--scim-shards", default=1, type=int, metavar="N",
                    help="Split each generated-user property into N items, each searching "
                    "1/N of the examples from a seed derived from the run's seed and its index, "
                    "so pytest-xdist workers can share them (`scimcheck run` sets 4; default 1).")
    group.addoption("--scim-max-rps", default=None, type=float, metavar="N",
                    help="Send at most N requests per second per process (env SCIM_MAX_RPS).")
    group.addoption("--scim-retry-budget", default=None, type=float, metavar="SECONDS",
                    help="Most time to wait in all for Retry-After on 429/503 (env "
                    "SCIM_RETRY_BUDGET; default 120).")
    group.addoption("--scim-deadline", default=None, type=float, metavar="SECONDS",
                    help="Start no test after this many seconds; the rest are reported as not "
                    f"evaluated, cleanup still runs (env SCIM_DEADLINE; default "
                    f"{DEFAULT_DEADLINE_S:g}).")
    group.addoption("--scim-ca-bundle", default=None, metavar="PATH",
                    help="Trust the CA certificate(s) in this PEM file for the target's TLS "
                    "certificate (env SCIM_CA_BUNDLE).")
    group.addoption("--scim-insecure", action="store_true", default=None,
                    help="Do not verify the target's TLS certificate (env SCIM_INSECURE=1); "
                    "test servers only.")
    group.addoption("--scim-sequence-file", default=None, metavar="FILE",
                    help="Replay only this sequence file (scimcheck replay uses it).")
    group.addoption("--scim-verbose", action="store_true", default=False,
                    help="Print every request and answer as it happens (use with -s).")
    group.addoption("--scim-sequences", action="append", default=[], metavar="DIR",
                    help="Also replay the sequence files in DIR (repeatable; docs/sequences.md).")
    group.addoption("--scim-results", default=None, metavar="PATH",
                    help="Write results.json (check verdicts) to PATH.")
    group.addoption("--scim-baseline", default=None, metavar="PATH",
                    help="An earlier run's results.json: classify each finding as new, fixed "
                    "or still failing (results.json, report.html, the terminal summary).")
    group.addoption("--scim-junit", default=None, metavar="PATH",
                    help="Write JUnit XML with one test case per check to PATH (pytest's own "
                    "--junitxml has one per test item).")
    group.addoption("--scim-embedded", action="store_true", default=False,
                    help=argparse.SUPPRESS)
    group.addoption("--scim-preflight-done", action="store_true", default=False,
                    help=argparse.SUPPRESS)  # `scimcheck run` probed the target already


def pytest_configure(config: pytest.Config) -> None:
    """Create the run state; give every xdist worker the same run id."""
    import datetime
    import time

    state = RunState(
        started=time.time(),
        started_iso=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    )
    config.stash[STATE_KEY] = state
    if not os.environ.get(RUN_ID_ENV):
        os.environ[RUN_ID_ENV] = secrets.token_hex(4)
    if not os.environ.get(RUN_SEED_ENV):  # one random seed for the controller and every worker
        os.environ[RUN_SEED_ENV] = str(secrets.randbelow(2**31))
    config.addinivalue_line("markers", "scim: a SCIM conformance sequence (scimcheck)")
    if _verify(config, strict=False) is False:  # one warning from us, not one per request
        from scimcheck.http import tls

        config.addinivalue_line("filterwarnings", tls.INSECURE_WARNING_FILTER)
    if not hasattr(config, "workerinput"):
        config.pluginmanager.register(RunCollector(config), "scimcheck-collector")


def _option(config: pytest.Config, name: str, env: str) -> Any:
    value = config.getoption(name)
    if value is None:
        value = os.environ.get(env) or None
    return value


def _value(config: pytest.Config, option: Option) -> Any:
    """``option`` resolved once by the settings layer (``--scim-NAME`` > its variable >
    default, scimcheck.settings.options); a bad value is a usage error."""
    from scimcheck.core.errors import ConfigError
    from scimcheck.settings import options

    try:
        return options.resolve(option, config.getoption(option.plugin_dest), os.environ,
                               flag=option.plugin_flag)
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None


def _deadline(config: pytest.Config) -> float:
    """The run deadline in seconds: positive and finite (results.json records it)."""
    from scimcheck.settings import options

    return float(_value(config, options.DEADLINE))


def _per_worker(config: pytest.Config, rate: float | None) -> float | None:
    """A run-wide request rate split evenly over pytest-xdist workers."""
    workers = int(getattr(config, "workerinput", {}).get("workercount", 1))
    return None if rate is None else rate / max(workers, 1)


def _verify(config: pytest.Config, strict: bool = True) -> bool | str:
    """TLS verification: --scim-ca-bundle / --scim-insecure > SCIM_CA_BUNDLE / SCIM_INSECURE >
    on. A bad value is a usage error (``strict``) or, before the options are judged, ``True``."""
    from scimcheck.core.errors import ConfigError
    from scimcheck.http import tls

    try:
        return tls.resolve(
            config.getoption("scim_ca_bundle"), config.getoption("scim_insecure"), os.environ,
            ca_flag="--scim-ca-bundle", insecure_flag="--scim-insecure",
        )
    except ConfigError as exc:
        if strict:
            raise pytest.UsageError(str(exc)) from None
        return True


def _dialects(config: pytest.Config) -> tuple[Dialect, ...]:
    from scimcheck.entra import dialects
    from scimcheck.settings import options

    return dialects.parse_choice(_value(config, options.DIALECT))


def resolve_settings(config: pytest.Config) -> Settings:
    """Read the options once; a bad value is a usage error naming the fix."""
    if SETTINGS_KEY in config.stash:
        return config.stash[SETTINGS_KEY]
    from scimcheck.core.errors import ConfigError
    from scimcheck.http.transport import ENTRA_TIMEOUT_S
    from scimcheck.scim import profiles
    from scimcheck.settings import options

    url = _value(config, options.URL)
    if not url:
        raise pytest.UsageError(
            "no SCIM endpoint given: pass --scim-url URL (or set SCIM_URL); "
            "`scimcheck run` with no URL tests the embedded reference server"
        )
    token = _value(config, options.TOKEN)
    try:
        profile = profiles.load(_value(config, options.PROFILE))
        options.check_environment((options.STRICT,), os.environ)  # even under --scim-strict
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    seed = _value(config, options.SEED)
    settings = Settings(
        base_url=str(url).rstrip("/"),
        token=token,
        profile=profile,
        dialects=_dialects(config),
        strict=bool(_value(config, options.STRICT)),
        timeout_s=_value(config, options.TIMEOUT) or ENTRA_TIMEOUT_S,
        seed=int(os.environ[RUN_SEED_ENV]) if seed is None else int(seed),
        run_id=os.environ[RUN_ID_ENV],
        results_path=config.getoption("scim_results"),
        embedded=bool(config.getoption("scim_embedded")),
        examples=int(_value(config, options.EXAMPLES)),
        max_rps=_per_worker(config, _value(config, options.MAX_RPS)),
        retry_budget_s=float(_value(config, options.RETRY_BUDGET)),
        verify=_verify(config),
        deadline_s=_deadline(config),
    )
    started = getattr(config, "workerinput", {}).get(STARTED_INPUT, config.stash[STATE_KEY].started)
    settings.stop_at = float(started) + settings.deadline_s
    if settings.profile.source == "auto":  # --profile auto: read /Schemas once
        from scimcheck.scim import auto_profile

        settings.profile = auto_profile.resolve(settings.transport_config())
    config.stash[SETTINGS_KEY] = settings
    return settings


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One item per Entra dialect for sequences that take ``dialect``."""
    if "scim_sequence_file" in metafunc.fixturenames:
        metafunc.parametrize(
            ("scim_sequence_file", "scim_dialect"), _sequence_params(metafunc.config)
        )
    elif "scim_dialect" in metafunc.fixturenames:
        chosen = _dialects(metafunc.config)
        metafunc.parametrize("scim_dialect", list(chosen), ids=[d.value for d in chosen])
    shards = metafunc.config.getoption("scim_shards")
    if "scim_budget" in metafunc.fixturenames and shards > 1:
        metafunc.parametrize("scim_shard", range(shards), indirect=True,
                             ids=[f"shard{n + 1}of{shards}" for n in range(shards)])


def _sequence_params(config: pytest.Config) -> list[Any]:
    """One item per sequence file and dialect; a broken file is one item that errors."""
    from pathlib import Path

    from scimcheck.sequences import files as sequence_files

    only = config.getoption("scim_sequence_file")
    if only:
        try:
            chosen: list[Any] = [sequence_files.load(Path(only))]
        except SequenceFileError as exc:
            chosen = [exc]
        return _params_for(config, chosen)
    directories = [sequence_files.default_directory()]
    for extra in config.getoption("scim_sequences") or []:
        path = Path(extra)
        if not path.is_dir():
            raise pytest.UsageError(f"--scim-sequences {extra!r} is not a directory")
        directories.append(path)
    return _params_for(config, sequence_files.load_all(directories))


def _params_for(config: pytest.Config, files: Iterable[Any]) -> list[Any]:

    params: list[Any] = []
    for loaded in files:
        if isinstance(loaded, SequenceFileError):
            name = str(loaded).split(":", 1)[0]
            params.append(pytest.param(loaded, None, id=f"broken-file:{name}"))
        elif loaded.dialects == "none":
            params.append(pytest.param(loaded, None, id=loaded.id))
        else:
            params += [
                pytest.param(loaded, d, id=f"{loaded.id}-{d.value}") for d in _dialects(config)
            ]
    return params


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Mark SCIM sequences, and probe the target once before any of them runs."""
    scim_items = [
        item for item in items if SCIM_FIXTURES & set(getattr(item, "fixturenames", ()))
    ]
    if not scim_items:
        return
    config.stash[STATE_KEY].collected_scim = True
    _guard_outputs(config)
    for item in scim_items:
        item.add_marker(pytest.mark.scim)
    settings = resolve_settings(config)
    if not hasattr(config, "workerinput") and not config.getoption("scim_preflight_done"):
        _preflight(settings)
    # The suites, pytest and every library they use are loaded now and live as long as the
    # run: the garbage collector need not walk them again (a full collection of that heap
    # costs ~50 ms, and a run makes several; benchmarks/harness_overhead.py)
    gc.freeze()


def _guard_outputs(config: pytest.Config) -> None:
    """Once SCIM items run in this process, every output of it is cleaned of the run's secrets
    (token, URL password), and its log records of control characters (docs/cli.md, "Secrets
    and terminal output"): log records at creation, the terminal at pytest's writer, and in an
    xdist worker its own stdout/stderr. Undone at ``pytest_unconfigure``."""
    from scimcheck.http import redaction

    if OUTPUTS_KEY in config.stash:
        return
    url = _option(config, "scim_url", "SCIM_URL")
    stack = config.stash[OUTPUTS_KEY] = contextlib.ExitStack()
    stack.enter_context(redaction.registered(
        _option(config, "scim_token", "SCIM_TOKEN"), *redaction.url_secrets(url)
    ))
    redaction.install_log_redaction()
    stack.callback(redaction.uninstall_log_redaction)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    writer = getattr(reporter, "_tw", None)
    if writer is not None and hasattr(writer, "_file"):
        writer._file = redaction.wrap_stream(writer._file)
        stack.callback(writer._file.flush)
    if hasattr(config, "workerinput"):
        stack.enter_context(redaction.redacted_std_streams())


def pytest_unconfigure(config: pytest.Config) -> None:
    """Sweep the files other plugins wrote (junit.xml, report.html) for a secret they may have
    copied from somewhere scimcheck did not clean, then undo :func:`_guard_outputs`."""
    stack = config.stash.get(OUTPUTS_KEY, None)
    if stack is None:
        return
    from scimcheck.http import redaction

    if not hasattr(config, "workerinput"):
        redaction.sweep_file(getattr(config.option, "xmlpath", None))
        redaction.sweep_file(getattr(config.option, "htmlpath", None))
    stack.close()
    del config.stash[OUTPUTS_KEY]


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Under plain pytest, the loud line that TLS verification is off (``scimcheck run`` prints
    it itself and passes --no-header)."""
    if _verify(config, strict=False) is not False:
        return []
    from scimcheck.http import tls

    return [tls.insecure_warning("--scim-insecure / SCIM_INSECURE")]


def _preflight(settings: Settings) -> None:
    """Entra's Test Connection query with the token: unreachable or refused → exit code 3."""
    from scimcheck.core import exitcodes
    from scimcheck.scim import preflight

    problem = preflight.problem(
        settings.base_url, settings.token, settings.timeout_s, verify=settings.verify
    )
    if problem is not None:
        from scimcheck.http.redaction import for_terminal

        pytest.exit(for_terminal(problem), returncode=exitcodes.TARGET_UNAVAILABLE)


@pytest.fixture(scope="session")
def scim_settings(request: pytest.FixtureRequest) -> Settings:
    """The resolved ``--scim-*`` settings."""
    return resolve_settings(request.config)


@pytest.fixture(scope="session")
def scim_capabilities(scim_settings: Settings) -> Capabilities:
    """/ServiceProviderConfig, read once per run (per worker under xdist)."""
    from scimcheck.http.transport import Transport
    from scimcheck.scim import capabilities

    config = scim_settings.transport_config()
    with Transport(config) as transport:
        return capabilities.discover(transport)


@pytest.fixture
def scim(request: pytest.FixtureRequest, scim_settings: Settings) -> Iterator[Sequence]:
    """A fresh sequence bound to the target; cleans up what it created, always."""
    from scimcheck.scim.cleanup import interruptions_held
    from scimcheck.scim.ownership import guarded
    from scimcheck.sequences.runner import Sequence

    dialect = request.node.callspec.params.get("scim_dialect") if hasattr(
        request.node, "callspec"
    ) else None
    show = None
    if request.config.getoption("scim_verbose"):
        from scimcheck.report.transcript import render_exchange

        def show(exchange: Exchange) -> None:
            from scimcheck.http.redaction import for_terminal

            print("\n" + for_terminal(render_exchange(exchange), multiline=True), flush=True)

    transport = guarded(scim_settings.transport_config(), scim_settings.tag, on_exchange=show)
    sequence = Sequence(transport, dialect=dialect, strict=scim_settings.strict)
    sequence.stop_at, sequence.stop_reason = scim_settings.stop_at, scim_settings.stop_reason
    request.node.stash[SEQUENCE_KEY] = sequence
    try:
        yield sequence
    finally:
        with interruptions_held():  # a Ctrl-C now waits until the cleanup is done
            problems = sequence.cleanup()
            transport.close()
            from scimcheck.http.redaction import for_terminal

            for problem in problems:  # the endpoint's words, printed in pytest's summary
                request.node.warn(
                    pytest.PytestWarning(f"scimcheck cleanup: {for_terminal(problem)}")
                )


@pytest.fixture
def scim_sequence_file(request: pytest.FixtureRequest) -> Any:
    """The sequence file an item replays (parametrized from fixtures/sequences/)."""
    return request.param


@pytest.fixture
def scim_factories(request: pytest.FixtureRequest, scim_settings: Settings) -> Factories:
    """Users and groups under the profile, tagged with the run id, seeded per test."""
    from scimcheck.core.errors import ConfigError
    from scimcheck.entra.userdata import GroupFactory, UserFactory
    from scimcheck.sequences.interpreter import Factories

    seed = scim_settings.seed ^ zlib.crc32(request.node.nodeid.encode())
    try:
        return Factories(
            users=UserFactory(scim_settings.profile, scim_settings.tag, seed),
            groups=GroupFactory(scim_settings.profile, scim_settings.tag, seed + 1),
        )
    except ConfigError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def scim_budget(scim_settings: Settings, scim_shard: tuple[int, int]) -> Budget:
    """How hard the generated-user properties search; skips them when the budget is 0. A
    shard searches its share of the examples from a seed derived from the run's seed and its
    index alone, so a serial and a parallel run with one seed search the same examples."""
    from scimcheck.generate.search import Budget, shard_examples

    if scim_settings.examples == 0:
        pytest.skip("generated-user properties skipped: --scim-examples 0")
    shard, shards = scim_shard
    return Budget(
        examples=shard_examples(scim_settings.examples, shard, shards),
        seed=scim_settings.seed,
        dialects=scim_settings.dialects,
        shard=shard,
        shards=shards,
    )


@pytest.fixture
def scim_shard(request: pytest.FixtureRequest) -> tuple[int, int]:
    """(this item's shard, shards) of a generated-user property; (0, 1) unsharded."""
    shards: int = request.config.getoption("scim_shards")
    return int(getattr(request, "param", 0)), max(shards, 1)


@pytest.fixture
def scim_dialect(request: pytest.FixtureRequest) -> Dialect:
    """The Entra dialect this item replays (parametrized by ``--scim-dialect``)."""
    value: Dialect = request.param
    return value


@pytest.fixture
def scim_users(scim_factories: Factories) -> UserFactory:
    """Generates users under the profile, tagged with the run id, seeded per test."""
    return scim_factories.users


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Past the run deadline, a SCIM test is not started: skipped as not evaluated."""
    if item.get_closest_marker("scim") is None:
        return
    settings = resolve_settings(item.config)
    import time

    if settings.stop_at is not None and time.time() >= settings.stop_at:
        item.stash[STOPPED_KEY] = settings.stop_reason
        pytest.skip(settings.stop_reason)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """Fail the item when a check at a failing level failed (checks themselves are soft); a
    test stopped early (``RunStopped``) is skipped as not evaluated unless it failed first."""
    aborted: str | None = None
    stopped: str | None = None
    try:
        yield
    except SequenceAborted as exc:
        aborted = str(exc)
    except RunStopped as exc:
        stopped = str(exc)
        item.stash[STOPPED_KEY] = stopped
    sequence = item.stash.get(SEQUENCE_KEY, None)
    if sequence is None:
        if aborted:
            raise SequenceAborted(aborted)
        if stopped:
            pytest.skip(stopped)
        return
    from scimcheck.sequences.runner import describe_failures

    failures = sequence.run_failures()
    if failures or aborted:
        text = describe_failures(failures)
        if aborted or stopped:
            text += f"\n(sequence stopped early: {aborted or stopped})"
        raise ConformanceFailure(text)
    if stopped:
        pytest.skip(stopped)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Put verdicts and the transcript on the report; show our failures without a traceback."""
    report = yield
    stopped = item.stash.get(STOPPED_KEY, None)
    if stopped is not None:  # said once, on the report of the phase that stopped
        del item.stash[STOPPED_KEY]
        report.scimcheck_not_evaluated = stopped  # type: ignore[attr-defined]
    sequence = item.stash.get(SEQUENCE_KEY, None)
    if sequence is not None and call.when == "teardown":
        # every request the test sent, its cleanup included (exchanges may have been trimmed)
        report.scimcheck_requests = sequence.transport.sent  # type: ignore[attr-defined]
        # items live as long as the run: a test's answers must not (its report has them)
        del item.stash[SEQUENCE_KEY]
    if sequence is None or call.when != "call":
        _clean_report(report)
        return report
    if call.excinfo is not None:
        if call.excinfo.errisinstance(ConformanceFailure):
            report.longrepr = str(call.excinfo.value)
        elif not call.excinfo.errisinstance(pytest.skip.Exception):
            report.scimcheck_harness_error = True  # type: ignore[attr-defined]
    if sequence.failures():
        from scimcheck.report import repro

        sequence.evaluations = repro.attach(sequence, item.nodeid)
    labels = {x.index: x.label for x in sequence.transport.exchanges if x.label}
    evaluations = [
        {
            "id": e.check.id,
            "passed": e.passed,
            "message": e.message,
            "dialect": e.dialect,
            "exchange": e.exchange,
            **({"step": labels[e.exchange]} if not e.passed and e.exchange in labels else {}),
            **({"repro": e.repro} if e.repro else {}),
            **({} if e.evaluated else {"evaluated": False}),
            **({"workaround": e.workaround} if e.workaround and e.evaluated else {}),
        }
        for e in sequence.evaluations
    ]
    report.scimcheck_evaluations = evaluations  # type: ignore[attr-defined]
    report.scimcheck_retries = [  # type: ignore[attr-defined]
        sequence.transport.retries, round(sequence.transport.retry_wait_s, 3),
    ]
    report.scimcheck_transcript = [  # type: ignore[attr-defined]
        x.shortened().to_dict() for x in sequence.transport.exchanges  # reports live all run
    ]
    # junitxml writes properties from the teardown report, which copies item.user_properties.
    for check_id, outcome in _per_check(evaluations).items():
        item.user_properties.append((f"check:{check_id}", outcome))
    _attach_html_extras(report, sequence)
    _clean_report(report)
    return report


def _clean_report(report: pytest.TestReport) -> None:
    """What pytest, junit.xml and report.html show of a test, cleaned before any of them sees
    it: secrets redacted everywhere, control characters escaped in what reaches a terminal
    (the failure text and captured output). A traceback that needs neither is left as is."""
    from scimcheck.http.redaction import current, for_terminal

    if isinstance(report.longrepr, tuple):  # a skip: (file, line, reason)
        path, line, reason = report.longrepr
        report.longrepr = (path, line, for_terminal(reason, multiline=True))
    elif report.longrepr is not None:
        text = str(report.longrepr)
        if for_terminal(text, multiline=True) != text:
            report.longrepr = for_terminal(text, multiline=True)
    report.sections = [
        (title, for_terminal(content, multiline=True)) for title, content in report.sections
    ]
    redactor = current()
    if redactor:
        report.user_properties = [
            (redactor.redact(str(k)), redactor.redact_data(v)) for k, v in report.user_properties
        ]
        for extra in getattr(report, "extras", []):
            if isinstance(extra, dict) and isinstance(extra.get("content"), str):
                extra["content"] = redactor.redact(extra["content"])


def _per_check(evaluations: list[dict[str, Any]]) -> dict[str, str]:
    from scimcheck.checks import registry as checks

    # a failure outweighs a pass, which outweighs a pass only with a workaround (a diagnostic
    # retry changed Entra's request), which outweighs "not evaluated" (a precondition failed)
    rank = ("not evaluated", "workaround", "passed", "failed")
    found: dict[str, str] = {}
    for e in evaluations:
        now = "failed" if not e["passed"] else (
            "not evaluated" if not e.get("evaluated", True)
            else "workaround" if e.get("workaround") else "passed")
        before = found.get(e["id"], now)
        found[e["id"]] = max(before, now, key=rank.index)
    outcome: dict[str, str] = {}
    for check_id, verdict in found.items():
        check = checks.get(check_id)
        outcome[check_id] = f"{verdict} | {check.level} | {check.capability}"
    return outcome


def _attach_html_extras(report: pytest.TestReport, sequence: Sequence) -> None:
    try:
        from pytest_html import extras
    except ImportError:  # pragma: no cover - pytest-html is a dependency
        return
    from scimcheck.report.html import checks_table, inline_block
    from scimcheck.report.transcript import render_text

    text = render_text(sequence.transport.exchanges)
    existing = list(getattr(report, "extras", []))
    if sequence.evaluations:
        existing.append(extras.html(checks_table(sequence.evaluations)))
    existing.append(extras.html(inline_block("Transcript", text, copy=True)))
    for evaluation in sequence.evaluations:
        if evaluation.repro:
            existing.append(extras.html(inline_block(
                f"Replay {evaluation.check.id} (curl)", evaluation.repro, copy=True
            )))
    report.extras = existing  # type: ignore[attr-defined]


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_table_html(report: pytest.TestReport, data: list[str]) -> None:
    """A skipped test's log in report.html is its reason as a sentence, not pytest's
    (path, line, reason) tuple with a site-packages path."""
    longrepr = report.longrepr
    if report.skipped and isinstance(longrepr, tuple) and len(longrepr) == 3:
        from html import escape

        data[:] = [escape(f"Not run: {str(longrepr[2]).removeprefix('Skipped: ')}")]


@pytest.hookimpl(tryfirst=True)
def pytest_keyboard_interrupt(excinfo: pytest.ExceptionInfo[BaseException]) -> None:
    """Make a Ctrl-C or SIGTERM printable before pytest renders it.

    Python 3.11 leaves some traceback entries without a line number (an interrupt landing in
    a generator expression, as in ``typing``'s protocol checks that every ``requests`` call
    makes); pytest's renderer crashes on them, turning a clean interrupt (exit 130, cleanup
    done) into a traceback and exit 1. Those entries are dropped.
    """
    seen: set[int] = set()
    error: BaseException | None = excinfo.value
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        tb = error.__traceback__
        while tb is not None and tb.tb_next is not None:
            if tb.tb_next.tb_lineno is None:
                tb.tb_next = tb.tb_next.tb_next
            else:
                tb = tb.tb_next
        error = error.__cause__ or error.__context__
    excinfo.traceback = type(excinfo.traceback)(excinfo.tb)


class RunCollector:
    """Gathers verdicts and outcomes on the controller (works under pytest-xdist)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.state = config.stash[STATE_KEY]
        self.baseline: dict[str, Any] | None = None
        self.final: dict[str, Any] | None = None
        path = config.getoption("scim_baseline")
        if path:
            from pathlib import Path

            from scimcheck.core.errors import ConfigError
            from scimcheck.report import baseline

            try:
                self.baseline = baseline.load(Path(path), "--scim-baseline")
            except ConfigError as exc:
                raise pytest.UsageError(str(exc)) from None

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Collect the verdicts each test report carries, and count outcomes."""
        if not self.state.collected_scim and "scim" in report.keywords:
            # under pytest-xdist the workers collect: the first SCIM report says it ran here
            resolve_settings(self.config)
            _guard_outputs(self.config)
            self.state.collected_scim = True
        evaluations = getattr(report, "scimcheck_evaluations", None)
        if evaluations:
            self.state.evaluations.extend({**e, "test": report.nodeid} for e in evaluations)
        stopped = getattr(report, "scimcheck_not_evaluated", None)
        if stopped:
            self.state.not_evaluated.append({"test": report.nodeid, "reason": str(stopped)})
            self.state.deadline_reached |= str(stopped).startswith(DEADLINE_REACHED)
        sent = getattr(report, "scimcheck_requests", None)
        if sent is not None:
            self.state.requests[report.nodeid] = int(sent)
        retried = getattr(report, "scimcheck_retries", None)
        if retried:
            self.state.retries += int(retried[0])
            self.state.retry_wait_s += float(retried[1])
        tests = self.state.tests
        if getattr(report, "scimcheck_harness_error", False):
            tests["errors"] += 1
        elif report.when == "call":
            key = "passed" if report.passed else "failed" if report.failed else "skipped"
            tests[key] += 1
        elif report.failed:
            tests["errors"] += 1
        elif report.skipped and report.when == "setup":
            tests["skipped"] += 1

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """Give each pytest-xdist worker the run's start, so all share one deadline."""
        node.workerinput[STARTED_INPUT] = self.state.started

    def _document(self) -> dict[str, Any] | None:
        """The results document; once the session has finished, the one built then (the HTML
        summary and the terminal summary come after it, and nothing changes it any more)."""
        if self.final is not None:
            return self.final
        settings = self.config.stash.get(SETTINGS_KEY, None)
        if settings is None or not self.state.collected_scim:
            return None
        from scimcheck.report import baseline, results

        document = results.build(settings, self.state)
        if self.baseline is not None:
            baseline.attach(document, self.baseline, str(self.config.getoption("scim_baseline")))
        return document

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        """Write results.json and the per-check junit.xml."""
        settings = self.config.stash.get(SETTINGS_KEY, None)
        document = self.final = self._document()
        junit = self.config.getoption("scim_junit")
        if document is not None and junit:
            from scimcheck.http import redaction
            from scimcheck.report import junit as junit_checks

            redaction.write_text(junit, junit_checks.render(document).decode("utf-8"))
        if document is not None and settings is not None and settings.results_path:
            from pathlib import Path

            from scimcheck.report import repro, results

            results.write(settings.results_path, document)
            folder = Path(settings.results_path).parent / "repro"
            for stale in repro.files_in(folder):  # a report directory shows one run
                stale.unlink()
            repro.write(document, folder, settings.profile.source, settings.examples,
                        self.config.getoption("scim_shards"))

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_report_title(self, report: Any) -> None:
        """The page is scimcheck's: its name and version now, the verdict and target at the
        end (pytest-html asks at the start of the session)."""
        from scimcheck import __version__

        self.html_report = report
        report.title = f"scimcheck {__version__}"

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_summary(
        self, prefix: list[str], summary: list[str], postfix: list[str], session: Any
    ) -> None:
        """The Entra readiness summary on top of report.html, and the page's title."""
        document = self._document()
        if document is not None:
            from scimcheck.report import html as report_html

            prefix.extend(report_html.summary(document))
            report = getattr(self, "html_report", None)
            if report is not None:
                report.title = report_html.title(document)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """A scimcheck run's report has no Python/plugin environment table (pytest-metadata's):
        the readiness summary says what was tested, with what."""
        if not self.config.getoption("scim_junit"):  # plain pytest keeps its own report
            return
        try:
            from pytest_metadata.plugin import metadata_key  # type: ignore[import-untyped]
        except ImportError:  # pragma: no cover - pytest-html depends on it
            return
        self.config.stash[metadata_key].clear()

    def pytest_terminal_summary(self, terminalreporter: Any, exitstatus: int) -> None:
        """The verdict by capability, in Entra's terms, after pytest's own summary."""
        document = self._document()
        if document is None:
            return
        from scimcheck.http.redaction import for_terminal
        from scimcheck.report import results

        for line in results.summary_lines(document):
            terminalreporter.write_line(for_terminal(line))
        if self.state.cleanup_problems:
            settings = self.config.stash[SETTINGS_KEY]
            terminalreporter.write_line(
                f"  ! {self.state.cleanup_problems} resource(s) this run created may be left on "
                f"the endpoint (see the warnings above); remove them with: scimcheck cleanup "
                f"{results.public_url(settings.base_url)} --run-id {settings.run_id}"
            )

    def pytest_warning_recorded(self, warning_message: Any, when: str, nodeid: str,
                                location: Any) -> None:
        """Count cleanup problems (workers' warnings arrive here too under pytest-xdist)."""
        if str(getattr(warning_message, "message", "")).startswith("scimcheck cleanup:"):
            self.state.cleanup_problems += 1
