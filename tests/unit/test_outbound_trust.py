"""Every outbound https client to an address firegate is given trusts the one CA bundle
setting, SSL_CERT_FILE (docs/configuration.md, "Service"): the platform makes the outbound
client once, from it, and every caller (webhooks, auth hooks, a client's keys, an IdP's
metadata and OpenID endpoints; the agents unit's metadata documents:
tests/unit/agents/test_documents_outbound_trust.py) sends through a sender of that client,
its TLS context and kept connections; the upstream providers' client trusts its bundle
(docs/decisions/0725-one-outbound-client-made-by-the-platform.md)."""

from __future__ import annotations

import re
import ssl
from pathlib import Path

import pytest

from bootstrap import build_adapters
from bootstrap.accounts import AccountsAdapters
from bootstrap.adapters import Adapters
from bootstrap.clients import ClientsAdapters
from bootstrap.events import EventsAdapters
from bootstrap.hooks import HooksAdapters
from bootstrap.sso import SsoAdapters
from infrastructure.firestore.client import make_client
from infrastructure.jobs.oidc import GooglePushVerifier
from infrastructure.outbound_http import PinnedWebhookSender
from tests.support.document_server import Served, TestCa, document_server
from tests.support.settings import make_settings

pytestmark = pytest.mark.unit

SRC = Path(__file__).resolve().parents[2] / "src"


def constructions(name: str) -> dict[str, list[str]]:
    """Each module of src/ that makes a ``name``, with the call's first line."""
    found: dict[str, list[str]] = {}
    for path in SRC.rglob("*.py"):
        for line in path.read_text().splitlines():
            if re.search(rf"\b{name}\(", line) and not line.lstrip().startswith(("class ", "#")):
                found.setdefault(str(path.relative_to(SRC)), []).append(line.strip())
    return found


def test_the_outbound_client_is_made_in_one_place_with_the_bundle() -> None:
    assert constructions("Outbound") == {
        "bootstrap/platform.py": ["return Outbound(ca_certs=settings.service.ssl_cert_file)"]
    }
    # A sender is only ever one of the outbound client's.
    assert constructions("PinnedWebhookSender") == {
        "infrastructure/outbound_http.py": ["return PinnedWebhookSender(self, timeout)"]
    }


def test_one_place_reads_the_setting() -> None:
    readers = {
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if ".ssl_cert_file" in path.read_text()
    }
    # Its own settings group (which checks it names a file) and the platform's build.
    assert readers == {"infrastructure/settings/platform/service.py", "bootstrap/platform.py"}


def test_the_upstream_client_trusts_the_bundle_or_goes_through_the_pinned_one() -> None:
    made = constructions("AuthlibUpstreamClient")
    lines = [line for each in made.values() for line in each]
    assert lines and all(
        "ca_certs=outbound.ca_certs" in line or "transport=" in line for line in lines
    )
    # The upstream providers' client is given the platform's outbound client.
    assert "upstream_client(platform.outbound)" in (SRC / "bootstrap/federation.py").read_text()


def trusted(context: ssl.SSLContext) -> set[int]:
    """The serial numbers of the CA certificates ``context`` trusts."""
    return {int(str(cert["serialNumber"]), 16) for cert in context.get_ca_certs()}


def production_adapters(
    ca_file: str, monkeypatch: pytest.MonkeyPatch, **settings: object
) -> Adapters:
    """The production adapters with SSL_CERT_FILE ``ca_file``: nothing is called (the
    Firestore client is made by its first use, which never comes; port 9 if it did)."""
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", "127.0.0.1:9")
    made = make_settings(ssl_cert_file=ca_file, **settings)
    return build_adapters(made, firestore=make_client(made.service.google_cloud_project))


def callers(adapters: Adapters) -> dict[str, object]:
    """Each adapter that calls an address firegate is given (the OpenID connections' client
    sends through the IdP metadata's sender: bootstrap/sso.py)."""
    return {
        "webhooks": adapters.of(EventsAdapters).webhook_sender,
        "auth hooks": adapters.of(HooksAdapters).hook_client,
        "a client's keys": adapters.of(ClientsAdapters).keys_getter,
        "an IdP's metadata": adapters.of(SsoAdapters).metadata_getter,
    }


def test_every_caller_trusts_the_bundle_of_the_setting_through_the_platforms_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca = TestCa(tmp_path)
    adapters = production_adapters(ca.ca_file, monkeypatch)
    shared = adapters.platform.outbound
    assert shared.ca_certs == ca.ca_file  # the upstream providers' client's bundle too
    for name, caller in callers(adapters).items():
        assert isinstance(caller, PinnedWebhookSender), name
        assert caller.outbound is shared, name  # its TLS context and kept connections
        # The CA bundle SSL_CERT_FILE names, and nothing else: the test's CA, no public one.
        assert trusted(caller.outbound.context()) == {ca.cert.serial_number}, name


def test_a_change_of_the_platforms_client_is_every_callers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One TLS context: a CA the platform's client is made to trust, every caller trusts."""
    ca = TestCa(tmp_path)
    adapters = production_adapters(ca.ca_file, monkeypatch)
    (tmp_path / "other").mkdir()
    other = TestCa(tmp_path / "other")
    adapters.platform.outbound.context().load_verify_locations(other.ca_file)
    for name, caller in callers(adapters).items():
        assert isinstance(caller, PinnedWebhookSender), name
        assert trusted(caller.outbound.context()) == {
            ca.cert.serial_number,
            other.cert.serial_number,
        }, name


# SHA-1 of "password": the range API is asked its first 5 characters, answers the rest
PREFIX, SUFFIX = "5BAA6", "1E4C9B93F3F0682250B6CF8331B7EE68FD8"


def test_the_breached_password_check_trusts_the_bundle_of_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fixed service called through requests (BREACHED_PASSWORDS_URL; its session reads
    nothing of the environment) trusts SSL_CERT_FILE's bundle as the pinned client does: an
    enterprise's own CA in front of the range API is trusted."""
    ca = TestCa(tmp_path)
    with document_server(ca) as server:
        server.paths[f"/range/{PREFIX}"] = Served(f"{SUFFIX}:3\r\n".encode())
        adapters = production_adapters(ca.ca_file, monkeypatch, breached_passwords_url=server.base)
        assert adapters.of(AccountsAdapters).breaches.seen_at_least("password", 3)
        assert server.seen.paths(f"/range/{PREFIX}") == 1


def test_pushed_jobs_fetch_googles_certificates_trusting_the_bundle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca = TestCa(tmp_path)
    adapters = production_adapters(
        ca.ca_file,
        monkeypatch,
        job_push_endpoint="https://jobs.example.com/jobs",
        job_push_audience="https://jobs.example.com/jobs",
        job_push_service_account="pusher@demo.iam.gserviceaccount.com",
    )
    verifier = adapters.platform.push_verifier
    assert isinstance(verifier, GooglePushVerifier)
    assert verifier.ca_certs == ca.ca_file
