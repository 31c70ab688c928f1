"""What changed between two runs: each finding new, fixed or still failing (``--baseline``,
``scimcheck diff``).

A finding is one failed check at one place: its check id, the test (sequence or property) that
judged it without the shard, the Entra dialect and the step whose answer was judged, with the
run's own values (ids, generated names, numbers) masked. Its fingerprint is stable from one run to
the next, so a nightly job can fail only on what is new. A finding of the old run counts as fixed
only when the new run judged its check and found nothing there; a check the new run did not judge
is "not judged", never "fixed".

Both files are hostile input (a report bundle from anywhere): read within a size bound, validated
against ``schemas/results.schema.json``, and a bad one is a one-line ``ConfigError``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from scimcheck.core import textfile
from scimcheck.core.errors import ConfigError
from scimcheck.http import redaction
from scimcheck.scim import schemas

MAX_RESULTS_BYTES = 64 * 1024 * 1024
"""A results.json keeps every failure with its script; past this it is not one of ours."""

FailOn = Literal["new", "any"]
FAIL_ON: tuple[FailOn, ...] = ("any", "new")

GENERATED_PREFIX = "generated."
_SHARD = re.compile(r"-?shard\d+of\d+")
_MASKS = (
    (re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"),
     "{id}"),
    (re.compile(r"\bscimcheck-[\w-]+"), "{name}"),
    (re.compile(r"'[^']*'|\"[^\"]*\""), "{value}"),
    (re.compile(r"\b[0-9a-fA-F]{12,}\b"), "{id}"),
    (re.compile(r"\b\d+(\.\d+)?\b"), "{n}"),
)
"""What differs between two runs of the same step: ids, this run's resource names, quoted
values, numbers (status codes stay in the check id and the message, not in the key)."""


def masked(text: str) -> str:
    """``text`` with the run's own values replaced by placeholders."""
    for pattern, placeholder in _MASKS:
        text = pattern.sub(placeholder, text)
    return " ".join(text.split())


@dataclass(frozen=True)
class Finding:
    """One failed check at one place of one run."""

    check: str
    level: str
    fails_run: bool
    test: str
    dialect: str
    step: str
    message: str

    @property
    def key(self) -> str:
        return f"{self.check} | {self.test} | {self.dialect} | {self.step}"

    @property
    def fingerprint(self) -> str:
        """A short stable id of :attr:`key` (12 hex digits)."""
        return hashlib.sha256(self.key.encode("utf-8")).hexdigest()[:12]

    def to_dict(self) -> dict[str, Any]:
        return {"fingerprint": self.fingerprint, "check": self.check, "level": self.level,
                "fails_run": self.fails_run, "test": self.test, "dialect": self.dialect,
                "step": self.step, "message": self.message}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(check=data["check"], level=data["level"], fails_run=data["fails_run"],
                   test=data["test"], dialect=data["dialect"], step=data["step"],
                   message=data["message"])


def _dialect(failure: dict[str, Any]) -> str:
    if failure.get("dialect"):
        return str(failure["dialect"])
    found = re.match(r"\[(legacy|compliant)\] ", str(failure.get("message", "")))
    return found.group(1) if found else "any"


def _step(check_id: str, failure: dict[str, Any]) -> str:
    """The judged step: its label when the record has one, else the request line the
    message starts with (``PATCH /Users/{id}``), masked. None for a generated check: which step
    of a random example failed depends on the seed, the property that failed does not."""
    if check_id.startswith(GENERATED_PREFIX):
        return ""
    if failure.get("step"):
        return masked(str(failure["step"]))
    message = re.sub(r"^\[(legacy|compliant)\] ", "", str(failure.get("message", "")))
    found = re.match(r"(GET|POST|PUT|PATCH|DELETE) (\S+)", message)
    return masked(f"{found.group(1)} {found.group(2)}") if found else ""


def findings(document: dict[str, Any]) -> dict[str, Finding]:
    """Every finding of a run by fingerprint (repeats of one finding count once)."""
    out: dict[str, Finding] = {}
    for check in document["checks"]:
        for failure in check["failures"]:
            test = _SHARD.sub("", str(failure.get("test", ""))).replace("[]", "")
            finding = Finding(
                check=check["id"], level=check["level"],
                fails_run=bool(check["fails_run"]), test=test, dialect=_dialect(failure),
                step=_step(check["id"], failure), message=str(failure.get("message", "")),
            )
            out.setdefault(finding.fingerprint, finding)
    return out


