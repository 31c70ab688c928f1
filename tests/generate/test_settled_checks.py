"""One generated search judges several checks on the same examples (issue 18 §1): a failure of
one check is recorded and the search runs again with it settled, so every other check is still
judged on the whole budget: failed when some example breaks it, passed only when examples
reached it, not evaluated otherwise. Each failure says at which example it was found."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from hypothesis import strategies as st

from scimcheck.generate import properties
from scimcheck.generate.probe import Probe
from scimcheck.generate.search import NO_SERVER_ERROR, Budget, PropertyFailed
from scimcheck.http.transport import Transport, TransportConfig
from scimcheck.sequences.runner import Sequence
from scimcheck.server import ReferenceServer
from support.harness import TEST_TOKEN

CREATE, PATCH, FILTER = ("generated.create-roundtrip", "generated.patch-roundtrip",
                         "generated.filter-finds-user")


@pytest.fixture
def sequence() -> Iterator[Sequence]:
    with ReferenceServer(token=TEST_TOKEN) as server, \
            Transport(TransportConfig(server.base_url, TEST_TOKEN)) as transport:
        yield Sequence(transport, dialect=None, strict=False)


def _outcomes(scim: Sequence) -> dict[str, str]:
    seen: dict[str, str] = {}
    for evaluation in scim.evaluations:
        seen[evaluation.check.id] = ("not evaluated" if not evaluation.evaluated
                                     else "passed" if evaluation.passed else "failed")
    return seen


def test_every_check_broken_by_some_example_fails_and_the_others_pass(sequence: Sequence) -> None:
    """Values 3..9 break the create check, odd values the patch check: a search that stopped
    at the first failure would never have judged the patch check on them."""
    judged: list[tuple[str, int]] = []

    def example(probe: Probe, value: int) -> None:
        for check_id, broken in ((CREATE, value >= 3), (PATCH, value % 2 == 1),
                                 (FILTER, False)):
            probe.judged.add(check_id)
            judged.append((check_id, value))
            if broken:
                probe.fail(PropertyFailed(check_id, f"value {value}"))

    properties.run(sequence, Budget(examples=40, seed=3), "two defects", st.integers(0, 9),
                   example, (CREATE, PATCH, FILTER))
    outcomes = _outcomes(sequence)
    assert outcomes[CREATE] == outcomes[PATCH] == "failed", outcomes
    assert outcomes[FILTER] == outcomes[NO_SERVER_ERROR] == "passed", outcomes
    # once the create check was settled, examples breaking it went on to the patch check
    assert any(check == PATCH and value >= 3 for check, value in judged)
    for evaluation in sequence.evaluations:
        if not evaluation.passed and evaluation.check.id in (CREATE, PATCH):
            assert re.search(r"Found at generated example \d+ of 40", evaluation.message)


def test_a_check_no_example_reached_is_not_evaluated_never_passed(sequence: Sequence) -> None:
    def example(probe: Probe, value: int) -> None:
        probe.judged.add(CREATE)
        if value > 5:
            probe.fail(PropertyFailed(CREATE, f"value {value}"))

    properties.run(sequence, Budget(examples=30, seed=1), "one reached", st.integers(0, 9),
                   example, (CREATE, PATCH))
    outcomes = _outcomes(sequence)
    assert outcomes[CREATE] == "failed"
    assert outcomes[PATCH] == "not evaluated", outcomes


def test_a_correct_endpoint_costs_one_search(sequence: Sequence) -> None:
    runs: list[int] = []

    def example(probe: Probe, value: int) -> None:
        probe.judged.update((CREATE, PATCH))
        runs.append(value)

    properties.run(sequence, Budget(examples=25, seed=2), "clean", st.integers(0, 10**9),
                   example, (CREATE, PATCH))
    assert len(runs) == 25  # the budget once: no second round
    assert _outcomes(sequence) == {CREATE: "passed", PATCH: "passed", NO_SERVER_ERROR: "passed",
                                   properties.VALUES_ACCEPTED: "passed"}


def test_a_request_scimcheck_refused_to_send_is_not_a_server_error(sequence: Sequence) -> None:
    """An endpoint that gave one id to two creates gets no PATCH or DELETE to that id: the
    refusal is resource.id-unique's finding, never generated.no-server-error's."""
    from scimcheck.http.transport import Exchange

    probe = Probe(sequence, [])
    refused = Exchange(index=1, method="PATCH", url="http://127.0.0.1:9/Users/x",
                       request_headers={}, request_body="{}", status=None, refused=True)
    lost = Exchange(index=2, method="PATCH", url="http://127.0.0.1:9/Users/x",
                    request_headers={}, request_body="{}", status=None)
    assert not probe.server_error(refused)
    assert probe.server_error(lost)
