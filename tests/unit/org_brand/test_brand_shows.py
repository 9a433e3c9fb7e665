"""Where an org's brand shows, on the fakes (docs/org-brand.md, "Where it shows"): the pages of
a flow that names the org (``/sign-in?org=``, an authorization request's ``organization`` in
/sign-in's ``next``, the invitation page), never the others; the mails about the org; the
org page's Brand section (EN and ES); the brand read through the per-worker cache; the brand
gone with its org."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import BytesIO
from urllib.parse import quote

import pytest
from flask import g

from application.hooks.admin import SetAuthHook
from application.hooks.services import HookServices
from application.org_brand.brands import BrandCache, OrgBrands
from application.orgs.members.members import AddMember
from application.orgs.services import OrgServices
from application.ports import MailBrand
from application.sso.services import SsoServices
from bootstrap.orgs import OrgsAdapters
from domain.errors import Unavailable
from interfaces.shared.org_brand.request_org import HOST_ORG
from interfaces.web.org_brand.pages import page_brand
from tests.support.admin_pages import browser, org_owner
from tests.support.api import bearer, login
from tests.support.app import World, unit_adapters
from tests.support.mail_brands import hook_payloads, proven
from tests.support.pages import csrf
from tests.support.saml import certificate, idp_metadata
from tests.support.webhooks import ADMIN
from tests.unit.org_brand.fakes import PNG, PNG_BYTES, InMemoryBrands

pytestmark = pytest.mark.unit

BRAND = {"display_name": "Acme Rockets", "logo_url": PNG, "color": "#7B1FA2"}
SECTION = "/account/orgs/acme/brand"


@pytest.fixture
def world() -> World:
    return World()


def branded(world: World) -> tuple[str, dict[str, str]]:
    """Org "acme" of olga's, branded: its id and olga's bearer header."""
    org_owner(world)
    olga = bearer(login(world.client, "olga"))
    put = world.client.put("/orgs/acme/brand", json=BRAND, headers=olga)
    assert put.status_code == 200, put.get_json()
    return put.get_json()["org_id"], olga


def store(world: World) -> InMemoryBrands:
    found = unit_adapters(world.adapters, "org_brand").brands
    assert isinstance(found, InMemoryBrands)
    return found


def test_sign_in_with_org_wears_the_orgs_brand_and_others_the_operators(world: World) -> None:
    org_id, _ = branded(world)
    page = world.app.test_client().get("/sign-in?org=acme").get_data(as_text=True)
    assert "Acme Rockets" in page and f'src="/orgs/{org_id}/brand/logo?v=' in page
    assert "--accent: #7b1fa2" in page
    for plain in ("/sign-in", "/sign-in?org=nobody", "/sign-in?org=" + "x" * 300):
        html = world.app.test_client().get(plain).get_data(as_text=True)
        assert "Acme Rockets" not in html and "#7b1fa2" not in html


def test_an_authorization_request_naming_the_org_brands_its_sign_in(world: World) -> None:
    branded(world)
    nxt = "/oauth/authorize?client_id=app&response_type=code&organization=acme"
    page = world.app.test_client().get("/sign-in?next=" + quote(nxt, safe=""))
    assert "Acme Rockets" in page.get_data(as_text=True)
    elsewhere = "/sign-in?next=" + quote("https://evil.example/oauth/authorize?organization=acme")
    assert "Acme Rockets" not in world.app.test_client().get(elsewhere).get_data(as_text=True)


def test_the_invitation_page_wears_the_orgs_brand(world: World) -> None:
    _, olga = branded(world)
    body = {"email": "ivy@example.com", "roles": ["member"]}
    assert world.client.post("/orgs/acme/invitations", json=body, headers=olga).status_code == 201
    world.deliver()
    [mail] = [m for m in world.mailer.to("ivy@example.com") if "/orgs/join?token=" in m.text]
    token = mail.text.split("/orgs/join?token=")[1].split()[0]
    page = world.app.test_client().get("/orgs/join?token=" + token).get_data(as_text=True)
    assert "Acme Rockets" in page and "--accent: #7b1fa2" in page


def test_the_mails_about_the_org_go_out_under_its_brand(world: World) -> None:
    org_id, olga = branded(world)
    body = {"email": "ivy@example.com", "roles": ["member"]}
    world.client.post("/orgs/acme/invitations", json=body, headers=olga)
    world.deliver()
    [mail] = [m for m in world.mailer.to("ivy@example.com") if "/orgs/join?token=" in m.text]
    [logo] = [part for part in mail.html.split('"') if "/brand/logo?v=" in part]
    assert logo.startswith(f"{world.settings.service.public_url}/orgs/{org_id}/brand/logo?v=")
    assert mail.brand == MailBrand("Acme Rockets", logo_url=logo, sender=None, color="#7b1fa2")
    assert mail.from_name == "Acme Rockets via firegate"


def test_pages_read_the_brand_through_the_cache(world: World) -> None:
    branded(world)
    brands = store(world)
    reads = brands.reads
    for _ in range(5):
        world.app.test_client().get("/sign-in?org=acme")
    assert brands.reads == reads + 1  # one read, then the kept brand


def test_the_cache_keeps_a_brand_a_minute_and_a_bounded_number() -> None:
    now = [0.0]
    brands = InMemoryBrands()
    cache = BrandCache(clock=lambda: now[0], seconds=60, size=2)
    assert cache.get("a", lambda: brands.get("a")) is None
    assert cache.get("a", lambda: brands.get("a")) is None and brands.reads == 1
    now[0] = 61.0
    cache.get("a", lambda: brands.get("a"))
    assert brands.reads == 2
    cache.get("b", lambda: brands.get("b"))
    cache.get("c", lambda: brands.get("c"))  # "a" makes way
    cache.get("a", lambda: brands.get("a"))
    assert brands.reads == 5
    cache.forget()
    cache.get("c", lambda: brands.get("c"))
    assert brands.reads == 6


def test_a_deleted_orgs_brand_and_name_go_with_it(world: World) -> None:
    _, olga = branded(world)
    assert world.client.delete("/orgs/acme", headers=olga).status_code == 204
    world.deliver()
    assert store(world).brands == {} and store(world).claims == {}


def test_owners_set_it_on_the_org_page_members_see_it(world: World) -> None:
    olga = org_owner(world)
    page = olga.get(SECTION).get_data(as_text=True)
    assert 'href="/account/orgs/acme/brand" aria-current="page"' in page
    assert "No brand yet" in page
    form = {
        "display_name": "Acme Rockets",
        "color": "#7B1FA2",
        "dark_color": "",
        "csrf_token": csrf(olga, SECTION),
        "logo": (BytesIO(PNG_BYTES), "logo.png", "image/png"),
    }
    answer = olga.post(SECTION, data=form, content_type="multipart/form-data")
    assert (answer.status_code, answer.headers["Location"]) == (303, f"{SECTION}?done=brand")
    shown = olga.get(answer.headers["Location"]).get_data(as_text=True)
    assert "The brand is saved" in shown and "Acme Rockets" in shown and "#7b1fa2" in shown
    [stored] = store(world).brands.values()
    assert stored.logo.data == PNG_BYTES
    # No file chosen keeps the logo; a colour too light is said beside its field.
    form = {"display_name": "Acme", "color": "#ffeb3b", "csrf_token": csrf(olga, SECTION)}
    refused = olga.post(SECTION, data=form, content_type="multipart/form-data")
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'id="brand-color-error"' in html and "contrast" in html
    form = {"display_name": "Acme", "color": "#005a9c", "csrf_token": csrf(olga, SECTION)}
    assert olga.post(SECTION, data=form, content_type="multipart/form-data").status_code == 303
    [stored] = store(world).brands.values()
    assert (stored.display_name, stored.logo.data) == ("Acme", PNG_BYTES)
    deleted = olga.post(SECTION + "/delete", data={"csrf_token": csrf(olga, SECTION)})
    assert deleted.status_code == 303 and store(world).brands == {}


def test_a_refused_logo_is_said_beside_its_field_in_spanish(world: World) -> None:
    olga = org_owner(world)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    form = {
        "display_name": "Acme Rockets",
        "color": "#7B1FA2",
        "csrf_token": csrf(olga, SECTION),
        "logo": (BytesIO(svg), "logo.svg", "image/svg+xml"),
    }
    answer = olga.post(
        SECTION, data=form, content_type="multipart/form-data", headers={"Accept-Language": "es"}
    )
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert 'id="brand-logo-error"' in html and "Un SVG no puede contener scripts" in html
    assert "Tu marca" in html and "Cambiar la marca" in html
    assert f'<a href="{SECTION}" aria-current="page">Marca</a>' in html  # its link's title
    assert store(world).brands == {}


def test_members_see_the_brand_without_its_form(world: World) -> None:
    branded(world)
    mia = browser(world, "mia")
    world.services.of(OrgServices).members.add_member(AddMember("acme", "mia", ("member",)))
    page = mia.get(SECTION).get_data(as_text=True)
    assert "Acme Rockets" in page and "Change the brand" not in page
    assert "data:image/png" not in page  # the logo shown by its served path, never inlined


def test_sso_discovery_on_a_verified_domain_and_an_org_apps_request_wear_it(
    world: World,
) -> None:
    """The filler as the pages ask it: SSO discovery's page names the address's domain; an
    authorization request names an org's app by its ``client_id``."""
    org_id, olga = branded(world)
    added = world.client.post("/orgs/acme/domains", json={"domain": "acme.example"}, headers=olga)
    record = added.get_json()["record"]
    world.adapters.of(OrgsAdapters).txt.records[record["name"]] = [record["value"]]  # type: ignore[attr-defined]
    verified = world.client.post("/orgs/acme/domains/acme.example/verify", headers=olga)
    assert verified.status_code == 200, verified.get_json()
    app = world.client.post(
        "/orgs/acme/clients",
        json={"name": "Acme billing", "redirect_uris": ["https://billing.example/cb"]},
        headers=olga,
    )
    assert app.status_code == 201, app.get_json()
    client_id = app.get_json()["client_id"]
    with world.app.test_request_context("/sso/discover"):
        found = page_brand({"domain": "acme.example", "start": "/sso/x"})
        assert found is not None and found.name == "Acme Rockets"
        assert page_brand({"domain": "other.example", "start": "/sso/x"}) is None
        assert page_brand({"domain": "acme.example"}) is None  # not SSO discovery's page
    with world.app.test_request_context(f"/oauth/authorize?client_id={client_id}"):
        found = page_brand({})
        assert found is not None and found.logo_url.startswith(f"/orgs/{org_id}/brand/logo")
    with world.app.test_request_context("/oauth/authorize?client_id=unknown"):
        assert page_brand({}) is None
    with world.app.test_request_context("/oauth/authorize?client_id=x&organization=acme"):
        assert page_brand({}) is not None


