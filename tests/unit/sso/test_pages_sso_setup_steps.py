"""The setup page's steps at the usual identity providers, on the fakes (docs/pages.md, "Single
sign-on setup"; docs/decisions/0462-the-setup-page-carries-the-idp-steps.md): Okta, Microsoft
Entra ID and Google Workspace, for the connection's kind, linked from the page's top."""

from __future__ import annotations

import re

import pytest

from tests.support.admin_pages import org_owner, post
from tests.support.app import World

pytestmark = pytest.mark.unit

SSO = "/account/orgs/acme/sso"


def setup_page(world: World, kind: str) -> str:
    olga = org_owner(world)
    status, _, body = post(olga, f"{SSO}/setup-links", SSO, connection=f"new-{kind}")
    assert status == 201, body
    url = re.search(r'id="setup-link-url" type="text" readonly value="([^"]+)"', body)
    assert url is not None
    path = url.group(1).split("://", 1)[1].partition("/")[2]
    return world.app.test_client().get("/" + path.replace("&amp;", "&")).get_data(as_text=True)


@pytest.mark.parametrize(
    ("kind", "words"),
    [("saml", "Audience URI: the entity ID"), ("oidc", "https://accounts.google.com")],
)
def test_the_setup_page_links_the_steps_of_each_identity_provider(kind: str, words: str) -> None:
    page = setup_page(World(), kind)
    for anchor in ("steps-okta", "steps-entra", "steps-google"):
        assert f'href="#{anchor}"' in page and f'id="{anchor}"' in page
    assert words in page
    assert "Single sign-on for your customers" in page  # the guide, by its title
