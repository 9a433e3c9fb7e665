"""A directory's first push, counted: ``PEOPLE`` people created in one org by 8 parallel SCIM
clients, then as many changes of their roles (member to admin), grants of a custom role (as a
SCIM group or an SSO mapping gives one to a department) and deactivations, through the app on
the counted client of ``tests/support/firestore_cost.py`` (docs/operations.md, "One org's
directory"; docs/decisions/0470-no-org-document-on-the-membership-path.md).

Firestore takes about one sustained write a second per document: no document that is not a
person's own (their account, membership, SCIM record, claims, events) may be written more
than ``MOST`` times in a phase, so one org takes at least ``PEOPLE / MOST`` people a second.
The request limits are as configured: the SCIM routes and the members API have no
per-address limit, so no request counter is written (a hot one would show here).

The suite pushes 40 people: a shared document written for each person is written 40 times,
past ``MOST``. ``make bench`` pushes 1,000 through this same module
(``SCIM_PUSH_PEOPLE=1000``, bench/scim_push_cost.py; docs/benchmarks.md, "A directory's
push")."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from domain.orgs.domains import OrgDomain
from infrastructure.firestore.orgs.domains import FirestoreOrgDomains
from infrastructure.firestore.orgs.orgs import FirestoreOrgRepository
from tests.fakes.kernel import FakeJobQueue
from tests.support.app import app_on_emulator, deliver_jobs
from tests.support.firestore_cost import Cost, FirestoreMeter, metered_client
from tests.support.oauth import EmulatorWorld
from tests.support.scim import USERS, directory, patch_body, user_body
from tests.support.settings import make_settings

pytestmark = pytest.mark.e2e
PEOPLE = int(os.environ.get("SCIM_PUSH_PEOPLE") or 40)
CLIENTS = 8  # a directory's parallel connections (Okta's and Entra ID's are a few)
# Writes of one shared document in a phase of PEOPLE changes: one per 100 people, and at
# least one (a document keyed by a person's name or address, not their id, counts as shared
# here, and is written once). 40 people: 1; 1,000: 10.
MOST = max(1, PEOPLE // 100)
DOMAIN = "push.example.com"


@pytest.fixture(scope="module")
def metered(emulators: Any) -> tuple[Any, FirestoreMeter]:
    return metered_client(emulators.project)


class Push:
    """The app on the counted client, one test client per thread, its jobs run in the count."""

    def __init__(self, app: Flask, queue: FakeJobQueue, meter: FirestoreMeter) -> None:
        self.app, self.queue, self.meter = app, queue, meter
        self.world = EmulatorWorld(app)
        self._local = threading.local()

    def client(self) -> FlaskClient:
        if not hasattr(self._local, "client"):
            self._local.client = self.app.test_client()
        found: FlaskClient = self._local.client
        return found

    def phase(self, request: Callable[[FlaskClient, int], TestResponse]) -> tuple[Cost, list[Any]]:
        """``request`` for each of PEOPLE, by CLIENTS threads, with the jobs they queue: what
        it cost, and each answer's JSON."""
        with self.meter.measuring() as cost:
            with ThreadPoolExecutor(CLIENTS) as pool:
                answers = list(pool.map(lambda i: request(self.client(), i), range(PEOPLE)))
            deliver_jobs(self.queue, self.world.services)
        failed = [a.get_data(as_text=True) for a in answers if a.status_code >= 300]
        assert not failed, failed[:3]
        return cost, [a.get_json(force=True) for a in answers]


def shared(cost: Cost, people: set[str]) -> list[tuple[str, int]]:
    """The documents written in a phase that are no one person's own, the most written first."""
    return [
        (path, n)
        for path, n in cost.written.most_common()
        if not any(person in path for person in people)
    ]


def hottest(cost: Cost, people: set[str]) -> list[tuple[str, int]]:
    """The shared documents written more than MOST times."""
    return [(path, n) for path, n in shared(cost, people) if n > MOST]


def figures(phases: dict[str, Cost], people: set[str]) -> dict[str, object]:
    """Each phase's reads, writes and round trips, and the writes of its most written shared
    document."""
    return {
        "people": PEOPLE,
        "clients": CLIENTS,
        "most": MOST,
        "phases": {
            name: {
                "reads": cost.reads,
                "writes": cost.writes,
                "round_trips": cost.round_trips,
                "most_writes_of_a_shared_document": max(
                    (n for _, n in shared(cost, people)), default=0
                ),
            }
            for name, cost in phases.items()
        },
    }


def test_a_directorys_push_writes_no_shared_document_for_each_person(
    metered: tuple[Any, FirestoreMeter],
    clean_emulators: Any,
    record_property: Callable[[str, object], None],
) -> None:
    client, meter = metered
    settings = make_settings()
    queue = FakeJobQueue()
    push = Push(app_on_emulator(settings, client, queue), queue, meter)
    acme = directory(push.client(), "push", "sam")
    domains = FirestoreOrgDomains(client)
    domain = OrgDomain.create(acme.org_id, DOMAIN, "sam", datetime.now(UTC))
    domains.add(domain)
    domains.verify(domain.verified_now(datetime.now(UTC)))

    created, made = push.phase(
        lambda c, i: c.post(USERS, json=user_body(f"p{i}@{DOMAIN}"), headers=acme.auth)
    )
    people = {m["id"] for m in made}
    assert len(people) == PEOPLE
    ids = sorted(people)
    changed, _ = push.phase(
        lambda c, i: c.patch(
            f"/orgs/push/members/{ids[i]}", json={"roles": ["admin"]}, headers=acme.admin
        )
    )
    FirestoreOrgRepository(client).update(
        acme.org_id, lambda org: replace(org, custom_roles=("engineer",))
    )
    granted, _ = push.phase(
        lambda c, i: c.patch(
            f"/orgs/push/members/{ids[i]}",
            json={"roles": ["admin", "engineer"]},
            headers=acme.admin,
        )
    )
    off = patch_body({"op": "replace", "path": "active", "value": False})
    deactivated, _ = push.phase(
        lambda c, i: c.patch(f"{USERS}/{ids[i]}", json=off, headers=acme.auth)
    )
    phases = {
        "create": created,
        "role change": changed,
        "custom role grant": granted,
        "deactivation": deactivated,
    }
    for name, cost in phases.items():
        print(f"\n{name}: {cost.figures} most written {cost.written.most_common(5)}")
    # What bench/scim_push_cost.py reads back (pytest's --junitxml).
    record_property("push", json.dumps(figures(phases, people)))
    hot = {name: hottest(cost, people) for name, cost in phases.items()}
    assert not any(hot.values()), hot
