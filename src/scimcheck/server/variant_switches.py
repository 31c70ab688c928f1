"""The broken variants that are switches: each sets one field of :class:`Behaviour`, which the
server consults at one named point (the defaults are the correct server)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scimcheck.server.oauth import OAuthOptions
from scimcheck.server.patch_operations import PatchOptions
from scimcheck.server.store import StoreOptions
from scimcheck.server.values import Coercion
from scimcheck.server.variants import check_variant

MEMBER_BATCH_CAP = 10
"""How many values of one member add variant ``member-add-batch-capped`` applies."""
MEMBER_REMOVE_CAP = 5
"""How many members of one Remove with a value array ``member-remove-batch-capped`` removes."""


@dataclass(frozen=True)
class Behaviour:
    """Every switch the server consults; the defaults are the correct server."""

    patch: PatchOptions = field(default_factory=PatchOptions)
    store: StoreOptions = field(default_factory=StoreOptions)
    coercion: Coercion = field(default_factory=Coercion)
    oauth: OAuthOptions = field(default_factory=OAuthOptions)
    """The token endpoint's switches (``scimcheck serve --oauth``)."""
    require_auth: bool = True
    compare_token: bool = True
    filter_case_exact_names: frozenset[str] = frozenset()
    hide_disabled_from_filter: bool = False
    delete_returns_body: bool = False
    soft_delete_users: bool = False
    externalid_filter_unsupported: bool = False
    reject_unknown_schemas: bool = False
    ignore_excluded_attributes: bool = False
    ignore_pagination: bool = False
    ignore_start_index: bool = False
    require_emails: bool = False
    require_listed_extensions: bool = False
    create_answers_oldest: bool = False
    echo_password_on_create: bool = False
    patch_answers_before: bool = False
    create_answers_id: str | None = None
    """Whose id a POST /Users is answered with: "oldest" (and no userName), "first" or
    "deleted" (the id deleted last, once)."""


def _patch(**changes: Any) -> Behaviour:
    return Behaviour(patch=PatchOptions(**changes))


def _coercion(**changes: Any) -> Behaviour:
    coercion = Coercion(**changes)
    return Behaviour(coercion=coercion, patch=PatchOptions(coercion=coercion))


