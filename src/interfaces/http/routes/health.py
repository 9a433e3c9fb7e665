from __future__ import annotations

from flask import Blueprint, Response, jsonify

from interfaces.http.openapi import doc
from interfaces.http.schemas.common import Health, Problem
from interfaces.shared.problems import problem
from interfaces.shared.services import services

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@doc(responses={200: Health}, tags=("health",))
def healthz() -> Response:
    """Liveness: the process answers; no I/O."""
    return jsonify(status="ok")


@bp.get("/readyz")
@doc(responses={200: Health, 503: Problem}, tags=("health",))
def readyz() -> Response:
    """Readiness: Firestore answers within a short deadline."""
    if services().platform.ready():
        return jsonify(status="ready")
    return problem(
        503, "service_unavailable", "Firestore is not reachable.", headers={"Retry-After": "5"}
    )
