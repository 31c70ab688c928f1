"""``scimcheck load``: Entra's provisioning cycles at a target rate on Locust, judged against
Entra's gallery requirement of 25 requests per second per tenant (docs/load.md; needs
``scimcheck[load]``)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from scimcheck.cli import oauth_login
from scimcheck.cli.arguments import connection_arguments, tls_arguments
from scimcheck.cli.common import fail, tls_verify

if TYPE_CHECKING:
    from scimcheck.cli.arguments import Subparsers
    from scimcheck.http.oauth_grant import ClientCredentials


def add_parser(sub: Subparsers) -> None:
    """``load``'s options."""
    load = sub.add_parser(
        "load",
        help="replay Entra's provisioning cycles at a target rate (needs scimcheck[load])",
        description="Replay an Entra initial cycle (match-then-create, groups, member adds) and "
        "incremental cycles at --rate requests per second for --duration seconds on Locust, "
        "then judge Entra's gallery requirement of 25 requests per second per tenant. "
        "Everything created is deleted. Without URL the embedded reference server is loaded.",
    )
    load.add_argument("url", nargs="?", help="SCIM base URL (default: the embedded server)")
    load.add_argument("--users", type=int, default=100, metavar="N",
                      help="users per tenant (default 100)")
    load.add_argument("--groups", type=int, default=5, metavar="M",
                      help="groups per tenant, each holding every user (default 5)")
    load.add_argument("--rate", type=float, metavar="R",
                      help="requests per second offered in all (default 30 per tenant)")
    load.add_argument("--duration", type=float, default=60.0, metavar="SECONDS",
                      help="how long to load (default 60)")
    load.add_argument("--tenants", type=int, default=1, metavar="T",
                      help="independent Entra jobs; the verdict asks T x 25 req/s (default 1)")
    load.add_argument("--concurrency", type=int, metavar="C",
                      help="connections, each one request at a time (default rate/2, at most "
                      "200)")
    load.add_argument("--seed", type=int, help="seed for the generated users (default random)")
    load.add_argument("--timeout", type=float, metavar="SECONDS",
                      help="per-request timeout (default 60, Entra's limit)")
    load.add_argument("--report-dir", default="reports", metavar="DIR",
                      help="where load.json goes (default reports/)")
    load.add_argument("--master", action="store_true",
                      help="be a Locust master: wait for --expect-workers workers, report")
    load.add_argument("--expect-workers", type=int, default=1, metavar="N",
                      help="workers a master waits for (default 1)")
    load.add_argument("--master-bind-host", default="127.0.0.1", metavar="HOST",
                      help="address a master listens on for workers (default 127.0.0.1)")
    load.add_argument("--master-port", type=int, default=5557, metavar="PORT",
                      help="the master's port (default 5557)")
    load.add_argument("--worker", action="store_true",
                      help="be a Locust worker of the master at --master-host")
    load.add_argument("--master-host", default="127.0.0.1", metavar="HOST",
                      help="the master a worker connects to (default 127.0.0.1)")
    oauth_login.add_arguments(load, whose="URL (the access token fetched at the start is sent "
                              "throughout: a load run lasts minutes, a token an hour or more)")
    tls_arguments(load)
    connection_arguments(load)


def execute(args: argparse.Namespace, pytest_args: list[str]) -> int:
    """``scimcheck load``: Entra's cycles at a rate on Locust, and a verdict (in a process of
    its own: scimcheck.load.launch)."""
    import math
    import random

    from scimcheck.core.errors import ConfigError

    tenants, rate = args.tenants, args.rate
    workers = args.expect_workers if args.master else 1
    concurrency = args.concurrency
    if rate is None:
        rate = 30.0 * max(tenants, 1)
    if concurrency is None:
        concurrency = max(tenants * workers, min(200, math.ceil(rate / 2)))
    problem = (  # the ranges of single options are checked in main (arguments.option_problem)
        "--master and --worker exclude each other" if args.master and args.worker
        else f"--concurrency must be at least {tenants * workers} (one connection per tenant"
        f"{' on each worker' if args.master else ''})" if concurrency < tenants * workers
        else None
    )
    if problem:
        return fail(problem)
    from scimcheck.load import launch as load_launch
    from scimcheck.report import report_dir as reports

    if not load_launch.locust_installed():
        return fail("scimcheck load needs Locust: pip install 'scimcheck[load]'")
    try:
        reports.prepare(Path(args.report_dir), ("load.json",))
        verify = tls_verify(args)
        given = oauth_login.resolve(args, verify)
    except ConfigError as exc:
        return fail(str(exc))
    stopped = None if given is None else _sign_in(args.url, given)
    if stopped is not None:
        return stopped
    options = load_launch.Options(
        url=args.url, verify=verify, users=args.users, groups=args.groups, rate=rate,
        duration_s=args.duration, tenants=tenants, concurrency=concurrency,
        seed=args.seed if args.seed is not None else random.randrange(2**31),
        timeout_s=args.timeout or 60.0, report_dir=args.report_dir, master=args.master,
        expect_workers=args.expect_workers, master_bind_host=args.master_bind_host,
        master_port=args.master_port, worker=args.worker, master_host=args.master_host,
        proxy=args.proxy, header=args.header, secret_header=args.secret_header,
    )
    return load_launch.launch(options)


def _sign_in(url: str | None, given: ClientCredentials) -> int | None:
    """The access token for the load's process, in its ``SCIM_TOKEN`` (inherited, never on
    disk); the exit code when there is none."""
    import os

    from scimcheck import TOKEN_ENV
    from scimcheck.core import exitcodes

    if not url:
        return fail("the OAuth options need URL: the embedded server takes a bearer token")
    client, problem = oauth_login.sign_in(given)
    token = client.shared()
    if problem is not None or token is None:
        return fail(problem or "no access token", exitcodes.TARGET_UNAVAILABLE)
    os.environ[TOKEN_ENV] = token.partition(" ")[2]
    return None
