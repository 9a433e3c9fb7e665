"""The Agents section of an org's page on the fakes (docs/pages.md, "Organizations";
docs/reference/orgs.md, "Agent policy"): its owners choose any app, an allow list of hosts
or none, as the API's use case; a refused host is said beside the field; admins and members
do not see it; a forged post is 403 and changes nothing; in Spanish too."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from application.orgs.members.members import AddMember
from application.orgs.services import OrgServices
from bootstrap.orgs import OrgsAdapters
from domain.signin.active_org import AgentMode, AgentPolicy
from tests.support.admin_pages import browser, org_owner, post
from tests.support.app import World

pytestmark = pytest.mark.unit

AGENTS = "/account/orgs/acme/agents"


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def olga(world: World) -> FlaskClient:
    return org_owner(world)


def stored(world: World) -> AgentPolicy:
    org = world.adapters.of(OrgsAdapters).orgs.find("acme")
    assert org is not None
    return org.agent_policy


def test_owners_set_the_policy_on_its_section(world: World, olga: FlaskClient) -> None:
    page = olga.get(AGENTS)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'href="/account/orgs/acme/agents" aria-current="page"' in html
    assert 'value="any" checked' in html
    status, location, _ = post(
        olga, AGENTS, AGENTS, mode="allow_list", hosts="Agent.Example.com\nmcp.example, x.example"
    )
    assert (status, location) == (303, f"{AGENTS}?done=agent-policy")
    hosts = ("agent.example.com", "mcp.example", "x.example")
    assert stored(world) == AgentPolicy(AgentMode.ALLOW_LIST, hosts)
    shown = olga.get(location).get_data(as_text=True)
    assert "The agent policy is saved" in shown and 'value="allow_list" checked' in shown
    assert "agent.example.com\nmcp.example\nx.example</textarea>" in shown
    status, _, _ = post(olga, AGENTS, AGENTS, mode="none", hosts="ignored.example")
    assert status == 303 and stored(world) == AgentPolicy(AgentMode.NONE)


def test_a_refused_host_is_said_beside_the_field(world: World, olga: FlaskClient) -> None:
    status, _, html = post(olga, AGENTS, AGENTS, mode="allow_list", hosts="https://x.example")
    assert status == 422
    assert 'id="agent-hosts-error" role="alert">Not a bare host name' in html
    assert 'aria-invalid="true"' in html and "https://x.example</textarea>" in html
    assert stored(world) == AgentPolicy()


def test_only_owners_see_it(world: World, olga: FlaskClient) -> None:
    assert "/account/orgs/acme/agents" in olga.get("/account/orgs/acme").get_data(as_text=True)
    for name, role in (("adam", "admin"), ("mia", "member")):
        other = browser(world, name)
        world.services.of(OrgServices).members.add_member(AddMember("acme", name, (role,)))
        settings = other.get("/account/orgs/acme").get_data(as_text=True)
        assert "/account/orgs/acme/agents" not in settings
        assert other.get(AGENTS).status_code == 403
        status, _, _ = post(other, AGENTS, "/account/orgs/acme", mode="none")
        assert status == 403
    assert stored(world) == AgentPolicy()


def test_a_forged_post_is_refused_and_changes_nothing(world: World, olga: FlaskClient) -> None:
    for token in ("", "forged"):
        forged = olga.post(AGENTS, data={"mode": "none", "csrf_token": token})
        assert forged.status_code == 403
    assert olga.post(AGENTS, data={"mode": "none"}).status_code == 403
    assert stored(world) == AgentPolicy()


def test_the_section_speaks_spanish(world: World, olga: FlaskClient) -> None:
    page = olga.get(AGENTS, headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Apps y agentes" in page and "Solo las apps de estos hosts" in page
    assert f'<a href="{AGENTS}" aria-current="page">Agentes</a>' in page  # its link's title
