"""Delegation's rules (RFC 8693 §4.1 ``act``, §4.4 ``may_act``) in
domain/provider/token_exchange.py, against the RFC's examples: the chain nests the earlier
actors, at most three deep; ``may_act`` names the only party that may act; the agents'
grants ride along (docs/agents-and-clis.md, "Agents acting for agents: act chains")."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest

from domain.provider.token_exchange import (
    ACCESS_TOKEN,
    ACT_GRANTS,
    MAX_CHAIN,
    ExchangeRefused,
    ExchangeRequest,
    chain_depth,
    chain_grants,
    delegated,
    may_act,
)

pytestmark = pytest.mark.unit

ISSUER = "https://issuer.example.com"
# RFC 8693 §4.1's example: service16 acts, for whom service77 acted before
RFC_ACT = {"sub": "https://service16.example.com", "act": {"sub": "https://service77.example.com"}}
# RFC 8693 §4.4's example: admin@example.com may act for user@example.com
RFC_MAY_ACT_SUBJECT = {
    "aud": "https://consumer.example.com",
    "iss": ISSUER,
    "exp": 1443904177,
    "nbf": 1443904077,
    "sub": "user@example.com",
    "may_act": {"sub": "admin@example.com"},
}
# RFC 8693 Appendix A.2.1's delegation request, its token types the access tokens firegate
# takes (its example's are JWTs)
RFC_DELEGATION_REQUEST = (
    "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange"
    "&audience=urn%3Aexample%3Acooperation-context"
    "&subject_token=eyJhbGciOiJFUzI1NiIsImtpZCI6IjE2In0.subject"
    "&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token"
    "&actor_token=eyJhbGciOiJFUzI1NiIsImtpZCI6IjE2In0.actor"
    "&actor_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token"
)


def test_the_rfcs_delegation_request_names_its_actor_token() -> None:
    found = ExchangeRequest.parse(parse_qs(RFC_DELEGATION_REQUEST), actor_types=(ACCESS_TOKEN,))
    assert found.actor_token == "eyJhbGciOiJFUzI1NiIsImtpZCI6IjE2In0.actor"
    assert found.target == "urn:example:cooperation-context"
    assert parse_qs(RFC_DELEGATION_REQUEST)["actor_token_type"] == [ACCESS_TOKEN]


def test_the_actor_is_outermost_and_the_earlier_chain_nested_within() -> None:
    subject = {"sub": "user@example.com", "act": {"sub": "https://service77.example.com"}}
    found = delegated(subject, "https://service16.example.com", ISSUER)
    assert found.act == RFC_ACT  # the RFC's own example, built by the rule
    assert chain_depth(RFC_ACT) == 2 and chain_depth(None) == 0 and chain_depth({}) == 0


def test_a_chain_holds_three_actors_and_a_fourth_is_refused() -> None:
    subject: dict[str, object] = {"sub": "u1"}
    for name in ("a1", "a2", "a3"):
        subject = {"sub": "u1", **delegated(subject, name, ISSUER).claims()}
    assert chain_depth(subject["act"]) == MAX_CHAIN == 3
    assert subject["act"] == {"sub": "a3", "act": {"sub": "a2", "act": {"sub": "a1"}}}
    with pytest.raises(ExchangeRefused) as refused:
        delegated(subject, "a4", ISSUER)
    assert refused.value.error == "invalid_grant" and "3 actors" in refused.value.description


def test_the_agents_grants_ride_along_outermost_first() -> None:
    first = delegated({"sub": "u1"}, "agent-1", ISSUER, "g-1").claims()
    assert first[ACT_GRANTS] == ["g-1"]
    # an exchange by a plain client (no actor token) adds an actor and no grant
    second = delegated({"sub": "u1", **first}, "api", ISSUER).claims()
    assert second[ACT_GRANTS] == ["g-1"] and second["act"] == {
        "sub": "api",
        "act": {"sub": "agent-1"},
    }
    third = delegated({"sub": "u1", **second}, "agent-2", ISSUER, "g-2").claims()
    assert chain_grants(third) == ("g-2", "g-1")
    assert ACT_GRANTS not in delegated({"sub": "u1"}, "api", ISSUER).claims()
    assert chain_grants({ACT_GRANTS: ["g", 7, ""]}) == ("g",)


def test_may_act_names_the_only_party_that_may_act() -> None:
    assert may_act(RFC_MAY_ACT_SUBJECT, "admin@example.com", ISSUER)
    assert not may_act(RFC_MAY_ACT_SUBJECT, "intruder@example.com", ISSUER)
    assert may_act({"sub": "u"}, "anyone", ISSUER)  # no may_act: the other rules decide
    with pytest.raises(ExchangeRefused) as refused:
        delegated(RFC_MAY_ACT_SUBJECT, "intruder@example.com", ISSUER, "g")
    assert refused.value.error == "invalid_grant" and "may_act" in refused.value.description


def test_a_may_act_of_another_issuer_or_shape_names_nobody() -> None:
    other = {"sub": "u", "may_act": {"sub": "a1", "iss": "https://elsewhere.example"}}
    assert not may_act(other, "a1", ISSUER)
    assert may_act({"sub": "u", "may_act": {"sub": "a1", "iss": ISSUER}}, "a1", ISSUER)
    for shape in ("a1", ["a1"], {"sub": 1}, {}, None):
        assert not may_act({"sub": "u", "may_act": shape}, "a1", ISSUER)


def test_may_act_is_kept_so_that_no_later_actor_escapes_it() -> None:
    first = delegated(RFC_MAY_ACT_SUBJECT, "admin@example.com", ISSUER).claims()
    assert first["may_act"] == {"sub": "admin@example.com"}
    with pytest.raises(ExchangeRefused):
        delegated({"sub": "user@example.com", **first}, "another-agent", ISSUER)
