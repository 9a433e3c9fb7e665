#!/usr/bin/env python3
"""Deploy firegate to Cloud Run as deploy/recipe.toml says: print the commands, or run them.

    .venv/bin/python scripts/deploy.py --project my-project --region europe-west1 \\
        --public-url https://app.example.com --dry-run

The commands are one bash script (``set -euo pipefail``): ``--dry-run`` prints it; without it
the same commands run in bash, each shown before it runs, and the first that fails stops the
rest. A resource is made only when it is missing (a probe first: ``describe ... ||
create``), so running it again applies what changed in the recipe's settings and index
configuration and leaves the rest, secrets included, as they are. ``--only firestore``
(sections: apis, firestore, service, pubsub, jobs) runs part of it: after a release that
changes firestore.indexes.json, say.

The Firestore part is read from firestore.indexes.json (composite indexes, index exemptions,
TTL policies), the file ``firebase deploy --only firestore:indexes`` deploys, so the two never
disagree; tests/unit/test_deploy_recipe.py holds the commands against that file, against the
fields the adapters write, and the service's configuration against the production checks
(docs/operations.md, "Deploying to Cloud Run"; docs/decisions/0357-deployment-as-code.md).
Standard library only.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import subprocess
import sys
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RECIPE = ROOT / "deploy" / "recipe.toml"
SECTIONS = ("apis", "firestore", "service", "pubsub", "jobs")
# Variables the script itself sets (or, for SMTP_URL and FIREBASE, reads from the environment
# it runs in); any other ${NAME} left in a command is a mistake of the recipe.
SHELL_VARIABLES = frozenset({"PROJECT_NUMBER", "IMAGE", "SMTP_URL", "FIREBASE"})
FIREBASE = "${FIREBASE:-.tools/node_modules/.bin/firebase}"
# How a missing secret is made, as a command whose output is its value.
MADE = {
    "hex": "openssl rand -hex 32 | tr -d '\\n'",
    "fernet": "openssl rand -base64 32 | tr '+/' '-_' | tr -d '\\n'",
    "ec-p256": "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256",
    "rsa": "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072",
}
PRELUDE = """set -euo pipefail
# A create that finds its resource there already leaves it as it is.
create_once() {
  local out
  if out=$("$@" 2>&1); then printf '%s\\n' "$out"; return; fi
  grep -qi 'already exists' <<<"$out" || { printf '%s\\n' "$out" >&2; return 1; }
}"""


class RecipeError(Exception):
    """The recipe or the arguments are wrong; the message says which and how."""


@dataclass(frozen=True)
class Target:
    project: str
    region: str
    public_url: str


# -- words and lines of bash -------------------------------------------------------------------

_VARIABLE = re.compile(r"\$\{([A-Z_]+)(:-[^}]*)?\}")


def word(text: str) -> str:
    """``text`` as one word of bash: quoted, except for the ${VARIABLES} it names."""
    if "${" not in text:
        return shlex.quote(text)
    if re.search(r'["\\`]|\$(?!\{)', text):
        raise RecipeError(f"a value with a variable cannot also hold quotes or `$`: {text!r}")
    return f'"{text}"'


def command(*words: str) -> str:
    return " ".join(word(w) for w in words)


def once(probe: str, create: str) -> str:
    """``create`` unless ``probe`` finds the resource."""
    return f"{probe} >/dev/null 2>&1 || {create}"


def fill(text: str, target: Target, service: str) -> str:
    """The recipe's ${PROJECT}, ${REGION}, ${PUBLIC_URL} and ${SERVICE_URL} filled in."""
    url = f"https://{service}-${{PROJECT_NUMBER}}.{target.region}.run.app"
    for name, value in (
        ("SERVICE_URL", url),
        ("PROJECT", target.project),
        ("REGION", target.region),
        ("PUBLIC_URL", target.public_url),
    ):
        text = text.replace(f"${{{name}}}", value)
    return text


# -- the sections ------------------------------------------------------------------------------


