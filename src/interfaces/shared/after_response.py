"""Work a request hands on only once its answer has been sent (docs/security.md, "Password
recovery")."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Response, after_this_request

log = logging.getLogger("firegate.requests")


def after_response(task: Callable[[], None]) -> None:
    """Run ``task`` when the WSGI server closes this request's response, after its last byte
    was written: nothing ``task`` does (nor what it starts) can lengthen the answer. ``task``
    runs outside the request's context: it captures what it needs beforehand."""

    def run() -> None:
        try:
            task()
        except Exception:  # the answer is gone: nobody to tell but the log
            log.exception("work after a response failed")

    @after_this_request
    def defer(response: Response) -> Response:
        response.call_on_close(run)
        return response
