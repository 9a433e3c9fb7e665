"""OAuth 2.0 Token Exchange (RFC 8693), the part firegate serves: a confidential client
exchanges a person's access token issued for it for one for another resource, narrowing
only, with ``act`` naming it (docs/reference/oauth.md, "Token exchange"). The requested token
types and actor tokens a unit serves besides (the agents': an ID-JAG, an agent's
``actor_token``) are its own (domain/agents/), through the provider's slots
(application/provider/slots.py); the ``act`` chain they make, its rules and its liveness are
the provider's, as every exchanged token has one (docs/decisions/0770-what-the-agents-unit-is.md).

The request's parameters, the refusals and the answer's shape are RFC 8693's and are kept
here, apart from any framework, so that each rule is tested against the RFC's text and
examples (tests/unit/provider/test_token_exchange.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from domain.signin.claims.sources import ClaimSource, copied

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange"  # RFC 8693 §2.1
# RFC 8693 §3: token type identifiers. firegate takes and issues access tokens only.
ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token"
REFRESH_TOKEN = "urn:ietf:params:oauth:token-type:refresh_token"
ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token"
JWT = "urn:ietf:params:oauth:token-type:jwt"
MAX_PARAMETER_CHARS = 8192  # a token of ours is well under 2 KB
# How many actors an ``act`` chain holds at most: an exchange that would nest a fourth is
# refused (docs/decisions/0553-act-chains-may-act-and-their-end.md).
MAX_CHAIN = 3
# The access token's private claim: the person's grant to each agent of its ``act`` chain
# (outermost first), which must all still hold for the token to hold (introspection reads
# them with the subject's grant, in one batched read)
ACT_GRANTS = "act_grants"
NO_ACTOR_TOKEN = (
    "actor_token is not taken here: a token exchange's actor is the client that authenticates."
)
CHAIN_TOO_DEEP = (
    f"The act chain would be more than {MAX_CHAIN} actors deep: a token from this many "
    "delegations is not delegated again."
)
NOT_MAY_ACT = (
    "The subject token's may_act does not name this actor: only the party it names may act "
    "for the person."
)


class ExchangeRefused(Exception):
    """A refusal in RFC 6749 §5.2's terms (RFC 8693 §2.2.2): ``error`` and a description."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error, self.description = error, description


@dataclass(frozen=True)
class ExchangeRequest:
    """RFC 8693 §2.1's parameters, as firegate takes them: one subject token (an access
    token), one target (``resource`` and/or ``audience``, naming the same thing), an optional
    ``scope``, and an optional ``actor_token`` (an agent's access token: the agent is the
    actor; without one the authenticated client is)."""

    subject_token: str
    target: str
    scope: tuple[str, ...] | None  # None: the subject token's own
    actor_token: str | None = None
    actor_token_type: str | None = None  # one of the ``actor_types`` it was parsed with

    @staticmethod
    def parse(
        form: Mapping[str, Sequence[str]],
        *,
        requested_types: Sequence[str] = (),
        actor_types: Sequence[str] = (),
    ) -> ExchangeRequest:
        """The request, or ``ExchangeRefused`` saying which parameter is wrong;
        ``requested_types``: the other requested token types the units serve (named in the
        refusal of one that is none), ``actor_types``: the actor tokens' types the units take
        (none: an ``actor_token`` is refused)."""
        requested = requested_type(form)
        if requested not in (None, ACCESS_TOKEN):
            named = " or ".join((ACCESS_TOKEN, *requested_types))
            raise ExchangeRefused("invalid_request", f"requested_token_type may only be {named}.")
        subject_token = parameter(form, "subject_token", required=True) or ""
        subject_type = parameter(form, "subject_token_type", required=True)
        if subject_type != ACCESS_TOKEN:
            raise ExchangeRefused(
                "invalid_request",
                f"subject_token_type must be {ACCESS_TOKEN}: only access tokens are exchanged.",
            )
        actor_token = parameter(form, "actor_token")
        actor_type = parameter(form, "actor_token_type")
        if actor_token and not actor_types:  # no unit lets anyone act with a token of its own
            raise ExchangeRefused("invalid_request", NO_ACTOR_TOKEN)
        if actor_token and actor_type not in actor_types:  # RFC 8693 §2.1: required with it
            named = " or ".join(actor_types)
            raise ExchangeRefused(
                "invalid_request", f"actor_token_type must be {named} with an actor_token."
            )
        if actor_type is not None and not actor_token:
            raise ExchangeRefused(
                "invalid_request", "actor_token_type is sent only with an actor_token."
            )
        resource, audience = parameter(form, "resource"), parameter(form, "audience")
        if resource is not None and audience is not None and resource != audience:
            raise ExchangeRefused(
                "invalid_target", "resource and audience name different targets: name one."
            )
        target = resource or audience
        if target is None:
            raise ExchangeRefused(
                "invalid_request", "Name the token's target: resource (or audience)."
            )
        scope = parameter(form, "scope")
        asked = tuple(dict.fromkeys(scope.split())) if scope is not None else None
        if not actor_token:
            return ExchangeRequest(subject_token, target, asked)
        return ExchangeRequest(subject_token, target, asked, actor_token, actor_type)


