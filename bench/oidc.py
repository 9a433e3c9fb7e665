#!/usr/bin/env python3
"""The OpenID Connect provider's grants per core, firegate against panva's oidc-provider.

    .venv/bin/python bench/oidc.py [--seconds 5] [--rounds 3] [--connections 8]

Both providers run on this machine in the same run, each on one core's worth of processes:
firegate under gunicorn with one worker (GUNICORN_THREADS threads) on the Firestore
emulator, the peer (bench/peer/server.mjs, oidc-provider 9, OpenID Certified) as its one
Node.js process with its in-memory store. For each grant wrk sends `--connections`
connections for `--seconds`, in turn per provider, `--rounds` times:

- ``client_credentials``: a confidential client's token (a JWT access token for a resource);
- ``authorization_code``: a code exchange with its PKCE verifier, each code used once (the
  codes are minted before each round: firegate's through /oauth/authorize as a signed-in
  browser whose consent is remembered, the peer's through its /__bench/codes);
- ``refresh_token``: a rotated refresh, each refresh token used once;
- ``refresh_token_dpop``, firegate only: the same for a public client's DPoP-bound refresh
  tokens (RFC 9449), each request with a new proof of the key (made just before the run):
  the proof checked, its ``jti`` kept in the rotation's commit, the access token bound;
- ``token_exchange``, firegate only (oidc-provider 9 has no RFC 8693 grant): the bench
  client exchanges a person's access token from a code exchange for one for another of its
  resources, narrowed to ``openid`` (the same subject token each time: the signature, its
  grant, client and user read, the exchanged token signed);
- ``token_exchange_chained``, firegate only: the same client exchanges a token it got from
  an exchange for its other resource (a chain of two: the subject's grant read, and whether
  the subject, an exchanged token, was revoked by itself);
- ``introspection``: RFC 7662 of a refresh token (both look it up in their store);
- ``introspection_access``: RFC 7662 of a user's access token from a code exchange (what
  resource servers introspect most). firegate's is a JWT: its signature, then whether its
  grant, client and user still hold. The peer's JWT access tokens cannot be introspected
  (oidc-provider answers ``unsupported_token_type``), so its row introspects an opaque access
  token of a second resource server (bench/peer/server.mjs), found in its store with its grant;
- a floor row, firegate only: ``GET /healthz`` on the same server, a request that reads and
  checks nothing, so the grants' figures can be read against what any request costs.

Before each introspection run one request must answer ``"active": true`` (a token that has
expired or was refused would otherwise be timed as a cheap ``active: false``).

Per core is the provider's requests per second of its own CPU (1000 / CPU ms per request),
steady on a shared machine; requests/s and p50/p99 are wrk's. Targets (per core): client
credentials >= 120/s, refresh >= 120/s (Keycloak's published sizing per vCPU), code exchange
>= 100/s, token exchange >= 120/s, introspection (either token) >= 1,000/s; p99 <= 3x p50;
a DPoP-bound refresh at most 1.5x an unbound one's CPU (``dpop_refresh_cost``). ``--grants``
times only some rows. Writes bench/results/oidc.json.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import ec

from _common import (
    BENCH,
    LOGS,
    PASSWORD,
    ROOT,
    Server,
    free_port,
    loadavg,
    median,
    service_env,
    start_emulators,
    unique,
    wipe_firestore,
    write_result,
    wrk,
)
from infrastructure.dev_secrets import new_signing_key_pem

PEER = BENCH / "peer"
VERIFIER = "bench-verifier-0123456789-0123456789-0123456789-abc"
CHALLENGE = (
    base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()
)
FORM = "application/x-www-form-urlencoded"
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"  # RFC 8693
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
EXCHANGE_TARGET = "https://bench-api.example.com/"  # the bench client's resources
EXCHANGE_TARGET_2 = "https://bench-billing.example.com/"
TARGETS = {  # per core
    "client_credentials": 120,
    "authorization_code": 100,
    "refresh_token": 120,
    "refresh_token_dpop": 80,  # 1.5x a refresh's CPU at most
    "token_exchange": 120,
    "token_exchange_chained": 120,
    "introspection": 1000,
    "introspection_access": 1000,
}
KEYCLOAK = {  # Keycloak's sizing guide, per vCPU
    "client_credentials": "120/s",
    "refresh_token": "120/s",
    "refresh_token_dpop": "-",
    "token_exchange": "-",
    "token_exchange_chained": "-",
    "authorization_code": "-",
    "introspection": "-",
    "introspection_access": "-",
}


@dataclass
class Target:
    """A provider under test: where its endpoints are and what the bench sends them."""

    name: str
    token_url: str
    introspection_url: str
    authorization: str  # the confidential client's "Basic ..." header
    pids: Callable[[], list[int]]  # the provider's processes, for their CPU
    client_credentials: str  # a form body
    codes: list[str] = field(default_factory=list)  # form bodies, each used once
    refreshes: list[str] = field(default_factory=list)  # form bodies, each used once
    dpop_refreshes: list[str] = field(default_factory=list)  # a public client's, DPoP-bound
    dpop_key: ProofKey | None = None  # the key they are bound to
    token_exchange: str = ""  # a form body: a person's access token for another resource
    token_exchange_chained: str = ""  # a form body: an exchanged token, for the other one
    introspection: str = ""  # a form body: a refresh token
    introspection_access: str = ""  # a form body: an access token


def basic(client_id: str, secret: str) -> str:
    pair = f"{urllib.parse.quote(client_id)}:{urllib.parse.quote(secret)}"
    return "Basic " + base64.b64encode(pair.encode()).decode()


def form(**fields: str) -> str:
    return urllib.parse.urlencode(fields)


def exchange(
    target: Target, body: str, http: requests.Session | None = None, key: ProofKey | None = None
) -> dict[str, Any]:
    """A code exchanged (not timed): the token endpoint's answer. With ``key``: a public
    client's, with a DPoP proof (its ``client_id`` in the body)."""
    headers = {"Content-Type": FORM}
    if key is None:
        headers["Authorization"] = target.authorization
    else:
        headers["DPoP"] = key.proof(target.token_url)
    got = (http or requests).post(target.token_url, data=body, headers=headers, timeout=60)
    if got.status_code != 200:
        raise SystemExit(f"{target.name}: code exchange {got.status_code} {got.text[:300]}")
    answer: dict[str, Any] = got.json()
    return answer


