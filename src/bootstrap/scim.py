"""SCIM 2.0 provisioning for organizations: its adapters and its use cases bound to them
(docs/reference/scim.md)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from application.orgs.ports import OrgRepository
from application.scim.ports import ScimTokens
from application.scim.tokens import (
    ScimTokenServices,
    authenticate_directory,
    create_scim_token,
    list_scim_tokens,
    revoke_scim_token,
)
from bootstrap.platform import Platform

if TYPE_CHECKING:
    from google.cloud.firestore import Client


@dataclass(frozen=True)
class ScimAdapters:
    tokens: ScimTokens  # the orgs' SCIM bearer tokens


def build(client: Client) -> ScimAdapters:
    from infrastructure.firestore.scim.tokens import FirestoreScimTokens

    return ScimAdapters(tokens=FirestoreScimTokens(client))


def bind_tokens(own: ScimAdapters, *, orgs: OrgRepository, platform: Platform) -> ScimTokenServices:
    """``orgs``: whose admins make the tokens."""
    tokens, clock, audit = own.tokens, platform.clock, platform.audit
    return ScimTokenServices(
        create=partial(create_scim_token, orgs=orgs, tokens=tokens, clock=clock, audit=audit),
        list=partial(list_scim_tokens, orgs=orgs, tokens=tokens),
        revoke=partial(revoke_scim_token, orgs=orgs, tokens=tokens, audit=audit),
        authenticate=partial(authenticate_directory, tokens=tokens),
    )
