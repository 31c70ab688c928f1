"""The exceptions scimcheck's modules raise to one another, in one place.

Three stay beside the code they belong to: ``generate.search.PropertyFailed`` (a generated example's
failure, carrying its evidence and request chain for Hypothesis to shrink),
``yamlsafe.ExpansionError`` (a YAML error with its mark, as PyYAML's loaders expect) and
``load.connections.LoadFailure`` (how Locust's statistics name a failed request); the private
control-flow exceptions of a module (``_Stopped``, ``_BodyBroken``, ``_Interrupted``) stay private.
"""

from __future__ import annotations

import unittest


class ConfigError(Exception):
    """A bad option, profile or environment, the user's to fix (exit 2); the message names the
    problem and the fix."""


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


class NothingToJudge(Exception):
    """Every attribute a values assertion would judge is one the endpoint never stored: the
    check is not evaluated there (with this reason), neither passed nor failed."""


class Refused(Exception):
    """The request target may not be forwarded: ``status`` (400 or 403) and why."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class ConformanceFailure(AssertionError):
    """Checks at a failing level failed; the message is the report a person reads."""


class ForwardError(Exception):
    """The upstream gave no answer; the message says why and what to do."""


class ProxyRefused(OSError):
    """A proxy would not open a CONNECT tunnel (RFC 9110 §9.3.6); the message quotes its status
    line."""


class ReplayFileError(Exception):
    """FILE is neither a failure record nor a sequence file; the message says what it is."""


class SequenceFileError(Exception):
    """A sequence file that cannot be used; the message is ``file:line: what is wrong``."""


class MissingVariable(Exception):
    """A template names a variable that is not set (an earlier step did not capture it)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name
