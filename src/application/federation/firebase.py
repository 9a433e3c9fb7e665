"""Firebase both ways: sign in with a Firebase ID token, and a Firebase custom token for a
firegate account (the bridge, so Firebase client SDKs and security rules know the account).

Sign-in exchanges a verified ID token for a local session. The Firebase account is one more
external identity, linked to a local account by the rules of application/federation/linking.py:
by (provider, subject) only, created on first use with a username derived from the Firebase
profile and no password, or taken over from an account that holds the verified address
without ever having proved it (docs/decisions/0104-first-proof-of-address-wins.md). While the
account's address is the Firebase one, its ``email_verified`` follows what each token reports
(docs/reference/email.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from application.accounts.accounts import GetUser, UserRepository, get_user
from application.accounts.signups import SignUpWay
from application.federation.guest import become_account
from application.federation.linking import ExternalSignIn, Links
from application.ports import CustomTokenMinter, IdentityVerifier
from application.signin.authentication import Actor
from application.signin.ports import NO_TOKEN_HOOK, ActiveOrgs, TokenHook
from application.signin.sign_in import SignIn, SignInRequest
from application.signin.tokens import TokenPair, hook_claims
from domain.accounts.guest.part import Guest
from domain.accounts.guest.refusals import NotAGuest
from domain.accounts.users import User
from domain.errors import Unauthenticated
from domain.federation.acting import ActingAgent
from domain.signin.active_org import ActiveOrg, check_second_factor
from domain.signin.claims.sources import NO_SOURCES, ClaimSources, Minting

VIA = "firebase"  # the audit records' and the sessions' reason


@dataclass(frozen=True)
class FirebaseSignIn:
    id_token: str
    user_agent: str = ""
    client_ip: str = ""  # after the trusted proxy hops; "" when unknown (nothing challenged)
    challenge_token: str = ""  # the challenge's widget's, when one was asked
    # The guest whose bearer token came with it: the Firebase user becomes that guest's
    # account (docs/guests.md, "Upgrading in place"); "" for a sign-in.
    guest_id: str = ""


@dataclass(frozen=True)
class CustomToken:
    actor: Actor


@dataclass(frozen=True)
class AgentCustomToken:
    """An app's or agent's access token of the provider, live as introspection read it:
    its claims, and the account read with its grant."""

    claims: Mapping[str, Any]
    account: User | None


@dataclass(frozen=True, kw_only=True, slots=True)
class Firebase:
    """Firebase both ways: signing in with a Firebase ID token, and a Firebase custom token
    for a signed-in account.

    ``hook``: the ``before_token`` hook, whose claims become a custom token's
    developer claims beside firegate's."""

    verifier: IdentityVerifier
    links: Links
    sign_in_step: SignIn
    users: UserRepository
    minter: CustomTokenMinter
    orgs: ActiveOrgs
    # The resource an app's token names to reach Firebase (domain/federation/acting.py)
    agent_resource: str
    # The claims the units put in tokens (signin's ``TokenPolicy.claims``): a custom token's
    # are those of kind ``firebase_custom``
    claims: ClaimSources = NO_SOURCES
    hook: TokenHook = NO_TOKEN_HOOK

    def sign_in(self, cmd: FirebaseSignIn) -> TokenPair:
        """A token pair; MfaRequired instead when the account has a second factor on."""
        identity = self.verifier.verify(cmd.id_token)
        # Anyone can sign up to Firebase with any address: an unverified one makes no account
        # here, and a taken one keeps its published 409 (docs/decisions/0280-linking-rules.md).
        signing_in = ExternalSignIn(
            identity,
            VIA,
            "Firebase",
            user_agent=cmd.user_agent,
            unverified_accounts=False,
            taken_code="email_taken",
            signup_way=SignUpWay.FIREBASE,
            client_ip=cmd.client_ip,
            challenge_token=cmd.challenge_token,
        )
        if cmd.guest_id:
            return self._upgrade(cmd, signing_in)
        return self.links.sign_in_external(signing_in, self.sign_in_step)

    def _upgrade(self, cmd: FirebaseSignIn, signing_in: ExternalSignIn) -> TokenPair:
        """The guest signed up with the Firebase user, then signed in as a sign-in with it
        would be: a new session beside the guest's, which goes on. An anonymous Firebase
        user proves no one: the guest stays as it is, and signs in as it is
        (docs/decisions/0567-an-anonymous-firebase-user-keeps-the-guest.md)."""
        if signing_in.identity.anonymous:
            guest = self.users.get(cmd.guest_id)
            if guest is None or guest.deleted_at is not None or not guest.part(Guest).is_guest:
                raise NotAGuest()
            return self.sign_in_step(
                SignInRequest(guest, (), cmd.user_agent, ip=cmd.client_ip or None, method=VIA)
            )
        upgraded = become_account(self.links, cmd.guest_id, signing_in)
        return self.links.sign_in_as(
            upgraded.user, signing_in, self.sign_in_step, hooks_said=upgraded.session_claims
        )

    def custom_token(self, cmd: CustomToken) -> str:
        """A Firebase custom token for the caller: its uid is the firegate user id, its
        developer claims the stored ``role`` and ``token_version``, which security rules compare
        with the account's to end the Firebase session with every firegate one
        (docs/reference/firebase.md), and ``phone_number`` when the account has a proven
        number (docs/reference/phone.md, "Claims and tokens"). With an active org,
        ``org_id``, ``org_roles`` and ``org_version`` too, as read with this request: the
        rules compare ``org_version`` with the membership's, so a removal or a change of
        roles ends the org's data for the Firebase session at once. An org that requires a
        second factor the account has not set up (``actor.factor``, read with the request)
        is 403 ``mfa_setup_required``, as at POST /auth/org. A session of support access adds
        ``act`` and ``impersonation_ends`` (docs/support-access.md). The ``before_token``
        hook's claims join them, never over them."""
        user = get_user(GetUser(cmd.actor), users=self.users)
        org = cmd.actor.org
        if org is not None:
            # The org becomes active in a Firebase session: its rule holds as at the switch.
            check_second_factor(org, cmd.actor.factor)
        session = cmd.actor.session
        minting = Minting(
            kind="firebase_custom",
            user=user,
            session=session,
            amr=cmd.actor.amr,
            acting_admin_id=session.acting_admin_id if session is not None else None,
        )
        return self._mint(user, org, minting)

    def agent_custom_token(self, cmd: AgentCustomToken) -> str:
        """A Firebase custom token for the person an app's or agent's live token is about,
        when it was issued for firegate's Firebase resource: the person's claims as above,
        and the agent's ``act``, ``scope``, ``grant_id`` and a chain's agents' grants, which
        the rules library reads (``actingAgent()``, ``agentMay(scope)``; each grant ends the
        agent's Firebase session with it). Its org is the one the token names (scope
        ``organization``) while the membership stands, read now (docs/decisions/
        0554-an-agents-token-gets-a-firebase-custom-token.md)."""
        agent = ActingAgent.of(cmd.claims, self.agent_resource)
        user = cmd.account
        if user is None or user.id != cmd.claims.get("sub") or user.deleted_at is not None:
            raise Unauthenticated("The access token is no longer valid.", code="invalid_token")
        org_id = cmd.claims.get("org_id")
        org = self.orgs.member_org(org_id, user.id) if isinstance(org_id, str) else None
        return self._mint(
            user, org, Minting(kind="firebase_custom", user=user, token=cmd.claims), agent
        )

    def _mint(
        self, user: User, org: ActiveOrg | None, minting: Minting, agent: ActingAgent | None = None
    ) -> str:
        """The custom token: firegate's own claims, the claim sources' for ``minting`` (the
        phone number, the class of the sign-in as ``sign_in_acr``, support access's ``act``
        and end...), and for an app's or agent's token the agent's."""
        claims: dict[str, object] = {
            "role": user.role.value,
            "token_version": user.token_version,
        }
        if org is not None:
            claims.update(org_id=org.id, org_roles=list(org.roles), org_version=org.version)
        claims.update(self.claims.claims(minting))
        client = None
        if agent is not None:
            claims.update(agent.claims())
            client = {"client_id": agent.client_id}
        added = hook_claims(
            self.hook,
            "firebase_custom",
            user,
            reserved=self.claims.reserved,
            session=minting.session,
            client=client,
            org=org,
        )
        return self.minter.mint(user.id, {**added, **claims} if added else claims)
