"""What the endpoint claims in /ServiceProviderConfig (RFC 7643 §5), read once per run.

Sequences that need a feature Entra does not use (sort, ETags, bulk, password change) are
skipped, with the evidence, when the endpoint does not claim it. Features Entra needs (PATCH,
filter) are never skipped: their sequences run, and the discovery checks judge the claim.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scimcheck.http.transport import Transport
from scimcheck.scim import endpoints

OPTIONAL_FEATURES = ("sort", "etag", "bulk", "changePassword")
"""ServiceProviderConfig features Entra does not use (docs/entra.md §1.0, §6)."""


@dataclass(frozen=True)
class Capabilities:
    """The ServiceProviderConfig answer, and how it was obtained (for skip reasons)."""

    document: dict[str, Any] | None
    evidence: str

    def claims(self, feature: str) -> bool:
        """Whether ``feature.supported`` is true (no document claims nothing)."""
        if self.document is None:
            return False
        for key, value in self.document.items():
            if key.lower() == feature.lower() and isinstance(value, dict):
                return value.get("supported") is True
        return False

    def skip_reason(self, feature: str) -> str | None:
        """Why a sequence needing an optional feature is skipped, or None to run it."""
        if feature not in OPTIONAL_FEATURES or self.claims(feature):
            return None
        if self.document is None:
            return f"the endpoint does not claim {feature}: {self.evidence}"
        return (
            f"the endpoint does not claim {feature}: {feature}.supported is not true in "
            f"{self.evidence}"
        )


def discover(transport: Transport) -> Capabilities:
    """GET /ServiceProviderConfig once."""
    answer = transport.send("GET", endpoints.SERVICE_PROVIDER_CONFIG, label="capabilities")
    body = answer.json()
    if answer.status == 200 and isinstance(body, dict):
        return Capabilities(body, answer.summary())
    return Capabilities(None, f"no usable ServiceProviderConfig ({answer.summary()})")
