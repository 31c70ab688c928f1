"""Repro scripts are inert data (issue 13 §1): whatever an endpoint, a recording or a step name
holds, the generated script passes ``bash -n`` and, run against a fake ``curl``, sends exactly
the requests the chain made (with the ids the fresh endpoint handed out) and runs nothing else.

The fake ``curl`` writes its arguments and standard input to files and answers each POST with
the next id of a list; ``PATH`` holds it, ``python3`` (the script's helper) and ``touch`` (so
an injected ``touch`` would work: the canary proves it never ran).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, quote_plus, urlencode

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from scimcheck.http.curl import Judgement, render_script
from scimcheck.http.transport import Exchange

BASH = shutil.which("bash")
pytestmark = pytest.mark.skipif(BASH is None, reason="needs bash")

TOKEN = "t0ken-for-the-replay"
SCIM = "application/scim+json; charset=utf-8"
REPLAY_URL = "http://replay.invalid/scim/v2"
PAYLOADS = [
    '$(touch "$CANARY")', '`touch "$CANARY"`', '"; touch "$CANARY"; "', "'; touch \"$CANARY\"; '",
    '\ntouch "$CANARY"\n', '\r\ntouch "$CANARY" #', '$(echo x >"$CANARY")', '${CANARY}', '\\',
    "\\'", '\\"', '$', '`', ';', '|', '&', '\x00', '\x1b[2J', '\x1b]0;x\x07', '\u2028', '\u2029',
    '\u202e', '\x85', '\x9b', '\U0001d11e', "$'\\x41'", '%22', '%', '{a,b}', '[0-9]', '-o/tmp/x',
    '\nSCIMCHECK_BODY\n', '$(touch canary)', '`touch canary`', 'abc$(touch canary)', 'EOF',
    '!!', '~', '*', '#', '<(touch "$CANARY")', '\t',
]
MARK_OPEN, MARK_CLOSE = "«", "»"
"""Recorded ids are wrapped in these (absent from other text) so where they occur is known."""

hostile = st.lists(st.one_of(st.text(max_size=12), st.sampled_from(PAYLOADS)), max_size=4).map(
    "".join)
unmarked = hostile.filter(lambda s: MARK_OPEN not in s and MARK_CLOSE not in s)


@dataclass(frozen=True)
class Id:
    """Where the k-th captured id goes."""

    k: int


Text = list[str | Id]


def _spell(text: Text, ids: list[str], form: str = "raw") -> str:
    def one(i: str) -> str:
        return {"raw": i, "path": quote(i, safe=""), "query": quote_plus(i, safe="")}[form]
    return "".join(one(ids[p.k]) if isinstance(p, Id) else p for p in text)


def _doc(value: object, ids: list[str]) -> object:
    """A JSON document whose strings may be ``Text``: spelt with ``ids``."""
    if isinstance(value, list) and value and all(isinstance(p, str | Id) for p in value):
        return _spell(value, ids)
    if isinstance(value, list):
        return [_doc(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _doc(v, ids) for k, v in value.items()}
    return value


@dataclass
class Step:
    """One request of the chain: what it was, and what the endpoint answered."""

    method: str
    path: Text
    query: list[tuple[Text, Text]] = field(default_factory=list)
    json_body: object = None
    raw_body: Text | None = None
    headers: dict[str, str] = field(default_factory=dict)
    status: int | None = 200
    reason: str = "OK"
    error: str | None = None
    answer_id: int | None = None
    label: str = ""
    location: str = ""
    raw_path: bool = False

    def url_tail(self, ids: list[str]) -> str:
        path = _spell(self.path, ids, "raw" if self.raw_path else "path")
        if self.query:
            path += "?" + urlencode([(_spell(k, ids), _spell(v, ids)) for k, v in self.query])
        return path

    def body(self, ids: list[str]) -> str | None:
        if self.raw_body is not None:
            return _spell(self.raw_body, ids)
        if self.json_body is not None:
            return json.dumps(_doc(self.json_body, ids), ensure_ascii=False)
        return None

    def sent_body(self, ids: list[str]) -> bytes | None:
        """The bytes the replay must send: a JSON body pretty-printed, any other as it was."""
        if self.raw_body is not None:
            return _spell(self.raw_body, ids).encode("utf-8")
        if self.json_body is not None:
            document = _doc(self.json_body, ids)
            return json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8")
        return None

    def sendable(self) -> bool:
        """curl cannot be given a NUL in its arguments: such a request is left out."""
        texts = [*(p for p in self.path if isinstance(p, str)), *self.headers.values()]
        return not any("\0" in t for t in texts)


def _exchanges(steps: list[Step], base: str, recorded: list[str]) -> list[Exchange]:
    out = []
    for n, step in enumerate(steps, 1):
        headers = {"Authorization": "Bearer <redacted>", **step.headers}
        if step.json_body is not None or step.raw_body is not None:
            headers["Content-Type"] = SCIM
        answer = json.dumps({"id": recorded[step.answer_id]}) if step.answer_id is not None \
            else ""
        out.append(Exchange(
            index=n, method=step.method, url=base.rstrip("/") + step.url_tail(recorded),
            request_headers=headers, request_body=step.body(recorded), status=step.status,
            reason=step.reason, error=step.error, label=step.label, response_body=answer,
            response_headers={"Location": step.location, "Content-Type": SCIM},
        ))
    return out


# --- running a script against the fake curl ------------------------------------------------------

FAKE_CURL = """#!{python} -I
import json, os, sys
home = os.environ["FAKE_DIR"]
n = len([f for f in os.listdir(home) if f.startswith("argv.")])
args = [os.fsencode(a) for a in sys.argv[1:]]
with open(os.path.join(home, "argv.%d" % n), "wb") as out:
    out.write(b"\\0".join(args))
