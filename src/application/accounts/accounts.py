"""Account use cases (``Accounts``): register, read, update and delete one's own account (the
commands of its sign-ups are the door's, application/accounts/signups.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from application.accounts.addresses import AddressRule
from application.accounts.breached import PasswordScreen
from application.accounts.signups import (
    ANYONE,
    Register,
    RegisterGuest,
    RegisterProven,
    SignUp,
    Signups,
    SignUpWay,
    proven_usernames,
)
from application.ports import (
    NO_WRITES,
    Audit,
    AuditEvent,
    AuditLog,
    Clock,
    OwnedData,
    PasswordHasher,
    RequestCounter,
    StagedWrites,
)
from domain.accounts.attributes import ProfileSchema
from domain.accounts.credentials import Email, Username, check_password_policy, login_key
from domain.accounts.guest.part import GUEST_TTL
from domain.accounts.identities import PhoneNumber
from domain.accounts.users import User
from domain.errors import (
    Conflict,
    FieldError,
    ImpersonationForbidden,
    InvalidInput,
    RateLimited,
    Unauthenticated,
    checked,
)
from domain.ids import new_id
from domain.request_limits import Limit, assess
from domain.slots import Slot


class UserRepository(Protocol):
    def add(self, user: User, staged: StagedWrites = NO_WRITES) -> None:
        """Store a new user and claim its username, email and proven phone number atomically,
        with what ``staged`` writes; Conflict if taken."""
        ...

    def get(self, user_id: str) -> User | None:
        """The user with this id, including one marked for deletion; None if absent."""
        ...

    def get_many(self, user_ids: Sequence[str]) -> dict[str, User]:
        """Those of these users that exist (marked for deletion too), by id, in one read."""
        ...

    def find_by_login(self, key: str) -> User | None:
        """The live user whose normalized username or email (contains '@') is ``key``."""
        ...

    def find_by_phone_number(self, number: str) -> User | None:
        """The live user whose proven phone number is ``number`` (E.164): never a login's
        key, so no password is ever tried against a number."""
        ...

    def update(
        self, user_id: str, change: Callable[[User], User], *, keep_session: str | None = None
    ) -> User:
        """Apply a pure ``change`` atomically, moving the claims of a changed name, address or
        proven phone number; NotFound, Conflict (``phone_number_taken``, ...).

        When the change bumps ``token_version``, ``keep_session`` is moved to the new version
        in the same commit, so it alone survives.
        """
        ...

    def list_page(self, after: str | None, limit: int) -> list[User]:
        """Up to ``limit`` live users ordered by id, starting after id ``after``."""
        ...

    def list_by_prefix(self, prefix: str, after: str | None, limit: int) -> list[User]:
        """Up to ``limit`` live users whose normalized e-mail (``prefix`` has an '@') or
        else username starts with ``prefix``, ordered by it, after the one equal to ``after``."""
        ...

    def list_admins(self, limit: int) -> list[User]:
        """Up to ``limit`` live users with the admin role, by id."""
        ...

    def mark_deleted(self, user_id: str, now: datetime) -> User | None:
        """Tombstone the user and release its claims in one commit; None if absent."""
        ...

    def purge(self, user_id: str, batch_size: int) -> None:
        """Delete everything a tombstoned user owns, in bounded batches, then the user."""
        ...

    def pending_deletions(self, limit: int) -> list[str]:
        """Ids of users marked for deletion whose purge has not finished."""
        ...

    def expired_guests(self, now: datetime, limit: int) -> list[str]:
        """Ids of up to ``limit`` guests whose expiry is ``now`` or earlier, oldest first."""
        ...


# The accounts' slot for what the other capabilities and the units keep per user, deleted
# with the account (``DeleteUser``): filled by their ``lends`` (bootstrap/unit.py, ``Lent``).
OWNED_DATA = Slot[OwnedData]("data deleted with the account")


class AccountHold(Protocol):
    """What an org that holds an account refuses the person (the orgs sit above the
    accounts, so they answer through this; docs/reference/sso.md, "Requiring single
    sign-on")."""

    def address(self, user: User, email: Email) -> None:
        """PermissionDenied when the account may not take ``email`` as its address."""
        ...

    def first_password(self, user: User) -> None:
        """PermissionDenied when the account, which has no password, may not set one."""
        ...


class _NoHold:
    def address(self, user: User, email: Email) -> None:
        return None

    def first_password(self, user: User) -> None:
        return None


NO_HOLD: AccountHold = _NoHold()  # where no org holds any account (the tests of one room)


@dataclass(frozen=True)
class UpdateProfile:
    """PUT gives username and/or email and both names, PATCH only the fields to change;
    ``attributes`` the profile's attributes to write as the person (a null removes one)."""

    user_id: str
    changes: tuple[tuple[str, str | None], ...]
    attributes: tuple[tuple[str, object], ...] = ()
    acting_admin_id: str | None = None  # Actor.acting_admin_id: support access keeps the address


class ProfileSchemaSource(Protocol):
    """The profile schema in force (application/accounts/profile_schema.py)."""

    def current(self) -> ProfileSchema:
        """The schema the reads and writes of attributes follow now."""
        ...


def chosen_username(value: str, *, users: UserRepository, own_id: str | None = None) -> Username:
    """A name someone picks now. The look-alike of a name another account holds is taken
    (409) before it is mixed-script (422), so the client hears why it cannot have it."""
    try:
        return Username.chosen(value)
    except InvalidInput:
        key = Username(value).normalized  # a name that cannot be at all keeps its own 422
        holder = users.find_by_login(key)
        if holder is not None and holder.id != own_id:
            raise Conflict(
                "This username is already registered.", code="username_taken", field="username"
            ) from None
        raise


class Caller(Protocol):
    """Who calls an account's use case, as far as accounts needs to know: sign-in's Actor
    (application/signin/authentication.py), built by authenticating a request, fits it."""

    @property
    def user_id(self) -> str: ...

    @property
    def role(self) -> str: ...

    @property
    def session_id(self) -> str: ...

    @property
    def user(self) -> User | None:
        """The account as the request's authentication read it; None: not read."""
        ...

    @property
    def acting_admin_id(self) -> str | None:
        """The admin acting as the person (support access, docs/support-access.md); None:
        the person themselves."""
        ...


class MaybeActedFor(Protocol):
    """What knows whether an admin acts as the person (support access): sign-in's Actor,
    and the commands made from it."""

    @property
    def acting_admin_id(self) -> str | None: ...


def require_own_session(who: MaybeActedFor) -> None:
    """A change that outlasts the session asks that the person acts themselves: a session
    of support access makes none (docs/support-access.md, "What is refused"). 403
    ``impersonation_forbidden``. Asked where the actor of a request is built, for what its
    route changes (``Authentication.authenticate``), and by a profile's change of the
    username or the address, which its route makes beside changes that are allowed."""
    if who.acting_admin_id is not None:
        raise ImpersonationForbidden()


@dataclass(frozen=True)
class GetUser:
    actor: Caller


def get_user(cmd: GetUser, *, users: UserRepository) -> User:
    """The caller's own account: as authenticate() read it moments ago, else read now.

    A step of ``Accounts.get`` and ``Accounts.delete``, and of linking a Firebase identity."""
    if cmd.actor.user is not None:
        return cmd.actor.user
    user = users.get(cmd.actor.user_id)
    if user is None or user.deleted_at is not None:
        raise Unauthenticated("The account no longer exists.", code="invalid_token")
    return user


TOO_MANY_IDENTITY_CHANGES = "too_many_identity_changes"


def _shown(value: object) -> str | None:
    return value.value if isinstance(value, Username | Email) else None


def _renames(user: User, changes: dict[str, object]) -> bool:
    """Whether the edit gives the account another username or address than it has, as
    written (a change of case too), or takes one away."""
    return any(
        name in changes and _shown(changes[name]) != _shown(getattr(user, name))
        for name in ("username", "email")
    )


def _changes_identity(user: User | None, changes: dict[str, object]) -> bool:
    """Whether the edit asks for another username or address than the account has."""
    if user is None:
        return False
    username, email = changes.get("username"), changes.get("email")
    if isinstance(username, Username) and (
        user.username is None or username.normalized != user.username.normalized
    ):
        return True
    return isinstance(email, Email) and (
        user.email is None or email.normalized != user.email.normalized
    )


def count_account_attempt(
    key: str, *, counter: RequestCounter, limit: Limit, clock: Clock, detail: str, code: str
) -> None:
    """Count one attempt under ``key`` (a kind of change and the account's id); RateLimited
    (``code``, with the wait) past ``limit``. Counted before the attempt, so parallel
    requests cannot slip past the limit."""
    now = clock.now().timestamp()
    counts = counter.hit(key, [limit.seconds], now)
    quota = assess(limit, counts[limit.seconds], now)
    if not quota.allowed:
        raise RateLimited(detail, retry_after=quota.reset, code=code)


def count_identity_change(
    user_id: str, *, counter: RequestCounter, limit: Limit, clock: Clock
) -> None:
    """Count one attempted change of username or address against the account, whether it
    lands or meets a 409; RateLimited past ``limit`` (docs/security.md, "Identity changes")."""
    count_account_attempt(
        f"identity_change:{user_id}",
        counter=counter,
        limit=limit,
        clock=clock,
        detail="Too many changes of username or e-mail address; try again later.",
        code=TOO_MANY_IDENTITY_CHANGES,
    )


DELETE_BATCH = 200
RESUMED_AT_ONCE = 100  # the tombstoned users one ``resume_deletions`` finishes at most


class EndsBeforeDeletion(Protocol):
    """What an account holds under rules of its own (its org memberships), ended before the
    account is deleted; it may refuse the deletion."""

    def depart(self, user_id: str, actor_id: str | None) -> None:
        """End what the account holds under rules of its own (its org memberships: the last
        owner's rule) before it is deleted; a DomainError refuses the deletion."""
        ...


@dataclass(frozen=True)
class DeleteUser:
    """The caller deletes their own account. ``password``, where given (the account page
    asks for it, docs/pages.md), must be the account's, checked like a login's first."""

    actor: Caller
    password: str | None = None
    client_ip: str = ""  # after the trusted proxy hops; "" when unknown


class PasswordCheck(Protocol):
    def __call__(self, user: User, password: str, *, session_id: str, client_ip: str) -> None:
        """PermissionDenied unless ``password`` is the signed-in user's; counted like a
        login's (the login throttle)."""
        ...


def delete_account(
    user_id: str,
    *,
    users: UserRepository,
    clock: Clock,
    audit: AuditLog | None = None,
    actor_id: str | None = None,
    owned: Sequence[OwnedData] = (),
    departures: Sequence[EndsBeforeDeletion] = (),
) -> None:
    """Tombstone first (login and tokens stop, names are free), then purge in batches.

    A crash after the tombstone leaves nothing that can log in and no claim that blocks
    re-registration; ``resume_deletions`` (the CLI's ``users purge-deleted``) finishes it.
    ``owned``: the resource modules' data (tasks, dogs, datasets, files), deleted before the
    user document, whose tombstone marks the work as unfinished until then.
    ``actor_id``: the admin who deleted someone else's account, for the audit log.
    ``departures``: what ends before the tombstone and may refuse it (409 ``last_owner``:
    docs/decisions/0381-an-account-deleted-leaves-its-orgs.md).
    """
    for departure in departures:
        departure.depart(user_id, actor_id)
    if users.mark_deleted(user_id, clock.now()) is not None:
        if audit is not None:
            audit.record(AuditEvent(Audit.ACCOUNT_DELETION, user_id=user_id, actor_id=actor_id))
        _purge(user_id, users=users, owned=owned)


def _purge(user_id: str, *, users: UserRepository, owned: Sequence[OwnedData]) -> None:
    for data in owned:
        data.delete_owned_by(user_id, DELETE_BATCH)
    users.purge(user_id, DELETE_BATCH)


def nothing_follows(user: User) -> None:
    """The ``proven`` hook where nothing follows an address's proof (no org joins by it)."""


@dataclass(frozen=True)
class AccountHooks:
    """What follows a stored change of an account: the mail flows bind these."""

    registered: Callable[[User], None]
    changed: Callable[[User, User], None]  # (before, after) a profile update
    # A new account made by signing in with a provider (its name) that did not verify the
    # address (rule 5 of docs/reference/identities.md): its verification mail names it.
    registered_with: Callable[[User, str], None] = lambda user, provider: None
    # An address newly proven (by any proof: a mailed link, a provider's verified sign-in, an
    # org invitation), once the proof is committed: an org's auto_join
    # (docs/decisions/0380-joining-an-org-by-its-domain.md).
    proven: Callable[[User], None] = nothing_follows


@dataclass(frozen=True, kw_only=True, slots=True)
class Accounts:
    """The account use cases of its owner: register, read, update and delete one's own
    account, and the command line's finishing of interrupted deletions.

    ``hooks``: the mails that follow a sign-up and a profile update; ``counter``: where
    attempted changes of username or address are counted per account, up to
    ``identity_changes``; ``hold``: what an org that holds the account refuses of a new
    address; ``addresses``: the rule a new address follows (its special-use names);
    ``owned``: what the other capabilities keep per user, deleted with the account;
    ``departures``: what ends before it and may refuse it (an org's last owner);
    ``check_password``: sign-in's check of a signed-in user's password; ``signups``: the
    door every new account passes (and an address changed to: its lists); ``passwords``:
    the check of a new one against breached passwords; ``schemas``: the profile schema the
    person's writes of attributes follow."""

    users: UserRepository
    hasher: PasswordHasher
    clock: Clock
    audit: AuditLog
    hooks: AccountHooks
    counter: RequestCounter
    identity_changes: Limit
    hold: AccountHold
    addresses: AddressRule
    owned: Sequence[OwnedData]
    departures: Sequence[EndsBeforeDeletion]
    check_password: PasswordCheck
    signups: Signups = ANYONE
    passwords: PasswordScreen
    schemas: ProfileSchemaSource
    guest_ttl: timedelta = GUEST_TTL  # a guest unused this long is deleted (GUEST_TTL)

    def register(self, cmd: Register) -> User:
        """``hooks.registered(user)`` runs once the account is stored. Who may sign up is
        asked once the address reads as one, before any name or address is looked up, so its
        403 is the same whether or not an account holds them; a sign-up from a client address
        that signs up too often passes the challenge then; the operator's hook is asked last,
        once every field is checked (docs/security.md, "Who may sign up")."""
        users, audit = self.users, self.audit
        # Every bad field is said at once (a 409 for a taken name first, as it stands alone).
        address, rule, refused = cmd.email, self.addresses, list[FieldError]()
        email = checked(lambda: rule.new(address), refused) if address is not None else None
        sign_up = SignUp(
            cmd.way,
            email,
            username=cmd.username,
            ip=cmd.client_ip or None,
            challenge_token=cmd.challenge_token,
        )
        admitted = self.signups.check(sign_up) if not refused else None
        problems: list[FieldError] = []
        username = checked(lambda: chosen_username(cmd.username, users=users), problems)
        problems += refused
        checked(lambda: check_password_policy(cmd.password), problems)
        if username is None or admitted is None or problems:
            raise InvalidInput.of(problems)
        self.passwords.new_password(cmd.password)  # a request over the network
        verdict = self.signups.asked(admitted)  # the operator's hook, on input checked
        user = User.register(
            id=new_id(),
            username=username,
            email=email,
            password_hash=self.hasher.hash(cmd.password),
            now=self.clock.now(),
            admitted=verdict,
            name=cmd.name,
            last_name=cmd.last_name,
            locale=cmd.locale,
        )
        created = AuditEvent(Audit.USER_CREATED, user_id=user.id)
        # What the audit log stores of the sign-up is written in the account's own commit.
        staged = audit.stage([created])
        users.add(user, staged)
        audit.committed(staged)
        self.hooks.registered(user)
        return user

    def register_proven(self, cmd: RegisterProven) -> User:
        """The account of an address (or a phone number) just proven, which has none: made
        with it verified and no password; the account made meanwhile by a racing sign-up of
        the same address or number is the one returned. ``hooks.proven(user)`` runs once it
        is stored. Who may sign up is asked first (403 signup_not_allowed), then the
        operator's hook, as for every way in."""
        users, audit, now = self.users, self.audit, self.clock.now()
        email = self.addresses.new(cmd.email) if cmd.email is not None else None
        number = cmd.phone_number if email is None else None
        verdict = self.signups.admit(SignUp(cmd.way, email))
        for name in proven_usernames(email):
            try:
                username = Username.chosen(name)
            except InvalidInput:
                continue
            user = User.register(
                id=new_id(),
                username=username,
                email=email,
                password_hash=None,
                now=now,
                admitted=verdict,
                email_verified=True,
                locale=cmd.locale,
            )
            if number is not None:  # a number an account is made with was proven by its code
                user = user.with_part(PhoneNumber.proven_as(number))
            staged = audit.stage([AuditEvent(Audit.USER_CREATED, user_id=user.id)])
            try:
                users.add(user, staged)
            except Conflict as error:
                if error.code == "username_taken":
                    continue
                key = login_key(email.value) if email is not None else number
                found = users.find_by_login(key) if key else None
                if found is None:
                    raise
                return found  # the address's (or number's) account, made by a racing sign-up
            audit.committed(staged)
            self.hooks.proven(user)
            return user
        raise Conflict("No free username could be made for this account.", code="username_taken")

    def register_guest(self, cmd: RegisterGuest) -> User:
        """A new guest, through the door every new account passes: who may sign up (the mode;
        the address lists wait for its address), the challenge of a client address that signs
        up often, then the operator's hook (``method``: ``guest``)."""
        sign_up = SignUp(
            SignUpWay.GUEST,
            None,
            ip=cmd.client_ip or None,
            challenge_token=cmd.challenge_token,
        )
        verdict = self.signups.admit(sign_up)
        user = User.new_guest(
            id=new_id(),
            now=self.clock.now(),
            admitted=verdict,
            ttl=self.guest_ttl,
            locale=cmd.locale,
        )
        staged = self.audit.stage([AuditEvent(Audit.USER_CREATED, user_id=user.id)])
        self.users.add(user, staged)
        self.audit.committed(staged)
        return user

    def get(self, cmd: GetUser) -> User:
        return get_user(cmd, users=self.users)

    def update_profile(self, cmd: UpdateProfile) -> User:
        """``hooks.changed(before, after)`` runs once the change is stored."""
        users, clock = self.users, self.clock
        changes: dict[str, object] = dict(cmd.changes)
        asks_identity = "username" in changes or "email" in changes  # else no read for it
        current = users.get(cmd.user_id) if asks_identity else None
        if current is not None:
            # A guest's first username and address come with its upgrade alone, through every
            # rule of a sign-up: 403 before any name is looked up (docs/guests.md).
            current.signed_up()
        # A name or address that cannot be is a 422 before any other I/O.
        if isinstance(username := changes.get("username"), str):
            changes["username"] = chosen_username(username, users=users, own_id=cmd.user_id)
        if isinstance(email := changes.get("email"), str):
            changes["email"] = self.addresses.new(email)
        if current is not None and _renames(current, changes):
            require_own_session(cmd)  # the username and the address: never support access's
        new_email = changes.get("email")
        if (
            current is not None
            and isinstance(new_email, Email)
            and _changes_identity(current, {"email": new_email})
        ):
            # The sign-up's domain lists hold for an address changed to as for a new one.
            self.signups.address(new_email)
            self.hold.address(current, new_email)
        if _changes_identity(current, changes):
            count_identity_change(
                cmd.user_id, counter=self.counter, limit=self.identity_changes, clock=clock
            )
        now = clock.now()
        before: list[User] = []
        attributes = dict(cmd.attributes)
        schema = self.schemas.current() if attributes else None  # read only when written

        def edit(user: User) -> User:
            before[:] = [user]  # a failed precondition runs this again: keep the last read
            edited = (user.signed_up() if asks_identity else user).edited(changes, now)
            if schema is None:
                return edited
            return edited.with_attributes(schema, attributes, "user", now)

        after = users.update(cmd.user_id, edit)
        if before:
            self.hooks.changed(before[0], after)
        return after

    def delete(self, cmd: DeleteUser) -> None:
        if cmd.password is not None:
            self.check_password(
                get_user(GetUser(cmd.actor), users=self.users),
                cmd.password,
                session_id=cmd.actor.session_id,
                client_ip=cmd.client_ip,
            )
        delete_account(
            cmd.actor.user_id,
            users=self.users,
            clock=self.clock,
            audit=self.audit,
            owned=self.owned,
            departures=self.departures,
        )

    def resume_deletions(self) -> int:
        """The command line's ``users purge-deleted``: finish the deletions a crash left
        after the tombstone; how many."""
        pending = self.users.pending_deletions(RESUMED_AT_ONCE)
        for user_id in pending:
            _purge(user_id, users=self.users, owned=self.owned)
        return len(pending)
