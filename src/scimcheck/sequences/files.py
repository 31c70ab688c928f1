"""Sequence files: Entra request sequences as data (``fixtures/sequences/*.yaml``).

The format is ``schemas/sequence.schema.json`` (docs/sequences.md explains it). A file that is
not valid YAML, breaks the schema, names an unknown check or refers to an unknown step fails at
load with its file, line and what is wrong: that is a harness error, never the endpoint's fault.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from scimcheck.checks import registry as checks
from scimcheck.core import bundled, textfile, yamlsafe
from scimcheck.core.errors import SequenceFileError
from scimcheck.scim import schemas

NO_BODY: Any = object()


class _Lines(dict[Any, Any]):
    """A mapping that remembers the line of each of its keys (1-based)."""

    line: int = 0
    key_lines: dict[Any, int]


class _LineList(list[Any]):
    """A list that remembers the line of each item (1-based)."""

    line: int = 0
    item_lines: list[int]


class _Loader(yamlsafe.SafeLoader):
    """scimcheck's safe loader (no alias bombs) that keeps line numbers for error messages."""


def _mapping(loader: _Loader, node: yaml.MappingNode) -> _Lines:
    result = _Lines()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = value_node.start_mark.line + 1
    return result


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> _LineList:
    result = _LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)


def _line_of(data: Any, path: Iterable[Any]) -> int:
    line = getattr(data, "line", 1)
    node = data
    for part in path:
        if isinstance(node, _Lines) and part in node:
            line = node.key_lines.get(part, line)
            node = node[part]
        elif isinstance(node, _LineList) and isinstance(part, int) and part < len(node):
            line = node.item_lines[part]
            node = node[part]
        else:
            break
    return line


@dataclass(frozen=True)
class Assertion:
    """One assertion on the body: ``at`` a path, of ``kind`` (equals, same_set, …).

    ``before`` (the values before an update), ``skip`` (attribute paths not to judge) and
    ``stored`` refine the values-map kinds, ``has_values``, ``exact_values`` and ``updated``.
    """

    at: str
    kind: str
    expected: Any
    before: Any = None
    skip: Any = None
    stored: Any = None
    """The resource as read back after its create (templated): attribute paths it does not
    hold are not judged, since an endpoint that never stored one cannot show an update of it
    (the create's read-back is user.values-roundtrip's to judge)."""


@dataclass(frozen=True)
class Expectation:
    """One check on an answer: every condition given must hold."""

    check: str
    dialect: str | None = None
    status: tuple[int, ...] = ()
    schema: str | None = None
    headers_present: tuple[str, ...] = ()
    media_type: str | None = None
    body: tuple[Assertion, ...] = ()
    message: str | None = None
    on_success: bool = False
    json_body: bool = False
    only_if: tuple[Assertion, ...] = ()
    """Judge only when these hold (e.g. the list did not change between two pages)."""
    completed_by: str | None = None
    """A later step whose expectation of this check must be judged for a pass here to count."""
    when_status: tuple[int, ...] = ()
    """Judge only answers with one of these statuses (e.g. a challenge on a 401)."""


@dataclass(frozen=True)
class Request:
    """A request template: the file's own (``method``, ``path``, ``query``, ``body``), or one of
    Entra's requests by name (``entra``, its arguments ``args`` from ``with:``)."""

    method: str
    path: str
    query: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    auth: bool = True
    body: Any = NO_BODY
    body_by_dialect: Mapping[str, Any] | None = None
    diagnose_op_case: bool = False
    deliberately_invalid: bool = False
    entra: str | None = None
    """The name of one of Entra's requests (:data:`scimcheck.entra.requests.SHAPES`)."""
    args: Mapping[str, Any] = field(default_factory=dict)
    """Its arguments (templated)."""

    def body_for(self, dialect: str | None) -> Any:
        """The body template for a dialect (``NO_BODY`` when the request has none)."""
        if self.body_by_dialect is not None:
            return self.body_by_dialect[dialect or "compliant"]
        return self.body


