"""The local profile's development secrets are made once and kept in an ignored file (mode
0600), which `make run` and `make cli` both read: what the command line seals, the service
opens (docs/configuration.md#development-secrets). Never in production; the environment
wins."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from infrastructure.dev_secrets import kept_development_secrets
from tests.support.settings import TEST_MFA_KEY

pytestmark = pytest.mark.unit

LOCAL = {"APP_PROFILE": "local"}
MADE = {
    "JWT_SECRET",
    "MFA_ENCRYPTION_KEY",
    "OIDC_PRIVATE_KEY",
    "OIDC_RSA_PRIVATE_KEY",
    "SAML_SP_PRIVATE_KEY",
}


def test_made_once_kept_readable_by_its_owner_only_and_reused(tmp_path: Path) -> None:
    path = tmp_path / ".local" / "dev-secrets.json"
    first, made = kept_development_secrets(LOCAL, path)
    assert set(first) == MADE and set(made) == MADE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == first
    again, made_again = kept_development_secrets(LOCAL, path)
    assert again == first and made_again == []


def test_the_environment_wins_over_the_kept_ones(tmp_path: Path) -> None:
    path = tmp_path / "dev-secrets.json"
    kept, _ = kept_development_secrets(LOCAL, path)
    configured = {**LOCAL, "JWT_SECRET": "s" * 64, "MFA_ENCRYPTION_KEY": TEST_MFA_KEY}
    used, made = kept_development_secrets(configured, path)
    assert "JWT_SECRET" not in used and "MFA_ENCRYPTION_KEY" not in used
    keys = ("OIDC_PRIVATE_KEY", "OIDC_RSA_PRIVATE_KEY", "SAML_SP_PRIVATE_KEY")
    assert used == {name: kept[name] for name in keys}
    assert made == []


def test_a_secret_needed_later_joins_the_kept_ones(tmp_path: Path) -> None:
    path = tmp_path / "dev-secrets.json"
    kept, _ = kept_development_secrets(LOCAL, path)
    used, made = kept_development_secrets({**LOCAL, "JOB_QUEUE": "pubsub"}, path)
    assert made == ["JOB_PUSH_TOKEN"]
    assert used == {**kept, "JOB_PUSH_TOKEN": used["JOB_PUSH_TOKEN"]}
    assert json.loads(path.read_text()) == used


def test_never_in_production(tmp_path: Path) -> None:
    path = tmp_path / "dev-secrets.json"
    assert kept_development_secrets({"APP_PROFILE": "production"}, path) == ({}, [])
    assert kept_development_secrets({}, path) == ({}, [])  # the profile's default
    assert not path.exists()
    kept_development_secrets(LOCAL, path)
    assert kept_development_secrets({"APP_PROFILE": "production"}, path) == ({}, [])


def test_a_file_others_could_read_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "dev-secrets.json"
    kept, _ = kept_development_secrets(LOCAL, path)
    path.chmod(0o644)
    assert kept_development_secrets(LOCAL, path) == (kept, [])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_an_unreadable_file_is_not_replaced_silently(tmp_path: Path) -> None:
    path = tmp_path / "dev-secrets.json"
    path.write_text("JWT_SECRET=abc\n")
    with pytest.raises(ValueError, match=f"{path}.*delete it"):
        kept_development_secrets(LOCAL, path)
    assert path.read_text() == "JWT_SECRET=abc\n"
