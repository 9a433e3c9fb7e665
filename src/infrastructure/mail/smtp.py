"""The Mailer on SMTP, with the standard library's smtplib.

``SMTP_URL``: ``smtp://user:pass@host:587`` upgrades with STARTTLS (required when there are
credentials, so a password never crosses in clear), ``smtps://user:pass@host:465`` speaks
TLS from the first byte, ``smtp://127.0.0.1:1025`` (maildev) plain. One connection per mail:
mail is rare, and a pooled connection would be one more thing to time out.
"""

from __future__ import annotations

import secrets
import smtplib
import ssl
import threading
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr
from urllib.parse import unquote, urlsplit

from application.ports import Mail, MailUndelivered


def message_id(sender: str) -> str:
    """A Message-ID on the sender's domain. Not ``email.utils.make_msgid``: that draws from the
    ``random`` module's shared generator, which mail sent from a background job would move
    under whatever else uses it (tests and libraries seed it)."""
    return f"<{secrets.token_hex(16)}@{sender.rpartition('@')[2].strip('> ')}>"


class SmtpMailer:
    def __init__(self, url: str, *, sender: str, timeout: float = 10.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("SMTP_URL must look like smtp://host:port or smtps://host:port")
        self._implicit_tls = parts.scheme == "smtps"
        self._host = parts.hostname
        self._port = parts.port or (465 if self._implicit_tls else 587)
        self._user = unquote(parts.username or "")
        self._password = unquote(parts.password or "")
        self._sender = sender
        self._timeout = timeout
        # Made by the first mail sent, not as the services are bound: loading the system's
        # CA certificates is 0.03-0.05 s and about 2 MiB of every worker otherwise
        # (docs/decisions/0530-protocol-stacks-loaded-when-used.md).
        self._lock = threading.Lock()
        self._tls: ssl.SSLContext | None = None

    def _context(self) -> ssl.SSLContext:
        with self._lock:
            if self._tls is None:
                self._tls = ssl.create_default_context()
            return self._tls

    def sender(self, mail: Mail) -> str:
        """The mail's ``From``: ``MAIL_FROM``, unless the mail names its own (an org's brand,
        docs/decisions/0865-a-mail-about-an-org-goes-out-under-its-brand.md): its name on its
        address, or on ``MAIL_FROM``'s. A name is one line (RFC 5322 quotes the rest)."""
        if not mail.from_name and not mail.from_address:
            return self._sender
        address = mail.from_address or parseaddr(self._sender)[1]
        return formataddr((" ".join(mail.from_name.split()), "".join(address.split())))

    def message(self, mail: Mail) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender(mail)
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = message_id(self._sender)
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
        message.set_content(mail.text)
        message.add_alternative(mail.html, subtype="html")
        # Set here, or the standard library draws it from the shared generator when it writes
        # the message out (see message_id).
        message.set_boundary(f"=={secrets.token_hex(16)}==")
        return message

    def _connect(self) -> smtplib.SMTP:
        if self._implicit_tls:
            return smtplib.SMTP_SSL(
                self._host, self._port, timeout=self._timeout, context=self._context()
            )
        smtp = smtplib.SMTP(self._host, self._port, timeout=self._timeout)
        try:
            smtp.ehlo()
            if smtp.has_extn("starttls"):
                smtp.starttls(context=self._context())
                smtp.ehlo()
            elif self._user:
                raise MailUndelivered("the server offers no STARTTLS; not sending a password")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, mail: Mail) -> None:
        try:
            with self._connect() as smtp:
                if self._user:
                    smtp.login(self._user, self._password)
                smtp.send_message(self.message(mail))
        except (smtplib.SMTPException, OSError) as exc:  # refused, timed out, TLS, 4xx/5xx
            raise MailUndelivered(f"{type(exc).__name__}: {exc}") from exc
