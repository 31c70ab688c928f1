"""Clean outputs: a run's secrets never reach the terminal, the logs, junit.xml or report.html
(docs/cli.md, "Secrets and terminal output"), and plain pytest says loudly when TLS
verification is off."""

from __future__ import annotations

import contextlib
import os

import pytest

from scimcheck.pytest_plugin.configure import _option, _verify, extra_headers
from scimcheck.pytest_plugin.options import OUTPUTS_KEY


def guard_outputs(config: pytest.Config) -> None:
    """Once SCIM items run in this process, every output of it is cleaned of the run's secrets
    (token, URL password), and its log records of control characters (docs/cli.md, "Secrets
    and terminal output"): log records at creation, the terminal at pytest's writer, and in an
    xdist worker its own stdout/stderr. Undone at ``pytest_unconfigure``."""
    from scimcheck.http import redaction

    if OUTPUTS_KEY in config.stash:
        return
    url = _option(config, "scim_url", "SCIM_URL")
    stack = config.stash[OUTPUTS_KEY] = contextlib.ExitStack()
    from scimcheck.http.oauth import SHARED_TOKEN_ENV
    from scimcheck.settings.oauth import CLIENT_SECRET_ENV

    shared = os.environ.get(SHARED_TOKEN_ENV, "")  # "<expires_at> <token>"
    stack.enter_context(redaction.registered(
        _option(config, "scim_token", "SCIM_TOKEN"), *redaction.url_secrets(url),
        os.environ.get(CLIENT_SECRET_ENV), shared.partition(" ")[2] or None,
        *_connection_secrets(config),
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


def _connection_secrets(config: pytest.Config) -> list[str]:
    """The proxy's password and the secret headers' values (a bad one is judged later)."""
    from scimcheck.core.errors import ConfigError
    from scimcheck.http import proxy_url

    found = proxy_url.secrets(_option(config, "scim_proxy", "SCIM_PROXY"))
    with contextlib.suppress(ConfigError, pytest.UsageError):
        found += [header.value for header in extra_headers(config) if header.secret]
    return found


def pytest_unconfigure(config: pytest.Config) -> None:
    """Sweep the files other plugins wrote (junit.xml, report.html) for a secret they may have
    copied from somewhere scimcheck did not clean, then undo :func:`guard_outputs`."""
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
