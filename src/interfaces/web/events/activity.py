"""Activity, a section of the account area (docs/pages.md, "The account area"): the
account's recent security events, each sign-in with its "This wasn't me" button
(interfaces/web/mail/not_me.py); and the same events on an admin's page of the account. The
web adapter's composition hands them to the area and the admin pages."""

from __future__ import annotations

from collections.abc import Sequence

from application.events.security_events import EventQuery
from application.events.services import EventServices
from application.signin.authentication import Actor
from domain.accounts.users import User
from domain.events.security_events import Activity
from interfaces.shared.services import services
from interfaces.web.accounts.account import Section, header

RECENT_EVENTS = 10  # what the account and admin pages show of an account's activity


def _activity(actor: Actor) -> dict[str, object]:
    # failed sign-ins in a row are one line
    events = services().of(EventServices).history.recent(EventQuery(actor, RECENT_EVENTS))
    return {**header(actor), "events": events, "this_browser": this_browsers(events, actor)}


SIGN_INS = frozenset({"signin.succeeded", "signin.new_device"})


def this_browsers(events: Sequence[Activity], actor: Actor) -> frozenset[str]:
    """The ids of the sign-in events that began this browser's session: its "This wasn't
    me" button would disown this very browser (docs/pages.md, "Devices and times")."""
    return frozenset(
        line.event.id
        for line in events
        if line.event.type in SIGN_INS and line.event.session_id == actor.session_id
    )


ACTIVITY = Section("/account/activity", "accounts/account_activity.html", _activity)


def user_events(actor: Actor, user: User) -> dict[str, object]:
    """An admin's page of an account: its recent events."""
    return {
        "events": services()
        .of(EventServices)
        .history.recent(EventQuery(actor, RECENT_EVENTS, user_id=user.id))
    }
