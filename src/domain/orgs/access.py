"""Access decisions (docs/reference/access.md): whether a member's roles carry a permission
in an org, asked in AuthZEN 1.0's evaluation shape, and who may ask it
(docs/decisions/0490-the-rules-library.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from domain.errors import PermissionDenied
from domain.federation.acting import ActingAgent


@dataclass(frozen=True)
class AccessQuestion:
    """May the user ``subject_id`` do ``action`` (a permission's name) in the org ``org_id``?"""

    subject_id: str
    action: str
    org_id: str


@dataclass(frozen=True)
class AccessCaller:
    """Who asks: a person about themselves (or an app or agent acting for them, within its
    token's scopes), or an org's own client about its org."""

    user_id: str | None = None
    org_id: str | None = None
    # An app's or agent's token for the person: its scopes bound what it may do (the rules
    # library's ``agentMay``); None: the person acts alone
    agent_scopes: tuple[str, ...] | None = None

    def check(self, question: AccessQuestion) -> None:
        """Refuse a question about someone else, or about another org."""
        if self.user_id is not None and question.subject_id == self.user_id:
            return
        if self.org_id is not None and question.org_id == self.org_id:
            return
        raise PermissionDenied(
            "A person asks about themselves; an org's client about its own org.",
            code="evaluation_not_allowed",
        )


def org_client_caller(claims: Mapping[str, object]) -> AccessCaller | None:
    """The caller an access token of the provider's makes: an org-owned client's own
    (``client_credentials``: no user, its ``org_id``), else None."""
    org_id, client_id = claims.get("org_id"), claims.get("client_id")
    if not isinstance(org_id, str) or not org_id or not isinstance(client_id, str):
        return None
    if claims.get("sub") != client_id or "grant_id" in claims:
        return None  # a person's token through an app: theirs, not the client's
    return AccessCaller(org_id=org_id)


def agent_caller(claims: Mapping[str, object], resource: str) -> AccessCaller | None:
    """The caller a person's access token of the provider makes when an app or agent holds
    it for firegate's Firebase resource (``ActingAgent``): the person, within the token's
    scopes; else None."""
    try:
        agent = ActingAgent.of(claims, resource)
    except PermissionDenied:
        return None
    subject = claims.get("sub")
    return (
        AccessCaller(user_id=subject, agent_scopes=agent.scopes)
        if isinstance(subject, str)
        else None
    )


def decide(
    held: frozenset[str] | None, question: AccessQuestion, caller: AccessCaller | None = None
) -> bool:
    """``held``: the permissions of the subject's live membership of the org, or None; an
    agent's question is also bounded by its token's scopes (``agentMay`` of the rules
    library)."""
    if held is None or question.action not in held:
        return False
    scopes = caller.agent_scopes if caller is not None else None
    return scopes is None or question.action in scopes
