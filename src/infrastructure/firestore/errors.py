"""Firestore failures as domain errors: an adapter raises ``Unavailable``, never a library error.

Firestore out of reach, or not answering within the deadline (infrastructure/firestore/
client.py bounds every call), becomes a 503 with Retry-After (docs/operations.md). A name
Firestore refuses (an id taken from a request that no document can have: ".", "..",
``__reserved__``, over 1,500 bytes) becomes ``NotFound``: there is no such document, and a
request naming one gets a 404, not a 500. Library errors that an adapter handles itself
(AlreadyExists, FailedPrecondition, Aborted around a commit) never get here: only what escapes
the outermost public method is translated.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import weakref
from collections.abc import Callable
from typing import Protocol, TypeVar

from domain.errors import NotFound, Unavailable
from infrastructure.firestore.sdk import exceptions, loaded

log = logging.getLogger("firegate.firestore")


def outage(exc: Exception) -> bool:
    """Whether ``exc`` is Firestore out of reach or past its deadline. Those are
    google.api_core's errors, so none was raised while it is not imported: that is not
    imported to tell (docs/decisions/0453-one-import-in-the-master.md)."""
    return loaded("google.api_core.exceptions") and isinstance(
        exc,
        exceptions.ServiceUnavailable
        | exceptions.DeadlineExceeded
        | exceptions.RetryError
        | exceptions.Aborted,
    )


# How Firestore (and its emulator) word a refused name: a resource id that cannot be ("." or
# "..", reserved), one too long, a document name it cannot parse
REFUSED_NAME = re.compile(
    r"resource id|key path element|document name|invalid path|longer than 1500 bytes",
    re.IGNORECASE,
)


def refused_name(exc: Exception) -> bool:
    """Whether ``exc`` is Firestore refusing a document's or collection's name."""
    return (
        loaded("google.api_core.exceptions")
        and isinstance(exc, exceptions.InvalidArgument | exceptions.BadRequest)
        and REFUSED_NAME.search(str(exc)) is not None
    )


AdapterT = TypeVar("AdapterT", bound=type)
_calls = threading.local()  # how deep in adapter methods this thread is


def unavailable(exc: Exception) -> Unavailable:
    log.warning("dependency unavailable: %s", type(exc).__name__)
    return Unavailable("A backing service is unavailable; try again shortly.", retry_after=5)


class _Renewable(Protocol):
    def outage_seen(self) -> None: ...


_renewable: weakref.WeakSet[_Renewable] = weakref.WeakSet()


def renews_after_outage(client: _Renewable) -> None:
    """Tell ``client`` of every outage a call through the client library meets from now on
    (it makes a new channel: client.py)."""
    _renewable.add(client)


def library_outage(exc: Exception) -> Unavailable:
    """``unavailable(exc)`` for an outage met through the client library, told to the clients
    first."""
    for client in list(_renewable):
        client.outage_seen()
    return unavailable(exc)


def _translated(method: Callable[..., object]) -> Callable[..., object]:
    @functools.wraps(method)
    def call(*args: object, **kwargs: object) -> object:
        depth: int = getattr(_calls, "depth", 0)
        _calls.depth = depth + 1
        try:
            return method(*args, **kwargs)
        except Exception as exc:
            if depth:  # an inner call: the outermost decides (it may retry)
                raise
            if refused_name(exc):
                raise NotFound("There is no such thing.") from exc
            if not outage(exc):  # the library's errors: the REST path raises Unavailable
                raise
            raise library_outage(exc) from exc
        finally:
            _calls.depth = depth

    return call


def translates_errors[AdapterT: type](cls: AdapterT) -> AdapterT:
    """Class decorator: every public method raises ``Unavailable`` for Firestore outages and
    ``NotFound`` for a name Firestore refuses."""
    for name, member in list(vars(cls).items()):
        if not name.startswith("_") and callable(member):
            setattr(cls, name, _translated(member))
    return cls
