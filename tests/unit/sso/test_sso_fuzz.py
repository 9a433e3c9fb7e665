"""An org's single sign-on endpoints under any answer (docs/reference/sso.md): whatever comes
back to the SAML ACS (garbage, XML of any shape, a real signed answer cut or with bytes
changed, any RelayState) or to the OpenID callback (any code, state, error, iss), from a
browser that started a sign-in or not, the answer is a refusal or a sign-in, never a 5xx and
never an exception through Flask; and a changed signed answer signs nobody in.

The OpenAPI document does not describe these endpoints (the browser brings them), so the
schemathesis run of tests/e2e/test_fuzz_openapi.py does not reach them; this does, on the
fakes, against pysaml2's own IdP and the test OpenID IdP, with hypothesis."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from tests.support.saml_idp import key_pair
from tests.support.sso_world import OidcSso, SamlSso, oidc_sso, saml_sso, signed_in

pytestmark = pytest.mark.unit

FUZZ = settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
XML_SHAPES = [
    "",
    "<",
    "<a>",
    '<?xml version="1.0"?><samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>',
    '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="x" Version="2.0">'
    "<samlp:Status><samlp:StatusCode Value="
    '"urn:oasis:names:tc:SAML:2.0:status:Requester"/></samlp:Status></samlp:Response>',
    '<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]><r>&e;</r>',
    '<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><r>&b;</r>',
]


@pytest.fixture(scope="module")
def saml() -> SamlSso:
    return saml_sso(key_pair())


@pytest.fixture(scope="module")
def oidc() -> Iterator[OidcSso]:
    with oidc_sso() as made:
        yield made


def encoded(data: bytes) -> str:
    return base64.b64encode(data).decode()


saml_responses = st.one_of(
    st.text(max_size=200),
    st.binary(max_size=200).map(encoded),
    st.sampled_from(XML_SHAPES).map(lambda xml: encoded(xml.encode())),
    st.text(max_size=200).map(lambda text: encoded(text.encode())),
)


@FUZZ
@given(
    response=saml_responses,
    relay=st.none() | st.text(max_size=100),
    started=st.booleans(),
    repeated=st.booleans(),
)
def test_the_acs_answers_any_post(
    saml: SamlSso, response: str, relay: str | None, started: bool, repeated: bool
) -> None:
    browser = saml.world.app.test_client()
    if started:
        assert browser.get(f"/sso/{saml.cid}/saml").status_code == 303
    form = [("SAMLResponse", response)] * (2 if repeated else 1)
    if relay is not None:
        form.append(("RelayState", relay))
    answer = browser.post(f"/sso/{saml.cid}/saml/acs", data=MultiDict(form))
    assert answer.status_code < 500, answer.get_data(as_text=True)[:300]
    assert not signed_in(browser)


@FUZZ
@given(
    at=st.floats(0, 1, exclude_max=True),
    how=st.sampled_from(["cut", "byte"]),
    byte=st.integers(1, 255),
)
def test_a_signed_answer_cut_or_changed_anywhere_is_answered(
    saml: SamlSso, at: float, how: str, byte: int
) -> None:
    """A real answer to this browser's request, cut short or with one byte changed: a 4xx,
    or a sign-in where the change fell where nothing is signed or read (whitespace between
    elements, say); never a 5xx."""
    browser = saml.world.app.test_client()
    start = browser.get(f"/sso/{saml.cid}/saml")
    request = saml.idp.request_of(start.headers["Location"])
    xml = saml.response(request.message.id, "ada@corp.example").encode()
    where = int(at * len(xml))
    if how == "cut":
        changed = xml[:where]
    else:  # another byte there: ``byte`` added to it, modulo 256
        changed = xml[:where] + bytes([(xml[where] + byte) % 256]) + xml[where + 1 :]
    answer = browser.post(f"/sso/{saml.cid}/saml/acs", data={"SAMLResponse": encoded(changed)})
    assert answer.status_code < 500, answer.get_data(as_text=True)[:300]
    if answer.status_code != 303:
        assert not signed_in(browser)


@FUZZ
@given(
    params=st.dictionaries(
        st.sampled_from(["code", "state", "error", "error_description", "iss", "session_state"]),
        st.text(max_size=80),
        max_size=5,
    ),
    started=st.booleans(),
)
def test_the_openid_callback_answers_any_return(
    oidc: OidcSso, params: dict[str, str], started: bool
) -> None:
    browser = oidc.world.app.test_client()
    if started:
        oidc.start(browser)
    answer = browser.get(f"/sso/{oidc.cid}/oidc/callback", query_string=params)
    assert answer.status_code < 500, answer.get_data(as_text=True)[:300]
    assert not signed_in(browser)
