"""The upstream flow's refusals on a page, in the reader's language: each of upstream_refused's
reasons has its words in the catalogue, and they are the words the use case gives
(docs/decisions/0274-a-codes-reasons-in-the-readers-language.md)."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from flask.testing import FlaskClient

from bootstrap import build_app
from bootstrap.federation import FederationAdapters
from bootstrap.signin_adapters import SigninAdapters
from domain.federation.upstream import UpstreamProvider
from tests.support.app import fake_adapters
from tests.support.settings import make_settings

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[3]
PROVIDER = {
    "id": "acme",
    "issuer": "https://id.example.com",
    "client_id": "firegate",
    "client_secret": "s3cret",
}


@pytest.fixture
def app() -> Flask:
    settings = make_settings(upstream_providers=[PROVIDER])
    return build_app(settings, fake_adapters(settings), configure_logs=False)


def alert(html: str) -> str:
    found = re.search(r'role="alert">\s*([^<]+)', html)
    assert found is not None, html
    return found.group(1).strip()


def test_a_return_this_browser_did_not_start_is_refused_in_spanish(app: Flask) -> None:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    answer = client.get("/sign-in/with/acme/callback?code=x&state=y")
    assert answer.status_code == 401
    assert alert(answer.get_data(as_text=True)) == (
        "Este inicio de sesión no empezó en este navegador, o ha caducado; inténtalo de nuevo."
    )
    english = app.test_client().get("/sign-in/with/acme/callback?code=x&state=y")
    assert "was not started in this browser" in alert(english.get_data(as_text=True))


def test_an_unknown_provider_is_said_in_spanish(app: Flask) -> None:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    answer = client.get("/sign-in/with/nobody")
    assert answer.status_code == 404
    assert "No existe ese proveedor." in answer.get_data(as_text=True)


def refusals(path: Path) -> set[str]:
    """The words given to ``_refused`` in a module, and its default."""
    tree = ast.parse(path.read_text())
    words: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == "_refused":
            words |= {str(d.value) for d in node.args.defaults if isinstance(d, ast.Constant)}
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "_refused":
            words |= {str(a.value) for a in node.args if isinstance(a, ast.Constant)}
    return words


def test_every_reason_the_use_case_gives_has_words_in_the_catalogue() -> None:
    from interfaces.web.messages import _WORDS

    given = refusals(ROOT / "src" / "application" / "federation" / "upstream.py")
    assert len(given) == 4 and given == set(_WORDS)


def spanish(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es"
    return client


def app_with(issuer: str, sealed: Callable[[str], str] | None = None) -> Flask:
    """The pages with one provider, Acme ID, at ``issuer``, its secret sealed by ``sealed``
    (the app's own secret box unless given)."""
    settings = make_settings()
    adapters = fake_adapters(settings)
    adapters.of(FederationAdapters).upstream_providers.add(
        UpstreamProvider.configure(
            id="acme",
            issuer=issuer,
            client_id="firegate",
            client_secret="s3cret",
            sealed_secret=(sealed or adapters.of(SigninAdapters).secret_box.seal)("s3cret"),
            now=datetime.now(UTC),
            name="Acme ID",
        )
    )
    return build_app(settings, adapters, configure_logs=False)


def test_a_client_secret_the_key_cannot_open_has_words_of_its_own() -> None:
    """A provider whose secret another MFA_ENCRYPTION_KEY sealed: its own words, not the
    second factor's (the secret box's)."""
    other_key = Fernet(Fernet.generate_key())
    app = app_with("https://id.example.com", lambda s: other_key.encrypt(s.encode()).decode())
    english = app.test_client().get("/sign-in/with/acme")
    assert english.status_code == 503
    assert alert(english.get_data(as_text=True)) == (
        "Signing in with Acme ID is not possible right now; try again later."
    )
    assert alert(spanish(app).get("/sign-in/with/acme").get_data(as_text=True)) == (
        "Ahora no se puede iniciar sesión con Acme ID; inténtalo más tarde."
    )


def test_a_provider_that_cannot_be_reached_is_said_in_spanish() -> None:
    """Nothing listens at the provider's address (port 9 of this machine)."""
    app = app_with("http://127.0.0.1:9")
    answer = spanish(app).get("/sign-in/with/acme")
    assert answer.status_code == 503
    assert alert(answer.get_data(as_text=True)) == (
        "No se puede contactar con Acme ID en este momento; inténtalo de nuevo."
    )
    english = app.test_client().get("/sign-in/with/acme")
    assert alert(english.get_data(as_text=True)) == (
        "Acme ID cannot be reached right now; try again."
    )
