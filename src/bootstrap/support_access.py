"""The support access unit: an admin, or an org's admin, acts as a person in a time-boxed
session of the person's whose tokens name the admin in ``act`` (docs/support-access.md,
docs/decisions/0765-support-access-is-a-unit.md). It lends sign-in its claims (``act``,
``impersonation_ends``) and its session guard (the routes only the person's own session is
served: those every running unit says outlast a session, ``OUTLASTING_ROUTES``, its own
among them); the sessions, the audit trail's acting admin and the orgs' ``impersonation``
setting it builds on are the core's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from application.hooks.caller import HOOK_CALLERS
from application.orgs.ports import ORG_REPOSITORY
from application.signin.authentication import SESSION_GUARDS
from application.signin.sessions import SIGNIN_STORES
from application.support_access.guard import OwnSessionOnly
from application.support_access.impersonation import Impersonation
from application.support_access.org import OrgSupportAccess
from bootstrap.signin_policies import token_hook
from bootstrap.unit import Built, Kernel, Unit
from domain.accounts.outlasting import OUTLASTING_ROUTES, Outlasting
from domain.signin.claims.sources import CLAIM_SOURCES
from domain.support_access.claims import SUPPORT_ACCESS_CLAIMS

if TYPE_CHECKING:
    from flask import Blueprint

    from interfaces.web.parts import Pages


def build(_adapters: None, kernel: Kernel) -> Built:
    """Starting and ending support access (an admin's, an org admin's), on sign-in's
    sessions and tokens."""
    core, platform = kernel.offered(SIGNIN_STORES), kernel.platform
    impersonation = Impersonation(
        users=core.users,
        sessions=core.sessions,
        tokens=core.tokens,
        clock=platform.clock,
        policy=core.token_policy,
        audit=platform.audit,
        hook=token_hook(kernel.offered(HOOK_CALLERS)),
    )
    orgs = kernel.offered(ORG_REPOSITORY)
    in_orgs = OrgSupportAccess(orgs=orgs, users=core.users, impersonation=impersonation)
    return Built(services=(impersonation, in_orgs))


def api() -> Sequence[Blueprint]:
    from interfaces.http.routes.support_access import (  # noqa: PLC0415 - loaded with the app
        impersonation,
        org,
    )

    return (impersonation.bp, org.bp)


def pages() -> Pages:
    """An admin's "Act as" and an org admin's, the banner of such a session with its end,
    and the forms it may not send shown disabled."""
    from interfaces.web.parts import Pages  # noqa: PLC0415 - loaded with the app
    from interfaces.web.support_access import (  # noqa: F401, PLC0415 - loaded with the app
        impersonation,
        org,
    )

    return Pages(
        after_page=(impersonation.refused_forms,),
        page_context=(impersonation.page_context,),
        includes={
            "banner": ("support_access/_banner.html",),
            "admin_user": ("support_access/_admin_user.html",),
            "org_member": ("support_access/_org_member.html",),
        },
    )


UNIT = Unit[None](
    name="support_access",
    build=build,
    api=api,
    pages=pages,
    fills=(
        CLAIM_SOURCES(*SUPPORT_ACCESS_CLAIMS),
        # Its guard, made once of the routes every running unit says outlast a session;
        SESSION_GUARDS(OwnSessionOnly),
        # and its own such routes: no session of support access starts another.
        OUTLASTING_ROUTES(
            (
                Outlasting.SUPPORT_ACCESS,
                (
                    ("POST", "/admin/users/<user_id:user_id>/impersonate"),
                    ("POST", "/orgs/<org>/members/<user_id>/impersonate"),
                    ("POST", "/admin/users/<user_id>/act-as"),
                    ("POST", "/account/orgs/<org>/members/<user_id>/act-as"),
                ),
            ),
        ),
    ),
)