@dataclass(frozen=True)
class PartsDiagnosis:
    """When a multi-operation PATCH is rejected, send each operation (and each key of a
    path-less value) alone and charge each rejected part to its check."""

    check: str
    dotted_keys_check: str | None = None
    rejected: str | None = None
    """Variable set to the attribute paths rejected alone (``[]`` when the PATCH was taken)."""


@dataclass(frozen=True)
class Step:
    """One step of a sequence."""

    name: str
    line: int
    generate: Mapping[str, str] = field(default_factory=dict)
    after: tuple[str, ...] = ()
    if_set: str | None = None
    dialect: str | None = None
    request: Request | None = None
    capture: Mapping[str, str] = field(default_factory=dict)
    created: str | None = None
    deleted: str | None = None
    expect: tuple[Expectation, ...] = ()
    stop_on_failure: bool = False
    fallback: Request | None = None
    diagnose_parts: PartsDiagnosis | None = None


@dataclass(frozen=True)
class SequenceFile:
    """A whole sequence, as loaded from its file."""

    id: str
    title: str
    source: str
    path: Path
    steps: tuple[Step, ...]
    description: str = ""
    dialects: str = "both"
    requires: tuple[str, ...] = ()

    @property
    def check_ids(self) -> set[str]:
        """Every check this sequence can evaluate."""
        found = {e.check for step in self.steps for e in step.expect}
        for step in self.steps:
            if step.diagnose_parts is not None:
                found.add(step.diagnose_parts.check)
                if step.diagnose_parts.dotted_keys_check:
                    found.add(step.diagnose_parts.dotted_keys_check)
        return found


_ASSERTION_KINDS = (
    "equals", "not_equals", "equals_ignore_case", "same_set", "contains", "excludes",
    "unique", "count", "counts", "at_least", "present", "is_boolean", "ends_with", "has_values",
    "updated", "exact_values", "later_than", "decidable_since", "uri_of", "same_uri",
)


def _assertion(data: Mapping[str, Any]) -> Assertion:
    kind = next(k for k in _ASSERTION_KINDS if k in data)
    return Assertion(
        at=str(data["at"]), kind=kind, expected=data[kind],
        before=data.get("before"), skip=data.get("skip"), stored=data.get("stored"),
    )


def _expectation(data: Mapping[str, Any]) -> Expectation:
    return Expectation(
        check=str(data["check"]),
        dialect=data.get("dialect"),
        status=tuple(data.get("status", ())),
        schema=data.get("schema"),
        headers_present=tuple(data.get("headers_present", ())),
        media_type=data.get("media_type"),
        body=tuple(_assertion(a) for a in data.get("body", ())),
        message=data.get("message"),
        on_success=bool(data.get("on_success", False)),
        json_body=bool(data.get("json_body", False)),
        only_if=tuple(_assertion(a) for a in data.get("only_if", ())),
        completed_by=data.get("completed_by"),
        when_status=tuple(int(s) for s in data.get("when_status", ())),
    )


def _request(data: Mapping[str, Any]) -> Request:
    return Request(
        method=str(data.get("method", "")),  # an Entra request's come from its shape
        path=str(data.get("path", "")),
        query=dict(data.get("query", {})),
        headers=dict(data.get("headers", {})),
        auth=bool(data.get("auth", True)),
        body=data.get("body", NO_BODY),
        body_by_dialect=data.get("body_by_dialect"),
        diagnose_op_case=bool(data.get("diagnose_op_case", False)),
        deliberately_invalid=bool(data.get("deliberately_invalid", False)),
        entra=data.get("entra"),
        args=dict(data.get("with", {})),
    )


