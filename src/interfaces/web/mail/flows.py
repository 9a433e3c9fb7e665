"""The pages a mail's link opens for a signed-out browser (docs/pages.md): verify an address,
and forgot and reset a password. Each route parses the form, builds the use case's command
and calls it as the JSON routes do, then renders; a refused form comes back as its route's
``form_errors`` says."""

from __future__ import annotations

from flask import Response, request

from application.mail.flows import VerifyEmail
from application.mail.password_reset import ForgotPassword, ResetPassword
from application.mail.services import MailServices
from interfaces.shared.after_response import after_response
from interfaces.shared.limits import client_ip
from interfaces.shared.services import services
from interfaces.web.forms import field, fields, form_errors
from interfaces.web.rendering import bp, kept_page, page, see_other
from interfaces.web.signin.signed_in import signed_in_actor


@bp.get("/verify-email")
def verify_email_page() -> Response:
    # A GET never spends the token: mail scanners open links.
    return page("signin/verify_email.html", token=request.args.get("token", ""), form={})


@bp.post("/verify-email")
@form_errors("signin/verify_email.html", shown=lambda: {"token": request.form.get("token", "")})
def verify_email() -> Response:
    # Opened signed in (to this account, through an identity) or not: the first proof of the
    # address decides whose the account is (docs/reference/identities.md).
    verified = (
        services()
        .of(MailServices)
        .verification.verify(VerifyEmail(field("token"), client_ip(), signed_in_actor()))
    )
    user = verified.user
    return page(
        "signin/verified.html",
        email=user.email.value if user.email else "",
        claimed=verified.claimed,
    )


@bp.get("/forgot-password")
def forgot_password_page() -> Response:
    return kept_page("signin/forgot_password.html", form={})


@bp.post("/forgot-password")
@form_errors("signin/forgot_password.html")
def forgot_password() -> Response:
    forgot, cmd = (
        services().of(MailServices).password_reset.forgot_password,
        ForgotPassword(field("email"), client_ip()),
    )
    # Queued once the answer is sent, as by the API: nothing delays it for either kind of
    # address (docs/security.md, "Password recovery").
    after_response(lambda: forgot(cmd))
    return page("signin/forgot_password_sent.html")


@bp.get("/reset-password")
def reset_password_page() -> Response:
    token, invited = request.args.get("token", ""), request.args.get("invited") == "1"
    return page("signin/reset_password.html", token=token, invited=invited, form={})


@bp.post("/reset-password")
@form_errors(
    "signin/reset_password.html",
    renamed={"password": "new_password"},
    shown=lambda: {
        "token": request.form.get("token", ""),
        "invited": request.form.get("invited") == "1",
    },
)
def reset_password() -> Response:
    token, new_password = fields("token", "new_password")
    services().of(MailServices).password_reset.reset_password(
        ResetPassword(token=token, new_password=new_password, client_ip=client_ip())
    )
    return see_other("/sign-in?reset=1")
