"""Safe on staging (issue 6): a full run against a target full of someone else's data.

The reference server is seeded with 500 foreign users and 50 foreign groups with members:
realistic and varied, some named like scimcheck's tag without being it, some tagged by
another run, some equal to what this run generates minus the tag. The whole suite then runs
in a subprocess, cleanly, with injected 500s and connection resets (before and after the
server did the work), and interrupted by SIGINT midway. Afterwards the foreign data is
byte-identical as the server stores it (meta.version and lastModified included), no PATCH,
PUT or DELETE ever went to a foreign id, and nothing of the run is left (a lost answer may
leave a resource behind: ``scimcheck cleanup --run-id`` must then remove every one).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import types
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from faker import Faker
from werkzeug.test import Client

from scimcheck.core import errors, exitcodes
from scimcheck.entra.userdata import GroupFactory, UserFactory
from scimcheck.pytest_plugin import plugin
from scimcheck.scim import profiles
from scimcheck.scim.cleanup import interruptions_held
from scimcheck.sequences import files as sequence_files
from scimcheck.server import ReferenceServer
from scimcheck.server.app import BASE_PATH, ScimApp
from scimcheck.server.faults import WRITE_METHODS, Faults
from scimcheck.server.schema import GROUP_TYPE, USER_TYPE
from scimcheck.server.store import Store
from support.harness import TEST_TOKEN

FOREIGN_USERS = 500
FOREIGN_GROUPS = 50
SEED = 11
"""The run's --seed: fixes the names it generates, so foreign names can collide with them."""
HANG_GUARD_S = 300
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
LOCALES = ("en_US", "de_DE", "fr_FR", "ja_JP", "es_MX", "pl_PL", "tr_TR", "zh_CN", "he_IL",
           "nl_NL")
# userNames that look like scimcheck's but carry no run tag, or another run's (never touched)
LOOKALIKES = [
    "scimcheck-fan@example.com", "x-scimcheck-aaaaaaaa-y@example.com",
    "scimcheck-1234567-x@example.com", "SCIMCHECK-aaaaaaaa-x@example.com",
    "scimcheck-ABCDEF12-x@example.com", "scimcheck-aaaaaaaa@example.com",
    " scimcheck-aaaaaaaa-lead@example.com", "scimcheck-0badc0de-0001-old.run@example.com",
    "scimcheck-0badc0de-0002-Left.Behind@example.com", "scimcheck@example.com",
]
GROUP_LOOKALIKES = ["scimcheck-fans", "scimcheck-0badc0de-0001 Old Team",
                    "SCIMCHECK-aaaaaaaa-0001 Shouting Team", "x-scimcheck-aaaaaaaa-y Team"]
RUN_TAG = re.compile(r"run tag scimcheck-(?P<id>[0-9a-f]{8})\b")


@dataclass
class Target:
    """A seeded reference server, what is foreign on it, and its request log."""

    server: ReferenceServer
    store: Store
    faults: Faults
    foreign: dict[str, str] = field(default_factory=dict)
    """``/Users/<id>`` or ``/Groups/<id>`` → the resource as stored, serialized."""

    def snapshot(self) -> dict[str, str]:
        """Every resource as the server stores it, serialized byte for byte (key order too)."""
        out: dict[str, str] = {}
        for rtype in (USER_TYPE, GROUP_TYPE):
            for resource in self.store.query(rtype)[1]:
                out[f"{rtype.endpoint}/{resource['id']}"] = json.dumps(resource,
                                                                       ensure_ascii=False)
        return out

    def ours(self) -> dict[str, str]:
        """Everything on the server that is not foreign: what some run created."""
        return {k: v for k, v in self.snapshot().items() if k not in self.foreign}


# --- the foreign data ----------------------------------------------------------------------------


def _generated_names() -> tuple[list[str], list[str], list[str]]:
    """What this run generates with --seed SEED, minus the tag: userNames, user displayNames,
    group displayNames (the factories are seeded per test as the plugin seeds them)."""
    profile = profiles.load("entra-app")
    user_names: list[str] = []
    display_names: list[str] = []
    group_names: list[str] = []
    loaded = sequence_files.load_all([sequence_files.default_directory()])
    for spec in loaded:
        if isinstance(spec, errors.SequenceFileError):
            continue  # the run reports it; nothing to collide with
        names = [spec.id] if spec.dialects == "none" else ["legacy", "compliant"]
        for name in names:
            seed = SEED ^ zlib.crc32(f"{spec.path.name}::{name}".encode())
            users = UserFactory(profile, "TAG", seed)
            for _ in range(3):
                user = users.new_user()
                untagged = user.values["userName"].removeprefix("TAG-")
                user_names += [untagged, untagged.split("-", 1)[1]]
                display_names.append(user.values["displayName"])
            group = GroupFactory(profile, "TAG", seed + 1).new_group().display_name
            untagged_group = group.removeprefix("TAG-")
            group_names += [untagged_group, untagged_group.split(" ", 1)[1]]
    return user_names, display_names, group_names


