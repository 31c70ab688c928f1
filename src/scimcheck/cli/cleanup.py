"""``scimcheck cleanup``: delete what earlier runs left behind, selected by their run tag only
(``scimcheck-<run id>-…``; :mod:`scimcheck.scim.cleanup`)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

from scimcheck import TOKEN_ENV
from scimcheck.cli import oauth_login
from scimcheck.cli.arguments import connection_arguments, tls_arguments
from scimcheck.cli.common import fail, tls_verify
from scimcheck.core import exitcodes
from scimcheck.http import redaction

if TYPE_CHECKING:
    from scimcheck.cli.arguments import Subparsers
    from scimcheck.http.transport import TransportConfig


def add_parser(sub: Subparsers) -> None:
    """``cleanup``'s options."""
    cleanup = sub.add_parser(
        "cleanup",
        help="delete what earlier runs left behind, selected by their tag only",
        description="Find users and groups whose userName/displayName carries a scimcheck run "
        "tag (scimcheck-<run id>-…) and delete them; nothing else is touched. The run id is "
        "printed by every run and stored in results.json.",
    )
    cleanup.add_argument("url", help="SCIM base URL (the token comes from SCIM_TOKEN)")
    which = cleanup.add_mutually_exclusive_group(required=True)
    which.add_argument("--run-id", metavar="ID", help="the run whose leftovers to delete")
    which.add_argument("--all", action="store_true",
                       help="leftovers of every scimcheck run older than --older-than")
    cleanup.add_argument("--older-than", metavar="DURATION",
                         help="with --all: only runs whose newest resource is older than this, "
                         "by the endpoint's meta timestamps (e.g. 30m, 2h, 7d; default 24h)")
    cleanup.add_argument("--dry-run", action="store_true",
                         help="list what would be deleted; delete nothing")
    cleanup.add_argument("--timeout", type=float, metavar="SECONDS",
                         help="per-request timeout (default 60)")
    oauth_login.add_arguments(cleanup)
    tls_arguments(cleanup)
    connection_arguments(cleanup)


def execute(args: argparse.Namespace, pytest_args: list[str]) -> int:
    """``scimcheck cleanup``: leftovers of earlier runs, by tag only."""
    import re

    from scimcheck.core.errors import ConfigError
    from scimcheck.http.transport import ENTRA_TIMEOUT_S, Transport, TransportConfig
    from scimcheck.scim import cleanup

    run_id = args.run_id.removeprefix("scimcheck-") if args.run_id else None
    if run_id is not None and not re.fullmatch(r"[0-9a-f]{8}", run_id):
        return fail(f"--run-id {args.run_id!r} is not a run id: 8 hex digits, as printed by "
                    "'scimcheck run' (run tag scimcheck-<id>) and stored in results.json")
    if args.older_than is not None and run_id is not None:
        return fail("--older-than applies to --all only: --run-id deletes that run's "
                    "leftovers whatever their age")
    older_than_s: float | None = None
    if args.all:
        try:
            older_than_s = cleanup.parse_duration(args.older_than) \
                if args.older_than is not None else cleanup.DEFAULT_OLDER_THAN_S
        except ValueError as exc:
            return fail(f"--older-than: {exc}")
    try:
        verify = tls_verify(args)
        given = oauth_login.resolve(args, verify)
    except ConfigError as exc:
        return fail(str(exc))
    token = os.environ.get(TOKEN_ENV) or None
    client, problem = None, None
    if given is not None:
        client, problem = oauth_login.sign_in(given)
    if problem is not None:
        return fail(problem, exitcodes.TARGET_UNAVAILABLE)
    config = TransportConfig(args.url, token, args.timeout or ENTRA_TIMEOUT_S, verify=verify,
                             auth=client, proxy=args.proxy, headers=args.headers)
    code = _preflight(config, args.timeout)
    if code is not None:
        return code
    with Transport(config) as transport:
        found = cleanup.find(transport, run_id, older_than_s)
        for note in found.notes:
            print(f"scimcheck: {redaction.for_terminal(note)}")
        which = f"run {run_id}" if run_id else (
            f"any scimcheck run older than {cleanup.describe_duration(older_than_s or 0)}")
        for kept in found.kept:  # reasons, paths and names quote the endpoint: shown inert
            print(f"scimcheck: kept {len(kept.leftovers)} resource(s): "
                  f"{redaction.for_terminal(kept.reason)}")
            for leftover in kept.leftovers:
                print(f"  {redaction.for_terminal(leftover.path)}  "
                      f"{redaction.for_terminal(leftover.name)}")
        unsearched = (f"{' and '.join(found.unsearched)} could not be searched to the end: "
                      "more may be left; run cleanup again") if found.unsearched else ""
        if not unsearched and any(kept.unread for kept in found.kept):
            unsearched = "some resources could not be read: they may be left; run cleanup again"
        if not found.leftovers:
            if unsearched:
                return fail(f"found nothing to delete left by {which}, but {unsearched}",
                            exitcodes.CHECKS_FAILED)
            print(f"scimcheck: nothing {'else ' if found.kept else ''}left by {which}")
            return exitcodes.OK
        verb = "would delete" if args.dry_run else "deleting"
        print(f"scimcheck: {verb} {len(found.leftovers)} resource(s) left by {which}:")
        for leftover in found.leftovers:  # both chosen by the endpoint: shown inert
            print(f"  {redaction.for_terminal(leftover.path)}  "
                  f"{redaction.for_terminal(leftover.name)}")
        if args.dry_run:
            return fail(unsearched, exitcodes.CHECKS_FAILED) if unsearched else exitcodes.OK
        problems = cleanup.delete(transport, found.leftovers)
    for problem in problems:
        print(f"scimcheck: could not delete {redaction.for_terminal(problem)}", file=sys.stderr)
    if problems:
        return exitcodes.CHECKS_FAILED
    print(f"scimcheck: deleted {len(found.leftovers)} resource(s)")
    if unsearched:
        return fail(unsearched, exitcodes.CHECKS_FAILED)
    return exitcodes.OK


def _preflight(config: TransportConfig, timeout: float | None) -> int | None:
    """Entra's Test Connection query first: unreachable or refused is exit code 3."""
    from scimcheck.entra import preflight

    problem = preflight.problem(config.base_url, config.token, timeout, verify=config.verify,
                                auth=config.auth, proxy=config.proxy, headers=config.headers)
    return None if problem is None else fail(problem, exitcodes.TARGET_UNAVAILABLE)
