"""The one rule for an address someone gives now, at every entry (the pages, the JSON API,
single sign-on, SCIM, invitations, the users import): its syntax, and where an address on a
special-use name (``.test``, ``.local``, ...) is accepted — on a domain an org has verified,
or anywhere in the local profile (docs/decisions/0463-one-address-rule.md) — and whether its
letters fold onto another address's (docs/security.md, "One address, one account"). Addresses
stored before are read as they are (``Email``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from domain.accounts.credentials import Email, folds_onto_another, special_use, special_use_refused
from domain.errors import InvalidInput

EMAIL_NOT_ALLOWED = "email_not_allowed"


class AddressSyntax(Protocol):
    def check(self, value: str) -> None:
        """InvalidInput ``invalid_email`` unless ``value`` is an address by its syntax (no
        DNS, no list of special-use names: the rule's)."""
        ...


class DomainHolders(Protocol):
    """The orgs' verified domains (the orgs sit above the accounts, so they answer
    through this)."""

    def org_for(self, domain: str) -> str | None:
        """The id of the org that verified ``domain`` (an address's part after the '@', in
        any form), or None."""
        ...


@dataclass(frozen=True, kw_only=True, slots=True)
class AddressRule:
    """``local``: the local profile, where every special-use name is accepted."""

    syntax: AddressSyntax
    domains: DomainHolders
    local: bool

    def new(self, value: str, org_id: str | None = None, *, field: str = "email") -> Email:
        """The address ``value`` as one taken now, 422 ``invalid_email`` or
        ``special_use_email`` (on ``field``) else. ``org_id``: the org the address is given
        in or for (its SCIM, its SSO, its invitations), whose own verified domain must hold
        a special-use name; None: any org's. An address that case-folding would make another's
        (``ß``, final ``ς``, full-width letters: ``folds_onto_another``) is 422
        ``email_not_allowed``."""
        try:
            self.syntax.check(value)
            email = Email(value)
        except InvalidInput:
            raise InvalidInput.field(
                field, "Not a valid e-mail address.", "invalid_email"
            ) from None
        if folds_onto_another(email.value):
            raise InvalidInput.field(
                field,
                "Addresses with letters that case-folding changes (such as ß, ς or full-width"
                " letters) are not accepted: they would share an account with another address.",
                EMAIL_NOT_ALLOWED,
            )
        if self.local or not special_use(email):
            return email
        holder = self.domains.org_for(email.value.rpartition("@")[2])
        if holder is None or (org_id is not None and holder != org_id):
            raise special_use_refused(field)
        return email
