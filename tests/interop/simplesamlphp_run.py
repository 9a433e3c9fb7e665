"""One interop run of firegate's SAML sign-in, encrypted assertions and single logout against
Debian's SimpleSAMLphp as the IdP (docs/testing.md, "Interop runs"). Not a test: pytest does
not collect it (its name does not start with ``test_``); a developer runs it by hand and reads
what it prints::

    apt-get install -y simplesamlphp php-xml chromium
    .venv/bin/python -m tests.interop.simplesamlphp_run

It starts the emulators (empty; it refuses those already answering, whose data is someone's),
gunicorn on them with the tests' own DNS server, makes the org "corp" with ``corp.example``
verified and a SAML connection, writes a SimpleSAMLphp configuration for that connection into
``.local/interop/simplesamlphp/`` (a hosted IdP with a fresh key and SHA-256 signatures;
firegate's SP with its signing and encryption certificates, its single logout service and
``assertion.encryption``), serves SimpleSAMLphp with ``php -S``, gives firegate the IdP's
metadata with ``require_encrypted`` and drives Chromium: a sign-in through the IdP's login form
(refused while ``allow_cbc`` is off, since SimpleSAMLphp 1.19 encrypts with AES128-CBC under an
RSA-OAEP key and can do no other; signed in once it is on), a sign-out that goes on to the IdP
and back, and an IdP-initiated logout that ends firegate's session (its refresh token refused).
Each step prints PASS or FAIL and what it saw; the exit status is 0 only if every step passed.
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import signal
import subprocess
import sys
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import requests
from google.cloud import firestore
from lxml import etree
from playwright.sync_api import Page, Request, sync_playwright

from tests.support.api import bearer
from tests.support.dns_server import dns_server
from tests.support.emulators import load_emulators_module
from tests.support.saml_idp import key_pair
from tests.support.served_api import signed_in
from tests.support.servers import ROOT, answers, free_port, serving

SSP_WWW = Path("/usr/share/simplesamlphp/www")
CHROMIUM = "/usr/bin/chromium"
CORP = "corp.example"
ADA, ADA_PASSWORD, ADA_MAIL = "ada", "ada's long passphrase 7", f"ada@{CORP}"
FOLDER = ROOT / ".local" / "interop" / "simplesamlphp"
NS = {
    "md": "urn:oasis:names:tc:SAML:2.0:metadata",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
    "xenc": "http://www.w3.org/2001/04/xmlenc#",
}
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
EMAIL_FORMAT = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
TIMEOUT_MS = 30_000
REFUSED_CBC = "encrypted with an algorithm this connection does not accept"

RESULTS: list[bool] = []


def step(name: str, ok: bool, seen: str = "") -> bool:
    RESULTS.append(ok)
    print(f"{'PASS' if ok else 'FAIL'}  {name}" + (f"\n      {seen}" if seen else ""), flush=True)
    return ok


def versions() -> str:
    def out(*command: str) -> str:
        return subprocess.run(command, check=False, capture_output=True, text=True).stdout.strip()

    ssp = out("dpkg-query", "-W", "-f=${Version}", "simplesamlphp")
    php_version = out("php", "-r", "echo PHP_VERSION;")
    return f"simplesamlphp {ssp}; PHP {php_version}; {out(CHROMIUM, '--version')}"


@dataclass(frozen=True)
class Sp:
    """firegate's side of the connection, from its metadata."""

    entity_id: str
    acs: str
    slo: str
    signing: str  # base64 DER
    encryption: str


def sp_of(metadata: str) -> Sp:
    root = etree.fromstring(metadata.encode())
    sp = root.find("md:SPSSODescriptor", NS)
    assert sp is not None, metadata
    certs: dict[str, str] = {}
    for descriptor in sp.findall("md:KeyDescriptor", NS):
        cert = descriptor.find(".//ds:X509Certificate", NS)
        assert cert is not None and cert.text
        certs.setdefault(descriptor.get("use", "signing"), "".join(cert.text.split()))
    acs = sp.find("md:AssertionConsumerService", NS)
    slo = sp.find(f"md:SingleLogoutService[@Binding='{REDIRECT}']", NS)
    assert acs is not None and slo is not None, metadata
    return Sp(
        root.get("entityID", ""),
        acs.get("Location", ""),
        slo.get("Location", ""),
        certs["signing"],
        certs["encryption"],
    )


