"""Verdicts on a SCIM server someone else wrote: django-scim2 0.23.0 (PyPI) on Django 5.2.

The site in tests/verdicts/third_party/django_scim_app is set up as django-scim2's README and
its own test models tell a user to: its app, middleware and urls; User and Group models with
its SCIM mixins and its default adapters; sqlite in a temporary directory; bearer-token
authentication in a small middleware (django-scim2 leaves logging in to the site). It runs
under Django's ``runserver --noreload`` on 127.0.0.1 and is migrated first, as a user would.

Every expected finding below was confirmed by hand with curl against the running site (the
summary of what it answered is in the comment beside each one; docs/third-party-verdicts.md
has the table), and against the RFC or Microsoft Learn page the check cites. None is a false
alarm: each is a request Entra sends that the site refuses or mis-answers, or an RFC MUST or
SHOULD the site breaks. Everything else it does must pass: no other failure.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scimcheck.core import exitcodes
from support.harness import TEST_TOKEN, failed_checks, scimcheck_cli

pytestmark = pytest.mark.slow

SITE = Path(__file__).parent / "third_party" / "django_scim_app"
SEED = "20261204"

# Findings of the default profile (entra-app), each id with its level.
ENTRA_APP_FINDINGS = {
    # Entra's user PATCH replaces displayName: 501 "Not Implemented" (the default adapter
    # patches only userName, name.givenName/familyName, active and emails; displayName is
    # computed from the name). curl: Replace displayName → 501; Replace name.givenName → 200.
    "user.update.applied": "entra-blocking",
    # Entra's default (legacy) disable sends active "False" as a string: 400 '"active" should
    # be of type "bool"'. curl: value "False" → 400, value false → 200. Microsoft Learn,
    # "Known issues and resolutions with SCIM 2.0 protocol compliance".
    "user.disable.string-false": "entra-blocking",
    # Entra matches a group with GET /Groups?filter=displayName eq "…": the default group
    # filter parser maps no attribute, so every group filter answers 200 with no Resources.
    # curl: filter=displayName eq "Team A" → totalResults 0 right after creating "Team A".
    # A second cause stays behind it: excludedAttributes is ignored (GET /Groups/1?
    # excludedAttributes=members still has "members"); with a group filter parser mapping
    # displayName added to the site, the check still fails on "members has 1 value(s)".
    "group.filter-excluded-members": "entra-blocking",
    # Group rename: Replace displayName → 501 (the group adapter replaces only a "name"
    # path). curl: PATCH /Groups/5 Replace displayName → 501 with an empty detail.
    "group.rename": "entra-blocking",
    # Compliant-dialect member removal, path members[value eq "id"] → 501 (only a bare
    # "members" path with a value array is handled; that legacy form → 200 and passes).
    "membership.remove-filtered-path": "entra-blocking",
    # Duplicate userName → 409 without scimType "uniqueness" (RFC 7644 §3.3 MUST); the detail
    # is the database's "UNIQUE constraint failed: scimsite_user.username".
    "user.create.duplicate-409": "rfc-must",
    # userName is case-insensitive and unique (RFC 7643 §4.1.1): POST "ANN@EXAMPLE.COM" while
    # "Ann@example.com" exists → 201 (Django's username uniqueness is case-sensitive).
    "user.create.duplicate-username-case": "rfc-must",
    # Error bodies carry "status": 400 (a number); RFC 7644 §3.12 makes it a JSON string.
    "error.scim-envelope": "rfc-must",
    # GET /Schemas is a ListResponse without totalResults (RFC 7644 §3.4.2 REQUIRED).
    "discovery.schemas": "rfc-must",
    # GET /ResourceTypes: the same ListResponse without totalResults.
    "discovery.resource-types": "rfc-should",
    # ServiceProviderConfig says filter.supported false (django-scim2 under-promises on
    # purpose) although Entra's matching needs filters.
    "discovery.spc-patch-filter": "advisory",
    # Attribute names in filters are case-insensitive (RFC 7644 §3.4.2.2): filter=USERNAME eq
    # "…" → 200 with no Resources, where userName eq "…" finds the user.
    "filter.attribute-name-case-insensitive": "rfc-should",
    # A group's meta has resourceType and location only: no created, no lastModified (RFC 7643
    # §3.1 defines them as returned by default). curl: POST /Groups {"displayName": "Team"} →
    # 201, meta {"resourceType": "Group", "location": …/Groups/1}.
    "resource.meta": "rfc-should",
    # A user's meta.lastModified stays equal to created after a change. curl: POST /Users, then
    # (1 s later) Replace name.givenName → 200, GET shows givenName changed and lastModified
    # still equal to created.
    "resource.meta-lastmodified": "rfc-should",
    # filter=userName eq (no value) → 400 without scimType "invalidFilter".
    "error.invalid-filter": "rfc-should",
    # Replace active "maybe" → 400 without scimType "invalidValue".
    "error.invalid-value": "rfc-should",
    # A path that does not parse (emails[type eq "work") → 500: the filter parser's exception
    # escapes the adapter (the site logs a traceback), not 400 invalidPath.
    "error.invalid-path": "rfc-should",
    # A remove without a path → 500 ("No path and operation value is a non-dict" escapes,
    # before the adapter's own noTarget check), not 400 noTarget.
    "error.no-target": "rfc-should",
}

# What Entra's default custom-app mapping adds (--profile entra-default).
ENTRA_DEFAULT_FINDINGS = {
    **ENTRA_APP_FINDINGS,
    # The create's answer lacks title, preferredLanguage, addresses, phoneNumbers and the
    # enterprise attributes (the default adapter stores none of them, though /Schemas lists
    # them), and the work email comes back without type "work" (emails is rebuilt as one
    # {"value", "primary"}). curl: POST with title "Boss" → 201 without title.
    "user.values-roundtrip": "entra-blocking",
    # Replace emails[type eq "work"].value → 501 (only a bare "emails" path is handled).
    "user.update.filtered-path": "entra-blocking",
    # Add urn:…:enterprise:2.0:User:department / employeeNumber → 501 (Add is not
    # implemented for users at all: SCIMMixin.handle_add raises NotImplementedError).
    "user.update.enterprise-path": "entra-blocking",
    # Compliant path-less replace {"urn:…:enterprise:2.0:User:department": …} → 501.
    "user.update.pathless-urn": "entra-blocking",
    # Compliant path-less replace {"name.formatted": …} → 501 (name.formatted is computed).
    "user.update.pathless-dotted": "entra-blocking",
    # Add title → 501 and Replace title → 501: the site neither adds nor replaces title
    # (it never stores it, so the "title is set" premise of the Add step does not hold here;
    # the refusal Entra meets is real either way).
    "user.update.add-replace-interchangeable": "entra-blocking",
    # filter=externalId eq "ext-ann" → 200 with no Resources for a user created with that
    # externalId (the default user filter maps no externalId).
    "filter.finds-user-by-externalid": "entra-blocking",
}


def _wait_until_serving(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    """Poll ServiceProviderConfig until the site answers (it takes about a second)."""
    deadline = time.monotonic() + 60
    request = urllib.request.Request(
        url + "/ServiceProviderConfig", headers={"Authorization": f"Bearer {TEST_TOKEN}"}
    )
    while True:
        try:
            with urllib.request.urlopen(request, timeout=2):
                return
        except OSError:
            assert proc.poll() is None and time.monotonic() < deadline, (
                "django-scim2's site did not start: " + log.read_text(errors="replace")[-2000:]
            )
            time.sleep(0.2)


@pytest.fixture(scope="module")
def django_scim2(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The site migrated into a fresh sqlite file and served on a free loopback port."""
    if importlib.util.find_spec("django_scim") is None:
        if os.environ.get("CI"):
            raise RuntimeError("CI needs django-scim2: the [test] extra pins it")
        pytest.skip("needs django-scim2 (pip install -e '.[test]' installs it)")
    workdir = tmp_path_factory.mktemp("django-scim2")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCIM_", "DJANGO_"))}
    env.update(
        SCIMSITE_DB=str(workdir / "db.sqlite3"),
        SCIMSITE_NETLOC=f"127.0.0.1:{port}",
        SCIMSITE_TOKEN=TEST_TOKEN,
        PYTHONDONTWRITEBYTECODE="1",  # leave the site's source tree as checked out
    )
    manage = [sys.executable, str(SITE / "manage.py")]
    subprocess.run([*manage, "migrate", "-v", "0"], cwd=SITE, env=env, check=True, timeout=120)
    log = workdir / "runserver.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=SITE, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/scim/v2"
    try:
        _wait_until_serving(url, proc, log)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _run(url: str, report_dir: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    """``scimcheck run`` against the site; its exit code, results.json and output."""
    done = scimcheck_cli("run", url, "--seed", SEED, "--report-dir", str(report_dir), *args)
    output = done.stdout + done.stderr
    results = report_dir / "results.json"
    assert results.is_file(), f"scimcheck wrote no results.json (exit {done.returncode}): {output}"
    return done.returncode, json.loads(results.read_text(encoding="utf-8")), output


@pytest.fixture(scope="module")
def entra_app_run(
    django_scim2: str, tmp_path_factory: pytest.TempPathFactory
) -> tuple[int, dict[str, Any], str]:
    return _run(django_scim2, tmp_path_factory.mktemp("entra-app"))


@pytest.fixture(scope="module")
def entra_default_run(
    django_scim2: str, tmp_path_factory: pytest.TempPathFactory
) -> tuple[int, dict[str, Any], str]:
    return _run(django_scim2, tmp_path_factory.mktemp("entra-default"),
                "--profile", "entra-default")


def _levels(document: dict[str, Any]) -> dict[str, str]:
    return {c["id"]: c["level"] for c in document["checks"] if c["outcome"] == "failed"}


def test_default_profile_finds_exactly_the_confirmed_defects(
    entra_app_run: tuple[int, dict[str, Any], str],
) -> None:
    """The exact set of failures and their levels; the messages carry the evidence the comments
    above summarise; what the site does right passes (no false alarm on its 200 PATCH answers
    or its legacy member removal). One test per run: under xdist each runs once."""
    code, document, output = entra_app_run
    assert _levels(document) == ENTRA_APP_FINDINGS, output
    assert failed_checks(document) == set(ENTRA_APP_FINDINGS)
    assert code == exitcodes.CHECKS_FAILED, output
    assert document["verdict"] == "fail"
    by_id = {c["id"]: c for c in document["checks"]}
    assert "501 Not Implemented" in by_id["user.update.applied"]["message"]
    assert "should be of type" in by_id["user.disable.string-false"]["message"]
    assert by_id["user.disable.string-false"]["by_dialect"] == {"legacy": "failed"}
    assert "scimType is absent" in by_id["user.create.duplicate-409"]["message"]
    assert "totalResults" in by_id["discovery.schemas"]["message"]
    assert "500 Internal Server Error" in by_id["error.no-target"]["message"]
    assert by_id["membership.remove-filtered-path"]["by_dialect"] == {"compliant": "failed"}
    for passing in ("membership.remove-legacy", "membership.add-several", "patch.response",
                    "group.create", "user.delete.gone", "auth.wrong-token-rejected",
                    "filter.username-case-insensitive"):
        assert by_id[passing]["outcome"] == "passed", (passing, by_id[passing])


def test_entra_default_mapping_adds_the_attribute_defects(
    entra_default_run: tuple[int, dict[str, Any], str],
) -> None:
    code, document, output = entra_default_run
    assert _levels(document) == ENTRA_DEFAULT_FINDINGS, output
    assert code == exitcodes.CHECKS_FAILED, output
    by_id = {c["id"]: c for c in document["checks"]}
    assert "title sent" in by_id["user.values-roundtrip"]["message"]
    assert "returned absent" in by_id["user.values-roundtrip"]["message"]
