"""The keys a SCIM filter's matches all hold, from the filter scim2-models parsed: what the
one indexed query of a search looks up, before the filter itself is checked on each record
found (docs/decisions/0403-scim-filters-by-keys.md)."""

from __future__ import annotations

from collections.abc import Mapping

from scim2_models.path.expressions import (
    AttrPath,
    CompareOperator,
    Comparison,
    FilterNode,
    LogicalExpr,
    LogicalOperator,
    Present,
    ValuePath,
)

from domain.scim.groups import MEMBERS
from domain.scim.users import (
    ACTIVE,
    DISPLAY_NAME,
    EMAILS,
    EXTERNAL_ID,
    GRAM_MAX,
    USER_NAME,
    equal_key,
    gram_key,
    present_key,
)

CORE = "urn:ietf:params:scim:schemas:core:2.0:"
# The attributes keys serve, by (attribute, sub-attribute) as a filter names them: a
# multi-valued one's ``value`` is the attribute itself (``emails[value eq …]``)
Attributes = Mapping[tuple[str, str | None], str]
USER_ATTRIBUTES: Attributes = {
    ("username", None): USER_NAME,
    ("emails", None): EMAILS,
    ("emails", "value"): EMAILS,
    ("externalid", None): EXTERNAL_ID,
    ("displayname", None): DISPLAY_NAME,
    ("active", None): ACTIVE,
}
GROUP_ATTRIBUTES: Attributes = {
    ("displayname", None): DISPLAY_NAME,
    ("externalid", None): EXTERNAL_ID,
    ("members", None): MEMBERS,
    ("members", "value"): MEMBERS,
}
ALWAYS_PRESENT = frozenset({USER_NAME, ACTIVE})  # every user has them

Keys = frozenset[str] | None  # None: no key narrows it (every record may match)


def _attribute(path: AttrPath, attributes: Attributes, within: str | None) -> str | None:
    if path.uri is not None and not path.uri.casefold().startswith(CORE):
        return None
    if within is not None:  # inside ``emails[...]``: ``value`` is the address
        return within if (path.attr.casefold(), path.sub_attr) == ("value", None) else None
    sub = path.sub_attr.casefold() if path.sub_attr else None
    return attributes.get((path.attr.casefold(), sub))


def _compared(attribute: str, op: CompareOperator, value: object) -> Keys:
    if attribute == MEMBERS:
        return frozenset({f"{MEMBERS}={value}"}) if op is CompareOperator.eq else None
    if op is CompareOperator.eq and (
        isinstance(value, str) or (attribute == ACTIVE and isinstance(value, bool))
    ):
        return frozenset({equal_key(attribute, value)})
    if attribute == ACTIVE or not isinstance(value, str) or not value:
        return None
    if op in (CompareOperator.co, CompareOperator.sw):
        return frozenset({gram_key(attribute, value[:GRAM_MAX])})
    if op is CompareOperator.ew:
        return frozenset({gram_key(attribute, value[-GRAM_MAX:])})
    return None


def _breadth(keys: frozenset[str]) -> tuple[int, int]:
    """How many records keys may find, roughly: fewer keys first, then an address, a name
    or an id before a substring, and those before ``active`` (half the org)."""
    broad = max((2 if key.startswith(ACTIVE + "=") else 1 if "~" in key else 0) for key in keys)
    return len(keys), broad


def index_keys(node: FilterNode, attributes: Attributes, within: str | None = None) -> Keys:
    """Keys every record that ``node`` matches holds (None: none that narrow it)."""
    if isinstance(node, Comparison):
        attribute = _attribute(node.attr_path, attributes, within)
        return _compared(attribute, node.op, node.value) if attribute else None
    if isinstance(node, Present):
        return _present(_attribute(node.attr_path, attributes, within))
    if isinstance(node, ValuePath):
        inner = _attribute(node.attr_path, attributes, None)
        multi = inner in (EMAILS, MEMBERS)
        return index_keys(node.val_filter, attributes, within=inner) if multi else None
    if isinstance(node, LogicalExpr):
        return _combined(node, [index_keys(term, attributes, within) for term in node.terms])
    return None  # ``not``: its matches hold no key in common


def _present(attribute: str | None) -> Keys:
    if attribute is None or attribute in ALWAYS_PRESENT:
        return None
    return frozenset({present_key(attribute)})


def _combined(node: LogicalExpr, parts: list[Keys]) -> Keys:
    """``and``: the narrowest part's keys; ``or``: every part's, unless one has none."""
    if node.op is LogicalOperator.and_:
        narrowing = [keys for keys in parts if keys is not None]
        return min(narrowing, key=_breadth) if narrowing else None
    if any(keys is None for keys in parts):
        return None
    return frozenset().union(*(keys for keys in parts if keys is not None))
