"""The logging adapter of the audit port: one JSON line per event, never a secret."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from pythonjsonlogger.json import JsonFormatter

from application.ports import Audit, AuditEvent
from bootstrap import build_app
from infrastructure.audit_log import AUDIT_LOGGER, LoggingAuditLog
from tests.support.api import PASSWORD, register
from tests.support.app import fake_adapters
from tests.support.settings import make_settings

pytestmark = pytest.mark.unit


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    """What the ``firegate.audit`` logger writes, formatted as in production."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(
        JsonFormatter(
            "{levelname}{message}{name}",
            style="{",
            rename_fields={"levelname": "severity", "name": "logger"},
        )
    )
    logger = logging.getLogger(AUDIT_LOGGER)
    logger.addHandler(handler)
    try:
        yield out
    finally:
        logger.removeHandler(handler)


def records(out: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_events_are_json_with_their_fields(lines: io.StringIO) -> None:
    audit = LoggingAuditLog()
    audit.record(AuditEvent(Audit.LOGIN, user_id="u1", session_id="s1", ip="192.0.2.1"))
    audit.record(
        AuditEvent(
            Audit.ROLE_CHANGE, user_id="u2", actor_id="u1", changes=(("role", "user", "admin"),)
        )
    )
    audit.record(AuditEvent(Audit.REFRESH_TOKEN_REUSE, "failure", user_id="u1", session_id="s1"))
    login, role, reuse = records(lines)
    assert login == {
        "severity": "INFO",
        "message": "audit: login success",
        "logger": "firegate.audit",
        "event": "login",
        "outcome": "success",
        "user_id": "u1",
        "session_id": "s1",
        "ip": "192.0.2.1",
        "actor_id": None,
        "reason": None,
        "changes": [],
    }
    assert role["changes"] == [{"field": "role", "before": "user", "after": "admin"}]
    assert reuse["severity"] == "WARNING"


def test_audit_is_written_whatever_the_log_level(lines: io.StringIO) -> None:
    audit_logger, root = logging.getLogger(AUDIT_LOGGER), logging.getLogger()
    saved = audit_logger.level, root.level
    audit_logger.setLevel(logging.NOTSET)
    root.setLevel(logging.ERROR)  # LOG_LEVEL=ERROR
    try:
        LoggingAuditLog().record(AuditEvent(Audit.LOGOUT, user_id="u1", session_id="s1"))
    finally:
        audit_logger.setLevel(saved[0])
        root.setLevel(saved[1])
    assert [r["event"] for r in records(lines)] == ["logout"]


def test_logins_over_http_are_audited_without_secrets(lines: io.StringIO) -> None:
    settings = make_settings()
    app = build_app(settings, fake_adapters(settings))  # with the real audit log
    client = app.test_client()
    user = register(client, "alice")
    ok = client.post("/login", json={"username": "alice", "password": PASSWORD})
    bad = client.post("/login", json={"username": "alice", "password": "wrong password!"})
    assert (ok.status_code, bad.status_code) == (200, 401)
    tokens = ok.get_json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.delete("/user", headers=headers).status_code == 204
    # This user's records: a job queue left running by an earlier test in this process (a
    # mail job retried with backoff, say) may write its own audit line meanwhile.
    written = [r for r in records(lines) if r.get("user_id") == user["id"]]
    assert [(r["event"], r["outcome"], r["reason"]) for r in written] == [
        ("user_created", "success", None),
        ("login", "success", None),
        ("login", "failure", "wrong_password"),
        ("account_deletion", "success", None),
    ]
    assert written[1]["ip"] == "127.0.0.1" and written[1]["session_id"]
    text = lines.getvalue()
    for secret in (PASSWORD, "wrong password!", tokens["access_token"], tokens["refresh_token"]):
        assert secret not in text
    assert "fake$" not in text  # no hash either
