#!/usr/bin/env python3
"""Deploy firegate to Cloud Run as deploy/recipe.toml says: print the commands, or run them.

    .venv/bin/python scripts/deploy.py --project my-project --region europe-west1 \\
        --public-url https://app.example.com --dry-run
    .venv/bin/python scripts/deploy.py --recipe deploy/two-regions.toml --project my-project \\
        --regions us-central1,us-east1 --public-url https://id.example.com --dry-run

The second runs one service in each region behind a global external load balancer, on one
multi-region Firestore database, with the sweeps started by Cloud Scheduler
(docs/operations.md, "Running in two regions"): a recipe may say ``extends = "recipe.toml"``
and hold only what differs from it.

The commands are one bash script (``set -euo pipefail``): ``--dry-run`` prints it; without it
the same commands run in bash, each shown before it runs, and the first that fails stops the
rest. A resource is made only when it is missing (a probe first: ``describe ... ||
create``), so running it again applies what changed in the recipe's settings and index
configuration and leaves the rest, secrets included, as they are. ``--only firestore``
(sections: apis, firestore, service, balancer, pubsub, scheduler, jobs) runs part of it:
after a release that changes firestore.indexes.json, say.

The Firestore part is read from firestore.indexes.json (composite indexes, index exemptions,
TTL policies), the file ``firebase deploy --only firestore:indexes`` deploys, so the two never
disagree; tests/unit/test_deploy_recipe.py holds the commands against that file, against the
fields the adapters write, and the service's configuration against the production checks
(docs/operations.md, "Deploying to Cloud Run"; docs/decisions/0357-deployment-as-code.md).
Standard library only.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import shlex
import subprocess
import sys
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
RECIPE = ROOT / "deploy" / "recipe.toml"
SECTIONS = ("apis", "firestore", "service", "balancer", "pubsub", "scheduler", "jobs")
# Variables the script itself sets (or, for SMTP_URL and FIREBASE, reads from the environment
# it runs in); any other ${NAME} left in a command is a mistake of the recipe.
SHELL_VARIABLES = frozenset({"PROJECT_NUMBER", "IMAGE", "SMTP_URL", "FIREBASE"})
FIREBASE = "${FIREBASE:-.tools/node_modules/.bin/firebase}"
SCHEDULER_AGENT = (
    "serviceAccount:service-${PROJECT_NUMBER}@gcp-sa-cloudscheduler.iam.gserviceaccount.com"
)
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
    region: str  # the first region: the one jobs, buckets and the build are made in
    public_url: str
    regions: tuple[str, ...] = ()  # every region a service runs in (empty: ``region``)
    # The orgs' active sign-in hosts (``flask orgs sign-in-domain list --active``), each of
    # which needs a certificate of its own (docs/reference/org-sign-in-domain.md)
    org_hosts: tuple[str, ...] = ()

    @property
    def every_region(self) -> tuple[str, ...]:
        return self.regions or (self.region,)


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
        self,
        kind: str,
        name: str,
        *made_with: str,
        made_as: str = "",
        made_from: str = "",
        at: Sequence[str] = (),
        create: Sequence[str] = ("create",),
    ) -> str:
        """``kind`` (``pubsub topics``) ``name`` made, with ``made_with``, unless it exists;
        ``made_as``: the name its creation takes, where not ``name`` (a service account's
        id, not its address); ``made_from``: a command whose output the creation reads;
        ``at``: where it is, for both (``--global``, ``--region=...``); ``create``: the
        words that make one (``create http``, a Cloud Scheduler job's)."""
        words = kind.split()
        made = self.gcloud(*words, *create, made_as or name, *at, *made_with)
        return once(
            self.gcloud(*words, "describe", name, *at),
            f"{made_from} | {made}" if made_from else made,
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
        return [
            self.gcloud(
                "services", "enable", *self.recipe["apis"], *self.recipe.get("more_apis", [])
            )
        ]

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

    def configuration(self, region: str = "") -> list[str]:
        """The service's account, variables and secrets in ``region`` (the first by default),
        which the import job shares."""
        where = replace(self.target, region=region or self.target.region)
        env = ",".join(
            f"{k}={fill(str(v), where, self.name)}"
            for k, v in self.recipe["service"]["env"].items()
        )
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
        scale = f"--min-instances={recipe['min_instances']}"
        # Behind a load balancer, only through it: a request straight to run.app would
        # choose its own X-Forwarded-For entries (docs/operations.md, "Running in two regions").
        ingress = [f"--ingress={recipe['ingress']}"] if "ingress" in recipe else []
        first, *others = self.target.every_region
        # Built once, in the first region; the others run the same image.
        built = [f"--source={recipe['source']}"]
        for region in (first, *others):
            if region != first:
                built = ["--image=${IMAGE}"]
            found.append(
                self.gcloud(
                    "run",
                    "deploy",
                    self.name,
                    *built,
                    f"--region={region}",
                    *self.configuration(region),
                    scale,
                    cpu,
                    public,
                    *ingress,
                    "--quiet",
                )
            )
            if region == first and others:
                found.append(self.image_of(first))
        if "balancer" not in self.recipe:
            found += self.domain_mappings(first)
        return found

    def domain_mappings(self, region: str) -> list[str]:
        """Without a balancer, each org host mapped to the service, whose Google-managed
        certificate Cloud Run makes (the balancer's recipe makes them in ``balancer``)."""
        found = []
        for host in self.target.org_hosts:
            at = (f"--domain={host}", f"--region={region}")
            found.append(
                once(
                    self.gcloud("beta", "run", "domain-mappings", "describe", *at),
                    self.gcloud(
                        "beta", "run", "domain-mappings", "create", f"--service={self.name}", *at
                    ),
                )
            )
        return found

    def image_of(self, region: str) -> str:
        """IMAGE: what the service runs in ``region``."""
        image = "--format=value(spec.template.spec.containers[0].image)"
        described = self.gcloud(
            "run", "services", "describe", self.name, f"--region={region}", image
        )
        return f"IMAGE=$({described})"

    def balancer(self) -> list[str]:
        """A global external Application Load Balancer over one serverless NEG per region, at
        the public URL's host, with a Google-managed certificate."""
        if "balancer" not in self.recipe:
            return []
        recipe, here = self.recipe["balancer"], ("--global",)
        name = str(recipe["name"])
        host = urlsplit(self.target.public_url).hostname or ""
        found = [self.ensure("compute addresses", name, "--ip-version=IPV4", at=here)]
        groups = []
        for region in self.target.every_region:
            neg = f"{name}-{region}"
            found.append(
                self.ensure(
                    "compute network-endpoint-groups",
                    neg,
                    "--network-endpoint-type=serverless",
                    f"--cloud-run-service={self.name}",
                    at=(f"--region={region}",),
                )
            )
            groups.append(
                "https://www.googleapis.com/compute/v1/projects/"
                f"{self.target.project}/regions/{region}/networkEndpointGroups/{neg}"
            )
        # Serverless NEGs have no health checks: outlier detection is what takes a failing
        # region out of the rotation. The whole backend service is declared, so that
        # importing it again applies the recipe's values.
        outliers = recipe["outlier_detection"]
        declared = [
            f"name: {name}",
            "loadBalancingScheme: EXTERNAL_MANAGED",
            "backends:",
            *(f"- group: {group}" for group in groups),
            "outlierDetection:",
            *(f"  {key}: {value}" for key, value in outliers.items()),
        ]
        found.append(
            command("printf", "%s\\n", *declared)
            + " | "
            + self.gcloud("compute", "backend-services", "import", name, *here, "--quiet")
        )
        # A Google-managed certificate for the public URL's host and one for each org host.
        certificates = {name: host} | {
            certificate_name(name, org): org for org in self.target.org_hosts
        }
        found.append(self.ensure("compute url-maps", name, f"--default-service={name}", at=here))
        for certificate, domain in certificates.items():
            found.append(
                self.ensure("compute ssl-certificates", certificate, f"--domains={domain}", at=here)
            )
        listed = f"--ssl-certificates={','.join(certificates)}"
        found.append(
            self.ensure("compute target-https-proxies", name, f"--url-map={name}", listed, at=here)
        )
        if self.target.org_hosts:  # a proxy made before serves the hosts added since
            found.append(
                self.gcloud("compute", "target-https-proxies", "update", name, listed, *here)
            )
        found += [
            self.ensure(
                "compute forwarding-rules",
                name,
                "--load-balancing-scheme=EXTERNAL_MANAGED",
                "--network-tier=PREMIUM",
                f"--address={name}",
                f"--target-https-proxy={name}",
                "--ports=443",
                at=here,
            ),
        ]
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
        # Pub/Sub's agent (and Cloud Scheduler's, which starts the sweeps) mint its tokens.
        agents = [agent, *([SCHEDULER_AGENT] if "scheduler" in self.recipe else [])]
        for minter in agents:
            found.append(
                self.grant(
                    "iam service-accounts", pusher, minter, "roles/iam.serviceAccountTokenCreator"
                )
            )
        # Where pushes go: the service's own address, or (several regions) the balancer's.
        push_to = self.value(recipe.get("push_to", "${SERVICE_URL}"))
        pushes = (
            f"--push-auth-service-account={pusher}",
            f"--push-auth-token-audience={self.audience()}",
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
            endpoint = f"--push-endpoint={push_to}{subscription['path']}"
            found.append(
                self.ensure("pubsub subscriptions", name, topic, endpoint, *pushes, *letters)
            )
            if letters:  # Pub/Sub's agent acknowledges what it moves to the dead letters
                found.append(
                    self.grant("pubsub subscriptions", name, agent, "roles/pubsub.subscriber")
                )
        return found

    def audience(self) -> str:
        """The audience of the push tokens: the service's JOB_PUSH_AUDIENCE."""
        return self.value(self.recipe["service"]["env"]["JOB_PUSH_AUDIENCE"])

    def scheduler(self) -> list[str]:
        """Cloud Scheduler jobs, one per sweep in each region, that push the sweep as a job
        to the public URL (any region that is up runs it), with the push account's OIDC
        token: no instance needs CPU between requests for them."""
        if "scheduler" not in self.recipe:
            return []
        recipe = self.recipe["scheduler"]
        pusher = self.email(str(self.recipe["pubsub"]["pusher"]))
        found = []
        for region in self.target.every_region:
            for sweep, schedule in recipe["sweeps"].items():
                job = json.dumps({"kind": "sweep", "subject": sweep}, separators=(",", ":"))
                data = base64.b64encode(job.encode()).decode()
                body = json.dumps({"message": {"data": data}}, separators=(",", ":"))
                found.append(
                    self.ensure(
                        "scheduler jobs",
                        f"{self.name}-sweep-{sweep}",
                        f"--schedule={schedule}",
                        f"--uri={self.value(recipe['uri'])}",
                        "--http-method=post",
                        "--headers=Content-Type=application/json",
                        f"--message-body={body}",
                        f"--oidc-service-account-email={pusher}",
                        f"--oidc-token-audience={self.audience()}",
                        f"--attempt-deadline={recipe['attempt_deadline']}",
                        at=(f"--location={region}",),
                        create=("create", "http"),
                    )
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
    """The recipe at ``path``; one that ``extends`` another is that one with its own values
    over it (tables merged, any other value replaced)."""
    with path.open("rb") as handle:
        recipe = tomllib.load(handle)
    base = recipe.pop("extends", None)
    return _merged(read(path.parent / base), recipe) if base else recipe


def _merged(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        below = merged.get(key)
        both = isinstance(below, Mapping) and isinstance(value, Mapping)
        merged[key] = _merged(below, value) if both else value  # type: ignore[arg-type]
    return merged


_HOST = re.compile(
    r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.){2,}[a-z][a-z0-9-]*[a-z0-9]"
)


def certificate_name(balancer: str, host: str) -> str:
    """An org host's certificate's name: the balancer's, then the host's labels (at most 63
    characters, as Compute Engine's names are)."""
    return f"{balancer}-{host.replace('.', '-')}"[:63].rstrip("-")


def org_hosts(text: str | None) -> tuple[str, ...]:
    """``--org-hosts``' hosts, each once, lower case; RecipeError for one that is no host."""
    found = tuple(dict.fromkeys(h.strip().lower() for h in (text or "").split(",") if h.strip()))
    wrong = [host for host in found if not _HOST.fullmatch(host)]
    if wrong:
        raise RecipeError(f"--org-hosts: not a host name: {', '.join(wrong)}")
    return found


def target(args: argparse.Namespace, recipe: Mapping[str, Any]) -> Target:
    """Where the recipe deploys: one region, or (a recipe with a load balancer) two or more."""
    if not args.public_url.startswith("https://"):
        raise RecipeError("--public-url: the front end's https:// address")
    regions = tuple(dict.fromkeys(r.strip() for r in (args.regions or "").split(",") if r.strip()))
    hosts = org_hosts(args.org_hosts)
    if "balancer" in recipe:
        if args.region or len(regions) < 2:
            raise RecipeError("--regions: this recipe runs in two regions or more (a,b)")
        return Target(args.project, regions[0], args.public_url, regions, hosts)
    if args.regions or not args.region:
        raise RecipeError("--region: this recipe runs in one region")
    return Target(args.project, args.region, args.public_url, org_hosts=hosts)


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
    parser.add_argument("--region", help="the region (a recipe for one)")
    parser.add_argument("--regions", help="the regions, a,b (a recipe for several)")
    parser.add_argument("--public-url", required=True, help="the front end's https address")
    parser.add_argument(
        "--org-hosts",
        help="the orgs' active sign-in hosts, a,b (flask orgs sign-in-domain list --active): "
        "each gets its certificate",
    )
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
        recipe = read(args.recipe)
        script = render(recipe, target(args, recipe), only)
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
