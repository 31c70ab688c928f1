"""Settings resolution: the ``--scim-*`` options (flag > environment variable > default) read
once into :class:`~scimcheck.settings.run.Settings`; a bad value is a usage error."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from scimcheck.pytest_plugin.options import SETTINGS_KEY, STARTED_INPUT, STATE_KEY
from scimcheck.settings.run import (
    RUN_ID_ENV,
    RUN_SEED_ENV,
    Settings,
)

if TYPE_CHECKING:
    from scimcheck.entra.dialects import Dialect
    from scimcheck.http.extra_headers import ExtraHeader
    from scimcheck.settings.options import Option


def _option(config: pytest.Config, name: str, env: str) -> Any:
    value = config.getoption(name)
    if value is None:
        value = os.environ.get(env) or None
    return value


@contextlib.contextmanager
def _usage_errors() -> Iterator[None]:
    """A bad value the settings layer refuses (``ConfigError``) is pytest's usage error."""
    from scimcheck.core.errors import ConfigError

    try:
        yield
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None


def _value(config: pytest.Config, option: Option) -> Any:
    """``option`` resolved once by the settings layer (``--scim-NAME`` > its variable >
    default, scimcheck.settings.options); a bad value is a usage error."""
    from scimcheck.settings import options

    with _usage_errors():
        return options.resolve(option, config.getoption(option.plugin_dest), os.environ,
                               flag=option.plugin_flag)


def _deadline(config: pytest.Config) -> float:
    """The run deadline in seconds: positive and finite (results.json records it)."""
    from scimcheck.settings import options

    return float(_value(config, options.DEADLINE))


def _per_worker(config: pytest.Config, rate: float | None) -> float | None:
    """A run-wide request rate split evenly over pytest-xdist workers."""
    workers = int(getattr(config, "workerinput", {}).get("workercount", 1))
    return None if rate is None else rate / max(workers, 1)


def _in_flight_per_worker(config: pytest.Config, in_flight: int) -> int:
    """A run-wide bound on requests in flight split over pytest-xdist workers (at least one
    each): ``-n 2 --in-flight 4`` sends at most two at once from each worker."""
    workers = int(getattr(config, "workerinput", {}).get("workercount", 1))
    return max(1, in_flight // max(workers, 1))


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


def _oauth(config: pytest.Config, timeout_s: float | None) -> Any:
    """OAuth client credentials (``--scim-oauth-token-url``, ``--scim-client-id``,
    ``SCIM_CLIENT_SECRET``…), or ``None``; a bad or missing one is a usage error."""
    from scimcheck.settings import oauth, options

    given = {o.name: config.getoption(o.plugin_dest) for o in (*options.OAUTH, options.PROXY)}
    with _usage_errors():
        return oauth.credentials(given, os.environ, plugin=True, timeout_s=timeout_s,
                                 verify=_verify(config))


def extra_headers(config: pytest.Config) -> tuple[ExtraHeader, ...]:
    """--scim-header and --scim-secret-header (else SCIM_HEADERS, SCIM_SECRET_HEADERS)."""
    from scimcheck.settings import options

    with _usage_errors():
        return options.extra_headers(config.getoption("scim_header"),
                                     config.getoption("scim_secret_header"), os.environ,
                                     plugin=True)


def _dialects(config: pytest.Config) -> tuple[Dialect, ...]:
    from scimcheck.entra import dialects
    from scimcheck.settings import options

    return dialects.parse_choice(_value(config, options.DIALECT))


def resolve_settings(config: pytest.Config) -> Settings:
    """Read the options once; a bad value is a usage error naming the fix."""
    if SETTINGS_KEY in config.stash:
        return config.stash[SETTINGS_KEY]
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
    with _usage_errors():
        profile = profiles.load(_value(config, options.PROFILE))
        options.check_environment((options.STRICT,), os.environ)  # even under --scim-strict
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
        in_flight=_in_flight_per_worker(config, int(_value(config, options.IN_FLIGHT))),
        retry_budget_s=float(_value(config, options.RETRY_BUDGET)),
        verify=_verify(config),
        deadline_s=_deadline(config),
        oauth=_oauth(config, timeout_s=_value(config, options.TIMEOUT)),
        proxy=_value(config, options.PROXY),
        headers=extra_headers(config),
    )
    started = getattr(config, "workerinput", {}).get(STARTED_INPUT, config.stash[STATE_KEY].started)
    settings.stop_at = float(started) + settings.deadline_s
    if settings.profile.source == "auto":  # --profile auto: read /Schemas once
        from scimcheck.scim import auto_profile

        settings.profile = auto_profile.resolve(settings.transport_config())
    config.stash[SETTINGS_KEY] = settings
    return settings
