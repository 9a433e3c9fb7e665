"""deploy/recipe.toml and scripts/deploy.py (docs/operations.md, "Deploying to Cloud Run"): the
recipe's TTL policies and index exemptions are firestore.indexes.json's and fields the adapters
write; its service's configuration is one the production profile accepts, with the settings'
own Pub/Sub names and retries; ``--dry-run`` prints the commands and runs none, and a run runs
the same ones and stops at the first that fails (docs/decisions/0357-deployment-as-code.md)."""

from __future__ import annotations

import json
import re
import secrets
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from pydantic import ValidationError

from infrastructure.dev_secrets import new_fernet_key, new_rsa_key_pem, new_signing_key_pem
from infrastructure.settings import GROUP_OF, Settings
from infrastructure.settings.jobs import JobSettings
from tests.support.firestore_code import read_adapters
from tests.support.firestore_indexes import TTL_NAME
from tests.support.scripts import load_script

pytestmark = pytest.mark.unit

deploy = load_script("deploy")
ROOT = Path(__file__).resolve().parents[2]
TARGET = ["--project", "my-project", "--region", "europe-west1"]
ARGS = [*TARGET, "--public-url", "https://app.example.com"]


def recipe() -> dict[str, Any]:
    found: dict[str, Any] = deploy.read(deploy.RECIPE)
    return found


def indexes() -> dict[str, Any]:
    found: dict[str, Any] = json.loads((ROOT / "firestore.indexes.json").read_text())
    return found


def refuse(script: str) -> int:
    raise AssertionError("a dry run runs nothing")


