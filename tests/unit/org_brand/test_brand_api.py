"""An org's brand through the JSON API on the fakes (docs/reference/org-brand.md): owners set
and delete it with a session, members read it, anyone fetches its logo from firegate's own
origin; every refusal a problem of its own code."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from application.orgs.members.members import AddMember
from application.orgs.services import OrgServices
from tests.support.api import assert_field_error, assert_problem, bearer, login, register, services
from tests.unit.org_brand.fakes import PNG, PNG_BYTES

pytestmark = pytest.mark.unit

SVG_TEXT = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><rect width="8" height="8"/></svg>'
)
SVG = "data:image/svg+xml;base64," + base64.b64encode(SVG_TEXT.encode()).decode()


def svg(body: str, head: str = "") -> str:
    text = f'{head}<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">{body}</svg>'
    return "data:image/svg+xml;base64," + base64.b64encode(text.encode()).decode()


def brand(**changes: Any) -> dict[str, Any]:
    return {"display_name": "Acme Rockets", "logo_url": PNG, "color": "#7B1FA2", **changes}


def owner(client: FlaskClient, name: str, slug: str, org_name: str | None = None) -> dict[str, str]:
    register(client, name)
    auth = bearer(login(client, name))
    made = client.post("/orgs", json={"slug": slug, "name": org_name or slug.title()}, headers=auth)
    assert made.status_code == 201, made.get_json()
    return auth


def test_owners_set_read_and_delete_it_members_read_it(
    fake_app: Flask, client: FlaskClient
) -> None:
    olga = owner(client, "olga", "acme")
    path = "/orgs/acme/brand"
    assert_problem(client.get(path, headers=olga), 404, "brand_not_found")
    put = client.put(path, json=brand(dark_color="#CE93D8"), headers=olga)
    assert put.status_code == 200, put.get_json()
    body = put.get_json()
    assert body["display_name"] == "Acme Rockets"
    assert (body["color"], body["dark_color"]) == ("#7b1fa2", "#ce93d8")
    assert body["logo_url"].startswith(f"/orgs/{body['org_id']}/brand/logo?v=")
    for name, role in (("adam", "admin"), ("mia", "member")):
        register(client, name)
        services(fake_app).of(OrgServices).members.add_member(AddMember("acme", name, (role,)))
        auth = bearer(login(client, name))
        assert client.get(path, headers=auth).get_json() == body
        assert_problem(client.put(path, json=brand(), headers=auth), 403, "org_permission_denied")
        assert_problem(client.delete(path, headers=auth), 403, "org_permission_denied")
    register(client, "stranger")
    outsider = bearer(login(client, "stranger"))
    assert_problem(client.get(path, headers=outsider), 404, "org_not_found")
    events = client.get("/orgs/acme/events?limit=10", headers=olga).get_json()["items"]
    assert [e["reason"] for e in events if e["type"] == "org.updated"] == ["brand"]
    assert client.delete(path, headers=olga).status_code == 204
    assert_problem(client.get(path, headers=olga), 404, "brand_not_found")
    assert client.delete(path, headers=olga).status_code == 204  # none is none


def test_the_logo_is_served_here_with_its_type_nosniff_a_sandbox_and_an_etag(
    client: FlaskClient,
) -> None:
    olga = owner(client, "olga", "acme")
    put = client.put("/orgs/acme/brand", json=brand(logo_url=SVG), headers=olga)
    logo = put.get_json()["logo_url"]
    got = client.get(logo)  # no credentials: the pages show it before a sign-in
    assert got.status_code == 200
    assert got.mimetype == "image/svg+xml" and got.data == SVG_TEXT.encode()
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in got.headers["Content-Security-Policy"]
    assert "default-src 'none'" in got.headers["Content-Security-Policy"]
    etag = got.headers["ETag"]
    again = client.get(logo, headers={"If-None-Match": etag})
    assert again.status_code == 304 and not again.data
    client.put("/orgs/acme/brand", json=brand(), headers=olga)
    png = client.get(logo.split("?")[0], headers={"If-None-Match": etag})
    assert png.status_code == 200 and png.mimetype == "image/png" and png.data == PNG_BYTES
    assert png.headers["ETag"] != etag
    client.delete("/orgs/acme/brand", headers=olga)
    assert_problem(client.get(logo), 404, "brand_not_found")
    for nobody in ("nobody", "__reserved__", "x" * 2000, "%C3%A9"):
        assert_problem(client.get(f"/orgs/{nobody}/brand/logo"), 404, "brand_not_found")


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"display_name": "  "}, "display_name", "invalid_brand_name"),
        ({"display_name": "x" * 65}, "display_name", "invalid_brand_name"),
        ({"display_name": "Acme\u202eCorp"}, "display_name", "invalid_brand_name"),
        ({"logo_url": "https://example.com/logo.png"}, "logo_url", "invalid_brand_logo"),
        ({"logo_url": "data:image/gif;base64,R0lGOD"}, "logo_url", "invalid_brand_logo"),
        ({"logo_url": "data:image/png;base64,AAAA"}, "logo_url", "invalid_brand_logo"),
        ({"logo_url": "data:image/png;base64,%%%"}, "logo_url", "invalid_brand_logo"),
        ({"logo_url": "data:image/png;base64," + "A" * 70_000}, "logo_url", "string_too_long"),
        *(
            ({"logo_url": logo}, "logo_url", "invalid_brand_logo")
            for logo in (
                svg("<script>alert(1)</script>"),
                svg('<rect onload="alert(1)"/>'),
                svg('<image href="https://x.example/a.png"/>'),
                svg('<use xlink:href="https://x.example/a.svg#a"/>'),
                svg('<rect style="fill:url(https://x.example/a)"/>'),
                svg("<style>@import 'https://x.example/a.css';</style>"),
                svg("<foreignObject><p>x</p></foreignObject>"),
                svg('<set attributeName="href" to="javascript:alert(1)"/>'),
                svg("&x;", '<!DOCTYPE svg [<!ENTITY x "y">]>'),
                svg("", '<!DOCTYPE svg SYSTEM "https://x.example/a.dtd">'),
                "data:image/svg+xml;base64," + base64.b64encode(b"<html/>").decode(),
                "data:image/svg+xml,<svg",
            )
        ),
        ({"color": "purple"}, "color", "invalid_brand_color"),
        ({"color": "#ffeb3b"}, "color", "brand_contrast"),
        ({"dark_color": "#1a237e"}, "dark_color", "brand_contrast"),
        ({"dark_color": "#abc"}, "dark_color", "invalid_brand_color"),
        ({"extra": 1}, "extra", "unknown_field"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_beside_its_field(
    client: FlaskClient, changes: dict[str, Any], field: str, code: str
) -> None:
    olga = owner(client, "olga", "acme")
    assert_field_error(
        client.put("/orgs/acme/brand", json=brand(**changes), headers=olga), field, code
    )
    assert_problem(client.get("/orgs/acme/brand", headers=olga), 404, "brand_not_found")


def test_both_colours_too_dark_or_light_are_one_brand_contrast(client: FlaskClient) -> None:
    olga = owner(client, "olga", "acme")
    put = client.put(
        "/orgs/acme/brand", json=brand(color="#ffff00", dark_color="#000000"), headers=olga
    )
    problem = assert_problem(put, 422, "brand_contrast")
    assert {e["field"] for e in problem["errors"]} == {"color", "dark_color"}


def test_safe_svgs_and_percent_encoded_ones_are_taken(client: FlaskClient) -> None:
    olga = owner(client, "olga", "acme")
    inner = (
        '<defs><linearGradient id="g"/></defs>'
        '<rect fill="url(#g)" width="4" height="4"/><use href="#g"/>'
    )
    for logo in (
        svg(inner),
        "data:image/svg+xml," + "%3Csvg%20xmlns%3D%22http%3A%2F%2Fwww.w3.org%2F2000%2Fsvg%22%2F%3E",
    ):
        put = client.put("/orgs/acme/brand", json=brand(logo_url=logo), headers=olga)
        assert put.status_code == 200, put.get_json()


def test_a_name_may_not_read_like_another_orgs_or_the_services(client: FlaskClient) -> None:
    olga = owner(client, "olga", "acme")
    bob = owner(client, "bob", "globex", "Globex Corporation")
    assert (
        client.put(
            "/orgs/acme/brand", json=brand(display_name="Acme Rockets"), headers=olga
        ).status_code
        == 200
    )
    for name in (
        "acme rockets",
        "ACME R0CKETS",
        "Acme Rоckets",
        "Acme",
        "firegate",
        "FIREGATE",
        "acme",
    ):
        put = client.put("/orgs/globex/brand", json=brand(display_name=name), headers=bob)
        assert_problem(put, 409, "brand_look_alike")
    # its own slug and name may be its brand's; then the old name is free for another org
    assert (
        client.put("/orgs/globex/brand", json=brand(display_name="Globex"), headers=bob).status_code
        == 200
    )
    assert (
        client.put(
            "/orgs/globex/brand", json=brand(display_name="Globex Corporation"), headers=bob
        ).status_code
        == 200
    )
    assert (
        client.put("/orgs/acme/brand", json=brand(display_name="ACME"), headers=olga).status_code
        == 200
    )
    assert (
        client.put(
            "/orgs/globex/brand", json=brand(display_name="Acme Rockets"), headers=bob
        ).status_code
        == 200
    )
    client.delete("/orgs/globex/brand", headers=bob)
    assert (
        client.put(
            "/orgs/acme/brand", json=brand(display_name="Acme Rockets"), headers=olga
        ).status_code
        == 200
    )


def test_an_org_named_as_the_service_may_not_take_its_name(client: FlaskClient) -> None:
    olga = owner(client, "olga", "firegate", "Firegate")
    put = client.put("/orgs/firegate/brand", json=brand(display_name="Firegate"), headers=olga)
    assert_problem(put, 409, "brand_look_alike")


def test_setting_it_needs_a_session(fake_app: Flask, client: FlaskClient) -> None:
    owner(client, "olga", "acme")
    put = client.put("/orgs/acme/brand", json=brand())
    assert put.status_code == 401
