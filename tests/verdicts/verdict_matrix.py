#!/usr/bin/env python3
"""The verdict matrix: what every broken variant of the reference server makes scimcheck say.

A standalone script, not a test (pytest collects ``test_*.py`` only, and this file defines no
test): it proves a refactor of the package left every verdict as it was. It uses nothing but the
command line and the results document, so it runs unchanged on both sides of a refactor that moves
modules around:

* ``scimcheck serve --list-variants`` names the variants;
* for the reference server (no variant) and for each variant, ``scimcheck serve --port 0
  [--variant NAME]`` serves it on 127.0.0.1 (a free port, read from its banner) and
  ``scimcheck run URL --examples N --seed S --report-dir DIR [--profile P]`` tests it; the
  server is then stopped (Ctrl-C, then killed if it lingers);
* from DIR/results.json it keeps, per run, the exit status, the verdict and the sorted rows
  ``check_id: outcome`` of every check whose outcome is not ``passed`` (failed, skipped, i.e.
  not evaluated, workaround, ...), with the per-dialect outcomes when the dialects disagree.

The output (``--out FILE``, else stdout) is JSON with sorted keys and no timestamp, port, run id
or message: two runs of the same code at the same seed give the same bytes, so ``diff`` or
``cmp`` of the files taken before and after a refactor is the proof.

    python tests/verdicts/verdict_matrix.py --out before.json
    python tests/verdicts/verdict_matrix.py --examples 20 --seed 7 --out before-gen.json
    python tests/verdicts/verdict_matrix.py --only no-auth plain-errors --profile default

After a refactor that moves ``scimcheck.cli``, reinstall the package (``pip install -e .``) so the
``scimcheck`` console script points at the new module, or pass ``--scimcheck "python -m
scimcheck"``.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

REFERENCE = "(reference)"  # the correct server: no --variant (no variant name has parentheses)
DEFAULT_PROFILE = "default"  # no --profile: whatever `scimcheck run` uses by default
TOKEN = "verdict-matrix-token-7f3c9a1e5b2d4086"  # long enough not to be redacted inside words
BANNER_URL = re.compile(r"https?://[^\s()]+")
SERVER_START_S = 60.0
SERVER_STOP_S = 10.0


def scimcheck_command(given: str | None) -> list[str]:
    """The scimcheck command: --scimcheck, else the console script beside this Python."""
    if given:
        return shlex.split(given)
    beside = Path(sys.executable).parent / "scimcheck"
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("scimcheck")
    return [found] if found else [sys.executable, "-m", "scimcheck"]


def child_env() -> dict[str, str]:
    """This environment without any SCIM_* setting (a deadline, TLS options), with our token."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCIM_")}
    env["SCIM_TOKEN"] = TOKEN
    env["PYTHONUNBUFFERED"] = "1"
    return env


def list_variants(cmd: list[str]) -> list[str]:
    done = subprocess.run(
        [*cmd, "serve", "--list-variants"], capture_output=True, text=True, env=child_env(),
        check=True,
    )
    return sorted({line.split()[0] for line in done.stdout.splitlines() if line.strip()})


