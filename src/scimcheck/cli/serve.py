"""``scimcheck serve``: the reference SCIM server (or one of its broken variants) in the
foreground until Ctrl-C (docs/cli.md)."""

from __future__ import annotations

import argparse
import os
import time
from typing import TYPE_CHECKING

from scimcheck import TOKEN_ENV
from scimcheck.cli.common import fail
from scimcheck.core import exitcodes

if TYPE_CHECKING:
    from scimcheck.cli.arguments import Subparsers


def add_parser(sub: Subparsers) -> None:
    """``serve``'s options."""
    serve = sub.add_parser(
        "serve",
        help="run the reference SCIM server in the foreground",
        description="Serve the reference SCIM 2.0 server until Ctrl-C. The token comes from "
        f"--token or {TOKEN_ENV}; without one the server accepts anonymous requests.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port (default 8080; 0 = any)")
    serve.add_argument("--token", help=f"bearer token to require (or {TOKEN_ENV})")
    serve.add_argument("--oauth", action="store_true",
                       help="require OAuth 2.0 access tokens from the server's own token endpoint "
                       "(client credentials; the client id and secret are printed)")
    serve.add_argument("--oauth-lifetime", type=float, default=3600.0, metavar="SECONDS",
                       help="with --oauth: how long an access token lives (default 3600; a few "
                       "seconds lets auth.oauth.expired-token-refused be judged)")
    serve.add_argument("--variant", help="serve a deliberately broken variant (names: "
                       "--list-variants)")
    serve.add_argument("--list-variants", action="store_true",
                       help="list every broken variant and what it breaks, then exit")


def execute(args: argparse.Namespace, pytest_args: list[str]) -> int:
    """``scimcheck serve``: the reference server in the foreground."""
    from scimcheck.server import VARIANTS, ReferenceServer

    if args.list_variants:
        width = max(map(len, VARIANTS))
        print("\n".join(f"{name:<{width}}  {VARIANTS[name]}" for name in sorted(VARIANTS)))
        return exitcodes.OK
    token = args.token or os.environ.get(TOKEN_ENV) or None
    if args.variant and args.variant not in VARIANTS:
        return fail(
            f"unknown variant {args.variant!r}; 'scimcheck serve --list-variants' lists them"
        )
    if not 0 <= args.port <= 65535:
        return fail(f"--port {args.port} is not a port number (0-65535)")
    if args.oauth_lifetime != 3600.0 and not args.oauth:
        return fail("--oauth-lifetime goes with --oauth")
    try:
        server = ReferenceServer(
            host=args.host, port=args.port, token=token, variant=args.variant,
            oauth=args.oauth, oauth_lifetime_s=args.oauth_lifetime,
        ).start()
    except OSError as exc:
        return fail(
            f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}; "
            "pick another --port"
        )
    auth = "bearer token required" if token else (
        f"no token: anonymous requests are accepted (pass --token or set {TOKEN_ENV})"
    )
    if server.issuer is not None:  # the user asked for these credentials: shown, not redacted
        auth = (f"OAuth 2.0 access tokens required: token endpoint {server.token_url}, "
                f"client id {server.issuer.client_id}, client secret "
                f"{server.issuer.client_secret}, tokens live {args.oauth_lifetime:g} s")
    variant = f" [broken variant: {args.variant}]" if args.variant else ""
    try:  # from the banner on: a Ctrl-C as soon as it is read is the normal stop
        print(f"scimcheck reference server{variant} at {server.base_url} ({auth}); "
              "Ctrl-C stops it", flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return exitcodes.OK