sent = b""
if b"--data-binary" in args:
    sent = sys.stdin.buffer.read()
    with open(os.path.join(home, "stdin.%d" % n), "wb") as out:
        out.write(sent)
method = args[args.index(b"-X") + 1] if b"-X" in args else b"GET"
if method == b"POST":
    ids = json.loads(os.environ["FAKE_IDS"])
    posts = len([f for f in os.listdir(home) if f.startswith("post.")])
    open(os.path.join(home, "post.%d" % posts), "w").close()
    try:  # a create answers with what it was sent (so it names the userName/displayName)
        answer = dict(json.loads(sent))
    except ValueError:
        answer = {{}}
    answer["id"] = ids[posts % len(ids)]
    sys.stdout.write(json.dumps(answer) + "\\n")
else:
    sys.stdout.write(os.environ.get("FAKE_ANSWER", "{{}}") + "\\n")
if "http_code" in os.fsdecode(args[args.index(b"-w") + 1]):
    sys.stdout.write(os.environ.get("FAKE_STATUS", "200") + "\\n")
"""


@dataclass
class Call:
    """One curl invocation, read back from the fake's files."""

    argv: list[str]
    stdin: bytes | None


@dataclass
class Replayed:
    """What running a script did."""

    returncode: int
    calls: list[Call]
    stdout: str
    stderr: str
    canary: bool
    strays: list[str]


