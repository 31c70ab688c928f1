"""``scimcheck cleanup``: remove what earlier runs left behind, selected by their tag only.

Every user and group a run creates carries the run's tag at the start of its ``userName`` or
``displayName``: ``scimcheck-<run id>-…`` (the run id is 8 hex digits, printed by every run and
stored in results.json as ``run_id``). Cleanup finds candidates with Entra-style ``sw`` filters
(or, when the endpoint has no ``sw``, by reading the collection page by page), keeps only those
whose name matches the tag exactly, reads each one by its id and deletes it only when that
representation names the same tag (a listing that pairs a tagged name with somebody else's id
never gets that resource deleted), and deletes them (or lists them with ``--dry-run``). Nothing
else is ever modified or deleted.

Pages are processed one at a time and dropped: only the tagged candidates are kept, so memory
does not grow with the size of the collection. A listing that stops early (a 5xx, no answer, a
body that is not a ListResponse, the same page served again, or the page limit) is reported,
never taken for "nothing left".

With an age limit (``--all`` by default), a run's resources are deleted only when its newest
resource is older than the limit by the endpoint's own ``meta.created``/``meta.lastModified``
(RFC 7643 §3.1), measured against the earlier of this machine's clock and the answer's ``Date``
header, so a run still in progress is left alone. A run whose age cannot be proven is kept and
listed with the reason.

:func:`interruptions_held` lets a run's own end-of-sequence cleanup finish when Ctrl-C or
SIGTERM arrives in the middle of it.
"""

from __future__ import annotations

import contextlib
import datetime
import email.utils
import re
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from scimcheck.http.transport import Exchange, Transport
from scimcheck.scim import endpoints, ownership

TAG = re.compile(r"^scimcheck-(?P<run>[0-9a-f]{8})-")
PAGE = 100
MAX_PAGES = 1000
"""100,000 resources a collection: a bound, never an endless loop."""
DEFAULT_OLDER_THAN_S = 24 * 3600.0
"""``--all`` deletes only runs whose newest resource is older than this (a day: far longer than
any run takes, so a run in progress is never swept)."""
_DURATION = re.compile(r"^\s*(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>[smhd]?)\s*$", re.IGNORECASE)
_UNIT_S = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str) -> float:
    """Seconds in ``90``, ``90s``, ``30m``, ``1h`` or ``2d``; ``ValueError`` otherwise."""
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a duration: use e.g. 90s, 30m, 1h or 2d")
    return float(match["n"]) * _UNIT_S[match["unit"].lower()]


def _ago(seconds: float) -> str:
    """``40 s``, ``12 min``, ``5 h``, ``3 d``: roughly how long."""
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= 2 * size:
            return f"{int(seconds // size)} {unit}"
    return f"{int(seconds)} s"


def describe_duration(seconds: float) -> str:
    """``1h``, ``30m``, ``2d``, ``45s``: the largest whole unit."""
    for unit in ("d", "h", "m"):
        if seconds >= 2 * _UNIT_S[unit] and seconds % _UNIT_S[unit] == 0:
            return f"{seconds / _UNIT_S[unit]:g}{unit}"
    return f"{seconds:g}s"


@dataclass
class Leftover:
    """One resource a run created and did not delete."""

    path: str
    name: str
    run_id: str
    age_s: float | None = None
    """How long ago the resource was last created or changed, by its own ``meta``; ``None``
    when the endpoint does not say."""


@dataclass
class Kept:
    """Tagged resources cleanup found but will not delete, and why."""

    leftovers: list[Leftover]
    reason: str
    unread: bool = False
    """They could not be read (a 5xx, no answer): whether they are left is not known."""


@dataclass
class Found:
    """What a search found, and how."""

    leftovers: list[Leftover] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unsearched: list[str] = field(default_factory=list)
    """Collections that could not be read to the end (a 5xx, no answer, the page limit): more
    may be left; the notes say why."""
    kept: list[Kept] = field(default_factory=list)


def _wanted(name: Any, run_id: str | None) -> str | None:
    match = TAG.match(name) if isinstance(name, str) else None
    if match is None or (run_id is not None and match["run"] != run_id):
        return None
    return match["run"]


