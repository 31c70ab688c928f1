"""`scimcheck cleanup` deletes what runs left behind, by their tag, and nothing else."""

from __future__ import annotations

import datetime
import email.utils
import json
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from werkzeug.wrappers import Request

from scimcheck.core import exitcodes
from scimcheck.http.transport import Exchange, Transport, TransportConfig
from scimcheck.scim import cleanup
from scimcheck.server import ReferenceServer
from support.harness import TEST_TOKEN, endpoint_snapshot

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
# names that look like ours but are not a run's tag: never touched
LOOKALIKES = ["scimcheck-fan@example.com", "scimcheck-1234567-x@example.com",
              "SCIMCHECK-aaaaaaaa-x@example.com", "x-scimcheck-aaaaaaaa-y@example.com"]


def _cleanup(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCIM_")}
    env["SCIM_TOKEN"] = TEST_TOKEN
    return subprocess.run([sys.executable, "-m", "scimcheck", "cleanup", *args],
                          capture_output=True, text=True, env=env, timeout=120, check=False)



@pytest.fixture
def seeded() -> tuple[ReferenceServer, Transport]:
    server = ReferenceServer(host="127.0.0.1", port=0, token=TEST_TOKEN).start()
    transport = Transport(TransportConfig(server.base_url, TEST_TOKEN, 30))
    foreign = [transport.send("POST", "/Users", body={
        "schemas": [USER], "userName": name, "displayName": name,
    }).json()["id"] for name in [f"person{n}@example.com" for n in range(40)] + LOOKALIKES]
    transport.send("POST", "/Groups", body={
        "schemas": [GROUP], "displayName": "scimcheck-fans",
        "members": [{"value": v} for v in foreign[:5]],
    })
    for run in ("aaaaaaaa", "bbbbbbbb"):
        user = transport.send("POST", "/Users", body={
            "schemas": [USER], "userName": f"scimcheck-{run}-0001-left@example.com",
        }).json()["id"]
        transport.send("POST", "/Groups", body={
            "schemas": [GROUP], "displayName": f"scimcheck-{run}-0001 Left Team",
            "members": [{"value": user}, {"value": foreign[0]}],
        })
    yield server, transport
    transport.close()
    server.stop()


def test_cleanup_removes_one_runs_leftovers_and_nothing_else(
    seeded: tuple[ReferenceServer, Transport], tmp_path: Path
) -> None:
    server, transport = seeded
    before = endpoint_snapshot(transport)
    dry = _cleanup(server.base_url, "--run-id", "aaaaaaaa", "--dry-run")
    assert dry.returncode == exitcodes.OK, dry.stderr
    assert "would delete 2 resource(s) left by run aaaaaaaa" in dry.stdout
    assert endpoint_snapshot(transport) == before  # a dry run deletes nothing
    done = _cleanup(server.base_url, "--run-id", "scimcheck-aaaaaaaa")
    assert done.returncode == exitcodes.OK, done.stderr
    after = endpoint_snapshot(transport)
    assert '"scimcheck-aaaaaaaa-0001' not in after and '"scimcheck-bbbbbbbb-0001' in after
    young = _cleanup(server.base_url, "--all")  # run bbbbbbbb was just made: it may be running
    assert young.returncode == exitcodes.OK, young.stderr
    assert "kept 2 resource(s): run bbbbbbbb: its newest resource changed" in young.stdout
    assert "it may still be running" in young.stdout and "nothing else left" in young.stdout
    assert endpoint_snapshot(transport) == after
    everything = _cleanup(server.base_url, "--all", "--older-than", "0")
    assert everything.returncode == exitcodes.OK and "deleted 2 resource(s)" in everything.stdout
    left = endpoint_snapshot(transport)
    assert '"scimcheck-bbbbbbbb-0001' not in left
    for name in [*LOOKALIKES, "scimcheck-fans", "person39@example.com"]:
        assert name in left, name
    assert _cleanup(server.base_url, "--all").stdout.strip().endswith(
        "nothing left by any scimcheck run older than 24h")
    assert TEST_TOKEN not in done.stdout + done.stderr + everything.stdout


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["http://127.0.0.1:9/scim/v2", "--all"], "target unreachable"),
        (["ftp://x", "--all"], "not an http(s) URL"),
        (["http://127.0.0.1:9/scim/v2", "--run-id", "nope"], "is not a run id"),
        (["http://127.0.0.1:9/scim/v2", "--all", "--older-than", "soon"], "is not a duration"),
        (["http://127.0.0.1:9/scim/v2", "--all", "--older-than=-1h"], "is not a duration"),
        (["http://127.0.0.1:9/scim/v2", "--all", "--older-than", "nan"], "is not a duration"),
        (["http://127.0.0.1:9/scim/v2", "--run-id", "aaaaaaaa", "--older-than", "1h"],
         "applies to --all only"),
    ],
)
def test_cleanup_refuses_bad_input_in_one_line(args: list[str], said: str) -> None:
    done = _cleanup(*args)
    assert done.returncode in (exitcodes.USAGE, exitcodes.TARGET_UNAVAILABLE)
    assert said.lower() in done.stderr.lower() and "Traceback" not in done.stderr


