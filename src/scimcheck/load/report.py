"""``scimcheck load``'s measurements, verdict and reports (``reports/load.json``, the table).

Every answer is counted in the time window it was sent in: requests, failures (no answer, or
any status but 2xx and 429), 429s, and the latency (rounded as Locust rounds it, so a window is
a small histogram that workers can ship to the master). The verdict is Entra's gallery
requirement, at least 25 requests per second per tenant (docs/entra.md S1; D31), judged on
the steady state:

- the first window is ramp-up (connections opening) and the last, partial one is the stop; the
  steady state is every full window in between;
- PASS when, over the steady state, the rate achieved is at least 25 x tenants requests per
  second and fewer than 1 % of the requests failed or were answered 429;
- FAIL otherwise, or when the run was too short to have a steady state.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scimcheck.http import redaction

MAX_ERROR_RATE = 0.01
"""Failed plus 429 answers, as a share of the steady state's requests, that a PASS tolerates."""


def window_length(duration_s: float) -> float:
    """5 s windows; a run shorter than 20 s gets four windows (at least 1 s each)."""
    return 5.0 if duration_s >= 20 else max(1.0, duration_s / 4)


def rounded_ms(ms: float) -> int:
    """A latency rounded to two significant digits above 100 ms, as Locust's statistics do."""
    value = round(ms)
    if value < 100:
        return value
    digits = len(str(value)) - 2
    return int(round(value, -digits))


@dataclass
class Window:
    """The answers to requests sent in one window."""

    requests: int = 0
    failures: int = 0
    throttled: int = 0
    latencies: Counter[int] = field(default_factory=Counter)

    def add(self, other: Window) -> None:
        """Merge another window's counts (a worker's report)."""
        self.requests += other.requests
        self.failures += other.failures
        self.throttled += other.throttled
        self.latencies.update(other.latencies)

    def percentile(self, share: float) -> int | None:
        """The latency (ms) under which ``share`` of the answers came; ``None`` if none."""
        if not self.requests:
            return None
        wanted = max(1, math.ceil(self.requests * share))
        seen = 0
        for ms in sorted(self.latencies):
            seen += self.latencies[ms]
            if seen >= wanted:
                return ms
        return max(self.latencies)

    def to_wire(self) -> dict[str, Any]:
        """Plain data for Locust's worker → master report."""
        return {"r": self.requests, "f": self.failures, "t": self.throttled,
                "l": [[ms, n] for ms, n in self.latencies.items()]}

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Window:
        """A window from a worker's report."""
        return cls(int(data["r"]), int(data["f"]), int(data["t"]),
                   Counter({int(ms): int(n) for ms, n in data["l"]}))


