"""The token endpoint's grants are one table (``token_grants`` in
interfaces/provider/server/assembly.py): what it registers is what the metadata lists and the
reference names, every grant a client opts into is among them, and a value a grant takes once
is spent like a DPoP proof (docs/decisions/0363-one-list-for-each-thing-a-feature-extends.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from application.provider.grants import CodesAndGrants, SpendProof
from application.provider.ports import OAuthPolicy
from domain.clients.oauth import JWT_BEARER, OPT_IN_GRANTS
from domain.provider.dpop import InvalidProof, SpentProof
from tests.fakes.accounts import FakeUserRepository
from tests.fakes.events import RecordingAuditLog
from tests.fakes.kernel import FakeClock, InMemoryStore
from tests.fakes.provider import FakeGrantHolders, FakeOAuthGrants
from tests.support.oauth import OAuthWorld

pytestmark = pytest.mark.unit
REFERENCE = Path(__file__).parents[3] / "docs" / "reference" / "oauth.md"


@pytest.fixture
def world() -> OAuthWorld:
    return OAuthWorld()


def grant_types(world: OAuthWorld) -> list[str]:
    found: list[str] = world.client.get("/.well-known/openid-configuration").get_json()[
        "grant_types_supported"
    ]
    return found


def test_each_grant_listed_is_served_and_no_other(world: OAuthWorld) -> None:
    listed = grant_types(world)
    assert listed[:3] == ["authorization_code", "refresh_token", "client_credentials"]
    assert len(set(listed)) == len(listed)
    for grant_type in listed:
        answer = world.client.post("/oauth/token", data={"grant_type": grant_type})
        assert answer.get_json()["error"] != "unsupported_grant_type", grant_type
    unknown = world.client.post("/oauth/token", data={"grant_type": "urn:example:unknown"})
    assert unknown.get_json()["error"] == "unsupported_grant_type"


def test_every_grant_a_client_opts_into_is_served(world: OAuthWorld) -> None:
    # the JWT bearer grant is the agents unit's, served with it
    # (tests/unit/agents/test_id_jag_minting.py)
    assert set(OPT_IN_GRANTS.values()) - {JWT_BEARER} <= set(grant_types(world))


def test_the_reference_names_every_grant(world: OAuthWorld) -> None:
    reference = REFERENCE.read_text()
    token = re.search(r"\n## POST /oauth/token\n(.+?)\n## ", reference, re.DOTALL)
    clients = re.search(r"\n## Clients\n(.+?)\n## ", reference, re.DOTALL)
    assert token is not None and clients is not None
    for grant_type in grant_types(world):
        assert f"- `{grant_type}`" in token.group(1), f"{grant_type} is not in POST /oauth/token"
    for name in OPT_IN_GRANTS:
        assert f"`{name}`" in clients.group(1), f"--grant {name} is not in Clients"


@dataclass(frozen=True)
class Ticket:
    """A value used once that is no DPoP proof."""

    key: str

    def spent(self, now: datetime) -> SpentProof:
        return SpentProof(self.key, now + timedelta(minutes=5))


def test_any_value_used_once_is_refused_the_second_time() -> None:
    grants, store = FakeOAuthGrants(), InMemoryStore()
    codes = CodesAndGrants(
        grants=grants,
        users=FakeUserRepository(store),
        holders=FakeGrantHolders(grants, store),
        clock=FakeClock(),
        audit=RecordingAuditLog(),
        policy=OAuthPolicy(),
    )
    codes.spend_proof(SpendProof(Ticket("a")))
    codes.spend_proof(SpendProof(Ticket("b")))
    with pytest.raises(InvalidProof):
        codes.spend_proof(SpendProof(Ticket("a")))
    assert set(grants.spent_proofs) == {"a", "b"}
