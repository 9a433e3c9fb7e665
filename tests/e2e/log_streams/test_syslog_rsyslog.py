"""The syslog destination against a real rsyslog (Debian's ``rsyslog`` and
``rsyslog-openssl``; .ci/run installs them): its TCP input over TLS with a certificate of a
CA of the test's own, each message it parses written to a file as JSON, which the tests read."""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import trustme

from application.log_streams.ports import DestinationDown, StreamRecord
from infrastructure.log_streams.syslog import SyslogDestination
from tests.support.servers import reserved_port

pytestmark = pytest.mark.e2e

CONFIG = """
global(workDirectory="{dir}" maxMessageSize="64k"
       defaultNetstreamDriver="ossl"
       defaultNetstreamDriverCAFile="{dir}/ca.pem"
       defaultNetstreamDriverCertFile="{dir}/cert.pem"
       defaultNetstreamDriverKeyFile="{dir}/key.pem")
module(load="imtcp" streamDriver.name="ossl" streamDriver.mode="1" streamDriver.authMode="anon")
input(type="imtcp" address="127.0.0.1" port="{port}")
template(name="fields" type="list" option.jsonf="on") {{
  property(outname="version" name="protocol-version" format="jsonf")
  property(outname="time" name="timereported" dateFormat="rfc3339" format="jsonf")
  property(outname="app" name="app-name" format="jsonf")
  property(outname="msgid" name="msgid" format="jsonf")
  property(outname="sd" name="structured-data" format="jsonf")
  property(outname="msg" name="msg" format="jsonf")
}}
*.* action(type="omfile" file="{dir}/messages.json" template="fields")
"""


@dataclass
class Rsyslog:
    port: int
    ca: trustme.CA  # the CA of its certificate (for localhost)
    messages: Path

    def received(self, ids: set[str], *, seconds: float = 10) -> list[dict[str, Any]]:
        """The messages read so far that carry one of ``ids``, once all of them are there."""
        deadline = time.monotonic() + seconds
        while True:
            lines = self.messages.read_text().splitlines() if self.messages.exists() else []
            found = [m for m in map(json.loads, lines) if _id(m) in ids]
            if {_id(m) for m in found} >= ids or time.monotonic() > deadline:
                return found
            time.sleep(0.05)


def _id(message: dict[str, Any]) -> str:
    sd: str = message["sd"]
    return sd.removeprefix('[firegate@32473 id="').removesuffix('"]')


@pytest.fixture(scope="module")
def rsyslog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rsyslog]:
    binary = shutil.which("rsyslogd") or next(
        (p for p in ("/usr/sbin/rsyslogd", "/sbin/rsyslogd") if Path(p).exists()), None
    )
    if binary is None:
        pytest.fail(
            "rsyslogd is not installed:"
            " `apt-get install -y rsyslog rsyslog-openssl` (.ci/run does)",
            pytrace=False,
        )
    folder = tmp_path_factory.mktemp("rsyslog")
    ca = trustme.CA()
    leaf = ca.issue_cert("localhost")
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    (folder / "cert.pem").write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    leaf.private_key_pem.write_to_path(str(folder / "key.pem"))
    with reserved_port() as held:
        port = held.getsockname()[1]
    conf = folder / "rsyslog.conf"
    conf.write_text(CONFIG.format(dir=folder, port=port))
    log = (folder / "rsyslogd.log").open("wb")
    proc = subprocess.Popen(
        [binary, "-n", "-f", str(conf), "-i", str(folder / "rsyslogd.pid")],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    f"rsyslogd did not listen on {port}: {(folder / 'rsyslogd.log').read_text()}",
                    pytrace=False,
                )
            time.sleep(0.05)
        yield Rsyslog(port, ca, folder / "messages.json")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def trusting(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


def records(tag: str, n: int) -> list[StreamRecord]:
    at = datetime(2026, 11, 30, 14, 0, 1, 250000, tzinfo=UTC)
    return [
        StreamRecord(f"{tag}-{i}", at, "account.signed_in", json.dumps({"i": i, "who": "Zoë"}))
        for i in range(n)
    ]


def test_the_records_arrive_in_order_as_rfc_5424_messages_with_their_ids(
    rsyslog: Rsyslog,
) -> None:
    sent = records("ordered", 5)
    destination = SyslogDestination(
        "localhost", rsyslog.port, trusting(rsyslog.ca), address="127.0.0.1"
    )
    destination.send(sent)
    got = rsyslog.received({r.id for r in sent})
    assert [_id(m) for m in got] == [r.id for r in sent]
    assert all(m["version"] == "1" for m in got)  # parsed by its RFC 5424 parser
    assert {(m["app"], m["msgid"]) for m in got} == {("firegate", "account.signed_in")}
    assert [json.loads(m["msg"]) for m in got] == [json.loads(r.body) for r in sent]
    assert got[0]["time"].startswith("2026-11-30T14:00:01.25")


def test_a_receiver_whose_certificate_is_not_trusted_is_sent_nothing(rsyslog: Rsyslog) -> None:
    refused = SyslogDestination(
        "localhost", rsyslog.port, trusting(trustme.CA()), address="127.0.0.1"
    )
    with pytest.raises(DestinationDown) as down:
        refused.send(records("untrusted", 2))
    assert (down.value.reason, down.value.taken) == ("tls_verification_failed", 0)
    # A batch sent after it arrives; none of the refused one is there before it. rsyslogd
    # once left a session after a refused handshake in its own handshake until it stopped
    # (its log: "shutdown while in init"), the batch written to it never read (syslog has
    # no acknowledgement to tell): so one that does not arrive is sent again, twice at most.
    trusted = SyslogDestination(
        "localhost", rsyslog.port, trusting(rsyslog.ca), address="127.0.0.1"
    )
    arrived: list[dict[str, Any]] = []
    for attempt in range(3):
        after = records(f"after{attempt}", 1)
        trusted.send(after)
        arrived = rsyslog.received({after[0].id})
        if arrived:
            break
    assert arrived
    lines = rsyslog.messages.read_text()
    assert "untrusted-" not in lines


def test_a_certificate_for_another_name_is_refused(rsyslog: Rsyslog) -> None:
    wrong_name = SyslogDestination(
        "logs.example.com", rsyslog.port, trusting(rsyslog.ca), address="127.0.0.1"
    )
    with pytest.raises(DestinationDown) as down:
        wrong_name.send(records("wrong-name", 1))
    assert (down.value.reason, down.value.taken) == ("tls_verification_failed", 0)
