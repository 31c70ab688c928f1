"""Bearer-token authentication for the SCIM client (RFC 6750 §2.1).

django-scim2 leaves authentication to the site: its middleware only asks whether a prior
middleware logged a user in. This one logs the provisioning client in when the request
carries the configured token, and leaves every other request anonymous (django-scim2 then
answers 401).
"""

import hmac
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class ProvisioningClient:
    """The identity of a request that carried the right token."""

    is_authenticated = True
    is_anonymous = False
    pk = None


class BearerTokenMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.expected = f"Bearer {settings.SCIMSITE_TOKEN}".encode()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("Authorization", "").encode()
        if hmac.compare_digest(given, self.expected):
            request.user = ProvisioningClient()  # type: ignore[assignment]
        return self.get_response(request)
