"""Verdicts on a Node SCIM server someone else wrote: SCIMMY 1.3.5 + SCIMMY Routers 1.3.2 (npm).

tests/verdicts/third_party/node_scim/ holds only the glue the packages' READMEs ask of a user (an
in-memory store behind the ingress/egress/degress handlers, a bearer check) with every npm
version pinned in package-lock.json; parsing, validation, filters, PATCH and paging are SCIMMY's.
Each expected finding was confirmed with curl against the running server (table and transcripts
in docs/third-party-verdicts.md):
- auth.www-authenticate: a wrong token → 401 with a SCIM error body and no WWW-Authenticate
  header; RFC 7235 §3.1 says a 401 MUST carry one (scimmy-routers writes the 401 itself).
- user.create.location, group.create.location: POST /Users and POST /Groups → 201 with no
  Location header (scimmy-routers sets none); RFC 7644 §3.3 says the created resource's URI
  SHALL be in the Location header.
- filter.username-case-insensitive: userName eq "ALICE@EXAMPLE.COM" finds nothing while
  "Alice@Example.com" exists: SCIMMY's Filter.match compares strings with ===, ignoring
  caseExact false (RFC 7643 §4.1.1, §2.2); Entra's match on a re-cased UPN misses.
- user.create.duplicate-username-case: the same comparison lets "alice@example.com" be created
  (201) next to "Alice@Example.com" (an exact duplicate gets 409 uniqueness).
- user.disable.string-false (legacy dialect only): {"op":"Replace","path":"active","value":"False"}
  → 400 invalidValue "expected value type 'boolean' but found type 'string'"; Microsoft Learn's
  SCIM compatibility page documents that Entra sends this string; a boolean false → 200.
- membership.no-duplicates: adding the same member twice → 200 both times, members lists it
  twice; RFC 7644 §3.5.2.1: when the value is already there, no changes SHOULD be made.
- pagination.pages: GET /Users?startIndex=3&count=2 with 3 users → itemsPerPage 2 and one
  resource; RFC 7644 §3.4.2 defines itemsPerPage as the number of resources returned.
- error.invalid-filter: filter=userName eq (no value) → 200 with an empty list instead of 400
  invalidFilter (RFC 7644 §3.4.2.2 grammar, §3.12).
- group.displayname-unique (advisory): a second POST /Groups {"displayName": "Team"} → 201.
  SCIMMY follows RFC 7643 §4.2 (no uniqueness), Entra's Develop-a-SCIM-endpoint page asks for it.
Under the entra-default mapping also, as on scim2-server:
- user.update.filtered-path-creates: Add on emails[type eq "work"].value for a user without a
  work email → 400 noTarget;
- user.update.manager-string: the manager as a bare id string → 400 "Complex attribute
  'manager' expected complex value" (an object {"value": id} → 200).
Everything else, including PATCH answered 200 with the resource, must pass: no false alarms.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.harness import TEST_TOKEN, RunSuites, failed_checks

pytestmark = pytest.mark.slow

GLUE = Path(__file__).parent / "third_party" / "node_scim"
GLUE_FILES = ("package.json", "package-lock.json", "server.js")
NODE = shutil.which("node")
NPM = shutil.which("npm")

if not (NODE and NPM):
    if os.environ.get("CI"):
        raise RuntimeError("CI needs node and npm for the SCIMMY server: .ci/run installs them")
    pytest.skip("needs node and npm (apt-get install nodejs npm)", allow_module_level=True)

EXPECTED = {
    "auth.www-authenticate",
    "user.create.location",
    "group.create.location",
    "filter.username-case-insensitive",
    "user.create.duplicate-username-case",
    "user.disable.string-false",
    "membership.no-duplicates",
    "pagination.pages",
    "error.invalid-filter",
    "group.displayname-unique",
}


def _installed_glue() -> Path:
    """The glue with its pinned packages (``npm ci``) in a cache directory named by the glue's
    content; installed once, under a lock, so parallel workers and later runs reuse it."""
    digest = hashlib.sha256()
    for name in GLUE_FILES:
        digest.update((GLUE / name).read_bytes())
    name = f"node-scim-{digest.hexdigest()[:16]}"
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "scimcheck"
    try:
        target = cache / name
        target.mkdir(parents=True, exist_ok=True)
    except OSError:  # no writable home (some CI runners): the temporary directory instead
        target = Path(tempfile.gettempdir()) / f"scimcheck-{name}"
        target.mkdir(parents=True, exist_ok=True)
    stamp = target / "node_modules" / ".scimcheck-installed"
    with open(target / ".lock", "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not stamp.exists():
            for name in GLUE_FILES:
                shutil.copyfile(GLUE / name, target / name)
            done = subprocess.run(
                [str(NPM), "ci", "--ignore-scripts", "--no-audit", "--no-fund",
                 "--loglevel=error"],
                cwd=target, capture_output=True, text=True, timeout=300, check=False,
            )
            assert done.returncode == 0, f"npm ci failed in {target}:\n{done.stderr[-2000:]}"
            stamp.touch()
    return target


@pytest.fixture(scope="module")
def scimmy_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """SCIMMY's server on a free loopback port, for this module's runs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCIM_")}
    env["SCIM_TOKEN"] = TEST_TOKEN
    # express logs every 500's stack to stderr: a file, so a full pipe never stalls the server
    log = tmp_path_factory.mktemp("scimmy") / "stderr.log"
    with open(log, "w", encoding="utf-8") as stderr:
        proc = subprocess.Popen(
            [str(NODE), "server.js", "0"], cwd=_installed_glue(), env=env,
            stdout=subprocess.PIPE, stderr=stderr, text=True,
        )
    assert proc.stdout is not None
    # The server prints its port once it listens, or exits (EOF) if it cannot start.
    first = proc.stdout.readline().split()
    if first[:1] != ["listening"]:
        proc.wait(timeout=10)
        pytest.fail(f"the SCIMMY server did not start: {log.read_text(encoding='utf-8')[-2000:]}")
    yield f"http://127.0.0.1:{first[1]}/scim/v2"
    proc.terminate()
    proc.wait(timeout=10)
    proc.stdout.close()


def test_entra_app_profile_finds_scimmys_defects_and_nothing_else(
    scimmy_server: str, run_suites: RunSuites
) -> None:
    document = run_suites(scimmy_server)
    assert failed_checks(document) == EXPECTED, document["_stdout"]
    by_id = {c["id"]: c for c in document["checks"]}
    assert "no WWW-Authenticate header" in by_id["auth.www-authenticate"]["message"]
    assert by_id["user.disable.string-false"]["by_dialect"] == {"legacy": "failed"}
    assert "expected value type 'boolean'" in by_id["user.disable.string-false"]["message"]
    assert "itemsPerPage is 2, but Resources holds 1" in by_id["pagination.pages"]["message"]
    assert by_id["patch.response"]["outcome"] == "passed"  # PATCH answers 200 with the resource


def test_default_mapping_also_finds_the_attribute_path_defects(
    scimmy_server: str, run_suites: RunSuites
) -> None:
    document = run_suites(scimmy_server, "--scim-profile", "entra-default")
    assert failed_checks(document) == EXPECTED | {
        "user.update.filtered-path-creates",
        "user.update.manager-string",
    }, document["_stdout"]
    by_id = {c["id"]: c for c in document["checks"]}
    assert "noTarget" in by_id["user.update.filtered-path-creates"]["message"]
    assert "expected complex value" in by_id["user.update.manager-string"]["message"]