_GROUPS = ("new", "fixed", "still", "not_judged")


@dataclass
class Comparison:
    """The findings of a new run against those of an old one."""

    new: list[Finding] = field(default_factory=list)
    fixed: list[Finding] = field(default_factory=list)
    still: list[Finding] = field(default_factory=list)
    not_judged: list[Finding] = field(default_factory=list)
    """Old findings whose check the new run did not judge: neither fixed nor failing."""

    def fails(self, fail_on: FailOn) -> bool:
        """Whether the run fails: any finding at a failing level, or (``new``) only a new one."""
        considered: Iterable[Finding] = self.new if fail_on == "new" else [*self.new, *self.still]
        return any(f.fails_run for f in considered)

    def to_dict(self, baseline: str) -> dict[str, Any]:
        return {
            "baseline": baseline,
            **{name: [f.to_dict() for f in getattr(self, name)] for name in _GROUPS},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Comparison:
        """The comparison a results.json holds under ``baseline``."""
        return cls(**{name: [Finding.from_dict(f) for f in data[name]] for name in _GROUPS})

    def summary(self) -> str:
        return (f"{len(self.new)} new, {len(self.fixed)} fixed, {len(self.still)} still failing"
                + (f", {len(self.not_judged)} not judged this time" if self.not_judged else ""))

    def lines(self) -> list[str]:
        """The comparison for a terminal: one line per new, fixed or unjudged finding."""
        out = [f"Since the baseline: {self.summary()}"]
        for label, group in (("new", self.new), ("fixed", self.fixed),
                             ("not judged", self.not_judged)):
            for finding in group:
                where = f"{finding.test} [{finding.dialect}]"
                step = f" at {finding.step}" if finding.step else ""
                out.append(redaction.one_line(
                    f"  {label:<10} {finding.check} ({finding.level}) in {where}{step}"
                ))
        return out


def compare(old: dict[str, Any], new: dict[str, Any]) -> Comparison:
    """Classify every finding of ``old`` and ``new``."""
    before, after = findings(old), findings(new)
    judged = {c["id"] for c in new["checks"] if c["outcome"] in ("passed", "failed")}
    result = Comparison()
    for fingerprint, finding in after.items():
        (result.still if fingerprint in before else result.new).append(finding)
    for fingerprint, finding in before.items():
        if fingerprint in after:
            continue
        (result.fixed if finding.check in judged else result.not_judged).append(finding)
    return result


def load(path: Path, what: str) -> dict[str, Any]:
    """A results.json written by scimcheck, validated; ``ConfigError`` (one line) if not."""
    shown = redaction.for_terminal(str(path))
    try:
        text = textfile.read(path, MAX_RESULTS_BYTES)
    except OSError as exc:
        raise ConfigError(
            f"{what} {shown} cannot be read: {exc.strerror or exc}; "
            "give the results.json of an earlier scimcheck run"
        ) from None
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ConfigError(
            f"{what} {shown} is not JSON ({redaction.one_line(str(exc))[:120]}); "
            "give the results.json of an earlier scimcheck run"
        ) from None
    problems = schemas.validate("results", document)
    if problems:
        raise ConfigError(
            f"{what} {shown} is not a scimcheck results.json: "
            f"{redaction.one_line(str(problems[0]))[:200]}"
        )
    result: dict[str, Any] = document
    return result


def attach(document: dict[str, Any], baseline: dict[str, Any], baseline_path: str) -> None:
    """Add the comparison with ``baseline`` to a run's results (``document["baseline"]``)."""
    document["baseline"] = compare(baseline, document).to_dict(baseline_path)


def run_fails(document: dict[str, Any], fail_on: FailOn) -> bool:
    """Whether a run fails: with ``fail_on="any"`` as its verdict says; with ``"new"`` only on
    a new finding at a failing level since its baseline, or when the run itself was cut short
    (errors, the deadline)."""
    if fail_on == "any" or document["verdict"] == "pass" or "baseline" not in document:
        return bool(document["verdict"] == "fail")
    cut_short = bool((document.get("deadline") or {}).get("reached")) or bool(
        document["tests"]["errors"]
    )
    return cut_short or Comparison.from_dict(document["baseline"]).fails("new")


def diff(old_path: Path, new_path: Path) -> tuple[Comparison, list[str]]:
    """``scimcheck diff OLD NEW``: the comparison and its lines for a terminal."""
    old, new = load(old_path, "OLD"), load(new_path, "NEW")
    comparison = compare(old, new)
    return comparison, comparison.lines()
