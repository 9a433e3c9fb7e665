"""SAML single logout on the fakes, against pysaml2's own IdP (docs/reference/sso.md,
"Single logout"): firegate's SLO URL in its metadata, the IdP's in a connection's, a session
remembering the sign-in that began it, the IdP's signed LogoutRequest signing the person out
and answered with a signed LogoutResponse in its binding, every refusal leaving the person
signed in, and signing out of the pages going on to the IdP and back."""

from __future__ import annotations

import base64
import re
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient
from lxml import etree

from application.ports import Audit
from application.sso.discovery import PRESENCE_TTL
from application.sso.services import SsoServices
from application.sso.signin.logout import SAML_LOGOUT
from bootstrap.signin_adapters import SigninAdapters
from bootstrap.sso import SsoAdapters
from domain.sso.connections import ConnectionStatus
from tests.fakes.kernel import FakeClock
from tests.fakes.sso import FakeConnections, FakeSamlSessions
from tests.support.pages import csrf
from tests.support.saml_idp import (
    RSA_SHA1,
    SHA1,
    SLO_URL,
    KeyPair,
    SamlIdpForTests,
    key_pair,
)
from tests.support.sso import idp_keys, sso
from tests.support.sso_world import SamlSso, signed_in

pytestmark = pytest.mark.unit
__all__ = ["idp_keys", "sso"]  # fixtures

MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
ADA = "ada@corp.example"
JSON = {"Accept": "application/json"}  # a refusal's code, as the pages' script reads it


def _with_slo(sso: SamlSso) -> str:
    """The connection with the IdP's SLO URL: firegate's own SLO URL."""
    changed = sso.world.client.patch(
        f"/orgs/corp/connections/{sso.cid}", json={"saml": {"slo_url": SLO_URL}}, headers=sso.owner
    )
    assert changed.status_code == 200, changed.get_json()
    saml = changed.get_json()["saml"]
    assert saml["slo_url"] == SLO_URL and saml["slo_binding"] == "redirect"
    return str(saml["sp_slo_url"])


def _signed_in_browser(sso: SamlSso, email: str = ADA) -> FlaskClient:
    browser = sso.world.app.test_client()
    assert sso.sign_in(browser, email).status_code == 303
    assert signed_in(browser)
    return browser


def _slo_path(sso: SamlSso) -> str:
    return f"/sso/{sso.cid}/saml/slo"


def _sent(sso: SamlSso, browser: FlaskClient, request: dict[str, str] | str) -> Any:
    """The IdP's logout message as the browser brings it: a GET of its query or a POST."""
    if isinstance(request, str):
        return browser.get(f"{_slo_path(sso)}?{request}", headers=JSON)
    return browser.post(_slo_path(sso), data=request, headers=JSON)


def _sessions_of(sso: SamlSso, email: str) -> list[Any]:
    user = sso.user_of(email)
    return list(sso.world.adapters.of(SigninAdapters).sessions.list_for_user(user.id, 100))


def _origins(sso: SamlSso) -> FakeSamlSessions:
    found = sso.world.adapters.of(SsoAdapters).saml_sessions
    assert isinstance(found, FakeSamlSessions)
    return found


UNSOLICITED = "saml_logout_unsolicited"


def _problem(answer: Any, status: int, code: str) -> None:
    """A refusal as the pages answer their script (``Accept: application/json``)."""
    assert answer.status_code == status, answer.get_data(as_text=True)
    assert answer.get_json()["code"] == code


# -- the metadata, both ways


def test_firegate_metadata_lists_its_slo_url_in_both_bindings(sso: SamlSso) -> None:
    xml = sso.world.client.get(f"/sso/{sso.cid}/saml/metadata").get_data()
    services = etree.fromstring(xml).findall(f".//{{{MD}}}SingleLogoutService")
    found = {(s.get("Binding"), s.get("Location")) for s in services}
    assert {b for b, _ in found} == {REDIRECT, POST}
    assert all(str(where).endswith(f"/sso/{sso.cid}/saml/slo") for _, where in found)
    assert len({where for _, where in found}) == 1


