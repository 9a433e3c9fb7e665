"""Access decisions on the fakes (docs/reference/access.md): who may ask, AuthZEN 1.0's
shapes and their defaults, and a membership's permissions as they stand at each request."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from flask.testing import FlaskClient

from application.orgs.access import AccessDecisions, Evaluate
from bootstrap.adapters import Adapters
from bootstrap.orgs import OrgsAdapters
from domain.errors import PermissionDenied
from domain.federation.acting import firebase_resource
from domain.orgs.access import (
    AccessCaller,
    AccessQuestion,
    agent_caller,
    decide,
    org_client_caller,
)
from tests.fakes.org_access import FakeMemberPermissions
from tests.fakes.orgs import FakeOrgRepository
from tests.support.api import assert_problem, bearer, login, register

pytestmark = pytest.mark.unit

EVALUATION, EVALUATIONS = "/access/v1/evaluation", "/access/v1/evaluations"


# -- the domain ---------------------------------------------------------------------------


def test_a_person_asks_about_themselves_and_a_client_about_its_org() -> None:
    mine, theirs = AccessQuestion("u1", "invoices:read", "o1"), AccessQuestion("u2", "x", "o1")
    AccessCaller(user_id="u1").check(mine)
    AccessCaller(org_id="o1").check(theirs)
    for caller, question in [
        (AccessCaller(user_id="u1"), theirs),
        (AccessCaller(org_id="o2"), mine),
        (AccessCaller(), mine),
    ]:
        with pytest.raises(PermissionDenied) as refused:
            caller.check(question)
        assert refused.value.code == "evaluation_not_allowed"


def test_only_an_org_clients_own_token_is_the_clients_question() -> None:
    own = {"client_id": "c1", "sub": "c1", "org_id": "o1", "scope": ""}
    assert org_client_caller(own) == AccessCaller(org_id="o1")
    assert org_client_caller(own | {"org_id": ""}) is None
    assert org_client_caller({k: v for k, v in own.items() if k != "org_id"}) is None
    # a person's token through the app (a grant, or another subject) is the person's
    assert org_client_caller(own | {"sub": "u1"}) is None
    assert org_client_caller(own | {"grant_id": "g1"}) is None


def test_a_permission_is_decided_by_the_membership_alone() -> None:
    question = AccessQuestion("u1", "invoices:read", "o1")
    assert decide(frozenset({"invoices:read", "x"}), question)
    assert not decide(frozenset({"invoices:write"}), question)
    assert not decide(None, question)  # no live membership


def test_an_agent_is_bounded_by_its_tokens_scopes_too() -> None:
    question = AccessQuestion("u1", "invoices:read", "o1")
    held = frozenset({"invoices:read", "x"})
    within = AccessCaller(user_id="u1", agent_scopes=("invoices:read",))
    assert decide(held, question, within)
    assert not decide(held, question, AccessCaller(user_id="u1", agent_scopes=("x",)))
    assert not decide(held, question, AccessCaller(user_id="u1", agent_scopes=()))
    assert not decide(frozenset({"x"}), question, within)  # the person's roles first
    assert decide(held, question, AccessCaller(user_id="u1"))  # the person alone


def test_an_agents_token_for_firebase_asks_as_the_person_within_its_scopes() -> None:
    resource = firebase_resource("https://auth.example.com")
    token = {"sub": "u1", "aud": resource, "client_id": "a", "grant_id": "g", "scope": "x y"}
    assert agent_caller(token, resource) == AccessCaller(user_id="u1", agent_scopes=("x", "y"))
    assert agent_caller(token | {"aud": "https://api.example.com/"}, resource) is None
    assert agent_caller({k: v for k, v in token.items() if k != "grant_id"}, resource) is None


# -- the use case -------------------------------------------------------------------------


class NoOrgs:
    def find(self, id_or_slug: str) -> None:
        return None


class Held:
    def __init__(self, held: dict[tuple[str, str], frozenset[str]]) -> None:
        self.held_by, self.asked = held, list[list[tuple[str, str]]]()

    def held(self, pairs: Any) -> dict[tuple[str, str], frozenset[str]]:
        self.asked.append(list(pairs))
        return {pair: self.held_by[pair] for pair in pairs if pair in self.held_by}


def test_a_batch_reads_once_and_stops_where_it_is_told() -> None:
    held = Held({("o1", "u1"): frozenset({"a", "c"})})
    decisions = AccessDecisions(permissions=held, orgs=NoOrgs())
    caller = AccessCaller(user_id="u1")
    questions = tuple(AccessQuestion("u1", name, "o1") for name in ("a", "b", "c"))
    assert decisions.evaluate(Evaluate(caller, questions)) == (True, False, True)
    assert held.asked == [[("o1", "u1")]]  # one read of each membership, once
    assert decisions.evaluate(Evaluate(caller, questions, stop_after=False)) == (True, False)
    assert decisions.evaluate(Evaluate(caller, questions, stop_after=True)) == (True,)


def test_one_question_not_allowed_refuses_the_batch_before_any_read() -> None:
    held = Held({})
    questions = (AccessQuestion("u1", "a", "o1"), AccessQuestion("u2", "a", "o1"))
    with pytest.raises(PermissionDenied):
        AccessDecisions(permissions=held, orgs=NoOrgs()).evaluate(
            Evaluate(AccessCaller(user_id="u1"), questions)
        )
    assert held.asked == []


# -- the API ------------------------------------------------------------------------------


def access(adapters: Adapters) -> FakeMemberPermissions:
    found = adapters.of(OrgsAdapters).permissions
    assert isinstance(found, FakeMemberPermissions)
    return found


def fake_orgs(adapters: Adapters) -> FakeOrgRepository:
    orgs = adapters.of(OrgsAdapters).orgs
    assert isinstance(orgs, FakeOrgRepository)
    return orgs


def permit(adapters: Adapters, org_id: str, user_id: str, *permissions: str) -> None:
    """The membership's resolved permissions, as the org repository leaves them."""
    members = fake_orgs(adapters).members[org_id]
    members[user_id] = replace(members[user_id], permissions=tuple(sorted(permissions)))


