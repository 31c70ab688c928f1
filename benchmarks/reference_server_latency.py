"""Per-request latency of the reference server over one keep-alive connection.

Prints the mean and p95 of N authenticated GETs and the ratio to the ~40 ms a delayed-ACK stall
costs: a ratio well below 1 shows TCP_NODELAY is in effect (a stdlib http.server with
keep-alive writes headers and body separately; without TCP_NODELAY every request stalls).
Also runs the same loop with Nagle's algorithm left on, as the comparison from the same run.

    python benchmarks/reference_server_latency.py [--requests 300]
"""

from __future__ import annotations

import argparse
import statistics
import time

from scimcheck.http.transport import Transport, TransportConfig
from scimcheck.server import ReferenceServer, serving

DELAYED_ACK_S = 0.040


def _measure(requests: int, nagle_off: bool) -> list[float]:
    previous = serving._Handler.disable_nagle_algorithm
    serving._Handler.disable_nagle_algorithm = nagle_off
    try:
        with ReferenceServer(token="bench-token-0000") as server, Transport(
            TransportConfig(server.base_url, "bench-token-0000")
        ) as transport:
            transport.send("GET", "/ServiceProviderConfig")  # open the connection
            times = []
            for _ in range(requests):
                started = time.perf_counter()
                transport.send("GET", "/Users", params={"filter": 'userName eq "nobody"'})
                times.append(time.perf_counter() - started)
            return times
    finally:
        serving._Handler.disable_nagle_algorithm = previous


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    for label, nagle_off in (("TCP_NODELAY on (shipped)", True), ("Nagle left on", False)):
        count = args.requests if nagle_off else min(args.requests, 50)
        times = _measure(count, nagle_off)
        mean = statistics.fmean(times)
        p95 = sorted(times)[int(len(times) * 0.95) - 1]
        print(
            f"{label:<26} {count:>4} requests  mean {mean * 1000:6.2f} ms  "
            f"p95 {p95 * 1000:6.2f} ms  mean/delayed-ACK {mean / DELAYED_ACK_S:5.2f}"
        )


if __name__ == "__main__":
    main()
