"""Collection of the Python suites: one item per Entra dialect (or shard), SCIM items marked,
and the target probed once before any of them runs (an unreachable target is exit code 3).
Sequence files are collected by :mod:`scimcheck.pytest_plugin.sequence_items`."""

from __future__ import annotations

import gc

import pytest

from scimcheck.pytest_plugin.configure import _dialects, resolve_settings
from scimcheck.pytest_plugin.options import SCIM_FIXTURES, STATE_KEY
from scimcheck.pytest_plugin.outputs import guard_outputs
from scimcheck.settings.run import Settings


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One item per Entra dialect for tests that take ``scim_dialect`` (sequence files get
    theirs from their collector, :mod:`scimcheck.pytest_plugin.sequence_items`); a
    generated-user property in ``--scim-shards`` items."""
    if "scim_dialect" in metafunc.fixturenames:
        chosen = _dialects(metafunc.config)
        metafunc.parametrize("scim_dialect", list(chosen), ids=[d.value for d in chosen])
    shards = metafunc.config.getoption("scim_shards")
    if "scim_budget" in metafunc.fixturenames and shards > 1:
        metafunc.parametrize("scim_shard", range(shards), indirect=True,
                             ids=[f"shard{n + 1}of{shards}" for n in range(shards)])


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
    guard_outputs(config)
    for item in scim_items:
        item.add_marker(pytest.mark.scim)
    settings = resolve_settings(config)
    if not hasattr(config, "workerinput") and not config.getoption("scim_preflight_done"):
        _preflight(settings)
    # The suites, pytest and every library they use are loaded now and live as long as the
    # run: the garbage collector need not walk them again (a full collection of that heap
    # costs ~50 ms, and a run makes several; benchmarks/harness_overhead.py)
    gc.freeze()

def _preflight(settings: Settings) -> None:
    """Entra's Test Connection query with the token: unreachable or refused → exit code 3."""
    from scimcheck.core import exitcodes
    from scimcheck.entra import preflight

    problem = preflight.problem(
        settings.base_url, settings.token, settings.timeout_s, verify=settings.verify,
        auth=settings.authorizer(),
        proxy=settings.proxy, headers=settings.headers,
    )
    if problem is not None:
        from scimcheck.http.redaction import for_terminal

        pytest.exit(for_terminal(problem), returncode=exitcodes.TARGET_UNAVAILABLE)