def load(path: Path) -> SequenceFile:
    """Load and check one sequence file; ``SequenceFileError`` says where it is wrong."""
    shown = _shown(path)
    try:
        text = textfile.read(path)
    except OSError as exc:
        raise SequenceFileError(f"{shown}: cannot read: {exc.strerror or exc}") from None
    try:
        data = yaml.load(text, Loader=_Loader)  # a yamlsafe.SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise SequenceFileError(f"{shown}{where}: not valid YAML: {problem}") from None
    problems = schemas.validate("sequence", data)
    if problems:
        first = problems[0]
        path_parts = [_part(p) for p in first.path.strip("/").split("/") if p and p != "(root)"]
        raise SequenceFileError(
            f"{shown}:{_line_of(data, path_parts)}: {first.path}: {first.message}"
        )
    steps: list[Step] = []
    seen: set[str] = set()
    names = [raw["name"] for raw in data["steps"]]
    for index, raw in enumerate(data["steps"]):
        for expectation in raw.get("expect", ()):
            later = expectation.get("completed_by")
            if later is not None and later not in names[index + 1:]:
                raise SequenceFileError(
                    f"{shown}:{_line_of(expectation, ['completed_by'])}: {expectation['check']} "
                    f"is completed_by {later!r}, which is not a later step of this sequence"
                )
        line = _line_of(data, ["steps", index])
        named = [(e, "check") for e in raw.get("expect", ())]
        diagnosis = raw.get("diagnose_parts") or {}
        named += [(diagnosis, key) for key in ("check", "dotted_keys_check") if key in diagnosis]
        for holder, key in named:
            if holder[key] not in checks.REGISTRY:
                close = difflib.get_close_matches(holder[key], checks.REGISTRY, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise SequenceFileError(
                    f"{shown}:{_line_of(holder, [key])}: unknown check "
                    f"{holder[key]!r}{hint} ('scimcheck checks' lists them)"
                )
        after = raw.get("after")
        after = (after,) if isinstance(after, str) else tuple(after or ())
        for earlier in after:
            if earlier not in seen:
                raise SequenceFileError(
                    f"{shown}:{line}: step {raw['name']!r} runs after {earlier!r}, which is "
                    "not an earlier step of this sequence"
                )
        if raw["name"] in seen:
            raise SequenceFileError(f"{shown}:{line}: a second step named {raw['name']!r}")
        seen.add(raw["name"])
        steps.append(
            Step(
                name=str(raw["name"]),
                line=line,
                generate=dict(raw.get("generate", {})),
                after=after,
                if_set=raw.get("if_set"),
                dialect=raw.get("dialect"),
                request=_request(raw["request"]) if "request" in raw else None,
                capture=dict(raw.get("capture", {})),
                created=raw.get("created"),
                deleted=raw.get("deleted"),
                expect=tuple(_expectation(e) for e in raw.get("expect", ())),
                stop_on_failure=bool(raw.get("stop_on_failure", False)),
                fallback=_request(raw["fallback"]) if "fallback" in raw else None,
                diagnose_parts=PartsDiagnosis(
                    check=str(diagnosis["check"]),
                    dotted_keys_check=diagnosis.get("dotted_keys_check"),
                    rejected=diagnosis.get("rejected"),
                ) if diagnosis else None,
            )
        )
    return SequenceFile(
        id=str(data["id"]),
        title=str(data["title"]),
        source=str(data["source"]),
        path=path,
        steps=tuple(steps),
        description=str(data.get("description", "")),
        dialects=str(data.get("dialects", "both")),
        requires=tuple(data.get("requires", ())),
    )


def _part(text: str) -> Any:
    return int(text) if text.isdigit() else text


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(bundled.root()))
    except ValueError:
        return str(path)


def default_directory() -> Path:
    """Where the bundled sequences live."""
    return bundled.fixtures_dir() / "sequences"


def load_all(directories: Iterable[Path]) -> list[SequenceFile | SequenceFileError]:
    """Every ``*.yaml`` / ``*.yml`` / ``*.json`` sequence in the directories, sorted by path;
    broken files come back as their error, so each can be reported on its own."""
    loaded: list[SequenceFile | SequenceFileError] = []
    ids: dict[str, Path] = {}
    for directory in directories:
        files = sorted(
            p for p in directory.glob("*") if p.suffix in {".yaml", ".yml", ".json"}
        )
        for path in files:
            try:
                sequence = load(path)
            except SequenceFileError as exc:
                loaded.append(exc)
                continue
            if sequence.id in ids:
                loaded.append(
                    SequenceFileError(
                        f"{_shown(path)}:1: sequence id {sequence.id!r} is already used by "
                        f"{_shown(ids[sequence.id])}"
                    )
                )
                continue
            ids[sequence.id] = path
            loaded.append(sequence)
    return loaded
