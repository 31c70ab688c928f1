"""What the harness costs on top of the HTTP it sends (issue 7 §2).

One full ``scimcheck run`` against the embedded reference server is timed end to end (start-up,
recording, schema validation, Hypothesis, reports), while a WSGI wrapper records every request
the server receives. Then the same requests, in the same order, go through a bare
``requests.Session`` loop against a fresh server, ids mapped from the first run's creates to the
fresh ones, so the server does the same work. Prints both times and their ratio from one run
(these machines are noisy: compare ratios, not seconds). Goal: at most 1.3.

Before the timed run, one run is made and thrown away, into the same reports directory: the
timed run then starts with the caches a repeated run has (the operating system's file cache,
Python's bytecode, Hypothesis's cache beside the reports), as the bare loop's process does.

The client's CPU time is printed too (the harness process against the bare loop's): it moves
less with the machine's load than wall time does. ``--repeat K`` runs both sides K times and
prints the medians, to see a change of a few percent.

    python benchmarks/harness_overhead.py [--examples 200] [--seed 1] [--repeat 1]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any

import requests
from timed_run import children_cpu_s, timed_run

from scimcheck.server import ReferenceServer
from scimcheck.server.app import create_app

TOKEN = "bench-overhead-token-0001"


@dataclass
class Sent:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    created_id: str | None = None


class Recording:
    """WSGI middleware: every request, and the id each create answered with."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.sent: list[Sent] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        query = environ.get("QUERY_STRING", "")
        path = environ.get("PATH_INFO", "") + (f"?{query}" if query else "")
        headers = {key[5:].replace("_", "-").title(): value for key, value in environ.items()
                   if key.startswith("HTTP_") and key not in ("HTTP_HOST", "HTTP_CONNECTION")}
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        entry = Sent(environ["REQUEST_METHOD"], path, headers, body)
        self.sent.append(entry)
        chunks = list(self.app(environ, start_response))
        if entry.method == "POST":
            try:
                answer = json.loads(b"".join(chunks))
                entry.created_id = answer.get("id") if isinstance(answer, dict) else None
            except ValueError:
                pass
        return chunks


def bare_loop_elsewhere(url_root: str, sent: list[Sent]) -> tuple[float, float]:
    """The bare loop in a process of its own, as the harness ran: not sharing the server's
    interpreter (and its lock)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as plan:
        json.dump([{"method": s.method, "path": s.path, "headers": s.headers,
                    "body": s.body.decode("utf-8"), "created_id": s.created_id} for s in sent],
                  plan)
    try:
        done = subprocess.run([sys.executable, __file__, "--bare", plan.name, url_root],
                              capture_output=True, text=True, check=True)
    finally:
        os.unlink(plan.name)
    wall, cpu = done.stdout.split()
    return float(wall), float(cpu)


def bare_loop(url_root: str, sent: list[Sent]) -> tuple[float, float]:
    """Wall and CPU seconds of sending ``sent`` through one ``requests.Session``."""
    created = {entry.created_id for entry in sent if entry.created_id}
    # which first-run ids each request names, found before the clock starts, so the timed loop
    # only swaps those (a scan of every id per request would slow the bare loop unfairly)
    named = [[old for old in created if old in entry.path or old.encode() in entry.body]
             for entry in sent]
    ids: dict[str, str] = {}
    with requests.Session() as session:
        session.trust_env = False
        started, cpu_started = time.perf_counter(), time.process_time()
        for entry, olds in zip(sent, named, strict=True):
            path, body = entry.path, entry.body
            for old in olds:
                new = ids.get(old, old)
                path = path.replace(old, new)
                body = body.replace(old.encode(), new.encode())
            answer = session.request(entry.method, url_root + path, headers=entry.headers,
                                     data=body or None, timeout=60)
            if entry.created_id and answer.ok:
                new_id = answer.json().get("id")
                if isinstance(new_id, str):
                    ids[entry.created_id] = new_id
        return time.perf_counter() - started, time.process_time() - cpu_started


def one_round(
    examples: int, seed: int, reports: str
) -> tuple[int, float, float, float, float]:
    """Request count, then wall and CPU seconds of the harness and of the bare loop."""
    recording = Recording(create_app(token=TOKEN))
    with ReferenceServer(token=TOKEN, app=recording) as server:
        cpu_before = children_cpu_s()
        harness_s, _ = timed_run(server.base_url, TOKEN, examples, seed, report_dir=reports)
        harness_cpu = children_cpu_s() - cpu_before
    # the same middleware on the bare loop's server, so the server does the same work for both
    with ReferenceServer(token=TOKEN, app=Recording(create_app(token=TOKEN))) as fresh:
        root = fresh.base_url.removesuffix("/scim/v2")
        bare_s, bare_cpu = bare_loop_elsewhere(root, recording.sent)
    return len(recording.sent), harness_s, harness_cpu, bare_s, bare_cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1, help="rounds; medians are printed")
    parser.add_argument("--bare", nargs=2, metavar=("PLAN", "ROOT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare:  # the child process of bare_loop_elsewhere
        with open(args.bare[0], encoding="utf-8") as plan:
            sent = [Sent(e["method"], e["path"], e["headers"], e["body"].encode("utf-8"),
                         e["created_id"]) for e in json.load(plan)]
        print(*bare_loop(args.bare[1], sent))
        return
    with tempfile.TemporaryDirectory() as reports:
        with ReferenceServer(token=TOKEN) as warm_up:  # thrown away: caches only
            timed_run(warm_up.base_url, TOKEN, args.examples, args.seed, report_dir=reports)
        rounds = [one_round(args.examples, args.seed, reports)
                  for _ in range(max(1, args.repeat))]
    count = rounds[0][0]
    harness_s, harness_cpu, bare_s, bare_cpu = (
        statistics.median(r[column] for r in rounds) for column in (1, 2, 3, 4)
    )
    shown = "" if len(rounds) == 1 else f", median of {len(rounds)} rounds"
    print(f"requests in one full run (--examples {args.examples}{shown}): {count}")
    print(f"scimcheck run, end to end:    {harness_s:7.2f} s  ({harness_s / count * 1e3:.2f} ms "
          f"per request; client CPU {harness_cpu:.2f} s)")
    print(f"bare requests.Session loop:   {bare_s:7.2f} s  ({bare_s / count * 1e3:.2f} ms "
          f"per request; client CPU {bare_cpu:.2f} s)")
    ratios = sorted(r[1] / r[3] for r in rounds)  # each round's own: the machine drifts
    if len(rounds) > 1:
        print(f"ratios of the rounds:         {', '.join(f'{x:.2f}' for x in ratios)}")
    print(f"overhead ratio (goal ≤ 1.3):  {statistics.median(ratios):7.2f}")


if __name__ == "__main__":
    main()
