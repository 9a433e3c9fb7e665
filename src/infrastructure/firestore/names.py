"""The names Firestore can hold: a collection's or a document's id is not empty, "." or "..",
nor ``__reserved__``, and at most 1,500 bytes of UTF-8. An id taken from a request (a URL's,
say) can be anything; Firestore answers 400 to a name it cannot hold."""

from __future__ import annotations

MAX_ID_BYTES = 1500  # of a collection's or a document's id


def storable_path(path: str) -> bool:
    """Whether every part of ``path`` could name a Firestore collection or document: not
    empty, "." or "..", not ``__reserved__``, at most 1,500 bytes (an id taken from a
    request, a URL's say, can be anything)."""
    try:
        sizes = [len(part.encode("utf-8")) for part in path.split("/")]
    except UnicodeEncodeError:  # a lone surrogate: no UTF-8 names it
        return False
    return all(
        0 < size <= MAX_ID_BYTES
        and part not in (".", "..")
        and not (part.startswith("__") and part.endswith("__"))
        for part, size in zip(path.split("/"), sizes, strict=True)
    )