def _foreign_users() -> list[dict[str, Any]]:
    collided, collided_display, _ = _generated_names()
    users: list[dict[str, Any]] = []
    taken: set[str] = set()
    for n in range(FOREIGN_USERS):
        fake = Faker(LOCALES[n % len(LOCALES)])
        fake.seed_instance(1000 + n)
        given, family = fake.first_name(), fake.last_name()
        if n < len(LOOKALIKES):
            user_name = LOOKALIKES[n]
        elif n - len(LOOKALIKES) < len(collided):
            user_name = collided[n - len(LOOKALIKES)]
        else:
            local = re.sub(r"[^a-z0-9.]", "", fake.user_name().lower()) or f"user{n}"
            user_name = f"{local}.{n}@{fake.free_email_domain()}"
        if user_name.lower() in taken:
            user_name = f"{n}.{user_name}"
        taken.add(user_name.lower())
        display = collided_display[n % len(collided_display)] if n % 9 == 0 \
            else f"{given} {family}"
        user: dict[str, Any] = {
            "schemas": [USER],
            "userName": user_name,
            "externalId": str(uuid.UUID(int=n + 1)),
            "active": n % 7 != 3,
            "displayName": display,
            "name": {"givenName": given, "familyName": family, "formatted": f"{given} {family}"},
            "emails": [{"value": f"{n}.{fake.email()}", "type": "work", "primary": True}],
        }
        if n % 3 == 0:
            user["title"] = fake.job()
            user["phoneNumbers"] = [{"value": fake.phone_number(), "type": "work"}]
        if n % 4 == 0:
            user["schemas"].append(ENTERPRISE)
            user[ENTERPRISE] = {"employeeNumber": str(10000 + n),
                                "department": fake.word().title()}
        if n % 11 == 0:  # values scimcheck's adversarial generator also likes
            user["nickName"] = f' "{given}" \U0001d4b3\u0301 '
        users.append(user)
    return users


def _foreign_groups(user_ids: list[str]) -> list[dict[str, Any]]:
    _, _, collided = _generated_names()
    fake = Faker("en_US")
    fake.seed_instance(7)
    names = [*GROUP_LOOKALIKES, *dict.fromkeys(collided)]
    groups: list[dict[str, Any]] = []
    for n in range(FOREIGN_GROUPS):
        name = names[n] if n < len(names) else f"{fake.company()} {n}"
        members = fake.random_elements(user_ids, length=3 + n % 40, unique=True)
        groups.append({"schemas": [GROUP], "displayName": name,
                       "externalId": str(uuid.UUID(int=10_000 + n)),
                       "members": [{"value": m} for m in members]})
    return groups


@contextlib.contextmanager
def seeded_target() -> Iterator[Target]:
    """A reference server seeded with the foreign data (in-process, not over the socket)."""
    store = Store()
    app = ScimApp(token=TEST_TOKEN, store=store)
    faults = Faults()
    server = ReferenceServer(app=app, faults=faults).start()
    root = server.base_url.removesuffix(BASE_PATH)
    client = Client(app)
    auth = {"Authorization": f"Bearer {TEST_TOKEN}"}

    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = client.post(BASE_PATH + path, json=body, headers=auth, base_url=root)
        assert answer.status_code == 201, answer.get_data(as_text=True)
        created: dict[str, Any] = answer.get_json()
        return created

    user_ids = [post("/Users", u)["id"] for u in _foreign_users()]
    group_ids = [post("/Groups", g)["id"] for g in _foreign_groups(user_ids)]
    for n in range(0, 10, 2):  # nested: some groups have groups as members
        store.modify(GROUP_TYPE, group_ids[n], lambda attrs, n=n: {
            **attrs, "members": [*attrs.get("members", []), {"value": group_ids[n + 1]}],
        })
    seeded = Target(server, store, faults)
    seeded.foreign = seeded.snapshot()
    assert store.count(USER_TYPE) == FOREIGN_USERS and store.count(GROUP_TYPE) == FOREIGN_GROUPS
    assert all(len(json.loads(seeded.foreign[f"/Groups/{g}"])["members"]) >= 3
               for g in group_ids)
    try:
        yield seeded
    finally:
        server.stop()


