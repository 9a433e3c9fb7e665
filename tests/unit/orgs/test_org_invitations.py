"""Org invitations' use cases on the fakes: who may invite with which roles, one invitation per
address, the mail (EN/ES) and its link, and accepting (address, single use, expiry, the
address proven by the link) (docs/reference/orgs.md, "Invitations")."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta

import pytest

from application.mail.sending import MailSettings
from application.orgs.joining import invitations as cases
from application.orgs.joining.invitations import (
    AcceptOrgInvitation,
    InviteToOrg,
    LookUpOrgInvitation,
    OrgInvitations,
    RevokeOrgInvitation,
)
from application.ports import Audit, Mail
from application.signin.authentication import Actor
from bootstrap.accounts_rules import address_rule
from domain.accounts.credentials import Email, Username
from domain.accounts.signups import ALLOWED
from domain.accounts.users import User
from domain.errors import DomainError, NotFound
from domain.ids import new_id
from domain.link_tokens import InvalidToken
from domain.orgs.orgs import Membership, Org, Slug
from domain.orgs.roles import Granter
from infrastructure.mail.render import JinjaMailRenderer
from interfaces.web import TRANSLATIONS
from tests.fakes.accounts import FakeUserRepository
from tests.fakes.events import RecordingAuditLog
from tests.fakes.kernel import FakeClock, FakeJobQueue
from tests.fakes.mail import FakeMailer
from tests.fakes.orgs import FakeOrgInvitationRepository, FakeOrgRepository
from tests.support.settings import make_settings

pytestmark = pytest.mark.unit
WEEK = timedelta(days=7)


class Org1:
    """An org "acme" with an owner, an admin and a member, and the invitations' use cases."""

    def __init__(self) -> None:
        self.clock = FakeClock()
        self.users = FakeUserRepository()
        self.orgs = FakeOrgRepository()
        self.invitations = FakeOrgInvitationRepository()
        self.queue = FakeJobQueue()
        self.audit = RecordingAuditLog()
        self.mailer = FakeMailer()
        now = self.clock.now()
        self.org = replace(Org.create(Slug("acme"), "Acme Corp", now), custom_roles=("billing",))
        self.owner = self.person("olga", name="Olga")
        self.orgs.add(self.org, Membership(self.org.id, self.owner.id, ("owner",), 0, now, now))
        self.admin = self.person("adam")
        self.orgs.add_member(
            self.org.id, self.admin.id, ("admin",), now, granter=Granter.operator()
        )
        self.member = self.person("mia")
        self.orgs.add_member(
            self.org.id, self.member.id, ("member",), now, granter=Granter.operator()
        )

    def person(
        self, login: str, *, verified: bool = True, name: str | None = None, username: str = ""
    ) -> User:
        now = self.clock.now()
        user = User.register(
            admitted=ALLOWED,
            id=new_id(),
            username=Username.chosen(username or login),
            email=Email(f"{login}@example.com"),
            password_hash="x",
            now=now,
            name=name,
        )
        user = user.with_email_verified(now) if verified else user
        self.users.add(user)
        return user

    @property
    def use_cases(self) -> cases.Invitations:
        """The invitations' use cases on the fakes as they are now."""
        return cases.Invitations(
            orgs=self.orgs,
            invitations=self.invitations,
            users=self.users,
            queue=self.queue,
            clock=self.clock,
            audit=self.audit,
            ttl=WEEK,
            addresses=address_rule(make_settings()),
        )

    def actor(self, user: User) -> Actor:
        return Actor(user.id, user.shown_name, "user", "s1", self.clock.now() + WEEK)

    def invite(
        self, by: User | None = None, email: str = "ivy@example.com", roles: object = None
    ) -> str:
        """Invite, run the mail job; the link's token."""
        self.use_cases.create(
            InviteToOrg(
                self.actor(by or self.admin), "acme", email, ["member"] if roles is None else roles
            )
        )
        self.run_jobs()
        return token_of(self.mailer.sent[-1])

    def run_jobs(self) -> None:
        mails = cases.InvitationMails(
            invitations=self.invitations,
            orgs=self.orgs,
            users=self.users,
            renderer=JinjaMailRenderer("", [str(TRANSLATIONS)]),
            mailer=self.mailer,
            clock=self.clock,
            settings=MailSettings(public_url="https://id.example.com", product="Firegate"),
        )
        jobs, self.queue.jobs = self.queue.jobs, []
        for job in jobs:
            mails.send(job, True)

    def accept(self, user: User, token: str) -> cases.Joined:
        return self.use_cases.accept(AcceptOrgInvitation(self.actor(user), token))

    def look_up(self, user: User | None, token: str) -> cases.InvitationSeen:
        return self.use_cases.look_up(
            LookUpOrgInvitation(self.actor(user) if user else None, token)
        )