def exchange_all(
    target: Target, code_bodies: Sequence[str], key: ProofKey | None = None, client_id: str = ""
) -> list[str]:
    """Exchange codes (not timed) for refresh tokens: the refresh grant's single-use bodies
    (a public client's, ``client_id``, bound to ``key``, when it is given)."""
    local = threading.local()
    named = {"client_id": client_id} if key is not None else {}

    def one(body: str) -> str:
        if not hasattr(local, "http"):
            local.http = requests.Session()
        tokens = exchange(target, body, local.http, key)
        return form(grant_type="refresh_token", refresh_token=tokens["refresh_token"], **named)

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(one, code_bodies))


def introspection_bodies(tokens: dict[str, Any]) -> tuple[str, str]:
    """The introspection rows' bodies: of the refresh token, of the access token."""
    return (
        form(token=tokens["refresh_token"], token_type_hint="refresh_token"),
        form(token=tokens["access_token"], token_type_hint="access_token"),
    )


def check_active(target: Target, body: str) -> None:
    """One introspection (not timed) that must find the token active."""
    got = requests.post(
        target.introspection_url,
        data=body,
        headers={"Authorization": target.authorization, "Content-Type": FORM},
        timeout=60,
    )
    if got.status_code != 200 or got.json().get("active") is not True:
        raise SystemExit(f"{target.name}: introspection {got.status_code} {got.text[:300]}")


def exchanged_once(target: Target, body: str) -> str:
    """One token exchange (not timed) that must give a token (a refusal would otherwise be
    timed as a cheap 400): the token."""
    got = requests.post(
        target.token_url,
        data=body,
        headers={"Authorization": target.authorization, "Content-Type": FORM},
        timeout=60,
    )
    if got.status_code != 200 or "access_token" not in got.json():
        raise SystemExit(f"{target.name}: token exchange {got.status_code} {got.text[:300]}")
    token: str = got.json()["access_token"]
    return token


# -- the peer: oidc-provider ------------------------------------------------------------------


