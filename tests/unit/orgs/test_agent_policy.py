"""An org's agent policy (docs/reference/orgs.md, "Agent policy"): the hosts it takes (bare
names, lower case, IDNA A-labels, a bounded count), what each mode allows and what names an
app for an ID-JAG; ``GET``/``PUT /orgs/{org}/agent-policy`` for its owners only, with an
``org.updated`` entry on its audit log; an org that never set one allows any app."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

from application.orgs.members.members import AddMember
from application.orgs.services import OrgServices
from domain.clients.oauth import OAuthClient
from domain.errors import InvalidInput
from domain.signin.active_org import MAX_HOSTS, AgentMode, AgentPolicy, stored_policy
from tests.support.api import assert_field_error, assert_problem, bearer, login, register, services

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("Agent.Example.COM", "agent.example.com"),
        ("agent.example.com.", "agent.example.com"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("ＡＧＥＮＴ.example", "agent.example"),
    ],
)
def test_a_host_is_kept_lower_case_in_its_ascii_form(given: str, stored: str) -> None:
    assert AgentPolicy.checked("allow_list", [given]).hosts == (stored,)


@pytest.mark.parametrize(
    "bad",
    [
        "https://agent.example.com",
        "agent.example.com:443",
        "agent.example.com/mcp",
        "*.example.com",
        "192.0.2.1",
        "[2001:db8::1]",
        "localhost",
        "",
        "a b.example",
        "-agent.example",
        "user@agent.example",
        "a" * 64 + ".example",
        7,
    ],
)
def test_anything_but_a_bare_host_name_is_refused(bad: object) -> None:
    with pytest.raises(InvalidInput) as refused:
        AgentPolicy.checked("allow_list", [bad])
    assert refused.value.code == "invalid_agent_host"


def test_the_mode_and_the_count_are_checked() -> None:
    for mode, hosts, code in (
        ("some", [], "invalid_agent_mode"),
        ("any", ["agent.example"], "invalid_agent_hosts"),
        ("allow_list", "agent.example", "invalid_agent_hosts"),
        ("allow_list", [f"h{i}.example" for i in range(MAX_HOSTS + 1)], "too_many_agent_hosts"),
    ):
        with pytest.raises(InvalidInput) as refused:
            AgentPolicy.checked(mode, hosts)
        assert refused.value.code == code
    both = AgentPolicy.checked("allow_list", ["b.example", "a.example", "B.example"])
    assert both.hosts == ("a.example", "b.example")


def test_each_mode_allows_what_it_says_and_only_a_list_names_an_app() -> None:
    listed = AgentPolicy(AgentMode.ALLOW_LIST, ("agent.example",))
    assert AgentPolicy().allows(("anything.example",), own=False)
    assert not AgentPolicy(AgentMode.NONE).allows(("agent.example",), own=False)
    assert AgentPolicy(AgentMode.NONE).allows((), own=True)
    assert listed.allows(("agent.example",), own=False)
    assert not listed.allows(("agent.example", "other.example"), own=False)
    assert not listed.allows((), own=False)
    assert not listed.allows(("",), own=False)  # a loopback or private-scheme redirect URI
    assert listed.lists(("agent.example",))
    assert not AgentPolicy().lists(("agent.example",))  # "any" names no app
    assert not listed.lists(())


def test_what_a_document_holds_is_read_back_and_an_absent_one_is_any() -> None:
    assert stored_policy(None, None) == AgentPolicy()
    assert stored_policy("none", []) == AgentPolicy(AgentMode.NONE)
    kept = stored_policy("allow_list", ["agent.example"])
    assert kept == AgentPolicy(AgentMode.ALLOW_LIST, ("agent.example",))


def client_of(client_id: str, *uris: str) -> OAuthClient:
    return OAuthClient.new(
        client_id=client_id,
        name="Agent",
        redirect_uris=uris,
        secret=None,
        scopes=("openid",),
        now=datetime.now(UTC),
    )


def test_an_app_is_known_by_its_metadata_documents_host_or_its_redirect_uris_hosts() -> None:
    document = client_of("https://Agent.Example/client.json", "https://elsewhere.example/cb")
    assert document.hosts() == ("agent.example",)
    registered = client_of(
        "c1", "https://a.example/cb", "https://b.example/x", "https://a.example/y"
    )
    assert registered.hosts() == ("a.example", "b.example")
    native = client_of("c2", "http://127.0.0.1/cb", "com.example.app:/cb")
    assert native.hosts() == ("",)


Auth = dict[str, str]


def test_owners_read_and_set_it_others_are_refused(fake_app: Flask, client: FlaskClient) -> None:
    register(client, "olga")
    olga = bearer(login(client, "olga"))
    made = client.post("/orgs", json={"slug": "acme", "name": "Acme"}, headers=olga)
    assert made.status_code == 201
    path = "/orgs/acme/agent-policy"
    assert client.get(path, headers=olga).get_json() == {"mode": "any", "hosts": []}
    for name, role in (("adam", "admin"), ("mia", "member")):
        register(client, name)
        services(fake_app).of(OrgServices).members.add_member(AddMember("acme", name, (role,)))
        auth = bearer(login(client, name))
        assert_problem(client.get(path, headers=auth), 403, "org_permission_denied")
        put = client.put(path, json={"mode": "none"}, headers=auth)
        assert_problem(put, 403, "org_permission_denied")
    register(client, "stranger")
    outsider = bearer(login(client, "stranger"))
    assert_problem(client.get(path, headers=outsider), 404, "org_not_found")
    body = {"mode": "allow_list", "hosts": ["Agent.Example.com", "mcp.example"]}
    put = client.put(path, json=body, headers=olga)
    assert put.status_code == 200, put.get_json()
    expected = {"mode": "allow_list", "hosts": ["agent.example.com", "mcp.example"]}
    assert put.get_json() == expected
    assert client.get(path, headers=olga).get_json() == expected
    for bad, field, code in (
        ({"mode": "allow_list", "hosts": ["https://x.example"]}, "hosts", "invalid_agent_host"),
        ({"mode": "any", "hosts": ["x.example"]}, "hosts", "invalid_agent_hosts"),
        ({"mode": "some"}, "mode", "literal_error"),
        ({"mode": "none", "extra": 1}, "extra", "unknown_field"),
    ):
        assert_field_error(client.put(path, json=bad, headers=olga), field, code)
    assert client.get(path, headers=olga).get_json() == expected  # nothing changed
    events = client.get("/orgs/acme/events?limit=10", headers=olga).get_json()["items"]
    assert [e["reason"] for e in events if e["type"] == "org.updated"] == ["agent_policy"]
