"""What a check is: :class:`Check` (id, level, capability, public source, consequence, fix),
its :class:`Level` (whether a failure fails the run) and the Entra :class:`Capability` it
breaks. The checks themselves are data, in ``checks.yaml`` (read by
:mod:`scimcheck.checks.registry`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    """How much a failed check matters; only the first two fail a run by default."""

    ENTRA_BLOCKING = "entra-blocking"
    RFC_MUST = "rfc-must"
    RFC_SHOULD = "rfc-should"
    ADVISORY = "advisory"

    def fails_run(self, strict: bool = False) -> bool:
        """Whether a failure at this level makes the run fail (``--strict`` adds rfc-should)."""
        failing = {Level.ENTRA_BLOCKING, Level.RFC_MUST}
        if strict:
            failing.add(Level.RFC_SHOULD)
        return self in failing


class Capability(StrEnum):
    """What an Entra admin would call the thing that breaks."""

    TEST_CONNECTION = "Test Connection"
    AUTHENTICATION = "Authentication"
    CREATE_USER = "Create user"
    UPDATE_USER = "Update user"
    DISABLE_USER = "Disable user"
    DELETE_USER = "Delete user"
    GROUPS = "Groups"
    MEMBERSHIP = "Membership"
    DISCOVERY = "Discovery"
    ERRORS = "Errors"
    PAGINATION = "Pagination"
    RECORDED = "Recorded traffic"


@dataclass(frozen=True)
class Check:
    """One property an endpoint must have, with why it matters under Entra."""

    id: str
    title: str
    level: Level
    capability: Capability
    source: str
    url: str
    consequence: str
    fix: str