class Script:
    def __init__(self, recipe: Mapping[str, Any], indexes: Mapping[str, Any], target: Target):
        self.recipe, self.indexes, self.target = recipe, indexes, target
        self.name = str(recipe["service"]["name"])
        self.account = self.email(str(recipe["service"]["account"]))
        self.member = f"serviceAccount:{self.account}"

    def value(self, text: object) -> str:
        return fill(str(text), self.target, self.name)

    def email(self, account: str) -> str:
        return f"{account}@{self.target.project}.iam.gserviceaccount.com"

    def gcloud(self, *words: str) -> str:
        return command("gcloud", *words, f"--project={self.target.project}")

    def ensure(
        self, kind: str, name: str, *made_with: str, made_as: str = "", made_from: str = ""
    ) -> str:
        """``kind`` (``pubsub topics``) ``name`` made, with ``made_with``, unless it exists;
        ``made_as``: the name its creation takes, where not ``name`` (a service account's
        id, not its address); ``made_from``: a command whose output the creation reads."""
        words = kind.split()
        create = self.gcloud(*words, "create", made_as or name, *made_with)
        return once(
            self.gcloud(*words, "describe", name),
            f"{made_from} | {create}" if made_from else create,
        )

    def grant(self, kind: str, name: str, member: str, role: str, *more: str) -> str:
        words = kind.split()
        return self.gcloud(
            *words,
            "add-iam-policy-binding",
            name,
            f"--member={member}",
            f"--role={role}",
            *more,
            "--quiet",
        )

    def lines(self, only: Sequence[str] = SECTIONS) -> list[str]:
        number = self.gcloud(
            "projects", "describe", self.target.project, "--format=value(projectNumber)"
        )
        found = [PRELUDE, f"PROJECT_NUMBER=$({number})"]
        for section in SECTIONS:
            if section in only:
                found += [f"\n# -- {section}", *getattr(self, section)()]
        for line in found:
            for name, _ in _VARIABLE.findall(line):
                if name not in SHELL_VARIABLES:
                    raise RecipeError(f"${{{name}}} is not a value the recipe can use: {line}")
        return found

    def apis(self) -> list[str]:
        return [self.gcloud("services", "enable", *self.recipe["apis"])]

    def firestore(self) -> list[str]:
        location = f"--location={self.value(self.recipe['firestore']['location'])}"
        database = once(
            self.gcloud("firestore", "databases", "describe", "--database=(default)"),
            self.gcloud("firestore", "databases", "create", location, "--type=firestore-native"),
        )
        found = [database]
        for index in self.indexes.get("indexes", []):
            scope = str(index.get("queryScope", "COLLECTION")).lower().replace("_", "-")
            fields = [f"--field-config={_field_config(field)}" for field in index["fields"]]
            group = f"--collection-group={index['collectionGroup']}"
            create = (
                "firestore",
                "indexes",
                "composite",
                "create",
                group,
                f"--query-scope={scope}",
            )
            found.append("create_once " + self.gcloud(*create, *fields))
        for override in self.indexes.get("fieldOverrides", []):
            field = (override["fieldPath"], f"--collection-group={override['collectionGroup']}")
            kept = [f"--index={_field_config(index)}" for index in override["indexes"]]
            found.append(
                self.gcloud(
                    "firestore",
                    "indexes",
                    "fields",
                    "update",
                    *field,
                    *(kept or ["--disable-indexes"]),
                )
            )
            if override.get("ttl"):
                found.append(
                    self.gcloud("firestore", "fields", "ttls", "update", *field, "--enable-ttl")
                )
        project = f"--project={self.target.project}"
        found.append(
            command(FIREBASE, "deploy", "--only", "firestore:rules", project, "--non-interactive")
        )
        return found

    def configuration(self) -> list[str]:
        """The service's account, variables and secrets, which the import job shares."""
        env = ",".join(f"{k}={self.value(v)}" for k, v in self.recipe["service"]["env"].items())
        secrets = self.recipe["secrets"].items()
        mounted = ",".join(f"{secret['variable']}={name}:latest" for name, secret in secrets)
        return [
            f"--service-account={self.account}",
            f"--set-env-vars={env}",
            f"--set-secrets={mounted}",
        ]

    def service(self) -> list[str]:
        recipe = self.recipe["service"]
        found = [self.ensure("iam service-accounts", self.account, made_as=recipe["account"])]
        for role in recipe["roles"]:
            found.append(
                self.grant("projects", self.target.project, self.member, role, "--condition=None")
            )
        if recipe.get("signs_as_itself"):
            creator = "roles/iam.serviceAccountTokenCreator"
            found.append(self.grant("iam service-accounts", self.account, self.member, creator))
        for name, secret in self.recipe["secrets"].items():
            made = ("--replication-policy=automatic", "--data-file=-")
            found.append(self.ensure("secrets", name, *made, made_from=_made(secret)))
            found.append(
                self.grant("secrets", name, self.member, "roles/secretmanager.secretAccessor")
            )
        cpu = "--cpu-throttling" if recipe["cpu_throttling"] else "--no-cpu-throttling"
        public = (
            "--allow-unauthenticated"
            if recipe["allow_unauthenticated"]
            else "--no-allow-unauthenticated"
        )
        where = (f"--source={recipe['source']}", f"--region={self.target.region}")
        scale = f"--min-instances={recipe['min_instances']}"
        found.append(
            self.gcloud(
                "run",
                "deploy",
                self.name,
                *where,
                *self.configuration(),
                scale,
                cpu,
                public,
                "--quiet",
            )
        )
        return found

    def pubsub(self) -> list[str]:
        recipe = self.recipe["pubsub"]
        retries = recipe["retries"]
        pusher = self.email(str(recipe["pusher"]))
        agent = "serviceAccount:service-${PROJECT_NUMBER}@gcp-sa-pubsub.iam.gserviceaccount.com"
        subscriptions = recipe["subscriptions"]
        dead = {s["dead_letter_topic"] for s in subscriptions if "dead_letter_topic" in s}
        found = []
        for topic in recipe["topics"]:
            # The service publishes jobs; Pub/Sub's agent, the dead letters.
            publisher = agent if topic in dead else self.member
            found += [
                self.ensure("pubsub topics", topic),
                self.grant("pubsub topics", topic, publisher, "roles/pubsub.publisher"),
            ]
        found.append(self.ensure("iam service-accounts", pusher, made_as=recipe["pusher"]))
        found.append(
            self.grant(
                "iam service-accounts", pusher, agent, "roles/iam.serviceAccountTokenCreator"
            )
        )
        pushes = (
            f"--push-auth-service-account={pusher}",
            "--push-auth-token-audience=" + self.value("${SERVICE_URL}/internal/jobs"),
            f"--ack-deadline={retries['ack_deadline']}",
            f"--min-retry-delay={retries['min_retry_delay']}s",
            f"--max-retry-delay={retries['max_retry_delay']}s",
        )
        for subscription in subscriptions:
            name, letters = subscription["name"], []
            if "dead_letter_topic" in subscription:
                letters = [
                    f"--dead-letter-topic={subscription['dead_letter_topic']}",
                    f"--max-delivery-attempts={retries['max_delivery_attempts']}",
                ]
            topic = f"--topic={subscription['topic']}"
            endpoint = "--push-endpoint=" + self.value("${SERVICE_URL}" + subscription["path"])
            found.append(
                self.ensure("pubsub subscriptions", name, topic, endpoint, *pushes, *letters)
            )
            if letters:  # Pub/Sub's agent acknowledges what it moves to the dead letters
                found.append(
                    self.grant("pubsub subscriptions", name, agent, "roles/pubsub.subscriber")
                )
        return found

    def jobs(self) -> list[str]:
        image = "--format=value(spec.template.spec.containers[0].image)"
        region = f"--region={self.target.region}"
        found = [
            "IMAGE=$(" + self.gcloud("run", "services", "describe", self.name, region, image) + ")"
        ]
        for name, job in self.recipe.get("jobs", {}).items():
            bucket = self.value(job["bucket"])
            made = (f"--location={self.target.region}", "--uniform-bucket-level-access")
            volume = f"name={name},type=cloud-storage,bucket={bucket},readonly=true"
            found += [
                self.ensure("storage buckets", f"gs://{bucket}", *made),
                self.grant(
                    "storage buckets", f"gs://{bucket}", self.member, "roles/storage.objectViewer"
                ),
                self.gcloud(
                    "run",
                    "jobs",
                    "deploy",
                    name,
                    "--image=${IMAGE}",
                    region,
                    *self.configuration(),
                    f"--add-volume={volume}",
                    f"--add-volume-mount=volume={name},mount-path={job['mount']}",
                    f"--command={job['command']}",
                    "--args=" + ",".join(job["args"]),
                    f"--task-timeout={job['task_timeout']}",
                    "--max-retries=0",
                    "--quiet",
                ),
            ]
        return found


