"""The floor GET /user is compared with: a bare Flask route under the same gunicorn settings
that decodes the same JWT (PyJWT, same checks) and does the same Firestore ``get_all`` of the
user and session documents, then answers the user's public fields as JSON. No validation
layer, no logging, no rate limiter, no error mapping: what any implementation must pay.

Served by bench/get_user.py as ``gunicorn -c gunicorn.conf.py floor_app:app``.
"""

from __future__ import annotations

import os
from typing import Any

import jwt
from flask import Flask, Response, jsonify, request
from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore

app = Flask("floor")
SECRET = os.environ["JWT_SECRET"].encode()
REQUIRED = ["iss", "aud", "sub", "user_id", "role", "sid", "jti", "iat", "nbf", "exp"]
_client: firestore.Client | None = None


def client() -> firestore.Client:
    global _client  # noqa: PLW0603 - one client per worker, made after the fork
    if _client is None:
        _client = firestore.Client(
            project=os.environ["GOOGLE_CLOUD_PROJECT"],
            credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
        )
    return _client


@app.get("/healthz")
def healthz() -> Response:
    return jsonify(status="ok")


@app.get("/user")
def user() -> Any:
    token = request.headers.get("Authorization", "").partition(" ")[2]
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
        return jsonify(code="invalid_token"), 401
    db = client()
    user_ref = db.collection("users").document(claims["sub"])
    session_ref = db.collection("sessions").document(claims["sid"])
    snaps = {snap.reference.path: snap for snap in db.get_all([user_ref, session_ref])}
    found = snaps.get(user_ref.path)
    session = snaps.get(session_ref.path)
    if found is None or not found.exists or session is None or not session.exists:
        return jsonify(code="invalid_token"), 401
    data = found.to_dict() or {}
    return jsonify(
        id=found.id,
        username=data["username"],
        email=data["email"],
        name=data.get("name"),
        last_name=data.get("last_name"),
        role=data["role"],
        created_at=data["created_at"].isoformat(),
        updated_at=data["updated_at"].isoformat(),
    )
