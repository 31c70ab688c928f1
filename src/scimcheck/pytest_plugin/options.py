"""The ``--scim-*`` command-line options and the keys under which the plugin keeps its state
on pytest's config and items (docs/cli.md lists the options)."""

from __future__ import annotations

import argparse
import contextlib
from typing import TYPE_CHECKING

import pytest

from scimcheck.settings.run import (
    DEFAULT_DEADLINE_S,
    DEFAULT_EXAMPLES,
    DEFAULT_IN_FLIGHT,
    Settings,
)
from scimcheck.settings.state import RunState

if TYPE_CHECKING:
    from scimcheck.sequences.runner import Sequence

SCIM_FIXTURES = {"scim", "scim_dialect", "scim_users", "scim_factories"}
OUTPUTS_KEY = pytest.StashKey[contextlib.ExitStack]()
SETTINGS_KEY = pytest.StashKey[Settings]()
STATE_KEY = pytest.StashKey[RunState]()
SEQUENCE_KEY: pytest.StashKey[Sequence] = pytest.StashKey()
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
    group.addoption("--scim-oauth-token-url", default=None, metavar="URL",
                    help="OAuth 2.0 client credentials: the token endpoint; requests then carry "
                    "its access token (env SCIM_OAUTH_TOKEN_URL; the secret comes from "
                    "SCIM_CLIENT_SECRET only).")
    group.addoption("--scim-client-id", default=None, metavar="ID",
                    help="The OAuth client id (env SCIM_CLIENT_ID).")
    group.addoption("--scim-scope", default=None,
                    help="The OAuth scope to ask for (env SCIM_SCOPE; default: the token "
                    "endpoint's).")
    group.addoption("--scim-client-auth", default=None, choices=("basic", "post"),
                    help="How the OAuth client authenticates: HTTP Basic or the form body (env "
                    "SCIM_CLIENT_AUTH; default basic).")
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
                    help="Generated users to search, each serving every property (env "
                    f"SCIM_EXAMPLES; default {DEFAULT_EXAMPLES}; 0 skips the generated searches).")
    group.addoption("--scim-shards", default=1, type=int, metavar="N",
                    help="Split each generated-user property into N items, each searching "
                    "1/N of the examples from a seed derived from the run's seed and its index, "
                    "so pytest-xdist workers can share them (`scimcheck run` sets 4; default 1).")
    group.addoption("--scim-max-rps", default=None, type=float, metavar="N",
                    help="Send at most N requests per second per process (env SCIM_MAX_RPS).")
    group.addoption("--scim-in-flight", default=None, type=int, metavar="N",
                    help="Send at most N independent requests at once, split over pytest-xdist "
                    f"workers (env SCIM_IN_FLIGHT; default {DEFAULT_IN_FLIGHT}; 1: one by one).")
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
    group.addoption("--scim-proxy", default=None, metavar="URL",
                    help="Send every request through this proxy, http(s)://[user:password@]"
                    "host:port (env SCIM_PROXY; default: HTTPS_PROXY/HTTP_PROXY/NO_PROXY).")
    group.addoption("--scim-header", action="append", default=None, metavar="'NAME: VALUE'",
                    help="Add this header to every request (repeatable; env SCIM_HEADERS, one "
                    "a line).")
    group.addoption("--scim-secret-header", action="append", default=None,
                    metavar="NAME=VARIABLE",
                    help="Add this header to every request, its value from the environment "
                    "variable VARIABLE (or 'NAME: VALUE'), redacted like the token "
                    "(repeatable; env SCIM_SECRET_HEADERS).")
    group.addoption("--scim-sequence-file", default=None, metavar="FILE",
                    help="Replay this sequence file instead of the bundled ones (the other suites "
                    "still run).")
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
