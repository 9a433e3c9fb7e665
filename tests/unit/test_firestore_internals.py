"""The google-cloud-firestore internals that infrastructure/firestore/internals.py
overrides (docs/decisions/0031-bounded-firestore-transactions.md). These fail when the
library changes them: re-read the library's Transaction and update the override first."""

from __future__ import annotations

import inspect

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore
from google.cloud.firestore_v1 import transaction as library

from infrastructure.firestore.client import DEADLINE_SECONDS, retry_policy, transaction

pytestmark = pytest.mark.unit

CHECKED_VERSION = "2.34.1"


def test_the_library_is_the_version_the_override_was_checked_against() -> None:
    assert firestore.__version__ == CHECKED_VERSION, (
        "google-cloud-firestore changed: compare Transaction._begin/_commit with "
        "infrastructure/firestore/internals.py, then update CHECKED_VERSION"
    )


def test_the_overridden_methods_keep_their_shape() -> None:
    assert list(inspect.signature(firestore.Transaction._begin).parameters) == [
        "self",
        "retry_id",
    ]
    assert list(inspect.signature(firestore.Transaction._commit).parameters) == ["self"]


def test_transactional_still_begins_and_commits_through_them() -> None:
    source = inspect.getsource(library._Transactional)
    assert "transaction._begin(retry_id=self.retry_id)" in source
    assert "transaction._commit()" in source


def test_the_internals_the_override_reads_exist() -> None:
    client = firestore.Client(project="demo-internals", credentials=AnonymousCredentials())  # type: ignore[no-untyped-call]
    txn = transaction(client)
    assert txn.bounds_retry is retry_policy() and txn.bounds_timeout == DEADLINE_SECONDS
    api = client._firestore_api
    assert callable(api.begin_transaction) and callable(api.commit)
    assert client._database_string.startswith("projects/demo-internals/databases/")
    assert isinstance(client._rpc_metadata, list)
    assert txn._write_pbs == [] and txn._id is None and not txn.in_progress
    assert txn._options_protobuf(None) is None
    txn._clean_up()