def replay(script: str, tmp: Path, new_ids: list[str], *, env_url: str | None = REPLAY_URL,
           locale: str = "C.UTF-8", answers: dict[str, str] | None = None) -> Replayed:
    """Check the script parses, then run it with the fake curl first on PATH."""
    if tmp.exists():
        shutil.rmtree(tmp)
    tools, fake, work = tmp / "bin", tmp / "fake", tmp / "work"
    for folder in (tools, fake, work):
        folder.mkdir(parents=True)
    curl = tools / "curl"
    curl.write_text(FAKE_CURL.format(python=os.path.realpath(sys.executable)), encoding="utf-8")
    curl.chmod(0o755)
    (tools / "python3").symlink_to(os.path.realpath(sys.executable))
    touch = shutil.which("touch")
    assert touch is not None
    (tools / "touch").symlink_to(touch)
    path = tmp / "repro.sh"
    path.write_text(script, encoding="utf-8")
    assert BASH is not None
    syntax = subprocess.run([BASH, "-n", str(path)], capture_output=True, text=True, timeout=60)
    assert syntax.returncode == 0, syntax.stderr
    canary = tmp / "CANARY"
    env = {"PATH": str(tools), "SCIM_TOKEN": TOKEN, "CANARY": str(canary), "FAKE_DIR": str(fake),
           "FAKE_IDS": json.dumps(new_ids), "LC_ALL": locale, "HOME": str(work)}
    if env_url is not None:
        env["SCIM_URL"] = env_url
    env.update(answers or {})  # FAKE_STATUS, FAKE_ANSWER: how the fake answers
    run = subprocess.run([BASH, str(path)], capture_output=True, cwd=work, env=env, timeout=120)
    calls = []
    for n in range(len([f for f in os.listdir(fake) if f.startswith("argv.")])):
        argv = [os.fsdecode(a) for a in (fake / f"argv.{n}").read_bytes().split(b"\0")]
        stdin = fake / f"stdin.{n}"
        calls.append(Call(argv, stdin.read_bytes() if stdin.exists() else None))
    return Replayed(run.returncode, calls, run.stdout.decode("utf-8", "replace"),
                    run.stderr.decode("utf-8", "replace"), canary.exists(),
                    sorted(os.listdir(work)))


def request_of(call: Call) -> tuple[str, str, list[str], bytes | None]:
    """Method, URL, header lines and body of a curl invocation; nothing else may be in it."""
    args = iter(call.argv)
    method, url, headers, data = "GET", "", [], False
    for arg in args:
        if arg == "-X":
            method = next(args)
        elif arg == "--url":
            url = next(args)
        elif arg == "-H":
            headers.append(next(args))
        elif arg == "--data-binary":
            assert next(args) == "@-"
            data = True
        elif arg == "-w":  # a newline after each answer; the judged one's status too
            assert next(args) in ("\\n", "\\n%{http_code}\\n")
        else:
            assert arg in ("-sS", "--globoff"), f"unexpected curl argument {arg!r}"
    assert data == (call.stdin is not None)
    return method, url, headers, call.stdin


def expected_headers(step: Step) -> list[str]:
    headers = {**step.headers}
    if step.json_body is not None or step.raw_body is not None:
        headers["Content-Type"] = SCIM
    lines = [f"{k}: {v}" if v.strip(" \t") else f"{k};" for k, v in headers.items()]
    return [*lines, f"Authorization: Bearer {TOKEN}", "User-Agent:", "Accept:"]


def usable(new_id: str) -> bool:
    """An id the script accepts: not empty, no control or invisible character."""
    return bool(new_id) and not any(
        unicodedata.category(c) in {"Cc", "Cf", "Cs", "Zl", "Zp"} for c in new_id)


def claimed(step: Step) -> bool:
    """A create the script tracks for deletion: a JSON POST to /Users or /Groups naming a
    non-empty userName or displayName without a NUL (the fake answers with what it was sent;
    a name with a NUL cannot be passed to the helper, so it is not tracked, which is safe)."""
    body = step.json_body if isinstance(step.json_body, dict) else {}
    collection = "".join(p for p in step.path if isinstance(p, str)).rstrip("/").lower()
    name = {"/users": "userName", "/groups": "displayName"}.get(collection)
    value = body.get(name) if name else None
    spelt = _spell(value, []) if isinstance(value, list) else ""
    return step.method == "POST" and bool(spelt) and "\0" not in spelt  # no NUL in argv


