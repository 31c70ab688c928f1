"""The token never appears in any artifact of a failing run (issue 6 §5).

Failing full runs, the token passed both ways (``--token`` and ``SCIM_TOKEN``), against an
endpoint that echoes it back in every answer and one whose generated-user properties fail (so
shrunk examples, failure records and curl scripts are written), every exchange printed
(``--scim-verbose``), pytest's debug log on; then ``replay`` and ``cleanup`` of the same target.
Every byte of terminal output and every file written is searched for the token.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from scimcheck import exitcodes
from scimcheck.server import ReferenceServer

TOKEN = "tok-S3CRET-41f0c9e2-never-printed"


def _scimcheck(*args: str, use_flag: bool = False) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SCIM_TOKEN"}
    if use_flag:
        args = (*args[:2], "--token", TOKEN, *args[2:])
    else:
        env["SCIM_TOKEN"] = TOKEN
    return subprocess.run(
        [sys.executable, "-m", "scimcheck", *args], capture_output=True, text=True, env=env,
        timeout=600, check=False,
    )


def _every_file(root: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in root.rglob("*") if path.is_file()}


@pytest.mark.slow
@pytest.mark.parametrize(("variant", "use_flag"), [("echoes-token", True),
                                                   ("trims-spaces", False)])
def test_no_artifact_of_a_failing_run_holds_the_token(
    variant: str, use_flag: bool, tmp_path: Path
) -> None:
    reports = tmp_path / "reports"
    outputs: list[str] = []
    with ReferenceServer(token=TOKEN, variant=variant) as server:
        run = _scimcheck(
            "run", server.base_url, "--report-dir", str(reports), "--examples", "15",
            "--seed", "20261126", "--", "--scim-verbose", "-rA",
            f"--log-file={reports / 'pytest.log'}", "--log-file-level=DEBUG",
            use_flag=use_flag,
        )
        outputs += [run.stdout, run.stderr]
        records = sorted((reports / "repro").glob("*.json"))
        assert records, "a failing run wrote no failure record"
        replay = _scimcheck("replay", str(records[0]), server.base_url,
                            "--report-dir", str(tmp_path / "replay"))
        cleanup = _scimcheck("cleanup", server.base_url, "--all", "--dry-run")
        outputs += [replay.stdout, replay.stderr, cleanup.stdout, cleanup.stderr]
    assert run.returncode in (exitcodes.OK, exitcodes.CHECKS_FAILED), run.stdout[-3000:]
    assert replay.returncode == exitcodes.CHECKS_FAILED, replay.stdout[-3000:]
    files = _every_file(tmp_path)
    kinds = {path.suffix for path in files}
    assert {".html", ".xml", ".json", ".sh", ".log"} <= kinds, kinds
    leaks = [str(path) for path, data in files.items() if TOKEN.encode() in data]
    leaks += [f"terminal output #{n}" for n, text in enumerate(outputs) if TOKEN in text]
    assert leaks == []
    # not vacuous: the transcripts are in there, with the token shown redacted
    everything = b"".join(files.values()).decode("utf-8", "replace") + "".join(outputs)
    assert "Bearer <redacted>" in everything
    assert "$SCIM_TOKEN" in everything  # the curl scripts read it from the environment
    if variant == "echoes-token":
        assert "auth.token-not-echoed" in run.stdout
