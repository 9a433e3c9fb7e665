"""The mail of a sign-in code: the EMAIL_CODE_MAIL job renders and sends the code and link
of a flow that sign-in stored (application/signin/codes/email.py; docs/reference/email-code.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from application.accounts.accounts import UserRepository
from application.mail.sending import MailSettings, deliver
from application.ports import Audit, AuditEvent, AuditLog, Clock, Job, Mailer, MailRenderer
from application.signin.codes.email import EMAIL_CODE_MAIL, EmailCodeFlowStore
from application.signin.codes.flow import issued
from domain.accounts.credentials import login_key


@dataclass(frozen=True, kw_only=True, slots=True)
class EmailCodeMailJob:
    """The EMAIL_CODE_MAIL job: give the flow its link token (so its code), then mail both to
    the flow's address, greeting the account where it has proven that address. A flow voided
    or spent since the request gets nothing. ``app_link``: the path of the page an app's link
    opens, where a unit serves one (a flow asked with a code_challenge links there)."""

    flows: EmailCodeFlowStore
    users: UserRepository
    renderer: MailRenderer
    mailer: Mailer
    clock: Clock
    audit: AuditLog
    settings: MailSettings
    app_link: str | None = None

    def run(self, job: Job, final: bool) -> None:
        now = self.clock.now()
        sending = issued(self.flows, job, now)
        if sending is None:
            return  # unreadable, or voided, spent or expired since the request
        flow, token = sending.flow, sending.token
        user = self.users.find_by_login(login_key(flow.to))
        proven = user is not None and user.email_verified
        # The account's own address, as it stored it: never the spelling asked for, which
        # names the same account yet may be another mailbox (docs/security.md, "One address,
        # one account"). An address without an account is mailed as asked (its sign-up).
        to = user.email.value if user is not None and user.email is not None else flow.to
        left = flow.expires_at - now
        # An app asked (its code_challenge): the link opens it, which alone redeems it
        # (docs/reference/app-links.md); else the page of the browser that asked
        app = self.app_link if flow.code_challenge is not None else None
        path = app or "/sign-in/email"
        context = {
            "product": self.settings.product,
            "public_url": self.settings.public_url,
            "support_email": self.settings.support_email,
            "email": to,
            "address_verified": "yes" if proven else "",
            "locale": (user.locale if user is not None else None) or flow.locale or "",
            "code": sending.code,
            "link": f"{self.settings.public_url}{path}?token={token}",
            "expires_minutes": str(max(1, round(left.total_seconds() / 60))),
            "new_account": "" if user is not None else "yes",
        }
        if user is not None and proven:
            context |= {"username": user.shown_name, "name": user.name or user.shown_name}
        mail = self.renderer.render("email_code", to, context)
        user_id = user.id if user is not None else None
        if not deliver(self.mailer, mail, final, f"an e-mail code of flow {flow.id}"):
            self.audit.record(
                AuditEvent(Audit.MAIL, "failure", user_id=user_id, reason="delivery_failed")
            )
            return
        self.audit.record(AuditEvent(Audit.MAIL, user_id=user_id, reason=EMAIL_CODE_MAIL))