def check_replay(steps: list[Step], result: Replayed, prefix: str, new_ids: list[str]) -> None:
    """The script sent exactly the sendable steps, in order, with the new ids, and stopped
    right after a create whose answer had no usable id; then it deleted exactly what its
    creates made, newest first, and nothing else."""
    assert not result.canary, "an injected command ran"
    assert result.strays == [], f"the script left files behind: {result.strays}"
    wanted: list[Step] = []
    made: list[str] = []
    stopped = False
    for step in steps:
        if not step.sendable():
            continue
        wanted.append(step)
        if step.answer_id is not None and not usable(new_ids[step.answer_id]):
            stopped = True
            break
        if step.answer_id is not None and claimed(step):
            path = "".join(p for p in step.path if isinstance(p, str)).rstrip("/")
            made.append(f"{prefix}{path}/{quote(new_ids[step.answer_id], safe='')}")
    cleanup = [Call(["-X", "DELETE", "--url", url], None) for url in reversed(made)]
    assert len(result.calls) == len(wanted) + len(cleanup), (
        result.stderr, [c.argv for c in result.calls])
    assert (result.returncode != 0) == stopped, result.stderr
    for step, call in zip(wanted, result.calls, strict=False):
        method, url, headers, body = request_of(call)
        assert method == step.method
        assert url == prefix + step.url_tail(new_ids)
        assert headers == expected_headers(step)
        assert body == step.sent_body(new_ids)
    for deleted, call in zip(cleanup, result.calls[len(wanted):], strict=True):
        method, url, headers, body = request_of(call)
        assert (method, url, body) == ("DELETE", deleted.argv[3], None)
        assert headers == [f"Authorization: Bearer {TOKEN}", "User-Agent:", "Accept:"]


# --- the property --------------------------------------------------------------------------------

@st.composite
def chains(draw: st.DrawFn) -> tuple[list[Step], list[str]]:
    """A chain touching every place hostile text can be: ids in answers, bodies, paths and
    queries, Location headers, reason phrases, errors, labels, a raw path and a raw body."""
    inner = unmarked.filter(lambda s: len(s) >= 2)
    recorded = draw(st.lists(inner.map(lambda s: MARK_OPEN + s + MARK_CLOSE), min_size=2,
                             max_size=2, unique=True))
    a, b = Id(0), Id(1)

    def text() -> str:
        return draw(unmarked)

    def anything() -> str:
        return draw(hostile)

    steps = [
        Step("POST", ["/Users"], json_body={"userName": [text()], "displayName": [text()]},
             status=201, reason=anything(), answer_id=0, label=anything(), location=anything()),
        Step("POST", ["/Groups"], json_body={"displayName": [text()], "members": [{
            "value": [a]}]}, status=201, answer_id=1, label=anything(), location=anything()),
        Step("PATCH", ["/Groups/", b], json_body={"Operations": [{
            "op": "remove", "path": ['members[value eq "', a, '"]'], text(): [text(), a]}]},
             status=204, reason=anything(), label=anything()),
        Step("GET", ["/", text(), "/Users/", a], query=[(["filter"], ['id eq "', a, '"']),
                                                        ([text()], [text()])],
             status=None, error=anything(), label=anything()),
        Step("POST", ["/", text(), "/", text()], raw_path=True,
             raw_body=["raw:", text(), b, text()],
             headers={"X-Test": text()}, status=400, reason=anything(), label=anything()),
        Step("DELETE", ["/Users/", a], status=204, reason=anything(), label=anything()),
    ]
    raw = steps[4].url_tail(recorded)  # text that spells a recorded id would be spliced too
    assume(not any(quote(i, safe="") in raw for i in recorded))
    return steps, recorded


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.data_too_large])
@given(chain=chains(), base=hostile, title=hostile, new_ids=st.lists(hostile, min_size=2,
                                                                    max_size=2),
       use_default=st.booleans(), locale=st.sampled_from(["C", "C.UTF-8"]))
def test_any_chain_replays_exactly_and_runs_nothing_else(
    tmp_path_factory: pytest.TempPathFactory, chain: tuple[list[Step], list[str]], base: str,
    title: str, new_ids: list[str], use_default: bool, locale: str,
) -> None:
    steps, recorded = chain
    base_url = "http://127.0.0.1:9/" + base
    script = render_script(_exchanges(steps, base_url, recorded), base_url, title)
    assert TOKEN not in script
    assert all(c == "\n" or c.isprintable() for c in script), "a raw control character"
    use_default = use_default and "\0" not in base_url
    result = replay(script, tmp_path_factory.mktemp("replay"), new_ids,
                    env_url=None if use_default else REPLAY_URL, locale=locale)
    check_replay(steps, result, base_url.rstrip("/") if use_default else REPLAY_URL, new_ids)


