"""Organizations: their adapters, made from their settings, and their use cases bound to them
(docs/reference/orgs.md)."""

from __future__ import annotations

from functools import partial

from application.orgs.active import ActiveOrgServices, switch_org
from bootstrap.accounts import AccountsAdapters
from bootstrap.platform import Platform
from bootstrap.signin import SigninAdapters


def bind_active_org(
    *, accounts: AccountsAdapters, signin: SigninAdapters, platform: Platform
) -> ActiveOrgServices:
    """POST /auth/org: the session's active org, read as the per-request check reads it."""
    return ActiveOrgServices(
        switch=partial(
            switch_org,
            orgs=accounts.active_orgs,
            sessions=signin.sessions,
            tokens=signin.tokens,
            clock=platform.clock,
        )
    )
