"""Settings resolution: the ``--scim-*`` options (flag > environment variable > default) read
once into :class:`~scimcheck.settings.run.Settings`; a bad value is a usage error."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import pytest

from scimcheck.pytest_plugin.options import SETTINGS_KEY, STARTED_INPUT, STATE_KEY
from scimcheck.settings.run import (
    DEFAULT_DEADLINE_S,
    DEFAULT_EXAMPLES,
    RUN_ID_ENV,
    RUN_SEED_ENV,
    Settings,
)

if TYPE_CHECKING:
    from scimcheck.core.numeric import Range
    from scimcheck.entra.dialects import Dialect


def _option(config: pytest.Config, name: str, env: str) -> Any:
    value = config.getoption(name)
    if value is None:
        value = os.environ.get(env) or None
    return value


def _number(
    config: pytest.Config, name: str, env: str, spec: Range, default: float | None
) -> float | None:
    """A numeric option (flag > variable > default) under ``spec`` (scimcheck.core.numeric);
    a bad value is a usage error."""
    value = _option(config, name, env)
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    try:
        return spec.parse(value) if isinstance(value, str) else spec.check(value)
    except ValueError:
        label = (f"{env}={value!r}" if isinstance(value, str)
                 else f"--{name.replace('_', '-')} {value}")
        raise pytest.UsageError(spec.message(label)) from None


def _deadline(config: pytest.Config) -> float:
    """The run deadline in seconds: positive and finite (results.json records it)."""
    from scimcheck.core import numeric

    seconds = _number(config, "scim_deadline", "SCIM_DEADLINE", numeric.RUN_DEADLINE,
                      DEFAULT_DEADLINE_S)
    return DEFAULT_DEADLINE_S if seconds is None else seconds


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

    choice = _option(config, "scim_dialect", "SCIM_DIALECT") or "both"
    if choice not in {"legacy", "compliant", "both"}:
        raise pytest.UsageError(f"SCIM_DIALECT={choice!r} is not one of legacy, compliant, both")
    return dialects.parse_choice(choice)


def resolve_settings(config: pytest.Config) -> Settings:
    """Read the options once; a bad value is a usage error naming the fix."""
    if SETTINGS_KEY in config.stash:
        return config.stash[SETTINGS_KEY]
    from scimcheck.core import numeric
    from scimcheck.core.errors import ConfigError
    from scimcheck.http import bearer, target_url
    from scimcheck.http.transport import ENTRA_TIMEOUT_S
    from scimcheck.scim import profiles

    url = _option(config, "scim_url", "SCIM_URL")
    if not url:
        raise pytest.UsageError(
            "no SCIM endpoint given: pass --scim-url URL (or set SCIM_URL); "
            "`scimcheck run` with no URL tests the embedded reference server"
        )
    try:
        target_url.check(str(url), "--scim-url")
        bearer.check(_option(config, "scim_token", "SCIM_TOKEN") or "",
                     "--scim-token / SCIM_TOKEN")
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    try:
        profile = profiles.load(_option(config, "scim_profile", "SCIM_PROFILE"))
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    strict_text = os.environ.get("SCIM_STRICT", "").strip().lower()
    if strict_text not in {"", "0", "false", "no", "1", "true", "yes"}:
        raise pytest.UsageError(f"SCIM_STRICT={strict_text!r} is not 1/true/yes or 0/false/no")
    strict_env = strict_text in {"1", "true", "yes"}
    seed = int(_number(config, "scim_seed", "SCIM_SEED", numeric.SEED,
                       int(os.environ[RUN_SEED_ENV])) or 0)
    examples = int(_number(config, "scim_examples", "SCIM_EXAMPLES", numeric.EXAMPLES,
                           DEFAULT_EXAMPLES) or 0)
    settings = Settings(
        base_url=str(url).rstrip("/"),
        token=_option(config, "scim_token", "SCIM_TOKEN"),
        profile=profile,
        dialects=_dialects(config),
        strict=bool(config.getoption("scim_strict")) or strict_env,
        timeout_s=_number(config, "scim_timeout", "SCIM_TIMEOUT", numeric.SECONDS, None)
        or ENTRA_TIMEOUT_S,
        seed=seed,
        run_id=os.environ[RUN_ID_ENV],
        results_path=config.getoption("scim_results"),
        embedded=bool(config.getoption("scim_embedded")),
        examples=examples,
        max_rps=_per_worker(
            config, _number(config, "scim_max_rps", "SCIM_MAX_RPS", numeric.RATE, None)
        ),
        retry_budget_s=_number(config, "scim_retry_budget", "SCIM_RETRY_BUDGET",
                               numeric.WAIT_BUDGET, 120.0) or 0.0,
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
