"""What the web layer needs: use cases already bound to their adapters by bootstrap."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app

from application.accounts import Register, UpdateProfile
from application.admin import AdminChange, UserListing
from application.authentication import Actor
from application.datasets import ImportDataset, RowsPage
from application.dogs import DogQuery, EditDog, NewDog
from application.email import ForgotPassword, Invite, ResetPassword
from application.files import Upload
from application.firebase import FirebaseSignIn
from application.jobs import JobPush, PushCredentials
from application.login import ChangePassword, Login, MfaLogin
from application.pagination import Page
from application.passkeys import PasskeySignIn, RegisterPasskey
from application.ports import RequestCounter
from application.sessions import AccessToken
from application.tasks import EditTask, NewTask, TaskQuery
from application.tokens import TokenPair
from application.totp import MfaCommand, TotpEnrolment
from domain.datasets import Dataset
from domain.dogs import Dog
from domain.files import StoredFile
from domain.passkeys import Passkey
from domain.request_limits import WindowCounts
from domain.sessions import Session
from domain.tasks import Task
from domain.users import User


@dataclass(frozen=True)
class Services:
    register: Callable[[Register], User]
    login: Callable[[Login], TokenPair]
    firebase_sign_in: Callable[[FirebaseSignIn], TokenPair]
    authenticate: Callable[[str], Actor]
    get_user: Callable[[Actor], User]
    update_profile: Callable[[UpdateProfile], User]
    # the mail flows (docs/reference/email.md)
    request_verification: Callable[[Actor], None]
    verify_email: Callable[[str, str], User]  # token, client IP
    forgot_password: Callable[[ForgotPassword], None]
    reset_password: Callable[[ResetPassword], None]
    invite_user: Callable[[Actor, Invite], User]
    change_password: Callable[[ChangePassword], None]
    # the second factor (docs/reference/mfa.md)
    finish_mfa_login: Callable[[MfaLogin], TokenPair]
    start_totp: Callable[[MfaCommand], TotpEnrolment]
    confirm_totp: Callable[[MfaCommand], tuple[str, ...]]
    disable_totp: Callable[[MfaCommand], None]
    new_recovery_codes: Callable[[MfaCommand], tuple[str, ...]]
    reset_mfa: Callable[[str], User]
    delete_user: Callable[[str], None]
    resume_deletions: Callable[[], int]
    refresh: Callable[[str], TokenPair]
    renew: Callable[[Actor], AccessToken]
    logout: Callable[[Actor, bool], None]
    list_sessions: Callable[[Actor], list[Session]]
    end_session: Callable[[Actor, str], None]
    jwks: Callable[[], dict[str, Any]]
    list_users: Callable[[Actor, int, str | None], Page[UserListing]]
    show_user: Callable[[Actor, str], UserListing]
    change_user: Callable[[Actor, AdminChange], User]
    remove_user: Callable[[Actor, str], None]
    set_role: Callable[[str, str], User]
    set_disabled: Callable[[str, bool], User]
    ready: Callable[[], bool]
    request_counter: RequestCounter  # behind the per-address request limits
    # datasets and files (docs/reference/datasets.md)
    import_dataset: Callable[[Actor, ImportDataset], Dataset]
    list_datasets: Callable[[Actor, int, str | None], Page[Dataset]]
    show_dataset: Callable[[Actor, str], Dataset]
    dataset_rows: Callable[[Actor, str, int, str | None], RowsPage]
    export_dataset: Callable[[Actor, str], tuple[Dataset, Iterator[str]]]
    delete_dataset: Callable[[Actor, str], None]
    upload_file: Callable[[Actor, Upload], StoredFile]
    open_file: Callable[[Actor, str], tuple[StoredFile, Iterator[bytes]]]
    delete_file: Callable[[Actor, str], None]
    # tasks (docs/reference/tasks.md)
    create_task: Callable[[NewTask], Task]
    list_tasks: Callable[[TaskQuery], Page[Task]]
    get_task: Callable[[str, str], Task]
    edit_task: Callable[[EditTask], Task]
    delete_task: Callable[[str, str], None]
    # dogs (docs/reference/dogs.md) and the background jobs behind their pictures
    list_dogs: Callable[[DogQuery], Page[Dog]]
    get_dog: Callable[[str], Dog]
    create_dog: Callable[[NewDog], Dog]
    edit_dog: Callable[[Actor, EditDog], Dog]
    delete_dog: Callable[[Actor, str], None]
    authorize_push: Callable[[PushCredentials], None]
    receive_push: Callable[[JobPush], None]
    # passkeys (docs/reference/passkeys.md)
    passkey_registration_options: Callable[[Actor], dict[str, object]]
    register_passkey: Callable[[RegisterPasskey], Passkey]
    list_passkeys: Callable[[Actor], list[Passkey]]
    delete_passkey: Callable[[Actor, str], None]
    passkey_authentication_options: Callable[[], dict[str, object]]
    passkey_sign_in: Callable[[PasskeySignIn], TokenPair]


class LazyServices:
    """Services bound on first use: the cloud SDKs behind them take most of a cold start,
    which /healthz need not wait for (docs/benchmarks.md, "Cold start"). ``warm_up`` binds
    them on a background thread and opens the Firestore channel, so the first real request
    seldom waits either."""

    def __init__(self, bind: Callable[[], Services]) -> None:
        self._bind = bind
        self._lock = threading.Lock()
        self._services: Services | None = None

    def get(self) -> Services:
        found = self._services
        if found is None:
            with self._lock:  # one binding, however many requests arrive first
                if self._services is None:
                    self._services = self._bind()
                found = self._services
        return found

    @property
    def request_counter(self) -> RequestCounter:
        """The request counter, found when first counted with."""
        return _LateCounter(self)

    def warm_up(self, *, fatal: bool = False) -> threading.Thread:
        """Bind on a background thread. ``fatal``: a binding that fails (no credentials, say)
        ends the process with gunicorn's "worker failed to boot" status, which stops the
        server as a failure at start-up would."""

        def run() -> None:
            try:
                # Binding imports the SDKs; the readiness probe opens the Firestore channel
                # that the first authenticated request would otherwise wait for.
                self.get().ready()
            except Exception:  # without ``fatal``, the first request that needs them raises
                logging.getLogger("firegate").exception("binding the services failed")
                if fatal:
                    logging.shutdown()
                    os._exit(WORKER_BOOT_ERROR)

        thread = threading.Thread(target=run, name="firegate-warm-up", daemon=True)
        thread.start()
        return thread


WORKER_BOOT_ERROR = 3  # gunicorn's Arbiter.WORKER_BOOT_ERROR: the arbiter halts on it


class _LateCounter:
    def __init__(self, lazy: LazyServices) -> None:
        self._lazy = lazy

    def hit(self, key: str, windows: Sequence[int], now: float) -> dict[int, WindowCounts]:
        return self._lazy.get().request_counter.hit(key, windows, now)

    def check(self) -> bool:
        return self._lazy.get().request_counter.check()


def services() -> Services:
    found: Services | LazyServices = current_app.extensions["firegate"]
    return found.get() if isinstance(found, LazyServices) else found
