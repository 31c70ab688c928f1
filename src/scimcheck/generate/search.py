"""The Hypothesis search behind the generated-user properties and the lifecycle model.

A search is seeded (``--seed``, one seed per shard, so a serial run and pytest-xdist search the
same examples), keeps only the current example's exchanges, and records either the shrunk
failure with the curl script of its minimal run (:mod:`scimcheck.http.curl`) or a pass for each
check judged. A failure the endpoint does not repeat when Hypothesis replays the example is
still the endpoint's, recorded unshrunk (:mod:`scimcheck.generate.flaky`); a search cut off by
a hostile endpoint records ``generated.no-server-error`` with the last cut-off request.
"""

from __future__ import annotations

import contextlib
import functools
import traceback
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from hypothesis import HealthCheck, Phase, seed, settings
from hypothesis.errors import Flaky
from hypothesis.internal.conjecture import engine
from hypothesis.reporting import with_reporter

from scimcheck.core.errors import RunStopped
from scimcheck.entra.dialects import Dialect
from scimcheck.generate.flaky import replay_fell_short
from scimcheck.http.curl import Judgement, render_script
from scimcheck.http.transport import Exchange
from scimcheck.report.repro import default_judgement
from scimcheck.sequences.runner import Sequence

SHRINK_SECONDS = 10
"""How long Hypothesis may shrink one failure against a live endpoint; afterwards the smallest
example found so far is reported (Hypothesis documents the limit as monkeypatchable)."""
NO_SERVER_ERROR = "generated.no-server-error"


@dataclass(frozen=True)
class Budget:
    """How hard to search: examples for this item, the run's seed (``--seed``, the only seed a
    report prints), the dialects to PATCH in, and which shard of the property this item is."""

    examples: int
    seed: int
    dialects: tuple[Dialect, ...] = (Dialect.LEGACY, Dialect.COMPLIANT)
    shard: int = 0
    shards: int = 1

    @property
    def search_seed(self) -> int:
        """The seed of this item's Hypothesis search (see :func:`shard_seed`)."""
        return shard_seed(self.seed, self.shard)


def shard_seed(run_seed: int, shard: int) -> int:
    """A shard's search seed: the run's seed and the shard's index alone decide it (shard 0
    searches from the run's seed itself), never the process running it, so ``--seed N`` searches
    the same examples in a serial run and under pytest-xdist."""
    return run_seed if shard == 0 else (run_seed * 7919 + shard) % 2**31


def shard_examples(examples: int, shard: int, shards: int) -> int:
    """A shard's share of a property's ``examples``: the shares add up to the budget (at least
    one example each), whatever process runs the shard."""
    share, left = divmod(examples, shards)
    return max(share + (1 if shard < left else 0), 1)


class PropertyFailed(Exception):
    """A generated example broke a check; Hypothesis shrinks it before it is reported."""

    def __init__(
        self, check_id: str, message: str, evidence: Exchange | None = None,
        judgement: Judgement | None = None,
    ) -> None:
        super().__init__(f"{check_id}: {message}")
        self.check_id = check_id
        self.message = message
        self.judgement = judgement
        """What the check expects of the evidence, as data its script evaluates (else the
        script says CHECK BY HAND with the expectation in words)."""
        # as a transcript keeps it: Hypothesis holds every failing example's exception
        self.evidence = evidence.shortened() if evidence is not None else None
        self.chain = example_chain(self.evidence)
        """The requests of the example that failed, up to the evidence: what its script replays
        even when a later run of the example is all that is left (an intermittent failure)."""


_EXAMPLE: ContextVar[tuple[Sequence, int] | None] = ContextVar("scimcheck_example", default=None)
"""The sequence of the example running now, and where its exchanges begin."""


@dataclass
class Progress:
    """How far a search got: examples begun, and the one that failed first (0: none yet).
    The first failure's number is what ``--examples`` must reach for the defect to be found
    (benchmarks/examples_needed.py reads it from the report)."""

    examples: int = 0
    found_at: int = 0


_PROGRESS: ContextVar[Progress | None] = ContextVar("scimcheck_progress", default=None)


def example_chain(evidence: Exchange | None) -> list[Exchange]:
    current = _EXAMPLE.get()
    if current is None:
        return [evidence] if evidence is not None else []
    scim, start = current
    chain = [x.shortened() for x in scim.transport.exchanges[start:]]
    if evidence is not None and any(x.index == evidence.index for x in chain):
        chain = [x for x in chain if x.index <= evidence.index]
    return chain


_F = TypeVar("_F", bound=Callable[..., Any])


def forgetful(function: _F) -> _F:
    """``function``, raising its ``PropertyFailed`` without the locals of the frames it came
    through. Hypothesis keeps each failing example's exception while it shrinks; with them,
    each would keep the answers those frames held (80 MB for a list of 10^6 users)."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except PropertyFailed as failure:
            traceback.clear_frames(failure.__traceback__)  # skips this running frame
            progress = _PROGRESS.get()
            if progress is not None:
                progress.found_at = progress.found_at or progress.examples
            raise

    return wrapper  # type: ignore[return-value]



@contextlib.contextmanager
def shrink_budget(seconds: int | None = None) -> Iterator[None]:
    """Bound Hypothesis' shrinking time (default :data:`SHRINK_SECONDS`, read when called):
    each shrink step is several HTTP requests."""
    saved = engine.MAX_SHRINKING_SECONDS
    engine.MAX_SHRINKING_SECONDS = SHRINK_SECONDS if seconds is None else seconds
    try:
        yield
    finally:
        engine.MAX_SHRINKING_SECONDS = saved



def begin_example(scim: Sequence) -> int:
    """Forget the earlier examples' exchanges no failure points at, so a search holds only the
    current example's chain (the one a failure's script replays), not thousands; the position
    where the new example's exchanges begin."""
    scim.keep_exchanges()
    start = len(scim.transport.exchanges)
    _EXAMPLE.set((scim, start))
    progress = _PROGRESS.get()
    if progress is not None:
        progress.examples += 1
    return start


