"""Upstream providers: what an admin may configure (presets and their quirks), the CLI's
``providers add|list|delete`` (one line of JSON each; the secret stored sealed, never shown),
and UPSTREAM_PROVIDERS (docs/reference/providers.md)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from bootstrap import build_app
from bootstrap.adapters import Adapters
from bootstrap.federation import FederationAdapters, configured_providers
from bootstrap.signin_adapters import SigninAdapters, secret_box
from domain.errors import InvalidInput, PermissionDenied
from domain.federation.upstream import UpstreamProvider
from infrastructure.settings.identity.federation import FederationSettings
from infrastructure.settings.identity.signin import SignInSettings
from tests.fakes.federation import FakeUpstreamProviders
from tests.support.app import fake_adapters
from tests.support.settings import PRODUCTION_SETTINGS, make_settings

NOW = datetime(2026, 5, 1, tzinfo=UTC)


def configure(**fields: Any) -> UpstreamProvider:
    given: dict[str, Any] = {
        "id": "acme",
        "client_id": "firegate",
        "client_secret": "s3cret",
        "sealed_secret": "sealed",
        "now": NOW,
        "issuer": "https://id.example.com",
    }
    return UpstreamProvider.configure(**(given | fields))


def test_a_preset_knows_where_its_provider_is() -> None:
    google = configure(id="google", preset="google", issuer="")
    assert google.issuer == "https://accounts.google.com"
    assert google.name == "Google" and google.scope == "openid email profile"
    assert google.callback_path() == "/sign-in/with/google/callback"
    github = configure(id="github", preset="github", issuer="")
    assert github.scope == "read:user user:email"  # OAuth 2 only: no openid


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"id": "Has Spaces"}, "id"),
        ({"id": "firebase"}, "id"),  # the Firebase exchange's
        ({"id": "sso-k3v9q2m8x1p0a7d4s6f5"}, "id"),  # an org's connection's identities
        ({"issuer": ""}, "issuer"),
        ({"issuer": "http://id.example.com"}, "issuer"),  # https, or http on this machine only
        ({"preset": "myspace"}, "preset"),
        ({"client_id": " "}, "client_id"),
        ({"scope": "email profile"}, "scope"),  # OpenID needs openid
        ({"preset": "apple", "issuer": ""}, "team_id"),  # Apple's secret needs both ids
    ],
)
def test_a_bad_field_is_named(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as bad:
        configure(**fields)
    assert field in {e.field for e in bad.value.errors}


def test_a_provider_on_this_machine_may_speak_http() -> None:
    assert configure(issuer="http://127.0.0.1:4000/").issuer == "http://127.0.0.1:4000"


def test_microsofts_email_is_never_a_verified_address() -> None:
    microsoft = configure(id="microsoft", preset="microsoft", issuer="")
    assert microsoft.asserts_verified(True) is False
    apple = configure(id="apple", preset="apple", issuer="", team_id="T", key_id="K")
    assert apple.asserts_verified("true") is True  # Apple sends a string
    assert configure().asserts_verified("false") is False


@pytest.fixture
def world() -> tuple[Flask, Adapters]:
    settings = make_settings()
    adapters = fake_adapters(settings)
    return build_app(settings, adapters, configure_logs=False), adapters


def run(app: Flask, *args: str) -> Any:
    result = app.test_cli_runner().invoke(args=["providers", *args])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    return json.loads(lines[0])


def test_providers_add_list_delete_on_the_command_line(world: tuple[Flask, Adapters]) -> None:
    app, adapters = world
    added = run(
        app,
        "add",
        "--id",
        "acme",
        "--issuer",
        "https://id.example.com",
        "--client-id",
        "firegate",
        "--client-secret",
        "s3cret",
        "--name",
        "Acme ID",
    )
    assert added["id"] == "acme" and added["name"] == "Acme ID"
    assert added["callback_path"] == "/sign-in/with/acme/callback"
    assert "s3cret" not in json.dumps(added)
    stored = adapters.of(FederationAdapters).upstream_providers.get("acme")
    assert stored is not None and "s3cret" not in stored.sealed_secret
    assert (
        adapters.of(SigninAdapters).secret_box.open(stored.sealed_secret) == "s3cret"
    )  # sealed at rest
    run(
        app,
        "add",
        "--id",
        "google",
        "--preset",
        "google",
        "--client-id",
        "g",
        "--client-secret",
        "x",
    )
    assert [p["id"] for p in run(app, "list")] == ["acme", "google"]
    assert run(app, "delete", "acme") == {"deleted": "acme"}
    assert [p["id"] for p in run(app, "list")] == ["google"]


def test_the_command_line_says_what_is_wrong(world: tuple[Flask, Adapters]) -> None:
    app, _ = world
    runner = app.test_cli_runner()
    bad = runner.invoke(
        args=["providers", "add", "--id", "acme", "--client-id", "x", "--client-secret", "y"]
    )
    assert bad.exit_code != 0 and "issuer" in bad.output
    gone = runner.invoke(args=["providers", "delete", "nobody"])
    assert gone.exit_code != 0 and "No such provider" in gone.output


APPLE_KEY = (
    "-----BEGIN PRIVATE KEY-----\nMIGTAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBHkwdwIBAQQg\n"
    "-----END PRIVATE KEY-----"
)


def test_a_client_secret_of_dash_is_read_from_standard_input(
    world: tuple[Flask, Adapters],
) -> None:
    """``--client-secret -``: the secret (an Apple key's several lines) comes from standard
    input, so that it is on no command line, and is stored as given, sealed."""
    app, adapters = world
    args = ["providers", "add", "--id", "acme", "--issuer", "https://id.acme.example",
            "--client-id", "firegate", "--client-secret", "-"]  # fmt: skip
    result = app.test_cli_runner().invoke(args=args, input=APPLE_KEY + "\n")
    assert result.exit_code == 0, result.output
    assert "PRIVATE KEY" not in result.output
    stored = adapters.of(FederationAdapters).upstream_providers.get("acme")
    assert (
        stored is not None
        and adapters.of(SigninAdapters).secret_box.open(stored.sealed_secret) == APPLE_KEY
    )
    empty = app.test_cli_runner().invoke(args=[*args[:3], "other", *args[4:]], input="")
    assert empty.exit_code == 2 and "standard input gave nothing" in empty.output


MAKEFILE = Path(__file__).resolve().parents[3] / "Makefile"


def test_make_cli_never_echoes_its_recipe() -> None:
    """``make cli ARGS="... --client-secret S"`` would print S with the recipe: every line
    of the cli target's recipe starts with @."""
    lines = MAKEFILE.read_text().split("\ncli:", 1)[1].split("\n\n", 1)[0].splitlines()[1:]
    assert lines and all(line.startswith("\t@") for line in lines), lines


def test_upstream_providers_of_the_local_profile() -> None:
    settings = make_settings(
        upstream_providers=[
            {
                "id": "local",
                "issuer": "http://127.0.0.1:4000",
                "client_id": "a",
                "client_secret": "b",
            }
        ]
    )
    stored = FakeUpstreamProviders()
    providers = configured_providers(settings, stored)
    local = providers.get("local")
    assert (
        local is not None
        and secret_box(settings.group(SignInSettings)).open(local.sealed_secret) == "b"
    )
    assert [p.id for p in providers.list_all()] == ["local"]
    with pytest.raises(PermissionDenied):
        providers.delete("local")  # changed where it is configured
    with pytest.raises(ValueError, match="unknown fields"):
        configured_providers(
            make_settings(upstream_providers=[{"id": "x", "colour": "red"}]), stored
        )


def test_upstream_providers_are_for_the_local_profile_only() -> None:
    with pytest.raises(ValueError, match="UPSTREAM_PROVIDERS is for the local profile"):
        make_settings(
            **PRODUCTION_SETTINGS,
            upstream_providers=[{"id": "x", "issuer": "https://x.example", "client_id": "a"}],
        )


@pytest.mark.parametrize("empty", ["", "  "])
def test_an_empty_upstream_providers_variable_is_none(
    monkeypatch: pytest.MonkeyPatch, empty: str
) -> None:
    monkeypatch.setenv("UPSTREAM_PROVIDERS", empty)  # as .env.example writes it
    assert make_settings().group(FederationSettings).upstream_providers == []


def test_upstream_providers_that_are_not_json_are_refused_by_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("UPSTREAM_PROVIDERS", '[{"id": "acme"')
    with pytest.raises(ValueError, match="UPSTREAM_PROVIDERS must be a JSON list of objects"):
        make_settings()
    monkeypatch.setenv("UPSTREAM_PROVIDERS", '[{"id": "acme", "issuer": "https://x.example"}]')
    assert make_settings().group(FederationSettings).upstream_providers == [
        {"id": "acme", "issuer": "https://x.example"}
    ]
