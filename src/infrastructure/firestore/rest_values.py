"""Firestore's REST JSON, spelt and read by firegate: values (as the client library returns
them: timestamps as aware datetimes, ``DatetimeWithNanoseconds`` when they carry
nanoseconds, references as ``DocumentReference``), field paths, and a ``Select`` as the
API's ``StructuredQuery``. No helper of the client library is used or copied; google.api_core
is imported only for a timestamp with nanoseconds (an update time), so a read that has none
imports nothing of the cloud SDK (docs/decisions/0453-one-import-in-the-master.md).
"""

from __future__ import annotations

import base64
import math
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from infrastructure.firestore.reads import Select

if TYPE_CHECKING:
    from google.api_core.datetime_helpers import DatetimeWithNanoseconds

SHORT_TIMESTAMP = len("2026-01-02T03:04:05.123456Z")  # longer: nanoseconds, kept as such
# JSON has no NaN or infinities: the API spells them so.
_NON_FINITE = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}
_FOUR_DIGIT_YEAR = 1000
# DatetimeWithNanoseconds.from_rfc3339's pattern: seconds, up to nine digits of a second, Z
_RFC3339 = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z")
# A field name the API takes as it is in a field path; any other is quoted in backticks.
_SIMPLE_FIELD = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")


def encode(value: Any) -> dict[str, Any]:  # noqa: PLR0911 - one case per type
    """A value in the API's JSON mapping: a filter's or cursor's, or a written field's."""
    if isinstance(value, str):
        return {"stringValue": value}
    if isinstance(value, bool):  # before int: a bool is an int
        return {"booleanValue": value}
    if isinstance(value, int):
        return {"integerValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value if math.isfinite(value) else _NON_FINITE[str(value)]}
    if isinstance(value, bytes):
        return {"bytesValue": base64.b64encode(value).decode()}
    if isinstance(value, datetime):
        return {"timestampValue": encode_timestamp(value)}
    if value is None:
        return {"nullValue": None}
    if isinstance(value, list | tuple):
        return {"arrayValue": {"values": [encode(item) for item in value]}}
    if isinstance(value, dict):
        return {"mapValue": {"fields": {name: encode(item) for name, item in value.items()}}}
    raise ValueError(f"a value of a type firegate does not send over REST: {type(value)!r}")


def decode_fields(fields: dict[str, Any], reference: Callable[[str], Any]) -> dict[str, Any]:
    """A document's fields from the API's JSON; ``reference`` makes a ``DocumentReference``
    of a path relative to the database's documents."""
    # A string (most of what firegate stores: ids, names, a membership's permissions) is
    # taken as it is, without a call of ``decode``: half the time of an array of them.
    return {
        name: value["stringValue"] if "stringValue" in value else decode(value, reference)
        for name, value in fields.items()
    }


def decode(value: dict[str, Any], reference: Callable[[str], Any]) -> Any:  # noqa: PLR0911
    """One value from the API's JSON (one case per type)."""
    ((kind, raw),) = value.items()
    if kind == "stringValue":
        return raw
    if kind == "integerValue":
        return int(raw)
    if kind == "timestampValue":
        return datetime.fromisoformat(raw) if len(raw) <= SHORT_TIMESTAMP else nanosecond_time(raw)
    if kind == "booleanValue":
        return raw
    if kind == "nullValue":
        return None
    if kind == "mapValue":
        return decode_fields(raw.get("fields", {}), reference)
    if kind == "arrayValue":
        return [
            item["stringValue"] if "stringValue" in item else decode(item, reference)
            for item in raw.get("values", [])
        ]
    if kind == "doubleValue":
        return float(raw) if isinstance(raw, str) else raw  # NaN and the infinities: strings
    if kind == "bytesValue":
        return base64.b64decode(raw)
    if kind == "referenceValue":
        return reference(raw.partition("/documents/")[2])
    if kind == "geoPointValue":
        from google.cloud.firestore import GeoPoint  # noqa: PLC0415 - one firegate never stores

        return GeoPoint(raw.get("latitude", 0.0), raw.get("longitude", 0.0))
    raise ValueError(f"a Firestore value of a type firegate does not store: {kind!r}")


def encode_timestamp(value: datetime) -> str:
    """RFC 3339 in UTC, as the client library writes it: a ``DatetimeWithNanoseconds`` (an
    update time read back) as its ``rfc3339()``, to the nanosecond, its zone ignored; any
    other aware datetime to the microsecond. Spelt with a format string rather than
    ``strftime`` (a refresh writes under its grant's or session's update time: about 15 µs
    less each; docs/benchmarks.md, "Per core against oidc-provider")."""
    if value.tzinfo is None:
        raise ValueError("a timestamp sent to Firestore must be timezone-aware")
    if _with_nanoseconds(value):
        nanos = value.nanosecond  # type: ignore[attr-defined]
        if nanos == 0 or value.year < _FOUR_DIGIT_YEAR:
            return value.rfc3339()  # type: ignore[attr-defined,no-any-return]
        return f"{_seconds(value)}.{str(nanos).rjust(9, '0').rstrip('0')}Z"
    value = value.astimezone(UTC)
    if value.year < _FOUR_DIGIT_YEAR:  # strftime's own spelling of such a year
        return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return f"{_seconds(value)}.{value.microsecond:06d}Z"


def _seconds(value: datetime) -> str:
    """``value.strftime("%Y-%m-%dT%H:%M:%S")`` for a year of four digits."""
    return (
        f"{value.year}-{value.month:02d}-{value.day:02d}"
        f"T{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    )


def _with_nanoseconds(value: datetime) -> bool:
    # A DatetimeWithNanoseconds: google.api_core's, so none exists before it is imported.
    if "google.api_core.datetime_helpers" not in sys.modules:
        return False
    from google.api_core.datetime_helpers import DatetimeWithNanoseconds  # noqa: PLC0415

    return isinstance(value, DatetimeWithNanoseconds)


def nanosecond_time(raw: str) -> DatetimeWithNanoseconds:
    """``DatetimeWithNanoseconds.from_rfc3339(raw)``, the same value (or ``ValueError``),
    without its ``strptime`` (about 20 µs of each refresh's read of its update time)."""
    match = _RFC3339.match(raw)
    if match is None:
        raise ValueError(f"Timestamp: {raw}, does not match RFC 3339")
    whole, fraction = match.groups()
    bare = datetime.fromisoformat(whole)
    from google.api_core.datetime_helpers import DatetimeWithNanoseconds  # noqa: PLC0415

    return DatetimeWithNanoseconds(  # type: ignore[no-untyped-call]
        bare.year,
        bare.month,
        bare.day,
        bare.hour,
        bare.minute,
        bare.second,
        nanosecond=int(fraction.ljust(9, "0")) if fraction else 0,
        tzinfo=UTC,
    )


def field_path(name: str) -> str:
    """A top-level field's name as the API takes it in an update mask."""
    if _SIMPLE_FIELD.fullmatch(name):
        return name
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def structured_query(select: Select, prefix: str) -> tuple[str, dict[str, Any]]:
    """The parent path of ``select``'s collection (relative, "" for the database's root) and
    the ``StructuredQuery`` in the API's JSON mapping; ``prefix``: the database's documents
    path with a slash."""
    parent, _, collection_id = select.collection.rpartition("/")
    query: dict[str, Any] = {"from": [{"collectionId": collection_id}]}
    filters = [
        {"fieldFilter": {"field": {"fieldPath": name}, "op": "EQUAL", "value": encode(value)}}
        for name, value in select.where
    ]
    if len(filters) == 1:
        query["where"] = filters[0]
    elif filters:
        query["where"] = {"compositeFilter": {"op": "AND", "filters": filters}}
    if select.order_by:
        query["orderBy"] = [
            {"field": {"fieldPath": name}, "direction": "DESCENDING" if down else "ASCENDING"}
            for name, down in select.order_by
        ]
    if select.start_after:
        names = [name for name, _ in select.order_by]
        query["startAt"] = {
            "values": [
                {"referenceValue": f"{prefix}{select.collection}/{value}"}
                if name == "__name__"
                else encode(value)
                for name, value in zip(names, select.start_after, strict=True)
            ],
            "before": False,
        }
    if select.limit is not None:
        query["limit"] = select.limit
    return parent, query
