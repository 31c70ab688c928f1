"""``attributes`` and ``excludedAttributes`` (RFC 7644 §3.4.2.5, §3.9).

``id`` and ``schemas`` are always returned (``returned: always``); names compare
case-insensitively and may be URN-qualified (``urn:…:enterprise:2.0:User:department``), dotted
(``name.givenName``, ``emails.value``) or a whole extension URN. ``excludedAttributes=members``
on groups is what Entra sends on every group read (docs/entra.md §1.6, D23).
"""

from __future__ import annotations

import copy
from typing import Any

from scimcheck.server.schema import AttributeTarget, ResourceType, ci_key, parse_attr_path

_ALWAYS = ("schemas", "id")


def split_names(raw: str | list[Any] | None) -> list[str]:
    """``"a, b.c"`` (query parameter) or ``["a", "b.c"]`` (SearchRequest) as a list of names."""
    if raw is None:
        return []
    items = raw.split(",") if isinstance(raw, str) else [str(i) for i in raw]
    return [item.strip() for item in items if item.strip()]


def _targets(rtype: ResourceType, names: list[str]) -> list[AttributeTarget]:
    targets = []
    for name in names:
        path = parse_attr_path(name)
        if path is not None:
            target = rtype.resolve(path)
            if target.problem is None:
                targets.append(target)
    return targets


def project(
    rtype: ResourceType,
    resource: dict[str, Any],
    attributes: list[str] | None = None,
    excluded: list[str] | None = None,
) -> dict[str, Any]:
    """The resource as the client asked to see it; ``attributes`` wins if both are given."""
    if attributes:
        return _include(resource, _targets(rtype, attributes))
    if excluded:
        return _exclude(resource, _targets(rtype, excluded))
    return resource


def _holder(
    resource: dict[str, Any], target: AttributeTarget
) -> tuple[dict[str, Any] | None, str | None]:
    if target.whole_extension or target.container is None:
        holder: Any = resource
    else:
        key = ci_key(resource, target.container)
        holder = resource.get(key) if key is not None else None
    if not isinstance(holder, dict):
        return None, None
    return holder, ci_key(holder, target.name)


def _include(resource: dict[str, Any], targets: list[AttributeTarget]) -> dict[str, Any]:
    result: dict[str, Any] = {k: copy.deepcopy(resource[k]) for k in _ALWAYS if k in resource}
    for target in targets:
        holder, key = _holder(resource, target)
        if holder is None or key is None:
            continue
        value = holder[key]
        if target.sub is not None and not target.whole_extension:
            value = _sub_values(value, target.sub)
            if value is None:
                continue
        out = result
        if target.container is not None and not target.whole_extension:
            container_key = ci_key(resource, target.container) or target.container
            out = result.setdefault(container_key, {})
        if target.sub is not None and isinstance(out.get(key), dict | list):
            _merge(out, key, value)
        else:
            out[key] = copy.deepcopy(value)
    return _ordered(resource, result)


def _sub_values(value: Any, sub: str) -> Any:
    if isinstance(value, dict):
        sub_key = ci_key(value, sub)
        return {sub_key: copy.deepcopy(value[sub_key])} if sub_key is not None else None
    if isinstance(value, list):
        picked = []
        for item in value:
            if isinstance(item, dict) and (sub_key := ci_key(item, sub)) is not None:
                picked.append({sub_key: copy.deepcopy(item[sub_key])})
        return picked or None
    return None


def _merge(out: dict[str, Any], key: str, value: Any) -> None:
    existing = out[key]
    if isinstance(existing, dict) and isinstance(value, dict):
        existing.update(value)
    elif isinstance(existing, list) and isinstance(value, list):
        for mine, extra in zip(existing, value, strict=False):
            if isinstance(mine, dict) and isinstance(extra, dict):
                mine.update(extra)


def _ordered(resource: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    """Keep the stored attribute order (``schemas``, ``id`` first, ``meta`` last)."""
    return {k: result[k] for k in resource if k in result}


def _exclude(resource: dict[str, Any], targets: list[AttributeTarget]) -> dict[str, Any]:
    result = copy.deepcopy(resource)
    for target in targets:
        holder, key = _holder(result, target)
        if holder is None or key is None or (holder is result and key in _ALWAYS):
            continue
        if target.sub is None or target.whole_extension:
            del holder[key]
        else:
            _drop_sub(holder, key, target.sub)
        if target.container is not None and holder is not result and not holder:
            container_key = ci_key(result, target.container)
            if container_key is not None:
                del result[container_key]
    return result


def _drop_sub(holder: dict[str, Any], key: str, sub: str) -> None:
    value = holder[key]
    items = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, dict) and (sub_key := ci_key(item, sub)) is not None:
            del item[sub_key]
    if isinstance(value, dict) and not value:
        del holder[key]
