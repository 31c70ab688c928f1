"""Generated users and random Entra lifecycles, searched with Hypothesis (issue: what nobody
thought of). Each item is one search; a failure is shrunk to a minimal example whose request
chain is attached as a curl script. ``--scim-examples`` sets the budget, ``--scim-seed`` replays.
"""

from __future__ import annotations

from hypothesis import strategies as st

from scimcheck.entra.dialects import Dialect
from scimcheck.generate import model, properties, strategies
from scimcheck.generate.search import Budget
from scimcheck.sequences.runner import Sequence
from scimcheck.settings.run import Settings


def test_generated_users(
    scim: Sequence, scim_settings: Settings, scim_budget: Budget
) -> None:
    """Each generated user, created as Entra creates it, reads back exactly (Entra S1, D28), is
    found by Entra's userName match in any letter case and with any quotes (D9), and takes a
    PATCH in either dialect that changes exactly its attributes (RFC 7644 §3.5.2)."""
    profile = scim_settings.profile
    examples = st.tuples(
        strategies.users(profile, scim_settings.tag),
        strategies.user_changes(profile),
        st.sampled_from(scim_budget.dialects or (Dialect.LEGACY,)),
    )
    properties.run(
        scim, scim_budget, "generated users", examples, properties.generated_user,
        properties.USER_CHECKS,
    )


def test_random_entra_lifecycles_match_the_model(
    scim: Sequence, scim_settings: Settings, scim_budget: Budget
) -> None:
    """Random orders of Entra's operations leave the endpoint as Entra believes it is."""
    model.run_lifecycle(scim, scim_budget, scim_settings.profile, scim_settings.tag)