def test_cleanup_needs_a_selection() -> None:
    done = _cleanup("http://127.0.0.1:9/scim/v2")
    assert done.returncode == exitcodes.USAGE and "--run-id" in done.stderr


# --- a fake endpoint: what cleanup must do whatever the listing looks like ----------------------

def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _when(ago: datetime.timedelta) -> str:
    return (_now() - ago).isoformat().replace("+00:00", "Z")


class Endpoint:
    """A SCIM endpoint cleanup talks to: ``users`` (id → resource as GET shows it), listed
    ``per_page`` at a time; ``listed`` can make the listing say something else about an id;
    ``total`` may claim more than there is (``endless`` pages then are made up);
    ``break_at`` answers the listing from that startIndex with ``broken`` (status, body)."""

    def __init__(self, users: dict[str, dict[str, Any]], *, endless: bool = False,
                 break_at: int | None = None, broken: tuple[int, str] = (500, "{}"),
                 listed: dict[str, dict[str, Any]] | None = None, padding: int = 0,
                 unreadable: frozenset[str] = frozenset()) -> None:
        self.users = users
        self.endless = endless
        self.break_at = break_at
        self.broken = broken
        self.listed = listed or {}
        self.padding = "x" * padding
        self.unreadable = unreadable
        self.deleted: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        parts = request.path.removeprefix("/scim/v2").strip("/").split("/")
        status, body = "200 OK", ""
        if parts == ["Groups"]:
            body = json.dumps({"schemas": [LIST], "totalResults": 0, "Resources": []})
        elif parts == ["Users"]:
            status, body = self._page(int(request.args.get("startIndex", "1")),
                                      int(request.args.get("count", "100")))
        elif len(parts) == 2 and request.method == "DELETE" and parts[1] in self.users:
            self.deleted.append(parts[1])
            del self.users[parts[1]]
            status = "204 No Content"
        elif len(parts) == 2 and parts[1] in self.unreadable:
            status, body = "500 Oops", json.dumps({"schemas": [ERROR], "status": "500"})
        elif len(parts) == 2 and parts[1] in self.users:
            body = json.dumps(self.users[parts[1]])
        else:
            status, body = "404 Not Found", json.dumps({"schemas": [ERROR], "status": "404"})
        start_response(status, [("Content-Type", "application/scim+json")])
        return [body.encode()]

    def _page(self, start: int, count: int) -> tuple[str, str]:
        if self.break_at is not None and start >= self.break_at:
            code, body = self.broken
            return f"{code} Broken", body
        if self.endless:
            page = [{"id": f"p{n}", "userName": f"person{n}@example.com", "pad": self.padding}
                    for n in range(start, start + count)]
            return "200 OK", json.dumps({"schemas": [LIST], "totalResults": 10**9,
                                         "startIndex": start, "Resources": page})
        every = [self.listed.get(i, u) for i, u in self.users.items()]
        page = [{**u, "pad": self.padding} for u in every[start - 1:start - 1 + count]]
        return "200 OK", json.dumps({"schemas": [LIST], "totalResults": len(every),
                                     "startIndex": start, "Resources": page})


