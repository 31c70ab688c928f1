"""Entra's requests are defined once (scimcheck.entra.requests) and sequence files name them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scimcheck.core.errors import SequenceFileError
from scimcheck.entra import requests
from scimcheck.entra.dialects import Dialect
from scimcheck.scim import schemas
from scimcheck.scim.endpoints import ADSCIM_GROUP_SCHEMA, GROUP_SCHEMA, PATCH_OP_SCHEMA
from scimcheck.sequences import files as sequence_files
from scimcheck.sequences.rendering import render_request

HEADER = "id: t\ntitle: T\nsource: test\nsteps:\n  - name: s\n"


def _load(tmp_path: Path, request: str) -> sequence_files.SequenceFile:
    path = tmp_path / "seq.yaml"
    path.write_text(HEADER + "    request: " + request + "\n", encoding="utf-8")
    return sequence_files.load(path)


def _sent(tmp_path: Path, request: str, variables: dict[str, Any],
          dialect: Dialect | None) -> tuple[str, str, dict[str, str], Any]:
    step = _load(tmp_path, request).steps[0]
    assert step.request is not None
    rendered = render_request(step.request, variables, dialect)
    return rendered.method, rendered.path, rendered.query, rendered.body


def test_the_schema_names_every_request_and_its_arguments() -> None:
    request = schemas.schema("sequence")["$defs"]["request"]
    assert request["properties"]["entra"]["enum"] == list(requests.SHAPES)
    arguments = {
        shape["if"]["properties"]["entra"]["const"]:
            tuple(shape["then"]["properties"]["with"]["required"])
        for shape in request["then"]["allOf"]
    }
    assert arguments == {name: shape.args for name, shape in requests.SHAPES.items()}


def test_a_named_request_is_built_in_the_steps_dialect(tmp_path: Path) -> None:
    variables = {"user_id": "a b/c"}
    disable = '{entra: disable-user, with: {id: "{user_id}"}}'
    method, path, query, body = _sent(tmp_path, disable, variables, Dialect.LEGACY)
    assert (method, path, query) == ("PATCH", "/Users/a%20b%2Fc", {})
    assert body == {"schemas": [PATCH_OP_SCHEMA],
                    "Operations": [{"op": "Replace", "path": "active", "value": "False"}]}
    *_, body = _sent(tmp_path, disable, variables, Dialect.COMPLIANT)
    assert body["Operations"] == [{"op": "replace", "path": "active", "value": False}]
    *_, body = _sent(tmp_path, disable, variables, None)  # dialects: none spells compliant
    assert body["Operations"] == [{"op": "replace", "path": "active", "value": False}]


def test_member_removal_differs_by_dialect(tmp_path: Path) -> None:
    remove = '{entra: remove-members, with: {id: g1, members: ["{a}", "{b}"]}}'
    variables = {"a": "u1", "b": "u2"}
    *_, legacy = _sent(tmp_path, remove, variables, Dialect.LEGACY)
    assert legacy["Operations"] == [{"op": "Remove", "path": "members", "value": [
        {"$ref": None, "value": "u1"}, {"$ref": None, "value": "u2"}]}]
    *_, compliant = _sent(tmp_path, remove, variables, Dialect.COMPLIANT)
    assert compliant["Operations"] == [{"op": "remove", "path": 'members[value eq "u1"]'},
                                       {"op": "remove", "path": 'members[value eq "u2"]'}]


def test_matches_and_creates(tmp_path: Path) -> None:
    assert _sent(tmp_path, '{entra: match-group, with: {displayName: "{n}"}}',
                 {"n": "T1"}, None)[:3] == (
        "GET", "/Groups", {"excludedAttributes": "members", "filter": 'displayName eq "T1"'})
    # a quote or backslash in the value is escaped (RFC 7644 §3.4.2.2)
    assert requests.match_user('a"b\\c').query == {"filter": 'userName eq "a\\"b\\\\c"'}
    create = requests.create_group("T1", "x-1")
    assert (create.method, create.path) == ("POST", "/Groups")
    assert create.body == {"schemas": [GROUP_SCHEMA, ADSCIM_GROUP_SCHEMA], "displayName": "T1",
                           "members": [], "meta": {"resourceType": "Group"}, "externalId": "x-1"}


def test_a_role_is_a_json_string_in_legacy_and_the_create_form_in_compliant() -> None:
    role = {"id": "r-1", "value": "Approver", "displayName": "Approver"}
    legacy = requests.add_role(Dialect.LEGACY, "u1", role).body["Operations"]
    assert json.loads(legacy[0]["value"][0]["value"]) == role
    compliant = requests.add_role(Dialect.COMPLIANT, "u1", role).body["Operations"]
    assert compliant[0]["value"] == [{"primary": False, "type": "WindowsAzureActiveDirectoryRole",
                                      "display": "Approver", "value": "Approver"}]


@pytest.mark.parametrize(("request_text", "wrong"), [
    ("{entra: disable-usr, with: {id: x}}", "disable-user"),
    ("{entra: disable-user}", "`with` is missing"),
    ("{entra: disable-user, with: {}}", "`id` is missing"),
    ("{entra: disable-user, with: {id: x, active: false}}", "active"),
    ("{entra: disable-user, with: {id: x}, method: PATCH}", "give none of them"),
    ("{method: GET, path: /Users, with: {id: x}}", "'with' without 'entra'"),
])
def test_a_wrong_named_request_is_refused_at_load(
    tmp_path: Path, request_text: str, wrong: str
) -> None:
    with pytest.raises(SequenceFileError) as refused:
        _load(tmp_path, request_text)
    assert "seq.yaml:6:" in str(refused.value)
    assert wrong in str(refused.value)


def test_bundled_sequences_spell_a_patch_only_to_send_what_entra_never_does() -> None:
    spelled = [
        (sequence.path.name, step.name)
        for sequence in sequence_files.load_all([sequence_files.default_directory()])
        if isinstance(sequence, sequence_files.SequenceFile)
        for step in sequence.steps
        for request in (step.request, step.fallback)
        if request is not None and request.entra is None and request.method == "PATCH"
    ]
    assert spelled and {name for name, _ in spelled} == {"errors.yaml"}, spelled