@dataclass
class _Matches:
    """The tagged candidates of one collection, kept as its pages go by (nothing else is)."""

    attribute: str
    single: Callable[[str], str]
    run_id: str | None
    found: dict[str, Leftover] = field(default_factory=dict)

    def keep(self, resource: Any) -> None:
        """Keep ``resource`` if its name carries the tag wanted."""
        if not isinstance(resource, dict):
            return
        name, resource_id = resource.get(self.attribute), resource.get("id")
        run = _wanted(name, self.run_id)
        if run is not None and isinstance(resource_id, str) and resource_id:
            path = self.single(resource_id)
            self.found.setdefault(path, Leftover(path, str(name), run))


def find(transport: Transport, run_id: str | None, older_than_s: float | None = None) -> Found:
    """Every tagged user and group (of ``run_id``, or of any run) that a read of it confirms;
    with ``older_than_s``, only those of runs whose newest resource is older than that."""
    found = Found()
    prefix = f"scimcheck-{run_id}-" if run_id else "scimcheck-"
    candidates: list[Leftover] = []
    for collection, attribute, single in (
        (endpoints.USERS, "userName", endpoints.user),
        (endpoints.GROUPS, "displayName", endpoints.group),
    ):
        matches = _Matches(attribute, single, run_id)
        problem = _search(transport, collection, attribute, prefix, matches.keep, found.notes)
        if problem is not None:
            found.notes.append(problem)
            found.unsearched.append(collection)
        candidates += matches.found.values()
    _confirm(transport, candidates, found, run_id)
    if older_than_s is not None:
        _old_runs_only(found, older_than_s)
    return found


def _search(transport: Transport, collection: str, attribute: str, prefix: str,
            keep: Callable[[Any], None], notes: list[str]) -> str | None:
    """Feed every candidate to ``keep``, by ``attribute sw "prefix"``, or by reading every page
    if ``sw`` is refused; why the collection was not read to the end, or ``None``."""
    params = {"filter": f'{attribute} sw "{prefix}"', "attributes": attribute}
    status, problem = _pages(transport, collection, params, keep)
    if status in (400, 403, 501):
        notes.append(f"{collection}: the endpoint refused a 'sw' filter, so every page was read "
                     "and matched here")
        status, problem = _pages(transport, collection, {"attributes": attribute}, keep)
        if problem is not None:
            return f"{collection}: could not be listed ({problem}); what was not read was not " \
                   "touched"
        return None
    if problem is not None:
        return f"{collection}: could not be searched ({problem}); what was not read was not " \
               "touched"
    return None


def _sent(transport: Transport, method: str, path: str, **kwargs: Any) -> Exchange:
    """Send, then drop the exchange(s) from the transcript: cleanup keeps no page in memory."""
    before = len(transport.exchanges)
    answer = transport.send(method, path, **kwargs)
    del transport.exchanges[before:]
    return answer


def _pages(transport: Transport, collection: str, params: dict[str, str],
           keep: Callable[[Any], None]) -> tuple[int | None, str | None]:
    """Read ``collection`` page by page, each page's resources to ``keep``, then dropped.
    The first answer's status (400/403/501 mean the filter was refused), and why the listing
    did not reach its end, or ``None`` when it did."""
    start, first_status, previous = 1, None, None
    for number in range(MAX_PAGES):
        answer = _sent(transport, "GET", collection,
                       params={**params, "startIndex": str(start), "count": str(PAGE)},
                       label=f"cleanup: search {collection}")
        first_status = answer.status if number == 0 else first_status
        body = answer.json()
        if answer.status != 200:
            return first_status, f"HTTP {answer.status or 'no answer'} at startIndex {start}"
        page = body.get("Resources", []) if isinstance(body, dict) else None
        if not isinstance(page, list):
            return first_status, (f"the answer at startIndex {start} is not a ListResponse "
                                  f"({answer.describe_body(80)})")
        if not page:
            return first_status, None
        ids = [r.get("id") if isinstance(r, dict) else None for r in page]
        if ids == previous:
            return first_status, (f"startIndex {start} was answered with the same page as the "
                                  "one before: the endpoint ignores startIndex")
        previous = ids
        for resource in page:
            keep(resource)
        total = body.get("totalResults")
        start += len(page)
        if (isinstance(total, int) and start > total) or (
                not isinstance(total, int) and len(page) < PAGE):
            return first_status, None
    return first_status, (f"stopped at the limit of {MAX_PAGES} pages of {PAGE}; the listing "
                          "went on")


