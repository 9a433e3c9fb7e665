"""Equivalence, proven on the emulators (docs/organizations.md, "Permissions in
firestore.rules"): random orgs, roles with permissions and memberships, made through
firegate's API (members by the operators' service) on the Firestore emulator; then, for
every person and permission, ``POST /access/v1/evaluation`` and a read through the Firebase
emulators (the person's custom token, minted with the org active) of a document guarded by
firegate's ``hasPermission`` and ``agentMay`` must answer alike — before and after a random
change, with new custom tokens. Each person asks alone, or through an app or agent acting
for them (docs/agents-and-clis.md, "What the database sees: act in Firebase"): a token of the
provider for firegate's Firebase resource with random scopes, from a code or from a chain of
one to three exchanges (``act``), which asks the endpoint and gets its own custom token. A
second test: a removed membership, and a permission taken off a role, are refused by the
very next rule evaluation, the old custom token still in hand. The deployment's role templates
(docs/organizations.md, "Roles every org has") are drawn too: held, and edited as the change;
a third test edits a template two orgs' members hold, and the next request of each sees it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import count
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from application.orgs.members.members import AddMember
from application.orgs.members.templates import PutTemplate
from application.orgs.services import OrgServices
from application.provider.minting import MintAccessToken, MintExchangedToken
from application.provider.services import ProviderServices
from application.services import Services
from domain.federation.acting import firebase_resource
from domain.provider.grants import Grant
from domain.signin.active_org import ActiveOrg
from infrastructure.firestore.orgs.orgs import FirestoreOrgRepository
from infrastructure.firestore.provider.oauth import OAUTH_GRANTS, grant_to_doc
from interfaces.cli.rules import library
from tests.support.api import bearer, login, register
from tests.support.firebase_client import claims_of, firebase_sign_in, load_rules

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

PERMISSIONS = ("invoices:read", "invoices:write", "reports.view", "admin_panel")
CUSTOM = ("clerk", "auditor")
TEMPLATES = ("tpl.billing", "tpl.support")  # the deployment's: every org has them
PEOPLE = ("olga", "bob", "carol", "dan")  # olga owns every org
# Each permission a document the rule reads its name from: allowed, the read finds nothing
# (404); refused, 403.
RULES = f"""rules_version = '2';
service cloud.firestore {{
  match /databases/{{database}}/documents {{
    match /probes/{{orgId}}/permissions/{{n}} {{
      allow read: if hasPermission(orgId, resource.data.permission)
        && agentMay(resource.data.permission);
    }}
{library()}  }}
}}
"""
slugs = count()


@dataclass
class Person:
    name: str
    user_id: str
    token: str  # firegate's access token, naming the active org once switched
    id_token: str = ""  # Firebase's, from the custom token
    asking: str = ""  # the token that asks the endpoint: the person's, or their agent's


@dataclass(frozen=True)
class Agent:
    """An app or agent acting for a person: its token's scopes, and how many exchanges made
    it (0: a code's token, whose ``act`` is the app; 1 to 3: an ``act`` chain that deep)."""

    scopes: frozenset[str]
    exchanges: int


@dataclass(frozen=True)
class World:
    roles: dict[str, frozenset[str]]  # a role's permissions (built-in or custom)
    members: dict[str, tuple[str, ...]]  # bob, carol, dan: their roles (absent: none)
    # ("remove", name), ("redefine", role, perms) or ("template", template, perms)
    change: tuple[str, str, frozenset[str]]
    agents: dict[str, Agent] = field(default_factory=dict)  # who asks through one (absent: alone)
    templates: dict[str, frozenset[str]] = field(default_factory=dict)  # each of TEMPLATES'

    def permissions_of(self, role: str) -> frozenset[str]:
        return self.templates.get(role, self.roles.get(role, frozenset()))


@st.composite
def worlds(draw: st.DrawFn) -> World:
    defined = draw(st.sets(st.sampled_from(("owner", "admin", "member", *CUSTOM)), max_size=4))
    roles = {role: draw(st.frozensets(st.sampled_from(PERMISSIONS))) for role in defined}
    templates = {t: draw(st.frozensets(st.sampled_from(PERMISSIONS))) for t in TEMPLATES}
    holdable = sorted({"admin", "member", *TEMPLATES} | (set(CUSTOM) & defined))
    members = {}
    for name in PEOPLE[1:]:
        held = draw(st.one_of(st.none(), st.sets(st.sampled_from(holdable), min_size=1)))
        if held is not None:
            members[name] = tuple(sorted(held))
    change = draw(
        st.one_of(
            st.tuples(st.just("remove"), st.sampled_from(PEOPLE[1:]), st.just(frozenset())),
            st.tuples(
                st.just("redefine"),
                st.sampled_from(("owner", "admin", "member", *sorted(set(CUSTOM) & defined))),
                st.frozensets(st.sampled_from(PERMISSIONS)),
            ),
            st.tuples(
                st.just("template"),
                st.sampled_from(TEMPLATES),
                st.frozensets(st.sampled_from(PERMISSIONS)),
            ),
        )
    )
    agents = {}
    for name in PEOPLE:
        scopes = draw(st.one_of(st.none(), st.frozensets(st.sampled_from(PERMISSIONS))))
        if scopes is not None:
            agents[name] = Agent(scopes, draw(st.integers(min_value=0, max_value=3)))
    return World(roles, members, change, agents, templates)


class Bench:
    """firegate in process on the emulators, the people signed in, and their Firebase app."""

    def __init__(self, app: Flask, emulators: Any, firestore: Any) -> None:
        self.client: FlaskClient = app.test_client()
        self.services: Services = app.extensions["firegate"]
        self.emulators, self.firestore = emulators, firestore
        self.built: list[str] = []  # the orgs build made, until leave deletes them
        self.people = {}
        for name in PEOPLE:
            user_id = register(self.client, name)["id"]
            self.people[name] = Person(name, user_id, login(self.client, name))
        issuer = self.client.get("/.well-known/openid-configuration").get_json()["issuer"]
        self.resource = firebase_resource(issuer)
        created = app.test_cli_runner().invoke(
            args=["clients", "create", "--name", "Agent", "--redirect-uri",
                  "https://agent.example.com/cb", "--resource", self.resource]
        )  # fmt: skip
        assert created.exit_code == 0, created.output
        self.agent_id: str = json.loads(created.output.strip().splitlines()[-1])["client_id"]
        for person in self.people.values():  # the grant each person gave the agent
            grant = Grant(
                f"grant-{person.name}", person.user_id, self.agent_id, "organization",
                datetime.now(UTC), 0, issued=True,
            )  # fmt: skip
            firestore.document(f"{OAUTH_GRANTS}/{grant.id}").set(grant_to_doc(grant))

    def define(self, org_id: str, role: str, permissions: frozenset[str]) -> None:
        """PUT /orgs/{org}/roles/{role} by the owner: its holders' permissions follow."""
        body = {"description": role, "permissions": sorted(permissions)}
        olga = self.people["olga"]
        put = self.client.put(f"/orgs/{org_id}/roles/{role}", json=body, headers=bearer(olga.token))
        assert put.status_code in (200, 201), put.get_json()

    def template(self, role: str, permissions: frozenset[str]) -> None:
        """PUT /admin/org-roles/{role}'s use case, as the operators: every org's holders'
        permissions follow."""
        cmd = PutTemplate(None, role, role, sorted(permissions))
        self.services.of(OrgServices).templates.put(cmd)

    def build(self, world: World) -> str:
        olga = self.people["olga"]
        for role, permissions in sorted(world.templates.items()):
            self.template(role, permissions)
        slug = f"org-{next(slugs)}"
        made = self.client.post(
            "/orgs", json={"slug": slug, "name": slug}, headers=bearer(olga.token)
        )
        assert made.status_code == 201, made.get_json()
        org_id: str = made.get_json()["id"]
        for role, permissions in sorted(world.roles.items()):
            self.define(org_id, role, permissions)
        for name, roles in world.members.items():
            self.services.of(OrgServices).members.add_member(AddMember(org_id, name, roles))
        for n, permission in enumerate(PERMISSIONS):
            self.firestore.document(f"probes/{org_id}/permissions/{n}").set(
                {"permission": permission}
            )
        self.built.append(org_id)
        return org_id

    def leave(self) -> None:
        """The orgs built so far deleted, as an org's deletion does (tombstoned, then purged
        with its memberships): an edit of a template then sweeps the next world's org, not
        every earlier world's as well."""
        orgs = FirestoreOrgRepository(self.firestore)
        for org_id in self.built:
            orgs.mark_deleted(org_id, datetime.now(UTC))
            orgs.purge(org_id, 100)
        self.built.clear()

    def apply(self, world: World, org_id: str) -> None:
        olga = self.people["olga"]
        kind, name, permissions = world.change
        if kind == "remove":
            user_id = self.people[name].user_id
            gone = self.client.delete(
                f"/orgs/{org_id}/members/{user_id}", headers=bearer(olga.token)
            )
            assert gone.status_code in (204, 404), gone.get_json()
        elif kind == "template":
            self.template(name, permissions)
        else:
            self.define(org_id, name, permissions)

    def agent_token(self, person: Person, org_id: str, agent: Agent) -> str:
        """The agent's token for firegate's Firebase resource: a code's naming the org
        (scope ``organization``), exchanged ``agent.exchanges`` times, each exchange's client
        on top of the ``act`` chain."""
        minting = self.services.of(ProviderServices).minting
        scope = " ".join(["organization", *sorted(agent.scopes)])
        org = ActiveOrg(org_id, "", (), 0)
        token = minting.mint_access_token(
            MintAccessToken(
                self.agent_id,
                scope,
                person.user_id,
                f"grant-{person.name}",
                self.resource,
                org=org,
            )
        ).token
        for _ in range(agent.exchanges):
            subject = claims_of(token)
            exchanged = minting.mint_exchanged_token(
                MintExchangedToken(self.agent_id, subject, self.resource, tuple(scope.split()))
            )
            assert exchanged is not None
            token = exchanged.token
        assert len(str(claims_of(token).get("act", "")).split("'sub'")) - 1 == agent.exchanges
        return token

    def sign_in(self, person: Person, org_id: str) -> None:
        """The org active if the person is its member (else none), then a custom token for
        Firebase, signed in to the Auth emulator."""
        switched = self.client.post("/auth/org", json={"org": org_id}, headers=bearer(person.token))
        if switched.status_code != 200:
            assert switched.status_code == 404, switched.get_json()
            switched = self.client.post(
                "/auth/org", json={"org": None}, headers=bearer(person.token)
            )
        person.token = switched.get_json()["access_token"]
        person.asking = person.token
        self.firebase(person, person.token, org_id)

    def as_agent(self, person: Person, org_id: str, agent: Agent) -> None:
        """The agent asks instead, with its own token and its own custom token."""
        person.asking = self.agent_token(person, org_id, agent)
        self.firebase(person, person.asking, org_id)
        found = claims_of(person.id_token)
        assert found["act"]["sub"] == self.agent_id
        assert set(found["scope"].split()) == {"organization", *agent.scopes}

    def firebase(self, person: Person, token: str, org_id: str) -> None:
        minted = self.client.post("/auth/firebase/custom-token", headers=bearer(token))
        assert minted.status_code == 200, minted.get_json()
        answer = firebase_sign_in(self.emulators, minted.get_json()["custom_token"])
        person.id_token = answer["idToken"]
        assert claims_of(person.id_token).get("org_id") in (org_id, None)

    def decision(self, person: Person, permission: str, org_id: str) -> bool:
        body = {
            "subject": {"type": "user", "id": person.user_id},
            "action": {"name": permission},
            "resource": {"type": "org", "id": org_id},
        }
        answer = self.client.post("/access/v1/evaluation", json=body, headers=bearer(person.asking))
        assert answer.status_code == 200, answer.get_json()
        found: bool = answer.get_json()["decision"]
        return found

    def rule(self, person: Person, n: int, org_id: str) -> bool:
        """getDoc(doc(db, "probes", org, "permissions", n)) as the person: let in or not."""
        answer = requests.get(
            f"{self.emulators.url('firestore')}/v1/projects/{self.emulators.project}"
            f"/databases/(default)/documents/probes/{org_id}/permissions/{n}",
            headers={"Authorization": f"Bearer {person.id_token}"},
            timeout=30,
        )
        assert answer.status_code in (200, 403), answer.text
        return answer.status_code == 200

    def answers(
        self, org_id: str, agents: dict[str, Agent] | None = None
    ) -> dict[tuple[str, str], tuple[bool, bool]]:
        """Each (person, permission): (the endpoint's decision, the rules' verdict), asked by
        the person, or by their agent where ``agents`` names one."""
        found = {}
        for person in self.people.values():
            agent = (agents or {}).get(person.name)
            if agent is None:
                self.sign_in(person, org_id)
            else:  # the agent's own tokens ask: the person's would go unused
                self.as_agent(person, org_id, agent)
            for n, permission in enumerate(PERMISSIONS):
                found[person.name, permission] = (
                    self.decision(person, permission, org_id),
                    self.rule(person, n, org_id),
                )
        return found


@pytest.fixture
def bench(real_app: Flask, clean_emulators: Any, firestore: Any) -> Bench:
    load_rules(clean_emulators, RULES)
    return Bench(real_app, clean_emulators, firestore)


def test_the_probe_documents_exist_for_the_rules_to_read(bench: Bench) -> None:
    """A permission allowed reads its probe (200): the rule reads the name from it."""
    world = World(
        {"member": frozenset({"reports.view"})}, {"bob": ("member",)}, ("", "", frozenset())
    )
    org_id = bench.build(world)
    answers = bench.answers(org_id)
    assert answers["bob", "reports.view"] == (True, True)
    assert answers["bob", "invoices:read"] == (False, False)
    assert answers["dan", "reports.view"] == (False, False)  # no member
    # bob's agent without the scope is refused what bob holds; with it, let in
    agents = {"bob": Agent(frozenset({"invoices:read"}), 3)}
    assert bench.answers(org_id, agents)["bob", "reports.view"] == (False, False)
    agents = {"bob": Agent(frozenset({"reports.view"}), 0)}
    assert bench.answers(org_id, agents)["bob", "reports.view"] == (True, True)


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(world=worlds())
def test_the_endpoint_and_the_rules_answer_alike(bench: Bench, world: World) -> None:
    bench.leave()  # each world alone: the fixture's people and app serve every example
    org_id = bench.build(world)
    before = bench.answers(org_id, world.agents)
    assert {k: v for k, v in before.items() if v[0] != v[1]} == {}
    for name in PEOPLE:  # what the world says, whoever answers
        roles = ("owner",) if name == "olga" else world.members.get(name, ())
        held = set().union(*(world.permissions_of(role) for role in roles))
        agent = world.agents.get(name)
        allowed = held & agent.scopes if agent is not None else held
        assert {p for p in PERMISSIONS if before[name, p][0]} == allowed
    bench.apply(world, org_id)
    after = bench.answers(org_id, world.agents)
    assert {k: v for k, v in after.items() if v[0] != v[1]} == {}


def test_the_very_next_rule_evaluation_sees_a_removal_and_a_permission_taken_away(
    bench: Bench,
) -> None:
    world = World(
        {"clerk": frozenset({"invoices:read"}), "member": frozenset({"reports.view"})},
        {"bob": ("clerk",), "carol": ("clerk",)},
        ("", "", frozenset()),
    )
    org_id = bench.build(world)
    bob, carol, olga = (bench.people[name] for name in ("bob", "carol", "olga"))
    for person in (bob, carol):
        bench.sign_in(person, org_id)
        assert bench.rule(person, 0, org_id) and bench.decision(person, "invoices:read", org_id)

    # The role loses the permission: the next evaluation of each holder's old token refuses.
    bench.define(org_id, "clerk", frozenset({"reports.view"}))
    assert not bench.rule(bob, 0, org_id)
    assert not bench.decision(bob, "invoices:read", org_id)
    bench.sign_in(bob, org_id)  # a new custom token: the new permissions, and only them
    assert not bench.rule(bob, 0, org_id) and bench.rule(bob, 2, org_id)

    # Removed: the next evaluation refuses, whatever the token says.
    assert bench.rule(carol, 0, org_id) is False  # the role's change reached carol too
    bench.sign_in(carol, org_id)
    assert bench.rule(carol, 2, org_id)
    gone = bench.client.delete(
        f"/orgs/{org_id}/members/{carol.user_id}", headers=bearer(olga.token)
    )
    assert gone.status_code == 204, gone.get_json()
    assert not bench.rule(carol, 2, org_id)
    assert not bench.decision(carol, "reports.view", org_id)


def test_a_template_edit_reaches_its_holders_in_every_org_at_their_next_request(
    bench: Bench,
) -> None:
    """Two orgs, bob holding the template in each: an edit of it is seen by the next access
    decision and the next rule evaluation (his custom token of before still in hand) in
    both."""
    world = World({}, {"bob": ("member",)}, ("", "", frozenset()))
    bench.template("tpl.billing", frozenset({"invoices:read"}))
    orgs = [bench.build(world), bench.build(world)]
    bob, olga = bench.people["bob"], bench.people["olga"]
    tokens = {}
    for org_id in orgs:
        given = bench.client.patch(
            f"/orgs/{org_id}/members/{bob.user_id}",
            json={"roles": ["member", "tpl.billing"]},
            headers=bearer(olga.token),
        )
        assert given.status_code == 200, given.get_json()
        bench.sign_in(bob, org_id)
        assert bench.rule(bob, 0, org_id) and bench.decision(bob, "invoices:read", org_id)
        assert not bench.rule(bob, 1, org_id)
        tokens[org_id] = (bob.token, bob.id_token)
    bench.template("tpl.billing", frozenset({"invoices:write"}))
    for org_id in orgs:
        bob.asking, bob.id_token = tokens[org_id]
        assert not bench.decision(bob, "invoices:read", org_id)
        assert bench.decision(bob, "invoices:write", org_id)
        assert not bench.rule(bob, 0, org_id)  # the old custom token: refused at once
        bench.sign_in(bob, org_id)  # the next access token carries the new permissions
        assert claims_of(bob.token)["org"]["permissions"] == ["invoices:write"]
        assert bench.rule(bob, 1, org_id) and not bench.rule(bob, 0, org_id)