def requested_type(form: Mapping[str, Sequence[str]]) -> str | None:
    """The request's ``requested_token_type`` (one at most), which says which exchange it is."""
    return parameter(form, "requested_token_type")


def parameter(
    form: Mapping[str, Sequence[str]], name: str, *, required: bool = False
) -> str | None:
    """The request's one value of ``name`` (None: not sent), or ``ExchangeRefused``: sent
    twice, too long or not printable, or missing where ``required``."""
    values = list(form.get(name) or ())
    if len(values) > 1:
        error = "invalid_target" if name in ("resource", "audience") else "invalid_request"
        raise ExchangeRefused(error, f"One '{name}' per request.")
    value = values[0] if values else None
    if value is not None and (len(value) > MAX_PARAMETER_CHARS or not value.isprintable()):
        raise ExchangeRefused("invalid_request", f"'{name}' is not valid.")
    if required and not value:
        raise ExchangeRefused("invalid_request", f"Missing '{name}'.")
    return value


def issued_for(audience: object, client_id: str, resources: Sequence[str]) -> bool:
    """Whether a subject token was issued for the exchanging client: its ``aud`` (a string
    or a list, RFC 7519 §4.1.3) names the client or one of the resources it serves."""
    names = audience if isinstance(audience, list) else [audience]
    return any(name == client_id or name in resources for name in names)


def narrowed_scope(subject: Sequence[str], asked: Sequence[str] | None) -> tuple[str, ...]:
    """RFC 8693 §2.1 ``scope``: the exchanged token's scopes, never wider than the subject
    token's (all of them when none is asked); ``offline_access`` is left out, as an exchange
    gives no refresh token."""
    had = tuple(scope for scope in subject if scope != "offline_access")
    if asked is None:
        return had
    wider = [scope for scope in asked if scope not in subject]
    if wider:
        raise ExchangeRefused(
            "invalid_scope", f"'{wider[0]}' is wider than the subject token's scopes."
        )
    narrowed = tuple(scope for scope in asked if scope != "offline_access")
    if not narrowed:
        raise ExchangeRefused("invalid_scope", "No scope is left to exchange for.")
    return narrowed


def actor(client_id: str, subject_act: object) -> dict[str, Any]:
    """RFC 8693 §4.1 ``act``: the client acting, and, nested within, whoever acted in the
    subject token (the chain of delegation, the current actor outermost)."""
    claim: dict[str, Any] = {"sub": client_id}
    if isinstance(subject_act, dict) and subject_act:
        claim["act"] = subject_act
    return claim


def chain_depth(act: object) -> int:
    """How many actors an ``act`` claim nests (RFC 8693 §4.1: each may hold the one before)."""
    depth = 0
    while isinstance(act, dict) and act:
        depth, act = depth + 1, act.get("act")
    return depth


def chain_grants(claims: Mapping[str, Any]) -> tuple[str, ...]:
    """The person's grants to the agents of a token's chain (``ACT_GRANTS``), as minted."""
    found = claims.get(ACT_GRANTS)
    if not isinstance(found, list):
        return ()
    return tuple(grant for grant in found if isinstance(grant, str) and grant)