def test_the_send_mail_hook_is_told_the_orgs_brand() -> None:
    world = World(app_profile="local")
    org_id, olga = branded(world)
    world.deliver()
    world.services.of(HookServices).hooks.set(
        SetAuthHook(ADMIN, "send_mail", "http://127.0.0.1:9/hook")
    )
    body = {"email": "ivy@example.com", "roles": ["member"]}
    assert world.client.post("/orgs/acme/invitations", json=body, headers=olga).status_code == 201
    world.deliver()
    [payload] = [p for p in hook_payloads(world) if p["kind"] == "org_invitation"]
    brand = payload["brand"]
    assert (brand["display_name"], brand["color"]) == ("Acme Rockets", "#7b1fa2")
    assert brand["logo_url"].startswith(
        f"{world.settings.service.public_url}/orgs/{org_id}/brand/logo?v="
    )


def test_a_look_alike_name_is_said_beside_its_field(world: World) -> None:
    branded(world)
    bob = org_owner(world, "bob", "globex")
    section = "/account/orgs/globex/brand"
    form = {
        "display_name": "ACME R0CKETS",
        "color": "#005a9c",
        "csrf_token": csrf(bob, section),
        "logo": (BytesIO(PNG_BYTES), "logo.png", "image/png"),
    }
    refused = bob.post(section, data=form, content_type="multipart/form-data")
    assert refused.status_code == 409
    html = refused.get_data(as_text=True)
    assert 'id="brand-display_name-error"' in html and "reads like another" in html
    assert 'value="ACME R0CKETS"' in html  # what was typed, to change


