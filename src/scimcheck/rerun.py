"""``scimcheck replay``: re-run a failure or a sequence file, verbosely, and say if it still fails.

Two kinds of FILE:

- a failure record (``reports/repro/*.json``, written beside each repro script): the same test
  is run again with the same seed and profile, so the same requests are sent (ids aside) and
  the same check judges the answer: "still failing" or "fixed";
- a sequence file (``fixtures/sequences/*.yaml``, or one ``scimcheck record`` wrote): it is
  replayed alone, in each dialect it declares, and every check it names is judged.

Every request and answer is printed as it happens (token redacted). Without URL the embedded
reference server is the target.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from scimcheck import exitcodes, textfile


class ReplayFileError(Exception):
    """FILE is neither a failure record nor a sequence file; the message says what it is."""


@dataclass(frozen=True)
class Target:
    """What to run: pytest node ids plus extra options, and what to say afterwards."""

    nodes: list[str]
    options: list[str]
    check: str | None
    """The failure record's check, or None for a sequence file (every check counts)."""
    profile: str | None
    label: str


def load(path: Path, suites: Path) -> Target:
    """Read FILE; ``ReplayFileError`` when it cannot be replayed."""
    try:
        text = textfile.read(path)
    except OSError as exc:
        raise ReplayFileError(f"cannot read {str(path)!r}: {exc.strerror or exc}") from None
    try:
        data: Any = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError):
        raise ReplayFileError(f"{path} is not JSON or YAML") from None
    if isinstance(data, dict) and "check" in data and "test" in data:
        test = str(data["test"]).split("::", 1)
        if len(test) != 2 or not (suites / test[0]).is_file():
            raise ReplayFileError(f"{path}: test {data['test']!r} is not one of the suites")
        options = ["--scim-seed", str(data["seed"])] if data.get("seed") is not None else []
        if data.get("examples") is not None:
            options += ["--scim-examples", str(data["examples"])]
        if int(data.get("shards") or 1) > 1:  # the failing item is one shard of a property
            options += ["--scim-shards", str(data["shards"])]
        if not test[0].startswith("test_generated"):  # a property sends thousands of requests
            options += ["--scim-verbose", "-s"]
        return Target(
            nodes=[f"{suites / test[0]}::{test[1]}"], options=options,
            check=str(data["check"]), profile=data.get("profile"),
            label=f"{data['check']} in {test[1]}",
        )
    if isinstance(data, dict) and "steps" in data:
        return Target(
            nodes=[f"{suites / 'test_entra_sequences.py'}::test_sequence"],
            options=["--scim-sequence-file", str(path.resolve()), "--scim-verbose", "-s"],
            check=None, profile=None, label=f"sequence {data.get('id', path.name)}",
        )
    raise ReplayFileError(
        f"{path} is neither a failure record (reports/repro/*.json, written by "
        "'scimcheck run') nor a sequence file (docs/sequences.md)"
    )


def verdict(target: Target, document: dict[str, Any]) -> tuple[int, str]:
    """The exit code and the sentence to print, from the replay's results."""
    by_id = {c["id"]: c for c in document["checks"]}
    if target.check is not None:
        entry = by_id.get(target.check)
        if entry is None or entry["outcome"] == "skipped":
            return exitcodes.HARNESS_ERROR, (
                f"could not judge {target.label}: the check was not evaluated this time "
                "(see the output above)"
            )
        if entry["outcome"] == "failed":
            return exitcodes.CHECKS_FAILED, f"still failing: {target.check}: {entry['message']}"
        return exitcodes.OK, f"fixed: {target.check} passes now"
    failed = [c for c in document["checks"] if c["outcome"] == "failed"]
    if document["tests"]["errors"]:
        return exitcodes.HARNESS_ERROR, f"{target.label} could not be replayed (see above)"
    if failed:
        lines = "; ".join(f"{c['id']}: {c['message']}" for c in failed[:5])
        return exitcodes.CHECKS_FAILED, f"still failing: {lines}"
    judged = sum(1 for c in document["checks"] if c["outcome"] == "passed")
    return exitcodes.OK, f"passes: {target.label}, {judged} check(s) held"
