"""Technical ports that many features share: time, hashing, tokens, identity, audit, jobs,
mail, object storage, and the deletion of what a user owns. Adapters fit them structurally.

A feature's own repository Protocol sits with its use cases
(``application/tasks.py`` holds ``TaskRepository``); see
docs/decisions/0040-one-way-to-build-a-feature.md.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, BinaryIO, Protocol

from application.metrics import Counter, Gauge, Histogram, Labels

if TYPE_CHECKING:  # the ports name them; their adapters and use cases import them
    from domain.request_limits import WindowCounts
    from domain.ways_in import WayIn


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class OwnedData(Protocol):
    def delete_owned_by(self, user_id: str, batch_size: int) -> None:
        """Delete what the user owns of this kind, in bounded batches; idempotent."""
        ...


class MovableData(Protocol):
    """What a capability keeps per user that goes with its person when a guest is merged
    into another account (docs/guests.md, "When the way in is someone else's")."""

    def move_owned(self, from_id: str, to_id: str, batch_size: int) -> None:
        """Give ``to_id`` what ``from_id`` owns of this kind, in bounded batches; idempotent
        (a retried move moves nothing twice and loses nothing)."""
        ...


@dataclass(frozen=True)
class ExternalIdentity:
    """A person as an identity provider vouches for them (e.g. a verified Firebase ID token)."""

    provider: str  # "firebase"
    subject: str  # the provider's stable user id (Firebase uid), never a local username
    email: str | None
    email_verified: bool
    display_name: str | None
    # The name the person goes by at the provider (OpenID's ``preferred_username``): a new
    # account's username is derived from it, else from the address's local part.
    preferred_username: str | None = None
    # The parts of the name, where the provider gives them apart (OpenID's ``given_name``
    # and ``family_name``, a SAML IdP's ``givenName`` and ``sn``); ``display_name`` is the
    # whole name then, or the only one
    given_name: str | None = None
    family_name: str | None = None
    # A user the provider made with no proof of anyone (Firebase's anonymous sign-in): it
    # neither makes an account nor upgrades a guest (docs/guests.md, "Upgrading in place")
    anonymous: bool = False


class IdentityVerifier(Protocol):
    def verify(self, id_token: str) -> ExternalIdentity:
        """The identity in a valid, unrevoked token; Unauthenticated or PermissionDenied."""
        ...


class CustomTokenMinter(Protocol):
    def mint(self, uid: str, claims: Mapping[str, object]) -> str:
        """A Firebase custom token for ``uid`` with developer ``claims``; Unavailable."""
        ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str:
        """A new salted hash of ``password``."""
        ...

    def verify(self, password_hash: str, password: str) -> bool:
        """Does ``password`` match ``password_hash``?"""
        ...

    def verify_dummy(self, password: str) -> None:
        """Spend the time of one verification, for users that do not exist."""
        ...

    def needs_rehash(self, password_hash: str) -> bool:
        """Was ``password_hash`` made with weaker parameters than the current ones?"""
        ...


class TokenVersionCopies(Protocol):
    """The copies of an account's ``token_version`` kept beyond its document: its
    memberships', which firegate's rules library reads instead of the account
    (docs/organizations.md, "Permissions in firestore.rules")."""

    def hold(self, user_id: str, token_version: int) -> None:
        """Every copy of the account's ``token_version`` set to ``token_version``. Called
        before the account's own moves (and once more after): a failure between them
        refuses too much, never too little."""
        ...


class NoTokenVersionCopies:
    """No copy to keep: an account repository on its own (unit tests, tools)."""

    def hold(self, user_id: str, token_version: int) -> None:
        return None


NO_TOKEN_VERSION_COPIES = NoTokenVersionCopies()


class SecretBox(Protocol):
    """Authenticated encryption of small secrets at rest (docs/security.md, "MFA")."""

    def seal(self, plaintext: str) -> str:
        """``plaintext`` encrypted and authenticated, as text safe to store."""
        ...

    def open(self, sealed: str) -> str:
        """The plaintext of what ``seal`` made; Unavailable if the key cannot open it."""
        ...


class OneTimePasswords(Protocol):
    """TOTP (RFC 6238: SHA-1, 6 digits, 30-second steps)."""

    def new_secret(self) -> str:
        """A random base32 secret (160 bits)."""
        ...

    def provisioning_uri(self, secret: str, *, account: str, issuer: str) -> str:
        """The ``otpauth://`` URI an authenticator app scans."""
        ...

    def matching_steps(self, secret: str, code: str, now: datetime) -> tuple[int, ...]:
        """The time steps, of the current one and one either side, whose code is ``code``."""
        ...


