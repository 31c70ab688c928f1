"""The registry of every check scimcheck ships, read from ``checks.yaml`` beside this module.

A check is data: ``checks.yaml`` holds each one's id, level, capability, public source,
consequence under Entra and fix, and ``checks.schema.json`` the rules an entry follows. The file
is read and validated once, on the first lookup; a malformed one raises :class:`HarnessError`
naming each bad entry by id and the rule it breaks. Suites evaluate checks by id through
:class:`scimcheck.sequences.runner.Sequence`; the id, level and source of a check never change
once released. Each check has a self-test that makes it fail against a broken variant of the
reference server (``docs/checks.md``, generated from this registry).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from scimcheck.checks.model import Capability, Check, Level
from scimcheck.core.errors import HarnessError

__all__ = [
    "DATA_FILE",
    "KEEPS_DELETED_USERS",
    "REGISTRY",
    "SCHEMA_FILE",
    "Capability",
    "Check",
    "Level",
    "all_checks",
    "checks_from",
    "get",
]

DATA_FILE = Path(__file__).resolve().with_name("checks.yaml")
"""The registry's data, shipped in the package beside this module."""
SCHEMA_FILE = DATA_FILE.with_name("checks.schema.json")
"""The JSON Schema (Draft 2020-12) every entry of :data:`DATA_FILE` must satisfy."""

KEEPS_DELETED_USERS = ("user.delete.gone", "user.delete.gone-from-queries", "user.delete.recreate")
"""Checks whose failure shows an endpoint that keeps users after DELETE: the users a run
created and deleted may still be on it (the run says so, naming ``scimcheck cleanup``)."""


@cache
def _schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return schema


def checks_from(document: object, source: str = DATA_FILE.name) -> tuple[Check, ...]:
    """The checks of a registry document (``checks.yaml`` parsed), in order, once it satisfies
    :data:`SCHEMA_FILE` and its ids are unique; else :class:`HarnessError` naming ``source``,
    each bad entry (by id and position) and what is wrong with it."""
    from jsonschema import Draft202012Validator  # here: importing this module stays cheap

    validator = Draft202012Validator(_schema())
    errors = list(validator.iter_errors(document))
    if errors:
        problems = "\n".join(
            f"  {_where(document, list(e.path))}{_shortened(e.message)}" for e in errors
        )
        raise HarnessError(
            f"{source} is not a valid check registry ({SCHEMA_FILE.name}):\n{problems}"
        )
    assert isinstance(document, dict)  # the schema says so
    checks: list[Check] = []
    first_entry: dict[str, int] = {}
    for number, entry in enumerate(document["checks"], start=1):
        if entry["id"] in first_entry:
            raise HarnessError(
                f"{source}: duplicate check id {entry['id']!r} "
                f"(entries {first_entry[entry['id']]} and {number})"
            )
        first_entry[entry["id"]] = number
        checks.append(
            Check(
                id=entry["id"],
                title=entry["title"],
                level=Level(entry["level"]),
                capability=Capability(entry["capability"]),
                source=entry["source"],
                url=entry["url"],
                consequence=entry["consequence"],
                fix=entry["fix"],
            )
        )
    return tuple(checks)


def _where(document: object, path: list[str | int]) -> str:
    """``check 'id' (entry N), field: `` for an error inside an entry, else its JSON pointer."""
    if len(path) >= 2 and path[0] == "checks" and isinstance(path[1], int):
        entry = document["checks"][path[1]] if isinstance(document, dict) else None
        check_id = entry.get("id") if isinstance(entry, dict) else None
        name = f"check {check_id!r}" if isinstance(check_id, str) else "check without an id"
        field = f", {'/'.join(map(str, path[2:]))}" if len(path) > 2 else ""
        return f"{name} (entry {path[1] + 1}){field}: "
    return f"/{'/'.join(map(str, path))}: " if path else ""


def _shortened(message: str, limit: int = 300) -> str:
    """A schema error's message, its quoted instance cut short (a whole document can be one)."""
    return message if len(message) <= limit else f"{message[:limit // 2]} … {message[-limit // 2:]}"


@cache
def _by_id() -> dict[str, Check]:
    """Every check by id, read from :data:`DATA_FILE` and validated, once per process."""
    import yaml  # here, as jsonschema in checks_from: only a lookup pays for reading the file

    from scimcheck.core import yamlsafe

    try:
        document = yamlsafe.load(DATA_FILE.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise HarnessError(f"cannot read the check registry {DATA_FILE}: {exc}") from exc
    return {check.id: check for check in checks_from(document, str(DATA_FILE))}


class _Registry(Mapping[str, Check]):
    """:data:`REGISTRY`: a read-only view that reads ``checks.yaml`` on first use."""

    def __getitem__(self, check_id: str) -> Check:
        return _by_id()[check_id]

    def __iter__(self) -> Iterator[str]:
        return iter(_by_id())

    def __len__(self) -> int:
        return len(_by_id())

    def __repr__(self) -> str:
        return f"REGISTRY({len(self)} checks from {DATA_FILE.name})"


REGISTRY: Mapping[str, Check] = _Registry()
"""Every registered check by id, in registry order."""


def get(check_id: str) -> Check:
    """Look a check up by id; an unknown id is a harness bug, reported with a suggestion."""
    try:
        return _by_id()[check_id]
    except KeyError:
        close = difflib.get_close_matches(check_id, _by_id(), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise KeyError(f"unknown check id {check_id!r}.{hint}") from None


def all_checks() -> tuple[Check, ...]:
    """Every registered check, in registry order."""
    return tuple(_by_id().values())
