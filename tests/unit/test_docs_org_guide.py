"""The guide "Organizations for B2B apps" (docs/organizations.md) says what firegate does: each
block of the docs marked as quoted from firestore.rules is the shipped file's text, and the
guide's Python reads the org claim of firegate's own access tokens."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jwt
import pytest

from bootstrap import build_app
from domain.signin.active_org import ActiveOrg
from infrastructure.settings.orgs_and_apps.provider import ProviderSettings
from tests.fakes.kernel import InMemoryStore
from tests.support.api import bearer, login, register
from tests.support.app import fake_adapters
from tests.support.settings import make_settings

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "organizations.md"
QUOTED = re.compile(r"<!-- quoted from firestore\.rules -->\n```[a-z]*\n(.*?)\n```", re.S)
PYTHON = re.compile(r"```python\n(.*?)\n```", re.S)
ACME = ActiveOrg(
    id="org1Xq_AcmeId00",
    slug="acme",
    roles=("member", "billing"),
    version=1,
    permissions=("invoices:read",),
)


def paragraphs(text: str) -> list[list[str]]:
    return [block.splitlines() for block in re.split(r"\n\s*\n", text) if block.strip()]


def quoted_in_order(quote: str, source: list[str]) -> bool:
    """Each paragraph of ``quote`` stands in ``source`` line for line, indented alike, after
    the one before it."""
    start = 0
    for lines in paragraphs(quote):
        for at in range(start, len(source) - len(lines) + 1):
            indent = source[at][: len(source[at]) - len(source[at].lstrip())]
            if all(source[at + n] == indent + line for n, line in enumerate(lines)):
                start = at + len(lines)
                break
        else:
            return False
    return True


def test_the_rules_the_docs_quote_are_the_shipped_ones() -> None:
    rules = (ROOT / "firestore.rules").read_text(encoding="utf-8").splitlines()
    quotes = {
        (page.relative_to(ROOT).as_posix(), n): quote
        for page in sorted((ROOT / "docs").rglob("*.md"))
        for n, quote in enumerate(QUOTED.findall(page.read_text(encoding="utf-8")))
    }
    assert ("docs/organizations.md", 0) in quotes
    assert [where for where, quote in quotes.items() if not quoted_in_order(quote, rules)] == []


def test_a_changed_rule_no_longer_counts_as_quoted() -> None:
    rules = ["match /x {", "  allow read: if true;", "}", "", "function f() {", "  return 1;", "}"]
    assert quoted_in_order("match /x {\n  allow read: if true;\n}", rules)
    assert quoted_in_order("match /x {\n  allow read: if true;\n}\n\nfunction f() {", rules)
    assert not quoted_in_order("match /x {\n  allow read: if false;\n}", rules)
    assert not quoted_in_order("function f() {\n\nmatch /x {", rules)  # out of order


def test_the_guides_python_reads_the_org_of_firegates_access_tokens(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pem = make_settings().group(ProviderSettings).oidc_private_key
    assert pem is not None
    settings = make_settings(jwt_secret=None, jwt_private_key=pem.get_secret_value())
    store = InMemoryStore()
    client = build_app(settings, fake_adapters(settings, store)).test_client()
    jwks = client.get("/.well-known/jwks.json").get_json()
    monkeypatch.setattr(jwt.PyJWKClient, "fetch_data", lambda self: jwks)  # no network
    (code,) = PYTHON.findall(GUIDE.read_text(encoding="utf-8"))
    example: dict[str, Any] = {}
    exec(compile(code, str(GUIDE), "exec"), example)  # noqa: S102 - the guide's own code
    org_of = example["org_of"]

    user_id = register(client, "alice")["id"]
    token = login(client, "alice")
    assert org_of(token) is None  # no active org
    # The active org as the session's one read finds it (the fakes keep it apart).
    store.active_orgs[(ACME.id, user_id)] = ACME
    switched = client.post("/auth/org", json={"org": "acme"}, headers=bearer(token))
    assert switched.status_code == 200, switched.get_json()
    in_org = switched.get_json()["access_token"]
    assert org_of(in_org) == {
        "id": ACME.id,
        "slug": "acme",
        "roles": ["member", "billing"],
        "permissions": ["invoices:read"],
    }
    head, body, signature = in_org.split(".")
    with pytest.raises(jwt.InvalidTokenError):
        org_of(f"{head}.{body}.{signature[::-1]}")  # not firegate's signature
    # The same claims, signed by the same key, but not typed as an access token.
    header = jwt.get_unverified_header(in_org)
    retyped = jwt.encode(
        jwt.decode(in_org, options={"verify_signature": False}),
        pem.get_secret_value(),
        algorithm=header["alg"],
        headers={"kid": header["kid"], "typ": "JWT"},
    )
    with pytest.raises(jwt.InvalidTokenError, match="not an access token"):
        org_of(retyped)