def test_an_idp_slo_endpoint_is_read_from_its_metadata(sso: SamlSso, idp_keys: KeyPair) -> None:
    from saml2.metadata import entity_descriptor

    metadata = str(entity_descriptor(sso.idp.server.config))
    changed = sso.world.client.patch(
        f"/orgs/corp/connections/{sso.cid}",
        json={"saml": {"metadata_xml": metadata}},
        headers=sso.owner,
    )
    assert changed.status_code == 200, changed.get_json()
    saml = changed.get_json()["saml"]
    assert (saml["slo_url"], saml["slo_binding"]) == (SLO_URL, "redirect")
    # and taken away field by field
    cleared = sso.world.client.patch(
        f"/orgs/corp/connections/{sso.cid}", json={"saml": {"slo_url": ""}}, headers=sso.owner
    )
    assert cleared.get_json()["saml"]["slo_url"] == ""


# -- a session remembers the sign-in that began it


def test_a_session_remembers_the_saml_sign_in_that_began_it(sso: SamlSso) -> None:
    _signed_in_browser(sso)
    (session,) = _sessions_of(sso, ADA)
    origin = _origins(sso).get(session.id)
    assert origin is not None
    assert origin.connection_id == sso.cid and origin.user_id == session.user_id
    assert origin.subject.value == ADA
    assert origin.subject.format.endswith("emailAddress")
    assert origin.session_index  # pysaml2's IdP names one in its AuthnStatement


# -- the IdP's LogoutRequest


def test_an_idp_logout_by_redirect_signs_the_person_out_everywhere(sso: SamlSso) -> None:
    slo = _with_slo(sso)
    laptop, phone = _signed_in_browser(sso), _signed_in_browser(sso)
    other = _signed_in_browser(sso, "bea@corp.example")
    _, query = sso.idp.logout_request(slo, ADA, relay_state="back-to-portal")
    answer = _sent(sso, laptop, query)
    assert answer.status_code == 303, answer.get_data(as_text=True)
    location = answer.headers["Location"]
    assert location.startswith(SLO_URL + "?")
    sent = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert sent["RelayState"] == "back-to-portal"
    assert sent["SigAlg"].endswith("rsa-sha256") and sent["Signature"]
    from saml2 import BINDING_HTTP_REDIRECT

    response = sso.idp.server.parse_logout_request_response(
        sent["SAMLResponse"], BINDING_HTTP_REDIRECT
    )
    assert response.status_ok()
    assert not signed_in(laptop) and not signed_in(phone)
    assert _sessions_of(sso, ADA) == []
    assert signed_in(other)  # another person of the same IdP stays
    ended = [e for e in sso.world.audit.events if e.event is Audit.LOGOUT]
    assert ended[-1].reason == SAML_LOGOUT
    assert ended[-1].user_id == sso.user_of(ADA).id


def test_an_idp_logout_by_post_is_answered_by_a_signed_post(sso: SamlSso) -> None:
    from saml2 import BINDING_HTTP_POST

    slo = _with_slo(sso)
    browser = _signed_in_browser(sso)
    _, form = sso.idp.logout_request(slo, ADA, binding="post")
    answer = _sent(sso, browser, form)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    html = answer.get_data(as_text=True)
    assert f'action="{SLO_URL}"' in html
    assert (
        "form-action 'self' https://idp.corp.example" in answer.headers["Content-Security-Policy"]
    )
    posted = re.search(r'name="SAMLResponse" value="([^"]+)"', html)
    assert posted is not None
    assert b"Signature" in base64.b64decode(posted.group(1))
    # the IdP checks its signature with firegate's certificate
    response = sso.idp.server.parse_logout_request_response(posted.group(1), BINDING_HTTP_POST)
    assert response.status_ok()
    assert not signed_in(browser)


def test_a_session_index_ends_only_that_sign_in(sso: SamlSso) -> None:
    slo = _with_slo(sso)
    browser = _signed_in_browser(sso)
    (session,) = _sessions_of(sso, ADA)
    origin = _origins(sso).get(session.id)
    assert origin is not None
    _, query = sso.idp.logout_request(slo, ADA, session_index="another-sign-in")
    assert _sent(sso, browser, query).status_code == 303
    assert signed_in(browser)
    _, query = sso.idp.logout_request(slo, ADA, session_index=origin.session_index)
    assert _sent(sso, browser, query).status_code == 303
    assert not signed_in(browser)


