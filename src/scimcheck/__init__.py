"""scimcheck: a SCIM 2.0 conformance harness that replays Microsoft Entra ID provisioning."""

__version__ = "0.1.0"
