"""The page a setup link opens (docs/pages.md, "Log stream setup"): the org's IT admin, with
no account, adds its stream through a form, as the JSON API's holder does; a refused field is
said beside it with what was typed kept; a link that opens nothing is a 400 page."""

from __future__ import annotations

import re
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.unit.log_streams.fakes import link, owner

pytestmark = pytest.mark.unit


def text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def opened(fake_app: Flask, client: FlaskClient) -> tuple[FlaskClient, str, dict[str, str]]:
    """Acme's owner's link opened in a browser with no session: (browser, token, owner)."""
    olga = owner(client, "olga", "acme")
    token = link(client, "acme", olga)
    return fake_app.test_client(), token, olga


def posted(it_admin: FlaskClient, token: str, **form: str) -> tuple[int, str]:
    page = it_admin.get(f"/setup/log-stream?token={token}")
    assert page.status_code == 200, page.get_data(as_text=True)
    answer = it_admin.post(
        f"/setup/log-stream?token={token}",
        data={**form, "csrf_token": csrf_of(page.get_data(as_text=True))},
    )
    return answer.status_code, answer.get_data(as_text=True)


def test_the_it_admin_adds_an_https_stream_and_sees_its_secret_once(
    fake_app: Flask, client: FlaskClient
) -> None:
    it_admin, token, olga = opened(fake_app, client)
    page = it_admin.get(f"/setup/log-stream?token={token}").get_data(as_text=True)
    assert "Add a log stream for Acme" in page
    assert f'action="/setup/log-stream?token={token}"' in page
    # Another kind's fields typed are not read: the https stream takes its URL only.
    status, html = posted(
        it_admin,
        token,
        kind="https",
        format="firegate",
        url="https://siem.example.com/in",
        host="ignored.example.com",
    )
    assert status == 201, text(html)
    streams = client.get("/orgs/acme/log-streams", headers=olga).get_json()["items"]
    assert [(s["kind"], s["url"]) for s in streams] == [("https", "https://siem.example.com/in")]
    secret = re.search(r'id="stream-secret" type="text" readonly value="([^"]+)"', html)
    assert secret is not None and secret.group(1).startswith("whsec_")
    assert "This link has been used and no longer works." in text(html)
    # Spent: the page and its form are a 400 page saying so.
    spent = it_admin.get(f"/setup/log-stream?token={token}")
    assert spent.status_code == 400 and "Add the stream" not in spent.get_data(as_text=True)


def test_a_bad_field_is_said_beside_it_and_nothing_typed_is_lost(
    fake_app: Flask, client: FlaskClient
) -> None:
    it_admin, token, olga = opened(fake_app, client)
    status, html = posted(
        it_admin, token, kind="syslog", format="ocsf", host="siem.example.com", port="99999"
    )
    assert status == 422, text(html)
    assert re.search(r'id="stream-port-error" role="alert">port must be a number', html)
    assert 'aria-invalid="true" aria-describedby="stream-port-error"' in html
    assert 'value="siem.example.com"' in html and 'value="99999"' in html
    assert '<option value="syslog" selected>' in html and '<option value="ocsf" selected>' in html
    status, html = posted(it_admin, token, kind="fax", format="ocsf")
    assert status == 422 and 'id="stream-kind-error"' in html
    # Not spent by a refusal: the same link adds the stream.
    status, html = posted(
        it_admin, token, kind="syslog", format="ocsf", host="siem.example.com", port="6514"
    )
    assert status == 201, text(html)
    assert "stream-secret" not in html and "siem.example.com" in text(html)
    assert len(client.get("/orgs/acme/log-streams", headers=olga).get_json()["items"]) == 1


def test_a_link_that_opens_nothing_is_a_400_page(fake_app: Flask, client: FlaskClient) -> None:
    it_admin, token, _ = opened(fake_app, client)
    unknown = it_admin.get("/setup/log-stream?token=nonsense")
    assert unknown.status_code == 400 and "text/html" in unknown.content_type
    page = it_admin.get(f"/setup/log-stream?token={token}").get_data(as_text=True)
    form = {"kind": "gcs", "format": "ocsf", "bucket": "acme-audit", "csrf_token": csrf_of(page)}
    refused = it_admin.post("/setup/log-stream?token=nonsense", data=form)
    assert refused.status_code == 400 and "Add the stream" not in refused.get_data(as_text=True)
    no_csrf = it_admin.post(f"/setup/log-stream?token={token}", data={"kind": "gcs"})
    assert no_csrf.status_code == 403


def test_a_browser_at_the_links_api_address_is_sent_to_the_page(
    fake_app: Flask, client: FlaskClient
) -> None:
    it_admin, token, _ = opened(fake_app, client)
    navigated = it_admin.get(f"/log-streams/setup?token={token}", headers={"Accept": "text/html"})
    assert navigated.status_code == 303
    assert navigated.headers["Location"] == f"/setup/log-stream?token={token}"
    program = it_admin.get(f"/log-streams/setup?token={token}")
    assert program.status_code == 200 and program.get_json()["org_name"] == "Acme"


def test_a_fourth_stream_is_said_on_the_form(fake_app: Flask, client: FlaskClient) -> None:
    it_admin, token, olga = opened(fake_app, client)
    for n in range(3):
        body = {"kind": "gcs", "format": "ocsf", "bucket": f"acme-audit-{n}"}
        made = client.post("/orgs/acme/log-streams", json=body, headers=olga)
        assert made.status_code == 201
    status, html = posted(it_admin, token, kind="gcs", format="ocsf", bucket="acme-audit-4")
    assert status == 409 and 'role="alert"' in html and 'value="acme-audit-4"' in html


def test_the_page_speaks_the_browsers_language(fake_app: Flask, client: FlaskClient) -> None:
    it_admin, token, _ = opened(fake_app, client)
    spanish = it_admin.get(f"/setup/log-stream?token={token}", headers={"Accept-Language": "es"})
    html = spanish.get_data(as_text=True)
    assert "Añadir un flujo de registros para Acme" in html and "Añadir el flujo" in html