def token_of(mail: Mail) -> str:
    found = re.search(r"https://id\.example\.com/orgs/join\?token=([\w-]+)", mail.text)
    assert found is not None, mail.text
    return found.group(1)


def code_of(call: object) -> str:
    assert callable(call)
    with pytest.raises(DomainError) as refused:
        call()
    return refused.value.code


def test_an_admin_invites_and_the_invited_person_joins() -> None:
    world = Org1()
    token = world.invite(roles=["member", "billing"])
    (mail,) = world.mailer.sent
    assert mail.to == "ivy@example.com"
    assert "Acme Corp" in mail.subject and "adam" in mail.subject
    assert f"https://id.example.com/orgs/join?token={token}" in mail.text
    assert f'href="https://id.example.com/orgs/join?token={token}"' in mail.html
    assert "7 days" in mail.text
    stored = next(iter(world.invitations.invitations.values()))
    assert token not in repr(stored) and stored.token_hash  # only its hash is kept
    ivy = world.person("ivy")
    seen = world.look_up(ivy, token)
    assert (seen.org.name, seen.refusal) == ("Acme Corp", None)
    joined = world.accept(ivy, token)
    assert (joined.org.id, joined.membership.roles) == (world.org.id, ("member", "billing"))
    assert world.orgs.membership(world.org.id, ivy.id) == joined.membership
    kinds = [(e.event, e.org_id) for e in world.audit.events]
    assert (Audit.ORG_INVITATION_CREATED, world.org.id) in kinds
    assert (Audit.ORG_INVITATION_ACCEPTED, world.org.id) in kinds
    # The membership itself is an org.member_added, as any other way in makes one.
    added = [e for e in world.audit.events if e.event is Audit.ORG_MEMBER_ADDED]
    assert [(e.user_id, e.org_id, e.reason) for e in added] == [
        (ivy.id, world.org.id, "invitation")
    ]


def test_the_mail_is_in_spanish_for_a_spanish_account() -> None:
    world = Org1()
    world.users.update(world.person("ivy").id, lambda u: replace(u, locale="es"))
    world.invite()
    (mail,) = world.mailer.sent
    assert "te invita a unirte a Acme Corp" in mail.subject
    assert "durante 7 días" in mail.text


def test_who_may_invite_with_which_roles() -> None:
    world = Org1()
    assert code_of(lambda: world.invite(by=world.member)) == "org_permission_denied"
    assert code_of(lambda: world.invite(roles=["owner"])) == "org_permission_denied"
    assert code_of(lambda: world.invite(roles=["nobody"])) == "unknown_role"
    assert code_of(lambda: world.invite(roles=[])) == "invalid_roles"
    assert code_of(lambda: world.invite(email="not an address")) == "invalid_email"
    outsider = world.person("otto")
    assert code_of(lambda: world.invite(by=outsider)) == "org_not_found"
    world.invite(by=world.owner, roles=["owner"])
    assert world.invitations.invitations  # an owner invites an owner


def test_a_second_invitation_to_an_address_replaces_the_first() -> None:
    world = Org1()
    first = world.invite()
    second = world.invite(email="IVY@example.com", roles=["admin"])
    ivy = world.person("ivy")
    assert code_of(lambda: world.accept(ivy, first)) == "invalid_token"
    (listed,) = world.use_cases.list(OrgInvitations(world.actor(world.admin), world.org.id))
    assert listed.roles == ("admin",)
    assert world.accept(ivy, second).membership.roles == ("admin",)


def test_an_admin_cannot_replace_an_owners_invitation() -> None:
    # Replacing an invitation ends it, as revoking does: an owner's is an owner's to end.
    world = Org1()
    token = world.invite(by=world.owner, roles=["owner"])
    assert code_of(lambda: world.invite(roles=["member"])) == "org_permission_denied"
    (kept,) = world.invitations.invitations.values()
    assert kept.roles == ("owner",)
    ivy = world.person("ivy")
    assert world.accept(ivy, token).membership.roles == ("owner",)
    # An accepted one is no longer pending: the address may be invited again.
    world.invite(email="ivy@example.com", roles=["member"])


