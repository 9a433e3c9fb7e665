"""Mail's part of the admin pages (docs/pages.md): inviting someone from /admin, and sending
an account's owner a verification mail from its page. The web adapter's composition hands
``SEND_VERIFICATION`` to the admin pages (interfaces/web/accounts/admin.py)."""

from __future__ import annotations

from flask import Response

from application.mail.flows import RequestVerification
from application.mail.invitations import Invite
from application.mail.services import MailServices
from application.signin.authentication import Actor
from interfaces.shared.services import services
from interfaces.web.accounts.admin import UserAction, admin_shown, needs_sign_in
from interfaces.web.forms import field, form_errors
from interfaces.web.rendering import bp, see_other


@bp.post("/admin/invitations")
@needs_sign_in
@form_errors("accounts/admin.html", shown=admin_shown)
def invite(actor: Actor) -> Response:
    username = field("username", required=False).strip() or None
    email, role = field("email"), field("role", required=False)
    user = (
        services()
        .of(MailServices)
        .invitations.invite(Invite(actor=actor, username=username, email=email, role=role or None))
    )
    return see_other(f"/admin/users/{user.id}?done=invited")


def _send_verification(actor: Actor, user_id: str) -> None:
    services().of(MailServices).verification.request_verification(
        RequestVerification(actor, user_id=user_id)
    )


SEND_VERIFICATION = UserAction("send-verification", "verification", _send_verification)