def dry_run(capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    assert deploy.main([*ARGS, "--dry-run", *extra], run=refuse) == 0
    return capsys.readouterr().out


def gcloud_commands(text: str, *start: str) -> list[list[str]]:
    """The gcloud commands of ``text`` that begin ``gcloud <start>``, as words."""
    found = []
    for line in text.splitlines():
        for part in re.split(r" \|\| | \| ", line):
            words = shlex.split(part.replace(">/dev/null 2>&1", ""))
            if words[:1] == ["create_once"]:
                words = words[1:]
            if words[: len(start) + 1] == ["gcloud", *start]:
                found.append(words)
    return found


def flag(words: list[str], name: str) -> str:
    (value,) = [w.split("=", 1)[1] for w in words if w.startswith(f"--{name}=")]
    return value


def test_a_dry_run_prints_one_bash_script_and_runs_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = dry_run(capsys)
    assert text.startswith("set -euo pipefail\n")
    subprocess.run(["bash", "-n"], input=text, text=True, check=True)  # valid bash
    for section in deploy.SECTIONS:
        assert f"\n# -- {section}\n" in text
    assert "gcloud run deploy firegate --source=. --region=europe-west1" in text
    only = dry_run(capsys, "--only", "firestore")
    assert "# -- firestore" in only and "gcloud run deploy" not in only


def test_a_run_runs_the_same_commands_each_shown_first(capsys: pytest.CaptureFixture[str]) -> None:
    printed = dry_run(capsys)
    ran: list[str] = []

    def run(script: str) -> int:
        ran.append(script)
        return 7

    assert deploy.main(ARGS, run=run) == 7  # its status is the script's
    (script,) = ran
    lines = script.splitlines()
    shown = [line for line in lines if line.startswith("printf '+ %s\\n' ")]
    assert [line for line in lines if line not in shown] == printed.splitlines()
    commands = [
        line for line in printed.splitlines() if line.startswith(("gcloud ", "create_once "))
    ]
    assert len(shown) >= len(commands) > 60
    for line in commands:
        assert lines[lines.index(line) - 1] == f"printf '+ %s\\n' {shlex.quote(line)} >&2"


def test_the_firestore_commands_are_the_indexes_file(capsys: pytest.CaptureFixture[str]) -> None:
    text = dry_run(capsys, "--only", "firestore")
    spec = indexes()
    ttl = {
        (flag(words, "collection-group"), words[5])
        for words in gcloud_commands(text, "firestore", "fields", "ttls", "update")
    }
    updates = gcloud_commands(text, "firestore", "indexes", "fields", "update")
    exempt = {
        (flag(words, "collection-group"), words[5])
        for words in updates
        if "--disable-indexes" in words
    }
    composites = [
        (
            flag(words, "collection-group"),
            [w.split("=", 1)[1] for w in words if w.startswith("--field-config=")],
        )
        for words in gcloud_commands(text, "firestore", "indexes", "composite", "create")
    ]
    overrides = spec["fieldOverrides"]
    ttl_overrides = [o for o in overrides if o.get("ttl")]
    assert ttl == {(o["collectionGroup"], o["fieldPath"]) for o in ttl_overrides}
    assert exempt == {(o["collectionGroup"], o["fieldPath"]) for o in overrides if not o["indexes"]}
    assert composites == [
        (
            index["collectionGroup"],
            [f"field-path={f['fieldPath']},order={f['order'].lower()}" for f in index["fields"]],
        )
        for index in spec["indexes"]
    ]
    # One command for each override, and one TTL policy for each with a TTL: none twice,
    # none lost to the sets above (the counts follow firestore.indexes.json as it grows).
    assert len(updates) == len(overrides)
    assert len(gcloud_commands(text, "firestore", "fields", "ttls", "update")) == len(ttl_overrides)
    # An override that keeps indexes (a person's memberships, across orgs) says each of them.
    for override in (o for o in overrides if o["indexes"]):
        (words,) = [
            w
            for w in updates
            if (flag(w, "collection-group"), w[5])
            == (override["collectionGroup"], override["fieldPath"])
        ]
        assert "--disable-indexes" not in words
        assert [w for w in words if w.startswith("--index=")] == [
            "--index=" + ",".join(kept_index(index)) for index in override["indexes"]
        ]
    members = next(
        w for w in updates if w[5] == "user_id" and flag(w, "collection-group") == "members"
    )
    assert "--index=order=ascending,query-scope=collection-group" in members


def kept_index(index: dict[str, str]) -> list[str]:
    """An index firestore.indexes.json keeps on a field, in the words of gcloud's --index."""
    words = {"order": "order", "arrayConfig": "array-config", "queryScope": "query-scope"}
    return [
        f"{word}={index[key].lower().replace('_', '-')}"
        for key, word in words.items()
        if key in index
    ]


def test_the_ttl_fields_and_exemptions_are_fields_the_adapters_write(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = dry_run(capsys, "--only", "firestore")
    written = read_adapters().fields_written()
    named = {
        (flag(words, "collection-group"), words[5])
        for words in gcloud_commands(text, "firestore")
        if "--collection-group" in " ".join(words) and "composite" not in words
    }
    assert {(c, f) for c, f in named if f not in written.get(c, {})} == set()
    ttl = {
        (flag(words, "collection-group"), words[5])
        for words in gcloud_commands(text, "firestore", "fields", "ttls", "update")
    }
    expiries = {(c, f) for c, fields in written.items() for f in fields if TTL_NAME.match(f)}
    assert ttl == expiries  # every expiry the adapters write has its policy


def made(kind: str) -> str:
    """A value as the recipe makes a missing secret of ``kind``."""
    values = {
        "hex": secrets.token_hex(32),
        "fernet": new_fernet_key(),
        "ec-p256": new_signing_key_pem(),
        "rsa": new_rsa_key_pem(),
        "environment": "smtp://apikey:secret@smtp.example.com:587",
    }
    return values[kind]


def deployed_settings(**changes: Any) -> dict[str, Any]:
    """The service's settings as the recipe deploys it (variables and secrets)."""
    target = deploy.Target("my-project", "europe-west1", "https://app.example.com")
    values: dict[str, Any] = {
        name.lower(): deploy.fill(str(value), target, "firegate").replace(
            "${PROJECT_NUMBER}", "123456789012"
        )
        for name, value in recipe()["service"]["env"].items()
    }
    values |= {
        secret["variable"].lower(): made(secret["made"]) for secret in recipe()["secrets"].values()
    }
    # Not set on Cloud Run, whatever this test's environment holds.
    values |= {
        f"{name}_emulator_host": None
        for name in ("firestore", "firebase_auth", "pubsub", "storage")
    }
    return values | changes


def test_the_services_configuration_passes_the_production_checks() -> None:
    settings = Settings(**deployed_settings())
    assert settings.service.app_profile == "production"
    assert settings.jobs.job_queue == "pubsub" and settings.jobs.push_oidc
    assert settings.provider.oidc_private_key is not None
    without_the_provider_key = deployed_settings(oidc_private_key=None)
    with pytest.raises(ValidationError, match="OIDC_PRIVATE_KEY"):
        Settings(**without_the_provider_key)


def test_every_variable_the_recipe_sets_is_a_setting() -> None:
    names = [*recipe()["service"]["env"], *(s["variable"] for s in recipe()["secrets"].values())]
    assert [name for name in names if name.lower() not in GROUP_OF] == []


def test_the_pubsub_names_and_retries_are_the_settings(fake_app: Flask) -> None:
    pubsub, env = recipe()["pubsub"], recipe()["service"]["env"]
    jobs = JobSettings()
    assert set(pubsub["topics"]) == {
        jobs.pubsub_topic,
        jobs.pubsub_webhook_topic,
        jobs.pubsub_dead_letter_topic,
    }
    subscriptions = {
        s["name"]: (s["topic"], s.get("dead_letter_topic")) for s in pubsub["subscriptions"]
    }
    assert subscriptions == {
        jobs.pubsub_subscription: (jobs.pubsub_topic, jobs.pubsub_dead_letter_topic),
        jobs.pubsub_webhook_subscription: (
            jobs.pubsub_webhook_topic,
            jobs.pubsub_dead_letter_topic,
        ),
        jobs.pubsub_dead_letter_subscription: (jobs.pubsub_dead_letter_topic, None),
    }
    retries = pubsub["retries"]
    assert retries["max_delivery_attempts"] == int(env["JOB_MAX_ATTEMPTS"])
    assert retries["min_retry_delay"] == float(env["JOB_BACKOFF"])
    assert retries["max_retry_delay"] == float(env["JOB_BACKOFF_MAX"])
    routes = {rule.rule for rule in fake_app.url_map.iter_rules() if "POST" in (rule.methods or ())}
    assert {s["path"] for s in pubsub["subscriptions"]} <= routes


def test_a_run_stops_at_the_first_command_that_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    # gcloud, openssl and firebase stand-ins that log what they are asked: every `describe`
    # finds nothing, a composite index exists already, and the second topic cannot be made.
    log = tmp_path / "log"
    fake = tmp_path / "bin"
    fake.mkdir()
    stand_in = f"""#!/usr/bin/env bash
printf '%s\\n' "$(basename "$0") $*" >> {log}
[[ " $* " == *" --data-file=- "* ]] && cat > /dev/null
case "$*" in
  "projects describe"*) echo 123456789012 ;;
  *" describe "*) exit 1 ;;
  *"composite create"*) echo "ERROR: ALREADY_EXISTS: index already exists" >&2; exit 1 ;;
  *"topics create firegate-webhooks "*) echo "ERROR: PERMISSION_DENIED" >&2; exit 1 ;;
esac
"""
    for name in ("gcloud", "openssl", "firebase"):
        (fake / name).write_text(stand_in)
        (fake / name).chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}:{Path('/usr/bin')}:{Path('/bin')}")
    monkeypatch.setenv("FIREBASE", str(fake / "firebase"))
    monkeypatch.setenv("SMTP_URL", "smtp://apikey:not-to-be-seen@smtp.example.com")

    assert deploy.main(ARGS) == 1

    asked = log.read_text().splitlines()
    assert asked[-1].startswith("gcloud pubsub topics create firegate-webhooks")
    assert sum("composite create" in line for line in asked) == len(indexes()["indexes"])
    assert any(line.startswith("gcloud run deploy firegate") for line in asked)
    assert not any("subscriptions" in line for line in asked)  # nothing after the failure
    err = capfd.readouterr().err  # bash's own
    assert "+ gcloud pubsub topics describe firegate-webhooks" in err
    assert "PERMISSION_DENIED" in err and "not-to-be-seen" not in err


def test_a_recipe_value_the_script_cannot_fill_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "recipe.toml"
    text = deploy.RECIPE.read_text().replace('"${PUBLIC_URL}"', '"${PUBLIK_URL}"')
    broken.write_text(text)
    assert deploy.main([*ARGS, "--recipe", str(broken), "--dry-run"], run=refuse) == 2
    assert "${PUBLIK_URL} is not a value the recipe can use" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        (["--public-url", "http://app.example.com"], "--public-url"),
        (["--public-url", "https://app.example.com", "--only", "dns"], "no section dns"),
    ],
)
def test_wrong_arguments_are_refused(
    extra: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert deploy.main([*TARGET, *extra, "--dry-run"], run=refuse) == 2
    assert said in capsys.readouterr().err