_BEHAVIOURS: dict[str, Behaviour] = {
    "create-answers-oldest-user": Behaviour(create_answers_oldest=True),
    "password-echoed-on-create": Behaviour(echo_password_on_create=True),
    "patch-answers-before-change": Behaviour(patch_answers_before=True),
    "create-answers-foreign-id": Behaviour(create_answers_id="oldest"),
    "create-answers-same-id": Behaviour(create_answers_id="first"),
    "create-reuses-deleted-id": Behaviour(create_answers_id="deleted"),
    "ops-case-sensitive": _patch(ops_case_sensitive=True),
    "string-false-truthy": _coercion(truthy_strings=True),
    "duplicate-accepted": Behaviour(store=StoreOptions(unique_user_names_on_create=False)),
    "username-unique-case-exact": Behaviour(store=StoreOptions(unique_names_case_exact=True)),
    "group-duplicate-displayname": Behaviour(
        store=StoreOptions(unique_group_names_on_create=False)
    ),
    "filter-case-sensitive": Behaviour(
        filter_case_exact_names=frozenset({"username", "displayname"})
    ),
    "no-auth": Behaviour(require_auth=False),
    "oauth-token-never-expires": Behaviour(oauth=OAuthOptions(never_expires=True)),
    "oauth-secret-ignored": Behaviour(oauth=OAuthOptions(ignore_secret=True)),
    "oauth-expired-token-accepted": Behaviour(oauth=OAuthOptions(accept_expired=True)),
    "oauth-token-type-missing": Behaviour(oauth=OAuthOptions(omit_token_type=True)),
    "wrong-token-accepted": Behaviour(compare_token=False),
    "uppercase-family-name": Behaviour(store=StoreOptions(uppercase_family_name=True)),
    "patch-names-ignored": _patch(ignore_name_changes=True),
    "pathless-dotted-ignored": _patch(ignore_pathless_dotted=True),
    "pathless-dotted-rejected": _patch(reject_pathless_dotted=True),
    "single-op-patch-only": _patch(single_operation_only=True),
    "trims-spaces": _coercion(trim_strings=True),
    "title-cases-names": _coercion(title_case_names=True),
    "truncates-64": _coercion(truncate_at=64),
    "deleted-values-reserved": Behaviour(
        store=StoreOptions(reserve_deleted_values=True),
        coercion=Coercion(truncate_at=64),
        patch=PatchOptions(coercion=Coercion(truncate_at=64)),
    ),
    "non-ascii-question-marks": _coercion(ascii_only=True),
    "long-values-rejected": _coercion(max_length=128),
    "patch-response-not-stored": Behaviour(store=StoreOptions(patch_not_stored=True)),
    "lastmodified-frozen": Behaviour(store=StoreOptions(freeze_last_modified=True)),
    "given-name-wipes-family-name": _patch(given_name_wipes_name=True),
    "role-json-string-raw": _coercion(role_json="raw"),
    "role-json-string-rejected": _coercion(role_json="reject"),
    "disabled-hidden-from-filter": Behaviour(hide_disabled_from_filter=True),
    "no-reenable": Behaviour(store=StoreOptions(no_reenable=True)),
    "delete-200": Behaviour(delete_returns_body=True),
    "soft-delete": Behaviour(soft_delete_users=True),
    "recreate-refused": Behaviour(store=StoreOptions(deleted_names_reserved=True)),
    "member-remove-wipes-all": _patch(member_remove_wipes_all=True),
    "member-value-remove-rejected": _patch(member_value_remove_rejected=True),
    "member-filter-path-unsupported": _patch(member_filter_path_unsupported=True),
    "externalid-filter-unsupported": Behaviour(externalid_filter_unsupported=True),
    "work-email-path-unsupported": _patch(value_filter_subattr_unsupported=True),
    "manager-string-rejected": _coercion(manager_string_rejected=True),
    "filtered-path-no-create": _patch(filtered_path_no_create=True),
    "enterprise-path-unsupported": _patch(extension_path_unsupported=True),
    "pathless-urn-ignored": _patch(ignore_pathless_urn=True),
    "unsupported-attributes-dropped": Behaviour(store=StoreOptions(drop_unsupported=True)),
    "add-replace-strict": _patch(add_replace_strict=True),
    "adscim-schema-rejected": Behaviour(reject_unknown_schemas=True),
    "excluded-attributes-ignored": Behaviour(ignore_excluded_attributes=True),
    "duplicate-members": _patch(duplicate_members=True),
    "readd-member-409": _patch(readd_member_conflict=True),
    "active-boolean-ignored": _patch(ignore_boolean_active=True),
    "string-boolean-rejected": _coercion(strict_booleans=True),
    "displayname-patch-501": _patch(reject_display_name=True),
    "member-add-first-only": _patch(member_add_limit=1),
    "member-add-batch-capped": _patch(member_add_limit=MEMBER_BATCH_CAP),
    "member-remove-batch-capped": _patch(member_remove_limit=MEMBER_REMOVE_CAP),
    "group-rename-ignored": _patch(ignore_group_rename=True),
    "pagination-ignored": Behaviour(ignore_pagination=True),
    "start-index-ignored": Behaviour(ignore_start_index=True),
    "emails-required": Behaviour(require_emails=True),
    "unlisted-extension-rejected": Behaviour(require_listed_extensions=True),
}


def behaviour_for(variant: str | None) -> Behaviour:
    """The switches for a variant (all off for ``None`` and for middleware-only variants)."""
    check_variant(variant)
    return _BEHAVIOURS.get(variant or "", Behaviour())