def test_revoked() -> None:
    world = Org1()
    token = world.invite()
    (invitation,) = world.invitations.invitations.values()
    revoke = world.use_cases.revoke
    with pytest.raises(DomainError) as denied:
        revoke(RevokeOrgInvitation(world.actor(world.member), "acme", invitation.id))
    assert denied.value.code == "org_permission_denied"
    revoke(RevokeOrgInvitation(world.actor(world.admin), "acme", invitation.id))
    with pytest.raises(NotFound):
        revoke(RevokeOrgInvitation(world.actor(world.admin), "acme", invitation.id))
    assert code_of(lambda: world.accept(world.person("ivy"), token)) == "invalid_token"


def test_only_the_invited_address_joins() -> None:
    world = Org1()
    token = world.invite()
    other = world.person("eve")
    assert world.look_up(other, token).refusal == "address_mismatch"
    assert code_of(lambda: world.accept(other, token)) == "address_mismatch"
    assert world.orgs.membership(world.org.id, other.id) is None


def test_an_unproven_address_is_proven_by_the_invitation() -> None:
    world = Org1()
    token = world.invite()
    ivy = world.person("ivy", verified=False)
    world.accept(ivy, token)
    after = world.users.get(ivy.id)
    assert after is not None and after.email_verified


def test_used_once_by_one_person() -> None:
    world = Org1()
    token = world.invite()
    ivy = world.person("ivy")
    first = world.accept(ivy, token)
    again = world.accept(ivy, token)  # the same person again: the same membership
    assert again.membership == first.membership
    # The address moved to another account since: the invitation is spent.
    world.users.update(ivy.id, lambda u: replace(u, email=Email("ivy2@example.com")))
    ivy_again = world.person("ivy", username="ivy2")
    assert code_of(lambda: world.accept(ivy_again, token)) == "invitation_used"
    assert world.look_up(ivy_again, token).refusal == "invitation_used"


def test_expired() -> None:
    world = Org1()
    token = world.invite()
    world.clock.current += WEEK
    ivy = world.person("ivy")
    assert code_of(lambda: world.accept(ivy, token)) == "invalid_token"
    assert code_of(lambda: world.look_up(None, token)) == "invalid_token"
    assert world.look_up(ivy, token).refusal == "invalid_token"


@pytest.mark.parametrize("token", ["", "x" * 200, "nope"])
def test_bad_tokens(token: str) -> None:
    world = Org1()
    world.invite()
    with pytest.raises(InvalidToken):
        world.accept(world.person("ivy"), token)


def test_thirty_parallel_accepts_make_one_member() -> None:
    world = Org1()
    token = world.invite()
    ivy = world.person("ivy")
    with ThreadPoolExecutor(max_workers=30) as pool:
        joined = list(pool.map(lambda _: world.accept(ivy, token), range(30)))
    assert {j.membership for j in joined} == {world.orgs.membership(world.org.id, ivy.id)}
    accepted = [e for e in world.audit.events if e.event is Audit.ORG_INVITATION_ACCEPTED]
    assert len(accepted) == 1


def test_a_member_already_counts_as_joined() -> None:
    world = Org1()
    token = world.invite(email="mia@example.com", roles=["admin"])
    joined = world.accept(world.member, token)
    assert joined.membership.roles == ("member",)  # their membership, unchanged


def test_the_mail_of_an_accepted_or_revoked_invitation_is_not_sent() -> None:
    world = Org1()
    world.use_cases.create(
        InviteToOrg(world.actor(world.admin), "acme", "ivy@example.com", ["member"])
    )
    world.invitations.invitations.clear()
    world.run_jobs()
    assert world.mailer.sent == []


def test_a_role_removed_since_the_invitation() -> None:
    world = Org1()
    token = world.invite(roles=["billing"])
    world.orgs.update(world.org.id, lambda org: replace(org, custom_roles=()))
    ivy = world.person("ivy")
    assert code_of(lambda: world.accept(ivy, token)) == "invitation_outdated"
    assert world.orgs.membership(world.org.id, ivy.id) is None
