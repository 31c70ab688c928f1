"""What the controller process gathers while tests report (results.json's raw material)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class RunState:
    """What the controller process gathers while tests report."""

    started: float = 0.0
    started_iso: str = ""
    evaluations: list[dict[str, Any]] = field(default_factory=list)
    retries: int = 0
    retry_wait_s: float = 0.0
    requests: dict[str, int] = field(default_factory=dict)
    """Requests each test sent (node id → count), its cleanup included."""
    tests: dict[str, int] = field(
        default_factory=lambda: {"passed": 0, "failed": 0, "skipped": 0, "errors": 0}
    )
    collected_scim: bool = False
    cleanup_problems: int = 0
    not_evaluated: list[dict[str, str]] = field(default_factory=list)
    """Tests stopped before their end, each with the reason (deadline, hostile endpoint)."""
    deadline_reached: bool = False
