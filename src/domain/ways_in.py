"""A way into an account that a signed-in person just added (docs/security.md, "A new way
in"): what the kernel's audit event carries (``application.ports.AuditEvent.added``), so the
kernel's, named by the capabilities that add one (passkeys, identities, the authenticator, a
password, a phone number) and by the mail that tells of it
(docs/decisions/0805-the-kernels-ports-name-no-capability.md)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WayIn:
    """A way into an account that a signed-in person just added: its notice names it
    (``label``), and the notice's "this wasn't me" link removes it (``key``): a passkey by
    its id, an identity by its provider and subject, the authenticator, a first password, or
    a phone number by the number, if it is still the account's (docs/security.md, "A new way
    in")."""

    kind: str  # PASSKEY, IDENTITY, TOTP, PASSWORD or PHONE
    ref: str = ""  # the passkey's id; the identity's "provider:subject"; the number (E.164)
    # The identity's provider (its id, set by an admin); a number's last two digits; nothing
    # a person wrote, such as a passkey's name, which whoever added it chose.
    label: str = ""

    PASSKEY = "passkey"
    IDENTITY = "identity"
    TOTP = "totp"
    PASSWORD = "password"
    PHONE = "phone"

    @classmethod
    def passkey(cls, passkey_id: str) -> WayIn:
        return cls(cls.PASSKEY, passkey_id)

    @classmethod
    def identity(cls, provider: str, subject: str) -> WayIn:
        return cls(cls.IDENTITY, f"{provider}:{subject}", provider)

    @classmethod
    def phone(cls, number: str) -> WayIn:
        return cls(cls.PHONE, number, number[-2:])

    @property
    def key(self) -> str:
        """What an action token keeps of it: ``kind:ref``."""
        return f"{self.kind}:{self.ref}"

    @classmethod
    def of_key(cls, key: str) -> WayIn | None:
        kind, _, ref = key.partition(":")
        known = (cls.PASSKEY, cls.IDENTITY, cls.TOTP, cls.PASSWORD, cls.PHONE)
        return cls(kind, ref) if kind in known else None

    def identity_of(self) -> tuple[str, str]:
        """An identity's (provider, subject); provider ids have no colon."""
        provider, _, subject = self.ref.partition(":")
        return provider, subject
