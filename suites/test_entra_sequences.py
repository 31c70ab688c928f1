"""Every Entra request sequence under fixtures/sequences/ (and --scim-sequences DIR), replayed.

One pytest item per sequence file and dialect. The files are data: adding one adds a test.
"""

from __future__ import annotations

import pytest

from scimcheck.core.errors import HarnessError, SequenceFileError
from scimcheck.entra.dialects import Dialect
from scimcheck.scim.capabilities import OPTIONAL_FEATURES, Capabilities
from scimcheck.sequences.files import SequenceFile
from scimcheck.sequences.interpreter import Factories, Replay
from scimcheck.sequences.runner import Sequence
from scimcheck.settings.run import Settings


def test_sequence(
    scim: Sequence,
    scim_sequence_file: SequenceFile | SequenceFileError,
    scim_dialect: Dialect | None,
    scim_factories: Factories,
    scim_settings: Settings,
    scim_capabilities: Capabilities,
) -> None:
    """Replay one sequence file in one Entra dialect."""
    if isinstance(scim_sequence_file, SequenceFileError):
        raise HarnessError(f"broken sequence file: {scim_sequence_file}")
    reason = _unmet_requirement(scim_sequence_file, scim_settings, scim_capabilities)
    if reason:
        pytest.skip(reason)
    Replay(scim_sequence_file, scim, scim_dialect, scim_factories).run()


def _unmet_requirement(
    spec: SequenceFile, settings: Settings, capabilities: Capabilities
) -> str | None:
    """Why the sequence cannot apply here: the profile lacks what it needs, or the endpoint
    does not claim an optional feature (the evidence is in the reason)."""
    profile = settings.profile
    for requirement in spec.requires:
        if requirement in OPTIONAL_FEATURES:
            reason = capabilities.skip_reason(requirement)
            if reason:
                return reason
        elif requirement == "groups":
            if profile.groups is None:
                return f"profile {profile.name!r} does not map groups"
        elif not profile.user_sends(requirement):
            return f"profile {profile.name!r} does not map the user attribute {requirement}"
    return None
