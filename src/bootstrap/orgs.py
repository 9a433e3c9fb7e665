"""Organizations: their adapters, made from their settings, and their use cases bound to them
(docs/reference/orgs.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING

from application.jobs import JobHandler
from application.orgs.invitations import (
    SEND_ORG_INVITATION,
    OrgInvitationServices,
    accept_invitation,
    invite_to_org,
    list_invitations,
    look_up_invitation,
    revoke_invitation,
    send_invitation,
)
from application.orgs.ports import OrgInvitationRepository, OrgRepository
from application.ports import JobQueue
from bootstrap.accounts import AccountsAdapters
from bootstrap.mail import MailAdapters, mail_settings
from bootstrap.platform import Platform
from infrastructure.settings import Settings

if TYPE_CHECKING:
    from google.cloud.firestore import Client


@dataclass(frozen=True)
class OrgsAdapters:
    orgs: OrgRepository
    invitations: OrgInvitationRepository


def build(settings: Settings, client: Client) -> OrgsAdapters:
    from infrastructure.firestore.orgs.orgs import FirestoreOrgRepository

    from infrastructure.firestore.orgs.invitations import FirestoreOrgInvitationRepository

    return OrgsAdapters(
        orgs=FirestoreOrgRepository(client),
        invitations=FirestoreOrgInvitationRepository(client),
    )


# Invitations


def bind_invitations(
    own: OrgsAdapters,
    settings: Settings,
    *,
    accounts: AccountsAdapters,
    platform: Platform,
    queue: JobQueue,
) -> OrgInvitationServices:
    orgs, invitations, users, clock = own.orgs, own.invitations, accounts.users, platform.clock
    return OrgInvitationServices(
        create=partial(
            invite_to_org,
            orgs=orgs,
            invitations=invitations,
            queue=queue,
            clock=clock,
            audit=platform.audit,
            ttl=timedelta(seconds=settings.orgs.org_invitation_ttl),
        ),
        list=partial(list_invitations, orgs=orgs, invitations=invitations),
        revoke=partial(revoke_invitation, orgs=orgs, invitations=invitations),
        accept=partial(
            accept_invitation,
            invitations=invitations,
            orgs=orgs,
            users=users,
            clock=clock,
            audit=platform.audit,
        ),
        look_up=partial(
            look_up_invitation, invitations=invitations, orgs=orgs, users=users, clock=clock
        ),
    )


def invitation_handlers(
    own: OrgsAdapters,
    settings: Settings,
    *,
    accounts: AccountsAdapters,
    mail: MailAdapters,
    platform: Platform,
) -> dict[str, JobHandler]:
    """The invitations' mail job: it issues the link's token and sends the mail."""
    return {
        SEND_ORG_INVITATION: partial(
            send_invitation,
            invitations=own.invitations,
            orgs=own.orgs,
            users=accounts.users,
            renderer=mail.mail_renderer,
            mailer=mail.mailer,
            clock=platform.clock,
            settings=mail_settings(settings),
            metrics=platform.metrics,
        )
    }
