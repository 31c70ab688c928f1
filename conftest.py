"""The root of scimcheck's own tests (tests/): their shared fixtures are the plugin
``support.fixtures`` and their helpers ``support.harness`` (tests/support/).

Every server binds to 127.0.0.1 only; tests send traffic to loopback only.
"""

from __future__ import annotations

# Import what the suites use before pytester's in-process runs: pytester restores sys.modules
# after each run, and modules first imported inside one (urllib3's exception classes, say)
# would be re-imported as different classes in the next.
import scimcheck.entra.userdata
import scimcheck.generate.model
import scimcheck.generate.properties
import scimcheck.generate.strategies
import scimcheck.http.transport
import scimcheck.report.results
import scimcheck.report.transcript
import scimcheck.sequences.runner  # noqa: F401

pytest_plugins = ["support.fixtures"]