class WindowRecorder:
    """Counts answers by window of ``window_s`` seconds from ``started`` (a ``time.time()``)."""

    def __init__(self, window_s: float, started: float | None = None) -> None:
        self.window_s = window_s
        self.started = started
        self.windows: dict[int, Window] = {}
        self._unsent: dict[int, Window] = {}

    def record(self, sent_at: float, elapsed_ms: float, status: int | None) -> None:
        """One answer (``status`` ``None``: none came) to a request sent at ``sent_at``."""
        if self.started is None:
            self.started = sent_at
        key = max(0, int((sent_at - self.started) // self.window_s))
        for book in (self.windows, self._unsent):
            window = book.setdefault(key, Window())
            window.requests += 1
            if status == 429:
                window.throttled += 1
            elif status is None or not 200 <= status < 300:
                window.failures += 1
            window.latencies[rounded_ms(elapsed_ms)] += 1

    def take_unsent(self) -> dict[str, Any]:
        """The windows recorded since the last call, for a worker's report to the master."""
        unsent, self._unsent = self._unsent, {}
        return {str(key): window.to_wire() for key, window in unsent.items()}

    def merge(self, report: dict[str, Any]) -> None:
        """Add a worker's windows (keys are window numbers from the same start time)."""
        for key, data in report.items():
            self.windows.setdefault(int(key), Window()).add(Window.from_wire(data))


@dataclass(frozen=True)
class Verdict:
    """PASS or FAIL in Entra's terms, with the numbers it rests on."""

    passed: bool
    line: str
    achieved_rps: float
    required_rps: float
    error_rate: float | None


def _rates(window: Window, seconds: float) -> dict[str, Any]:
    return {
        "requests": window.requests,
        "rps": round(window.requests / seconds, 2) if seconds > 0 else 0.0,
        "p50_ms": window.percentile(0.50),
        "p95_ms": window.percentile(0.95),
        "p99_ms": window.percentile(0.99),
        "failures": window.failures,
        "failure_rate": round(window.failures / window.requests, 4) if window.requests else 0.0,
        "throttled_429": window.throttled,
        "throttled_rate": round(window.throttled / window.requests, 4) if window.requests else 0.0,
    }


@dataclass
class Summary:
    """The windows of a finished run, split into ramp-up, steady state and stop."""

    window_s: float
    duration_s: float
    windows: dict[int, Window]
    required_rps: float
    offered_rps: float
    rows: list[dict[str, Any]] = field(default_factory=list)
    steady: Window = field(default_factory=Window)
    steady_s: float = 0.0
    total: Window = field(default_factory=Window)

    def __post_init__(self) -> None:
        full = int(self.duration_s // self.window_s + 1e-9)
        last = max([full - 1, *self.windows]) if self.windows else full - 1
        for key in range(0, last + 1):
            window = self.windows.get(key, Window())
            self.total.add(window)
            start = key * self.window_s
            end = min(start + self.window_s, self.duration_s)
            phase = "ramp-up" if key == 0 else "steady" if key < full else "stop"
            if phase == "steady":
                self.steady.add(window)
                self.steady_s += self.window_s
            seconds = max(end - start, 1e-9) if phase != "stop" else self.window_s
            self.rows.append({"start_s": round(start, 2), "end_s": round(end, 2),
                              "phase": phase, **_rates(window, seconds)})

    def verdict(self) -> Verdict:
        """Entra's 25 requests per second per tenant, sustained, with under 1 % errors."""
        required = self.required_rps
        if not self.steady_s or not self.steady.requests:
            return Verdict(False, f"FAIL: no steady state to measure (a run of "
                           f"{self.duration_s:g} s has no full window after the ramp-up); run "
                           "longer", 0.0, required, None)
        achieved = self.steady.requests / self.steady_s
        bad = (self.steady.failures + self.steady.throttled) / self.steady.requests
        shortfall = achieved < required
        if not shortfall and bad < MAX_ERROR_RATE:
            return Verdict(True, f"PASS: sustained {achieved:.1f} req/s ≥ {required:g} req/s "
                           f"({_per_tenant(required)}, Entra gallery requirement) with "
                           f"{bad:.2%} failed or throttled", achieved, required, bad)
        reasons = []
        if shortfall:
            reasons.append(f"sustained only {achieved:.1f} req/s < {required:g} req/s "
                           f"({_per_tenant(required)}, Entra gallery requirement)")
            if self.offered_rps < required:
                reasons.append(f"the offered rate {self.offered_rps:g} req/s was below it")
        if bad >= MAX_ERROR_RATE:
            reasons.append(f"{bad:.1%} of requests failed or were throttled "
                           f"({self.steady.failures} failed, {self.steady.throttled} x 429; "
                           f"the limit is {MAX_ERROR_RATE:.0%})")
        return Verdict(False, f"FAIL: {'; '.join(reasons)}: Entra's initial cycle would be "
                       "throttled or quarantined (docs/entra.md D31)", achieved, required, bad)


def _per_tenant(required: float) -> str:
    tenants = round(required / 25)
    return "25 req/s per tenant" if tenants == 1 else f"{tenants} tenants x 25 req/s"


def table(summary: Summary, by_step: list[dict[str, Any]]) -> str:
    """The terminal report: windows, then steps, in fixed-width columns."""
    lines = [f"{'window':>13} {'phase':<8} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} "
             f"{'p99 ms':>7} {'failed':>7} {'429':>5}"]

    def cell(value: Any) -> str:
        return "-" if value is None else str(value)

    for row in summary.rows:
        span = f"{row['start_s']:g}-{row['end_s']:g} s"
        lines.append(f"{span:>13} {row['phase']:<8} {row['rps']:>7.1f} {cell(row['p50_ms']):>7} "
                     f"{cell(row['p95_ms']):>7} {cell(row['p99_ms']):>7} "
                     f"{row['failures']:>7} {row['throttled_429']:>5}")
    if by_step:
        lines.append("")
        lines.append(f"{'step':<48} {'sent':>6} {'failed':>7} {'p50 ms':>7} {'p95 ms':>7}")
        for step in by_step:
            lines.append(f"{step['name'][:48]:<48} {step['requests']:>6} {step['failures']:>7} "
                         f"{cell(step['p50_ms']):>7} {cell(step['p95_ms']):>7}")
    return "\n".join(lines)


def write(path: Path, document: dict[str, Any]) -> None:
    """Write ``reports/load.json``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    redaction.write_text(path, redaction.dumps_json(document) + "\n")