class Peer:
    """bench/peer/server.mjs on a free port (its node_modules installed with npm ci)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Peer:
        if not (PEER / "node_modules" / "oidc-provider").exists():
            npm = shutil.which("npm") or "npm"
            subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=PEER, check=True)
        LOGS.mkdir(parents=True, exist_ok=True)
        with (LOGS / "oidc-peer.log").open("wb") as out:
            self.proc = subprocess.Popen(
                [shutil.which("node") or "node", "server.mjs"],
                cwd=PEER,
                env={**os.environ, "PORT": str(self.port)},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/.well-known/openid-configuration", timeout=2).ok:
                    return self
            except requests.ConnectionError:
                time.sleep(0.2)
        raise SystemExit("the oidc-provider peer did not start: see .local/bench/oidc-peer.log")

    def __exit__(self, *_: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def target(self, codes_needed: int, refreshes_needed: int) -> Target:
        meta = requests.get(self.url + "/.well-known/openid-configuration", timeout=5).json()
        auth = basic("bench", "bench-secret-0123456789abcdef0123456789abcdef")
        minted = requests.get(f"{self.url}/__bench/codes", params={"n": 1}, timeout=60).json()
        minted["codes"] = self.more_codes(codes_needed + refreshes_needed)

        def code_body(code: str) -> str:
            return form(
                grant_type="authorization_code",
                code=code,
                redirect_uri=minted["redirect_uri"],
                code_verifier=minted["code_verifier"],
            )

        bodies = [code_body(code) for code in minted["codes"]]
        proc = self.proc
        target = Target(
            name="oidc-provider",
            token_url=meta["token_endpoint"],
            introspection_url=meta["introspection_endpoint"],
            authorization=auth,
            pids=lambda: [proc.pid] if proc is not None else [],
            client_credentials=form(
                grant_type="client_credentials", scope="api", resource=minted["resource"]
            ),
            codes=bodies[:codes_needed],
        )
        target.refreshes = exchange_all(target, bodies[codes_needed:])
        spare = exchange(target, code_body(self.more_codes(1)[0]))
        target.introspection = introspection_bodies(spare)[0]
        opaque = requests.get(
            f"{self.url}/__bench/codes", params={"n": "1", "resource": "opaque"}, timeout=60
        ).json()["codes"][0]
        target.introspection_access = introspection_bodies(exchange(target, code_body(opaque)))[1]
        return target

    def more_codes(self, n: int) -> list[str]:
        """``n`` codes, minted 10,000 at a time (the peer's most per request)."""
        codes: list[str] = []
        while len(codes) < n:
            asked = min(10_000, n - len(codes))
            got = requests.get(f"{self.url}/__bench/codes", params={"n": asked}, timeout=600)
            codes += got.json()["codes"]
        return codes


# -- firegate -------------------------------------------------------------------------------

REDIRECT = "http://127.0.0.1:9/callback"


def code_bodies(codes: Sequence[str], **named: str) -> list[str]:
    """The code exchanges' form bodies (``client_id`` named for a public client)."""
    return [
        form(
            grant_type="authorization_code",
            code=code,
            redirect_uri=REDIRECT,
            code_verifier=VERIFIER,
            **named,
        )
        for code in codes
    ]


class ProofKey:
    """A client's DPoP key (RFC 9449): an EC P-256 key and its proofs."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.key.public_key()))

    def proof(self, url: str) -> str:
        claims = {"jti": uuid.uuid4().hex, "htm": "POST", "htu": url, "iat": int(time.time())}
        headers = {"typ": "dpop+jwt", "jwk": self.jwk}
        return jwt.encode(claims, self.key, algorithm="ES256", headers=headers)


class Firegate:
    """firegate under gunicorn with one worker on the bench emulators, PUBLIC_URL its own
    address (the issuer), one signing key; a confidential client made with the CLI."""

    def __init__(self, threads: int) -> None:
        self.emulators = start_emulators(("firestore",))
        wipe_firestore(self.emulators)
        env = service_env(
            self.emulators,
            WEB_CONCURRENCY="1",
            GUNICORN_THREADS=str(threads),
            OIDC_PRIVATE_KEY=new_signing_key_pem(),
            LOG_LEVEL="WARNING",
        )
        self.server = Server("oidc-firegate", env)
        self.server.env["PUBLIC_URL"] = self.server.url
        self.env = self.server.env

    def __enter__(self) -> Firegate:
        self.server.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.stop()

    def cli(self, *args: str) -> dict[str, Any]:
        flask = str(Path(sys.executable).with_name("flask"))
        done = subprocess.run(
            [flask, "--app", "src/wsgi.py", *args],
            cwd=ROOT,
            env={**self.env, "LOG_LEVEL": "ERROR"},
            capture_output=True,
            text=True,
            check=True,
        )
        found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return found

    def browser(self) -> requests.Session:
        """A signed-in browser's cookies, through the sign-up page's form."""
        url, name = self.server.url, unique("oidc")
        with requests.Session() as http:
            body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
            if http.post(url + "/register", json=body, timeout=30).status_code != 201:
                raise SystemExit("firegate: register failed")
        browser = requests.Session()
        html = browser.get(url + "/sign-in", timeout=30).text
        csrf = html.split('name="csrf_token" value="')[1].split('"')[0]
        form = {"username": name, "password": PASSWORD, "csrf_token": csrf}
        if browser.post(url + "/sign-in", data=form, allow_redirects=False).status_code != 303:
            raise SystemExit("firegate: sign-in failed")
        return browser

    def codes(self, browser: requests.Session, client_id: str, n: int) -> list[str]:
        """``n`` codes from /oauth/authorize as the signed-in browser (consent once)."""
        params = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": REDIRECT,
            "scope": "openid offline_access",
            "code_challenge": CHALLENGE,
            "code_challenge_method": "S256",
        }
        authorize = self.server.url + "/oauth/authorize"

        def one(_: int) -> str:
            got = browser.get(authorize, params=params, allow_redirects=False, timeout=60)
            if got.status_code == 200:  # the consent page, the first time
                csrf = got.text.split('name="csrf_token" value="')[1].split('"')[0]
                got = browser.post(  # the consent form's own route, with the page's query
                    got.url.replace("/oauth/authorize?", "/oauth/authorize/consent?", 1),
                    data={"decision": "allow", "csrf_token": csrf},
                    allow_redirects=False,
                    timeout=60,
                )
            if got.status_code != 302:
                raise SystemExit(f"firegate: authorize {got.status_code} {got.text[:300]}")
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(got.headers["Location"]).query)
            return query["code"][0]

        first = [one(0)]
        with ThreadPoolExecutor(max_workers=8) as pool:
            return first + list(pool.map(one, range(n - 1)))

    def bound_refreshes(
        self, browser: requests.Session, target: Target, key: ProofKey, n: int
    ) -> list[str]:
        """``n`` refresh bodies of a public client, each token bound to ``key``."""
        public = self.cli(
            "clients", "create", "--name", "bench cli", "--redirect-uri", REDIRECT,
            "--scope", "openid", "--scope", "offline_access",
        )  # fmt: skip
        client_id = public["client_id"]
        bodies = code_bodies(self.codes(browser, client_id, n), client_id=client_id)
        return exchange_all(target, bodies, key, client_id)

    def target(
        self, codes_needed: int, refreshes_needed: int, dpop_refreshes_needed: int = 0
    ) -> Target:
        client = self.cli(
            "clients",
            "create",
            "--name",
            "bench",
            "--redirect-uri",
            REDIRECT,
            "--confidential",
            "--grant",
            "token_exchange",
            "--resource",
            EXCHANGE_TARGET,
            "--resource",
            EXCHANGE_TARGET_2,
            "--scope",
            "openid",
            "--scope",
            "offline_access",
            "--scope",
            "roles",
        )
        browser = self.browser()
        codes = self.codes(browser, client["client_id"], codes_needed + refreshes_needed + 1)
        bodies = code_bodies(codes)
        meta = requests.get(
            self.server.url + "/.well-known/openid-configuration", timeout=10
        ).json()
        server = self.server
        target = Target(
            name="firegate",
            token_url=meta["token_endpoint"],
            introspection_url=meta["introspection_endpoint"],
            authorization=basic(client["client_id"], client["client_secret"]),
            pids=lambda: [server.pid, *server.workers()],
            client_credentials=form(grant_type="client_credentials", scope="roles"),
            codes=bodies[:codes_needed],
        )
        target.refreshes = exchange_all(target, bodies[codes_needed:-1])
        if dpop_refreshes_needed:
            target.dpop_key = ProofKey()
            target.dpop_refreshes = self.bound_refreshes(
                browser, target, target.dpop_key, dpop_refreshes_needed
            )
        spare = exchange(target, bodies[-1])
        target.introspection, target.introspection_access = introspection_bodies(spare)
        target.token_exchange = form(
            grant_type=TOKEN_EXCHANGE,
            subject_token=spare["access_token"],  # aud the bench client: issued for it
            subject_token_type=ACCESS_TOKEN_TYPE,
            resource=EXCHANGE_TARGET,
            scope="openid",
        )
        first = exchanged_once(target, target.token_exchange)
        target.token_exchange_chained = form(
            grant_type=TOKEN_EXCHANGE,
            subject_token=first,  # aud EXCHANGE_TARGET: exchanged for the other resource
            subject_token_type=ACCESS_TOKEN_TYPE,
            resource=EXCHANGE_TARGET_2,
        )
        return target


# -- the run ----------------------------------------------------------------------------------


def run_grant(target: Target, grant: str, *, connections: int, seconds: float) -> dict[str, Any]:
    introspects = grant.startswith("introspection")
    url = target.introspection_url if introspects else target.token_url
    once = grant in ("authorization_code", "refresh_token", "refresh_token_dpop")
    bodies = {
        "client_credentials": [target.client_credentials],
        "authorization_code": target.codes,
        "refresh_token": target.refreshes,
        "refresh_token_dpop": target.dpop_refreshes,
        "token_exchange": [target.token_exchange],
        "token_exchange_chained": [target.token_exchange_chained],
        "introspection": [target.introspection],
        "introspection_access": [target.introspection_access],
    }[grant]
    if introspects:
        check_active(target, bodies[0])
    if grant.startswith("token_exchange"):
        exchanged_once(target, bodies[0])
    key = target.dpop_key if grant == "refresh_token_dpop" else None
    proofs = [key.proof(url) for _ in bodies] if key is not None else []  # fresh: iat now
    result = wrk(
        url,
        connections=connections,
        seconds=seconds,
        method="POST",
        bodies=bodies,
        content_type=FORM,
        authorization=None if key is not None else target.authorization,
        once=once,
        cpu_of=target.pids(),
        proofs=proofs,
    )
    if once:  # each body once: a thread that spent its share stops (wrk_report.lua)
        result["single_use_bodies"] = len(bodies)
    ok = result["requests"] - result["non_2xx"] - result["socket_errors"]
    cpu_seconds = result["cpu_ms_per_request"] * result["requests"] / 1000
    result["ok"] = ok
    result["ok_rps"] = round(result["rps"] * ok / result["requests"], 1) if ok else 0.0
    result["per_core"] = round(ok / cpu_seconds, 1) if cpu_seconds else 0.0
    return result


def run_floor(target: Target, *, connections: int, seconds: float) -> dict[str, Any]:
    """GET /healthz on the same server: what a request that does nothing costs it (gunicorn,
    Flask, firegate's per-request hooks), beside which the grants' figures read."""
    base = target.token_url.removesuffix("/oauth/token")
    result = wrk(base + "/healthz", connections=connections, seconds=seconds, cpu_of=target.pids())
    cpu_ms = result["cpu_ms_per_request"]
    result["per_core"] = round(1000 / cpu_ms, 1) if cpu_ms else 0.0
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--only", default="", help="peer or firegate (default: both)")
    parser.add_argument(
        "--peer-rate", type=int, default=3000, help="the peer's single-use bodies per second"
    )
    parser.add_argument(
        "--firegate-rate", type=int, default=500, help="firegate's single-use bodies per second"
    )
    parser.add_argument("--threads", type=int, default=8, help="firegate's gunicorn threads")
    parser.add_argument(
        "--grants", default=",".join(TARGETS), help="the rows to time, comma-separated"
    )
    args = parser.parse_args()
    timed = [grant for grant in TARGETS if grant in args.grants.split(",")]
    # Enough single-use codes and refresh tokens for each provider's runs.
    per_run = {
        "oidc-provider": int(args.seconds * args.peer_rate),
        "firegate": int(args.seconds * args.firegate_rate),
    }
    results: dict[str, dict[str, list[dict[str, Any]]]] = {}
    floors: list[dict[str, Any]] = []  # firegate's GET /healthz, once a round
    peer_runs = args.only in ("", "peer")  # the peer is started only when it is timed
    with Peer() if peer_runs else nullcontext() as peer, Firegate(args.threads) as firegate:
        for round_no in range(args.rounds):
            # Each round's single-use codes and refresh tokens minted just before it: a code
            # lives 5 minutes at firegate (CODE_TTL) and 10 at the peer, and a run's minting
            # takes a while, so codes minted for every round at once outlived their time in
            # the later rounds of a slow run. The peer's first (it mints tens of thousands).
            targets = []
            if peer is not None:
                needed = per_run["oidc-provider"]
                targets.append(peer.target(needed, needed))
            if args.only in ("", "firegate"):
                needed = per_run["firegate"]
                bound = needed if "refresh_token_dpop" in timed else 0
                targets.append(firegate.target(needed, needed, bound))
            print(f"round {round_no + 1}: minted codes and refresh tokens; timing", flush=True)
            for target in targets:
                for grant in timed:
                    if not firegate_only_row_runs(grant, target):
                        continue
                    run = run_grant(
                        target, grant, connections=args.connections, seconds=args.seconds
                    )
                    results.setdefault(target.name, {}).setdefault(grant, []).append(run)
                    print(
                        f"round {round_no + 1} {target.name:>13} {grant:>20}: "
                        f"{run['ok_rps']:>7.1f}/s  per core {run['per_core']:>7.1f}/s  "
                        f"p50 {run['p50_ms']} ms  p99 {run['p99_ms']} ms  "
                        f"non-2xx {run['non_2xx']}",
                        flush=True,
                    )
                if target.name == "firegate":
                    floor = run_floor(target, connections=args.connections, seconds=args.seconds)
                    floors.append(floor)
                    print(
                        f"round {round_no + 1} {target.name:>13} {'floor (GET /healthz)':>20}: "
                        f"{floor['rps']:>7.1f}/s  per core {floor['per_core']:>7.1f}/s  "
                        f"cpu/req {floor['cpu_ms_per_request']:.3f} ms",
                        flush=True,
                    )
    summary: dict[str, Any] = {}
    for name, grants in results.items():
        summary[name] = {}
        for grant, runs in grants.items():
            p50 = median([r["p50_ms"] for r in runs])
            p99 = median([r["p99_ms"] for r in runs])
            summary[name][grant] = {
                "rps": median([r["ok_rps"] for r in runs]),
                "per_core": median([r["per_core"] for r in runs]),
                "p50_ms": p50,
                "p99_ms": p99,
                "p99_within_3x_p50": p99 <= 3 * p50,
                "target_per_core": TARGETS[grant],
                "met": median([r["per_core"] for r in runs]) >= TARGETS[grant],
            }
    dpop_refresh_cost = _dpop_refresh_cost(results.get("firegate", {}))
    if dpop_refresh_cost is not None:
        print(f"a DPoP-bound refresh costs {dpop_refresh_cost}x an unbound one (CPU per request)")
    path = write_result(
        "oidc",
        {
            "connections": args.connections,
            "seconds": args.seconds,
            "rounds": args.rounds,
            "keycloak_per_vcpu": KEYCLOAK,
            "summary": summary,
            "runs": results,
            "firegate_floor": {
                "per_core": median([f["per_core"] for f in floors]) if floors else None,
                "cpu_ms_per_request": (
                    median([f["cpu_ms_per_request"] for f in floors]) if floors else None
                ),
                "runs": floors,
            },
            "load_at_end": loadavg(),
            "dpop_refresh_cost": dpop_refresh_cost,
        },
    )
    print(json.dumps(summary, indent=2))
    print(f"wrote {path}")
    return 0


def firegate_only_row_runs(grant: str, target: Target) -> bool:
    """Whether ``target`` has what the row sends: the DPoP-bound refresh and the token
    exchange are firegate's only."""
    if grant == "refresh_token_dpop":
        return target.dpop_key is not None
    if grant.startswith("token_exchange"):
        return bool(target.token_exchange)
    return True


def _dpop_refresh_cost(grants: dict[str, list[dict[str, Any]]]) -> float | None:
    """A DPoP-bound refresh's CPU per request over an unbound one's (medians of the rounds):
    at most 1.5 (docs/benchmarks.md)."""
    bound, unbound = grants.get("refresh_token_dpop"), grants.get("refresh_token")
    if not bound or not unbound:
        return None
    cost = median([r["cpu_ms_per_request"] for r in bound])
    base = median([r["cpu_ms_per_request"] for r in unbound])
    return round(cost / base, 2) if base else None


if __name__ == "__main__":
    sys.exit(main())
