"""A request chain as a bash script of curl commands that replays it against any endpoint.

The script reads ``SCIM_URL`` and ``SCIM_TOKEN`` from the environment (the token is never
written into it), and a secret header's value (``--secret-header``) from
``SCIM_HEADER_<NAME>``. Ids the endpoint assigned in answer to a POST are captured into shell
variables and spliced wherever later requests used them, so the chain replays on a fresh
endpoint, not just against the run that recorded it. Requests keep Entra's headers: writes as
``application/scim+json; charset=utf-8``, no ``Accept`` on reads, no ``User-Agent``.

Everything in a chain is hostile data (an endpoint chose its ids, answers and reason phrases; a
recording chose paths and step names), so the script is inert by construction, not by escaping
text and substituting into it afterwards:

- every literal (method, URL, header, body, the default ``SCIM_URL``) is one shell word built
  by :func:`shell_word`: single-quoted, with control and invisible characters written as
  ``$'\\xHH'`` bytes; nothing in it is ever expanded. A NUL cannot be in a shell word, so a
  body's NUL bytes are written by ``printf '\\000'`` and a request with one in its URL or a
  header (curl could not send it) is left out, and said so;
- a body is ``printf '%s'`` of literal pieces and ``"$ID1_JSON"``-style expansions in double
  quotes: a captured id is data at run time, never shell source;
- a captured id is checked at run time (non-empty, no control or invisible characters) or the
  script stops, and it is spliced encoded for where it goes: percent-encoded in a URL path
  (RFC 3986 §2.1, as :mod:`scimcheck.scim.endpoints` does), as ``+``-form in a query, JSON-escaped
  in a JSON body (RFC 8259 §7);
- comments (title, labels, recorded answers) have every such character written as an escape,
  so no newline from a step name ends a comment;
- curl gets the URL with ``--url`` (never read as an option) and ``--globoff`` (no ``{}``/``[]``
  expansion); answers are printed with control characters escaped, so an endpoint cannot
  drive the terminal of the person replaying it.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, quote_plus

from scimcheck.http.curl_helper import HELPER_SOURCE
from scimcheck.http.redactor import REDACTED
from scimcheck.http.shell_words import comment, escaped, shell_word
from scimcheck.http.transport import Exchange

_SKIPPED_HEADERS = {"authorization", "content-length", "host"}
MIN_CAPTURED_ID = 4
"""Shorter ids are not spliced: a two-character id would match inside unrelated text."""


@dataclass(frozen=True)
class _Var:
    """A shell variable spliced at run time (always inside double quotes)."""

    name: str


_Piece = str | _Var


@dataclass(frozen=True)
class Judgement:
    """What the check expects of the answer to the last request, as data the script's helper
    evaluates (never code): the statuses it accepts, a status it must stay below, and body
    conditions ``(at, kind, expected)`` of the sequence files' kinds on a dotted path. A part
    the script cannot evaluate is named in ``unjudged``; with nothing to evaluate, the script
    says ``CHECK BY HAND`` and what to look at (``by_hand``), never ``REPRODUCED``."""

    check: str
    status: tuple[int, ...] = ()
    below: int | None = None
    body: tuple[tuple[str, str, Any], ...] = ()
    unjudged: tuple[str, ...] = ()
    by_hand: str = ""

    def spec(self) -> dict[str, Any]:
        """The JSON document the script passes to its helper (as one quoted literal)."""
        return {
            "check": self.check, "status": list(self.status), "below": self.below,
            "body": [{"at": at, kind: expected} for at, kind, expected in self.body],
            "unjudged": list(self.unjudged), "by_hand": self.by_hand,
        }


_CLEANUP = [
    "CREATED=()",
    "# on exit, however the script ends: delete what its own creates made (and nothing else:",
    "# only ids a create answered while naming the userName/displayName this script sent)",
    "scim_cleanup() {",
    "  local n",
    "  for ((n=${#CREATED[@]}-1; n>=0; n--)); do",
    "    printf '%s\\n' \"== cleanup: DELETE ${CREATED[n]} ==\" | scim show",
    "    curl -sS --globoff -w '\\n' -X DELETE --url \"$SCIM_URL${CREATED[n]}\" "
    "-H \"Authorization: Bearer $SCIM_TOKEN\" -H 'User-Agent:' -H 'Accept:' | scim show",
    "  done",
    "}",
    "trap scim_cleanup EXIT",
]


def render_script(
    exchanges: Iterable[Exchange], base_url: str, title: str = "",
    judgement: Judgement | None = None,
) -> str:
    """A bash script replaying the exchanges in order (``base_url`` becomes ``$SCIM_URL``);
    with a ``judgement``, the last exchange is the judged one: the script ends with
    ``REPRODUCED`` (exit 1), ``NOT REPRODUCED`` (exit 0) or ``CHECK BY HAND`` (exit 3). A
    create answered with a usable id stops it with exit 2."""
    base = base_url.rstrip("/")
    default = (
        f"if [[ -z ${{SCIM_URL:-}} ]]; then SCIM_URL={shell_word(base)}; fi"
        if "\0" not in base else "# (the run's URL holds a NUL byte: set SCIM_URL)"
    )
    steps = list(exchanges)
    secret_headers = dict.fromkeys(
        _secret_variable(name) for exchange in steps
        for name, value in exchange.request_headers.items()
        if value == REDACTED and name.lower() != "authorization"
    )
    lines = [
        "#!/usr/bin/env bash",
        comment(title or "A request chain recorded by scimcheck."),
        "# Replays against any SCIM endpoint: SCIM_URL=https://host/scim/v2 SCIM_TOKEN=… bash "
        "this-file",
        "# Every value is a quoted literal; ids a create answered are kept in ID1, ID2, … and "
        "spliced quoted.",
        "# Exit status: 1 REPRODUCED, 0 NOT REPRODUCED, 3 CHECK BY HAND, 2 could not replay.",
        "set -u",
        "exec 4>&1",
        default,
        ': "${SCIM_URL:?set SCIM_URL to the SCIM base URL}"',
        "SCIM_URL=${SCIM_URL%/}",
        ': "${SCIM_TOKEN:?set SCIM_TOKEN to the bearer token}"',
        *(f': "${{{v}:?set {v} to the value of the secret header}}"' for v in secret_headers),
        f"scim() {{ python3 -I -c {shell_word(HELPER_SOURCE, multiline=True)} \"$@\"; }}",
        *_CLEANUP,
    ]
    chain = _Chain(base)
    for n, exchange in enumerate(steps):
        lines.append("")
        lines += chain.render(exchange, judgement if n == len(steps) - 1 else None)
    if judgement is not None and not chain.judged:
        lines += ["", _say(f"CHECK BY HAND: {judgement.check}: no request of the run can be "
                           f"replayed to show it; look at: "
                           f"{judgement.by_hand or 'the report'}"), "exit 3"]
    return "\n".join(lines) + "\n"


def _say(text: str) -> str:
    """A command printing ``text`` (escaped: no control character reaches the terminal)."""
    return f"printf '%s\\n' {shell_word(escaped(text))}"


def _owner_claim(exchange: Exchange, tail: str) -> list[str]:
    """``[attribute, value]`` a create's answer must name for the script to delete what it
    made: the userName (``/Users``) or displayName (``/Groups``) the request sent. ``tail`` is
    the URL after the base (the base itself may hold any character, ``?`` included)."""
    if exchange.method != "POST" or exchange.request_body is None:
        return []
    attribute = {"users": "userName", "groups": "displayName"}.get(
        tail.split("?")[0].rstrip("/").rsplit("/", 1)[-1].lower())
    try:
        body = json.loads(exchange.request_body)
    except (ValueError, RecursionError):
        return []
    value = body.get(attribute) if attribute and isinstance(body, dict) else None
    if not isinstance(value, str) or not value or "\0" in value:
        return []
    return [attribute or "", value]


class _Chain:
    """The ids captured so far, and the encoded forms of them already computed."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.ids: dict[str, str] = {}
        self.defined: set[str] = set()
        self.judged = False

    def render(self, exchange: Exchange, judgement: Judgement | None = None) -> list[str]:
        outcome = (
            f"{exchange.status} {exchange.reason}".strip() if exchange.status is not None
            else f"no answer ({exchange.error})"
        )
        step = f"#{exchange.index} {exchange.label}".rstrip()
        lines = [comment(f"{step} → recorded answer: {outcome}")]
        unsendable = self._unsendable(exchange)
        if unsendable:
            return [*lines, comment(f"not replayed: {unsendable}")]
        lines.append(_say(f"== {step} =="))
        url = self._url(exchange.url[len(self.base):])
        body = None if exchange.request_body is None else self._body(exchange.request_body)
        spec: list[_Piece] = []
        if judgement is not None:
            _json(judgement.spec(), {i: f"{n}_JSON" for i, n in self.ids.items()}, 0, spec)
        needed = [
            p.name for p in (*url, *(body or ()), *spec) if isinstance(p, _Var)
            and p.name not in self.defined
        ]
        for name in dict.fromkeys(needed):  # an id's encoded form, the first time it is used
            plain, _, mode = name.partition("_")
            lines.append(f'{name}=$(scim {mode.lower()} "${plain}") || exit 2')
            self.defined.add(name)
        write_out = "'\\n%{http_code}\\n'" if judgement is not None else "'\\n'"
        command = " ".join([
            f"curl -sS --globoff -w {write_out}", "-X", shell_word(exchange.method),
            "--url", '"$SCIM_URL"' + _words(url), *_headers(exchange),
        ])
        if body is not None:
            command = f"{_printf(body)} | {command} --data-binary @-"
        new_id = _assigned_id(exchange)
        claim_words = _owner_claim(exchange, exchange.url[len(self.base):])
        claim = " ".join(shell_word(w) for w in claim_words)
        fresh = new_id is not None and new_id not in self.ids
        # a create the replay may make (even one the recording saw refused) is tracked for
        # deletion; its id is kept as IDn when later requests use the one recorded
        collection = _words(self._url(exchange.url[len(self.base):].split("?")[0].rstrip("/")))

        def created(var: str) -> str:
            return f'CREATED+=({collection}/"$(scim path "${var}")")'

        if judgement is not None:
            self.judged = True
            if not claim_words:
                return [*lines, f"{command} | scim judge {_words(spec)}", "exit $?"]
            # the answer and the verdict to the script's standard output (4), the id to 3
            return [*lines, f"NEW=$({command} | scim judge {_words(spec)} {claim} 3>&1 1>&4)",
                    "VERDICT=$?", f"if [[ -n $NEW ]]; then {created('NEW')}; fi",
                    "exit $VERDICT"]
        if new_id is None or not fresh:
            if not claim_words:
                return [*lines, f"{command} | scim show"]
            return [*lines, f"NEW=$({command} | scim created {claim})",
                    f"if [[ -n $NEW ]]; then {created('NEW')}; fi"]
        name = f"ID{len(self.ids) + 1}"
        self.ids[new_id] = name
        self.defined.add(name)
        return [*lines, f"{name}=$({command} | scim id {claim})",
                f"case $? in 0) {created(name)};; 3) ;; *) exit 2;; esac",
                f"printf '%s\\n' \"{name}=${name}\""]

    def _unsendable(self, exchange: Exchange) -> str | None:
        if exchange.refused:  # aimed at a resource this run could not prove its own
            return "scimcheck refused to send it, and so does this script"
        if not exchange.url.startswith(self.base):
            return "its URL is not under the run's base URL"
        texts = [exchange.method, exchange.url[len(self.base):], *exchange.request_headers.keys(),
                 *exchange.request_headers.values()]
        if any("\0" in text for text in texts):
            return "its method, URL or a header holds a NUL byte, which curl cannot send"
        return None

    def _url(self, tail: str) -> list[_Piece]:
        """The URL after ``$SCIM_URL``: ids in the path as ``IDn_PATH``, in the query as
        ``IDn_QUERY`` (the forms :func:`urllib.parse.quote` and ``urlencode`` gave them)."""
        path, mark, query = tail.partition("?")
        pieces = _split(path, {quote(i, safe=""): f"{n}_PATH" for i, n in self.ids.items()},
                        encoded=True)
        if mark:
            pieces.append(mark)
            pieces += _split(query, {quote_plus(i, safe=""): f"{n}_QUERY"
                                     for i, n in self.ids.items()}, encoded=True)
        return pieces

    def _body(self, body: str) -> list[_Piece]:
        """A JSON body pretty-printed with ids as ``IDn_JSON``; any other body as it was sent,
        with ids as ``IDn``. JSON is re-indented only when that keeps the document exactly
        (no duplicate names, no number that would change)."""
        with contextlib.suppress(ValueError, RecursionError):
            document = json.loads(body)
            if json.dumps(document, ensure_ascii=False) == body:
                pieces: list[_Piece] = []
                _json(document, {i: f"{n}_JSON" for i, n in self.ids.items()}, 0, pieces)
                return pieces
        return _split(body, dict(self.ids), encoded=False)


