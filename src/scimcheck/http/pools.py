"""urllib3's connection pools (the library requests is built on), as the transport and the
record proxy's forwarder use them.

They trust what requests trusts: certifi's CAs; ``--ca-bundle``'s file or directory instead;
nothing checked with ``--insecure`` (docs/cli.md, "TLS"). Each pool tells the request's deadline
(:mod:`scimcheck.http.deadlines`) which connection it got, so a slow drip can be cut off.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

import certifi
import urllib3
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from scimcheck.http import deadlines


class _NotingPool:
    """A connection pool that tells the request's deadline which connection it got."""

    def _get_conn(self, timeout: float | None = None) -> Any:
        connection = super()._get_conn(timeout)  # type: ignore[misc]
        deadlines.note_connection(connection)
        return connection


class _HTTPPool(_NotingPool, HTTPConnectionPool):
    pass


class _HTTPSPool(_NotingPool, HTTPSConnectionPool):
    pass


def connection_pools(verify: bool | str) -> urllib3.PoolManager:
    """urllib3's pools, trusting what requests trusts (certifi's CAs; ``--ca-bundle``'s file
    instead; nothing checked with ``--insecure``), whose pools report each request's connection
    to its deadline."""
    if verify is False:
        tls: dict[str, Any] = {"cert_reqs": "CERT_NONE", "assert_hostname": False}
    elif isinstance(verify, str) and os.path.isdir(verify):
        tls = {"cert_reqs": "CERT_REQUIRED", "ca_cert_dir": verify}
    else:
        tls = {"cert_reqs": "CERT_REQUIRED",
               "ca_certs": verify if isinstance(verify, str) else certifi.where()}
    pools = urllib3.PoolManager(num_pools=10, maxsize=10, **tls)
    pools.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
    return pools


def split_origin(url: str) -> tuple[str, str]:
    """The origin (``scheme://host:port``) of ``url``, and the request target (path and query)
    the pool sends."""
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return f"{parts.scheme}://{parts.netloc}", target
