"""The load generator's own ceiling: ``scimcheck load`` next to wrk against a fast canned endpoint.

The reference server (Python) is slower than the generator, so loading it measures the server.
Here the target is nginx (Debian's ``nginx-light``) on 127.0.0.1 with a generated configuration
that answers every request Entra's cycles send with a canned SCIM answer: a ListResponse of no
resources for ``GET /Users?filter=…`` and ``GET /Groups?…``, ``201`` with a fresh ``id``
(``$request_id``) and the ``userName`` / ``displayName`` the POST sent (read from the body by a
``map`` on ``$request_body``, which nginx fills only once it proxies the body: the POST goes to a
second canned server on loopback), ``200`` with a User for ``PATCH /Users/{id}``, ``204`` for
``PATCH /Groups/{id}`` and every DELETE. So the run's ledger owns what it created (unique ids,
tagged names) and the incremental cycles' PATCHes go out as against a real endpoint. nginx runs
one process (``master_process off``, ``worker_processes 1``), pid, logs and temp files in a
temporary directory; no root is needed.

One run prints, side by side:

- ``scimcheck load`` (one local Locust runner), offered 1,000,000 req/s over ``--connections``
  connections, i.e. as fast as each connection gets answers: the rate over the steady state and
  the CPU it used then (both of its processes, sampled from /proc over the steady state), hence
  requests per second per core;
- wrk (``-t1``, the same connections and duration) on Entra's match query and on a POST /Users
  and a PATCH /Users/{id} with Entra's bodies: its rate, CPU and rate per core;
- the ratio of load's rate per core to wrk's (issue 18 §3 goal: at least 0.5);
- a bare loop of PATCHes on geventhttpclient (Locust's client, no Locust, no plan) in a process
  of its own: the Python client library's own ceiling per core, for scale;
- Locust's master with one worker, then with two workers: each run's rate, CPU per process, and
  the scaling factor two workers / one (goal: at least 1.8). On a two-core machine the second
  worker competes with nginx and the first worker for the same cores: read the rates per core.

nginx's own CPU share is printed for every measurement (near 1.0 core: the server was the
bottleneck, and the rate is the server's, not the client's). Prints numbers; asserts nothing.

    python benchmarks/load_ceiling.py [--seconds 20] [--connections 32] [--users 500]

Needs ``scimcheck[load]``, nginx and wrk (``apt-get install nginx-light wrk``); Linux (/proc).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HUGE_RATE = 1_000_000
"""``--rate`` high enough that only the answers pace a connection (the command's maximum)."""
TICKS = os.sysconf("SC_CLK_TCK")
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


# --- the canned endpoint ------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _json(value: dict[str, Any]) -> str:
    """A canned answer for nginx's ``return`` (its ``$variables`` are filled in per request)."""
    return json.dumps(value, separators=(",", ":"))


def _nginx_conf(work: Path, port: int, backend: int) -> str:
    empty = _json({"schemas": [LIST], "totalResults": 0, "startIndex": 1, "itemsPerPage": 0,
                   "Resources": []})
    user = _json({"schemas": [USER], "id": "$1", "userName": "canned@example.com",
                  "active": True, "meta": {"resourceType": "User"}})
    created_user = _json({"schemas": [USER], "id": "$request_id",
                          "userName": "$http_x_scim_user_name", "active": True,
                          "meta": {"resourceType": "User"}})
    created_group = _json({"schemas": [GROUP], "id": "$request_id",
                           "displayName": "$http_x_scim_group_name", "members": [],
                           "meta": {"resourceType": "Group"}})
    temp = "\n".join(f"  {kind}_temp_path {work}/{kind};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f"""
daemon off;
master_process off;
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 4096; }}
http {{
{temp}
  access_log off;
  default_type application/scim+json;
  keepalive_requests 10000000;
  keepalive_timeout 300s;
  client_body_buffer_size 256k;
  client_body_in_single_buffer on;
  map $request_body $scim_user_name {{
    default "";
    "~\\"userName\\"\\s*:\\s*\\"(?<name>[^\\"]*)\\"" $name;
  }}
  map $request_body $scim_group_name {{
    default "";
    "~\\"displayName\\"\\s*:\\s*\\"(?<name>[^\\"]*)\\"" $name;
  }}
  upstream canned_creates {{ server 127.0.0.1:{backend}; keepalive 64; }}
  server {{
    listen 127.0.0.1:{port} backlog=4096;
    location ~ ^/scim/v2/(Users|Groups)$ {{
      if ($request_method = GET) {{ return 200 '{empty}'; }}
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Scim-User-Name $scim_user_name;
      proxy_set_header X-Scim-Group-Name $scim_group_name;
      proxy_pass http://canned_creates;
    }}
    location ~ ^/scim/v2/Users/([^/]+)$ {{
      if ($request_method = DELETE) {{ return 204; }}
      return 200 '{user}';
    }}
    location ~ ^/scim/v2/Groups/([^/]+)$ {{
      return 204;
    }}
    location / {{ return 404; }}
  }}
  server {{
    listen 127.0.0.1:{backend};
    location = /scim/v2/Users {{
      return 201 '{created_user}';
    }}
    location = /scim/v2/Groups {{
      return 201 '{created_group}';
    }}
  }}
}}
"""


@contextmanager
def _nginx() -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists()
                                      else None)
    if nginx is None:
        raise SystemExit("nginx is not installed (apt-get install nginx-light)")
    with tempfile.TemporaryDirectory() as work:
        port, backend = _free_port(), _free_port()
        conf = Path(work) / "nginx.conf"
        conf.write_text(_nginx_conf(Path(work), port, backend))
        process = subprocess.Popen([nginx, "-p", work, "-c", str(conf)])
        try:
            _wait_for(port, process)
            yield process, f"http://127.0.0.1:{port}/scim/v2"
        finally:
            process.terminate()
            process.wait(timeout=10)


def _wait_for(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("nginx did not start")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("nginx did not start listening")


# --- CPU time from /proc ------------------------------------------------------------------------
def _cpu_s(pid: int) -> float:
    """User plus system CPU seconds of one live process (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def _tree(pid: int) -> list[int]:
    """``pid`` and its live descendants."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


class Sampler:
    """CPU seconds of named process trees between :meth:`start` and :meth:`stop`."""

    def __init__(self, roots: dict[str, int]) -> None:
        self.roots = roots
        self.before: dict[str, float] = {}
        self.cores: dict[str, float] = {}
        self.started = 0.0

    def _now(self) -> dict[str, float]:
        return {name: sum(_cpu_s(pid) for pid in _tree(root)) for name, root in self.roots.items()}

    def start(self) -> None:
        self.before, self.started = self._now(), time.monotonic()

    def stop(self) -> None:
        after, seconds = self._now(), time.monotonic() - self.started
        self.cores = {name: (after[name] - self.before[name]) / seconds for name in self.roots}


# --- scimcheck load -----------------------------------------------------------------------------
def _load_command(url: str, args: argparse.Namespace, reports: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "scimcheck", "load", url, "--rate", str(HUGE_RATE),
            "--duration", str(args.seconds), "--users", str(args.users), "--groups", "5",
            "--concurrency", str(args.connections), "--seed", "1", "--report-dir", reports,
            *extra]


def _read_until(process: subprocess.Popen[str], needle: str) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        if needle in line:
            return
    raise SystemExit(f"scimcheck load ended before printing {needle!r}")


def _run_load(url: str, token: str, nginx: int, args: argparse.Namespace,
              workers: int) -> dict[str, Any]:
    """One ``scimcheck load``: local (``workers`` 0) or a master with that many workers. Its
    steady rate and failures (load.json) and the cores each process used over the steady state."""
    env = {**os.environ, "SCIM_TOKEN": token}
    window = 5.0 if args.seconds >= 20 else max(1.0, args.seconds / 4)
    with tempfile.TemporaryDirectory() as reports:
        extra: tuple[str, ...] = ()
        port = _free_port()
        if workers:
            extra = ("--master", "--expect-workers", str(workers), "--master-port", str(port))
        main = subprocess.Popen(_load_command(url, args, reports, *extra), env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        roots = {"nginx": nginx, "master" if workers else "scimcheck load": main.pid}
        helpers = []
        try:
            _read_until(main, "waiting for" if workers else "offering")
            for index in range(workers):
                helper = subprocess.Popen(
                    [sys.executable, "-m", "scimcheck", "load", "--worker", "--master-host",
                     "127.0.0.1", "--master-port", str(port)],
                    env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
                helpers.append(helper)
                roots[f"worker {index + 1}"] = helper.pid
            for helper in helpers:
                _read_until(helper, "worker connected")
            began = time.monotonic() + (1.0 if workers else 0.0)  # the master's hand-shake
            sampler = Sampler(roots)
            time.sleep(max(0.0, began + window + 0.5 - time.monotonic()))
            sampler.start()
            time.sleep(max(0.5, began + args.seconds - 0.5 - time.monotonic()))
            sampler.stop()
            main.communicate(timeout=args.seconds + 300)
            for helper in helpers:
                helper.communicate(timeout=60)
        finally:
            for process in (main, *helpers):
                if process.poll() is None:
                    process.terminate()
                    process.wait(timeout=30)
        document: dict[str, Any] = json.loads((Path(reports) / "load.json").read_text())
    steady = document["steady"]
    return {"rps": float(steady["rps"]), "requests": int(steady["requests"]),
            "failed": int(steady["failures"]) + int(steady["throttled_429"]),
            "cores": sampler.cores, "steps": document["steps"],
            "verdict": document["verdict_line"]}


# --- wrk ----------------------------------------------------------------------------------------
def _wrk_script(work: Path, method: str, body: dict[str, Any] | None) -> Path:
    script = work / f"{method.lower()}.lua"
    lines = [f'wrk.method = "{method}"']
    if body is not None:
        lines += [f"wrk.body = {json.dumps(json.dumps(body))}",
                  'wrk.headers["Content-Type"] = "application/scim+json; charset=utf-8"']
    script.write_text("\n".join(lines) + "\n")
    return script


def _run_wrk(target: str, token: str, nginx: int, args: argparse.Namespace,
             script: Path | None) -> dict[str, Any] | None:
    import re

    wrk = shutil.which("wrk")
    if wrk is None:
        return None
    command = [wrk, "-t1", f"-c{args.connections}", f"-d{int(args.seconds)}s",
               "-H", f"Authorization: Bearer {token}", target]
    if script is not None:
        command[1:1] = ["-s", str(script)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    sampler = Sampler({"nginx": nginx})
    sampler.start()
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, timeout=args.seconds + 60,
                          check=False)
    seconds = time.monotonic() - started
    sampler.stop()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    found = re.search(r"Requests/sec:\s*([\d.]+)", done.stdout)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", done.stdout)
    if found is None:
        print(f"wrk failed: {done.stdout.strip()[-300:]} {done.stderr.strip()[-300:]}")
        return None
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"rps": float(found[1]), "failed": int(non_2xx[1]) if non_2xx else 0,
            "cores": {"wrk": cpu / seconds, **sampler.cores}}


# --- a bare geventhttpclient loop: the client library's own ceiling ---------------------------
_BARE = """
import json, sys, time
from gevent import monkey; monkey.patch_all()
import gevent
from geventhttpclient import HTTPClient
url, seconds, connections, token = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
body = json.dumps({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
    {"op": "Replace", "path": "displayName", "value": "bare"}]}).encode()
headers = {"Authorization": "Bearer " + token,
           "Content-Type": "application/scim+json; charset=utf-8"}
done = [0]
def loop(deadline):
    client = HTTPClient.from_url(url, concurrency=1)
    while time.monotonic() < deadline:
        response = client.request("PATCH", "/scim/v2/Users/canned-id", body=body, headers=headers)
        response.read()
        response.release()
        done[0] += 1
deadline = time.monotonic() + seconds
gevent.joinall([gevent.spawn(loop, deadline) for _ in range(connections)])
print(done[0] / seconds)
"""


def _run_bare(url: str, token: str, nginx: int, args: argparse.Namespace) -> dict[str, Any]:
    """PATCH /Users/{id} from ``--connections`` greenlets on geventhttpclient, nothing else: what
    the client library sends per core, without Locust, the plan or the statistics."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    sampler = Sampler({"nginx": nginx})
    sampler.start()
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", _BARE, url.rsplit("/scim/v2", 1)[0],
                           str(args.seconds), str(args.connections), token],
                          capture_output=True, text=True, timeout=args.seconds + 60, check=True)
    seconds = time.monotonic() - started
    sampler.stop()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"rps": float(done.stdout.split()[-1]), "failed": 0,
            "cores": {"bare loop": cpu / seconds, **sampler.cores}}


# --- the report ---------------------------------------------------------------------------------
def _row(label: str, result: dict[str, Any], client: tuple[str, ...]) -> float:
    """Print one measurement; its rate per core of the client processes."""
    cores = sum(result["cores"][name] for name in client)
    per_core = result["rps"] / cores if cores else 0.0
    shares = ", ".join(f"{name} {value:.2f}" for name, value in result["cores"].items())
    print(f"{label:<34} {result['rps']:>9.0f} {per_core:>10.0f} {result['failed']:>7}   "
          f"cores: {shares}", flush=True)
    return per_core


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0,
                        help="duration of each measurement (default 20)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--users", type=int, default=500)
    args = parser.parse_args()
    token = secrets.token_urlsafe(24)
    with _nginx() as (server, url), tempfile.TemporaryDirectory() as work:
        print(f"canned nginx at {url}; {os.cpu_count()} cores; {args.connections} connections; "
              f"{args.seconds:g} s each; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
        print(f"{'':<34} {'req/s':>9} {'req/s/core':>10} {'failed':>7}   "
              "CPU over the steady state, in cores")
        load = _run_load(url, token, server.pid, args, workers=0)
        load_per_core = _row("scimcheck load (local runner)", load, ("scimcheck load",))
        for step in load["steps"]:
            print(f"    {step['name']:<45} {step['requests']:>8} sent {step['failures']:>6} "
                  "failed")
        user = {"schemas": [USER], "userName": "wrk@example.com", "active": True,
                "displayName": "wrk", "meta": {"resourceType": "User"}}
        patch = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                 "Operations": [{"op": "Replace", "path": "displayName", "value": "wrk 2"}]}
        wrk_runs = (
            ("wrk GET /Users?filter=userName eq",
             url + "/Users?filter=userName+eq+%22nobody%40example.com%22", None),
            ("wrk POST /Users", url + "/Users", _wrk_script(Path(work), "POST", user)),
            ("wrk PATCH /Users/{id}", url + "/Users/canned-id",
             _wrk_script(Path(work), "PATCH", patch)),
        )
        wrk_per_core = []
        for label, target, script in wrk_runs:
            result = _run_wrk(target, token, server.pid, args, script)
            if result is None:
                print(f"{label:<34} wrk missing or failed (apt-get install wrk)")
                continue
            wrk_per_core.append(_row(label, result, ("wrk",)))
        bare = _run_bare(url, token, server.pid, args)
        bare_per_core = _row("bare geventhttpclient PATCH loop", bare, ("bare loop",))
        one = _run_load(url, token, server.pid, args, workers=1)
        one_per_core = _row("Locust master + 1 worker", one, ("master", "worker 1"))
        two = _run_load(url, token, server.pid, args, workers=2)
        two_per_core = _row("Locust master + 2 workers", two, ("master", "worker 1", "worker 2"))
    print(f"scimcheck load's verdict (local runner): {load['verdict']}")
    if wrk_per_core:
        best = max(wrk_per_core)
        print(f"ratio scimcheck load / wrk, requests per second per core: "
              f"{load_per_core / best:.3f} (against wrk's best; goal ≥ 0.5)")
        print(f"ratio bare geventhttpclient loop / wrk: {bare_per_core / best:.3f}; "
              f"scimcheck load / bare loop: {load_per_core / bare_per_core:.2f}")
    if one["rps"]:
        print(f"scaling, 2 workers / 1 worker: {two['rps'] / one['rps']:.2f}x (goal ≥ 1.8); "
              f"per core: {two_per_core / one_per_core:.2f} (1.0: a second worker on a core of "
              "its own would double the rate)")


if __name__ == "__main__":
    main()