def test_the_orgs_sso_certificate_warnings_go_out_under_its_brand(world: World) -> None:
    _, olga = branded(world)
    proven(world, "olga")
    der = certificate(not_after=datetime.now(UTC) + timedelta(days=20, hours=1))[1]
    xml = idp_metadata("https://idp.example.com/m", "https://idp.example.com/sso", (der,))
    made = world.client.post(
        "/orgs/acme/connections",
        json={"kind": "saml", "name": "Okta", "saml": {"metadata_xml": xml}, "status": "active"},
        headers=olga,
    )
    assert made.status_code == 201, made.get_json()
    assert world.services.of(SsoServices).certificate_sweep.sweep() == 1
    world.deliver()
    [warning] = [m for m in world.mailer.to("olga@example.com") if "/sso" in m.text]
    assert warning.from_name == "Acme Rockets via firegate"
    assert "<strong>Acme Rockets</strong>" in warning.html and "/brand/logo?v=" in warning.html


def test_the_sign_in_host_s_org_comes_first(world: World) -> None:
    """A request to an org's active sign-in host (``host_org``) wears that org's brand on
    every page, before what the page names."""
    org_id, _ = branded(world)
    with world.app.test_request_context("/sign-in?org=nobody"):
        assert page_brand({}) is None
        setattr(g, HOST_ORG, org_id)
        found = page_brand({})
        assert found is not None and found.name == "Acme Rockets"


def test_a_brand_that_cannot_be_read_leaves_the_page_the_operators(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store down (or a request limit) while a page looks its brand up: the page is shown,
    the operator's, and says its own refusal if it has one."""
    branded(world)

    def down(_self: object, _name: str) -> None:
        raise Unavailable("the store is down")

    monkeypatch.setattr(OrgBrands, "shown_by_slug", down)
    page = world.app.test_client().get("/sign-in?org=acme")
    assert page.status_code == 200 and "Acme Rockets" not in page.get_data(as_text=True)
