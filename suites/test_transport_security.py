"""Transport security as Entra needs it: an https endpoint must take a TLS 1.2 handshake with one
of Entra's cipher suites (docs/entra.md §2 "Security requirements"). Plain http targets are
skipped: Entra never provisions over http, so there is no TLS to judge.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from scimcheck.http import tls
from scimcheck.http.pools import proxy_for
from scimcheck.sequences.runner import Sequence
from scimcheck.settings.run import Settings


def test_tls12_handshake_as_entra_makes_it(scim: Sequence, scim_settings: Settings) -> None:
    """TLS 1.2 only, Entra's ECDHE suites, the certificate checked as the run checks it."""
    if urlsplit(scim_settings.base_url).scheme != "https":
        pytest.skip("the target is plain http: Entra only provisions over https; TLS not tested")
    proxy = proxy_for(scim_settings.base_url, scim_settings.proxy)  # as the run's requests go
    if proxy and not proxy.lower().startswith("http://"):
        pytest.skip(f"the run goes through a {proxy.split(':')[0]}:// proxy; the TLS 1.2 probe "
                    "tunnels through http:// proxies only")
    timeout = min(scim_settings.timeout_s, tls.HANDSHAKE_TIMEOUT_S)
    handshake = tls.probe_tls12(scim_settings.base_url, scim_settings.verify, timeout, proxy)
    scim.check(
        "transport.tls12", handshake.ok,
        f"Entra's TLS 1.2 handshake failed: {handshake.problem}", repro=_repro(handshake),
    )


def _repro(handshake: tls.Handshake) -> str:
    """The same handshake with openssl, for the failure's repro script."""
    where = f"{handshake.host}:{handshake.port}"
    return (
        "#!/usr/bin/env bash\n"
        "# transport.tls12: Entra's TLS 1.2 handshake (docs/entra.md §2 Security "
        "requirements)\n"
        f"# {handshake.problem}\n"
        f"openssl s_client -connect {where} -servername {handshake.host} -tls1_2 "
        f"-cipher '{':'.join(tls.ENTRA_CIPHERS)}' </dev/null\n"
    )
