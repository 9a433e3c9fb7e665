"""Passkeys: registration by a signed-in user, the list, deletion, and passwordless,
usernameless sign-in (docs/reference/passkeys.md)."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from application.accounts.accounts import UserRepository as Users
from application.accounts.guest.upgrades import Upgraded, UpgradeGuest
from application.accounts.signups import SignUpWay
from application.accounts.ways_in import IdentityRepository
from application.metrics import PASSKEY_UPGRADES
from application.ports import (
    NO_METRICS,
    Audit,
    AuditEvent,
    AuditLog,
    Clock,
    Metrics,
    PasskeyCeremonies,
)
from application.signin.authentication import Actor, require_recent_sign_in
from application.signin.sign_in import SignIn, SignInRequest
from application.signin.tokens import TokenPair
from domain.accounts.guest.part import Guest
from domain.accounts.guest.refusals import NotAGuest
from domain.accounts.identities import passkey_removal
from domain.accounts.users import User
from domain.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Unauthenticated,
)
from domain.signin.devices import DevicePolicy
from domain.signin.passkeys import (
    DEFAULT_UPGRADE_WINDOW,
    MAX_PASSKEYS_PER_USER,
    Ceremony,
    Challenge,
    Passkey,
    challenge_key,
    invalid_challenge,
    invalid_passkey,
    is_passkey_id,
    passkey_id,
    unknown_passkey,
    upgrade_window_closed,
    upgrade_window_open,
    user_presence_required,
)
from domain.slots import Slot
from domain.ways_in import WayIn

CHALLENGE_BYTES = 32

# Origins a unit adds to those whose passkey answers count, asked at each ceremony and each
# read of /.well-known/webauthn (an org's active sign-in hosts, say): each source is cheap
# (its unit caches what it reads). Sign-in's slot, filled by a unit's record or its ``lends``
# (docs/reference/passkeys.md, "Related origins").
PasskeyOriginSource = Callable[[], Sequence[str]]
PASSKEY_ORIGINS = Slot[PasskeyOriginSource]("the passkeys' related origins")
# Origins of native apps whose passkey answers count too, never listed in
# /.well-known/webauthn (https origins only): an Android app's ``android:apk-key-hash:...``
# (docs/native-apps.md). Sign-in's slot, filled by a unit's record or its ``lends``.
APP_PASSKEY_ORIGINS = Slot[PasskeyOriginSource]("the passkeys' app origins")


@dataclass(frozen=True)
class PasskeyOrigins:
    """The origins whose passkey answers count, for the relying party WEBAUTHN_RP_ID: the
    configured ones (the public origin, WEBAUTHN_ORIGINS, WEBAUTHN_RELATED_ORIGINS), then
    what the units' sources answer now, each once, in that order. /.well-known/webauthn
    lists them, so that a browser lets a page on any of them use the RP ID's passkeys
    (WebAuthn Level 3, related origin requests)."""

    configured: tuple[str, ...]
    sources: tuple[PasskeyOriginSource, ...] = ()
    # The native apps' origins (``APP_PASSKEY_ORIGINS``): accepted, never listed
    apps: tuple[PasskeyOriginSource, ...] = ()

    def __call__(self) -> list[str]:
        return [*dict.fromkeys(self.configured), *self.added()]

    def accepted(self) -> list[str]:
        """The origins a ceremony's answer may come from: those listed, then the native
        apps' (an Android app's ``android:apk-key-hash:...``), each once."""
        listed = self()
        apps = dict.fromkeys(origin for source in self.apps for origin in source())
        return [*listed, *(origin for origin in apps if origin not in listed)]

    def added(self) -> list[str]:
        """What the units' sources answer now (an org's active sign-in hosts), each once,
        those configured left out: the pages offer passkeys on them too."""
        found: dict[str, None] = {}
        for source in self.sources:
            found.update(dict.fromkeys(origin.rstrip("/") for origin in source()))
        return [origin for origin in found if origin not in self.configured]


class PasskeyRepository(Protocol):
    def add(self, passkey: Passkey) -> None:
        """Store a new passkey; Conflict (passkey_exists) if its credential is registered."""
        ...

    def get(self, passkey_id: str) -> Passkey | None: ...

    def list_for_user(self, user_id: str, limit: int) -> list[Passkey]:
        """Up to ``limit`` of the user's passkeys, oldest first."""
        ...

    def update(self, passkey_id: str, change: Callable[[Passkey], Passkey]) -> Passkey | None:
        """Apply a pure ``change`` by compare-and-set (a change built from a stale read is
        built again) and return the result; None if absent. ``change`` may raise."""
        ...

    def delete(self, passkey_id: str) -> None:
        """Remove one passkey (idempotent)."""
        ...

    def delete_guarded(
        self, passkey_id: str, user_id: str, decide: Callable[[User], None], now: datetime
    ) -> None:
        """Remove one passkey in one commit with a write of its account guarded by the
        account's update time: the account read first, then ``decide`` (which reads what it
        needs and raises to refuse), built again when the account moved meanwhile, as
        IdentityRepository.unlink's; NotFound (user_not_found) without the account."""
        ...

    def delete_owned_by(self, user_id: str, batch_size: int) -> None:
        """Remove the user's passkeys with the account (an OwnedData)."""
        ...


