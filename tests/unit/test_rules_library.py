"""firegate's rules library (``rules export``; docs/organizations.md): the shipped
``firestore.rules`` holds it as exported, the command prints it or brings a file's block up
to date, and its paths are the Firestore adapters' own."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask

from domain.accounts.signups import ALLOWED
from domain.accounts.users import User
from domain.provider.grants import Grant
from infrastructure.firestore.accounts.users import USERS, user_to_doc
from infrastructure.firestore.orgs.documents import TOKEN_VERSION
from infrastructure.firestore.orgs.membership_writes import MEMBERS, ORGS
from infrastructure.firestore.provider.oauth import OAUTH_GRANTS, grant_to_doc
from interfaces.cli.rules import BEGIN, END, FUNCTIONS, library, with_library

pytestmark = pytest.mark.unit

GRANT = Grant("g", "u", "c", "openid", datetime(2026, 1, 1, tzinfo=UTC), 0)
SHIPPED = Path(__file__).resolve().parents[2] / "firestore.rules"


def test_the_shipped_rules_hold_the_library_as_exported() -> None:
    shipped = SHIPPED.read_text(encoding="utf-8")
    assert shipped.count(BEGIN) == 1 and library() in shipped
    assert with_library(shipped) == shipped
    functions = (
        "isMember(org)",
        "hasRole(org, role)",
        "hasPermission(org, permission)",
        "actingAgent()",
        "agentMay(scope)",
        "isGuest()",
        "notImpersonated()",
    )
    for function in functions:
        assert f"    function {function} {{" in shipped


def test_the_library_reads_the_documents_the_adapters_write() -> None:
    assert f"/documents/{USERS}/$(uid)" in FUNCTIONS
    assert f"/documents/{ORGS}/$(org)/{MEMBERS}/$(request.auth.uid)" in FUNCTIONS
    assert f"'{TOKEN_VERSION}'" in FUNCTIONS  # the membership's copy of the account's


def test_a_member_is_one_read_the_membership() -> None:
    # isMember (and so hasRole and hasPermission) reads the membership alone: neither the
    # account, whose revocations its membership copies, nor the org, whose deletion moves
    # every membership's version on. Only a membership without the copy (written before
    # firegate kept it) reads the account.
    member = FUNCTIONS[FUNCTIONS.index("function isMember(org)") :]
    member = member[: member.index("    }\n")]
    assert "get(/databases" not in member
    assert member.count("isFiregateAccount") == 1
    assert "member.get('token_version', null) == null\n          ? isFiregateAccount" in member
    # users/{uid} for the account's own data, the membership, and the grants of an agent's
    # token (its own, and the person's grant to each agent of a chain, at most three), read
    # only where an agent acts (``act``)
    assert FUNCTIONS.count("get(/databases") == 3 and FUNCTIONS.count(" get(") == 3
    assert "get('act', null) == null\n        || (request.auth.token.get('impersonation_ends'" in (
        FUNCTIONS
    )
    assert ": firegateGrantHolds());" in FUNCTIONS
    assert "firegateGrantLive(request.auth.token.grant_id)" in FUNCTIONS
    for index in range(3):
        assert f"(agents.size() < {index + 1} || firegateGrantLive(agents[{index}]))" in FUNCTIONS
    assert "agents.size() <= 3" in FUNCTIONS  # a longer list is refused, never cut


def test_a_guest_is_its_custom_tokens_claim_and_its_account_as_stored() -> None:
    """isGuest() asks the claim firegate's custom token carries for a guest, and the account
    the adapter stores, whose ``guest`` ends at the upgrade; no read of its own."""
    guest = FUNCTIONS[FUNCTIONS.index("function isGuest()") :]
    guest = guest[: guest.index("    }\n")]
    assert "request.auth.token.get('guest', false) == true" in guest
    assert "isFiregateAccount(request.auth.uid)" in guest
    assert "firegateAccount(request.auth.uid).get('guest', false) == true" in guest
    assert "get(/databases" not in guest
    made = User.new_guest(id="g", now=datetime(2026, 1, 1, tzinfo=UTC), admitted=ALLOWED)
    assert user_to_doc(made)["guest"] is True


def test_an_agents_grant_is_read_where_the_adapters_write_it() -> None:
    assert f"/documents/{OAUTH_GRANTS}/$(id)" in FUNCTIONS
    for field in ("user_id", "issued", "revoked"):
        assert f"grant.get('{field}'" in FUNCTIONS
        assert field in grant_to_doc(GRANT)


def test_export_prints_the_library_alone_and_writes_nothing(
    fake_app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = fake_app.test_cli_runner().invoke(args=["rules", "export"])
    assert result.exit_code == 0, result.output
    assert result.stdout == library() and result.stderr == ""  # `| pbcopy`, `> firegate.rules`
    assert list(tmp_path.iterdir()) == []  # no file left behind (docs/organizations.md)


def test_export_brings_a_rules_files_block_up_to_date(fake_app: Flask, tmp_path: Path) -> None:
    rules = tmp_path / "firestore.rules"
    head = "rules_version = '2';\nservice cloud.firestore {\n  match /databases/{d}/documents {\n"
    tail = "    match /x/{id} {\n      allow read: if isMember(id);\n    }\n  }\n}\n"
    rules.write_text(f"{head}{BEGIN}\n    function old() {{ return 1; }}\n{END}\n{tail}")
    result = fake_app.test_cli_runner().invoke(args=["rules", "export", "--into", str(rules)])
    assert result.exit_code == 0, result.output
    assert rules.read_text(encoding="utf-8") == head + library() + tail
    assert result.stdout == f"{rules}: firegate.rules brought up to date\n"
    again = fake_app.test_cli_runner().invoke(args=["rules", "export", "--into", str(rules)])
    assert again.stdout == f"{rules}: firegate.rules already up to date\n"
    assert rules.read_text(encoding="utf-8") == head + library() + tail


def test_export_refuses_a_file_without_the_block(fake_app: Flask, tmp_path: Path) -> None:
    rules = tmp_path / "firestore.rules"
    rules.write_text("rules_version = '2';\n")
    result = fake_app.test_cli_runner().invoke(args=["rules", "export", "--into", str(rules)])
    assert result.exit_code == 1 and "no block between" in result.output
    assert rules.read_text(encoding="utf-8") == "rules_version = '2';\n"


def test_support_access_is_its_custom_tokens_claims_and_ends_with_them() -> None:
    """notImpersonated() refuses a custom token of support access (``impersonation_ends``,
    beside its ``act``: docs/support-access.md); such a token is no agent (actingAgent() is
    null, no grant is read) and is let through isFiregateAccount only until its end."""
    helper = FUNCTIONS[FUNCTIONS.index("function notImpersonated()") :]
    helper = helper[: helper.index("    }\n")]
    assert "request.auth.token.get('impersonation_ends', null) == null" in helper
    assert "get(" not in helper.replace(".get(", "")  # no read
    holds = FUNCTIONS[FUNCTIONS.index("function firegateAgentHolds()") :]
    holds = holds[: holds.index("    }\n")]
    assert "request.time.toMillis() < request.auth.token.impersonation_ends * 1000" in holds
    agent = FUNCTIONS[FUNCTIONS.index("function actingAgent()") :]
    agent = agent[: agent.index("    }\n")]
    assert "request.auth.token.get('impersonation_ends', null) == null" in agent
    shipped = SHIPPED.read_text(encoding="utf-8")
    assert "&& notImpersonated();" in shipped[: shipped.index(BEGIN)]  # an example uses it
