"""Judging meta: lastModified against earlier stamps, and meta.location / Location as the URI of
the resource (RFC 7643 §2.3.5, §2.3.7, §3.1; RFC 7644 §3.3). No clock is read: every stamp is
a literal (the runs below fix the server's clock too)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from scimcheck.scim import meta
from scimcheck.server import ReferenceServer, store
from support.harness import RunSuites, failed_checks

ROOT = "https://app.example.com/scim/v2"


@pytest.mark.parametrize("text", [
    "2026-12-04T21:05:48Z", "2026-12-04T21:05:48.123456789Z", "2026-12-04T21:05:48+01:00",
    "2026-12-04T21:05:48", "2024-02-29T00:00:00Z", "2026-12-04T24:00:00Z",
])
def test_xsd_datetimes_parse(text: str) -> None:
    assert meta.parse_datetime(text) is not None


@pytest.mark.parametrize("text", [
    "12/04/2026 21:05:48", "2026-12-04 21:05:48Z", "2026-13-04T21:05:48Z",
    "2025-02-29T00:00:00Z", "2026-12-04T21:61:48Z", "2026-12-04T24:00:01Z",
    "2026-12-04T21:05:48+15:00", "2026-12-04t21:05:48z", 1733346348, None, "",
    "2026-12-04T21:05:48." + "1" * 100 + "Z",  # longer than any stamp: not parsed
])
def test_what_is_not_an_xsd_datetime(text: object) -> None:
    assert meta.parse_datetime(text) is None


def test_offsets_and_precision_compare_as_instants() -> None:
    utc = meta.parse_datetime("2026-12-04T21:05:48Z")
    assert utc == meta.parse_datetime("2026-12-04T22:05:48.000+01:00")
    assert utc == meta.parse_datetime("2026-12-04T16:05:48-05:00")
    finer = meta.parse_datetime("2026-12-04T21:05:48.0001Z")
    assert utc is not None and finer is not None and utc < finer
    midnight = meta.parse_datetime("2026-12-04T24:00:00Z")
    assert midnight == meta.parse_datetime("2026-12-05T00:00:00Z")


def test_later_than() -> None:
    assert meta.judge_later("lm", "2026-12-04T21:05:49Z", "2026-12-04T21:05:48.9Z") is None
    still = meta.judge_later("lm", "2026-12-04T21:05:48Z", "2026-12-04T22:05:48+01:00")
    assert still is not None and "still" in still
    back = meta.judge_later("lm", "2026-12-04T21:05:47Z", "2026-12-04T21:05:48Z")
    assert back is not None and "backwards" in back
    mixed = meta.judge_later("lm", "2026-12-04T21:05:49", "2026-12-04T21:05:48Z")
    assert mixed is not None and "cannot be compared" in mixed


def test_equal_stamps_are_judged_only_when_the_endpoints_clock_had_moved_on() -> None:
    """A whole-second clock writes the same stamp for a create and a change in that second:
    equal stamps are evidence only when the endpoint stamped something later before the
    change was sent."""
    same = "2026-12-04T21:05:48Z"
    ticked = {"since": same, "clock": "2026-12-04T21:05:49Z"}
    no_tick = {"since": same, "clock": same}
    assert meta.judge_decidable("lm", same, ticked) is None  # decidable: later_than fails it
    unsure = meta.judge_decidable("lm", same, no_tick)
    assert unsure is not None and "no tick" in unsure
    # a value that moved (either way) is always decidable, whatever the clock shows
    assert meta.judge_decidable("lm", "2026-12-04T21:05:49Z", no_tick) is None
    assert meta.judge_decidable("lm", "2026-12-04T21:05:47Z", no_tick) is None
    assert meta.judge_decidable("lm", "garbage", ticked) is not None
    assert meta.judge_decidable("lm", same, {"since": same, "clock": "garbage"}) is not None
    assert meta.judge_decidable("lm", same, "not a map") is not None


@pytest.mark.parametrize("location", [
    f"{ROOT}/Users/abc", f"{ROOT}/Users/abc/", "https://public.example.net/v2/Users/abc",
    "Users/abc", "/scim/v2/Users/abc", f"{ROOT}/users/abc", f"{ROOT}/Users/a%62c",
])
def test_uri_of_the_resource(location: str) -> None:
    assert meta.judge_uri_of("meta.location", location, "/Users/abc", ROOT) is None


@pytest.mark.parametrize("location", [
    f"{ROOT}/Users", f"{ROOT}/Users/abd", f"{ROOT}/Groups/abc", f"{ROOT}/Users/ABC",
    f"{ROOT}/Users/abc?x=1", "ftp://app.example.com/Users/abc", "", None, 42,
    f"{ROOT}/Users/abc" + "/x" * 3000, "http://[::1/Users/abc",
])
def test_not_the_uri_of_the_resource(location: object) -> None:
    assert meta.judge_uri_of("meta.location", location, "/Users/abc", ROOT) is not None


def test_a_location_header_is_compared_with_meta_location_as_uris() -> None:
    request = f"{ROOT}/Users"
    meta_location = f"{ROOT}/Users/abc"
    for header in (meta_location, "HTTPS://APP.example.com:443/scim/v2/Users/abc",
                   "/scim/v2/Users/abc", "Users/abc"):
        assert meta.judge_same_uri("Location", header, meta_location, request, ROOT) is None
    assert meta.judge_same_uri("Location", meta_location, "Users/abc", request, ROOT) is None
    for header in ("http://scim-internal.invalid:8080/scim/v2/Users/abc",
                   f"{ROOT}/Users/abd", f"{ROOT}/Users"):
        found = meta.judge_same_uri("Location", header, meta_location, request, ROOT)
        assert found is not None and "must be equal" in found
    assert meta.judge_same_uri("Location", None, meta_location, request, ROOT) is not None
    broken = meta.judge_same_uri("Location", "http://[::1/Users/abc", meta_location, request, ROOT)
    assert broken is not None and "not both URIs" in broken


@pytest.mark.parametrize("variant", [None, "lastmodified-frozen"])
def test_a_clock_that_never_ticks_leaves_lastmodified_unjudged(
    variant: str | None,
    monkeypatch: pytest.MonkeyPatch,
    broken_server: Callable[[str], ReferenceServer],
    reference_server: ReferenceServer,
    run_suites: RunSuites,
) -> None:
    """An endpoint whose stamps never move within the run (a whole-second clock, a fast run)
    gives no evidence: lastModified equal to created after a change is not judged, neither
    failed (no false alarm on a correct server) nor passed (the frozen variant is not cleared)."""
    monkeypatch.setattr(store, "_now", lambda: "2026-01-01T00:00:00Z")
    server = broken_server(variant) if variant else reference_server
    document = run_suites(server.base_url)
    by_id = {c["id"]: c for c in document["checks"]}
    assert by_id["resource.meta-lastmodified"]["outcome"] == "skipped", document["_stdout"]
    assert failed_checks(document) == set(), document["_stdout"]
