"""What a run is configured with, resolved once (command line > environment > default) and
shared by the pytest plugin, the reports and the commands."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from scimcheck.core.errors import DEADLINE_REACHED

if TYPE_CHECKING:
    from scimcheck.entra.dialects import Dialect
    from scimcheck.http.auth import Authorizer
    from scimcheck.http.extra_headers import ExtraHeader
    from scimcheck.http.oauth import OAuthClient
    from scimcheck.http.oauth_grant import ClientCredentials
    from scimcheck.http.transport import TransportConfig
    from scimcheck.scim.profiles import Profile

RUN_SEED_ENV = "SCIMCHECK_RUN_SEED"
DEFAULT_EXAMPLES = 40
"""Generated users a run searches (``--examples``), in four shards of 10. Set from evidence
(benchmarks/examples_needed.py, benchmarks/README.md): every data-fidelity variant of the
reference server is found within 20 on each of ten seeds; 40 is twice that. The lifecycle
model runs at least six programs a shard whatever the budget."""
DEFAULT_IN_FLIGHT = 4
"""Independent requests a run sends at once (``--in-flight``; issue 18 §2)."""
DEFAULT_DEADLINE_S = 1800.0
"""A run stops starting tests after 30 minutes (``--deadline``): a serial run against an
endpoint with 50 ms of latency takes about 4 minutes, one that drips every answer hours."""
RUN_ID_ENV = "SCIMCHECK_RUN_ID"


@dataclass
class Settings:
    """Options resolved once per run (command line > environment > default)."""

    base_url: str
    token: str | None
    profile: Profile
    dialects: tuple[Dialect, ...]
    strict: bool
    timeout_s: float
    seed: int
    run_id: str
    results_path: str | None
    embedded: bool
    examples: int = DEFAULT_EXAMPLES
    max_rps: float | None = None
    in_flight: int = DEFAULT_IN_FLIGHT
    """At most this many independent requests at once (``--in-flight``; 1: serial)."""
    retry_budget_s: float = 120.0
    verify: bool | str = True
    """TLS certificate verification: on, a CA bundle path, or off (:mod:`scimcheck.http.tls`)."""
    deadline_s: float = DEFAULT_DEADLINE_S
    proxy: str | None = None
    """``--proxy``; none: the environment's proxies, as requests reads them."""
    headers: tuple[ExtraHeader, ...] = ()
    """``--header``/``--secret-header``: added to every request."""
    stop_at: float | None = None
    """When the run deadline passes (``time.time()`` seconds; the same in every worker)."""
    oauth: ClientCredentials | None = None
    """OAuth 2.0 client credentials (``--oauth-token-url``): requests carry an access token
    from the token endpoint instead of ``token`` (:mod:`scimcheck.settings.oauth`)."""
    _oauth_client: OAuthClient | None = field(default=None, init=False, repr=False,
                                              compare=False)

    def authorizer(self) -> Authorizer | None:
        """The OAuth client of this process, one for every transport of the run (seeded with
        the token the run's first process shared, scimcheck.http.oauth); ``None`` without
        OAuth (the bearer token is sent)."""
        if self.oauth is None:
            return None
        if self._oauth_client is None:
            from scimcheck.http import oauth

            self._oauth_client = oauth.from_environment(self.oauth, os.environ)
        return self._oauth_client

    @property
    def stop_reason(self) -> str:
        """Why a test the deadline left out is not evaluated."""
        return f"{DEADLINE_REACHED} ({self.deadline_s:g} s, --deadline): not evaluated"

    def transport_config(self) -> TransportConfig:
        """How every request of the run is sent."""
        from scimcheck.http.transport import TransportConfig

        return TransportConfig(
            self.base_url, self.token, self.timeout_s, verify=self.verify, max_rps=self.max_rps,
            retry_budget_s=self.retry_budget_s, auth=self.authorizer(), proxy=self.proxy,
            headers=self.headers, in_flight=self.in_flight,
        )

    @property
    def tag(self) -> str:
        """Marker put in every resource this run creates."""
        return f"scimcheck-{self.run_id}"
