"""The Config OP plan (``oidcc-config-certification-test-plan``): its one module, with the
plan's variant (discovery, a static client), asserting what the module's conditions assert
(docs/conformance.md)."""

from __future__ import annotations

import re

import pytest

from tests.support.conformance import ISSUER, Suite

pytestmark = pytest.mark.conformance

DISCOVERY = "/.well-known/openid-configuration"
# BCP 47's shape (CheckDiscEndpointLocalesSyntax): a language, then subtags
LANGUAGE_TAG = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")


def test_oidcc_discovery_endpoint_verification(secret_suite: Suite) -> None:
    answer = secret_suite.browser.get(DISCOVERY)
    # EnsureDiscoveryEndpointResponseStatusCodeIs200, CheckDiscoveryEndpointReturnedJsonContentType
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    found = answer.get_json()
    # CheckDiscEndpointDiscoveryUrl, CheckDiscEndpointIssuer, CheckDiscEndpointIssuerIsValidUrl:
    # the issuer with /.well-known/openid-configuration appended is where it was found
    assert found["issuer"] == ISSUER and (ISSUER + DISCOVERY).startswith(found["issuer"])
    assert not found["issuer"].endswith("/") and "?" not in found["issuer"]
    # OIDCCCheckDiscEndpointResponseTypesSupported: one of OpenID Connect's, code here
    assert "code" in found["response_types_supported"]
    # CheckDiscEndpointSubjectTypesSupported
    assert set(found["subject_types_supported"]) <= {"public", "pairwise"}
    assert found["subject_types_supported"]
    # OIDCCCheckDiscEndpointIdTokenSigningAlgValuesSupported: RS256 among them, never none
    assert "RS256" in found["id_token_signing_alg_values_supported"]
    assert "none" not in found["id_token_signing_alg_values_supported"]
    # CheckDiscEndpointAuthorizationEndpoint, ...TokenEndpoint, ...UserinfoEndpoint, CheckJwksUri,
    # CheckDiscEndpointAllEndpointsAreHttps
    for name in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri"):
        assert found[name].startswith("https://"), name
    for name, value in found.items():
        if name.endswith("_endpoint") or name.endswith("_uri"):
            assert value.startswith("https://"), name
    # FetchServerKeys, ValidateJwksSequence: public keys only, each with a distinct kid
    keys = secret_suite.get_json(secret_suite.path(found["jwks_uri"]))["keys"]
    kids = [key["kid"] for key in keys]
    assert kids and len(kids) == len(set(kids))
    private = {"d", "p", "q", "dp", "dq", "qi", "k"}
    assert all(not private & set(key) for key in keys)
    assert any(key["kty"] == "RSA" for key in keys)
    # CheckDiscEndpointRequestParameterSupported, ...RequestUriParameterSupported (INFO): said
    assert found["request_parameter_supported"] is False
    assert found["request_uri_parameter_supported"] is False
    # CheckDiscEndpointClaimsParameterSupported (INFO), OIDCCCheckDiscEndpointClaimsSupported
    assert found["claims_parameter_supported"] is True
    assert {"sub", "iss", "auth_time", "name", "email"} <= set(found["claims_supported"])
    # OIDCCCheckDiscEndpointGrantTypesSupported: a non-empty array
    assert "authorization_code" in found["grant_types_supported"]
    # CheckDiscEndpointScopesSupportedContainsOpenId, CheckDiscEndpointScopesSupportedSyntax
    assert "openid" in found["scopes_supported"]
    assert all(re.fullmatch(r"[\x21\x23-\x5b\x5d-\x7e]+", s) for s in found["scopes_supported"])
    # CheckDiscEndpointLocalesSyntax, CheckDiscEndpointLocalesCanonicalCasing
    assert all(LANGUAGE_TAG.fullmatch(tag) for tag in found["ui_locales_supported"])
    assert "claims_locales_supported" not in found  # accepted, and changes nothing
    # EnsureServerConfigurationCodeChallengeMethodsSupportedIsAnArray
    assert isinstance(found["code_challenge_methods_supported"], list)
    # ValidateServerMetadataAgainstSchema: the types of what the Basic plan reads
    for name in ("claims_parameter_supported", "request_parameter_supported"):
        assert isinstance(found[name], bool)
    for name in ("display_values_supported", "token_endpoint_auth_methods_supported"):
        assert isinstance(found[name], list) and all(isinstance(v, str) for v in found[name])
    assert {"page", "popup"} <= set(found["display_values_supported"])