def php(value: object) -> str:
    """``value`` (str, int, bool, list, dict) as a PHP literal."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, list):
        return "[" + ", ".join(php(v) for v in value) + "]"
    if isinstance(value, dict):
        return "[" + ", ".join(f"{php(k)} => {php(v)}" for k, v in value.items()) + "]"
    raise TypeError(value)


def configure(ssp: str, sp: Sp) -> Path:
    """A SimpleSAMLphp configuration in FOLDER for an IdP at ``ssp`` with firegate as its SP;
    its folder (SIMPLESAMLPHP_CONFIG_DIR)."""
    shutil.rmtree(FOLDER, ignore_errors=True)
    config, metadata, cert = FOLDER / "config", FOLDER / "metadata", FOLDER / "cert"
    for folder in (config, metadata, cert, FOLDER / "log", FOLDER / "data", FOLDER / "tmp"):
        folder.mkdir(parents=True)
    (FOLDER / "sessions").mkdir(mode=0o700)
    keys = key_pair("localhost")
    shutil.copy(keys.key_file, cert / "idp.key")
    shutil.copy(keys.cert_file, cert / "idp.crt")
    host = urlsplit(ssp).netloc
    settings = {
        "baseurlpath": ssp + "/",
        "certdir": f"{cert}/",
        "loggingdir": f"{FOLDER / 'log'}/",
        "datadir": f"{FOLDER / 'data'}/",
        "tempdir": str(FOLDER / "tmp"),
        "metadatadir": f"{metadata}/",
        "secretsalt": secrets.token_hex(16),
        "auth.adminpassword": secrets.token_hex(8),
        "admin.protectindexpage": False,
        "admin.protectmetadata": False,
        "technicalcontact_name": "firegate interop",
        "technicalcontact_email": "interop@example.com",
        "timezone": "UTC",
        "logging.handler": "errorlog",
        "enable.saml20-idp": True,
        "module.enable": {"exampleauth": True, "core": True, "saml": True},
        "store.type": "phpsession",
        "session.phpsession.savepath": str(FOLDER / "sessions"),
        "trusted.url.domains": [host, urlsplit(sp.acs).netloc],  # ReturnTo: firegate's page
        "metadata.sources": [{"type": "flatfile"}],
    }
    (config / "config.php").write_text(
        "<?php\n$config = " + php(settings) + ";\n"
        "$config['logging.level'] = SimpleSAML\\Logger::DEBUG;\n"
    )
    sources = {
        "admin": ["core:AdminPassword"],
        "example-userpass": {
            0: "exampleauth:UserPass",
            f"{ADA}:{ADA_PASSWORD}": {"uid": [ADA], "mail": [ADA_MAIL]},
        },
    }
    (config / "authsources.php").write_text(f"<?php\n$config = {php(sources)};\n")
    idp = {
        "host": "__DEFAULT__",
        "privatekey": "idp.key",
        "certificate": "idp.crt",
        "auth": "example-userpass",
        "signature.algorithm": RSA_SHA256,
        "NameIDFormat": EMAIL_FORMAT,
        "simplesaml.nameidattribute": "mail",
    }
    (metadata / "saml20-idp-hosted.php").write_text(
        f"<?php\n$metadata['__DYNAMIC:1__'] = {php(idp)};\n"
    )
    remote = {
        "AssertionConsumerService": [{"Binding": POST, "Location": sp.acs}],
        "SingleLogoutService": [{"Binding": REDIRECT, "Location": sp.slo}],
        "keys": [
            {
                "type": "X509Certificate",
                "signing": True,
                "encryption": False,
                "X509Certificate": sp.signing,
            },
            {
                "type": "X509Certificate",
                "signing": False,
                "encryption": True,
                "X509Certificate": sp.encryption,
            },
        ],
        "assertion.encryption": True,
        "validate.authnrequest": True,
        "validate.logout": True,
        "sign.logout": True,  # SimpleSAMLphp's default is unsigned: firegate refuses those
        "signature.algorithm": RSA_SHA256,
        "NameIDFormat": EMAIL_FORMAT,
        "simplesaml.nameidattribute": "mail",
        "simplesaml.attributes": True,
    }
    (metadata / "saml20-sp-remote.php").write_text(
        f"<?php\n$metadata[{php(sp.entity_id)}] = {php(remote)};\n"
    )
    return config


@contextmanager
def simplesamlphp(port: int, config: Path) -> Iterator[str]:
    """SimpleSAMLphp under PHP's own server at 127.0.0.1:``port``, until the block ends: the
    same site as firegate's pages, as the local profile's SAML flight cookie (SameSite=Lax
    over http) needs of an IdP on this machine."""
    log = (FOLDER / "php.log").open("wb")
    proc = subprocess.Popen(
        ["php", "-S", f"127.0.0.1:{port}", "-t", str(SSP_WWW)],
        env={**os.environ, "SIMPLESAMLPHP_CONFIG_DIR": str(config)},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        if not answers(url + "/saml2/idp/metadata.php", proc, seconds=20):
            raise RuntimeError("SimpleSAMLphp did not start: see " + str(FOLDER / "php.log"))
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
        log.close()


def saml_message(value: str, *, deflated: bool) -> etree._Element:
    raw = base64.b64decode(value)
    return etree.fromstring(zlib.decompress(raw, -15) if deflated else raw)


@dataclass
class Seen:
    """The SAML messages the browser carried, as it carried them."""

    requests: list[Request]

    def last(self, part: str) -> Request | None:
        return next((r for r in reversed(self.requests) if part in r.url), None)

    def posted_response(self, acs: str) -> etree._Element | None:
        found = next(
            (r for r in reversed(self.requests) if r.url == acs and r.method == "POST"), None
        )
        if found is None or found.post_data is None:
            return None
        return saml_message(parse_qs(found.post_data)["SAMLResponse"][0], deflated=False)


def query(request: Request | None) -> dict[str, str]:
    if request is None:
        return {}
    return {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}


def success(carried: dict[str, str]) -> bool:
    """Whether the LogoutResponse in a redirect's query says Success."""
    if "SAMLResponse" not in carried:
        return False
    answer = saml_message(carried["SAMLResponse"], deflated=True)
    status = answer.find(".//{urn:oasis:names:tc:SAML:2.0:protocol}StatusCode")
    return status is not None and status.get("Value", "").endswith(":Success")


