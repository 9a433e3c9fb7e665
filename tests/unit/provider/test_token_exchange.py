"""Token exchange (RFC 8693): the rules of domain/provider/token_exchange.py against the RFC's
examples and text, then the grant at the token endpoint through Flask's test client, each
refusal on its own (docs/reference/oauth.md, "Token exchange")."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs

import pytest

from domain.clients.oauth import DEVICE_CODE
from domain.provider.token_exchange import (
    ACCESS_TOKEN,
    GRANT_TYPE,
    ID_TOKEN,
    NO_ACTOR_TOKEN,
    ExchangeRefused,
    ExchangeRequest,
    actor,
    answer,
    check_chain,
    expiry,
    issued_for,
    narrowed_scope,
)
from interfaces.provider.routes import EXTENSION
from tests.support.metrics import TOKEN as METRICS_TOKEN
from tests.support.metrics import scrape
from tests.support.oauth import OAuthWorld, claims, csrf_of
from tests.support.token_exchange import API, BILLING, exchange, exchanger

pytestmark = pytest.mark.unit

# RFC 8693 Appendix A.1.1: the token exchange request of its first example, as sent.
RFC_REQUEST = (
    "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange"
    "&resource=https%3A%2F%2Fbackend.example.com%2Fapi"
    "&subject_token=accVkjcJyb4BWCxGsndESCJQbdFMogUC5PbRDqceLTC"
    "&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token"
)


def form(**values: str | list[str]) -> dict[str, list[str]]:
    base: dict[str, list[str]] = {
        "subject_token": ["t"],
        "subject_token_type": [ACCESS_TOKEN],
        "resource": [BILLING],
    }
    for name, value in values.items():
        base[name] = value if isinstance(value, list) else [value]
    return {name: value for name, value in base.items() if value != [""]}


def refusal(actor_types: tuple[str, ...] = (), **values: str | list[str]) -> tuple[str, str]:
    with pytest.raises(ExchangeRefused) as refused:
        ExchangeRequest.parse(form(**values), actor_types=actor_types)
    return refused.value.error, refused.value.description


def test_the_rfcs_example_request_is_read() -> None:
    found = ExchangeRequest.parse(parse_qs(RFC_REQUEST))
    assert found.subject_token == "accVkjcJyb4BWCxGsndESCJQbdFMogUC5PbRDqceLTC"
    assert found.target == "https://backend.example.com/api" and found.scope is None
    assert parse_qs(RFC_REQUEST)["grant_type"] == [GRANT_TYPE]


def test_the_target_is_resource_or_audience_and_one_of_them() -> None:
    assert ExchangeRequest.parse(form(resource="", audience=BILLING)).target == BILLING
    assert ExchangeRequest.parse(form(audience=BILLING)).target == BILLING
    assert refusal(audience=API)[0] == "invalid_target"  # two targets
    assert refusal(resource=[API, BILLING])[0] == "invalid_target"
    assert refusal(resource="")[0] == "invalid_request"
    assert ExchangeRequest.parse(form(scope="email email profile")).scope == ("email", "profile")


def test_what_is_not_served_is_refused_by_name() -> None:
    assert "subject_token_type" in refusal(subject_token_type=ID_TOKEN)[1]
    assert "subject_token_type" in refusal(subject_token_type="")[1]
    assert "subject_token" in refusal(subject_token="")[1]
    assert "requested_token_type" in refusal(requested_token_type=ID_TOKEN)[1]
    assert ExchangeRequest.parse(form(requested_token_type=ACCESS_TOKEN)).target == BILLING
    # an actor token of a type a unit takes (the agents' access token), and of none else
    actors = (ACCESS_TOKEN,)
    taken = ExchangeRequest.parse(
        form(actor_token="a", actor_token_type=ACCESS_TOKEN), actor_types=actors
    )
    assert taken.actor_token == "a" and taken.actor_token_type == ACCESS_TOKEN
    assert "actor_token_type" in refusal(actors, actor_token="a")[1]
    assert "actor_token_type" in refusal(actors, actor_token="a", actor_token_type=ID_TOKEN)[1]
    assert "actor_token_type" in refusal(actors, actor_token_type=ACCESS_TOKEN)[1]
    # with no unit taking one, the client that authenticates is the actor: refused by name
    assert refusal(actor_token="a", actor_token_type=ACCESS_TOKEN) == (
        "invalid_request",
        NO_ACTOR_TOKEN,
    )
    assert refusal(subject_token=["a", "b"])[0] == "invalid_request"
    assert refusal(subject_token="a\nb")[0] == "invalid_request"
    assert refusal(subject_token="a" * 9000)[0] == "invalid_request"


def test_the_scope_narrows_only_and_gives_no_refresh() -> None:
    had = ("openid", "email", "profile", "offline_access")
    assert narrowed_scope(had, None) == ("openid", "email", "profile")
    assert narrowed_scope(had, ("email",)) == ("email",)
    with pytest.raises(ExchangeRefused) as wider:
        narrowed_scope(had, ("email", "roles"))
    assert wider.value.error == "invalid_scope" and "roles" in wider.value.description
    with pytest.raises(ExchangeRefused):
        narrowed_scope(had, ("offline_access",))


def test_act_names_the_client_and_nests_the_earlier_actors() -> None:
    # RFC 8693 §4.1's example of a delegation chain: the current actor outermost.
    earlier = {"sub": "https://service77.example.com"}
    assert actor("https://service16.example.com", earlier) == {
        "sub": "https://service16.example.com",
        "act": {"sub": "https://service77.example.com"},
    }
    assert actor("c1", None) == {"sub": "c1"}


def test_a_subject_token_is_for_the_client_or_its_resources() -> None:
    assert issued_for("c1", "c1", ())
    assert issued_for(API, "c1", (API,))
    assert issued_for(["x", API], "c1", (API,))
    assert not issued_for(BILLING, "c1", (API,)) and not issued_for(None, "c1", ())


def test_an_exchanged_token_never_outlives_its_subject() -> None:
    assert expiry(1000, 600, {"exp": 1300}) == 1300
    assert expiry(1000, 600, {"exp": 9999}) == 1600


def test_a_clients_own_exchanged_token_is_exchanged_again_only_for_another_target() -> None:
    mine = {"client_id": "c1", "aud": BILLING, "act": {"sub": "c1"}}
    with pytest.raises(ExchangeRefused) as again:
        check_chain(mine, "c1", BILLING)
    assert again.value.error == "invalid_grant" and "another resource" in again.value.description
    with pytest.raises(ExchangeRefused):
        check_chain({**mine, "aud": [API, BILLING]}, "c1", BILLING)
    check_chain(mine, "c1", API)  # another target: what an exchange is for
    check_chain({"client_id": "c1", "aud": BILLING}, "c1", BILLING)  # not from an exchange
    check_chain(mine, "c2", BILLING)  # another client's: a delegation further down the chain


def test_the_answer_has_rfc_8693s_shape() -> None:
    # RFC 8693 Appendix A.1.2: issued_token_type, token_type Bearer, no refresh token.
    found = answer("eyJ...", 60, ("email",))
    assert found == {
        "access_token": "eyJ...",
        "issued_token_type": ACCESS_TOKEN,
        "token_type": "Bearer",
        "expires_in": 60,
        "scope": "email",
    }


# -- at the token endpoint


@pytest.fixture
def world() -> OAuthWorld:
    return OAuthWorld()


def test_a_confidential_client_exchanges_a_persons_token_for_another_of_its_resources(
    world: OAuthWorld,
) -> None:
    service = exchanger(world, "--grant", "token_exchange")
    meta = world.client.get("/.well-known/openid-configuration").get_json()
    assert GRANT_TYPE in meta["grant_types_supported"]
    person = world.tokens(service, resource=API)  # issued for the client's resource
    answered = exchange(world, service, person["access_token"], scope="email")
    assert answered.status_code == 200, answered.get_json()
    body = answered.get_json()
    assert body["issued_token_type"] == ACCESS_TOKEN and body["token_type"] == "Bearer"
    assert "refresh_token" not in body and body["scope"] == "email"
    subject, made = claims(world, person["access_token"]), claims(world, body["access_token"])
    assert made["aud"] == BILLING and made["sub"] == subject["sub"]
    assert made["act"] == {"sub": service["client_id"]} and made["scope"] == "email"
    # its own token, issued to the client itself (aud the client), exchanges too, and the
    # exchanged token once more nests the actors
    own = world.tokens(service)
    assert exchange(world, service, own["access_token"]).status_code == 200
    again = exchange(world, service, body["access_token"], resource=API)
    assert again.status_code == 200, again.get_json()
    nested = claims(world, again.get_json()["access_token"])["act"]
    assert nested == {"sub": service["client_id"], "act": {"sub": service["client_id"]}}
    introspected = as_client(world, service, "/oauth/introspect", body["access_token"]).get_json()
    assert introspected["active"] is True and introspected["aud"] == BILLING
    world.post_token(service, grant_type="refresh_token", refresh_token=person["refresh_token"])
    revoked = as_client(world, service, "/oauth/revoke", person["access_token"])
    assert revoked.status_code == 200
    dead = exchange(world, service, person["access_token"])  # the grant revoked: refused
    assert dead.status_code == 400 and dead.get_json()["error"] == "invalid_grant"


def as_client(world: OAuthWorld, client: dict[str, Any], path: str, token: str) -> Any:
    """``path`` (introspection, revocation) asked about ``token`` by the confidential client."""
    body = {"token": token, "client_id": client["client_id"], **secret(client)}
    return world.client.post(path, data=body)


def error_of(answer: Any) -> str:
    assert answer.status_code in (400, 401), answer.get_json()
    found: str = answer.get_json()["error"]
    return found


def test_each_refusal_of_an_exchange(world: OAuthWorld) -> None:
    service = exchanger(world, "--grant", "token_exchange")
    token = world.tokens(service, resource=API)["access_token"]
    assert error_of(exchange(world, service, token, scope="email roles")) == "invalid_scope"
    outside = exchange(world, service, token, resource="https://payments.example.com/")
    assert error_of(outside) == "invalid_target"
    own_api = exchange(world, service, token, resource="http://127.0.0.1:8000")
    assert error_of(own_api) == "invalid_target"
    other = world.register("--confidential", "--resource", "https://other.example.com/")
    foreign = world.tokens(other, resource="https://other.example.com/")["access_token"]
    assert error_of(exchange(world, service, foreign)) == "invalid_grant"  # another audience
    assert error_of(exchange(world, service, "not-a-token")) == "invalid_grant"
    expired = expired_token(world, claims(world, token))
    assert error_of(exchange(world, service, expired)) == "invalid_grant"
    own = world.post_token(service, grant_type="client_credentials").get_json()["access_token"]
    assert error_of(exchange(world, service, own)) == "invalid_grant"  # about no person
    plain = exchanger(world)
    mine = world.tokens(plain, resource=API)["access_token"]
    assert error_of(exchange(world, plain, mine)) == "unauthorized_client"
    public = world.register("--grant", "device_code")
    refused = exchange(world, {"client_id": public["client_id"]}, token)
    assert error_of(refused) == "invalid_client"
    typed = exchange(world, service, token, subject_token_type=ID_TOKEN)
    assert error_of(typed) == "invalid_request"
    unlimited = world.register("--confidential", "--grant", "token_exchange")
    theirs = world.tokens(unlimited)["access_token"]
    assert error_of(exchange(world, unlimited, theirs)) == "invalid_target"  # no resources


def expired_token(world: OAuthWorld, like: dict[str, Any]) -> str:
    """The same token signed by the provider's keys, an hour past its expiry."""
    keys = world.app.extensions[EXTENSION].get().config.keys
    past = int(time.time()) - 3600
    signed: str = keys.sign_access({**like, "iat": past - 600, "exp": past})
    return signed


def test_the_device_flow_and_the_exchange_count_the_tokens_they_issue() -> None:
    world = OAuthWorld(metrics_token=METRICS_TOKEN)
    service = exchanger(world, "--grant", "token_exchange", "--grant", "device_code")
    started = world.client.post(
        "/oauth/device_authorization", data={"client_id": service["client_id"], **secret(service)}
    ).get_json()
    html = world.client.get("/device").get_data(as_text=True)
    answer = {"user_code": started["user_code"], "decision": "allow", "csrf_token": csrf_of(html)}
    assert world.client.post("/device", data=answer).status_code == 200
    polled = world.post_token(
        service, grant_type=DEVICE_CODE, device_code=started["device_code"]
    ).get_json()
    assert exchange(world, service, polled["access_token"]).status_code == 200
    seen = scrape(world.client)
    assert seen[f'firegate_tokens_issued_total{{grant="{DEVICE_CODE}"}}'] == 1
    assert seen[f'firegate_tokens_issued_total{{grant="{GRANT_TYPE}"}}'] == 1


def secret(client: dict[str, Any]) -> dict[str, str]:
    return {"client_secret": client["client_secret"]}
