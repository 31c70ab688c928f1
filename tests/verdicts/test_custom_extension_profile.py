"""A profile that maps a custom extension attribute (Entra S8): users are sent the way Entra
sends them, the extension object present but its URN absent from ``schemas`` (D34)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from scimcheck.server import ReferenceServer
from support.harness import RunSuites, failed_checks

ACME = "urn:ietf:params:scim:schemas:extension:acme:2.0:User"
PROFILE = f"""\
name: acme
description: entra-app plus one attribute of the app's own schema extension
users:
  matching: userName
  attributes: [userName, active, displayName, name.givenName, name.familyName, "{ACME}:costCode"]
groups:
  matching: displayName
  attributes: [displayName, members]
"""


def _profile(tmp_path: Path) -> str:
    path = tmp_path / "acme.yaml"
    path.write_text(PROFILE, encoding="utf-8")
    return str(path)


def test_the_reference_server_stores_the_extension_entra_does_not_list(
    tmp_path: Path, reference_server: ReferenceServer, run_suites: RunSuites
) -> None:
    document = run_suites(reference_server.base_url, "--scim-profile", _profile(tmp_path))
    assert failed_checks(document) == set(), document["_stdout"]
    roundtrip = next(c for c in document["checks"] if c["id"] == "user.values-roundtrip")
    assert roundtrip["outcome"] == "passed" and roundtrip["evaluations"] >= 4


def test_an_endpoint_that_wants_every_extension_listed_fails_entras_create(
    tmp_path: Path,
    broken_server: Callable[[str], ReferenceServer],
    run_suites: RunSuites,
) -> None:
    server = broken_server("unlisted-extension-rejected")
    document = run_suites(server.base_url, "--scim-profile", _profile(tmp_path))
    # refusing the extension Entra's mapping sends is an Entra-mapping finding, not rfc-must
    assert failed_checks(document) == {"user.create.entra-mapping"}, document["_stdout"]
    entry = next(c for c in document["checks"] if c["id"] == "user.create.entra-mapping")
    assert entry["level"] == "entra-blocking"
    assert "is not in 'schema" in entry["message"]  # the endpoint's own detail, quoted
