"""Settings of a minimal site serving django-scim2, set up as its README tells a user to.

The test fixture passes three things in the environment: the sqlite file (in a temporary
directory), the host:port the site answers on (django-scim2 builds every ``location`` from
``NETLOC``) and the bearer token the provisioning client uses.
"""

import os

SECRET_KEY = "scimcheck-test-site-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django_scim",
    "scimsite",
]

# django-scim2's README: its auth-check middleware goes after the middleware that logs the
# user in. Here that is the bearer-token middleware (Django has none of its own).
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "scimsite.auth.BearerTokenMiddleware",
    "django_scim.middleware.SCIMAuthCheckMiddleware",
]

ROOT_URLCONF = "scimsite.urls"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ["SCIMSITE_DB"],
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
AUTH_USER_MODEL = "scimsite.User"
USE_TZ = True
TIME_ZONE = "UTC"

SCIMSITE_TOKEN = os.environ["SCIMSITE_TOKEN"]

SCIM_SERVICE_PROVIDER = {
    "NETLOC": os.environ["SCIMSITE_NETLOC"],
    "SCHEME": "http",
    "GROUP_MODEL": "scimsite.models.Group",
    "AUTHENTICATION_SCHEMES": [
        {
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "Authentication with a bearer token (RFC 6750)",
        },
    ],
}