def _confirm(transport: Transport, candidates: list[Leftover], found: Found,
             run_id: str | None) -> None:
    """Keep the candidates whose own representation (a GET of the id) names the same run's
    tag, with their age; list the others as kept."""
    foreign: list[Leftover] = []
    unread: list[Leftover] = []
    for leftover in candidates:
        answer = _sent(transport, "GET", leftover.path, label=f"cleanup: read {leftover.path}")
        body = answer.json()
        key = ownership.resource_key(leftover.path)
        shown = body if isinstance(body, dict) and key is not None and body.get("id") == key[1] \
            else None
        name = shown.get(ownership.NAME_OF[key[0]]) if shown is not None and key else None
        if answer.status == 404:
            continue  # gone meanwhile
        if answer.status != 200 or shown is None:
            unread.append(leftover)
        elif _wanted(name, run_id) != leftover.run_id:
            foreign.append(leftover)
        else:
            leftover.name = str(name)
            leftover.age_s = _age(shown, answer)
            found.leftovers.append(leftover)
    if foreign:
        found.kept.append(Kept(foreign, "the listing named them with a run's tag, but read by "
                                        "its id each names something else: never deleted"))
    if unread:
        found.kept.append(Kept(unread, "they could not be read by their id (an error, or an "
                                       "answer about another id), so they were not deleted",
                               unread=True))


def _timestamp(value: Any) -> datetime.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = datetime.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return when if when.tzinfo is not None else None  # no zone: the age cannot be proven


def _age(body: dict[str, Any], answer: Exchange) -> float | None:
    """Seconds since the resource was last created or changed (``meta``, RFC 7643 §3.1),
    against the earlier of this machine's clock and the answer's ``Date`` (RFC 9110 §6.6.1):
    a clock running ahead never makes a resource look older. ``None`` when ``meta`` has no
    time with a zone."""
    meta = body.get("meta")
    times = [t for t in (_timestamp(meta.get(k)) for k in ("created", "lastModified"))
             if t is not None] if isinstance(meta, dict) else []
    if not times:
        return None
    now = datetime.datetime.now(datetime.UTC)
    with contextlib.suppress(TypeError, ValueError):
        said = email.utils.parsedate_to_datetime(answer.header("Date") or "")
        if said.tzinfo is not None:
            now = min(now, said)
    return max(0.0, (now - max(times)).total_seconds())


def _old_runs_only(found: Found, older_than_s: float) -> None:
    """Move to ``kept`` every run whose newest resource is younger than ``older_than_s``, or
    whose age is not known."""
    runs: dict[str, list[Leftover]] = {}
    for leftover in found.leftovers:
        runs.setdefault(leftover.run_id, []).append(leftover)
    found.leftovers = []
    limit = describe_duration(older_than_s)
    for run, leftovers in sorted(runs.items()):
        ages = [x.age_s for x in leftovers]
        if any(age is None for age in ages):
            found.kept.append(Kept(leftovers, (
                f"run {run}: the endpoint gives no meta.created/meta.lastModified with a time "
                f"zone, so its age is unknown (it may still be running); delete it with "
                f"--run-id {run}")))
        elif min(a for a in ages if a is not None) < older_than_s:
            newest = min(a for a in ages if a is not None)
            found.kept.append(Kept(leftovers, (
                f"run {run}: its newest resource changed {_ago(newest)} ago, less than "
                f"--older-than {limit}: it may still be running")))
        else:
            found.leftovers += leftovers


def delete(transport: Transport, leftovers: list[Leftover]) -> list[str]:
    """Delete each leftover (groups first); the problems, if any."""
    problems: list[str] = []
    ordered = sorted(leftovers, key=lambda x: not x.path.startswith(endpoints.GROUPS))
    for leftover in ordered:
        answer = _sent(transport, "DELETE", leftover.path, label=f"cleanup: {leftover.name}")
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