def test_without_an_slo_endpoint_the_idp_logout_still_signs_out(sso: SamlSso) -> None:
    browser = _signed_in_browser(sso)
    _, query = sso.idp.logout_request(sso.connection["saml"]["sp_slo_url"], ADA)
    answer = _sent(sso, browser, query)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert not signed_in(browser)


# -- refusals: nothing ended


@pytest.mark.parametrize("binding", ["redirect", "post"])
def test_an_unsigned_logout_request_is_refused(sso: SamlSso, binding: str) -> None:
    slo = _with_slo(sso)
    browser = _signed_in_browser(sso)
    _, request = sso.idp.logout_request(slo, ADA, binding=binding, sign=False)
    _problem(_sent(sso, browser, request), 401, "saml_logout_unsigned")
    assert signed_in(browser)


@pytest.mark.parametrize("binding", ["redirect", "post"])
def test_a_sha1_signed_logout_request_is_refused(sso: SamlSso, binding: str) -> None:
    slo = _with_slo(sso)
    browser = _signed_in_browser(sso)
    _, request = sso.idp.logout_request(
        slo, ADA, binding=binding, sign_alg=RSA_SHA1, digest_alg=SHA1
    )
    _problem(_sent(sso, browser, request), 401, "saml_logout_weak_signature")
    assert signed_in(browser)


@pytest.mark.parametrize("binding", ["redirect", "post"])
def test_a_logout_request_signed_by_another_key_is_refused(sso: SamlSso, binding: str) -> None:
    slo = _with_slo(sso)
    browser = _signed_in_browser(sso)
    metadata = sso.world.client.get(f"/sso/{sso.cid}/saml/metadata").get_data(as_text=True)
    impostor = SamlIdpForTests(metadata, keys=key_pair("impostor"))
    _, request = impostor.logout_request(slo, ADA, binding=binding)
    _problem(_sent(sso, browser, request), 401, "saml_logout_bad_signature")
    assert signed_in(browser)


def test_an_altered_redirect_query_is_refused(sso: SamlSso) -> None:
    slo = _with_slo(sso)
    browser = _signed_in_browser(sso)
    _, query = sso.idp.logout_request(slo, ADA, relay_state="a")
    altered = str(query).replace("RelayState=a", "RelayState=b")
    _problem(_sent(sso, browser, altered), 401, "saml_logout_bad_signature")
    assert signed_in(browser)


@pytest.mark.parametrize("binding", ["redirect", "post"])
def test_a_replayed_logout_request_is_refused(sso: SamlSso, binding: str) -> None:
    slo = _with_slo(sso)
    _, request = sso.idp.logout_request(slo, ADA, binding=binding)
    first = _sent(sso, sso.world.app.test_client(), request)
    assert first.status_code in {200, 303}, first.get_data(as_text=True)
    browser = _signed_in_browser(sso)  # signed in again since
    _problem(_sent(sso, browser, request), 409, "saml_logout_replayed")
    assert signed_in(browser)


def test_an_expired_logout_request_is_refused(sso: SamlSso) -> None:
    slo = _with_slo(sso)
    browser = _signed_in_browser(sso)
    _, ended = sso.idp.logout_request(slo, ADA, expire="2020-01-01T00:00:00Z")
    _problem(_sent(sso, browser, ended), 400, "saml_logout_expired")
    clock = sso.world.clock
    assert isinstance(clock, FakeClock)
    _, old = sso.idp.logout_request(slo, ADA)
    clock.advance(minutes=8)  # issued more than 5 minutes (and the skew) ago
    _problem(_sent(sso, browser, old), 400, "saml_logout_expired")
    clock.advance(minutes=-16)  # issued more than the skew from now, ahead
    _, early = sso.idp.logout_request(slo, ADA)
    _problem(_sent(sso, browser, early), 400, "saml_logout_expired")
    clock.advance(minutes=8)
    assert signed_in(browser)


