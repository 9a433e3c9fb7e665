"""Personal access tokens scoped to an org on the fakes: made by a member, acting in the org
(``Actor.org``) while the membership and the org stand, and deleted with the org
(docs/reference/tokens.md, docs/reference/orgs.md "Apps and tokens of an org")."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from application.orgs.orgs import OrgPurge
from application.ports import Job
from bootstrap.adapters import Adapters
from bootstrap.signin_adapters import SigninAdapters
from domain.accounts.credentials import Email, Username
from domain.accounts.signups import ALLOWED
from domain.accounts.users import User
from domain.signin.active_org import ActiveOrg
from domain.signin.mfa import TotpFactor
from domain.signin.personal_tokens import PersonalToken, Presented
from tests.fakes.kernel import InMemoryStore
from tests.fakes.org_domains import FakeOrgDomains
from tests.fakes.orgs import FakeOrgRepository
from tests.support.api import assert_problem, bearer, login, register

pytestmark = pytest.mark.unit

NOW = datetime(2026, 1, 1, tzinfo=UTC)
JOINED = NOW - timedelta(days=1)
ACME = ActiveOrg(id="org1Xq_AcmeId00", slug="acme", roles=("member",), version=3, joined_at=JOINED)
GLOBEX = replace(ACME, id="org2Yq_GlobexId", slug="globex")


def member(store: InMemoryStore, user_id: str, org: ActiveOrg = ACME) -> None:
    store.active_orgs[(org.id, user_id)] = org


def signed_in(client: FlaskClient, name: str = "alice") -> tuple[str, dict[str, str]]:
    user_id: str = register(client, name)["id"]
    return user_id, bearer(login(client, name))


def make(client: FlaskClient, auth: dict[str, str], org: object, **fields: Any) -> Any:
    body = {"name": "ci", "scopes": ["read"], "expires_in": 3600, "org": org} | fields
    return client.post("/auth/tokens", json=body, headers=auth)


def whoami(client: FlaskClient, token: str) -> Any:
    return client.get("/auth/whoami", headers=bearer(token))


# -- the domain ---------------------------------------------------------------------------


def _user() -> User:
    return User.register(
        admitted=ALLOWED,
        id="u1",
        username=Username("alice"),
        email=Email("a@example.com"),
        password_hash=None,
        now=NOW,
    )


def test_an_org_scoped_token_names_its_org_and_opens_only_as_such() -> None:
    token, text = PersonalToken.issue(
        id="t" * 22,
        user=_user(),
        name="ci",
        scopes=["read"],
        expires_in=60,
        now=NOW,
        org_id=ACME.id,
    )
    assert text.startswith(f"fgp_u1.{'t' * 22}.{ACME.id}.")
    presented = Presented.parse(text)
    assert presented is not None and presented.org_id == ACME.id == token.org_id
    assert token.opens(presented, _user(), NOW)
    # The same secret presented without the org, or naming another, opens nothing.
    assert not token.opens(replace(presented, org_id=None), _user(), NOW)
    assert not token.opens(replace(presented, org_id=GLOBEX.id), _user(), NOW)
    plain, plain_text = PersonalToken.issue(
        id="p" * 22, user=_user(), name="ci", scopes=["read"], expires_in=60, now=NOW
    )
    parsed = Presented.parse(plain_text)
    assert parsed is not None and parsed.org_id is None and plain.org_id is None
    assert not plain.opens(replace(parsed, org_id=ACME.id), _user(), NOW)
    for bad in (f"fgp_u1.{'t' * 22}.{'a' * 65}.{'s' * 43}", f"fgp_u1.{'t' * 22}..{'s' * 43}"):
        assert Presented.parse(bad) is None


def test_the_membership_admits_only_tokens_made_while_it_stood() -> None:
    assert ACME.admits(ACME.id, JOINED) and ACME.admits(ACME.id, NOW)
    assert not ACME.admits(GLOBEX.id, NOW)  # another org's
    assert not ACME.admits(ACME.id, JOINED - timedelta(microseconds=1))  # an earlier membership's
    assert not replace(ACME, joined_at=None).admits(ACME.id, NOW)  # not read: never


# -- the API on the fakes -----------------------------------------------------------------


@pytest.mark.parametrize("name", [ACME.id, ACME.slug])
def test_a_member_makes_a_token_that_acts_in_the_org(
    client: FlaskClient, store: InMemoryStore, name: str
) -> None:
    user_id, auth = signed_in(client)
    member(store, user_id)
    member(store, user_id, GLOBEX)
    made = make(client, auth, name)
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["org_id"] == ACME.id and body["token"].startswith(f"fgp_{user_id}.")
    me = whoami(client, body["token"])
    assert me.status_code == 200, me.get_json()
    expected = {"id": ACME.id, "slug": "acme", "roles": ["member"], "permissions": []}
    assert me.get_json()["org"] == expected
    listed = client.get("/auth/tokens", headers=auth).get_json()["items"]
    assert [t["org_id"] for t in listed] == [ACME.id]
    plain = make(client, auth, None).get_json()
    assert plain["org_id"] is None and whoami(client, plain["token"]).get_json()["org"] is None


def test_a_non_member_gets_the_orgs_404_and_bad_names_a_422(
    client: FlaskClient, store: InMemoryStore
) -> None:
    _, auth = signed_in(client)
    member(store, "someone-else")
    for name in ("acme", ACME.id, "nope", "acrne"):
        assert_problem(make(client, auth, name), 404, "org_not_found")
    bad: tuple[object, ...] = ("", 42, ["acme"], "a" * 101)
    for value in bad:
        assert_problem(make(client, auth, value), 422, "validation_failed")
    assert client.get("/auth/tokens", headers=auth).get_json()["items"] == []


def test_an_org_that_requires_mfa_wants_a_second_factor_first(
    client: FlaskClient, store: InMemoryStore
) -> None:
    user_id, auth = signed_in(client)
    member(store, user_id, replace(ACME, require_mfa=True))
    assert_problem(make(client, auth, "acme"), 403, "mfa_setup_required")
    now = datetime.now(UTC)
    factor = TotpFactor(user_id, "sealed", active=True, created_at=now, updated_at=now)
    store.factors[user_id] = factor
    assert make(client, auth, "acme").status_code == 201


def test_a_removed_member_s_token_is_refused_from_the_next_request(
    client: FlaskClient, store: InMemoryStore
) -> None:
    user_id, auth = signed_in(client)
    member(store, user_id)
    token = make(client, auth, "acme").get_json()["token"]
    assert whoami(client, token).status_code == 200
    del store.active_orgs[(ACME.id, user_id)]
    assert_problem(whoami(client, token), 401, "invalid_token")  # as a revoked token
    # Added again later: a new membership, which the earlier token does not open.
    member(store, user_id, replace(ACME, joined_at=datetime.now(UTC) + timedelta(seconds=1)))
    assert_problem(whoami(client, token), 401, "invalid_token")
    assert client.get("/user", headers=auth).status_code == 200  # the session is not touched


def test_changed_roles_count_at_the_next_request(client: FlaskClient, store: InMemoryStore) -> None:
    user_id, auth = signed_in(client)
    member(store, user_id)
    token = make(client, auth, "acme").get_json()["token"]
    member(store, user_id, replace(ACME, roles=("admin",), version=4))
    assert whoami(client, token).get_json()["org"]["roles"] == ["admin"]


def test_a_token_altered_to_name_another_org_is_refused(
    client: FlaskClient, store: InMemoryStore
) -> None:
    user_id, auth = signed_in(client)
    member(store, user_id)
    member(store, user_id, GLOBEX)
    token = make(client, auth, "acme").get_json()["token"]
    assert_problem(whoami(client, token.replace(ACME.id, GLOBEX.id)), 401, "invalid_token")
    prefix, _, secret = token.rpartition(".")
    unscoped = prefix.rpartition(".")[0] + "." + secret
    assert_problem(whoami(client, unscoped), 401, "invalid_token")


def test_the_orgs_purge_deletes_its_tokens_twice_over(adapters: Adapters) -> None:
    orgs, tokens = FakeOrgRepository(), adapters.of(SigninAdapters).personal_tokens  # the org: gone
    user = _user()
    scoped, _ = PersonalToken.issue(
        id="s" * 22, user=user, name="a", scopes=["read"], expires_in=60, now=NOW, org_id=ACME.id
    )
    other, _ = PersonalToken.issue(
        id="o" * 22, user=user, name="b", scopes=["read"], expires_in=60, now=NOW, org_id=GLOBEX.id
    )
    plain, _ = PersonalToken.issue(
        id="p" * 22, user=user, name="c", scopes=["read"], expires_in=60, now=NOW
    )
    for token in (scoped, other, plain):
        tokens.add(token)
    job = Job("purge_org", ACME.id)
    for _ in range(2):  # a job may run twice
        OrgPurge(orgs, parts=(FakeOrgDomains(), tokens)).job(job, False)
    assert tokens.get(scoped.id) is None
    assert tokens.get(other.id) == other and tokens.get(plain.id) == plain
