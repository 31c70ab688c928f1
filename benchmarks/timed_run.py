"""One timed ``scimcheck run`` in a fresh process, shared by the benchmark scripts."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from typing import Any


def children_cpu_s() -> float:
    """CPU seconds (user and system) used so far by this process's finished children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_run(
    url: str, token: str, examples: int, seed: int, extra: list[str] | None = None,
    report_dir: str | None = None,
) -> tuple[float, dict[str, Any]]:
    """Wall time of the whole command (start-up and reports included) and its results.json.
    ``report_dir`` (default: a fresh one) holds the reports and the run's caches, as a
    nightly job's reports directory does from one run to the next."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCIM_", "SCIMCHECK_"))}
    env["SCIM_TOKEN"] = token
    with tempfile.TemporaryDirectory() as fresh:
        reports = report_dir or fresh
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "scimcheck", "run", url, "--report-dir", reports,
             "--examples", str(examples), "--seed", str(seed), *(extra or [])],
            env=env, capture_output=True, check=False,
        )
        elapsed = time.perf_counter() - started
        with open(os.path.join(reports, "results.json"), encoding="utf-8") as results:
            return elapsed, json.load(results)
