"""Profile attributes: the deployment's custom fields of an account, described by a schema (a
JSON Schema of one object), who may read and write each, and the check of a value written
(docs/reference/accounts.md, "Profile attributes"; docs/decisions/0484-profile-schema.md).
A ``pattern`` is compiled by the engine the caller hands ``ProfileSchema.parse``, one that
checks a value in time linear in its length
(docs/decisions/0504-schema-patterns-in-linear-time.md)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import partial

from domain.errors import FieldError, InvalidInput, checked
from domain.text import check_text, is_text

type AttributeValue = str | int | float | bool
# A schema's ``pattern`` compiled: whether a text holds it (searched, not anchored, as JSON
# Schema says). The engine compiles a pattern into one, or raises ValueError saying why not.
type Matcher = Callable[[str], bool]
type PatternEngine = Callable[[str], Matcher]

ACTORS = ("user", "admin", "org_admin", "scim", "hook")  # who reads or writes an attribute
# The org's admins and its single sign-on (its IdP speaks for the org): an org's members' only.
ORG_ADMIN = "org_admin"
KINDS = ("string", "integer", "number", "boolean", "enum", "date")
# What a property says when it leaves out ``x-read`` or ``x-write``: the person and the admins
# read it, only the admins write it (a field is the person's to edit only when it says so).
DEFAULT_READ, DEFAULT_WRITE = ("user", "admin"), ("admin",)
PROPERTIES_MAX = 100
STRING_MAX = 1_000  # the longest string a schema may allow (and allows when it says nothing)
CHOICES_MAX = 100
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
_SCOPE = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]{1,64}")  # an OAuth scope-token (RFC 6749 3.3)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SCHEMA_KEYWORDS = frozenset(
    {"$schema", "$id", "title", "description", "type", "properties", "additionalProperties"}
)
_PROPERTY_KEYWORDS = frozenset(
    {
        "type",
        "enum",
        "format",
        "minLength",
        "maxLength",
        "pattern",
        "minimum",
        "maximum",
        "title",
        "description",
        "x-read",
        "x-write",
        "x-scope",
    }
)
_STRING_KEYWORDS = ("minLength", "maxLength", "pattern")
_NUMBER_KEYWORDS = ("minimum", "maximum")
INVALID_SCHEMA = "invalid_profile_schema"


def _refused(where: str, message: str) -> InvalidInput:
    return InvalidInput.field(where, message, INVALID_SCHEMA)


@dataclass(frozen=True)
class TextPattern:
    """A property's ``pattern``: its text, and the engine's matcher of it."""

    source: str
    found_in: Matcher = field(compare=False, repr=False)


@dataclass(frozen=True)
class Attribute:
    """One property of the schema: its name, its kind and bounds, who reads and writes it,
    and the OpenID scope that releases it as a claim (None: no scope does)."""

    name: str
    kind: str
    read: frozenset[str] = frozenset(DEFAULT_READ)
    write: frozenset[str] = frozenset(DEFAULT_WRITE)
    scope: str | None = None
    min_length: int = 0
    max_length: int = STRING_MAX
    pattern: TextPattern | None = None
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    title: str | None = None

    @property
    def where(self) -> str:
        return f"attributes.{self.name}"

    def checked(self, value: object) -> AttributeValue:
        """``value`` as stored, when this attribute may take it; else a 422 naming it."""
        if self.kind in ("enum", "date"):
            return self._chosen(value)
        if isinstance(value, str) and self.kind in ("string", "plain"):
            return self._text(value)
        if isinstance(value, bool):
            if self.kind in ("boolean", "plain"):
                return value
        elif isinstance(value, int | float) and self.kind in ("integer", "number", "plain"):
            return self._number(value)
        if self.kind == "plain":
            raise self._refusal("A string, a number, true or false.")
        raise self._refusal(f"Must be of type {self.kind}.")

    def from_text(self, text: str) -> object:
        """What an identity provider's text says for this attribute, before its check: a
        number or a flag read from the text for those kinds, the text itself for the others
        (the check then refuses what is not of the kind)."""
        if self.kind == "boolean":
            return _FLAGS.get(text.strip().lower(), text)
        if self.kind in ("integer", "number"):
            try:
                return int(text) if self.kind == "integer" else float(text)
            except ValueError:
                return text
        return text

    def _chosen(self, value: object) -> str:
        if self.kind == "enum":
            if value in self.choices:
                return str(value)
            raise self._refusal(f"One of: {', '.join(self.choices)}.")
        if isinstance(value, str) and _DATE.fullmatch(value) and _is_date(value):
            return value
        raise self._refusal("A date, as YYYY-MM-DD.")

    def _number(self, value: int | float) -> int | float:
        if not math.isfinite(value):
            raise self._refusal("A finite number.")
        if self.kind == "integer" and isinstance(value, float):
            if not value.is_integer():
                raise self._refusal("Must be of type integer.")
            value = int(value)
        return self._bounded(value)

    def _bounded(self, value: int | float) -> int | float:
        if self.minimum is not None and value < self.minimum:
            raise self._refusal(f"At least {self.minimum:g}.")
        if self.maximum is not None and value > self.maximum:
            raise self._refusal(f"At most {self.maximum:g}.")
        return value

    def _text(self, value: str) -> str:
        if not self.min_length <= len(value) <= self.max_length:
            raise self._refusal(f"{self.min_length} to {self.max_length} characters.")
        check_text(self.where, value)
        if not is_text(value):
            raise self._refusal("Must be text: a lone surrogate is not a character.")
        if self.pattern is not None and not self.pattern.found_in(value):
            raise self._refusal("Does not match the pattern the schema gives.")
        return value

    def _refusal(self, message: str) -> InvalidInput:
        return InvalidInput.field(self.where, message, "invalid_attribute_value")


_FLAGS = {"true": True, "false": False, "1": True, "0": False}


def is_attribute_name(name: object) -> bool:
    """Whether ``name`` may name an attribute: a letter, then up to 63 letters, digits or
    '_'."""
    return isinstance(name, str) and _NAME.fullmatch(name) is not None


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class ProfileSchema:
    """The attributes a deployment defines; a value stored under a name it no longer defines
    is kept and hidden (``readable`` leaves it out, ``written`` carries it over)."""

    attributes: tuple[Attribute, ...] = ()
    by_name: Mapping[str, Attribute] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {each.name: each for each in self.attributes})

    @classmethod
    def parse(cls, document: object, *, patterns: PatternEngine) -> ProfileSchema:
        """The schema a JSON document describes, each ``pattern`` compiled by ``patterns``;
        422 ``invalid_profile_schema`` naming the first keyword that is wrong
        (``properties.department.maxLength``), a pattern the engine refuses among them."""
        if not isinstance(document, Mapping):
            raise _refused("schema", "The schema must be a JSON object.")
        unknown = sorted(set(document) - _SCHEMA_KEYWORDS)
        if unknown:
            raise _refused(unknown[0], "Not a keyword of a profile schema.")
        if document.get("type") != "object":
            raise _refused("type", 'A profile schema is of "type": "object".')
        if document.get("additionalProperties", False) is not False:
            raise _refused("additionalProperties", "Must be false, or left out.")
        properties = document.get("properties", {})
        if not isinstance(properties, Mapping):
            raise _refused("properties", "Must be an object.")
        if len(properties) > PROPERTIES_MAX:
            raise _refused("properties", f"At most {PROPERTIES_MAX} properties.")
        return cls(tuple(_attribute(name, spec, patterns) for name, spec in properties.items()))

    def readable(self, values: Mapping[str, AttributeValue], actor: str) -> dict[str, object]:
        """The values ``actor`` may read: those of attributes the schema defines and lets it
        read, as stored (a value a narrowed type would refuse now is still answered)."""
        return {
            name: value
            for name, value in values.items()
            if (attribute := self.by_name.get(name)) is not None and actor in attribute.read
        }

    def released(
        self, values: Mapping[str, AttributeValue], scopes: Collection[str]
    ) -> dict[str, AttributeValue]:
        """The values released as claims to an app granted ``scopes``: those of attributes
        the schema defines with an ``x-scope`` among them (a hidden value never is)."""
        return {
            name: value
            for name, value in values.items()
            if (attribute := self.by_name.get(name)) is not None and attribute.scope in scopes
        }

    def check_release(self, scopes: Collection[str], taken: Collection[str]) -> None:
        """422 ``invalid_profile_schema`` naming the first ``x-scope`` that is not one of
        ``scopes`` (the OpenID provider's), or a released attribute named as one of the
        claims firegate gives (``taken``): no attribute is promised as a claim it cannot be
        (docs/decisions/0485-profile-attributes-in-claims-and-scim.md)."""
        for each in self.attributes:
            if each.scope is None:
                continue
            if each.scope not in scopes:
                raise _refused(
                    f"properties.{each.name}.x-scope",
                    f"One of the scopes the OpenID provider offers: {', '.join(scopes)}.",
                )
            if each.name in taken:
                raise _refused(
                    f"properties.{each.name}",
                    "firegate gives a claim of this name: an attribute released as a claim "
                    "needs another name.",
                )

    def written(
        self,
        values: Mapping[str, AttributeValue],
        changes: Mapping[str, object],
        actor: str,
    ) -> dict[str, AttributeValue]:
        """``values`` with ``changes`` (a null removes a value) written by ``actor``; every
        refused one said at once (422), each naming its field."""
        result = dict(values)
        problems: list[FieldError] = []
        for name, value in changes.items():
            attribute = self.by_name.get(name)
            where = f"attributes.{name}"
            if attribute is None:
                message = "The profile schema defines no such attribute."
                problems.append(FieldError(where, message, "unknown_attribute"))
            elif actor not in attribute.write:
                message = f"This attribute may not be written by {actor}."
                problems.append(FieldError(where, message, "attribute_not_writable"))
            elif value is None:
                result.pop(name, None)
            elif (stored := checked(partial(attribute.checked, value), problems)) is not None:
                result[name] = stored
        if problems:
            raise InvalidInput.of(problems)
        return result

    def asserted(
        self, values: Mapping[str, AttributeValue], texts: Mapping[str, str], writer: str
    ) -> tuple[dict[str, AttributeValue], list[FieldError]]:
        """``values`` with the ``texts`` an identity provider asserts written by ``writer``,
        each read by its attribute's kind (``from_text``): those written, and the refusals of
        the others (no such attribute, not ``writer``'s to write, not of its kind or bounds),
        which are left out one by one while the rest are written."""
        result = dict(values)
        refused: list[FieldError] = []
        for name, text in texts.items():
            attribute = self.by_name.get(name)
            value = attribute.from_text(text) if attribute is not None else text
            written = checked(partial(self.written, result, {name: value}, writer), refused)
            if written is not None:
                result = written
        return result, refused

    def imported(self, raw: object) -> dict[str, AttributeValue]:
        """The attributes of an imported account (``users import``): those the schema
        defines checked by their kind and bounds (the operator imports, whoever else may
        write them), the others kept when they are plain values, as an export of hidden ones
        writes them; null or absent values are left out."""
        if raw is None:
            return {}
        if not isinstance(raw, Mapping) or len(raw) > IMPORTED_MAX:
            raise InvalidInput.field(
                "attributes",
                f"An object of at most {IMPORTED_MAX} values.",
                "invalid_attribute_value",
            )
        problems: list[FieldError] = []
        values = {
            name: checked(partial(self._imported_value, name, value), problems)
            for name, value in raw.items()
            if value is not None
        }
        if problems:
            raise InvalidInput.of(problems)
        return {name: value for name, value in values.items() if value is not None}

    def _imported_value(self, name: object, value: object) -> AttributeValue:
        return (self.by_name.get(str(name)) or _hidden(name)).checked(value)


EMPTY_SCHEMA = ProfileSchema()
IMPORTED_MAX = 2 * PROPERTIES_MAX  # the schema's attributes and as many it no longer has


def _hidden(name: object) -> Attribute:
    """What a value the schema does not define may be: a plain value under a valid name."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidInput.field(
            f"attributes.{name}", "Not an attribute's name.", "invalid_attribute_value"
        )
    return Attribute(name, "plain")


def _attribute(name: object, spec: object, patterns: PatternEngine) -> Attribute:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise _refused(
            f"properties.{name}",
            "A name is a letter, then up to 63 letters, digits or '_'.",
        )
    where = f"properties.{name}"
    if not isinstance(spec, Mapping):
        raise _refused(where, "Must be an object.")
    unknown = sorted(set(spec) - _PROPERTY_KEYWORDS)
    if unknown:
        raise _refused(f"{where}.{unknown[0]}", "Not a keyword of a profile attribute.")
    kind = _kind(where, spec)
    for keyword in _STRING_KEYWORDS if kind != "string" else ():
        if keyword in spec:
            raise _refused(f"{where}.{keyword}", "Applies only to a string.")
    for keyword in _NUMBER_KEYWORDS if kind not in ("integer", "number") else ():
        if keyword in spec:
            raise _refused(f"{where}.{keyword}", "Applies only to an integer or a number.")
    min_length = _count(spec, where, "minLength", 0)
    max_length = _count(spec, where, "maxLength", STRING_MAX)
    if max_length > STRING_MAX or min_length > max_length:
        raise _refused(f"{where}.maxLength", f"At least minLength, at most {STRING_MAX}.")
    minimum, maximum = _bound(spec, where, "minimum"), _bound(spec, where, "maximum")
    if minimum is not None and maximum is not None and minimum > maximum:
        raise _refused(f"{where}.maximum", "At least the minimum.")
    title = spec.get("title")
    if title is not None and not isinstance(title, str):
        raise _refused(f"{where}.title", "Must be a string.")
    return Attribute(
        name=name,
        kind=kind,
        read=_actors(spec, where, "x-read", DEFAULT_READ),
        write=_actors(spec, where, "x-write", DEFAULT_WRITE),
        scope=_scope(spec, where),
        min_length=min_length,
        max_length=max_length,
        pattern=_pattern(spec, where, patterns),
        minimum=minimum,
        maximum=maximum,
        choices=_choices(spec, where) if kind == "enum" else (),
        title=title,
    )


def _kind(where: str, spec: Mapping[str, object]) -> str:
    """The kind of value a property takes: JSON Schema's ``type`` (``enum`` and ``date`` as
    words of their own too), ``enum`` for a list of choices, ``format: date`` for a date."""
    declared, form = spec.get("type"), spec.get("format")
    if "enum" in spec:
        if declared not in (None, "string", "enum"):
            raise _refused(f"{where}.type", 'A list of choices is of type "string" or "enum".')
        return "enum"
    if declared == "enum":
        raise _refused(f"{where}.enum", 'A property of type "enum" lists its choices.')
    if form is not None and not (form == "date" and declared in ("string", "date")):
        raise _refused(f"{where}.format", 'Only "date", on a string.')
    if declared == "string" and form == "date":
        return "date"
    if not isinstance(declared, str) or declared not in KINDS:
        raise _refused(f"{where}.type", f"One of: {', '.join(KINDS)}.")
    return declared


def _count(spec: Mapping[str, object], where: str, keyword: str, default: int) -> int:
    value = spec.get(keyword, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _refused(f"{where}.{keyword}", "Must be a whole number, 0 or more.")
    return value


def _bound(spec: Mapping[str, object], where: str, keyword: str) -> float | None:
    value = spec.get(keyword)
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise _refused(f"{where}.{keyword}", "Must be a number.")
    return value


def _pattern(spec: Mapping[str, object], where: str, patterns: PatternEngine) -> TextPattern | None:
    pattern = spec.get("pattern")
    if pattern is None:
        return None
    if not isinstance(pattern, str) or len(pattern) > 500 or not is_text(pattern):
        raise _refused(
            f"{where}.pattern", "Must be a regular expression of 500 characters at most."
        )
    try:
        found_in = patterns(pattern)
    except ValueError as exc:
        raise _refused(
            f"{where}.pattern",
            f"Not a regular expression firegate checks ({exc}): no lookaround, no "
            'backreference (docs/reference/accounts.md, "Profile attributes").',
        ) from None
    return TextPattern(pattern, found_in)


def _choices(spec: Mapping[str, object], where: str) -> tuple[str, ...]:
    choices = spec.get("enum")
    if (
        not isinstance(choices, list)
        or not 1 <= len(choices) <= CHOICES_MAX
        or not all(isinstance(each, str) and 1 <= len(each) <= 100 for each in choices)
        or len(set(choices)) != len(choices)
    ):
        raise _refused(
            f"{where}.enum", f"A list of 1 to {CHOICES_MAX} different strings, each 1 to 100 long."
        )
    return tuple(choices)


def _actors(
    spec: Mapping[str, object], where: str, keyword: str, default: tuple[str, ...]
) -> frozenset[str]:
    actors = spec.get(keyword, list(default))
    if not isinstance(actors, list) or not all(each in ACTORS for each in actors):
        raise _refused(f"{where}.{keyword}", f"A list of some of: {', '.join(ACTORS)}.")
    return frozenset(str(each) for each in actors)


def _scope(spec: Mapping[str, object], where: str) -> str | None:
    scope = spec.get("x-scope")
    if scope is None:
        return None
    if not isinstance(scope, str) or not _SCOPE.fullmatch(scope):
        raise _refused(f"{where}.x-scope", "Must be one OAuth scope (no spaces).")
    return scope
