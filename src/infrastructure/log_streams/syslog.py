"""A log stream's syslog destination: each record an RFC 5424 message, sent over TLS with
RFC 5425's octet-counting framing, to the receiver's ``host:port``
(docs/reference/log-streams-destinations.md, "Syslog over TLS";
docs/decisions/0952-syslog-messages-of-a-log-stream.md).

One connection per batch: opened, the records written in order, closed with TLS's
close_notify. The receiver's certificate is verified for ``host`` against the CA bundle of
every outbound call (SSL_CERT_FILE, else the default one: the ``tls`` context the platform's
outbound client makes). A batch has one deadline, the connection and the TLS handshake
included; ``taken`` counts the records written whole before a failure."""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Sequence
from contextlib import suppress
from datetime import UTC

from application.log_streams.ports import DestinationDown, StreamRecord
from application.outbound import (
    CONNECTION_CLOSED,
    CONNECTION_REFUSED,
    DEADLINE_EXCEEDED,
    HOST_NOT_RESOLVED,
    TLS_FAILED,
    TLS_VERIFICATION_FAILED,
    UNREACHABLE,
)

APP_NAME = "firegate"
# The structured data element of each message: firegate's name at the private enterprise
# number RFC 5612 sets aside for examples and documentation (firegate has none of its own).
SD_ID = "firegate@32473"
# Facility 10 (security/authorization messages), severity 6 (informational): 10 * 8 + 6.
PRI = 86
DEADLINE = 30.0  # seconds for a whole batch: connecting, the handshake, every write
CLOSE_WAIT = 1.0  # seconds at most for the receiver's close_notify once the batch is written

_MAX_HOSTNAME, _MAX_MSGID = 255, 32  # RFC 5424's lengths of HOSTNAME and MSGID


def syslog_message(record: StreamRecord, hostname: str = "-") -> bytes:
    """``record`` as an RFC 5424 message: ``<86>1 TIMESTAMP HOSTNAME firegate - TYPE
    [firegate@32473 id="ID"] BODY``, the body as it is (UTF-8, no BOM: it is JSON)."""
    at = record.at if record.at.tzinfo is not None else record.at.replace(tzinfo=UTC)
    timestamp = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    header = (
        f"<{PRI}>1 {timestamp} {_header_field(hostname, _MAX_HOSTNAME)} {APP_NAME} -"
        f" {_header_field(record.type, _MAX_MSGID)}"
    )
    data = f'[{SD_ID} id="{_param_value(record.id)}"]'
    return f"{header} {data} {record.body}".encode()


def framed(message: bytes) -> bytes:
    """RFC 5425's octet-counting frame: the message's length in octets, a space, the message."""
    return b"%d %b" % (len(message), message)


def _header_field(value: str, limit: int) -> str:
    """A header field as RFC 5424 has it: printable US-ASCII without spaces, at most
    ``limit`` characters; ``-`` (the nil value) when nothing of it is left."""
    kept = "".join(c for c in value if 33 <= ord(c) <= 126)[:limit]
    return kept or "-"


def _param_value(value: str) -> str:
    """A structured data parameter's value: ``"``, ``\\`` and ``]`` escaped (RFC 5424, 6.3.3)."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")


class SyslogDestination:
    """A stream's syslog receiver at ``host:port``, over TLS made with ``tls`` (its
    certificate checked for ``host``). ``address``: the address to connect to, when the
    stream's host was resolved and checked beforehand (the host is then not resolved
    again); ``hostname``: the HOSTNAME of each message (``-``, none, by default)."""

    def __init__(
        self,
        host: str,
        port: int,
        tls: ssl.SSLContext,
        *,
        address: str | None = None,
        hostname: str = "-",
        deadline: float = DEADLINE,
    ) -> None:
        self.host, self.port, self.tls = host, port, tls
        self.address, self.hostname, self.deadline = address, hostname, deadline

    def send(self, records: Sequence[StreamRecord]) -> None:
        if not records:
            return
        ends = time.monotonic() + self.deadline
        taken = 0
        connection: ssl.SSLSocket | None = None
        try:
            connection = self._connect(ends)
            for record in records:
                connection.settimeout(_left(ends))
                connection.sendall(framed(syslog_message(record, self.hostname)))
                taken += 1
        except (OSError, ValueError) as error:
            raise DestinationDown(_cause(error), taken) from None
        finally:
            if connection is not None:
                _close(connection, ends)

    def _connect(self, ends: float) -> ssl.SSLSocket:
        raw = socket.create_connection((self.address or self.host, self.port), _left(ends))
        try:
            secured = self.tls.wrap_socket(raw, server_hostname=self.host)
        except BaseException:
            raw.close()
            raise
        return secured


def _left(ends: float) -> float:
    """The seconds left of the batch's deadline; TimeoutError once it has passed."""
    left = ends - time.monotonic()
    if left <= 0:
        raise TimeoutError(DEADLINE_EXCEEDED)
    return left


def _close(connection: ssl.SSLSocket, ends: float) -> None:
    """close_notify sent (RFC 5425, 4.4), the receiver's awaited a moment, then closed."""
    with suppress(OSError, ValueError):
        connection.settimeout(max(0.01, min(CLOSE_WAIT, ends - time.monotonic())))
        connection.unwrap()
    connection.close()


# Why a batch failed, by its error: the first that fits names it (a certificate's failure is
# a TLS error, and both are OSErrors), in the names every outbound call's failure has.
_CAUSES: tuple[tuple[type[Exception] | tuple[type[Exception], ...], str], ...] = (
    (ssl.SSLCertVerificationError, TLS_VERIFICATION_FAILED),
    (ssl.SSLError, TLS_FAILED),
    (ConnectionRefusedError, CONNECTION_REFUSED),
    (TimeoutError, DEADLINE_EXCEEDED),
    (ConnectionError, CONNECTION_CLOSED),
    ((socket.gaierror, ValueError), HOST_NOT_RESOLVED),  # ValueError: a name IDNA refuses
)


def _cause(error: Exception) -> str:
    return next((cause for kinds, cause in _CAUSES if isinstance(error, kinds)), UNREACHABLE)
