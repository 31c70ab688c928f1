"""The scimcheck pytest plugin (registered through the ``pytest11`` entry point as ``scimcheck``).

It adds the ``--scim-*`` options and the fixtures the suites use (``scim``, ``scim_dialect``,
``scim_users``, ``scim_factories``, ``scim_capabilities``), collects the sequence files as
items (``user-lifecycle.yaml::legacy``), turns failed checks into clean test failures, carries
every verdict on the test report (so JUnit and pytest-xdist see them), and writes
``results.json``. It is inert unless SCIM suites are
collected. Heavy imports happen inside hooks, not at import time.

pytest finds hooks and fixtures by this module's attributes, so it imports each from the
module of its concern:

- ``options``: the ``--scim-*`` options and the stash keys;
- ``configure``: settings resolution (flag > environment variable > default);
- ``session``: the run state at configure time, printable interrupts;
- ``outputs``: secrets kept out of every output, the insecure-TLS header line;
- ``collection``: the Python suites' items per dialect or shard, the preflight probe;
- ``sequence_items``: sequence files as pytest items (a collector per file, an item per
  dialect);
- ``fixtures``: the fixtures;
- ``running``: the run-time hooks and what each test report carries;
- ``html_extras``: what report.html shows of an item;
- ``collector``: results.json, junit.xml, repro scripts and the summaries (``RunCollector``).
"""

from __future__ import annotations

from scimcheck.pytest_plugin.collection import (
    pytest_collection_modifyitems,
    pytest_generate_tests,
)
from scimcheck.pytest_plugin.collector import RunCollector
from scimcheck.pytest_plugin.configure import resolve_settings
from scimcheck.pytest_plugin.fixtures import (
    scim,
    scim_budget,
    scim_capabilities,
    scim_dialect,
    scim_factories,
    scim_settings,
    scim_shard,
    scim_users,
)
from scimcheck.pytest_plugin.html_extras import pytest_html_results_table_html
from scimcheck.pytest_plugin.options import pytest_addoption
from scimcheck.pytest_plugin.outputs import pytest_report_header, pytest_unconfigure
from scimcheck.pytest_plugin.running import (
    pytest_runtest_call,
    pytest_runtest_makereport,
    pytest_runtest_setup,
)
from scimcheck.pytest_plugin.sequence_items import (
    pytest_collect_directory,
    pytest_collect_file,
)
from scimcheck.pytest_plugin.session import pytest_configure, pytest_keyboard_interrupt

__all__ = [
    "RunCollector",
    "pytest_addoption",
    "pytest_collect_directory",
    "pytest_collect_file",
    "pytest_collection_modifyitems",
    "pytest_configure",
    "pytest_generate_tests",
    "pytest_html_results_table_html",
    "pytest_keyboard_interrupt",
    "pytest_report_header",
    "pytest_runtest_call",
    "pytest_runtest_makereport",
    "pytest_runtest_setup",
    "pytest_unconfigure",
    "resolve_settings",
    "scim",
    "scim_budget",
    "scim_capabilities",
    "scim_dialect",
    "scim_factories",
    "scim_settings",
    "scim_shard",
    "scim_users",
]
