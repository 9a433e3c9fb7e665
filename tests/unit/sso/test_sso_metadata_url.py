"""A SAML IdP configured by its metadata URL, on the fakes: fetched once when given, through
the webhooks' rules (a public address, pinned; no redirect; 256 KB), read as pasted metadata
is, the URL kept and shown; each refusal a 422 naming ``saml.metadata_url``
(docs/reference/sso.md, "A SAML identity provider")."""

from __future__ import annotations

import pytest
from werkzeug.test import TestResponse

from bootstrap.sso import SsoAdapters
from tests.fakes.kernel import FakeHostResolver
from tests.fakes.sso import FakeDocumentGetter
from tests.support.api import assert_field_error
from tests.support.saml import certificate, idp_metadata
from tests.support.sso_world import draft_connection

pytestmark = pytest.mark.unit

URL = "https://idp.example.com/app/metadata"
PUBLIC = "93.184.215.14"


class Setup:
    """An org with a SAML connection, in production (the local profile checks no address,
    as for webhooks) unless told otherwise."""

    def __init__(self, *, local: bool = False) -> None:
        self.world, self.alice, self.cid = draft_connection("saml", local=local)
        self.client = self.world.client
        sso = self.world.adapters.of(SsoAdapters)
        assert isinstance(sso.metadata_getter, FakeDocumentGetter)
        assert isinstance(sso.metadata_resolver, FakeHostResolver)
        self.getter, self.resolver = sso.metadata_getter, sso.metadata_resolver
        self.resolver.names["idp.example.com"] = [PUBLIC]

    def patch(self, saml: dict[str, object]) -> TestResponse:
        return self.client.patch(
            f"/orgs/acme/connections/{self.cid}", json={"saml": saml}, headers=self.alice
        )


def test_metadata_fetched_at_its_url_configures_the_idp_and_the_url_is_kept() -> None:
    setup = Setup()
    _, der = certificate()
    setup.getter.documents[URL] = idp_metadata(certificates=(der,))
    answer = setup.client.patch(
        f"/orgs/acme/connections/{setup.cid}",
        json={"saml": {"metadata_url": URL}, "status": "active"},
        headers=setup.alice,
    )
    assert answer.status_code == 200, answer.get_json()
    saml = answer.get_json()["saml"]
    assert (saml["entity_id"], saml["sso_url"], saml["metadata_url"]) == (
        "https://idp.example.com/metadata",
        "https://idp.example.com/sso",
        URL,
    )
    assert [c["der"] for c in saml["certificates"]] == [der]
    # Fetched once, at the very address the host was checked to resolve to.
    assert setup.getter.asked == [(URL, PUBLIC)]
    shown = setup.client.get(f"/orgs/acme/connections/{setup.cid}", headers=setup.alice)
    assert shown.get_json()["saml"]["metadata_url"] == URL

    # Metadata pasted later replaces it: the URL no longer says where it came from.
    pasted = setup.patch({"metadata_xml": idp_metadata(certificates=(der,))})
    assert pasted.get_json()["saml"]["metadata_url"] == ""
    assert len(setup.getter.asked) == 1


@pytest.mark.parametrize(
    ("url", "answer", "code"),
    [
        (URL, None, "metadata_unreachable"),  # nothing answers
        (URL, 302, "metadata_unreachable"),  # a redirect is not followed
        (URL, 404, "metadata_unreachable"),
        (URL, "<html>not metadata</html>", "invalid_metadata"),
        (URL, "<x/>" + " " * (256 * 1024), "metadata_too_large"),
        ("https://nowhere.example.com/m", None, "metadata_unreachable"),  # no address
        ("https://10.0.0.7/metadata", "<x/>", "metadata_private_address"),
        ("https://169.254.169.254/latest", "<x/>", "metadata_private_address"),
        ("https://inside.example.com/m", "<x/>", "metadata_private_address"),
        ("http://127.0.0.1:8000/metadata", "<x/>", "metadata_private_address"),
        ("http://idp.example.com/metadata", "<x/>", "https_required"),
        ("not a url", "<x/>", "invalid_url"),
    ],
)
def test_metadata_url_refusals_are_422_on_the_field(
    url: str, answer: str | int | None, code: str
) -> None:
    setup = Setup()
    setup.resolver.names["inside.example.com"] = [PUBLIC, "192.168.1.4"]  # one private is enough
    if answer is not None:
        setup.getter.documents[url] = answer
    refused = setup.patch({"metadata_url": url})
    assert_field_error(refused, "saml.metadata_url", code)
    stored = setup.client.get(f"/orgs/acme/connections/{setup.cid}", headers=setup.alice)
    assert stored.get_json()["saml"]["metadata_url"] == ""
    if code in ("metadata_private_address", "https_required", "invalid_url"):
        assert setup.getter.asked == []  # never asked for


def test_the_local_profile_fetches_from_this_machine_as_webhooks_may() -> None:
    setup = Setup(local=True)
    _, der = certificate()
    local = "http://127.0.0.1:8123/metadata"
    setup.getter.documents[local] = idp_metadata(certificates=(der,))
    answer = setup.patch({"metadata_url": local})
    assert answer.status_code == 200, answer.get_json()
    assert setup.getter.asked == [(local, None)]


def test_metadata_xml_and_url_together_are_refused() -> None:
    setup = Setup()
    refused = setup.patch({"metadata_url": URL, "metadata_xml": idp_metadata()})
    assert_field_error(refused, "saml", "metadata_url_or_xml")