def through_idp(page: Page, base: str, cid: str) -> None:
    """The browser's sign-in from firegate's start: the IdP's login form when it asks, then
    back to firegate's ACS and on."""
    page.goto(f"{base}/sso/{cid}/saml?next=/account")
    if "loginuserpass" in page.url:
        page.fill("input[name=username]", ADA)
        page.fill("input[name=password]", ADA_PASSWORD)
        page.click("#submit_button")
    page.wait_for_url(lambda u: u.startswith(base) and ("/saml/acs" in u or "/account" in u))
    page.wait_for_load_state()


def refresh_token(page: Page, base: str) -> str:
    cookie = next(c for c in page.context.cookies(base) if "~" in c.get("value", ""))
    return cookie.get("value", "").partition("~")[2]


def run() -> None:
    print(versions(), flush=True)
    module = load_emulators_module()
    emulators = module.EmulatorSet.from_env(
        storage_bucket="demo-firegate.appspot.com", java_options=module.QUICK_JIT
    )
    emulators.start(timeout=120)
    os.environ.update(emulators.env())
    port, ssp_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    try:
        if emulators.reused:  # someone's data (`make run`'s?): neither used nor wiped
            raise RuntimeError(
                f"emulators already answering ({', '.join(sorted(emulators.reused))}): stop"
                " them, or move this run's ports (FIRESTORE_EMULATOR_HOST & co.,"
                " docs/configuration.md#local-emulators)"
            )
        with (
            dns_server() as dns,
            serving(
                "gunicorn-interop-simplesamlphp.log",
                PORT=str(port),
                PUBLIC_URL=base,
                DNS_RESOLVER=dns.address,
            ),
        ):
            owner = bearer(signed_in(base, "olga")["access_token"])
            org = requests.post(
                f"{base}/orgs", json={"slug": "corp", "name": "Corp"}, headers=owner, timeout=30
            )
            assert org.status_code == 201, org.text
            added = requests.post(
                f"{base}/orgs/corp/domains", json={"domain": CORP}, headers=owner, timeout=30
            )
            assert added.status_code == 201, added.text
            record = added.json()["record"]
            dns.zone.set_txt(record["name"], record["value"])
            verified = requests.post(
                f"{base}/orgs/corp/domains/{CORP}/verify", headers=owner, timeout=60
            )
            assert verified.status_code == 200, verified.text
            made = requests.post(
                f"{base}/orgs/corp/connections",
                json={"kind": "saml", "name": "SimpleSAMLphp", "mapping": {"email": "mail"}},
                headers=owner,
                timeout=30,
            )
            assert made.status_code == 201, made.text
            cid = made.json()["id"]
            sp = sp_of(requests.get(f"{base}/sso/{cid}/saml/metadata", timeout=30).text)
            step(
                "firegate's SP metadata: entity id, ACS, SLO, signing and encryption certificates",
                sp.encryption != sp.signing,
                f"{sp.entity_id} | {sp.acs} | {sp.slo}",
            )
            config = configure(f"http://127.0.0.1:{ssp_port}", sp)
            with simplesamlphp(ssp_port, config) as ssp:
                idp_metadata = requests.get(f"{ssp}/saml2/idp/metadata.php", timeout=30).text
                changed = requests.patch(
                    f"{base}/orgs/corp/connections/{cid}",
                    json={
                        "saml": {"metadata_xml": idp_metadata, "require_encrypted": True},
                        "status": "active",
                    },
                    headers=owner,
                    timeout=30,
                )
                step(
                    "the IdP's metadata taken, the connection active with require_encrypted",
                    changed.status_code == 200,
                    f"slo_url {changed.json()['saml'].get('slo_url')!r}"
                    if changed.status_code == 200
                    else f"{changed.status_code} {changed.text[:800]}",
                )
                if changed.status_code != 200:
                    return
                in_browser(base, ssp, cid, sp, owner)
    finally:
        emulators.stop()


