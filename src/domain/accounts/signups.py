"""Who may make their own account (docs/security.md, "Who may sign up"): the service's mode,
its allowed and blocked domains and the disposable-mail domains, asked before anything looks
at whether an account holds the address, so the answer is the same either way
(docs/decisions/0481-who-may-sign-up.md)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

from domain.accounts.attributes import AttributeValue
from domain.accounts.credentials import Email
from domain.accounts.parts import UserPart
from domain.accounts.users import User
from domain.dns_names import a_label
from domain.errors import PermissionDenied


class SignupMode(StrEnum):
    OPEN = "open"
    INVITE_ONLY = "invite_only"  # through an org's invitation (an admin's makes the account)
    CLOSED = "closed"


class Refusal(StrEnum):
    """The ``reason`` of a 403 ``signup_not_allowed`` (docs/reference/errors.md)."""

    CLOSED = "closed"
    INVITATION_REQUIRED = "invitation_required"
    DOMAIN_BLOCKED = "domain_blocked"
    DISPOSABLE_DOMAIN = "disposable_domain"
    DOMAIN_NOT_ALLOWED = "domain_not_allowed"


class SignupNotAllowed(PermissionDenied):
    code = "signup_not_allowed"
    title = "Sign-up not allowed"

    def __init__(self, reason: Refusal) -> None:
        super().__init__("Signing up is not open to this address.")
        self.reason = reason


def domain_name(value: str) -> str:
    """A domain as the lists hold it and an address's is compared with them: its IDNA 2008
    A-label (``a_label``: ``glaß-x.net`` is not ``glass-x.net``), no dots at its ends, no
    leading '@'; a name IDNA 2008 refuses, lower-cased."""
    name = value.strip().lstrip("@").strip(".")
    return a_label(name) or name.lower()


def domains(values: Iterable[str]) -> frozenset[str]:
    return frozenset(name for name in (domain_name(value) for value in values) if name)


def covered(domain: str, names: frozenset[str]) -> bool:
    """Whether ``domain`` is one of ``names`` or under one (``mail.example.com`` under
    ``example.com``)."""
    labels = domain.split(".")
    return any(".".join(labels[i:]) in names for i in range(len(labels)))


class Maker(StrEnum):
    """Who makes an account, which decides what the mode asks of it."""

    PERSON = "person"  # a person makes their own (register, the pages, a code, a provider)
    ORG = "org"  # an org makes its people's (its single sign-on, its SCIM directory)
    OPERATOR = "operator"  # the service's operators (an admin's invitation, the users import)


@dataclass(frozen=True)
class SignupPolicy:
    """``allow``: when not empty, only addresses on (or under) these domains; ``block``:
    never these; ``disposable``: the disposable-mail domains refused (empty: none)."""

    mode: SignupMode = SignupMode.OPEN
    allow: frozenset[str] = frozenset()
    block: frozenset[str] = frozenset()
    disposable: frozenset[str] = frozenset()

    def refusal(
        self,
        email: Email | None,
        *,
        invited: Callable[[Email], bool],
        maker: Maker = Maker.PERSON,
        vouched: bool = False,
        guest: bool = False,
    ) -> Refusal | None:
        """Why an account with ``email`` (None: without an address) may not be made by
        ``maker``, or None when it may. The mode first: ``closed`` lets only the operators
        make accounts; ``invite_only`` lets a person make their own with an open invitation
        to the address (``invited``, asked only then), and an org make its people's only
        where it ``vouched`` for the address (on one of its verified domains). Then the
        lists, which hold for every maker; the block list before the allow list. A ``guest``
        has no address yet: the mode is asked of it as of any person, the lists when it
        takes one, at its upgrade (docs/decisions/0557-a-guests-admission.md)."""
        if self.mode is SignupMode.CLOSED and maker is not Maker.OPERATOR:
            return Refusal.CLOSED
        if self.mode is SignupMode.INVITE_ONLY and not (
            maker is Maker.OPERATOR
            or (maker is Maker.ORG and vouched)
            or (maker is Maker.PERSON and email is not None and invited(email))
        ):
            return Refusal.INVITATION_REQUIRED
        if guest:
            return None
        return self.address_refusal(email)

    def address_refusal(self, email: Email | None) -> Refusal | None:
        """Why an account may not hold ``email`` by the lists (blocked, disposable, off the
        allow list), whoever gives it: a new account's and an address changed since alike."""
        domain = domain_name(email.normalized.rpartition("@")[2]) if email is not None else ""
        if domain and covered(domain, self.block):
            return Refusal.DOMAIN_BLOCKED
        if domain and covered(domain, self.disposable):
            return Refusal.DISPOSABLE_DOMAIN
        if self.allow and not (domain and covered(domain, self.allow)):
            return Refusal.DOMAIN_NOT_ALLOWED
        return None


# -- the operator's hook (docs/hooks.md, "before_sign_up") ---------------------------------------


@dataclass(frozen=True)
class SignUpAttempt:
    """What the ``before_sign_up`` hook is asked about: an account about to be made, the way
    it is made (``method``: ``register``, ``page``, ``email_code``, ``upstream``,
    ``firebase``, ``sso``, ``scim``, ``invitation``, ``import``, ``guest``), the provider
    or the org making it, and where from (empty: the request's own)."""

    email: str | None
    username: str | None
    method: str
    provider: str | None = None
    org_id: str | None = None
    ip: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True)
class SignUpVerdict:
    """The hook's answer: allowed or not (``message`` says why to the person), and the names
    and attributes (already checked against the profile schema, written as ``hook``) the new
    account takes instead of those given; ``parts``: the default record of every user part
    of the service (``Signups``), which the new account holds where it has none of its own,
    so that its document has each of their fields."""

    allowed: bool
    message: str = ""
    name: str | None = None
    last_name: str | None = None
    attributes: Mapping[str, AttributeValue] | None = None
    parts: tuple[UserPart, ...] = ()

    def applied(self, user: User) -> User:
        """The account about to be made, with the hook's names and attributes, and the
        parts' defaults under its own parts."""
        if self.parts:
            defaults = {name: v for part in self.parts for name, v in part.stored(user.id).items()}
            user = replace(user, parts={**defaults, **user.parts})
        if self.name is None and self.last_name is None and not self.attributes:
            return user
        return replace(
            user,
            name=self.name if self.name is not None else user.name,
            last_name=self.last_name if self.last_name is not None else user.last_name,
            attributes={**user.attributes, **(self.attributes or {})},
        )


ALLOWED = SignUpVerdict(allowed=True)


class SignUpDenied(PermissionDenied):
    """The operator's ``before_sign_up`` hook refused it (or failed, with ``on_failure:
    deny``); ``detail`` is its message."""

    code = "signup_denied"
    title = "Sign-up denied"
