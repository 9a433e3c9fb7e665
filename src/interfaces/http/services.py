"""What the web layer needs: use cases already bound to their adapters by bootstrap."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app

from application.accounts import (
    Actor,
    ChangePassword,
    Login,
    Register,
    TokenPair,
    UpdateProfile,
    UserView,
)


@dataclass(frozen=True)
class Services:
    register: Callable[[Register], UserView]
    login: Callable[[Login], TokenPair]
    authenticate: Callable[[str], Actor]
    get_user: Callable[[str], UserView]
    update_profile: Callable[[UpdateProfile], UserView]
    change_password: Callable[[ChangePassword], None]
    delete_user: Callable[[str], None]
    resume_deletions: Callable[[], int]
    ready: Callable[[], bool]


def services() -> Services:
    found: Services = current_app.extensions["firegate"]
    return found
