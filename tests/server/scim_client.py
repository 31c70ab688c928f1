"""A werkzeug test client for the reference app that speaks like Entra, and SCIM assertions."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.test import Client, TestResponse

from scimcheck.server.app import create_app

TOKEN = "unit-test-token"
ENTRA_CONTENT_TYPE = "application/scim+json; charset=utf-8"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ADSCIM = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
BASE = "/scim/v2"
_DEFAULT = object()


def body_of(response: TestResponse) -> Any:
    """The JSON body (whatever the Content-Type says), or None when empty."""
    data = response.get_data()
    return json.loads(data) if data else None


class Scim:
    """A SCIM client over werkzeug's test Client; writes carry Entra's Content-Type."""

    def __init__(self, variant: str | None = None, token: str | None = TOKEN) -> None:
        self.app = create_app(token=token, variant=variant)
        self.client = Client(self.app)
        self.token = token

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: Any = _DEFAULT,
        headers: dict[str, str] | None = None,
        content_type: str | None = ENTRA_CONTENT_TYPE,
        data: bytes | None = None,
        query: dict[str, Any] | None = None,
    ) -> TestResponse:
        sent = dict(headers or {})
        token = self.token if token is _DEFAULT else token
        if token:
            sent["Authorization"] = f"Bearer {token}"
        if body is not None:
            data = json.dumps(body).encode("utf-8")
        if data is not None and content_type:
            sent["Content-Type"] = content_type
        url = path if path.startswith(BASE) else BASE + path
        return self.client.open(
            url, method=method, data=data, headers=sent, query_string=query
        )

    def get(self, path: str, **kw: Any) -> TestResponse:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> TestResponse:
        return self.request("POST", path, body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> TestResponse:
        return self.request("PUT", path, body, **kw)

    def patch(self, path: str, operations: list[dict[str, Any]], **kw: Any) -> TestResponse:
        return self.request("PATCH", path, {"schemas": [PATCH_SCHEMA], "Operations": operations},
                            **kw)

    def delete(self, path: str, **kw: Any) -> TestResponse:
        return self.request("DELETE", path, **kw)

    def create_user(self, user_name: str, **attrs: Any) -> dict[str, Any]:
        body = {"schemas": [USER_SCHEMA], "userName": user_name, **attrs}
        response = self.post("/Users", body)
        assert response.status_code == 201, response.get_data(as_text=True)
        created: dict[str, Any] = body_of(response)
        return created

    def create_group(self, name: str, members: list[str] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"schemas": [GROUP_SCHEMA, ADSCIM], "displayName": name}
        if members is not None:
            body["members"] = [{"value": m} for m in members]
        response = self.post("/Groups", body)
        assert response.status_code == 201, response.get_data(as_text=True)
        created: dict[str, Any] = body_of(response)
        return created

    def user(self, user_id: str) -> dict[str, Any]:
        response = self.get(f"/Users/{user_id}")
        assert response.status_code == 200, response.get_data(as_text=True)
        found: dict[str, Any] = body_of(response)
        return found

    def group(self, group_id: str) -> dict[str, Any]:
        response = self.get(f"/Groups/{group_id}")
        assert response.status_code == 200, response.get_data(as_text=True)
        found: dict[str, Any] = body_of(response)
        return found

    def filter_users(self, text: str, **query: Any) -> TestResponse:
        return self.get("/Users", query={"filter": text, **query})


def assert_error(response: TestResponse, status: int, scim_type: str | None = None) -> None:
    """A SCIM Error message with this status (as a string) and scimType."""
    body = body_of(response)
    assert response.status_code == status, (response.status_code, body)
    assert response.headers["Content-Type"] == ENTRA_CONTENT_TYPE
    assert body["schemas"] == [ERROR_SCHEMA]
    assert body["status"] == str(status)
    assert body.get("scimType") == scim_type, body
    assert isinstance(body["detail"], str) and body["detail"]
