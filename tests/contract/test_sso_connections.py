"""The connections' port against the fake and Firestore (the emulator): round trips, the
org's limit under 30 parallel adds, changes guarded by version, deletion and purge
(docs/reference/sso.md, "Connections")."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from threading import Barrier
from typing import Any

import pytest

from application.ports import Audit, AuditEvent
from application.sso.ports import Connections
from domain.errors import Conflict, NotFound
from domain.sso.connections import (
    CONNECTIONS_MAX,
    AttributeMapping,
    Connection,
    ConnectionDraft,
    ConnectionStatus,
    IdpCertificate,
    OidcIdp,
    SamlIdp,
    SetupLink,
)
from tests.fakes.events import RecordingAuditLog
from tests.fakes.kernel import InMemoryStore
from tests.fakes.sso import FakeConnections

pytestmark = pytest.mark.contract
NOW = datetime(2026, 11, 26, 12, 0, 0, 123000, tzinfo=UTC)
PARALLEL = 30


@pytest.fixture(params=["fake", "firestore"])
def connections(request: pytest.FixtureRequest) -> Connections:
    if request.param == "fake":
        return FakeConnections(InMemoryStore())
    from infrastructure.firestore.sso.connections import FirestoreConnections

    client: Any = request.getfixturevalue("firestore")
    return FirestoreConnections(client)


def made(org_id: str = "o1", kind: str = "saml", name: str = "Okta") -> Connection:
    return Connection.create(org_id, kind, name, "u1", NOW)


def test_a_configured_connection_round_trips(connections: Connections) -> None:
    saml = replace(
        made(),
        saml=SamlIdp(
            "https://idp/m",
            "https://idp/sso",
            (IdpCertificate("MIIB", NOW + timedelta(days=9)),),
            True,
            "https://idp/app/metadata",
        ),
        mapping=AttributeMapping("mail", "gn", "sn", "groups", {"IT / Ops.": ("admin", "member")}),
    )
    oidc = replace(
        made(kind="oidc"),
        oidc=OidcIdp("https://issuer", "client", "sealed"),
        expiry_warned=("ab" * 32,),
    ).with_setup_link(SetupLink.new("f" * 64, "u2", NOW))
    # An active connection's next IdP and mapping, beside the live ones (decision 0461).
    drafted = replace(
        saml,
        draft=ConnectionDraft(
            SamlIdp("https://idp/m2", "https://idp/sso2", (IdpCertificate("MIIC", NOW),)),
            OidcIdp(),
            AttributeMapping(email="email", roles={"Staff": ("member",)}),
            "u2",
            NOW,
        ),
    )
    connections.add(saml)
    connections.add(oidc)
    assert connections.get(saml.id) == saml
    connections.replace(replace(drafted, version=saml.version + 1))
    assert connections.get(saml.id) == replace(drafted, version=saml.version + 1)
    assert connections.get(oidc.id) == oidc
    assert connections.get("absent00000000000000") is None
    assert [c.id for c in connections.list_for("o1")] == sorted(
        [saml.id, oidc.id], key=lambda i: (NOW, i)
    )
    assert connections.list_for("o2") == []


def test_thirty_admins_adding_at_once_stop_at_the_limit(connections: Connections) -> None:
    barrier = Barrier(PARALLEL)

    def add(n: int) -> str:
        barrier.wait()
        try:
            connections.add(made(name=f"c{n}"))
            return "added"
        except Conflict as exc:
            return exc.code

    with ThreadPoolExecutor(PARALLEL) as pool:
        outcomes = list(pool.map(add, range(PARALLEL)))
    assert outcomes.count("added") == CONNECTIONS_MAX
    assert outcomes.count("too_many_connections") == PARALLEL - CONNECTIONS_MAX
    assert len(connections.list_for("o1")) == CONNECTIONS_MAX
    # Another org is not limited by this one's.
    connections.add(made("o2"))


def test_a_change_is_stored_over_the_version_it_was_made_from(connections: Connections) -> None:
    first = made()
    connections.add(first)
    staged = RecordingAuditLog().stage([AuditEvent(Audit.ORG_SSO_CONNECTION_ACTIVATED)])
    renamed = first.changed(NOW, name="Okta EU")
    assert connections.replace(renamed, staged) == renamed
    assert connections.get(first.id) == renamed
    with pytest.raises(Conflict) as stale:
        connections.replace(first.changed(NOW, name="from an old read"))
    assert stale.value.code == "connection_changed"
    barrier = Barrier(PARALLEL)

    def change(n: int) -> str:
        barrier.wait()
        try:
            connections.replace(renamed.changed(NOW, name=f"n{n}"))
            return "changed"
        except Conflict as exc:
            return exc.code

    with ThreadPoolExecutor(PARALLEL) as pool:
        outcomes = list(pool.map(change, range(PARALLEL)))
    assert outcomes.count("changed") == 1
    assert outcomes.count("connection_changed") == PARALLEL - 1
    with pytest.raises(NotFound):
        connections.replace(made().changed(NOW, name="never stored"))


def test_delete_frees_a_place_and_purge_ends_them_all(connections: Connections) -> None:
    kept = [made(name=f"c{n}") for n in range(CONNECTIONS_MAX)]
    for connection in kept:
        connections.add(connection)
    assert connections.delete("o2", kept[0].id) is None  # not that org's
    active = replace(kept[0], status=ConnectionStatus.ACTIVE)
    assert connections.delete("o1", kept[0].id) == replace(active, status=kept[0].status)
    assert connections.delete("o1", kept[0].id) is None
    connections.add(made(name="again"))
    connections.add(made("o2"))
    connections.delete_owned_by_org("o1", 2)
    connections.delete_owned_by_org("o1", 2)  # a purge run twice
    assert connections.list_for("o1") == []
    assert connections.get(kept[1].id) is None
    assert len(connections.list_for("o2")) == 1
    for n in range(CONNECTIONS_MAX):
        connections.add(made(name=f"after {n}"))


def test_any_active_finds_an_active_connection_of_any_org(connections: Connections) -> None:
    assert connections.any_active() is False
    draft = made("o2")
    connections.add(draft)
    assert connections.any_active() is False  # a draft signs nobody in
    connections.replace(replace(draft, status=ConnectionStatus.ACTIVE, version=draft.version + 1))
    assert connections.any_active() is True
    connections.delete("o2", draft.id)
    assert connections.any_active() is False


def test_active_connections_are_read_a_page_at_a_time(connections: Connections) -> None:
    stored = []
    for n in range(5):
        connection = made(org_id=f"page{n}", name=f"c{n}")
        if n != 2:
            connection = replace(connection, status=ConnectionStatus.ACTIVE)
        connections.add(connection)
        stored.append(connection)
    active = sorted(c.id for c in stored if c.active)
    first = connections.active_page(None, 3)
    assert [c.id for c in first] == active[:3]
    rest = connections.active_page(first[-1].id, 3)
    assert [c.id for c in rest] == active[3:]
    assert connections.get(stored[0].id) in first + rest


def test_who_set_the_mapping_is_kept_with_it(connections: Connections) -> None:
    """docs/decisions/0511-a-connection-maps-with-its-mappers-rights.md"""
    mapped = replace(made(), mapping=AttributeMapping(roles={"IT": ("admin",)}), mapped_by="u3")
    assert made().mapped_by == "u1"  # a new connection's (empty) mapping is its creator's
    drafted = replace(
        mapped,
        version=2,
        draft=ConnectionDraft(SamlIdp(), OidcIdp(), AttributeMapping(), "u2", NOW, mapped_by="u4"),
    )
    connections.add(mapped)
    assert connections.get(mapped.id) == mapped
    connections.replace(drafted)
    stored = connections.get(mapped.id)
    assert stored == drafted
    assert stored is not None and stored.drafted().mapped_by == "u4"
    nobody = replace(drafted, version=3, mapped_by=None, draft=None)
    connections.replace(nobody)
    assert connections.get(mapped.id) == nobody


def test_a_connection_stored_before_reads_its_creator_as_its_mappings_setter(
    firestore: Any,
) -> None:
    from infrastructure.firestore.sso.connections import (
        CONNECTIONS,
        FirestoreConnections,
        connection_to_doc,
    )

    connection = replace(made(), mapped_by="u3")
    doc = connection_to_doc(
        replace(
            connection,
            draft=ConnectionDraft(SamlIdp(), OidcIdp(), AttributeMapping(), "u2", NOW, "u9"),
        )
    )
    del doc["mapped_by"], doc["draft"]["mapped_by"]
    firestore.collection(CONNECTIONS).document(connection.id).set(doc)
    found = FirestoreConnections(firestore).get(connection.id)
    assert found is not None and found.mapped_by == "u1"  # its creator
    assert found.draft is not None and found.draft.mapped_by == "u2"  # the link's owner


def test_openid_connections_are_found_by_their_issuer(connections: Connections) -> None:
    corp = replace(
        made("o7", "oidc", "Corp"), oidc=OidcIdp("https://idp.corp.example/", "cid", "sealed")
    )
    other = replace(made("o8", "oidc", "Other"), oidc=OidcIdp("https://idp.other.example"))
    saml = made("o9")
    for connection in (corp, other, saml):
        connections.add(connection)
    for issuer in ("https://idp.corp.example", "https://idp.corp.example/"):
        assert [c.id for c in connections.oidc_by_issuer(issuer)] == [corp.id]
    assert connections.oidc_by_issuer("https://idp.unknown.example") == []
    assert connections.oidc_by_issuer("") == []