class ChallengeRepository(Protocol):
    def add(self, challenge: Challenge) -> None: ...

    def spend(self, key: str) -> Challenge | None:
        """Take the challenge stored under ``key`` away: of concurrent spends of one
        challenge exactly one gets it, the others (and later ones) None."""
        ...


@dataclass(frozen=True)
class RegistrationOptions:
    actor: Actor
    # Options for an automatic upgrade (``mediation: "conditional"``): within the upgrade
    # window of a sign-in by password or code only (docs/passkeys-upgraded.md)
    conditional: bool = False


@dataclass(frozen=True)
class ListPasskeys:
    actor: Actor


@dataclass(frozen=True)
class DeletePasskey:
    actor: Actor
    passkey_id: str


@dataclass(frozen=True)
class RenamePasskey:
    actor: Actor
    passkey_id: str
    name: str


@dataclass(frozen=True)
class RegisterPasskey:
    actor: Actor
    credential: Mapping[str, object]  # the browser's PublicKeyCredential JSON
    name: str = ""
    # A guest's passkey makes it an account, named so (docs/guests.md, "Upgrading in place")
    username: str | None = None
    client_ip: str = ""  # after the trusted proxy hops: a guest's upgrade is a sign-up


@dataclass(frozen=True)
class PasskeySignIn:
    credential: Mapping[str, object]  # the browser's assertion JSON
    user_agent: str = ""
    client_ip: str = ""  # after the trusted proxy hops; "" when unknown
    device_token: str = ""  # from an earlier sign-in of this client, if any


USERNAME = "username_required"  # a guest's first passkey without the name of its account


def _user_handle(user: User) -> bytes:
    # Random and opaque, as WebAuthn asks: never the username or the address.
    return user.id.encode()


def _live_user(users: Users, user_id: str) -> User:
    user = users.get(user_id)
    if user is None or user.deleted_at is not None:
        raise Unauthenticated("The account no longer exists.", code="invalid_token")
    return user


def _not_found() -> NotFound:
    return NotFound("No such passkey.", code="passkey_not_found")


def _owned(passkey: Passkey | None, actor: Actor) -> Passkey:
    """The caller's own passkey; another user's is 'not found' (never revealed)."""
    if passkey is None or passkey.user_id != actor.user_id:
        raise _not_found()
    return passkey


# -- the Signal API's data (docs/reference/passkeys.md, "Signals")


@dataclass(frozen=True)
class AcceptedPasskeys:
    """What a browser's passkey manager is told of an account: ``user_handle`` None asks
    for the caller's own; another's is refused."""

    actor: Actor
    user_handle: bytes | None = None


@dataclass(frozen=True)
class PasskeySignals:
    """The account's passkeys as WebAuthn's Signal API names them, binary ids as unpadded
    base64url: ``credential_ids`` for signalAllAcceptedCredentials, ``name`` and
    ``display_name`` for signalCurrentUserDetails (what its registration options give)."""

    rp_id: str
    user_handle: str
    credential_ids: tuple[str, ...]
    name: str
    display_name: str


