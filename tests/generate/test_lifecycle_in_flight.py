"""The lifecycle model's reads in flight at once (``--in-flight``, issue 18 §2) change nothing
but the time: against a correct endpoint the same requests; against a broken one the same
verdict, the same shrunk program and the same curl script as one by one."""

from __future__ import annotations

import re
from typing import Any

import pytest

from scimcheck.server import ReferenceServer
from support.harness import TEST_TOKEN, RunSuites, failed_checks
from support.variant_map import GENERATED_EXAMPLES, GENERATED_SEED

CHECK = "generated.model-lifecycle"


def _lifecycles(run_suites: RunSuites, url: str, in_flight: int) -> dict[str, Any]:
    return run_suites(
        url, "--scim-examples", str(GENERATED_EXAMPLES), "--scim-seed", str(GENERATED_SEED),
        "--scim-in-flight", str(in_flight), "-k", "lifecycles",
    )


def _normalised(text: str) -> str:
    """Without what differs between two runs: the server's port, the run tag, serials and the
    server's ids."""
    text = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", text)
    text = re.sub(r"scimcheck-[0-9a-f]{8}-[0-9a-f]{8}", "TAG", text)
    text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "ID", text)
    text = re.sub(r"create_user\(values=\{.*?\}\)( →|:)", r"create_user(…)\1", text)
    return re.sub(r"\(\d+ ms\)", "", re.sub(r"from \d+ tried", "", text))


def _diagnosis(message: str) -> str:
    """What a model failure says went wrong, its values masked."""
    after_program = message.split("): ", 1)[-1].split(" (shrunk by", 1)[0]
    return re.sub(r'"[^"]*"', "…", after_program)


@pytest.mark.parametrize("variant", [None, "given-name-wipes-family-name"])
def test_reads_in_flight_give_what_serial_reads_give(
    variant: str | None, run_suites: RunSuites,
) -> None:
    runs = []
    for in_flight in (1, 4):
        with ReferenceServer(host="127.0.0.1", port=0, token=TEST_TOKEN,
                             variant=variant) as server:
            runs.append(_lifecycles(run_suites, server.base_url, in_flight))
    serial, concurrent = runs
    assert failed_checks(serial) == failed_checks(concurrent) == (
        {CHECK} if variant else set()), concurrent["_stdout"]
    if not variant:  # the same requests (a failing search also sends the reads after the
        # failing one, and shrinks for a time, not a count)
        assert serial["requests"]["total"] == concurrent["requests"]["total"]
    else:  # the same defect, diagnosed alike (shrinking is bounded in time, not count, so
        # on a loaded machine one run may stop with a longer program or other values)
        shown = [next(c for c in run["checks"] if c["id"] == CHECK) for run in runs]
        assert [_diagnosis(entry["message"]) for entry in shown] == [
            "by GET: name.familyName sent …, stored absent"] * 2, shown
        for entry in shown:
            assert "curl " in entry["failures"][0]["repro"]
