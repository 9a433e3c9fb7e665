"""What the web layer needs: use cases already bound to their adapters by bootstrap."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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
from application.admin import AdminChange, UserListing
from application.firebase import FirebaseSignIn
from application.pagination import Page
from application.sessions import AccessToken, SessionView


@dataclass(frozen=True)
class Services:
    register: Callable[[Register], UserView]
    login: Callable[[Login], TokenPair]
    firebase_sign_in: Callable[[FirebaseSignIn], TokenPair]
    authenticate: Callable[[str], Actor]
    get_user: Callable[[str], UserView]
    update_profile: Callable[[UpdateProfile], UserView]
    change_password: Callable[[ChangePassword], None]
    delete_user: Callable[[str], None]
    resume_deletions: Callable[[], int]
    refresh: Callable[[str], TokenPair]
    renew: Callable[[Actor], AccessToken]
    logout: Callable[[Actor, bool], None]
    list_sessions: Callable[[Actor], list[SessionView]]
    end_session: Callable[[Actor, str], None]
    jwks: Callable[[], dict[str, Any]]
    list_users: Callable[[Actor, int, str | None], Page[UserListing]]
    show_user: Callable[[Actor, str], UserListing]
    change_user: Callable[[Actor, AdminChange], UserView]
    remove_user: Callable[[Actor, str], None]
    set_role: Callable[[str, str], UserView]
    set_disabled: Callable[[str, bool], UserView]
    ready: Callable[[], bool]


def services() -> Services:
    found: Services = current_app.extensions["firegate"]
    return found