@pytest.fixture
def target() -> Iterator[Target]:
    with seeded_target() as seeded:
        yield seeded


# --- running scimcheck ---------------------------------------------------------------------------


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCIM_", "SCIMCHECK_"))}
    env["SCIM_TOKEN"] = TEST_TOKEN
    return env


def _scimcheck(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "scimcheck", *args], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env=_env(),
    )


def _run(target: Target, reports: Path) -> tuple[int, str, float]:
    started = time.monotonic()
    proc = _scimcheck("run", target.server.base_url, "--examples", "5", "--seed", str(SEED),
                      "--report-dir", str(reports))
    out, err = proc.communicate(timeout=HANG_GUARD_S)
    elapsed = time.monotonic() - started
    print(f"scimcheck run: exit {proc.returncode} in {elapsed:.1f} s, "
          f"{target.faults.count} requests")
    return proc.returncode, out + err, elapsed


def _cleanup(target: Target, run_id: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "scimcheck", "cleanup", target.server.base_url,
         "--run-id", run_id], capture_output=True, text=True, env=_env(),
        timeout=HANG_GUARD_S, check=False,
    )
    assert done.returncode == exitcodes.OK, done.stdout + done.stderr
    return done.stdout


def _assert_safe(target: Target, run_id: str, output: str) -> None:
    """Foreign data byte-identical, never written to, and nothing of this run left."""
    assert "Traceback" not in output, output
    after = target.snapshot()
    changed = [p for p, text in target.foreign.items() if after.get(p) != text]
    assert not changed, f"foreign resources changed or gone: {changed[:5]}"
    foreign_ids = {p.rsplit("/", 1)[1] for p in target.foreign}
    touched = [
        f"{s.method} {s.path}" for s in target.faults.seen
        if s.method in WRITE_METHODS - {"POST"} and s.path.rsplit("/", 1)[-1] in foreign_ids
    ]
    assert not touched, f"scimcheck wrote to foreign resources: {touched[:5]}"
    posts = [s for s in target.faults.seen if s.method == "POST"
             and not s.path.endswith("/.search")]
    assert posts and all(s.path.endswith(("/Users", "/Groups")) for s in posts)
    tag = f"scimcheck-{run_id}-"
    tagged = [p for p, text in target.ours().items() if tag in text.lower()]
    assert not tagged, f"left behind by run {run_id}: {tagged[:5]}"
    assert target.ours() == {}, f"resources nobody seeded: {list(target.ours().values())[:3]}"


def _results(reports: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((reports / "results.json").read_text("utf-8"))
    return document


# --- the scenarios -------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_clean_run_leaves_foreign_data_alone(target: Target, tmp_path: Path) -> None:
    code, output, _ = _run(target, tmp_path)
    assert code == exitcodes.OK, output
    document = _results(tmp_path)
    assert document["tests"]["errors"] == 0
    _assert_safe(target, document["run_id"], output)


@pytest.mark.slow
@pytest.mark.parametrize(("rate", "seed"), [(0.04, 6), (0.2, 3)], ids=["4%", "20%"])
def test_injected_500s_and_resets_leave_foreign_data_alone(
    target: Target, tmp_path: Path, rate: float, seed: int
) -> None:
    """A share of /Users and /Groups requests fail: a 500 or a reset, before or after the
    server did the work. The run judges the endpoint (exit 0 or 1, a report), never crashes;
    at 20% even cleanup requests fail, and ``scimcheck cleanup`` removes what is left."""
    target.faults.rate = rate
    target.faults.seed = seed
    code, output, _ = _run(target, tmp_path)
    target.faults.enabled = False
    injected = {str(s.fault) for s in target.faults.injected()}
    print("\n".join(f"{s.fault} {s.method} {s.path}" for s in target.faults.injected()))
    assert injected == {"status-before", "status-after", "reset-before", "reset-after"}, injected
    assert code in (exitcodes.OK, exitcodes.CHECKS_FAILED), output
    document = _results(tmp_path)
    assert document["tests"]["errors"] == 0, output
    run_id = document["run_id"]
    left = [text for text in target.ours().values()]
    if left:  # an answer lost after a create: the run may not have known it
        print(f"left after the run: {len(left)}; cleanup --run-id {run_id}")
        cleaned = _cleanup(target, run_id)
        assert f"deleting {len(left)} resource(s) left by run {run_id}" in cleaned, cleaned
    _assert_safe(target, run_id, output)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("signum", "after"),
    [(signal.SIGINT, 60), (signal.SIGINT, 250), (signal.SIGTERM, 130)],
    ids=["sigint-in-the-sequences", "sigint-in-the-properties", "sigterm"],
)
def test_an_interrupted_run_cleans_up_and_leaves_foreign_data_alone(
    target: Target, tmp_path: Path, signum: int, after: int
) -> None:
    """Stopped after ``after`` requests (a full run sends about 450): exit 130, no traceback,
    the run id printed, nothing of the run left, without any help from ``cleanup``."""
    proc = _scimcheck("run", target.server.base_url, "--examples", "5", "--seed", str(SEED),
                      "--report-dir", str(tmp_path))
    deadline = time.monotonic() + HANG_GUARD_S
    while target.faults.count < after:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.005)
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == exitcodes.INTERRUPTED, out + err
    found = RUN_TAG.search(out)
    assert found, f"an interrupted run must still print its run id: {out[-2000:]}"
    _assert_safe(target, found["id"], out + err)


