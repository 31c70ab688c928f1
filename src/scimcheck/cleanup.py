"""``scimcheck cleanup``: remove what earlier runs left behind, selected by their tag only.

Every user and group a run creates carries the run's tag at the start of its ``userName`` or
``displayName``: ``scimcheck-<run id>-…`` (the run id is 8 hex digits, printed by every run and
stored in results.json as ``run_id``). Cleanup finds candidates with Entra-style ``sw`` filters
(or, when the endpoint has no ``sw``, by reading the collection page by page), keeps only those
whose name matches the tag exactly, and deletes them (or lists them with ``--dry-run``). Nothing
else is ever modified or deleted.

:func:`interruptions_held` lets a run's own end-of-sequence cleanup finish when Ctrl-C or
SIGTERM arrives in the middle of it.
"""

from __future__ import annotations

import contextlib
import re
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from scimcheck import endpoints
from scimcheck.transport import Transport

TAG = re.compile(r"^scimcheck-(?P<run>[0-9a-f]{8})-")
_PAGE = 100
_MAX_PAGES = 1000  # 100,000 resources: a bound, never an endless loop


@dataclass
class Leftover:
    """One resource a run created and did not delete."""

    path: str
    name: str
    run_id: str


@dataclass
class Found:
    """What a search found, and how."""

    leftovers: list[Leftover] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unsearched: list[str] = field(default_factory=list)
    """Collections that could not be read to the end (a 5xx, no answer): more may be left."""


def _wanted(name: Any, run_id: str | None) -> str | None:
    match = TAG.match(name) if isinstance(name, str) else None
    if match is None or (run_id is not None and match["run"] != run_id):
        return None
    return match["run"]


def find(transport: Transport, run_id: str | None) -> Found:
    """Every tagged user and group (of ``run_id``, or of any run)."""
    found = Found()
    prefix = f"scimcheck-{run_id}-" if run_id else "scimcheck-"
    for collection, attribute, single in (
        (endpoints.USERS, "userName", endpoints.user),
        (endpoints.GROUPS, "displayName", endpoints.group),
    ):
        resources, note, complete = _search(transport, collection, attribute, prefix)
        if note:
            found.notes.append(note)
        if not complete:
            found.unsearched.append(collection)
        for resource in resources:
            name = resource.get(attribute) if isinstance(resource, dict) else None
            run = _wanted(name, run_id)
            resource_id = resource.get("id") if isinstance(resource, dict) else None
            if run is not None and isinstance(resource_id, str) and resource_id:
                found.leftovers.append(Leftover(single(resource_id), str(name), run))
    return found


def _search(
    transport: Transport, collection: str, attribute: str, prefix: str
) -> tuple[list[Any], str | None, bool]:
    """Candidates by ``attribute sw "prefix"``; by reading every page if ``sw`` is refused.
    The last value says whether the collection was read to the end."""
    params = {"filter": f'{attribute} sw "{prefix}"', "attributes": attribute}
    resources, status = _pages(transport, collection, params)
    if status in (400, 403, 501):
        every, status = _pages(transport, collection, {"attributes": attribute})
        note = (f"{collection}: the endpoint refused a 'sw' filter, so every page was read and "
                "matched here")
        if status != 200:
            note = (f"{collection}: could not be listed (HTTP {status or 'no answer'}); what "
                    "was not read was not touched")
        return every, note, status == 200
    if status != 200:
        return resources, (f"{collection}: could not be searched (HTTP {status or 'no answer'}); "
                           "what was not read was not touched"), False
    return resources, None, True


def _pages(
    transport: Transport, collection: str, params: dict[str, str]
) -> tuple[list[Any], int | None]:
    found: list[Any] = []
    start = 1
    for _ in range(_MAX_PAGES):
        answer = transport.send(
            "GET", collection, params={**params, "startIndex": str(start), "count": str(_PAGE)},
            label=f"cleanup: search {collection}",
        )
        body = answer.json()
        if answer.status != 200 or not isinstance(body, dict):
            return found, answer.status
        page = body.get("Resources") or []
        if not isinstance(page, list):
            return found, answer.status
        found += page
        total = body.get("totalResults")
        if not page or not isinstance(total, int) or start + len(page) > total:
            break
        start += len(page)
    return found, 200


def delete(transport: Transport, leftovers: list[Leftover]) -> list[str]:
    """Delete each leftover (groups first); the problems, if any."""
    problems: list[str] = []
    ordered = sorted(leftovers, key=lambda x: not x.path.startswith(endpoints.GROUPS))
    for leftover in ordered:
        answer = transport.send("DELETE", leftover.path, label=f"cleanup: {leftover.name}")
        if not (answer.ok or answer.status == 404):
            problems.append(f"{leftover.path} ({leftover.name}): {answer.summary()}")
    return problems


@contextlib.contextmanager
def interruptions_held() -> Iterator[None]:
    """Hold Ctrl-C (SIGINT) and SIGTERM while the block runs, then stop as they asked.

    A run's cleanup deletes what the run created; a signal in the middle of it would leave the
    rest behind. The first signal is held and raised as ``KeyboardInterrupt`` when the block
    ends; a second one stops the block at once (the person insists). Outside the main thread,
    where signals cannot be handled, the block runs unprotected.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        held.append(signum)
        if len(held) > 1:
            raise KeyboardInterrupt

    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    for signum in previous:
        signal.signal(signum, hold)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
    if held:
        raise KeyboardInterrupt
