"""An org's agent policy (docs/reference/orgs.md, "Agent policy"): the hosts it takes (bare
names, lower case, IDNA A-labels, a bounded count), what each mode allows and what names an
app for an ID-JAG; an org that never set one allows any app. The policy is the org's, which
the provider enforces; its owners set it through the agents unit
(tests/unit/agents/test_agent_policy_api.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.clients.oauth import OAuthClient
from domain.errors import InvalidInput
from domain.signin.active_org import MAX_HOSTS, AgentMode, AgentPolicy, stored_policy

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