def _base64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True, kw_only=True, slots=True)
class Passkeys:
    """A signed-in user's passkeys (registered, listed, renamed, deleted) and the
    passwordless, usernameless sign-in with one (docs/reference/passkeys.md). ``upgrade``:
    the accounts' upgrade of a guest in place, which a guest's first passkey asks
    (``GuestUpgrades.upgrade_guest``)."""

    users: Users
    passkeys: PasskeyRepository
    challenges: ChallengeRepository
    ceremonies: PasskeyCeremonies
    identities: IdentityRepository
    sign_in_step: SignIn
    devices: DevicePolicy
    clock: Clock
    audit: AuditLog
    upgrade: Callable[[UpgradeGuest], Upgraded]
    # The origins whose answers count, read at each verification; the pages read what the
    # units add to them (``PasskeyOrigins.added``)
    origins: PasskeyOrigins
    # How long after a sign-in by password or code a browser may make a passkey by itself
    # (PASSKEY_UPGRADE_WINDOW), and where those upgrades are counted
    upgrade_window: timedelta = DEFAULT_UPGRADE_WINDOW
    metrics: Metrics = NO_METRICS

    def registration_options(self, cmd: RegistrationOptions) -> dict[str, object]:
        """Creation options for the caller (signed in lately: a passkey is a new way in); the
        challenge is kept for 5 minutes. Conditional ones (an automatic upgrade) only within
        the upgrade window (409 ``upgrade_window_closed``); the challenge is kept marked so,
        and the answer says ``"mediation": "conditional"``."""
        if cmd.conditional:
            self._check_upgrade_window(cmd.actor)
        require_recent_sign_in(cmd.actor)
        user = _live_user(self.users, cmd.actor.user_id)
        existing = self.passkeys.list_for_user(user.id, MAX_PASSKEYS_PER_USER)
        challenge = secrets.token_bytes(CHALLENGE_BYTES)
        self.challenges.add(
            Challenge.issue(
                challenge,
                Ceremony.REGISTRATION,
                user.id,
                self.clock.now(),
                conditional=cmd.conditional,
            )
        )
        options = self.ceremonies.registration_options(
            challenge=challenge,
            user_handle=_user_handle(user),
            user_name=user.shown_name,
            display_name=user.shown_name,
            exclude=[p.credential_id for p in existing],
            conditional=cmd.conditional,
        )
        return {**options, "mediation": "conditional"} if cmd.conditional else options

    def _check_upgrade_window(self, actor: Actor) -> None:
        """409 ``upgrade_window_closed`` unless the caller's session signed in by password or
        code within the upgrade window (docs/passkeys-upgraded.md)."""
        if not upgrade_window_open(actor.session, self.upgrade_window, self.clock.now()):
            raise upgrade_window_closed()

    def upgrade_open(self, actor: Actor) -> bool:
        """Whether the pages offer the caller an automatic upgrade now: the upgrade window
        is open and the account has no passkey yet."""
        return upgrade_window_open(
            actor.session, self.upgrade_window, self.clock.now()
        ) and not self.passkeys.list_for_user(actor.user_id, 1)

    def _spend(
        self, credential: Mapping[str, object], ceremony: Ceremony, user_id: str | None
    ) -> bytes:
        """The challenge the browser answered, spent: whatever follows, it cannot serve
        again."""
        return self._spend_kept(credential, ceremony, user_id)[0]

    def _spend_kept(
        self, credential: Mapping[str, object], ceremony: Ceremony, user_id: str | None
    ) -> tuple[bytes, Challenge]:
        """As ``_spend``, with the challenge as it was kept (conditional or not)."""
        challenge = self.ceremonies.challenge_of(credential)
        stored = self.challenges.spend(challenge_key(challenge))
        if stored is None:
            raise invalid_challenge()
        stored.check(ceremony, user_id, self.clock.now())
        return challenge, stored

    def register(self, cmd: RegisterPasskey) -> Passkey:
        """The caller's new passkey. A guest's makes it an account in place first, under the
        ``username`` it gives (422 ``username_required`` without one), through every rule
        of a sign-up; a refused upgrade adds no passkey, and a ``username`` with an account
        that is no guest (any more) is 409 ``not_a_guest``
        (docs/decisions/0565-a-guests-passkey.md)."""
        require_recent_sign_in(cmd.actor)
        user = _live_user(self.users, cmd.actor.user_id)
        if user.part(Guest).is_guest and cmd.username is None:
            raise InvalidInput.field(
                "username", "A guest names its account as its passkey makes it one.", USERNAME
            )
        if not user.part(Guest).is_guest and cmd.username is not None:
            raise NotAGuest()  # a username asks for an upgrade: a racing one won, or none was
        challenge, kept = self._spend_kept(cmd.credential, Ceremony.REGISTRATION, user.id)
        verified = self.ceremonies.verify_registration(
            cmd.credential,
            challenge=challenge,
            origins=self.origins.accepted(),
            conditional=kept.conditional,
        )
        if not verified.user_present and not kept.conditional:
            raise user_presence_required()  # only an automatic upgrade may skip it
        held = self.passkeys.list_for_user(user.id, MAX_PASSKEYS_PER_USER)
        if len(held) >= MAX_PASSKEYS_PER_USER:
            raise Conflict(
                f"An account has at most {MAX_PASSKEYS_PER_USER} passkeys; delete one first.",
                code="too_many_passkeys",
            )
        if user.part(Guest).is_guest:
            # The guest's session goes on: the hooks' say is on the upgrade, which they may
            # refuse; the session keeps the claims the guest's own sign-in gave it.
            user = self.upgrade(
                UpgradeGuest(
                    user.id,
                    SignUpWay.GUEST_UPGRADE,
                    username=cmd.username,
                    client_ip=cmd.client_ip,
                )
            ).user
        passkey = Passkey.create(
            user_id=user.id,
            credential_id=verified.credential_id,
            public_key=verified.public_key,
            sign_count=verified.sign_count,
            name=cmd.name,
            now=self.clock.now(),
            backed_up=verified.backed_up,
            transports=verified.transports,
        )
        self.passkeys.add(passkey)
        self.audit.record(
            AuditEvent(
                Audit.PASSKEY_REGISTERED,
                user_id=user.id,
                added=WayIn.passkey(passkey.id),
            )
        )
        if kept.conditional:
            self.metrics.add(PASSKEY_UPGRADES)
        return passkey

    def list(self, cmd: ListPasskeys) -> list[Passkey]:
        return self.passkeys.list_for_user(cmd.actor.user_id, MAX_PASSKEYS_PER_USER * 5)

    def delete(self, cmd: DeletePasskey) -> None:
        """Delete one of the caller's passkeys; another user's is 'not found'; Conflict
        (last_sign_in_method) when the account would keep no way to sign in (the rule
        disconnecting an identity follows: of a passkey deletion and a disconnect racing for
        an account's last two ways in, one wins)."""
        actor, key_id, passkeys = cmd.actor, cmd.passkey_id, self.passkeys
        if not is_passkey_id(key_id):  # before it names a document
            raise _not_found()
        _owned(passkeys.get(key_id), actor)

        def decide(user: User) -> None:
            held = passkeys.list_for_user(user.id, MAX_PASSKEYS_PER_USER * 5)
            if key_id not in {passkey.id for passkey in held}:
                raise _not_found()  # deleted meanwhile
            passkey_removal(user, len(held), self.identities.list_for(user.id))

        passkeys.delete_guarded(key_id, actor.user_id, decide, self.clock.now())
        self.audit.record(
            AuditEvent(
                Audit.PASSKEY_DELETED,
                user_id=actor.user_id,
                session_id=actor.session_id,
            )
        )

    def rename(self, cmd: RenamePasskey) -> Passkey:
        """Give one of the caller's passkeys a new name (one line, at most 64 characters;
        blank is the default name). The change is applied by compare-and-set, so a sign-in
        moving the counter at the same moment keeps both."""
        if not is_passkey_id(cmd.passkey_id):
            raise _not_found()
        renamed = self.passkeys.update(
            cmd.passkey_id, lambda passkey: _owned(passkey, cmd.actor).renamed(cmd.name)
        )
        if renamed is None:
            raise _not_found()
        return renamed

    def authentication_options(self) -> dict[str, object]:
        """Request options for any discoverable credential (no user named: usernameless)."""
        challenge = secrets.token_bytes(CHALLENGE_BYTES)
        self.challenges.add(
            Challenge.issue(challenge, Ceremony.AUTHENTICATION, None, self.clock.now())
        )
        return self.ceremonies.authentication_options(challenge=challenge)

    def sign_in(self, cmd: PasskeySignIn) -> TokenPair:
        """Passwordless sign-in. Failed password logins never block it (the key proves
        possession and user verification), but the per-address request limit applies. Like
        a password login it takes and hands out a device token: a sign-in without one of the
        account's is from a new device (docs/decisions/0173-new-device-mail.md)."""
        ip, ceremonies = cmd.client_ip or None, self.ceremonies

        def refused(reason: str, error: DomainError, user_id: str | None = None) -> DomainError:
            self.audit.record(
                AuditEvent(Audit.PASSKEY_SIGN_IN, "failure", user_id=user_id, ip=ip, reason=reason)
            )
            return error

        try:
            challenge = self._spend(cmd.credential, Ceremony.AUTHENTICATION, None)
        except Unauthenticated as error:
            raise refused("invalid_challenge", error) from None
        passkey = self.passkeys.get(passkey_id(ceremonies.credential_id_of(cmd.credential)))
        if passkey is None:
            raise refused("unknown_passkey", unknown_passkey())
        try:
            assertion = ceremonies.verify_authentication(
                cmd.credential,
                challenge=challenge,
                public_key=passkey.public_key,
                origins=self.origins.accepted(),
            )
        except Unauthenticated as error:
            raise refused("verification_failed", error, passkey.user_id) from None
        if assertion.user_handle is not None and assertion.user_handle != passkey.user_id.encode():
            raise refused("user_handle_mismatch", invalid_passkey(), passkey.user_id)
        user = self.users.get(passkey.user_id)
        if user is None or user.deleted_at is not None:
            raise refused("unknown_user", unknown_passkey(), passkey.user_id)
        if user.disabled:
            raise refused(
                "account_disabled",
                PermissionDenied("This account is disabled.", code="account_disabled"),
                user.id,
            )
        now = self.clock.now()
        try:
            # Compare-and-set: of two sign-ins presenting the same counter, one moves it and
            # the other then finds it not moving forward.
            updated = self.passkeys.update(
                passkey.id,
                lambda p: p.signed_in(assertion.sign_count, now, backed_up=assertion.backed_up),
            )
        except Unauthenticated as error:
            raise refused("sign_count_regressed", error, user.id) from None
        if updated is None:  # deleted meanwhile
            raise refused("unknown_passkey", unknown_passkey(), user.id)
        device = self.devices.verify(cmd.device_token, now)
        device = device if device is not None and device.of(user) else None
        pair = self.sign_in_step(
            SignInRequest(
                user,
                updated.amr,
                cmd.user_agent,
                ip=ip,
                event=Audit.PASSKEY_SIGN_IN,
                knows_devices=True,
                device=device,
            )
        )
        return replace(pair, device_token=self.devices.issue(user, now, device))

    def accepted(self, cmd: AcceptedPasskeys) -> PasskeySignals:
        """The caller's passkeys for the Signal API; a ``user_handle`` other than the
        caller's own is 403 ``forbidden``, whoever's it is (or nobody's)."""
        user = _live_user(self.users, cmd.actor.user_id)
        handle = _user_handle(user)
        if cmd.user_handle is not None and cmd.user_handle != handle:
            raise PermissionDenied("This user handle is not yours.")
        held = self.passkeys.list_for_user(user.id, MAX_PASSKEYS_PER_USER * 5)
        return PasskeySignals(
            rp_id=self.ceremonies.rp_id,
            user_handle=_base64url(handle),
            credential_ids=tuple(_base64url(passkey.credential_id) for passkey in held),
            name=user.shown_name,
            display_name=user.shown_name,
        )