def org_with(client: FlaskClient, adapters: Adapters) -> tuple[str, str, dict[str, str]]:
    """An org of alice's, with bob as a member: (org id, bob's id, alice's auth)."""
    alice = register(client, "alice")["id"]
    auth = bearer(login(client, "alice"))
    made = client.post("/orgs", json={"slug": "acme", "name": "Acme"}, headers=auth)
    assert made.status_code == 201, made.get_json()
    org_id: str = made.get_json()["id"]
    bob: str = register(client, "bob")["id"]
    orgs = fake_orgs(adapters)
    owner = orgs.members[org_id][alice]
    orgs.members[org_id][bob] = replace(owner, user_id=bob, granted=("member",))
    return org_id, bob, auth


def question(user: str, action: str, org: str) -> dict[str, Any]:
    return {
        "subject": {"type": "user", "id": user},
        "action": {"name": action},
        "resource": {"type": "org", "id": org},
    }


def test_a_person_asks_about_their_own_permissions(client: FlaskClient, adapters: Adapters) -> None:
    org_id, bob, _ = org_with(client, adapters)
    auth = bearer(login(client, "bob"))
    asked = question(bob, "invoices:read", org_id)
    assert client.post(EVALUATION, json=asked, headers=auth).get_json() == {"decision": False}
    permit(adapters, org_id, bob, "invoices:read")
    answer = client.post(EVALUATION, json=asked, headers=auth)  # the next request sees it
    assert answer.status_code == 200 and answer.get_json() == {"decision": True}
    # AuthZEN's properties and context are taken, and change nothing
    with_extras = question(bob, "invoices:read", org_id) | {"context": {"ip": "203.0.113.9"}}
    with_extras["subject"]["properties"] = {"department": "sales"}
    assert client.post(EVALUATION, json=with_extras, headers=auth).get_json()["decision"]
    # another org, or no membership: false
    assert not client.post(
        EVALUATION, json=question(bob, "invoices:read", "o_nowhere"), headers=auth
    ).get_json()["decision"]
    fake_orgs(adapters).members[org_id].pop(bob)
    assert client.post(EVALUATION, json=asked, headers=auth).get_json() == {"decision": False}


def test_a_person_may_not_ask_about_someone_else(client: FlaskClient, adapters: Adapters) -> None:
    org_id, bob, alice_auth = org_with(client, adapters)
    refused = client.post(EVALUATION, json=question(bob, "x", org_id), headers=alice_auth)
    assert_problem(refused, 403, "evaluation_not_allowed")
    batch = {"evaluations": [question(bob, "x", org_id)]}
    assert_problem(
        client.post(EVALUATIONS, json=batch, headers=alice_auth), 403, "evaluation_not_allowed"
    )
    assert_problem(client.post(EVALUATION, json=question(bob, "x", org_id)), 401, "missing_token")
    garbage = bearer("not.a.token")
    assert_problem(
        client.post(EVALUATION, json=question(bob, "x", org_id), headers=garbage),
        401,
        "invalid_token",
    )


