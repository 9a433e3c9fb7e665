"""Reading a sign-in code and its link out of the mail that carries them."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

CODE = re.compile(r"^\s*(\d{6})\s*$", re.MULTILINE)


def code_in(text: str) -> str:
    """The 6-digit code of a code mail's text."""
    found = CODE.search(text)
    assert found is not None, text
    return found.group(1)


def link_in(text: str) -> tuple[str, str]:
    """The mail's link, and its token (the link names no flow: the flow's id is the
    requester's alone)."""
    link = next(word for word in text.split() if "/sign-in/email?" in word)
    query = parse_qs(urlsplit(link).query)
    assert "flow" not in query, link
    return link, query["token"][0]