def may_act(subject: Mapping[str, Any], actor_id: str, issuer: str) -> bool:
    """RFC 8693 §4.4: where the subject token carries ``may_act``, only the party it names
    (its ``sub``, and its ``iss`` if it has one) may act for the subject; a ``may_act`` of
    any other shape names nobody. A token without one leaves it to the other rules."""
    if "may_act" not in subject:
        return True
    named = subject["may_act"]
    if not isinstance(named, dict) or not isinstance(named.get("sub"), str):
        return False
    if "iss" in named and named["iss"] != issuer:
        return False
    return bool(named["sub"] == actor_id)


@dataclass(frozen=True)
class Delegation:
    """What an exchanged token says of who acts: its ``act`` chain, the person's grant to
    each agent in it (``ACT_GRANTS``, outermost first), and the subject's ``may_act``, kept so
    that no later actor escapes it."""

    act: dict[str, Any]
    agent_grants: tuple[str, ...] = ()
    may_act: dict[str, Any] | None = None

    def claims(self) -> dict[str, Any]:
        found: dict[str, Any] = {"act": self.act}
        if self.agent_grants:
            found[ACT_GRANTS] = list(self.agent_grants)
        if self.may_act is not None:
            found["may_act"] = self.may_act
        return found


# The agents' claim source: introspection answers who acts for the person in a delegated
# token (``act``, RFC 8693 §4.1: an exchanged token's chain, docs/agents-and-clis.md). The
# exchange writes the chain itself (``Delegation``), as an app's custom token does
# (``ActingAgent``).
AGENT_CLAIMS = (ClaimSource(name="act", kinds=frozenset({"introspection"}), value=copied("act")),)


def delegated(
    subject: Mapping[str, Any], actor_id: str, issuer: str, agent_grant: str | None = None
) -> Delegation:
    """The delegation of an exchange whose actor is ``actor_id`` (an agent, with the person's
    ``agent_grant`` to it, or the exchanging client): the actor outermost in ``act``, the
    subject's chain within; refused (``invalid_grant``) past ``MAX_CHAIN`` actors, or for an
    actor the subject's ``may_act`` does not name."""
    if not may_act(subject, actor_id, issuer):
        raise ExchangeRefused("invalid_grant", NOT_MAY_ACT)
    if chain_depth(subject.get("act")) + 1 > MAX_CHAIN:
        raise ExchangeRefused("invalid_grant", CHAIN_TOO_DEEP)
    grants = chain_grants(subject)
    if agent_grant is not None:
        grants = (agent_grant, *grants)
    kept = subject.get("may_act")
    return Delegation(
        actor(actor_id, subject.get("act")), grants, kept if isinstance(kept, dict) else None
    )


AGAIN_FOR_ITS_TARGET = (
    "The subject token is one this client got from an exchange for this same target: it is "
    "exchanged again only for another resource."
)


def exchanged(claims: Mapping[str, Any]) -> bool:
    """Whether an access token came from an exchange: it names who acted (``act``)."""
    return isinstance(claims.get("act"), dict)


def check_chain(subject: Mapping[str, Any], client_id: str, target: str) -> None:
    """A client exchanges a token it got from an exchange again only for another target:
    for its own target it would give the same token anew, which the client would swap
    again and again to keep a person's access alive without ``offline_access``."""
    if not exchanged(subject) or subject.get("client_id") != client_id:
        return
    audience = subject.get("aud")
    if target in (audience if isinstance(audience, list) else [audience]):
        raise ExchangeRefused("invalid_grant", AGAIN_FOR_ITS_TARGET)


def expiry(now: int, lifetime: int, subject: Mapping[str, Any]) -> int:
    """The exchanged token's ``exp`` (RFC 8693 leaves its lifetime to the server): its own
    lifetime, never past the subject's ``exp``. As each token of a chain of exchanges is
    capped so, the first subject's ``exp`` holds to the chain's end."""
    return min(now + lifetime, int(subject["exp"]))


def answer(access_token: str, expires_in: int, scope: Sequence[str]) -> dict[str, Any]:
    """RFC 8693 §2.2.1's response: the token, its type, ``Bearer``, no refresh token."""
    return {
        "access_token": access_token,
        "issued_token_type": ACCESS_TOKEN,
        "token_type": "Bearer",
        "expires_in": expires_in,
        "scope": " ".join(scope),
    }
