"""schemathesis against /openapi.json of the real service (gunicorn on the emulators).

Every operation of the document is fuzzed with schemathesis's examples, coverage and fuzzing
phases (positive and negative data), with a fixed seed and a bounded number of cases, and
every response goes through all of schemathesis's response checks: no 5xx, every status and
content type documented, every body valid against its documented schema, invalid requests
rejected, valid ones accepted. Requests carry the bearer token of an admin (made with the
command line, as in production) or of a plain user, alternately; the operations that end
the caller's own account or session get a fresh account each time.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jsonschema_rs
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, assume, settings
from schemathesis import Case, CheckContext, Response
from schemathesis.core.failures import AcceptedNegativeData
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.hypothesis.builder import ApiOperationMark
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from bootstrap import build_app
from tests.fakes.events import RecordingAuditLog
from tests.support.api import PASSWORD
from tests.support.app import fake_adapters, swap
from tests.support.fake_dog_api import running
from tests.support.servers import cli, serving
from tests.support.settings import make_settings

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SEED = int(os.environ.get("FUZZ_SEED", "20261121"))
# Cases per operation and phase: 201 operations x 3 phases take about 170 CPU-seconds
# on the CI's 2 cores; a deeper run asks for more (docs/testing.md, "schemathesis").
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "30"))
# The per-address limits and the failed-login throttle are features with their own
# tests; here they would only turn the fuzzer's own sign-ups and logins into 429s.
UNTHROTTLED = {
    "RATE_LIMIT_REGISTER": "100000/minute",
    "RATE_LIMIT_LOGIN": "100000/minute",
    "RATE_LIMIT_REFRESH": "100000/minute",
    "RATE_LIMIT_FIREBASE": "100000/minute",
    "RATE_LIMIT_PASSKEYS": "100000/minute",
    "RATE_LIMIT_OAUTH_TOKEN": "100000/minute",
    "RATE_LIMIT_OAUTH_INTROSPECT": "100000/minute",
    "RATE_LIMIT_OAUTH_REGISTER": "100000/minute",
    "LOGIN_FAILURES_PER_IP": "100000",
}
# Rules no JSON Schema states: a list of 20,000 common passwords, "letters of any script"
# (and of one script at a time: docs/decisions/0052-look-alike-usernames.md),
# e-mail domains reserved for special use (email-validator), a cursor only the server makes,
# the contents of an uploaded file or of the JSON text in a form field. Data that fits the
# document may break them; a 422 naming them, and only them, is the right answer to it.
BEYOND_THE_DOCUMENT = frozenset(
    {
        "invalid_token",  # a well-formed mail token that no mail carried
        "invalid_merge_token",  # a string of a merge token's form that no upgrade sealed
        "password_too_common",
        "invalid_username",
        "mixed_script_username",
        "email:value_error",
        "invalid_cursor",
        "file:not_utf8",
        "file:nul_byte",
        "file:malformed_csv",
        "file:empty_file",
        "file:no_rows",
        "file:invalid_header",
        "file:invalid_filename",
        "too_many_columns",  # 413s of the CSV reader
        "too_many_rows",
        "field_too_large",
        "row_too_large",
        "schema:invalid_schema",
        "name:invalid_name",
        # a dog's name is checked after NFKC, which may add punctuation ("Ŀ" is "L·")
        "name:invalid_dog_name",
        # WebAuthn: base64url that decodes to no client data, a credential that does not
        # check out (docs/reference/passkeys.md)
        "response.clientDataJSON:invalid_base64url",
        "response.clientDataJSON:invalid_credential",
        "response.userHandle:invalid_base64url",
        "rawId:invalid_base64url",
        "invalid_passkey",
        # an evaluations batch item's part, needed in the item or at the request's top level
        "missing_here_and_at_top",
        # a phone number: changed by a code, on its own (PATCH /user takes it without the
        # profile's fields, and a challenge token only with it), and possible and of a kind
        # a code is texted to by libphonenumber's metadata (docs/reference/phone.md)
        "phone_number:phone_number_alone",
        "challenge_token:unknown_field",
        "phone_number:invalid_phone_number",
        "phone_number:phone_number_type",
        # a webhook URL: a host, no user or password, public outside the local profile
        "url:invalid_webhook_url",
        # an org's slug: a few reserved paths; its roles: none of firegate's own as custom
        # roles, each once, and only those the org names (docs/reference/orgs.md)
        "slug:reserved_slug",
        "custom_roles:invalid_custom_roles",
        # a role's permissions: each an org-defined name or a registered API resource's scope,
        # which no document lists, and each once (docs/reference/orgs.md)
        "permissions:invalid_permissions",
        "permissions:invalid_permission",
        # a role template's name in its path: the document gives the path no pattern
        "role:invalid_role_name",
        # an auth hook's scope: printable ids, none blank (docs/reference/auth-hooks.md); its
        # kind, one the units lend, which the document does not list
        # (docs/decisions/0745-hook-kinds-lent-by-their-askers.md)
        "clients:invalid_hook_scope",
        "orgs:invalid_hook_scope",
        "kind:unknown_hook_kind",
        "roles:invalid_roles",
        "roles:unknown_role",
        # an org's OAuth client: its URIs' schemes and hosts, and token exchange for a
        # confidential client only (docs/reference/oauth.md, "Clients")
        "redirect_uri:invalid_redirect_uri",
        "post_logout_redirect_uri:invalid_redirect_uri",
        "resource:invalid_resource",
        "grant:invalid_grant_type",
        # profile attributes follow the deployment's profile schema, not the document: which
        # names exist, who may write them, their bounds; and the profile schema's own rules,
        # a JSON Schema's, which the document describes only in part (docs/reference/accounts.md)
        "unknown_attribute",
        "attribute_not_writable",
        "invalid_attribute_value",
        "invalid_profile_schema",
        # an app's link: its token and verifier are checked against the code flow that made
        # the link, which no document lists; a challenge's method only with a challenge
        # (docs/reference/app-links.md)
        "invalid_grant",
        "code_challenge_method:code_challenge_required",
    }
)
# Ends the caller's account or session: each case gets an account of its own.
SELF_ENDING = {("DELETE", "/user"), ("POST", "/auth/logout")}


@dataclass
class Target:
    url: str
    admin: str  # bearer tokens
    user: str
    serial: Iterator[int]

    def account(self, role: str = "user") -> str:
        """A new account (with ``role``, set with the CLI) and an access token for it."""
        name = f"zz-fuzzer-{next(self.serial)}"
        body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
        created = requests.post(f"{self.url}/register", json=body, timeout=30)
        assert created.status_code == 201, created.text
        if role != "user":
            cli(["users", "set-role", name, role])
        answer = requests.post(
            f"{self.url}/login", json={"username": name, "password": PASSWORD}, timeout=30
        )
        assert answer.status_code == 200, answer.text
        token: str = answer.json()["access_token"]
        return token


@pytest.fixture(scope="module")
def target(emptied_after: Any) -> Iterator[Target]:
    # Emptied after too: what the fuzzer made (hooks pointing nowhere among it) would meet
    # the next module's server on this worker's emulators.
    emptied_after.wipe()
    with (
        running() as dog_api,
        serving(
            "gunicorn-fuzz.log",
            LOG_LEVEL="WARNING",
            DOG_API_URL=dog_api.url,
            DOG_API_TIMEOUT="0.5",
            **UNTHROTTLED,
        ) as url,
    ):
        target = Target(url=url, admin="", user="", serial=itertools.count())
        target.admin = target.account("admin")
        target.user = target.account()
        served = requests.get(f"{url}/openapi.json", timeout=30).json()
        assert served == DOCUMENT, "the service serves another document than the code makes"
        yield target


CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {
            "max-examples": MAX_EXAMPLES,
            "database": "none",
            # The test sets Authorization itself (a real token); ignored_auth still sends
            # each operation without it and with a bad one.
            "with-security-parameters": False,
        },
        "checks": {"enabled": True},
    }
)


def generated_document() -> dict[str, Any]:
    """/openapi.json as the code generates it (the app on fakes, no I/O).

    schemathesis builds one pytest item per operation at collection time, before any server
    runs; ``target`` checks that the running service serves exactly this document.
    """
    settings = make_settings()
    app = build_app(settings, swap(fake_adapters(settings), audit=RecordingAuditLog()))
    document: dict[str, Any] = app.test_client().get("/openapi.json").get_json()
    return document


def in_a_fixed_order(document: dict[str, Any]) -> dict[str, Any]:
    """The document with each path's operations sorted: a route's methods are a set, whose
    order follows the process's hash seed, and pytest-xdist's workers must all collect the
    same items in the same order (docs/testing.md#parallel-workers)."""
    paths = {path: dict(sorted(item.items())) for path, item in document["paths"].items()}
    return {**document, "paths": paths}


DOCUMENT = generated_document()
schema = schemathesis.openapi.from_dict(in_a_fixed_order(DOCUMENT), config=CONFIG)
turns = itertools.count()


@schemathesis.check
def positive_data_acceptance_within_the_document(
    ctx: CheckContext, response: Response, case: Case[Any]
) -> bool | None:
    """schemathesis's ``positive_data_acceptance``, except for BEYOND_THE_DOCUMENT rules."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        problem = response.json() if response.status_code in (400, 413, 422) else {}
        named = [(e["field"], e["code"]) for e in problem.get("errors") or ()]
        named = named or [("", problem.get("code", ""))]
        if all(
            code in BEYOND_THE_DOCUMENT or f"{field}:{code}" in BEYOND_THE_DOCUMENT
            for field, code in named
        ):
            return None
        raise


def path_values_valid_as_decoded(case: Case[Any]) -> bool:
    """Whether only the path was made negative, and each of its values, percent-decoded as
    the server reads it, fits its documented schema."""
    meta = case.meta
    if meta is None or any(
        component.mode.is_negative
        for location, component in meta.components.items()
        if location != ParameterLocation.PATH
    ):
        return False
    operation = DOCUMENT["paths"][case.path][case.method.lower()]
    schemas = {p["name"]: p["schema"] for p in operation["parameters"] if p["in"] == "path"}
    return all(
        isinstance(value, str)
        and jsonschema_rs.validator_for(schemas[name]).is_valid(unquote(value))
        for name, value in (case.path_parameters or {}).items()
    )


@schemathesis.check
def negative_data_rejection_as_sent(
    ctx: CheckContext, response: Response, case: Case[Any]
) -> bool | None:
    """schemathesis's ``negative_data_rejection``, except where what was sent is valid:
    a multipart body whose undeclared fields were all left out on the wire (a form part
    cannot be null or an empty list), or a path parameter made "invalid" with percent
    escapes, which go out as they are and arrive decoded (``%C3%9C...`` is ``Ü...``)."""
    try:
        return negative_data_rejection(ctx, response, case)
    except AcceptedNegativeData:
        if path_values_valid_as_decoded(case):
            return None
        if case.media_type == "multipart/form-data":
            operation = DOCUMENT["paths"][case.path][case.method.lower()]
            reference = operation["requestBody"]["content"][case.media_type]["schema"]["$ref"]
            model = DOCUMENT["components"]["schemas"][reference.rpartition("/")[2]]
            body = response.request.body or b""
            body = body.encode() if isinstance(body, str) else body
            sent = set(re.findall(rb'form-data; name="([^"]*)"', body or b""))
            declared = {name.encode() for name in model["properties"]}
            required = {name.encode() for name in model.get("required", ())}
            if required <= sent <= declared:
                return None
        raise


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A parameter of each operation's item, so that its id names the operation: pytest 9
    gives schemathesis's items the id of the test function alone (without the "[GET /user]"
    of their names), and pytest-xdist, which tells items apart by id, would run one of the 98
    (docs/testing.md#parallel-workers)."""
    if "operation" in metafunc.fixturenames:
        found = ApiOperationMark.get(metafunc.function)
        label = found.label if found is not None else metafunc.definition.name
        metafunc.parametrize("operation", [label], ids=["fuzzed"])


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_openapi_document_holds_for_every_operation(
    case: Case[Any], target: Target, operation: str
) -> None:
    assert case.operation.label == operation
    # A path value that spells another documented resource (/orgs/suggested for /orgs/{org})
    # reaches that resource, as it should: such a case is that other operation's to test.
    assume(not case.path_parameters or unquote(case.formatted_path) not in DOCUMENT["paths"])
    if (case.method.upper(), case.path) in SELF_ENDING:
        token = target.account()
    else:
        token = target.admin if next(turns) % 2 else target.user
    case.call_and_validate(
        base_url=target.url,
        headers={"Authorization": f"Bearer {token}"},
        # replaced by the variants above
        excluded_checks=[positive_data_acceptance, negative_data_rejection],
        timeout=30,
    )
