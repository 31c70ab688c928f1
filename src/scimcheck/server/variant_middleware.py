"""The WSGI middleware that applies a broken variant's request guard or response rewrite."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from scimcheck.server.responses import error_response
from scimcheck.server.variant_guards import GUARDS
from scimcheck.server.variant_rewrites import REWRITES, UNSET
from scimcheck.server.variants import check_variant

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


class VariantMiddleware:
    """WSGI middleware for variants that guard requests or rewrite responses."""

    def __init__(self, app: WSGIApplication, variant: str, base_path: str) -> None:
        self.app = app
        self.guard = GUARDS.get(variant)
        self.rewrite = REWRITES.get(variant)
        self.base_path = base_path

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        if self.guard is not None:
            error = self.guard(request, self.base_path)
            if error is not None:
                return error_response(error)(environ, start_response)
        if self.rewrite is None:
            return self.app(environ, start_response)
        response = Response.from_app(self.app, environ, buffered=True)
        body: Any = UNSET
        data = response.get_data()
        if data and "json" in (response.mimetype or ""):
            body = json.loads(data)
        response, new_body = self.rewrite(request, response, body)
        if new_body is not UNSET:
            response.set_data(json.dumps(new_body, ensure_ascii=False).encode("utf-8"))
        return response(environ, start_response)


def wrap(app: WSGIApplication, variant: str | None, base_path: str) -> WSGIApplication:
    """``app`` with the variant's middleware when it has one."""
    if variant is not None and (variant in GUARDS or variant in REWRITES):
        return VariantMiddleware(app, variant, base_path)
    return app


def variant_kind(variant: str) -> str:
    """``"switch"``, ``"guard"`` or ``"rewrite"``: where a variant is implemented."""
    check_variant(variant)
    if variant in GUARDS:
        return "guard"
    if variant in REWRITES:
        return "rewrite"
    return "switch"
