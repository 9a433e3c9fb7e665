"""The agents unit's fakes: what fetches a client's metadata document, answering what a test
sets, and the host resolver its addresses are checked with (its org policy is kept on the
org, through the orgs' repository the kernel hands it;
docs/decisions/0770-what-the-agents-unit-is.md); and what the tests of the ID-JAG's sign-in
share (tests/unit/agents/test_id_jag_sign_in.py,
with_support_access/test_support_access_id_jag.py): an app of the fakes with an agent that
mints ID-JAGs from a person's ID token and redeems them."""

from __future__ import annotations

from typing import Any

from bootstrap.agents import AgentsAdapters
from domain.agents.id_jag import ID_JAG
from domain.clients.oauth import JWT_BEARER
from domain.provider.token_exchange import GRANT_TYPE, ID_TOKEN
from domain.signin.acr import MFA
from domain.signin.active_org import ActiveOrg, AgentMode, AgentPolicy
from infrastructure.settings import Settings
from tests.fakes.events import FakePinnedClient
from tests.fakes.kernel import FakeHostResolver
from tests.support.app import World, unit_adapters
from tests.support.oauth import OAuthWorld


def adapters(_settings: Settings) -> AgentsAdapters:
    """The unit's adapters on fakes (tests/support/app.py makes every unit's)."""
    return AgentsAdapters(documents_getter=FakePinnedClient(), host_resolver=FakeHostResolver())


def documents_getter(world: World) -> FakePinnedClient:
    """What fetches the metadata documents in an app on the fakes: the answers a test sets."""
    own = unit_adapters(world.adapters, "agents")
    assert isinstance(own, AgentsAdapters) and isinstance(own.documents_getter, FakePinnedClient)
    return own.documents_getter


OWN_API = "https://mcp.firegate.example/"  # firegate is its authorization server too
STRONG_API = "https://strong.firegate.example/"  # min_acr: a second factor
ACME = ActiveOrg(
    id="org1Xq_AcmeId00",
    slug="acme",
    roles=("member",),
    version=1,
    name="Acme",
    permissions=("tools.run", "vault.read"),
    agents=AgentPolicy(AgentMode.ALLOW_LIST, ("app.example.com",)),
)


def cli(world: OAuthWorld, *args: str) -> None:
    done = world.app.test_cli_runner().invoke(args=list(args))
    assert done.exit_code == 0, done.output


def id_jag_world() -> OAuthWorld:
    """An app of the fakes with two API resources (the second asks a second factor) and
    alice a member of Acme, whose agent policy names the agent's site."""
    w = OAuthWorld()
    cli(w, "resources", "add", OWN_API, "--scope", "tools.run", "--description", "tools.run", "Run")
    cli(
        w, "resources", "add", STRONG_API, "--scope", "vault.read",
        "--description", "vault.read", "Read", "--min-acr", MFA,
    )  # fmt: skip
    w.store.active_orgs[(ACME.id, alice_id(w))] = ACME
    return w


def alice_id(world: OAuthWorld) -> str:
    return next(u.id for u in world.store.users.values() if u.shown_name == "alice")


def issuer(world: OAuthWorld) -> str:
    found: str = world.client.get("/.well-known/openid-configuration").get_json()["issuer"]
    return found


def agent(world: OAuthWorld) -> dict[str, Any]:
    """A confidential client at app.example.com (the one Acme's policy names) that mints
    ID-JAGs and redeems its own."""
    return world.register(
        "--confidential", "--grant", "token_exchange", "--grant", "jwt_bearer",
        "--resource", OWN_API, "--resource", STRONG_API,
        "--resource-scope", "tools.run", "--resource-scope", "vault.read", name="Wiki agent",
    )  # fmt: skip


def id_token(world: OAuthWorld, client: dict[str, Any]) -> str:
    tokens = world.tokens(client, scope="openid organization", organization="acme")
    found: str = tokens["id_token"]
    return found


def mint(world: OAuthWorld, client: dict[str, Any], subject: str, resource: str = OWN_API) -> Any:
    return world.post_token(
        client,
        grant_type=GRANT_TYPE,
        requested_token_type=ID_JAG,
        subject_token=subject,
        subject_token_type=ID_TOKEN,
        audience=issuer(world),
        resource=resource,
    )


def minted(world: OAuthWorld, client: dict[str, Any], subject: str) -> str:
    answer = mint(world, client, subject)
    assert answer.status_code == 200, answer.get_json()
    found: str = answer.get_json()["access_token"]
    return found


def redeem(world: OAuthWorld, client: dict[str, Any], assertion: str) -> Any:
    return world.post_token(client, grant_type=JWT_BEARER, assertion=assertion)


def refused(answer: Any) -> str:
    assert answer.status_code == 400, answer.get_json()
    assert answer.get_json()["error"] == "invalid_grant", answer.get_json()
    description: str = answer.get_json()["error_description"]
    return description
