"""Every broken variant differs from the correct server in its one behaviour (docs/entra.md §7).

Each test shows the behaviour on the correct server and on the variant, plus a nearby behaviour
the variant must leave alone.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest

from scimcheck.server import VARIANTS, store
from scimcheck.server.variant_middleware import variant_kind
from scimcheck.server.variant_switches import behaviour_for
from server.scim_client import (
    ADSCIM,
    ENTERPRISE,
    ENTRA_CONTENT_TYPE,
    ERROR_SCHEMA,
    GROUP_SCHEMA,
    LIST_SCHEMA,
    TOKEN,
    USER_SCHEMA,
    Scim,
    assert_error,
    body_of,
)


def _pair(variant: str) -> tuple[Scim, Scim]:
    return Scim(), Scim(variant=variant)


def _test_name(variant: str) -> str:
    return "test_" + variant.replace("-", "_")


def test_every_variant_has_a_test_and_a_description() -> None:
    module = sys.modules[__name__]
    missing = [v for v in VARIANTS if not hasattr(module, _test_name(v))]
    assert missing == []
    for name, description in VARIANTS.items():
        assert description and "\n" not in description
        assert variant_kind(name) in ("switch", "guard", "rewrite")
    with pytest.raises(ValueError, match="valid variants"):
        behaviour_for("no-such-variant")


def test_ops_case_sensitive() -> None:
    for api, ok in zip(_pair("ops-case-sensitive"), (True, False), strict=True):
        user = api.create_user("ops@example.com")
        response = api.patch(f"/Users/{user['id']}",
                             [{"op": "Replace", "path": "title", "value": "T"}])
        if ok:
            assert response.status_code == 200
        else:
            assert_error(response, 400, "invalidSyntax")
        lower = api.patch(f"/Users/{user['id']}", [{"op": "replace", "path": "title",
                                                   "value": "t"}])
        assert lower.status_code == 200


def test_string_false_truthy() -> None:
    for api, expected in zip(_pair("string-false-truthy"), (False, True), strict=True):
        user = api.create_user("sf@example.com")
        api.patch(f"/Users/{user['id']}", [{"op": "Replace", "path": "active", "value": "False"}])
        assert api.user(user["id"])["active"] is expected
        assert api.create_user("sf2@example.com", active="False")["active"] is expected
        api.patch(f"/Users/{user['id']}", [{"op": "replace", "path": "active", "value": False}])
        assert api.user(user["id"])["active"] is False  # real booleans still work


def test_no_match_404() -> None:
    correct, broken = _pair("no-match-404")
    probe = 'userName eq "7d420df3-9995-4831-a406-ecf8166f5f6a"'
    assert body_of(correct.filter_users(probe))["totalResults"] == 0
    assert_error(broken.filter_users(probe), 404)
    broken.create_user("found@example.com")
    assert body_of(broken.filter_users('userName eq "found@example.com"'))["totalResults"] == 1


def test_duplicate_accepted() -> None:
    correct, broken = _pair("duplicate-accepted")
    for api in (correct, broken):
        api.create_user("dup@example.com")
    assert_error(correct.post("/Users", {"userName": "DUP@example.com"}), 409, "uniqueness")
    assert broken.post("/Users", {"userName": "DUP@example.com"}).status_code == 201
    assert body_of(broken.filter_users('userName eq "dup@example.com"'))["totalResults"] == 2
    broken.create_group("G")
    assert_error(broken.post("/Groups", {"displayName": "G"}), 409, "uniqueness")


def test_filter_case_sensitive() -> None:
    for api, found in zip(_pair("filter-case-sensitive"), (1, 0), strict=True):
        api.create_user("Alice@Example.com", displayName="Alice A")
        assert body_of(api.filter_users('userName eq "alice@example.com"'))["totalResults"] \
            == found
        assert body_of(api.filter_users('displayName eq "ALICE A"'))["totalResults"] == found
        assert body_of(api.filter_users('userName eq "Alice@Example.com"'))["totalResults"] == 1


def test_plain_errors() -> None:
    correct, broken = _pair("plain-errors")
    assert_error(correct.get("/Users/nope"), 404)
    response = broken.get("/Users/nope")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == ENTRA_CONTENT_TYPE
    assert body_of(response) == {"error": "User 'nope' not found"}
    response = broken.filter_users("bad filter")
    assert response.status_code == 400 and set(body_of(response)) == {"error"}


def test_no_location() -> None:
    correct, broken = _pair("no-location")
    assert correct.post("/Users", {"userName": "l@x.com"}).headers.get("Location")
    response = broken.post("/Users", {"userName": "l@x.com"})
    assert response.status_code == 201 and "Location" not in response.headers
    assert body_of(response)["meta"]["location"].endswith(body_of(response)["id"])


def test_group_create_no_location() -> None:
    correct, broken = _pair("group-create-no-location")
    assert correct.post("/Groups", {"displayName": "L"}).headers.get("Location")
    response = broken.post("/Groups", {"displayName": "L"})
    assert response.status_code == 201 and "Location" not in response.headers
    assert broken.post("/Users", {"userName": "l@x.com"}).headers.get("Location")  # users keep it


def test_location_header_not_meta_location() -> None:
    for api, same in zip(_pair("location-header-not-meta-location"), (True, False), strict=True):
        for path, body in (("/Users", {"userName": "l@x.com"}), ("/Groups", {"displayName": "L"})):
            response = api.post(path, body)
            created = body_of(response)
            location = response.headers["Location"]
            assert location.endswith(f"{path}/{created['id']}")
            assert (location == created["meta"]["location"]) is same


def test_no_meta_location() -> None:
    for api, kept in zip(_pair("no-meta-location"), (True, False), strict=True):
        user = api.create_user("m@x.com")
        group = api.create_group("M")
        for resource in (user, api.user(user["id"]), group, api.group(group["id"])):
            assert ("location" in resource["meta"]) is kept
            assert resource["meta"]["created"]  # the rest of meta stays
        listed = body_of(api.filter_users('userName eq "m@x.com"'))["Resources"][0]
        assert ("location" in listed["meta"]) is kept


def test_meta_location_only() -> None:
    for api, full in zip(_pair("meta-location-only"), (True, False), strict=True):
        user = api.create_user("m@x.com")
        group = api.create_group("M")
        for resource in (user, api.user(user["id"]), group, api.group(group["id"])):
            wanted = {"resourceType", "created", "lastModified", "location"} if full \
                else {"location"}
            assert wanted <= set(resource["meta"]) and ("created" in resource["meta"]) is full


def test_lastmodified_frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    ticks = iter(range(10, 100))  # a clock that always moves on: no dependence on real time
    monkeypatch.setattr(store, "_now", lambda: f"2026-01-01T00:00:{next(ticks)}Z")
    for api, moves in zip(_pair("lastmodified-frozen"), (True, False), strict=True):
        user = api.create_user("f@x.com", title="Old")
        created = user["meta"]
        assert created["lastModified"] == created["created"]
        api.patch(f"/Users/{user['id']}", [{"op": "replace", "path": "title", "value": "New"}])
        after = api.user(user["id"])
        assert after["title"] == "New"  # the change itself is stored
        assert (after["meta"]["lastModified"] > created["lastModified"]) is moves
        assert after["meta"]["created"] == created["created"]


def test_no_auth() -> None:
    correct, broken = _pair("no-auth")
    assert_error(correct.get("/Users", token=None), 401)
    assert broken.get("/Users", token=None).status_code == 200
    assert broken.get("/Users", token="wrong").status_code == 200


def test_wrong_token_accepted() -> None:
    correct, broken = _pair("wrong-token-accepted")
    assert_error(correct.get("/Users", token="wrong"), 401)
    assert broken.get("/Users", token="wrong").status_code == 200
    assert_error(broken.get("/Users", token=None), 401)  # a missing token is still refused


def test_no_www_authenticate() -> None:
    correct, broken = _pair("no-www-authenticate")
    for token in (None, "wrong"):
        assert correct.get("/Users", token=token).headers["WWW-Authenticate"].startswith("Bearer")
        response = broken.get("/Users", token=token)
        assert_error(response, 401)
        assert "WWW-Authenticate" not in response.headers
    assert broken.get("/Users").status_code == 200


def test_filter_names_case_exact() -> None:
    correct, broken = _pair("filter-names-case-exact")
    for api in (correct, broken):
        api.create_user("names@example.com")
    for name in ("USERNAME", "username"):
        found = f'{name} eq "names@example.com"'
        assert body_of(correct.filter_users(found))["totalResults"] == 1
        assert body_of(broken.filter_users(found))["totalResults"] == 0
    assert body_of(broken.filter_users('userName eq "NAMES@example.com"'))["totalResults"] == 1


def test_username_unique_case_exact() -> None:
    correct, broken = _pair("username-unique-case-exact")
    for api in (correct, broken):
        api.create_user("case@example.com")
        assert_error(api.post("/Users", {"userName": "case@example.com"}), 409, "uniqueness")
    assert_error(correct.post("/Users", {"userName": "CASE@example.com"}), 409, "uniqueness")
    assert broken.post("/Users", {"userName": "CASE@example.com"}).status_code == 201


def test_group_duplicate_displayname() -> None:
    correct, broken = _pair("group-duplicate-displayname")
    group = {"schemas": [GROUP_SCHEMA], "displayName": "Team"}
    for api in (correct, broken):
        assert api.post("/Groups", group).status_code == 201
    assert_error(correct.post("/Groups", group), 409, "uniqueness")
    assert broken.post("/Groups", group).status_code == 201
    broken.create_user("dup@example.com")
    assert_error(broken.post("/Users", {"userName": "dup@example.com"}), 409, "uniqueness")


def test_password_echoed_on_create() -> None:
    correct, broken = _pair("password-echoed-on-create")
    user = {"schemas": [USER_SCHEMA], "userName": "pw@example.com", "password": "Secret-1"}
    assert "password" not in body_of(correct.post("/Users", user))
    created = body_of(broken.post("/Users", user))
    assert created["password"] == "Secret-1"
    assert "password" not in broken.user(created["id"])  # only the create's answer echoes it


def test_patch_answers_before_change() -> None:
    correct, broken = _pair("patch-answers-before-change")
    for api, answered in zip((correct, broken), ("New", "Old"), strict=True):
        user = api.create_user("before@example.com", title="Old")
        response = api.patch(f"/Users/{user['id']}",
                             [{"op": "replace", "path": "title", "value": "New"}])
        assert response.status_code == 200
        assert body_of(response)["title"] == answered
        assert api.user(user["id"])["title"] == "New"  # the change itself is stored


def test_total_results_page_size() -> None:
    correct, broken = _pair("total-results-page-size")
    for api in (correct, broken):
        for n in range(3):
            api.create_user(f"total{n}@example.com")
    for api, total in zip((correct, broken), (3, 1), strict=True):
        page = body_of(api.get("/Users", query={"startIndex": "1", "count": "1"}))
        assert (page["totalResults"], page["itemsPerPage"], len(page["Resources"])) == (total, 1, 1)


def test_json_content_type() -> None:
    correct, broken = _pair("json-content-type")
    assert correct.get("/Users").headers["Content-Type"] == ENTRA_CONTENT_TYPE
    for response in (broken.get("/Users"), broken.get("/Users/nope"),
                     broken.post("/Users", {"userName": "j@x.com"})):
        assert response.headers["Content-Type"].startswith("application/json")
    assert body_of(broken.get("/Users"))["schemas"] == [LIST_SCHEMA]


def test_create_answers_oldest_user() -> None:
    correct, broken = _pair("create-answers-oldest-user")
    for api in (correct, broken):
        api.post("/Users", {"userName": "first@x.com"})
    assert body_of(correct.post("/Users", {"userName": "second@x.com"}))["userName"] == \
        "second@x.com"
    answer = broken.post("/Users", {"userName": "second@x.com"})
    assert answer.status_code == 201 and body_of(answer)["userName"] == "first@x.com"
    assert body_of(broken.get("/Users"))["totalResults"] == 2


def test_create_answers_foreign_id() -> None:
    correct, broken = _pair("create-answers-foreign-id")
    for api in (correct, broken):
        api.post("/Users", {"userName": "first@x.com"})
    assert body_of(correct.post("/Users", {"userName": "second@x.com"}))["userName"] == \
        "second@x.com"
    first = body_of(broken.get("/Users", query={"filter": 'userName eq "first@x.com"'}))
    answer = broken.post("/Users", {"userName": "second@x.com"})
    assert answer.status_code == 201 and "userName" not in body_of(answer)
    assert body_of(answer)["id"] == first["Resources"][0]["id"]
    assert body_of(broken.get("/Users"))["totalResults"] == 2


def test_create_answers_same_id() -> None:
    correct, broken = _pair("create-answers-same-id")
    ids = {api: [body_of(api.post("/Users", {"userName": f"u{n}@x.com"}))["id"]
                 for n in range(3)] for api in (correct, broken)}
    assert len(set(ids[correct])) == 3
    assert len(set(ids[broken])) == 1
    answer = body_of(broken.post("/Users", {"userName": "u3@x.com"}))
    assert answer["userName"] == "u3@x.com" and answer["id"] == ids[broken][0]
    assert body_of(broken.get("/Users"))["totalResults"] == 4
    assert body_of(broken.post("/Groups", {"displayName": "G"}))["id"] != ids[broken][0]


def test_create_reuses_deleted_id() -> None:
    correct, broken = _pair("create-reuses-deleted-id")
    for api, reused in ((correct, False), (broken, True)):
        gone = body_of(api.post("/Users", {"userName": "gone@x.com"}))["id"]
        assert api.delete(f"/Users/{gone}").status_code == 204
        answer = body_of(api.post("/Users", {"userName": "next@x.com"}))
        assert (answer["id"] == gone) is reused
        assert api.get(f"/Users/{gone}").status_code == 404  # stored under another id
        later = body_of(api.post("/Users", {"userName": "later@x.com"}))
        assert later["id"] != gone  # only the next create after a delete


def test_echoes_token() -> None:
    correct, broken = _pair("echoes-token")
    assert "X-Debug-Authorization" not in correct.get("/Users").headers
    assert broken.get("/Users").headers["X-Debug-Authorization"] == f"Bearer {TOKEN}"
    assert f"Bearer {TOKEN}" in body_of(broken.get("/Users/nope"))["detail"]


def test_latin1_bodies() -> None:
    correct, broken = _pair("latin1-bodies")
    user = {"userName": "zoë@x.com", "displayName": "Zoë Ñúñez"}
    assert correct.post("/Users", user).get_data().decode("utf-8")
    response = broken.post("/Users", {**user, "userName": "zoe2@x.com"})
    assert response.status_code == 201
    assert response.headers["Content-Type"] == ENTRA_CONTENT_TYPE
    with pytest.raises(UnicodeDecodeError):
        response.get_data().decode("utf-8")
    assert json.loads(response.get_data().decode("iso-8859-1"))["displayName"] == "Zoë Ñúñez"


def test_create_200() -> None:
    correct, broken = _pair("create-200")
    assert correct.post("/Users", {"userName": "c@x.com"}).status_code == 201
    response = broken.post("/Users", {"userName": "c@x.com"})
    assert response.status_code == 200
    assert response.headers["Location"] == body_of(response)["meta"]["location"]


def test_list_missing_total() -> None:
    correct, broken = _pair("list-missing-total")
    assert body_of(correct.get("/Users"))["totalResults"] == 0
    body = body_of(broken.get("/Users"))
    assert "totalResults" not in body
    assert body == {"schemas": [LIST_SCHEMA], "itemsPerPage": 0, "startIndex": 1,
                    "Resources": []}


def test_user_without_schemas() -> None:
    correct, broken = _pair("user-without-schemas")
    assert "schemas" in correct.create_user("s@x.com")
    user = broken.create_user("s@x.com")
    assert "schemas" not in user and "schemas" not in broken.user(user["id"])
    assert "schemas" not in body_of(broken.get("/Users"))["Resources"][0]
    assert body_of(broken.get("/Users"))["schemas"] == [LIST_SCHEMA]
    assert broken.create_group("G")["schemas"] == [GROUP_SCHEMA]


def test_uppercase_family_name() -> None:
    for api, expected in zip(_pair("uppercase-family-name"), ("Lee", "LEE"), strict=True):
        user = api.create_user("u@x.com", name={"familyName": "Lee", "givenName": "Ann"})
        assert user["name"] == {"familyName": expected, "givenName": "Ann"}
        api.patch(f"/Users/{user['id']}", [{"op": "Replace", "path": "name.familyName",
                                            "value": "Lee"}])
        assert api.user(user["id"])["name"]["familyName"] == expected


def test_patch_names_ignored() -> None:
    for api, applied in zip(_pair("patch-names-ignored"), (True, False), strict=True):
        user = api.create_user("n@x.com", displayName="Old", name={"givenName": "Old"})
        response = api.patch(f"/Users/{user['id']}", [
            {"op": "Replace", "path": "displayName", "value": "New"},
            {"op": "Replace", "path": "name.givenName", "value": "New"},
            {"op": "replace", "value": {"userName": "new@x.com", "name.familyName": "New"}},
            {"op": "Replace", "path": "active", "value": "False"},
        ])
        assert response.status_code == 200
        stored = api.user(user["id"])
        assert (stored["displayName"] == "New") is applied
        assert (stored["name"] == {"givenName": "New", "familyName": "New"}) is applied
        assert (stored["userName"] == "new@x.com") is applied
        assert stored["active"] is False


def test_pathless_dotted_rejected() -> None:
    for api, ok in zip(_pair("pathless-dotted-rejected"), (True, False), strict=True):
        user = api.create_user("pr@x.com")
        response = api.patch(f"/Users/{user['id']}", [{"op": "replace", "value": {
            "name.givenName": "G"}}])
        if ok:
            assert response.status_code == 200
        else:
            assert_error(response, 400, "invalidPath")
        # plain keys, URN keys and a path naming the sub-attribute still work
        plain = api.patch(f"/Users/{user['id']}", [
            {"op": "replace", "value": {"displayName": "D", f"{ENTERPRISE}:employeeNumber": "E"}},
            {"op": "replace", "path": "name.givenName", "value": "H"},
        ])
        assert plain.status_code == 200
        stored = api.user(user["id"])
        assert stored["displayName"] == "D" and stored["name"]["givenName"] == "H"


def test_single_op_patch_only() -> None:
    for api, ok in zip(_pair("single-op-patch-only"), (True, False), strict=True):
        user = api.create_user("so@x.com")
        both = api.patch(f"/Users/{user['id']}", [
            {"op": "Replace", "path": "displayName", "value": "D"},
            {"op": "Replace", "path": "title", "value": "T"},
        ])
        if ok:
            assert both.status_code == 200
        else:
            assert_error(both, 400, "invalidSyntax")
        alone = api.patch(f"/Users/{user['id']}", [{"op": "Replace", "path": "title",
                                                   "value": "U"}])
        assert alone.status_code == 200 and api.user(user["id"])["title"] == "U"


ENTRA_ROLE_PATCH = [{"op": "Add", "path": "roles", "value": [
    {"value": '{"id":"7c1f7a52","value":"Approver","displayName":"Approver"}'}]}]


def _role_json_string(variant: str) -> None:
    for api, correct in zip(_pair(variant), (True, False), strict=True):
        user = api.create_user("role@x.com")
        response = api.patch(f"/Users/{user['id']}", ENTRA_ROLE_PATCH)
        roles = api.user(user["id"]).get("roles", [])
        if correct:
            assert response.status_code == 200
            assert roles == [{"value": "Approver", "display": "Approver"}]
        elif variant.endswith("raw"):
            assert response.status_code == 200 and roles[0]["value"].startswith("{")
        else:
            assert_error(response, 400, "invalidValue")
        # the POST form of a role (Entra's create, and its compliant-dialect PATCH) is untouched
        plain = api.patch(f"/Users/{user['id']}", [{"op": "add", "path": "roles", "value": [
            {"primary": False, "type": "WindowsAzureActiveDirectoryRole", "value": "Reader"}]}])
        assert plain.status_code == 200
        assert "Reader" in [r["value"] for r in api.user(user["id"])["roles"]]


def test_role_json_string_raw() -> None:
    _role_json_string("role-json-string-raw")


def test_role_json_string_rejected() -> None:
    _role_json_string("role-json-string-rejected")


def test_pathless_dotted_ignored() -> None:
    for api, applied in zip(_pair("pathless-dotted-ignored"), (True, False), strict=True):
        user = api.create_user("p@x.com")
        api.patch(f"/Users/{user['id']}", [{"op": "replace", "value": {
            "displayName": "D", "name.givenName": "G",
            f"{ENTERPRISE}:employeeNumber": "E1"}}])
        stored = api.user(user["id"])
        assert (stored.get("name") == {"givenName": "G"}) is applied
        assert stored["displayName"] == "D" and stored[ENTERPRISE] == {"employeeNumber": "E1"}
        api.patch(f"/Users/{user['id']}", [{"op": "replace", "path": "name.givenName",
                                            "value": "H"}])
        assert api.user(user["id"])["name"] == {"givenName": "H"}


def test_disabled_hidden_from_filter() -> None:
    for api, visible in zip(_pair("disabled-hidden-from-filter"), (1, 0), strict=True):
        user = api.create_user("d@x.com", active=False)
        api.create_user("e@x.com")
        assert body_of(api.filter_users('userName eq "d@x.com"'))["totalResults"] == visible
        assert api.user(user["id"])["active"] is False
        assert body_of(api.filter_users('userName eq "e@x.com"'))["totalResults"] == 1


def test_no_reenable() -> None:
    for api, expected in zip(_pair("no-reenable"), (True, False), strict=True):
        user = api.create_user("r@x.com")
        path = f"/Users/{user['id']}"
        api.patch(path, [{"op": "Replace", "path": "active", "value": "False"}])
        assert api.user(user["id"])["active"] is False
        api.patch(path, [{"op": "Replace", "path": "active", "value": "True"}])
        assert api.user(user["id"])["active"] is expected


def test_delete_200() -> None:
    correct, broken = _pair("delete-200")
    user = correct.create_user("x@x.com")
    assert correct.delete(f"/Users/{user['id']}").status_code == 204
    user = broken.create_user("x@x.com")
    response = broken.delete(f"/Users/{user['id']}")
    assert response.status_code == 200 and body_of(response)["id"] == user["id"]
    assert_error(broken.get(f"/Users/{user['id']}"), 404)


def test_soft_delete() -> None:
    correct, broken = _pair("soft-delete")
    for api, kept in ((correct, False), (broken, True)):
        user = api.create_user("sd@x.com", active=True)
        assert api.delete(f"/Users/{user['id']}").status_code == 204
        assert api.get(f"/Users/{user['id']}").status_code == (200 if kept else 404)
        found = body_of(api.filter_users('userName eq "sd@x.com"')).get("Resources", [])
        assert [(r["id"], r["active"]) for r in found] == ([(user["id"], False)] if kept else [])
        listed = [r["id"] for r in body_of(api.get("/Users")).get("Resources", [])]
        assert (user["id"] in listed) is kept
        again = api.post("/Users", {"schemas": [USER_SCHEMA], "userName": "sd@x.com"})
        assert again.status_code == (409 if kept else 201)
    assert_error(broken.delete("/Users/nope"), 404)


def test_recreate_refused() -> None:
    for api, refused in zip(_pair("recreate-refused"), (False, True), strict=True):
        user = api.create_user("rr@x.com")
        assert api.delete(f"/Users/{user['id']}").status_code == 204
        assert_error(api.get(f"/Users/{user['id']}"), 404)  # gone from GET and filters
        assert body_of(api.filter_users('userName eq "rr@x.com"')).get("Resources", []) == []
        again = api.post("/Users", {"schemas": [USER_SCHEMA], "userName": "RR@x.com"})
        if refused:
            assert_error(again, 409, "uniqueness")
        else:
            assert again.status_code == 201
        assert api.post("/Users", {"schemas": [USER_SCHEMA], "userName": "other@x.com"}) \
            .status_code == 201  # other names are free


def test_deleted_values_reserved() -> None:
    email = [{"type": "work", "value": "Kept@Example.com", "primary": True}]
    correct, broken = _pair("deleted-values-reserved")
    for api in (correct, broken):
        user = api.create_user("kept@x.com", emails=email, externalId="ext-1", title="t" * 80)
        assert api.delete(f"/Users/{user['id']}").status_code == 204
        assert_error(api.get(f"/Users/{user['id']}"), 404)  # gone from GET all the same
    assert len(correct.create_user("KEPT@x.com", emails=email, externalId="ext-1")["id"]) > 0
    for reused in ({"userName": "KEPT@x.com"}, {"userName": "new@x.com", "externalId": "ext-1"},
                   {"userName": "new@x.com", "emails": [{"value": "kept@example.COM"}]}):
        assert_error(broken.post("/Users", {"schemas": [USER_SCHEMA], **reused}), 409, "uniqueness")
    fresh = broken.create_user("fresh@x.com", title="t" * 80)  # and the defect it is paired with
    assert broken.user(fresh["id"])["title"] == "t" * 64


def _group_with_two(api: Scim) -> tuple[str, list[str]]:
    users = [api.create_user(f"g{n}@x.com")["id"] for n in range(2)]
    return api.create_group("G", members=users)["id"], users


def _member_ids(api: Scim, group_id: str) -> list[str]:
    return [m["value"] for m in api.group(group_id).get("members", [])]


def _remove_one(api: Scim, group_id: str, user_id: str) -> Any:
    return api.patch(f"/Groups/{group_id}", [{"op": "Remove", "path": "members",
                                             "value": [{"$ref": None, "value": user_id}]}])


def test_member_remove_wipes_all() -> None:
    for api, left in zip(_pair("member-remove-wipes-all"), (1, 0), strict=True):
        group_id, users = _group_with_two(api)
        assert _remove_one(api, group_id, users[0]).status_code == 200
        assert len(_member_ids(api, group_id)) == left


def test_member_value_remove_rejected() -> None:
    correct, broken = _pair("member-value-remove-rejected")
    group_id, users = _group_with_two(correct)
    assert _remove_one(correct, group_id, users[0]).status_code == 200
    group_id, users = _group_with_two(broken)
    assert_error(_remove_one(broken, group_id, users[0]), 400, "invalidSyntax")
    assert broken.patch(f"/Groups/{group_id}",
                        [{"op": "remove", "path": f'members[value eq "{users[0]}"]'}]
                        ).status_code == 200


def test_member_filter_path_unsupported() -> None:
    correct, broken = _pair("member-filter-path-unsupported")
    for api, ok in ((correct, True), (broken, False)):
        group_id, users = _group_with_two(api)
        response = api.patch(f"/Groups/{group_id}",
                             [{"op": "remove", "path": f'members[value eq "{users[0]}"]'}])
        if ok:
            assert response.status_code == 200
        else:
            assert_error(response, 400, "invalidPath")
            assert _remove_one(api, group_id, users[0]).status_code == 200
        assert _member_ids(api, group_id) == [users[1]]


def test_groups_404() -> None:
    correct, broken = _pair("groups-404")
    assert correct.get("/Groups").status_code == 200
    assert_error(broken.get("/Groups"), 404)
    assert_error(broken.post("/Groups", {"displayName": "G"}), 404)
    assert broken.get("/Users").status_code == 200


def test_externalid_filter_unsupported() -> None:
    correct, broken = _pair("externalid-filter-unsupported")
    text = 'externalId eq "9edf3db5-f590-4367-a7b6-d76747c0a509"'
    assert correct.filter_users(text).status_code == 200
    assert_error(broken.filter_users(text), 400, "invalidFilter")
    assert broken.filter_users('userName eq "x"').status_code == 200


def test_work_email_path_unsupported() -> None:
    correct, broken = _pair("work-email-path-unsupported")
    for api, ok in ((correct, True), (broken, False)):
        user = api.create_user("w@x.com")
        response = api.patch(f"/Users/{user['id']}", [
            {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "n@x.com"}])
        if ok:
            assert response.status_code == 200
        else:
            assert_error(response, 400, "invalidPath")
        response = api.patch(f"/Users/{user['id']}", [
            {"op": "Replace", "path": "emails", "value": [{"type": "work", "value": "m@x"}]}])
        assert response.status_code == 200


def test_manager_string_rejected() -> None:
    correct, broken = _pair("manager-string-rejected")
    for api, ok in ((correct, True), (broken, False)):
        user = api.create_user("m@x.com")
        path = f"/Users/{user['id']}"
        response = api.patch(path, [{"op": "Add", "path": f"{ENTERPRISE}:manager",
                                     "value": "271"}])
        if ok:
            assert response.status_code == 200
        else:
            assert_error(response, 400, "invalidValue")
        response = api.patch(path, [{"op": "Add", "path": f"{ENTERPRISE}:manager",
                                     "value": {"value": "271"}}])
        assert response.status_code == 200
        assert api.user(user["id"])[ENTERPRISE]["manager"] == {"value": "271"}


def test_filtered_path_no_create() -> None:
    correct, broken = _pair("filtered-path-no-create")
    work = 'emails[type eq "work"].value'
    for api, ok in ((correct, True), (broken, False)):
        bare = api.create_user("bare@x.com")
        response = api.patch(f"/Users/{bare['id']}", [{"op": "Add", "path": work,
                                                      "value": "b@x.com"}])
        if ok:
            assert response.status_code == 200
            assert api.user(bare["id"])["emails"] == [{"type": "work", "value": "b@x.com"}]
        else:
            assert_error(response, 400, "noTarget")
            assert "emails" not in api.user(bare["id"])
        has = api.create_user("has@x.com", emails=[{"type": "work", "value": "h@x.com"}])
        response = api.patch(f"/Users/{has['id']}", [{"op": "Replace", "path": work,
                                                     "value": "n@x.com"}])
        assert response.status_code == 200  # an existing work email is still replaced
        assert api.user(has["id"])["emails"] == [{"type": "work", "value": "n@x.com"}]


def test_enterprise_path_unsupported() -> None:
    correct, broken = _pair("enterprise-path-unsupported")
    for api, ok in ((correct, True), (broken, False)):
        user = api.create_user("e@x.com")
        path = f"/Users/{user['id']}"
        response = api.patch(path, [{"op": "Add", "path": f"{ENTERPRISE}:department",
                                     "value": "Sales"}])
        if ok:
            assert response.status_code == 200
            assert api.user(user["id"])[ENTERPRISE] == {"department": "Sales"}
        else:
            assert_error(response, 400, "invalidPath")
            assert ENTERPRISE not in api.user(user["id"])
        response = api.patch(path, [{"op": "replace", "value": {
            f"{ENTERPRISE}:employeeNumber": "701984", "title": "Engineer"}}])
        assert response.status_code == 200  # path-less URN keys and plain paths still work
        assert api.user(user["id"])[ENTERPRISE]["employeeNumber"] == "701984"
        api.patch(path, [{"op": "Replace", "path": "title", "value": "Lead"}])
        assert api.user(user["id"])["title"] == "Lead"


def test_pathless_urn_ignored() -> None:
    for api, stored in zip(_pair("pathless-urn-ignored"), (True, False), strict=True):
        user = api.create_user("p@x.com", **{ENTERPRISE: {"employeeNumber": "1"}})
        response = api.patch(f"/Users/{user['id']}", [{"op": "replace", "value": {
            f"{ENTERPRISE}:employeeNumber": "2", "name.givenName": "Kkom"}}])
        assert response.status_code == 200
        found = api.user(user["id"])
        assert found[ENTERPRISE]["employeeNumber"] == ("2" if stored else "1")
        assert found["name"]["givenName"] == "Kkom"  # dotted keys still applied
        api.patch(f"/Users/{user['id']}", [{"op": "Replace", "path": f"{ENTERPRISE}:employeeNumber",
                                            "value": "3"}])
        assert api.user(user["id"])[ENTERPRISE]["employeeNumber"] == "3"  # paths still work


def test_unsupported_attributes_dropped() -> None:
    correct, broken = _pair("unsupported-attributes-dropped")
    name = {"givenName": "Ann", "familyName": "Lee", "formatted": "Ann Lee"}
    for api, kept in ((correct, True), (broken, False)):
        user = api.user(api.create_user("ud@x.com", name=name, title="T",
                                        **{ENTERPRISE: {"department": "D"}})["id"])
        assert ("formatted" in user["name"]) is kept and (ENTERPRISE in user) is kept
        assert user["name"]["givenName"] == "Ann" and user["title"] == "T"  # the rest is kept
        # a path-less replace is understood: its supported keys land, the others vanish
        api.patch(f"/Users/{user['id']}", [{"op": "replace", "value": {
            "name.givenName": "Bo", "name.formatted": "Bo Lee", f"{ENTERPRISE}:department": "E"}}])
        after = api.user(user["id"])
        assert after["name"]["givenName"] == "Bo"
        assert (after["name"].get("formatted") == "Bo Lee") is kept
        assert (after.get(ENTERPRISE, {}).get("department") == "E") is kept


def test_add_replace_strict() -> None:
    correct, broken = _pair("add-replace-strict")
    for api, ok in ((correct, True), (broken, False)):
        user = api.create_user("ar@x.com", title="Engineer")
        path = f"/Users/{user['id']}"
        add_set = api.patch(path, [{"op": "Add", "path": "title", "value": "Lead"}])
        replace_unset = api.patch(path, [{"op": "Replace", "path": "nickName", "value": "Babs"}])
        if ok:
            assert add_set.status_code == replace_unset.status_code == 200
            assert api.user(user["id"])["title"] == "Lead"
        else:
            assert_error(add_set, 400, "invalidValue")
            assert_error(replace_unset, 400, "noTarget")
            assert api.user(user["id"])["title"] == "Engineer"
        # the forms the RFC reads literally still work: add what is unset, replace what is set
        assert api.patch(path, [{"op": "Add", "path": "nickName", "value": "B"}]).status_code == 200
        assert api.patch(path, [{"op": "Replace", "path": "title", "value": "X"}]).status_code \
            == 200
        assert api.patch(path, [{"op": "Add", "path": "emails", "value": [
            {"type": "work", "value": "w@x.com"}]}]).status_code == 200


def test_externalid_filter_empty() -> None:
    correct, broken = _pair("externalid-filter-empty")
    for api, found in ((correct, 1), (broken, 0)):
        api.create_user("x@x.com", externalId="9edf3db5-f590-4367-a7b6-d76747c0a509")
        answer = api.filter_users('externalId eq "9edf3db5-f590-4367-a7b6-d76747c0a509"')
        assert answer.status_code == 200
        assert body_of(answer)["totalResults"] == found
        assert body_of(api.filter_users('userName eq "x@x.com"'))["totalResults"] == 1


def test_adscim_schema_rejected() -> None:
    correct, broken = _pair("adscim-schema-rejected")
    body = {"schemas": [GROUP_SCHEMA, ADSCIM], "displayName": "G"}
    assert correct.post("/Groups", body).status_code == 201
    assert_error(broken.post("/Groups", body), 400, "invalidValue")
    assert broken.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "G"}
                       ).status_code == 201


def test_excluded_attributes_ignored() -> None:
    for api, shown in zip(_pair("excluded-attributes-ignored"), (False, True), strict=True):
        group_id, _ = _group_with_two(api)
        query = {"excludedAttributes": "members"}
        assert ("members" in body_of(api.get(f"/Groups/{group_id}", query=query))) is shown
        listed = body_of(api.get("/Groups", query=query))["Resources"][0]
        assert ("members" in listed) is shown
        got = body_of(api.get(f"/Groups/{group_id}", query={"attributes": "displayName"}))
        assert "members" not in got


def test_duplicate_members() -> None:
    for api, count in zip(_pair("duplicate-members"), (2, 3), strict=True):
        group_id, users = _group_with_two(api)
        response = api.patch(f"/Groups/{group_id}",
                             [{"op": "Add", "path": "members", "value": [{"value": users[0]}]}])
        assert response.status_code == 200
        assert len(_member_ids(api, group_id)) == count


def test_readd_member_409() -> None:
    correct, broken = _pair("readd-member-409")
    for api, status in ((correct, 200), (broken, 409)):
        group_id, users = _group_with_two(api)
        response = api.patch(f"/Groups/{group_id}",
                             [{"op": "Add", "path": "members", "value": [{"value": users[0]}]}])
        assert response.status_code == status
        new_user = api.create_user("new@x.com")["id"]
        assert api.patch(f"/Groups/{group_id}", [{"op": "Add", "path": "members",
                                                  "value": [{"value": new_user}]}]
                         ).status_code == 200
    assert_error(response, 409, "uniqueness")


def test_pagination_ignored() -> None:
    for api, expected in zip(_pair("pagination-ignored"), ((2, 3), (5, 1)), strict=True):
        for n in range(5):
            api.create_user(f"p{n}@x.com")
        body = body_of(api.get("/Users", query={"startIndex": 3, "count": 2}))
        assert (len(body["Resources"]), body["startIndex"]) == expected
        assert body["totalResults"] == 5


def test_schemas_bare_array() -> None:
    correct, broken = _pair("schemas-bare-array")
    assert body_of(correct.get("/Schemas"))["schemas"] == [LIST_SCHEMA]
    for path, count in (("/Schemas", 3), ("/ResourceTypes", 2)):
        body = body_of(broken.get(path))
        assert isinstance(body, list) and len(body) == count
    assert body_of(broken.get("/Users"))["schemas"] == [LIST_SCHEMA]


def test_scim_json_rejected() -> None:
    correct, broken = _pair("scim-json-rejected")
    assert correct.post("/Users", {"userName": "a@x.com"}).status_code == 201
    for content_type in (ENTRA_CONTENT_TYPE, "application/scim+json"):
        assert_error(broken.post("/Users", {"userName": "a@x.com"}, content_type=content_type),
                     415)
    response = broken.post("/Users", {"userName": "a@x.com"}, content_type="application/json")
    assert response.status_code == 201


def test_accept_required() -> None:
    correct, broken = _pair("accept-required")
    assert correct.get("/Users").status_code == 200
    assert_error(broken.get("/Users"), 406)
    assert broken.get("/Users", headers={"Accept": "application/scim+json"}).status_code == 200
    assert broken.post("/Users", {"userName": "a@x.com"}).status_code == 201


def test_group_delete_400() -> None:
    correct, broken = _pair("group-delete-400")
    for api, status in ((correct, 204), (broken, 400)):
        group = api.create_group("G")
        assert api.delete(f"/Groups/{group['id']}").status_code == status
        user = api.create_user("u@x.com")
        assert api.delete(f"/Users/{user['id']}").status_code == 204
    assert body_of(broken.delete("/Groups/x"))["schemas"] == [ERROR_SCHEMA]


def test_get_by_id_404() -> None:
    correct, broken = _pair("get-by-id-404")
    for api, status in ((correct, 200), (broken, 404)):
        user = api.create_user("g@x.com")
        assert api.get(f"/Users/{user['id']}").status_code == status
        assert body_of(api.filter_users('userName eq "g@x.com"'))["totalResults"] == 1
        group = api.create_group("G")
        assert api.get(f"/Groups/{group['id']}").status_code == 200


def test_username_filter_empty() -> None:
    for api, found in zip(_pair("username-filter-empty"), (1, 0), strict=True):
        user = api.create_user("uf@x.com", externalId="ext-uf")
        assert body_of(api.filter_users('userName eq "uf@x.com"'))["totalResults"] == found
        by_external = body_of(api.filter_users('externalId eq "ext-uf"'))
        assert [r["id"] for r in by_external["Resources"]] == [user["id"]]


def test_patch_200_empty_body() -> None:
    for api, empty in zip(_pair("patch-200-empty-body"), (False, True), strict=True):
        user = api.create_user("pe@x.com")
        response = api.patch(f"/Users/{user['id']}",
                             [{"op": "Replace", "path": "displayName", "value": "D"}])
        assert response.status_code == 200
        assert (response.get_data() == b"") is empty
        assert api.user(user["id"])["displayName"] == "D"  # the change is still applied


def test_active_boolean_ignored() -> None:
    for api, disabled in zip(_pair("active-boolean-ignored"), (True, False), strict=True):
        user = api.create_user("ab@x.com")
        api.patch(f"/Users/{user['id']}", [{"op": "replace", "path": "active", "value": False}])
        assert (api.user(user["id"])["active"] is False) is disabled
        api.patch(f"/Users/{user['id']}", [{"op": "Replace", "path": "active", "value": "False"}])
        assert api.user(user["id"])["active"] is False  # the string form still works


def test_string_boolean_rejected() -> None:
    for api, ok in zip(_pair("string-boolean-rejected"), (True, False), strict=True):
        user = api.create_user("sb@x.com")
        response = api.patch(f"/Users/{user['id']}",
                             [{"op": "Replace", "path": "active", "value": "False"}])
        if ok:
            assert response.status_code == 200
        else:
            assert_error(response, 400, "invalidValue")
        api.patch(f"/Users/{user['id']}", [{"op": "replace", "path": "active", "value": False}])
        assert api.user(user["id"])["active"] is False  # real booleans still work


def test_displayname_patch_501() -> None:
    for api, status in zip(_pair("displayname-patch-501"), (200, 501), strict=True):
        user = api.create_user("dn@x.com")
        response = api.patch(f"/Users/{user['id']}",
                             [{"op": "Replace", "path": "displayName", "value": "D"}])
        assert response.status_code == status
        other = api.patch(f"/Users/{user['id']}",
                          [{"op": "Replace", "path": "name.givenName", "value": "G"}])
        assert other.status_code == 200
        assert api.user(user["id"])["name"]["givenName"] == "G"


def test_group_without_schemas() -> None:
    for api, has in zip(_pair("group-without-schemas"), (True, False), strict=True):
        group = api.create_group("GS")
        assert ("schemas" in group) is has
        assert "schemas" in api.create_user("gs@x.com")  # users keep theirs


def test_member_add_first_only() -> None:
    for api, count in zip(_pair("member-add-first-only"), (2, 1), strict=True):
        a, b = api.create_user("ma@x.com"), api.create_user("mb@x.com")
        group = api.create_group("MA")
        api.patch(f"/Groups/{group['id']}", [{"op": "Add", "path": "members",
                                              "value": [{"value": a["id"]}, {"value": b["id"]}]}])
        stored = body_of(api.get(f"/Groups/{group['id']}"))
        assert len(stored.get("members", [])) == count


def test_member_add_batch_capped() -> None:
    from scimcheck.server.variant_switches import MEMBER_BATCH_CAP

    size = MEMBER_BATCH_CAP + 5
    for api, count in zip(_pair("member-add-batch-capped"), (size, MEMBER_BATCH_CAP), strict=True):
        ids = [api.create_user(f"mc{n}@x.com")["id"] for n in range(size)]
        group = api.create_group("MC")
        small = api.patch(f"/Groups/{group['id']}", [{"op": "Add", "path": "members",
                                                      "value": [{"value": i} for i in ids[:3]]}])
        assert small.status_code == 200 and len(_member_ids(api, group["id"])) == 3
        api.patch(f"/Groups/{group['id']}", [{"op": "Add", "path": "members",
                                              "value": [{"value": i} for i in ids[3:]]}])
        assert len(_member_ids(api, group["id"])) == min(3 + count, size)


def test_member_remove_batch_capped() -> None:
    from scimcheck.server.variant_switches import MEMBER_REMOVE_CAP

    size = MEMBER_REMOVE_CAP + 3
    for api, left in zip(_pair("member-remove-batch-capped"), (1, 3), strict=True):
        ids = [api.create_user(f"mr{n}@x.com")["id"] for n in range(size + 1)]
        group_id = api.create_group("MR", members=ids)["id"]
        assert _remove_one(api, group_id, ids[0]).status_code == 200  # one at a time works
        api.patch(f"/Groups/{group_id}", [{"op": "Remove", "path": "members",
                                          "value": [{"value": i} for i in ids[1:size]]}])
        assert len(_member_ids(api, group_id)) == left
        for member in ids[1:]:  # members[value eq] paths are not capped
            api.patch(f"/Groups/{group_id}",
                      [{"op": "remove", "path": f'members[value eq "{member}"]'}])
        assert _member_ids(api, group_id) == []


def test_group_rename_ignored() -> None:
    for api, renamed in zip(_pair("group-rename-ignored"), (True, False), strict=True):
        group = api.create_group("Old name")
        api.patch(f"/Groups/{group['id']}",
                  [{"op": "Replace", "path": "displayName", "value": "New name"}])
        stored = body_of(api.get(f"/Groups/{group['id']}"))
        assert (stored["displayName"] == "New name") is renamed
        user = api.create_user("gr@x.com")
        api.patch(f"/Users/{user['id']}",
                  [{"op": "Replace", "path": "displayName", "value": "U"}])
        assert api.user(user["id"])["displayName"] == "U"  # users still renamed


def test_errors_without_scimtype() -> None:
    for api, has in zip(_pair("errors-without-scimtype"), (True, False), strict=True):
        response = api.filter_users("userName eq")
        body = body_of(response)
        assert response.status_code == 400 and body["status"] == "400"
        assert ("scimType" in body) is has


def test_start_index_not_echoed() -> None:
    for api, echoed in zip(_pair("start-index-not-echoed"), (3, 1), strict=True):
        ids = [api.create_user(f"si{n}@x.com")["id"] for n in range(5)]
        body = body_of(api.get("/Users", query={"startIndex": 3, "count": 2}))
        assert body["startIndex"] == echoed
        assert [r["id"] for r in body["Resources"]] == ids[2:4]  # the right page is served
        assert (body["totalResults"], body["itemsPerPage"]) == (5, 2)


def test_items_per_page_is_count() -> None:
    for api, items in zip(_pair("items-per-page-is-count"), (1, 2), strict=True):
        ids = [api.create_user(f"ipp{n}@x.com")["id"] for n in range(5)]
        body = body_of(api.get("/Users", query={"startIndex": 5, "count": 2}))
        assert [r["id"] for r in body["Resources"]] == ids[4:]  # the right page is served
        assert body["itemsPerPage"] == items


def test_spc_patch_unsupported() -> None:
    for api, claimed in zip(_pair("spc-patch-unsupported"), (True, False), strict=True):
        config = body_of(api.get("/ServiceProviderConfig"))
        assert config["patch"]["supported"] is claimed
        assert config["filter"]["supported"] is True
        user = api.create_user("spc@x.com")
        response = api.patch(f"/Users/{user['id']}",
                             [{"op": "Replace", "path": "title", "value": "T"}])
        assert response.status_code == 200  # PATCH still works


def test_no_service_provider_config() -> None:
    correct, broken = _pair("no-service-provider-config")
    assert body_of(correct.get("/ServiceProviderConfig"))["patch"]["supported"] is True
    assert_error(broken.get("/ServiceProviderConfig"), 404)
    assert body_of(broken.get("/Schemas"))["schemas"] == [LIST_SCHEMA]
    assert body_of(broken.get("/Users"))["schemas"] == [LIST_SCHEMA]


def test_schema_characteristics_pascal_case() -> None:
    user_urn = "urn:ietf:params:scim:schemas:core:2.0:User"
    spellings = (("readWrite", "default", "server"), ("ReadWrite", "Default", "Server"))
    for api, spelled in zip(_pair("schema-characteristics-pascal-case"), spellings, strict=True):
        listed = body_of(api.get("/Schemas"))
        user = next(s for s in listed["Resources"] if s["id"] == user_urn)
        single = body_of(api.get(f"/Schemas/{user_urn}"))
        for schema in (user, single):
            user_name = next(a for a in schema["attributes"] if a["name"] == "userName")
            assert (user_name["mutability"], user_name["returned"], user_name["uniqueness"]) \
                == spelled
        resource_types = body_of(api.get("/ResourceTypes"))["Resources"]
        assert {t["name"] for t in resource_types} == {"User", "Group"}  # left alone


def test_start_index_ignored() -> None:
    for api, second in zip(_pair("start-index-ignored"), ("si2@x.com", "si1@x.com"), strict=True):
        api.create_user("si1@x.com")
        api.create_user("si2@x.com")
        page = body_of(api.get("/Users?startIndex=2&count=1"))
        assert [r["userName"] for r in page["Resources"]] == [second]
        assert page["startIndex"] == 2 and page["itemsPerPage"] == 1


def test_emails_required() -> None:
    for api, status in zip(_pair("emails-required"), (201, 400), strict=True):
        response = api.post("/Users", {"schemas": [USER_SCHEMA], "userName": "e@x.com"})
        assert response.status_code == status
        with_email = api.post("/Users", {"schemas": [USER_SCHEMA], "userName": "f@x.com",
                                         "emails": [{"value": "f@x.com", "type": "work"}]})
        assert with_email.status_code == 201


def test_manager_returned_as_string() -> None:
    for api, shape in zip(_pair("manager-returned-as-string"), (dict, str), strict=True):
        boss = api.create_user("boss@x.com")
        user = api.create_user("emp@x.com")
        api.patch(f"/Users/{user['id']}", [
            {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": boss["id"]}])
        manager = api.user(user["id"])[ENTERPRISE]["manager"]
        assert isinstance(manager, shape)
        assert (manager["value"] if isinstance(manager, dict) else manager) == boss["id"]


def test_patch_405() -> None:
    for api, status in zip(_pair("patch-405"), (200, 405), strict=True):
        user = api.create_user("p405@x.com")
        response = api.patch(f"/Users/{user['id']}",
                             [{"op": "replace", "path": "displayName", "value": "D"}])
        assert response.status_code == status
        assert api.delete(f"/Users/{user['id']}").status_code == 204


def test_unlisted_extension_rejected() -> None:
    acme = "urn:ietf:params:scim:schemas:extension:acme:2.0:User"
    for api, status in zip(_pair("unlisted-extension-rejected"), (201, 400), strict=True):
        unlisted = {"schemas": [USER_SCHEMA], "userName": "ux@x.com", acme: {"costCode": "C"}}
        assert api.post("/Users", unlisted).status_code == status
        listed = {"schemas": [USER_SCHEMA, acme], "userName": "lx@x.com", acme: {"costCode": "C"}}
        assert api.post("/Users", listed).status_code == 201


# --- value handling, found by the generated-user properties
# (tests/verdicts/test_generated_verdicts.py) --


def _stored_after_create(variant: str | None, **attrs: Any) -> dict[str, Any]:
    api = Scim(variant=variant)
    return api.user(api.create_user("values@x.com", **attrs)["id"])


def test_trims_spaces() -> None:
    name = {"givenName": " Ann", "familyName": "Lee "}
    assert _stored_after_create(None, name=name)["name"] == name
    assert _stored_after_create("trims-spaces", name=name)["name"] == {
        "givenName": "Ann", "familyName": "Lee"}
    assert _stored_after_create("trims-spaces", title="a  b")["title"] == "a  b"  # inner kept


def test_title_cases_names() -> None:
    name = {"givenName": "mcDonald", "familyName": "von essen"}
    assert _stored_after_create(None, name=name, title="vp sales")["name"] == name
    stored = _stored_after_create("title-cases-names", name=name, title="vp sales")
    assert stored["name"] == {"givenName": "Mcdonald", "familyName": "Von Essen"}
    assert stored["title"] == "vp sales"  # names only


def test_truncates_64() -> None:
    long = "x" * 80
    assert _stored_after_create(None, title=long)["title"] == long
    api = Scim(variant="truncates-64")
    user = api.user(api.create_user("t" * 70 + "@x.com", title=long)["id"])
    assert user["title"] == "x" * 64 and user["userName"] == "t" * 70 + "@x.com"


def test_non_ascii_question_marks() -> None:
    assert _stored_after_create(None, title="Grégoire 𝄞")["title"] == "Grégoire 𝄞"
    assert _stored_after_create("non-ascii-question-marks", title="Grégoire 𝄞")["title"] == \
        "Gr?goire ?"


def test_long_values_rejected() -> None:
    assert _stored_after_create(None, title="y" * 200)["title"] == "y" * 200
    api = Scim(variant="long-values-rejected")
    response = api.post("/Users", {"schemas": [USER_SCHEMA], "userName": "l@x.com",
                                   "title": "y" * 200})
    assert_error(response, 400, "invalidValue")
    api.create_user("short@x.com", title="y" * 128)


def test_filter_quote_500() -> None:
    for api, correct in zip(_pair("filter-quote-500"), (True, False), strict=True):
        api.create_user('o"brien@x.com')
        quoted = api.filter_users('userName eq "o\\"brien@x.com"')
        if correct:
            assert quoted.status_code == 200 and body_of(quoted)["totalResults"] == 1
        else:
            assert quoted.status_code == 500
        assert api.filter_users('userName eq "nobody@x.com"').status_code == 200


def test_filter_escapes_unread() -> None:
    for api, correct in zip(_pair("filter-escapes-unread"), (True, False), strict=True):
        api.create_user('o"brien@x.com')
        api.create_user("back\\slash@x.com")
        for text in ('userName eq "o\\"brien@x.com"', 'userName eq "back\\\\slash@x.com"'):
            found = api.filter_users(text)
            assert found.status_code == 200
            assert body_of(found)["totalResults"] == (1 if correct else 0), text
        plain = api.create_user("plain@x.com")["id"]  # a value without escapes is still found
        found = body_of(api.filter_users('userName eq "plain@x.com"'))
        assert [r["id"] for r in found["Resources"]] == [plain]


def test_patch_response_not_stored() -> None:
    for api, stored in zip(_pair("patch-response-not-stored"), (True, False), strict=True):
        user = api.create_user("p@x.com", title="Old")
        response = api.patch(f"/Users/{user['id']}",
                             [{"op": "Replace", "path": "title", "value": "New"}])
        assert response.status_code == 200 and body_of(response)["title"] == "New"
        assert (api.user(user["id"])["title"] == "New") is stored


def test_given_name_wipes_family_name() -> None:
    for api, kept in zip(_pair("given-name-wipes-family-name"), (True, False), strict=True):
        user = api.create_user("g@x.com", name={"givenName": "A", "familyName": "B"})
        api.patch(f"/Users/{user['id']}",
                  [{"op": "Replace", "path": "name.givenName", "value": "C"}])
        name = api.user(user["id"])["name"]
        assert name == ({"givenName": "C", "familyName": "B"} if kept else {"givenName": "C"})
        api.patch(f"/Users/{user['id']}",
                  [{"op": "Replace", "path": "name.familyName", "value": "D"}])
        assert api.user(user["id"])["name"]["givenName"] == "C"  # the other way round is fine


def test_rate_limited_gets() -> None:
    api = Scim(variant="rate-limited-gets")
    statuses = [api.get("/ServiceProviderConfig") for _ in range(6)]
    limited = [r for r in statuses if r.status_code == 429]
    assert len(limited) == 2 and all(r.headers["Retry-After"] == "0" for r in limited)
    assert api.post("/Users", {"schemas": [USER_SCHEMA], "userName": "r@x.com"}).status_code == 201
    assert all(r.status_code == 200 for r in (Scim().get("/ServiceProviderConfig")
                                              for _ in range(6)))


def test_user_creates_refused() -> None:
    correct, broken = _pair("user-creates-refused")
    assert correct.post("/Users", {"userName": "a@x.com"}).status_code == 201
    assert_error(broken.post("/Users", {"userName": "a@x.com"}), 400, "invalidValue")
    assert broken.get("/Users").status_code == 200
    assert broken.post("/Groups", {"displayName": "G"}).status_code == 201


def test_externalid_create_refused() -> None:
    correct, broken = _pair("externalid-create-refused")
    with_id = {"userName": "a@x.com", "externalId": "e-1"}
    assert correct.post("/Users", with_id).status_code == 201
    assert_error(broken.post("/Users", with_id), 400, "invalidValue")
    created = broken.post("/Users", {"userName": "b@x.com"})  # the body reaches the app intact
    assert created.status_code == 201 and body_of(created)["userName"] == "b@x.com"


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _oauth(variant: str | None) -> tuple[Any, Any, _Clock]:
    """The app with a token endpoint (scimcheck serve --oauth), a client for it, a clock."""
    from werkzeug.test import Client

    from scimcheck.server.app import create_app
    from scimcheck.server.oauth import TokenIssuer

    clock = _Clock()
    issuer = TokenIssuer(options=behaviour_for(variant).oauth, clock=clock)
    return issuer, Client(create_app(variant=variant, issuer=issuer)), clock


def _token_answer(client: Any, client_id: str, secret: str) -> Any:
    return client.post("/oauth2/token", data={"grant_type": "client_credentials"},
                       headers={"Authorization": "Basic " + _b64(f"{client_id}:{secret}")})


def _b64(text: str) -> str:
    import base64

    return base64.b64encode(text.encode()).decode()


def _users(client: Any, token: str) -> int:
    return int(client.get("/scim/v2/Users", headers={"Authorization": f"Bearer {token}"})
               .status_code)


def test_oauth_token_never_expires() -> None:
    for variant in (None, "oauth-token-never-expires"):
        issuer, client, clock = _oauth(variant)
        answer = _token_answer(client, issuer.client_id, issuer.client_secret)
        assert answer.status_code == 200
        document = body_of(answer)
        assert document["token_type"] == "Bearer"
        assert ("expires_in" in document) == (variant is None)
        clock.now += 3600 + 1
        assert _users(client, document["access_token"]) == (401 if variant is None else 200)


def test_oauth_secret_ignored() -> None:
    for variant in (None, "oauth-secret-ignored"):
        issuer, client, _ = _oauth(variant)
        wrong = _token_answer(client, issuer.client_id, "not-the-secret")
        if variant is None:
            assert wrong.status_code == 401 and body_of(wrong)["error"] == "invalid_client"
        else:
            assert wrong.status_code == 200
        stranger = _token_answer(client, "someone-else", issuer.client_secret)
        assert body_of(stranger)["error"] == "invalid_client"  # the client id still counts


def test_oauth_expired_token_accepted() -> None:
    for variant in (None, "oauth-expired-token-accepted"):
        issuer, client, clock = _oauth(variant)
        token = body_of(_token_answer(client, issuer.client_id, issuer.client_secret))
        assert token["expires_in"] == 3600  # the expiry is announced, only not enforced
        assert _users(client, token["access_token"]) == 200
        clock.now += 3600 + 1
        assert _users(client, token["access_token"]) == (401 if variant is None else 200)
        assert _users(client, "never-issued") == 401


def test_oauth_token_type_missing() -> None:
    for variant in (None, "oauth-token-type-missing"):
        issuer, client, _ = _oauth(variant)
        document = body_of(_token_answer(client, issuer.client_id, issuer.client_secret))
        assert ("token_type" in document) == (variant is None)
        assert _users(client, document["access_token"]) == 200  # the token itself works
