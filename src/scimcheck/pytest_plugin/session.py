"""The plugin's session hooks: the run state and run id at configure time, and an interrupt
(Ctrl-C, SIGTERM) pytest can print."""

from __future__ import annotations

import os
import secrets
from typing import Any

import pytest

from scimcheck.pytest_plugin.collector import RunCollector
from scimcheck.pytest_plugin.configure import _verify
from scimcheck.pytest_plugin.options import STATE_KEY
from scimcheck.settings.run import RUN_ID_ENV, RUN_SEED_ENV
from scimcheck.settings.state import RunState


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
    if config.getoption("scim_url") or os.environ.get("SCIM_URL"):
        _show_bare_node_ids(config)


def _show_bare_node_ids(config: pytest.Config) -> None:
    """The terminal names a SCIM item by its node id (``user-lifecycle.yaml::legacy``), as
    JUnit, results.json, ``-k`` and ``--lf`` do, not prefixed by the path from the working
    directory up and down to the bundled suites (``../../…/site-packages/…/suites/``)."""
    relative: Any = config.cwd_relative_nodeid

    def shown(nodeid: Any) -> Any:
        path = relative(nodeid)
        return nodeid if str(path).startswith("..") else path

    config.cwd_relative_nodeid = shown  # type: ignore[method-assign]

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
