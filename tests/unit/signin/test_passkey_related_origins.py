"""Passkeys' related origins (docs/reference/passkeys.md, "Related origins"):
WEBAUTHN_RELATED_ORIGINS, the origins the units add (``PASSKEY_ORIGINS``), what
/.well-known/webauthn lists and what the ceremonies accept."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from pydantic import ValidationError

from application.signin.factors.passkeys import PASSKEY_ORIGINS, PasskeyOrigins
from bootstrap.unit import Kernel, Lent, Placed, Unit
from infrastructure.settings.identity.signin import SignInSettings
from tests.support.api import bearer, login, register
from tests.support.app import World
from tests.support.passkey_authenticator import SIGN_IN, assertion
from tests.support.passkey_authenticator import Passkey as SoftPasskey
from tests.support.passkey_pages import pages
from tests.support.settings import PRODUCTION_SETTINGS, make_settings

pytestmark = pytest.mark.unit
WELL_KNOWN = "/.well-known/webauthn"
RP = {"webauthn_rp_id": "example.com", "webauthn_origins": ["https://app.example.com"]}
RELATED = "https://login.acme.test"  # an org's own sign-in host, say: not under the RP ID
LENT = "https://id.globex.test"


class Hosts:
    """A unit's origins, as its cache holds them now."""

    def __init__(self, *origins: str) -> None:
        self.origins = list(origins)

    def __call__(self) -> Sequence[str]:
        return tuple(self.origins)


class OriginsWorld(World):
    """A ``World`` with two units of the tests' own: one whose record fills the slot, one
    that lends its source (as a unit whose source reads its adapters does)."""

    def __init__(self, **settings: object) -> None:
        self.recorded, self.lent = Hosts(RELATED), Hosts(LENT)
        super().__init__(**settings)

    def own_units(self) -> Sequence[Placed[Any]]:
        lent = self.lent

        def lends(_adapters: None, _kernel: Kernel) -> Lent:
            return Lent(fills=(PASSKEY_ORIGINS(lent),))

        return (
            Placed(
                Unit[None](name="origins_recorded", fills=(PASSKEY_ORIGINS(self.recorded),)), None
            ),
            Placed(Unit[None](name="origins_lent", lends=lends), None),
        )


def listed(world: World) -> list[str]:
    answer = world.client.get(WELL_KNOWN)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    origins: list[str] = answer.get_json()["origins"]
    return origins


# -- the setting --------------------------------------------------------------------------


def test_related_origins_are_read_as_origins() -> None:
    settings = make_settings(
        webauthn_related_origins="https://login.acme.test/, https://id.globex.test:8443"
    )
    assert settings.group(SignInSettings).webauthn_related_origins == [
        "https://login.acme.test",
        "https://id.globex.test:8443",
    ]


@pytest.mark.parametrize(
    "origin",
    [
        "login.acme.test",  # no scheme
        "ftp://login.acme.test",
        "https://",
        "https://login.acme.test/sign-in",  # a path is not part of an origin
        "https://login.acme.test?x=1",
        "https://login.acme.test#x",
        "https://user@login.acme.test",
    ],
)
def test_a_related_origin_that_is_no_origin_is_refused(origin: str) -> None:
    with pytest.raises(ValidationError, match="is not an origin") as info:
        make_settings(webauthn_related_origins=[origin])
    assert f"WEBAUTHN_RELATED_ORIGINS: {origin.rstrip('/')!r}" in str(info.value)


def test_a_related_origin_is_https_but_on_a_loopback_host_in_the_local_profile() -> None:
    with pytest.raises(ValidationError, match="must be https") as info:
        make_settings(webauthn_related_origins=["http://login.acme.test"])
    assert "WEBAUTHN_RELATED_ORIGINS: 'http://login.acme.test'" in str(info.value)
    local = make_settings(webauthn_related_origins=["http://localhost:9000", "http://127.0.0.1"])
    assert local.group(SignInSettings).webauthn_related_origins == [
        "http://localhost:9000",
        "http://127.0.0.1",
    ]
    with pytest.raises(ValidationError, match="must be https"):
        make_settings(**PRODUCTION_SETTINGS, webauthn_related_origins=["http://localhost:9000"])
    production = make_settings(**PRODUCTION_SETTINGS, webauthn_related_origins=[RELATED])
    assert production.group(SignInSettings).webauthn_related_origins == [RELATED]


# -- /.well-known/webauthn ----------------------------------------------------------------