def search_settings(examples: int, **extra: Any) -> settings:
    """Hypothesis settings for a search against a live endpoint: no example database (nothing
    written to the working directory), no deadline (networks vary), one failure reported."""
    return settings(
        max_examples=examples,
        database=None,
        deadline=None,
        derandomize=False,
        print_blob=False,
        report_multiple_bugs=False,
        phases=(Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
        **extra,
    )


def search(
    scim: Sequence,
    test: Callable[[], None],
    budget: Budget,
    start_of_last: Callable[[], int],
    describe: Callable[[PropertyFailed], str],
    title: str,
    judged: tuple[str, ...],
    ran: set[str] | None = None,
    why_not: Callable[[], str] | None = None,
    server_errors: bool = True,
) -> str | None:
    """Run a seeded Hypothesis search; record the shrunk failure with the curl script of its
    last (minimal) run's requests, or a pass for every check judged (and for
    ``generated.no-server-error`` with ``server_errors``); the check that failed, if one did.
    ``start_of_last`` is where the last run's exchanges begin. With ``ran``, a check no
    example's assertion reached is recorded not evaluated (``why_not`` says why), never
    passed."""
    chain: list[Exchange] = []
    failed: str | None = None
    progress = Progress()
    _PROGRESS.set(progress)

    def found(message: str) -> str:
        return (f"{message}. Found at generated example {progress.found_at} of "
                f"{budget.examples}" if progress.found_at else message)

    try:
        with with_reporter(lambda _text: None), shrink_budget():
            seed(budget.search_seed)(test)()
    except PropertyFailed as failure:
        chain = failure.chain or scim.transport.exchanges[start_of_last():]
        _record(scim, failure, found(describe(failure)), chain, title, budget)
        failed = failure.check_id
    except RunStopped:
        _record_cut_off(scim, title, budget)
        raise
    except Flaky as flaky:
        seen_once = intermittent_failure(flaky)
        if seen_once is None:
            raise
        chain = seen_once.chain
        fell_short = replay_fell_short(chain, scim.transport.exchanges[start_of_last():])
        if fell_short is None:
            why = ("It happened once and not again when Hypothesis replayed the example, so it "
                   f"was not shrunk (the endpoint fails intermittently; replay with --seed "
                   f"{budget.seed})")
        else:  # the replay was not on equivalent state: nothing shows the failure is flaky
            why = (f"It was not shrunk, and it is not shown to be intermittent: {fell_short} "
                   f"(replay with --seed {budget.seed})")
        _record(scim, seen_once, found(f"{title}: {seen_once.message}. {why}"), chain, title,
                budget)
        failed = seen_once.check_id
    else:  # the search ran its whole budget: every check it judged held
        for check_id in (*judged, *((NO_SERVER_ERROR,) if server_errors else ())):
            if ran is None or check_id in ran or check_id == NO_SERVER_ERROR:
                scim.check(check_id, True)
            else:
                scim.not_evaluated(check_id, f"{title}: " + (why_not() if why_not else
                                   "no generated example reached the comparison"))
    finally:
        _EXAMPLE.set(None)  # no later failure takes this search's requests for its chain
    scim.keep_exchanges(chain)
    return failed


def _record_cut_off(scim: Sequence, title: str, budget: Budget) -> None:
    """A search stopped because the endpoint cut off answer after answer: that is still its
    failure of ``generated.no-server-error``, recorded unshrunk with the last cut-off request
    (a search stopped by the run deadline alone records nothing)."""
    evidence = scim.transport.last_cut_off
    if scim.transport.hostile is None or evidence is None:
        return
    failure = PropertyFailed(NO_SERVER_ERROR, f"{evidence.summary()}: "
                             f"{evidence.error or evidence.describe_body(200)}", evidence)
    _record(scim, failure, f"{title}: {failure.message}. The search stopped there, not "
            f"shrunk: {scim.transport.hostile}", [evidence], title, budget)


def _record(
    scim: Sequence, failure: PropertyFailed, message: str, chain: list[Exchange], title: str,
    budget: Budget,
) -> None:
    scim.check(
        failure.check_id, False, message, failure.evidence,
        repro=render_script(
            chain, scim.transport.config.base_url,
            f"{title}: {failure.check_id} (scimcheck --seed {budget.seed})",
            failure.judgement
            or default_judgement(failure.check_id, message, chain[-1] if chain else None),
        ),
    )


def intermittent_failure(error: BaseException) -> PropertyFailed | None:
    """The endpoint's failure inside Hypothesis' report that a failure did not repeat
    (``FlakyFailure`` groups what each run raised; ``FlakyStrategyDefinition`` may come with
    it, when the failing run stopped drawing data early); ``None`` when there is none."""
    if isinstance(error, PropertyFailed):
        return error
    inner: list[BaseException] = list(getattr(error, "exceptions", ()))
    inner += [e for e in (error.__cause__, error.__context__) if e is not None]
    for exception in inner:
        found = intermittent_failure(exception)
        if found is not None:
            return found
    return None

