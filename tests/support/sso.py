"""Fixtures of an org with a verified domain and an active SAML connection on the fakes
(tests/support/sso_world.py), shared by the tests of signing in through it, and where the
sign-in page sends a browser on to it (docs/reference/sso.md, "Signing in")."""

from __future__ import annotations

import pytest
from werkzeug.test import TestResponse

from tests.support.saml_idp import KeyPair, key_pair
from tests.support.sso_world import SamlSso, saml_sso


@pytest.fixture(scope="module")
def idp_keys() -> KeyPair:
    """The IdP's key, one per test module (an RSA key takes a while to make)."""
    return key_pair()


@pytest.fixture
def sso(idp_keys: KeyPair) -> SamlSso:
    """Org ``corp`` (owner olga) with ``corp.example`` verified and an active SAML connection
    to pysaml2's IdP (``mail`` the address, ``groups`` IT → admin)."""
    return saml_sso(idp_keys)


def onward(answer: TestResponse, status: int = 200) -> str:
    """Where the sign-in page's "on to the single sign-on" answer leads: a page that goes on
    by itself (``Refresh``) and links there (a form's answer cannot redirect to the IdP's
    site under the pages' CSP); ``status``: 403 where a sign-in was refused for it."""
    assert answer.status_code == status, answer.get_data(as_text=True)
    delay, _, target = answer.headers["Refresh"].partition("; url=")
    assert delay == "0" and target.startswith("/sso/")
    assert f'<a href="{target.replace("&", "&amp;")}">' in answer.get_data(as_text=True)
    return target
