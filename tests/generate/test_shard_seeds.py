"""A shard of a generated-user property searches from the run's seed and its index alone
(issue 14 §4): the values it draws do not depend on what the process ran before, the shares
add up to the budget, and a failure names the run's seed, the one ``--seed`` takes.
The end-to-end proof (serial and ``-n 2`` give one verdict) is in
tests/end_to_end/test_parallel.py."""

from __future__ import annotations

import re
from typing import Any

import pytest

from scimcheck.generate import properties, strategies
from scimcheck.generate.probe import Probe
from scimcheck.generate.search import Budget, PropertyFailed, shard_examples, shard_seed
from scimcheck.http.transport import Transport, TransportConfig
from scimcheck.scim import profiles
from scimcheck.sequences.runner import Sequence
from scimcheck.server import ReferenceServer
from support.harness import TEST_TOKEN

RUN_SEED = 7
EXAMPLES = 6


@pytest.mark.parametrize("examples", [1, 2, 5, 200, 201])
def test_the_shards_share_the_budget(examples: int) -> None:
    shares = [shard_examples(examples, shard, 4) for shard in range(4)]
    assert min(shares) >= 1
    assert sum(shares) == max(examples, 4)


def test_each_shard_has_its_own_seed_from_the_run_seed() -> None:
    seeds = [shard_seed(RUN_SEED, shard) for shard in range(4)]
    assert seeds[0] == RUN_SEED and len(set(seeds)) == 4
    assert seeds == [shard_seed(RUN_SEED, shard) for shard in range(4)]


def _search(scim: Sequence, shard: int) -> list[Any]:
    """The users one shard's search draws; the last one drawn fails, so it is reported."""
    drawn: list[Any] = []

    def example(probe: Probe, values: dict[str, Any]) -> None:
        drawn.append({k: v for k, v in values.items() if k != "userName"})  # fresh serial
        if len(drawn) == EXAMPLES:
            raise PropertyFailed("generated.create-roundtrip", "the last example fails")

    budget = Budget(examples=EXAMPLES, seed=RUN_SEED, shard=shard, shards=4)
    profile = profiles.load("entra-app")
    properties.run(scim, budget, "draw", strategies.users(profile, "scimcheck-test"), example,
                   ("generated.create-roundtrip",))
    return drawn[:EXAMPLES]  # the search, not the shrinking that follows it


def test_a_shard_draws_the_same_users_whatever_ran_before_it_and_names_the_run_seed() -> None:
    with ReferenceServer(token=TEST_TOKEN) as server, \
            Transport(TransportConfig(server.base_url, TEST_TOKEN)) as transport:
        scim = Sequence(transport, dialect=None, strict=False)
        alone = _search(scim, 2)
        first = _search(scim, 0)  # other shards in the same process, as a serial run does
        _search(scim, 1)
        after_others = _search(scim, 2)
    assert alone == after_others
    assert first != alone  # each shard searches examples of its own
    failed = [e for e in scim.evaluations if not e.passed]
    assert len(failed) == 4
    for evaluation in failed:  # the shard's own search seed is never shown
        printed = re.findall(r"--seed (\d+)", f"{evaluation.message} {evaluation.repro}")
        assert printed and set(printed) == {str(RUN_SEED)}
