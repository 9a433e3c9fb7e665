"""The lower floor GET /user is compared with: a raw WSGI callable (no Flask, no werkzeug
request objects) under the same gunicorn settings, doing the same PyJWT verification and the
same Firestore ``get_all`` of the user and session documents as floor_app.py, then answering
the user's public fields as JSON. What any Python implementation on this stack must pay.

Served by bench/get_user.py as ``gunicorn -c gunicorn.conf.py wsgi_floor:app``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from typing import Any

import jwt
from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore

SECRET = os.environ["JWT_SECRET"].encode()
REQUIRED = ["iss", "aud", "sub", "user_id", "role", "sid", "jti", "iat", "nbf", "exp"]
_client: firestore.Client | None = None

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def client() -> firestore.Client:
    global _client  # noqa: PLW0603 - one client per worker, made after the fork
    if _client is None:
        _client = firestore.Client(
            project=os.environ["GOOGLE_CLOUD_PROJECT"],
            credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
        )
    return _client


def _answer(start: StartResponse, status: str, body: dict[str, Any]) -> Iterable[bytes]:
    data = json.dumps(body).encode()
    start(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def app(environ: dict[str, Any], start: StartResponse) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "")
    if path == "/healthz":
        return _answer(start, "200 OK", {"status": "ok"})
    if path != "/user":
        return _answer(start, "404 Not Found", {"code": "not_found"})
    token = environ.get("HTTP_AUTHORIZATION", "").partition(" ")[2]
    try:
        claims = jwt.decode(
            token,
            SECRET,
            algorithms=["HS256"],
            audience="firegate-api",
            issuer="firegate",
            leeway=10,
            options={"require": REQUIRED},
        )
    except jwt.InvalidTokenError:
        return _answer(start, "401 Unauthorized", {"code": "invalid_token"})
    db = client()
    user_ref = db.collection("users").document(claims["sub"])
    session_ref = db.collection("sessions").document(claims["sid"])
    snaps = {snap.reference.path: snap for snap in db.get_all([user_ref, session_ref])}
    found = snaps.get(user_ref.path)
    session = snaps.get(session_ref.path)
    if found is None or not found.exists or session is None or not session.exists:
        return _answer(start, "401 Unauthorized", {"code": "invalid_token"})
    data = found.to_dict() or {}
    return _answer(
        start,
        "200 OK",
        {
            "id": found.id,
            "username": data["username"],
            "email": data["email"],
            "name": data.get("name"),
            "last_name": data.get("last_name"),
            "role": data["role"],
            "created_at": data["created_at"].isoformat(),
            "updated_at": data["updated_at"].isoformat(),
        },
    )
