#!/usr/bin/env python3
"""The service CPU of a SAML sign-in's ACS against an upstream OpenID sign-in's callback.

    .venv/bin/python bench/saml_acs.py [--signins 160] [--rounds 2] [--connections 4]

firegate runs under `gunicorn -c gunicorn.conf.py` on the Firestore and Auth emulators with the
request limits off, with two ways in on this machine: an org's SAML connection whose IdP is
pysaml2's own (tests/support/saml_idp.py, run in this process, signing with xmlsec1), and the
upstream OpenID provider bench/upstream_callback.py uses (oidc-provider). Sixteen people sign
in each way once (accounts made and linked, members of the org: not timed). Then, each round:

- ``acs``: ``--signins`` answers posted to /sso/{connection}/saml/acs, each to a request its
  browser started (the start and the IdP's signing are done first and not timed). Each ACS
  opens the flight, has pysaml2 check the answer (libxmlsec1 verifies the signatures in the
  worker; any process a worker ran would be counted with its reaped children), spends the
  assertion, reads the org and its domain claim, finds the linked identity, the membership,
  and starts a session;
- ``callback``: as many returns to /sign-in/with/oidc/callback (bench/upstream_callback.py's).

The figure is the service's CPU per sign-in (gunicorn's master and workers and their
children, read around each run). Target: acs <= 2x callback. Writes
bench/results/saml_acs_{both,assertion}.json (``--signed``: what the IdP signs).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from _common import (
    ROOT,
    Server,
    emulator_pid,
    free_port,
    median,
    register_and_login,
    service_env,
    start_emulators,
    unique,
    wipe_firestore,
    write_result,
)
from domain.orgs.domains import OrgDomain
from infrastructure.firestore.client import make_client
from infrastructure.firestore.orgs.domains import FirestoreOrgDomains
from upstream_callback import (
    CLIENT,
    PEOPLE,
    PROVIDER,
    Person,
    Upstream,
    drive,
    flights,
    returns,
)

sys.path.insert(0, str(ROOT))  # the tests' own IdP
from tests.support.saml_idp import (
    ENTITY_ID,
    SSO_URL,
    SamlIdpForTests,
    key_pair,
    posted,
)

TARGET_RATIO = 2.0
DOMAIN = "corp.example"


def verified_domain(project: str, org_id: str) -> None:
    """The org's domain verified directly in Firestore (the bench has no DNS to publish in)."""
    domains = FirestoreOrgDomains(make_client(project))
    added = OrgDomain.create(org_id, DOMAIN, created_by="bench", now=_now())
    domains.add(added)
    domains.verify(added.verified_now(_now()))


def reaped_children_cpu(pids: list[int]) -> float:
    """CPU seconds of the processes' children they have reaped (/proc's cutime and cstime,
    in clock ticks): xmlsec1, when pysaml2 ran it for each signature it checked (none now:
    docs/decisions/0399-saml-signatures-in-process.md)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        total += (int(fields[13]) + int(fields[14])) / ticks
    return total


def _now() -> datetime:
    return datetime.now(UTC)


class SamlPerson:
    """Someone at the org's IdP: a browser at firegate that starts sign-ins."""

    def __init__(
        self,
        email: str,
        firegate: str,
        connection: dict[str, Any],
        idp: SamlIdpForTests,
        signed: str,
    ) -> None:
        self.email, self.firegate, self.connection, self.idp = email, firegate, connection, idp
        self.signed = signed  # what the IdP signs: "both" (response and assertion), "assertion"
        self.browser = requests.Session()

    def answer(self) -> tuple[str, str]:
        """A started sign-in's answer from the IdP and the Cookie header its browser sends."""
        cid = self.connection["id"]
        left = self.browser.get(
            f"{self.firegate}/sso/{cid}/saml", allow_redirects=False, timeout=30
        )
        if left.status_code != 303:
            raise SystemExit(f"start: {left.status_code} {left.text[:300]}")
        request = self.idp.request_of(left.headers["Location"])
        saml = self.connection["saml"]
        xml = self.idp.response(
            in_response_to=request.message.id,
            destination=saml["acs_url"],
            audience=saml["sp_entity_id"],
            email=self.email,
            attributes={"mail": [self.email]},
            sign_response=self.signed == "both",
            sign_assertion=True,
        )
        cookies = "; ".join(
            f"{c.name}={c.value}" for c in self.browser.cookies if c.name != "firegate_session"
        )
        return posted(xml), cookies


