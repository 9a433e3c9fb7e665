"""An app or agent acting for a person in Firebase: which token of the provider may ask for
a Firebase custom token, and the claims that let the database see who acts and within what
(docs/agents-and-clis.md, "What the database sees: act in Firebase";
docs/decisions/0554-an-agents-token-gets-a-firebase-custom-token.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from domain.errors import PermissionDenied

# RFC 8693 §4.1: who acts, the current actor outermost, each earlier one nested in ``act``.
# firegate's chains are at most this deep; a longer one is refused, never cut.
MAX_ACT_DEPTH = 3
ACTOR_MAX = 512  # an actor's ``sub``: a client id, an https URL for a metadata document
# The resource of firegate's database bridge, below its issuer: a token of the provider
# asks for a custom token only when issued for it (docs/reference/firebase.md).
FIREBASE_RESOURCE_PATH = "/auth/firebase"
# The provider's private claim of a delegated token: the person's grant to each agent of its
# chain, outermost first (docs/decisions/0553-act-chains-may-act-and-their-end.md); the
# custom token carries them as ``agent_grants``, for the rules to read with ``grant_id``.
AGENT_GRANTS = "act_grants"


def firebase_resource(issuer: str) -> str:
    """The resource (RFC 8707) an app's token names to reach Firebase through firegate."""
    return issuer.rstrip("/") + FIREBASE_RESOURCE_PATH


def chain_of(claim: object, depth: int = 1) -> dict[str, Any] | None:
    """The ``act`` claim kept to what the database is told: each actor's ``sub``, nested at
    most ``MAX_ACT_DEPTH`` deep; None when it is not such a chain."""
    if not isinstance(claim, Mapping) or depth > MAX_ACT_DEPTH:
        return None
    sub = claim.get("sub")
    if not isinstance(sub, str) or not sub or len(sub) > ACTOR_MAX:
        return None
    kept: dict[str, Any] = {"sub": sub}
    inner = claim.get("act")
    if inner is not None:
        nested = chain_of(inner, depth + 1)
        if nested is None:
            return None
        kept["act"] = nested
    return kept


def not_for_firebase() -> PermissionDenied:
    return PermissionDenied(
        "This token was not issued for firegate's Firebase resource: an app exchanges it "
        "for one whose audience is that resource first.",
        code="agent_token_not_for_firebase",
    )


@dataclass(frozen=True)
class ActingAgent:
    """An app or agent acting for the person: the ``act`` chain (the client of the token
    outermost), the token's scopes and the person's grant it came from."""

    act: dict[str, Any]
    scopes: tuple[str, ...]
    grant_id: str
    agent_grants: tuple[str, ...] = ()  # the person's grant to each agent of a chain

    @staticmethod
    def of(claims: Mapping[str, Any], resource: str) -> ActingAgent:
        """The agent a live access token of the provider names, when it is a person's (it
        names a grant) and issued for ``resource``; ``act`` is the token's chain, or its
        client alone where no exchange made it. 403 ``agent_token_not_for_firebase``
        otherwise (a DPoP-bound one too), 403 ``act_chain_too_deep`` for a chain past
        ``MAX_ACT_DEPTH``."""
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        grant_id, client_id = claims.get("grant_id"), claims.get("client_id")
        if (
            resource not in audiences
            or not isinstance(grant_id, str)
            or not isinstance(client_id, str)
        ):
            raise not_for_firebase()
        if claims.get("cnf") is not None:  # RFC 9449: never accepted without its proof
            raise PermissionDenied(
                "A DPoP-bound token asks for a custom token only with a proof, which this "
                "route does not take: exchange it for an unbound one.",
                code="agent_token_not_for_firebase",
            )
        given = claims.get("act")
        act = chain_of(given) if given is not None else chain_of({"sub": client_id})
        if act is None:
            raise PermissionDenied(
                f"The token's act chain is not one of at most {MAX_ACT_DEPTH} actors.",
                code="act_chain_too_deep",
            )
        scope = claims.get("scope")
        scopes = tuple(dict.fromkeys(scope.split())) if isinstance(scope, str) else ()
        return ActingAgent(act, scopes, grant_id, _agent_grants(claims.get(AGENT_GRANTS, [])))

    @property
    def client_id(self) -> str:
        """The agent acting now: the outermost actor."""
        sub: str = self.act["sub"]
        return sub

    def claims(self) -> dict[str, object]:
        """The custom token's developer claims for the agent: ``act``, ``scope`` (space
        separated, as in the access token), ``grant_id`` and, for a chain of agents,
        ``agent_grants``: the rules read each to end the agent's Firebase session with any
        of those grants."""
        claims: dict[str, object] = {
            "act": self.act,
            "scope": " ".join(self.scopes),
            "grant_id": self.grant_id,
        }
        if self.agent_grants:
            claims["agent_grants"] = list(self.agent_grants)
        return claims

    def may(self, scope: str) -> bool:
        """``agentMay(scope)`` of the rules library: the token's scopes include it."""
        return scope in self.scopes


def _agent_grants(claim: object) -> tuple[str, ...]:
    """The grants of a chain's agents, at most one an actor; 403
    ``agent_token_not_for_firebase`` for anything else (the provider never writes one)."""
    if (
        not isinstance(claim, list)
        or len(claim) > MAX_ACT_DEPTH
        or not all(isinstance(grant, str) and grant for grant in claim)
    ):
        raise not_for_firebase()
    return tuple(claim)