# --- the attack of issue 13, exactly --------------------------------------------------------------

ATTACKS = ["ids", "step-name", "url", "all"]


def _attack(kind: str = "all") -> tuple[list[Exchange], str]:
    """The chain of issue 13 §1: a server whose ids are ``abc\\`` and ``abc$(touch …)`` (the
    first, substituted into the escaped text, ate the backslash that escaped the second's
    ``$``), a step name with a newline, a base URL with ``"$(…)"`` in it; one, or all three."""
    base = 'http://127.0.0.1:9/scim' + ('"$(touch "$CANARY")"' if kind in ("url", "all") else "")
    first, second = ("abc\\", "abc$(touch canary)") if kind in ("ids", "all") else \
        ("first-id", "second-id")
    name = 'POST /Users\ntouch "$CANARY"' if kind in ("step-name", "all") else "POST /Users"

    def exchange(n: int, method: str, path: str, body: object, answer: object,
                 label: str = "") -> Exchange:
        return Exchange(
            index=n, method=method, url=base + path,
            request_headers={"Authorization": "Bearer <redacted>", "Content-Type": SCIM},
            request_body=None if body is None else json.dumps(body, ensure_ascii=False),
            status=201 if method == "POST" else 200, reason="OK",
            response_body=json.dumps(answer), label=label,
        )

    chain = [
        exchange(1, "POST", "/Users", {"userName": "a"}, {"id": first}, name),
        exchange(2, "POST", "/Groups", {"displayName": "g", "members": [{"value": first}]},
                 {"id": second}),
        exchange(3, "PATCH", "/Groups/" + quote(second, safe=""), {"Operations": [
            {"op": "add", "path": "members", "value": [{"value": first}]},
            {"op": "replace", "path": "displayName", "value": second}]}, {}),
    ]
    return chain, base


@pytest.mark.parametrize("kind", ATTACKS)
def test_the_issue_13_attack_runs_nothing(tmp_path: Path, kind: str) -> None:
    chain, base = _attack(kind)
    script = render_script(chain, base, "title")
    for env_url in (None, REPLAY_URL):  # with the recorded base URL, and with another
        result = replay(script, tmp_path / "run", ["fresh-1", "fresh-2"], env_url=env_url)
        assert not result.canary, "the script ran a command the endpoint chose"
        assert result.strays == [], "the script ran a command the endpoint chose"
        assert result.returncode == 0, result.stderr
        assert len(result.calls) == 5
        patch = request_of(result.calls[2])
        prefix = base if env_url is None else env_url
        assert patch[1] == prefix + "/Groups/fresh-2"
        # on exit, what the two creates made, newest first, and nothing else
        assert [request_of(c)[:2] for c in result.calls[3:]] == [
            ("DELETE", prefix + "/Groups/fresh-2"), ("DELETE", prefix + "/Users/fresh-1")]
        assert json.loads(patch[3] or b"") == {"Operations": [
            {"op": "add", "path": "members", "value": [{"value": "fresh-1"}]},
            {"op": "replace", "path": "displayName", "value": "fresh-2"}]}


def test_a_fresh_endpoints_hostile_ids_are_data_too(tmp_path: Path) -> None:
    """The ids the replayed endpoint hands out are spliced as values, encoded where they go."""
    chain, base = _attack()
    result = replay(render_script(chain, base), tmp_path, ["x\\", '$(touch "$CANARY")/?#%'])
    assert not result.canary
    assert result.returncode == 0, result.stderr
    patch = request_of(result.calls[2])
    assert patch[1] == REPLAY_URL + "/Groups/%24%28touch%20%22%24CANARY%22%29%2F%3F%23%25"
    assert json.loads(patch[3] or b"")["Operations"][0]["value"] == [{"value": "x\\"}]


