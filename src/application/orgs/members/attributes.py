"""The profile attributes an org writes on its people's accounts: its admins' (``org_admin``,
docs/reference/orgs.md, "Members' attributes"), its directory's (``scim``) and its
connection's mapping's (``org_admin``), each on an account the org manages and never the
writer's own (docs/decisions/0510-org-written-attributes.md).

An org manages an account here when its SCIM or SSO made it (its membership says so), or when
the account is a member proven on one of the org's verified domains: anyone may make an org,
so an org's writes reach no one else, and none of its people writes their own account
through it.
"""

from __future__ import annotations

from application.orgs.joining.domains import OrgDomains, org_for_domain
from application.orgs.ports import OrgRepository
from domain.accounts.users import User
from domain.orgs.orgs import check_org_writes


def check_org_writes_on(
    account: User, org_id: str, writer: str | None, *, orgs: OrgRepository, domains: OrgDomains
) -> None:
    """403 ``account_not_managed`` unless the org may write its attributes on ``account``
    (``check_org_writes``), as its membership and its proven address stand: what every org
    writer of attributes asks first; ``writer``: whose rights the write carries (the admin,
    the SCIM token's maker, whoever set the connection's mapping)."""
    member = orgs.membership(org_id, account.id)
    email = account.email if account.email_verified else None
    proven = (  # the domain's claim read only where the membership does not decide
        member is not None
        and not member.managed
        and email is not None
        and org_for_domain(email.value.rpartition("@")[2], domains=domains) == org_id
    )
    check_org_writes(member, proven, writer)
