"""The one helper a repro script runs (:mod:`scimcheck.http.curl`), as Python source.

The script runs it with ``python3 -I`` (isolated: the working directory, which may be an
unpacked report bundle, is not on its import path). ``scim id`` reads a create's answer, shows
it and prints its id, or stops the script; ``scim created`` prints the id of a create the script
owns; ``scim show`` prints answers with control characters escaped; ``scim path|query|json
VALUE`` encodes a captured id for where it is spliced (RFC 3986 §2.1, RFC 8259 §7); ``scim
judge`` evaluates a :class:`~scimcheck.http.curl.Judgement` on the last answer. It holds no
single quote (the script quotes it whole).
"""

from __future__ import annotations

import json

AWKWARD = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
"""Unicode categories a captured id may not hold: controls (C0, DEL, C1), invisible format
characters (bidi overrides, zero-width), surrogates, line and paragraph separators. (What the
script shows is stricter: every character Python does not call printable is escaped.)"""

HELPER_SOURCE = """
import json, os, re, sys, unicodedata
from urllib.parse import quote, quote_plus
AWKWARD = @AWKWARD@
def shown(text):
    return "".join(c if c in "\\n\\t" or c.isprintable() else ascii(c)[1:-1] for c in text)
def show(data, out):
    out.write(shown(data.decode("utf-8", "backslashreplace")).encode("utf-8"))
    out.flush()
def usable_id(raw):
    try:
        answer = json.loads(raw)
        found = answer.get("id")
    except (ValueError, AttributeError, RecursionError):
        return None, None
    if not isinstance(found, str) or not found or any(
            unicodedata.category(c) in AWKWARD for c in found):
        return None, answer
    return found, answer
def owned(answer, claim):
    # the create answer names the value this script sent (the run tagged name)
    if len(claim) != 2 or not isinstance(answer, dict):
        return False
    got = [v for k, v in answer.items() if isinstance(k, str) and k.lower() == claim[0].lower()]
    fold = lambda v: " ".join(str(v).split()).casefold()
    return len(got) == 1 and isinstance(got[0], str) and fold(got[0]) == fold(claim[1])
SIMPLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\\[\\*\\])?(\\.[A-Za-z_][A-Za-z0-9_]*(\\[\\*\\])?)*")
UNKNOWN = object()
def at(document, path):
    # the value at a dotted path ([*] gives a list); UNKNOWN for any other path syntax
    if not SIMPLE.fullmatch(path):
        return UNKNOWN
    nodes, listed = [document], False
    for segment in path.split("."):
        name, star = segment.removesuffix("[*]"), segment.endswith("[*]")
        step = []
        for node in nodes:
            if isinstance(node, dict):
                step += [v for k, v in node.items() if isinstance(k, str)
                         and k.lower() == name.lower()][:1]
        if star:
            listed = True
            step = [x for v in step for x in (v if isinstance(v, list) else [v])]
        nodes = step
    if listed:
        return nodes
    return nodes[0] if nodes else None
def values(v):
    v = [] if v is None else v if isinstance(v, list) else [v]
    return [json.dumps(x, sort_keys=True) for x in v]
def holds(kind, want, got):
    # None when the expectation cannot be judged here
    if kind == "equals":
        return got == want
    if kind == "not_equals":
        return got != want
    if kind == "equals_ignore_case":
        return isinstance(got, str) and got.lower() == str(want).lower()
    if kind == "equals_normalised":  # but for whitespace and letter case (RFC 7644 3.3)
        if not (isinstance(got, str) and isinstance(want, str)):
            return got == want
        g, w = " ".join(got.split()), " ".join(want.split())
        return g.casefold() == w.casefold() or g.upper() == w.upper() or g.lower() == w.lower()
    if kind == "is_boolean":
        return got is want
    if kind == "present":
        return (got not in (None, [], {}, "")) == want
    if kind == "same_set":
        return set(values(got)) == set(values(want))
    if kind == "contains":
        return all(w in values(got) for w in values(want))
    if kind == "excludes":
        return not any(w in values(got) for w in values(want))
    if kind == "count":
        return len(values(got)) == want
    return None
def judge(spec, raw, claim):
    text, _, code = raw.rstrip(b"\\n").rpartition(b"\\n")
    out = sys.stdout.buffer
    show(text + b"\\n", out)
    found, answer = usable_id(text)
    if found is not None and owned(answer, claim):
        os.write(3, found.encode("utf-8"))  # the script reads the id on descriptor 3
    check = shown(str(spec.get("check", "")))
    status = int(code) if code.isdigit() and int(code) > 0 else None
    def verdict(line, code):  # one line: even a newline in it is written as an escape
        line = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in line)
        out.write((line + "\\n").encode("utf-8"))
        out.flush()
        sys.exit(code)
    if status is None:
        verdict("CHECK BY HAND: " + check + ": the endpoint did not answer the last request", 3)
    try:
        body = json.loads(text)
    except (ValueError, RecursionError):
        body = None
    unknown, unmet, met = list(spec.get("unjudged", [])), [], []
    wanted = spec.get("status") or []
    if wanted:
        (met if status in wanted else unmet).append(
            ("status " + " or ".join(map(str, wanted)), "status " + str(status)))
    if spec.get("below"):
        (met if status < spec["below"] else unmet).append(
            ("a status below " + str(spec["below"]), "status " + str(status)))
    for item in spec.get("body", []):
        kind = next((k for k in item if k != "at"), "")
        got = at(body, str(item.get("at", "")))
        result = None if got is UNKNOWN else holds(kind, item.get(kind), got)
        what = str(item.get("at")) + " " + kind.replace("_", " ") + " " + json.dumps(
            item.get(kind), ensure_ascii=False)
        if result is None:
            unknown.append(what)
        else:
            (met if result else unmet).append((what, str(item.get("at")) + " is "
                                               + json.dumps(got, ensure_ascii=False)[:300]))
    if unmet:
        verdict("REPRODUCED: " + check + ": expected " + "; ".join(w for w, _ in unmet)
                + ", got " + "; ".join(g for _, g in unmet), 1)
    if unknown or not met:
        look = "; ".join(unknown) or str(spec.get("by_hand") or "the last answer above")
        verdict("CHECK BY HAND: " + check + ": this script cannot judge it; look at: " + look, 3)
    verdict("NOT REPRODUCED: " + check + ": got what the check expects: "
            + "; ".join(g for _, g in met), 0)
mode = sys.argv[1]
if mode == "show":
    for line in sys.stdin.buffer:
        show(line, sys.stdout.buffer)
elif mode == "id":
    raw = sys.stdin.buffer.read()
    show(raw, sys.stderr.buffer)
    found, answer = usable_id(raw)
    if found is None:
        sys.stderr.write("stopping: the create was answered without a usable id (none, empty, "
                         "or with control characters)\\n")
        sys.exit(2)
    sys.stdout.buffer.write(found.encode("utf-8"))
    sys.exit(0 if owned(answer, sys.argv[2:]) else 3)
elif mode == "created":
    raw = sys.stdin.buffer.read()
    show(raw, sys.stderr.buffer)
    found, answer = usable_id(raw)
    if found is not None and owned(answer, sys.argv[2:]):
        sys.stdout.buffer.write(found.encode("utf-8"))
elif mode == "judge":
    judge(json.loads(sys.argv[2]), sys.stdin.buffer.read(), sys.argv[3:])
else:
    value = os.fsencode(sys.argv[2]).decode("utf-8")
    if mode == "path":
        value = quote(value, safe="")
    elif mode == "query":
        value = quote_plus(value, safe="")
    else:
        value = json.dumps(value, ensure_ascii=False)[1:-1]
    sys.stdout.buffer.write(value.encode("utf-8"))
""".replace("@AWKWARD@", json.dumps(sorted(AWKWARD)))
