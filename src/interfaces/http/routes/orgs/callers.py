"""Who may ask the orgs' access decisions (docs/reference/access.md): a person, an org's own
client, or an app or agent for its person
(docs/decisions/0806-the-requests-caller-is-a-slot-signin-fills.md)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from application.federation.services import FederationServices
from domain.errors import Unauthenticated
from domain.orgs.access import AccessCaller, agent_caller, org_client_caller
from interfaces.http.auth import request_caller
from interfaces.http.routes.federation.provider_tokens import provider_token
from interfaces.shared.services import services


def person_or_org_client[F: Callable[..., Any]](view: F) -> F:
    """A person's token (as ``authenticated``), an org-owned client's own access token of
    the provider (``client_credentials``), or an app's or agent's token for the person
    issued for firegate's Firebase resource (within its scopes): the route gets ``caller``,
    an ``AccessCaller`` (docs/reference/access.md)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            caller = AccessCaller(user_id=request_caller().user_id)
        except Unauthenticated:
            held = provider_token()
            if held is None:
                raise
            resource = services().of(FederationServices).firebase.agent_resource
            client = org_client_caller(held.claims) or agent_caller(held.claims, resource)
            if client is None:
                raise
            caller = client
        return view(*args, caller=caller, **kwargs)

    return wrapper  # type: ignore[return-value]