# --- the pieces that make an interrupt safe ------------------------------------------------------


@pytest.fixture
def main_thread() -> None:
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals are only handled in the main thread")


@pytest.mark.usefixtures("main_thread")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_cleanup_waits_until_the_cleanup_is_done(signum: int) -> None:
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    done: list[str] = []
    with pytest.raises(KeyboardInterrupt), interruptions_held():
        os.kill(os.getpid(), signum)
        time.sleep(0.05)  # a handler runs between bytecodes: give it the chance to
        done.append("cleaned up")  # reached: the signal was held
    assert done == ["cleaned up"]
    assert {s: signal.getsignal(s) for s in before} == before


@pytest.mark.usefixtures("main_thread")
def test_a_second_signal_stops_the_cleanup_at_once() -> None:
    done: list[str] = []
    with pytest.raises(KeyboardInterrupt), interruptions_held():
        os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)
        done.append("not reached")
    assert done == []


def test_an_interrupt_traceback_without_line_numbers_still_prints() -> None:
    """Python 3.11 leaves entries without a line number in some interrupted frames; pytest's
    renderer crashed on them (exit 1 and a traceback instead of a clean 130)."""

    def interrupted() -> None:
        raise KeyboardInterrupt

    try:
        interrupted()
    except KeyboardInterrupt as caught:
        error = caught
    top = error.__traceback__
    assert top is not None
    top.tb_next = types.TracebackType(top.tb_next, top.tb_frame, 10**6, -1)
    assert top.tb_next.tb_lineno is None
    excinfo = pytest.ExceptionInfo.from_exception(error)
    with pytest.raises(TypeError):
        excinfo.getrepr(funcargs=True)
    excinfo = pytest.ExceptionInfo.from_exception(error)
    plugin.pytest_keyboard_interrupt(excinfo)
    assert "def interrupted" in str(excinfo.getrepr(funcargs=True))


@pytest.mark.slow
def test_cleanup_that_cannot_search_says_so_and_exits_1() -> None:
    """A 5xx to cleanup's search is not "nothing left": exit 1, and the rest stays untouched."""
    faults = Faults(rate=1.0, kinds=("status",), stages=("before",), skip_first=1)
    with ReferenceServer(token=TEST_TOKEN, faults=faults) as server:
        faults.enabled = False
        left = Client(server.app).post(
            BASE_PATH + "/Users", json={"userName": "scimcheck-0123abcd-0001-a@example.com"},
            headers={"Authorization": f"Bearer {TEST_TOKEN}"},
        )
        assert left.status_code == 201
        faults.enabled = True
        done = subprocess.run(
            [sys.executable, "-m", "scimcheck", "cleanup", server.base_url, "--run-id",
             "0123abcd"], capture_output=True, text=True, env=_env(), timeout=HANG_GUARD_S,
            check=False,
        )
        assert done.returncode == exitcodes.CHECKS_FAILED, done.stdout + done.stderr
        assert "could not be searched (HTTP 500 at startIndex 1)" in done.stdout
        assert "more may be left; run cleanup again" in done.stderr
        assert "nothing left by" not in done.stdout
        assert [s.method for s in faults.writes()] == []
