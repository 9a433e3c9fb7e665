"""The profile schema's ``pattern`` engine: RE2, which checks a text in time linear in its
length whatever the pattern, where a backtracking engine takes exponential time on a pattern
such as ``^(a+)+$`` (docs/decisions/0504-schema-patterns-in-linear-time.md). A pattern RE2
cannot compile (a lookaround, a backreference) is refused where the schema is loaded.

RE2 (2.4 MiB of a worker) is imported by the first pattern compiled: a deployment whose
profile schema has none never loads it (docs/decisions/0530-protocol-stacks-loaded-when-used.md)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import re2


@cache
def _options() -> re2.Options:
    import re2  # noqa: PLC0415

    options = re2.Options()
    options.log_errors = False  # a refused pattern is the caller's 422, not a line on stderr
    options.max_mem = 8 << 20  # RE2's default, written down: a larger program is refused
    return options


def re2_matcher(pattern: str) -> Callable[[str], bool]:
    """Whether a text holds ``pattern`` (searched, as JSON Schema's ``pattern`` is), which
    the accounts' profile schema takes as its ``Matcher`` (``domain/accounts/attributes.py``);
    ValueError saying why RE2 does not take it."""
    import re2  # noqa: PLC0415

    try:
        compiled = re2.compile(pattern, _options())
    except re2.error as exc:
        reason = exc.args[0] if exc.args else b""
        text = reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
        raise ValueError(text or "not a pattern RE2 takes") from None
    except UnicodeEncodeError:
        raise ValueError("a lone surrogate is not a character") from None

    def found_in(text: str) -> bool:
        try:
            return compiled.search(text) is not None
        except UnicodeEncodeError:  # a lone surrogate: no text RE2 reads holds the pattern
            return False

    return found_in
