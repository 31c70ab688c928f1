"""Judging a resource's ``meta``: lastModified against earlier stamps (RFC 7643 §2.3.5, §3.1)
and resource URIs (§2.3.7). Whether a stamp is an xsd:dateTime at all is schema.user's and
schema.group's finding (schemas/scim/common.schema.json).

The sequence assertions ``later_than``, ``decidable_since``, ``uri_of`` and
``same_uri`` (docs/sequences.md) call these. Every value judged here came from the endpoint:
lengths are capped before parsing, and nothing here sends a request to a URI it read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

MAX_CHARS = 64
"""Longer than any xsd:dateTime a server writes; a longer value is not judged as one."""

MAX_URI_CHARS = 4096


def _show(value: Any) -> str:
    """A value from the endpoint, as a message shows it: repr'd and cut short."""
    shown = repr(value)
    return shown if len(shown) <= 80 else shown[:79] + "…"

_DATETIME = re.compile(
    r"(?P<year>-?\d{4,})-(?P<month>\d\d)-(?P<day>\d\d)"
    r"T(?P<hour>\d\d):(?P<minute>\d\d):(?P<second>\d\d)(?P<fraction>\.\d+)?"
    r"(?P<zone>Z|[+-]\d\d:\d\d)?",
    re.ASCII,
)


@dataclass(frozen=True, order=True)
class Instant:
    """An xsd:dateTime as a point in time: whole seconds (UTC when zoned) and the fraction."""

    seconds: int
    fraction: Fraction
    zoned: bool

    def comparable(self, other: Instant) -> bool:
        """xsd:dateTime orders a zoned and an unzoned value only partially: never compare them."""
        return self.zoned == other.zoned


