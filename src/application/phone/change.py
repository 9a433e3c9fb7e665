"""An account's own phone number: changed by a code texted to the new number, and removed
(docs/reference/phone.md, "Changing and removing the number";
docs/decisions/0534-a-number-changes-by-a-code-flow-keyed-by-the-account.md).

A change is the one code flow (``flow.py``) keyed by the account: ``PATCH /user`` asks a code
for the new number (one live change per account, the requests of each account limited and
counted on the number with its sign-ins' (docs/decisions/
0650-a-numbers-texts-counted-on-the-number.md), an SMS spent of the number's budget, the text
sent by the ``send_sms`` hook as ``phone_change``)
and ``POST /user/phone/verify`` proves it, every rule of a code holding. The account keeps
its number until the code is proven; a number another account holds is refused only then,
so the request answers the same for every number.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from application.accounts.signups import SignUpWay
from application.accounts.ways_in import IdentityRepository
from application.phone.codes import INVALID_PHONE_CODE, INVALID_PHONE_FLOW, PhoneCodes
from application.ports import Audit, AuditEvent
from application.signin.authentication import Actor, require_recent_sign_in
from application.signin.codes.flow import (
    Asked,
    CodeRequested,
    CodeSteps,
    CountedOn,
    Holding,
    Way,
)
from application.signin.factors.passkeys import PasskeyRepository
from domain.accounts.identities import PhoneNumber, phone_removal
from domain.accounts.users import User
from domain.errors import Unauthenticated, Unreadable
from domain.signin.codes.flows import Channel
from domain.signin.mfa import SMS
from domain.ways_in import WayIn

PHONE_CHANGE = "phone_change"  # the text's kind and template, the code's events' method
PHONE_CHANGE_TEXT = "phone_change_text"  # the job that texts it
PHONE_CHANGE_WAY = Way(
    channel=Channel.PHONE,
    method=PHONE_CHANGE,
    amr=SMS,
    job=PHONE_CHANGE_TEXT,
    invalid_flow=INVALID_PHONE_FLOW,
    invalid_code=INVALID_PHONE_CODE,
    refused=Unreadable,  # 400, as the sign-in code's
    sign_up=SignUpWay.PHONE_CODE,  # never taken: a change signs nobody up
)
_ONE_PASSKEY = 1  # whether the account has any


def _throttled_as(user_id: str) -> str:
    """What names an account's change in the login throttle: a key of its own, so wrong codes
    for a new number lock neither that number's sign-in nor the account's password's."""
    return f"phone_change:{user_id}"


@dataclass(frozen=True)
class ChangePhoneNumber:
    """``PATCH /user`` with ``phone_number``: a code to the new number, as typed."""

    actor: Actor
    phone_number: str
    client_ip: str = ""
    locale: str | None = None  # the language the asking client asked for
    challenge_token: str = ""  # the challenge's widget's, when one was asked


@dataclass(frozen=True)
class ProvePhoneNumber:
    actor: Actor
    code: str
    client_ip: str = ""


@dataclass(frozen=True)
class RemovePhoneNumber:
    actor: Actor


@dataclass(frozen=True)
class GetPhoneChange:
    actor: Actor


@dataclass(frozen=True)
class PhoneChangeState:
    """What the account page shows of the number: whether phone sign-in is ``on`` (a number
    may be changed), the number a live change's code went to (None: none is live), and
    each as people write it (``shown``: the account's own number, ``own``; ``pending_shown``)."""

    on: bool
    pending: str | None
    shown: str | None = None
    pending_shown: str | None = None
    own: PhoneNumber = field(default_factory=PhoneNumber)


