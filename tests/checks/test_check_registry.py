"""The check registry is data: ``checks.yaml``, validated against ``checks.schema.json`` when it is
first read; a malformed entry fails loudly, naming the entry and the rule it breaks."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from scimcheck.checks import registry as checks
from scimcheck.checks.model import Capability, Level
from scimcheck.core import yamlsafe
from scimcheck.core.errors import HarnessError

ENTRY: dict[str, str] = {
    "id": "example.check",
    "title": "An example holds",
    "level": "rfc-must",
    "capability": "Create user",
    "source": "RFC 7644 §3.3",
    "url": "https://www.rfc-editor.org/rfc/rfc7644#section-3.3",
    "consequence": "Something breaks.",
    "fix": "Fix it.",
}


def registry_with(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"checks": [copy.deepcopy(e) for e in entries]}


def without(entry: dict[str, str], key: str) -> dict[str, str]:
    return {k: v for k, v in entry.items() if k != key}


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(json.loads(checks.SCHEMA_FILE.read_text(encoding="utf-8")))


def test_the_shipped_registry_satisfies_its_schema() -> None:
    document = yamlsafe.load(checks.DATA_FILE.read_text(encoding="utf-8"))
    assert checks.checks_from(document) == checks.all_checks()
    assert len(checks.all_checks()) == len(checks.REGISTRY) > 0


def test_the_schema_enums_are_the_levels_and_capabilities() -> None:
    schema = json.loads(checks.SCHEMA_FILE.read_text(encoding="utf-8"))
    fields = schema["properties"]["checks"]["items"]["properties"]
    assert fields["level"]["enum"] == [level.value for level in Level]
    assert fields["capability"]["enum"] == [capability.value for capability in Capability]


def test_a_well_formed_entry_becomes_a_check() -> None:
    (check,) = checks.checks_from(registry_with(ENTRY))
    assert check.level is Level.RFC_MUST and check.capability is Capability.CREATE_USER
    assert (check.id, check.fix) == ("example.check", "Fix it.")


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (without(ENTRY, "level"), "'level' is a required property"),
        ({**ENTRY, "level": "rfc-may"}, "level: 'rfc-may' is not one of ['entra-blocking'"),
        ({**ENTRY, "capability": "Provisioning"}, "capability: 'Provisioning' is not one of"),
        ({**ENTRY, "fix": ""}, "fix: '' does not match"),
        ({**ENTRY, "fix": "Fix it.\n"}, "fix: 'Fix it.\\n' does not match"),
        ({**ENTRY, "url": "http://example.com"}, "url: 'http://example.com' does not match"),
        ({**ENTRY, "severity": "high"}, "('severity' was unexpected)"),
    ],
    ids=["missing-level", "unknown-level", "unknown-capability", "empty-fix",
         "trailing-newline", "plain-http-url", "unknown-field"],
)
def test_a_malformed_entry_is_refused_naming_it_and_the_rule(
    entry: dict[str, str], expected: str
) -> None:
    good = {**ENTRY, "id": "example.first"}
    with pytest.raises(HarnessError) as raised:
        checks.checks_from(registry_with(good, entry), source="checks.yaml")
    message = str(raised.value)
    assert message.startswith("checks.yaml is not a valid check registry (checks.schema.json):")
    assert "check 'example.check' (entry 2)" in message
    assert expected in message
    assert "example.first" not in message  # only the bad entry is named


def test_an_entry_without_an_id_is_named_by_its_position() -> None:
    with pytest.raises(HarnessError, match=r"check without an id \(entry 1\): 'id' is a required"):
        checks.checks_from(registry_with(without(ENTRY, "id")))


def test_every_bad_entry_is_reported_at_once() -> None:
    with pytest.raises(HarnessError) as raised:
        checks.checks_from(
            registry_with(without(ENTRY, "level"), {**ENTRY, "id": "other.check", "level": "x"})
        )
    assert "'example.check' (entry 1)" in str(raised.value)
    assert "'other.check' (entry 2), level: 'x' is not one of" in str(raised.value)


def test_a_duplicate_id_is_refused() -> None:
    with pytest.raises(HarnessError, match=r"duplicate check id 'example.check' \(entries 1 and 2"):
        checks.checks_from(registry_with(ENTRY, ENTRY))


def test_a_document_that_is_not_a_registry_is_refused() -> None:
    with pytest.raises(HarnessError) as raised:
        checks.checks_from({"check": [ENTRY]})
    assert "'checks' is a required property" in str(raised.value)
    assert "('check' was unexpected)" in str(raised.value)
    with pytest.raises(HarnessError) as raised:
        checks.checks_from([ENTRY] * 100)
    assert "is not of type 'object'" in str(raised.value)
    assert len(str(raised.value)) < 500  # the instance is not quoted whole


@pytest.fixture
def registry_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """A registry file of the test's own in place of the shipped one (the cache cleared before
    and after, so the rest of the session reads the shipped one again)."""
    path = tmp_path / "checks.yaml"
    monkeypatch.setattr(checks, "DATA_FILE", path)
    checks._by_id.cache_clear()
    yield path
    checks._by_id.cache_clear()


def test_a_bad_registry_file_fails_the_first_lookup(registry_file: Path) -> None:
    registry_file.write_text(
        "checks:\n- id: example.check\n  title: An example holds\n  level: rfc-may\n",
        encoding="utf-8",
    )
    with pytest.raises(HarnessError) as raised:
        checks.all_checks()
    assert str(registry_file) in str(raised.value)
    assert "check 'example.check' (entry 1), level: 'rfc-may' is not one of" in str(raised.value)
    assert "check 'example.check' (entry 1): 'capability' is a required property" in str(
        raised.value
    )


def test_a_registry_file_that_is_not_yaml_fails_loudly(registry_file: Path) -> None:
    registry_file.write_text("checks: [\n", encoding="utf-8")
    with pytest.raises(HarnessError, match="cannot read the check registry"):
        checks.get("example.check")


def test_the_file_is_read_once(registry_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    registry_file.write_text(json.dumps(registry_with(ENTRY)), encoding="utf-8")
    reads: list[Path] = []
    read_text = Path.read_text

    def counting(self: Path, *args: Any, **kwargs: Any) -> str:
        reads.append(self)
        return read_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", counting)
    assert [c.id for c in checks.all_checks()] == ["example.check"]
    assert checks.get("example.check") is checks.all_checks()[0]
    assert "example.check" in checks.REGISTRY and list(checks.REGISTRY) == ["example.check"]
    assert reads.count(registry_file) == 1