def test_the_batch_takes_the_requests_defaults(client: FlaskClient, adapters: Adapters) -> None:
    org_id, bob, _ = org_with(client, adapters)
    permit(adapters, org_id, bob, "a", "c")
    auth = bearer(login(client, "bob"))
    defaults = {"subject": {"type": "user", "id": bob}, "resource": {"type": "org", "id": org_id}}
    items = [{"action": {"name": name}} for name in ("a", "b", "c")]
    reads = access(adapters).reads
    answer = client.post(EVALUATIONS, json=defaults | {"evaluations": items}, headers=auth)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json() == {"evaluations": [{"decision": d} for d in (True, False, True)]}
    assert access(adapters).reads == reads + 1
    first_deny = defaults | {
        "evaluations": items,
        "options": {"evaluations_semantic": "deny_on_first_deny"},
    }
    answer = client.post(EVALUATIONS, json=first_deny, headers=auth)
    assert answer.get_json() == {"evaluations": [{"decision": True}, {"decision": False}]}
    # an item's own part replaces the default whole
    own = defaults | {"evaluations": [question(bob, "a", "o_elsewhere")]}
    answer = client.post(EVALUATIONS, json=own, headers=auth)
    assert answer.get_json() == {"evaluations": [{"decision": False}]}


def test_an_org_is_named_by_its_slug_as_by_its_id(client: FlaskClient, adapters: Adapters) -> None:
    """Both doors (one question, a batch) reach the one use case, which reads the slug."""
    org_id, bob, _ = org_with(client, adapters)
    permit(adapters, org_id, bob, "invoices:read")
    auth = bearer(login(client, "bob"))
    for org in (org_id, "acme"):
        asked = client.post(EVALUATION, json=question(bob, "invoices:read", org), headers=auth)
        assert asked.get_json() == {"decision": True}, org
    batch = {
        "subject": {"type": "user", "id": bob},
        "resource": {"type": "org", "id": "acme"},
        "evaluations": [
            {"action": {"name": "invoices:read"}},
            {"action": {"name": "invoices:write"}},
            question(bob, "invoices:read", org_id),
            question(bob, "invoices:read", "acme-not"),  # no such org: no membership
        ],
    }
    answer = client.post(EVALUATIONS, json=batch, headers=auth)
    assert answer.status_code == 200, answer.get_json()
    assert [d["decision"] for d in answer.get_json()["evaluations"]] == [True, False, True, False]
    # a look-alike of the slug names no org
    alike = client.post(EVALUATION, json=question(bob, "invoices:read", "acrne"), headers=auth)
    assert alike.get_json() == {"decision": False}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"evaluations": [{"action": {"name": "a"}}]}, "evaluations.0.subject"),
        ({"evaluations": []}, "evaluations"),
        ({"evaluations": [{}] * 101}, "evaluations"),
        (
            {**question("u1", "a", "o1"), "evaluations": [{"subject": None}]},
            "evaluations.0.subject",
        ),
        ({**question("u1", "a", "o1"), "evaluations": [{}], "options": {"x": 1}}, "options.x"),
    ],
)
def test_a_batch_that_asks_nothing_whole_is_a_422(
    client: FlaskClient, adapters: Adapters, body: dict[str, Any], field: str
) -> None:
    register(client, "alice")
    problem = assert_problem(
        client.post(EVALUATIONS, json=body, headers=bearer(login(client, "alice"))),
        422,
        "validation_failed",
    )
    assert field in [error["field"] for error in problem["errors"]]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"subject": {"type": "group", "id": "u1"}}, "subject.type"),
        ({"resource": {"type": "document", "id": "o1"}}, "resource.type"),
        ({"action": {"name": ""}}, "action.name"),
        ({"action": {"name": "a" * 101}}, "action.name"),
        ({"resource": {"type": "org", "id": "o" * 65}}, "resource.id"),
        ({"role": "owner"}, "role"),
    ],
)
def test_a_question_outside_the_shape_is_a_422(
    client: FlaskClient, change: dict[str, Any], field: str
) -> None:
    user_id = register(client, "alice")["id"]
    body = question(user_id, "a", "o1") | change
    problem = assert_problem(
        client.post(EVALUATION, json=body, headers=bearer(login(client, "alice"))),
        422,
        "validation_failed",
    )
    assert field in [error["field"] for error in problem["errors"]]


def test_a_batch_items_part_missing_here_and_at_the_top_has_its_own_code(
    client: FlaskClient,
) -> None:
    """The document cannot say that a part is needed in the item or at the top level, so the
    refusal names a code of its own (docs/reference/errors.md)."""
    register(client, "alice")
    problem = assert_problem(
        client.post(
            EVALUATIONS, json={"evaluations": [{}]}, headers=bearer(login(client, "alice"))
        ),
        422,
        "validation_failed",
    )
    assert {(e["field"], e["code"]) for e in problem["errors"]} == {
        (f"evaluations.0.{part}", "missing_here_and_at_top")
        for part in ("subject", "action", "resource")
    }
