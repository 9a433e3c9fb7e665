"""Upstream identity providers: the OpenID providers (and GitHub) people sign in with
(docs/reference/providers.md). A provider is configured by an admin; the presets know where
each well-known one is and what it gets wrong (docs/decisions/0271-provider-presets.md)."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from domain.errors import FieldError, InvalidInput
from domain.text import has_control

# Ids are path segments (/sign-in/with/{id}) and the ``provider`` of an identity; "firebase"
# is the Firebase exchange's, and "sso-…" an org's connections' (docs/reference/sso.md).
_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
RESERVED_IDS = frozenset({"firebase"})
RESERVED_PREFIX = "sso-"
NAME_MAX = 60
CLIENT_ID_MAX = 512
SECRET_MAX = 8192  # an Apple key (PEM) fits
SCOPE_MAX = 512
URL_MAX = 2048

OIDC = "oidc"  # any OpenID provider, found by discovery
GITHUB = "github"  # OAuth 2 without ID tokens: the address from its e-mails API


@dataclass(frozen=True)
class Preset:
    """What firegate knows of a well-known provider."""

    name: str
    issuer: str  # its discovery document is at {issuer}/.well-known/openid-configuration
    scope: str
    protocol: str = OIDC
    # Apple posts its answer (response_mode=form_post) and takes a JWT as its client secret,
    # made from the team's key (the secret given is that key, PEM).
    form_post: bool = False
    jwt_client_secret: bool = False
    # Microsoft's multi-tenant discovery names its issuer with "{tenantid}", the tenant of
    # each token; its ``email`` claim is whatever the tenant's admin typed: never verified.
    issuer_template: bool = False
    trusts_email_verified: bool = True


PRESETS: dict[str, Preset] = {
    "google": Preset("Google", "https://accounts.google.com", "openid email profile"),
    "microsoft": Preset(
        "Microsoft",
        "https://login.microsoftonline.com/common/v2.0",
        "openid email profile",
        issuer_template=True,
        trusts_email_verified=False,
    ),
    "apple": Preset(
        "Apple",
        "https://appleid.apple.com",
        "openid email name",
        form_post=True,
        jwt_client_secret=True,
    ),
    # GitHub Enterprise Server: --issuer https://HOST (the API is at https://HOST/api/v3).
    "github": Preset("GitHub", "https://github.com", "read:user user:email", protocol=GITHUB),
    "gitlab": Preset("GitLab", "https://gitlab.com", "openid email profile"),
}
GENERIC = Preset("", "", "openid email profile")


def _problem(problems: list[FieldError], field: str, message: str, code: str) -> None:
    problems.append(FieldError(field, message, code))


def _check_url(url: str, field: str, problems: list[FieldError]) -> None:
    """https, or http to this machine (a provider run beside firegate, as the tests do)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if len(url) > URL_MAX or has_control(url) or not host or parts.query or parts.fragment:
        _problem(problems, field, "Not a provider's address.", "invalid_url")
    elif parts.scheme != "https" and not (parts.scheme == "http" and _loopback(host)):
        _problem(problems, field, "A provider's address must be https.", "https_required")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class UpstreamProvider:
    """A provider people may sign in with. ``sealed_secret`` is its client secret (for
    Apple, the key that signs it) as the SecretBox sealed it: never stored in the clear."""

    id: str
    name: str
    preset: str  # "" for a generic OpenID provider
    issuer: str
    client_id: str
    sealed_secret: str
    scope: str
    created_at: datetime
    team_id: str = ""  # Apple's
    key_id: str = ""  # Apple's
    # Scopes asked for besides ``scope`` only where the provider's discovery document lists
    # them (an org's connection asks for ``groups`` so; docs/reference/sso.md).
    optional_scope: str = ""

    @classmethod
    def configure(
        cls,
        *,
        id: str,
        client_id: str,
        client_secret: str,
        sealed_secret: str,
        now: datetime,
        issuer: str = "",
        name: str = "",
        scope: str = "",
        preset: str = "",
        team_id: str = "",
        key_id: str = "",
    ) -> UpstreamProvider:
        """A new provider from what an admin gave; InvalidInput names every bad field.
        ``client_secret`` is checked here, ``sealed_secret`` is what is kept of it."""
        problems: list[FieldError] = []
        if not _ID.fullmatch(id) or id in RESERVED_IDS or id.startswith(RESERVED_PREFIX):
            _problem(
                problems,
                "id",
                "1 to 32 of a-z, 0-9, '_' and '-', not 'firebase' nor starting 'sso-'.",
                "invalid_id",
            )
        if preset and preset not in PRESETS:
            _problem(problems, "preset", "Not a known preset.", "unknown_preset")
        known = PRESETS.get(preset, GENERIC)
        issuer = (issuer or known.issuer).rstrip("/")
        if not issuer:
            _problem(problems, "issuer", "Required without a preset.", "missing")
        else:
            _check_url(issuer, "issuer", problems)
        name = " ".join((name or known.name or id).split())
        if not name or len(name) > NAME_MAX or has_control(name):
            _problem(problems, "name", f"1 to {NAME_MAX} characters.", "invalid_name")
        for field, value, limit in (
            ("client_id", client_id, CLIENT_ID_MAX),
            ("client_secret", client_secret, SECRET_MAX),
        ):
            if not value.strip() or len(value) > limit:
                _problem(problems, field, f"1 to {limit} characters.", "invalid_" + field)
        scope = " ".join((scope or known.scope).split())
        if len(scope) > SCOPE_MAX or has_control(scope):
            _problem(problems, "scope", "Not a scope.", "invalid_scope")
        elif known.protocol == OIDC and "openid" not in scope.split():
            _problem(problems, "scope", "An OpenID provider needs 'openid'.", "openid_required")
        if known.jwt_client_secret and not (team_id and key_id):
            _problem(problems, "team_id", "Apple needs the team id and key id.", "missing")
        if problems:
            raise InvalidInput.of(problems)
        return cls(
            id=id,
            name=name,
            preset=preset,
            issuer=issuer,
            client_id=client_id.strip(),
            sealed_secret=sealed_secret,
            scope=scope,
            created_at=now,
            team_id=team_id if known.jwt_client_secret else "",
            key_id=key_id if known.jwt_client_secret else "",
        )

    @property
    def quirks(self) -> Preset:
        return PRESETS.get(self.preset, GENERIC)

    @property
    def discovery_url(self) -> str:
        return self.issuer + "/.well-known/openid-configuration"

    def callback_path(self) -> str:
        """Where the provider sends the person back: register exactly {PUBLIC_URL} and this."""
        return f"/sign-in/with/{self.id}/callback"

    def asserts_verified(self, email_verified: object) -> bool:
        """Whether the provider's ``email_verified`` claim proves the address: true (Apple
        sends the string "true"), and the provider is one whose claim can be trusted."""
        return self.quirks.trusts_email_verified and email_verified in (True, "true")
