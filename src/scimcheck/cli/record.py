"""``scimcheck record``: a recording reverse proxy that forwards to ``--upstream`` and writes
the traffic as a sequence file (docs/sequences.md), for ``scimcheck replay`` and
``--scim-sequences``."""

from __future__ import annotations

import argparse
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from scimcheck.cli import oauth_login
from scimcheck.cli.arguments import connection_arguments, tls_arguments
from scimcheck.cli.common import fail, sigterm_as_interrupt, tls_verify
from scimcheck.core import exitcodes

if TYPE_CHECKING:
    from scimcheck.cli.arguments import Subparsers


def add_parser(sub: Subparsers) -> None:
    """``record``'s options."""
    record = sub.add_parser(
        "record",
        help="a recording reverse proxy: forward to --upstream, write the traffic as a sequence",
        description="Forward every request to the upstream SCIM endpoint and write what was sent "
        "and answered as a sequence file (Authorization never written), for 'scimcheck replay' "
        "and --scim-sequences. Point Entra (or anything) at the printed URL; Ctrl-C stops.",
    )
    record.add_argument("--upstream", required=True, metavar="URL",
                        help="the SCIM base URL to forward to, e.g. https://app.example.com/scim/v2")
    record.add_argument("--listen", type=int, default=8081, metavar="PORT",
                        help="port to listen on (default 8081; 0 = any free port)")
    record.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default 127.0.0.1)")
    record.add_argument("--out", required=True, metavar="FILE",
                        help="the sequence file to write (YAML)")
    oauth_login.add_arguments(record, whose="the upstream (a recorded request that carries a "
                              "token is forwarded with the upstream's access token)")
    tls_arguments(record, whose="the upstream's")
    connection_arguments(record, whose="the upstream")


def execute(args: argparse.Namespace, pytest_args: list[str]) -> int:
    """``scimcheck record``: the recording proxy, in the foreground until Ctrl-C."""
    from scimcheck.core.errors import ConfigError
    from scimcheck.record.proxy import REQUEST_DEADLINE_S, TrafficRecorder
    from scimcheck.server import ReferenceServer

    try:
        verify = tls_verify(args)
        given = oauth_login.resolve(args, verify)
    except ConfigError as exc:
        return fail(str(exc))
    client = None
    if given is not None:
        client, problem = oauth_login.sign_in(given)
        if problem is not None:
            return fail(problem, exitcodes.TARGET_UNAVAILABLE)
    out = Path(args.out)
    if not out.parent.is_dir():
        return fail(f"--out {args.out!r}: the directory {str(out.parent)!r} does not exist")
    try:
        recorder = TrafficRecorder(args.upstream, out, verify=verify, auth=client,
                                   proxy=args.proxy, headers=args.headers)
    except OSError as exc:
        return fail(f"cannot write {args.out!r}: {exc.strerror or exc}")
    proxy = ReferenceServer(host=args.host, port=args.listen, app=recorder,
                            request_deadline_s=REQUEST_DEADLINE_S)
    try:
        proxy.start()
    except OSError as exc:
        return fail(f"cannot listen on {args.host}:{args.listen}: {exc.strerror or exc}")
    try:  # from the banner on, as in serve
        print(f"scimcheck: recording; point the client at {proxy.base_url} (forwarding to "
              f"{args.upstream}); Ctrl-C stops", flush=True)
        with sigterm_as_interrupt():
            threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        proxy.stop()
    print(f"scimcheck: {len(recorder.steps)} exchange(s) written to {out}; replay with "
          f"'scimcheck replay {out} [URL]'")
    return exitcodes.OK
