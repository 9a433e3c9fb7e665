"""SCIM 2.0 provisioning for organizations: its adapters and its use cases' objects built on
them (docs/reference/scim.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from application.accounts.accounts import UserRepository
from application.accounts.addresses import AddressRule
from application.accounts.profile_schema import ProfileSchemas
from application.accounts.signups import Signups
from application.orgs.managed import DirectoryAccounts
from application.orgs.ports import OrgRepository
from application.scim.groups import DirectoryGroups
from application.scim.managed import DirectoryMadeAccounts
from application.scim.ports import ScimGroups, ScimTokens, ScimUsers
from application.scim.services import ScimServices
from application.scim.tokens import DirectoryTokens
from application.scim.users import DirectoryUsers
from bootstrap.accounts import SHARED, AccountsAdapters, Shared
from bootstrap.drivers import DRIVING_ADAPTERS, DrivingAdapter
from bootstrap.orgs import OrgsAdapters
from bootstrap.orgs_parts import DIRECTORY_ACCOUNTS, ORG_DATA
from bootstrap.platform import Platform
from bootstrap.unit import Built, Footing, Kernel, Lent, Unit
from domain.accounts.outlasting import OUTLASTING_ROUTES, Outlasting
from infrastructure.firestore.scim.groups import FirestoreScimGroups
from infrastructure.firestore.scim.tokens import FirestoreScimTokens
from infrastructure.firestore.scim.users import FirestoreScimUsers
from infrastructure.settings import Settings
from interfaces import scim
from interfaces.scim import ScimConfig
from interfaces.shared.shell import Install

if TYPE_CHECKING:
    from flask import Blueprint

    from interfaces.web.parts import Pages


@dataclass(frozen=True)
class ScimAdapters:
    tokens: ScimTokens  # the orgs' SCIM bearer tokens
    users: ScimUsers  # the people their directories provisioned
    groups: ScimGroups  # the groups their directories pushed


def build(footing: Footing) -> ScimAdapters:
    """Its adapters (``Unit.makes``) on ``footing``."""
    client = footing.client
    return ScimAdapters(
        tokens=FirestoreScimTokens(client),
        users=FirestoreScimUsers(client),
        groups=FirestoreScimGroups(client),
    )


def directory_accounts(own: ScimAdapters) -> DirectoryAccounts:
    """The accounts an org's directory made, which an org's deletion deletes with it."""
    return DirectoryMadeAccounts(records=own.users)


def bind_tokens(own: ScimAdapters, *, orgs: OrgRepository, platform: Platform) -> DirectoryTokens:
    """``orgs``: whose admins make the tokens."""
    return DirectoryTokens(orgs=orgs, tokens=own.tokens, clock=platform.clock, audit=platform.audit)


def bind_users(
    own: ScimAdapters,
    *,
    users: UserRepository,
    orgs: OrgsAdapters,
    platform: Platform,
    addresses: AddressRule,
    schemas: ProfileSchemas,
    signups: Signups,
) -> DirectoryUsers:
    """``users``: the accounts provisioning makes or joins (and disables as the admins do);
    ``orgs``: their memberships and the org's verified domains, which prove an address;
    ``addresses``: the rule a directory's address follows; ``schemas``: the profile
    attributes the enterprise extension maps onto; ``signups``: the door every new account
    passes."""
    return DirectoryUsers(
        records=own.users,
        users=users,
        orgs=orgs.orgs,
        domains=orgs.domains,
        clock=platform.clock,
        audit=platform.audit,
        addresses=addresses,
        schemas=schemas,
        signups=signups,
    )


def bind_groups(own: ScimAdapters, *, orgs: OrgsAdapters, platform: Platform) -> DirectoryGroups:
    """``orgs``: the memberships whose roles the groups give."""
    return DirectoryGroups(
        groups=own.groups,
        users=own.users,
        orgs=orgs.orgs,
        clock=platform.clock,
        audit=platform.audit,
    )


def wire(
    own: ScimAdapters, shared: Shared, *, users: UserRepository, orgs: OrgsAdapters
) -> ScimServices:
    """SCIM's use cases; ``users``: the accounts provisioning makes or joins; ``orgs``: their
    memberships and the org's verified domains."""
    platform = shared.platform
    return ScimServices(
        tokens=bind_tokens(own, orgs=orgs.orgs, platform=platform),
        users=bind_users(
            own,
            users=users,
            orgs=orgs,
            platform=platform,
            addresses=shared.addresses,
            schemas=shared.schemas,
            signups=shared.signups,
        ),
        groups=bind_groups(own, orgs=orgs, platform=platform),
    )


def api() -> Sequence[Blueprint]:
    """The scim unit's blueprints of the JSON API, in the order they are registered."""
    from interfaces.http.routes.scim import tokens  # noqa: PLC0415 - loaded with the app

    return (tokens.bp,)


def pages() -> Pages:
    """SCIM's section of an org's page."""
    from interfaces.web.orgs.org import ORG_SECTIONS  # noqa: PLC0415 - loaded with the app
    from interfaces.web.parts import At, Pages  # noqa: PLC0415 - loaded with the app
    from interfaces.web.scim import org  # noqa: PLC0415 - loaded with the app

    return Pages(fills=(ORG_SECTIONS(At(70, org.SCIM)),))


def scim_adapter(settings: Settings) -> Install:
    """SCIM's driving adapter (interfaces/scim): its base URL under PUBLIC_URL."""
    return DrivingAdapter(scim.install, ScimConfig(public_url=settings.service.public_url))


def lends(own: ScimAdapters, _kernel: Kernel) -> Lent:
    """What SCIM lends the orgs: the accounts an org's directory made, deleted with it, and
    an org's directory (its tokens, users and groups), purged with it."""
    return Lent(
        fills=(
            DIRECTORY_ACCOUNTS(directory_accounts(own)),
            ORG_DATA(own.tokens, own.users, own.groups),
        )
    )


# The core unit: its blueprints, pages and driving adapter (its adapters, use cases:
# ``build``, ``wire`` above).
def built(own: ScimAdapters, kernel: Kernel) -> Built:
    """SCIM's use cases (``wire``), on the accounts' and the orgs' adapters the kernel
    holds."""
    users, orgs = kernel.adapters_of(AccountsAdapters).users, kernel.adapters_of(OrgsAdapters)
    return Built(services=(wire(own, kernel.offered(SHARED), users=users, orgs=orgs),))


# Its routes that make or change what outlasts a session (an org's directory tokens), by kind: a
# session of support access is refused them (the accounts' ``OUTLASTING_ROUTES``).
_OUTLASTING = OUTLASTING_ROUTES(
    (
        Outlasting.SCIM_TOKENS,
        (
            ("POST", "/orgs/<org>/scim/tokens"),
            ("POST", "/account/orgs/<org>/scim/tokens"),
        ),
    ),
)


UNIT = Unit[ScimAdapters](
    makes=build,
    lends=lends,
    name="scim",
    build=built,
    optional=False,
    api=api,
    pages=pages,
    fills=(DRIVING_ADAPTERS(scim_adapter), _OUTLASTING),
)
