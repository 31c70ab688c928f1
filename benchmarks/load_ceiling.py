"""The load generator's highest sustained rate against the reference server, next to wrk's.

Starts the reference server in a process of its own (on this 2-core machine it gets one core,
the generator the other), then runs ``scimcheck load`` at rising offered rates until the rate
achieved over the steady state falls under 95 % of the offered rate or a request fails; the
highest rate it sustained is the generator's ceiling on this machine. wrk (one thread,
``--connections`` connections) then sends Entra's match query, ``GET /Users?filter=userName eq
"…"`` with the bearer token, as fast as the same server answers: the ceiling of the server
itself. Their ratio says how much of the server's capacity the generator can use. The
generator's mix (creates, PATCHes, member adds) costs the server more than wrk's one GET, so
the ratio is a lower bound of the generator's efficiency. Prints numbers; asserts nothing.

    python benchmarks/load_ceiling.py [--step-seconds 10] [--connections 32]

wrk comes from Debian (``apt-get install wrk``); without it the comparison is skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

RATES = (100, 200, 300, 400, 500, 600, 800, 1000, 1200, 1500, 2000, 2500, 3000)
SUSTAINED = 0.95


def _server(token: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "scimcheck", "serve", "--host", "127.0.0.1", "--port", "0"],
        env={**os.environ, "SCIM_TOKEN": token}, stdout=subprocess.PIPE, text=True,
    )
    assert process.stdout is not None
    found = re.search(r" at (http://\S+) ", process.stdout.readline())
    if found is None:
        process.terminate()
        raise SystemExit("the reference server did not start")
    return process, found[1]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _load(url: str, token: str, rate: int, seconds: float, connections: int) -> dict[str, Any]:
    """The load report of one step, plus ``cpu_us``: the generator's CPU time (both of its
    processes, start-up and cleanup included) per request it sent."""
    started = _cpu()
    with tempfile.TemporaryDirectory() as reports:
        subprocess.run(
            [sys.executable, "-m", "scimcheck", "load", url, "--rate", str(rate),
             "--duration", str(seconds), "--users", "500", "--groups", "5",
             "--concurrency", str(connections), "--seed", "1", "--report-dir", reports],
            env={**os.environ, "SCIM_TOKEN": token}, capture_output=True, text=True,
            timeout=seconds + 300, check=False,
        )
        document: dict[str, Any] = json.loads((Path(reports) / "load.json").read_text())
    sent = sum(step["requests"] for step in document["steps"])
    document["cpu_us"] = (_cpu() - started) * 1e6 / max(sent, 1)
    return document


def _wrk(url: str, token: str, seconds: float, connections: int) -> float | None:
    wrk = shutil.which("wrk")
    if wrk is None:
        return None
    target = url + '/Users?filter=userName+eq+%22nobody%40example.com%22'
    done = subprocess.run(
        [wrk, "-t1", f"-c{connections}", f"-d{int(seconds)}s",
         "-H", f"Authorization: Bearer {token}", target],
        capture_output=True, text=True, timeout=seconds + 60, check=False,
    )
    found = re.search(r"Requests/sec:\s*([\d.]+)", done.stdout)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", done.stdout)
    if found is None or non_2xx is not None:
        print(f"wrk failed: {done.stdout.strip()[-300:]} {done.stderr.strip()[-300:]}")
        return None
    return float(found[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--step-seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    token = secrets.token_urlsafe(24)
    server, url = _server(token)
    print(f"reference server at {url}; {os.cpu_count()} cores; {args.connections} connections; "
          f"{args.step_seconds:g} s per step")
    best = 0.0
    try:
        print(f"{'offered':>8} {'achieved':>9} {'p50 ms':>7} {'p99 ms':>7} {'failed':>7} "
              f"{'generator CPU/request':>22}")
        for rate in RATES:
            report = _load(url, token, rate, args.step_seconds, args.connections)
            steady = report["steady"]
            achieved = float(steady["rps"])
            failed = int(steady["failures"]) + int(steady["throttled_429"])
            print(f"{rate:>8} {achieved:>9.1f} {steady['p50_ms']!s:>7} {steady['p99_ms']!s:>7} "
                  f"{failed:>7} {report['cpu_us']:>19.0f} us", flush=True)
            if achieved < SUSTAINED * rate or failed:
                break
            best = achieved
        ceiling = _wrk(url, token, args.step_seconds, args.connections)
    finally:
        server.terminate()
        server.wait()
    print(f"scimcheck load, highest sustained rate: {best:.0f} req/s (Entra's cycles)")
    if ceiling is None:
        print("wrk: not installed (apt-get install wrk); no ceiling to compare with")
        return
    print(f"wrk, same server, GET /Users?filter=userName eq: {ceiling:.0f} req/s (the ceiling)")
    print(f"ratio load/wrk: {best / ceiling:.2f}")


if __name__ == "__main__":
    main()
