"""What each operation costs in Firestore: the documents it reads and writes and its round
trips, counted on the emulator on both of firegate's ways to Firestore (the client library
and the REST path) by ``tests/support/firestore_cost.py`` (docs/operations.md
"What an operation costs"; docs/decisions/0360).

Each operation is done once to warm what it caches, then counted; the jobs it queues are run
inside the count (on Cloud Run they are pushed back to the service: the same calls). The
table holds the counts: an operation that grows fails, and one that shrinks fails too,
asking for the table (and docs/operations.md) to be brought down to it."""

from __future__ import annotations

import base64
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from application.jobs import JobPush, encode_job
from application.scim.search import SCAN_MAX
from domain.ids import new_id
from domain.orgs.domains import OrgDomain
from domain.scim.users import ScimUser
from infrastructure.firestore.orgs.domains import FirestoreOrgDomains
from infrastructure.firestore.request_counts import FirestoreRequestCounter
from infrastructure.firestore.scim.users import SCIM_USERS, FirestoreScimUsers, user_to_doc
from tests.fakes.kernel import FakeJobQueue
from tests.support.api import PASSWORD, bearer
from tests.support.app import app_on_emulator
from tests.support.dpop import DpopKey
from tests.support.firestore_cost import Cost, FirestoreMeter, metered_client
from tests.support.firestore_indexes import index_entries, load_config
from tests.support.oauth import EmulatorWorld, device_client, enter, poll, start
from tests.support.orgs import add_org, set_member
from tests.support.scim import USERS, directory, user_body
from tests.support.settings import make_settings

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]

# (reads, writes, round trips) of one operation, its jobs included; docs/operations.md's
# table says the same (test_the_operations_guide_shows_the_table).
EXPECTED: dict[str, tuple[int, int, int]] = {
    "sign-up": (2, 7, 5),
    "login": (8, 8, 8),
    "refresh": (2, 2, 3),
    "authenticated read": (2, 0, 1),
    "authenticated read in an org": (4, 0, 1),
    "who am I": (2, 0, 1),
    "authenticated read by a personal token": (2, 0, 1),
    "org switch": (5, 2, 4),
    "authorization request": (3, 1, 3),
    "code exchange": (2, 4, 3),
    "refresh grant": (2, 2, 3),
    "introspection": (2, 1, 2),
    "introspection of a refresh token": (2, 1, 2),
    "introspection of a client's token": (1, 1, 2),
    "introspection of an exchanged token": (3, 1, 2),
    "introspection of a DPoP-bound token": (2, 1, 2),
    "token exchange": (2, 1, 2),
    "client credentials": (0, 1, 1),
    "device poll": (1, 1, 2),
    "device token": (2, 4, 4),
    "DPoP request": (2, 3, 3),
    "org creation": (3, 4, 3),  # the creator's token_version, copied onto the membership
    # the org, its roles' definitions and the role templates, read in its transaction
    "SCIM create": (8, 8, 7),
}


# Firestore's list prices for nam5, dollars per document (docs/operations.md names the page).
READ, WRITE, DELETE = 0.06 / 100_000, 0.18 / 100_000, 0.02 / 100_000


@pytest.fixture(scope="module")
def metered(emulators: Any) -> tuple[Any, FirestoreMeter]:
    return metered_client(emulators.project)


@dataclass
class Stage:
    """The app on the counted client, its browser (``world``) and its job queue."""

    world: EmulatorWorld
    queue: FakeJobQueue
    meter: FirestoreMeter
    names: Iterator[int]
    firestore: Any  # the counted client, for documents a test writes outside the count

    @property
    def client(self) -> FlaskClient:
        return self.world.client

    def deliver(self) -> None:
        """Run the queued jobs, and those they queue, as Pub/Sub's pushes would."""
        while self.queue.jobs:
            jobs, self.queue.jobs = self.queue.jobs, []
            for job in jobs:
                data = base64.b64encode(encode_job(job)).decode()
                self.world.services.platform.jobs.receive_push(JobPush(data=data))

    def counted(self, operation: Callable[[], TestResponse], status: int = 200) -> Cost:
        """What ``operation`` and its jobs cost; its answer must have ``status``."""
        self.deliver()  # what was queued before is not its cost
        with self.meter.measuring() as cost:
            answer = operation()
            self.deliver()
        assert answer.status_code == status, answer.get_data(as_text=True)
        return cost

    def register(self) -> TestResponse:
        name = f"user{next(self.names)}"
        body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
        return self.client.post("/register", json=body)

    def account(self) -> tuple[str, dict[str, Any]]:
        """A new account of the JSON API, signed in: its name and its login's answer."""
        registered = self.register()
        assert registered.status_code == 201, registered.get_json()
        self.deliver()
        name: str = registered.get_json()["username"]
        answer = self.client.post("/login", json={"username": name, "password": PASSWORD})
        assert answer.status_code == 200, answer.get_json()
        found: dict[str, Any] = answer.get_json()
        return name, found