class Audit(StrEnum):
    """The security events written to the audit log."""

    USER_CREATED = "user_created"  # a sign-up (an invitation has its own event)
    # A sign-up the rule refused (docs/security.md, "Who may sign up"): ``reason`` why,
    # ``via`` the way; it names no account, so it is in the audit log only.
    SIGNUP_REFUSED = "signup_refused"
    LOGIN = "login"
    # A sign-in (of any kind above) from a device the account has not shown to be its own
    # (docs/decisions/0173-new-device-mail.md); recorded after the sign-in's own event.
    NEW_DEVICE = "new_device"
    LOGOUT = "logout"
    # Support access (docs/support-access.md): on the person's account (``actor_id`` the
    # admin; ``org_id`` where an org's admin acts), and the admin's own record of it
    # (``subject_id`` the person); the start's ``reason`` and ``minutes``.
    IMPERSONATION_STARTED = "impersonation_started"
    IMPERSONATION_ENDED = "impersonation_ended"
    REFRESH_TOKEN_REUSE = "refresh_token_reuse"
    ROLE_CHANGE = "role_change"
    ACCOUNT_DELETION = "account_deletion"
    # A guest's data moved to the account its way in belongs to (docs/guests.md): about that
    # account, ``reason`` the guest's id; the guest's deletion follows.
    GUEST_MERGED = "guest_merged"
    # The first proof of an address took an account that never proved it (reason
    # "password_reset" or "firebase"): its earlier holder's factors are gone.
    ACCOUNT_CLAIMED = "account_claimed"
    # An external identity (reason: its provider) linked to or unlinked from an account
    # (docs/reference/identities.md).
    IDENTITY_LINKED = "identity_linked"
    IDENTITY_UNLINKED = "identity_unlinked"
    # A challenge asked because a signal fired (docs/security.md); reason: the signal.
    SIGNIN_CHALLENGED = "signin_challenged"
    # The mail flows (docs/reference/email.md): each request, each mail, each token spent.
    EMAIL_VERIFICATION_REQUESTED = "email_verification_requested"
    EMAIL_VERIFIED = "email_verified"
    EMAIL_CHANGE = "email_change"
    PASSWORD_RESET_REQUESTED = "password_reset_requested"
    PASSWORD_RESET = "password_reset"
    PASSWORD_CHANGE = "password_change"  # by the signed-in user, with the current password
    # A password found among breached ones (docs/security.md, "Breached passwords"): reason
    # "warn" (set anyway, BREACHED_PASSWORDS=warn) or "sign_in" (the session must change it)
    PASSWORD_BREACHED = "password_breached"
    INVITATION = "invitation"
    MAIL = "mail"  # reason: the kind of mail; failure reasons send_limit, delivery_failed
    TEXT = "text"  # a text message (SMS): reason its kind; failure reason delivery_failed
    # The account's phone number proven by a code to it, or removed (docs/reference/phone.md)
    PHONE_CHANGE = "phone_change"
    PHONE_REMOVED = "phone_removed"
    # Passkeys (docs/reference/passkeys.md); a refused sign-in's reason says why.
    PASSKEY_REGISTERED = "passkey_registered"
    PASSKEY_DELETED = "passkey_deleted"
    PASSKEY_SIGN_IN = "passkey_sign_in"
    # The second factor (docs/reference/mfa.md).
    MFA_ENROLMENT = "mfa_enrolment"  # a TOTP secret was handed out (not active yet)
    MFA_ENABLED = "mfa_enabled"
    MFA_DISABLED = "mfa_disabled"  # by the user, or reason "reset" by the command line
    MFA_RECOVERY_CODES = "mfa_recovery_codes"  # a new set; the old one is void
    MFA_CHALLENGE = "mfa_challenge"  # a right first factor; the login waits for the second
    MFA_CODE = "mfa_code"  # a second-factor code: success, or failure with its reason
    # firegate as an OpenID Connect provider (docs/reference/oauth.md): reason is the client
    # id (granted) or why the grant ended (revoked).
    OAUTH_GRANTED = "oauth_granted"
    OAUTH_REVOKED = "oauth_revoked"
    # Personal access tokens (docs/reference/tokens.md): reason is the token's id.
    PAT_CREATED = "pat_created"
    PAT_REVOKED = "pat_revoked"
    # The device flow (RFC 8628): a person answered a device's request; reason is the client.
    OAUTH_DEVICE_APPROVED = "oauth_device_approved"
    OAUTH_DEVICE_DENIED = "oauth_device_denied"
    # Organizations (docs/reference/orgs.md): each names its org (``org_id``); a membership's
    # event is about the member (``user_id``), the others about the person who acted.
    ORG_CREATED = "org_created"
    ORG_UPDATED = "org_updated"
    ORG_DELETED = "org_deleted"
    ORG_MEMBER_ADDED = "org_member_added"
    ORG_MEMBER_REMOVED = "org_member_removed"
    ORG_MEMBER_ROLES_CHANGED = "org_member_roles_changed"
    ORG_INVITATION_CREATED = "org_invitation_created"  # about the inviter
    ORG_INVITATION_ACCEPTED = "org_invitation_accepted"  # about the person who joined
    # Organizations' verified domains (docs/reference/orgs.md)
    ORG_DOMAIN_VERIFIED = "org_domain_verified"
    # A verified domain reads like another org's (on both orgs' logs): ``reason`` the other
    # org's domain, about the admin who verified or added this org's
    ORG_DOMAIN_LOOK_ALIKE = "org_domain_look_alike"
    # Single sign-on connections (docs/reference/sso.md): reason is the connection's id.
    ORG_SSO_CONNECTION_CREATED = "org_sso_connection_created"
    ORG_SSO_CONNECTION_UPDATED = "org_sso_connection_updated"
    ORG_SSO_CONNECTION_ACTIVATED = "org_sso_connection_activated"
    ORG_SSO_CONNECTION_DEACTIVATED = "org_sso_connection_deactivated"
    ORG_SSO_CERTIFICATE_EXPIRING = "org_sso_certificate_expiring"
    ORG_SSO_CONNECTION_DRAFT_SAVED = "org_sso_connection_draft_saved"
    ORG_SSO_CONNECTION_DRAFT_APPLIED = "org_sso_connection_draft_applied"
    ORG_SSO_CONNECTION_DRAFT_DISCARDED = "org_sso_connection_draft_discarded"
    # SCIM tokens (docs/reference/scim.md): reason is the token's id.
    ORG_SCIM_TOKEN_CREATED = "org_scim_token_created"
    ORG_SCIM_TOKEN_REVOKED = "org_scim_token_revoked"


