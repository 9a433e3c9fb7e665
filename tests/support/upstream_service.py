"""An app on the emulators with the upstream provider ``corp`` (a stand-in OpenID provider
this suite runs), its jobs queued here and its mail kept: the sign-up tests' service, each way
of making an account at hand."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask import Flask
from flask.testing import FlaskClient

from bootstrap import build_adapters, build_app
from tests.fakes.kernel import FakeJobQueue
from tests.fakes.mail import FakeMailer
from tests.support.api import services
from tests.support.app import deliver_jobs, swap
from tests.support.email_codes import code_in
from tests.support.oidc_idp import (
    CLIENT_ID,
    CLIENT_SECRET,
    OidcIdpForTests,
    upstream_round_trip,
)
from tests.support.settings import make_settings


class UpstreamService:
    """An app on the emulator with its jobs queued here and its mail kept."""

    def __init__(self, firestore: Any, idp: OidcIdpForTests, **settings: object) -> None:
        provider = {"id": "corp", "issuer": idp.issuer, "client_id": CLIENT_ID}
        chosen = make_settings(
            upstream_providers=[{**provider, "client_secret": CLIENT_SECRET}], **settings
        )
        self.queue, self.mailer, self.idp = FakeJobQueue(), FakeMailer(), idp
        adapters = swap(
            build_adapters(chosen, firestore=firestore),
            job_queue=self.queue.attach,
            webhook_queue=None,
            mailer=self.mailer,
        )
        self.app: Flask = build_app(chosen, adapters)
        self.client: FlaskClient = self.app.test_client()

    def deliver(self) -> None:
        deliver_jobs(self.queue, services(self.app))

    def token(self, address: str, path: str) -> str:
        mail = [m for m in self.mailer.to(address) if path in m.text][-1]
        link = next(word for word in mail.text.split() if "token=" in word)
        return parse_qs(urlsplit(link).query)["token"][0]

    def upstream(self, email: str, subject: str) -> Any:
        """A browser's round trip through the provider "corp" for this person."""
        return upstream_round_trip(self.app, self.idp, email, subject)

    def by_code(self, address: str) -> Any:
        """A sign-in (or sign-up) by a mailed code to ``address``: the answer of its verify."""
        asked = self.client.post("/auth/email-code", json={"email": address})
        assert asked.status_code == 202, asked.get_json()  # the same answer for any address
        self.deliver()
        code = code_in(self.mailer.to(address)[-1].text)
        body = {"flow_id": asked.get_json()["flow_id"], "code": code}
        return self.client.post("/auth/email-code/verify", json=body)
