"""Generated users follow the profile, carry the run tag, and attribute paths read back."""

from __future__ import annotations

import pytest

from scimcheck import profiles
from scimcheck.endpoints import ENTERPRISE_USER_SCHEMA, USER_SCHEMA
from scimcheck.errors import ConfigError
from scimcheck.profiles import Mapping, Profile
from scimcheck.userdata import MISSING, UserFactory, get_path, set_path


def _profile(*attributes: str) -> Profile:
    return Profile(
        name="t", description="", users=Mapping("userName", ("userName", *attributes)),
        groups=None, source="test",
    )


def test_entra_app_profile_user_has_exactly_the_mapped_attributes() -> None:
    factory = UserFactory(profiles.load("entra-app"), "scimcheck-abcd1234", seed=1)
    user = factory.new_user()
    assert set(user.values) == {
        "userName", "active", "displayName", "name.givenName", "name.familyName"
    }
    assert user.user_name.startswith("scimcheck-abcd1234-")
    body = user.create_body()
    assert body["schemas"] == [USER_SCHEMA]
    assert body["active"] is True
    assert body["name"] == {
        "givenName": user.values["name.givenName"],
        "familyName": user.values["name.familyName"],
    }
    assert body["meta"] == {"resourceType": "User"}


def test_same_seed_same_user_and_different_seed_different_user() -> None:
    profile = profiles.load("entra-app")
    a = UserFactory(profile, "tag", seed=7).new_user()
    b = UserFactory(profile, "tag", seed=7).new_user()
    c = UserFactory(profile, "tag", seed=8).new_user()
    assert a.values == b.values
    assert a.values != c.values


def test_updated_values_change_every_attribute_but_active() -> None:
    user = UserFactory(profiles.load("entra-app"), "tag", seed=3).new_user()
    changed = user.updated_values(1)
    assert "active" not in changed
    for path, value in changed.items():
        assert value != user.values[path], path
    assert "tag" in changed["userName"]


def test_enterprise_and_work_email_paths_build_entra_shaped_bodies() -> None:
    department = f"{ENTERPRISE_USER_SCHEMA}:department"
    user = UserFactory(
        _profile('emails[type eq "work"].value', department), "tag", seed=1
    ).new_user()
    body = user.create_body()
    assert body["schemas"] == [USER_SCHEMA, ENTERPRISE_USER_SCHEMA]
    assert body["emails"] == [
        {"type": "work", "value": user.values['emails[type eq "work"].value'], "primary": True}
    ]
    assert body[ENTERPRISE_USER_SCHEMA] == {"department": user.values[department]}
    for path, value in user.values.items():
        assert get_path(body, path) == value


def test_unknown_attribute_is_a_config_error_naming_it() -> None:
    with pytest.raises(ConfigError, match="favouriteColour"):
        UserFactory(_profile("favouriteColour"), "tag", seed=1)


def test_get_path_is_case_insensitive_and_reports_missing() -> None:
    resource = {"Name": {"GivenName": "Ann"}, "emails": [{"type": "Work", "value": "a@x"}]}
    assert get_path(resource, "name.givenName") == "Ann"
    assert get_path(resource, 'emails[type eq "work"].value') == "a@x"
    assert get_path(resource, "name.familyName") is MISSING
    assert get_path(resource, "title") is MISSING
    assert get_path(None, "title") is MISSING


def test_set_path_nests_dotted_paths() -> None:
    body: dict[str, object] = {}
    set_path(body, "name.givenName", "A")
    set_path(body, "name.familyName", "B")
    assert body == {"name": {"givenName": "A", "familyName": "B"}}