def staged(
    metered: tuple[Any, FirestoreMeter], ports: dict[str, object] | None = None, **changes: Any
) -> Stage:
    """The app on the metered client, its jobs kept; ``ports`` swapped in, ``changes`` to the
    settings."""
    client, meter = metered
    settings = make_settings(**changes)
    queue = FakeJobQueue()
    world = EmulatorWorld(app_on_emulator(settings, client, queue, **(ports or {})))
    return Stage(world, queue, meter, itertools.count(), client)


@pytest.fixture
def stage(metered: tuple[Any, FirestoreMeter], clean_emulators: Any) -> Stage:
    return staged(metered)


def sign_up(stage: Stage) -> Cost:
    stage.counted(stage.register, 201)
    return stage.counted(stage.register, 201)


def login(stage: Stage) -> Cost:
    name, _ = stage.account()
    body = {"username": name, "password": PASSWORD}
    return stage.counted(lambda: stage.client.post("/login", json=body))


def refresh(stage: Stage) -> Cost:
    _, pair = stage.account()
    held = stage.client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert held.status_code == 200, held.get_json()
    body = {"refresh_token": held.get_json()["refresh_token"]}
    return stage.counted(lambda: stage.client.post("/auth/refresh", json=body))


def authenticated_read(stage: Stage) -> Cost:
    _, pair = stage.account()
    headers = bearer(pair["access_token"])
    stage.counted(lambda: stage.client.get("/user", headers=headers))
    return stage.counted(lambda: stage.client.get("/user", headers=headers))


def _member(stage: Stage) -> tuple[str, dict[str, Any]]:
    """A new account signed in, and the id of a new org it is a member of."""
    name, pair = stage.account()
    user_id = stage.client.get("/auth/whoami", headers=bearer(pair["access_token"]))
    org_id = add_org(stage.firestore, f"org-{name}", {user_id.get_json()["user_id"]: ("member",)})
    return org_id, pair


def authenticated_read_in_org(stage: Stage) -> Cost:
    """As the authenticated read, its token naming an org: the org and the membership are
    read in the same round trip as the account and the session."""
    org_id, pair = _member(stage)
    switched = stage.client.post(
        "/auth/org", json={"org": org_id}, headers=bearer(pair["access_token"])
    )
    headers = bearer(switched.get_json()["access_token"])
    stage.counted(lambda: stage.client.get("/user", headers=headers))
    return stage.counted(lambda: stage.client.get("/user", headers=headers))


def who_am_i(stage: Stage) -> Cost:
    """``GET /auth/whoami``: the account and the session, in one round trip."""
    _, pair = stage.account()
    headers = bearer(pair["access_token"])
    stage.counted(lambda: stage.client.get("/auth/whoami", headers=headers))
    return stage.counted(lambda: stage.client.get("/auth/whoami", headers=headers))


def personal_read(stage: Stage) -> Cost:
    """``GET /user`` with a personal access token: the account and the token, in one round
    trip."""
    _, pair = stage.account()
    body = {"name": "script", "scopes": ["read"], "expires_in": 3600}
    made = stage.client.post("/auth/tokens", json=body, headers=bearer(pair["access_token"]))
    assert made.status_code == 201, made.get_json()
    headers = bearer(made.get_json()["token"])
    stage.counted(lambda: stage.client.get("/user", headers=headers))
    return stage.counted(lambda: stage.client.get("/user", headers=headers))


def org_switch(stage: Stage) -> Cost:
    """``POST /auth/org`` by the org's id, from a token that names none."""
    org_id, pair = _member(stage)
    headers = bearer(pair["access_token"])
    return stage.counted(
        lambda: stage.client.post("/auth/org", json={"org": org_id}, headers=headers)
    )


def authorization_request(stage: Stage) -> Cost:
    """``GET /oauth/authorize`` from a signed-in browser whose consent is remembered: the
    redirect with a new code."""
    world = stage.world
    app = world.register()
    world.tokens(app)  # consented once

    def authorize() -> TestResponse:
        return world.authorize(
            app["client_id"], code_challenge="x" * 43, code_challenge_method="S256"
        )

    stage.counted(authorize, 302)
    return stage.counted(authorize, 302)