@dataclass(frozen=True, kw_only=True, slots=True)
class PhoneChanges:
    """The account's number, changed and removed. ``steps``: the one code flow, its way
    ``PHONE_CHANGE_WAY`` over the changes' own flows (keyed by the account); ``phone``: sign-in
    by phone (whether it is on, the parser of a number, the SMS budget); ``identities`` and
    ``passkeys``: the account's other ways in, which a removal counts."""

    steps: CodeSteps
    phone: PhoneCodes
    identities: IdentityRepository
    passkeys: PasskeyRepository

    def request(self, cmd: ChangePhoneNumber) -> CodeRequested:
        """A code texted to the new number, one SMS spent of its budget; the account keeps its
        number until the code is proven. The same answer whoever holds the number. 404
        ``phone_disabled``, 403 ``guest_upgrade_required`` (a guest's number comes with its
        upgrade) or ``reauthentication_required``, 422 ``invalid_phone_number`` or
        ``phone_number_type``, 429 ``phone_code_rate_limited`` (the account's requests, or the
        number's: counted with its sign-ins') or ``sms_budget``."""
        self.phone.check_enabled()
        # A guest's number comes with its upgrade (a code asked with its bearer token): 403
        # before any text is paid for (docs/guests.md).
        user = self._account(cmd.actor).signed_up()
        require_recent_sign_in(cmd.actor)
        number = self.phone.number(cmd.phone_number)
        asked = Asked(
            to=number.e164,
            key=user.id,
            client_ip=cmd.client_ip,
            locale=user.locale or cmd.locale,
            challenge_token=cmd.challenge_token,
            asker=user.id,  # one live change per account, whichever client asked it
            # The number's texts are counted on the number, whoever asks: a sign-in's
            # limits per number hold for changes to it too
            counted_on=CountedOn(self.phone.steps.flows, number.e164),
        )
        return self.steps.start(asked, paid=lambda _: self.phone.spend(number))

    def verify(self, cmd: ProvePhoneNumber) -> User:
        """The account with its new number proven, for the right code of its live change,
        once; every rule of a code (``CodeSteps.taken``). 400 ``invalid_phone_code`` /
        ``invalid_phone_flow``; 409 ``phone_number_taken`` when another account proved the
        number first (the flow is then spent)."""
        self.phone.check_enabled()
        self._account(cmd.actor).signed_up()
        require_recent_sign_in(cmd.actor)
        steps, user_id = self.steps, cmd.actor.user_id
        live = steps.flows.requests(user_id).live_flow
        flow = steps.flows.get(live) if live is not None else None
        if flow is None:
            raise steps.invalid_flow()
        holding = Holding(
            key=lambda _: _throttled_as(user_id),
            holder=lambda _: steps.users.get(user_id),
            prove=lambda user, ip: user,
        )
        return steps.taken(
            flow, cmd.code, cmd.client_ip, holding, lambda: self._proven(user_id, flow.to, cmd)
        )

    def _proven(self, user_id: str, number: str, cmd: ProvePhoneNumber) -> User:
        """The number proven on the account, its claim taken in the account's own commit (the
        old number's released); Conflict (phone_number_taken) when another account holds it."""
        steps = self.steps
        now = steps.clock.now()
        user = steps.users.update(
            user_id, lambda u: u.signed_up().with_part(PhoneNumber.proven_as(number), now)
        )
        event = AuditEvent(
            Audit.PHONE_CHANGE,
            user_id=user_id,
            ip=cmd.client_ip or None,
            session_id=cmd.actor.session_id,
            added=WayIn.phone(number),  # a new way in: the notice mail tells of it
        )
        steps.audit.record(event)
        return user

    def remove(self, cmd: RemovePhoneNumber) -> User:
        """The account without its number, its claim released. 404 ``phone_number_not_found``
        when it has none; 409 ``last_sign_in_method`` when the number is its last way in
        (docs/decisions/0535-a-number-that-is-the-last-way-in-stays.md)."""
        require_recent_sign_in(cmd.actor)
        steps, user_id = self.steps, cmd.actor.user_id
        now = steps.clock.now()

        def without(user: User) -> User:
            # The other ways in are read after the account: a passkey deleted or an identity
            # unlinked meanwhile moved its update time, so this commit is built again.
            passkeys = len(self.passkeys.list_for_user(user.id, _ONE_PASSKEY))
            links = len(self.identities.list_for(user.id))
            return phone_removal(user, passkeys=passkeys, identities=links, now=now)

        user = steps.users.update(user_id, without)
        steps.audit.record(
            AuditEvent(Audit.PHONE_REMOVED, user_id=user_id, session_id=cmd.actor.session_id)
        )
        return user

    def state(self, cmd: GetPhoneChange) -> PhoneChangeState:
        """Whether a number may be changed now, and the new number of the account's live change
        (none read while phone sign-in is off); the account's number and that one in their
        international format."""
        own = self._account(cmd.actor).part(PhoneNumber)
        shown = self._shown(own.number)
        if not self.phone.available():
            return PhoneChangeState(on=False, pending=None, shown=shown, own=own)
        flows, now = self.steps.flows, self.steps.clock.now()
        live = flows.requests(cmd.actor.user_id).live_flow
        flow = flows.get(live) if live is not None else None
        pending = flow.to if flow is not None and flow.usable(now) else None
        return PhoneChangeState(
            on=True, pending=pending, shown=shown, pending_shown=self._shown(pending), own=own
        )

    def _shown(self, number: str | None) -> str | None:
        return self.phone.numbers.international(number) if number is not None else None

    def _account(self, actor: Actor) -> User:
        user = actor.user if actor.user is not None else self.steps.users.get(actor.user_id)
        if user is None or user.deleted_at is not None:
            raise Unauthenticated("The account no longer exists.", code="invalid_token")
        return user
