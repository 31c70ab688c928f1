"""requests, the HTTP client the transport and the record proxy's forwarder send through.

One ``requests.Session`` per :class:`Client`, trusting the environment as requests users expect
(``trust_env``): ``HTTP_PROXY``/``HTTPS_PROXY``/``NO_PROXY`` unless ``--proxy`` names one, and
``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` unless ``--ca-bundle`` or ``--insecure`` says what to
trust (docs/cli.md, "TLS" and "Proxies and extra headers"). Its adapter never retries
(``max_retries=0``: retries are the transport's own, :mod:`scimcheck.http.pacing`) and its
pools, direct or through a proxy, tell the request's deadline
(:mod:`scimcheck.http.deadlines`) which connection it got, so a slow drip can be cut off.

A request goes to the session's adapter (``HTTPAdapter.send``), not through ``Session.send``:
that one reads the whole body of a 3xx answer to look for the next redirect (past any cap),
keeps cookies Entra never sends back and merges the environment again for every request. The
environment is merged once per origin here, by requests' own ``merge_environment_settings``,
and the adapter looks an origin's pool up once; the transport reads the answer from urllib3's
response (``Response.raw``) under its caps, so requests' copy of its headers is not made.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_environ_proxies, select_proxy
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


_NOTING_POOLS = {"http": _HTTPPool, "https": _HTTPSPool}


class WatchedAdapter(HTTPAdapter):
    """requests' adapter, never retrying, whose pools (direct and through an HTTP proxy) report
    each request's connection to its deadline. An origin's pool is looked up once (requests
    parses the URL, selects the proxy and builds the pool key again for every request)."""

    def __init__(self, pool_size: int = 10) -> None:
        super().__init__(pool_connections=10, pool_maxsize=max(pool_size, 10), max_retries=0)
        self._pools: dict[tuple[str, Any, str | None], Any] = {}

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _NOTING_POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = _NOTING_POOLS
        return manager

    def get_connection_with_tls_context(
        self, request: requests.PreparedRequest, verify: Any,
        proxies: Mapping[str, str] | None = None, cert: Any = None,
    ) -> Any:
        url = str(request.url)
        key = (split_origin(url)[0], verify, select_proxy(url, proxies) if proxies else None)
        pool = self._pools.get(key)
        if pool is None or pool.pool is None or cert is not None:  # new, closed or mTLS
            pool = super().get_connection_with_tls_context(request, verify, proxies, cert)
            if cert is None:
                self._pools[key] = pool
        return pool

    def request_url(self, request: requests.PreparedRequest,
                    proxies: Mapping[str, str] | None) -> str:
        if not proxies:  # the origin form, as requests gives it without a proxy
            return request.path_url
        return super().request_url(request, proxies)

    def build_response(self, req: requests.PreparedRequest, resp: Any) -> requests.Response:
        """The answer, its status, headers and body left on ``raw`` (urllib3's response, which
        the transport reads under its caps): requests' copy of the headers and its cookie jar
        (Entra keeps no cookies) are not made."""
        response = requests.Response()
        response.status_code = resp.status
        response.reason = resp.reason
        response.raw = resp
        response.url = str(req.url)
        response.request = req
        response.connection = self
        return response

    def close(self) -> None:
        self._pools.clear()
        super().close()


class Client:
    """A ``requests.Session`` and its adapter, with the environment merged once per origin."""

    def __init__(self, verify: bool | str = True, proxy: str | None = None, *,
                 pool_size: int = 10) -> None:
        """``pool_size``: connections kept per origin, at least the requests sent at once."""
        self.session = requests.Session()
        self.session.trust_env = True
        self.adapter = WatchedAdapter(pool_size)
        self.session.mount("http://", self.adapter)
        self.session.mount("https://", self.adapter)
        self._verify = verify
        self._proxy = proxy
        self._by_origin: dict[str, tuple[dict[str, str], bool | str]] = {}

    def close(self) -> None:
        """Release pooled connections."""
        self._by_origin.clear()
        self.session.close()

    def settings_for(self, url: str) -> tuple[dict[str, str], bool | str]:
        """The proxies and TLS trust of a request to ``url``, as requests resolves them:
        ``--proxy`` over the environment's proxies, ``--ca-bundle``/``--insecure`` over
        ``REQUESTS_CA_BUNDLE``."""
        origin = split_origin(url)[0]
        known = self._by_origin.get(origin)
        if known is None:
            proxies = {"http": self._proxy, "https": self._proxy} if self._proxy else {}
            merged = self.session.merge_environment_settings(url, proxies, True, self._verify,
                                                             None)
            verify = merged["verify"]
            known = self._by_origin[origin] = (
                dict(merged["proxies"] or {}), True if verify is None else verify
            )
        return known

    def send(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None,
        timeout: tuple[float, float],
    ) -> requests.Response:
        """Send one request as given (headers exactly these; ``Content-Length`` set for a
        body), never following a redirect; the answer's body is left unread on ``raw``.
        ``timeout``: seconds to connect, and to wait for each read."""
        proxies, verify = self.settings_for(url)
        wire = CaseInsensitiveDict(headers)  # as requests keeps them: names in any case
        if body is not None and "Content-Length" not in wire:
            wire["Content-Length"] = str(len(body))  # else requests would send it chunked
        prepared = requests.PreparedRequest()
        prepared.method = method
        prepared.url = url
        prepared.headers = wire
        prepared.body = body
        return self.adapter.send(prepared, stream=True, timeout=timeout, verify=verify,
                                 proxies=proxies)


def proxy_for(url: str, proxy: str | None = None) -> str | None:
    """The proxy a request to ``url`` goes through, as requests chooses it (``proxy``, else the
    environment's unless ``NO_PROXY`` covers ``url``): for scimcheck load's own client."""
    proxies = {"http": proxy, "https": proxy} if proxy else get_environ_proxies(url)
    chosen = select_proxy(url, proxies)
    return chosen if not chosen or "://" in chosen else f"http://{chosen}"


def split_origin(url: str) -> tuple[str, str]:
    """The origin (``scheme://host:port``) of ``url``, and the request target (path and query)."""
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return f"{parts.scheme}://{parts.netloc}", target
