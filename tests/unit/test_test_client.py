"""The tests' client (tests/conftest.py, ``AnswerSentClient``) sends a request to the app's
PUBLIC_URL host, as a browser in front of the service does, and keeps that host's cookies
(docs/decisions/0855-request-gates-come-first.md)."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.support.app import World

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("public_url", "host"),
    [("http://127.0.0.1:8000", "127.0.0.1:8000"), ("https://app.example.com", "app.example.com")],
)
def test_a_path_goes_to_the_public_urls_host(public_url: str, host: str) -> None:
    client = World(public_url=public_url).client
    assert client.get("/healthz").request.host == host
    assert client.post("/auth/login", json={}).request.host == host


def test_a_full_url_or_a_base_url_keeps_its_own_host() -> None:
    client = World().client
    assert client.get("http://localhost/healthz").request.host == "localhost"
    answer = client.get("/healthz", base_url="http://elsewhere.example/")
    assert answer.request.host == "elsewhere.example"


def test_the_cookies_are_the_public_hosts() -> None:
    client = World(public_url="https://app.example.com").client
    page = client.get("/sign-in")
    assert page.headers.getlist("Set-Cookie")
    assert client.get_cookie("firegate_csrf") is not None
    assert client.get_cookie("firegate_csrf", domain="localhost") is None
    client.set_cookie("planted", "yes")
    assert client.get("/healthz").request.cookies.get("planted") == "yes"
    client.delete_cookie("planted")
    assert client.get("/healthz").request.cookies.get("planted") is None


def test_an_app_without_the_pages_keeps_werkzeugs_host() -> None:
    bare = Flask("bare")
    bare.add_url_rule("/", "root", lambda: "ok")
    client = bare.test_client()
    assert client.get("/").request.host == "localhost"
    client.set_cookie("planted", "yes")
    assert client.get_cookie("planted", domain="localhost") is not None
