"""Every port the local emulators will take is checked before any of them starts: a port held
by another program, or two services configured onto one port, is a clear error naming the
variable to change (docs/configuration.md#local-emulators); a port answering like the
emulator is reused, not a conflict."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from scripts.emulators import EmulatorError, EmulatorSet, worker_sets

pytestmark = pytest.mark.unit

# This engineer's corner of the shared machine's ports (docs/testing.md: other ports for tests).
BASE = 18450


@dataclass
class NothingStarts(EmulatorSet):
    """An emulator set whose services would start here: it records them instead."""

    spawned: list[str] = field(default_factory=list)

    def _spawn(self, service: str) -> None:
        self.spawned.append(service)
        raise AssertionError(f"{service} was started before the ports were checked")


def emulators(tmp_path: Path, services: tuple[str, ...], **ports: int) -> NothingStarts:
    return NothingStarts(services=services, root=tmp_path, foreign_grace=0.3, **ports)  # type: ignore[arg-type]


@pytest.fixture
def taken() -> Iterator[int]:
    """A port held by a plain listening socket, which answers no emulator's probe."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", BASE))
    sock.listen()
    try:
        yield BASE
    finally:
        sock.close()


class _Answer(BaseHTTPRequestHandler):
    body = b"Ok"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture
def firestore_like() -> Iterator[int]:
    """A port that answers like the Firestore emulator ("Ok" at /)."""
    server = ThreadingHTTPServer(("127.0.0.1", BASE + 9), _Answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield BASE + 9
    finally:
        server.shutdown()
        server.server_close()


def test_a_port_held_by_another_program_is_named_before_anything_starts(
    tmp_path: Path, taken: int
) -> None:
    subject = emulators(
        tmp_path, ("firestore", "pubsub"), firestore_port=BASE + 1, pubsub_port=taken
    )
    with pytest.raises(EmulatorError) as info:
        subject.start(timeout=5)
    message = str(info.value)
    assert f"127.0.0.1:{taken}" in message and "PUBSUB_EMULATOR_HOST" in message
    assert "FIRESTORE_EMULATOR_HOST" not in message  # its port is free
    assert subject.spawned == []


def test_the_mail_web_port_and_the_auth_hub_and_logging_ports_are_checked_too(
    tmp_path: Path, taken: int
) -> None:
    mail = emulators(tmp_path, ("mail",), mail_port=BASE + 1, mail_web_port=taken)
    with pytest.raises(EmulatorError, match=f"{taken}.*MAILDEV_WEB_PORT"):
        mail.start(timeout=5)
    for port_field, variable in (
        ("hub_port", "FIREBASE_EMULATOR_HUB_PORT"),
        ("logging_port", "FIREBASE_EMULATOR_LOGGING_PORT"),
    ):
        auth = emulators(tmp_path, ("auth",), auth_port=BASE + 2, **{port_field: taken})
        with pytest.raises(EmulatorError, match=f"{taken}.*{variable}"):
            auth.start(timeout=5)
        assert auth.spawned == []
    assert mail.spawned == []


def test_all_the_taken_ports_are_named_at_once(tmp_path: Path, taken: int) -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", BASE + 3))
        other.listen()
        subject = emulators(
            tmp_path, ("firestore", "storage"), firestore_port=taken, storage_port=BASE + 3
        )
        with pytest.raises(EmulatorError) as info:
            subject.start(timeout=5)
    assert "FIRESTORE_EMULATOR_HOST" in str(info.value)
    assert "STORAGE_EMULATOR_HOST" in str(info.value)


def test_a_hub_configured_onto_another_services_port_is_named_with_both_variables(
    tmp_path: Path,
) -> None:
    environ = {
        "FIREBASE_AUTH_EMULATOR_HOST": f"127.0.0.1:{BASE + 2}",
        "PUBSUB_EMULATOR_HOST": f"127.0.0.1:{BASE + 3}",
        "FIREBASE_EMULATOR_HUB_PORT": str(BASE + 3),
    }
    subject = NothingStarts.from_env(("auth", "pubsub"), environ, root=tmp_path, foreign_grace=0.3)
    with pytest.raises(EmulatorError) as info:
        subject.start(timeout=5)
    message = str(info.value)
    assert "FIREBASE_EMULATOR_HUB_PORT" in message and "PUBSUB_EMULATOR_HOST" in message
    assert str(BASE + 3) in message
    assert isinstance(subject, NothingStarts) and subject.spawned == []


def test_two_services_on_one_port_are_named(tmp_path: Path) -> None:
    environ = {
        "FIRESTORE_EMULATOR_HOST": f"127.0.0.1:{BASE + 4}",
        "SMTP_URL": f"smtp://127.0.0.1:{BASE + 5}",
        "MAILDEV_WEB_PORT": str(BASE + 4),
    }
    subject = NothingStarts.from_env(("firestore", "mail"), environ, root=tmp_path)
    with pytest.raises(EmulatorError, match=r"FIRESTORE_EMULATOR_HOST.*MAILDEV_WEB_PORT"):
        subject.start(timeout=5)


def test_the_hub_and_logging_ports_default_to_free_ports_no_other_service_uses(
    tmp_path: Path, taken: int
) -> None:
    # Auth on 8282 and Pub/Sub on 8283: the hub cannot be auth + 1.
    environ = {
        "FIRESTORE_EMULATOR_HOST": f"127.0.0.1:{taken - 3}",
        "FIREBASE_AUTH_EMULATOR_HOST": f"127.0.0.1:{taken - 2}",
        "PUBSUB_EMULATOR_HOST": f"127.0.0.1:{taken - 1}",
        "STORAGE_EMULATOR_HOST": f"http://127.0.0.1:{taken + 1}",
    }
    subject = EmulatorSet.from_env(("firestore", "auth", "pubsub", "storage"), environ)
    ports = subject.planned_ports()
    hub, logging = ports["FIREBASE_EMULATOR_HUB_PORT"], ports["FIREBASE_EMULATOR_LOGGING_PORT"]
    assert hub == taken + 2 and logging == taken + 3  # past pubsub, the taken one and storage
    assert len(set(ports.values())) == len(ports)
    explicit = EmulatorSet.from_env(
        ("auth",),
        {
            **environ,
            "FIREBASE_EMULATOR_HUB_PORT": "18171",
            "FIREBASE_EMULATOR_LOGGING_PORT": "18172",
        },
    )
    assert explicit.planned_ports()["FIREBASE_EMULATOR_HUB_PORT"] == 18171
    assert explicit.planned_ports()["FIREBASE_EMULATOR_LOGGING_PORT"] == 18172


def test_a_port_answering_like_the_emulator_is_reused_not_a_conflict(
    tmp_path: Path, firestore_like: int
) -> None:
    subject = emulators(tmp_path, ("firestore",), firestore_port=firestore_like)
    subject.start(timeout=5)
    try:
        assert subject.reused == {"firestore"} and subject.spawned == []
    finally:
        subject.stop()


def test_a_port_that_is_not_a_number_is_refused() -> None:
    with pytest.raises(EmulatorError, match="FIREBASE_EMULATOR_HUB_PORT"):
        EmulatorSet.from_env(("auth",), {"FIREBASE_EMULATOR_HUB_PORT": "hub"})


def test_parallel_workers_get_sets_ten_ports_apart_with_nothing_shared(tmp_path: Path) -> None:
    """docs/testing.md#parallel-workers: worker i's ports are the configured ones plus 10 i."""
    base = EmulatorSet(root=tmp_path)  # the defaults: 8080, 9099, 8085, 9023, 1025 and 1080
    sets = worker_sets(base, 3)
    assert [s.firestore_port for s in sets] == [8080, 8090, 8100]
    assert [(s.auth_port, s.hub_port, s.logging_port) for s in sets] == [
        (9099, 9100, 9101),
        (9109, 9110, 9111),
        (9119, 9120, 9121),
    ]
    assert [(s.mail_port, s.mail_web_port) for s in sets] == [
        (1025, 1080),
        (1035, 1090),
        (1045, 1100),
    ]
    every = [port for s in sets for port in s.planned_ports().values()]
    assert len(every) == len(set(every)) == 3 * 8
    assert [s.log_dir for s in sets] == [base.log_dir / f"gw{i}" for i in range(3)]


def test_workers_whose_ports_would_meet_are_refused_naming_both(tmp_path: Path) -> None:
    base = EmulatorSet(root=tmp_path, firestore_port=8080, pubsub_port=8090)
    with pytest.raises(
        EmulatorError,
        match=r"port 8090: PUBSUB_EMULATOR_HOST of worker 0 and "
        r"FIRESTORE_EMULATOR_HOST of worker 1",
    ):
        worker_sets(base, 2)
    assert len(worker_sets(base, 1)) == 1  # one worker alone has nothing to meet
