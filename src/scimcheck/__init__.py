"""scimcheck: a SCIM 2.0 conformance harness that replays Microsoft Entra ID provisioning."""

__version__ = "0.1.0"

TOKEN_ENV = "SCIM_TOKEN"
"""The environment variable that carries the bearer token (preferred over a flag)."""
