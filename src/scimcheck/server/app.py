"""The reference SCIM 2.0 service provider as a WSGI application (RFC 7644 §3).

Routes live under a base path (``/scim/v2`` by default): ``/Users``, ``/Groups`` (GET list,
POST create, ``/.search``), ``/Users/{id}``, ``/Groups/{id}`` (GET, PUT, PATCH, DELETE) and the
discovery endpoints. Requests are authenticated with a bearer token when one is configured
(Entra S1 "accept a single bearer token"); bodies are parsed as JSON whatever their Content-Type
says (Entra sends ``application/scim+json; charset=utf-8``, D16); responses are always
``application/scim+json`` (D17) and errors always SCIM Error messages (D18, RFC 7644 §3.12).
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound, RequestEntityTooLarge
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from scimcheck.server import discovery
from scimcheck.server.errors import (
    INVALID_FILTER,
    INVALID_SYNTAX,
    INVALID_VALUE,
    ScimError,
    bad_request,
    not_found,
)
from scimcheck.server.filter_evaluation import Evaluator, FilterOptions
from scimcheck.server.filter_syntax import attribute_paths, parse_filter
from scimcheck.server.patch import apply_patch
from scimcheck.server.projection import project, split_names
from scimcheck.server.resources import normalize
from scimcheck.server.responses import error_response, list_response, no_content, scim_response
from scimcheck.server.schema import GROUP_TYPE, USER_TYPE, ResourceType, fold
from scimcheck.server.store import Resource, Store
from scimcheck.server.variant_middleware import wrap
from scimcheck.server.variant_switches import Behaviour, behaviour_for

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from scimcheck.server.oauth import TokenIssuer

BASE_PATH = "/scim/v2"
MAX_BODY_BYTES = 1024 * 1024
MAX_RESULTS = discovery.MAX_RESULTS
SEARCH_REQUEST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"

_log = logging.getLogger("scimcheck.server")


class ScimRequest(Request):
    """A request whose body may not exceed 1 MiB (413 otherwise)."""

    max_content_length = MAX_BODY_BYTES


@dataclass(frozen=True)
class ListParams:
    """Query parameters of a list or search (RFC 7644 §3.4.2, §3.4.3)."""

    filter: str | None = None
    start_index: int | None = None
    count: int | None = None
    attributes: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()


Handler = Callable[..., Response]


class ScimApp:
    """Routes, authentication, body parsing and response rendering around a :class:`Store`."""

    def __init__(
        self,
        token: str | None = None,
        behaviour: Behaviour | None = None,
        base_path: str = BASE_PATH,
        store: Store | None = None,
        tokens: Callable[[str], bool] | None = None,
    ) -> None:
        self.token = token or None
        self.tokens = tokens
        """Judges a bearer token instead of ``token``: the OAuth access tokens issued by
        :class:`scimcheck.server.oauth.TokenIssuer`."""
        self.behaviour = behaviour or Behaviour()
        self.base_path = "/" + base_path.strip("/") if base_path.strip("/") else ""
        self.store = store or Store(self.behaviour.store)
        self.filter_options = FilterOptions(self.behaviour.filter_case_exact_names)
        self._first_user_id: str | None = None
        self._deleted_user_ids: list[str] = []
        base = self.base_path
        rules = []
        for rtype in (USER_TYPE, GROUP_TYPE):
            rules += [
                Rule(f"{base}{rtype.endpoint}", endpoint=("collection", rtype),
                     methods=["GET", "POST"]),
                Rule(f"{base}{rtype.endpoint}/.search", endpoint=("search", rtype),
                     methods=["POST"]),
                Rule(f"{base}{rtype.endpoint}/<resource_id>", endpoint=("resource", rtype),
                     methods=["GET", "PUT", "PATCH", "DELETE"]),
            ]
        rules += [
            Rule(f"{base}/ServiceProviderConfig", endpoint=("spc", None), methods=["GET"]),
            Rule(f"{base}/Schemas", endpoint=("schemas", None), methods=["GET"]),
            Rule(f"{base}/Schemas/<path:urn>", endpoint=("schema", None), methods=["GET"]),
            Rule(f"{base}/ResourceTypes", endpoint=("resource_types", None), methods=["GET"]),
            Rule(f"{base}/ResourceTypes/<name>", endpoint=("resource_type", None),
                 methods=["GET"]),
        ]
        self.url_map = Map(rules, strict_slashes=False, merge_slashes=False)
        self._handlers: dict[str, Handler] = {
            "collection": self._collection,
            "search": self._search,
            "resource": self._resource,
            "spc": self._service_provider_config,
            "schemas": self._schemas,
            "schema": self._schema,
            "resource_types": self._resource_types,
            "resource_type": self._resource_type,
        }

    # --- WSGI --------------------------------------------------------------------------------

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = ScimRequest(environ)
        try:
            response = self.handle(request)
        except ScimError as error:
            response = error_response(error)
        except HTTPException as exc:
            response = error_response(self._http_error(request, exc))
        except Exception as exc:
            _log.exception("unexpected error on %s %s", request.method, request.path)
            response = error_response(
                ScimError(500, f"internal server error ({type(exc).__name__})")
            )
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        """Dispatch one request: size limit, authentication, routing, handler."""
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            raise RequestEntityTooLarge()
        self._authenticate(request)
        adapter = self.url_map.bind_to_environ(request.environ)
        path = re.sub(r"/{2,}", "/", request.path)
        (name, rtype), args = adapter.match(path, method=request.method)
        kwargs: dict[str, Any] = dict(args)
        if rtype is not None:
            kwargs["rtype"] = rtype
        return self._handlers[name](request, **kwargs)

    def _http_error(self, request: Request, exc: HTTPException) -> ScimError:
        if isinstance(exc, NotFound):
            return not_found(f"no SCIM endpoint at {request.path}")
        if isinstance(exc, MethodNotAllowed):
            allowed = sorted(set(exc.valid_methods or []) - {"HEAD", "OPTIONS"})
            return ScimError(
                405,
                f"method {request.method} is not allowed on {request.path}; "
                f"allowed: {', '.join(allowed)}",
                headers={"Allow": ", ".join(allowed)},
            )
        if isinstance(exc, RequestEntityTooLarge):
            return ScimError(413, f"the request body is larger than {MAX_BODY_BYTES} bytes")
        return ScimError(exc.code or 500, exc.description or exc.name)

    def _authenticate(self, request: Request) -> None:
        """Bearer token check (RFC 6750; Entra S1); 401 with ``WWW-Authenticate: Bearer``."""
        if (self.token is None and self.tokens is None) or not self.behaviour.require_auth:
            return
        scheme, _, credentials = request.headers.get("Authorization", "").strip().partition(" ")
        credentials = credentials.strip()
        if fold(scheme) != "bearer" or not credentials:
            raise ScimError(
                401, "authentication required: send 'Authorization: Bearer <token>'",
                headers={"WWW-Authenticate": 'Bearer realm="scimcheck"'},
            )
        if self.behaviour.compare_token and not (
            self.tokens(credentials) if self.tokens is not None
            else hmac.compare_digest(credentials.encode(), (self.token or "").encode())
        ):
            raise ScimError(
                401, "the bearer token is not valid",
                headers={"WWW-Authenticate": 'Bearer realm="scimcheck", error="invalid_token"'},
            )

    # --- helpers -----------------------------------------------------------------------------

    def base_url(self, request: Request) -> str:
        """The absolute base URL the client used, e.g. ``http://127.0.0.1:8080/scim/v2``."""
        return request.host_url.rstrip("/") + self.base_path

    def _json_body(self, request: Request) -> Any:
        """The body as JSON, whatever the Content-Type (Entra D16); 400 ``invalidSyntax``."""
        data = request.get_data(cache=True)
        if len(data) > MAX_BODY_BYTES:
            raise RequestEntityTooLarge()
        if not data.strip():
            raise bad_request(INVALID_SYNTAX, "the request body is empty; expected a JSON object")
        try:
            return json.loads(data)
        except UnicodeDecodeError:
            raise bad_request(INVALID_SYNTAX, "the request body is not UTF-8 JSON") from None
        except ValueError as exc:
            raise bad_request(
                INVALID_SYNTAX, f"the request body is not valid JSON: {exc}"
            ) from None

    def _render(self, rtype: ResourceType, resource: Resource, params: ListParams) -> Resource:
        excluded = [] if self.behaviour.ignore_excluded_attributes else list(params.excluded)
        return project(rtype, resource, list(params.attributes), excluded)

    @staticmethod
    def _int(name: str, raw: Any) -> int | None:
        if raw is None or raw == "":
            return None
        if isinstance(raw, bool):
            raise bad_request(INVALID_VALUE, f"'{name}' must be an integer, not {raw!r}")
        if isinstance(raw, int):
            return raw
        try:
            return int(str(raw).strip())
        except ValueError:
            raise bad_request(INVALID_VALUE, f"'{name}' must be an integer, not {raw!r}") from None

    def _query_params(self, request: Request) -> ListParams:
        args = request.args
        return ListParams(
            filter=args.get("filter"),
            start_index=self._int("startIndex", args.get("startIndex")),
            count=self._int("count", args.get("count")),
            attributes=tuple(split_names(args.get("attributes"))),
            excluded=tuple(split_names(args.get("excludedAttributes"))),
        )

    # --- resources ---------------------------------------------------------------------------

    def _collection(self, request: Request, rtype: ResourceType) -> Response:
        if request.method == "POST":
            return self._create(request, rtype)
        return self._list(rtype, self._query_params(request))

    def _create(self, request: Request, rtype: ResourceType) -> Response:
        """POST → 201 + resource + ``Location`` (RFC 7644 §3.3)."""
        body = self._json_body(request)
        if self.behaviour.require_listed_extensions and isinstance(body, dict):
            listed = body.get("schemas") or []
            for key, value in body.items():
                if key.lower().startswith("urn:") and isinstance(value, dict) \
                        and key not in listed:
                    raise bad_request(INVALID_SYNTAX, f"extension {key!r} is not in 'schemas'")
        attrs = normalize(rtype, body, self.behaviour.coercion,
                          self.behaviour.reject_unknown_schemas)
        if self.behaviour.require_emails and rtype is USER_TYPE and not attrs.get("emails"):
            raise bad_request(INVALID_VALUE, "emails is required")
        resource = self.store.create(rtype, attrs, self.base_url(request))
        if self.behaviour.create_answers_oldest and rtype is USER_TYPE:
            resource = self.store.query(rtype, None, 0, 1)[1][0]
        shown = self._render(rtype, resource, self._query_params(request))
        if self.behaviour.create_answers_id and rtype is USER_TYPE:
            shown = self._wrong_id(rtype, shown)
        if self.behaviour.echo_password_on_create and isinstance(body, dict) \
                and "password" in body:
            shown["password"] = body["password"]  # variant password-echoed-on-create
        return scim_response(shown, 201, {"Location": shown["meta"]["location"]})

    def _wrong_id(self, rtype: ResourceType, shown: Resource) -> Resource:
        """The create answer of the ``create-answers-*-id`` variants: another resource's id."""
        how = self.behaviour.create_answers_id
        if how == "oldest":
            oldest = self._render(rtype, self.store.query(rtype, None, 0, 1)[1][0],
                                  ListParams())
            oldest.pop("userName", None)
            return oldest
        if how == "first" and self._first_user_id is None:
            self._first_user_id = shown["id"]
            return shown
        wrong = self._first_user_id if how == "first" else (
            self._deleted_user_ids.pop() if self._deleted_user_ids else None)
        if wrong is None:
            return shown
        location = shown["meta"]["location"]
        return {**shown, "id": wrong, "meta": {
            **shown["meta"], "location": location[: location.rfind("/") + 1] + wrong}}

    def _predicate(
        self, rtype: ResourceType, text: str | None
    ) -> Callable[[Resource], bool] | None:
        """The filter as a predicate (RFC 7644 §3.4.2.2); 400 ``invalidFilter`` if invalid."""
        if text is None or not text.strip():
            return None
        node = parse_filter(text)
        if self.behaviour.externalid_filter_unsupported and any(
            fold(p.name) == "externalid" for p in attribute_paths(node)
        ):
            raise bad_request(INVALID_FILTER, "filtering on externalId is not supported")
        evaluator = Evaluator(rtype, self.filter_options)
        evaluator.validate(node)
        if self.behaviour.hide_disabled_from_filter and rtype is USER_TYPE:
            return lambda r: r.get("active") is not False and evaluator.matches(node, r)
        return lambda r: evaluator.matches(node, r)

    def _list(self, rtype: ResourceType, params: ListParams) -> Response:
        """A ListResponse (RFC 7644 §3.4.2): filter, then page (§3.4.2.4), in creation order."""
        predicate = self._predicate(rtype, params.filter)
        if self.behaviour.ignore_pagination:
            start, offset, limit = 1, 0, None
        else:
            start = max(1, params.start_index or 1)
            count = MAX_RESULTS if params.count is None else min(max(params.count, 0), MAX_RESULTS)
            offset, limit = (0 if self.behaviour.ignore_start_index else start - 1), count
        total, page = self.store.query(rtype, predicate, offset, limit)
        resources = [self._render(rtype, r, params) for r in page]
        return scim_response(list_response(resources, total, start))

    def _search(self, request: Request, rtype: ResourceType) -> Response:
        """POST ``/.search`` with a SearchRequest body (RFC 7644 §3.4.3)."""
        body = self._json_body(request)
        if not isinstance(body, dict):
            raise bad_request(INVALID_SYNTAX, "the search body must be a SearchRequest object")
        lowered = {fold(k): v for k, v in body.items()}
        text = lowered.get("filter")
        if text is not None and not isinstance(text, str):
            raise bad_request(INVALID_FILTER, "'filter' must be a string")
        params = ListParams(
            filter=text,
            start_index=self._int("startIndex", lowered.get("startindex")),
            count=self._int("count", lowered.get("count")),
            attributes=tuple(split_names(lowered.get("attributes"))),
            excluded=tuple(split_names(lowered.get("excludedattributes"))),
        )
        return self._list(rtype, params)

    def _resource(self, request: Request, rtype: ResourceType, resource_id: str) -> Response:
        params = self._query_params(request)
        if request.method in ("GET", "HEAD"):
            return scim_response(self._render(rtype, self.store.get(rtype, resource_id), params))
        if request.method == "DELETE":
            return self._delete(rtype, resource_id, params)
        body = self._json_body(request)
        if request.method == "PUT":
            attrs = normalize(rtype, body, self.behaviour.coercion,
                              self.behaviour.reject_unknown_schemas)
            resource = self.store.replace(rtype, resource_id, attrs)
        else:
            patch = self.behaviour.patch
            before = self.store.get(rtype, resource_id)
            resource = self.store.modify(
                rtype, resource_id, lambda attrs: apply_patch(rtype, attrs, body, patch)
            )
            if self.behaviour.patch_answers_before:  # variant patch-answers-before-change
                resource = before
        return scim_response(self._render(rtype, resource, params))

    def _delete(self, rtype: ResourceType, resource_id: str, params: ListParams) -> Response:
        """DELETE → 204 (RFC 7644 §3.6); later requests for the id → 404."""
        if self.behaviour.soft_delete_users and rtype is USER_TYPE:  # variant soft-delete
            self.store.modify(rtype, resource_id, lambda attrs: {**attrs, "active": False})
            return no_content()
        resource = self.store.delete(rtype, resource_id)
        if self.behaviour.create_answers_id == "deleted" and rtype is USER_TYPE:
            self._deleted_user_ids[:] = [resource_id]
        if self.behaviour.delete_returns_body:
            return scim_response(self._render(rtype, resource, params))
        return no_content()

    # --- discovery ---------------------------------------------------------------------------

    def _service_provider_config(self, request: Request) -> Response:
        return scim_response(discovery.service_provider_config(self.base_url(request)))

    def _schemas(self, request: Request) -> Response:
        items = discovery.schemas(self.base_url(request))
        return scim_response(list_response(items, len(items), 1))

    def _schema(self, request: Request, urn: str) -> Response:
        schema = discovery.find_schema(urn)
        if schema is None:
            raise not_found(f"no schema {urn!r}")
        return scim_response(discovery.schema_resource(schema, self.base_url(request)))

    def _resource_types(self, request: Request) -> Response:
        items = discovery.resource_types(self.base_url(request))
        return scim_response(list_response(items, len(items), 1))

    def _resource_type(self, request: Request, name: str) -> Response:
        rtype = discovery.find_resource_type(name)
        if rtype is None:
            raise not_found(f"no resource type {name!r}")
        return scim_response(discovery.resource_type_resource(rtype, self.base_url(request)))


def create_app(
    token: str | None = None, variant: str | None = None, base_path: str = BASE_PATH,
    issuer: TokenIssuer | None = None,
) -> WSGIApplication:
    """The reference server as a WSGI app; ``variant`` names a broken variant (see VARIANTS);
    ``issuer`` requires OAuth access tokens from its token endpoint instead of ``token``."""
    core = ScimApp(token=token, behaviour=behaviour_for(variant), base_path=base_path,
                   tokens=issuer.valid if issuer is not None else None)
    app = wrap(core, variant, core.base_path)
    return issuer.mounted(app) if issuer is not None else app