def test_the_well_known_lists_the_public_origin_the_configured_then_the_units() -> None:
    world = OriginsWorld(
        **RP,
        webauthn_related_origins=["https://sso.example.org", RELATED, "https://app.example.com"],
    )
    answer = world.client.get(WELL_KNOWN)
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    assert answer.headers["Cache-Control"] == "public, max-age=300"
    # Each once, in the order: the public origin, WEBAUTHN_ORIGINS, WEBAUTHN_RELATED_ORIGINS,
    # the units' (the records' sources, then those lent).
    assert answer.get_json() == {
        "origins": [
            "http://127.0.0.1:8000",
            "https://app.example.com",
            "https://sso.example.org",
            RELATED,
            LENT,
        ]
    }


def test_the_units_origins_are_read_at_each_request() -> None:
    world = OriginsWorld(**RP)
    assert listed(world)[-2:] == [RELATED, LENT]
    world.recorded.origins = ["https://login.initech.test/"]  # a host activated, one lapsed
    world.lent.origins = []
    assert listed(world) == [
        "http://127.0.0.1:8000",
        "https://app.example.com",
        "https://login.initech.test",
    ]


def test_without_related_origins_the_well_known_lists_the_configured_ones() -> None:
    world = World(**RP)
    assert listed(world) == ["http://127.0.0.1:8000", "https://app.example.com"]


def test_origins_are_kept_in_order_and_once() -> None:
    sources = (lambda: ["https://b.test", "https://a.test/"], lambda: ["https://a.test"])
    origins = PasskeyOrigins(("https://a.test", "https://c.test"), sources)
    assert origins() == ["https://a.test", "https://c.test", "https://b.test"]
    # what the units add, the pages' share: the configured ones left out
    assert origins.added() == ["https://b.test"]


# -- the ceremonies -----------------------------------------------------------------------


def registered(
    world: World, origin: str, name: str = "alice"
) -> tuple[SoftPasskey, int, dict[str, Any]]:
    """A new account's passkey made on ``origin``: the key, the answer's status and body."""
    register(world.client, name)
    token = login(world.client, name)
    options = world.client.post("/auth/passkeys/registration/options", headers=bearer(token))
    assert options.status_code == 200 and options.get_json()["rp"]["id"] == "example.com"
    key = SoftPasskey()
    made = world.client.post(
        "/auth/passkeys/registration",
        headers=bearer(token),
        json=key.register(options.get_json(), origin),
    )
    return key, made.status_code, made.get_json()


@pytest.mark.parametrize("origin", ["https://sso.example.org", RELATED, LENT])
def test_a_passkey_made_on_a_related_origin_signs_in_on_every_origin(origin: str) -> None:
    world = OriginsWorld(**RP, webauthn_related_origins=["https://sso.example.org"])
    key, status, body = registered(world, origin)
    assert status == 201, body
    for where in ("https://app.example.com", origin, RELATED, LENT):
        answer = world.client.post(SIGN_IN, json=assertion(world.client, key, where))
        assert answer.status_code == 200, (where, answer.get_json())


def test_an_origin_neither_configured_nor_a_units_is_refused() -> None:
    world = OriginsWorld(**RP)
    _, status, body = registered(world, "https://login.evil.test")
    assert status == 422 and body["code"] == "invalid_passkey"
    key, status, _ = registered(world, RELATED, "bob")
    assert status == 201
    refused = world.client.post(SIGN_IN, json=assertion(world.client, key, "https://evil.test"))
    assert refused.status_code == 401 and refused.get_json()["code"] == "invalid_passkey"


def test_an_origin_a_unit_no_longer_answers_is_refused() -> None:
    world = OriginsWorld(**RP)
    key, status, _ = registered(world, "https://app.example.com")
    assert status == 201
    assert world.client.post(SIGN_IN, json=assertion(world.client, key, LENT)).status_code == 200
    world.lent.origins = []  # the org's host lapsed
    refused = world.client.post(SIGN_IN, json=assertion(world.client, key, LENT))
    assert refused.status_code == 401 and refused.get_json()["code"] == "invalid_passkey"


# -- the pages ----------------------------------------------------------------------------


def test_the_pages_offer_passkeys_on_a_related_origin() -> None:
    world = pages(
        webauthn_rp_id="localhost",
        webauthn_origins=["http://localhost:8000"],
        webauthn_related_origins=["http://127.0.0.1:9000"],
    )
    html = world.client.get("/sign-in", base_url="http://127.0.0.1:9000").get_data(as_text=True)
    assert '<p class="notice" id="passkeys-elsewhere" hidden>' in html
    # The script checks the address it is on against both.
    assert 'data-origins="http://localhost:8000 http://127.0.0.1:9000"' in html
    other = world.client.get("/sign-in", base_url="http://127.0.0.1:9001").get_data(as_text=True)
    assert '<p class="notice" id="passkeys-elsewhere">' in other
