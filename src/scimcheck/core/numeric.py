"""The one definition of a valid numeric option (flags and their ``SCIM_*`` variables).

Every number a user gives is finite and within a range that makes sense for it: ``float()``
accepts ``inf`` and ``nan``, and a ``nan`` timeout or budget compares false with everything,
so it would slip past ``<= 0`` checks and reach the socket layer (docs/cli.md, exit code 2).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from scimcheck.core.errors import ConfigError

DAY_S = 86_400.0
"""The longest wait any seconds option accepts (a larger one is a typo, not a plan)."""


@dataclass(frozen=True)
class Range:
    """What a numeric option accepts: a whole number or any finite one, between ``low`` and
    ``high`` (``low`` itself excluded when ``low_open``), with an example for the message."""

    noun: str
    low: float
    high: float
    example: str
    integer: bool = False
    low_open: bool = False

    def describe(self) -> str:
        """The accepted values in words: ``a number of seconds above 0 and at most 86400``."""
        low, high = _plain(self.low), _plain(self.high)
        lower = f"above {low}" if self.low_open else f"from {low}"
        upper = f"at most {high}" if self.low_open else f"to {high}"
        return f"{self.noun} {lower} {'and ' if self.low_open else ''}{upper}"

    def parse(self, text: str) -> float:
        """``text`` as a number in range; ``ValueError`` whose message says what is accepted
        (the caller names the option and the value)."""
        return self.check(_number(text, self.integer))

    def check(self, value: float | None) -> float:
        """``value`` when it is in range (finite, a whole number if required); else
        ``ValueError`` as in :meth:`parse`."""
        if value is None or isinstance(value, bool) or (
            isinstance(value, float) and not math.isfinite(value)  # an int always is
        ) or (self.integer and value != int(value)):
            raise ValueError(self.describe())
        if value < self.low or (self.low_open and value == self.low) or value > self.high:
            raise ValueError(self.describe())
        return int(value) if self.integer else float(value)

    def message(self, label: str) -> str:
        """The one line for a bad value; ``label`` names it (``--timeout inf``,
        ``SCIM_TIMEOUT='soon'``)."""
        return f"{label} is not {self.describe()}; pass e.g. {self.example}"


def _number(text: str, integer: bool) -> float | None:
    """``text`` as a number, or ``None`` when it is not one (empty, words, too many digits)."""
    text = text.strip()
    if not text or len(text) > 64:  # also spares int() its 4300-digit ValueError
        return None
    try:
        return int(text) if integer else float(text)
    except ValueError:
        return None


def _plain(bound: float) -> str:
    """A bound as people write it: 1000000, not 1e+06."""
    return str(int(bound)) if bound == int(bound) else f"{bound:g}"


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


SECONDS = Range("a number of seconds", 0, DAY_S, "60", low_open=True)
"""A per-request timeout or a run length: above 0, at most a day."""
RUN_DEADLINE = Range("a number of seconds", 0, DAY_S, "1800", low_open=True)
"""--deadline: the most a whole run may take before the rest is not evaluated."""
WAIT_BUDGET = Range("a number of seconds", 0, DAY_S, "120")
"""A total wait that may be 0 (never wait): --retry-budget."""
RATE = Range("a number of requests per second", 0, 1_000_000, "25", low_open=True)
"""--max-rps, load --rate."""
IN_FLIGHT = Range("a whole number of requests", 1, 64, "4", integer=True)
"""--in-flight: independent requests sent at once (1: one by one)."""
LOAD_DURATION = Range("a number of seconds", 0, 7 * DAY_S, "60", low_open=True)
"""load --duration: up to a week."""
EXAMPLES = Range("a whole number of examples", 0, 1_000_000, "200", integer=True)
"""--examples (0 skips the generated-user properties)."""
SEED = Range("a whole number", 0, 2**63 - 1, "20261126", integer=True)
"""--seed / SCIM_SEED."""
WORKERS = Range("a number of processes", 1, 1024, "4 or 'auto'", integer=True)
"""run -n N."""
LISTEN_PORT = Range("a port number", 0, 65535, "8080 (0: any free port)", integer=True)
"""A port to listen on: 0 asks the system for a free one."""
PORT = Range("a port number", 1, 65535, "5557", integer=True)
"""A port to connect to."""
USERS = Range("a whole number", 1, 1_000_000, "100", integer=True)
"""load --users."""
GROUPS = Range("a whole number", 0, 100_000, "5", integer=True)
"""load --groups (0: no groups)."""
TENANTS = Range("a whole number", 1, 1_000, "1", integer=True)
"""load --tenants, --expect-workers."""
CONCURRENCY = Range("a whole number of connections", 1, 10_000, "50", integer=True)
"""load --concurrency."""


def from_environment(name: str, spec: Range, environ: Mapping[str, str]) -> float | None:
    """The value of variable ``name`` under ``spec``; ``None`` when unset or empty (as if
    unset); ``ConfigError`` with the one line to print when it is set and bad."""
    text = environ.get(name, "").strip()
    if not text:
        return None
    try:
        return spec.parse(text)
    except ValueError:
        raise ConfigError(spec.message(f"{name}={_short(text)!r}")) from None



def check_option(flag: str, value: float, spec: Range) -> float:
    """``value`` of command-line option ``flag`` (already a number) when ``spec`` accepts it;
    else ``ConfigError`` with the one line to print."""
    try:
        return spec.check(value)
    except ValueError:
        shown = f"{value:g}" if isinstance(value, float) else _short(str(value))
        raise ConfigError(spec.message(f"{flag} {shown}")) from None
