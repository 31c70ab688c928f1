"""Errors that are the user's to fix (configuration) rather than the endpoint's."""

from __future__ import annotations


class ConfigError(Exception):
    """A bad option, profile or environment; the message names the problem and the fix."""


class SequenceAborted(Exception):
    """A prerequisite failed: the rest of the sequence cannot be judged."""


class HarnessError(Exception):
    """scimcheck itself is wrong (e.g. it built a request its own schema rejects): a bug."""
