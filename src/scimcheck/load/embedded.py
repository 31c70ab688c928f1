"""The URL ``scimcheck load`` sends to: the one given, or the embedded reference server started
in a process of its own (so it gets a core of its own, untouched by gevent)."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator

from scimcheck import TOKEN_ENV
from scimcheck.http import redaction
from scimcheck.load.launch import Options


@contextlib.contextmanager
def load_target(options: Options, token: str | None) -> Iterator[tuple[str, str | None]]:
    """The URL under load, or the embedded reference server in a process of its own (so it
    gets a core of its own, untouched by gevent)."""
    if options.url:
        yield options.url, token
        return
    token = token or secrets.token_urlsafe(24)
    redaction.register(token)
    process = subprocess.Popen(
        [sys.executable, "-m", "scimcheck", "serve", "--host", "127.0.0.1", "--port", "0"],
        env={**os.environ, TOKEN_ENV: token}, stdout=subprocess.PIPE, text=True,
        start_new_session=True,  # Ctrl-C stops the load, not the server cleanup talks to
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        found = re.search(r" at (http://\S+) ", line)
        if found is None:
            raise RuntimeError(f"the embedded reference server did not start: {line.strip()!r}")
        print(f"scimcheck: loading the embedded reference server at {found[1]}", flush=True)
        yield found[1], token
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
