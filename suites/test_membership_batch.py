"""Entra's membership changes in batches: many members added, then removed, in one PATCH each
(scimcheck.sequences.membership_batch). One item per Entra dialect;
skipped when groups are not mapped.
"""

from __future__ import annotations

import pytest

from scimcheck.entra.dialects import Dialect
from scimcheck.sequences import membership_batch
from scimcheck.sequences.interpreter import Factories
from scimcheck.sequences.runner import Sequence
from scimcheck.settings.run import Settings


def test_membership_batch(
    scim: Sequence, scim_dialect: Dialect, scim_factories: Factories, scim_settings: Settings
) -> None:
    """A batch of members added (and removed) in one PATCH is applied whole."""
    if scim_settings.profile.groups is None:
        pytest.skip(f"profile {scim_settings.profile.name!r} does not map groups")
    membership_batch.run(scim, scim_dialect, scim_factories)
