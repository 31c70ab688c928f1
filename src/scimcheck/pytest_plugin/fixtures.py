"""The fixtures the suites use: ``scim`` (a sequence bound to the target, cleaned up after),
``scim_settings``, ``scim_capabilities``, ``scim_dialect``, ``scim_factories``, ``scim_users``,
``scim_budget`` and ``scim_shard``: the suites in suites/ are written with them."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from scimcheck.pytest_plugin.configure import resolve_settings
from scimcheck.pytest_plugin.options import SEQUENCE_KEY
from scimcheck.settings.run import Settings

if TYPE_CHECKING:
    from scimcheck.entra.dialects import Dialect
    from scimcheck.entra.userdata import UserFactory
    from scimcheck.generate.search import Budget
    from scimcheck.http.transport import Exchange
    from scimcheck.scim.capabilities import Capabilities
    from scimcheck.sequences.interpreter import Factories
    from scimcheck.sequences.runner import Sequence


@pytest.fixture(scope="session")
def scim_settings(request: pytest.FixtureRequest) -> Settings:
    """The resolved ``--scim-*`` settings."""
    return resolve_settings(request.config)


@pytest.fixture(scope="session")
def scim_capabilities(scim_settings: Settings) -> Capabilities:
    """/ServiceProviderConfig, read once per run (per worker under xdist)."""
    from scimcheck.http.transport import Transport
    from scimcheck.scim import capabilities

    config = scim_settings.transport_config()
    with Transport(config) as transport:
        return capabilities.discover(transport)


@pytest.fixture
def scim(request: pytest.FixtureRequest, scim_settings: Settings) -> Iterator[Sequence]:
    """A fresh sequence bound to the target; cleans up what it created, always."""
    from scimcheck.scim.cleanup import interruptions_held
    from scimcheck.scim.ownership import guarded
    from scimcheck.sequences.runner import Sequence

    # a parametrized test's dialect, or a sequence file item's (sequence_items.SequenceItem)
    dialect = request.node.callspec.params.get("scim_dialect") if hasattr(
        request.node, "callspec"
    ) else getattr(request.node, "dialect", None)
    show = None
    if request.config.getoption("scim_verbose"):
        from scimcheck.report.transcript import render_exchange

        def show(exchange: Exchange) -> None:
            from scimcheck.http.redaction import for_terminal

            print("\n" + for_terminal(render_exchange(exchange), multiline=True), flush=True)

    transport = guarded(scim_settings.transport_config(), scim_settings.tag, on_exchange=show)
    sequence = Sequence(transport, dialect=dialect, strict=scim_settings.strict)
    sequence.stop_at, sequence.stop_reason = scim_settings.stop_at, scim_settings.stop_reason
    request.node.stash[SEQUENCE_KEY] = sequence
    try:
        yield sequence
    finally:
        with interruptions_held():  # a Ctrl-C now waits until the cleanup is done
            problems = sequence.cleanup()
            transport.close()
            from scimcheck.http.redaction import for_terminal

            for problem in problems:  # the endpoint's words, printed in pytest's summary
                request.node.warn(
                    pytest.PytestWarning(f"scimcheck cleanup: {for_terminal(problem)}")
                )


@pytest.fixture
def scim_factories(request: pytest.FixtureRequest, scim_settings: Settings) -> Factories:
    """Users and groups under the profile, tagged with the run id, seeded per test."""
    from scimcheck.core.errors import ConfigError
    from scimcheck.entra.userdata import GroupFactory, UserFactory
    from scimcheck.sequences.interpreter import Factories

    seed = scim_settings.seed ^ zlib.crc32(request.node.nodeid.encode())
    try:
        return Factories(
            users=UserFactory(scim_settings.profile, scim_settings.tag, seed),
            groups=GroupFactory(scim_settings.profile, scim_settings.tag, seed + 1),
        )
    except ConfigError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def scim_budget(scim_settings: Settings, scim_shard: tuple[int, int]) -> Budget:
    """How hard the generated-user properties search; skips them when the budget is 0. A
    shard searches its share of the examples from a seed derived from the run's seed and its
    index alone, so a serial and a parallel run with one seed search the same examples."""
    from scimcheck.generate.search import Budget, shard_examples

    if scim_settings.examples == 0:
        pytest.skip("generated-user properties skipped: --scim-examples 0")
    shard, shards = scim_shard
    return Budget(
        examples=shard_examples(scim_settings.examples, shard, shards),
        seed=scim_settings.seed,
        dialects=scim_settings.dialects,
        shard=shard,
        shards=shards,
    )


@pytest.fixture
def scim_shard(request: pytest.FixtureRequest) -> tuple[int, int]:
    """(this item's shard, shards) of a generated-user property; (0, 1) unsharded."""
    shards: int = request.config.getoption("scim_shards")
    return int(getattr(request, "param", 0)), max(shards, 1)


@pytest.fixture
def scim_dialect(request: pytest.FixtureRequest) -> Dialect:
    """The Entra dialect this item replays (parametrized by ``--scim-dialect``)."""
    value: Dialect = request.param
    return value


@pytest.fixture
def scim_users(scim_factories: Factories) -> UserFactory:
    """Generates users under the profile, tagged with the run id, seeded per test."""
    return scim_factories.users
