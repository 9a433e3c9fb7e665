"""The provider's introspection of a request's bearer token, for the routes below it
(``PROVIDER_TOKENS``, interfaces/http/routes/federation/provider_tokens.py)."""

from __future__ import annotations

from application.provider.services import ProviderServices
from application.provider.tokens import InspectToken
from interfaces.http.routes.federation.provider_tokens import ProviderToken
from interfaces.shared.services import services


def live_access_token(token: str) -> ProviderToken | None:
    """``token`` when it is a live access token of the provider, with the account read with
    its grant; None for anything else (a refresh token, a revoked or expired one, none of
    ours)."""
    state = services().of(ProviderServices).introspection.token_state(InspectToken(token))
    if state is None or not state.live or state.kind != "access_token":
        return None
    return ProviderToken(state.claims, state.account)
