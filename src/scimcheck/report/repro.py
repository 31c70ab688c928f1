"""Reproduction scripts for failures: the request chain up to the failing step, as curl.

Every failed check gets one (the first failure of each check in each test): a bash script that
replays the requests the test sent up to and including the one the check judged, with ids
captured from the endpoint's answers and the token read from ``$SCIM_TOKEN``. A property's
failure brings its own, the shrunk example's chain
(:mod:`scimcheck.generate.properties`). Each script
labels its steps, judges the last answer against the check's expectation (``REPRODUCED``, exit
1; ``NOT REPRODUCED``, exit 0; ``CHECK BY HAND``, exit 3) and deletes what its creates made.
The scripts go into the report directory (``repro/``) and into the HTML report.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

from scimcheck.checks import registry as checks
from scimcheck.http import redaction
from scimcheck.http.curl import Judgement, render_script
from scimcheck.http.transport import Exchange
from scimcheck.scim import profiles
from scimcheck.sequences import item_names
from scimcheck.sequences.runner import Evaluation, Sequence

MAX_SEEN = 300
"""The longest part of a failure's message a script repeats for the person checking by hand."""
MAX_CHAIN = 80
"""The longest chain a script replays (the requests before it are left out, and said so)."""


def attach(sequence: Sequence, test: str) -> list[Evaluation]:
    """The evaluations, each failure carrying a repro script (one per check in this test)."""
    exchanges = sequence.transport.exchanges
    done: set[str] = set()
    out: list[Evaluation] = []
    for evaluation in sequence.evaluations:
        if evaluation.passed or evaluation.repro or evaluation.check.id in done:
            out.append(evaluation)
            continue
        done.add(evaluation.check.id)
        last = evaluation.exchange
        chain = [x for x in exchanges if last is None or x.index <= last]
        title = f"{test}: {evaluation.check.id}"
        if len(chain) > MAX_CHAIN:
            title += f" (the first {len(chain) - MAX_CHAIN} requests of the test left out)"
            chain = chain[-MAX_CHAIN:]
        judged = next((x for x in chain if x.index == last), None) if last is not None else None
        judgement = evaluation.judgement or default_judgement(
            evaluation.check.id, evaluation.message, judged)
        if not judgement.by_hand:  # whatever a script cannot judge, it says what is expected
            judgement = dataclasses.replace(
                judgement, by_hand=f"the last answer above, which should show that "
                                   f"{_expectation(evaluation.check.id)}")
        script = render_script(chain, sequence.transport.config.base_url, title, judgement)
        out.append(dataclasses.replace(evaluation, repro=script))
    return out


def default_judgement(check: str, message: str, judged: Exchange | None) -> Judgement:
    """For a check that states no expectation as data: a server error stays one (no SCIM
    operation may answer 5xx, RFC 7644 §3.12); anything else is for a person to compare with
    what the run saw (``CHECK BY HAND``, with what the check expects in words), never a
    guessed verdict."""
    seen = message if len(message) <= MAX_SEEN else message[:MAX_SEEN - 1] + "…"
    if judged is not None and judged.status is not None and judged.status >= 500:
        return Judgement(check, below=500, by_hand=seen)
    return Judgement(check, by_hand=f"the last answer above, which should show that "
                                    f"{_expectation(check)}; the run saw: {seen}")


def _expectation(check: str) -> str:
    """What a check expects, in words: its registered title (lower-cased first letter)."""
    try:
        title = checks.get(check).title
    except KeyError:
        return "the check holds"
    return title[:1].lower() + title[1:].rstrip(".")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:80]


def write(
    document: dict[str, Any], directory: Path, profile: str | None = None,
    examples: int | None = None, shards: int = 1,
) -> list[Path]:
    """Write each failure's script as ``repro/<check>--<test>.sh`` (``<test>``: the test
    function, or the sequence file and its item: ``user-lifecycle-legacy``), and beside it a
    failure record (``.json``) that ``scimcheck replay`` re-runs; the scripts written."""
    written: list[Path] = []
    for entry in document.get("checks", ()):
        for failure in entry.get("failures", ()):
            script = failure.get("repro")
            if not script:
                continue
            test = item_names.short_name(failure.get("test", ""))
            path = directory / f"{_slug(entry['id'])}--{_slug(test) or 'run'}.sh"
            if path in written:
                continue
            directory.mkdir(parents=True, exist_ok=True)
            redaction.write_text(path, script)
            path.chmod(0o755)
            used = profile or document.get("profile")
            shipped = profiles.bundled_file(used) if used else None
            record = {
                "check": entry["id"],
                "test": failure.get("test", ""),
                "message": failure.get("message", ""),
                "seed": document.get("seed"),
                "profile": shipped.stem if shipped else used,  # a name replays anywhere
                "examples": examples,
                "shards": shards,
                "target": document.get("target"),
                "script": path.name,
            }
            redaction.write_text(path.with_suffix(".json"), redaction.dumps_json(record) + "\n")
            written.append(path)
    return written


def scripts_in(directory: Path) -> list[Path]:
    """The scripts a run wrote, sorted."""
    return sorted(directory.glob("*.sh")) if directory.is_dir() else []


def files_in(directory: Path) -> list[Path]:
    """Everything a run wrote there (scripts and failure records)."""
    return sorted([*directory.glob("*.sh"), *directory.glob("*.json")]) if directory.is_dir() \
        else []