def test_a_logout_request_for_another_destination_is_refused(sso: SamlSso) -> None:
    _with_slo(sso)
    browser = _signed_in_browser(sso)
    _, query = sso.idp.logout_request("https://other.example/saml/slo", ADA)
    _problem(_sent(sso, browser, query), 400, "saml_logout_wrong_destination")
    assert signed_in(browser)


@pytest.mark.parametrize("binding", ["redirect", "post"])
def test_a_logout_request_from_another_issuer_is_refused(
    sso: SamlSso, idp_keys: KeyPair, binding: str
) -> None:
    slo = _with_slo(sso)
    browser = _signed_in_browser(sso)
    metadata = sso.world.client.get(f"/sso/{sso.cid}/saml/metadata").get_data(as_text=True)
    other = SamlIdpForTests(metadata, keys=idp_keys, entity_id="https://other-idp.example/md")
    _, request = other.logout_request(slo, ADA, binding=binding)
    _problem(_sent(sso, browser, request), 400, "saml_logout_wrong_issuer")
    assert signed_in(browser)


def test_a_message_that_is_neither_is_refused(sso: SamlSso) -> None:
    client = sso.world.client
    _problem(client.get(_slo_path(sso), headers=JSON), 400, "saml_logout_invalid")
    nothing = client.post(_slo_path(sso), data={"x": "1"}, headers=JSON)
    _problem(nothing, 400, "saml_logout_invalid")
    garbage = sso.world.client.get(f"{_slo_path(sso)}?SAMLRequest=%%%&SigAlg=x&Signature=y")
    assert garbage.status_code in {400, 401}


# -- signing out of the pages: on to the IdP, and back


def _signed_out(sso: SamlSso, browser: FlaskClient) -> Any:
    return browser.post("/sign-out", data={"csrf_token": csrf(browser, "/account")})


def test_signing_out_goes_on_to_the_idp_and_back(sso: SamlSso) -> None:
    _with_slo(sso)
    browser = _signed_in_browser(sso)
    answer = _signed_out(sso, browser)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    delay, _, target = answer.headers["Refresh"].partition("; url=")
    assert delay == "0" and target.startswith(SLO_URL + "?")
    assert not signed_in(browser)  # signed out here first
    from saml2.sigver import verify_redirect_signature

    sent = {k: v[0] for k, v in parse_qs(urlsplit(target).query).items()}
    metadata = etree.fromstring(sso.world.client.get(f"/sso/{sso.cid}/saml/metadata").get_data())
    certificate = metadata.findtext(f".//{{{DS}}}X509Certificate")
    assert verify_redirect_signature(sent, sso.idp.server.sec.sec_backend, certificate)
    request = sso.idp.logout_of(target)
    assert request.message.name_id.text == ADA
    assert request.message.session_index[0].text
    back = sso.idp.logout_response(request)
    finished = browser.get(f"{_slo_path(sso)}?{back}")
    assert finished.status_code == 303, finished.get_data(as_text=True)
    assert finished.headers["Location"].endswith("/sign-in")
    # the flight is spent: the same answer again is not this browser's
    _problem(browser.get(f"{_slo_path(sso)}?{back}", headers=JSON), 400, UNSOLICITED)


def test_signing_out_goes_on_to_the_idp_whatever_this_process_last_read_of_sso(
    sso: SamlSso,
) -> None:
    """A process that last read "no org has single sign-on" keeps it for a while (another
    process switched a connection on since): a session begun through the connection still
    goes on to the IdP when it signs out there (found by the SimpleSAMLphp interop run,
    docs/testing.md)."""
    _with_slo(sso)
    browser = _signed_in_browser(sso)
    fake = sso.world.adapters.of(SsoAdapters).connections
    assert isinstance(fake, FakeConnections)
    live = fake.connections[sso.cid]
    fake.connections[sso.cid] = replace(live, status=ConnectionStatus.DRAFT)
    clock = sso.world.clock
    assert isinstance(clock, FakeClock)
    clock.advance(seconds=PRESENCE_TTL.total_seconds() + 1)  # what it knew is stale
    assert not sso.world.services.of(SsoServices).discovery.any_sso()  # read, and kept
    fake.connections[sso.cid] = live  # as another process stores it
    answer = _signed_out(sso, browser)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.headers["Refresh"].partition("; url=")[2].startswith(SLO_URL + "?")
    assert not signed_in(browser)


