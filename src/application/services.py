"""Every use case, bound to its adapters, by feature: what a driving adapter (the JSON API,
the command line) calls. The composition root builds it from each feature's ``bind``
(docs/decisions/0042-wiring-per-feature.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from application.accounts import AccountServices
from application.admin import AdminServices
from application.authentication import AuthenticationServices
from application.datasets import DatasetServices
from application.dogs import DogServices
from application.email import EmailServices
from application.events import EventServices
from application.files import FileServices
from application.firebase import FirebaseServices
from application.jobs import JobServices
from application.login import LoginServices
from application.oauth import OAuthServices
from application.passkeys import PasskeyServices
from application.ports import RequestCounter
from application.sessions import SessionServices
from application.tasks import TaskServices
from application.totp import TotpServices
from application.webhooks import WebhookServices


@dataclass(frozen=True)
class Services:
    accounts: AccountServices
    admin: AdminServices
    authentication: AuthenticationServices
    datasets: DatasetServices
    dogs: DogServices
    email: EmailServices  # the mail flows (docs/reference/email.md)
    events: EventServices  # security events (docs/reference/events.md)
    files: FileServices
    firebase: FirebaseServices
    jobs: JobServices  # the push endpoint of the background jobs
    login: LoginServices
    oauth: OAuthServices  # firegate as an OpenID Connect provider (docs/reference/oauth.md)
    passkeys: PasskeyServices
    sessions: SessionServices
    tasks: TaskServices
    totp: TotpServices  # the second factor (docs/reference/mfa.md)
    webhooks: WebhookServices  # admins' webhooks (docs/reference/webhooks.md)
    ready: Callable[[], bool]  # the readiness probe: Firestore answers
    request_counter: RequestCounter  # behind the per-address request limits