@pytest.mark.parametrize(("answer", "usable"), [
    ("", False), ("a\nb", False), ("a\x1bb", False), ("a\u202eb", False), ("a\x85b", False),
    ("  ", True), ("Zoë 𝄞", True),
])
def test_a_create_answered_without_a_usable_id_stops_the_script(
    tmp_path: Path, answer: str, usable: bool,
) -> None:
    chain, base = _attack()
    result = replay(render_script(chain, base), tmp_path, [answer, "fresh-2"])
    assert not result.canary
    if usable:
        assert result.returncode == 0, result.stderr
        assert len(result.calls) == 5  # three requests, two deletes of what they made
    else:
        assert result.returncode == 2
        assert len(result.calls) == 1  # nothing made that could be deleted
        assert "without a usable id" in result.stderr


def test_what_curl_cannot_send_is_left_out_and_said_so(tmp_path: Path) -> None:
    """A NUL in the run's URL only means there is no default ``SCIM_URL``; a NUL in a request's
    own URL or a header, or a URL outside the base, leaves that request out, with a comment."""
    base = "http://127.0.0.1:9/scim\0x"

    def exchange(n: int, url: str, headers: dict[str, str]) -> Exchange:
        return Exchange(index=n, method="GET", url=url, request_headers=headers,
                        request_body=None, status=200)

    chain = [exchange(1, base + "/Users", {}), exchange(2, base + "/Users/a\0b", {}),
             exchange(3, base + "/Users", {"X-Test": "a\0b"}),
             exchange(4, "http://elsewhere.example/Users", {}), exchange(5, base + "/Groups", {})]
    script = render_script(chain, base)
    assert script.count("# not replayed: ") == 3
    assert "then SCIM_URL=" not in script  # no default
    result = replay(script, tmp_path, [])
    assert result.returncode == 0, result.stderr
    assert [request_of(c)[1] for c in result.calls] == [REPLAY_URL + "/Users",
                                                        REPLAY_URL + "/Groups"]
    unset = replay(script, tmp_path, [], env_url=None)
    assert unset.returncode != 0 and unset.calls == [] and "set SCIM_URL" in unset.stderr


def test_a_request_scimcheck_refused_to_send_is_not_in_the_script(tmp_path: Path) -> None:
    """A DELETE the ownership ledger refused (the id named somebody else's resource) never left
    scimcheck; a support engineer running the script must not send it either."""
    base = "http://127.0.0.1:9/scim/v2"
    chain = [
        Exchange(index=1, method="GET", url=base + "/Users", request_headers={},
                 request_body=None, status=200),
        Exchange(index=2, method="DELETE", url=base + "/Users/ceo-account", request_headers={},
                 request_body=None, error="scimcheck refused to send DELETE", refused=True),
    ]
    script = render_script(chain, base)
    assert "ceo-account" not in script.split("# not replayed: ")[0].split("#2 ")[0]
    assert script.count("# not replayed: ") == 1
    result = replay(script, tmp_path, [])
    assert result.returncode == 0, result.stderr
    assert [request_of(c)[:2] for c in result.calls] == [("GET", REPLAY_URL + "/Users")]


