"""Generated users and random Entra lifecycles, searched with Hypothesis (issue: what nobody
thought of). Each item is one property; a failure is shrunk to a minimal example whose request
chain is attached as a curl script. ``--scim-examples`` sets the budget, ``--scim-seed`` replays.
"""

from __future__ import annotations

from hypothesis import strategies as st

from scimcheck.entra.dialects import Dialect
from scimcheck.generate import model, properties, strategies
from scimcheck.generate.search import Budget
from scimcheck.sequences.runner import Sequence
from scimcheck.settings.run import Settings


def test_generated_users_round_trip(
    scim: Sequence, scim_settings: Settings, scim_budget: Budget
) -> None:
    """POST then GET keeps every mapped value exactly (Entra S1, D28)."""
    properties.run(
        scim, scim_budget, "create then read back",
        strategies.users(scim_settings.profile, scim_settings.tag),
        properties.create_roundtrip, ("generated.create-roundtrip",),
    )


def test_generated_users_are_matched_by_username(
    scim: Sequence, scim_settings: Settings, scim_budget: Budget
) -> None:
    """Entra's userName eq match finds the user in any letter case, with any quotes (D9)."""
    properties.run(
        scim, scim_budget, "match by userName",
        strategies.users(scim_settings.profile, scim_settings.tag),
        properties.filter_finds_user, ("generated.filter-finds-user", properties.FILTER_ESCAPES),
    )


def test_generated_updates_round_trip(
    scim: Sequence, scim_settings: Settings, scim_budget: Budget
) -> None:
    """A PATCH in either dialect changes exactly its attributes (RFC 7644 §3.5.2)."""
    profile = scim_settings.profile
    examples = st.tuples(
        strategies.users(profile, scim_settings.tag),
        strategies.user_changes(profile),
        st.sampled_from(scim_budget.dialects or (Dialect.LEGACY,)),
    )
    properties.run(
        scim, scim_budget, "update then read back", examples,
        properties.patch_roundtrip, ("generated.patch-roundtrip",),
    )


def test_random_entra_lifecycles_match_the_model(
    scim: Sequence, scim_settings: Settings, scim_budget: Budget
) -> None:
    """Random orders of Entra's operations leave the endpoint as Entra believes it is."""
    model.run_lifecycle(scim, scim_budget, scim_settings.profile, scim_settings.tag)