def _field_config(field: Mapping[str, str]) -> str:
    """A field of firestore.indexes.json as gcloud's --field-config (or --index) takes it."""
    parts = [f"field-path={field['fieldPath']}"] if "fieldPath" in field else []
    if "order" in field:
        parts.append(f"order={field['order'].lower()}")
    if "arrayConfig" in field:
        parts.append(f"array-config={field['arrayConfig'].lower()}")
    if "queryScope" in field:
        parts.append(f"query-scope={field['queryScope'].lower().replace('_', '-')}")
    return ",".join(parts)


def _made(secret: Mapping[str, str]) -> str:
    made = secret["made"]
    if made == "environment":
        variable = secret["variable"]
        return f'printf %s "${{{variable}:?set {variable} to make the secret}}"'
    if made not in MADE:
        raise RecipeError(f"a secret is made {made!r}: one of environment, {', '.join(MADE)}")
    return MADE[made]


# -- the command line --------------------------------------------------------------------------


def read(path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        return tomllib.load(handle)


def render(recipe: Mapping[str, Any], target: Target, only: Sequence[str] = SECTIONS) -> str:
    """The recipe's commands, as one bash script."""
    indexes = json.loads((ROOT / recipe["firestore"]["indexes"]).read_text(encoding="utf-8"))
    return "\n".join(Script(recipe, indexes, target).lines(only)) + "\n"


def shown(script: str) -> str:
    """``script`` with each command printed (to standard error) before it runs."""
    out = []
    for line in script.splitlines():
        if line and not line.startswith(("#", " ", "}", "create_once()", "set -")):
            out.append(f"printf '+ %s\\n' {shlex.quote(line)} >&2")
        out.append(line)
    return "\n".join(out) + "\n"


def run_in_bash(script: str) -> int:
    return subprocess.run(["bash", "-s"], input=script, text=True, cwd=ROOT, check=False).returncode


def arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--project", required=True)
    parser.add_argument("--region", required=True)
    parser.add_argument("--public-url", required=True, help="the front end's https address")
    parser.add_argument("--recipe", type=Path, default=RECIPE)
    parser.add_argument("--only", default=",".join(SECTIONS), help=", ".join(SECTIONS))
    parser.add_argument("--dry-run", action="store_true", help="print the commands, run none")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None, run: Callable[[str], int] = run_in_bash) -> int:
    args = arguments(argv)
    only = [section.strip() for section in args.only.split(",") if section.strip()]
    try:
        unknown = sorted(set(only) - set(SECTIONS))
        if unknown:
            raise RecipeError(f"--only: no section {', '.join(unknown)} ({', '.join(SECTIONS)})")
        if not args.public_url.startswith("https://"):
            raise RecipeError("--public-url: the front end's https:// address")
        script = render(read(args.recipe), Target(args.project, args.region, args.public_url), only)
    except KeyError as exc:
        print(f"deploy: the recipe has no {exc}", file=sys.stderr)
        return 2
    except (RecipeError, OSError, tomllib.TOMLDecodeError) as exc:
        print(f"deploy: {exc}", file=sys.stderr)
        return 2
    if args.dry_run:
        print(script, end="")
        return 0
    return run(shown(script))


if __name__ == "__main__":
    sys.exit(main())
