"""The local profile's development secrets: made where the environment has none, and kept
under ``.local/`` so that `make run` and `make cli` share them (docs/configuration.md).

Nothing here is made at import: a key is made where it is first needed."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import threading
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pydantic import SecretStr


def development_secrets(environ: Mapping[str, str]) -> dict[str, str]:
    """The secrets the local profile makes up where the environment has none, by variable
    name. Made once per run, before the workers start, and put into the environment they all
    inherit (scripts/run_local.py, gunicorn.conf.py): a worker that made its own could not
    read the tokens, sealed TOTP secrets or job pushes of another (docs/configuration.md)."""
    return {name: _DEVELOPMENT_SECRETS[name]() for name in _lacking_secrets(environ)}


def _lacking_secrets(environ: Mapping[str, str]) -> list[str]:
    """The names of the development secrets the local profile needs and the environment
    lacks; none outside the local profile."""
    if environ.get("APP_PROFILE") != "local":
        return []
    lacking: list[str] = []
    if not environ.get("JWT_SECRET") and not environ.get("JWT_PRIVATE_KEY"):
        lacking.append("JWT_SECRET")
    if not environ.get("MFA_ENCRYPTION_KEY"):
        lacking.append("MFA_ENCRYPTION_KEY")
    provider = environ.get("OAUTH_PROVIDER", "true").lower() not in ("false", "0", "no", "off")
    if provider and not environ.get("JWT_PRIVATE_KEY") and not environ.get("OIDC_PRIVATE_KEY"):
        lacking.append("OIDC_PRIVATE_KEY")  # the OpenID Connect provider's
    signs = environ.get("JWT_PRIVATE_KEY") or environ.get("OIDC_PRIVATE_KEY")
    if provider and not environ.get("OIDC_RSA_PRIVATE_KEY") and not is_rsa_pem(signs):
        lacking.append("OIDC_RSA_PRIVATE_KEY")  # its RS256 ID tokens'
    if not environ.get("SAML_SP_PRIVATE_KEY"):
        lacking.append("SAML_SP_PRIVATE_KEY")  # the SAML service provider's (docs/reference/sso.md)
    if environ.get("JOB_QUEUE") == "pubsub" and not environ.get("JOB_PUSH_TOKEN"):
        lacking.append("JOB_PUSH_TOKEN")  # the emulator's push subscription sends ?token=
    return lacking


def kept_development_secrets(
    environ: Mapping[str, str], path: Path
) -> tuple[dict[str, str], list[str]]:
    """The development secrets the environment lacks, kept in ``path`` (JSON, mode 0600):
    made the first time one is needed, read every time after, so that `make run` and
    `make cli` use the same ones and what one seals the other opens. Returns them and the
    names of those made now. Outside the local profile: none, and the file is not touched
    (docs/configuration.md#development-secrets)."""
    lacking = _lacking_secrets(environ)
    if not lacking:
        return {}, []
    kept = _read_kept_secrets(path)
    made = [name for name in lacking if not kept.get(name)]
    if made:
        kept.update({name: _DEVELOPMENT_SECRETS[name]() for name in made})
        kept = _write_kept_secrets(path, kept, replace=path.exists())
    return {name: kept[name] for name in lacking}, made


def _read_kept_secrets(path: Path) -> dict[str, str]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)
    try:
        kept = json.loads(text)
    except ValueError:
        kept = None
    if not isinstance(kept, dict) or not all(isinstance(v, str) for v in kept.values()):
        raise ValueError(
            f"{path} is not a JSON object of development secrets: delete it to make new ones "
            "(what the old ones signed or sealed becomes unreadable)"
        )
    return kept


def _write_kept_secrets(path: Path, kept: dict[str, str], *, replace: bool) -> dict[str, str]:
    """Write ``kept`` (mode 0600 from the start) through a temporary file; a new file by a
    link that fails when another run made one meanwhile, whose secrets then win."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            json.dump(kept, out, indent=2)
            out.write("\n")
        if replace:
            os.replace(temporary, path)
            return kept
        try:
            os.link(temporary, path)
        except FileExistsError:
            return {**kept, **_read_kept_secrets(path)}
        return kept
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def _new_secret() -> str:
    return secrets.token_hex(32)


def _new_push_token() -> str:
    return secrets.token_urlsafe(24)


def new_fernet_key() -> str:
    """A random Fernet key, as ``Fernet.generate_key()`` makes one."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def new_signing_key_pem() -> str:
    """A random EC P-256 private key (ES256), PEM: the local profile's development key."""
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


RSA_BITS_MIN = 2048


def new_rsa_key_pem() -> str:
    """A random 2048-bit RSA private key (RS256), PEM: the development key of ID tokens."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS_MIN)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


_DEVELOPMENT_SECRETS: dict[str, Callable[[], str]] = {
    "JWT_SECRET": _new_secret,
    "MFA_ENCRYPTION_KEY": new_fernet_key,
    "OIDC_PRIVATE_KEY": new_signing_key_pem,
    "OIDC_RSA_PRIVATE_KEY": new_rsa_key_pem,
    "SAML_SP_PRIVATE_KEY": new_rsa_key_pem,
    "JOB_PUSH_TOKEN": _new_push_token,
}


@lru_cache(maxsize=1)
def development_rsa_key_pem() -> str:
    """One development RSA key per process (making one takes tens of milliseconds, and a
    process that builds several apps, as the tests do, needs no more than one)."""
    return new_rsa_key_pem()


def is_rsa_pem(pem: str | None) -> bool:
    """Whether ``pem`` is an RSA private key of at least ``RSA_BITS_MIN`` bits."""
    if not pem:
        return False
    try:
        # Its type and size only: the full check of an RSA key (about 25 ms) is made once,
        # where the key is loaded to sign (bootstrap/provider.py).
        key = serialization.load_pem_private_key(
            pem.encode(), password=None, unsafe_skip_rsa_key_validation=True
        )
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return False
    return isinstance(key, rsa.RSAPrivateKey) and key.key_size >= RSA_BITS_MIN


class DevelopmentKey(SecretStr):
    """A development key made when it is first read, not when the settings are: making one
    (an RSA key above all) costs tens of milliseconds that a start need not pay, and a
    process that never signs with it never makes it (docs/benchmarks.md, "Cold start").
    Made once, under a lock, by whichever thread reads it first."""

    def __init__(self, make: Callable[[], str]) -> None:
        super().__init__("")
        self._make = make
        self._lock = threading.Lock()
        self._made: str | None = None

    def get_secret_value(self) -> str:
        with self._lock:  # read seldom: the signer keeps the loaded key, not this text
            if self._made is None:
                self._made = self._make()
            return self._made

    def __len__(self) -> int:
        return len(self.get_secret_value())

    def __bool__(self) -> bool:  # a key is never empty: no need to make it to know that
        return True
