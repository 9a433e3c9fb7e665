"""Writes tests/support/ocsf_1_5/*.schema.json: the JSON Schemas of the three OCSF 1.5.0
classes an org's log stream sends (Authentication 3002, Account Change 3001, User Access
Management 3005), compiled from the OCSF schema's own source at its 1.5.0 release
(docs/decisions/0949-the-pinned-ocsf-schema.md).

Usage: ``.venv/bin/python scripts/ocsf_schema.py SOURCE [--check]``, where SOURCE is the
ocsf/ocsf-schema repository at its tag ``1.5.0`` (``git clone --depth 1 --branch 1.5.0
https://github.com/ocsf/ocsf-schema``). ``--check`` writes nothing and fails when the files
kept differ from what SOURCE compiles to.

What is compiled, as the OCSF server does with no profile and no extension chosen:

- a class's attributes are its own over its parents' (``extends``: ``iam``, ``base_event``),
  an object's over those of the objects it extends; an attribute's details over the
  dictionary's; the ``enum`` of each level added to those below it;
- attributes a profile brings (``$include`` of ``profiles/``, or ``"profile": NAME``) are left
  out, unless the class names them again with ``"profile": null``;
- ``requirement: required`` is JSON Schema's ``required``; a constraint ``at_least_one`` is an
  ``anyOf``, ``just_one`` a ``oneOf``; no attribute outside the class's or object's own is
  allowed (``additionalProperties: false``), but the generic ``object`` (``unmapped``) takes
  any;
- ``class_uid`` and ``category_uid`` are the class's, ``type_uid`` one of ``class_uid * 100
  + activity_id``; the data types are JSON's, with their ``regex``, ``max_len`` and ``range``.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# The tag's commit: its version.json already reads "1.6.0-dev", so the release is told by
# the newest release in its CHANGELOG.md.
COMMIT = "78bf68a24b38c0d6441ddd13b9028c1b1eb53f07"
OUT = Path(__file__).resolve().parents[1] / "tests" / "support" / "ocsf_1_5"
VERSION = "1.5.0"
CLASSES = ("authentication", "account_change", "user_access")
GENERIC = "object"  # the generic object: any attributes (``unmapped``)
DRAFT = "https://json-schema.org/draft/2020-12/schema"

type Json = dict[str, Any]

_JSON_TYPES = {
    "string_t": "string",
    "integer_t": "integer",
    "long_t": "integer",
    "float_t": "number",
    "boolean_t": "boolean",
}


def _read(path: Path) -> Json:
    loaded: Json = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def _merged(below: Json, above: Json) -> Json:
    """``above``'s details of an attribute over ``below``'s; their enums added up."""
    merged = {**below, **above}
    if "enum" in below and "enum" in above:
        merged["enum"] = {**below["enum"], **above["enum"]}
    return merged


class Source:
    """The OCSF schema's source files at one release."""

    def __init__(self, root: Path) -> None:
        self.root = root
        changes = (root / "CHANGELOG.md").read_text(encoding="utf-8")
        released = re.findall(r"^## \[v(\d[^\]]*)\]", changes, re.MULTILINE)
        if released[:1] != [VERSION]:
            found = released[0] if released else "of no release"
            raise SystemExit(f"{root} is OCSF {found}, not {VERSION} (tag {VERSION})")
        dictionary = _read(root / "dictionary.json")
        self.dictionary: dict[str, Json] = dictionary["attributes"]
        self.types: dict[str, Json] = dictionary["types"]["attributes"]
        self.categories: dict[str, Json] = _read(root / "categories.json")["attributes"]
        self.events = self._by_name(root.glob("events/**/*.json"))
        self.objects = self._by_name(root.glob("objects/*.json"))

    @staticmethod
    def _by_name(paths: Iterator[Path]) -> dict[str, Json]:
        items = (_read(path) for path in sorted(paths))
        return {item["name"]: item for item in items}

    def attributes(self, item: Json, kind: dict[str, Json]) -> dict[str, Json]:
        """``item``'s attributes, with its parents', less those of a profile."""
        parent = kind[item["extends"]] if "extends" in item else None
        merged = self.attributes(parent, kind) if parent else {}
        own = dict(item.get("attributes", {}))
        for included in own.pop("$include", []):
            profile = _read(self.root / included)
            for name, details in profile.get("attributes", {}).items():
                merged[name] = _merged(
                    merged.get(name, {}), {**details, "profile": profile["name"]}
                )
        for name, details in own.items():
            merged[name] = _merged(merged.get(name, {}), details)
        return {name: details for name, details in merged.items() if not details.get("profile")}

    def constraints(self, item: Json, kind: dict[str, Json]) -> Json:
        if "constraints" in item or "extends" not in item:
            constraints: Json = item.get("constraints", {})
            return constraints
        return self.constraints(kind[item["extends"]], kind)

    def category(self, item: Json) -> Json:
        while "category" not in item:
            item = self.events[item["extends"]]
        return self.categories[item["category"]]


