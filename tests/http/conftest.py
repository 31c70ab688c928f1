"""Fixtures the HTTP layer's tests share: a throwaway CA (trustme) and the reference server
over HTTPS with a certificate from it, TLS 1.2 and 1.3 or TLS 1.3 only. Every server binds to
127.0.0.1 only."""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import pytest
import trustme

from scimcheck.server import ReferenceServer
from support.harness import TEST_TOKEN


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    """A private CA nobody trusts by default."""
    return trustme.CA()


@pytest.fixture(scope="module")
def ca_pem(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The CA's certificate as a PEM file (what --ca-bundle and REQUESTS_CA_BUNDLE take)."""
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def _https_server(ca: trustme.CA, minimum: ssl.TLSVersion | None = None) -> ReferenceServer:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    if minimum is not None:
        context.minimum_version = minimum
    return ReferenceServer(host="127.0.0.1", port=0, token=TEST_TOKEN, ssl_context=context)


@pytest.fixture(scope="module")
def https_server(ca: trustme.CA) -> Iterator[ReferenceServer]:
    """The correct reference server over HTTPS; its context allows TLS 1.2 (and 1.3)."""
    with _https_server(ca) as server:
        yield server


@pytest.fixture(scope="module")
def tls13_server(ca: trustme.CA) -> Iterator[ReferenceServer]:
    """The broken endpoint: TLS 1.3 only, so Entra's TLS 1.2 handshake fails."""
    with _https_server(ca, ssl.TLSVersion.TLSv1_3) as server:
        yield server
