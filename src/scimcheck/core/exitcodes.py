"""Exit codes of ``scimcheck run`` (documented in docs/cli.md; other tooling relies on them)."""

from __future__ import annotations

OK = 0
"""No check at a failing level failed."""
CHECKS_FAILED = 1
"""At least one entra-blocking or rfc-must check (rfc-should too with --strict) failed."""
USAGE = 2
"""Bad command line, option, profile or environment: nothing was sent."""
TARGET_UNAVAILABLE = 3
"""The target could not be reached, or rejected the credentials at discovery."""
HARNESS_ERROR = 4
"""scimcheck itself failed (a bug, or a broken suite file); the endpoint was not judged."""
INTERRUPTED = 130
"""Stopped by Ctrl-C or SIGTERM; created resources were cleaned up."""
