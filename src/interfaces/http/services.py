"""What the web layer needs: use cases already bound to their adapters by bootstrap."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app

from application.accounts import DeleteUser, GetUser, Register, UpdateProfile
from application.admin import (
    AdminChange,
    RemoveUser,
    SetDisabled,
    SetRole,
    ShowUser,
    UserListing,
    UserQuery,
)
from application.authentication import Actor, Authenticate
from application.datasets import (
    DatasetQuery,
    DeleteDataset,
    ExportDataset,
    ImportDataset,
    RowQuery,
    RowsPage,
    ShowDataset,
)
from application.dogs import DeleteDog, DogQuery, EditDog, GetDog, NewDog
from application.email import (
    ForgotPassword,
    Invite,
    RequestVerification,
    ResetPassword,
    VerifyEmail,
)
from application.files import DeleteFile, OpenFile, UploadFile
from application.firebase import FirebaseSignIn
from application.jobs import JobPush, PushCredentials
from application.login import ChangePassword, Login, MfaLogin
from application.pagination import Page
from application.passkeys import (
    DeletePasskey,
    ListPasskeys,
    PasskeySignIn,
    RegisterPasskey,
    RegistrationOptions,
)
from application.ports import RequestCounter
from application.sessions import (
    AccessToken,
    EndSession,
    ListSessions,
    Logout,
    Refresh,
    Renew,
)
from application.tasks import DeleteTask, EditTask, GetTask, NewTask, TaskQuery
from application.tokens import TokenPair
from application.totp import MfaCommand, ResetMfa, TotpEnrolment
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
    authenticate: Callable[[Authenticate], Actor]
    get_user: Callable[[GetUser], User]
    update_profile: Callable[[UpdateProfile], User]
    # the mail flows (docs/reference/email.md)
    request_verification: Callable[[RequestVerification], None]
    verify_email: Callable[[VerifyEmail], User]
    forgot_password: Callable[[ForgotPassword], None]
    reset_password: Callable[[ResetPassword], None]
    invite_user: Callable[[Invite], User]
    change_password: Callable[[ChangePassword], None]
    # the second factor (docs/reference/mfa.md)
    finish_mfa_login: Callable[[MfaLogin], TokenPair]
    start_totp: Callable[[MfaCommand], TotpEnrolment]
    confirm_totp: Callable[[MfaCommand], tuple[str, ...]]
    disable_totp: Callable[[MfaCommand], None]
    new_recovery_codes: Callable[[MfaCommand], tuple[str, ...]]
    reset_mfa: Callable[[ResetMfa], User]
    delete_user: Callable[[DeleteUser], None]
    resume_deletions: Callable[[], int]
    refresh: Callable[[Refresh], TokenPair]
    renew: Callable[[Renew], AccessToken]
    logout: Callable[[Logout], None]
    list_sessions: Callable[[ListSessions], list[Session]]
    end_session: Callable[[EndSession], None]
    jwks: Callable[[], dict[str, Any]]
    list_users: Callable[[UserQuery], Page[UserListing]]
    show_user: Callable[[ShowUser], UserListing]
    change_user: Callable[[AdminChange], User]
    remove_user: Callable[[RemoveUser], None]
    set_role: Callable[[SetRole], User]
    set_disabled: Callable[[SetDisabled], User]
    ready: Callable[[], bool]
    request_counter: RequestCounter  # behind the per-address request limits
    # datasets and files (docs/reference/datasets.md)
    import_dataset: Callable[[ImportDataset], Dataset]
    list_datasets: Callable[[DatasetQuery], Page[Dataset]]
    show_dataset: Callable[[ShowDataset], Dataset]
    dataset_rows: Callable[[RowQuery], RowsPage]
    export_dataset: Callable[[ExportDataset], tuple[Dataset, Iterator[str]]]
    delete_dataset: Callable[[DeleteDataset], None]
    upload_file: Callable[[UploadFile], StoredFile]
    open_file: Callable[[OpenFile], tuple[StoredFile, Iterator[bytes]]]
    delete_file: Callable[[DeleteFile], None]
    # tasks (docs/reference/tasks.md)
    create_task: Callable[[NewTask], Task]
    list_tasks: Callable[[TaskQuery], Page[Task]]
    get_task: Callable[[GetTask], Task]
    edit_task: Callable[[EditTask], Task]
    delete_task: Callable[[DeleteTask], None]
    # dogs (docs/reference/dogs.md) and the background jobs behind their pictures
    list_dogs: Callable[[DogQuery], Page[Dog]]
    get_dog: Callable[[GetDog], Dog]
    create_dog: Callable[[NewDog], Dog]
    edit_dog: Callable[[EditDog], Dog]
    delete_dog: Callable[[DeleteDog], None]
    authorize_push: Callable[[PushCredentials], None]
    receive_push: Callable[[JobPush], None]
    # passkeys (docs/reference/passkeys.md)
    passkey_registration_options: Callable[[RegistrationOptions], dict[str, object]]
    register_passkey: Callable[[RegisterPasskey], Passkey]
    list_passkeys: Callable[[ListPasskeys], list[Passkey]]
    delete_passkey: Callable[[DeletePasskey], None]
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