def parse_datetime(value: Any) -> Instant | None:
    """The instant an xsd:dateTime string denotes (RFC 7643 §2.3.5), or ``None`` when it is not
    one: wrong shape, an impossible date or time, or longer than :data:`MAX_CHARS`."""
    if not isinstance(value, str) or len(value) > MAX_CHARS:
        return None
    found = _DATETIME.fullmatch(value)
    if found is None:
        return None
    parts = {k: v for k, v in found.groupdict().items() if v is not None}
    hour, minute, second = int(parts["hour"]), int(parts["minute"]), int(parts["second"])
    digits = parts.get("fraction", ".0")[1:]
    fraction = Fraction(int(digits), 10 ** len(digits))
    end_of_day = hour == 24  # xsd allows 24:00:00 for the midnight that ends a day
    if end_of_day and (minute or second or fraction):
        return None
    try:
        moment = datetime(int(parts["year"]), int(parts["month"]), int(parts["day"]),
                          0 if end_of_day else hour, minute, second, tzinfo=UTC)
    except ValueError:  # month 13, 30 February, minute 61, a year datetime cannot hold…
        return None
    if end_of_day:
        moment += timedelta(days=1)
    zone = parts.get("zone")
    if zone is not None and zone != "Z":
        zone_hours, zone_minutes = int(zone[1:3]), int(zone[4:6])
        if zone_hours > 14 or zone_minutes > 59:
            return None
        offset = timedelta(hours=zone_hours, minutes=zone_minutes)
        moment -= offset if zone[0] == "+" else -offset
    seconds = int((moment - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds())
    return Instant(seconds, fraction, zone is not None)


def judge_later(at: str, got: Any, earlier: Any) -> str | None:
    """``None`` when ``got`` is a DateTime strictly later than ``earlier``."""
    now, then = parse_datetime(got), parse_datetime(earlier)
    if now is None or then is None or not now.comparable(then):
        return f"{at} is {_show(got)}, which cannot be compared with {_show(earlier)}"
    if now > then:
        return None
    if now == then:
        return f"{at} is still {_show(got)} after the change"
    return f"{at} went backwards: {_show(got)} is earlier than {_show(earlier)}"


def judge_decidable(at: str, got: Any, spec: Any) -> str | None:
    """``None`` when whether ``got`` moved on from ``spec['since']`` proves anything.

    A change must move lastModified, but a server whose clock ticks in whole seconds (or
    coarser) legitimately writes the same value for a create and a change made within the same
    tick. Waiting a second would slow every run, so the judgement takes its evidence from the
    endpoint itself: ``spec['clock']`` is a timestamp the endpoint wrote after ``since`` and
    before the change was sent (another resource's meta.created). It is decidable when the
    value differs from ``since`` (it moved on, or went backwards), or when the endpoint's own
    clock had already passed ``since`` before the change: a value still equal to ``since`` is
    then a stamp that was not updated. Otherwise the check is not judged, never passed."""
    if not isinstance(spec, dict):
        return f"cannot be judged: expected {{since, clock}}, got {_show(spec)}"
    now, since, clock = (parse_datetime(v) for v in (got, spec.get("since"), spec.get("clock")))
    if now is None or since is None:
        return f"{at} ({_show(got)}) or the earlier value ({_show(spec.get('since'))}) is no " \
               "DateTime"
    if not now.comparable(since):
        return f"{at} ({_show(got)}) and {_show(spec.get('since'))} mix zoned and unzoned " \
               "DateTimes"
    if now != since:
        return None
    if clock is not None and clock.comparable(since) and clock > since:
        return None
    return (f"{at} is still {_show(got)}, but the endpoint's own timestamps show no tick of "
            f"its clock between the create and the change (the next one it wrote was "
            f"{_show(spec.get('clock'))}): equal stamps prove nothing at this pace")


def resolve_reference(value: str, service_root: str) -> str:
    """A reference as an absolute URI: a relative one resolves against the service root, the
    base URI up to (not including) the endpoint (RFC 7643 §2.3.7)."""
    return urljoin(service_root.rstrip("/") + "/", value)


def judge_uri_of(at: str, got: Any, resource_path: str, service_root: str) -> str | None:
    """``None`` when ``got`` is the URI of the resource at ``resource_path`` (``/Users/<id>``):
    an http(s) URI, relative ones resolved per RFC 7643 §2.3.7, whose path ends with
    ``resource_path`` (the collection in any letter case, the id exactly, percent-decoded).

    The host is not compared: behind a proxy an endpoint names itself by its public address.
    scimcheck never sends a request to a URI it read, so this judges the URI's form only."""
    if not isinstance(got, str) or not got or len(got) > MAX_URI_CHARS:
        shown = "absent" if got is None else _show(got)  # a missing value shows as absent
        return f"{at} is {shown}, expected the URI of {resource_path}"
    try:
        parts = urlsplit(resolve_reference(got, service_root))
    except ValueError:  # e.g. an unclosed [ in the host: not a URI at all
        return f"{at} is {_show(got)}, not a URI (expected the URI of {resource_path})"
    collection, _, wanted_id = resource_path.rstrip("/").rpartition("/")
    path = unquote(parts.path.rstrip("/"))
    head, _, got_id = path.rpartition("/")
    problems = []
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        problems.append("not an http(s) URI")
    if parts.query or parts.fragment:
        problems.append("it carries a query or fragment")
    if got_id != wanted_id or not head.lower().endswith(collection.lower()):
        problems.append(f"its path does not end with {resource_path}")
    if not problems:
        return None
    return f"{at} is {_show(got)}: {', '.join(problems)}"


def same_uri(first: str, second: str) -> bool:
    """Two absolute URIs name the same resource: scheme and host in any letter case, a default
    port spelled or not, a trailing slash ignored (RFC 3986 §6.2.3)."""
    one, two = urlsplit(first), urlsplit(second)
    return (_origin(one.scheme, one.netloc) == _origin(two.scheme, two.netloc)
            and unquote(one.path.rstrip("/")) == unquote(two.path.rstrip("/"))
            and one.query == two.query)


def _origin(scheme: str, netloc: str) -> tuple[str, str]:
    scheme, host = scheme.lower(), netloc.lower().rpartition("@")[2]
    default = {"http": ":80", "https": ":443"}.get(scheme)
    if default and host.endswith(default):
        host = host[: -len(default)]
    return scheme, host


def judge_same_uri(
    at: str, got: Any, expected: Any, request_url: str, service_root: str
) -> str | None:
    """``None`` when a Location header (relative ones resolve against the request URI, RFC 9110
    §10.2.2) names the same URI as ``expected``, a meta.location (resolved per RFC 7643
    §2.3.7)."""
    if not isinstance(got, str) or not got or len(got) > MAX_URI_CHARS:
        return f"{at} is absent, expected {_show(expected)}"
    if not isinstance(expected, str) or not expected or len(expected) > MAX_URI_CHARS:
        return f"{at} cannot be compared with {_show(expected)}"
    try:
        if same_uri(urljoin(request_url, got), resolve_reference(expected, service_root)):
            return None
    except ValueError:  # e.g. an unclosed [ in the host: not a URI at all
        return f"{at} is {_show(got)}, and meta.location {_show(expected)}: not both URIs"
    return f"{at} is {_show(got)}, but meta.location is {_show(expected)}: they must be equal"
