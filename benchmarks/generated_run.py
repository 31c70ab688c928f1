"""One run of the bundled generated searches against a variant, shared by the benchmarks.

The reference server (or one of its broken variants) on 127.0.0.1, and suites/test_generated.py
run by ``python -m pytest`` or by a ``-c`` program (its first lines may set module constants)
in a fresh process with the generated searches' options; returns results.json.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from scimcheck.server import ReferenceServer

TOKEN = "bench-generated-token-0001"


def generated_run(
    launcher: list[str], suites: Path, variant: str | None, seed: int, examples: int,
    shards: int = 4,
) -> dict[str, Any]:
    """results.json of the generated searches at ``examples`` and ``seed``; ``launcher`` is
    the command before pytest's arguments (``[python, "-m", "pytest"]`` or a ``-c`` program)."""
    server = ReferenceServer(host="127.0.0.1", port=0, token=TOKEN, variant=variant).start()
    try:
        with tempfile.TemporaryDirectory() as scratch:
            results = Path(scratch) / "results.json"
            env = {k: v for k, v in os.environ.items()
                   if not k.startswith(("SCIM_", "SCIMCHECK_"))}
            env["SCIM_TOKEN"] = TOKEN
            subprocess.run(
                [*launcher, str(suites / "test_generated.py"), f"--rootdir={suites}",
                 "-p", "no:cacheprovider", "-q", "-p", "no:xdist", "--scim-url",
                 server.base_url, "--scim-results", str(results), "--scim-examples",
                 str(examples), "--scim-seed", str(seed), "--scim-shards", str(shards)],
                env=env, cwd=scratch, capture_output=True, check=False, timeout=1800,
            )
            document: dict[str, Any] = json.loads(results.read_text(encoding="utf-8"))
            return document
    finally:
        server.stop()