def main() -> int:  # noqa: PLR0915 - one scenario, read top to bottom
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--signins", type=int, default=160, help="sign-ins a run")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument(
        "--signed",
        choices=("both", "assertion"),
        default="both",
        help="what the IdP signs (each signature is one more check at the ACS)",
    )
    args = parser.parse_args()
    signins = max(PEOPLE, args.signins // PEOPLE * PEOPLE)

    emulators = start_emulators(("firestore", "auth"))
    firegate_port, upstream_port = free_port(), free_port()
    firegate = f"http://127.0.0.1:{firegate_port}"
    callback = f"{firegate}/sign-in/with/{PROVIDER}/callback"
    runs: dict[str, list[dict[str, Any]]] = {"acs": [], "callback": []}
    try:
        wipe_firestore(emulators)
        with Upstream(upstream_port, callback) as upstream:
            provider = {
                "id": PROVIDER,
                "issuer": upstream.url,
                "client_id": CLIENT[0],
                "client_secret": CLIENT[1],
                "name": "Bench OP",
            }
            env = service_env(
                emulators,
                PUBLIC_URL=firegate,
                UPSTREAM_PROVIDERS=json.dumps([provider]),
                LOG_LEVEL="WARNING",
            )
            with Server("saml-acs", env, port=firegate_port) as service:
                workers = service.wait_workers(int(env.get("WEB_CONCURRENCY", "2")))
                owner = register_and_login(firegate, unique("owner"))
                auth = {"Authorization": f"Bearer {owner['access_token']}"}
                org = requests.post(
                    firegate + "/orgs",
                    json={"slug": unique("corp"), "name": "Corp"},
                    headers=auth,
                    timeout=30,
                ).json()
                verified_domain(emulators.project, org["id"])
                keys = key_pair()
                made = requests.post(
                    f"{firegate}/orgs/{org['id']}/connections",
                    json={
                        "kind": "saml",
                        "name": "Corp IdP",
                        "saml": {
                            "entity_id": ENTITY_ID,
                            "sso_url": SSO_URL,
                            "certificates": [keys.der],
                        },
                        "mapping": {"email": "mail"},
                        "status": "active",
                    },
                    headers=auth,
                    timeout=30,
                )
                if made.status_code != 201:
                    raise SystemExit(f"connection: {made.status_code} {made.text[:300]}")
                connection = made.json()
                metadata = requests.get(
                    f"{firegate}/sso/{connection['id']}/saml/metadata", timeout=30
                ).text
                idp = SamlIdpForTests(metadata, keys=keys)
                prefix = unique("sso")
                saml_people = [
                    SamlPerson(f"{prefix}{n}@{DOMAIN}", firegate, connection, idp, args.signed)
                    for n in range(PEOPLE)
                ]
                oidc_people = [Person(f"{prefix}u{n}", firegate, callback) for n in range(PEOPLE)]
                with ThreadPoolExecutor(max_workers=8) as pool:
                    list(pool.map(Person.first_sign_in, oidc_people))
                for person in saml_people:  # each account made, linked and a member
                    body, _ = person.answer()
                    first = person.browser.post(
                        f"{firegate}/sso/{connection['id']}/saml/acs",
                        data={"SAMLResponse": body},
                        allow_redirects=False,
                        timeout=30,
                    )
                    if first.status_code != 303:
                        raise SystemExit(f"first ACS: {first.status_code} {first.text[:300]}")
                emulator = emulator_pid(emulators.firestore_port) or 0

                pids = [service.pid, *workers]

                def timed_acs(count: int) -> dict[str, Any]:
                    made = [saml_people[i % PEOPLE].answer() for i in range(count)]
                    acs = f"{firegate}/sso/{connection['id']}/saml/acs"

                    def send(http: requests.Session, i: int) -> int:
                        body, cookies = made[i]
                        got = http.post(
                            acs,
                            data={"SAMLResponse": body},
                            headers={"Cookie": cookies},
                            allow_redirects=False,
                            timeout=60,
                        )
                        ok = got.status_code == 303 and "/account" in got.headers["Location"]
                        return got.status_code if ok else -got.status_code

                    return measured(send, count, [*pids, emulator])

                def timed_callbacks(count: int) -> dict[str, Any]:
                    made = flights(oidc_people, count)
                    return measured(returns(made), len(made), [*pids, emulator])

                def measured(
                    send: Callable[[requests.Session, int], int], count: int, of: list[int]
                ) -> dict[str, Any]:
                    # A program a worker runs (xmlsec1, before decision 0399): its CPU once
                    # reaped.
                    before = reaped_children_cpu(workers)
                    run = drive(send, count, args.connections, of)
                    run["children_cpu_ms"] = round(
                        1000 * (reaped_children_cpu(workers) - before) / count, 3
                    )
                    return run

                timed: dict[str, Callable[[int], dict[str, Any]]] = {
                    "acs": timed_acs,
                    "callback": timed_callbacks,
                }
                for run_of in timed.values():  # warm-up, not timed
                    run_of(PEOPLE * 2)
                for round_no in range(args.rounds):
                    order = ["acs", "callback"]
                    for label in order if round_no % 2 == 0 else order[::-1]:
                        run = timed[label](signins)
                        cpu = run.pop("cpu_ms")
                        run["service_cpu_ms"] = round(sum(cpu[:-1]) + run["children_cpu_ms"], 3)
                        run["firestore_emulator_cpu_ms"] = cpu[-1]
                        runs[label].append(run)
                        print(
                            f"round {round_no + 1} {label:>8}: service {run['service_cpu_ms']:.2f}"
                            f" ms CPU a sign-in ({run['per_second']}/s, statuses "
                            f"{run['statuses']}); load {run['load_after']}",
                            flush=True,
                        )
    finally:
        emulators.stop()

    acs_ms = round(median([r["service_cpu_ms"] for r in runs["acs"]]), 3)
    callback_ms = round(median([r["service_cpu_ms"] for r in runs["callback"]]), 3)
    ratio = round(acs_ms / callback_ms, 2) if callback_ms else float("inf")
    errors = sum(
        n for r in runs["acs"] + runs["callback"] for s, n in r["statuses"].items() if s != "303"
    )
    result = {
        "server": "gunicorn -c gunicorn.conf.py, RATE_LIMIT_ENABLED=false, Firestore and Auth "
        "emulators; IdP: pysaml2's own (in the bench's process); upstream: oidc-provider",
        "signins_per_run": signins,
        "idp_signs": args.signed,
        "connections": args.connections,
        "acs_service_cpu_ms": acs_ms,
        "callback_service_cpu_ms": callback_ms,
        "ratio": ratio,
        "target_ratio_max": TARGET_RATIO,
        "errors": errors,
        "met": ratio <= TARGET_RATIO and errors == 0,
        "runs": runs,
    }
    path = write_result(f"saml_acs_{args.signed}", result)
    print(
        f"ACS {acs_ms} ms against the upstream callback {callback_ms} ms of service CPU a "
        f"sign-in: {ratio}x (target <= {TARGET_RATIO}); wrote {path}"
    )
    return 0 if result["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
