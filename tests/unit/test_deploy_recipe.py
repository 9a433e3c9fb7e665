"""deploy/recipe.toml, deploy/two-regions.toml and scripts/deploy.py (docs/operations.md,
"Deploying to Cloud Run", "Running in two regions"): each recipe's TTL policies and index
exemptions are firestore.indexes.json's and fields the adapters write; its service's
configuration is one the production profile accepts, with the settings' own Pub/Sub names and
retries; ``--dry-run`` prints the commands and runs none, and a run runs the same ones and
stops at the first that fails (docs/decisions/0357-deployment-as-code.md,
docs/decisions/0473-two-regions.md)."""

from __future__ import annotations

import base64
import json
import logging
import re
import secrets
import shlex
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from pydantic import ValidationError

from application.jobs import SWEEP, JobPush, decode_job
from application.ports import Job
from application.services import Services
from bootstrap.units import check_units, core_units
from infrastructure.dev_secrets import new_fernet_key, new_rsa_key_pem, new_signing_key_pem
from infrastructure.settings import GROUPS, Settings
from infrastructure.settings.orgs_and_apps.provider import ProviderSettings
from infrastructure.settings.platform.jobs import JobSettings
from tests.support.firestore_code import read_adapters
from tests.support.firestore_indexes import TTL_NAME, left_by_a_unit
from tests.support.scripts import load_script
from tests.support.taken_out import taken_out

pytestmark = pytest.mark.unit

deploy = load_script("deploy")
ROOT = Path(__file__).resolve().parents[2]
TARGET = ["--project", "my-project", "--region", "europe-west1"]
ARGS = [*TARGET, "--public-url", "https://app.example.com"]
TWO_REGIONS = ROOT / "deploy" / "two-regions.toml"
REGIONS = ["us-central1", "us-east1"]
TWO_ARGS = [
    *("--recipe", str(TWO_REGIONS), "--project", "my-project"),
    *("--regions", ",".join(REGIONS), "--public-url", "https://id.example.com"),
]
# Each recipe with the arguments it deploys with: what holds the one holds the other.
EACH_RECIPE = pytest.mark.parametrize(
    "deployed",
    [(deploy.RECIPE, ARGS), (TWO_REGIONS, TWO_ARGS)],
    ids=["one-region", "two-regions"],
)
Deployed = tuple[Path, list[str]]


def recipe(path: Path = deploy.RECIPE) -> dict[str, Any]:
    found: dict[str, Any] = deploy.read(path)
    return found


def indexes() -> dict[str, Any]:
    found: dict[str, Any] = json.loads((ROOT / "firestore.indexes.json").read_text())
    return found


def refuse(script: str) -> int:
    raise AssertionError("a dry run runs nothing")


def dry_run(capsys: pytest.CaptureFixture[str], *extra: str, args: Sequence[str] = ARGS) -> str:
    assert deploy.main([*args, "--dry-run", *extra], run=refuse) == 0
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


@EACH_RECIPE
def test_the_firestore_commands_are_the_indexes_file(
    capsys: pytest.CaptureFixture[str], deployed: Deployed
) -> None:
    text = dry_run(capsys, "--only", "firestore", args=deployed[1])
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


@pytest.fixture(scope="module")
def fields_written() -> dict[str, dict[str, frozenset[str]]]:
    """The fields the Firestore adapters write, by collection: read once for both recipes
    (reading the adapters' code takes seconds), and only read."""
    return read_adapters().fields_written()


@EACH_RECIPE
def test_the_ttl_fields_and_exemptions_are_fields_the_adapters_write(
    capsys: pytest.CaptureFixture[str],
    deployed: Deployed,
    fields_written: dict[str, dict[str, frozenset[str]]],
) -> None:
    text = dry_run(capsys, "--only", "firestore", args=deployed[1])
    written = fields_written
    named = {
        (flag(words, "collection-group"), words[5])
        for words in gcloud_commands(text, "firestore")
        if "--collection-group" in " ".join(words) and "composite" not in words
    }
    stale = {(c, f) for c, f in named if f not in written.get(c, {})}
    assert {(c, f) for c, f in stale if not left_by_a_unit(c, written)} == set()
    ttl = {
        (flag(words, "collection-group"), words[5])
        for words in gcloud_commands(text, "firestore", "fields", "ttls", "update")
    }
    expiries = {(c, f) for c, fields in written.items() for f in fields if TTL_NAME.match(f)}
    # every expiry the adapters write has its policy (a unit's taken out of this copy: left)
    assert {(c, f) for c, f in ttl if not left_by_a_unit(c, written)} == expiries


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


