"""The syslog destination's messages (RFC 5424), their frames (RFC 5425) and how a batch fails,
on a local TCP listener and a stand-in for TLS (the real thing: tests/e2e/log_streams)."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import cast

import pytest

from application.log_streams.ports import DestinationDown, StreamRecord
from infrastructure.log_streams.syslog import SyslogDestination, framed, syslog_message
from tests.support.servers import reserved_port

AT = datetime(2026, 11, 30, 14, 5, 6, 789012, tzinfo=UTC)


def record(n: int, *, type: str = "account.signed_in", body: str = '{"n": 1}') -> StreamRecord:
    return StreamRecord(id=f"ev{n}", at=AT, type=type, body=body)


def test_a_record_is_an_rfc_5424_message_with_its_id_in_structured_data() -> None:
    message = syslog_message(record(1, body='{"who": "Zoë"}'), "auth.example.com")
    assert (
        message
        == (
            "<86>1 2026-11-30T14:05:06.789012Z auth.example.com firegate - account.signed_in"
            ' [firegate@32473 id="ev1"] {"who": "Zoë"}'
        ).encode()
    )
    assert not message.split(b"] ", 1)[1].startswith(b"\xef\xbb\xbf")  # JSON: no BOM


def test_the_time_is_said_in_utc_and_a_naive_one_taken_as_utc() -> None:
    paris = timezone(timedelta(hours=1))
    at_paris = StreamRecord("e", datetime(2026, 1, 2, 3, 4, 5, tzinfo=paris), "t", "{}")
    naive = StreamRecord("e", datetime(2026, 1, 2, 3, 4, 5), "t", "{}")
    assert b" 2026-01-02T02:04:05.000000Z " in syslog_message(at_paris)
    assert b" 2026-01-02T03:04:05.000000Z " in syslog_message(naive)


def test_header_fields_keep_to_printable_ascii_and_their_lengths() -> None:
    long_type = "org." + "x" * 40
    message = syslog_message(record(1, type=long_type), "host name\u00e9").decode()
    _, _, hostname, app, procid, msgid, _ = message.split(" ", 6)
    assert (hostname, app, procid, msgid) == ("hostname", "firegate", "-", long_type[:32])
    assert syslog_message(record(1, type=" "), "").split(b" ")[2:6] == [
        b"-",
        b"firegate",
        b"-",
        b"-",
    ]


def test_the_id_is_escaped_as_a_parameter_value() -> None:
    odd = StreamRecord('a"b\\c]d', AT, "t", "{}")
    assert b'[firegate@32473 id="a\\"b\\\\c\\]d"]' in syslog_message(odd)


def test_a_frame_counts_octets_not_characters() -> None:
    assert framed("é".encode()) == b"2 \xc3\xa9"


class Written:
    """What the stand-in TLS connection was given; it fails at write ``fail_at`` (0-based)."""

    def __init__(self, fail_at: int | None = None, failure: OSError | None = None) -> None:
        self.frames: list[bytes] = []
        self.fail_at, self.names, self.closed = fail_at, list[str | None](), False
        self.failure = failure or ConnectionResetError("reset by peer")


class StandInTls:
    """Wraps the TCP socket as ``ssl.SSLContext.wrap_socket`` would, the handshake made."""

    def __init__(self, written: Written) -> None:
        self.written = written

    def wrap_socket(self, raw: socket.socket, server_hostname: str | None = None) -> object:
        self.written.names.append(server_hostname)
        return StandInConnection(raw, self.written)


class StandInConnection:
    def __init__(self, raw: socket.socket, written: Written) -> None:
        self.raw, self.written = raw, written

    def settimeout(self, seconds: float) -> None:
        assert seconds > 0

    def sendall(self, data: bytes) -> None:
        if self.written.fail_at == len(self.written.frames):
            raise self.written.failure
        self.written.frames.append(data)

    def unwrap(self) -> None:
        raise ssl.SSLEOFError("the receiver closed without close_notify")

    def close(self) -> None:
        self.written.closed = True
        self.raw.close()


@pytest.fixture
def listening() -> Iterator[int]:
    with reserved_port() as sock:
        sock.listen(8)
        yield sock.getsockname()[1]


def destination(port: int, written: Written, *, hostname: str = "-") -> SyslogDestination:
    tls = cast(ssl.SSLContext, StandInTls(written))
    return SyslogDestination("logs.example.com", port, tls, address="127.0.0.1", hostname=hostname)


def test_a_batch_is_written_in_order_one_frame_each_then_closed(listening: int) -> None:
    written = Written()
    batch = [record(n) for n in range(3)]
    destination(listening, written, hostname="firegate.example").send(batch)
    assert written.frames == [framed(syslog_message(r, "firegate.example")) for r in batch]
    assert written.names == ["logs.example.com"]  # checked for the host, at the address
    assert written.closed


@pytest.mark.parametrize(
    ("failure", "reason"),
    [
        (ConnectionResetError("reset by peer"), "connection_closed"),
        (BrokenPipeError("broken pipe"), "connection_closed"),
        (TimeoutError("timed out"), "deadline_exceeded"),  # a write past the deadline
        (OSError("no route"), "unreachable"),
    ],
)
def test_taken_counts_the_records_written_before_the_failure(
    listening: int, failure: OSError, reason: str
) -> None:
    written = Written(fail_at=2, failure=failure)
    with pytest.raises(DestinationDown) as down:
        destination(listening, written).send([record(n) for n in range(4)])
    assert (down.value.reason, down.value.taken) == (reason, 2)
    assert len(written.frames) == 2 and written.closed


def test_no_batch_no_connection() -> None:
    written = Written()
    destination(1, written).send([])
    assert written.names == []


def test_a_refused_connection_takes_nothing() -> None:
    with reserved_port() as sock:
        port = sock.getsockname()[1]  # bound, not listening: the connection is refused
        with pytest.raises(DestinationDown) as down:
            destination(port, Written()).send([record(1)])
    assert (down.value.reason, down.value.taken) == ("connection_refused", 0)


def test_a_handshake_that_never_comes_ends_at_the_deadline(listening: int) -> None:
    tls = ssl.create_default_context()  # the listener accepts nothing: no handshake
    slow = SyslogDestination("localhost", listening, tls, address="127.0.0.1", deadline=0.2)
    with pytest.raises(DestinationDown) as down:
        slow.send([record(1)])
    assert (down.value.reason, down.value.taken) == ("deadline_exceeded", 0)


def test_a_host_that_does_not_resolve_is_said_so() -> None:
    nowhere = SyslogDestination("nowhere.invalid", 6514, ssl.create_default_context())
    with pytest.raises(DestinationDown) as down:
        nowhere.send([record(1)])
    assert down.value.reason == "host_not_resolved"
