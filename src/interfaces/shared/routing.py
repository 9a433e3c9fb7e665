"""URL rules that compile their URL builders when a URL is first built from them.

werkzeug compiles two builder functions for every rule as the rule is added (Python source
through ``ast`` and ``compile``): about 80 % of the time it takes to make the app, for ~180
rules of which a process builds URLs (``url_for``) from a handful. Each builder is compiled
instead the first time it is called, from the same werkzeug code, and then replaces itself:
the same URLs, the same errors, the cost paid once per rule used (docs/benchmarks.md, "Making
the app"; docs/decisions/0354-ci-in-half-the-time.md).
"""

from __future__ import annotations

from typing import Any

from werkzeug.routing import Rule


class LazyBuilderRule(Rule):
    """A werkzeug ``Rule`` whose ``_build`` and ``_build_unknown`` are compiled on first use."""

    def _compile_builder(self, append_unknown: bool = True) -> Any:
        # Rule.compile binds what this returns to the rule, as self._build(_unknown); the
        # stand-in compiles werkzeug's builder, puts it in its own place and calls it. The rule
        # is positional only: a rule may have a variable called "rule".
        attribute = "_build_unknown" if append_unknown else "_build"

        def compile_then_build(rule: Rule, /, **values: Any) -> tuple[str, str]:
            builder = Rule._compile_builder(rule, append_unknown).__get__(rule, None)
            setattr(rule, attribute, builder)
            result: tuple[str, str] = builder(**values)
            return result

        return compile_then_build
