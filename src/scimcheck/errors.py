"""Errors that are the user's to fix (configuration) rather than the endpoint's."""

from __future__ import annotations

import unittest


class ConfigError(Exception):
    """A bad option, profile or environment; the message names the problem and the fix."""


class SequenceAborted(Exception):
    """A prerequisite failed: the rest of the sequence cannot be judged."""


class HarnessError(Exception):
    """scimcheck itself is wrong (e.g. it built a request its own schema rejects): a bug."""


DEADLINE_REACHED = "run deadline reached"
"""The reason given for every test the run deadline left out (``--deadline``)."""


class RunStopped(unittest.SkipTest):
    """The rest of a test is not evaluated: the run deadline passed, or the endpoint cut off
    too many requests in a row for a generated search to mean anything. A ``SkipTest``, so
    Hypothesis stops at once (it shrinks failures, never skips) and pytest reports a skip."""
