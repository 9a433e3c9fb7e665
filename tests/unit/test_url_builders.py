"""The app's URL rules compile their URL builders on first use (interfaces/shared/routing.py):
every rule builds the URLs werkzeug's own rule builds, and making the app compiles none."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import product
from typing import Any

import pytest
from flask import Flask, url_for
from werkzeug.routing import Map, Rule

from bootstrap import build_app
from interfaces.shared.routing import LazyBuilderRule
from tests.support.app import fake_adapters
from tests.support.settings import make_settings

pytestmark = pytest.mark.unit

# Values for a rule's variables: plain, one a converter of ours refuses ("invitations",
# "is_adopted"), one of an any() converter, and ones that need quoting.
VALUES = ("abc", "invitations", "is_adopted", "end-sessions", "a b/ü?#", "42")
QUERY = {"next": "/a b?c=ü", "n": 3}


def built(rule: Rule, values: dict[str, Any]) -> list[object]:
    """What the rule builds from ``values`` without and with the unknown ones as a query, or
    the error it raises."""
    outcomes: list[object] = []
    for append_unknown in (False, True):
        try:
            outcomes.append(rule.build(values, append_unknown=append_unknown))
        except ValueError as error:  # a value an any() converter does not have
            outcomes.append((type(error), str(error)))
    return outcomes


def each_values(rule: Rule) -> Iterator[dict[str, Any]]:
    names = sorted(rule.arguments)
    for chosen in product(VALUES, repeat=len(names)):
        values = dict(zip(names, chosen, strict=True))
        yield values
        yield {**values, **QUERY}


def test_every_rule_of_the_app_builds_what_werkzeugs_rule_builds(fake_app: Flask) -> None:
    plain = Map(converters=dict(fake_app.url_map.converters))
    pairs = []
    for rule in fake_app.url_map.iter_rules():
        twin = Rule(rule.rule, **rule.get_empty_kwargs())
        plain.add(twin)
        pairs.append((rule, twin))
    assert sum(isinstance(rule, LazyBuilderRule) for rule, _ in pairs) > 150

    compared = 0
    for rule, twin in pairs:
        for values in each_values(rule):
            expected = built(twin, values)
            assert built(rule, values) == expected, (rule.rule, values)
            assert built(rule, values) == expected, (rule.rule, values)  # once compiled
            compared += 1
    assert compared > 500


def test_a_variable_called_rule_and_defaults_build_as_with_werkzeugs_rule() -> None:
    lazy_map = Map([LazyBuilderRule("/r/<rule>/<int:page>", endpoint="r", defaults={"x": 1})])
    plain_map = Map([Rule("/r/<rule>/<int:page>", endpoint="r", defaults={"x": 1})])
    for values in ({"rule": "a b", "page": 2}, {"rule": "z", "page": 3, "q": "1"}):
        lazy = lazy_map.bind("example.com").build("r", values)
        assert lazy == plain_map.bind("example.com").build("r", values)
    assert lazy == "/r/z/3?q=1"


def test_making_the_app_compiles_no_builder_and_a_url_compiles_its_rules_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    compiled: list[str] = []
    werkzeugs = Rule._compile_builder

    def counted(rule: Rule, append_unknown: bool = True) -> Any:
        if isinstance(rule, LazyBuilderRule):
            compiled.append(rule.rule)
        return werkzeugs(rule, append_unknown)

    monkeypatch.setattr(Rule, "_compile_builder", counted)
    settings = make_settings()
    app = build_app(settings, fake_adapters(settings))
    assert len(list(app.url_map.iter_rules())) > 150
    assert compiled == []

    with app.test_request_context():
        assert url_for("jwks.jwks") == "/.well-known/jwks.json"
        assert url_for("jwks.jwks", a="b c") == "/.well-known/jwks.json?a=b+c"
    assert compiled == ["/.well-known/jwks.json"]