def deployed_settings(path: Path = deploy.RECIPE, **changes: Any) -> dict[str, Any]:
    """The service's settings as the recipe at ``path`` deploys it (variables and secrets)."""
    target = deploy.Target("my-project", "europe-west1", "https://app.example.com")
    values: dict[str, Any] = {
        name.lower(): deploy.fill(str(value), target, "firegate").replace(
            "${PROJECT_NUMBER}", "123456789012"
        )
        for name, value in recipe(path)["service"]["env"].items()
    }
    values |= {
        secret["variable"].lower(): made(secret["made"])
        for secret in recipe(path)["secrets"].values()
    }
    # Not set on Cloud Run, whatever this test's environment holds.
    values |= {
        f"{name}_emulator_host": None
        for name in ("firestore", "firebase_auth", "pubsub", "storage")
    }
    return values | changes


@EACH_RECIPE
def test_the_services_configuration_passes_the_production_checks(deployed: Deployed) -> None:
    settings = Settings(**deployed_settings(deployed[0]))
    check_units(settings)  # as the start checks them
    assert settings.service.app_profile == "production"
    assert settings.jobs.job_queue == "pubsub" and settings.jobs.push_oidc
    assert settings.group(ProviderSettings).oidc_private_key is not None
    without_the_provider_key = deployed_settings(deployed[0], oidc_private_key=None)
    with pytest.raises(ValidationError, match="OIDC_PRIVATE_KEY"):
        check_units(Settings(**without_the_provider_key))


@EACH_RECIPE
def test_every_variable_the_recipe_sets_is_a_setting(deployed: Deployed) -> None:
    held = recipe(deployed[0])
    names = [*held["service"]["env"], *(s["variable"] for s in held["secrets"].values())]
    groups = [*GROUPS.values(), *(group for unit in core_units() for group in unit.settings)]
    variables = {name for group in groups for name in group.model_fields}
    assert [name for name in names if name.lower() not in variables] == []


@EACH_RECIPE
def test_the_pubsub_names_and_retries_are_the_settings(fake_app: Flask, deployed: Deployed) -> None:
    pubsub, env = recipe(deployed[0])["pubsub"], recipe(deployed[0])["service"]["env"]
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


def guarded(line: str) -> bool:
    """Whether a line that makes something makes it only when it is missing."""
    if line.startswith("create_once "):
        return True
    probe, _, make = line.partition(" >/dev/null 2>&1 || ")
    return " describe " in probe and " create " in make


