"""The data `make run` keeps between runs (scripts/emulators.py, EmulatorSet.data_dir), on the
real Firestore and Auth emulators: saved on the way out, loaded at the next start, and a save
that fails keeps the last copy whole (docs/configuration.md#local-emulators)."""

from __future__ import annotations

import json
import signal
import socket
from pathlib import Path

import pytest
import requests
from scripts.emulators import EmulatorError, EmulatorSet

pytestmark = pytest.mark.integration

PROJECT = "demo-kept"


def free_block(size: int, first: int = 18261, last: int = 18400) -> int:
    for base in range(first, last - size, size):
        try:
            for port in range(base, base + size):
                with socket.socket() as sock:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise AssertionError(f"no {size} free consecutive ports in {first}-{last}")


def kept_set(data_dir: Path, base: int) -> EmulatorSet:
    return EmulatorSet(
        project=PROJECT,
        services=("firestore", "auth"),
        firestore_port=base,
        auth_port=base + 1,
        data_dir=data_dir,
        foreign_grace=0,
    )


def document(emulators: EmulatorSet, name: str) -> str:
    return (
        f"{emulators.url('firestore')}/v1/projects/{PROJECT}/databases/(default)"
        f"/documents/things/{name}"
    )


def put(emulators: EmulatorSet, name: str) -> None:
    body = {"fields": {"name": {"stringValue": name}}}
    assert requests.patch(document(emulators, name), json=body, timeout=30).status_code == 200


def identity(emulators: EmulatorSet, action: str) -> str:
    return f"{emulators.url('auth')}/identitytoolkit.googleapis.com/v1/accounts:{action}?key=any"


ACCOUNT = {"email": "kept@example.com", "password": "a long password", "returnSecureToken": True}


def test_a_save_is_loaded_at_the_next_start_and_a_failed_save_keeps_the_last_one(
    tmp_path: Path,
) -> None:
    data_dir, base = tmp_path / "kept", free_block(4)
    first = kept_set(data_dir, base)
    first.start(timeout=120)
    try:
        put(first, "saved")
        made = requests.post(identity(first, "signUp"), json=ACCOUNT, timeout=30)
        assert made.status_code == 200, made.text
        saved = first.save()
        assert saved is not None and (data_dir / "current").resolve() == saved
        put(first, "lost")
        # The Firestore emulator dies before the next save: that save fails, and the copy
        # made above stays the current one, whole; the failed attempt leaves nothing behind.
        first._procs["firestore"].send_signal(signal.SIGKILL)
        first._procs["firestore"].wait(timeout=30)
        with pytest.raises(EmulatorError):
            first.save()
        assert (data_dir / "current").resolve() == saved
        assert sorted(p.name for p in data_dir.iterdir()) == sorted(["current", saved.name])
        accounts = json.loads((saved / "auth" / "accounts.json").read_text())
        assert [user["email"] for user in accounts["users"]] == [ACCOUNT["email"]]
    finally:
        first.stop()

    second = kept_set(data_dir, base)
    second.start(timeout=120)
    try:
        assert requests.get(document(second, "saved"), timeout=30).status_code == 200
        assert requests.get(document(second, "lost"), timeout=30).status_code == 404
        signed_in = requests.post(identity(second, "signInWithPassword"), json=ACCOUNT, timeout=30)
        assert signed_in.status_code == 200, signed_in.text
    finally:
        second.stop()
    assert second.save() is None  # stopped: nothing to save, the copy stays
    assert (data_dir / "current").resolve() == saved
