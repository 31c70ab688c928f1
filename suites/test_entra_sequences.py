"""Every Entra request sequence under fixtures/sequences/ (and --scim-sequences DIR), replayed.

One pytest item per sequence file and dialect. The files are data: adding one adds a test.
"""

from __future__ import annotations

import pytest

from scimcheck.dialects import Dialect
from scimcheck.errors import HarnessError
from scimcheck.plugin import Settings
from scimcheck.replay import Factories, Replay
from scimcheck.sequence import Sequence
from scimcheck.sequence_files import SequenceFile, SequenceFileError


def test_sequence(
    scim: Sequence,
    scim_sequence_file: SequenceFile | SequenceFileError,
    scim_dialect: Dialect | None,
    scim_factories: Factories,
    scim_settings: Settings,
) -> None:
    """Replay one sequence file in one Entra dialect."""
    if isinstance(scim_sequence_file, SequenceFileError):
        raise HarnessError(f"broken sequence file: {scim_sequence_file}")
    reason = _unmet_requirement(scim_sequence_file, scim_settings)
    if reason:
        pytest.skip(reason)
    Replay(scim_sequence_file, scim, scim_dialect, scim_factories).run()


def _unmet_requirement(spec: SequenceFile, settings: Settings) -> str | None:
    profile = settings.profile
    for requirement in spec.requires:
        if requirement == "groups" and profile.groups is None:
            return f"profile {profile.name!r} does not map groups"
        if requirement not in ("groups",) and not profile.user_sends(requirement):
            return f"profile {profile.name!r} does not map the user attribute {requirement}"
    return None