def in_browser(base: str, ssp: str, cid: str, sp: Sp, owner: dict[str, str]) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        context = browser.new_context(locale="en-US")
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        seen = Seen([])
        # A bound method of a list is no handler Playwright can hold: a function.
        page.on("request", lambda request: seen.requests.append(request))  # noqa: PLW0108
        db = firestore.Client(project=os.environ.get("GOOGLE_CLOUD_PROJECT", "demo-firegate"))

        # 1. allow_cbc off: SimpleSAMLphp's AES128-CBC is refused, in words.
        through_idp(page, base, cid)
        response = seen.posted_response(sp.acs)
        methods = (
            [m.get("Algorithm", "") for m in response.iter(f"{{{NS['xenc']}}}EncryptionMethod")]
            if response is not None
            else []
        )
        encrypted = (
            response is not None and response.find("saml:EncryptedAssertion", NS) is not None
        )
        step(
            "SimpleSAMLphp posted an EncryptedAssertion (and no plain one)",
            encrypted and response is not None and response.find("saml:Assertion", NS) is None,
            f"algorithms: {methods}",
        )
        step(
            "allow_cbc off: the AES-CBC assertion refused (401 saml_encryption_refused)",
            REFUSED_CBC in page.content() and "/saml/acs" in page.url,
            page.url,
        )

        on = requests.patch(
            f"{base}/orgs/corp/connections/{cid}",
            json={"saml": {"allow_cbc": True}},
            headers=owner,
            timeout=30,
        )
        assert on.status_code == 200, on.text

        # 2. allow_cbc on: signed in; the session remembers the connection.
        through_idp(page, base, cid)
        account = page.goto(f"{base}/account")
        ok = (
            account is not None and account.status == 200 and page.url.startswith(base + "/account")
        )
        step(
            "allow_cbc on: signed in through SimpleSAMLphp (require_encrypted)",
            ok and ADA_MAIL in page.content(),
            page.url,
        )
        origins = [d.to_dict() or {} for d in db.collection("sso_saml_sessions").stream()]
        step(
            "the session's SAML origin kept (connection, NameID, SessionIndex)",
            len(origins) == 1
            and origins[0].get("connection_id") == cid
            and origins[0].get("name_id") == ADA_MAIL
            and bool(origins[0].get("session_index")),
            str([{k: o.get(k) for k in ("name_id", "session_index")} for o in origins]),
        )

        # 3. Signing out of firegate: a signed LogoutRequest to SimpleSAMLphp, and back.
        page.get_by_role("button", name="Sign out").first.click()
        page.wait_for_url(lambda u: u.startswith(base + "/sign-in"))
        to_idp = query(seen.last("/saml2/idp/SingleLogoutService.php?SAMLRequest="))
        back = query(seen.last(f"/sso/{cid}/saml/slo?SAMLResponse="))
        step(
            "firegate's sign-out: signed LogoutRequest to the IdP, its signed Success back",
            to_idp.get("SigAlg") == RSA_SHA256
            and bool(to_idp.get("Signature"))
            and back.get("SigAlg") == RSA_SHA256
            and success(back),
            f"back at {page.url}",
        )
        through_idp(page, base, cid)
        step(
            "the IdP's session ended too: the next sign-in asks for the password again",
            any("loginuserpass" in r.url for r in seen.requests[-12:]),
        )

        # 4. IdP-initiated logout: SimpleSAMLphp's SingleLogoutService with a ReturnTo.
        token = refresh_token(page, base)
        before = requests.post(f"{base}/auth/refresh", json={"refresh_token": token}, timeout=30)
        returned = f"{base}/sign-in?idp-logged-out"
        page.goto(f"{ssp}/saml2/idp/SingleLogoutService.php?ReturnTo={quote(returned)}")
        page.wait_for_url(returned)
        to_sp = query(seen.last(f"/sso/{cid}/saml/slo?SAMLRequest="))
        answered = query(seen.last("/saml2/idp/SingleLogoutService.php?SAMLResponse="))
        landed = page.url
        if before.status_code == 200:  # the refresh turned the token: its successor's turn
            token = before.json()["refresh_token"]
        after = requests.post(f"{base}/auth/refresh", json={"refresh_token": token}, timeout=30)
        account = page.goto(f"{base}/account")
        step(
            "IdP-initiated logout: signed LogoutRequest to firegate, signed LogoutResponse back",
            to_sp.get("SigAlg") == RSA_SHA256
            and bool(to_sp.get("Signature"))
            and answered.get("SigAlg") == RSA_SHA256
            and success(answered),
            f"back at the ReturnTo: {landed}",
        )
        step(
            "firegate's session ended: its refresh token refused, the account page gone",
            before.status_code == 200
            and after.status_code == 401
            and not page.url.startswith(base + "/account")
            and not list(db.collection("sso_saml_sessions").stream()),
            f"refresh before {before.status_code}, after {after.status_code};"
            f" /account → {page.url}",
        )
        browser.close()


def main() -> int:
    if not SSP_WWW.is_dir():
        print("needs Debian's simplesamlphp: apt-get install -y simplesamlphp", file=sys.stderr)
        return 2
    dom = subprocess.run(["php", "-r", "exit(class_exists('DOMDocument') ? 0 : 1);"], check=False)
    if dom.returncode != 0:  # the package does not depend on it
        print("needs PHP's DOM: apt-get install -y php-xml", file=sys.stderr)
        return 2
    try:
        run()
    except Exception as exc:  # the run's outcome, told
        step("the run went to its end", False, f"{type(exc).__name__}: {exc}")
    print(f"{sum(RESULTS)} of {len(RESULTS)} steps passed; SimpleSAMLphp's files: {FOLDER}")
    return 0 if RESULTS and all(RESULTS) else 1


if __name__ == "__main__":
    sys.exit(main())
