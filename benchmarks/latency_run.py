"""Time to verdict against an endpoint a network round trip away (issue 18 §2).

The embedded reference server (127.0.0.1 only) answers every request ``--latency-ms`` late
(default 50 ms, a staging endpoint in another region): a WSGI wrapper sleeps before the
reference app and times the app's own handling. One ``scimcheck run`` goes against it in a fresh
process. Prints, from that one run, the wall time, the requests sent (results.json's
``requests``: the tests' total, the sequences', the generated-user properties', the tests that
sent the most; and every request the server received: the run's preflight and clean-up too, the
requests the transport recorded but refused to send not), requests per second, the share of the
wall time spent waiting on the network (requests x latency / wall), the server's own handling
time, the client's CPU time, and what ``--max-rps 25`` (Entra's rate per tenant) would bound
the run to: requests / 25.
``--compare-zero`` runs the same command again at 0 ms and prints the ratio of the wall times.

Goal (issue 18 §2): the default run against an endpoint 50 ms away finishes in at most 60 s
without ``-n``, i.e. about 1,200 requests serially, less the harness's own cost. The serial run
takes minutes at the default budget; these machines are noisy, so compare the ratios and shares
a run prints, not seconds across runs.

    python benchmarks/latency_run.py [--latency-ms 50] [--examples N] [--seed S] [-n N]
                                     [--max-rps R] [--in-flight N] [--compare-zero]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import Any

from timed_run import children_cpu_s

from scimcheck.server import ReferenceServer
from scimcheck.server.app import create_app

TOKEN = "bench-latency-token-0001"
TOP_TESTS = 6  # the tests that sent the most, printed under the count
ENTRA_RPS = 25.0  # Entra's provisioning rate per tenant (issue 18 §2)


class Delaying:
    """WSGI middleware: sleep ``seconds`` before each request (the network's round trip), and
    add up the requests and the time the wrapped app took to answer them."""

    def __init__(self, app: Any, seconds: float) -> None:
        self.app = app
        self.seconds = seconds
        self.count = 0
        self.handling_s = 0.0
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if self.seconds > 0:
            time.sleep(self.seconds)
        started = time.perf_counter()
        chunks = list(self.app(environ, start_response))  # the body too: the app's whole work
        took = time.perf_counter() - started
        with self._lock:
            self.count += 1
            self.handling_s += took
        return chunks


@dataclass
class Measured:
    latency_s: float
    wall_s: float
    client_cpu_s: float
    received: int
    handling_s: float
    results: dict[str, Any]

    @property
    def sent(self) -> dict[str, Any]:
        return dict(self.results.get("requests") or {})


def measured_run(latency_s: float, options: list[str]) -> Measured:
    """One ``scimcheck run`` in a fresh process against a server ``latency_s`` away."""
    delaying = Delaying(create_app(token=TOKEN), latency_s)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCIM_", "SCIMCHECK_"))}
    env["SCIM_TOKEN"] = TOKEN
    with tempfile.TemporaryDirectory() as reports, \
            ReferenceServer(token=TOKEN, app=delaying) as server:
        cpu_before = children_cpu_s()
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "scimcheck", "run", server.base_url,
             "--report-dir", reports, *options],
            env=env, capture_output=True, check=False,
        )
        wall_s = time.perf_counter() - started
        cpu_s = children_cpu_s() - cpu_before
        with open(os.path.join(reports, "results.json"), encoding="utf-8") as results:
            document = json.load(results)
    return Measured(latency_s, wall_s, cpu_s, delaying.count, delaying.handling_s, document)


def report(run: Measured) -> None:
    sent = run.sent
    total = sent.get("total", 0)
    ms = run.latency_s * 1000
    waiting_s = run.received * run.latency_s
    failed = [c["id"] for c in run.results.get("checks", []) if c.get("outcome") == "failed"]
    print(f"-- endpoint {ms:.0f} ms away")
    print(f"verdict:                {run.results.get('verdict')}"
          + (f" (failed: {', '.join(failed)})" if failed else ""))
    print(f"wall time:              {run.wall_s:8.1f} s")
    print(f"requests (results.json): {total} ({sent.get('sequences', 0)} by the sequences, "
          f"{sent.get('generated', 0)} by the generated-user properties)")
    by_test: dict[str, int] = {}
    for test, count in (sent.get("by_test") or {}).items():  # a property's shards added up
        name = test.split("[shard")[0]
        by_test[name] = by_test.get(name, 0) + count
    for test, count in sorted(by_test.items(), key=lambda item: -item[1])[:TOP_TESTS]:
        print(f"  {count:6d}  {test}")
    print(f"requests the server got: {run.received} (preflight and clean-up too; "
          "requests refused unsent: in results.json only)")
    print(f"requests per second:    {run.received / run.wall_s:8.1f}")
    print(f"waiting on the network: {waiting_s:8.1f} s = {waiting_s / run.wall_s:.0%} of the "
          f"wall time ({run.received} x {ms:.0f} ms)")
    print(f"server handling:        {run.handling_s:8.1f} s = "
          f"{run.handling_s / run.wall_s:.0%} ({run.handling_s / max(run.received, 1) * 1e3:.2f} "
          f"ms a request)")
    print(f"client CPU:             {run.client_cpu_s:8.1f} s")
    if waiting_s <= run.wall_s:
        print(f"the rest (local cost):  {run.wall_s - waiting_s:8.1f} s")
    else:  # the round trips add up to more than the wall time: they overlapped
        print("the rest (local cost):  not told apart: requests were in flight together "
              "(--in-flight)")
    print(f"at --max-rps {ENTRA_RPS:.0f}, at least:  {run.received / ENTRA_RPS:8.1f} s "
          f"({run.received} / {ENTRA_RPS:.0f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--examples", type=int, help="default: the run's own")
    parser.add_argument("--seed", type=int, help="default: one drawn here, shared by both runs")
    parser.add_argument("-n", "--workers", help="passed to scimcheck run -n")
    parser.add_argument("--max-rps", type=float, help="passed to scimcheck run --max-rps")
    parser.add_argument("--in-flight", type=int, help="passed to scimcheck run --in-flight")
    parser.add_argument("--compare-zero", action="store_true",
                        help="run the same command at 0 ms too and print the ratio")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(2**31)
    options = ["--seed", str(seed)]
    if args.examples is not None:
        options += ["--examples", str(args.examples)]
    if args.workers:
        options += ["-n", args.workers]
    if args.max_rps is not None:
        options += ["--max-rps", str(args.max_rps)]
    if args.in_flight is not None:
        options += ["--in-flight", str(args.in_flight)]
    print(f"scimcheck run {' '.join(options)} against the reference server, "
          f"{os.cpu_count()} CPUs")
    latent = measured_run(args.latency_ms / 1000, options)
    report(latent)
    if args.compare_zero:
        zero = measured_run(0.0, options)
        report(zero)
        print(f"-- wall time {args.latency_ms:.0f} ms / 0 ms: "
              f"{latent.wall_s / zero.wall_s:.1f}x "
              f"({latent.wall_s:.1f} s / {zero.wall_s:.1f} s)")
        if zero.received != latent.received:
            print(f"   (request counts differ: {latent.received} against {zero.received})")
    if latent.latency_s > 0 and latent.received:
        per_request_s = latent.wall_s / latent.received  # the round trip and the local cost
        print(f"-- 60 s at {args.latency_ms:.0f} ms, at this run's "
              f"{per_request_s * 1e3:.1f} ms a request: at most {60 / per_request_s:.0f} "
              f"requests (today {latent.received})")


if __name__ == "__main__":
    main()
