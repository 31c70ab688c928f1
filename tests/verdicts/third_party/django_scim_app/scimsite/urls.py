"""django-scim2's urls under /scim/v2/, as its README tells."""

from django.urls import include, path

urlpatterns = [
    path("scim/v2/", include("django_scim.urls")),
]
