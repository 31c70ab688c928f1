"""What a verdict covers: the mapping the run replayed, and each Entra-blocking check it did not
judge, with why and what would judge it (issue 14 §1).

A PASS is only as wide as the attribute mapping replayed: a check whose sequence needs an
attribute the profile does not send (a work email, the enterprise extension), or TLS on a
plain-http target, was never judged. The summary names them instead of letting the PASS hide
them. Entra's default mappings:
https://learn.microsoft.com/en-us/entra/identity/app-provisioning/customize-application-attributes
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scimcheck.checks.registry import Level
from scimcheck.core import bundled
from scimcheck.core.errors import DEADLINE_REACHED, SequenceFileError
from scimcheck.scim import profiles
from scimcheck.scim.capabilities import OPTIONAL_FEATURES
from scimcheck.sequences import files as sequence_files

if TYPE_CHECKING:
    from scimcheck.scim.profiles import Profile

NOT_REACHED = "not evaluated in this run"
"""The message of a check no test reached (``results.NOT_EVALUATED``)."""


def mapping(profile: Profile) -> dict[str, Any]:
    """The mapping a run replayed: the profile's name, user attributes and group attributes."""
    chosen = {"chosen": profile.description} if profile.source == "auto" else {}
    return {
        "profile": profile.name,
        "users": list(profile.users.attributes),
        "groups": list(profile.groups.attributes) if profile.groups is not None else None,
        **chosen,
    }


def describe(scope: dict[str, Any]) -> str:
    """``the entra-app mapping (userName, active, …; groups)``, for a verdict line."""
    groups = "groups" if scope.get("groups") is not None else "no groups"
    users = ", ".join(str(a) for a in scope.get("users") or [])
    return f"the {scope.get('profile')} mapping ({users}; {groups})"


@functools.cache
def _requirements() -> dict[str, list[tuple[str, ...]]]:
    """Check id → the ``requires`` of each bundled sequence file that judges it."""
    found: dict[str, list[tuple[str, ...]]] = {}
    for spec in sequence_files.load_all([bundled.fixtures_dir() / "sequences"]):
        if isinstance(spec, SequenceFileError):
            continue
        ids = {e.check for step in spec.steps for e in step.expect}
        ids |= {step.diagnose_parts.check for step in spec.steps if step.diagnose_parts}
        ids |= {
            step.diagnose_parts.dotted_keys_check for step in spec.steps
            if step.diagnose_parts and step.diagnose_parts.dotted_keys_check
        }
        for check_id in ids:
            found.setdefault(check_id, []).append(spec.requires)
    return found


def _mapped(requires: tuple[str, ...], profile: Profile) -> list[str]:
    """The attributes (or groups) of ``requires`` the profile does not send."""
    missing = []
    for need in requires:
        if need in OPTIONAL_FEATURES:
            continue
        if need == "groups":
            if profile.groups is None:
                missing.append("groups")
        elif not profile.user_sends(need):
            missing.append(need)
    return missing


def _profile_for(requires: tuple[str, ...]) -> str | None:
    """The first bundled profile that sends everything ``requires`` names."""
    for name in profiles.bundled_names():
        if not _mapped(requires, profiles.load(name)):
            return name
    return None


def _why(
    entry: dict[str, Any], profile: Profile, target: str, examples: int, deadline: bool
) -> tuple[str, str | None]:
    """Why the check was not judged, and the flag (or action) that judges it."""
    message = str(entry.get("message") or "")
    if message and message != NOT_REACHED:
        return message, None  # the reason names what the endpoint must pass first
    if entry["id"].startswith("transport.tls") and urlsplit(target).scheme != "https":
        return "the target is plain http: no TLS was negotiated", "an https URL"
    if entry["id"].startswith("generated.") and examples == 0:
        return "generated users were not searched (--examples 0)", "--examples N (default 100)"
    needs = _requirements().get(entry["id"], [])
    unmapped = [(r, _mapped(r, profile)) for r in needs]
    if needs and all(missing for _, missing in unmapped):
        requires, missing = unmapped[0]
        other = _profile_for(requires)
        return (
            f"the {profile.name} mapping does not send {', '.join(missing)}",
            f"--profile {other}" if other else "a --profile that maps them",
        )
    if deadline:
        return f"{DEADLINE_REACHED}: not every test ran", "a longer --deadline"
    return "no test reached it (a skipped sequence or test selection)", None


def not_judged(
    entries: list[dict[str, Any]], profile: Profile, target: str, examples: int,
    deadline: bool = False,
) -> list[dict[str, Any]]:
    """Every Entra-blocking check the run did not judge: ``id``, ``reason``, ``judged_by``."""
    out = []
    for entry in entries:
        if entry["level"] != Level.ENTRA_BLOCKING.value or entry["outcome"] != "skipped":
            continue
        reason, judged_by = _why(entry, profile, target, examples, deadline)
        out.append({"id": entry["id"], "reason": reason, "judged_by": judged_by})
    return out


def grouped(unjudged: list[dict[str, Any]]) -> list[tuple[str, str | None, list[str]]]:
    """The unjudged checks grouped by (reason, what judges them), in first-seen order."""
    groups: dict[tuple[str, str | None], list[str]] = {}
    for item in unjudged:
        groups.setdefault((item["reason"], item.get("judged_by")), []).append(item["id"])
    return [(reason, flag, ids) for (reason, flag), ids in groups.items()]


def summary_lines(document: dict[str, Any]) -> list[str]:
    """The terminal lines after the verdict: the unjudged Entra-blocking checks, by reason."""
    unjudged = document.get("not_judged") or []
    chosen = (document.get("scope") or {}).get("chosen")
    lines = [f"  profile auto: {chosen}"] if chosen else []
    if not unjudged:
        return lines
    lines += [f"  Not judged (entra-blocking, {len(unjudged)}): this verdict says nothing "
             "about them"]
    for reason, flag, ids in grouped(unjudged):
        judged = f" → judged with {flag}" if flag else ""
        lines.append(f"    · {reason}{judged}: {', '.join(ids)}")
    return lines