class Compiler:
    """One class's JSON Schema, with the objects it reaches as ``$defs``."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.defs: dict[str, Json] = {}

    def value(self, type_name: str, enum: Json | None) -> Json:
        if type_name == GENERIC:
            return {"type": "object"}
        if type_name in self.source.objects:
            if type_name not in self.defs:
                self.defs[type_name] = {}  # a placeholder: objects refer to each other
                item = self.source.objects[type_name]
                self.defs[type_name] = self.shape(item, self.source.objects)
            return {"$ref": f"#/$defs/{type_name}"}
        return self.data_type(type_name, enum)

    def data_type(self, type_name: str, enum: Json | None) -> Json:
        if type_name == "json_t":
            return {}
        details = self.source.types[type_name]
        base = details.get("type", type_name)
        if base == "timestamp_t":
            base = "long_t"
        schema: Json = {"type": _JSON_TYPES[base]}
        if "regex" in details:
            schema["pattern"] = details["regex"]
        if "max_len" in details:
            schema["maxLength"] = details["max_len"]
        if "range" in details:
            schema["minimum"], schema["maximum"] = details["range"]
        if enum:
            keys = sorted(enum, key=lambda key: (len(key), key))
            schema["enum"] = [int(key) for key in keys] if schema["type"] == "integer" else keys
        return schema

    def attribute(self, name: str, details: Json) -> Json:
        known = self.source.dictionary[name]
        full = _merged(known, details)
        schema = self.value(full["type"], full.get("enum"))
        if full.get("is_array"):
            return {"type": "array", "items": schema}
        return schema

    def shape(self, item: Json, kind: dict[str, Json]) -> Json:
        attributes = self.source.attributes(item, kind)
        schema: Json = {
            "title": item["caption"],
            "type": "object",
            "properties": {
                name: self.attribute(name, attributes[name]) for name in sorted(attributes)
            },
            "additionalProperties": False,
        }
        required = sorted(n for n, d in attributes.items() if d.get("requirement") == "required")
        if required:
            schema["required"] = required
        rules = []
        for rule, keyword in (("at_least_one", "anyOf"), ("just_one", "oneOf")):
            names = [
                n for n in self.source.constraints(item, kind).get(rule, []) if n in attributes
            ]
            if names:
                rules.append({keyword: [{"required": [name]} for name in names]})
        if rules:
            schema["allOf"] = rules
        return schema

    def event_class(self, name: str) -> Json:
        item = self.source.events[name]
        category = self.source.category(item)
        class_uid = category["uid"] * 1000 + item["uid"]
        schema = self.shape(item, self.source.events)
        properties = schema["properties"]
        activities = properties["activity_id"]["enum"]
        properties["category_uid"] = {"type": "integer", "const": category["uid"]}
        properties["class_uid"] = {"type": "integer", "const": class_uid}
        properties["type_uid"] = {
            "type": "integer",
            "enum": [class_uid * 100 + activity for activity in activities],
        }
        return {
            "$schema": DRAFT,
            **schema,
            "title": f"OCSF {VERSION} {item['caption']} ({class_uid})",
            "$defs": dict(sorted(self.defs.items())),
        }


def compiled(root: Path, classes: tuple[str, ...] = CLASSES) -> dict[str, str]:
    """Each class's file name and text."""
    source = Source(root)
    return {
        f"{name}.schema.json": json.dumps(Compiler(source).event_class(name), indent=1) + "\n"
        for name in classes
    }


def stale(files: dict[str, str], out: Path) -> list[str]:
    """The files of ``files`` that ``out`` lacks or holds otherwise."""
    return [
        name
        for name, text in files.items()
        if not (out / name).is_file() or (out / name).read_text(encoding="utf-8") != text
    ]


def main(argv: list[str], out: Path = OUT) -> int:
    if len(argv) not in (1, 2) or argv[1:] not in ([], ["--check"]):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    files = compiled(Path(argv[0]))
    if argv[1:] == ["--check"]:
        differ = stale(files, out)
        for name in differ:
            print(f"{out / name} differs from what {argv[0]} compiles to", file=sys.stderr)
        return 1 if differ else 0
    out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
