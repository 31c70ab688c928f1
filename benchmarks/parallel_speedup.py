"""Speed-up of ``scimcheck run -n N`` over a serial run, against a slow endpoint (issue 7 §1).

The reference server answers every request 50 ms late (a distant SaaS endpoint); the full suite
runs once serially and once with ``-n 8``. Prints both wall times and the ratio from one run
(goal: at least 4). The serial run takes minutes at the default budget.

    python benchmarks/parallel_speedup.py [--workers 8] [--latency 0.05] [--examples 200]
"""

from __future__ import annotations

import argparse
import os

from timed_run import timed_run

from scimcheck.server import ReferenceServer

TOKEN = "bench-parallel-token-0001"


def described(url: str, examples: int, seed: int, extra: list[str]) -> tuple[float, str]:
    elapsed, document = timed_run(url, TOKEN, examples, seed, extra)
    counts = document["summary"]
    failed = [c["id"] for c in document["checks"] if c["outcome"] == "failed"]
    return elapsed, f"{document['verdict']}, {counts['passed']} checks passed" + (
        f"; failed: {', '.join(failed)}" if failed else ""
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="8")
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--examples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with ReferenceServer(token=TOKEN, latency_s=args.latency) as server:
        serial_s, serial_says = described(server.base_url, args.examples, args.seed, [])
        parallel_s, parallel_says = described(
            server.base_url, args.examples, args.seed, ["-n", args.workers]
        )
    print(f"endpoint latency {args.latency * 1000:.0f} ms, --examples {args.examples}, "
          f"{os.cpu_count()} CPUs")
    print(f"serial:        {serial_s:7.1f} s  ({serial_says})")
    print(f"-n {args.workers:<10} {parallel_s:7.1f} s  ({parallel_says})")
    print(f"speed-up (goal ≥ 4): {serial_s / parallel_s:.2f}")


if __name__ == "__main__":
    main()