class Server:
    """``scimcheck serve`` on 127.0.0.1, a free port; always stopped by ``stop``."""

    def __init__(self, cmd: list[str], variant: str | None, cwd: Path) -> None:
        argv = [*cmd, "serve", "--host", "127.0.0.1", "--port", "0"]
        if variant is not None:
            argv += ["--variant", variant]
        self.proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=cwd,
            env=child_env(), start_new_session=True,  # a Ctrl-C at our terminal is ours alone
        )
        self.output: list[str] = []
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def url(self) -> str:
        """The base URL from the banner; RuntimeError if the server died or said nothing."""
        deadline = time.monotonic() + SERVER_START_S
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            self.output.append(line)
            found = BANNER_URL.search(line)
            if found:
                return found.group(0)
        raise RuntimeError("server gave no URL: " + "".join(self.output)[-500:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=SERVER_STOP_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(timeout=SERVER_STOP_S)


def check_row(check: dict[str, Any]) -> str:
    """``id: outcome``, and the dialects' outcomes when they are not all that outcome."""
    row = f"{check['id']}: {check['outcome']}"
    by_dialect = check.get("by_dialect") or {}
    if any(value != check["outcome"] for value in by_dialect.values()):
        row += " (" + ", ".join(f"{d}={by_dialect[d]}" for d in sorted(by_dialect)) + ")"
    return row


def summarise(results: dict[str, Any]) -> dict[str, Any]:
    checks = results.get("checks", [])
    return {
        "verdict": results.get("verdict"),
        "summary": results.get("summary"),
        "not_passed": sorted(check_row(c) for c in checks if c.get("outcome") != "passed"),
    }


def run_one(
    cmd: list[str], variant: str, profile: str, args: argparse.Namespace
) -> dict[str, Any]:
    """Serve ``variant``, run the suites against it, and keep what the verdict says."""
    with tempfile.TemporaryDirectory(prefix="verdict-matrix-") as tmp:
        work = Path(tmp)
        server = Server(cmd, None if variant == REFERENCE else variant, work)
        try:
            url = server.url()
            argv = [
                *cmd, "run", url, "--examples", str(args.examples), "--seed", str(args.seed),
                "--report-dir", str(work / "report"),
            ]
            if profile != DEFAULT_PROFILE:
                argv += ["--profile", profile]
            try:
                done = subprocess.run(
                    argv, capture_output=True, text=True, cwd=work, env=child_env(),
                    timeout=args.run_timeout, start_new_session=True,
                )
            except subprocess.TimeoutExpired:
                return {"error": f"scimcheck run took more than {args.run_timeout:g} s"}
        except RuntimeError as exc:
            return {"error": str(exc)}
        finally:
            server.stop()
        record: dict[str, Any] = {"exit": done.returncode}
        results = work / "report" / "results.json"
        if not results.is_file():
            record["error"] = "no results.json: " + (done.stderr or done.stdout)[-500:]
            return record
        record.update(summarise(json.loads(results.read_text("utf-8"))))
        return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Run scimcheck against the reference server and each broken variant; "
        "write what is not passed, per run, as stable JSON."
    )
    parser.add_argument("--out", type=Path, help="write the JSON here (default stdout)")
    parser.add_argument("--examples", type=int, default=0,
                        help="Hypothesis examples per property (default 0: properties skipped)")
    parser.add_argument("--seed", type=int, default=1, help="scimcheck run --seed (default 1)")
    parser.add_argument("--jobs", type=int, default=2, help="runs at a time (default 2)")
    parser.add_argument("--only", nargs="+", metavar="VARIANT",
                        help=f"only these variants ('{REFERENCE}' is the reference server)")
    parser.add_argument("--profile", action="append", metavar="NAME",
                        help=f"a profile to run; repeatable ('{DEFAULT_PROFILE}': no --profile). "
                        f"Default: {DEFAULT_PROFILE} and entra-default")
    parser.add_argument("--run-timeout", type=float, default=900.0, metavar="SECONDS",
                        help="give up on one scimcheck run after this long (default 900)")
    parser.add_argument("--scimcheck", metavar="CMD",
                        help="the scimcheck command (default: the console script of this Python)")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")

    cmd = scimcheck_command(args.scimcheck)
    variants = [REFERENCE, *list_variants(cmd)]
    if args.only:
        unknown = sorted(set(args.only) - set(variants))
        if unknown:
            parser.error(f"unknown variant(s): {', '.join(unknown)}")
        variants = [v for v in variants if v in args.only]
    profiles = args.profile or [DEFAULT_PROFILE, "entra-default"]
    jobs = [(profile, variant) for profile in profiles for variant in variants]

    started = time.monotonic()
    lock = threading.Lock()
    finished = 0

    def task(job: tuple[str, str]) -> dict[str, Any]:
        nonlocal finished
        t0 = time.monotonic()
        record = run_one(cmd, job[1], job[0], args)
        with lock:
            finished += 1
            status = record.get("error") or f"exit {record['exit']}, {record['verdict']}"
            print(f"[{finished}/{len(jobs)}] {job[0]} {job[1]}: {status} "
                  f"({time.monotonic() - t0:.1f} s)", file=sys.stderr, flush=True)
        return record

    # Ctrl-C or SIGTERM: start no further run, let the running ones finish (their servers are
    # stopped as usual: they are in sessions of their own, a Ctrl-C never reaches them) and write
    # what is done, marked incomplete
    signal.signal(signal.SIGTERM, _interrupt)
    pool = ThreadPoolExecutor(max_workers=args.jobs)
    futures = [pool.submit(task, job) for job in jobs]
    interrupted = False
    try:
        for future in futures:
            future.result()
    except KeyboardInterrupt:
        interrupted = True
        print("interrupted: finishing the runs under way, starting no other", file=sys.stderr)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    done = [(job, f.result()) for job, f in zip(jobs, futures, strict=True)
            if f.done() and not f.cancelled()]

    matrix: dict[str, Any] = {
        "options": {"examples": args.examples, "seed": args.seed, "dialect": "default (both)",
                    "profiles": profiles},
        "runs": {profile: {} for profile in profiles},
    }
    if interrupted:
        matrix["incomplete"] = f"interrupted: {len(done)} of {len(jobs)} runs done"
    for (profile, variant), record in done:
        matrix["runs"][profile][variant] = record
    text = json.dumps(matrix, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    if args.out:
        args.out.write_text(text, "utf-8")
    else:
        sys.stdout.write(text)
    errors = sum("error" in record for _, record in done)
    print(f"{len(done)} of {len(jobs)} runs ({len(variants)} servers x {len(profiles)} profiles) "
          f"in {time.monotonic() - started:.0f} s; {errors} error(s)", file=sys.stderr)
    return 1 if errors or interrupted else 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