def code_exchange(stage: Stage) -> Cost:
    world = stage.world
    app = world.register()  # public, with PKCE
    world.tokens(app)
    code, verifier = world.code(app["client_id"])
    return stage.counted(lambda: world.exchange(app, code, verifier))


def refresh_grant(stage: Stage) -> Cost:
    world = stage.world
    app = world.register()
    tokens = world.tokens(app)
    rotated = world.post_token(
        app, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    assert rotated.status_code == 200, rotated.get_json()
    form = {"grant_type": "refresh_token", "refresh_token": rotated.get_json()["refresh_token"]}
    return stage.counted(lambda: world.post_token(app, **form))


def introspection(stage: Stage) -> Cost:
    world = stage.world
    service = world.register("--confidential", name="A resource server")
    token = world.tokens(world.register())["access_token"]
    form = {
        "token": token,
        "client_id": service["client_id"],
        "client_secret": service["client_secret"],
    }
    stage.counted(lambda: world.client.post("/oauth/introspect", data=form))
    return stage.counted(lambda: world.client.post("/oauth/introspect", data=form))


def _introspected(stage: Stage, token: str, by: dict[str, Any] | None = None) -> Cost:
    """``POST /oauth/introspect`` of ``token`` by ``by`` (the confidential client it was
    issued to) or else a resource server, which must find it active."""
    world = stage.world
    service = by or world.register("--confidential", name="A resource server")
    form = {
        "token": token,
        "client_id": service["client_id"],
        "client_secret": service["client_secret"],
    }

    def introspect() -> TestResponse:
        answer = world.client.post("/oauth/introspect", data=form)
        assert answer.get_json()["active"] is True, answer.get_json()
        return answer

    stage.counted(introspect)
    return stage.counted(introspect)


def refresh_introspection(stage: Stage) -> Cost:
    world = stage.world
    app = world.register("--confidential")
    return _introspected(stage, world.tokens(app)["refresh_token"], by=app)


def client_token_introspection(stage: Stage) -> Cost:
    """A client's own access token (``client_credentials``): its client and whether it was
    revoked by itself."""
    world = stage.world
    service = world.register("--confidential", name="A service")
    answer = world.post_token(service, grant_type="client_credentials")
    assert answer.status_code == 200, answer.get_json()
    return _introspected(stage, answer.get_json()["access_token"], by=service)


API, BILLING = "https://api.example.com/", "https://billing.example.com/"


def _exchanging(stage: Stage) -> Callable[[], TestResponse]:
    """A resource server's exchange (RFC 8693) of a person's access token for its API for
    one for its billing."""
    world = stage.world
    service = world.register(
        "--confidential", "--grant", "token_exchange", "--resource", API, "--resource", BILLING,
        name="Orders API",
    )  # fmt: skip
    subject = world.tokens(service, resource=API)["access_token"]

    def exchange() -> TestResponse:
        return world.post_token(
            service,
            grant_type="urn:ietf:params:oauth:grant-type:token-exchange",
            subject_token=subject,
            subject_token_type="urn:ietf:params:oauth:token-type:access_token",
            resource=BILLING,
        )

    return exchange


def token_exchange(stage: Stage) -> Cost:
    """The subject token's signature, then its grant and account; the new token signed."""
    exchange = _exchanging(stage)
    stage.counted(exchange)
    return stage.counted(exchange)


def exchanged_introspection(stage: Stage) -> Cost:
    """An access token from a token exchange, by a resource server: its grant, its account
    and whether it was revoked by itself."""
    answer = _exchanging(stage)()
    assert answer.status_code == 200, answer.get_json()
    return _introspected(stage, answer.get_json()["access_token"])


def dpop_introspection(stage: Stage) -> Cost:
    """A DPoP-bound access token: as any access token, its key's thumbprint in its claims."""
    world = stage.world
    app = world.register("--confidential")
    code, verifier = world.code(app["client_id"])
    world.client.environ_base["HTTP_DPOP"] = DpopKey().proof()
    try:
        tokens: dict[str, Any] = world.exchange(app, code, verifier).get_json()
    finally:
        del world.client.environ_base["HTTP_DPOP"]
    assert tokens["token_type"] == "DPoP", tokens
    return _introspected(stage, tokens["access_token"], by=app)


def client_credentials(stage: Stage) -> Cost:
    world = stage.world
    service = world.register("--confidential", name="A service")
    stage.counted(lambda: world.post_token(service, grant_type="client_credentials"))
    return stage.counted(lambda: world.post_token(service, grant_type="client_credentials"))


def device_poll(stage: Stage) -> Cost:
    """A poll before the person has entered the code: ``authorization_pending``."""
    world = stage.world
    tv = device_client(world)
    first, second = start(world, tv), start(world, tv)
    stage.counted(lambda: poll(world, tv, first["device_code"]), 400)
    return stage.counted(lambda: poll(world, tv, second["device_code"]), 400)


def device_token(stage: Stage) -> Cost:
    """The poll that gets the tokens once the person allowed the device: its authorization
    spent, the grant made."""
    world = stage.world
    tv = device_client(world)
    first, second = start(world, tv), start(world, tv)
    for started in (first, second):
        allowed = enter(world, started["user_code"], decision="allow")
        assert allowed.status_code == 200, allowed.get_data(as_text=True)
    stage.counted(lambda: poll(world, tv, first["device_code"]))
    return stage.counted(lambda: poll(world, tv, second["device_code"]))


def dpop_request(stage: Stage) -> Cost:
    """A public client's refresh with a new DPoP proof: its refresh token is bound to the
    key, and the proof is spent once."""
    world = stage.world
    app = world.register()
    key = DpopKey()
    code, verifier = world.code(app["client_id"])
    world.client.environ_base["HTTP_DPOP"] = key.proof()
    try:
        tokens: dict[str, Any] = world.exchange(app, code, verifier).get_json()
    finally:
        del world.client.environ_base["HTTP_DPOP"]
    assert tokens["token_type"] == "DPoP", tokens

    def refreshed() -> TestResponse:
        form = {
            "client_id": app["client_id"],
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
        }
        answer = world.client.post("/oauth/token", data=form, headers={"DPoP": key.proof()})
        if answer.status_code == 200:
            tokens.update(answer.get_json())  # rotated: the next refresh takes the new one
        return answer

    stage.counted(refreshed)
    return stage.counted(refreshed)


def org_creation(stage: Stage) -> Cost:
    """``POST /orgs``: the org, its slug's claim, its owner and its event in one commit."""
    _, pair = stage.account()
    headers = bearer(pair["access_token"])
    slugs = (f"org-{next(stage.names)}" for _ in itertools.count())

    def create() -> TestResponse:
        return stage.client.post(
            "/orgs", json={"slug": next(slugs), "name": "Org"}, headers=headers
        )

    stage.counted(create, 201)
    return stage.counted(create, 201)


def scim_create(stage: Stage) -> Cost:
    """``POST /scim/v2/Users``, a new person on the org's verified domain: the userName's
    claim, the record, the account with its claims, the membership and their events, in one
    commit: a transaction that reads the org, and writes none of its documents."""
    acme = directory(stage.client, "scim", "sam")
    domains = FirestoreOrgDomains(stage.firestore)
    domain = OrgDomain.create(acme.org_id, "scim.example.com", "sam", datetime.now(UTC))
    domains.add(domain)
    domains.verify(domain.verified_now(datetime.now(UTC)))

    def create() -> TestResponse:
        body = user_body(f"p{next(stage.names)}@scim.example.com")
        return stage.client.post(USERS, json=body, headers=acme.auth)

    stage.counted(create, 201)
    cost = stage.counted(create, 201)
    assert cost.calls["Commit"] + cost.calls["commit"] == 1, _described(cost)  # gRPC, REST
    return cost


OPERATIONS: dict[str, Callable[[Stage], Cost]] = {
    "sign-up": sign_up,
    "login": login,
    "refresh": refresh,
    "authenticated read": authenticated_read,
    "authenticated read in an org": authenticated_read_in_org,
    "who am I": who_am_i,
    "authenticated read by a personal token": personal_read,
    "org switch": org_switch,
    "authorization request": authorization_request,
    "code exchange": code_exchange,
    "refresh grant": refresh_grant,
    "introspection": introspection,
    "introspection of a refresh token": refresh_introspection,
    "introspection of a client's token": client_token_introspection,
    "introspection of an exchanged token": exchanged_introspection,
    "introspection of a DPoP-bound token": dpop_introspection,
    "token exchange": token_exchange,
    "client credentials": client_credentials,
    "device poll": device_poll,
    "device token": device_token,
    "DPoP request": dpop_request,
    "org creation": org_creation,
    "SCIM create": scim_create,
}


def _described(cost: Cost) -> str:
    calls = ", ".join(f"{name} {n}" for name, n in sorted(cost.calls.items()))
    written = ", ".join(sorted({path.partition("/")[0] for path in cost.written}))
    return (
        f"{cost.figures}, {cost.deletes} of the writes deletes: calls {calls}; "
        f"wrote to {written or 'nothing'}"
    )


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_an_operation_costs_what_the_table_says(stage: Stage, operation: str) -> None:
    cost = OPERATIONS[operation](stage)
    expected = EXPECTED[operation]
    assert all(now <= then for now, then in zip(cost.figures, expected, strict=True)), (
        f"{operation} costs more than EXPECTED {expected} (reads, writes, round trips): "
        f"{_described(cost)}"
    )
    assert cost.figures == expected, (
        f"{operation} costs less than EXPECTED {expected}: bring EXPECTED and the table in "
        f"docs/operations.md down to {_described(cost)}"
    )


def _at_two_sizes(
    stage: Stage, seed: Callable[[range], None], listed: Callable[[], TestResponse]
) -> tuple[Cost, Cost]:
    """What ``listed`` costs once ``seed`` made 10 users of the org, then once it made 310."""
    seed(range(10))
    stage.counted(listed)  # warm
    small = stage.counted(listed)
    seed(range(10, 310))
    return small, stage.counted(listed)


def test_a_filtered_scim_list_costs_what_it_finds_whatever_the_orgs_size(stage: Stage) -> None:
    """``GET /scim/v2/Users?filter=userName eq "…"`` is one query on the records' keys
    (docs/decisions/0472-scim-filters-within-twenty-index-entries.md): billed a read per user
    it finds, the same in an org of 10 users as in one of 310. The emulator answers it by a
    scan (only test_firestore_indexes.py holds it to its indexes); Firestore bills by the
    documents returned, which is what this counts."""
    acme = directory(stage.client, "big", "bea")
    records = FirestoreScimUsers(stage.firestore)
    now = datetime.now(UTC)

    def seed(names: range) -> None:
        for n in names:
            records.claim(
                ScimUser(acme.org_id, new_id(), f"u{n}@big.example", True, True, now, now, 1)
            )

    def listed() -> TestResponse:
        return stage.client.get(USERS + '?filter=userName eq "U7@big.example"', headers=acme.auth)

    small, large = _at_two_sizes(stage, seed, listed)
    assert large.figures == small.figures == (3, 0, 2), (_described(small), _described(large))
    # one query; its "any of the keys" filter is no Select's, so it goes through the library
    assert large.calls["RunQuery"] == 1, _described(large)


def test_a_scanned_scim_filter_reads_the_orgs_users_up_to_its_bound(stage: Stage) -> None:
    """A filter the records' keys do not answer (``userName co``) goes through the org's
    users: a read each, in one query, up to SCAN_MAX of them; past them it is 400 ``tooMany``
    having read at most one more
    (docs/decisions/0472-scim-filters-within-twenty-index-entries.md)."""
    acme = directory(stage.client, "wide", "wes")
    now = datetime.now(UTC)

    def seed(names: range) -> None:
        for first in range(names.start, names.stop, 500):
            batch = stage.firestore.batch()
            for n in range(first, min(first + 500, names.stop)):
                user = ScimUser(
                    acme.org_id, f"u{n:05d}", f"w{n}@wide.example", True, True, now, now, 1
                )
                ref = stage.firestore.collection(SCIM_USERS).document(
                    f"{acme.org_id}:{user.user_id}"
                )
                batch.set(ref, user_to_doc(user))
            batch.commit()

    def listed() -> TestResponse:
        return stage.client.get(USERS + '?filter=userName co "w7@"', headers=acme.auth)

    small, large = _at_two_sizes(stage, seed, listed)
    assert large.reads - small.reads == 300 and large.round_trips == small.round_trips, (
        _described(small),
        _described(large),
    )
    assert large.calls["RunQuery"] + large.calls["runQuery"] == 1, _described(large)
    seed(range(310, SCAN_MAX + 1))
    too_many = stage.counted(listed, 400)
    assert too_many.reads <= large.reads - 310 + SCAN_MAX + 1, _described(too_many)
    answer = listed()
    assert answer.get_json(force=True)["scimType"] == "tooMany", answer.get_data(as_text=True)


def test_a_scim_create_stores_at_most_twenty_index_entries(stage: Stage) -> None:
    """The record a SCIM create stores, counted as Firestore indexes it under
    firestore.indexes.json: at most twenty entries, as docs/operations.md's table says."""
    acme = directory(stage.client, "lean", "lou")
    body = user_body("kim.lee@lean.example", externalId="00u1kim", displayName="Kim Lee")
    made = stage.client.post(USERS, json=body, headers=acme.auth)
    assert made.status_code == 201, made.get_data(as_text=True)
    ref = stage.firestore.collection(SCIM_USERS).document(f"{acme.org_id}:{made.get_json()['id']}")
    entries = index_entries(SCIM_USERS, ref.get().to_dict(), load_config())
    assert entries <= 20, entries
    guide = (ROOT / "docs" / "operations.md").read_text()
    row = next(line for line in guide.splitlines() if line.startswith("| SCIM create ("))
    assert f"the record's index entries: {entries} " in row, (entries, row)


def test_a_member_list_reads_its_accounts_in_one_round_trip_whatever_its_size(
    stage: Stage,
) -> None:
    """``GET /orgs/{org}/members`` names each member (username, names, address to admins)
    from one batch read of the page's accounts, not one read a member: its round trips are
    the same for 2 members as for 12."""
    owner, pair = stage.account()
    headers = bearer(pair["access_token"])
    owner_id = stage.client.get("/auth/whoami", headers=headers).get_json()["user_id"]
    members: dict[str, tuple[str, ...]] = {owner_id: ("owner",)}
    org_id = add_org(stage.firestore, f"org-{owner}", members)

    def joined(count: int) -> None:
        for _ in range(count):
            _name, signed_in = stage.account()
            user = stage.client.get("/auth/whoami", headers=bearer(signed_in["access_token"]))
            set_member(stage.firestore, org_id, user.get_json()["user_id"], ("member",))

    def listed() -> TestResponse:
        return stage.client.get(f"/orgs/{org_id}/members?limit=50", headers=headers)

    joined(1)
    stage.counted(listed)  # warm
    small = stage.counted(listed)
    joined(10)
    large = stage.counted(listed)
    items = listed().get_json()["items"]
    assert len(items) == 12 and all(item["email"].endswith("@example.com") for item in items)
    assert owner in {item["username"] for item in items}
    assert large.figures[2] == small.figures[2], (_described(small), _described(large))


def test_a_busy_client_writes_no_document_more_than_once_a_second(
    metered: tuple[Any, FirestoreMeter], clean_emulators: Any
) -> None:
    """A BFF's 600 token requests in a few seconds, under a limit of 1,200 a
    minute, write its counters no more than once a second of the minute each. The counters
    are Firestore's alone, with time to answer: on a busy machine the service's own deadline
    (one second) would hand some requests to the in-memory stand-in, which writes nothing."""
    client, _ = metered
    patient = FirestoreRequestCounter(client, timeout=60.0)
    stage = staged(metered, {"request_counter": patient}, rate_limit_oauth_token="1200/minute")
    service = stage.world.register("--confidential", name="A BFF")
    with stage.meter.measuring() as cost:
        for _ in range(600):
            answer = stage.world.post_token(service, grant_type="client_credentials")
            assert answer.status_code == 200, answer.get_json()
    assert cost.writes == 600
    assert len(cost.written) == 20  # its key's counters, as many as its limit's requests a second
    assert max(cost.written.values()) <= 60


def test_the_operations_guide_shows_the_table() -> None:
    """docs/operations.md's sizing table: each operation's counts as EXPECTED has them, and
    its dollars per million from them at the list prices it names."""
    guide = (ROOT / "docs" / "operations.md").read_text()
    section = guide.split("## What an operation costs", 1)[1].split("\n## ", 1)[0]
    shown: dict[str, tuple[int, int, int]] = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        name = cells[0].split(" (", 1)[0]
        if name not in EXPECTED:
            continue
        reads, writes, trips = int(cells[1]), int(cells[2].split()[0]), int(cells[3])
        found = re.search(r"\((\d+) deletes?\)", cells[2])
        deletes = int(found.group(1)) if found else 0
        shown[name] = (reads, writes, trips)
        dollars = reads * READ + (writes - deletes) * WRITE + deletes * DELETE
        assert cells[5] == f"{dollars * 1_000_000:.2f}", line
        assert f"${dollars * 1_000:.4f}" in cells[4], line
    assert shown == EXPECTED