@dataclass(frozen=True)
class AuditEvent:
    """One audit record. Never a password, token, hash or the login name as typed."""

    event: Audit
    outcome: str = "success"  # or "failure"
    user_id: str | None = None  # whom the event is about
    session_id: str | None = None
    ip: str | None = None  # the client address (after the trusted proxy hops)
    actor_id: str | None = None  # who acted, when not the user itself (an admin)
    reason: str | None = None  # a stable code, e.g. "wrong_password", "reused_refresh_token"
    changes: tuple[tuple[str, str, str], ...] = ()  # (field, before, after), e.g. a role
    user_agent: str | None = None  # where known (a sign-in)
    # The way in a signed-in person added, when the event is such an addition: its notice
    # names it and the notice's "this wasn't me" link removes it.
    added: WayIn | None = None
    org_id: str | None = None  # the organization it happened in, where one
    method: str | None = None  # a sign-in's way in: password, passkey, federated, sso
    # What made an org's change, where not a person: its directory ("scim"), its single
    # sign-on ("sso") (docs/reference/events.md)
    via: str | None = None
    # On an admin's own record of what they did as another account (support access): that
    # account (docs/reference/events.md)
    subject_id: str | None = None
    minutes: int | None = None  # how long support access was granted for, on its start


@dataclass(frozen=True)
class StagedWrites:
    """What storing some audit events writes, handed to a commit the use case makes anyway
    (a sign-in's new session), so that storing them is no round trip of its own and they
    exist exactly when the change does (docs/decisions/0169-events-in-the-change-commit.md).
    The events' log stages more (``application.events.security_events.StagedEvents``: the
    security events and their webhook deliveries), which only the events' code reads
    (docs/decisions/0805-the-kernels-ports-name-no-capability.md)."""

    audit: tuple[AuditEvent, ...] = ()  # the audit events staged, recorded by ``committed``


NO_WRITES = StagedWrites()


class AuditLog(Protocol):
    def record(self, event: AuditEvent) -> None:
        """Write one security event; must not raise."""
        ...

    def stage(self, events: Sequence[AuditEvent]) -> StagedWrites:
        """What storing ``events`` would write (nothing when this log stores nothing), for
        the caller to commit with its change, then hand to ``committed``."""
        ...

    def committed(self, staged: StagedWrites) -> None:
        """The commit carrying ``staged`` succeeded: record its audit events as ``record``
        does, without storing them again; must not raise."""
        ...


