"""Starting ``scimcheck load`` in an interpreter of its own.

Locust runs on gevent, which must monkey-patch the standard library before ``ssl`` is first
imported; the ``scimcheck`` command has imported it long before (requests), so the load runs in
``python -m scimcheck.load.run`` with its options as JSON. The token is never among them: the child
reads ``SCIM_TOKEN`` from the environment it inherits. Ctrl-C reaches both processes (the child
stops, cleans up and exits 130); SIGTERM to the command is passed on to the child.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
from dataclasses import asdict, dataclass
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scimcheck.http.extra_headers import ExtraHeader


def locust_installed() -> bool:
    """The ``load`` extra (Locust, and pygal for load.html's charts) can be imported."""
    try:
        return all(importlib.util.find_spec(name) is not None for name in ("locust", "pygal"))
    except (ImportError, ValueError):
        return False


@dataclass
class Options:
    """``scimcheck load``'s options, checked by the command line (no token: see above)."""

    url: str | None
    verify: bool | str
    users: int
    groups: int
    rate: float
    duration_s: float
    tenants: int
    concurrency: int
    seed: int
    timeout_s: float
    report_dir: str
    master: bool = False
    expect_workers: int = 1
    master_bind_host: str = "127.0.0.1"
    master_port: int = 5557
    worker: bool = False
    master_host: str = "127.0.0.1"
    proxy: str | None = None
    """``--proxy``: handed to the child in ``SCIM_PROXY``, never on its command line."""
    header: list[str] | None = None
    """``--header`` as given: handed to the child in ``SCIM_HEADERS``."""
    secret_header: list[str] | None = None
    """``--secret-header`` as given: handed to the child in ``SCIM_SECRET_HEADERS``."""
    headers: tuple[ExtraHeader, ...] = ()
    """The extra headers, resolved in the child from its environment."""

    def to_json(self) -> str:
        """The options as one command-line argument (the proxy and headers, which may hold
        secrets, go in the child's environment: :meth:`environment`)."""
        return json.dumps({key: value for key, value in asdict(self).items()
                           if key not in _IN_ENVIRONMENT})

    def environment(self) -> dict[str, str]:
        """The child's variables for ``--proxy``, ``--header`` and ``--secret-header``."""
        values = {"SCIM_PROXY": self.proxy or "",
                  "SCIM_HEADERS": "\n".join(self.header or ()),
                  "SCIM_SECRET_HEADERS": "\n".join(self.secret_header or ())}
        return {name: value for name, value in values.items() if value}

    @classmethod
    def from_json(cls, text: str) -> Options:
        """Options from :meth:`to_json`."""
        return cls(**json.loads(text))


_IN_ENVIRONMENT = ("proxy", "header", "secret_header", "headers")


def launch(options: Options) -> int:
    """Run the load in a child interpreter; its exit code."""
    child = subprocess.Popen([sys.executable, "-m", "scimcheck.load.run", options.to_json()],
                             env={**os.environ, **options.environment()})

    def forward(signum: int, frame: FrameType | None) -> None:
        child.send_signal(signum)

    try:
        previous = signal.signal(signal.SIGTERM, forward)
    except ValueError:  # not the main thread
        previous = None
    try:
        while True:
            try:
                code = child.wait()
                return code if code >= 0 else 130  # killed by a signal: interrupted
            except KeyboardInterrupt:
                continue  # the child got Ctrl-C too: wait for its cleanup and exit code
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