def _assigned_id(exchange: Exchange) -> str | None:
    if exchange.method != "POST" or not exchange.ok:
        return None
    body = exchange.json()
    new_id = body.get("id") if isinstance(body, dict) else None
    return new_id if isinstance(new_id, str) and len(new_id) >= MIN_CAPTURED_ID else None


def _split(text: str, forms: dict[str, str], *, encoded: bool) -> list[_Piece]:
    """``text`` as literal pieces and variables where a form of an id occurs (longest first;
    in URL text never starting inside a ``%XX`` escape)."""
    if not forms:
        return [text] if text else []
    alternatives = "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))
    pattern = re.compile(f"(?<!%)(?<!%[0-9A-Fa-f])(?:{alternatives})" if encoded
                         else alternatives)
    pieces: list[_Piece] = []
    at = 0
    for match in pattern.finditer(text):
        if match.start() > at:
            pieces.append(text[at:match.start()])
        pieces.append(_Var(forms[match.group()]))
        at = match.end()
    if at < len(text):
        pieces.append(text[at:])
    return pieces


def _json(value: object, forms: dict[str, str], depth: int, out: list[_Piece]) -> None:
    """``json.dumps(value, indent=2, ensure_ascii=False)`` as pieces, ids in strings spliced."""
    inner = "\n" + "  " * (depth + 1)
    if isinstance(value, dict) and value:
        out.append("{")
        for n, (key, item) in enumerate(value.items()):
            out.append(("," if n else "") + inner)
            _json(key, forms, depth + 1, out)
            out.append(": ")
            _json(item, forms, depth + 1, out)
        out.append("\n" + "  " * depth + "}")
    elif isinstance(value, list) and value:
        out.append("[")
        for n, item in enumerate(value):
            out.append(("," if n else "") + inner)
            _json(item, forms, depth + 1, out)
        out.append("\n" + "  " * depth + "]")
    elif isinstance(value, str):
        out.append('"')
        for piece in _split(value, forms, encoded=False):
            out.append(piece if isinstance(piece, _Var)
                       else json.dumps(piece, ensure_ascii=False)[1:-1])
        out.append('"')
    else:
        out.append(json.dumps(value, ensure_ascii=False))


