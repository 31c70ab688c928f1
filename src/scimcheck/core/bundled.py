"""Locate the data that ships with scimcheck: ``suites/``, ``schemas/`` and ``fixtures/``.

In a checkout the top-level directories are the source of truth; in an installed wheel they
live under ``scimcheck/_bundled/``. This module is the only place that builds these paths.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_NAMES = ("suites", "schemas", "fixtures")
_PACKAGE_DIR = Path(__file__).resolve().parent.parent


@cache
def root() -> Path:
    """Directory holding ``suites/``, ``schemas/`` and ``fixtures/``."""
    checkout = _PACKAGE_DIR.parent.parent  # src/scimcheck -> repository root
    if (checkout / "pyproject.toml").is_file() and all((checkout / n).is_dir() for n in _NAMES):
        return checkout
    bundled = _PACKAGE_DIR / "_bundled"
    if all((bundled / n).is_dir() for n in _NAMES):
        return bundled
    raise FileNotFoundError(
        "scimcheck's data directories (suites/, schemas/, fixtures/) are missing: "
        f"looked in {checkout} and {bundled}. Reinstall scimcheck."
    )


def suites_dir() -> Path:
    """The conformance suites (pytest test modules)."""
    return root() / "suites"


def schemas_dir() -> Path:
    """The JSON Schemas used to validate responses, requests, profiles and results."""
    return root() / "schemas"


def fixtures_dir() -> Path:
    """Profiles and other data the suites read."""
    return root() / "fixtures"