@dataclass(frozen=True)
class Job:
    """A unit of background work: what to do (``kind``) to what (``subject``, e.g. a dog id).

    ``trace``: where it was queued from, as a W3C ``traceparent``, when traces are on (the
    queue's span adapter sets it), so that the job's own span joins the trace of the request
    that queued it; carried by every queue, read by nothing else."""

    kind: str
    subject: str
    trace: str = field(default="", compare=False)


class JobQueue(Protocol):
    def enqueue(self, job: Job) -> None:
        """Run ``job`` later, at least once, retried with backoff; raises if it cannot queue."""
        ...


@dataclass(frozen=True)
class MailBrand:
    """Whose name a mail about an org goes out under (docs/contributing.md, "Units",
    ``MAIL_BRANDS``): a display name, the URL of its logo, and the address it is sent from
    (``None``: the service's own, ``MAIL_FROM``, as "{name} via {SITE_NAME}")."""

    name: str
    logo_url: str | None = None
    sender: str | None = None
    color: str | None = None  # its accent, ``#rrggbb``, for a hook that writes the mail


@dataclass(frozen=True)
class Mail:
    """One rendered message: a plain-text part and an HTML alternative; ``kind`` says which
    mail it is (the job's kind, else its template's name) and ``locale`` its language, for a
    send_mail hook (docs/hooks.md). ``brand``: the org's brand it went out under, if any;
    ``from_name`` and ``from_address`` its own ``From`` (empty: the mailer's, ``MAIL_FROM``;
    an empty address with a name: that name on ``MAIL_FROM``'s address)."""

    to: str
    subject: str
    text: str
    html: str
    kind: str = ""
    locale: str = ""
    brand: MailBrand | None = None
    from_name: str = ""
    from_address: str = ""


class MailUndelivered(Exception):
    """The mail server could not take the message now (down, timeout, 4xx); try again."""


class MailRenderer(Protocol):
    def render(self, template: str, to: str, context: dict[str, str]) -> Mail:
        """The mail ``template`` (subject, text and HTML) filled with ``context``, for ``to``."""
        ...


class Mailer(Protocol):
    def send(self, mail: Mail) -> None:
        """Hand ``mail`` to the mail server; MailUndelivered when it could not, now."""
        ...


@dataclass(frozen=True)
class TextMessage:
    """One text message (SMS): ``kind`` says which (``phone_code``), ``code`` the one-time
    code it carries (for a sender that formats its own), ``text`` the whole message in the
    person's language, ``locale``, ``brand`` (docs/hooks.md, "send_sms")."""

    to: str  # E.164
    kind: str
    locale: str
    code: str
    text: str
    brand: MailBrand | None = None  # the org's brand it went out under: none today


class TextUndelivered(Exception):
    """The text message could not be handed over now; try again."""


class TextSender(Protocol):
    def ready(self) -> bool:
        """Whether text messages can go at all (a send_sms hook is set)."""
        ...

    def send(self, message: TextMessage) -> None:
        """Hand ``message`` over for delivery; TextUndelivered when it could not, now."""
        ...


class TextRenderer(Protocol):
    def render_text(self, template: str, context: dict[str, str]) -> str:
        """The plain text of ``template`` filled with ``context`` (its ``locale``'s language)."""
        ...


class PushVerifier(Protocol):
    def verify(self, bearer_token: str) -> None:
        """Accept an OIDC token that the push service signed for us; Unauthenticated else."""
        ...


class FileStore(Protocol):
    """Object storage (Cloud Storage): whole objects under string keys."""

    def save(self, key: str, data: BinaryIO, *, size: int, content_type: str) -> None:
        """Store ``size`` bytes read from ``data`` (streamed, not held) under ``key``."""
        ...

    def open(self, key: str) -> Iterator[bytes]:
        """The object's bytes in bounded chunks; NotFound (before any chunk) if absent."""
        ...

    def delete(self, key: str) -> None:
        """Remove one object (idempotent)."""
        ...

    def delete_prefix(self, prefix: str) -> int:
        """Remove every object whose key starts with ``prefix``; how many there were."""
        ...


class RequestCounter(Protocol):
    """The shared counters behind the per-address request limits (docs/security.md)."""

    def hit(self, key: str, windows: Sequence[int], now: float) -> dict[int, WindowCounts]:
        """Count one request under ``key`` in the current window of each length (seconds)."""
        ...

    def check(self) -> bool:
        """Whether the store answers now."""
        ...


