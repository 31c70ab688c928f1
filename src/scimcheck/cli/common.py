"""What the commands share once their options are checked: the one-line failure on stderr
(docs/cli.md), the TLS setting, the bundled suites' path and SIGTERM as Ctrl-C."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from collections.abc import Iterator

from scimcheck.core import exitcodes
from scimcheck.http import redaction


def fail(message: str, code: int = exitcodes.USAGE) -> int:
    """Print ``scimcheck: MESSAGE`` (one line, inert for the terminal) on stderr; ``code``."""
    print(f"scimcheck: {redaction.for_terminal(message)}", file=sys.stderr)
    return code


def tls_verify(args: argparse.Namespace) -> bool | str:
    """The run's TLS setting (--ca-bundle/--insecure > SCIM_CA_BUNDLE/SCIM_INSECURE > on);
    with verification off, the one loud warning (urllib3's per-request ones are silenced).
    ``ConfigError`` for a missing CA file or both options at once."""
    from scimcheck.http import tls

    verify = tls.resolve(args.ca_bundle, args.insecure, os.environ)
    if verify is False:
        print(tls.insecure_warning("--insecure" if args.insecure else f"{tls.INSECURE_ENV}=1"),
              file=sys.stderr, flush=True)
        tls.quiet_insecure_warnings()
    return verify


def suites_path() -> str:
    """Where the bundled suites are (``scimcheck suites-path``)."""
    from scimcheck.core import bundled

    return str(bundled.suites_dir())


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM stops the run like Ctrl-C, so pytest tears fixtures down and cleanup runs."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
