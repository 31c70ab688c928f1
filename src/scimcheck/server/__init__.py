"""The embedded reference SCIM 2.0 server and its deliberately broken variants.

``ReferenceServer`` serves :func:`scimcheck.server.app.create_app` on a loopback port;
``VARIANTS`` names the broken variants the harness's self-tests run against.
"""

from scimcheck.server.serving import ReferenceServer
from scimcheck.server.variants import VARIANTS

__all__ = ["VARIANTS", "ReferenceServer"]