@pytest.mark.parametrize(("status", "code", "verdict"), [
    ("200", 0, 'NOT REPRODUCED: x$(touch "$CANARY")\\n`touch "$CANARY"`\\x1b[2J: got what the '
     'check expects: status 200; displayName is "fresh-2"'),
    ("500", 1, 'REPRODUCED: x$(touch "$CANARY")\\n`touch "$CANARY"`\\x1b[2J: expected status '
     '200, got status 500'),
    ("000", 3, 'CHECK BY HAND: x$(touch "$CANARY")\\n`touch "$CANARY"`\\x1b[2J: the endpoint '
     'did not answer the last request'),
])
def test_a_judgement_is_data_whatever_it_holds(
    tmp_path: Path, status: str, code: int, verdict: str,
) -> None:
    """The expectation a script judges (check name, paths, values, what to look at) is one
    quoted literal handed to the helper: hostile text in it runs nothing, reaches the terminal
    escaped, and a recorded id in an expected value is the fresh endpoint's id."""
    chain, base = _attack()
    judgement = Judgement(
        'x$(touch "$CANARY")\n`touch "$CANARY"`\x1b[2J', status=(200,),
        body=(("displayName", "equals", "abc$(touch canary)"),),  # the second recorded id
        by_hand="".join(PAYLOADS),
    )
    script = render_script(chain, base, "title", judgement)
    result = replay(script, tmp_path, ["fresh-1", "fresh-2"],
                    answers={"FAKE_STATUS": status, "FAKE_ANSWER": '{"displayName": "fresh-2"}'})
    assert not result.canary and result.strays == []
    assert result.returncode == code, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert verdict in lines, lines
    assert all(c == "\n" or c.isprintable() for c in result.stdout)
    assert "== #1 POST /Users\\ntouch \"$CANARY\" ==" in lines  # labels escaped too
    assert [request_of(c)[:2] for c in result.calls[3:]] == [
        ("DELETE", REPLAY_URL + "/Groups/fresh-2"), ("DELETE", REPLAY_URL + "/Users/fresh-1")]


def test_a_script_with_nothing_to_replay_says_so(tmp_path: Path) -> None:
    """No script is empty: with no request to replay it says what to check by hand."""
    script = render_script([], REPLAY_URL, "title", Judgement("some.check", by_hand="x\x1by"))
    result = replay(script, tmp_path, [])
    assert result.returncode == 3 and result.calls == []
    assert result.stdout.splitlines()[-1] == (
        "CHECK BY HAND: some.check: no request of the run can be replayed to show it; look at: "
        "x\\x1by")


def test_a_base_url_holding_a_question_mark_still_names_what_a_create_claims() -> None:
    """Found by the property: with a base URL such as ``http://host/?`` the collection was read
    from the whole URL, so a create's answer was never claimed and the script's cleanup left
    the user it made behind."""
    base = "http://127.0.0.1:9/?"
    create = Exchange(index=1, method="POST", url=base + "/Users", request_headers={},
                      request_body='{"userName": "u1"}', status=201,
                      response_body='{"id": "abcd", "userName": "u1"}')
    script = render_script([create], base)
    assert "| scim id userName u1)" in script, script


@pytest.mark.parametrize(("sent", "stored", "code", "said"), [
    ("Ann Lee", '"  ann   LEE "', 0, "NOT REPRODUCED: generated.create-roundtrip: got what the "
     'check expects: status 200; name.givenName is "  ann   LEE "'),
    ("Ann Lee", '"Ann"', 1, 'REPRODUCED: generated.create-roundtrip: expected name.givenName '
     'equals normalised "Ann Lee", got name.givenName is "Ann"'),
    # a server capitalising names stores the dotless i (U+0131) as I, which case folding
    # alone maps to i: letter case all the same
    ("\u0131lker", '"Ilker"', 0, "NOT REPRODUCED: generated.create-roundtrip: got what the "
     'check expects: status 200; name.givenName is "Ilker"'),
])
def test_a_read_back_is_judged_as_the_run_judged_it(
    tmp_path: Path, sent: str, stored: str, code: int, said: str,
) -> None:
    """A generated round-trip's script compares strings but for whitespace and letter case,
    as the run does (RFC 7644 §3.3: normalising is another, advisory, check): a fixed server
    that only normalises is NOT REPRODUCED; a truncated value is REPRODUCED."""
    chain, base = _attack("none")
    judgement = Judgement("generated.create-roundtrip", status=(200,),
                          body=(("name.givenName", "equals_normalised", sent),))
    result = replay(render_script(chain, base, "title", judgement), tmp_path,
                    ["fresh-1", "fresh-2"], answers={
                        "FAKE_STATUS": "200",
                        "FAKE_ANSWER": '{"name": {"givenName": ' + stored + "}}"})
    assert result.returncode == code, result.stdout + result.stderr
    assert said in result.stdout.splitlines()