def test_the_two_region_dry_run_makes_each_resource_once_where_it_belongs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = dry_run(capsys, args=TWO_ARGS)
    subprocess.run(["bash", "-n"], input=text, text=True, check=True)  # valid bash
    lines = text.splitlines()
    made = [line for line in lines if " create " in line and not line.startswith("#")]
    assert made and [line for line in made if not guarded(line)] == []
    # One multi-region database, as the recipe says.
    (database,) = gcloud_commands(text, "firestore", "databases", "create")
    assert flag(database, "location") == recipe(TWO_REGIONS)["firestore"]["location"] == "nam5"
    # One service per region: built once, the same image, variables and secrets everywhere,
    # reached only through the balancer, with no warm instance.
    deploys = gcloud_commands(text, "run", "deploy")
    assert [flag(words, "region") for words in deploys] == REGIONS
    assert flag(deploys[0], "source") == "." and flag(deploys[1], "image") == "${IMAGE}"
    for name in ("set-env-vars", "set-secrets", "service-account", "min-instances", "ingress"):
        assert flag(deploys[0], name) == flag(deploys[1], name), name
    words = deploys[0]
    assert flag(words, "min-instances") == "0" and "--cpu-throttling" in words
    assert flag(words, "ingress") == "internal-and-cloud-load-balancing"
    env = dict(pair.split("=", 1) for pair in flag(words, "set-env-vars").split(","))
    assert env["TRUSTED_PROXY_HOPS"] == "2" and env["PUBLIC_URL"] == "https://id.example.com"
    assert env["JOB_PUSH_AUDIENCE"] == "https://id.example.com/internal/jobs"
    assert env["WEBHOOK_SWEEP_INTERVAL"] == env["SSO_CERTIFICATE_SWEEP_INTERVAL"] == "0"
    # A serverless NEG per region, both behind one backend service with outlier detection.
    negs = gcloud_commands(text, "compute", "network-endpoint-groups", "create")
    assert [flag(words, "region") for words in negs] == REGIONS
    for words in negs:
        assert flag(words, "network-endpoint-type") == "serverless"
        assert flag(words, "cloud-run-service") == "firegate"
    (imported,) = [line for line in lines if "backend-services import" in line]
    declared = shlex.split(imported.split(" | ")[0])[2:]
    groups = [entry.removeprefix("- group: ") for entry in declared if entry.startswith("- group")]
    assert groups == [
        f"https://www.googleapis.com/compute/v1/projects/my-project/regions/{region}/"
        f"networkEndpointGroups/{negs[n][4]}"
        for n, region in enumerate(REGIONS)
    ]
    assert "loadBalancingScheme: EXTERNAL_MANAGED" in declared
    assert "outlierDetection:" in declared and "  maxEjectionPercent: 50" in declared
    # The balancer's front: its map, the public host's certificate, the proxy, port 443.
    (url_map,) = gcloud_commands(text, "compute", "url-maps", "create")
    (certificate,) = gcloud_commands(text, "compute", "ssl-certificates", "create")
    (proxy,) = gcloud_commands(text, "compute", "target-https-proxies", "create")
    (rule,) = gcloud_commands(text, "compute", "forwarding-rules", "create")
    (address,) = gcloud_commands(text, "compute", "addresses", "create")
    assert flag(url_map, "default-service") == url_map[4]
    assert flag(certificate, "domains") == "id.example.com"
    assert flag(proxy, "url-map") == url_map[4]
    assert flag(proxy, "ssl-certificates") == certificate[4]
    assert flag(rule, "target-https-proxy") == proxy[4] and flag(rule, "ports") == "443"
    assert flag(rule, "address") == address[4]
    assert flag(rule, "load-balancing-scheme") == "EXTERNAL_MANAGED"
    for words in (url_map, certificate, proxy, rule, address):
        assert "--global" in words


