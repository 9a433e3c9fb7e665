"""The keys a SCIM filter's matches all hold, from the filter scim2-models parsed: what the
one indexed query of a search looks up, before the filter itself is checked on each record
found (docs/decisions/0403-scim-filters-by-keys.md)."""

from __future__ import annotations

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

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:user"
# The attributes keys serve, by (attribute, sub-attribute) as a filter names them
_ATTRIBUTES = {
    ("username", None): USER_NAME,
    ("emails", None): EMAILS,
    ("emails", "value"): EMAILS,
    ("externalid", None): EXTERNAL_ID,
    ("displayname", None): DISPLAY_NAME,
    ("active", None): ACTIVE,
}

Keys = frozenset[str] | None  # None: no key narrows it (every record may match)


def _attribute(path: AttrPath, within: str | None = None) -> str | None:
    if path.uri is not None and path.uri.casefold() != CORE_USER:
        return None
    if within is not None:  # inside ``emails[...]``: ``value`` is the address
        return EMAILS if (path.attr.casefold(), path.sub_attr) == ("value", None) else None
    sub = path.sub_attr.casefold() if path.sub_attr else None
    return _ATTRIBUTES.get((path.attr.casefold(), sub))


def _compared(attribute: str, op: CompareOperator, value: object) -> Keys:
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


def index_keys(node: FilterNode, within: str | None = None) -> Keys:
    """Keys every record that ``node`` matches holds (None: none that narrow it)."""
    if isinstance(node, Comparison):
        attribute = _attribute(node.attr_path, within)
        return _compared(attribute, node.op, node.value) if attribute else None
    if isinstance(node, Present):
        return _present(_attribute(node.attr_path, within))
    if isinstance(node, ValuePath):
        inner = _attribute(node.attr_path)
        return index_keys(node.val_filter, within=inner) if inner == EMAILS else None
    if isinstance(node, LogicalExpr):
        return _combined(node, [index_keys(term, within) for term in node.terms])
    return None  # ``not``: its matches hold no key in common


def _present(attribute: str | None) -> Keys:
    if attribute in (None, USER_NAME, ACTIVE):  # every user has them
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