@dataclass(frozen=True)
class NewCredential:
    """A credential whose registration checked out."""

    credential_id: bytes
    public_key: bytes  # COSE
    sign_count: int
    backed_up: bool
    transports: tuple[str, ...] = ()
    # The authenticator's user-presence (UP) flag: only an automatic upgrade's passkey
    # (conditional mediation) may come without it
    user_present: bool = True


@dataclass(frozen=True)
class Assertion:
    """A sign-in whose signature checked out against the stored public key."""

    sign_count: int
    user_handle: bytes | None  # what the authenticator holds as the user's id, if it said
    backed_up: bool = False  # a synced passkey: its key leaves the device


class PasskeyCeremonies(Protocol):
    """WebAuthn: options for the browser, and checks of what it answers, against the
    relying party's id from configuration and the origins the caller gives (the configured
    ones and the units' related origins, docs/reference/passkeys.md).

    ``credential`` is the JSON the browser produced. Whatever is unreadable in it, or a
    registration that does not check out, raises InvalidInput."""

    @property
    def rp_id(self) -> str:
        """The relying party's id (WEBAUTHN_RP_ID), which the pages' signals name."""
        ...

    def registration_options(
        self,
        *,
        challenge: bytes,
        user_handle: bytes,
        user_name: str,
        display_name: str,
        exclude: Sequence[bytes],
        conditional: bool = False,
    ) -> dict[str, object]:
        """PublicKeyCredentialCreationOptions as JSON; ``conditional``: for an automatic
        upgrade, which verifies no user (user verification preferred, not required)."""
        ...

    def authentication_options(self, *, challenge: bytes) -> dict[str, object]:
        """PublicKeyCredentialRequestOptions as JSON, for discoverable credentials."""
        ...

    def challenge_of(self, credential: Mapping[str, object]) -> bytes:
        """The challenge the browser signed (from clientDataJSON), not yet checked."""
        ...

    def credential_id_of(self, credential: Mapping[str, object]) -> bytes: ...

    def verify_registration(
        self,
        credential: Mapping[str, object],
        *,
        challenge: bytes,
        origins: Sequence[str],
        conditional: bool = False,
    ) -> NewCredential:
        """Checks challenge, origin, RP ID, signature and, unless ``conditional`` (an
        automatic upgrade), user verification; user presence it reports
        (``NewCredential.user_present``), for the caller to decide."""
        ...

    def verify_authentication(
        self,
        credential: Mapping[str, object],
        *,
        challenge: bytes,
        public_key: bytes,
        origins: Sequence[str],
    ) -> Assertion:
        """Checks challenge, origin, RP ID, user verification and signature (Unauthenticated,
        invalid_passkey, when one fails); the counter is
        the domain's rule (Passkey.signed_in)."""
        ...


class Metrics(Protocol):
    """What operators count and time, each metric declared once in ``application/metrics.py``
    (docs/operations.md, "Metrics"); its labels as keywords, which mypy checks against the
    declaration. ``NO_METRICS`` when metrics are off. An adapter never raises, but for labels
    other than the metric's own (``ValueError``: a call mypy refuses)."""

    def add(self, metric: Counter[Labels], /, *args: Labels.args, **labels: Labels.kwargs) -> None:
        """One more of ``metric``."""
        ...

    def observe(
        self,
        metric: Histogram[Labels],
        value: float,
        /,
        *args: Labels.args,
        **labels: Labels.kwargs,
    ) -> None:
        """One ``value`` in ``metric``'s histogram."""
        ...

    def set(
        self, metric: Gauge[Labels], value: float, /, *args: Labels.args, **labels: Labels.kwargs
    ) -> None:
        """``metric`` is ``value`` now in this process."""
        ...


class NoMetrics:
    """Metrics off: every call only checks its labels."""

    def add(self, metric: Counter[Labels], /, *args: Labels.args, **labels: Labels.kwargs) -> None:
        metric.check(labels)

    def observe(
        self,
        metric: Histogram[Labels],
        value: float,
        /,
        *args: Labels.args,
        **labels: Labels.kwargs,
    ) -> None:
        metric.check(labels)

    def set(
        self, metric: Gauge[Labels], value: float, /, *args: Labels.args, **labels: Labels.kwargs
    ) -> None:
        metric.check(labels)


NO_METRICS: Metrics = NoMetrics()