def test_the_two_regions_share_one_push_subscription_per_topic_through_the_balancer(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = dry_run(capsys, args=TWO_ARGS)
    subscriptions = gcloud_commands(text, "pubsub", "subscriptions", "create")
    assert len(subscriptions) == len(recipe(TWO_REGIONS)["pubsub"]["subscriptions"])
    for words in subscriptions:
        assert flag(words, "push-endpoint").startswith("https://id.example.com/internal/jobs")
        assert flag(words, "push-auth-token-audience") == "https://id.example.com/internal/jobs"


def test_each_region_schedules_each_sweep_as_a_job_the_service_runs(
    capsys: pytest.CaptureFixture[str], fake_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    text = dry_run(capsys, args=TWO_ARGS)
    env = recipe(TWO_REGIONS)["service"]["env"]
    pusher = env["JOB_PUSH_SERVICE_ACCOUNT"].replace("${PROJECT}", "my-project")
    jobs = gcloud_commands(text, "scheduler", "jobs", "create", "http")
    sweeps = recipe(TWO_REGIONS)["scheduler"]["sweeps"]
    # (but a unit's taken out of a copy: its sweeps, which the recipe still names, are
    # dropped by the service: tests/support/taken_out.py)
    running = {name: every for name, every in sweeps.items() if name not in taken_out().sweeps}
    assert sorted((flag(w, "location"), w[5]) for w in jobs) == sorted(
        (region, f"firegate-sweep-{name}") for region in REGIONS for name in sweeps
    )
    services: Services = fake_app.extensions["firegate"]
    for words in jobs:
        assert flag(words, "uri") == "https://id.example.com/internal/jobs"
        assert flag(words, "oidc-service-account-email") == pusher
        assert flag(words, "oidc-token-audience") == "https://id.example.com/internal/jobs"
        assert flag(words, "schedule") == sweeps[words[5].removeprefix("firegate-sweep-")]
        data = json.loads(flag(words, "message-body"))["message"]["data"]
        job = decode_job(base64.b64decode(data))
        assert job == Job(kind=SWEEP, subject=words[5].removeprefix("firegate-sweep-"))
        with caplog.at_level(logging.INFO, logger="firegate.jobs"):
            services.platform.jobs.receive_push(JobPush(data=data))  # what the push endpoint runs
    said = [r.getMessage() for r in caplog.records if r.name == "firegate.jobs"]
    dropped = [f"sweep {name!r} unknown; job dropped" for name in sweeps if name not in running]
    assert sorted(said) == sorted(
        [*(f"sweep {name}: 0" for name in running), *dropped] * len(REGIONS)
    )


@pytest.mark.parametrize(
    ("args", "said"),
    [
        ([*TWO_ARGS[:4], "--region", "us-east1", *TWO_ARGS[6:]], "--regions"),
        ([*TWO_ARGS[:4], "--regions", "us-east1", *TWO_ARGS[6:]], "--regions"),
        ([*TWO_ARGS[:4], "--regions", "us-east1,us-east1", *TWO_ARGS[6:]], "--regions"),
        ([*ARGS, "--regions", "us-east1,us-central1"], "--region"),
        (["--project", "p", "--public-url", "https://app.example.com"], "--region"),
    ],
)
def test_each_recipe_takes_its_own_number_of_regions(
    args: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert deploy.main([*args, "--dry-run"], run=refuse) == 2
    assert said in capsys.readouterr().err


def test_the_dry_run_lists_the_certificate_each_org_host_needs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    hosts = ["--org-hosts", "login.acme.com, SSO.Globex.test,login.acme.com"]
    text = dry_run(capsys, *hosts, args=TWO_ARGS)
    made = gcloud_commands(text, "compute", "ssl-certificates", "create")
    assert sorted((w[4], flag(w, "domains")) for w in made) == [
        ("firegate-lb", "id.example.com"),
        ("firegate-lb-login-acme-com", "login.acme.com"),
        ("firegate-lb-sso-globex-test", "sso.globex.test"),
    ]
    listed = "firegate-lb,firegate-lb-login-acme-com,firegate-lb-sso-globex-test"
    (proxy,) = gcloud_commands(text, "compute", "target-https-proxies", "create")
    (update,) = gcloud_commands(text, "compute", "target-https-proxies", "update")
    assert flag(proxy, "ssl-certificates") == flag(update, "ssl-certificates") == listed
    assert "domain-mappings" not in text
    # one region, no balancer: Cloud Run maps each host and makes its certificate
    one = dry_run(capsys, *hosts)
    mapped = gcloud_commands(one, "beta", "run", "domain-mappings", "create")
    assert [(flag(w, "domain"), flag(w, "service")) for w in mapped] == [
        ("login.acme.com", "firegate"),
        ("sso.globex.test", "firegate"),
    ]
    assert "ssl-certificates" not in one
    # none named: none made
    assert "domain-mappings" not in dry_run(capsys)
    assert "target-https-proxies update" not in dry_run(capsys, args=TWO_ARGS)
    subprocess.run(["bash", "-n"], input=text, text=True, check=True)


def test_an_org_host_that_is_no_host_name_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    for wrong in ("login acme.com", "https://login.acme.com", "*.acme.com", "acme"):
        assert deploy.main([*ARGS, "--org-hosts", wrong, "--dry-run"], run=refuse) == 2
        assert "--org-hosts" in capsys.readouterr().err
