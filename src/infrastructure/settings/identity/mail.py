"""Mail (docs/reference/email.md): the SMTP server, the sender, the templates, and the limits
of the mail flows' entry points (address verification, forgotten password, reset). The
mailed codes' switch and limit are sign-in's (its group: sign-in reads them). Where the
links point is the service's PUBLIC_URL."""

from __future__ import annotations

from pydantic import Field, SecretStr, model_validator

from infrastructure.settings.group import RequestLimit, SettingsGroup


class MailSettings(SettingsGroup):
    smtp_url: SecretStr = SecretStr("smtp://127.0.0.1:1025")  # maildev locally
    smtp_timeout: float = Field(10.0, gt=0, le=120)
    mail_from: str = "firegate <no-reply@localhost>"
    mail_templates_dir: str = ""  # searched before the built-in templates
    rate_limit_email_verify: RequestLimit = "30/minute,300/hour"
    rate_limit_password_forgot: RequestLimit = "5/minute,50/hour"
    rate_limit_password_reset: RequestLimit = "10/minute,100/hour"

    @model_validator(mode="after")
    def _check_server(self) -> MailSettings:
        # Checked here, not in a field validator, so that a URL with a password is not echoed
        # in the error.
        if self.smtp_url.get_secret_value().partition("://")[0] not in ("smtp", "smtps"):
            raise ValueError("SMTP_URL must be smtp://[user:pass@]host:port or smtps://...")
        return self

    def production_problems(self) -> list[str]:
        """Production mail goes to a chosen server
        (docs/decisions/0103-production-mail-settings.md): unset means left out of the
        environment, and the default is the local maildev."""
        if "smtp_url" in self.model_fields_set:
            return []
        return [
            "SMTP_URL is required in production: the default is the local maildev "
            "(a relay on the same host is allowed when named, e.g. smtp://127.0.0.1:25)"
        ]