def test_an_idp_answer_to_another_request_is_refused(sso: SamlSso) -> None:
    _with_slo(sso)
    browser = _signed_in_browser(sso)
    target = _signed_out(sso, browser).headers["Refresh"].partition("; url=")[2]
    request = sso.idp.logout_of(target)
    stranger = sso.world.app.test_client()  # no flight
    back = sso.idp.logout_response(request)
    _problem(stranger.get(f"{_slo_path(sso)}?{back}", headers=JSON), 400, UNSOLICITED)
    forged = sso.idp.logout_response(sso.idp.logout_of(target), in_response_to="id-other")
    _problem(
        browser.get(f"{_slo_path(sso)}?{forged}", headers=JSON), 400, "saml_logout_unsolicited"
    )


def test_an_unsigned_idp_answer_is_refused(sso: SamlSso) -> None:
    _with_slo(sso)
    browser = _signed_in_browser(sso)
    target = _signed_out(sso, browser).headers["Refresh"].partition("; url=")[2]
    back = sso.idp.logout_response(sso.idp.logout_of(target), sign=False)
    _problem(browser.get(f"{_slo_path(sso)}?{back}", headers=JSON), 401, "saml_logout_unsigned")


def test_signing_out_without_an_idp_slo_endpoint_stays_here(sso: SamlSso) -> None:
    browser = _signed_in_browser(sso)
    answer = _signed_out(sso, browser)
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/sign-in")
    assert not signed_in(browser)


def test_an_idp_logout_after_the_session_ended_ends_nothing_else(sso: SamlSso) -> None:
    """A session begun through the connection that ended since (its page's sign-out, the
    session list, its expiry) is no reason to end the person's other sessions."""
    slo = _with_slo(sso)
    _signed_in_browser(sso)
    (session,) = _sessions_of(sso, ADA)
    sso.world.adapters.of(SigninAdapters).sessions.delete(session.id)  # ended another way
    user = sso.user_of(ADA)
    _, query = sso.idp.logout_request(slo, ADA)
    assert _sent(sso, sso.world.app.test_client(), query).status_code == 303
    assert sso.user_of(ADA).token_version == user.token_version


def test_signing_out_at_an_idp_of_the_post_binding_only(sso: SamlSso) -> None:
    """An IdP whose metadata lists single logout by HTTP-POST alone: the sign-out page posts
    the request there (signed in the XML), and the IdP's posted answer comes back."""
    from saml2 import BINDING_HTTP_POST
    from saml2.metadata import entity_descriptor

    metadata = etree.fromstring(str(entity_descriptor(sso.idp.server.config)).encode())
    for service in metadata.findall(f".//{{{MD}}}SingleLogoutService"):
        if service.get("Binding") == REDIRECT:
            service.getparent().remove(service)
    changed = sso.world.client.patch(
        f"/orgs/corp/connections/{sso.cid}",
        json={"saml": {"metadata_xml": etree.tostring(metadata).decode()}},
        headers=sso.owner,
    )
    assert changed.get_json()["saml"]["slo_binding"] == "post", changed.get_json()
    browser = _signed_in_browser(sso)
    out = _signed_out(sso, browser)
    assert out.status_code == 200, out.get_data(as_text=True)
    html = out.get_data(as_text=True)
    assert f'action="{SLO_URL}"' in html
    assert "form-action 'self' https://idp.corp.example" in out.headers["Content-Security-Policy"]
    field = re.search(r'name="SAMLRequest" value="([^"]+)"', html)
    assert field is not None
    assert b"Signature" in base64.b64decode(field.group(1))
    request = sso.idp.server.parse_logout_request(field.group(1), BINDING_HTTP_POST)
    assert request.message.name_id.text == ADA
    answer = sso.idp.server.create_logout_response(request.message, [BINDING_HTTP_POST], sign=True)
    back = browser.post(
        _slo_path(sso), data={"SAMLResponse": base64.b64encode(str(answer).encode()).decode()}
    )
    assert back.status_code == 303, back.get_data(as_text=True)
    assert back.headers["Location"].endswith("/sign-in")
