"""The org a request's Host names (interfaces/shared/org_brand/request_org.py)."""

from __future__ import annotations

from flask import Flask, g

from interfaces.shared.org_brand.request_org import HOST_ORG, host_org


def test_a_request_names_no_org_until_the_gate_puts_one_on_g() -> None:
    app = Flask(__name__)
    with app.test_request_context("/"):
        assert host_org() is None
        setattr(g, HOST_ORG, "")
        assert host_org() is None
        setattr(g, HOST_ORG, "org-1")
        assert host_org() == "org-1"
