"""panva's oidc-provider (npm, OpenID Certified; tests/upstream_provider.mjs) served on this
machine for the end-to-end tests: as a generic upstream provider (docs/reference/providers.md)
and as an org's OpenID connection (docs/reference/sso.md). ``upstream_sign_in`` is the
person's part on its development login and consent pages, in the browser."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Iterator

from playwright.sync_api import Page

from tests.support.servers import ROOT, answers, free_port
from tests.support.workers import local_dir

CLIENT_ID = "firegate"
CLIENT_SECRET = "firegate-secret"


@contextlib.contextmanager
def oidc_provider(redirect_uri: str, *, port: int = 0) -> Iterator[str]:
    """oidc-provider on ``port`` (a free one by default) with one client, ``CLIENT_ID``,
    whose only redirect URI is ``redirect_uri``: yields its issuer once its discovery
    document answers, stops it after."""
    port = port or free_port()
    entry = ROOT / ".tools" / "node_modules" / "oidc-provider" / "lib" / "index.js"
    assert entry.exists(), "oidc-provider is missing: make tools"
    log = (local_dir() / f"oidc-provider-{port}.log").open("wb")
    proc = subprocess.Popen(
        ["node", str(ROOT / "tests" / "upstream_provider.mjs")],
        env={
            **os.environ,
            "OIDC_PROVIDER": str(entry),
            "PORT": str(port),
            "REDIRECT_URI": redirect_uri,
            "CLIENT_ID": CLIENT_ID,
            "CLIENT_SECRET": CLIENT_SECRET,
        },
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    issuer = f"http://127.0.0.1:{port}"
    try:
        discovery = issuer + "/.well-known/openid-configuration"
        assert answers(discovery, proc, seconds=20), "oidc-provider failed: see " + log.name
        yield issuer
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
        log.close()


def upstream_sign_in(page: Page, login: str) -> None:
    """The person's part at oidc-provider: its development login, then its consent."""
    page.wait_for_selector("input[name=login]")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "anything")
    page.click("button[type=submit]")
    page.wait_for_selector("button[type=submit]")
    page.click("button[type=submit]")  # consent
