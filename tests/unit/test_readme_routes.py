"""The README's route table is the service's front door: it lists exactly the native
operations of the OpenAPI document (the compatibility routes are in docs/migrating.md),
plus the few routes that serve the document and its viewer."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.support.units import of_absent_route

pytestmark = pytest.mark.unit

README = Path(__file__).resolve().parents[2] / "README.md"
ROW = re.compile(r"^\| (GET|POST|PUT|PATCH|DELETE) \| `([^`]+)` \|", re.MULTILINE)
# Where the README groups a capability's routes to stay short (its orgs, SSO and SCIM, the
# resource modules): each path once, its methods beside it, "`/orgs/{org}` (GET, PATCH)".
GROUPED = re.compile(
    r"`(/[^`\s]*)` \(((?:GET|POST|PUT|PATCH|DELETE)(?:, (?:GET|POST|PUT|PATCH|DELETE))*)\)"
)
# Served beside the API but not operations of the document itself.
OUTSIDE_THE_DOCUMENT = {("GET", "/openapi.json"), ("GET", "/docs")}
# SCIM's own protocol, which its discovery endpoints describe rather than the document
# (docs/decisions/0402-scim-by-the-librarys-protocol.md): listed on its page, never missing.
OWN_PROTOCOL = "/scim/v2/"
METHODS = {"get", "post", "put", "patch", "delete"}


def readme_routes() -> set[tuple[str, str]]:
    """The README's own routes, in its table's rows and its grouped lists (no other page's:
    the front door names every route, the reference pages tell them)."""
    text = README.read_text(encoding="utf-8")
    grouped = {
        (method, path) for path, methods in GROUPED.findall(text) for method in methods.split(", ")
    }
    return set(ROW.findall(text)) | grouped


def native_operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS and "compatibility" not in operation.get("tags", [])
    }


def test_the_readme_lists_every_native_route_and_no_other(client: FlaskClient) -> None:
    document: dict[str, Any] = client.get("/openapi.json").get_json()
    listed = readme_routes()
    assert listed, "no route rows found in README.md"
    expected = native_operations(document) | OUTSIDE_THE_DOCUMENT
    missing = sorted(expected - listed)
    extra = sorted(
        row
        for row in listed - expected
        if not row[1].startswith(OWN_PROTOCOL) and not of_absent_route(row[1])
    )
    assert missing == [], f"routes missing from the README's table: {missing}"
    assert extra == [], f"README rows that are not native routes: {extra}"


def test_the_readme_stays_a_front_door() -> None:
    assert len(README.read_text(encoding="utf-8").splitlines()) <= 150


DOCS = README.parent / "docs"
# The guides: every page at the top of docs/ (the reference and the decisions have indexes
# of their own, which these link).
GUIDES = sorted(page.name for page in DOCS.glob("*.md") if page.name != "index.md")


def linked_pages(text: str, prefix: str) -> set[str]:
    return set(re.findall(r"\]\(" + re.escape(prefix) + r"([\w-]+\.md)(?:#[\w-]+)?\)", text))


@pytest.mark.parametrize(
    ("home", "prefix"), [(README, "docs/"), (DOCS / "index.md", "")], ids=["README", "docs"]
)
def test_the_front_doors_link_every_guide(home: Path, prefix: str) -> None:
    """The README's Documentation list and the docs' home each link every guide (the
    providers', the agents', migrating, the pages...)."""
    missing = set(GUIDES) - linked_pages(home.read_text(encoding="utf-8"), prefix)
    assert not missing, f"{home.name} links none of {sorted(missing)}"


def test_the_sites_navigation_has_every_guide() -> None:
    nav = (README.parent / "mkdocs.yml").read_text(encoding="utf-8").partition("\nnav:")[2]
    listed = set(re.findall(r": \"?([\w/-]+\.md)\"?$", nav, re.MULTILINE))
    assert set(GUIDES) - listed == set()


def test_the_pages_guide_describes_connected_accounts() -> None:
    """Connected accounts are part of the account area: the pages' guide says where they
    are and what their forms post to."""
    pages = (DOCS / "pages.md").read_text(encoding="utf-8")
    assert "### Connected accounts" in pages
    for path in (
        "/account/identities/{provider}/disconnect",
        "/sign-in/with/{id}",
        "/sign-in/connect",
    ):
        assert f"`{path}" in pages, path


def test_the_sites_navigation_lists_each_page_once() -> None:
    nav = (README.parent / "mkdocs.yml").read_text(encoding="utf-8").partition("\nnav:")[2]
    listed = re.findall(r": \"?([\w/-]+\.md)\"?$", nav, re.MULTILINE)
    assert sorted({page for page in listed if listed.count(page) > 1}) == []


def opening(page: Path) -> str:
    """What a front door says before its first command: what firegate is."""
    text = page.read_text(encoding="utf-8")
    return text[: text.index("```")]


@pytest.mark.parametrize("home", [README, DOCS / "index.md"], ids=["README", "docs"])
def test_the_front_doors_lead_with_what_firegate_is_for(home: Path) -> None:
    """Accounts and sign-in, organizations with SSO and SCIM, the OpenID provider first;
    the template resource modules after them."""
    said = opening(home)
    places = [
        said.find(words)
        for words in ("sign-in", "Organizations", "single sign-on", "SCIM", "OpenID Connect")
    ]
    assert -1 not in places, said
    assert max(places) < said.index("tasks"), said


def test_the_provisioning_guide_makes_the_scim_token_on_the_page() -> None:
    guide = (DOCS / "provisioning.md").read_text(encoding="utf-8")
    step = guide[guide.index("**Make a SCIM token**") :].partition("\n3. ")[0]
    first = step.partition("\n")[0]
    assert "/account/orgs/acme/scim" in first and "with the API" not in first, step
