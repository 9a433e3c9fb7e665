"""The keys a SCIM filter's matches all hold, from the filter scim2-models parsed: what the
one indexed query of a search looks up, before the filter itself is checked on each record
found; None when the records' keys do not narrow it, and the search goes through the org's
records (docs/decisions/0472-scim-filters-within-twenty-index-entries.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

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
    KEYED,
    USER_NAME,
    equal_key,
    gram_key,
    overflow_key,
    present_key,
)

CORE = "urn:ietf:params:scim:schemas:core:2.0:"
# The attributes a filter names, by (attribute, sub-attribute): a multi-valued one's
# ``value`` is the attribute itself (``emails[value eq …]``)
Attributes = Mapping[tuple[str, str | None], str]


@dataclass(frozen=True)
class Keyed:
    """What a resource's keys answer: the attributes its filters name, and those whose
    ``eq``, substrings (``co``, ``sw``, ``ew``) and presence its records hold keys of."""

    attributes: Attributes
    equal: frozenset[str]
    grams: frozenset[str] = frozenset()
    present: frozenset[str] = frozenset()
    # Attributes some records hold more values of than keys: an ``eq`` looks up their
    # overflow key too
    overflowing: frozenset[str] = frozenset()


USER_FILTERS = Keyed(
    {
        ("username", None): USER_NAME,
        ("emails", None): EMAILS,
        ("emails", "value"): EMAILS,
        ("externalid", None): EXTERNAL_ID,
        ("displayname", None): DISPLAY_NAME,
        ("active", None): ACTIVE,
    },
    equal=KEYED,
    overflowing=frozenset({EMAILS}),
)
GROUP_FILTERS = Keyed(
    {
        ("displayname", None): DISPLAY_NAME,
        ("externalid", None): EXTERNAL_ID,
        ("members", None): MEMBERS,
        ("members", "value"): MEMBERS,
    },
    equal=frozenset({DISPLAY_NAME, EXTERNAL_ID, MEMBERS}),
    grams=frozenset({DISPLAY_NAME}),
    present=frozenset({EXTERNAL_ID, MEMBERS}),
)
MULTI_VALUED = frozenset({EMAILS, MEMBERS})

Keys = frozenset[str] | None  # None: no key narrows it (every record may match)


def _attribute(path: AttrPath, attributes: Attributes, within: str | None) -> str | None:
    if path.uri is not None and not path.uri.casefold().startswith(CORE):
        return None
    if within is not None:  # inside ``emails[...]``: ``value`` is the address
        return within if (path.attr.casefold(), path.sub_attr) == ("value", None) else None
    sub = path.sub_attr.casefold() if path.sub_attr else None
    return attributes.get((path.attr.casefold(), sub))


def _compared(keyed: Keyed, attribute: str, op: CompareOperator, value: object) -> Keys:
    if attribute == MEMBERS:
        return frozenset({f"{MEMBERS}={value}"}) if op is CompareOperator.eq else None
    if op is CompareOperator.eq and attribute in keyed.equal and isinstance(value, str):
        keys = {equal_key(attribute, value)}
        if attribute in keyed.overflowing:
            keys.add(overflow_key(attribute))
        return frozenset(keys)
    if attribute not in keyed.grams or not isinstance(value, str) or not value:
        return None
    if op in (CompareOperator.co, CompareOperator.sw):
        return frozenset({gram_key(attribute, value[:GRAM_MAX])})
    if op is CompareOperator.ew:
        return frozenset({gram_key(attribute, value[-GRAM_MAX:])})
    return None


def _breadth(keys: frozenset[str]) -> tuple[int, int]:
    """How many records keys may find, roughly: fewer keys first, then an equality before a
    substring."""
    return len(keys), max(1 if "~" in key else 0 for key in keys)


def index_keys(node: FilterNode, keyed: Keyed, within: str | None = None) -> Keys:
    """Keys every record that ``node`` matches holds (None: none that narrow it)."""
    if isinstance(node, Comparison):
        attribute = _attribute(node.attr_path, keyed.attributes, within)
        return _compared(keyed, attribute, node.op, node.value) if attribute else None
    if isinstance(node, Present):
        attribute = _attribute(node.attr_path, keyed.attributes, within)
        return frozenset({present_key(attribute)}) if attribute in keyed.present else None
    if isinstance(node, ValuePath):
        inner = _attribute(node.attr_path, keyed.attributes, None)
        multi = inner in MULTI_VALUED
        return index_keys(node.val_filter, keyed, within=inner) if multi else None
    if isinstance(node, LogicalExpr):
        return _combined(node, [index_keys(term, keyed, within) for term in node.terms])
    return None  # ``not``: its matches hold no key in common


def _combined(node: LogicalExpr, parts: list[Keys]) -> Keys:
    """``and``: the narrowest part's keys; ``or``: every part's, unless one has none."""
    if node.op is LogicalOperator.and_:
        narrowing = [keys for keys in parts if keys is not None]
        return min(narrowing, key=_breadth) if narrowing else None
    if any(keys is None for keys in parts):
        return None
    return frozenset().union(*(keys for keys in parts if keys is not None))
