"""Every stable code an API answer can carry is listed in docs/reference/errors.md, the page
that says "the `code` of each `errors[]` item is one of the codes above": read from the
source of every capability in every layer (``src/``) but the pages, so that a new one cannot
slip past the list.

What is read: a literal ``code=`` (or ``taken_code=``) of a call, the code of a field error
(``InvalidInput.field``, ``FieldError``), the ``code`` argument of a module's own helper that
takes one (``_url_refused(message, code)``, ``_file_error``, ``_problem``, ...), a module-level
string constant given as any of these (``code=INVALID_TOKEN``), and an error class's own
``code = "..."``.

The pages (``src/interfaces/web``) are left out: their form codes are said on the page itself
or to the pages' own script, never to an API client; what the pages share with the API lives
in the other layers and is read there. SCIM's answers carry SCIM's ``scimType``, but
firegate's code starts their ``detail`` (``interfaces/scim/serving.py``), so SCIM's codes are
read and listed too.

Codes built at runtime the scan cannot see are listed by hand in ``BUILT_AT_RUNTIME``, each
with where it is built; the pydantic error types and ``http_<status>`` the page names as
families."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
ERRORS = ROOT / "docs" / "reference" / "errors.md"
# The position of a field error's code in these calls, wherever they are defined.
FIELD_CODE = {"field": 2, "FieldError": 2}
CODE_KEYWORDS = ("code", "taken_code")
BUILT_AT_RUNTIME = {
    # domain/orgs/orgs.py, _flag: f"invalid_{name}" of an org's boolean fields
    "invalid_require_sso": "domain/orgs/orgs.py",
    "invalid_require_mfa": "domain/orgs/orgs.py",
    # application/sso/connections.py, _section: "invalid_" + name of a connection's objects
    "invalid_mapping": "application/sso/connections.py",
    "invalid_oidc": "application/sso/connections.py",
    "invalid_saml": "application/sso/connections.py",
    # application/sso/connections.py, _encryption_rules: f"invalid_{name}" of its booleans
    "invalid_allow_cbc": "application/sso/connections.py",
    "invalid_require_encrypted": "application/sso/connections.py",
    # domain/accounts/profile.py, check_name: "invalid_" + a profile's name field
    "invalid_name": "domain/accounts/profile.py",
    "invalid_last_name": "domain/accounts/profile.py",
    "invalid_full_name": "application/migration/records.py",
    # domain/sso/connections.py, checked_text: "invalid_" + an OpenID connection's field
    "invalid_client_id": "domain/sso/connections.py",
    "invalid_client_secret": "domain/sso/connections.py",
    # infrastructure/firestore/migration/user_moves.py, _TAKEN: what an imported user finds taken
    "id_taken": "infrastructure/firestore/migration/user_moves.py",
    "username_taken": "infrastructure/firestore/migration/user_moves.py",
    "email_taken": "infrastructure/firestore/migration/user_moves.py",
    "identity_taken": "infrastructure/firestore/migration/user_moves.py",
    "phone_number_taken": "infrastructure/firestore/migration/user_moves.py",
}


def sources() -> Iterator[Path]:
    for path in sorted(SRC.rglob("*.py")):
        if path.relative_to(SRC).parts[:2] != ("interfaces", "web"):
            yield path


def constants(tree: ast.Module) -> dict[str, str]:
    """A module's upper-case string constants: ``NAME = "..."`` and ``A, B = "...", "..."``."""
    found: dict[str, str] = {}
    for node in tree.body:
        if not isinstance(node, ast.Assign) or len(node.targets) != 1:
            continue
        target, value = node.targets[0], node.value
        pairs = (
            zip(target.elts, value.elts, strict=False)
            if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple)
            else [(target, value)]
        )
        for name, given in pairs:
            if (
                isinstance(name, ast.Name)
                and name.id.isupper()
                and isinstance(given, ast.Constant)
                and isinstance(given.value, str)
            ):
                found[name.id] = given.value
    return found


def helpers(tree: ast.Module) -> dict[str, int]:
    """A module's own functions with a ``code`` parameter, and its position."""
    return {
        node.name: [a.arg for a in node.args.args].index("code")
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and "code" in [a.arg for a in node.args.args]
    }


def codes_in(tree: ast.Module, known: dict[str, str]) -> set[str]:
    """The codes ``tree`` gives; ``known``: every module's constants (``constants``)."""
    positions = FIELD_CODE | helpers(tree)
    given: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            given += [
                s.value
                for s in node.body
                if isinstance(s, ast.Assign | ast.AnnAssign)
                and s.value is not None
                and any(
                    isinstance(t, ast.Name) and t.id in CODE_KEYWORDS
                    for t in (s.targets if isinstance(s, ast.Assign) else [s.target])
                )
            ]
        if not isinstance(node, ast.Call):
            continue
        given += [kw.value for kw in node.keywords if kw.arg in CODE_KEYWORDS]
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        at = positions.get(name)
        if at is not None and len(node.args) > at:
            given.append(node.args[at])
    found = {g.value for g in given if isinstance(g, ast.Constant) and isinstance(g.value, str)}
    found.discard("")  # a dataclass's field named code (application/signin/factors/totp.py)
    return found | {known[g.id] for g in given if isinstance(g, ast.Name) and g.id in known}


@pytest.fixture(scope="module")
def codes() -> dict[Path, set[str]]:
    """Each module's codes, read once for both tests, when they run: at the module's import,
    every worker that collects it parsed all of ``src/`` (~3 s of CPU), the one that runs it
    included."""
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in sources()}
    known = {k: v for tree in trees.values() for k, v in constants(tree).items()}
    return {path: codes_in(tree, known) for path, tree in trees.items()}


def test_the_scan_reads_every_capabilitys_codes(codes: dict[Path, set[str]]) -> None:
    every = set().union(*codes.values())
    assert {
        "connection_not_found",  # code=, sso
        "https_required",  # a module's helper (_url_refused), sso
        "last_owner",  # orgs
        "scim_user_not_found",  # scim
        "webhook_not_found",  # events
        "invalid_redirect_uri",  # a field error, clients
        "invalid_credentials",  # a module's constant, signin
        "sso_required",  # an error class's own code
        "sign_in_to_link",  # taken_code's default, federation
        "metadata_unreachable",  # _url_refused as the code= keyword
    } <= every


def test_every_code_an_api_answers_is_listed(codes: dict[Path, set[str]]) -> None:
    listed = set(re.findall(r"`([a-z0-9_]+)`", ERRORS.read_text(encoding="utf-8")))
    missing = {
        code: path.relative_to(ROOT).as_posix()
        for path, found in codes.items()
        for code in found
        if code not in listed
    } | {code: f"src/{where}" for code, where in BUILT_AT_RUNTIME.items() if code not in listed}
    assert missing == {}, f"{len(missing)} codes not in docs/reference/errors.md"
