"""Profiles: which attributes an Entra attribute mapping sends, and which one it matches on.

A profile is a YAML (or JSON) file; ``fixtures/profiles/`` holds the bundled ones and
``--profile PATH`` reads a user's own. The format is ``schemas/profile.schema.json``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from scimcheck.core import bundled, textfile, yamlsafe
from scimcheck.core.errors import ConfigError
from scimcheck.scim import schemas

DEFAULT_PROFILE = "entra-app"


@dataclass(frozen=True)
class Mapping:
    """The attributes Entra sends for one resource type, and the one it matches on."""

    matching: str
    attributes: tuple[str, ...]


@dataclass(frozen=True)
class Profile:
    """A named attribute mapping (users, and optionally groups)."""

    name: str
    description: str
    users: Mapping
    groups: Mapping | None
    source: str

    def user_sends(self, path: str) -> bool:
        """Whether the mapping sends this user attribute (attribute names are case-insensitive)."""
        return path.lower() in {a.lower() for a in self.users.attributes}


def bundled_names() -> list[str]:
    """Names of the profiles shipped in ``fixtures/profiles/``."""
    return sorted(p.stem for p in (bundled.fixtures_dir() / "profiles").glob("*.yaml"))


def bundled_file(name_or_source: str) -> Path | None:
    """The bundled profile file that ``name_or_source`` names, by its name (``entra-app``) or
    by the exact path of that file (``Profile.source``); ``None`` for anything else. Nothing is
    read: a failure record's profile is matched, never opened (docs/support.md)."""
    directory = bundled.fixtures_dir() / "profiles"
    for name in bundled_names():
        file = directory / f"{name}.yaml"
        if name_or_source in (name, str(file)):
            return file
    return None


def load(name_or_path: str | None) -> Profile:
    """Load a bundled profile by name, or a profile file by path."""
    choice = name_or_path or DEFAULT_PROFILE
    if choice == "auto":  # chosen from the endpoint's /Schemas once the run starts
        from scimcheck.scim import auto_profile

        return auto_profile.placeholder()
    path = Path(choice)
    if not (path.suffix in {".yaml", ".yml", ".json"} or path.exists()):
        path = bundled.fixtures_dir() / "profiles" / f"{choice}.yaml"
        if not path.is_file():
            raise ConfigError(
                f"unknown profile {choice!r}: the bundled profiles are "
                f"{', '.join(bundled_names())}; or auto, or pass the path of a profile file"
            )
    try:
        text = textfile.read(path)
    except OSError as exc:
        raise ConfigError(
            f"cannot read profile {str(path)!r}: {exc.strerror or exc}; check the path"
        ) from None
    try:
        data: Any = yamlsafe.load(text)
    except yaml.YAMLError as exc:
        where = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f":{mark.line + 1}"
        problem = getattr(exc, "problem", None) or "fix the syntax"
        raise ConfigError(
            f"{path}{where}: profile {str(path)!r} is not valid YAML: {problem}"
        ) from None
    problems = schemas.validate("profile", data)
    if problems:
        first = problems[0]
        raise ConfigError(
            f"profile {str(path)!r} is invalid: {first.path}: {first.message} "
            "(see schemas/profile.schema.json)"
        )
    users = _mapping(data["users"])
    groups = _mapping(data["groups"]) if data.get("groups") else None
    return Profile(
        name=str(data["name"]),
        description=str(data.get("description", "")),
        users=users,
        groups=groups,
        source=str(path),
    )


def _mapping(data: dict[str, Any]) -> Mapping:
    return Mapping(matching=str(data["matching"]), attributes=tuple(data["attributes"]))
