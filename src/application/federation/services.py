"""The federation capability's service objects: ``services().of(FederationServices)``
(docs/decisions/0526-services-by-capability.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from application.federation.connected import ConnectedAccounts
    from application.federation.firebase import Firebase
    from application.federation.upstream import Upstream


@dataclass(frozen=True, kw_only=True, slots=True)
class FederationServices:
    """Signing in with another provider, Firebase both ways, connected accounts."""

    firebase: Firebase
    identities: ConnectedAccounts  # connected accounts (docs/reference/identities.md)
    upstream: Upstream  # upstream providers (docs/reference/providers.md)
