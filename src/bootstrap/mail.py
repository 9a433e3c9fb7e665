"""Mail's adapters, made from its settings: the renderer and the SMTP mailer.

The adapters' modules import their SDKs, so each is imported where its adapter is made
(docs/decisions/0150-cold-start.md)."""

from __future__ import annotations

from application.ports import Mailer, MailRenderer
from infrastructure.settings.mail import MailSettings


def mail_renderer(mail: MailSettings) -> MailRenderer:
    from infrastructure.mail.render import JinjaMailRenderer
    from interfaces.web import TRANSLATIONS

    return JinjaMailRenderer(mail.mail_templates_dir, str(TRANSLATIONS))


def mailer(mail: MailSettings) -> Mailer:
    from infrastructure.mail.smtp import SmtpMailer

    return SmtpMailer(
        mail.smtp_url.get_secret_value(),
        sender=mail.mail_from,
        timeout=mail.smtp_timeout,
    )
