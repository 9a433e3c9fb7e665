"""The modules of a source tree that can name one of some identifiers, parsed: what the tests
that scan src/'s syntax trees for a call or a name read. Parsing all of src/ takes ~1.4 s of
CPU; a module whose text holds none of the identifiers has no node that names one, so it is
left unparsed (docs/testing.md, "Where the time goes"). Python reads an identifier in its
NFKC form, which another spelling may give: a module with characters past ASCII is searched
in that form."""

from __future__ import annotations

import ast
import unicodedata
from collections.abc import Iterator
from pathlib import Path


def trees_naming(
    root: Path, *names: str, files: str = "**/*.py"
) -> Iterator[tuple[Path, ast.Module]]:
    """Each file under ``root`` that ``files`` matches (sorted) and that may name one of
    ``names``, parsed."""
    for path in sorted(root.glob(files)):
        text = path.read_text(encoding="utf-8")
        read = text if text.isascii() else unicodedata.normalize("NFKC", text)
        if any(name in read for name in names):
            yield path, ast.parse(text, str(path))
