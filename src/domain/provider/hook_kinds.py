"""The hook kind the OpenID provider asks: ``credentials_exchange``, for the claims of a
token with no person in it (docs/hooks.md); the provider's unit lends it to the hooks
(bootstrap/provider.py)."""

from __future__ import annotations

from collections.abc import Mapping

from domain.hooks.auth_hooks import checked_claims
from domain.hooks.kinds import HookKind

_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"

CREDENTIALS_EXCHANGE = HookKind[Mapping[str, object]](
    name="credentials_exchange",
    check=checked_claims,
    samples={
        "client_credentials": {
            "client": {"client_id": "c_sample", "org_id": None},
            "scope": "orders:read",
            "audience": "https://api.example.com/",
            "grant_type": "client_credentials",
        },
        "token_exchange": {
            "client": {"client_id": "c_sample", "org_id": "o_sample"},
            "scope": "billing:read",
            "audience": "https://billing.example.com/",
            "grant_type": _EXCHANGE,
            "subject": {"sub": "u_sample", "client_id": "c_front", "act": None},
        },
        "token_exchange_by_an_agent": {
            "client": {"client_id": "c_agent", "org_id": None},
            "scope": "orders:read",
            "audience": "https://api.example.com/",
            "grant_type": _EXCHANGE,
            "subject": {"sub": "u_sample", "client_id": "c_front", "act": {"sub": "c_agent"}},
        },
    },
)