def _user(user_id: str, name: str, ago: datetime.timedelta | None) -> dict[str, Any]:
    user: dict[str, Any] = {"schemas": [USER], "id": user_id, "userName": name}
    if ago is not None:
        user["meta"] = {"resourceType": "User", "created": _when(ago + ago),
                        "lastModified": _when(ago)}
    return user


def test_cleanup_all_deletes_only_runs_proven_older_than_the_limit() -> None:
    """--all leaves a run that may still be running (a resource changed lately), a run whose
    age the endpoint does not give, and anything whose own representation is not tagged."""
    day, minutes = datetime.timedelta(days=3), datetime.timedelta(minutes=10, seconds=30)
    users = {
        "a1": _user("a1", "scimcheck-aaaaaaaa-0001-old@example.com", day),
        "a2": _user("a2", "scimcheck-aaaaaaaa-0002-old@example.com", day),
        "b1": _user("b1", "scimcheck-bbbbbbbb-0001-old@example.com", day),
        "b2": _user("b2", "scimcheck-bbbbbbbb-0002-new@example.com", minutes),
        "c1": _user("c1", "scimcheck-cccccccc-0001-ageless@example.com", None),
        "victim": _user("victim", "ceo@corp.example", day),
        "fan": _user("fan", "scimcheck-fan@example.com", day),
    }
    # the listing pairs a tagged name with the victim's id; a GET of the id tells the truth
    listed = {"victim": {**users["victim"], "userName": "scimcheck-dddddddd-0001-x@example.com"}}
    endpoint = Endpoint(users, listed=listed)
    with ReferenceServer(app=endpoint) as server:
        dry = _cleanup(server.base_url, "--all", "--dry-run")
        assert dry.returncode == exitcodes.OK and endpoint.deleted == [], dry.stdout + dry.stderr
        done = _cleanup(server.base_url, "--all")
        assert done.returncode == exitcodes.OK, done.stdout + done.stderr
        assert sorted(endpoint.deleted) == ["a1", "a2"]
        assert "run bbbbbbbb: its newest resource changed 10 min ago, less than --older-than " \
               "24h: it may still be running" in done.stdout
        assert "run cccccccc: the endpoint gives no meta.created/meta.lastModified" in done.stdout
        assert "delete it with --run-id cccccccc" in done.stdout
        assert "/Users/victim" in done.stdout and "each names something else" in done.stdout
        recent = _cleanup(server.base_url, "--all", "--older-than", "5m")
        assert sorted(endpoint.deleted) == ["a1", "a2", "b1", "b2"], recent.stdout
        explicit = _cleanup(server.base_url, "--run-id", "cccccccc")
        assert explicit.returncode == exitcodes.OK, explicit.stdout + explicit.stderr
        assert endpoint.deleted[-1] == "c1"
        assert _cleanup(server.base_url, "--run-id", "dddddddd").returncode == exitcodes.OK
    assert "victim" not in endpoint.deleted and "fan" not in endpoint.deleted


def test_a_candidate_that_cannot_be_read_is_not_deleted_and_the_exit_says_so() -> None:
    old = datetime.timedelta(days=3)
    users = {n: _user(n, f"scimcheck-aaaaaaaa-{n}@example.com", old) for n in ("u1", "u2")}
    endpoint = Endpoint(users, unreadable=frozenset({"u2"}))
    with ReferenceServer(app=endpoint) as server:
        done = _cleanup(server.base_url, "--run-id", "aaaaaaaa")
    assert done.returncode == exitcodes.CHECKS_FAILED, done.stdout + done.stderr
    assert endpoint.deleted == ["u1"] and "could not be read by their id" in done.stdout
    assert "some resources could not be read: they may be left" in done.stderr


