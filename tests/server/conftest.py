"""Fixtures for the reference-server tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from server.scim_client import Scim


@pytest.fixture
def api() -> Scim:
    """The correct server, fresh per test."""
    return Scim()


@pytest.fixture
def variant_api() -> Callable[[str], Scim]:
    """A broken variant by name, fresh per test."""
    return lambda name: Scim(variant=name)
