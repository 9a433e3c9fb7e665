"""How a request finds the use cases: the ``Services`` the composition root bound when it
built the app, each record reached by its type (``services().of(OrgServices)``). ``Services``
itself lives in application/services.py, where every driving adapter can import it."""

from __future__ import annotations

from flask import current_app

from application.services import Services


def services() -> Services:
    found: Services = current_app.extensions["firegate"]
    return found
