"""Repro scripts say what they expect and replay what showed the failure (issue 14 §5)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from hypothesis import strategies as st

from scimcheck.entra.dialects import Dialect
from scimcheck.generate import properties
from scimcheck.generate.properties import VALUES_ACCEPTED
from scimcheck.generate.search import Budget
from scimcheck.http.transport import Transport, TransportConfig
from scimcheck.sequences.runner import Sequence
from scimcheck.server import ReferenceServer
from support.harness import TEST_TOKEN


@pytest.mark.skipif(shutil.which("curl") is None or shutil.which("bash") is None,
                    reason="needs curl and bash to run the script")
def test_a_refused_generated_update_brings_its_examples_requests() -> None:
    """The first generated request refused is a PATCH (the create was accepted): the
    values-accepted script replays the example's create and that PATCH, and expects the
    PATCH applied (200 or 204, RFC 7644 §3.5.2), not an empty chain judged as a create."""

    # each example: a user the variant accepts, and an update it refuses (over 128 characters)
    examples = st.builds(
        lambda suffix: ({"userName": f"scimcheck-test-{suffix}", "displayName": "short"},
                        {"displayName": "x" * 200}, Dialect.COMPLIANT),
        st.text("abc", min_size=8, max_size=8),
    )

    with ReferenceServer(token=TEST_TOKEN, variant="long-values-rejected") as server, \
            Transport(TransportConfig(server.base_url, TEST_TOKEN)) as transport:
        scim = Sequence(transport, dialect=None, strict=False)
        properties.run(scim, Budget(examples=3, seed=1), "update", examples,
                       properties.generated_user, properties.USER_CHECKS)
        (refused,) = [e for e in scim.evaluations if e.check.id == VALUES_ACCEPTED]
        assert not refused.passed and refused.repro
        body = refused.repro.split("trap scim_cleanup EXIT")[1]
        assert "-X POST" in body and "-X PATCH" in body, body
        assert body.index("-X POST") < body.index("-X PATCH")
        replayed = subprocess.run(
            ["bash", "-c", refused.repro], capture_output=True, text=True, timeout=60,
            env={"PATH": os.environ["PATH"], "SCIM_URL": server.base_url,
                 "SCIM_TOKEN": TEST_TOKEN},
        )
    assert replayed.returncode == 1, replayed.stdout + replayed.stderr
    assert ("REPRODUCED: generated.values-accepted: expected status 200 or 204, got status 400"
            in replayed.stdout.splitlines())


def test_a_check_judged_in_code_says_what_it_expects_in_words() -> None:
    """A check whose expectation is no data the script can evaluate (here a Content-Type)
    still states it: CHECK BY HAND names what the check expects, not only what the run saw."""
    from scimcheck.checks import registry as checks
    from scimcheck.report.repro import default_judgement

    judgement = default_judgement("response.scim-content-type", "Content-Type is 'text/html'",
                                  None)
    title = checks.get("response.scim-content-type").title
    assert title[1:] in judgement.by_hand and "Content-Type is 'text/html'" in judgement.by_hand
    assert judgement.status == () and judgement.body == ()  # nothing to guess a verdict from