def _headers(exchange: Exchange) -> list[str]:
    """curl's ``-H`` options: the recorded headers, the token from the environment, and
    the removal of the two headers curl adds that Entra never sends."""
    words: list[str] = []
    names = {name.lower() for name in exchange.request_headers}
    for name, value in exchange.request_headers.items():
        if name.lower() in _SKIPPED_HEADERS:
            continue
        if value == REDACTED:  # a --secret-header: its value from the environment, never here
            words += ["-H", shell_word(f"{name}: ") + f'"${_secret_variable(name)}"']
            continue
        # curl drops a header given as "Name:" with no value; "Name;" sends it empty
        line = f"{name}: {value}" if value.strip(" \t") else f"{name};"
        words += ["-H", shell_word(line)]
    if "authorization" in names:
        words += ["-H", '"Authorization: Bearer $SCIM_TOKEN"']
    words += ["-H", "'User-Agent:'"]
    if "accept" not in names:
        words += ["-H", "'Accept:'"]
    return words


def _secret_variable(name: str) -> str:
    """The variable a replay reads a secret header's value from: ``SCIM_HEADER_X_API_KEY``."""
    return "SCIM_HEADER_" + re.sub(r"[^A-Za-z0-9]", "_", name).upper()


def _merged(pieces: list[_Piece]) -> list[_Piece]:
    """Adjacent literal pieces joined (one quoted run each, easier to read)."""
    out: list[_Piece] = []
    for piece in pieces:
        if isinstance(piece, str) and out and isinstance(out[-1], str):
            out[-1] += piece
        else:
            out.append(piece)
    return out


def _words(pieces: list[_Piece]) -> str:
    """The pieces as one shell word (for a URL: no NUL, checked by ``_unsendable``)."""
    return "".join(f'"${p.name}"' if isinstance(p, _Var) else shell_word(p)
                   for p in _merged(pieces))


def _printf(pieces: list[_Piece]) -> str:
    """A command writing the pieces to standard output byte for byte; NUL bytes (which no
    shell word can hold) by ``printf '\\000'``."""
    commands: list[str] = []
    args: list[str] = []
    for piece in _merged(pieces):
        if isinstance(piece, _Var):
            args.append(f'"${piece.name}"')
            continue
        for n, part in enumerate(piece.split("\0")):
            if n:
                if args:
                    commands.append("printf '%s' " + " ".join(args))
                    args = []
                commands.append("printf '\\000'")
            if part:
                args.append(shell_word(part, multiline=True))
    if args or not commands:
        commands.append("printf '%s' " + (" ".join(args) or "''"))
    return commands[0] if len(commands) == 1 else "{ " + "; ".join(commands) + "; }"


def chain_of(exchanges: Sequence[Exchange], start: int) -> list[Exchange]:
    """The exchanges recorded since index ``start`` (a transport's exchange count)."""
    return list(exchanges[start:])