def test_an_age_is_measured_against_the_earlier_of_the_two_clocks() -> None:
    """A server clock running late makes a resource look younger, never older."""
    answer = Exchange(index=1, method="GET", url="http://127.0.0.1/x", request_headers={},
                      request_body=None, status=200)
    body = {"meta": {"created": _when(datetime.timedelta(days=3)),
                     "lastModified": _when(datetime.timedelta(hours=30))}}
    assert 29.9 * 3600 < (cleanup._age(body, answer) or 0) < 30.1 * 3600
    answer.response_headers["Date"] = email.utils.format_datetime(
        _now() - datetime.timedelta(hours=20), usegmt=True)
    assert 9.9 * 3600 < (cleanup._age(body, answer) or 0) < 10.1 * 3600
    answer.response_headers["Date"] = email.utils.format_datetime(
        _now() + datetime.timedelta(days=20), usegmt=True)
    assert (cleanup._age(body, answer) or 0) < 30.1 * 3600
    assert cleanup._age({"meta": {"lastModified": "2020-01-01T00:00:00"}}, answer) is None
    assert cleanup._age({"meta": {"created": "yesterday"}}, answer) is None


def test_cleanup_that_stops_at_its_page_limit_says_so_and_exits_1() -> None:
    with ReferenceServer(app=Endpoint({}, endless=True)) as server:
        done = _cleanup(server.base_url, "--run-id", "aaaaaaaa")
    assert done.returncode == exitcodes.CHECKS_FAILED, done.stdout + done.stderr
    assert f"stopped at the limit of {cleanup.MAX_PAGES} pages" in done.stdout
    assert "could not be searched to the end: more may be left" in done.stderr
    assert "nothing left" not in done.stdout and "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("broken", "said"),
    [((500, json.dumps({"schemas": [ERROR], "status": "500"})), "HTTP 500 at startIndex 201"),
     ((200, "<html><title>Gateway</title></html>"), "is not a ListResponse")],
)
def test_cleanup_whose_listing_fails_midway_says_so_and_exits_1(
    broken: tuple[int, str], said: str
) -> None:
    """What was read is cleaned; the rest is reported as not searched, never "nothing left"."""
    old = datetime.timedelta(days=3)
    users = {f"p{n}": _user(f"p{n}", f"person{n}@example.com", old) for n in range(400)}
    users["p5"] = _user("p5", "scimcheck-aaaaaaaa-0001-early@example.com", old)
    users["p300"] = _user("p300", "scimcheck-aaaaaaaa-0002-late@example.com", old)
    endpoint = Endpoint(users, break_at=201, broken=broken)
    with ReferenceServer(app=endpoint) as server:
        done = _cleanup(server.base_url, "--run-id", "aaaaaaaa")
    assert done.returncode == exitcodes.CHECKS_FAILED, done.stdout + done.stderr
    assert said in done.stdout and "more may be left; run cleanup again" in done.stderr
    assert endpoint.deleted == ["p5"] and "Traceback" not in done.stderr


def test_cleanup_keeps_only_tagged_matches_in_memory_whatever_the_page_size() -> None:
    """60 pages of about 1 MB each: the peak stays near one page, not the whole listing."""
    old = datetime.timedelta(days=3)
    users = {f"p{n}": _user(f"p{n}", f"person{n}@example.com", old) for n in range(6000)}
    for n in range(0, 6000, 100):
        users[f"p{n}"] = _user(f"p{n}", f"scimcheck-aaaaaaaa-{n:04}-x@example.com", old)
    endpoint = Endpoint(users, padding=10_000)
    with ReferenceServer(app=endpoint) as server, \
            Transport(TransportConfig(server.base_url, TEST_TOKEN)) as transport:
        tracemalloc.start()
        try:
            found = cleanup.find(transport, "aaaaaaaa")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 16 * 1024 * 1024, f"peak {peak / 2**20:.0f} MiB for 60 pages of ~1 MiB"
    assert len(found.leftovers) == 60 and found.unsearched == []
    assert transport.exchanges == []  # no page kept in the transcript either
